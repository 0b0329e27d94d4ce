//! What was last deployed to an environment, kept in `.hoist/deployed/<env>.json`
//! so that "nothing changed" is decided locally, without calling AWS.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::FsError;
use crate::outputs::DeployedOutputs;
use crate::project::state::STATE_DIR;
use crate::synth::Build;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub stack_name: String,
    pub region: String,
    pub deployment_bucket: String,
    /// SHA-256 of the root template as deployed.
    pub root_sha256: String,
    /// `category/name` to the SHA-256 of its nested template.
    pub resources: BTreeMap<String, String>,
    /// Root parameters that are secrets, and where each came from (never the values).
    pub secrets: BTreeMap<String, crate::category::SecretRef>,
    /// Root parameters holding an API key's expiry, with the key's lifetime in days.
    #[serde(default)]
    pub key_expiries: BTreeMap<String, u16>,
    /// Upload keys of the nested templates deeper than the root's, as deployed.
    #[serde(default)]
    pub assets: BTreeMap<String, String>,
    pub outputs: DeployedOutputs,
    /// Seconds since the Unix epoch.
    pub deployed_at: u64,
    /// When the root stack last changed in AWS as this snapshot was taken
    /// (seconds since the Unix epoch, AWS's clock): a later change was made
    /// from elsewhere. Absent in snapshots of older hoists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack_changed_at: Option<u64>,
}

pub fn path(root: &Path, env: &str) -> PathBuf {
    root.join(STATE_DIR)
        .join("deployed")
        .join(format!("{env}.json"))
}

/// A snapshot that exists but cannot be read: never taken for "not deployed".
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("`{}` is not a snapshot hoist can read: {reason}", path.display())]
#[diagnostic(
    code(hoist::snapshot::unreadable),
    help(
        "rebuild it from CloudFormation with `hoist env pull {env}` (or delete it: the next push then compares with AWS)"
    )
)]
pub struct Unreadable {
    pub path: PathBuf,
    pub env: String,
    pub reason: String,
}

/// The snapshot of `env`, None when this checkout never deployed it.
///
/// Errors: [`Unreadable`] when the file is there but is not a snapshot
/// (corrupt, or written by another version); an [`FsError`] when it cannot
/// be read at all.
pub fn load(root: &Path, env: &str) -> Result<Option<Snapshot>, crate::Error> {
    let path = path(root, env);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
            Unreadable {
                path,
                env: env.to_string(),
                reason: e.to_string(),
            }
            .into()
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(FsError::new("read", path, e).into()),
    }
}

pub fn save(root: &Path, env: &str, snapshot: &Snapshot) -> Result<(), FsError> {
    let mut bytes = serde_json::to_vec_pretty(snapshot).unwrap_or_default();
    bytes.push(b'\n');
    crate::project::write_atomic(&path(root, env), &bytes)
}

pub fn root_sha256(build: &Build) -> String {
    let bytes = build
        .files
        .get(crate::synth::ROOT_TEMPLATE)
        .map(Vec::as_slice)
        .unwrap_or_default();
    crate::cfn::sha256_hex(bytes)
}

pub fn resources_of(build: &Build) -> BTreeMap<String, String> {
    build
        .stacks
        .iter()
        .map(|s| (format!("{}/{}", s.category, s.name), s.sha256.clone()))
        .collect()
}

/// How one resource compares with the last deploy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Change {
    Create,
    Update,
    Delete,
    #[serde(rename = "No change")]
    NoChange,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Change::Create => "Create",
            Change::Update => "Update",
            Change::Delete => "Delete",
            Change::NoChange => "No change",
        })
    }
}

/// Each resource's change, and whether the root stack itself changed.
pub fn compare(build: &Build, last: Option<&Snapshot>) -> (Vec<(String, Change)>, bool) {
    let now = resources_of(build);
    let before = last.map(|s| s.resources.clone()).unwrap_or_default();
    let mut changes: Vec<(String, Change)> = now
        .iter()
        .map(|(key, sha)| {
            let change = match before.get(key) {
                None => Change::Create,
                Some(old) if old == sha => Change::NoChange,
                Some(_) => Change::Update,
            };
            (key.clone(), change)
        })
        .collect();
    changes.extend(
        before
            .keys()
            .filter(|k| !now.contains_key(*k))
            .map(|k| (k.clone(), Change::Delete)),
    );
    changes.sort();
    let root_changed = match last {
        None => true,
        Some(s) => {
            s.root_sha256 != root_sha256(build)
                || s.secrets != build.secrets
                || s.key_expiries != build.key_expiries
        }
    };
    (changes, root_changed)
}
