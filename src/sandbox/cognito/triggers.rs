//! The user pool triggers around sign-in and confirmation, run with the
//! pool's users unlocked (a trigger is not run holding the pool):
//!
//! - pre authentication, before `InitiateAuth` with a password flow: an error
//!   refuses the sign-in;
//! - post confirmation, after `ConfirmSignUp`, `AdminConfirmSignUp` and
//!   `ConfirmForgotPassword`: an error is the operation's error, and the user
//!   stays confirmed (Cognito confirms the user before it runs the trigger);
//! - pre token generation (the `V1_0` event, which customizes the ID token),
//!   on every token issued: claims added, overridden or suppressed (string
//!   values), and the groups overridden in both tokens (not the identity
//!   pool's role, which follows the user's groups in the pool);
//! - post authentication, after a sign-in that issued tokens (not after a
//!   refresh): an error refuses the sign-in.
//!
//! Events and responses as the Amazon Cognito Developer Guide gives them
//! ("Customizing user pool workflows with Lambda triggers" and the page of
//! each trigger). The pre sign-up trigger runs inside `SignUp` (see
//! `sign_up.rs`). The custom message trigger runs before a code is sent
//! (after the operation that made it, the pool unlocked): its
//! `emailMessage` (or `smsMessage`) and `emailSubject`, with the code in
//! place of `codeParameter`, are what the sandbox shows; none keeps the
//! default message, and its error is the operation's.

use jsonwebtoken::{Algorithm, Header};
use serde_json::{Map, Value, json};

use super::*;

/// ID token claims a pre token generation trigger cannot change: Cognito
/// keeps them as it made them ("Pre token generation Lambda trigger",
/// excluded claims).
const KEPT_CLAIMS: &[&str] = &[
    "acr",
    "amr",
    "at_hash",
    "aud",
    "auth_time",
    "azp",
    "cognito:username",
    "event_id",
    "exp",
    "iat",
    "identities",
    "iss",
    "jti",
    "nbf",
    "nonce",
    "origin_jti",
    "sub",
    "token_use",
];

impl UserPool {
    /// The groups the user with `sub` is in (None: no such user).
    pub fn groups_of(&self, sub: &str) -> Option<Vec<String>> {
        let users = self.lock_users();
        users
            .users
            .iter()
            .find(|u| u.sub == sub)
            .map(|u| u.groups.clone())
    }

    /// The user's attributes as triggers see them: `sub`, the status and the
    /// attributes.
    fn trigger_attributes(&self, name: &str) -> Option<(String, Value, Vec<String>)> {
        let users = self.lock_users();
        let user = &users.users[self.find(&users, name)?];
        let mut attributes: Map<String, Value> = user
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        attributes.insert("sub".into(), json!(user.sub));
        attributes.insert("cognito:user_status".into(), json!(user.status));
        Some((
            user.username.clone(),
            Value::Object(attributes),
            user.groups.clone(),
        ))
    }

    fn has_trigger(&self, key: &str) -> bool {
        self.triggers
            .as_ref()
            .is_some_and(|t| t.functions.contains_key(key))
    }

