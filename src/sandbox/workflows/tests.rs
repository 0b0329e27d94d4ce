//! The sandbox's Step Functions API refusing what the service refuses: a
//! Stop, a listing or a description of an Express execution, an activity
//! that does not exist, a token no task waits for, and more executions
//! running at once than the sandbox runs.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{LocalMachine, WorkflowHost};
use crate::category::workflow::MachineType;

const WAIT: &str =
    r#"{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": true}}}"#;

fn machine(name: &str, kind: MachineType) -> LocalMachine {
    LocalMachine {
        workflow: name.into(),
        name: format!("{name}-dev"),
        arn: format!("arn:aws:states:us-east-1:000000000000:stateMachine:{name}-dev"),
        kind,
        definition: WAIT.into(),
        starters: Vec::new(),
        activities: vec![(
            "packing".into(),
            format!("arn:aws:states:us-east-1:000000000000:activity:{name}-packing-dev"),
        )],
        api: None,
        api_callers: Vec::new(),
        answers: false,
    }
}

fn host() -> WorkflowHost {
    WorkflowHost::new(
        vec![
            machine("slow", MachineType::Standard),
            machine("quick", MachineType::Express),
        ],
        None,
        None,
        Default::default(),
        "us-east-1",
        Arc::new(|_| {}),
    )
}

fn refused(host: &WorkflowHost, operation: &str, request: Value) -> (&'static str, String) {
    let e = host.call(operation, &request).unwrap_err();
    (e.kind, e.message)
}

#[test]
fn express_executions_are_neither_stopped_nor_listed_nor_described() {
    let host = host();
    let express = "arn:aws:states:us-east-1:000000000000:express:quick-dev:run:1";
    let (kind, _) = refused(&host, "StopExecution", json!({ "executionArn": express }));
    assert_eq!(kind, "StateMachineTypeNotSupported");
    let (kind, _) = refused(
        &host,
        "ListExecutions",
        json!({ "stateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:quick-dev" }),
    );
    assert_eq!(kind, "StateMachineTypeNotSupported");
    let (kind, _) = refused(
        &host,
        "DescribeExecution",
        json!({ "executionArn": express }),
    );
    assert_eq!(kind, "InvalidArn");
    // StartSyncExecution runs Express workflows only
    let (kind, _) = refused(
        &host,
        "StartSyncExecution",
        json!({ "stateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:slow-dev" }),
    );
    assert_eq!(kind, "StateMachineTypeNotSupported");
}

#[test]
fn unknown_activities_machines_and_tokens_are_refused_by_name() {
    let host = host();
    let (kind, message) = refused(
        &host,
        "GetActivityTask",
        json!({ "activityArn": "arn:aws:states:us-east-1:000000000000:activity:nope" }),
    );
    assert_eq!(kind, "ActivityDoesNotExist");
    assert!(message.contains("activity:nope"), "{message}");
    let (kind, _) = refused(
        &host,
        "StartExecution",
        json!({ "stateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:nope-dev" }),
    );
    assert_eq!(kind, "StateMachineDoesNotExist");
    let (kind, _) = refused(
        &host,
        "SendTaskSuccess",
        json!({ "taskToken": "sandbox-nothing", "output": "{}" }),
    );
    assert_eq!(kind, "TaskDoesNotExist");
}

#[test]
fn more_executions_at_once_than_the_sandbox_runs_are_refused_and_stopped_ones_end() {
    let host = host();
    let slow = "arn:aws:states:us-east-1:000000000000:stateMachine:slow-dev";
    let mut started = Vec::new();
    for i in 0..super::MAX_RUNNING {
        let answer = host
            .call(
                "StartExecution",
                &json!({ "stateMachineArn": slow, "name": format!("run-{i}") }),
            )
            .unwrap();
        started.push(answer["executionArn"].as_str().unwrap().to_string());
    }
    let (kind, message) = refused(
        &host,
        "StartExecution",
        json!({ "stateMachineArn": slow, "name": "one-more" }),
    );
    assert_eq!(kind, "ExecutionLimitExceeded");
    assert!(message.contains("at most 100"), "{message}");
    for arn in &started {
        host.call("StopExecution", &json!({ "executionArn": arn }))
            .unwrap();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let listed = host
            .call(
                "ListExecutions",
                &json!({ "stateMachineArn": slow, "statusFilter": "RUNNING" }),
            )
            .unwrap();
        if listed["executions"].as_array().unwrap().is_empty() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{listed}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // room again
    host.call(
        "StartExecution",
        &json!({ "stateMachineArn": slow, "name": "after" }),
    )
    .unwrap();
    let described = host
        .call("DescribeExecution", &json!({ "executionArn": started[0] }))
        .unwrap();
    assert_eq!(described["status"], "ABORTED");
}
