//! `hoist push`, `hoist diff`, `hoist status` and `hoist outputs`.

use std::time::Instant;

use std::cell::RefCell;

use serde_json::json;

use crate::cli::{GlobalArgs, TargetArgs};
use crate::codegen;
use crate::deploy::aws::{Target, clients};
use crate::deploy::engine::{PlannedChange, Reporter};
use crate::deploy::local::synth_env;
use crate::deploy::push::{
    Conversation, Deployed, Outcome, Push, PushError, PushLock, PushOptions,
};
use crate::deploy::snapshot::{self, Change};
use crate::error::FsError;
use crate::project::ProjectFile;
use crate::prompt::{self, Answers, Inputs, Question};
use crate::settings::resolve_env;
use crate::synth;
use crate::ui::{Lines, Live, Printer};

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Seconds since the Unix epoch as `2026-12-08T10:00:00Z`.
fn rfc3339(secs: u64) -> String {
    aws_sdk_cloudformation::primitives::DateTime::from_secs(secs as i64)
        .fmt(aws_sdk_cloudformation::primitives::DateTimeFormat::DateTime)
        .unwrap_or_else(|_| secs.to_string())
}

fn load() -> Result<ProjectFile, crate::Error> {
    let cwd =
        std::env::current_dir().map_err(|e| FsError::new("read the current folder", ".", e))?;
    Ok(ProjectFile::discover(&cwd)?)
}

