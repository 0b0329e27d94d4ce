//! What starts a workflow besides the app's SDK calls (`start_by`): a REST
//! endpoint on API Gateway (`api`), EventBridge rules on the default bus
//! (`events`, event patterns) and schedules (`schedules`, rate or cron).
//! Each reaches the machine through a role of its own that may start this
//! machine and nothing else.
//!
//! The REST endpoint is API Gateway's AWS service integration with Step
//! Functions ("Creating a Step Functions API using API Gateway"):
//! `StartExecution` for a Standard machine (the response is
//! `{"executionArn", "startDate"}`), `StartSyncExecution` for an Express one
//! (the response is the execution's `{"status", "output", "error", "cause",
//! ...}`), authorized with SigV4 (`iam`) or a user pool's ID token
//! (`user-pool`), with a CORS preflight so web apps can call it.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{MachineType, WorkflowConfig};
use crate::category::{Category, Problem, logical_id};
use crate::cfn::{Template, get_att, r#ref, sub};

/// The stack's output holding the REST API's base URL (its stage).
pub const API_ENDPOINT: &str = "ApiEndpoint";

/// Who may call the REST endpoint (`api` in `[workflow.<name>]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ApiAuth {
    /// Callers sign with SigV4: the roles `start_by` names, and the account's own principals
    Iam,
    /// Callers send a user pool ID token in `Authorization` (the project's auth)
    UserPool,
}

impl ApiAuth {
    /// `AWS_IAM` or `COGNITO_USER_POOLS`, as a method's `AuthorizationType` takes it.
    pub fn cfn(self) -> &'static str {
        match self {
            ApiAuth::Iam => "AWS_IAM",
            ApiAuth::UserPool => "COGNITO_USER_POOLS",
        }
    }
}

/// What `hoist add workflow --trigger` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Trigger {
    /// The app, with the AWS SDK for Step Functions (`--start-by`)
    App,
    /// A REST endpoint, `POST /workflows/<name>` (`--api-auth`)
    Api,
    /// EventBridge events matching a pattern (`--event-pattern`)
    Event,
    /// An EventBridge schedule (`--schedule`)
    Schedule,
}

/// What is wrong with the triggers of a workflow, each at its key.
pub fn problems(cfg: &WorkflowConfig) -> Vec<Problem> {
    let mut out = Vec::new();
    for (i, expression) in cfg.schedules.iter().enumerate() {
        if let Err(why) = crate::category::function::triggers::check_schedule(expression) {
            out.push(Problem::new(
                &["schedules", &i.to_string()],
                why,
                "write `rate(5 minutes)`, `rate(1 day)` or `cron(0 12 * * ? *)` (EventBridge's schedule expressions)",
            ));
        }
    }
    for (i, text) in cfg.events.iter().enumerate() {
        if let Err(why) = check_pattern(text) {
            out.push(Problem::new(
                &["events", &i.to_string()],
                why,
                r#"write an EventBridge event pattern as JSON, for example '{"source": ["app.orders"], "detail-type": ["OrderPlaced"]}'"#,
            ));
        }
    }
    out
}

/// An event pattern EventBridge takes ("Amazon EventBridge event
/// patterns"): a JSON object, not empty, whose every field holds an array
/// of values or filters, or an object of further fields.
///
/// Errors: what is wrong, in words.
pub fn check_pattern(text: &str) -> Result<(), String> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| format!("the event pattern `{text}` is not JSON: {e}"))?;
    fn fields(value: &Value, path: &str, depth: usize) -> Result<(), String> {
        let Value::Object(map) = value else {
            return Err(format!(
                "`{path}` is {value}: a pattern's fields hold an array of values (`[\"a\", \"b\"]`) or an object of fields"
            ));
        };
        if map.is_empty() {
            return Err(format!(
                "`{path}` matches nothing: give it at least one field"
            ));
        }
        if depth > 32 {
            return Err(format!("`{path}` nests too deep"));
        }
        for (key, inner) in map {
            let path = if path == "the pattern" {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            match inner {
                Value::Array(_) => {}
                Value::Object(_) => fields(inner, &path, depth + 1)?,
                other => {
                    return Err(format!(
                        "`{path}` is {other}: EventBridge wants an array of the values to match (`[{other}]`)"
                    ));
                }
            }
        }
        Ok(())
    }
    fields(&value, "the pattern", 0)
}

