//! Everything Step Functions would reject in a definition, found before it is
//! deployed, each at its JSON pointer and line:column, plus warnings for likely
//! mistakes.

use std::collections::{HashMap, HashSet, VecDeque};

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceSpan};
use serde_json::Value;
use thiserror::Error;

use super::{Definition, intrinsics, jsonata, paths, pointer_token};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One thing wrong (or likely wrong) with a definition.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// The JSON pointer of the value it is about.
    pub pointer: String,
    pub message: String,
    pub help: String,
    /// Point at the member's name rather than its value.
    #[serde(skip)]
    pub key: bool,
}

const TYPES: [&str; 8] = [
    "Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Map", "Parallel",
];

/// The error names the service defines.
pub const STATES_ERRORS: [&str; 17] = [
    "States.ALL",
    "States.BranchFailed",
    "States.DataLimitExceeded",
    "States.ExceedToleratedFailureThreshold",
    "States.HeartbeatTimeout",
    "States.Http.Socket",
    "States.IntrinsicFailure",
    "States.ItemReaderFailed",
    "States.NoChoiceMatched",
    "States.ParameterPathFailure",
    "States.Permissions",
    "States.QueryEvaluationError",
    "States.ResultPathMatchFailure",
    "States.ResultWriterFailed",
    "States.Runtime",
    "States.TaskFailed",
    "States.Timeout",
];

const COMPARISONS: [(&str, &str); 23] = [
    ("StringEquals", "string"),
    ("StringLessThan", "string"),
    ("StringGreaterThan", "string"),
    ("StringLessThanEquals", "string"),
    ("StringGreaterThanEquals", "string"),
    ("StringMatches", "string"),
    ("NumericEquals", "number"),
    ("NumericLessThan", "number"),
    ("NumericGreaterThan", "number"),
    ("NumericLessThanEquals", "number"),
    ("NumericGreaterThanEquals", "number"),
    ("BooleanEquals", "boolean"),
    ("TimestampEquals", "timestamp"),
    ("TimestampLessThan", "timestamp"),
    ("TimestampGreaterThan", "timestamp"),
    ("TimestampLessThanEquals", "timestamp"),
    ("TimestampGreaterThanEquals", "timestamp"),
    ("IsNull", "boolean"),
    ("IsPresent", "boolean"),
    ("IsNumeric", "boolean"),
    ("IsString", "boolean"),
    ("IsBoolean", "boolean"),
    ("IsTimestamp", "boolean"),
];

/// A comparison operator of a JSONPath Choice rule, and the type of its value.
pub fn comparison(name: &str) -> Option<&'static str> {
    // every comparison but `StringMatches` and the `Is...` tests has a `...Path` form
    let has_path_form = |n: &str| !n.starts_with("Is") && n != "StringMatches";
    if let Some(base) = name.strip_suffix("Path")
        && COMPARISONS
            .iter()
            .any(|(n, _)| *n == base && has_path_form(n))
    {
        return Some("path");
    }
    COMPARISONS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
}