    /// What runs before `target`: the pre authentication trigger.
    pub(super) fn before_operation(&self, target: &str, body: &Value) -> Result<(), CognitoError> {
        let password_flow = matches!(
            body["AuthFlow"].as_str(),
            Some("USER_SRP_AUTH" | "USER_PASSWORD_AUTH")
        );
        // only for a request Cognito would go on with: its client, an allowed flow
        let taken = body["ClientId"].as_str() == Some(&self.client_id)
            && body["AuthFlow"]
                .as_str()
                .is_some_and(|flow| self.flow_allowed(flow));
        if target != "InitiateAuth"
            || !password_flow
            || !taken
            || !self.has_trigger("PreAuthentication")
        {
            return Ok(());
        }
        let name = body["AuthParameters"]["USERNAME"]
            .as_str()
            .unwrap_or_default();
        let (user_name, attributes, not_found) = match self.trigger_attributes(name) {
            Some((user_name, attributes, _)) => (user_name, attributes, false),
            // Cognito runs it for an unknown user only when it hides that
            // users are unknown; otherwise the operation says so
            None if self.settings.prevent_user_existence_errors => {
                (name.to_string(), json!({}), true)
            }
            None => return Ok(()),
        };
        self.run_trigger(
            "PreAuthentication",
            "PreAuthentication_Authentication",
            &user_name,
            json!({
                "userAttributes": attributes,
                "validationData": client_metadata(body),
                "userNotFound": not_found,
            }),
            json!({}),
            body["ClientId"].as_str().unwrap_or_default(),
        )?;
        Ok(())
    }

