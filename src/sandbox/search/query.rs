//! Queries: parsed from the request's DSL (with OpenSearch's bounds) and
//! matched against a document.

use std::cmp::Ordering;

use serde_json::{Value, json};

use super::*;

#[derive(Debug)]
pub(super) enum Query {
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
pub(super) fn single_field<'a>(
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

pub(super) fn clauses(
    v: Option<&Value>,
    depth: usize,
    count: &mut usize,
) -> Result<Vec<Query>, SearchError> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items.iter().map(|q| parse(q, depth + 1, count)).collect(),
        Some(q) => Ok(vec![parse(q, depth + 1, count)?]),
    }
}

pub(super) fn wildcard_regex(pattern: &str) -> String {
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

pub(super) fn compile(kind: &str, pattern: &str) -> Result<regex::Regex, SearchError> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| illegal(format!("[{kind}] invalid pattern: {e}")))
}

pub(super) fn parse(q: &Value, depth: usize, count: &mut usize) -> Result<Query, SearchError> {
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

pub(super) fn query_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Query {
    pub(super) fn matches(&self, doc: &Value) -> bool {
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

pub(super) fn match_field(doc: &Value, field: &str, query: &Value, all: bool) -> bool {
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

pub(super) fn phrase_in(have: &[String], wanted: &[String], prefix: bool) -> bool {
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
