//! The function category: Lambda functions in Node.js, Python and Rust, with
//! their source under `hoist/function/<name>/`, built reproducibly
//! ([`build`]), deployed with a role that grants only what is asked
//! ([`stack`]) and run locally through the Lambda Runtime API ([`local`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Problem;

pub mod access;
pub mod build;
pub mod local;
pub mod scaffold;
pub mod stack;
pub mod triggers;

pub use stack::part;

/// A Lambda runtime hoist builds for, by its runtime identifier ("Lambda
/// runtimes", AWS Lambda Developer Guide: the supported managed runtimes,
/// and `provided.al2023`, the OS-only runtime a Rust `bootstrap` runs on).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
pub enum Runtime {
    #[serde(rename = "nodejs24.x")]
    #[value(name = "nodejs24.x")]
    Nodejs24,
    #[serde(rename = "nodejs22.x")]
    #[value(name = "nodejs22.x")]
    Nodejs22,
    #[serde(rename = "python3.14")]
    #[value(name = "python3.14")]
    Python314,
    #[serde(rename = "python3.13")]
    #[value(name = "python3.13")]
    Python313,
    #[serde(rename = "python3.12")]
    #[value(name = "python3.12")]
    Python312,
    #[serde(rename = "provided.al2023")]
    #[value(name = "provided.al2023")]
    ProvidedAl2023,
}

/// The language of a function's source: what builds and runs it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Node.js (TypeScript, bundled with esbuild)
    Node,
    /// Python (dependencies from requirements.txt as Lambda-platform wheels)
    Python,
    /// Rust (a static `bootstrap` binary on provided.al2023)
    Rust,
}

impl Language {
    /// The newest Lambda runtime of the language: what `hoist add function` writes.
    pub fn newest_runtime(self) -> Runtime {
        match self {
            Language::Node => Runtime::Nodejs24,
            Language::Python => Runtime::Python314,
            Language::Rust => Runtime::ProvidedAl2023,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Language::Node => "node",
            Language::Python => "python",
            Language::Rust => "rust",
        }
    }
}

impl Runtime {
    /// The identifier Lambda and CloudFormation take (`Runtime` property).
    pub fn id(self) -> &'static str {
        match self {
            Runtime::Nodejs24 => "nodejs24.x",
            Runtime::Nodejs22 => "nodejs22.x",
            Runtime::Python314 => "python3.14",
            Runtime::Python313 => "python3.13",
            Runtime::Python312 => "python3.12",
            Runtime::ProvidedAl2023 => "provided.al2023",
        }
    }

    pub fn language(self) -> Language {
        match self {
            Runtime::Nodejs24 | Runtime::Nodejs22 => Language::Node,
            Runtime::Python314 | Runtime::Python313 | Runtime::Python312 => Language::Python,
            Runtime::ProvidedAl2023 => Language::Rust,
        }
    }

    /// The language version of the runtime: Node's major (`24`), Python's
    /// `3.14`; none for provided.al2023.
    pub fn version(self) -> Option<&'static str> {
        match self {
            Runtime::Nodejs24 => Some("24"),
            Runtime::Nodejs22 => Some("22"),
            Runtime::Python314 => Some("3.14"),
            Runtime::Python313 => Some("3.13"),
            Runtime::Python312 => Some("3.12"),
            Runtime::ProvidedAl2023 => None,
        }
    }

    /// The handler Lambda calls when hoist.toml names none: `index.handler`
    /// (the `handler` export of the bundle `index.js`, or of `index.py`);
    /// `bootstrap` for provided.al2023, whose runtime ignores it.
    pub fn default_handler(self) -> &'static str {
        match self.language() {
            Language::Node | Language::Python => "index.handler",
            Language::Rust => "bootstrap",
        }
    }
}

/// The instruction set a function runs on (`Architectures`). Graviton
/// (`arm64`) is the default: the same code costs less per second there
/// (AWS Lambda pricing).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum Architecture {
    /// Graviton (ARM): the default, cheaper per second
    Arm64,
    /// Intel and AMD
    #[value(name = "x86_64")]
    X86_64,
}

impl Architecture {
    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::Arm64 => "arm64",
            Architecture::X86_64 => "x86_64",
        }
    }
}

