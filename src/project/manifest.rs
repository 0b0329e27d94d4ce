//! `hoist.toml`: the typed model, loading with located errors, and editing
//! that keeps the user's comments and ordering.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::names;
use crate::category::api::ApiConfig;
use crate::category::auth::AuthConfig;
use crate::category::storage::StorageConfig;
use crate::category::{self, Problem};

pub const MANIFEST_FILE: &str = "hoist.toml";
/// The version of the `hoist.toml` format this hoist reads and writes.
pub const FORMAT_VERSION: i64 = 1;

/// The frontend framework of a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Framework {
    /// React with Vite
    React,
    /// Vue 3 with Vite
    Vue,
    /// React Native with Expo (iOS, Android and web)
    ReactNative,
    /// Angular (detected in existing projects; hoist does not scaffold it)
    #[value(skip)]
    Angular,
    /// No frontend: a backend only
    None,
}

impl Framework {
    pub fn as_str(self) -> &'static str {
        match self {
            Framework::React => "react",
            Framework::Vue => "vue",
            Framework::ReactNative => "react-native",
            Framework::Angular => "angular",
            Framework::None => "none",
        }
    }

    /// The frameworks `hoist init` can scaffold, in the order they are offered.
    pub const SCAFFOLDED: [Framework; 4] = [
        Framework::React,
        Framework::Vue,
        Framework::ReactNative,
        Framework::None,
    ];
}

impl std::fmt::Display for Framework {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The whole of `hoist.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The file format's version, for migrations.
    pub format_version: i64,
    pub project: ProjectSection,
    #[serde(default)]
    pub env: BTreeMap<String, EnvSection>,
    // Category sections: each category's issue gives them a typed shape.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub auth: BTreeMap<String, AuthConfig>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub api: BTreeMap<String, ApiConfig>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub storage: BTreeMap<String, StorageConfig>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub function: BTreeMap<String, crate::category::function::FunctionConfig>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub workflow: BTreeMap<String, crate::category::workflow::WorkflowConfig>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub hosting: BTreeMap<String, toml::Table>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codegen: Option<CodegenConfig>,
}

/// `[codegen]`: where `hoist codegen` writes the frontend's TypeScript and how.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodegenConfig {
    /// The folder, from the project's root (default `<source_dir>/graphql`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_dir: Option<String>,
    /// How many levels of related types selection sets reach (default 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_depth: Option<i64>,
    /// The api to generate for (default: the project's first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    /// `false`: `synth` and `push` do not run codegen (`hoist codegen` still does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

impl CodegenConfig {
    /// The highest `max_depth` hoist takes: selection sets grow fast with depth.
    pub const MAX_DEPTH_LIMIT: i64 = 10;

    fn problem(&self, apis: &[&String]) -> Option<Problem> {
        if let Some(depth) = self.max_depth
            && !(1..=Self::MAX_DEPTH_LIMIT).contains(&depth)
        {
            return Some(Problem::new(
                &["codegen", "max_depth"],
                format!(
                    "`max_depth` is {depth}; it must be between 1 and {}",
                    Self::MAX_DEPTH_LIMIT
                ),
                "2 (the default) selects a model's fields and those of the models it relates to",
            ));
        }
        if let Some(api) = &self.api
            && !apis.contains(&api)
        {
            return Some(Problem::new(
                &["codegen", "api"],
                format!("`api = \"{api}\"` names no `[api.{api}]` of this project"),
                "name one of the project's apis, or remove the line to use the first",
            ));
        }
        if let Some(dir) = &self.output_dir {
            let path = std::path::Path::new(dir);
            let escapes = path.is_absolute()
                || path
                    .components()
                    .any(|c| matches!(c, std::path::Component::ParentDir));
            if escapes || dir.trim().is_empty() {
                return Some(Problem::new(
                    &["codegen", "output_dir"],
                    format!("`output_dir = \"{dir}\"` is not a folder inside the project"),
                    "give a relative path without `..`, such as \"src/graphql\"",
                ));
            }
        }
        None
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectSection {
    pub name: String,
    pub frontend: Framework,
    /// Where the frontend's sources live; `amplify_outputs.json` is written here.
    pub source_dir: String,
    /// Where the frontend's build goes (for hosting).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dist_dir: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_command: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_command: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvSection {
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Free per-environment parameters, handed to the categories.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, toml::Value>,
    /// Deletion protection on the user pool and every table: CloudFormation
    /// (and anyone in the console) cannot delete them until it is turned off.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub protected: bool,
}