/// The stack parameter carrying the user pool's ARN, and the root's value.
fn user_pool_parameter(auth: &str) -> (String, Value) {
    (
        "UserPoolArn".to_string(),
        get_att(
            &logical_id(Category::Auth, auth),
            &format!("Outputs.{}", crate::category::auth::outputs::USER_POOL_ARN),
        ),
    )
}

/// The ARN of the endpoint's POST method (with `answers`, its answers'
/// too), for `execute-api:Invoke`.
pub fn invoke_arn(name: &str, answers: bool) -> Value {
    let method = |path: &str| {
        sub(&format!(
            "arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{Api}}/*/POST/workflows/{name}{path}"
        ))
    };
    if !answers {
        return method("");
    }
    Value::Array(
        std::iter::once(method(""))
            .chain(ANSWERS.iter().map(|(p, _)| method(&format!("/{p}"))))
            .collect(),
    )
}

/// A role the service `principal` assumes (from this account) that may
/// start this machine and nothing else.
fn starter_role(t: &mut Template, id: &str, principal: &str, cfg: &WorkflowConfig, tags: &Value) {
    let api_gateway = principal == "apigateway.amazonaws.com";
    let action = match (api_gateway, cfg.machine_type) {
        // the REST endpoint of an Express machine waits for its end
        (true, MachineType::Express) => "states:StartSyncExecution",
        _ => "states:StartExecution",
    };
    let mut trust = json!({
        "Effect": "Allow",
        "Principal": { "Service": principal },
        "Action": "sts:AssumeRole",
    });
    if !api_gateway {
        // EventBridge says whose rule assumes it; API Gateway does not set
        // `aws:SourceAccount` when it assumes an integration's role (the
        // role is only ever passed to this stack's integration)
        trust["Condition"] =
            json!({ "StringEquals": { "aws:SourceAccount": r#ref("AWS::AccountId") } });
    }
    t.resource(
        id,
        "AWS::IAM::Role",
        json!({
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [trust]
            },
            "Policies": [{
                "PolicyName": "start",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Sid": "StartThisWorkflow",
                        "Effect": "Allow",
                        "Action": action,
                        "Resource": r#ref("StateMachine"),
                    }]
                }
            }],
            "Tags": tags,
        }),
    );
}

/// Adds the triggers `cfg` asks for to the workflow's stack (whose
/// machine is `StateMachine`); returns the parameters the root fills
/// (the user pool's ARN for `api = "user-pool"`, with `auth` the
/// project's auth; `answers`: the machine waits for task tokens, which
/// the endpoint then answers too).
pub fn add(
    t: &mut Template,
    name: &str,
    cfg: &WorkflowConfig,
    auth: Option<&str>,
    answers: bool,
    tags: &Value,
) -> Vec<(String, Value)> {
    let mut parameters = Vec::new();
    if !cfg.events.is_empty() || !cfg.schedules.is_empty() {
        starter_role(t, "EventsRole", "events.amazonaws.com", cfg, tags);
    }
    let target = json!([{
        "Arn": r#ref("StateMachine"),
        "Id": "Workflow",
        "RoleArn": get_att("EventsRole", "Arn"),
    }]);
    for (i, text) in cfg.events.iter().enumerate() {
        // checked with hoist.toml
        let pattern: Value = serde_json::from_str(text).unwrap_or_default();
        t.resource(
            &format!("EventRule{i}"),
            "AWS::Events::Rule",
            json!({
                "Description": format!("Starts the workflow `{name}` on the events it matches"),
                "EventPattern": pattern,
                "State": "ENABLED",
                "Targets": target,
            }),
        );
    }
    for (i, expression) in cfg.schedules.iter().enumerate() {
        t.resource(
            &format!("Schedule{i}"),
            "AWS::Events::Rule",
            json!({
                "Description": format!("Starts the workflow `{name}` on {expression}"),
                "ScheduleExpression": expression,
                "State": "ENABLED",
                "Targets": target,
            }),
        );
    }
    if let Some(api_auth) = cfg.api {
        if let (ApiAuth::UserPool, Some(auth)) = (api_auth, auth) {
            let (parameter, value) = user_pool_parameter(auth);
            t.string_parameter(
                &parameter,
                "The user pool whose users may call the endpoint",
            );
            parameters.push((parameter, value));
        }
        add_rest_api(t, name, cfg, api_auth, answers, tags);
    }
    parameters
}

