//! A deployed environment's workflows through the AWS SDK for Rust's Step
//! Functions client: find a workflow's state machine (`<name>-<env>`), start,
//! describe, list, stop executions, read their history, and answer task
//! tokens ("AWS Step Functions API Reference"). Executions are named by the
//! name they were started with, not by ARN.

use aws_sdk_sfn::Client;
use serde_json::{Map, Value, json};

use super::aws::classify;
use super::error::DeployError;

/// At most this many pages of a listing are read (a thousand machines or
/// executions at 100 a page; history at 1,000 events a page).
const MAX_PAGES: usize = 100;

/// A deployed state machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    pub arn: String,
    /// `STANDARD` or `EXPRESS`.
    pub kind: String,
}

impl Machine {
    /// The ARN of this machine's execution `name` (Standard machines:
    /// `arn:...:execution:<machine>:<name>`).
    pub fn execution_arn(&self, name: &str) -> String {
        format!(
            "{}:{name}",
            self.arn.replacen(":stateMachine:", ":execution:", 1)
        )
    }
}

fn refused<'a, E, R>(
    action: &'static str,
    endpoint: &'a str,
) -> impl FnOnce(aws_sdk_sfn::error::SdkError<E, R>) -> DeployError + 'a
where
    E: aws_sdk_sfn::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    move |err| DeployError::from_cause(action, endpoint, classify(&err), &err)
}

/// The machine `name` (`<workflow>-<env>`), found with ListStateMachines;
/// `None` when there is none of that name.
pub async fn find(
    client: &Client,
    endpoint: &str,
    name: &str,
) -> Result<Option<Machine>, DeployError> {
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = client
            .list_state_machines()
            .set_next_token(token.clone())
            .max_results(100)
            .send()
            .await
            .map_err(refused("ListStateMachines", endpoint))?;
        if let Some(m) = page.state_machines().iter().find(|m| m.name() == name) {
            return Ok(Some(Machine {
                arn: m.state_machine_arn().to_string(),
                kind: m.r#type().as_str().to_string(),
            }));
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok(None)
}

/// [`find`], for a machine that must be there.
///
/// Errors: [`DeployError::Aws`]: none of that name (with `hoist push`), or
/// the call's own failure.
pub async fn machine(
    client: &Client,
    endpoint: &str,
    name: &str,
    env: &str,
) -> Result<Machine, DeployError> {
    find(client, endpoint, name)
        .await?
        .ok_or_else(|| DeployError::Aws {
            action: "ListStateMachines",
            summary: format!("the state machine `{name}` is not deployed at {endpoint}"),
            help: format!(
                "deploy it with `hoist push --env {env}` (a workflow added since the last push is not there yet)"
            ),
            detail: String::new(),
        })
}

fn time(t: &aws_sdk_sfn::primitives::DateTime) -> String {
    t.fmt(aws_sdk_sfn::primitives::DateTimeFormat::DateTime)
        .unwrap_or_default()
}

fn parsed(text: Option<&str>) -> Value {
    match text {
        None => Value::Null,
        Some(t) => serde_json::from_str(t).unwrap_or_else(|_| Value::String(t.to_string())),
    }
}

/// Start an execution with `input` (JSON text) and, for a Standard
/// machine, the execution name `name` (Step Functions makes one when absent).
/// An Express machine runs synchronously (StartSyncExecution) and the
/// answer holds its end.
///
/// Shape: `{ name, arn, status, started, output?, error?, cause? }`.
///
/// Errors: [`DeployError::Aws`], an execution of that name already there
/// named as such.
pub async fn start(
    client: &Client,
    endpoint: &str,
    machine: &Machine,
    input: &str,
    name: Option<&str>,
) -> Result<Value, DeployError> {
    if machine.kind == "EXPRESS" {
        let out = client
            .start_sync_execution()
            .state_machine_arn(&machine.arn)
            .input(input)
            .set_name(name.map(str::to_string))
            .send()
            .await
            .map_err(refused("StartSyncExecution", endpoint))?;
        return Ok(json!({
            "name": out.name(),
            "arn": out.execution_arn(),
            "status": out.status().as_str(),
            "started": time(out.start_date()),
            "output": parsed(out.output()),
            "error": out.error(),
            "cause": out.cause(),
        }));
    }
    let out = client
        .start_execution()
        .state_machine_arn(&machine.arn)
        .input(input)
        .set_name(name.map(str::to_string))
        .send()
        .await
        .map_err(|err| {
            let exists = err
                .as_service_error()
                .is_some_and(|e| e.is_execution_already_exists());
            if exists {
                DeployError::Aws {
                    action: "StartExecution",
                    summary: format!(
                        "the execution name `{}` was used before",
                        name.unwrap_or_default()
                    ),
                    help: "execution names are unique for 90 days: choose another `--name`, or leave it out".into(),
                    detail: aws_sdk_sfn::error::DisplayErrorContext(&err).to_string(),
                }
            } else {
                refused("StartExecution", endpoint)(err)
            }
        })?;
    let arn = out.execution_arn().to_string();
    Ok(json!({
        "name": arn.rsplit(':').next().unwrap_or_default(),
        "arn": arn,
        "status": "RUNNING",
        "started": time(out.start_date()),
    }))
}

fn no_execution(
    name: &str,
    machine: &Machine,
    action: &'static str,
    detail: String,
) -> DeployError {
    let express = machine.kind == "EXPRESS";
    DeployError::Aws {
        action,
        summary: format!(
            "`{}` has no execution `{name}`",
            machine.arn.rsplit(':').next().unwrap_or_default()
        ),
        help: if express {
            "an Express machine keeps no executions to describe: read them in its CloudWatch log group".into()
        } else {
            "`hoist workflow list` shows the recent executions by name".into()
        },
        detail,
    }
}

/// The mapping of a call on the execution `name`: an execution the machine
/// does not have (`missing` says which error that is) is named as such.
fn execution_refused<'a, E, R>(
    action: &'static str,
    endpoint: &'a str,
    name: &'a str,
    machine: &'a Machine,
    missing: fn(&E) -> bool,
) -> impl FnOnce(aws_sdk_sfn::error::SdkError<E, R>) -> DeployError + 'a
where
    E: aws_sdk_sfn::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    move |err| {
        if err.as_service_error().is_some_and(missing) {
            no_execution(
                name,
                machine,
                action,
                aws_sdk_sfn::error::DisplayErrorContext(&err).to_string(),
            )
        } else {
            refused(action, endpoint)(err)
        }
    }
}

