//! Choice rules: the comparison operators, `And`/`Or`/`Not`, and the `*` wildcard of `StringMatches`.

use super::*;

/// A JSONPath Choice rule against the state's effective input.
pub(super) fn evaluate_rule(rule: &Value, scope: &Scope) -> Result<bool, Failure> {
    if let Some(all) = rule.get("And").and_then(Value::as_array) {
        for r in all {
            if !evaluate_rule(r, scope)? {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    if let Some(any) = rule.get("Or").and_then(Value::as_array) {
        for r in any {
            if evaluate_rule(r, scope)? {
                return Ok(true);
            }
        }
        return Ok(false);
    }
    if let Some(not) = rule.get("Not") {
        return Ok(!evaluate_rule(not, scope)?);
    }
    let variable = rule.get("Variable").and_then(Value::as_str).unwrap_or("$");
    let value = paths::select(variable, scope).ok();
    let Some((op, expected)) = rule
        .as_object()
        .into_iter()
        .flatten()
        .find(|(k, _)| !matches!(k.as_str(), "Variable" | "Next" | "Comment" | "Assign"))
    else {
        return Ok(false);
    };
    let mut op = op.as_str();
    let expected = if let Some(base) = op.strip_suffix("Path").filter(|b| !b.starts_with("Is")) {
        op = base;
        match paths::select(expected.as_str().unwrap_or("$"), scope) {
            Ok(v) => v,
            Err(e) => return Err(fail("States.Runtime", format!("{op}Path: {e}"))),
        }
    } else {
        expected.clone()
    };
    let truth = expected.as_bool().unwrap_or(false);
    Ok(match op {
        "IsPresent" => value.is_some() == truth,
        "IsNull" => value.as_ref().is_some_and(Value::is_null) == truth,
        "IsNumeric" => value.as_ref().is_some_and(Value::is_number) == truth,
        "IsString" => value.as_ref().is_some_and(Value::is_string) == truth,
        "IsBoolean" => value.as_ref().is_some_and(Value::is_boolean) == truth,
        "IsTimestamp" => {
            value
                .as_ref()
                .and_then(Value::as_str)
                .is_some_and(crate::workflow::validate::is_timestamp)
                == truth
        }
        _ => {
            let Some(value) = value else {
                return Err(fail(
                    "States.Runtime",
                    format!(
                        "Invalid path '{variable}': the choice state's condition path references an invalid value"
                    ),
                ));
            };
            compare(op, &value, &expected)
        }
    })
}

pub(super) fn compare(op: &str, value: &Value, expected: &Value) -> bool {
    use std::cmp::Ordering::*;
    let order = |a: Option<std::cmp::Ordering>| -> bool {
        let Some(o) = a else { return false };
        match op
            .trim_start_matches("String")
            .trim_start_matches("Numeric")
            .trim_start_matches("Timestamp")
        {
            "Equals" => o == Equal,
            "LessThan" => o == Less,
            "GreaterThan" => o == Greater,
            "LessThanEquals" => o != Greater,
            "GreaterThanEquals" => o != Less,
            _ => false,
        }
    };
    if op == "StringMatches" {
        return match (value.as_str(), expected.as_str()) {
            (Some(v), Some(p)) => wildcard(p, v),
            _ => false,
        };
    }
    if op == "BooleanEquals" {
        return value.as_bool().is_some() && value == expected;
    }
    if op.starts_with("String") {
        return order(match (value.as_str(), expected.as_str()) {
            (Some(a), Some(b)) => Some(a.cmp(b)),
            _ => None,
        });
    }
    if op.starts_with("Numeric") {
        return order(match (value.as_f64(), expected.as_f64()) {
            (Some(a), Some(b)) => a.partial_cmp(&b),
            _ => None,
        });
    }
    if op.starts_with("Timestamp") {
        return order(
            match (
                value.as_str().and_then(parse_timestamp),
                expected.as_str().and_then(parse_timestamp),
            ) {
                (Some(a), Some(b)) => a.partial_cmp(&b),
                _ => None,
            },
        );
    }
    false
}

/// `StringMatches`: `*` matches any run of characters; `\*` and `\\` are literal.
pub(super) fn wildcard(pattern: &str, text: &str) -> bool {
    enum Piece {
        Star,
        Char(char),
    }
    let mut pieces = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => pieces.push(Piece::Char(chars.next().unwrap_or('\\'))),
            '*' => pieces.push(Piece::Star),
            c => pieces.push(Piece::Char(c)),
        }
    }
    let text: Vec<char> = text.chars().collect();
    // dynamic programming over (piece, position)
    let mut reach = vec![false; text.len() + 1];
    reach[0] = true;
    for piece in &pieces {
        let mut next = vec![false; text.len() + 1];
        match piece {
            Piece::Star => {
                let mut any = false;
                for i in 0..=text.len() {
                    any |= reach[i];
                    next[i] = any;
                }
            }
            Piece::Char(c) => {
                for i in 0..text.len() {
                    if reach[i] && text[i] == *c {
                        next[i + 1] = true;
                    }
                }
            }
        }
        reach = next;
    }
    reach[text.len()]
}
