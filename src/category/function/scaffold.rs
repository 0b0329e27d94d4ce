//! A new function's source, from the blueprints under
//! `blueprints/function/<language>/`: the language's common files
//! (`_common/`: its manifest, test set-up, `.gitignore`) and the template's
//! (`<template>/`: the handler and its tests). Files ending `.hbs` are
//! rendered with the function's name; a leading `_` in a file's name
//! becomes a `.` (`_gitignore`), as in the frontend templates.

use include_dir::{Dir, include_dir};
use serde_json::json;

use super::{Language, Runtime};
use crate::render::RenderError;

static BLUEPRINTS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/blueprints/function");

/// What a new function starts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Template {
    /// Greets the caller by name: a handler and its tests
    Hello,
    /// The api's resolver for `@function` fields, one handler per `Type.field`
    GraphqlResolver,
    /// The user pool's pre sign-up trigger, refusing blocked email domains (adds `--trigger auth:pre-sign-up`)
    AuthTrigger,
    /// Runs on files created in the storage bucket (adds `--trigger storage:created`)
    StorageTrigger,
    /// Runs on the changes of a model's table (give `--trigger table:<Model>`)
    TableStream,
    /// Runs on a schedule (adds `--trigger 'schedule:rate(1 hour)'`)
    Scheduled,
}

impl Template {
    pub const ALL: [Template; 6] = [
        Template::Hello,
        Template::GraphqlResolver,
        Template::AuthTrigger,
        Template::StorageTrigger,
        Template::TableStream,
        Template::Scheduled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Template::Hello => "hello",
            Template::GraphqlResolver => "graphql-resolver",
            Template::AuthTrigger => "auth-trigger",
            Template::StorageTrigger => "storage-trigger",
            Template::TableStream => "table-stream",
            Template::Scheduled => "scheduled",
        }
    }

    /// The triggers a function made from this template starts with (a
    /// table stream's model is the user's to name).
    pub fn triggers(self) -> &'static [&'static str] {
        match self {
            Template::AuthTrigger => &["auth:pre-sign-up"],
            Template::StorageTrigger => &["storage:created"],
            Template::Scheduled => &["schedule:rate(1 hour)"],
            Template::Hello | Template::GraphqlResolver | Template::TableStream => &[],
        }
    }

    /// An event to try the new function with (`hoist function invoke
    /// --event`), as its callers send it.
    pub fn sample_event(self) -> &'static str {
        match self {
            Template::Hello => r#"{"name":"Ada"}"#,
            Template::GraphqlResolver => {
                r#"{"typeName":"Query","fieldName":"echo","arguments":{"message":"hi"}}"#
            }
            Template::AuthTrigger => {
                r#"{"triggerSource":"PreSignUp_SignUp","userName":"ada","request":{"userAttributes":{"email":"ada@example.com"}},"response":{}}"#
            }
            Template::StorageTrigger => {
                r#"{"detail-type":"Object Created","source":"aws.s3","detail":{"bucket":{"name":"files"},"object":{"key":"public/photo.jpg","size":5}}}"#
            }
            Template::TableStream => {
                r#"{"Records":[{"eventName":"INSERT","dynamodb":{"Keys":{"id":{"S":"1"}}}}]}"#
            }
            Template::Scheduled => {
                r#"{"detail-type":"Scheduled Event","source":"aws.events","time":"2026-01-01T12:00:00Z","resources":[],"detail":{}}"#
            }
        }
    }
}

/// The files of a new function `name` (path relative to its folder, content).
///
/// Errors: a blueprint that does not render (a bug in hoist).
pub fn files(
    name: &str,
    runtime: Runtime,
    template: Template,
) -> Result<Vec<(String, Vec<u8>)>, RenderError> {
    let own = BLUEPRINTS.get_dir(format!(
        "{}/{}",
        runtime.language().as_str(),
        template.as_str()
    ));
    files_with(name, runtime, own)
}

