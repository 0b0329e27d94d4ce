//! The push operation: bring an environment's root stack to its build. It waits
//! for a running deploy, recovers or clears a failed one, creates the root stack
//! with its deployment bucket on the first push, uploads what is new, deploys
//! through a change set, follows the events and records the outputs.
//!
//! It never prints or prompts: what it says and asks goes through
//! [`Conversation`], and resource events through the engine's [`Reporter`].
//! The stack states it acts on are CloudFormation's own
//! ([`StackStatus`], from the DescribeStacks API reference).

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use aws_sdk_cloudformation::types::{ChangeSetType, StackStatus};
use miette::Diagnostic;
use thiserror::Error;

use super::aws::{Clients, Target};
use super::engine::{self, Engine, PlannedChange, Reporter};
use super::error::DeployError;
use super::snapshot::{self, Snapshot};
use crate::error::FsError;
use crate::outputs::DeployedOutputs;
use crate::project::{ProjectFile, state};
use crate::synth::{self, Build};

#[derive(Debug, Error, Diagnostic)]
pub enum PushError {
    #[error("another `hoist push` is running in this checkout (it holds the lock on `{}`)", path.display())]
    #[diagnostic(
        code(hoist::push::locked),
        help("wait for it to finish, then run `hoist push` again")
    )]
    Locked { path: PathBuf },

    #[error("the environment `{env}` has not been deployed from this checkout")]
    #[diagnostic(
        code(hoist::outputs::not_deployed),
        help(
            "run `hoist push --env {env}`, or `hoist env pull {env}` to read it from CloudFormation"
        )
    )]
    NotDeployed { env: String },

    #[error("`{stack}` is not in AWS ({region}), though this checkout deployed it")]
    #[diagnostic(
        code(hoist::push::missing),
        help(
            "if it was deleted on purpose, `hoist push --force` creates it again (new, empty user pool and tables: the retained ones are not reused); if these credentials reach another AWS account than the one it was deployed to, use that account's profile"
        )
    )]
    Missing { stack: String, region: String },

    #[error("`{stack}` is DELETE_FAILED: an earlier deletion did not finish")]
    #[diagnostic(
        code(hoist::push::delete_failed),
        help(
            "run `hoist delete --env {env}` again (CloudFormation's events say what blocked it), then `hoist push` creates the environment anew"
        )
    )]
    DeleteFailed { stack: String, env: String },

    #[error("`{stack}` was deployed from elsewhere ({updated}) since this checkout's last push")]
    #[diagnostic(
        code(hoist::push::changed_elsewhere),
        help(
            "read what is deployed with `hoist env pull {env}`, then push again (or `hoist push --force` to deploy this checkout's version over it)"
        )
    )]
    ChangedElsewhere {
        stack: String,
        updated: String,
        env: String,
    },

    #[error("deploy interrupted: it goes on in CloudFormation")]
    #[diagnostic(
        code(hoist::push::interrupted),
        help("run `hoist push` again: it waits for the running deploy, then continues")
    )]
    Interrupted,
}

/// An exclusive OS lock on `.hoist/push.lock` that keeps two pushes from one
/// checkout apart. The OS releases it when the process ends, however it ends,
/// so a crashed push never leaves a stale lock behind.
pub struct PushLock {
    _file: File,
}

impl PushLock {
    /// The lock file's path under the project's root.
    pub fn path(root: &Path) -> PathBuf {
        root.join(state::STATE_DIR).join("push.lock")
    }

    /// Take the lock without waiting. Errors: [`PushError::Locked`] while another
    /// process holds it; an [`FsError`] when the file cannot be opened.
    pub fn acquire(root: &Path) -> Result<PushLock, crate::Error> {
        let path = Self::path(root);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| FsError::new("create folder", dir, e))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| FsError::new("create", &path, e))?;
        match file.try_lock() {
            Ok(()) => Ok(PushLock { _file: file }),
            Err(TryLockError::WouldBlock) => Err(PushError::Locked { path }.into()),
            Err(TryLockError::Error(e)) => Err(FsError::new("lock", path, e).into()),
        }
    }
}

