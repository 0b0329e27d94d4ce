//! `@hasOne`, `@hasMany`, `@belongsTo`: the resolvers of relation fields.

use serde_json::json;

use super::access::Access;
use super::keys::{Sort, query_request, with_helpers};
use super::{
    FilterGuard, Resolver, file, filter_guard, narrow_filter, read_one_checks, write_check,
};
use crate::render::RenderError;
use crate::render::blueprints::{assets, resolver};
use crate::transform::auth::Ops;
use crate::transform::{Model, RelationKind};

/// The resolvers of a model's relation fields, each with the model it reads.
pub fn relation_functions(
    model: &Model,
    models: &[Model],
) -> Result<Vec<(Resolver, String)>, RenderError> {
    relations_reading(model, models, None)
}

/// The resolvers of a model's relation fields that read `target` (every one
/// with `None`), each with the model it reads. A model's stack holds the
/// relation fields of other models that read its table: asking for those alone
/// keeps synth linear in the number of relations.
pub fn relations_reading(
    model: &Model,
    models: &[Model],
    only: Option<&str>,
) -> Result<Vec<(Resolver, String)>, RenderError> {
    let imports = assets::IMPORTS_RELATION;
    let mut out = Vec::new();
    for relation in &model.relations {
        let (type_name, field, target) = (&model.name, &relation.field, &relation.target);
        if only.is_some_and(|only| only != target) {
            continue;
        }
        let target_model = models.iter().find(|m| &m.name == target);
        let target_grants = target_model
            .map(|m| m.auth.grants.as_slice())
            .unwrap_or(&[]);
        // in a mutation's result (what subscribers receive): left out when
        // not every listener may read the related items (only where the field
        // may be null, as Amplify does; see docs/security.md for required
        // ones), else marked as part of it for their own fields' rules
        let nullable = model
            .fields
            .iter()
            .find(|f| &f.name == field)
            .is_none_or(|f| !f.ty.is_non_null());
        let redacted = nullable
            && (target_model.is_some_and(|t| crate::transform::auth::relation_redacted(model, t))
                || crate::transform::auth::redacted_in_mutations(model, field));
        // marked at any depth: the source may be a related item of another
        // model's event
        let marked = !redacted
            && target_model.is_some_and(|t| !t.auth.fields.is_empty() || !t.relations.is_empty());
        let (field_functions, field_check) = match model.auth.field(field) {
            Some(grants) => {
                let a = Access::new(grants, Ops::GET, "Field");
                (
                    format!("\n{}", a.functions(true, false, false)?),
                    write_check(&a, "Field", "ctx.source")?,
                )
            }
            None => (String::new(), String::new()),
        };
        let first = &relation.source_fields[0];
        let rest = relation.source_fields[1..].to_vec();
        let described = format!(
            "the {target} items whose {} match{} this {type_name}'s {}",
            relation.target_key.fields()[..relation
                .source_fields
                .len()
                .min(relation.target_key.fields().len())]
                .join(", "),
            if relation.source_fields.len() == 1 {
                "es"
            } else {
                ""
            },
            relation.source_fields.join(", ")
        );
        let index = relation.index.as_deref();
        let code = match relation.kind {
            RelationKind::HasMany => {
                let a = Access::new(target_grants, Ops::LIST, "");
                let guard = match target_model {
                    // its sort key orders the items before `limit`
                    Some(t) => filter_guard(t, Ops::LIST, &relation.target_key.sort, None)?,
                    None => FilterGuard::default(),
                };
                let sort = match &relation.sort_arg {
                    Some((arg, _)) => Sort::Arg(arg.clone()),
                    None => Sort::Values(rest.clone()),
                };
                let (request, composite) =
                    query_request(index, &relation.target_key, ("ctx.source", first), &sort)?;
                let code = resolver(
                    "has-many",
                    &json!({
                        "type_name": type_name,
                        "field": field,
                        "described": described,
                        "describe": a.describe(),
                        "field_check": field_check,
                        "target": target,
                        "redacted": redacted,
                        "marked": marked,
                        "narrow": narrow_filter(&a, &guard)?,
                        "first": first,
                        "request": request,
                        "page_out": assets::PAGE_OUT,
                    }),
                )?;
                file(
                    imports,
                    &with_helpers(
                        format!(
                            "{}{field_functions}{}",
                            a.functions(false, true, false)?,
                            guard.functions.unwrap_or_default()
                        ),
                        composite,
                    ),
                    &code,
                )
            }
            RelationKind::BelongsTo | RelationKind::HasOne => {
                let a = Access::new(target_grants, Ops::GET, "");
                let (guard, check) = read_one_checks(&a, "item")?;
                let key = &relation.target_key;
                let values = rest;
                let (request, composite) = if relation.is_get() {
                    (String::new(), false)
                } else {
                    // by an index, or by part of the key: the first match
                    query_request(
                        index,
                        key,
                        ("ctx.source", first),
                        &Sort::Values(values.clone()),
                    )?
                };
                let code = resolver(
                    "belongs-to",
                    &json!({
                        "type_name": type_name,
                        "field": field,
                        "target": target,
                        "source_fields": relation.source_fields.join(", "),
                        "describe": a.describe(),
                        "field_check": field_check,
                        "guard": guard,
                        "first": first,
                        "get": relation.is_get(),
                        "partition": key.partition,
                        "sort_attribute": key.sort_attribute(),
                        "composite": key.is_composite(),
                        "values": values,
                        "sort_value": values.first(),
                        "request": request,
                        "check": check,
                        "redacted": redacted,
                        "marked": marked,
                    }),
                )?;
                file(
                    imports,
                    &with_helpers(
                        format!("{}{field_functions}", a.functions(true, true, false)?),
                        composite,
                    ),
                    &code,
                )
            }
        };
        out.push((Resolver::new(type_name, field, code), target.clone()));
    }
    Ok(out)
}
