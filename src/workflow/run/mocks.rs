//! Mock files: how a Task answers, per state and per attempt, as Step Functions
//! Local's mock configuration counts them.

use super::*;

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

    pub(super) fn answer(&self, state: &str, attempt: u32) -> Option<&Response> {
        let list = self.responses.get(state)?;
        list.iter()
            .find(|(a, b, _)| (*a..=*b).contains(&attempt))
            .or_else(|| list.iter().max_by_key(|(_, b, _)| *b))
            .map(|(_, _, r)| r)
    }
}
