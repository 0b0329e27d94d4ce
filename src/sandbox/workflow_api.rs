//! The workflows' REST endpoints in the sandbox (`api` in `[workflow.NAME]`),
//! on the sandbox's port as they are on the deployed REST API's stage:
//! `POST /workflows/<name>` starts the workflow with the JSON body as input
//! and answers as API Gateway's integration with Step Functions does
//! (Standard: `StartExecution`'s `{"executionArn", "startDate"}`; Express:
//! the execution's `{"status", "output", "error"}`); a workflow that waits
//! for task tokens also takes `POST /workflows/<name>/task-success` and
//! `/task-failure` (`SendTaskSuccess`, `SendTaskFailure`). Authorized as
//! deployed: `user-pool` takes an ID token of the sandbox's user pool in
//! `Authorization` (any user); `iam` a SigV4 signature (service
//! `execute-api`) by the roles `start_by` names, or the administrator's.
//! The status codes and messages of a refusal are API Gateway's ("Amazon
//! API Gateway error responses"; "Control access to a REST API with Amazon
//! Cognito user pools as an authorizer").

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::auth::Signed;
use super::server::{Endpoint, LogLine};
use super::workflows::LocalMachine;
use crate::category::workflow::triggers::{ANSWERS, ApiAuth};

/// API Gateway's longest wait for an integration ("Amazon API Gateway
/// quotas": 29 seconds).
const INTEGRATION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(29);

