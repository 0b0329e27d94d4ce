//! The api category: an AppSync GraphQL API generated from `schema.graphql`,
//! with a DynamoDB table, a data source and JavaScript resolvers per model.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Problem;
use crate::synth::cfn::{self, Template, get_att, r#ref, sub};
use crate::transform::Model;

/// How clients authorize against the API.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMode {
    /// An API key (public access with a key that expires)
    ApiKey,
    /// Signed-in users of the project's Cognito user pool
    UserPools,
    /// AWS IAM (the identity pool's roles)
    Iam,
    /// An OpenID Connect provider
    Oidc,
    /// A Lambda authorizer
    Lambda,
}

impl AuthMode {
    pub fn appsync(self) -> &'static str {
        match self {
            AuthMode::ApiKey => "API_KEY",
            AuthMode::UserPools => "AMAZON_COGNITO_USER_POOLS",
            AuthMode::Iam => "AWS_IAM",
            AuthMode::Oidc => "OPENID_CONNECT",
            AuthMode::Lambda => "AWS_LAMBDA",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    /// The default authorization mode.
    pub auth: AuthMode,
    #[serde(default)]
    pub additional_auth: Vec<AuthMode>,
    /// Days an API key lives (1 to 365); a new one is made on the push after it expires.
    #[serde(default = "default_key_days")]
    pub api_key_days: u16,
    /// The OIDC issuer, with `oidc` among the modes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_issuer: Option<String>,
    /// The OIDC client id, with `oidc` among the modes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_client_id: Option<String>,
    /// The Lambda authorizer's ARN, with `lambda` among the modes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda_authorizer_arn: Option<String>,
}

fn default_key_days() -> u16 {
    7
}

impl ApiConfig {
    pub fn modes(&self) -> Vec<AuthMode> {
        let mut modes = vec![self.auth];
        modes.extend(
            self.additional_auth
                .iter()
                .copied()
                .filter(|m| *m != self.auth),
        );
        modes
    }

    pub fn uses(&self, mode: AuthMode) -> bool {
        self.modes().contains(&mode)
    }