#[derive(Debug, Error, Diagnostic)]
pub enum ManifestError {
    #[error("no `hoist.toml` in `{}` or any folder above it", start.display())]
    #[diagnostic(
        code(hoist::no_project),
        help("run `hoist init` to create a project, or `cd` into one")
    )]
    NotFound { start: PathBuf },

    #[error("`{}` is not valid: {message}", path.display())]
    #[diagnostic(code(hoist::manifest::invalid), help("{help}"))]
    Invalid {
        path: PathBuf,
        message: String,
        help: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("{label}")]
        span: Option<SourceSpan>,
        label: String,
    },

    /// A command's change that would leave `hoist.toml` invalid: the excerpt
    /// shows the text as it would have been, and nothing was written.
    #[error("nothing was written: the change would make `{}` invalid: {message}", path.display())]
    #[diagnostic(
        code(hoist::manifest::change_refused),
        help("{help} (the file on disk is unchanged)")
    )]
    ChangeRefused {
        path: PathBuf,
        message: String,
        help: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("{label}")]
        span: Option<SourceSpan>,
        label: String,
    },

    #[error("could not read `{}`: {source}", path.display())]
    #[diagnostic(
        code(hoist::manifest::read),
        help("check that the file exists and is readable")
    )]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A loaded `hoist.toml`: the typed model, the text it came from and where it is.
#[derive(Debug, Clone)]
pub struct ProjectFile {
    pub path: PathBuf,
    pub text: String,
    pub manifest: Manifest,
}

impl ProjectFile {
    /// The project's root folder.
    pub fn root(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// Find `hoist.toml` in `start` or the nearest folder above it, and load it.
    pub fn discover(start: &Path) -> Result<Self, ManifestError> {
        let path = find_root(start)
            .ok_or_else(|| ManifestError::NotFound {
                start: start.to_path_buf(),
            })?
            .join(MANIFEST_FILE);
        Self::load(&path)
    }

    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let manifest = parse(path, &text)?;
        Ok(ProjectFile {
            path: path.to_path_buf(),
            text,
            manifest,
        })
    }

    /// Write the file atomically.
    pub fn save(&self) -> Result<(), crate::error::FsError> {
        super::write_atomic(&self.path, self.text.as_bytes())
    }

    /// Apply an edit to the document, keeping comments and ordering, and check
    /// that the result is still a valid manifest. Returns the new text; the
    /// caller writes it (atomically).
    pub fn edit(
        &self,
        change: impl FnOnce(&mut toml_edit::DocumentMut),
    ) -> Result<ProjectFile, ManifestError> {
        let mut doc: toml_edit::DocumentMut =
            self.text.parse().map_err(|e: toml_edit::TomlError| {
                invalid(&self.path, &self.text, e.message(), e.span())
            })?;
        change(&mut doc);
        let text = doc.to_string();
        // An error here is about lines that exist only in memory: say so, and
        // name the excerpt as the proposed text, never as the file on disk.
        let manifest = parse(&self.path, &text).map_err(|e| match e {
            ManifestError::Invalid {
                path,
                message,
                span,
                label,
                help,
                ..
            } => ManifestError::ChangeRefused {
                // The generic advice is about editing the file, which is fine.
                help: if help == FIX_BY_HAND {
                    "the flags or answers given produce this value; give another".to_string()
                } else {
                    help
                },
                src: NamedSource::new(
                    format!("{} as it would be (not written)", path.display()),
                    text.clone(),
                ),
                path,
                message,
                span,
                label,
            },
            other => other,
        })?;
        Ok(ProjectFile {
            path: self.path.clone(),
            text,
            manifest,
        })
    }
}

/// The text of a new `hoist.toml` for `manifest`, with a header for the reader.
pub fn new_manifest_text(manifest: &Manifest) -> String {
    let body = toml::to_string(manifest).unwrap_or_default();
    format!(
        "# The hoist project file. Commit it: it holds what people decide (the project,\n\
         # its environments and resources). What AWS assigns is looked up, never stored here.\n\
         # Every key is described in hoist's docs/hoist-toml.md.\n{body}"
    )
}

/// The nearest folder at or above `start` that holds a `hoist.toml`.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join(MANIFEST_FILE).is_file())
        .map(Path::to_path_buf)
}

