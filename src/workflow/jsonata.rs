//! JSONata in states (`QueryLanguage: "JSONata"`): `{% expression %}` strings,
//! evaluated by jsonata-rs with `$states` and the machine's variables bound.
//!
//! jsonata-rs implements most of JSONata 1.x; an expression it cannot parse is
//! reported by `validate` at its place. Step Functions' own additions that it
//! lacks (`$partition`, `$range`, `$hash`, `$random` with a seed, `$parse`) are
//! refused with a clear error.

use std::collections::HashMap;

use serde_json::{Map, Value};

/// Step Functions' functions jsonata-rs does not have.
const MISSING: [&str; 5] = ["$partition(", "$range(", "$hash(", "$parse(", "$random("];

/// The expression inside `{% ... %}`, if `text` is one.
pub fn expression(text: &str) -> Option<&str> {
    let t = text.trim();
    t.strip_prefix("{%")
        .and_then(|r| r.strip_suffix("%}"))
        .map(str::trim)
}

/// Does the expression parse (and use only functions this engine has)?
pub fn check(expr: &str) -> Result<(), String> {
    if let Some(f) = MISSING.iter().find(|f| expr.contains(**f)) {
        return Err(format!(
            "`{}` is a Step Functions JSONata function hoist's engine does not run yet",
            f.trim_end_matches('(')
        ));
    }
    let arena = bumpalo::Bump::new();
    jsonata_rs::JsonAta::new(expr, &arena)
        .map(|_| ())
        .map_err(|e| format!("`{expr}` is not a valid JSONata expression: {e}"))
}

/// Evaluate an expression with these variables (`states` for `$states`).
pub fn evaluate(expr: &str, variables: &Map<String, Value>) -> Result<Value, String> {
    check(expr)?;
    let arena = bumpalo::Bump::new();
    let compiled = jsonata_rs::JsonAta::new(expr, &arena)
        .map_err(|e| format!("`{expr}` is not a valid JSONata expression: {e}"))?;
    let bindings: HashMap<&str, &Value> = variables.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let result = compiled
        .evaluate(None, Some(&bindings))
        .map_err(|e| format!("`{expr}` failed: {e}"))?;
    if result.is_undefined() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&result.serialize(false))
        .map_err(|e| format!("`{expr}` gave a value that is not JSON: {e}"))
}

/// Every `{% %}` expression in a value, with its JSON pointer below `pointer`.
pub fn expressions(value: &Value, pointer: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::String(s) => {
            if let Some(e) = expression(s) {
                out.push((pointer.to_string(), e.to_string()));
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                expressions(v, &format!("{pointer}/{}", super::pointer_token(k)), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                expressions(v, &format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn expressions_see_states_and_variables() {
        let mut vars = Map::new();
        vars.insert(
            "states".into(),
            json!({"input": {"a": 2, "items": [1, 2, 3]}}),
        );
        vars.insert("factor".into(), json!(10));
        assert_eq!(
            evaluate("$states.input.a * $factor", &vars).unwrap(),
            json!(20)
        );
        assert_eq!(
            evaluate("$sum($states.input.items)", &vars).unwrap(),
            json!(6)
        );
        assert!(check("$states.input.").is_err());
        assert!(check("$partition([1,2], 1)").is_err());
        assert_eq!(expression("{% 1 + 1 %}"), Some("1 + 1"));
        assert_eq!(expression("1 + 1"), None);
    }
}
