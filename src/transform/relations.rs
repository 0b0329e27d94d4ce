//! `@hasOne`, `@hasMany`, `@belongsTo`: their checks, the foreign keys and
//! indexes they add, and the links between models.

use apollo_compiler::Schema;
use apollo_compiler::schema::ExtendedType;
use miette::SourceSpan;

use super::inputs::key_condition;
use super::ir::{ForeignKey, Index, Key, Model, Relation, RelationKind};
use super::keys::declared_key;
use super::sdl::{string_args, string_list, string_value};
use super::{SchemaProblem, span};
use crate::naming::{camel, lower_first, upper_first};
use std::collections::HashMap;

/// `@hasMany` and `@belongsTo`: between models, without arguments for now, and a
/// `@belongsTo` answers a `@hasMany`.
pub(super) fn relation_problems(
    type_name: &str,
    fields: &[apollo_compiler::Node<apollo_compiler::ast::FieldDefinition>],
    objects: &HashMap<String, apollo_compiler::Node<apollo_compiler::ast::ObjectTypeDefinition>>,
    problems: &mut Vec<SchemaProblem>,
) {
    let object = |name: &str| objects.get(name).cloned();
    for field in fields {
        for directive in field
            .directives
            .iter()
            .filter(|d| d.name == "hasMany" || d.name == "hasOne" || d.name == "belongsTo")
        {
            let target = field.ty.inner_named_type().to_string();
            let Some(target_type) = object(&target) else {
                // unknown types are reported by validation
                continue;
            };
            if !target_type.directives.iter().any(|d| d.name == "model") {
                problems.push(SchemaProblem {
                    message: format!(
                        "`@{}` on `{type_name}.{}` points at `{target}`, which is not a model",
                        directive.name, field.name
                    ),
                    span: span(directive.location()),
                    label: format!("@{}", directive.name),
                    help: Some(format!(
                        "relations join models: add `@model` to `{target}`, or remove the directive"
                    )),
                    src: None,
                });
                continue;
            }
            argument_problems(type_name, fields, field, directive, &target_type, problems);
            if directive.name == "hasMany" && !field.ty.is_list() {
                problems.push(SchemaProblem {
                    message: format!(
                        "`@hasMany` on `{type_name}.{}` needs a list type",
                        field.name
                    ),
                    span: span(field.location()),
                    label: "not a list".into(),
                    help: Some(format!("declare it as `{}: [{target}]`", field.name)),
                    src: None,
                });
            }
            if directive.name == "hasOne" && field.ty.is_list() {
                problems.push(SchemaProblem {
                    message: format!("`@hasOne` on `{type_name}.{}` cannot be a list", field.name),
                    span: span(field.location()),
                    label: "a list".into(),
                    help: Some(format!(
                        "declare it as `{}: {target}`, or use `@hasMany`",
                        field.name
                    )),
                    src: None,
                });
            }
            if directive.name == "belongsTo" {
                let answered = target_type.fields.iter().find(|f| {
                    f.directives.iter().any(|d| {
                        d.name == "hasMany" || d.name == "hasOne" || d.name == "manyToMany"
                    }) && f.ty.inner_named_type() == type_name
                });
                let has_args = directive
                    .arguments
                    .iter()
                    .any(|a| a.name == "fields" || a.name == "references");
                if let Some(answered) = answered
                    && !has_args
                    && answered.directives.iter().any(|d| {
                        d.name == "hasMany" && d.arguments.iter().any(|a| a.name == "fields")
                    })
                {
                    problems.push(SchemaProblem {
                        message: format!("`@belongsTo` on `{type_name}.{}` answers `{target}.{}`, which names its key fields, so it must name them too", field.name, answered.name),
                        span: span(directive.location()),
                        label: "@belongsTo".into(),
                        help: Some(format!("give the field of `{type_name}` that holds the `{target}`'s key: `@belongsTo(fields: [\"...\"])`")), src: None,
                    });
                }
                if answered.is_none() && !has_args {
                    problems.push(SchemaProblem {
                        message: format!("`@belongsTo` on `{type_name}.{}` has no `@hasMany` on `{target}` to answer", field.name),
                        span: span(directive.location()),
                        label: "@belongsTo".into(),
                        help: Some(format!("add `{}s: [{type_name}] @hasMany` or `{}: {type_name} @hasOne` to `{target}`", lower_first(type_name), lower_first(type_name))), src: None,
                    });
                }
            }
        }
    }
}

