//! The function category end to end with the real binary: `add`, `update`,
//! `remove`, `function build` (reproducible zips), `function invoke`
//! (Lambda's Runtime API served locally) and the sandbox's functions, with
//! Python functions, which need nothing from a registry. The tiers that
//! need registries and the emulator are in functions_tiers.rs.

#[path = "functions/api_access.rs"]
mod api_access;
mod common;
#[path = "functions/pool_access.rs"]
mod pool_access;
#[path = "functions/table_access.rs"]
mod table_access;

use common::functions::{hoist, project, run_in, sandbox_app, zip_sha};
use common::{Sandbox, flat, stderr_of};
use predicates::prelude::*;

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

/// `--access` names the project's resources; what it cannot resolve is
/// refused before anything is written, a model the api lacks at synthesis,
/// and a function an api's `@function` calls cannot also take that api's
/// values (the stacks would wait for each other).
#[test]
fn access_is_checked_against_the_project() {
    let sb = project();
    hoist(&sb, &["add", "api", "--template", "todo", "--yes", "-q"]).success();
    let before = sb.read("shop/hoist.toml");
    for (access, expected) in [
        ("s3:*", "is not an access"),
        ("storage:read", "no storage resource"),
        ("api:query", "the api `main` takes no IAM requests"),
        ("api:nope:query", "no api `nope`"),
    ] {
        let out = sb
            .hoist_in(&sb.join("shop"))
            .args([
                "add",
                "function",
                "greet",
                "--runtime",
                "python",
                "--access",
                access,
                "--yes",
            ])
            .output()
            .unwrap();
        let said = flat(&stderr_of(&out, &sb));
        assert_eq!(out.status.code(), Some(1), "{access}: {said}");
        assert!(said.contains(expected), "{access}: {said}");
        assert_eq!(sb.read("shop/hoist.toml"), before, "{access}");
    }
    hoist(
        &sb,
        &[
            "add",
            "function",
            "greet",
            "--runtime",
            "python",
            "--access",
            "table:Nope:read",
            "--yes",
            "-q",
        ],
    )
    .success();
    let out = sb
        .hoist_in(&sb.join("shop"))
        .args(["synth", "-q"])
        .output()
        .unwrap();
    let said = flat(&stderr_of(&out, &sb));
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("has no model `Nope`"), "{said}");
    assert!(said.contains("(`Todo`)"), "{said}");
    hoist(
        &sb,
        &[
            "update",
            "function",
            "greet",
            "--remove-access",
            "table:Nope:read",
            "--access",
            "table:Todo:read",
        ],
    )
    .success();
    hoist(&sb, &["synth", "-q"]).success();
    let schema = sb.read("shop/hoist/api/main/schema.graphql");
    sb.write(
        "shop/hoist/api/main/schema.graphql",
        &format!("{schema}\ntype Query {{ greet: String @function(name: \"greet-${{env}}\") }}\n"),
    );
    let out = sb
        .hoist_in(&sb.join("shop"))
        .args(["synth", "-q"])
        .output()
        .unwrap();
    let said = flat(&stderr_of(&out, &sb));
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("would wait for each other"), "{said}");
    assert!(
        said.contains("ApiMain -> FunctionGreet -> ApiMain")
            || said.contains("FunctionGreet -> ApiMain -> FunctionGreet"),
        "{said}"
    );
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
    // what the zip leaves out does not change it nor get in: tests, caches,
    // hidden files (`.env`), virtual environments, what .gitignore names
    sb.write("shop/hoist/function/resize/__pycache__/x.pyc", "junk");
    sb.write(
        "shop/hoist/function/resize/.env",
        "AWS_SECRET_ACCESS_KEY=shh",
    );
    sb.write("shop/hoist/function/resize/venv/lib/junk.py", "x = 1");
    sb.write("shop/hoist/function/resize/.mypy_cache/x.json", "{}");
    sb.write(
        "shop/hoist/function/resize/tests/test_more.py",
        "def test(): pass",
    );
    let gitignore = sb.read("shop/hoist/function/resize/.gitignore");
    sb.write(
        "shop/hoist/function/resize/.gitignore",
        &format!("{gitignore}local-notes.txt\n"),
    );
    sb.write("shop/hoist/function/resize/local-notes.txt", "mine");
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

