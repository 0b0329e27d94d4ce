//! `hoist add workflow [NAME]`: a state machine from a blueprint, with the
//! functions its Tasks call, checked with the engine and against the project
//! before anything is written.

use crate::category::function::{self, FunctionConfig, Language};
use crate::category::workflow::blueprint::Blueprint;
use crate::category::workflow::triggers::{ApiAuth, Trigger};
use crate::category::workflow::{self, MachineType, WorkflowConfig, refs};
use crate::category::{Category, ResourceError};
use crate::cli::{GlobalArgs, WorkflowOptions};
use crate::error::FsError;
use crate::project::{ProjectFile, set_resource, to_table};
use crate::prompt::{Inputs, Question};
use crate::ui::Printer;

use super::resources::{report_change, save};

/// Adds `[workflow.NAME]`, its definition and the blueprint's functions
/// (`[function.<name>]` and their sources). Refused before anything is
/// written when a name is taken, a folder is in the way, or the definition
/// does not hold for this project (an Express machine that must wait, ...);
/// if hoist.toml cannot be written, the new files are removed again.
pub fn add(
    file: &ProjectFile,
    name: Option<String>,
    options: &WorkflowOptions,
    inputs: &mut Inputs,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), crate::Error> {
    let name = inputs.text(
        Question {
            key: "name",
            prompt: "Workflow name",
            default: Some("orders".into()),
        },
        name,
        workflow::validate_name,
    )?;
    if let Some(other) = file
        .manifest
        .workflow
        .keys()
        .find(|w| w.eq_ignore_ascii_case(&name))
    {
        return Err(ResourceError::Exists {
            category: Category::Workflow,
            name: other.clone(),
            help: if *other == name {
                "choose another name, or edit its definition".to_string()
            } else {
                format!("`{name}` differs from it only in case, and their stacks would be one: choose another name")
            },
        }
        .into());
    }
    let folder = workflow::definition_path(&name)
        .parent()
        .map(|p| p.to_path_buf())
        .unwrap_or_default();
    if file.root().join(&folder).exists() {
        return Err(ResourceError::SourceExists {
            name: name.clone(),
            path: folder.display().to_string(),
        }
        .into());
    }
    let blueprint = inputs.choice(
        Question {
            key: "blueprint",
            prompt: "Blueprint",
            default: None,
        },
        options.blueprint,
        &Blueprint::ALL,
        Blueprint::Blank,
    )?;
    let machine_type = inputs.choice(
        Question {
            key: "type",
            prompt: "Type",
            default: None,
        },
        options.machine_type,
        &[MachineType::Standard, MachineType::Express],
        MachineType::Standard,
    )?;
    // the bucket a blueprint reads and writes: the project's storage
    let storage = if blueprint.needs_storage() {
        let Some(first) = file.manifest.storage.keys().next() else {
            return Err(ResourceError::BadFlag {
                flag: "blueprint",
                message: format!(
                    "the {} blueprint reads and writes the storage bucket, and the project has no storage",
                    blueprint.as_str()
                ),
                help: "add it first (`hoist add storage`), or start from `--blueprint blank`".into(),
            }
            .into());
        };
        Some(first.as_str())
    } else {
        None
    };
    let mut cfg = blueprint.config();
    cfg.machine_type = machine_type;
    if let Some(level) = options.log_level {
        cfg.log_level = level;
    }
    let warnings = add_starters_and_triggers(&mut cfg, options, file.manifest.auth.is_empty())?;

    // the blueprint's functions: none may be there already
    let functions = blueprint.functions();
    for (function, _) in &functions {
        if let Some(other) = file
            .manifest
            .function
            .keys()
            .find(|f| f.eq_ignore_ascii_case(function))
        {
            return Err(ResourceError::BadFlag {
                flag: "blueprint",
                message: format!(
                    "the {} blueprint adds the function `{function}`, and the project has `{other}`",
                    blueprint.as_str()
                ),
                help: format!("remove it first (`hoist remove function {other}`), or start from `--blueprint blank` and call your own functions"),
            }
            .into());
        }
        let dir = function::build::source_dir(function);
        if file.root().join(&dir).exists() {
            return Err(ResourceError::SourceExists {
                name: function.to_string(),
                path: dir.display().to_string(),
            }
            .into());
        }
    }

    // the definition, as synthesis will check it
    let path = workflow::definition_path(&name).display().to_string();
    let text = blueprint.definition(storage);
    let text = text.as_str();
    let scope = refs::Scope {
        name: &name,
        cfg: &cfg,
        functions: file
            .manifest
            .function
            .keys()
            .map(String::as_str)
            .chain(functions.iter().map(|(f, _)| *f))
            .collect(),
        workflows: file
            .manifest
            .workflow
            .keys()
            .map(String::as_str)
            .chain([name.as_str()])
            .collect(),
        storages: file.manifest.storage.keys().map(String::as_str).collect(),
        api: file.manifest.api.keys().next().map(String::as_str),
    };
    workflow::stack::checked(text, &path, &scope)?;

    // write the sources, then hoist.toml; undo the sources if that fails
    let mut written = Vec::new();
    let result = (|| -> Result<(), crate::Error> {
        let runtime = Language::Node.newest_runtime();
        let mut configs = Vec::new();
        for (function, own) in &functions {
            let files = function::scaffold::files_with(function, runtime, Some(own))
                .map_err(|e| crate::Error::Internal(e.to_string()))?;
            let dir = file.root().join(function::build::source_dir(function));
            super::function::write_source(&dir, &files)?;
            written.push(dir);
            configs.push((
                function.to_string(),
                to_table(&FunctionConfig::new(runtime))?,
            ));
        }
        let dir = file.root().join(&folder);
        std::fs::create_dir_all(&dir).map_err(|e| FsError::new("create", &dir, e))?;
        written.push(dir.clone());
        let target = file.root().join(workflow::definition_path(&name));
        crate::project::write_atomic(&target, text.as_bytes())?;
        for (path, bytes) in blueprint.extra_files() {
            let target = dir.join(&path);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|e| FsError::new("create", parent, e))?;
            }
            crate::project::write_atomic(&target, bytes)?;
        }
        let item = to_table(&cfg)?;
        save(file, |doc| {
            for (function, table) in configs {
                set_resource(doc, Category::Function, &function, table);
            }
            set_resource(doc, Category::Workflow, &name, item);
        })?;
        Ok(())
    })();
    if let Err(err) = result {
        for dir in written {
            let _ = std::fs::remove_dir_all(dir);
        }
        return Err(err);
    }
    for (function, _) in &functions {
        // as `hoist add function` does: the lockfile is part of the source
        printer.info(format!(
            "Installing the dependencies of `{function}` (npm install) ..."
        ));
        if let Err(err) = function::build::npm_install(file.root(), function) {
            printer.warn(format!(
                "{err}\n  run `npm install` in {} before building it",
                function::build::source_dir(function).display()
            ));
        }
    }
    report_change(printer, global, "Added", Category::Workflow, &name);
    for warning in warnings {
        printer.warn(warning);
    }
    printer.info(format!(
        "  its definition: {path} ({}, {})",
        blueprint.as_str(),
        cfg.machine_type.cfn().to_ascii_lowercase()
    ));
    for (function, _) in &functions {
        printer.info(format!(
            "  the function `{function}`: {}/",
            function::build::source_dir(function).display()
        ));
    }
    if let Some(storage) = storage {
        printer.info(format!(
            "  its bucket: the storage `{storage}`{}",
            if file.manifest.storage.len() > 1 {
                format!(" (the project has {}: change `${{bucket:{storage}}}` in the definition to use another)", file.manifest.storage.len())
            } else {
                String::new()
            }
        ));
    }
    if !blueprint.extra_files().is_empty() {
        printer.info(format!(
            "  its worker: {}/worker/ (run it where the work happens: see worker.py)",
            folder.display()
        ));
    }
    printer.command_hint(
        &format!("hoist workflow graph {path} --format svg -o {name}.svg"),
        "draw it",
    );
    Ok(())
}

