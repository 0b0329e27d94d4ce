//! What `push`, `env list` and `env pull` say when AWS cannot be asked: one
//! line naming the cause (no credentials, an unknown profile, nothing
//! listening at the endpoint), its fix, the SDK's structures only with `-v`,
//! a non-zero exit, and with `--json` an error object on stdout. No emulator
//! is needed: each case fails before anything answers.

mod common;

use common::{Sandbox, flat, stderr_of};

/// A project with auth, and the address of a local port nothing listens on.
fn project() -> (Sandbox, std::path::PathBuf, String) {
    let sb = Sandbox::new();
    sb.hoist()
        .args(["init", "shop", "--frontend", "react", "--yes", "-q"])
        .assert()
        .success();
    let root = sb.join("shop");
    sb.hoist_in(&root)
        .args(["add", "auth", "--yes", "-q"])
        .assert()
        .success();
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", free.local_addr().unwrap());
    drop(free);
    (sb, root, endpoint)
}

/// No credential anywhere (no variables, no files, the instance metadata
/// service off): the chain searched and the commands that set one up.
#[test]
fn no_credentials_is_one_line_with_the_ways_to_get_them() {
    let (sb, root, endpoint) = project();
    let output = sb
        .hoist_in(&root)
        .args(["push", "--yes", "--endpoint-url", &endpoint])
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    let stderr = flat(&stderr_of(&output, &sb));
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("DescribeStacks failed: no AWS credentials were found"),
        "{stderr}"
    );
    assert!(stderr.contains("aws configure"), "{stderr}");
    for dump in ["DispatchFailure", "ConnectorError", "{", "hoist::"] {
        assert!(!stderr.contains(dump), "{dump} in:\n{stderr}");
    }
}

/// Keys are given, but nothing listens at the endpoint: said in one line,
/// naming the endpoint; `-v` adds the SDK's detail.
#[test]
fn nothing_listening_names_the_endpoint_and_v_adds_the_sdk_detail() {
    let (sb, root, endpoint) = project();
    let run = |extra: &[&str]| {
        sb.hoist_in(&root)
            .args(["push", "--yes", "--endpoint-url", &endpoint])
            .args(extra)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .output()
            .unwrap()
    };
    let output = run(&[]);
    let stderr = flat(&stderr_of(&output, &sb));
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "DescribeStacks failed: nothing is listening at {endpoint}"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("hoist sandbox"), "{stderr}");
    assert!(!stderr.contains("ConnectionRefused"), "{stderr}");

    let verbose = run(&["-v"]);
    let stderr = stderr_of(&verbose, &sb);
    assert!(stderr.contains("SDK detail:"), "{stderr}");
    assert!(stderr.contains("Connection refused"), "{stderr}");
}

/// `push --json` prints an error object on stdout when it fails.
#[test]
fn push_json_prints_an_error_object() {
    let (sb, root, endpoint) = project();
    let output = sb
        .hoist_in(&root)
        .args(["push", "--yes", "--json", "--endpoint-url", &endpoint])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)));
    let message = value["error"]["message"].as_str().unwrap();
    assert!(message.contains("nothing is listening"), "{value}");
    assert_eq!(value["error"]["code"], "hoist::deploy::aws");
    assert!(value["error"]["help"].as_str().is_some(), "{value}");
}

