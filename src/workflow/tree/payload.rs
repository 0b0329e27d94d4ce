//! Payloads compiled once: JSONPath payload templates, whose `.$` fields read a
//! path or an intrinsic function, and values whose strings may be JSONata
//! `{% %}` expressions. Evaluating them raises the service's error for each
//! kind of failure (`States.ParameterPathFailure`, `States.IntrinsicFailure`,
//! `States.QueryEvaluationError`).

use serde_json::{Map, Value};

use crate::workflow::intrinsics::{self, Call};
use crate::workflow::jsonata;
use crate::workflow::paths::{Path, Scope, SelectError};
use crate::workflow::{Fault, StatesError};

/// A JSONPath payload template (`Parameters`, `ResultSelector`, `ItemSelector`,
/// `Assign`): fields whose name ends in `.$` take the value of a path or an
/// intrinsic function (and lose the suffix); the rest is copied.
#[derive(Debug, Clone, PartialEq)]
pub enum Template {
    Object(Vec<(String, Field)>),
    Array(Vec<Template>),
    Literal(Value),
}

/// One field of a template object, under its output name.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Value(Template),
    /// `name.$: "$.path"`, with the key as written (for messages).
    Path {
        key: String,
        path: Path,
    },
    Intrinsic(Call),
    /// A `.$` field that cannot be read (not a string, or a path or function
    /// that does not parse): filling the template raises this. `validate`
    /// refuses these in payloads; one nested in an `Assign` fails at run time,
    /// as the service's `States.ParameterPathFailure` (or `IntrinsicFailure`).
    Invalid(Fault),
}

impl Field {
    /// The field of `key.$: value`.
    fn read(key: &str, value: &Value) -> Field {
        let Some(expression) = value.as_str() else {
            return Field::Invalid(Fault::new(
                StatesError::ParameterPathFailure,
                format!("the field `{key}` must be a path or an intrinsic function"),
            ));
        };
        if expression.starts_with("States.") {
            return match intrinsics::parse(expression) {
                Ok(call) => Field::Intrinsic(call),
                Err(e) => Field::Invalid(Fault::new(StatesError::IntrinsicFailure, e)),
            };
        }
        match Path::parse(expression) {
            Ok(path) => Field::Path {
                key: key.to_string(),
                path,
            },
            Err(e) => Field::Invalid(Fault::new(
                StatesError::ParameterPathFailure,
                format!("the JSONPath `{expression}` of the field `{key}` could not be read: {e}"),
            )),
        }
    }
}

impl Template {
    /// Compile a template: every path and intrinsic function parsed once.
    pub fn compile(value: &Value) -> Template {
        match value {
            Value::Object(map) => Template::Object(
                map.iter()
                    .map(|(key, v)| match key.strip_suffix(".$") {
                        Some(name) => (name.to_string(), Field::read(key, v)),
                        None => (key.clone(), Field::Value(Template::compile(v))),
                    })
                    .collect(),
            ),
            Value::Array(items) => Template::Array(items.iter().map(Template::compile).collect()),
            other => Template::Literal(other.clone()),
        }
    }

    /// The payload for this scope. A path that selects nothing is
    /// `States.Runtime`, in the service's words ("The JSONPath '$.a' specified
    /// for the field 'a.$' could not be found in the input '{...}'", as
    /// executions on the service report it); a failing intrinsic
    /// `States.IntrinsicFailure`.
    pub fn fill(&self, scope: &Scope) -> Result<Value, Fault> {
        match self {
            Template::Object(fields) => {
                let mut out = Map::new();
                for (name, field) in fields {
                    let v = match field {
                        Field::Value(t) => t.fill(scope)?,
                        Field::Intrinsic(call) => call.evaluate(scope)?,
                        Field::Invalid(fault) => return Err(fault.clone()),
                        Field::Path { key, path } => path.select(scope).map_err(|e| {
                            let cause = match e {
                                SelectError::NoResults { .. } => format!(
                                    "The JSONPath '{}' specified for the field '{key}' could not be found in the input '{}'",
                                    path.text(),
                                    scope.input
                                ),
                                unassigned => unassigned.to_string(),
                            };
                            Fault::new(StatesError::Runtime, cause)
                        })?,
                    };
                    out.insert(name.clone(), v);
                }
                Ok(Value::Object(out))
            }
            Template::Array(items) => items
                .iter()
                .map(|t| t.fill(scope))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            Template::Literal(v) => Ok(v.clone()),
        }
    }
}

/// A value whose strings may be `{% %}` expressions (`Arguments`, `Output`,
/// `Assign`, `Items`, `ItemSelector`, a Choice rule's `Condition`), split once
/// into expressions and literals.
///
/// jsonata-rs ties a parsed expression to an arena, so the tree keeps each
/// expression's text and jsonata-rs parses it when it is evaluated: an
/// expression that does not parse is `States.QueryEvaluationError` then
/// (`validate` reports most of them before: see [`crate::workflow::validate`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Jsonata {
    /// The text inside `{% %}`.
    Expression(String),
    Object(Vec<(String, Jsonata)>),
    Array(Vec<Jsonata>),
    Literal(Value),
}

