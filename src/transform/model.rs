//! `@model`: the client-facing types, inputs and root fields of each model,
//! named, ordered and typed as Amplify's transformer v2 makes them.

use apollo_compiler::ast::{
    Argument, Definition, Directive, DirectiveList, Document, EnumTypeDefinition,
    EnumValueDefinition, FieldDefinition, InputObjectTypeDefinition, InputValueDefinition,
    ObjectTypeDefinition, Type, UnionTypeDefinition, Value,
};
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::{Name, Node, Schema};

use super::auth::{self, Grant, ModelAuth, Modes, Ops, Role};

/// A field of a model, as the transformer sees it.
#[derive(Debug, Clone)]
pub struct ModelField {
    pub name: String,
    pub ty: Type,
    /// The named type is an enum of the schema.
    pub is_enum: bool,
    /// The named type is a scalar (built-in or AWS).
    pub is_scalar: bool,
    /// `@default(value:)`, as the JSON value a new item gets when the input leaves it out.
    pub default: Option<serde_json::Value>,
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
    /// Foreign key fields generated on this model (the "many" side of `@hasMany`,
    /// the model that declares `@hasOne`).
    pub foreign_keys: Vec<ForeignKey>,
    /// Foreign keys Amplify also lists in this model's subscription filter (as it does
    /// for the model that declares `@hasMany`).
    pub subscription_foreign_keys: Vec<ForeignKey>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub queries: Option<(String, String)>,
    pub mutations: Option<(String, String, String)>,
    pub subscriptions: bool,
    /// `@searchable`: the search query's name (items are indexed in OpenSearch).
    pub searchable: Option<String>,
    /// Who may do what (no grants: nobody).
    pub auth: ModelAuth,
    /// The model has `@auth` rules of its own (else the global rule, if any, applies).
    pub explicit_auth: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationKind {
    HasMany,
    HasOne,
    BelongsTo,
}

/// A generated foreign key field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    pub name: String,
    /// Its scalar: the type of the key field it holds.
    pub scalar: String,
    /// Non-null when the relation field is.
    pub non_null: bool,
}

/// A relation field: `Blog.posts @hasMany` or `Post.blog @belongsTo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub field: String,
    pub kind: RelationKind,
    /// The related model.
    pub target: String,
    /// The fields of this model's item whose values select the related items, in
    /// key order: they match `target_key`'s partition, then its sort key fields.
    pub source_fields: Vec<String>,
    /// The key of the related model's table or index that is read.
    pub target_key: Key,
    /// The related model's index, or `None` for its table.
    pub index: Option<String>,
    /// `@hasMany`: the sort key condition argument (name, input type) when the
    /// key has sort key fields the source does not give.
    pub sort_arg: Option<(String, String)>,
}

impl Model {
    /// The scalar (or enum) type of one of its fields or generated foreign keys.
    pub fn scalar(&self, field: &str) -> Option<String> {
        self.fields
            .iter()
            .find(|f| f.name == field)
            .map(|f| f.ty.inner_named_type().to_string())
            .or_else(|| {
                self.foreign_keys
                    .iter()
                    .find(|k| k.name == field)
                    .map(|k| k.scalar.clone())
            })
    }
}

impl ForeignKey {
    pub fn ty(&self) -> Type {
        if self.non_null {
            named(&self.scalar).non_null()
        } else {
            named(&self.scalar)
        }
    }
}

impl Relation {
    /// Read with GetItem: the table's full key is known.
    pub fn is_get(&self) -> bool {
        self.kind != RelationKind::HasMany
            && self.index.is_none()
            && self.source_fields.len() == 1 + self.target_key.sort.len()
    }
}

/// A key of a table or index: the partition field and the sort key fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub partition: String,
    pub sort: Vec<String>,
}

impl Key {
    /// The partition field, then the sort key fields.
    pub fn fields(&self) -> Vec<String> {
        let mut fields = vec![self.partition.clone()];
        fields.extend(self.sort.iter().cloned());
        fields
    }

    /// The attribute that holds the sort key: its field, or for several fields
    /// their values joined by `#` in an attribute named `a#b`, as Amplify stores them.
    pub fn sort_attribute(&self) -> Option<String> {
        (!self.sort.is_empty()).then(|| self.sort.join("#"))
    }

    /// The sort key is made of several fields.
    pub fn is_composite(&self) -> bool {
        self.sort.len() > 1
    }
}

