//! Everything Step Functions would reject in a definition, found before it is
//! deployed, each at its JSON pointer and line:column, plus warnings for likely
//! mistakes.

use std::collections::{HashMap, HashSet, VecDeque};

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceSpan};
use serde_json::Value;
use thiserror::Error;

use super::{Definition, intrinsics, jsonata, paths, pointer_token};

mod choice;
mod errors;
mod fields;
mod map;
mod state;

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
        if let Some(t) = object.get("TimeoutSeconds")
            && t.as_u64().is_none_or(|n| n == 0 || n > fields::MAX_SECONDS)
        {
            self.error(
                &format!("{at}/TimeoutSeconds"),
                format!(
                    "`TimeoutSeconds` must be a positive integer of at most {} (a number, not a string)",
                    fields::MAX_SECONDS
                ),
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

/// Seconds since the epoch of an RFC 3339 timestamp, read by chrono. The date
/// and time are separated by `T` (the ASL specification's profile of RFC 3339;
/// chrono alone would also take a space), as hoist has always read them.
pub fn parse_timestamp(t: &str) -> Option<f64> {
    if !matches!(t.as_bytes().get(10), Some(b'T' | b't')) {
        return None;
    }
    let at = chrono::DateTime::parse_from_rfc3339(t).ok()?;
    Some(at.timestamp() as f64 + f64::from(at.timestamp_subsec_nanos()) / 1e9)
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
