//! The api category: an AppSync GraphQL API generated from `schema.graphql`,
//! with a DynamoDB table, a data source and JavaScript resolvers per model.

use serde::{Deserialize, Serialize};

use super::Problem;

mod questions;

pub use questions::resolve_api;

pub mod outputs;
mod part;
pub mod resolvers;
mod stack;

pub use part::{part, readable_code, transform};

pub use outputs::amplify_outputs;
pub use resolvers::{
    INVOKE_CODE, PIPELINE_CODE, Resolver, SEARCH_STREAMING_CODE, access, all_resolvers,
    custom_pipeline_code, local_functions, relation_functions, resolver_functions, search_index,
    search_resolver,
};
pub use stack::{
    MODELS_PER_STACK, add_custom_resolvers, add_group_stack, add_model_stack, add_search,
    group_stack, model_stack, synth,
};

/// How clients authorize against the API.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMode {
    /// An API key (public access with a key that expires)
    ApiKey,
    /// Signed-in users of the project's Cognito user pool
    UserPools,
    /// AWS IAM (the identity pool's roles)
    Iam,
    /// An OpenID Connect provider
    Oidc,
    /// A Lambda authorizer
    Lambda,
}

impl AuthMode {
    pub fn appsync(self) -> &'static str {
        match self {
            AuthMode::ApiKey => "API_KEY",
            AuthMode::UserPools => "AMAZON_COGNITO_USER_POOLS",
            AuthMode::Iam => "AWS_IAM",
            AuthMode::Oidc => "OPENID_CONNECT",
            AuthMode::Lambda => "AWS_LAMBDA",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    /// The default authorization mode.
    pub auth: AuthMode,
    #[serde(default)]
    pub additional_auth: Vec<AuthMode>,
    /// Days an API key lives (1 to 365); a new one is made on the push after it expires.
    #[serde(default = "default_key_days")]
    pub api_key_days: u16,
    /// The OIDC issuer, with `oidc` among the modes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_issuer: Option<String>,
    /// The OIDC client id, with `oidc` among the modes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_client_id: Option<String>,
    /// Milliseconds an OIDC token is accepted after it was issued (AppSync's
    /// `OpenIDConnectConfig.IatTTL`); none or 0: no limit but the token's expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_iat_ttl_ms: Option<u32>,
    /// Milliseconds an OIDC token is accepted after the user authenticated
    /// (AppSync's `OpenIDConnectConfig.AuthTTL`); none or 0: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_auth_ttl_ms: Option<u32>,
    /// The Lambda authorizer's ARN, with `lambda` among the modes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda_authorizer_arn: Option<String>,
    /// The project function that is the Lambda authorizer (instead of an
    /// ARN), with `lambda` among the modes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda_authorizer: Option<String>,
    /// Seconds AppSync caches a Lambda authorizer's answer when the answer
    /// gives no `ttlOverride` (`LambdaAuthorizerConfig.AuthorizerResultTtlInSeconds`,
    /// 0 to 3600; 300 unless set, written only when another).
    #[serde(
        default = "default_authorizer_ttl",
        skip_serializing_if = "is_default_authorizer_ttl"
    )]
    pub lambda_authorizer_ttl_seconds: u16,
    /// Days the API's CloudWatch log group keeps resolver errors: one of
    /// [`LOG_RETENTION_DAYS`] (30 unless set; written only when another).
    /// Set by `hoist push` after each deploy.
    #[serde(
        default = "default_log_retention",
        skip_serializing_if = "is_default_log_retention"
    )]
    pub log_retention_days: u16,
}

fn default_key_days() -> u16 {
    7
}

fn default_authorizer_ttl() -> u16 {
    300
}

fn is_default_authorizer_ttl(seconds: &u16) -> bool {
    *seconds == default_authorizer_ttl()
}

fn default_log_retention() -> u16 {
    30
}

fn is_default_log_retention(days: &u16) -> bool {
    *days == default_log_retention()
}

/// The retention periods CloudWatch Logs accepts, in days
/// (`retentionInDays`, PutRetentionPolicy, CloudWatch Logs API reference).
pub const LOG_RETENTION_DAYS: &[u16] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// Whether `issuer` is an OIDC issuer AppSync takes: an https URL with a host
/// (OpenID Connect Discovery 1.0, section 4: the issuer is an https URL).
pub fn is_https_issuer(issuer: &str) -> bool {
    url::Url::parse(issuer).is_ok_and(|u| u.scheme() == "https" && u.host_str().is_some())
}

