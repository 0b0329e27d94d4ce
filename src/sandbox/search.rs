//! `@searchable` in the sandbox: the OpenSearch data source answered from the
//! sandbox's own tables, so the generated search resolvers run unchanged.
//!
//! A deployed api copies each searchable table into OpenSearch with a
//! streaming function: every item goes to the index named after its
//! `__typename` in lowercase, with the item's key values (sorted by attribute
//! name, joined by `#`) as its id. Here a `GET /<index>/_search` reads the
//! api's tables as that function would have indexed them, at the time of the
//! request (there is no indexing delay), and evaluates the request's body.
//!
//! What is evaluated follows the OpenSearch documentation ("Query DSL",
//! "Search", "Paginate results", "Aggregations") and OpenSearch's dynamic
//! mapping: a JSON string is a `text` field with a `keyword` sub-field
//! (`<field>.keyword`, values up to 256 characters), or a `date` when it looks
//! like one; numbers and booleans are themselves.
//!
//! - Queries: `match_all`, `match_none`, `bool` (`must`, `filter`, `should`
//!   with `minimum_should_match`, `must_not`), `term`, `terms`, `match`
//!   (`operator`), `match_phrase`, `match_phrase_prefix`, `multi_match`
//!   (`query` and `fields`), `prefix`, `wildcard`, `regexp`, `range`, `exists`.
//! - `size` (10), `from`, `sort` (fields, `asc`/`desc`, arrays by their min or
//!   max), `search_after`, `track_total_hits`; `from + size` at most 10,000.
//! - Aggregations: `terms` (`size`), `avg`, `min`, `max`, `sum`,
//!   `value_count`, `cardinality`.
//! - Sorting or aggregating on a `text` field is refused as OpenSearch refuses
//!   it (`illegal_argument_exception`: use the `.keyword` sub-field).
//!
//! Not done (see docs/sandbox.md): relevance scoring (every hit scores 1.0;
//! `_score` sorts keep the index order), analyzers other than an
//! approximation of the standard one (lowercased runs of letters and digits),
//! fuzziness, highlighting, nested and geo queries, scripts.

use std::cmp::Ordering;

use serde_json::{Map, Value, json};

use super::datasource::{Answer, plain};
use super::dynamodb::Database;

/// OpenSearch's `index.max_result_window`.
const MAX_RESULT_WINDOW: u64 = 10_000;
/// OpenSearch's `indices.query.bool.max_clause_count`.
const MAX_CLAUSES: usize = 1024;
/// How deep queries may nest (OpenSearch: `indices.query.bool.max_nested_depth`).
const MAX_DEPTH: usize = 20;
/// `keyword` sub-fields ignore longer strings (dynamic mapping's `ignore_above`).
const IGNORE_ABOVE: usize = 256;
/// OpenSearch's `index.max_regex_length`.
const MAX_REGEX_LENGTH: usize = 1000;
/// OpenSearch's `index.max_terms_count`.
const MAX_TERMS: usize = 65_536;

/// An OpenSearch error: its `type` and `reason`.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchError {
    pub kind: &'static str,
    pub reason: String,
}

fn parsing(reason: impl Into<String>) -> SearchError {
    SearchError {
        kind: "parsing_exception",
        reason: reason.into(),
    }
}

fn illegal(reason: impl Into<String>) -> SearchError {
    SearchError {
        kind: "illegal_argument_exception",
        reason: reason.into(),
    }
}

/// A document: its id and source.
struct Doc {
    id: String,
    source: Value,
}

/// Run an OpenSearch request object (`{operation, path, params: {body}}`, as
/// an AppSync OpenSearch resolver returns it) against the searchable tables of
/// api `api`. The answer is OpenSearch's response body, or `ctx.error` with
/// OpenSearch's error type.
pub fn search(db: &Database, api: &str, request: &Value) -> Answer {
    match run(db, api, request) {
        Ok(v) => Answer::Result(v),
        Err(e) => Answer::Error {
            message: e.reason,
            error_type: e.kind.to_string(),
            result: Value::Null,
        },
    }
}

