//! A workflow's nested stack: the state machine (`<name>-<env>`) with its
//! definition and substitutions, its role (what the Task states need, see
//! [`super::refs`], plus logging and tracing), its log group, and its own
//! activities, topics and queues.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::refs::{Analysis, Kind, Need, Scope, Target};
use super::{LogLevel, WorkflowConfig};
use crate::category::{Category, Part, StackError, logical_id};
use crate::cfn::{Template, get_att, r#ref, sub};
use crate::workflow::validate::{self, Severity};
use crate::workflow::{Definition, WorkflowError};

/// The workflow `name` as synthesis takes it, from the text of its
/// definition (absent when the file is).
///
/// Errors: [`StackError::NoWorkflowDefinition`] without a definition;
/// [`StackError::Workflow`] for a definition that is not JSON, that the
/// engine refuses ([`validate::validate`]), or that names what the project
/// lacks or what hoist cannot grant ([`super::refs::analyze`]), every
/// finding at its line and column.
pub fn part(
    name: &str,
    cfg: &WorkflowConfig,
    text: Option<&str>,
    scope: &Scope,
    auth: Option<&str>,
) -> Result<Part, StackError> {
    let path = super::definition_path(name).display().to_string();
    let text = text.ok_or_else(|| StackError::NoWorkflowDefinition {
        name: name.to_string(),
        path: path.clone(),
    })?;
    let analysis = checked(text, &path, scope).map_err(|e| StackError::Workflow(Box::new(e)))?;
    let wiring = wire(&analysis, scope.api.unwrap_or_default());
    let mut template = synth(name, cfg, &analysis, &wiring);
    let answers = super::triggers::waits_for_a_token(&analysis.definition);
    let mut starters = add_starters(&mut template, name, cfg, auth, answers);
    starters.extend(super::triggers::add(
        &mut template,
        name,
        cfg,
        auth,
        answers,
        &tags(name),
    ));
    let mut part = Part::new(
        "workflow",
        name,
        logical_id(Category::Workflow, name),
        template,
    );
    for (parameter, value) in wiring.parameters.into_iter().chain(starters) {
        part.parameters.insert(parameter, value);
    }
    Ok(part)
}

/// The definition `text` (at `path`), checked as synthesis and `hoist add
/// workflow` check it: JSON, then the engine's errors
/// ([`validate::validate`]; warnings are the validate command's), then what
/// it names and needs ([`super::refs::analyze`]).
///
/// Errors: [`WorkflowError::Json`], or [`WorkflowError::Invalid`] with every
/// finding of the first step that has any, each at its line and column.
pub fn checked(text: &str, path: &str, scope: &Scope) -> Result<Analysis, WorkflowError> {
    let definition = Definition::parse(text, path)?;
    let invalid = |findings: &[validate::Finding]| {
        WorkflowError::Invalid(Box::new(validate::Findings::new(&definition, findings)))
    };
    let errors: Vec<_> = validate::validate(&definition)
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    if !errors.is_empty() {
        return Err(invalid(&errors));
    }
    super::refs::analyze(&definition.value, scope).map_err(|f| invalid(&f))
}

/// `start_by`: a policy on the identity pool's roles (and user pool groups'
/// roles) that lets them start this machine, and nothing else, from the
/// app with the AWS SDK. The roles' names come as parameters: the
/// parameter and the root's value for each.
fn add_starters(
    t: &mut Template,
    name: &str,
    cfg: &WorkflowConfig,
    auth: Option<&str>,
    answers: bool,
) -> Vec<(String, Value)> {
    use super::Starter;
    let Some(auth) = auth else {
        return Vec::new();
    };
    let mut parameters: Vec<(String, Value)> = Vec::new();
    for text in &cfg.start_by {
        let parameter = match Starter::parse(text) {
            Ok(Starter::SignedIn) => ("AuthRoleName".to_string(), r#ref("AuthRole")),
            Ok(Starter::Guests) => ("UnauthRoleName".to_string(), r#ref("UnauthRole")),
            Ok(Starter::Group(group)) => crate::category::storage::group_role(auth, &group),
            // hoist.toml's check refuses it
            Err(_) => continue,
        };
        if !parameters.iter().any(|(p, _)| *p == parameter.0) {
            parameters.push(parameter);
        }
    }
    if parameters.is_empty() {
        return parameters;
    }
    for (parameter, _) in &parameters {
        t.string_parameter(
            parameter,
            "A role that may start the workflow (from the root stack)",
        );
    }
    let actions = match cfg.machine_type {
        super::MachineType::Standard => json!(["states:StartExecution"]),
        super::MachineType::Express => {
            json!(["states:StartExecution", "states:StartSyncExecution"])
        }
    };
    let roles: Vec<Value> = parameters.iter().map(|(p, _)| r#ref(p)).collect();
    let mut statements = vec![json!({
        "Sid": "StartFromTheApp",
        "Effect": "Allow",
        "Action": actions,
        "Resource": r#ref("StateMachine"),
    })];
    if cfg.api == Some(super::triggers::ApiAuth::Iam) {
        // the REST endpoint, signed with these roles' credentials
        statements.push(json!({
            "Sid": "CallTheEndpoint",
            "Effect": "Allow",
            "Action": "execute-api:Invoke",
            "Resource": super::triggers::invoke_arn(name, answers),
        }));
    }
    t.resource(
        "StartPolicy",
        "AWS::IAM::Policy",
        json!({
            "PolicyName": sub(&format!("${{Project}}-${{Env}}-workflow-{name}-start")),
            "Roles": roles,
            "PolicyDocument": { "Version": "2012-10-17", "Statement": statements }
        }),
    );
    parameters
}

/// What the stack takes from the others, and the substitutions' values.
pub struct Wiring {
    /// Parameter name to the root's `Fn::GetAtt` of another stack's output.
    pub parameters: BTreeMap<String, Value>,
    /// Substitution key to its value in this stack.
    pub values: BTreeMap<String, Value>,
    /// The api whose tables `${table:...}` names.
    pub api: String,
}

/// The root's values and this stack's substitutions for an analysis whose
/// tables are the models of `api` (the project's first).
pub fn wire(analysis: &Analysis, api: &str) -> Wiring {
    let mut w = Wiring {
        parameters: BTreeMap::new(),
        values: BTreeMap::new(),
        api: api.to_string(),
    };
    for (key, target) in &analysis.targets {
        // another stack's output the root passes in: (parameter, stack, output)
        let stack_output = |category, output: &str, suffix: &str| {
            let stack = logical_id(category, &target.name);
            Some((format!("{stack}{suffix}"), stack, output.to_string()))
        };
        let from = match target.kind {
            Kind::Function => stack_output(Category::Function, "Arn", "Arn"),
            Kind::Workflow => stack_output(Category::Workflow, "Arn", "Arn"),
            Kind::Bucket => stack_output(Category::Storage, "BucketName", "Bucket"),
            Kind::Table => Some((
                table_parameter(api, &target.name),
                logical_id(Category::Api, api),
                format!("{}TableName", crate::naming::pascal(&target.name)),
            )),
            // this stack's own resources, whose logical ids are their keys
            Kind::Topic | Kind::Queue | Kind::Activity => None,
        };
        let value = match from {
            Some((parameter, stack, output)) => {
                w.parameters.insert(
                    parameter.clone(),
                    get_att(&stack, &format!("Outputs.{output}")),
                );
                r#ref(&parameter)
            }
            None => r#ref(key),
        };
        w.values.insert(key.clone(), value);
    }
    w
}

/// The parameter holding the name of the table of `model` of `api`, as a
/// function's access names it.
fn table_parameter(api: &str, model: &str) -> String {
    format!(
        "{}{}TableName",
        logical_id(Category::Api, api),
        crate::naming::pascal(model)
    )
}

/// The nested stack of one workflow.
pub fn synth(name: &str, cfg: &WorkflowConfig, analysis: &Analysis, wiring: &Wiring) -> Template {
    let machine = format!("{name}-${{Env}}");
    let mut t = Template::new(format!(
        "hoist workflow `{name}`: a Step Functions state machine ({}), its role and log group",
        cfg.machine_type.cfn().to_ascii_lowercase()
    ));
    t.string_parameter("Project", "The hoist project's name");
    t.string_parameter("Env", "The environment's name");
    for parameter in wiring.parameters.keys() {
        t.string_parameter(
            parameter,
            "A resource the workflow names (from the root stack)",
        );
    }
    let tags = tags(name);
    for topic in &cfg.topics {
        let id = Target::new(Kind::Topic, topic).key();
        // encrypted with the account's SNS key, which SNS uses for its callers
        t.resource(
            &id,
            "AWS::SNS::Topic",
            json!({ "KmsMasterKeyId": "alias/aws/sns", "Tags": tags }),
        );
        t.output(
            &format!("{id}Arn"),
            &format!("The topic `{topic}`"),
            r#ref(&id),
        );
    }
    for queue in &cfg.queues {
        let id = Target::new(Kind::Queue, queue).key();
        t.resource(
            &id,
            "AWS::SQS::Queue",
            json!({ "SqsManagedSseEnabled": true, "Tags": tags }),
        );
        t.output(
            &format!("{id}Url"),
            &format!("The queue `{queue}`"),
            r#ref(&id),
        );
    }
    for activity in &cfg.activities {
        let id = Target::new(Kind::Activity, activity).key();
        t.resource(
            &id,
            "AWS::StepFunctions::Activity",
            json!({
                "Name": sub(&super::activity_name(name, activity, "${Env}")),
                "Tags": tags,
            }),
        );
        t.output(
            &activity_output(activity),
            &format!("The activity `{activity}` (its workers poll it)"),
            r#ref(&id),
        );
    }
    let logging = cfg.log_level != LogLevel::Off;
    if logging {
        // Step Functions' logs go through CloudWatch's vended log delivery:
        // `/aws/vendedlogs/` keeps their resource policy small
        t.resource(
            "LogGroup",
            "AWS::Logs::LogGroup",
            json!({
                "LogGroupName": sub(&format!("/aws/vendedlogs/states/{machine}")),
                "RetentionInDays": cfg.log_retention_days,
                "Tags": tags,
            }),
        );
    }
    let mut statements = statements(name, &analysis.needs, &wiring.api);
    if logging {
        // "IAM policies for logging to CloudWatch Logs": these log delivery
        // actions have no resource-level permissions
        statements.push(json!({
            "Sid": "DeliverLogs",
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
                "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
                "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"
            ],
            "Resource": "*",
        }));
    }
    if cfg.tracing {
        // X-Ray has no resource-level permissions
        statements.push(json!({
            "Sid": "WriteTraces",
            "Effect": "Allow",
            "Action": [
                "xray:PutTraceSegments", "xray:PutTelemetryRecords",
                "xray:GetSamplingRules", "xray:GetSamplingTargets"
            ],
            "Resource": "*",
        }));
    }
    let mut role = json!({
        "AssumeRolePolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": { "Service": "states.amazonaws.com" },
                "Action": "sts:AssumeRole",
                // the confused deputy: only this machine (its ARN built from
                // its name: the machine itself takes the role's ARN)
                "Condition": {
                    "StringEquals": { "aws:SourceAccount": r#ref("AWS::AccountId") },
                    "ArnLike": { "aws:SourceArn": arn("states", &format!("stateMachine:{machine}")) }
                }
            }]
        },
        "Tags": tags,
    });
    if !statements.is_empty() {
        role["Policies"] = json!([{
            "PolicyName": "workflow",
            "PolicyDocument": { "Version": "2012-10-17", "Statement": statements }
        }]);
    }
    t.resource("Role", "AWS::IAM::Role", role);

    let mut properties = json!({
        "StateMachineName": sub(&machine),
        "StateMachineType": cfg.machine_type.cfn(),
        "RoleArn": get_att("Role", "Arn"),
        "DefinitionString": serde_json::to_string(&analysis.definition).unwrap_or_default(),
        "TracingConfiguration": { "Enabled": cfg.tracing },
        "Tags": tags,
    });
    if !wiring.values.is_empty() {
        properties["DefinitionSubstitutions"] = json!(wiring.values);
    }
    if logging {
        properties["LoggingConfiguration"] = json!({
            "Level": cfg.log_level.cfn(),
            "IncludeExecutionData": cfg.include_execution_data,
            "Destinations": [{ "CloudWatchLogsLogGroup": { "LogGroupArn": get_att("LogGroup", "Arn") } }],
        });
    }
    // the role (and its log delivery) exists first: `RoleArn` is its GetAtt
    t.resource(
        "StateMachine",
        "AWS::StepFunctions::StateMachine",
        properties,
    );
    t.output("Arn", "The state machine's ARN", r#ref("StateMachine"));
    t.output(
        "Name",
        "The state machine's name",
        get_att("StateMachine", "Name"),
    );
    t.output(
        "RoleArn",
        "The state machine's role",
        get_att("Role", "Arn"),
    );
    t
}

/// The stack's output holding the ARN of its activity `activity`
/// (`Activity<Name>Arn`), which workers poll.
pub fn activity_output(activity: &str) -> String {
    format!("{}Arn", Target::new(Kind::Activity, activity).key())
}

/// The tags of the workflow's resources.
fn tags(name: &str) -> Value {
    json!([
        { "Key": "hoist:project", "Value": r#ref("Project") },
        { "Key": "hoist:env", "Value": r#ref("Env") },
        { "Key": "hoist:resource", "Value": format!("workflow/{name}") }
    ])
}

fn arn(service: &str, rest: &str) -> Value {
    sub(&format!(
        "arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{rest}"
    ))
}

/// The role's statements for what the Task states need, each on the named
/// resource only.
fn statements(name: &str, needs: &std::collections::BTreeSet<Need>, api: &str) -> Vec<Value> {
    let mut out = Vec::new();
    // a table's actions in one statement
    let mut tables: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut buckets: BTreeMap<&str, Vec<(&str, Option<&str>)>> = BTreeMap::new();
    for need in needs {
        match need {
            Need::Invoke(function) => {
                let p = format!("{}Arn", logical_id(Category::Function, function));
                out.push(json!({
                    "Sid": format!("Invoke{}", crate::naming::pascal(function)),
                    "Effect": "Allow",
                    "Action": "lambda:InvokeFunction",
                    // its versions and aliases too
                    "Resource": [r#ref(&p), sub(&format!("${{{p}}}:*"))],
                }));
            }
            Need::Table(model, action) => tables.entry(model).or_default().push(action),
            Need::Bucket(storage, action, place) => buckets
                .entry(storage)
                .or_default()
                .push((action, place.as_deref())),
            Need::Publish(topic) => out.push(json!({
                "Sid": format!("Publish{}", crate::naming::pascal(topic)),
                "Effect": "Allow",
                "Action": "sns:Publish",
                "Resource": r#ref(&Target::new(Kind::Topic, topic).key()),
            })),
            Need::Send(queue) => out.push(json!({
                "Sid": format!("Send{}", crate::naming::pascal(queue)),
                "Effect": "Allow",
                "Action": "sqs:SendMessage",
                "Resource": get_att(&Target::new(Kind::Queue, queue).key(), "Arn"),
            })),
            Need::Start(child, sync) => {
                // a child started both ways has one `Start` statement
                if !*sync && needs.contains(&Need::Start(child.clone(), true)) {
                    continue;
                }
                let stack = logical_id(Category::Workflow, child);
                out.push(json!({
                    "Sid": format!("StartWorkflow{}", crate::naming::pascal(child)),
                    "Effect": "Allow",
                    "Action": "states:StartExecution",
                    "Resource": r#ref(&format!("{stack}Arn")),
                }));
                if *sync {
                    // "IAM policies for starting nested workflows": `.sync`
                    // watches the child's execution through an EventBridge
                    // rule Step Functions manages
                    out.push(json!({
                        "Sid": format!("WatchWorkflow{}", crate::naming::pascal(child)),
                        "Effect": "Allow",
                        "Action": ["states:DescribeExecution", "states:StopExecution"],
                        "Resource": arn("states", &format!("execution:{child}-${{Env}}:*")),
                    }));
                    out.push(json!({
                        "Sid": format!("EventsOfWorkflow{}", crate::naming::pascal(child)),
                        "Effect": "Allow",
                        "Action": ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                        "Resource": arn("events", "rule/StepFunctionsGetEventsForStepFunctionsExecutionRule"),
                    }));
                }
            }
            Need::OwnChildren => {
                // "IAM policies for using Distributed Map states": the map
                // starts child executions of this very machine (its ARN is
                // built, not taken from the machine, which would be a cycle)
                out.push(json!({
                    "Sid": "MapStartsItsChildren",
                    "Effect": "Allow",
                    "Action": "states:StartExecution",
                    "Resource": arn("states", &format!("stateMachine:{name}-${{Env}}")),
                }));
                out.push(json!({
                    "Sid": "MapWatchesItsChildren",
                    "Effect": "Allow",
                    // a map run's children are `<machine>/<label>:<id>`; redriving
                    // a map run restarts them
                    "Action": ["states:DescribeExecution", "states:StopExecution", "states:RedriveExecution"],
                    "Resource": arn("states", &format!("execution:{name}-${{Env}}/*")),
                }));
            }
        }
    }
    for (model, mut actions) in tables {
        actions.sort();
        actions.dedup();
        out.push(json!({
            "Sid": format!("Table{}", crate::naming::pascal(model)),
            "Effect": "Allow",
            "Action": actions,
            "Resource": arn("dynamodb", &format!("table/${{{}}}", table_parameter(api, model))),
        }));
    }
    for (storage, needs) in buckets {
        let p = format!("{}Bucket", logical_id(Category::Storage, storage));
        let pascal = crate::naming::pascal(storage);
        // listing: under the literal prefixes only, unless one is chosen at run time
        let listings: Vec<Option<&str>> = needs
            .iter()
            .filter(|(a, _)| *a == "s3:ListBucket")
            .map(|(_, place)| *place)
            .collect();
        if !listings.is_empty() {
            let mut statement = json!({
                "Sid": format!("List{pascal}"),
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": sub(&format!("arn:${{AWS::Partition}}:s3:::${{{p}}}")),
            });
            if listings.iter().all(Option::is_some) {
                let mut prefixes: Vec<String> =
                    listings.iter().flatten().map(|l| format!("{l}*")).collect();
                prefixes.sort();
                prefixes.dedup();
                statement["Condition"] = json!({ "StringLike": { "s3:prefix": prefixes } });
            }
            out.push(statement);
        }
        // objects: by the place each action is for (a reader's key, a
        // writer's prefix, or every object)
        let mut places: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for (action, place) in needs.iter().filter(|(a, _)| *a != "s3:ListBucket") {
            let objects = match (*action, place) {
                (_, None) => "*".to_string(),
                ("s3:PutObject", Some(prefix)) if !prefix.trim_matches('/').is_empty() => {
                    format!("{}/*", prefix.trim_end_matches('/'))
                }
                ("s3:PutObject", Some(_)) => "*".to_string(),
                (_, Some(key)) => key.to_string(),
            };
            let actions = places.entry(objects).or_default();
            actions.push(action);
            if *action == "s3:PutObject" {
                // a result writer uploads in parts, and reads back what it wrote
                actions.extend([
                    "s3:GetObject",
                    "s3:ListMultipartUploadParts",
                    "s3:AbortMultipartUpload",
                ]);
            }
        }
        // every object first, then the narrower places in order
        let mut places: Vec<(String, Vec<&str>)> = places.into_iter().collect();
        places.sort_by_key(|(objects, _)| (objects != "*", objects.clone()));
        for (i, (objects, mut actions)) in places.into_iter().enumerate() {
            actions.sort();
            actions.dedup();
            out.push(json!({
                "Sid": if i == 0 { format!("Objects{pascal}") } else { format!("Objects{pascal}{}", i + 1) },
                "Effect": "Allow",
                "Action": actions,
                "Resource": sub(&format!("arn:${{AWS::Partition}}:s3:::${{{p}}}/{objects}")),
            }));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn sids(statements: &[Value]) -> Vec<&str> {
        statements
            .iter()
            .map(|s| s["Sid"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn statement_ids_are_unique_whatever_the_names() {
        // a child started both ways, a child whose name would have made
        // the built-in ids, a map of its own
        let needs: BTreeSet<Need> = [
            Need::Start("child".into(), false),
            Need::Start("child".into(), true),
            Need::Start("itsOwnChildren".into(), true),
            Need::OwnChildren,
        ]
        .into_iter()
        .collect();
        let out = statements("flow", &needs, "main");
        let ids = sids(&out);
        let unique: BTreeSet<&&str> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "{ids:?}");
        assert_eq!(
            ids,
            [
                "StartWorkflowChild",
                "WatchWorkflowChild",
                "EventsOfWorkflowChild",
                "StartWorkflowItsOwnChildren",
                "WatchWorkflowItsOwnChildren",
                "EventsOfWorkflowItsOwnChildren",
                "MapStartsItsChildren",
                "MapWatchesItsChildren",
            ]
        );
    }
}