/// DescribeExecution of the execution `name`.
///
/// Shape: `{ name, arn, status, started, stopped?, input, output?, error?, cause? }`.
pub async fn describe(
    client: &Client,
    endpoint: &str,
    machine: &Machine,
    name: &str,
) -> Result<Value, DeployError> {
    let out = client
        .describe_execution()
        .execution_arn(machine.execution_arn(name))
        .send()
        .await
        .map_err(execution_refused(
            "DescribeExecution",
            endpoint,
            name,
            machine,
            aws_sdk_sfn::operation::describe_execution::DescribeExecutionError::is_execution_does_not_exist,
        ))?;
    Ok(json!({
        "name": out.name(),
        "arn": out.execution_arn(),
        "status": out.status().as_str(),
        "started": time(out.start_date()),
        "stopped": out.stop_date().map(time),
        "input": parsed(out.input()),
        "output": parsed(out.output()),
        "error": out.error(),
        "cause": out.cause(),
    }))
}

/// The most recent executions (at most `limit`), newest first.
///
/// Shape: `[{ name, status, started, stopped? }]`.
pub async fn executions(
    client: &Client,
    endpoint: &str,
    machine: &Machine,
    limit: i32,
) -> Result<Vec<Value>, DeployError> {
    if machine.kind == "EXPRESS" {
        return Ok(Vec::new());
    }
    let out = client
        .list_executions()
        .state_machine_arn(&machine.arn)
        .max_results(limit)
        .send()
        .await
        .map_err(refused("ListExecutions", endpoint))?;
    Ok(out
        .executions()
        .iter()
        .map(|e| {
            json!({
                "name": e.name(),
                "status": e.status().as_str(),
                "started": time(e.start_date()),
                "stopped": e.stop_date().map(time),
            })
        })
        .collect())
}

