//! The auth resource's CloudFormation: the user pool, its client and domain,
//! the identity providers, the identity pool and the group roles.

use super::*;

use crate::category::{Category, Part, SecretParameter, logical_id};

/// The auth resource as synthesis takes it: its nested stack and secrets, and
/// in the root stack the identity pool's roles (their trust policies name the
/// identity pool) and the pool's role attachment, with a token role mapping
/// when there are groups (members get their group's role from the
/// `cognito:preferred_role` claim, as Cognito identity pools do).
pub fn part(name: &str, cfg: &AuthConfig, env: &str) -> Part {
    let logical = logical_id(Category::Auth, name);
    let (template, secrets) = synth(name, cfg, env);
    let mut root = Template::default();
    let identity_pool = get_att(&logical, &format!("Outputs.{}", outputs::IDENTITY_POOL_ID));
    root.resource(
        "AuthRole",
        "AWS::IAM::Role",
        json!({
            "Description": "Assumed by signed-in users through the identity pool",
            "AssumeRolePolicyDocument": cfn::identity_pool_trust(identity_pool.clone(), "authenticated")
        }),
    );
    root.output(
        "AuthRoleName",
        "The role of signed-in users",
        r#ref("AuthRole"),
    );
    root.output(
        "AuthRoleArn",
        "The role ARN of signed-in users",
        get_att("AuthRole", "Arn"),
    );
    let mut roles = json!({ "authenticated": get_att("AuthRole", "Arn") });
    if cfg.guest_access {
        root.resource(
            "UnauthRole",
            "AWS::IAM::Role",
            json!({
                "Description": "Assumed by guests through the identity pool",
                "AssumeRolePolicyDocument": cfn::identity_pool_trust(identity_pool.clone(), "unauthenticated")
            }),
        );
        root.output("UnauthRoleName", "The role of guests", r#ref("UnauthRole"));
        root.output(
            "UnauthRoleArn",
            "The role ARN of guests",
            get_att("UnauthRole", "Arn"),
        );
        roles["unauthenticated"] = get_att("UnauthRole", "Arn");
    }
    let mut attachment = json!({ "IdentityPoolId": identity_pool, "Roles": roles });
    if !cfg.groups.is_empty() {
        attachment["RoleMappings"] = json!({
            "UserPool": {
                "Type": "Token",
                "AmbiguousRoleResolution": "AuthenticatedRole",
                "IdentityProvider": cfn::join(vec![
                    get_att(&logical, &format!("Outputs.{}", outputs::USER_POOL_PROVIDER_NAME)),
                    json!(":"),
                    get_att(&logical, &format!("Outputs.{}", outputs::USER_POOL_CLIENT_ID)),
                ])
            }
        });
    }
    root.resource(
        "IdentityPoolRoleAttachment",
        "AWS::Cognito::IdentityPoolRoleAttachment",
        attachment,
    );
    Part {
        secrets,
        root,
        ..Part::new("auth", name, logical, template)
    }
}

/// The nested stack of one auth resource, and the secrets it needs at deploy time.
pub fn synth(name: &str, cfg: &AuthConfig, env: &str) -> (Template, Vec<SecretParameter>) {
    let mut t = Template::new(format!(
        "hoist auth `{name}`: Cognito user pool, client, identity pool and groups"
    ));
    t.string_parameter("Project", "The hoist project's name");
    t.string_parameter("Env", "The environment's name");
    let prefix = format!("${{Project}}-${{Env}}-{name}");
    let mut secrets = Vec::new();

    let password = &cfg.password;
    let mut pool = json!({
        "UserPoolName": sub(&prefix),
        "UsernameConfiguration": { "CaseSensitive": false },
        "Policies": {
            "PasswordPolicy": {
                "MinimumLength": password.min_length,
                "RequireLowercase": password.require_lowercase,
                "RequireUppercase": password.require_uppercase,
                "RequireNumbers": password.require_digits,
                "RequireSymbols": password.require_symbols,
                "TemporaryPasswordValidityDays": 7
            }
        },
        "AdminCreateUserConfig": { "AllowAdminCreateUserOnly": !cfg.self_sign_up },
        "AccountRecoverySetting": {
            "RecoveryMechanisms": [{
                "Name": match cfg.account_recovery {
                    Recovery::Email => "verified_email",
                    Recovery::Phone => "verified_phone_number",
                },
                "Priority": 1
            }]
        },
        "MfaConfiguration": match cfg.mfa {
            Mfa::Off => "OFF",
            Mfa::Optional => "OPTIONAL",
            Mfa::Required => "ON",
        },
        "UserPoolTags": { "hoist:project": r#ref("Project"), "hoist:env": r#ref("Env") }
    });
    let username_attributes = cfg.username_attributes();
    if !username_attributes.is_empty() {
        pool["UsernameAttributes"] = json!(username_attributes);
    }
    let verified = cfg.verified_attributes();
    if !verified.is_empty() {
        pool["AutoVerifiedAttributes"] = json!(verified);
    }
    let required = cfg.all_required_attributes();
    if !required.is_empty() {
        pool["Schema"] = Value::Array(
            required
                .iter()
                .map(|a| json!({ "Name": a.as_str(), "AttributeDataType": "String", "Mutable": true, "Required": true }))
                .collect(),
        );
    }
    if cfg.mfa != Mfa::Off {
        let mut methods: Vec<&str> = Vec::new();
        if cfg.mfa_methods.contains(&MfaMethod::Sms) {
            methods.push("SMS_MFA");
        }
        if cfg.mfa_methods.contains(&MfaMethod::Totp) {
            methods.push("SOFTWARE_TOKEN_MFA");
        }
        pool["EnabledMfas"] = json!(methods);
    }
    if cfg.uses_sms() || verified.contains(&"phone_number") {
        pool["SmsConfiguration"] = json!({
            "SnsCallerArn": get_att("SmsRole", "Arn"),
            "ExternalId": sub(&format!("{prefix}-sms"))
        });
        // MFA codes and phone verification are sent as SMS through SNS, with a role Cognito assumes.
        t.resource(
            "SmsRole",
            "AWS::IAM::Role",
            json!({
                "Description": "Lets Cognito send SMS messages (MFA and verification codes) through SNS",
                "AssumeRolePolicyDocument": cfn::policy(vec![json!({
                    "Effect": "Allow",
                    "Principal": { "Service": "cognito-idp.amazonaws.com" },
                    "Action": "sts:AssumeRole",
                    "Condition": { "StringEquals": { "sts:ExternalId": sub(&format!("{prefix}-sms")) } }
                })]),
                "Policies": [{
                    "PolicyName": "cognito-sms",
                    "PolicyDocument": cfn::policy(vec![json!({ "Effect": "Allow", "Action": "sns:Publish", "Resource": "*" })])
                }]
            }),
        );
    }
    let pool = t.resource("UserPool", "AWS::Cognito::UserPool", pool);
    // Users outlive a mistaken `remove`, `env remove` or a replacing change:
    // the pool is kept when the stack lets go of it (as storage buckets are).
    pool["DeletionPolicy"] = json!("Retain");
    pool["UpdateReplacePolicy"] = json!("Retain");

    // Identity providers and the hosted UI domain.
    let mut providers: Vec<Value> = vec![json!("COGNITO")];
    let mut provider_ids: Vec<String> = Vec::new();
    for (provider, social) in &cfg.social {
        let logical = format!("{}Provider", crate::naming::pascal(provider.cognito_name()));
        let scopes = if social.scopes.is_empty() {
            provider.default_scopes()
        } else {
            social.scopes.clone()
        };
        let mut details =
            json!({ "client_id": social.client_id, "authorize_scopes": scopes.join(" ") });
        if *provider == SocialProvider::Apple {
            let key_param = "AppleSignInPrivateKey".to_string();
            t.parameter(&key_param, json!({ "Type": "String", "NoEcho": true, "Description": "Sign in with Apple private key, resolved at deploy time" }));
            if let Some(source) = &social.private_key {
                secrets.push(SecretParameter {
                    name: key_param.clone(),
                    source: source.clone(),
                });
            }
            details["team_id"] = json!(social.team_id);
            details["key_id"] = json!(social.key_id);
            details["private_key"] = r#ref(&key_param);
        } else {
            let secret_param = format!(
                "{}ClientSecret",
                crate::naming::pascal(provider.cognito_name())
            );
            t.parameter(&secret_param, json!({ "Type": "String", "NoEcho": true, "Description": format!("{} client secret, resolved at deploy time", provider.cognito_name()) }));
            if let Some(source) = &social.client_secret {
                secrets.push(SecretParameter {
                    name: secret_param.clone(),
                    source: source.clone(),
                });
            }
            details["client_secret"] = r#ref(&secret_param);
        }
        if *provider == SocialProvider::Facebook {
            details["api_version"] = json!("v17.0");
        }
        let mapping = match provider {
            SocialProvider::Google => {
                json!({ "email": "email", "name": "name", "username": "sub" })
            }
            SocialProvider::Facebook => {
                json!({ "email": "email", "name": "name", "username": "id" })
            }
            SocialProvider::Amazon => {
                json!({ "email": "email", "name": "name", "username": "user_id" })
            }
            SocialProvider::Apple => json!({ "email": "email", "name": "name", "username": "sub" }),
        };
        t.resource(
            &logical,
            "AWS::Cognito::UserPoolIdentityProvider",
            json!({
                "UserPoolId": r#ref("UserPool"),
                "ProviderName": provider.cognito_name(),
                "ProviderType": provider.cognito_name(),
                "ProviderDetails": details,
                "AttributeMapping": mapping
            }),
        );
        providers.push(json!(provider.cognito_name()));
        provider_ids.push(logical);
    }
    for (name, oidc) in &cfg.oidc {
        let logical = format!("Oidc{}Provider", crate::naming::pascal(name));
        let secret_param = format!("Oidc{}ClientSecret", crate::naming::pascal(name));
        t.parameter(&secret_param, json!({ "Type": "String", "NoEcho": true, "Description": format!("OIDC provider {name} client secret, resolved at deploy time") }));
        secrets.push(SecretParameter {
            name: secret_param.clone(),
            source: oidc.client_secret.clone(),
        });
        let scopes = if oidc.scopes.is_empty() {
            vec!["openid".to_string(), "email".into(), "profile".into()]
        } else {
            oidc.scopes.clone()
        };
        t.resource(
            &logical,
            "AWS::Cognito::UserPoolIdentityProvider",
            json!({
                "UserPoolId": r#ref("UserPool"),
                "ProviderName": name,
                "ProviderType": "OIDC",
                "ProviderDetails": {
                    "client_id": oidc.client_id,
                    "client_secret": r#ref(&secret_param),
                    "attributes_request_method": "GET",
                    "oidc_issuer": oidc.issuer_url,
                    "authorize_scopes": scopes.join(" ")
                },
                "AttributeMapping": { "email": "email", "username": "sub" }
            }),
        );
        providers.push(json!(name));
        provider_ids.push(logical);
    }

    let mut client = json!({
        "ClientName": sub(&format!("{prefix}-web")),
        "UserPoolId": r#ref("UserPool"),
        "GenerateSecret": false,
        "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        "PreventUserExistenceErrors": "ENABLED",
        "EnableTokenRevocation": true,
        "RefreshTokenValidity": 30,
        "AccessTokenValidity": 60,
        "IdTokenValidity": 60,
        "TokenValidityUnits": { "RefreshToken": "days", "AccessToken": "minutes", "IdToken": "minutes" },
        "SupportedIdentityProviders": providers
    });
    if let Some(domain) = cfg.domain(env) {
        let urls = cfg.redirect_urls(env);
        client["AllowedOAuthFlowsUserPoolClient"] = json!(true);
        client["AllowedOAuthFlows"] = json!(["code"]);
        client["AllowedOAuthScopes"] = json!(oauth_scopes());
        client["CallbackURLs"] = json!(urls.callback_urls);
        if !urls.sign_out_urls.is_empty() {
            client["LogoutURLs"] = json!(urls.sign_out_urls);
        }
        t.resource(
            "UserPoolDomain",
            "AWS::Cognito::UserPoolDomain",
            json!({ "Domain": domain, "UserPoolId": r#ref("UserPool") }),
        );
        t.output(
            outputs::HOSTED_UI_DOMAIN,
            "The hosted UI's domain",
            sub(&format!("{domain}.auth.${{AWS::Region}}.amazoncognito.com")),
        );
    }
    let client_resource = t.resource("UserPoolClient", "AWS::Cognito::UserPoolClient", client);
    if !provider_ids.is_empty() {
        client_resource["DependsOn"] = json!(provider_ids);
    }

    t.resource(
        "IdentityPool",
        "AWS::Cognito::IdentityPool",
        json!({
            "IdentityPoolName": sub(&format!("{prefix}-identities").replace('-', "_")),
            "AllowUnauthenticatedIdentities": cfg.guest_access,
            "AllowClassicFlow": false,
            "CognitoIdentityProviders": [{
                "ClientId": r#ref("UserPoolClient"),
                "ProviderName": get_att("UserPool", "ProviderName"),
                "ServerSideTokenCheck": true
            }]
        }),
    );

    for group in &cfg.groups {
        let logical = crate::naming::pascal(&group.name);
        let role = format!("{logical}GroupRole");
        t.resource(
            &role,
            "AWS::IAM::Role",
            json!({
                "Description": format!("Assumed by signed-in members of the user pool group {}", group.name),
                "AssumeRolePolicyDocument": cfn::identity_pool_trust(r#ref("IdentityPool"), "authenticated")
            }),
        );
        t.resource(
            &format!("{logical}Group"),
            "AWS::Cognito::UserPoolGroup",
            json!({
                "GroupName": group.name,
                "Precedence": group.precedence,
                "UserPoolId": r#ref("UserPool"),
                "RoleArn": get_att(&role, "Arn")
            }),
        );
        t.output(
            &outputs::group_role_name(&logical),
            &format!("The IAM role of the group {}", group.name),
            r#ref(&role),
        );
        t.output(
            &outputs::group_role_arn(&logical),
            &format!("The IAM role ARN of the group {}", group.name),
            get_att(&role, "Arn"),
        );
    }

    t.output(
        outputs::USER_POOL_ID,
        "The user pool's id",
        r#ref("UserPool"),
    );
    t.output(
        outputs::USER_POOL_ARN,
        "The user pool's ARN",
        get_att("UserPool", "Arn"),
    );
    t.output(
        outputs::USER_POOL_PROVIDER_NAME,
        "The user pool's provider name, for identity pool role mappings",
        get_att("UserPool", "ProviderName"),
    );
    t.output(
        outputs::USER_POOL_CLIENT_ID,
        "The web client's id",
        r#ref("UserPoolClient"),
    );
    t.output(
        outputs::IDENTITY_POOL_ID,
        "The identity pool's id",
        r#ref("IdentityPool"),
    );
    (t, secrets)
}

pub(super) fn oauth_scopes() -> Vec<&'static str> {
    vec![
        "openid",
        "email",
        "phone",
        "profile",
        "aws.cognito.signin.user.admin",
    ]
}
