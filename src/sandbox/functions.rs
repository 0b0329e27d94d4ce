//! The project's functions in the sandbox: each runs locally under Lambda's
//! Runtime API ([`crate::category::function::local`]), started on its first
//! invocation and kept warm, rebuilt when its source changes (the next
//! invocation runs the edit). Callers are the api's `@function` data
//! sources and, in time, the user pool's triggers and storage events; they
//! call [`FunctionHost::invoke`] from their own threads and wait for the
//! answer.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use serde_json::Value;

use crate::category::function::local::LocalFunction;
use crate::category::function::{FunctionConfig, function_name};

/// A function's error as Lambda reports it (`errorType`, `errorMessage`),
/// or the sandbox's own reason it could not run.
#[derive(Debug, Clone, PartialEq)]
pub struct InvokeError {
    pub error_type: String,
    pub message: String,
}

type Reply = mpsc::Sender<Result<Value, InvokeError>>;

struct Request {
    function: String,
    event: Value,
    reply: Reply,
    /// When the caller stops waiting: a request still queued then is dropped.
    deadline: std::time::Instant,
}

/// The handle the api and the triggers hold; cloning it is cheap.
#[derive(Clone)]
pub struct FunctionHost {
    requests: mpsc::Sender<Request>,
    names: Arc<BTreeMap<String, String>>,
}

/// A function's variables beyond Lambda's (the sandbox's endpoints, its
/// grants' values), by the function's name; asked when its process starts.
pub type ExtraEnv = Arc<dyn Fn(&str) -> Vec<(String, String)> + Send + Sync>;

