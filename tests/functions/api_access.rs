//! `--access api:query`: a function calls the api with its role's
//! credentials, signed by botocore as Amplify's Python example signs them,
//! and the sandbox judges it as AppSync would: its IAM policy allows the
//! Query fields only, and the resolvers admit it as an IAM principal
//! (never an identity pool guest).

use super::common;
use common::callers::{sandbox_credentials, sigv4_headers};
use common::functions::{run_in, sandbox_app};
use common::{Sandbox, flat, stderr_of};

const REPORT: &str = r#"import json
import os
import urllib.error
import urllib.request

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

URL = os.environ["API_MAIN_GRAPHQLAPIENDPOINTOUTPUT"]


def call(query):
    body = json.dumps({"query": query})
    request = AWSRequest(method="POST", url=URL, data=body,
                         headers={"content-type": "application/json"})
    SigV4Auth(boto3.Session().get_credentials(), "appsync", os.environ["REGION"]).add_auth(request)
    sent = urllib.request.Request(URL, data=body.encode(), headers=dict(request.headers), method="POST")
    try:
        with urllib.request.urlopen(sent) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as e:
        return {"status": e.code, "body": json.loads(e.read() or b"null")}


def handler(event, context):
    return {
        "api_id": os.environ.get("API_MAIN_GRAPHQLAPIIDOUTPUT"),
        "listed": call("query { listTodos { items { name } } }"),
        "created": call('mutation { createTodo(input: {name: "by report"}) { id } }'),
    }
"#;

#[test]
fn a_function_with_api_access_calls_the_api_as_its_policy_allows() {
    let sb = Sandbox::new();
    let app = sandbox_app(&sb);
    let run = |args: &[&str]| run_in(&sb, &app, args);
    run(&["add", "auth", "--yes", "-q"]);
    run(&[
        "add",
        "api",
        "--template",
        "todo",
        "--auth",
        "api-key",
        "--yes",
        "-q",
    ]);
    // without the IAM mode, a function could not be let in: refused, and why
    let before = std::fs::read_to_string(app.join("hoist.toml")).unwrap();
    let out = sb
        .hoist_in(&app)
        .args(["add", "function", "report", "--runtime", "python"])
        .args(["--access", "api:query", "--yes"])
        .output()
        .unwrap();
    let said = flat(&stderr_of(&out, &sb));
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("takes no IAM requests"), "{said}");
    assert!(said.contains("--additional-auth iam"), "{said}");
    assert_eq!(
        std::fs::read_to_string(app.join("hoist.toml")).unwrap(),
        before
    );
    run(&["update", "api", "main", "--additional-auth", "iam"]);
    run(&[
        "add",
        "function",
        "report",
        "--runtime",
        "python",
        "--access",
        "api:query",
        "--yes",
        "-q",
    ]);
    std::fs::write(
        app.join("hoist/function/report/requirements.txt"),
        "boto3\n",
    )
    .unwrap();
    std::fs::write(app.join("hoist/function/report/index.py"), REPORT).unwrap();

    // deployed: the role may call the api's Query fields, the schema lets
    // IAM callers reach the model, and the resolvers admit principals
    run(&["synth", "-q"]);
    let build = app.join(".hoist/build/dev");
    let function = std::fs::read_to_string(build.join("function-report.template.json")).unwrap();
    assert!(function.contains("/types/Query/*"), "{function}");
    assert!(!function.contains("/types/Mutation/"), "{function}");
    let schema = files_under(&build)
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "graphql"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .expect("the api's schema among the build's files");
    assert!(
        schema.contains("type Todo @aws_iam @aws_api_key"),
        "{schema}"
    );

    let running = common::running::Running::start(&sb, &app, &["--port", "0"]);
    let outputs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(app.join("amplify_outputs.json")).unwrap())
            .unwrap();
    let key = outputs["data"]["api_key"].as_str().unwrap().to_string();
    let (status, body) = running.post(
        &[("x-api-key", key.as_str())],
        r#"{"query":"mutation { createTodo(input: {name: \"by key\"}) { id } }"}"#,
    );
    assert_eq!(status, 200, "{body}");

    let out = sb
        .hoist_in(&app)
        .args(["sandbox", "trigger", "report", "--event", "{}"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out, &sb));
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        answer["api_id"].as_str().map(str::len),
        Some(26),
        "{answer}"
    );
    assert_eq!(
        answer["listed"]["data"]["listTodos"]["items"][0]["name"], "by key",
        "{answer}"
    );
    // its policy grants Query only: the mutation is refused, nothing written
    assert_eq!(
        answer["created"]["errors"][0]["errorType"], "Unauthorized",
        "{answer}"
    );
    assert_eq!(
        answer["created"]["errors"][0]["message"],
        "Not Authorized to access createTodo on type Mutation",
        "{answer}"
    );
    let (_, body) = running.post(
        &[("x-api-key", key.as_str())],
        r#"{"query":"{ listTodos { items { name } } }"}"#,
    );
    assert_eq!(
        body["data"]["listTodos"]["items"].as_array().map(Vec::len),
        Some(1),
        "{body}"
    );

    // an identity pool guest is an IAM caller too, but no principal: the
    // model's rules (the API key's) leave it out
    let guest = sandbox_credentials(&sb, &app, &["--guest"]);
    let c = &guest["Credentials"];
    let query = r#"{"query":"{ listTodos { items { name } } }"}"#;
    let headers = sigv4_headers(running.port, c, c["SecretKey"].as_str().unwrap(), query);
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (_, body) = running.post(&headers, query);
    assert_eq!(body["errors"][0]["errorType"], "Unauthorized", "{body}");
    running.stop();
}

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}
