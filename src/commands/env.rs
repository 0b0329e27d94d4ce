//! `hoist env add | list | checkout | pull | remove`: team environments. What
//! AWS assigns is read from CloudFormation; git holds only hoist.toml.

use std::collections::BTreeMap;

use serde_json::json;

use crate::cli::{EnvCommand, EnvTargetArgs, GlobalArgs};
use crate::deploy::aws::Target;
use crate::deploy::env::{self, EnvironmentError};
use crate::deploy::local::write_outputs;
use crate::deploy::purge::{self, Count, KeptKind};
use crate::deploy::snapshot::{self, Snapshot};
use crate::error::FsError;
use crate::project::{self, ProjectFile, state};
use crate::prompt::{self, Answers, Inputs, Question};
use crate::settings;
use crate::synth::root_stack_name;
use crate::ui::{Lines, Printer};

fn load() -> Result<ProjectFile, crate::Error> {
    let cwd =
        std::env::current_dir().map_err(|e| FsError::new("read the current folder", ".", e))?;
    Ok(ProjectFile::discover(&cwd)?)
}

/// Errors: [`EnvironmentError::Unknown`] listing the project's environments.
pub(crate) fn known(file: &ProjectFile, name: &str) -> Result<(), crate::Error> {
    if file.manifest.env.contains_key(name) {
        return Ok(());
    }
    Err(EnvironmentError::Unknown {
        name: name.to_string(),
        known: file
            .manifest
            .env
            .keys()
            .map(|e| format!("`{e}`"))
            .collect::<Vec<_>>()
            .join(", "),
    }
    .into())
}

fn runtime() -> Result<tokio::runtime::Runtime, crate::Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| crate::Error::Internal(format!("could not start the async runtime: {e}")))
}

fn target_for(file: &ProjectFile, env: &str, args: &EnvTargetArgs) -> Target {
    let section = &file.manifest.env[env];
    Target {
        region: section.region.clone(),
        profile: args.profile.clone().or_else(|| section.profile.clone()),
        endpoint_url: args.endpoint_url.clone(),
    }
}

/// Progress of an env operation: steps shown, resource events only with `-v`.
fn quiet(printer: &Printer) -> Lines<'_> {
    Lines {
        printer,
        events_verbose: true,
    }
}

pub fn run(
    command: &EnvCommand,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), crate::Error> {
    let file = load()?;
    match command {
        EnvCommand::Add {
            name,
            region,
            profile,
            copy_from,
        } => add(
            &file,
            name,
            region.clone(),
            profile.clone(),
            copy_from.as_deref(),
            printer,
        ),
        EnvCommand::List {
            endpoint_url,
            offline,
        } => list(&file, endpoint_url.clone(), *offline, global, printer),
        EnvCommand::Checkout { name } => checkout(&file, name, printer),
        EnvCommand::Pull { name, target } => {
            known(&file, name)?;
            let target = target_for(&file, name, target);
            let snapshot = runtime()?.block_on(env::pull(&file, name, &target, &quiet(printer)))?;
            pulled(&file, name, &snapshot, printer)
        }
        EnvCommand::Remove {
            name,
            purge,
            target,
        } => {
            known(&file, name)?;
            delete_environment(&file, name, target, *purge, true, global, printer)
        }
    }
}

/// `hoist delete`: the environment's stacks go, its hoist.toml entry stays.
pub fn delete(
    env_name: Option<&str>,
    purge: bool,
    target: &EnvTargetArgs,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), crate::Error> {
    let file = load()?;
    let name = crate::settings::resolve_env(&file, env_name)?;
    known(&file, &name)?;
    delete_environment(&file, &name, target, purge, false, global, printer)
}

