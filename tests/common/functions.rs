//! Helpers of the function tests (functions.rs, functions_tiers.rs).

use super::{Sandbox, stderr_of};

/// A project `shop` (a React frontend, no backend resource yet).
pub fn project() -> Sandbox {
    let sb = Sandbox::new();
    sb.hoist()
        .args(["init", "shop", "--frontend", "react", "--yes", "-q"])
        .assert()
        .success();
    sb
}

/// `hoist ARGS` in the project `shop`.
pub fn hoist(sb: &Sandbox, args: &[&str]) -> assert_cmd::assert::Assert {
    sb.hoist_in(&sb.join("shop")).args(args).assert()
}

/// Build the function `name`'s package (`hoist function build --json`); its SHA-256.
pub fn zip_sha(sb: &Sandbox, name: &str) -> String {
    let out = sb
        .hoist_in(&sb.join("shop"))
        .args(["function", "build", name, "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out, sb));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["sha256"].as_str().unwrap().to_string()
}

/// A project `app` with no frontend, for the sandbox (which serves
/// `amplify_outputs.json` at the project's top); its folder.
pub fn sandbox_app(sb: &Sandbox) -> std::path::PathBuf {
    sb.hoist()
        .args(["init", "app", "--frontend", "none", "--yes", "-q"])
        .assert()
        .success();
    sb.join("app")
}

/// `hoist ARGS` in `app`, which must succeed.
pub fn run_in(sb: &Sandbox, app: &std::path::Path, args: &[&str]) {
    let out = sb.hoist_in(app).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", stderr_of(&out, sb));
}
