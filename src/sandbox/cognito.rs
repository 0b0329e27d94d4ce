//! The sandbox's Cognito user pool: the JSON protocol the AWS SDKs and
//! `aws-amplify` speak (`POST /` with `X-Amz-Target:
//! AWSCognitoIdentityProviderService.<Operation>`, bodies and errors as the
//! Amazon Cognito user pools API reference gives them), run with the settings
//! of the synthesized auth template: the very pool `hoist push` deploys
//! (password policy, sign-in attributes, required attributes, self sign-up,
//! the app client's auth flows, token lifetimes, user existence errors).
//!
//! - Sign-up: `SignUp`, `ConfirmSignUp`, `ResendConfirmationCode`. Codes are
//!   printed in the sandbox's output (nothing is sent).
//! - Sign-in: `InitiateAuth` with `USER_SRP_AUTH` (SRP-6a, see
//!   [`super::srp`]), `USER_PASSWORD_AUTH` (when the client allows it, as in
//!   Cognito) and `REFRESH_TOKEN_AUTH`, and `GetTokensFromRefreshToken`
//!   (how `aws-amplify` refreshes); `RespondToAuthChallenge` with
//!   `PASSWORD_VERIFIER` and `NEW_PASSWORD_REQUIRED`.
//! - The signed-in user: `GetUser`, `UpdateUserAttributes`,
//!   `VerifyUserAttribute`, `GetUserAttributeVerificationCode`,
//!   `ChangePassword`, `GlobalSignOut`, `RevokeToken`, `DeleteUser`;
//!   `ForgotPassword` and `ConfirmForgotPassword`.
//! - The admin operations `ListUsers`, `AdminCreateUser`,
//!   `AdminSetUserPassword`, `AdminAddUserToGroup`, `AdminDeleteUser`,
//!   `AdminConfirmSignUp`: the endpoint takes them only signed (SigV4) with
//!   the sandbox administrator's credentials, as Cognito takes them only with
//!   IAM credentials ([`is_admin_operation`]).
//!
//! Tokens are RS256 JWTs with Cognito's claims, signed with the pool's key
//! (kept in the sandbox's secrets) and published at
//! `/<userPoolId>/.well-known/jwks.json`. Passwords are kept only as SRP
//! verifiers (`g^x`, with a per-user salt). Users are kept in `users.json` in
//! the sandbox's data folder, readable by the owner only.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use num_bigint::BigUint;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::srp;

const USERS_FILE: &str = "users.json";
/// The sandbox's pool id is `<region>_<this>` (SRP hashes the part after `_`).
pub const POOL_NAME: &str = "hoistsbx";
/// How long an SRP challenge or a sign-in session lasts (Cognito: 3 minutes).
const SESSION_SECONDS: u64 = 180;
/// How long a confirmation or verification code lasts (Cognito: 24 hours).
const CODE_SECONDS: u64 = 24 * 3600;
/// How long a password reset code lasts (Cognito: 1 hour).
const RESET_CODE_SECONDS: u64 = 3600;
/// Wrong guesses a code takes before it is spent (Cognito limits attempts too).
const CODE_ATTEMPTS: u32 = 5;
/// Sign-in sessions (refresh tokens) a user keeps at once; older ones end.
const MAX_SESSIONS: usize = 100;
/// At most this many sign-ins may be half done at once; older ones are dropped.
const MAX_PENDING: usize = 10_000;
/// At most this many users (a sandbox is for development).
const MAX_USERS: usize = 100_000;

/// An error as Cognito's JSON protocol returns it (`__type`, `message`, status 400).
#[derive(Debug, Clone, PartialEq)]
pub struct CognitoError {
    pub kind: &'static str,
    pub message: String,
}

fn err(kind: &'static str, message: impl Into<String>) -> CognitoError {
    CognitoError {
        kind,
        message: message.into(),
    }
}

fn not_authorized(message: &str) -> CognitoError {
    err("NotAuthorizedException", message)
}

fn invalid(message: impl Into<String>) -> CognitoError {
    err("InvalidParameterException", message)
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// The pool as the synthesized auth template configures it.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub region: String,
    pub min_length: usize,
    pub require_lowercase: bool,
    pub require_uppercase: bool,
    pub require_numbers: bool,
    pub require_symbols: bool,
    /// `UsernameAttributes`: `email`, `phone_number` (empty: a user name).
    pub username_attributes: Vec<String>,
    pub required_attributes: Vec<String>,
    /// The schema's own attributes (`custom:<name>` to users).
    pub custom_attributes: Vec<String>,
    pub auto_verified: Vec<String>,
    pub self_sign_up: bool,
    /// The app client's `ExplicitAuthFlows`.
    pub flows: Vec<String>,
    pub prevent_user_existence_errors: bool,
    pub id_token_seconds: u64,
    pub access_token_seconds: u64,
    pub refresh_token_seconds: u64,
    /// Group names and precedences.
    pub groups: Vec<(String, i64)>,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            region: "us-east-1".into(),
            min_length: 8,
            require_lowercase: true,
            require_uppercase: true,
            require_numbers: true,
            require_symbols: true,
            username_attributes: vec!["email".into()],
            required_attributes: vec!["email".into()],
            custom_attributes: Vec::new(),
            auto_verified: vec!["email".into()],
            self_sign_up: true,
            flows: vec![
                "ALLOW_USER_SRP_AUTH".into(),
                "ALLOW_REFRESH_TOKEN_AUTH".into(),
            ],
            prevent_user_existence_errors: true,
            id_token_seconds: 3600,
            access_token_seconds: 3600,
            refresh_token_seconds: 30 * 86400,
            groups: Vec::new(),
        }
    }
}

fn validity(client: &Value, key: &str, unit_key: &str, default: u64) -> u64 {
    let Some(n) = client[key].as_u64() else {
        return default;
    };
    let unit = client["TokenValidityUnits"][unit_key]
        .as_str()
        .unwrap_or(match key {
            "RefreshTokenValidity" => "days",
            _ => "hours",
        });
    n * match unit {
        "seconds" => 1,
        "minutes" => 60,
        "hours" => 3600,
        _ => 86400,
    }
}

impl PoolSettings {
    /// Read from an auth template's `AWS::Cognito::UserPool`,
    /// `UserPoolClient` and `UserPoolGroup` resources; `None` when it has no pool.
    pub fn from_template(template: &Value, region: &str) -> Option<PoolSettings> {
        let resources = template["Resources"].as_object()?;
        fn of_type<'a>(
            resources: &'a Map<String, Value>,
            t: &'a str,
        ) -> impl Iterator<Item = &'a Value> + 'a {
            resources
                .values()
                .filter(move |r| r["Type"] == t)
                .map(|r| &r["Properties"])
        }
        let pool = of_type(resources, "AWS::Cognito::UserPool").next()?;
        let client = of_type(resources, "AWS::Cognito::UserPoolClient")
            .next()
            .cloned()
            .unwrap_or(Value::Null);
        let policy = &pool["Policies"]["PasswordPolicy"];
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        };
        let defaults = PoolSettings::default();
        Some(PoolSettings {
            region: region.to_string(),
            min_length: policy["MinimumLength"].as_u64().unwrap_or(8) as usize,
            require_lowercase: policy["RequireLowercase"].as_bool().unwrap_or(false),
            require_uppercase: policy["RequireUppercase"].as_bool().unwrap_or(false),
            require_numbers: policy["RequireNumbers"].as_bool().unwrap_or(false),
            require_symbols: policy["RequireSymbols"].as_bool().unwrap_or(false),
            username_attributes: strings(&pool["UsernameAttributes"]),
            required_attributes: pool["Schema"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|a| a["Required"] == true)
                .filter_map(|a| a["Name"].as_str().map(str::to_string))
                .collect(),
            custom_attributes: pool["Schema"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a["Name"].as_str())
                .filter(|n| !STANDARD_ATTRIBUTES.contains(n))
                .map(|n| n.trim_start_matches("custom:").to_string())
                .collect(),
            auto_verified: strings(&pool["AutoVerifiedAttributes"]),
            self_sign_up: pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] != true,
            flows: if client["ExplicitAuthFlows"].is_array() {
                strings(&client["ExplicitAuthFlows"])
            } else {
                defaults.flows
            },
            prevent_user_existence_errors: client["PreventUserExistenceErrors"] != "LEGACY",
            id_token_seconds: validity(&client, "IdTokenValidity", "IdToken", 3600),
            access_token_seconds: validity(&client, "AccessTokenValidity", "AccessToken", 3600),
            refresh_token_seconds: validity(
                &client,
                "RefreshTokenValidity",
                "RefreshToken",
                30 * 86400,
            ),
            groups: of_type(resources, "AWS::Cognito::UserPoolGroup")
                .filter_map(|g| {
                    Some((
                        g["GroupName"].as_str()?.to_string(),
                        g["Precedence"].as_i64().unwrap_or(0),
                    ))
                })
                .collect(),
        })
    }

    /// The policy's complaint about `password`, in Cognito's words.
    fn password_problem(&self, password: &str) -> Option<&'static str> {
        let has = |f: fn(char) -> bool| password.chars().any(f);
        if password.chars().count() < self.min_length {
            Some("Password not long enough")
        } else if self.require_lowercase && !has(|c| c.is_lowercase()) {
            Some("Password must have lowercase characters")
        } else if self.require_uppercase && !has(|c| c.is_uppercase()) {
            Some("Password must have uppercase characters")
        } else if self.require_numbers && !has(|c| c.is_ascii_digit()) {
            Some("Password must have numeric characters")
        } else if self.require_symbols
            && !has(|c| "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ".contains(c))
        {
            Some("Password must have symbol characters")
        } else if password.len() > 256 {
            Some("Password is too long")
        } else {
            None
        }
    }
}

