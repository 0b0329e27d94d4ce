//! The function category's tiers that need registries or the emulator
//! (ignored by default; scripts/test.sh installs what they need and runs
//! them): every runtime x template's own tests with its runtime's tools,
//! Node bundles (npm), Python wheels for Lambda's platform (PyPI), Rust
//! bootstraps (crates.io, cargo-lambda), and deploys to moto.

mod common;

use common::functions::{hoist, project, zip_sha};
use common::{Sandbox, flat, stderr_of};
use predicates::prelude::*;

/// The caller's Rust toolchain (rustup's and cargo's homes), for tests that
/// build Rust functions in a sandbox HOME.
fn with_rust(cmd: &mut assert_cmd::Command, target: &std::path::Path) {
    let home = std::env::var_os("HOME").unwrap_or_default();
    let home = std::path::Path::new(&home);
    cmd.env(
        "RUSTUP_HOME",
        std::env::var_os("RUSTUP_HOME").unwrap_or_else(|| home.join(".rustup").into()),
    )
    .env(
        "CARGO_HOME",
        std::env::var_os("CARGO_HOME").unwrap_or_else(|| home.join(".cargo").into()),
    )
    .env("CARGO_TARGET_DIR", target);
}

fn tool_dir(venv: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".venv")
        .join(venv)
        .join("bin")
}

