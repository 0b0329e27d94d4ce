//! The AppSync JavaScript resolvers (APPSYNC_JS 1.0.0) of the api, one module
//! per directive family as in the transformer: `model` (queries, mutations,
//! subscriptions), `relations`, `searchable`, `keys` (composite sort keys),
//! and `access`, the `@auth` checks every resolver starts with.

pub mod access;
mod keys;
mod model;
mod relations;
mod searchable;

use serde_json::{Value, json};

use crate::render::RenderError;
use crate::render::blueprints::{assets, resolver};
use crate::transform::auth::Ops;
use crate::transform::{Key, Model};

use access::Access;

pub use model::{local_functions, resolver_functions};
pub use relations::{relation_functions, relations_reading};
pub use searchable::{SEARCH_STREAMING_CODE, search_index, search_resolver};

pub(super) const RUNTIME: (&str, &str) = ("APPSYNC_JS", "1.0.0");

pub(super) fn runtime() -> Value {
    json!({ "Name": RUNTIME.0, "RuntimeVersion": RUNTIME.1 })
}

/// The value of a composite sort key: the fields' values (in `source`) joined by `#`.
pub(super) fn joined(fields: &[String], source: &str) -> Result<String, RenderError> {
    resolver("joined", &json!({ "fields": fields, "source": source }))
}

/// `{ id: source.id, name: source.name }` for a key, from the values in `source`.
pub(super) fn key_object(key: &Key, source: &str) -> Result<String, RenderError> {
    let sort_value = if key.is_composite() {
        joined(&key.sort, source)?
    } else {
        String::new()
    };
    resolver(
        "key-object",
        &json!({
            "partition": key.partition,
            "source": source,
            "sort_attribute": key.sort_attribute(),
            "composite": key.is_composite(),
            "sort_value": sort_value,
        }),
    )
}

/// A resolver file: imports, the access functions and their helpers, then the handlers.
pub(super) fn file(imports: &str, functions: &str, body: &str) -> String {
    let helpers = access::helpers(&format!("{functions}{body}"));
    let mut out = String::from(imports);
    out.push('\n');
    out.push_str(functions);
    if !helpers.is_empty() {
        out.push('\n');
        out.push_str(&helpers);
    }
    out.push('\n');
    out.push_str(body);
    out
}

/// The checks of a read of one item: before it (could any rule let the caller
/// in?) and after it (does one let them see `item`, the item read?).
pub(super) fn read_one_checks(
    access: &Access,
    item: &str,
) -> Result<(String, String), RenderError> {
    let data = json!({ "dynamic": access.has_dynamic(), "item": item });
    Ok((
        resolver("read-one-guard", &data)?,
        resolver("read-one-check", &data)?,
    ))
}

/// The lines that narrow a read of many items to what the caller may see: all
/// of them, their own, or none. Leaves `filter` (the caller's filter, narrowed).
pub(super) fn narrow_filter(access: &Access, guard: &FilterGuard) -> Result<String, RenderError> {
    let narrow = resolver(
        "narrow-filter",
        &json!({ "dynamic": access.has_dynamic(), "guard": guard.functions.is_some() }),
    )?;
    Ok(format!("{narrow}{}", key_guard(guard)?))
}

/// The refusal of a read by a key that includes a field with rules of its
/// own, to callers who may not read it on every item (`key-guard.js.hbs`).
pub(super) fn key_guard(guard: &FilterGuard) -> Result<String, RenderError> {
    resolver(
        "key-guard",
        &json!({
            "keys": guard.keys,
            "when": guard.when,
            "model": guard.model,
            "self_claim": guard.self_claim,
        }),
    )
}

/// How a read's filter and key arguments are kept to the fields the caller
/// may read (issue 16: a test on a field the caller may not read would tell
/// its value): `guardFilter(ctx, filter)` and a `fieldFilter<Suffix>(ctx)`
/// per field with rules of its own, when the model has such fields.
#[derive(Default)]
pub(super) struct FilterGuard {
    /// The functions, or None when the model has no field with rules of its own.
    pub functions: Option<String>,
    /// The key fields that are such fields: `{ name, suffix }`; a query by
    /// them is refused to callers who may not read them on every item.
    pub keys: Vec<Value>,
    /// The argument whose presence makes the read a query by the key (a
    /// list of a model with a custom key), or None: always one.
    pub when: Option<String>,
    pub model: String,
    /// The partition key's owner claim, where the partition key is its own
    /// owner field: `{ field, claim }`.
    pub self_claim: Option<Value>,
}

/// The filter guard of a read `op` (`Ops::LIST` for lists, index queries and
/// relations; `Ops::GET` for a write's condition) of `model`, whose key
/// fields (`key_fields`, queried when the argument `when` is given, or
/// always) are guarded too.
pub(super) fn filter_guard(
    model: &Model,
    op: Ops,
    key_fields: &[String],
    when: Option<&str>,
) -> Result<FilterGuard, RenderError> {
    let fields: Vec<(&String, &Vec<crate::transform::auth::Grant>)> = model
        .auth
        .fields
        .iter()
        .filter(|(f, _)| !model.relations.iter().any(|r| &r.field == f))
        .map(|(f, g)| (f, g))
        .collect();
    if fields.is_empty() {
        return Ok(FilterGuard::default());
    }
    let mut functions = String::new();
    let mut described = Vec::new();
    for (field, grants) in &fields {
        // `$` cannot be in a GraphQL name: no clash with other functions' suffixes
        let suffix = format!("${field}");
        let a = Access::new(grants, op, &suffix);
        functions.push('\n');
        functions.push_str(&a.functions(false, a.has_dynamic(), false)?);
        described.push(json!({ "name": field, "suffix": suffix, "dynamic": a.has_dynamic() }));
    }
    functions.push_str(&resolver(
        "filter-guard",
        &json!({ "model": model.name, "fields": described }),
    )?);
    let keys = key_fields
        .iter()
        .filter(|field| fields.iter().any(|(f, _)| f == field))
        .map(|field| json!({ "name": field, "suffix": format!("${field}") }))
        .collect();
    // a partition key that is its own owner field (`owner: String @auth(rules:
    // [{ allow: owner, ... }])`): queried by the caller's own value, every
    // item is the caller's
    let self_claim = key_fields.first().and_then(|partition| {
        fields
            .iter()
            .find(|(f, _)| *f == partition)
            .and_then(|(_, grants)| {
                grants.iter().find_map(|g| match &g.role {
                    crate::transform::auth::Role::Owner {
                        field,
                        claim,
                        list: false,
                        ..
                    } if field == partition && g.ops.intersects(op) => Some(claim.clone()),
                    _ => None,
                })
            })
            .map(|claim| json!({ "field": partition, "claim": claim }))
    });
    Ok(FilterGuard {
        functions: Some(functions),
        keys,
        when: when.map(str::to_string),
        model: model.name.clone(),
        self_claim,
    })
}

