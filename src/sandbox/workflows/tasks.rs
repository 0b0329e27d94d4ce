//! An execution's Task states in the sandbox: the project's functions, the
//! api's tables, other workflows, the workflow's topics and queues, and
//! the wait for a task token (see [`super`]).

use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Callback, LONGEST_CALLBACK, WorkflowHost};
use crate::workflow::run::{ChildRun, Response, S3Call, TaskCall, TaskRunner};

/// What runs an execution's Task states in the sandbox.
pub(super) struct Runner<'a> {
    pub(super) host: &'a WorkflowHost,
    pub(super) execution: &'a str,
}

fn throw(error: &str, cause: impl Into<String>) -> Response {
    Response::Throw {
        error: error.to_string(),
        cause: cause.into(),
        delay: 0.0,
        heartbeats: true,
    }
}

fn returned(value: Value, delay: f64) -> Response {
    Response::Return {
        value,
        delay,
        heartbeats: true,
    }
}

impl TaskRunner for Runner<'_> {
    fn stopped(&self) -> bool {
        self.host.stopped(self.execution)
    }

    fn read_items(&self, call: &S3Call<'_>) -> Option<Result<Vec<Value>, (String, String)>> {
        Some(super::s3::read_items(&self.host.inner.buckets, call))
    }

    fn write_results(
        &self,
        call: &S3Call<'_>,
        map_run_arn: &str,
        children: &[ChildRun<'_>],
    ) -> Option<Result<Value, (String, String)>> {
        Some(super::s3::write_results(
            &self.host.inner.buckets,
            call,
            map_run_arn,
            children,
        ))
    }

    fn run(&self, call: &TaskCall<'_>) -> Response {
        let started = Instant::now();
        let resource = call.resource;
        let (base, pattern) = match resource.rsplit_once('.') {
            Some((b, p))
                if resource.starts_with("arn:aws:states:::") && p.starts_with("sync")
                    || p == "waitForTaskToken" =>
            {
                (b, Some(p))
            }
            _ => (resource, None),
        };
        // a callback's token is registered before the call, so an answer
        // sent by the call itself is not lost
        let activity = resource.starts_with("arn:aws:states:") && resource.contains(":activity:");
        let callback = (pattern == Some("waitForTaskToken") || activity).then(|| {
            let (tx, rx) = mpsc::channel();
            self.host
                .tokens()
                .insert(call.token.to_string(), (self.execution.to_string(), tx));
            rx
        });
        let answer = self.call(base, pattern, call);
        let answer = match (answer, callback) {
            (Response::Return { .. }, Some(rx)) => self.wait(call, rx, started),
            (other, _) => other,
        };
        self.host.tokens().remove(call.token);
        match answer {
            Response::Return {
                value,
                delay,
                heartbeats,
            } => Response::Return {
                value,
                delay: delay.max(started.elapsed().as_secs_f64()),
                heartbeats,
            },
            other => other,
        }
    }
}