/// What AWS holds of an environment, against the snapshot of this
/// checkout's last deploy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deployed {
    /// The root stack is there, complete, and unchanged since that deploy.
    AsRecorded,
    /// The root stack does not exist (deleted outside hoist, or these
    /// credentials reach another account).
    Missing,
    /// The root stack is there, unchanged since that deploy, but not
    /// complete (that deploy failed or was rolled back): its status.
    Unfinished(String),
    /// The root stack was updated after that deploy: when (RFC 3339).
    ChangedElsewhere { updated: String },
}

/// Reads the root stack (DescribeStacks; a stack another deploy is moving is
/// waited for until it settles) and compares it with the snapshot: its last
/// update against the one the snapshot recorded first (a later one came from
/// somewhere else, whatever its status), then its status.
///
/// Errors: [`DeployError`] when AWS cannot be asked.
pub async fn check_deployed(
    clients: &Clients,
    stack: &str,
    recorded: &Snapshot,
    reporter: &dyn Reporter,
) -> Result<Deployed, DeployError> {
    let engine = Engine::new(clients, stack.to_string(), Vec::new());
    let mut waited = false;
    let (found, status) = loop {
        let described = match clients
            .cloudformation
            .describe_stacks()
            .stack_name(stack)
            .send()
            .await
        {
            Ok(out) => out,
            Err(err) if engine::is_missing_stack(&err) => return Ok(Deployed::Missing),
            Err(err) => return Err(clients.refused("DescribeStacks")(err)),
        };
        let Some(found) = described.stacks().first().cloned() else {
            return Ok(Deployed::Missing);
        };
        let status = match found.stack_status() {
            None | Some(StackStatus::DeleteComplete) => return Ok(Deployed::Missing),
            Some(s) => s.clone(),
        };
        // Another deploy is moving the stack: wait for it, then read again.
        if engine::is_settled(&status) || waited {
            break (found, status);
        }
        engine.wait_settled(reporter).await?;
        waited = true;
    };
    // Compared with the stack's own time as recorded, so clocks that
    // disagree do not matter; older snapshots have only the local end time.
    let since = recorded
        .stack_changed_at
        .or((recorded.deployed_at > 0).then_some(recorded.deployed_at));
    let changed = found.last_updated_time().or(found.creation_time());
    if let (Some(time), Some(since)) = (changed, since)
        && u64::try_from(time.secs()).unwrap_or(0) > since
    {
        return Ok(Deployed::ChangedElsewhere {
            updated: time
                .fmt(aws_sdk_cloudformation::primitives::DateTimeFormat::DateTime)
                .unwrap_or_else(|_| time.to_string()),
        });
    }
    if !engine::is_success(&status) {
        return Ok(Deployed::Unfinished(status.as_str().to_string()));
    }
    Ok(Deployed::AsRecorded)
}

/// How a push goes about it.
#[derive(Debug, Clone, Default)]
pub struct PushOptions {
    /// Show the change set, deploy nothing.
    pub dry_run: bool,
    /// Continue a failed rollback (`UPDATE_ROLLBACK_FAILED`) first.
    pub recover: bool,
    /// Deploy even when the local snapshot says nothing changed.
    pub force: bool,
    /// Do not run codegen after synthesizing.
    pub no_codegen: bool,
}

/// What the push says and asks as it goes; the command answers on the terminal.
pub trait Conversation {
    /// A step or a notice (`Creating ...`, `Deploying ...`).
    fn info(&self, message: &str);
    /// Shown with `-v`.
    fn detail(&self, message: &str);
    /// An end that is not an error (`No changes: ...`).
    fn success(&self, message: &str);
    /// The change set about to be executed.
    fn show_changes(&self, changes: &[PlannedChange]);
    /// Whether to execute the change set just shown.
    fn confirm_deploy(&mut self) -> Result<bool, crate::Error>;
}

