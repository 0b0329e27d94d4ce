//! `hoist push`, `hoist diff`, `hoist status` and `hoist outputs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use aws_sdk_cloudformation::types::ChangeSetType;
use miette::Diagnostic;
use serde_json::json;
use thiserror::Error;

use super::synth::{resolve_env, synth_env};
use crate::cli::{GlobalArgs, TargetArgs};
use crate::deploy::aws::{Target, clients};
use crate::deploy::engine::{self, DeployError, Engine, PlannedChange, Reporter};
use crate::deploy::snapshot::{self, Change, Snapshot};
use crate::error::FsError;
use crate::outputs;
use crate::project::{ProjectFile, state};
use crate::prompt::{self, Answers, Inputs, Question};
use crate::synth::{self, Build};
use crate::ui::Printer;

#[derive(Debug, Error, Diagnostic)]
pub enum PushError {
    #[error("another `hoist push` is running in this checkout (`{}` exists)", path.display())]
    #[diagnostic(code(hoist::push::locked), help("wait for it to finish; if none is running, delete `{}`", path.display()))]
    Locked { path: PathBuf },

    #[error("the environment `{env}` has not been deployed from this checkout")]
    #[diagnostic(
        code(hoist::outputs::not_deployed),
        help(
            "run `hoist push --env {env}`, or `hoist env pull {env}` to read it from CloudFormation"
        )
    )]
    NotDeployed { env: String },

    #[error("deploy interrupted: it goes on in CloudFormation")]
    #[diagnostic(
        code(hoist::push::interrupted),
        help("run `hoist push` again: it waits for the running deploy, then continues")
    )]
    Interrupted,
}

/// A lock file that keeps two pushes from one checkout apart; removed on drop.
struct Lock(PathBuf);

impl Lock {
    fn acquire(root: &Path) -> Result<Lock, crate::Error> {
        let path = root.join(state::STATE_DIR).join("push.lock");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| FsError::new("create folder", dir, e))?;
        }
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                use std::io::Write;
                let _ = writeln!(file, "{}", std::process::id());
                Ok(Lock(path))
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(PushError::Locked { path }.into())
            }
            Err(e) => Err(FsError::new("create", path, e).into()),
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Plain lines, for logs and pipes (and `--no-progress`). With `events_verbose`,
/// resource events are shown only with `-v` (for commands where they are secondary).
pub struct Lines<'a> {
    pub printer: &'a Printer,
    pub events_verbose: bool,
}

/// The live per-resource view, on a terminal.
struct Live(crate::ui::LiveView);

impl Drop for Live {
    fn drop(&mut self) {
        self.0.finish();
    }
}

impl Reporter for Live {
    fn step(&self, message: &str) {
        self.0.message(message);
    }

    fn event(
        &self,
        stack: &str,
        logical_id: &str,
        resource_type: &str,
        status: &str,
        reason: Option<&str>,
    ) {
        self.0
            .update(stack, logical_id, resource_type, status, reason);
    }
}

impl Reporter for Lines<'_> {
    fn step(&self, message: &str) {
        self.printer.info(message);
    }

    fn event(
        &self,
        stack: &str,
        logical_id: &str,
        resource_type: &str,
        status: &str,
        reason: Option<&str>,
    ) {
        let reason = reason
            .filter(|r| !r.is_empty())
            .map(|r| format!("  {r}"))
            .unwrap_or_default();
        let line = format!("  {stack:<16} {status:<28} {logical_id} ({resource_type}){reason}");
        if self.events_verbose {
            self.printer.detail(line);
        } else {
            self.printer.info(line);
        }
    }
}

