//! Task states: the mock's answer, `TimeoutSeconds` and `HeartbeatSeconds` on
//! the virtual clock, and `Retry` with back-off, max delay and jitter.

use super::body::{Count, Work, number};
use super::*;
use crate::workflow::tree::{Operand, TaskState};

impl Exec<'_> {
    /// The work of a Task, Map or Parallel state, retried as its `Retry` says.
    pub(super) fn with_retries(
        &mut self,
        state: &State,
        work: Work,
        input: &Value,
        variables: &Map<String, Value>,
        bindings: Option<&Map<String, Value>>,
    ) -> Result<Value, Failure> {
        let retriers = state.errors().map(|e| e.retry.as_slice()).unwrap_or(&[]);
        let mut counts = vec![0u32; retriers.len()];
        // the token the state's parameters were given (`$$.Task.Token`),
        // the same for each of its attempts
        let entered = self.invocations.get(&state.name).copied().unwrap_or(0);
        loop {
            let result = match work {
                Work::Task(task) => {
                    self.task(&state.name, task, input, variables, bindings, entered)
                }
                Work::Map(map) => self.map(&state.name, map, input, variables, bindings),
                Work::Parallel(parallel) => self.parallel(parallel, input, variables),
            };
            let failure = match result {
                Ok(v) => return Ok(v),
                Err(f) => f,
            };
            if failure.fatal.is_some() || failure.fault.error == StatesError::Runtime {
                return Err(failure);
            }
            let Some(i) = retriers
                .iter()
                .position(|r| error_matches(&r.error_equals, &failure.fault.error))
            else {
                return Err(failure);
            };
            let r = &retriers[i];
            if counts[i] >= r.max_attempts {
                return Err(failure);
            }
            let mut delay = r.interval_seconds * r.backoff_rate.powi(counts[i] as i32);
            if let Some(cap) = r.max_delay_seconds {
                delay = delay.min(cap);
            }
            if r.full_jitter {
                delay = self.rng.random_range(0.0..=delay);
            }
            counts[i] += 1;
            self.advance(delay);
        }
    }

    pub(super) fn task(
        &mut self,
        name: &str,
        task: &TaskState,
        input: &Value,
        variables: &Map<String, Value>,
        bindings: Option<&Map<String, Value>>,
        entered: u32,
    ) -> Result<Value, Failure> {
        let calls = self.invocations.entry(name.to_string()).or_insert(0);
        let attempt = *calls;
        *calls += 1;
        let resource = task.resource.as_str();
        let timeout = self.seconds(
            task.timeout.as_ref(),
            "TimeoutSeconds",
            input,
            variables,
            bindings,
        )?;
        self.event(
            "TaskScheduled",
            Some(("taskScheduledEventDetails", json!({ "resource": resource, "parameters": input.to_string(), "timeoutInSeconds": timeout }))),
        );
        self.event(
            "TaskStarted",
            Some(("taskStartedEventDetails", json!({ "resource": resource }))),
        );
        let heartbeat = self.seconds(
            task.heartbeat.as_ref(),
            "HeartbeatSeconds",
            input,
            variables,
            bindings,
        )?;
        // a runner's answer took its time already: the clock is moved, not slept
        let mocked = self.mocks.answer(name, attempt).cloned();
        let ran = mocked.is_none() && self.runner.is_some();
        let answer = match (mocked, self.runner) {
            (Some(answer), _) => Some(answer),
            (None, Some(runner)) => Some(runner.run(&TaskCall {
                state: name,
                resource,
                parameters: input,
                token: &self.task_token(name, entered),
                timeout,
                heartbeat,
            })),
            (None, None) => None,
        };
        if ran {
            self.check_stopped()?;
        }
        let Some(answer) = answer else {
            return Err(Failure {
                located: true,
                no_error: false,
                no_cause: false,
                state: None,
                fault: Fault::new(
                    StatesError::Runtime,
                    format!("the Task `{name}` has no mocked response"),
                ),
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
        if let Some(h) = heartbeat
            && !heartbeats
            && delay > h
            && timeout.is_none_or(|t| h < t)
        {
            return Err(self.timed_out(
                h,
                ran,
                resource,
                StatesError::HeartbeatTimeout,
                format!("the Task `{name}` sent no heartbeat for {h} s"),
            ));
        }
        if let Some(t) = timeout
            && delay > t
        {
            return Err(self.timed_out(
                t,
                ran,
                resource,
                StatesError::Timeout,
                format!("the Task `{name}` took longer than its {t} s"),
            ));
        }
        self.pass(delay, ran);
        match answer {
            Response::Return { value, .. } => {
                // the connector's output is under the payload limit
                within_limit(&value, name)?;
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
                Err(raised(StatesError::from_name(&error), cause))
            }
        }
    }

    /// Move the clock by `seconds`, sleeping them in real time unless they
    /// were spent already (`ran`: a runner's call).
    fn pass(&mut self, seconds: f64, ran: bool) {
        if ran {
            self.clock += seconds.max(0.0);
        } else {
            self.advance(seconds);
        }
    }

    /// The token `$$.Task.Token` gives the `call`th call of the Task `state`.
    pub(super) fn task_token(&self, state: &str, call: u32) -> String {
        format!(
            "{}-{}-{call}",
            self.options.task_tokens,
            state.replace(' ', "_")
        )
    }

    /// A task that ran out of time after `seconds`: the clock, the event, the failure.
    pub(super) fn timed_out(
        &mut self,
        seconds: f64,
        ran: bool,
        resource: &str,
        error: StatesError,
        cause: String,
    ) -> Failure {
        self.pass(seconds, ran);
        self.event(
            "TaskTimedOut",
            Some((
                "taskTimedOutEventDetails",
                json!({ "error": error.name(), "resource": resource }),
            )),
        );
        raised(error, cause)
    }

    /// `TimeoutSeconds` or `HeartbeatSeconds` (a number, a JSONata expression)
    /// or its `…Path` (read from the task's input): a positive integer, else
    /// the state fails (`States.Runtime`, or `States.QueryEvaluationError`).
    pub(super) fn seconds(
        &self,
        field: Option<&Operand>,
        name: &str,
        input: &Value,
        variables: &Map<String, Value>,
        bindings: Option<&Map<String, Value>>,
    ) -> Result<Option<f64>, Failure> {
        let Some(field) = field else {
            return Ok(None);
        };
        let context = json!({});
        let scope = Scope {
            input,
            context: &context,
            variables,
        };
        number(
            field,
            name,
            &scope,
            bindings.unwrap_or(variables),
            Count::Positive,
        )
        .map(Some)
    }
}
