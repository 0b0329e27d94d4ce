//! The model introspection document (version 1) that `aws-amplify` v6 reads
//! from `amplify_outputs.json` (`data.model_introspection`) to build
//! `client.models.<Model>`: each model's fields, relations, keys and rules, the
//! enums and the non-model types, as Amplify Gen 2 writes it.

use apollo_compiler::Schema;
use apollo_compiler::ast::Type;
use apollo_compiler::schema::ExtendedType;
use serde_json::{Map, Value, json};

use crate::transform::auth::{Grant, Ops, Provider, Role};
use crate::transform::{Model, Output, RelationKind};

/// The introspection document of a transformed api.
pub fn model_introspection(output: &Output, schema: &Schema) -> Value {
    let mut models = Map::new();
    for model in &output.models {
        models.insert(model.name.clone(), model_entry(model, schema));
    }
    let model_names: Vec<&str> = output.models.iter().map(|m| m.name.as_str()).collect();
    let mut enums = Map::new();
    let mut non_models = Map::new();
    for (name, ty) in &schema.types {
        if ty.is_built_in() || generated(name) {
            continue;
        }
        match ty {
            ExtendedType::Enum(e) => {
                enums.insert(
                    name.to_string(),
                    json!({ "name": name.as_str(), "values": e.values.keys().map(|v| v.as_str()).collect::<Vec<_>>() }),
                );
            }
            ExtendedType::Object(object)
                if !model_names.contains(&name.as_str()) && !is_root(schema, name) =>
            {
                let mut fields = Map::new();
                for (field_name, f) in &object.fields {
                    fields.insert(
                        field_name.to_string(),
                        field_entry(field_name, &f.ty, field_type(schema, &f.ty, &model_names)),
                    );
                }
                non_models.insert(
                    name.to_string(),
                    json!({ "name": name.as_str(), "fields": fields }),
                );
            }
            _ => {}
        }
    }
    let mut doc = json!({
        "version": 1,
        "models": models,
        "enums": enums,
        "nonModels": non_models,
    });
    for (key, root, list) in [
        ("queries", schema.schema_definition.query.as_ref(), "Query"),
        (
            "mutations",
            schema.schema_definition.mutation.as_ref(),
            "Mutation",
        ),
        (
            "subscriptions",
            schema.schema_definition.subscription.as_ref(),
            "Subscription",
        ),
    ] {
        let custom: Vec<&str> = output
            .custom_fields
            .iter()
            .filter(|c| c.type_name == list)
            .map(|c| c.field.as_str())
            .collect();
        let Some(ExtendedType::Object(object)) = root.and_then(|r| schema.types.get(&r.name))
        else {
            continue;
        };
        let mut ops = Map::new();
        for field_name in custom {
            let Some(f) = object.fields.get(field_name) else {
                continue;
            };
            let mut entry = field_entry(field_name, &f.ty, field_type(schema, &f.ty, &model_names));
            if !f.arguments.is_empty() {
                let mut args = Map::new();
                for a in &f.arguments {
                    let inner = a.ty.inner_named_type();
                    let ty = match schema.types.get(inner) {
                        Some(ExtendedType::Enum(_)) => json!({ "enum": inner.as_str() }),
                        Some(ExtendedType::InputObject(_)) => json!({ "input": inner.as_str() }),
                        _ => json!(inner.as_str()),
                    };
                    let mut arg = field_entry(&a.name, &a.ty, ty);
                    if let Some(o) = arg.as_object_mut() {
                        o.remove("attributes");
                    }
                    args.insert(a.name.to_string(), arg);
                }
                entry["arguments"] = Value::Object(args);
            }
            if let Some(o) = entry.as_object_mut() {
                o.remove("attributes");
            }
            ops.insert(field_name.to_string(), entry);
        }
        if !ops.is_empty() {
            doc[key] = Value::Object(ops);
        }
    }
    doc
}

fn is_root(schema: &Schema, name: &str) -> bool {
    [
        schema.schema_definition.query.as_ref(),
        schema.schema_definition.mutation.as_ref(),
        schema.schema_definition.subscription.as_ref(),
    ]
    .into_iter()
    .flatten()
    .any(|r| r.name == name)
}

/// Types the transform generates (connections, inputs' enums, search results).
fn generated(name: &str) -> bool {
    name == "ModelSortDirection"
        || name == "ModelAttributeTypes"
        || (name.starts_with("Model") && name.ends_with("Connection"))
        || name.starts_with("Searchable")
}

fn field_type(schema: &Schema, ty: &Type, models: &[&str]) -> Value {
    let inner = ty.inner_named_type().as_str();
    if models.contains(&inner) {
        return json!({ "model": inner });
    }
    match schema.types.get(inner) {
        Some(ExtendedType::Enum(_)) => json!({ "enum": inner }),
        Some(ExtendedType::Object(_) | ExtendedType::Union(_) | ExtendedType::Interface(_)) => {
            json!({ "nonModel": inner })
        }
        _ => json!(inner),
    }
}

fn field_entry(name: &str, ty: &Type, field_type: Value) -> Value {
    let is_array = ty.is_list();
    let required = match ty {
        Type::List(item) | Type::NonNullList(item) => item.is_non_null(),
        _ => ty.is_non_null(),
    };
    let mut entry = json!({
        "name": name,
        "isArray": is_array,
        "type": field_type,
        "isRequired": required,
        "attributes": [],
    });
    if is_array {
        entry["isArrayNullable"] = json!(!ty.is_non_null());
    }
    entry
}

