//! The sandbox's HTTP and WebSocket endpoint, on axum: `POST /graphql` with
//! AppSync's request and response shapes, and `/graphql/realtime` speaking
//! AppSync's real-time WebSocket protocol (AWS AppSync Developer Guide,
//! "Building a real-time WebSocket client": the `graphql-ws` subprotocol;
//! `connection_init`, `connection_ack`, `ka`, `start`, `start_ack`, `data`,
//! `error`, `stop`, `complete`; authorization in the `header` query parameter,
//! a `header-<base64url>` subprotocol, and `start`'s
//! `extensions.authorization`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

use super::auth::{Authority, Signed};
use super::cognito::UserPool;
use super::graphql::{RequestAuth, appsync_body};
use crate::category::api::AuthMode;

/// AppSync's largest request body (AWS AppSync quotas: 1 MB per request; a
/// real-time message is limited to 240 KB).
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024;
const MAX_MESSAGE_BYTES: usize = 240 * 1024;
/// How often the server sends `ka` on a real-time connection.
const KEEP_ALIVE: Duration = Duration::from_secs(60);
/// The `connectionTimeoutMs` sent in `connection_ack` (AppSync sends 300000).
const CONNECTION_TIMEOUT_MS: u64 = 300_000;
/// Subscriptions one connection may hold (AppSync's quota: 100).
const MAX_SUBSCRIPTIONS: usize = 100;
/// Messages waiting for a client that does not read; past this the
/// connection is closed rather than kept growing.
const MAX_QUEUED_MESSAGES: usize = 1000;

/// How request lines are printed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LogFormat {
    Text,
    Json,
    Off,
}

/// What the endpoint serves; the schema is swapped when the api changes.
pub struct Endpoint {
    pub schema: RwLock<Arc<async_graphql::dynamic::Schema>>,
    pub authority: Authority,
    pub log: LogFormat,
    /// The local Cognito user pool, when the project has auth.
    pub user_pool: Option<Arc<UserPool>>,
    /// The local Cognito identity pool, when the project has auth.
    pub identity_pool: Option<Arc<super::identity::IdentityPool>>,
    /// The project's functions, for Lambda's Invoke API, when it has any.
    pub functions: Option<super::functions::FunctionHost>,
    /// The project's workflows, for Step Functions' API, when it has any.
    pub workflows: Option<super::workflows::WorkflowHost>,
    /// The api's tables, for DynamoDB's API (the functions' table access).
    pub tables: Option<super::ddb_api::Tables>,
    /// What the functions' roles may call on the user pool (`--access
    /// auth:read|manage`), besides the administrator.
    pub pool_policies: super::role_policy::RolePolicies,
}

