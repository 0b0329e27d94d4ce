//! The project's resources a definition names, and what its Task states need.
//!
//! A definition names resources as `${<kind>:<name>}` in any string:
//! `${function:chargeCard}` (the function's ARN), `${table:Order}` (the model's
//! table name), `${bucket:files}` (the storage bucket's name),
//! `${workflow:child}` (another workflow's ARN), and this workflow's own
//! `${topic:approvals}` (ARN), `${queue:jobs}` (URL) and `${activity:packing}`
//! (ARN). [`analyze`] checks each name against the project, rewrites it to a
//! `${Key}` that CloudFormation's `DefinitionSubstitutions` fills in, and
//! derives the IAM actions the Task states need from their `Resource` and
//! arguments, as the Step Functions developer guide lists them for each
//! integration ("How Step Functions generates IAM policies for integrated
//! services", "IAM policies for using Distributed Map states", "Start a new
//! AWS Step Functions state machine from a running execution").

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{MachineType, WorkflowConfig};
use crate::workflow::pointer_token;
use crate::workflow::validate::{Finding, Severity};

/// What a `${kind:name}` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Function,
    Table,
    Bucket,
    Workflow,
    Topic,
    Queue,
    Activity,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Function,
        Kind::Table,
        Kind::Bucket,
        Kind::Workflow,
        Kind::Topic,
        Kind::Queue,
        Kind::Activity,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Function => "function",
            Kind::Table => "table",
            Kind::Bucket => "bucket",
            Kind::Workflow => "workflow",
            Kind::Topic => "topic",
            Kind::Queue => "queue",
            Kind::Activity => "activity",
        }
    }

    fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// A resource of the project the definition names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Target {
    pub kind: Kind,
    pub name: String,
}

impl Target {
    pub fn new(kind: Kind, name: &str) -> Target {
        Target {
            kind,
            name: name.to_string(),
        }
    }

    /// The `DefinitionSubstitutions` key (`FunctionChargeCard`, `TableOrder`),
    /// which is also the logical id of the workflow's own topics, queues and
    /// activities (`TopicApprovals`).
    pub fn key(&self) -> String {
        format!(
            "{}{}",
            crate::naming::pascal(self.kind.as_str()),
            crate::naming::pascal(&self.name)
        )
    }
}

/// What a Task state needs its role to allow, on a resource of the project.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Need {
    /// `lambda:InvokeFunction` on the function (and its versions).
    Invoke(String),
    /// A DynamoDB action (`dynamodb:PutItem`) on the model's table.
    Table(String, &'static str),
    /// `sns:Publish` on the topic.
    Publish(String),
    /// `sqs:SendMessage` on the queue.
    Send(String),
    /// `states:StartExecution` on another workflow; with `true`, the `.sync`
    /// pattern's `DescribeExecution`/`StopExecution` and EventBridge rule.
    Start(String, bool),
    /// A Distributed Map: starting its own child executions.
    OwnChildren,
    /// An S3 action on the storage bucket (`s3:ListBucket` on the bucket,
    /// the others on its objects), narrowed to the literal `Prefix` (a
    /// listing's, a writer's) or `Key` (a reader's object) the definition
    /// gives; `None`: chosen at run time, the whole bucket.
    Bucket(String, &'static str, Option<String>),
}

/// Where the names of a definition may point: the project as the workflow
/// sees it.
pub struct Scope<'a> {
    pub name: &'a str,
    pub cfg: &'a WorkflowConfig,
    pub functions: Vec<&'a str>,
    pub workflows: Vec<&'a str>,
    pub storages: Vec<&'a str>,
    /// The api whose models `${table:...}` names (the project's first).
    pub api: Option<&'a str>,
}

impl<'a> Scope<'a> {
    /// The scope of the workflow `name` of the project `manifest`.
    pub fn of(
        manifest: &'a crate::project::Manifest,
        name: &'a str,
        cfg: &'a WorkflowConfig,
    ) -> Scope<'a> {
        Scope {
            name,
            cfg,
            functions: manifest.function.keys().map(String::as_str).collect(),
            workflows: manifest.workflow.keys().map(String::as_str).collect(),
            storages: manifest.storage.keys().map(String::as_str).collect(),
            api: manifest.api.keys().next().map(String::as_str),
        }
    }
}

