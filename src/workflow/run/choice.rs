//! Choice rules: the comparison operators, `And`/`Or`/`Not`, and the `*` wildcard of `StringMatches`.

use super::*;
use crate::workflow::tree::{CompareKind, Comparison, Expected, IsKind, Order, Rule};

/// A JSONPath Choice rule against the state's effective input.
pub(super) fn evaluate_rule(rule: &Rule, scope: &Scope) -> Result<bool, Failure> {
    let (variable, test) = match rule {
        Rule::And(all) => {
            for r in all {
                if !evaluate_rule(r, scope)? {
                    return Ok(false);
                }
            }
            return Ok(true);
        }
        Rule::Or(any) => {
            for r in any {
                if evaluate_rule(r, scope)? {
                    return Ok(true);
                }
            }
            return Ok(false);
        }
        Rule::Not(not) => return Ok(!evaluate_rule(not, scope)?),
        Rule::Test {
            variable,
            comparison,
        } => (variable, comparison),
    };
    let value = variable.select(scope).ok();
    let Some(test) = test else {
        return Ok(false);
    };
    let (expected, operator) = match test {
        Comparison::Is(kind, truth) => {
            let is = match kind {
                IsKind::Present => value.is_some(),
                IsKind::Null => value.as_ref().is_some_and(Value::is_null),
                IsKind::Numeric => value.as_ref().is_some_and(Value::is_number),
                IsKind::String => value.as_ref().is_some_and(Value::is_string),
                IsKind::Boolean => value.as_ref().is_some_and(Value::is_boolean),
                IsKind::Timestamp => value
                    .as_ref()
                    .and_then(Value::as_str)
                    .is_some_and(crate::workflow::validate::is_timestamp),
            };
            return Ok(is == *truth);
        }
        Comparison::Matches(expected) => (expected, "StringMatches"),
        Comparison::Compare {
            operand, operator, ..
        } => (operand, operator.as_str()),
    };
    let expected = match expected {
        Expected::Value(v) => v.clone(),
        Expected::Path(p) => p
            .select(scope)
            .map_err(|e| fail(StatesError::Runtime, format!("{operator}Path: {e}")))?,
    };
    let Some(value) = value else {
        return Err(fail(
            StatesError::Runtime,
            format!(
                "Invalid path '{}': the choice state's condition path references an invalid value",
                variable.text()
            ),
        ));
    };
    Ok(match test {
        Comparison::Compare { kind, order, .. } => compare(*kind, *order, &value, &expected),
        _ => match (value.as_str(), expected.as_str()) {
            (Some(v), Some(p)) => wildcard(p, v),
            _ => false,
        },
    })
}

/// An ordered comparison of `value` with `expected`, as its kind reads them
/// (strings, numbers, RFC 3339 timestamps; `BooleanEquals` on booleans only).
/// Values of another type never match.
pub(super) fn compare(kind: CompareKind, order: Order, value: &Value, expected: &Value) -> bool {
    use std::cmp::Ordering::*;
    let ordering = match kind {
        CompareKind::Boolean => return value.as_bool().is_some() && value == expected,
        CompareKind::String => match (value.as_str(), expected.as_str()) {
            (Some(a), Some(b)) => Some(a.cmp(b)),
            _ => None,
        },
        CompareKind::Numeric => match (value.as_f64(), expected.as_f64()) {
            (Some(a), Some(b)) => a.partial_cmp(&b),
            _ => None,
        },
        CompareKind::Timestamp => match (
            value.as_str().and_then(parse_timestamp),
            expected.as_str().and_then(parse_timestamp),
        ) {
            (Some(a), Some(b)) => a.partial_cmp(&b),
            _ => None,
        },
    };
    let Some(o) = ordering else { return false };
    match order {
        Order::Equals => o == Equal,
        Order::LessThan => o == Less,
        Order::GreaterThan => o == Greater,
        Order::LessThanEquals => o != Greater,
        Order::GreaterThanEquals => o != Less,
    }
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
