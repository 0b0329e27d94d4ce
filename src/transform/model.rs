//! `@model`: the client-facing types, inputs and root fields of each model,
//! named, ordered and typed as Amplify's transformer v2 makes them.

use apollo_compiler::ast::{
    Argument, Definition, Directive, DirectiveList, Document, FieldDefinition,
    InputValueDefinition, Type, Value,
};
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::{Node, Schema};

use super::auth::{self, Grant, Modes, Ops, Role};
use super::inputs::{
    composite_inputs, filter_types, key_condition, key_condition_definition, shared_inputs,
};
use super::ir::{Key, Model, ModelField, RelationKind};
use super::non_model::{
    input_name, keep_descriptions, nested_type_directives, non_model, non_model_inputs,
};
use super::sdl::{
    enumeration, field, input, input_object, name, named, non_null, nullable, object_with,
    plain_directives, renamed, strip_input,
};
use super::searchable::{add_aggregate_directives, searchable_types};
use crate::naming::{camel, upper_first};

/// The grants of the `@auth` directive among `directives`, with the fields of `object`.
pub(super) fn grants_of(
    directive: Option<&Directive>,
    object: &apollo_compiler::schema::ObjectType,
    modes: &Modes,
) -> Option<Vec<Grant>> {
    let directive = directive?;
    let is_list = |f: &str| object.fields.get(f).map(|d| d.ty.is_list());
    let mut grants = Vec::new();
    for rule in auth::rules(directive) {
        // Bad rules were reported before the models are read.
        if let Ok(g) = auth::grant(&rule, modes, is_list) {
            grants.extend(g);
        }
    }
    Some(modes.with_principals(auth::merge(grants)))
}

/// The AppSync directives (`@aws_api_key`, `@aws_iam`, ...) the user wrote
/// on a type, which its client schema keeps.
fn appsync_directives(object: &apollo_compiler::schema::ObjectType) -> Vec<&str> {
    let mut names = Vec::new();
    for d in object.directives.iter() {
        let name = d.name.as_str();
        if name.starts_with("aws_") && name != "aws_subscribe" && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// Add names not there yet, keeping the order.
pub(super) fn add_all<'a>(to: &mut Vec<&'a str>, names: &[&'a str]) {
    for n in names {
        if !to.contains(n) {
            to.push(n);
        }
    }
}

/// How a model's `@auth` rules show in the client-facing schema: AppSync's auth
/// directives on the type, its connection type and its root fields, and the
/// owner arguments of its subscriptions.
#[derive(Default)]
struct AuthShape {
    type_directives: Vec<&'static str>,
    connection: Vec<&'static str>,
    get: Vec<&'static str>,
    list: Vec<&'static str>,
    create: Vec<&'static str>,
    update: Vec<&'static str>,
    delete: Vec<&'static str>,
    listen: Vec<&'static str>,
    subscription_args: Vec<String>,
}

impl AuthShape {
    fn of(model: &Model, modes: &Modes) -> AuthShape {
        if !model.explicit_auth {
            return AuthShape::default();
        }
        let op = |ops: Ops| -> Vec<&'static str> {
            let roles = model.auth.roles_any(ops);
            let providers = auth::providers(roles.iter().copied());
            let with_default = providers.contains(&modes.default);
            auth::service_directives(&providers, modes, with_default)
        };
        let mut shape = AuthShape {
            get: op(Ops::GET),
            list: op(Ops::LIST),
            create: op(Ops::CREATE),
            update: op(Ops::UPDATE),
            delete: {
                let grants = model.auth.delete_grants();
                let roles = grants
                    .iter()
                    .filter(|g| g.ops.contains(Ops::DELETE))
                    .map(|g| &g.role);
                let providers = auth::providers(roles);
                let with_default = providers.contains(&modes.default);
                auth::service_directives(&providers, modes, with_default)
            },
            listen: op(Ops::LISTEN),
            ..AuthShape::default()
        };
        let all = auth::providers(model.auth.all_roles());
        shape.type_directives = auth::service_directives(&all, modes, false);
        let mut on_type = shape.type_directives.clone();
        if model.queries.is_some() {
            add_all(&mut on_type, &shape.get);
        }
        if model.mutations.is_some() {
            add_all(&mut on_type, &shape.create);
            add_all(&mut on_type, &shape.update);
            add_all(&mut on_type, &shape.delete);
        }
        if model.subscriptions {
            add_all(&mut on_type, &shape.listen);
        }
        shape.type_directives = on_type;
        if model.queries.is_some() {
            shape.connection = shape.list.clone();
        }
        if model.indexes.iter().any(|i| i.query_field.is_some()) {
            let both = shape.index();
            add_all(&mut shape.connection, &both);
        }
        for role in model.auth.roles_any(Ops::LISTEN) {
            if let Role::Owner {
                field, list: false, ..
            } = role
                && !shape.subscription_args.contains(field)
            {
                shape.subscription_args.push(field.clone());
            }
        }
        shape
    }

    /// An index query is protected as a list and as a get.
    fn index(&self) -> Vec<&'static str> {
        let mut out = self.list.clone();
        add_all(&mut out, &self.get);
        out
    }
}

