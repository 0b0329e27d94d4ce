//! `@hasOne`, `@hasMany`, `@belongsTo`: the resolvers of relation fields.

use crate::transform::auth::Ops;
use crate::transform::{Model, RelationKind};

use super::access::Access;
use super::keys::{Sort, query_request, with_helpers};
use super::{PAGE_OUT, Resolver, file, js, narrow_filter, read_one_checks};

/// The resolvers of relation fields, with the model whose table each reads.
/// The related model's read rules apply, and the field's own rules if it has some.
pub fn relation_functions(model: &Model, models: &[Model]) -> Vec<(Resolver, String)> {
    let imports = "import { util, runtime } from '@aws-appsync/utils';\nimport * as ddb from '@aws-appsync/utils/dynamodb';\n";
    let mut out = Vec::new();
    for relation in &model.relations {
        let (type_name, field, target) = (&model.name, &relation.field, &relation.target);
        let target_grants = models
            .iter()
            .find(|m| &m.name == target)
            .map(|m| m.auth.grants.as_slice())
            .unwrap_or(&[]);
        let (field_functions, field_check) = match model.auth.field(field) {
            Some(grants) => {
                let a = Access::new(grants, Ops::GET, "Field");
                let check = if a.has_dynamic() {
                    "  if (!staticAccessField(ctx) && !itemAccessField(ctx, ctx.source)) {\n    util.unauthorized();\n  }\n"
                } else {
                    "  if (!staticAccessField(ctx)) {\n    util.unauthorized();\n  }\n"
                };
                (
                    format!("\n{}", a.functions(true, false, false)),
                    check.to_string(),
                )
            }
            None => (String::new(), String::new()),
        };
        let source = |f: &String| format!("ctx.source.{f}");
        let first = source(&relation.source_fields[0]);
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
                let sort = match &relation.sort_arg {
                    Some((arg, _)) => Sort::Arg(arg.clone()),
                    None => Sort::Values(relation.source_fields[1..].iter().map(source).collect()),
                };
                let (request, composite) =
                    query_request(index, &relation.target_key, &first, &sort);
                file(
                    imports,
                    &with_helpers(
                        format!("{}{field_functions}", a.functions(false, true, false)),
                        composite,
                    ),
                    &format!(
                        "// {type_name}.{field}: {described}. Allowed: {}.\nexport function request(ctx) {{\n{field_check}  const {{ limit = 100, nextToken }} = ctx.args;\n{}  if ({first} === undefined || {first} === null) {{\n    runtime.earlyReturn({{ items: [], nextToken: null }});\n  }}\n{request}}}\n\n{PAGE_OUT}",
                        a.describe(),
                        narrow_filter(&a),
                    ),
                )
            }
            RelationKind::BelongsTo | RelationKind::HasOne => {
                let a = Access::new(target_grants, Ops::GET, "");
                let (guard, check) = read_one_checks(&a);
                let (request, composite, result) = if relation.is_get() {
                    let key = &relation.target_key;
                    let mut parts = vec![format!("{}: {first}", key.partition)];
                    if let Some(attribute) = key.sort_attribute() {
                        let values: Vec<String> =
                            relation.source_fields[1..].iter().map(source).collect();
                        parts.push(if key.is_composite() {
                            format!("{}: [{}].join('#')", js(&attribute), values.join(", "))
                        } else {
                            format!("{attribute}: {}", values[0])
                        });
                    }
                    (
                        format!("  return ddb.get({{ key: {{ {} }} }});\n", parts.join(", ")),
                        false,
                        "ctx.result",
                    )
                } else {
                    // by an index, or by part of the key: the first match
                    let sort =
                        Sort::Values(relation.source_fields[1..].iter().map(source).collect());
                    let (request, composite) =
                        query_request(index, &relation.target_key, &first, &sort);
                    (
                        format!(
                            "  const filter = undefined;\n  const limit = 1;\n  const nextToken = undefined;\n{request}"
                        ),
                        composite,
                        "(ctx.result.items ?? [])[0] ?? null",
                    )
                };
                let check = check.replace("ctx.result", "item");
                file(
                    imports,
                    &with_helpers(
                        format!("{}{field_functions}", a.functions(true, true, false)),
                        composite,
                    ),
                    &format!(
                        "// {type_name}.{field}: the {target} this {type_name} is related to, by {}. Allowed: {}.\nexport function request(ctx) {{\n{field_check}{guard}  if ({first} === undefined || {first} === null) {{\n    runtime.earlyReturn(null);\n  }}\n{request}}}\n\nexport function response(ctx) {{\n  if (ctx.error) {{\n    util.error(ctx.error.message, ctx.error.type);\n  }}\n  const item = {result};\n{check}  return item;\n}}\n",
                        relation.source_fields.join(", "),
                        a.describe()
                    ),
                )
            }
        };
        out.push((Resolver::new(type_name, field, code), target.clone()));
    }
    out
}
