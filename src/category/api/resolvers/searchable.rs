//! `@searchable`: the search query's resolver and the streaming function that
//! copies table changes into OpenSearch.

use serde_json::json;

use super::access::Access;
use super::{Resolver, file};
use crate::render::RenderError;
use crate::render::blueprints::{assets, resolver};
use crate::transform::Model;
use crate::transform::auth::Ops;

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
pub fn search_resolver(model: &Model) -> Result<Option<Resolver>, RenderError> {
    let Some(search) = model.searchable.as_ref() else {
        return Ok(None);
    };
    let a = Access::new(&model.auth.grants, Ops::SEARCH, "");
    // Text fields sort and aggregate by their keyword sub-field. Dates and
    // times (`AWSDate`, `AWSDateTime`, the timestamps) are mapped as OpenSearch
    // `date` fields, which have none and sort as they are.
    let keyword: Vec<&String> = model
        .fields
        .iter()
        .filter(|f| {
            f.is_enum
                || matches!(
                    f.ty.inner_named_type().as_str(),
                    "String"
                        | "ID"
                        | "AWSTime"
                        | "AWSEmail"
                        | "AWSURL"
                        | "AWSPhone"
                        | "AWSIPAddress"
                )
        })
        .map(|f| &f.name)
        .collect();
    // fields with rules of their own: searched by only where read everywhere
    let mut functions = a.functions(false, true, false)?;
    let mut guarded = Vec::new();
    for (field, grants) in &model.auth.fields {
        if model.relations.iter().any(|r| &r.field == field) {
            continue;
        }
        let suffix = format!("${field}");
        functions.push('\n');
        functions
            .push_str(&Access::new(grants, Ops::SEARCH, &suffix).functions(false, false, false)?);
        guarded.push(json!({ "name": field, "suffix": suffix }));
    }
    let code = resolver(
        "search",
        &json!({
            "guarded": guarded,
            "keyword": keyword,
            "search": search,
            "model": model.name,
            "describe": a.describe(),
            "dynamic": a.has_dynamic(),
            "default_sort": model.primary_key.partition,
            "index": search_index(model),
        }),
    )?;
    Ok(Some(Resolver::new(
        "Query",
        search,
        file(assets::IMPORTS_UTIL, &functions, &code),
    )))
}
