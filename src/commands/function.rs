//! `hoist add function`, `hoist update function`, and `hoist function
//! build | invoke`: Lambda functions whose source lives in the project.

use std::path::Path;

use crate::category::function::scaffold::{self, Template};
use crate::category::function::{self, FunctionConfig, Language};
use crate::category::{Category, ResourceError};
use crate::cli::{FunctionOptions, GlobalArgs};
use crate::error::FsError;
use crate::project::{ProjectFile, set_resource, to_table};
use crate::prompt::{Inputs, Question};
use crate::ui::Printer;

use super::resources::{existing_name, report_change, save, unknown};

/// Apply the flags every function takes to `cfg`.
fn apply(
    cfg: &mut FunctionConfig,
    options: &FunctionOptions,
    manifest: &crate::project::Manifest,
) -> Result<(), crate::Error> {
    cfg.triggers
        .retain(|t| !options.remove_triggers.contains(t));
    for text in &options.triggers {
        function::triggers::parse(text).map_err(|why| ResourceError::BadFlag {
            flag: "trigger",
            message: format!("`{text}`: {why}"),
            help: function::triggers::TRIGGER_RULE.into(),
        })?;
        if !cfg.triggers.contains(text) {
            cfg.triggers.push(text.clone());
        }
    }
    // grants compared by what they mean, kept with their resource named
    let meaning = |text: &str| {
        function::access::parse(text, manifest)
            .map(|g| g.canonical())
            .unwrap_or_else(|_| text.to_string())
    };
    let removed: Vec<String> = options.remove_access.iter().map(|t| meaning(t)).collect();
    cfg.access.retain(|a| !removed.contains(&meaning(a)));
    for text in &options.access {
        let grant =
            function::access::parse(text, manifest).map_err(|why| ResourceError::BadFlag {
                flag: "access",
                message: format!("`{text}`: {why}"),
                help: function::access::ACCESS_RULE.into(),
            })?;
        let canonical = grant.canonical();
        if !cfg.access.iter().any(|a| meaning(a) == canonical) {
            cfg.access.push(canonical);
        }
    }
    if let Some(arch) = options.arch {
        cfg.architecture = arch;
    }
    if let Some(memory) = options.memory {
        cfg.memory_mb = memory;
    }
    if let Some(timeout) = options.timeout {
        cfg.timeout_seconds = timeout;
    }
    for key in &options.remove_env {
        cfg.environment.remove(key);
        cfg.secrets.remove(key);
    }
    for text in &options.env_vars {
        let (k, v) = function::parse_variable(text).map_err(|message| ResourceError::BadFlag {
            flag: "env",
            message,
            help: "write `KEY=VALUE`, for example `--env GREETING=hello`".into(),
        })?;
        cfg.secrets.remove(&k);
        cfg.environment.insert(k, v);
    }
    for text in &options.secrets {
        let (k, v) = function::parse_variable(text).map_err(|message| ResourceError::BadFlag {
            flag: "secret",
            message,
            help: "write `KEY=ssm:/path`, for example `--secret TOKEN=ssm:/shop/{env}/token`"
                .into(),
        })?;
        cfg.environment.remove(&k);
        cfg.secrets.insert(k, v);
    }
    // Lambda's limits, said of the flag that set them
    if let Some(problem) = cfg.problems().into_iter().next() {
        let flag = match problem.keys.first().map(String::as_str) {
            Some("memory_mb") => "memory",
            Some("timeout_seconds") => "timeout",
            Some("secrets") => "secret",
            _ => "env",
        };
        return Err(ResourceError::BadFlag {
            flag,
            message: problem.message,
            help: problem.help,
        }
        .into());
    }
    Ok(())
}