/// A user as the pool keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct User {
    /// The user name tokens carry (`cognito:username`): a UUID when users
    /// sign in with an email or phone number, as Cognito makes it.
    username: String,
    sub: String,
    attributes: BTreeMap<String, String>,
    /// SRP salt and verifier, hex.
    salt: String,
    verifier: String,
    /// `UNCONFIRMED`, `CONFIRMED`, `FORCE_CHANGE_PASSWORD`.
    status: String,
    #[serde(default)]
    groups: Vec<String>,
    created: u64,
    /// Live sign-in sessions: tokens of another session are refused by the
    /// pool's own operations (`GlobalSignOut` ends them all, `RevokeToken` one).
    #[serde(default)]
    sessions: Vec<Session>,
    /// Pending codes by purpose (`signup`, `reset`, `verify:<attribute>`).
    #[serde(default)]
    codes: BTreeMap<String, Code>,
}

/// One sign-in: its tokens share its `origin_jti` and `auth_time`, across refreshes.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Session {
    origin_jti: String,
    /// SHA-256 of its refresh token.
    refresh: String,
    auth_time: u64,
    expires: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Code {
    value: String,
    expires: u64,
    failures: u32,
}

/// The attributes a user pool knows without a schema entry (Cognito's
/// standard attributes); others must be `custom:` ones the template declares.
const STANDARD_ATTRIBUTES: &[&str] = &[
    "address",
    "birthdate",
    "email",
    "family_name",
    "gender",
    "given_name",
    "locale",
    "middle_name",
    "name",
    "nickname",
    "phone_number",
    "picture",
    "preferred_username",
    "profile",
    "updated_at",
    "website",
    "zoneinfo",
];

#[derive(Debug, Default, Serialize, Deserialize)]
struct Users {
    users: Vec<User>,
}

/// A sign-in half done: after `InitiateAuth`, before the challenge's answer.
struct Pending {
    username: String,
    /// SRP: `A`, `B`, `b`.
    srp: Option<(BigUint, BigUint, BigUint)>,
    expires: u64,
}

/// The pool's RS256 key.
pub struct PoolKey {
    encoding: EncodingKey,
    decoding: DecodingKey,
    kid: String,
    jwk: Value,
}

impl PoolKey {
    /// Load a PKCS#1 DER private key, or make one (2048 bits) when `der` is None.
    /// Returns the key and its DER (to keep).
    pub fn load_or_make(der: Option<&[u8]>) -> Result<(PoolKey, Vec<u8>), String> {
        use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
        use rsa::traits::PublicKeyParts;
        let key = match der.map(rsa::PrivateKey::from_pkcs1_der) {
            Some(Ok(k)) => k,
            // Cognito's keys are 2048-bit
            _ => rsa::PrivateKey::new(&mut getrandom::SysRng, 2048).map_err(|e| e.to_string())?,
        };
        let der = key
            .to_pkcs1_der()
            .map_err(|e| e.to_string())?
            .as_bytes()
            .to_vec();
        let b64 = |bytes: &[u8]| {
            // minimal big-endian, as JWK wants it
            let start = bytes
                .iter()
                .position(|b| *b != 0)
                .unwrap_or(bytes.len().saturating_sub(1));
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes[start..])
        };
        let n = b64(&key.n().to_be_bytes());
        let e = b64(&key.e().to_be_bytes());
        let kid = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&sha2_digest(&der)[..16]);
        let decoding = DecodingKey::from_rsa_components(&n, &e).map_err(|e| e.to_string())?;
        Ok((
            PoolKey {
                encoding: EncodingKey::from_rsa_der(&der),
                decoding,
                jwk: json!({ "alg": "RS256", "e": e, "kid": kid, "kty": "RSA", "n": n, "use": "sig" }),
                kid,
            },
            der,
        ))
    }

    pub fn decoding(&self) -> &DecodingKey {
        &self.decoding
    }
}