fn run(db: &Database, api: &str, request: &Value) -> Result<Value, SearchError> {
    let operation = request["operation"].as_str().unwrap_or_default();
    let path = request["path"].as_str().unwrap_or_default();
    let index = match path.trim_matches('/').split('/').collect::<Vec<_>>()[..] {
        [index, "_search"] | [index, "_doc", "_search"]
            if matches!(operation, "GET" | "POST") && !index.is_empty() =>
        {
            index.to_string()
        }
        _ => {
            return Err(illegal(format!(
                "the sandbox's search answers `GET /<index>/_search` only, not `{operation} {path}`"
            )));
        }
    };
    let body = match &request["params"]["body"] {
        Value::Null => json!({}),
        Value::Object(_) => request["params"]["body"].clone(),
        Value::String(s) => serde_json::from_str(s)
            .map_err(|e| parsing(format!("the request body is not JSON: {e}")))?,
        _ => return Err(parsing("the request body must be an object")),
    };
    let docs = documents(db, api, &index).ok_or_else(|| SearchError {
        kind: "index_not_found_exception",
        reason: format!("no such index [{index}]"),
    })?;
    let query = match body.get("query") {
        None | Some(Value::Null) => Query::All,
        Some(q) => parse(q, 0, &mut 0)?,
    };
    let matched: Vec<&Doc> = docs.iter().filter(|d| query.matches(&d.source)).collect();

    let size = count(&body, "size", 10)?;
    let from = count(&body, "from", 0)?;
    let window = from.saturating_add(size);
    if window > MAX_RESULT_WINDOW {
        return Err(illegal(format!(
            "Result window is too large, from + size must be less than or equal to: [{MAX_RESULT_WINDOW}] but was [{window}]."
        )));
    }
    let sort = parse_sort(body.get("sort"))?;
    let all: Vec<&Doc> = docs.iter().collect();
    for key in &sort {
        check_doc_values(&all, &key.field)?;
    }
    let mut ordered: Vec<(&Doc, Vec<Value>)> = matched
        .iter()
        .map(|d| (*d, sort.iter().map(|k| k.value_of(&d.source)).collect()))
        .collect();
    // a stable sort: ties keep the index's order, as `_doc` does
    ordered.sort_by(|(_, a), (_, b)| compare_keys(&sort, a, b));
    let start: Vec<(&Doc, Vec<Value>)> = match body.get("search_after") {
        None | Some(Value::Null) => ordered,
        Some(Value::Array(after)) => {
            if after.len() != sort.len() {
                return Err(illegal(format!(
                    "search_after has {} value(s) but sort has {}",
                    after.len(),
                    sort.len()
                )));
            }
            if from > 0 {
                return Err(illegal(
                    "`from` parameter must be set to 0 when `search_after` is used.",
                ));
            }
            ordered
                .into_iter()
                .filter(|(_, key)| compare_keys(&sort, key, after) == Ordering::Greater)
                .collect()
        }
        Some(_) => return Err(parsing("[search_after] must be an array")),
    };
    let hits: Vec<Value> = start
        .iter()
        .skip(from as usize)
        .take(size as usize)
        .map(|(d, key)| {
            let mut hit = json!({ "_index": index, "_id": d.id, "_source": d.source });
            if sort.is_empty() {
                hit["_score"] = json!(1.0);
            } else {
                hit["_score"] = Value::Null;
                hit["sort"] = Value::Array(key.clone());
            }
            hit
        })
        .collect();
    let total = matched.len() as u64;
    let mut out = json!({
        "took": 0,
        "timed_out": false,
        "_shards": { "total": 1, "successful": 1, "skipped": 0, "failed": 0 },
        "hits": {
            "max_score": if sort.is_empty() && total > 0 { json!(1.0) } else { Value::Null },
            "hits": hits,
        },
    });
    match body.get("track_total_hits") {
        Some(Value::Bool(false)) => {}
        Some(Value::Bool(true)) => {
            out["hits"]["total"] = json!({ "value": total, "relation": "eq" })
        }
        other => {
            let limit = other.and_then(Value::as_u64).unwrap_or(MAX_RESULT_WINDOW);
            out["hits"]["total"] = if total > limit {
                json!({ "value": limit, "relation": "gte" })
            } else {
                json!({ "value": total, "relation": "eq" })
            };
        }
    }
    let aggs = body.get("aggs").or_else(|| body.get("aggregations"));
    if let Some(aggs) = aggs.filter(|a| !a.is_null()) {
        out["aggregations"] = aggregations(aggs, &matched, &all)?;
    }
    Ok(out)
}

fn count(body: &Value, name: &str, default: u64) -> Result<u64, SearchError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v
            .as_u64()
            .ok_or_else(|| illegal(format!("[{name}] must be a non-negative integer, not {v}"))),
    }
}