/// Fields of each state type: in both query languages, JSONPath only, JSONata only.
fn fields(
    kind: &str,
) -> (
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
) {
    match kind {
        "Pass" => (
            &["Next", "End", "Assign"],
            &[
                "InputPath",
                "OutputPath",
                "Parameters",
                "Result",
                "ResultPath",
            ],
            &["Output"],
        ),
        "Task" => (
            &[
                "Resource",
                "Next",
                "End",
                "Retry",
                "Catch",
                "TimeoutSeconds",
                "HeartbeatSeconds",
                "Credentials",
                "Assign",
            ],
            &[
                "InputPath",
                "OutputPath",
                "Parameters",
                "ResultPath",
                "ResultSelector",
                "TimeoutSecondsPath",
                "HeartbeatSecondsPath",
            ],
            &["Arguments", "Output"],
        ),
        "Choice" => (
            &["Choices", "Default", "Assign"],
            &["InputPath", "OutputPath"],
            &["Output"],
        ),
        "Wait" => (
            &["Next", "End", "Seconds", "Timestamp", "Assign"],
            &["InputPath", "OutputPath", "SecondsPath", "TimestampPath"],
            &["Output"],
        ),
        "Succeed" => (&[], &["InputPath", "OutputPath"], &["Output"]),
        "Fail" => (&["Error", "Cause"], &["ErrorPath", "CausePath"], &[]),
        "Parallel" => (
            &["Branches", "Next", "End", "Retry", "Catch", "Assign"],
            &[
                "InputPath",
                "OutputPath",
                "Parameters",
                "ResultPath",
                "ResultSelector",
            ],
            &["Arguments", "Output"],
        ),
        "Map" => (
            &[
                "ItemProcessor",
                "Iterator",
                "ItemReader",
                "ItemSelector",
                "ItemBatcher",
                "ResultWriter",
                "MaxConcurrency",
                "ToleratedFailurePercentage",
                "ToleratedFailureCount",
                "Label",
                "Next",
                "End",
                "Retry",
                "Catch",
                "Assign",
            ],
            &[
                "InputPath",
                "OutputPath",
                "ItemsPath",
                "Parameters",
                "ResultPath",
                "ResultSelector",
                "MaxConcurrencyPath",
                "ToleratedFailurePercentagePath",
                "ToleratedFailureCountPath",
            ],
            &["Items", "Output"],
        ),
        _ => (&[], &[], &[]),
    }
}

struct Checker {
    findings: Vec<Finding>,
    /// State names seen anywhere in the machine, with their pointer.
    names: HashMap<String, String>,
}

impl Checker {
    fn error(&mut self, pointer: &str, message: impl Into<String>, help: impl Into<String>) {
        self.push(Severity::Error, pointer, message, help, false);
    }

    fn error_at_key(&mut self, pointer: &str, message: impl Into<String>, help: impl Into<String>) {
        self.push(Severity::Error, pointer, message, help, true);
    }

    fn warn(&mut self, pointer: &str, message: impl Into<String>, help: impl Into<String>) {
        self.push(Severity::Warning, pointer, message, help, false);
    }

    fn push(
        &mut self,
        severity: Severity,
        pointer: &str,
        message: impl Into<String>,
        help: impl Into<String>,
        key: bool,
    ) {
        self.findings.push(Finding {
            severity,
            pointer: pointer.to_string(),
            message: message.into(),
            help: help.into(),
            key,
        });
    }

