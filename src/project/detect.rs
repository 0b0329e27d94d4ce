//! What is in a folder that `hoist init` is pointed at: nothing, a hoist
//! project, an existing frontend (and its framework, folders and commands), or
//! something else.

use std::path::{Path, PathBuf};

use miette::{Diagnostic, NamedSource, SourceOffset, SourceSpan};
use serde_json::Value;
use thiserror::Error;

use super::Framework;
use crate::error::FsError;

/// Entries that do not make a folder "not empty".
const IGNORABLE: [&str; 3] = [".git", ".DS_Store", "Thumbs.db"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectedFrontend {
    pub framework: Framework,
    /// The build tool, for messages: `Vite`, `Next.js`, `Expo`, ...
    pub tool: &'static str,
    pub source_dir: String,
    pub dist_dir: Option<String>,
    pub build_command: Option<String>,
    pub start_command: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inspection {
    /// The folder does not exist yet.
    Missing,
    /// The folder exists and holds nothing that matters (maybe `.git`).
    Empty,
    /// The folder, or one above it, is already a hoist project.
    Project { root: PathBuf },
    /// The folder holds a frontend hoist knows.
    Frontend(DetectedFrontend),
    /// The folder holds other files; the first few are listed.
    Other { entries: Vec<String> },
}

#[derive(Debug, Error, Diagnostic)]
#[error("`{}` is not valid JSON: {message}", path.display())]
#[diagnostic(
    code(hoist::package_json),
    help(
        "fix the syntax of package.json (npm cannot read it either), then run `hoist init` again"
    )
)]
pub struct PackageJsonError {
    pub path: PathBuf,
    pub message: String,
    #[source_code]
    pub src: NamedSource<String>,
    #[label("here")]
    pub span: SourceSpan,
}

#[derive(Debug, Error, Diagnostic)]
pub enum DetectError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    PackageJson(#[from] PackageJsonError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Fs(#[from] FsError),
}

pub fn inspect(dir: &Path) -> Result<Inspection, DetectError> {
    if let Some(root) = super::find_root(dir) {
        return Ok(Inspection::Project { root });
    }
    if !dir.exists() {
        return Ok(Inspection::Missing);
    }
    let read = std::fs::read_dir(dir).map_err(|e| FsError::new("read folder", dir, e))?;
    let mut entries: Vec<String> = read
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !IGNORABLE.contains(&name.as_str()))
        .collect();
    entries.sort();
    if entries.is_empty() {
        return Ok(Inspection::Empty);
    }
    let package_json = dir.join("package.json");
    if package_json.is_file() {
        let text = std::fs::read_to_string(&package_json)
            .map_err(|e| FsError::new("read", &package_json, e))?;
        let package: Value = serde_json::from_str(&text).map_err(|e| {
            let offset = SourceOffset::from_location(&text, e.line(), e.column().max(1));
            PackageJsonError {
                path: package_json.clone(),
                message: e.to_string(),
                span: SourceSpan::new(offset, 0),
                src: NamedSource::new("package.json", text.clone()),
            }
        })?;
        if let Some(frontend) = detect_frontend(dir, &package) {
            return Ok(Inspection::Frontend(frontend));
        }
    }
    entries.truncate(5);
    Ok(Inspection::Other { entries })
}

fn has_dep(package: &Value, name: &str) -> bool {
    ["dependencies", "devDependencies", "peerDependencies"]
        .iter()
        .any(|section| package.get(section).and_then(|d| d.get(name)).is_some())
}

fn has_script(package: &Value, name: &str) -> bool {
    package
        .get("scripts")
        .and_then(|s| s.get(name))
        .is_some_and(Value::is_string)
}

/// `npm run x`, `yarn x`, `pnpm run x` or `bun run x`, by the lock file present.
fn run_command(dir: &Path, script: &str) -> String {
    if dir.join("yarn.lock").exists() {
        format!("yarn {script}")
    } else if dir.join("pnpm-lock.yaml").exists() {
        format!("pnpm run {script}")
    } else if dir.join("bun.lockb").exists() || dir.join("bun.lock").exists() {
        format!("bun run {script}")
    } else if script == "start" {
        "npm start".to_string()
    } else {
        format!("npm run {script}")
    }
}