/// `hoist add function [NAME]`: writes the source from the template, then
/// `[function.NAME]`; if hoist.toml cannot be written, the source is removed
/// again.
pub fn add(
    file: &ProjectFile,
    name: Option<String>,
    options: &FunctionOptions,
    inputs: &mut Inputs,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), crate::Error> {
    let name = inputs.text(
        Question {
            key: "name",
            prompt: "Function name",
            default: Some("hello".into()),
        },
        name,
        function::validate_name,
    )?;
    if let Some(other) = file
        .manifest
        .function
        .keys()
        .find(|f| f.eq_ignore_ascii_case(&name) && **f != name)
    {
        return Err(ResourceError::Exists {
            category: Category::Function,
            name: other.clone(),
            help: format!(
                "`{name}` differs from it only in case, and their stacks would be one: choose another name"
            ),
        }
        .into());
    }
    if file.manifest.function.contains_key(&name) {
        return Err(ResourceError::Exists {
            category: Category::Function,
            name: name.clone(),
            help: format!("choose another name, or change it with `hoist update function {name}`"),
        }
        .into());
    }
    let dir = file.root().join(function::build::source_dir(&name));
    if dir.exists() {
        return Err(ResourceError::SourceExists {
            path: function::build::source_dir(&name).display().to_string(),
            name: name.clone(),
        }
        .into());
    }
    let language = inputs.choice(
        Question {
            key: "runtime",
            prompt: "Runtime",
            default: None,
        },
        options.runtime,
        &[Language::Node, Language::Python, Language::Rust],
        Language::Node,
    )?;
    let template = inputs.choice(
        Question {
            key: "template",
            prompt: "Template",
            default: None,
        },
        options.template,
        &Template::ALL,
        Template::Hello,
    )?;
    let mut cfg = FunctionConfig::new(language.newest_runtime());
    cfg.triggers = template.triggers().iter().map(|t| t.to_string()).collect();
    if template == Template::AuthTrigger {
        cfg.environment
            .insert("BLOCKED_DOMAINS".into(), "example.com".into());
    }
    apply(&mut cfg, options, &file.manifest)?;
    if template == Template::TableStream
        && !cfg.triggers.iter().any(|t| {
            matches!(
                function::triggers::parse(t),
                Ok(function::triggers::Trigger::Table(_))
            )
        })
    {
        return Err(ResourceError::BadFlag {
            flag: "template",
            message: "the table-stream template reads the changes of a model's table, and none is named".into(),
            help: format!("add `--trigger table:<Model>` (a model of the api's schema): `hoist add function {name} --template table-stream --trigger table:Todo`"),
        }
        .into());
    }
    let files = scaffold::files(&name, cfg.runtime, template)
        .map_err(|e| crate::Error::Internal(e.to_string()))?;
    write_source(&dir, &files)?;
    let item = to_table(&cfg)?;
    if let Err(err) = save(file, |doc| {
        set_resource(doc, Category::Function, &name, item)
    }) {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(err);
    }
    if language == Language::Rust {
        printer.info(format!(
            "Locking the dependencies of `{name}` (cargo generate-lockfile) ..."
        ));
        if let Err(err) = function::build::cargo_lockfile(file.root(), &name) {
            printer.warn(format!(
                "{err}\n  run `cargo generate-lockfile` in {} before building it",
                function::build::source_dir(&name).display()
            ));
        }
    }
    if language == Language::Node {
        // as Amplify does: the lockfile is part of the source from the start
        printer.info(format!(
            "Installing the dependencies of `{name}` (npm install) ..."
        ));
        if let Err(err) = function::build::npm_install(file.root(), &name) {
            printer.warn(format!(
                "{err}\n  run `npm install` in {} before building it",
                function::build::source_dir(&name).display()
            ));
        }
    }
    report_change(printer, global, "Added", Category::Function, &name);
    printer.info(format!(
        "  its source: {}/ ({}, {})",
        function::build::source_dir(&name).display(),
        cfg.runtime.id(),
        cfg.architecture.as_str()
    ));
    if template == Template::GraphqlResolver {
        printer.info(format!(
            "  call it from a field of the schema: `echo(message: String!): String @function(name: \"{}\")`",
            function::function_name(&name, "${env}")
        ));
    }
    printer.command_hint(
        &format!(
            "hoist function invoke {name} --event '{}'",
            template.sample_event()
        ),
        "run it locally",
    );
    Ok(())
}