/// Memory a function may be given, in MB ("Configure Lambda function memory").
pub const MEMORY_MB: std::ops::RangeInclusive<u16> = 128..=10240;
/// How long one invocation may run, in seconds ("Configure Lambda function timeout").
pub const TIMEOUT_SECONDS: std::ops::RangeInclusive<u16> = 1..=900;
/// The environment variables' total size Lambda accepts, in bytes
/// ("Working with Lambda environment variables": 4 KB, keys and values).
pub const ENVIRONMENT_BYTES: usize = 4096;

/// Environment variable names Lambda sets itself and refuses to take
/// ("Defined runtime environment variables", AWS Lambda Developer Guide),
/// and those hoist sets for every function (`ENV`, `REGION`, as Amplify does).
pub const RESERVED_VARIABLES: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
    "ENV",
    "REGION",
];

/// `[function.<name>]` in hoist.toml.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionConfig {
    pub runtime: Runtime,
    /// `file.export` (Node: of the bundle, from `src/<file>.ts`; Python: of
    /// `<file>.py`); the runtime's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handler: Option<String>,
    #[serde(default = "default_architecture")]
    pub architecture: Architecture,
    #[serde(default = "default_memory")]
    pub memory_mb: u16,
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u16,
    /// Plain values the function's environment holds (never a secret).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, String>,
    /// Secrets by the variable that names them: `ssm:/path` (`{env}` is the
    /// environment's name). The variable holds the parameter's name, not its
    /// value: the function reads the value from SSM at run time, as
    /// Amplify's functions do, and its role may read only these parameters.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets: BTreeMap<String, String>,
    /// What it may do with the project's resources (`api:query`,
    /// `storage:read`, `table:Todo:write`, ...: [`access`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access: Vec<String>,
    /// What invokes it besides its callers (`auth:pre-sign-up`,
    /// `schedule:rate(5 minutes)`: [`triggers`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<String>,
    /// Days CloudWatch keeps the function's logs (one of its periods).
    #[serde(
        default = "default_log_retention",
        skip_serializing_if = "is_default_log_retention"
    )]
    pub log_retention_days: u16,
}

fn default_architecture() -> Architecture {
    Architecture::Arm64
}
fn default_memory() -> u16 {
    128
}
fn default_timeout() -> u16 {
    25
}
fn default_log_retention() -> u16 {
    30
}
fn is_default_log_retention(days: &u16) -> bool {
    *days == default_log_retention()
}

impl FunctionConfig {
    /// A function of `runtime` with Lambda's smallest memory, Amplify's
    /// 25-second timeout, on arm64, logs kept 30 days.
    pub fn new(runtime: Runtime) -> Self {
        FunctionConfig {
            runtime,
            handler: None,
            architecture: default_architecture(),
            memory_mb: default_memory(),
            timeout_seconds: default_timeout(),
            environment: BTreeMap::new(),
            secrets: BTreeMap::new(),
            access: Vec::new(),
            triggers: Vec::new(),
            log_retention_days: default_log_retention(),
        }
    }

    /// The handler Lambda calls.
    pub fn handler(&self) -> &str {
        self.handler
            .as_deref()
            .unwrap_or(self.runtime.default_handler())
    }

    /// The SSM parameter names of the secrets in the environment `env`.
    pub fn secret_parameters(&self, env: &str) -> BTreeMap<String, String> {
        self.secrets
            .iter()
            .map(|(k, v)| {
                let path = v.strip_prefix("ssm:").unwrap_or(v);
                (k.clone(), path.replace("{env}", env))
            })
            .collect()
    }

