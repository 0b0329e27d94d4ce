//! A local executor with Step Functions' semantics: data flow through every
//! path field (or JSONata's `Arguments`/`Output`/`Assign`), Choice, Wait on a
//! virtual clock, Map (with its concurrency on the clock), Parallel, Retry with
//! back-off and jitter, Catch, timeouts, Succeed and Fail. Tasks answer from a
//! mock file, per state and per attempt.

use std::collections::HashMap;

use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

use super::paths::Scope;
use super::tree::{Assign, Catcher, Machine, QueryLanguage, ResultPath, State, error_matches};
use super::validate::parse_timestamp;
use super::{Fault, MAX_PAYLOAD, StatesError};

mod body;
mod branches;
mod choice;
mod mocks;
mod task;

pub use branches::{ChildRun, S3Call};
use choice::evaluate_rule;
pub use mocks::{Mocks, Response};

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Succeeded,
    Failed,
    TimedOut,
}

/// The result of a run: what `--json` prints, and the history.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    /// Absent when a Fail state without `Error` ended the execution.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    #[serde(skip)]
    pub history: Vec<Value>,
    /// Virtual seconds the execution took.
    #[serde(skip)]
    pub duration: f64,
    /// The state the failure that ended the execution came from: its name
    /// and its JSON pointer in the definition (for its line and column).
    #[serde(skip)]
    pub failed_state: Option<(String, String)>,
}

/// A run that could not happen as asked: a Task without a mock, a bad mock file.
#[derive(Debug, Clone, PartialEq, thiserror::Error, miette::Diagnostic)]
pub enum RunError {
    #[error("the Task state `{0}` has no mocked response")]
    #[diagnostic(
        code(hoist::workflow::unmocked),
        help(
            "add `\"{0}\": {{\"Return\": {{ ... }}}}` (or a `Throw`) to the mock file given with --mocks"
        )
    )]
    Unmocked(String),
    #[error("the execution's input is {0} bytes: Step Functions takes at most 262144 (256 KiB)")]
    #[diagnostic(
        code(hoist::workflow::input_size),
        help("pass a smaller input, or a reference to the data (an S3 key) instead of the data")
    )]
    InputTooLarge(usize),
    #[error("the execution was stopped")]
    #[diagnostic(code(hoist::workflow::stopped))]
    Stopped,
    #[error("the mock file is not valid: {0}")]
    #[diagnostic(
        code(hoist::workflow::mocks),
        help(
            "see docs/workflow.md for the mock file's shape (Step Functions Local's, or a map of state names)"
        )
    )]
    BadMocks(String),
}

/// A Task state's call, as a [`TaskRunner`] gets it: the state, its
/// `Resource`, its effective parameters, the task token `$$.Task.Token`
/// gave it, and its `TimeoutSeconds` and `HeartbeatSeconds` (resolved).
#[derive(Debug, Clone, Copy)]
pub struct TaskCall<'a> {
    pub state: &'a str,
    pub resource: &'a str,
    pub parameters: &'a Value,
    pub token: &'a str,
    pub timeout: Option<f64>,
    pub heartbeat: Option<f64>,
}