fn load() -> Result<ProjectFile, crate::Error> {
    let cwd =
        std::env::current_dir().map_err(|e| FsError::new("read the current folder", ".", e))?;
    Ok(ProjectFile::discover(&cwd)?)
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Labels for the nested stacks' logical ids: `auth/main`.
fn stack_names(build: &Build) -> BTreeMap<String, String> {
    build
        .stacks
        .iter()
        .map(|s| (s.logical_id.clone(), format!("{}/{}", s.category, s.name)))
        .collect()
}

pub fn write_outputs(
    file: &ProjectFile,
    env: &str,
    deployed: &outputs::DeployedOutputs,
) -> Result<PathBuf, crate::Error> {
    let mut value = outputs::amplify_outputs(&file.manifest, env, deployed)?;
    if value.get("data").is_some()
        && let Some(introspection) = super::codegen::introspection(file)?
    {
        value["data"]["model_introspection"] = introspection;
    }
    let dir = match file.manifest.project.source_dir.as_str() {
        "" | "." => file.root().to_path_buf(),
        dir => file.root().join(dir),
    };
    let path = dir.join(outputs::OUTPUTS_FILE);
    crate::project::write_atomic(&path, &outputs::to_file_contents(&value))?;
    Ok(path)
}

pub fn status(
    env: Option<&str>,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), crate::Error> {
    let file = load()?;
    let env = resolve_env(&file, env)?;
    let sources = super::synth::read_sources(&file)?;
    let build = synth::synth(&file.manifest, &env, &sources)?;
    let last = snapshot::load(file.root(), &env)?;
    let (changes, root_changed) = snapshot::compare(&build, last.as_ref());
    if global.json {
        printer.data(&json!({
            "env": env,
            "stack_name": build.stack_name,
            "deployed": last.is_some(),
            "root_changed": root_changed,
            "resources": changes.iter().map(|(r, c)| json!({ "resource": r, "change": c })).collect::<Vec<_>>(),
        }));
    }
    printer.info(format!(
        "Environment `{env}` ({}), {}",
        build.stack_name,
        if last.is_some() {
            "compared with its last deploy from this checkout"
        } else {
            "never deployed from this checkout"
        }
    ));
    printer.info(format!("  {:<24} {}", "resource", "change"));
    for (resource, change) in &changes {
        printer.info(format!("  {resource:<24} {change}"));
    }
    if changes.is_empty() {
        printer.info("  (no resources)");
    }
    let pending = root_changed || changes.iter().any(|(_, c)| *c != Change::NoChange);
    printer.info(if pending {
        "\nRun `hoist push` to deploy these changes."
    } else {
        "\nNothing to push."
    });
    Ok(())
}

pub fn outputs_command(env: Option<&str>, printer: &Printer) -> Result<(), crate::Error> {
    let file = load()?;
    let env = resolve_env(&file, env)?;
    let last =
        snapshot::load(file.root(), &env)?.ok_or(PushError::NotDeployed { env: env.clone() })?;
    let path = write_outputs(&file, &env, &last.outputs)?;
    printer.success(format!(
        "Wrote {} for `{env}`",
        path.strip_prefix(file.root()).unwrap_or(&path).display()
    ));
    Ok(())
}

pub struct PushOptions {
    pub dry_run: bool,
    pub recover: bool,
    pub force: bool,
    pub no_codegen: bool,
}

pub fn push(
    target: &TargetArgs,
    options: PushOptions,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), crate::Error> {
    let started = Instant::now();
    let file = load()?;
    let env = resolve_env(&file, target.env.as_deref())?;
    let build = synth_env(&file, &env)?;
    if !options.no_codegen && super::codegen::runs_automatically(&file) {
        let run = super::codegen::run_codegen(&file)?;
        super::codegen::report_step(&run, printer);
    }
    let last = snapshot::load(file.root(), &env)?;
    let (changes, root_changed) = snapshot::compare(&build, last.as_ref());
    let unchanged =
        last.is_some() && !root_changed && changes.iter().all(|(_, c)| *c == Change::NoChange);
    if unchanged && !options.force && !options.recover {
        if global.json {
            printer.data(&json!({ "env": env, "stack_name": build.stack_name, "changed": false }));
        }
        printer.success(format!("No changes: `{}` is up to date", build.stack_name));
        return Ok(());
    }
    let _lock = Lock::acquire(file.root())?;
    let env_section = &file.manifest.env[&env];
    let aws_target = Target {
        region: env_section.region.clone(),
        profile: target
            .profile
            .clone()
            .or_else(|| env_section.profile.clone()),
        endpoint_url: target.endpoint_url.clone(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| crate::Error::Internal(format!("could not start the async runtime: {e}")))?;
    runtime.block_on(async {
        tokio::select! {
            result = apply(&file, &env, &build, last.as_ref(), &aws_target, &options, global, printer, started) => result,
            _ = tokio::signal::ctrl_c() => Err(PushError::Interrupted.into()),
        }
    })
}

#[allow(clippy::too_many_arguments)]
async fn apply(
    file: &ProjectFile,
    env: &str,
    build: &Build,
    last: Option<&Snapshot>,
    target: &Target,
    options: &PushOptions,
    global: &GlobalArgs,
    printer: &Printer,
    started: Instant,
) -> Result<(), crate::Error> {
    let clients = clients(target).await;
    let project = &file.manifest.project.name;
    let engine = Engine::new(
        &clients,
        build.stack_name.clone(),
        vec![
            ("hoist:project".into(), project.clone()),
            ("hoist:env".into(), env.to_string()),
        ],
    );
    let live;
    let lines;
    let reporter: &dyn Reporter = if printer.progress() && !global.quiet {
        live = Live(crate::ui::LiveView::new());
        &live
    } else {
        lines = Lines {
            printer,
            events_verbose: false,
        };
        &lines
    };
    let names = stack_names(build);

    let mut status = engine.wait_settled(reporter).await?;
    match status.as_deref() {
        Some("UPDATE_ROLLBACK_FAILED") if options.recover => {
            printer.info(format!(
                "Continuing the failed rollback of `{}` ...",
                build.stack_name
            ));
            engine.recover(reporter).await?;
            status = engine.root_status().await?;
        }
        Some("UPDATE_ROLLBACK_FAILED") => {
            return Err(DeployError::RollbackFailed {
                stack: build.stack_name.clone(),
            }
            .into());
        }
        _ if options.recover => printer.info(format!(
            "`{}` has no failed rollback to continue",
            build.stack_name
        )),
        Some("ROLLBACK_COMPLETE") => {
            // A first deploy that failed leaves a stack that can only be deleted.
            printer.info(format!("`{}` is ROLLBACK_COMPLETE after a failed first deploy: deleting it before trying again", build.stack_name));
            clients
                .cloudformation
                .delete_stack()
                .stack_name(&build.stack_name)
                .send()
                .await
                .map_err(engine::aws("DeleteStack"))?;
            status = engine.wait_settled(reporter).await?;
        }
        _ => {}
    }

    if status.is_none() {
        if options.dry_run {
            printer.info(format!(
                "`{}` does not exist yet: the first push creates it with these resources:",
                build.stack_name
            ));
            for stack in &build.stacks {
                printer.info(format!("  Add  {}/{}", stack.category, stack.name));
            }
            return Ok(());
        }
        printer.info(format!(
            "Creating `{}` with its deployment bucket ...",
            build.stack_name
        ));
        let bootstrap = synth::bootstrap_template(project, env);
        let body = String::from_utf8_lossy(&bootstrap).into_owned();
        if let Some(id) = engine
            .create_change_set(ChangeSetType::Create, None, Some(&body), &BTreeMap::new())
            .await?
        {
            engine.execute_and_follow(&id, &names, reporter).await?;
        }
    }

    let root_outputs = engine.stack_outputs(&build.stack_name).await?;
    let bucket = root_outputs
        .get("DeploymentBucketName")
        .cloned()
        .ok_or_else(|| DeployError::Aws {
            action: "DescribeStacks",
            message: format!("`{}` has no DeploymentBucketName output", build.stack_name),
        })?;

    // Upload what the last deploy did not have: keys are content-addressed.
    let known: Vec<&String> = last
        .map(|s| s.resources.values().collect())
        .unwrap_or_default();
    let mut uploaded = 0;
    for stack in &build.stacks {
        if known.contains(&&stack.sha256) && last.is_some_and(|s| s.deployment_bucket == bucket) {
            continue;
        }
        engine
            .upload(
                &bucket,
                &stack.key,
                build.files[&stack.template_file].clone(),
            )
            .await?;
        uploaded += 1;
    }
    for (key, file) in &build.assets {
        let known =
            last.is_some_and(|s| s.assets.contains_key(key) && s.deployment_bucket == bucket);
        if !known {
            engine
                .upload(&bucket, key, build.files[file].clone())
                .await?;
            uploaded += 1;
        }
    }
    let root_key = engine::root_key(build);
    engine
        .upload(&bucket, &root_key, engine::root_template(build).to_vec())
        .await?;
    printer.detail(format!(
        "uploaded {uploaded} nested template(s) and the root template to {bucket}"
    ));
    let url = format!(
        "https://{bucket}.s3.{}.amazonaws.com/{root_key}",
        target.region
    );

    let mut parameters = engine::resolve_secrets(&clients, &build.secrets).await?;
    parameters.extend(engine::key_expiry_parameters(build));
    let change_set = engine
        .create_change_set(ChangeSetType::Update, Some(&url), None, &parameters)
        .await?;
    let Some(change_set) = change_set else {
        printer.success(format!(
            "No changes: CloudFormation found `{}` up to date",
            build.stack_name
        ));
        finish(file, env, build, &engine, &bucket, global, printer, started).await?;
        return Ok(());
    };
    let changes = engine.changes(&change_set, &names).await?;
    show_changes(&changes, global, printer);
    if options.dry_run {
        engine.delete_change_set(&change_set).await;
        printer.info("Dry run: nothing was deployed.");
        return Ok(());
    }
    let mut prompter = prompt::for_terminal();
    let mut inputs = Inputs {
        answers: Answers::default(),
        yes: global.yes,
        prompter: prompter.as_mut(),
    };
    let go = inputs.confirm(
        Question {
            key: "yes",
            prompt: "Deploy these changes?",
            default: None,
        },
        None,
        true,
    )?;
    if !go {
        engine.delete_change_set(&change_set).await;
        printer.info("Nothing was deployed.");
        return Ok(());
    }
    printer.info(format!("Deploying `{}` ...", build.stack_name));
    engine
        .execute_and_follow(&change_set, &names, reporter)
        .await?;
    finish(file, env, build, &engine, &bucket, global, printer, started).await
}

#[allow(clippy::too_many_arguments)]
async fn finish(
    file: &ProjectFile,
    env: &str,
    build: &Build,
    engine: &Engine<'_>,
    bucket: &str,
    global: &GlobalArgs,
    printer: &Printer,
    started: Instant,
) -> Result<(), crate::Error> {
    let (_, deployed) = engine.read_outputs(build).await?;
    let snapshot = Snapshot {
        stack_name: build.stack_name.clone(),
        region: build.region.clone(),
        deployment_bucket: bucket.to_string(),
        root_sha256: snapshot::root_sha256(build),
        resources: snapshot::resources_of(build),
        secrets: build.secrets.clone(),
        key_expiries: build.key_expiries.clone(),
        assets: build.assets.clone(),
        outputs: deployed.clone(),
        deployed_at: now_secs(),
    };
    let path = write_outputs(file, env, &deployed)?;
    snapshot::save(file.root(), env, &snapshot)?;
    let seconds = started.elapsed().as_secs_f64();
    if global.json {
        printer.data(&json!({ "env": env, "stack_name": build.stack_name, "changed": true, "seconds": seconds, "outputs": deployed }));
    }
    printer.success(format!(
        "Deployed `{}` in {seconds:.1} s; wrote {}",
        build.stack_name,
        path.strip_prefix(file.root()).unwrap_or(&path).display()
    ));
    Ok(())
}

fn show_changes(changes: &[PlannedChange], global: &GlobalArgs, printer: &Printer) {
    if global.json {
        printer.data(&json!({ "changes": changes }));
    }
    printer.info("Change set:");
    printer.info(format!(
        "  {:<8} {:<16} {:<32} {:<36} {}",
        "action", "stack", "resource", "type", "replacement"
    ));
    for c in changes {
        printer.info(format!(
            "  {:<8} {:<16} {:<32} {:<36} {}",
            c.action,
            c.stack,
            c.logical_id,
            c.resource_type,
            c.replacement.as_deref().unwrap_or("-")
        ));
    }
}
