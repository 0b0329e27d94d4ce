//! Who a request to the sandbox's endpoint is: the api key, or a token the
//! sandbox issued, checked as AppSync checks them, and the `ctx.identity`
//! AppSync gives each mode (AWS AppSync Developer Guide, "Configuring
//! authorization and authentication", "Resolver context object reference:
//! identity").
//!
//! The sandbox's secrets (its api key and the key its tokens are signed with)
//! are made on first start and kept in `secrets.json` in its data folder,
//! readable by the owner only. Tokens are HS256 JWTs with the claims Cognito
//! puts in an ID token (`sub`, `cognito:username`, `cognito:groups`,
//! `token_use`, `iss`, `aud`, `exp`, `iat`); the sandbox's OIDC issuer signs
//! the same way with its own `iss`.

use std::path::Path;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Value, json};

use super::api::Caller;
use crate::category::api::AuthMode;
use crate::error::FsError;

const SECRETS_FILE: &str = "secrets.json";

/// The sandbox's api key and token signing key.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct Secrets {
    /// An AppSync-shaped key: `da2-` and 26 lowercase letters and digits.
    pub api_key: String,
    /// 32 random bytes, hex.
    signing_key: String,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets { .. }")
    }
}

fn random_chars(n: usize, alphabet: &[u8]) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..n)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect()
}

impl Secrets {
    /// Read `secrets.json` in `dir`, or make it (mode 0600 on Unix).
    ///
    /// Errors: an unreadable or unwritable file; a file that is not ours is
    /// replaced only if it does not parse.
    pub fn load_or_create(dir: &Path) -> Result<Secrets, FsError> {
        let path = dir.join(SECRETS_FILE);
        if let Ok(text) = std::fs::read_to_string(&path)
            && let Ok(secrets) = serde_json::from_str::<Secrets>(&text)
        {
            return Ok(secrets);
        }
        // a file that does not parse is replaced; one we cannot read is an error
        if let Err(e) = std::fs::read(&path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            return Err(FsError::new("read", &path, e));
        }
        let secrets = Secrets {
            api_key: format!(
                "da2-{}",
                random_chars(26, b"abcdefghijklmnopqrstuvwxyz0123456789")
            ),
            signing_key: random_chars(64, b"0123456789abcdef"),
        };
        std::fs::create_dir_all(dir).map_err(|e| FsError::new("create", dir, e))?;
        let bytes = serde_json::to_vec_pretty(&secrets).unwrap_or_default();
        write_private(&path, &bytes).map_err(|e| FsError::new("write", &path, e))?;
        Ok(secrets)
    }
}

/// Write a new file readable by its owner only, whole or not at all: a
/// temporary file (created 0600) renamed over `path`.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Claims `--claim` may not set: the ones that make a token valid.
pub const RESERVED_CLAIMS: &[&str] = &[
    "iss",
    "aud",
    "exp",
    "iat",
    "nbf",
    "sub",
    "token_use",
    "auth_time",
    "cognito:username",
    "cognito:groups",
    "username",
];

/// Why a request was refused before any field ran (AppSync answers 401 with
/// `UnauthorizedException`).
#[derive(Debug, Clone, PartialEq)]
pub struct Denied {
    pub message: String,
}

impl Denied {
    fn new(message: &str) -> Denied {
        Denied {
            message: message.to_string(),
        }
    }
}

/// The token a caller asks `hoist sandbox token` for.
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    pub username: String,
    pub groups: Vec<String>,
    /// Extra claims (an email, custom attributes), merged in.
    pub claims: serde_json::Map<String, Value>,
    /// An OIDC token instead of a user-pool one.
    pub oidc: bool,
    /// Seconds the token lives.
    pub lifetime: u64,
}

/// The endpoint's authorities: the api's modes and the sandbox's secrets.
pub struct Authority {
    modes: Vec<AuthMode>,
    secrets: Secrets,
    user_pool_issuer: String,
    oidc_issuer: String,
}

/// The user pool's client id in tokens the sandbox issues (`aud`).
pub const CLIENT_ID: &str = "hoistsandboxclient";

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