/// What runs the Task states a mock file does not answer (the sandbox's
/// functions, tables and callbacks). Its answer's `delay` is the seconds the
/// call took, which the execution's clock advances by; `heartbeats: false`
/// says no heartbeat came within `HeartbeatSeconds`.
pub trait TaskRunner {
    fn run(&self, call: &TaskCall<'_>) -> Response;

    /// Whether the execution was stopped (StopExecution): it ends at once,
    /// past any Retry or Catch.
    fn stopped(&self) -> bool {
        false
    }

    /// A distributed Map's items, read as its `ItemReader` says (a prefix's
    /// objects, a JSON or JSON Lines object's records); `None`: this runner
    /// reads none (then the Map's mock must give them). An error is the
    /// name and cause the Map fails with (`States.ItemReaderFailed`).
    fn read_items(&self, _call: &S3Call<'_>) -> Option<Result<Vec<Value>, (String, String)>> {
        None
    }

    /// A distributed Map's children exported as its `ResultWriter` says;
    /// the `ResultWriterDetails` (`Bucket`, `Key` of the manifest) the
    /// Map's output gives. `None`: this runner exports nothing (the Map's
    /// output is then its results, as without a ResultWriter).
    fn write_results(
        &self,
        _call: &S3Call<'_>,
        _map_run_arn: &str,
        _children: &[ChildRun<'_>],
    ) -> Option<Result<Value, (String, String)>> {
        None
    }
}

/// The longest an Express execution runs, in seconds.
pub const EXPRESS_LIMIT: f64 = 300.0;

#[derive(Debug, Clone)]
pub struct Options {
    /// Sleep through Waits and retry delays instead of advancing a virtual clock.
    pub real_time: bool,
    /// Seed of the jitter of retries.
    pub seed: u64,
    /// The execution's start, in seconds since the epoch.
    pub start: f64,
    pub name: String,
    /// Run as an Express execution (its ARN has the form Express executions have).
    pub express: bool,
    /// Record the execution history (events).
    pub history: bool,
    /// The opening of the task tokens `$$.Task.Token` hands out
    /// (`<opening>-<state>-<call>`).
    pub task_tokens: String,
    /// The machine's name and ARN in `$$.StateMachine` and the execution's
    /// ARN (default: `local`, in account 123456789012 of us-east-1).
    pub machine_arn: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            real_time: false,
            seed: 1,
            start: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs_f64().floor())
                .unwrap_or(0.0),
            name: "local".into(),
            express: false,
            history: true,
            task_tokens: "local-task-token".into(),
            machine_arn: None,
        }
    }
}

/// A failure inside the machine: caught, retried, or the execution's end.
#[derive(Debug, Clone)]
struct Failure {
    fault: Fault,
    /// Not a state failure: the run itself cannot go on (an unmocked Task).
    fatal: Option<RunError>,
    /// The cause needs no more words: it came from a Task or a Fail state, or
    /// already names the state the engine raised it in. An error the engine
    /// raises gets the service's opening, "An error occurred while executing
    /// the state 'NAME' (entered at the event id #N).", in the state it
    /// happened in (see `Exec::state`).
    located: bool,
    /// A Fail state without `Error` (`Cause`): the execution ends with none.
    no_error: bool,
    no_cause: bool,
    /// The state it came from (name, pointer), set by the first state it leaves.
    state: Option<(String, String)>,
}

/// A failure the engine raises (its cause gets the state's name and event id).
fn fail(error: StatesError, cause: impl Into<String>) -> Failure {
    Failure::from(Fault::new(error, cause))
}

/// A failure a Task or a Fail state raises: its error and cause as given.
fn raised(error: StatesError, cause: impl Into<String>) -> Failure {
    Failure {
        located: true,
        ..fail(error, cause)
    }
}

impl From<Fault> for Failure {
    fn from(fault: Fault) -> Self {
        Failure {
            fault,
            fatal: None,
            located: false,
            no_error: false,
            no_cause: false,
            state: None,
        }
    }
}

/// Most transitions one machine (the execution, a branch, a Map iteration) may
/// make before the run is stopped as a loop; Step Functions' own limit is 25,000
/// history events per execution.
const MAX_TRANSITIONS: usize = 25_000;

struct Exec<'a> {
    mocks: &'a Mocks,
    runner: Option<&'a dyn TaskRunner>,
    options: &'a Options,
    history: Vec<Value>,
    /// Events so far (counted when the history is not kept, for causes' ids).
    events: usize,
    clock: f64,
    rng: rand::rngs::StdRng,
    /// Calls of each Task state so far.
    invocations: HashMap<String, u32>,
    deadline: Option<f64>,
    /// `$$.Execution` without its input.
    execution: Value,
    input: Value,
    /// The definition reads the execution's input from the context object.
    context_input: bool,
    machine_name: String,
    machine_arn: String,
}