/// `--start-by` and the triggers' flags into `cfg`, checked; the warnings
/// they call for, to print once the change is written.
fn add_starters_and_triggers(
    cfg: &mut WorkflowConfig,
    options: &WorkflowOptions,
    no_auth: bool,
) -> Result<Vec<&'static str>, crate::Error> {
    let mut warnings = Vec::new();
    for text in &options.start_by {
        workflow::Starter::parse(text).map_err(|why| ResourceError::BadFlag {
            flag: "start-by",
            message: why,
            help: "`signed-in` (users of the user pool), `guests` (with auth's guest access) or `group:Admins`".into(),
        })?;
        if !cfg.start_by.contains(text) {
            cfg.start_by.push(text.clone());
        }
        if text == "guests" {
            warnings.push(
                "`guests` lets anyone who loads the app start this workflow, with any input: make sure what it does is safe for strangers to trigger",
            );
        }
    }
    add_triggers(cfg, options, no_auth)?;
    if cfg.api.is_some() && cfg.machine_type == MachineType::Express {
        warnings.push(
            "the endpoint waits for the Express execution's end, and API Gateway gives up after 29 seconds: keep what it runs short",
        );
    }
    Ok(warnings)
}

/// `hoist update workflow [NAME]`: its type and log level set, who starts it
/// and its triggers added or removed; the definition is checked against the
/// new settings (an Express workflow cannot wait) and hoist.toml against
/// the project before anything is written.
pub fn update(
    file: &ProjectFile,
    name: Option<&str>,
    options: &WorkflowOptions,
    removals: &crate::cli::WorkflowRemovals,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), crate::Error> {
    use super::resources::{existing_name, unknown};
    let name = existing_name(file, "update", Category::Workflow, name)?;
    let mut cfg = file
        .manifest
        .workflow
        .get(&name)
        .cloned()
        .ok_or_else(|| unknown(file, Category::Workflow, &name))?;
    if options.blueprint.is_some() {
        return Err(ResourceError::BadFlag {
            flag: "blueprint",
            message: "a blueprint only starts a new workflow".into(),
            help: format!(
                "edit {} instead",
                workflow::definition_path(&name).display()
            ),
        }
        .into());
    }
    if let Some(machine_type) = options.machine_type {
        cfg.machine_type = machine_type;
    }
    if let Some(level) = options.log_level {
        cfg.log_level = level;
    }
    // what is taken away must be there
    let remove = |list: &mut Vec<String>, gone: &[String], flag: &'static str| {
        for text in gone {
            let Some(i) = list.iter().position(|t| t == text) else {
                return Err(ResourceError::BadFlag {
                    flag,
                    message: format!("`{text}` is not one of the workflow's"),
                    help: if list.is_empty() {
                        "it has none".to_string()
                    } else {
                        format!("it has: {}", list.join(", "))
                    },
                });
            };
            list.remove(i);
        }
        Ok(())
    };
    remove(
        &mut cfg.start_by,
        &removals.remove_start_by,
        "remove-start-by",
    )?;
    remove(
        &mut cfg.schedules,
        &removals.remove_schedule,
        "remove-schedule",
    )?;
    remove(
        &mut cfg.events,
        &removals.remove_event_pattern,
        "remove-event-pattern",
    )?;
    if removals.no_api {
        if options.trigger.contains(&Trigger::Api) {
            return Err(ResourceError::BadFlag {
                flag: "no-api",
                message: "`--no-api` removes the endpoint `--trigger api` asks for".into(),
                help: "give one of them".into(),
            }
            .into());
        }
        if cfg.api.is_none() {
            return Err(ResourceError::BadFlag {
                flag: "no-api",
                message: format!("the workflow `{name}` has no REST endpoint"),
                help: "nothing to remove".into(),
            }
            .into());
        }
        cfg.api = None;
    }
    let warnings = add_starters_and_triggers(&mut cfg, options, file.manifest.auth.is_empty())?;

    // the definition, as synthesis will check it with the new settings
    let path = workflow::definition_path(&name);
    let text = std::fs::read_to_string(file.root().join(&path))
        .map_err(|e| FsError::new("read", file.root().join(&path), e))?;
    let scope = refs::Scope {
        name: &name,
        cfg: &cfg,
        functions: file.manifest.function.keys().map(String::as_str).collect(),
        workflows: file.manifest.workflow.keys().map(String::as_str).collect(),
        storages: file.manifest.storage.keys().map(String::as_str).collect(),
        api: file.manifest.api.keys().next().map(String::as_str),
    };
    workflow::stack::checked(&text, &path.display().to_string(), &scope)?;
    let item = to_table(&cfg)?;
    save(file, |doc| {
        set_resource(doc, Category::Workflow, &name, item)
    })?;
    report_change(printer, global, "Updated", Category::Workflow, &name);
    for warning in warnings {
        printer.warn(warning);
    }
    Ok(())
}

