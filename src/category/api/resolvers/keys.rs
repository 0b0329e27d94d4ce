//! Composite sort keys (`@primaryKey`/`@index` with several sort key fields):
//! the key condition of a query, and the helpers that join the fields.

use serde_json::json;

use crate::render::RenderError;
use crate::render::blueprints::{assets, resolver};
use crate::transform::Key;

/// Where the sort key of a query comes from.
pub(super) enum Sort {
    /// The values of these fields of the source item (`ctx.source`), for the
    /// first sort key fields.
    Values(Vec<String>),
    /// The client's condition, in this argument.
    Arg(String),
    None,
}

/// The lines that build and return a query of `key` (on `index`, or the table):
/// the partition equal to `partition` (the field of an object: `("ctx.args",
/// "id")` is `ctx.args.id`), the sort key by
/// `sort`. Expects `filter`, `limit` and `nextToken` in scope. The second value
/// is whether the file needs the composite key helpers (`composite-helpers.js`).
pub(super) fn query_request(
    index: Option<&str>,
    key: &Key,
    partition: (&str, &str),
    sort: &Sort,
) -> Result<(String, bool), RenderError> {
    let composite = key.is_composite();
    let condition = if composite {
        let (eq, begins, arg, values) = match sort {
            Sort::Values(values) if values.len() == key.sort.len() => (true, false, None, values),
            Sort::Values(values) if !values.is_empty() => (false, true, None, values),
            Sort::Arg(arg) => (false, false, Some(arg), &Vec::new()),
            _ => (false, false, None, &Vec::new()),
        };
        resolver(
            "composite-condition",
            &json!({ "eq": eq, "begins": begins, "arg": arg, "values": values, "fields": key.sort }),
        )?
    } else {
        String::new()
    };
    let (sort_value, sort_arg) = match (sort, key.sort.first()) {
        (Sort::Values(values), Some(_)) if !values.is_empty() => (Some(&values[0]), None),
        (Sort::Arg(arg), Some(_)) => (None, Some(arg)),
        _ => (None, None),
    };
    let code = resolver(
        "query",
        &json!({
            "composite": composite,
            "index": index,
            "partition": key.partition,
            "object": partition.0,
            "field": partition.1,
            "sort_attribute": key.sort_attribute().unwrap_or_default(),
            "condition": condition,
            "sort_key": key.sort.first(),
            "sort_value": sort_value,
            "sort_arg": sort_arg,
        }),
    )?;
    Ok((code, composite))
}

/// A query of `key` by the client's arguments: the partition field, and the sort key's condition.
pub(super) fn sort_arg_of(key: &Key) -> Sort {
    match key.sort.as_slice() {
        [] => Sort::None,
        [single] => Sort::Arg(single.clone()),
        _ => Sort::Arg(composite_arg(key)),
    }
}

/// Access functions, with the composite key helpers when the file needs them.
pub(super) fn with_helpers(functions: String, composite: bool) -> String {
    if composite {
        format!("{functions}\n{}", assets::COMPOSITE_HELPERS)
    } else {
        functions
    }
}

/// The name of the argument of a composite sort key (`statusCreatedAt`).
pub(super) fn composite_arg(key: &Key) -> String {
    let names: Vec<&str> = key.sort.iter().map(String::as_str).collect();
    crate::transform::camel(&names)
}
