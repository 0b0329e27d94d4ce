//! `hoist workflow validate | graph | run`: Step Functions definitions, offline.

use std::path::Path;

use serde_json::{Value, json};

use crate::cli::{GlobalArgs, GraphFormat, WorkflowCommand};
use crate::error::FsError;
use crate::ui::Printer;
use crate::workflow::tree::Machine;
use crate::workflow::validate::{self, Findings, Severity};
use crate::workflow::{Definition, WorkflowError, graph, run};

fn read(path: &Path) -> Result<String, crate::Error> {
    std::fs::read_to_string(path).map_err(|e| FsError::new("read", path, e).into())
}

fn load(path: &Path) -> Result<Definition, crate::Error> {
    let text = read(path)?;
    Definition::parse(&text, &path.display().to_string()).map_err(|e| WorkflowError::Json(e).into())
}

fn json_arg(text: &str, what: &str) -> Result<Value, crate::Error> {
    let (what, text) = match text.strip_prefix('@') {
        Some(file) => (format!("`{file}`"), read(Path::new(file))?),
        None => (what.to_string(), text.to_string()),
    };
    serde_json::from_str(&text).map_err(|e| {
        WorkflowError::BadJson {
            what,
            message: e.to_string(),
        }
        .into()
    })
}

/// Validate first: a definition with errors is not drawn or run. The tree of
/// the definition, once its warnings are printed.
fn checked(definition: &Definition, printer: &Printer) -> Result<Machine, crate::Error> {
    let (machine, findings) = crate::workflow::compile(definition)?;
    warn(definition, &findings, printer);
    Ok(machine)
}

/// Print warnings, each at its place (no errors among them); none with `-q`
/// or `--json`.
fn warn(definition: &Definition, findings: &[validate::Finding], printer: &Printer) {
    if printer.json() || printer.quiet() {
        return;
    }
    let report = Findings::new(definition, findings);
    for finding in report.findings {
        printer.report(
            &miette::Report::new(finding).with_source_code(miette::NamedSource::new(
                &definition.path,
                definition.text.clone(),
            )),
        );
    }
}

