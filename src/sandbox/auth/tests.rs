//! Unit tests of the parent module.

use super::*;

fn authority(modes: Vec<AuthMode>) -> Authority {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Secrets::load_or_create(dir.path()).unwrap();
    Authority::new(modes, secrets, "dev")
}

#[test]
fn secrets_are_made_once_and_kept_private() {
    let dir = tempfile::tempdir().unwrap();
    let a = Secrets::load_or_create(dir.path()).unwrap();
    let b = Secrets::load_or_create(dir.path()).unwrap();
    assert_eq!(a.api_key, b.api_key);
    assert!(a.api_key.starts_with("da2-") && a.api_key.len() == 30);
    assert!(!format!("{a:?}").contains(&a.api_key));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(SECRETS_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0);
    }
}

#[test]
fn the_key_and_tokens_decide_the_mode_as_appsync_does() {
    let auth = authority(vec![AuthMode::ApiKey, AuthMode::UserPools]);
    let key = auth.api_key().to_string();
    let (mode, caller) = auth
        .caller(|h| (h == "x-api-key").then_some(key.as_str()), None)
        .unwrap();
    assert_eq!(mode, AuthMode::ApiKey);
    assert_eq!(caller.identity, Value::Null);
    assert!(
        auth.caller(|h| (h == "x-api-key").then_some("da2-wrong"), None)
            .is_err()
    );
    assert!(auth.caller(|_| None, None).is_err());

    let token = auth.mint(&TokenRequest {
        username: "ada".into(),
        groups: vec!["Admin".into()],
        lifetime: 60,
        ..TokenRequest::default()
    });
    let (mode, caller) = auth
        .caller(|h| (h == "authorization").then_some(token.as_str()), None)
        .unwrap();
    assert_eq!(mode, AuthMode::UserPools);
    assert_eq!(caller.auth_type, "User Pool Authorization");
    assert_eq!(caller.identity["username"], "ada");
    assert_eq!(caller.identity["groups"], json!(["Admin"]));
    // a token of another sandbox (another signing key) or tampered with
    let other = authority(vec![AuthMode::UserPools]);
    assert!(
        other
            .caller(|h| (h == "authorization").then_some(token.as_str()), None)
            .is_err()
    );
    let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
    parts[1] = parts[1].chars().rev().collect();
    let tampered = parts.join(".");
    assert!(
        auth.caller(
            |h| (h == "authorization").then_some(tampered.as_str()),
            None
        )
        .is_err()
    );
    // an expired token
    let old = auth.mint(&TokenRequest {
        username: "ada".into(),
        lifetime: 1,
        ..TokenRequest::default()
    });
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert!(
        auth.caller(|h| (h == "authorization").then_some(old.as_str()), None)
            .is_err()
    );
    // a mode the api does not use
    let key_only = authority(vec![AuthMode::ApiKey]);
    let token = key_only.mint(&TokenRequest {
        username: "ada".into(),
        lifetime: 60,
        ..TokenRequest::default()
    });
    assert!(
        key_only
            .caller(|h| (h == "authorization").then_some(token.as_str()), None)
            .is_err()
    );
}

#[test]
fn a_lambda_authorizer_outside_the_project_is_named_as_one_the_sandbox_cannot_run() {
    let auth = authority(vec![AuthMode::ApiKey, AuthMode::Lambda])
        .with_lambda_authorizer("arn:aws:lambda:us-east-1:123456789012:function:checkToken");
    let denied = auth
        .caller(|h| (h == "authorization").then_some("custom-token"), None)
        .unwrap_err();
    assert!(
        denied.message.contains("`checkToken`"),
        "{}",
        denied.message
    );
    // a SigV4 request where the api takes no AWS_IAM
    let denied = auth
        .caller(
            |h| (h == "authorization").then_some("AWS4-HMAC-SHA256 Credential=x"),
            None,
        )
        .unwrap_err();
    assert!(denied.message.contains("no AWS_IAM"), "{}", denied.message);
}

/// Credentials are the sandbox's own: another sandbox's session token, or
/// an expired one, is refused before the signature is even looked at.
#[test]
fn another_sandboxs_or_expired_credentials_are_refused() {
    let ours = authority(vec![AuthMode::Iam]);
    let theirs = authority(vec![AuthMode::Iam]);
    let call = |auth: &Authority, c: &Credentials| {
        let header = format!(
            "AWS4-HMAC-SHA256 Credential={}/20260101/us-east-1/appsync/aws4_request, SignedHeaders=host;x-amz-date, Signature={}",
            c.access_key_id,
            "0".repeat(64)
        );
        let token = c.session_token.clone();
        auth.caller(
            |h| match h {
                "authorization" => Some(header.as_str()),
                "x-amz-security-token" => Some(token.as_str()),
                _ => None,
            },
            Some(Signed {
                method: "POST",
                path: "/graphql",
                query: "",
                body: b"{}",
            }),
        )
        .unwrap_err()
        .message
    };
    let request = CredentialsRequest {
        username: "ada".into(),
        lifetime: 60,
        ..CredentialsRequest::default()
    };
    let mine = ours.credentials(&request);
    // ours: past the token, refused for its (bogus) signature or date
    assert!(
        !call(&ours, &mine).contains("security token"),
        "{}",
        call(&ours, &mine)
    );
    assert!(call(&theirs, &mine).contains("security token"));
    let short = ours.credentials(&CredentialsRequest {
        lifetime: 1,
        ..request
    });
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert!(call(&ours, &short).contains("security token"));
    // an identity's OpenID token, signed by the same key, is no session
    // token: its audience is the identity pool
    let open_id = ours.open_id_token(
        &mine.identity_id,
        &ours.identity_pool_id(),
        &["authenticated".to_string()],
        600,
    );
    assert!(ours.verify(&open_id).is_none());
    let posing = Credentials {
        session_token: open_id,
        ..mine
    };
    assert!(call(&ours, &posing).contains("security token"));
}
