//! What an environment's deletion keeps (the resources its templates mark
//! `DeletionPolicy: Retain`: user pools, model tables, storage buckets), how
//! much each holds, and `hoist delete --purge`, which deletes them once the
//! stacks are gone.
//!
//! CloudFormation leaves a retained resource in place when its stack is
//! deleted ("DeletionPolicy attribute", AWS CloudFormation User Guide), so
//! their physical ids are read from the stacks before the deletion.

use std::collections::{BTreeSet, VecDeque};

use aws_sdk_cloudformation::error::ProvideErrorMetadata;

use super::aws::Clients;
use super::engine::Reporter;
use super::error::DeployError;

/// Counting stops here: a larger pool, table or bucket is "at least" this.
pub const COUNT_LIMIT: u64 = 100_000;

/// Nested stacks deeper than this are not searched (hoist's go one level down).
const MAX_DEPTH: usize = 4;

/// A kind of resource an environment's deletion keeps.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum KeptKind {
    UserPool,
    Table,
    Bucket,
}

impl KeptKind {
    fn of(resource_type: &str) -> Option<KeptKind> {
        match resource_type {
            "AWS::Cognito::UserPool" => Some(KeptKind::UserPool),
            "AWS::DynamoDB::Table" => Some(KeptKind::Table),
            "AWS::S3::Bucket" => Some(KeptKind::Bucket),
            _ => None,
        }
    }

    /// `n` of what this kind holds: `1 user`, `3 items`, `0 files`.
    pub fn counted(self, n: u64) -> String {
        let unit = match self {
            KeptKind::UserPool => "user",
            KeptKind::Table => "item",
            KeptKind::Bucket => "file",
        };
        format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
    }

    /// What this kind holds, in the plural: users, items, files.
    pub fn unit(self) -> &'static str {
        match self {
            KeptKind::UserPool => "users",
            KeptKind::Table => "items",
            KeptKind::Bucket => "files",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            KeptKind::UserPool => "user pool",
            KeptKind::Table => "table",
            KeptKind::Bucket => "bucket",
        }
    }
}

/// How much a kept resource holds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Count {
    Exactly(u64),
    /// [`COUNT_LIMIT`] reached.
    AtLeast(u64),
    /// It could not be read: the cause in one line.
    Unknown(String),
    /// Not counted yet.
    #[default]
    NotCounted,
}

/// A resource an environment's deletion keeps: its kind, physical id (pool
/// id, table name, bucket name) and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Kept {
    pub kind: KeptKind,
    pub id: String,
    #[serde(skip)]
    pub count: Count,
}

impl std::fmt::Display for Kept {
    /// `user pool us-east-1_abc (3 users)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (noun, id, kind) = (self.kind.noun(), &self.id, self.kind);
        match &self.count {
            Count::Exactly(n) => write!(f, "{noun} {id} ({})", kind.counted(*n)),
            Count::AtLeast(n) => write!(f, "{noun} {id} (at least {})", kind.counted(*n)),
            Count::Unknown(why) => write!(f, "{noun} {id} ({} not counted: {why})", kind.unit()),
            Count::NotCounted => write!(f, "{noun} {id}"),
        }
    }
}

/// The retained resources of `root_stack` and its nested stacks, the
/// deployment bucket (`deployment_bucket`, emptied and deleted with the
/// stacks) left out; counts are [`Count::Unknown`] until [`count`].
///
/// Errors: GetTemplate or ListStackResources refused.
pub async fn find(
    clients: &Clients,
    root_stack: &str,
    deployment_bucket: Option<&str>,
) -> Result<Vec<Kept>, DeployError> {
    let mut kept = Vec::new();
    let mut stacks = VecDeque::from([(root_stack.to_string(), 0)]);
    while let Some((stack, depth)) = stacks.pop_front() {
        let retained = retained_logical_ids(clients, &stack).await?;
        let mut token = None;
        loop {
            let out = clients
                .cloudformation
                .list_stack_resources()
                .stack_name(&stack)
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(clients.refused("ListStackResources"))?;
            for r in out.stack_resource_summaries() {
                // what a failed create or an earlier deletion already removed
                if matches!(
                    r.resource_status().map(|s| s.as_str()),
                    Some("DELETE_COMPLETE" | "CREATE_FAILED")
                ) {
                    continue;
                }
                let (Some(logical), Some(physical), Some(kind)) = (
                    r.logical_resource_id(),
                    r.physical_resource_id(),
                    r.resource_type(),
                ) else {
                    continue;
                };
                if kind == "AWS::CloudFormation::Stack" {
                    if depth < MAX_DEPTH {
                        stacks.push_back((physical.to_string(), depth + 1));
                    }
                } else if let Some(kind) = KeptKind::of(kind)
                    && retained.contains(logical)
                    && Some(physical) != deployment_bucket
                {
                    kept.push(Kept {
                        kind,
                        id: physical.to_string(),
                        count: Count::NotCounted,
                    });
                }
            }
            let next = out.next_token().map(str::to_string);
            if next.is_none() || next == token {
                break;
            }
            token = next;
        }
    }
    kept.sort_by(|a, b| (a.kind, &a.id).cmp(&(b.kind, &b.id)));
    kept.dedup();
    Ok(kept)
}

