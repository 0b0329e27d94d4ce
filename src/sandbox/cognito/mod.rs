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
//!   `PASSWORD_VERIFIER`, `NEW_PASSWORD_REQUIRED`, `SOFTWARE_TOKEN_MFA` and
//!   `MFA_SETUP`.
//! - TOTP MFA: `AssociateSoftwareToken`, `VerifySoftwareToken`,
//!   `SetUserMFAPreference` (see [`mfa`]).
//! - The signed-in user: `GetUser`, `UpdateUserAttributes`,
//!   `VerifyUserAttribute`, `GetUserAttributeVerificationCode`,
//!   `ChangePassword`, `GlobalSignOut`, `RevokeToken`, `DeleteUser`;
//!   `ForgotPassword` and `ConfirmForgotPassword`.
//! - The admin operations `ListUsers`, `AdminCreateUser`,
//!   `AdminSetUserPassword`, `AdminAddUserToGroup`, `AdminListGroupsForUser`,
//!   `AdminDeleteUser`, `AdminConfirmSignUp`: the endpoint takes them only signed (SigV4) with
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

use jsonwebtoken::{Algorithm, Validation};
use num_bigint::BigUint;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::srp;

mod admin;
mod keys;
mod mfa;
mod settings;
mod sign_in;
mod sign_up;
#[cfg(test)]
mod tests;
mod triggers;

pub use keys::PoolKey;
pub use settings::PoolSettings;

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
    /// TOTP MFA.
    #[serde(default)]
    mfa: mfa::Totp,
    /// `AdminDisableUser`: no sign-in, no refresh, until `AdminEnableUser`.
    #[serde(default)]
    disabled: bool,
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
    /// The challenge it waits on (`PASSWORD_VERIFIER`, `NEW_PASSWORD_REQUIRED`,
    /// `SOFTWARE_TOKEN_MFA`, `MFA_SETUP`, or `MFA_SETUP_DONE` once verified).
    challenge: &'static str,
    /// Wrong answers so far.
    attempts: u32,
    expires: u64,
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
    /// The pool's Lambda triggers, run by the sandbox's functions.
    triggers: Option<LambdaTriggers>,
}

/// A user pool's Lambda triggers: `LambdaConfig` key (`PreSignUp`) to the
/// function's name, and how to invoke one (the sandbox's function host):
/// its answer, or its error's type and message.
#[derive(Clone)]
pub struct LambdaTriggers {
    pub functions: std::collections::BTreeMap<String, String>,
    #[allow(clippy::type_complexity)]
    pub invoke: Arc<dyn Fn(&str, Value) -> Result<Value, (String, String)> + Send + Sync>,
}

/// The ARN of the sandbox's user pool `pool_id` in `region`.
pub fn pool_arn(region: &str, pool_id: &str) -> String {
    format!(
        "arn:aws:cognito-idp:{region}:{}:userpool/{pool_id}",
        super::auth::ACCOUNT_ID
    )
}