/// Every runtime × template as `hoist add` writes it passes its own tests
/// with its runtime's tools (npm test and tsc, pytest, cargo test), and the
/// Node and Python ones build a package.
#[test]
#[ignore = "needs the npm registry, PyPI (pytest) and crates.io; run by scripts/test.sh"]
fn every_runtime_and_template_passes_its_own_tests() {
    let sb = project();
    hoist(&sb, &["add", "auth", "--yes", "-q"]).success();
    hoist(&sb, &["add", "api", "--template", "blank", "--yes", "-q"]).success();
    hoist(&sb, &["add", "storage", "--yes", "-q"]).success();
    let target = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/function-tests");
    for template in [
        "hello",
        "graphql-resolver",
        "auth-trigger",
        "storage-trigger",
        "table-stream",
        "scheduled",
    ] {
        for runtime in ["node", "python", "rust"] {
            let name = format!(
                "{runtime}{}",
                template
                    .split('-')
                    .map(|w| w[..1].to_uppercase() + &w[1..])
                    .collect::<String>()
            );
            let mut args = vec![
                "add",
                "function",
                name.as_str(),
                "--runtime",
                runtime,
                "--template",
                template,
                "--yes",
                "-q",
            ];
            // one function per user pool trigger
            if template == "auth-trigger" && runtime != "node" {
                args.extend(["--remove-trigger", "auth:pre-sign-up"]);
            }
            if template == "table-stream" {
                args.extend(["--trigger", "table:Note"]);
            }
            hoist(&sb, &args).success();
            let dir = sb.join("shop/hoist/function").join(&name);
            let checks: Vec<(&str, Vec<&str>)> = match runtime {
                "node" => vec![
                    ("npm", vec!["test", "--silent"]),
                    ("npm", vec!["run", "typecheck", "--silent"]),
                ],
                "python" => vec![("pytest", vec!["-m", "pytest", "-q"])],
                _ => vec![("cargo", vec!["test", "--quiet"])],
            };
            for (tool, tool_args) in checks {
                let program = if tool == "pytest" {
                    tool_dir("pytest").join("python")
                } else {
                    std::path::PathBuf::from(tool)
                };
                let out = std::process::Command::new(program)
                    .args(&tool_args)
                    .env("CARGO_TARGET_DIR", &target)
                    .current_dir(&dir)
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{name}: {tool} {tool_args:?}: {}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            if runtime != "rust" {
                zip_sha(&sb, &name);
            }
        }
    }
}

/// A Node function as `hoist add` writes it: its own tests and type check
/// pass with its own tools, it runs under the local Runtime API, its bundle
/// is the same bytes every build, and a syntax error is shown at its place.
#[test]
#[ignore = "needs the npm registry (esbuild, tsx, typescript); run by scripts/test.sh"]
fn node_functions_pass_their_own_tests_and_build_the_same_bundle() {
    let sb = project();
    hoist(&sb, &["add", "function", "greet", "--yes"])
        .success()
        .stderr(predicate::str::contains("npm install"));
    let dir = sb.join("shop/hoist/function/greet");
    assert!(dir.join("package-lock.json").exists());
    for script in ["test", "typecheck"] {
        let out = std::process::Command::new("npm")
            .args(["run", script, "--silent"])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "npm run {script}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = sb
        .hoist_in(&sb.join("shop"))
        .args([
            "function",
            "invoke",
            "greet",
            "--event",
            r#"{"name":"Ada"}"#,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out, &sb));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["message"], "Hello, Ada! (dev)");

    let first = zip_sha(&sb, "greet");
    std::fs::remove_dir_all(sb.join("shop/.hoist/build/functions")).unwrap();
    assert_eq!(
        zip_sha(&sb, "greet"),
        first,
        "the same sources, the same zip"
    );

    // a callback handler: refused by Node.js 24's runtime, as Lambda's
    // refuses it; answered by nodejs22.x's
    sb.write(
        "shop/hoist/function/greet/src/index.ts",
        "export const handler = (event: { n: number }, _context: unknown, callback: (e: Error | null, r?: unknown) => void) => {\n  setTimeout(() => callback(null, { twice: event.n * 2 }), 10);\n};\n",
    );
    let out = sb
        .hoist_in(&sb.join("shop"))
        .args(["function", "invoke", "greet", "--event", r#"{"n":21}"#])
        .output()
        .unwrap();
    let said = flat(&stderr_of(&out, &sb));
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("Runtime.CallbackHandlerDeprecated"), "{said}");
    let toml = sb.read("shop/hoist.toml");
    sb.write("shop/hoist.toml", &toml.replace("nodejs24.x", "nodejs22.x"));
    let out = sb
        .hoist_in(&sb.join("shop"))
        .args(["function", "invoke", "greet", "--event", r#"{"n":21}"#])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out, &sb));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["twice"], 42);

    sb.write(
        "shop/hoist/function/greet/src/index.ts",
        "export const handler = async () => {\n  return { a: 1 ;\n};\n",
    );
    let out = sb
        .hoist_in(&sb.join("shop"))
        .args(["function", "build", "greet"])
        .output()
        .unwrap();
    let said = flat(&stderr_of(&out, &sb));
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("src/index.ts:2:"), "{said}");
    assert!(said.contains("esbuild"), "{said}");
}

/// A Python function with dependencies: pip installs wheels for Lambda's
/// platform and the function's architecture (not this machine's), the zip is
/// the same bytes every build, a package without such a wheel is named, and
/// the template's own tests pass with pytest.
#[test]
#[ignore = "needs PyPI (wheels, pytest); run by scripts/test.sh"]
fn python_functions_get_wheels_for_lambdas_platform_and_pass_their_own_tests() {
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
    let dir = sb.join("shop/hoist/function/resize");
    let out = std::process::Command::new(tool_dir("pytest").join("python"))
        .args(["-m", "pytest", "-q"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pytest: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    sb.write(
        "shop/hoist/function/resize/requirements.txt",
        "PyYAML==6.0.3\n",
    );
    let first = zip_sha(&sb, "resize");
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
    assert!(names.contains(&"index.py".to_string()), "{names:?}");
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("yaml/_yaml.cpython-314-aarch64-linux-gnu")),
        "arm64 wheels for Python 3.14: {names:?}"
    );
    assert!(
        !names.iter().any(|n| n.contains("__pycache__")),
        "{names:?}"
    );
    std::fs::remove_dir_all(sb.join("shop/.hoist/build/functions")).unwrap();
    assert_eq!(
        zip_sha(&sb, "resize"),
        first,
        "the same sources, the same zip"
    );

    // a package published without wheels cannot go to Lambda
    sb.write(
        "shop/hoist/function/resize/requirements.txt",
        "pycrypto==2.6.1\n",
    );
    let out = sb
        .hoist_in(&sb.join("shop"))
        .args(["function", "build", "resize"])
        .output()
        .unwrap();
    let said = flat(&stderr_of(&out, &sb));
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("`pycrypto==2.6.1` has no wheel for Lambda's platform"),
        "{said}"
    );
}

/// A Rust function: its own tests pass, it runs natively under the local
/// Runtime API, cargo-lambda builds its `bootstrap` for Lambda (x86_64: this
/// machine's Rust has no other target), the zip is the same bytes every
/// build, and a compile error is shown at its place.
#[test]
#[ignore = "needs crates.io and cargo-lambda (PyPI); run by scripts/test.sh"]
fn rust_functions_pass_their_own_tests_run_natively_and_build_for_lambda() {
    let sb = project();
    let target = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/function-tests");
    hoist(
        &sb,
        &[
            "add",
            "function",
            "charge",
            "--runtime",
            "rust",
            "--arch",
            "x86_64",
            "--yes",
            "-q",
        ],
    )
    .success();
    let dir = sb.join("shop/hoist/function/charge");
    let out = std::process::Command::new("cargo")
        .args(["test", "--quiet"])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo test: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let mut invoke = sb.hoist_in(&sb.join("shop"));
    with_rust(&mut invoke, &target);
    let out = invoke
        .args([
            "function",
            "invoke",
            "charge",
            "--event",
            r#"{"name":"Ada"}"#,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out, &sb));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["message"], "Hello, Ada! (dev)");

    let path = format!(
        "{}:{}",
        tool_dir("cargo-lambda").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let build = |sb: &Sandbox| {
        let mut cmd = sb.hoist_in(&sb.join("shop"));
        with_rust(&mut cmd, &target);
        let out = cmd
            .env("PATH", &path)
            .args(["function", "build", "charge", "--json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out, sb));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        doc
    };
    let first = build(&sb);
    let zip = sb.join("shop").join(first["path"].as_str().unwrap());
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    let mut bootstrap = archive.by_index(0).unwrap();
    assert_eq!(bootstrap.name().unwrap(), "bootstrap");
    assert_eq!(bootstrap.unix_mode(), Some(0o100755));
    let mut head = [0u8; 20];
    std::io::Read::read_exact(&mut bootstrap, &mut head).unwrap();
    assert_eq!(&head[..4], b"\x7fELF");
    assert_eq!(u16::from_le_bytes([head[18], head[19]]), 62, "x86-64");
    drop(bootstrap);
    std::fs::remove_dir_all(sb.join("shop/.hoist/build/functions")).unwrap();
    assert_eq!(
        build(&sb)["sha256"],
        first["sha256"],
        "the same sources, the same zip"
    );

    sb.write(
        "shop/hoist/function/charge/src/main.rs",
        "fn main() {\n    let x: u8 = \"a\";\n}\n",
    );
    let mut invoke = sb.hoist_in(&sb.join("shop"));
    with_rust(&mut invoke, &target);
    let out = invoke
        .args(["function", "invoke", "charge"])
        .output()
        .unwrap();
    let said = flat(&stderr_of(&out, &sb));
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("src/main.rs:2:"), "{said}");
}

/// Deployed to moto: each function with its runtime, memory, environment
/// and the very zip built (Lambda's CodeSha256 is the base64 SHA-256 of the
/// package), a role that writes only its log group and reads only its
/// secrets; an unchanged function is not uploaded again, a changed one is.
#[test]
#[ignore = "needs moto (PyPI); run by scripts/test.sh, which installs it"]
fn push_deploys_functions_with_their_code_and_least_privilege() {
    use base64::Engine as _;
    let moto = common::moto::Moto::start();
    let sb = project();
    let run = |args: &[&str]| {
        let out = sb
            .hoist_in(&sb.join("shop"))
            .env("AWS_ENDPOINT_URL", &moto.endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .args(args)
            .output()
            .unwrap();
        let said = stderr_of(&out, &sb);
        assert!(out.status.success(), "hoist {args:?}: {said}");
        said
    };
    run(&["add", "auth", "--yes", "-q"]);
    run(&[
        "add",
        "api",
        "--auth",
        "user-pools",
        "--additional-auth",
        "iam",
        "--yes",
        "-q",
    ]);
    run(&["add", "storage", "--yes", "-q"]);
    run(&[
        "add",
        "function",
        "resize",
        "--runtime",
        "python",
        "--memory",
        "256",
        "--env",
        "SIZE=64",
        "--secret",
        "TOKEN=ssm:/shop/{env}/token",
        "--access",
        "storage:read",
        "--access",
        "table:Todo:write",
        "--access",
        "auth:read",
        "--trigger",
        "table:Todo",
        "--yes",
        "-q",
    ]);
    run(&[
        "add",
        "function",
        "thumbs",
        "--runtime",
        "python",
        "--template",
        "storage-trigger",
        "--trigger",
        "storage:created:public/*.jpg",
        "--remove-trigger",
        "storage:created",
        "--yes",
        "-q",
    ]);
    run(&["push", "--yes", "-q"]);
    let build: serde_json::Value =
        serde_json::from_str(&sb.read("shop/.hoist/build/dev/build.json")).unwrap();
    let key = build["code"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, function)| *function == "resize")
        .map(|(key, _)| key.clone())
        .unwrap();
    let zip = std::fs::read(
        sb.join("shop/.hoist/build/functions")
            .join(key.trim_start_matches("functions/")),
    )
    .unwrap();
    let sha = |bytes: &[u8]| {
        use sha2::Digest;
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(bytes))
    };
    let state = moto.inspect("us-east-1");
    let f = &state["functions"]["resize-dev"];
    assert_eq!(f["runtime"], "python3.14", "{state:#}");
    assert_eq!(f["handler"], "index.handler");
    assert_eq!(f["memory"], 256);
    assert_eq!(f["code_sha256"], sha(&zip));
    // the resources it was given, by Amplify's variable names, with the
    // values of this deploy
    let outputs: serde_json::Value =
        serde_json::from_str(&sb.read("shop/src/amplify_outputs.json")).unwrap();
    let env = &f["environment"];
    assert_eq!(env["ENV"], "dev");
    assert_eq!(env["SIZE"], "64");
    assert_eq!(env["TOKEN"], "/shop/dev/token");
    assert_eq!(
        env["AUTH_MAIN_USERPOOLID"], outputs["auth"]["user_pool_id"],
        "{env:#}"
    );
    assert_eq!(
        env["STORAGE_FILES_BUCKETNAME"],
        outputs["storage"]["bucket_name"]
    );
    let table = env["API_MAIN_TODOTABLE_NAME"].as_str().unwrap();
    assert!(state["tables"].get(table).is_some(), "{table}: {state:#}");
    assert!(
        env["API_MAIN_TODOTABLE_ARN"]
            .as_str()
            .unwrap()
            .ends_with(&format!(":table/{table}"))
    );
    let statements = &f["role_policies"]["function"]["Statement"];
    assert!(statements.is_array(), "{f:#}");
    let resources: Vec<String> = statements
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Resource"].to_string())
        .collect();
    assert!(
        resources[0].contains(":log-group:/aws/lambda/resize-dev"),
        "{resources:?}"
    );
    for expected in [
        format!(
            ":::{}/*",
            outputs["storage"]["bucket_name"].as_str().unwrap()
        ),
        format!(":table/{table}/index/*"),
        format!(
            ":userpool/{}",
            outputs["auth"]["user_pool_id"].as_str().unwrap()
        ),
        ":parameter/shop/dev/token".to_string(),
    ] {
        assert!(
            resources.iter().any(|r| r.contains(&expected)),
            "{expected} in {resources:?}"
        );
    }
    // `*` only for the actions that take no resource (X-Ray's,
    // dynamodb:ListStreams): everything else names its resource
    for statement in statements.as_array().unwrap() {
        if statement["Resource"] == "*" {
            let actions = statement["Action"].to_string();
            assert!(
                actions.contains("xray:") || actions == "\"dynamodb:ListStreams\"",
                "{statement}"
            );
        }
    }
    assert_eq!(state["log_groups"]["/aws/lambda/resize-dev"], 30);
    // its table trigger: an event source mapping on the Todo table's stream
    let sources = f["event_sources"].as_array().unwrap();
    assert_eq!(sources.len(), 1, "{f:#}");
    assert!(
        sources[0]
            .as_str()
            .unwrap()
            .contains(&format!(":table/{table}/stream/")),
        "{sources:?}"
    );

    // the storage trigger: the bucket sends its events to EventBridge, one
    // rule matches this bucket's created .jpg files under public/ and
    // targets the function, which EventBridge may invoke from that rule only
    let bucket = outputs["storage"]["bucket_name"].as_str().unwrap();
    assert_eq!(state["buckets"][bucket]["eventbridge"], true, "{state:#}");
    let thumbs = &state["functions"]["thumbs-dev"];
    let arn_of_thumbs = |target: &serde_json::Value| {
        target
            .as_str()
            .is_some_and(|t| t.ends_with(":function:thumbs-dev"))
    };
    let rules: Vec<(&String, &serde_json::Value)> = state["rules"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["targets"].as_array().unwrap().iter().any(arn_of_thumbs))
        .collect();
    assert_eq!(rules.len(), 1, "{state:#}");
    let rule = rules[0].1;
    assert_eq!(
        rule["pattern"],
        serde_json::json!({
            "source": ["aws.s3"],
            "detail-type": ["Object Created"],
            "detail": {
                "bucket": { "name": [bucket] },
                "object": { "key": [{ "wildcard": "public/*.jpg" }] },
            },
        })
    );
    let allowed: Vec<&serde_json::Value> = thumbs["resource_policy"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["Principal"]["Service"] == "events.amazonaws.com")
        .collect();
    assert_eq!(allowed.len(), 1, "{thumbs:#}");
    assert_eq!(
        allowed[0]["Condition"]["ArnLike"]["AWS:SourceArn"], rule["arn"],
        "{thumbs:#}"
    );
    // the resize function has no storage trigger: no rule targets it
    assert!(!state["rules"].as_object().unwrap().values().any(|r| {
        r["targets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t.as_str().unwrap().ends_with(":function:resize-dev"))
    }));

    // what the function logged, read back from CloudWatch Logs
    moto.boto3(
        "us-east-1",
        "import time\nlogs = client('logs')\nlogs.create_log_stream(logGroupName='/aws/lambda/resize-dev', logStreamName='2026/12/01/[$LATEST]abc')\nlogs.put_log_events(logGroupName='/aws/lambda/resize-dev', logStreamName='2026/12/01/[$LATEST]abc', logEvents=[{'timestamp': int(time.time() * 1000), 'message': 'resized 3 images'}])",
    );
    let out = sb
        .hoist_in(&sb.join("shop"))
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .args(["function", "logs", "resize"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out, &sb));
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.contains("Z  resized 3 images"), "{printed}");
    let out = sb
        .hoist_in(&sb.join("shop"))
        .args(["function", "logs", "resize", "--since", "yesterday"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_of(&out, &sb).contains("is not an age"));

    // nothing changed: nothing built, nothing uploaded
    let again = run(&["push", "--yes"]);
    assert!(again.contains("No changes"), "{again}");
    assert!(!again.contains("Building function"), "{again}");

    // new code: built, uploaded, the function's code replaced
    sb.write(
        "shop/hoist/function/resize/index.py",
        "def handler(event, context):\n    return {'v': 2}\n",
    );
    let changed = run(&["push", "--yes"]);
    assert!(changed.contains("Building function `resize`"), "{changed}");
    let state = moto.inspect("us-east-1");
    assert_ne!(
        state["functions"]["resize-dev"]["code_sha256"],
        f["code_sha256"]
    );
}