const FIX_BY_HAND: &str = "fix the file by hand; every key is described in docs/hoist-toml.md";

fn invalid(path: &Path, text: &str, message: &str, span: Option<Range<usize>>) -> ManifestError {
    invalid_with_help(path, text, message, span, FIX_BY_HAND)
}

fn invalid_with_help(
    path: &Path,
    text: &str,
    message: &str,
    span: Option<Range<usize>>,
    help: &str,
) -> ManifestError {
    let message = message.trim().to_string();
    let label = message.lines().next().unwrap_or("here").to_string();
    ManifestError::Invalid {
        path: path.to_path_buf(),
        help: help.to_string(),
        src: NamedSource::new(path.display().to_string(), text.to_string()),
        span: span.map(|r| SourceSpan::from(r.start..r.end.max(r.start))),
        label,
        message,
    }
}

/// Parse and validate the text of a `hoist.toml`.
pub fn parse(path: &Path, text: &str) -> Result<Manifest, ManifestError> {
    let doc = toml_edit::ImDocument::parse(text.to_string())
        .map_err(|e| invalid(path, text, e.message(), e.span()))?;

    // The version decides how to read everything else, so check it first.
    match doc.get("format_version") {
        None => {
            return Err(invalid_with_help(
                path,
                text,
                "the key `format_version` is missing",
                Some(0..0),
                &format!("add `format_version = {FORMAT_VERSION}` at the top of the file"),
            ));
        }
        Some(item) => match item.as_integer() {
            Some(FORMAT_VERSION) => {}
            Some(v) if v > FORMAT_VERSION => {
                return Err(invalid_with_help(
                    path,
                    text,
                    &format!(
                        "this file has format version {v}, newer than this hoist reads ({FORMAT_VERSION})"
                    ),
                    item.span(),
                    "upgrade hoist to the version your team uses",
                ));
            }
            _ => {
                return Err(invalid_with_help(
                    path,
                    text,
                    &format!("`format_version` must be {FORMAT_VERSION}"),
                    item.span(),
                    &format!("set `format_version = {FORMAT_VERSION}`"),
                ));
            }
        },
    }

    let manifest: Manifest =
        toml::from_str(text).map_err(|e| invalid(path, text, e.message(), e.span()))?;
    validate(&manifest).map_err(|problem| {
        let span = locate(&doc, &problem.keys);
        invalid_with_help(path, text, &problem.message, span, &problem.help)
    })?;
    Ok(manifest)
}

/// A folder hoist writes into must stay inside the project: relative, with
/// no `..` and no root or drive. `Err` says why not.
fn inside_project(folder: &str) -> Result<(), &'static str> {
    use std::path::Component;
    let path = Path::new(folder);
    if folder.is_empty() {
        return Err("is empty");
    }
    for component in path.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => {
                return Err("is an absolute path: hoist writes only inside the project");
            }
            Component::ParentDir => {
                return Err("leaves the project (`..`): hoist writes only inside it");
            }
            Component::CurDir | Component::Normal(_) => {}
        }
    }
    Ok(())
}

fn name_problem(keys: &[&str], err: names::NameError) -> Problem {
    Problem::new(keys, err.to_string(), err.rule)
}

