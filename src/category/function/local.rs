//! Running a function locally, the way Lambda runs it: hoist serves Lambda's
//! Runtime API ("Using the Lambda runtime API for custom runtimes", AWS Lambda
//! Developer Guide) on 127.0.0.1, and the function's process polls it for
//! events, as in Lambda. Node.js and Python functions run under small
//! runtime loops of hoist's (`runtime/node.cjs`, `runtime/python.py`) with
//! the locally installed `node` and `python3`; a Rust function is its own
//! `bootstrap`, built for this machine. Node runs the very bundle that
//! deploys.
//!
//! The process gets Lambda's environment (`_HANDLER`, `LAMBDA_TASK_ROOT`,
//! `AWS_LAMBDA_FUNCTION_NAME`, `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`,
//! `AWS_REGION`, ...), the function's own variables, hoist's `ENV` and
//! `REGION`, what the sandbox adds (its endpoints, the grants' values and
//! the role's credentials: `crate::sandbox::function_env`), and nothing
//! else of hoist's environment. An invocation that
//! outlives the function's timeout is ended as Lambda ends it ("Task timed
//! out after N.00 seconds") and the process is started again on the next.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use miette::Diagnostic;
use serde_json::Value;
use thiserror::Error;
use tokio::sync::{Mutex, mpsc, oneshot};

use super::build::{self, BuildError};
use super::{FunctionConfig, Language, function_name};

/// The largest event or result of a synchronous invocation, in bytes
/// (Lambda quotas: 6 MB for a request and for a response).
pub const MAX_PAYLOAD: usize = 6 * 1024 * 1024;

const NODE_RUNTIME: &str = include_str!("runtime/node.cjs");
const PYTHON_RUNTIME: &str = include_str!("runtime/python.py");

#[derive(Debug, Error, Diagnostic)]
pub enum LocalError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Build(#[from] BuildError),

    #[error("the function `{name}` could not start: {message}")]
    #[diagnostic(code(hoist::function::start), help("{help}"))]
    Start {
        name: String,
        message: String,
        help: String,
    },

    #[error("the event is {size} bytes, more than Lambda's 6 MB for an invocation")]
    #[diagnostic(
        code(hoist::function::payload),
        help("send a smaller event, or pass a reference to the data (an S3 key) instead")
    )]
    TooLarge { size: usize },
}

/// What an invocation gave: the function's result (JSON), or its error as
/// Lambda reports it (`errorType`, `errorMessage`, `stackTrace`), and the
/// lines the function printed meanwhile.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub request_id: String,
    pub outcome: Result<Value, Value>,
    pub duration: Duration,
}

/// One pending event: its body and where its answer goes.
struct Pending {
    request_id: String,
    event: Bytes,
    deadline_ms: u64,
    answer: oneshot::Sender<Result<Value, Value>>,
}

/// The Runtime API's state: events waiting for the function, and answers
/// awaited by request id.
struct Api {
    arn: String,
    events: Mutex<mpsc::Receiver<Pending>>,
    waiting: std::sync::Mutex<HashMap<String, oneshot::Sender<Result<Value, Value>>>>,
    /// An error the function reported before taking an event (`/init/error`).
    init_error: std::sync::Mutex<Option<Value>>,
}

async fn next(State(api): State<Arc<Api>>) -> Response {
    // an event whose caller stopped waiting (it timed out before a process
    // polled) is dropped, not run late
    let pending = {
        let mut events = api.events.lock().await;
        loop {
            match events.recv().await {
                Some(p) if p.answer.is_closed() => continue,
                other => break other,
            }
        }
    };
    let Some(p) = pending else {
        return StatusCode::GONE.into_response();
    };
    if let Ok(mut waiting) = api.waiting.lock() {
        waiting.insert(p.request_id.clone(), p.answer);
    }
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    set("lambda-runtime-aws-request-id", &p.request_id);
    set("lambda-runtime-deadline-ms", &p.deadline_ms.to_string());
    set("lambda-runtime-invoked-function-arn", &api.arn);
    set(
        "lambda-runtime-trace-id",
        &format!(
            "Root=1-{:08x}-{}",
            p.deadline_ms / 1000,
            &p.request_id.replace('-', "")[..24]
        ),
    );
    set("content-type", "application/json");
    (StatusCode::OK, headers, p.event).into_response()
}

fn answer(api: &Api, id: &str, outcome: Result<Value, Value>) -> StatusCode {
    let sender = api.waiting.lock().ok().and_then(|mut w| w.remove(id));
    match sender {
        Some(sender) => {
            let _ = sender.send(outcome);
            StatusCode::ACCEPTED
        }
        None => StatusCode::BAD_REQUEST,
    }
}