/// `seconds` since the epoch as Step Functions prints times: RFC 3339 in UTC
/// with milliseconds (`2026-01-01T00:00:00.000Z`).
fn iso(seconds: f64) -> String {
    let millis = (seconds * 1000.0).round() as i64;
    chrono::DateTime::from_timestamp_millis(millis)
        .map(|at| at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

enum Next {
    State(String, Value),
    End(Value),
}

/// `{"Error": ..., "Cause": ...}`: what a catcher passes on (without the
/// fields a Fail state left out).
fn error_output(failure: &Failure) -> Value {
    let mut out = Map::new();
    if !failure.no_error {
        out.insert("Error".into(), json!(failure.fault.error.name()));
    }
    if !failure.no_cause {
        out.insert("Cause".into(), json!(failure.fault.cause));
    }
    Value::Object(out)
}

/// The `error` and `cause` of a failure event's details (without the fields
/// a Fail state left out).
fn failure_details(failure: &Failure) -> Value {
    let mut out = Map::new();
    if !failure.no_error {
        out.insert("error".into(), json!(failure.fault.error.name()));
    }
    if !failure.no_cause {
        out.insert("cause".into(), json!(failure.fault.cause));
    }
    Value::Object(out)
}

/// `States.DataLimitExceeded` when a value is over the payload limit: a
/// state's output, its input after `Parameters`, a task's result (the
/// developer guide, "Error names").
fn within_limit(value: &Value, what: &str) -> Result<(), Failure> {
    // serde_json's writer counts without building the text
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            if self.0 > MAX_PAYLOAD {
                return Err(std::io::Error::other("over"));
            }
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    if serde_json::to_writer(&mut count, value).is_err() {
        return Err(fail(
            StatesError::DataLimitExceeded,
            format!(
                "The state/task '{what}' returned a result with a size exceeding the maximum number of bytes service limit."
            ),
        ));
    }
    Ok(())
}

impl Exec<'_> {
    fn event(&mut self, kind: &str, details: Option<(&str, Value)>) {
        self.events += 1;
        if !self.options.history {
            return;
        }
        let id = self.events;
        let mut e = json!({
            "id": id,
            "previousEventId": id - 1,
            "timestamp": iso(self.clock),
            "type": kind,
        });
        if let Some((key, value)) = details {
            e[key] = value;
        }
        self.history.push(e);
    }

    fn advance(&mut self, seconds: f64) {
        if seconds <= 0.0 {
            return;
        }
        // nothing sleeps past the execution's end
        let seconds = match self.deadline {
            Some(d) if self.clock + seconds > d => (d - self.clock).max(0.0) + 0.001,
            _ => seconds,
        };
        if self.options.real_time {
            // in steps, so that a stopped execution does not sleep on
            let end = std::time::Instant::now()
                + std::time::Duration::try_from_secs_f64(seconds)
                    .unwrap_or(std::time::Duration::MAX / 2);
            while !self.runner.is_some_and(|r| r.stopped()) {
                let left = end.saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    break;
                }
                std::thread::sleep(left.min(std::time::Duration::from_millis(200)));
            }
        }
        self.clock += seconds;
    }

    /// A stopped execution's end: no Retry or Catch takes it.
    fn check_stopped(&self) -> Result<(), Failure> {
        if self.runner.is_some_and(|r| r.stopped()) {
            return Err(Failure {
                fatal: Some(RunError::Stopped),
                ..fail(StatesError::Runtime, "the execution was stopped")
            });
        }
        Ok(())
    }

    fn context(&self, state: &str, retry: u32, item: Option<&(usize, Value)>) -> Value {
        // the execution's input is copied in only for definitions that read it:
        // copying it into every state's context would make big inputs quadratic
        let mut execution = self.execution.clone();
        if self.context_input
            && let Some(e) = execution.as_object_mut()
        {
            e.insert("Input".into(), self.input.clone());
        }
        let mut c = json!({
            "Execution": execution,
            "State": { "EnteredTime": iso(self.clock), "Name": state, "RetryCount": retry },
            "StateMachine": {
                "Id": self.machine_arn,
                "Name": self.machine_name,
            },
        });
        if let Some((index, value)) = item {
            c["Map"] = json!({ "Item": { "Index": index, "Value": value } });
        }
        c
    }

    fn machine(
        &mut self,
        machine: &Machine,
        input: Value,
        variables: &mut Map<String, Value>,
    ) -> Result<Value, Failure> {
        let mut current = machine.start_at.clone();
        let mut input = input;
        let mut transitions = 0usize;
        loop {
            self.check_stopped()?;
            if let Some(deadline) = self.deadline
                && self.clock > deadline
            {
                return Err(fail(StatesError::Timeout, "the execution timed out"));
            }
            transitions += 1;
            if transitions > MAX_TRANSITIONS {
                return Err(fail(
                    StatesError::Runtime,
                    format!(
                        "more than {MAX_TRANSITIONS} state transitions: is there a loop without an exit?"
                    ),
                ));
            }
            let state = machine.state(&current).ok_or_else(|| {
                fail(
                    StatesError::Runtime,
                    format!("there is no state `{current}`"),
                )
            })?;
            match self.state(state, input, variables)? {
                Next::State(next, output) => {
                    current = next;
                    input = output;
                }
                Next::End(output) => return Ok(output),
            }
        }
    }

    fn state(
        &mut self,
        state: &State,
        raw: Value,
        variables: &mut Map<String, Value>,
    ) -> Result<Next, Failure> {
        let name = state.name.as_str();
        let kind = state.type_name();
        self.event(
            &format!("{kind}StateEntered"),
            Some((
                "stateEnteredEventDetails",
                json!({ "name": name, "input": raw }),
            )),
        );
        let entered = self.events;
        let body = self
            .body(state, &raw, variables)
            .and_then(|(output, next)| within_limit(&output, name).map(|()| (output, next)));
        // an error the engine raised gets the state's name and event id, once
        let locate = |mut failure: Failure| {
            if failure.fatal.is_none() {
                if failure.state.is_none() {
                    failure.state = Some((name.to_string(), state.pointer.clone()));
                }
                if !failure.located {
                    failure.fault.cause = format!(
                        "An error occurred while executing the state '{name}' (entered at the event id #{entered}). {}",
                        failure.fault.cause
                    );
                    failure.located = true;
                }
            }
            failure
        };
        let (output, next) = match body.map_err(locate) {
            Ok(done) => done,
            Err(failure) if failure.fatal.is_none() => {
                let catchers = state.errors().map(|e| e.catch.as_slice()).unwrap_or(&[]);
                let Some(catcher) = catchers
                    .iter()
                    .find(|c| error_matches(&c.error_equals, &failure.fault.error))
                else {
                    return Err(failure);
                };
                let output = self
                    .caught(state, catcher, &raw, &failure, variables)
                    .map_err(locate)?;
                (output, Some(catcher.next.clone()))
            }
            Err(failure) => return Err(failure),
        };
        self.event(
            &format!("{kind}StateExited"),
            Some((
                "stateExitedEventDetails",
                json!({ "name": name, "output": output }),
            )),
        );
        Ok(match next {
            Some(n) => Next::State(n, output),
            None => Next::End(output),
        })
    }

    /// The output of a state whose failure a catcher took: the catcher's
    /// `Output` and `Assign` (JSONata), or its `Assign` and `ResultPath`
    /// (JSONPath).
    fn caught(
        &mut self,
        state: &State,
        catcher: &Catcher,
        raw: &Value,
        failure: &Failure,
        variables: &mut Map<String, Value>,
    ) -> Result<Value, Failure> {
        let name = state.name.as_str();
        let error_output = error_output(failure);
        Ok(match state.query_language {
            QueryLanguage::Jsonata => {
                let bindings = self.caught_bindings(name, raw, &error_output, variables);
                let output = match &catcher.output {
                    Some(o) => o.evaluate("Catch/Output", &bindings)?,
                    None => error_output.clone(),
                };
                if let Some(Assign::Jsonata(a)) = &catcher.assign {
                    extend(variables, a.evaluate("Catch/Assign", &bindings)?);
                }
                output
            }
            QueryLanguage::JsonPath => {
                if let Some(Assign::JsonPath(a)) = &catcher.assign {
                    let context = self.context(name, 0, None);
                    let scope = Scope {
                        input: &error_output,
                        context: &context,
                        variables,
                    };
                    let assigned = a.fill(&scope)?;
                    extend(variables, assigned);
                }
                match &catcher.result_path {
                    ResultPath::Discard => raw.clone(),
                    ResultPath::Path(p) => p
                        .set(raw, error_output)
                        .map_err(|e| fail(StatesError::ResultPathMatchFailure, e))?,
                    ResultPath::Replace => error_output,
                }
            }
        })
    }

    /// JSONata's bindings in a catcher: the variables and `$states` with the error output.
    fn caught_bindings(
        &self,
        name: &str,
        raw: &Value,
        error_output: &Value,
        variables: &Map<String, Value>,
    ) -> Map<String, Value> {
        let mut bindings = variables.clone();
        bindings.insert(
            "states".into(),
            json!({ "input": raw, "errorOutput": error_output, "context": self.context(name, 0, None) }),
        );
        bindings
    }
}

