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
    for (param, source) in &build.secrets {
        printer.detail(format!("{param} is read at deploy time from {source:?}"));
    }
    if !no_codegen && codegen::runs_automatically(&file) {
        crate::ui::codegen_step(&codegen::run_codegen(&file)?, printer);
    }
    Ok(())
}