/// The documents of `index`: the items of the api's tables whose `__typename`
/// names it. `None` when no table of the api is that model's.
fn documents(db: &Database, api: &str, index: &str) -> Option<Vec<Doc>> {
    let prefix = format!("{api}.");
    let mut found = false;
    let mut docs = Vec::new();
    for name in db.table_names() {
        let Some(model) = name
            .strip_prefix(&prefix)
            .and_then(|n| n.strip_suffix("Table"))
        else {
            continue;
        };
        if model.to_lowercase() != index {
            continue;
        }
        found = true;
        let Some((key, items)) = db.items(&name) else {
            continue;
        };
        let mut key_names: Vec<&str> = [Some(key.hash.as_str()), key.range.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        key_names.sort();
        for item in items {
            let source = Value::Object(item.iter().map(|(k, v)| (k.clone(), plain(v))).collect());
            if source["__typename"]
                .as_str()
                .is_some_and(|t| t.to_lowercase() != index)
            {
                continue;
            }
            let id = key_names
                .iter()
                .map(|k| match &source[*k] {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join("#");
            docs.push(Doc { id, source });
        }
    }
    found.then_some(docs)
}

// ----- field values -----

/// The values of `field` in `doc` (a dotted path; arrays flattened), and
/// whether the `.keyword` sub-field was asked for.
fn field_values<'a>(doc: &'a Value, field: &str) -> (Vec<&'a Value>, bool) {
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

fn collect<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| collect(i, out)),
        Value::Null => {}
        other => out.push(other),
    }
}

/// The standard analyzer, approximately: lowercased runs of letters and digits.
fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// A string dynamic mapping takes for a date (`strict_date_optional_time`), in
/// milliseconds since the epoch.
fn date_millis(s: &str) -> Option<i64> {
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
enum Indexed {
    Number(f64),
    Text(String),
}

/// How a stored value compares with a query value: a number with a number (a
/// numeric string counts), a date with a date, a boolean with `true`/`false`,
/// a string with a string. `None` when they cannot be compared.
fn comparable(stored: &Value, given: &Value, keyword: bool) -> Option<(Indexed, Indexed)> {
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
fn is_text(v: &Value, keyword: bool) -> bool {
    !keyword && v.as_str().is_some_and(|s| date_millis(s).is_none())
}

// ----- queries -----

#[derive(Debug)]
enum Query {
    All,
    None,
    Bool {
        must: Vec<Query>,
        should: Vec<Query>,
        must_not: Vec<Query>,
        minimum_should_match: usize,
    },
    Term(String, Vec<Value>),
    Match {
        field: String,
        query: Value,
        all: bool,
    },
    Phrase {
        field: String,
        query: String,
        prefix: bool,
    },
    MultiMatch(Vec<String>, Value, bool),
    Pattern(String, regex::Regex),
    Range(String, Vec<(Ordering, bool, Value)>),
    Exists(String),
}

/// `{field: value}` or `{field: {<key>: value, ...}}`: the field and its value.
fn single_field<'a>(
    kind: &str,
    body: &'a Value,
    key: &str,
) -> Result<(String, &'a Value), SearchError> {
    let map = body.as_object().filter(|m| m.len() == 1).ok_or_else(|| {
        parsing(format!(
            "[{kind}] query doesn't support multiple fields, found {body}"
        ))
    })?;
    let (field, value) = map.iter().next().expect("one entry");
    let value = match value {
        Value::Object(inner) => inner
            .get(key)
            .ok_or_else(|| parsing(format!("[{kind}] query needs [{key}] for field [{field}]")))?,
        v => v,
    };
    Ok((field.clone(), value))
}

fn clauses(v: Option<&Value>, depth: usize, count: &mut usize) -> Result<Vec<Query>, SearchError> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items.iter().map(|q| parse(q, depth + 1, count)).collect(),
        Some(q) => Ok(vec![parse(q, depth + 1, count)?]),
    }
}

fn wildcard_regex(pattern: &str) -> String {
    let mut out = String::from("^(?s:");
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            '\\' => {
                if let Some(n) = chars.next() {
                    out.push_str(&regex::escape(&n.to_string()));
                }
            }
            c => out.push_str(&regex::escape(&c.to_string())),
        }
    }
    out.push_str(")$");
    out
}

fn compile(kind: &str, pattern: &str) -> Result<regex::Regex, SearchError> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| illegal(format!("[{kind}] invalid pattern: {e}")))
}