    /// What follows `target`, which answered `out`: post confirmation, pre
    /// token generation and post authentication.
    pub(super) fn after_operation(
        &self,
        target: &str,
        body: &Value,
        mut out: Value,
    ) -> Result<Value, CognitoError> {
        // an admin operation has no app client: Cognito says so in `callerContext`
        let client_id = body["ClientId"]
            .as_str()
            .unwrap_or("CLIENT_ID_NOT_APPLICABLE");
        let confirmed = match target {
            "ConfirmSignUp" | "AdminConfirmSignUp" => Some("PostConfirmation_ConfirmSignUp"),
            "ConfirmForgotPassword" => Some("PostConfirmation_ConfirmForgotPassword"),
            _ => None,
        };
        if let Some(source) = confirmed
            && self.has_trigger("PostConfirmation")
            && let Some((user_name, attributes, _)) =
                self.trigger_attributes(body["Username"].as_str().unwrap_or_default())
        {
            self.run_trigger(
                "PostConfirmation",
                source,
                &user_name,
                json!({ "userAttributes": attributes, "clientMetadata": client_metadata(body) }),
                json!({}),
                client_id,
            )?;
        }
        let Some(id_token) = out
            .pointer("/AuthenticationResult/IdToken")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            return Ok(out);
        };
        let refreshed = matches!(target, "GetTokensFromRefreshToken")
            || body["AuthFlow"]
                .as_str()
                .is_some_and(|f| f.starts_with("REFRESH_TOKEN"));
        if self.has_trigger("PreTokenGeneration") {
            let source = if refreshed {
                "TokenGeneration_RefreshTokens"
            } else if body["ChallengeName"] == "NEW_PASSWORD_REQUIRED" {
                "TokenGeneration_NewPasswordChallenge"
            } else {
                "TokenGeneration_Authentication"
            };
            let result = &mut out["AuthenticationResult"];
            if let Err(e) = self.generate_tokens(result, &id_token, source, body, client_id) {
                if !refreshed {
                    self.end_session(&id_token);
                }
                return Err(e);
            }
        }
        if !refreshed
            && self.has_trigger("PostAuthentication")
            && let Some(claims) = self.verify(&id_token, Some("id"))
            && let Some((user_name, attributes, _)) = self.trigger_attributes(
                claims
                    .get("cognito:username")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
            )
        {
            let refused = self.run_trigger(
                "PostAuthentication",
                "PostAuthentication_Authentication",
                &user_name,
                json!({
                    "userAttributes": attributes,
                    "newDeviceUsed": false,
                    "clientMetadata": client_metadata(body),
                }),
                json!({}),
                client_id,
            );
            if let Err(e) = refused {
                self.end_session(&id_token);
                return Err(e);
            }
        }
        Ok(out)
    }

    /// End the session whose ID token is `id_token` (a sign-in a trigger
    /// refused hands out no tokens, and leaves no session behind).
    fn end_session(&self, id_token: &str) {
        let Some(claims) = self.verify(id_token, Some("id")) else {
            return;
        };
        let (Some(sub), Some(origin)) = (
            claims.get("sub").and_then(Value::as_str),
            claims.get("origin_jti").and_then(Value::as_str),
        ) else {
            return;
        };
        let mut users = self.lock_users();
        if let Some(user) = users.users.iter_mut().find(|u| u.sub == sub) {
            user.sessions.retain(|s| s.origin_jti != origin);
        }
        let _ = self.save(&users);
    }

    /// The pre token generation trigger on tokens just issued: its
    /// `claimsOverrideDetails` applied to the ID token (and its group
    /// override to both), which are signed again.
    ///
    /// Errors: the trigger's, and `InvalidLambdaResponseException` for a
    /// response of the wrong shape.
    fn generate_tokens(
        &self,
        result: &mut Value,
        id_token: &str,
        source: &str,
        body: &Value,
        client_id: &str,
    ) -> Result<(), CognitoError> {
        let mut id = self.verify(id_token, Some("id")).ok_or_else(|| {
            err(
                "InternalErrorException",
                "the ID token just issued is unreadable",
            )
        })?;
        let mut access = result["AccessToken"]
            .as_str()
            .and_then(|t| self.verify(t, Some("access")))
            .ok_or_else(|| {
                err(
                    "InternalErrorException",
                    "the access token just issued is unreadable",
                )
            })?;
        let name = id
            .get("cognito:username")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let Some((user_name, attributes, groups)) = self.trigger_attributes(&name) else {
            return Ok(());
        };
        let Some(answer) = self.run_trigger(
            "PreTokenGeneration",
            source,
            &user_name,
            json!({
                "userAttributes": attributes,
                "groupConfiguration": {
                    "groupsToOverride": groups,
                    "iamRolesToOverride": [],
                    "preferredRole": null,
                },
                "clientMetadata": client_metadata(body),
            }),
            json!({ "claimsOverrideDetails": null }),
            client_id,
        )?
        else {
            return Ok(());
        };
        let details = &answer["response"]["claimsOverrideDetails"];
        if details.is_null() {
            return Ok(());
        }
        let wrong = |what: &str| {
            err(
                "InvalidLambdaResponseException",
                format!("Unrecognizable lambda output: {what}"),
            )
        };
        if !details.is_object() {
            return Err(wrong("claimsOverrideDetails is not an object"));
        }
        let kept = |claim: &str| KEPT_CLAIMS.contains(&claim) || claim == "cognito:groups";
        match &details["claimsToAddOrOverride"] {
            Value::Null => {}
            Value::Object(claims) => {
                // the V1_0 event's claims are strings (other types are V2_0's)
                if claims.values().any(|v| !v.is_string()) {
                    return Err(wrong("a value of claimsToAddOrOverride is not a string"));
                }
                for (claim, value) in claims.iter().filter(|(c, _)| !kept(c)) {
                    id.insert(claim.clone(), value.clone());
                }
            }
            _ => return Err(wrong("claimsToAddOrOverride is not an object")),
        }
        match &details["claimsToSuppress"] {
            Value::Null => {}
            Value::Array(claims) => {
                for claim in claims.iter().filter_map(Value::as_str).filter(|c| !kept(c)) {
                    id.remove(claim);
                }
            }
            _ => return Err(wrong("claimsToSuppress is not a list")),
        }
        match &details["groupOverrideDetails"]["groupsToOverride"] {
            Value::Null => {}
            Value::Array(groups) => {
                let groups: Vec<&str> = groups.iter().filter_map(Value::as_str).collect();
                for token in [&mut id, &mut access] {
                    if groups.is_empty() {
                        token.remove("cognito:groups");
                    } else {
                        token.insert("cognito:groups".into(), json!(groups));
                    }
                }
            }
            _ => return Err(wrong("groupsToOverride is not a list")),
        }
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.key.kid.clone());
        for (field, claims) in [("IdToken", id), ("AccessToken", access)] {
            result[field] = json!(
                jsonwebtoken::encode(&header, &Value::Object(claims), &self.key.encoding)
                    .map_err(|e| err("InternalErrorException", format!("signing a token: {e}")))?
            );
        }
        Ok(())
    }
}

