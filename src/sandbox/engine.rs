//! The thread that runs resolvers. QuickJS runtimes are tied to the thread
//! that made them, and the store is written by one writer, so one thread owns
//! the JavaScript runtime and the sandbox's DynamoDB; the endpoint's tasks
//! send it fields to resolve, each with the api of the schema that asked (so
//! a reload never mixes one schema with another's resolvers), and await the
//! answers.

use std::path::PathBuf;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::oneshot;

use super::api::{Api, Caller, FieldCall, FieldError, LoadError, Resolved};
use super::dynamodb::Database;
use super::runtime::{CodeError, JsRuntime};

/// A field for the engine to resolve.
#[derive(Clone)]
pub struct Resolve {
    pub api: Arc<Api>,
    pub type_name: String,
    pub field: String,
    pub args: Value,
    pub source: Value,
    pub caller: Caller,
    /// When the request's time is up (AppSync: 30 s per request, whatever
    /// its resolvers do).
    pub deadline: Instant,
}

enum Job {
    Flush(oneshot::Sender<()>),
    Resolve(Box<Resolve>, oneshot::Sender<Resolved>),
    Load {
        build: PathBuf,
        api: String,
        reply: oneshot::Sender<Result<Api, LoadError>>,
    },
    /// One DynamoDB operation on the sandbox's tables (a workflow's Task).
    Dynamo {
        operation: String,
        request: Value,
        reply: oneshot::Sender<Result<Value, super::dynamodb::DynamoError>>,
    },
}

/// The handle the endpoint holds; cloning it is cheap.
#[derive(Clone)]
pub struct Engine {
    jobs: mpsc::Sender<Job>,
}

/// The longest writes wait for their fsync under a load that never lets the
/// queue empty.
const FLUSH_EVERY: Duration = Duration::from_millis(50);

fn failure(message: &str, error_type: &str) -> Resolved {
    Resolved {
        data: Value::Null,
        errors: vec![FieldError {
            message: message.into(),
            error_type: Some(error_type.into()),
            data: Value::Null,
            info: Value::Null,
        }],
        subscription_filter: None,
    }
}

fn stopped() -> Resolved {
    failure("the sandbox's engine stopped", "InternalFailure")
}

impl Engine {
    /// Start the engine's thread with `db`.
    ///
    /// Errors: the JavaScript runtime could not be made.
    pub fn start(db: Database) -> Result<Engine, CodeError> {
        Engine::start_with(db, None)
    }

    /// [`Engine::start`], with the project's functions for the api's
    /// `@function` data sources.
    pub fn start_with(
        db: Database,
        functions: Option<super::functions::FunctionHost>,
    ) -> Result<Engine, CodeError> {
        let (jobs, rx) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("hoist-sandbox-engine".into())
            .spawn(move || {
                let js = match JsRuntime::new(Duration::from_secs(30)) {
                    Ok(js) => {
                        let _ = ready_tx.send(Ok(()));
                        js
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                run(js, db, rx, functions);
            });
        let engine_error = |message: String| CodeError {
            file: "engine".into(),
            line: None,
            message,
            timed_out: false,
        };
        spawned.map_err(|e| engine_error(e.to_string()))?;
        ready_rx
            .recv()
            .unwrap_or_else(|_| Err(engine_error("the engine thread ended".into())))?;
        Ok(Engine { jobs })
    }

    /// Resolve a field.
    pub async fn resolve(&self, call: Resolve) -> Resolved {
        let (tx, rx) = oneshot::channel();
        if self.jobs.send(Job::Resolve(Box::new(call), tx)).is_err() {
            return stopped();
        }
        rx.await.unwrap_or_else(|_| stopped())
    }

    /// Wait until every write so far is on disk (before the process exits).
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.jobs.send(Job::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
    }

    /// Run one DynamoDB operation (`PutItem`, with DynamoDB's request) on
    /// the sandbox's tables, from a thread that is not the runtime's (it
    /// blocks until the engine answers).
    ///
    /// Errors: DynamoDB's, as [`Database::call`] gives them.
    pub fn dynamodb(
        &self,
        operation: &str,
        request: Value,
    ) -> Result<Value, super::dynamodb::DynamoError> {
        let (reply, rx) = oneshot::channel();
        let gone = || super::dynamodb::DynamoError {
            kind: "InternalServerError",
            message: "the sandbox's engine stopped".into(),
            item: None,
            reasons: None,
        };
        self.jobs
            .send(Job::Dynamo {
                operation: operation.to_string(),
                request,
                reply,
            })
            .map_err(|_| gone())?;
        rx.blocking_recv().map_err(|_| gone())?
    }

    /// Load api `api` from the build folder `build`, creating its tables
    /// (the data of tables it had before is kept).
    pub async fn load(&self, build: PathBuf, api: String) -> Result<Api, LoadError> {
        let (reply, rx) = oneshot::channel();
        let gone = || LoadError {
            path: String::new(),
            message: "the sandbox's engine stopped".into(),
        };
        self.jobs
            .send(Job::Load { build, api, reply })
            .map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }
}

fn flush(db: &Database) {
    if let Err(e) = db.flush() {
        eprintln!("error: {e}");
    }
}

fn run(
    js: JsRuntime,
    mut db: Database,
    rx: mpsc::Receiver<Job>,
    functions: Option<super::functions::FunctionHost>,
) {
    let mut flushed = Instant::now();
    loop {
        // group commit: one fsync once the queue is empty, and at least every
        // FLUSH_EVERY under a load that keeps it full
        let job = match rx.try_recv() {
            Ok(job) => {
                if flushed.elapsed() >= FLUSH_EVERY {
                    flush(&db);
                    flushed = Instant::now();
                }
                job
            }
            Err(mpsc::TryRecvError::Empty) => {
                flush(&db);
                match rx.recv() {
                    Ok(job) => {
                        flushed = Instant::now();
                        job
                    }
                    Err(_) => break,
                }
            }
            Err(mpsc::TryRecvError::Disconnected) => break,
        };
        match job {
            Job::Flush(reply) => {
                flush(&db);
                let _ = reply.send(());
            }
            Job::Resolve(call, reply) => {
                // the client is gone: nothing to answer
                if reply.is_closed() {
                    continue;
                }
                let left = call.deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    let _ = reply.send(failure("Execution timed out.", "ExecutionTimeout"));
                    continue;
                }
                js.set_time_limit(left);
                let resolved = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    call.api.resolve(
                        &js,
                        &mut db,
                        &FieldCall {
                            type_name: &call.type_name,
                            field: &call.field,
                            args: &call.args,
                            source: &call.source,
                        },
                        &call.caller,
                        functions.as_ref(),
                    )
                }))
                .unwrap_or_else(|_| {
                    failure(
                        "the sandbox failed on this field (a bug in hoist; please report it)",
                        "InternalFailure",
                    )
                });
                let _ = reply.send(resolved);
            }
            Job::Load {
                build,
                api: name,
                reply,
            } => {
                let _ = reply.send(Api::load(&build, &name, &mut db));
            }
            Job::Dynamo {
                operation,
                request,
                reply,
            } => {
                let _ = reply.send(db.call(&operation, &request));
            }
        }
    }
    flush(&db);
}
