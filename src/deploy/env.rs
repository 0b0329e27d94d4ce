//! Environment operations against AWS: read a deployed environment back from
//! CloudFormation (`hoist env pull`), delete one (`hoist env remove`), and a
//! stack's summary for `hoist env list`. Nothing here prints.

use std::collections::BTreeMap;

use miette::Diagnostic;
use thiserror::Error;

use super::aws::{Clients, Target, clients};
use super::engine::{Engine, Reporter, is_missing_stack};
use super::error::DeployError;
use super::local::build_dir;
use super::purge;
use super::snapshot::{self, Snapshot};
use crate::cfn::sha256_hex;
use crate::project::{self, ProjectFile, state};
use crate::synth::root_stack_name;

#[derive(Debug, Error, Diagnostic)]
pub enum EnvironmentError {
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

    #[error("the environment `{name}` is protected: its users, items and files are never purged")]
    #[diagnostic(
        code(hoist::env::protected),
        help(
            "`hoist delete` without --purge deletes its stacks and keeps its data; to destroy the data, remove `protected = true` from `[env.{name}]` in hoist.toml, push (which turns deletion protection off), then purge"
        )
    )]
    Protected { name: String },

    #[error("deletion protection is on for {resources} of `{name}`: a purge could not delete them")]
    #[diagnostic(
        code(hoist::env::deletion_protected),
        help(
            "nothing was deleted. Turn it off first: if hoist.toml still says `protected = true` under `[env.{name}]`, remove it and run `hoist push --env {name}`; otherwise it was turned on outside hoist (the Cognito and DynamoDB consoles turn it off too)"
        )
    )]
    DeletionProtected { name: String, resources: String },

    #[error("could not read the status of the environment `{name}`: {cause}")]
    #[diagnostic(
        code(hoist::env::list),
        help(
            "{help}; or list what hoist.toml and this checkout know, without AWS: `hoist env list --offline`"
        )
    )]
    CannotList {
        name: String,
        cause: String,
        help: String,
    },
}

/// A root stack's status (`NOT_DEPLOYED` when it does not exist) and when it
/// last changed, for `hoist env list`.
///
/// Errors: [`DeployError`] when AWS cannot be asked (one line with its cause).
pub async fn stack_summary(
    target: &Target,
    stack: &str,
) -> Result<(Option<String>, Option<String>), DeployError> {
    let clients = clients(target).await?;
    match clients
        .cloudformation
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .stacks()
            .first()
            .map_or((Some("NOT_DEPLOYED".to_string()), None), |s| {
                (
                    s.stack_status().map(|x| x.as_str().to_string()),
                    s.last_updated_time()
                        .or(s.creation_time())
                        .map(|t| t.to_string()),
                )
            })),
        Err(err) if is_missing_stack(&err) => Ok((Some("NOT_DEPLOYED".to_string()), None)),
        Err(err) => Err(clients.refused("DescribeStacks")(err)),
    }
}

