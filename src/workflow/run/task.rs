//! Task states: the mock's answer, `TimeoutSeconds` and `HeartbeatSeconds` on
//! the virtual clock, and `Retry` with back-off, max delay and jitter.

use super::*;

impl Exec<'_> {
    /// The work of a Task, Map or Parallel state, retried as its `Retry` says.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn with_retries(
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

    pub(super) fn task(
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
    pub(super) fn timed_out(
        &mut self,
        seconds: f64,
        resource: &str,
        error: &str,
        cause: String,
    ) -> Failure {
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

    pub(super) fn seconds_field(
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
}