/// How a push ended, when it did not fail.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A dry run of an environment whose root stack does not exist yet.
    WouldCreate,
    /// A dry run: the change set was shown and deleted.
    DryRun,
    /// The change set was shown and the user declined it.
    Declined,
    /// Deployed: the outputs were written to `outputs_file` and the
    /// snapshot saved.
    Deployed {
        outputs: DeployedOutputs,
        outputs_file: PathBuf,
    },
    /// CloudFormation found nothing to change: the outputs were written
    /// again and the snapshot saved.
    UpToDate {
        outputs: DeployedOutputs,
        outputs_file: PathBuf,
    },
}

/// One push of `build` to the environment `env`.
pub struct Push<'a> {
    pub file: &'a ProjectFile,
    pub env: &'a str,
    pub build: &'a Build,
    /// The snapshot of the last deploy from this checkout.
    pub last: Option<&'a Snapshot>,
    pub options: &'a PushOptions,
}

/// Labels for the nested stacks' logical ids: `auth/main`.
fn stack_names(build: &Build) -> BTreeMap<String, String> {
    build
        .stacks
        .iter()
        .map(|s| (s.logical_id.clone(), format!("{}/{}", s.category, s.name)))
        .collect()
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Push<'_> {
    /// Run the push against `target` with `clients`.
    ///
    /// Errors: [`DeployError`] for what AWS refused or a deploy that failed
    /// (with CloudFormation's reasons), a failed rollback
    /// ([`DeployError::RollbackFailed`], recovered with `options.recover`),
    /// and the local writes of outputs and snapshot.
    pub async fn run(
        &self,
        clients: &Clients,
        target: &Target,
        reporter: &dyn Reporter,
        talk: &mut dyn Conversation,
    ) -> Result<Outcome, crate::Error> {
        let build = self.build;
        let project = &self.file.manifest.project.name;
        // Functions are built first: code that does not compile deploys nothing.
        let packages = self.packages(talk)?;
        let engine = Engine::new(
            clients,
            build.stack_name.clone(),
            vec![
                ("hoist:project".into(), project.clone()),
                ("hoist:env".into(), self.env.to_string()),
            ],
        );
        let names = stack_names(build);

        let mut status = engine.wait_settled(reporter).await?;
        match status {
            Some(StackStatus::UpdateRollbackFailed) if self.options.recover => {
                talk.info(&format!(
                    "Continuing the failed rollback of `{}` ...",
                    build.stack_name
                ));
                engine.recover(reporter).await?;
                status = engine.root_status().await?;
            }
            Some(StackStatus::UpdateRollbackFailed) => {
                return Err(DeployError::RollbackFailed {
                    stack: build.stack_name.clone(),
                }
                .into());
            }
            _ if self.options.recover => talk.info(&format!(
                "`{}` has no failed rollback to continue",
                build.stack_name
            )),
            Some(StackStatus::RollbackComplete) => {
                // A first deploy that failed leaves a stack that can only be deleted.
                talk.info(&format!("`{}` is ROLLBACK_COMPLETE after a failed first deploy: deleting it before trying again", build.stack_name));
                clients
                    .cloudformation
                    .delete_stack()
                    .stack_name(&build.stack_name)
                    .send()
                    .await
                    .map_err(clients.refused("DeleteStack"))?;
                status = engine.wait_settled(reporter).await?;
            }
            _ => {}
        }

        // The go-ahead, once given for a first deploy's plan, holds for its
        // resources' change set too.
        let mut accepted = false;
        if status.is_none() {
            // Nothing is created before the whole plan is shown and accepted:
            // the root stack and its bucket, then every resource's stack.
            talk.info(&format!(
                "`{}` does not exist yet: the first push creates it",
                build.stack_name
            ));
            let mut plan = vec![
                PlannedChange {
                    stack: "root".into(),
                    logical_id: build.stack_name.clone(),
                    resource_type: "AWS::CloudFormation::Stack".into(),
                    action: "Add".into(),
                    replacement: None,
                },
                PlannedChange {
                    stack: "root".into(),
                    logical_id: "DeploymentBucket".into(),
                    resource_type: "AWS::S3::Bucket".into(),
                    action: "Add".into(),
                    replacement: None,
                },
            ];
            plan.extend(build.stacks.iter().map(|stack| PlannedChange {
                stack: "root".into(),
                logical_id: format!("{}/{}", stack.category, stack.name),
                resource_type: "AWS::CloudFormation::Stack".into(),
                action: "Add".into(),
                replacement: None,
            }));
            talk.show_changes(&plan);
            if self.options.dry_run {
                talk.info("Dry run: nothing was created.");
                return Ok(Outcome::WouldCreate);
            }
            if !talk.confirm_deploy()? {
                talk.info("Nothing was created.");
                return Ok(Outcome::Declined);
            }
            accepted = true;
            talk.info(&format!(
                "Creating `{}` with its deployment bucket ...",
                build.stack_name
            ));
            let bootstrap = synth::bootstrap_template(project, self.env);
            let body = String::from_utf8_lossy(&bootstrap).into_owned();
            if let Some(id) = engine
                .create_change_set(ChangeSetType::Create, None, Some(&body), &BTreeMap::new())
                .await?
            {
                engine.execute_and_follow(&id, &names, reporter).await?;
            }
        }

        let root_outputs = engine.stack_outputs(&build.stack_name).await?;
        let bucket = root_outputs
            .get("DeploymentBucketName")
            .cloned()
            .ok_or_else(|| {
                DeployError::unexpected(
                    "DescribeStacks",
                    format!("`{}` has no DeploymentBucketName output", build.stack_name),
                )
            })?;

        let stale = engine.delete_stale_change_sets().await;
        if stale > 0 {
            talk.detail(&format!(
                "deleted {stale} change set(s) an interrupted push left unexecuted"
            ));
        }
        let uploaded = self.upload(&engine, &bucket, &packages).await?;
        let root_key = engine::root_key(build);
        engine
            .upload(&bucket, &root_key, engine::root_template(build).to_vec())
            .await?;
        talk.detail(&format!(
            "uploaded {uploaded} nested template(s) and function package(s), and the root template, to {bucket}"
        ));
        let url = format!(
            "https://{bucket}.s3.{}.amazonaws.com/{root_key}",
            target.region
        );

        let mut parameters = super::parameters::resolve_secrets(clients, &build.secrets).await?;
        let expiries = super::parameters::key_expiry_parameters(build, now_secs());
        parameters.extend(expiries.iter().map(|(k, v)| (k.clone(), v.to_string())));
        let change_set = engine
            .create_change_set(ChangeSetType::Update, Some(&url), None, &parameters)
            .await?;
        let Some(change_set) = change_set else {
            talk.success(&format!(
                "No changes: CloudFormation found `{}` up to date",
                build.stack_name
            ));
            // No change: the expiries passed are those deployed.
            return Ok(
                match self.finish(&engine, &bucket, expiries, &*talk).await? {
                    Outcome::Deployed {
                        outputs,
                        outputs_file,
                    } => Outcome::UpToDate {
                        outputs,
                        outputs_file,
                    },
                    other => other,
                },
            );
        };
        let changes = engine.changes(&change_set, &names).await?;
        talk.show_changes(&changes);
        // DynamoDB changes one index per table update: more are staged
        let tables = super::indexes::table_changes(clients, &build.stack_name, build).await?;
        let stages = super::indexes::stages(build, &tables);
        if !stages.is_empty() {
            talk.info(&format!(
                "{} index change(s) on {} table(s): DynamoDB creates or deletes one index per table update, so this push deploys {} times, one index per table each time",
                tables.iter().map(|t| t.steps.len()).sum::<usize>(),
                tables.len(),
                stages.len() + 1
            ));
        }
        if self.options.dry_run {
            engine.delete_change_set(&change_set).await;
            talk.info("Dry run: nothing was deployed.");
            return Ok(Outcome::DryRun);
        }
        if !accepted && !talk.confirm_deploy()? {
            engine.delete_change_set(&change_set).await;
            talk.info("Nothing was deployed.");
            return Ok(Outcome::Declined);
        }
        let mut change_set = Some(change_set);
        if !stages.is_empty() {
            // the accepted change set is made again once the stages are deployed
            if let Some(id) = change_set.take() {
                engine.delete_change_set(&id).await;
            }
            for (n, stage) in stages.iter().enumerate() {
                talk.info(&format!(
                    "Deploying index stage {} of {} ({}) ...",
                    n + 1,
                    stages.len() + 1,
                    stage.summary.join("; ")
                ));
                for (key, bytes) in &stage.uploads {
                    engine.upload(&bucket, key, bytes.clone()).await?;
                }
                let staged = format!(
                    "https://{bucket}.s3.{}.amazonaws.com/{}",
                    target.region, stage.root_key
                );
                if let Some(id) = engine
                    .create_change_set(ChangeSetType::Update, Some(&staged), None, &parameters)
                    .await?
                {
                    engine.execute_and_follow(&id, &names, reporter).await?;
                }
                // the next index change waits for DynamoDB's backfill
                super::indexes::wait_active(
                    clients,
                    &build.stack_name,
                    &tables,
                    engine.poll,
                    &|message| talk.detail(message),
                )
                .await?;
            }
            change_set = engine
                .create_change_set(ChangeSetType::Update, Some(&url), None, &parameters)
                .await?;
        }
        talk.info(&format!("Deploying `{}` ...", build.stack_name));
        if let Some(change_set) = change_set {
            engine
                .execute_and_follow(&change_set, &names, reporter)
                .await?;
        }
        self.finish(&engine, &bucket, expiries, &*talk).await
    }

    /// Build the package of every function whose key the last deploy to
    /// this environment did not upload (an unchanged function is neither
    /// built nor uploaded): key to the zip's path.
    ///
    /// Errors: a function that does not build ([`crate::category::function::build::BuildError`]).
    fn packages(&self, talk: &dyn Conversation) -> Result<BTreeMap<String, PathBuf>, crate::Error> {
        let mut packages = BTreeMap::new();
        for (key, name) in &self.build.code {
            if self.last.is_some_and(|s| s.assets.contains_key(key)) {
                continue;
            }
            let cfg = &self.file.manifest.function[name];
            talk.info(&format!(
                "Building function `{name}` ({}) ...",
                cfg.runtime.id()
            ));
            let package = crate::category::function::build::package(self.file.root(), name, cfg)?;
            talk.detail(&format!(
                "{}: sha256 {}",
                package.path.display(),
                package.sha256
            ));
            packages.insert(key.clone(), package.path);
        }
        Ok(packages)
    }

    /// Upload the nested templates, assets and function packages the last
    /// deploy to this bucket did not have (keys are content-addressed).
    /// Returns how many were uploaded.
    async fn upload(
        &self,
        engine: &Engine<'_>,
        bucket: &str,
        packages: &BTreeMap<String, PathBuf>,
    ) -> Result<usize, crate::Error> {
        let (build, last) = (self.build, self.last);
        let same_bucket = last.is_some_and(|s| s.deployment_bucket == bucket);
        let known: Vec<&String> = last
            .map(|s| s.resources.values().collect())
            .unwrap_or_default();
        let mut uploaded = 0;
        for stack in &build.stacks {
            if known.contains(&&stack.sha256) && same_bucket {
                continue;
            }
            engine
                .upload(
                    bucket,
                    &stack.key,
                    build.files[&stack.template_file].clone(),
                )
                .await?;
            uploaded += 1;
        }
        for (key, file) in &build.assets {
            if !(same_bucket && last.is_some_and(|s| s.assets.contains_key(key))) {
                engine
                    .upload(bucket, key, build.files[file].clone())
                    .await?;
                uploaded += 1;
            }
        }
        for (key, name) in &build.code {
            if same_bucket && last.is_some_and(|s| s.assets.contains_key(key)) {
                continue;
            }
            // built by `packages`, or (another bucket, same code) now
            let path = match packages.get(key) {
                Some(path) => path.clone(),
                None => {
                    let cfg = &self.file.manifest.function[name];
                    crate::category::function::build::package(self.file.root(), name, cfg)?.path
                }
            };
            let bytes =
                std::fs::read(&path).map_err(|e| crate::error::FsError::new("read", &path, e))?;
            engine.upload(bucket, key, bytes).await?;
            uploaded += 1;
        }
        Ok(uploaded)
    }

    /// Read the outputs, write the frontend's config and save the snapshot.
    /// Reads the outputs, saves the snapshot (with the keys' expiries as
    /// deployed, `key_expires_at`) and writes `amplify_outputs.json`.
    async fn finish(
        &self,
        engine: &Engine<'_>,
        bucket: &str,
        key_expires_at: BTreeMap<String, u64>,
        talk: &dyn Conversation,
    ) -> Result<Outcome, crate::Error> {
        let build = self.build;
        let (_, deployed) = engine.read_outputs(build).await?;
        // Each api's log group keeps its errors `log_retention_days`; a
        // failure here does not undo a finished deploy: it is said, and the
        // next push tries again.
        for (name, api) in &self.file.manifest.api {
            let Some(id) = deployed
                .get(&format!("api/{name}"))
                .and_then(|o| o.get(crate::category::api::outputs::API_ID))
            else {
                continue;
            };
            if let Err(err) =
                super::logs::set_log_retention(engine.clients, id, api.log_retention_days).await
            {
                talk.info(&format!(
                    "warning: the log group of api `{name}` keeps its logs without a limit: {err}"
                ));
            }
        }
        let value = crate::deploy::local::outputs_value(self.file, self.env, &deployed)?;
        let outputs_file = crate::deploy::local::write_outputs_value(self.file, &value)?;
        let snapshot = Snapshot {
            stack_name: build.stack_name.clone(),
            region: build.region.clone(),
            deployment_bucket: bucket.to_string(),
            root_sha256: snapshot::root_sha256(build),
            resources: snapshot::resources_of(build),
            secrets: build.secrets.clone(),
            key_expiries: build.key_expiries.clone(),
            key_expires_at,
            assets: build
                .assets
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .chain(
                    build
                        .code
                        .iter()
                        .map(|(k, name)| (k.clone(), format!("function:{name}"))),
                )
                .collect(),
            outputs: deployed.clone(),
            amplify_outputs: Some(value),
            deployed_at: now_secs(),
            // Best effort: the deploy is done; without it the next check
            // falls back to `deployed_at`.
            stack_changed_at: engine.root_changed_at().await.ok().flatten(),
        };
        snapshot::save(self.file.root(), self.env, &snapshot)?;
        Ok(Outcome::Deployed {
            outputs: deployed,
            outputs_file,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Silent;
    impl Reporter for Silent {
        fn step(&self, _: &str) {}
        fn event(&self, _: &str, _: &str, _: &str, _: &str, _: Option<&str>) {}
    }

    /// What `check_deployed` makes of each answer CloudFormation can give
    /// (replayed with aws-smithy-mocks: moto keeps no LastUpdatedTime).
    #[tokio::test]
    async fn the_snapshot_is_believed_only_when_aws_agrees() {
        use aws_sdk_cloudformation::Client;
        use aws_sdk_cloudformation::error::ErrorMetadata;
        use aws_sdk_cloudformation::operation::describe_stacks::{
            DescribeStacksError, DescribeStacksOutput,
        };
        use aws_sdk_cloudformation::primitives::DateTime;
        use aws_sdk_cloudformation::types::Stack;
        use aws_smithy_mocks::{RuleMode, mock, mock_client};

        let recorded = Snapshot {
            stack_name: "hoist-shop-dev".into(),
            region: "eu-west-1".into(),
            deployment_bucket: "b".into(),
            root_sha256: String::new(),
            resources: BTreeMap::new(),
            secrets: BTreeMap::new(),
            key_expiries: BTreeMap::new(),
            key_expires_at: BTreeMap::new(),
            assets: BTreeMap::new(),
            outputs: DeployedOutputs::new(),
            amplify_outputs: None,
            deployed_at: 1_700_000_100,
            stack_changed_at: Some(1_700_000_000),
        };
        let check = |stack: Option<(StackStatus, i64)>| {
            let rule = match stack {
                Some((status, updated)) => mock!(Client::describe_stacks).then_output(move || {
                    DescribeStacksOutput::builder()
                        .stacks(
                            Stack::builder()
                                .stack_name("hoist-shop-dev")
                                .stack_status(status.clone())
                                .creation_time(DateTime::from_secs(1_600_000_000))
                                .last_updated_time(DateTime::from_secs(updated))
                                .build(),
                        )
                        .build()
                }),
                None => mock!(Client::describe_stacks).then_error(|| {
                    DescribeStacksError::generic(
                        ErrorMetadata::builder()
                            .code("ValidationError")
                            .message("Stack with id hoist-shop-dev does not exist")
                            .build(),
                    )
                }),
            };
            let cfn = mock_client!(aws_sdk_cloudformation, RuleMode::MatchAny, [&rule]);
            let none = Vec::<&aws_smithy_mocks::Rule>::new();
            let clients = Clients::new(
                cfn,
                mock_client!(aws_sdk_s3, RuleMode::MatchAny, none.clone()),
                mock_client!(aws_sdk_ssm, RuleMode::MatchAny, none),
                "AWS in eu-west-1",
            );
            let recorded = recorded.clone();
            async move {
                check_deployed(&clients, "hoist-shop-dev", &recorded, &Silent)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(
            check(Some((StackStatus::UpdateComplete, 1_700_000_000))).await,
            Deployed::AsRecorded
        );
        assert_eq!(check(None).await, Deployed::Missing);
        assert_eq!(
            check(Some((StackStatus::UpdateRollbackComplete, 1_700_000_000))).await,
            Deployed::Unfinished("UPDATE_ROLLBACK_COMPLETE".into())
        );
        assert_eq!(
            check(Some((StackStatus::DeleteComplete, 1_700_000_000))).await,
            Deployed::Missing
        );
        assert_eq!(
            check(Some((StackStatus::UpdateComplete, 1_700_000_500))).await,
            Deployed::ChangedElsewhere {
                updated: "2023-11-14T22:21:40Z".into()
            }
        );
        // a rollback after someone else's deploy is still someone else's
        assert_eq!(
            check(Some((StackStatus::UpdateRollbackComplete, 1_700_000_500))).await,
            Deployed::ChangedElsewhere {
                updated: "2023-11-14T22:21:40Z".into()
            }
        );
    }

    #[test]
    fn the_push_lock_is_held_by_one_at_a_time_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let first = PushLock::acquire(dir.path()).unwrap();
        let err = PushLock::acquire(dir.path()).err().unwrap();
        assert!(
            err.to_string().contains("another `hoist push` is running"),
            "{err}"
        );
        drop(first);
        // the file stays; a lock file nobody holds does not block
        assert!(PushLock::path(dir.path()).exists());
        PushLock::acquire(dir.path()).unwrap();
    }
}
