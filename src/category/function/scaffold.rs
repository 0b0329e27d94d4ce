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
    /// The user pool's pre sign-up trigger, refusing blocked email domains (adds `--trigger auth:pre-sign-up`)
    AuthTrigger,
}

impl Template {
    pub fn as_str(self) -> &'static str {
        match self {
            Template::Hello => "hello",
            Template::AuthTrigger => "auth-trigger",
        }
    }

    /// The triggers a function made from this template starts with.
    pub fn triggers(self) -> &'static [&'static str] {
        match self {
            Template::Hello => &[],
            Template::AuthTrigger => &["auth:pre-sign-up"],
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
    let language = runtime.language();
    let data = json!({
        "name": name,
        "kebab": crate::naming::words_joined(name, '-'),
        "snake": crate::naming::words_joined(name, '_'),
        "node_major": runtime.version().filter(|_| language == Language::Node).unwrap_or("24"),
    });
    let mut out = Vec::new();
    for folder in ["_common", template.as_str()] {
        let Some(dir) = BLUEPRINTS.get_dir(format!("{}/{folder}", language.as_str())) else {
            continue;
        };
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
