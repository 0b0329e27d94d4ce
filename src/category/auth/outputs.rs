//! The auth stack's outputs and its `auth` section of `amplify_outputs.json`.

use super::*;

/// Names of the outputs of an auth stack.
pub const USER_POOL_ID: &str = "UserPoolId";
pub const USER_POOL_ARN: &str = "UserPoolArn";
pub const USER_POOL_PROVIDER_NAME: &str = "UserPoolProviderName";
pub const USER_POOL_CLIENT_ID: &str = "UserPoolClientId";
pub const IDENTITY_POOL_ID: &str = "IdentityPoolId";
pub const HOSTED_UI_DOMAIN: &str = "HostedUIDomain";

pub fn group_role_name(group_logical: &str) -> String {
    format!("{group_logical}GroupRoleName")
}

pub fn group_role_arn(group_logical: &str) -> String {
    format!("{group_logical}GroupRoleArn")
}

/// The `auth` section of `amplify_outputs.json`.
pub fn amplify_outputs(
    cfg: &AuthConfig,
    env: &str,
    region: &str,
    deployed: &BTreeMap<String, String>,
) -> Result<Value, String> {
    let get = |key: &str| deployed.get(key).cloned().ok_or_else(|| key.to_string());
    let mut out = json!({
        "aws_region": region,
        "user_pool_id": get(USER_POOL_ID)?,
        "user_pool_client_id": get(USER_POOL_CLIENT_ID)?,
        "identity_pool_id": get(IDENTITY_POOL_ID)?,
        "password_policy": {
            "min_length": cfg.password.min_length,
            "require_numbers": cfg.password.require_digits,
            "require_lowercase": cfg.password.require_lowercase,
            "require_uppercase": cfg.password.require_uppercase,
            "require_symbols": cfg.password.require_symbols
        },
        "standard_required_attributes": cfg.all_required_attributes().iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        "username_attributes": match cfg.sign_in {
            SignIn::Email => vec!["email"],
            SignIn::Phone => vec!["phone_number"],
            SignIn::EmailOrPhone => vec!["email", "phone_number"],
            SignIn::Username => vec!["username"],
        },
        "user_verification_types": cfg.verified_attributes(),
        "unauthenticated_identities_enabled": cfg.guest_access,
        "mfa_configuration": match cfg.mfa { Mfa::Off => "NONE", Mfa::Optional => "OPTIONAL", Mfa::Required => "REQUIRED" },
        "mfa_methods": if cfg.mfa == Mfa::Off { vec![] } else {
            cfg.mfa_methods.iter().map(|m| match m { MfaMethod::Sms => "SMS", MfaMethod::Totp => "TOTP" }).collect::<Vec<_>>()
        },
    });
    if !cfg.groups.is_empty() {
        out["groups"] = Value::Array(
            cfg.groups
                .iter()
                .map(|g| json!({ g.name.clone(): { "precedence": g.precedence } }))
                .collect(),
        );
    }
    if cfg.hosted_ui.is_some() {
        let urls = cfg.redirect_urls(env);
        out["oauth"] = json!({
            "identity_providers": cfg.social.keys().map(|p| p.outputs_name()).collect::<Vec<_>>(),
            "domain": get(HOSTED_UI_DOMAIN)?,
            "scopes": oauth_scopes(),
            "redirect_sign_in_uri": urls.callback_urls,
            "redirect_sign_out_uri": urls.sign_out_urls,
            "response_type": "code"
        });
    }
    Ok(out)
}