impl FunctionHost {
    /// Start the host's thread for the project's functions (`[function.*]`)
    /// in environment `env`; `extra_env` gives each function's variables
    /// beyond Lambda's (see [`super::function_env`]).
    pub fn start(
        root: PathBuf,
        functions: BTreeMap<String, FunctionConfig>,
        env: String,
        region: String,
        extra_env: ExtraEnv,
    ) -> FunctionHost {
        // the names Lambda knows them by (`greet-dev`): a bare `greet` would
        // work here and name no function deployed
        let names: BTreeMap<String, String> = functions
            .keys()
            .flat_map(|name| {
                [
                    (function_name(name, &env), name.clone()),
                    (function_name(name, "${env}"), name.clone()),
                    // the api's template names it with the stack's parameter
                    (function_name(name, "${Env}"), name.clone()),
                ]
            })
            .collect();
        let (requests, rx) = mpsc::channel::<Request>();
        let spawned = std::thread::Builder::new()
            .name("hoist-sandbox-functions".into())
            .spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                runtime.block_on(serve(root, functions, env, region, extra_env, rx));
            });
        if spawned.is_err() {
            eprintln!("warning: the sandbox could not start its functions' thread");
        }
        FunctionHost {
            requests,
            names: Arc::new(names),
        }
    }

    /// The project function a Lambda name (`greet-dev`, `greet-${env}`,
    /// `greet-${Env}`) means, if any.
    pub fn resolve(&self, lambda_name: &str) -> Option<&str> {
        self.names.get(lambda_name).map(String::as_str)
    }

    /// Invoke `lambda_name` with `event` and wait at most `wait` for the
    /// answer (the function's own timeout applies within it).
    ///
    /// Errors: an unknown function; the function's error; no answer in time.
    pub fn invoke(
        &self,
        lambda_name: &str,
        event: Value,
        wait: Duration,
    ) -> Result<Value, InvokeError> {
        let Some(function) = self.resolve(lambda_name) else {
            return Err(InvokeError {
                error_type: "Lambda:ResourceNotFound".into(),
                message: format!(
                    "the sandbox runs the project's functions, by the names Lambda knows them (`<name>-${{env}}`), and `{lambda_name}` is not one of them (add it with `hoist add function`; a function added while the sandbox runs needs a restart)"
                ),
            });
        };
        self.invoke_function(function, event, wait)
    }

    /// Invoke the project's function `name` (as hoist.toml names it: the
    /// user pool's and tables' triggers), waiting at most `wait`.
    ///
    /// Errors: the function's error; no answer in time; the host stopped.
    pub fn invoke_function(
        &self,
        function: &str,
        event: Value,
        wait: Duration,
    ) -> Result<Value, InvokeError> {
        let (reply, answer) = mpsc::channel();
        let sent = self.requests.send(Request {
            function: function.to_string(),
            event,
            reply,
            deadline: std::time::Instant::now() + wait,
        });
        if sent.is_err() {
            return Err(InvokeError {
                error_type: "ServiceException".into(),
                message: "the sandbox's functions stopped".into(),
            });
        }
        match answer.recv_timeout(wait) {
            Ok(answer) => answer,
            Err(mpsc::RecvTimeoutError::Timeout) => Err(InvokeError {
                error_type: "ExecutionTimeout".into(),
                message: format!("`{function}` did not answer within {} s", wait.as_secs()),
            }),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(InvokeError {
                error_type: "ServiceException".into(),
                message: "the sandbox's functions stopped".into(),
            }),
        }
    }

    /// Where the sandbox's DynamoDB sends its changes: each change of a
    /// table in `subscriptions` (sandbox table name to functions) is
    /// delivered to its functions as a DynamoDB stream event ("Using AWS
    /// Lambda with Amazon DynamoDB": `Records` of `eventName` INSERT, MODIFY
    /// or REMOVE, with `Keys`, `NewImage`, `OldImage`), one record per event,
    /// on a thread of its own, so that writers never wait for functions. A
    /// function's error is printed; the record is not retried.
    pub fn stream(
        &self,
        subscriptions: BTreeMap<String, Vec<String>>,
        region: String,
    ) -> mpsc::Sender<crate::sandbox::dynamodb::Change> {
        let (tx, rx) = mpsc::channel::<crate::sandbox::dynamodb::Change>();
        let host = self.clone();
        let spawned = std::thread::Builder::new()
            .name("hoist-sandbox-streams".into())
            .spawn(move || {
                let mut sequence: u64 = 0;
                while let Ok(change) = rx.recv() {
                    let Some(functions) = subscriptions.get(&change.table) else {
                        continue;
                    };
                    sequence += 1;
                    let name = match (&change.old, &change.new) {
                        (None, Some(_)) => "INSERT",
                        (Some(_), Some(_)) => "MODIFY",
                        _ => "REMOVE",
                    };
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_secs())
                        .unwrap_or(0);
                    let mut dynamodb = serde_json::json!({
                        "ApproximateCreationDateTime": now,
                        "Keys": change.keys,
                        "SequenceNumber": format!("{sequence:021}"),
                        "SizeBytes": change.new.as_ref().or(change.old.as_ref()).map_or(0, |v| v.to_string().len()),
                        "StreamViewType": "NEW_AND_OLD_IMAGES",
                    });
                    if let Some(new) = &change.new {
                        dynamodb["NewImage"] = new.clone();
                    }
                    if let Some(old) = &change.old {
                        dynamodb["OldImage"] = old.clone();
                    }
                    let event = serde_json::json!({ "Records": [{
                        "eventID": uuid::Uuid::new_v4().simple().to_string(),
                        "eventName": name,
                        "eventVersion": "1.1",
                        "eventSource": "aws:dynamodb",
                        "awsRegion": region,
                        "dynamodb": dynamodb,
                        "eventSourceARN": format!("arn:aws:dynamodb:{region}:000000000000:table/{}/stream/sandbox", change.table),
                    }]});
                    for function in functions {
                        if let Err(e) =
                            host.invoke_function(function, event.clone(), Duration::from_secs(900))
                        {
                            eprintln!(
                                "function {function} | failed on a {name} of {}: {}: {}",
                                change.table, e.error_type, e.message
                            );
                        }
                    }
                }
            });
        if spawned.is_err() {
            eprintln!("warning: the sandbox could not start its table streams' thread");
        }
        tx
    }
}

impl FunctionHost {
    /// Where the sandbox's S3 sends its object events: each event of a
    /// bucket in `subscriptions` (sandbox bucket name to functions and their
    /// triggers) that a trigger matches is delivered to its function as
    /// EventBridge delivers S3's events ("EventBridge event message
    /// structure", Amazon S3 User Guide: `detail-type` `Object Created` or
    /// `Object Deleted`, `detail.bucket.name`, `detail.object.key`), on a
    /// thread of its own, as Lambda's asynchronous invocation does. A
    /// function's error is printed; the event is not retried.
    pub fn storage_events(
        &self,
        subscriptions: BTreeMap<
            String,
            Vec<(String, crate::category::function::triggers::StorageTrigger)>,
        >,
        region: String,
    ) -> mpsc::Sender<crate::sandbox::s3::ObjectEvent> {
        let (tx, rx) = mpsc::channel::<crate::sandbox::s3::ObjectEvent>();
        let host = self.clone();
        let spawned = std::thread::Builder::new()
            .name("hoist-sandbox-storage-events".into())
            .spawn(move || {
                let mut sequence: u64 = 0;
                while let Ok(change) = rx.recv() {
                    let Some(triggers) = subscriptions.get(&change.bucket) else {
                        continue;
                    };
                    sequence += 1;
                    let event = storage_event(&change, &region, sequence);
                    for (function, trigger) in triggers {
                        if trigger.deleted != change.deleted || !trigger.matches(&change.key) {
                            continue;
                        }
                        if let Err(e) =
                            host.invoke_function(function, event.clone(), Duration::from_secs(900))
                        {
                            eprintln!(
                                "function {function} | failed on {} of {}: {}: {}",
                                event["detail-type"].as_str().unwrap_or_default(),
                                change.key,
                                e.error_type,
                                e.message
                            );
                        }
                    }
                }
            });
        if spawned.is_err() {
            eprintln!("warning: the sandbox could not start its storage events' thread");
        }
        tx
    }
}

