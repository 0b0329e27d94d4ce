//! The GraphQL transformer: a schema with Amplify's directives in, the
//! client-facing AppSync schema out (same shape as Amplify's transformer v2, so
//! existing client code works). Parsing, validation and printing go through
//! apollo-compiler; nothing is built by string concatenation.
//!
//! One module per directive family, as Amplify's own transformer packages are
//! split: `model` (`@model`, the client schema), `keys` (`@primaryKey`,
//! `@index`), `relations` (`@hasOne`, `@hasMany`, `@belongsTo`), `many_to_many`,
//! `auth`, `default`, `function` and `searchable`. Each checks its directive
//! (every problem reported at once, at its place) and adds what it generates.
//! They share the typed IR (`ir`: models, keys, indexes, relations), which the
//! resolvers, codegen and the model introspection read; Amplify's naming
//! (`crate::naming`); the SDL builders (`sdl`); and the shared inputs (`inputs`).

pub mod auth;
mod default;
mod function;
mod inputs;
mod ir;
mod keys;
mod limits;
mod many_to_many;
mod model;
mod names;
mod non_model;
mod read;
mod relations;
mod sdl;
mod searchable;

use std::collections::HashMap;

use apollo_compiler::Schema;
use apollo_compiler::ast::{Definition, Document};
use apollo_compiler::diagnostic::ToCliReport;
use apollo_compiler::parser::Parser;
use miette::{Diagnostic, NamedSource, SourceSpan};
use thiserror::Error;

use auth::auth_problems;
use default::default_problems;
use function::lambda_refs;
use keys::key_problems;
use relations::relation_problems;

pub use crate::naming::{camel, plural};
pub use auth::{Modes, Provider};
pub use default::default_value;
pub use function::LambdaRef;
pub use ir::{ForeignKey, Index, Key, Model, ModelField, Relation, RelationKind};

const DEFINITIONS: &str = include_str!("definitions.graphql");
const DEFINITIONS_PATH: &str = "<amplify directives>";

/// One problem in a schema, at its place.
#[derive(Debug, Error, Diagnostic)]
#[error("{message}")]
#[diagnostic(code(hoist::schema))]
pub struct SchemaProblem {
    pub message: String,
    /// The file it is in, when a schema has several (else its errors' file).
    #[source_code]
    pub src: Option<NamedSource<String>>,
    #[label("{label}")]
    pub span: Option<SourceSpan>,
    pub label: String,
    #[help]
    pub help: Option<String>,
}

/// Every problem found in a schema.
#[derive(Debug, Error, Diagnostic)]
#[error("`{path}` has {} schema error{}", problems.len(), if problems.len() == 1 { "" } else { "s" })]
#[diagnostic(
    code(hoist::schema::invalid),
    help("fix them and run the command again; every directive is described in docs/api.md")
)]
pub struct SchemaErrors {
    pub path: String,
    #[source_code]
    pub src: NamedSource<String>,
    #[related]
    pub problems: Vec<SchemaProblem>,
}

/// The result of a transform.
#[derive(Debug, Clone)]
pub struct Output {
    /// The client-facing schema, as SDL.
    pub sdl: String,
    pub models: Vec<Model>,
    /// Fields the user declares on `Query`, `Mutation` and `Subscription`.
    pub custom_fields: Vec<CustomField>,
}

/// A field of a root type the user declares, resolved by a resolver they write.
#[derive(Debug, Clone)]
pub struct CustomField {
    pub type_name: String,
    pub field: String,
    /// The static grants of its `@auth` rules, if it has some.
    pub grants: Option<Vec<auth::Grant>>,
    /// The Lambda functions `@function` calls, in order (none: the user's resolver).
    pub functions: Vec<LambdaRef>,
    /// A subscription to mutations (`@aws_subscribe`): AppSync delivers their
    /// results, and it needs no resolver of the user's.
    pub subscribes: bool,
}

/// Directives of Amplify's transformer v1, and what replaced them in v2.
const V1_DIRECTIVES: [(&str, &str); 3] = [
    (
        "connection",
        "use `@hasOne`, `@hasMany`, `@belongsTo` or `@manyToMany` (Amplify's transformer v2)",
    ),
    (
        "key",
        "use `@primaryKey` for the table's key and `@index` for secondary indexes (Amplify's transformer v2)",
    ),
    (
        "versioned",
        "conflict detection is configured on the API, not per type, in Amplify's transformer v2: remove `@versioned`",
    ),
];

/// Type names a model may not take: AppSync's roots and the types hoist generates.
fn reserved(name: &str) -> bool {
    matches!(
        name,
        "Query"
            | "Mutation"
            | "Subscription"
            | "ModelSortDirection"
            | "ModelAttributeTypes"
            | "ModelSizeInput"
    ) || (name.starts_with("Model") && (name.ends_with("Input") || name.ends_with("Connection")))
}

fn span(location: Option<apollo_compiler::parser::SourceSpan>) -> Option<SourceSpan> {
    location.map(|l| SourceSpan::from(l.offset()..l.end_offset()))
}