/// The paths under `/workflows/<name>` that answer a task token
/// (`SendTaskSuccess`, `SendTaskFailure`), for a workflow that waits for one.
pub const ANSWERS: [(&str, &str); 2] = [
    ("task-success", "SendTaskSuccess"),
    ("task-failure", "SendTaskFailure"),
];

/// The stack output holding the path of an answer (`task-success`):
/// `ApiTaskSuccessPath`.
pub fn answer_output(path: &str) -> String {
    format!("Api{}Path", crate::naming::pascal(path))
}

/// Whether a definition has a Task that waits for a task token
/// (`.waitForTaskToken`).
pub fn waits_for_a_token(definition: &Value) -> bool {
    match definition {
        Value::Object(map) => map.iter().any(|(k, v)| {
            (k == "Resource" && v.as_str().is_some_and(|r| r.ends_with(".waitForTaskToken")))
                || waits_for_a_token(v)
        }),
        Value::Array(items) => items.iter().any(waits_for_a_token),
        _ => false,
    }
}

/// A string of the request, escaped for a JSON string in a mapping
/// template (escapeJavaScript also escapes `'`, which JSON does not).
fn escaped(expression: &str) -> String {
    format!("$util.escapeJavaScript({expression}).replaceAll(\"\\\\'\", \"'\")")
}

/// [`escaped`], or nothing when the field is absent or null (VTL would
/// print the expression itself, whose quotes break the JSON).
fn escaped_if(expression: &str) -> String {
    format!("#if({expression}){}#end", escaped(expression))
}

/// A POST method on `resource` with API Gateway's AWS integration calling
/// Step Functions' `action` through `role`, the request written by
/// `request`; JSON bodies only (another content type is refused with 415).
fn post(
    resource: &str,
    action: &str,
    role: &str,
    request: Value,
    ok: Value,
    auth: ApiAuth,
) -> Value {
    let cors = "method.response.header.Access-Control-Allow-Origin";
    let method_responses: Vec<Value> = ["200", "400", "500"]
        .iter()
        .map(|code| json!({ "StatusCode": code, "ResponseParameters": { cors: true } }))
        .collect();
    let mut method = json!({
        "RestApiId": r#ref("Api"),
        "ResourceId": r#ref(resource),
        "HttpMethod": "POST",
        "AuthorizationType": auth.cfn(),
        "Integration": {
            "Type": "AWS",
            "IntegrationHttpMethod": "POST",
            "Uri": sub(&format!("arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}:states:action/{action}")),
            "Credentials": get_att(role, "Arn"),
            "PassthroughBehavior": "NEVER",
            "RequestTemplates": { "application/json": request },
            "IntegrationResponses": [
                { "StatusCode": "200", "ResponseParameters": { cors: "'*'" }, "ResponseTemplates": ok },
                { "StatusCode": "400", "SelectionPattern": "4\\d{2}", "ResponseParameters": { cors: "'*'" } },
                { "StatusCode": "500", "SelectionPattern": "5\\d{2}", "ResponseParameters": { cors: "'*'" } }
            ],
        },
        "MethodResponses": method_responses,
    });
    if auth == ApiAuth::UserPool {
        method["AuthorizerId"] = r#ref("Authorizer");
    }
    method
}

/// The CORS preflight of `resource` (browsers send it without credentials).
fn preflight(resource: &str) -> Value {
    let cors = "method.response.header.Access-Control-Allow-Origin";
    json!({
        "RestApiId": r#ref("Api"),
        "ResourceId": r#ref(resource),
        "HttpMethod": "OPTIONS",
        "AuthorizationType": "NONE",
        "Integration": {
            "Type": "MOCK",
            "RequestTemplates": { "application/json": "{\"statusCode\": 200}" },
            "IntegrationResponses": [{
                "StatusCode": "204",
                "ResponseParameters": {
                    "method.response.header.Access-Control-Allow-Headers": "'Content-Type,Authorization,X-Amz-Date,X-Amz-Security-Token,X-Amz-Content-Sha256'",
                    "method.response.header.Access-Control-Allow-Methods": "'OPTIONS,POST'",
                    cors: "'*'",
                },
            }],
        },
        "MethodResponses": [{
            "StatusCode": "204",
            "ResponseParameters": {
                "method.response.header.Access-Control-Allow-Headers": true,
                "method.response.header.Access-Control-Allow-Methods": true,
                cors: true,
            },
        }],
    })
}

