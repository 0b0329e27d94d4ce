//! `hoist workflow list | start | describe | history | stop | send-success |
//! send-failure | send-heartbeat`: the deployed workflows of an environment,
//! by the names hoist.toml gives them ([`crate::deploy::workflows`]).

use serde_json::{Value, json};

use crate::category::workflow::machine_name;
use crate::category::{Category, ResourceError};
use crate::cli::{DeployedArgs, WorkflowCommand};
use crate::deploy::aws::Target;
use crate::deploy::workflows::{self, Answer, Machine};
use crate::project::ProjectFile;
use crate::ui::Printer;

use super::resources::{load_project, unknown};

/// Where an environment's workflows are: deployed (its region and profile,
/// or the flags'), or in its running sandbox (`--sandbox`: its endpoint,
/// with the sandbox administrator's credentials).
struct Place {
    env: String,
    target: Target,
    admin: Option<crate::sandbox::auth::Credentials>,
}

impl Place {
    /// A Step Functions client for this place; `sync` for an Express
    /// machine's synchronous start (one attempt of up to 330 s).
    async fn client(
        &self,
        sync: bool,
    ) -> Result<aws_sdk_sfn::Client, crate::deploy::error::DeployError> {
        let Some(c) = &self.admin else {
            return crate::deploy::aws::sfn_client(&self.target, sync).await;
        };
        let config = aws_sdk_sfn::config::Builder::from(&super::sandbox_trigger::admin_sdk_config(
            &self.target.endpoint(),
            &self.target.region,
            c,
        ))
        .interceptor(crate::deploy::aws::NoHostPrefix)
        .build();
        Ok(aws_sdk_sfn::Client::from_conf(config))
    }
}

fn target(file: &ProjectFile, at: &DeployedArgs) -> Result<Place, crate::Error> {
    let flags = &at.target;
    let env = crate::settings::resolve_env(file, at.env.as_deref())?;
    super::env::known(file, &env)?;
    let section = &file.manifest.env[&env];
    if at.sandbox {
        let region = super::sandbox::env_region(file, &env);
        let dir = super::sandbox::data_dir(file.root(), &env);
        let (endpoint, admin) =
            super::sandbox_trigger::running(file, &env, &region, &dir, "states_endpoint")?
                .ok_or_else(|| crate::sandbox::SandboxError::Trigger {
                    message: format!("no sandbox of `{env}` with workflows is running"),
                    help: "start it with `hoist sandbox` (or `hoist dev`) in another terminal; a workflow added since it started needs a restart".into(),
                })?;
        return Ok(Place {
            env,
            target: Target {
                region,
                profile: None,
                endpoint_url: Some(endpoint),
            },
            admin: Some(admin),
        });
    }
    Ok(Place {
        env,
        target: Target {
            region: section.region.clone(),
            profile: flags.profile.clone().or_else(|| section.profile.clone()),
            endpoint_url: flags.endpoint_url.clone(),
        },
        admin: None,
    })
}

fn runtime() -> Result<tokio::runtime::Runtime, crate::Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| crate::Error::Internal(format!("could not start the async runtime: {e}")))
}

/// JSON text, or `@FILE`: checked here, so that a typo is not sent.
fn json_text(text: &str, flag: &'static str) -> Result<String, crate::Error> {
    let text = match text.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| crate::error::FsError::new("read", path, e))?,
        None => text.to_string(),
    };
    serde_json::from_str::<Value>(&text).map_err(|e| ResourceError::BadFlag {
        flag,
        message: format!("it is not JSON: {e}"),
        help: "give JSON text (quote it for the shell: '{\"orderId\": \"o-1\"}'), or @FILE".into(),
    })?;
    Ok(text)
}

fn workflow<'a>(file: &'a ProjectFile, name: &str) -> Result<&'a str, crate::Error> {
    file.manifest
        .workflow
        .get_key_value(name)
        .map(|(k, _)| k.as_str())
        .ok_or_else(|| unknown(file, Category::Workflow, name).into())
}

