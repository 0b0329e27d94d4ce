//! AWS configuration in one place: the standard chain (environment, shared
//! files, SSO, processes), the environment's profile and region from
//! hoist.toml, an endpoint override for emulators, the timeouts and retries
//! every call is bound by, handed to every client; and what a failed call
//! means, in one line with its fix.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use super::error::DeployError;

/// Where and as whom to call AWS.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub region: String,
    pub profile: Option<String>,
    /// An emulator's endpoint (`--endpoint-url`, `AWS_ENDPOINT_URL`).
    pub endpoint_url: Option<String>,
}

impl Target {
    /// Where calls go, for messages: the endpoint URL, else AWS's public
    /// endpoints in the region.
    pub fn endpoint(&self) -> String {
        match &self.endpoint_url {
            Some(url) => url.clone(),
            None => format!("AWS in {}", self.region),
        }
    }
}

/// How long a call may take. The defaults bound a call to an endpoint that
/// accepts and never answers to under a minute: a connection within 5 s,
/// each attempt within 20 s, the whole operation (its retries included)
/// within 50 s. (`TimeoutConfig`, AWS SDK for Rust developer guide,
/// "Timeouts".)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub connect: Duration,
    pub attempt: Duration,
    pub operation: Duration,
    /// Attempts in all, with the SDK's standard retry mode (exponential
    /// back-off with jitter, a retry quota; "Retry behavior", AWS SDKs and
    /// Tools reference guide).
    pub attempts: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect: Duration::from_secs(5),
            attempt: Duration::from_secs(20),
            operation: Duration::from_secs(50),
            attempts: 3,
        }
    }
}

pub struct Clients {
    pub cloudformation: aws_sdk_cloudformation::Client,
    pub s3: aws_sdk_s3::Client,
    pub ssm: aws_sdk_ssm::Client,
    /// CloudWatch Logs: the retention of the AppSync APIs' log groups.
    pub logs: aws_sdk_cloudwatchlogs::Client,
    /// Cognito user pools and DynamoDB tables: what `hoist delete --purge`
    /// counts and deletes after their stacks.
    pub cognito: aws_sdk_cognitoidentityprovider::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// [`Target::endpoint`], for messages.
    pub endpoint: String,
}

impl Clients {
    /// Clients over existing ones (tests use mocked clients); the logs,
    /// Cognito and DynamoDB clients have no region or credentials, so their
    /// calls fail.
    pub fn new(
        cloudformation: aws_sdk_cloudformation::Client,
        s3: aws_sdk_s3::Client,
        ssm: aws_sdk_ssm::Client,
        endpoint: impl Into<String>,
    ) -> Self {
        Clients {
            cloudformation,
            s3,
            ssm,
            logs: aws_sdk_cloudwatchlogs::Client::from_conf(
                aws_sdk_cloudwatchlogs::Config::builder()
                    .behavior_version(BehaviorVersion::latest())
                    .build(),
            ),
            cognito: aws_sdk_cognitoidentityprovider::Client::from_conf(
                aws_sdk_cognitoidentityprovider::Config::builder()
                    .behavior_version(BehaviorVersion::latest())
                    .build(),
            ),
            dynamodb: aws_sdk_dynamodb::Client::from_conf(
                aws_sdk_dynamodb::Config::builder()
                    .behavior_version(BehaviorVersion::latest())
                    .build(),
            ),
            endpoint: endpoint.into(),
        }
    }

    /// Maps a failed `action` (the API operation's name, `DescribeStacks`)
    /// to a [`DeployError::Aws`] that says what went wrong in one line and
    /// how to fix it; the SDK's whole context is kept for `-v`.
    pub fn refused<E, R>(
        &self,
        action: &'static str,
    ) -> impl FnOnce(SdkError<E, R>) -> DeployError + '_
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        move |err| DeployError::from_cause(action, &self.endpoint, classify(&err), &err)
    }
}

