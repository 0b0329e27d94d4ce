//! `hoist function invoke --remote`: Lambda's Invoke (synchronous, with the
//! last 4 KB of the log as `LogType: Tail`; "Invoke", AWS Lambda API
//! Reference), and the same call on the sandbox's Lambda endpoint for
//! `hoist sandbox trigger`.

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::LogType;
use base64::Engine as _;

use super::aws::classify;
use super::error::DeployError;

/// What a function answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The function's result (JSON), or its error object when `function_error` is set.
    pub payload: Vec<u8>,
    /// `Unhandled` (or `Handled`) when the function failed.
    pub function_error: Option<String>,
    /// The last lines of its log (at most 4 KB), when asked for and given.
    pub log_tail: Option<String>,
}

/// Invoke the function `name` (as Lambda names it) with `payload` (JSON
/// bytes) through `client`, asking for the log's tail when `tail`.
///
/// Errors: [`DeployError::Aws`]: a function that is not there says so and
/// points at `hoist push`; other refusals as any AWS call's.
pub async fn invoke(
    client: &aws_sdk_lambda::Client,
    endpoint: &str,
    name: &str,
    env: &str,
    payload: Vec<u8>,
    tail: bool,
) -> Result<Answer, DeployError> {
    let mut call = client
        .invoke()
        .function_name(name)
        .payload(Blob::new(payload));
    if tail {
        call = call.log_type(LogType::Tail);
    }
    let out = call.send().await.map_err(|err| {
        let missing = err
            .as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception());
        if missing {
            DeployError::Aws {
                action: "Invoke",
                summary: format!("the function `{name}` is not deployed at {endpoint}"),
                help: format!(
                    "deploy it with `hoist push --env {env}` (a function added since the last push is not there yet)"
                ),
                detail: aws_sdk_lambda::error::DisplayErrorContext(&err).to_string(),
            }
        } else {
            DeployError::from_cause("Invoke", endpoint, classify(&err), &err)
        }
    })?;
    let log_tail = out.log_result().and_then(|text| {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .ok()
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    });
    Ok(Answer {
        payload: out
            .payload()
            .map(|b| b.as_ref().to_vec())
            .unwrap_or_default(),
        function_error: out.function_error().map(str::to_string),
        log_tail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_lambda::operation::invoke::{InvokeError, InvokeOutput};
    use aws_sdk_lambda::types::error::ResourceNotFoundException;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    #[tokio::test]
    async fn the_answer_its_error_and_its_log_tail_are_read() {
        let ok = mock!(aws_sdk_lambda::Client::invoke).then_output(|| {
            InvokeOutput::builder()
                .status_code(200)
                .payload(Blob::new(br#"{"message":"hi"}"#.to_vec()))
                .log_result(base64::engine::general_purpose::STANDARD.encode("START\nhi\nEND\n"))
                .build()
        });
        let failed = mock!(aws_sdk_lambda::Client::invoke).then_output(|| {
            InvokeOutput::builder()
                .status_code(200)
                .function_error("Unhandled")
                .payload(Blob::new(
                    br#"{"errorType":"Error","errorMessage":"no"}"#.to_vec(),
                ))
                .build()
        });
        let client = mock_client!(aws_sdk_lambda, RuleMode::Sequential, [&ok, &failed]);
        let answer = invoke(&client, "aws", "greet-dev", "dev", b"{}".to_vec(), true)
            .await
            .unwrap();
        assert_eq!(answer.payload, br#"{"message":"hi"}"#);
        assert_eq!(answer.log_tail.as_deref(), Some("START\nhi\nEND\n"));
        assert_eq!(answer.function_error, None);
        let answer = invoke(&client, "aws", "greet-dev", "dev", b"{}".to_vec(), true)
            .await
            .unwrap();
        assert_eq!(answer.function_error.as_deref(), Some("Unhandled"));
        assert_eq!(answer.log_tail, None);
    }

    #[tokio::test]
    async fn a_function_not_deployed_points_at_push() {
        let missing = mock!(aws_sdk_lambda::Client::invoke).then_error(|| {
            InvokeError::ResourceNotFoundException(
                ResourceNotFoundException::builder()
                    .message("Function not found: arn:aws:lambda:us-east-1:1:function:greet-dev")
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_lambda, [&missing]);
        let err = invoke(&client, "aws", "greet-dev", "dev", b"{}".to_vec(), false)
            .await
            .unwrap_err();
        let DeployError::Aws { summary, help, .. } = err else {
            panic!("{err:?}");
        };
        assert!(summary.contains("`greet-dev` is not deployed"), "{summary}");
        assert!(help.contains("hoist push --env dev"), "{help}");
    }
}
