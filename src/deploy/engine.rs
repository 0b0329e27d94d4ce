//! The CloudFormation engine the deploy operations are built from: the root
//! stack's status (CloudFormation's `StackStatus`), waiting for a running deploy,
//! uploads, change sets and their changes, executing one while following the
//! events of the root and nested stacks, recovery of a failed rollback, and
//! reading the outputs. `push::Push` puts them together.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, SystemTime};

use aws_sdk_cloudformation::error::DisplayErrorContext;
use aws_sdk_cloudformation::primitives::DateTime;
use aws_sdk_cloudformation::types::{
    Capability, ChangeSetStatus, ChangeSetType, Parameter, StackStatus, Tag,
};
use miette::Diagnostic;
use thiserror::Error;

use super::aws::Clients;
use crate::category::SecretRef;
use crate::outputs::DeployedOutputs;
use crate::synth::{Build, ROOT_TEMPLATE};

#[derive(Debug, Error, Diagnostic)]
pub enum DeployError {
    /// A call to AWS (or the emulator at `--endpoint-url`) that failed: the
    /// cause in one line ([`super::aws::Cause`]) and its fix; the SDK's whole
    /// context (`detail`) is printed only with `-v`.
    #[error("{action} failed: {summary}")]
    #[diagnostic(code(hoist::deploy::aws), help("{help}"))]
    Aws {
        action: &'static str,
        summary: String,
        help: String,
        detail: String,
    },

    #[error("the AWS profile `{profile}` ({from}) is not defined: {known}")]
    #[diagnostic(
        code(hoist::deploy::profile),
        help(
            "create it with `aws configure --profile {profile}` (or `aws configure sso`), or name a profile that exists"
        )
    )]
    UnknownProfile {
        profile: String,
        from: &'static str,
        known: String,
    },

    #[error("the deploy of `{stack}` failed and was rolled back ({status})")]
    #[diagnostic(
        code(hoist::deploy::failed),
        help("{failures}\nNothing local was changed: fix the cause and run `hoist push` again")
    )]
    Failed {
        stack: String,
        status: String,
        failures: String,
    },

    #[error(
        "the stack `{stack}` is in UPDATE_ROLLBACK_FAILED: CloudFormation could not roll back an update"
    )]
    #[diagnostic(
        code(hoist::deploy::rollback_failed),
        help(
            "fix what blocked the rollback (often a resource changed or deleted by hand), then run `hoist push --recover`"
        )
    )]
    RollbackFailed { stack: String },

    #[error("could not read the secret for `{parameter}` from {source_name}: {reason}")]
    #[diagnostic(
        code(hoist::deploy::secret),
        help(
            "set it (it is read at deploy time and never stored), or change where it comes from in hoist.toml"
        )
    )]
    Secret {
        parameter: String,
        source_name: String,
        reason: String,
    },
}

impl DeployError {
    /// A failed call of `action` at `endpoint`, from what [`super::aws::classify`] read.
    pub fn from_cause(
        action: &'static str,
        endpoint: &str,
        cause: super::aws::Cause,
        err: &dyn std::error::Error,
    ) -> Self {
        DeployError::Aws {
            action,
            summary: cause.summary(endpoint),
            help: cause.help(),
            detail: DisplayErrorContext(err).to_string(),
        }
    }

    /// A call whose answer lacked what hoist needs (no error from the SDK).
    pub fn unexpected(action: &'static str, summary: impl Into<String>) -> Self {
        DeployError::Aws {
            action,
            summary: summary.into(),
            help: "run with -v for details; check the region and credentials of this environment"
                .into(),
            detail: String::new(),
        }
    }

    /// The SDK's whole context, for `-v`.
    pub fn detail(&self) -> Option<&str> {
        match self {
            DeployError::Aws { detail, .. } if !detail.is_empty() => Some(detail),
            _ => None,
        }
    }
}

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
        let mut found = BTreeMap::new();
        let mut token = None;
        loop {
            let out = self
                .clients
                .cloudformation
                .list_stack_resources()
                .stack_name(&self.stack_name)
                .set_next_token(token)
                .send()
                .await
                .map_err(self.clients.refused("ListStackResources"))?;
            for r in out.stack_resource_summaries() {
                if r.resource_type() == Some("AWS::CloudFormation::Stack")
                    && let (Some(logical), Some(physical)) =
                        (r.logical_resource_id(), r.physical_resource_id())
                {
                    found.insert(logical.to_string(), physical.to_string());
                }
            }
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(found);
            }
        }
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