impl Endpoint {
    fn schema(&self) -> Arc<async_graphql::dynamic::Schema> {
        match self.schema.read() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Replace the schema served (live reload); requests under way finish on the old one.
    pub fn swap(&self, schema: async_graphql::dynamic::Schema) {
        let mut guard = match self.schema.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = Arc::new(schema);
    }

    pub(crate) fn log(&self, line: &LogLine<'_>) {
        match self.log {
            LogFormat::Off => {}
            LogFormat::Json => println!(
                "{}",
                json!({
                    "kind": line.kind, "operation": line.operation, "auth": line.auth,
                    "ms": (line.elapsed.as_secs_f64() * 1e6).round() / 1e3,
                    "errors": line.errors,
                })
            ),
            LogFormat::Text => {
                let errors = if line.errors.is_empty() {
                    "ok".to_string()
                } else {
                    line.errors
                        .iter()
                        .map(|e| {
                            format!(
                                "{}: {}",
                                e["errorType"].as_str().unwrap_or("Error"),
                                // one line per request, whatever the message's layout
                                e["message"]
                                    .as_str()
                                    .unwrap_or_default()
                                    .split_whitespace()
                                    .collect::<Vec<_>>()
                                    .join(" ")
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                };
                println!(
                    "{:<12} {:<28} {:<26} {:>8.1} ms  {errors}",
                    line.kind,
                    line.operation,
                    line.auth,
                    line.elapsed.as_secs_f64() * 1e3
                );
            }
        }
    }
}

/// One request's line in the sandbox's output.
pub(crate) struct LogLine<'a> {
    pub kind: &'a str,
    pub operation: &'a str,
    pub auth: &'a str,
    pub elapsed: Duration,
    /// `{"errorType", "message"}` of each error.
    pub errors: Vec<Value>,
}

/// The app: routes, a body limit, and CORS open to any origin as AppSync's is.
pub fn router(endpoint: Arc<Endpoint>) -> Router {
    let cors = tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods(tower_http::cors::Any)
        .allow_headers(tower_http::cors::Any)
        .expose_headers(tower_http::cors::Any);
    Router::new()
        .route("/", post(aws_json))
        .route("/{pool}/.well-known/jwks.json", get(jwks))
        .route("/graphql", post(graphql))
        .route("/workflows/{name}", post(super::workflow_api::start))
        .route(
            "/workflows/{name}/{answer}",
            post(super::workflow_api::respond),
        )
        .route("/graphql/realtime", get(realtime))
        .route(
            "/2015-03-31/functions/{function}/invocations",
            post(super::lambda::invoke)
                .layer(DefaultBodyLimit::max(super::lambda::MAX_PAYLOAD_BYTES + 1)),
        )
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .layer(cors)
        .with_state(endpoint)
}

/// An error of the AWS JSON protocol: status 400, `__type` and `message`,
/// and the type in `x-amzn-errortype` (AWS JSON 1.1, as Cognito answers).
fn aws_json_error(kind: &str, message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [
            (header::CONTENT_TYPE, "application/x-amz-json-1.1"),
            (header::HeaderName::from_static("x-amzn-errortype"), kind),
        ],
        json!({"__type": kind, "message": message}).to_string(),
    )
        .into_response()
}

/// `POST /` with `X-Amz-Target`: the AWS services the sandbox runs, by target
/// (`AWSCognitoIdentityProviderService.*`: the user pool; `DynamoDB_20120810.*`:
/// the api's tables).
async fn aws_json(
    State(endpoint): State<Arc<Endpoint>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if let Some(operation) = target.strip_prefix("AWSStepFunctions.") {
        return super::sfn::handle(&endpoint, operation, &uri, &headers, body).await;
    }
    if let Some(operation) = target.strip_prefix("DynamoDB_20120810.") {
        return super::ddb_api::handle(&endpoint, operation, &uri, &headers, body).await;
    }
    if let Some(operation) = target.strip_prefix("AWSCognitoIdentityService.") {
        let Some(identities) = endpoint.identity_pool.clone() else {
            return aws_json_error(
                "ResourceNotFoundException",
                "this project has no identity pool (hoist add auth)",
            );
        };
        let parsed: Value = match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => {
                return aws_json_error(
                    "SerializationException",
                    &format!("the body is not JSON: {e}"),
                );
            }
        };
        let result = identities.call(&endpoint.authority, operation, &parsed);
        endpoint.log(&LogLine {
            kind: "identity",
            operation,
            auth: "-",
            elapsed: started.elapsed(),
            errors: match &result {
                Ok(_) => Vec::new(),
                Err(e) => vec![json!({"errorType": e.kind, "message": e.message})],
            },
        });
        return match result {
            Ok(v) => (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/x-amz-json-1.1")],
                v.to_string(),
            )
                .into_response(),
            Err(e) => aws_json_error(e.kind, &e.message),
        };
    }
    let Some(operation) = target.strip_prefix("AWSCognitoIdentityProviderService.") else {
        return aws_json_error(
            "UnknownOperationException",
            &format!("the sandbox runs no service for X-Amz-Target `{target}`"),
        );
    };
    let Some(pool) = endpoint.user_pool.clone() else {
        return aws_json_error(
            "ResourceNotFoundException",
            "this project has no user pool (hoist add auth)",
        );
    };
    if super::cognito::is_admin_operation(operation) {
        let lookup = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let signed = Signed {
            method: "POST",
            path: uri.path(),
            query: uri.query().unwrap_or_default(),
            body: &body,
        };
        // the administrator, or a function's role its statements allow
        let allowed = match endpoint.authority.admin(lookup, signed, "cognito-idp") {
            Ok(()) => Ok(()),
            Err(denied) => {
                match endpoint
                    .authority
                    .signed_role(lookup, signed, "cognito-idp")
                {
                    Ok(Some(role)) => {
                        let action = format!("cognito-idp:{operation}");
                        let resource =
                            super::cognito::pool_arn(endpoint.authority.region(), &pool.pool_id);
                        if endpoint
                            .pool_policies
                            .allows(&role, &[(action.clone(), resource.clone())])
                        {
                            Ok(())
                        } else {
                            let user = endpoint.pool_policies.user(&role);
                            let message = format!(
                                "User: {user} is not authorized to perform: {action} on resource: {resource} (a function's role may call what its `--access auth:read|manage` grants)"
                            );
                            endpoint.log(&LogLine { kind: "cognito", operation, auth: "sigv4", elapsed: started.elapsed(), errors: vec![json!({"errorType": "AccessDeniedException", "message": message})] });
                            return aws_json_error("AccessDeniedException", &message);
                        }
                    }
                    _ => Err(denied),
                }
            }
        };
        if let Err(denied) = allowed {
            endpoint.log(&LogLine {
                kind: "cognito",
                operation,
                auth: "-",
                elapsed: started.elapsed(),
                errors: vec![
                    json!({"errorType": "NotAuthorizedException", "message": denied.message}),
                ],
            });
            return aws_json_error("NotAuthorizedException", &denied.message);
        }
    }
    let parsed: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return aws_json_error(
                "SerializationException",
                &format!("the body is not JSON: {e}"),
            );
        }
    };
    let operation = operation.to_string();
    let op = operation.clone();
    // SRP's arithmetic takes milliseconds: off the async workers
    let result = tokio::task::spawn_blocking(move || pool.call(&op, &parsed))
        .await
        .unwrap_or_else(|_| {
            Err(super::cognito::CognitoError {
                kind: "InternalErrorException",
                message: "the sandbox failed on this request (a bug in hoist; please report it)"
                    .into(),
            })
        });
    let errors = match &result {
        Ok(_) => Vec::new(),
        Err(e) => vec![json!({"errorType": e.kind, "message": e.message})],
    };
    endpoint.log(&LogLine {
        kind: "cognito",
        operation: &operation,
        auth: "-",
        elapsed: started.elapsed(),
        errors,
    });
    match result {
        Ok(v) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/x-amz-json-1.1")],
            v.to_string(),
        )
            .into_response(),
        Err(e) => aws_json_error(e.kind, &e.message),
    }
}

