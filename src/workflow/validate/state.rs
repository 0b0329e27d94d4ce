//! The checks of one state: its type's required and allowed fields.

use super::*;

impl Checker {
    /// One state; returns its transitions (target, pointer of the field).
    pub(super) fn state(
        &mut self,
        name: &str,
        s: &Value,
        at: &str,
        machine_language: &str,
    ) -> Vec<(String, String)> {
        let mut targets = Vec::new();
        let Some(object) = s.as_object() else {
            self.error(
                at,
                format!("the state `{name}` must be an object"),
                "give it a `Type` and its fields",
            );
            return targets;
        };
        let Some(kind) = object.get("Type").and_then(Value::as_str) else {
            self.error(
                at,
                format!("the state `{name}` has no `Type`"),
                format!("add `\"Type\"`: one of {}", TYPES.join(", ")),
            );
            return targets;
        };
        if !TYPES.contains(&kind) {
            self.error(
                &format!("{at}/Type"),
                format!("`{kind}` is not a state type"),
                format!("use one of {}", TYPES.join(", ")),
            );
            return targets;
        }
        let language = match object.get("QueryLanguage").and_then(Value::as_str) {
            Some(l @ ("JSONPath" | "JSONata")) => {
                if machine_language == "JSONata" && l == "JSONPath" {
                    self.error(
                        &format!("{at}/QueryLanguage"),
                        "a JSONata machine cannot hold JSONPath states",
                        "remove `QueryLanguage`, or write this state in JSONata",
                    );
                }
                l
            }
            Some(_) => {
                self.error(
                    &format!("{at}/QueryLanguage"),
                    "`QueryLanguage` must be \"JSONPath\" or \"JSONata\"",
                    "use \"JSONPath\" or \"JSONata\"",
                );
                machine_language
            }
            None => machine_language,
        };
        let jsonata = language == "JSONata";
        let (both, jsonpath_only, jsonata_only) = fields(kind);
        for key in object.keys() {
            let k = key.as_str();
            if ["Type", "Comment", "QueryLanguage"].contains(&k) || both.contains(&k) {
                continue;
            }
            let p = format!("{at}/{}", pointer_token(key));
            if jsonpath_only.contains(&k) {
                if jsonata {
                    self.error_at_key(&p, format!("`{key}` is a JSONPath field; this state uses JSONata"), "in JSONata states use `Arguments` for the task's input and `Output` for the state's output, with `{% %}` expressions");
                }
            } else if jsonata_only.contains(&k) {
                if !jsonata {
                    self.error_at_key(&p, format!("`{key}` is a JSONata field; this state uses JSONPath"), "set `\"QueryLanguage\": \"JSONata\"` on the state or the machine, or use the JSONPath fields");
                }
            } else {
                let mut all: Vec<&str> = vec!["Type", "Comment", "QueryLanguage"];
                all.extend(both.iter());
                all.extend(if jsonata { jsonata_only } else { jsonpath_only }.iter());
                self.error_at_key(
                    &p,
                    format!("`{key}` is not a field of a {kind} state"),
                    format!("the fields are: {}", all.join(", ")),
                );
            }
        }
        // transitions
        let next = object.get("Next");
        let end = object.get("End");
        match kind {
            "Choice" | "Succeed" | "Fail" => {
                for (field, v) in [("Next", next), ("End", end)] {
                    if v.is_some() {
                        self.error_at_key(
                            &format!("{at}/{field}"),
                            format!("a {kind} state has no `{field}`"),
                            if kind == "Choice" {
                                "its transitions are its rules' `Next` and `Default`"
                            } else {
                                "it ends the machine (or branch) by itself"
                            },
                        );
                    }
                }
            }
            _ => match (next, end) {
                (Some(Value::String(n)), None) => targets.push((n.clone(), format!("{at}/Next"))),
                (None, Some(Value::Bool(true))) => {}
                (Some(_), Some(_)) => self.error(
                    at,
                    format!("the state `{name}` has both `Next` and `End`"),
                    "keep `Next` to go on, or `\"End\": true` to finish",
                ),
                (None, None) | (None, Some(Value::Bool(false))) => self.error(
                    at,
                    format!("the state `{name}` has neither `Next` nor `\"End\": true`"),
                    "say which state comes next, or end the machine here",
                ),
                (Some(_), None) => self.error(
                    &format!("{at}/Next"),
                    "`Next` must be a state's name",
                    "give the next state's name as a string",
                ),
                (None, Some(_)) => self.error(
                    &format!("{at}/End"),
                    "`End` must be true",
                    "write `\"End\": true`",
                ),
            },
        }
        // paths and payloads
        for field in ["InputPath", "OutputPath"] {
            match object.get(field) {
                None | Some(Value::Null) => {}
                Some(Value::String(p)) => self.path(&format!("{at}/{field}"), p),
                Some(_) => self.error(
                    &format!("{at}/{field}"),
                    format!("`{field}` must be a path or null"),
                    "for example \"$.detail\"",
                ),
            }
        }
        match object.get("ResultPath") {
            None | Some(Value::Null) => {}
            Some(Value::String(p)) => {
                if let Err(e) = paths::check_reference(p) {
                    self.error(
                        &format!("{at}/ResultPath"),
                        e,
                        "a reference path: `$`, then `.name`, `['name']` or `[index]`",
                    );
                }
            }
            Some(_) => self.error(
                &format!("{at}/ResultPath"),
                "`ResultPath` must be a reference path or null",
                "for example \"$.result\"",
            ),
        }
        for field in ["Parameters", "ResultSelector", "ItemSelector"] {
            if let Some(v) = object.get(field)
                && !jsonata
            {
                self.payload(&format!("{at}/{field}"), v);
            }
        }
        for (field, what) in [
            ("ItemsPath", "path"),
            ("SecondsPath", "path"),
            ("TimestampPath", "path"),
            ("TimeoutSecondsPath", "path"),
            ("HeartbeatSecondsPath", "path"),
            ("MaxConcurrencyPath", "path"),
            ("ToleratedFailurePercentagePath", "path"),
            ("ToleratedFailureCountPath", "path"),
            ("ErrorPath", "path or intrinsic"),
            ("CausePath", "path or intrinsic"),
        ] {
            if let Some(v) = object.get(field) {
                match v.as_str() {
                    Some(p) if p.starts_with("States.") && what != "path" => {
                        if let Err(e) = intrinsics::parse(p) {
                            self.error(
                                &format!("{at}/{field}"),
                                e,
                                "check the function's name and arguments",
                            );
                        }
                    }
                    Some(p) => self.path(&format!("{at}/{field}"), p),
                    None => self.error(
                        &format!("{at}/{field}"),
                        format!("`{field}` must be a {what}"),
                        "for example \"$.value\"",
                    ),
                }
            }
        }
        if let Some(assign) = object.get("Assign") {
            self.assign(&format!("{at}/Assign"), assign, jsonata);
        }
        if jsonata {
            let mut exprs = Vec::new();
            for (k, v) in object {
                if k == "Choices"
                    || k == "ItemProcessor"
                    || k == "Iterator"
                    || k == "Branches"
                    || k == "Catch"
                {
                    continue;
                }
                jsonata::expressions(v, &format!("{at}/{}", pointer_token(k)), &mut exprs);
            }
            for (p, e) in exprs {
                if let Err(msg) = jsonata::check(&e) {
                    self.error(&p, msg, "see the JSONata reference; Step Functions' `$states` holds input, result, errorOutput and context");
                }
            }
            for field in ["Arguments", "Output", "ItemSelector"] {
                if let Some(v) = object.get(field) {
                    self.no_path_fields(&format!("{at}/{field}"), v);
                }
            }
        }
        match kind {
            "Task" => self.task(object, at, jsonata),
            "Choice" => {
                match object.get("Choices") {
                    Some(Value::Array(rules)) if !rules.is_empty() => {
                        for (i, rule) in rules.iter().enumerate() {
                            let p = format!("{at}/Choices/{i}");
                            if let Some(n) = self.choice_rule(rule, &p, true, jsonata) {
                                targets.push((n, format!("{p}/Next")));
                            }
                        }
                    }
                    _ => self.error(
                        at,
                        "a Choice state needs `Choices`, a non-empty array of rules",
                        "add rules, each with a comparison and `Next`",
                    ),
                }
                match object.get("Default") {
                    Some(Value::String(d)) => targets.push((d.clone(), format!("{at}/Default"))),
                    Some(_) => self.error(
                        &format!("{at}/Default"),
                        "`Default` must be a state's name",
                        "give the state to go to when no rule matches",
                    ),
                    None => {}
                }
            }
            "Wait" => {
                let given: Vec<&str> = ["Seconds", "Timestamp", "SecondsPath", "TimestampPath"]
                    .into_iter()
                    .filter(|f| object.contains_key(*f))
                    .collect();
                if given.len() != 1 {
                    self.error(at, format!("a Wait state needs exactly one of `Seconds`, `Timestamp`, `SecondsPath`, `TimestampPath` (it has {})", if given.is_empty() { "none".to_string() } else { given.join(", ") }), "say how long to wait, or until when");
                }
                if let Some(v) = object.get("Seconds")
                    && !(v.as_u64().is_some_and(|s| s <= super::fields::MAX_SECONDS)
                        || (jsonata && v.as_str().and_then(jsonata::expression).is_some()))
                {
                    self.error(
                        &format!("{at}/Seconds"),
                        format!(
                            "`Seconds` must be an integer from 0 to {}",
                            super::fields::MAX_SECONDS
                        ),
                        "for example 10",
                    );
                }
                if let Some(v) = object.get("Timestamp") {
                    let ok = match v.as_str() {
                        Some(t) if jsonata && jsonata::expression(t).is_some() => true,
                        Some(t) => is_timestamp(t),
                        None => false,
                    };
                    if !ok {
                        self.error(
                            &format!("{at}/Timestamp"),
                            "`Timestamp` must be an RFC 3339 timestamp",
                            "for example \"2026-12-01T09:00:00Z\"",
                        );
                    }
                }
            }
            "Fail" => {
                for (plain, path) in [("Error", "ErrorPath"), ("Cause", "CausePath")] {
                    if object.contains_key(plain) && object.contains_key(path) {
                        self.error(
                            at,
                            format!("a Fail state has `{plain}` or `{path}`, not both"),
                            format!("keep one of `{plain}` and `{path}`"),
                        );
                    }
                    if let Some(v) = object.get(plain)
                        && !v.is_string()
                    {
                        self.error(
                            &format!("{at}/{plain}"),
                            format!("`{plain}` must be a string"),
                            "for example \"OrderFailed\"",
                        );
                    }
                }
            }
            "Parallel" => {
                self.retry_catch(object, at, jsonata, &mut targets);
                match object.get("Branches") {
                    Some(Value::Array(branches)) if !branches.is_empty() => {
                        for (i, b) in branches.iter().enumerate() {
                            self.machine(
                                b,
                                &format!("{at}/Branches/{i}"),
                                language,
                                &["Comment", "StartAt", "States", "QueryLanguage"],
                            );
                        }
                    }
                    _ => self.error(
                        at,
                        "a Parallel state needs `Branches`, a non-empty array of state machines",
                        "add branches, each with `StartAt` and `States`",
                    ),
                }
            }
            "Map" => self.map(object, at, language, jsonata, &mut targets),
            _ => {}
        }
        if kind == "Task" {
            self.retry_catch(object, at, jsonata, &mut targets);
        }
        targets
    }
}
