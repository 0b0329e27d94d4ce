//! Sort (`sort`, `search_after`) and aggregations.

use std::cmp::Ordering;

use serde_json::{Map, Value, json};

use super::*;

#[derive(Debug)]
pub(super) struct SortKey {
    pub(super) field: String,
    pub(super) descending: bool,
}

impl SortKey {
    /// The document's sort value: a keyword's string, a number, a date's
    /// milliseconds; for several values the least (ascending) or greatest
    /// (descending); null when it has none.
    pub(super) fn value_of(&self, doc: &Value) -> Value {
        if self.field == "_score" || self.field == "_doc" {
            return json!(1.0);
        }
        let (values, keyword) = field_values(doc, &self.field);
        let mut keys: Vec<Value> = values
            .into_iter()
            .map(|v| match v {
                Value::String(s) if !keyword => {
                    date_millis(s).map_or_else(|| v.clone(), |d| json!(d))
                }
                Value::Bool(b) => json!(*b as u8),
                other => other.clone(),
            })
            .collect();
        keys.sort_by(compare_values);
        let pick = if self.descending {
            keys.pop()
        } else {
            keys.into_iter().next()
        };
        pick.unwrap_or(Value::Null)
    }
}

pub(super) fn parse_sort(sort: Option<&Value>) -> Result<Vec<SortKey>, SearchError> {
    let items = match sort {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items.clone(),
        Some(one) => vec![one.clone()],
    };
    items
        .iter()
        .map(|item| match item {
            Value::String(field) => Ok(SortKey {
                field: field.clone(),
                descending: field == "_score",
            }),
            Value::Object(map) if map.len() == 1 => {
                let (field, how) = map.iter().next().expect("one entry");
                let order = match how {
                    Value::String(o) => o.as_str(),
                    Value::Object(o) => o
                        .get("order")
                        .and_then(Value::as_str)
                        .unwrap_or(if field == "_score" { "desc" } else { "asc" }),
                    _ => "asc",
                };
                let descending = match order.to_ascii_lowercase().as_str() {
                    "asc" => false,
                    "desc" => true,
                    other => {
                        return Err(parsing(format!(
                            "[sort] order [{other}] is not asc or desc"
                        )));
                    }
                };
                Ok(SortKey {
                    field: field.clone(),
                    descending,
                })
            }
            other => Err(parsing(format!("[sort] cannot sort by {other}"))),
        })
        .collect()
}

/// Text fields have no doc values: sorting or aggregating on one is refused.
pub(super) fn check_doc_values(docs: &[&Doc], field: &str) -> Result<(), SearchError> {
    if field.starts_with('_') {
        return Ok(());
    }
    let text = docs.iter().any(|d| {
        let (values, keyword) = field_values(&d.source, field);
        values.iter().any(|v| is_text(v, keyword))
    });
    if text {
        return Err(illegal(format!(
            "Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead. Alternatively, set fielddata=true on [{field}] in order to load field data by uninverting the inverted index."
        )));
    }
    Ok(())
}

/// Values in index order: numbers, then strings; null (missing) last.
pub(super) fn compare_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Greater,
        (_, Value::Null) => Ordering::Less,
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .unwrap_or_default()
            .partial_cmp(&y.as_f64().unwrap_or_default())
            .unwrap_or(Ordering::Equal),
        (Value::Number(_), _) => Ordering::Less,
        (_, Value::Number(_)) => Ordering::Greater,
        (x, y) => query_text(x).cmp(&query_text(y)),
    }
}