fn extend(variables: &mut Map<String, Value>, assigned: Value) {
    if let Value::Object(map) = assigned {
        for (k, v) in map {
            variables.insert(k.trim_end_matches(".$").to_string(), v);
        }
    }
}

/// Run a machine (the tree of a definition `validate` accepted) with an input.
pub fn run(
    machine: &Machine,
    input: Value,
    mocks: &Mocks,
    options: &Options,
) -> Result<Outcome, RunError> {
    run_with(machine, input, mocks, options, None)
}

/// [`run`], with the Task states the mocks do not answer run by `runner`.
pub fn run_with(
    machine: &Machine,
    input: Value,
    mocks: &Mocks,
    options: &Options,
    runner: Option<&dyn TaskRunner>,
) -> Result<Outcome, RunError> {
    let size = serde_json::to_vec(&input).map(|b| b.len()).unwrap_or(0);
    if size > MAX_PAYLOAD {
        return Err(RunError::InputTooLarge(size));
    }
    let name = options.name.clone();
    let machine_arn = options
        .machine_arn
        .clone()
        .unwrap_or_else(|| "arn:aws:states:us-east-1:123456789012:stateMachine:local".into());
    let (prefix, machine_name) = machine_arn
        .rsplit_once(":stateMachine:")
        .unwrap_or(("arn:aws:states:us-east-1:123456789012", "local"));
    let machine_name = machine_name.to_string();
    // ARNs as the service writes them, for definitions that take them apart
    let id = if options.express {
        format!("{prefix}:express:{machine_name}:{name}:00000000-0000-4000-8000-000000000000")
    } else {
        format!("{prefix}:execution:{machine_name}:{name}")
    };
    let execution = json!({
        "Id": id,
        "Name": name,
        "RoleArn": "arn:aws:iam::123456789012:role/local",
        "StartTime": iso(options.start),
    });
    let mut exec = Exec {
        mocks,
        runner,
        options,
        history: Vec::new(),
        events: 0,
        clock: options.start,
        rng: rand::rngs::StdRng::seed_from_u64(options.seed),
        invocations: HashMap::new(),
        // an Express execution runs five minutes at most ("Standard and
        // Express workflow types"), its own TimeoutSeconds if shorter
        deadline: match (machine.timeout_seconds, options.express) {
            (Some(t), true) => Some(options.start + t.min(EXPRESS_LIMIT)),
            (None, true) => Some(options.start + EXPRESS_LIMIT),
            (t, false) => t.map(|t| options.start + t),
        },
        execution,
        input: input.clone(),
        context_input: machine.reads_execution_input,
        machine_name,
        machine_arn: machine_arn.clone(),
    };
    exec.event(
        "ExecutionStarted",
        Some((
            "executionStartedEventDetails",
            json!({ "input": input.to_string() }),
        )),
    );
    let mut variables = Map::new();
    let result = exec.machine(machine, input, &mut variables);
    let timed_out = exec.deadline.is_some_and(|d| exec.clock > d);
    let mut failed_state = None;
    let outcome = match result {
        Ok(output) if !timed_out => {
            exec.event(
                "ExecutionSucceeded",
                Some((
                    "executionSucceededEventDetails",
                    json!({ "output": output.to_string() }),
                )),
            );
            Outcome {
                status: Status::Succeeded,
                output: Some(output),
                error: None,
                cause: None,
                history: Vec::new(),
                duration: 0.0,
                failed_state: None,
            }
        }
        Err(Failure { fatal: Some(e), .. }) => return Err(e),
        _ if timed_out => {
            // it ended at its deadline
            exec.clock = exec.deadline.map_or(exec.clock, |d| exec.clock.min(d));
            exec.event(
                "ExecutionTimedOut",
                Some((
                    "executionTimedOutEventDetails",
                    json!({ "error": "States.Timeout" }),
                )),
            );
            Outcome {
                status: Status::TimedOut,
                output: None,
                error: Some("States.Timeout".into()),
                cause:
                    Some(
                        if options.express
                            && machine.timeout_seconds.is_none_or(|t| t >= EXPRESS_LIMIT)
                        {
                            "an Express execution runs at most five minutes"
                        } else {
                            "the execution ran longer than its TimeoutSeconds"
                        }
                        .into(),
                    ),
                history: Vec::new(),
                duration: 0.0,
                failed_state: None,
            }
        }
        Err(Failure {
            fault,
            no_error,
            no_cause,
            state,
            ..
        }) => {
            failed_state = state;
            let error = (!no_error).then(|| fault.error.name().to_string());
            let cause = (!no_cause).then_some(fault.cause);
            let mut details = Map::new();
            if let Some(e) = &error {
                details.insert("error".into(), json!(e));
            }
            if let Some(c) = &cause {
                details.insert("cause".into(), json!(c));
            }
            exec.event(
                "ExecutionFailed",
                Some(("executionFailedEventDetails", Value::Object(details))),
            );
            Outcome {
                status: Status::Failed,
                output: None,
                error,
                cause,
                history: Vec::new(),
                duration: 0.0,
                failed_state: None,
            }
        }
        Ok(_) => unreachable!("handled above"),
    };
    Ok(Outcome {
        history: exec.history,
        duration: exec.clock - options.start,
        failed_state,
        ..outcome
    })
}

