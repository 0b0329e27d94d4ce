//! `@model`: the resolvers of a model's queries, mutations and subscriptions.

use serde_json::{Value, json};

use super::access::Access;
use super::keys::{query_request, sort_arg_of, with_helpers};
use super::{
    FilterGuard, Resolver, field_write_checks, file, filter_guard, holder_checks, joined,
    key_guard, key_object, narrow_filter, read_one_checks, write_check,
};
use crate::render::RenderError;
use crate::render::blueprints::{assets, resolver};
use crate::transform::Model;
use crate::transform::auth::{Ops, Role};

/// The resolvers of a model's queries and mutations, on its table, each with its access checks.
pub fn resolver_functions(model: &Model) -> Result<Vec<Resolver>, RenderError> {
    let m = &model.name;
    let grants = &model.auth.grants;
    let key = &model.primary_key;
    let partition = &model.primary_key.partition;
    let custom_key = partition != "id" || !model.primary_key.sort.is_empty();
    // the list query takes a declared key, even `id` alone, and queries by it
    let listed_by_key = custom_key || model.primary_key_declared;
    let imports = assets::IMPORTS_DDB;
    let page_out = assets::PAGE_OUT;
    // a mutation's result marked as one, where something is left out of it
    // for subscribers (`field.js.hbs`, the relation resolvers)
    let error_out = if marks_mutations(model) {
        assets::MUTATION_OUT
    } else {
        assets::ERROR_OUT
    };
    let mut out = Vec::new();
    if let Some((get, list)) = &model.queries {
        let a = Access::new(grants, Ops::GET, "");
        let (guard, check) = read_one_checks(&a, "ctx.result")?;
        // a get by a key with a protected field answers whether a guess exists
        let keys = filter_guard(model, Ops::GET, &key.fields(), None)?;
        let code = resolver(
            "get",
            &json!({
                "get": get,
                "model": m,
                "describe": a.describe(),
                "guard": guard,
                "key_guard": if keys.keys.is_empty() { String::new() } else { key_guard(&keys)? },
                "check": check,
                "key": key_object(key, "ctx.args")?,
            }),
        )?;
        let key_functions = if keys.keys.is_empty() {
            String::new()
        } else {
            keys.functions.unwrap_or_default()
        };
        out.push(Resolver::new(
            "Query",
            get,
            file(
                imports,
                &format!("{}{key_functions}", a.functions(true, true, false)?),
                &code,
            ),
        ));
        let a = Access::new(grants, Ops::LIST, "");
        let guard = if listed_by_key {
            filter_guard(model, Ops::LIST, &key.fields(), Some(partition))?
        } else {
            filter_guard(model, Ops::LIST, &[], None)?
        };
        let (query, composite) = if listed_by_key {
            query_request(None, key, ("ctx.args", partition), &sort_arg_of(key))?
        } else {
            (String::new(), false)
        };
        let code = resolver(
            "list",
            &json!({
                "list": list,
                "model": m,
                "describe": a.describe(),
                "narrow": narrow_filter(&a, &guard)?,
                "partition": partition,
                "query": query,
                "page_out": page_out,
            }),
        )?;
        out.push(Resolver::new(
            "Query",
            list,
            file(imports, &read_functions(&a, guard, composite)?, &code),
        ));
    }
    for index in &model.indexes {
        let Some(query) = &index.query_field else {
            continue;
        };
        let a = Access::new(grants, Ops::LIST, "");
        let guard = filter_guard(model, Ops::LIST, &index.key.fields(), None)?;
        let (request, composite) = query_request(
            Some(&index.name),
            &index.key,
            ("ctx.args", &index.key.partition),
            &sort_arg_of(&index.key),
        )?;
        let code = resolver(
            "index-query",
            &json!({
                "query_field": query,
                "model": m,
                "index": index.name,
                "describe": a.describe(),
                "narrow": narrow_filter(&a, &guard)?,
                "request": request,
                "page_out": page_out,
            }),
        )?;
        out.push(Resolver::new(
            "Query",
            query,
            file(imports, &read_functions(&a, guard, composite)?, &code),
        ));
    }
    if let Some(mutations) = &model.mutations {
        // each resolver is written, and kept for the mutations there are
        let (create, update, delete) = (
            &mutations.create.clone().unwrap_or_default(),
            &mutations.update.clone().unwrap_or_default(),
            &mutations.delete.clone().unwrap_or_default(),
        );
        let present = |name: &String| !name.is_empty();
        let key_of_values = key_object(key, "values")?;
        let a = Access::new(grants, Ops::CREATE, "");
        let (field_functions, field_checks) =
            field_write_checks(model, Ops::CREATE, "values", false)?;
        let defaults: Vec<Value> = model
            .fields
            .iter()
            .filter_map(|f| {
                let value = f.default.as_ref()?;
                Some(json!({ "name": f.name, "value": value.to_string() }))
            })
            .collect();
        let composites = std::iter::once(key)
            .chain(model.indexes.iter().map(|i| &i.key))
            .filter(|k| k.is_composite())
            .map(|k| {
                Ok(json!({
                    "sort": k.sort,
                    "attribute": k.sort_attribute().unwrap_or_default(),
                    "value": joined(&k.sort, "values")?,
                }))
            })
            .collect::<Result<Vec<Value>, RenderError>>()?;
        let code = resolver(
            "create",
            &json!({
                "create": create,
                "model": m,
                "describe": a.describe(),
                "created_at": model.created_at,
                "updated_at": model.updated_at,
                "auto_id": model.auto_id(),
                "defaults": defaults,
                "composites": composites,
                "owners": a.owners(),
                "values": "values",
                "check": write_check(&a, "", "values")?,
                "field_checks": field_checks,
                "key": key_of_values,
                "partition": partition,
                "error_out": error_out,
            }),
        )?;
        let written = Resolver::new(
            "Mutation",
            create,
            file(
                imports,
                &format!("{}{field_functions}", a.functions(true, false, false)?),
                &code,
            ),
        );
        if present(create) {
            out.push(written);
        }
        // a write's `condition` tests the stored item: guarded as a read's filter
        let condition_guard = filter_guard(model, Ops::GET, &[], None)?;
        let guard_functions = condition_guard.functions.clone().unwrap_or_default();
        let conditions = |a: &Access| {
            resolver(
                "conditions",
                &json!({
                    "partition": partition,
                    "dynamic": a.has_dynamic(),
                    "guard": condition_guard.functions.is_some(),
                }),
            )
        };
        let a = Access::new(grants, Ops::UPDATE, "");
        let (field_functions, field_checks) =
            field_write_checks(model, Ops::UPDATE, "changes", true)?;
        let (holder_functions, holder_checks) = holder_checks(model, "changes")?;
        // An index's composite sort key is rewritten when its fields are, all of them together.
        let composite_changes = model
            .indexes
            .iter()
            .map(|i| &i.key)
            .filter(|k| k.is_composite())
            .map(|k| {
                Ok(json!({
                    "sort": k.sort,
                    "message": format!("{} make one sort key: give all of them or none", k.sort.join(", ")),
                    "attribute": k.sort_attribute().unwrap_or_default(),
                    "value": joined(&k.sort, "values")?,
                }))
            })
            .collect::<Result<Vec<Value>, RenderError>>()?;
        let code = resolver(
            "update",
            &json!({
                "update": update,
                "model": m,
                "describe": a.describe(),
                "updated_at": model.updated_at,
                "key_fields": key.fields(),
                "composites": composite_changes,
                "conditions": conditions(&a)?,
                "field_checks": format!("{field_checks}{holder_checks}"),
                "key": key_of_values,
                "error_out": error_out,
            }),
        )?;
        let written = Resolver::new(
            "Mutation",
            update,
            file(
                imports,
                &format!(
                    "{}{field_functions}{holder_functions}{guard_functions}",
                    a.functions(false, true, false)?
                ),
                &code,
            ),
        );
        if present(update) {
            out.push(written);
        }
        // a delete removes every field: only roles that may delete each
        // field with rules of its own may delete (as Amplify's delete auth)
        let delete_grants = model.auth.delete_grants();
        let a = Access::new(&delete_grants, Ops::DELETE, "");
        let code = resolver(
            "delete",
            &json!({
                "delete": delete,
                "model": m,
                "describe": a.describe(),
                "conditions": conditions(&a)?,
                "key": key_object(key, "ctx.args.input")?,
                "error_out": error_out,
            }),
        )?;
        let written = Resolver::new(
            "Mutation",
            delete,
            file(
                imports,
                &format!("{}{guard_functions}", a.functions(false, true, false)?),
                &code,
            ),
        );
        if present(delete) {
            out.push(written);
        }
    }
    Ok(out)
}

