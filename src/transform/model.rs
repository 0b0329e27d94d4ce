//! `@model`: the client-facing types, inputs and root fields of each model,
//! named, ordered and typed as Amplify's transformer v2 makes them.

use apollo_compiler::ast::{
    Argument, Definition, Directive, DirectiveList, Document, EnumTypeDefinition,
    EnumValueDefinition, FieldDefinition, InputObjectTypeDefinition, InputValueDefinition,
    ObjectTypeDefinition, Type, Value,
};
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::{Name, Node, Schema};

/// A field of a model, as the transformer sees it.
#[derive(Debug, Clone)]
pub struct ModelField {
    pub name: String,
    pub ty: Type,
    /// The named type is an enum of the schema.
    pub is_enum: bool,
    /// The named type is a scalar (built-in or AWS).
    pub is_scalar: bool,
}

#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    pub fields: Vec<ModelField>,
    /// The table's key: partition field and sort key fields (`@primaryKey`, else `id`).
    pub primary_key: Key,
    /// Global secondary indexes (`@index`, and those relations add).
    pub indexes: Vec<Index>,
    /// Relation fields of this model, resolved through another model's table.
    pub relations: Vec<Relation>,
    /// Foreign key fields generated on this model (the "many" side of `@hasMany`).
    pub foreign_keys: Vec<String>,
    /// Foreign keys Amplify also lists in this model's subscription filter (as it does
    /// for the model that declares `@hasMany`).
    pub subscription_foreign_keys: Vec<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub queries: Option<(String, String)>,
    pub mutations: Option<(String, String, String)>,
    pub subscriptions: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationKind {
    HasMany,
    BelongsTo,
}

/// A relation field: `Blog.posts @hasMany` or `Post.blog @belongsTo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub field: String,
    pub kind: RelationKind,
    /// The related model.
    pub target: String,
    /// The foreign key field, on the "many" side (`blogPostsId`).
    pub foreign_key: String,
    /// The index of the "many" side's table on the foreign key.
    pub index: String,
}

/// A key of a table or index: the partition field and the sort key fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub partition: String,
    pub sort: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub name: String,
    pub key: Key,
    /// The query field that reads the index, if the schema asks for one.
    pub query_field: Option<String>,
}

fn string_list(directive: &Directive, arg: &str) -> Vec<String> {
    directive
        .arguments
        .iter()
        .find(|a| a.name == arg)
        .map(|a| match a.value.as_ref() {
            Value::List(items) => items
                .iter()
                .filter_map(|v| match v.as_ref() {
                    Value::String(s) => Some(s.to_string()),
                    _ => None,
                })
                .collect(),
            Value::String(s) => vec![s.to_string()],
            _ => Vec::new(),
        })
        .unwrap_or_default()
}

fn string_value(directive: &Directive, arg: &str) -> Option<String> {
    directive
        .arguments
        .iter()
        .find(|a| a.name == arg)
        .and_then(|a| match a.value.as_ref() {
            Value::String(s) => Some(s.to_string()),
            _ => None,
        })
}

fn name(text: &str) -> Name {
    Name::new(text).unwrap_or_else(|_| Name::new("invalid").expect("a valid name"))
}

fn named(text: &str) -> Type {
    Type::Named(name(text))
}

fn upper_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// The key condition input of a scalar, for sort keys.
fn key_condition(scalar: &str) -> Option<&'static str> {
    match scalar {
        "ID" => Some("ModelIDKeyConditionInput"),
        "Int" | "AWSTimestamp" => Some("ModelIntKeyConditionInput"),
        "Float" => Some("ModelFloatKeyConditionInput"),
        "Boolean" => None,
        _ => Some("ModelStringKeyConditionInput"),
    }
}

