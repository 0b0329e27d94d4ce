//! TOTP MFA as Cognito runs it (Amazon Cognito Developer Guide, "TOTP
//! software token MFA"; API Reference: `AssociateSoftwareToken`,
//! `VerifySoftwareToken`, `SetUserMFAPreference`): a user associates a
//! secret (base32, shown once), proves it with a code, and turns it on;
//! then, where the pool's `MfaConfiguration` is `OPTIONAL` and the user has
//! it on, or `ON`, a sign-in that proved the password answers
//! `SOFTWARE_TOKEN_MFA` with a code (an `ON` pool asks a user without one to
//! set it up first: `MFA_SETUP`). Codes are RFC 6238's (HMAC-SHA1, 6
//! digits, 30 s steps, the step before and after taken), each good once.

use base64::Engine;
use serde_json::{Value, json};

use super::*;

/// RFC 6238's time step, in seconds.
const STEP_SECONDS: u64 = 30;
/// Wrong codes one MFA challenge takes before its session is spent.
const MAX_ATTEMPTS: u32 = 5;

/// A user's TOTP MFA.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct Totp {
    /// The verified secret (base32), once the user proved it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    /// A secret associated but not yet verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pending: Option<String>,
    /// The user has TOTP MFA on (`SetUserMFAPreference`, or set up at sign-in).
    #[serde(default)]
    enabled: bool,
    /// TOTP is the user's preferred MFA.
    #[serde(default)]
    preferred: bool,
    /// The last time step a code was taken for: a code is good once.
    #[serde(default)]
    last_step: u64,
}

/// The time step `code` is good for under `secret` (base32), one step
/// either side of `time` (seconds since the epoch), not before `after`.
fn code_step(secret: &str, code: &str, time: u64, after: u64) -> Option<u64> {
    let bytes = totp_rs::Secret::Encoded(secret.to_string())
        .to_bytes()
        .ok()?;
    let totp = totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 1, STEP_SECONDS, bytes);
    let now = time / STEP_SECONDS;
    (now.saturating_sub(1)..=now + 1)
        .filter(|s| *s > after)
        .find(|s| {
            crate::sandbox::sigv4::constant_time_eq(
                totp.generate(s * STEP_SECONDS).as_bytes(),
                code.trim().as_bytes(),
            )
        })
}

/// A code for `secret` at `time`: for tests, as an authenticator app computes it.
#[cfg(test)]
pub(super) fn code_at(secret: &str, time: u64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_string())
        .to_bytes()
        .unwrap();
    totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 1, STEP_SECONDS, bytes).generate(time)
}

