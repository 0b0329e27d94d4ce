//! The api options from flags, else asked, else the current or default value.

use crate::category::api::{ApiConfig, AuthMode};
use crate::cli::ApiOptions;
use crate::prompt::{Inputs, PromptError, Question};

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
    // a mode's settings given as flags bring the mode along
    let flag_modes = [
        (
            AuthMode::Lambda,
            o.lambda_authorizer.is_some()
                || o.lambda_authorizer_arn.is_some()
                || o.lambda_authorizer_ttl.is_some(),
        ),
        (
            AuthMode::Oidc,
            o.oidc_issuer.is_some()
                || o.oidc_client_id.is_some()
                || o.oidc_iat_ttl.is_some()
                || o.oidc_auth_ttl.is_some(),
        ),
    ];
    for (mode, given) in flag_modes {
        if given && auth != mode && !additional.contains(&mode) {
            additional.push(mode);
        }
    }
    additional.retain(|m| *m != auth);
    additional.sort();
    additional.dedup();
    let uses = |mode: AuthMode| auth == mode || additional.contains(&mode);
    let days = if uses(AuthMode::ApiKey) {
        inputs.number(
            q("api-key-days", "Days an API key lives"),
            o.api_key_days.map(u32::from),
            u32::from(base.api_key_days),
            1..=365,
        )? as u16
    } else {
        base.api_key_days
    };
    let mut cfg = ApiConfig {
        auth,
        additional_auth: additional.clone(),
        api_key_days: days,
        ..base
    };
    // a mode's settings go with the mode: an api that leaves one keeps none
    // of its settings
    if uses(AuthMode::Oidc) {
        oidc(o, &mut cfg, inputs)?;
    } else {
        (cfg.oidc_issuer, cfg.oidc_client_id) = (None, None);
        (cfg.oidc_iat_ttl_ms, cfg.oidc_auth_ttl_ms) = (None, None);
    }
    if uses(AuthMode::Lambda) {
        lambda(o, &mut cfg, inputs)?;
    } else {
        (cfg.lambda_authorizer, cfg.lambda_authorizer_arn) = (None, None);
        cfg.lambda_authorizer_ttl_seconds = ApiConfig::new(auth).lambda_authorizer_ttl_seconds;
    }
    Ok(cfg)
}

/// The OIDC provider's settings, each from its flag, else the answers file,
/// else asked (the issuer and client id with the current value as default).
fn oidc(o: &ApiOptions, cfg: &mut ApiConfig, inputs: &mut Inputs) -> Result<(), crate::Error> {
    let issuer = inputs.string(
        Question {
            key: "oidc-issuer",
            prompt: "OIDC issuer URL (as its tokens' `iss` claim has it)",
            default: cfg.oidc_issuer.clone(),
        },
        o.oidc_issuer.clone(),
        check_issuer,
    )?;
    let client_id = inputs.string(
        Question {
            key: "oidc-client-id",
            prompt: "OIDC client id (its tokens' `aud` claim)",
            default: cfg.oidc_client_id.clone(),
        },
        o.oidc_client_id.clone(),
        |id| {
            if id.trim().is_empty() {
                Err("the client id is empty: give the one your provider issued".into())
            } else {
                Ok(())
            }
        },
    )?;
    let mut ttl =
        |key: &'static str, prompt: &'static str, flag: Option<u32>, current: Option<u32>| {
            inputs
                .number(
                    Question {
                        key,
                        prompt,
                        default: None,
                    },
                    flag,
                    current.unwrap_or(0),
                    0..=u32::MAX,
                )
                .map(|ms| Some(ms).filter(|ms| *ms > 0))
        };
    let iat = ttl(
        "oidc-iat-ttl",
        "Milliseconds a token is accepted after it was issued (0: until it expires)",
        o.oidc_iat_ttl,
        cfg.oidc_iat_ttl_ms,
    )?;
    let auth = ttl(
        "oidc-auth-ttl",
        "Milliseconds a token is accepted after the user authenticated (0: until it expires)",
        o.oidc_auth_ttl,
        cfg.oidc_auth_ttl_ms,
    )?;
    cfg.oidc_issuer = Some(issuer);
    cfg.oidc_client_id = Some(client_id);
    cfg.oidc_iat_ttl_ms = iat;
    cfg.oidc_auth_ttl_ms = auth;
    Ok(())
}

/// An OIDC issuer as AppSync takes it: an https URL with a host.
fn check_issuer(issuer: &str) -> Result<(), String> {
    if super::is_https_issuer(issuer) {
        Ok(())
    } else {
        Err(format!(
            "`{issuer}` is not an https URL: give the provider's issuer exactly as its tokens' `iss` claim has it (for example `https://example.auth0.com/`)"
        ))
    }
}

/// The Lambda authorizer: a project function (`--lambda-authorizer`) or a
/// deployed one's ARN (`--lambda-authorizer-arn`), else the current one,
/// else asked (a name or an ARN); and how long AppSync caches its answers.
fn lambda(o: &ApiOptions, cfg: &mut ApiConfig, inputs: &mut Inputs) -> Result<(), crate::Error> {
    if let Some(function) = &o.lambda_authorizer {
        cfg.lambda_authorizer = Some(function.clone());
        cfg.lambda_authorizer_arn = None;
    } else if let Some(arn) = &o.lambda_authorizer_arn {
        check_arn(arn).map_err(|message| PromptError::BadValue {
            flag: "lambda-authorizer-arn",
            message,
        })?;
        cfg.lambda_authorizer_arn = Some(arn.clone());
        cfg.lambda_authorizer = None;
    } else if let Some(arn) = inputs.answers.get("lambda-authorizer-arn") {
        check_arn(arn).map_err(|message| PromptError::BadValue {
            flag: "lambda-authorizer-arn",
            message,
        })?;
        cfg.lambda_authorizer_arn = Some(arn.to_string());
        cfg.lambda_authorizer = None;
    } else if cfg.lambda_authorizer.is_none() && cfg.lambda_authorizer_arn.is_none() {
        let answer = inputs.string(
            Question {
                key: "lambda-authorizer",
                prompt: "Lambda authorizer (a function of this project, or a deployed function's ARN)",
                default: None,
            },
            None,
            |value| {
                if value.starts_with("arn:") {
                    check_arn(value)
                } else if value.trim().is_empty() {
                    Err("name a function of this project, or give an ARN".into())
                } else {
                    Ok(())
                }
            },
        )?;
        if answer.starts_with("arn:") {
            cfg.lambda_authorizer_arn = Some(answer);
        } else {
            cfg.lambda_authorizer = Some(answer);
        }
    }
    cfg.lambda_authorizer_ttl_seconds = inputs.number(
        Question {
            key: "lambda-authorizer-ttl",
            prompt: "Seconds AppSync caches the authorizer's answer (0 to 3600)",
            default: None,
        },
        o.lambda_authorizer_ttl,
        u32::from(cfg.lambda_authorizer_ttl_seconds),
        0..=3600,
    )? as u16;
    Ok(())
}

fn check_arn(arn: &str) -> Result<(), String> {
    if super::is_lambda_function_arn(arn) {
        Ok(())
    } else {
        Err(format!(
            "`{arn}` is not a Lambda function's ARN: give `arn:aws:lambda:REGION:ACCOUNT:function:NAME`"
        ))
    }
}