/// The sandbox runs the project's functions for the api's `@function`
/// fields: the payload AppSync sends (arguments, identity, parent), the
/// function's result as the field's value, its error as a GraphQL error with
/// its type, and an edit of its source served on the next call.
#[test]
fn the_sandbox_resolves_function_fields_with_the_projects_function() {
    let sb = Sandbox::new();
    let app = sandbox_app(&sb);
    let run = |args: &[&str]| run_in(&sb, &app, args);
    run(&["add", "api", "--template", "todo", "--yes", "-q"]);
    run(&[
        "add",
        "function",
        "echo",
        "--runtime",
        "python",
        "--yes",
        "-q",
    ]);
    std::fs::write(
        app.join("hoist/api/main/schema.graphql"),
        "type Todo @model { id: ID! name: String }\n\
         type Query {\n  echo(msg: String!): String @function(name: \"echo-${env}\")\n  fails: String @function(name: \"echo-${env}\")\n}\n",
    )
    .unwrap();
    std::fs::write(
        app.join("hoist/function/echo/index.py"),
        "def handler(event, context):\n    if event['fieldName'] == 'fails':\n        raise PermissionError('no way')\n    print('echo', event['arguments']['msg'])\n    return event['arguments']['msg'].upper() + ' from ' + event['typeName'] + '.' + event['fieldName']\n",
    )
    .unwrap();
    let running = common::running::Running::start(&sb, &app, &["--port", "0"]);
    let outputs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(app.join("amplify_outputs.json")).unwrap())
            .unwrap();
    let key = outputs["data"]["api_key"].as_str().unwrap().to_string();
    let with_key = [("x-api-key", key.as_str())];
    let (status, body) = running.post(&with_key, r#"{"query":"{ echo(msg: \"hi\") }"}"#);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["echo"], "HI from Query.echo", "{body}");
    running.wait_for("function echo | echo hi");

    let (_, body) = running.post(&with_key, r#"{"query":"{ fails }"}"#);
    assert_eq!(body["data"]["fails"], serde_json::Value::Null, "{body}");
    assert_eq!(body["errors"][0]["errorType"], "PermissionError", "{body}");
    assert_eq!(body["errors"][0]["message"], "no way", "{body}");

    // an edit is served on the next call, without a restart
    std::fs::write(
        app.join("hoist/function/echo/index.py"),
        "def handler(event, context):\n    return 'v2 ' + event['arguments'].get('msg', '')\n",
    )
    .unwrap();
    let (_, body) = running.post(&with_key, r#"{"query":"{ echo(msg: \"hi\") }"}"#);
    assert_eq!(body["data"]["echo"], "v2 hi", "{body}");
    running.stop();
}

/// A symbolic link (it would run locally and be missing deployed) and two
/// functions whose names differ only in case (one stack) are refused; an
/// answer over Lambda's 6 MB is refused as Lambda refuses it; the function
/// gets a home of its own, not the caller's (and its AWS files).
#[test]
fn what_lambda_would_refuse_is_refused_locally() {
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
    hoist(
        &sb,
        &["add", "function", "Resize", "--runtime", "python", "--yes"],
    )
    .code(1)
    .stderr(predicate::str::contains("differs from it only in case"));
    assert!(!sb.join("shop/hoist/function/Resize").exists());

    sb.write(
        "shop/hoist/function/resize/index.py",
        "import os\n\n\ndef handler(event, context):\n    if event.get('big'):\n        return 'x' * 7_000_000\n    return {'home': os.environ['HOME']}\n",
    );
    let out = sb
        .hoist_in(&sb.join("shop"))
        .args(["function", "invoke", "resize"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out, &sb));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let home = result["home"].as_str().unwrap();
    assert!(home.ends_with(".hoist/functions/resize/home"), "{home}");
    assert_ne!(home, sb.home.path().to_str().unwrap());

    let started = std::time::Instant::now();
    hoist(
        &sb,
        &["function", "invoke", "resize", "--event", r#"{"big":true}"#],
    )
    .code(1)
    .stderr(predicate::str::contains("Function.ResponseSizeTooLarge"));
    assert!(started.elapsed() < std::time::Duration::from_secs(20));

    #[cfg(unix)]
    {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("creds.py"), "KEY = 'x'\n").unwrap();
        std::os::unix::fs::symlink(
            outside.path().join("creds.py"),
            sb.join("shop/hoist/function/resize/creds.py"),
        )
        .unwrap();
        let out = sb
            .hoist_in(&sb.join("shop"))
            .args(["function", "build", "resize"])
            .output()
            .unwrap();
        let said = flat(&stderr_of(&out, &sb));
        assert_eq!(out.status.code(), Some(1), "{said}");
        assert!(
            said.contains("creds.py` cannot be part of a function's source"),
            "{said}"
        );
        assert!(said.contains("symbolic link"), "{said}");
    }
}

/// A model's changes reach the function its table triggers, as DynamoDB
/// stream records (INSERT with the new image, MODIFY with both, REMOVE with
/// the old), without the writer waiting for it.
#[test]
fn model_writes_reach_the_table_trigger_in_the_sandbox() {
    let sb = Sandbox::new();
    let app = sandbox_app(&sb);
    let run = |args: &[&str]| run_in(&sb, &app, args);
    run(&["add", "api", "--template", "todo", "--yes", "-q"]);
    run(&[
        "add",
        "function",
        "onTodo",
        "--runtime",
        "python",
        "--trigger",
        "table:Todo",
        "--yes",
        "-q",
    ]);
    std::fs::write(
        app.join("hoist/function/onTodo/index.py"),
        "def handler(event, context):\n    for r in event['Records']:\n        image = r['dynamodb'].get('NewImage') or r['dynamodb']['OldImage']\n        print('stream', r['eventName'], r['eventSource'], image['name']['S'], 'old' in str(sorted(r['dynamodb'])).lower())\n",
    )
    .unwrap();
    run(&["synth", "-q"]);
    let template =
        std::fs::read_to_string(app.join(".hoist/build/dev/function-onTodo.template.json"))
            .unwrap();
    assert!(
        template.contains("AWS::Lambda::EventSourceMapping"),
        "{template}"
    );
    let running = common::running::Running::start(&sb, &app, &["--port", "0"]);
    let outputs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(app.join("amplify_outputs.json")).unwrap())
            .unwrap();
    let key = outputs["data"]["api_key"].as_str().unwrap().to_string();
    let with_key = [("x-api-key", key.as_str())];
    let (status, body) = running.post(
        &with_key,
        r#"{"query":"mutation { createTodo(input: {name: \"milk\"}) { id } }"}"#,
    );
    assert_eq!(status, 200, "{body}");
    let id = body["data"]["createTodo"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    running.wait_for("function onTodo | stream INSERT aws:dynamodb milk False");
    let (_, body) = running.post(
        &with_key,
        &format!(r#"{{"query":"mutation {{ updateTodo(input: {{id: \"{id}\", name: \"bread\"}}) {{ id }} }}"}}"#),
    );
    assert!(body["errors"].is_null(), "{body}");
    running.wait_for("function onTodo | stream MODIFY aws:dynamodb bread True");
    let (_, body) = running.post(
        &with_key,
        &format!(r#"{{"query":"mutation {{ deleteTodo(input: {{id: \"{id}\"}}) {{ id }} }}"}}"#),
    );
    assert!(body["errors"].is_null(), "{body}");
    running.wait_for("function onTodo | stream REMOVE aws:dynamodb bread True");
    running.stop();
}

/// The user pool's pre sign-up trigger, from the `auth-trigger` template:
/// deployed, the pool's LambdaConfig names the function and Cognito (that
/// pool only) may invoke it; in the sandbox, a sign-up from a blocked domain
/// is refused with Cognito's UserLambdaValidationException and others go on;
/// a trigger that auto-confirms confirms without a code.
#[test]
fn the_pre_sign_up_trigger_decides_sign_ups_in_the_sandbox() {
    let sb = Sandbox::new();
    let app = sandbox_app(&sb);
    let run = |args: &[&str]| run_in(&sb, &app, args);
    run(&["add", "auth", "--yes", "-q"]);
    // the sandbox serves an api
    run(&["add", "api", "--template", "todo", "--yes", "-q"]);
    run(&[
        "add",
        "function",
        "gate",
        "--runtime",
        "python",
        "--template",
        "auth-trigger",
        "--yes",
        "-q",
    ]);
    let toml = std::fs::read_to_string(app.join("hoist.toml")).unwrap();
    assert!(toml.contains("triggers = [\"auth:pre-sign-up\"]"), "{toml}");
    // a trigger taking the pool's values would make the stacks wait for each other
    let out = sb
        .hoist_in(&app)
        .args(["update", "function", "gate", "--access", "auth:manage"])
        .output()
        .unwrap();
    let said = flat(&stderr_of(&out, &sb));
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("a user pool trigger cannot take the pool's values"),
        "{said}"
    );
    run(&["synth", "-q"]);
    let auth: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(app.join(".hoist/build/dev/auth-main.template.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        auth["Resources"]["UserPool"]["Properties"]["LambdaConfig"]["PreSignUp"],
        serde_json::json!({ "Ref": "PreSignUpFunction" })
    );
    let permission = &auth["Resources"]["PreSignUpPermission"]["Properties"];
    assert_eq!(permission["Principal"], "cognito-idp.amazonaws.com");
    assert_eq!(
        permission["SourceArn"],
        serde_json::json!({ "Fn::GetAtt": ["UserPool", "Arn"] })
    );
    let root: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(app.join(".hoist/build/dev/root.template.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        root["Resources"]["AuthMain"]["Properties"]["Parameters"]["PreSignUpFunction"],
        serde_json::json!({ "Fn::GetAtt": ["FunctionGate", "Outputs.Arn"] })
    );

    let running = common::running::Running::start(&sb, &app, &["--port", "0"]);
    let outputs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(app.join("amplify_outputs.json")).unwrap())
            .unwrap();
    let client_id = outputs["auth"]["user_pool_client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let sign_up = |email: &str| {
        running.request(
            "POST",
            "/",
            &[("x-amz-target", "AWSCognitoIdentityProviderService.SignUp")],
            &serde_json::json!({"ClientId": client_id, "Username": email, "Password": "Secret-123!",
                "UserAttributes": [{"Name": "email", "Value": email}]})
            .to_string(),
        )
    };
    let (status, body) = sign_up("ada@example.com");
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["__type"], "UserLambdaValidationException", "{body}");
    assert_eq!(
        body["message"],
        "PreSignUp failed with error sign-ups from example.com are not accepted."
    );
    let (status, body) = sign_up("ada@lovelace.dev");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["UserConfirmed"], false);

    // an answer that is not the event: Cognito cannot read it
    std::fs::write(
        app.join("hoist/function/gate/index.py"),
        "def handler(event, context):\n    return None\n",
    )
    .unwrap();
    let (status, body) = sign_up("alan@turing.dev");
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["__type"], "InvalidLambdaResponseException", "{body}");

    // a trigger that confirms: no code, confirmed at once
    std::fs::write(
        app.join("hoist/function/gate/index.py"),
        "def handler(event, context):\n    event['response']['autoConfirmUser'] = True\n    event['response']['autoVerifyEmail'] = True\n    return event\n",
    )
    .unwrap();
    let (status, body) = sign_up("grace@hopper.dev");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["UserConfirmed"], true, "{body}");
    running.stop();
}