/// A key condition input's fields: `beginsWith` only for strings and ids.
fn key_condition_definition(type_name: &str) -> Definition {
    let scalar = match type_name {
        "ModelIDKeyConditionInput" => "ID",
        "ModelIntKeyConditionInput" => "Int",
        "ModelFloatKeyConditionInput" => "Float",
        _ => "String",
    };
    let mut fields = operator_fields(scalar, &["eq", "le", "lt", "ge", "gt"], &["between"]);
    if matches!(scalar, "String" | "ID") {
        fields.push(input("beginsWith", named(scalar)));
    }
    input_object(type_name, fields)
}

/// Amplify pluralizes model names for list fields: `Todo` gives `listTodos`.
pub fn plural(word: &str) -> String {
    let lower = word.to_ascii_lowercase();
    if lower.ends_with('y')
        && !lower.ends_with("ay")
        && !lower.ends_with("ey")
        && !lower.ends_with("oy")
        && !lower.ends_with("uy")
    {
        format!("{}ies", &word[..word.len() - 1])
    } else if ["s", "x", "z", "ch", "sh"]
        .iter()
        .any(|end| lower.ends_with(end))
    {
        format!("{word}es")
    } else {
        format!("{word}s")
    }
}

/// The fields of a GraphQL input object value.
type ObjectValue = [(Name, Node<Value>)];

/// The value of `@model(arg: ...)`: None when absent, Some(None) when `null`.
fn object_arg<'a>(directive: &'a Directive, arg: &str) -> Option<Option<&'a ObjectValue>> {
    directive
        .arguments
        .iter()
        .find(|a| a.name == arg)
        .map(|a| match a.value.as_ref() {
            Value::Object(fields) => Some(fields.as_slice()),
            _ => None,
        })
}

fn field_string(fields: &ObjectValue, key: &str) -> Option<String> {
    fields
        .iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| match v.as_ref() {
            Value::String(s) => Some(s.to_string()),
            _ => None,
        })
}

