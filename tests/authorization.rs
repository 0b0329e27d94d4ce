//! Issue 16's attack suite: the generated authorization, executed in the
//! sandbox against two real users of its user pool, judged by what reaches
//! each of them (`tests/outputs-check/sandbox-attacks.mjs`). Each scenario
//! fails if the leak it names comes back.

mod common;

use common::running::Running;

/// Two users try to reach each other's data: subscriptions, filters, index
/// queries, updates of who holds an item.
#[test]
#[ignore = "needs the npm packages of tests/outputs-check; run by scripts/test.sh"]
fn two_users_cannot_reach_each_others_data() {
    let sb = common::Sandbox::new();
    sb.hoist()
        .args(["init", "app", "--frontend", "none", "--yes", "-q"])
        .assert()
        .success();
    let app = sb.join("app");
    let schema = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/attacks/schema.graphql");
    sb.hoist_in(&app)
        .args(["add", "auth", "--yes", "-q"])
        .assert()
        .success();
    sb.hoist_in(&app)
        .args([
            "add",
            "api",
            "--auth",
            "user-pools",
            "--yes",
            "-q",
            "--schema",
        ])
        .arg(&schema)
        .assert()
        .success();
    let _running = Running::start(&sb, &app, &["--port", "0", "--no-watch"]);
    for email in ["ada@example.com", "bob@example.com"] {
        let out = sb
            .hoist_in(&app)
            .args([
                "sandbox",
                "users",
                "add",
                email,
                "--password",
                "Secret-123!",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let outputs = app.join("amplify_outputs.json");
    let report = common::node_report(
        "outputs-check/sandbox-attacks.mjs",
        &[
            outputs.as_os_str(),
            "ada@example.com".as_ref(),
            "bob@example.com".as_ref(),
            "Secret-123!".as_ref(),
        ],
    );
    assert_eq!(report["checks"].as_array().unwrap().len(), 4, "{report}");
}
