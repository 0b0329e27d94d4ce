//! One state's work and its data flow: input and output processing for JSONPath
//! (`InputPath`, `Parameters`, `ResultSelector`, `ResultPath`, `OutputPath`) and
//! JSONata (`Arguments`, `Output`, `Assign`), per state type.

use super::*;

impl Exec<'_> {
    /// A state's work: its output and where it goes (None: the end).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn body(
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
                                crate::workflow::intrinsics::evaluate(p, &scope)
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
    pub(super) fn pass_through(
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
    pub(super) fn finish_jsonpath(
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

    pub(super) fn output_path(
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
}