/// The logical ids a stack's template marks `DeletionPolicy: Retain`.
async fn retained_logical_ids(
    clients: &Clients,
    stack: &str,
) -> Result<BTreeSet<String>, DeployError> {
    let body = super::env::template_body(clients, stack).await?;
    // hoist's templates are JSON; one that is not (edited by hand) keeps nothing known
    let template: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    Ok(template["Resources"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, r)| r["DeletionPolicy"] == "Retain")
        .map(|(id, _)| id.clone())
        .collect())
}

/// Count what each kept resource holds: the users of a pool (ListUsers),
/// the items of a table (Scan with `Select: COUNT`, exact, unlike
/// DescribeTable's item count, which DynamoDB updates about every six hours),
/// the current files of a bucket (ListObjectVersions, latest versions).
/// A count that fails says why instead; counting stops at [`COUNT_LIMIT`].
pub async fn count(clients: &Clients, kept: &mut [Kept]) {
    for k in kept {
        let counted = match k.kind {
            KeptKind::UserPool => count_users(clients, &k.id).await,
            KeptKind::Table => count_items(clients, &k.id).await,
            KeptKind::Bucket => count_files(clients, &k.id).await,
        };
        k.count = match counted {
            Ok(n) if n >= COUNT_LIMIT => Count::AtLeast(COUNT_LIMIT),
            Ok(n) => Count::Exactly(n),
            Err(err) => Count::Unknown(one_line(&err)),
        };
    }
}

fn one_line(err: &DeployError) -> String {
    match err {
        DeployError::Aws { summary, .. } => summary.clone(),
        other => other.to_string(),
    }
}

async fn count_users(clients: &Clients, pool: &str) -> Result<u64, DeployError> {
    let (mut n, mut token) = (0, None);
    loop {
        let out = clients
            .cognito
            .list_users()
            .user_pool_id(pool)
            .limit(60)
            .set_pagination_token(token.clone())
            .send()
            .await
            .map_err(clients.refused("ListUsers"))?;
        n += out.users().len() as u64;
        let next = out.pagination_token().map(str::to_string);
        if next.is_none() || next == token || n >= COUNT_LIMIT {
            return Ok(n);
        }
        token = next;
    }
}

async fn count_items(clients: &Clients, table: &str) -> Result<u64, DeployError> {
    let (mut n, mut start) = (0, None);
    loop {
        let out = clients
            .dynamodb
            .scan()
            .table_name(table)
            .select(aws_sdk_dynamodb::types::Select::Count)
            .set_exclusive_start_key(start.clone())
            .send()
            .await
            .map_err(clients.refused("Scan"))?;
        n += out.count().max(0) as u64;
        let next = out.last_evaluated_key().cloned();
        if next.is_none() || next == start || n >= COUNT_LIMIT {
            return Ok(n);
        }
        start = next;
    }
}

async fn count_files(clients: &Clients, bucket: &str) -> Result<u64, DeployError> {
    let (mut n, mut key, mut version) = (0, None, None);
    loop {
        let out = clients
            .s3
            .list_object_versions()
            .bucket(bucket)
            .set_key_marker(key.clone())
            .set_version_id_marker(version.clone())
            .send()
            .await
            .map_err(clients.refused("ListObjectVersions"))?;
        n += out
            .versions()
            .iter()
            .filter(|v| v.is_latest() == Some(true))
            .count() as u64;
        if out.is_truncated() != Some(true) || n >= COUNT_LIMIT {
            return Ok(n);
        }
        let next = (
            out.next_key_marker().map(str::to_string),
            out.next_version_id_marker().map(str::to_string),
        );
        if next.0.is_none() || (next.0 == key && next.1 == version) {
            return Ok(n);
        }
        (key, version) = next;
    }
}

