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

use serde_json::{Value, json};

use super::datasource::{Answer, plain};
use super::dynamodb::Database;

mod aggregate;
mod fields;
mod query;

use aggregate::*;
use fields::*;
use query::*;

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