/// Write a new function's files into `dir` (which must not exist): into a
/// sibling temporary folder first, renamed into place once complete.
pub(crate) fn write_source(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<(), crate::Error> {
    let parent = dir.parent().unwrap_or(dir);
    std::fs::create_dir_all(parent).map_err(|e| FsError::new("create", parent, e))?;
    let staging = tempfile::Builder::new()
        .prefix(".new-function-")
        .tempdir_in(parent)
        .map_err(|e| FsError::new("create a folder in", parent, e))?;
    for (rel, bytes) in files {
        let path = staging.path().join(rel);
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).map_err(|e| FsError::new("create", folder, e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| FsError::new("write", &path, e))?;
    }
    let staged = staging.keep();
    std::fs::rename(&staged, dir).map_err(|e| {
        let _ = std::fs::remove_dir_all(&staged);
        FsError::new("create", dir, e)
    })?;
    Ok(())
}

/// `hoist update function [NAME]`.
pub fn update(
    file: &ProjectFile,
    name: Option<&str>,
    options: &FunctionOptions,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), crate::Error> {
    let name = existing_name(file, "update", Category::Function, name)?;
    let mut cfg = file
        .manifest
        .function
        .get(&name)
        .cloned()
        .ok_or_else(|| unknown(file, Category::Function, &name))?;
    if let Some(language) = options.runtime
        && language != cfg.runtime.language()
    {
        return Err(ResourceError::BadFlag {
            flag: "runtime",
            message: format!(
                "`{name}` is a {} function; its source cannot change language",
                cfg.runtime.language().as_str()
            ),
            help: "add a new function with that runtime, then remove this one; the Lambda runtime of the same language is `runtime` in hoist.toml".into(),
        }
        .into());
    }
    if options.template.is_some() {
        return Err(ResourceError::BadFlag {
            flag: "template",
            message: "a template only starts a new function".into(),
            help: "edit the function's source instead".into(),
        }
        .into());
    }
    apply(&mut cfg, options, &file.manifest)?;
    let item = to_table(&cfg)?;
    save(file, |doc| {
        set_resource(doc, Category::Function, &name, item)
    })?;
    report_change(printer, global, "Updated", Category::Function, &name);
    Ok(())
}

/// `hoist function build | invoke`.
pub fn run(
    command: &crate::cli::FunctionCommand,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), crate::Error> {
    use crate::cli::FunctionCommand;
    let file = super::resources::load_project()?;
    match command {
        FunctionCommand::Build { name } => {
            let name = existing_name(&file, "function build", Category::Function, name.as_deref())?;
            let cfg = configured(&file, &name)?;
            let started = std::time::Instant::now();
            let package = function::build::package(file.root(), &name, cfg)?;
            let size = std::fs::metadata(&package.path)
                .map(|m| m.len())
                .unwrap_or(0);
            let path = package
                .path
                .strip_prefix(file.root())
                .unwrap_or(&package.path)
                .display()
                .to_string();
            if global.json {
                printer.data(&serde_json::json!({
                    "name": name, "path": path, "sha256": package.sha256, "bytes": size,
                }));
            }
            printer.success(format!(
                "Built `{name}` in {:.1} s: {path} ({size} bytes, sha256 {})",
                started.elapsed().as_secs_f64(),
                package.sha256
            ));
            Ok(())
        }
        FunctionCommand::Logs {
            name,
            env,
            since,
            follow,
            target,
        } => logs(
            &file,
            name.as_deref(),
            env.as_deref(),
            since,
            *follow,
            target,
            global,
            printer,
        ),
        FunctionCommand::Invoke {
            name,
            event,
            env,
            remote,
            target,
        } => {
            let name = existing_name(
                &file,
                "function invoke",
                Category::Function,
                name.as_deref(),
            )?;
            let cfg = configured(&file, &name)?.clone();
            let env = crate::settings::resolve_env(&file, env.as_deref())?;
            if *remote {
                let event = read_event(event.as_deref())?;
                return invoke_remote(&file, &name, &cfg, &env, &event, target, printer);
            }
            let region = file
                .manifest
                .env
                .get(&env)
                .map(|e| e.region.clone())
                .unwrap_or_else(|| "us-east-1".into());
            let event = read_event(event.as_deref())?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .map_err(|e| {
                    crate::Error::Internal(format!("could not start the async runtime: {e}"))
                })?;
            let quiet = printer.quiet();
            let log: std::sync::Arc<dyn Fn(&str) + Send + Sync> =
                std::sync::Arc::new(move |line: &str| {
                    if !quiet {
                        eprintln!("  {line}");
                    }
                });
            let invocation = runtime.block_on(async {
                let mut local = function::local::LocalFunction::new(
                    file.root(),
                    &name,
                    &cfg,
                    &env,
                    &region,
                    Vec::new(),
                    log,
                )
                .await?;
                let invocation = local.invoke(&event).await;
                local.stop().await;
                invocation
            })?;
            // the function's last lines reach the terminal before the result
            std::thread::sleep(std::time::Duration::from_millis(50));
            match invocation.outcome {
                Ok(result) => {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&result).unwrap_or_default()
                    );
                    printer.success(format!(
                        "`{name}` answered in {} ms (request {})",
                        invocation.duration.as_millis(),
                        invocation.request_id
                    ));
                    Ok(())
                }
                Err(error) => Err(FunctionFailed::from_error(name, &error).into()),
            }
        }
    }
}