/// Transform for an API whose only authorization mode is an API key.
pub fn transform(source: &str, path: &str) -> Result<Output, SchemaErrors> {
    transform_with(source, path, &Modes::api_key())
}

/// Transform a schema split over several files (Amplify's `schema/` folder):
/// they are read as one document, and each problem is shown in its own file.
pub fn transform_files(
    files: &[(String, String)],
    label: &str,
    modes: &Modes,
) -> Result<Output, SchemaErrors> {
    if let [(path, source)] = files {
        return transform_with(source, path, modes);
    }
    let mut joined = String::new();
    let mut starts = Vec::new();
    for (_, source) in files {
        starts.push(joined.len());
        joined.push_str(source);
        joined.push('\n');
    }
    transform_with(&joined, label, modes).map_err(|mut errors| {
        for problem in &mut errors.problems {
            let Some(at) = problem.span else { continue };
            let index = starts
                .partition_point(|&s| s <= at.offset())
                .saturating_sub(1);
            let (path, source) = &files[index];
            problem.span = Some(SourceSpan::from(
                (at.offset() - starts[index])
                    ..(at.offset() - starts[index] + at.len()).min(source.len()),
            ));
            problem.src = Some(NamedSource::new(path, source.clone()));
        }
        errors
    })
}

/// Transform for an API with these authorization modes: `@auth` rules may only
/// use providers the API has.
pub fn transform_with(source: &str, path: &str, modes: &Modes) -> Result<Output, SchemaErrors> {
    let fail = |problems: Vec<SchemaProblem>| SchemaErrors {
        path: path.to_string(),
        src: NamedSource::new(path, source.to_string()),
        problems,
    };

    // Nothing but comments and blanks: the parser would only say "Unexpected <EOF>"
    if source
        .lines()
        .all(|line| line.trim().is_empty() || line.trim_start().starts_with('#'))
    {
        let end = source.len();
        return Err(fail(vec![SchemaProblem {
            message: "the schema defines no types".into(),
            span: Some(SourceSpan::from(end..end)),
            label: "the schema ends here".into(),
            help: Some(
                "an api needs at least one type: a model such as `type Todo @model { id: ID! name: String! }`, or `type Query { ... }` with your own resolvers".into(),
            ),
            src: None,
        }]));
    }

    // Parse the user's file alone first, to look at its directives.
    let document = match Document::parse(source, path) {
        Ok(document) => document,
        Err(with_errors) => {
            let mut problems = Vec::new();
            collect(&with_errors.errors, path, &[], &mut problems);
            return Err(fail(problems));
        }
    };

    let mut problems = Vec::new();
    let mut uses_v1 = Vec::new();
    // Object types by name: schemas run to thousands of types.
    let objects: HashMap<
        String,
        apollo_compiler::Node<apollo_compiler::ast::ObjectTypeDefinition>,
    > = document
        .definitions
        .iter()
        .filter_map(|d| match d {
            Definition::ObjectTypeDefinition(o) => Some((o.name.to_string(), o.clone())),
            _ => None,
        })
        .collect();
    for definition in &document.definitions {
        let (name, directives, fields) = match definition {
            Definition::ObjectTypeDefinition(object) => {
                (&object.name, &object.directives, Some(&object.fields))
            }
            Definition::InterfaceTypeDefinition(interface) => (
                &interface.name,
                &interface.directives,
                Some(&interface.fields),
            ),
            _ => continue,
        };
        let field_directives = fields
            .into_iter()
            .flatten()
            .flat_map(|f| f.directives.iter());
        for directive in directives.iter().chain(field_directives) {
            let directive_name = directive.name.as_str();
            if let Some((_, replacement)) = V1_DIRECTIVES.iter().find(|(n, _)| *n == directive_name)
            {
                uses_v1.push(directive_name.to_string());
                problems.push(SchemaProblem {
                    message: format!("`@{directive_name}` is a directive of Amplify's transformer v1, which hoist does not support"),
                    span: span(directive.location()),
                    label: format!("@{directive_name}"),
                    help: Some(replacement.to_string()), src: None,
                });
            }
        }
        if let Some(fields) = fields {
            default_problems(fields, &document, &mut problems);
            key_problems(name, fields, &mut problems);
            relation_problems(name, fields, &objects, &mut problems);
            let is_model = directives.iter().any(|d| d.name == "model");
            auth_problems(name, is_model, directives, fields, modes, &mut problems);
        }
        if directives.iter().any(|d| d.name == "model") && reserved(name) {
            problems.push(SchemaProblem {
                message: format!("`{name}` cannot be a model: the name is reserved"),
                span: span(name.location()),
                label: "reserved name".into(),
                help: Some("`Query`, `Mutation`, `Subscription` and the `Model...Input` and `Model...Connection` types are generated; rename the type".into()), src: None,
            });
        }
    }

    // Validate with the directive definitions added: unknown types, unknown
    // directives, duplicates and misused arguments, all at their place.
    let mut builder = Schema::builder();
    let mut parser = Parser::new();
    parser.parse_into_schema_builder(DEFINITIONS, DEFINITIONS_PATH, &mut builder);
    // `@manyToMany` is shorthand for a join model, written out before the rest.
    let (document, joins) = many_to_many::many_to_many(&document, &objects, &mut problems);
    let mut builder = builder.add_ast(&document);
    if let Some(joins) = &joins {
        builder = builder.add_ast(joins);
    }
    // Building reports duplicates; validating reports the rest: report both at once.
    let schema = match builder.build() {
        Ok(schema) => schema,
        Err(with_errors) => {
            collect(&with_errors.errors, path, &uses_v1, &mut problems);
            with_errors.partial
        }
    };
    let schema = match schema.validate() {
        Ok(valid) => valid.into_inner(),
        Err(with_errors) => {
            collect(&with_errors.errors, path, &uses_v1, &mut problems);
            with_errors.partial
        }
    };
    let mut global = Vec::new();
    if let Some((rule, at)) = auth::global_rule(&document) {
        match auth::grant(&rule, modes, |_| None) {
            Ok(grants) => global = grants,
            Err(problem) => problems.push(SchemaProblem {
                message: format!("the global auth rule: {}", problem.message),
                span: span(rule.location.or(at)),
                label: "globalAuthRule".into(),
                help: Some(problem.help),
                src: None,
            }),
        }
    }
    problems.dedup_by(|a, b| a.message == b.message && a.span == b.span);
    if !problems.is_empty() {
        return Err(fail(problems));
    }
    let models = read::models(&schema, modes, &global);
    // the join models `@manyToMany` writes are not the user's to change
    let join_models: Vec<String> = joins
        .iter()
        .flat_map(|d| d.definitions.iter())
        .filter_map(|d| d.name().map(|n| n.to_string()))
        .collect();
    let mut problems = auth::required_field_problems(&models, &join_models, |model, field| {
        schema
            .get_object(model)
            .and_then(|o| o.fields.get(field))
            .and_then(|f| f.location())
    });
    problems.extend(names::root_field_problems(&schema, &models, &join_models));
    problems.extend(keys::query_name_problems(&schema, &models));
    problems.extend(limits::name_problems(&schema, &models));
    if !problems.is_empty() {
        return Err(fail(problems));
    }
    let sdl = model::client_schema(&schema, &models, modes).to_string();
    let mut custom_fields = Vec::new();
    for root in ["Query", "Mutation", "Subscription"] {
        if let Some(apollo_compiler::schema::ExtendedType::Object(object)) = schema.types.get(root)
        {
            for (field, definition) in &object.fields {
                let grants = definition.directives.get("auth").map(|d| {
                    modes.with_principals(
                        auth::rules(d)
                            .iter()
                            .filter_map(|r| auth::grant(r, modes, |_| None).ok())
                            .flatten()
                            .collect(),
                    )
                });
                custom_fields.push(CustomField {
                    type_name: root.to_string(),
                    field: field.to_string(),
                    grants,
                    functions: lambda_refs(&definition.directives),
                    subscribes: root == "Subscription"
                        && definition.directives.get("aws_subscribe").is_some(),
                });
            }
        }
    }
    // `@function` on the fields of other types: resolved by the Lambda functions alone.
    for (type_name, ty) in &schema.types {
        let apollo_compiler::schema::ExtendedType::Object(object) = ty else {
            continue;
        };
        if matches!(type_name.as_str(), "Query" | "Mutation" | "Subscription") {
            continue;
        }
        for (field, definition) in &object.fields {
            let functions = lambda_refs(&definition.directives);
            if !functions.is_empty() {
                custom_fields.push(CustomField {
                    type_name: type_name.to_string(),
                    field: field.to_string(),
                    grants: None,
                    functions,
                    subscribes: false,
                });
            }
        }
    }
    Ok(Output {
        sdl,
        models,
        custom_fields,
    })
}

/// apollo-compiler's diagnostics about the user's file (`path`), as problems.
fn collect(
    errors: &apollo_compiler::validation::DiagnosticList,
    path: &str,
    v1: &[String],
    problems: &mut Vec<SchemaProblem>,
) {
    for diagnostic in errors.iter() {
        let message = diagnostic.error.to_string();
        let location = diagnostic.error.location();
        let in_user_file = location
            .and_then(|l| diagnostic.sources.get(&l.file_id()))
            .is_none_or(|file| file.path().to_string_lossy() == path);
        // v1 directives were already reported with their replacement; the
        // Query root is generated, so a schema of models alone needs none.
        if v1.iter().any(|name| message.contains(&format!("@{name}")))
            || message.contains("missing query root operation type")
        {
            continue;
        }
        problems.push(SchemaProblem {
            message,
            span: if in_user_file { span(location) } else { None },
            label: "here".into(),
            help: None,
            src: None,
        });
    }
}
