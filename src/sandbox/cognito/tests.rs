use base64::Engine;

use super::*;

fn pool(codes: Arc<Mutex<Vec<String>>>) -> UserPool {
    pool_with(PoolSettings::default(), codes)
}

fn pool_with(settings: PoolSettings, codes: Arc<Mutex<Vec<String>>>) -> UserPool {
    let (key, _) = PoolKey::load_or_make(None).unwrap();
    UserPool::open(
        "us-east-1_hoistsbx",
        "client",
        "http://127.0.0.1:1/us-east-1_hoistsbx",
        settings,
        key,
        None,
        Arc::new(move |m: &str| codes.lock().unwrap().push(m.to_string())),
    )
    .unwrap()
}

fn srp_sign_in(pool: &UserPool, name: &str, password: &str) -> Result<Value, CognitoError> {
    let a = srp::random(128);
    let group = srp::Group::new();
    let start = pool.call(
        "InitiateAuth",
        &json!({
            "ClientId": "client", "AuthFlow": "USER_SRP_AUTH",
            "AuthParameters": { "USERNAME": name, "SRP_A": srp::to_hex(&group.client_public(&a)) },
        }),
    )?;
    let p = &start["ChallengeParameters"];
    let salt = srp::from_hex(p["SALT"].as_str().unwrap()).unwrap();
    let big_b = srp::from_hex(p["SRP_B"].as_str().unwrap()).unwrap();
    let user_id = p["USER_ID_FOR_SRP"].as_str().unwrap();
    let (_, key) = group.client_key(&a, &big_b, "hoistsbx", user_id, password, &salt);
    let block_text = p["SECRET_BLOCK"].as_str().unwrap();
    let block = base64::engine::general_purpose::STANDARD
        .decode(block_text)
        .unwrap();
    let timestamp = "Mon Nov 30 16:00:00 UTC 2026";
    let claim = srp::Group::claim(&key, "hoistsbx", user_id, &block, timestamp);
    pool.call("RespondToAuthChallenge", &json!({
        "ClientId": "client", "ChallengeName": "PASSWORD_VERIFIER",
        "ChallengeResponses": {
            "USERNAME": user_id, "PASSWORD_CLAIM_SECRET_BLOCK": block_text, "TIMESTAMP": timestamp,
            "PASSWORD_CLAIM_SIGNATURE": base64::engine::general_purpose::STANDARD.encode(claim),
        },
    }))
}