    /// Everything wrong with the function's settings, each at its key.
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        if !MEMORY_MB.contains(&self.memory_mb) {
            problems.push(Problem::new(
                &["memory_mb"],
                format!("{} MB is not a memory Lambda gives", self.memory_mb),
                "give 128 to 10240 (MB)",
            ));
        }
        if !TIMEOUT_SECONDS.contains(&self.timeout_seconds) {
            problems.push(Problem::new(
                &["timeout_seconds"],
                format!("{} s is not a timeout Lambda takes", self.timeout_seconds),
                "give 1 to 900 (seconds)",
            ));
        }
        if !super::api::LOG_RETENTION_DAYS.contains(&self.log_retention_days) {
            problems.push(Problem::new(
                &["log_retention_days"],
                format!(
                    "{} days is not a retention CloudWatch Logs offers",
                    self.log_retention_days
                ),
                "use one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653",
            ));
        }
        if let Some(handler) = &self.handler
            && let Err(why) = check_handler(self.runtime, handler)
        {
            problems.push(Problem::new(&["handler"], why, HANDLER_RULE));
        }
        let mut size = 0;
        for (key, value) in &self.environment {
            if let Err(why) = check_variable(key) {
                problems.push(Problem::new(&["environment", key], why, VARIABLE_RULE));
            }
            if self.secrets.contains_key(key) {
                problems.push(Problem::new(
                    &["environment", key],
                    format!("`{key}` is both a plain variable and a secret"),
                    "keep it in `secrets` only: a secret's value never goes in the environment",
                ));
            }
            size += key.len() + value.len();
        }
        for (key, source) in &self.secrets {
            if let Err(why) = check_variable(key) {
                problems.push(Problem::new(&["secrets", key], why, VARIABLE_RULE));
            }
            if let Err(why) = check_secret_source(source) {
                problems.push(Problem::new(&["secrets", key], why, SECRET_RULE));
            }
            // what the variable holds deployed: the path, with the longest
            // environment name in place of {env}
            let path = source.strip_prefix("ssm:").unwrap_or(source);
            size += key.len() + path.replace("{env}", &"e".repeat(10)).len();
        }
        // hoist's own: ENV (an environment name, at most 10 characters) and
        // REGION (at most 14, `ap-southeast-5`)
        size += "ENV".len() + 10 + "REGION".len() + 14;
        if size > ENVIRONMENT_BYTES {
            problems.push(Problem::new(
                &["environment"],
                format!("the environment takes {size} bytes, more than Lambda's 4 KB"),
                "keep large values in SSM parameters (`secrets`) or in the code",
            ));
        }
        problems
    }
}

const HANDLER_RULE: &str = "write the handler as `file.export`, such as `index.handler` (Node and Python); a Rust function's is `bootstrap`";
const VARIABLE_RULE: &str = "a variable's name starts with a letter, has 2 characters or more, and holds letters, digits and `_`; Lambda sets AWS_REGION, AWS_DEFAULT_REGION, AWS_EXECUTION_ENV, the AWS_LAMBDA_* variables (AWS_LAMBDA_EXEC_WRAPPER excepted), the credentials, _HANDLER, LAMBDA_TASK_ROOT and LAMBDA_RUNTIME_DIR itself, and hoist sets ENV and REGION";
const SECRET_RULE: &str = "write `ssm:/path/to/parameter` (a SecureString parameter; `{env}` in the path is the environment's name), and store the value with `aws ssm put-parameter --type SecureString`";

/// A function's name (`[function.<name>]`, and `<name>-<env>` in Lambda):
/// 2 to 40 letters and digits, starting with a letter. Case is kept, as
/// Amplify's function names (`chargeCard`) have it.
pub fn validate_name(name: &str) -> Result<(), crate::project::NameError> {
    let problem = if !(2..=40).contains(&name.len()) {
        Some("it must have 2 to 40 characters".to_string())
    } else if let Some(c) = name.chars().find(|c| !c.is_ascii_alphanumeric()) {
        Some(format!("it contains the character `{c}`"))
    } else if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        Some("it must start with a letter".to_string())
    } else {
        None
    };
    match problem {
        Some(problem) => Err(crate::project::NameError {
            what: "function name",
            value: name.to_string(),
            problem,
            rule: "a function's name has 2 to 40 letters and digits, starting with a letter (for example `greet` or `chargeCard`)",
        }),
        None => Ok(()),
    }
}

/// The storage triggers of a function, each with the storage resource it
/// names (the project's only one when unnamed); those naming no resource of
/// the project are left out (hoist.toml's check refuses them).
pub fn storage_triggers(
    cfg: &FunctionConfig,
    manifest: &crate::project::Manifest,
) -> Vec<(String, triggers::StorageTrigger)> {
    cfg.triggers
        .iter()
        .filter_map(|text| match triggers::parse(text) {
            Ok(triggers::Trigger::Storage(trigger)) => access::resolve(
                "storage",
                manifest.storage.keys().collect(),
                trigger.name.as_deref(),
            )
            .ok()
            .map(|storage| (storage, trigger)),
            _ => None,
        })
        .collect()
}

/// The function's name in Lambda: `<name>-<env>`, as Amplify names them (an
/// api's `@function(name: "<name>-${env}")` finds it).
pub fn function_name(name: &str, env: &str) -> String {
    format!("{name}-{env}")
}

