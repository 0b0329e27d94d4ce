//! Project functions calling the sandbox's api with their role's
//! credentials (`--access api:query|mutation|subscription`), judged as
//! AppSync judges an IAM caller: the role's identity policy must allow
//! `appsync:GraphQL` on the field
//! (`arn:aws:appsync:<region>:<account>:apis/<api id>/types/<Type>/fields/<field>`,
//! AppSync Developer Guide, "AWS_IAM authorization"), and the resolvers then
//! admit the caller as an IAM principal without an identity pool identity
//! ([`crate::transform::Modes::iam_principals`]).
//!
//! The statements are those synthesis gives the function's role, with the
//! sandbox's api id in place of the deployed one, evaluated with iam-rs as
//! IAM evaluates them: an explicit deny wins, else an allow, else denied.

use std::sync::Arc;

use iam_rs::{
    Arn, Context, Decision, IAMPolicy, IAMRequest, Principal, PrincipalId, evaluate_policies,
};
use serde_json::{Value, json};

use super::ACCOUNT_ID;

/// What one function role may call on the sandbox's api.
#[derive(Debug, Clone)]
pub struct FieldPolicy {
    /// `arn:aws:appsync:<region>:<account>:apis/<api id>`.
    api_arn: String,
    /// The role's assumed-role ARN, as IAM sees the caller.
    user_arn: String,
    /// The role's policy document (its `appsync:` statements).
    policy: Arc<Value>,
}

impl FieldPolicy {
    /// The policy of `statements` (resolved: no intrinsic functions left)
    /// for the api `api_arn`, of the caller `user_arn`.
    pub fn new(api_arn: &str, user_arn: &str, statements: Vec<Value>) -> FieldPolicy {
        FieldPolicy {
            api_arn: api_arn.to_string(),
            user_arn: user_arn.to_string(),
            policy: Arc::new(json!({ "Version": "2012-10-17", "Statement": statements })),
        }
    }

    /// Whether the policy allows the caller `appsync:GraphQL` on
    /// `type_name.field`. A policy that cannot be read denies.
    pub fn allows(&self, type_name: &str, field: &str) -> bool {
        let resource = format!("{}/types/{type_name}/fields/{field}", self.api_arn);
        let (Ok(resource), Ok(policy)) = (
            Arn::parse(&resource),
            serde_json::from_value::<IAMPolicy>((*self.policy).clone()),
        ) else {
            return false;
        };
        let principal = Principal::Aws(PrincipalId::String(self.user_arn.clone()));
        let context = Context::new().with_string("aws:PrincipalAccount", ACCOUNT_ID);
        let request = IAMRequest::new_with_context(principal, "appsync:GraphQL", resource, context);
        matches!(evaluate_policies(&[policy], &request), Ok(Decision::Allow))
    }
}

/// The sandbox's api id (AppSync's are 26 lowercase letters and digits):
/// the same at each start of the same environment.
pub fn api_id(seed: &str) -> String {
    let id = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, format!("{seed}/api").as_bytes());
    id.simple().to_string()[..26].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arn() -> String {
        format!("arn:aws:appsync:us-east-1:{ACCOUNT_ID}:apis/abc")
    }

    #[test]
    fn a_query_grant_allows_the_query_fields_only() {
        let policy = FieldPolicy::new(
            &arn(),
            "arn:aws:sts::000000000000:assumed-role/FunctionReport/report-dev",
            vec![json!({
                "Effect": "Allow",
                "Action": "appsync:GraphQL",
                "Resource": format!("{}/types/Query/*", arn()),
            })],
        );
        assert!(policy.allows("Query", "listTodos"));
        assert!(!policy.allows("Mutation", "createTodo"));
        assert!(!policy.allows("Subscription", "onCreateTodo"));
        // another api's fields are not this one's
        let other = FieldPolicy {
            api_arn: format!("arn:aws:appsync:us-east-1:{ACCOUNT_ID}:apis/xyz"),
            ..policy.clone()
        };
        assert!(!other.allows("Query", "listTodos"));
    }

    #[test]
    fn a_deny_wins_and_no_statement_denies() {
        let allow = json!({ "Effect": "Allow", "Action": "appsync:GraphQL", "Resource": format!("{}/*", arn()) });
        let deny = json!({ "Effect": "Deny", "Action": "appsync:*", "Resource": format!("{}/types/Mutation/fields/deleteTodo", arn()) });
        let policy = FieldPolicy::new(
            &arn(),
            "arn:aws:sts::000000000000:assumed-role/R/s",
            vec![allow, deny],
        );
        assert!(policy.allows("Mutation", "createTodo"));
        assert!(!policy.allows("Mutation", "deleteTodo"));
        let none = FieldPolicy::new(&arn(), "arn:aws:sts::000000000000:assumed-role/R/s", vec![]);
        assert!(!none.allows("Query", "listTodos"));
    }

    #[test]
    fn the_api_id_is_stable_and_shaped_as_appsyncs() {
        let id = api_id("https://hoist-sandbox.invalid/dev/identity-pool");
        assert_eq!(id.len(), 26);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
        assert_eq!(
            id,
            api_id("https://hoist-sandbox.invalid/dev/identity-pool")
        );
        assert_ne!(
            id,
            api_id("https://hoist-sandbox.invalid/prod/identity-pool")
        );
    }
}