    pub fn problems(&self, has_auth: bool) -> Vec<Problem> {
        let mut problems = Vec::new();
        if !(1..=365).contains(&self.api_key_days) {
            problems.push(Problem::new(
                &["api_key_days"],
                format!("an API key cannot live {} days", self.api_key_days),
                "AppSync API keys live 1 to 365 days",
            ));
        }
        let mut seen = Vec::new();
        for mode in &self.additional_auth {
            if *mode == self.auth || seen.contains(mode) {
                problems.push(Problem::new(
                    &["additional_auth"],
                    format!(
                        "`{}` is listed twice among the authorization modes",
                        mode.appsync()
                    ),
                    "list each mode once, and not the default one again",
                ));
            }
            seen.push(*mode);
        }
        if (self.uses(AuthMode::UserPools) || self.uses(AuthMode::Iam)) && !has_auth {
            problems.push(Problem::new(
                &["auth"],
                "user pool and IAM authorization need the project's auth resource".into(),
                "run `hoist add auth` first",
            ));
        }
        if self.uses(AuthMode::Oidc)
            && (self.oidc_issuer.is_none() || self.oidc_client_id.is_none())
        {
            problems.push(Problem::new(
                &["auth"],
                "OIDC authorization needs `oidc_issuer` and `oidc_client_id`".into(),
                "add them to the api's table in hoist.toml",
            ));
        }
        if self.uses(AuthMode::Lambda) && self.lambda_authorizer_arn.is_none() {
            problems.push(Problem::new(
                &["auth"],
                "Lambda authorization needs `lambda_authorizer_arn`".into(),
                "add the authorizer function's ARN to the api's table in hoist.toml",
            ));
        }
        problems
    }
}

/// Names of the outputs of an api stack.
pub mod outputs {
    pub const API_ID: &str = "GraphQLApiId";
    pub const URL: &str = "GraphQLApiUrl";
    pub const API_KEY: &str = "GraphQLApiKey";
}

/// The parameter through which the root hands over the API key's expiry (epoch seconds), computed at deploy time.
pub const KEY_EXPIRY_PARAMETER: &str = "ApiKeyExpires";

fn provider(mode: AuthMode, cfg: &ApiConfig) -> Value {
    let mut p = json!({ "AuthenticationType": mode.appsync() });
    match mode {
        AuthMode::UserPools => {
            p["UserPoolConfig"] =
                json!({ "UserPoolId": r#ref("UserPoolId"), "AwsRegion": r#ref("AWS::Region") })
        }
        AuthMode::Oidc => {
            p["OpenIDConnectConfig"] =
                json!({ "Issuer": cfg.oidc_issuer, "ClientId": cfg.oidc_client_id })
        }
        AuthMode::Lambda => {
            p["LambdaAuthorizerConfig"] = json!({ "AuthorizerUri": cfg.lambda_authorizer_arn, "AuthorizerResultTtlInSeconds": 300 })
        }
        AuthMode::ApiKey | AuthMode::Iam => {}
    }
    p
}

const RUNTIME: (&str, &str) = ("APPSYNC_JS", "1.0.0");

fn runtime() -> Value {
    json!({ "Name": RUNTIME.0, "RuntimeVersion": RUNTIME.1 })
}

/// The code of the pipeline around each operation: hand the arguments in, the function's result out.
pub const PIPELINE_CODE: &str = "export function request(ctx) {\n  return {};\n}\n\nexport function response(ctx) {\n  return ctx.prev.result;\n}\n";

fn key_fields(key: &crate::transform::Key) -> Vec<String> {
    let mut fields = vec![key.partition.clone()];
    fields.extend(key.sort.iter().cloned());
    fields
}

/// `{ id: source.id, name: source.name }` for a key's fields.
fn key_object(fields: &[String], source: &str) -> String {
    let parts: Vec<String> = fields
        .iter()
        .map(|f| format!("{f}: {source}.{f}"))
        .collect();
    format!("{{ {} }}", parts.join(", "))
}

/// The query of a key: partition equal, sort key by its condition, in JavaScript.
fn key_query(key: &crate::transform::Key) -> String {
    let mut out = format!(
        "  const query = {{ {}: {{ eq: ctx.args.{} }} }};\n",
        key.partition, key.partition
    );
    for sk in &key.sort {
        out.push_str(&format!(
            "  if (ctx.args.{sk}) {{\n    query.{sk} = ctx.args.{sk};\n  }}\n"
        ));
    }
    out
}

/// Each resolver function: (type, field, file name, code).
pub fn resolver_functions(model: &Model) -> Vec<(String, String, String, String)> {
    let m = &model.name;
    let key = key_fields(&model.primary_key);
    let partition = &model.primary_key.partition;
    let custom_key = partition != "id" || !model.primary_key.sort.is_empty();
    let created = model.created_at.clone();
    let updated = model.updated_at.clone();
    let timestamps_create = match (&created, &updated) {
        (Some(c), Some(u)) => format!(
            "  const now = util.time.nowISO8601();\n  const values = {{ {c}: now, {u}: now, ...ctx.args.input }};\n"
        ),
        (Some(c), None) => {
            format!("  const values = {{ {c}: util.time.nowISO8601(), ...ctx.args.input }};\n")
        }
        (None, Some(u)) => {
            format!("  const values = {{ {u}: util.time.nowISO8601(), ...ctx.args.input }};\n")
        }
        (None, None) => "  const values = { ...ctx.args.input };\n".to_string(),
    };
    let timestamps_update = match &updated {
        Some(u) => {
            format!("  const values = {{ ...ctx.args.input, {u}: util.time.nowISO8601() }};\n")
        }
        None => "  const values = { ...ctx.args.input };\n".to_string(),
    };
    let key_of_values = key_object(&key, "values");
    let without_key: Vec<String> = key
        .iter()
        .map(|k| format!("  delete changes.{k};\n"))
        .collect();
    let error_out = "export function response(ctx) {\n  if (ctx.error) {\n    util.error(ctx.error.message, ctx.error.type);\n  }\n  return ctx.result;\n}\n";
    let page_out = "export function response(ctx) {\n  if (ctx.error) {\n    util.error(ctx.error.message, ctx.error.type);\n  }\n  const { items = [], nextToken = null } = ctx.result;\n  return { items, nextToken };\n}\n";
    let header = "import { util } from '@aws-appsync/utils';\nimport * as ddb from '@aws-appsync/utils/dynamodb';\n\n";
    let mut out = Vec::new();
    if let Some((get, list)) = &model.queries {
        out.push(("Query".into(), get.clone(), format!("Query.{get}.js"), format!(
            "{header}// {get}: read one {m} by its key.\nexport function request(ctx) {{\n  return ddb.get({{ key: {} }});\n}}\n\n{error_out}",
            key_object(&key, "ctx.args")
        )));
        let scan = "  const { filter, limit = 100, nextToken } = ctx.args;\n  const expression = filter ? JSON.parse(util.transform.toDynamoDBFilterExpression(filter)) : undefined;\n";
        let body = if custom_key {
            format!(
                "{scan}  if (ctx.args.{partition} === undefined || ctx.args.{partition} === null) {{\n    return {{ operation: 'Scan', limit, nextToken, filter: expression }};\n  }}\n{}  return ddb.query({{ query, limit, nextToken, filter: expression ? filter : undefined, scanIndexForward: ctx.args.sortDirection !== 'DESC' }});\n",
                key_query(&model.primary_key)
            )
        } else {
            format!(
                "{scan}  return {{ operation: 'Scan', limit, nextToken, filter: expression }};\n"
            )
        };
        out.push(("Query".into(), list.clone(), format!("Query.{list}.js"), format!(
            "{header}// {list}: a page of {m} items, filtered.\nexport function request(ctx) {{\n{body}}}\n\n{page_out}"
        )));
    }
    for index in &model.indexes {
        let Some(query) = &index.query_field else {
            continue;
        };
        out.push(("Query".into(), query.clone(), format!("Query.{query}.js"), format!(
            "{header}// {query}: {m} items by the index {}.\nexport function request(ctx) {{\n  const {{ filter, limit = 100, nextToken }} = ctx.args;\n{}  return ddb.query({{ index: '{}', query, limit, nextToken, filter: filter ?? undefined, scanIndexForward: ctx.args.sortDirection !== 'DESC' }});\n}}\n\n{page_out}",
            index.name,
            key_query(&index.key),
            index.name
        )));
    }
    if let Some((create, update, delete)) = &model.mutations {
        let id_default = if custom_key {
            String::new()
        } else {
            "  values.id = values.id ?? util.autoId();\n".to_string()
        };
        out.push(("Mutation".into(), create.clone(), format!("Mutation.{create}.js"), format!(
            "{header}// {create}: a new {m}; refused if one with the same key exists.\nexport function request(ctx) {{\n{timestamps_create}{id_default}  return ddb.put({{\n    key: {key_of_values},\n    item: {{ ...values, __typename: '{m}' }},\n    condition: {{ {partition}: {{ attributeExists: false }}, ...(ctx.args.condition ?? {{}}) }},\n  }});\n}}\n\n{error_out}"
        )));
        out.push(("Mutation".into(), update.clone(), format!("Mutation.{update}.js"), format!(
            "{header}// {update}: change the given fields of an existing {m}.\nexport function request(ctx) {{\n{timestamps_update}  const changes = {{ ...values }};\n{}  return ddb.update({{\n    key: {key_of_values},\n    update: changes,\n    condition: {{ {partition}: {{ attributeExists: true }}, ...(ctx.args.condition ?? {{}}) }},\n  }});\n}}\n\n{error_out}",
            without_key.concat()
        )));
        out.push(("Mutation".into(), delete.clone(), format!("Mutation.{delete}.js"), format!(
            "{header}// {delete}: remove an existing {m}.\nexport function request(ctx) {{\n  return ddb.remove({{\n    key: {},\n    condition: {{ {partition}: {{ attributeExists: true }}, ...(ctx.args.condition ?? {{}}) }},\n  }});\n}}\n\n{error_out}",
            key_object(&key, "ctx.args.input")
        )));
    }
    out
}

/// The resolvers of relation fields: (type, field, file name, code, model whose table it reads).
pub fn relation_functions(model: &Model) -> Vec<(String, String, String, String, String)> {
    let header = "import { util, runtime } from '@aws-appsync/utils';\nimport * as ddb from '@aws-appsync/utils/dynamodb';\n\n";
    let mut out = Vec::new();
    for relation in &model.relations {
        let (type_name, field, fk, target) = (
            &model.name,
            &relation.field,
            &relation.foreign_key,
            &relation.target,
        );
        let file = format!("{type_name}.{field}.js");
        let code = match relation.kind {
            crate::transform::RelationKind::HasMany => format!(
                "{header}// {type_name}.{field}: the {target} items whose `{fk}` is this {type_name}'s id.\nexport function request(ctx) {{\n  const {{ filter, limit = 100, nextToken }} = ctx.args;\n  if (!ctx.source.id) {{\n    runtime.earlyReturn({{ items: [], nextToken: null }});\n  }}\n  return ddb.query({{\n    index: '{}',\n    query: {{ {fk}: {{ eq: ctx.source.id }} }},\n    filter: filter ?? undefined,\n    limit,\n    nextToken,\n    scanIndexForward: ctx.args.sortDirection !== 'DESC',\n  }});\n}}\n\nexport function response(ctx) {{\n  if (ctx.error) {{\n    util.error(ctx.error.message, ctx.error.type);\n  }}\n  const {{ items = [], nextToken = null }} = ctx.result;\n  return {{ items, nextToken }};\n}}\n",
                relation.index
            ),
            crate::transform::RelationKind::BelongsTo => format!(
                "{header}// {type_name}.{field}: the {target} this {type_name} belongs to, by `{fk}`.\nexport function request(ctx) {{\n  if (!ctx.source.{fk}) {{\n    runtime.earlyReturn(null);\n  }}\n  return ddb.get({{ key: {{ id: ctx.source.{fk} }} }});\n}}\n\nexport function response(ctx) {{\n  if (ctx.error) {{\n    util.error(ctx.error.message, ctx.error.type);\n  }}\n  return ctx.result;\n}}\n"
            ),
        };
        out.push((type_name.clone(), field.clone(), file, code, target.clone()));
    }
    out
}

/// DynamoDB's attribute type of a field: `N` for numbers, else `S`.
fn attribute_type(model: &Model, field: &str) -> &'static str {
    let scalar = model
        .fields
        .iter()
        .find(|f| f.name == field)
        .map(|f| f.ty.inner_named_type().to_string())
        .unwrap_or_default();
    if matches!(scalar.as_str(), "Int" | "Float" | "AWSTimestamp") {
        "N"
    } else {
        "S"
    }
}

fn key_schema(key: &crate::transform::Key) -> Value {
    let mut schema = vec![json!({ "AttributeName": key.partition, "KeyType": "HASH" })];
    schema.extend(
        key.sort
            .iter()
            .map(|sk| json!({ "AttributeName": sk, "KeyType": "RANGE" })),
    );
    Value::Array(schema)
}

/// The table of a model: its key, its indexes, and the attributes they use.
fn table_properties(model: &Model) -> Value {
    let mut attributes: Vec<String> = key_fields(&model.primary_key);
    for index in &model.indexes {
        for f in key_fields(&index.key) {
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
fn add_resolver(
    t: &mut Template,
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
            "ApiId": r#ref("ApiId"),
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
            "ApiId": r#ref("ApiId"),
            "TypeName": type_name,
            "FieldName": field,
            "Kind": "PIPELINE",
            "PipelineConfig": { "Functions": [get_att(&format!("{logical}Function"), "FunctionId")] },
            "Runtime": runtime(),
            "Code": PIPELINE_CODE
        }),
    );
}

/// The nested stack of one model of an api: its table, the role AppSync uses on
/// it, its data source, and the resolvers that read it (its own queries and
/// mutations, and the relation fields of other models that point at it).
pub fn model_stack(
    api_name: &str,
    model: &Model,
    models: &[Model],
    overrides: &BTreeMap<String, String>,
) -> Template {
    let mut t = Template::new(format!(
        "hoist api `{api_name}`, model `{}`: table, data source and resolvers",
        model.name
    ));
    t.string_parameter("Project", "The hoist project's name");
    t.string_parameter("Env", "The environment's name");
    t.string_parameter("ApiId", "The AppSync API (from the api stack)");
    let m = cfn::pascal(&model.name);
    let table = format!("{m}Table");
    let mut properties = table_properties(model);
    properties["PointInTimeRecoverySpecification"] = json!({ "PointInTimeRecoveryEnabled": true });
    properties["SSESpecification"] = json!({ "SSEEnabled": true });
    properties["StreamSpecification"] = json!({ "StreamViewType": "NEW_AND_OLD_IMAGES" });
    properties["Tags"] = json!([{ "Key": "hoist:project", "Value": r#ref("Project") }, { "Key": "hoist:env", "Value": r#ref("Env") }, { "Key": "hoist:model", "Value": model.name }]);
    t.resource(&table, "AWS::DynamoDB::Table", properties);
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
    for (type_name, field, file, code) in resolver_functions(model) {
        let code = overrides.get(&file).cloned().unwrap_or(code);
        let logical = format!("{type_name}{}", cfn::pascal(&field));
        add_resolver(&mut t, &logical, &type_name, &field, &source, code);
    }
    for other in models {
        for (type_name, field, file, code, target) in relation_functions(other) {
            if target != model.name {
                continue;
            }
            let code = overrides.get(&file).cloned().unwrap_or(code);
            let logical = format!("{}{}", cfn::pascal(&type_name), cfn::pascal(&field));
            add_resolver(&mut t, &logical, &type_name, &field, &source, code);
        }
    }
    t.output(
        "TableName",
        &format!("The {} table", model.name),
        r#ref(&table),
    );
    t
}

/// How many model stacks one stack holds before they are grouped, well inside
/// CloudFormation's 500 resources per stack.
pub const MODELS_PER_STACK: usize = 150;

/// The nested stack of `model` (its template uploaded at `key`), in the api's
/// template (`in_api`) or in a group's.
pub fn add_model_stack(t: &mut Template, model: &str, key: &str, in_api: bool) {
    let logical = format!("{}Model", cfn::pascal(model));
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
pub fn group_stack(api_name: &str, index: usize, models: &[(String, String)]) -> Template {
    let mut t = Template::new(format!("hoist api `{api_name}`: models, group {index}"));
    t.string_parameter("Project", "The hoist project's name");
    t.string_parameter("Env", "The environment's name");
    t.string_parameter("ApiId", "The AppSync API (from the api stack)");
    t.string_parameter("DeploymentBucket", "Where the models' templates are");
    for (model, key) in models {
        add_model_stack(&mut t, model, key, false);
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
    // Resolver errors go to CloudWatch Logs (/aws/appsync/apis/<api id>), without request content.
    t.resource("GraphQLApiLogsRole", "AWS::IAM::Role", json!({
        "Description": "Lets AppSync write the API's error logs to CloudWatch Logs",
        "AssumeRolePolicyDocument": cfn::policy(vec![json!({ "Effect": "Allow", "Principal": { "Service": "appsync.amazonaws.com" }, "Action": "sts:AssumeRole" })]),
        "Policies": [{
            "PolicyName": "logs",
            "PolicyDocument": cfn::policy(vec![json!({
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/appsync/apis/*")
            })])
        }]
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

/// The `data` section of `amplify_outputs.json`.
pub fn amplify_outputs(
    cfg: &ApiConfig,
    region: &str,
    deployed: &BTreeMap<String, String>,
) -> Result<Value, String> {
    let get = |key: &str| deployed.get(key).cloned().ok_or_else(|| key.to_string());
    let mut out = json!({
        "aws_region": region,
        "url": get(outputs::URL)?,
        "default_authorization_type": cfg.auth.appsync(),
        "authorization_types": cfg.modes().iter().skip(1).map(|m| m.appsync()).collect::<Vec<_>>(),
    });
    if cfg.uses(AuthMode::ApiKey) {
        out["api_key"] = json!(get(outputs::API_KEY)?);
    }
    Ok(out)
}