pub async fn sdk_config(target: &Target, limits: Limits) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(target.region.clone()))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(limits.connect)
                .operation_attempt_timeout(limits.attempt)
                .operation_timeout(limits.operation)
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(limits.attempts));
    if let Some(profile) = &target.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(endpoint) = &target.endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    loader.load().await
}

/// The clients for `target`, bound by the default [`Limits`].
///
/// Errors: [`DeployError::UnknownProfile`] when the profile named (by
/// hoist.toml or `AWS_PROFILE`) is in neither of the shared AWS files.
pub async fn clients(target: &Target) -> Result<Clients, DeployError> {
    clients_with(target, Limits::default()).await
}

/// [`clients`] with other limits (tests bound a hung endpoint to a second).
pub async fn clients_with(target: &Target, limits: Limits) -> Result<Clients, DeployError> {
    check_profile(target).await?;
    let config = sdk_config(target, limits).await;
    // Emulators serve every bucket on one host: S3 needs path-style addresses there.
    let s3_config = aws_sdk_s3::config::Builder::from(&config)
        .force_path_style(target.endpoint_url.is_some())
        .build();
    Ok(Clients {
        cloudformation: aws_sdk_cloudformation::Client::new(&config),
        s3: aws_sdk_s3::Client::from_conf(s3_config),
        ssm: aws_sdk_ssm::Client::new(&config),
        logs: aws_sdk_cloudwatchlogs::Client::new(&config),
        cognito: aws_sdk_cognitoidentityprovider::Client::new(&config),
        dynamodb: aws_sdk_dynamodb::Client::new(&config),
        endpoint: target.endpoint(),
    })
}

/// A Lambda client for `target` that waits for an invocation of a function
/// whose timeout is `timeout_seconds` (its answer comes when it ends), and
/// never retries: an invocation is not idempotent.
///
/// Errors: [`DeployError::UnknownProfile`], as [`clients`].
pub async fn lambda_client(
    target: &Target,
    timeout_seconds: u16,
) -> Result<aws_sdk_lambda::Client, DeployError> {
    check_profile(target).await?;
    let longest = Duration::from_secs(u64::from(timeout_seconds) + 30);
    let config = sdk_config(
        target,
        Limits {
            attempt: longest,
            operation: longest,
            attempts: 1,
            ..Limits::default()
        },
    )
    .await;
    Ok(aws_sdk_lambda::Client::new(&config))
}

/// A Step Functions client for `target`, bound by the default [`Limits`];
/// with `sync`, for StartSyncExecution, whose answer comes when an Express
/// execution ends (at most five minutes), one attempt of up to 330 s.
///
/// Errors: [`DeployError::UnknownProfile`], as [`clients`].
pub async fn sfn_client(target: &Target, sync: bool) -> Result<aws_sdk_sfn::Client, DeployError> {
    check_profile(target).await?;
    let limits = if sync {
        let longest = Duration::from_secs(330);
        Limits {
            attempt: longest,
            operation: longest,
            attempts: 1,
            ..Limits::default()
        }
    } else {
        Limits::default()
    };
    let config = sdk_config(target, limits).await;
    let mut builder = aws_sdk_sfn::config::Builder::from(&config);
    if target.endpoint_url.is_some() {
        builder = builder.interceptor(NoHostPrefix);
    }
    Ok(aws_sdk_sfn::Client::from_conf(builder.build()))
}

/// Step Functions' `StartSyncExecution` goes to the `sync-` host of its
/// endpoint (the model's host prefix), which an emulator's or the
/// sandbox's address (`http://127.0.0.1:PORT`) does not have: for them the
/// prefix is taken off again, before the request is signed.
#[derive(Debug)]
pub struct NoHostPrefix;