/// The user pool's signing keys, where Cognito publishes them.
async fn jwks(
    State(endpoint): State<Arc<Endpoint>>,
    axum::extract::Path(pool): axum::extract::Path<String>,
) -> Response {
    match &endpoint.user_pool {
        Some(p) if p.pool_id == pool => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            p.jwks().to_string(),
        )
            .into_response(),
        _ => (StatusCode::NOT_FOUND, "no such user pool").into_response(),
    }
}

fn appsync_error(status: StatusCode, error_type: &str, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({"errors": [{"errorType": error_type, "message": message}]}).to_string(),
    )
        .into_response()
}

/// The operation's name for the log: its `operationName`, else its first field.
fn operation_name(query: &str, given: Option<&str>) -> String {
    if let Some(name) = given.filter(|n| !n.is_empty()) {
        return name.to_string();
    }
    let body = query.split_once('{').map(|(_, b)| b).unwrap_or("");
    body.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .find(|w| !w.is_empty())
        .unwrap_or("?")
        .to_string()
}

/// A GraphQL request body: `query`, `variables`, `operationName`.
fn parse_request(body: &Value) -> Result<async_graphql::Request, String> {
    let query = body
        .get("query")
        .and_then(Value::as_str)
        .ok_or("the request has no `query` string")?;
    let mut request = async_graphql::Request::new(query);
    match body.get("variables") {
        None | Some(Value::Null) => {}
        Some(v @ Value::Object(_)) => {
            request = request.variables(async_graphql::Variables::from_json(v.clone()))
        }
        Some(_) => return Err("`variables` must be an object".into()),
    }
    if let Some(name) = body.get("operationName").and_then(Value::as_str) {
        request = request.operation_name(name);
    }
    Ok(request)
}

fn mode_name(mode: AuthMode) -> &'static str {
    mode.appsync()
}