/// Without cargo-lambda or a musl target, building a Rust function for
/// Lambda says what is missing and how to get it.
#[test]
fn a_rust_package_without_its_toolchain_says_what_to_install() {
    let sb = project();
    hoist(
        &sb,
        &[
            "add",
            "function",
            "charge",
            "--runtime",
            "rust",
            "--yes",
            "-q",
        ],
    )
    .success();
    assert!(
        sb.read("shop/hoist.toml")
            .contains("runtime = \"provided.al2023\"")
    );
    let empty = tempfile::tempdir().unwrap();
    let out = sb
        .hoist_in(&sb.join("shop"))
        .env("PATH", empty.path())
        .args(["function", "build", "charge"])
        .output()
        .unwrap();
    let said = flat(&stderr_of(&out, &sb));
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("needs cargo-lambda or the Rust target `aarch64-unknown-linux-musl`"),
        "{said}"
    );
    assert!(said.contains("pip install cargo-lambda"), "{said}");
}

/// Storage triggers and schedules in the sandbox: a file created under the
/// trigger's key pattern reaches its function as EventBridge delivers S3's
/// events (others do not), a deleted file reaches the deletion trigger, and
/// `hoist sandbox trigger` runs a scheduled function now through the
/// sandbox's Lambda Invoke API, which refuses unsigned callers.
#[test]
fn storage_events_and_schedules_reach_their_functions_in_the_sandbox() {
    let sb = Sandbox::new();
    let app = sandbox_app(&sb);
    let run = |args: &[&str]| run_in(&sb, &app, args);
    run(&["add", "auth", "--yes", "-q"]);
    run(&["add", "api", "--template", "todo", "--yes", "-q"]);
    run(&["add", "storage", "--yes", "-q"]);
    run(&[
        "add",
        "function",
        "thumbs",
        "--runtime",
        "python",
        "--template",
        "storage-trigger",
        "--trigger",
        "storage:created:public/*.txt",
        "--remove-trigger",
        "storage:created",
        "--yes",
        "-q",
    ]);
    run(&[
        "add",
        "function",
        "sweep",
        "--runtime",
        "python",
        "--template",
        "storage-trigger",
        "--trigger",
        "storage:deleted",
        "--remove-trigger",
        "storage:created",
        "--yes",
        "-q",
    ]);
    run(&[
        "add",
        "function",
        "nightly",
        "--runtime",
        "python",
        "--template",
        "scheduled",
        "--yes",
        "-q",
    ]);
    // a function that reads what was stored, with the grant to read only
    run(&[
        "add",
        "function",
        "reader",
        "--runtime",
        "python",
        "--template",
        "storage-trigger",
        "--trigger",
        "storage:created:public/notes/*",
        "--remove-trigger",
        "storage:created",
        "--access",
        "storage:read",
        "--yes",
        "-q",
    ]);
    std::fs::write(
        app.join("hoist/function/reader/requirements.txt"),
        "boto3\n",
    )
    .unwrap();
    std::fs::write(
        app.join("hoist/function/reader/index.py"),
        r#"import os
import boto3

s3 = boto3.client("s3")


def handler(event, context):
    bucket = event["detail"]["bucket"]["name"]
    key = event["detail"]["object"]["key"]
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    try:
        s3.put_object(Bucket=bucket, Key="notes-copy/" + key, Body=body.encode())
        wrote = "written"
    except s3.exceptions.ClientError as e:
        wrote = e.response["Error"]["Code"]
    same = os.environ["STORAGE_FILES_BUCKETNAME"] == bucket
    print(f"read {key}: {body}; its bucket variable: {same}; a write: {wrote}")
    return {"key": key}
"#,
    )
    .unwrap();
    let manifest = std::fs::read_to_string(app.join("hoist.toml")).unwrap();
    assert!(manifest.contains("schedule:rate(1 hour)"), "{manifest}");
    let running = common::running::Running::start(
        &sb,
        &app,
        &["--port", "0", "--storage-port", "0", "--no-watch"],
    );
    let line = running.wait_for("Storage endpoint: ");
    let endpoint = line
        .split("Storage endpoint: ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    let outputs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(app.join("amplify_outputs.json")).unwrap())
            .unwrap();
    let bucket = outputs["storage"]["bucket_name"]
        .as_str()
        .unwrap()
        .to_string();
    let out = sb
        .hoist_in(&app)
        .args(["sandbox", "credentials", "--json", "--user", "ada"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out, &sb));
    let creds: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s3 = common::callers::s3_client(&endpoint, &creds);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        for key in ["public/skip.jpg", "public/a b.txt"] {
            s3.put_object()
                .bucket(&bucket)
                .key(key)
                .body(aws_sdk_s3::primitives::ByteStream::from_static(b"hello"))
                .send()
                .await
                .unwrap();
        }
    });
    // events reach the functions in order: a line for skip.jpg would come first
    let created = running.wait_for("Object Created: s3://");
    assert!(
        created.contains(&format!(
            "function thumbs | Object Created: s3://{bucket}/public/a b.txt (5 bytes)"
        )),
        "{created}"
    );
    // the reader reads the file with its role's credentials, as deployed; its
    // role may not write
    rt.block_on(async {
        s3.put_object()
            .bucket(&bucket)
            .key("public/notes/hello.md")
            .body(aws_sdk_s3::primitives::ByteStream::from_static(b"hello"))
            .send()
            .await
            .unwrap();
    });
    let read = running.wait_for("function reader | read ");
    assert!(
        read.contains(
            "read public/notes/hello.md: hello; its bucket variable: True; a write: AccessDenied"
        ),
        "{read}"
    );
    rt.block_on(async {
        s3.delete_object()
            .bucket(&bucket)
            .key("public/a b.txt")
            .send()
            .await
            .unwrap();
    });
    let deleted = running.wait_for("Object Deleted: s3://");
    assert!(
        deleted.contains(&format!(
            "function sweep | Object Deleted: s3://{bucket}/public/a b.txt (- bytes)"
        )),
        "{deleted}"
    );

    // a schedule, now: the scheduled event through the Lambda Invoke API
    let out = sb
        .hoist_in(&app)
        .args(["sandbox", "trigger", "nightly"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out, &sb));
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        answer["rule"]
            .as_str()
            .unwrap()
            .ends_with(":rule/nightly-dev-schedule"),
        "{answer}"
    );
    running.wait_for("function nightly | scheduled run at ");
    // a function without a schedule needs its event; with it, it runs
    let out = sb
        .hoist_in(&app)
        .args(["sandbox", "trigger", "thumbs"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        flat(&stderr_of(&out, &sb)).contains("`thumbs` has no schedule"),
        "{}",
        stderr_of(&out, &sb)
    );
    let out = sb
        .hoist_in(&app)
        .args([
            "sandbox",
            "trigger",
            "thumbs",
            "--event",
            r#"{"detail-type":"Object Created","detail":{"bucket":{"name":"b"},"object":{"key":"k"}}}"#,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out, &sb));
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["key"], "k");
    // the function's own error fails the command with its type and message
    let out = sb
        .hoist_in(&app)
        .args(["sandbox", "trigger", "thumbs", "--event", "{}"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        flat(&stderr_of(&out, &sb)).contains("`thumbs` failed: KeyError"),
        "{}",
        stderr_of(&out, &sb)
    );
    // unsigned, or signed by a user rather than the administrator: refused
    let (status, body) = running.request(
        "POST",
        "/2015-03-31/functions/nightly-dev/invocations",
        &[],
        "{}",
    );
    assert_eq!(status, 403, "{body}");
    running.stop();
}

/// The api's Lambda authorizer as a project function: deployed, AppSync
/// names the function's ARN and may invoke it for this API only, and the
/// api's stack waits for the function's; in the sandbox, the function's
/// answer decides (its denied fields are refused, a refusal or a failure is
/// a 401).
#[test]
fn a_project_function_is_the_apis_lambda_authorizer() {
    let sb = Sandbox::new();
    let app = sandbox_app(&sb);
    let run = |args: &[&str]| run_in(&sb, &app, args);
    run(&[
        "add",
        "function",
        "gate",
        "--runtime",
        "python",
        "--yes",
        "-q",
    ]);
    std::fs::write(
        app.join("hoist/function/gate/index.py"),
        "def handler(event, context):\n    token = event['authorizationToken']\n    if token == 'fail':\n        raise ValueError('broken')\n    print('asked about', event['requestContext']['operationName'])\n    return {'isAuthorized': token == 'letmein', 'resolverContext': {'tenant': 'acme'}, 'deniedFields': ['Mutation.deleteTodo']}\n",
    )
    .unwrap();
    // the authorizer must be a function of the project
    let out = sb
        .hoist_in(&app)
        .args([
            "add",
            "api",
            "--template",
            "todo",
            "--lambda-authorizer",
            "nobody",
            "--yes",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        flat(&stderr_of(&out, &sb)).contains("no function `nobody`"),
        "{}",
        stderr_of(&out, &sb)
    );
    run(&[
        "add",
        "api",
        "--template",
        "todo",
        "--lambda-authorizer",
        "gate",
        "--yes",
        "-q",
    ]);
    std::fs::write(
        app.join("hoist/api/main/schema.graphql"),
        "type Todo @model @auth(rules: [{ allow: public }, { allow: custom }]) { id: ID! name: String }\n",
    )
    .unwrap();
    let manifest = std::fs::read_to_string(app.join("hoist.toml")).unwrap();
    assert!(
        manifest.contains("lambda_authorizer = \"gate\""),
        "{manifest}"
    );
    assert!(manifest.contains("\"lambda\""), "{manifest}");
    run(&["synth", "-q"]);
    let api: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(app.join(".hoist/build/dev/api-main.template.json")).unwrap(),
    )
    .unwrap();
    let providers =
        &api["Resources"]["GraphQLApi"]["Properties"]["AdditionalAuthenticationProviders"];
    let lambda = providers
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["AuthenticationType"] == "AWS_LAMBDA")
        .unwrap();
    assert_eq!(
        lambda["LambdaAuthorizerConfig"]["AuthorizerUri"]["Fn::Sub"],
        "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:gate-${Env}"
    );
    let permission = &api["Resources"]["AuthorizerPermission"]["Properties"];
    assert_eq!(permission["Principal"], "appsync.amazonaws.com");
    assert_eq!(
        permission["SourceArn"],
        serde_json::json!({ "Fn::GetAtt": ["GraphQLApi", "Arn"] })
    );
    let root: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(app.join(".hoist/build/dev/root.template.json")).unwrap(),
    )
    .unwrap();
    assert!(
        root["Resources"]["ApiMain"]["DependsOn"]
            .to_string()
            .contains("FunctionGate"),
        "{}",
        root["Resources"]["ApiMain"]
    );

    let running = common::running::Running::start(&sb, &app, &["--port", "0"]);
    let create = r#"{"query":"mutation Add { createTodo(input: {name: \"milk\"}) { id name } }","operationName":"Add"}"#;
    let (status, body) = running.post(&[("authorization", "letmein")], create);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["createTodo"]["name"], "milk", "{body}");
    running.wait_for("function gate | asked about Add");
    let id = body["data"]["createTodo"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // a field the authorizer denied
    let (_, body) = running.post(
        &[("authorization", "letmein")],
        &format!(r#"{{"query":"mutation {{ deleteTodo(input: {{id: \"{id}\"}}) {{ id }} }}"}}"#),
    );
    assert_eq!(
        body["data"]["deleteTodo"],
        serde_json::Value::Null,
        "{body}"
    );
    assert_eq!(body["errors"][0]["errorType"], "Unauthorized", "{body}");
    // refused, or failed: the request is unauthorized
    let (status, body) = running.post(&[("authorization", "nope")], create);
    assert_eq!(status, 401, "{body}");
    assert!(body.to_string().contains("refused the token"), "{body}");
    let (status, body) = running.post(&[("authorization", "fail")], create);
    assert_eq!(status, 401, "{body}");
    // the function's error stays in the sandbox's output, never in the answer
    assert!(!body.to_string().contains("broken"), "{body}");
    running.wait_for("the Lambda authorizer failed: ValueError: broken");
    running.stop();
}