fn parse(body: &Bytes) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

async fn response(
    State(api): State<Arc<Api>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    if body.len() > MAX_PAYLOAD {
        return answer(
            &api,
            &id,
            Err(serde_json::json!({
                "errorType": "Function.ResponseSizeTooLarge",
                "errorMessage": format!("Response payload size exceeded maximum allowed payload size ({MAX_PAYLOAD} bytes)."),
            })),
        );
    }
    answer(&api, &id, Ok(parse(&body)))
}

async fn error(
    State(api): State<Arc<Api>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    answer(&api, &id, Err(parse(&body)))
}

async fn init_error(State(api): State<Arc<Api>>, body: Bytes) -> StatusCode {
    if let Ok(mut slot) = api.init_error.lock() {
        *slot = Some(parse(&body));
    }
    StatusCode::ACCEPTED
}

/// A function running locally: the Runtime API it polls and its process,
/// started on the first invocation and again after a timeout or a crash,
/// rebuilt when its source changed.
pub struct LocalFunction {
    root: PathBuf,
    name: String,
    cfg: FunctionConfig,
    env: String,
    region: String,
    extra_env: Vec<(String, String)>,
    api: Arc<Api>,
    address: std::net::SocketAddr,
    events: mpsc::Sender<Pending>,
    process: Option<(tokio::process::Child, String)>,
    server: tokio::task::JoinHandle<()>,
    /// Where the function's printed lines go.
    log: Arc<dyn Fn(&str) + Send + Sync>,
}

