//! Backend categories: each turns its options from `hoist.toml` into a
//! CloudFormation fragment (a nested stack) and the frontend's outputs.

pub mod api;
pub mod auth;
pub mod function;
pub mod storage;
pub mod workflow;

use std::collections::BTreeMap;
use std::path::PathBuf;

use miette::Diagnostic;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use thiserror::Error;

use crate::cfn::{self, Template};
use crate::project::{FileSet, Manifest, Sources};

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

/// What one resource adds to an environment's build: its nested stack and what
/// the root stack holds for it. Each category turns a resource of `hoist.toml`
/// into one `Part` ([`auth::part`], [`api::part`], [`storage::part`]); synthesis
/// loops over them ([`crate::synth::synth`]) and knows no category.
#[derive(Debug, Clone)]
pub struct Part {
    /// `auth`, `api`, `storage`: the prefix of its files and upload keys.
    pub category: &'static str,
    /// The resource's name in `hoist.toml`.
    pub name: String,
    /// The nested stack's logical id in the root stack (`AuthMain`, `ApiShop`).
    pub logical_id: String,
    /// The nested stack's template, before the user's override is applied.
    pub template: Template,
    /// What the root passes to the nested stack beyond `Project` and `Env`
    /// (values or intrinsic functions evaluated in the root).
    pub parameters: Map<String, Value>,
    /// Secrets of the nested stack: each becomes a `NoEcho` root parameter
    /// named `<logical id><name>`, passed on as `<name>`, filled in at deploy time.
    pub secrets: Vec<SecretParameter>,
    /// A nested parameter that holds an API key's expiry (seconds since the
    /// epoch), and the key's lifetime in days: a root parameter
    /// `<logical id>KeyExpires` computed at deploy time.
    pub key_expiry: Option<(String, u16)>,
    /// Resources and outputs of the root stack that belong to this resource
    /// (the identity pool's roles for auth), placed after its nested stack.
    pub root: Template,
    /// Templates nested below this one (an api's models): upload key to file.
    pub assets: BTreeMap<String, String>,
    /// Files written beside the templates (an api's schema and resolvers),
    /// relative to `.hoist/build/<env>/`; the assets' files among them.
    pub files: FileSet,
    /// Function packages to upload to the deployment bucket: key to the
    /// function's name (built at push time, see [`function::build`]).
    pub code: BTreeMap<String, String>,
    /// What synthesis accepted but the user should know (a field that
    /// answers null, a service quota the template needs raised), printed by
    /// the commands that synthesize.
    pub warnings: Vec<String>,
    /// Lambda functions this resource calls, by the name `@function` gives
    /// (`echo-${env}`): the project's own are deployed first.
    pub calls: Vec<String>,
}

/// A secret a nested stack takes as a parameter, and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretParameter {
    pub name: String,
    pub source: SecretRef,
}

