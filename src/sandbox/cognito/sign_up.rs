//! Signing up and resetting a password: `SignUp`, `ConfirmSignUp`,
//! `ResendConfirmationCode`, `ForgotPassword`, `ConfirmForgotPassword`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::*;

impl UserPool {
    pub(super) fn sign_up(&self, body: &Value) -> Result<Value, CognitoError> {
        if !self.settings.self_sign_up {
            return Err(not_authorized("SignUp is not permitted for this user pool"));
        }
        let given = body["Username"]
            .as_str()
            .unwrap_or_default()
            .trim()
            .to_string();
        let password = body["Password"].as_str().unwrap_or_default();
        if given.is_empty() || given.len() > 128 {
            return Err(invalid(
                "1 validation error detected: Value at 'username' failed to satisfy constraint: Member must have length between 1 and 128",
            ));
        }
        let mut attributes = self.attributes_of(body, "UserAttributes")?;
        let by_email = self
            .settings
            .username_attributes
            .iter()
            .any(|a| a == "email");
        let by_phone = self
            .settings
            .username_attributes
            .iter()
            .any(|a| a == "phone_number");
        let username = if by_email || by_phone {
            let looks_email =
                given.contains('@') && !given.starts_with('@') && !given.ends_with('@');
            let looks_phone = given.starts_with('+')
                && given[1..].chars().all(|c| c.is_ascii_digit())
                && given.len() > 4;
            if looks_email && by_email {
                attributes
                    .entry("email".into())
                    .or_insert_with(|| given.clone());
            } else if looks_phone && by_phone {
                attributes
                    .entry("phone_number".into())
                    .or_insert_with(|| given.clone());
            } else {
                return Err(invalid(if by_email && !by_phone {
                    "Username should be an email."
                } else {
                    "Username should be either an email or a phone number."
                }));
            }
            uuid::Uuid::new_v4().to_string()
        } else {
            given.clone()
        };
        for required in &self.settings.required_attributes {
            if !attributes.contains_key(required) {
                return Err(invalid(format!(
                    "Attributes did not conform to the schema: {required}: The attribute {required} is required"
                )));
            }
        }
        for reserved in ["sub", "email_verified", "phone_number_verified"] {
            attributes.remove(reserved);
        }
        let sub = if by_email || by_phone {
            username.clone()
        } else {
            uuid::Uuid::new_v4().to_string()
        };
        let mut user = User {
            username,
            sub: sub.clone(),
            attributes,
            salt: String::new(),
            verifier: String::new(),
            status: "UNCONFIRMED".into(),
            groups: Vec::new(),
            created: now(),
            sessions: Vec::new(),
            codes: BTreeMap::new(),
            mfa: Default::default(),
            disabled: false,
        };
        self.set_password(&mut user, password)?;
        // The pre sign-up trigger, before the user exists: an error refuses
        // the sign-up; its answer may confirm the user and verify the
        // address ("Pre sign-up Lambda trigger", Amazon Cognito Developer Guide).
        let mut auto_confirm = false;
        if let Some(answer) = self.run_trigger(
            "PreSignUp",
            "PreSignUp_SignUp",
            &user.username,
            json!({
                "userAttributes": user.attributes,
                "validationData": attribute_map(&body["ValidationData"]),
                "clientMetadata": body.get("ClientMetadata").cloned().unwrap_or_else(|| json!({})),
            }),
            json!({ "autoConfirmUser": false, "autoVerifyEmail": false, "autoVerifyPhone": false }),
            body["ClientId"].as_str().unwrap_or_default(),
        )? {
            let response = &answer["response"];
            auto_confirm = response["autoConfirmUser"].as_bool().unwrap_or(false);
            for (flag, attribute, verified) in [
                ("autoVerifyEmail", "email", "email_verified"),
                ("autoVerifyPhone", "phone_number", "phone_number_verified"),
            ] {
                if response[flag].as_bool().unwrap_or(false) {
                    // verifying an address the user did not give is an error
                    if !user.attributes.contains_key(attribute) {
                        return Err(err(
                            "InvalidLambdaResponseException",
                            format!("{flag} is set, and the user has no {attribute}"),
                        ));
                    }
                    user.attributes.insert(verified.into(), "true".into());
                }
            }
        }
        let mut users = self.lock_users();
        let taken = self.find(&users, &given).is_some()
            || users.users.iter().any(|u| {
                self.settings.username_attributes.iter().any(|a| {
                    user.attributes.get(a).is_some_and(|v| {
                        u.attributes
                            .get(a)
                            .is_some_and(|w| w.eq_ignore_ascii_case(v))
                    })
                })
            });
        if taken {
            return Err(err(
                "UsernameExistsException",
                if by_email {
                    "An account with the given email already exists."
                } else {
                    "User already exists"
                },
            ));
        }
        if users.users.len() >= MAX_USERS {
            return Err(err(
                "LimitExceededException",
                "the sandbox's user pool is full",
            ));
        }
        if auto_confirm {
            user.status = "CONFIRMED".into();
            users.users.push(user);
            self.save(&users)?;
            return Ok(json!({ "UserConfirmed": true, "UserSub": sub }));
        }
        let attribute = self.delivery_attribute(&user);
        let delivery = self.send_code(&mut user, "signup", &attribute);
        users.users.push(user);
        self.save(&users)?;
        Ok(json!({ "UserConfirmed": false, "UserSub": sub, "CodeDeliveryDetails": delivery }))
    }