impl aws_sdk_sfn::config::Intercept for NoHostPrefix {
    fn name(&self) -> &'static str {
        "NoHostPrefix"
    }

    fn modify_before_signing(
        &self,
        context: &mut aws_sdk_sfn::config::interceptors::BeforeTransmitInterceptorContextMut<'_>,
        _components: &aws_sdk_sfn::config::RuntimeComponents,
        _cfg: &mut aws_sdk_sfn::config::ConfigBag,
    ) -> Result<(), aws_sdk_sfn::error::BoxError> {
        let request = context.request_mut();
        let uri = request.uri().to_string();
        if let Some(rest) = uri
            .strip_prefix("http://sync-")
            .map(|r| format!("http://{r}"))
            .or_else(|| {
                uri.strip_prefix("https://sync-")
                    .map(|r| format!("https://{r}"))
            })
        {
            request.set_uri(rest)?;
        }
        Ok(())
    }
}

/// A profile that the shared files (`~/.aws/config`, `~/.aws/credentials`,
/// or `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE`) do not define, while
/// they define others, is refused before any call: the SDK's chain would
/// otherwise go on to the instance metadata service and fail with an
/// unrelated message. Where the chain has other sources the SDK would use
/// (keys, web identity or container credentials in the environment; no
/// shared file at all; the `default` profile), nothing is checked.
async fn check_profile(target: &Target) -> Result<(), DeployError> {
    let env_profile = std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty());
    let (profile, from) = match (&target.profile, env_profile) {
        (Some(p), _) => (p.clone(), "`--profile` or `profile` in hoist.toml"),
        (None, Some(p)) => (p, "AWS_PROFILE"),
        (None, None) => return Ok(()),
    };
    // Keys, web identity (EKS, CodeBuild) and container credentials in the
    // environment are sources the chain uses whatever the profile.
    let other_sources = [
        "AWS_ACCESS_KEY_ID",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ];
    if profile == "default" || other_sources.iter().any(|v| std::env::var_os(v).is_some()) {
        return Ok(());
    }
    let fs = aws_types::os_shim_internal::Fs::real();
    let env = aws_types::os_shim_internal::Env::real();
    let files = aws_runtime::env_config::file::EnvConfigFiles::default();
    let known: Vec<String> = match aws_config::profile::load(&fs, &env, &files, None).await {
        Ok(set) => {
            let mut names: Vec<String> = set.profiles().map(str::to_string).collect();
            names.sort();
            names
        }
        // A file that cannot be parsed: the SDK's own error says where.
        Err(_) => return Ok(()),
    };
    // No profile at all: the SDK goes on to the instance's own role.
    if known.is_empty() || known.contains(&profile) {
        return Ok(());
    }
    Err(DeployError::UnknownProfile {
        profile,
        from,
        known: format!("the profiles defined: {}", known.join(", ")),
    })
}

/// Why a call to AWS failed, as far as the error tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// The credential chain found nothing (or its last source failed).
    NoCredentials,
    /// The AWS configuration is invalid (a profile loop, a bad file).
    BadConfiguration(String),
    /// A credential source failed (an expired SSO session, a
    /// `credential_process` that exits non-zero): its message.
    CredentialSource(String),
    /// The endpoint's name does not resolve, or the network is unreachable.
    Unreachable,
    /// The endpoint's host refused the connection: nothing listens there.
    NothingListening,
    /// No connection or no answer within the limits.
    TimedOut,
    /// AWS did not accept the credentials (unknown key, bad signature, expired).
    CredentialsRejected { code: String, message: String },
    /// The principal may not perform the action (AWS's message names both).
    AccessDenied(String),
    /// Any other answer of the service.
    Service { code: String, message: String },
    /// Anything else: the error's own first line.
    Other(String),
}

