//! `@primaryKey` and `@index`: their checks, and the key a model declares.

use super::sdl::string_args;
use miette::SourceSpan;

use super::{SchemaProblem, span};

/// `@primaryKey` and `@index`: their sort keys must be fields of the type; one
/// primary key per type; one sort key per key for now.
pub(super) fn key_problems(
    type_name: &str,
    fields: &[apollo_compiler::Node<apollo_compiler::ast::FieldDefinition>],
    problems: &mut Vec<SchemaProblem>,
) {
    let mut primary_keys = 0;
    for field in fields {
        for directive in field
            .directives
            .iter()
            .filter(|d| d.name == "primaryKey" || d.name == "index")
        {
            if directive.name == "primaryKey" {
                primary_keys += 1;
                if primary_keys > 1 {
                    problems.push(SchemaProblem {
                        message: format!("`{type_name}` has more than one `@primaryKey`"),
                        span: span(directive.location()),
                        label: "a second primary key".into(),
                        help: Some(
                            "a model has one primary key; use `@index` for other ways to query it"
                                .into(),
                        ),
                        src: None,
                    });
                }
            }
            let names = string_args(directive, "sortKeyFields");
            let primary = directive.name == "primaryKey";
            key_field_problems(type_name, field, primary, span(field.location()), problems);
            for (sort_key, at) in &names {
                if let Some(f) = fields.iter().find(|f| f.name == sort_key.as_str()) {
                    key_field_problems(type_name, f, primary, *at, problems);
                }
                if !fields.iter().any(|f| f.name == sort_key.as_str()) {
                    problems.push(SchemaProblem {
                        message: format!("`@{}` names the sort key `{sort_key}`, which is not a field of `{type_name}`", directive.name),
                        span: *at,
                        label: "no such field".into(),
                        help: Some(format!("name one of the fields of `{type_name}`")), src: None,
                    });
                }
            }
        }
    }
}

/// A field of a key: DynamoDB's key attributes are single strings, numbers
/// or binary ("Primary key", DynamoDB Developer Guide), so never a list; a
/// primary key's fields are always present (Amplify's transformer refuses a
/// nullable one), while an index's may be absent (a sparse index).
fn key_field_problems(
    type_name: &str,
    field: &apollo_compiler::ast::FieldDefinition,
    primary: bool,
    at: Option<SourceSpan>,
    problems: &mut Vec<SchemaProblem>,
) {
    let name = &field.name;
    let key = if primary { "a primary key" } else { "an index" };
    if field.ty.is_list() {
        problems.push(SchemaProblem {
            message: format!(
                "`{type_name}.{name}` is a list, and a list cannot be part of {key}: DynamoDB keys are single strings, numbers or binary values"
            ),
            span: at,
            label: "a list".into(),
            help: Some(
                "key on a field that holds one value (an `ID`, `String`, `Int`, `AWSDateTime`, ...), and keep the list in another field".into(),
            ),
            src: None,
        });
    } else if primary && !field.ty.is_non_null() {
        problems.push(SchemaProblem {
            message: format!(
                "`{type_name}.{name}` is part of the primary key and may be null: every item needs its key"
            ),
            span: at,
            label: "nullable".into(),
            help: Some(format!("make it non-null: `{name}: {}!`", field.ty)),
            src: None,
        });
    }
}

/// The key fields of a model type, as declared: `@primaryKey`'s field (else `id`), then its sort key fields.
pub(super) fn declared_key(
    object: &apollo_compiler::ast::ObjectTypeDefinition,
    index: Option<&str>,
) -> Option<Vec<String>> {
    for f in &object.fields {
        for d in f.directives.iter() {
            let matched = match index {
                None => d.name == "primaryKey",
                Some(name) => {
                    d.name == "index"
                        && string_args(d, "name").first().map(|(n, _)| n.as_str()) == Some(name)
                }
            };
            if matched {
                let mut key = vec![f.name.to_string()];
                key.extend(string_args(d, "sortKeyFields").into_iter().map(|(n, _)| n));
                return Some(key);
            }
        }
    }
    index.is_none().then(|| vec!["id".to_string()])
}

/// An index's query whose name another query field has: a model's `get`,
/// `list` or search query, another index's query, or a field the schema's
/// `type Query` declares. AppSync takes one field of a name, and Amplify's
/// transformer refuses such a schema; an index without `queryField` is
/// named `<plural>By<Pk>...`, which may meet a name the user chose.
pub(super) fn query_name_problems(
    schema: &apollo_compiler::Schema,
    models: &[super::ir::Model],
) -> Vec<SchemaProblem> {
    let mut taken: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    if let Some(query) = schema.get_object("Query") {
        for name in query.fields.keys() {
            taken.insert(
                name.to_string(),
                "a field the schema declares on `Query`".into(),
            );
        }
    }
    for m in models {
        if let Some((get, list)) = &m.queries {
            taken
                .entry(get.clone())
                .or_insert(format!("`{}`'s get query", m.name));
            taken
                .entry(list.clone())
                .or_insert(format!("`{}`'s list query", m.name));
        }
        if let Some(search) = &m.searchable {
            taken
                .entry(search.clone())
                .or_insert(format!("`{}`'s search query", m.name));
        }
    }
    let mut problems = Vec::new();
    for m in models {
        let Some(object) = schema.get_object(&m.name) else {
            continue;
        };
        // the model's first indexes are its `@index` directives, in field order
        let places: Vec<_> = object
            .fields
            .values()
            .flat_map(|f| f.directives.get_all("index"))
            .map(|d| d.location())
            .collect();
        for (index, at) in m.indexes.iter().zip(places) {
            let Some(query) = &index.query_field else {
                continue;
            };
            match taken.get(query) {
                Some(other) => problems.push(SchemaProblem {
                    message: format!(
                        "the index `{}` of `{}` would add the query `{query}`, which is already {other}",
                        index.name, m.name
                    ),
                    span: span(at),
                    label: format!("query `{query}`"),
                    help: Some(
                        "give it another name with `queryField: \"...\"`, or no query with `queryField: null`"
                            .into(),
                    ),
                    src: None,
                }),
                None => {
                    taken.insert(
                        query.clone(),
                        format!("the query of `{}`'s index `{}`", m.name, index.name),
                    );
                }
            }
        }
    }
    problems
}
