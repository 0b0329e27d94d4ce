//! Frontend templates: embedded in the binary, layered (`base/`, then the
//! framework's folder, then the files its manifest includes), rendered with
//! handlebars in strict mode. Pure: returns a [`FileSet`], writes nothing.

use std::path::Path;

use handlebars::Handlebars;
use include_dir::{Dir, include_dir};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::project::{FileSet, Framework};

pub mod blueprints;

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

const MANIFEST: &str = "manifest.toml";
const BASE_LAYER: &str = "base";
/// The `todo` starter's files: `shared/`, then the framework's, over the app's.
const TODO_LAYER: &str = "todo";

#[derive(Debug, Error)]
pub enum RenderError {
    #[error("the embedded template `{0}` is missing")]
    Missing(String),
    #[error("the manifest of template `{template}` is invalid: {message}")]
    Manifest { template: String, message: String },
    #[error("the template file `{path}` did not render: {message}")]
    Render { path: String, message: String },
}

/// `templates/<framework>/manifest.toml`: how hoist scaffolds and drives a frontend.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateManifest {
    pub description: String,
    pub source_dir: String,
    pub dist_dir: Option<String>,
    pub build_command: Option<String>,
    pub start_command: Option<String>,
    /// The dev server's port, for CORS defaults.
    pub dev_port: Option<u16>,
    /// Files shared between templates, from `templates/`, placed at `to`.
    #[serde(default)]
    pub include: Vec<Include>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Include {
    pub from: String,
    pub to: String,
}

/// What templates can refer to.
#[derive(Debug, Clone, Serialize)]
pub struct TemplateContext {
    pub name: String,
    pub frontend: String,
    pub source_dir: String,
    pub hoist_version: &'static str,
    /// The `todo` starter: auth, api and storage pages.
    pub todo: bool,
}

impl TemplateContext {
    pub fn new(name: &str, framework: Framework, source_dir: &str) -> Self {
        TemplateContext {
            name: name.to_string(),
            frontend: framework.as_str().to_string(),
            source_dir: source_dir.to_string(),
            hoist_version: env!("CARGO_PKG_VERSION"),
            todo: false,
        }
    }
}

/// The `aws-amplify` version the scaffolded apps pin, from the React
/// template's `package.json` (every template pins the same one: a test
/// checks it).
pub fn aws_amplify_version() -> Option<String> {
    pinned_version("react", "aws-amplify")
}

/// The version of `package` a template's `package.json` pins (`react-native`,
/// `@aws-amplify/react-native` gives `1.3.3`).
pub fn pinned_version(template: &str, package: &str) -> Option<String> {
    let text = TEMPLATES
        .get_file(format!("{template}/package.json.hbs"))?
        .contents_utf8()?;
    let key = format!("\"{package}\"");
    let line = text.lines().find(|l| l.trim_start().starts_with(&key))?;
    let version = line
        .split_once(':')?
        .1
        .trim()
        .trim_end_matches(',')
        .trim_matches('"');
    Some(version.to_string())
}

/// What an existing app of this framework installs to use Amplify: the
/// packages and versions the framework's template pins (`aws-amplify`, and
/// on React Native the native pieces Amplify v6 needs there).
pub fn amplify_packages(framework: Framework) -> Vec<String> {
    let (template, packages): (&str, &[&str]) = match framework {
        Framework::ReactNative => (
            "react-native",
            &[
                "aws-amplify",
                "@aws-amplify/react-native",
                "@react-native-async-storage/async-storage",
                "@react-native-community/netinfo",
                "react-native-get-random-values",
            ],
        ),
        _ => ("react", &["aws-amplify"]),
    };
    packages
        .iter()
        .map(|p| match pinned_version(template, p) {
            Some(v) => format!("{p}@{v}"),
            None => p.to_string(),
        })
        .collect()
}

pub fn template_manifest(framework: Framework) -> Result<TemplateManifest, RenderError> {
    let path = format!("{}/{MANIFEST}", framework.as_str());
    let file = TEMPLATES
        .get_file(&path)
        .ok_or_else(|| RenderError::Missing(path.clone()))?;
    let text = file
        .contents_utf8()
        .ok_or_else(|| RenderError::Missing(path.clone()))?;
    toml::from_str(text).map_err(|e| RenderError::Manifest {
        template: framework.as_str().to_string(),
        message: e.to_string(),
    })
}

/// The output name of a template file: `.hbs` dropped, a leading `_` made a `.`
/// (npm strips dotfiles such as `.gitignore` from packages, so they are stored as `_gitignore`).
pub(crate) fn output_path(rel: &str) -> (String, bool) {
    let (rel, render) = match rel.strip_suffix(".hbs") {
        Some(stripped) => (stripped, true),
        None => (rel, false),
    };
    let (dir, file) = rel.rsplit_once('/').map_or(("", rel), |(d, f)| (d, f));
    let file = match file.strip_prefix('_') {
        Some(rest) => format!(".{rest}"),
        None => file.to_string(),
    };
    let path = if dir.is_empty() {
        file
    } else {
        format!("{dir}/{file}")
    };
    (path, render)
}

