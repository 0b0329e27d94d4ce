//! `@manyToMany`: the join model it stands for, written out before the rest.

use apollo_compiler::ast::{Definition, Document};
use miette::SourceSpan;

use super::keys::declared_key;
use super::sdl::string_args;
use super::{SchemaProblem, span};
use crate::naming::lower_first;
use std::collections::HashMap;

/// `@manyToMany(relationName:)` on two models' fields: the join model Amplify
/// makes (`id`, each side's key fields with an index, and a `@hasOne` to
/// each side, under both sides' `@auth` rules), and each field rewritten as a
/// `@hasMany` of join items. Returns the rewritten document and the join models.
pub(super) fn many_to_many(
    document: &Document,
    objects: &HashMap<String, apollo_compiler::Node<apollo_compiler::ast::ObjectTypeDefinition>>,
    problems: &mut Vec<SchemaProblem>,
) -> (Document, Option<Document>) {
    use apollo_compiler::ast::{Argument, Directive, Type, Value};
    use apollo_compiler::{Name, Node};
    // (relation, model, field, directive location)
    type Sides = Vec<(String, String, Option<SourceSpan>)>;
    let mut relations: Vec<(String, Sides)> = Vec::new();
    for definition in &document.definitions {
        let Definition::ObjectTypeDefinition(object) = definition else {
            continue;
        };
        for field in &object.fields {
            for d in field.directives.iter().filter(|d| d.name == "manyToMany") {
                let Some((relation, _)) = string_args(d, "relationName").into_iter().next() else {
                    continue;
                };
                let name = crate::naming::upper_first(&relation);
                let side = (
                    object.name.to_string(),
                    field.name.to_string(),
                    span(d.location()),
                );
                match relations.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, sides)) => sides.push(side),
                    None => relations.push((name, vec![side])),
                }
            }
        }
    }
    if relations.is_empty() {
        return (document.clone(), None);
    }
    let mut rewritten = document.clone();
    let mut joins = String::new();
    let mut edits: HashMap<(String, String), (String, String, Vec<String>)> = HashMap::new();
    for (relation, sides) in &relations {
        if sides.len() != 2 {
            for (model, field, at) in sides {
                problems.push(SchemaProblem {
                    message: format!("`@manyToMany(relationName: \"{relation}\")` on `{model}.{field}` is used {} time{}; a relation joins two fields", sides.len(), if sides.len() == 1 { "" } else { "s" }),
                    span: *at,
                    label: "@manyToMany".into(),
                    help: Some("put the same relationName on exactly one field of each of the two models".into()), src: None,
                });
            }
            continue;
        }
        if objects.contains_key(relation) {
            problems.push(SchemaProblem {
                message: format!("`@manyToMany` names its join model `{relation}`, but a type of that name exists"),
                span: sides[0].2,
                label: "@manyToMany".into(),
                help: Some("choose another relationName: the join model is generated".into()), src: None,
            });
            continue;
        }
        let mut ok = true;
        for (i, (model, field, at)) in sides.iter().enumerate() {
            let other = &sides[1 - i].0;
            let declared = objects
                .get(model)
                .and_then(|o| o.fields.iter().find(|f| f.name == field.as_str()));
            let Some(declared) = declared else {
                ok = false;
                continue;
            };
            if declared.ty.inner_named_type() != other.as_str() || !declared.ty.is_list() {
                problems.push(SchemaProblem {
                    message: format!("`@manyToMany` on `{model}.{field}` joins `{other}`, so the field must be `[{other}]`"),
                    span: *at,
                    label: "@manyToMany".into(),
                    help: Some(format!("declare it as `{field}: [{other}]`")), src: None,
                });
                ok = false;
            }
            if !objects
                .get(model)
                .is_some_and(|o| o.directives.iter().any(|d| d.name == "model"))
            {
                ok = false;
            }
        }
        if !ok {
            continue;
        }
        let mut join_fields = vec!["  id: ID!".to_string()];
        let mut has_ones = Vec::new();
        let mut rules = Vec::new();
        for (model, field, _) in sides {
            let object = &objects[model];
            let key = declared_key(object, None).unwrap_or_else(|| vec!["id".into()]);
            let scalar = |name: &str| {
                object
                    .fields
                    .iter()
                    .find(|f| f.name == name)
                    .map(|f| f.ty.inner_named_type().to_string())
                    .unwrap_or_else(|| "ID".into())
            };
            let lower = lower_first(model);
            let id_field = format!("{lower}{}", crate::naming::upper_first(&key[0]));
            let sort_fields: Vec<String> = key[1..].iter().map(|k| format!("{lower}{k}")).collect();
            let quoted = |names: &[String]| {
                names
                    .iter()
                    .map(|n| format!("{n:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            join_fields.push(format!(
                "  {id_field}: {}! @index(name: \"by{model}\", sortKeyFields: [{}])",
                scalar(&key[0]),
                quoted(&sort_fields)
            ));
            for (sort, k) in sort_fields.iter().zip(&key[1..]) {
                join_fields.push(format!("  {sort}: {}!", scalar(k)));
            }
            let mut has_one_fields = vec![id_field.clone()];
            has_one_fields.extend(sort_fields.iter().cloned());
            has_ones.push(format!(
                "  {lower}: {model}! @hasOne(fields: [{}])",
                quoted(&has_one_fields)
            ));
            if let Some(auth) = object.directives.iter().find(|d| d.name == "auth")
                && let Some(rule_list) = auth.arguments.iter().find(|a| a.name == "rules")
            {
                match rule_list.value.as_ref() {
                    Value::List(items) => rules.extend(items.iter().map(|v| v.to_string())),
                    other => rules.push(other.to_string()),
                }
            }
            // the field becomes a connection to the join model
            let mut fields_arg = vec![key[0].clone()];
            fields_arg.extend(key[1..].iter().cloned());
            edits.insert(
                (model.to_string(), field.to_string()),
                (relation.to_string(), format!("by{model}"), fields_arg),
            );
        }
        join_fields.extend(has_ones);
        let auth = if rules.is_empty() {
            String::new()
        } else {
            format!(" @auth(rules: [{}])", rules.join(", "))
        };
        joins.push_str(&format!(
            "type {relation} @model{auth} {{\n{}\n}}\n",
            join_fields.join("\n")
        ));
    }
    let string = |v: &str| Node::new(Value::String(v.to_string()));
    for definition in &mut rewritten.definitions {
        let Definition::ObjectTypeDefinition(object) = definition else {
            continue;
        };
        if !edits.keys().any(|(m, _)| m == object.name.as_str()) {
            continue;
        }
        let object = object.make_mut();
        for field in &mut object.fields {
            let Some((join, index, key)) =
                edits.get(&(object.name.to_string(), field.name.to_string()))
            else {
                continue;
            };
            let field = field.make_mut();
            let Ok(join_name) = Name::new(join) else {
                continue;
            };
            field.ty = match &field.ty {
                Type::NonNullList(_) => Type::Named(join_name).list().non_null(),
                _ => Type::Named(join_name).list(),
            };
            let Ok(has_many) = Name::new("hasMany") else {
                continue;
            };
            field.directives.push(Node::new(Directive {
                name: has_many,
                arguments: vec![
                    Node::new(Argument {
                        name: Name::new("indexName").expect("a name"),
                        value: string(index),
                    }),
                    Node::new(Argument {
                        name: Name::new("fields").expect("a name"),
                        value: Node::new(Value::List(key.iter().map(|k| string(k)).collect())),
                    }),
                ],
            }));
        }
    }
    let joins = (!joins.is_empty())
        .then(|| Document::parse(joins, "<join models>").unwrap_or_else(|e| e.partial));
    (rewritten, joins)
}
