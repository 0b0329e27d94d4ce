//! `hoist synth`: write the CloudFormation of an environment to `.hoist/build/<env>/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use miette::Diagnostic;
use thiserror::Error;

use crate::cli::GlobalArgs;
use crate::error::FsError;
use crate::project::{self, ProjectFile, state};
use crate::synth::{self, Build, Override, Sources};
use crate::ui::Printer;

#[derive(Debug, Error, Diagnostic)]
pub enum EnvError {
    #[error("no environment is chosen, and this project has {count}")]
    #[diagnostic(
        code(hoist::env::none_chosen),
        help("pass `--env NAME` (one of {known}), or choose one with `hoist env checkout NAME`")
    )]
    NoneChosen { count: usize, known: String },
}

/// The environment a command works on: `--env`, else `.hoist/current-env`, else the only one.
pub fn resolve_env(file: &ProjectFile, flag: Option<&str>) -> Result<String, crate::Error> {
    if let Some(env) = flag {
        return Ok(env.to_string());
    }
    if let Some(env) = state::read_current_env(file.root())? {
        return Ok(env);
    }
    let envs: Vec<&String> = file.manifest.env.keys().collect();
    match envs.as_slice() {
        [only] => Ok((*only).clone()),
        _ => Err(EnvError::NoneChosen {
            count: envs.len(),
            known: envs
                .iter()
                .map(|e| format!("`{e}`"))
                .collect::<Vec<_>>()
                .join(", "),
        }
        .into()),
    }
}

fn read_optional(root: &Path, rel: &Path) -> Result<Option<String>, crate::Error> {
    let path = root.join(rel);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(FsError::new("read", path, e).into()),
    }
}

/// What synthesis reads from `hoist/`: every resource's `override.json`, every
/// api's `schema.graphql` and the resolvers in its `resolvers/` folder.
pub fn read_sources(file: &ProjectFile) -> Result<Sources, crate::Error> {
    let m = &file.manifest;
    let resources = m
        .auth
        .keys()
        .map(|n| ("auth", n))
        .chain(m.api.keys().map(|n| ("api", n)))
        .chain(m.storage.keys().map(|n| ("storage", n)));
    let mut sources = Sources::default();
    for (category, name) in resources {
        let rel: PathBuf = ["hoist", category, name, "override.json"].iter().collect();
        if let Some(text) = read_optional(file.root(), &rel)? {
            sources.overrides.insert(
                (category.to_string(), name.clone()),
                Override { path: rel, text },
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
    Ok(sources)
}

/// An api's schema files: `schema.graphql`, and (Amplify's other layout) the
/// `.graphql` files of a `schema/` folder, in name order.
pub fn read_schema(root: &Path, name: &str) -> Result<Vec<Override>, crate::Error> {
    let rel: PathBuf = ["hoist", "api", name, "schema.graphql"].iter().collect();
    let mut schema = Vec::new();
    if let Some(text) = read_optional(root, &rel)? {
        schema.push(Override { path: rel, text });
    }
    // Amplify's other layout: a `schema/` folder of `.graphql` files, read in name order.
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
                schema.push(Override { path: rel, text });
            }
        }
    }
    Ok(schema)
}

pub fn build_dir(root: &Path, env: &str) -> PathBuf {
    root.join(state::STATE_DIR).join("build").join(env)
}

/// Synthesize `env` and write its build folder.
pub fn synth_env(file: &ProjectFile, env: &str) -> Result<Build, crate::Error> {
    let sources = read_sources(file)?;
    let build = synth::synth(&file.manifest, env, &sources)?;
    project::replace_dir(&build_dir(file.root(), env), &build.files)?;
    Ok(build)
}

pub fn run(
    env: Option<&str>,
    no_codegen: bool,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), crate::Error> {
    let cwd =
        std::env::current_dir().map_err(|e| FsError::new("read the current folder", ".", e))?;
    let file = ProjectFile::discover(&cwd)?;
    let env = resolve_env(&file, env)?;
    let build = synth_env(&file, &env)?;
    let dir = build_dir(file.root(), &env);
    let shown = dir
        .strip_prefix(file.root())
        .unwrap_or(&dir)
        .display()
        .to_string();
    if global.json {
        printer.data(&serde_json::json!({
            "env": build.env,
            "region": build.region,
            "stack_name": build.stack_name,
            "dir": shown,
            "stacks": build.stacks.iter().map(|s| serde_json::json!({
                "category": s.category, "name": s.name, "template": s.template_file, "sha256": s.sha256
            })).collect::<Vec<_>>(),
        }));
    }
    printer.success(format!(
        "Synthesized `{}` ({} in {}) into {shown}",
        build.stack_name, env, build.region
    ));
    printer.info(format!("  {}  root stack", synth::ROOT_TEMPLATE));
    for stack in &build.stacks {
        printer.info(format!(
            "  {}  {} `{}`",
            stack.template_file, stack.category, stack.name
        ));
    }
    if build.stacks.is_empty() {
        printer.info("  (no resources yet: `hoist add auth` adds the first)");
    }
    for (param, source) in &build.secrets {
        printer.detail(format!("{param} is read at deploy time from {source:?}"));
    }
    if !no_codegen && super::codegen::runs_automatically(&file) {
        let run = super::codegen::run_codegen(&file)?;
        super::codegen::report_step(&run, printer);
    }
    Ok(())
}
