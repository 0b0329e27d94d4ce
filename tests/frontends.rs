//! The generated frontends install, build and pass their own tests.
//!
//! These need Node.js, npm and the npm registry, and take minutes, so they are
//! ignored by default; the test command (`scripts/test.sh`) runs them.

mod common;

use std::process::Command;

use common::Sandbox;

fn npm(sb: &Sandbox, app: &str, args: &[&str]) {
    // npm runs with the caller's environment (its cache, its registry settings).
    let output = Command::new("npm")
        .args(args)
        .current_dir(sb.join(app))
        .env("CI", "1")
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("could not run npm (is Node.js installed?): {e}"));
    if !output.status.success() {
        let tail = |bytes: &[u8]| {
            let text = String::from_utf8_lossy(bytes).into_owned();
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(60)..].join("\n")
        };
        panic!(
            "`npm {}` failed in the generated {app} app ({})\n--- stdout\n{}\n--- stderr\n{}",
            args.join(" "),
            output.status,
            tail(&output.stdout),
            tail(&output.stderr)
        );
    }
}

/// Scaffold, install, type-check and build (`npm run build` runs `tsc` or
/// `vue-tsc` first), then run the app's own tests. Returns the sandbox.
fn scaffold_install_build_test(frontend: &str, starter: &str, build_output: &str) -> Sandbox {
    let sb = Sandbox::new();
    sb.hoist()
        .args([
            "init",
            frontend,
            "--frontend",
            frontend,
            "--starter",
            starter,
            "--yes",
        ])
        .assert()
        .success();
    npm(&sb, frontend, &["install", "--no-audit", "--no-fund"]);
    npm(&sb, frontend, &["run", "build"]);
    assert!(
        sb.join(frontend).join(build_output).is_file(),
        "the build did not write {build_output}"
    );
    // One app's tests (and browser check) at a time: they wait on timers.
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    npm(&sb, frontend, &["test"]);
    sb
}

static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Serve the built app and check in headless Chromium (Debian's package,
/// driven by playwright-core from `tests/browser/`) that the Authenticator's
/// sign-in form renders; the screenshot is kept in `target/tmp/browser/`.
fn sign_in_form_renders(sb: &Sandbox, app: &str) {
    let harness = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    assert!(
        harness.join("node_modules/playwright-core").is_dir(),
        "playwright-core is not installed in tests/browser: run scripts/test.sh, which installs it"
    );
    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("browser")
        .join(format!("{app}-todo-sign-in.png"));
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let output = Command::new("node")
        .arg(harness.join("check.mjs"))
        .arg(sb.join(app).join("dist"))
        .arg(&shot)
        .output()
        .expect("could not run node");
    assert!(
        output.status.success(),
        "the sign-in form of the {app} starter did not render\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let png = std::fs::read(&shot).expect("the screenshot was not saved");
    assert!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
}

/// The files the `todo` starter adds, and that the generated documents are in place.
fn assert_todo_files(sb: &Sandbox, app: &str) {
    for rel in [
        "hoist/api/main/schema.graphql",
        "src/graphql/API.ts",
        "src/graphql/queries.ts",
        "src/graphql/mutations.ts",
        "src/graphql/subscriptions.ts",
        "src/todos.ts",
        "src/files.ts",
    ] {
        assert!(sb.join(app).join(rel).is_file(), "{rel} is missing");
    }
}

#[test]
#[ignore = "needs npm and the npm registry; run by scripts/test.sh"]
fn react_installs_builds_and_tests() {
    scaffold_install_build_test("react", "blank", "dist/index.html");
}

#[test]
#[ignore = "needs npm and the npm registry; run by scripts/test.sh"]
fn vue_installs_builds_and_tests() {
    scaffold_install_build_test("vue", "blank", "dist/index.html");
}

#[test]
#[ignore = "needs npm and the npm registry; run by scripts/test.sh"]
fn react_native_installs_builds_and_tests() {
    scaffold_install_build_test("react-native", "blank", "dist/index.html");
}

#[test]
#[ignore = "needs npm, the npm registry and Chromium; run by scripts/test.sh"]
fn react_todo_starter_builds_tests_and_renders() {
    let sb = scaffold_install_build_test("react", "todo", "dist/index.html");
    assert_todo_files(&sb, "react");
    sign_in_form_renders(&sb, "react");
}

#[test]
#[ignore = "needs npm, the npm registry and Chromium; run by scripts/test.sh"]
fn vue_todo_starter_builds_tests_and_renders() {
    let sb = scaffold_install_build_test("vue", "todo", "dist/index.html");
    assert_todo_files(&sb, "vue");
    sign_in_form_renders(&sb, "vue");
}

#[test]
#[ignore = "needs npm and the npm registry; run by scripts/test.sh"]
fn react_native_todo_starter_builds_and_tests() {
    let sb = scaffold_install_build_test("react-native", "todo", "dist/index.html");
    assert_todo_files(&sb, "react-native");
}
