//! The pool's settings, read from the synthesized auth template.

use serde_json::{Map, Value};

use super::*;

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
    /// `MfaConfiguration`: `OFF`, `OPTIONAL` or `ON`.
    pub mfa: String,
    /// `EnabledMfas` has `SOFTWARE_TOKEN_MFA` (TOTP).
    pub totp: bool,
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
            mfa: "OFF".into(),
            totp: false,
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
            mfa: pool["MfaConfiguration"]
                .as_str()
                .unwrap_or("OFF")
                .to_string(),
            totp: strings(&pool["EnabledMfas"])
                .iter()
                .any(|m| m == "SOFTWARE_TOKEN_MFA"),
        })
    }

    /// The policy's complaint about `password`, in Cognito's words.
    pub(super) fn password_problem(&self, password: &str) -> Option<&'static str> {
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
