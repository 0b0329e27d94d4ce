//! What was last deployed to an environment, kept in `.hoist/deployed/<env>.json`
//! so that what changed is decided locally (`status` without calling AWS; `push` then
//! checks with one read that AWS still holds what the snapshot recorded).

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
    /// The same parameters' values as deployed: when each key expires
    /// (seconds since the Unix epoch). Absent in snapshots of older hoists.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub key_expires_at: BTreeMap<String, u64>,
    /// Upload keys of the nested templates deeper than the root's, as deployed.
    #[serde(default)]
    pub assets: BTreeMap<String, String>,
    pub outputs: DeployedOutputs,
    /// `amplify_outputs.json` as the deploy wrote it: `hoist outputs` and
    /// `env checkout` write it again (where `source_dir` says now), so an
    /// edit of hoist.toml or of the schema that was not pushed never reaches
    /// the frontend. Absent after `env pull` and in snapshots of older
    /// hoists (then it is made from the project as it is now).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amplify_outputs: Option<serde_json::Value>,
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

/// Writes `amplify_outputs.json` for `env` as deployed: the document the
/// snapshot holds, else one made from the project now (see
/// [`Snapshot::amplify_outputs`]). Returns the path written.
pub fn write_deployed_outputs(
    file: &crate::project::ProjectFile,
    env: &str,
    snapshot: &Snapshot,
) -> Result<PathBuf, crate::Error> {
    match &snapshot.amplify_outputs {
        Some(value) => crate::deploy::local::write_outputs_value(file, value),
        None => crate::deploy::local::write_outputs(file, env, &snapshot.outputs),
    }
}

/// The API keys of a snapshot that are due for renewal at `now`, with when
/// each expires: those in the last third of their life (or last day). For a
/// snapshot of an older hoist, with no recorded expiry, it is worked out as
/// that hoist set it: midnight UTC of the deploy's day plus the days.
pub fn keys_due(snapshot: &Snapshot, now: u64) -> Vec<(String, u64)> {
    snapshot
        .key_expiries
        .iter()
        .filter_map(|(parameter, days)| {
            let expires = snapshot
                .key_expires_at
                .get(parameter)
                .copied()
                .unwrap_or_else(|| {
                    snapshot.deployed_at - snapshot.deployed_at % 86_400 + u64::from(*days) * 86_400
                });
            crate::deploy::parameters::key_renewal_due(expires, *days, now)
                .then(|| (parameter.clone(), expires))
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::parameters::{key_expiry, key_renewal_due};

    const NOW: u64 = 1_796_000_000; // 2026-11-30T00:53:20Z

    /// A key lives at least the days asked (AppSync keeps expiries rounded
    /// down to the hour: the time is rounded up), and never beyond 365 days.
    #[test]
    fn keys_live_their_full_days() {
        for days in [1u16, 7, 30, 364] {
            let expires = key_expiry(NOW, days);
            assert!(expires.is_multiple_of(3_600));
            // an hour of slack for the time between the change set and the update
            assert!(expires >= NOW + u64::from(days) * 86_400 + 3_600, "{days}");
            assert!(expires < NOW + u64::from(days) * 86_400 + 7_200, "{days}");
        }
        let year = key_expiry(NOW, 365);
        assert!(year <= NOW + 365 * 86_400 && year.is_multiple_of(3_600));
        // an exact hour gets exactly the hour of slack
        assert_eq!(key_expiry(7_200, 1), 7_200 + 86_400 + 3_600);
    }

    /// Renewal comes in the last third of a key's life, never right after a
    /// push (a one-day key included).
    #[test]
    fn keys_are_renewed_in_the_last_third_of_their_life() {
        let expires = key_expiry(NOW, 30);
        assert!(!key_renewal_due(expires, 30, NOW));
        assert!(!key_renewal_due(expires, 30, NOW + 19 * 86_400));
        assert!(key_renewal_due(expires, 30, NOW + 21 * 86_400));
        assert!(key_renewal_due(expires, 30, expires + 1));
        let short = key_expiry(NOW, 1);
        assert!(!key_renewal_due(short, 1, NOW), "a fresh one-day key");
        assert!(!key_renewal_due(short, 1, NOW + 12 * 3_600));
        assert!(key_renewal_due(short, 1, NOW + 17 * 3_600));
    }

    /// Snapshots record the expiry as deployed; older ones are worked out as
    /// older hoists set it (midnight UTC of the deploy's day plus the days).
    #[test]
    fn keys_due_reads_recorded_and_legacy_snapshots() {
        let mut snapshot = Snapshot {
            stack_name: "hoist-shop-dev".into(),
            region: "eu-west-1".into(),
            deployment_bucket: "b".into(),
            root_sha256: String::new(),
            resources: BTreeMap::new(),
            secrets: BTreeMap::new(),
            key_expiries: BTreeMap::from([("ApiKeyExpires".to_string(), 7)]),
            key_expires_at: BTreeMap::from([("ApiKeyExpires".to_string(), key_expiry(NOW, 7))]),
            assets: BTreeMap::new(),
            outputs: DeployedOutputs::new(),
            amplify_outputs: None,
            deployed_at: NOW,
            stack_changed_at: None,
        };
        assert!(keys_due(&snapshot, NOW + 86_400).is_empty());
        assert_eq!(
            keys_due(&snapshot, NOW + 6 * 86_400),
            [("ApiKeyExpires".to_string(), key_expiry(NOW, 7))]
        );
        snapshot.key_expires_at.clear();
        let legacy = NOW - NOW % 86_400 + 7 * 86_400;
        assert_eq!(
            keys_due(&snapshot, NOW + 5 * 86_400),
            [("ApiKeyExpires".to_string(), legacy)]
        );
    }
}
