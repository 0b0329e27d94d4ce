//! The api options from flags, else asked, else the current or default value.

use crate::category::api::{ApiConfig, AuthMode};
use crate::cli::ApiOptions;
use crate::prompt::{Inputs, Question};

/// The api options: each from its flag, else asked, else the current config's.
/// A new api in a project with auth (`has_auth`) defaults to user pool
/// authorization, so that nothing is open to whoever holds the API key the
/// frontend ships; without auth, to an API key (the only mode that needs none).
pub fn resolve_api(
    o: &ApiOptions,
    current: Option<ApiConfig>,
    has_auth: bool,
    inputs: &mut Inputs,
) -> Result<ApiConfig, crate::Error> {
    let q = |key: &'static str, prompt: &'static str| Question {
        key,
        prompt,
        default: None,
    };
    let base = current.unwrap_or(ApiConfig::new(if has_auth {
        AuthMode::UserPools
    } else {
        AuthMode::ApiKey
    }));
    let all = [
        AuthMode::ApiKey,
        AuthMode::UserPools,
        AuthMode::Iam,
        AuthMode::Oidc,
        AuthMode::Lambda,
    ];
    let auth = inputs.choice(
        q("auth", "Default authorization mode"),
        o.auth,
        &all,
        base.auth,
    )?;
    let additional_flag = if o.additional_auth.is_empty() {
        None
    } else {
        Some(o.additional_auth.clone())
    };
    let mut additional = inputs.list(
        q("additional-auth", "Additional authorization modes"),
        additional_flag,
        base.additional_auth.clone(),
    )?;
    let authorizer = o.lambda_authorizer.clone();
    if authorizer.is_some() && auth != AuthMode::Lambda && !additional.contains(&AuthMode::Lambda) {
        additional.push(AuthMode::Lambda);
    }
    additional.retain(|m| *m != auth);
    additional.sort();
    additional.dedup();
    let uses_key = auth == AuthMode::ApiKey || additional.contains(&AuthMode::ApiKey);
    let days = if uses_key {
        inputs.number(
            q("api-key-days", "Days an API key lives"),
            o.api_key_days.map(u32::from),
            u32::from(base.api_key_days),
            1..=365,
        )? as u16
    } else {
        base.api_key_days
    };
    let (lambda_authorizer, lambda_authorizer_arn) = match authorizer {
        Some(function) => (Some(function), None),
        None => (
            base.lambda_authorizer.clone(),
            base.lambda_authorizer_arn.clone(),
        ),
    };
    Ok(ApiConfig {
        auth,
        additional_auth: additional,
        api_key_days: days,
        lambda_authorizer,
        lambda_authorizer_arn,
        ..base
    })
}