/// The log group AppSync writes an API's resolver errors to (AppSync
/// developer guide, "Logging"): `/aws/appsync/apis/<api id>`.
pub fn appsync_log_group(api_id: &str) -> String {
    format!("/aws/appsync/apis/{api_id}")
}

/// Gives an API's log group its retention: the group is made if AppSync has
/// not made it yet (CreateLogGroup; one that exists is fine), then
/// PutRetentionPolicy. A log group made by CloudFormation would collide with
/// the one AppSync made for an API deployed before, so this is a call of its
/// own, after the deploy.
///
/// Errors: what CloudWatch Logs refuses (the caller reports it as a warning:
/// the deploy itself is done).
pub async fn set_log_retention(
    clients: &Clients,
    api_id: &str,
    days: u16,
) -> Result<(), DeployError> {
    let group = appsync_log_group(api_id);
    if let Err(err) = clients
        .logs
        .create_log_group()
        .log_group_name(&group)
        .send()
        .await
    {
        let exists = err
            .as_service_error()
            .is_some_and(|e| e.is_resource_already_exists_exception());
        if !exists {
            return Err(clients.refused("CreateLogGroup")(err));
        }
    }
    clients
        .logs
        .put_retention_policy()
        .log_group_name(&group)
        .retention_in_days(i32::from(days))
        .send()
        .await
        .map_err(clients.refused("PutRetentionPolicy"))?;
    Ok(())
}

/// Resolve the build's secret parameters from environment variables and SSM.
pub async fn resolve_secrets(
    clients: &Clients,
    secrets: &BTreeMap<String, SecretRef>,
) -> Result<BTreeMap<String, String>, DeployError> {
    let mut values = BTreeMap::new();
    for (parameter, source) in secrets {
        let value = match source {
            SecretRef::Env(var) => std::env::var(var).map_err(|_| DeployError::Secret {
                parameter: parameter.clone(),
                source_name: format!("the environment variable `{var}`"),
                reason: "it is not set".into(),
            })?,
            SecretRef::Ssm(name) => clients
                .ssm
                .get_parameter()
                .name(name)
                .with_decryption(true)
                .send()
                .await
                .map_err(|e| DeployError::Secret {
                    parameter: parameter.clone(),
                    source_name: format!("the SSM parameter `{name}`"),
                    reason: DisplayErrorContext(&e).to_string(),
                })?
                .parameter()
                .and_then(|p| p.value())
                .unwrap_or_default()
                .to_string(),
        };
        values.insert(parameter.clone(), value);
    }
    Ok(values)
}

/// The API keys' expiry parameters for a deploy at `now` (seconds since the
/// Unix epoch): each key lives its full `days` from now. AppSync keeps an
/// expiry rounded down to the hour and accepts 1 to 365 days (`Expires`,
/// AWS::AppSync::ApiKey; `ApiKeyValidityOutOfBoundsException`, counted from
/// when the key is updated, which comes after the change set is made and
/// confirmed), so an hour of slack is added and the time rounded up to the
/// hour; at 365 days it is rounded down to stay within the limit.
pub fn key_expiry_parameters(build: &Build, now: u64) -> BTreeMap<String, u64> {
    build
        .key_expiries
        .iter()
        .map(|(parameter, days)| (parameter.clone(), key_expiry(now, *days)))
        .collect()
}

/// When a key made at `now` for `days` days expires: see [`key_expiry_parameters`].
pub fn key_expiry(now: u64, days: u16) -> u64 {
    let exact = now + u64::from(days) * 86_400;
    if days >= 365 {
        return exact - exact % 3_600;
    }
    let padded = exact + 3_600;
    padded.div_ceil(3_600) * 3_600
}

