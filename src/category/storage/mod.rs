//! The storage category: an S3 bucket for user files, with the access tiers
//! Amplify users know: `public/`, `protected/{identity}/`, `private/{identity}/`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Problem;
use super::auth::AuthConfig;
use crate::cfn::{self, Template, r#ref, sub};

pub mod outputs;
mod questions;
mod stack;

pub use outputs::amplify_outputs_bucket;
pub use questions::{check_guest_access, resolve_storage, storage_flags_given};
pub use stack::{group_role, group_role_parameter, part, synth};

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
    /// Signed-in users create, read and delete; guests nothing; the
    /// frontend's dev server allowed on any local port.
    pub fn with_defaults() -> Self {
        StorageConfig {
            authenticated: vec![Access::Create, Access::Read, Access::Delete],
            guest: Vec::new(),
            groups: BTreeMap::new(),
            cors_origins: default_origins(),
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

/// The development origins: a local dev server on any port (Vite moves off
/// 5173 when it is busy, Expo serves on 8081). S3 takes one `*` in an
/// allowed origin ("CORS configuration", the S3 user guide).
pub fn default_origins() -> Vec<String> {
    vec![
        "http://localhost:*".to_string(),
        "http://127.0.0.1:*".to_string(),
    ]
}