async fn graphql(
    State(endpoint): State<Arc<Endpoint>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let lookup = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let signed = Signed {
        method: "POST",
        path: uri.path(),
        query: uri.query().unwrap_or_default(),
        body: &body,
    };
    let (mode, caller) = match endpoint.authority.caller(lookup, Some(signed)) {
        Ok(c) => c,
        Err(denied) => {
            endpoint.log(&LogLine {
                kind: "refused",
                operation: "-",
                auth: "-",
                elapsed: started.elapsed(),
                errors: vec![
                    json!({"errorType": "UnauthorizedException", "message": denied.message}),
                ],
            });
            return appsync_error(
                StatusCode::UNAUTHORIZED,
                "UnauthorizedException",
                &denied.message,
            );
        }
    };
    let malformed = |message: String| {
        endpoint.log(&LogLine {
            kind: "malformed",
            operation: "-",
            auth: mode_name(mode),
            elapsed: started.elapsed(),
            errors: vec![json!({"errorType": "MalformedHttpRequestException", "message": message})],
        });
        appsync_error(
            StatusCode::BAD_REQUEST,
            "MalformedHttpRequestException",
            &message,
        )
    };
    let parsed: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return malformed(format!("the request body is not JSON: {e}")),
    };
    let request = match parse_request(&parsed) {
        Ok(r) => r,
        Err(message) => return malformed(message),
    };
    let operation = operation_name(
        parsed["query"].as_str().unwrap_or_default(),
        parsed["operationName"].as_str(),
    );
    let auth = Arc::new(RequestAuth::new(mode, caller));
    let response = endpoint.schema().execute(request.data(auth.clone())).await;
    super::graphql::publish(&auth, &response);
    let extra = auth
        .extra_errors
        .lock()
        .map(|mut e| std::mem::take(&mut *e))
        .unwrap_or_default();
    let body = appsync_body(response, extra);
    endpoint.log(&LogLine {
        kind: "graphql",
        operation: &operation,
        auth: mode_name(mode),
        elapsed: started.elapsed(),
        errors: body["errors"].as_array().cloned().unwrap_or_default(),
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// The authorization headers a real-time client sent: base64 JSON in the
/// `header` query parameter, or in a `header-<base64url>` subprotocol.
fn connection_headers(query: &HashMap<String, String>, headers: &HeaderMap) -> Value {
    let decode = |text: &str| {
        let text = text.trim_end_matches('=');
        base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(text)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
    };
    if let Some(v) = query.get("header").and_then(|h| decode(h)) {
        return v;
    }
    headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .into_iter()
        .flat_map(|v| v.split(','))
        .filter_map(|p| p.trim().strip_prefix("header-"))
        .find_map(decode)
        .unwrap_or(Value::Null)
}

/// A header of a JSON headers object, case-insensitively.
fn header_in<'a>(headers: &'a Value, name: &str) -> Option<&'a str> {
    headers.as_object().and_then(|m| {
        m.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_str())
    })
}

fn error_message(id: &str, errors: Value) -> Value {
    json!({"id": id, "type": "error", "payload": {"errors": errors}})
}

async fn realtime(
    State(endpoint): State<Arc<Endpoint>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let auth_headers = connection_headers(&query, &headers);
    ws.protocols(["graphql-ws"])
        .max_message_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| connection(socket, endpoint, auth_headers))
}

/// The messages for one connection's writer; a client that stops reading
/// until [`MAX_QUEUED_MESSAGES`] wait gets its connection closed.
#[derive(Clone)]
struct Outbox(mpsc::Sender<Value>);

impl Outbox {
    fn send(&self, message: Value) -> Result<(), ()> {
        self.0.try_send(message).map_err(|_| ())
    }
}

/// Whether `query` (with `operation_name`) runs a subscription: the only
/// operations AppSync takes on the real-time endpoint.
fn is_subscription(query: &str, operation_name: Option<&str>) -> bool {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let Ok(doc) = async_graphql::parser::parse_query(query) else {
        // a document that does not parse: the execution reports it
        return true;
    };
    match (&doc.operations, operation_name) {
        (DocumentOperations::Single(op), _) => op.node.ty == OperationType::Subscription,
        (DocumentOperations::Multiple(ops), Some(name)) => ops
            .get(name)
            .is_some_and(|op| op.node.ty == OperationType::Subscription),
        (DocumentOperations::Multiple(ops), None) => {
            ops.len() == 1
                && ops
                    .values()
                    .all(|op| op.node.ty == OperationType::Subscription)
        }
    }
}