/// Runs one of the commands on deployed workflows; `Ok(false)` for the
/// offline ones (validate, graph, run), which the caller runs.
pub fn run(command: &WorkflowCommand, printer: &Printer) -> Result<bool, crate::Error> {
    match command {
        WorkflowCommand::List { at } => {
            let file = load_project()?;
            let place = target(&file, at)?;
            let env = place.env.clone();
            let rt = runtime()?;
            let endpoint = place.target.endpoint();
            let mut list = Vec::new();
            rt.block_on(async {
                let client = place.client(false).await?;
                for name in file.manifest.workflow.keys() {
                    let machine_name = machine_name(name, &env);
                    let machine = workflows::find(&client, &endpoint, &machine_name).await?;
                    // an Express machine keeps no executions to list
                    let executions = match &machine {
                        Some(m) if m.kind == "EXPRESS" => Value::Null,
                        Some(m) => json!(workflows::executions(&client, &endpoint, m, 10).await?),
                        None => json!([]),
                    };
                    list.push(json!({
                        "name": name,
                        "state_machine": machine_name,
                        "deployed": machine.is_some(),
                        "arn": machine.as_ref().map(|m| m.arn.clone()),
                        "type": machine.as_ref().map(|m| m.kind.clone()),
                        "executions": executions,
                    }));
                }
                Ok::<_, crate::deploy::error::DeployError>(())
            })?;
            if printer.json() {
                printer.data(&json!({ "env": env, "workflows": list }));
                return Ok(true);
            }
            if list.is_empty() {
                printer.info("This project has no workflow: add one with `hoist add workflow`");
            }
            for w in &list {
                let name = w["state_machine"].as_str().unwrap_or_default();
                if w["deployed"] != true {
                    printer.info(format!("{name}: not deployed (`hoist push --env {env}`)"));
                    continue;
                }
                printer.info(format!(
                    "{name} ({})",
                    w["type"].as_str().unwrap_or_default().to_ascii_lowercase()
                ));
                if w["executions"].is_null() {
                    printer
                        .info("  (an Express machine keeps no executions: its log group has them)");
                }
                for e in w["executions"].as_array().into_iter().flatten() {
                    printer.info(format!(
                        "  {:<40} {:<10} {}",
                        e["name"].as_str().unwrap_or_default(),
                        e["status"].as_str().unwrap_or_default(),
                        e["started"].as_str().unwrap_or_default()
                    ));
                }
            }
            Ok(true)
        }
        WorkflowCommand::Start {
            name,
            input,
            execution,
            at,
        } => {
            let file = load_project()?;
            let name = workflow(&file, name)?;
            let input = json_text(input, "input")?;
            let place = target(&file, at)?;
            let env = place.env.clone();
            let endpoint = place.target.endpoint();
            let rt = runtime()?;
            let started = rt.block_on(async {
                let client = place.client(false).await?;
                let machine =
                    workflows::machine(&client, &endpoint, &machine_name(name, &env), &env).await?;
                let client = if machine.kind == "EXPRESS" {
                    place.client(true).await?
                } else {
                    client
                };
                workflows::start(&client, &endpoint, &machine, &input, execution.as_deref()).await
            })?;
            let express_failed =
                started.get("output").is_some() && started["status"] != "SUCCEEDED";
            if printer.json() {
                printer.data(&started);
            } else if started.get("output").is_some() {
                // an Express execution, ended
                show_end(&started, printer);
            } else {
                let exec = started["name"].as_str().unwrap_or_default();
                printer.success(format!(
                    "Started `{exec}` of `{}`",
                    machine_name(name, &env)
                ));
                printer.command_hint(
                    &format!("hoist workflow describe {name} {exec} --env {env}"),
                    "see how it is going",
                );
            }
            if express_failed {
                return Err(crate::deploy::error::DeployError::Aws {
                    action: "StartSyncExecution",
                    summary: format!(
                        "the execution ended {}: {}",
                        started["status"].as_str().unwrap_or_default(),
                        started["error"].as_str().unwrap_or("no error given")
                    ),
                    help: format!(
                        "read its log group, `/aws/vendedlogs/states/{}`",
                        machine_name(name, &env)
                    ),
                    detail: String::new(),
                }
                .into());
            }
            Ok(true)
        }
        WorkflowCommand::Describe {
            name,
            execution,
            at,
        } => {
            let (rt, client, endpoint, m) = located(name, at)?;
            let described = rt.block_on(workflows::describe(&client, &endpoint, &m, execution))?;
            if printer.json() {
                printer.data(&described);
            } else {
                show_end(&described, printer);
            }
            Ok(true)
        }
        WorkflowCommand::History {
            name,
            execution,
            at,
        } => {
            let history = history_of(name, execution, at)?;
            if printer.json() {
                printer.data(&history);
                return Ok(true);
            }
            for e in history["events"].as_array().into_iter().flatten() {
                let kind = e["type"].as_str().unwrap_or_default();
                let what = e
                    .as_object()
                    .into_iter()
                    .flatten()
                    .find(|(k, _)| k.ends_with("EventDetails"))
                    .map(|(_, d)| {
                        ["name", "error", "cause"]
                            .iter()
                            .filter_map(|f| d.get(*f).and_then(Value::as_str))
                            .collect::<Vec<_>>()
                            .join(": ")
                    })
                    .unwrap_or_default();
                printer.info(format!(
                    "{:>4}  {}  {kind:<28} {what}",
                    e["id"],
                    e["timestamp"].as_str().unwrap_or_default()
                ));
            }
            Ok(true)
        }
        WorkflowCommand::Stop {
            name,
            execution,
            error,
            cause,
            at,
        } => {
            let (rt, client, endpoint, m) = located(name, at)?;
            rt.block_on(workflows::stop(
                &client,
                &endpoint,
                &m,
                execution,
                error.as_deref(),
                cause.as_deref(),
            ))?;
            printer.success(format!("Stopped `{execution}`"));
            Ok(true)
        }
        WorkflowCommand::SendSuccess { token, output, at } => {
            let output = json_text(output, "output")?;
            send(token, Answer::Success(&output), at)?;
            printer.success("The task succeeded with that output");
            Ok(true)
        }
        WorkflowCommand::SendFailure {
            token,
            error,
            cause,
            at,
        } => {
            send(
                token,
                Answer::Failure(error.as_deref(), cause.as_deref()),
                at,
            )?;
            printer.success("The task failed with that error");
            Ok(true)
        }
        WorkflowCommand::SendHeartbeat { token, at } => {
            send(token, Answer::Heartbeat, at)?;
            printer.success("The task's heartbeat was sent");
            Ok(true)
        }
        WorkflowCommand::Validate { .. }
        | WorkflowCommand::Graph { .. }
        | WorkflowCommand::Run { .. } => Ok(false),
    }
}

