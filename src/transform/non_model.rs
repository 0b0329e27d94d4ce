//! What the client schema keeps of the user's non-model types and text:
//! the `<Type>Input` a model's create and update take a non-model type
//! through, the AppSync directives the models that reach a non-model type
//! give it, and the user's descriptions.

use apollo_compiler::Schema;
use apollo_compiler::ast::{Definition, Document, Type};
use apollo_compiler::schema::ExtendedType;

use super::auth::{self, Modes};
use super::ir::Model;
use super::model::add_all;
use super::sdl::{input, input_object, renamed};
use crate::naming::upper_first;

/// Whether `ty` names an object type that is not a model (stored inside the
/// model's item, written through its `<Type>Input`).
pub(super) fn non_model(
    schema: &Schema,
    models: &std::collections::HashMap<&str, usize>,
    ty: &Type,
) -> bool {
    let inner = ty.inner_named_type().as_str();
    !models.contains_key(inner)
        && matches!(schema.types.get(inner), Some(ExtendedType::Object(_)))
        && !matches!(inner, "Query" | "Mutation" | "Subscription")
}

/// The input type clients write a non-model type through (Amplify's
/// `NonModelInputObjectName`).
pub(super) fn input_name(type_name: &str) -> String {
    format!("{}Input", upper_first(type_name))
}

/// `input <Type>Input` for the non-model type `ty` names and, within it, each
/// non-model type its fields name, once each: the type's fields with their
/// wrappers, non-model ones through their inputs (Amplify's
/// `createNonModelInputs`).
pub(super) fn non_model_inputs(
    schema: &Schema,
    models: &std::collections::HashMap<&str, usize>,
    ty: &Type,
    emitted: &mut std::collections::HashSet<String>,
    out: &mut Vec<Definition>,
) {
    if !non_model(schema, models, ty) {
        return;
    }
    let type_name = ty.inner_named_type().as_str();
    let input_type = input_name(type_name);
    // a type of that name the user declared is used as it is (Amplify
    // creates the input only when the schema has none of that name)
    if schema.types.contains_key(input_type.as_str()) || !emitted.insert(input_type.clone()) {
        return;
    }
    let Some(ExtendedType::Object(object)) = schema.types.get(type_name) else {
        return;
    };
    // scalars and enums as they are, non-model types through their inputs;
    // a field of another kind (a model, an interface) has no input to go
    // through and is left out
    let fields = object
        .fields
        .values()
        .filter_map(|f| {
            let inner = f.ty.inner_named_type().as_str();
            let ty = match schema.types.get(inner) {
                Some(ExtendedType::Object(_)) if non_model(schema, models, &f.ty) => {
                    renamed(&f.ty, &input_name(inner))
                }
                Some(
                    ExtendedType::Object(_) | ExtendedType::Interface(_) | ExtendedType::Union(_),
                ) => return None,
                _ => f.ty.clone(),
            };
            Some(input(&f.name, ty))
        })
        .collect();
    out.push(input_object(&input_type, fields));
    for f in object.fields.values() {
        non_model_inputs(schema, models, &f.ty, emitted, out);
    }
}

/// The user's descriptions (`"""..."""`) on their types and those types'
/// fields and enum values, kept in the client schema as Amplify's
/// transformer keeps them (seen against it, tests/transformer_oracle.rs).
pub(super) fn keep_descriptions(schema: &Schema, doc: &mut Document) {
    for definition in &mut doc.definitions {
        let Some(ty) = definition.name().and_then(|n| schema.types.get(n.as_str())) else {
            continue;
        };
        match (definition, ty) {
            (Definition::ObjectTypeDefinition(o), ExtendedType::Object(theirs)) => {
                let o = o.make_mut();
                o.description = o.description.take().or(theirs.description.clone());
                for f in &mut o.fields {
                    if let Some(desc) = theirs
                        .fields
                        .get(&f.name)
                        .and_then(|x| x.description.clone())
                    {
                        f.make_mut().description = Some(desc);
                    }
                }
            }
            (Definition::InputObjectTypeDefinition(o), ExtendedType::InputObject(theirs)) => {
                let o = o.make_mut();
                o.description = o.description.take().or(theirs.description.clone());
                for f in &mut o.fields {
                    if let Some(desc) = theirs
                        .fields
                        .get(&f.name)
                        .and_then(|x| x.description.clone())
                    {
                        f.make_mut().description = Some(desc);
                    }
                }
            }
            (Definition::EnumTypeDefinition(o), ExtendedType::Enum(theirs)) => {
                let o = o.make_mut();
                o.description = o.description.take().or(theirs.description.clone());
                for v in &mut o.values {
                    if let Some(desc) = theirs
                        .values
                        .get(&v.value)
                        .and_then(|x| x.description.clone())
                    {
                        v.make_mut().description = Some(desc);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Non-model types reached from the fields of models with `@auth` get the
/// directives of those models' providers (as Amplify propagates them).
pub(super) fn nested_type_directives(
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
            // reached from a model the project's functions may read, a type
            // keeps the default mode too: custom queries may return it
            let directives =
                auth::service_directives(&providers, modes, !first || modes.iam_principals);
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
