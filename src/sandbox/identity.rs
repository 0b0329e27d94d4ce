//! The sandbox's Cognito identity pool: `GetId`,
//! `GetCredentialsForIdentity` and `GetOpenIdToken` of the JSON protocol the AWS SDKs speak
//! (`X-Amz-Target: AWSCognitoIdentityService.<Operation>`), with the
//! `AllowUnauthenticatedIdentities` of the synthesized auth template.
//!
//! A signed-in user's identity comes from the user pool's ID token in
//! `Logins` (keyed by the pool's provider name, `cognito-idp.<region>.amazonaws.com/<pool id>`):
//! the same user always gets the same identity id. A guest gets a new id from
//! `GetId` and keeps it. Credentials are the sandbox's temporary credentials
//! (see [`super::auth::Authority::credentials`]): their kind (authenticated or
//! unauthenticated) is what the api's IAM checks and, later, storage see.

use std::sync::Arc;

use serde_json::{Value, json};

use super::auth::{Authority, CredentialsRequest};
use super::cognito::{CognitoError, UserPool};

/// How long issued credentials live (Cognito: one hour).
const CREDENTIALS_SECONDS: u64 = 3600;

/// How long an OpenID token from `GetOpenIdToken` lives (Amazon Cognito
/// Identity API Reference, GetOpenIdToken: "valid for 10 minutes").
const OPEN_ID_TOKEN_SECONDS: u64 = 600;

fn err(kind: &'static str, message: impl Into<String>) -> CognitoError {
    CognitoError {
        kind,
        message: message.into(),
    }
}

/// The identity pool's settings, from the auth template's `AWS::Cognito::IdentityPool`.
#[derive(Debug, Clone, Default)]
pub struct IdentitySettings {
    pub allow_guests: bool,
    /// The user pool groups that have a role: (group, precedence, the role's
    /// logical id). The role attachment maps roles from the token, so a
    /// member gets the role of their group of lowest precedence (Amazon
    /// Cognito Developer Guide, "Adding groups to a user pool": the
    /// `cognito:preferred_role` claim), others the authenticated role.
    pub group_roles: Vec<(String, i64, String)>,
}

impl IdentitySettings {
    pub fn from_template(template: &Value) -> Option<IdentitySettings> {
        let pool = template["Resources"]
            .as_object()?
            .values()
            .find(|r| r["Type"] == "AWS::Cognito::IdentityPool")?;
        let group_roles = template["Resources"]
            .as_object()?
            .values()
            .filter(|r| r["Type"] == "AWS::Cognito::UserPoolGroup")
            .filter_map(|g| {
                let p = &g["Properties"];
                let role = p["RoleArn"]["Fn::GetAtt"][0].as_str()?;
                Some((
                    p["GroupName"].as_str()?.to_string(),
                    p["Precedence"].as_i64().unwrap_or(i64::MAX),
                    role.to_string(),
                ))
            })
            .collect();
        Some(IdentitySettings {
            allow_guests: pool["Properties"]["AllowUnauthenticatedIdentities"] == true,
            group_roles,
        })
    }

    /// The role of a member of `groups`: their group of lowest precedence
    /// that has one (None: the authenticated role).
    pub fn preferred_role(&self, groups: &[String]) -> Option<String> {
        self.group_roles
            .iter()
            .filter(|(g, _, _)| groups.contains(g))
            .min_by_key(|(_, precedence, _)| *precedence)
            .map(|(_, _, role)| role.clone())
    }
}

/// A signed-in user named by `Logins`.
struct Login {
    sub: String,
    username: String,
    groups: Vec<String>,
}

/// The sandbox's identity pool.
pub struct IdentityPool {
    pub pool_id: String,
    settings: IdentitySettings,
    user_pool: Option<Arc<UserPool>>,
}

impl IdentityPool {
    pub fn new(
        pool_id: &str,
        settings: IdentitySettings,
        user_pool: Option<Arc<UserPool>>,
    ) -> IdentityPool {
        IdentityPool {
            pool_id: pool_id.to_string(),
            settings,
            user_pool,
        }
    }

    fn region(&self) -> &str {
        self.pool_id.split_once(':').map_or("us-east-1", |(r, _)| r)
    }