/// A definition ready for CloudFormation, and what its role needs.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// The definition with `${kind:name}` rewritten to `${Key}`.
    pub definition: Value,
    /// Every resource named, by its substitution key.
    pub targets: BTreeMap<String, Target>,
    pub needs: BTreeSet<Need>,
}

const KINDS_HELP: &str = "name a resource of the project as `${function:NAME}`, `${table:MODEL}`, `${bucket:STORAGE}`, `${workflow:NAME}`, or this workflow's `${topic:NAME}`, `${queue:NAME}` or `${activity:NAME}` (declared in `[workflow.NAME]`)";

fn error(pointer: &str, message: String, help: impl Into<String>) -> Finding {
    Finding {
        severity: Severity::Error,
        pointer: pointer.to_string(),
        message,
        help: help.into(),
        key: false,
    }
}

/// Check every name the definition holds and what each Task state needs.
///
/// Errors: every finding at once, each at the JSON pointer of the string
/// it is about (an unknown kind or name, a Task resource hoist cannot grant,
/// a pattern an Express machine cannot run).
pub fn analyze(definition: &Value, scope: &Scope) -> Result<Analysis, Vec<Finding>> {
    let mut analysis = Analysis::default();
    let mut findings = Vec::new();
    analysis.definition = rewrite(definition, "", scope, &mut analysis.targets, &mut findings);
    tasks(definition, "", scope, &mut analysis.needs, &mut findings);
    if findings.is_empty() {
        Ok(analysis)
    } else {
        Err(findings)
    }
}