/// The models of a validated schema, in the order they are declared.
pub fn models(schema: &Schema) -> Vec<Model> {
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
                indexes.push(Index {
                    name: index_name,
                    key,
                    query_field: string_value(index, "queryField"),
                });
            }
        }
        if primary_key.partition == "id" && !fields.iter().any(|f| f.name == "id") {
            fields.insert(
                0,
                ModelField {
                    name: "id".into(),
                    ty: named("ID").non_null(),
                    is_enum: false,
                    is_scalar: true,
                },
            );
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
            Some(Some(map)) => Some((
                field_string(map, "create").unwrap_or_else(|| format!("create{model_name}")),
                field_string(map, "update").unwrap_or_else(|| format!("update{model_name}")),
                field_string(map, "delete").unwrap_or_else(|| format!("delete{model_name}")),
            )),
            None => Some((
                format!("create{model_name}"),
                format!("update{model_name}"),
                format!("delete{model_name}"),
            )),
        };
        let subscriptions =
            !matches!(object_arg(directive, "subscriptions"), Some(None)) && mutations.is_some();
        out.push(Model {
            name: model_name.to_string(),
            fields,
            primary_key,
            indexes,
            relations: Vec::new(),
            foreign_keys: Vec::new(),
            subscription_foreign_keys: Vec::new(),
            created_at,
            updated_at,
            queries,
            mutations,
            subscriptions,
        });
    }
    link_relations(schema, &mut out);
    out
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// `@hasMany` (without arguments) and the `@belongsTo` that answers it: the
/// foreign key `<parent><Field>Id` on the child, an index on it, and both fields'
/// resolvers, named as Amplify names them.
fn link_relations(schema: &Schema, models: &mut [Model]) {
    // Look models up by name in constant time: schemas run to thousands of models.
    let position: std::collections::HashMap<String, usize> = models
        .iter()
        .enumerate()
        .map(|(i, m)| (m.name.clone(), i))
        .collect();
    let mut links: Vec<(String, String, String)> = Vec::new(); // (parent, field, child)
    for (type_name, ty) in &schema.types {
        let ExtendedType::Object(object) = ty else {
            continue;
        };
        if !object.directives.has("model") {
            continue;
        }
        for f in object.fields.values() {
            if f.directives.has("hasMany") {
                links.push((
                    type_name.to_string(),
                    f.name.to_string(),
                    f.ty.inner_named_type().to_string(),
                ));
            }
        }
    }
    let link_by_pair: std::collections::HashMap<(String, String), String> = links
        .iter()
        .map(|(p, f, c)| ((p.clone(), c.clone()), f.clone()))
        .collect();
    for (parent, field, child) in &links {
        let foreign_key = format!("{}{}Id", lower_first(parent), upper_first(field));
        let index = format!("gsi-{parent}.{field}");
        if let Some(c) = position.get(child).map(|&i| &mut models[i])
            && !c.foreign_keys.contains(&foreign_key)
        {
            c.foreign_keys.push(foreign_key.clone());
            c.indexes.push(Index {
                name: index.clone(),
                key: Key {
                    partition: foreign_key.clone(),
                    sort: Vec::new(),
                },
                query_field: None,
            });
        }
        if let Some(p) = position.get(parent).map(|&i| &mut models[i]) {
            p.relations.push(Relation {
                field: field.clone(),
                kind: RelationKind::HasMany,
                target: child.clone(),
                foreign_key: foreign_key.clone(),
                index: index.clone(),
            });
            p.subscription_foreign_keys.push(foreign_key.clone());
        }
    }
    for (type_name, ty) in &schema.types {
        let ExtendedType::Object(object) = ty else {
            continue;
        };
        for f in object
            .fields
            .values()
            .filter(|f| f.directives.has("belongsTo"))
        {
            let target = f.ty.inner_named_type().to_string();
            let Some((parent, field)) = link_by_pair
                .get(&(target.clone(), type_name.to_string()))
                .map(|field| (&target, field))
            else {
                continue;
            };
            let foreign_key = format!("{}{}Id", lower_first(parent), upper_first(field));
            if let Some(m) = position.get(type_name.as_str()).map(|&i| &mut models[i]) {
                m.relations.push(Relation {
                    field: f.name.to_string(),
                    kind: RelationKind::BelongsTo,
                    target: target.clone(),
                    foreign_key,
                    index: format!("gsi-{parent}.{field}"),
                });
            }
        }
    }
}

fn input(field: &str, ty: Type) -> Node<InputValueDefinition> {
    Node::new(InputValueDefinition {
        description: None,
        name: name(field),
        ty: Node::new(ty),
        default_value: None,
        directives: DirectiveList::default(),
    })
}

fn input_object(type_name: &str, fields: Vec<Node<InputValueDefinition>>) -> Definition {
    Definition::InputObjectTypeDefinition(Node::new(InputObjectTypeDefinition {
        description: None,
        name: name(type_name),
        directives: DirectiveList::default(),
        fields,
    }))
}

fn field(
    field_name: &str,
    arguments: Vec<Node<InputValueDefinition>>,
    ty: Type,
    directives: Vec<Node<Directive>>,
) -> Node<FieldDefinition> {
    Node::new(FieldDefinition {
        description: None,
        name: name(field_name),
        arguments,
        ty,
        directives: DirectiveList(directives),
    })
}

fn object(type_name: &str, fields: Vec<Node<FieldDefinition>>) -> Definition {
    Definition::ObjectTypeDefinition(Node::new(ObjectTypeDefinition {
        description: None,
        name: name(type_name),
        implements_interfaces: Vec::new(),
        directives: DirectiveList::default(),
        fields,
    }))
}

fn enumeration(type_name: &str, values: &[&str]) -> Definition {
    Definition::EnumTypeDefinition(Node::new(EnumTypeDefinition {
        description: None,
        name: name(type_name),
        directives: DirectiveList::default(),
        values: values
            .iter()
            .map(|v| {
                Node::new(EnumValueDefinition {
                    description: None,
                    value: name(v),
                    directives: DirectiveList::default(),
                })
            })
            .collect(),
    }))
}