/// The string value of `key: '...'` in a JavaScript or TypeScript config file.
fn config_string(dir: &Path, files: &[&str], key: &str) -> Option<String> {
    files.iter().find_map(|file| {
        let text = std::fs::read_to_string(dir.join(file)).ok()?;
        let at = text.find(key)?;
        let rest = text[at + key.len()..]
            .trim_start()
            .strip_prefix(':')?
            .trim_start();
        let quote = rest
            .chars()
            .next()
            .filter(|c| matches!(c, '\'' | '"' | '`'))?;
        let value = &rest[1..];
        value.find(quote).map(|end| value[..end].to_string())
    })
}

fn detect_frontend(dir: &Path, package: &Value) -> Option<DetectedFrontend> {
    let src_or_root = || {
        if dir.join("src").is_dir() {
            "src".to_string()
        } else {
            ".".to_string()
        }
    };
    let build = has_script(package, "build").then(|| run_command(dir, "build"));
    let start = if has_script(package, "dev") {
        Some(run_command(dir, "dev"))
    } else {
        has_script(package, "start").then(|| run_command(dir, "start"))
    };
    let vite_configs = [
        "vite.config.ts",
        "vite.config.js",
        "vite.config.mts",
        "vite.config.mjs",
    ];

    let (framework, tool, source_dir, dist_dir) = if has_dep(package, "expo") {
        (
            Framework::ReactNative,
            "Expo",
            src_or_root(),
            Some("dist".to_string()),
        )
    } else if has_dep(package, "react-native") {
        (Framework::ReactNative, "React Native", src_or_root(), None)
    } else if has_dep(package, "@angular/core") {
        let (source, dist) = angular_dirs(dir);
        (Framework::Angular, "Angular CLI", source, Some(dist))
    } else if has_dep(package, "next") {
        (
            Framework::React,
            "Next.js",
            src_or_root(),
            Some(".next".to_string()),
        )
    } else if has_dep(package, "nuxt") {
        (
            Framework::Vue,
            "Nuxt",
            ".".to_string(),
            Some(".output/public".to_string()),
        )
    } else if has_dep(package, "vue") {
        if has_dep(package, "@vue/cli-service") {
            (
                Framework::Vue,
                "Vue CLI",
                "src".to_string(),
                Some("dist".to_string()),
            )
        } else {
            let dist = config_string(dir, &vite_configs, "outDir").unwrap_or_else(|| "dist".into());
            (Framework::Vue, "Vite", "src".to_string(), Some(dist))
        }
    } else if has_dep(package, "react") {
        if has_dep(package, "react-scripts") {
            (
                Framework::React,
                "Create React App",
                "src".to_string(),
                Some("build".to_string()),
            )
        } else {
            let dist = config_string(dir, &vite_configs, "outDir").unwrap_or_else(|| "dist".into());
            (Framework::React, "Vite", "src".to_string(), Some(dist))
        }
    } else {
        return None;
    };
    Some(DetectedFrontend {
        framework,
        tool,
        source_dir,
        dist_dir,
        build_command: build,
        start_command: start,
    })
}

