//! Error names, `Retry` and `Catch`.

use super::*;
use crate::workflow::StatesError;

impl Checker {
    pub(super) fn error_names(&mut self, pointer: &str, v: Option<&Value>, last: bool) {
        let Some(Value::Array(names)) = v.filter(|v| v.as_array().is_some_and(|a| !a.is_empty()))
        else {
            self.error(
                pointer,
                "`ErrorEquals` must be a non-empty array of error names",
                "for example [\"States.ALL\"]",
            );
            return;
        };
        for (i, n) in names.iter().enumerate() {
            let p = format!("{pointer}/ErrorEquals/{i}");
            match n.as_str() {
                Some("States.ALL") => {
                    if names.len() > 1 {
                        self.error(
                            &p,
                            "`States.ALL` must be alone in its `ErrorEquals`",
                            "it already matches every error: remove the others",
                        );
                    }
                    if !last {
                        self.error(
                            &p,
                            "`States.ALL` must be in the last retrier or catcher",
                            "move this one to the end: the ones after it can never match",
                        );
                    }
                }
                Some(name)
                    if name.starts_with("States.")
                        && !StatesError::service_names().any(|n| n == name) =>
                {
                    self.warn(&p, format!("`{name}` is not an error Step Functions defines: only a Fail state that names it raises it"), format!("`States.` names are the service's: {}; give your own errors another prefix", StatesError::service_names().collect::<Vec<_>>().join(", ")));
                }
                Some(_) => {}
                None => self.error(
                    &p,
                    "error names are strings",
                    "for example \"States.Timeout\"",
                ),
            }
        }
    }

    pub(super) fn retry_catch(
        &mut self,
        object: &serde_json::Map<String, Value>,
        at: &str,
        jsonata: bool,
        targets: &mut Vec<(String, String)>,
    ) {
        if let Some(v) = object.get("Retry") {
            let Some(retriers) = v.as_array() else {
                self.error(
                    &format!("{at}/Retry"),
                    "`Retry` must be an array of retriers",
                    "each with `ErrorEquals`",
                );
                return;
            };
            for (i, r) in retriers.iter().enumerate() {
                let p = format!("{at}/Retry/{i}");
                let Some(r) = r.as_object() else {
                    self.error(
                        &p,
                        "a retrier must be an object",
                        "with `ErrorEquals` and its timing",
                    );
                    continue;
                };
                for k in r.keys() {
                    if ![
                        "ErrorEquals",
                        "IntervalSeconds",
                        "MaxAttempts",
                        "BackoffRate",
                        "MaxDelaySeconds",
                        "JitterStrategy",
                        "Comment",
                    ]
                    .contains(&k.as_str())
                    {
                        self.error_at_key(&format!("{p}/{}", pointer_token(k)), format!("`{k}` is not a field of a retrier"), "the fields are ErrorEquals, IntervalSeconds, MaxAttempts, BackoffRate, MaxDelaySeconds, JitterStrategy, Comment");
                    }
                }
                self.error_names(&p, r.get("ErrorEquals"), i == retriers.len() - 1);
                let int_at_least = |v: Option<&Value>, min: u64| {
                    v.is_none_or(|v| v.as_u64().is_some_and(|n| n >= min))
                };
                if !int_at_least(r.get("IntervalSeconds"), 1) {
                    self.error(
                        &format!("{p}/IntervalSeconds"),
                        "`IntervalSeconds` must be an integer of at least 1",
                        "the first retry's delay in seconds",
                    );
                }
                if !int_at_least(r.get("MaxAttempts"), 0) {
                    self.error(
                        &format!("{p}/MaxAttempts"),
                        "`MaxAttempts` must be a non-negative integer",
                        "0 means never retry",
                    );
                }
                if !int_at_least(r.get("MaxDelaySeconds"), 1) {
                    self.error(
                        &format!("{p}/MaxDelaySeconds"),
                        "`MaxDelaySeconds` must be a positive integer",
                        "the longest delay between retries",
                    );
                }
                if let Some(b) = r.get("BackoffRate")
                    && !b.as_f64().is_some_and(|b| b >= 1.0)
                {
                    self.error(
                        &format!("{p}/BackoffRate"),
                        "`BackoffRate` must be a number of at least 1.0",
                        "each retry's delay is the last one times this",
                    );
                }
                if let Some(j) = r.get("JitterStrategy")
                    && !matches!(j.as_str(), Some("FULL" | "NONE"))
                {
                    self.error(
                        &format!("{p}/JitterStrategy"),
                        "`JitterStrategy` must be \"FULL\" or \"NONE\"",
                        "FULL randomizes each delay between 0 and its value",
                    );
                }
            }
        }
        if let Some(v) = object.get("Catch") {
            let Some(catchers) = v.as_array() else {
                self.error(
                    &format!("{at}/Catch"),
                    "`Catch` must be an array of catchers",
                    "each with `ErrorEquals` and `Next`",
                );
                return;
            };
            for (i, c) in catchers.iter().enumerate() {
                let p = format!("{at}/Catch/{i}");
                let Some(c) = c.as_object() else {
                    self.error(
                        &p,
                        "a catcher must be an object",
                        "with `ErrorEquals` and `Next`",
                    );
                    continue;
                };
                let allowed: &[&str] = if jsonata {
                    &["ErrorEquals", "Next", "Output", "Assign", "Comment"]
                } else {
                    &["ErrorEquals", "Next", "ResultPath", "Assign", "Comment"]
                };
                for k in c.keys() {
                    if !allowed.contains(&k.as_str()) {
                        self.error_at_key(
                            &format!("{p}/{}", pointer_token(k)),
                            format!("`{k}` is not a field of a catcher here"),
                            format!("the fields are: {}", allowed.join(", ")),
                        );
                    }
                }
                self.error_names(&p, c.get("ErrorEquals"), i == catchers.len() - 1);
                match c.get("Next") {
                    Some(Value::String(n)) => targets.push((n.clone(), format!("{p}/Next"))),
                    _ => self.error(
                        &p,
                        "a catcher needs `Next`, the state to go to",
                        "name the state that handles the error",
                    ),
                }
                if let Some(Value::String(rp)) = c.get("ResultPath")
                    && let Err(e) = paths::check_reference(rp)
                {
                    self.error(
                        &format!("{p}/ResultPath"),
                        e,
                        "a reference path: `$`, then `.name`, `['name']` or `[index]`",
                    );
                }
                if let Some(a) = c.get("Assign") {
                    self.assign(&format!("{p}/Assign"), a, jsonata);
                }
                let catches_all = c
                    .get("ErrorEquals")
                    .and_then(Value::as_array)
                    .is_some_and(|e| e.iter().any(|x| x == "States.ALL"));
                if catches_all && !jsonata && !c.contains_key("ResultPath") {
                    self.warn(&p, "this catcher replaces the state's input with the error", "add `\"ResultPath\": \"$.error\"` to keep the input and add the error beside it");
                }
            }
        }
    }
}