impl Part {
    /// A part with only a nested stack: what `storage` makes.
    pub fn new(category: &'static str, name: &str, logical_id: String, template: Template) -> Part {
        Part {
            category,
            name: name.to_string(),
            logical_id,
            template,
            parameters: Map::new(),
            secrets: Vec::new(),
            key_expiry: None,
            root: Template::default(),
            assets: BTreeMap::new(),
            files: FileSet::new(),
            code: BTreeMap::new(),
            calls: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

/// The logical id of a resource's nested stack: `Auth`, `Api` or `Storage`,
/// then the name in PascalCase.
pub fn logical_id(category: Category, name: &str) -> String {
    let prefix = match category {
        Category::Auth => "Auth",
        Category::Api => "Api",
        Category::Storage => "Storage",
        Category::Function => "Function",
        Category::Workflow => "Workflow",
    };
    format!("{prefix}{}", crate::naming::pascal(name))
}

/// Every resource of the project as parts, in the order the root stack holds
/// them: auth, then each api, then each storage, then each function, then each workflow. Each part is made when it is
/// taken, so that synthesis reports the first resource that fails, in that order.
pub fn parts<'a>(
    manifest: &'a Manifest,
    env: &'a str,
    sources: &'a Sources,
) -> impl Iterator<Item = Result<Part, StackError>> + 'a {
    let protected = manifest.env.get(env).is_some_and(|e| e.protected);
    let auth = manifest.auth.iter().next();
    let auth_name = auth.map(|(name, _)| name.as_str());
    // the user pool's triggers: (LambdaConfig key, function)
    let auth_triggers: Vec<(&'static str, String)> = manifest
        .function
        .iter()
        .flat_map(|(name, cfg)| {
            cfg.triggers
                .iter()
                .filter_map(move |t| match function::triggers::parse(t) {
                    Ok(function::triggers::Trigger::Auth(key)) => Some((key, name.clone())),
                    _ => None,
                })
        })
        .collect();
    let auths = auth.into_iter().map(move |(name, cfg)| {
        let mut part = auth::part(name, cfg, env);
        function::triggers::wire_auth(&mut part, &auth_triggers);
        Ok(part)
    });
    // what each function may do, and the tables each api must name for them
    let grants: BTreeMap<&String, Vec<function::access::Grant>> = manifest
        .function
        .iter()
        .map(|(name, cfg)| {
            // the same grant written twice (`storage:read`, `storage:files:read`) is one
            let grants: std::collections::BTreeSet<_> = cfg
                .access
                .iter()
                .filter_map(|text| function::access::parse(text, manifest).ok())
                .collect();
            let grants: Vec<_> = grants.into_iter().collect();
            (name, grants)
        })
        .collect();
    // the models whose table streams trigger functions (the project's one api)
    let streams: BTreeMap<&String, Vec<(String, String)>> = manifest
        .function
        .iter()
        .map(|(name, cfg)| {
            let streams = cfg
                .triggers
                .iter()
                .filter_map(|t| match function::triggers::parse(t) {
                    Ok(function::triggers::Trigger::Table(model)) => {
                        manifest.api.keys().next().map(|api| (api.clone(), model))
                    }
                    _ => None,
                })
                .collect();
            (name, streams)
        })
        .collect();
    // the storage events that trigger functions: (storage resource, trigger)
    let storage_triggers: BTreeMap<&String, Vec<(String, function::triggers::StorageTrigger)>> =
        manifest
            .function
            .iter()
            .map(|(name, cfg)| (name, function::storage_triggers(cfg, manifest)))
            .collect();
    let evented: std::collections::BTreeSet<String> = storage_triggers
        .values()
        .flatten()
        .map(|(storage, _)| storage.clone())
        .collect();
    let mut tables: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for grant in grants.values().flatten() {
        if let function::access::Grant::Table { api, model, .. } = grant {
            tables.entry(api.clone()).or_default().insert(model.clone());
        }
    }
    for (api, model) in streams.values().flatten() {
        tables.entry(api.clone()).or_default().insert(model.clone());
    }
    let first_api = manifest.api.keys().next();
    if let Some(api) = first_api {
        for text in sources.workflows.values() {
            for model in workflow::refs::tables_named(text) {
                tables.entry(api.clone()).or_default().insert(model);
            }
        }
    }
    let apis = manifest.api.iter().map(move |(name, cfg)| {
        let none = std::collections::BTreeSet::new();
        api::part(
            name,
            cfg,
            auth_name,
            sources,
            protected,
            tables.get(name).unwrap_or(&none),
            function::access::admits_functions(manifest, name),
        )
    });
    let storages = manifest.storage.iter().map(move |(name, cfg)| {
        Ok(storage::part(
            name,
            cfg,
            env,
            auth_name,
            evented.contains(name),
        ))
    });
    let functions = manifest.function.iter().map(move |(name, cfg)| {
        function::part(
            name,
            cfg,
            env,
            sources.functions.get(name).map(String::as_str),
            grants.get(name).map_or(&[][..], Vec::as_slice),
            streams.get(name).map_or(&[][..], Vec::as_slice),
            storage_triggers.get(name).map_or(&[][..], Vec::as_slice),
        )
    });
    let workflows = manifest.workflow.iter().map(move |(name, cfg)| {
        let scope = workflow::refs::Scope::of(manifest, name, cfg);
        workflow::stack::part(
            name,
            cfg,
            sources.workflows.get(name).map(String::as_str),
            &scope,
            auth_name,
        )
    });
    auths
        .chain(apis)
        .chain(storages)
        .chain(functions)
        .chain(workflows)
}

/// Turns on deletion protection for the user pools and tables of a template
/// (JSON): `DeletionProtection: ACTIVE` (AWS::Cognito::UserPool) and
/// `DeletionProtectionEnabled: true` (AWS::DynamoDB::Table), as the
/// CloudFormation reference names them. For environments with
/// `protected = true`.
pub fn protect(template: &mut serde_json::Value) {
    let Some(resources) = template
        .get_mut("Resources")
        .and_then(|r| r.as_object_mut())
    else {
        return;
    };
    for resource in resources.values_mut() {
        let setting = match resource.get("Type").and_then(|t| t.as_str()) {
            Some("AWS::Cognito::UserPool") => ("DeletionProtection", serde_json::json!("ACTIVE")),
            Some("AWS::DynamoDB::Table") => ("DeletionProtectionEnabled", serde_json::json!(true)),
            _ => continue,
        };
        if let Some(properties) = resource
            .get_mut("Properties")
            .and_then(|p| p.as_object_mut())
        {
            properties.insert(setting.0.to_string(), setting.1);
        }
    }
}

/// A resource whose stack cannot be made.
#[derive(Debug, Error, Diagnostic)]
pub enum StackError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Schema(Box<crate::transform::SchemaErrors>),

    #[error("the api `{name}` has no schema: `{}` is missing", path.display())]
    #[diagnostic(
        code(hoist::api::no_schema),
        help(
            "write the schema there, or add the api again with `hoist add api {name} --template todo`"
        )
    )]
    NoSchema { name: String, path: PathBuf },

    #[error("these stacks would wait for each other: {cycle}")]
    #[diagnostic(
        code(hoist::synth::cycle),
        help(
            "each stack takes a value of the next (a function's `access` takes its resources' values; an api takes the functions its `@function` calls; auth takes its trigger functions): remove one of those links, in the function's `access` or `triggers` or the schema's `@function`"
        )
    )]
    Cycle { cycle: String },

    #[error(
        "`table:{model}` is named (by a function's access or triggers, or a workflow's `${{table:{model}}}`), and the api `{api}` has no model `{model}`"
    )]
    #[diagnostic(
        code(hoist::function::no_model),
        help(
            "name one of its models ({models}) in the function's `access` or `triggers` in hoist.toml, or in the workflow's definition"
        )
    )]
    NoSuchModel {
        api: String,
        model: String,
        models: String,
    },

    #[error("the function `{name}` has no source: `{path}` is missing")]
    #[diagnostic(
        code(hoist::function::no_source),
        help(
            "put its code there (a handler and the runtime's manifest), or remove it with `hoist remove function {name}`"
        )
    )]
    NoFunctionSource { name: String, path: String },

    #[error("the workflow `{name}` has no definition: `{path}` is missing")]
    #[diagnostic(
        code(hoist::workflow::no_definition),
        help(
            "write its state machine there (Amazon States Language), or remove it with `hoist remove workflow {name}`"
        )
    )]
    NoWorkflowDefinition { name: String, path: String },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Workflow(Box<crate::workflow::WorkflowError>),

    #[error("the {stack} stack would exceed CloudFormation's limits: {problems}")]
    #[diagnostic(
        code(hoist::synth::limits),
        help("split the resource into smaller ones")
    )]
    Limits { stack: String, problems: String },

    /// An embedded resolver template that does not render: a bug in hoist.
    #[error("internal error: {0}")]
    #[diagnostic(
        code(hoist::internal),
        help(
            "this is a bug in hoist, not in your project; please report it with the command you ran"
        )
    )]
    Render(#[from] crate::render::RenderError),
}