/// Whether `arn` is a Lambda function's ARN, optionally with a version or
/// alias (`arn:aws:lambda:eu-west-1:123456789012:function:auth[:live]`;
/// Lambda API reference, "FunctionArn" pattern).
pub fn is_lambda_function_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.len() <= 64
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    let qualifier_ok = |q: &str| {
        !q.is_empty()
            && q.len() <= 128
            && q.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '$')
    };
    match parts.as_slice() {
        [
            "arn",
            partition,
            "lambda",
            region,
            account,
            "function",
            name,
            rest @ ..,
        ] => {
            partition.starts_with("aws")
                && crate::project::validate_region(region).is_ok()
                && account.len() == 12
                && account.chars().all(|c| c.is_ascii_digit())
                && name_ok(name)
                && match rest {
                    [] => true,
                    [q] => qualifier_ok(q),
                    _ => false,
                }
        }
        _ => false,
    }
}

impl ApiConfig {
    /// An api whose default mode is `auth`, every other key at its default
    /// (what hoist.toml holds when only `auth` is written).
    pub fn new(auth: AuthMode) -> Self {
        ApiConfig {
            auth,
            additional_auth: Vec::new(),
            api_key_days: default_key_days(),
            oidc_issuer: None,
            oidc_client_id: None,
            lambda_authorizer_arn: None,
            lambda_authorizer: None,
            lambda_authorizer_ttl_seconds: default_authorizer_ttl(),
            oidc_iat_ttl_ms: None,
            oidc_auth_ttl_ms: None,
            log_retention_days: default_log_retention(),
        }
    }

    pub fn modes(&self) -> Vec<AuthMode> {
        let mut modes = vec![self.auth];
        modes.extend(
            self.additional_auth
                .iter()
                .copied()
                .filter(|m| *m != self.auth),
        );
        modes
    }

    /// The modes as the transformer sees them (`@auth` rules may use only these).
    pub fn transform_modes(&self) -> crate::transform::Modes {
        let provider = |m: AuthMode| match m {
            AuthMode::ApiKey => crate::transform::Provider::ApiKey,
            AuthMode::UserPools => crate::transform::Provider::UserPools,
            AuthMode::Iam => crate::transform::Provider::Iam,
            AuthMode::Oidc => crate::transform::Provider::Oidc,
            AuthMode::Lambda => crate::transform::Provider::Function,
        };
        let modes = self.modes();
        crate::transform::Modes {
            default: provider(modes[0]),
            additional: modes[1..].iter().map(|m| provider(*m)).collect(),
            iam_principals: false,
        }
    }

    pub fn uses(&self, mode: AuthMode) -> bool {
        self.modes().contains(&mode)
    }

