//! Reading a validated schema into the models hoist generates from
//! ([`super::ir::Model`]): each `@model` type's fields, key, indexes (and
//! the queries Amplify names for them), timestamps, root field names,
//! `@searchable` and `@auth` grants; then the relations between them
//! ([`super::relations::link_relations`]). [`super::model`] writes the
//! client-facing schema from them.

use apollo_compiler::Schema;
use apollo_compiler::ast::Directive;
use apollo_compiler::schema::ExtendedType;

use super::auth::{self, Grant, ModelAuth, Modes};
use super::default::default_value;
use super::ir::{Index, Key, Model, ModelField, Mutations};
use super::model::grants_of;
use super::relations::link_relations;
use super::sdl::{field_string, named, object_arg, string_list, string_value};
use crate::naming::{plural, upper_first};

/// The models of a validated schema, in the order they are declared, with the
/// API's authorization modes and the schema's global rule (`input AMPLIFY`).
pub fn models(schema: &Schema, modes: &Modes, global: &[Grant]) -> Vec<Model> {
    let mut out = Vec::new();
    for (type_name, ty) in &schema.types {
        let ExtendedType::Object(object) = ty else {
            continue;
        };
        let Some(directive) = object.directives.get("model") else {
            continue;
        };
        let directive: &Directive = directive;
        let model_name = type_name.as_str();
        let mut fields: Vec<ModelField> = object
            .fields
            .values()
            .map(|f| {
                let inner = f.ty.inner_named_type();
                ModelField {
                    name: f.name.to_string(),
                    ty: f.ty.clone(),
                    is_enum: matches!(schema.types.get(inner), Some(ExtendedType::Enum(_))),
                    is_scalar: matches!(schema.types.get(inner), Some(ExtendedType::Scalar(_))),
                    default: f
                        .directives
                        .get("default")
                        .and_then(|d| string_value(d, "value"))
                        .and_then(|v| default_value(inner.as_str(), &v).ok()),
                }
            })
            .collect();
        let mut primary_key = Key {
            partition: "id".into(),
            sort: Vec::new(),
        };
        let mut indexes = Vec::new();
        for f in object.fields.values() {
            if let Some(pk) = f.directives.get("primaryKey") {
                primary_key = Key {
                    partition: f.name.to_string(),
                    sort: string_list(pk, "sortKeyFields"),
                };
            }
            for index in f.directives.get_all("index") {
                let key = Key {
                    partition: f.name.to_string(),
                    sort: string_list(index, "sortKeyFields"),
                };
                let index_name = string_value(index, "name").unwrap_or_else(|| {
                    let mut n = format!("by{}", upper_first(&f.name));
                    for sk in &key.sort {
                        n.push_str(&format!("And{}", upper_first(sk)));
                    }
                    n
                });
                // Gen 1's `enableAutoIndexQueryNames`: an index without
                // `queryField` is read by `<plural model>By<Pk>[And<Sk>...]`;
                // `queryField: null` asks for none (the index transformer's
                // `getOrGenerateDefaultQueryField`)
                let asked_none = index.arguments.iter().any(|a| {
                    a.name == "queryField"
                        && matches!(a.value.as_ref(), apollo_compiler::ast::Value::Null)
                });
                let query_field = match string_value(index, "queryField") {
                    Some(q) if !q.is_empty() => Some(q),
                    // `""` is no name: the generated one, as Amplify's `!config.queryField`
                    _ if asked_none => None,
                    _ => Some(auto_query_name(model_name, &key)),
                };
                indexes.push(Index {
                    name: index_name,
                    key,
                    query_field,
                });
            }
        }
        // an undeclared `id` follows the declared fields, as Amplify's model
        // transformer appends it (client schema, inputs and filters alike)
        if primary_key.partition == "id" && !fields.iter().any(|f| f.name == "id") {
            fields.push(ModelField {
                name: "id".into(),
                ty: named("ID").non_null(),
                is_enum: false,
                is_scalar: true,
                default: None,
            });
        }
        let (mut created_at, mut updated_at) =
            (Some("createdAt".to_string()), Some("updatedAt".to_string()));
        match object_arg(directive, "timestamps") {
            Some(None) => (created_at, updated_at) = (None, None),
            Some(Some(config)) => {
                created_at = field_string(config, "createdAt").or(created_at);
                updated_at = field_string(config, "updatedAt").or(updated_at);
            }
            None => {}
        }
        let queries = match object_arg(directive, "queries") {
            Some(None) => None,
            Some(Some(map)) => Some((
                field_string(map, "get").unwrap_or_else(|| format!("get{model_name}")),
                field_string(map, "list").unwrap_or_else(|| format!("list{}", plural(model_name))),
            )),
            None => Some((
                format!("get{model_name}"),
                format!("list{}", plural(model_name)),
            )),
        };
        let mutations = match object_arg(directive, "mutations") {
            Some(None) => None,
            map => {
                let name = |op: &str| named_op(map.flatten(), op, format!("{op}{model_name}"));
                Some(Mutations {
                    create: name("create"),
                    update: name("update"),
                    delete: name("delete"),
                })
            }
        };
        // `subscriptions: null` and `subscriptions: { level: off }` turn them
        // off; `level: public` keeps them, with their rules (docs/security.md)
        let subscriptions_arg = object_arg(directive, "subscriptions");
        let level_off = matches!(
            subscriptions_arg,
            Some(Some(map)) if map.iter().any(|(k, v)| k == "level" && matches!(v.as_ref(), apollo_compiler::ast::Value::Enum(e) if e == "off"))
        );
        let mut subscription_fields = Vec::new();
        if !matches!(subscriptions_arg, Some(None)) && !level_off {
            for (on, mutation) in mutations.iter().flat_map(|m| {
                [
                    ("onCreate", &m.create),
                    ("onUpdate", &m.update),
                    ("onDelete", &m.delete),
                ]
            }) {
                let Some(mutation) = mutation else { continue };
                // each name listed (Amplify's `onCreate: [...]`), else the default one
                let names = match subscriptions_arg
                    .flatten()
                    .and_then(|map| map.iter().find(|(k, _)| k == on).map(|(_, v)| v))
                {
                    Some(v) => match v.as_ref() {
                        apollo_compiler::ast::Value::List(items) => items
                            .iter()
                            .filter_map(|i| i.as_str().map(str::to_string))
                            .collect(),
                        apollo_compiler::ast::Value::String(s) => vec![s.to_string()],
                        _ => Vec::new(),
                    },
                    None => vec![format!("{on}{model_name}")],
                };
                for name in names {
                    subscription_fields.push((name, mutation.clone()));
                }
            }
        }
        let subscriptions = !subscription_fields.is_empty();
        let searchable = object.directives.get("searchable").map(|d| {
            match object_arg(d, "queries") {
                Some(Some(map)) => field_string(map, "search"),
                _ => None,
            }
            .unwrap_or_else(|| format!("search{}", plural(model_name)))
        });
        let own = grants_of(object.directives.get("auth").map(|d| &***d), object, modes);
        let explicit_auth = own.is_some();
        let mut model_auth = ModelAuth {
            grants: own.unwrap_or_else(|| modes.with_principals(global.to_vec())),
            fields: Vec::new(),
        };
        for f in object.fields.values() {
            if let Some(g) = grants_of(f.directives.get("auth").map(|d| &**d), object, modes) {
                model_auth.fields.push((f.name.to_string(), g));
            }
        }
        let primary_key_declared = object
            .fields
            .values()
            .any(|f| f.directives.get("primaryKey").is_some());
        out.push(Model {
            name: model_name.to_string(),
            fields,
            primary_key,
            primary_key_declared,
            indexes,
            relations: Vec::new(),
            foreign_keys: Vec::new(),
            subscription_foreign_keys: Vec::new(),
            created_at,
            updated_at,
            queries,
            mutations,
            subscriptions,
            subscription_fields,
            searchable,
            explicit_auth: explicit_auth
                || !model_auth.fields.is_empty()
                || (modes.iam_principals && modes.has(auth::Provider::Iam)),
            auth: model_auth,
        });
    }
    link_relations(schema, &mut out);
    out
}

/// The query Amplify names for an index without `queryField`:
/// `<plural of the model, first letter lower-cased>By<Pk>[And<Sk>...]`, each
/// key field's first letter upper-cased (`receiptsByOwnerIdAndIssuedAt`).
fn auto_query_name(model: &str, key: &Key) -> String {
    let fields: Vec<String> = std::iter::once(&key.partition)
        .chain(&key.sort)
        .map(|f| upper_first(f))
        .collect();
    format!(
        "{}By{}",
        crate::naming::lower_first(&crate::naming::plural(model)),
        fields.join("And")
    )
}

/// A mutation's name in `@model(mutations: {...})`: the one given, none where
/// it is `null`, the default where it is not named.
fn named_op(map: Option<&super::sdl::ObjectValue>, op: &str, default: String) -> Option<String> {
    match map.and_then(|m| m.iter().find(|(k, _)| k == op)) {
        None => Some(default),
        Some((_, v)) => match v.as_ref() {
            apollo_compiler::ast::Value::String(s) => Some(s.to_string()),
            apollo_compiler::ast::Value::Null => None,
            _ => Some(default),
        },
    }
}