/// Sign up, confirm with the printed code, sign in with SRP, read the
/// user, refresh, sign out everywhere: each step as Cognito answers it.
#[test]
fn a_user_signs_up_and_in_as_with_cognito() {
    let codes = Arc::new(Mutex::new(Vec::new()));
    let pool = pool(codes.clone());
    let up = json!({ "ClientId": "client", "Username": "ada@example.com", "Password": "Secret-123",
        "UserAttributes": [{ "Name": "email", "Value": "ada@example.com" }] });
    let out = pool.call("SignUp", &up).unwrap();
    assert_eq!(out["UserConfirmed"], false);
    assert_eq!(out["CodeDeliveryDetails"]["Destination"], "a***@e***");
    assert_eq!(
        pool.call("SignUp", &up).unwrap_err().kind,
        "UsernameExistsException"
    );
    let weak = json!({ "ClientId": "client", "Username": "bob@example.com", "Password": "secret" });
    assert_eq!(
        pool.call("SignUp", &weak).unwrap_err().kind,
        "InvalidPasswordException"
    );
    assert_eq!(
        pool.call(
            "SignUp",
            &json!({ "ClientId": "other", "Username": "c@example.com", "Password": "Secret-123" })
        )
        .unwrap_err()
        .kind,
        "ResourceNotFoundException"
    );
    // not confirmed yet: the password is right, the user may not sign in
    assert_eq!(
        srp_sign_in(&pool, "ada@example.com", "Secret-123")
            .unwrap_err()
            .kind,
        "UserNotConfirmedException"
    );
    let printed = codes.lock().unwrap().last().cloned().unwrap();
    let code = printed.rsplit(' ').next().unwrap().to_string();
    assert!(
        printed.starts_with("confirmation code for ada@example.com: "),
        "{printed}"
    );
    let confirm = |c: &str| {
        pool.call(
            "ConfirmSignUp",
            &json!({ "ClientId": "client", "Username": "ada@example.com", "ConfirmationCode": c }),
        )
    };
    assert_eq!(
        confirm("000000x").unwrap_err().kind,
        "CodeMismatchException"
    );
    confirm(&code).unwrap();

    assert_eq!(
        srp_sign_in(&pool, "ada@example.com", "Secret-124")
            .unwrap_err()
            .kind,
        "NotAuthorizedException"
    );
    assert_eq!(
        srp_sign_in(&pool, "nobody@example.com", "Secret-123")
            .unwrap_err()
            .kind,
        "NotAuthorizedException"
    );
    let result = srp_sign_in(&pool, "ADA@example.com", "Secret-123").unwrap();
    let tokens = &result["AuthenticationResult"];
    let id = pool
        .verify(tokens["IdToken"].as_str().unwrap(), Some("id"))
        .unwrap();
    assert_eq!(id["email"], "ada@example.com");
    assert_eq!(id["email_verified"], true);
    assert_eq!(id["cognito:username"], id["sub"]);
    assert!(
        pool.verify(tokens["IdToken"].as_str().unwrap(), Some("access"))
            .is_none()
    );
    let access = tokens["AccessToken"].as_str().unwrap();
    let me = pool
        .call("GetUser", &json!({ "AccessToken": access }))
        .unwrap();
    assert_eq!(me["Username"], id["sub"]);
    // USER_PASSWORD_AUTH is not among the client's flows, as deployed
    let plain = json!({ "ClientId": "client", "AuthFlow": "USER_PASSWORD_AUTH",
        "AuthParameters": { "USERNAME": "ada@example.com", "PASSWORD": "Secret-123" } });
    assert_eq!(
        pool.call("InitiateAuth", &plain).unwrap_err().kind,
        "InvalidParameterException"
    );
    let refresh = json!({ "ClientId": "client", "AuthFlow": "REFRESH_TOKEN_AUTH",
        "AuthParameters": { "REFRESH_TOKEN": tokens["RefreshToken"] } });
    let again = pool.call("InitiateAuth", &refresh).unwrap();
    assert!(again["AuthenticationResult"]["IdToken"].is_string());
    assert!(again["AuthenticationResult"]["RefreshToken"].is_null());
    // a tampered token is refused
    let mut parts: Vec<String> = access.split('.').map(str::to_string).collect();
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b"{\"sub\":\"x\"}");
    assert!(pool.verify(&parts.join("."), None).is_none());
    pool.call("GlobalSignOut", &json!({ "AccessToken": access }))
        .unwrap();
    assert!(pool.verify_live(access, None).is_none());
    assert_eq!(
        pool.call("GetUser", &json!({ "AccessToken": access }))
            .unwrap_err()
            .kind,
        "NotAuthorizedException"
    );
    assert_eq!(
        pool.call("InitiateAuth", &refresh).unwrap_err().kind,
        "NotAuthorizedException"
    );
    // signing in again at once gives live tokens (sessions, not timestamps)
    let again = srp_sign_in(&pool, "ada@example.com", "Secret-123").unwrap();
    let fresh = again["AuthenticationResult"]["AccessToken"]
        .as_str()
        .unwrap();
    assert!(
        pool.call("GetUser", &json!({ "AccessToken": fresh }))
            .is_ok()
    );
    // RevokeToken ends that session's access token too
    pool.call(
        "RevokeToken",
        &json!({ "ClientId": "client", "Token": again["AuthenticationResult"]["RefreshToken"] }),
    )
    .unwrap();
    assert!(
        pool.call("GetUser", &json!({ "AccessToken": fresh }))
            .is_err()
    );
}