pub fn status(
    env: Option<&str>,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), crate::Error> {
    let file = load()?;
    let env = resolve_env(&file, env)?;
    let sources = crate::project::read_sources(&file)?;
    let build = synth::synth(&file.manifest, &env, &sources)?;
    let last = snapshot::load(file.root(), &env)?;
    let (changes, root_changed) = snapshot::compare(&build, last.as_ref());
    let sandbox = crate::deploy::local::sandbox_outputs(&file);
    if global.json {
        printer.data(&json!({
            "outputs": if sandbox.is_some() { "sandbox" } else { "cloud" },
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
            "compared with its last deploy from this checkout (locally: AWS is not asked; `hoist push` checks it)"
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
    if let Some((url, of)) = &sandbox {
        let running = if crate::deploy::local::endpoint_answers(url) {
            "running"
        } else {
            "not running now"
        };
        printer.info(format!(
            "\namplify_outputs.json points at the local sandbox of `{of}` ({url}, {running}); once `{env}` is deployed, `hoist outputs` writes the cloud's back."
        ));
    }
    let due = last
        .as_ref()
        .map(|l| snapshot::keys_due(l, now_secs()))
        .unwrap_or_default();
    if let Some(recorded) = &last {
        for (parameter, days) in &recorded.key_expiries {
            let Some(expires) = recorded.key_expires_at.get(parameter) else {
                continue;
            };
            let renew = if due.iter().any(|(p, _)| p == parameter) {
                "; the next push renews it"
            } else {
                ""
            };
            printer.info(format!(
                "  API key ({parameter}, {days} days) expires {}{renew}",
                rfc3339(*expires)
            ));
        }
    }
    let renewal = !due.is_empty();
    let pending = root_changed || changes.iter().any(|(_, c)| *c != Change::NoChange);
    printer.info(if pending {
        "\nRun `hoist push` to deploy these changes."
    } else if renewal {
        "\nNothing changed; run `hoist push` to renew the API key."
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
    // What is deployed, not an edit of hoist.toml that was not pushed yet.
    let path = snapshot::write_deployed_outputs(&file, &env, &last)?;
    printer.success(format!(
        "Wrote {} for `{env}`",
        path.strip_prefix(file.root()).unwrap_or(&path).display()
    ));
    Ok(())
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
    for warning in &build.warnings {
        printer.warn(warning);
    }
    if !options.no_codegen && codegen::runs_automatically(&file) {
        crate::ui::codegen_step(&codegen::run_codegen(&file)?, printer);
    }
    let last = snapshot::load(file.root(), &env)?;
    let (changes, root_changed) = snapshot::compare(&build, last.as_ref());
    let unchanged =
        last.is_some() && !root_changed && changes.iter().all(|(_, c)| *c == Change::NoChange);
    let env_section = &file.manifest.env[&env];
    if !env_section.protected && crate::project::looks_like_production(&env) {
        printer.warn(crate::commands::env::production_warning(&env));
    }
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
    let mut options = options;
    // An API key in the last third of its life is renewed by this push,
    // changed or not (its expiry is a parameter, set at deploy time). The
    // checks of what is deployed still run: only "no changes" no longer
    // ends the push.
    let mut renew_keys = false;
    if let Some(recorded) = last.as_ref() {
        let due = snapshot::keys_due(recorded, now_secs());
        for (parameter, expires) in &due {
            printer.info(format!(
                "The API key of `{parameter}` expires {}: {}",
                rfc3339(*expires),
                if options.dry_run {
                    "a push renews it"
                } else {
                    "this push renews it"
                }
            ));
        }
        renew_keys = !due.is_empty();
    }
    if let (true, false, false, Some(recorded)) =
        (unchanged, options.force, options.recover, last.as_ref())
    {
        // The snapshot says nothing changed: believe it only once AWS agrees
        // (one read of the root stack, no write).
        let found = runtime.block_on(async {
            let clients = clients(&aws_target).await?;
            let reporter = Lines {
                printer,
                events_verbose: false,
            };
            crate::deploy::push::check_deployed(&clients, &build.stack_name, recorded, &reporter)
                .await
        })?;
        match found {
            Deployed::AsRecorded if renew_keys => {}
            Deployed::AsRecorded => {
                if global.json {
                    printer.data(&json!({
                        "env": env,
                        "stack_name": build.stack_name,
                        "result": "unchanged",
                        "changed": false,
                        "changes": [],
                        "seconds": started.elapsed().as_secs_f64(),
                    }));
                }
                printer.success(format!("No changes: `{}` is up to date", build.stack_name));
                return Ok(());
            }
            Deployed::Missing => {
                return Err(PushError::Missing {
                    stack: build.stack_name.clone(),
                    region: aws_target.region.clone(),
                }
                .into());
            }
            Deployed::Unfinished(status) if status == "DELETE_FAILED" => {
                return Err(PushError::DeleteFailed {
                    stack: build.stack_name.clone(),
                    env: env.clone(),
                }
                .into());
            }
            Deployed::Unfinished(status) => {
                printer.warn(format!(
                    "`{}` is {status} in AWS, not as this checkout last deployed it: deploying again",
                    build.stack_name
                ));
                options.force = true;
            }
            Deployed::ChangedElsewhere { updated } => {
                return Err(PushError::ChangedElsewhere {
                    stack: build.stack_name.clone(),
                    updated,
                    env: env.clone(),
                }
                .into());
            }
        }
    }
    let _lock = PushLock::acquire(file.root())?;
    let operation = Push {
        file: &file,
        env: &env,
        build: &build,
        last: last.as_ref(),
        options: &options,
    };
    let mut talk = Terminal {
        global,
        printer,
        shown: RefCell::new(Vec::new()),
    };
    let outcome = runtime.block_on(async {
        let live;
        let lines;
        let reporter: &dyn Reporter = if printer.progress() && !global.quiet {
            live = Live::new();
            &live
        } else {
            lines = Lines {
                printer,
                events_verbose: false,
            };
            &lines
        };
        let run = async {
            let clients = clients(&aws_target).await?;
            operation
                .run(&clients, &aws_target, reporter, &mut talk)
                .await
        };
        // Ctrl-C, and SIGTERM (what CI runners and `timeout` send), stop
        // hoist alike: what CloudFormation started goes on, and the next push
        // waits for it. The push lock is the OS's, released as the process ends.
        tokio::select! {
            result = run => result,
            _ = tokio::signal::ctrl_c() => Err(PushError::Interrupted.into()),
            _ = terminated() => Err(PushError::Interrupted.into()),
        }
    })?;
    let seconds = started.elapsed().as_secs_f64();
    if global.json {
        // one document, whatever happened: every change shown, then what became of them
        let (result, changed) = match &outcome {
            Outcome::WouldCreate => ("would_create", false),
            Outcome::DryRun => ("dry_run", false),
            Outcome::Declined => ("declined", false),
            Outcome::Deployed { .. } => ("deployed", true),
            Outcome::UpToDate { .. } => ("unchanged", false),
        };
        let mut data = json!({
            "env": env,
            "stack_name": build.stack_name,
            "result": result,
            "changed": changed,
            "changes": talk.shown.take(),
            "seconds": seconds,
        });
        if let Outcome::Deployed { outputs, .. } | Outcome::UpToDate { outputs, .. } = &outcome {
            data["outputs"] = json!(outputs);
        }
        printer.data(&data);
    }
    if let Outcome::Deployed { outputs_file, .. } = outcome {
        printer.success(format!(
            "Deployed `{}` in {seconds:.1} s; wrote {}",
            build.stack_name,
            outputs_file
                .strip_prefix(file.root())
                .unwrap_or(&outputs_file)
                .display()
        ));
    }
    Ok(())
}

/// Resolves when the process receives SIGTERM; never elsewhere.
async fn terminated() {
    #[cfg(unix)]
    if let Ok(mut signal) =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    {
        signal.recv().await;
        return;
    }
    std::future::pending::<()>().await
}

/// The push's conversation on the terminal: messages through the printer, the
/// change set as a table (kept in `shown` for the one `--json` document),
/// the go-ahead as a prompt.
struct Terminal<'a> {
    global: &'a GlobalArgs,
    printer: &'a Printer,
    shown: RefCell<Vec<PlannedChange>>,
}

impl Conversation for Terminal<'_> {
    fn info(&self, message: &str) {
        self.printer.info(message);
    }

    fn detail(&self, message: &str) {
        self.printer.detail(message);
    }

    fn success(&self, message: &str) {
        self.printer.success(message);
    }

    fn show_changes(&self, changes: &[PlannedChange]) {
        self.shown.borrow_mut().extend_from_slice(changes);
        show_changes(changes, self.printer);
    }

    fn confirm_deploy(&mut self) -> Result<bool, crate::Error> {
        let mut prompter = prompt::for_terminal();
        let mut inputs = Inputs {
            answers: Answers::default(),
            yes: self.global.yes,
            prompter: prompter.as_mut(),
        };
        inputs.confirm(
            Question {
                key: "yes",
                prompt: "Deploy these changes?",
                default: None,
            },
            None,
            true,
        )
    }
}

fn show_changes(changes: &[PlannedChange], printer: &Printer) {
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