fn sha2_digest(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

fn hex_digest(text: &str) -> String {
    sha2_digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The sandbox's user pool.
pub struct UserPool {
    pub pool_id: String,
    pub client_id: String,
    issuer: String,
    settings: PoolSettings,
    group: srp::Group,
    key: PoolKey,
    users: Mutex<Users>,
    pending: Mutex<HashMap<String, Pending>>,
    path: Option<PathBuf>,
    /// Where codes go: the sandbox's output.
    notify: Arc<dyn Fn(&str) + Send + Sync>,
}

/// The operations only the sandbox's administrator may call (signed, as
/// Cognito takes its admin operations only with IAM credentials).
pub fn is_admin_operation(operation: &str) -> bool {
    operation.starts_with("Admin") || operation == "ListUsers"
}

/// What a token the pool issued says, once checked.
pub type Claims = Map<String, Value>;

impl UserPool {
    /// A pool with these settings, signing with `key`, its users kept in
    /// `dir/users.json` (none: in memory), issuing tokens as `issuer`
    /// (`http://<host>:<port>/<userPoolId>`, where its JWKS is served).
    pub fn open(
        pool_id: &str,
        client_id: &str,
        issuer: &str,
        settings: PoolSettings,
        key: PoolKey,
        dir: Option<&std::path::Path>,
        notify: Arc<dyn Fn(&str) + Send + Sync>,
    ) -> Result<UserPool, String> {
        let path = dir.map(|d| d.join(USERS_FILE));
        let users = match &path {
            Some(p) => match std::fs::read(p) {
                Ok(bytes) => serde_json::from_slice(&bytes)
                    .map_err(|e| format!("{} is not a user list: {e}", p.display()))?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Users::default(),
                Err(e) => return Err(format!("could not read {}: {e}", p.display())),
            },
            None => Users::default(),
        };
        Ok(UserPool {
            pool_id: pool_id.to_string(),
            client_id: client_id.to_string(),
            issuer: issuer.to_string(),
            settings,
            group: srp::Group::new(),
            key,
            users: Mutex::new(users),
            pending: Mutex::new(HashMap::new()),
            path,
            notify,
        })
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// `{"keys": [...]}`, as Cognito publishes it.
    pub fn jwks(&self) -> Value {
        json!({ "keys": [self.key.jwk] })
    }

    /// The part of the pool id SRP hashes (after `_`).
    fn pool_name(&self) -> &str {
        self.pool_id.split_once('_').map_or("", |(_, n)| n)
    }

    fn save(&self, users: &Users) -> Result<(), CognitoError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let bytes = serde_json::to_vec_pretty(users).unwrap_or_default();
        super::auth::write_private(path, &bytes).map_err(|e| {
            err(
                "InternalErrorException",
                format!("could not keep the users: {e}"),
            )
        })
    }

    fn lock_users(&self) -> std::sync::MutexGuard<'_, Users> {
        self.users.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Check a token this pool issued: signature, issuer, expiry, client and
    /// `token_use` (`id` or `access`; None: either), as any service that takes
    /// Cognito tokens checks them (AppSync does not ask Cognito about
    /// sign-outs). [`UserPool::verify_live`] also wants its sign-in session live.
    pub fn verify(&self, token: &str, token_use: Option<&str>) -> Option<Claims> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        if header.alg != Algorithm::RS256 || header.kid.as_deref() != Some(&self.key.kid) {
            return None;
        }
        let mut validation = Validation::new(Algorithm::RS256);
        validation.validate_aud = false;
        validation.leeway = 0;
        validation.set_issuer(&[&self.issuer]);
        let claims = jsonwebtoken::decode::<Claims>(token, &self.key.decoding, &validation)
            .ok()?
            .claims;
        let used = claims.get("token_use")?.as_str()?;
        if token_use.is_some_and(|t| t != used) {
            return None;
        }
        let client = if used == "id" {
            claims.get("aud")
        } else {
            claims.get("client_id")
        };
        if client.and_then(Value::as_str) != Some(self.client_id.as_str()) {
            return None;
        }
        Some(claims)
    }

    /// [`UserPool::verify`], and the token's sign-in session has not ended
    /// (`GlobalSignOut`, `RevokeToken`, a password reset): as the pool's own
    /// operations check access tokens.
    pub fn verify_live(&self, token: &str, token_use: Option<&str>) -> Option<Claims> {
        let claims = self.verify(token, token_use)?;
        let sub = claims.get("sub")?.as_str()?;
        let origin = claims.get("origin_jti")?.as_str()?;
        let t = now();
        let users = self.lock_users();
        let user = users.users.iter().find(|u| u.sub == sub)?;
        user.sessions
            .iter()
            .any(|s| s.origin_jti == origin && s.expires > t)
            .then_some(claims)
    }

    /// Run one operation of the JSON protocol (`target` without its
    /// `AWSCognitoIdentityProviderService.` prefix).
    pub fn call(&self, target: &str, body: &Value) -> Result<Value, CognitoError> {
        if !body.is_object() {
            return Err(err(
                "SerializationException",
                "the body must be a JSON object",
            ));
        }
        let client_checked = |body: &Value| -> Result<(), CognitoError> {
            match body["ClientId"].as_str() {
                Some(id) if id == self.client_id => Ok(()),
                _ => Err(err(
                    "ResourceNotFoundException",
                    "User pool client does not exist.",
                )),
            }
        };
        match target {
            "SignUp" => {
                client_checked(body)?;
                self.sign_up(body)
            }
            "ConfirmSignUp" => {
                client_checked(body)?;
                self.confirm_sign_up(body)
            }
            "ResendConfirmationCode" => {
                client_checked(body)?;
                self.resend_code(body)
            }
            "InitiateAuth" => {
                client_checked(body)?;
                self.initiate_auth(body)
            }
            "RespondToAuthChallenge" => {
                client_checked(body)?;
                self.respond_to_challenge(body)
            }
            "GetTokensFromRefreshToken" => {
                client_checked(body)?;
                let mut out = self.refresh(body["RefreshToken"].as_str().unwrap_or_default())?;
                if let Value::Object(map) = &mut out {
                    map.remove("ChallengeParameters");
                }
                Ok(out)
            }
            "ForgotPassword" => {
                client_checked(body)?;
                self.forgot_password(body)
            }
            "ConfirmForgotPassword" => {
                client_checked(body)?;
                self.confirm_forgot_password(body)
            }
            "GetUser" => self.with_access_token(body, |user, _| Ok(self.describe(user))),
            "UpdateUserAttributes" => self.update_attributes(body),
            "GetUserAttributeVerificationCode" => self.with_access_token(body, |user, pool| {
                let attribute = body["AttributeName"].as_str().unwrap_or_default().to_string();
                if !user.attributes.contains_key(&attribute) {
                    return Err(invalid(format!("The user has no attribute {attribute}.")));
                }
                Ok(json!({ "CodeDeliveryDetails": pool.send_code(user, &format!("verify:{attribute}"), &attribute) }))
            }),
            "VerifyUserAttribute" => self.with_access_token(body, |user, pool| {
                let attribute = body["AttributeName"].as_str().unwrap_or_default();
                pool.take_code(user, &format!("verify:{attribute}"), body["Code"].as_str())?;
                user.attributes.insert(format!("{attribute}_verified"), "true".into());
                Ok(json!({}))
            }),
            "ChangePassword" => self.with_access_token(body, |user, pool| {
                let previous = body["PreviousPassword"].as_str().unwrap_or_default();
                if !pool.password_matches(user, previous) {
                    return Err(not_authorized("Incorrect username or password."));
                }
                let proposed = body["ProposedPassword"].as_str().unwrap_or_default();
                pool.set_password(user, proposed)?;
                Ok(json!({}))
            }),
            "GlobalSignOut" => self.with_access_token(body, |user, _| {
                user.sessions.clear();
                Ok(json!({}))
            }),
            "RevokeToken" => {
                client_checked(body)?;
                let token = body["Token"].as_str().unwrap_or_default();
                let hash = hex_digest(token);
                let mut users = self.lock_users();
                for user in users.users.iter_mut() {
                    // the session ends: its access and ID tokens too
                    user.sessions.retain(|s| s.refresh != hash);
                }
                self.save(&users)?;
                Ok(json!({}))
            }
            "DeleteUser" => {
                let sub = self.access_subject(body)?;
                let mut users = self.lock_users();
                users.users.retain(|u| u.sub != sub);
                self.save(&users)?;
                Ok(json!({}))
            }
            "ListUsers" => {
                let users = self.lock_users();
                Ok(json!({ "Users": users.users.iter().map(|u| self.admin_view(u)).collect::<Vec<_>>() }))
            }
            "AdminCreateUser" => self.admin_create_user(body),
            "AdminSetUserPassword" => self.admin_user(body, |user, pool| {
                let password = body["Password"].as_str().unwrap_or_default();
                pool.set_password(user, password)?;
                user.status = if body["Permanent"] == true { "CONFIRMED" } else { "FORCE_CHANGE_PASSWORD" }.into();
                Ok(json!({}))
            }),
            "AdminConfirmSignUp" => self.admin_user(body, |user, _| {
                user.status = "CONFIRMED".into();
                Ok(json!({}))
            }),
            "AdminAddUserToGroup" => self.admin_user(body, |user, pool| {
                let group = body["GroupName"].as_str().unwrap_or_default();
                if !pool.settings.groups.iter().any(|(g, _)| g == group) {
                    return Err(err("ResourceNotFoundException", "Group not found."));
                }
                if !user.groups.iter().any(|g| g == group) {
                    user.groups.push(group.to_string());
                }
                Ok(json!({}))
            }),
            "AdminDeleteUser" => {
                let name = body["Username"].as_str().unwrap_or_default();
                let mut users = self.lock_users();
                let before = users.users.len();
                let index = self.find(&users, name);
                if let Some(i) = index {
                    users.users.remove(i);
                }
                if users.users.len() == before {
                    return Err(err("UserNotFoundException", "User does not exist."));
                }
                self.save(&users)?;
                Ok(json!({}))
            }
            other => Err(err(
                "UnknownOperationException",
                format!("the sandbox's user pool does not run `{other}`"),
            )),
        }
    }

    /// The index of the user a name signs in with (the user name, or an
    /// email or phone number the pool signs in with), case-insensitively.
    fn find(&self, users: &Users, name: &str) -> Option<usize> {
        users.users.iter().position(|u| {
            u.username.eq_ignore_ascii_case(name)
                || self.settings.username_attributes.iter().any(|a| {
                    u.attributes
                        .get(a)
                        .is_some_and(|v| v.eq_ignore_ascii_case(name))
                })
        })
    }

    fn unknown_user(&self) -> CognitoError {
        if self.settings.prevent_user_existence_errors {
            not_authorized("Incorrect username or password.")
        } else {
            err("UserNotFoundException", "User does not exist.")
        }
    }

    /// The attributes of a request, refusing those the pool's schema does not
    /// have (Cognito's standard ones, and the template's `custom:` ones): an
    /// attribute named like a claim (`cognito:groups`) never reaches a token.
    fn attributes_of(
        &self,
        body: &Value,
        key: &str,
    ) -> Result<BTreeMap<String, String>, CognitoError> {
        let mut out = BTreeMap::new();
        for a in body[key].as_array().into_iter().flatten() {
            let (Some(name), Some(value)) = (a["Name"].as_str(), a["Value"].as_str()) else {
                return Err(invalid(format!("{key} entries need Name and Value")));
            };
            let known = STANDARD_ATTRIBUTES.contains(&name)
                || matches!(name, "email_verified" | "phone_number_verified")
                || name
                    .strip_prefix("custom:")
                    .is_some_and(|c| self.settings.custom_attributes.iter().any(|a| a == c));
            if !known {
                return Err(invalid(format!(
                    "Attributes did not conform to the schema: Type for attribute {{{name}}} could not be determined"
                )));
            }
            if value.len() > 2048 {
                return Err(invalid(format!(
                    "the attribute {name} is longer than 2048 characters"
                )));
            }
            out.insert(name.to_string(), value.to_string());
        }
        Ok(out)
    }

    fn set_password(&self, user: &mut User, password: &str) -> Result<(), CognitoError> {
        if let Some(problem) = self.settings.password_problem(password) {
            return Err(err(
                "InvalidPasswordException",
                format!("Password did not conform with policy: {problem}"),
            ));
        }
        let salt = srp::random(16);
        let verifier = self
            .group
            .verifier(self.pool_name(), &user.username, password, &salt);
        user.salt = srp::to_hex(&salt);
        user.verifier = srp::to_hex(&verifier);
        Ok(())
    }

    fn password_matches(&self, user: &User, password: &str) -> bool {
        let (Some(salt), Some(verifier)) =
            (srp::from_hex(&user.salt), srp::from_hex(&user.verifier))
        else {
            return false;
        };
        self.group
            .verifier(self.pool_name(), &user.username, password, &salt)
            == verifier
    }

    /// Make a code for `purpose`, print it, and say where it "went".
    fn send_code(&self, user: &mut User, purpose: &str, attribute: &str) -> Value {
        use rand::Rng;
        let code = format!("{:06}", rand::rng().random_range(0..1_000_000));
        let lifetime = if purpose == "reset" {
            RESET_CODE_SECONDS
        } else {
            CODE_SECONDS
        };
        user.codes.insert(
            purpose.to_string(),
            Code {
                value: code.clone(),
                expires: now() + lifetime,
                failures: 0,
            },
        );
        let to = user
            .attributes
            .get(attribute)
            .cloned()
            .unwrap_or_else(|| user.username.clone());
        let what = match purpose {
            "signup" => "confirmation code",
            "reset" => "password reset code",
            _ => "verification code",
        };
        (self.notify)(&format!("{what} for {to}: {code}"));
        let masked = match to.split_once('@') {
            Some((local, domain)) => format!(
                "{}***@{}***",
                local.chars().next().unwrap_or('*'),
                domain.chars().next().unwrap_or('*')
            ),
            None => format!(
                "+*******{}",
                to.chars()
                    .rev()
                    .take(4)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<String>()
            ),
        };
        json!({
            "Destination": masked,
            "DeliveryMedium": if attribute == "phone_number" { "SMS" } else { "EMAIL" },
            "AttributeName": attribute,
        })
    }

    /// Use up the code for `purpose`: a wrong guess counts, and after
    /// [`CODE_ATTEMPTS`] of them the code is spent (a new one must be asked for).
    fn take_code(
        &self,
        user: &mut User,
        purpose: &str,
        given: Option<&str>,
    ) -> Result<(), CognitoError> {
        let expired = || {
            err(
                "ExpiredCodeException",
                "Invalid code provided, please request a code again.",
            )
        };
        let code = user.codes.get_mut(purpose).ok_or_else(expired)?;
        if now() > code.expires {
            user.codes.remove(purpose);
            return Err(expired());
        }
        let right = given.is_some_and(|g| {
            super::sigv4::constant_time_eq(g.trim().as_bytes(), code.value.as_bytes())
        });
        if !right {
            code.failures += 1;
            if code.failures >= CODE_ATTEMPTS {
                user.codes.remove(purpose);
                return Err(err(
                    "LimitExceededException",
                    "Attempt limit exceeded, please try after some time.",
                ));
            }
            return Err(err(
                "CodeMismatchException",
                "Invalid verification code provided, please try again.",
            ));
        }
        user.codes.remove(purpose);
        Ok(())
    }

    fn delivery_attribute(&self, user: &User) -> String {
        for a in self
            .settings
            .auto_verified
            .iter()
            .chain(["email".to_string(), "phone_number".to_string()].iter())
        {
            if user.attributes.contains_key(a) {
                return a.clone();
            }
        }
        "email".into()
    }

    fn sign_up(&self, body: &Value) -> Result<Value, CognitoError> {
        if !self.settings.self_sign_up {
            return Err(not_authorized("SignUp is not permitted for this user pool"));
        }
        let given = body["Username"]
            .as_str()
            .unwrap_or_default()
            .trim()
            .to_string();
        let password = body["Password"].as_str().unwrap_or_default();
        if given.is_empty() || given.len() > 128 {
            return Err(invalid(
                "1 validation error detected: Value at 'username' failed to satisfy constraint: Member must have length between 1 and 128",
            ));
        }
        let mut attributes = self.attributes_of(body, "UserAttributes")?;
        let by_email = self
            .settings
            .username_attributes
            .iter()
            .any(|a| a == "email");
        let by_phone = self
            .settings
            .username_attributes
            .iter()
            .any(|a| a == "phone_number");
        let username = if by_email || by_phone {
            let looks_email =
                given.contains('@') && !given.starts_with('@') && !given.ends_with('@');
            let looks_phone = given.starts_with('+')
                && given[1..].chars().all(|c| c.is_ascii_digit())
                && given.len() > 4;
            if looks_email && by_email {
                attributes
                    .entry("email".into())
                    .or_insert_with(|| given.clone());
            } else if looks_phone && by_phone {
                attributes
                    .entry("phone_number".into())
                    .or_insert_with(|| given.clone());
            } else {
                return Err(invalid(if by_email && !by_phone {
                    "Username should be an email."
                } else {
                    "Username should be either an email or a phone number."
                }));
            }
            uuid::Uuid::new_v4().to_string()
        } else {
            given.clone()
        };
        for required in &self.settings.required_attributes {
            if !attributes.contains_key(required) {
                return Err(invalid(format!(
                    "Attributes did not conform to the schema: {required}: The attribute {required} is required"
                )));
            }
        }
        for reserved in ["sub", "email_verified", "phone_number_verified"] {
            attributes.remove(reserved);
        }
        let sub = if by_email || by_phone {
            username.clone()
        } else {
            uuid::Uuid::new_v4().to_string()
        };
        let mut user = User {
            username,
            sub: sub.clone(),
            attributes,
            salt: String::new(),
            verifier: String::new(),
            status: "UNCONFIRMED".into(),
            groups: Vec::new(),
            created: now(),
            sessions: Vec::new(),
            codes: BTreeMap::new(),
        };
        self.set_password(&mut user, password)?;
        let mut users = self.lock_users();
        let taken = self.find(&users, &given).is_some()
            || users.users.iter().any(|u| {
                self.settings.username_attributes.iter().any(|a| {
                    user.attributes.get(a).is_some_and(|v| {
                        u.attributes
                            .get(a)
                            .is_some_and(|w| w.eq_ignore_ascii_case(v))
                    })
                })
            });
        if taken {
            return Err(err(
                "UsernameExistsException",
                if by_email {
                    "An account with the given email already exists."
                } else {
                    "User already exists"
                },
            ));
        }
        if users.users.len() >= MAX_USERS {
            return Err(err(
                "LimitExceededException",
                "the sandbox's user pool is full",
            ));
        }
        let attribute = self.delivery_attribute(&user);
        let delivery = self.send_code(&mut user, "signup", &attribute);
        users.users.push(user);
        self.save(&users)?;
        Ok(json!({ "UserConfirmed": false, "UserSub": sub, "CodeDeliveryDetails": delivery }))
    }

    fn confirm_sign_up(&self, body: &Value) -> Result<Value, CognitoError> {
        let name = body["Username"].as_str().unwrap_or_default();
        let mut users = self.lock_users();
        let Some(i) = self.find(&users, name) else {
            // with user existence errors prevented, an unknown user is a wrong code
            return Err(if self.settings.prevent_user_existence_errors {
                err(
                    "CodeMismatchException",
                    "Invalid verification code provided, please try again.",
                )
            } else {
                err(
                    "UserNotFoundException",
                    "Username/client id combination not found.",
                )
            });
        };
        let user = &mut users.users[i];
        if user.status != "UNCONFIRMED" {
            return Err(not_authorized(&format!(
                "User cannot be confirmed. Current status is {}",
                user.status
            )));
        }
        self.take_code(user, "signup", body["ConfirmationCode"].as_str())?;
        user.status = "CONFIRMED".into();
        let attribute = self.delivery_attribute(user);
        user.attributes
            .insert(format!("{attribute}_verified"), "true".into());
        self.save(&users)?;
        Ok(json!({}))
    }

    fn resend_code(&self, body: &Value) -> Result<Value, CognitoError> {
        let name = body["Username"].as_str().unwrap_or_default();
        let mut users = self.lock_users();
        let Some(i) = self.find(&users, name) else {
            if self.settings.prevent_user_existence_errors {
                // answered as if a code went out
                return Ok(json!({ "CodeDeliveryDetails": {
                    "Destination": "***", "DeliveryMedium": "EMAIL", "AttributeName": "email" } }));
            }
            return Err(err(
                "UserNotFoundException",
                "Username/client id combination not found.",
            ));
        };
        let user = &mut users.users[i];
        if user.status != "UNCONFIRMED" {
            return Err(invalid("User is already confirmed."));
        }
        let attribute = self.delivery_attribute(user);
        let delivery = self.send_code(user, "signup", &attribute);
        self.save(&users)?;
        Ok(json!({ "CodeDeliveryDetails": delivery }))
    }

    fn flow_allowed(&self, flow: &str) -> bool {
        self.settings
            .flows
            .iter()
            .any(|f| f == &format!("ALLOW_{flow}"))
    }

    fn initiate_auth(&self, body: &Value) -> Result<Value, CognitoError> {
        let flow = body["AuthFlow"].as_str().unwrap_or_default();
        let params = &body["AuthParameters"];
        let flow_name = if flow == "REFRESH_TOKEN" {
            "REFRESH_TOKEN_AUTH"
        } else {
            flow
        };
        if !matches!(
            flow_name,
            "USER_SRP_AUTH" | "USER_PASSWORD_AUTH" | "REFRESH_TOKEN_AUTH"
        ) {
            return Err(invalid(format!(
                "the sandbox's user pool does not run the {flow} flow"
            )));
        }
        if !self.flow_allowed(flow_name) {
            return Err(invalid(format!(
                "{flow_name} flow not enabled for this client"
            )));
        }
        match flow_name {
            "USER_SRP_AUTH" => {
                let name = params["USERNAME"].as_str().unwrap_or_default();
                let a = params["SRP_A"]
                    .as_str()
                    .and_then(srp::from_hex)
                    .filter(|a| self.group.valid_client_public(a))
                    .ok_or_else(|| invalid("SRP_A is not a valid SRP value"))?;
                // read what is needed, then compute without holding the users
                let known = {
                    let users = self.lock_users();
                    self.find(&users, name).map(|i| {
                        let u = &users.users[i];
                        (u.username.clone(), u.salt.clone(), u.verifier.clone())
                    })
                };
                let (username, salt, verifier) = match known {
                    Some((u, s, v)) => {
                        (u, s, srp::from_hex(&v).ok_or_else(|| self.unknown_user())?)
                    }
                    // Cognito does not say a user is unknown here: a challenge
                    // no password answers (the answer is refused as a wrong one)
                    None if self.settings.prevent_user_existence_errors => (
                        name.to_string(),
                        srp::to_hex(&srp::random(16)),
                        srp::random(384),
                    ),
                    None => return Err(self.unknown_user()),
                };
                let b = srp::random(32);
                let big_b = self.group.server_public(&verifier, &b);
                let mut block = [0u8; 48];
                rand::RngCore::fill_bytes(&mut rand::rng(), &mut block);
                let secret_block = base64::engine::general_purpose::STANDARD.encode(block);
                self.remember(
                    secret_block.clone(),
                    Pending {
                        username: username.clone(),
                        srp: Some((a, big_b.clone(), b)),
                        expires: now() + SESSION_SECONDS,
                    },
                );
                Ok(json!({
                    "ChallengeName": "PASSWORD_VERIFIER",
                    "ChallengeParameters": {
                        "SALT": salt,
                        "SECRET_BLOCK": secret_block,
                        "SRP_B": srp::to_hex(&big_b),
                        "USERNAME": username,
                        "USER_ID_FOR_SRP": username,
                    },
                }))
            }
            "USER_PASSWORD_AUTH" => {
                let name = params["USERNAME"].as_str().unwrap_or_default();
                let password = params["PASSWORD"].as_str().unwrap_or_default();
                let mut users = self.lock_users();
                let i = self.find(&users, name).ok_or_else(|| self.unknown_user())?;
                if !self.password_matches(&users.users[i], password) {
                    return Err(not_authorized("Incorrect username or password."));
                }
                self.signed_in(&mut users, i)
            }
            _ => self.refresh(params["REFRESH_TOKEN"].as_str().unwrap_or_default()),
        }
    }

    /// New ID and access tokens for a live refresh token (`REFRESH_TOKEN_AUTH`,
    /// `GetTokensFromRefreshToken`); the refresh token stays the same.
    fn refresh(&self, token: &str) -> Result<Value, CognitoError> {
        let hash = hex_digest(token);
        let users = self.lock_users();
        let t = now();
        let (user, session) = users
            .users
            .iter()
            .find_map(|u| {
                u.sessions
                    .iter()
                    .find(|s| s.refresh == hash && s.expires > t)
                    .map(|s| (u, s))
            })
            .ok_or_else(|| not_authorized("Invalid Refresh Token"))?;
        Ok(
            json!({ "ChallengeParameters": {}, "AuthenticationResult": self.tokens(user, session, None) }),
        )
    }

    fn remember(&self, key: String, pending: Pending) {
        let mut map = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let t = now();
        map.retain(|_, p| p.expires > t);
        if map.len() >= MAX_PENDING
            && let Some(oldest) = map
                .iter()
                .min_by_key(|(_, p)| p.expires)
                .map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
        map.insert(key, pending);
    }

    fn take_pending(&self, key: &str) -> Option<Pending> {
        let mut map = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(key).filter(|p| p.expires > now())
    }

    /// A user who proved their password: a challenge if one is due, else tokens.
    fn signed_in(&self, users: &mut Users, i: usize) -> Result<Value, CognitoError> {
        let user = &mut users.users[i];
        match user.status.as_str() {
            "UNCONFIRMED" => Err(err("UserNotConfirmedException", "User is not confirmed.")),
            "FORCE_CHANGE_PASSWORD" => {
                let mut session = [0u8; 48];
                rand::RngCore::fill_bytes(&mut rand::rng(), &mut session);
                let session = base64::engine::general_purpose::STANDARD.encode(session);
                let username = user.username.clone();
                let attributes = Value::Object(
                    user.attributes
                        .iter()
                        .filter(|(k, _)| !k.ends_with("_verified"))
                        .map(|(k, v)| (k.clone(), json!(v)))
                        .collect(),
                );
                self.remember(
                    session.clone(),
                    Pending {
                        username: username.clone(),
                        srp: None,
                        expires: now() + SESSION_SECONDS,
                    },
                );
                Ok(json!({
                    "ChallengeName": "NEW_PASSWORD_REQUIRED",
                    "Session": session,
                    "ChallengeParameters": {
                        "USER_ID_FOR_SRP": username,
                        "requiredAttributes": "[]",
                        "userAttributes": attributes.to_string(),
                    },
                }))
            }
            _ => {
                let (session, refresh) = self.new_session(user);
                let result = self.tokens(user, &session, Some(refresh));
                self.save(users)?;
                Ok(json!({ "ChallengeParameters": {}, "AuthenticationResult": result }))
            }
        }
    }

    fn respond_to_challenge(&self, body: &Value) -> Result<Value, CognitoError> {
        let responses = &body["ChallengeResponses"];
        match body["ChallengeName"].as_str().unwrap_or_default() {
            "PASSWORD_VERIFIER" => {
                let block_text = responses["PASSWORD_CLAIM_SECRET_BLOCK"]
                    .as_str()
                    .unwrap_or_default();
                let pending = self
                    .take_pending(block_text)
                    .ok_or_else(|| not_authorized("Incorrect username or password."))?;
                let (a, big_b, b) = pending
                    .srp
                    .ok_or_else(|| not_authorized("Incorrect username or password."))?;
                let timestamp = responses["TIMESTAMP"].as_str().unwrap_or_default();
                let signature = responses["PASSWORD_CLAIM_SIGNATURE"]
                    .as_str()
                    .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
                    .unwrap_or_default();
                let block = base64::engine::general_purpose::STANDARD
                    .decode(block_text)
                    .unwrap_or_default();
                let wrong = || not_authorized("Incorrect username or password.");
                // the arithmetic without holding the users
                let verifier = {
                    let users = self.lock_users();
                    let i = self.find(&users, &pending.username).ok_or_else(wrong)?;
                    users.users[i].verifier.clone()
                };
                let verifier = srp::from_hex(&verifier).ok_or_else(wrong)?;
                let key = self
                    .group
                    .session_key(&a, &big_b, &verifier, &b)
                    .ok_or_else(wrong)?;
                let expected =
                    srp::Group::claim(&key, self.pool_name(), &pending.username, &block, timestamp);
                if !super::sigv4::constant_time_eq(&expected, &signature) || timestamp.is_empty() {
                    return Err(wrong());
                }
                let mut users = self.lock_users();
                let i = self.find(&users, &pending.username).ok_or_else(wrong)?;
                self.signed_in(&mut users, i)
            }
            "NEW_PASSWORD_REQUIRED" => {
                let session = body["Session"].as_str().unwrap_or_default();
                let pending = self
                    .take_pending(session)
                    .filter(|p| p.srp.is_none())
                    .ok_or_else(|| {
                        not_authorized("Invalid session for the user, session is expired.")
                    })?;
                let password = responses["NEW_PASSWORD"].as_str().unwrap_or_default();
                let mut users = self.lock_users();
                let i = self
                    .find(&users, &pending.username)
                    .ok_or_else(|| self.unknown_user())?;
                self.set_password(&mut users.users[i], password)?;
                users.users[i].status = "CONFIRMED".into();
                self.signed_in(&mut users, i)
            }
            other => Err(invalid(format!(
                "the sandbox's user pool does not answer the {other} challenge"
            ))),
        }
    }

    fn forgot_password(&self, body: &Value) -> Result<Value, CognitoError> {
        let name = body["Username"].as_str().unwrap_or_default();
        let mut users = self.lock_users();
        let Some(i) = self.find(&users, name) else {
            if self.settings.prevent_user_existence_errors {
                // Cognito answers as if a code went out
                return Ok(
                    json!({ "CodeDeliveryDetails": { "Destination": "***", "DeliveryMedium": "EMAIL", "AttributeName": "email" } }),
                );
            }
            return Err(err(
                "UserNotFoundException",
                "Username/client id combination not found.",
            ));
        };
        let user = &mut users.users[i];
        let attribute = self.delivery_attribute(user);
        let delivery = self.send_code(user, "reset", &attribute);
        self.save(&users)?;
        Ok(json!({ "CodeDeliveryDetails": delivery }))
    }

    fn confirm_forgot_password(&self, body: &Value) -> Result<Value, CognitoError> {
        let name = body["Username"].as_str().unwrap_or_default();
        let mut users = self.lock_users();
        let i = self.find(&users, name).ok_or_else(|| {
            err(
                "CodeMismatchException",
                "Invalid verification code provided, please try again.",
            )
        })?;
        let user = &mut users.users[i];
        self.take_code(user, "reset", body["ConfirmationCode"].as_str())?;
        self.set_password(user, body["Password"].as_str().unwrap_or_default())?;
        user.sessions.clear();
        self.save(&users)?;
        Ok(json!({}))
    }

    /// The `sub` of a valid access token in the body.
    fn access_subject(&self, body: &Value) -> Result<String, CognitoError> {
        let token = body["AccessToken"].as_str().unwrap_or_default();
        let claims = self
            .verify_live(token, Some("access"))
            .ok_or_else(|| not_authorized("Access Token has been revoked"))?;
        Ok(claims
            .get("sub")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string())
    }

    fn with_access_token(
        &self,
        body: &Value,
        f: impl FnOnce(&mut User, &UserPool) -> Result<Value, CognitoError>,
    ) -> Result<Value, CognitoError> {
        let sub = self.access_subject(body)?;
        let mut users = self.lock_users();
        let user = users
            .users
            .iter_mut()
            .find(|u| u.sub == sub)
            .ok_or_else(|| not_authorized("Access Token has been revoked"))?;
        let out = f(user, self)?;
        self.save(&users)?;
        Ok(out)
    }

    fn update_attributes(&self, body: &Value) -> Result<Value, CognitoError> {
        let given = self.attributes_of(body, "UserAttributes")?;
        let sub = self.access_subject(body)?;
        let mut users = self.lock_users();
        // a sign-in attribute belongs to one user (Cognito: AliasExistsException)
        for (name, value) in &given {
            if self.settings.username_attributes.contains(name)
                && users.users.iter().any(|u| {
                    u.sub != sub
                        && u.attributes
                            .get(name)
                            .is_some_and(|v| v.eq_ignore_ascii_case(value))
                })
            {
                return Err(err(
                    "AliasExistsException",
                    "An account with the given email already exists.",
                ));
            }
        }
        let user = users
            .users
            .iter_mut()
            .find(|u| u.sub == sub)
            .ok_or_else(|| not_authorized("Access Token has been revoked"))?;
        let mut deliveries = Vec::new();
        for (name, value) in given {
            if matches!(
                name.as_str(),
                "sub" | "email_verified" | "phone_number_verified"
            ) {
                return Err(invalid(format!(
                    "Cannot modify the non-mutable attribute {name}"
                )));
            }
            let changed = user.attributes.get(&name) != Some(&value);
            user.attributes.insert(name.clone(), value);
            if changed && self.settings.auto_verified.contains(&name) {
                user.attributes
                    .insert(format!("{name}_verified"), "false".into());
                deliveries.push(self.send_code(user, &format!("verify:{name}"), &name));
            }
        }
        self.save(&users)?;
        Ok(json!({ "CodeDeliveryDetailsList": deliveries }))
    }

    fn admin_user(
        &self,
        body: &Value,
        f: impl FnOnce(&mut User, &UserPool) -> Result<Value, CognitoError>,
    ) -> Result<Value, CognitoError> {
        let name = body["Username"].as_str().unwrap_or_default();
        let mut users = self.lock_users();
        let i = self
            .find(&users, name)
            .ok_or_else(|| err("UserNotFoundException", "User does not exist."))?;
        let out = f(&mut users.users[i], self)?;
        self.save(&users)?;
        Ok(out)
    }

    fn admin_create_user(&self, body: &Value) -> Result<Value, CognitoError> {
        let given = body["Username"].as_str().unwrap_or_default();
        let mut attributes = self.attributes_of(body, "UserAttributes")?;
        let by_email = self
            .settings
            .username_attributes
            .iter()
            .any(|a| a == "email");
        let username = if by_email {
            if !given.contains('@') {
                return Err(invalid("Username should be an email."));
            }
            attributes
                .entry("email".into())
                .or_insert_with(|| given.to_string());
            attributes.insert("email_verified".into(), "true".into());
            uuid::Uuid::new_v4().to_string()
        } else {
            given.to_string()
        };
        let mut users = self.lock_users();
        if self.find(&users, given).is_some() {
            return Err(err(
                "UsernameExistsException",
                "User account already exists",
            ));
        }
        let sub = if by_email {
            username.clone()
        } else {
            uuid::Uuid::new_v4().to_string()
        };
        let mut user = User {
            username,
            sub,
            attributes,
            salt: String::new(),
            verifier: String::new(),
            status: "FORCE_CHANGE_PASSWORD".into(),
            groups: Vec::new(),
            created: now(),
            sessions: Vec::new(),
            codes: BTreeMap::new(),
        };
        let temporary = body["TemporaryPassword"].as_str().unwrap_or_default();
        self.set_password(&mut user, temporary)?;
        let view = self.admin_view(&user);
        users.users.push(user);
        self.save(&users)?;
        Ok(json!({ "User": view }))
    }

    fn admin_view(&self, user: &User) -> Value {
        json!({
            "Username": user.username,
            "Attributes": self.attribute_list(user),
            "UserStatus": user.status,
            "Enabled": true,
            "UserCreateDate": user.created,
        })
    }

    fn attribute_list(&self, user: &User) -> Vec<Value> {
        let mut list = vec![json!({ "Name": "sub", "Value": user.sub })];
        list.extend(
            user.attributes
                .iter()
                .map(|(k, v)| json!({ "Name": k, "Value": v })),
        );
        list
    }

    fn describe(&self, user: &User) -> Value {
        json!({ "Username": user.username, "UserAttributes": self.attribute_list(user) })
    }

    /// A new sign-in session for `user`, and its refresh token.
    fn new_session(&self, user: &mut User) -> (Session, String) {
        let mut bytes = [0u8; 64];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let t = now();
        user.sessions.retain(|s| s.expires > t);
        if user.sessions.len() >= MAX_SESSIONS {
            user.sessions.remove(0);
        }
        let session = Session {
            origin_jti: uuid::Uuid::new_v4().to_string(),
            refresh: hex_digest(&token),
            auth_time: t,
            expires: t + self.settings.refresh_token_seconds,
        };
        user.sessions.push(session.clone());
        (session, token)
    }

    /// ID and access tokens for `user` (and the refresh token, when one was made).
    fn tokens(&self, user: &User, session: &Session, refresh: Option<String>) -> Value {
        let t = now();
        let jti = || uuid::Uuid::new_v4().to_string();
        let origin = &session.origin_jti;
        let mut id = Map::new();
        // the user's attributes first; the claims that say who it is and what
        // it may do are the pool's, written over them
        for (k, v) in &user.attributes {
            let value = match v.as_str() {
                "true" if k.ends_with("_verified") => json!(true),
                "false" if k.ends_with("_verified") => json!(false),
                _ => json!(v),
            };
            id.insert(k.clone(), value);
        }
        id.remove("cognito:groups");
        if !user.groups.is_empty() {
            id.insert("cognito:groups".into(), json!(user.groups));
        }
        for (k, v) in [
            ("sub", json!(user.sub)),
            ("iss", json!(self.issuer)),
            ("cognito:username", json!(user.username)),
            ("origin_jti", json!(origin)),
            ("aud", json!(self.client_id)),
            ("event_id", json!(jti())),
            ("token_use", json!("id")),
            ("auth_time", json!(session.auth_time)),
            ("exp", json!(t + self.settings.id_token_seconds)),
            ("iat", json!(t)),
            ("jti", json!(jti())),
        ] {
            id.insert(k.into(), v);
        }
        let mut access = json!({
            "sub": user.sub,
            "iss": self.issuer,
            "client_id": self.client_id,
            "origin_jti": origin,
            "event_id": jti(),
            "token_use": "access",
            "scope": "aws.cognito.signin.user.admin",
            "auth_time": session.auth_time,
            "exp": t + self.settings.access_token_seconds,
            "iat": t,
            "jti": jti(),
            "username": user.username,
        });
        if !user.groups.is_empty() {
            access["cognito:groups"] = json!(user.groups);
        }
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.key.kid.clone());
        let sign = |claims: &Value| {
            jsonwebtoken::encode(&header, claims, &self.key.encoding).unwrap_or_default()
        };
        let mut out = json!({
            "AccessToken": sign(&access),
            "ExpiresIn": self.settings.access_token_seconds,
            "TokenType": "Bearer",
            "IdToken": sign(&Value::Object(id)),
        });
        if let Some(r) = refresh {
            out["RefreshToken"] = json!(r);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(codes: Arc<Mutex<Vec<String>>>) -> UserPool {
        let (key, _) = PoolKey::load_or_make(None).unwrap();
        UserPool::open(
            "us-east-1_hoistsbx",
            "client",
            "http://127.0.0.1:1/us-east-1_hoistsbx",
            PoolSettings::default(),
            key,
            None,
            Arc::new(move |m: &str| codes.lock().unwrap().push(m.to_string())),
        )
        .unwrap()
    }

    fn srp_sign_in(pool: &UserPool, name: &str, password: &str) -> Result<Value, CognitoError> {
        let a = srp::random(128);
        let group = srp::Group::new();
        let start = pool.call("InitiateAuth", &json!({
            "ClientId": "client", "AuthFlow": "USER_SRP_AUTH",
            "AuthParameters": { "USERNAME": name, "SRP_A": srp::to_hex(&group.client_public(&a)) },
        }))?;
        let p = &start["ChallengeParameters"];
        let salt = srp::from_hex(p["SALT"].as_str().unwrap()).unwrap();
        let big_b = srp::from_hex(p["SRP_B"].as_str().unwrap()).unwrap();
        let user_id = p["USER_ID_FOR_SRP"].as_str().unwrap();
        let (_, key) = group.client_key(&a, &big_b, "hoistsbx", user_id, password, &salt);
        let block_text = p["SECRET_BLOCK"].as_str().unwrap();
        let block = base64::engine::general_purpose::STANDARD
            .decode(block_text)
            .unwrap();
        let timestamp = "Mon Nov 30 16:00:00 UTC 2026";
        let claim = srp::Group::claim(&key, "hoistsbx", user_id, &block, timestamp);
        pool.call("RespondToAuthChallenge", &json!({
            "ClientId": "client", "ChallengeName": "PASSWORD_VERIFIER",
            "ChallengeResponses": {
                "USERNAME": user_id, "PASSWORD_CLAIM_SECRET_BLOCK": block_text, "TIMESTAMP": timestamp,
                "PASSWORD_CLAIM_SIGNATURE": base64::engine::general_purpose::STANDARD.encode(claim),
            },
        }))
    }

    /// Sign up, confirm with the printed code, sign in with SRP, read the
    /// user, refresh, sign out everywhere: each step as Cognito answers it.
    #[test]
    fn a_user_signs_up_and_in_as_with_cognito() {
        let codes = Arc::new(Mutex::new(Vec::new()));
        let pool = pool(codes.clone());
        let up = json!({ "ClientId": "client", "Username": "ada@example.com", "Password": "Secret-123",
            "UserAttributes": [{ "Name": "email", "Value": "ada@example.com" }] });
        let out = pool.call("SignUp", &up).unwrap();
        assert_eq!(out["UserConfirmed"], false);
        assert_eq!(out["CodeDeliveryDetails"]["Destination"], "a***@e***");
        assert_eq!(
            pool.call("SignUp", &up).unwrap_err().kind,
            "UsernameExistsException"
        );
        let weak =
            json!({ "ClientId": "client", "Username": "bob@example.com", "Password": "secret" });
        assert_eq!(
            pool.call("SignUp", &weak).unwrap_err().kind,
            "InvalidPasswordException"
        );
        assert_eq!(
            pool.call("SignUp", &json!({ "ClientId": "other", "Username": "c@example.com", "Password": "Secret-123" })).unwrap_err().kind,
            "ResourceNotFoundException"
        );
        // not confirmed yet: the password is right, the user may not sign in
        assert_eq!(
            srp_sign_in(&pool, "ada@example.com", "Secret-123")
                .unwrap_err()
                .kind,
            "UserNotConfirmedException"
        );
        let printed = codes.lock().unwrap().last().cloned().unwrap();
        let code = printed.rsplit(' ').next().unwrap().to_string();
        assert!(
            printed.starts_with("confirmation code for ada@example.com: "),
            "{printed}"
        );
        let confirm = |c: &str| {
            pool.call("ConfirmSignUp", &json!({ "ClientId": "client", "Username": "ada@example.com", "ConfirmationCode": c }))
        };
        assert_eq!(
            confirm("000000x").unwrap_err().kind,
            "CodeMismatchException"
        );
        confirm(&code).unwrap();

        assert_eq!(
            srp_sign_in(&pool, "ada@example.com", "Secret-124")
                .unwrap_err()
                .kind,
            "NotAuthorizedException"
        );
        assert_eq!(
            srp_sign_in(&pool, "nobody@example.com", "Secret-123")
                .unwrap_err()
                .kind,
            "NotAuthorizedException"
        );
        let result = srp_sign_in(&pool, "ADA@example.com", "Secret-123").unwrap();
        let tokens = &result["AuthenticationResult"];
        let id = pool
            .verify(tokens["IdToken"].as_str().unwrap(), Some("id"))
            .unwrap();
        assert_eq!(id["email"], "ada@example.com");
        assert_eq!(id["email_verified"], true);
        assert_eq!(id["cognito:username"], id["sub"]);
        assert!(
            pool.verify(tokens["IdToken"].as_str().unwrap(), Some("access"))
                .is_none()
        );
        let access = tokens["AccessToken"].as_str().unwrap();
        let me = pool
            .call("GetUser", &json!({ "AccessToken": access }))
            .unwrap();
        assert_eq!(me["Username"], id["sub"]);
        // USER_PASSWORD_AUTH is not among the client's flows, as deployed
        let plain = json!({ "ClientId": "client", "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": { "USERNAME": "ada@example.com", "PASSWORD": "Secret-123" } });
        assert_eq!(
            pool.call("InitiateAuth", &plain).unwrap_err().kind,
            "InvalidParameterException"
        );
        let refresh = json!({ "ClientId": "client", "AuthFlow": "REFRESH_TOKEN_AUTH",
            "AuthParameters": { "REFRESH_TOKEN": tokens["RefreshToken"] } });
        let again = pool.call("InitiateAuth", &refresh).unwrap();
        assert!(again["AuthenticationResult"]["IdToken"].is_string());
        assert!(again["AuthenticationResult"]["RefreshToken"].is_null());
        // a tampered token is refused
        let mut parts: Vec<String> = access.split('.').map(str::to_string).collect();
        parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b"{\"sub\":\"x\"}");
        assert!(pool.verify(&parts.join("."), None).is_none());
        pool.call("GlobalSignOut", &json!({ "AccessToken": access }))
            .unwrap();
        assert!(pool.verify_live(access, None).is_none());
        assert_eq!(
            pool.call("GetUser", &json!({ "AccessToken": access }))
                .unwrap_err()
                .kind,
            "NotAuthorizedException"
        );
        assert_eq!(
            pool.call("InitiateAuth", &refresh).unwrap_err().kind,
            "NotAuthorizedException"
        );
        // signing in again at once gives live tokens (sessions, not timestamps)
        let again = srp_sign_in(&pool, "ada@example.com", "Secret-123").unwrap();
        let fresh = again["AuthenticationResult"]["AccessToken"]
            .as_str()
            .unwrap();
        assert!(
            pool.call("GetUser", &json!({ "AccessToken": fresh }))
                .is_ok()
        );
        // RevokeToken ends that session's access token too
        pool.call(
            "RevokeToken",
            &json!({ "ClientId": "client", "Token": again["AuthenticationResult"]["RefreshToken"] }),
        )
        .unwrap();
        assert!(
            pool.call("GetUser", &json!({ "AccessToken": fresh }))
                .is_err()
        );
    }

    /// A user cannot put claims in their tokens through attributes, and codes
    /// cannot be guessed: five wrong ones spend the code.
    #[test]
    fn attributes_cannot_forge_claims_and_codes_cannot_be_guessed() {
        let codes = Arc::new(Mutex::new(Vec::new()));
        let pool = pool(codes.clone());
        for name in ["cognito:groups", "username", "sub", "custom:role"] {
            let up = json!({ "ClientId": "client", "Username": "eve@example.com", "Password": "Secret-123",
                "UserAttributes": [{ "Name": name, "Value": "Admin" }] });
            assert_eq!(
                pool.call("SignUp", &up).unwrap_err().kind,
                "InvalidParameterException",
                "{name}"
            );
        }
        let up = json!({ "ClientId": "client", "Username": "eve@example.com", "Password": "Secret-123" });
        pool.call("SignUp", &up).unwrap();
        let code = codes
            .lock()
            .unwrap()
            .last()
            .unwrap()
            .rsplit(' ')
            .next()
            .unwrap()
            .to_string();
        let confirm = |c: &str| {
            pool.call(
                "ConfirmSignUp",
                &json!({ "ClientId": "client", "Username": "eve@example.com", "ConfirmationCode": c }),
            )
        };
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for _ in 0..4 {
            assert_eq!(confirm(wrong).unwrap_err().kind, "CodeMismatchException");
        }
        assert_eq!(confirm(wrong).unwrap_err().kind, "LimitExceededException");
        // the right code is spent with the fifth wrong guess
        assert_eq!(confirm(&code).unwrap_err().kind, "ExpiredCodeException");
        // an unknown user is a wrong code, not a revealed absence
        let unknown = pool.call(
            "ConfirmSignUp",
            &json!({ "ClientId": "client", "Username": "x@example.com", "ConfirmationCode": "123456" }),
        );
        assert_eq!(unknown.unwrap_err().kind, "CodeMismatchException");
    }

    #[test]
    fn the_template_sets_the_pool() {
        let template = json!({ "Resources": {
            "UserPool": { "Type": "AWS::Cognito::UserPool", "Properties": {
                "Policies": { "PasswordPolicy": { "MinimumLength": 12, "RequireSymbols": false } },
                "Schema": [{ "Name": "email", "Required": true }, { "Name": "name", "Required": true }],
                "AdminCreateUserConfig": { "AllowAdminCreateUserOnly": true } } },
            "Client": { "Type": "AWS::Cognito::UserPoolClient", "Properties": {
                "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"], "AccessTokenValidity": 5,
                "TokenValidityUnits": { "AccessToken": "minutes" } } },
            "Admins": { "Type": "AWS::Cognito::UserPoolGroup", "Properties": { "GroupName": "Admin", "Precedence": 1 } },
        }});
        let s = PoolSettings::from_template(&template, "eu-west-1").unwrap();
        assert_eq!(
            (s.min_length, s.require_symbols, s.self_sign_up),
            (12, false, false)
        );
        assert_eq!(s.required_attributes, ["email", "name"]);
        assert_eq!(s.access_token_seconds, 300);
        assert_eq!(s.groups, [("Admin".to_string(), 1)]);
        assert_eq!(
            s.password_problem("short"),
            Some("Password not long enough")
        );
    }
}
