//! The GraphQL transformer: a schema with Amplify's directives in, the
//! client-facing AppSync schema out (same shape as Amplify's transformer v2, so
//! existing client code works). Parsing, validation and printing go through
//! apollo-compiler; nothing is built by string concatenation.
//!
//! This is the first slice of the api category: `@model` on types with scalar
//! and enum fields (queries, mutations, subscriptions, timestamps), with every
//! schema error reported at once at its location. Relations, `@auth`, keys and
//! indexes come next; until then they are refused with a located error.

pub mod auth;
mod model;

use std::collections::HashMap;

use apollo_compiler::Schema;
use apollo_compiler::ast::{Definition, Document};
use apollo_compiler::diagnostic::ToCliReport;
use apollo_compiler::parser::Parser;
use miette::{Diagnostic, NamedSource, SourceSpan};
use thiserror::Error;

pub use auth::{Modes, Provider};
pub use model::{ForeignKey, Index, Key, Model, ModelField, Relation, RelationKind, camel, plural};

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
}

/// A Lambda function named by `@function(name:, region:, accountId:)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LambdaRef {
    /// The function's name; `${env}` stands for the environment's name.
    pub name: String,
    pub region: Option<String>,
    pub account_id: Option<String>,
}

fn lambda_refs(directives: &apollo_compiler::ast::DirectiveList) -> Vec<LambdaRef> {
    directives
        .iter()
        .filter(|d| d.name == "function")
        .filter_map(|d| {
            let arg = |n: &str| string_args(d, n).into_iter().next().map(|(v, _)| v);
            Some(LambdaRef {
                name: arg("name")?,
                region: arg("region"),
                account_id: arg("accountId"),
            })
        })
        .collect()
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
    let (document, joins) = many_to_many(&document, &objects, &mut problems);
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
    let models = model::models(&schema, modes, &global);
    let sdl = model::client_schema(&schema, &models, modes).to_string();
    let mut custom_fields = Vec::new();
    for root in ["Query", "Mutation", "Subscription"] {
        if let Some(apollo_compiler::schema::ExtendedType::Object(object)) = schema.types.get(root)
        {
            for (field, definition) in &object.fields {
                let grants = definition.directives.get("auth").map(|d| {
                    auth::rules(d)
                        .iter()
                        .filter_map(|r| auth::grant(r, modes, |_| None).ok())
                        .flatten()
                        .collect()
                });
                custom_fields.push(CustomField {
                    type_name: root.to_string(),
                    field: field.to_string(),
                    grants,
                    functions: lambda_refs(&definition.directives),
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

/// `@default(value:)`: on a field of a scalar or enum type, not a list, with a
/// value of that type.
fn default_problems(
    fields: &[apollo_compiler::Node<apollo_compiler::ast::FieldDefinition>],
    document: &Document,
    problems: &mut Vec<SchemaProblem>,
) {
    for field in fields {
        for directive in field.directives.iter().filter(|d| d.name == "default") {
            let Some(value) = directive.arguments.iter().find(|a| a.name == "value") else {
                continue;
            };
            let Some(text) = value.value.as_str() else {
                continue;
            };
            let inner = field.ty.inner_named_type().as_str();
            let is_enum = document.definitions.iter().find_map(|d| match d {
                Definition::EnumTypeDefinition(e) if e.name == inner => Some(e),
                _ => None,
            });
            let problem = if field.ty.is_list() {
                Some((
                    "a list field cannot have a default".to_string(),
                    "remove `@default`, or set the list in the create input".to_string(),
                ))
            } else if let Some(e) = is_enum {
                (!e.values.iter().any(|v| v.value == text)).then(|| {
                    (
                        format!("`{text}` is not a value of `{inner}`"),
                        format!(
                            "use one of {}",
                            e.values
                                .iter()
                                .map(|v| v.value.to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })
            } else {
                model::default_value(inner, text)
                    .err()
                    .map(|e| (e, format!("write a value of type `{inner}`")))
            };
            if let Some((message, help)) = problem {
                problems.push(SchemaProblem {
                    message: format!("`@default` on `{}`: {message}", field.name),
                    span: span(value.value.location()),
                    label: "default".into(),
                    help: Some(help),
                    src: None,
                });
            }
        }
    }
}

/// `@primaryKey` and `@index`: their sort keys must be fields of the type; one
/// primary key per type; one sort key per key for now.
fn key_problems(
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

/// `@hasMany` and `@belongsTo`: between models, without arguments for now, and a
/// `@belongsTo` answers a `@hasMany`.
fn relation_problems(
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
                        help: Some(format!("add `{}s: [{type_name}] @hasMany` or `{}: {type_name} @hasOne` to `{target}`", lower(type_name), lower(type_name))), src: None,
                    });
                }
            }
        }
    }
}

fn string_args(
    directive: &apollo_compiler::ast::Directive,
    name: &str,
) -> Vec<(String, Option<SourceSpan>)> {
    let Some(argument) = directive.arguments.iter().find(|a| a.name == name) else {
        return Vec::new();
    };
    match argument.value.as_ref() {
        apollo_compiler::ast::Value::List(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(|s| (s.to_string(), span(v.location()))))
            .collect(),
        apollo_compiler::ast::Value::String(s) => {
            vec![(s.to_string(), span(argument.value.location()))]
        }
        _ => Vec::new(),
    }
}

/// The key fields of a model type, as declared: `@primaryKey`'s field (else `id`), then its sort key fields.
fn declared_key(
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

/// The arguments of a relational directive: `fields` and `references` name
/// scalar fields that exist, `indexName` an index of the related model, and no
/// more key fields than the key has.
fn argument_problems(
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
    if let Some(key) = key
        && names.len() > key.len()
    {
        problems.push(SchemaProblem {
            message: format!("`@{d}` on `{type_name}.{}` names {} fields, but the key of `{}` it reads has {}: {}", field.name, names.len(), target.name, key.len(), key.join(", ")),
            span: span(directive.location()),
            label: format!("@{d}"),
            help: Some(format!("name at most {} fields, in the key's order", key.len())), src: None,
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

/// `@manyToMany(relationName:)` on two models' fields: the join model Amplify
/// makes (`id`, each side's key fields with an index, and a `@hasOne` to
/// each side, under both sides' `@auth` rules), and each field rewritten as a
/// `@hasMany` of join items. Returns the rewritten document and the join models.
fn many_to_many(
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
                let name = model::upper_first_pub(&relation);
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
            let lower = lower(model);
            let id_field = format!("{lower}{}", model::upper_first_pub(&key[0]));
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

/// `@auth` on a type or its fields: on models (or, with static rules, on the
/// fields of other types), each rule well-formed and using a mode the API has.
fn auth_problems(
    type_name: &str,
    is_model: bool,
    directives: &apollo_compiler::ast::DirectiveList,
    fields: &[apollo_compiler::Node<apollo_compiler::ast::FieldDefinition>],
    modes: &Modes,
    problems: &mut Vec<SchemaProblem>,
) {
    let is_list = |f: &str| fields.iter().find(|d| d.name == f).map(|d| d.ty.is_list());
    let mut check = |directive: &apollo_compiler::Node<apollo_compiler::ast::Directive>,
                     on_model: bool| {
        for rule in auth::rules(directive) {
            match auth::grant(&rule, modes, is_list) {
                Ok(grants) => {
                    if !on_model && grants.iter().any(|g| !g.role.is_static()) {
                        problems.push(SchemaProblem {
                            message: format!("`allow: {}` rules need a model: `{type_name}` is not one", rule.allow),
                            span: span(rule.location.or(directive.location())),
                            label: "rule".into(),
                            help: Some("owner and `groupsField` rules read the item; on other types use public, private, custom or static `groups` rules".into()), src: None,
                        });
                    }
                }
                Err(problem) => problems.push(SchemaProblem {
                    message: problem.message,
                    span: span(rule.location.or(directive.location())),
                    label: "rule".into(),
                    help: Some(problem.help),
                    src: None,
                }),
            }
        }
    };
    let mut not_a_model = Vec::new();
    for directive in directives.iter().filter(|d| d.name == "auth") {
        if !is_model {
            not_a_model.push(SchemaProblem {
                message: format!("`@auth` on `{type_name}`, which is not a model"),
                span: span(directive.location()),
                label: "@auth".into(),
                help: Some(format!(
                    "add `@model` to `{type_name}`, or put the rules on its fields"
                )),
                src: None,
            });
            continue;
        }
        check(directive, true);
    }
    for field in fields {
        for directive in field.directives.iter().filter(|d| d.name == "auth") {
            check(directive, is_model);
        }
    }
    problems.extend(not_a_model);
}

fn lower(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
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