fn configured<'a>(file: &'a ProjectFile, name: &str) -> Result<&'a FunctionConfig, crate::Error> {
    file.manifest
        .function
        .get(name)
        .ok_or_else(|| unknown(file, Category::Function, name).into())
}

/// The event of `--event`: a file, `-` (stdin), or JSON given inline.
pub(crate) fn read_event(event: Option<&str>) -> Result<serde_json::Value, crate::Error> {
    let (text, source) = match event {
        None => return Ok(serde_json::json!({})),
        Some("-") => {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                .map_err(|e| FsError::new("read", "stdin", e))?;
            (text, "stdin".to_string())
        }
        // a file when there is one by that name, else JSON itself (`42`, `null`, `{...}`)
        Some(path) if std::path::Path::new(path).is_file() => (
            std::fs::read_to_string(path).map_err(|e| FsError::new("read", path, e))?,
            path.to_string(),
        ),
        Some(inline) => (inline.to_string(), "--event".to_string()),
    };
    serde_json::from_str(&text).map_err(|e| {
        ResourceError::BadFlag {
            flag: "event",
            message: format!(
                "{source} is not JSON: {e} (line {}, column {})",
                e.line(),
                e.column()
            ),
            help: "give a JSON file, `-` to read JSON from stdin, or the JSON itself in quotes"
                .into(),
        }
        .into()
    })
}

/// A function that answered with an error, as Lambda reports it.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("the function `{name}` failed: {error_type}: {message}")]
#[diagnostic(code(hoist::function::failed))]
pub struct FunctionFailed {
    pub name: String,
    pub error_type: String,
    pub message: String,
    /// The function's stack trace, when it gave one.
    #[help]
    pub trace: Option<String>,
}

impl FunctionFailed {
    /// From the error object Lambda reports (`errorType`, `errorMessage`,
    /// and the trace: Python's runtime sends `stackTrace`, Node's `trace`).
    pub fn from_error(name: String, error: &serde_json::Value) -> Self {
        FunctionFailed {
            name,
            error_type: error["errorType"].as_str().unwrap_or("Error").to_string(),
            message: error["errorMessage"].as_str().unwrap_or("").to_string(),
            trace: error
                .get("stackTrace")
                .or_else(|| error.get("trace"))
                .unwrap_or(&serde_json::Value::Null)
                .as_array()
                .map(|lines| {
                    lines
                        .iter()
                        .filter_map(|l| l.as_str())
                        .map(|l| l.trim_end().to_string())
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .filter(|t| !t.is_empty()),
        }
    }
}

/// Print what a function answered through Lambda's Invoke API (its log's
/// tail on stderr first), or fail with its error.
pub fn report_answer(
    name: &str,
    answer: crate::deploy::invoke::Answer,
    printer: &Printer,
) -> Result<(), crate::Error> {
    if let Some(tail) = &answer.log_tail
        && !printer.quiet()
    {
        for line in tail.lines() {
            eprintln!("  {line}");
        }
    }
    let payload: serde_json::Value = serde_json::from_slice(&answer.payload).unwrap_or_else(|_| {
        serde_json::Value::String(String::from_utf8_lossy(&answer.payload).into_owned())
    });
    if answer.function_error.is_some() {
        return Err(FunctionFailed::from_error(name.to_string(), &payload).into());
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&payload).unwrap_or_default()
    );
    Ok(())
}

/// `hoist function invoke --remote`: the function deployed in `env`,
/// through Lambda's Invoke API, waiting as long as its timeout.
fn invoke_remote(
    file: &ProjectFile,
    name: &str,
    cfg: &FunctionConfig,
    env: &str,
    event: &serde_json::Value,
    target: &crate::cli::EnvTargetArgs,
    printer: &Printer,
) -> Result<(), crate::Error> {
    super::env::known(file, env)?;
    let section = &file.manifest.env[env];
    let target = crate::deploy::aws::Target {
        region: section.region.clone(),
        profile: target.profile.clone().or_else(|| section.profile.clone()),
        endpoint_url: target.endpoint_url.clone(),
    };
    let lambda_name = function::function_name(name, env);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| crate::Error::Internal(format!("could not start the async runtime: {e}")))?;
    let started = std::time::Instant::now();
    let answer = runtime.block_on(async {
        let client = crate::deploy::aws::lambda_client(&target, cfg.timeout_seconds).await?;
        crate::deploy::invoke::invoke(
            &client,
            &target.endpoint(),
            &lambda_name,
            env,
            event.to_string().into_bytes(),
            true,
        )
        .await
    })?;
    report_answer(name, answer, printer)?;
    printer.success(format!(
        "`{lambda_name}` answered in {} ms",
        started.elapsed().as_millis()
    ));
    Ok(())
}

