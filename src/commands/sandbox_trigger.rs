//! `hoist sandbox trigger [NAME] [--event E]`: invoke a function in the
//! running sandbox as its trigger would. A scheduled function gets
//! EventBridge's scheduled event ("Amazon EventBridge events from AWS
//! services": `detail-type` `Scheduled Event`, `source` `aws.events`, the
//! rule's ARN in `resources`, an empty `detail`); any function may be given
//! the event instead. The call goes to the sandbox's Lambda Invoke API
//! through the AWS SDK for Rust, signed with the sandbox administrator's
//! credentials, so the function runs with the sandbox's endpoints, as its
//! other triggers run it.

use std::path::Path;

use serde_json::{Value, json};

use crate::category::Category;
use crate::category::function::{self, triggers::Trigger};
use crate::project::ProjectFile;
use crate::sandbox::SandboxError;
use crate::sandbox::auth::{Authority, CredentialsRequest, Secrets};
use crate::ui::Printer;

use super::resources::{existing_name, unknown};

/// The scheduled event EventBridge sends the function, in the sandbox's
/// account (000000000000). A deployed rule's name is CloudFormation's; the
/// sandbox's is `<name>-<env>-schedule`.
pub fn scheduled_event(name: &str, env: &str, region: &str) -> Value {
    json!({
        "version": "0",
        "id": uuid::Uuid::new_v4().to_string(),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": crate::sandbox::functions::utc_now(),
        "region": region,
        "resources": [format!("arn:aws:events:{region}:000000000000:rule/{}-schedule", function::function_name(name, env))],
        "detail": {},
    })
}

/// The running sandbox of `env` (its data in `dir`): the endpoint its
/// outputs name under `key` (`lambda_endpoint`, `states_endpoint`), when it
/// answers, and credentials of the sandbox's administrator for it, for 15
/// minutes. `None` when no such sandbox runs.
///
/// Errors: the sandbox's secrets cannot be read or made.
pub fn running(
    file: &ProjectFile,
    env: &str,
    region: &str,
    dir: &Path,
    key: &str,
) -> Result<Option<(String, crate::sandbox::auth::Credentials)>, crate::Error> {
    let outputs: Option<Value> = std::fs::read(crate::deploy::local::outputs_path(file))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let endpoint = outputs
        .as_ref()
        .and_then(|o| {
            let sandbox = &o["custom"]["hoist_sandbox"];
            let endpoint = sandbox[key].as_str()?;
            (sandbox["env"] == env).then(|| endpoint.to_string())
        })
        .filter(|endpoint| crate::deploy::local::endpoint_answers(endpoint));
    let Some(endpoint) = endpoint else {
        return Ok(None);
    };
    let secrets = Secrets::load_or_create(dir)?;
    let authority = Authority::new(Vec::new(), secrets, env).with_region(region);
    let credentials = authority.credentials(&CredentialsRequest {
        admin: true,
        lifetime: 900,
        ..CredentialsRequest::default()
    });
    Ok(Some((endpoint, credentials)))
}

/// The AWS SDKs' configuration for calls to a running sandbox at
/// `endpoint` with its administrator's credentials `c`, in `region`, with
/// no retries (an invocation, a start or a user's creation is not
/// idempotent).
pub fn admin_sdk_config(
    endpoint: &str,
    region: &str,
    c: &crate::sandbox::auth::Credentials,
) -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_string()))
        .credentials_provider(aws_sdk_lambda::config::SharedCredentialsProvider::new(
            aws_sdk_lambda::config::Credentials::new(
                c.access_key_id.clone(),
                c.secret_key.clone(),
                Some(c.session_token.clone()),
                None,
                "hoist-sandbox-admin",
            ),
        ))
        .endpoint_url(endpoint)
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build()
}

pub fn run(
    file: &ProjectFile,
    env: &str,
    region: &str,
    dir: &Path,
    name: Option<&str>,
    event: Option<&str>,
    printer: &Printer,
) -> Result<(), crate::Error> {
    let name = existing_name(file, "sandbox trigger", Category::Function, name)?;
    let cfg = file
        .manifest
        .function
        .get(&name)
        .ok_or_else(|| unknown(file, Category::Function, &name))?;
    let event = match event {
        Some(given) => super::function::read_event(Some(given))?,
        None => {
            let scheduled = cfg
                .triggers
                .iter()
                .any(|t| matches!(function::triggers::parse(t), Ok(Trigger::Schedule(_))));
            if !scheduled {
                return Err(SandboxError::Trigger {
                    message: format!("`{name}` has no schedule, so there is no event to send it"),
                    help: format!(
                        "give the event: `hoist sandbox trigger {name} --event '{{...}}'` (a file, `-` or JSON), or add a schedule with `hoist update function {name} --trigger 'schedule:rate(1 hour)'`"
                    ),
                }
                .into());
            }
            scheduled_event(&name, env, region)
        }
    };
    let (endpoint, c) = running(file, env, region, dir, "lambda_endpoint")?.ok_or_else(|| {
        SandboxError::Trigger {
            message: format!("no sandbox of `{env}` with functions is running"),
            help: format!(
                "start it with `hoist sandbox` (or `hoist dev`) in another terminal, then run `hoist sandbox trigger {name}` again; `hoist function invoke {name}` runs it alone"
            ),
        }
    })?;
    let client = aws_sdk_lambda::Client::new(&admin_sdk_config(&endpoint, region, &c));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| SandboxError::Start(e.to_string()))?;
    let lambda_name = function::function_name(&name, env);
    let started = std::time::Instant::now();
    let answer = runtime.block_on(crate::deploy::invoke::invoke(
        &client,
        &endpoint,
        &lambda_name,
        env,
        event.to_string().into_bytes(),
        false,
    ))
    .map_err(|err| match err {
        // the running sandbox started before the function was added
        crate::deploy::error::DeployError::Aws {
            action: "Invoke",
            summary,
            ..
        } if summary.contains("is not deployed") => crate::Error::from(SandboxError::Trigger {
            message: format!("the running sandbox does not run `{name}`"),
            help: "a function added while the sandbox runs needs a restart: stop it (Ctrl-C) and run `hoist sandbox` again".into(),
        }),
        other => other.into(),
    })?;
    super::function::report_answer(&name, answer, printer)?;
    printer.success(format!(
        "`{name}` answered in the sandbox in {} ms (its log is the sandbox's)",
        started.elapsed().as_millis()
    ));
    Ok(())
}