/// The check of a write (or of a field's read): static access, or access to `item`.
pub(super) fn write_check(
    access: &Access,
    suffix: &str,
    item: &str,
) -> Result<String, RenderError> {
    resolver(
        "write-check",
        &json!({ "dynamic": access.has_dynamic(), "suffix": suffix, "item": item }),
    )
}

/// The checks of an update on the fields that say who holds an item (owner
/// and groups fields without rules of their own): the function
/// `holdersKept` and the conditions it adds (`source`: the update's
/// values); empty when the model has none.
pub(super) fn holder_checks(model: &Model, source: &str) -> Result<(String, String), RenderError> {
    let key_fields = model.primary_key.fields();
    let holders: Vec<serde_json::Value> = model
        .auth
        .dynamic_fields()
        .into_iter()
        .filter(|f| model.auth.field(f).is_none() && !key_fields.iter().any(|k| k.as_str() == *f))
        .map(|f| {
            let list = model
                .fields
                .iter()
                .find(|m| m.name == f)
                .is_some_and(|m| m.ty.is_list());
            json!({ "field": f, "list": list })
        })
        .collect();
    if holders.is_empty() {
        return Ok((String::new(), String::new()));
    }
    let control = Access::new(
        &model.auth.grants,
        Ops::UPDATE.union(Ops::DELETE),
        "$holders",
    );
    let names: Vec<String> = holders
        .iter()
        .filter_map(|h| h["field"].as_str().map(|f| format!("`{f}`")))
        .collect();
    let functions = format!(
        "\n{}{}",
        control.functions(false, control.has_dynamic(), false)?,
        resolver(
            "holders-kept",
            &json!({
                "fields": names.join(", "),
                "describe": control.describe(),
                "dynamic": control.has_dynamic(),
            }),
        )?
    );
    let checks = resolver(
        "holders-check",
        &json!({ "holders": holders, "source": source }),
    )?;
    Ok((functions, checks))
}

/// The checks of a write on fields with rules of their own: each field set by
/// the input needs its own permission (`source`: the input's values).
pub(super) fn field_write_checks(
    model: &Model,
    op: Ops,
    source: &str,
    conditions: bool,
) -> Result<(String, String), RenderError> {
    let (mut functions, mut checks) = (String::new(), String::new());
    for (field, grants) in &model.auth.fields {
        let suffix = crate::naming::pascal(field);
        let a = Access::new(grants, op, &suffix);
        let dynamic = a.has_dynamic();
        functions.push('\n');
        functions.push_str(&a.functions(dynamic && !conditions, dynamic && conditions, false)?);
        checks.push_str(&resolver(
            "field-write-check",
            &json!({
                "dynamic": dynamic,
                "conditions": conditions,
                "source": source,
                "field": field,
                "suffix": suffix,
            }),
        )?);
    }
    Ok((functions, checks))
}

/// The code of the pipeline around each operation: hand the arguments in, the
/// function's result out.
pub const PIPELINE_CODE: &str = assets::PIPELINE;

/// The code of a function that calls a Lambda function for `@function`, with
/// the event Amplify's `@function` sends.
pub const INVOKE_CODE: &str = assets::INVOKE;

/// One generated resolver: `type_name.field`, kept as `file`.
pub struct Resolver {
    pub type_name: String,
    pub field: String,
    pub file: String,
    pub code: String,
}

impl Resolver {
    fn new(type_name: &str, field: &str, code: String) -> Resolver {
        Resolver {
            type_name: type_name.to_string(),
            field: field.to_string(),
            file: format!("{type_name}.{field}.js"),
            code,
        }
    }
}

/// Every resolver of a model's stack and of its relation fields, for reading.
pub fn all_resolvers(model: &Model, models: &[Model]) -> Result<Vec<Resolver>, RenderError> {
    let mut out = resolver_functions(model)?;
    out.extend(local_functions(model)?);
    out.extend(
        relation_functions(model, models)?
            .into_iter()
            .map(|(r, _)| r),
    );
    Ok(out)
}

/// The pipeline code around a user's resolver of a custom field: the field's
/// `@auth` rules (static ones: API key, IAM, signed-in users, groups) first.
pub fn custom_pipeline_code(
    grants: Option<&[crate::transform::auth::Grant]>,
) -> Result<String, RenderError> {
    let Some(grants) = grants else {
        return Ok(PIPELINE_CODE.to_string());
    };
    let a = Access::new(grants, Ops::GET, "");
    Ok(file(
        assets::IMPORTS_UTIL,
        &a.functions(false, false, false)?,
        assets::CUSTOM_PIPELINE,
    ))
}
