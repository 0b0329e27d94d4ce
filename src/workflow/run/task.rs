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
        let heartbeat = self.seconds(
            task.heartbeat.as_ref(),
            "HeartbeatSeconds",
            input,
            variables,
            bindings,
        )?;
        let family = Family::of(resource);
        let scheduled = match family {
            Family::Task => {
                json!({ "resource": resource, "parameters": input.to_string(), "timeoutInSeconds": timeout, "heartbeatInSeconds": heartbeat })
            }
            Family::Activity => {
                json!({ "resource": resource, "input": input.to_string(), "timeoutInSeconds": timeout, "heartbeatInSeconds": heartbeat })
            }
            Family::LambdaFunction => {
                json!({ "resource": resource, "input": input.to_string(), "timeoutInSeconds": timeout })
            }
        };
        family.event(self, "Scheduled", scheduled);
        match family {
            Family::Task => family.event(self, "Started", json!({ "resource": resource })),
            // an activity's worker is named by GetActivityTask's caller; Lambda's start has no details
            Family::Activity => family.event(self, "Started", json!({})),
            Family::LambdaFunction => self.event("LambdaFunctionStarted", None),
        }
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
                let mut details = json!({ "output": value.to_string() });
                if family == Family::Task {
                    details["resource"] = json!(resource);
                }
                family.event(self, "Succeeded", details);
                Ok(value)
            }
            Response::Throw { error, cause, .. } => {
                let mut details = json!({ "error": error, "cause": cause });
                if family == Family::Task {
                    details["resource"] = json!(resource);
                }
                family.event(self, "Failed", details);
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
        let family = Family::of(resource);
        let mut details = json!({ "error": error.name(), "cause": cause });
        if family == Family::Task {
            details["resource"] = json!(resource);
        }
        family.event(self, "TimedOut", details);
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

/// Which events a Task's history has, by its resource ("HistoryEvent",
/// Step Functions API reference): an activity's `Activity*`, a Lambda
/// function named by its ARN `LambdaFunction*`, a service integration
/// (`arn:aws:states:::...`) `Task*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Task,
    Activity,
    LambdaFunction,
}

impl Family {
    fn of(resource: &str) -> Family {
        if resource.starts_with("arn:aws:states:") && resource.contains(":activity:") {
            Family::Activity
        } else if resource.starts_with("arn:aws:lambda:") {
            Family::LambdaFunction
        } else {
            Family::Task
        }
    }

    /// Its event `<Family><what>` with `<family><what>EventDetails`.
    fn event(self, exec: &mut Exec<'_>, what: &str, details: Value) {
        let (kind, key) = match self {
            Family::Task => ("Task", "task"),
            Family::Activity => ("Activity", "activity"),
            Family::LambdaFunction => ("LambdaFunction", "lambdaFunction"),
        };
        exec.event(
            &format!("{kind}{what}"),
            Some((&format!("{key}{what}EventDetails"), details)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Mocks, Options, run};
    use crate::workflow::tree::Machine;
    use serde_json::{Value, json};

    fn kinds(resource: &str, mock: Value) -> Vec<String> {
        let d = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource,
            "TimeoutSeconds": 10, "End": true}}});
        let outcome = run(
            &Machine::from_value(&d).unwrap(),
            json!({}),
            &Mocks::parse(&json!({ "T": mock }), None).unwrap(),
            &Options::default(),
        )
        .unwrap();
        outcome
            .history
            .iter()
            .filter_map(|e| e["type"].as_str())
            .filter(|t| !t.starts_with("Execution") && !t.starts_with("TaskState"))
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn an_express_execution_ends_at_five_minutes() {
        let d =
            json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 400, "End": true}}});
        let machine = Machine::from_value(&d).unwrap();
        let options = Options {
            express: true,
            ..Options::default()
        };
        let mocks = Mocks::parse(&json!({}), None).unwrap();
        let outcome = run(&machine, json!({}), &mocks, &options).unwrap();
        assert_eq!(
            outcome.status,
            super::super::Status::TimedOut,
            "{outcome:?}"
        );
        assert_eq!(outcome.duration, 300.0);
        // a Standard one waits
        let outcome = run(&machine, json!({}), &mocks, &Options::default()).unwrap();
        assert_eq!(outcome.status, super::super::Status::Succeeded);
    }

    #[test]
    fn a_tasks_events_are_named_by_its_resource_as_the_service_names_them() {
        let activity = "arn:aws:states:us-east-1:123456789012:activity:packing";
        assert_eq!(
            kinds(activity, json!({ "Return": 1 })),
            ["ActivityScheduled", "ActivityStarted", "ActivitySucceeded"]
        );
        assert_eq!(
            kinds(activity, json!({ "Return": 1, "Delay": 20 })),
            ["ActivityScheduled", "ActivityStarted", "ActivityTimedOut"]
        );
        let function = "arn:aws:lambda:us-east-1:123456789012:function:pack";
        assert_eq!(
            kinds(function, json!({ "Throw": { "Error": "Boom" } })),
            [
                "LambdaFunctionScheduled",
                "LambdaFunctionStarted",
                "LambdaFunctionFailed"
            ]
        );
        assert_eq!(
            kinds("arn:aws:states:::lambda:invoke", json!({ "Return": 1 })),
            ["TaskScheduled", "TaskStarted", "TaskSucceeded"]
        );
    }
}
