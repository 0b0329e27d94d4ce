//! The sandbox's Step Functions endpoint: `POST /` with `X-Amz-Target:
//! AWSStepFunctions.<Operation>` (AWS JSON 1.0), answered by the project's
//! workflows ([`super::workflows::WorkflowHost::call`]). Signed (SigV4,
//! service `states`) with the sandbox administrator's credentials (`hoist
//! sandbox credentials --admin`), as `hoist workflow ... --sandbox` signs:
//! the endpoint listens where any local web page could reach it.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::auth::Signed;
use super::server::{Endpoint, LogLine};

/// An error of AWS JSON 1.0: status 400, `__type` and `message`.
fn sfn_error(kind: &str, message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [
            (header::CONTENT_TYPE, "application/x-amz-json-1.0"),
            (header::HeaderName::from_static("x-amzn-errortype"), kind),
        ],
        json!({ "__type": kind, "message": message }).to_string(),
    )
        .into_response()
}

/// One Step Functions call to the sandbox.
pub async fn handle(
    endpoint: &Endpoint,
    operation: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> Response {
    let started = std::time::Instant::now();
    let (response, errors) = answer(endpoint, operation, uri, headers, body).await;
    endpoint.log(&LogLine {
        kind: "states",
        operation,
        auth: "sigv4",
        elapsed: started.elapsed(),
        errors,
    });
    response
}

async fn answer(
    endpoint: &Endpoint,
    operation: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> (Response, Vec<Value>) {
    let refuse = |kind: &str, message: &str| {
        (
            sfn_error(kind, message),
            vec![json!({ "errorType": kind, "message": message })],
        )
    };
    let lookup = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let signed = Signed {
        method: "POST",
        path: uri.path(),
        query: uri.query().unwrap_or_default(),
        body: &body,
    };
    let role = match endpoint.authority.signed_role(lookup, signed, "states") {
        Ok(role) => role,
        Err(denied) => return refuse("AccessDeniedException", &denied.message),
    };
    let Some(host) = endpoint.workflows.clone() else {
        return refuse(
            "StateMachineDoesNotExist",
            "the project has no workflows (hoist add workflow)",
        );
    };
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return refuse(
                "SerializationException",
                &format!("the body is not JSON: {e}"),
            );
        }
    };
    // the app's and functions' credentials start the machines their role's
    // policy names (`start_by`, `--access workflow:NAME:start`), and no more
    if let Some(role) = role {
        let machine = request["stateMachineArn"].as_str().unwrap_or_default();
        let starts = matches!(operation, "StartExecution" | "StartSyncExecution");
        if !starts || !host.may_start(&role, machine) {
            return refuse(
                "AccessDeniedException",
                &format!(
                    "User: {role} is not authorized to perform: states:{operation} on resource: {machine} (the sandbox's roles may start the workflows whose `start_by` names them, and functions those their `--access workflow:NAME:start` names; the administrator's credentials, `hoist sandbox credentials --admin`, may do everything)"
                ),
            );
        }
    }
    let operation = operation.to_string();
    // a synchronous start waits for the execution's end: off the async workers
    let result = tokio::task::spawn_blocking(move || host.call(&operation, &request))
        .await
        .unwrap_or_else(|_| {
            Err(super::workflows::SfnError {
                kind: "ServiceException",
                message: "the sandbox failed on this request (a bug in hoist; please report it)"
                    .into(),
            })
        });
    match result {
        Ok(v) => (
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/x-amz-json-1.0")],
                v.to_string(),
            )
                .into_response(),
            Vec::new(),
        ),
        Err(e) => refuse(e.kind, &e.message),
    }
}
