//! The sandbox's Lambda Invoke API (`POST
//! /2015-03-31/functions/{FunctionName}/invocations`, "Invoke", AWS Lambda
//! API Reference), for the project's functions, so that the AWS SDKs (and
//! `hoist sandbox trigger`) call them as they would call Lambda. Only the
//! sandbox administrator's SigV4 credentials (`hoist sandbox credentials
//! --admin`) may invoke: the endpoint listens where any local web page could
//! reach it.
//!
//! The function is named as Lambda knows it (`greet-dev`), or by its ARN;
//! `X-Amz-Invocation-Type` is `RequestResponse` (the default: 200 and the
//! answer; a function's error is 200 with `X-Amz-Function-Error: Unhandled`
//! and `{"errorType", "errorMessage"}`), `Event` (202, run in the
//! background) or `DryRun` (204). Errors are Lambda's: 404
//! `ResourceNotFoundException`, 400 `InvalidRequestContentException` for a
//! body that is not JSON, 413 `RequestTooLargeException` past 6 MB, 403 for
//! a refused signature.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::auth::Signed;
use super::server::{Endpoint, LogLine};

/// Lambda's largest synchronous request payload (6 MB, "Lambda quotas").
pub const MAX_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;
/// The longest a synchronous invocation is waited for: Lambda's longest
/// timeout (900 s); each function's own timeout applies within it.
const LONGEST_WAIT: Duration = Duration::from_secs(900);

/// A Lambda error as the REST JSON protocol carries it: the status, the
/// type in `x-amzn-errortype` and the body's `Type` and `message`.
fn lambda_error(status: StatusCode, kind: &str, message: &str) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (
                header::HeaderName::from_static("x-amzn-errortype"),
                kind.to_string(),
            ),
        ],
        json!({ "Type": "User", "message": message }).to_string(),
    )
        .into_response()
}

/// The function name of a path parameter: a name, or an ARN
/// (`arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`).
fn function_name(given: &str) -> String {
    super::api::function_name(given)
}

pub async fn invoke(
    State(endpoint): State<Arc<Endpoint>>,
    Path(given): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let name = function_name(&given);
    let (response, errors) = answer(&endpoint, &name, &uri, &headers, body).await;
    endpoint.log(&LogLine {
        kind: "lambda",
        operation: &format!("Invoke {name}"),
        auth: "admin",
        elapsed: started.elapsed(),
        errors,
    });
    response
}

async fn answer(
    endpoint: &Endpoint,
    name: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> (Response, Vec<Value>) {
    let refuse = |status, kind: &str, message: &str| {
        (
            lambda_error(status, kind, message),
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
    if let Err(denied) = endpoint.authority.admin(lookup, signed, "lambda") {
        return refuse(
            StatusCode::FORBIDDEN,
            "AccessDeniedException",
            &denied.message,
        );
    }
    let Some(host) = endpoint.functions.clone() else {
        return refuse(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            &format!("Function not found: {name} (the project has no functions)"),
        );
    };
    if host.resolve(name).is_none() {
        return refuse(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            &format!(
                "Function not found: {name} (the sandbox knows the project's functions as `<name>-<env>`; one added while it runs needs a restart)"
            ),
        );
    }
    if body.len() > MAX_PAYLOAD_BYTES {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestTooLargeException",
            &format!(
                "Request must be smaller than {MAX_PAYLOAD_BYTES} bytes for the InvokeFunction operation"
            ),
        );
    }
    let event: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequestContentException",
                    &format!("Could not parse request body into json: {e}"),
                );
            }
        }
    };
    match lookup("x-amz-invocation-type").unwrap_or("RequestResponse") {
        "DryRun" => (StatusCode::NO_CONTENT.into_response(), Vec::new()),
        "Event" => {
            let name = name.to_string();
            std::thread::spawn(move || {
                if let Err(e) = host.invoke(&name, event, LONGEST_WAIT) {
                    eprintln!(
                        "function {name} | failed on an asynchronous invocation: {}: {}",
                        e.error_type, e.message
                    );
                }
            });
            (StatusCode::ACCEPTED.into_response(), Vec::new())
        }
        "RequestResponse" => {
            let name = name.to_string();
            let outcome =
                tokio::task::spawn_blocking(move || host.invoke(&name, event, LONGEST_WAIT)).await;
            match outcome {
                Ok(Ok(value)) => (
                    (
                        StatusCode::OK,
                        [(header::CONTENT_TYPE, "application/json")],
                        value.to_string(),
                    )
                        .into_response(),
                    Vec::new(),
                ),
                Ok(Err(e)) if e.error_type == "ServiceException" => refuse(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "ServiceException",
                    &e.message,
                ),
                Ok(Err(e)) => (
                    (
                        StatusCode::OK,
                        [
                            (header::CONTENT_TYPE, "application/json"),
                            (
                                header::HeaderName::from_static("x-amz-function-error"),
                                "Unhandled",
                            ),
                        ],
                        json!({ "errorType": e.error_type, "errorMessage": e.message }).to_string(),
                    )
                        .into_response(),
                    vec![json!({ "errorType": e.error_type, "message": e.message })],
                ),
                Err(_) => refuse(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "ServiceException",
                    "the sandbox failed on this invocation (a bug in hoist; please report it)",
                ),
            }
        }
        other => refuse(
            StatusCode::BAD_REQUEST,
            "InvalidParameterValueException",
            &format!(
                "X-Amz-Invocation-Type `{other}` is not one of RequestResponse, Event, DryRun"
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_function_is_named_by_name_or_arn() {
        assert_eq!(function_name("greet-dev"), "greet-dev");
        assert_eq!(
            function_name("arn:aws:lambda:us-east-1:000000000000:function:greet-dev"),
            "greet-dev"
        );
        assert_eq!(
            function_name("arn:aws:lambda:us-east-1:000000000000:function:greet-dev:$LATEST"),
            "greet-dev"
        );
    }
}