impl Drop for LocalFunction {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl LocalFunction {
    /// Serve the Runtime API for the function `name` of the environment
    /// `env`; `extra_env` is added to its environment (the sandbox's
    /// endpoints); `log` receives each line the function prints.
    pub async fn new(
        root: &Path,
        name: &str,
        cfg: &FunctionConfig,
        env: &str,
        region: &str,
        extra_env: Vec<(String, String)>,
        log: Arc<dyn Fn(&str) + Send + Sync>,
    ) -> Result<LocalFunction, LocalError> {
        let (sender, receiver) = mpsc::channel(16);
        let api = Arc::new(Api {
            arn: format!(
                "arn:aws:lambda:{region}:000000000000:function:{}",
                function_name(name, env)
            ),
            events: Mutex::new(receiver),
            waiting: std::sync::Mutex::new(HashMap::new()),
            init_error: std::sync::Mutex::new(None),
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            // larger than Lambda's limit, so that an answer over it is
            // refused by `response` as Lambda refuses it, not cut off here
            .layer(axum::extract::DefaultBodyLimit::max(64 * 1024 * 1024))
            .with_state(api.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| LocalError::Start {
                name: name.to_string(),
                message: format!("no local port for its Runtime API: {e}"),
                help: "check that this machine allows listening on 127.0.0.1".into(),
            })?;
        let address = listener.local_addr().map_err(|e| LocalError::Start {
            name: name.to_string(),
            message: e.to_string(),
            help: String::new(),
        })?;
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(LocalFunction {
            root: root.to_path_buf(),
            name: name.to_string(),
            cfg: cfg.clone(),
            env: env.to_string(),
            region: region.to_string(),
            extra_env,
            api,
            address,
            events: sender,
            process: None,
            server,
            log,
        })
    }

    /// Invoke the function with `event` (JSON), as a synchronous
    /// (`RequestResponse`) invocation: its result or error, within its
    /// timeout.
    ///
    /// Errors: the function cannot be built or started; an event over 6 MB.
    pub async fn invoke(&mut self, event: &Value) -> Result<Invocation, LocalError> {
        let body = serde_json::to_vec(event).unwrap_or_default();
        if body.len() > MAX_PAYLOAD {
            return Err(LocalError::TooLarge { size: body.len() });
        }
        self.ensure_started().await?;
        let request_id = uuid::Uuid::new_v4().to_string();
        let timeout = Duration::from_secs(u64::from(self.cfg.timeout_seconds));
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let (sender, receiver) = oneshot::channel();
        let started = Instant::now();
        let _ = self
            .events
            .send(Pending {
                request_id: request_id.clone(),
                event: Bytes::from(body),
                deadline_ms: now_ms + timeout.as_millis() as u64,
                answer: sender,
            })
            .await;
        enum Ended {
            Answered(Result<Value, Value>),
            TimedOut,
            Exited(String),
        }
        let ended = tokio::select! {
            answered = receiver => Ended::Answered(
                answered.unwrap_or_else(|_| Err(crashed("the runtime dropped the invocation"))),
            ),
            _ = tokio::time::sleep(timeout) => Ended::TimedOut,
            status = wait_exit(&mut self.process) => Ended::Exited(status),
        };
        let outcome = match ended {
            Ended::Answered(outcome) => outcome,
            Ended::TimedOut => {
                self.stop().await;
                Err(serde_json::json!({
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": format!("Task timed out after {}.00 seconds", self.cfg.timeout_seconds),
                }))
            }
            Ended::Exited(status) => {
                self.process = None;
                let init = self.api.init_error.lock().ok().and_then(|mut s| s.take());
                Err(init.unwrap_or_else(|| {
                    crashed(&format!(
                        "the function's process exited ({status}) before answering"
                    ))
                }))
            }
        };
        Ok(Invocation {
            request_id,
            outcome,
            duration: started.elapsed(),
        })
    }

    /// Stop the function's process.
    pub async fn stop(&mut self) {
        if let Some((mut child, _)) = self.process.take() {
            let _ = child.kill().await;
        }
    }

    /// Start the process if it is not running, or if the source changed
    /// since it started (edits take effect on the next invocation).
    async fn ensure_started(&mut self) -> Result<(), LocalError> {
        let hash = build::source_hash(&self.root, &self.name, &self.cfg)?;
        if let Some((child, started_hash)) = &mut self.process {
            if *started_hash == hash && matches!(child.try_wait(), Ok(None)) {
                return Ok(());
            }
            self.stop().await;
        }
        let mut command = self.command()?;
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::process::CommandExt;
            // Ended with hoist, however hoist ends (a kill, a crash): the
            // kernel signals it when its parent goes.
            // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
            unsafe {
                command.pre_exec(|| {
                    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let mut command = tokio::process::Command::from(command);
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().map_err(|e| LocalError::Start {
            name: self.name.clone(),
            message: e.to_string(),
            help: format!(
                "a {} function runs locally with {}; install it and make sure it is on PATH",
                self.cfg.runtime.language().as_str(),
                match self.cfg.runtime.language() {
                    Language::Node => "`node`",
                    Language::Python => "`python3`",
                    Language::Rust => "cargo (it is built for this machine)",
                }
            ),
        })?;
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Send + Unpin>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Send + Unpin>),
        ]
        .into_iter()
        .flatten()
        {
            let log = self.log.clone();
            tokio::spawn(async move {
                use tokio::io::AsyncBufReadExt;
                let mut lines = tokio::io::BufReader::new(stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    log(&line);
                }
            });
        }
        self.process = Some((child, hash));
        Ok(())
    }

    /// The process that runs the function, with Lambda's environment.
    fn command(&self) -> Result<std::process::Command, LocalError> {
        let dir = self.root.join(build::source_dir(&self.name));
        let work = self.root.join(".hoist").join("functions").join(&self.name);
        std::fs::create_dir_all(&work)
            .map_err(|e| crate::error::FsError::new("create", &work, e))
            .map_err(BuildError::from)?;
        let (mut command, task_root) = match self.cfg.runtime.language() {
            Language::Node => {
                let bundle = work.join("bundle");
                let _ = std::fs::remove_dir_all(&bundle);
                build::esbuild(&self.root, &self.name, &self.cfg, &bundle)?;
                // Lambda's task root has no package.json: the bundle is
                // CommonJS, whatever the project's own package.json says
                write_runtime(&bundle, "package.json", "{ \"type\": \"commonjs\" }\n")?;
                let runtime = write_runtime(&work, "runtime.cjs", NODE_RUNTIME)?;
                let mut command = std::process::Command::new("node");
                command.arg(runtime);
                (command, bundle)
            }
            Language::Python => {
                let runtime = write_runtime(&work, "runtime.py", PYTHON_RUNTIME)?;
                let mut command = std::process::Command::new(build::python());
                command.arg("-u").arg(runtime);
                if let Some(deps) = python_deps(&dir, &work, &self.name)? {
                    command.env("HOIST_PYTHON_PATH", deps);
                }
                (command, dir.clone())
            }
            Language::Rust => {
                let binary = build_native(&self.root, &self.name)?;
                (std::process::Command::new(binary), dir.clone())
            }
        };
        let lambda_name = function_name(&self.name, &self.env);
        command.env_clear();
        for keep in ["PATH", "LANG", "SYSTEMROOT", "TMPDIR"] {
            if let Some(value) = std::env::var_os(keep) {
                command.env(keep, value);
            }
        }
        // A home of its own: not the caller's, whose AWS files would give the
        // function the caller's credentials (Lambda gives its role's).
        let home = work.join("home");
        std::fs::create_dir_all(&home)
            .map_err(|e| BuildError::from(crate::error::FsError::new("create", &home, e)))?;
        command.env("HOME", &home);
        if self.cfg.runtime.language() == Language::Node {
            // `@aws-sdk/*` is left out of the bundle (Lambda's runtime has it):
            // locally it comes from the function's own node_modules
            command.env("NODE_PATH", dir.join("node_modules"));
        }
        command
            .env("AWS_LAMBDA_RUNTIME_API", self.address.to_string())
            .env("_HANDLER", self.cfg.handler())
            .env("LAMBDA_TASK_ROOT", &task_root)
            .env("AWS_LAMBDA_FUNCTION_NAME", &lambda_name)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env(
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                self.cfg.memory_mb.to_string(),
            )
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{lambda_name}"),
            )
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
            .env(
                "AWS_EXECUTION_ENV",
                format!("AWS_Lambda_{}", self.cfg.runtime.id()),
            )
            .env("AWS_REGION", &self.region)
            .env("AWS_DEFAULT_REGION", &self.region)
            .env("ENV", &self.env)
            .env("REGION", &self.region)
            .env("TZ", ":UTC")
            .current_dir(&task_root);
        for (k, v) in &self.cfg.environment {
            command.env(k, v);
        }
        for (k, v) in self.cfg.secret_parameters(&self.env) {
            command.env(k, v);
        }
        for (k, v) in &self.extra_env {
            command.env(k, v);
        }
        Ok(command)
    }
}

/// The function's requirements installed for this machine (pip into
/// `.hoist/functions/<name>/deps`, again only when requirements.txt
/// changes), when it lists any.
fn python_deps(dir: &Path, work: &Path, name: &str) -> Result<Option<PathBuf>, LocalError> {
    if !build::lists_requirements(&dir.join("requirements.txt")) {
        return Ok(None);
    }
    let Ok(requirements) = std::fs::read_to_string(dir.join("requirements.txt")) else {
        return Ok(None);
    };
    let deps = work.join("deps");
    let stamp = deps.join(".hoist-requirements");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(requirements.as_str()) {
        return Ok(Some(deps));
    }
    let _ = std::fs::remove_dir_all(&deps);
    let output = build::pip_install(&deps)
        .current_dir(dir)
        .output()
        .map_err(|e| LocalError::Start {
            name: name.to_string(),
            message: format!("pip could not be started ({e})"),
            help: "install pip for the local python3".into(),
        })?;
    if !output.status.success() {
        return Err(BuildError::Failed {
            name: name.to_string(),
            tool: "pip (for this machine)".into(),
            output: String::from_utf8_lossy(&output.stderr)
                .trim_end()
                .to_string(),
        }
        .into());
    }
    std::fs::write(&stamp, &requirements)
        .map_err(|e| BuildError::from(crate::error::FsError::new("write", &stamp, e)))?;
    Ok(Some(deps))
}

fn crashed(message: &str) -> Value {
    serde_json::json!({ "errorType": "Runtime.ExitError", "errorMessage": message })
}

async fn wait_exit(process: &mut Option<(tokio::process::Child, String)>) -> String {
    match process {
        Some((child, _)) => match child.wait().await {
            Ok(status) => status.to_string(),
            Err(e) => e.to_string(),
        },
        None => std::future::pending().await,
    }
}

fn write_runtime(dir: &Path, file: &str, text: &str) -> Result<PathBuf, LocalError> {
    let path = dir.join(file);
    if std::fs::read_to_string(&path).ok().as_deref() != Some(text) {
        std::fs::write(&path, text)
            .map_err(|e| BuildError::from(crate::error::FsError::new("write", &path, e)))?;
    }
    Ok(path)
}

/// Build a Rust function for this machine (`cargo build --bin bootstrap`);
/// the binary's path.
fn build_native(root: &Path, name: &str) -> Result<PathBuf, LocalError> {
    let dir = root.join(build::source_dir(name));
    let output = std::process::Command::new("cargo")
        .args(["build", "--quiet", "--bin", "bootstrap", "--color", "never"])
        .current_dir(&dir)
        .output()
        .map_err(|e| LocalError::Start {
            name: name.to_string(),
            message: format!("cargo could not be started ({e})"),
            help: "install Rust (rustup) and make sure cargo is on PATH".into(),
        })?;
    if !output.status.success() {
        return Err(BuildError::Failed {
            name: name.to_string(),
            tool: "cargo".into(),
            output: String::from_utf8_lossy(&output.stderr)
                .trim_end()
                .to_string(),
        }
        .into());
    }
    Ok(build::cargo_target_dir(&dir).join("debug/bootstrap"))
}