/// `POST /workflows/<name>` on a REST API of the workflow's own, its CORS
/// preflight, its deployment and its stage (named after the environment);
/// with `answers` (the machine waits for task tokens), `POST
/// /workflows/<name>/task-success` and `/task-failure` too, which answer a
/// token as `SendTaskSuccess` and `SendTaskFailure` do.
fn add_rest_api(
    t: &mut Template,
    name: &str,
    cfg: &WorkflowConfig,
    auth: ApiAuth,
    answers: bool,
    tags: &Value,
) {
    starter_role(t, "ApiRole", "apigateway.amazonaws.com", cfg, tags);
    t.resource(
        "Api",
        "AWS::ApiGateway::RestApi",
        json!({
            "Name": sub(&format!("${{Project}}-${{Env}}-workflow-{name}")),
            "Description": format!("Starts the workflow `{name}`"),
            "EndpointConfiguration": { "Types": ["REGIONAL"] },
            // JSON bodies only: the request template takes nothing else
            "Tags": tags,
        }),
    );
    t.resource(
        "WorkflowsPath",
        "AWS::ApiGateway::Resource",
        json!({ "RestApiId": r#ref("Api"), "ParentId": get_att("Api", "RootResourceId"), "PathPart": "workflows" }),
    );
    t.resource(
        "WorkflowPath",
        "AWS::ApiGateway::Resource",
        json!({ "RestApiId": r#ref("Api"), "ParentId": r#ref("WorkflowsPath"), "PathPart": name }),
    );
    if auth == ApiAuth::UserPool {
        t.resource(
            "Authorizer",
            "AWS::ApiGateway::Authorizer",
            json!({
                "Name": "user-pool",
                "RestApiId": r#ref("Api"),
                "Type": "COGNITO_USER_POOLS",
                "IdentitySource": "method.request.header.Authorization",
                "ProviderARNs": [r#ref("UserPoolArn")],
            }),
        );
    }
    let action = match cfg.machine_type {
        MachineType::Standard => "StartExecution",
        MachineType::Express => "StartSyncExecution",
    };
    // the body, as a string, is the execution's input
    let request = format!(
        "#set($body = $input.json('$'))\n{{\"stateMachineArn\": \"${{StateMachine}}\", \"input\": \"{}\"}}",
        escaped("$body")
    );
    // what a caller sees of the execution: a Standard one's ARN and start;
    // an Express one's status, output and error, not its input, cause
    // (stack traces) or ARNs
    let ok = match cfg.machine_type {
        MachineType::Standard => json!({}),
        MachineType::Express => json!({
            "application/json": format!(
                "#set($r = $input.path('$'))\n{{\"status\": \"$r.status\"#if($r.output), \"output\": $r.output#end#if($r.error), \"error\": \"{}\"#end}}",
                escaped("$r.error")
            )
        }),
    };
    let mut methods = vec![
        (
            "StartMethod".to_string(),
            post("WorkflowPath", action, "ApiRole", sub(&request), ok, auth),
        ),
        ("PreflightMethod".to_string(), preflight("WorkflowPath")),
    ];
    if answers {
        // "Actions defined by AWS Step Functions" (Service Authorization
        // Reference): SendTaskSuccess and SendTaskFailure take no resource,
        // so "*"; the task token the caller must hold is what it answers
        t.resource(
            "AnswerRole",
            "AWS::IAM::Role",
            json!({
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Effect": "Allow",
                        "Principal": { "Service": "apigateway.amazonaws.com" },
                        "Action": "sts:AssumeRole",
                    }]
                },
                "Policies": [{
                    "PolicyName": "answer",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{
                            "Sid": "AnswerTaskTokens",
                            "Effect": "Allow",
                            "Action": ["states:SendTaskSuccess", "states:SendTaskFailure"],
                            "Resource": "*",
                        }]
                    }
                }],
                "Tags": tags,
            }),
        );
        for (path, action) in ANSWERS {
            let id = crate::naming::pascal(path);
            let resource = format!("{id}Path");
            t.resource(
                &resource,
                "AWS::ApiGateway::Resource",
                json!({ "RestApiId": r#ref("Api"), "ParentId": r#ref("WorkflowPath"), "PathPart": path }),
            );
            // `{"taskToken": "...", "output": <JSON>}`, or `{"taskToken":
            // "...", "error": "...", "cause": "..."}` (both optional)
            let request = if action == "SendTaskSuccess" {
                format!(
                    "#set($b = $input.path('$'))\n#set($output = $input.json('$.output'))\n{{\"taskToken\": \"{}\", \"output\": \"{}\"}}",
                    escaped_if("$b.taskToken"),
                    escaped("$output")
                )
            } else {
                format!(
                    "#set($b = $input.path('$'))\n{{\"taskToken\": \"{}\"#if($b.error), \"error\": \"{}\"#end#if($b.cause), \"cause\": \"{}\"#end}}",
                    escaped_if("$b.taskToken"),
                    escaped("$b.error"),
                    escaped("$b.cause")
                )
            };
            methods.push((
                format!("{id}Method"),
                post(
                    &resource,
                    action,
                    "AnswerRole",
                    json!(request),
                    json!({}),
                    auth,
                ),
            ));
            methods.push((format!("{id}PreflightMethod"), preflight(&resource)));
            t.output(
                &answer_output(path),
                &format!("The endpoint's path that answers a task token ({action})"),
                json!(format!("/workflows/{name}/{path}")),
            );
        }
    }
    // a deployment is a snapshot: a new logical id when the methods change
    // makes CloudFormation take a new one
    let digest = crate::cfn::sha256_hex(
        methods
            .iter()
            .map(|(_, m)| m.to_string())
            .collect::<String>()
            .as_bytes(),
    );
    let deployment = format!("Deployment{}", &digest[..12]);
    let ids: Vec<String> = methods.iter().map(|(id, _)| id.clone()).collect();
    for (id, method) in methods {
        t.resource(&id, "AWS::ApiGateway::Method", method);
    }
    t.resource(
        &deployment,
        "AWS::ApiGateway::Deployment",
        json!({ "RestApiId": r#ref("Api"), "Description": "The workflow's endpoint" }),
    )["DependsOn"] = json!(ids);
    t.resource(
        "Stage",
        "AWS::ApiGateway::Stage",
        json!({
            "RestApiId": r#ref("Api"),
            "DeploymentId": r#ref(&deployment),
            "StageName": r#ref("Env"),
            "TracingEnabled": true,
            // a ceiling on what strangers can make it start
            "MethodSettings": [{
                "ResourcePath": "/*",
                "HttpMethod": "*",
                "ThrottlingBurstLimit": 20,
                "ThrottlingRateLimit": 10,
            }],
            "Tags": tags,
        }),
    );
    t.output(
        API_ENDPOINT,
        "The REST API's base URL (its stage)",
        sub("https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_patterns_are_checked_as_eventbridge_does() {
        assert!(
            check_pattern(r#"{"source": ["app.orders"], "detail": {"state": ["paid"]}}"#).is_ok()
        );
        let said = check_pattern(r#"{"source": "app.orders"}"#).unwrap_err();
        assert!(said.contains("`source` is \"app.orders\""), "{said}");
        assert!(said.contains("[\"app.orders\"]"), "{said}");
        let said = check_pattern(r#"{"detail": {"state": 3}}"#).unwrap_err();
        assert!(said.contains("`detail.state` is 3"), "{said}");
        assert!(check_pattern("{}").unwrap_err().contains("matches nothing"));
        assert!(check_pattern("[1]").unwrap_err().contains("is [1]"));
        assert!(
            check_pattern("{source")
                .unwrap_err()
                .contains("is not JSON")
        );
        let deep = format!("{}[1]{}", "{\"a\": ".repeat(40), "}".repeat(40));
        assert!(check_pattern(&deep).unwrap_err().contains("nests too deep"));
    }

    #[test]
    fn each_trigger_starts_only_its_machine() {
        let cfg = WorkflowConfig {
            machine_type: MachineType::Express,
            api: Some(ApiAuth::UserPool),
            schedules: vec!["rate(1 hour)".into()],
            events: vec![r#"{"source": ["app.orders"]}"#.into()],
            ..Default::default()
        };
        let mut t = Template::new("test");
        let parameters = add(&mut t, "orders", &cfg, Some("main"), false, &json!([]));
        assert_eq!(parameters[0].0, "UserPoolArn");
        let t = t.to_json();
        for role in ["EventsRole", "ApiRole"] {
            let statement =
                &t["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"];
            assert_eq!(statement.as_array().unwrap().len(), 1);
            assert_eq!(statement[0]["Resource"], json!({ "Ref": "StateMachine" }));
        }
        assert_eq!(
            t["Resources"]["ApiRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
                [0]["Action"],
            "states:StartSyncExecution"
        );
        assert_eq!(
            t["Resources"]["EventsRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
                [0]["Action"],
            "states:StartExecution"
        );
        // EventBridge's trust names this account; API Gateway sets no source
        // account for an integration's role (a condition would refuse it)
        let trust = |role: &str| {
            t["Resources"][role]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
                ["Condition"]
                .clone()
        };
        assert_eq!(
            trust("EventsRole")["StringEquals"]["aws:SourceAccount"],
            json!({ "Ref": "AWS::AccountId" })
        );
        assert_eq!(trust("ApiRole"), Value::Null);
        // an Express endpoint answers the status, output and error only
        let answer = t["Resources"]["StartMethod"]["Properties"]["Integration"]
            ["IntegrationResponses"][0]["ResponseTemplates"]["application/json"]
            .as_str()
            .unwrap();
        assert!(
            answer.contains("$r.output")
                && !answer.contains("$r.input")
                && !answer.contains("cause"),
            "{answer}"
        );
        assert_eq!(
            t["Resources"]["Schedule0"]["Properties"]["ScheduleExpression"],
            "rate(1 hour)"
        );
        assert_eq!(
            t["Resources"]["EventRule0"]["Properties"]["EventPattern"],
            json!({ "source": ["app.orders"] })
        );
        assert_eq!(
            t["Resources"]["StartMethod"]["Properties"]["AuthorizerId"],
            json!({ "Ref": "Authorizer" })
        );
    }

    #[test]
    fn a_workflow_that_waits_is_answered_through_its_endpoint() {
        let waits = json!({ "States": { "Ask": { "Type": "Task",
            "Resource": "arn:aws:states:::sns:publish.waitForTaskToken", "End": true } } });
        assert!(waits_for_a_token(&waits));
        assert!(!waits_for_a_token(
            &json!({ "States": { "A": { "Type": "Pass", "Resource": "x" } } })
        ));
        let cfg = WorkflowConfig {
            api: Some(ApiAuth::Iam),
            ..Default::default()
        };
        let mut t = Template::new("test");
        add(&mut t, "approval", &cfg, None, true, &json!([]));
        let t = t.to_json();
        let resources = &t["Resources"];
        // a role of its own answers tokens (the actions take no resource);
        // the starting role still starts this machine only
        let answer =
            &resources["AnswerRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"];
        assert_eq!(
            answer,
            &json!([{ "Sid": "AnswerTaskTokens", "Effect": "Allow",
                "Action": ["states:SendTaskSuccess", "states:SendTaskFailure"], "Resource": "*" }])
        );
        for (id, path, action) in [
            ("TaskSuccess", "task-success", "SendTaskSuccess"),
            ("TaskFailure", "task-failure", "SendTaskFailure"),
        ] {
            assert_eq!(
                resources[format!("{id}Path")]["Properties"]["PathPart"],
                path
            );
            let method = &resources[format!("{id}Method")]["Properties"];
            assert_eq!(method["AuthorizationType"], "AWS_IAM");
            assert_eq!(
                method["Integration"]["Credentials"],
                json!({ "Fn::GetAtt": ["AnswerRole", "Arn"] })
            );
            assert!(
                method["Integration"]["Uri"]["Fn::Sub"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("states:action/{action}"))
            );
            let request = method["Integration"]["RequestTemplates"]["application/json"]
                .as_str()
                .unwrap();
            assert!(
                request.contains(
                    "\"taskToken\": \"#if($b.taskToken)$util.escapeJavaScript($b.taskToken)"
                ),
                "{request}"
            );
            assert_eq!(
                resources[format!("{id}PreflightMethod")]["Properties"]["HttpMethod"],
                "OPTIONS"
            );
            assert_eq!(
                t["Outputs"][answer_output(path)]["Value"],
                format!("/workflows/approval/{path}")
            );
        }
        let deployment = resources
            .as_object()
            .unwrap()
            .iter()
            .find(|(id, _)| id.starts_with("Deployment"))
            .unwrap()
            .1;
        assert_eq!(deployment["DependsOn"].as_array().unwrap().len(), 6);
        let arns = invoke_arn("approval", true);
        assert_eq!(arns.as_array().unwrap().len(), 3);
        assert!(
            arns[2]["Fn::Sub"]
                .as_str()
                .unwrap()
                .ends_with("/POST/workflows/approval/task-failure")
        );
    }
}