/// The comparison operators of a filter input of `scalar`, in Amplify's order.
fn operator_fields(
    scalar: &str,
    ops: &[&str],
    list_ops: &[&str],
) -> Vec<Node<InputValueDefinition>> {
    let mut fields: Vec<_> = ops.iter().map(|op| input(op, named(scalar))).collect();
    fields.extend(list_ops.iter().map(|op| input(op, named(scalar).list())));
    fields
}

/// The scalar filter inputs every API has.
fn shared_inputs() -> Vec<Definition> {
    let attribute = |fields: &mut Vec<Node<InputValueDefinition>>| {
        fields.push(input("attributeExists", named("Boolean")));
        fields.push(input("attributeType", named("ModelAttributeTypes")));
    };
    let ordered = ["ne", "eq", "le", "lt", "ge", "gt"];
    let mut out = Vec::new();

    let mut string = operator_fields("String", &ordered, &[]);
    string.extend([
        input("contains", named("String")),
        input("notContains", named("String")),
        input("between", named("String").list()),
        input("beginsWith", named("String")),
    ]);
    attribute(&mut string);
    string.push(input("size", named("ModelSizeInput")));
    out.push(input_object("ModelStringInput", string));

    let mut int = operator_fields("Int", &ordered, &["between"]);
    attribute(&mut int);
    out.push(input_object("ModelIntInput", int));

    let mut float = operator_fields("Float", &ordered, &["between"]);
    attribute(&mut float);
    out.push(input_object("ModelFloatInput", float));

    let mut boolean = operator_fields("Boolean", &["ne", "eq"], &[]);
    attribute(&mut boolean);
    out.push(input_object("ModelBooleanInput", boolean));

    let mut id = operator_fields("ID", &ordered, &[]);
    id.extend([
        input("contains", named("ID")),
        input("notContains", named("ID")),
        input("between", named("ID").list()),
        input("beginsWith", named("ID")),
    ]);
    attribute(&mut id);
    id.push(input("size", named("ModelSizeInput")));
    out.push(input_object("ModelIDInput", id));

    let mut sub_string = operator_fields("String", &ordered, &[]);
    sub_string.extend([
        input("contains", named("String")),
        input("notContains", named("String")),
        input("between", named("String").list()),
        input("beginsWith", named("String")),
        input("in", named("String").list()),
        input("notIn", named("String").list()),
    ]);
    out.push(input_object("ModelSubscriptionStringInput", sub_string));
    out.push(input_object(
        "ModelSubscriptionIntInput",
        operator_fields("Int", &ordered, &["between", "in", "notIn"]),
    ));
    out.push(input_object(
        "ModelSubscriptionFloatInput",
        operator_fields("Float", &ordered, &["between", "in", "notIn"]),
    ));
    out.push(input_object(
        "ModelSubscriptionBooleanInput",
        operator_fields("Boolean", &["ne", "eq"], &[]),
    ));
    let mut sub_id = operator_fields("ID", &ordered, &[]);
    sub_id.extend([
        input("contains", named("ID")),
        input("notContains", named("ID")),
        input("between", named("ID").list()),
        input("beginsWith", named("ID")),
        input("in", named("ID").list()),
        input("notIn", named("ID").list()),
    ]);
    out.push(input_object("ModelSubscriptionIDInput", sub_id));

    out.push(enumeration(
        "ModelAttributeTypes",
        &[
            "binary",
            "binarySet",
            "bool",
            "list",
            "map",
            "number",
            "numberSet",
            "string",
            "stringSet",
            "_null",
        ],
    ));
    out.push(input_object(
        "ModelSizeInput",
        operator_fields("Int", &ordered, &["between"]),
    ));
    out.push(enumeration("ModelSortDirection", &["ASC", "DESC"]));
    out
}