/// The kept user pools and tables whose deletion protection is on
/// (`DeletionProtection: ACTIVE`, `DeletionProtectionEnabled`), which a
/// purge could not delete: `user pool <id>` / `table <name>`.
///
/// Errors: DescribeUserPool or DescribeTable refused.
pub async fn deletion_protected(
    clients: &Clients,
    kept: &[Kept],
) -> Result<Vec<String>, DeployError> {
    let mut protected = Vec::new();
    for k in kept {
        let on =
            match k.kind {
                KeptKind::UserPool => match clients
                    .cognito
                    .describe_user_pool()
                    .user_pool_id(&k.id)
                    .send()
                    .await
                {
                    Ok(out) => out.user_pool().and_then(|p| p.deletion_protection())
                        == Some(
                            &aws_sdk_cognitoidentityprovider::types::DeletionProtectionType::Active,
                        ),
                    Err(err) if gone(&err) => false,
                    Err(err) => return Err(clients.refused("DescribeUserPool")(err)),
                },
                KeptKind::Table => match clients
                    .dynamodb
                    .describe_table()
                    .table_name(&k.id)
                    .send()
                    .await
                {
                    Ok(out) => out
                        .table()
                        .and_then(|t| t.deletion_protection_enabled())
                        .unwrap_or(false),
                    Err(err) if gone(&err) => false,
                    Err(err) => return Err(clients.refused("DescribeTable")(err)),
                },
                KeptKind::Bucket => false,
            };
        if on {
            protected.push(format!("{} {}", k.kind.noun(), k.id));
        }
    }
    Ok(protected)
}

/// `.hoist/purge/<env>.json`: what a purge still has to delete once the
/// stacks are gone, written before their deletion, so that a purge that
/// was interrupted or failed is found again by the next one.
pub fn pending_path(root: &std::path::Path, env: &str) -> std::path::PathBuf {
    root.join(".hoist")
        .join("purge")
        .join(format!("{env}.json"))
}

/// The purge [`pending_path`] records, if any (an unreadable record is none).
pub fn pending(root: &std::path::Path, env: &str) -> Vec<Kept> {
    std::fs::read(pending_path(root, env))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Record `kept` as the purge to finish (none: forget the record).
///
/// Errors: the record cannot be written or removed.
pub fn record_pending(
    root: &std::path::Path,
    env: &str,
    kept: &[Kept],
) -> Result<(), crate::error::FsError> {
    let path = pending_path(root, env);
    if kept.is_empty() {
        return match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(crate::error::FsError::new("remove", &path, e))
            }
            _ => Ok(()),
        };
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| crate::error::FsError::new("create", dir, e))?;
    }
    let bytes = serde_json::to_vec_pretty(kept).unwrap_or_default();
    crate::project::write_atomic(&path, &bytes)
}

/// Delete each kept resource for good (a bucket is emptied first, every
/// version). One already gone counts as deleted. Every resource is tried.
///
/// Errors: what is left, and [`DeployError::PurgeIncomplete`] naming each
/// resource left and why.
pub async fn delete_all(
    clients: &Clients,
    kept: &[Kept],
    reporter: &dyn Reporter,
) -> Result<Vec<Kept>, (Vec<Kept>, DeployError)> {
    let mut left = Vec::new();
    let mut reasons = Vec::new();
    for k in kept {
        let deleted = match k.kind {
            KeptKind::UserPool => delete_user_pool(clients, &k.id).await,
            KeptKind::Table => delete_table(clients, &k.id).await,
            KeptKind::Bucket => delete_bucket(clients, &k.id).await,
        };
        match deleted {
            Ok(()) => reporter.step(&format!("Deleted the {} {}", k.kind.noun(), k.id)),
            Err(err) => {
                reasons.push(format!("{} {}: {}", k.kind.noun(), k.id, one_line(&err)));
                left.push(k.clone());
            }
        }
    }
    if left.is_empty() {
        Ok(Vec::new())
    } else {
        Err((
            left,
            DeployError::PurgeIncomplete {
                left: reasons.join("\n"),
            },
        ))
    }
}

/// Whether an SDK failure says the resource is already gone.
fn gone<E: ProvideErrorMetadata, R>(err: &aws_sdk_cloudformation::error::SdkError<E, R>) -> bool {
    matches!(
        err.as_service_error().and_then(|e| e.code()),
        Some("ResourceNotFoundException" | "NoSuchBucket")
    )
}

async fn delete_user_pool(clients: &Clients, pool: &str) -> Result<(), DeployError> {
    match clients
        .cognito
        .delete_user_pool()
        .user_pool_id(pool)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(err) if gone(&err) => Ok(()),
        Err(err) => Err(clients.refused("DeleteUserPool")(err)),
    }
}

async fn delete_table(clients: &Clients, table: &str) -> Result<(), DeployError> {
    match clients
        .dynamodb
        .delete_table()
        .table_name(table)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(err) if gone(&err) => Ok(()),
        Err(err) => Err(clients.refused("DeleteTable")(err)),
    }
}

async fn delete_bucket(clients: &Clients, bucket: &str) -> Result<(), DeployError> {
    super::env::empty_bucket(clients, bucket).await?;
    match clients.s3.delete_bucket().bucket(bucket).send().await {
        Ok(_) => Ok(()),
        Err(err) if gone(&err) => Ok(()),
        Err(err) => Err(clients.refused("DeleteBucket")(err)),
    }
}