impl Runner<'_> {
    /// The call itself (for `.waitForTaskToken`, what hands the token out).
    fn call(&self, base: &str, pattern: Option<&str>, call: &TaskCall<'_>) -> Response {
        let p = call.parameters;
        match base {
            "arn:aws:states:::lambda:invoke" => {
                let name = p["FunctionName"].as_str().unwrap_or_default();
                match self.invoke(name, p.get("Payload").cloned().unwrap_or(json!({}))) {
                    Ok(payload) => returned(
                        json!({ "ExecutedVersion": "$LATEST", "Payload": payload, "StatusCode": 200 }),
                        0.0,
                    ),
                    Err(r) => r,
                }
            }
            "arn:aws:states:::sns:publish" | "arn:aws:states:::sqs:sendMessage" => {
                let (what, to, body) = if base.ends_with("publish") {
                    ("published on", &p["TopicArn"], &p["Message"])
                } else {
                    ("sent to", &p["QueueUrl"], &p["MessageBody"])
                };
                let body = match body {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (self.host.inner.notify)(&format!(
                    "workflow     {} {what} {}: {body}",
                    call.state,
                    to.as_str().unwrap_or_default()
                ));
                returned(
                    json!({ "MessageId": uuid::Uuid::new_v4().to_string() }),
                    0.0,
                )
            }
            "arn:aws:states:::states:startExecution" => {
                let arn = p["StateMachineArn"].as_str().unwrap_or_default();
                let input = match &p["Input"] {
                    Value::Null => "{}".to_string(),
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let name = p["Name"].as_str();
                let sync = pattern.is_some_and(|p| p.starts_with("sync"));
                // `.sync` waits as long as the child runs
                let wait = sync.then_some(Duration::MAX / 4);
                match self.host.start(arn, name, &input, wait) {
                    Ok(mut out) if sync => {
                        if out["status"] != "SUCCEEDED" {
                            return throw(
                                "States.TaskFailed",
                                out["cause"].as_str().unwrap_or_default(),
                            );
                        }
                        if pattern == Some("sync:2")
                            && let Some(text) = out["output"].as_str()
                        {
                            out["output"] = serde_json::from_str(text).unwrap_or(Value::Null);
                        }
                        returned(capitalized(out), 0.0)
                    }
                    Ok(out) => returned(capitalized(out), 0.0),
                    Err(e) => {
                        let kind = e.kind.trim_end_matches("Exception");
                        throw(&format!("StepFunctions.{kind}Exception"), e.message)
                    }
                }
            }
            b if b.starts_with("arn:aws:states:::dynamodb:") => {
                let action = &b["arn:aws:states:::dynamodb:".len()..];
                let operation = match action {
                    "putItem" => "PutItem",
                    "getItem" => "GetItem",
                    "updateItem" => "UpdateItem",
                    "deleteItem" => "DeleteItem",
                    other => {
                        return throw(
                            "States.Runtime",
                            format!(
                                "the sandbox runs dynamodb:putItem, getItem, updateItem and deleteItem, not `{other}`"
                            ),
                        );
                    }
                };
                let Some(tables) = &self.host.inner.tables else {
                    return throw(
                        "States.Runtime",
                        "the sandbox has no tables (the project has no api)",
                    );
                };
                match tables(operation, p) {
                    Ok(v) => returned(v, 0.0),
                    Err(e) => throw(&format!("DynamoDB.{}", e.kind), e.message),
                }
            }
            b if b.starts_with("arn:aws:states:") && b.contains(":activity:") => {
                // a worker takes it with GetActivityTask, and answers its token
                self.host
                    .queue_activity_task(b, call.token, call.parameters.to_string());
                returned(Value::Null, 0.0)
            }
            b if b.starts_with("arn:aws:lambda:") => match self.invoke(b, p.clone()) {
                Ok(payload) => returned(payload, 0.0),
                Err(r) => r,
            },
            other => throw(
                "States.Runtime",
                format!(
                    "the sandbox does not run `{other}`: it runs the project's functions, tables and workflows, and its workflows' topics and queues (answer the Task's mock with `hoist workflow run --mocks`)"
                ),
            ),
        }
    }

    /// Invoke a project function by its name or ARN: its answer, or the
    /// Task's failure as Step Functions reports a function's error (the
    /// function's `errorType` as the error, Lambda's JSON as the cause).
    fn invoke(&self, name: &str, payload: Value) -> Result<Value, Response> {
        let Some(functions) = &self.host.inner.functions else {
            return Err(throw(
                "Lambda.ResourceNotFoundException",
                format!("Function not found: {name} (the project has no functions)"),
            ));
        };
        let name = crate::sandbox::api::function_name(name);
        functions
            .invoke(&name, payload, Duration::from_secs(900))
            .map_err(|e| {
                let error = match e.error_type.as_str() {
                    "Lambda:ResourceNotFound" => "Lambda.ResourceNotFoundException".to_string(),
                    other => other.to_string(),
                };
                throw(
                    &error,
                    json!({ "errorType": e.error_type, "errorMessage": e.message }).to_string(),
                )
            })
    }

    /// Wait for the token's answer, within `TimeoutSeconds` and, between
    /// heartbeats, `HeartbeatSeconds`.
    fn wait(
        &self,
        call: &TaskCall<'_>,
        rx: mpsc::Receiver<Callback>,
        started: Instant,
    ) -> Response {
        let line = if call.resource.contains(":activity:") {
            format!(
                "workflow     {} waits for a worker of {} (GetActivityTask)",
                call.state, call.resource
            )
        } else {
            format!(
                "workflow     {} waits for its task token: hoist workflow send-success --sandbox --token {}",
                call.state, call.token
            )
        };
        (self.host.inner.notify)(&line);
        let timeout = call
            .timeout
            .unwrap_or(LONGEST_CALLBACK)
            .min(LONGEST_CALLBACK);
        // an activity's heartbeats count from when a worker takes its task
        let mut beat = (!call.resource.contains(":activity:")).then(Instant::now);
        loop {
            let spent = started.elapsed().as_secs_f64();
            let window = match (call.heartbeat, beat) {
                (Some(h), Some(b)) => (h - b.elapsed().as_secs_f64()).min(timeout - spent),
                _ => timeout - spent,
            };
            // also wake now and then, for a stopped execution
            let wait = Duration::from_secs_f64(window.clamp(0.0, 1.0));
            let answer = rx.recv_timeout(wait);
            if self.host.stopped(self.execution) {
                return throw("States.Runtime", "the execution was stopped");
            }
            match answer {
                Ok(Callback::Success(value)) => return returned(value, 0.0),
                Ok(Callback::Failure { error, cause }) => return throw(&error, cause),
                Ok(Callback::Heartbeat | Callback::Started) => beat = Some(Instant::now()),
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return throw("States.Runtime", "the sandbox stopped");
                }
                Err(mpsc::RecvTimeoutError::Timeout) if window > 1.0 => continue,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    // past the heartbeat window (engine: HeartbeatTimeout)
                    // or the timeout (engine: Timeout)
                    let spent = started.elapsed().as_secs_f64();
                    if call.timeout.is_none() && spent >= LONGEST_CALLBACK {
                        return throw(
                            "States.Timeout",
                            format!("the sandbox waited {LONGEST_CALLBACK} s for the task's token"),
                        );
                    }
                    let heartbeat_missed = match (call.heartbeat, beat) {
                        (Some(h), Some(b)) => b.elapsed().as_secs_f64() >= h && spent < timeout,
                        _ => false,
                    };
                    return Response::Return {
                        value: Value::Null,
                        delay: if heartbeat_missed {
                            call.heartbeat.unwrap_or(spent) + 0.001
                        } else {
                            timeout + 0.001
                        },
                        heartbeats: !heartbeat_missed,
                    };
                }
            }
        }
    }
}

/// `startExecution`'s answer as the service integration gives it
/// (`ExecutionArn`, `StartDate`, ... : the API's names, capitalized).
fn capitalized(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let mut chars = k.chars();
                    let key = match chars.next() {
                        Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
                        None => k,
                    };
                    (key, v)
                })
                .collect(),
        ),
        other => other,
    }
}
