//! More of the user pool's admin operations (Cognito user pools API
//! reference), for the sandbox administrator and for the project's
//! functions with `--access auth:read|manage`: reading a user, the pool's
//! groups and their members, changing a user's attributes and groups, and
//! ending a user's sessions.

use serde_json::{Value, json};

use super::{CognitoError, UserPool, err, invalid};

impl UserPool {
    /// The operation `operation`, when it is one of these; `None` otherwise.
    pub(super) fn admin_call(
        &self,
        operation: &str,
        body: &Value,
    ) -> Option<Result<Value, CognitoError>> {
        Some(match operation {
            "AdminGetUser" => self.admin_user(body, |user, pool| {
                Ok(json!({
                    "Username": user.username,
                    "UserAttributes": pool.attribute_list(user),
                    "UserStatus": user.status,
                    "Enabled": true,
                    "UserCreateDate": user.created,
                    "UserLastModifiedDate": user.created,
                }))
            }),
            "AdminRemoveUserFromGroup" => self.admin_user(body, |user, pool| {
                let group = body["GroupName"].as_str().unwrap_or_default();
                if !pool.settings.groups.iter().any(|(g, _)| g == group) {
                    return Err(err("ResourceNotFoundException", "Group not found."));
                }
                user.groups.retain(|g| g != group);
                Ok(json!({}))
            }),
            "AdminUpdateUserAttributes" => self.admin_user(body, |user, pool| {
                let changes = pool.attributes_of(body, "UserAttributes")?;
                user.attributes.extend(changes);
                Ok(json!({}))
            }),
            "AdminDeleteUserAttributes" => self.admin_user(body, |user, _| {
                for name in body["UserAttributeNames"].as_array().into_iter().flatten() {
                    let name = name.as_str().unwrap_or_default();
                    if matches!(name, "sub" | "email" | "phone_number") {
                        return Err(invalid(format!("Cannot delete the attribute {name}")));
                    }
                    user.attributes.remove(name);
                }
                Ok(json!({}))
            }),
            "AdminUserGlobalSignOut" => self.admin_user(body, |user, _| {
                user.sessions.clear();
                Ok(json!({}))
            }),
            "ListGroups" => Ok(json!({
                "Groups": self
                    .settings
                    .groups
                    .iter()
                    .map(|(name, precedence)| json!({
                        "GroupName": name, "UserPoolId": self.pool_id, "Precedence": precedence,
                    }))
                    .collect::<Vec<_>>(),
            })),
            "ListUsersInGroup" => {
                let group = body["GroupName"].as_str().unwrap_or_default();
                if !self.settings.groups.iter().any(|(g, _)| g == group) {
                    return Some(Err(err("ResourceNotFoundException", "Group not found.")));
                }
                let users = self.lock_users();
                Ok(json!({
                    "Users": users
                        .users
                        .iter()
                        .filter(|u| u.groups.iter().any(|g| g == group))
                        .map(|u| self.admin_view(u))
                        .collect::<Vec<_>>(),
                }))
            }
            "DescribeUserPool" => Ok(json!({
                "UserPool": {
                    "Id": self.pool_id,
                    "UsernameAttributes": self.settings.username_attributes,
                    "EstimatedNumberOfUsers": self.lock_users().users.len(),
                },
            })),
            _ => return None,
        })
    }
}