fn parse(q: &Value, depth: usize, count: &mut usize) -> Result<Query, SearchError> {
    if depth > MAX_DEPTH {
        return Err(illegal(format!(
            "the query nests deeper than {MAX_DEPTH} levels"
        )));
    }
    *count += 1;
    if *count > MAX_CLAUSES {
        return Err(SearchError {
            kind: "too_many_clauses",
            reason: format!("maxClauseCount is set to {MAX_CLAUSES}"),
        });
    }
    let map = q
        .as_object()
        .filter(|m| m.len() == 1)
        .ok_or_else(|| parsing(format!("a query is an object with one key, not {q}")))?;
    let (kind, body) = map.iter().next().expect("one entry");
    Ok(match kind.as_str() {
        "match_all" => Query::All,
        "match_none" => Query::None,
        "bool" => {
            let b = body
                .as_object()
                .ok_or_else(|| parsing("[bool] takes an object"))?;
            for key in b.keys() {
                if !matches!(
                    key.as_str(),
                    "must" | "filter" | "should" | "must_not" | "minimum_should_match" | "boost"
                ) {
                    return Err(parsing(format!("[bool] query does not support [{key}]")));
                }
            }
            let mut must = clauses(b.get("must"), depth, count)?;
            must.extend(clauses(b.get("filter"), depth, count)?);
            let should = clauses(b.get("should"), depth, count)?;
            let must_not = clauses(b.get("must_not"), depth, count)?;
            let minimum_should_match = match b.get("minimum_should_match") {
                None | Some(Value::Null) => usize::from(must.is_empty() && !should.is_empty()),
                Some(Value::Number(n)) => n.as_u64().ok_or_else(|| {
                    parsing(format!(
                        "the sandbox takes minimum_should_match as a count of clauses, not [{n}]"
                    ))
                })? as usize,
                Some(Value::String(s)) => s.trim().parse().map_err(|_| {
                    parsing(format!(
                        "the sandbox takes minimum_should_match as a count of clauses, not [{s}]"
                    ))
                })?,
                Some(v) => return Err(parsing(format!("[bool] minimum_should_match [{v}]"))),
            };
            Query::Bool {
                must,
                should,
                must_not,
                minimum_should_match,
            }
        }
        "term" => {
            let (field, value) = single_field(kind, body, "value")?;
            Query::Term(field, vec![value.clone()])
        }
        "terms" => {
            let map = body
                .as_object()
                .ok_or_else(|| parsing("[terms] takes an object"))?;
            let mut fields = map.iter().filter(|(k, _)| k.as_str() != "boost");
            let (field, values) = fields
                .next()
                .ok_or_else(|| parsing("[terms] query needs a field"))?;
            let values = values
                .as_array()
                .ok_or_else(|| parsing(format!("[terms] query for [{field}] needs an array")))?;
            if values.len() > MAX_TERMS {
                return Err(illegal(format!(
                    "The number of terms [{}] used in the Terms Query request has exceeded the allowed maximum of [{MAX_TERMS}].",
                    values.len()
                )));
            }
            Query::Term(field.clone(), values.clone())
        }
        "match" => {
            let (field, query) = single_field(kind, body, "query")?;
            let all = body[&field]["operator"]
                .as_str()
                .is_some_and(|o| o.eq_ignore_ascii_case("and"));
            Query::Match {
                field,
                query: query.clone(),
                all,
            }
        }
        "match_phrase" | "match_phrase_prefix" => {
            let (field, query) = single_field(kind, body, "query")?;
            Query::Phrase {
                field,
                query: match query {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
                prefix: kind == "match_phrase_prefix",
            }
        }
        "multi_match" => {
            let query = body
                .get("query")
                .ok_or_else(|| parsing("[multi_match] requires query value"))?;
            for key in body.as_object().into_iter().flat_map(|m| m.keys()) {
                if !matches!(
                    key.as_str(),
                    "query" | "fields" | "operator" | "type" | "boost"
                ) {
                    return Err(parsing(format!(
                        "[multi_match] query does not support [{key}]"
                    )));
                }
            }
            let fields = body["fields"]
                .as_array()
                .map(|f| {
                    f.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            if let Some(t) = body["type"]
                .as_str()
                .filter(|t| *t != "best_fields" && *t != "most_fields")
            {
                return Err(parsing(format!(
                    "the sandbox's multi_match runs best_fields and most_fields, not [{t}]"
                )));
            }
            let all = body["operator"]
                .as_str()
                .is_some_and(|o| o.eq_ignore_ascii_case("and"));
            Query::MultiMatch(fields, query.clone(), all)
        }
        "prefix" | "wildcard" | "regexp" => {
            let (field, value) = single_field(kind, body, "value")?;
            let value = value
                .as_str()
                .ok_or_else(|| parsing(format!("[{kind}] value must be a string")))?;
            let length = value.chars().count();
            if length > MAX_REGEX_LENGTH {
                return Err(illegal(format!(
                    "The length of regex [{length}] used in the [{kind}] query request exceeds the allowed maximum of [{MAX_REGEX_LENGTH}]."
                )));
            }
            let pattern = match kind.as_str() {
                "prefix" => format!("^(?s:{}).*$", regex::escape(value)),
                "wildcard" => wildcard_regex(value),
                _ => {
                    // the expression alone must parse: it cannot close the anchoring group
                    compile(kind, value)?;
                    format!("^(?:{value})$")
                }
            };
            Query::Pattern(field, compile(kind, &pattern)?)
        }
        "range" => {
            let map = body
                .as_object()
                .filter(|m| m.len() == 1)
                .ok_or_else(|| parsing("[range] query takes one field"))?;
            let (field, bounds) = map.iter().next().expect("one entry");
            let bounds = bounds
                .as_object()
                .ok_or_else(|| parsing(format!("[range] query for [{field}] takes an object")))?;
            let mut out = Vec::new();
            for (op, v) in bounds {
                let (ord, equal) = match op.as_str() {
                    "gt" => (Ordering::Greater, false),
                    "gte" | "from" => (Ordering::Greater, true),
                    "lt" => (Ordering::Less, false),
                    "lte" | "to" => (Ordering::Less, true),
                    "format" | "time_zone" | "boost" | "relation" => continue,
                    other => {
                        return Err(parsing(format!("[range] query does not support [{other}]")));
                    }
                };
                if v.is_null() {
                    continue;
                }
                if let Some(text) = v.as_str() {
                    if text.trim_start().starts_with("now") || text.contains("||") {
                        return Err(parsing(format!(
                            "the sandbox's search does not evaluate date math ([{text}]): give a date"
                        )));
                    }
                    // a day without a time is rounded as OpenSearch rounds it:
                    // `gt` and `lte` to its last millisecond, `gte` and `lt` to its first
                    if text.len() == 10
                        && let Some(start) = date_millis(text)
                    {
                        let rounded = if ord == Ordering::Greater && !equal
                            || ord == Ordering::Less && equal
                        {
                            start + 86_399_999
                        } else {
                            start
                        };
                        out.push((ord, equal, json!(rounded)));
                        continue;
                    }
                }
                out.push((ord, equal, v.clone()));
            }
            Query::Range(field.clone(), out)
        }
        "exists" => Query::Exists(
            body["field"]
                .as_str()
                .ok_or_else(|| parsing("[exists] must be provided with a [field]"))?
                .to_string(),
        ),
        other => return Err(parsing(format!("unknown query [{other}]"))),
    })
}

fn query_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Query {
    fn matches(&self, doc: &Value) -> bool {
        match self {
            Query::All => true,
            Query::None => false,
            Query::Bool {
                must,
                should,
                must_not,
                minimum_should_match,
            } => {
                must.iter().all(|q| q.matches(doc))
                    && !must_not.iter().any(|q| q.matches(doc))
                    && should.iter().filter(|q| q.matches(doc)).count() >= *minimum_should_match
            }
            Query::Term(field, given) => {
                let (values, keyword) = field_values(doc, field);
                values.iter().any(|v| {
                    given.iter().any(|g| {
                        if is_text(v, keyword) {
                            // a term is not analyzed: it must equal one of the text's tokens
                            let g = query_text(g);
                            tokens(v.as_str().unwrap_or_default()).contains(&g)
                        } else {
                            comparable(v, g, keyword).is_some_and(|(a, b)| a == b)
                        }
                    })
                })
            }
            Query::Match { field, query, all } => match_field(doc, field, query, *all),
            // best_fields: the whole query in one field
            Query::MultiMatch(fields, query, all) => {
                fields.iter().any(|f| match_field(doc, f, query, *all))
            }
            Query::Phrase {
                field,
                query,
                prefix,
            } => {
                let wanted = tokens(query);
                let (values, keyword) = field_values(doc, field);
                values.iter().any(|v| {
                    if !is_text(v, keyword) {
                        return comparable(v, &Value::String(query.clone()), keyword)
                            .is_some_and(|(a, b)| a == b);
                    }
                    phrase_in(&tokens(v.as_str().unwrap_or_default()), &wanted, *prefix)
                })
            }
            Query::Pattern(field, re) => {
                let (values, keyword) = field_values(doc, field);
                values.iter().any(|v| {
                    if is_text(v, keyword) {
                        tokens(v.as_str().unwrap_or_default())
                            .iter()
                            .any(|t| re.is_match(t))
                    } else {
                        re.is_match(&query_text(v))
                    }
                })
            }
            Query::Range(field, bounds) => {
                let (values, keyword) = field_values(doc, field);
                values.iter().any(|v| {
                    let candidates: Vec<Value> = if is_text(v, keyword) {
                        tokens(v.as_str().unwrap_or_default())
                            .into_iter()
                            .map(Value::String)
                            .collect()
                    } else {
                        vec![(*v).clone()]
                    };
                    candidates.iter().any(|c| {
                        bounds.iter().all(|(ord, equal, b)| {
                            comparable(c, b, keyword).is_some_and(|(x, y)| {
                                match x.partial_cmp(&y) {
                                    Some(Ordering::Equal) => *equal,
                                    Some(o) => o == *ord,
                                    None => false,
                                }
                            })
                        })
                    })
                })
            }
            Query::Exists(field) => !field_values(doc, field).0.is_empty(),
        }
    }
}

fn match_field(doc: &Value, field: &str, query: &Value, all: bool) -> bool {
    let (values, keyword) = field_values(doc, field);
    let wanted = tokens(&query_text(query));
    values.iter().any(|v| {
        if is_text(v, keyword) {
            if wanted.is_empty() {
                return false;
            }
            let have = tokens(v.as_str().unwrap_or_default());
            if all {
                wanted.iter().all(|w| have.contains(w))
            } else {
                wanted.iter().any(|w| have.contains(w))
            }
        } else {
            comparable(v, query, keyword).is_some_and(|(a, b)| a == b)
        }
    })
}

fn phrase_in(have: &[String], wanted: &[String], prefix: bool) -> bool {
    if wanted.is_empty() || wanted.len() > have.len() {
        return false;
    }
    have.windows(wanted.len()).any(|w| {
        let n = wanted.len();
        w[..n - 1] == wanted[..n - 1]
            && if prefix {
                w[n - 1].starts_with(&wanted[n - 1])
            } else {
                w[n - 1] == wanted[n - 1]
            }
    })
}

// ----- sort -----

#[derive(Debug)]
struct SortKey {
    field: String,
    descending: bool,
}

impl SortKey {
    /// The document's sort value: a keyword's string, a number, a date's
    /// milliseconds; for several values the least (ascending) or greatest
    /// (descending); null when it has none.
    fn value_of(&self, doc: &Value) -> Value {
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

fn parse_sort(sort: Option<&Value>) -> Result<Vec<SortKey>, SearchError> {
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
fn check_doc_values(docs: &[&Doc], field: &str) -> Result<(), SearchError> {
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
fn compare_values(a: &Value, b: &Value) -> Ordering {
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

fn compare_keys(sort: &[SortKey], a: &[Value], b: &[Value]) -> Ordering {
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

// ----- aggregations -----

/// A value as an aggregation keys it: numbers as numbers, booleans as 1 and
/// 0 and dates as epoch milliseconds (each with its `key_as_string`), strings
/// as themselves.
fn bucket_key(v: &Value, keyword: bool) -> (Value, Option<String>) {
    match v {
        Value::Bool(b) => (json!(*b as u8), Some(b.to_string())),
        Value::String(s) if !keyword => match date_millis(s) {
            Some(d) => (json!(d), Some(s.clone())),
            None => (v.clone(), None),
        },
        other => (other.clone(), None),
    }
}

fn aggregations(aggs: &Value, docs: &[&Doc], all: &[&Doc]) -> Result<Value, SearchError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Database {
        let mut db = Database::in_memory();
        db.call(
            "CreateTable",
            &json!({
                "TableName": "main.BookTable",
                "KeySchema": [{ "AttributeName": "id", "KeyType": "HASH" }],
                "AttributeDefinitions": [{ "AttributeName": "id", "AttributeType": "S" }],
                "BillingMode": "PAY_PER_REQUEST",
            }),
        )
        .unwrap();
        let books = [
            (
                "1",
                "The Quick Brown Fox",
                "fable",
                120,
                "2020-01-05",
                &["ada"][..],
            ),
            (
                "2",
                "Quick Recipes",
                "cooking",
                300,
                "2021-06-01",
                &["bob"][..],
            ),
            (
                "3",
                "Slow Food",
                "cooking",
                90,
                "2019-03-10",
                &["ada", "bob"][..],
            ),
            ("4", "Brown Bears", "nature", 250, "2022-11-30", &[][..]),
        ];
        for (id, title, genre, pages, published, editors) in books {
            let editors: Vec<Value> = editors.iter().map(|e| json!({ "S": e })).collect();
            db.call(
                "PutItem",
                &json!({ "TableName": "main.BookTable", "Item": {
                    "id": { "S": id }, "__typename": { "S": "Book" }, "title": { "S": title },
                    "genre": { "S": genre }, "pages": { "N": pages.to_string() },
                    "published": { "S": published }, "editors": { "L": editors },
                }}),
            )
            .unwrap();
        }
        db
    }

    fn ids(db: &Database, body: Value) -> Vec<String> {
        match search(
            db,
            "main",
            &json!({ "operation": "GET", "path": "/book/_search", "params": { "body": body } }),
        ) {
            Answer::Result(r) => r["hits"]["hits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["_id"].as_str().unwrap().to_string())
                .collect(),
            Answer::Error { message, .. } => panic!("{message}"),
        }
    }

    fn error(db: &Database, body: Value) -> String {
        match search(
            db,
            "main",
            &json!({ "operation": "GET", "path": "/book/_search", "params": { "body": body } }),
        ) {
            Answer::Error { error_type, .. } => error_type,
            Answer::Result(r) => panic!("expected an error, got {r}"),
        }
    }

    #[test]
    fn text_fields_are_analyzed_and_keywords_are_exact() {
        let db = db();
        assert_eq!(
            ids(&db, json!({ "query": { "match": { "title": "quick" } } })),
            ["1", "2"]
        );
        assert_eq!(
            ids(
                &db,
                json!({ "query": { "match": { "title": { "query": "quick brown", "operator": "and" } } } })
            ),
            ["1"]
        );
        assert_eq!(
            ids(
                &db,
                json!({ "query": { "match": { "title": "brown slow" } } })
            ),
            ["1", "3", "4"]
        );
        // a term is not analyzed: "Quick" is not a token, "quick" is
        assert!(ids(&db, json!({ "query": { "term": { "title": "Quick" } } })).is_empty());
        assert_eq!(
            ids(&db, json!({ "query": { "term": { "title": "quick" } } })),
            ["1", "2"]
        );
        assert_eq!(
            ids(
                &db,
                json!({ "query": { "term": { "title.keyword": "Quick Recipes" } } })
            ),
            ["2"]
        );
        assert_eq!(
            ids(
                &db,
                json!({ "query": { "match_phrase": { "title": "quick brown" } } })
            ),
            ["1"]
        );
        assert!(
            ids(
                &db,
                json!({ "query": { "match_phrase": { "title": "brown quick" } } })
            )
            .is_empty()
        );
        assert_eq!(
            ids(
                &db,
                json!({ "query": { "match_phrase_prefix": { "title": "brown be" } } })
            ),
            ["4"]
        );
        assert_eq!(
            ids(&db, json!({ "query": { "wildcard": { "title": "qu*k" } } })),
            ["1", "2"]
        );
        assert_eq!(
            ids(&db, json!({ "query": { "regexp": { "genre": "cook.*" } } })),
            ["2", "3"]
        );
        assert_eq!(
            ids(
                &db,
                json!({ "query": { "prefix": { "title.keyword": "Slow" } } })
            ),
            ["3"]
        );
        // arrays match by any element
        assert_eq!(
            ids(
                &db,
                json!({ "query": { "term": { "editors.keyword": "bob" } } })
            ),
            ["2", "3"]
        );
        assert_eq!(
            ids(
                &db,
                json!({ "query": { "exists": { "field": "editors" } } })
            ),
            ["1", "2", "3"]
        );
    }

    #[test]
    fn ranges_compare_numbers_and_dates() {
        let db = db();
        assert_eq!(
            ids(
                &db,
                json!({ "query": { "range": { "pages": { "gte": 120, "lt": 300 } } } })
            ),
            ["1", "4"]
        );
        assert_eq!(
            ids(
                &db,
                json!({ "query": { "range": { "published": { "gt": "2020-06-01" } } } })
            ),
            ["2", "4"]
        );
        assert_eq!(
            ids(
                &db,
                json!({ "query": { "range": { "pages": { "gt": "100" } } } })
            ),
            ["1", "2", "4"]
        );
        // a day without a time: `lte` takes the whole day, `lt` none of it
        assert_eq!(
            ids(
                &db,
                json!({ "query": { "range": { "published": { "lte": "2020-01-05" } } } })
            ),
            ["1", "3"]
        );
        assert_eq!(
            ids(
                &db,
                json!({ "query": { "range": { "published": { "lt": "2020-01-05" } } } })
            ),
            ["3"]
        );
        assert_eq!(
            error(
                &db,
                json!({ "query": { "range": { "published": { "gt": "now-1d" } } } })
            ),
            "parsing_exception"
        );
        // dates have no keyword sub-field
        assert!(
            ids(
                &db,
                json!({ "query": { "term": { "published.keyword": "2020-01-05" } } })
            )
            .is_empty()
        );
    }

    #[test]
    fn bool_combines_as_opensearch_does() {
        let db = db();
        let q = json!({ "query": { "bool": {
            "must": [{ "term": { "genre.keyword": "cooking" } }],
            "must_not": { "range": { "pages": { "lt": 100 } } },
        }}});
        assert_eq!(ids(&db, q), ["2"]);
        // should alone needs one match; beside must it is optional
        let q = json!({ "query": { "bool": { "should": [{ "term": { "genre": "fable" } }, { "term": { "genre": "nature" } }] } } });
        assert_eq!(ids(&db, q), ["1", "4"]);
        let q = json!({ "query": { "bool": { "must": { "match_all": {} }, "should": { "term": { "genre": "fable" } } } } });
        assert_eq!(ids(&db, q).len(), 4);
        let q = json!({ "query": { "bool": { "must": { "match_all": {} }, "should": { "term": { "genre": "fable" } }, "minimum_should_match": 1 } } });
        assert_eq!(ids(&db, q), ["1"]);
    }

    #[test]
    fn sort_pages_and_search_after() {
        let db = db();
        let body = |after: Option<Value>| {
            let mut b = json!({ "size": 2, "sort": [{ "pages": { "order": "desc" } }] });
            if let Some(a) = after {
                b["search_after"] = a;
            }
            b
        };
        assert_eq!(ids(&db, body(None)), ["2", "4"]);
        assert_eq!(ids(&db, body(Some(json!([250])))), ["1", "3"]);
        assert_eq!(
            ids(&db, json!({ "from": 3, "sort": ["genre.keyword"] })),
            ["4"]
        );
        // text fields cannot be sorted; a window over 10,000 is refused
        assert_eq!(
            error(&db, json!({ "sort": ["title"] })),
            "illegal_argument_exception"
        );
        assert_eq!(
            error(&db, json!({ "from": 9999, "size": 2 })),
            "illegal_argument_exception"
        );
        assert_eq!(
            error(&db, json!({ "query": { "fuzzy": { "title": "qick" } } })),
            "parsing_exception"
        );
    }

    #[test]
    fn aggregations_and_totals() {
        let db = db();
        let Answer::Result(r) = search(
            &db,
            "main",
            &json!({ "operation": "GET", "path": "/book/_search", "params": { "body": {
                "size": 0, "track_total_hits": true,
                "aggs": { "genres": { "terms": { "field": "genre.keyword" } }, "pages": { "avg": { "field": "pages" } }, "most": { "max": { "field": "pages" } } },
            }}}),
        ) else {
            panic!()
        };
        assert_eq!(r["hits"]["total"], json!({ "value": 4, "relation": "eq" }));
        assert_eq!(
            r["aggregations"]["genres"]["buckets"][0],
            json!({ "key": "cooking", "doc_count": 2 })
        );
        assert_eq!(r["aggregations"]["pages"]["value"], json!(190.0));
        assert_eq!(r["aggregations"]["most"]["value"], json!(300.0));
        assert_eq!(
            error(
                &db,
                json!({ "aggs": { "t": { "terms": { "field": "title" } } } })
            ),
            "illegal_argument_exception"
        );
    }

    #[test]
    fn hostile_queries_are_bounded() {
        let db = db();
        let mut q = json!({ "match_all": {} });
        for _ in 0..50 {
            q = json!({ "bool": { "must": [q] } });
        }
        assert_eq!(
            error(&db, json!({ "query": q })),
            "illegal_argument_exception"
        );
        let many: Vec<Value> = (0..2000)
            .map(|i| json!({ "term": { "genre": format!("g{i}") } }))
            .collect();
        assert_eq!(
            error(&db, json!({ "query": { "bool": { "should": many } } })),
            "too_many_clauses"
        );
        assert_eq!(
            error(&db, json!({ "query": { "regexp": { "title": "(" } } })),
            "illegal_argument_exception"
        );
        let Answer::Error { error_type, .. } = search(
            &db,
            "main",
            &json!({ "operation": "GET", "path": "/nope/_search" }),
        ) else {
            panic!()
        };
        assert_eq!(error_type, "index_not_found_exception");
        assert_eq!(
            error(&db, json!({ "from": u64::MAX, "size": 1 })),
            "illegal_argument_exception"
        );
        // a regular expression cannot escape its anchors
        assert_eq!(
            error(&db, json!({ "query": { "regexp": { "genre": "x)|(.*" } } })),
            "illegal_argument_exception"
        );
        let long = "a".repeat(1001);
        assert_eq!(
            error(&db, json!({ "query": { "regexp": { "genre": long } } })),
            "illegal_argument_exception"
        );
    }
}
