//! The thread that runs resolvers. QuickJS runtimes are tied to the thread
//! that made them, and the store is written by one writer, so one thread owns
//! the JavaScript runtime, the sandbox's DynamoDB and the loaded api; the
//! endpoint's tasks send it fields to resolve and await the answers.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::oneshot;

use super::api::{Api, Caller, FieldCall, FieldError, LoadError, Resolved};
use super::dynamodb::Database;
use super::runtime::{CodeError, JsRuntime};

/// A field for the engine to resolve.
#[derive(Debug, Clone)]
pub struct Resolve {
    pub type_name: String,
    pub field: String,
    pub args: Value,
    pub source: Value,
    pub caller: Caller,
}

enum Job {
    Flush(oneshot::Sender<()>),
    Resolve(Box<Resolve>, oneshot::Sender<Resolved>),
    Load {
        build: PathBuf,
        api: String,
        reply: oneshot::Sender<Result<BTreeSet<(String, String)>, LoadError>>,
    },
}

/// The handle the endpoint holds; cloning it is cheap.
#[derive(Clone)]
pub struct Engine {
    jobs: mpsc::Sender<Job>,
}

impl Engine {
    /// Start the engine's thread with `db`; each handler call may run for
    /// `time_limit` (AppSync stops a resolver after its time limit).
    ///
    /// Errors: the JavaScript runtime could not be made.
    pub fn start(db: Database, time_limit: Duration) -> Result<Engine, CodeError> {
        let (jobs, rx) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("hoist-sandbox-engine".into())
            .spawn(move || {
                let js = match JsRuntime::new(time_limit) {
                    Ok(js) => {
                        let _ = ready_tx.send(Ok(()));
                        js
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                run(js, db, rx);
            })
            .map_err(|e| CodeError {
                file: "engine".into(),
                line: None,
                message: e.to_string(),
            })?;
        ready_rx.recv().unwrap_or_else(|_| {
            Err(CodeError {
                file: "engine".into(),
                line: None,
                message: "the engine thread ended".into(),
            })
        })?;
        Ok(Engine { jobs })
    }

    /// Resolve a field with the api loaded last.
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

    /// Load api `api` from the build folder `build` (creating its tables),
    /// replacing the api loaded before; the data is kept. Returns the fields
    /// that have resolvers.
    pub async fn load(
        &self,
        build: PathBuf,
        api: String,
    ) -> Result<BTreeSet<(String, String)>, LoadError> {
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

fn stopped() -> Resolved {
    Resolved {
        data: Value::Null,
        errors: vec![FieldError {
            message: "the sandbox's engine stopped".into(),
            error_type: Some("InternalFailure".into()),
            data: Value::Null,
            info: Value::Null,
        }],
        subscription_filter: None,
    }
}

fn run(js: JsRuntime, mut db: Database, rx: mpsc::Receiver<Job>) {
    let mut api: Option<Api> = None;
    loop {
        // group commit: one fsync once the queue is empty, whatever came before
        let job = match rx.try_recv() {
            Ok(job) => job,
            Err(mpsc::TryRecvError::Empty) => {
                if let Err(e) = db.flush() {
                    eprintln!("error: {e}");
                }
                match rx.recv() {
                    Ok(job) => job,
                    Err(_) => break,
                }
            }
            Err(mpsc::TryRecvError::Disconnected) => break,
        };
        match job {
            Job::Flush(reply) => {
                if let Err(e) = db.flush() {
                    eprintln!("error: {e}");
                }
                let _ = reply.send(());
            }
            Job::Resolve(call, reply) => {
                let resolved = match &api {
                    Some(api) => api.resolve(
                        &js,
                        &mut db,
                        &FieldCall {
                            type_name: &call.type_name,
                            field: &call.field,
                            args: &call.args,
                            source: &call.source,
                        },
                        &call.caller,
                    ),
                    None => stopped(),
                };
                let _ = reply.send(resolved);
            }
            Job::Load {
                build,
                api: name,
                reply,
            } => {
                let loaded = Api::load(&build, &name, &mut db).map(|a| {
                    let fields = a.resolver_fields();
                    api = Some(a);
                    fields
                });
                let _ = reply.send(loaded);
            }
        }
    }
    if let Err(e) = db.flush() {
        eprintln!("error: {e}");
    }
}