/// Render a blueprint's `text` with `data` (strict mode, no escaping: the
/// output is source code).
///
/// Errors: [`RenderError::Render`] naming `path`.
pub fn render_str(path: &str, text: &str, data: &serde_json::Value) -> Result<String, RenderError> {
    engine()
        .render_template(text, data)
        .map_err(|e| RenderError::Render {
            path: path.to_string(),
            message: e.to_string(),
        })
}

fn engine() -> Handlebars<'static> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    // The output is source code and Markdown, never HTML.
    hb.register_escape_fn(handlebars::no_escape);
    hb
}

fn add_file(
    hb: &Handlebars,
    files: &mut FileSet,
    source: &str,
    dest: &str,
    contents: &[u8],
    ctx: &TemplateContext,
) -> Result<(), RenderError> {
    let (dest, render) = output_path(dest);
    let bytes = if render {
        let text = std::str::from_utf8(contents).map_err(|_| RenderError::Render {
            path: source.to_string(),
            message: "not UTF-8".into(),
        })?;
        hb.render_template(text, ctx)
            .map_err(|e| RenderError::Render {
                path: source.to_string(),
                message: e.to_string(),
            })?
            .into_bytes()
    } else {
        contents.to_vec()
    };
    files.insert(dest, bytes);
    Ok(())
}

fn add_layer(
    hb: &Handlebars,
    files: &mut FileSet,
    dir: &Dir,
    ctx: &TemplateContext,
) -> Result<(), RenderError> {
    let root = dir.path();
    let mut stack = vec![dir];
    while let Some(dir) = stack.pop() {
        stack.extend(dir.dirs());
        for file in dir.files() {
            let rel = file
                .path()
                .strip_prefix(root)
                .unwrap_or(file.path())
                .to_string_lossy()
                .replace('\\', "/");
            if rel == MANIFEST {
                continue;
            }
            let source = file.path().to_string_lossy();
            add_file(hb, files, &source, &rel, file.contents(), ctx)?;
        }
    }
    Ok(())
}

/// Every file of the frontend template, rendered.
pub fn render_frontend(
    framework: Framework,
    ctx: &TemplateContext,
) -> Result<FileSet, RenderError> {
    let hb = engine();
    let manifest = template_manifest(framework)?;
    let mut files = FileSet::new();
    let mut layers = vec![BASE_LAYER.to_string(), framework.as_str().to_string()];
    if ctx.todo {
        layers.push(format!("{TODO_LAYER}/shared"));
        if matches!(framework, Framework::React | Framework::ReactNative) {
            // The pages' state as React hooks, shared by the web and native apps.
            layers.push(format!("{TODO_LAYER}/react-hooks"));
        }
        layers.push(format!("{TODO_LAYER}/{}", framework.as_str()));
    }
    for layer in &layers {
        let dir = TEMPLATES
            .get_dir(layer)
            .ok_or_else(|| RenderError::Missing(layer.to_string()))?;
        add_layer(&hb, &mut files, dir, ctx)?;
    }
    for include in &manifest.include {
        let file = TEMPLATES
            .get_file(Path::new(&include.from))
            .ok_or_else(|| RenderError::Missing(include.from.clone()))?;
        add_file(
            &hb,
            &mut files,
            &include.from,
            &include.to,
            file.contents(),
            ctx,
        )?;
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `hoist init` in an existing app tells it to install this version: the
    /// one every template pins.
    #[test]
    fn every_template_pins_the_same_aws_amplify() {
        let version = aws_amplify_version().unwrap();
        assert!(version.starts_with("6."), "{version}");
        // React Native's wiring names every native piece, each pinned
        let native = amplify_packages(Framework::ReactNative);
        assert_eq!(native.len(), 5);
        for package in &native {
            let (_, v) = package.rsplit_once('@').unwrap();
            assert!(v.starts_with(|c: char| c.is_ascii_digit()), "{package}");
        }
        for template in ["react", "vue", "react-native"] {
            let text = TEMPLATES
                .get_file(format!("{template}/package.json.hbs"))
                .unwrap()
                .contents_utf8()
                .unwrap();
            assert!(
                text.contains(&format!("\"aws-amplify\": \"{version}\"")),
                "{template}"
            );
        }
    }

    #[test]
    fn output_names() {
        assert_eq!(output_path("_gitignore"), (".gitignore".into(), false));
        assert_eq!(output_path("src/_env.hbs"), ("src/.env".into(), true));
        assert_eq!(
            output_path("package.json.hbs"),
            ("package.json".into(), true)
        );
        assert_eq!(
            output_path("src/my_file.ts"),
            ("src/my_file.ts".into(), false)
        );
    }

    #[test]
    fn every_scaffolded_framework_has_a_valid_manifest() {
        for framework in Framework::SCAFFOLDED {
            let manifest = template_manifest(framework).unwrap();
            for include in &manifest.include {
                assert!(
                    TEMPLATES.get_file(&include.from).is_some(),
                    "{}",
                    include.from
                );
            }
        }
    }

    #[test]
    fn strict_mode_rejects_unknown_variables() {
        let hb = engine();
        let ctx = TemplateContext::new("shop", Framework::React, "src");
        let mut files = FileSet::new();
        let err = add_file(&hb, &mut files, "x.hbs", "x.hbs", b"{{nmae}}", &ctx).unwrap_err();
        assert!(err.to_string().contains("x.hbs"), "{err}");
    }
}
