//! `--access auth:read|manage`: a function calls the user pool's admin
//! operations with boto3 and its role's credentials, and the sandbox's user
//! pool judges each call as IAM would by the role's statements: a reader may
//! list and read users, not create them or change their groups.

use super::common;
use common::functions::{run_in, sandbox_app};
use common::{Sandbox, stderr_of};

const POOL: &str = r#"import os

import boto3

POOL = os.environ["AUTH_MAIN_USERPOOLID"]
idp = boto3.client("cognito-idp")


def attempt(call):
    try:
        call()
        return "ok"
    except idp.exceptions.ClientError as e:
        return e.response["Error"]["Code"]


def handler(event, context):
    out = {}
    if event.get("create"):
        out["created"] = attempt(lambda: idp.admin_create_user(
            UserPoolId=POOL, Username=event["create"], TemporaryPassword="Temp-Pass-123!"))
        out["grouped"] = attempt(lambda: idp.admin_add_user_to_group(
            UserPoolId=POOL, Username=event["create"], GroupName="Admins"))
    users = idp.list_users(UserPoolId=POOL)["Users"]
    out["emails"] = sorted(a["Value"] for u in users for a in u["Attributes"] if a["Name"] == "email")
    if users:
        got = idp.admin_get_user(UserPoolId=POOL, Username=users[0]["Username"])
        out["status"] = got["UserStatus"]
        out["groups"] = [g["GroupName"] for g in idp.admin_list_groups_for_user(
            UserPoolId=POOL, Username=users[0]["Username"])["Groups"]]
    out["members"] = len(idp.list_users_in_group(UserPoolId=POOL, GroupName="Admins")["Users"])
    return out
"#;

#[test]
fn a_function_with_auth_access_calls_the_user_pools_admin_operations_as_its_policy_allows() {
    let sb = Sandbox::new();
    let app = sandbox_app(&sb);
    let run = |args: &[&str]| run_in(&sb, &app, args);
    run(&["add", "auth", "--yes", "-q", "--group", "Admins:0"]);
    run(&["add", "api", "--template", "todo", "--yes", "-q"]);
    for (name, access) in [("manager", "auth:manage"), ("viewer", "auth:read")] {
        run(&[
            "add",
            "function",
            name,
            "--runtime",
            "python",
            "--access",
            access,
            "--yes",
            "-q",
        ]);
        std::fs::write(
            app.join(format!("hoist/function/{name}/requirements.txt")),
            "boto3\n",
        )
        .unwrap();
        std::fs::write(app.join(format!("hoist/function/{name}/index.py")), POOL).unwrap();
    }
    let running = common::running::Running::start(&sb, &app, &["--port", "0", "--no-watch"]);
    let trigger = |name: &str, event: &str| -> serde_json::Value {
        let out = sb
            .hoist_in(&app)
            .args(["sandbox", "trigger", name, "--event", event])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out, &sb));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let managed = trigger("manager", r#"{"create": "ada@example.com"}"#);
    assert_eq!(managed["created"], "ok", "{managed}");
    assert_eq!(managed["grouped"], "ok", "{managed}");
    assert_eq!(
        managed["emails"],
        serde_json::json!(["ada@example.com"]),
        "{managed}"
    );
    assert_eq!(managed["status"], "FORCE_CHANGE_PASSWORD", "{managed}");
    assert_eq!(
        managed["groups"],
        serde_json::json!(["Admins"]),
        "{managed}"
    );
    assert_eq!(managed["members"], 1, "{managed}");

    // the reader reads, and may not create users
    let viewed = trigger("viewer", r#"{"create": "bob@example.com"}"#);
    assert_eq!(viewed["created"], "AccessDeniedException", "{viewed}");
    assert_eq!(viewed["grouped"], "AccessDeniedException", "{viewed}");
    assert_eq!(
        viewed["emails"],
        serde_json::json!(["ada@example.com"]),
        "{viewed}"
    );
    running.stop();
}