/// `sourceRoot` and the build `outputPath` of the first project in angular.json.
fn angular_dirs(dir: &Path) -> (String, String) {
    let defaults = ("src".to_string(), "dist".to_string());
    let Some(config) = std::fs::read_to_string(dir.join("angular.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
    else {
        return defaults;
    };
    let Some((name, project)) = config
        .get("projects")
        .and_then(Value::as_object)
        .and_then(|p| p.iter().next())
    else {
        return defaults;
    };
    let source = project
        .get("sourceRoot")
        .and_then(Value::as_str)
        .unwrap_or("src")
        .to_string();
    let output = project.pointer("/architect/build/options/outputPath");
    let dist = match output {
        Some(Value::String(s)) => s.clone(),
        // Angular 17+: `{ "base": "dist/app" }`, with the browser build under `browser/`
        Some(Value::Object(o)) => o
            .get("base")
            .and_then(Value::as_str)
            .map(|b| format!("{b}/browser"))
            .unwrap_or_else(|| format!("dist/{name}/browser")),
        _ => format!("dist/{name}"),
    };
    (source, dist)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, contents) in files {
            let path = dir.path().join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, contents).unwrap();
        }
        dir
    }

    fn frontend(files: &[(&str, &str)]) -> DetectedFrontend {
        let dir = folder(files);
        match inspect(dir.path()).unwrap() {
            Inspection::Frontend(f) => f,
            other => panic!("expected a frontend, got {other:?}"),
        }
    }

    #[test]
    fn empty_and_missing() {
        let dir = folder(&[(".git/HEAD", "ref")]);
        assert_eq!(inspect(dir.path()).unwrap(), Inspection::Empty);
        assert_eq!(
            inspect(&dir.path().join("new")).unwrap(),
            Inspection::Missing
        );
    }

    #[test]
    fn vite_react_with_custom_out_dir() {
        let f = frontend(&[
            (
                "package.json",
                r#"{"scripts":{"dev":"vite","build":"vite build"},"dependencies":{"react":"19"}}"#,
            ),
            (
                "vite.config.ts",
                "export default { build: { outDir: 'public-build' } }",
            ),
            ("src/main.tsx", ""),
        ]);
        assert_eq!(f.framework, Framework::React);
        assert_eq!(f.tool, "Vite");
        assert_eq!(f.dist_dir.as_deref(), Some("public-build"));
        assert_eq!(f.build_command.as_deref(), Some("npm run build"));
        assert_eq!(f.start_command.as_deref(), Some("npm run dev"));
    }

    #[test]
    fn create_react_app_with_yarn() {
        let f = frontend(&[
            (
                "package.json",
                r#"{"scripts":{"start":"react-scripts start","build":"react-scripts build"},
                    "dependencies":{"react":"18","react-scripts":"5"}}"#,
            ),
            ("yarn.lock", ""),
        ]);
        assert_eq!(
            (f.tool, f.dist_dir.as_deref()),
            ("Create React App", Some("build"))
        );
        assert_eq!(f.build_command.as_deref(), Some("yarn build"));
        assert_eq!(f.start_command.as_deref(), Some("yarn start"));
    }

    #[test]
    fn vue_angular_expo_next() {
        let vue = frontend(&[("package.json", r#"{"dependencies":{"vue":"3"}}"#)]);
        assert_eq!((vue.framework, vue.tool), (Framework::Vue, "Vite"));
        assert_eq!(vue.build_command, None);

        let angular = frontend(&[
            ("package.json", r#"{"dependencies":{"@angular/core":"20"}}"#),
            (
                "angular.json",
                r#"{"projects":{"shop":{"sourceRoot":"app/src","architect":{"build":{"options":{"outputPath":{"base":"out/shop"}}}}}}}"#,
            ),
        ]);
        assert_eq!(angular.framework, Framework::Angular);
        assert_eq!(angular.source_dir, "app/src");
        assert_eq!(angular.dist_dir.as_deref(), Some("out/shop/browser"));

        let expo = frontend(&[(
            "package.json",
            r#"{"dependencies":{"expo":"56","react-native":"0.85","react":"19"}}"#,
        )]);
        assert_eq!(
            (expo.framework, expo.tool, expo.source_dir.as_str()),
            (Framework::ReactNative, "Expo", ".")
        );

        let next = frontend(&[
            (
                "package.json",
                r#"{"dependencies":{"next":"16","react":"19"}}"#,
            ),
            ("src/app/page.tsx", ""),
        ]);
        assert_eq!(
            (next.framework, next.tool, next.source_dir.as_str()),
            (Framework::React, "Next.js", "src")
        );
    }

    #[test]
    fn other_folders_and_projects() {
        let dir = folder(&[
            ("notes.txt", ""),
            ("package.json", r#"{"dependencies":{"express":"5"}}"#),
        ]);
        assert_eq!(
            inspect(dir.path()).unwrap(),
            Inspection::Other {
                entries: vec!["notes.txt".into(), "package.json".into()]
            }
        );
        let dir = folder(&[("hoist.toml", ""), ("src/x", "")]);
        assert!(matches!(
            inspect(&dir.path().join("src")).unwrap(),
            Inspection::Project { .. }
        ));
    }

    #[test]
    fn broken_package_json_is_located() {
        let dir = folder(&[(
            "package.json",
            "{\n  \"name\": \"x\",\n  \"dependencies\": {\n}",
        )]);
        let err = inspect(dir.path()).unwrap_err();
        let DetectError::PackageJson(err) = err else {
            panic!("{err:?}")
        };
        assert!(err.message.contains("line 4"), "{}", err.message);
    }
}
