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
//!
//! `AWS_IAM` requests are signed (SigV4, see [`super::sigv4`]) with temporary
//! credentials the sandbox issued, as a Cognito identity pool issues them to
//! guests and signed-in users: an access key id (`ASIA...`), a secret derived
//! from it with the sandbox's key (so nothing is stored), and a session token
//! (a JWT of the sandbox's, naming the key id, the identity and its kind) sent
//! in `X-Amz-Security-Token`.

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
    /// The user pool's RS256 key, PKCS#1 DER in base64 (made when first needed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pool_key: Option<String>,
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
            pool_key: None,
        };
        std::fs::create_dir_all(dir).map_err(|e| FsError::new("create", dir, e))?;
        let bytes = serde_json::to_vec_pretty(&secrets).unwrap_or_default();
        write_private(&path, &bytes).map_err(|e| FsError::new("write", &path, e))?;
        Ok(secrets)
    }
}

impl Secrets {
    /// The user pool's signing key: the kept one, or a new one kept in
    /// `dir`'s `secrets.json` (made once; 2048-bit RSA).
    ///
    /// Errors: the secrets cannot be written, or the key cannot be made.
    pub fn pool_key(&mut self, dir: &Path) -> Result<super::cognito::PoolKey, FsError> {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        let kept = self.pool_key.as_deref().and_then(|k| b64.decode(k).ok());
        let path = dir.join(SECRETS_FILE);
        let (key, der) = super::cognito::PoolKey::load_or_make(kept.as_deref()).map_err(|e| {
            FsError::new(
                "make the user pool's key for",
                &path,
                std::io::Error::other(e),
            )
        })?;
        if kept.as_deref() != Some(der.as_slice()) {
            self.pool_key = Some(b64.encode(&der));
            let bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
            write_private(&path, &bytes).map_err(|e| FsError::new("write", &path, e))?;
        }
        Ok(key)
    }
}

/// Write a new file readable by its owner only, whole or not at all: a
/// temporary file (created 0600) renamed over `path`.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
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

/// The temporary credentials a caller asks `hoist sandbox credentials` for.
#[derive(Debug, Clone, Default)]
pub struct CredentialsRequest {
    /// A guest (unauthenticated identity) rather than a signed-in user.
    pub guest: bool,
    /// The sandbox's administrator: for the user pool's admin operations
    /// (`AdminCreateUser`, `ListUsers`, ...), which Cognito takes only signed.
    pub admin: bool,
    /// The signed-in user (the identity is derived from it, the same each time).
    pub username: String,
    /// Seconds the credentials live.
    pub lifetime: u64,
    /// A guest's identity id, from the identity pool's `GetId` (None: a new one).
    pub identity_id: Option<String>,
    /// A signed-in user's `sub` (None: derived from the user name, as
    /// `hoist sandbox token` derives it).
    pub sub: Option<String>,
    /// The role the identity pool chose, by its logical id (None: the
    /// pool's authenticated or unauthenticated role).
    pub role: Option<String>,
}

/// AWS credentials, as an identity pool's `GetCredentialsForIdentity` returns them.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_key: String,
    pub session_token: String,
    /// Seconds since the epoch.
    pub expiration: u64,
    /// The identity's id, `<region>:<uuid>`.
    #[serde(skip)]
    pub identity_id: String,
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
    identity_issuer: String,
    region: String,
    /// The Lambda authorizer's function, as the api names it.
    lambda_authorizer: Option<String>,
    /// The project function the sandbox runs as the Lambda authorizer.
    authorizer: Option<lambda::Authorizer>,
    /// The sandbox's Cognito user pool, whose ID and access tokens the api takes.
    user_pool: Option<std::sync::Arc<super::cognito::UserPool>>,
    /// The environment's name.
    env: String,
    /// What each project function's role may call on the api, by the role's
    /// logical id (set once the functions' statements are resolved).
    function_api: std::sync::OnceLock<std::collections::BTreeMap<String, principals::FieldPolicy>>,
}

