//! `hoist push`, `status`, `outputs` end to end against a local AWS emulator
//! (moto with hoist's extension). Ignored by default; scripts/test.sh installs
//! moto and runs them.

mod common;

use common::moto::Moto;
use common::{Sandbox, stderr_of};
use predicates::prelude::*;

const REGION: &str = "us-east-1";

struct Project {
    sb: Sandbox,
    root: std::path::PathBuf,
}

impl Project {
    fn new() -> Project {
        let sb = Sandbox::new();
        sb.hoist()
            .args(["init", "shop", "--frontend", "react", "--yes", "-q"])
            .assert()
            .success();
        let root = sb.join("shop");
        Project { sb, root }
    }

    fn hoist(&self, moto: &Moto) -> assert_cmd::Command {
        let mut cmd = self.sb.hoist_in(&self.root);
        cmd.env("AWS_ENDPOINT_URL", &moto.endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing");
        cmd
    }

    fn ok(&self, moto: &Moto, args: &[&str]) -> String {
        let output = self.hoist(moto).args(args).output().unwrap();
        let stderr = stderr_of(&output, &self.sb);
        assert!(output.status.success(), "hoist {args:?} failed:\n{stderr}");
        stderr
    }

    fn outputs(&self) -> serde_json::Value {
        serde_json::from_str(&self.sb.read("shop/src/amplify_outputs.json")).unwrap()
    }
}

#[test]
#[ignore = "needs moto (PyPI); run by scripts/test.sh, which installs it"]
fn push_deploys_auth_and_storage_then_only_what_changed() {
    let moto = Moto::start();
    let p = Project::new();
    p.ok(
        &moto,
        &[
            "add",
            "auth",
            "--yes",
            "--mfa",
            "optional",
            "--mfa-methods",
            "totp",
            "--group",
            "Admins:0",
            "-q",
        ],
    );
    p.ok(
        &moto,
        &[
            "add",
            "api",
            "--yes",
            "--auth",
            "user-pools",
            "--additional-auth",
            "api-key",
            "-q",
        ],
    );
    p.ok(&moto, &["add", "storage", "--yes", "-q"]);

    // --dry-run on a stack that does not exist changes nothing
    let dry = p.ok(&moto, &["push", "--dry-run"]);
    assert!(dry.contains("the first push creates it"), "{dry}");
    assert!(
        moto.inspect(REGION)["stacks"]
            .as_object()
            .unwrap()
            .is_empty()
    );

    let first = p.ok(&moto, &["push", "--yes"]);
    assert!(
        first.contains("Change set:") && first.contains("Deployed `hoist-shop-dev`"),
        "{first}"
    );

    let state = moto.inspect(REGION);
    assert_eq!(
        state["stacks"]["hoist-shop-dev"], "UPDATE_COMPLETE",
        "{state:#}"
    );
    let pools = state["user_pools"].as_array().unwrap();
    assert_eq!(pools.len(), 1, "{state:#}");
    let pool = &pools[0];
    assert_eq!(pool["mfa"], "OPTIONAL");
    assert_eq!(pool["username_attributes"], serde_json::json!(["email"]));
    assert_eq!(pool["password_min_length"], 8);
    assert_eq!(pool["groups"], serde_json::json!(["Admins"]));
    assert_eq!(state["identity_pools"].as_array().unwrap().len(), 1);

    let outputs = p.outputs();
    assert_eq!(outputs["auth"]["user_pool_id"], pool["id"]);
    assert_eq!(outputs["auth"]["user_pool_client_id"], pool["clients"][0]);
    assert_eq!(
        outputs["auth"]["identity_pool_id"],
        state["identity_pools"][0]
    );
    let bucket = outputs["storage"]["bucket_name"].as_str().unwrap();
    let policy = &state["buckets"][bucket]["policy"];
    assert!(
        policy.is_object(),
        "the storage bucket has no policy: {state:#}"
    );
    assert_eq!(
        state["buckets"].as_object().unwrap().len(),
        2,
        "deployment and storage buckets: {state:#}"
    );

    // the api: AppSync with both modes and a key, a table per model
    let apis = state["apis"].as_array().unwrap();
    assert_eq!(apis.len(), 1, "{state:#}");
    assert_eq!(apis[0]["auth"], "AMAZON_COGNITO_USER_POOLS");
    assert_eq!(apis[0]["additional_auth"], serde_json::json!(["API_KEY"]));
    // its log group keeps errors 30 days (set after the deploy: AppSync's own group)
    let groups = state["log_groups"].as_object().unwrap();
    let group = groups
        .iter()
        .find(|(name, _)| name.starts_with("/aws/appsync/apis/"))
        .unwrap_or_else(|| panic!("no AppSync log group: {state:#}"));
    assert_eq!(group.1, &serde_json::json!(30), "{state:#}");
    assert_eq!(outputs["data"]["api_key"], apis[0]["keys"][0]);
    assert_eq!(
        outputs["data"]["default_authorization_type"],
        "AMAZON_COGNITO_USER_POOLS"
    );
    assert!(
        outputs["data"]["url"]
            .as_str()
            .unwrap()
            .ends_with("/graphql")
    );
    // client.models works at run time: the model introspection is in the outputs,
    // and push ran codegen for the frontend.
    let introspection = &outputs["data"]["model_introspection"];
    assert_eq!(introspection["version"], 1);
    assert!(
        introspection["models"].as_object().unwrap().len() == 1,
        "{introspection:#}"
    );
    assert!(p.root.join("src/graphql/queries.ts").is_file());
    let tables = state["tables"].as_object().unwrap();
    assert_eq!(tables.len(), 1, "{state:#}");
    let table = tables.values().next().unwrap();
    assert_eq!(table["key"], serde_json::json!(["id"]));
    assert_eq!(table["billing"], "PAY_PER_REQUEST");
    assert_eq!(table["stream"], "NEW_AND_OLD_IMAGES");
    assert_eq!(table["tags"]["hoist:model"], "Todo");

    // Nothing changed: decided with one read of the root stack, which must
    // be there as recorded; without AWS the push says so instead of
    // trusting the local snapshot.
    p.hoist(&moto)
        .args(["push", "--yes"])
        .assert()
        .success()
        .stderr(predicate::str::contains("No changes"));
    p.sb.hoist_in(&p.root)
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .args(["push", "--yes"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "nothing is listening at http://127.0.0.1:9",
        ));
    let status = p.ok(&moto, &["status"]);
    assert!(status.contains("Nothing to push"), "{status}");

    // The API key's expiry is recorded as deployed, the full days away; one
    // in its last days is renewed by the next push, changed or not.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let snapshot_path = p.root.join(".hoist/deployed/dev.json");
    let key_expiry = || -> u64 {
        let recorded: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&snapshot_path).unwrap()).unwrap();
        recorded["key_expires_at"]
            .as_object()
            .and_then(|m| m.values().next())
            .and_then(|v| v.as_u64())
            .unwrap_or_else(|| panic!("no key expiry recorded: {recorded}"))
    };
    assert!(
        key_expiry() >= now + 7 * 86_400 - 120,
        "{} vs {now}",
        key_expiry()
    );
    assert!(status.contains("API key"), "{status}");
    let mut recorded: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&snapshot_path).unwrap()).unwrap();
    for value in recorded["key_expires_at"]
        .as_object_mut()
        .unwrap()
        .values_mut()
    {
        *value = serde_json::json!(now + 3_600);
    }
    std::fs::write(&snapshot_path, recorded.to_string()).unwrap();
    assert!(p.ok(&moto, &["status"]).contains("the next push renews it"));
    let renewed = p.ok(&moto, &["push", "--yes"]);
    assert!(renewed.contains("this push renews it"), "{renewed}");
    assert!(
        key_expiry() >= now + 7 * 86_400 - 120,
        "renewed: {} vs {now}",
        key_expiry()
    );

    // `hoist outputs` writes what is deployed: an edit of hoist.toml that
    // was not pushed does not reach the frontend.
    let manifest_before = p.sb.read("shop/hoist.toml");
    let deployed_min = p.outputs()["auth"]["password_policy"]["min_length"].clone();
    assert_ne!(deployed_min, serde_json::json!(20));
    p.ok(
        &moto,
        &[
            "update",
            "auth",
            "main",
            "--password-min-length",
            "20",
            "-q",
        ],
    );
    p.ok(&moto, &["outputs"]);
    assert_eq!(
        p.outputs()["auth"]["password_policy"]["min_length"],
        deployed_min
    );
    std::fs::write(p.root.join("hoist.toml"), manifest_before).unwrap();

    // A storage change updates only the storage stack.
    p.ok(
        &moto,
        &[
            "update",
            "storage",
            "files",
            "--cors-origin",
            "https://shop.example.com",
            "-q",
        ],
    );
    let status = p.ok(&moto, &["status", "--json"]);
    assert!(status.contains("storage/files"), "{status}");
    let output = p.hoist(&moto).args(["status", "--json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let changes: Vec<(String, String)> = json["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["resource"].as_str().unwrap().to_string(),
                r["change"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("api/main".into(), "No change".into()),
            ("auth/main".into(), "No change".into()),
            ("storage/files".into(), "Update".into())
        ]
    );
    let second = p.ok(&moto, &["push", "--yes"]);
    assert!(
        second.contains("StorageFiles") && !second.contains("Modify   root             AuthMain"),
        "{second}"
    );
    assert_eq!(
        p.outputs()["auth"]["user_pool_id"],
        pool["id"],
        "auth was not touched"
    );

    // A schema change updates only the api's stack.
    let schema = p.root.join("hoist/api/main/schema.graphql");
    let text = std::fs::read_to_string(&schema).unwrap().replace(
        "description: String",
        "description: String\n  priority: Int",
    );
    std::fs::write(&schema, text).unwrap();
    let output = p.hoist(&moto).args(["status", "--json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let updated: Vec<&str> = json["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["change"] == "Update")
        .map(|r| r["resource"].as_str().unwrap())
        .collect();
    assert_eq!(updated, ["api/main"]);
    let third = p.ok(&moto, &["push", "--yes"]);
    assert!(third.contains("ApiMain"), "{third}");
    assert_eq!(
        p.outputs()["auth"]["user_pool_id"],
        pool["id"],
        "auth was not touched"
    );
    assert!(
        p.sb.read("shop/.hoist/build/dev/api-main/schema.graphql")
            .contains("priority: Int")
    );
    // The generated types and the introspection follow the schema.
    assert!(
        p.sb.read("shop/src/graphql/API.ts")
            .contains("priority?: number | null,")
    );
    let model = p.outputs()["data"]["model_introspection"]["models"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .clone();
    assert_eq!(model["fields"]["priority"]["type"], "Int");

    // outputs are rebuilt from the snapshot
    std::fs::remove_file(p.root.join("src/amplify_outputs.json")).unwrap();
    p.ok(&moto, &["outputs"]);
    assert_eq!(p.outputs()["auth"]["user_pool_id"], pool["id"]);
}

#[test]
#[ignore = "needs moto (PyPI); run by scripts/test.sh, which installs it"]
fn push_refuses_without_yes_and_without_a_terminal() {
    let moto = Moto::start();
    let p = Project::new();
    p.ok(&moto, &["add", "auth", "--yes", "-q"]);
    let output = p.hoist(&moto).args(["push"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr_of(&output, &p.sb);
    assert!(
        stderr.contains("Change set:") && stderr.contains("pass `--yes`"),
        "{stderr}"
    );
    // the whole plan was shown first, and nothing was created: not even the
    // root stack or its bucket; nothing recorded locally
    assert!(stderr.contains("DeploymentBucket"), "{stderr}");
    assert!(stderr.contains("auth/main"), "{stderr}");
    let state = moto.inspect(REGION);
    assert!(
        state["stacks"].as_object().is_none_or(|s| s.is_empty())
            && state["buckets"].as_object().is_none_or(|b| b.is_empty()),
        "{state}"
    );
    assert!(!p.root.join(".hoist/deployed/dev.json").exists());
    // a missing secret is named before anything is changed
    p.ok(
        &moto,
        &[
            "update",
            "auth",
            "main",
            "--google-client-id",
            "g",
            "--google-client-secret",
            "env:HOIST_TEST_GOOGLE_SECRET",
            "-q",
        ],
    );
    let output = p.hoist(&moto).args(["push", "--yes"]).output().unwrap();
    let stderr = stderr_of(&output, &p.sb);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("HOIST_TEST_GOOGLE_SECRET") && stderr.contains("not set"),
        "{stderr}"
    );
    let output = p
        .hoist(&moto)
        .env("HOIST_TEST_GOOGLE_SECRET", "s3cret")
        .args(["push", "--yes"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output, &p.sb));
    assert!(
        !p.sb
            .read("shop/.hoist/deployed/dev.json")
            .contains("s3cret"),
        "secrets are never stored"
    );

    // a secret from SSM, read with the environment's credentials
    moto.put_secure_parameter(REGION, "/shop/facebook-secret", "fb-s3cret");
    p.ok(
        &moto,
        &[
            "update",
            "auth",
            "main",
            "--facebook-client-id",
            "fb",
            "--facebook-client-secret",
            "ssm:/shop/facebook-secret",
            "-q",
        ],
    );
    let output = p
        .hoist(&moto)
        .env("HOIST_TEST_GOOGLE_SECRET", "s3cret")
        .args(["push", "--yes"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output, &p.sb));
    let output = p
        .hoist(&moto)
        .args([
            "update",
            "auth",
            "main",
            "--facebook-client-secret",
            "ssm:/shop/missing",
            "--facebook-client-id",
            "fb",
            "-q",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    let output = p
        .hoist(&moto)
        .env("HOIST_TEST_GOOGLE_SECRET", "s3cret")
        .args(["push", "--yes"])
        .output()
        .unwrap();
    let stderr = stderr_of(&output, &p.sb);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("/shop/missing"), "{stderr}");

    // two pushes from one checkout never overlap: another process holds the OS lock
    let lock = std::fs::File::create(p.root.join(".hoist/push.lock")).unwrap();
    lock.lock().unwrap();
    let output = p
        .hoist(&moto)
        .env("HOIST_TEST_GOOGLE_SECRET", "s3cret")
        .args(["push", "--yes"])
        .output()
        .unwrap();
    let stderr = stderr_of(&output, &p.sb);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("another `hoist push` is running"),
        "{stderr}"
    );
    // the lock file left by a push that died (nobody holds it) does not block
    drop(lock);
    let output = p
        .hoist(&moto)
        .env("HOIST_TEST_GOOGLE_SECRET", "s3cret")
        .args(["push", "--yes"])
        .output()
        .unwrap();
    let stderr = stderr_of(&output, &p.sb);
    assert!(
        !stderr.contains("another `hoist push` is running"),
        "{stderr}"
    );
}

#[test]
#[ignore = "needs moto (PyPI); run by scripts/test.sh, which installs it"]
fn environments_are_separate_and_rebuilt_from_cloudformation() {
    let moto = Moto::start();
    let p = Project::new();
    p.ok(&moto, &["add", "auth", "--yes", "-q"]);
    p.ok(&moto, &["add", "storage", "--yes", "-q"]);
    p.ok(&moto, &["push", "--yes", "-q"]);
    let dev = p.outputs();

    // a second environment: its own root stack, its own user pool
    p.ok(&moto, &["env", "add", "prod", "--copy-from", "dev", "-q"]);
    assert!(
        p.sb.read("shop/hoist.toml")
            .contains("[env.prod]\nregion = \"us-east-1\"")
    );
    p.ok(&moto, &["push", "--env", "prod", "--yes", "-q"]);
    let state = moto.inspect(REGION);
    assert!(state["stacks"]["hoist-shop-prod"].is_string(), "{state:#}");
    assert_eq!(state["user_pools"].as_array().unwrap().len(), 2);

    // the current env is still dev; checkout switches the outputs
    let list = p
        .hoist(&moto)
        .args(["env", "list", "--json"])
        .output()
        .unwrap();
    let envs: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(envs[0]["name"], "dev");
    assert_eq!(envs[0]["current"], true);
    assert_eq!(envs[1]["status"], "UPDATE_COMPLETE");
    p.ok(&moto, &["env", "checkout", "prod"]);
    let prod = p.outputs();
    assert_ne!(prod["auth"]["user_pool_id"], dev["auth"]["user_pool_id"]);
    assert_eq!(p.sb.read("shop/.hoist/current-env"), "prod\n");
    p.ok(&moto, &["env", "checkout", "dev"]);
    assert_eq!(p.outputs(), dev);

    // a fresh clone (hoist.toml only, no .hoist/) pulls dev from CloudFormation alone
    let clone = Sandbox::new();
    std::fs::create_dir_all(clone.join("shop/src")).unwrap();
    std::fs::copy(p.root.join("hoist.toml"), clone.join("shop/hoist.toml")).unwrap();
    let fresh = Project {
        root: clone.join("shop"),
        sb: clone,
    };
    fresh.ok(&moto, &["env", "pull", "dev"]);
    assert_eq!(fresh.outputs(), dev);
    let again = fresh.ok(&moto, &["push", "--env", "dev", "--yes"]);
    assert!(
        again.contains("No changes"),
        "the pulled snapshot matches what is deployed: {again}"
    );

    // `hoist delete` deletes prod's stacks and deployment bucket, keeps its
    // user pool (retained: users outlive the stack) and its hoist.toml entry;
    // `env remove` then drops the entry
    let before = moto.inspect(REGION);
    let buckets_before = before["buckets"].as_object().unwrap().len();
    let pools_before = before["user_pools"].as_array().map_or(0, |p| p.len());
    let deleted = p.ok(&moto, &["delete", "--env", "prod", "--yes"]);
    assert!(
        deleted.contains("the user pool of auth `main`"),
        "{deleted}"
    );
    let state = moto.inspect(REGION);
    assert!(
        state["stacks"].get("hoist-shop-prod").is_none(),
        "{state:#}"
    );
    assert_eq!(
        state["user_pools"].as_array().map_or(0, |p| p.len()),
        pools_before,
        "the user pool is retained: {state:#}"
    );
    assert!(p.sb.read("shop/hoist.toml").contains("[env.prod]"));
    assert!(!p.root.join(".hoist/deployed/prod.json").exists());
    let again = p.ok(&moto, &["env", "remove", "prod", "--yes"]);
    assert!(again.contains("not deployed: only removing it"), "{again}");
    let state = moto.inspect(REGION);
    assert!(
        state["stacks"].get("hoist-shop-prod").is_none(),
        "{state:#}"
    );
    assert!(state["stacks"]["hoist-shop-dev"].is_string());
    assert_eq!(
        state["buckets"].as_object().unwrap().len(),
        buckets_before - 1,
        "the storage bucket is retained, the deployment bucket is gone: {state:#}"
    );
    assert!(!p.sb.read("shop/hoist.toml").contains("[env.prod]"));
    p.hoist(&moto)
        .args(["env", "checkout", "prod"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("there is no environment `prod`"));
}

/// `hoist delete --purge` finds what the stacks retain (user pool, model
/// tables, storage bucket), counts what they hold through the AWS APIs,
/// names it before asking, and deletes it for good once the stacks are gone;
/// a protected environment is never purged.
#[test]
#[ignore = "needs moto (PyPI); run by scripts/test.sh, which installs it"]
fn delete_purge_counts_then_destroys_what_the_stacks_retain() {
    let moto = Moto::start();
    let p = Project::new();
    p.ok(&moto, &["add", "auth", "--yes", "-q"]);
    p.ok(
        &moto,
        &["add", "api", "--yes", "--auth", "user-pools", "-q"],
    );
    p.ok(&moto, &["add", "storage", "--yes", "-q"]);
    // --json: one document for the whole first push (its plan, then the
    // resources' change set, then the outputs), not one per step
    let first = p
        .hoist(&moto)
        .args(["push", "--yes", "--json"])
        .output()
        .unwrap();
    assert!(first.status.success(), "{}", stderr_of(&first, &p.sb));
    let doc: serde_json::Value = serde_json::from_slice(&first.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&first.stdout)));
    assert_eq!(doc["result"], "deployed", "{doc:#}");
    assert!(doc["changes"].as_array().unwrap().len() > 5, "{doc:#}");
    assert!(doc["outputs"].is_object(), "{doc:#}");
    let outputs = p.outputs();
    let pool = outputs["auth"]["user_pool_id"]
        .as_str()
        .unwrap()
        .to_string();
    let bucket = outputs["storage"]["bucket_name"]
        .as_str()
        .unwrap()
        .to_string();
    let state = moto.inspect(REGION);
    let tables: Vec<String> = state["tables"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert!(!tables.is_empty(), "{state:#}");
    // what the app's users left: two users, three items, one file (two versions)
    moto.boto3(
        REGION,
        &format!(
            "idp = client('cognito-idp')\n\
             for name in ['a@example.com', 'b@example.com']:\n    idp.admin_create_user(UserPoolId='{pool}', Username=name)\n\
             for i in range(3):\n    client('dynamodb').put_item(TableName='{}', Item={{'id': {{'S': str(i)}}}})\n\
             s3 = client('s3')\n\
             s3.put_object(Bucket='{bucket}', Key='public/a.txt', Body=b'1')\n\
             s3.put_object(Bucket='{bucket}', Key='public/a.txt', Body=b'2')",
            tables[0]
        ),
    );

    // a bucket policy that refuses deleting files: the stacks go, the
    // purge stops at the bucket, says so, and the next run finishes it
    moto.boto3(
        REGION,
        &format!(
            "import json\nclient('s3').put_bucket_policy(Bucket='{bucket}', Policy=json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Deny', 'Principal': '*', 'Action': ['s3:DeleteObject', 's3:DeleteObjectVersion'], 'Resource': 'arn:aws:s3:::{bucket}/*'}}]}}))"
        ),
    );

    // without a terminal and without --yes: the count is shown, nothing goes
    let refused = p.hoist(&moto).args(["delete", "--purge"]).output().unwrap();
    let said = stderr_of(&refused, &p.sb);
    assert!(!refused.status.success(), "{said}");
    assert!(said.contains("2 users, 3 items and 1 file,"), "{said}");
    assert!(
        said.contains(&format!("user pool {pool} (2 users)")),
        "{said}"
    );
    assert!(
        said.contains(&format!("bucket {bucket} (1 file)")),
        "{said}"
    );
    assert!(moto.inspect(REGION)["stacks"]["hoist-shop-dev"].is_string());

    let stopped = p
        .hoist(&moto)
        .args(["delete", "--purge", "--yes"])
        .output()
        .unwrap();
    let said = stderr_of(&stopped, &p.sb);
    assert!(!stopped.status.success(), "{said}");
    assert!(said.contains("Deleted the user pool"), "{said}");
    assert!(said.contains("not everything kept was"), "{said}");
    assert!(said.contains(&format!("bucket {bucket}")), "{said}");
    assert!(p.root.join(".hoist/purge/dev.json").exists());
    let state = moto.inspect(REGION);
    assert!(state["stacks"].as_object().unwrap().is_empty(), "{state:#}");
    assert!(
        state["user_pools"].as_array().unwrap().is_empty(),
        "{state:#}"
    );
    moto.boto3(
        REGION,
        &format!("client('s3').delete_bucket_policy(Bucket='{bucket}')"),
    );
    let again = p.ok(&moto, &["delete", "--purge", "--yes"]);
    assert!(
        again.contains(&format!("bucket {bucket} (1 file)")),
        "{again}"
    );
    assert!(!p.root.join(".hoist/purge/dev.json").exists());
    let state = moto.inspect(REGION);
    assert!(state["tables"].as_object().unwrap().is_empty(), "{state:#}");
    assert!(
        state["buckets"].as_object().unwrap().is_empty(),
        "{state:#}"
    );
    assert!(p.sb.read("shop/hoist.toml").contains("[env.dev]"));

    // again: nothing deployed, nothing kept to purge
    let again = p.ok(&moto, &["delete", "--purge", "--yes"]);
    assert!(again.contains("Nothing kept to purge"), "{again}");

    // a protected environment is refused before any call
    let toml = p.sb.read("shop/hoist.toml");
    std::fs::write(
        p.root.join("hoist.toml"),
        toml.replace("[env.dev]\n", "[env.dev]\nprotected = true\n"),
    )
    .unwrap();
    p.hoist(&moto)
        .args(["delete", "--purge", "--yes"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is protected"));
    // deployed again, protected, then `protected` dropped without a push: AWS still
    // protects the pool and tables, and the purge is refused before anything goes
    p.ok(&moto, &["push", "--yes", "-q", "--force"]);
    std::fs::write(p.root.join("hoist.toml"), &toml).unwrap();
    let refused = p
        .hoist(&moto)
        .args(["delete", "--purge", "--yes"])
        .output()
        .unwrap();
    let said = stderr_of(&refused, &p.sb);
    assert!(!refused.status.success(), "{said}");
    assert!(said.contains("deletion protection is on"), "{said}");
    assert!(said.contains("on for user pool"), "{said}");
    assert!(moto.inspect(REGION)["stacks"]["hoist-shop-dev"].is_string());
}

/// DynamoDB creates or deletes one global secondary index per table update
/// (moto, through hoist's extension, fails an update that asks for more, as
/// CloudFormation does): a schema that gains two indexes, then trades them
/// for a third, is pushed in stages, one index per table each, and the
/// table ends with the built indexes.
#[test]
#[ignore = "needs moto (PyPI); run by scripts/test.sh, which installs it"]
fn index_changes_are_staged_one_per_table_update() {
    let moto = Moto::start();
    let p = Project::new();
    p.ok(&moto, &["add", "api", "--yes", "--template", "todo", "-q"]);
    let schema = p.root.join("hoist/api/main/schema.graphql");
    let write = |indexes: &[(&str, &str)]| {
        let mut text =
            String::from("type Todo @model @auth(rules: [{ allow: public }]) {\n  id: ID!\n");
        for field in ["name", "owner", "status"] {
            match indexes.iter().find(|(f, _)| *f == field) {
                Some((_, index)) => {
                    text.push_str(&format!("  {field}: String @index(name: \"{index}\")\n"))
                }
                None => text.push_str(&format!("  {field}: String\n")),
            }
        }
        text.push_str("}\n");
        std::fs::write(&schema, text).unwrap();
    };
    // the newest Todo table: moto replaces a nested stack on update, and the
    // tables it held are retained
    let table_indexes = || -> Vec<String> {
        let (_, tables) = moto.dynamodb("ListTables", &serde_json::json!({}));
        let description = tables["TableNames"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t.as_str().unwrap().contains("Todo"))
            .map(|t| {
                moto.dynamodb("DescribeTable", &serde_json::json!({ "TableName": t }))
                    .1
            })
            .max_by(|a, b| {
                let at =
                    |d: &serde_json::Value| d["Table"]["CreationDateTime"].as_f64().unwrap_or(0.0);
                at(a).total_cmp(&at(b))
            })
            .unwrap_or_else(|| panic!("no Todo table: {tables}"));
        let mut names: Vec<String> = description["Table"]["GlobalSecondaryIndexes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|i| i["IndexName"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    };
    write(&[]);
    p.ok(&moto, &["push", "--yes"]);
    assert!(table_indexes().is_empty());

    write(&[("name", "byName"), ("owner", "byOwner")]);
    let dry = p.ok(&moto, &["push", "--dry-run"]);
    assert!(dry.contains("this push deploys 2 times"), "{dry}");
    let staged = p.ok(&moto, &["push", "--yes"]);
    assert!(
        staged.contains("index stage 1 of 2") && staged.contains("creating index `byName`"),
        "{staged}"
    );
    assert_eq!(table_indexes(), ["byName", "byOwner"]);

    // two deletions and a creation: three deploys
    write(&[("status", "byStatus")]);
    let staged = p.ok(&moto, &["push", "--yes"]);
    assert!(
        staged.contains("index stage 2 of 3") && staged.contains("deleting index `byOwner`"),
        "{staged}"
    );
    assert_eq!(table_indexes(), ["byStatus"]);

    // one index change needs no stage
    write(&[("status", "byStatus"), ("name", "byName")]);
    let once = p.ok(&moto, &["push", "--yes"]);
    assert!(!once.contains("index stage"), "{once}");
    assert_eq!(table_indexes(), ["byName", "byStatus"]);
}

/// The judge itself: hoist's moto extension refuses a nested stack update
/// that creates two indexes on one table at once, as CloudFormation does,
/// and takes one index at a time (so the staged push above is judged, not
/// waved through).
#[test]
#[ignore = "needs moto (PyPI); run by scripts/test.sh, which installs it"]
fn the_emulator_refuses_two_index_changes_in_one_table_update() {
    let moto = Moto::start();
    moto.boto3(
        REGION,
        r#"
import json
s3, cfn = client("s3"), client("cloudformation")
s3.create_bucket(Bucket="judge")
def table(indexes):
    props = {"BillingMode": "PAY_PER_REQUEST",
             "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
             "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in ["id"] + indexes]}
    if indexes:
        props["GlobalSecondaryIndexes"] = [{"IndexName": "by" + a, "KeySchema": [{"AttributeName": a, "KeyType": "HASH"}],
                                            "Projection": {"ProjectionType": "ALL"}} for a in indexes]
    return {"Resources": {"Items": {"Type": "AWS::DynamoDB::Table", "Properties": props}}}
def root(key):
    return json.dumps({"Resources": {"Model": {"Type": "AWS::CloudFormation::Stack",
        "Properties": {"TemplateURL": "https://judge.s3.us-east-1.amazonaws.com/" + key}}}})
for key, indexes in [("none", []), ("one", ["a"]), ("three", ["a", "b", "c"])]:
    s3.put_object(Bucket="judge", Key=key, Body=json.dumps(table(indexes)))
cfn.create_stack(StackName="judged", TemplateBody=root("none"))
cfn.update_stack(StackName="judged", TemplateBody=root("one"))
try:
    cfn.update_stack(StackName="judged", TemplateBody=root("three"))
    raise SystemExit("two index creations in one update were let through")
except cfn.exceptions.ClientError as e:
    assert "Cannot perform more than one GSI creation or deletion in a single update" in str(e), e
"#,
    );
}
