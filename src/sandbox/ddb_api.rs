//! The sandbox's tables through DynamoDB's own API: `POST /` with
//! `X-Amz-Target: DynamoDB_20120810.<Operation>` (AWS JSON 1.0), answered by
//! the sandbox's DynamoDB ([`super::dynamodb::Database::call`], the same
//! tables the api's resolvers read and write, streams included). For the
//! project's functions with `--access table:<Model>:read|write` (their SDKs
//! reach it through `AWS_ENDPOINT_URL`, the table's name in
//! `API_<API>_<MODEL>TABLE_NAME`), judged as IAM judges them: the request,
//! signed (SigV4, service `dynamodb`) with the function's role credentials,
//! needs an allow of `dynamodb:<Operation>` on each table (or index) it
//! names in the role's statements as synthesized, resolved to the sandbox's
//! tables ("Actions, resources, and condition keys for Amazon DynamoDB",
//! Service Authorization Reference). The sandbox administrator's
//! credentials may do everything; the app's roles (guests, signed-in users)
//! have no table access deployed and none here.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::auth::{ACCOUNT_ID, Signed};
use super::engine::Engine;
use super::role_policy::RolePolicies;
use super::server::{Endpoint, LogLine};

/// The tables as the functions reach them: the engine that owns them, and
/// each function role's DynamoDB statements.
#[derive(Clone)]
pub struct Tables {
    pub engine: Engine,
    pub region: String,
    /// Each function role's `dynamodb:` statements, resolved.
    pub policies: RolePolicies,
}

impl Tables {
    /// The ARN of a table of the sandbox, or of one of its indexes.
    fn arn(&self, table: &str, index: Option<&str>) -> String {
        let base = format!(
            "arn:aws:dynamodb:{}:{ACCOUNT_ID}:table/{table}",
            self.region
        );
        match index {
            Some(index) => format!("{base}/index/{index}"),
            None => base,
        }
    }

    /// What IAM checks for a request: `dynamodb:<Operation>` on the table (or
    /// index) it names, on each table of a batch's `RequestItems`; for a
    /// transaction, which is no IAM action, each item's own action on its
    /// table (`PutItem`, `UpdateItem`, `DeleteItem`, `ConditionCheckItem`,
    /// `GetItem`: DynamoDB developer guide, "Using IAM with DynamoDB
    /// transactions").
    ///
    /// Errors: a transaction item that is not exactly one action of its
    /// operation (`Get` for `TransactGetItems`; `Put`, `Update`, `Delete` or
    /// `ConditionCheck` for `TransactWriteItems`), as DynamoDB refuses it: the
    /// item checked must be the item run.
    fn checks(&self, operation: &str, request: &Value) -> Result<Vec<(String, String)>, String> {
        let action = format!("dynamodb:{operation}");
        let mut out = Vec::new();
        if let Some(table) = request["TableName"].as_str() {
            out.push((
                action.clone(),
                self.arn(table, request["IndexName"].as_str()),
            ));
        }
        if let Some(items) = request["RequestItems"].as_object() {
            out.extend(items.keys().map(|t| (action.clone(), self.arn(t, None))));
        }
        let kinds: &[(&str, &str)] = match operation {
            "TransactGetItems" => &[("Get", "GetItem")],
            "TransactWriteItems" => &[
                ("Put", "PutItem"),
                ("Update", "UpdateItem"),
                ("Delete", "DeleteItem"),
                ("ConditionCheck", "ConditionCheckItem"),
            ],
            _ => &[],
        };
        for item in request["TransactItems"].as_array().into_iter().flatten() {
            let entry = item.as_object().filter(|o| o.len() == 1);
            let Some((kind, op)) = entry.and_then(|o| o.iter().next()) else {
                return Err("each TransactItems entry must hold exactly one action".into());
            };
            let Some((_, item_action)) = kinds.iter().find(|(k, _)| k == kind) else {
                return Err(format!("`{kind}` is not an action of {operation}"));
            };
            let Some(table) = op["TableName"].as_str() else {
                return Err(format!("the `{kind}` action names no TableName"));
            };
            out.push((format!("dynamodb:{item_action}"), self.arn(table, None)));
        }
        Ok(out)
    }
}

