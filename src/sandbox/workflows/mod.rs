//! The project's workflows in the sandbox: each `[workflow.<name>]` runs on
//! the local engine ([`crate::workflow::run`]) with its Task states calling
//! the sandbox's own resources: the project's functions
//! (`arn:aws:states:::lambda:invoke`, or a function's ARN), the api's tables
//! (`dynamodb:putItem|getItem|updateItem|deleteItem`), other workflows
//! (`states:startExecution`, `.sync` and `.sync:2`), and the workflow's
//! topics and queues (`sns:publish`, `sqs:sendMessage`: printed in the
//! sandbox's output, with the task token to answer). `.waitForTaskToken`
//! waits, in real time, for `SendTaskSuccess`, `SendTaskFailure` or
//! `SendTaskHeartbeat` ([`WorkflowHost::answer`]), within the Task's
//! `TimeoutSeconds` and `HeartbeatSeconds`. Waits and retries' delays are
//! real time too.
//!
//! [`WorkflowHost::call`] answers Step Functions' JSON API (AWS JSON 1.0,
//! "AWS Step Functions API Reference": `ListStateMachines`,
//! `DescribeStateMachine`, `StartExecution`, `StartSyncExecution`,
//! `DescribeExecution`, `ListExecutions`, `GetExecutionHistory`,
//! `StopExecution`, `SendTaskSuccess`, `SendTaskFailure`,
//! `SendTaskHeartbeat`), so that the AWS SDKs and `hoist workflow ...
//! --sandbox` drive the sandbox's workflows as they drive deployed ones. The
//! sandbox's account is 000000000000.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::time::Duration;

use serde_json::{Value, json};

use super::functions::FunctionHost;
use crate::category::function::access;
use crate::category::workflow::refs::{Kind, Scope};
use crate::category::workflow::{MachineType, Starter, machine_name};
use crate::category::{Category, logical_id};
use crate::workflow::run;

pub mod s3;
mod tasks;
#[cfg(test)]
mod tests;

use tasks::Runner;

/// The sandbox's account, in every ARN it makes.
pub use super::auth::ACCOUNT_ID as ACCOUNT;
/// Executions kept (finished ones beyond this are forgotten, oldest first).
const MAX_EXECUTIONS: usize = 1000;
/// How long GetActivityTask waits for a task (Step Functions: 60 s).
const ACTIVITY_POLL: Duration = Duration::from_secs(60);
/// Executions running at once (each has a thread).
const MAX_RUNNING: usize = 100;
/// The longest a synchronous start waits (Express: five minutes).
const SYNC_WAIT: Duration = Duration::from_secs(300);
/// The longest a Task waits for its token without `TimeoutSeconds`: Step
/// Functions' own limit is a year; the sandbox's is a day.
const LONGEST_CALLBACK: f64 = 86_400.0;

/// A Step Functions API error: its `__type` and message.
#[derive(Debug, Clone, PartialEq)]
pub struct SfnError {
    pub kind: &'static str,
    pub message: String,
}

fn error(kind: &'static str, message: impl Into<String>) -> SfnError {
    SfnError {
        kind,
        message: message.into(),
    }
}

/// A workflow of the project, ready to run.
#[derive(Debug, Clone)]
pub struct LocalMachine {
    pub workflow: String,
    pub name: String,
    pub arn: String,
    pub kind: MachineType,
    /// The definition with the sandbox's resources filled in.
    pub definition: String,
    /// The roles (logical ids) whose policies let them start it: the
    /// identity pool's and groups' (`start_by`), and the functions' whose
    /// access names it.
    pub starters: Vec<String>,
    /// Its activities: name and ARN.
    pub activities: Vec<(String, String)>,
    /// Its REST endpoint's authorization (`api` in hoist.toml), if it has one.
    pub api: Option<crate::category::workflow::triggers::ApiAuth>,
    /// The roles that may call that endpoint when it takes `iam`: those
    /// `start_by` names (deployed, their `StartPolicy` has `execute-api:Invoke`).
    pub api_callers: Vec<String>,
    /// It waits for task tokens: its endpoint answers them too.
    pub answers: bool,
}