/// The models a definition's text names as `${table:Model}` (before it is
/// checked: the api's stack must name their tables for the workflow).
pub fn tables_named(text: &str) -> BTreeSet<String> {
    placeholders(text)
        .into_iter()
        .filter_map(|(_, _, content)| content.strip_prefix("table:"))
        .filter(|model| {
            !model.is_empty() && model.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
        .map(str::to_string)
        .collect()
}

/// Whether a definition's text names the resource `${kind:name}` (a
/// workflow that would break if it went).
pub fn names(text: &str, kind: Kind, name: &str) -> bool {
    placeholders(text)
        .into_iter()
        .any(|(_, _, content)| content == format!("{}:{name}", kind.as_str()))
}

/// Each `${...}` of a string: its byte range and its content.
fn placeholders(text: &str) -> Vec<(usize, usize, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = text[from..].find("${").map(|i| i + from) {
        let Some(end) = text[start..].find('}').map(|i| i + start) else {
            break;
        };
        out.push((start, end + 1, &text[start + 2..end]));
        from = end + 1;
    }
    out
}

/// The target `${kind:name}` names, or why it names nothing.
fn own(list: &[String]) -> Vec<&str> {
    list.iter().map(String::as_str).collect()
}

fn resolve(content: &str, scope: &Scope) -> Result<Target, (String, String)> {
    let Some((kind, name)) = content.split_once(':') else {
        return Err((
            format!("`${{{content}}}` names no resource: hoist fills in `${{kind:name}}` only"),
            KINDS_HELP.to_string(),
        ));
    };
    let Some(kind) = Kind::parse(kind) else {
        return Err((
            format!("`{kind}` in `${{{content}}}` is no kind of resource hoist knows"),
            KINDS_HELP.to_string(),
        ));
    };
    let known = |list: &[&str], what: &str, add: &str| -> Result<(), (String, String)> {
        if list.contains(&name) {
            return Ok(());
        }
        let names = if list.is_empty() {
            "none".to_string()
        } else {
            list.iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        Err((
            format!("the project has no {what} `{name}` (it has {names})"),
            add.to_string(),
        ))
    };
    match kind {
        Kind::Function => known(
            &scope.functions,
            "function",
            &format!("add it with `hoist add function {name}`, or name one of the project's"),
        )?,
        Kind::Workflow => {
            if name == scope.name {
                return Err((
                    format!("`${{workflow:{name}}}` is this workflow itself"),
                    "a machine's ARN cannot be in its own definition (CloudFormation would wait for the machine to make it): use `$$.StateMachine.Id` from the context object".to_string(),
                ));
            }
            known(
                &scope.workflows,
                "workflow",
                &format!("add it with `hoist add workflow {name}`, or name one of the project's"),
            )?
        }
        Kind::Bucket => known(
            &scope.storages,
            "storage",
            "add it with `hoist add storage`, or name one of the project's",
        )?,
        Kind::Table => {
            if scope.api.is_none() {
                return Err((
                    format!(
                        "`${{table:{name}}}` names a model's table, and the project has no api"
                    ),
                    "add one with `hoist add api`, with a `@model` type of that name".to_string(),
                ));
            }
            let graphql_name = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !graphql_name {
                return Err((
                    format!("`{name}` is not a model's name: models are types of the schema"),
                    "write the type's name as the schema has it, such as `${table:Order}`"
                        .to_string(),
                ));
            }
        }
        Kind::Topic => known(
            &own(&scope.cfg.topics),
            "topic",
            &format!(
                "declare it in `[workflow.{}]`: `topics = [\"{name}\"]`",
                scope.name
            ),
        )?,
        Kind::Queue => known(
            &own(&scope.cfg.queues),
            "queue",
            &format!(
                "declare it in `[workflow.{}]`: `queues = [\"{name}\"]`",
                scope.name
            ),
        )?,
        Kind::Activity => known(
            &own(&scope.cfg.activities),
            "activity",
            &format!(
                "declare it in `[workflow.{}]`: `activities = [\"{name}\"]`",
                scope.name
            ),
        )?,
    }
    Ok(Target {
        kind,
        name: name.to_string(),
    })
}

fn rewrite(
    value: &Value,
    pointer: &str,
    scope: &Scope,
    targets: &mut BTreeMap<String, Target>,
    findings: &mut Vec<Finding>,
) -> Value {
    match value {
        Value::String(text) => {
            let mut out = String::new();
            let mut last = 0;
            for (start, end, content) in placeholders(text) {
                out.push_str(&text[last..start]);
                match resolve(content, scope) {
                    Ok(target) => {
                        let key = target.key();
                        out.push_str(&format!("${{{key}}}"));
                        targets.insert(key, target);
                    }
                    Err((message, help)) => {
                        findings.push(error(pointer, message, help));
                        out.push_str(&text[start..end]);
                    }
                }
                last = end;
            }
            out.push_str(&text[last..]);
            Value::String(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| rewrite(v, &format!("{pointer}/{i}"), scope, targets, findings))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let at = format!("{pointer}/{}", pointer_token(k));
                    (k.clone(), rewrite(v, &at, scope, targets, findings))
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The one `${kind:name}` a string is (an optional `:qualifier` after it, as
/// a Lambda ARN may have), if it is of that kind.
fn only_target(value: Option<&Value>, kind: Kind, scope: &Scope) -> Option<String> {
    let text = value?.as_str()?;
    let rest = text.strip_prefix("${")?;
    let (content, after) = rest.split_once('}')?;
    if !(after.is_empty() || (kind == Kind::Function && after.starts_with(':'))) {
        return None;
    }
    match resolve(content, scope) {
        Ok(t) if t.kind == kind => Some(t.name),
        _ => None,
    }
}

/// Every Task (and Distributed Map) of the machine at `pointer`, nested
/// machines included.
fn tasks(
    machine: &Value,
    pointer: &str,
    scope: &Scope,
    needs: &mut BTreeSet<Need>,
    findings: &mut Vec<Finding>,
) {
    let Some(states) = machine.get("States").and_then(Value::as_object) else {
        return;
    };
    for (name, state) in states {
        let at = format!("{pointer}/States/{}", pointer_token(name));
        match state.get("Type").and_then(Value::as_str) {
            Some("Task") => task(state, &at, scope, needs, findings),
            Some("Parallel") => {
                for (i, branch) in state
                    .get("Branches")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    tasks(
                        branch,
                        &format!("{at}/Branches/{i}"),
                        scope,
                        needs,
                        findings,
                    );
                }
            }
            Some("Map") => {
                for key in ["ItemProcessor", "Iterator"] {
                    let Some(processor) = state.get(key) else {
                        continue;
                    };
                    let distributed = processor
                        .pointer("/ProcessorConfig/Mode")
                        .and_then(Value::as_str)
                        == Some("DISTRIBUTED");
                    if distributed {
                        distributed_map(state, &at, key, scope, needs, findings);
                    }
                    tasks(processor, &format!("{at}/{key}"), scope, needs, findings);
                }
            }
            _ => {}
        }
    }
}

const EXPRESS_HELP: &str = "make it a Standard workflow: `type = \"standard\"` in its `[workflow.NAME]` (Express workflows run at most five minutes and cannot wait)";

fn arguments(state: &Value) -> Option<&serde_json::Map<String, Value>> {
    state
        .get("Parameters")
        .or_else(|| state.get("Arguments"))
        .and_then(Value::as_object)
}

/// The name of the `${kind:...}` in the argument `field`, or a finding that
/// says it must be one.
fn argument(
    state: &Value,
    at: &str,
    field: &str,
    kind: Kind,
    scope: &Scope,
    findings: &mut Vec<Finding>,
) -> Option<String> {
    let key = if state.get("Parameters").is_some() {
        "Parameters"
    } else {
        "Arguments"
    };
    let args = arguments(state);
    let value = args.and_then(|a| a.get(field));
    if let Some(name) = only_target(value, kind, scope) {
        return Some(name);
    }
    // an unknown name is reported where the string is rewritten
    let named_badly = value
        .and_then(Value::as_str)
        .is_some_and(|t| t.contains("${"));
    if !named_badly {
        let dynamic = args.is_some_and(|a| a.contains_key(&format!("{field}.$")));
        findings.push(error(
            &if dynamic {
                format!("{at}/{key}/{}.$", pointer_token(field))
            } else if value.is_some() {
                format!("{at}/{key}/{}", pointer_token(field))
            } else {
                format!("{at}/Resource")
            },
            if dynamic {
                format!("`{field}.$` is chosen at run time, and the role can only be given what the definition names")
            } else {
                format!("this Task's `{field}` must name a {} of the project", kind.as_str())
            },
            format!(
                "write `\"{field}\": \"${{{}:NAME}}\"` in its `{key}`: the role then allows that one resource",
                kind.as_str()
            ),
        ));
    }
    None
}

fn task(
    state: &Value,
    at: &str,
    scope: &Scope,
    needs: &mut BTreeSet<Need>,
    findings: &mut Vec<Finding>,
) {
    let Some(resource) = state.get("Resource").and_then(Value::as_str) else {
        return; // validation names it
    };
    let resource_at = format!("{at}/Resource");
    let express = scope.cfg.machine_type == MachineType::Express;
    if state.get("Credentials").is_some() {
        findings.push(error(
            &format!("{at}/Credentials"),
            "hoist cannot let this workflow's role assume another role (`Credentials`)".into(),
            "call resources of this account's project through the workflow's own role: remove `Credentials`",
        ));
    }
    if let Some(name) = only_target(state.get("Resource"), Kind::Function, scope) {
        needs.insert(Need::Invoke(name));
        return;
    }
    if only_target(state.get("Resource"), Kind::Activity, scope).is_some() {
        // a worker polls the activity: the machine's role needs nothing
        if express {
            findings.push(error(
                &resource_at,
                "an Express workflow cannot run activities".into(),
                EXPRESS_HELP,
            ));
        }
        return;
    }
    let integration = resource
        .strip_prefix("arn:")
        .and_then(|r| r.split_once(":states:::"))
        .filter(|(partition, _)| partition.starts_with("aws"))
        .map(|(_, rest)| rest);
    let Some(integration) = integration else {
        let named = placeholders(resource)
            .first()
            .and_then(|(_, _, content)| resolve(content, scope).ok());
        if let Some(target) = named {
            findings.push(error(
                &resource_at,
                format!(
                    "a Task cannot run a {} (`{resource}`)",
                    target.kind.as_str()
                ),
                "a Task's `Resource` is a function (`${function:NAME}`), an activity (`${activity:NAME}`) or a service integration (`arn:aws:states:::sns:publish`, with the resource in its `Parameters`)",
            ));
        } else if !resource.contains("${") {
            findings.push(error(
                &resource_at,
                format!("hoist cannot give this workflow's role access to `{resource}`"),
                "run the project's functions (`${function:NAME}` or `arn:aws:states:::lambda:invoke`), tables, topics, queues, workflows and activities: hoist grants those one by one",
            ));
        }
        return;
    };
    let (action, pattern) = match integration.split_once('.') {
        Some((action, pattern)) => (action, Some(pattern)),
        None => (integration, None),
    };
    if let Some(pattern) = pattern {
        if !matches!(pattern, "sync" | "sync:2" | "waitForTaskToken") {
            findings.push(error(
                &resource_at,
                format!("`.{pattern}` is not a service integration pattern"),
                "use `.sync` (run a job), `.waitForTaskToken` (wait for a callback), or nothing (call and go on)",
            ));
            return;
        }
        if express {
            findings.push(error(
                &resource_at,
                format!("an Express workflow cannot use `.{pattern}`: it does not wait for jobs or callbacks"),
                EXPRESS_HELP,
            ));
        }
    }
    let sync = matches!(pattern, Some("sync" | "sync:2"));
    let unsupported = |findings: &mut Vec<Finding>| {
        findings.push(error(
            &resource_at,
            format!("hoist cannot give this workflow's role what `{action}` needs"),
            "hoist grants `lambda:invoke`, `dynamodb:getItem|putItem|updateItem|deleteItem`, `sns:publish`, `sqs:sendMessage` and `states:startExecution` on the project's resources",
        ));
    };
    match action {
        "lambda:invoke" if !sync => {
            if let Some(name) = argument(state, at, "FunctionName", Kind::Function, scope, findings)
            {
                needs.insert(Need::Invoke(name));
            }
        }
        "dynamodb:getItem" | "dynamodb:putItem" | "dynamodb:updateItem" | "dynamodb:deleteItem"
            if pattern.is_none() =>
        {
            let iam = match action {
                "dynamodb:getItem" => "dynamodb:GetItem",
                "dynamodb:putItem" => "dynamodb:PutItem",
                "dynamodb:updateItem" => "dynamodb:UpdateItem",
                _ => "dynamodb:DeleteItem",
            };
            if let Some(model) = argument(state, at, "TableName", Kind::Table, scope, findings) {
                needs.insert(Need::Table(model, iam));
            }
        }
        "sns:publish" if !sync => {
            if let Some(topic) = argument(state, at, "TopicArn", Kind::Topic, scope, findings) {
                needs.insert(Need::Publish(topic));
            }
        }
        "sqs:sendMessage" if !sync => {
            if let Some(queue) = argument(state, at, "QueueUrl", Kind::Queue, scope, findings) {
                needs.insert(Need::Send(queue));
            }
        }
        "states:startExecution" => {
            if let Some(child) = argument(
                state,
                at,
                "StateMachineArn",
                Kind::Workflow,
                scope,
                findings,
            ) {
                needs.insert(Need::Start(child, sync));
            }
        }
        _ => unsupported(findings),
    }
}

/// A Distributed Map's child executions, and its reader's and writer's bucket.
fn distributed_map(
    state: &Value,
    at: &str,
    processor: &str,
    scope: &Scope,
    needs: &mut BTreeSet<Need>,
    findings: &mut Vec<Finding>,
) {
    if scope.cfg.machine_type == MachineType::Express {
        findings.push(error(
            &format!("{at}/{processor}/ProcessorConfig/Mode"),
            "an Express workflow cannot run a Distributed Map".into(),
            EXPRESS_HELP,
        ));
    }
    needs.insert(Need::OwnChildren);
    for (field, allowed) in [
        (
            "ItemReader",
            &[
                ("s3:listObjectsV2", "s3:ListBucket"),
                ("s3:getObject", "s3:GetObject"),
            ][..],
        ),
        ("ResultWriter", &[("s3:putObject", "s3:PutObject")][..]),
    ] {
        let Some(part) = state.get(field) else {
            continue;
        };
        let here = format!("{at}/{field}");
        let Some(resource) = part.get("Resource").and_then(Value::as_str) else {
            // a ResultWriter with only `WriterConfig` writes nowhere
            continue;
        };
        let action = resource
            .split_once(":states:::")
            .map(|(_, a)| a)
            .and_then(|a| allowed.iter().find(|(name, _)| *name == a));
        let Some((_, iam)) = action else {
            findings.push(error(
                &format!("{here}/Resource"),
                format!(
                    "hoist cannot give this workflow's role what the {field} `{resource}` needs"
                ),
                format!(
                    "use {} on the project's storage bucket (`\"Bucket\": \"${{bucket:NAME}}\"`)",
                    allowed
                        .iter()
                        .map(|(a, _)| format!("`arn:aws:states:::{a}`"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
            ));
            continue;
        };
        if let Some(bucket) = argument(part, &here, "Bucket", Kind::Bucket, scope, findings) {
            // a literal place narrows the grant; IAM's wildcards and `${`
            // (CloudFormation's substitution) in it are taken as run time's
            let place = match *iam {
                "s3:GetObject" => "Key",
                _ => "Prefix",
            };
            // a MANIFEST (an S3 inventory) names the objects it reads: the
            // role reads more than its key
            let manifest = part["ReaderConfig"]["InputType"] == "MANIFEST";
            let literal = arguments(part)
                .filter(|_| !manifest)
                .and_then(|a| a.get(place))
                .and_then(Value::as_str)
                .filter(|p| !p.is_empty() && !p.contains(['*', '?', '$']) && !p.contains("{%"))
                .map(str::to_string);
            needs.insert(Need::Bucket(bucket, iam, literal));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scope(cfg: &WorkflowConfig) -> Scope<'_> {
        Scope {
            name: "orders",
            cfg,
            functions: vec!["chargeCard", "refund"],
            workflows: vec!["orders", "shipping"],
            storages: vec!["files"],
            api: Some("main"),
        }
    }

    #[test]
    fn names_become_substitutions_and_tasks_become_needs() {
        let cfg = WorkflowConfig {
            topics: vec!["approvals".into()],
            ..Default::default()
        };
        let definition = json!({
            "StartAt": "Charge",
            "States": {
                "Charge": { "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": { "FunctionName": "${function:chargeCard}", "Payload.$": "$" }, "Next": "Save" },
                "Save": { "Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
                    "Parameters": { "TableName": "${table:Order}", "Item": {} }, "Next": "Both" },
                "Both": { "Type": "Parallel", "Next": "Ship", "Branches": [
                    { "StartAt": "Ask", "States": { "Ask": { "Type": "Task",
                        "Resource": "arn:aws:states:::sns:publish.waitForTaskToken",
                        "Parameters": { "TopicArn": "${topic:approvals}", "Message.$": "$$.Task.Token" }, "End": true } } },
                    { "StartAt": "Refund", "States": { "Refund": { "Type": "Task",
                        "Resource": "${function:refund}", "End": true } } }
                ] },
                "Ship": { "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                    "Parameters": { "StateMachineArn": "${workflow:shipping}" }, "End": true }
            }
        });
        let cfg_scope = scope(&cfg);
        let analysis = analyze(&definition, &cfg_scope).unwrap();
        assert_eq!(
            analysis.definition["States"]["Charge"]["Parameters"]["FunctionName"],
            "${FunctionChargeCard}"
        );
        assert_eq!(
            analysis.targets.keys().collect::<Vec<_>>(),
            [
                "FunctionChargeCard",
                "FunctionRefund",
                "TableOrder",
                "TopicApprovals",
                "WorkflowShipping"
            ]
        );
        assert_eq!(
            analysis.needs.into_iter().collect::<Vec<_>>(),
            [
                Need::Invoke("chargeCard".into()),
                Need::Invoke("refund".into()),
                Need::Table("Order".into(), "dynamodb:PutItem"),
                Need::Publish("approvals".into()),
                Need::Start("shipping".into(), true),
            ]
        );
    }

    #[test]
    fn every_unknown_name_and_ungrantable_task_is_found_at_its_pointer() {
        let cfg = WorkflowConfig {
            machine_type: MachineType::Express,
            ..Default::default()
        };
        let definition = json!({
            "StartAt": "A",
            "States": {
                "A": { "Type": "Task", "Resource": "${function:nope}", "Next": "B" },
                "B": { "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": { "FunctionName.$": "$.fn" }, "Next": "C" },
                "C": { "Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.sync", "Next": "D" },
                "D": { "Type": "Task", "Resource": "arn:aws:states:::sns:publish.waitForTaskToken",
                    "Parameters": { "TopicArn": "${topic:missing}" }, "Next": "E" },
                "E": { "Type": "Task", "Resource": "${workflow:orders}", "Next": "F" },
                "F": { "Type": "Pass", "Result": "${thing}", "End": true }
            }
        });
        let cfg_scope = scope(&cfg);
        let findings = analyze(&definition, &cfg_scope).unwrap_err();
        let at: Vec<(&str, &str)> = findings
            .iter()
            .map(|f| (f.pointer.as_str(), f.message.as_str()))
            .collect();
        let pointers: Vec<&str> = at.iter().map(|(p, _)| *p).collect();
        assert_eq!(
            pointers,
            [
                "/States/A/Resource",
                "/States/D/Parameters/TopicArn",
                "/States/E/Resource",
                "/States/F/Result",
                "/States/B/Parameters/FunctionName.$",
                "/States/C/Resource",
                "/States/C/Resource",
                "/States/D/Resource",
            ],
            "{at:#?}"
        );
        assert!(at[0].1.contains("no function `nope`"), "{}", at[0].1);
        assert!(at[2].1.contains("this workflow itself"), "{}", at[2].1);
        assert!(at[5].1.contains("Express"), "{}", at[5].1);
    }

    #[test]
    fn a_task_runs_functions_activities_and_integrations_only() {
        let cfg = WorkflowConfig::default();
        let definition = json!({ "StartAt": "A", "States": {
            "A": { "Type": "Task", "Resource": "${table:Order}", "End": true } } });
        let cfg_scope = scope(&cfg);
        let findings = analyze(&definition, &cfg_scope).unwrap_err();
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].pointer, "/States/A/Resource");
        assert!(findings[0].message.contains("a Task cannot run a table"));
    }

    #[test]
    fn a_task_may_not_assume_another_role() {
        let cfg = WorkflowConfig::default();
        let definition = json!({ "StartAt": "A", "States": { "A": { "Type": "Task",
            "Resource": "${function:refund}", "Credentials": { "RoleArn": "arn:aws:iam::1:role/x" }, "End": true } } });
        let cfg_scope = scope(&cfg);
        let findings = analyze(&definition, &cfg_scope).unwrap_err();
        assert_eq!(findings[0].pointer, "/States/A/Credentials");
    }

    #[test]
    fn a_distributed_map_starts_its_own_children_and_reads_the_bucket() {
        let cfg = WorkflowConfig::default();
        let definition = json!({
            "StartAt": "Each",
            "States": { "Each": { "Type": "Map", "End": true,
                "ItemReader": { "Resource": "arn:aws:states:::s3:listObjectsV2",
                    "Parameters": { "Bucket": "${bucket:files}", "Prefix": "incoming/" } },
                "ResultWriter": { "Resource": "arn:aws:states:::s3:putObject",
                    "Parameters": { "Bucket": "${bucket:files}", "Prefix": "results" } },
                "ItemProcessor": { "ProcessorConfig": { "Mode": "DISTRIBUTED", "ExecutionType": "STANDARD" },
                    "StartAt": "One", "States": { "One": { "Type": "Task", "Resource": "${function:refund}", "End": true } } } } }
        });
        let cfg_scope = scope(&cfg);
        let needs = analyze(&definition, &cfg_scope).unwrap().needs;
        assert_eq!(
            needs.into_iter().collect::<Vec<_>>(),
            [
                Need::Invoke("refund".into()),
                Need::OwnChildren,
                Need::Bucket("files".into(), "s3:ListBucket", Some("incoming/".into())),
                Need::Bucket("files".into(), "s3:PutObject", Some("results".into())),
            ]
        );
        // a reader of one object gets that object; of an inventory
        // manifest, which names others, the bucket's
        for (input_type, place) in [
            ("JSON", Some("in/data.json".to_string())),
            ("MANIFEST", None),
        ] {
            let definition = json!({
                "StartAt": "Each",
                "States": { "Each": { "Type": "Map", "End": true,
                    "ItemReader": { "Resource": "arn:aws:states:::s3:getObject",
                        "ReaderConfig": { "InputType": input_type },
                        "Parameters": { "Bucket": "${bucket:files}", "Key": "in/data.json" } },
                    "ItemProcessor": { "ProcessorConfig": { "Mode": "DISTRIBUTED", "ExecutionType": "STANDARD" },
                        "StartAt": "One", "States": { "One": { "Type": "Pass", "End": true } } } } }
            });
            let needs = analyze(&definition, &cfg_scope).unwrap().needs;
            assert!(
                needs.contains(&Need::Bucket("files".into(), "s3:GetObject", place.clone())),
                "{input_type}: {needs:?}"
            );
        }
    }
}