/// Reads an SDK error: the service's error code when it answered, else the
/// chain of causes (a credentials error, an I/O error's kind, a DNS failure,
/// a timeout).
pub fn classify<E, R>(err: &SdkError<E, R>) -> Cause
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    if let Some(service) = err.as_service_error() {
        let code = service.code().unwrap_or("unknown").to_string();
        let message = service.message().unwrap_or_default().to_string();
        return match code.as_str() {
            "AccessDenied"
            | "AccessDeniedException"
            | "UnauthorizedOperation"
            | "AuthorizationError"
            | "AuthorizationErrorException" => {
                Cause::AccessDenied(if message.is_empty() { code } else { message })
            }
            "InvalidClientTokenId"
            | "SignatureDoesNotMatch"
            | "ExpiredToken"
            | "ExpiredTokenException"
            | "UnrecognizedClientException"
            | "InvalidAccessKeyId"
            | "IncompleteSignature" => Cause::CredentialsRejected { code, message },
            _ => Cause::Service { code, message },
        };
    }
    if matches!(err, SdkError::TimeoutError(_)) {
        return Cause::TimedOut;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(c) = e.downcast_ref::<aws_credential_types::provider::error::CredentialsError>()
        {
            use aws_credential_types::provider::error::CredentialsError as C;
            // The whole chain of messages, on one line.
            let mut text = c.to_string();
            let mut inner = std::error::Error::source(c);
            while let Some(next) = inner {
                text = format!("{text}: {next}");
                inner = next.source();
            }
            let text = text.lines().next().unwrap_or_default().to_string();
            return match c {
                C::InvalidConfiguration(_) => {
                    Cause::BadConfiguration(DisplayErrorContext(c).to_string())
                }
                C::CredentialsNotLoaded(_) => Cause::NoCredentials,
                C::ProviderTimedOut(_) => {
                    Cause::CredentialSource("loading the credentials timed out".into())
                }
                // The chain ends with the instance metadata service: its
                // failure means no source before it had credentials.
                _ if text.contains("IMDS") => Cause::NoCredentials,
                _ => Cause::CredentialSource(text),
            };
        }
        if let Some(c) = e.downcast_ref::<aws_smithy_runtime_api::client::result::ConnectorError>()
            && c.is_timeout()
        {
            return Cause::TimedOut;
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return Cause::NothingListening,
                std::io::ErrorKind::TimedOut => return Cause::TimedOut,
                std::io::ErrorKind::NetworkUnreachable | std::io::ErrorKind::HostUnreachable => {
                    return Cause::Unreachable;
                }
                _ => {}
            }
        }
        let text = e.to_string();
        if text.starts_with("dns error") || text.contains("failed to lookup address") {
            return Cause::Unreachable;
        }
        source = e.source();
    }
    Cause::Other(
        err.to_string()
            .lines()
            .next()
            .unwrap_or("unknown error")
            .to_string(),
    )
}

impl Cause {
    /// What went wrong, in words, for `endpoint` ([`Target::endpoint`]).
    pub fn summary(&self, endpoint: &str) -> String {
        match self {
            Cause::NoCredentials => "no AWS credentials were found".into(),
            Cause::BadConfiguration(reason) => {
                format!("the AWS configuration is invalid: {reason}")
            }
            Cause::CredentialSource(reason) => format!("the credential source failed: {reason}"),
            Cause::Unreachable => {
                format!("cannot reach {endpoint}: its name does not resolve or the network is down")
            }
            Cause::NothingListening => format!("nothing is listening at {endpoint}"),
            Cause::TimedOut => format!("{endpoint} did not answer in time"),
            Cause::CredentialsRejected { code, message } => {
                format!("AWS did not accept the credentials ({code}: {message})")
            }
            Cause::AccessDenied(message) => format!("access denied: {message}"),
            Cause::Service { code, message } => format!("{code}: {message}"),
            Cause::Other(message) => message.clone(),
        }
    }