/// One execution, running or ended.
#[derive(Debug, Clone)]
struct Execution {
    arn: String,
    name: String,
    machine_arn: String,
    status: &'static str,
    input: String,
    output: Option<String>,
    error: Option<String>,
    cause: Option<String>,
    start: f64,
    stop: Option<f64>,
    history: Vec<Value>,
}

impl Execution {
    fn describe(&self) -> Value {
        let mut out = json!({
            "executionArn": self.arn,
            "stateMachineArn": self.machine_arn,
            "name": self.name,
            "status": self.status,
            "startDate": self.start,
            "input": self.input,
        });
        for (key, value) in [
            ("output", &self.output),
            ("error", &self.error),
            ("cause", &self.cause),
        ] {
            if let Some(v) = value {
                out[key] = json!(v);
            }
        }
        if let Some(stop) = self.stop {
            out["stopDate"] = json!(stop);
        }
        out
    }
}

/// What answers a task waiting for its token.
#[derive(Debug, Clone)]
pub enum Callback {
    Success(Value),
    Failure {
        error: String,
        cause: String,
    },
    Heartbeat,
    /// A worker took the activity's task.
    Started,
}

/// The api's tables, for the Tasks that write and read them: DynamoDB's
/// operation and request to its answer.
pub type Tables = Arc<dyn Fn(&str, &Value) -> Result<Value, SfnError> + Send + Sync>;

/// Where a line of the sandbox's output goes (a message a Task sent).
pub type Notify = Arc<dyn Fn(&str) + Send + Sync>;

struct Inner {
    machines: BTreeMap<String, LocalMachine>,
    executions: Mutex<Vec<Execution>>,
    /// Task token to the execution that waits for it and its channel.
    tokens: Mutex<HashMap<String, (String, mpsc::Sender<Callback>)>>,
    /// Activity ARN to the tasks waiting for a worker: token and input.
    activities: Mutex<HashMap<String, VecDeque<(String, String)>>>,
    /// Signalled when an activity task is queued.
    queued: Condvar,
    functions: Option<FunctionHost>,
    tables: Option<Tables>,
    /// The storage buckets a distributed Map reads and writes.
    buckets: s3::Buckets,
    region: String,
    notify: Notify,
}

/// The handle the endpoint holds; cloning it is cheap.
#[derive(Clone)]
pub struct WorkflowHost {
    inner: Arc<Inner>,
}

/// What the sandbox gives a definition's `${kind:name}` names.
pub struct Names<'a> {
    pub env: &'a str,
    pub region: &'a str,
    /// The api whose models' tables `${table:Model}` names.
    pub api: Option<&'a str>,
    /// Storage resource to the sandbox's bucket name.
    pub buckets: &'a BTreeMap<String, String>,
}

impl Names<'_> {
    fn machine_arn(&self, workflow: &str) -> String {
        format!(
            "arn:aws:states:{}:{ACCOUNT}:stateMachine:{}",
            self.region,
            machine_name(workflow, self.env)
        )
    }

    /// The sandbox's value of a resource the definition `workflow` names.
    fn value(&self, workflow: &str, kind: Kind, name: &str) -> String {
        let region = self.region;
        let env = self.env;
        match kind {
            Kind::Function => format!(
                "arn:aws:lambda:{region}:{ACCOUNT}:function:{}",
                crate::category::function::function_name(name, env)
            ),
            Kind::Table => format!("{}.{}Table", self.api.unwrap_or_default(), name),
            Kind::Bucket => self.buckets.get(name).cloned().unwrap_or_default(),
            Kind::Workflow => self.machine_arn(name),
            Kind::Topic => format!("arn:aws:sns:{region}:{ACCOUNT}:{workflow}-{name}-{env}"),
            Kind::Queue => format!("http://sqs.sandbox/{ACCOUNT}/{workflow}-{name}-{env}"),
            Kind::Activity => format!(
                "arn:aws:states:{region}:{ACCOUNT}:activity:{}",
                crate::category::workflow::activity_name(workflow, name, env)
            ),
        }
    }
}