fn session_id() -> String {
    let mut bytes = [0u8; 48];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl UserPool {
    fn totp_on(&self) -> bool {
        self.settings.mfa != "OFF" && self.settings.totp
    }

    /// The MFA challenge a user who proved their password owes, if any.
    pub(super) fn mfa_challenge(&self, user: &User) -> Option<&'static str> {
        if !self.totp_on() {
            return None;
        }
        let required = self.settings.mfa == "ON";
        if user.mfa.secret.is_some() && (user.mfa.enabled || required) {
            // a verified secret is asked for, never replaced by a new setup
            Some("SOFTWARE_TOKEN_MFA")
        } else if required {
            Some("MFA_SETUP")
        } else {
            None
        }
    }

    /// Answer `InitiateAuth` (or a password challenge) with `challenge`.
    pub(super) fn issue_mfa_challenge(&self, user: &User, challenge: &'static str) -> Value {
        let session = session_id();
        self.remember(
            session.clone(),
            Pending {
                username: user.username.clone(),
                srp: None,
                challenge,
                attempts: 0,
                expires: now() + SESSION_SECONDS,
            },
        );
        let parameters = if challenge == "MFA_SETUP" {
            json!({ "MFAS_CAN_SETUP": "[\"SOFTWARE_TOKEN_MFA\"]", "USER_ID_FOR_SRP": user.username })
        } else {
            json!({ "USER_ID_FOR_SRP": user.username })
        };
        json!({ "ChallengeName": challenge, "Session": session, "ChallengeParameters": parameters })
    }

    /// `SOFTWARE_TOKEN_MFA`: the code of the user's authenticator. A wrong
    /// code keeps the session for another try, five in all.
    pub(super) fn answer_totp(&self, body: &Value) -> Result<Value, CognitoError> {
        let session = body["Session"].as_str().unwrap_or_default();
        let expired = || not_authorized("Invalid session for the user, session is expired.");
        let pending = self
            .take_pending(session)
            .filter(|p| p.challenge == "SOFTWARE_TOKEN_MFA")
            .ok_or_else(expired)?;
        let code = body["ChallengeResponses"]["SOFTWARE_TOKEN_MFA_CODE"]
            .as_str()
            .unwrap_or_default();
        let mut users = self.lock_users();
        let i = self.find(&users, &pending.username).ok_or_else(expired)?;
        let user = &mut users.users[i];
        let secret = user.mfa.secret.clone().ok_or_else(expired)?;
        match code_step(&secret, code, now(), user.mfa.last_step) {
            Some(step) => {
                user.mfa.last_step = step;
                self.issue_tokens(&mut users, i)
            }
            None => {
                if pending.attempts + 1 < MAX_ATTEMPTS {
                    self.remember(
                        session.to_string(),
                        Pending {
                            attempts: pending.attempts + 1,
                            ..pending
                        },
                    );
                }
                Err(err(
                    "CodeMismatchException",
                    "Invalid code received for user",
                ))
            }
        }
    }

    /// `MFA_SETUP`, after `VerifySoftwareToken` with the challenge's session.
    pub(super) fn answer_mfa_setup(&self, body: &Value) -> Result<Value, CognitoError> {
        let session = body["Session"].as_str().unwrap_or_default();
        let pending = self
            .take_pending(session)
            .filter(|p| p.challenge == "MFA_SETUP_DONE")
            .ok_or_else(|| not_authorized("Invalid session for the user, session is expired."))?;
        let mut users = self.lock_users();
        let i = self
            .find(&users, &pending.username)
            .ok_or_else(|| self.unknown_user())?;
        self.issue_tokens(&mut users, i)
    }

    /// The user an MFA operation is for: by `AccessToken`, or by the
    /// `Session` of an `MFA_SETUP` challenge (then also the session kept).
    fn mfa_user(&self, body: &Value) -> Result<(String, Option<Pending>), CognitoError> {
        if let Some(session) = body["Session"].as_str() {
            let pending = self
                .take_pending(session)
                .filter(|p| p.challenge == "MFA_SETUP")
                .ok_or_else(|| {
                    not_authorized("Invalid session for the user, session is expired.")
                })?;
            return Ok((pending.username.clone(), Some(pending)));
        }
        let sub = self.access_subject(body)?;
        let users = self.lock_users();
        let user = users
            .users
            .iter()
            .find(|u| u.sub == sub)
            .ok_or_else(|| not_authorized("Access Token has been revoked"))?;
        Ok((user.username.clone(), None))
    }

    /// `AssociateSoftwareToken`: a new secret for the user's authenticator.
    pub(super) fn associate_software_token(&self, body: &Value) -> Result<Value, CognitoError> {
        if !self.totp_on() {
            return Err(invalid(
                "Software token MFA is not enabled for this user pool (hoist.toml: mfa_methods = [\"totp\"]).",
            ));
        }
        let (username, pending) = self.mfa_user(body)?;
        // 160 random bits, as RFC 4226 recommends (and Cognito's 32-character codes carry)
        let mut raw = [0u8; 20];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut raw);
        let secret = match totp_rs::Secret::Raw(raw.to_vec()).to_encoded() {
            totp_rs::Secret::Encoded(s) => s,
            totp_rs::Secret::Raw(_) => return Err(invalid("the secret could not be encoded")),
        };
        let mut users = self.lock_users();
        let i = self
            .find(&users, &username)
            .ok_or_else(|| self.unknown_user())?;
        users.users[i].mfa.pending = Some(secret.clone());
        self.save(&users)?;
        drop(users);
        let mut out = json!({ "SecretCode": secret });
        if let Some(pending) = pending {
            let session = session_id();
            self.remember(session.clone(), pending);
            out["Session"] = json!(session);
        }
        Ok(out)
    }

    /// `VerifySoftwareToken`: a code of the associated secret makes it the user's.
    pub(super) fn verify_software_token(&self, body: &Value) -> Result<Value, CognitoError> {
        let (username, pending) = self.mfa_user(body)?;
        let code = body["UserCode"].as_str().unwrap_or_default();
        let mut users = self.lock_users();
        let i = self
            .find(&users, &username)
            .ok_or_else(|| self.unknown_user())?;
        let user = &mut users.users[i];
        if pending.is_some() && user.mfa.secret.is_some() {
            // a sign-in's setup session never replaces a verified secret
            return Err(not_authorized(
                "Invalid session for the user, session is expired.",
            ));
        }
        let secret = user.mfa.pending.clone().ok_or_else(|| {
            err(
                "InvalidParameterException",
                "No software token is associated: call AssociateSoftwareToken first.",
            )
        })?;
        let Some(step) = code_step(&secret, code, now(), 0) else {
            drop(users);
            if let Some(pending) = pending.filter(|p| p.attempts + 1 < MAX_ATTEMPTS) {
                // the setup may be tried again with the same session, five times in all
                self.remember(
                    body["Session"].as_str().unwrap_or_default().to_string(),
                    Pending {
                        attempts: pending.attempts + 1,
                        ..pending
                    },
                );
            }
            return Err(err("EnableSoftwareTokenMFAException", "Code mismatch"));
        };
        user.mfa.secret = Some(secret);
        user.mfa.pending = None;
        user.mfa.last_step = step;
        let mut out = json!({ "Status": "SUCCESS" });
        if let Some(pending) = pending {
            // set up while signing in: MFA is on from now, and the sign-in goes on
            user.mfa.enabled = true;
            user.mfa.preferred = true;
            let session = session_id();
            self.remember(
                session.clone(),
                Pending {
                    challenge: "MFA_SETUP_DONE",
                    expires: now() + SESSION_SECONDS,
                    ..pending
                },
            );
            out["Session"] = json!(session);
        }
        self.save(&users)?;
        Ok(out)
    }

    /// `SetUserMFAPreference` (TOTP only: `SoftwareTokenMfaSettings`).
    pub(super) fn set_mfa_preference(&self, body: &Value) -> Result<Value, CognitoError> {
        let settings = &body["SoftwareTokenMfaSettings"];
        if settings.is_null() {
            return Ok(json!({}));
        }
        let enabled = settings["Enabled"] == true;
        let preferred = settings["PreferredMfa"] == true;
        if preferred && !enabled {
            return Err(invalid(
                "Invalid SoftwareTokenMfaSettings: MFA cannot be preferred while it is disabled.",
            ));
        }
        if self.settings.mfa == "OFF" && enabled {
            return Err(invalid("MFA is not enabled for this user pool."));
        }
        self.with_access_token(body, |user, pool| {
            if enabled && user.mfa.secret.is_none() {
                return Err(err(
                    "SoftwareTokenMFANotFoundException",
                    "Software Token MFA mapping does not exist for user.",
                ));
            }
            if !enabled && pool.settings.mfa == "ON" {
                return Err(invalid("MFA is required in this user pool."));
            }
            user.mfa.enabled = enabled;
            user.mfa.preferred = preferred;
            Ok(json!({}))
        })
    }

    /// What `GetUser` says of the user's MFA.
    pub(super) fn mfa_settings(&self, user: &User) -> Value {
        match (
            user.mfa.enabled && user.mfa.secret.is_some(),
            user.mfa.preferred,
        ) {
            (true, true) => json!({
                "PreferredMfaSetting": "SOFTWARE_TOKEN_MFA",
                "UserMFASettingList": ["SOFTWARE_TOKEN_MFA"],
            }),
            (true, false) => json!({ "UserMFASettingList": ["SOFTWARE_TOKEN_MFA"] }),
            _ => json!({}),
        }
    }
}
