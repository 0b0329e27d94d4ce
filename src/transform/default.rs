//! `@default`: its checks and the value a new item gets.

use apollo_compiler::ast::{Definition, Document};

use super::{SchemaProblem, span};

/// `@default(value:)`: on a field of a scalar or enum type, not a list, with a
/// value of that type.
pub(super) fn default_problems(
    fields: &[apollo_compiler::Node<apollo_compiler::ast::FieldDefinition>],
    document: &Document,
    problems: &mut Vec<SchemaProblem>,
) {
    for field in fields {
        for directive in field.directives.iter().filter(|d| d.name == "default") {
            let Some(value) = directive.arguments.iter().find(|a| a.name == "value") else {
                continue;
            };
            let Some(text) = value.value.as_str() else {
                continue;
            };
            let inner = field.ty.inner_named_type().as_str();
            let is_enum = document.definitions.iter().find_map(|d| match d {
                Definition::EnumTypeDefinition(e) if e.name == inner => Some(e),
                _ => None,
            });
            let problem = if field.ty.is_list() {
                Some((
                    "a list field cannot have a default".to_string(),
                    "remove `@default`, or set the list in the create input".to_string(),
                ))
            } else if let Some(e) = is_enum {
                (!e.values.iter().any(|v| v.value == text)).then(|| {
                    (
                        format!("`{text}` is not a value of `{inner}`"),
                        format!(
                            "use one of {}",
                            e.values
                                .iter()
                                .map(|v| v.value.to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })
            } else {
                super::default::default_value(inner, text)
                    .err()
                    .map(|e| (e, format!("write a value of type `{inner}`")))
            };
            if let Some((message, help)) = problem {
                problems.push(SchemaProblem {
                    message: format!("`@default` on `{}`: {message}", field.name),
                    span: span(value.value.location()),
                    label: "default".into(),
                    help: Some(help),
                    src: None,
                });
            }
        }
    }
}

/// A `@default` value as JSON for a field of type `scalar`, or what is wrong with it.
pub fn default_value(scalar: &str, value: &str) -> Result<serde_json::Value, String> {
    match scalar {
        "Int" | "AWSTimestamp" => value
            .trim()
            .parse::<i64>()
            .map(serde_json::Value::from)
            .map_err(|_| format!("`{value}` is not an {scalar}")),
        "Float" => value
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(serde_json::Value::Number)
            .ok_or_else(|| format!("`{value}` is not a Float")),
        "Boolean" => match value.trim() {
            "true" => Ok(serde_json::Value::Bool(true)),
            "false" => Ok(serde_json::Value::Bool(false)),
            _ => Err(format!("`{value}` is not a Boolean (true or false)")),
        },
        "AWSJSON" => serde_json::from_str::<serde_json::Value>(value)
            .map(|_| serde_json::Value::String(value.to_string()))
            .map_err(|e| format!("`{value}` is not JSON: {e}")),
        _ => Ok(serde_json::Value::String(value.to_string())),
    }
}
