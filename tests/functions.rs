//! The function category end to end with the real binary: `add`, `update`,
//! `remove`, `function build` (reproducible zips) and `function invoke`
//! (Lambda's Runtime API served locally). The default tier uses Python
//! functions, which need nothing from a registry; the ignored tiers build
//! Node (npm), Rust (crates.io, cargo-lambda) and Python with dependencies
//! (PyPI wheels for Lambda's platform), run each template's own tests, and
//! deploy to moto.

mod common;

use common::{Sandbox, flat, stderr_of};
use predicates::prelude::*;

fn project() -> Sandbox {
    let sb = Sandbox::new();
    sb.hoist()
        .args(["init", "shop", "--frontend", "react", "--yes", "-q"])
        .assert()
        .success();
    sb
}

fn hoist(sb: &Sandbox, args: &[&str]) -> assert_cmd::assert::Assert {
    sb.hoist_in(&sb.join("shop")).args(args).assert()
}

fn zip_sha(sb: &Sandbox, name: &str) -> String {
    let out = sb
        .hoist_in(&sb.join("shop"))
        .args(["function", "build", name, "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out, sb));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["sha256"].as_str().unwrap().to_string()
}

#[test]
fn add_function_writes_its_source_and_section_and_invoke_runs_it_as_lambda_would() {
    let sb = project();
    hoist(
        &sb,
        &[
            "add",
            "function",
            "resize",
            "--runtime",
            "python",
            "--memory",
            "512",
            "--env",
            "GREETING=hi",
            "--secret",
            "TOKEN=ssm:/shop/{env}/token",
            "--yes",
        ],
    )
    .success()
    .stderr(predicate::str::contains("Added function `resize`"));
    let toml = sb.read("shop/hoist.toml");
    assert!(
        toml.contains("[function.resize]\nruntime = \"python3.14\""),
        "{toml}"
    );
    assert!(toml.contains("memory_mb = 512"), "{toml}");
    assert!(toml.contains("TOKEN = \"ssm:/shop/{env}/token\""), "{toml}");
    assert_eq!(
        sb.files("shop/hoist/function/resize"),
        [
            ".gitignore",
            "conftest.py",
            "index.py",
            "requirements-dev.txt",
            "requirements.txt",
            "tests/test_index.py"
        ]
    );

    // the hello template answers; the environment is Lambda's, with the
    // secret's parameter name (never its value) and hoist's ENV and REGION
    let out = sb
        .hoist_in(&sb.join("shop"))
        .args([
            "function",
            "invoke",
            "resize",
            "--event",
            r#"{"name":"Ada"}"#,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out, &sb));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["message"], "Hello, Ada! (dev)");
    assert!(stderr_of(&out, &sb).contains("greeting Ada (request "));

    sb.write(
        "shop/hoist/function/resize/index.py",
        "import os, time\n\n\ndef handler(event, context):\n    if event.get('sleep'):\n        time.sleep(event['sleep'])\n    if event.get('fail'):\n        raise ValueError('bad input: ' + event['fail'])\n    keys = ['ENV', 'REGION', 'TOKEN', 'GREETING', 'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', '_HANDLER', 'HOME_SECRET']\n    return {'env': {k: os.environ.get(k) for k in keys}, 'id': context.aws_request_id, 'left': context.get_remaining_time_in_millis()}\n",
    );
    let out = sb
        .hoist_in(&sb.join("shop"))
        .env("HOME_SECRET", "must-not-leak")
        .args(["function", "invoke", "resize"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out, &sb));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        result["env"],
        serde_json::json!({
            "ENV": "dev", "REGION": "us-east-1", "TOKEN": "/shop/dev/token", "GREETING": "hi",
            "AWS_LAMBDA_FUNCTION_NAME": "resize-dev", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "_HANDLER": "index.handler", "HOME_SECRET": null
        })
    );
    let left = result["left"].as_u64().unwrap();
    assert!(left > 20_000 && left <= 25_000, "{left}");

    // an exception is the function's error, as Lambda reports it, with the
    // function's own frames; exit 1
    let out = sb
        .hoist_in(&sb.join("shop"))
        .args(["function", "invoke", "resize", "--event", r#"{"fail":"x"}"#])
        .output()
        .unwrap();
    let said = flat(&stderr_of(&out, &sb));
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("ValueError: bad input: x"), "{said}");
    assert!(said.contains("index.py\", line 8, in handler"), "{said}");
    assert!(!said.contains("runtime.py"), "{said}");

    // the timeout ends it as Lambda does
    hoist(&sb, &["update", "function", "resize", "--timeout", "1"]).success();
    let started = std::time::Instant::now();
    hoist(
        &sb,
        &["function", "invoke", "resize", "--event", r#"{"sleep":30}"#],
    )
    .code(1)
    .stderr(predicate::str::contains("Task timed out after 1.00"));
    assert!(started.elapsed() < std::time::Duration::from_secs(10));

    // a syntax error: the compiler's file:line:column, for invoke and build
    sb.write(
        "shop/hoist/function/resize/index.py",
        "def handler(e, c):\n    return (\n",
    );
    hoist(&sb, &["function", "build", "resize"])
        .code(1)
        .stderr(predicate::str::contains(
            "hoist/function/resize/index.py:2:",
        ));
    hoist(&sb, &["function", "invoke", "resize"])
        .code(1)
        .stderr(predicate::str::contains("Runtime.ImportModuleError"));

    // a missing handler is named with the file it looked for
    std::fs::remove_file(sb.join("shop/hoist/function/resize/index.py")).unwrap();
    hoist(&sb, &["function", "build", "resize"])
        .code(1)
        .stderr(predicate::str::contains("hoist/function/resize/index.py"))
        .stderr(predicate::str::contains("has no file"));
}

#[test]
fn bad_function_input_is_refused_where_it_is_and_nothing_is_written() {
    let sb = project();
    let before = sb.read("shop/hoist.toml");
    for (args, expected) in [
        (
            vec!["add", "function", "resize", "--runtime", "cobol", "--yes"],
            "invalid value 'cobol'",
        ),
        (
            vec![
                "add",
                "function",
                "resize",
                "--runtime",
                "python",
                "--memory",
                "64",
                "--yes",
            ],
            "64 MB is not a memory Lambda gives",
        ),
        (
            vec![
                "add",
                "function",
                "resize",
                "--runtime",
                "python",
                "--timeout",
                "901",
                "--yes",
            ],
            "901 s is not a timeout",
        ),
        (
            vec![
                "add",
                "function",
                "resize",
                "--runtime",
                "python",
                "--env",
                "AWS_REGION=x",
                "--yes",
            ],
            "`AWS_REGION` is a variable Lambda or hoist sets",
        ),
        (
            vec![
                "add",
                "function",
                "resize",
                "--runtime",
                "python",
                "--secret",
                "TOKEN=/no/prefix",
                "--yes",
            ],
            "is not an SSM parameter",
        ),
        (
            vec!["add", "function", "re-size", "--runtime", "python", "--yes"],
            "invalid function name `re-size`",
        ),
    ] {
        let out = sb.hoist_in(&sb.join("shop")).args(&args).output().unwrap();
        let said = flat(&stderr_of(&out, &sb));
        assert_eq!(
            out.status.code(),
            Some(if expected.starts_with("invalid value '") {
                2
            } else {
                1
            }),
            "{args:?}: {said}"
        );
        assert!(said.contains(expected), "{args:?}: {said}");
        assert_eq!(sb.read("shop/hoist.toml"), before, "{args:?}");
        assert!(
            !sb.join("shop/hoist/function").join("resize").exists(),
            "{args:?}"
        );
    }

    // a folder already there is not written over
    sb.write("shop/hoist/function/resize/keep.txt", "mine");
    hoist(
        &sb,
        &["add", "function", "resize", "--runtime", "python", "--yes"],
    )
    .code(1)
    .stderr(predicate::str::contains("already exists"));
    assert_eq!(sb.read("shop/hoist/function/resize/keep.txt"), "mine");
    assert_eq!(sb.read("shop/hoist.toml"), before);

    // a section edited by hand is checked at its line
    std::fs::remove_dir_all(sb.join("shop/hoist/function/resize")).unwrap();
    hoist(
        &sb,
        &[
            "add",
            "function",
            "resize",
            "--runtime",
            "python",
            "--yes",
            "-q",
        ],
    )
    .success();
    let toml = sb.read("shop/hoist.toml");
    sb.write(
        "shop/hoist.toml",
        &toml.replace("memory_mb = 128", "memory_mb = 99999"),
    );
    hoist(&sb, &["synth"])
        .code(1)
        .stderr(predicate::str::contains("hoist.toml:"))
        .stderr(predicate::str::contains("memory"));
    sb.write("shop/hoist.toml", &toml);

    // a function whose folder is gone: synthesis names it
    std::fs::remove_dir_all(sb.join("shop/hoist/function/resize")).unwrap();
    hoist(&sb, &["synth"])
        .code(1)
        .stderr(predicate::str::contains(
            "the function `resize` has no source",
        ));

    // update cannot change the language; remove takes it out of hoist.toml
    // and leaves the source
    sb.write(
        "shop/hoist/function/resize/index.py",
        "def handler(e, c):\n    return 1\n",
    );
    hoist(&sb, &["update", "function", "resize", "--runtime", "node"])
        .code(1)
        .stderr(predicate::str::contains("cannot change language"));
    hoist(&sb, &["remove", "function", "resize", "--yes"])
        .success()
        .stderr(predicate::str::contains("was left in place"));
    assert!(!sb.read("shop/hoist.toml").contains("[function.resize]"));
    assert!(sb.join("shop/hoist/function/resize/index.py").exists());
}

/// The same sources give the same zip, byte for byte; another source gives
/// another; the stack's code key follows the source's hash.
#[test]
fn packages_are_reproducible_and_named_by_their_source() {
    let sb = project();
    hoist(
        &sb,
        &[
            "add",
            "function",
            "resize",
            "--runtime",
            "python",
            "--yes",
            "-q",
        ],
    )
    .success();
    let first = zip_sha(&sb, "resize");
    std::fs::remove_dir_all(sb.join("shop/.hoist/build/functions")).unwrap();
    // what the zip leaves out does not change it: tests, caches
    sb.write("shop/hoist/function/resize/__pycache__/x.pyc", "junk");
    assert_eq!(zip_sha(&sb, "resize"), first);
    let zip = std::fs::read_dir(sb.join("shop/.hoist/build/functions"))
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    let names: Vec<String> = (0..archive.len())
        .map(|i| archive.by_index(i).unwrap().name().unwrap().to_string())
        .collect();
    assert_eq!(names, ["index.py"], "tests and dev requirements stay out");

    hoist(&sb, &["synth", "-q"]).success();
    let build: serde_json::Value =
        serde_json::from_str(&sb.read("shop/.hoist/build/dev/build.json")).unwrap();
    let key = build["code"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    assert!(
        key.starts_with("functions/resize-") && key.ends_with(".zip"),
        "{key}"
    );
    sb.write(
        "shop/hoist/function/resize/index.py",
        "def handler(event, context):\n    return 2\n",
    );
    assert_ne!(zip_sha(&sb, "resize"), first);
    hoist(&sb, &["synth", "-q"]).success();
    let again: serde_json::Value =
        serde_json::from_str(&sb.read("shop/.hoist/build/dev/build.json")).unwrap();
    assert!(!again["code"].as_object().unwrap().contains_key(&key));
    let template = sb.read("shop/.hoist/build/dev/function-resize.template.json");
    assert!(
        template.contains("\"Runtime\": \"python3.14\""),
        "{template}"
    );
}
