//! Field values as OpenSearch's dynamic mapping indexes them: text and its
//! `keyword` sub-field, dates, numbers; the standard analyzer, approximately.

use serde_json::Value;

use super::*;

/// The values of `field` in `doc` (a dotted path; arrays flattened), and
/// whether the `.keyword` sub-field was asked for.
pub(super) fn field_values<'a>(doc: &'a Value, field: &str) -> (Vec<&'a Value>, bool) {
    let (path, keyword) = match field.strip_suffix(".keyword") {
        Some(p) => (p, true),
        None => (field, false),
    };
    let mut current = vec![doc];
    for part in path.split('.') {
        let mut next = Vec::new();
        for v in current {
            collect(&v[part], &mut next);
        }
        current = next;
    }
    let values = current
        .into_iter()
        .filter(|v| !v.is_null())
        .filter(|v| {
            // dynamic mapping gives strings a keyword sub-field, but not the
            // strings it took for dates (those fields are `date`)
            !keyword
                || v.as_str()
                    .is_some_and(|s| s.chars().count() <= IGNORE_ABOVE && date_millis(s).is_none())
        })
        .collect();
    (values, keyword)
}

pub(super) fn collect<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| collect(i, out)),
        Value::Null => {}
        other => out.push(other),
    }
}

/// The standard analyzer, approximately: lowercased runs of letters and digits.
pub(super) fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// A string dynamic mapping takes for a date (`strict_date_optional_time`), in
/// milliseconds since the epoch.
pub(super) fn date_millis(s: &str) -> Option<i64> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime};
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_millis());
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    None
}

/// A value as the index holds it, for comparisons.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
pub(super) enum Indexed {
    Number(f64),
    Text(String),
}

/// How a stored value compares with a query value: a number with a number (a
/// numeric string counts), a date with a date, a boolean with `true`/`false`,
/// a string with a string. `None` when they cannot be compared.
pub(super) fn comparable(
    stored: &Value,
    given: &Value,
    keyword: bool,
) -> Option<(Indexed, Indexed)> {
    match stored {
        Value::Number(n) => {
            let q = match given {
                Value::Number(m) => m.as_f64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            }?;
            Some((Indexed::Number(n.as_f64()?), Indexed::Number(q)))
        }
        Value::Bool(b) => {
            let q = match given {
                Value::Bool(q) => Some(*q),
                Value::String(s) if s == "true" || s == "false" => Some(s == "true"),
                _ => None,
            }?;
            Some((
                Indexed::Number(*b as u8 as f64),
                Indexed::Number(q as u8 as f64),
            ))
        }
        Value::String(s) => {
            if !keyword && let Some(d) = date_millis(s) {
                let q = match given {
                    Value::String(g) => date_millis(g)?,
                    Value::Number(n) => n.as_i64()?,
                    _ => return None,
                };
                return Some((Indexed::Number(d as f64), Indexed::Number(q as f64)));
            }
            let q = match given {
                Value::String(g) => g.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return None,
            };
            Some((Indexed::Text(s.clone()), Indexed::Text(q)))
        }
        _ => None,
    }
}

/// Whether a stored string is analyzed text (not a keyword, not a date).
pub(super) fn is_text(v: &Value, keyword: bool) -> bool {
    !keyword && v.as_str().is_some_and(|s| date_millis(s).is_none())
}
