//! Backend categories: each turns its options from `hoist.toml` into a
//! CloudFormation fragment (a nested stack) and the frontend's outputs.

pub mod api;
pub mod auth;
pub mod storage;

use miette::Diagnostic;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Where a secret comes from at deploy time; the secret itself is never in `hoist.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum SecretRef {
    /// An environment variable of the process running `hoist push`.
    Env(String),
    /// An SSM parameter (a SecureString), read with the environment's credentials.
    Ssm(String),
}

impl SecretRef {
    /// `env:NAME` or `ssm:/path`, as flags take it.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.split_once(':') {
            Some(("env", name)) if !name.is_empty() => Ok(SecretRef::Env(name.to_string())),
            Some(("ssm", name)) if !name.is_empty() => Ok(SecretRef::Ssm(name.to_string())),
            _ => Err(format!(
                "`{text}` is not a secret source: write `env:VARIABLE` or `ssm:/parameter/name`"
            )),
        }
    }
}

/// Something wrong in `hoist.toml`, at a key path below the resource's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub keys: Vec<String>,
    pub message: String,
    pub help: String,
}

impl Problem {
    pub fn new(keys: &[&str], message: String, help: &str) -> Self {
        Problem {
            keys: keys.iter().map(|k| k.to_string()).collect(),
            message,
            help: help.to_string(),
        }
    }
}

/// The categories `hoist add` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Category {
    Auth,
    Api,
    Storage,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Auth => "auth",
            Category::Api => "api",
            Category::Storage => "storage",
        }
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

const RESOURCE_RULE: &str = "a resource name has 2 to 20 characters: lowercase letters and digits, starting with a letter (for example `main` or `files`)";

pub fn validate_resource_name(name: &str) -> Result<(), crate::project::NameError> {
    let problem = if !(2..=20).contains(&name.len()) {
        Some("it must have 2 to 20 characters".to_string())
    } else if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
    {
        Some(format!("it contains the character `{c}`"))
    } else if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        Some("it must start with a lowercase letter".to_string())
    } else {
        None
    };
    match problem {
        Some(problem) => Err(crate::project::NameError {
            what: "resource name",
            value: name.to_string(),
            problem,
            rule: RESOURCE_RULE,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_sources() {
        assert_eq!(
            SecretRef::parse("env:GOOGLE_SECRET"),
            Ok(SecretRef::Env("GOOGLE_SECRET".into()))
        );
        assert_eq!(
            SecretRef::parse("ssm:/shop/google"),
            Ok(SecretRef::Ssm("/shop/google".into()))
        );
        assert!(SecretRef::parse("plain-secret").is_err());
        assert!(SecretRef::parse("env:").is_err());
    }

    #[test]
    fn resource_names() {
        assert!(validate_resource_name("main").is_ok());
        assert!(validate_resource_name("files2").is_ok());
        for bad in ["m", "Main", "my-files", "2files", "averyveryverylongname1"] {
            assert!(validate_resource_name(bad).is_err(), "{bad}");
        }
    }
}

/// A change to the project's resources that hoist refuses (`add`, `update`, `remove`).
#[derive(Debug, Error, Diagnostic)]
pub enum ResourceError {
    #[error("this project already has {category} `{name}`")]
    #[diagnostic(code(hoist::add::exists), help("{help}"))]
    Exists {
        category: Category,
        name: String,
        help: String,
    },

    #[error("there is no {category} `{name}` in this project")]
    #[diagnostic(code(hoist::resource::unknown), help("{help}"))]
    Unknown {
        category: Category,
        name: String,
        help: String,
    },

    #[error("{category} `{name}` cannot be removed: {dependents} depend on it")]
    #[diagnostic(
        code(hoist::remove::in_use),
        help("remove them first (`hoist remove storage NAME`), then remove {category} `{name}`")
    )]
    InUse {
        category: Category,
        name: String,
        dependents: String,
    },

    #[error("storage needs auth, and this project has none")]
    #[diagnostic(
        code(hoist::add::needs_auth),
        help("run `hoist add auth` first: users sign in to reach their files")
    )]
    NeedsAuth,

    #[error("user pool and IAM authorization need the project's auth resource, and there is none")]
    #[diagnostic(
        code(hoist::add::needs_auth),
        help("run `hoist add auth` first, or choose `--auth api-key`")
    )]
    ApiNeedsAuth,

    #[error("invalid value for `--{flag}`: {message}")]
    #[diagnostic(code(hoist::invalid_value), help("{help}"))]
    BadFlag {
        flag: &'static str,
        message: String,
        help: &'static str,
    },
}
