//! The auth category: a Cognito user pool, its web client, an identity pool,
//! groups with their own IAM roles, social and OIDC sign-in with a hosted UI.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Problem, SecretRef};
use crate::cfn::{self, Template, get_att, r#ref, sub};

pub mod outputs;
mod questions;
mod stack;

pub use outputs::amplify_outputs;
pub use questions::{Context, auth_flags_given, resolve_auth};
use stack::oauth_scopes;
pub use stack::{part, synth};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum SignIn {
    /// Email address and password
    Email,
    /// A user name and password
    Username,
    /// Phone number and password
    Phone,
    /// Email address or phone number
    EmailOrPhone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Recovery {
    /// A code sent to the verified email address
    Email,
    /// A code sent by SMS to the verified phone number
    Phone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Mfa {
    /// No second factor
    Off,
    /// Each user may turn on a second factor
    Optional,
    /// Every user signs in with a second factor
    Required,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum MfaMethod {
    /// An authenticator app's time-based codes (TOTP)
    Totp,
    /// Codes sent by SMS (needs an SMS role; costs per message)
    Sms,
}

/// Cognito's standard attributes that can be required at sign-up.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Attribute {
    /// Postal address
    Address,
    /// Date of birth (YYYY-MM-DD)
    Birthdate,
    /// Email address
    Email,
    /// Surname
    FamilyName,
    /// Gender
    Gender,
    /// First name
    GivenName,
    /// Locale (for example en-US)
    Locale,
    /// Middle name
    MiddleName,
    /// Full name
    Name,
    /// Casual name
    Nickname,
    /// Phone number (E.164, for example +14155550100)
    PhoneNumber,
    /// A picture's URL
    Picture,
    /// The name the user prefers to be shown
    PreferredUsername,
    /// A profile page's URL
    Profile,
    /// A web site's URL
    Website,
    /// Time zone (for example Europe/Paris)
    Zoneinfo,
}

impl Attribute {
    pub fn as_str(self) -> &'static str {
        match self {
            Attribute::Address => "address",
            Attribute::Birthdate => "birthdate",
            Attribute::Email => "email",
            Attribute::FamilyName => "family_name",
            Attribute::Gender => "gender",
            Attribute::GivenName => "given_name",
            Attribute::Locale => "locale",
            Attribute::MiddleName => "middle_name",
            Attribute::Name => "name",
            Attribute::Nickname => "nickname",
            Attribute::PhoneNumber => "phone_number",
            Attribute::Picture => "picture",
            Attribute::PreferredUsername => "preferred_username",
            Attribute::Profile => "profile",
            Attribute::Website => "website",
            Attribute::Zoneinfo => "zoneinfo",
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum SocialProvider {
    /// Sign in with Google
    Google,
    /// Sign in with Facebook
    Facebook,
    /// Login with Amazon
    Amazon,
    /// Sign in with Apple
    Apple,
}

impl SocialProvider {
    /// Cognito's provider name and type for it.
    fn cognito_name(self) -> &'static str {
        match self {
            SocialProvider::Google => "Google",
            SocialProvider::Facebook => "Facebook",
            SocialProvider::Amazon => "LoginWithAmazon",
            SocialProvider::Apple => "SignInWithApple",
        }
    }

    /// The name in `amplify_outputs.json`.
    fn outputs_name(self) -> &'static str {
        match self {
            SocialProvider::Google => "GOOGLE",
            SocialProvider::Facebook => "FACEBOOK",
            SocialProvider::Amazon => "LOGIN_WITH_AMAZON",
            SocialProvider::Apple => "SIGN_IN_WITH_APPLE",
        }
    }

    fn default_scopes(self) -> Vec<String> {
        let scopes: &[&str] = match self {
            SocialProvider::Google => &["openid", "email", "profile"],
            SocialProvider::Facebook => &["public_profile", "email"],
            SocialProvider::Amazon => &["profile"],
            SocialProvider::Apple => &["email", "name"],
        };
        scopes.iter().map(|s| s.to_string()).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordPolicy {
    pub min_length: u8,
    pub require_lowercase: bool,
    pub require_uppercase: bool,
    pub require_digits: bool,
    pub require_symbols: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            min_length: 8,
            require_lowercase: true,
            require_uppercase: true,
            require_digits: true,
            require_symbols: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub name: String,
    pub precedence: u32,
}

/// A social identity provider. Apple signs in with a team id, key id and private key
/// instead of a client secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Social {
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<SecretRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key: Option<SecretRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Oidc {
    pub issuer_url: String,
    pub client_id: String,
    pub client_secret: SecretRef,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
}

/// URLs the hosted UI may redirect to after sign-in and sign-out.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedirectUrls {
    #[serde(default)]
    pub callback_urls: Vec<String>,
    #[serde(default)]
    pub sign_out_urls: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostedUi {
    /// The Cognito domain is `<domain_prefix>-<env>.auth.<region>.amazoncognito.com`.
    pub domain_prefix: String,
    #[serde(flatten)]
    pub urls: RedirectUrls,
    /// Per-environment URLs, replacing the defaults above.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, RedirectUrls>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    pub sign_in: SignIn,
    #[serde(default)]
    pub required_attributes: Vec<Attribute>,
    pub self_sign_up: bool,
    pub account_recovery: Recovery,
    #[serde(default)]
    pub password: PasswordPolicy,
    pub mfa: Mfa,
    #[serde(default)]
    pub mfa_methods: Vec<MfaMethod>,
    #[serde(default)]
    pub guest_access: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<Group>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub social: BTreeMap<SocialProvider, Social>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub oidc: BTreeMap<String, Oidc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosted_ui: Option<HostedUi>,
}

impl Default for AuthConfig {
    /// Secure defaults: email sign-in, strong passwords, no guests.
    fn default() -> Self {
        AuthConfig {
            sign_in: SignIn::Email,
            required_attributes: Vec::new(),
            self_sign_up: true,
            account_recovery: Recovery::Email,
            password: PasswordPolicy::default(),
            mfa: Mfa::Off,
            mfa_methods: Vec::new(),
            guest_access: false,
            groups: Vec::new(),
            social: BTreeMap::new(),
            oidc: BTreeMap::new(),
            hosted_ui: None,
        }
    }
}

impl AuthConfig {
    pub fn uses_sms(&self) -> bool {
        self.mfa != Mfa::Off && self.mfa_methods.contains(&MfaMethod::Sms)
    }

    fn username_attributes(&self) -> Vec<&'static str> {
        match self.sign_in {
            SignIn::Email => vec!["email"],
            SignIn::Phone => vec!["phone_number"],
            SignIn::EmailOrPhone => vec!["email", "phone_number"],
            SignIn::Username => vec![],
        }
    }

    /// Attributes required at sign-up: those asked for, plus what sign-in and recovery need.
    pub fn all_required_attributes(&self) -> Vec<Attribute> {
        let mut attrs = self.required_attributes.clone();
        match self.sign_in {
            SignIn::Email => attrs.push(Attribute::Email),
            SignIn::Phone => attrs.push(Attribute::PhoneNumber),
            SignIn::EmailOrPhone | SignIn::Username => {}
        }
        match self.account_recovery {
            Recovery::Email if self.sign_in != SignIn::EmailOrPhone => attrs.push(Attribute::Email),
            Recovery::Phone if self.sign_in != SignIn::EmailOrPhone => {
                attrs.push(Attribute::PhoneNumber)
            }
            _ => {}
        }
        if self.uses_sms() && self.sign_in != SignIn::EmailOrPhone {
            attrs.push(Attribute::PhoneNumber);
        }
        attrs.sort();
        attrs.dedup();
        attrs
    }

    /// Attributes Cognito verifies by sending a code.
    fn verified_attributes(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let email = matches!(self.sign_in, SignIn::Email | SignIn::EmailOrPhone)
            || self.account_recovery == Recovery::Email;
        let phone = matches!(self.sign_in, SignIn::Phone | SignIn::EmailOrPhone)
            || self.account_recovery == Recovery::Phone;
        if email {
            out.push("email");
        }
        if phone {
            out.push("phone_number");
        }
        out
    }

    fn redirect_urls(&self, env: &str) -> RedirectUrls {
        match &self.hosted_ui {
            Some(ui) => ui.env.get(env).cloned().unwrap_or_else(|| ui.urls.clone()),
            None => RedirectUrls::default(),
        }
    }

    fn domain(&self, env: &str) -> Option<String> {
        self.hosted_ui
            .as_ref()
            .map(|ui| format!("{}-{env}", ui.domain_prefix))
    }

    /// Everything wrong with this configuration, each at the key it is about.
    pub fn problems(&self, envs: &[&str]) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut add = |keys: &[&str], message: String, help: &str| {
            problems.push(Problem::new(keys, message, help));
        };
        let p = &self.password;
        if !(6..=99).contains(&p.min_length) {
            add(
                &["password", "min_length"],
                format!(
                    "a minimum password length of {} is not allowed",
                    p.min_length
                ),
                "Cognito accepts 6 to 99 characters; 8 or more is recommended",
            );
        }
        if self.mfa != Mfa::Off && self.mfa_methods.is_empty() {
            add(
                &["mfa_methods"],
                "MFA is on but no MFA method is chosen".into(),
                "set `mfa_methods = [\"totp\"]`, `[\"sms\"]` or both, or `mfa = \"off\"`",
            );
        }
        if self.mfa == Mfa::Off && !self.mfa_methods.is_empty() {
            add(
                &["mfa_methods"],
                "MFA methods are listed but MFA is off".into(),
                "set `mfa = \"optional\"` or `\"required\"`, or remove `mfa_methods`",
            );
        }
        let mut seen: Vec<String> = Vec::new();
        for (i, group) in self.groups.iter().enumerate() {
            let at = format!("{i}");
            if let Err(message) = validate_group_name(&group.name) {
                add(&["groups", &at, "name"], message, GROUP_RULE);
            }
            let key = group.name.to_ascii_lowercase();
            if seen.contains(&key) {
                add(
                    &["groups", &at, "name"],
                    format!("the group `{}` is named twice", group.name),
                    "group names must be unique (ignoring case); remove or rename one",
                );
            }
            seen.push(key);
        }
        for (provider, social) in &self.social {
            let name = serde_json::to_value(provider).ok();
            let name = name.as_ref().and_then(Value::as_str).unwrap_or("social");
            if social.client_id.trim().is_empty() {
                add(
                    &["social", name, "client_id"],
                    format!("the {name} client id is empty"),
                    "copy the client id from the provider's developer console",
                );
            }
            let apple = *provider == SocialProvider::Apple;
            if apple
                && (social.team_id.is_none()
                    || social.key_id.is_none()
                    || social.private_key.is_none())
            {
                add(
                    &["social", name],
                    "Sign in with Apple needs `team_id`, `key_id` and `private_key`".into(),
                    "add them from your Apple developer account; `private_key` is read from an environment variable or an SSM parameter, never stored here",
                );
            }
            if !apple && social.client_secret.is_none() {
                add(
                    &["social", name],
                    format!("{name} needs a `client_secret`"),
                    "set `client_secret = { env = \"VARIABLE\" }` or `client_secret = { ssm = \"/parameter/name\" }`: the secret itself never goes into hoist.toml",
                );
            }
        }
        for (name, oidc) in &self.oidc {
            if let Err(message) = validate_provider_name(name) {
                add(
                    &["oidc", name],
                    message,
                    "an OIDC provider name has 3 to 32 letters, digits, `-` or `_`, and is not the name of a social provider",
                );
            }
            if !oidc.issuer_url.starts_with("https://") {
                add(
                    &["oidc", name, "issuer_url"],
                    format!("the issuer URL `{}` is not https", oidc.issuer_url),
                    "use the provider's `https://` issuer URL",
                );
            }
        }
        let federated = !self.social.is_empty() || !self.oidc.is_empty();
        match &self.hosted_ui {
            None if federated => add(
                &[],
                "social or OIDC sign-in needs a hosted UI".into(),
                "add `[auth.<name>.hosted_ui]` with `domain_prefix` and `callback_urls`, or pass `--domain-prefix` and `--callback-url`",
            ),
            Some(ui) => {
                if let Err(message) = validate_domain_prefix(&ui.domain_prefix) {
                    add(
                        &["hosted_ui", "domain_prefix"],
                        message,
                        "a domain prefix has lowercase letters, digits and hyphens, and may not contain `aws`, `amazon` or `cognito`; the env name is appended to it",
                    );
                }
                for env in envs {
                    let urls = self.redirect_urls(env);
                    if urls.callback_urls.is_empty() {
                        add(
                            &["hosted_ui", "callback_urls"],
                            format!(
                                "the hosted UI has no callback URL for the environment `{env}`"
                            ),
                            "add `callback_urls = [\"http://localhost:5173/\"]` (or per environment under `[auth.<name>.hosted_ui.env.<env>]`)",
                        );
                    }
                    for url in urls.callback_urls.iter().chain(&urls.sign_out_urls) {
                        if let Err(message) = validate_redirect_url(url) {
                            add(
                                &["hosted_ui"],
                                message,
                                "use `https://` URLs, or `http://localhost` while developing",
                            );
                        }
                    }
                }
                for env in ui.env.keys() {
                    if !envs.contains(&env.as_str()) {
                        add(
                            &["hosted_ui", "env", env],
                            format!("there is no environment `{env}`"),
                            "name one of the `[env.*]` tables, or add the environment first",
                        );
                    }
                }
            }
            None => {}
        }
        problems
    }
}

const GROUP_RULE: &str = "a group name has 1 to 64 letters, digits, `-` or `_`, starting with a letter (for example `Admins`)";

pub fn validate_group_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!("`{name}` is not a valid group name"))
    }
}

fn validate_provider_name(name: &str) -> Result<(), String> {
    let reserved = [
        "google",
        "facebook",
        "loginwithamazon",
        "signinwithapple",
        "cognito",
    ];
    let ok = (3..=32).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !reserved.contains(&name.to_ascii_lowercase().as_str());
    if ok {
        Ok(())
    } else {
        Err(format!("`{name}` is not a valid OIDC provider name"))
    }
}

fn validate_domain_prefix(prefix: &str) -> Result<(), String> {
    let ok = (1..=50).contains(&prefix.len())
        && prefix
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !prefix.starts_with('-')
        && !prefix.ends_with('-')
        && !["aws", "amazon", "cognito"]
            .iter()
            .any(|w| prefix.contains(w));
    if ok {
        Ok(())
    } else {
        Err(format!("`{prefix}` is not a valid domain prefix"))
    }
}

fn validate_redirect_url(url: &str) -> Result<(), String> {
    let local = url.starts_with("http://localhost") || url.starts_with("http://127.0.0.1");
    let scheme_app = url.contains("://") && !url.starts_with("http://");
    if url.starts_with("https://") || local || scheme_app {
        Ok(())
    } else {
        Err(format!("`{url}` is not an allowed redirect URL"))
    }
}
