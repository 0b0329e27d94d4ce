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

fn scaffold_install_build_test(frontend: &str, build_output: &str) {
    let sb = Sandbox::new();
    sb.hoist()
        .args(["init", frontend, "--frontend", frontend, "--yes"])
        .assert()
        .success();
    npm(&sb, frontend, &["install", "--no-audit", "--no-fund"]);
    npm(&sb, frontend, &["run", "build"]);
    assert!(
        sb.join(frontend).join(build_output).is_file(),
        "the build did not write {build_output}"
    );
    npm(&sb, frontend, &["test"]);
}

#[test]
#[ignore = "needs npm and the npm registry; run by scripts/test.sh"]
fn react_installs_builds_and_tests() {
    scaffold_install_build_test("react", "dist/index.html");
}

#[test]
#[ignore = "needs npm and the npm registry; run by scripts/test.sh"]
fn vue_installs_builds_and_tests() {
    scaffold_install_build_test("vue", "dist/index.html");
}

#[test]
#[ignore = "needs npm and the npm registry; run by scripts/test.sh"]
fn react_native_installs_builds_and_tests() {
    scaffold_install_build_test("react-native", "dist/index.html");
}
