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
}

/// The handle the api and the triggers hold; cloning it is cheap.
#[derive(Clone)]
pub struct FunctionHost {
    requests: mpsc::Sender<Request>,
    names: Arc<BTreeMap<String, String>>,
}

impl FunctionHost {
    /// Start the host's thread for the project's functions (`[function.*]`)
    /// in environment `env`; `extra_env` is added to every function's
    /// environment (the sandbox's endpoints).
    pub fn start(
        root: PathBuf,
        functions: BTreeMap<String, FunctionConfig>,
        env: String,
        region: String,
        extra_env: Vec<(String, String)>,
    ) -> FunctionHost {
        let names: BTreeMap<String, String> = functions
            .keys()
            .flat_map(|name| {
                [
                    (function_name(name, &env), name.clone()),
                    (function_name(name, "${env}"), name.clone()),
                    // the api's template names it with the stack's parameter
                    (function_name(name, "${Env}"), name.clone()),
                    (name.clone(), name.clone()),
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
    /// `greet-${Env}`, `greet`) means, if any.
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
                    "the sandbox runs the project's functions, and `{lambda_name}` is not one of them (add it with `hoist add function`)"
                ),
            });
        };
        let (reply, answer) = mpsc::channel();
        let sent = self.requests.send(Request {
            function: function.to_string(),
            event,
            reply,
        });
        if sent.is_err() {
            return Err(InvokeError {
                error_type: "ServiceException".into(),
                message: "the sandbox's functions stopped".into(),
            });
        }
        answer.recv_timeout(wait).unwrap_or_else(|_| {
            Err(InvokeError {
                error_type: "ExecutionTimeout".into(),
                message: format!("`{lambda_name}` did not answer within {} s", wait.as_secs()),
            })
        })
    }
}

/// The host's loop: one invocation at a time, each function's process kept
/// between them.
async fn serve(
    root: PathBuf,
    functions: BTreeMap<String, FunctionConfig>,
    env: String,
    region: String,
    extra_env: Vec<(String, String)>,
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
    }) = rx.recv().await
    {
        let Some(cfg) = functions.get(&function) else {
            continue;
        };
        if !running.contains_key(&function) {
            let prefix = format!("function {function} |");
            let log: Arc<dyn Fn(&str) + Send + Sync> =
                Arc::new(move |line: &str| eprintln!("{prefix} {line}"));
            match LocalFunction::new(&root, &function, cfg, &env, &region, extra_env.clone(), log)
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
