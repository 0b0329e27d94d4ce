//! States moto cannot produce (failures, rollbacks, a deploy already
//! running), replayed with aws-smithy-mocks.

use std::sync::Mutex;

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::operation::describe_stack_events::DescribeStackEventsOutput;
use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksOutput;
use aws_sdk_cloudformation::operation::list_stack_resources::ListStackResourcesOutput;
use aws_sdk_cloudformation::types::{ResourceStatus, Stack, StackEvent, StackStatus};
use aws_smithy_mocks::{RuleMode, mock, mock_client};

use super::*;

fn stack(status: StackStatus) -> DescribeStacksOutput {
    DescribeStacksOutput::builder()
        .stacks(
            Stack::builder()
                .stack_name("hoist-shop-dev")
                .stack_status(status)
                .creation_time(DateTime::from_secs(0))
                .build(),
        )
        .build()
}

fn event(
    id: &str,
    logical: &str,
    kind: &str,
    status: ResourceStatus,
    reason: Option<&str>,
) -> StackEvent {
    StackEvent::builder()
        .event_id(id)
        .stack_id("arn:aws:cloudformation:us-east-1:123456789012:stack/hoist-shop-dev/1")
        .stack_name("hoist-shop-dev")
        .logical_resource_id(logical)
        .resource_type(kind)
        .resource_status(status)
        .set_resource_status_reason(reason.map(str::to_string))
        .timestamp(DateTime::from(SystemTime::now()))
        .build()
}

#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Reporter for Recorder {
    fn step(&self, message: &str) {
        self.0.lock().unwrap().push(format!("step: {message}"));
    }
    fn event(&self, stack: &str, logical_id: &str, _: &str, status: &str, reason: Option<&str>) {
        self.0.lock().unwrap().push(format!(
            "{stack} {logical_id} {status} {}",
            reason.unwrap_or("")
        ));
    }
}

fn engine(cloudformation: Client) -> (Clients, String) {
    let s3 = mock_client!(
        aws_sdk_s3,
        RuleMode::MatchAny,
        Vec::<&aws_smithy_mocks::Rule>::new()
    );
    let ssm = mock_client!(
        aws_sdk_ssm,
        RuleMode::MatchAny,
        Vec::<&aws_smithy_mocks::Rule>::new()
    );
    (
        Clients::new(cloudformation, s3, ssm, "AWS in eu-west-1"),
        "hoist-shop-dev".to_string(),
    )
}

fn new_engine(clients: &Clients, name: String) -> Engine<'_> {
    Engine {
        clients,
        stack_name: name,
        tags: Vec::new(),
        seen: Default::default(),
        poll: Duration::from_millis(1),
    }
}

#[tokio::test]
async fn a_failed_update_names_the_failing_resource_and_waits_for_the_rollback() {
    let events = mock!(Client::describe_stack_events).then_output(|| {
        DescribeStackEventsOutput::builder()
            // newest first, as CloudFormation lists them
            .stack_events(event(
                "4",
                "hoist-shop-dev",
                "AWS::CloudFormation::Stack",
                ResourceStatus::UpdateRollbackComplete,
                None,
            ))
            .stack_events(event(
                "3",
                "UserPool",
                "AWS::Cognito::UserPool",
                ResourceStatus::UpdateFailed,
                Some("Resource update cancelled"),
            ))
            .stack_events(event(
                "2",
                "Bucket",
                "AWS::S3::Bucket",
                ResourceStatus::CreateFailed,
                Some("shop-files already exists"),
            ))
            .stack_events(event(
                "1",
                "Bucket",
                "AWS::S3::Bucket",
                ResourceStatus::CreateInProgress,
                None,
            ))
            .build()
    });
    let resources = mock!(Client::list_stack_resources)
        .then_output(|| ListStackResourcesOutput::builder().build());
    let status = mock!(Client::describe_stacks)
        .sequence()
        .output(|| stack(StackStatus::UpdateRollbackInProgress))
        .output(|| stack(StackStatus::UpdateRollbackComplete))
        .repeatedly()
        .build();
    let cfn = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::MatchAny,
        [&events, &resources, &status]
    );
    let (clients, name) = engine(cfn);
    let engine = new_engine(&clients, name);
    let recorder = Recorder::default();
    let err = engine
        .follow(DateTime::from_secs(0), &BTreeMap::new(), &recorder)
        .await
        .unwrap_err();
    match err {
        DeployError::Failed {
            status, failures, ..
        } => {
            assert_eq!(status, "UPDATE_ROLLBACK_COMPLETE");
            assert!(
                failures.contains("Bucket (AWS::S3::Bucket): shop-files already exists"),
                "{failures}"
            );
            assert!(
                !failures.contains("cancelled"),
                "cancelled resources are not the cause: {failures}"
            );
        }
        other => panic!("{other:?}"),
    }
    let lines = recorder.0.lock().unwrap().clone();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(
        lines[0].starts_with("root Bucket CREATE_IN_PROGRESS"),
        "oldest first: {lines:?}"
    );
}