    /// A state machine (the top level, a Parallel branch, a Map's processor).
    fn machine(&mut self, m: &Value, at: &str, language: &str, allowed: &[&str]) {
        let Some(object) = m.as_object() else {
            self.error(
                at,
                "a state machine must be an object",
                "give it `StartAt` and `States`",
            );
            return;
        };
        for key in object.keys() {
            if !allowed.contains(&key.as_str()) {
                self.error_at_key(
                    &format!("{at}/{}", pointer_token(key)),
                    format!("`{key}` is not a field here"),
                    format!("the fields are: {}", allowed.join(", ")),
                );
            }
        }
        let language = match object.get("QueryLanguage") {
            None => language.to_string(),
            Some(Value::String(l)) if l == "JSONPath" || l == "JSONata" => {
                if language == "JSONata" && l == "JSONPath" {
                    self.error(
                        &format!("{at}/QueryLanguage"),
                        "a JSONata machine cannot hold JSONPath states",
                        "remove `QueryLanguage`, or write these states in JSONata",
                    );
                }
                l.clone()
            }
            Some(_) => {
                self.error(
                    &format!("{at}/QueryLanguage"),
                    "`QueryLanguage` must be \"JSONPath\" or \"JSONata\"",
                    "use \"JSONPath\" (the default) or \"JSONata\"",
                );
                language.to_string()
            }
        };
        let states = match object.get("States") {
            Some(Value::Object(states)) if !states.is_empty() => states,
            Some(_) => {
                self.error(
                    &format!("{at}/States"),
                    "`States` must be an object with at least one state",
                    "name each state and give it a `Type`",
                );
                return;
            }
            None => {
                self.error(
                    at,
                    "`States` is missing",
                    "add `\"States\": { ... }` with the machine's states",
                );
                return;
            }
        };
        let start = match object.get("StartAt") {
            Some(Value::String(s)) => {
                if !states.contains_key(s) {
                    self.error(
                        &format!("{at}/StartAt"),
                        format!("`StartAt` names `{s}`, which is not a state here"),
                        format!("name one of: {}", names(states)),
                    );
                }
                Some(s.clone())
            }
            Some(_) => {
                self.error(
                    &format!("{at}/StartAt"),
                    "`StartAt` must be a state's name",
                    "give the name of the first state as a string",
                );
                None
            }
            None => {
                self.error(
                    at,
                    "`StartAt` is missing",
                    "add `\"StartAt\"` with the name of the first state",
                );
                None
            }
        };
        if let Some(Value::Number(n)) = object.get("TimeoutSeconds")
            && n.as_u64().is_none_or(|n| n == 0)
        {
            self.error(
                &format!("{at}/TimeoutSeconds"),
                "`TimeoutSeconds` must be a positive integer",
                "give the execution's time limit in whole seconds",
            );
        }
        let mut edges: HashMap<&str, Vec<String>> = HashMap::new();
        let mut terminal = false;
        for (name, state) in states {
            let p = format!("{at}/States/{}", pointer_token(name));
            if name.chars().count() > 80 {
                self.error_at_key(
                    &p,
                    format!("the state name `{name}` is longer than 80 characters"),
                    "shorten it",
                );
            }
            if let Some(first) = self.names.insert(name.clone(), p.clone()) {
                self.error_at_key(
                    &p,
                    format!("the state name `{name}` is used twice (also at {first})"),
                    "state names are unique in the whole machine, nested ones included",
                );
            }
            let targets = self.state(name, state, &p, &language);
            if state.get("End") == Some(&Value::Bool(true))
                || matches!(
                    state.get("Type").and_then(Value::as_str),
                    Some("Succeed" | "Fail")
                )
            {
                terminal = true;
            }
            for (target, pointer) in &targets {
                if !states.contains_key(target) {
                    self.error(pointer, format!("`{target}` is not a state of this machine"), if self.names.contains_key(target) { "a transition cannot leave (or enter) a Map or Parallel: move the state, or end the branch".to_string() } else { format!("name one of: {}", names(states)) });
                }
            }
            edges.insert(name.as_str(), targets.into_iter().map(|(t, _)| t).collect());
        }
        if !terminal {
            self.error(
                &format!("{at}/States"),
                "no state ends the machine",
                "give a state `\"End\": true`, or add a `Succeed` or `Fail` state",
            );
        }
        // every state reachable from StartAt
        if let Some(start) = start.filter(|s| states.contains_key(s)) {
            let mut seen = HashSet::new();
            let mut queue = VecDeque::from([start]);
            while let Some(s) = queue.pop_front() {
                if !seen.insert(s.clone()) {
                    continue;
                }
                for t in edges.get(s.as_str()).into_iter().flatten() {
                    queue.push_back(t.clone());
                }
            }
            for name in states.keys() {
                if !seen.contains(name) {
                    self.error_at_key(&format!("{at}/States/{}", pointer_token(name)), format!("the state `{name}` cannot be reached from `StartAt`"), "remove it, or give a state a `Next` (or Choice, Default or Catch) that leads to it");
                }
            }
        }
    }