/// The project's workflows with the sandbox's values in their definitions.
///
/// Errors: the workflow's name and why (its definition missing, or refused
/// as synthesis refuses it).
pub fn machines(
    root: &std::path::Path,
    manifest: &crate::project::Manifest,
    names: &Names<'_>,
) -> Result<Vec<LocalMachine>, (String, String)> {
    let mut out = Vec::new();
    for (workflow, cfg) in &manifest.workflow {
        let path = crate::category::workflow::definition_path(workflow);
        let text = std::fs::read_to_string(root.join(&path))
            .map_err(|e| (workflow.clone(), format!("{}: {e}", path.display())))?;
        let scope = Scope::of(manifest, workflow, cfg);
        let analysis =
            crate::category::workflow::stack::checked(&text, &path.display().to_string(), &scope)
                .map_err(|e| (workflow.clone(), e.to_string()))?;
        let mut definition = serde_json::to_string(&analysis.definition).unwrap_or_default();
        for (key, target) in &analysis.targets {
            let value = names.value(workflow, target.kind, &target.name);
            definition = definition.replace(&format!("${{{key}}}"), &value);
        }
        let mut starters: Vec<String> = cfg
            .start_by
            .iter()
            .filter_map(|text| match Starter::parse(text) {
                Ok(Starter::SignedIn) => Some(super::auth::AUTH_ROLE.to_string()),
                Ok(Starter::Guests) => Some(super::auth::UNAUTH_ROLE.to_string()),
                Ok(Starter::Group(g)) => Some(format!("{}GroupRole", crate::naming::pascal(&g))),
                Err(_) => None,
            })
            .collect();
        let api_callers = starters.clone();
        for (function, f) in &manifest.function {
            let grants = f
                .access
                .iter()
                .filter_map(|a| access::parse(a, manifest).ok());
            if grants
                .into_iter()
                .any(|g| matches!(&g, access::Grant::Workflow { name, .. } if name == workflow))
            {
                starters.push(logical_id(Category::Function, function));
            }
        }
        out.push(LocalMachine {
            starters,
            activities: cfg
                .activities
                .iter()
                .map(|a| (a.clone(), names.value(workflow, Kind::Activity, a)))
                .collect(),
            workflow: workflow.clone(),
            name: machine_name(workflow, names.env),
            arn: names.machine_arn(workflow),
            kind: cfg.machine_type,
            api: cfg.api,
            api_callers,
            answers: crate::category::workflow::triggers::waits_for_a_token(&analysis.definition),
            definition,
        });
    }
    Ok(out)
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| (d.as_millis() as f64) / 1000.0)
        .unwrap_or(0.0)
}

/// Seconds since the epoch of the engine's RFC 3339 timestamps.
fn epoch(text: &str) -> Value {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| json!((t.timestamp_millis() as f64) / 1000.0))
        .unwrap_or(Value::Null)
}

fn string<'a>(request: &'a Value, key: &str) -> Result<&'a str, SfnError> {
    request[key].as_str().ok_or_else(|| {
        error(
            "ValidationException",
            format!("1 validation error detected: Value null at '{key}' failed to satisfy constraint: Member must not be null"),
        )
    })
}

impl WorkflowHost {
    pub fn new(
        machines: Vec<LocalMachine>,
        functions: Option<FunctionHost>,
        tables: Option<Tables>,
        buckets: s3::Buckets,
        region: &str,
        notify: Notify,
    ) -> WorkflowHost {
        WorkflowHost {
            inner: Arc::new(Inner {
                machines: machines.into_iter().map(|m| (m.arn.clone(), m)).collect(),
                executions: Mutex::new(Vec::new()),
                tokens: Mutex::new(HashMap::new()),
                activities: Mutex::new(HashMap::new()),
                queued: Condvar::new(),
                functions,
                tables,
                buckets,
                region: region.to_string(),
                notify,
            }),
        }
    }