/// The operations Cognito takes only signed with IAM credentials: the
/// sandbox administrator's, or a function role's whose statements allow it.
pub fn is_admin_operation(operation: &str) -> bool {
    operation.starts_with("Admin")
        || matches!(
            operation,
            "ListUsers" | "ListUsersInGroup" | "ListGroups" | "DescribeUserPool"
        )
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
            triggers: None,
        })
    }

    /// The pool with its Lambda triggers (`LambdaConfig`).
    pub fn with_triggers(mut self, triggers: LambdaTriggers) -> Self {
        self.triggers = Some(triggers);
        self
    }

    /// Run the trigger `key` (`PreSignUp`) if the pool has one: the event as
    /// Cognito sends it ("Lambda trigger common parameters": version,
    /// triggerSource, region, userPoolId, userName, callerContext, request,
    /// response), and the function's answer. None when the pool has no such
    /// trigger.
    ///
    /// Errors: `UserLambdaValidationException`, "<Key> failed with error
    /// <message>.", as Cognito reports a trigger that failed.
    pub(crate) fn run_trigger(
        &self,
        key: &str,
        source: &str,
        user_name: &str,
        request: Value,
        response: Value,
        client_id: &str,
    ) -> Result<Option<Value>, CognitoError> {
        let Some(triggers) = &self.triggers else {
            return Ok(None);
        };
        let Some(function) = triggers.functions.get(key) else {
            return Ok(None);
        };
        let event = json!({
            "version": "1",
            "triggerSource": source,
            "region": self.settings.region,
            "userPoolId": self.pool_id,
            "userName": user_name,
            "callerContext": { "awsSdkVersion": "hoist-sandbox", "clientId": client_id },
            "request": request,
            "response": response,
        });
        let answer = (triggers.invoke)(function, event).map_err(|(kind, message)| {
            // the function's own error refuses; the sandbox's failure to run
            // it (no answer in 5 s, a build that failed) is Cognito's
            // "unexpected" one
            let unexpected = kind == "ExecutionTimeout"
                || kind == "ServiceException"
                || kind == "Sandbox.Timedout"
                || kind.starts_with("Lambda:");
            if unexpected {
                err(
                    "UnexpectedLambdaException",
                    format!("{key} invocation failed due to error {kind}: {message}"),
                )
            } else {
                err(
                    "UserLambdaValidationException",
                    format!("{key} failed with error {message}."),
                )
            }
        })?;
        // the answer is the event, with its response filled in
        if !answer["response"].is_object() {
            return Err(err(
                "InvalidLambdaResponseException",
                "Unrecognizable lambda output",
            ));
        }
        Ok(Some(answer))
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
    /// `AWSCognitoIdentityProviderService.` prefix), and then the user pool
    /// triggers that follow it (see [`triggers`]).
    pub fn call(&self, target: &str, body: &Value) -> Result<Value, CognitoError> {
        // what a call that failed or panicked on this thread left is never sent
        triggers::discard();
        self.before_operation(target, body)?;
        let out = match self.operation(target, body) {
            Ok(out) => out,
            Err(e) => {
                triggers::discard();
                return Err(e);
            }
        };
        // the codes it made are sent (through the custom message trigger)
        self.deliver(target, body)?;
        self.after_operation(target, body, out)
    }

    /// One operation, without the triggers that follow it.
    fn operation(&self, target: &str, body: &Value) -> Result<Value, CognitoError> {
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
            "GetUser" => self.with_access_token(body, |user, _| {
                let mut out = self.describe(user);
                if let (Some(out), Some(mfa)) =
                    (out.as_object_mut(), self.mfa_settings(user).as_object())
                {
                    out.extend(mfa.clone());
                }
                Ok(out)
            }),
            "AssociateSoftwareToken" => self.associate_software_token(body),
            "VerifySoftwareToken" => self.verify_software_token(body),
            "SetUserMFAPreference" => self.set_mfa_preference(body),
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
                if user.status != "UNCONFIRMED" {
                    return Err(not_authorized(&format!(
                        "User cannot be confirmed. Current status is {}",
                        user.status
                    )));
                }
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
            "AdminListGroupsForUser" => {
                let name = body["Username"].as_str().unwrap_or_default();
                let users = self.lock_users();
                let user = self
                    .find(&users, name)
                    .map(|i| &users.users[i])
                    .ok_or_else(|| err("UserNotFoundException", "User does not exist."))?;
                let groups: Vec<Value> = user
                    .groups
                    .iter()
                    .map(|g| {
                        let precedence = self
                            .settings
                            .groups
                            .iter()
                            .find(|(name, _)| name == g)
                            .map(|(_, p)| *p);
                        json!({ "GroupName": g, "UserPoolId": self.pool_id, "Precedence": precedence })
                    })
                    .collect();
                Ok(json!({ "Groups": groups }))
            }
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
            other => self.admin_call(other, body).unwrap_or_else(|| {
                Err(err(
                    "UnknownOperationException",
                    format!("the sandbox's user pool does not run `{other}`"),
                ))
            }),
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
        // delivered once the operation is done (the custom message trigger
        // runs with the pool's users unlocked)
        triggers::post(triggers::Message {
            source: purpose.to_string(),
            username: user.username.clone(),
            to: to.clone(),
            by_email: attribute != "phone_number",
            code,
            what,
        });
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

    fn admin_view(&self, user: &User) -> Value {
        json!({
            "Username": user.username,
            "Attributes": self.attribute_list(user),
            "UserStatus": user.status,
            "Enabled": !user.disabled,
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
}