    pub fn problems(&self, has_auth: bool) -> Vec<Problem> {
        let mut problems = Vec::new();
        if !(1..=365).contains(&self.api_key_days) {
            problems.push(Problem::new(
                &["api_key_days"],
                format!("an API key cannot live {} days", self.api_key_days),
                "AppSync API keys live 1 to 365 days",
            ));
        }
        let mut seen = Vec::new();
        for mode in &self.additional_auth {
            if *mode == self.auth || seen.contains(mode) {
                problems.push(Problem::new(
                    &["additional_auth"],
                    format!(
                        "`{}` is listed twice among the authorization modes",
                        mode.appsync()
                    ),
                    "list each mode once, and not the default one again",
                ));
            }
            seen.push(*mode);
        }
        if (self.uses(AuthMode::UserPools) || self.uses(AuthMode::Iam)) && !has_auth {
            problems.push(Problem::new(
                &["auth"],
                "user pool and IAM authorization need the project's auth resource".into(),
                "run `hoist add auth` first",
            ));
        }
        if self.uses(AuthMode::Oidc)
            && (self.oidc_issuer.is_none() || self.oidc_client_id.is_none())
        {
            problems.push(Problem::new(
                &["auth"],
                "OIDC authorization needs `oidc_issuer` and `oidc_client_id`".into(),
                "give them with `hoist update api --oidc-issuer URL --oidc-client-id ID`",
            ));
        }
        if !LOG_RETENTION_DAYS.contains(&self.log_retention_days) {
            problems.push(Problem::new(
                &["log_retention_days"],
                format!(
                    "CloudWatch Logs cannot keep logs {} days",
                    self.log_retention_days
                ),
                "use one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653",
            ));
        }
        if let Some(issuer) = &self.oidc_issuer
            && !is_https_issuer(issuer)
        {
            problems.push(Problem::new(
                &["oidc_issuer"],
                format!("`{issuer}` is not an https URL"),
                "give the provider's issuer URL exactly as its tokens' `iss` claim has it (for example `https://example.auth0.com/`)",
            ));
        }
        if self.lambda_authorizer_ttl_seconds > 3600 {
            problems.push(Problem::new(
                &["lambda_authorizer_ttl_seconds"],
                format!(
                    "AppSync caches an authorizer's answer at most 3600 seconds, not {}",
                    self.lambda_authorizer_ttl_seconds
                ),
                "give 0 (no caching) to 3600 seconds",
            ));
        }
        if let Some(id) = &self.oidc_client_id
            && id.trim().is_empty()
        {
            problems.push(Problem::new(
                &["oidc_client_id"],
                "the OIDC client id is empty".into(),
                "give the client id your provider issued (its tokens' `aud` claim)",
            ));
        }
        if !self.uses(AuthMode::Oidc)
            && let Some(key) = [
                ("oidc_issuer", self.oidc_issuer.is_some()),
                ("oidc_client_id", self.oidc_client_id.is_some()),
                ("oidc_iat_ttl_ms", self.oidc_iat_ttl_ms.is_some()),
                ("oidc_auth_ttl_ms", self.oidc_auth_ttl_ms.is_some()),
            ]
            .into_iter()
            .find_map(|(k, set)| set.then_some(k))
        {
            problems.push(Problem::new(
                &[key],
                "an OIDC provider is configured, but `oidc` is not among the api's modes".into(),
                "add `\"oidc\"` to `additional_auth` (or make it `auth`), or remove the provider's keys",
            ));
        }
        if let Some(arn) = &self.lambda_authorizer_arn
            && !is_lambda_function_arn(arn)
        {
            problems.push(Problem::new(
                &["lambda_authorizer_arn"],
                format!("`{arn}` is not a Lambda function's ARN"),
                "give the authorizer function's ARN: `arn:aws:lambda:REGION:ACCOUNT:function:NAME`",
            ));
        }
        if self.lambda_authorizer_arn.is_some() && self.lambda_authorizer.is_some() {
            problems.push(Problem::new(
                &["lambda_authorizer"],
                "an api has one Lambda authorizer, and both `lambda_authorizer` and `lambda_authorizer_arn` name one".into(),
                "keep `lambda_authorizer` for a function of this project, `lambda_authorizer_arn` for one deployed elsewhere",
            ));
        }
        if self.uses(AuthMode::Lambda)
            && self.lambda_authorizer_arn.is_none()
            && self.lambda_authorizer.is_none()
        {
            problems.push(Problem::new(
                &["auth"],
                "Lambda authorization needs an authorizer".into(),
                "name a function of this project (`hoist update api --lambda-authorizer NAME`, `lambda_authorizer`), or give a deployed function's ARN (`lambda_authorizer_arn`)",
            ));
        }
        if !self.uses(AuthMode::Lambda)
            && let Some(key) = [
                ("lambda_authorizer", self.lambda_authorizer.is_some()),
                (
                    "lambda_authorizer_arn",
                    self.lambda_authorizer_arn.is_some(),
                ),
            ]
            .into_iter()
            .find_map(|(k, set)| set.then_some(k))
        {
            problems.push(Problem::new(
                &[key],
                "a Lambda authorizer is named, but `lambda` is not among the api's modes".into(),
                "add `\"lambda\"` to `additional_auth` (or make it `auth`), or remove the authorizer",
            ));
        }
        problems
    }
}

/// The parameter through which the root hands over the API key's expiry (epoch seconds), computed at deploy time.
pub const KEY_EXPIRY_PARAMETER: &str = "ApiKeyExpires";

/// A starting schema, with access rules that fit the API's modes: the default
/// mode's users may do everything (each user only with their own items, for
/// `owner-auth`), and API key holders may read shared items when the key is an
/// extra mode. An owner's items are never readable with the API key: the key
/// ships in every copy of the frontend, so such a rule would show every
/// user's items to anyone.
pub fn blueprint(template: crate::cli::ApiTemplate, cfg: &ApiConfig) -> String {
    let text = match template {
        crate::cli::ApiTemplate::Todo => include_str!("../../../blueprints/api/todo.graphql"),
        crate::cli::ApiTemplate::Blank => include_str!("../../../blueprints/api/blank.graphql"),
        crate::cli::ApiTemplate::Blog => include_str!("../../../blueprints/api/blog.graphql"),
        crate::cli::ApiTemplate::OwnerAuth => {
            include_str!("../../../blueprints/api/owner-auth.graphql")
        }
    };
    let mut rules = vec![match (template, cfg.auth) {
        (crate::cli::ApiTemplate::OwnerAuth, _) => "{ allow: owner }",
        (_, AuthMode::ApiKey) => "{ allow: public }",
        (_, AuthMode::UserPools) => "{ allow: private }",
        (_, AuthMode::Iam) => "{ allow: private, provider: iam }",
        (_, AuthMode::Oidc) => "{ allow: private, provider: oidc }",
        (_, AuthMode::Lambda) => "{ allow: custom }",
    }];
    if cfg.auth != AuthMode::ApiKey
        && cfg.uses(AuthMode::ApiKey)
        && template != crate::cli::ApiTemplate::OwnerAuth
    {
        rules.push("{ allow: public, operations: [read] }");
    }
    text.replace("RULES", &format!("[{}]", rules.join(", ")))
}

