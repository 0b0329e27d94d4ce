//! The auth options from flags, else asked, else the current or default value:
//! what `hoist add auth` and `hoist update auth` resolve before writing hoist.toml.

use crate::category::auth::{
    AuthConfig, Group, HostedUi, Mfa, MfaMethod, Oidc, RedirectUrls, Social, SocialProvider,
};
use crate::category::{self, ResourceError, SecretRef};
use crate::cli::{AuthOptions, PasswordClass};
use crate::prompt::{Inputs, PromptError, Question};

/// What defaults depend on outside the resource itself.
pub struct Context {
    pub project: String,
    pub dev_port: Option<u16>,
}

pub fn auth_flags_given(o: &AuthOptions) -> bool {
    o.sign_in.is_some()
        || o.required_attributes.is_some()
        || o.self_sign_up.is_some()
        || o.account_recovery.is_some()
        || o.password_min_length.is_some()
        || o.password_require.is_some()
        || o.mfa.is_some()
        || o.mfa_methods.is_some()
        || o.guest
        || o.no_guest
        || !o.groups.is_empty()
        || !o.remove_groups.is_empty()
        || o.google_client_id.is_some()
        || o.facebook_client_id.is_some()
        || o.amazon_client_id.is_some()
        || o.apple_client_id.is_some()
        || o.oidc.is_some()
        || o.domain_prefix.is_some()
        || !o.callback_urls.is_empty()
        || !o.sign_out_urls.is_empty()
}

fn secret(flag: &'static str, value: &Option<String>) -> Result<Option<SecretRef>, crate::Error> {
    value
        .as_deref()
        .map(|v| {
            SecretRef::parse(v).map_err(|message| {
                ResourceError::BadFlag { flag, message, help: "a secret never goes into hoist.toml: name an environment variable (`env:GOOGLE_SECRET`) or an SSM parameter (`ssm:/shop/google-secret`)".into() }.into()
            })
        })
        .transpose()
}

/// `NAME` or `NAME:PRECEDENCE`.
fn parse_group(text: &str) -> Result<Group, String> {
    let (name, precedence) = match text.split_once(':') {
        Some((name, p)) => (
            name,
            p.parse::<u32>().map_err(|_| {
                format!("`{p}` is not a precedence: write `NAME` or `NAME:PRECEDENCE` with a whole number, lower first (for example `Admins:0`)")
            })?,
        ),
        None => (text, 0),
    };
    category::auth::validate_group_name(name).map_err(|message| {
        format!("{message}: a group name has 1 to 64 letters, digits, `-` or `_`, starting with a letter")
    })?;
    Ok(Group {
        name: name.to_string(),
        precedence,
    })
}

