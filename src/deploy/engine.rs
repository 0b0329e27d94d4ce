//! The CloudFormation engine the deploy operations are built from: the root
//! stack's status (CloudFormation's `StackStatus`), waiting for a running deploy,
//! uploads, change sets and their changes, executing one while following the
//! events of the root and nested stacks, recovery of a failed rollback, and
//! reading the outputs. `push::Push` puts them together.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, SystemTime};

use super::aws::Clients;
use super::error::DeployError;
use crate::outputs::DeployedOutputs;
use crate::synth::{Build, ROOT_TEMPLATE};
use aws_sdk_cloudformation::primitives::DateTime;
use aws_sdk_cloudformation::types::{
    Capability, ChangeSetStatus, ChangeSetType, Parameter, StackStatus, Tag,
};

/// A line of the change set: a resource and what happens to it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlannedChange {
    /// The stack it is in: `root`, or `category/name`.
    pub stack: String,
    pub logical_id: String,
    pub resource_type: String,
    /// Add, Modify, Remove, ...
    pub action: String,
    /// True, False or Conditional (Modify only).
    pub replacement: Option<String>,
}

/// Whether a stack in `status` has stopped moving: every status but the
/// `*_IN_PROGRESS` ones (CloudFormation's `StackStatus`, DescribeStacks API reference).
pub fn is_settled(status: &StackStatus) -> bool {
    !status.as_str().ends_with("_IN_PROGRESS")
}

/// Whether a settled stack got where a deploy was taking it.
pub fn is_success(status: &StackStatus) -> bool {
    matches!(
        status,
        StackStatus::CreateComplete | StackStatus::UpdateComplete | StackStatus::ImportComplete
    )
}

pub struct Engine<'a> {
    pub clients: &'a Clients,
    pub stack_name: String,
    pub tags: Vec<(String, String)>,
    /// Events already reported, across the operations of one run.
    pub seen: std::sync::Mutex<HashSet<String>>,
    /// How long to wait between two polls of CloudFormation.
    pub poll: Duration,
}

impl<'a> Engine<'a> {
    /// An engine for `stack_name`, tagging what it creates with `tags`.
    pub fn new(clients: &'a Clients, stack_name: String, tags: Vec<(String, String)>) -> Self {
        Engine {
            clients,
            stack_name,
            tags,
            seen: Default::default(),
            poll: POLL,
        }
    }
}

/// The pause between polls against AWS.
pub const POLL: Duration = Duration::from_secs(1);

/// What the deploy reports as it goes; the command turns it into terminal output.
pub trait Reporter {
    fn step(&self, message: &str);
    /// A detail of a step (shown with `-v` on a terminal).
    fn detail(&self, _message: &str) {}
    fn event(
        &self,
        stack: &str,
        logical_id: &str,
        resource_type: &str,
        status: &str,
        reason: Option<&str>,
    );
}

/// Whether DescribeStacks failed because the stack does not exist. CloudFormation
/// answers it with a `ValidationError` whose message says the stack "does not
/// exist"; there is no error code of its own, so both are checked.
pub fn is_missing_stack<R>(
    err: &aws_sdk_cloudformation::error::SdkError<
        aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksError,
        R,
    >,
) -> bool {
    err.as_service_error().is_some_and(|e| {
        e.meta().code() == Some("ValidationError")
            && e.meta()
                .message()
                .is_some_and(|m| m.contains("does not exist"))
    })
}

