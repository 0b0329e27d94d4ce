//! Paths, payload templates, `Assign` and Task fields.

use super::*;

impl Checker {
    pub(super) fn path(&mut self, pointer: &str, path: &str) {
        if let Err(e) = paths::check(path) {
            self.error(pointer, e, "paths start with `$` (the input), `$$` (the context object) or `$name` (a variable)");
        }
    }

    /// A JSONPath payload template: `.$` fields hold paths or intrinsic functions.
    pub(super) fn payload(&mut self, pointer: &str, v: &Value) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    let p = format!("{pointer}/{}", pointer_token(k));
                    if k.ends_with(".$") {
                        match v.as_str() {
                            Some(e) if e.starts_with("States.") => {
                                if let Err(msg) = intrinsics::parse(e) {
                                    self.error(
                                        &p,
                                        msg,
                                        "check the function's name, arguments and quotes ('...')",
                                    );
                                }
                            }
                            Some(e) => self.path(&p, e),
                            None => self.error(
                                &p,
                                format!("the field `{k}` must be a path or an intrinsic function"),
                                "drop `.$` from the name to give a literal value",
                            ),
                        }
                    } else {
                        if let Some(s) = v.as_str()
                            && (s.starts_with("$.")
                                || s.starts_with("$$.")
                                || s.starts_with("States."))
                        {
                            self.warn(
                                &p,
                                format!(
                                    "`{s}` is passed as text: the field `{k}` does not end in `.$`"
                                ),
                                format!("name it `{k}.$` to read the value"),
                            );
                        }
                        self.payload(&p, v);
                    }
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.payload(&format!("{pointer}/{i}"), item);
                }
            }
            _ => {}
        }
    }

    pub(super) fn no_path_fields(&mut self, pointer: &str, v: &Value) {
        if let Value::Object(map) = v {
            for (k, v) in map {
                let p = format!("{pointer}/{}", pointer_token(k));
                if k.ends_with(".$") {
                    self.error_at_key(
                        &p,
                        format!("`{k}`: `.$` fields are JSONPath; this state uses JSONata"),
                        "write the value as a `{% %}` expression and drop `.$`",
                    );
                }
                self.no_path_fields(&p, v);
            }
        }
    }

    pub(super) fn assign(&mut self, pointer: &str, v: &Value, jsonata: bool) {
        let Some(map) = v.as_object() else {
            self.error(
                pointer,
                "`Assign` must be an object of variables",
                "for example {\"total\": 0}",
            );
            return;
        };
        for (k, v) in map {
            let name = k.strip_suffix(".$").unwrap_or(k);
            let p = format!("{pointer}/{}", pointer_token(k));
            let valid = name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                self.error_at_key(
                    &p,
                    format!("`{name}` is not a variable name"),
                    "variable names are letters, digits and `_`, not starting with a digit",
                );
            }
            if !jsonata && k.ends_with(".$") {
                match v.as_str() {
                    Some(e) if e.starts_with("States.") => {
                        if let Err(msg) = intrinsics::parse(e) {
                            self.error(&p, msg, "check the function");
                        }
                    }
                    Some(e) => self.path(&p, e),
                    None => self.error(
                        &p,
                        format!("`{k}` must be a path or an intrinsic function"),
                        "drop `.$` to assign a literal value",
                    ),
                }
            }
        }
    }

    pub(super) fn task(
        &mut self,
        object: &serde_json::Map<String, Value>,
        at: &str,
        jsonata: bool,
    ) {
        match object.get("Resource") {
            Some(Value::String(r)) if !r.is_empty() => {
                let lambda = r.starts_with("arn:aws:states:::lambda:invoke")
                    || (r.contains(":lambda:") && r.contains(":function:"));
                if lambda {
                    let transient = [
                        "Lambda.ServiceException",
                        "Lambda.AWSLambdaException",
                        "Lambda.SdkClientException",
                        "Lambda.TooManyRequestsException",
                        "States.ALL",
                        "States.TaskFailed",
                    ];
                    let retried = object
                        .get("Retry")
                        .and_then(Value::as_array)
                        .is_some_and(|rs| {
                            rs.iter().any(|r| {
                                r.get("ErrorEquals")
                                    .and_then(Value::as_array)
                                    .is_some_and(|e| {
                                        e.iter().any(|x| {
                                            x.as_str().is_some_and(|x| transient.contains(&x))
                                        })
                                    })
                            })
                        });
                    if !retried {
                        self.warn(&format!("{at}/Resource"), "this Lambda task does not retry Lambda's transient errors", "add a `Retry` on Lambda.ServiceException, Lambda.AWSLambdaException, Lambda.SdkClientException and Lambda.TooManyRequestsException (IntervalSeconds 1, MaxAttempts 3, BackoffRate 2), as the console does");
                    }
                }
            }
            _ => self.error(
                at,
                "a Task state needs `Resource`, the ARN of what it runs",
                "for example \"arn:aws:states:::lambda:invoke\"",
            ),
        }
        for (field, path) in [
            ("TimeoutSeconds", "TimeoutSecondsPath"),
            ("HeartbeatSeconds", "HeartbeatSecondsPath"),
        ] {
            if object.contains_key(field) && object.contains_key(path) {
                self.error(
                    at,
                    format!("a Task has `{field}` or `{path}`, not both"),
                    format!("keep one of `{field}` and `{path}`"),
                );
            }
            if let Some(v) = object.get(field) {
                let ok = v.as_u64().is_some_and(|n| n > 0)
                    || (jsonata && v.as_str().and_then(jsonata::expression).is_some());
                if !ok {
                    self.error(
                        &format!("{at}/{field}"),
                        format!("`{field}` must be a positive integer"),
                        "give it in whole seconds",
                    );
                }
            }
        }
        if let (Some(t), Some(h)) = (
            object.get("TimeoutSeconds").and_then(Value::as_u64),
            object.get("HeartbeatSeconds").and_then(Value::as_u64),
        ) && h >= t
        {
            self.error(
                &format!("{at}/HeartbeatSeconds"),
                "`HeartbeatSeconds` must be smaller than `TimeoutSeconds`",
                "a heartbeat interval is shorter than the task's time limit",
            );
        }
    }
}