/// The auth options: each from its flag, else asked (when `ask`), else `base`'s.
pub fn resolve_auth(
    o: &AuthOptions,
    base: AuthConfig,
    inputs: &mut Inputs,
    ctx: &Context,
) -> Result<AuthConfig, crate::Error> {
    use crate::category::auth::{Recovery, SignIn};
    let mut cfg = base;
    let q = |key: &'static str, prompt: &'static str| Question {
        key,
        prompt,
        default: None,
    };

    cfg.sign_in = inputs.choice(
        q("sign-in", "How do users sign in?"),
        o.sign_in,
        &[
            SignIn::Email,
            SignIn::Username,
            SignIn::Phone,
            SignIn::EmailOrPhone,
        ],
        cfg.sign_in,
    )?;
    cfg.required_attributes = inputs.list(
        q(
            "required-attributes",
            "Attributes required at sign-up, besides those sign-in needs",
        ),
        o.required_attributes.clone(),
        cfg.required_attributes.clone(),
    )?;
    cfg.self_sign_up = inputs.confirm(
        q("self-sign-up", "May users sign themselves up?"),
        o.self_sign_up,
        cfg.self_sign_up,
    )?;
    let default_recovery = match (o.sign_in, cfg.sign_in) {
        (Some(_), SignIn::Phone) => Recovery::Phone,
        (Some(_), _) => Recovery::Email,
        (None, _) => cfg.account_recovery,
    };
    cfg.account_recovery = inputs.choice(
        q("account-recovery", "How do users recover a lost password?"),
        o.account_recovery,
        &[Recovery::Email, Recovery::Phone],
        default_recovery,
    )?;
    cfg.password.min_length = inputs.number(
        q("password-min-length", "Minimum password length"),
        o.password_min_length.map(u32::from),
        u32::from(cfg.password.min_length),
        6..=99,
    )? as u8;
    let p = &cfg.password;
    let current: Vec<PasswordClass> = [
        (p.require_lowercase, PasswordClass::Lowercase),
        (p.require_uppercase, PasswordClass::Uppercase),
        (p.require_digits, PasswordClass::Digits),
        (p.require_symbols, PasswordClass::Symbols),
    ]
    .into_iter()
    .filter_map(|(on, class)| on.then_some(class))
    .collect();
    let classes = inputs.list(
        q("password-require", "Characters a password must contain"),
        o.password_require.clone(),
        current,
    )?;
    cfg.password.require_lowercase = classes.contains(&PasswordClass::Lowercase);
    cfg.password.require_uppercase = classes.contains(&PasswordClass::Uppercase);
    cfg.password.require_digits = classes.contains(&PasswordClass::Digits);
    cfg.password.require_symbols = classes.contains(&PasswordClass::Symbols);
    cfg.mfa = inputs.choice(
        q("mfa", "Multi-factor authentication"),
        o.mfa,
        &[Mfa::Off, Mfa::Optional, Mfa::Required],
        cfg.mfa,
    )?;
    if cfg.mfa == Mfa::Off {
        cfg.mfa_methods.clear();
    } else {
        let default = if cfg.mfa_methods.is_empty() {
            vec![MfaMethod::Totp]
        } else {
            cfg.mfa_methods.clone()
        };
        cfg.mfa_methods = inputs.list(
            q("mfa-methods", "MFA methods"),
            o.mfa_methods.clone(),
            default,
        )?;
        cfg.mfa_methods.sort();
        cfg.mfa_methods.dedup();
    }
    let guest_flag = if o.guest {
        Some(true)
    } else if o.no_guest {
        Some(false)
    } else {
        None
    };
    cfg.guest_access = inputs.confirm(
        q(
            "guest",
            "Let guests (not signed in) use AWS resources, such as public files?",
        ),
        guest_flag,
        cfg.guest_access,
    )?;

    let flag_groups = if o.groups.is_empty() {
        None
    } else {
        Some(o.groups.clone())
    };
    let existing: Vec<String> = cfg
        .groups
        .iter()
        .map(|g| format!("{}:{}", g.name, g.precedence))
        .collect();
    let groups = inputs.text_list(
        q(
            "group",
            "User pool groups (NAME or NAME:PRECEDENCE, comma-separated)",
        ),
        flag_groups.clone(),
        if flag_groups.is_some() {
            Vec::new()
        } else {
            existing.clone()
        },
        |g| parse_group(g).map(|_| ()),
    )?;
    let mut parsed: Vec<Group> = groups
        .iter()
        .map(|g| parse_group(g))
        .collect::<Result<_, _>>()
        .map_err(|message| PromptError::BadValue {
            flag: "group",
            message,
        })?;
    if flag_groups.is_some() {
        // `--group` adds to (or changes the precedence of) the existing groups.
        let mut merged = cfg.groups.clone();
        for group in parsed {
            match merged.iter_mut().find(|g| g.name == group.name) {
                Some(existing) => existing.precedence = group.precedence,
                None => merged.push(group),
            }
        }
        parsed = merged;
    }
    parsed.retain(|g| !o.remove_groups.contains(&g.name));
    cfg.groups = parsed;

    resolve_federation(o, &mut cfg, inputs, ctx)?;
    Ok(cfg)
}

