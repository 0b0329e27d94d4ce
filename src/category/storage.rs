//! The storage category: an S3 bucket for user files, with the access tiers
//! Amplify users know: `public/`, `protected/{identity}/`, `private/{identity}/`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Problem;
use super::auth::AuthConfig;
use crate::synth::cfn::{self, Template, r#ref, sub};

/// What a principal may do with files.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// Upload and replace files
    Create,
    /// List and download files
    Read,
    /// Delete files
    Delete,
}

impl Access {
    fn s3_actions(self) -> &'static [&'static str] {
        match self {
            Access::Create => &["s3:PutObject"],
            Access::Read => &["s3:GetObject"],
            Access::Delete => &["s3:DeleteObject"],
        }
    }

    /// The actions in `amplify_outputs.json`.
    fn outputs_actions(self) -> &'static [&'static str] {
        match self {
            Access::Create => &["write"],
            Access::Read => &["get", "list"],
            Access::Delete => &["delete"],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageEnv {
    /// Origins allowed in this environment, besides the default ones.
    #[serde(default)]
    pub cors_origins: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    /// What signed-in users may do: in `public/`, in their own `protected/` and
    /// `private/` folders (and read others' `protected/` files).
    pub authenticated: Vec<Access>,
    /// What guests may do in `public/` (and read `protected/`).
    #[serde(default)]
    pub guest: Vec<Access>,
    /// What members of a user pool group may do, in every folder.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub groups: BTreeMap<String, Vec<Access>>,
    /// Origins the frontend runs on, allowed by CORS in every environment.
    #[serde(default)]
    pub cors_origins: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, StorageEnv>,
}

impl StorageConfig {
    /// Signed-in users create, read and delete; guests nothing; the frontend's dev server allowed.
    pub fn with_defaults(dev_port: Option<u16>) -> Self {
        StorageConfig {
            authenticated: vec![Access::Create, Access::Read, Access::Delete],
            guest: Vec::new(),
            groups: BTreeMap::new(),
            cors_origins: default_origins(dev_port),
            env: BTreeMap::new(),
        }
    }

    pub fn origins(&self, env: &str) -> Vec<String> {
        let mut origins = self.cors_origins.clone();
        if let Some(extra) = self.env.get(env) {
            origins.extend(extra.cors_origins.iter().cloned());
        }
        origins.dedup();
        origins
    }

    /// Everything wrong, given the project's auth resource (if any).
    pub fn problems(&self, auth: Option<&AuthConfig>, envs: &[&str]) -> Vec<Problem> {
        let mut problems = Vec::new();
        let Some(auth) = auth else {
            problems.push(Problem::new(
                &[],
                "storage needs an auth resource, and this project has none".into(),
                "run `hoist add auth` first: users sign in to reach their files",
            ));
            return problems;
        };
        if !self.guest.is_empty() && !auth.guest_access {
            problems.push(Problem::new(
                &["guest"],
                "guests are given access to files, but auth has guest access off".into(),
                "run `hoist update auth --guest`, or remove `guest` here",
            ));
        }
        for group in self.groups.keys() {
            if !auth.groups.iter().any(|g| &g.name == group) {
                problems.push(Problem::new(
                    &["groups", group],
                    format!("there is no user pool group `{group}`"),
                    "add it with `hoist update auth --group NAME`, or name one of the auth resource's groups",
                ));
            }
        }
        for (env, extra) in &self.env {
            if !envs.contains(&env.as_str()) {
                problems.push(Problem::new(
                    &["env", env],
                    format!("there is no environment `{env}`"),
                    "name one of the `[env.*]` tables, or add the environment first",
                ));
            }
            for origin in &extra.cors_origins {
                if let Err(message) = validate_origin(origin) {
                    problems.push(Problem::new(
                        &["env", env, "cors_origins"],
                        message,
                        ORIGIN_RULE,
                    ));
                }
            }
        }
        for origin in &self.cors_origins {
            if let Err(message) = validate_origin(origin) {
                problems.push(Problem::new(&["cors_origins"], message, ORIGIN_RULE));
            }
        }
        problems
    }
}

const ORIGIN_RULE: &str = "an origin is a scheme and host with an optional port and no path, such as `https://app.example.com` or `http://localhost:5173`";

fn validate_origin(origin: &str) -> Result<(), String> {
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains('/') => Ok(()),
        _ => Err(format!("`{origin}` is not an origin")),
    }
}

pub fn default_origins(dev_port: Option<u16>) -> Vec<String> {
    let port = dev_port.unwrap_or(5173);
    vec![
        format!("http://localhost:{port}"),
        format!("http://127.0.0.1:{port}"),
    ]
}

/// Names of the outputs of a storage stack.
pub mod outputs {
    pub const BUCKET_NAME: &str = "BucketName";
    pub const BUCKET_ARN: &str = "BucketArn";
}

/// The stack parameters that carry a group's role name.
pub fn group_role_parameter(group: &str) -> String {
    format!("{}GroupRoleName", cfn::pascal(group))
}

fn actions(access: &[Access]) -> Vec<&'static str> {
    let mut out: Vec<&str> = access
        .iter()
        .flat_map(|a| a.s3_actions().iter().copied())
        .collect();
    out.sort();
    out.dedup();
    out
}