/// An error of AWS JSON 1.0 as DynamoDB sends it: status 400 and `__type`.
fn ddb_error(kind: &str, message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "application/x-amz-json-1.0")],
        json!({ "__type": format!("com.amazonaws.dynamodb.v20120810#{kind}"), "message": message })
            .to_string(),
    )
        .into_response()
}

/// One DynamoDB call to the sandbox.
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
        kind: "dynamodb",
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
            ddb_error(kind, message),
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
    // unsigned and badly signed requests, as DynamoDB names them
    let role = match endpoint.authority.signed_role(lookup, signed, "dynamodb") {
        Ok(role) => role,
        Err(denied) if lookup("authorization").is_none() => {
            return refuse("MissingAuthenticationTokenException", &denied.message);
        }
        Err(denied) => return refuse("UnrecognizedClientException", &denied.message),
    };
    let Some(tables) = endpoint.tables.clone() else {
        return refuse(
            "ResourceNotFoundException",
            "the project has no api, so the sandbox has no tables (hoist add api)",
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
    if let Some(role) = role {
        let checks = match tables.checks(operation, &request) {
            Ok(checks) => checks,
            Err(problem) => return refuse("ValidationException", &problem),
        };
        if !tables.policies.allows(&role, &checks) {
            let shown = if checks.is_empty() {
                format!("dynamodb:{operation} on resource: *")
            } else {
                checks
                    .iter()
                    .map(|(action, resource)| format!("{action} on resource: {resource}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let user = tables.policies.user(&role);
            return refuse(
                "AccessDeniedException",
                &format!(
                    "User: {user} is not authorized to perform: {shown} (a function's role may call what its `--access table:<Model>:read|write` grants; the administrator's credentials, `hoist sandbox credentials --admin`, may do everything)"
                ),
            );
        }
    }
    let operation = operation.to_string();
    let engine = tables.engine.clone();
    let result = tokio::task::spawn_blocking(move || engine.dynamodb(&operation, request))
        .await
        .unwrap_or_else(|_| {
            Err(super::dynamodb::DynamoError {
                kind: "InternalServerError",
                message: "the sandbox failed on this request (a bug in hoist; please report it)"
                    .into(),
                item: None,
                reasons: None,
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
        Err(e) => {
            let wire = e.to_wire();
            let errors = vec![json!({ "errorType": e.kind, "message": e.message })];
            (
                (
                    StatusCode::BAD_REQUEST,
                    [(header::CONTENT_TYPE, "application/x-amz-json-1.0")],
                    wire.to_string(),
                )
                    .into_response(),
                errors,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables() -> Tables {
        Tables {
            engine: Engine::start(super::super::dynamodb::Database::in_memory())
                .expect("an engine"),
            region: "us-east-1".into(),
            policies: RolePolicies::default(),
        }
    }

    #[test]
    fn a_transaction_item_is_checked_as_the_action_it_runs() {
        let t = tables();
        let checks = t
            .checks(
                "TransactWriteItems",
                &json!({ "TransactItems": [{ "Put": { "TableName": "main.A" } },
                    { "ConditionCheck": { "TableName": "main.B" } }] }),
            )
            .unwrap();
        assert_eq!(checks[0].0, "dynamodb:PutItem");
        assert!(checks[0].1.ends_with(":table/main.A"));
        assert_eq!(checks[1].0, "dynamodb:ConditionCheckItem");
        // an item with two actions would be checked as one and run as the other
        for bad in [
            json!({ "TransactItems": [{ "ConditionCheck": { "TableName": "main.A" }, "Put": { "TableName": "main.B" } }] }),
            json!({ "TransactItems": [{ "Get": { "TableName": "main.A" } }] }),
            json!({ "TransactItems": [{ "Put": {} }] }),
        ] {
            assert!(t.checks("TransactWriteItems", &bad).is_err(), "{bad}");
        }
        assert!(
            t.checks(
                "TransactGetItems",
                &json!({ "TransactItems": [{ "Put": { "TableName": "main.A" } }] })
            )
            .is_err()
        );
        // a query through an index is checked on the index
        let query = t
            .checks(
                "Query",
                &json!({ "TableName": "main.A", "IndexName": "byOwner" }),
            )
            .unwrap();
        assert!(query[0].1.ends_with(":table/main.A/index/byOwner"));
    }
}
