//! Signing in: `InitiateAuth` (SRP, password, refresh), the challenges,
//! sessions and the tokens they issue.

use base64::Engine;
use jsonwebtoken::{Algorithm, Header};
use serde_json::{Map, Value, json};

use super::*;

impl UserPool {
    pub(super) fn flow_allowed(&self, flow: &str) -> bool {
        self.settings
            .flows
            .iter()
            .any(|f| f == &format!("ALLOW_{flow}"))
    }

    pub(super) fn initiate_auth(&self, body: &Value) -> Result<Value, CognitoError> {
        let flow = body["AuthFlow"].as_str().unwrap_or_default();
        let params = &body["AuthParameters"];
        let flow_name = if flow == "REFRESH_TOKEN" {
            "REFRESH_TOKEN_AUTH"
        } else {
            flow
        };
        if !matches!(
            flow_name,
            "USER_SRP_AUTH" | "USER_PASSWORD_AUTH" | "REFRESH_TOKEN_AUTH"
        ) {
            return Err(invalid(format!(
                "the sandbox's user pool does not run the {flow} flow"
            )));
        }
        if !self.flow_allowed(flow_name) {
            return Err(invalid(format!(
                "{flow_name} flow not enabled for this client"
            )));
        }
        match flow_name {
            "USER_SRP_AUTH" => {
                let name = params["USERNAME"].as_str().unwrap_or_default();
                let a = params["SRP_A"]
                    .as_str()
                    .and_then(srp::from_hex)
                    .filter(|a| self.group.valid_client_public(a))
                    .ok_or_else(|| invalid("SRP_A is not a valid SRP value"))?;
                // read what is needed, then compute without holding the users
                let known = {
                    let users = self.lock_users();
                    self.find(&users, name).map(|i| {
                        let u = &users.users[i];
                        (u.username.clone(), u.salt.clone(), u.verifier.clone())
                    })
                };
                let (username, salt, verifier) = match known {
                    Some((u, s, v)) => {
                        (u, s, srp::from_hex(&v).ok_or_else(|| self.unknown_user())?)
                    }
                    // Cognito does not say a user is unknown here: a challenge
                    // no password answers (the answer is refused as a wrong one)
                    None if self.settings.prevent_user_existence_errors => (
                        name.to_string(),
                        srp::to_hex(&srp::random(16)),
                        srp::random(384),
                    ),
                    None => return Err(self.unknown_user()),
                };
                let b = srp::random(32);
                let big_b = self.group.server_public(&verifier, &b);
                let mut block = [0u8; 48];
                rand::RngCore::fill_bytes(&mut rand::rng(), &mut block);
                let secret_block = base64::engine::general_purpose::STANDARD.encode(block);
                self.remember(
                    secret_block.clone(),
                    Pending {
                        username: username.clone(),
                        srp: Some((a, big_b.clone(), b)),
                        challenge: "PASSWORD_VERIFIER",
                        attempts: 0,
                        expires: now() + SESSION_SECONDS,
                    },
                );
                Ok(json!({
                    "ChallengeName": "PASSWORD_VERIFIER",
                    "ChallengeParameters": {
                        "SALT": salt,
                        "SECRET_BLOCK": secret_block,
                        "SRP_B": srp::to_hex(&big_b),
                        "USERNAME": username,
                        "USER_ID_FOR_SRP": username,
                    },
                }))
            }
            "USER_PASSWORD_AUTH" => {
                let name = params["USERNAME"].as_str().unwrap_or_default();
                let password = params["PASSWORD"].as_str().unwrap_or_default();
                let mut users = self.lock_users();
                let i = self.find(&users, name).ok_or_else(|| self.unknown_user())?;
                if !self.password_matches(&users.users[i], password) {
                    return Err(not_authorized("Incorrect username or password."));
                }
                self.signed_in(&mut users, i)
            }
            _ => self.refresh(params["REFRESH_TOKEN"].as_str().unwrap_or_default()),
        }
    }

    /// New ID and access tokens for a live refresh token (`REFRESH_TOKEN_AUTH`,
    /// `GetTokensFromRefreshToken`); the refresh token stays the same.
    pub(super) fn refresh(&self, token: &str) -> Result<Value, CognitoError> {
        let hash = hex_digest(token);
        let users = self.lock_users();
        let t = now();
        let (user, session) = users
            .users
            .iter()
            .find_map(|u| {
                u.sessions
                    .iter()
                    .find(|s| s.refresh == hash && s.expires > t)
                    .map(|s| (u, s))
            })
            .ok_or_else(|| not_authorized("Invalid Refresh Token"))?;
        if user.disabled {
            return Err(not_authorized("User is disabled."));
        }
        Ok(
            json!({ "ChallengeParameters": {}, "AuthenticationResult": self.tokens(user, session, None) }),
        )
    }

