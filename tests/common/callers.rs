//! How the tests' callers sign their requests to the sandbox: the AWS SDK's
//! own SigV4 signer with the credentials `hoist sandbox credentials` issues,
//! and the tokens `hoist sandbox token` mints.

use serde_json::Value;

/// SigV4-signed headers for a POST of `body` to the sandbox, made by the AWS
/// SDK's own signer (`aws-sigv4`) with `credentials` as `hoist sandbox
/// credentials --json` prints them.
pub fn sigv4_headers(
    port: u16,
    credentials: &Value,
    secret: &str,
    body: &str,
) -> Vec<(String, String)> {
    sigv4_headers_for(port, "appsync", "/graphql", &[], credentials, secret, body)
}

/// [`sigv4_headers`] for another service and path, with extra headers signed too.
pub fn sigv4_headers_for(
    port: u16,
    service: &str,
    path: &str,
    extra: &[(&str, &str)],
    credentials: &Value,
    secret: &str,
    body: &str,
) -> Vec<(String, String)> {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    let identity: aws_smithy_runtime_api::client::identity::Identity =
        aws_credential_types::Credentials::new(
            credentials["AccessKeyId"].as_str().unwrap(),
            secret,
            credentials["SessionToken"].as_str().map(str::to_string),
            None,
            "hoist sandbox credentials",
        )
        .into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name(service)
        .time(std::time::SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let url = format!("http://127.0.0.1:{port}{path}");
    let host = format!("127.0.0.1:{port}");
    let mut base = vec![
        ("content-type", "application/json"),
        ("host", host.as_str()),
    ];
    base.extend_from_slice(extra);
    let signable = SignableRequest::new(
        "POST",
        &url,
        base.iter().copied(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    instructions
        .headers()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// What `hoist sandbox credentials --json <who>` prints.
pub fn sandbox_credentials(sb: &super::Sandbox, app: &std::path::Path, who: &[&str]) -> Value {
    let out = sb
        .hoist_in(app)
        .args(["sandbox", "credentials", "--json"])
        .args(who)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A token of `hoist sandbox token`: a user pool user (or, with `oidc`, an
/// OIDC one) named `user`, in `groups`.
pub fn token(
    sb: &super::Sandbox,
    app: &std::path::Path,
    user: &str,
    groups: &[&str],
    oidc: bool,
) -> String {
    let mut cmd = sb.hoist_in(app);
    cmd.args(["sandbox", "token", "--user", user]);
    for g in groups {
        cmd.args(["--group", g]);
    }
    if oidc {
        cmd.arg("--oidc");
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The AWS SDK for Rust's S3 client for the sandbox's storage `endpoint`
/// (path-style), signing with `credentials` as `hoist sandbox credentials
/// --json` prints them.
pub fn s3_client(endpoint: &str, credentials: &Value) -> aws_sdk_s3::Client {
    let c = &credentials["Credentials"];
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .credentials_provider(aws_credential_types::Credentials::new(
                c["AccessKeyId"].as_str().unwrap(),
                c["SecretKey"].as_str().unwrap(),
                Some(c["SessionToken"].as_str().unwrap().to_string()),
                None,
                "test",
            ))
            .endpoint_url(endpoint)
            .force_path_style(true)
            .build(),
    )
}