impl Jsonata {
    /// Split a value into its expressions and literals.
    pub fn compile(value: &Value) -> Jsonata {
        match value {
            Value::String(s) => match jsonata::expression(s) {
                Some(expr) => Jsonata::Expression(expr.to_string()),
                None => Jsonata::Literal(value.clone()),
            },
            Value::Object(map) => Jsonata::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), Jsonata::compile(v)))
                    .collect(),
            ),
            Value::Array(items) => Jsonata::Array(items.iter().map(Jsonata::compile).collect()),
            other => Jsonata::Literal(other.clone()),
        }
    }

    /// The value as written (expressions in `{% %}`).
    pub fn to_value(&self) -> Value {
        match self {
            Jsonata::Expression(e) => Value::String(format!("{{% {e} %}}")),
            Jsonata::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_value()))
                    .collect(),
            ),
            Jsonata::Array(items) => Value::Array(items.iter().map(Jsonata::to_value).collect()),
            Jsonata::Literal(v) => v.clone(),
        }
    }

    /// The value with every expression evaluated against `bindings` (the
    /// machine's variables and `states`). `field` names the value in its state
    /// (`Output`, `Assign`, `Choices[1]/Condition`); below it, the service
    /// writes `/key` for each object key and `[i]` for each array index.
    ///
    /// Errors, `States.QueryEvaluationError`: a failing expression, or one
    /// whose value is undefined (the service's cause: "The JSONata expression
    /// '<expr>' specified for the field '<field>' returned nothing
    /// (undefined).").
    pub fn evaluate(&self, field: &str, bindings: &Map<String, Value>) -> Result<Value, Fault> {
        match self {
            Jsonata::Expression(expr) => match jsonata::evaluate(expr, bindings) {
                Ok(Some(v)) => Ok(v),
                Ok(None) => Err(Fault::new(
                    StatesError::QueryEvaluationError,
                    format!(
                        "The JSONata expression '{expr}' specified for the field '{field}' returned nothing (undefined)."
                    ),
                )),
                Err(e) => Err(Fault::new(StatesError::QueryEvaluationError, e)),
            },
            Jsonata::Object(fields) => {
                let mut out = Map::new();
                for (k, v) in fields {
                    out.insert(k.clone(), v.evaluate(&format!("{field}/{k}"), bindings)?);
                }
                Ok(Value::Object(out))
            }
            Jsonata::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| v.evaluate(&format!("{field}[{i}]"), bindings))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            Jsonata::Literal(v) => Ok(v.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn templates_compile_once_and_fill_with_the_services_errors() {
        let input = json!({"name": "Ada", "n": 2});
        let context = json!({});
        let vars = Map::new();
        let scope = Scope {
            input: &input,
            context: &context,
            variables: &vars,
        };
        let t = Template::compile(
            &json!({"static": {"k": [1, "x"]}, "who.$": "$.name", "msg.$": "States.Format('hi {}', $.name)", "nested": {"n.$": "$.n"}}),
        );
        assert_eq!(
            t.fill(&scope).unwrap(),
            json!({"static": {"k": [1, "x"]}, "who": "Ada", "msg": "hi Ada", "nested": {"n": 2}})
        );
        let missing = Template::compile(&json!({"x.$": "$.nope"}))
            .fill(&scope)
            .unwrap_err();
        assert_eq!(missing.error, StatesError::Runtime);
        assert_eq!(
            missing.cause,
            "The JSONPath '$.nope' specified for the field 'x.$' could not be found in the input '{\"name\":\"Ada\",\"n\":2}'"
        );
        let bad = Template::compile(&json!({"x.$": "States.ArrayGetItem($.name, 0)"}));
        assert_eq!(
            bad.fill(&scope).unwrap_err().error,
            StatesError::IntrinsicFailure
        );
        // what cannot be read fails when it is filled, as the service's errors
        for (bad, error) in [
            (json!({"x.$": 1}), StatesError::ParameterPathFailure),
            (
                json!({"n": {"x.$": "$.a["}}),
                StatesError::ParameterPathFailure,
            ),
            (
                json!({"x.$": "States.Nope()"}),
                StatesError::IntrinsicFailure,
            ),
        ] {
            let t = Template::compile(&bad);
            assert_eq!(t.fill(&scope).unwrap_err().error, error, "{bad}");
        }
    }

    #[test]
    fn jsonata_values_split_once_and_fail_as_query_errors() {
        let mut vars = Map::new();
        vars.insert("states".into(), json!({"input": {"a": 2}}));
        let written = json!({"x": "{% $states.input.a + 1 %}", "s": "plain", "l": [1]});
        let j = Jsonata::compile(&written);
        assert_eq!(j.to_value(), written);
        assert_eq!(
            j.evaluate("Output", &vars).unwrap(),
            json!({"x": 3, "s": "plain", "l": [1]})
        );
        let undefined = Jsonata::compile(&json!({"a": [1, {"b": "{% $nope %}"}]}))
            .evaluate("Output", &vars)
            .unwrap_err();
        assert_eq!(undefined.error, StatesError::QueryEvaluationError);
        assert_eq!(
            undefined.cause,
            "The JSONata expression '$nope' specified for the field 'Output/a[1]/b' returned nothing (undefined)."
        );
        for failing in ["{% $error('no') %}", "{% $states.input. %}"] {
            assert_eq!(
                Jsonata::compile(&json!(failing))
                    .evaluate("Output", &vars)
                    .unwrap_err()
                    .error,
                StatesError::QueryEvaluationError
            );
        }
    }
}