#[cfg(test)]
mod tests {
    use super::choice::wildcard;
    use super::*;

    fn tree(definition: &Value) -> Machine {
        Machine::from_value(definition).unwrap()
    }

    fn go(definition: Value, input: Value, mocks: Value) -> Outcome {
        let options = Options {
            start: 1_767_225_600.0, // 2026-01-01T00:00:00Z
            ..Options::default()
        };
        run(
            &tree(&definition),
            input,
            &Mocks::parse(&mocks, None).unwrap(),
            &options,
        )
        .unwrap()
    }

    #[test]
    fn jsonpath_data_flow_through_a_task() {
        let d = json!({"StartAt": "T", "States": {"T": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "InputPath": "$.order", "Parameters": {"id.$": "$.id", "fixed": 1},
            "ResultSelector": {"total.$": "$.Payload.total"}, "ResultPath": "$.priced",
            "OutputPath": "$.priced", "End": true}}});
        let o = go(
            d,
            json!({"order": {"id": "o1"}}),
            json!({"T": {"Return": {"Payload": {"total": 42}}}}),
        );
        assert_eq!(o.status, Status::Succeeded);
        assert_eq!(o.output, Some(json!({"total": 42})));
        let types: Vec<&str> = o
            .history
            .iter()
            .map(|e| e["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            types,
            [
                "ExecutionStarted",
                "TaskStateEntered",
                "TaskScheduled",
                "TaskStarted",
                "TaskSucceeded",
                "TaskStateExited",
                "ExecutionSucceeded"
            ]
        );
    }