/// `hoist delete` and `hoist env remove` (`forget`: also drop it from
/// hoist.toml): say what goes and what is kept (with `purge`, what is
/// destroyed, counted), ask, delete.
fn delete_environment(
    file: &ProjectFile,
    name: &str,
    target: &EnvTargetArgs,
    purge: bool,
    forget: bool,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), crate::Error> {
    if purge && file.manifest.env[name].protected {
        return Err(EnvironmentError::Protected {
            name: name.to_string(),
        }
        .into());
    }
    let target = target_for(file, name, target);
    let runtime = runtime()?;
    let kept = if purge {
        runtime.block_on(env::survey(file, name, &target, &quiet(printer)))?
    } else {
        Vec::new()
    };
    let stack = root_stack_name(&file.manifest.project.name, name);
    let forgotten = if forget {
        format!(", and removes `[env.{name}]` from hoist.toml")
    } else {
        format!("; hoist.toml keeps `[env.{name}]`")
    };
    printer.info(format!(
        "This deletes the stacks of `{name}` ({stack}) and its deployment bucket{forgotten}."
    ));
    if !purge {
        printer.info(format!(
            "Kept in AWS (their data outlives the stacks): {}{}.",
            retained(file),
            if file.manifest.auth.is_empty()
                && file.manifest.api.is_empty()
                && file.manifest.storage.is_empty()
            {
                ""
            } else {
                "; `--purge` deletes them too"
            }
        ));
    } else if kept.is_empty() {
        printer.info(
            "Nothing kept to purge: its stacks hold no user pool, table or storage bucket, and no earlier purge is unfinished.",
        );
    } else {
        // shown even with -q: it is what the question asks about
        printer.notice(format!(
            "It also destroys {}, for good, deleting:",
            destroyed(&kept)
        ));
        for k in &kept {
            printer.notice(format!("  {k}"));
        }
    }
    let prompt = match (kept.is_empty(), forget) {
        (false, _) => "Delete the stacks and destroy these for good?",
        (true, true) => "Remove the environment?",
        (true, false) => "Delete the environment's stacks?",
    };
    // `--yes` is the answer here, not a default: deleting is never the default
    let mut prompter = prompt::for_terminal();
    let mut inputs = Inputs {
        answers: Answers::default(),
        yes: global.yes,
        prompter: prompter.as_mut(),
    };
    if !inputs.confirm(
        Question {
            key: "yes",
            prompt,
            default: None,
        },
        global.yes.then_some(true),
        false,
    )? {
        printer.info(if forget {
            "Nothing removed."
        } else {
            "Nothing deleted."
        });
        return Ok(());
    }
    if forget {
        runtime.block_on(env::remove(file, name, &target, &kept, &quiet(printer)))?;
        printer.success(format!("Removed the environment `{name}`"));
        return Ok(());
    }
    let existed = runtime.block_on(env::delete(file, name, &target, &kept, &quiet(printer)))?;
    if existed {
        printer.success(format!(
            "Deleted the stacks of `{name}`; `hoist push --env {name}` deploys it again"
        ));
    } else {
        printer.success(format!("`{name}` was not deployed: nothing to delete"));
    }
    Ok(())
}

/// What a purge destroys, in words: `3 users, 120 items and 14 files`
/// (`at least` where counting stopped; `an unknown number of ...` where it
/// could not read).
fn destroyed(kept: &[purge::Kept]) -> String {
    let mut parts = Vec::new();
    for kind in [KeptKind::UserPool, KeptKind::Table, KeptKind::Bucket] {
        let of_kind: Vec<_> = kept.iter().filter(|k| k.kind == kind).collect();
        if of_kind.is_empty() {
            continue;
        }
        let (mut total, mut at_least, mut unknown) = (0, false, false);
        for k in &of_kind {
            match k.count {
                Count::Exactly(n) => total += n,
                Count::AtLeast(n) => {
                    total += n;
                    at_least = true;
                }
                Count::Unknown(_) | Count::NotCounted => unknown = true,
            }
        }
        parts.push(match (unknown, at_least) {
            (true, _) if total == 0 => format!("an unknown number of {}", kind.unit()),
            (true, _) | (false, true) => format!("at least {}", kind.counted(total)),
            (false, false) => kind.counted(total),
        });
    }
    match parts.len() {
        0 => "nothing".to_string(),
        1 => parts.remove(0),
        n => format!("{} and {}", parts[..n - 1].join(", "), parts[n - 1]),
    }
}

