//! What the project's functions' roles may call on the sandbox's AWS
//! services (its tables, its user pool), as IAM decides it: each role's
//! statements as synthesized, resolved to the sandbox's resources, evaluated
//! with iam-rs (an explicit deny wins, else an allow, else denied).

use std::collections::BTreeMap;

use iam_rs::{Arn, Context, Decision, IAMPolicy, IAMRequest, Principal, PrincipalId};
use serde_json::{Value, json};

use super::auth::ACCOUNT_ID;

/// Roles by their logical id (`Function<Name>`): the caller's ARN as IAM sees
/// it (the assumed role's session), and the role's policy document.
#[derive(Debug, Clone, Default)]
pub struct RolePolicies {
    roles: BTreeMap<String, (String, Value)>,
}

impl RolePolicies {
    /// Add `role`, called as `user`, with `statements` (none: it is left out).
    pub fn insert(&mut self, role: &str, user: &str, statements: Vec<Value>) {
        if !statements.is_empty() {
            self.roles.insert(
                role.to_string(),
                (
                    user.to_string(),
                    json!({ "Version": "2012-10-17", "Statement": statements }),
                ),
            );
        }
    }

    /// The ARN `role`'s calls are made as, for messages (the role itself
    /// when it is not known).
    pub fn user<'a>(&'a self, role: &'a str) -> &'a str {
        self.roles.get(role).map_or(role, |(user, _)| user)
    }

    /// Whether `role` may do each of `checks` (an IAM action on a resource
    /// ARN); none at all is refused.
    pub fn allows(&self, role: &str, checks: &[(String, String)]) -> bool {
        let Some((user, policy)) = self.roles.get(role) else {
            return false;
        };
        let Ok(policy) = serde_json::from_value::<IAMPolicy>(policy.clone()) else {
            return false;
        };
        !checks.is_empty()
            && checks.iter().all(|(action, resource)| {
                let Ok(resource) = Arn::parse(resource) else {
                    return false;
                };
                let principal = Principal::Aws(PrincipalId::String(user.clone()));
                let context = Context::new().with_string("aws:PrincipalAccount", ACCOUNT_ID);
                let request = IAMRequest::new_with_context(principal, action, resource, context);
                matches!(
                    iam_rs::evaluate_policies(std::slice::from_ref(&policy), &request),
                    Ok(Decision::Allow)
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_may_do_what_its_statements_allow_on_their_resources_only() {
        let mut roles = RolePolicies::default();
        let table = format!("arn:aws:dynamodb:us-east-1:{ACCOUNT_ID}:table/main.TodoTable");
        roles.insert(
            "FunctionReader",
            &format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/FunctionReader/reader-dev"),
            vec![json!({ "Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": [table.clone()] })],
        );
        let check = |action: &str, resource: &str| vec![(action.to_string(), resource.to_string())];
        assert!(roles.allows("FunctionReader", &check("dynamodb:GetItem", &table)));
        assert!(!roles.allows("FunctionReader", &check("dynamodb:PutItem", &table)));
        assert!(!roles.allows(
            "FunctionReader",
            &check("dynamodb:GetItem", &format!("{table}2"))
        ));
        assert!(!roles.allows("FunctionWriter", &check("dynamodb:GetItem", &table)));
        assert!(!roles.allows("FunctionReader", &[]));
    }
}