#[cfg(test)]
mod meaning_tests {
    use super::*;

    fn api() -> ApiConfig {
        ApiConfig::new(AuthMode::ApiKey)
    }

    fn keys(cfg: &ApiConfig) -> Vec<String> {
        cfg.problems(true)
            .into_iter()
            .map(|p| p.keys.join("."))
            .collect()
    }

    /// Values that pass the types but mean nothing AWS accepts are refused
    /// at their key: an empty or malformed authorizer ARN, an issuer that is
    /// not an https URL.
    #[test]
    fn arns_urls_and_retention_are_checked_for_meaning() {
        for arn in [
            "",
            "arn:aws:lambda:us-east-1:123:function:auth",
            "arn:aws:lambda:us-east-1:123456789012:layer:auth",
            "arn:aws:s3:::bucket",
            "arn:aws:lambda:nowhere:123456789012:function:auth",
            "arn:aws:lambda:us-east-1:123456789012:function:a:b:c",
        ] {
            let cfg = ApiConfig {
                lambda_authorizer_arn: Some(arn.into()),
                additional_auth: vec![AuthMode::Lambda],
                ..api()
            };
            assert_eq!(keys(&cfg), ["lambda_authorizer_arn"], "{arn}");
        }
        for arn in [
            "arn:aws:lambda:us-east-1:123456789012:function:auth",
            "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:auth-fn_2:live",
            "arn:aws:lambda:eu-west-1:123456789012:function:auth:$LATEST",
        ] {
            let cfg = ApiConfig {
                lambda_authorizer_arn: Some(arn.into()),
                additional_auth: vec![AuthMode::Lambda],
                ..api()
            };
            assert!(keys(&cfg).is_empty(), "{arn}");
        }
        for issuer in ["", "example.com", "http://example.com", "https://"] {
            let cfg = ApiConfig {
                oidc_issuer: Some(issuer.into()),
                oidc_client_id: Some("web".into()),
                additional_auth: vec![AuthMode::Oidc],
                ..api()
            };
            assert_eq!(keys(&cfg), ["oidc_issuer"], "{issuer}");
        }
        let cfg = ApiConfig {
            oidc_issuer: Some("https://example.auth0.com/".into()),
            oidc_client_id: Some("web".into()),
            additional_auth: vec![AuthMode::Oidc],
            ..api()
        };
        assert!(keys(&cfg).is_empty());
        // a provider without its mode, an empty client id, a TTL AppSync refuses
        let cfg = ApiConfig {
            oidc_issuer: Some("https://example.auth0.com/".into()),
            ..api()
        };
        assert_eq!(keys(&cfg), ["oidc_issuer"]);
        let cfg = ApiConfig {
            oidc_issuer: Some("https://example.auth0.com/".into()),
            oidc_client_id: Some(" ".into()),
            additional_auth: vec![AuthMode::Oidc],
            ..api()
        };
        assert_eq!(keys(&cfg), ["oidc_client_id"]);
        let cfg = ApiConfig {
            lambda_authorizer_ttl_seconds: 3601,
            ..api()
        };
        assert_eq!(keys(&cfg), ["lambda_authorizer_ttl_seconds"]);
        for days in [0, 2, 31, 4000] {
            let cfg = ApiConfig {
                log_retention_days: days,
                ..api()
            };
            assert_eq!(keys(&cfg), ["log_retention_days"], "{days}");
        }
    }

    /// `lambda` among the modes needs exactly one authorizer, and an
    /// authorizer needs the mode: AppSync's `LambdaAuthorizerConfig` belongs
    /// to the `AWS_LAMBDA` provider.
    #[test]
    fn a_lambda_authorizer_goes_with_the_lambda_mode() {
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:auth";
        let lambda = || ApiConfig {
            additional_auth: vec![AuthMode::Lambda],
            ..api()
        };
        assert_eq!(keys(&lambda()), ["auth"]);
        let both = ApiConfig {
            lambda_authorizer_arn: Some(arn.into()),
            lambda_authorizer: Some("checkToken".into()),
            ..lambda()
        };
        assert_eq!(keys(&both), ["lambda_authorizer"]);
        let function = ApiConfig {
            lambda_authorizer: Some("checkToken".into()),
            ..lambda()
        };
        assert!(keys(&function).is_empty());
        let without_mode = ApiConfig {
            lambda_authorizer: Some("checkToken".into()),
            ..api()
        };
        assert_eq!(keys(&without_mode), ["lambda_authorizer"]);
        let arn_without_mode = ApiConfig {
            lambda_authorizer_arn: Some(arn.into()),
            ..api()
        };
        assert_eq!(keys(&arn_without_mode), ["lambda_authorizer_arn"]);
    }
}
