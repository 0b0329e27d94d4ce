//! The api's stack outputs and its `data` section of `amplify_outputs.json`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{ApiConfig, AuthMode};

/// Names of the outputs of an api stack.
pub const API_ID: &str = "GraphQLApiId";
pub const URL: &str = "GraphQLApiUrl";
pub const API_KEY: &str = "GraphQLApiKey";

/// The `data` section of `amplify_outputs.json`.
pub fn amplify_outputs(
    cfg: &ApiConfig,
    region: &str,
    deployed: &BTreeMap<String, String>,
) -> Result<Value, String> {
    let get = |key: &str| deployed.get(key).cloned().ok_or_else(|| key.to_string());
    let mut out = json!({
        "aws_region": region,
        "url": get(URL)?,
        "default_authorization_type": cfg.auth.appsync(),
        "authorization_types": cfg.modes().iter().skip(1).map(|m| m.appsync()).collect::<Vec<_>>(),
    });
    if cfg.uses(AuthMode::ApiKey) {
        out["api_key"] = json!(get(API_KEY)?);
    }
    Ok(out)
}