fn subscribe(mutation: &str) -> Node<Directive> {
    Node::new(Directive {
        name: name("aws_subscribe"),
        arguments: vec![Node::new(Argument {
            name: name("mutations"),
            value: Node::new(Value::List(vec![Node::new(Value::String(mutation.into()))])),
        })],
    })
}

/// The whole client-facing schema: the user's types (directives removed, model
/// fields completed) and everything generated for the models.
pub fn client_schema(schema: &Schema, models: &[Model], modes: &Modes) -> Document {
    let by_name: std::collections::HashMap<&str, usize> = models
        .iter()
        .enumerate()
        .map(|(i, m)| (m.name.as_str(), i))
        .collect();
    let shapes: Vec<AuthShape> = models.iter().map(|m| AuthShape::of(m, modes)).collect();
    let nested = nested_type_directives(schema, models, modes);
    let mut doc = Document::new();
    // Fields the user declares on the root types come first, then the generated ones.
    let mut query_fields = Vec::new();
    // Amplify's index and search transformers run after the model
    // transformer: their queries follow every model's get and list
    let mut index_query_fields = Vec::new();
    let mut search_query_fields = Vec::new();
    let mut mutation_fields = Vec::new();
    let mut subscription_fields = Vec::new();
    let user_types = schema.types.iter().filter(|(type_name, ty)| {
        !ty.is_built_in()
            && !matches!(type_name.as_str(), "AMPLIFY")
            && schema.types.get(type_name.as_str()).is_some()
    });
    for (type_name, ty) in user_types {
        // Only the user's own types: the directive definitions' inputs are not client-facing.
        if super::DEFINITIONS.contains(&format!(" {type_name} "))
            && !by_name.contains_key(type_name.as_str())
        {
            continue;
        }
        match ty {
            ExtendedType::Object(object_type) => {
                let model = by_name.get(type_name.as_str()).map(|&i| &models[i]);
                let mut fields: Vec<Node<FieldDefinition>> = Vec::new();
                if let Some(model) = model {
                    for f in &model.fields {
                        let relation = model
                            .relations
                            .iter()
                            .find(|r| r.field == f.name && r.kind == RelationKind::HasMany);
                        match relation {
                            Some(r) => {
                                let mut args: Vec<_> = r
                                    .sort_arg
                                    .iter()
                                    .map(|(arg, ty)| input(arg, named(ty)))
                                    .collect();
                                args.extend([
                                    input(
                                        "filter",
                                        named(&format!("Model{}FilterInput", r.target)),
                                    ),
                                    input("sortDirection", named("ModelSortDirection")),
                                    input("limit", named("Int")),
                                    input("nextToken", named("String")),
                                ]);
                                fields.push(field(
                                    &f.name,
                                    args,
                                    named(&format!("Model{}Connection", r.target)),
                                    Vec::new(),
                                ))
                            }
                            None => {
                                fields.push(field(&f.name, Vec::new(), f.ty.clone(), Vec::new()))
                            }
                        }
                    }
                    for ts in [&model.created_at, &model.updated_at].into_iter().flatten() {
                        if !model.fields.iter().any(|f| &f.name == ts) {
                            fields.push(field(
                                ts,
                                Vec::new(),
                                named("AWSDateTime").non_null(),
                                Vec::new(),
                            ));
                        }
                    }
                    for fk in &model.foreign_keys {
                        fields.push(field(&fk.name, Vec::new(), fk.ty(), Vec::new()));
                    }
                    for owner in model.auth.owner_fields() {
                        if !model.fields.iter().any(|f| f.name == owner)
                            && !model.foreign_keys.iter().any(|f| f.name == owner)
                        {
                            fields.push(field(owner, Vec::new(), named("String"), Vec::new()));
                        }
                    }
                    let shape = &shapes[by_name[type_name.as_str()]];
                    doc.definitions
                        .push(object_with(type_name, fields, &shape.type_directives));
                    continue;
                }
                let root = match type_name.as_str() {
                    "Query" => Some(&mut query_fields),
                    "Mutation" => Some(&mut mutation_fields),
                    "Subscription" => Some(&mut subscription_fields),
                    _ => None,
                };
                for f in object_type.fields.values() {
                    let directives = field_auth_directives(f, object_type, modes);
                    fields.push(field(
                        &f.name,
                        f.arguments.iter().map(strip_input).collect(),
                        f.ty.clone(),
                        keep_appsync_directives(&f.directives, directives),
                    ));
                }
                match root {
                    Some(root) => root.extend(fields),
                    None => {
                        // the user's own AppSync directives, then those the
                        // models that reach the type give it
                        let mut directives = appsync_directives(object_type);
                        add_all(
                            &mut directives,
                            nested.get(type_name.as_str()).map_or(&[], |d| d.as_slice()),
                        );
                        doc.definitions
                            .push(object_with(type_name, fields, &directives));
                    }
                }
            }
            ExtendedType::InputObject(input_type) => {
                doc.definitions.push(input_object(
                    type_name,
                    input_type
                        .fields
                        .values()
                        .map(|f| strip_input(&f.node))
                        .collect(),
                ));
            }
            ExtendedType::Enum(e) => {
                let values: Vec<&str> = e.values.keys().map(|v| v.as_str()).collect();
                doc.definitions.push(enumeration(type_name, &values));
            }
            _ => {}
        }
    }
    // the user's own Query fields come first, as Amplify's output starts from the schema
    let user_query_fields = query_fields.len();
    let (user_mutation_fields, user_subscription_fields) =
        (mutation_fields.len(), subscription_fields.len());

    if !models.is_empty() {
        doc.definitions.extend(shared_inputs());
    }
    // Generated input types already emitted (enum filters, key conditions), by name.
    let mut emitted: std::collections::HashSet<String> = std::collections::HashSet::new();
    // The searchable models' auth directives, which Amplify's auth transformer
    // also puts on the shared aggregate types.
    let mut aggregate_directives: Vec<&'static str> = Vec::new();
    // each model's generated queries, in the order a schema that declares
    // `type Query` gets them (see the end)
    let mut per_model: Vec<Vec<Node<FieldDefinition>>> = Vec::new();
    for (model, shape) in models.iter().zip(&shapes) {
        let m = &model.name;
        let (generated_before, index_before, search_before) = (
            query_fields.len(),
            index_query_fields.len(),
            search_query_fields.len(),
        );
        let filterable: Vec<&ModelField> = model
            .fields
            .iter()
            .filter(|f| f.is_scalar || f.is_enum)
            .collect();
        let timestamps: Vec<&String> = [&model.created_at, &model.updated_at]
            .into_iter()
            .flatten()
            .filter(|ts| !model.fields.iter().any(|f| &f.name == *ts))
            .collect();
        let filter_of = |f: &ModelField, subscription: bool| -> String {
            let inner = f.ty.inner_named_type().as_str();
            if f.is_enum {
                if subscription {
                    "ModelSubscriptionStringInput".into()
                } else if matches!(f.ty, Type::List(_)) {
                    // a nullable list only, as Amplify's `isListType` sees lists
                    format!("Model{inner}ListInput")
                } else {
                    format!("Model{inner}Input")
                }
            } else {
                let (plain, sub) = filter_types(inner);
                if subscription {
                    sub.into()
                } else {
                    plain.into()
                }
            }
        };
        // enum filter inputs
        for f in filterable.iter().filter(|f| f.is_enum) {
            let inner = f.ty.inner_named_type().as_str();
            // a list of enums: the whole list compared, or one value in it
            // (Amplify's `Model<Enum>ListInput`)
            let (type_name, fields) = if matches!(f.ty, Type::List(_)) {
                (
                    format!("Model{inner}ListInput"),
                    vec![
                        input("eq", named(inner).list()),
                        input("ne", named(inner).list()),
                        input("contains", named(inner)),
                        input("notContains", named(inner)),
                    ],
                )
            } else {
                (
                    format!("Model{inner}Input"),
                    vec![input("eq", named(inner)), input("ne", named(inner))],
                )
            };
            if emitted.insert(type_name.clone()) {
                doc.definitions.push(input_object(&type_name, fields));
            }
        }

        doc.definitions.push(object_with(
            &format!("Model{m}Connection"),
            vec![
                field("items", Vec::new(), named(m).list().non_null(), Vec::new()),
                field("nextToken", Vec::new(), named("String"), Vec::new()),
            ],
            &shape.connection,
        ));
        // Owner fields the user did not declare are filterable too (Amplify adds them).
        let declared = |f: &str| {
            model.fields.iter().any(|x| x.name == f)
                || model.foreign_keys.iter().any(|x| x.name == f)
        };
        let added_owners: Vec<&str> = model
            .auth
            .owner_fields()
            .into_iter()
            .filter(|f| !declared(f))
            .collect();

        // Amplify's filters always have `id`, even for a model keyed on
        // another field (which has no `id`)
        let no_id = !model.fields.iter().any(|f| f.name == "id");
        let mut filter: Vec<_> = filterable
            .iter()
            .map(|f| input(&f.name, named(&filter_of(f, false))))
            .collect();
        if no_id {
            filter.push(input("id", named("ModelIDInput")));
        }
        filter.extend(
            timestamps
                .iter()
                .map(|ts| input(ts, named("ModelStringInput"))),
        );
        let filter_name = format!("Model{m}FilterInput");
        filter.extend([
            input("and", named(&filter_name).list()),
            input("or", named(&filter_name).list()),
            input("not", named(&filter_name)),
        ]);
        filter.extend(
            model
                .foreign_keys
                .iter()
                .map(|fk| input(&fk.name, named(filter_types(&fk.scalar).0))),
        );
        filter.extend(
            added_owners
                .iter()
                .map(|f| input(f, named("ModelStringInput"))),
        );
        doc.definitions.push(input_object(&filter_name, filter));

        let field_type = |field_name: &str| -> Type {
            model
                .fields
                .iter()
                .find(|f| f.name == field_name)
                .map(|f| f.ty.clone())
                .unwrap_or_else(|| named("String").non_null())
        };
        let key_args = |key: &Key| -> Vec<Node<InputValueDefinition>> {
            let mut args = vec![input(&key.partition, non_null(&field_type(&key.partition)))];
            args.extend(
                key.sort
                    .iter()
                    .map(|sk| input(sk, non_null(&field_type(sk)))),
            );
            args
        };
        let mut key_conditions: Vec<&'static str> = Vec::new();
        let sort_condition =
            |sk: &str, used: &mut Vec<&'static str>| -> Option<Node<InputValueDefinition>> {
                let scalar = field_type(sk).inner_named_type().to_string();
                let condition = key_condition(&scalar)?;
                used.push(condition);
                Some(input(sk, named(condition)))
            };
        // A composite sort key is queried through one argument for all its fields.
        let mut composites: Vec<Definition> = Vec::new();
        let mut sort_args = |key: &Key,
                             label: &str,
                             used: &mut Vec<&'static str>|
         -> Vec<Node<InputValueDefinition>> {
            if key.is_composite() {
                let names: Vec<&str> = key.sort.iter().map(String::as_str).collect();
                let base = format!("Model{m}{}CompositeKey", upper_first(label));
                if emitted.insert(base.clone()) {
                    composites.extend(composite_inputs(
                        &base,
                        key.sort
                            .iter()
                            .map(|f| input(f, nullable(&field_type(f))))
                            .collect(),
                    ));
                }
                vec![input(
                    &camel(&names),
                    named(&format!("{base}ConditionInput")),
                )]
            } else {
                key.sort
                    .iter()
                    .filter_map(|sk| sort_condition(sk, used))
                    .collect()
            }
        };
        let custom_key = model.primary_key.partition != "id" || !model.primary_key.sort.is_empty();
        // a declared key, even `id` alone, is the list query's argument
        let listed_by_key = custom_key || model.primary_key_declared;
        if let Some((get, list)) = &model.queries {
            query_fields.push(field(
                get,
                key_args(&model.primary_key),
                named(m),
                plain_directives(&shape.get).0,
            ));
            let mut list_args = Vec::new();
            if listed_by_key {
                list_args.push(input(
                    &model.primary_key.partition,
                    nullable(&field_type(&model.primary_key.partition)),
                ));
                list_args.extend(sort_args(
                    &model.primary_key,
                    "Primary",
                    &mut key_conditions,
                ));
            }
            list_args.extend([
                input("filter", named(&filter_name)),
                input("limit", named("Int")),
                input("nextToken", named("String")),
            ]);
            if listed_by_key {
                list_args.push(input("sortDirection", named("ModelSortDirection")));
            }
            query_fields.push(field(
                list,
                list_args,
                named(&format!("Model{m}Connection")),
                plain_directives(&shape.list).0,
            ));
        }
        for index in &model.indexes {
            let Some(query) = &index.query_field else {
                continue;
            };
            let mut args = vec![input(
                &index.key.partition,
                non_null(&field_type(&index.key.partition)),
            )];
            args.extend(sort_args(&index.key, &index.name, &mut key_conditions));
            args.extend([
                input("sortDirection", named("ModelSortDirection")),
                input("filter", named(&filter_name)),
                input("limit", named("Int")),
                input("nextToken", named("String")),
            ]);
            index_query_fields.push(field(
                query,
                args,
                named(&format!("Model{m}Connection")),
                plain_directives(&shape.index()).0,
            ));
        }
        if let Some(search) = &model.searchable {
            let sortable: Vec<String> = filterable
                .iter()
                .filter(|f| f.is_scalar)
                .map(|f| f.name.clone())
                .chain(timestamps.iter().map(|t| t.to_string()))
                .collect();
            add_all(&mut aggregate_directives, &shape.connection);
            doc.definitions.extend(searchable_types(
                m,
                &filterable,
                &timestamps,
                &sortable,
                &mut emitted,
                &shape.connection,
            ));
            search_query_fields.push(field(
                search,
                vec![
                    input("filter", named(&format!("Searchable{m}FilterInput"))),
                    input("sort", named(&format!("Searchable{m}SortInput")).list()),
                    input("limit", named("Int")),
                    input("nextToken", named("String")),
                    input("from", named("Int")),
                    input(
                        "aggregates",
                        named(&format!("Searchable{m}AggregationInput")).list(),
                    ),
                ],
                named(&format!("Searchable{m}Connection")),
                plain_directives(&shape.list).0,
            ));
        }
        per_model.push(
            query_fields[generated_before..]
                .iter()
                .chain(&index_query_fields[index_before..])
                .chain(&search_query_fields[search_before..])
                .cloned()
                .collect(),
        );
        doc.definitions.append(&mut composites);
        for condition in key_conditions {
            if emitted.insert(condition.to_string()) {
                doc.definitions.push(key_condition_definition(condition));
            }
        }
        if let Some(mutations) = &model.mutations {
            let condition_name = format!("Model{m}ConditionInput");
            let mut condition: Vec<_> = filterable
                .iter()
                .filter(|f| f.name != "id" && !is_key(model, &f.name))
                .map(|f| input(&f.name, named(&filter_of(f, false))))
                .collect();
            condition.extend([
                input("and", named(&condition_name).list()),
                input("or", named(&condition_name).list()),
                input("not", named(&condition_name)),
            ]);
            condition.extend(
                timestamps
                    .iter()
                    .map(|ts| input(ts, named("ModelStringInput"))),
            );
            condition.extend(
                model
                    .foreign_keys
                    .iter()
                    .map(|fk| input(&fk.name, named(filter_types(&fk.scalar).0))),
            );
            condition.extend(
                added_owners
                    .iter()
                    .map(|f| input(f, named("ModelStringInput"))),
            );
            doc.definitions
                .push(input_object(&condition_name, condition));

            // the fields a create or update writes: scalars, enums, and
            // non-model types (as their `<Type>Input`)
            let data_fields: Vec<&ModelField> = model
                .fields
                .iter()
                .filter(|f| f.is_scalar || f.is_enum || non_model(schema, &by_name, &f.ty))
                .collect();
            for f in &data_fields {
                non_model_inputs(schema, &by_name, &f.ty, &mut emitted, &mut doc.definitions);
            }
            let written = |f: &ModelField| -> Type {
                if f.is_scalar || f.is_enum {
                    f.ty.clone()
                } else {
                    renamed(&f.ty, &input_name(f.ty.inner_named_type()))
                }
            };
            let mut create_fields: Vec<_> = data_fields
                .iter()
                .map(|f| {
                    // the key `id` (made if absent) and the timestamps (set
                    // by the resolver) are optional; a field with `@default`
                    // keeps its type, as v2.5.1 keeps it
                    // (Amplify does so for `AWSDateTime` and `String` ones,
                    // whose value the resolver writes)
                    let timestamp = [&model.created_at, &model.updated_at]
                        .iter()
                        .any(|t| t.as_deref() == Some(f.name.as_str()))
                        && matches!(f.ty.inner_named_type().as_str(), "AWSDateTime" | "String");
                    let ty = if (f.name == "id" && model.auto_id()) || timestamp {
                        nullable(&f.ty)
                    } else {
                        written(f)
                    };
                    input(&f.name, ty)
                })
                .collect();
            create_fields.extend(model.foreign_keys.iter().map(|fk| input(&fk.name, fk.ty())));
            // a mutation turned off (`null`) has no input either
            if mutations.create.is_some() {
                doc.definitions
                    .push(input_object(&format!("Create{m}Input"), create_fields));
            }
            let mut update_fields: Vec<_> = data_fields
                .iter()
                .map(|f| {
                    let ty = if is_key(model, &f.name) {
                        non_null(&f.ty)
                    } else {
                        nullable(&written(f))
                    };
                    input(&f.name, ty)
                })
                .collect();
            update_fields.extend(
                model
                    .foreign_keys
                    .iter()
                    .map(|fk| input(&fk.name, named(&fk.scalar))),
            );
            if mutations.update.is_some() {
                doc.definitions
                    .push(input_object(&format!("Update{m}Input"), update_fields));
            }
            if mutations.delete.is_some() {
                doc.definitions.push(input_object(
                    &format!("Delete{m}Input"),
                    key_args(&model.primary_key),
                ));
            }

            for (kind, mutation) in mutations.present() {
                let directives = match kind {
                    "Create" => &shape.create,
                    "Update" => &shape.update,
                    _ => &shape.delete,
                };
                mutation_fields.push(field(
                    mutation,
                    vec![
                        input("input", named(&format!("{kind}{m}Input")).non_null()),
                        input("condition", named(&condition_name)),
                    ],
                    named(m),
                    plain_directives(directives).0,
                ));
            }

            if model.subscriptions {
                let sub_filter_name = format!("ModelSubscription{m}FilterInput");
                // Fields that decide who sees an event are filtered by the resolver, not by clients.
                let dynamic = model.auth.dynamic_fields();
                let mut sub_filter: Vec<_> = filterable
                    .iter()
                    .filter(|f| !dynamic.contains(&f.name.as_str()))
                    .map(|f| input(&f.name, named(&filter_of(f, true))))
                    .collect();
                if no_id {
                    sub_filter.push(input("id", named("ModelSubscriptionIDInput")));
                }
                sub_filter.extend(
                    timestamps
                        .iter()
                        .map(|ts| input(ts, named("ModelSubscriptionStringInput"))),
                );
                sub_filter.extend([
                    input("and", named(&sub_filter_name).list()),
                    input("or", named(&sub_filter_name).list()),
                ]);
                sub_filter.extend(
                    model
                        .subscription_foreign_keys
                        .iter()
                        .filter(|f| !dynamic.contains(&f.name.as_str()))
                        .map(|fk| input(&fk.name, named(filter_types(&fk.scalar).1))),
                );
                sub_filter.extend(
                    model
                        .auth
                        .owner_fields()
                        .iter()
                        .map(|f| input(f, named("ModelStringInput"))),
                );
                doc.definitions
                    .push(input_object(&sub_filter_name, sub_filter));
                for (subscription, mutation) in &model.subscription_fields {
                    let mut args = vec![input("filter", named(&sub_filter_name))];
                    args.extend(
                        shape
                            .subscription_args
                            .iter()
                            .map(|f| input(f, named("String"))),
                    );
                    let mut directives = vec![subscribe(mutation)];
                    directives.extend(plain_directives(&shape.listen).0);
                    subscription_fields.push(field(subscription, args, named(m), directives));
                }
            }
        }
    }
    if !aggregate_directives.is_empty() {
        add_aggregate_directives(&mut doc.definitions, &aggregate_directives);
    }
    // The sort key conditions of `@hasMany` fields, when no query declared them.
    for model in models {
        for r in &model.relations {
            let Some((_, ty)) = &r.sort_arg else { continue };
            if !emitted.insert(ty.clone()) {
                continue;
            }
            match ty.strip_suffix("ConditionInput") {
                Some(base) if ty.ends_with("CompositeKeyConditionInput") => {
                    if !emitted.insert(base.to_string()) {
                        continue;
                    }
                    let target = by_name.get(r.target.as_str()).map(|&i| &models[i]);
                    let fields = r
                        .target_key
                        .sort
                        .iter()
                        .map(|f| {
                            let ty = target
                                .and_then(|t| t.fields.iter().find(|x| &x.name == f))
                                .map(|x| nullable(&x.ty))
                                .unwrap_or_else(|| named("String"));
                            input(f, ty)
                        })
                        .collect();
                    doc.definitions.extend(composite_inputs(base, fields));
                }
                _ => doc.definitions.push(key_condition_definition(ty)),
            }
        }
    }
    // The generated queries' order in Amplify's output (seen against its
    // transformer, tests/transformer_oracle.rs): after the fields of a
    // `type Query` the schema declares, model by model (get, list, its index
    // queries, its search query); without one, the search queries first,
    // then every model's get and list, then the index queries.
    if user_query_fields > 0 {
        query_fields.truncate(user_query_fields);
        query_fields.extend(per_model.into_iter().flatten());
    } else {
        let generated = std::mem::take(&mut query_fields);
        query_fields.append(&mut search_query_fields);
        query_fields.extend(generated);
        query_fields.append(&mut index_query_fields);
    }
    for (root, mut fields, user) in [
        ("Query", query_fields, user_query_fields),
        ("Mutation", mutation_fields, user_mutation_fields),
        (
            "Subscription",
            subscription_fields,
            user_subscription_fields,
        ),
    ] {
        auth_marked_last(&mut fields, user);
        if !fields.is_empty() {
            let directives = match schema.types.get(root) {
                Some(ExtendedType::Object(declared)) => appsync_directives(declared),
                _ => Vec::new(),
            };
            doc.definitions.push(object_with(root, fields, &directives));
        }
    }
    keep_descriptions(schema, &mut doc);
    doc
}