fn model_entry(model: &Model, schema: &Schema) -> Value {
    let model_names = [model.name.as_str()];
    let mut fields = Map::new();
    if let Some(ExtendedType::Object(object)) = schema.types.get(model.name.as_str()) {
        for (field_name, f) in &object.fields {
            let relation = model
                .relations
                .iter()
                .find(|r| r.field == field_name.as_str());
            let entry = match relation {
                Some(r) => {
                    let declared = model
                        .fields
                        .iter()
                        .find(|m| m.name == r.field)
                        .map(|m| m.ty.clone())
                        .unwrap_or_else(|| f.ty.clone());
                    let mut entry =
                        field_entry(field_name, &declared, json!({ "model": r.target }));
                    let target_fields = r.target_key.fields();
                    entry["association"] = match r.kind {
                        RelationKind::HasMany => json!({
                            "connectionType": "HAS_MANY",
                            "associatedWith": target_fields,
                        }),
                        RelationKind::HasOne => json!({
                            "connectionType": "HAS_ONE",
                            "associatedWith": target_fields,
                            "targetNames": r.source_fields,
                        }),
                        RelationKind::BelongsTo => json!({
                            "connectionType": "BELONGS_TO",
                            "targetNames": r.source_fields,
                        }),
                    };
                    entry
                }
                None => {
                    let mut entry =
                        field_entry(field_name, &f.ty, field_type(schema, &f.ty, &model_names));
                    let timestamp = [&model.created_at, &model.updated_at]
                        .into_iter()
                        .flatten()
                        .any(|t| t == field_name.as_str());
                    if timestamp {
                        entry["isReadOnly"] = json!(true);
                    }
                    entry
                }
            };
            fields.insert(field_name.to_string(), entry);
        }
    }

    let mut attributes = vec![json!({ "type": "model", "properties": {} })];
    let custom_key = model.primary_key.partition != "id" || !model.primary_key.sort.is_empty();
    // a declared key, even `id` alone, is a key attribute, as Amplify's codegen writes it
    if custom_key || model.primary_key_declared {
        attributes
            .push(json!({ "type": "key", "properties": { "fields": model.primary_key.fields() } }));
    }
    for index in &model.indexes {
        let mut properties = json!({ "name": index.name, "fields": index.key.fields() });
        if let Some(q) = &index.query_field {
            properties["queryField"] = json!(q);
        }
        attributes.push(json!({ "type": "key", "properties": properties }));
    }
    let rules = auth_rules(&model.auth.grants);
    if !rules.is_empty() {
        attributes.push(json!({ "type": "auth", "properties": { "rules": rules } }));
    }

    json!({
        "name": model.name,
        "fields": fields,
        "syncable": true,
        "pluralName": crate::transform::plural(&model.name),
        "attributes": attributes,
        "primaryKeyInfo": {
            "isCustomPrimaryKey": custom_key,
            "primaryKeyFieldName": model.primary_key.partition,
            "sortKeyFieldNames": model.primary_key.sort,
        },
    })
}

fn provider_name(p: Provider) -> &'static str {
    match p {
        Provider::ApiKey => "apiKey",
        Provider::Iam => "iam",
        Provider::Oidc => "oidc",
        Provider::UserPools => "userPools",
        Provider::Function => "function",
    }
}

/// The model's rules, one per role, as Amplify's `@auth` arguments name them.
fn auth_rules(grants: &[Grant]) -> Vec<Value> {
    let mut merged: Vec<(&Role, Ops)> = Vec::new();
    // the project's functions' access is the api's, not a rule of the model
    for g in grants.iter().filter(|g| g.role != Role::IamPrincipals) {
        match merged.iter_mut().find(|(r, _)| *r == &g.role) {
            Some((_, ops)) => *ops = ops.union(g.ops),
            None => merged.push((&g.role, g.ops)),
        }
    }
    merged
        .into_iter()
        .map(|(role, ops)| {
            let mut rule = match role {
                Role::Public(p) => json!({ "allow": "public", "provider": provider_name(*p) }),
                Role::Private(p) => json!({ "allow": "private", "provider": provider_name(*p) }),
                Role::Custom | Role::IamPrincipals => {
                    json!({ "allow": "custom", "provider": "function" })
                }
                Role::StaticGroup {
                    provider,
                    group,
                    claim,
                } => json!({
                    "allow": "groups", "provider": provider_name(*provider),
                    "groups": [group], "groupClaim": claim,
                }),
                Role::DynamicGroup {
                    provider,
                    field,
                    claim,
                    ..
                } => json!({
                    "allow": "groups", "provider": provider_name(*provider),
                    "groupsField": field, "groupClaim": claim,
                }),
                Role::Owner {
                    provider,
                    field,
                    claim,
                    ..
                } => json!({
                    "allow": "owner", "provider": provider_name(*provider),
                    "ownerField": field, "identityClaim": claim,
                }),
            };
            rule["operations"] = json!(op_names(ops));
            rule
        })
        .collect()
}

fn op_names(ops: Ops) -> Vec<&'static str> {
    let mut names = Vec::new();
    for (op, name) in [
        (Ops::CREATE, "create"),
        (Ops::UPDATE, "update"),
        (Ops::DELETE, "delete"),
    ] {
        if ops.contains(op) {
            names.push(name);
        }
    }
    if ops.contains(Ops::READ) {
        names.push("read");
    } else {
        for (op, name) in [
            (Ops::GET, "get"),
            (Ops::LIST, "list"),
            (Ops::SYNC, "sync"),
            (Ops::LISTEN, "listen"),
            (Ops::SEARCH, "search"),
        ] {
            if ops.contains(op) {
                names.push(name);
            }
        }
    }
    names
}