    pub(super) fn remember(&self, key: String, pending: Pending) {
        let mut map = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let t = now();
        map.retain(|_, p| p.expires > t);
        if map.len() >= MAX_PENDING
            && let Some(oldest) = map
                .iter()
                .min_by_key(|(_, p)| p.expires)
                .map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
        map.insert(key, pending);
    }

    pub(super) fn take_pending(&self, key: &str) -> Option<Pending> {
        let mut map = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(key).filter(|p| p.expires > now())
    }

    /// A user who proved their password: a challenge if one is due, else tokens.
    pub(super) fn signed_in(&self, users: &mut Users, i: usize) -> Result<Value, CognitoError> {
        let user = &mut users.users[i];
        if user.disabled {
            return Err(not_authorized("User is disabled."));
        }
        match user.status.as_str() {
            "UNCONFIRMED" => Err(err("UserNotConfirmedException", "User is not confirmed.")),
            "FORCE_CHANGE_PASSWORD" => {
                let mut session = [0u8; 48];
                rand::RngCore::fill_bytes(&mut rand::rng(), &mut session);
                let session = base64::engine::general_purpose::STANDARD.encode(session);
                let username = user.username.clone();
                let attributes = Value::Object(
                    user.attributes
                        .iter()
                        .filter(|(k, _)| !k.ends_with("_verified"))
                        .map(|(k, v)| (k.clone(), json!(v)))
                        .collect(),
                );
                self.remember(
                    session.clone(),
                    Pending {
                        username: username.clone(),
                        srp: None,
                        challenge: "NEW_PASSWORD_REQUIRED",
                        attempts: 0,
                        expires: now() + SESSION_SECONDS,
                    },
                );
                Ok(json!({
                    "ChallengeName": "NEW_PASSWORD_REQUIRED",
                    "Session": session,
                    "ChallengeParameters": {
                        "USER_ID_FOR_SRP": username,
                        "requiredAttributes": "[]",
                        "userAttributes": attributes.to_string(),
                    },
                }))
            }
            _ => match self.mfa_challenge(user) {
                Some(challenge) => Ok(self.issue_mfa_challenge(user, challenge)),
                None => self.issue_tokens(users, i),
            },
        }
    }

    /// A new sign-in session for the user, and its tokens.
    pub(super) fn issue_tokens(&self, users: &mut Users, i: usize) -> Result<Value, CognitoError> {
        let user = &mut users.users[i];
        let (session, refresh) = self.new_session(user);
        let result = self.tokens(user, &session, Some(refresh));
        self.save(users)?;
        Ok(json!({ "ChallengeParameters": {}, "AuthenticationResult": result }))
    }

    pub(super) fn respond_to_challenge(&self, body: &Value) -> Result<Value, CognitoError> {
        let responses = &body["ChallengeResponses"];
        match body["ChallengeName"].as_str().unwrap_or_default() {
            "PASSWORD_VERIFIER" => {
                let block_text = responses["PASSWORD_CLAIM_SECRET_BLOCK"]
                    .as_str()
                    .unwrap_or_default();
                let pending = self
                    .take_pending(block_text)
                    .ok_or_else(|| not_authorized("Incorrect username or password."))?;
                let (a, big_b, b) = pending
                    .srp
                    .filter(|_| pending.challenge == "PASSWORD_VERIFIER")
                    .ok_or_else(|| not_authorized("Incorrect username or password."))?;
                let timestamp = responses["TIMESTAMP"].as_str().unwrap_or_default();
                let signature = responses["PASSWORD_CLAIM_SIGNATURE"]
                    .as_str()
                    .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
                    .unwrap_or_default();
                let block = base64::engine::general_purpose::STANDARD
                    .decode(block_text)
                    .unwrap_or_default();
                let wrong = || not_authorized("Incorrect username or password.");
                // the arithmetic without holding the users
                let verifier = {
                    let users = self.lock_users();
                    let i = self.find(&users, &pending.username).ok_or_else(wrong)?;
                    users.users[i].verifier.clone()
                };
                let verifier = srp::from_hex(&verifier).ok_or_else(wrong)?;
                let key = self
                    .group
                    .session_key(&a, &big_b, &verifier, &b)
                    .ok_or_else(wrong)?;
                let expected =
                    srp::Group::claim(&key, self.pool_name(), &pending.username, &block, timestamp);
                if !crate::sandbox::sigv4::constant_time_eq(&expected, &signature)
                    || timestamp.is_empty()
                {
                    return Err(wrong());
                }
                let mut users = self.lock_users();
                let i = self.find(&users, &pending.username).ok_or_else(wrong)?;
                self.signed_in(&mut users, i)
            }
            "NEW_PASSWORD_REQUIRED" => {
                let session = body["Session"].as_str().unwrap_or_default();
                let pending = self
                    .take_pending(session)
                    .filter(|p| p.challenge == "NEW_PASSWORD_REQUIRED")
                    .ok_or_else(|| {
                        not_authorized("Invalid session for the user, session is expired.")
                    })?;
                let password = responses["NEW_PASSWORD"].as_str().unwrap_or_default();
                let mut users = self.lock_users();
                let i = self
                    .find(&users, &pending.username)
                    .ok_or_else(|| self.unknown_user())?;
                self.set_password(&mut users.users[i], password)?;
                users.users[i].status = "CONFIRMED".into();
                self.signed_in(&mut users, i)
            }
            "SOFTWARE_TOKEN_MFA" => self.answer_totp(body),
            "MFA_SETUP" => self.answer_mfa_setup(body),
            other => Err(invalid(format!(
                "the sandbox's user pool does not answer the {other} challenge"
            ))),
        }
    }