    /// How to fix it.
    pub fn help(&self) -> String {
        match self {
            Cause::NoCredentials => "the SDK looked in the environment (AWS_ACCESS_KEY_ID), the shared files (~/.aws/credentials, ~/.aws/config), SSO, a credential process and the instance's role: run `aws configure` or `aws sso login`, or set AWS_PROFILE (or `profile` under the environment in hoist.toml)".into(),
            Cause::CredentialSource(_) => "renew what the profile signs in with (`aws sso login` for an SSO session) or fix its `credential_process`; -v shows the whole message".into(),
            Cause::BadConfiguration(_) => "fix ~/.aws/config or ~/.aws/credentials (or the files AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE name)".into(),
            Cause::Unreachable => "check the network connection and the endpoint's name (`--endpoint-url`, AWS_ENDPOINT_URL), then run the command again".into(),
            Cause::NothingListening => "start the emulator or service there (for the local backend, `hoist sandbox`), or fix `--endpoint-url` / AWS_ENDPOINT_URL".into(),
            Cause::TimedOut => "the endpoint accepted no connection or sent no answer within the time allowed (a connection in 5 s, an answer in 20 s, three attempts): check the network and the endpoint, then run the command again".into(),
            Cause::CredentialsRejected { .. } => "the keys are unknown, mistyped or expired: renew them (`aws sso login`, `aws configure`) or choose another profile".into(),
            Cause::AccessDenied(_) => "grant the principal named above the action (an IAM policy), or use a profile that has it".into(),
            Cause::Service { .. } | Cause::Other(_) => "run with -v for the SDK's whole message; check the region and credentials of this environment".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Clients as [`clients_with`] makes them, with test keys (the machine's
    /// credential chain is not consulted).
    async fn test_clients(target: &Target, limits: Limits) -> Clients {
        let config = sdk_config(target, limits).await;
        let keys = aws_credential_types::Credentials::new("AKIDTEST", "test", None, None, "test");
        let cfn = aws_sdk_cloudformation::config::Builder::from(&config)
            .credentials_provider(keys)
            .build();
        Clients::new(
            aws_sdk_cloudformation::Client::from_conf(cfn),
            aws_sdk_s3::Client::new(&config),
            aws_sdk_ssm::Client::new(&config),
            target.endpoint(),
        )
    }

    /// A socket that accepts connections and never answers: the call fails
    /// within its limits, saying the endpoint did not answer, and naming it.
    #[tokio::test]
    async fn a_hung_endpoint_fails_within_the_limits_naming_it() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let held = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                open.push(socket);
            }
        });
        let target = Target {
            region: "eu-west-1".into(),
            profile: None,
            endpoint_url: Some(format!("http://{addr}")),
        };
        let limits = Limits {
            connect: Duration::from_millis(300),
            attempt: Duration::from_millis(300),
            operation: Duration::from_millis(900),
            attempts: 2,
        };
        let clients = test_clients(&target, limits).await;
        let started = std::time::Instant::now();
        let err = clients
            .cloudformation
            .describe_stacks()
            .stack_name("x")
            .send()
            .await
            .map_err(clients.refused("DescribeStacks"))
            .unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        let text = err.to_string();
        assert!(text.contains("did not answer in time"), "{text}");
        assert!(text.contains(&addr.to_string()), "{text}");
        held.abort();
    }

    /// A port where nothing listens: one line naming the endpoint, and the
    /// help says to start what should be there.
    #[tokio::test]
    async fn a_refused_connection_says_nothing_is_listening() {
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = free.local_addr().unwrap();
        drop(free);
        let target = Target {
            region: "eu-west-1".into(),
            profile: None,
            endpoint_url: Some(format!("http://{addr}")),
        };
        let clients = test_clients(&target, Limits::default()).await;
        let err = clients
            .cloudformation
            .describe_stacks()
            .send()
            .await
            .map_err(clients.refused("DescribeStacks"))
            .unwrap_err();
        let text = err.to_string();
        assert_eq!(
            text,
            format!("DescribeStacks failed: nothing is listening at http://{addr}")
        );
        assert!(!text.contains("DispatchFailure"));
    }
}