/// A user cannot put claims in their tokens through attributes, and codes
/// cannot be guessed: five wrong ones spend the code.
#[test]
fn attributes_cannot_forge_claims_and_codes_cannot_be_guessed() {
    let codes = Arc::new(Mutex::new(Vec::new()));
    let pool = pool(codes.clone());
    for name in ["cognito:groups", "username", "sub", "custom:role"] {
        let up = json!({ "ClientId": "client", "Username": "eve@example.com", "Password": "Secret-123",
            "UserAttributes": [{ "Name": name, "Value": "Admin" }] });
        assert_eq!(
            pool.call("SignUp", &up).unwrap_err().kind,
            "InvalidParameterException",
            "{name}"
        );
    }
    let up =
        json!({ "ClientId": "client", "Username": "eve@example.com", "Password": "Secret-123" });
    pool.call("SignUp", &up).unwrap();
    let code = codes
        .lock()
        .unwrap()
        .last()
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .to_string();
    let confirm = |c: &str| {
        pool.call(
            "ConfirmSignUp",
            &json!({ "ClientId": "client", "Username": "eve@example.com", "ConfirmationCode": c }),
        )
    };
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..4 {
        assert_eq!(confirm(wrong).unwrap_err().kind, "CodeMismatchException");
    }
    assert_eq!(confirm(wrong).unwrap_err().kind, "LimitExceededException");
    // the right code is spent with the fifth wrong guess
    assert_eq!(confirm(&code).unwrap_err().kind, "ExpiredCodeException");
    // an unknown user is a wrong code, not a revealed absence
    let unknown = pool.call(
        "ConfirmSignUp",
        &json!({ "ClientId": "client", "Username": "x@example.com", "ConfirmationCode": "123456" }),
    );
    assert_eq!(unknown.unwrap_err().kind, "CodeMismatchException");
}

#[test]
fn the_template_sets_the_pool() {
    let template = json!({ "Resources": {
        "UserPool": { "Type": "AWS::Cognito::UserPool", "Properties": {
            "Policies": { "PasswordPolicy": { "MinimumLength": 12, "RequireSymbols": false } },
            "Schema": [{ "Name": "email", "Required": true }, { "Name": "name", "Required": true }],
            "AdminCreateUserConfig": { "AllowAdminCreateUserOnly": true } } },
        "Client": { "Type": "AWS::Cognito::UserPoolClient", "Properties": {
            "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"], "AccessTokenValidity": 5,
            "TokenValidityUnits": { "AccessToken": "minutes" } } },
        "Admins": { "Type": "AWS::Cognito::UserPoolGroup", "Properties": { "GroupName": "Admin", "Precedence": 1 } },
    }});
    let s = PoolSettings::from_template(&template, "eu-west-1").unwrap();
    assert_eq!(
        (s.min_length, s.require_symbols, s.self_sign_up),
        (12, false, false)
    );
    assert_eq!(s.required_attributes, ["email", "name"]);
    assert_eq!(s.access_token_seconds, 300);
    assert_eq!(s.groups, [("Admin".to_string(), 1)]);
    assert_eq!(
        s.password_problem("short"),
        Some("Password not long enough")
    );
}

/// A confirmed user, made as an administrator would.
fn confirmed_user(pool: &UserPool, email: &str, password: &str) {
    pool.call(
        "AdminCreateUser",
        &json!({ "Username": email, "TemporaryPassword": "Temp-123!x", "MessageAction": "SUPPRESS",
            "UserAttributes": [{ "Name": "email", "Value": email }] }),
    )
    .unwrap();
    pool.call(
        "AdminSetUserPassword",
        &json!({ "Username": email, "Password": password, "Permanent": true }),
    )
    .unwrap();
}

fn kind(r: Result<Value, CognitoError>) -> &'static str {
    r.map(|v| panic!("expected an error, got {v}"))
        .unwrap_err()
        .kind
}

