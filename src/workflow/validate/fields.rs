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

    /// In a JSONata state a key ending in `.$` is an ordinary key: the
    /// service emits it unchanged and reads nothing at the path. That is
    /// valid, and usually a JSONPath habit: a warning says so.
    pub(super) fn no_path_fields(&mut self, pointer: &str, v: &Value) {
        if let Value::Object(map) = v {
            for (k, v) in map {
                let p = format!("{pointer}/{}", pointer_token(k));
                if k.ends_with(".$") {
                    self.warn(
                        &p,
                        format!("`{k}` is an ordinary key in a JSONata state: its value is not read as a path"),
                        "to read a value, write it as a `{% %}` expression and drop `.$` from the key",
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
            Some(Value::String(r)) if !is_resource_arn(r) => self.error(
                &format!("{at}/Resource"),
                format!("`{r}` is not an ARN: a Task's `Resource` is the ARN of a service integration, a Lambda function or an activity"),
                "for example \"arn:aws:states:::lambda:invoke\", or `${Name}` filled in by DefinitionSubstitutions",
            ),
            Some(Value::String(r)) => {
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
                let ok = v.as_u64().is_some_and(|n| n > 0 && n <= MAX_SECONDS)
                    || (jsonata && v.as_str().and_then(jsonata::expression).is_some());
                if !ok {
                    self.error(
                        &format!("{at}/{field}"),
                        format!("`{field}` must be a positive integer of at most {MAX_SECONDS}"),
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

/// The largest number of seconds the service takes in `Seconds` and
/// `TimeoutSeconds` ("Wait workflow state", the developer guide: an integer
/// from 0 to 99999999).
pub const MAX_SECONDS: u64 = 99_999_999;

/// Is a Task's `Resource` an ARN (`arn:<partition>:<service>:<region>:<account>:<resource>`,
/// the region and account empty for service integrations), or a
/// `${Name}` that CloudFormation's `DefinitionSubstitutions` fills in?
fn is_resource_arn(resource: &str) -> bool {
    if resource.contains("${") {
        return true;
    }
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && !parts[2].is_empty()
        && !parts[5].is_empty()
}