/// The operation's `ClientMetadata`, as the triggers receive it.
fn client_metadata(body: &Value) -> Value {
    body.get("ClientMetadata")
        .cloned()
        .unwrap_or_else(|| json!({}))
}

/// A code the pool sends (shown by the sandbox), waiting for its operation
/// to end.
pub(super) struct Message {
    /// What the code is for: `signup`, `reset`, `verify:<attribute>`.
    pub source: String,
    pub username: String,
    /// The address or number it goes to.
    pub to: String,
    /// Sent by email (else by SMS), as the attribute it goes to says.
    pub by_email: bool,
    pub code: String,
    /// How the default message names it (`confirmation code`).
    pub what: &'static str,
}

thread_local! {
    /// The messages of the operation running on this thread (each
    /// operation runs on one thread, from start to end).
    static OUTBOX: std::cell::RefCell<Vec<Message>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Send `message` once the operation ends.
pub(super) fn post(message: Message) {
    OUTBOX.with(|o| o.borrow_mut().push(message));
}

/// Drop the messages waiting on this thread (an operation that failed sends none).
pub(super) fn discard() {
    OUTBOX.with(|o| o.borrow_mut().clear());
}

impl UserPool {
    /// Send the messages the operation `target` made: each through the custom
    /// message trigger when the pool has one ("Custom message Lambda
    /// trigger": the event's `codeParameter` is `{####}`, which Cognito
    /// replaces with the code in the message the function returns), else
    /// the default message.
    pub(super) fn deliver(&self, target: &str, body: &Value) -> Result<(), CognitoError> {
        let messages = OUTBOX.with(|o| std::mem::take(&mut *o.borrow_mut()));
        for m in messages {
            let default = format!("{} for {}: {}", m.what, m.to, m.code);
            if !self.has_trigger("CustomMessage") {
                (self.notify)(&default);
                continue;
            }
            let source = match (target, m.source.as_str()) {
                ("SignUp", _) => "CustomMessage_SignUp",
                (_, "reset") => "CustomMessage_ForgotPassword",
                (_, "signup") => "CustomMessage_ResendCode",
                ("UpdateUserAttributes", _) => "CustomMessage_UpdateUserAttribute",
                _ => "CustomMessage_VerifyUserAttribute",
            };
            let attributes = self
                .trigger_attributes(&m.username)
                .map(|(_, a, _)| a)
                .unwrap_or_else(|| json!({}));
            let answer = self.run_trigger(
                "CustomMessage",
                source,
                &m.username,
                json!({
                    "userAttributes": attributes,
                    "codeParameter": "{####}",
                    "linkParameter": "{##Click Here##}",
                    "usernameParameter": null,
                    "clientMetadata": client_metadata(body),
                }),
                json!({ "smsMessage": null, "emailMessage": null, "emailSubject": null }),
                body["ClientId"]
                    .as_str()
                    .unwrap_or("CLIENT_ID_NOT_APPLICABLE"),
            )?;
            let by_email = m.by_email;
            let response = answer.map(|a| a["response"].clone()).unwrap_or_default();
            let custom = response[if by_email {
                "emailMessage"
            } else {
                "smsMessage"
            }]
            .as_str();
            match custom {
                Some(text) => {
                    let subject = response["emailSubject"]
                        .as_str()
                        .filter(|_| by_email)
                        .map(|s| format!(" \"{s}\""))
                        .unwrap_or_default();
                    (self.notify)(&format!(
                        "message{subject} to {}: {}",
                        m.to,
                        text.replace("{####}", &m.code)
                    ));
                }
                None => (self.notify)(&default),
            }
        }
        Ok(())
    }
}