/// The account the sandbox's roles and identities are in.
pub const ACCOUNT_ID: &str = "000000000000";

/// A request's parts a SigV4 signature covers (the headers come separately).
#[derive(Clone, Copy)]
pub struct Signed<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub body: &'a [u8],
}

/// Where a SigV4 signature is: the `Authorization` header, or a presigned URL's query.
#[derive(Clone, Copy)]
enum Signature<'a> {
    Header(&'a str),
    Presigned(&'a super::sigv4::Presigned),
}

/// The role of signed-in users and of guests: the root stack's logical ids
/// of the identity pool's roles, as the synthesized policies name them.
pub const AUTH_ROLE: &str = "AuthRole";
pub const UNAUTH_ROLE: &str = "UnauthRole";

/// Who signed a request to the sandbox's S3.
#[derive(Debug, Clone, PartialEq)]
pub struct StorageCaller {
    pub access_key_id: String,
    /// The identity pool identity (`<region>:<uuid>`): the policies'
    /// `${cognito-identity.amazonaws.com:sub}`.
    pub identity_id: String,
    /// `authenticated` or `unauthenticated`, or `function` for a project
    /// function's role.
    pub kind: String,
    /// The logical id of the role the credentials are of ([`AUTH_ROLE`],
    /// [`UNAUTH_ROLE`], a group's role such as `AdminGroupRole`, or a
    /// function's, `Function<Name>`).
    pub role: String,
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
            identity_issuer: format!("https://hoist-sandbox.invalid/{env}/identity-pool"),
            region: "us-east-1".into(),
            lambda_authorizer: None,
            authorizer: None,
            user_pool: None,
            env: env.to_string(),
            function_api: std::sync::OnceLock::new(),
        }
    }

    /// The sandbox api's id (as `GraphQLApiId`), the same each start.
    pub fn api_id(&self) -> String {
        principals::api_id(&self.identity_issuer)
    }

    /// The sandbox api's ARN, as the functions' policies name it.
    pub fn api_arn(&self) -> String {
        format!(
            "arn:aws:appsync:{}:{ACCOUNT_ID}:apis/{}",
            self.region,
            self.api_id()
        )
    }

    /// The ARN IAM gives a project function calling with its role
    /// (`role`, the role's logical id): Lambda's session is the function's name.
    pub fn function_user_arn(&self, function: &str, role: &str) -> String {
        format!(
            "arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role}/{function}-{}",
            self.env
        )
    }

    /// The api statements of each function's role (resolved, by the role's
    /// logical id): the api takes those roles' requests as their policies
    /// allow. Set once; later calls are ignored.
    pub fn set_function_api_statements(
        &self,
        statements: std::collections::BTreeMap<String, (String, Vec<Value>)>,
    ) {
        let api_arn = self.api_arn();
        let policies = statements
            .into_iter()
            .filter(|(_, (_, s))| !s.is_empty())
            .map(|(role, (function, s))| {
                let user = self.function_user_arn(&function, &role);
                (role, principals::FieldPolicy::new(&api_arn, &user, s))
            })
            .collect();
        let _ = self.function_api.set(policies);
    }

    /// Take the tokens of the sandbox's user pool (RS256, its issuer) as
    /// user-pool tokens, besides those `hoist sandbox token` mints.
    pub fn with_user_pool(mut self, pool: std::sync::Arc<super::cognito::UserPool>) -> Authority {
        self.user_pool = Some(pool);
        self
    }

    /// The Lambda authorizer the api names (its ARN or function name).
    pub fn with_lambda_authorizer(mut self, arn: &str) -> Authority {
        self.lambda_authorizer = Some(super::api::function_name(arn));
        self
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// The region SigV4 signatures must be scoped to (the environment's).
    pub fn with_region(mut self, region: &str) -> Authority {
        self.region = region.to_string();
        self
    }

    /// The sandbox's identity pool id, `<region>:<uuid>` (the same each start).
    pub fn identity_pool_id(&self) -> String {
        let id = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, self.identity_issuer.as_bytes());
        format!("{}:{id}", self.region)
    }

    /// `<region>:<uuid>` whose 16 bytes are 8 given ones and 8 of an HMAC of
    /// them under the sandbox's key: only the sandbox can make one that checks.
    fn keyed_id(&self, kind: &str, seed: &[u8; 8]) -> String {
        let mac = super::sigv4::hmac_hex(self.key(), &[kind.as_bytes(), b":", seed].concat());
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(seed);
        for (i, b) in bytes[8..].iter_mut().enumerate() {
            *b = u8::from_str_radix(&mac[i * 2..i * 2 + 2], 16).unwrap_or_default();
        }
        format!("{}:{}", self.region, uuid::Uuid::from_bytes(bytes))
    }

    /// A signed-in user's identity id: the same for the same `sub` each
    /// time, as an identity pool keeps it, and not computable without the
    /// sandbox's key.
    pub fn user_identity_id(&self, sub: &str) -> String {
        let digest = super::sigv4::hmac_hex(self.key(), format!("user-seed:{sub}").as_bytes());
        let mut seed = [0u8; 8];
        for (i, b) in seed.iter_mut().enumerate() {
            *b = u8::from_str_radix(&digest[i * 2..i * 2 + 2], 16).unwrap_or_default();
        }
        self.keyed_id("user", &seed)
    }

    /// A new guest identity id (`GetId` without logins).
    pub fn new_guest_identity(&self) -> String {
        use rand::RngCore;
        let mut seed = [0u8; 8];
        rand::rng().fill_bytes(&mut seed);
        self.keyed_id("guest", &seed)
    }

    /// Whether `id` is a guest identity this sandbox issued (not a user's,
    /// not made up).
    pub fn is_guest_identity(&self, id: &str) -> bool {
        let Some(uuid) = id
            .strip_prefix(&format!("{}:", self.region))
            .and_then(|u| uuid::Uuid::parse_str(u).ok())
        else {
            return false;
        };
        let mut seed = [0u8; 8];
        seed.copy_from_slice(&uuid.as_bytes()[..8]);
        constant_time_eq(self.keyed_id("guest", &seed).as_bytes(), id.as_bytes())
    }

    /// The secret of an access key id the sandbox issued: derived, not stored.
    fn secret_of(&self, access_key_id: &str) -> String {
        let mac = super::sigv4::hmac_hex(
            self.key(),
            format!("credentials:{access_key_id}").as_bytes(),
        );
        mac[..40].to_string()
    }

    /// Temporary credentials for a guest or a signed-in user's identity.
    pub fn credentials(&self, request: &CredentialsRequest) -> Credentials {
        let iat = now();
        let exp = iat + request.lifetime.max(1);
        let access_key_id = format!(
            "ASIA{}",
            random_chars(16, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        );
        let sub = request.sub.clone().unwrap_or_else(|| {
            uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, request.username.as_bytes()).to_string()
        });
        let kind = if request.admin {
            "admin"
        } else if request.guest {
            "unauthenticated"
        } else {
            "authenticated"
        };
        let identity_id = if request.admin {
            self.keyed_id("admin", &[0; 8])
        } else if request.guest {
            request
                .identity_id
                .clone()
                .filter(|id| self.is_guest_identity(id))
                .unwrap_or_else(|| self.new_guest_identity())
        } else {
            self.user_identity_id(&sub)
        };
        let mut claims = json!({
            "iss": self.identity_issuer,
            "aud": CLIENT_ID,
            "akid": access_key_id,
            "kind": kind,
            "identity_id": identity_id,
            "iat": iat,
            "exp": exp,
        });
        if !request.guest && !request.admin {
            claims["sub"] = json!(sub);
            claims["username"] = json!(request.username);
            if let Some(role) = &request.role {
                claims["role"] = json!(role);
            }
        }
        self.issue(access_key_id, &claims, exp, identity_id)
    }

    /// Credentials for `claims` (the session token, signed HS256 with the
    /// sandbox's key), the secret derived from the access key id.
    fn issue(
        &self,
        access_key_id: String,
        claims: &Value,
        exp: u64,
        identity_id: String,
    ) -> Credentials {
        let session_token = EncodingKey::from_secret(self.key())
            .and_then(|key| jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key))
            .unwrap_or_default();
        Credentials {
            secret_key: self.secret_of(&access_key_id),
            access_key_id,
            session_token,
            expiration: exp,
            identity_id,
        }
    }

    /// Credentials for a project function's execution role in the sandbox,
    /// living `lifetime` seconds: as a deployed function's role session
    /// (`kind` `function`, the role by its logical id in the root stack,
    /// `Function<Name>`), which the sandbox's storage judges by that role's
    /// statements and its api and user pool do not take (as the deployed
    /// api does not take a role its schema does not name).
    pub fn function_credentials(&self, function: &str, role: &str, lifetime: u64) -> Credentials {
        let iat = now();
        let exp = iat + lifetime.max(1);
        let access_key_id = format!(
            "ASIA{}",
            random_chars(16, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        );
        let claims = json!({
            "iss": self.identity_issuer,
            "aud": CLIENT_ID,
            "akid": access_key_id,
            "kind": "function",
            "function": function,
            "role": role,
            "iat": iat,
            "exp": exp,
        });
        self.issue(access_key_id, &claims, exp, String::new())
    }

    /// An identity's OpenID Connect token, as the identity pool's
    /// `GetOpenIdToken` returns it: a JWT whose `sub` is the identity id,
    /// `aud` the identity pool id and `amr` how the identity signed in
    /// (`["unauthenticated"]`, or `"authenticated"` and the login's
    /// provider), living `lifetime` seconds (Cognito: 600). Signed HS256
    /// with the sandbox's key (Cognito signs RS512 with its own keys), so
    /// only the sandbox can check it; its audience keeps it from passing
    /// as a session token or an api token, which take [`CLIENT_ID`].
    pub fn open_id_token(
        &self,
        identity_id: &str,
        identity_pool_id: &str,
        amr: &[String],
        lifetime: u64,
    ) -> String {
        let iat = now();
        let claims = json!({
            "iss": self.identity_issuer,
            "sub": identity_id,
            "aud": identity_pool_id,
            "amr": amr,
            "iat": iat,
            "exp": iat + lifetime.max(1),
        });
        EncodingKey::from_secret(self.key())
            .and_then(|key| jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key))
            .unwrap_or_default()
    }

    /// A SigV4 signature for `service` checked with the secret of the key it
    /// names, and the claims of its session token (the sandbox's, for that
    /// key); also how the body was covered.
    fn signed_by<'h>(
        &self,
        signature: Signature,
        service: &str,
        header: &dyn Fn(&str) -> Option<&'h str>,
        signed: Option<Signed>,
    ) -> Result<(super::sigv4::Authorization, Value, super::sigv4::Payload), Denied> {
        use super::sigv4::{Authorization, Request, verify, verify_presigned};
        let parsed = match signature {
            Signature::Header(text) => {
                Authorization::parse(text).map_err(|e| Denied { message: e.0 })?
            }
            Signature::Presigned(p) => p.authorization.clone(),
        };
        if parsed.service != service || parsed.region != self.region {
            return Err(Denied {
                message: format!(
                    "Credential should be scoped to correct service and region: '{service}' in '{}', not '{}' in '{}'.",
                    self.region, parsed.service, parsed.region
                ),
            });
        }
        let invalid = || Denied::new("The security token included in the request is invalid.");
        let session = match signature {
            Signature::Header(_) => header("x-amz-security-token"),
            Signature::Presigned(p) => p.security_token.as_deref(),
        }
        .ok_or_else(invalid)?;
        let claims = self.verify(session).ok_or_else(invalid)?;
        if claims["iss"] != json!(self.identity_issuer)
            || claims["akid"] != json!(parsed.access_key_id)
        {
            return Err(invalid());
        }
        let signed =
            signed.ok_or_else(|| Denied::new("the request's signature cannot be checked here"))?;
        let all = |name: &str| {
            header(name)
                .map(|v| vec![v.to_string()])
                .unwrap_or_default()
        };
        let request = Request {
            method: signed.method,
            path: signed.path,
            query: signed.query,
            header: &all,
            body: signed.body,
        };
        let secret = self.secret_of(&parsed.access_key_id);
        let payload = match signature {
            Signature::Header(_) => verify(&request, &parsed, &secret, now() as i64),
            Signature::Presigned(p) => verify_presigned(&request, p, &secret, now() as i64)
                .map(|()| super::sigv4::Payload::Unsigned),
        }
        .map_err(|e| Denied { message: e.0 })?;
        Ok((parsed, claims, payload))
    }

    /// The caller of a request to the sandbox's S3 (`service` `s3`), signed
    /// in its `Authorization` header or presigned in its query: who they are
    /// and the role their credentials are of, and how the body was covered.
    /// Errors: no signature (the bucket takes no anonymous requests), a
    /// signature or session token that does not verify, the administrator's
    /// credentials (they are for the user pool).
    pub fn storage_caller<'h>(
        &self,
        header: impl Fn(&str) -> Option<&'h str>,
        signed: Signed,
    ) -> Result<(StorageCaller, super::sigv4::Payload), Denied> {
        let presigned = match super::sigv4::Presigned::parse(signed.query) {
            Some(p) => Some(p.map_err(|e| Denied { message: e.0 })?),
            None => None,
        };
        let signature = match (&presigned, header("authorization")) {
            (Some(p), _) => Signature::Presigned(p),
            (None, Some(a)) => Signature::Header(a),
            (None, None) => {
                return Err(Denied::new(
                    "Anonymous access is not allowed: sign the request with credentials from the identity pool (`hoist sandbox credentials --user NAME`)",
                ));
            }
        };
        let (parsed, claims, payload) = self.signed_by(signature, "s3", &header, Some(signed))?;
        let kind = claims["kind"].as_str().unwrap_or_default().to_string();
        let role = match claims["role"].as_str() {
            Some(role) => role.to_string(),
            None if kind == "authenticated" => AUTH_ROLE.to_string(),
            None if kind == "unauthenticated" => UNAUTH_ROLE.to_string(),
            None => {
                return Err(Denied::new(
                    "These credentials are the sandbox administrator's, for the user pool; use `hoist sandbox credentials --user NAME` or `--guest` for storage.",
                ));
            }
        };
        Ok((
            StorageCaller {
                access_key_id: parsed.access_key_id,
                identity_id: claims["identity_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                kind,
                role,
            },
            payload,
        ))
    }

    /// The role of the credentials that signed a request to `service`
    /// (SigV4 in the `Authorization` header): `None` for the sandbox
    /// administrator's, else the role's logical id ([`AUTH_ROLE`],
    /// [`UNAUTH_ROLE`], `<Group>GroupRole`, `Function<Name>`).
    ///
    /// Errors: no signature, or a signature or session token that does
    /// not verify.
    pub fn signed_role<'h>(
        &self,
        header: impl Fn(&str) -> Option<&'h str>,
        signed: Signed,
        service: &str,
    ) -> Result<Option<String>, Denied> {
        let authorization = header("authorization")
            .filter(|a| a.starts_with("AWS4-HMAC-SHA256"))
            .ok_or_else(|| {
                Denied::new("Requests must be signed (SigV4) with the sandbox's credentials (`hoist sandbox credentials`).")
            })?;
        let (_, claims, _) = self.signed_by(
            Signature::Header(authorization),
            service,
            &header,
            Some(signed),
        )?;
        match (claims["kind"].as_str(), claims["role"].as_str()) {
            (Some("admin"), _) => Ok(None),
            (_, Some(role)) => Ok(Some(role.to_string())),
            (Some("unauthenticated"), None) => Ok(Some(UNAUTH_ROLE.to_string())),
            (Some("authenticated"), None) => Ok(Some(AUTH_ROLE.to_string())),
            _ => Err(Denied::new(
                "These credentials are of no role the sandbox knows: use `hoist sandbox credentials`.",
            )),
        }
    }

    /// Whether a request to the user pool is the sandbox administrator's:
    /// signed (SigV4, service `cognito-idp`) with `hoist sandbox credentials
    /// --admin`. Cognito takes its admin operations only signed by IAM.
    pub fn admin<'h>(
        &self,
        header: impl Fn(&str) -> Option<&'h str>,
        signed: Signed,
        service: &str,
    ) -> Result<(), Denied> {
        if !header("authorization").is_some_and(|a| a.starts_with("AWS4-HMAC-SHA256")) {
            return Err(Denied::new(
                "Admin operations must be signed (SigV4) with `hoist sandbox credentials --admin`.",
            ));
        }
        match self.signed_role(header, signed, service)? {
            None => Ok(()),
            Some(_) => Err(Denied::new(
                "Only the sandbox administrator's credentials (`hoist sandbox credentials --admin`) may call admin operations.",
            )),
        }
    }

    /// The caller of a SigV4-signed request: its signature checked with the
    /// secret of the key it names, its session token with the sandbox's key.
    fn iam_caller<'h>(
        &self,
        authorization: &str,
        header: &dyn Fn(&str) -> Option<&'h str>,
        signed: Option<Signed>,
    ) -> Result<(AuthMode, Caller), Denied> {
        if !self.modes.contains(&AuthMode::Iam) {
            return Err(Denied {
                message: format!(
                    "You are not authorized to make this call. (This api takes no AWS_IAM requests; its modes: {}.)",
                    self.mode_names()
                ),
            });
        }
        let (parsed, claims, _) =
            self.signed_by(Signature::Header(authorization), "appsync", header, signed)?;
        let kind = claims["kind"].as_str().unwrap_or_default();
        if kind == "function" {
            return self.function_caller(&parsed.access_key_id, &claims);
        }
        if kind != "authenticated" && kind != "unauthenticated" {
            return Err(Denied::new(
                "These credentials are the sandbox administrator's, for the user pool; use `hoist sandbox credentials --user NAME` or `--guest` for the api.",
            ));
        }
        let role = if kind == "authenticated" {
            "hoist-sandbox-authRole"
        } else {
            "hoist-sandbox-unauthRole"
        };
        let provider = match claims["sub"].as_str() {
            Some(sub) if kind == "authenticated" => {
                let pool = format!(
                    "cognito-idp.{}.amazonaws.com/{}_{}",
                    self.region,
                    self.region,
                    super::cognito::POOL_NAME
                );
                json!(format!("\"{pool}\",\"{pool}:CognitoSignIn:{sub}\""))
            }
            _ => Value::Null,
        };
        let identity = json!({
            "accountId": ACCOUNT_ID,
            "cognitoIdentityPoolId": self.identity_pool_id(),
            "cognitoIdentityId": claims["identity_id"],
            "sourceIp": ["127.0.0.1"],
            "username": format!("{}:CognitoIdentityCredentials", parsed.access_key_id),
            "userArn": format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role}/CognitoIdentityCredentials"),
            "cognitoIdentityAuthType": kind,
            "cognitoIdentityAuthProvider": provider,
        });
        Ok((AuthMode::Iam, Caller::new("IAM Authorization", identity)))
    }

    /// A project function calling with its role's credentials: an IAM
    /// principal that is no identity pool identity, with its role's policy.
    fn function_caller(
        &self,
        access_key_id: &str,
        claims: &Value,
    ) -> Result<(AuthMode, Caller), Denied> {
        let function = claims["function"].as_str().unwrap_or_default();
        let role = claims["role"].as_str().unwrap_or_default();
        let Some(policy) = self.function_api.get().and_then(|p| p.get(role)) else {
            return Err(Denied {
                message: format!(
                    "You are not authorized to make this call. (The function `{function}` has no access to the api: `hoist update function {function} --access api:query`, or `api:mutation`.)"
                ),
            });
        };
        let user_arn = self.function_user_arn(function, role);
        let identity = json!({
            "accountId": ACCOUNT_ID,
            "cognitoIdentityPoolId": null,
            "cognitoIdentityId": null,
            "sourceIp": ["127.0.0.1"],
            "username": format!("{access_key_id}:{function}-{}", self.env),
            "userArn": user_arn,
            "cognitoIdentityAuthType": null,
            "cognitoIdentityAuthProvider": null,
        });
        let mut caller = Caller::new("IAM Authorization", identity);
        caller.iam_policy = Some(policy.clone());
        Ok((AuthMode::Iam, caller))
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

    /// Whether `token` is an ID token of the sandbox's user pool (a Cognito
    /// authorizer's test): `hoist sandbox token`'s, or a live one the pool issued.
    pub fn user_pool_id_token(&self, token: &str) -> bool {
        let bare = token.strip_prefix("Bearer ").unwrap_or(token).trim();
        self.verify(bare)
            .is_some_and(|c| c["iss"] == self.user_pool_issuer.as_str() && c["token_use"] == "id")
            || (self.user_pool.as_ref()).is_some_and(|p| p.verify_live(bare, Some("id")).is_some())
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
    ///
    /// A SigV4 `Authorization` (the AWS_IAM mode) is checked against `signed`,
    /// the parts of the request it signs; without them it is refused.
    pub fn caller<'h>(
        &self,
        header: impl Fn(&str) -> Option<&'h str>,
        signed: Option<Signed>,
    ) -> Result<(AuthMode, Caller), Denied> {
        if let Some(token) = header("authorization").filter(|t| !t.is_empty()) {
            if token.starts_with("AWS4-HMAC-SHA256") {
                return self.iam_caller(token, &header, signed);
            }
            let pool_claims = || {
                let pool = self.user_pool.as_ref()?;
                let bare = token.strip_prefix("Bearer ").unwrap_or(token).trim();
                pool.verify(bare, None).map(Value::Object)
            };
            let Some(claims) = self.verify(token).or_else(pool_claims) else {
                // not a token of the sandbox's: a Lambda authorizer's, if the api has one
                if let Some(authorizer) = self
                    .authorizer
                    .as_ref()
                    .filter(|_| self.modes.contains(&AuthMode::Lambda))
                {
                    return self.lambda_caller(authorizer, token, &header, signed);
                }
                if let Some(function) = self
                    .lambda_authorizer
                    .as_ref()
                    .filter(|_| self.modes.contains(&AuthMode::Lambda))
                {
                    return Err(Denied {
                        message: format!(
                            "the api's Lambda authorizer `{function}` is not a function of this project, and the sandbox runs only the project's functions, so it cannot ask it about this token; use the api's other modes ({}), or name a project function with `hoist update api --lambda-authorizer NAME`",
                            self.mode_names()
                        ),
                    });
                }
                return Err(Denied::new("Valid authorization header not provided."));
            };
            let issuer = claims["iss"].as_str().unwrap_or_default().to_string();
            let sub = claims["sub"].clone();
            let pool_issuer = self
                .user_pool
                .as_ref()
                .is_some_and(|p| p.issuer() == issuer);
            if (issuer == self.user_pool_issuer || pool_issuer)
                && self.modes.contains(&AuthMode::UserPools)
            {
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
                    Caller::new("User Pool Authorization", identity),
                ));
            }
            if issuer == self.oidc_issuer && self.modes.contains(&AuthMode::Oidc) {
                let identity = json!({ "sub": sub, "issuer": issuer, "claims": claims });
                return Ok((
                    AuthMode::Oidc,
                    Caller::new("Open ID Connect Authorization", identity),
                ));
            }
            if issuer == self.identity_issuer {
                return Err(Denied::new(
                    "This is a session token of `hoist sandbox credentials`: send it in X-Amz-Security-Token with a SigV4 signature, not in Authorization.",
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

use super::sigv4::constant_time_eq;

pub mod lambda;
pub mod principals;
#[cfg(test)]
mod tests;
