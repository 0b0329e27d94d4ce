//! `hoist env add | list | checkout | pull | remove`: team environments. What
//! AWS assigns is read from CloudFormation; git holds only hoist.toml.

use std::collections::BTreeMap;

use aws_sdk_cloudformation::error::DisplayErrorContext;
use miette::Diagnostic;
use serde_json::json;
use thiserror::Error;

use super::push::{Lines, write_outputs};
use crate::cli::{EnvCommand, EnvTargetArgs, GlobalArgs};
use crate::deploy::aws::{Clients, Target, clients};
use crate::deploy::engine::{DeployError, Engine, aws};
use crate::deploy::snapshot::{self, Snapshot};
use crate::error::FsError;
use crate::project::{self, ProjectFile, state};
use crate::prompt::{self, Answers, Inputs, Question};
use crate::settings;
use crate::synth::{root_stack_name, sha256_hex};
use crate::ui::Printer;

#[derive(Debug, Error, Diagnostic)]
pub enum EnvCommandError {
    #[error("there is no environment `{name}` in hoist.toml")]
    #[diagnostic(
        code(hoist::env::unknown),
        help("this project's environments: {known}; add one with `hoist env add {name}`")
    )]
    Unknown { name: String, known: String },

    #[error("the environment `{name}` already exists")]
    #[diagnostic(
        code(hoist::env::exists),
        help("choose another name, or edit `[env.{name}]` in hoist.toml")
    )]
    Exists { name: String },

    #[error("`{stack}` does not exist in {region}: the environment `{name}` has not been deployed")]
    #[diagnostic(
        code(hoist::env::not_deployed),
        help("deploy it with `hoist push --env {name}`")
    )]
    NotDeployed {
        name: String,
        stack: String,
        region: String,
    },
}

fn load() -> Result<ProjectFile, crate::Error> {
    let cwd =
        std::env::current_dir().map_err(|e| FsError::new("read the current folder", ".", e))?;
    Ok(ProjectFile::discover(&cwd)?)
}

