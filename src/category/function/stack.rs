//! A function's nested stack: its log group (with a retention), its role
//! (writing its own log group, X-Ray traces, reading its own secrets'
//! parameters, what its `access` grants and its table triggers' streams,
//! nothing else), the function, whose code is the package uploaded to the
//! deployment bucket under a key named by its source hash, and its
//! schedules, table stream mappings and storage event rules.

use serde_json::{Value, json};

use super::FunctionConfig;
use crate::category::{Category, Part, StackError, logical_id};
use crate::cfn::{Template, get_att, r#ref, sub};

/// The deployment bucket key of a function's package: `functions/<name>-<first
/// 16 hex of the source hash>.zip`. A new key for new code is what makes
/// CloudFormation update the function's code.
pub fn code_key(name: &str, source_hash: &str) -> String {
    format!(
        "functions/{name}-{}.zip",
        &source_hash[..16.min(source_hash.len())]
    )
}

/// The function `name` as synthesis takes it, given its source hash
/// (absent when its folder is missing).
///
/// Errors: [`StackError::NoFunctionSource`] without a source.
pub fn part(
    name: &str,
    cfg: &FunctionConfig,
    env: &str,
    source_hash: Option<&str>,
    grants: &[super::access::Grant],
    streams: &[(String, String)],
    storage: &[(String, super::triggers::StorageTrigger)],
) -> Result<Part, StackError> {
    let hash = source_hash.ok_or_else(|| StackError::NoFunctionSource {
        name: name.to_string(),
        path: super::build::source_dir(name).display().to_string(),
    })?;
    let key = code_key(name, hash);
    let wiring = super::access::wire(grants);
    let mut template = synth(name, cfg, env, &key, &wiring);
    let statements = super::triggers::add_table_streams(&mut template, streams);
    let buckets = super::triggers::add_storage_rules(&mut template, storage);
    if let Some(role) = template.resource_mut("Role")
        && let Some(list) =
            role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"].as_array_mut()
    {
        list.extend(statements);
    }
    let mut part = Part::new(
        "function",
        name,
        logical_id(Category::Function, name),
        template,
    );
    part.parameters
        .insert("DeploymentBucketName".into(), r#ref("DeploymentBucket"));
    for (parameter, value) in &wiring.parameters {
        part.parameters.insert(parameter.clone(), value.clone());
    }
    for (api, model) in streams {
        let stack = crate::category::logical_id(Category::Api, api);
        let output = format!("{}TableStreamArn", crate::naming::pascal(model));
        part.parameters.insert(
            format!("{stack}{output}"),
            get_att(&stack, &format!("Outputs.{output}")),
        );
    }
    for (parameter, stack) in buckets {
        part.parameters
            .insert(parameter, get_att(&stack, "Outputs.BucketName"));
    }
    part.code.insert(key, name.to_string());
    Ok(part)
}

/// The nested stack of one function whose package is at `key`, with what
/// its `access` needs (`wiring`).
pub fn synth(
    name: &str,
    cfg: &FunctionConfig,
    env: &str,
    key: &str,
    wiring: &super::access::Wiring,
) -> Template {
    let mut t = Template::new(format!(
        "hoist function `{name}`: a Lambda function ({}), its role and log group",
        cfg.runtime.id()
    ));
    t.string_parameter("Project", "The hoist project's name");
    t.string_parameter("Env", "The environment's name");
    t.string_parameter(
        "DeploymentBucketName",
        "Where the function's package is (from the root stack)",
    );
    for (parameter, _) in &wiring.parameters {
        t.string_parameter(
            parameter,
            "A resource the function may use (from the root stack)",
        );
    }
    let lambda_name = format!("{name}-${{Env}}");
    let tags = json!([
        { "Key": "hoist:project", "Value": r#ref("Project") },
        { "Key": "hoist:env", "Value": r#ref("Env") },
        { "Key": "hoist:resource", "Value": format!("function/{name}") }
    ]);

    t.resource(
        "LogGroup",
        "AWS::Logs::LogGroup",
        json!({
            "LogGroupName": sub(&format!("/aws/lambda/{lambda_name}")),
            "RetentionInDays": cfg.log_retention_days,
            "Tags": tags,
        }),
    );

    let mut statements = vec![
        json!({
            "Sid": "WriteItsOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": get_att("LogGroup", "Arn"),
        }),
        // X-Ray has no resource-level permissions: its actions take `*`
        // ("Actions, resources, and condition keys for AWS X-Ray").
        json!({
            "Sid": "WriteTraces",
            "Effect": "Allow",
            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            "Resource": "*",
        }),
    ];
    statements.extend(wiring.statements.iter().cloned());
    let secrets = cfg.secret_parameters(env);
    if !secrets.is_empty() {
        let arns: Vec<Value> = secrets
            .values()
            .map(|path| {
                sub(&format!(
                    "arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter/{}",
                    path.trim_start_matches('/')
                ))
            })
            .collect();
        statements.push(json!({
            "Sid": "ReadItsOwnSecrets",
            "Effect": "Allow",
            "Action": ["ssm:GetParameter", "ssm:GetParameters"],
            "Resource": arns,
        }));
    }
    t.resource(
        "Role",
        "AWS::IAM::Role",
        json!({
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": { "Service": "lambda.amazonaws.com" },
                    "Action": "sts:AssumeRole"
                }]
            },
            "Policies": [{
                "PolicyName": "function",
                "PolicyDocument": { "Version": "2012-10-17", "Statement": statements }
            }],
            "Tags": tags,
        }),
    );

    let mut variables = serde_json::Map::new();
    variables.insert("ENV".into(), r#ref("Env"));
    variables.insert("REGION".into(), r#ref("AWS::Region"));
    for (k, v) in &wiring.variables {
        variables.insert(k.clone(), v.clone());
    }
    for (k, v) in &cfg.environment {
        variables.insert(k.clone(), json!(v));
    }
    // a secret's variable holds its parameter's name; the code reads the value
    for (k, path) in &secrets {
        variables.insert(k.clone(), json!(path));
    }
    t.resource(
        "Function",
        "AWS::Lambda::Function",
        json!({
            "FunctionName": sub(&lambda_name),
            "Description": format!("hoist function `{name}`"),
            "Runtime": cfg.runtime.id(),
            "Handler": cfg.handler(),
            "Architectures": [cfg.architecture.as_str()],
            "MemorySize": cfg.memory_mb,
            "Timeout": cfg.timeout_seconds,
            "Role": get_att("Role", "Arn"),
            "Code": { "S3Bucket": r#ref("DeploymentBucketName"), "S3Key": key },
            "Environment": { "Variables": variables },
            "TracingConfig": { "Mode": "Active" },
            "LoggingConfig": { "LogGroup": r#ref("LogGroup"), "LogFormat": "Text" },
            "Tags": tags,
        }),
    );

    let schedules: Vec<String> = cfg
        .triggers
        .iter()
        .filter_map(|t| match super::triggers::parse(t) {
            Ok(super::triggers::Trigger::Schedule(expression)) => Some(expression),
            _ => None,
        })
        .collect();
    super::triggers::add_schedules(
        &mut t,
        &schedules.iter().map(String::as_str).collect::<Vec<_>>(),
    );

    t.output("Name", "The function's name in Lambda", r#ref("Function"));
    t.output("Arn", "The function's ARN", get_att("Function", "Arn"));
    t.output("RoleArn", "The function's role", get_att("Role", "Arn"));
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::category::function::Runtime;

    #[test]
    fn the_role_writes_its_own_log_group_and_reads_only_its_own_secrets() {
        let mut cfg = FunctionConfig::new(Runtime::Nodejs24);
        cfg.secrets
            .insert("TOKEN".into(), "ssm:/shop/{env}/token".into());
        cfg.environment.insert("GREETING".into(), "hi".into());
        let wiring = crate::category::function::access::wire(&[]);
        let t = synth("greet", &cfg, "prod", "functions/greet-0123.zip", &wiring).to_json();
        let statements =
            &t["Resources"]["Role"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"];
        assert_eq!(statements[0]["Resource"], get_att("LogGroup", "Arn"));
        assert_eq!(
            statements[2]["Resource"][0]["Fn::Sub"],
            "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/shop/prod/token"
        );
        let function = &t["Resources"]["Function"]["Properties"];
        assert_eq!(
            function["Environment"]["Variables"]["TOKEN"],
            "/shop/prod/token"
        );
        assert_eq!(function["Environment"]["Variables"]["GREETING"], "hi");
        assert_eq!(function["Code"]["S3Key"], "functions/greet-0123.zip");
        assert_eq!(function["Architectures"], json!(["arm64"]));
        assert_eq!(function["Handler"], "index.handler");
        assert_eq!(
            t["Resources"]["LogGroup"]["Properties"]["RetentionInDays"],
            30
        );
    }
}