/// Rebuild the snapshot of `name` from CloudFormation and save it: stack tags
/// name each resource, outputs hold the identifiers, templates give the hashes.
/// Secrets' sources and key lifetimes are not in AWS: they come from hoist.toml.
///
/// Errors: [`EnvironmentError::NotDeployed`] when the root stack does not
/// exist; what AWS refuses; the snapshot's write.
pub async fn pull(
    file: &ProjectFile,
    name: &str,
    target: &Target,
    reporter: &dyn Reporter,
) -> Result<Snapshot, crate::Error> {
    let clients = clients(target).await?;
    let stack_name = root_stack_name(&file.manifest.project.name, name);
    let engine = Engine::new(&clients, stack_name.clone(), Vec::new());
    let status = engine.wait_settled(reporter).await?;
    if status.is_none() {
        return Err(EnvironmentError::NotDeployed {
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
            .map_err(clients.refused("DescribeStacks"))?;
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
    let sources = project::read_sources(file)?;
    let (secrets, key_expiries) = crate::synth::synth(&file.manifest, name, &sources)
        .map(|b| (b.secrets, b.key_expiries))
        .unwrap_or_default();
    // The keys' expiries as deployed are the root's parameters.
    let parameters = engine.root_parameters().await?;
    let key_expires_at = key_expiries
        .keys()
        .filter_map(|p| Some((p.clone(), parameters.get(p)?.parse::<u64>().ok()?)))
        .collect();
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
        key_expires_at,
        assets: BTreeMap::new(),
        outputs,
        amplify_outputs: None,
        deployed_at: 0,
        stack_changed_at: engine.root_changed_at().await.ok().flatten(),
    };
    snapshot::save(file.root(), name, &snapshot)?;
    Ok(snapshot)
}

/// What deleting the environment `name` would keep (see [`purge::find`]),
/// each with what it holds ([`purge::count`]); empty when it is not deployed.
///
/// Errors: what AWS refuses while reading the stacks (counts that fail say
/// why in their [`purge::Count`] instead).
pub async fn survey(
    file: &ProjectFile,
    name: &str,
    target: &Target,
    reporter: &dyn Reporter,
) -> Result<Vec<purge::Kept>, crate::Error> {
    let clients = clients(target).await?;
    let stack_name = root_stack_name(&file.manifest.project.name, name);
    let engine = Engine::new(&clients, stack_name.clone(), Vec::new());
    let mut kept = if engine.wait_settled(reporter).await?.is_none() {
        // a purge that was interrupted or failed once the stacks were gone
        purge::pending(file.root(), name)
    } else {
        let outputs = engine.stack_outputs(&stack_name).await?;
        let bucket = outputs.get("DeploymentBucketName").map(String::as_str);
        purge::find(&clients, &stack_name, bucket).await?
    };
    // Refused before the question: once the stacks are gone, a push can no
    // longer turn the protection off.
    let protected = purge::deletion_protected(&clients, &kept).await?;
    if !protected.is_empty() {
        return Err(EnvironmentError::DeletionProtected {
            name: name.to_string(),
            resources: protected.join(", "),
        }
        .into());
    }
    purge::count(&clients, &mut kept).await;
    Ok(kept)
}

/// Empty the versioned deployment bucket and delete the root stack (and with
/// it the nested ones), then forget this checkout's deploy of it (snapshot,
/// build). hoist.toml keeps the environment: `hoist push` deploys it again.
/// Storage buckets, user pools and tables are kept: their data outlives the
/// stack (their `DeletionPolicy`), unless `purge` lists them (from
/// [`survey`]): those are deleted for good once the stacks are gone.
/// Returns whether there was a stack.
///
/// Errors: what AWS refuses; a deletion CloudFormation could not finish;
/// [`DeployError::PurgeIncomplete`] naming what could not be purged.
pub async fn delete(
    file: &ProjectFile,
    name: &str,
    target: &Target,
    purge: &[purge::Kept],
    reporter: &dyn Reporter,
) -> Result<bool, crate::Error> {
    let clients = clients(target).await?;
    let stack_name = root_stack_name(&file.manifest.project.name, name);
    let engine = Engine::new(&clients, stack_name.clone(), Vec::new());
    let existed = engine.wait_settled(reporter).await?.is_some();
    // What is to be purged is recorded before the stacks that list it go.
    purge::record_pending(file.root(), name, purge)?;
    if existed {
        let outputs = engine.stack_outputs(&stack_name).await?;
        if let Some(bucket) = outputs.get("DeploymentBucketName") {
            empty_bucket(&clients, bucket).await?;
            reporter.detail(&format!("emptied {bucket}"));
        }
        reporter.step(&format!("Deleting `{stack_name}` ..."));
        clients
            .cloudformation
            .delete_stack()
            .stack_name(&stack_name)
            .send()
            .await
            .map_err(clients.refused("DeleteStack"))?;
        if let Some(status) = engine.wait_settled(reporter).await? {
            return Err(DeployError::unexpected(
                "DeleteStack",
                format!("`{stack_name}` is {} after its deletion", status.as_str()),
            )
            .into());
        }
    }
    // The record of this checkout's deploy goes with the stack; when there
    // was none to delete (these credentials may reach another account), it stays.
    if existed {
        let _ = std::fs::remove_file(snapshot::path(file.root(), name));
        let _ = std::fs::remove_dir_all(build_dir(file.root(), name));
    }
    match purge::delete_all(&clients, purge, reporter).await {
        Ok(_) => purge::record_pending(file.root(), name, &[])?,
        Err((left, err)) => {
            purge::record_pending(file.root(), name, &left)?;
            return Err(err.into());
        }
    }
    Ok(existed)
}

/// [`delete`] (purging `purge`), then drop the environment from hoist.toml (with the
/// per-environment tables that name it) and from local state.
///
/// Errors: the edit of hoist.toml, checked before anything in AWS changes;
/// those of [`delete`].
pub async fn remove(
    file: &ProjectFile,
    name: &str,
    target: &Target,
    purge: &[purge::Kept],
    reporter: &dyn Reporter,
) -> Result<(), crate::Error> {
    let edited = file.edit(|doc| forget_env(doc, name))?;
    if !delete(file, name, target, purge, reporter).await? {
        reporter.step(&format!(
            "`{}` is not deployed: only removing it from hoist.toml",
            root_stack_name(&file.manifest.project.name, name)
        ));
    }
    edited.save()?;
    let _ = std::fs::remove_file(snapshot::path(file.root(), name));
    let _ = std::fs::remove_dir_all(build_dir(file.root(), name));
    if state::read_current_env(file.root())?.as_deref() == Some(name) {
        let _ = std::fs::remove_file(state::current_env_path(file.root()));
    }
    Ok(())
}

/// Drops `[env.NAME]` and the per-environment tables that name it:
/// `[storage.*.env.NAME]` and `[auth.*.hosted_ui.env.NAME]`.
fn forget_env(doc: &mut toml_edit::DocumentMut, name: &str) {
    fn remove_under(item: Option<&mut toml_edit::Item>, name: &str) {
        if let Some(table) = item.and_then(|i| i.as_table_like_mut()) {
            table.remove(name);
            if table.is_empty() {
                table.clear();
            }
        }
    }
    remove_under(doc.get_mut("env"), name);
    if let Some(storage) = doc.get_mut("storage").and_then(|s| s.as_table_like_mut()) {
        for (_, resource) in storage.iter_mut() {
            if let Some(resource) = resource.as_table_like_mut() {
                remove_under(resource.get_mut("env"), name);
                if resource
                    .get("env")
                    .and_then(|e| e.as_table_like())
                    .is_some_and(|e| e.is_empty())
                {
                    resource.remove("env");
                }
            }
        }
    }
    if let Some(auth) = doc.get_mut("auth").and_then(|s| s.as_table_like_mut()) {
        for (_, resource) in auth.iter_mut() {
            if let Some(ui) = resource
                .as_table_like_mut()
                .and_then(|r| r.get_mut("hosted_ui"))
                .and_then(|u| u.as_table_like_mut())
            {
                remove_under(ui.get_mut("env"), name);
                if ui
                    .get("env")
                    .and_then(|e| e.as_table_like())
                    .is_some_and(|e| e.is_empty())
                {
                    ui.remove("env");
                }
            }
        }
    }
}

/// The template of `stack`, as GetTemplate gives it.
///
/// Errors: GetTemplate refused.
pub(super) async fn template_body(clients: &Clients, stack: &str) -> Result<String, DeployError> {
    let out = clients
        .cloudformation
        .get_template()
        .stack_name(stack)
        .send()
        .await
        .map_err(clients.refused("GetTemplate"))?;
    Ok(out.template_body().unwrap_or_default().to_string())
}

pub(super) async fn empty_bucket(clients: &Clients, bucket: &str) -> Result<(), DeployError> {
    use aws_sdk_s3::types::{Delete, ObjectIdentifier};
    let invalid =
        |e: aws_sdk_s3::error::BuildError| DeployError::unexpected("DeleteObjects", e.to_string());
    loop {
        let listed = match clients
            .s3
            .list_object_versions()
            .bucket(bucket)
            .send()
            .await
        {
            Ok(listed) => listed,
            // Gone already (an earlier deletion got that far): nothing to empty.
            Err(err)
                if err
                    .as_service_error()
                    .and_then(|e| aws_sdk_s3::error::ProvideErrorMetadata::code(e))
                    == Some("NoSuchBucket") =>
            {
                return Ok(());
            }
            Err(err) => return Err(clients.refused("ListObjectVersions")(err)),
        };
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
            let out = clients
                .s3
                .delete_objects()
                .bucket(bucket)
                .delete(delete)
                .send()
                .await
                .map_err(clients.refused("DeleteObjects"))?;
            // Refusals of single objects (Object Lock, a policy, MFA delete)
            // come in the answer, not as an error: listing again would find
            // the same versions forever.
            if let Some(refused) = out.errors().first() {
                return Err(DeployError::unexpected(
                    "DeleteObjects",
                    format!(
                        "`{}` in {bucket} could not be deleted ({}): {}; {} object version(s) refused in all",
                        refused.key().unwrap_or("?"),
                        refused.code().unwrap_or("refused"),
                        refused.message().unwrap_or(""),
                        out.errors().len()
                    ),
                ));
            }
        }
    }
}