fn non_empty(what: &'static str) -> impl Fn(&str) -> Result<(), String> {
    move |text: &str| {
        if text.trim().is_empty() {
            Err(format!("the {what} is empty"))
        } else {
            Ok(())
        }
    }
}

fn secret_source(text: &str) -> Result<(), String> {
    SecretRef::parse(text).map(|_| ())
}

/// Social and OIDC sign-in and the hosted UI: flags first, then questions for
/// whatever the chosen providers still lack.
fn resolve_federation(
    o: &AuthOptions,
    cfg: &mut AuthConfig,
    inputs: &mut Inputs,
    ctx: &Context,
) -> Result<(), crate::Error> {
    let q = |key: &'static str, prompt: &'static str| Question {
        key,
        prompt,
        default: None,
    };
    let flagged: Vec<(
        SocialProvider,
        &Option<String>,
        &'static str,
        &Option<String>,
    )> = vec![
        (
            SocialProvider::Google,
            &o.google_client_id,
            "google-client-secret",
            &o.google_client_secret,
        ),
        (
            SocialProvider::Facebook,
            &o.facebook_client_id,
            "facebook-client-secret",
            &o.facebook_client_secret,
        ),
        (
            SocialProvider::Amazon,
            &o.amazon_client_id,
            "amazon-client-secret",
            &o.amazon_client_secret,
        ),
        (
            SocialProvider::Apple,
            &o.apple_client_id,
            "apple-private-key",
            &o.apple_private_key,
        ),
    ];
    let given: Vec<SocialProvider> = flagged
        .iter()
        .filter(|f| f.1.is_some())
        .map(|f| f.0)
        .collect();
    let flag = if given.is_empty() {
        None
    } else {
        let mut all: Vec<SocialProvider> = cfg.social.keys().copied().collect();
        all.extend(given.iter().copied());
        Some(all)
    };
    let mut providers = inputs.list(
        q("social", "Social sign-in providers (none ticked: none)"),
        flag,
        cfg.social.keys().copied().collect(),
    )?;
    providers.sort();
    providers.dedup();
    cfg.social.retain(|p, _| providers.contains(p));
    for (provider, id_flag, secret_flag, secret_value) in flagged {
        if !providers.contains(&provider) {
            continue;
        }
        let existing = cfg.social.get(&provider).cloned();
        if existing.is_some() && id_flag.is_none() {
            continue;
        }
        let (id_key, id_prompt, secret_prompt): (&'static str, &'static str, &'static str) =
            match provider {
                SocialProvider::Google => (
                    "google-client-id",
                    "Google client id",
                    "Where the Google client secret comes from at deploy time (env:VARIABLE or ssm:/name)",
                ),
                SocialProvider::Facebook => (
                    "facebook-client-id",
                    "Facebook app id",
                    "Where the Facebook app secret comes from at deploy time (env:VARIABLE or ssm:/name)",
                ),
                SocialProvider::Amazon => (
                    "amazon-client-id",
                    "Login with Amazon client id",
                    "Where the Login with Amazon client secret comes from at deploy time (env:VARIABLE or ssm:/name)",
                ),
                SocialProvider::Apple => (
                    "apple-client-id",
                    "Sign in with Apple services id",
                    "Where the Sign in with Apple private key comes from at deploy time (env:VARIABLE or ssm:/name)",
                ),
            };
        let client_id = inputs.string(
            q(id_key, id_prompt),
            id_flag.clone(),
            non_empty("client id"),
        )?;
        let source = inputs.string(
            q(secret_flag, secret_prompt),
            secret_value.clone(),
            secret_source,
        )?;
        let source = SecretRef::parse(&source).ok();
        let social = if provider == SocialProvider::Apple {
            let team_id = inputs.string(
                q("apple-team-id", "Apple team id"),
                o.apple_team_id.clone(),
                non_empty("team id"),
            )?;
            let key_id = inputs.string(
                q("apple-key-id", "Apple key id"),
                o.apple_key_id.clone(),
                non_empty("key id"),
            )?;
            Social {
                client_id,
                client_secret: None,
                team_id: Some(team_id),
                key_id: Some(key_id),
                private_key: source,
                scopes: Vec::new(),
            }
        } else {
            Social {
                client_id,
                client_secret: source,
                team_id: None,
                key_id: None,
                private_key: None,
                scopes: Vec::new(),
            }
        };
        cfg.social.insert(provider, social);
    }

    match (&o.oidc, &o.oidc_issuer, &o.oidc_client_id) {
        (Some(name), Some(issuer), Some(client_id)) => {
            let client_secret =
                secret("oidc-client-secret", &o.oidc_client_secret)?.ok_or_else(|| {
                    PromptError::needs_value("OIDC client secret", "oidc-client-secret")
                })?;
            cfg.oidc.insert(
                name.clone(),
                Oidc {
                    issuer_url: issuer.clone(),
                    client_id: client_id.clone(),
                    client_secret,
                    scopes: Vec::new(),
                },
            );
        }
        _ if !inputs.yes && cfg.oidc.is_empty() => {
            let name = inputs.string(
                q("oidc", "OIDC provider name (empty for none)"),
                None,
                |_| Ok(()),
            )?;
            if !name.trim().is_empty() {
                let issuer = inputs.string(
                    q("oidc-issuer", "OIDC issuer URL"),
                    None,
                    non_empty("issuer URL"),
                )?;
                let client_id = inputs.string(
                    q("oidc-client-id", "OIDC client id"),
                    None,
                    non_empty("client id"),
                )?;
                let source = inputs.string(
                    q(
                        "oidc-client-secret",
                        "Where the OIDC client secret comes from (env:VARIABLE or ssm:/name)",
                    ),
                    None,
                    secret_source,
                )?;
                if let Ok(client_secret) = SecretRef::parse(&source) {
                    cfg.oidc.insert(
                        name.trim().to_string(),
                        Oidc {
                            issuer_url: issuer,
                            client_id,
                            client_secret,
                            scopes: Vec::new(),
                        },
                    );
                }
            }
        }
        _ => {}
    }

    let federated = !cfg.social.is_empty() || !cfg.oidc.is_empty();
    let ui_flags =
        o.domain_prefix.is_some() || !o.callback_urls.is_empty() || !o.sign_out_urls.is_empty();
    if federated || ui_flags {
        let current = cfg.hosted_ui.clone();
        let default_url = format!("http://localhost:{}/", ctx.dev_port.unwrap_or(5173));
        let prefix = inputs.string(
            Question {
                key: "domain-prefix",
                prompt: "Hosted UI domain prefix (the environment's name is appended)",
                default: Some(
                    current
                        .as_ref()
                        .map(|u| u.domain_prefix.clone())
                        .unwrap_or_else(|| format!("{}-login", ctx.project)),
                ),
            },
            o.domain_prefix.clone(),
            non_empty("domain prefix"),
        )?;
        let callbacks = inputs.text_list(
            q(
                "callback-url",
                "Callback URLs after sign-in (comma-separated)",
            ),
            Some(o.callback_urls.clone()).filter(|u| !u.is_empty()),
            current
                .as_ref()
                .map(|u| u.urls.callback_urls.clone())
                .unwrap_or_else(|| vec![default_url.clone()]),
            |_| Ok(()),
        )?;
        let sign_outs = inputs.text_list(
            q("sign-out-url", "Sign-out URLs (comma-separated)"),
            Some(o.sign_out_urls.clone()).filter(|u| !u.is_empty()),
            current
                .as_ref()
                .map(|u| u.urls.sign_out_urls.clone())
                .unwrap_or_else(|| callbacks.clone()),
            |_| Ok(()),
        )?;
        cfg.hosted_ui = Some(HostedUi {
            domain_prefix: prefix,
            urls: RedirectUrls {
                callback_urls: callbacks,
                sign_out_urls: sign_outs,
            },
            env: current.map(|u| u.env).unwrap_or_default(),
        });
    }
    Ok(())
}