fn check_handler(runtime: Runtime, handler: &str) -> Result<(), String> {
    if runtime.language() == Language::Rust {
        return Ok(());
    }
    match handler.rsplit_once('.') {
        Some((file, export))
            if !file.is_empty()
                && !export.is_empty()
                && !file.contains("..")
                && !file.starts_with('/')
                && file
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-/".contains(c))
                && export
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            Ok(())
        }
        _ => Err(format!("`{handler}` is not a handler")),
    }
}

fn check_variable(key: &str) -> Result<(), String> {
    // the one AWS_LAMBDA_* variable Lambda lets functions set (a wrapper
    // script for the runtime)
    let settable = key == "AWS_LAMBDA_EXEC_WRAPPER";
    if RESERVED_VARIABLES.contains(&key) || (key.starts_with("AWS_LAMBDA_") && !settable) {
        return Err(format!("`{key}` is a variable Lambda or hoist sets"));
    }
    let ok = key.len() >= 2
        && key.starts_with(|c: char| c.is_ascii_alphabetic())
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!("`{key}` is not a variable name Lambda takes"))
    }
}

fn check_secret_source(source: &str) -> Result<(), String> {
    let Some(path) = source.strip_prefix("ssm:") else {
        return Err(format!("`{source}` is not an SSM parameter"));
    };
    // SSM parameter names: letters, digits and `_.-/`; a name with `/` is
    // a hierarchy and starts with `/`, of at most 15 levels; the name with
    // its ARN prefix fits 1011 characters ("Requirements and constraints for
    // parameter names", AWS Systems Manager User Guide).
    let bare = path.replace("{env}", "environment");
    let ok = !bare.is_empty()
        && bare.len() <= 900
        && (!bare.contains('/') || bare.starts_with('/'))
        && bare.matches('/').count() <= 15
        && !bare.ends_with('/')
        && !bare.contains("//")
        && bare
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c))
        && !bare
            .to_ascii_lowercase()
            .trim_start_matches('/')
            .starts_with("aws")
        && !bare
            .to_ascii_lowercase()
            .trim_start_matches('/')
            .starts_with("ssm");
    if ok {
        Ok(())
    } else {
        Err(format!("`{path}` is not an SSM parameter name"))
    }
}

/// `KEY=VALUE`, as `--env` takes it.
pub fn parse_variable(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("`{text}` is not `KEY=VALUE`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_outside_lambda_limits_are_named_at_their_key() {
        let mut cfg = FunctionConfig::new(Runtime::Nodejs24);
        assert!(cfg.problems().is_empty());
        cfg.memory_mb = 64;
        cfg.timeout_seconds = 901;
        cfg.log_retention_days = 31;
        cfg.handler = Some("../x.handler".into());
        cfg.environment.insert("AWS_REGION".into(), "x".into());
        cfg.environment.insert("ok_1".into(), "x".repeat(5000));
        cfg.secrets.insert("TOKEN".into(), "/no/prefix".into());
        cfg.secrets.insert("KEY".into(), "ssm:/aws/reserved".into());
        let keys: Vec<String> = cfg.problems().iter().map(|p| p.keys.join(".")).collect();
        assert_eq!(
            keys,
            [
                "memory_mb",
                "timeout_seconds",
                "log_retention_days",
                "handler",
                "environment.AWS_REGION",
                "secrets.KEY",
                "secrets.TOKEN",
                "environment"
            ]
        );
    }

    #[test]
    fn secrets_name_their_parameter_per_environment() {
        let mut cfg = FunctionConfig::new(Runtime::Python314);
        cfg.secrets
            .insert("TOKEN".into(), "ssm:/shop/{env}/token".into());
        assert!(cfg.problems().is_empty());
        assert_eq!(cfg.secret_parameters("prod")["TOKEN"], "/shop/prod/token");
    }

    #[test]
    fn names_keep_their_case_and_fit_lambda() {
        assert!(validate_name("chargeCard").is_ok());
        assert!(validate_name("a").is_err());
        assert!(validate_name("charge-card").is_err());
        assert!(validate_name("1st").is_err());
        assert!(validate_name(&"a".repeat(41)).is_err());
        assert_eq!(function_name("chargeCard", "dev"), "chargeCard-dev");
    }
}