    /// Whether the role `role` (a logical id) may start `machine_arn`.
    pub fn may_start(&self, role: &str, machine_arn: &str) -> bool {
        self.inner
            .machines
            .get(machine_arn)
            .is_some_and(|m| m.starters.iter().any(|r| r == role))
    }

    /// The workflows it runs.
    pub fn machines(&self) -> impl Iterator<Item = &LocalMachine> {
        self.inner.machines.values()
    }

    fn machine(&self, arn: &str) -> Result<&LocalMachine, SfnError> {
        self.inner.machines.get(arn).ok_or_else(|| {
            error(
                "StateMachineDoesNotExist",
                format!("State Machine Does Not Exist: '{arn}' (the sandbox runs the project's workflows, as `<name>-<env>`; one added while it runs needs a restart)"),
            )
        })
    }

    fn executions(&self) -> std::sync::MutexGuard<'_, Vec<Execution>> {
        self.inner
            .executions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    fn tokens(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, (String, mpsc::Sender<Callback>)>> {
        self.inner.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Start an execution of `machine_arn`; with `wait`, wait for its end
    /// (StartSyncExecution: five minutes; a `.sync` Task: as long as it
    /// runs). The execution's description then, else its ARN and start.
    ///
    /// Errors: an unknown machine, a name taken or not valid, an input that
    /// is not JSON, no end within the wait.
    pub fn start(
        &self,
        machine_arn: &str,
        name: Option<&str>,
        input: &str,
        wait: Option<Duration>,
    ) -> Result<Value, SfnError> {
        let machine = self.machine(machine_arn)?.clone();
        let parsed: Value = serde_json::from_str(input).map_err(|e| {
            error(
                "InvalidExecutionInput",
                format!("Invalid State Machine Execution Input: '{e}'"),
            )
        })?;
        let name = match name {
            Some(n) => {
                // "StartExecution": 1 to 80 characters, none of whitespace,
                // brackets, wildcards, special characters or control characters
                let refused = |c: char| {
                    c.is_whitespace() || c.is_control() || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(c)
                };
                if n.is_empty() || n.chars().count() > 80 || n.chars().any(refused) {
                    return Err(error("InvalidName", format!("Invalid Name: '{n}'")));
                }
                n.to_string()
            }
            None => uuid::Uuid::new_v4().to_string(),
        };
        let prefix = format!("arn:aws:states:{}:{ACCOUNT}", self.inner.region);
        let arn = match machine.kind {
            MachineType::Standard => format!("{prefix}:execution:{}:{name}", machine.name),
            MachineType::Express => format!(
                "{prefix}:express:{}:{name}:{}",
                machine.name,
                uuid::Uuid::new_v4()
            ),
        };
        let execution = Execution {
            arn: arn.clone(),
            name: name.clone(),
            machine_arn: machine.arn.clone(),
            status: "RUNNING",
            input: input.to_string(),
            output: None,
            error: None,
            cause: None,
            start: now(),
            stop: None,
            history: Vec::new(),
        };
        {
            let mut all = self.executions();
            if all.iter().filter(|e| e.status == "RUNNING").count() >= MAX_RUNNING {
                return Err(error(
                    "ExecutionLimitExceeded",
                    format!(
                        "the sandbox runs at most {MAX_RUNNING} executions at once (a workflow that starts itself?)"
                    ),
                ));
            }
            // a Standard start is idempotent while its execution runs with
            // the same input ("StartExecution"); Express names are not kept
            if machine.kind == MachineType::Standard
                && let Some(e) = all
                    .iter()
                    .find(|e| e.machine_arn == machine.arn && e.name == name)
            {
                if e.status == "RUNNING" && e.input == input && wait.is_none() {
                    return Ok(json!({ "executionArn": e.arn, "startDate": e.start }));
                }
                return Err(error(
                    "ExecutionAlreadyExists",
                    format!("Execution Already Exists: '{}'", e.arn),
                ));
            }
            if all.len() >= MAX_EXECUTIONS
                && let Some(oldest) = all.iter().position(|e| e.status != "RUNNING")
            {
                all.remove(oldest);
            }
            all.push(execution.clone());
        }
        let (done, ended) = mpsc::channel();
        let host = self.clone();
        let options = run::Options {
            real_time: true,
            name: name.clone(),
            express: machine.kind == MachineType::Express,
            task_tokens: format!("sandbox-{}", uuid::Uuid::new_v4().simple()),
            machine_arn: Some(machine.arn.clone()),
            start: execution.start.floor(),
            ..run::Options::default()
        };
        let spawned = std::thread::Builder::new()
            .name(format!("hoist-workflow-{}", machine.workflow))
            .spawn(move || {
                let ended = host.run(&machine, &arn, parsed, &options);
                let _ = done.send(ended);
            });
        if spawned.is_err() {
            self.executions().retain(|e| e.arn != execution.arn);
            return Err(error(
                "ServiceException",
                "the sandbox could not start the execution",
            ));
        }
        let Some(wait) = wait else {
            return Ok(json!({ "executionArn": execution.arn, "startDate": execution.start }));
        };
        match ended.recv_timeout(wait) {
            Ok(description) => Ok(description),
            Err(mpsc::RecvTimeoutError::Timeout) => Err(error(
                "ServiceException",
                format!("the execution did not end within {} s", wait.as_secs()),
            )),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(error(
                "ServiceException",
                "the sandbox failed on this execution (a bug in hoist; please report it)",
            )),
        }
    }

    /// Whether the execution `arn` was stopped.
    fn stopped(&self, arn: &str) -> bool {
        self.executions()
            .iter()
            .any(|e| e.arn == arn && e.status == "ABORTED")
    }

    /// Run one execution on this thread; its description at the end.
    fn run(
        &self,
        machine: &LocalMachine,
        arn: &str,
        input: Value,
        options: &run::Options,
    ) -> Value {
        let outcome = crate::workflow::Definition::parse(&machine.definition, &machine.name)
            .map_err(|e| e.to_string())
            .and_then(|d| {
                crate::workflow::compile(&d)
                    .map(|(m, _)| m)
                    .map_err(|e| e.to_string())
            })
            .and_then(|tree| {
                let runner = Runner {
                    host: self,
                    execution: arn,
                };
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    run::run_with(&tree, input, &run::Mocks::default(), options, Some(&runner))
                        .map_err(|e| e.to_string())
                }))
                .unwrap_or_else(|_| {
                    Err(
                        "the sandbox failed on this execution (a bug in hoist; please report it)"
                            .into(),
                    )
                })
            });
        // the tokens its Tasks handed out are answered no more
        self.tokens().retain(|_, (execution, _)| execution != arn);
        let mut all = self.executions();
        let Some(execution) = all.iter_mut().find(|e| e.arn == arn) else {
            return json!({});
        };
        if execution.status == "RUNNING" {
            match outcome {
                Ok(o) => {
                    execution.status = match o.status {
                        run::Status::Succeeded => "SUCCEEDED",
                        run::Status::Failed => "FAILED",
                        run::Status::TimedOut => "TIMED_OUT",
                    };
                    execution.output = o.output.map(|v| v.to_string());
                    execution.error = o.error;
                    execution.cause = o.cause;
                    execution.history = o.history;
                }
                Err(why) => {
                    execution.status = "FAILED";
                    execution.error = Some("States.Runtime".into());
                    execution.cause = Some(why);
                }
            }
            execution.stop = Some(now());
        }
        let line = format!(
            "workflow     {:<28} {}{}",
            machine.workflow,
            execution.status,
            execution
                .error
                .as_ref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        );
        let description = execution.describe();
        drop(all);
        (self.inner.notify)(&line);
        description
    }

    /// Answer the task waiting for `token`.
    ///
    /// Errors: `TaskDoesNotExist` when no task waits for it (answered, timed
    /// out, or never handed out).
    pub fn answer(&self, token: &str, callback: Callback) -> Result<(), SfnError> {
        let sender = self.tokens().get(token).map(|(_, s)| s.clone());
        match sender {
            Some(s) if s.send(callback).is_ok() => Ok(()),
            _ => Err(error(
                "TaskDoesNotExist",
                "Task Does Not Exist: no task of the sandbox waits for this token (answered, timed out, or its execution ended)",
            )),
        }
    }

    /// One call of Step Functions' JSON API: its operation (`StartExecution`)
    /// and request, to its answer.
    ///
    /// Errors: Step Functions' own, by `__type`.
    pub fn call(&self, operation: &str, request: &Value) -> Result<Value, SfnError> {
        match operation {
            "ListStateMachines" => Ok(json!({
                "stateMachines": self.inner.machines.values().map(|m| json!({
                    "stateMachineArn": m.arn, "name": m.name, "type": m.kind.cfn(), "creationDate": 0,
                })).collect::<Vec<_>>()
            })),
            "DescribeStateMachine" => {
                let m = self.machine(string(request, "stateMachineArn")?)?;
                Ok(json!({
                    "stateMachineArn": m.arn, "name": m.name, "type": m.kind.cfn(), "status": "ACTIVE",
                    "definition": m.definition, "creationDate": 0,
                    "roleArn": format!("arn:aws:iam::{ACCOUNT}:role/{}", m.name),
                }))
            }
            "StartExecution" | "StartSyncExecution" => {
                let arn = string(request, "stateMachineArn")?;
                let sync = operation == "StartSyncExecution";
                let express = self.machine(arn)?.kind == MachineType::Express;
                if sync && !express {
                    return Err(error(
                        "StateMachineTypeNotSupported",
                        "This operation is not supported by this type of state machine (StartSyncExecution runs Express workflows)",
                    ));
                }
                let input = request["input"].as_str().unwrap_or("{}");
                let name = request["name"].as_str();
                self.start(arn, name, input, sync.then_some(SYNC_WAIT))
            }
            "DescribeExecution" => {
                let arn = string(request, "executionArn")?;
                self.execution(arn).map(|e| e.describe())
            }
            "ListExecutions" => {
                let arn = string(request, "stateMachineArn")?;
                if self.machine(arn)?.kind == MachineType::Express {
                    return Err(express_unsupported());
                }
                let filter = request["statusFilter"].as_str();
                let list: Vec<Value> = self
                    .executions()
                    .iter()
                    .rev()
                    .filter(|e| e.machine_arn == arn && filter.is_none_or(|f| f == e.status))
                    .map(|e| {
                        let mut d = e.describe();
                        if let Some(o) = d.as_object_mut() {
                            for key in ["input", "output", "error", "cause"] {
                                o.remove(key);
                            }
                        }
                        d
                    })
                    .collect();
                Ok(json!({ "executions": list }))
            }
            "GetExecutionHistory" => {
                let e = self.execution(string(request, "executionArn")?)?;
                let mut events: Vec<Value> = e.history.clone();
                if events.is_empty() {
                    // still running: its start
                    events.push(json!({
                        "id": 1, "previousEventId": 0, "timestamp": e.start, "type": "ExecutionStarted",
                        "executionStartedEventDetails": { "input": e.input },
                    }));
                } else {
                    for event in &mut events {
                        as_the_api_gives(event, &self.inner.region);
                    }
                }
                if request["reverseOrder"] == json!(true) {
                    events.reverse();
                }
                Ok(json!({ "events": events }))
            }
            "StopExecution" => {
                let arn = string(request, "executionArn")?;
                if arn.contains(":express:") {
                    return Err(express_unsupported());
                }
                let mut all = self.executions();
                let e = all
                    .iter_mut()
                    .find(|e| e.arn == arn)
                    .ok_or_else(|| not_found(arn))?;
                if e.status == "RUNNING" {
                    e.status = "ABORTED";
                    e.error = request["error"].as_str().map(str::to_string);
                    e.cause = request["cause"].as_str().map(str::to_string);
                    let stop = now();
                    e.stop = Some(stop);
                    // its events so far are the engine's, which ends it at
                    // its next state: the history is its start and its stop
                    e.history = vec![
                        json!({ "id": 1, "previousEventId": 0, "timestamp": iso(e.start), "type": "ExecutionStarted",
                                "executionStartedEventDetails": { "input": e.input } }),
                        json!({ "id": 2, "previousEventId": 1, "timestamp": iso(stop), "type": "ExecutionAborted",
                                "executionAbortedEventDetails": { "error": e.error, "cause": e.cause } }),
                    ];
                }
                let stop = e.stop.unwrap_or_else(now);
                drop(all);
                // a task waiting for its token stops waiting
                let waiting: Vec<mpsc::Sender<Callback>> = self
                    .tokens()
                    .values()
                    .filter(|(execution, _)| execution == arn)
                    .map(|(_, s)| s.clone())
                    .collect();
                for s in waiting {
                    let _ = s.send(Callback::Failure {
                        error: "States.Aborted".into(),
                        cause: "the execution was stopped".into(),
                    });
                }
                Ok(json!({ "stopDate": stop }))
            }
            "SendTaskSuccess" => {
                let output: Value = serde_json::from_str(string(request, "output")?)
                    .map_err(|e| error("InvalidOutput", format!("Invalid Output: '{e}'")))?;
                self.answer(string(request, "taskToken")?, Callback::Success(output))
                    .map(|()| json!({}))
            }
            "SendTaskFailure" => self
                .answer(
                    string(request, "taskToken")?,
                    Callback::Failure {
                        error: request["error"].as_str().unwrap_or_default().to_string(),
                        cause: request["cause"].as_str().unwrap_or_default().to_string(),
                    },
                )
                .map(|()| json!({})),
            "GetActivityTask" => {
                let arn = string(request, "activityArn")?;
                if !self
                    .machines()
                    .any(|m| m.activities.iter().any(|(_, a)| a == arn))
                {
                    return Err(error(
                        "ActivityDoesNotExist",
                        format!("Activity Does Not Exist: '{arn}'"),
                    ));
                }
                Ok(self
                    .next_activity_task(arn, ACTIVITY_POLL)
                    .map(|(token, input)| json!({ "taskToken": token, "input": input }))
                    .unwrap_or_else(|| json!({})))
            }
            "SendTaskHeartbeat" => self
                .answer(string(request, "taskToken")?, Callback::Heartbeat)
                .map(|()| json!({})),
            other => Err(error(
                "UnknownOperationException",
                format!("the sandbox's Step Functions does not run `{other}`"),
            )),
        }
    }

    /// Queue a task of the activity `arn` for its workers.
    fn queue_activity_task(&self, arn: &str, token: &str, input: String) {
        let mut queues = self
            .inner
            .activities
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        queues
            .entry(arn.to_string())
            .or_default()
            .push_back((token.to_string(), input));
        self.inner.queued.notify_all();
    }

    /// The next task of the activity `arn` whose execution still waits for
    /// it, waiting up to `wait` for one (GetActivityTask's long poll).
    fn next_activity_task(&self, arn: &str, wait: Duration) -> Option<(String, String)> {
        let deadline = std::time::Instant::now() + wait;
        let mut queues = self
            .inner
            .activities
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        loop {
            while let Some((token, input)) = queues.get_mut(arn).and_then(VecDeque::pop_front) {
                // a worker took it: its heartbeats count from now
                let sender = self.tokens().get(&token).map(|(_, s)| s.clone());
                if sender.is_some_and(|s| s.send(Callback::Started).is_ok()) {
                    return Some((token, input));
                }
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return None;
            }
            queues = self
                .inner
                .queued
                .wait_timeout(queues, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    fn execution(&self, arn: &str) -> Result<Execution, SfnError> {
        if arn.contains(":express:") {
            return Err(error(
                "InvalidArn",
                "Express executions keep no history: DescribeExecution takes Standard executions",
            ));
        }
        self.executions()
            .iter()
            .find(|e| e.arn == arn)
            .cloned()
            .ok_or_else(|| not_found(arn))
    }
}

/// An event of the engine's history as `GetExecutionHistory` gives it: its
/// time in seconds since the epoch, and a Task's resource as its type and
/// name (`lambda`, `invoke`), with the region of a scheduled Task.
fn as_the_api_gives(event: &mut Value, region: &str) {
    if let Some(t) = event["timestamp"].as_str().map(str::to_string) {
        event["timestamp"] = epoch(&t);
    }
    let Some(map) = event.as_object_mut() else {
        return;
    };
    for (key, details) in map.iter_mut() {
        if let Some(fields) = details.as_object_mut() {
            // the API's details hold JSON as text, whole seconds, and no nulls
            fields.retain(|_, v| !v.is_null());
            for (name, value) in fields.iter_mut() {
                match name.as_str() {
                    "input" | "output" if !value.is_string() => *value = json!(value.to_string()),
                    "timeoutInSeconds" | "heartbeatInSeconds" => {
                        *value = json!(value.as_f64().unwrap_or_default().ceil() as i64)
                    }
                    _ => {}
                }
            }
        }
        if !(key.starts_with("task") && key.ends_with("EventDetails")) {
            continue;
        }
        let Some(resource) = details["resource"].as_str().map(str::to_string) else {
            continue;
        };
        let (kind, name) = match resource.strip_prefix("arn:aws:states:::") {
            Some(rest) => rest.split_once(':').unwrap_or((rest, "")),
            None => (
                resource.split(':').nth(2).unwrap_or_default(),
                resource.as_str(),
            ),
        };
        details["resourceType"] = json!(kind);
        details["resource"] = json!(name);
        if key == "taskScheduledEventDetails" {
            details["region"] = json!(region);
        }
    }
}

fn express_unsupported() -> SfnError {
    error(
        "StateMachineTypeNotSupported",
        "This operation is not supported by EXPRESS state machines",
    )
}

/// Seconds since the epoch as the engine's histories write times.
fn iso(seconds: f64) -> String {
    chrono::DateTime::from_timestamp_millis((seconds * 1000.0) as i64)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

fn not_found(arn: &str) -> SfnError {
    error(
        "ExecutionDoesNotExist",
        format!("Execution Does Not Exist: '{arn}'"),
    )
}

/// The workflow host of a sandbox, when the project has workflows: its
/// machines with the sandbox's names, its tables through `engine`, the
/// storage buckets (by sandbox name) its distributed Maps read and write, its
/// lines printed as the sandbox prints its own (`json`: one JSON object a
/// line).
///
/// Errors: [`super::SandboxError::Start`] naming the workflow whose
/// definition is missing or refused.
pub fn start(
    root: &std::path::Path,
    manifest: &crate::project::Manifest,
    names: &Names<'_>,
    functions: Option<FunctionHost>,
    engine: super::engine::Engine,
    buckets: s3::Buckets,
    json: bool,
) -> Result<Option<WorkflowHost>, super::SandboxError> {
    if manifest.workflow.is_empty() {
        return Ok(None);
    }
    let machines = machines(root, manifest, names).map_err(|(workflow, why)| {
        super::SandboxError::Start(format!("the workflow `{workflow}`: {why}"))
    })?;
    let tables: Tables = Arc::new(move |operation: &str, request: &Value| {
        engine
            .dynamodb(operation, request.clone())
            .map_err(|e| SfnError {
                kind: e.kind,
                message: e.message,
            })
    });
    let notify: Notify = Arc::new(move |line: &str| {
        if json {
            println!("{}", json!({ "kind": "workflow", "message": line.trim() }));
        } else {
            println!("{line}");
        }
    });
    Ok(Some(WorkflowHost::new(
        machines,
        functions,
        Some(tables),
        buckets,
        names.region,
        notify,
    )))
}