    /// A new sign-in session for `user`, and its refresh token.
    pub(super) fn new_session(&self, user: &mut User) -> (Session, String) {
        let mut bytes = [0u8; 64];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let t = now();
        user.sessions.retain(|s| s.expires > t);
        if user.sessions.len() >= MAX_SESSIONS {
            user.sessions.remove(0);
        }
        let session = Session {
            origin_jti: uuid::Uuid::new_v4().to_string(),
            refresh: hex_digest(&token),
            auth_time: t,
            expires: t + self.settings.refresh_token_seconds,
        };
        user.sessions.push(session.clone());
        (session, token)
    }

    /// ID and access tokens for `user` (and the refresh token, when one was made).
    pub(super) fn tokens(&self, user: &User, session: &Session, refresh: Option<String>) -> Value {
        let t = now();
        let jti = || uuid::Uuid::new_v4().to_string();
        let origin = &session.origin_jti;
        let mut id = Map::new();
        // the user's attributes first; the claims that say who it is and what
        // it may do are the pool's, written over them
        for (k, v) in &user.attributes {
            let value = match v.as_str() {
                "true" if k.ends_with("_verified") => json!(true),
                "false" if k.ends_with("_verified") => json!(false),
                _ => json!(v),
            };
            id.insert(k.clone(), value);
        }
        id.remove("cognito:groups");
        if !user.groups.is_empty() {
            id.insert("cognito:groups".into(), json!(user.groups));
        }
        for (k, v) in [
            ("sub", json!(user.sub)),
            ("iss", json!(self.issuer)),
            ("cognito:username", json!(user.username)),
            ("origin_jti", json!(origin)),
            ("aud", json!(self.client_id)),
            ("event_id", json!(jti())),
            ("token_use", json!("id")),
            ("auth_time", json!(session.auth_time)),
            ("exp", json!(t + self.settings.id_token_seconds)),
            ("iat", json!(t)),
            ("jti", json!(jti())),
        ] {
            id.insert(k.into(), v);
        }
        let mut access = json!({
            "sub": user.sub,
            "iss": self.issuer,
            "client_id": self.client_id,
            "origin_jti": origin,
            "event_id": jti(),
            "token_use": "access",
            "scope": "aws.cognito.signin.user.admin",
            "auth_time": session.auth_time,
            "exp": t + self.settings.access_token_seconds,
            "iat": t,
            "jti": jti(),
            "username": user.username,
        });
        if !user.groups.is_empty() {
            access["cognito:groups"] = json!(user.groups);
        }
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.key.kid.clone());
        let sign = |claims: &Value| {
            jsonwebtoken::encode(&header, claims, &self.key.encoding).unwrap_or_default()
        };
        let mut out = json!({
            "AccessToken": sign(&access),
            "ExpiresIn": self.settings.access_token_seconds,
            "TokenType": "Bearer",
            "IdToken": sign(&Value::Object(id)),
        });
        if let Some(r) = refresh {
            out["RefreshToken"] = json!(r);
        }
        out
    }
}