pub(super) fn compare_keys(sort: &[SortKey], a: &[Value], b: &[Value]) -> Ordering {
    for (i, key) in sort.iter().enumerate() {
        let (x, y) = (&a[i], &b[i]);
        let o = match (x.is_null(), y.is_null()) {
            // missing values sort last in either direction
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            _ if key.descending => compare_values(y, x),
            _ => compare_values(x, y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// A value as an aggregation keys it: numbers as numbers, booleans as 1 and
/// 0 and dates as epoch milliseconds (each with its `key_as_string`), strings
/// as themselves.
pub(super) fn bucket_key(v: &Value, keyword: bool) -> (Value, Option<String>) {
    match v {
        Value::Bool(b) => (json!(*b as u8), Some(b.to_string())),
        Value::String(s) if !keyword => match date_millis(s) {
            Some(d) => (json!(d), Some(s.clone())),
            None => (v.clone(), None),
        },
        other => (other.clone(), None),
    }
}

pub(super) fn aggregations(
    aggs: &Value,
    docs: &[&Doc],
    all: &[&Doc],
) -> Result<Value, SearchError> {
    use std::collections::HashMap;
    let aggs = aggs
        .as_object()
        .ok_or_else(|| parsing("[aggs] takes an object"))?;
    let mut out = Map::new();
    for (name, agg) in aggs {
        let map = agg
            .as_object()
            .filter(|m| m.len() == 1)
            .ok_or_else(|| parsing(format!("aggregation [{name}] takes one type")))?;
        let (kind, body) = map.iter().next().expect("one entry");
        let field = body["field"]
            .as_str()
            .ok_or_else(|| parsing(format!("aggregation [{name}] needs a [field]")))?;
        check_doc_values(all, field)?;
        // each document's distinct keys
        let per_doc: Vec<Vec<(Value, Option<String>)>> = docs
            .iter()
            .map(|d| {
                let (values, keyword) = field_values(&d.source, field);
                let mut keys: Vec<(Value, Option<String>)> = Vec::new();
                for v in values {
                    let key = bucket_key(v, keyword);
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                }
                keys
            })
            .collect();
        let numbers: Vec<f64> = per_doc
            .iter()
            .flatten()
            .filter_map(|(k, _)| k.as_f64())
            .collect();
        let result = match kind.as_str() {
            "terms" => {
                let size = body["size"].as_u64().unwrap_or(10) as usize;
                let mut counts: HashMap<String, (Value, Option<String>, u64)> = HashMap::new();
                for (key, text) in per_doc.into_iter().flatten() {
                    counts
                        .entry(key.to_string())
                        .or_insert_with(|| (key, text, 0))
                        .2 += 1;
                }
                let mut buckets: Vec<(Value, Option<String>, u64)> = counts.into_values().collect();
                buckets.sort_by(|(ka, _, na), (kb, _, nb)| {
                    nb.cmp(na).then_with(|| compare_values(ka, kb))
                });
                let other: u64 = buckets.iter().skip(size).map(|(_, _, n)| n).sum();
                let shown: Vec<Value> = buckets
                    .into_iter()
                    .take(size)
                    .map(|(key, text, n)| {
                        let mut b = json!({ "key": key, "doc_count": n });
                        if let Some(text) = text {
                            b["key_as_string"] = json!(text);
                        }
                        b
                    })
                    .collect();
                json!({ "doc_count_error_upper_bound": 0, "sum_other_doc_count": other, "buckets": shown })
            }
            "sum" => json!({ "value": numbers.iter().sum::<f64>() }),
            "avg" => {
                json!({ "value": (!numbers.is_empty()).then(|| numbers.iter().sum::<f64>() / numbers.len() as f64) })
            }
            "min" => json!({ "value": numbers.iter().copied().reduce(f64::min) }),
            "max" => json!({ "value": numbers.iter().copied().reduce(f64::max) }),
            "value_count" => json!({ "value": per_doc.iter().map(Vec::len).sum::<usize>() }),
            "cardinality" => {
                let distinct: std::collections::HashSet<String> = per_doc
                    .iter()
                    .flatten()
                    .map(|(k, _)| k.to_string())
                    .collect();
                json!({ "value": distinct.len() })
            }
            other => {
                return Err(SearchError {
                    kind: "unknown_named_object_exception",
                    reason: format!("Unknown aggregation type [{other}]"),
                });
            }
        };
        out.insert(name.clone(), result);
    }
    Ok(Value::Object(out))
}