/// The arguments of a relational directive: `fields` and `references` name
/// scalar fields that exist, `indexName` an index of the related model, and no
/// more key fields than the key has.
pub(super) fn argument_problems(
    type_name: &str,
    fields: &[apollo_compiler::Node<apollo_compiler::ast::FieldDefinition>],
    field: &apollo_compiler::ast::FieldDefinition,
    directive: &apollo_compiler::Node<apollo_compiler::ast::Directive>,
    target: &apollo_compiler::ast::ObjectTypeDefinition,
    problems: &mut Vec<SchemaProblem>,
) {
    let d = directive.name.as_str();
    let names = string_args(directive, "fields");
    let references = string_args(directive, "references");
    let index = string_args(directive, "indexName").into_iter().next();
    if !names.is_empty() && !references.is_empty() {
        problems.push(SchemaProblem {
            message: format!("`@{d}` on `{type_name}.{}` has both `fields` and `references`", field.name),
            span: span(directive.location()),
            label: format!("@{d}"),
            help: Some("use `references` (the fields of the related side, as Amplify Gen 2 writes it) or `fields`, not both".into()), src: None,
        });
        return;
    }
    let mut check_fields = |list: &[(String, Option<SourceSpan>)],
                            on: &str,
                            on_fields: &[apollo_compiler::Node<
        apollo_compiler::ast::FieldDefinition,
    >]| {
        for (name, at) in list {
            match on_fields.iter().find(|f| f.name == name.as_str()) {
                None => problems.push(SchemaProblem {
                    message: format!("`@{d}` on `{type_name}.{}` names `{name}`, which is not a field of `{on}`", field.name),
                    span: *at,
                    label: "no such field".into(),
                    help: Some(format!("name a scalar field of `{on}`, or declare `{name}` on it")), src: None,
                }),
                Some(f) if f.ty.is_list() || f.directives.iter().any(|d| matches!(d.name.as_str(), "hasMany" | "hasOne" | "belongsTo" | "manyToMany")) => problems.push(SchemaProblem {
                    message: format!("`@{d}` on `{type_name}.{}` names `{name}`, which is not a scalar field", field.name),
                    span: *at,
                    label: "not a scalar".into(),
                    help: Some("key fields hold one scalar or enum value".into()), src: None,
                }),
                Some(_) => {}
            }
        }
    };
    check_fields(&names, type_name, fields);
    if d == "belongsTo" {
        check_fields(&references, type_name, fields);
    } else {
        check_fields(&references, &target.name, &target.fields);
    }
    if let Some((index_name, at)) = &index {
        if !references.is_empty() {
            problems.push(SchemaProblem {
                message: format!(
                    "`@{d}` on `{type_name}.{}` has `indexName` with `references`",
                    field.name
                ),
                span: *at,
                label: "indexName".into(),
                help: Some("with `references`, the index is generated: remove `indexName`".into()),
                src: None,
            });
        } else if declared_key(target, Some(index_name)).is_none() {
            problems.push(SchemaProblem {
                message: format!("`@{d}` on `{type_name}.{}` names the index `{index_name}`, which `{}` does not have", field.name, target.name),
                span: *at,
                label: "no such index".into(),
                help: Some(format!("add `@index(name: \"{index_name}\")` to the field of `{}` that holds the `{type_name}`'s key", target.name)), src: None,
            });
            return;
        }
    }
    // the key the values are matched against
    let key = match (d, &index) {
        ("hasMany", Some((name, _))) => declared_key(target, Some(name)),
        ("belongsTo", _) | ("hasOne", _) if references.is_empty() => declared_key(target, None),
        ("hasMany", None) if references.is_empty() => declared_key(target, None),
        _ => None,
    };
    if let Some(key) = &key
        && names.len() > key.len()
    {
        problems.push(SchemaProblem {
            message: format!("`@{d}` on `{type_name}.{}` names {} fields, but the key of `{}` it reads has {}: {}", field.name, names.len(), target.name, key.len(), key.join(", ")),
            span: span(directive.location()),
            label: format!("@{d}"),
            help: Some(format!("name at most {} fields, in the key's order", key.len())), src: None,
        });
    }
    // one item is read by its whole key: a part of it would find any of several
    if let Some(key) = &key
        && matches!(d, "belongsTo" | "hasOne")
        && !names.is_empty()
        && names.len() < key.len()
    {
        problems.push(SchemaProblem {
            message: format!("`@{d}` on `{type_name}.{}` names {} of the {} fields of `{}`'s key ({}): one item is read by its whole key", field.name, names.len(), key.len(), target.name, key.join(", ")),
            span: span(directive.location()),
            label: format!("@{d}"),
            help: Some(format!("name a field of `{type_name}` for each of `{}`'s key fields, in its order ({} fields)", target.name, key.len())), src: None,
        });
    }
    if !references.is_empty() {
        let primary = if d == "belongsTo" {
            declared_key(target, None)
        } else {
            let object_key = fields.iter().find_map(|f| {
                f.directives
                    .iter()
                    .find(|x| x.name == "primaryKey")
                    .map(|pk| {
                        let mut key = vec![f.name.to_string()];
                        key.extend(string_args(pk, "sortKeyFields").into_iter().map(|(n, _)| n));
                        key
                    })
            });
            Some(object_key.unwrap_or_else(|| vec!["id".into()]))
        };
        if let Some(primary) = primary
            && primary.len() != references.len()
        {
            let owner = if d == "belongsTo" {
                target.name.as_str()
            } else {
                type_name
            };
            problems.push(SchemaProblem {
                message: format!("`@{d}` on `{type_name}.{}` has {} reference{}, but the primary key of `{owner}` has {} field{}: {}", field.name, references.len(), if references.len() == 1 { "" } else { "s" }, primary.len(), if primary.len() == 1 { "" } else { "s" }, primary.join(", ")),
                span: span(directive.location()),
                label: "references".into(),
                help: Some(format!("name one reference field per key field of `{owner}`, in order")), src: None,
            });
        }
    }
}