pub(super) fn upper_first_pub(text: &str) -> String {
    upper_first(text)
}

/// Amplify's `toCamelCase`: the words capitalized and joined, the first letter lowered.
pub fn camel(words: &[&str]) -> String {
    lower_first(&words.iter().map(|w| upper_first(w)).collect::<String>())
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

/// The scalar a searchable field is filtered as: AWS scalars by their JSON type.
fn search_scalar(scalar: &str) -> &'static str {
    match scalar {
        "ID" => "ID",
        "Int" | "AWSTimestamp" => "Int",
        "Float" => "Float",
        "Boolean" => "Boolean",
        _ => "String",
    }
}

/// The types of `@searchable` on model `m`, as Amplify's searchable transformer
/// makes them; the shared ones once (`emitted`).
fn searchable_types(
    m: &str,
    filterable: &[&ModelField],
    timestamps: &[&String],
    sortable: &[String],
    emitted: &mut std::collections::HashSet<String>,
    connection_directives: &[&'static str],
) -> Vec<Definition> {
    let mut out = Vec::new();
    if emitted.insert("Searchable".into()) {
        const ID_OR_STRING: [&str; 14] = [
            "ne",
            "gt",
            "lt",
            "gte",
            "lte",
            "eq",
            "match",
            "matchPhrase",
            "matchPhrasePrefix",
            "multiMatch",
            "exists",
            "wildcard",
            "regexp",
            "range",
        ];
        for scalar in ["String", "Int", "Float", "Boolean", "ID"] {
            let conditions: &[&str] = match scalar {
                "String" | "ID" => &ID_OR_STRING,
                "Boolean" => &["eq", "ne"],
                _ => &["ne", "gt", "lt", "gte", "lte", "eq", "range"],
            };
            out.push(input_object(
                &format!("Searchable{scalar}FilterInput"),
                conditions
                    .iter()
                    .map(|c| match *c {
                        "range" => input(c, named(scalar).list()),
                        "exists" => input(c, named("Boolean")),
                        _ => input(c, named(scalar)),
                    })
                    .collect(),
            ));
        }
        out.push(enumeration("SearchableSortDirection", &["asc", "desc"]));
        out.push(enumeration(
            "SearchableAggregateType",
            &["terms", "avg", "min", "max", "sum", "cardinality"],
        ));
        out.push(object(
            "SearchableAggregateResult",
            vec![
                field("name", Vec::new(), named("String").non_null(), Vec::new()),
                field(
                    "result",
                    Vec::new(),
                    named("SearchableAggregateGenericResult"),
                    Vec::new(),
                ),
            ],
        ));
        out.push(object(
            "SearchableAggregateScalarResult",
            vec![field(
                "value",
                Vec::new(),
                named("Float").non_null(),
                Vec::new(),
            )],
        ));
        out.push(object(
            "SearchableAggregateBucketResult",
            vec![field(
                "buckets",
                Vec::new(),
                named("SearchableAggregateBucketResultItem").list(),
                Vec::new(),
            )],
        ));
        out.push(object(
            "SearchableAggregateBucketResultItem",
            vec![
                field("key", Vec::new(), named("String").non_null(), Vec::new()),
                field("doc_count", Vec::new(), named("Int").non_null(), Vec::new()),
            ],
        ));
        out.push(Definition::UnionTypeDefinition(Node::new(
            UnionTypeDefinition {
                description: None,
                name: name("SearchableAggregateGenericResult"),
                directives: DirectiveList::default(),
                members: vec![
                    name("SearchableAggregateScalarResult"),
                    name("SearchableAggregateBucketResult"),
                ],
            },
        )));
    }
    let filter_name = format!("Searchable{m}FilterInput");
    let mut filter: Vec<_> = filterable
        .iter()
        .filter(|f| f.is_scalar)
        .map(|f| {
            input(
                &f.name,
                named(&format!(
                    "Searchable{}FilterInput",
                    search_scalar(f.ty.inner_named_type().as_str())
                )),
            )
        })
        .collect();
    filter.extend(
        timestamps
            .iter()
            .map(|t| input(t, named("SearchableStringFilterInput"))),
    );
    filter.extend(
        filterable
            .iter()
            .filter(|f| f.is_enum)
            .map(|f| input(&f.name, named("SearchableStringFilterInput"))),
    );
    filter.extend([
        input("and", named(&filter_name).list()),
        input("or", named(&filter_name).list()),
        input("not", named(&filter_name)),
    ]);
    out.push(input_object(&filter_name, filter));
    let sortable: Vec<&str> = sortable.iter().map(String::as_str).collect();
    out.push(enumeration(
        &format!("Searchable{m}SortableFields"),
        &sortable,
    ));
    out.push(input_object(
        &format!("Searchable{m}SortInput"),
        vec![
            input("field", named(&format!("Searchable{m}SortableFields"))),
            input("direction", named("SearchableSortDirection")),
        ],
    ));
    let mut aggregate: Vec<&str> = filterable.iter().map(|f| f.name.as_str()).collect();
    aggregate.extend(timestamps.iter().map(|t| t.as_str()));
    out.push(enumeration(
        &format!("Searchable{m}AggregateField"),
        &aggregate,
    ));
    out.push(input_object(
        &format!("Searchable{m}AggregationInput"),
        vec![
            input("name", named("String").non_null()),
            input("type", named("SearchableAggregateType").non_null()),
            input(
                "field",
                named(&format!("Searchable{m}AggregateField")).non_null(),
            ),
        ],
    ));
    out.push(object_with(
        &format!("Searchable{m}Connection"),
        vec![
            field("items", Vec::new(), named(m).list().non_null(), Vec::new()),
            field("nextToken", Vec::new(), named("String"), Vec::new()),
            field("total", Vec::new(), named("Int"), Vec::new()),
            field(
                "aggregateItems",
                Vec::new(),
                named("SearchableAggregateResult").list().non_null(),
                Vec::new(),
            ),
        ],
        connection_directives,
    ));
    out
}

/// `<base>ConditionInput` and `<base>Input`: a condition on a composite sort
/// key, given as the values of its fields.
fn composite_inputs(base: &str, fields: Vec<Node<InputValueDefinition>>) -> [Definition; 2] {
    let key = format!("{base}Input");
    let mut condition: Vec<_> = ["eq", "le", "lt", "ge", "gt"]
        .iter()
        .map(|op| input(op, named(&key)))
        .collect();
    condition.push(input("between", named(&key).list()));
    condition.push(input("beginsWith", named(&key)));
    [
        input_object(&format!("{base}ConditionInput"), condition),
        input_object(&key, fields),
    ]
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
    } else if lower.ends_with('s')
        && !lower.ends_with("ss")
        && !lower.ends_with("us")
        && !lower.ends_with("is")
    {
        // already plural (`PostTags`), as the pluralize library Amplify uses keeps it
        word.to_string()
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

/// The grants of the `@auth` directive among `directives`, with the fields of `object`.
fn grants_of(
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
    Some(auth::merge(grants))
}

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
                    default: None,
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
            grants: own.unwrap_or_else(|| global.to_vec()),
            fields: Vec::new(),
        };
        for f in object.fields.values() {
            if let Some(g) = grants_of(f.directives.get("auth").map(|d| &**d), object, modes) {
                model_auth.fields.push((f.name.to_string(), g));
            }
        }
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
            searchable,
            explicit_auth: explicit_auth || !model_auth.fields.is_empty(),
            auth: model_auth,
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

/// A relational directive on a model's field, as written.
struct Declared {
    model: usize,
    field: String,
    non_null: bool,
    directive: &'static str,
    target: usize,
    fields: Vec<String>,
    index: Option<String>,
    references: Vec<String>,
}

fn add_foreign_key(model: &mut Model, key: ForeignKey) {
    if !model.fields.iter().any(|f| f.name == key.name)
        && !model.foreign_keys.iter().any(|f| f.name == key.name)
    {
        model.foreign_keys.push(key);
    }
}

fn add_index(model: &mut Model, index: Index) {
    if !model.indexes.iter().any(|i| i.name == index.name) {
        model.indexes.push(index);
    }
}

/// The foreign keys `<owner><Field><KeyField>` that `holder` gets for the key
/// of model `keyed` (named after the relation `d` of `owner`): added if the
/// model has no such field yet, typed as the key fields; returns their names.
fn foreign_keys(
    models: &mut [Model],
    holder: usize,
    keyed: usize,
    owner: &str,
    d: &Declared,
) -> Vec<String> {
    let key = models[keyed].primary_key.fields();
    let mut names = Vec::with_capacity(key.len());
    for key_field in &key {
        let name = camel(&[owner, &d.field, key_field]);
        let scalar = scalar_of(&models[keyed], key_field);
        add_foreign_key(
            &mut models[holder],
            ForeignKey {
                name: name.clone(),
                scalar,
                non_null: d.non_null,
            },
        );
        names.push(name);
    }
    names
}

/// The scalar of a model's field (or generated foreign key); `ID` if unknown.
fn scalar_of(model: &Model, field: &str) -> String {
    model.scalar(field).unwrap_or_else(|| "ID".into())
}

/// `@hasMany`, `@hasOne` and `@belongsTo`, with or without `fields`,
/// `indexName` and `references`: which fields of an item select the related
/// items in which table or index, and the foreign keys and indexes Amplify
/// generates for them, named as it names them.
fn link_relations(schema: &Schema, models: &mut [Model]) {
    // Look models up by name in constant time: schemas run to thousands of models.
    let position: std::collections::HashMap<String, usize> = models
        .iter()
        .enumerate()
        .map(|(i, m)| (m.name.clone(), i))
        .collect();
    let mut declared = Vec::new();
    for (type_name, ty) in &schema.types {
        let ExtendedType::Object(object) = ty else {
            continue;
        };
        let Some(&model) = position.get(type_name.as_str()) else {
            continue;
        };
        for f in object.fields.values() {
            for directive in ["hasMany", "hasOne", "belongsTo"] {
                let Some(d) = f.directives.get(directive) else {
                    continue;
                };
                let Some(&target) = position.get(f.ty.inner_named_type().as_str()) else {
                    continue;
                };
                declared.push(Declared {
                    model,
                    field: f.name.to_string(),
                    non_null: f.ty.is_non_null(),
                    directive,
                    target,
                    fields: string_list(d, "fields"),
                    index: string_value(d, "indexName"),
                    references: string_list(d, "references"),
                });
            }
        }
    }
    let index_key = |models: &[Model], target: usize, index: &str| -> Option<Key> {
        models[target]
            .indexes
            .iter()
            .find(|i| i.name == index)
            .map(|i| i.key.clone())
    };
    // The declaring sides first: they add the foreign keys `@belongsTo` reads.
    for d in declared.iter().filter(|d| d.directive != "belongsTo") {
        let (owner, target) = (models[d.model].name.clone(), models[d.target].name.clone());
        let owner_key = models[d.model].primary_key.clone();
        let generated_index = format!("gsi-{owner}.{}", d.field);
        let (source_fields, target_key, index) = if !d.references.is_empty() {
            let key = Key {
                partition: d.references[0].clone(),
                sort: d.references[1..].to_vec(),
            };
            add_index(
                &mut models[d.target],
                Index {
                    name: generated_index.clone(),
                    key: key.clone(),
                    query_field: None,
                },
            );
            (owner_key.fields(), key, Some(generated_index))
        } else if d.directive == "hasOne" {
            let target_key = models[d.target].primary_key.clone();
            if d.fields.is_empty() {
                // the foreign key `<model><Field><Key>` is on the model that declares it
                let names = foreign_keys(models, d.model, d.target, &owner, d);
                (names, target_key, None)
            } else {
                (d.fields.clone(), target_key, None)
            }
        } else if !d.fields.is_empty() {
            match &d.index {
                Some(name) => match index_key(models, d.target, name) {
                    Some(key) => (d.fields.clone(), key, Some(name.clone())),
                    None => continue, // reported by validation
                },
                None => (d.fields.clone(), models[d.target].primary_key.clone(), None),
            }
        } else {
            // `<parent><Field><Key>` on the related model, filled by its creators
            let names = foreign_keys(models, d.target, d.model, &owner, d);
            match &d.index {
                Some(name) => match index_key(models, d.target, name) {
                    Some(key) => (owner_key.fields(), key, Some(name.clone())),
                    None => continue,
                },
                None => {
                    let key = Key {
                        partition: names[0].clone(),
                        sort: names[1..].to_vec(),
                    };
                    add_index(
                        &mut models[d.target],
                        Index {
                            name: generated_index.clone(),
                            key: key.clone(),
                            query_field: None,
                        },
                    );
                    let first = models[d.target]
                        .foreign_keys
                        .iter()
                        .find(|k| k.name == names[0])
                        .cloned();
                    if let Some(first) = first {
                        models[d.model].subscription_foreign_keys.push(first);
                    }
                    (owner_key.fields(), key, Some(generated_index))
                }
            }
        };
        let kind = if d.directive == "hasMany" {
            RelationKind::HasMany
        } else {
            RelationKind::HasOne
        };
        let sort_arg = (kind == RelationKind::HasMany
            && source_fields.len() < 2
            && !target_key.sort.is_empty())
        .then(|| {
            if target_key.is_composite() {
                let names: Vec<&str> = target_key.sort.iter().map(String::as_str).collect();
                Some((
                    camel(&names),
                    format!(
                        "Model{target}{}CompositeKeyConditionInput",
                        upper_first(index.as_deref().unwrap_or("Primary"))
                    ),
                ))
            } else {
                let scalar = scalar_of(&models[d.target], &target_key.sort[0]);
                key_condition(&scalar).map(|c| (target_key.sort[0].clone(), c.to_string()))
            }
        })
        .flatten();
        models[d.model].relations.push(Relation {
            field: d.field.clone(),
            kind,
            target,
            source_fields,
            target_key,
            index,
            sort_arg,
        });
    }
    for d in declared.iter().filter(|d| d.directive == "belongsTo") {
        let (owner, target) = (models[d.model].name.clone(), models[d.target].name.clone());
        let target_key = models[d.target].primary_key.clone();
        let source_fields = if !d.references.is_empty() {
            d.references.clone()
        } else if !d.fields.is_empty() {
            d.fields.clone()
        } else {
            // the relation it answers names the foreign key
            let answered = declared
                .iter()
                .find(|o| o.model == d.target && o.target == d.model && o.directive != "belongsTo");
            match answered {
                Some(o) if o.directive == "hasMany" => target_key
                    .fields()
                    .iter()
                    .map(|k| camel(&[&target, &o.field, k]))
                    .collect(),
                Some(_) => {
                    // answering a `@hasOne`: this side keeps a foreign key of its own
                    foreign_keys(models, d.model, d.target, &owner, d)
                }
                None => continue, // reported by validation
            }
        };
        models[d.model].relations.push(Relation {
            field: d.field.clone(),
            kind: RelationKind::BelongsTo,
            target,
            source_fields,
            target_key,
            index: None,
            sort_arg: None,
        });
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
    object_with(type_name, fields, &[])
}

fn object_with(
    type_name: &str,
    fields: Vec<Node<FieldDefinition>>,
    directives: &[&str],
) -> Definition {
    Definition::ObjectTypeDefinition(Node::new(ObjectTypeDefinition {
        description: None,
        name: name(type_name),
        implements_interfaces: Vec::new(),
        directives: plain_directives(directives),
        fields,
    }))
}

/// Directives without arguments (`@aws_api_key`).
fn plain_directives(names: &[&str]) -> DirectiveList {
    DirectiveList(
        names
            .iter()
            .map(|n| {
                Node::new(Directive {
                    name: name(n),
                    arguments: Vec::new(),
                })
            })
            .collect(),
    )
}

/// Add names not there yet, keeping the order.
fn add_all<'a>(to: &mut Vec<&'a str>, names: &[&'a str]) {
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
            delete: op(Ops::DELETE),
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
                        let directives =
                            nested.get(type_name.as_str()).cloned().unwrap_or_default();
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

    if !models.is_empty() {
        doc.definitions.extend(shared_inputs());
    }
    // Generated input types already emitted (enum filters, key conditions), by name.
    let mut emitted: std::collections::HashSet<String> = std::collections::HashSet::new();

    for (model, shape) in models.iter().zip(&shapes) {
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
        if let Some((get, list)) = &model.queries {
            query_fields.push(field(
                get,
                key_args(&model.primary_key),
                named(m),
                plain_directives(&shape.get).0,
            ));
            let mut list_args = Vec::new();
            if custom_key {
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
            if custom_key {
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
            query_fields.push(field(
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
            doc.definitions.extend(searchable_types(
                m,
                &filterable,
                &timestamps,
                &sortable,
                &mut emitted,
                &shape.connection,
            ));
            query_fields.push(field(
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
        doc.definitions.append(&mut composites);
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
                    .map(|fk| input(&fk.name, named(filter_types(&fk.scalar).0))),
            );
            condition.extend(
                added_owners
                    .iter()
                    .map(|f| input(f, named("ModelStringInput"))),
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
                    let ty = if (f.name == "id" && !custom_key) || f.default.is_some() {
                        nullable(&f.ty)
                    } else {
                        f.ty.clone()
                    };
                    input(&f.name, ty)
                })
                .collect();
            create_fields.extend(model.foreign_keys.iter().map(|fk| input(&fk.name, fk.ty())));
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
            update_fields.extend(
                model
                    .foreign_keys
                    .iter()
                    .map(|fk| input(&fk.name, named(&fk.scalar))),
            );
            doc.definitions
                .push(input_object(&format!("Update{m}Input"), update_fields));
            doc.definitions.push(input_object(
                &format!("Delete{m}Input"),
                key_args(&model.primary_key),
            ));

            for (mutation, kind, directives) in [
                (create, "Create", &shape.create),
                (update, "Update", &shape.update),
                (delete, "Delete", &shape.delete),
            ] {
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
                for (on, mutation) in [
                    ("onCreate", create),
                    ("onUpdate", update),
                    ("onDelete", delete),
                ] {
                    let mut args = vec![input("filter", named(&sub_filter_name))];
                    args.extend(
                        shape
                            .subscription_args
                            .iter()
                            .map(|f| input(f, named("String"))),
                    );
                    let mut directives = vec![subscribe(mutation)];
                    directives.extend(plain_directives(&shape.listen).0);
                    subscription_fields.push(field(
                        &format!("{on}{m}"),
                        args,
                        named(m),
                        directives,
                    ));
                }
            }
        }
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

/// An argument or input field as clients see it: without Amplify's directives.
fn strip_input(value: &Node<InputValueDefinition>) -> Node<InputValueDefinition> {
    let mut value = value.as_ref().clone();
    value.directives = DirectiveList::default();
    Node::new(value)
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

/// Non-model types reached from the fields of models with `@auth` get the
/// directives of those models' providers (as Amplify propagates them).
fn nested_type_directives(
    schema: &Schema,
    models: &[Model],
    modes: &Modes,
) -> std::collections::HashMap<String, Vec<&'static str>> {
    let mut seen: std::collections::HashMap<String, Vec<&'static str>> =
        std::collections::HashMap::new();
    for model in models.iter().filter(|m| m.explicit_auth) {
        let providers = auth::providers(model.auth.all_roles());
        let mut stack: Vec<String> = model
            .fields
            .iter()
            .map(|f| f.ty.inner_named_type().to_string())
            .collect();
        let mut visited = std::collections::HashSet::new();
        while let Some(type_name) = stack.pop() {
            if !visited.insert(type_name.clone()) {
                continue;
            }
            let Some(ExtendedType::Object(object)) = schema.types.get(type_name.as_str()) else {
                continue;
            };
            if object.directives.has("model") {
                continue;
            }
            let first = !seen.contains_key(&type_name);
            let directives = auth::service_directives(&providers, modes, !first);
            let entry = seen.entry(type_name.clone()).or_default();
            let before = entry.len();
            add_all(entry, &directives);
            if first || entry.len() > before {
                stack.extend(
                    object
                        .fields
                        .values()
                        .map(|f| f.ty.inner_named_type().to_string()),
                );
            }
        }
    }
    seen
}

/// A `@default` value as JSON for a field of type `scalar`, or what is wrong with it.
pub fn default_value(scalar: &str, value: &str) -> Result<serde_json::Value, String> {
    match scalar {
        "Int" | "AWSTimestamp" => value
            .trim()
            .parse::<i64>()
            .map(serde_json::Value::from)
            .map_err(|_| format!("`{value}` is not an {scalar}")),
        "Float" => value
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(serde_json::Value::Number)
            .ok_or_else(|| format!("`{value}` is not a Float")),
        "Boolean" => match value.trim() {
            "true" => Ok(serde_json::Value::Bool(true)),
            "false" => Ok(serde_json::Value::Bool(false)),
            _ => Err(format!("`{value}` is not a Boolean (true or false)")),
        },
        "AWSJSON" => serde_json::from_str::<serde_json::Value>(value)
            .map(|_| serde_json::Value::String(value.to_string()))
            .map_err(|e| format!("`{value}` is not JSON: {e}")),
        _ => Ok(serde_json::Value::String(value.to_string())),
    }
}
