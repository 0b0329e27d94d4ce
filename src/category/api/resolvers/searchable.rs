//! `@searchable`: the search query's resolver and the streaming function that
//! copies table changes into OpenSearch.

use crate::transform::Model;
use crate::transform::auth::Ops;

use super::access::Access;
use super::{Resolver, file, js, narrow_filter};

/// The OpenSearch index of a searchable model.
pub fn search_index(model: &Model) -> String {
    model.name.to_ascii_lowercase()
}

/// The Lambda function that copies searchable tables' changes into OpenSearch:
/// each stream record becomes a bulk index or delete, in the index named after
/// the item's `__typename`, with the item's key as the document id. Node.js 24,
/// with only the AWS SDK the runtime ships.
pub const SEARCH_STREAMING_CODE: &str =
    include_str!("../../../../blueprints/api/functions/search-streaming.js");

/// The resolver of a searchable model's search query: the client's filter (and
/// who may see what) as an OpenSearch query, its sort, page and aggregations.
pub fn search_resolver(model: &Model) -> Option<Resolver> {
    let search = model.searchable.as_ref()?;
    let m = &model.name;
    let a = Access::new(&model.auth.grants, Ops::SEARCH, "");
    // Text fields sort and aggregate by their keyword sub-field.
    let keyword: Vec<String> = model
        .fields
        .iter()
        .filter(|f| {
            f.is_enum
                || matches!(
                    f.ty.inner_named_type().as_str(),
                    "String"
                        | "ID"
                        | "AWSDate"
                        | "AWSDateTime"
                        | "AWSTime"
                        | "AWSEmail"
                        | "AWSURL"
                        | "AWSPhone"
                        | "AWSIPAddress"
                )
        })
        .map(|f| js(&f.name))
        .chain(
            [&model.created_at, &model.updated_at]
                .into_iter()
                .flatten()
                .map(|t| js(t)),
        )
        .collect();
    let default_sort = js(&model.primary_key.partition);
    Some(Resolver::new(
        "Query",
        search,
        file(
            "import { util } from '@aws-appsync/utils';\n",
            &a.functions(false, true, false),
            &format!(
                "const KEYWORD_FIELDS = [{}];\n\n// The name to sort or aggregate a field by.\nfunction sortable(field) {{\n  return KEYWORD_FIELDS.includes(field) ? field + '.keyword' : field;\n}}\n\n// {search}: {m} items found in OpenSearch by the filter, sorted and aggregated. Allowed: {}.\nexport function request(ctx) {{\n  const {{ limit = 100, nextToken, from }} = ctx.args;\n{}  const sort = (ctx.args.sort ?? []).filter((s) => s && s.field).map((s) => ({{ [sortable(s.field)]: {{ order: s.direction ?? 'asc' }} }}));\n  if (sort.length === 0) {{\n    sort.push({{ [sortable({default_sort})]: {{ order: 'desc' }} }});\n  }}\n  const body = {{ size: limit, sort, version: false, track_total_hits: true }};\n  body.query = filter ? util.transform.toElasticsearchQueryDSL(filter) : {{ match_all: {{}} }};\n  if (nextToken) {{\n    body.search_after = JSON.parse(util.base64Decode(nextToken));\n  }} else if (from) {{\n    body.from = from;\n  }}\n  const aggs = {{}};\n  (ctx.args.aggregates ?? []).forEach((agg) => {{\n    const field = agg.type === 'terms' ? sortable(agg.field) : agg.field;\n    aggs[agg.name] = {{ [agg.type]: {{ field }} }};\n  }});\n  if (Object.keys(aggs).length > 0) {{\n    body.aggs = aggs;\n  }}\n  return {{ operation: 'GET', path: '/{}/_search', params: {{ body }} }};\n}}\n\nexport function response(ctx) {{\n  if (ctx.error) {{\n    util.error(ctx.error.message, ctx.error.type);\n  }}\n  const hits = ctx.result.hits.hits ?? [];\n  const total = ctx.result.hits.total;\n  const limit = ctx.args.limit ?? 100;\n  const last = hits[hits.length - 1];\n  const aggregations = ctx.result.aggregations ?? {{}};\n  return {{\n    items: hits.map((hit) => hit._source),\n    total: typeof total === 'number' ? total : total.value,\n    nextToken: hits.length === limit && last ? util.base64Encode(JSON.stringify(last.sort)) : null,\n    aggregateItems: Object.keys(aggregations).map((name) => {{\n      const value = aggregations[name];\n      const result = value.buckets\n        ? {{ __typename: 'SearchableAggregateBucketResult', buckets: value.buckets.map((b) => ({{ key: String(b.key), doc_count: b.doc_count }})) }}\n        : {{ __typename: 'SearchableAggregateScalarResult', value: value.value }};\n      return {{ name, result }};\n    }}),\n  }};\n}}\n",
                keyword.join(", "),
                a.describe(),
                narrow_filter(&a),
                search_index(model),
            ),
        ),
    ))
}