/// A profile that the shared files do not define, while they define others,
/// is refused before any call, listing the profiles there are. With no
/// shared file at all, or a web identity in the environment, the SDK's chain
/// has other sources: nothing is refused for the profile.
#[test]
fn an_unknown_profile_is_named_with_those_that_exist() {
    let (sb, root, endpoint) = project();
    let push = |env: &[(&str, &std::ffi::OsStr)]| {
        let mut cmd = sb.hoist_in(&root);
        cmd.args(["push", "--yes", "--endpoint-url", &endpoint])
            .env("AWS_EC2_METADATA_DISABLED", "true");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let output = cmd.output().unwrap();
        assert_eq!(output.status.code(), Some(1));
        flat(&stderr_of(&output, &sb))
    };
    let stderr = push(&[("AWS_PROFILE", "nope".as_ref())]);
    assert!(!stderr.contains("is not defined"), "{stderr}");
    assert!(stderr.contains("no AWS credentials were found"), "{stderr}");

    std::fs::create_dir_all(sb.home.path().join(".aws")).unwrap();
    std::fs::write(
        sb.home.path().join(".aws/config"),
        "[default]\nregion = us-east-1\n\n[profile shop-admin]\nregion = eu-west-1\n",
    )
    .unwrap();
    let stderr = push(&[("AWS_PROFILE", "nope".as_ref())]);
    assert!(
        stderr.contains(
            "the AWS profile `nope` (AWS_PROFILE) is not defined: the profiles defined: default, shop-admin"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("aws configure --profile nope"), "{stderr}");

    let manifest = std::fs::read_to_string(root.join("hoist.toml")).unwrap();
    let manifest = manifest.replacen("[env.dev]\n", "[env.dev]\nprofile = \"shop-dev\"\n", 1);
    std::fs::write(root.join("hoist.toml"), manifest).unwrap();
    let stderr = push(&[("AWS_PROFILE", "nope".as_ref())]);
    assert!(
        stderr.contains("the AWS profile `shop-dev` (`--profile` or `profile` in hoist.toml) is not defined: the profiles defined: default, shop-admin"),
        "hoist.toml's profile comes before AWS_PROFILE: {stderr}"
    );

    // a web identity (EKS, CodeBuild) is a source whatever the profile
    let token = sb.home.path().join("token");
    std::fs::write(&token, "not-a-real-token").unwrap();
    let stderr = push(&[
        ("AWS_WEB_IDENTITY_TOKEN_FILE", token.as_os_str()),
        ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci".as_ref()),
    ]);
    assert!(!stderr.contains("is not defined"), "{stderr}");
}

/// `env list` that cannot ask AWS fails (no status cell holding an error)
/// and points at `--offline`, which lists without AWS.
#[test]
fn env_list_fails_when_it_cannot_ask_and_offline_still_lists() {
    let (sb, root, endpoint) = project();
    let output = sb
        .hoist_in(&root)
        .args(["env", "list", "--endpoint-url", &endpoint])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .output()
        .unwrap();
    let stderr = flat(&stderr_of(&output, &sb));
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("could not read the status of the environment `dev`: DescribeStacks failed: nothing is listening at"),
        "{stderr}"
    );
    assert!(stderr.contains("hoist env list --offline"), "{stderr}");
    sb.hoist_in(&root)
        .args(["env", "list", "--offline"])
        .assert()
        .success();
}

/// A snapshot of the last deploy that cannot be read is reported with its
/// path and how to rebuild it, never taken for "not deployed" (which would
/// make the next push start from nothing).
#[test]
fn a_corrupt_snapshot_is_named_with_how_to_rebuild_it() {
    let (sb, root, endpoint) = project();
    let snapshot = root.join(".hoist/deployed/dev.json");
    std::fs::create_dir_all(snapshot.parent().unwrap()).unwrap();
    std::fs::write(&snapshot, "{\"stack_name\": \"hoist-shop-dev\", \"trunc").unwrap();
    for args in [
        vec!["push", "--yes", "--endpoint-url", endpoint.as_str()],
        vec!["status"],
    ] {
        let output = sb.hoist_in(&root).args(&args).output().unwrap();
        let stderr = flat(&stderr_of(&output, &sb));
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains(".hoist/deployed/dev.json` is not a snapshot hoist can read"),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("hoist env pull dev"), "{args:?}: {stderr}");
    }
}

/// A credential source that fails (here a `credential_process` that exits
/// non-zero, as an expired sign-in would) is said to have failed, with its
/// message: not "no credentials".
#[test]
fn a_failing_credential_source_is_named_not_taken_for_none() {
    let (sb, root, endpoint) = project();
    std::fs::create_dir_all(sb.home.path().join(".aws")).unwrap();
    std::fs::write(
        sb.home.path().join(".aws/config"),
        "[profile broken]\ncredential_process = sh -c \"echo token expired >&2; exit 3\"\n",
    )
    .unwrap();
    let output = sb
        .hoist_in(&root)
        .args(["push", "--yes", "--endpoint-url", &endpoint])
        .env("AWS_PROFILE", "broken")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    let stderr = flat(&stderr_of(&output, &sb));
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the credential source failed"), "{stderr}");
    assert!(
        !stderr.contains("no AWS credentials were found"),
        "{stderr}"
    );
    assert!(stderr.contains("aws sso login"), "{stderr}");
}