/// One real-time connection: a writer task, and a task per subscription.
async fn connection(socket: WebSocket, endpoint: Arc<Endpoint>, auth_headers: Value) {
    let (mut sink, mut stream) = socket.split();
    let (out, mut outbox) = mpsc::channel::<Value>(MAX_QUEUED_MESSAGES);
    let out = Outbox(out);
    let writer = tokio::spawn(async move {
        let mut ka = tokio::time::interval(KEEP_ALIVE);
        ka.tick().await;
        let mut acked = false;
        loop {
            tokio::select! {
                message = outbox.recv() => {
                    let Some(message) = message else { break };
                    if message["type"] == "connection_ack" {
                        acked = true;
                    }
                    let close = message["type"] == "connection_error";
                    if sink.send(Message::Text(message.to_string().into())).await.is_err() || close {
                        break;
                    }
                }
                _ = ka.tick(), if acked => {
                    if sink.send(Message::Text(json!({"type": "ka"}).to_string().into())).await.is_err() {
                        break;
                    }
                }
            }
        }
        let _ = sink.close().await;
    });
    let subscriptions: Arc<Mutex<HashMap<String, tokio::task::JoinHandle<()>>>> = Arc::default();
    while let Some(Ok(message)) = stream.next().await {
        let text = match message {
            Message::Text(t) => t.to_string(),
            Message::Close(_) => break,
            _ => continue,
        };
        let Ok(message) = serde_json::from_str::<Value>(&text) else {
            let _ = out.send(json!({"type": "error", "payload": {"errors": [
                {"errorType": "MalformedMessage", "message": "the message is not JSON"}]}}));
            continue;
        };
        let id = message["id"].as_str().unwrap_or_default().to_string();
        match message["type"].as_str().unwrap_or_default() {
            "connection_init" => {
                // AppSync's real-time clients sign the connection as a POST of
                // `{}` to `/graphql/connect`
                let connect = Signed {
                    method: "POST",
                    path: "/graphql/connect",
                    query: "",
                    body: b"{}",
                };
                if let Err(denied) = endpoint
                    .authority
                    .caller(|n| header_in(&auth_headers, n), Some(connect))
                {
                    endpoint.log(&LogLine {
                        kind: "refused",
                        operation: "realtime",
                        auth: "-",
                        elapsed: Duration::ZERO,
                        errors: vec![json!({"errorType": "UnauthorizedException", "message": denied.message})],
                    });
                    let _ = out.send(json!({"type": "connection_error", "payload": {"errors": [
                        {"errorType": "UnauthorizedException", "message": denied.message}]}}));
                    break;
                }
                let _ = out.send(json!({"type": "connection_ack",
                    "payload": {"connectionTimeoutMs": CONNECTION_TIMEOUT_MS}}));
            }
            "start" => {
                let full = subscriptions
                    .lock()
                    .map(|subs| subs.len() >= MAX_SUBSCRIPTIONS && !subs.contains_key(&id))
                    .unwrap_or(true);
                if full {
                    let _ = out.send(error_message(&id, json!([{"errorType": "LimitExceededError",
                        "message": format!("a connection may hold {MAX_SUBSCRIPTIONS} subscriptions")}])));
                    continue;
                }
                let task = start(
                    endpoint.clone(),
                    id.clone(),
                    &message["payload"],
                    &auth_headers,
                    out.clone(),
                );
                if let Ok(mut subs) = subscriptions.lock()
                    && let Some(old) = subs.insert(id, task)
                {
                    old.abort();
                }
            }
            "stop" => {
                if let Ok(mut subs) = subscriptions.lock()
                    && let Some(task) = subs.remove(&id)
                {
                    task.abort();
                }
                let _ = out.send(json!({"id": id, "type": "complete"}));
            }
            other => {
                let _ = out.send(json!({"id": id, "type": "error", "payload": {"errors": [
                    {"errorType": "UnsupportedOperation", "message": format!("unknown message type `{other}`")}]}}));
            }
        }
    }
    if let Ok(mut subs) = subscriptions.lock() {
        for (_, task) in subs.drain() {
            task.abort();
        }
    }
    drop(out);
    let _ = writer.await;
}