pub fn run(
    command: WorkflowCommand,
    _global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), crate::Error> {
    if super::workflow_remote::run(&command, printer)? {
        return Ok(());
    }
    match command {
        // the deployed workflows' commands, run above
        WorkflowCommand::List { .. }
        | WorkflowCommand::Start { .. }
        | WorkflowCommand::Describe { .. }
        | WorkflowCommand::History { .. }
        | WorkflowCommand::Stop { .. }
        | WorkflowCommand::SendSuccess { .. }
        | WorkflowCommand::SendFailure { .. }
        | WorkflowCommand::SendHeartbeat { .. } => Ok(()),
        WorkflowCommand::Validate { file } => {
            let definition = load(&file)?;
            let findings = validate::validate(&definition);
            let errors = findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .count();
            if printer.json() {
                let list: Vec<Value> = findings
                    .iter()
                    .map(|f| {
                        let (line, column) = definition
                            .span(&f.pointer, f.key)
                            .map(|s| definition.line_col(s.offset()))
                            .unwrap_or((1, 1));
                        json!({ "severity": f.severity, "pointer": f.pointer, "line": line, "column": column, "message": f.message, "help": f.help })
                    })
                    .collect();
                printer.data(&json!({ "file": file.display().to_string(), "valid": errors == 0, "findings": list }));
            }
            if errors > 0 {
                return Err(WorkflowError::Invalid(Box::new(Findings::new(
                    &definition,
                    &findings,
                )))
                .into());
            }
            if !printer.json() {
                warn(&definition, &findings, printer);
                printer.success(format!("`{}` is a valid state machine", file.display()));
            }
            Ok(())
        }
        WorkflowCommand::Graph {
            file,
            format,
            execution,
            output,
            at,
        } => {
            // a workflow of the project, by name, when no such file is there
            let workflow = (!file.exists())
                .then(|| file.to_str())
                .flatten()
                .and_then(super::workflow_remote::project_workflow);
            let path = match &workflow {
                Some((root, name)) => root.join(crate::category::workflow::definition_path(name)),
                None => file.clone(),
            };
            let definition = load(&path)?;
            let machine = checked(&definition, printer)?;
            let marks = match (&execution, &workflow) {
                // an execution of the environment's (or the sandbox's) machine
                (Some(name), Some((_, workflow))) if !name.exists() => {
                    graph::marks(&super::workflow_remote::history_of(
                        workflow,
                        &name.display().to_string(),
                        &at,
                    )?)
                }
                (Some(history), _) => graph::marks(&json_arg(
                    &format!("@{}", history.display()),
                    "the history",
                )?),
                (None, _) => Default::default(),
            };
            let g = graph::build(&machine);
            let bytes = match format {
                GraphFormat::Mermaid => graph::mermaid(&g, &marks).into_bytes(),
                GraphFormat::Dot => graph::dot(&g, &marks, false).into_bytes(),
                GraphFormat::Svg => graph::svg(&g, &marks)
                    .map_err(WorkflowError::Graph)?
                    .into_bytes(),
                GraphFormat::Png => {
                    if output.is_none() {
                        return Err(WorkflowError::PngNeedsFile.into());
                    }
                    let svg = graph::svg(&g, &marks).map_err(WorkflowError::Graph)?;
                    graph::png(&svg).map_err(WorkflowError::Graph)?
                }
            };
            match output {
                Some(path) => {
                    crate::project::write_atomic(&path, &bytes)?;
                    printer.success(format!("Wrote `{}`", path.display()));
                }
                None => {
                    use std::io::Write;
                    let _ = std::io::stdout().lock().write_all(&bytes);
                }
            }
            Ok(())
        }
        WorkflowCommand::Run {
            file,
            input,
            mocks,
            test_case,
            real_time,
            history,
            seed,
            name,
            express,
        } => {
            let definition = load(&file)?;
            let machine = checked(&definition, printer)?;
            let input = json_arg(&input, "--input")?;
            let mocks = match &mocks {
                Some(path) => run::Mocks::parse(
                    &json_arg(&format!("@{}", path.display()), "the mock file")?,
                    test_case.as_deref(),
                )
                .map_err(WorkflowError::Run)?,
                None => run::Mocks::default(),
            };
            let options = run::Options {
                real_time,
                seed,
                name,
                express,
                history: history.is_some(),
                ..run::Options::default()
            };
            let outcome =
                run::run(&machine, input, &mocks, &options).map_err(WorkflowError::Run)?;
            if let Some(path) = &history {
                let text = serde_json::to_string_pretty(&json!({ "events": outcome.history }))
                    .map_err(|e| crate::Error::Internal(e.to_string()))?;
                crate::project::write_atomic(path, text.as_bytes())?;
            }
            if printer.json() {
                printer.data(
                    &serde_json::to_value(&outcome)
                        .map_err(|e| crate::Error::Internal(e.to_string()))?,
                );
            } else if let Some(output) = &outcome.output {
                printer.data(output);
            }
            if outcome.status == run::Status::Succeeded {
                return Ok(());
            }
            // where it failed: the state, at its line and column in the file
            let at = match &outcome.failed_state {
                Some((state, pointer)) => {
                    let (line, column) = definition
                        .span(pointer, true)
                        .map(|s| definition.line_col(s.offset()))
                        .unwrap_or((1, 1));
                    format!(
                        " in the state `{state}` ({}:{line}:{column})",
                        file.display()
                    )
                }
                None => String::new(),
            };
            Err(WorkflowError::Execution {
                status: match outcome.status {
                    run::Status::TimedOut => "timed out".into(),
                    _ => "failed".into(),
                },
                at,
                error: outcome.error.unwrap_or_else(|| "no error name".into()),
                cause: outcome.cause.unwrap_or_else(|| "(no cause)".into()),
            }
            .into())
        }
    }
}
