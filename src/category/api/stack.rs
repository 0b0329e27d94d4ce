//! The api's CloudFormation: the AppSync API and its authorization modes, a
//! nested stack per model (table, data source, resolvers), the search domain,
//! the custom resolvers, and the stacks that group models past CloudFormation's limits.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::cfn::{self, Template, get_att, r#ref, sub};
use crate::transform::{Key, Model};

use super::outputs;
use super::resolvers::{INVOKE_CODE, PIPELINE_CODE, custom_pipeline_code, runtime};
use super::resolvers::{
    SEARCH_STREAMING_CODE, local_functions, relations_reading, resolver_functions, search_resolver,
};
use super::{ApiConfig, AuthMode, KEY_EXPIRY_PARAMETER};
use crate::render::RenderError;

pub(super) fn provider(mode: AuthMode, cfg: &ApiConfig) -> Value {
    let mut p = json!({ "AuthenticationType": mode.appsync() });
    match mode {
        AuthMode::UserPools => {
            p["UserPoolConfig"] =
                json!({ "UserPoolId": r#ref("UserPoolId"), "AwsRegion": r#ref("AWS::Region") })
        }
        AuthMode::Oidc => {
            let mut config = json!({ "Issuer": cfg.oidc_issuer, "ClientId": cfg.oidc_client_id });
            // 0 and none both leave the token's own expiry as the only limit
            for (key, ms) in [
                ("IatTTL", cfg.oidc_iat_ttl_ms),
                ("AuthTTL", cfg.oidc_auth_ttl_ms),
            ] {
                if let Some(ms) = ms.filter(|ms| *ms > 0) {
                    config[key] = json!(ms);
                }
            }
            p["OpenIDConnectConfig"] = config;
        }
        AuthMode::Lambda => {
            p["LambdaAuthorizerConfig"] = json!({
                "AuthorizerUri": authorizer_uri(cfg),
                "AuthorizerResultTtlInSeconds": cfg.lambda_authorizer_ttl_seconds,
            })
        }
        AuthMode::ApiKey | AuthMode::Iam => {}
    }
    p
}

/// The Lambda authorizer's ARN: the one given, or the project function's
/// (`<name>-${Env}` in this stack's account and region).
fn authorizer_uri(cfg: &ApiConfig) -> Value {
    match &cfg.lambda_authorizer {
        Some(function) => sub(&format!(
            "arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{}",
            crate::category::function::function_name(function, "${Env}")
        )),
        None => json!(cfg.lambda_authorizer_arn),
    }
}

/// The attributes of a key: the partition field, then the sort key's attribute.
pub(super) fn key_attributes(key: &Key) -> Vec<String> {
    let mut attributes = vec![key.partition.clone()];
    attributes.extend(key.sort_attribute());
    attributes
}

/// DynamoDB's attribute type of a field: `N` for numbers, else `S`.
pub(super) fn attribute_type(model: &Model, field: &str) -> &'static str {
    let scalar = model.scalar(field).unwrap_or_default();
    if matches!(scalar.as_str(), "Int" | "Float" | "AWSTimestamp") {
        "N"
    } else {
        "S"
    }
}

pub(super) fn key_schema(key: &crate::transform::Key) -> Value {
    let mut schema = vec![json!({ "AttributeName": key.partition, "KeyType": "HASH" })];
    schema.extend(
        key.sort_attribute()
            .map(|sk| json!({ "AttributeName": sk, "KeyType": "RANGE" })),
    );
    Value::Array(schema)
}

/// The table of a model: its key, its indexes, and the attributes they use.
pub(super) fn table_properties(model: &Model) -> Value {
    let mut attributes: Vec<String> = key_attributes(&model.primary_key);
    for index in &model.indexes {
        for f in key_attributes(&index.key) {
            if !attributes.contains(&f) {
                attributes.push(f);
            }
        }
    }
    let mut table = json!({
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": attributes.iter().map(|a| json!({ "AttributeName": a, "AttributeType": attribute_type(model, a) })).collect::<Vec<_>>(),
        "KeySchema": key_schema(&model.primary_key),
    });
    if !model.indexes.is_empty() {
        table["GlobalSecondaryIndexes"] = Value::Array(
            model
                .indexes
                .iter()
                .map(|i| json!({ "IndexName": i.name, "KeySchema": key_schema(&i.key), "Projection": { "ProjectionType": "ALL" } }))
                .collect(),
        );
    }
    table
}

/// A pipeline resolver on `type_name.field` with one function reading `source`.
pub(super) fn add_resolver(
    t: &mut Template,
    logical: &str,
    type_name: &str,
    field: &str,
    source: &str,
    code: String,
) {
    add_resolver_on(t, r#ref("ApiId"), logical, type_name, field, source, code);
}

/// A pipeline resolver on `Query.field` in the api's own template.
pub(super) fn add_resolver_in_api(
    t: &mut Template,
    logical: &str,
    field: &str,
    source: &str,
    code: String,
) {
    add_resolver_on(
        t,
        get_att("GraphQLApi", "ApiId"),
        logical,
        "Query",
        field,
        source,
        code,
    );
    if let Some(resolver) = t.resource_mut(&format!("{logical}Resolver")) {
        resolver["DependsOn"] = json!(["GraphQLSchema"]);
    }
}

pub(super) fn add_resolver_on(
    t: &mut Template,
    api_id: Value,
    logical: &str,
    type_name: &str,
    field: &str,
    source: &str,
    code: String,
) {
    t.resource(
        &format!("{logical}Function"),
        "AWS::AppSync::FunctionConfiguration",
        json!({
            "ApiId": api_id.clone(),
            "Name": logical,
            "DataSourceName": get_att(source, "Name"),
            "Runtime": runtime(),
            "Code": code
        }),
    );
    t.resource(
        &format!("{logical}Resolver"),
        "AWS::AppSync::Resolver",
        json!({
            "ApiId": api_id,
            "TypeName": type_name,
            "FieldName": field,
            "Kind": "PIPELINE",
            "PipelineConfig": { "Functions": [get_att(&format!("{logical}Function"), "FunctionId")] },
            "Runtime": runtime(),
            "Code": PIPELINE_CODE
        }),
    );
}

/// The ARN of a `@function` Lambda, for `Fn::Sub`: `${env}` is the environment.
pub(super) fn lambda_arn(f: &crate::transform::LambdaRef) -> String {
    format!(
        "arn:${{AWS::Partition}}:lambda:{}:{}:function:{}",
        f.region.as_deref().unwrap_or("${AWS::Region}"),
        f.account_id.as_deref().unwrap_or("${AWS::AccountId}"),
        f.name.replace("${env}", "${Env}")
    )
}

/// The nested stack of one model of an api: its table, the role AppSync uses on
/// it, its data source, and the resolvers that read it (its own queries and
/// mutations, and the relation fields of other models that point at it).
pub fn model_stack(
    api_name: &str,
    model: &Model,
    models: &[Model],
    overrides: &BTreeMap<String, String>,
) -> Result<Template, RenderError> {
    let mut t = Template::new(format!(
        "hoist api `{api_name}`, model `{}`: table, data source and resolvers",
        model.name
    ));
    t.string_parameter("Project", "The hoist project's name");
    t.string_parameter("Env", "The environment's name");
    t.string_parameter("ApiId", "The AppSync API (from the api stack)");
    let m = crate::naming::pascal(&model.name);
    let table = format!("{m}Table");
    let mut properties = table_properties(model);
    properties["PointInTimeRecoverySpecification"] = json!({ "PointInTimeRecoveryEnabled": true });
    properties["SSESpecification"] = json!({ "SSEEnabled": true });
    properties["StreamSpecification"] = json!({ "StreamViewType": "NEW_AND_OLD_IMAGES" });
    properties["Tags"] = json!([{ "Key": "hoist:project", "Value": r#ref("Project") }, { "Key": "hoist:env", "Value": r#ref("Env") }, { "Key": "hoist:model", "Value": model.name }]);
    let resource = t.resource(&table, "AWS::DynamoDB::Table", properties);
    // Items outlive a mistaken `remove`, `env remove` or a replacing change
    // (a new key schema): the table is kept when the stack lets go of it.
    resource["DeletionPolicy"] = json!("Retain");
    resource["UpdateReplacePolicy"] = json!("Retain");
    let role = format!("{m}DataSourceRole");
    t.resource(&role, "AWS::IAM::Role", json!({
        "Description": format!("Lets AppSync read and write the {} table, and nothing else", model.name),
        "AssumeRolePolicyDocument": cfn::policy(vec![json!({ "Effect": "Allow", "Principal": { "Service": "appsync.amazonaws.com" }, "Action": "sts:AssumeRole" })]),
        "Policies": [{
            "PolicyName": "dynamodb",
            "PolicyDocument": cfn::policy(vec![json!({
                "Effect": "Allow",
                "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:ConditionCheckItem"],
                "Resource": [get_att(&table, "Arn"), sub(&format!("${{{table}.Arn}}/index/*"))]
            })])
        }]
    }));
    let source = format!("{m}DataSource");
    t.resource(
        &source,
        "AWS::AppSync::DataSource",
        json!({
            "ApiId": r#ref("ApiId"),
            "Name": format!("{m}Table"),
            "Type": "AMAZON_DYNAMODB",
            "ServiceRoleArn": get_att(&role, "Arn"),
            "DynamoDBConfig": { "TableName": r#ref(&table), "AwsRegion": r#ref("AWS::Region") }
        }),
    );
    for r in resolver_functions(model)? {
        let code = overrides.get(&r.file).cloned().unwrap_or(r.code);
        let logical = format!("{}{}", r.type_name, crate::naming::pascal(&r.field));
        add_resolver(&mut t, &logical, &r.type_name, &r.field, &source, code);
    }
    for other in models {
        for (r, _) in relations_reading(other, models, Some(&model.name))? {
            let code = overrides.get(&r.file).cloned().unwrap_or(r.code);
            let logical = format!(
                "{}{}",
                crate::naming::pascal(&r.type_name),
                crate::naming::pascal(&r.field)
            );
            add_resolver(&mut t, &logical, &r.type_name, &r.field, &source, code);
        }
    }
    let local = local_functions(model)?;
    if !local.is_empty() {
        let none = format!("{m}NoneDataSource");
        t.resource(
            &none,
            "AWS::AppSync::DataSource",
            json!({ "ApiId": r#ref("ApiId"), "Name": format!("{m}None"), "Type": "NONE" }),
        );
        for r in local {
            let code = overrides.get(&r.file).cloned().unwrap_or(r.code);
            let logical = format!(
                "{}{}",
                crate::naming::pascal(&r.type_name),
                crate::naming::pascal(&r.field)
            );
            t.resource(
                &format!("{logical}Resolver"),
                "AWS::AppSync::Resolver",
                json!({
                    "ApiId": r#ref("ApiId"),
                    "TypeName": r.type_name,
                    "FieldName": r.field,
                    "Kind": "UNIT",
                    "DataSourceName": get_att(&none, "Name"),
                    "Runtime": runtime(),
                    "Code": code
                }),
            );
        }
    }
    t.output(
        "TableName",
        &format!("The {} table", model.name),
        r#ref(&table),
    );
    // read by the search domain's streaming function and by project
    // functions a change of the table triggers
    t.output(
        "TableStreamArn",
        &format!("The {} table's stream", model.name),
        get_att(&table, "StreamArn"),
    );
    Ok(t)
}

/// Search for the api's `@searchable` models: one OpenSearch domain, a Lambda
/// function streaming each model's table into it, and each search query's
/// resolver on an OpenSearch data source. The models' stacks are children of
/// the api's template (their table streams are read from their outputs).
pub fn add_search(
    t: &mut Template,
    models: &[&Model],
    overrides: &BTreeMap<String, String>,
) -> Result<(), RenderError> {
    if models.is_empty() {
        return Ok(());
    }
    t.resource(
        "SearchDomain",
        "AWS::OpenSearchService::Domain",
        json!({
            "EngineVersion": "OpenSearch_2.11",
            "ClusterConfig": { "InstanceType": "t3.small.search", "InstanceCount": 1 },
            "EBSOptions": { "EBSEnabled": true, "VolumeType": "gp3", "VolumeSize": 10 },
            "EncryptionAtRestOptions": { "Enabled": true },
            "NodeToNodeEncryptionOptions": { "Enabled": true },
            "DomainEndpointOptions": { "EnforceHTTPS": true, "TLSSecurityPolicy": "Policy-Min-TLS-1-2-2019-07" },
            "Tags": [{ "Key": "hoist:project", "Value": r#ref("Project") }, { "Key": "hoist:env", "Value": r#ref("Env") }]
        }),
    );
    let streams: Vec<Value> = models
        .iter()
        .map(|m| {
            get_att(
                &format!("{}Model", crate::naming::pascal(&m.name)),
                "Outputs.TableStreamArn",
            )
        })
        .collect();
    t.resource("SearchStreamingRole", "AWS::IAM::Role", json!({
        "Description": "Lets the search streaming function read the searchable tables' streams and write the search domain",
        "AssumeRolePolicyDocument": cfn::policy(vec![json!({ "Effect": "Allow", "Principal": { "Service": "lambda.amazonaws.com" }, "Action": "sts:AssumeRole" })]),
        "ManagedPolicyArns": [sub("arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")],
        "Policies": [{
            "PolicyName": "search-streaming",
            "PolicyDocument": cfn::policy(vec![
                json!({ "Effect": "Allow", "Action": ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"], "Resource": streams }),
                json!({ "Effect": "Allow", "Action": ["es:ESHttpPost", "es:ESHttpPut", "es:ESHttpDelete"], "Resource": sub("${SearchDomain.Arn}/*") }),
            ])
        }]
    }));
    t.resource("SearchStreamingFunction", "AWS::Lambda::Function", json!({
        "Description": "Copies the searchable tables' changes into the search domain",
        "Runtime": "nodejs24.x",
        "Handler": "index.handler",
        "Timeout": 60,
        "MemorySize": 256,
        "Role": get_att("SearchStreamingRole", "Arn"),
        "Environment": { "Variables": { "SEARCH_ENDPOINT": get_att("SearchDomain", "DomainEndpoint") } },
        "Code": { "ZipFile": SEARCH_STREAMING_CODE }
    }));
    for m in models {
        let logical = crate::naming::pascal(&m.name);
        t.resource(
            &format!("{logical}SearchStream"),
            "AWS::Lambda::EventSourceMapping",
            json!({
                "EventSourceArn": get_att(&format!("{logical}Model"), "Outputs.TableStreamArn"),
                "FunctionName": r#ref("SearchStreamingFunction"),
                "StartingPosition": "LATEST",
                "BatchSize": 100,
                "MaximumRetryAttempts": 10
            }),
        );
    }
    t.resource("SearchDataSourceRole", "AWS::IAM::Role", json!({
        "Description": "Lets AppSync query the search domain",
        "AssumeRolePolicyDocument": cfn::policy(vec![json!({ "Effect": "Allow", "Principal": { "Service": "appsync.amazonaws.com" }, "Action": "sts:AssumeRole" })]),
        "Policies": [{
            "PolicyName": "search",
            "PolicyDocument": cfn::policy(vec![json!({ "Effect": "Allow", "Action": ["es:ESHttpGet", "es:ESHttpPost"], "Resource": sub("${SearchDomain.Arn}/*") })])
        }]
    }));
    t.resource("SearchDataSource", "AWS::AppSync::DataSource", json!({
        "ApiId": get_att("GraphQLApi", "ApiId"),
        "Name": "Search",
        "Type": "AMAZON_OPENSEARCH_SERVICE",
        "ServiceRoleArn": get_att("SearchDataSourceRole", "Arn"),
        "OpenSearchServiceConfig": { "Endpoint": sub("https://${SearchDomain.DomainEndpoint}"), "AwsRegion": r#ref("AWS::Region") }
    }));
    for m in models {
        if let Some(r) = search_resolver(m)? {
            let logical = format!("Query{}", crate::naming::pascal(&r.field));
            let code = overrides.get(&r.file).cloned().unwrap_or(r.code);
            add_resolver_in_api(t, &logical, &r.field, "SearchDataSource", code);
        }
    }
    Ok(())
}

/// How many model stacks one stack holds before they are grouped, well inside
/// CloudFormation's 500 resources per stack.
pub const MODELS_PER_STACK: usize = 150;

/// The nested stack of `model` (its template uploaded at `key`), in the api's
/// template (`in_api`) or in a group's.
pub fn add_model_stack(t: &mut Template, model: &str, key: &str, in_api: bool) {
    let logical = format!("{}Model", crate::naming::pascal(model));
    let api_id = if in_api {
        get_att("GraphQLApi", "ApiId")
    } else {
        r#ref("ApiId")
    };
    let stack = t.resource(&logical, "AWS::CloudFormation::Stack", json!({
        "TemplateURL": sub(&format!("https://${{DeploymentBucket}}.s3.${{AWS::Region}}.amazonaws.com/{key}")),
        "Parameters": { "Project": r#ref("Project"), "Env": r#ref("Env"), "ApiId": api_id },
        "Tags": [{ "Key": "hoist:model", "Value": model }]
    }));
    if in_api {
        // resolvers need the schema's types
        stack["DependsOn"] = json!(["GraphQLSchema"]);
    }
}

/// A stack that only groups model stacks, for apis with more models than one stack can hold.
pub fn group_stack(
    api_name: &str,
    index: usize,
    models: &[(String, String)],
    tables: &std::collections::BTreeSet<String>,
) -> Template {
    let mut t = Template::new(format!("hoist api `{api_name}`: models, group {index}"));
    t.string_parameter("Project", "The hoist project's name");
    t.string_parameter("Env", "The environment's name");
    t.string_parameter("ApiId", "The AppSync API (from the api stack)");
    t.string_parameter("DeploymentBucket", "Where the models' templates are");
    for (model, key) in models {
        add_model_stack(&mut t, model, key, false);
        // a table a function was given access to
        if tables.contains(model) {
            let m = crate::naming::pascal(model);
            for output in ["TableName", "TableStreamArn"] {
                t.output(
                    &format!("{m}{output}"),
                    &format!("The {output} of the model {model}"),
                    get_att(&format!("{m}Model"), &format!("Outputs.{output}")),
                );
            }
        }
    }
    t
}

/// The nested stack of a group of models (its template uploaded at `key`), in the api's template.
pub fn add_group_stack(t: &mut Template, index: usize, key: &str) {
    let stack = t.resource(&format!("Models{index}"), "AWS::CloudFormation::Stack", json!({
        "TemplateURL": sub(&format!("https://${{DeploymentBucket}}.s3.${{AWS::Region}}.amazonaws.com/{key}")),
        "Parameters": {
            "Project": r#ref("Project"),
            "Env": r#ref("Env"),
            "ApiId": get_att("GraphQLApi", "ApiId"),
            "DeploymentBucket": r#ref("DeploymentBucket")
        }
    }));
    stack["DependsOn"] = json!(["GraphQLSchema"]);
}

/// The resolvers of fields the user resolves: their own resolver on a NONE data
/// source, or `@function`'s Lambdas (one data source and role per function),
/// each after the field's access check.
pub fn add_custom_resolvers(
    t: &mut Template,
    fields: &[(&crate::transform::CustomField, Option<String>)],
) -> Result<(), RenderError> {
    if fields.iter().any(|(_, code)| code.is_some()) {
        t.resource(
            "CustomNoneDataSource",
            "AWS::AppSync::DataSource",
            json!({ "ApiId": get_att("GraphQLApi", "ApiId"), "Name": "CustomNone", "Type": "NONE" }),
        );
    }
    let mut lambdas: Vec<&crate::transform::LambdaRef> = Vec::new();
    for (f, _) in fields {
        for l in &f.functions {
            if !lambdas.contains(&l) {
                lambdas.push(l);
            }
        }
    }
    let lambda_logical = |l: &crate::transform::LambdaRef| {
        let clean: String = l
            .name
            .replace("${env}", "")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        let position = lambdas.iter().position(|x| *x == l).unwrap_or(0);
        format!("Function{}{position}", crate::naming::pascal(&clean))
    };
    for l in &lambdas {
        let logical = lambda_logical(l);
        let arn = lambda_arn(l);
        t.resource(
            &format!("{logical}Role"),
            "AWS::IAM::Role",
            json!({
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{ "Effect": "Allow", "Principal": { "Service": "appsync.amazonaws.com" }, "Action": "sts:AssumeRole" }]
                },
                "Policies": [{
                    "PolicyName": "InvokeLambdaFunction",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{
                            "Effect": "Allow",
                            "Action": "lambda:InvokeFunction",
                            "Resource": [sub(&arn), sub(&format!("{arn}:*"))]
                        }]
                    }
                }]
            }),
        );
        t.resource(
            &format!("{logical}DataSource"),
            "AWS::AppSync::DataSource",
            json!({
                "ApiId": get_att("GraphQLApi", "ApiId"),
                "Name": logical,
                "Type": "AWS_LAMBDA",
                "LambdaConfig": { "LambdaFunctionArn": sub(&arn) },
                "ServiceRoleArn": get_att(&format!("{logical}Role"), "Arn")
            }),
        );
    }
    for (f, code) in fields {
        let logical = format!("{}{}", f.type_name, crate::naming::pascal(&f.field));
        let mut steps = Vec::new();
        for (i, l) in f.functions.iter().enumerate() {
            let source = lambda_logical(l);
            let name = format!("{logical}Invoke{i}");
            t.resource(
                &format!("{name}Function"),
                "AWS::AppSync::FunctionConfiguration",
                json!({
                    "ApiId": get_att("GraphQLApi", "ApiId"),
                    "Name": name,
                    "DataSourceName": get_att(&format!("{source}DataSource"), "Name"),
                    "Runtime": runtime(),
                    "Code": INVOKE_CODE
                }),
            );
            steps.push(get_att(&format!("{name}Function"), "FunctionId"));
        }
        if let Some(code) = code {
            t.resource(
                &format!("{logical}Function"),
                "AWS::AppSync::FunctionConfiguration",
                json!({
                    "ApiId": get_att("GraphQLApi", "ApiId"),
                    "Name": logical,
                    "DataSourceName": get_att("CustomNoneDataSource", "Name"),
                    "Runtime": runtime(),
                    "Code": code
                }),
            );
            steps.push(get_att(&format!("{logical}Function"), "FunctionId"));
        }
        let resolver = t.resource(
            &format!("{logical}Resolver"),
            "AWS::AppSync::Resolver",
            json!({
                "ApiId": get_att("GraphQLApi", "ApiId"),
                "TypeName": f.type_name,
                "FieldName": f.field,
                "Kind": "PIPELINE",
                "PipelineConfig": { "Functions": steps },
                "Runtime": runtime(),
                "Code": custom_pipeline_code(f.grants.as_deref())?
            }),
        );
        resolver["DependsOn"] = json!(["GraphQLSchema"]);
    }
    Ok(())
}

/// The api's own template (the API, its schema and key); each model's nested
/// stack is added with [`add_model_stack`] once its template has a key.
pub fn synth(name: &str, cfg: &ApiConfig, schema_key: &str) -> Template {
    let mut t = Template::new(format!(
        "hoist api `{name}`: AppSync GraphQL API, DynamoDB tables and resolvers"
    ));
    t.string_parameter("Project", "The hoist project's name");
    t.string_parameter("Env", "The environment's name");
    t.string_parameter(
        "DeploymentBucket",
        "Where the models' templates are (from the root stack)",
    );
    if cfg.uses(AuthMode::UserPools) {
        t.string_parameter(
            "UserPoolId",
            "The user pool of the auth resource (from the auth stack)",
        );
    }
    if cfg.uses(AuthMode::ApiKey) {
        t.parameter(KEY_EXPIRY_PARAMETER, json!({ "Type": "Number", "Description": "When the API key expires (seconds since the epoch), computed at deploy time" }));
    }
    let prefix = format!("${{Project}}-${{Env}}-{name}");
    let mut api = json!({
        "Name": sub(&prefix),
        "AuthenticationType": cfg.auth.appsync(),
        "XrayEnabled": true,
        "Tags": [{ "Key": "hoist:project", "Value": r#ref("Project") }, { "Key": "hoist:env", "Value": r#ref("Env") }]
    });
    if let Some(config) = provider(cfg.auth, cfg).as_object() {
        for (k, v) in config.iter().filter(|(k, _)| *k != "AuthenticationType") {
            let mut v = v.clone();
            if k == "UserPoolConfig" {
                v["DefaultAction"] = json!("ALLOW");
            }
            api[k] = v;
        }
    }
    let additional: Vec<Value> = cfg
        .modes()
        .into_iter()
        .skip(1)
        .map(|m| provider(m, cfg))
        .collect();
    if !additional.is_empty() {
        api["AdditionalAuthenticationProviders"] = Value::Array(additional);
    }
    // the project's authorizer function: AppSync may invoke it for this API
    // only ("Configuring an AWS Lambda authorizer", AWS AppSync Developer
    // Guide: the function's resource policy names appsync.amazonaws.com)
    if cfg.uses(AuthMode::Lambda) && cfg.lambda_authorizer.is_some() {
        t.resource(
            "AuthorizerPermission",
            "AWS::Lambda::Permission",
            json!({
                "Action": "lambda:InvokeFunction",
                "FunctionName": authorizer_uri(cfg),
                "Principal": "appsync.amazonaws.com",
                "SourceArn": get_att("GraphQLApi", "Arn"),
            }),
        );
    }
    // Resolver errors go to CloudWatch Logs (/aws/appsync/apis/<api id>, the
    // group AppSync writes to: AppSync developer guide, "Logging"), without
    // request content. AppSync makes the group on its first error (a group
    // made here would collide with those of APIs deployed before); the role
    // may make and write that group and no other: its policy is a resource
    // of its own because it names the API's id, which needs the role first.
    t.resource(
        "GraphQLApiLogsRole",
        "AWS::IAM::Role",
        json!({
            "Description": "Lets AppSync write the API's error logs to CloudWatch Logs",
            "AssumeRolePolicyDocument": cfn::policy(vec![json!({
                "Effect": "Allow",
                "Principal": { "Service": "appsync.amazonaws.com" },
                "Action": "sts:AssumeRole",
                "Condition": { "StringEquals": { "aws:SourceAccount": r#ref("AWS::AccountId") } }
            })]),
        }),
    );
    t.resource("GraphQLApiLogsPolicy", "AWS::IAM::Policy", json!({
        "PolicyName": "logs",
        "Roles": [r#ref("GraphQLApiLogsRole")],
        "PolicyDocument": cfn::policy(vec![json!({
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [
                sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/appsync/apis/${GraphQLApi.ApiId}"),
                sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/appsync/apis/${GraphQLApi.ApiId}:*")
            ]
        })])
    }));
    api["LogConfig"] = json!({
        "CloudWatchLogsRoleArn": get_att("GraphQLApiLogsRole", "Arn"),
        "FieldLogLevel": "ERROR",
        "ExcludeVerboseContent": true
    });
    t.resource("GraphQLApi", "AWS::AppSync::GraphQLApi", api);
    t.resource(
        "GraphQLSchema",
        "AWS::AppSync::GraphQLSchema",
        // From S3: a large schema does not fit in a template (1 MB).
        json!({ "ApiId": get_att("GraphQLApi", "ApiId"), "DefinitionS3Location": sub(&format!("s3://${{DeploymentBucket}}/{schema_key}")) }),
    );
    if cfg.uses(AuthMode::ApiKey) {
        t.resource("GraphQLApiKey", "AWS::AppSync::ApiKey", json!({ "ApiId": get_att("GraphQLApi", "ApiId"), "Expires": r#ref(KEY_EXPIRY_PARAMETER), "Description": "hoist: public access to the API" }));
        t.output(
            outputs::API_KEY,
            "The API key",
            get_att("GraphQLApiKey", "ApiKey"),
        );
    }

    t.output(
        outputs::API_ID,
        "The API's id",
        get_att("GraphQLApi", "ApiId"),
    );
    t.output(
        outputs::URL,
        "The API's GraphQL endpoint",
        get_att("GraphQLApi", "GraphQLUrl"),
    );
    t
}
