//! A local executor with Step Functions' semantics: data flow through every
//! path field (or JSONata's `Arguments`/`Output`/`Assign`), Choice, Wait on a
//! virtual clock, Map (with its concurrency on the clock), Parallel, Retry with
//! back-off and jitter, Catch, timeouts, Succeed and Fail. Tasks answer from a
//! mock file, per state and per attempt.

use std::collections::HashMap;

use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

use super::jsonata;
use super::paths::{self, Scope, TemplateError};
use super::validate::parse_timestamp;

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
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
    #[serde(skip)]
    pub history: Vec<Value>,
    /// Virtual seconds the execution took.
    #[serde(skip)]
    pub duration: f64,
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
    #[error("the mock file is not valid: {0}")]
    #[diagnostic(
        code(hoist::workflow::mocks),
        help(
            "see docs/workflow.md for the mock file's shape (Step Functions Local's, or a map of state names)"
        )
    )]
    BadMocks(String),
}

/// One mocked answer of a Task.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    Return {
        value: Value,
        delay: f64,
        heartbeats: bool,
    },
    Throw {
        error: String,
        cause: String,
        delay: f64,
        heartbeats: bool,
    },
}

/// Mocked Task answers: for each state, answers by invocation, as Step Functions
/// Local counts them: the state's first call in the execution is 0, and every
/// call after it (a retry, a loop back, a Map's next item) the next number.
#[derive(Debug, Clone, Default)]
pub struct Mocks {
    responses: HashMap<String, Vec<(u32, u32, Response)>>,
}

fn response(v: &Value) -> Result<Response, String> {
    let delay = v.get("Delay").and_then(Value::as_f64).unwrap_or(0.0);
    // `"Heartbeat": false`: the worker sends no heartbeat while it runs
    let heartbeats = v.get("Heartbeat").and_then(Value::as_bool).unwrap_or(true);
    if let Some(r) = v.get("Return") {
        return Ok(Response::Return {
            value: r.clone(),
            delay,
            heartbeats,
        });
    }
    if let Some(t) = v.get("Throw") {
        return Ok(Response::Throw {
            error: t
                .get("Error")
                .and_then(Value::as_str)
                .unwrap_or("Error")
                .to_string(),
            cause: t
                .get("Cause")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            delay,
            heartbeats,
        });
    }
    Err(format!("a response needs `Return` or `Throw`: {v}"))
}

/// `{"0": ..., "1-2": ...}` (by invocation), or one response for every invocation.
fn by_attempt(v: &Value) -> Result<Vec<(u32, u32, Response)>, String> {
    if v.get("Return").is_some() || v.get("Throw").is_some() {
        return Ok(vec![(0, u32::MAX, response(v)?)]);
    }
    let Some(map) = v.as_object() else {
        return Err(format!(
            "expected responses by attempt (\"0\", \"1-2\"): {v}"
        ));
    };
    let mut out = Vec::new();
    for (k, r) in map {
        let (a, b) = match k.split_once('-') {
            Some((a, b)) => (a.trim().parse(), b.trim().parse()),
            None => (k.trim().parse(), k.trim().parse()),
        };
        let (Ok(a), Ok(b)) = (a, b) else {
            return Err(format!(
                "`{k}` is not an attempt number or range (\"0\", \"1-3\")"
            ));
        };
        out.push((a, b, response(r)?));
    }
    Ok(out)
}

impl Mocks {
    /// Read a mock file: Step Functions Local's configuration (`StateMachines`
    /// with `TestCases`, and `MockedResponses`; `test_case` picks one, else the
    /// first), or simply `{"StateName": response-or-responses-by-attempt}`.
    pub fn parse(value: &Value, test_case: Option<&str>) -> Result<Mocks, RunError> {
        let bad = |e: String| RunError::BadMocks(e);
        let mut responses = HashMap::new();
        if let Some(named) = value.get("MockedResponses") {
            let machines = value
                .get("StateMachines")
                .and_then(Value::as_object)
                .ok_or_else(|| bad("`StateMachines` is missing".into()))?;
            let mut case = None;
            for m in machines.values() {
                if let Some(cases) = m.get("TestCases").and_then(Value::as_object) {
                    for (name, c) in cases {
                        if test_case.is_none_or(|t| t == name) && case.is_none() {
                            case = Some(c);
                        }
                    }
                }
            }
            let case = case.ok_or_else(|| {
                bad(match test_case {
                    Some(t) => format!("no test case named `{t}`"),
                    None => "no test case".into(),
                })
            })?;
            for (state, name) in case.as_object().into_iter().flatten() {
                let name = name.as_str().ok_or_else(|| {
                    bad(format!(
                        "the test case maps `{state}` to something that is not a response name"
                    ))
                })?;
                let r = named
                    .get(name)
                    .ok_or_else(|| bad(format!("`{name}` is not in `MockedResponses`")))?;
                responses.insert(state.clone(), by_attempt(r).map_err(bad)?);
            }
        } else {
            let map = value
                .as_object()
                .ok_or_else(|| bad("a mock file is a JSON object".into()))?;
            for (state, r) in map {
                responses.insert(state.clone(), by_attempt(r).map_err(bad)?);
            }
        }
        Ok(Mocks { responses })
    }

    fn answer(&self, state: &str, attempt: u32) -> Option<&Response> {
        let list = self.responses.get(state)?;
        list.iter()
            .find(|(a, b, _)| (*a..=*b).contains(&attempt))
            .or_else(|| list.iter().max_by_key(|(_, b, _)| *b))
            .map(|(_, _, r)| r)
    }
}

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
        }
    }
}

