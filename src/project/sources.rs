//! What a project keeps besides `hoist.toml` and synthesis reads: each
//! resource's `override.json`, each api's schema files and its own resolvers
//! (the layout is `hoist/<category>/<name>/`, as in docs/hoist-toml.md).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::ProjectFile;
use crate::error::FsError;

/// One source file: its path from the project's root, and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
}

/// What synthesis reads besides hoist.toml: each resource's override, each
/// api's schema and its user-written resolvers.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// `(category, name)` to the resource's JSON Patch (RFC 6902).
    pub overrides: BTreeMap<(String, String), SourceFile>,
    /// api name to its schema: `schema.graphql`, or the files of its `schema/` folder.
    pub schemas: BTreeMap<String, Vec<SourceFile>>,
    /// api name to its resolver files (file name to code) that replace generated ones.
    pub resolvers: BTreeMap<String, BTreeMap<String, String>>,
    /// function name to the hash of its source (absent when its folder is).
    pub functions: BTreeMap<String, String>,
    /// workflow name to its definition's text (absent when the file is).
    pub workflows: BTreeMap<String, String>,
}

fn read_optional(root: &Path, rel: &Path) -> Result<Option<String>, FsError> {
    let path = root.join(rel);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(FsError::new("read", path, e)),
    }
}

/// Read every resource's `override.json`, every api's `schema.graphql` and the
/// `.js` files of its `resolvers/` folder, and hash every function's source.
/// A missing file is no error; an unreadable one is an [`FsError`] naming it;
/// a function's source too large to hash is a build error.
pub fn read_sources(file: &ProjectFile) -> Result<Sources, crate::Error> {
    let m = &file.manifest;
    let resources = m
        .auth
        .keys()
        .map(|n| ("auth", n))
        .chain(m.api.keys().map(|n| ("api", n)))
        .chain(m.storage.keys().map(|n| ("storage", n)))
        .chain(m.function.keys().map(|n| ("function", n)))
        .chain(m.workflow.keys().map(|n| ("workflow", n)));
    let mut sources = Sources::default();
    for (category, name) in resources {
        let rel: PathBuf = ["hoist", category, name, "override.json"].iter().collect();
        if let Some(text) = read_optional(file.root(), &rel)? {
            sources.overrides.insert(
                (category.to_string(), name.clone()),
                SourceFile { path: rel, text },
            );
        }
    }
    for name in m.api.keys() {
        let schema = read_schema(file.root(), name)?;
        if !schema.is_empty() {
            sources.schemas.insert(name.clone(), schema);
        }
        let dir = file
            .root()
            .join("hoist")
            .join("api")
            .join(name)
            .join("resolvers");
        if let Ok(entries) = std::fs::read_dir(&dir) {
            let mut resolvers = BTreeMap::new();
            for entry in entries.flatten() {
                let file_name = entry.file_name().to_string_lossy().into_owned();
                if file_name.ends_with(".js") {
                    let text = std::fs::read_to_string(entry.path())
                        .map_err(|e| FsError::new("read", entry.path(), e))?;
                    resolvers.insert(file_name, text);
                }
            }
            sources.resolvers.insert(name.clone(), resolvers);
        }
    }
    for (name, cfg) in &m.function {
        use crate::category::function::build::{BuildError, source_hash};
        match source_hash(file.root(), name, cfg) {
            Ok(hash) => {
                sources.functions.insert(name.clone(), hash);
            }
            // synthesis names the missing folder
            Err(BuildError::NoSource { .. }) => {}
            Err(other) => return Err(other.into()),
        }
    }
    for name in m.workflow.keys() {
        let rel = crate::category::workflow::definition_path(name);
        if let Some(text) = read_optional(file.root(), &rel)? {
            sources.workflows.insert(name.clone(), text);
        }
    }
    Ok(sources)
}

/// An api's schema files: `schema.graphql`, and (Amplify's other layout) the
/// `.graphql` files of a `schema/` folder, in name order. Empty when it has none.
pub fn read_schema(root: &Path, name: &str) -> Result<Vec<SourceFile>, FsError> {
    let rel: PathBuf = ["hoist", "api", name, "schema.graphql"].iter().collect();
    let mut schema = Vec::new();
    if let Some(text) = read_optional(root, &rel)? {
        schema.push(SourceFile { path: rel, text });
    }
    let folder: PathBuf = ["hoist", "api", name, "schema"].iter().collect();
    if let Ok(entries) = std::fs::read_dir(root.join(&folder)) {
        let mut names: Vec<String> = entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".graphql"))
            .collect();
        names.sort();
        for n in names {
            let rel = folder.join(&n);
            if let Some(text) = read_optional(root, &rel)? {
                schema.push(SourceFile { path: rel, text });
            }
        }
    }
    Ok(schema)
}
