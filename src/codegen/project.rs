//! Codegen for a project: the api's TypeScript documents and types into the
//! frontend's source folder, and the model introspection into an existing
//! `amplify_outputs.json` (what `hoist codegen`, `synth` and `push` run).

use std::path::{Path, PathBuf};

use super::CodegenError;
use crate::error::FsError;
use crate::outputs;
use crate::project::{self, Framework, ProjectFile};

/// What one codegen run did.
#[derive(Debug)]
pub struct CodegenRun {
    pub api: String,
    /// The output folder, from the project's root.
    pub dir: String,
    /// Files written because their content changed, from the project's root.
    pub written: Vec<String>,
    /// Files already up to date.
    pub unchanged: Vec<String>,
}

/// The api codegen is for: `[codegen] api`, else the project's first.
fn chosen_api(file: &ProjectFile) -> Option<String> {
    let m = &file.manifest;
    m.codegen
        .as_ref()
        .and_then(|c| c.api.clone())
        .or_else(|| m.api.keys().next().cloned())
}

/// The output folder, from the project's root.
pub fn output_dir(file: &ProjectFile) -> String {
    if let Some(dir) = file
        .manifest
        .codegen
        .as_ref()
        .and_then(|c| c.output_dir.clone())
    {
        return dir.trim_end_matches('/').to_string();
    }
    match file.manifest.project.source_dir.trim_end_matches('/') {
        "" | "." => "graphql".to_string(),
        dir => format!("{dir}/graphql"),
    }
}

/// The transformed api, as codegen and the outputs read it.
pub fn transform_api(
    file: &ProjectFile,
    name: &str,
) -> Result<(crate::transform::Output, Vec<PathBuf>), crate::Error> {
    let cfg = file.manifest.api.get(name).ok_or(CodegenError::NoApi)?;
    let schema = crate::project::read_schema(file.root(), name)?;
    let output = crate::category::api::transform(
        name,
        cfg,
        &schema,
        crate::category::function::access::admits_functions(&file.manifest, name),
    )?;
    Ok((output, schema.into_iter().map(|f| f.path).collect()))
}

/// The model introspection of the project's api for `amplify_outputs.json`
/// (`None` without an api).
pub fn introspection(file: &ProjectFile) -> Result<Option<serde_json::Value>, crate::Error> {
    let Some(api) = file.manifest.api.keys().next().cloned() else {
        return Ok(None);
    };
    let (output, _) = transform_api(file, &api)?;
    let schema = super::parse_schema(&api, &output.sdl)?;
    Ok(Some(super::model_introspection(&output, &schema)))
}

/// Whether `synth` and `push` run codegen for this project by themselves.
pub fn runs_automatically(file: &ProjectFile) -> bool {
    let m = &file.manifest;
    if m.api.is_empty() {
        return false;
    }
    match m.codegen.as_ref().and_then(|c| c.enabled) {
        Some(enabled) => enabled,
        // A backend-only project gets code only when it asks for it.
        None => m.project.frontend != Framework::None || m.codegen.is_some(),
    }
}

/// Generate and write what changed.
pub fn run_codegen(file: &ProjectFile) -> Result<CodegenRun, crate::Error> {
    let api = chosen_api(file).ok_or(CodegenError::NoApi)?;
    let (output, sources) = transform_api(file, &api)?;
    let schema = super::parse_schema(&api, &output.sdl)?;
    let label = match sources.as_slice() {
        [one] => one.display().to_string().replace('\\', "/"),
        _ => format!("hoist/api/{api}/schema/"),
    };
    let depth = file
        .manifest
        .codegen
        .as_ref()
        .and_then(|c| c.max_depth)
        .map(|d| d as usize)
        .unwrap_or(super::DEFAULT_MAX_DEPTH);
    let files = super::generate(&schema, &label, depth);
    let dir = output_dir(file);
    let mut run = CodegenRun {
        api: api.clone(),
        dir: dir.clone(),
        written: Vec::new(),
        unchanged: Vec::new(),
    };
    for (name, text) in &files {
        let rel = format!("{dir}/{name}");
        if write_if_changed(&file.root().join(&rel), text.as_bytes())? {
            run.written.push(rel);
        } else {
            run.unchanged.push(rel);
        }
    }

    // Keep the introspection of a deployed api's outputs in step with the schema.
    let outputs_rel = match file.manifest.project.source_dir.trim_end_matches('/') {
        "" | "." => outputs::OUTPUTS_FILE.to_string(),
        dir => format!("{dir}/{}", outputs::OUTPUTS_FILE),
    };
    let outputs_path = file.root().join(&outputs_rel);
    if let Ok(text) = std::fs::read_to_string(&outputs_path)
        && let Ok(mut value) = serde_json::from_str::<serde_json::Value>(&text)
        && value.get("data").is_some_and(|d| d.is_object())
        && api == file.manifest.api.keys().next().cloned().unwrap_or_default()
    {
        value["data"]["model_introspection"] = super::model_introspection(&output, &schema);
        if write_if_changed(&outputs_path, &outputs::to_file_contents(&value))? {
            run.written.push(outputs_rel);
        }
    }
    Ok(run)
}

fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<bool, FsError> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(false);
    }
    project::write_atomic(path, bytes)?;
    Ok(true)
}