/// An S3 object event as EventBridge delivers it: the envelope (`version`
/// 0, an id, `source` `aws.s3`, the sandbox's account 000000000000, the
/// bucket's ARN in `resources`) and `detail` (the key as stored, not
/// URL-encoded; size and ETag of created objects; `deletion-type` of
/// deleted ones; the operation as `reason`).
pub fn storage_event(
    change: &crate::sandbox::s3::ObjectEvent,
    region: &str,
    sequence: u64,
) -> Value {
    let mut object = serde_json::json!({
        "key": change.key,
        "sequencer": format!("{sequence:016X}"),
    });
    if let Some(size) = change.size {
        object["size"] = serde_json::json!(size);
    }
    if let Some(etag) = &change.etag {
        object["etag"] = serde_json::json!(etag);
    }
    let mut detail = serde_json::json!({
        "version": "0",
        "bucket": { "name": change.bucket },
        "object": object,
        "request-id": uuid::Uuid::new_v4().simple().to_string()[..16].to_uppercase(),
        "requester": "000000000000",
        "source-ip-address": "127.0.0.1",
        "reason": change.reason,
    });
    if change.deleted {
        detail["deletion-type"] = serde_json::json!("Permanently Deleted");
    }
    serde_json::json!({
        "version": "0",
        "id": uuid::Uuid::new_v4().to_string(),
        "detail-type": if change.deleted { "Object Deleted" } else { "Object Created" },
        "source": "aws.s3",
        "account": "000000000000",
        "time": utc_now(),
        "region": region,
        "resources": [format!("arn:aws:s3:::{}", change.bucket)],
        "detail": detail,
    })
}

/// Now as EventBridge writes an event's `time`: `2026-12-01T10:00:00Z`.
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// The host's loop: one invocation at a time, each function's process kept
/// between them.
async fn serve(
    root: PathBuf,
    functions: BTreeMap<String, FunctionConfig>,
    env: String,
    region: String,
    extra_env: ExtraEnv,
    requests: mpsc::Receiver<Request>,
) {
    let mut running: BTreeMap<String, LocalFunction> = BTreeMap::new();
    // std's receiver blocks: wait for it off the runtime's thread
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        while let Ok(request) = requests.recv() {
            if tx.send(request).is_err() {
                break;
            }
        }
    });
    while let Some(Request {
        function,
        event,
        reply,
        deadline,
    }) = rx.recv().await
    {
        // its caller stopped waiting while it was queued: not run late
        if std::time::Instant::now() >= deadline {
            continue;
        }
        let Some(cfg) = functions.get(&function) else {
            continue;
        };
        if !running.contains_key(&function) {
            let prefix = format!("function {function} |");
            let log: Arc<dyn Fn(&str) + Send + Sync> =
                Arc::new(move |line: &str| eprintln!("{prefix} {line}"));
            match LocalFunction::new(
                &root,
                &function,
                cfg,
                &env,
                &region,
                extra_env(&function),
                log,
            )
            .await
            {
                Ok(local) => {
                    running.insert(function.clone(), local);
                }
                Err(err) => {
                    let _ = reply.send(Err(InvokeError {
                        error_type: "ServiceException".into(),
                        message: err.to_string(),
                    }));
                    continue;
                }
            }
        }
        let Some(local) = running.get_mut(&function) else {
            continue;
        };
        let answer = match local.invoke(&event).await {
            Ok(invocation) => invocation.outcome.map_err(|error| InvokeError {
                error_type: error["errorType"].as_str().unwrap_or("Error").to_string(),
                message: error["errorMessage"].as_str().unwrap_or("").to_string(),
            }),
            Err(err) => Err(InvokeError {
                error_type: "ServiceException".into(),
                message: err.to_string(),
            }),
        };
        let _ = reply.send(answer);
    }
    for local in running.values_mut() {
        local.stop().await;
    }
}
