//! `@primaryKey` and `@index`: their checks, and the key a model declares.

use super::sdl::string_args;
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
            for (sort_key, at) in &names {
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
