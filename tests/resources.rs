//! `hoist add | update | remove` and `hoist synth`: behaviour and bad input.

mod common;

use common::{Sandbox, flat, stderr_of};
use predicates::prelude::*;

fn project(sb: &Sandbox) -> std::path::PathBuf {
    sb.hoist()
        .args(["init", "shop", "--frontend", "react", "--yes", "-q"])
        .assert()
        .success();
    sb.join("shop")
}

#[test]
fn storage_needs_auth_headless() {
    let sb = Sandbox::new();
    let root = project(&sb);
    let output = sb
        .hoist_in(&root)
        .args(["add", "storage", "--yes"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(stderr_of(&output, &sb));
    assert!(!sb.read("shop/hoist.toml").contains("[storage"));
}

#[test]
fn add_update_remove_round_trip() {
    let sb = Sandbox::new();
    let root = project(&sb);
    let hoist = |args: &[&str]| sb.hoist_in(&root).args(args).assert();
    hoist(&["add", "auth", "--yes"])
        .success()
        .stderr(predicate::str::contains("Added auth `main`"));
    hoist(&["add", "auth", "--yes"])
        .code(1)
        .stderr(predicate::str::contains("already has auth `main`"));
    hoist(&["add", "storage", "--yes"])
        .success()
        .stderr(predicate::str::contains("uploadData"));
    hoist(&["add", "storage", "files", "--yes"])
        .code(1)
        .stderr(predicate::str::contains("already has storage `files`"));

    // a comment survives an update
    let text = sb
        .read("shop/hoist.toml")
        .replace("mfa = \"off\"", "mfa = \"off\" # decided in review");
    std::fs::write(root.join("hoist.toml"), text).unwrap();
    hoist(&[
        "update",
        "auth",
        "main",
        "--mfa",
        "optional",
        "--mfa-methods",
        "totp",
    ])
    .success();
    let text = sb.read("shop/hoist.toml");
    assert!(
        text.contains("mfa = \"optional\" # decided in review"),
        "{text}"
    );
    assert!(text.contains("mfa_methods = [\"totp\"]"), "{text}");

    hoist(&["update", "auth", "nope", "--guest"])
        .code(1)
        .stderr(predicate::str::contains("there is no auth `nope`"));
    hoist(&["remove", "auth", "main", "--yes"])
        .code(1)
        .stderr(predicate::str::contains("it is needed by storage `files`"));
    // without a terminal, removing asks for --yes
    hoist(&["remove", "storage", "files"])
        .code(1)
        .stderr(predicate::str::contains("pass `--yes`"));
    hoist(&["remove", "storage", "files", "--yes"]).success();
    hoist(&["remove", "auth", "main", "--yes"]).success();
    let text = sb.read("shop/hoist.toml");
    assert!(
        !text.contains("[auth") && !text.contains("[storage"),
        "{text}"
    );
}

/// `update` and `remove` take the name as `add` does: after the category, and
/// optional while the project has one resource of that category.
#[test]
fn update_and_remove_take_the_name_as_add_does() {
    let sb = Sandbox::new();
    let root = project(&sb);
    let hoist = |args: &[&str]| sb.hoist_in(&root).args(args).assert();
    hoist(&["remove", "storage", "--yes"])
        .code(1)
        .stderr(predicate::str::contains(
            "this project has no storage resource",
        ))
        .stderr(predicate::str::contains("hoist add storage"));
    hoist(&["add", "auth", "--yes"]).success();
    hoist(&["add", "api", "--yes"]).success();
    hoist(&["add", "api", "shop", "--yes"]).success();
    hoist(&["update", "auth", "--password-min-length", "12"]).success();
    assert!(sb.read("shop/hoist.toml").contains("min_length = 12"));
    let before = sb.read("shop/hoist.toml");
    hoist(&["update", "api", "--api-key-days", "30"])
        .code(1)
        .stderr(predicate::str::contains(
            "this project has several api resources: `main`, `shop`",
        ))
        .stderr(predicate::str::contains("`hoist update api NAME`"));
    hoist(&["remove", "api", "--yes"])
        .code(1)
        .stderr(predicate::str::contains("`hoist remove api NAME`"));
    assert_eq!(sb.read("shop/hoist.toml"), before, "nothing was written");
    hoist(&["remove", "api", "shop", "--yes"]).success();
    hoist(&["remove", "api", "--yes"])
        .success()
        .stderr(predicate::str::contains("Removed api `main`"));
    assert!(!sb.read("shop/hoist.toml").contains("[api"));
}

#[test]
fn bad_flags_are_refused_and_nothing_is_written() {
    let sb = Sandbox::new();
    let root = project(&sb);
    let before = sb.read("shop/hoist.toml");
    for (args, expected) in [
        (
            vec!["add", "auth", "Main", "--yes"],
            "invalid resource name `Main`",
        ),
        (
            vec![
                "add", "auth", "--yes", "--group", "Admins", "--group", "admins",
            ],
            "the group `admins` is named twice",
        ),
        (
            vec!["add", "auth", "--yes", "--group", "9lives"],
            "`9lives` is not a valid group name",
        ),
        (
            vec!["add", "auth", "--yes", "--password-min-length", "4"],
            "not a whole number from 6 to 99",
        ),
        (
            vec![
                "add",
                "auth",
                "--yes",
                "--google-client-id",
                "x",
                "--google-client-secret",
                "hunter2",
            ],
            "is not a secret source",
        ),
        (
            vec!["add", "auth", "--yes", "--google-client-id", "x"],
            "pass `--google-client-secret`",
        ),
        (
            vec!["add", "auth", "--yes", "--password-min-length", "100"],
            "from 6 to 99",
        ),
        (
            vec![
                "add",
                "auth",
                "--yes",
                "--domain-prefix",
                "my-aws-login",
                "--callback-url",
                "http://localhost:5173/",
            ],
            "not a valid domain prefix",
        ),
        (
            vec![
                "add",
                "auth",
                "--yes",
                "--domain-prefix",
                "shop",
                "--callback-url",
                "http://example.com/",
            ],
            "not an allowed redirect URL",
        ),
        // the api's OIDC and Lambda modes, each setting a flag
        (
            vec!["add", "api", "--yes", "--auth", "oidc"],
            "pass `--oidc-issuer URL`",
        ),
        (
            vec![
                "add",
                "api",
                "--yes",
                "--oidc-issuer",
                "http://issuer.example.com",
            ],
            "`http://issuer.example.com` is not an https URL",
        ),
        (
            vec![
                "add",
                "api",
                "--yes",
                "--oidc-issuer",
                "https://issuer.example.com",
            ],
            "pass `--oidc-client-id ID`",
        ),
        (
            vec![
                "add",
                "api",
                "--yes",
                "--lambda-authorizer-arn",
                "tenant-gate",
            ],
            "`tenant-gate` is not a Lambda function's ARN",
        ),
        (
            vec![
                "add",
                "api",
                "--yes",
                "--lambda-authorizer-arn",
                "arn:aws:lambda:us-east-1:123456789012:function:gate",
                "--lambda-authorizer-ttl",
                "7200",
            ],
            "not a whole number from 0 to 3600",
        ),
        (
            vec!["add", "api", "--yes", "--auth", "lambda"],
            "pass `--lambda-authorizer FUNCTION`",
        ),
    ] {
        let output = sb.hoist_in(&root).args(&args).output().unwrap();
        let stderr = flat(&stderr_of(&output, &sb));
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(stderr.contains("help:"), "{args:?}: {stderr}");
        assert_eq!(
            sb.read("shop/hoist.toml"),
            before,
            "{args:?} wrote hoist.toml"
        );
    }
    // usage errors from clap: an unknown provider flag or value
    sb.hoist_in(&root)
        .args(["add", "auth", "--twitter-client-id", "x"])
        .assert()
        .code(2);
    sb.hoist_in(&root)
        .args(["add", "auth", "--sign-in", "fingerprint"])
        .assert()
        .code(2);
}

#[test]
fn an_edited_hoist_toml_is_checked_with_its_location() {
    let sb = Sandbox::new();
    let root = project(&sb);
    sb.hoist_in(&root)
        .args(["add", "auth", "--yes", "--group", "Admins"])
        .assert()
        .success();
    let good = sb.read("shop/hoist.toml");

    for (from, to) in [
        ("sign_in = \"email\"", "sign_in = \"fingerprint\""),
        (
            "name = \"Admins\"",
            "name = \"Admins\"\nprecedence = 3\n\n[[auth.main.groups]]\nname = \"Admins\"",
        ),
        (
            "mfa = \"off\"",
            "mfa = \"off\"\n\n[auth.main.social.twitter]\nclient_id = \"x\"",
        ),
        ("mfa = \"off\"", "mfa = \"required\""),
        ("min_length = 8", "min_length = 5"),
    ] {
        std::fs::write(root.join("hoist.toml"), good.replacen(from, to, 1)).unwrap();
        let output = sb.hoist_in(&root).args(["synth"]).output().unwrap();
        assert_eq!(output.status.code(), Some(1));
        insta::assert_snapshot!(stderr_of(&output, &sb));
    }
}

#[test]
fn social_sign_in_gets_a_hosted_ui_with_defaults() {
    let sb = Sandbox::new();
    let root = project(&sb);
    sb.hoist_in(&root)
        .args([
            "add",
            "auth",
            "--yes",
            "--google-client-id",
            "g-1",
            "--google-client-secret",
            "env:GOOGLE_SECRET",
        ])
        .assert()
        .success();
    let text = sb.read("shop/hoist.toml");
    assert!(text.contains("[auth.main.social.google]\nclient_id = \"g-1\"\nclient_secret = { env = \"GOOGLE_SECRET\" }"), "{text}");
    assert!(
        text.contains(
            "domain_prefix = \"shop-login\"\ncallback_urls = [\"http://localhost:5173/\"]"
        ),
        "{text}"
    );
    assert!(!text.contains("hunter"), "no secret value is ever written");
}

#[test]
fn scripted_answers_drive_every_question() {
    let sb = Sandbox::new();
    let root = project(&sb);
    sb.write(
        "answers.toml",
        r#"name = "main"
sign-in = "username"
required-attributes = "email,name"
self-sign-up = "false"
account-recovery = "email"
password-min-length = "10"
password-require = "lowercase,uppercase,digits"
mfa = "optional"
mfa-methods = "totp"
guest = "true"
group = "Admins:0,Staff:2"
social = "apple"
apple-client-id = "com.example.shop"
apple-private-key = "ssm:/shop/apple"
apple-team-id = "T1"
apple-key-id = "K1"
oidc = ""
domain-prefix = "shop-id"
callback-url = "https://shop.example.com/"
sign-out-url = "https://shop.example.com/"
"#,
    );
    sb.hoist_in(&root)
        .args(["add", "auth", "--answers", "../answers.toml"])
        .assert()
        .success();
    insta::assert_snapshot!(sb.read("shop/hoist.toml"));
}

#[test]
fn overrides_are_applied_or_refused_precisely() {
    let sb = Sandbox::new();
    let root = project(&sb);
    sb.hoist_in(&root)
        .args(["add", "auth", "--yes", "-q"])
        .assert()
        .success();
    let dir = root.join("hoist/auth/main");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("override.json"),
        r#"[{"op": "replace", "path": "/Resources/UserPool/Properties/Policies/PasswordPolicy/MinimumLength", "value": 14},
            {"op": "add", "path": "/Resources/UserPool/Properties/DeletionProtection", "value": "ACTIVE"}]"#,
    )
    .unwrap();
    sb.hoist_in(&root).args(["synth", "-q"]).assert().success();
    let template: serde_json::Value =
        serde_json::from_str(&sb.read("shop/.hoist/build/dev/auth-main.template.json")).unwrap();
    let pool = &template["Resources"]["UserPool"]["Properties"];
    assert_eq!(pool["Policies"]["PasswordPolicy"]["MinimumLength"], 14);
    assert_eq!(pool["DeletionProtection"], "ACTIVE");

    std::fs::write(
        dir.join("override.json"),
        r#"[{"op": "add", "path": "/Resources/UserPool/Properties/DeletionProtection", "value": "ACTIVE"},
            {"op": "remove", "path": "/Resources/NoSuchThing"}]"#,
    )
    .unwrap();
    let output = sb.hoist_in(&root).args(["synth"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(stderr_of(&output, &sb));
    // the previous build is left as it was
    assert!(
        sb.read("shop/.hoist/build/dev/auth-main.template.json")
            .contains("\"MinimumLength\": 14")
    );

    std::fs::write(
        dir.join("override.json"),
        "[{\"op\": \"add\",\n  \"path\": }]",
    )
    .unwrap();
    let output = sb.hoist_in(&root).args(["synth"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(stderr_of(&output, &sb));
}

#[test]
fn synth_picks_the_environment() {
    let sb = Sandbox::new();
    let root = project(&sb);
    let mut text = sb.read("shop/hoist.toml");
    text.push_str("\n[env.prod]\nregion = \"eu-west-1\"\n");
    std::fs::write(root.join("hoist.toml"), text).unwrap();
    // .hoist/current-env says dev
    sb.hoist_in(&root.join("src"))
        .args(["synth"])
        .assert()
        .success()
        .stderr(predicate::str::contains("hoist-shop-dev"));
    sb.hoist_in(&root)
        .args(["synth", "--env", "prod"])
        .assert()
        .success()
        .stderr(predicate::str::contains("eu-west-1"));
    sb.hoist_in(&root)
        .args(["synth", "--env", "qa"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("there is no environment `qa`"));
    std::fs::remove_file(root.join(".hoist/current-env")).unwrap();
    sb.hoist_in(&root)
        .args(["synth"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("pass `--env NAME`"));
    // outside a project
    sb.hoist()
        .args(["synth"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("run `hoist init`"));
}

/// Issue 16: with auth in the project, a new api is closed to strangers by
/// default (the user pool, each user's own items), and says so; the
/// owner-auth template without the user pool is refused with the flag to add.
#[test]
fn api_add_defaults_to_each_users_own_items_where_users_sign_in() {
    let sb = Sandbox::new();
    let root = project(&sb);
    let before = sb.read("shop/hoist.toml");
    let output = sb
        .hoist_in(&root)
        .args(["add", "api", "--yes", "--template", "owner-auth"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let said = stderr_of(&output, &sb);
    assert!(said.contains("needs user pool authorization"), "{said}");
    assert!(said.contains("--auth user-pools"), "{said}");
    assert_eq!(sb.read("shop/hoist.toml"), before, "nothing written");

    sb.hoist_in(&root)
        .args(["add", "auth", "--yes", "-q"])
        .assert()
        .success();
    let output = sb
        .hoist_in(&root)
        .args(["add", "api", "--yes"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output, &sb));
    let said = stderr_of(&output, &sb);
    assert!(said.contains("`--auth user-pools`"), "{said}");
    assert!(said.contains("owner-auth"), "{said}");
    let manifest = sb.read("shop/hoist.toml");
    assert!(
        manifest.contains("[api.main]\nauth = \"user-pools\"") && !manifest.contains("api-key"),
        "{manifest}"
    );
    let schema = sb.read("shop/hoist/api/main/schema.graphql");
    assert!(
        schema.contains("@auth(rules: [{ allow: owner }])"),
        "{schema}"
    );
}

#[test]
fn api_add_checks_its_schema_and_auth_before_writing() {
    let sb = Sandbox::new();
    let root = project(&sb);
    let before = sb.read("shop/hoist.toml");
    let output = sb
        .hoist_in(&root)
        .args(["add", "api", "--yes", "--auth", "user-pools"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr_of(&output, &sb).contains("run `hoist add auth` first"));

    sb.write(
        "bad.graphql",
        "type Post @model @key(fields: [\"id\"]) {\n  id: ID!\n  author: Person\n}\n",
    );
    let output = sb
        .hoist_in(&root)
        .args(["add", "api", "--yes", "--schema", "../bad.graphql"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(stderr_of(&output, &sb));
    assert_eq!(sb.read("shop/hoist.toml"), before);
    assert!(!root.join("hoist/api").exists(), "nothing half-written");

    sb.hoist_in(&root)
        .args(["add", "auth", "--yes", "-q"])
        .assert()
        .success();
    sb.hoist_in(&root)
        .args([
            "add",
            "api",
            "--yes",
            "--auth",
            "user-pools",
            "--additional-auth",
            "api-key",
            "-q",
        ])
        .assert()
        .success();
    assert!(
        sb.read("shop/hoist/api/main/schema.graphql")
            .contains("type Todo @model")
    );
    assert!(sb.read("shop/hoist.toml").contains(
        "[api.main]\nauth = \"user-pools\"\nadditional_auth = [\"api-key\"]\napi_key_days = 7"
    ));
    sb.hoist_in(&root)
        .args(["remove", "auth", "main", "--yes"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("it is needed by api `main`"));

    // a schema file that is gone is named, with the way back
    let schema = root.join("hoist/api/main/schema.graphql");
    let kept = std::fs::read_to_string(&schema).unwrap();
    std::fs::remove_file(&schema).unwrap();
    sb.hoist_in(&root)
        .args(["synth"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("the api `main` has no schema"));
    std::fs::write(&schema, kept).unwrap();

    // a schema edited into an error stops synth with the error at its place
    std::fs::write(
        root.join("hoist/api/main/schema.graphql"),
        "type Todo @model {\n  id: ID!\n  due: Date\n}\n",
    )
    .unwrap();
    let output = sb.hoist_in(&root).args(["synth"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr_of(&output, &sb);
    assert!(
        stderr.contains("cannot find type `Date`") && stderr.contains("schema.graphql:3:8"),
        "{stderr}"
    );

    // user-written resolvers replace generated ones
    std::fs::write(
        root.join("hoist/api/main/schema.graphql"),
        "type Todo @model {\n  id: ID!\n}\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("hoist/api/main/resolvers")).unwrap();
    std::fs::write(root.join("hoist/api/main/resolvers/Query.getTodo.js"), "// mine\nexport function request(ctx) { return {}; }\nexport function response(ctx) { return ctx.result; }\n").unwrap();
    sb.hoist_in(&root)
        .args(["synth", "--resolvers", "-q"])
        .assert()
        .success();
    assert!(
        sb.read("shop/.hoist/build/dev/api-main/resolvers/Query.getTodo.js")
            .starts_with("// mine")
    );
    assert!(
        sb.read("shop/.hoist/build/dev/api-main/model-Todo.template.json")
            .contains("// mine")
    );
}

#[test]
fn status_and_outputs_before_any_deploy() {
    let sb = Sandbox::new();
    let root = project(&sb);
    sb.hoist_in(&root)
        .args(["add", "auth", "--yes", "-q"])
        .assert()
        .success();
    let output = sb
        .hoist_in(&root)
        .args(["status", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["deployed"], false);
    assert_eq!(json["resources"][0]["change"], "Create");
    assert!(stderr_of(&output, &sb).contains("never deployed from this checkout"));
    sb.hoist_in(&root)
        .args(["outputs"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "has not been deployed from this checkout",
        ))
        .stderr(predicate::str::contains("hoist env pull dev"));
    sb.hoist_in(&root)
        .args(["env", "checkout", "nope"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("there is no environment `nope`"));
    sb.hoist_in(&root)
        .args(["env", "add", "Prod"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("invalid environment name `Prod`"));
    sb.hoist_in(&root)
        .args(["env", "add", "prod", "--region", "eu-west-1", "-q"])
        .assert()
        .success();
    sb.hoist_in(&root)
        .args(["env", "add", "prod"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("already exists"));
    let list = sb
        .hoist_in(&root)
        .args(["env", "list", "--offline", "--json"])
        .output()
        .unwrap();
    let envs: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(envs[1]["name"], "prod");
    assert_eq!(envs[1]["region"], "eu-west-1");
    assert_eq!(envs[0]["current"], true);
}

/// `hoist add` never touches the app's code: it prints how to use the new
/// category from the project's framework.
#[test]
fn add_prints_a_snippet_for_the_framework_and_leaves_code_alone() {
    for (frontend, auth_package) in [
        ("react", "@aws-amplify/ui-react"),
        ("vue", "@aws-amplify/ui-vue"),
        ("react-native", "@aws-amplify/ui-react-native"),
    ] {
        let sb = Sandbox::new();
        sb.hoist()
            .args(["init", ".", "--frontend", frontend, "--yes"])
            .assert()
            .success();
        let before: Vec<(String, Vec<u8>)> = sb
            .files("src")
            .into_iter()
            .map(|f| {
                let bytes = std::fs::read(sb.join("src").join(&f)).unwrap();
                (f, bytes)
            })
            .collect();
        let package = sb.read("package.json");
        let mut said = String::new();
        for args in [
            &["add", "auth", "--yes"][..],
            &["add", "storage", "--yes"][..],
            &["add", "api", "--yes"][..],
        ] {
            let out = sb.hoist().args(args).output().unwrap();
            assert!(out.status.success(), "{}", stderr_of(&out, &sb));
            said.push_str(&String::from_utf8_lossy(&out.stderr));
        }
        assert!(
            said.contains(&format!("npm install {auth_package}")),
            "{frontend}: {said}"
        );
        assert!(said.contains("Authenticator"), "{said}");
        assert!(
            said.contains("import { listTodos } from './graphql/queries';"),
            "{said}"
        );
        assert!(said.contains("hoist codegen"), "{said}");
        assert!(said.contains("uploadData"), "{said}");
        for (f, bytes) in &before {
            assert_eq!(
                &std::fs::read(sb.join("src").join(f)).unwrap(),
                bytes,
                "{frontend}: `hoist add` changed src/{f}"
            );
        }
        assert_eq!(sb.read("package.json"), package);
    }
}

/// An answer the rest of the project rules out is refused when it is given,
/// naming its flag, before anything is written: guests given access to
/// files while auth has guest access off. A region the AWS SDK does not know
/// is refused at `env add`, and an unknown-region answer at init.
#[test]
fn answers_are_checked_against_the_project_when_given() {
    let sb = Sandbox::new();
    let root = project(&sb);
    let hoist = |args: &[&str]| sb.hoist_in(&root).args(args).assert();
    // without auth, refused before auth is offered
    let bare = sb.read("shop/hoist.toml");
    hoist(&["add", "storage", "--guest-access", "read"])
        .code(1)
        .stderr(predicate::str::contains("the project has no auth yet"))
        .stderr(predicate::str::contains("hoist add auth --guest"));
    assert_eq!(sb.read("shop/hoist.toml"), bare);
    hoist(&["add", "auth", "--yes"]).success();
    let before = sb.read("shop/hoist.toml");
    hoist(&["add", "storage", "--yes", "--guest-access", "read"])
        .code(1)
        .stderr(predicate::str::contains(
            "invalid value for `--guest-access`",
        ))
        .stderr(predicate::str::contains("auth `main` has guest access off"))
        .stderr(predicate::str::contains("hoist update auth main --guest"))
        .stderr(predicate::str::contains("hoist.toml").not());
    assert_eq!(sb.read("shop/hoist.toml"), before, "nothing was written");
    // no guest access asked for: storage is added as usual
    hoist(&["add", "storage", "--yes"]).success();

    hoist(&["env", "add", "prod", "--region", "eu-west-9"])
        .code(1)
        .stderr(predicate::str::contains("`eu-west-9`"))
        .stderr(predicate::str::contains("AWS_REGION"));
    sb.hoist()
        .args([
            "init",
            "other",
            "--frontend",
            "none",
            "--region",
            "us-east-7",
            "--yes",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("`us-east-7`"));
    // a region the SDK does not know, written in hoist.toml, is refused at its line
    let text = sb.read("shop/hoist.toml");
    let region = text
        .lines()
        .find(|l| l.trim_start().starts_with("region = "))
        .unwrap()
        .to_string();
    std::fs::write(
        root.join("hoist.toml"),
        text.replace(&region, "region = \"me-west-1\""),
    )
    .unwrap();
    hoist(&["status"])
        .code(1)
        .stderr(predicate::str::contains(
            "not one of the regions of the AWS SDK",
        ))
        .stderr(predicate::str::contains("hoist.toml:"));
    std::fs::write(root.join("hoist.toml"), &text).unwrap();
    // a positional name is not sent to a `--name` flag that does not exist
    hoist(&["add", "api"])
        .code(1)
        .stderr(predicate::str::contains("give the name after the category"));
}

/// Errors open with plain words; their codes (for bug reports) only with `-v`.
#[test]
fn error_codes_only_with_verbose() {
    let sb = Sandbox::new();
    let root = project(&sb);
    let plain = sb
        .hoist_in(&root)
        .args(["add", "storage", "--yes"])
        .output()
        .unwrap();
    let verbose = sb
        .hoist_in(&root)
        .args(["add", "storage", "--yes", "-v"])
        .output()
        .unwrap();
    assert_eq!(plain.status.code(), Some(1));
    let plain = String::from_utf8_lossy(&plain.stderr);
    let verbose = String::from_utf8_lossy(&verbose.stderr);
    assert!(!plain.contains("hoist::"), "{plain}");
    assert!(verbose.contains("hoist::"), "{verbose}");
    assert!(plain.contains("storage needs auth") && verbose.contains("storage needs auth"));
}

/// An api's OIDC and Lambda settings go with their modes: `hoist update api`
/// that leaves a mode leaves its settings too (hoist.toml stays valid), and
/// any of a mode's settings given as a flag brings the mode back, asking for
/// what it cannot do without.
#[test]
fn api_mode_settings_come_and_go_with_their_modes() {
    let sb = Sandbox::new();
    let root = project(&sb);
    let hoist = |args: &[&str]| sb.hoist_in(&root).args(args).output().unwrap();
    let out = hoist(&[
        "add",
        "api",
        "--yes",
        "-q",
        "--auth",
        "api-key",
        "--oidc-issuer",
        "https://id.example.com/",
        "--oidc-client-id",
        "web",
        "--oidc-iat-ttl",
        "60000",
    ]);
    assert!(out.status.success(), "{}", stderr_of(&out, &sb));
    let toml = sb.read("shop/hoist.toml");
    assert!(
        toml.contains("additional_auth = [\"oidc\"]") && toml.contains("oidc_iat_ttl_ms = 60000"),
        "{toml}"
    );
    let arn = "arn:aws:lambda:us-east-1:123456789012:function:gate";
    let out = hoist(&[
        "update",
        "api",
        "main",
        "--additional-auth",
        "lambda",
        "--lambda-authorizer-arn",
        arn,
    ]);
    assert!(out.status.success(), "{}", stderr_of(&out, &sb));
    let toml = sb.read("shop/hoist.toml");
    assert!(!toml.contains("oidc") && toml.contains(arn), "{toml}");
    // a TTL alone brings OIDC back, which needs its issuer
    let out = hoist(&["update", "api", "main", "--oidc-iat-ttl", "1000"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        flat(&stderr_of(&out, &sb)).contains("pass `--oidc-issuer URL`"),
        "{}",
        stderr_of(&out, &sb)
    );
    assert_eq!(sb.read("shop/hoist.toml"), toml, "nothing written");
}