/// The advice for a production-like environment without deletion protection.
pub fn production_warning(name: &str) -> String {
    format!(
        "`{name}` looks like a production environment: add `protected = true` under `[env.{name}]` in hoist.toml so that its user pool and tables cannot be deleted (deletion protection) until it is turned off"
    )
}

/// What an environment's deletion leaves in AWS, in words.
fn retained(file: &ProjectFile) -> String {
    let mut kept = Vec::new();
    for name in file.manifest.auth.keys() {
        kept.push(format!("the user pool of auth `{name}`"));
    }
    for name in file.manifest.api.keys() {
        kept.push(format!("the model tables of api `{name}`"));
    }
    for name in file.manifest.storage.keys() {
        kept.push(format!("the bucket of storage `{name}`"));
    }
    if kept.is_empty() {
        "nothing".to_string()
    } else {
        kept.join(", ")
    }
}

fn add(
    file: &ProjectFile,
    name: &str,
    region: Option<String>,
    profile: Option<String>,
    copy_from: Option<&str>,
    printer: &Printer,
) -> Result<(), crate::Error> {
    project::validate_env_name(name)?;
    if file.manifest.env.contains_key(name) {
        return Err(EnvironmentError::Exists {
            name: name.to_string(),
        }
        .into());
    }
    let source = match copy_from {
        Some(from) => {
            known(file, from)?;
            Some(file.manifest.env[from].clone())
        }
        None => None,
    };
    let profile = profile.or_else(|| source.as_ref().and_then(|s| s.profile.clone()));
    let region = region
        .or_else(|| source.as_ref().map(|s| s.region.clone()))
        .unwrap_or_else(|| settings::default_region(&settings::process_env, profile.as_deref()));
    project::validate_new_region(&region)?;
    if let Some(p) = &profile {
        project::validate_profile(p)?;
    }
    let parameters = source.map(|s| s.parameters).unwrap_or_default();
    let edited = file.edit(|doc| {
        let envs = doc
            .entry("env")
            .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()));
        if let Some(envs) = envs.as_table_mut() {
            envs.set_implicit(true);
            let mut table = toml_edit::Table::new();
            table["region"] = toml_edit::value(region.clone());
            if let Some(p) = &profile {
                table["profile"] = toml_edit::value(p.clone());
            }
            if !parameters.is_empty() {
                let mut params = toml_edit::Table::new();
                for (k, v) in &parameters {
                    if let Ok(item) =
                        toml_edit::ser::to_document(&BTreeMap::from([("v", v.clone())]))
                        && let Some(value) = item.get("v").and_then(|i| i.as_value())
                    {
                        params[k.as_str()] = toml_edit::Item::Value(value.clone());
                    }
                }
                table["parameters"] = toml_edit::Item::Table(params);
            }
            envs.insert(name, toml_edit::Item::Table(table));
        }
    })?;
    edited.save()?;
    printer.success(format!(
        "Added the environment `{name}` ({region}) to hoist.toml"
    ));
    if project::looks_like_production(name) {
        printer.warn(production_warning(name));
    }
    printer.command_hint(&format!("hoist push --env {name}"), "deploy it");
    printer.command_hint(&format!("hoist env checkout {name}"), "work on it");
    Ok(())
}

fn checkout(file: &ProjectFile, name: &str, printer: &Printer) -> Result<(), crate::Error> {
    known(file, name)?;
    let (rel, contents) = state::current_env_file(name);
    project::write_atomic(&file.root().join(rel), &contents)?;
    match snapshot::load(file.root(), name)? {
        Some(last) => {
            let path = snapshot::write_deployed_outputs(file, name, &last)?;
            printer.success(format!(
                "Switched to `{name}`; wrote {}",
                path.strip_prefix(file.root()).unwrap_or(&path).display()
            ));
        }
        None => {
            printer.success(format!("Switched to `{name}`"));
            printer.info(format!(
                "  This checkout has no deploy of `{name}` yet: `hoist env pull {name}` reads it from CloudFormation, `hoist push` deploys it."
            ));
        }
    }
    Ok(())
}