/// StopExecution, with an error and cause of the caller's.
pub async fn stop(
    client: &Client,
    endpoint: &str,
    machine: &Machine,
    name: &str,
    error: Option<&str>,
    cause: Option<&str>,
) -> Result<(), DeployError> {
    client
        .stop_execution()
        .execution_arn(machine.execution_arn(name))
        .set_error(error.map(str::to_string))
        .set_cause(cause.map(str::to_string))
        .send()
        .await
        .map_err(execution_refused(
            "StopExecution",
            endpoint,
            name,
            machine,
            aws_sdk_sfn::operation::stop_execution::StopExecutionError::is_execution_does_not_exist,
        ))?;
    Ok(())
}

/// The execution's whole history (GetExecutionHistory, oldest first), each
/// event as the API's JSON names it (`type`, `id`, `previousEventId`,
/// `timestamp`, and its `<kind>EventDetails`), which `hoist workflow graph
/// --execution` and a local run's `--history` share.
pub async fn history(
    client: &Client,
    endpoint: &str,
    machine: &Machine,
    name: &str,
) -> Result<Vec<Value>, DeployError> {
    let mut events = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = client
            .get_execution_history()
            .execution_arn(machine.execution_arn(name))
            .set_next_token(token.clone())
            .max_results(1000)
            .send()
            .await
            .map_err(execution_refused(
            "GetExecutionHistory",
            endpoint,
            name,
            machine,
            aws_sdk_sfn::operation::get_execution_history::GetExecutionHistoryError::is_execution_does_not_exist,
        ))?;
        events.extend(page.events().iter().map(event));
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok(events)
}

