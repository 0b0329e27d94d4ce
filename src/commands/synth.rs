//! `hoist synth`: write the CloudFormation of an environment to `.hoist/build/<env>/`.

use crate::cli::GlobalArgs;
use crate::codegen;
use crate::deploy::local::{build_dir, synth_env};
use crate::error::FsError;
use crate::project::ProjectFile;
use crate::settings::resolve_env;
use crate::synth;
use crate::ui::Printer;

pub fn run(
    env: Option<&str>,
    no_codegen: bool,
    resolvers: bool,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), crate::Error> {
    let cwd =
        std::env::current_dir().map_err(|e| FsError::new("read the current folder", ".", e))?;
    let file = ProjectFile::discover(&cwd)?;
    let env = resolve_env(&file, env)?;
    let build = synth_env(&file, &env)?;
    for warning in &build.warnings {
        printer.warn(warning);
    }
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
            "warnings": build.warnings,
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
    if resolvers {
        let written = write_resolvers(&file, &dir)?;
        printer.info(format!(
            "  {written} code files to read under {shown}/api-<name>/"
        ));
    }
    for (param, source) in &build.secrets {
        printer.detail(format!("{param} is read at deploy time from {source:?}"));
    }
    if !no_codegen && codegen::runs_automatically(&file) {
        crate::ui::codegen_step(&codegen::run_codegen(&file)?, printer);
    }
    Ok(())
}

/// Write every api's inline code as files into the build folder `dir`
/// ([`crate::category::api::readable_code`]); returns how many.
fn write_resolvers(file: &ProjectFile, dir: &std::path::Path) -> Result<usize, crate::Error> {
    let sources = crate::project::read_sources(file)?;
    let mut count = 0;
    for (name, cfg) in &file.manifest.api {
        let admits = crate::category::function::access::admits_functions(&file.manifest, name);
        let files = crate::category::api::readable_code(name, cfg, &sources, admits)?;
        let mut made = std::collections::BTreeSet::new();
        for (rel, code) in &files {
            let path = dir.join(rel);
            if let Some(parent) = path.parent()
                && made.insert(parent.to_path_buf())
            {
                std::fs::create_dir_all(parent)
                    .map_err(|e| FsError::new("create folder", parent, e))?;
            }
            std::fs::write(&path, code).map_err(|e| FsError::new("write", &path, e))?;
            count += 1;
        }
    }
    Ok(count)
}