#[tokio::test]
async fn update_rollback_failed_offers_recovery() {
    let events = mock!(Client::describe_stack_events)
        .then_output(|| DescribeStackEventsOutput::builder().build());
    let resources = mock!(Client::list_stack_resources)
        .then_output(|| ListStackResourcesOutput::builder().build());
    let status =
        mock!(Client::describe_stacks).then_output(|| stack(StackStatus::UpdateRollbackFailed));
    let cfn = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::MatchAny,
        [&events, &resources, &status]
    );
    let (clients, name) = engine(cfn);
    let err = new_engine(&clients, name)
        .follow(
            DateTime::from_secs(0),
            &BTreeMap::new(),
            &Recorder::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, DeployError::RollbackFailed { .. }), "{err:?}");
    let text = format!("{:?}", miette::Report::new(err));
    assert!(text.contains("hoist push --recover"), "{text}");
}

#[tokio::test]
async fn a_deploy_in_progress_is_waited_for_never_joined() {
    let status = mock!(Client::describe_stacks)
        .sequence()
        .output(|| stack(StackStatus::UpdateInProgress))
        .times(3)
        .output(|| stack(StackStatus::UpdateComplete))
        .build();
    let cfn = mock_client!(aws_sdk_cloudformation, RuleMode::Sequential, [&status]);
    let (clients, name) = engine(cfn);
    let recorder = Recorder::default();
    let settled = new_engine(&clients, name)
        .wait_settled(&recorder)
        .await
        .unwrap();
    assert_eq!(settled, Some(StackStatus::UpdateComplete));
    let lines = recorder.0.lock().unwrap().clone();
    assert_eq!(lines.len(), 1, "announced once: {lines:?}");
    assert!(lines[0].contains("another deploy is running"), "{lines:?}");
}

/// DescribeStacks answered with a service error `code`.
fn refusal(
    code: &'static str,
    message: &'static str,
) -> impl Fn() -> aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksError
+ Send
+ Sync
+ 'static {
    use aws_sdk_cloudformation::error::ErrorMetadata;
    use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksError;
    move || {
        DescribeStacksError::generic(ErrorMetadata::builder().code(code).message(message).build())
    }
}

#[tokio::test]
async fn a_missing_stack_is_none_and_other_refusals_are_errors() {
    let missing = mock!(Client::describe_stacks).then_error(refusal(
        "ValidationError",
        "Stack with id hoist-shop-dev does not exist",
    ));
    let cfn = mock_client!(aws_sdk_cloudformation, [&missing]);
    let (clients, name) = engine(cfn);
    assert_eq!(
        new_engine(&clients, name).root_status().await.unwrap(),
        None
    );

    // an access error that happens to mention "does not exist" is no missing stack
    let denied = mock!(Client::describe_stacks).then_error(refusal(
        "AccessDenied",
        "User is not authorized: the role does not exist",
    ));
    let cfn = mock_client!(aws_sdk_cloudformation, [&denied]);
    let (clients, name) = engine(cfn);
    let err = new_engine(&clients, name).root_status().await.unwrap_err();
    assert!(
        matches!(
            err,
            DeployError::Aws {
                action: "DescribeStacks",
                ..
            }
        ),
        "{err:?}"
    );
    // one line, AWS's words (the action and the principal), and the fix
    assert_eq!(
        err.to_string(),
        "DescribeStacks failed: access denied: User is not authorized: the role does not exist"
    );
    let help = miette::Diagnostic::help(&err).unwrap().to_string();
    assert!(help.contains("IAM policy"), "{help}");
    assert!(err.detail().is_some_and(|d| d.contains("AccessDenied")));
}

