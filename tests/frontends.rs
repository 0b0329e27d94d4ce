//! The generated frontends install, build and pass their own tests.
//!
//! These need Node.js, npm and the npm registry, and take minutes, so they are
//! ignored by default; the test command (`scripts/test.sh`) runs them.

mod common;

use std::process::Command;

use common::Sandbox;

/// Runs npm in the generated app and returns what it printed (stdout, then stderr).
fn npm(sb: &Sandbox, app: &str, args: &[&str]) -> String {
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
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The starters' dependency sets agree with each other and with the Node.js
/// the README names: npm overrides no peer dependency (`ERESOLVE`) and warns
/// of no engine (`EBADENGINE`).
fn assert_clean_install(printed: &str, app: &str) {
    let warnings: Vec<&str> = printed
        .lines()
        .filter(|l| l.contains("ERESOLVE") || l.contains("EBADENGINE"))
        .collect();
    assert!(
        warnings.is_empty(),
        "`npm install` of the generated {app} app warned:\n{}",
        warnings.join("\n")
    );
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
    let printed = npm(&sb, frontend, &["install", "--no-audit", "--no-fund"]);
    assert_clean_install(&printed, &format!("{frontend} {starter}"));
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
    runs_offline_under_hoist_dev(&sb, "react");
}

/// `hoist dev` in the app: the sandbox and the frontend's dev server (Vite;
/// Expo's Metro for React Native, whose page is the app's web build) together,
/// and headless Chromium drives the starter against them
/// (`tests/browser/todo-dev.mjs`): sign up with the code the sandbox prints,
/// todos, a second window's subscription, files, a second user. The
/// sandbox's output is where the codes are.
fn runs_offline_under_hoist_dev(sb: &Sandbox, app: &str) {
    use std::io::{BufRead, Write};
    let dir = sb.join(app);
    let web_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // how the dev server is put on a free port, the line it prints when it
    // serves, and the page's kind
    let (start, ready, flavor) = if app == "react-native" {
        (
            ("npm start", format!("npm start -- --port {web_port}")),
            "Waiting on http://localhost:",
            "native",
        )
    } else {
        (
            (
                "npm run dev",
                format!("npm run dev -- --host 127.0.0.1 --port {web_port} --strictPort"),
            ),
            "ready in",
            "web",
        )
    };
    let manifest = std::fs::read_to_string(dir.join("hoist.toml")).unwrap();
    std::fs::write(
        dir.join("hoist.toml"),
        manifest
            .replace(
                &format!("start_command = \"{}\"", start.0),
                &format!("start_command = \"{}\"", start.1),
            )
            // the page's origin may use the sandbox's S3, as the bucket's CORS rules say
            .replace(
                "cors_origins = [",
                &format!("cors_origins = [\"http://127.0.0.1:{web_port}\", "),
            ),
    )
    .unwrap();
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let mut dev = Command::new(assert_cmd::cargo::cargo_bin("hoist"))
        .current_dir(&dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", sb.home.path())
        .env("NO_COLOR", "1")
        // Expo's dev server asks no questions and watches no files under CI
        .env("CI", "1")
        .args(["dev", "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, lines) = std::sync::mpsc::channel::<String>();
    for stream in [
        Box::new(dev.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(dev.stderr.take().unwrap()),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stream)
                .lines()
                .map_while(Result::ok)
            {
                let _ = tx.send(line);
            }
        });
    }
    let mut seen = Vec::new();
    let wait_for = |text: &str, seen: &mut Vec<String>| -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while std::time::Instant::now() < deadline {
            if let Ok(line) = lines.recv_timeout(std::time::Duration::from_millis(200)) {
                seen.push(line.clone());
                if line.contains(text) {
                    return line;
                }
            }
        }
        panic!("hoist dev never printed `{text}`:\n{}", seen.join("\n"));
    };
    wait_for(ready, &mut seen);
    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("browser")
        .join(format!("{app}-todo-dev.png"));
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/todo-dev.mjs");
    let mut node = Command::new("node")
        .arg(script)
        .arg(format!("http://127.0.0.1:{web_port}/"))
        .arg(&shot)
        .arg(flavor)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("could not run node");
    let mut stdin = node.stdin.take().unwrap();
    let mut report = String::new();
    for line in std::io::BufReader::new(node.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok)
    {
        if let Some(email) = line.strip_prefix("CODE? ") {
            let printed = wait_for(&format!("confirmation code for {email}: "), &mut seen);
            let code = printed.rsplit(' ').next().unwrap().to_string();
            writeln!(stdin, "{code}").unwrap();
        } else {
            report = line;
        }
    }
    let out = node.wait_with_output().unwrap();
    // stop hoist dev as Ctrl-C would: both processes end, it exits 0
    sigint(dev.id());
    let status = dev.wait().unwrap();
    while let Ok(line) = lines.recv_timeout(std::time::Duration::from_millis(200)) {
        seen.push(line);
    }
    assert!(
        out.status.success(),
        "the {app} starter did not run under hoist dev\n--- report\n{report}\n--- stderr\n{}\n--- hoist dev\n{}",
        String::from_utf8_lossy(&out.stderr),
        seen.join("\n")
    );
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["checks"].as_array().unwrap().len(), 9, "{report}");
    assert!(
        status.success(),
        "hoist dev exited with {status}:\n{}",
        seen.join("\n")
    );
    assert!(
        seen.iter()
            .any(|l| l.starts_with("sandbox | Sandbox stopped")),
        "the sandbox did not stop cleanly:\n{}",
        seen.join("\n")
    );
}

/// Send SIGINT (Ctrl-C) to a process.
fn sigint(pid: u32) {
    let status = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
#[ignore = "needs npm, the npm registry and Chromium; run by scripts/test.sh"]
fn vue_todo_starter_builds_tests_and_renders() {
    let sb = scaffold_install_build_test("vue", "todo", "dist/index.html");
    assert_todo_files(&sb, "vue");
    sign_in_form_renders(&sb, "vue");
    runs_offline_under_hoist_dev(&sb, "vue");
}

#[test]
#[ignore = "needs npm, the npm registry and Chromium; run by scripts/test.sh"]
fn react_native_todo_starter_builds_tests_and_runs_on_the_web() {
    let sb = scaffold_install_build_test("react-native", "todo", "dist/index.html");
    assert_todo_files(&sb, "react-native");
    runs_offline_under_hoist_dev(&sb, "react-native");
}