/// `30s`, `10m`, `2h`, `1d` in milliseconds.
fn age_ms(text: &str) -> Option<i64> {
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = number.parse().ok()?;
    let unit_ms = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    n.checked_mul(unit_ms).filter(|ms| *ms > 0)
}

/// `hoist function logs`: FilterLogEvents on `/aws/lambda/<name>-<env>`,
/// then, with `--follow`, every two seconds until Ctrl-C.
#[allow(clippy::too_many_arguments)]
fn logs(
    file: &ProjectFile,
    name: Option<&str>,
    env: Option<&str>,
    since: &str,
    follow: bool,
    target: &crate::cli::EnvTargetArgs,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), crate::Error> {
    let name = existing_name(file, "function logs", Category::Function, name)?;
    configured(file, &name)?;
    let env = crate::settings::resolve_env(file, env)?;
    super::env::known(file, &env)?;
    let section = &file.manifest.env[&env];
    let back = age_ms(since).ok_or_else(|| ResourceError::BadFlag {
        flag: "since",
        message: format!("`{since}` is not an age"),
        help: "write a number and a unit: `30s`, `10m`, `2h` or `1d`".into(),
    })?;
    let target = crate::deploy::aws::Target {
        region: section.region.clone(),
        profile: target.profile.clone().or_else(|| section.profile.clone()),
        endpoint_url: target.endpoint_url.clone(),
    };
    let group = format!("/aws/lambda/{}", function::function_name(&name, &env));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| crate::Error::Internal(format!("could not start the async runtime: {e}")))?;
    runtime.block_on(async {
        let clients = crate::deploy::aws::clients(&target).await?;
        let now = || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0)
        };
        let mut start = now().saturating_sub(back).max(0);
        // ids of the lines printed, with their time: lines of other streams
        // may arrive late, so each poll reads 30 s back and skips what it saw
        let mut seen: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
        // one Ctrl-C listener for the whole follow, so that none is missed
        let interrupted = tokio::signal::ctrl_c();
        tokio::pin!(interrupted);
        loop {
            let read = crate::deploy::logs::log_lines(&clients, &group, start, 10_000);
            let lines = tokio::select! {
                lines = read => lines?,
                _ = &mut interrupted => return Ok(()),
            };
            let Some(lines) = lines else {
                if !follow {
                    printer.info(format!(
                        "`{group}` has no logs: the function `{name}` has not run in `{env}` yet (or is not deployed there)"
                    ));
                    return Ok::<(), crate::Error>(());
                }
                tokio::select! {
                    _ = tokio::time::sleep(std::time::Duration::from_secs(2)) => continue,
                    _ = &mut interrupted => return Ok(()),
                }
            };
            if !follow && lines.len() >= 10_000 {
                printer.warn("only the oldest 10000 lines are shown: narrow --since");
            }
            for line in lines {
                if seen.insert(line.id.clone(), line.timestamp).is_some() {
                    continue;
                }
                if global.json {
                    println!(
                        "{}",
                        serde_json::json!({ "timestamp": line.timestamp, "stream": line.stream, "message": line.message })
                    );
                } else {
                    println!("{}  {}", rfc3339_ms(line.timestamp), line.message);
                }
            }
            if !follow {
                return Ok(());
            }
            let latest = seen.values().copied().max().unwrap_or(start);
            start = start.max(latest - 30_000);
            // what is older than the next read's start is never read again
            seen.retain(|_, at| *at >= start);
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
                _ = &mut interrupted => return Ok(()),
            }
        }
    })
}

/// Milliseconds since the epoch as `2026-12-01T07:20:01.123Z` (the SDK's
/// RFC 3339 formatting).
fn rfc3339_ms(ms: i64) -> String {
    aws_sdk_cloudformation::primitives::DateTime::from_millis(ms)
        .fmt(aws_sdk_cloudformation::primitives::DateTimeFormat::DateTime)
        .unwrap_or_else(|_| ms.to_string())
}