/// Keys AWS does not accept are said to be the credentials' fault, with
/// the code AWS gave, and never as a dump of the SDK's structures.
#[tokio::test]
async fn rejected_credentials_are_one_line_with_the_fix() {
    let rejected = mock!(Client::describe_stacks).then_error(refusal(
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
    ));
    let cfn = mock_client!(aws_sdk_cloudformation, [&rejected]);
    let (clients, name) = engine(cfn);
    let err = new_engine(&clients, name).root_status().await.unwrap_err();
    let text = err.to_string();
    assert_eq!(
        text,
        "DescribeStacks failed: AWS did not accept the credentials (InvalidClientTokenId: The security token included in the request is invalid.)"
    );
    assert!(!text.contains('{') && !text.contains('\n'), "{text}");
    let help = miette::Diagnostic::help(&err).unwrap().to_string();
    assert!(help.contains("aws sso login"), "{help}");
}

/// A push interrupted at "Deploy these changes?" leaves its change set:
/// the next push deletes hoist's unexecuted ones older than an hour, and
/// no one else's nor a young one (another checkout may be answering).
#[tokio::test]
async fn stale_change_sets_of_hoist_are_deleted_and_others_kept() {
    use aws_sdk_cloudformation::operation::delete_change_set::DeleteChangeSetOutput;
    use aws_sdk_cloudformation::operation::list_change_sets::ListChangeSetsOutput;
    use aws_sdk_cloudformation::types::{ChangeSetSummary, ExecutionStatus};
    let two_hours_ago = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        - 7_200;
    let summary = move |name: &str, status: ExecutionStatus| {
        let made = if name.ends_with("-young") {
            two_hours_ago + 7_100
        } else {
            two_hours_ago
        };
        ChangeSetSummary::builder()
            .creation_time(aws_sdk_cloudformation::primitives::DateTime::from_secs(
                made,
            ))
            .change_set_name(name)
            .change_set_id(format!(
                "arn:aws:cloudformation:eu-west-1:123456789012:changeSet/{name}/1"
            ))
            .execution_status(status)
            .build()
    };
    let listed = mock!(Client::list_change_sets).then_output(move || {
        ListChangeSetsOutput::builder()
            .summaries(summary("hoist-1700000000", ExecutionStatus::Available))
            .summaries(summary(
                "hoist-1600000000",
                ExecutionStatus::ExecuteComplete,
            ))
            .summaries(summary("someone-elses", ExecutionStatus::Available))
            .summaries(summary(
                "hoist-1800000000-young",
                ExecutionStatus::Available,
            ))
            .build()
    });
    let deleted_ids = std::sync::Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = deleted_ids.clone();
    let delete = mock!(Client::delete_change_set)
        .match_requests(move |r| {
            seen.lock()
                .unwrap()
                .push(r.change_set_name().unwrap_or_default().to_string());
            true
        })
        .then_output(|| DeleteChangeSetOutput::builder().build());
    let cfn = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::MatchAny,
        [&listed, &delete]
    );
    let (clients, name) = engine(cfn);
    assert_eq!(
        new_engine(&clients, name).delete_stale_change_sets().await,
        1
    );
    let deleted = deleted_ids.lock().unwrap().clone();
    assert_eq!(deleted.len(), 1, "{deleted:?}");
    assert!(deleted[0].contains("hoist-1700000000"), "{deleted:?}");
}

#[test]
fn settled_and_success_states() {
    assert!(!is_settled(&StackStatus::UpdateCompleteCleanupInProgress));
    assert!(is_settled(&StackStatus::UpdateRollbackFailed));
    assert!(is_success(&StackStatus::UpdateComplete));
    assert!(!is_success(&StackStatus::UpdateRollbackComplete));
    assert!(!is_success(&StackStatus::RollbackComplete));
}
