//! `@model`: the resolvers of a model's queries, mutations and subscriptions.

use crate::transform::Model;
use crate::transform::auth::{Ops, Role};

use super::access::Access;
use super::keys::{query_request, sort_arg_of, with_helpers};
use super::{
    ERROR_OUT, IMPORTS, PAGE_OUT, Resolver, field_write_checks, file, joined, js, key_object,
    narrow_filter, read_one_checks,
};

/// The resolvers of a model's queries and mutations, on its table, each with its access checks.
pub fn resolver_functions(model: &Model) -> Vec<Resolver> {
    let m = &model.name;
    let grants = &model.auth.grants;
    let key = &model.primary_key;
    let partition = &model.primary_key.partition;
    let custom_key = partition != "id" || !model.primary_key.sort.is_empty();
    let created = model.created_at.clone();
    let updated = model.updated_at.clone();
    let timestamps_create = match (&created, &updated) {
        (Some(c), Some(u)) => format!(
            "  const now = util.time.nowISO8601();\n  const values = {{ {c}: now, {u}: now, ...ctx.args.input }};\n"
        ),
        (Some(c), None) => {
            format!("  const values = {{ {c}: util.time.nowISO8601(), ...ctx.args.input }};\n")
        }
        (None, Some(u)) => {
            format!("  const values = {{ {u}: util.time.nowISO8601(), ...ctx.args.input }};\n")
        }
        (None, None) => "  const values = { ...ctx.args.input };\n".to_string(),
    };
    let timestamps_update = match &updated {
        Some(u) => {
            format!("  const values = {{ ...ctx.args.input, {u}: util.time.nowISO8601() }};\n")
        }
        None => "  const values = { ...ctx.args.input };\n".to_string(),
    };
    let key_of_values = key_object(key, "values");
    let without_key: Vec<String> = key
        .fields()
        .iter()
        .map(|k| format!("  delete changes.{k};\n"))
        .collect();
    let mut out = Vec::new();
    if let Some((get, list)) = &model.queries {
        let a = Access::new(grants, Ops::GET, "");
        let (guard, check) = read_one_checks(&a);
        out.push(Resolver::new("Query", get, file(
            IMPORTS,
            &a.functions(true, true, false),
            &format!(
                "// {get}: read one {m} by its key. Allowed: {}.\nexport function request(ctx) {{\n{guard}  return ddb.get({{ key: {} }});\n}}\n\nexport function response(ctx) {{\n  if (ctx.error) {{\n    util.error(ctx.error.message, ctx.error.type);\n  }}\n{check}  return ctx.result;\n}}\n",
                a.describe(),
                key_object(key, "ctx.args")
            ),
        )));
        let a = Access::new(grants, Ops::LIST, "");
        let scan = format!(
            "  const {{ limit = 100, nextToken }} = ctx.args;\n{}  const expression = filter ? JSON.parse(util.transform.toDynamoDBFilterExpression(filter)) : undefined;\n",
            narrow_filter(&a)
        );
        let mut helpers = false;
        let body = if custom_key {
            let (query, composite) = query_request(
                None,
                key,
                &format!("ctx.args.{partition}"),
                &sort_arg_of(key),
            );
            helpers = composite;
            format!(
                "{scan}  if (ctx.args.{partition} === undefined || ctx.args.{partition} === null) {{\n    return {{ operation: 'Scan', limit, nextToken, filter: expression }};\n  }}\n{query}"
            )
        } else {
            format!(
                "{scan}  return {{ operation: 'Scan', limit, nextToken, filter: expression }};\n"
            )
        };
        out.push(Resolver::new("Query", list, file(
            IMPORTS,
            &with_helpers(a.functions(false, true, false), helpers),
            &format!(
                "// {list}: a page of {m} items, filtered. Allowed: {}.\nexport function request(ctx) {{\n{body}}}\n\n{PAGE_OUT}",
                a.describe()
            ),
        )));
    }
    for index in &model.indexes {
        let Some(query) = &index.query_field else {
            continue;
        };
        let a = Access::new(grants, Ops::LIST, "");
        let (request, composite) = query_request(
            Some(&index.name),
            &index.key,
            &format!("ctx.args.{}", index.key.partition),
            &sort_arg_of(&index.key),
        );
        out.push(Resolver::new("Query", query, file(
            IMPORTS,
            &with_helpers(a.functions(false, true, false), composite),
            &format!(
                "// {query}: {m} items by the index {}. Allowed: {}.\nexport function request(ctx) {{\n  const {{ limit = 100, nextToken }} = ctx.args;\n{}{request}}}\n\n{PAGE_OUT}",
                index.name,
                a.describe(),
                narrow_filter(&a),
            ),
        )));
    }
    if let Some((create, update, delete)) = &model.mutations {
        let id_default = if custom_key {
            String::new()
        } else {
            "  values.id = values.id ?? util.autoId();\n".to_string()
        };
        let a = Access::new(grants, Ops::CREATE, "");
        let check = if a.has_dynamic() {
            "  if (!staticAccess(ctx) && !itemAccess(ctx, values)) {\n    util.unauthorized();\n  }\n"
        } else {
            "  if (!staticAccess(ctx)) {\n    util.unauthorized();\n  }\n"
        };
        let (field_functions, field_checks) =
            field_write_checks(model, Ops::CREATE, "values", false);
        let defaults: String = model
            .fields
            .iter()
            .filter_map(|f| {
                let value = f.default.as_ref()?;
                let target = format!("values[{}]", serde_json::to_string(&f.name).unwrap_or_default());
                Some(format!("  if ({target} === undefined || {target} === null) {{\n    {target} = {value};\n  }}\n"))
            })
            .collect();
        let composites: String = std::iter::once(key)
            .chain(model.indexes.iter().map(|i| &i.key))
            .filter(|k| k.is_composite())
            .map(|k| {
                let present: Vec<String> = k
                    .sort
                    .iter()
                    .map(|f| format!("values.{f} !== undefined && values.{f} !== null"))
                    .collect();
                format!(
                    "  if ({}) {{\n    values[{}] = {};\n  }}\n",
                    present.join(" && "),
                    js(&k.sort_attribute().unwrap_or_default()),
                    joined(&k.sort, "values")
                )
            })
            .collect();
        out.push(Resolver::new("Mutation", create, file(
            IMPORTS,
            &format!("{}{field_functions}", a.functions(true, false, false)),
            &format!(
                "// {create}: a new {m}; refused if one with the same key exists. Allowed: {}.\nexport function request(ctx) {{\n{timestamps_create}{id_default}{defaults}{composites}{}{check}{field_checks}  return ddb.put({{\n    key: {key_of_values},\n    item: {{ ...values, __typename: '{m}' }},\n    condition: {{ and: [{{ {partition}: {{ attributeExists: false }} }}, ctx.args.condition ?? {{}}] }},\n  }});\n}}\n\n{ERROR_OUT}",
                a.describe(),
                a.fill_owners("values"),
            ),
        )));
        let conditions = |a: &Access| -> String {
            let mut out = format!(
                "  const conditions = [{{ {partition}: {{ attributeExists: true }} }}];\n  if (ctx.args.condition) {{\n    conditions.push(ctx.args.condition);\n  }}\n"
            );
            if a.has_dynamic() {
                out.push_str("  if (!staticAccess(ctx)) {\n    const own = ownFilter(ctx);\n    if (own === null) {\n      util.unauthorized();\n    }\n    conditions.push(own);\n  }\n");
            } else {
                out.push_str("  if (!staticAccess(ctx)) {\n    util.unauthorized();\n  }\n");
            }
            out
        };
        let a = Access::new(grants, Ops::UPDATE, "");
        let (field_functions, field_checks) =
            field_write_checks(model, Ops::UPDATE, "changes", true);
        // An index's composite sort key is rewritten when its fields are, all of them together.
        let composite_changes: String = model
            .indexes
            .iter()
            .map(|i| &i.key)
            .filter(|k| k.is_composite())
            .map(|k| {
                // key fields are in `values` (the input), not in `changes`
                let changed: Vec<String> = k.sort.iter().map(|f| format!("changes.{f} !== undefined")).collect();
                let given: Vec<String> = k.sort.iter().map(|f| format!("values.{f} !== undefined && values.{f} !== null")).collect();
                format!(
                    "  if ({any}) {{\n    if (!({all})) {{\n      util.error({message}, 'ValidationException');\n    }}\n    changes[{attribute}] = {value};\n  }}\n",
                    any = changed.join(" || "),
                    all = given.join(" && "),
                    message = js(&format!("{} make one sort key: give all of them or none", k.sort.join(", "))),
                    attribute = js(&k.sort_attribute().unwrap_or_default()),
                    value = joined(&k.sort, "values"),
                )
            })
            .collect();
        out.push(Resolver::new("Mutation", update, file(
            IMPORTS,
            &format!("{}{field_functions}", a.functions(false, true, false)),
            &format!(
                "// {update}: change the given fields of an existing {m}. Allowed: {}.\nexport function request(ctx) {{\n{timestamps_update}  const changes = {{ ...values }};\n{}{composite_changes}{}{field_checks}  return ddb.update({{\n    key: {key_of_values},\n    update: changes,\n    condition: {{ and: conditions }},\n  }});\n}}\n\n{ERROR_OUT}",
                a.describe(),
                without_key.concat(),
                conditions(&a),
            ),
        )));
        let a = Access::new(grants, Ops::DELETE, "");
        out.push(Resolver::new("Mutation", delete, file(
            IMPORTS,
            &a.functions(false, true, false),
            &format!(
                "// {delete}: remove an existing {m}. Allowed: {}.\nexport function request(ctx) {{\n{}  return ddb.remove({{\n    key: {},\n    condition: {{ and: conditions }},\n  }});\n}}\n\n{ERROR_OUT}",
                a.describe(),
                conditions(&a),
                key_object(key, "ctx.args.input")
            ),
        )));
    }
    out
}

