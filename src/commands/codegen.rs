//! `hoist codegen`: the api's TypeScript documents and types into the
//! frontend's source folder, and the model introspection into `amplify_outputs.json`.

use serde_json::json;

use crate::cli::GlobalArgs;
use crate::codegen::run_codegen;
use crate::error::FsError;
use crate::project::ProjectFile;
use crate::ui::Printer;

pub fn run(global: &GlobalArgs, printer: &Printer) -> Result<(), crate::Error> {
    let cwd =
        std::env::current_dir().map_err(|e| FsError::new("read the current folder", ".", e))?;
    let file = ProjectFile::discover(&cwd)?;
    let run = run_codegen(&file)?;
    if global.json {
        printer.data(&json!({
            "api": run.api,
            "dir": run.dir,
            "written": run.written,
            "unchanged": run.unchanged,
        }));
    }
    for path in &run.written {
        printer.detail(format!("wrote {path}"));
    }
    printer.success(format!(
        "Generated TypeScript for api `{}` in {}: {} written, {} unchanged",
        run.api,
        run.dir,
        run.written.len(),
        run.unchanged.len()
    ));
    Ok(())
}
