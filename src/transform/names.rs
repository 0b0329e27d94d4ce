//! The root fields models add (`get`/`list`/search queries, mutations,
//! subscriptions, as `@model(queries:, mutations:, subscriptions:)` and
//! `@searchable(queries:)` name them): each must be a GraphQL name (GraphQL
//! specification, "Names": `/[_A-Za-z][_0-9A-Za-z]*/`) and one of its root
//! type's fields alone. AppSync takes one field of a name per type, and a
//! schema that declares one twice does not validate. Refused at the model's
//! `@model` directive. Clashes of index queries are checked at their `@index`
//! (`keys::query_name_problems`).

use std::collections::HashMap;

use super::ir::Model;
use super::{SchemaProblem, span};

/// Whether `name` is a GraphQL name.
fn is_name(name: &str) -> bool {
    // `__` starts the names GraphQL reserves for introspection
    if name.starts_with("__") {
        return false;
    }
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A problem for each root field name a model would add that is not a GraphQL
/// name, or that its root type already has (a field the schema declares, or
/// one an earlier model adds). `join_models` are those `@manyToMany` writes:
/// their names come from its `relationName`, and they have no place in the
/// user's files.
pub(super) fn root_field_problems(
    schema: &apollo_compiler::Schema,
    models: &[Model],
    join_models: &[String],
) -> Vec<SchemaProblem> {
    let mut taken: HashMap<(&str, String), String> = HashMap::new();
    for root in ["Query", "Mutation", "Subscription"] {
        if let Some(object) = schema.get_object(root) {
            for name in object.fields.keys() {
                taken.insert(
                    (root, name.to_string()),
                    format!("a field the schema declares on `{root}`"),
                );
            }
        }
    }
    let mut problems = Vec::new();
    for model in models {
        let Some(object) = schema.get_object(&model.name) else {
            continue;
        };
        let joined = join_models.contains(&model.name);
        let at = object
            .directives
            .get("model")
            .and_then(|d| d.location())
            .or(object.location())
            .filter(|_| !joined);
        let own = format!("a root field of the model `{}`", model.name);
        for (root, name) in model.root_fields(false) {
            let problem = |message: String, help: &str| SchemaProblem {
                message,
                span: span(at),
                label: format!("`{root}.{name}`"),
                help: Some(if joined {
                    format!(
                        "`{}` is the join model a `@manyToMany` makes from its `relationName`: choose another `relationName`",
                        model.name
                    )
                } else {
                    help.into()
                }),
                src: None,
            };
            if !is_name(name) {
                problems.push(problem(
                    format!(
                        "the model `{}` would add `{root}.{name}`, and `{name}` is not a GraphQL name",
                        model.name
                    ),
                    "a name has letters, digits and `_`, and does not start with a digit: change it in `@model(queries:, mutations:, subscriptions:)` or `@searchable(queries:)`",
                ));
                continue;
            }
            match taken.get(&(root, name.to_string())) {
                // Amplify merges these into one field subscribing to each
                // mutation; hoist makes one subscription field per mutation
                Some(other) if root == "Subscription" && *other == own => {
                    problems.push(problem(
                        format!(
                            "the model `{}` names the subscription `{name}` for more than one mutation; hoist makes one subscription field per mutation (Amplify merges them into one, which hoist does not do yet)",
                            model.name
                        ),
                        "give each mutation's subscription its own name in `@model(subscriptions: { onCreate: [...], onUpdate: [...] })`",
                    ));
                }
                Some(other) => problems.push(problem(
                    format!(
                        "the model `{}` would add `{root}.{name}`, which is already {other}",
                        model.name
                    ),
                    "give one of them another name (`@model(queries: { get: \"...\" })`, `mutations: { create: \"...\" }`, `subscriptions: { onCreate: [\"...\"] }`), or rename the declared field",
                )),
                None => {
                    taken.insert((root, name.to_string()), own.clone());
                }
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::is_name;

    #[test]
    fn graphql_names() {
        for good in ["getTodo", "_x", "list2Todos", "A"] {
            assert!(is_name(good), "{good}");
        }
        for bad in ["", "2x", "get-todo", "get todo", "gét", "__schema"] {
            assert!(!is_name(bad), "{bad}");
        }
    }
}