    #[test]
    fn retries_back_off_on_the_virtual_clock_then_catch() {
        let d = json!({"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "arn:x", "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 2, "MaxAttempts": 2, "BackoffRate": 3}],
                  "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Handled"}], "End": true},
            "Handled": {"Type": "Pass", "End": true}}});
        let o = go(
            d.clone(),
            json!({"a": 1}),
            json!({"T": {"Throw": {"Error": "Boom", "Cause": "bad"}}}),
        );
        assert_eq!(
            o.output,
            Some(json!({"a": 1, "error": {"Error": "Boom", "Cause": "bad"}}))
        );
        assert_eq!(o.duration, 2.0 + 6.0);
        // the third attempt succeeds
        let o = go(
            d,
            json!({}),
            json!({"T": {"0-1": {"Throw": {"Error": "Boom"}}, "2": {"Return": 5}}}),
        );
        assert_eq!(o.output, Some(json!(5)));
    }

    #[test]
    fn choice_wait_fail_and_no_match() {
        let d = json!({"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [
                {"And": [{"Variable": "$.n", "NumericGreaterThan": 10}, {"Variable": "$.s", "StringMatches": "a*z"}], "Next": "Big"},
                {"Variable": "$.n", "NumericLessThanPath": "$.limit", "Next": "W"}]},
            "Big": {"Type": "Succeed"},
            "W": {"Type": "Wait", "Seconds": 30, "Next": "F"},
            "F": {"Type": "Fail", "Error": "Small", "Cause": "too small"}}});
        assert_eq!(
            go(d.clone(), json!({"n": 11, "s": "abcz"}), json!({})).status,
            Status::Succeeded
        );
        let o = go(d.clone(), json!({"n": 1, "s": "x", "limit": 5}), json!({}));
        assert_eq!(
            (o.status, o.error.as_deref(), o.duration),
            (Status::Failed, Some("Small"), 30.0)
        );
        let o = go(d, json!({"n": 9, "s": "x", "limit": 5}), json!({}));
        assert_eq!(o.error.as_deref(), Some("States.NoChoiceMatched"));
    }

    #[test]
    fn map_with_concurrency_and_parallel() {
        let d = json!({"StartAt": "M", "States": {
            "M": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2,
                  "ItemSelector": {"v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index"},
                  "ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "Next": "P"}, "P": {"Type": "Pass", "End": true}}},
                  "Next": "Par"},
            "Par": {"Type": "Parallel", "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "a", "End": true}}},
                {"StartAt": "B", "States": {"B": {"Type": "Wait", "Seconds": 5, "End": true}}}], "End": true}}});
        let o = go(d, json!({"items": [1, 2, 3]}), json!({}));
        // 3 items, 2 at a time, 10 s each: 20 s; then the branches: 5 s
        assert_eq!(o.duration, 25.0);
        assert_eq!(
            o.output,
            Some(json!(["a", [{"v": 1, "i": 0}, {"v": 2, "i": 1}, {"v": 3, "i": 2}]]))
        );
    }

    #[test]
    fn jsonata_states_and_variables() {
        let d = json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {
            "P": {"Type": "Pass", "Assign": {"factor": 3}, "Output": "{% $states.input.n %}", "Next": "T"},
            "T": {"Type": "Task", "Resource": "arn:x", "Arguments": {"x": "{% $states.input * $factor %}"},
                  "Output": "{% $states.result.y + 1 %}", "End": true}}});
        let o = go(d, json!({"n": 2}), json!({"T": {"Return": {"y": 10}}}));
        assert_eq!(o.output, Some(json!(11)));
        let scheduled = o
            .history
            .iter()
            .find(|e| e["type"] == "TaskScheduled")
            .unwrap();
        assert_eq!(
            scheduled["taskScheduledEventDetails"]["parameters"],
            json!("{\"x\":6}")
        );
    }

    #[test]
    fn timeouts_and_unmocked_tasks() {
        let d = json!({"TimeoutSeconds": 60, "StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "arn:x", "TimeoutSeconds": 5, "Next": "W"},
            "W": {"Type": "Wait", "Seconds": 100, "End": true}}});
        let o = go(
            d.clone(),
            json!({}),
            json!({"T": {"Return": 1, "Delay": 9}}),
        );
        assert_eq!(o.error.as_deref(), Some("States.Timeout"));
        let o = go(d.clone(), json!({}), json!({"T": {"Return": 1}}));
        assert_eq!(o.status, Status::TimedOut);
        let hb = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:x", "TimeoutSeconds": 100, "HeartbeatSeconds": 10, "End": true}}});
        let o = go(
            hb.clone(),
            json!({}),
            json!({"T": {"Return": 1, "Delay": 50, "Heartbeat": false}}),
        );
        assert_eq!(
            (o.error.as_deref(), o.duration),
            (Some("States.HeartbeatTimeout"), 10.0)
        );
        let o = go(hb, json!({}), json!({"T": {"Return": 1, "Delay": 50}}));
        assert_eq!(o.status, Status::Succeeded);
        let e = run(&tree(&d), json!({}), &Mocks::default(), &Options::default()).unwrap_err();
        assert_eq!(e, RunError::Unmocked("T".into()));
    }

    #[test]
    fn step_functions_local_mock_files() {
        let config = json!({
            "StateMachines": {"Order": {"TestCases": {
                "HappyPath": {"Charge": "Paid"},
                "Declined": {"Charge": "CardDeclined"}}}},
            "MockedResponses": {
                "Paid": {"0": {"Return": {"ok": true}}},
                "CardDeclined": {"0-1": {"Throw": {"Error": "Card.Declined", "Cause": "no funds"}}}}
        });
        let d = json!({"StartAt": "Charge", "States": {"Charge": {"Type": "Task", "Resource": "arn:x", "End": true}}});
        let options = Options::default();
        let happy = run(
            &tree(&d),
            json!({}),
            &Mocks::parse(&config, None).unwrap(),
            &options,
        )
        .unwrap();
        assert_eq!(happy.output, Some(json!({"ok": true})));
        let declined = run(
            &tree(&d),
            json!({}),
            &Mocks::parse(&config, Some("Declined")).unwrap(),
            &options,
        )
        .unwrap();
        assert_eq!(declined.error.as_deref(), Some("Card.Declined"));
        for (bad, why) in [
            (json!({"MockedResponses": {}}), "`StateMachines` is missing"),
            (
                json!({"T": {"0": {"Nope": 1}}}),
                "needs `Return` or `Throw`",
            ),
            (
                json!({"T": {"first": {"Return": 1}}}),
                "not an attempt number",
            ),
            (json!([1]), "a JSON object"),
        ] {
            let RunError::BadMocks(message) = Mocks::parse(&bad, None).unwrap_err() else {
                panic!("{bad}");
            };
            assert!(message.contains(why), "{message}");
        }
        assert!(
            matches!(Mocks::parse(&config, Some("Missing")), Err(RunError::BadMocks(m)) if m.contains("no test case named `Missing`"))
        );
    }

    #[test]
    fn wildcards_and_timestamps() {
        assert!(wildcard("log-*.txt", "log-2026.txt"));
        assert!(!wildcard("log-*.txt", "log-2026.csv"));
        assert!(wildcard("a\\*b", "a*b"));
        assert!(!wildcard("a\\*b", "axb"));
        assert_eq!(iso(1_767_225_600.5), "2026-01-01T00:00:00.500Z");
        assert_eq!(
            parse_timestamp("2026-01-01T01:00:00+01:00"),
            Some(1_767_225_600.0)
        );
        // a fraction that rounds up carries into the next second
        assert_eq!(iso(1_767_225_600.999_6), "2026-01-01T00:00:01.000Z");
        assert_eq!(iso(-0.5), "1969-12-31T23:59:59.500Z");
        assert_eq!(
            parse_timestamp("2026-01-01T00:00:00.25Z"),
            Some(1_767_225_600.25)
        );
        // `T` between date and time, a real date, an offset or `Z`
        for bad in [
            "2026-01-01 00:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-01-01T00:00:00",
            "2026-1-01T00:00:00Z",
            "",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }
}