fn object_arn(path: &str) -> Value {
    // `${!...}` is Fn::Sub's escape for a literal `${...}`: the IAM policy variable.
    sub(&format!("${{Bucket.Arn}}/{path}"))
}

const IDENTITY: &str = "${!cognito-identity.amazonaws.com:sub}";

fn list_statement(prefixes: &[String]) -> Value {
    json!({
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": cfn::get_att("Bucket", "Arn"),
        // Plain strings: CloudFormation leaves `${...}` alone outside Fn::Sub, so the
        // IAM policy variable needs no escaping here.
        "Condition": { "StringLike": { "s3:prefix": prefixes.iter().map(|p| p.replace("${!", "${")).collect::<Vec<_>>() } }
    })
}

/// The nested stack of one storage resource.
pub fn synth(name: &str, cfg: &StorageConfig, env: &str) -> Template {
    let mut t = Template::new(format!(
        "hoist storage `{name}`: S3 bucket for user files and its access policies"
    ));
    t.string_parameter("Project", "The hoist project's name");
    t.string_parameter("Env", "The environment's name");
    t.string_parameter(
        "AuthRoleName",
        "The role of signed-in users (from the root stack)",
    );
    if !cfg.guest.is_empty() {
        t.string_parameter("UnauthRoleName", "The role of guests (from the root stack)");
    }
    for group in cfg.groups.keys() {
        t.string_parameter(
            &group_role_parameter(group),
            &format!("The role of the user pool group {group} (from the auth stack)"),
        );
    }

    let mut bucket = cfn::private_bucket_properties();
    bucket.insert(
        "CorsConfiguration".into(),
        json!({
            "CorsRules": [{
                "AllowedHeaders": ["*"],
                "AllowedMethods": ["GET", "HEAD", "PUT", "POST", "DELETE"],
                "AllowedOrigins": cfg.origins(env),
                "ExposedHeaders": ["x-amz-server-side-encryption", "x-amz-request-id", "x-amz-id-2", "ETag"],
                "MaxAge": 3000
            }]
        }),
    );
    bucket.insert(
        "Tags".into(),
        json!([
            { "Key": "hoist:project", "Value": r#ref("Project") },
            { "Key": "hoist:env", "Value": r#ref("Env") },
            { "Key": "hoist:resource", "Value": format!("storage/{name}") }
        ]),
    );
    let bucket = t.resource("Bucket", "AWS::S3::Bucket", Value::Object(bucket));
    // User files outlive a mistaken `remove`: the bucket is kept when the stack goes.
    bucket["DeletionPolicy"] = json!("Retain");
    bucket["UpdateReplacePolicy"] = json!("Retain");
    cfn::add_tls_only_policy(&mut t, "Bucket");

    // Signed-in users: public/, their own protected/ and private/ folders, others' protected/ to read.
    let auth = &cfg.authenticated;
    if !auth.is_empty() {
        let mut statements = vec![json!({
            "Effect": "Allow",
            "Action": actions(auth),
            "Resource": [
                object_arn("public/*"),
                object_arn(&format!("protected/{IDENTITY}/*")),
                object_arn(&format!("private/{IDENTITY}/*"))
            ]
        })];
        let mut prefixes = vec![
            "public/".to_string(),
            "public/*".to_string(),
            format!("private/{IDENTITY}/"),
            format!("private/{IDENTITY}/*"),
        ];
        if auth.contains(&Access::Read) {
            statements.push(json!({ "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [object_arn("protected/*")] }));
            prefixes.extend(["protected/".to_string(), "protected/*".to_string()]);
        } else {
            prefixes.extend([
                format!("protected/{IDENTITY}/"),
                format!("protected/{IDENTITY}/*"),
            ]);
        }
        if auth.contains(&Access::Read) {
            statements.push(list_statement(&prefixes));
        }
        t.resource(
            "AuthenticatedPolicy",
            "AWS::IAM::Policy",
            json!({
                "PolicyName": sub(&format!("${{Project}}-${{Env}}-storage-{name}-authenticated")),
                "Roles": [r#ref("AuthRoleName")],
                "PolicyDocument": cfn::policy(statements)
            }),
        );
    }

    let guest = &cfg.guest;
    if !guest.is_empty() {
        let mut statements = vec![
            json!({ "Effect": "Allow", "Action": actions(guest), "Resource": [object_arn("public/*")] }),
        ];
        if guest.contains(&Access::Read) {
            statements.push(json!({ "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [object_arn("protected/*")] }));
            statements.push(list_statement(&[
                "public/".into(),
                "public/*".into(),
                "protected/".into(),
                "protected/*".into(),
            ]));
        }
        t.resource(
            "GuestPolicy",
            "AWS::IAM::Policy",
            json!({
                "PolicyName": sub(&format!("${{Project}}-${{Env}}-storage-{name}-guest")),
                "Roles": [r#ref("UnauthRoleName")],
                "PolicyDocument": cfn::policy(statements)
            }),
        );
    }

    for (group, access) in &cfg.groups {
        if access.is_empty() {
            continue;
        }
        let mut statements = vec![json!({
            "Effect": "Allow",
            "Action": actions(access),
            "Resource": [object_arn("public/*"), object_arn("protected/*"), object_arn("private/*")]
        })];
        if access.contains(&Access::Read) {
            statements.push(list_statement(&[
                "public/".into(),
                "public/*".into(),
                "protected/".into(),
                "protected/*".into(),
                "private/".into(),
                "private/*".into(),
            ]));
        }
        t.resource(
            &format!("{}GroupPolicy", cfn::pascal(group)),
            "AWS::IAM::Policy",
            json!({
                "PolicyName": sub(&format!("${{Project}}-${{Env}}-storage-{name}-group-{group}")),
                "Roles": [r#ref(&group_role_parameter(group))],
                "PolicyDocument": cfn::policy(statements)
            }),
        );
    }

    t.output(outputs::BUCKET_NAME, "The bucket's name", r#ref("Bucket"));
    t.output(
        outputs::BUCKET_ARN,
        "The bucket's ARN",
        cfn::get_att("Bucket", "Arn"),
    );
    t
}

fn outputs_actions(access: &[Access]) -> Vec<&'static str> {
    let mut sorted = access.to_vec();
    sorted.sort();
    sorted
        .iter()
        .flat_map(|a| a.outputs_actions().iter().copied())
        .collect()
}

/// One bucket of the `storage` section of `amplify_outputs.json`.
pub fn amplify_outputs_bucket(
    name: &str,
    cfg: &StorageConfig,
    region: &str,
    deployed: &BTreeMap<String, String>,
) -> Result<Value, String> {
    let bucket = deployed
        .get(outputs::BUCKET_NAME)
        .cloned()
        .ok_or_else(|| outputs::BUCKET_NAME.to_string())?;
    let mut public = serde_json::Map::new();
    let mut protected = serde_json::Map::new();
    let mut private = serde_json::Map::new();
    if !cfg.guest.is_empty() {
        public.insert("guest".into(), json!(outputs_actions(&cfg.guest)));
        if cfg.guest.contains(&Access::Read) {
            protected.insert("guest".into(), json!(["get", "list"]));
        }
    }
    if !cfg.authenticated.is_empty() {
        public.insert(
            "authenticated".into(),
            json!(outputs_actions(&cfg.authenticated)),
        );
        if cfg.authenticated.contains(&Access::Read) {
            protected.insert("authenticated".into(), json!(["get", "list"]));
        }
        protected.insert(
            "entityidentity".into(),
            json!(outputs_actions(&cfg.authenticated)),
        );
        private.insert(
            "entityidentity".into(),
            json!(outputs_actions(&cfg.authenticated)),
        );
    }
    for (group, access) in &cfg.groups {
        let key = format!("groups{group}");
        for tier in [&mut public, &mut protected, &mut private] {
            tier.insert(key.clone(), json!(outputs_actions(access)));
        }
    }
    Ok(json!({
        "name": name,
        "bucket_name": bucket,
        "aws_region": region,
        "paths": {
            "public/*": public,
            "protected/{entity_id}/*": protected,
            "private/{entity_id}/*": private
        }
    }))
}
