//! Composite sort keys (`@primaryKey`/`@index` with several sort key fields):
//! the key condition of a query, and the helpers that join the fields.

use crate::transform::Key;

use super::js;

/// Helpers of resolvers that query a composite sort key (an attribute `a#b`):
/// the key condition is written out, and the client's condition on the sort key
/// fields becomes one on the joined value.
pub(super) const COMPOSITE_HELPERS: &str = "const KEY_OPERATORS = { eq: '=', le: '<=', lt: '<', ge: '>=', gt: '>' };\n\n// The values of `fields` in `value`, joined by '#', up to the first one missing.\nfunction joinKey(value, fields) {\n  const missing = fields.findIndex((f) => value[f] === undefined || value[f] === null);\n  return (missing === -1 ? fields : fields.slice(0, missing)).map((f) => value[f]).join('#');\n}\n\n// A condition on the composite sort key, from one on its fields.\nfunction compositeCondition(condition, fields) {\n  if (!condition) {\n    return undefined;\n  }\n  const op = Object.keys(condition)[0];\n  if (op === 'between') {\n    return { between: condition.between.map((v) => joinKey(v, fields)) };\n  }\n  const value = joinKey(condition[op], fields);\n  if (op === 'eq' && fields.some((f) => condition.eq[f] === undefined || condition.eq[f] === null)) {\n    return { beginsWith: value };\n  }\n  return { [op]: value };\n}\n\n// A key condition: the partition equal to `value`, the sort key by `sort`.\nfunction keyQuery(partition, value, sortName, sort) {\n  const query = {\n    expression: '#pk = :pk',\n    expressionNames: { '#pk': partition },\n    expressionValues: { ':pk': util.dynamodb.toDynamoDB(value) },\n  };\n  if (sort) {\n    query.expressionNames['#sk'] = sortName;\n    if (sort.between) {\n      query.expression = query.expression + ' AND #sk BETWEEN :sk0 AND :sk1';\n      query.expressionValues[':sk0'] = util.dynamodb.toDynamoDB(sort.between[0]);\n      query.expressionValues[':sk1'] = util.dynamodb.toDynamoDB(sort.between[1]);\n    } else if (sort.beginsWith !== undefined) {\n      query.expression = query.expression + ' AND begins_with(#sk, :sk)';\n      query.expressionValues[':sk'] = util.dynamodb.toDynamoDB(sort.beginsWith);\n    } else {\n      const op = Object.keys(sort)[0];\n      query.expression = query.expression + ' AND #sk ' + KEY_OPERATORS[op] + ' :sk';\n      query.expressionValues[':sk'] = util.dynamodb.toDynamoDB(sort[op]);\n    }\n  }\n  return query;\n}\n";

/// Where the sort key of a query comes from.
pub(super) enum Sort {
    /// Values of the source's fields, for the first sort key fields.
    Values(Vec<String>),
    /// The client's condition, in this argument.
    Arg(String),
    None,
}

/// The lines that build and return a query of `key` (on `index`, or the table):
/// the partition equal to `partition` (a JavaScript expression), the sort key by
/// `sort`. Expects `filter`, `limit` and `nextToken` in scope. The second value
/// is whether the file needs [`COMPOSITE_HELPERS`].
pub(super) fn query_request(
    index: Option<&str>,
    key: &Key,
    partition: &str,
    sort: &Sort,
) -> (String, bool) {
    let index_field = index
        .map(|i| format!("index: {}, ", js(i)))
        .unwrap_or_default();
    if key.is_composite() {
        let attribute = key.sort_attribute().unwrap_or_default();
        let condition = match sort {
            Sort::Values(values) if values.len() == key.sort.len() => {
                format!("{{ eq: [{}].join('#') }}", values.join(", "))
            }
            Sort::Values(values) if !values.is_empty() => {
                format!("{{ beginsWith: [{}].join('#') + '#' }}", values.join(", "))
            }
            Sort::Arg(arg) => {
                let fields: Vec<String> = key.sort.iter().map(|f| js(f)).collect();
                format!(
                    "compositeCondition(ctx.args.{arg}, [{}])",
                    fields.join(", ")
                )
            }
            _ => "undefined".into(),
        };
        return (
            format!(
                "  const query = keyQuery({}, {partition}, {}, {condition});\n  return {{ operation: 'Query', {index_field}query, filter: filter ? JSON.parse(util.transform.toDynamoDBFilterExpression(filter)) : undefined, limit, nextToken, scanIndexForward: ctx.args.sortDirection !== 'DESC' }};\n",
                js(&key.partition),
                js(&attribute)
            ),
            true,
        );
    }
    let mut out = format!(
        "  const query = {{ {}: {{ eq: {partition} }} }};\n",
        key.partition
    );
    match (sort, key.sort.first()) {
        (Sort::Values(values), Some(sk)) if !values.is_empty() => {
            out.push_str(&format!("  query.{sk} = {{ eq: {} }};\n", values[0]));
        }
        (Sort::Arg(arg), Some(sk)) => {
            out.push_str(&format!(
                "  if (ctx.args.{arg}) {{\n    query.{sk} = ctx.args.{arg};\n  }}\n"
            ));
        }
        _ => {}
    }
    out.push_str(&format!("  return ddb.query({{ {index_field}query, filter, limit, nextToken, scanIndexForward: ctx.args.sortDirection !== 'DESC' }});\n"));
    (out, false)
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
        format!("{functions}\n{COMPOSITE_HELPERS}")
    } else {
        functions
    }
}

/// The name of the argument of a composite sort key (`statusCreatedAt`).
pub(super) fn composite_arg(key: &Key) -> String {
    let names: Vec<&str> = key.sort.iter().map(String::as_str).collect();
    crate::transform::camel(&names)
}