    /// The signed-in user named by `Logins`, if any: its `sub`, user name and groups.
    /// Errors: a login for another provider, or a token the pool did not
    /// issue, has expired or whose sign-in has ended (the template's
    /// `ServerSideTokenCheck`).
    fn login(&self, body: &Value) -> Result<Option<Login>, CognitoError> {
        let Some(logins) = body["Logins"].as_object().filter(|l| !l.is_empty()) else {
            return Ok(None);
        };
        let pool = self.user_pool.as_ref().ok_or_else(|| {
            err(
                "NotAuthorizedException",
                "This identity pool has no user pool to sign in with.",
            )
        })?;
        // one sign-in provider: the sandbox's user pool
        let Some((provider, token)) = logins.iter().next() else {
            return Ok(None);
        };
        if logins.len() > 1 || Some(provider) != self.provider_name().as_ref() {
            return Err(err(
                "NotAuthorizedException",
                format!(
                    "Invalid login token. Not a valid OpenId Connect identity token for {provider}."
                ),
            ));
        }
        let claims = token
            .as_str()
            .and_then(|t| pool.verify_live(t, Some("id")))
            .ok_or_else(|| {
                err(
                    "NotAuthorizedException",
                    "Invalid login token. Token expired or not valid.",
                )
            })?;
        let text = |k: &str| {
            claims
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        // the role follows the user's groups in the pool, as Cognito puts
        // the groups' roles in `cognito:roles`: a pre token generation
        // trigger's `groupsToOverride` changes the token's groups, not them
        let groups = pool.groups_of(&text("sub")).unwrap_or_default();
        Ok(Some(Login {
            sub: text("sub"),
            username: text("cognito:username"),
            groups,
        }))
    }

    /// The provider name a user pool login is keyed by in `Logins`
    /// (`cognito-idp.<region>.amazonaws.com/<user pool id>`).
    fn provider_name(&self) -> Option<String> {
        let pool = self.user_pool.as_ref()?;
        Some(format!(
            "cognito-idp.{}.amazonaws.com/{}",
            self.region(),
            pool.pool_id
        ))
    }

    /// The identity `IdentityId` names, and its signed-in user from
    /// `Logins`, for the operations that act for an existing identity
    /// (`GetCredentialsForIdentity`, `GetOpenIdToken`). Errors, as Cognito
    /// answers them: an id of the wrong shape or region
    /// (`ResourceNotFoundException`); a login that is not this identity's, or
    /// no login for an identity this sandbox did not issue to a guest, or
    /// guests when the pool takes none (`NotAuthorizedException`).
    fn caller(
        &self,
        authority: &Authority,
        body: &Value,
    ) -> Result<(String, Option<Login>), CognitoError> {
        let identity = body["IdentityId"].as_str().unwrap_or_default().to_string();
        let well_formed = identity
            .split_once(':')
            .is_some_and(|(r, id)| r == self.region() && uuid::Uuid::parse_str(id).is_ok());
        if !well_formed {
            return Err(err("ResourceNotFoundException", "Identity not found."));
        }
        let mismatch = || {
            err(
                "NotAuthorizedException",
                "Logins don't match. Please include at least one valid login for this identity or identity pool.",
            )
        };
        match self.login(body)? {
            Some(login) if authority.user_identity_id(&login.sub) != identity => Err(mismatch()),
            Some(login) => Ok((identity, Some(login))),
            None if !self.settings.allow_guests => Err(err(
                "NotAuthorizedException",
                "Unauthenticated access is not supported for this identity pool.",
            )),
            // a guest identity this sandbox issued, never a user's
            None if !authority.is_guest_identity(&identity) => Err(mismatch()),
            None => Ok((identity, None)),
        }
    }

    fn check_pool(&self, body: &Value) -> Result<(), CognitoError> {
        match body["IdentityPoolId"].as_str() {
            None => Err(err(
                "InvalidParameterException",
                "1 validation error detected: Value null at 'identityPoolId' failed to satisfy constraint: Member must not be null",
            )),
            Some(id) if id != self.pool_id => Err(err(
                "ResourceNotFoundException",
                format!("IdentityPool '{id}' not found."),
            )),
            _ => Ok(()),
        }
    }

    /// Run one operation (`target` without `AWSCognitoIdentityService.`).
    pub fn call(
        &self,
        authority: &Authority,
        target: &str,
        body: &Value,
    ) -> Result<Value, CognitoError> {
        match target {
            "GetId" => {
                self.check_pool(body)?;
                match self.login(body)? {
                    Some(login) => {
                        Ok(json!({ "IdentityId": authority.user_identity_id(&login.sub) }))
                    }
                    None if self.settings.allow_guests => {
                        Ok(json!({ "IdentityId": authority.new_guest_identity() }))
                    }
                    None => Err(err(
                        "NotAuthorizedException",
                        "Unauthenticated access is not supported for this identity pool.",
                    )),
                }
            }
            "GetCredentialsForIdentity" => {
                let (identity, login) = self.caller(authority, body)?;
                let request = match login {
                    Some(login) => CredentialsRequest {
                        role: self.settings.preferred_role(&login.groups),
                        username: login.username,
                        sub: Some(login.sub),
                        lifetime: CREDENTIALS_SECONDS,
                        ..CredentialsRequest::default()
                    },
                    None => CredentialsRequest {
                        guest: true,
                        identity_id: Some(identity),
                        lifetime: CREDENTIALS_SECONDS,
                        ..CredentialsRequest::default()
                    },
                };
                let credentials = authority.credentials(&request);
                Ok(json!({ "IdentityId": credentials.identity_id, "Credentials": credentials }))
            }
            "GetOpenIdToken" => {
                let (identity, login) = self.caller(authority, body)?;
                let amr = match login {
                    Some(login) => {
                        let provider = self.provider_name().unwrap_or_default();
                        vec![
                            "authenticated".to_string(),
                            provider.clone(),
                            format!("{provider}:CognitoSignIn:{}", login.sub),
                        ]
                    }
                    None => vec!["unauthenticated".to_string()],
                };
                let token =
                    authority.open_id_token(&identity, &self.pool_id, &amr, OPEN_ID_TOKEN_SECONDS);
                Ok(json!({ "IdentityId": identity, "Token": token }))
            }
            other => Err(err(
                "UnknownOperationException",
                format!("the sandbox's identity pool does not run `{other}`"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::category::api::AuthMode;
    use crate::sandbox::auth::Secrets;
    use crate::sandbox::cognito::{PoolKey, PoolSettings};
    use std::sync::Mutex;

    fn setup(allow_guests: bool) -> (IdentityPool, Authority, String) {
        let codes = Arc::new(Mutex::new(Vec::<String>::new()));
        let (key, _) = PoolKey::load_or_make(None).unwrap();
        let settings = PoolSettings {
            flows: vec!["ALLOW_USER_PASSWORD_AUTH".into()],
            ..PoolSettings::default()
        };
        let sink = codes.clone();
        let pool = Arc::new(
            UserPool::open(
                "us-east-1_hoistsbx",
                "client",
                "http://127.0.0.1:1/us-east-1_hoistsbx",
                settings,
                key,
                None,
                Arc::new(move |m: &str| sink.lock().unwrap().push(m.to_string())),
            )
            .unwrap(),
        );
        pool.call("SignUp", &json!({ "ClientId": "client", "Username": "ada@example.com", "Password": "Secret-123!" }))
            .unwrap();
        let code = codes.lock().unwrap()[0]
            .rsplit(' ')
            .next()
            .unwrap()
            .to_string();
        pool.call("ConfirmSignUp", &json!({ "ClientId": "client", "Username": "ada@example.com", "ConfirmationCode": code }))
            .unwrap();
        let signed = pool
            .call(
                "InitiateAuth",
                &json!({ "ClientId": "client", "AuthFlow": "USER_PASSWORD_AUTH",
                "AuthParameters": { "USERNAME": "ada@example.com", "PASSWORD": "Secret-123!" } }),
            )
            .unwrap();
        let id_token = signed["AuthenticationResult"]["IdToken"]
            .as_str()
            .unwrap()
            .to_string();
        let dir = tempfile::tempdir().unwrap();
        let authority = Authority::new(
            vec![AuthMode::Iam],
            Secrets::load_or_create(dir.path()).unwrap(),
            "dev",
        );
        let identities = IdentityPool::new(
            &authority.identity_pool_id(),
            IdentitySettings {
                allow_guests,
                ..IdentitySettings::default()
            },
            Some(pool),
        );
        (identities, authority, id_token)
    }

    #[test]
    fn a_signed_in_user_gets_the_same_identity_and_its_credentials() {
        let (identities, authority, id_token) = setup(false);
        let logins = json!({ "cognito-idp.us-east-1.amazonaws.com/us-east-1_hoistsbx": id_token });
        let body = json!({ "IdentityPoolId": identities.pool_id, "Logins": logins });
        let id = identities.call(&authority, "GetId", &body).unwrap()["IdentityId"].clone();
        assert_eq!(
            id,
            identities.call(&authority, "GetId", &body).unwrap()["IdentityId"]
        );
        let out = identities
            .call(
                &authority,
                "GetCredentialsForIdentity",
                &json!({ "IdentityId": id, "Logins": logins }),
            )
            .unwrap();
        assert_eq!(out["IdentityId"], id);
        assert!(
            out["Credentials"]["AccessKeyId"]
                .as_str()
                .unwrap()
                .starts_with("ASIA")
        );
        // no guests here; a token not the pool's; an identity the login is not
        let refused =
            |body: Value, op: &str| identities.call(&authority, op, &body).unwrap_err().kind;
        assert_eq!(
            refused(json!({ "IdentityPoolId": identities.pool_id }), "GetId"),
            "NotAuthorizedException"
        );
        let forged = json!({ "cognito-idp.us-east-1.amazonaws.com/us-east-1_hoistsbx": format!("{id_token}x") });
        assert_eq!(
            refused(
                json!({ "IdentityPoolId": identities.pool_id, "Logins": forged }),
                "GetId"
            ),
            "NotAuthorizedException"
        );
        let other = format!("us-east-1:{}", uuid::Uuid::new_v4());
        assert_eq!(
            refused(
                json!({ "IdentityId": other, "Logins": logins }),
                "GetCredentialsForIdentity"
            ),
            "NotAuthorizedException"
        );
        assert_eq!(
            refused(json!({ "IdentityPoolId": "us-east-1:nope" }), "GetId"),
            "ResourceNotFoundException"
        );
    }

    /// The payload of a JWT, unchecked.
    fn claims(token: &str) -> Value {
        use base64::Engine;
        let payload = token.split('.').nth(1).unwrap();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn open_id_tokens_name_the_identity_and_how_it_signed_in() {
        let (identities, authority, id_token) = setup(true);
        let provider = "cognito-idp.us-east-1.amazonaws.com/us-east-1_hoistsbx";
        let logins = json!({ provider: id_token });
        let user = identities
            .call(
                &authority,
                "GetId",
                &json!({ "IdentityPoolId": identities.pool_id, "Logins": logins }),
            )
            .unwrap()["IdentityId"]
            .clone();
        let out = identities
            .call(
                &authority,
                "GetOpenIdToken",
                &json!({ "IdentityId": user, "Logins": logins }),
            )
            .unwrap();
        assert_eq!(out["IdentityId"], user);
        let token = claims(out["Token"].as_str().unwrap());
        assert_eq!(token["sub"], user);
        assert_eq!(token["aud"], json!(identities.pool_id));
        assert_eq!(token["amr"][0], "authenticated");
        assert_eq!(token["amr"][1], provider);
        assert_eq!(
            token["exp"].as_u64().unwrap() - token["iat"].as_u64().unwrap(),
            600
        );
        // a user's identity without its login, or with another's, is refused
        let refused = identities
            .call(&authority, "GetOpenIdToken", &json!({ "IdentityId": user }))
            .unwrap_err();
        assert_eq!(refused.kind, "NotAuthorizedException");
        // a guest's
        let guest = identities
            .call(
                &authority,
                "GetId",
                &json!({ "IdentityPoolId": identities.pool_id }),
            )
            .unwrap()["IdentityId"]
            .clone();
        let out = identities
            .call(
                &authority,
                "GetOpenIdToken",
                &json!({ "IdentityId": guest }),
            )
            .unwrap();
        let token = claims(out["Token"].as_str().unwrap());
        assert_eq!(token["sub"], guest);
        assert_eq!(token["amr"], json!(["unauthenticated"]));
        let refused = identities
            .call(
                &authority,
                "GetOpenIdToken",
                &json!({ "IdentityId": guest, "Logins": logins }),
            )
            .unwrap_err();
        assert_eq!(refused.kind, "NotAuthorizedException");
        let refused = identities
            .call(
                &authority,
                "GetOpenIdToken",
                &json!({ "IdentityId": "nope" }),
            )
            .unwrap_err();
        assert_eq!(refused.kind, "ResourceNotFoundException");
    }

    #[test]
    fn guests_get_an_identity_when_the_pool_allows_them() {
        let (identities, authority, _) = setup(true);
        let id = identities
            .call(
                &authority,
                "GetId",
                &json!({ "IdentityPoolId": identities.pool_id }),
            )
            .unwrap()["IdentityId"]
            .clone();
        let out = identities
            .call(
                &authority,
                "GetCredentialsForIdentity",
                &json!({ "IdentityId": id }),
            )
            .unwrap();
        assert_eq!(out["IdentityId"], id);
        assert!(out["Credentials"]["SessionToken"].is_string());
        // a guest may not take a user's identity, nor one the sandbox never issued
        let (identities, authority, id_token) = setup(true);
        let logins = json!({ "cognito-idp.us-east-1.amazonaws.com/us-east-1_hoistsbx": id_token });
        let user_id = identities
            .call(
                &authority,
                "GetId",
                &json!({ "IdentityPoolId": identities.pool_id, "Logins": logins }),
            )
            .unwrap()["IdentityId"]
            .clone();
        for taken in [
            user_id,
            json!(format!("us-east-1:{}", uuid::Uuid::new_v4())),
        ] {
            let refused = identities
                .call(
                    &authority,
                    "GetCredentialsForIdentity",
                    &json!({ "IdentityId": taken }),
                )
                .unwrap_err();
            assert_eq!(refused.kind, "NotAuthorizedException");
        }
        // a login from another region's provider name is not this pool's
        let elsewhere = json!({ "cognito-idp.eu-west-1.amazonaws.com/us-east-1_hoistsbx": "x" });
        assert!(
            identities
                .call(
                    &authority,
                    "GetId",
                    &json!({ "IdentityPoolId": identities.pool_id, "Logins": elsewhere })
                )
                .is_err()
        );
    }
}