/// The functions of a list or index query file: its access checks, its
/// filter guard, and the composite key helpers when it needs them.
fn read_functions(a: &Access, guard: FilterGuard, composite: bool) -> Result<String, RenderError> {
    Ok(with_helpers(
        format!(
            "{}{}",
            a.functions(false, true, false)?,
            guard.functions.unwrap_or_default()
        ),
        composite,
    ))
}

/// Whether the model's mutations mark their results (`__operation`), for the
/// fields with rules of their own and the relation fields that leave
/// something out of them.
fn marks_mutations(model: &Model) -> bool {
    model.subscriptions && (!model.auth.fields.is_empty() || !model.relations.is_empty())
}

/// Resolvers without a table (on the model stack's NONE data source): the
/// model's subscriptions, which apply the client's filter and who may listen,
/// and the fields with rules of their own.
pub fn local_functions(model: &Model) -> Result<Vec<Resolver>, RenderError> {
    let m = &model.name;
    let mut out = Vec::new();
    if model.subscriptions {
        let a = Access::new(&model.auth.grants, Ops::LISTEN, "");
        let owner_args: Vec<Value> = model
            .auth
            .grants
            .iter()
            .filter(|grant| grant.ops.contains(Ops::LISTEN))
            .filter_map(|grant| match &grant.role {
                Role::Owner {
                    field,
                    claim,
                    list: false,
                    ..
                } => Some(json!({ "field": field, "claim": claim })),
                _ => None,
            })
            .collect();
        let functions = a.functions(false, false, true)?;
        let redacted: Vec<&String> = model
            .auth
            .fields
            .iter()
            .map(|(f, _)| f)
            .filter(|f| crate::transform::auth::redacted_in_mutations(model, f))
            .collect();
        for (field, mutation) in &model.subscription_fields {
            let code = resolver(
                "subscription",
                &json!({
                    "field": field,
                    "mutation": mutation,
                    "describe": a.describe(),
                    "dynamic": a.has_dynamic(),
                    "owner_args": owner_args,
                    "model": m,
                    "redacted": redacted,
                }),
            )?;
            out.push(Resolver::new(
                "Subscription",
                field,
                file(assets::IMPORTS_SUBSCRIPTION, &functions, &code),
            ));
        }
    }
    for (field, grants) in &model.auth.fields {
        if model.relations.iter().any(|r| &r.field == field) {
            // relation fields check their rules in their own resolver
            continue;
        }
        let a = Access::new(grants, Ops::GET, "");
        let code = resolver(
            "field",
            &json!({
                "model": m,
                "field": field,
                "describe": a.describe(),
                "check": write_check(&a, "", "ctx.source")?,
                "redacted": crate::transform::auth::redacted_in_mutations(model, field),
            }),
        )?;
        out.push(Resolver::new(
            m,
            field,
            file(
                assets::IMPORTS_UTIL,
                &a.functions(true, false, false)?,
                &code,
            ),
        ));
    }
    Ok(out)
}
