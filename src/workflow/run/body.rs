//! One state's work and its data flow: input and output processing for JSONPath
//! (`InputPath`, `Parameters`, `ResultSelector`, `ResultPath`, `OutputPath`) and
//! JSONata (`Arguments`, `Output`, `Assign`), per state type.

use super::*;
use crate::workflow::tree::{
    Condition, Flow, JsonPathFlow, JsonataFlow, Kind, MapState, Operand, ParallelState, PathField,
    TaskState, Template, Wait,
};

/// What a state's work starts from: its input as it came, its effective
/// input (JSONPath's `InputPath` applied), its context object, JSONata's
/// bindings, and the state it goes to next.
pub(super) struct Start<'a> {
    raw: &'a Value,
    effective: Value,
    context: Value,
    bindings: Map<String, Value>,
    next: Option<String>,
}

/// The work of a Task, Map or Parallel state: what its `Retry` retries.
#[derive(Clone, Copy)]
pub(super) enum Work<'a> {
    Task(&'a TaskState),
    Map(&'a MapState),
    Parallel(&'a ParallelState),
}

/// An operand's value: given, at a path (`States.Runtime` when it selects
/// nothing), from an intrinsic function, or a JSONata template (`field`
/// names it in undefined-value errors).
pub(super) fn operand(
    operand: &Operand,
    field: &str,
    scope: &Scope,
    bindings: &Map<String, Value>,
) -> Result<Value, Failure> {
    Ok(match operand {
        Operand::Literal(v) => v.clone(),
        Operand::Path(p) => p
            .select(scope)
            .map_err(|e| fail(StatesError::Runtime, e.to_string()))?,
        Operand::Intrinsic(call) => call.evaluate(scope)?,
        Operand::Jsonata(j) => j.evaluate(field, bindings)?,
    })
}

/// What a number field must hold when the state runs.
#[derive(Clone, Copy)]
pub(super) enum Count {
    /// An integer ≥ 0 (`MaxConcurrency`, `ToleratedFailureCount`).
    NonNegative,
    /// A Wait's seconds: an integer from 0 to 99999999.
    WaitSeconds,
    /// An integer ≥ 1 (`TimeoutSeconds`, `HeartbeatSeconds`).
    Positive,
    /// A number from 0 to 100 (`ToleratedFailurePercentage`).
    Percentage,
}

/// A number field's value (`MaxConcurrencyPath`, `Wait.SecondsPath`, ...),
/// checked as the service checks it when the state runs: a value of the
/// wrong kind fails the state with `States.Runtime` (a JSONata field with
/// `States.QueryEvaluationError`).
pub(super) fn number(
    op: &Operand,
    field: &str,
    scope: &Scope,
    bindings: &Map<String, Value>,
    count: Count,
) -> Result<f64, Failure> {
    let value = operand(op, field, scope, bindings)?;
    let n = value.as_f64();
    let ok = match count {
        Count::NonNegative => n.is_some_and(|n| n >= 0.0 && n.fract() == 0.0),
        Count::WaitSeconds => {
            n.is_some_and(|n| (0.0..=99_999_999.0).contains(&n) && n.fract() == 0.0)
        }
        Count::Positive => n.is_some_and(|n| n >= 1.0 && n.fract() == 0.0),
        Count::Percentage => n.is_some_and(|n| (0.0..=100.0).contains(&n)),
    };
    if ok {
        return Ok(n.unwrap_or_default());
    }
    let want = match count {
        Count::NonNegative => "a non-negative integer",
        Count::WaitSeconds => "an integer from 0 to 99999999",
        Count::Positive => "a positive integer",
        Count::Percentage => "a number from 0 to 100",
    };
    let error = match op {
        Operand::Jsonata(_) => StatesError::QueryEvaluationError,
        _ => StatesError::Runtime,
    };
    let written = match op {
        Operand::Path(p) => format!("{field}Path '{}'", p.text()),
        _ => field.to_string(),
    };
    Err(fail(
        error,
        format!("The value of {written} must be {want}, but it is {value}."),
    ))
}

impl Exec<'_> {
    /// A state's work: its output and where it goes (None: the end).
    pub(super) fn body(
        &mut self,
        state: &State,
        raw: &Value,
        variables: &mut Map<String, Value>,
    ) -> Result<(Value, Option<String>), Failure> {
        let name = state.name.as_str();
        let next = state.next().map(str::to_string);
        let mut context = self.context(name, 0, None);
        if let Kind::Task(_) = state.kind {
            // the token a `.waitForTaskToken` task hands out (the mock answers for the callback)
            let calls = self.invocations.get(name).copied().unwrap_or(0);
            context["Task"] = json!({ "Token": self.task_token(name, calls) });
        }
        // JSONPath: the effective input
        let effective = match &state.flow {
            Flow::Jsonata(_) => raw.clone(),
            Flow::JsonPath(flow) => match &flow.input_path {
                PathField::Path(p) => p
                    .select(&Scope {
                        input: raw,
                        context: &context,
                        variables,
                    })
                    .map_err(|e| fail(StatesError::Runtime, e.to_string()))?,
                PathField::Null => json!({}),
                PathField::Whole => raw.clone(),
            },
        };
        // JSONata: the variables and `$states` (input and context) the expressions
        // read, the same until the state's `Assign`
        let bindings = match state.flow {
            Flow::Jsonata(_) => {
                let mut b = variables.clone();
                b.insert("states".into(), json!({ "input": raw, "context": context }));
                b
            }
            Flow::JsonPath(_) => Map::new(),
        };
        match (&state.kind, &state.flow) {
            (Kind::Succeed, Flow::Jsonata(flow)) => {
                let out = match &flow.output {
                    Some(o) => o.evaluate("Output", &bindings)?,
                    None => raw.clone(),
                };
                Ok((out, None))
            }
            (Kind::Succeed, Flow::JsonPath(flow)) => Ok((
                self.output_path(flow, effective, &context, variables)?,
                None,
            )),
            (Kind::Fail { error, cause }, _) => {
                let scope = Scope {
                    input: &effective,
                    context: &context,
                    variables,
                };
                let text = |v: Value| match v {
                    Value::String(s) => s,
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                let error = match error {
                    Some(e) => Some(text(operand(e, "Error", &scope, &bindings)?)),
                    None => None,
                };
                let cause = match cause {
                    Some(c) => Some(text(operand(c, "Cause", &scope, &bindings)?)),
                    None => None,
                };
                let mut failure = raised(
                    StatesError::from_name(error.as_deref().unwrap_or_default()),
                    cause.clone().unwrap_or_default(),
                );
                failure.no_error = error.is_none();
                failure.no_cause = cause.is_none();
                Err(failure)
            }
            (Kind::Choice(choice), _) => {
                let mut chosen = None;
                for (i, rule) in choice.rules.iter().enumerate() {
                    let matched = match &rule.condition {
                        Condition::Jsonata(c) => {
                            match c.evaluate(&format!("Choices[{i}]/Condition"), &bindings)? {
                                Value::Bool(b) => b,
                                other => {
                                    return Err(fail(
                                        StatesError::QueryEvaluationError,
                                        format!("a Condition must give true or false, not {other}"),
                                    ));
                                }
                            }
                        }
                        Condition::JsonPath(rule) => evaluate_rule(
                            rule,
                            &Scope {
                                input: &effective,
                                context: &context,
                                variables,
                            },
                        )?,
                    };
                    if matched {
                        chosen = Some(rule);
                        break;
                    }
                }
                let target = match chosen {
                    Some(rule) => Some(rule.next.clone()),
                    None => choice.default.clone(),
                };
                let Some(target) = target else {
                    return Err(fail(
                        StatesError::NoChoiceMatched,
                        format!("no Choice rule of `{name}` matched, and it has no Default"),
                    ));
                };
                let output = match &state.flow {
                    Flow::Jsonata(flow) => {
                        let index = chosen
                            .and_then(|c| choice.rules.iter().position(|r| std::ptr::eq(r, c)));
                        let rule_field = |f: &str| match index {
                            Some(i) => format!("Choices[{i}]/{f}"),
                            None => f.to_string(),
                        };
                        let out = match chosen.and_then(|r| r.output.as_ref()) {
                            Some(o) => o.evaluate(&rule_field("Output"), &bindings)?,
                            None => match flow.output.as_ref() {
                                Some(o) => o.evaluate("Output", &bindings)?,
                                None => raw.clone(),
                            },
                        };
                        match chosen.and_then(|r| r.assign.as_ref()) {
                            Some(Assign::Jsonata(a)) => {
                                extend(variables, a.evaluate(&rule_field("Assign"), &bindings)?)
                            }
                            _ => {
                                if let Some(a) = flow.assign.as_ref() {
                                    extend(variables, a.evaluate("Assign", &bindings)?);
                                }
                            }
                        }
                        out
                    }
                    Flow::JsonPath(flow) => {
                        let assign = match chosen.and_then(|r| r.assign.as_ref()) {
                            Some(Assign::JsonPath(a)) => Some(a),
                            _ => flow.assign.as_ref(),
                        };
                        self.pass_through(flow, assign, effective, &context, variables)?
                    }
                };
                Ok((output, Some(target)))
            }
            (Kind::Wait(wait), _) => {
                let scope = Scope {
                    input: &effective,
                    context: &context,
                    variables,
                };
                let seconds = match wait {
                    Wait::Seconds(s) => {
                        number(s, "Seconds", &scope, &bindings, Count::WaitSeconds)?
                    }
                    Wait::Timestamp(t) => {
                        let t = operand(t, "Timestamp", &scope, &bindings)?;
                        let at = t.as_str().and_then(parse_timestamp).ok_or_else(|| {
                            fail(
                                StatesError::Runtime,
                                format!("the wait of `{name}` is not a timestamp: {t}"),
                            )
                        })?;
                        (at - self.clock).max(0.0)
                    }
                };
                self.advance(seconds);
                let output = match &state.flow {
                    Flow::Jsonata(flow) => {
                        self.jsonata_end(flow, raw.clone(), &bindings, variables)?
                    }
                    Flow::JsonPath(flow) => self.pass_through(
                        flow,
                        flow.assign.as_ref(),
                        effective,
                        &context,
                        variables,
                    )?,
                };
                Ok((output, next))
            }
            (Kind::Pass { result }, flow) => match flow {
                Flow::Jsonata(flow) => {
                    let out = self.jsonata_end(flow, raw.clone(), &bindings, variables)?;
                    Ok((out, next))
                }
                Flow::JsonPath(flow) => {
                    let result = match (result, &flow.parameters) {
                        (Some(r), _) => r.clone(),
                        (None, Some(p)) => p.fill(&Scope {
                            input: &effective,
                            context: &context,
                            variables,
                        })?,
                        (None, None) => effective.clone(),
                    };
                    self.finish_jsonpath(flow, raw, result, &context, variables)
                        .map(|o| (o, next))
                }
            },
            (Kind::Task(task), flow) => {
                let start = Start {
                    raw,
                    effective,
                    context,
                    bindings,
                    next,
                };
                self.work(state, Work::Task(task), flow, start, variables)
            }
            (Kind::Map(map), flow) => {
                let start = Start {
                    raw,
                    effective,
                    context,
                    bindings,
                    next,
                };
                self.work(state, Work::Map(map), flow, start, variables)
            }
            (Kind::Parallel(parallel), flow) => {
                let start = Start {
                    raw,
                    effective,
                    context,
                    bindings,
                    next,
                };
                self.work(state, Work::Parallel(parallel), flow, start, variables)
            }
        }
    }

    /// A Task, Map or Parallel state: its work's input, the work (retried),
    /// then the state's output.
    fn work(
        &mut self,
        state: &State,
        work: Work,
        flow: &Flow,
        start: Start,
        variables: &mut Map<String, Value>,
    ) -> Result<(Value, Option<String>), Failure> {
        let Start {
            raw,
            effective,
            context,
            bindings,
            next,
        } = start;
        let work_input = match flow {
            Flow::Jsonata(flow) => match &flow.arguments {
                Some(a) => a.evaluate("Arguments", &bindings)?,
                None => raw.clone(),
            },
            Flow::JsonPath(flow) => match &flow.parameters {
                Some(p) => p.fill(&Scope {
                    input: &effective,
                    context: &context,
                    variables,
                })?,
                None => effective,
            },
        };
        // the input after Parameters (or Arguments) is under the payload limit
        within_limit(&work_input, &state.name)?;
        let jsonata = matches!(flow, Flow::Jsonata(_)).then_some(&bindings);
        let result = self.with_retries(state, work, &work_input, variables, jsonata)?;
        match flow {
            Flow::Jsonata(flow) => {
                // `$states.result` beside the input and context
                let mut b = bindings;
                if let Some(states) = b.get_mut("states") {
                    states["result"] = result.clone();
                }
                let out = self.jsonata_end(flow, result, &b, variables)?;
                Ok((out, next))
            }
            Flow::JsonPath(flow) => {
                let result = match &flow.result_selector {
                    Some(s) => s.fill(&Scope {
                        input: &result,
                        context: &context,
                        variables,
                    })?,
                    None => result,
                };
                self.finish_jsonpath(flow, raw, result, &context, variables)
                    .map(|o| (o, next))
            }
        }
    }

    /// JSONata's end of a state: `Output` (else `default`), then `Assign`.
    fn jsonata_end(
        &self,
        flow: &JsonataFlow,
        default: Value,
        bindings: &Map<String, Value>,
        variables: &mut Map<String, Value>,
    ) -> Result<Value, Failure> {
        let out = match &flow.output {
            Some(o) => o.evaluate("Output", bindings)?,
            None => default,
        };
        if let Some(a) = &flow.assign {
            extend(variables, a.evaluate("Assign", bindings)?);
        }
        Ok(out)
    }

    /// JSONPath's end of a state without a result (Choice, Wait): Assign from
    /// the effective input, then OutputPath. Every field of a state reads the
    /// variables as they were when it was entered: the state's own `Assign`
    /// takes effect after its `OutputPath` ("Passing data between states
    /// with variables", the developer guide).
    pub(super) fn pass_through(
        &mut self,
        flow: &JsonPathFlow,
        assign: Option<&Template>,
        effective: Value,
        context: &Value,
        variables: &mut Map<String, Value>,
    ) -> Result<Value, Failure> {
        let assigned = match assign {
            Some(a) => Some(a.fill(&Scope {
                input: &effective,
                context,
                variables,
            })?),
            None => None,
        };
        let output = self.output_path(flow, effective, context, variables)?;
        if let Some(assigned) = assigned {
            extend(variables, assigned);
        }
        Ok(output)
    }

    /// JSONPath's end of a state: Assign (from the result), ResultPath, OutputPath.
    pub(super) fn finish_jsonpath(
        &mut self,
        flow: &JsonPathFlow,
        raw: &Value,
        result: Value,
        context: &Value,
        variables: &mut Map<String, Value>,
    ) -> Result<Value, Failure> {
        let assigned = match &flow.assign {
            Some(a) => Some(a.fill(&Scope {
                input: &result,
                context,
                variables,
            })?),
            None => None,
        };
        let merged = match &flow.result_path {
            ResultPath::Discard => raw.clone(),
            ResultPath::Path(p) => p
                .set(raw, result)
                .map_err(|e| fail(StatesError::ResultPathMatchFailure, e))?,
            ResultPath::Replace => result,
        };
        let output = self.output_path(flow, merged, context, variables)?;
        if let Some(assigned) = assigned {
            extend(variables, assigned);
        }
        Ok(output)
    }

    pub(super) fn output_path(
        &self,
        flow: &JsonPathFlow,
        value: Value,
        context: &Value,
        variables: &Map<String, Value>,
    ) -> Result<Value, Failure> {
        match &flow.output_path {
            PathField::Whole => Ok(value),
            PathField::Null => Ok(json!({})),
            PathField::Path(p) => p
                .select(&Scope {
                    input: &value,
                    context,
                    variables,
                })
                .map_err(|e| fail(StatesError::Runtime, e.to_string())),
        }
    }
}