/// Whether a key expiring at `expires_at`, made for `days` days, is due for
/// renewal at `now`: in the last third of its life (the two hours
/// [`key_expiry`] may add count with it, so a fresh key is never due).
pub fn key_renewal_due(expires_at: u64, days: u16, now: u64) -> bool {
    let window = u64::from(days) * 86_400 / 3;
    now + window + 2 * 3_600 >= expires_at
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
mod tests {
    //! States moto cannot produce (failures, rollbacks, a deploy already
    //! running), replayed with aws-smithy-mocks.

    use std::sync::Mutex;

    use aws_sdk_cloudformation::Client;
    use aws_sdk_cloudformation::operation::describe_stack_events::DescribeStackEventsOutput;
    use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksOutput;
    use aws_sdk_cloudformation::operation::list_stack_resources::ListStackResourcesOutput;
    use aws_sdk_cloudformation::types::{ResourceStatus, Stack, StackEvent, StackStatus};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;

    fn stack(status: StackStatus) -> DescribeStacksOutput {
        DescribeStacksOutput::builder()
            .stacks(
                Stack::builder()
                    .stack_name("hoist-shop-dev")
                    .stack_status(status)
                    .creation_time(DateTime::from_secs(0))
                    .build(),
            )
            .build()
    }

    fn event(
        id: &str,
        logical: &str,
        kind: &str,
        status: ResourceStatus,
        reason: Option<&str>,
    ) -> StackEvent {
        StackEvent::builder()
            .event_id(id)
            .stack_id("arn:aws:cloudformation:us-east-1:123456789012:stack/hoist-shop-dev/1")
            .stack_name("hoist-shop-dev")
            .logical_resource_id(logical)
            .resource_type(kind)
            .resource_status(status)
            .set_resource_status_reason(reason.map(str::to_string))
            .timestamp(DateTime::from(SystemTime::now()))
            .build()
    }

    #[derive(Default)]
    struct Recorder(Mutex<Vec<String>>);

    impl Reporter for Recorder {
        fn step(&self, message: &str) {
            self.0.lock().unwrap().push(format!("step: {message}"));
        }
        fn event(
            &self,
            stack: &str,
            logical_id: &str,
            _: &str,
            status: &str,
            reason: Option<&str>,
        ) {
            self.0.lock().unwrap().push(format!(
                "{stack} {logical_id} {status} {}",
                reason.unwrap_or("")
            ));
        }
    }

    fn engine(cloudformation: Client) -> (Clients, String) {
        let s3 = mock_client!(
            aws_sdk_s3,
            RuleMode::MatchAny,
            Vec::<&aws_smithy_mocks::Rule>::new()
        );
        let ssm = mock_client!(
            aws_sdk_ssm,
            RuleMode::MatchAny,
            Vec::<&aws_smithy_mocks::Rule>::new()
        );
        (
            Clients::new(cloudformation, s3, ssm, "AWS in eu-west-1"),
            "hoist-shop-dev".to_string(),
        )
    }

    fn new_engine(clients: &Clients, name: String) -> Engine<'_> {
        Engine {
            clients,
            stack_name: name,
            tags: Vec::new(),
            seen: Default::default(),
            poll: Duration::from_millis(1),
        }
    }

    #[tokio::test]
    async fn a_failed_update_names_the_failing_resource_and_waits_for_the_rollback() {
        let events = mock!(Client::describe_stack_events).then_output(|| {
            DescribeStackEventsOutput::builder()
                // newest first, as CloudFormation lists them
                .stack_events(event(
                    "4",
                    "hoist-shop-dev",
                    "AWS::CloudFormation::Stack",
                    ResourceStatus::UpdateRollbackComplete,
                    None,
                ))
                .stack_events(event(
                    "3",
                    "UserPool",
                    "AWS::Cognito::UserPool",
                    ResourceStatus::UpdateFailed,
                    Some("Resource update cancelled"),
                ))
                .stack_events(event(
                    "2",
                    "Bucket",
                    "AWS::S3::Bucket",
                    ResourceStatus::CreateFailed,
                    Some("shop-files already exists"),
                ))
                .stack_events(event(
                    "1",
                    "Bucket",
                    "AWS::S3::Bucket",
                    ResourceStatus::CreateInProgress,
                    None,
                ))
                .build()
        });
        let resources = mock!(Client::list_stack_resources)
            .then_output(|| ListStackResourcesOutput::builder().build());
        let status = mock!(Client::describe_stacks)
            .sequence()
            .output(|| stack(StackStatus::UpdateRollbackInProgress))
            .output(|| stack(StackStatus::UpdateRollbackComplete))
            .repeatedly()
            .build();
        let cfn = mock_client!(
            aws_sdk_cloudformation,
            RuleMode::MatchAny,
            [&events, &resources, &status]
        );
        let (clients, name) = engine(cfn);
        let engine = new_engine(&clients, name);
        let recorder = Recorder::default();
        let err = engine
            .follow(DateTime::from_secs(0), &BTreeMap::new(), &recorder)
            .await
            .unwrap_err();
        match err {
            DeployError::Failed {
                status, failures, ..
            } => {
                assert_eq!(status, "UPDATE_ROLLBACK_COMPLETE");
                assert!(
                    failures.contains("Bucket (AWS::S3::Bucket): shop-files already exists"),
                    "{failures}"
                );
                assert!(
                    !failures.contains("cancelled"),
                    "cancelled resources are not the cause: {failures}"
                );
            }
            other => panic!("{other:?}"),
        }
        let lines = recorder.0.lock().unwrap().clone();
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert!(
            lines[0].starts_with("root Bucket CREATE_IN_PROGRESS"),
            "oldest first: {lines:?}"
        );
    }

    #[tokio::test]
    async fn update_rollback_failed_offers_recovery() {
        let events = mock!(Client::describe_stack_events)
            .then_output(|| DescribeStackEventsOutput::builder().build());
        let resources = mock!(Client::list_stack_resources)
            .then_output(|| ListStackResourcesOutput::builder().build());
        let status =
            mock!(Client::describe_stacks).then_output(|| stack(StackStatus::UpdateRollbackFailed));
        let cfn = mock_client!(
            aws_sdk_cloudformation,
            RuleMode::MatchAny,
            [&events, &resources, &status]
        );
        let (clients, name) = engine(cfn);
        let err = new_engine(&clients, name)
            .follow(
                DateTime::from_secs(0),
                &BTreeMap::new(),
                &Recorder::default(),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, DeployError::RollbackFailed { .. }), "{err:?}");
        let text = format!("{:?}", miette::Report::new(err));
        assert!(text.contains("hoist push --recover"), "{text}");
    }

    #[tokio::test]
    async fn a_deploy_in_progress_is_waited_for_never_joined() {
        let status = mock!(Client::describe_stacks)
            .sequence()
            .output(|| stack(StackStatus::UpdateInProgress))
            .times(3)
            .output(|| stack(StackStatus::UpdateComplete))
            .build();
        let cfn = mock_client!(aws_sdk_cloudformation, RuleMode::Sequential, [&status]);
        let (clients, name) = engine(cfn);
        let recorder = Recorder::default();
        let settled = new_engine(&clients, name)
            .wait_settled(&recorder)
            .await
            .unwrap();
        assert_eq!(settled, Some(StackStatus::UpdateComplete));
        let lines = recorder.0.lock().unwrap().clone();
        assert_eq!(lines.len(), 1, "announced once: {lines:?}");
        assert!(lines[0].contains("another deploy is running"), "{lines:?}");
    }

    /// DescribeStacks answered with a service error `code`.
    fn refusal(
        code: &'static str,
        message: &'static str,
    ) -> impl Fn() -> aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksError
    + Send
    + Sync
    + 'static {
        use aws_sdk_cloudformation::error::ErrorMetadata;
        use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksError;
        move || {
            DescribeStacksError::generic(
                ErrorMetadata::builder().code(code).message(message).build(),
            )
        }
    }

    #[tokio::test]
    async fn a_missing_stack_is_none_and_other_refusals_are_errors() {
        let missing = mock!(Client::describe_stacks).then_error(refusal(
            "ValidationError",
            "Stack with id hoist-shop-dev does not exist",
        ));
        let cfn = mock_client!(aws_sdk_cloudformation, [&missing]);
        let (clients, name) = engine(cfn);
        assert_eq!(
            new_engine(&clients, name).root_status().await.unwrap(),
            None
        );

        // an access error that happens to mention "does not exist" is no missing stack
        let denied = mock!(Client::describe_stacks).then_error(refusal(
            "AccessDenied",
            "User is not authorized: the role does not exist",
        ));
        let cfn = mock_client!(aws_sdk_cloudformation, [&denied]);
        let (clients, name) = engine(cfn);
        let err = new_engine(&clients, name).root_status().await.unwrap_err();
        assert!(
            matches!(
                err,
                DeployError::Aws {
                    action: "DescribeStacks",
                    ..
                }
            ),
            "{err:?}"
        );
        // one line, AWS's words (the action and the principal), and the fix
        assert_eq!(
            err.to_string(),
            "DescribeStacks failed: access denied: User is not authorized: the role does not exist"
        );
        let help = miette::Diagnostic::help(&err).unwrap().to_string();
        assert!(help.contains("IAM policy"), "{help}");
        assert!(err.detail().is_some_and(|d| d.contains("AccessDenied")));
    }

    /// Keys AWS does not accept are said to be the credentials' fault, with
    /// the code AWS gave, and never as a dump of the SDK's structures.
    #[tokio::test]
    async fn rejected_credentials_are_one_line_with_the_fix() {
        let rejected = mock!(Client::describe_stacks).then_error(refusal(
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        ));
        let cfn = mock_client!(aws_sdk_cloudformation, [&rejected]);
        let (clients, name) = engine(cfn);
        let err = new_engine(&clients, name).root_status().await.unwrap_err();
        let text = err.to_string();
        assert_eq!(
            text,
            "DescribeStacks failed: AWS did not accept the credentials (InvalidClientTokenId: The security token included in the request is invalid.)"
        );
        assert!(!text.contains('{') && !text.contains('\n'), "{text}");
        let help = miette::Diagnostic::help(&err).unwrap().to_string();
        assert!(help.contains("aws sso login"), "{help}");
    }

    /// A push interrupted at "Deploy these changes?" leaves its change set:
    /// the next push deletes hoist's unexecuted ones older than an hour, and
    /// no one else's nor a young one (another checkout may be answering).
    #[tokio::test]
    async fn stale_change_sets_of_hoist_are_deleted_and_others_kept() {
        use aws_sdk_cloudformation::operation::delete_change_set::DeleteChangeSetOutput;
        use aws_sdk_cloudformation::operation::list_change_sets::ListChangeSetsOutput;
        use aws_sdk_cloudformation::types::{ChangeSetSummary, ExecutionStatus};
        let two_hours_ago = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
            - 7_200;
        let summary = move |name: &str, status: ExecutionStatus| {
            let made = if name.ends_with("-young") {
                two_hours_ago + 7_100
            } else {
                two_hours_ago
            };
            ChangeSetSummary::builder()
                .creation_time(aws_sdk_cloudformation::primitives::DateTime::from_secs(
                    made,
                ))
                .change_set_name(name)
                .change_set_id(format!(
                    "arn:aws:cloudformation:eu-west-1:123456789012:changeSet/{name}/1"
                ))
                .execution_status(status)
                .build()
        };
        let listed = mock!(Client::list_change_sets).then_output(move || {
            ListChangeSetsOutput::builder()
                .summaries(summary("hoist-1700000000", ExecutionStatus::Available))
                .summaries(summary(
                    "hoist-1600000000",
                    ExecutionStatus::ExecuteComplete,
                ))
                .summaries(summary("someone-elses", ExecutionStatus::Available))
                .summaries(summary(
                    "hoist-1800000000-young",
                    ExecutionStatus::Available,
                ))
                .build()
        });
        let deleted_ids = std::sync::Arc::new(Mutex::new(Vec::<String>::new()));
        let seen = deleted_ids.clone();
        let delete = mock!(Client::delete_change_set)
            .match_requests(move |r| {
                seen.lock()
                    .unwrap()
                    .push(r.change_set_name().unwrap_or_default().to_string());
                true
            })
            .then_output(|| DeleteChangeSetOutput::builder().build());
        let cfn = mock_client!(
            aws_sdk_cloudformation,
            RuleMode::MatchAny,
            [&listed, &delete]
        );
        let (clients, name) = engine(cfn);
        assert_eq!(
            new_engine(&clients, name).delete_stale_change_sets().await,
            1
        );
        let deleted = deleted_ids.lock().unwrap().clone();
        assert_eq!(deleted.len(), 1, "{deleted:?}");
        assert!(deleted[0].contains("hoist-1700000000"), "{deleted:?}");
    }

    #[test]
    fn settled_and_success_states() {
        assert!(!is_settled(&StackStatus::UpdateCompleteCleanupInProgress));
        assert!(is_settled(&StackStatus::UpdateRollbackFailed));
        assert!(is_success(&StackStatus::UpdateComplete));
        assert!(!is_success(&StackStatus::UpdateRollbackComplete));
        assert!(!is_success(&StackStatus::RollbackComplete));
    }
}