    pub(super) fn confirm_sign_up(&self, body: &Value) -> Result<Value, CognitoError> {
        let name = body["Username"].as_str().unwrap_or_default();
        let mut users = self.lock_users();
        let Some(i) = self.find(&users, name) else {
            // with user existence errors prevented, an unknown user is a wrong code
            return Err(if self.settings.prevent_user_existence_errors {
                err(
                    "CodeMismatchException",
                    "Invalid verification code provided, please try again.",
                )
            } else {
                err(
                    "UserNotFoundException",
                    "Username/client id combination not found.",
                )
            });
        };
        let user = &mut users.users[i];
        if user.status != "UNCONFIRMED" {
            return Err(not_authorized(&format!(
                "User cannot be confirmed. Current status is {}",
                user.status
            )));
        }
        self.take_code(user, "signup", body["ConfirmationCode"].as_str())?;
        user.status = "CONFIRMED".into();
        let attribute = self.delivery_attribute(user);
        user.attributes
            .insert(format!("{attribute}_verified"), "true".into());
        self.save(&users)?;
        Ok(json!({}))
    }

    pub(super) fn resend_code(&self, body: &Value) -> Result<Value, CognitoError> {
        let name = body["Username"].as_str().unwrap_or_default();
        let mut users = self.lock_users();
        let Some(i) = self.find(&users, name) else {
            if self.settings.prevent_user_existence_errors {
                // answered as if a code went out
                return Ok(json!({ "CodeDeliveryDetails": {
                    "Destination": "***", "DeliveryMedium": "EMAIL", "AttributeName": "email" } }));
            }
            return Err(err(
                "UserNotFoundException",
                "Username/client id combination not found.",
            ));
        };
        let user = &mut users.users[i];
        if user.status != "UNCONFIRMED" {
            return Err(invalid("User is already confirmed."));
        }
        let attribute = self.delivery_attribute(user);
        let delivery = self.send_code(user, "signup", &attribute);
        self.save(&users)?;
        Ok(json!({ "CodeDeliveryDetails": delivery }))
    }

    pub(super) fn forgot_password(&self, body: &Value) -> Result<Value, CognitoError> {
        let name = body["Username"].as_str().unwrap_or_default();
        let mut users = self.lock_users();
        let Some(i) = self.find(&users, name) else {
            if self.settings.prevent_user_existence_errors {
                // Cognito answers as if a code went out
                return Ok(
                    json!({ "CodeDeliveryDetails": { "Destination": "***", "DeliveryMedium": "EMAIL", "AttributeName": "email" } }),
                );
            }
            return Err(err(
                "UserNotFoundException",
                "Username/client id combination not found.",
            ));
        };
        let user = &mut users.users[i];
        let attribute = self.delivery_attribute(user);
        let delivery = self.send_code(user, "reset", &attribute);
        self.save(&users)?;
        Ok(json!({ "CodeDeliveryDetails": delivery }))
    }

    pub(super) fn confirm_forgot_password(&self, body: &Value) -> Result<Value, CognitoError> {
        let name = body["Username"].as_str().unwrap_or_default();
        let mut users = self.lock_users();
        let i = self.find(&users, name).ok_or_else(|| {
            err(
                "CodeMismatchException",
                "Invalid verification code provided, please try again.",
            )
        })?;
        let user = &mut users.users[i];
        self.take_code(user, "reset", body["ConfirmationCode"].as_str())?;
        self.set_password(user, body["Password"].as_str().unwrap_or_default())?;
        user.sessions.clear();
        self.save(&users)?;
        Ok(json!({}))
    }
}

/// `[{Name, Value}]` (Cognito's attribute lists) as a map.
fn attribute_map(list: &Value) -> Value {
    let mut map = serde_json::Map::new();
    for item in list.as_array().into_iter().flatten() {
        if let (Some(name), Some(value)) = (item["Name"].as_str(), item["Value"].as_str()) {
            map.insert(name.to_string(), json!(value));
        }
    }
    Value::Object(map)
}
