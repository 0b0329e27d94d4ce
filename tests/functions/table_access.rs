//! `--access table:<Model>:read|write`: a function reaches its model's table
//! through DynamoDB's own API with boto3 (its SDK's `AWS_ENDPOINT_URL`, the
//! table's name in `API_<API>_<MODEL>TABLE_NAME`), and the sandbox judges
//! each call as IAM would by the role's statements: a reader may read, not
//! write; the table is the one the api's resolvers use.

use super::common;
use common::functions::{run_in, sandbox_app};
use common::{Sandbox, stderr_of};

const TABLE: &str = r##"import os

import boto3

TABLE = os.environ["API_MAIN_TODOTABLE_NAME"]
db = boto3.client("dynamodb")


def handler(event, context):
    out = {"table": TABLE, "arn": os.environ["API_MAIN_TODOTABLE_ARN"]}
    if event.get("write"):
        try:
            db.put_item(TableName=TABLE, Item={
                "id": {"S": "from-function"}, "name": {"S": event["write"]},
                "__typename": {"S": "Todo"},
                "createdAt": {"S": "2026-12-03T00:00:00.000Z"},
                "updatedAt": {"S": "2026-12-03T00:00:00.000Z"},
            })
            out["wrote"] = "ok"
        except db.exceptions.ClientError as e:
            out["wrote"] = e.response["Error"]["Code"]
    if event.get("transact"):
        try:
            db.transact_write_items(TransactItems=[{"Update": {
                "TableName": TABLE, "Key": {"id": {"S": "from-function"}},
                "UpdateExpression": "SET #n = :n",
                "ExpressionAttributeNames": {"#n": "name"},
                "ExpressionAttributeValues": {":n": {"S": event["transact"]}},
            }}])
            out["transacted"] = "ok"
        except db.exceptions.ClientError as e:
            out["transacted"] = e.response["Error"]["Code"]
    out["names"] = sorted(i["name"]["S"] for i in db.scan(TableName=TABLE)["Items"])
    try:
        db.scan(TableName="main.SomeoneElsesTable")
        out["elsewhere"] = "read"
    except db.exceptions.ClientError as e:
        out["elsewhere"] = e.response["Error"]["Code"]
    return out
"##;

#[test]
fn a_function_with_table_access_uses_dynamodbs_api_as_its_policy_allows() {
    let sb = Sandbox::new();
    let app = sandbox_app(&sb);
    let run = |args: &[&str]| run_in(&sb, &app, args);
    run(&["add", "api", "--template", "todo", "--yes", "-q"]);
    for (name, access) in [
        ("writer", "table:Todo:write"),
        ("reader", "table:Todo:read"),
    ] {
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
        std::fs::write(app.join(format!("hoist/function/{name}/index.py")), TABLE).unwrap();
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
    let wrote = trigger("writer", r#"{"write": "from the writer"}"#);
    assert_eq!(wrote["wrote"], "ok", "{wrote}");
    assert!(
        wrote["table"]
            .as_str()
            .is_some_and(|t| t.starts_with("main."))
            && wrote["arn"].as_str().is_some_and(
                |a| a.ends_with(&format!(":table/{}", wrote["table"].as_str().unwrap()))
            ),
        "{wrote}"
    );
    assert_eq!(
        wrote["names"],
        serde_json::json!(["from the writer"]),
        "{wrote}"
    );
    // a table its policy does not name: refused as IAM refuses
    assert_eq!(wrote["elsewhere"], "AccessDeniedException", "{wrote}");

    // the reader may read what the writer wrote, and may not write
    let read = trigger(
        "reader",
        r#"{"write": "from the reader", "transact": "by the reader"}"#,
    );
    assert_eq!(read["wrote"], "AccessDeniedException", "{read}");
    // a transaction is judged item by item (its UpdateItem here)
    assert_eq!(read["transacted"], "AccessDeniedException", "{read}");
    let moved = trigger("writer", r#"{"transact": "from the writer"}"#);
    assert_eq!(moved["transacted"], "ok", "{moved}");
    assert_eq!(
        read["names"],
        serde_json::json!(["from the writer"]),
        "{read}"
    );

    // the same table the api's resolvers read
    let outputs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(app.join("amplify_outputs.json")).unwrap())
            .unwrap();
    let key = outputs["data"]["api_key"].as_str().unwrap().to_string();
    let (_, body) = running.post(
        &[("x-api-key", key.as_str())],
        r#"{"query":"{ getTodo(id: \"from-function\") { name } }"}"#,
    );
    assert_eq!(body["data"]["getTodo"]["name"], "from the writer", "{body}");
    running.stop();
}