/// A failure inside the machine: caught, retried, or the execution's end.
#[derive(Debug, Clone)]
struct Failure {
    error: String,
    cause: String,
    /// Not a state failure: the run itself cannot go on (an unmocked Task).
    fatal: Option<RunError>,
}

fn fail(error: &str, cause: impl Into<String>) -> Failure {
    Failure {
        error: error.to_string(),
        cause: cause.into(),
        fatal: None,
    }
}

impl From<TemplateError> for Failure {
    fn from(e: TemplateError) -> Self {
        fail(e.error_name(), e.cause())
    }
}

/// Most transitions one machine (the execution, a branch, a Map iteration) may
/// make before the run is stopped as a loop; Step Functions' own limit is 25,000
/// history events per execution.
const MAX_TRANSITIONS: usize = 25_000;

struct Exec<'a> {
    mocks: &'a Mocks,
    options: &'a Options,
    history: Vec<Value>,
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
}

fn iso(seconds: f64) -> String {
    let secs = seconds.floor() as i64;
    let millis = ((seconds - seconds.floor()) * 1000.0).round() as i64;
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    // civil date from days (Howard Hinnant's algorithm)
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

enum Next {
    State(String, Value),
    End(Value),
}

fn is_match(error: &str, names: &Value) -> bool {
    names
        .as_array()
        .into_iter()
        .flatten()
        .any(|n| match n.as_str() {
            Some("States.ALL") => error != "States.Runtime",
            Some("States.TaskFailed") => error != "States.Timeout" && error != "States.Runtime",
            Some(name) => name == error,
            None => false,
        })
}

impl Exec<'_> {
    fn event(&mut self, kind: &str, details: Option<(&str, Value)>) {
        if !self.options.history {
            return;
        }
        let id = self.history.len() + 1;
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
        if self.options.real_time {
            std::thread::sleep(std::time::Duration::from_secs_f64(seconds));
        }
        self.clock += seconds;
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
                "Id": format!("arn:aws:states:us-east-1:123456789012:stateMachine:{}", self.machine_name),
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
        machine: &Value,
        input: Value,
        variables: &mut Map<String, Value>,
        language: &str,
    ) -> Result<Value, Failure> {
        let language = machine
            .get("QueryLanguage")
            .and_then(Value::as_str)
            .unwrap_or(language)
            .to_string();
        let mut current = machine
            .get("StartAt")
            .and_then(Value::as_str)
            .ok_or_else(|| fail("States.Runtime", "the machine has no StartAt"))?
            .to_string();
        let mut input = input;
        let mut transitions = 0usize;
        loop {
            if let Some(deadline) = self.deadline
                && self.clock > deadline
            {
                return Err(fail("States.Timeout", "the execution timed out"));
            }
            transitions += 1;
            if transitions > MAX_TRANSITIONS {
                return Err(fail(
                    "States.Runtime",
                    format!(
                        "more than {MAX_TRANSITIONS} state transitions: is there a loop without an exit?"
                    ),
                ));
            }
            let state = machine
                .get("States")
                .and_then(|s| s.get(&current))
                .ok_or_else(|| fail("States.Runtime", format!("there is no state `{current}`")))?;
            match self.state(&current, state, input, variables, &language)? {
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
        name: &str,
        state: &Value,
        raw: Value,
        variables: &mut Map<String, Value>,
        language: &str,
    ) -> Result<Next, Failure> {
        let kind = state.get("Type").and_then(Value::as_str).unwrap_or("Pass");
        let jsonata = state
            .get("QueryLanguage")
            .and_then(Value::as_str)
            .unwrap_or(language)
            == "JSONata";
        let language = if jsonata { "JSONata" } else { "JSONPath" };
        self.event(
            &format!("{kind}StateEntered"),
            Some((
                "stateEnteredEventDetails",
                json!({ "name": name, "input": raw }),
            )),
        );
        let result = self.body(name, kind, state, &raw, variables, language, jsonata);
        let (output, next) = match result {
            Ok(done) => done,
            Err(failure) if failure.fatal.is_none() => {
                // catchers
                let catchers = state.get("Catch").and_then(Value::as_array);
                let Some(catcher) = catchers.into_iter().flatten().find(|c| {
                    c.get("ErrorEquals")
                        .is_some_and(|e| is_match(&failure.error, e))
                }) else {
                    return Err(failure);
                };
                let error_output = json!({ "Error": failure.error, "Cause": failure.cause });
                let output = if jsonata {
                    let mut bindings = variables.clone();
                    bindings.insert(
                        "states".into(),
                        json!({ "input": raw, "errorOutput": error_output, "context": self.context(name, 0, None) }),
                    );
                    let output = match catcher.get("Output") {
                        Some(o) => jsonata::template(o, &bindings)
                            .map_err(|e| fail("States.QueryEvaluationError", e))?,
                        None => error_output.clone(),
                    };
                    if let Some(assign) = catcher.get("Assign") {
                        let assigned = jsonata::template(assign, &bindings)
                            .map_err(|e| fail("States.QueryEvaluationError", e))?;
                        extend(variables, assigned);
                    }
                    output
                } else {
                    if let Some(assign) = catcher.get("Assign") {
                        let context = self.context(name, 0, None);
                        let scope = Scope {
                            input: &error_output,
                            context: &context,
                            variables,
                        };
                        let assigned = paths::template(assign, &scope)?;
                        extend(variables, assigned);
                    }
                    match catcher.get("ResultPath") {
                        Some(Value::Null) => raw.clone(),
                        Some(Value::String(p)) => paths::set(&raw, p, error_output)
                            .map_err(|e| fail("States.ResultPathMatchFailure", e))?,
                        _ => error_output,
                    }
                };
                let next = catcher
                    .get("Next")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                (output, Some(next))
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

    /// A state's work: its output and where it goes (None: the end).
    #[allow(clippy::too_many_arguments)]
    fn body(
        &mut self,
        name: &str,
        kind: &str,
        state: &Value,
        raw: &Value,
        variables: &mut Map<String, Value>,
        language: &str,
        jsonata: bool,
    ) -> Result<(Value, Option<String>), Failure> {
        let next = state
            .get("Next")
            .and_then(Value::as_str)
            .map(str::to_string);
        let mut context = self.context(name, 0, None);
        if kind == "Task" {
            // the token a `.waitForTaskToken` task hands out (the mock answers for the callback)
            let calls = self.invocations.get(name).copied().unwrap_or(0);
            context["Task"] =
                json!({ "Token": format!("local-task-token-{}-{calls}", name.replace(' ', "_")) });
        }
        // JSONPath: the effective input
        let effective = if jsonata {
            raw.clone()
        } else {
            match state.get("InputPath") {
                Some(Value::Null) => json!({}),
                Some(Value::String(p)) => paths::select(
                    p,
                    &Scope {
                        input: raw,
                        context: &context,
                        variables,
                    },
                )
                .map_err(|e| fail("States.Runtime", format!("InputPath: {e}")))?,
                _ => raw.clone(),
            }
        };
        let states_of = |extra: Value, variables: &Map<String, Value>| -> Map<String, Value> {
            let mut b = variables.clone();
            let mut states = json!({ "input": raw, "context": context });
            if let Value::Object(e) = extra {
                for (k, v) in e {
                    states[k] = v;
                }
            }
            b.insert("states".into(), states);
            b
        };
        let expr = |v: &Value, bindings: &Map<String, Value>| -> Result<Value, Failure> {
            jsonata::template(v, bindings).map_err(|e| fail("States.QueryEvaluationError", e))
        };
        match kind {
            "Succeed" => {
                let out = if jsonata {
                    match state.get("Output") {
                        Some(o) => expr(o, &states_of(json!({}), variables))?,
                        None => raw.clone(),
                    }
                } else {
                    self.output_path(state, effective, &context, variables)?
                };
                Ok((out, None))
            }
            "Fail" => {
                let (mut error, mut cause) = (
                    state.get("Error").cloned().unwrap_or(Value::Null),
                    state.get("Cause").cloned().unwrap_or(Value::Null),
                );
                if jsonata {
                    let b = states_of(json!({}), variables);
                    error = expr(&error, &b)?;
                    cause = expr(&cause, &b)?;
                } else {
                    let scope = Scope {
                        input: &effective,
                        context: &context,
                        variables,
                    };
                    for (field, target) in [("ErrorPath", &mut error), ("CausePath", &mut cause)] {
                        if let Some(p) = state.get(field).and_then(Value::as_str) {
                            *target = if p.starts_with("States.") {
                                super::intrinsics::evaluate(p, &scope)
                                    .map_err(|e| fail("States.IntrinsicFailure", e))?
                            } else {
                                paths::select(p, &scope).map_err(|e| fail("States.Runtime", e))?
                            };
                        }
                    }
                }
                let text = |v: Value| match v {
                    Value::String(s) => s,
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                Err(fail(&text(error), text(cause)))
            }
            "Choice" => {
                let rules = state
                    .get("Choices")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let mut chosen = None;
                for rule in &rules {
                    let matched = if jsonata {
                        match rule.get("Condition") {
                            Some(Value::Bool(b)) => *b,
                            Some(c) => {
                                let v = expr(c, &states_of(json!({}), variables))?;
                                match v {
                                    Value::Bool(b) => b,
                                    other => {
                                        return Err(fail(
                                            "States.QueryEvaluationError",
                                            format!(
                                                "a Condition must give true or false, not {other}"
                                            ),
                                        ));
                                    }
                                }
                            }
                            None => false,
                        }
                    } else {
                        evaluate_rule(
                            rule,
                            &Scope {
                                input: &effective,
                                context: &context,
                                variables,
                            },
                        )?
                    };
                    if matched {
                        chosen = Some(rule);
                        break;
                    }
                }
                let target = match chosen {
                    Some(rule) => rule.get("Next").and_then(Value::as_str).map(str::to_string),
                    None => state
                        .get("Default")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                };
                let Some(target) = target else {
                    return Err(fail(
                        "States.NoChoiceMatched",
                        format!("no Choice rule of `{name}` matched, and it has no Default"),
                    ));
                };
                let output = if jsonata {
                    let b = states_of(json!({}), variables);
                    let out = match chosen.and_then(|r| r.get("Output")).or(state.get("Output")) {
                        Some(o) => expr(o, &b)?,
                        None => raw.clone(),
                    };
                    if let Some(a) = chosen.and_then(|r| r.get("Assign")).or(state.get("Assign")) {
                        let assigned = expr(a, &b)?;
                        extend(variables, assigned);
                    }
                    out
                } else {
                    let assign = chosen.and_then(|r| r.get("Assign")).or(state.get("Assign"));
                    self.pass_through(state, assign, effective, &context, variables)?
                };
                Ok((output, Some(target)))
            }
            "Wait" => {
                let b = states_of(json!({}), variables);
                let scope = Scope {
                    input: &effective,
                    context: &context,
                    variables,
                };
                let value_of = |field: &str| -> Result<Option<Value>, Failure> {
                    Ok(match state.get(field) {
                        None => None,
                        Some(v) if field.ends_with("Path") => Some(
                            paths::select(v.as_str().unwrap_or("$"), &scope)
                                .map_err(|e| fail("States.Runtime", e))?,
                        ),
                        Some(v) if jsonata => Some(expr(v, &b)?),
                        Some(v) => Some(v.clone()),
                    })
                };
                let seconds = value_of("Seconds")?.or(value_of("SecondsPath")?);
                let timestamp = value_of("Timestamp")?.or(value_of("TimestampPath")?);
                let wait = match (seconds, timestamp) {
                    (Some(s), _) => s.as_f64().filter(|s| *s >= 0.0).ok_or_else(|| {
                        fail(
                            "States.Runtime",
                            format!("the wait of `{name}` is not a number of seconds: {s}"),
                        )
                    })?,
                    (None, Some(t)) => {
                        let at = t.as_str().and_then(parse_timestamp).ok_or_else(|| {
                            fail(
                                "States.Runtime",
                                format!("the wait of `{name}` is not a timestamp: {t}"),
                            )
                        })?;
                        (at - self.clock).max(0.0)
                    }
                    (None, None) => 0.0,
                };
                self.advance(wait);
                let output = if jsonata {
                    let out = match state.get("Output") {
                        Some(o) => expr(o, &b)?,
                        None => raw.clone(),
                    };
                    if let Some(a) = state.get("Assign") {
                        extend(variables, expr(a, &b)?);
                    }
                    out
                } else {
                    self.pass_through(state, state.get("Assign"), effective, &context, variables)?
                };
                Ok((output, next))
            }
            "Pass" => {
                if jsonata {
                    let b = states_of(json!({}), variables);
                    let out = match state.get("Output") {
                        Some(o) => expr(o, &b)?,
                        None => raw.clone(),
                    };
                    if let Some(a) = state.get("Assign") {
                        extend(variables, expr(a, &b)?);
                    }
                    return Ok((out, next));
                }
                let result = match (state.get("Result"), state.get("Parameters")) {
                    (Some(r), _) => r.clone(),
                    (None, Some(p)) => paths::template(
                        p,
                        &Scope {
                            input: &effective,
                            context: &context,
                            variables,
                        },
                    )?,
                    (None, None) => effective.clone(),
                };
                self.finish_jsonpath(state, raw, result, &context, variables)
                    .map(|o| (o, next))
            }
            "Task" | "Map" | "Parallel" => {
                // the input the work gets
                let (work_input, bindings) = if jsonata {
                    let b = states_of(json!({}), variables);
                    let input = match state.get("Arguments") {
                        Some(a) => expr(a, &b)?,
                        None => raw.clone(),
                    };
                    (input, Some(b))
                } else if kind != "Map" {
                    let input = match state.get("Parameters") {
                        Some(p) => paths::template(
                            p,
                            &Scope {
                                input: &effective,
                                context: &context,
                                variables,
                            },
                        )?,
                        None => effective.clone(),
                    };
                    (input, None)
                } else {
                    (effective.clone(), None)
                };
                let result = self.with_retries(
                    name,
                    kind,
                    state,
                    &work_input,
                    variables,
                    language,
                    &bindings,
                )?;
                if jsonata {
                    let b = states_of(json!({ "result": result }), variables);
                    let out = match state.get("Output") {
                        Some(o) => expr(o, &b)?,
                        None => result,
                    };
                    if let Some(a) = state.get("Assign") {
                        extend(variables, expr(a, &b)?);
                    }
                    return Ok((out, next));
                }
                let result = match state.get("ResultSelector") {
                    Some(s) => paths::template(
                        s,
                        &Scope {
                            input: &result,
                            context: &context,
                            variables,
                        },
                    )?,
                    None => result,
                };
                self.finish_jsonpath(state, raw, result, &context, variables)
                    .map(|o| (o, next))
            }
            other => Err(fail(
                "States.Runtime",
                format!("`{other}` is not a state type"),
            )),
        }
    }

    /// JSONPath's end of a state without a result (Choice, Wait): Assign from
    /// the effective input, then OutputPath.
    fn pass_through(
        &mut self,
        state: &Value,
        assign: Option<&Value>,
        effective: Value,
        context: &Value,
        variables: &mut Map<String, Value>,
    ) -> Result<Value, Failure> {
        if let Some(a) = assign {
            let assigned = paths::template(
                a,
                &Scope {
                    input: &effective,
                    context,
                    variables,
                },
            )?;
            extend(variables, assigned);
        }
        self.output_path(state, effective, context, variables)
    }

    /// JSONPath's end of a state: Assign (from the result), ResultPath, OutputPath.
    fn finish_jsonpath(
        &mut self,
        state: &Value,
        raw: &Value,
        result: Value,
        context: &Value,
        variables: &mut Map<String, Value>,
    ) -> Result<Value, Failure> {
        if let Some(a) = state.get("Assign") {
            let assigned = paths::template(
                a,
                &Scope {
                    input: &result,
                    context,
                    variables,
                },
            )?;
            extend(variables, assigned);
        }
        let merged = match state.get("ResultPath") {
            Some(Value::Null) => raw.clone(),
            Some(Value::String(p)) => {
                paths::set(raw, p, result).map_err(|e| fail("States.ResultPathMatchFailure", e))?
            }
            _ => result,
        };
        self.output_path(state, merged, context, variables)
    }

    fn output_path(
        &self,
        state: &Value,
        value: Value,
        context: &Value,
        variables: &Map<String, Value>,
    ) -> Result<Value, Failure> {
        match state.get("OutputPath") {
            Some(Value::Null) => Ok(json!({})),
            Some(Value::String(p)) => paths::select(
                p,
                &Scope {
                    input: &value,
                    context,
                    variables,
                },
            )
            .map_err(|e| fail("States.Runtime", format!("OutputPath: {e}"))),
            _ => Ok(value),
        }
    }

    /// The work of a Task, Map or Parallel state, retried as its `Retry` says.
    #[allow(clippy::too_many_arguments)]
    fn with_retries(
        &mut self,
        name: &str,
        kind: &str,
        state: &Value,
        input: &Value,
        variables: &Map<String, Value>,
        language: &str,
        bindings: &Option<Map<String, Value>>,
    ) -> Result<Value, Failure> {
        let retriers = state
            .get("Retry")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut counts = vec![0u32; retriers.len()];
        loop {
            let result = match kind {
                "Task" => self.task(name, state, input, variables, bindings),
                "Map" => self.map(name, state, input, variables, language, bindings),
                _ => self.parallel(state, input, variables, language),
            };
            let failure = match result {
                Ok(v) => return Ok(v),
                Err(f) => f,
            };
            if failure.fatal.is_some() || failure.error == "States.Runtime" {
                return Err(failure);
            }
            let Some(i) = retriers.iter().position(|r| {
                r.get("ErrorEquals")
                    .is_some_and(|e| is_match(&failure.error, e))
            }) else {
                return Err(failure);
            };
            let r = &retriers[i];
            let max = r.get("MaxAttempts").and_then(Value::as_u64).unwrap_or(3) as u32;
            if counts[i] >= max {
                return Err(failure);
            }
            let interval = r
                .get("IntervalSeconds")
                .and_then(Value::as_f64)
                .unwrap_or(1.0);
            let backoff = r.get("BackoffRate").and_then(Value::as_f64).unwrap_or(2.0);
            let mut delay = interval * backoff.powi(counts[i] as i32);
            if let Some(cap) = r.get("MaxDelaySeconds").and_then(Value::as_f64) {
                delay = delay.min(cap);
            }
            if r.get("JitterStrategy").and_then(Value::as_str) == Some("FULL") {
                delay = self.rng.random_range(0.0..=delay);
            }
            counts[i] += 1;
            self.advance(delay);
        }
    }

    fn task(
        &mut self,
        name: &str,
        state: &Value,
        input: &Value,
        variables: &Map<String, Value>,
        bindings: &Option<Map<String, Value>>,
    ) -> Result<Value, Failure> {
        let calls = self.invocations.entry(name.to_string()).or_insert(0);
        let attempt = *calls;
        *calls += 1;
        let resource = state
            .get("Resource")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let timeout = self.seconds_field(state, "TimeoutSeconds", input, variables, bindings)?;
        self.event(
            "TaskScheduled",
            Some(("taskScheduledEventDetails", json!({ "resource": resource, "parameters": input.to_string(), "timeoutInSeconds": timeout }))),
        );
        self.event(
            "TaskStarted",
            Some(("taskStartedEventDetails", json!({ "resource": resource }))),
        );
        let Some(answer) = self.mocks.answer(name, attempt).cloned() else {
            return Err(Failure {
                error: "States.Runtime".into(),
                cause: format!("the Task `{name}` has no mocked response"),
                fatal: Some(RunError::Unmocked(name.to_string())),
            });
        };
        let (delay, heartbeats) = match &answer {
            Response::Return {
                delay, heartbeats, ..
            }
            | Response::Throw {
                delay, heartbeats, ..
            } => (*delay, *heartbeats),
        };
        let heartbeat =
            self.seconds_field(state, "HeartbeatSeconds", input, variables, bindings)?;
        if let Some(h) = heartbeat
            && !heartbeats
            && delay > h
            && timeout.is_none_or(|t| h < t)
        {
            return Err(self.timed_out(
                h,
                resource,
                "States.HeartbeatTimeout",
                format!("the Task `{name}` sent no heartbeat for {h} s"),
            ));
        }
        if let Some(t) = timeout
            && delay > t
        {
            return Err(self.timed_out(
                t,
                resource,
                "States.Timeout",
                format!("the Task `{name}` took longer than its {t} s"),
            ));
        }
        self.advance(delay);
        match answer {
            Response::Return { value, .. } => {
                self.event(
                    "TaskSucceeded",
                    Some((
                        "taskSucceededEventDetails",
                        json!({ "resource": resource, "output": value.to_string() }),
                    )),
                );
                Ok(value)
            }
            Response::Throw { error, cause, .. } => {
                self.event(
                    "TaskFailed",
                    Some((
                        "taskFailedEventDetails",
                        json!({ "resource": resource, "error": error, "cause": cause }),
                    )),
                );
                Err(fail(&error, cause))
            }
        }
    }

    /// A task that ran out of time after `seconds`: the clock, the event, the failure.
    fn timed_out(&mut self, seconds: f64, resource: &str, error: &str, cause: String) -> Failure {
        self.advance(seconds);
        self.event(
            "TaskTimedOut",
            Some((
                "taskTimedOutEventDetails",
                json!({ "error": error, "resource": resource }),
            )),
        );
        fail(error, cause)
    }

    fn seconds_field(
        &self,
        state: &Value,
        field: &str,
        input: &Value,
        variables: &Map<String, Value>,
        bindings: &Option<Map<String, Value>>,
    ) -> Result<Option<f64>, Failure> {
        if let Some(v) = state.get(field) {
            return match (v, bindings) {
                (Value::String(_), Some(b)) => jsonata::template(v, b)
                    .map_err(|e| fail("States.QueryEvaluationError", e))
                    .map(|v| v.as_f64()),
                _ => Ok(v.as_f64()),
            };
        }
        if let Some(p) = state.get(format!("{field}Path")).and_then(Value::as_str) {
            let context = json!({});
            return paths::select(
                p,
                &Scope {
                    input,
                    context: &context,
                    variables,
                },
            )
            .map(|v| v.as_f64())
            .map_err(|e| fail("States.Runtime", e));
        }
        Ok(None)
    }

    /// Run sub-machines that start together, `concurrency` at a time (0: all),
    /// on the virtual clock: the state ends when the last one does. Each result
    /// comes with the time it ended.
    fn together<T>(
        &mut self,
        count: usize,
        concurrency: usize,
        mut run: impl FnMut(&mut Self, usize) -> T,
    ) -> Vec<(T, f64)> {
        let start = self.clock;
        let slots = if concurrency == 0 {
            count.max(1)
        } else {
            concurrency
        };
        let mut free = vec![start; slots.min(count.max(1))];
        let mut end = start;
        let mut out = Vec::with_capacity(count);
        for i in 0..count {
            let (slot, at) = free
                .iter()
                .enumerate()
                .min_by(|a, b| a.1.total_cmp(b.1))
                .map(|(s, t)| (s, *t))
                .unwrap_or((0, start));
            self.clock = at;
            let result = run(self, i);
            out.push((result, self.clock));
            free[slot] = self.clock;
            end = end.max(self.clock);
        }
        self.clock = end;
        out
    }

    fn parallel(
        &mut self,
        state: &Value,
        input: &Value,
        variables: &Map<String, Value>,
        language: &str,
    ) -> Result<Value, Failure> {
        let branches = state
            .get("Branches")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        self.event("ParallelStateStarted", None);
        let results = self.together(branches.len(), 0, |exec, i| {
            let mut scope = variables.clone();
            exec.machine(&branches[i], input.clone(), &mut scope, language)
        });
        // a run error (an unmocked Task) first; else the branch that failed first (on the clock)
        if let Some(f) = results
            .iter()
            .find_map(|(r, _)| r.as_ref().err().filter(|f| f.fatal.is_some()))
        {
            return Err(f.clone());
        }
        let first_failure = results
            .iter()
            .filter_map(|(r, at)| r.as_ref().err().map(|f| (f, *at)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(f, _)| f.clone());
        if let Some(f) = first_failure {
            self.event(
                "ParallelStateFailed",
                Some((
                    "parallelStateFailedEventDetails",
                    json!({ "error": f.error, "cause": f.cause }),
                )),
            );
            return Err(f);
        }
        let out: Vec<Value> = results.into_iter().filter_map(|(r, _)| r.ok()).collect();
        self.event("ParallelStateSucceeded", None);
        Ok(Value::Array(out))
    }

    fn map(
        &mut self,
        name: &str,
        state: &Value,
        input: &Value,
        variables: &Map<String, Value>,
        language: &str,
        bindings: &Option<Map<String, Value>>,
    ) -> Result<Value, Failure> {
        let jsonata = bindings.is_some();
        let context = self.context(name, 0, None);
        // the items
        let items = if state.get("ItemReader").is_some() {
            // a distributed Map reads them from S3: the mock of the Map state gives them
            match self.mocks.answer(name, 0) {
                Some(Response::Return { value, .. }) => value.clone(),
                Some(Response::Throw { error, cause, .. }) => {
                    return Err(fail(error, cause.clone()));
                }
                None => {
                    return Err(Failure {
                        error: "States.ItemReaderFailed".into(),
                        cause: format!(
                            "the Map `{name}` reads its items with ItemReader: mock them under its name"
                        ),
                        fatal: Some(RunError::Unmocked(name.to_string())),
                    });
                }
            }
        } else if let Some(b) = bindings {
            match state.get("Items") {
                Some(i) => {
                    jsonata::template(i, b).map_err(|e| fail("States.QueryEvaluationError", e))?
                }
                None => input.clone(),
            }
        } else {
            match state.get("ItemsPath").and_then(Value::as_str) {
                Some(p) => paths::select(
                    p,
                    &Scope {
                        input,
                        context: &context,
                        variables,
                    },
                )
                .map_err(|e| fail("States.Runtime", format!("ItemsPath: {e}")))?,
                None => input.clone(),
            }
        };
        let Value::Array(mut items) = items else {
            return Err(fail(
                "States.Runtime",
                format!("the items of the Map `{name}` are not an array: {items}"),
            ));
        };
        if let Some(batcher) = state.get("ItemBatcher") {
            let size = batcher
                .get("MaxItemsPerBatch")
                .and_then(Value::as_u64)
                .unwrap_or(items.len().max(1) as u64)
                .max(1) as usize;
            let batch_input = batcher.get("BatchInput").cloned();
            items = items
                .chunks(size)
                .map(|c| {
                    let mut b = json!({ "Items": c });
                    if let Some(extra) = &batch_input {
                        b["BatchInput"] = extra.clone();
                    }
                    b
                })
                .collect();
        }
        let processor = state
            .get("ItemProcessor")
            .or(state.get("Iterator"))
            .cloned()
            .unwrap_or(Value::Null);
        let concurrency = state
            .get("MaxConcurrency")
            .and_then(Value::as_u64)
            .unwrap_or(0) as usize;
        let selector = state.get("ItemSelector").or(if jsonata {
            None
        } else {
            state.get("Parameters")
        });
        self.event(
            "MapStateStarted",
            Some((
                "mapStateStartedEventDetails",
                json!({ "length": items.len() }),
            )),
        );
        let results = self.together(
            items.len(),
            concurrency,
            |exec, i| -> Result<Value, Failure> {
                let item = (i, items[i].clone());
                let context = exec.context(name, 0, Some(&item));
                let iteration_input = match (selector, bindings) {
                    (Some(sel), Some(b)) => {
                        let mut b = b.clone();
                        b.insert(
                            "states".into(),
                            json!({ "input": input, "context": context }),
                        );
                        jsonata::template(sel, &b)
                            .map_err(|e| fail("States.QueryEvaluationError", e))?
                    }
                    (Some(sel), None) => paths::template(
                        sel,
                        &Scope {
                            input,
                            context: &context,
                            variables,
                        },
                    )?,
                    (None, _) => item.1.clone(),
                };
                exec.event(
                    "MapIterationStarted",
                    Some((
                        "mapIterationStartedEventDetails",
                        json!({ "name": name, "index": i }),
                    )),
                );
                let mut scope = variables.clone();
                let r = exec.machine(&processor, iteration_input, &mut scope, language);
                match &r {
                    Ok(_) => exec.event(
                        "MapIterationSucceeded",
                        Some((
                            "mapIterationSucceededEventDetails",
                            json!({ "name": name, "index": i }),
                        )),
                    ),
                    Err(f) => exec.event(
                        "MapIterationFailed",
                        Some((
                            "mapIterationFailedEventDetails",
                            json!({ "name": name, "index": i, "error": f.error, "cause": f.cause }),
                        )),
                    ),
                }
                r
            },
        );
        let tolerated_count = state.get("ToleratedFailureCount").and_then(Value::as_u64);
        let tolerated_percentage = state
            .get("ToleratedFailurePercentage")
            .and_then(Value::as_f64);
        let failed = results.iter().filter(|(r, _)| r.is_err()).count();
        let mut out = Vec::new();
        for (r, _) in results {
            match r {
                Ok(v) => out.push(v),
                Err(f) if f.fatal.is_some() => return Err(f),
                Err(f) => {
                    if tolerated_count.is_none() && tolerated_percentage.is_none() {
                        self.event("MapStateFailed", None);
                        return Err(f);
                    }
                    out.push(json!({ "Error": f.error, "Cause": f.cause }));
                }
            }
        }
        if failed > 0 {
            let over_count = tolerated_count.is_some_and(|c| failed as u64 > c);
            let over_share = tolerated_percentage
                .is_some_and(|p| (failed as f64) * 100.0 / (out.len().max(1) as f64) > p);
            let within = (tolerated_count.is_some() && !over_count)
                || (tolerated_percentage.is_some() && !over_share);
            if !within {
                self.event("MapStateFailed", None);
                return Err(fail(
                    "States.ExceedToleratedFailureThreshold",
                    format!(
                        "{failed} of {} items failed, more than the Map `{name}` tolerates",
                        out.len()
                    ),
                ));
            }
        }
        self.event("MapStateSucceeded", None);
        Ok(Value::Array(out))
    }
}

fn extend(variables: &mut Map<String, Value>, assigned: Value) {
    if let Value::Object(map) = assigned {
        for (k, v) in map {
            variables.insert(k.trim_end_matches(".$").to_string(), v);
        }
    }
}

/// A JSONPath Choice rule against the state's effective input.
fn evaluate_rule(rule: &Value, scope: &Scope) -> Result<bool, Failure> {
    if let Some(all) = rule.get("And").and_then(Value::as_array) {
        for r in all {
            if !evaluate_rule(r, scope)? {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    if let Some(any) = rule.get("Or").and_then(Value::as_array) {
        for r in any {
            if evaluate_rule(r, scope)? {
                return Ok(true);
            }
        }
        return Ok(false);
    }
    if let Some(not) = rule.get("Not") {
        return Ok(!evaluate_rule(not, scope)?);
    }
    let variable = rule.get("Variable").and_then(Value::as_str).unwrap_or("$");
    let value = paths::select(variable, scope).ok();
    let Some((op, expected)) = rule
        .as_object()
        .into_iter()
        .flatten()
        .find(|(k, _)| !matches!(k.as_str(), "Variable" | "Next" | "Comment" | "Assign"))
    else {
        return Ok(false);
    };
    let mut op = op.as_str();
    let expected = if let Some(base) = op.strip_suffix("Path").filter(|b| !b.starts_with("Is")) {
        op = base;
        match paths::select(expected.as_str().unwrap_or("$"), scope) {
            Ok(v) => v,
            Err(e) => return Err(fail("States.Runtime", format!("{op}Path: {e}"))),
        }
    } else {
        expected.clone()
    };
    let truth = expected.as_bool().unwrap_or(false);
    Ok(match op {
        "IsPresent" => value.is_some() == truth,
        "IsNull" => value.as_ref().is_some_and(Value::is_null) == truth,
        "IsNumeric" => value.as_ref().is_some_and(Value::is_number) == truth,
        "IsString" => value.as_ref().is_some_and(Value::is_string) == truth,
        "IsBoolean" => value.as_ref().is_some_and(Value::is_boolean) == truth,
        "IsTimestamp" => {
            value
                .as_ref()
                .and_then(Value::as_str)
                .is_some_and(super::validate::is_timestamp)
                == truth
        }
        _ => {
            let Some(value) = value else {
                return Err(fail(
                    "States.Runtime",
                    format!(
                        "Invalid path '{variable}': the choice state's condition path references an invalid value"
                    ),
                ));
            };
            compare(op, &value, &expected)
        }
    })
}

fn compare(op: &str, value: &Value, expected: &Value) -> bool {
    use std::cmp::Ordering::*;
    let order = |a: Option<std::cmp::Ordering>| -> bool {
        let Some(o) = a else { return false };
        match op
            .trim_start_matches("String")
            .trim_start_matches("Numeric")
            .trim_start_matches("Timestamp")
        {
            "Equals" => o == Equal,
            "LessThan" => o == Less,
            "GreaterThan" => o == Greater,
            "LessThanEquals" => o != Greater,
            "GreaterThanEquals" => o != Less,
            _ => false,
        }
    };
    if op == "StringMatches" {
        return match (value.as_str(), expected.as_str()) {
            (Some(v), Some(p)) => wildcard(p, v),
            _ => false,
        };
    }
    if op == "BooleanEquals" {
        return value.as_bool().is_some() && value == expected;
    }
    if op.starts_with("String") {
        return order(match (value.as_str(), expected.as_str()) {
            (Some(a), Some(b)) => Some(a.cmp(b)),
            _ => None,
        });
    }
    if op.starts_with("Numeric") {
        return order(match (value.as_f64(), expected.as_f64()) {
            (Some(a), Some(b)) => a.partial_cmp(&b),
            _ => None,
        });
    }
    if op.starts_with("Timestamp") {
        return order(
            match (
                value.as_str().and_then(parse_timestamp),
                expected.as_str().and_then(parse_timestamp),
            ) {
                (Some(a), Some(b)) => a.partial_cmp(&b),
                _ => None,
            },
        );
    }
    false
}

/// `StringMatches`: `*` matches any run of characters; `\*` and `\\` are literal.
fn wildcard(pattern: &str, text: &str) -> bool {
    enum Piece {
        Star,
        Char(char),
    }
    let mut pieces = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => pieces.push(Piece::Char(chars.next().unwrap_or('\\'))),
            '*' => pieces.push(Piece::Star),
            c => pieces.push(Piece::Char(c)),
        }
    }
    let text: Vec<char> = text.chars().collect();
    // dynamic programming over (piece, position)
    let mut reach = vec![false; text.len() + 1];
    reach[0] = true;
    for piece in &pieces {
        let mut next = vec![false; text.len() + 1];
        match piece {
            Piece::Star => {
                let mut any = false;
                for i in 0..=text.len() {
                    any |= reach[i];
                    next[i] = any;
                }
            }
            Piece::Char(c) => {
                for i in 0..text.len() {
                    if reach[i] && text[i] == *c {
                        next[i + 1] = true;
                    }
                }
            }
        }
        reach = next;
    }
    reach[text.len()]
}

/// Run a definition with an input.
pub fn run(
    definition: &Value,
    input: Value,
    mocks: &Mocks,
    options: &Options,
) -> Result<Outcome, RunError> {
    let name = options.name.clone();
    let machine_name = "local".to_string();
    // ARNs as the service writes them, for definitions that take them apart
    let id = if options.express {
        format!(
            "arn:aws:states:us-east-1:123456789012:express:{machine_name}:{name}:00000000-0000-4000-8000-000000000000"
        )
    } else {
        format!("arn:aws:states:us-east-1:123456789012:execution:{machine_name}:{name}")
    };
    let text = definition.to_string();
    let context_input = text.contains("Execution.Input")
        || text.contains("$states.context")
        || text.contains("\"$$\"")
        || text.contains("$$.Execution\"");
    let execution = json!({
        "Id": id,
        "Name": name,
        "RoleArn": "arn:aws:iam::123456789012:role/local",
        "StartTime": iso(options.start),
    });
    let mut exec = Exec {
        mocks,
        options,
        history: Vec::new(),
        clock: options.start,
        rng: rand::rngs::StdRng::seed_from_u64(options.seed),
        invocations: HashMap::new(),
        deadline: definition
            .get("TimeoutSeconds")
            .and_then(Value::as_f64)
            .map(|t| options.start + t),
        execution,
        input: input.clone(),
        context_input,
        machine_name,
    };
    exec.event(
        "ExecutionStarted",
        Some((
            "executionStartedEventDetails",
            json!({ "input": input.to_string() }),
        )),
    );
    let language = definition
        .get("QueryLanguage")
        .and_then(Value::as_str)
        .unwrap_or("JSONPath")
        .to_string();
    let mut variables = Map::new();
    let result = exec.machine(definition, input, &mut variables, &language);
    let timed_out = exec.deadline.is_some_and(|d| exec.clock > d);
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
            }
        }
        Err(Failure { fatal: Some(e), .. }) => return Err(e),
        _ if timed_out => {
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
                cause: Some("the execution ran longer than its TimeoutSeconds".into()),
                history: Vec::new(),
                duration: 0.0,
            }
        }
        Err(f) => {
            exec.event(
                "ExecutionFailed",
                Some((
                    "executionFailedEventDetails",
                    json!({ "error": f.error, "cause": f.cause }),
                )),
            );
            Outcome {
                status: Status::Failed,
                output: None,
                error: Some(f.error),
                cause: Some(f.cause),
                history: Vec::new(),
                duration: 0.0,
            }
        }
        Ok(_) => unreachable!("handled above"),
    };
    Ok(Outcome {
        history: exec.history,
        duration: exec.clock - options.start,
        ..outcome
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go(definition: Value, input: Value, mocks: Value) -> Outcome {
        let options = Options {
            start: 1_767_225_600.0, // 2026-01-01T00:00:00Z
            ..Options::default()
        };
        run(
            &definition,
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
        let e = run(&d, json!({}), &Mocks::default(), &Options::default()).unwrap_err();
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
            &d,
            json!({}),
            &Mocks::parse(&config, None).unwrap(),
            &options,
        )
        .unwrap();
        assert_eq!(happy.output, Some(json!({"ok": true})));
        let declined = run(
            &d,
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
    }
}