/// TOTP MFA: associate, verify, turn on; a sign-in then answers
/// `SOFTWARE_TOKEN_MFA` (a wrong code is refused and may be retried, a code
/// already used is refused); in an `ON` pool a user without it sets it up
/// while signing in (`MFA_SETUP`).
#[test]
fn totp_mfa_is_set_up_and_asked_for_as_cognito_does() {
    let codes = Arc::new(Mutex::new(Vec::new()));
    let settings = PoolSettings {
        mfa: "OPTIONAL".into(),
        totp: true,
        ..PoolSettings::default()
    };
    let pool = pool_with(settings.clone(), codes.clone());
    confirmed_user(&pool, "ada@example.com", "Secret-123");
    let signed = srp_sign_in(&pool, "ada@example.com", "Secret-123").unwrap();
    let access = signed["AuthenticationResult"]["AccessToken"].clone();
    assert!(access.is_string(), "no MFA yet: {signed}");
    assert_eq!(
        kind(pool.call(
            "SetUserMFAPreference",
            &json!({ "AccessToken": access, "SoftwareTokenMfaSettings": { "Enabled": true } })
        )),
        "SoftwareTokenMFANotFoundException"
    );
    let secret = pool
        .call("AssociateSoftwareToken", &json!({ "AccessToken": access }))
        .unwrap()["SecretCode"]
        .as_str()
        .unwrap()
        .to_string();
    let t = now();
    let right = mfa::code_at(&secret, t);
    let wrong = format!("{:06}", (right.parse::<u32>().unwrap() + 1) % 1_000_000);
    assert_eq!(
        kind(pool.call(
            "VerifySoftwareToken",
            &json!({ "AccessToken": access, "UserCode": wrong })
        )),
        "EnableSoftwareTokenMFAException"
    );
    let verified = pool
        .call(
            "VerifySoftwareToken",
            &json!({ "AccessToken": access, "UserCode": right }),
        )
        .unwrap();
    assert_eq!(verified["Status"], "SUCCESS");
    pool.call(
        "SetUserMFAPreference",
        &json!({ "AccessToken": access, "SoftwareTokenMfaSettings": { "Enabled": true, "PreferredMfa": true } }),
    )
    .unwrap();
    let me = pool
        .call("GetUser", &json!({ "AccessToken": access }))
        .unwrap();
    assert_eq!(me["UserMFASettingList"], json!(["SOFTWARE_TOKEN_MFA"]));

    // the password alone is not enough now
    let challenge = srp_sign_in(&pool, "ada@example.com", "Secret-123").unwrap();
    assert_eq!(challenge["ChallengeName"], "SOFTWARE_TOKEN_MFA");
    let session = challenge["Session"].as_str().unwrap();
    let answer = |code: &str, session: &str| {
        pool.call(
            "RespondToAuthChallenge",
            &json!({ "ClientId": "client", "ChallengeName": "SOFTWARE_TOKEN_MFA", "Session": session,
                "ChallengeResponses": { "USERNAME": "ada@example.com", "SOFTWARE_TOKEN_MFA_CODE": code } }),
        )
    };
    assert_eq!(kind(answer(&wrong, session)), "CodeMismatchException");
    // the code used to verify is spent; the next step's is good
    assert_eq!(kind(answer(&right, session)), "CodeMismatchException");
    let next = mfa::code_at(&secret, t + 30);
    let tokens = answer(&next, session).unwrap();
    assert!(tokens["AuthenticationResult"]["IdToken"].is_string());
    // a session answered is spent
    assert_eq!(kind(answer(&next, session)), "NotAuthorizedException");

    // an `ON` pool: a user without TOTP sets it up while signing in
    let required = pool_with(
        PoolSettings {
            mfa: "ON".into(),
            ..settings
        },
        codes,
    );
    confirmed_user(&required, "bob@example.com", "Secret-456");
    let setup = srp_sign_in(&required, "bob@example.com", "Secret-456").unwrap();
    assert_eq!(setup["ChallengeName"], "MFA_SETUP");
    let associated = required
        .call(
            "AssociateSoftwareToken",
            &json!({ "Session": setup["Session"] }),
        )
        .unwrap();
    let secret = associated["SecretCode"].as_str().unwrap();
    let verified = required
        .call(
            "VerifySoftwareToken",
            &json!({ "Session": associated["Session"], "UserCode": mfa::code_at(secret, now()) }),
        )
        .unwrap();
    let done = required
        .call(
            "RespondToAuthChallenge",
            &json!({ "ClientId": "client", "ChallengeName": "MFA_SETUP", "Session": verified["Session"],
                "ChallengeResponses": { "USERNAME": "bob@example.com" } }),
        )
        .unwrap();
    assert!(done["AuthenticationResult"]["AccessToken"].is_string());
    // and MFA cannot be turned off where it is required
    assert_eq!(
        kind(required.call(
            "SetUserMFAPreference",
            &json!({ "AccessToken": done["AuthenticationResult"]["AccessToken"],
                "SoftwareTokenMfaSettings": { "Enabled": false } })
        )),
        "InvalidParameterException"
    );
}