/// The generated root fields (those from `from` on) that carry AppSync auth
/// directives after those that carry none, each group in its order: Amplify's
/// auth transformer marks a field by taking it out of its type and putting it
/// back last (`addDirectivesToField`), so the fields of models with only the
/// default mode's rules keep their places and the others follow.
fn auth_marked_last(fields: &mut Vec<Node<FieldDefinition>>, from: usize) {
    let generated = fields.split_off(from.min(fields.len()));
    let (marked, plain): (Vec<_>, Vec<_>) = generated.into_iter().partition(|f| {
        f.directives
            .iter()
            .any(|d| d.name.starts_with("aws_") && d.name != "aws_subscribe")
    });
    fields.extend(plain);
    fields.extend(marked);
}

fn is_key(model: &Model, field_name: &str) -> bool {
    model.primary_key.partition == field_name
        || model.primary_key.sort.iter().any(|s| s == field_name)
}

/// AppSync's own directives the user wrote on a field, followed by those its `@auth` adds.
fn keep_appsync_directives(
    directives: &DirectiveList,
    added: Vec<&'static str>,
) -> Vec<Node<Directive>> {
    let mut out: Vec<Node<Directive>> = directives
        .iter()
        .filter(|d| d.name.starts_with("aws_"))
        .cloned()
        .collect();
    for n in added {
        if !out.iter().any(|d| d.name == n) {
            out.extend(plain_directives(&[n]).0);
        }
    }
    out
}

/// The auth directives of a field of a type that is not a model (a custom query,
/// for one): its static rules' providers, never the default alone.
fn field_auth_directives(
    f: &apollo_compiler::schema::FieldDefinition,
    object: &apollo_compiler::schema::ObjectType,
    modes: &Modes,
) -> Vec<&'static str> {
    let Some(grants) = grants_of(f.directives.get("auth").map(|d| &**d), object, modes) else {
        return Vec::new();
    };
    let providers = auth::providers(grants.iter().map(|g| &g.role).filter(|r| r.is_static()));
    auth::service_directives(&providers, modes, false)
}