/// Resolvers without a table (on the model stack's NONE data source): the
/// model's subscriptions, which apply the client's filter and who may listen,
/// and the fields with rules of their own.
pub fn local_functions(model: &Model) -> Vec<Resolver> {
    let m = &model.name;
    let mut out = Vec::new();
    if model.subscriptions
        && let Some((create, update, delete)) = &model.mutations
    {
        let a = Access::new(&model.auth.grants, Ops::LISTEN, "");
        let mut owner_args = String::new();
        for grant in &model.auth.grants {
            if let Role::Owner {
                field,
                claim,
                list: false,
                ..
            } = &grant.role
                && grant.ops.contains(Ops::LISTEN)
            {
                let claim = serde_json::to_string(claim).unwrap_or_default();
                owner_args.push_str(&format!("    if (ctx.args.{field} !== undefined && ctx.args.{field} !== null && !claimValues(ctx, {claim}).includes(ctx.args.{field})) {{\n      util.unauthorized();\n    }}\n"));
            }
        }
        let narrow = if a.has_dynamic() {
            format!(
                "  if (!staticAccess(ctx)) {{\n    const own = ownSubscriptionFilter(ctx);\n    if (own === null) {{\n      util.unauthorized();\n    }}\n{owner_args}    filters.push(own);\n  }}\n"
            )
        } else {
            "  if (!staticAccess(ctx)) {\n    util.unauthorized();\n  }\n".into()
        };
        for (on, mutation) in [
            ("onCreate", create),
            ("onUpdate", update),
            ("onDelete", delete),
        ] {
            let field = format!("{on}{m}");
            out.push(Resolver::new("Subscription", &field, file(
                "import { util, extensions } from '@aws-appsync/utils';\n",
                &a.functions(false, false, true),
                &format!(
                    "// {field}: events of `{mutation}`, filtered by the client's filter and by who may see them. Allowed: {}.\nexport function request() {{\n  return {{ payload: null }};\n}}\n\nexport function response(ctx) {{\n  const filters = [];\n  if (ctx.args.filter) {{\n    filters.push(ctx.args.filter);\n  }}\n{narrow}  if (filters.length > 0) {{\n    extensions.setSubscriptionFilter(util.transform.toSubscriptionFilter(filters.length === 1 ? filters[0] : {{ and: filters }}));\n  }}\n  return null;\n}}\n",
                    a.describe()
                ),
            )));
        }
    }
    for (field, grants) in &model.auth.fields {
        if model.relations.iter().any(|r| &r.field == field) {
            // relation fields check their rules in their own resolver
            continue;
        }
        let a = Access::new(grants, Ops::GET, "");
        let check = if a.has_dynamic() {
            "  if (!staticAccess(ctx) && !itemAccess(ctx, ctx.source)) {\n    util.unauthorized();\n  }\n"
        } else {
            "  if (!staticAccess(ctx)) {\n    util.unauthorized();\n  }\n"
        };
        let value = format!(
            "ctx.source[{}]",
            serde_json::to_string(field).unwrap_or_default()
        );
        out.push(Resolver::new(m, field, file(
            "import { util } from '@aws-appsync/utils';\n",
            &a.functions(true, false, false),
            &format!(
                "// {m}.{field}: a field with rules of its own. Allowed to read: {}.\nexport function request() {{\n  return {{ payload: null }};\n}}\n\nexport function response(ctx) {{\n{check}  return {value} ?? null;\n}}\n",
                a.describe()
            ),
        )));
    }
    out
}