    /// One state; returns its transitions (target, pointer of the field).
    fn state(
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
                    && !(v.as_u64().is_some()
                        || (jsonata && v.as_str().and_then(jsonata::expression).is_some()))
                {
                    self.error(
                        &format!("{at}/Seconds"),
                        "`Seconds` must be a non-negative integer",
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

    fn path(&mut self, pointer: &str, path: &str) {
        if let Err(e) = paths::check(path) {
            self.error(pointer, e, "paths start with `$` (the input), `$$` (the context object) or `$name` (a variable)");
        }
    }

    /// A JSONPath payload template: `.$` fields hold paths or intrinsic functions.
    fn payload(&mut self, pointer: &str, v: &Value) {
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

    fn no_path_fields(&mut self, pointer: &str, v: &Value) {
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

    fn assign(&mut self, pointer: &str, v: &Value, jsonata: bool) {
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

    fn task(&mut self, object: &serde_json::Map<String, Value>, at: &str, jsonata: bool) {
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

    fn error_names(&mut self, pointer: &str, v: Option<&Value>, last: bool) {
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
                Some(name) if name.starts_with("States.") && !STATES_ERRORS.contains(&name) => {
                    self.warn(&p, format!("`{name}` is not an error Step Functions defines: only a Fail state that names it raises it"), format!("`States.` names are the service's: {}; give your own errors another prefix", STATES_ERRORS.join(", ")));
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

    fn retry_catch(
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

    /// A Choice rule; returns its `Next` (top-level rules).
    fn choice_rule(&mut self, rule: &Value, at: &str, top: bool, jsonata: bool) -> Option<String> {
        let Some(object) = rule.as_object() else {
            self.error(
                at,
                "a Choice rule must be an object",
                "with a comparison and `Next`",
            );
            return None;
        };
        let next = match object.get("Next") {
            Some(Value::String(n)) if top => Some(n.clone()),
            Some(_) if !top => {
                self.error_at_key(
                    &format!("{at}/Next"),
                    "only the top-level rules of `Choices` have `Next`",
                    "remove `Next` from this nested rule",
                );
                None
            }
            Some(_) => {
                self.error(
                    &format!("{at}/Next"),
                    "`Next` must be a state's name",
                    "give the state to go to",
                );
                None
            }
            None if top => {
                self.error(
                    at,
                    "a Choice rule needs `Next`",
                    "name the state to go to when the rule matches",
                );
                None
            }
            None => None,
        };
        if jsonata {
            for k in object.keys() {
                if !["Condition", "Next", "Comment", "Assign", "Output"].contains(&k.as_str()) {
                    self.error_at_key(&format!("{at}/{}", pointer_token(k)), format!("`{k}` is not a field of a JSONata Choice rule"), "JSONata rules have `Condition` (a `{% %}` expression), `Next`, `Assign`, `Output`, `Comment`");
                }
            }
            match object.get("Condition") {
                Some(Value::Bool(_)) => {}
                Some(Value::String(c)) if jsonata::expression(c).is_some() => {}
                _ => self.error(
                    at,
                    "a JSONata Choice rule needs `Condition`, a `{% %}` expression",
                    "for example \"{% $states.input.total > 100 %}\"",
                ),
            }
            if let Some(a) = object.get("Assign") {
                self.assign(&format!("{at}/Assign"), a, true);
            }
            return next;
        }
        if let Some(a) = object.get("Assign") {
            if !top {
                self.error_at_key(
                    &format!("{at}/Assign"),
                    "only top-level Choice rules have `Assign`",
                    "move it to the top-level rule",
                );
            }
            self.assign(&format!("{at}/Assign"), a, false);
        }
        let mut operators = Vec::new();
        for (k, v) in object {
            let p = format!("{at}/{}", pointer_token(k));
            match k.as_str() {
                "Next" | "Comment" | "Variable" | "Assign" => {}
                "And" | "Or" => {
                    operators.push(k.clone());
                    match v.as_array() {
                        Some(rules) if !rules.is_empty() => {
                            for (i, r) in rules.iter().enumerate() {
                                self.choice_rule(r, &format!("{p}/{i}"), false, false);
                            }
                        }
                        _ => self.error(&p, format!("`{k}` must be a non-empty array of rules"), "each rule a comparison (without `Next`)"),
                    }
                }
                "Not" => {
                    operators.push(k.clone());
                    if v.is_object() {
                        self.choice_rule(v, &p, false, false);
                    } else {
                        self.error(&p, "`Not` must be one rule (an object)", "for example {\"Variable\": \"$.x\", \"IsPresent\": true}");
                    }
                }
                other => match comparison(other) {
                    Some(kind) => {
                        operators.push(k.clone());
                        let ok = match kind {
                            "string" => v.is_string(),
                            "number" => v.is_number(),
                            "boolean" => v.is_boolean(),
                            "timestamp" => v.as_str().is_some_and(is_timestamp),
                            _ => match v.as_str() {
                                Some(path) => {
                                    self.path(&p, path);
                                    true
                                }
                                None => false,
                            },
                        };
                        if !ok {
                            self.error(&p, format!("`{k}` compares with a {kind}, not {}", kind_of(v)), match kind {
                                "timestamp" => "give an RFC 3339 timestamp, like \"2026-01-01T00:00:00Z\"",
                                "path" => "give a path to the value to compare with",
                                _ => "give a value of that type",
                            });
                        }
                    }
                    None => self.error_at_key(&p, format!("`{k}` is not a Choice rule field"), "a rule has `Variable` and one comparison (StringEquals, NumericGreaterThan, IsPresent, ...), or `And`, `Or`, `Not`"),
                },
            }
        }
        let boolean = operators
            .iter()
            .any(|o| o == "And" || o == "Or" || o == "Not");
        if operators.len() != 1 {
            self.error(
                at,
                if operators.is_empty() {
                    "a Choice rule needs a comparison".to_string()
                } else {
                    format!(
                        "a Choice rule has one comparison, not {}: {}",
                        operators.len(),
                        operators.join(", ")
                    )
                },
                "split it with `And` or `Or`",
            );
        } else if boolean && object.contains_key("Variable") {
            self.error_at_key(
                &format!("{at}/Variable"),
                "`And`, `Or` and `Not` rules have no `Variable`",
                "put `Variable` in each nested rule",
            );
        } else if !boolean {
            match object.get("Variable") {
                Some(Value::String(v)) => self.path(&format!("{at}/Variable"), v),
                Some(_) => self.error(
                    &format!("{at}/Variable"),
                    "`Variable` must be a path",
                    "for example \"$.status\"",
                ),
                None => self.error(
                    at,
                    "a comparison needs `Variable`, the path of the value to compare",
                    "for example \"Variable\": \"$.status\"",
                ),
            }
        }
        next
    }

    fn map(
        &mut self,
        object: &serde_json::Map<String, Value>,
        at: &str,
        language: &str,
        jsonata: bool,
        targets: &mut Vec<(String, String)>,
    ) {
        self.retry_catch(object, at, jsonata, targets);
        let processor = match (object.get("ItemProcessor"), object.get("Iterator")) {
            (Some(p), None) => Some((p, "ItemProcessor")),
            (None, Some(i)) => Some((i, "Iterator")),
            (Some(_), Some(_)) => {
                self.error(
                    at,
                    "a Map state has `ItemProcessor` or (the older) `Iterator`, not both",
                    "keep `ItemProcessor`",
                );
                None
            }
            (None, None) => {
                self.error(
                    at,
                    "a Map state needs `ItemProcessor`, the state machine run for each item",
                    "add `\"ItemProcessor\": { \"StartAt\": ..., \"States\": { ... } }`",
                );
                None
            }
        };
        let mut distributed = false;
        if let Some((p, field)) = processor {
            let at_p = format!("{at}/{field}");
            if let Some(config) = p.get("ProcessorConfig") {
                let mode = config
                    .get("Mode")
                    .and_then(Value::as_str)
                    .unwrap_or("INLINE");
                match mode {
                    "INLINE" => {}
                    "DISTRIBUTED" => distributed = true,
                    _ => self.error(
                        &format!("{at_p}/ProcessorConfig/Mode"),
                        "`Mode` must be \"INLINE\" or \"DISTRIBUTED\"",
                        "INLINE runs the items in this execution; DISTRIBUTED in child executions",
                    ),
                }
                if let Some(t) = config.get("ExecutionType") {
                    if !distributed {
                        self.error_at_key(
                            &format!("{at_p}/ProcessorConfig/ExecutionType"),
                            "`ExecutionType` is for distributed Maps",
                            "set `\"Mode\": \"DISTRIBUTED\"` or remove it",
                        );
                    } else if !matches!(t.as_str(), Some("STANDARD" | "EXPRESS")) {
                        self.error(
                            &format!("{at_p}/ProcessorConfig/ExecutionType"),
                            "`ExecutionType` must be \"STANDARD\" or \"EXPRESS\"",
                            "the kind of child executions",
                        );
                    }
                }
            }
            let allowed: &[&str] = if field == "ItemProcessor" {
                &[
                    "Comment",
                    "StartAt",
                    "States",
                    "ProcessorConfig",
                    "QueryLanguage",
                ]
            } else {
                &["Comment", "StartAt", "States"]
            };
            self.machine(p, &at_p, language, allowed);
        }
        for field in [
            "ItemReader",
            "ItemBatcher",
            "ResultWriter",
            "Label",
            "ToleratedFailurePercentage",
            "ToleratedFailureCount",
            "ToleratedFailurePercentagePath",
            "ToleratedFailureCountPath",
        ] {
            if object.contains_key(field) && !distributed {
                self.error_at_key(&format!("{at}/{field}"), format!("`{field}` is for distributed Maps"), "set `\"ProcessorConfig\": { \"Mode\": \"DISTRIBUTED\" }` in `ItemProcessor`, or remove it");
            }
        }
        if let Some(v) = object.get("MaxConcurrency")
            && v.as_u64().is_none()
            && !(jsonata && v.as_str().and_then(jsonata::expression).is_some())
        {
            self.error(
                &format!("{at}/MaxConcurrency"),
                "`MaxConcurrency` must be a non-negative integer",
                "0 means as many as possible",
            );
        }
        if let Some(v) = object.get("ToleratedFailurePercentage")
            && !v.as_f64().is_some_and(|p| (0.0..=100.0).contains(&p))
        {
            self.error(
                &format!("{at}/ToleratedFailurePercentage"),
                "`ToleratedFailurePercentage` must be between 0 and 100",
                "the share of items that may fail",
            );
        }
        if let Some(v) = object.get("ToleratedFailureCount")
            && v.as_u64().is_none()
        {
            self.error(
                &format!("{at}/ToleratedFailureCount"),
                "`ToleratedFailureCount` must be a non-negative integer",
                "how many items may fail",
            );
        }
        if let Some(v) = object.get("Label")
            && !v
                .as_str()
                .is_some_and(|l| l.chars().count() <= 40 && !l.contains(' '))
        {
            self.error(
                &format!("{at}/Label"),
                "`Label` must be a string of at most 40 characters, without spaces",
                "it names the child executions",
            );
        }
        if object.contains_key("ItemsPath") && object.contains_key("ItemReader") {
            self.error(
                at,
                "a Map reads its items from `ItemsPath` or `ItemReader`, not both",
                "keep one",
            );
        }
        if object.contains_key("Parameters") && object.contains_key("ItemSelector") {
            self.error(
                at,
                "`Parameters` is the older name of `ItemSelector`: use one",
                "keep `ItemSelector`",
            );
        }
        if let Some(items) = object.get("Items")
            && !(items.is_array() || items.as_str().and_then(jsonata::expression).is_some())
        {
            self.error(
                &format!("{at}/Items"),
                "`Items` must be an array or a `{% %}` expression",
                "for example \"{% $states.input.orders %}\"",
            );
        }
    }
}

fn names(states: &serde_json::Map<String, Value>) -> String {
    let mut all: Vec<&str> = states.keys().map(String::as_str).collect();
    all.truncate(12);
    all.join(", ")
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// An RFC 3339 timestamp, as Step Functions reads them (with `T`, and `Z` or an offset).
pub fn is_timestamp(t: &str) -> bool {
    parse_timestamp(t).is_some()
}

/// Seconds since the epoch of an RFC 3339 timestamp.
pub fn parse_timestamp(t: &str) -> Option<f64> {
    let b = t.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b'T' || b[10] == b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| t.get(r)?.parse::<i64>().ok();
    let (y, mo, d, h, mi, s) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut rest = &t[19..];
    let mut fraction = 0.0;
    if let Some(r) = rest.strip_prefix('.') {
        let digits = r.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        fraction = format!("0.{}", &r[..digits]).parse().ok()?;
        rest = &r[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6
            && (rest.starts_with('+') || rest.starts_with('-'))
            && &rest[3..4] == ":" =>
        {
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            sign * (rest[1..3].parse::<i64>().ok()? * 3600 + rest[4..6].parse::<i64>().ok()? * 60)
        }
        _ => return None,
    };
    // days from the civil date (Howard Hinnant's algorithm)
    let (y2, m2) = if mo <= 2 {
        (y - 1, mo + 9)
    } else {
        (y, mo - 3)
    };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * m2 + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    Some((days * 86400 + h * 3600 + mi * 60 + s - offset) as f64 + fraction)
}

/// Check a definition: every finding, errors and warnings, in document order.
pub fn validate(definition: &Definition) -> Vec<Finding> {
    let mut checker = Checker {
        findings: Vec::new(),
        names: HashMap::new(),
    };
    let language = definition
        .value
        .get("QueryLanguage")
        .and_then(Value::as_str)
        .unwrap_or("JSONPath")
        .to_string();
    checker.machine(
        &definition.value,
        "",
        &language,
        &[
            "Comment",
            "StartAt",
            "States",
            "Version",
            "TimeoutSeconds",
            "QueryLanguage",
        ],
    );
    let mut findings = checker.findings;
    findings.sort_by_key(|f| {
        definition
            .span(&f.pointer, f.key)
            .map(|s| s.offset())
            .unwrap_or(0)
    });
    findings.dedup();
    findings
}

/// One finding as a diagnostic, at its place in the definition.
#[derive(Debug, Error)]
#[error("{message} ({pointer})")]
pub struct FindingReport {
    pub message: String,
    pub pointer: String,
    pub help: String,
    pub severity: Severity,
    pub span: Option<SourceSpan>,
}

impl Diagnostic for FindingReport {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(match self.severity {
            Severity::Error => "hoist::workflow::invalid",
            Severity::Warning => "hoist::workflow::warning",
        }))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(&self.help))
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.span?;
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some(self.pointer.clone()),
            span,
        ))))
    }
}

/// Every finding of a definition, for the terminal.
#[derive(Debug, Error, Diagnostic)]
#[error("`{path}`: {errors} error{}, {warnings} warning{}", if *errors == 1 { "" } else { "s" }, if *warnings == 1 { "" } else { "s" })]
#[diagnostic(code(hoist::workflow::validate))]
pub struct Findings {
    pub path: String,
    pub errors: usize,
    pub warnings: usize,
    #[source_code]
    pub src: NamedSource<String>,
    #[related]
    pub findings: Vec<FindingReport>,
}

impl Findings {
    pub fn new(definition: &Definition, findings: &[Finding]) -> Findings {
        Findings {
            path: definition.path.clone(),
            errors: findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .count(),
            warnings: findings
                .iter()
                .filter(|f| f.severity == Severity::Warning)
                .count(),
            src: NamedSource::new(&definition.path, definition.text.clone()),
            findings: findings
                .iter()
                .map(|f| FindingReport {
                    message: f.message.clone(),
                    pointer: if f.pointer.is_empty() {
                        "/".into()
                    } else {
                        f.pointer.clone()
                    },
                    help: f.help.clone(),
                    severity: f.severity,
                    span: definition.span(&f.pointer, f.key),
                })
                .collect(),
        }
    }
}
