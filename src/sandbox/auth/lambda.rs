//! The api's Lambda authorizer in the sandbox: a token the sandbox did not
//! issue goes, in the `lambda` mode, to the project function the api names
//! (`lambda_authorizer`), with AppSync's authorizer request, and its answer
//! decides ("Configuring an AWS Lambda authorizer", AWS AppSync Developer
//! Guide): `isAuthorized` (a boolean, or the request is refused),
//! `resolverContext` (the resolvers' `ctx.identity.resolverContext`),
//! `deniedFields` (`Type.field` or the field's ARN: those fields resolve to
//! null with an unauthorized error). AppSync caches answers for
//! `ttlOverride` or the API's TTL; the sandbox asks on every request, so an
//! edit of the authorizer applies at once.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{ACCOUNT_ID, Authority, Denied, Signed};
use crate::category::api::AuthMode;
use crate::sandbox::api::Caller;

/// How long AppSync waits for an authorizer (10 s, "AWS AppSync endpoints
/// and quotas": Lambda authorizer timeout).
pub const AUTHORIZER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The project function that is the api's Lambda authorizer: its name as
/// Lambda knows it, and how the sandbox invokes it (the event; the answer,
/// or the function's error as `errorType: message`).
#[derive(Clone)]
pub struct Authorizer {
    pub function: String,
    pub invoke: Arc<dyn Fn(Value) -> Result<Value, String> + Send + Sync>,
}

/// The request headers AppSync passes on that a lookup can find.
const HEADERS: &[&str] = &[
    "authorization",
    "content-type",
    "host",
    "origin",
    "referer",
    "user-agent",
    "x-amz-user-agent",
];

/// `Type.field` of a denied field, given so or as its ARN
/// (`arn:aws:appsync:<region>:<account>:apis/<id>/types/<Type>/fields/<field>`).
pub fn denied_field(text: &str) -> String {
    match text.split_once("/types/") {
        Some((_, rest)) => rest.replacen("/fields/", ".", 1),
        None => text.to_string(),
    }
}

impl Authority {
    /// Run the sandbox's Lambda authorizer with AppSync's request for this
    /// token and the GraphQL request in `signed`'s body.
    pub(super) fn lambda_caller<'h>(
        &self,
        authorizer: &Authorizer,
        token: &str,
        header: &dyn Fn(&str) -> Option<&'h str>,
        signed: Option<Signed>,
    ) -> Result<(AuthMode, Caller), Denied> {
        let body: Value = signed
            .and_then(|s| serde_json::from_slice(s.body).ok())
            .unwrap_or(Value::Null);
        let headers: serde_json::Map<String, Value> = HEADERS
            .iter()
            .filter_map(|h| header(h).map(|v| (h.to_string(), json!(v))))
            .collect();
        let event = json!({
            "authorizationToken": token,
            "requestContext": {
                "apiId": "sandbox",
                "accountId": ACCOUNT_ID,
                "requestId": uuid::Uuid::new_v4().to_string(),
                "queryString": body["query"].as_str().unwrap_or_default(),
                "operationName": body["operationName"],
                "variables": body.get("variables").filter(|v| !v.is_null()).cloned().unwrap_or_else(|| json!({})),
            },
            "requestHeaders": headers,
        });
        let refused = |why: String| Denied {
            message: format!(
                "You are not authorized to make this call. (The Lambda authorizer `{}` {why}.)",
                authorizer.function
            ),
        };
        // AppSync tells the caller only that it is not authorized: the
        // function's error (which may describe the token) stays in the
        // sandbox's output
        let answer = (authorizer.invoke)(event).map_err(|e| {
            eprintln!(
                "function {} | the Lambda authorizer failed: {e}",
                authorizer.function
            );
            refused("failed: its error is in the sandbox's output".into())
        })?;
        match answer.get("isAuthorized") {
            Some(Value::Bool(true)) => {}
            Some(Value::Bool(false)) => return Err(refused("refused the token".into())),
            _ => {
                return Err(refused("answered without a boolean `isAuthorized`".into()));
            }
        }
        let context = answer
            .get("resolverContext")
            .filter(|c| !c.is_null())
            .cloned()
            .unwrap_or_else(|| json!({}));
        if !context.is_object() {
            return Err(refused(
                "answered a `resolverContext` that is not an object".into(),
            ));
        }
        let mut caller = Caller::new(
            "Lambda Authorization",
            json!({ "resolverContext": context }),
        );
        caller.denied_fields = answer["deniedFields"]
            .as_array()
            .map(|fields| {
                fields
                    .iter()
                    .filter_map(Value::as_str)
                    .map(denied_field)
                    .collect()
            })
            .unwrap_or_default();
        Ok((AuthMode::Lambda, caller))
    }

    /// Run `authorizer` for tokens in the `lambda` mode.
    pub fn with_authorizer(mut self, authorizer: Authorizer) -> Authority {
        self.authorizer = Some(authorizer);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(answer: Value) -> Authority {
        let dir = tempfile::tempdir().unwrap();
        let secrets = super::super::Secrets::load_or_create(dir.path()).unwrap();
        Authority::new(vec![AuthMode::ApiKey, AuthMode::Lambda], secrets, "dev").with_authorizer(
            Authorizer {
                function: "gate-dev".into(),
                invoke: Arc::new(move |event: Value| {
                    if event["authorizationToken"] == "boom" {
                        return Err("Error: no".into());
                    }
                    assert_eq!(event["requestContext"]["operationName"], "Q");
                    assert_eq!(event["requestContext"]["queryString"], "query Q { a }");
                    Ok(answer.clone())
                }),
            },
        )
    }

    fn ask(auth: &Authority, token: &str) -> Result<(AuthMode, Caller), Denied> {
        let body = br#"{"query":"query Q { a }","operationName":"Q"}"#;
        auth.caller(
            |h| (h == "authorization").then_some(token),
            Some(Signed {
                method: "POST",
                path: "/graphql",
                query: "",
                body,
            }),
        )
    }

    #[test]
    fn the_authorizers_answer_decides_and_carries_context_and_denied_fields() {
        let auth = with(json!({
            "isAuthorized": true,
            "resolverContext": { "tenant": "acme" },
            "deniedFields": ["Mutation.deleteTodo", "arn:aws:appsync:us-east-1:1:apis/x/types/Query/fields/secret"],
        }));
        let (mode, caller) = ask(&auth, "tok").unwrap();
        assert_eq!(mode, AuthMode::Lambda);
        assert_eq!(caller.auth_type, "Lambda Authorization");
        assert_eq!(caller.identity["resolverContext"]["tenant"], "acme");
        assert_eq!(
            caller.denied_fields,
            ["Mutation.deleteTodo", "Query.secret"]
        );
        let no = with(json!({ "isAuthorized": false }));
        assert!(
            ask(&no, "tok")
                .unwrap_err()
                .message
                .contains("refused the token")
        );
        let odd = with(json!({ "isAuthorized": "yes" }));
        assert!(ask(&odd, "tok").unwrap_err().message.contains("boolean"));
        // the function's error is not told to the caller
        let failed = ask(&auth, "boom").unwrap_err().message;
        assert!(failed.contains("failed"), "{failed}");
        assert!(!failed.contains("Error: no"), "{failed}");
    }
}