/// The triggers around sign-in and confirmation, with a stand-in for the
/// sandbox's functions: pre authentication refuses a user, pre token
/// generation adds, overrides and suppresses ID token claims (never the
/// ones Cognito keeps) and overrides the groups of both tokens, post
/// authentication follows a sign-in but not a refresh, and a failing post
/// confirmation is the confirmation's error while the user stays confirmed.
#[test]
fn sign_in_and_confirmation_triggers_run_as_cognito_runs_them() {
    let codes = Arc::new(Mutex::new(Vec::new()));
    let seen: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let functions = [
        ("PreAuthentication", "guard"),
        ("PreTokenGeneration", "stamp"),
        ("PostAuthentication", "audit"),
        ("PostConfirmation", "welcome"),
    ]
    .into_iter()
    .map(|(k, f)| (k.to_string(), f.to_string()))
    .collect();
    let pool = pool(codes.clone()).with_triggers(LambdaTriggers {
        functions,
        invoke: Arc::new(move |function: &str, mut event: Value| {
            log.lock().unwrap().push(format!(
                "{function} {} {}",
                event["triggerSource"].as_str().unwrap(),
                event["request"]["userAttributes"]["email"]
            ));
            match function {
                "guard"
                    if event["request"]["userAttributes"]["email"]
                        .as_str()
                        .is_some_and(|e| e.starts_with("blocked")) =>
                {
                    Err(("Error".into(), "blocked users may not sign in".into()))
                }
                "welcome" => Err(("Error".into(), "welcome mail failed".into())),
                "audit"
                    if event["request"]["userAttributes"]["email"]
                        .as_str()
                        .is_some_and(|e| e.starts_with("audited")) =>
                {
                    Err(("Error".into(), "not today".into()))
                }
                "stamp"
                    if event["request"]["userAttributes"]["email"]
                        .as_str()
                        .is_some_and(|e| e.starts_with("numbers")) =>
                {
                    event["response"]["claimsOverrideDetails"] =
                        json!({ "claimsToAddOrOverride": { "level": 3 } });
                    Ok(event)
                }
                "stamp" => {
                    assert_eq!(
                        event["request"]["groupConfiguration"]["groupsToOverride"],
                        json!([])
                    );
                    event["response"]["claimsOverrideDetails"] = json!({
                        "claimsToAddOrOverride": { "tenant": "acme", "sub": "someone-else" },
                        "claimsToSuppress": ["email", "token_use"],
                        "groupOverrideDetails": { "groupsToOverride": ["Editors"] },
                    });
                    Ok(event)
                }
                _ => Ok(event),
            }
        }),
    });
    confirmed_user(&pool, "ada@example.com", "Secret-123");
    let signed = srp_sign_in(&pool, "ada@example.com", "Secret-123").unwrap();
    let result = &signed["AuthenticationResult"];
    let id = pool
        .verify(result["IdToken"].as_str().unwrap(), Some("id"))
        .expect("the ID token is signed by the pool");
    assert_eq!(id["tenant"], "acme");
    assert_ne!(id["sub"], "someone-else", "sub is Cognito's");
    assert_eq!(id["token_use"], "id", "token_use is Cognito's");
    assert!(!id.contains_key("email"), "{id:?}");
    assert_eq!(id["cognito:groups"], json!(["Editors"]));
    let access = pool
        .verify(result["AccessToken"].as_str().unwrap(), Some("access"))
        .unwrap();
    assert_eq!(access["cognito:groups"], json!(["Editors"]));
    assert!(!access.contains_key("tenant"), "V1_0 changes the ID token");
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "guard PreAuthentication_Authentication \"ada@example.com\"",
            "stamp TokenGeneration_Authentication \"ada@example.com\"",
            "audit PostAuthentication_Authentication \"ada@example.com\"",
        ]
    );
    seen.lock().unwrap().clear();
    let refreshed = pool
        .call(
            "GetTokensFromRefreshToken",
            &json!({ "ClientId": "client", "RefreshToken": result["RefreshToken"] }),
        )
        .unwrap();
    let id = pool
        .verify(
            refreshed["AuthenticationResult"]["IdToken"]
                .as_str()
                .unwrap(),
            Some("id"),
        )
        .unwrap();
    assert_eq!(id["tenant"], "acme");
    assert_eq!(
        *seen.lock().unwrap(),
        ["stamp TokenGeneration_RefreshTokens \"ada@example.com\""]
    );

    // the pre authentication trigger refuses
    confirmed_user(&pool, "blocked@example.com", "Secret-123");
    let refused = srp_sign_in(&pool, "blocked@example.com", "Secret-123").unwrap_err();
    assert_eq!(refused.kind, "UserLambdaValidationException");
    assert_eq!(
        refused.message,
        "PreAuthentication failed with error blocked users may not sign in."
    );

    // a V1_0 claim is a string
    confirmed_user(&pool, "numbers@example.com", "Secret-123");
    let refused = srp_sign_in(&pool, "numbers@example.com", "Secret-123").unwrap_err();
    assert_eq!(refused.kind, "InvalidLambdaResponseException");
    // a sign-in post authentication refuses hands out nothing and leaves no session
    confirmed_user(&pool, "audited@example.com", "Secret-123");
    let refused = srp_sign_in(&pool, "audited@example.com", "Secret-123").unwrap_err();
    assert_eq!(
        refused.message,
        "PostAuthentication failed with error not today."
    );
    {
        let users = pool.lock_users();
        let i = pool.find(&users, "audited@example.com").unwrap();
        assert!(users.users[i].sessions.is_empty());
    }
    // an administrator confirms an unconfirmed user only
    assert_eq!(
        kind(pool.call(
            "AdminConfirmSignUp",
            &json!({ "Username": "ada@example.com" })
        )),
        "NotAuthorizedException"
    );

    // post confirmation fails: the error is the confirmation's, the user is confirmed
    let up = json!({ "ClientId": "client", "Username": "grace@example.com", "Password": "Secret-123",
        "UserAttributes": [{ "Name": "email", "Value": "grace@example.com" }] });
    pool.call("SignUp", &up).unwrap();
    let printed = codes.lock().unwrap().last().cloned().unwrap();
    let code = printed.rsplit(' ').next().unwrap().to_string();
    let failed = pool
        .call(
            "ConfirmSignUp",
            &json!({ "ClientId": "client", "Username": "grace@example.com", "ConfirmationCode": code }),
        )
        .unwrap_err();
    assert_eq!(
        failed.message,
        "PostConfirmation failed with error welcome mail failed."
    );
    assert!(srp_sign_in(&pool, "grace@example.com", "Secret-123").is_ok());
}