impl StackError {
    /// A template past CloudFormation's limits (its size, resources, outputs,
    /// parameters: [`cfn::limit_problems`]), or `Ok`.
    pub fn check_limits(
        value: &Value,
        bytes: usize,
        stack: impl FnOnce() -> String,
    ) -> Result<(), StackError> {
        let problems = cfn::limit_problems(value, bytes);
        if problems.is_empty() {
            return Ok(());
        }
        Err(StackError::Limits {
            stack: stack(),
            problems: problems.join(", "),
        })
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
    /// Sign-up and sign-in (Cognito)
    Auth,
    /// A GraphQL API (AppSync, DynamoDB)
    Api,
    /// File storage (S3)
    Storage,
    /// A Lambda function (Node.js, Python or Rust)
    Function,
    /// A Step Functions state machine
    Workflow,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Auth => "auth",
            Category::Api => "api",
            Category::Storage => "storage",
            Category::Function => "function",
            Category::Workflow => "workflow",
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

    #[error("this project has no {category} resource")]
    #[diagnostic(
        code(hoist::resource::none),
        help("add one with `hoist add {category}`")
    )]
    NoneOfCategory { category: Category },

    #[error("this project has several {category} resources: {names}")]
    #[diagnostic(
        code(hoist::resource::which),
        help("name the one you mean after the category: `hoist {command} {category} NAME`")
    )]
    WhichOne {
        command: &'static str,
        category: Category,
        names: String,
    },

    #[error("{category} `{name}` cannot be removed: it is needed by {dependents}")]
    #[diagnostic(code(hoist::remove::in_use), help("{help}"))]
    InUse {
        category: Category,
        name: String,
        dependents: String,
        help: String,
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

    #[error("the owner-auth template needs user pool authorization, and this api has none")]
    #[diagnostic(
        code(hoist::add::owner_needs_user_pools),
        help(
            "add `--auth user-pools` (with `hoist add auth` first if the project has no auth), or choose another `--template`"
        )
    )]
    OwnerAuthNeedsUserPools,

    #[error("invalid value for `--guest-access`: guests cannot be given access to files: {reason}")]
    #[diagnostic(code(hoist::storage::guests_off), help("{help}"))]
    GuestsOff { reason: String, help: String },

    #[error("`{path}` already exists: a new function `{name}` would write its source there")]
    #[diagnostic(
        code(hoist::function::source_exists),
        help("move that folder away, or add the function under another name")
    )]
    SourceExists { name: String, path: String },

    #[error("`{name}` is an Express workflow: it keeps no executions to describe, draw or stop")]
    #[diagnostic(
        code(hoist::workflow::express),
        help(
            "its executions are in its log group, `{log_group}` (`log_level = \"ALL\"` logs every event)"
        )
    )]
    ExpressHasNoExecutions { name: String, log_group: String },

    #[error("invalid value for `--{flag}`: {message}")]
    #[diagnostic(code(hoist::invalid_value), help("{help}"))]
    BadFlag {
        flag: &'static str,
        message: String,
        help: String,
    },
}
