//! The storage options from flags, else asked, else the current or default value.

use crate::category::ResourceError;
use crate::category::storage::{Access, StorageConfig};
use crate::cli::StorageOptions;
use crate::prompt::{Answers, Inputs, Question};

pub fn storage_flags_given(o: &StorageOptions) -> bool {
    o.authenticated_access.is_some()
        || o.guest_access.is_some()
        || !o.group_access.is_empty()
        || !o.cors_origins.is_empty()
}

fn parse_group_access(text: &str) -> Result<(String, Vec<Access>), crate::Error> {
    let bad = |message: String| {
        ResourceError::BadFlag {
        flag: "group-access",
        message,
        help: "write `GROUP=ACCESS`, with ACCESS a comma-separated list of create, read, delete (for example `Admins=create,read,delete`)".into(),
    }
    };
    let (group, access) = text
        .split_once('=')
        .ok_or_else(|| bad(format!("`{text}` has no `=`")))?;
    let access = access
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| match a {
            "create" => Ok(Access::Create),
            "read" => Ok(Access::Read),
            "delete" => Ok(Access::Delete),
            other => Err(bad(format!(
                "`{other}` is not an access (create, read, delete)"
            ))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((group.to_string(), access))
}

/// Refuse a guest access (from `--guest-access` or the answers file) that
/// the project's auth rules out, before any question is asked or anything
/// written. `auth`: the project's auth resource's name and whether it lets
/// guests in; none when the project has no auth yet.
pub fn check_guest_access(
    o: &StorageOptions,
    answers: &Answers,
    auth: Option<(&str, bool)>,
) -> Result<(), crate::Error> {
    let flagged = o.guest_access.as_ref().is_some_and(|g| !g.is_empty());
    let answered = answers
        .get("guest-access")
        .is_some_and(|a| !a.trim().is_empty() && a.trim() != "none");
    if !(flagged || answered) {
        return Ok(());
    }
    let (reason, help) = match auth {
        Some((_, true)) => return Ok(()),
        Some((name, false)) => (
            format!("auth `{name}` has guest access off"),
            format!(
                "turn guests on first with `hoist update auth {name} --guest`, or leave `--guest-access` out"
            ),
        ),
        None => (
            "the project has no auth yet".to_string(),
            "add auth with guests first (`hoist add auth --guest`), or leave `--guest-access` out"
                .to_string(),
        ),
    };
    Err(ResourceError::GuestsOff { reason, help }.into())
}

/// The storage options: each from its flag, else asked (when `ask`), else
/// `base`'s. `guests_allowed`: the project's auth lets guests in; when it
/// does not, a guest access given is refused at once, naming its flag, and
/// the question is not asked.
pub fn resolve_storage(
    o: &StorageOptions,
    base: StorageConfig,
    guests_allowed: bool,
    inputs: &mut Inputs,
) -> Result<StorageConfig, crate::Error> {
    let mut cfg = base;
    let q = |key: &'static str, prompt: &'static str| Question {
        key,
        prompt,
        default: None,
    };
    cfg.authenticated = inputs.list(
        q(
            "authenticated-access",
            "What may signed-in users do with files?",
        ),
        o.authenticated_access.clone(),
        cfg.authenticated.clone(),
    )?;
    if guests_allowed {
        cfg.guest = inputs.list(
            q(
                "guest-access",
                "What may guests do with public files? (none ticked: nothing)",
            ),
            o.guest_access.clone(),
            cfg.guest.clone(),
        )?;
    }
    for entry in &o.group_access {
        let (group, access) = parse_group_access(entry)?;
        cfg.groups.insert(group, access);
    }
    for origin in &o.cors_origins {
        if !cfg.cors_origins.contains(origin) {
            cfg.cors_origins.push(origin.clone());
        }
    }
    for access in [&mut cfg.authenticated, &mut cfg.guest] {
        access.sort();
        access.dedup();
    }
    Ok(cfg)
}
