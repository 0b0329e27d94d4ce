//! The transform's typed IR: models, their fields, keys, indexes and relations,
//! read by the resolvers, codegen and the model introspection.

use apollo_compiler::ast::Type;

use super::auth::ModelAuth;
use super::sdl::named;

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
    /// The schema declares the key (`@primaryKey`, even on `id` alone): the
    /// list query then takes it (and `sortDirection`), as Amplify's does.
    pub primary_key_declared: bool,
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
    /// `@model(mutations:)`: none at all (`null`), else each one's name, or
    /// none where it is `null`.
    pub mutations: Option<Mutations>,
    /// Whether the model has subscriptions (some mutation it has, subscriptions on).
    pub subscriptions: bool,
    /// Each subscription: its field, the mutation it follows (`@model(subscriptions:
    /// { onCreate: [...] })` may name several per mutation, Amplify's default one each).
    pub subscription_fields: Vec<(String, String)>,
    /// `@searchable`: the search query's name (items are indexed in OpenSearch).
    pub searchable: Option<String>,
    /// Who may do what (no grants: nobody).
    pub auth: ModelAuth,
    /// The model has `@auth` rules of its own (else the global rule, if any, applies).
    pub explicit_auth: bool,
}

/// The mutations of a model, by name (`None`: turned off with `null` in
/// `@model(mutations: { delete: null })`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutations {
    pub create: Option<String>,
    pub update: Option<String>,
    pub delete: Option<String>,
}

impl Mutations {
    /// Those there are, as (`Create`/`Update`/`Delete`, name).
    pub fn present(&self) -> Vec<(&'static str, &str)> {
        [
            ("Create", &self.create),
            ("Update", &self.update),
            ("Delete", &self.delete),
        ]
        .into_iter()
        .filter_map(|(kind, name)| name.as_deref().map(|n| (kind, n)))
        .collect()
    }
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
    /// The root fields the model adds, as (root type, name): its get and list
    /// queries, its search query, its index queries when `index_queries`, its
    /// mutations and its subscriptions, in that order.
    pub fn root_fields(&self, index_queries: bool) -> Vec<(&'static str, &str)> {
        let mut fields = Vec::new();
        if let Some((get, list)) = &self.queries {
            fields.push(("Query", get.as_str()));
            fields.push(("Query", list.as_str()));
        }
        if let Some(search) = &self.searchable {
            fields.push(("Query", search.as_str()));
        }
        if index_queries {
            for index in &self.indexes {
                if let Some(query) = &index.query_field {
                    fields.push(("Query", query.as_str()));
                }
            }
        }
        for (_, mutation) in self.mutations.iter().flat_map(|m| m.present()) {
            fields.push(("Mutation", mutation));
        }
        for (subscription, _) in &self.subscription_fields {
            fields.push(("Subscription", subscription.as_str()));
        }
        fields
    }

    /// Whether a create without `id` gets one made (`util.autoId()`): the
    /// model has a field `id` of type `ID` or `String`, whatever its key, as
    /// Amplify's model transformer decides it (its create input's `id` is
    /// then optional).
    pub fn auto_id(&self) -> bool {
        self.fields.iter().any(|f| {
            f.name == "id"
                && !f.ty.is_list()
                && matches!(f.ty.inner_named_type().as_str(), "ID" | "String")
        })
    }

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub name: String,
    pub key: Key,
    /// The query field that reads the index, if the schema asks for one.
    pub query_field: Option<String>,
}