/// One history event in the API's JSON shape.
fn event(e: &aws_sdk_sfn::types::HistoryEvent) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(e.id()));
    if e.previous_event_id() != 0 {
        out.insert("previousEventId".into(), json!(e.previous_event_id()));
    }
    out.insert("timestamp".into(), json!(time(e.timestamp())));
    out.insert("type".into(), json!(e.r#type().as_str()));
    let mut detail = |key: &str, value: Value| {
        let fields: Map<String, Value> = value
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        out.insert(key.into(), Value::Object(fields));
    };
    if let Some(d) = e.state_entered_event_details() {
        detail(
            "stateEnteredEventDetails",
            json!({ "name": d.name(), "input": d.input() }),
        );
    }
    if let Some(d) = e.state_exited_event_details() {
        detail(
            "stateExitedEventDetails",
            json!({ "name": d.name(), "output": d.output() }),
        );
    }
    if let Some(d) = e.execution_started_event_details() {
        detail(
            "executionStartedEventDetails",
            json!({ "input": d.input(), "roleArn": d.role_arn() }),
        );
    }
    if let Some(d) = e.execution_succeeded_event_details() {
        detail(
            "executionSucceededEventDetails",
            json!({ "output": d.output() }),
        );
    }
    if let Some(d) = e.execution_failed_event_details() {
        detail(
            "executionFailedEventDetails",
            json!({ "error": d.error(), "cause": d.cause() }),
        );
    }
    if let Some(d) = e.execution_aborted_event_details() {
        detail(
            "executionAbortedEventDetails",
            json!({ "error": d.error(), "cause": d.cause() }),
        );
    }
    if let Some(d) = e.execution_timed_out_event_details() {
        detail(
            "executionTimedOutEventDetails",
            json!({ "error": d.error(), "cause": d.cause() }),
        );
    }
    if let Some(d) = e.task_scheduled_event_details() {
        detail(
            "taskScheduledEventDetails",
            json!({ "resourceType": d.resource_type(), "resource": d.resource(), "parameters": d.parameters() }),
        );
    }
    if let Some(d) = e.task_submitted_event_details() {
        detail(
            "taskSubmittedEventDetails",
            json!({ "resourceType": d.resource_type(), "resource": d.resource(), "output": d.output() }),
        );
    }
    if let Some(d) = e.task_succeeded_event_details() {
        detail(
            "taskSucceededEventDetails",
            json!({ "resourceType": d.resource_type(), "resource": d.resource(), "output": d.output() }),
        );
    }
    if let Some(d) = e.task_failed_event_details() {
        detail(
            "taskFailedEventDetails",
            json!({ "resourceType": d.resource_type(), "resource": d.resource(), "error": d.error(), "cause": d.cause() }),
        );
    }
    if let Some(d) = e.task_timed_out_event_details() {
        detail(
            "taskTimedOutEventDetails",
            json!({ "resourceType": d.resource_type(), "resource": d.resource(), "error": d.error(), "cause": d.cause() }),
        );
    }
    if let Some(d) = e.lambda_function_failed_event_details() {
        detail(
            "lambdaFunctionFailedEventDetails",
            json!({ "error": d.error(), "cause": d.cause() }),
        );
    }
    if let Some(d) = e.lambda_function_succeeded_event_details() {
        detail(
            "lambdaFunctionSucceededEventDetails",
            json!({ "output": d.output() }),
        );
    }
    if let Some(d) = e.lambda_function_scheduled_event_details() {
        detail(
            "lambdaFunctionScheduledEventDetails",
            json!({ "resource": d.resource(), "input": d.input(), "timeoutInSeconds": d.timeout_in_seconds() }),
        );
    }
    if let Some(d) = e.lambda_function_timed_out_event_details() {
        detail(
            "lambdaFunctionTimedOutEventDetails",
            json!({ "error": d.error(), "cause": d.cause() }),
        );
    }
    if let Some(d) = e.activity_failed_event_details() {
        detail(
            "activityFailedEventDetails",
            json!({ "error": d.error(), "cause": d.cause() }),
        );
    }
    if let Some(d) = e.activity_scheduled_event_details() {
        detail(
            "activityScheduledEventDetails",
            json!({ "resource": d.resource(), "input": d.input(), "timeoutInSeconds": d.timeout_in_seconds(), "heartbeatInSeconds": d.heartbeat_in_seconds() }),
        );
    }
    if let Some(d) = e.activity_started_event_details() {
        detail(
            "activityStartedEventDetails",
            json!({ "workerName": d.worker_name() }),
        );
    }
    if let Some(d) = e.activity_succeeded_event_details() {
        detail(
            "activitySucceededEventDetails",
            json!({ "output": d.output() }),
        );
    }
    if let Some(d) = e.activity_timed_out_event_details() {
        detail(
            "activityTimedOutEventDetails",
            json!({ "error": d.error(), "cause": d.cause() }),
        );
    }
    Value::Object(out)
}

/// Answer a task token: `success` with `output` (JSON text), or a failure
/// with an error and cause; or a heartbeat.
pub enum Answer<'a> {
    Success(&'a str),
    Failure(Option<&'a str>, Option<&'a str>),
    Heartbeat,
}

/// SendTaskSuccess, SendTaskFailure or SendTaskHeartbeat.
///
/// Errors: [`DeployError::Aws`]: a token Step Functions does not know (an
/// ended task, a typo) or one that has timed out, said as such.
pub async fn answer(
    client: &Client,
    endpoint: &str,
    token: &str,
    answer: Answer<'_>,
) -> Result<(), DeployError> {
    // every token error of the three calls has the same meaning
    fn token_error(
        action: &'static str,
        endpoint: &str,
        code: Option<&str>,
        detail: String,
        cause: super::aws::Cause,
    ) -> DeployError {
        let summary = match code {
            Some("TaskDoesNotExist") => {
                "no task waits for this token: it ended, or the token was mistyped"
            }
            Some("TaskTimedOut") => {
                "the task this token belongs to has timed out (its TimeoutSeconds or HeartbeatSeconds passed)"
            }
            Some("InvalidToken") => "this is not a task token",
            _ => {
                return DeployError::Aws {
                    action,
                    summary: cause.summary(endpoint),
                    help: cause.help(),
                    detail,
                };
            }
        };
        DeployError::Aws {
            action,
            summary: summary.into(),
            help: "copy the token whole from the message the task sent (`$$.Task.Token`); a task waits for one answer only".into(),
            detail,
        }
    }
    macro_rules! sent {
        ($call:expr, $action:literal) => {
            $call.send().await.map(|_| ()).map_err(|err| {
                let code = err.as_service_error().and_then(|e| {
                    if e.is_task_does_not_exist() {
                        Some("TaskDoesNotExist")
                    } else if e.is_task_timed_out() {
                        Some("TaskTimedOut")
                    } else if e.is_invalid_token() {
                        Some("InvalidToken")
                    } else {
                        None
                    }
                });
                token_error(
                    $action,
                    endpoint,
                    code,
                    aws_sdk_sfn::error::DisplayErrorContext(&err).to_string(),
                    classify(&err),
                )
            })
        };
    }
    match answer {
        Answer::Success(output) => sent!(
            client.send_task_success().task_token(token).output(output),
            "SendTaskSuccess"
        ),
        Answer::Failure(error, cause) => sent!(
            client
                .send_task_failure()
                .task_token(token)
                .set_error(error.map(str::to_string))
                .set_cause(cause.map(str::to_string)),
            "SendTaskFailure"
        ),
        Answer::Heartbeat => sent!(
            client.send_task_heartbeat().task_token(token),
            "SendTaskHeartbeat"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sfn::operation::describe_execution::DescribeExecutionError;
    use aws_sdk_sfn::operation::list_state_machines::ListStateMachinesOutput;
    use aws_sdk_sfn::operation::send_task_success::SendTaskSuccessError;
    use aws_sdk_sfn::types::error::{ExecutionDoesNotExist, TaskTimedOut};
    use aws_sdk_sfn::types::{StateMachineListItem, StateMachineType};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    fn listed(name: &str) -> StateMachineListItem {
        StateMachineListItem::builder()
            .name(name)
            .state_machine_arn(format!(
                "arn:aws:states:eu-west-1:123456789012:stateMachine:{name}"
            ))
            .r#type(StateMachineType::Standard)
            .creation_date(aws_sdk_sfn::primitives::DateTime::from_secs(0))
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn machines_are_found_across_pages_and_a_missing_one_points_at_push() {
        let first = mock!(Client::list_state_machines).then_output(|| {
            ListStateMachinesOutput::builder()
                .state_machines(listed("other-dev"))
                .next_token("2")
                .build()
                .unwrap()
        });
        let second = mock!(Client::list_state_machines).then_output(|| {
            ListStateMachinesOutput::builder()
                .state_machines(listed("orders-dev"))
                .build()
                .unwrap()
        });
        let empty = mock!(Client::list_state_machines).then_output(|| {
            ListStateMachinesOutput::builder()
                .set_state_machines(Some(vec![]))
                .build()
                .unwrap()
        });
        let client = mock_client!(aws_sdk_sfn, RuleMode::Sequential, [&first, &second, &empty]);
        let m = machine(&client, "aws", "orders-dev", "dev").await.unwrap();
        assert_eq!(
            m.execution_arn("run-1"),
            "arn:aws:states:eu-west-1:123456789012:execution:orders-dev:run-1"
        );
        let err = machine(&client, "aws", "orders-dev", "dev")
            .await
            .unwrap_err();
        let text = format!("{err}");
        assert!(text.contains("`orders-dev` is not deployed"), "{text}");
        assert!(
            format!(
                "{:?}",
                miette::Diagnostic::help(&err).map(|h| h.to_string())
            )
            .contains("hoist push --env dev")
        );
    }

    #[tokio::test]
    async fn unknown_executions_and_stale_tokens_are_named() {
        let missing = mock!(Client::describe_execution).then_error(|| {
            DescribeExecutionError::ExecutionDoesNotExist(
                ExecutionDoesNotExist::builder().message("nope").build(),
            )
        });
        let timed_out = mock!(Client::send_task_success).then_error(|| {
            SendTaskSuccessError::TaskTimedOut(TaskTimedOut::builder().message("late").build())
        });
        let client = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, [&missing, &timed_out]);
        let m = Machine {
            arn: "arn:aws:states:eu-west-1:1:stateMachine:orders-dev".into(),
            kind: "STANDARD".into(),
        };
        let err = describe(&client, "aws", &m, "run-9").await.unwrap_err();
        assert!(
            format!("{err}").contains("`orders-dev` has no execution `run-9`"),
            "{err}"
        );
        let err = answer(&client, "aws", "tok", Answer::Success("{}"))
            .await
            .unwrap_err();
        assert!(format!("{err}").contains("has timed out"), "{err}");
    }
}