/// A `start` message: authorize, subscribe, acknowledge once the subscription
/// is registered (so no event after `start_ack` is missed), then send `data`.
fn start(
    endpoint: Arc<Endpoint>,
    id: String,
    payload: &Value,
    connection_auth: &Value,
    out: Outbox,
) -> tokio::task::JoinHandle<()> {
    let started = Instant::now();
    let data: Option<Value> = payload["data"]
        .as_str()
        .and_then(|d| serde_json::from_str(d).ok());
    let auth_headers = match &payload["extensions"]["authorization"] {
        Value::Object(_) => payload["extensions"]["authorization"].clone(),
        _ => connection_auth.clone(),
    };
    // a subscription is signed as a POST of its `data` to `/graphql`
    let signed_data = payload["data"].as_str().unwrap_or_default();
    let start = Signed {
        method: "POST",
        path: "/graphql",
        query: "",
        body: signed_data.as_bytes(),
    };
    let caller = endpoint
        .authority
        .caller(|n| header_in(&auth_headers, n), Some(start));
    let request = data
        .as_ref()
        .ok_or_else(|| "`payload.data` is not a JSON request".to_string())
        .and_then(parse_request);
    let subscription = data.as_ref().is_some_and(|d| {
        is_subscription(
            d["query"].as_str().unwrap_or_default(),
            d["operationName"].as_str(),
        )
    });
    let early: Result<_, Value> = match (caller, request) {
        (Err(denied), _) => {
            Err(json!([{"errorType": "UnauthorizedException", "message": denied.message}]))
        }
        (_, Err(message)) => Err(json!([{"errorType": "MalformedMessage", "message": message}])),
        (Ok(_), Ok(_)) if !subscription => Err(json!([{"errorType": "UnsupportedOperation",
            "message": "only subscriptions are taken on the real-time endpoint; send queries and mutations to POST /graphql"}])),
        (Ok(c), Ok(r)) => Ok((c, r)),
    };
    let operation = operation_name(
        data.as_ref()
            .and_then(|d| d["query"].as_str())
            .unwrap_or_default(),
        None,
    );
    tokio::spawn(async move {
        let ((mode, caller), request) = match early {
            Ok(x) => x,
            Err(errors) => {
                let _ = out.send(error_message(&id, errors));
                return;
            }
        };
        let (registered_tx, mut registered) = oneshot::channel();
        let auth = Arc::new(RequestAuth::subscriber(mode, caller));
        if let Ok(mut slot) = auth.registered.lock() {
            *slot = Some(registered_tx);
        }
        let schema = endpoint.schema();
        let mut responses = schema.execute_stream(request.data(auth.clone()));
        let mut acked = false;
        loop {
            tokio::select! {
                r = &mut registered, if !acked => {
                    acked = true;
                    if r.is_ok() {
                        let _ = out.send(json!({"id": id, "type": "start_ack"}));
                        endpoint.log(&LogLine { kind: "subscribe", operation: &operation,
                            auth: mode_name(mode), elapsed: started.elapsed(), errors: vec![] });
                    }
                }
                response = responses.next() => {
                    let Some(response) = response else { break };
                    let body = appsync_body(response, Vec::new());
                    match (body.get("data"), body.get("errors")) {
                        (Some(d), errors) if !d.is_null() => {
                            let mut payload = json!({"data": d});
                            if let Some(e) = errors {
                                payload["errors"] = e.clone();
                            }
                            // a client that does not read loses the subscription
                            if out.send(json!({"id": id, "type": "data", "payload": payload})).is_err() {
                                break;
                            }
                        }
                        (_, errors) => {
                            let errors = errors.cloned().unwrap_or(json!([]));
                            endpoint.log(&LogLine { kind: "subscribe", operation: &operation,
                                auth: mode_name(mode), elapsed: started.elapsed(),
                                errors: errors.as_array().cloned().unwrap_or_default() });
                            let _ = out.send(error_message(&id, errors));
                            break;
                        }
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_subscriptions_are_taken_on_the_realtime_endpoint() {
        assert!(is_subscription(
            "subscription { onCreateTodo { id } }",
            None
        ));
        assert!(!is_subscription(
            "mutation { createTodo(input: {name: \"x\"}) { id } }",
            None
        ));
        assert!(!is_subscription("{ listTodos { items { id } } }", None));
        let two = "subscription S { onCreateTodo { id } } mutation M { deleteTodo(input: {id: \"1\"}) { id } }";
        assert!(is_subscription(two, Some("S")));
        assert!(!is_subscription(two, Some("M")));
        assert!(!is_subscription(two, None));
    }

    #[test]
    fn realtime_auth_comes_from_the_header_parameter_or_subprotocol() {
        use base64::Engine as _;
        let header = json!({"host": "127.0.0.1", "x-api-key": "da2-k"});
        let b64 = base64::engine::general_purpose::STANDARD.encode(header.to_string());
        let query: HashMap<String, String> = [("header".to_string(), b64)].into_iter().collect();
        assert_eq!(connection_headers(&query, &HeaderMap::new()), header);
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(header.to_string());
        let mut headers = HeaderMap::new();
        headers.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            format!("graphql-ws, header-{url}").parse().unwrap(),
        );
        assert_eq!(connection_headers(&HashMap::new(), &headers), header);
        assert_eq!(header_in(&header, "X-API-KEY"), Some("da2-k"));
    }
}