/// The filter input of a scalar type, and its subscription counterpart.
fn filter_types(scalar: &str) -> (&'static str, &'static str) {
    match scalar {
        "ID" => ("ModelIDInput", "ModelSubscriptionIDInput"),
        "Int" | "AWSTimestamp" => ("ModelIntInput", "ModelSubscriptionIntInput"),
        "Float" => ("ModelFloatInput", "ModelSubscriptionFloatInput"),
        "Boolean" => ("ModelBooleanInput", "ModelSubscriptionBooleanInput"),
        _ => ("ModelStringInput", "ModelSubscriptionStringInput"),
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
pub fn client_schema(schema: &Schema, models: &[Model]) -> Document {
    let by_name: std::collections::HashMap<&str, usize> = models
        .iter()
        .enumerate()
        .map(|(i, m)| (m.name.as_str(), i))
        .collect();
    let mut doc = Document::new();
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
                            Some(r) => fields.push(field(
                                &f.name,
                                vec![
                                    input(
                                        "filter",
                                        named(&format!("Model{}FilterInput", r.target)),
                                    ),
                                    input("sortDirection", named("ModelSortDirection")),
                                    input("limit", named("Int")),
                                    input("nextToken", named("String")),
                                ],
                                named(&format!("Model{}Connection", r.target)),
                                Vec::new(),
                            )),
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
                        fields.push(field(fk, Vec::new(), named("ID"), Vec::new()));
                    }
                } else {
                    for f in object_type.fields.values() {
                        fields.push(field(
                            &f.name,
                            f.arguments.clone(),
                            f.ty.clone(),
                            Vec::new(),
                        ));
                    }
                }
                doc.definitions.push(object(type_name, fields));
            }
            ExtendedType::Enum(e) => {
                let values: Vec<&str> = e.values.keys().map(|v| v.as_str()).collect();
                doc.definitions.push(enumeration(type_name, &values));
            }
            _ => {}
        }
    }

    if models.is_empty() {
        return doc;
    }
    doc.definitions.extend(shared_inputs());
    // Generated input types already emitted (enum filters, key conditions), by name.
    let mut emitted: std::collections::HashSet<String> = std::collections::HashSet::new();

    let mut query_fields = Vec::new();
    let mut mutation_fields = Vec::new();
    let mut subscription_fields = Vec::new();
    for model in models {
        let m = &model.name;
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
            let type_name = format!("Model{inner}Input");
            if emitted.insert(type_name.clone()) {
                doc.definitions.push(input_object(
                    &type_name,
                    vec![input("eq", named(inner)), input("ne", named(inner))],
                ));
            }
        }

        doc.definitions.push(object(
            &format!("Model{m}Connection"),
            vec![
                field("items", Vec::new(), named(m).list().non_null(), Vec::new()),
                field("nextToken", Vec::new(), named("String"), Vec::new()),
            ],
        ));

        let mut filter: Vec<_> = filterable
            .iter()
            .map(|f| input(&f.name, named(&filter_of(f, false))))
            .collect();
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
                .map(|fk| input(fk, named("ModelIDInput"))),
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
        let custom_key = model.primary_key.partition != "id" || !model.primary_key.sort.is_empty();
        if let Some((get, list)) = &model.queries {
            query_fields.push(field(
                get,
                key_args(&model.primary_key),
                named(m),
                Vec::new(),
            ));
            let mut list_args = Vec::new();
            if custom_key {
                list_args.push(input(
                    &model.primary_key.partition,
                    nullable(&field_type(&model.primary_key.partition)),
                ));
                for sk in &model.primary_key.sort {
                    list_args.extend(sort_condition(sk, &mut key_conditions));
                }
            }
            list_args.extend([
                input("filter", named(&filter_name)),
                input("limit", named("Int")),
                input("nextToken", named("String")),
            ]);
            if custom_key {
                list_args.push(input("sortDirection", named("ModelSortDirection")));
            }
            query_fields.push(field(
                list,
                list_args,
                named(&format!("Model{m}Connection")),
                Vec::new(),
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
            for sk in &index.key.sort {
                args.extend(sort_condition(sk, &mut key_conditions));
            }
            args.extend([
                input("sortDirection", named("ModelSortDirection")),
                input("filter", named(&filter_name)),
                input("limit", named("Int")),
                input("nextToken", named("String")),
            ]);
            query_fields.push(field(
                query,
                args,
                named(&format!("Model{m}Connection")),
                Vec::new(),
            ));
        }
        for condition in key_conditions {
            if emitted.insert(condition.to_string()) {
                doc.definitions.push(key_condition_definition(condition));
            }
        }
        if let Some((create, update, delete)) = &model.mutations {
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
                    .map(|fk| input(fk, named("ModelIDInput"))),
            );
            doc.definitions
                .push(input_object(&condition_name, condition));

            let data_fields: Vec<&ModelField> = model
                .fields
                .iter()
                .filter(|f| f.is_scalar || f.is_enum)
                .collect();
            let mut create_fields: Vec<_> = data_fields
                .iter()
                .map(|f| {
                    let ty = if f.name == "id" && !custom_key {
                        named("ID")
                    } else {
                        f.ty.clone()
                    };
                    input(&f.name, ty)
                })
                .collect();
            create_fields.extend(model.foreign_keys.iter().map(|fk| input(fk, named("ID"))));
            doc.definitions
                .push(input_object(&format!("Create{m}Input"), create_fields));
            let mut update_fields: Vec<_> = data_fields
                .iter()
                .map(|f| {
                    let ty = if is_key(model, &f.name) {
                        non_null(&f.ty)
                    } else {
                        nullable(&f.ty)
                    };
                    input(&f.name, ty)
                })
                .collect();
            update_fields.extend(model.foreign_keys.iter().map(|fk| input(fk, named("ID"))));
            doc.definitions
                .push(input_object(&format!("Update{m}Input"), update_fields));
            doc.definitions.push(input_object(
                &format!("Delete{m}Input"),
                key_args(&model.primary_key),
            ));

            for (mutation, kind) in [(create, "Create"), (update, "Update"), (delete, "Delete")] {
                mutation_fields.push(field(
                    mutation,
                    vec![
                        input("input", named(&format!("{kind}{m}Input")).non_null()),
                        input("condition", named(&condition_name)),
                    ],
                    named(m),
                    Vec::new(),
                ));
            }

            if model.subscriptions {
                let sub_filter_name = format!("ModelSubscription{m}FilterInput");
                let mut sub_filter: Vec<_> = filterable
                    .iter()
                    .map(|f| input(&f.name, named(&filter_of(f, true))))
                    .collect();
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
                        .map(|fk| input(fk, named("ModelSubscriptionIDInput"))),
                );
                doc.definitions
                    .push(input_object(&sub_filter_name, sub_filter));
                for (on, mutation) in [
                    ("onCreate", create),
                    ("onUpdate", update),
                    ("onDelete", delete),
                ] {
                    subscription_fields.push(field(
                        &format!("{on}{m}"),
                        vec![input("filter", named(&sub_filter_name))],
                        named(m),
                        vec![subscribe(mutation)],
                    ));
                }
            }
        }
    }
    for (root, fields) in [
        ("Query", query_fields),
        ("Mutation", mutation_fields),
        ("Subscription", subscription_fields),
    ] {
        if !fields.is_empty() {
            doc.definitions.push(object(root, fields));
        }
    }
    doc
}

fn is_key(model: &Model, field_name: &str) -> bool {
    model.primary_key.partition == field_name
        || model.primary_key.sort.iter().any(|s| s == field_name)
}

fn non_null(ty: &Type) -> Type {
    match ty {
        Type::Named(n) => Type::NonNullNamed(n.clone()),
        Type::List(inner) => Type::NonNullList(inner.clone()),
        other => other.clone(),
    }
}

fn nullable(ty: &Type) -> Type {
    match ty {
        Type::NonNullNamed(n) => Type::Named(n.clone()),
        Type::NonNullList(inner) => Type::List(inner.clone()),
        other => other.clone(),
    }
}