/// The first thing wrong with the manifest's values, at its key path.
fn validate(manifest: &Manifest) -> Result<(), Problem> {
    names::validate_project_name(&manifest.project.name)
        .map_err(|e| name_problem(&["project", "name"], e))?;
    for (name, env) in &manifest.env {
        names::validate_env_name(name).map_err(|e| name_problem(&["env", name], e))?;
        names::validate_new_region(&env.region)
            .map_err(|e| name_problem(&["env", name, "region"], e))?;
        if let Some(profile) = &env.profile {
            names::validate_profile(profile)
                .map_err(|e| name_problem(&["env", name, "profile"], e))?;
        }
    }
    // The folders hoist writes into (`dist_dir` is the frontend build's
    // output, which hoist only reads, and may be anywhere).
    let folders = [
        (
            &["project", "source_dir"][..],
            Some(&manifest.project.source_dir),
        ),
        (
            &["codegen", "output_dir"][..],
            manifest
                .codegen
                .as_ref()
                .and_then(|c| c.output_dir.as_ref()),
        ),
    ];
    for (keys, folder) in folders {
        if let Some(folder) = folder
            && let Err(reason) = inside_project(folder)
        {
            return Err(Problem::new(
                keys,
                format!("`{folder}` {reason}"),
                "give a folder relative to the project's root, inside it (for example `src`)",
            ));
        }
    }
    let envs: Vec<&str> = manifest.env.keys().map(String::as_str).collect();
    if manifest.auth.len() > 1 {
        let second = manifest
            .auth
            .keys()
            .nth(1)
            .map(String::as_str)
            .unwrap_or_default();
        return Err(Problem::new(
            &["auth", second],
            "a project has one auth resource, and this one has more".into(),
            "keep one `[auth.<name>]` table: one user pool serves the whole app",
        ));
    }
    let sections: [(&str, Vec<&String>); 3] = [
        ("auth", manifest.auth.keys().collect()),
        ("api", manifest.api.keys().collect()),
        ("storage", manifest.storage.keys().collect()),
    ];
    for (section, names) in sections {
        for name in names {
            category::validate_resource_name(name)
                .map_err(|e| name_problem(&[section, name], e))?;
        }
    }
    let within = |section: &str, name: &str, problem: Problem| {
        let mut keys = vec![section.to_string(), name.to_string()];
        keys.extend(problem.keys);
        Problem { keys, ..problem }
    };
    for (name, auth) in &manifest.auth {
        if let Some(problem) = auth.problems(&envs).into_iter().next() {
            return Err(within("auth", name, problem));
        }
    }
    let auth = manifest.auth.values().next();
    for (name, api) in &manifest.api {
        if let Some(problem) = api.problems(auth.is_some()).into_iter().next() {
            return Err(within("api", name, problem));
        }
        if let Some(function) = &api.lambda_authorizer
            && !manifest.function.contains_key(function)
        {
            return Err(Problem::new(
                &["api", name, "lambda_authorizer"],
                format!("the project has no function `{function}` to authorize requests"),
                &format!(
                    "add it (`hoist add function {function}`), or name one of the project's functions"
                ),
            ));
        }
    }
    for (name, storage) in &manifest.storage {
        if let Some(problem) = storage.problems(auth, &envs).into_iter().next() {
            return Err(within("storage", name, problem));
        }
    }
    let mut lowered = std::collections::BTreeMap::new();
    let mut auth_triggers = std::collections::BTreeMap::new();
    for (name, function) in &manifest.function {
        crate::category::function::validate_name(name)
            .map_err(|e| name_problem(&["function", name], e))?;
        // `greet` and `Greet` would be one stack (`FunctionGreet`) and one
        // name in case-insensitive places
        if let Some(other) = lowered.insert(name.to_ascii_lowercase(), name) {
            return Err(Problem::new(
                &["function", name],
                format!("the functions `{other}` and `{name}` differ only in case"),
                "rename one: their stacks and log groups would be the same",
            ));
        }
        if let Some(problem) = function.problems().into_iter().next() {
            return Err(within("function", name, problem));
        }
        for text in &function.triggers {
            let trigger = crate::category::function::triggers::parse(text).map_err(|why| {
                Problem::new(
                    &["function", name, "triggers"],
                    format!("`{text}`: {why}"),
                    crate::category::function::triggers::TRIGGER_RULE,
                )
            })?;
            if let crate::category::function::triggers::Trigger::Table(_) = &trigger
                && manifest.api.len() != 1
            {
                return Err(Problem::new(
                    &["function", name, "triggers"],
                    format!(
                        "`{text}`: a table trigger names a model of the project's api, and it has {}",
                        if manifest.api.is_empty() {
                            "none"
                        } else {
                            "several"
                        }
                    ),
                    "add an api first (`hoist add api`); with several apis, table triggers are not supported yet",
                ));
            }
            if let crate::category::function::triggers::Trigger::Storage(storage) = &trigger {
                crate::category::function::access::resolve(
                    "storage",
                    manifest.storage.keys().collect(),
                    storage.name.as_deref(),
                )
                .map_err(|why| {
                    Problem::new(
                        &["function", name, "triggers"],
                        format!("`{text}`: {why}"),
                        crate::category::function::triggers::TRIGGER_RULE,
                    )
                })?;
            }
            if let crate::category::function::triggers::Trigger::Auth(key) = trigger {
                if manifest.auth.is_empty() {
                    return Err(Problem::new(
                        &["function", name, "triggers"],
                        format!("`{text}`: the project has no user pool"),
                        "add auth first (`hoist add auth`)",
                    ));
                }
                if let Some(other) = auth_triggers.insert(key, name) {
                    return Err(Problem::new(
                        &["function", name, "triggers"],
                        format!(
                            "`{text}`: the function `{other}` is already the pool's {key} trigger"
                        ),
                        "a user pool has one function per trigger: remove it from one of them",
                    ));
                }
            }
        }
        for text in &function.access {
            let grant =
                crate::category::function::access::parse(text, manifest).map_err(|why| {
                    Problem::new(
                        &["function", name, "access"],
                        format!("`{text}`: {why}"),
                        crate::category::function::access::ACCESS_RULE,
                    )
                })?;
            use crate::category::function::access::Grant;
            if let Grant::Api { api, .. } = &grant
                && !manifest.api[api].uses(crate::category::api::AuthMode::Iam)
            {
                // AppSync lets in a SigV4-signed request only in the IAM mode
                return Err(Problem::new(
                    &["function", name, "access"],
                    format!(
                        "`{text}`: the api `{api}` takes no IAM requests, and a function calls it with its role's credentials"
                    ),
                    &format!(
                        "add the IAM mode to the api: `hoist update api {api} --additional-auth iam`"
                    ),
                ));
            }
            // a user pool trigger's stack is an input of the auth stack: it
            // cannot also take the pool's values, nor an api's that takes them
            let triggered = function.triggers.iter().any(|t| t.starts_with("auth:"));
            let takes_pool = match &grant {
                Grant::Auth { .. } => true,
                Grant::Table { api, .. } | Grant::Api { api, .. } => {
                    manifest.api[api].uses(crate::category::api::AuthMode::UserPools)
                }
                _ => false,
            };
            if triggered && takes_pool {
                return Err(Problem::new(
                    &["function", name, "access"],
                    format!(
                        "`{text}`: a user pool trigger cannot take the pool's values (or an api's that depends on the pool): the auth stack waits for the function"
                    ),
                    "use the event's `userPoolId` with the AWS SDK for what the trigger needs from the pool, or do the work in another function",
                ));
            }
            if let Some(key) = crate::category::function::access::wire(std::slice::from_ref(&grant))
                .variables
                .iter()
                .map(|(k, _)| k)
                .find(|k| function.environment.contains_key(*k))
            {
                return Err(Problem::new(
                    &["function", name, "environment", key],
                    format!("`{key}` is set by the access `{text}`"),
                    "remove it from the function's environment: the access sets it to the deployed value",
                ));
            }
        }
    }
    crate::category::workflow::manifest_problem(manifest)?;
    if let Some(problem) = manifest
        .codegen
        .as_ref()
        .and_then(|c| c.problem(&manifest.api.keys().collect::<Vec<_>>()))
    {
        return Err(problem);
    }
    Ok(())
}