fn list(
    file: &ProjectFile,
    endpoint_url: Option<String>,
    offline: bool,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), crate::Error> {
    let current = state::read_current_env(file.root())?;
    let mut rows = Vec::new();
    let rt = if offline { None } else { Some(runtime()?) };
    for (name, section) in &file.manifest.env {
        let stack = root_stack_name(&file.manifest.project.name, name);
        let (status, updated) = match &rt {
            None => (None, None),
            Some(rt) => {
                let target = Target {
                    region: section.region.clone(),
                    profile: section.profile.clone(),
                    endpoint_url: endpoint_url.clone(),
                };
                rt.block_on(env::stack_summary(&target, &stack))
                    .map_err(|e| {
                        use miette::Diagnostic;
                        let help = e.help().map(|h| h.to_string()).unwrap_or_default();
                        env::EnvironmentError::CannotList {
                            name: name.clone(),
                            cause: e.to_string(),
                            help,
                        }
                    })?
            }
        };
        rows.push(json!({
            "name": name,
            "current": current.as_deref() == Some(name.as_str()),
            "region": section.region,
            "profile": section.profile,
            "stack": stack,
            "status": status,
            "last_updated": updated,
            "deployed_from_here": snapshot::path(file.root(), name).exists(),
        }));
    }
    if global.json {
        printer.data(&json!(rows));
    }
    for row in &rows {
        printer.info(format!(
            "{} {:<10} {:<16} {:<26} {}",
            if row["current"] == true { "*" } else { " " },
            row["name"].as_str().unwrap_or_default(),
            row["region"].as_str().unwrap_or_default(),
            row["status"]
                .as_str()
                .unwrap_or(if offline { "(not checked)" } else { "" }),
            row["last_updated"].as_str().unwrap_or_default()
        ));
    }
    Ok(())
}

/// Write the outputs of a pulled environment when it is the current one, and say so.
fn pulled(
    file: &ProjectFile,
    name: &str,
    snapshot: &Snapshot,
    printer: &Printer,
) -> Result<(), crate::Error> {
    let current = state::read_current_env(file.root())?;
    if current.as_deref() == Some(name) || current.is_none() {
        let path = write_outputs(file, name, &snapshot.outputs)?;
        printer.success(format!(
            "Pulled `{name}` from CloudFormation ({} resources); wrote {}",
            snapshot.resources.len(),
            path.strip_prefix(file.root()).unwrap_or(&path).display()
        ));
    } else {
        printer.success(format!(
            "Pulled `{name}` from CloudFormation ({} resources)",
            snapshot.resources.len()
        ));
        printer.command_hint(
            &format!("hoist env checkout {name}"),
            "switch to it and write its amplify_outputs.json",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::purge::Kept;

    fn kept(kind: KeptKind, count: Count) -> Kept {
        Kept {
            kind,
            id: "x".into(),
            count,
        }
    }

    #[test]
    fn what_a_purge_destroys_is_summed_by_kind_and_says_what_it_could_not_count() {
        assert_eq!(destroyed(&[]), "nothing");
        assert_eq!(
            destroyed(&[
                kept(KeptKind::Table, Count::Exactly(2)),
                kept(KeptKind::UserPool, Count::Exactly(1)),
                kept(KeptKind::Table, Count::Exactly(1)),
            ]),
            "1 user and 3 items"
        );
        assert_eq!(
            destroyed(&[
                kept(KeptKind::UserPool, Count::AtLeast(100_000)),
                kept(KeptKind::Table, Count::Unknown("access denied".into())),
                kept(KeptKind::Bucket, Count::Exactly(4)),
                kept(KeptKind::Bucket, Count::Unknown("access denied".into())),
            ]),
            "at least 100000 users, an unknown number of items and at least 4 files"
        );
    }
}