/// `--trigger` and its settings' flags into `cfg`: a setting's flag implies
/// its trigger, a trigger needs its settings, and every setting is checked
/// as hoist.toml's (`triggers::problems`).
fn add_triggers(
    cfg: &mut WorkflowConfig,
    options: &WorkflowOptions,
    no_auth: bool,
) -> Result<(), crate::Error> {
    let asked = |t: Trigger| options.trigger.contains(&t);
    if asked(Trigger::App) && cfg.start_by.is_empty() {
        cfg.start_by.push("signed-in".into());
    }
    if asked(Trigger::Api) || options.api_auth.is_some() {
        // an endpoint keeps its authorization unless told another
        cfg.api = Some(options.api_auth.or(cfg.api).unwrap_or(if no_auth {
            ApiAuth::Iam
        } else {
            ApiAuth::UserPool
        }));
    }
    let needs = |trigger: Trigger, given: bool, flag: &'static str, example: &str| {
        if asked(trigger) && !given {
            return Err(ResourceError::BadFlag {
                flag: "trigger",
                message: format!(
                    "`--trigger {}` needs --{flag}",
                    clap::ValueEnum::to_possible_value(&trigger)
                        .map(|v| v.get_name().to_string())
                        .unwrap_or_default()
                ),
                help: format!("add `--{flag} {example}`"),
            });
        }
        Ok(())
    };
    needs(
        Trigger::Schedule,
        !options.schedule.is_empty() || !cfg.schedules.is_empty(),
        "schedule",
        "'rate(1 day)'",
    )?;
    needs(
        Trigger::Event,
        !options.event_pattern.is_empty() || !cfg.events.is_empty(),
        "event-pattern",
        r#"'{"source": ["app.orders"]}'"#,
    )?;
    for (list, added) in [
        (&mut cfg.schedules, &options.schedule),
        (&mut cfg.events, &options.event_pattern),
    ] {
        for text in added {
            if !list.contains(text) {
                list.push(text.clone());
            }
        }
    }
    if let Some(problem) = workflow::triggers::problems(cfg).into_iter().next() {
        return Err(ResourceError::BadFlag {
            flag: if problem.keys[0] == "schedules" {
                "schedule"
            } else {
                "event-pattern"
            },
            message: problem.message,
            help: problem.help,
        }
        .into());
    }
    Ok(())
}