/// A relational directive on a model's field, as written.
pub(super) struct Declared {
    model: usize,
    field: String,
    non_null: bool,
    directive: &'static str,
    target: usize,
    fields: Vec<String>,
    index: Option<String>,
    references: Vec<String>,
}

pub(super) fn add_foreign_key(model: &mut Model, key: ForeignKey) {
    if !model.fields.iter().any(|f| f.name == key.name)
        && !model.foreign_keys.iter().any(|f| f.name == key.name)
    {
        model.foreign_keys.push(key);
    }
}

pub(super) fn add_index(model: &mut Model, index: Index) {
    if !model.indexes.iter().any(|i| i.name == index.name) {
        model.indexes.push(index);
    }
}

/// The foreign keys `<owner><Field><KeyField>` that `holder` gets for the key
/// of model `keyed` (named after the relation `d` of `owner`): added if the
/// model has no such field yet, typed as the key fields; returns their names.
pub(super) fn foreign_keys(
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
pub(super) fn scalar_of(model: &Model, field: &str) -> String {
    model.scalar(field).unwrap_or_else(|| "ID".into())
}

/// `@hasMany`, `@hasOne` and `@belongsTo`, with or without `fields`,
/// `indexName` and `references`: which fields of an item select the related
/// items in which table or index, and the foreign keys and indexes Amplify
/// generates for them, named as it names them.
pub(super) fn link_relations(schema: &Schema, models: &mut [Model]) {
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
    // Amplify's hasOne transformer runs after its hasMany transformer: the
    // foreign keys an implicit `@hasOne` adds join the declaring model's
    // subscription filter after those of its `@hasMany` fields
    let mut has_one_subscription_keys: Vec<(usize, Vec<String>)> = Vec::new();
    // The declaring sides first: they add the foreign keys `@belongsTo` reads.
    // Amplify's hasMany transformer runs before its hasOne transformer: the
    // foreign keys `@hasMany` fields add come first on the related model
    let declaring = declared
        .iter()
        .filter(|d| d.directive == "hasMany")
        .chain(declared.iter().filter(|d| d.directive == "hasOne"));
    for d in declaring {
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
                has_one_subscription_keys.push((d.model, names.clone()));
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
            // the declaring model's subscriptions filter on every part of
            // the related model's foreign key (Amplify's
            // `updateFilterConnectionInputWithConnectionFields`)
            let parts: Vec<_> = models[d.target]
                .foreign_keys
                .iter()
                .filter(|k| names.contains(&k.name))
                .cloned()
                .collect();
            for part in parts {
                if !models[d.model]
                    .subscription_foreign_keys
                    .iter()
                    .any(|k| k.name == part.name)
                {
                    models[d.model].subscription_foreign_keys.push(part);
                }
            }
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
    for (model, names) in has_one_subscription_keys {
        add_subscription_keys(&mut models[model], &names);
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
                    // answering a `@hasOne`: this side keeps a foreign key of
                    // its own, which its subscriptions filter on too
                    let names = foreign_keys(models, d.model, d.target, &owner, d);
                    add_subscription_keys(&mut models[d.model], &names);
                    names
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

/// Adds the model's own foreign keys `names` to the keys its subscriptions
/// filter on, once each, in that order.
fn add_subscription_keys(model: &mut Model, names: &[String]) {
    for name in names {
        let key = model.foreign_keys.iter().find(|k| &k.name == name).cloned();
        if let Some(key) = key
            && !model
                .subscription_foreign_keys
                .iter()
                .any(|k| k.name == key.name)
        {
            model.subscription_foreign_keys.push(key);
        }
    }
}
