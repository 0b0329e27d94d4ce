//! More of the user pool's admin operations (Cognito user pools API
//! reference), for the sandbox administrator and for the project's
//! functions with `--access auth:read|manage`: reading a user, the pool's
//! groups and their members, changing a user's attributes and groups, and
//! ending a user's sessions.

use serde_json::{Value, json};

use std::collections::BTreeMap;

use super::{CognitoError, User, UserPool, err, invalid, now};

impl UserPool {
    /// `AdminCreateUser`: a user with a temporary password to change at
    /// first sign-in (`FORCE_CHANGE_PASSWORD`).
    pub(super) fn admin_create_user(&self, body: &Value) -> Result<Value, CognitoError> {
        let given = body["Username"].as_str().unwrap_or_default();
        let mut attributes = self.attributes_of(body, "UserAttributes")?;
        let by_email = self
            .settings
            .username_attributes
            .iter()
            .any(|a| a == "email");
        let username = if by_email {
            if !given.contains('@') {
                return Err(invalid("Username should be an email."));
            }
            attributes
                .entry("email".into())
                .or_insert_with(|| given.to_string());
            attributes.insert("email_verified".into(), "true".into());
            uuid::Uuid::new_v4().to_string()
        } else {
            given.to_string()
        };
        let mut users = self.lock_users();
        if self.find(&users, given).is_some() {
            return Err(err(
                "UsernameExistsException",
                "User account already exists",
            ));
        }
        let sub = if by_email {
            username.clone()
        } else {
            uuid::Uuid::new_v4().to_string()
        };
        let mut user = User {
            username,
            sub,
            attributes,
            salt: String::new(),
            verifier: String::new(),
            status: "FORCE_CHANGE_PASSWORD".into(),
            groups: Vec::new(),
            created: now(),
            sessions: Vec::new(),
            codes: BTreeMap::new(),
            mfa: Default::default(),
            disabled: false,
        };
        let temporary = body["TemporaryPassword"].as_str().unwrap_or_default();
        self.set_password(&mut user, temporary)?;
        let view = self.admin_view(&user);
        users.users.push(user);
        self.save(&users)?;
        Ok(json!({ "User": view }))
    }

    /// `AdminUpdateUserAttributes`: the attributes the pool's schema has; an
    /// address another user signs in with is refused (`AliasExistsException`),
    /// and a changed address is unverified unless the request verifies it.
    fn admin_update_attributes(&self, body: &Value) -> Result<Value, CognitoError> {
        let changes = self.attributes_of(body, "UserAttributes")?;
        let name = body["Username"].as_str().unwrap_or_default();
        let mut users = self.lock_users();
        let i = self
            .find(&users, name)
            .ok_or_else(|| err("UserNotFoundException", "User does not exist."))?;
        for attribute in &self.settings.username_attributes {
            if let Some(value) = changes.get(attribute)
                && users.users.iter().enumerate().any(|(j, u)| {
                    j != i
                        && u.attributes
                            .get(attribute)
                            .is_some_and(|v| v.eq_ignore_ascii_case(value))
                })
            {
                return Err(err(
                    "AliasExistsException",
                    "An account with the given email already exists.",
                ));
            }
        }
        let user = &mut users.users[i];
        for (attribute, verified) in [
            ("email", "email_verified"),
            ("phone_number", "phone_number_verified"),
        ] {
            if changes
                .get(attribute)
                .is_some_and(|v| user.attributes.get(attribute) != Some(v))
                && !changes.contains_key(verified)
            {
                user.attributes
                    .insert(verified.to_string(), "false".to_string());
            }
        }
        user.attributes.extend(changes);
        self.save(&users)?;
        Ok(json!({}))
    }
}

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
                    "Enabled": !user.disabled,
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
            "AdminUpdateUserAttributes" => self.admin_update_attributes(body),
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
            "AdminDisableUser" => self.admin_user(body, |user, _| {
                user.disabled = true;
                user.sessions.clear();
                Ok(json!({}))
            }),
            "AdminEnableUser" => self.admin_user(body, |user, _| {
                user.disabled = false;
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
