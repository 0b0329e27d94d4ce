//! `.hoist/`: local, git-ignored state (the current environment, later build
//! output and deployed snapshots).

use std::path::{Path, PathBuf};

use crate::error::FsError;

pub const STATE_DIR: &str = ".hoist";
const CURRENT_ENV_FILE: &str = "current-env";

/// Lines `hoist init` makes sure the project's `.gitignore` has.
pub const GITIGNORE_LINES: [&str; 2] = [".hoist/", "amplify_outputs.json"];

pub fn current_env_path(root: &Path) -> PathBuf {
    root.join(STATE_DIR).join(CURRENT_ENV_FILE)
}

/// The relative path and contents of the current-env file.
pub fn current_env_file(env: &str) -> (String, Vec<u8>) {
    (
        format!("{STATE_DIR}/{CURRENT_ENV_FILE}"),
        format!("{env}\n").into_bytes(),
    )
}

/// The environment this checkout works on, if one was chosen.
pub fn read_current_env(root: &Path) -> Result<Option<String>, FsError> {
    let path = current_env_path(root);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(text.trim().to_string()).filter(|s| !s.is_empty())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(FsError::new("read", path, e)),
    }
}

/// `existing` with the hoist lines added where missing.
pub fn gitignore_with_hoist_lines(existing: &str) -> Option<String> {
    let present: Vec<&str> = existing.lines().map(str::trim).collect();
    let missing: Vec<&str> = GITIGNORE_LINES
        .iter()
        .copied()
        .filter(|line| {
            let bare = line.trim_end_matches('/');
            !present.iter().any(|p| {
                *p == *line || *p == bare || *p == format!("/{line}") || *p == format!("/{bare}")
            })
        })
        .collect();
    if missing.is_empty() {
        return None;
    }
    let mut out = existing.to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str("# hoist: local state and generated frontend config\n");
    for line in missing {
        out.push_str(line);
        out.push('\n');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gitignore_lines_added_once() {
        let added = gitignore_with_hoist_lines("node_modules/").unwrap();
        assert_eq!(
            added,
            "node_modules/\n\n# hoist: local state and generated frontend config\n.hoist/\namplify_outputs.json\n"
        );
        assert_eq!(gitignore_with_hoist_lines(&added), None);
        assert_eq!(
            gitignore_with_hoist_lines("/.hoist\n").unwrap(),
            "/.hoist\n\n# hoist: local state and generated frontend config\namplify_outputs.json\n"
        );
        assert!(
            gitignore_with_hoist_lines("")
                .unwrap()
                .starts_with("# hoist")
        );
    }

    #[test]
    fn current_env_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_current_env(dir.path()).unwrap(), None);
        let (rel, contents) = current_env_file("dev");
        crate::project::write_atomic(&dir.path().join(rel), &contents).unwrap();
        assert_eq!(
            read_current_env(dir.path()).unwrap().as_deref(),
            Some("dev")
        );
    }
}