fn answer(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `POST /workflows/{name}`: start it.
pub async fn start(
    State(endpoint): State<Arc<Endpoint>>,
    Path(name): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve(&endpoint, &name, None, &uri, &headers, body).await
}

/// `POST /workflows/{name}/{answer}`: answer a task token.
pub async fn respond(
    State(endpoint): State<Arc<Endpoint>>,
    Path((name, path)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve(&endpoint, &name, Some(&path), &uri, &headers, body).await
}

async fn serve(
    endpoint: &Endpoint,
    name: &str,
    path: Option<&str>,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> Response {
    let started = std::time::Instant::now();
    let (response, operation, auth) = call(endpoint, name, path, uri, headers, body).await;
    let errors = if response.status().is_success() {
        Vec::new()
    } else {
        vec![
            json!({ "errorType": response.status().as_u16().to_string(), "message": format!("POST {}", uri.path()) }),
        ]
    };
    endpoint.log(&LogLine {
        kind: "rest",
        operation,
        auth,
        elapsed: started.elapsed(),
        errors,
    });
    response
}

async fn call(
    endpoint: &Endpoint,
    name: &str,
    path: Option<&str>,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> (Response, &'static str, &'static str) {
    let host = endpoint.workflows.clone();
    let machine: Option<LocalMachine> = host
        .as_ref()
        .and_then(|h| h.machines().find(|m| m.workflow == name).cloned())
        .filter(|m| m.api.is_some());
    let action = match path {
        None => Some("StartExecution"),
        Some(p) => ANSWERS
            .iter()
            .find(|(a, _)| *a == p)
            .map(|(_, action)| *action),
    };
    let (Some(host), Some(machine), Some(action)) = (host, machine, action) else {
        let known = endpoint
            .workflows
            .iter()
            .flat_map(|h| h.machines())
            .filter(|m| m.api.is_some())
            .map(|m| format!("/workflows/{}", m.workflow))
            .collect::<Vec<_>>();
        return (
            answer(
                StatusCode::NOT_FOUND,
                json!({ "message": format!(
                    "no endpoint at {}: the sandbox serves the REST endpoints of the workflows with an `api` trigger ({}), and `/task-success`, `/task-failure` under those that wait for task tokens",
                    uri.path(),
                    if known.is_empty() { "none has one".to_string() } else { known.join(", ") }
                ) }),
            ),
            "unknown",
            "none",
        );
    };
    let operation: &'static str = match (action, machine.kind) {
        ("StartExecution", crate::category::workflow::MachineType::Express) => "StartSyncExecution",
        (a, _) => a,
    };
    if path.is_some() && !machine.answers {
        return (
            answer(
                StatusCode::NOT_FOUND,
                json!({ "message": format!("the workflow `{name}` waits for no task token: its endpoint answers none") }),
            ),
            operation,
            "none",
        );
    }
    // authorized as deployed
    let lookup = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let auth = match machine.api {
        Some(ApiAuth::UserPool) => {
            let token = lookup("authorization").unwrap_or_default();
            if !endpoint.authority.user_pool_id_token(token) {
                return (
                    answer(
                        StatusCode::UNAUTHORIZED,
                        json!({ "message": "Unauthorized" }),
                    ),
                    operation,
                    "user-pool",
                );
            }
            "user-pool"
        }
        _ => {
            let signed = Signed {
                method: "POST",
                path: uri.path(),
                query: uri.query().unwrap_or_default(),
                body: &body,
            };
            let method = format!(
                "arn:aws:execute-api:{}:{}:sandbox/{}/POST{}",
                endpoint.authority.region(),
                super::auth::ACCOUNT_ID,
                machine
                    .name
                    .strip_prefix(&format!("{}-", machine.workflow))
                    .unwrap_or_default(),
                uri.path()
            );
            match endpoint
                .authority
                .signed_role(lookup, signed, "execute-api")
            {
                Ok(None) => {}
                Ok(Some(role)) if machine.api_callers.contains(&role) => {}
                Ok(Some(role)) => {
                    return (
                        answer(
                            StatusCode::FORBIDDEN,
                            json!({ "Message": format!("User: {role} is not authorized to perform: execute-api:Invoke on resource: {method} (the roles `start_by` names may call it)") }),
                        ),
                        operation,
                        "sigv4",
                    );
                }
                Err(denied) => {
                    let message = if lookup("authorization").is_none() {
                        "Missing Authentication Token".to_string()
                    } else {
                        denied.message
                    };
                    return (
                        answer(StatusCode::FORBIDDEN, json!({ "message": message })),
                        operation,
                        "sigv4",
                    );
                }
            }
            "sigv4"
        }
    };
    // JSON bodies only, as the deployed request templates take
    let json_body = lookup("content-type")
        .map(|c| c.split(';').next().unwrap_or_default().trim())
        .is_none_or(|c| c.eq_ignore_ascii_case("application/json"));
    if !json_body {
        return (
            answer(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                json!({ "message": "Unsupported Media Type" }),
            ),
            operation,
            auth,
        );
    }
    let text = if body.is_empty() {
        "{}".to_string()
    } else {
        String::from_utf8_lossy(&body).into_owned()
    };
    let parsed: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            return (
                answer(
                    StatusCode::BAD_REQUEST,
                    json!({ "message": format!("the body is not JSON: {e}") }),
                ),
                operation,
                auth,
            );
        }
    };
    let request = match operation {
        "SendTaskSuccess" => json!({
            "taskToken": parsed["taskToken"],
            "output": parsed.get("output").map(Value::to_string),
        }),
        "SendTaskFailure" => json!({
            "taskToken": parsed["taskToken"],
            "error": parsed.get("error"),
            "cause": parsed.get("cause"),
        }),
        _ => json!({ "stateMachineArn": machine.arn, "input": parsed.to_string() }),
    };
    // a synchronous start waits for the execution's end: off the async
    // workers, and, as API Gateway does, no longer than its 29 seconds (the
    // execution goes on)
    let call = tokio::task::spawn_blocking(move || host.call(operation, &request));
    let Ok(joined) = tokio::time::timeout(INTEGRATION_TIMEOUT, call).await else {
        return (
            answer(
                StatusCode::GATEWAY_TIMEOUT,
                json!({ "message": "Endpoint request timed out" }),
            ),
            operation,
            auth,
        );
    };
    let result = joined.unwrap_or_else(|_| {
        Err(super::workflows::SfnError {
            kind: "ServiceException",
            message: "the sandbox failed on this request (a bug in hoist; please report it)".into(),
        })
    });
    let response = match result {
        // an Express execution's status, output and error; not its input,
        // cause or ARNs
        Ok(v) if operation == "StartSyncExecution" => {
            let mut out = json!({ "status": v["status"] });
            if let Some(output) = v["output"]
                .as_str()
                .and_then(|o| serde_json::from_str::<Value>(o).ok())
            {
                out["output"] = output;
            }
            if let Some(error) = v.get("error").filter(|e| !e.is_null()) {
                out["error"] = error.clone();
            }
            answer(StatusCode::OK, out)
        }
        Ok(v) => answer(StatusCode::OK, v),
        Err(e) => answer(
            StatusCode::BAD_REQUEST,
            json!({ "__type": e.kind, "message": e.message }),
        ),
    };
    (response, operation, auth)
}