/// The span of the value at `keys` (or of its key, for a table), or of the
/// deepest part of the path that exists. Array elements are named by index.
fn locate(doc: &toml_edit::ImDocument<String>, keys: &[String]) -> Option<Range<usize>> {
    locate_item(doc.as_item(), keys, None)
}

fn locate_item(
    item: &toml_edit::Item,
    keys: &[String],
    span: Option<Range<usize>>,
) -> Option<Range<usize>> {
    let Some((key, rest)) = keys.split_first() else {
        return span;
    };
    let index = key.parse::<usize>().ok();
    match item {
        toml_edit::Item::ArrayOfTables(array) => match index.and_then(|i| array.get(i)) {
            Some(table) => locate_table(table, rest, table.span().or(span)),
            None => span,
        },
        toml_edit::Item::Value(toml_edit::Value::Array(array)) => {
            match index.and_then(|i| array.get(i)) {
                Some(value) => match value.as_inline_table() {
                    Some(table) if !rest.is_empty() => {
                        locate_table(table, rest, value.span().or(span))
                    }
                    _ => value.span().or(span),
                },
                None => span,
            }
        }
        other => match other.as_table_like() {
            Some(table) => locate_table(table, keys, span),
            None => span,
        },
    }
}

fn locate_table(
    table: &dyn toml_edit::TableLike,
    keys: &[String],
    span: Option<Range<usize>>,
) -> Option<Range<usize>> {
    let Some((key, rest)) = keys.split_first() else {
        return span;
    };
    let Some((k, v)) = table.get_key_value(key) else {
        return span;
    };
    let here = v
        .span()
        .filter(|_| v.is_value())
        .or_else(|| k.span())
        .or(span);
    locate_item(v, rest, here)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = r#"# my project
format_version = 1

[project]
name = "shop"
frontend = "react"
source_dir = "src"

[env.dev]
region = "eu-west-1"
"#;

    fn render(err: ManifestError) -> String {
        let handler = miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::none())
            .with_width(100);
        let mut out = String::new();
        handler.render_report(&mut out, &err).unwrap();
        out
    }

    fn parse_err(text: &str) -> String {
        render(parse(Path::new("hoist.toml"), text).unwrap_err())
    }

    #[test]
    fn parses_a_valid_manifest() {
        let m = parse(Path::new("hoist.toml"), VALID).unwrap();
        assert_eq!(m.project.name, "shop");
        assert_eq!(m.project.frontend, Framework::React);
        assert_eq!(m.env["dev"].region, "eu-west-1");
    }

    #[test]
    fn syntax_error_points_at_line_and_column() {
        let err = parse_err("format_version = 1\n[project\nname = \"x\"\n");
        insta::assert_snapshot!(err);
    }

    #[test]
    fn unknown_key_is_located() {
        let text = VALID.replace(
            "source_dir = \"src\"",
            "source_dir = \"src\"\nsrc_dir = \"app\"",
        );
        insta::assert_snapshot!(parse_err(&text));
    }

    #[test]
    fn invalid_values_are_located() {
        insta::assert_snapshot!(parse_err(&VALID.replace("\"shop\"", "\"My Shop\"")));
        insta::assert_snapshot!(parse_err(&VALID.replace("eu-west-1", "europe")));
        insta::assert_snapshot!(parse_err(&VALID.replace("[env.dev]", "[env.Dev]")));
        insta::assert_snapshot!(parse_err(&VALID.replace("\"react\"", "\"svelte\"")));
    }

    #[test]
    fn format_version_is_checked_first() {
        insta::assert_snapshot!(parse_err(
            &VALID.replace("format_version = 1", "format_version = 7")
        ));
        insta::assert_snapshot!(parse_err(&VALID.replace("format_version = 1\n", "")));
    }

    #[test]
    fn edits_keep_comments_and_order() {
        let file = ProjectFile {
            path: PathBuf::from("hoist.toml"),
            text: VALID.to_string(),
            manifest: parse(Path::new("hoist.toml"), VALID).unwrap(),
        };
        let edited = file
            .edit(|doc| {
                let mut env = toml_edit::Table::new();
                env["region"] = toml_edit::value("us-east-1");
                env["profile"] = toml_edit::value("prod-admin");
                doc["env"]["prod"] = toml_edit::Item::Table(env);
            })
            .unwrap();
        assert!(
            edited
                .text
                .starts_with("# my project\nformat_version = 1\n")
        );
        assert!(
            edited
                .text
                .contains("[env.dev]\nregion = \"eu-west-1\"\n\n[env.prod]")
        );
        assert_eq!(
            edited.manifest.env["prod"].profile.as_deref(),
            Some("prod-admin")
        );

        let broken = file.edit(|doc| doc["project"]["name"] = toml_edit::value("Bad Name"));
        assert!(matches!(broken, Err(ManifestError::ChangeRefused { .. })));
    }

    #[test]
    fn no_mutation_of_a_manifest_panics() {
        let full = format!(
            "{VALID}[env.dev.parameters]\nx = [1, {{ a = 2 }}]\n[auth.main]\nmfa = \"optional\"\n"
        );
        let tricky = [
            '[', ']', '=', '"', '\'', '\n', '#', '.', '{', '}', '\\', '\0', 'é', '-', '1',
        ];
        let chars: Vec<char> = full.chars().collect();
        let mut checked = 0;
        for i in 0..chars.len() {
            let mut deleted = chars.clone();
            deleted.remove(i);
            let _ = parse(Path::new("hoist.toml"), &deleted.iter().collect::<String>());
            let _ = parse(
                Path::new("hoist.toml"),
                &chars[..i].iter().collect::<String>(),
            );
            for c in tricky {
                let mut inserted = chars.clone();
                inserted.insert(i, c);
                let _ = parse(
                    Path::new("hoist.toml"),
                    &inserted.iter().collect::<String>(),
                );
                checked += 1;
            }
        }
        assert!(checked > 1000);
    }

    #[test]
    fn saves_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(MANIFEST_FILE);
        std::fs::write(&path, VALID).unwrap();
        let file = ProjectFile::load(&path).unwrap();
        let edited = file
            .edit(|doc| doc["env"]["dev"]["region"] = toml_edit::value("us-west-2"))
            .unwrap();
        edited.save().unwrap();
        let reloaded = ProjectFile::load(&path).unwrap();
        assert_eq!(reloaded.manifest.env["dev"].region, "us-west-2");
        assert!(reloaded.text.starts_with("# my project\n"));
    }

    /// `source_dir` (where `amplify_outputs.json` goes) and codegen's
    /// `output_dir` stay inside the project: each way out is refused at its
    /// line. `dist_dir`, which hoist only reads, may be anywhere.
    #[test]
    fn folders_hoist_writes_into_stay_inside_the_project() {
        for (bad, expected) in [
            ("../../elsewhere", "leaves the project"),
            ("src/../../x", "leaves the project"),
            ("/etc", "is an absolute path"),
            ("", "is empty"),
        ] {
            let text = VALID.replace("source_dir = \"src\"", &format!("source_dir = {bad:?}"));
            let shown = parse_err(&text);
            assert!(shown.contains(expected), "{bad}: {shown}");
            assert!(shown.contains("hoist.toml:7:"), "{bad}: {shown}");
        }
        let text = format!("{VALID}\n[codegen]\noutput_dir = \"../shared\"\n");
        assert!(parse_err(&text).contains("leaves the project"));
        assert!(
            parse(
                Path::new("hoist.toml"),
                &VALID.replace("\"src\"", "\"./app/src\"")
            )
            .is_ok()
        );
        let outside_build = VALID.replace(
            "source_dir = \"src\"",
            "source_dir = \"src\"\ndist_dir = \"../server/public\"",
        );
        assert!(parse(Path::new("hoist.toml"), &outside_build).is_ok());
    }

    /// A region none of the SDK's partitions lists (a typo such as
    /// `eu-west-9`) is refused at its line, not at deploy time.
    #[test]
    fn a_region_the_sdk_does_not_know_is_refused_where_it_is_written() {
        let text = VALID.replace("eu-west-1", "eu-west-9");
        let shown = parse_err(&text);
        assert!(shown.contains("regions of the AWS SDK"), "{shown}");
        assert!(shown.contains("hoist.toml:"), "{shown}");
        let line = text.lines().position(|l| l.contains("eu-west-9")).unwrap() + 1;
        assert!(shown.contains(&format!("hoist.toml:{line}:")), "{shown}");
    }

    #[test]
    fn a_refused_change_says_nothing_was_written_and_names_the_proposed_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(MANIFEST_FILE);
        std::fs::write(&path, VALID).unwrap();
        let file = ProjectFile::load(&path).unwrap();
        let err = file
            .edit(|doc| doc["env"]["dev"]["region"] = toml_edit::value(7))
            .unwrap_err();
        assert!(
            matches!(err, ManifestError::ChangeRefused { .. }),
            "{err:?}"
        );
        let shown = render(err);
        assert!(shown.contains("nothing was written"), "{shown}");
        assert!(shown.contains("as it would be (not written)"), "{shown}");
        assert!(shown.contains("the file on disk is"), "{shown}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), VALID);
    }

    #[test]
    fn new_manifest_text_round_trips() {
        let manifest = parse(Path::new("hoist.toml"), VALID).unwrap();
        let text = new_manifest_text(&manifest);
        assert_eq!(parse(Path::new("hoist.toml"), &text).unwrap(), manifest);
        insta::assert_snapshot!(text);
    }

    #[test]
    fn finds_the_root_from_a_subfolder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(MANIFEST_FILE), VALID).unwrap();
        let deep = dir.path().join("src/components/ui");
        std::fs::create_dir_all(&deep).unwrap();
        let file = ProjectFile::discover(&deep).unwrap();
        assert_eq!(file.root(), dir.path());
        assert_eq!(file.manifest.project.name, "shop");

        let elsewhere = tempfile::tempdir().unwrap();
        assert!(matches!(
            ProjectFile::discover(elsewhere.path()),
            Err(ManifestError::NotFound { .. })
        ));
    }
}
