//! Payloads compiled once: JSONPath payload templates, whose `.$` fields read a
//! path or an intrinsic function, and values whose strings may be JSONata
//! `{% %}` expressions. Evaluating them raises the service's error for each
//! kind of failure (`States.ParameterPathFailure`, `States.IntrinsicFailure`,
//! `States.QueryEvaluationError`).

use serde_json::{Map, Value};

use crate::workflow::intrinsics::{self, Call};
use crate::workflow::jsonata;
use crate::workflow::paths::{Path, Scope};
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
}

impl Template {
    /// Compile a template. Errors: a `.$` field that is not a string, a path
    /// or an intrinsic function that does not parse (with the message `validate` gives).
    pub fn compile(value: &Value) -> Result<Template, String> {
        Ok(match value {
            Value::Object(map) => {
                let mut fields = Vec::with_capacity(map.len());
                for (key, v) in map {
                    let Some(name) = key.strip_suffix(".$") else {
                        fields.push((key.clone(), Field::Value(Template::compile(v)?)));
                        continue;
                    };
                    let Some(expression) = v.as_str() else {
                        return Err(format!(
                            "the field `{key}` must be a path or an intrinsic function"
                        ));
                    };
                    let field = if expression.starts_with("States.") {
                        Field::Intrinsic(intrinsics::parse(expression)?)
                    } else {
                        Field::Path {
                            key: key.clone(),
                            path: Path::parse(expression)?,
                        }
                    };
                    fields.push((name.to_string(), field));
                }
                Template::Object(fields)
            }
            Value::Array(items) => Template::Array(
                items
                    .iter()
                    .map(Template::compile)
                    .collect::<Result<_, _>>()?,
            ),
            other => Template::Literal(other.clone()),
        })
    }

    /// The payload for this scope. A path that selects nothing is
    /// `States.ParameterPathFailure`; a failing intrinsic `States.IntrinsicFailure`.
    pub fn fill(&self, scope: &Scope) -> Result<Value, Fault> {
        match self {
            Template::Object(fields) => {
                let mut out = Map::new();
                for (name, field) in fields {
                    let v = match field {
                        Field::Value(t) => t.fill(scope)?,
                        Field::Intrinsic(call) => call
                            .evaluate(scope)
                            .map_err(|e| Fault::new(StatesError::IntrinsicFailure, e))?,
                        Field::Path { key, path } => path.select(scope).map_err(|e| {
                            Fault::new(
                                StatesError::ParameterPathFailure,
                                format!(
                                    "the JSONPath `{}` of the field `{key}` could not be read: {e}",
                                    path.text()
                                ),
                            )
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
/// `Assign`, `Items`, `ItemSelector`, a Choice rule's `Condition`).
///
/// jsonata-rs ties a parsed expression to an arena, so the tree keeps each
/// expression's text, checked once when it is compiled, and jsonata-rs parses
/// it again when it is evaluated.
#[derive(Debug, Clone, PartialEq)]
pub enum Jsonata {
    /// The text inside `{% %}`.
    Expression(String),
    Object(Vec<(String, Jsonata)>),
    Array(Vec<Jsonata>),
    Literal(Value),
}

impl Jsonata {
    /// Compile a value. Errors: an expression that does not parse, or uses a
    /// function the engine does not have ([`jsonata::check`]).
    pub fn compile(value: &Value) -> Result<Jsonata, String> {
        Ok(match value {
            Value::String(s) => match jsonata::expression(s) {
                Some(expr) => {
                    jsonata::check(expr)?;
                    Jsonata::Expression(expr.to_string())
                }
                None => Jsonata::Literal(value.clone()),
            },
            Value::Object(map) => Jsonata::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), Jsonata::compile(v)?)))
                    .collect::<Result<_, String>>()?,
            ),
            Value::Array(items) => Jsonata::Array(
                items
                    .iter()
                    .map(Jsonata::compile)
                    .collect::<Result<_, _>>()?,
            ),
            other => Jsonata::Literal(other.clone()),
        })
    }

    /// The value with every expression evaluated against `bindings` (the
    /// machine's variables and `states`). A failing expression is `States.QueryEvaluationError`.
    pub fn evaluate(&self, bindings: &Map<String, Value>) -> Result<Value, Fault> {
        match self {
            Jsonata::Expression(expr) => jsonata::evaluate(expr, bindings)
                .map_err(|e| Fault::new(StatesError::QueryEvaluationError, e)),
            Jsonata::Object(fields) => {
                let mut out = Map::new();
                for (k, v) in fields {
                    out.insert(k.clone(), v.evaluate(bindings)?);
                }
                Ok(Value::Object(out))
            }
            Jsonata::Array(items) => items
                .iter()
                .map(|v| v.evaluate(bindings))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            Jsonata::Literal(v) => Ok(v.clone()),
        }
    }

    /// The expression's text, if this is one expression (for labels).
    pub fn expression(&self) -> Option<&str> {
        match self {
            Jsonata::Expression(e) => Some(e),
            _ => None,
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
        let t = Template::compile(&json!({"static": {"k": [1, "x"]}, "who.$": "$.name", "msg.$": "States.Format('hi {}', $.name)", "nested": {"n.$": "$.n"}})).unwrap();
        assert_eq!(
            t.fill(&scope).unwrap(),
            json!({"static": {"k": [1, "x"]}, "who": "Ada", "msg": "hi Ada", "nested": {"n": 2}})
        );
        let missing = Template::compile(&json!({"x.$": "$.nope"})).unwrap();
        assert_eq!(
            missing.fill(&scope).unwrap_err().error,
            StatesError::ParameterPathFailure
        );
        let bad = Template::compile(&json!({"x.$": "States.ArrayGetItem($.name, 0)"})).unwrap();
        assert_eq!(
            bad.fill(&scope).unwrap_err().error,
            StatesError::IntrinsicFailure
        );
        assert!(Template::compile(&json!({"x.$": 1})).is_err());
        assert!(Template::compile(&json!({"x.$": "$.a["})).is_err());
    }

    #[test]
    fn jsonata_values_compile_once() {
        let mut vars = Map::new();
        vars.insert("states".into(), json!({"input": {"a": 2}}));
        let j =
            Jsonata::compile(&json!({"x": "{% $states.input.a + 1 %}", "s": "plain", "l": [1]}))
                .unwrap();
        assert_eq!(
            j.evaluate(&vars).unwrap(),
            json!({"x": 3, "s": "plain", "l": [1]})
        );
        assert!(Jsonata::compile(&json!("{% $states.input. %}")).is_err());
        let failing = Jsonata::compile(&json!("{% $error('no') %}")).unwrap();
        assert_eq!(
            failing.evaluate(&vars).unwrap_err().error,
            StatesError::QueryEvaluationError
        );
    }
}