fn known(file: &ProjectFile, name: &str) -> Result<(), crate::Error> {
    if file.manifest.env.contains_key(name) {
        return Ok(());
    }
    Err(EnvCommandError::Unknown {
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
            runtime()?.block_on(pull(&file, name, &target, printer))
        }
        EnvCommand::Remove { name, target } => {
            known(&file, name)?;
            let mut prompter = prompt::for_terminal();
            let mut inputs = Inputs {
                answers: Answers::default(),
                yes: global.yes,
                prompter: prompter.as_mut(),
            };
            printer.info(format!(
                "This deletes the stacks of `{name}` ({}) and its deployment bucket, and removes `[env.{name}]` from hoist.toml. Storage buckets are kept (their data outlives the stack).",
                root_stack_name(&file.manifest.project.name, name)
            ));
            // `--yes` is the answer here, not a default: removing is never the default
            let flag = global.yes.then_some(true);
            if !inputs.confirm(
                Question {
                    key: "yes",
                    prompt: "Remove the environment?",
                    default: None,
                },
                flag,
                false,
            )? {
                printer.info("Nothing removed.");
                return Ok(());
            }
            let target = target_for(&file, name, target);
            runtime()?.block_on(remove(&file, name, &target, printer))
        }
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
        return Err(EnvCommandError::Exists {
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
    project::validate_region(&region)?;
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
            let path = write_outputs(file, name, &last.outputs)?;
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
                rt.block_on(async {
                    let clients = clients(&target).await;
                    match clients
                        .cloudformation
                        .describe_stacks()
                        .stack_name(&stack)
                        .send()
                        .await
                    {
                        Ok(out) => out.stacks().first().map_or(
                            (Some("NOT_DEPLOYED".to_string()), None),
                            |s| {
                                (
                                    s.stack_status().map(|x| x.as_str().to_string()),
                                    s.last_updated_time()
                                        .or(s.creation_time())
                                        .map(|t| t.to_string()),
                                )
                            },
                        ),
                        Err(err) => {
                            let text = DisplayErrorContext(&err).to_string();
                            if text.contains("does not exist") {
                                (Some("NOT_DEPLOYED".to_string()), None)
                            } else {
                                (
                                    Some(format!(
                                        "unknown ({})",
                                        text.lines().next().unwrap_or_default()
                                    )),
                                    None,
                                )
                            }
                        }
                    }
                })
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

async fn template_body(clients: &Clients, stack: &str) -> Result<String, DeployError> {
    let out = clients
        .cloudformation
        .get_template()
        .stack_name(stack)
        .send()
        .await
        .map_err(aws("GetTemplate"))?;
    Ok(out.template_body().unwrap_or_default().to_string())
}

/// Rebuild the snapshot and outputs of `name` from CloudFormation: stack tags
/// name each resource, outputs hold the identifiers, templates give the hashes.
async fn pull(
    file: &ProjectFile,
    name: &str,
    target: &Target,
    printer: &Printer,
) -> Result<(), crate::Error> {
    let clients = clients(target).await;
    let stack_name = root_stack_name(&file.manifest.project.name, name);
    let engine = Engine::new(&clients, stack_name.clone(), Vec::new());
    let status = engine.wait_settled(&quiet(printer)).await?;
    if status.is_none() {
        return Err(EnvCommandError::NotDeployed {
            name: name.to_string(),
            stack: stack_name,
            region: target.region.clone(),
        }
        .into());
    }
    let root_outputs = engine.stack_outputs(&stack_name).await?;
    let root_body = template_body(&clients, &stack_name).await?;
    let mut resources = BTreeMap::new();
    let mut outputs = crate::outputs::DeployedOutputs::new();
    for physical in engine.nested_stacks().await?.values() {
        let described = clients
            .cloudformation
            .describe_stacks()
            .stack_name(physical)
            .send()
            .await
            .map_err(aws("DescribeStacks"))?;
        let Some(stack) = described.stacks().first() else {
            continue;
        };
        let Some(resource) = stack
            .tags()
            .iter()
            .find(|t| t.key() == Some("hoist:resource"))
            .and_then(|t| t.value())
        else {
            continue;
        };
        let body = template_body(&clients, physical).await?;
        resources.insert(resource.to_string(), sha256_hex(body.as_bytes()));
        outputs.insert(
            resource.to_string(),
            stack
                .outputs()
                .iter()
                .filter_map(|o| Some((o.output_key()?.to_string(), o.output_value()?.to_string())))
                .collect(),
        );
    }
    // Secrets' sources and key lifetimes are in hoist.toml, not in AWS: take them from the model.
    let sources = super::synth::read_sources(file)?;
    let (secrets, key_expiries) = crate::synth::synth(&file.manifest, name, &sources)
        .map(|b| (b.secrets, b.key_expiries))
        .unwrap_or_default();
    let snapshot = Snapshot {
        stack_name: stack_name.clone(),
        region: target.region.clone(),
        deployment_bucket: root_outputs
            .get("DeploymentBucketName")
            .cloned()
            .unwrap_or_default(),
        root_sha256: sha256_hex(root_body.as_bytes()),
        resources,
        secrets,
        key_expiries,
        assets: BTreeMap::new(),
        outputs: outputs.clone(),
        deployed_at: 0,
    };
    snapshot::save(file.root(), name, &snapshot)?;
    let current = state::read_current_env(file.root())?;
    if current.as_deref() == Some(name) || current.is_none() {
        let path = write_outputs(file, name, &outputs)?;
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

/// Empty the versioned deployment bucket, delete the root stack (and with it the
/// nested ones), then drop the environment from hoist.toml and local state.
async fn remove(
    file: &ProjectFile,
    name: &str,
    target: &Target,
    printer: &Printer,
) -> Result<(), crate::Error> {
    let clients = clients(target).await;
    let stack_name = root_stack_name(&file.manifest.project.name, name);
    let engine = Engine::new(&clients, stack_name.clone(), Vec::new());
    if engine.wait_settled(&quiet(printer)).await?.is_some() {
        let outputs = engine.stack_outputs(&stack_name).await?;
        if let Some(bucket) = outputs.get("DeploymentBucketName") {
            empty_bucket(&clients, bucket).await?;
            printer.detail(format!("emptied {bucket}"));
        }
        printer.info(format!("Deleting `{stack_name}` ..."));
        clients
            .cloudformation
            .delete_stack()
            .stack_name(&stack_name)
            .send()
            .await
            .map_err(aws("DeleteStack"))?;
        engine.wait_settled(&quiet(printer)).await?;
    } else {
        printer.info(format!(
            "`{stack_name}` is not deployed: only removing it from hoist.toml"
        ));
    }
    let edited = file.edit(|doc| {
        if let Some(envs) = doc.get_mut("env").and_then(|e| e.as_table_like_mut()) {
            envs.remove(name);
        }
    })?;
    edited.save()?;
    let _ = std::fs::remove_file(snapshot::path(file.root(), name));
    let _ = std::fs::remove_dir_all(file.root().join(state::STATE_DIR).join("build").join(name));
    if state::read_current_env(file.root())?.as_deref() == Some(name) {
        let _ = std::fs::remove_file(state::current_env_path(file.root()));
    }
    printer.success(format!("Removed the environment `{name}`"));
    Ok(())
}

async fn empty_bucket(clients: &Clients, bucket: &str) -> Result<(), DeployError> {
    use aws_sdk_s3::types::{Delete, ObjectIdentifier};
    let invalid = |e: aws_sdk_s3::error::BuildError| DeployError::Aws {
        action: "DeleteObjects",
        message: e.to_string(),
    };
    loop {
        let listed = clients
            .s3
            .list_object_versions()
            .bucket(bucket)
            .send()
            .await
            .map_err(aws("ListObjectVersions"))?;
        // every version and every delete marker, or the versioned bucket cannot go
        let versions = listed.versions().iter().map(|v| (v.key(), v.version_id()));
        let markers = listed
            .delete_markers()
            .iter()
            .map(|m| (m.key(), m.version_id()));
        let ids = versions
            .chain(markers)
            .filter_map(|(key, version)| Some((key?, version)))
            .map(|(key, version)| {
                ObjectIdentifier::builder()
                    .key(key)
                    .set_version_id(version.map(str::to_string))
                    .build()
                    .map_err(invalid)
            })
            .collect::<Result<Vec<_>, _>>()?;
        if ids.is_empty() {
            return Ok(());
        }
        for chunk in ids.chunks(1000) {
            let delete = Delete::builder()
                .set_objects(Some(chunk.to_vec()))
                .quiet(true)
                .build()
                .map_err(invalid)?;
            clients
                .s3
                .delete_objects()
                .bucket(bucket)
                .delete(delete)
                .send()
                .await
                .map_err(aws("DeleteObjects"))?;
        }
    }
}