/// The files of a new function `name` whose handler and tests are in `own`
/// (a template's folder, or a workflow blueprint's function), with the
/// language's common files.
///
/// Errors: a blueprint that does not render (a bug in hoist).
pub fn files_with(
    name: &str,
    runtime: Runtime,
    own: Option<&Dir<'static>>,
) -> Result<Vec<(String, Vec<u8>)>, RenderError> {
    let language = runtime.language();
    let data = json!({
        "name": name,
        "kebab": crate::naming::words_joined(name, '-'),
        "snake": crate::naming::words_joined(name, '_'),
        "node_major": runtime.version().filter(|_| language == Language::Node).unwrap_or("24"),
    });
    let mut out = Vec::new();
    let common = BLUEPRINTS.get_dir(format!("{}/_common", language.as_str()));
    for dir in [common, own].into_iter().flatten() {
        collect(dir, dir.path(), &data, &mut out)?;
    }
    out.sort();
    Ok(out)
}

fn collect(
    dir: &Dir<'static>,
    base: &std::path::Path,
    data: &serde_json::Value,
    out: &mut Vec<(String, Vec<u8>)>,
) -> Result<(), RenderError> {
    for file in dir.files() {
        let rel = file
            .path()
            .strip_prefix(base)
            .unwrap_or(file.path())
            .to_string_lossy()
            .replace('\\', "/");
        let (out_rel, render) = crate::render::output_path(&rel);
        let bytes = if render {
            let text = file.contents_utf8().unwrap_or_default();
            crate::render::render_str(&rel, text, data)?.into_bytes()
        } else {
            file.contents().to_vec()
        };
        let rel = out_rel;
        out.push((rel, bytes));
    }
    for sub in dir.dirs() {
        collect(sub, base, data, out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_exists_in_every_language_and_renders() {
        for runtime in [
            Runtime::Nodejs24,
            Runtime::Python314,
            Runtime::ProvidedAl2023,
        ] {
            for template in Template::ALL {
                let files = files("chargeCard", runtime, template).unwrap();
                let handler = match runtime.language() {
                    Language::Node => "src/index.ts",
                    Language::Python => "index.py",
                    Language::Rust => "src/main.rs",
                };
                assert!(
                    files.iter().any(|(n, _)| n == handler),
                    "{runtime:?} {template:?} has no {handler}"
                );
                for (name, bytes) in &files {
                    let text = String::from_utf8_lossy(bytes);
                    assert!(!text.contains("{{"), "{name} was not rendered: {text}");
                    assert!(!text.contains("&quot;"), "{name} was escaped: {text}");
                }
            }
        }
    }

    #[test]
    fn every_language_has_a_handler_a_manifest_and_tests() {
        for (runtime, expected) in [
            (
                Runtime::Nodejs24,
                &[
                    ".gitignore",
                    "package.json",
                    "src/index.ts",
                    "test/index.test.ts",
                    "tsconfig.json",
                ][..],
            ),
            (
                Runtime::Python314,
                &[
                    ".gitignore",
                    "conftest.py",
                    "index.py",
                    "requirements-dev.txt",
                    "requirements.txt",
                    "tests/test_index.py",
                ][..],
            ),
            (
                Runtime::ProvidedAl2023,
                &[".gitignore", "Cargo.toml", "src/main.rs"][..],
            ),
        ] {
            let files = files("chargeCard", runtime, Template::Hello).unwrap();
            let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(names, expected, "{runtime:?}");
            for (name, bytes) in &files {
                let text = String::from_utf8_lossy(bytes);
                assert!(!text.contains("{{"), "{name} was not rendered: {text}");
            }
        }
        let node = files("chargeCard", Runtime::Nodejs22, Template::Hello).unwrap();
        let package =
            String::from_utf8_lossy(&node.iter().find(|(n, _)| n == "package.json").unwrap().1)
                .into_owned();
        assert!(package.contains("\"name\": \"charge-card\""), "{package}");
        assert!(package.contains("--target=node22"), "{package}");
    }
}
