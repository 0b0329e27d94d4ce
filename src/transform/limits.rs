//! Names too long for what hoist makes of them: each model's stack template
//! and resolver files (a file name has at most 255 bytes on the file systems
//! hoist writes to) and CloudFormation logical ids (at most 255 characters,
//! CloudFormation user guide, "Resources": logical IDs). Refused at the type
//! or field they come from, before anything is written.

use super::ir::Model;
use super::{SchemaProblem, span};
use crate::naming::pascal;

/// The first `n` characters of `text`.
fn head(text: &str, n: usize) -> String {
    text.chars().take(n).collect()
}

/// The longest name a file or a logical id may have.
pub const NAME_LIMIT: usize = 255;

/// What hoist writes for a field `field` of `type_name` resolved by a
/// resolver: its code files and its resources' logical ids.
fn resolver_names(type_name: &str, field: &str) -> [String; 3] {
    [
        format!("{type_name}.{field}.invoke.js"),
        format!("{type_name}.{field}.auth.js"),
        format!("{}{}Resolver", pascal(type_name), pascal(field)),
    ]
}

/// A problem for each model (at its type) or relation field (at the field)
/// whose names would pass [`NAME_LIMIT`].
pub(super) fn name_problems(
    schema: &apollo_compiler::Schema,
    models: &[Model],
) -> Vec<SchemaProblem> {
    let mut problems = Vec::new();
    let too_long = |names: Vec<String>| names.into_iter().find(|n| n.len() > NAME_LIMIT);
    for model in models {
        let Some(object) = schema.get_object(&model.name) else {
            continue;
        };
        let mut names = vec![
            format!("model-{}.template.json", model.name),
            format!("{}ModelTableRole", pascal(&model.name)),
        ];
        for (root, field) in model.root_fields(true) {
            names.extend(resolver_names(root, field));
        }
        for index in &model.indexes {
            names.push(index.name.clone());
        }
        if let Some(name) = too_long(names) {
            problems.push(SchemaProblem {
                message: format!(
                    "the model `{}` gives names too long: hoist would write `{}…` ({} characters), past the {NAME_LIMIT} that file names and CloudFormation logical ids allow",
                    head(&model.name, 40),
                    head(&name, 60),
                    name.len()
                ),
                span: span(object.location()),
                label: "this model".into(),
                help: Some(
                    "shorten the type's name (or the query, mutation, subscription or index names it is given)"
                        .into(),
                ),
                src: None,
            });
            continue;
        }
        for relation in &model.relations {
            if let Some(name) = too_long(resolver_names(&model.name, &relation.field).to_vec()) {
                let at = object
                    .fields
                    .get(relation.field.as_str())
                    .and_then(|f| f.location());
                problems.push(SchemaProblem {
                    message: format!(
                        "the relation field `{}.{}` gives names too long: hoist would write `{}…` ({} characters), past the {NAME_LIMIT} that file names and CloudFormation logical ids allow",
                        head(&model.name, 40),
                        head(&relation.field, 40),
                        head(&name, 60),
                        name.len()
                    ),
                    span: span(at),
                    label: "this field".into(),
                    help: Some("shorten the field's or the type's name".into()),
                    src: None,
                });
            }
        }
    }
    problems
}