/// The project's root and the workflow's name as hoist.toml spells it,
/// when `name` is one of the project's workflows.
pub fn project_workflow(name: &str) -> Option<(std::path::PathBuf, String)> {
    let file = load_project().ok()?;
    let (key, _) = file.manifest.workflow.get_key_value(name)?;
    Some((file.root().to_path_buf(), key.clone()))
}

/// The history of the execution `execution` of the workflow `name` where
/// `at` says (an environment, or `--sandbox`), as `history --json` prints
/// it: `{"events": [...]}`.
///
/// Errors: as `hoist workflow history`'s.
pub fn history_of(name: &str, execution: &str, at: &DeployedArgs) -> Result<Value, crate::Error> {
    let (rt, client, endpoint, m) = located(name, at)?;
    let events = rt.block_on(workflows::history(&client, &endpoint, &m, execution))?;
    Ok(json!({ "events": events }))
}

/// The workflow `name`'s machine in the environment, with a runtime and
/// a client to call it.
fn located(
    name: &str,
    at: &DeployedArgs,
) -> Result<
    (
        tokio::runtime::Runtime,
        aws_sdk_sfn::Client,
        String,
        Machine,
    ),
    crate::Error,
> {
    let file = load_project()?;
    let name = workflow(&file, name)?;
    let place = target(&file, at)?;
    let env = place.env.clone();
    let endpoint = place.target.endpoint();
    let rt = runtime()?;
    let (client, machine) = rt.block_on(async {
        let client = place.client(false).await?;
        let machine =
            workflows::machine(&client, &endpoint, &machine_name(name, &env), &env).await?;
        Ok::<_, crate::deploy::error::DeployError>((client, machine))
    })?;
    if machine.kind == "EXPRESS" {
        // DescribeExecution, GetExecutionHistory and StopExecution take
        // Standard executions only ("Standard vs. Express Workflows")
        return Err(ResourceError::ExpressHasNoExecutions {
            name: name.to_string(),
            log_group: format!("/aws/vendedlogs/states/{}", machine_name(name, &env)),
        }
        .into());
    }
    Ok((rt, client, endpoint, machine))
}

fn send(token: &str, answer: Answer<'_>, at: &DeployedArgs) -> Result<(), crate::Error> {
    let file = load_project()?;
    let place = target(&file, at)?;
    let endpoint = place.target.endpoint();
    runtime()?.block_on(async {
        let client = place.client(false).await?;
        workflows::answer(&client, &endpoint, token, answer).await
    })?;
    Ok(())
}

/// An execution's status, and its output or error.
fn show_end(e: &Value, printer: &Printer) {
    let name = e["name"].as_str().unwrap_or_default();
    let status = e["status"].as_str().unwrap_or_default();
    printer.info(format!(
        "{name}: {status} (started {})",
        e["started"].as_str().unwrap_or_default()
    ));
    if let Some(error) = e["error"].as_str() {
        printer.info(format!(
            "  error: {error}{}",
            e["cause"]
                .as_str()
                .map(|c| format!(": {c}"))
                .unwrap_or_default()
        ));
    }
    if !e["output"].is_null() {
        printer.info(format!(
            "  output: {}",
            serde_json::to_string_pretty(&e["output"]).unwrap_or_default()
        ));
    }
}
