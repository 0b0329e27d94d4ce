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

pub use part::{part, transform};

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
    /// The Lambda authorizer's ARN, with `lambda` among the modes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda_authorizer_arn: Option<String>,
}

fn default_key_days() -> u16 {
    7
}

impl ApiConfig {
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
                "add them to the api's table in hoist.toml",
            ));
        }
        if self.uses(AuthMode::Lambda) && self.lambda_authorizer_arn.is_none() {
            problems.push(Problem::new(
                &["auth"],
                "Lambda authorization needs `lambda_authorizer_arn`".into(),
                "add the authorizer function's ARN to the api's table in hoist.toml",
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