/// The custom message trigger: each code the pool sends goes through it,
/// with `codeParameter` `{####}` replaced by the code in the message the
/// function returns (its trigger source naming why it is sent); a function
/// that sets no message keeps the default one, and its error is the
/// operation's.
#[test]
fn the_custom_message_trigger_writes_the_messages_codes_go_out_in() {
    let codes = Arc::new(Mutex::new(Vec::new()));
    let seen: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let functions = [("CustomMessage".to_string(), "brand".to_string())]
        .into_iter()
        .collect();
    let pool = pool(codes.clone()).with_triggers(LambdaTriggers {
        functions,
        invoke: Arc::new(move |_: &str, mut event: Value| {
            let source = event["triggerSource"].as_str().unwrap().to_string();
            log.lock().unwrap().push(source.clone());
            assert_eq!(event["request"]["codeParameter"], "{####}");
            let email = event["request"]["userAttributes"]["email"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if email.starts_with("plain") {
                return Ok(event);
            }
            if email.starts_with("broken") {
                return Err(("Error".into(), "templates are down".into()));
            }
            event["response"]["emailSubject"] = json!("Welcome to Shop");
            event["response"]["emailMessage"] = json!(format!("{source}: your code is {{####}}"));
            Ok(event)
        }),
    });
    let sign_up = |email: &str| {
        pool.call(
            "SignUp",
            &json!({ "ClientId": "client", "Username": email, "Password": "Secret-123",
                "UserAttributes": [{ "Name": "email", "Value": email }] }),
        )
    };
    sign_up("ada@example.com").unwrap();
    let printed = codes.lock().unwrap().last().cloned().unwrap();
    assert!(
        printed.starts_with(
            "message \"Welcome to Shop\" to ada@example.com: CustomMessage_SignUp: your code is "
        ),
        "{printed}"
    );
    let code = printed.rsplit(' ').next().unwrap().to_string();
    assert_eq!(code.len(), 6, "{printed}");
    // the code in the message is the one the pool takes
    pool.call(
        "ConfirmSignUp",
        &json!({ "ClientId": "client", "Username": "ada@example.com", "ConfirmationCode": code }),
    )
    .unwrap();
    pool.call(
        "ForgotPassword",
        &json!({ "ClientId": "client", "Username": "ada@example.com" }),
    )
    .unwrap();
    assert!(
        codes
            .lock()
            .unwrap()
            .last()
            .unwrap()
            .contains("CustomMessage_ForgotPassword: your code is "),
        "{:?}",
        codes.lock().unwrap()
    );
    // no message set: the default one
    sign_up("plain@example.com").unwrap();
    assert!(
        codes
            .lock()
            .unwrap()
            .last()
            .unwrap()
            .starts_with("confirmation code for plain@example.com: "),
        "{:?}",
        codes.lock().unwrap()
    );
    // the function's error is the operation's
    let refused = sign_up("broken@example.com").unwrap_err();
    assert_eq!(refused.kind, "UserLambdaValidationException");
    assert!(
        refused.message.contains("templates are down"),
        "{}",
        refused.message
    );
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        [
            "CustomMessage_SignUp",
            "CustomMessage_ForgotPassword",
            "CustomMessage_SignUp",
            "CustomMessage_SignUp"
        ]
    );
}

/// `AdminDisableUser` ends the user's sessions and refuses sign-in ("User is
/// disabled.") until `AdminEnableUser`; `AdminGetUser` says so.
#[test]
fn a_disabled_user_cannot_sign_in_until_enabled() {
    let codes = Arc::new(Mutex::new(Vec::new()));
    let pool = pool(codes);
    confirmed_user(&pool, "ada@example.com", "Secret-123");
    assert!(srp_sign_in(&pool, "ada@example.com", "Secret-123").is_ok());
    let user = json!({ "UserPoolId": "pool", "Username": "ada@example.com" });
    pool.call("AdminDisableUser", &user).unwrap();
    assert_eq!(pool.call("AdminGetUser", &user).unwrap()["Enabled"], false);
    let refused = srp_sign_in(&pool, "ada@example.com", "Secret-123").unwrap_err();
    assert_eq!(
        (refused.kind, refused.message.as_str()),
        ("NotAuthorizedException", "User is disabled.")
    );
    pool.call("AdminEnableUser", &user).unwrap();
    assert_eq!(pool.call("AdminGetUser", &user).unwrap()["Enabled"], true);
    assert!(srp_sign_in(&pool, "ada@example.com", "Secret-123").is_ok());
}