impl Authority {
    /// `env` names the issuers (`https://hoist-sandbox.invalid/<env>/user-pool`
    /// and `.../oidc`: never resolvable, so a sandbox token is never taken
    /// for a cloud one).
    pub fn new(modes: Vec<AuthMode>, secrets: Secrets, env: &str) -> Authority {
        Authority {
            modes,
            secrets,
            user_pool_issuer: format!("https://hoist-sandbox.invalid/{env}/user-pool"),
            oidc_issuer: format!("https://hoist-sandbox.invalid/{env}/oidc"),
        }
    }

    pub fn modes(&self) -> &[AuthMode] {
        &self.modes
    }

    fn mode_names(&self) -> String {
        self.modes
            .iter()
            .map(|m| m.appsync())
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn api_key(&self) -> &str {
        &self.secrets.api_key
    }

    fn key(&self) -> &[u8] {
        self.secrets.signing_key.as_bytes()
    }

    /// A signed token for `request` (an HS256 JWT).
    pub fn mint(&self, request: &TokenRequest) -> String {
        let iat = now();
        let sub = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, request.username.as_bytes());
        let mut claims = json!({
            "sub": sub.to_string(),
            "iss": if request.oidc { &self.oidc_issuer } else { &self.user_pool_issuer },
            "aud": CLIENT_ID,
            "iat": iat,
            "auth_time": iat,
            "exp": iat + request.lifetime.max(1),
        });
        claims["username"] = json!(request.username);
        if !request.oidc {
            claims["token_use"] = json!("id");
            claims["cognito:username"] = json!(request.username);
        }
        // Amplify's group rules read `cognito:groups` unless told another
        // claim, for OIDC too (`groupClaim`'s default)
        if !request.groups.is_empty() {
            claims["cognito:groups"] = json!(request.groups);
        }
        if let Value::Object(map) = &mut claims {
            for (k, v) in &request.claims {
                map.insert(k.clone(), v.clone());
            }
        }
        EncodingKey::from_secret(self.key())
            .and_then(|key| jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key))
            .unwrap_or_default()
    }

    fn verify(&self, token: &str) -> Option<Value> {
        let token = token.strip_prefix("Bearer ").unwrap_or(token).trim();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[CLIENT_ID]);
        validation.leeway = 0;
        let key = DecodingKey::from_secret(self.key()).ok()?;
        jsonwebtoken::decode::<Value>(token, &key, &validation)
            .ok()
            .map(|data| data.claims)
    }

    /// The caller of a request with these headers (`header(name)` looks one
    /// up, case-insensitively), chosen as AppSync chooses: `x-api-key` for the
    /// API_KEY mode, `Authorization` for a user pool or OIDC token; a mode the
    /// api does not use, a wrong key or a bad token is refused.
    pub fn caller<'h>(
        &self,
        header: impl Fn(&str) -> Option<&'h str>,
    ) -> Result<(AuthMode, Caller), Denied> {
        if let Some(token) = header("authorization").filter(|t| !t.is_empty()) {
            if token.starts_with("AWS4-HMAC-SHA256") {
                return Err(Denied::new(
                    "the sandbox does not check SigV4 (AWS_IAM) requests yet; use the api key or a `hoist sandbox token`",
                ));
            }
            let claims = self
                .verify(token)
                .ok_or_else(|| Denied::new("Valid authorization header not provided."))?;
            let issuer = claims["iss"].as_str().unwrap_or_default().to_string();
            let sub = claims["sub"].clone();
            if issuer == self.user_pool_issuer && self.modes.contains(&AuthMode::UserPools) {
                let username = claims
                    .get("cognito:username")
                    .or_else(|| claims.get("username"))
                    .cloned()
                    .unwrap_or(Value::Null);
                let groups = claims.get("cognito:groups").cloned().unwrap_or(Value::Null);
                let identity = json!({
                    "sub": sub, "issuer": issuer, "username": username, "claims": claims,
                    "sourceIp": ["127.0.0.1"], "defaultAuthStrategy": "ALLOW", "groups": groups,
                });
                return Ok((
                    AuthMode::UserPools,
                    Caller {
                        auth_type: "User Pool Authorization".into(),
                        identity,
                    },
                ));
            }
            if issuer == self.oidc_issuer && self.modes.contains(&AuthMode::Oidc) {
                let identity = json!({ "sub": sub, "issuer": issuer, "claims": claims });
                return Ok((
                    AuthMode::Oidc,
                    Caller {
                        auth_type: "Open ID Connect Authorization".into(),
                        identity,
                    },
                ));
            }
            let kind = if issuer == self.oidc_issuer {
                "OIDC"
            } else {
                "user-pool"
            };
            return Err(Denied {
                message: format!(
                    "You are not authorized to make this call. (This api takes no {kind} tokens; its modes: {}.)",
                    self.mode_names()
                ),
            });
        }
        if let Some(key) = header("x-api-key") {
            if !self.modes.contains(&AuthMode::ApiKey) {
                return Err(Denied {
                    message: format!(
                        "You are not authorized to make this call. (This api takes no api key; its modes: {}.)",
                        self.mode_names()
                    ),
                });
            }
            if !constant_time_eq(key.as_bytes(), self.secrets.api_key.as_bytes()) {
                return Err(Denied::new("You are not authorized to make this call."));
            }
            return Ok((AuthMode::ApiKey, Caller::api_key()));
        }
        Err(Denied::new("Valid authorization header not provided."))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authority(modes: Vec<AuthMode>) -> Authority {
        let dir = tempfile::tempdir().unwrap();
        let secrets = Secrets::load_or_create(dir.path()).unwrap();
        Authority::new(modes, secrets, "dev")
    }

    #[test]
    fn secrets_are_made_once_and_kept_private() {
        let dir = tempfile::tempdir().unwrap();
        let a = Secrets::load_or_create(dir.path()).unwrap();
        let b = Secrets::load_or_create(dir.path()).unwrap();
        assert_eq!(a.api_key, b.api_key);
        assert!(a.api_key.starts_with("da2-") && a.api_key.len() == 30);
        assert!(!format!("{a:?}").contains(&a.api_key));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(SECRETS_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0);
        }
    }

    #[test]
    fn the_key_and_tokens_decide_the_mode_as_appsync_does() {
        let auth = authority(vec![AuthMode::ApiKey, AuthMode::UserPools]);
        let key = auth.api_key().to_string();
        let (mode, caller) = auth
            .caller(|h| (h == "x-api-key").then_some(key.as_str()))
            .unwrap();
        assert_eq!(mode, AuthMode::ApiKey);
        assert_eq!(caller.identity, Value::Null);
        assert!(
            auth.caller(|h| (h == "x-api-key").then_some("da2-wrong"))
                .is_err()
        );
        assert!(auth.caller(|_| None).is_err());

        let token = auth.mint(&TokenRequest {
            username: "ada".into(),
            groups: vec!["Admin".into()],
            lifetime: 60,
            ..TokenRequest::default()
        });
        let (mode, caller) = auth
            .caller(|h| (h == "authorization").then_some(token.as_str()))
            .unwrap();
        assert_eq!(mode, AuthMode::UserPools);
        assert_eq!(caller.auth_type, "User Pool Authorization");
        assert_eq!(caller.identity["username"], "ada");
        assert_eq!(caller.identity["groups"], json!(["Admin"]));
        // a token of another sandbox (another signing key) or tampered with
        let other = authority(vec![AuthMode::UserPools]);
        assert!(
            other
                .caller(|h| (h == "authorization").then_some(token.as_str()))
                .is_err()
        );
        let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
        parts[1] = parts[1].chars().rev().collect();
        let tampered = parts.join(".");
        assert!(
            auth.caller(|h| (h == "authorization").then_some(tampered.as_str()))
                .is_err()
        );
        // an expired token
        let old = auth.mint(&TokenRequest {
            username: "ada".into(),
            lifetime: 1,
            ..TokenRequest::default()
        });
        std::thread::sleep(std::time::Duration::from_millis(2100));
        assert!(
            auth.caller(|h| (h == "authorization").then_some(old.as_str()))
                .is_err()
        );
        // a mode the api does not use
        let key_only = authority(vec![AuthMode::ApiKey]);
        let token = key_only.mint(&TokenRequest {
            username: "ada".into(),
            lifetime: 60,
            ..TokenRequest::default()
        });
        assert!(
            key_only
                .caller(|h| (h == "authorization").then_some(token.as_str()))
                .is_err()
        );
    }
}