impl Engine<'_> {
    /// The root stack's status, or None when it does not exist (or was deleted).
    pub async fn root_status(&self) -> Result<Option<StackStatus>, DeployError> {
        match self
            .clients
            .cloudformation
            .describe_stacks()
            .stack_name(&self.stack_name)
            .send()
            .await
        {
            Ok(out) => Ok(out
                .stacks()
                .first()
                .and_then(|s| s.stack_status())
                .filter(|s| **s != StackStatus::DeleteComplete)
                .cloned()),
            Err(err) if is_missing_stack(&err) => Ok(None),
            Err(err) => Err(self.clients.refused("DescribeStacks")(err)),
        }
    }

    /// Wait until the root stack is settled (another deploy may be running).
    pub async fn wait_settled(
        &self,
        reporter: &dyn Reporter,
    ) -> Result<Option<StackStatus>, DeployError> {
        let mut announced = false;
        loop {
            let status = self.root_status().await?;
            match &status {
                Some(s) if !is_settled(s) => {
                    if !announced {
                        reporter.step(&format!(
                            "`{}` is {}: another deploy is running; waiting for it to finish",
                            self.stack_name,
                            s.as_str()
                        ));
                        announced = true;
                    }
                    tokio::time::sleep(self.poll * 2).await;
                }
                _ => return Ok(status),
            }
        }
    }

    /// When the root stack last changed in AWS (its last update, else its
    /// creation), in seconds since the Unix epoch by AWS's clock; None when
    /// it does not exist.
    pub async fn root_changed_at(&self) -> Result<Option<u64>, DeployError> {
        let out = match self
            .clients
            .cloudformation
            .describe_stacks()
            .stack_name(&self.stack_name)
            .send()
            .await
        {
            Ok(out) => out,
            Err(err) if is_missing_stack(&err) => return Ok(None),
            Err(err) => return Err(self.clients.refused("DescribeStacks")(err)),
        };
        Ok(out.stacks().first().and_then(|s| {
            s.last_updated_time()
                .or(s.creation_time())
                .and_then(|t| u64::try_from(t.secs()).ok())
        }))
    }

    /// The root stack's parameters as deployed, by name (NoEcho ones are
    /// masked by CloudFormation).
    pub async fn root_parameters(&self) -> Result<BTreeMap<String, String>, DeployError> {
        let out = self
            .clients
            .cloudformation
            .describe_stacks()
            .stack_name(&self.stack_name)
            .send()
            .await
            .map_err(self.clients.refused("DescribeStacks"))?;
        Ok(out
            .stacks()
            .first()
            .map(|s| {
                s.parameters()
                    .iter()
                    .filter_map(|p| {
                        Some((
                            p.parameter_key()?.to_string(),
                            p.parameter_value()?.to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    pub async fn stack_outputs(
        &self,
        stack: &str,
    ) -> Result<BTreeMap<String, String>, DeployError> {
        let out = self
            .clients
            .cloudformation
            .describe_stacks()
            .stack_name(stack)
            .send()
            .await
            .map_err(self.clients.refused("DescribeStacks"))?;
        Ok(out
            .stacks()
            .first()
            .map(|s| {
                s.outputs()
                    .iter()
                    .filter_map(|o| {
                        Some((o.output_key()?.to_string(), o.output_value()?.to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Physical ids of the root's nested stacks, by logical id.
    pub async fn nested_stacks(&self) -> Result<BTreeMap<String, String>, DeployError> {
        super::indexes::resource_ids(
            self.clients,
            &self.stack_name,
            Some("AWS::CloudFormation::Stack"),
        )
        .await
    }

    /// Upload `bytes` to `key` in the deployment bucket.
    pub async fn upload(&self, bucket: &str, key: &str, bytes: Vec<u8>) -> Result<(), DeployError> {
        self.clients
            .s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type("application/json")
            .body(bytes.into())
            .send()
            .await
            .map_err(self.clients.refused("PutObject"))?;
        Ok(())
    }

    /// Create a change set and wait until it is ready. None when it holds no change.
    pub async fn create_change_set(
        &self,
        kind: ChangeSetType,
        template_url: Option<&str>,
        template_body: Option<&str>,
        parameters: &BTreeMap<String, String>,
    ) -> Result<Option<String>, DeployError> {
        let cfn = &self.clients.cloudformation;
        let name = format!(
            "hoist-{}",
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        );
        let out = cfn
            .create_change_set()
            .stack_name(&self.stack_name)
            .change_set_name(&name)
            .change_set_type(kind)
            .set_template_url(template_url.map(str::to_string))
            .set_template_body(template_body.map(str::to_string))
            .set_parameters(Some(
                parameters
                    .iter()
                    .map(|(k, v)| {
                        Parameter::builder()
                            .parameter_key(k)
                            .parameter_value(v)
                            .build()
                    })
                    .collect(),
            ))
            .capabilities(Capability::CapabilityIam)
            .capabilities(Capability::CapabilityNamedIam)
            .capabilities(Capability::CapabilityAutoExpand)
            .set_tags(Some(
                self.tags
                    .iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build())
                    .collect(),
            ))
            .include_nested_stacks(true)
            .send()
            .await
            .map_err(self.clients.refused("CreateChangeSet"))?;
        let id = out.id().unwrap_or(&name).to_string();
        loop {
            let described = cfn
                .describe_change_set()
                .change_set_name(&id)
                .stack_name(&self.stack_name)
                .send()
                .await
                .map_err(self.clients.refused("DescribeChangeSet"))?;
            match described.status() {
                Some(ChangeSetStatus::CreateComplete) => return Ok(Some(id)),
                Some(ChangeSetStatus::Failed) => {
                    let reason = described.status_reason().unwrap_or_default().to_string();
                    if reason.contains("didn't contain changes") || reason.contains("No updates") {
                        let _ = cfn
                            .delete_change_set()
                            .change_set_name(&id)
                            .stack_name(&self.stack_name)
                            .send()
                            .await;
                        return Ok(None);
                    }
                    return Err(DeployError::unexpected(
                        "CreateChangeSet",
                        format!("CloudFormation could not create the change set: {reason}"),
                    ));
                }
                _ => tokio::time::sleep(self.poll / 2).await,
            }
        }
    }

    /// The changes of a change set, with those of the nested stacks' change sets.
    pub async fn changes(
        &self,
        change_set: &str,
        names: &BTreeMap<String, String>,
    ) -> Result<Vec<PlannedChange>, DeployError> {
        let cfn = &self.clients.cloudformation;
        let mut out = Vec::new();
        let mut queue = vec![(
            "root".to_string(),
            change_set.to_string(),
            Some(self.stack_name.clone()),
        )];
        while let Some((stack, id, stack_name)) = queue.pop() {
            let described = cfn
                .describe_change_set()
                .change_set_name(&id)
                .set_stack_name(stack_name)
                .send()
                .await
                .map_err(self.clients.refused("DescribeChangeSet"))?;
            for change in described.changes() {
                let Some(rc) = change.resource_change() else {
                    continue;
                };
                let logical = rc.logical_resource_id().unwrap_or_default().to_string();
                if let Some(nested) = rc.change_set_id() {
                    let label = names
                        .get(&logical)
                        .cloned()
                        .unwrap_or_else(|| logical.clone());
                    queue.push((label, nested.to_string(), None));
                }
                out.push(PlannedChange {
                    stack: stack.clone(),
                    logical_id: logical,
                    resource_type: rc.resource_type().unwrap_or_default().to_string(),
                    action: rc
                        .action()
                        .map(|a| a.as_str().to_string())
                        .unwrap_or_default(),
                    replacement: rc.replacement().map(|r| r.as_str().to_string()),
                });
            }
        }
        Ok(out)
    }

    pub async fn delete_change_set(&self, id: &str) {
        let _ = self
            .clients
            .cloudformation
            .delete_change_set()
            .change_set_name(id)
            .stack_name(&self.stack_name)
            .send()
            .await;
    }

    /// Deletes the change sets an earlier push made and never executed (it
    /// was interrupted or killed at "Deploy these changes?"): hoist's own
    /// (`hoist-*`), still `AVAILABLE`, made more than an hour ago (a younger
    /// one may be another checkout's, waiting for its answer). Returns how
    /// many were deleted. A failure to list or delete is no reason to stop a
    /// push: it is skipped.
    pub async fn delete_stale_change_sets(&self) -> usize {
        let cutoff = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64 - 3_600)
            .unwrap_or(0);
        let mut stale = Vec::new();
        let mut token = None;
        loop {
            let Ok(listed) = self
                .clients
                .cloudformation
                .list_change_sets()
                .stack_name(&self.stack_name)
                .set_next_token(token)
                .send()
                .await
            else {
                break;
            };
            for summary in listed.summaries() {
                let ours = summary
                    .change_set_name()
                    .is_some_and(|n| n.starts_with("hoist-"));
                let unexecuted = summary.execution_status()
                    == Some(&aws_sdk_cloudformation::types::ExecutionStatus::Available);
                let old = summary.creation_time().is_some_and(|t| t.secs() < cutoff);
                if let (true, true, true, Some(id)) =
                    (ours, unexecuted, old, summary.change_set_id())
                {
                    stale.push(id.to_string());
                }
            }
            token = listed.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        let mut deleted = 0;
        for id in stale {
            let gone = self
                .clients
                .cloudformation
                .delete_change_set()
                .change_set_name(&id)
                .stack_name(&self.stack_name)
                .send()
                .await
                .is_ok();
            deleted += usize::from(gone);
        }
        deleted
    }

    /// Execute the change set and follow the events until the root settles.
    /// Returns the root's final status.
    pub async fn execute_and_follow(
        &self,
        change_set: &str,
        names: &BTreeMap<String, String>,
        reporter: &dyn Reporter,
    ) -> Result<StackStatus, DeployError> {
        let start = DateTime::from(SystemTime::now() - Duration::from_secs(1));
        self.clients
            .cloudformation
            .execute_change_set()
            .change_set_name(change_set)
            .stack_name(&self.stack_name)
            // Resources made by this very operation are deleted when it rolls
            // back, even those retained on deletion (user pools, tables): a
            // failed first deploy leaves no orphans (ExecuteChangeSet API).
            .retain_except_on_create(true)
            .send()
            .await
            .map_err(self.clients.refused("ExecuteChangeSet"))?;
        self.follow(start, names, reporter).await
    }

    pub async fn follow(
        &self,
        start: DateTime,
        names: &BTreeMap<String, String>,
        reporter: &dyn Reporter,
    ) -> Result<StackStatus, DeployError> {
        let mut failures: Vec<String> = Vec::new();
        loop {
            let mut stacks = vec![("root".to_string(), self.stack_name.clone())];
            if let Ok(nested) = self.nested_stacks().await {
                for (logical, physical) in nested {
                    let label = names.get(&logical).cloned().unwrap_or(logical);
                    stacks.push((label, physical));
                }
            }
            for (label, stack) in &stacks {
                let Ok(out) = self
                    .clients
                    .cloudformation
                    .describe_stack_events()
                    .stack_name(stack)
                    .send()
                    .await
                else {
                    continue;
                };
                let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
                let mut fresh: Vec<_> = out
                    .stack_events()
                    .iter()
                    .filter(|e| e.timestamp().is_some_and(|t| t.secs() >= start.secs()))
                    .filter(|e| e.event_id().is_some_and(|id| !seen.contains(id)))
                    .cloned()
                    .collect();
                fresh.reverse();
                for e in fresh {
                    seen.insert(e.event_id().unwrap_or_default().to_string());
                    let status = e
                        .resource_status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default();
                    let logical = e.logical_resource_id().unwrap_or_default();
                    let reason = e.resource_status_reason();
                    if status.ends_with("_FAILED")
                        && let Some(reason) = reason.filter(|r| !r.contains("cancelled"))
                    {
                        failures.push(format!(
                            "{label}: {logical} ({}): {reason}",
                            e.resource_type().unwrap_or_default()
                        ));
                    }
                    reporter.event(
                        label,
                        logical,
                        e.resource_type().unwrap_or_default(),
                        &status,
                        reason,
                    );
                }
            }
            let status = self
                .root_status()
                .await?
                .unwrap_or(StackStatus::DeleteComplete);
            if is_settled(&status) {
                if status == StackStatus::UpdateRollbackFailed {
                    return Err(DeployError::RollbackFailed {
                        stack: self.stack_name.clone(),
                    });
                }
                if !is_success(&status) {
                    let failures = if failures.is_empty() {
                        "CloudFormation gave no reason for the first failure".to_string()
                    } else {
                        failures
                            .iter()
                            .take(5)
                            .map(|f| format!("- {f}"))
                            .collect::<Vec<_>>()
                            .join("\n")
                    };
                    return Err(DeployError::Failed {
                        stack: self.stack_name.clone(),
                        status: status.as_str().to_string(),
                        failures,
                    });
                }
                return Ok(status);
            }
            tokio::time::sleep(self.poll).await;
        }
    }

    /// ContinueUpdateRollback for a root stuck in UPDATE_ROLLBACK_FAILED.
    pub async fn recover(&self, reporter: &dyn Reporter) -> Result<StackStatus, DeployError> {
        let start = DateTime::from(SystemTime::now() - Duration::from_secs(1));
        self.clients
            .cloudformation
            .continue_update_rollback()
            .stack_name(&self.stack_name)
            .send()
            .await
            .map_err(self.clients.refused("ContinueUpdateRollback"))?;
        match self.follow(start, &BTreeMap::new(), reporter).await {
            // a finished rollback is what recovery is for
            Err(DeployError::Failed { status, .. }) if status == "UPDATE_ROLLBACK_COMPLETE" => {
                Ok(StackStatus::UpdateRollbackComplete)
            }
            other => other,
        }
    }

    /// Outputs of the root and of each resource's nested stack.
    pub async fn read_outputs(
        &self,
        build: &Build,
    ) -> Result<(BTreeMap<String, String>, DeployedOutputs), DeployError> {
        let root = self.stack_outputs(&self.stack_name).await?;
        let nested = self.nested_stacks().await?;
        let mut deployed = DeployedOutputs::new();
        for stack in &build.stacks {
            if let Some(physical) = nested.get(&stack.logical_id) {
                deployed.insert(
                    format!("{}/{}", stack.category, stack.name),
                    self.stack_outputs(physical).await?,
                );
            }
        }
        Ok((root, deployed))
    }
}

/// The content-addressed key of the root template.
pub fn root_key(build: &Build) -> String {
    let sha = super::snapshot::root_sha256(build);
    format!("templates/root-{}.json", &sha[..16])
}

pub fn root_template(build: &Build) -> &[u8] {
    build
        .files
        .get(ROOT_TEMPLATE)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
