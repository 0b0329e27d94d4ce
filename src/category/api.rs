//! The api category: an AppSync GraphQL API generated from `schema.graphql`,
//! with a DynamoDB table, a data source and JavaScript resolvers per model.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Problem;
use super::access;
use super::access::Access;
use crate::synth::cfn::{self, Template, get_att, r#ref, sub};
use crate::transform::auth::{Ops, Role};
use crate::transform::{Key, Model, RelationKind};

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

    /// The modes as the transformer sees them (`@auth` rules may use only these).
    pub fn transform_modes(&self) -> crate::transform::Modes {
        let provider = |m: AuthMode| match m {
            AuthMode::ApiKey => crate::transform::Provider::ApiKey,
            AuthMode::UserPools => crate::transform::Provider::UserPools,
            AuthMode::Iam => crate::transform::Provider::Iam,
            AuthMode::Oidc => crate::transform::Provider::Oidc,
            AuthMode::Lambda => crate::transform::Provider::Function,
        };
        let modes = self.modes();
        crate::transform::Modes {
            default: provider(modes[0]),
            additional: modes[1..].iter().map(|m| provider(*m)).collect(),
        }
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

/// The attributes of a key: the partition field, then the sort key's attribute.
fn key_attributes(key: &Key) -> Vec<String> {
    let mut attributes = vec![key.partition.clone()];
    attributes.extend(key.sort_attribute());
    attributes
}

/// A JavaScript string literal.
fn js(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

/// The value of a composite sort key: the fields' values joined by `#`.
fn joined(fields: &[String], source: &str) -> String {
    let parts: Vec<String> = fields.iter().map(|f| format!("{source}.{f}")).collect();
    format!("[{}].join('#')", parts.join(", "))
}

/// `{ id: source.id, name: source.name }` for a key, from the values in `source`.
fn key_object(key: &Key, source: &str) -> String {
    let mut parts = vec![format!("{0}: {source}.{0}", key.partition)];
    if let Some(attribute) = key.sort_attribute() {
        if key.is_composite() {
            parts.push(format!("{}: {}", js(&attribute), joined(&key.sort, source)));
        } else {
            parts.push(format!("{attribute}: {source}.{attribute}"));
        }
    }
    format!("{{ {} }}", parts.join(", "))
}

/// Helpers of resolvers that query a composite sort key (an attribute `a#b`):
/// the key condition is written out, and the client's condition on the sort key
/// fields becomes one on the joined value.
const COMPOSITE_HELPERS: &str = "const KEY_OPERATORS = { eq: '=', le: '<=', lt: '<', ge: '>=', gt: '>' };\n\n// The values of `fields` in `value`, joined by '#', up to the first one missing.\nfunction joinKey(value, fields) {\n  const missing = fields.findIndex((f) => value[f] === undefined || value[f] === null);\n  return (missing === -1 ? fields : fields.slice(0, missing)).map((f) => value[f]).join('#');\n}\n\n// A condition on the composite sort key, from one on its fields.\nfunction compositeCondition(condition, fields) {\n  if (!condition) {\n    return undefined;\n  }\n  const op = Object.keys(condition)[0];\n  if (op === 'between') {\n    return { between: condition.between.map((v) => joinKey(v, fields)) };\n  }\n  const value = joinKey(condition[op], fields);\n  if (op === 'eq' && fields.some((f) => condition.eq[f] === undefined || condition.eq[f] === null)) {\n    return { beginsWith: value };\n  }\n  return { [op]: value };\n}\n\n// A key condition: the partition equal to `value`, the sort key by `sort`.\nfunction keyQuery(partition, value, sortName, sort) {\n  const query = {\n    expression: '#pk = :pk',\n    expressionNames: { '#pk': partition },\n    expressionValues: { ':pk': util.dynamodb.toDynamoDB(value) },\n  };\n  if (sort) {\n    query.expressionNames['#sk'] = sortName;\n    if (sort.between) {\n      query.expression = query.expression + ' AND #sk BETWEEN :sk0 AND :sk1';\n      query.expressionValues[':sk0'] = util.dynamodb.toDynamoDB(sort.between[0]);\n      query.expressionValues[':sk1'] = util.dynamodb.toDynamoDB(sort.between[1]);\n    } else if (sort.beginsWith !== undefined) {\n      query.expression = query.expression + ' AND begins_with(#sk, :sk)';\n      query.expressionValues[':sk'] = util.dynamodb.toDynamoDB(sort.beginsWith);\n    } else {\n      const op = Object.keys(sort)[0];\n      query.expression = query.expression + ' AND #sk ' + KEY_OPERATORS[op] + ' :sk';\n      query.expressionValues[':sk'] = util.dynamodb.toDynamoDB(sort[op]);\n    }\n  }\n  return query;\n}\n";

/// Where the sort key of a query comes from.
enum Sort {
    /// Values of the source's fields, for the first sort key fields.
    Values(Vec<String>),
    /// The client's condition, in this argument.
    Arg(String),
    None,
}

/// The lines that build and return a query of `key` (on `index`, or the table):
/// the partition equal to `partition` (a JavaScript expression), the sort key by
/// `sort`. Expects `filter`, `limit` and `nextToken` in scope. The second value
/// is whether the file needs [`COMPOSITE_HELPERS`].
fn query_request(index: Option<&str>, key: &Key, partition: &str, sort: &Sort) -> (String, bool) {
    let index_field = index
        .map(|i| format!("index: {}, ", js(i)))
        .unwrap_or_default();
    if key.is_composite() {
        let attribute = key.sort_attribute().unwrap_or_default();
        let condition = match sort {
            Sort::Values(values) if values.len() == key.sort.len() => {
                format!("{{ eq: [{}].join('#') }}", values.join(", "))
            }
            Sort::Values(values) if !values.is_empty() => {
                format!("{{ beginsWith: [{}].join('#') + '#' }}", values.join(", "))
            }
            Sort::Arg(arg) => {
                let fields: Vec<String> = key.sort.iter().map(|f| js(f)).collect();
                format!(
                    "compositeCondition(ctx.args.{arg}, [{}])",
                    fields.join(", ")
                )
            }
            _ => "undefined".into(),
        };
        return (
            format!(
                "  const query = keyQuery({}, {partition}, {}, {condition});\n  return {{ operation: 'Query', {index_field}query, filter: filter ? JSON.parse(util.transform.toDynamoDBFilterExpression(filter)) : undefined, limit, nextToken, scanIndexForward: ctx.args.sortDirection !== 'DESC' }};\n",
                js(&key.partition),
                js(&attribute)
            ),
            true,
        );
    }
    let mut out = format!(
        "  const query = {{ {}: {{ eq: {partition} }} }};\n",
        key.partition
    );
    match (sort, key.sort.first()) {
        (Sort::Values(values), Some(sk)) if !values.is_empty() => {
            out.push_str(&format!("  query.{sk} = {{ eq: {} }};\n", values[0]));
        }
        (Sort::Arg(arg), Some(sk)) => {
            out.push_str(&format!(
                "  if (ctx.args.{arg}) {{\n    query.{sk} = ctx.args.{arg};\n  }}\n"
            ));
        }
        _ => {}
    }
    out.push_str(&format!("  return ddb.query({{ {index_field}query, filter, limit, nextToken, scanIndexForward: ctx.args.sortDirection !== 'DESC' }});\n"));
    (out, false)
}

/// A query of `key` by the client's arguments: the partition field, and the sort key's condition.
fn sort_arg_of(key: &Key) -> Sort {
    match key.sort.as_slice() {
        [] => Sort::None,
        [single] => Sort::Arg(single.clone()),
        _ => Sort::Arg(composite_arg(key)),
    }
}

/// Access functions, with the composite key helpers when the file needs them.
fn with_helpers(functions: String, composite: bool) -> String {
    if composite {
        format!("{functions}\n{COMPOSITE_HELPERS}")
    } else {
        functions
    }
}

/// The name of the argument of a composite sort key (`statusCreatedAt`).
fn composite_arg(key: &Key) -> String {
    let names: Vec<&str> = key.sort.iter().map(String::as_str).collect();
    crate::transform::camel(&names)
}

/// One generated resolver: `type_name.field`, kept as `file`.
pub struct Resolver {
    pub type_name: String,
    pub field: String,
    pub file: String,
    pub code: String,
}

impl Resolver {
    fn new(type_name: &str, field: &str, code: String) -> Resolver {
        Resolver {
            type_name: type_name.to_string(),
            field: field.to_string(),
            file: format!("{type_name}.{field}.js"),
            code,
        }
    }
}

const IMPORTS: &str = "import { util } from '@aws-appsync/utils';\nimport * as ddb from '@aws-appsync/utils/dynamodb';\n";
const ERROR_OUT: &str = "export function response(ctx) {\n  if (ctx.error) {\n    util.error(ctx.error.message, ctx.error.type);\n  }\n  return ctx.result;\n}\n";
const PAGE_OUT: &str = "export function response(ctx) {\n  if (ctx.error) {\n    util.error(ctx.error.message, ctx.error.type);\n  }\n  const { items = [], nextToken = null } = ctx.result;\n  return { items, nextToken };\n}\n";

/// A resolver file: imports, the access functions and their helpers, then the handlers.
fn file(imports: &str, functions: &str, body: &str) -> String {
    let helpers = access::helpers(functions);
    let mut out = String::from(imports);
    out.push('\n');
    out.push_str(functions);
    if !helpers.is_empty() {
        out.push('\n');
        out.push_str(&helpers);
    }
    out.push('\n');
    out.push_str(body);
    out
}

/// The checks of a read of one item: before it (could any rule let the caller
/// in?) and after it (does one let them see this item?).
fn read_one_checks(access: &Access) -> (&'static str, &'static str) {
    if access.has_dynamic() {
        (
            "  if (!staticAccess(ctx) && ownFilter(ctx) === null) {\n    util.unauthorized();\n  }\n",
            "  if (ctx.result && !staticAccess(ctx) && !itemAccess(ctx, ctx.result)) {\n    util.unauthorized();\n  }\n",
        )
    } else {
        (
            "  if (!staticAccess(ctx)) {\n    util.unauthorized();\n  }\n",
            "",
        )
    }
}

/// The lines that narrow a read of many items to what the caller may see: all
/// of them, their own, or none. Leaves `filter` (the caller's filter, narrowed).
fn narrow_filter(access: &Access) -> String {
    if access.has_dynamic() {
        "  let filter = ctx.args.filter ?? undefined;\n  if (!staticAccess(ctx)) {\n    const own = ownFilter(ctx);\n    if (own === null) {\n      util.unauthorized();\n    }\n    filter = filter ? { and: [filter, own] } : own;\n  }\n".into()
    } else {
        "  const filter = ctx.args.filter ?? undefined;\n  if (!staticAccess(ctx)) {\n    util.unauthorized();\n  }\n".into()
    }
}

/// The checks of a write on fields with rules of their own: each field set by
/// the input needs its own permission (`source`: the input's values).
fn field_write_checks(model: &Model, op: Ops, source: &str, conditions: bool) -> (String, String) {
    let (mut functions, mut checks) = (String::new(), String::new());
    for (field, grants) in &model.auth.fields {
        let suffix = cfn::pascal(field);
        let a = Access::new(grants, op, &suffix);
        let dynamic = a.has_dynamic();
        functions.push('\n');
        functions.push_str(&a.functions(dynamic && !conditions, dynamic && conditions, false));
        let value = format!(
            "{source}[{}]",
            serde_json::to_string(field).unwrap_or_default()
        );
        if dynamic && conditions {
            checks.push_str(&format!("  if ({value} !== undefined && !staticAccess{suffix}(ctx)) {{\n    const own = ownFilter{suffix}(ctx);\n    if (own === null) {{\n      util.unauthorized();\n    }}\n    conditions.push(own);\n  }}\n"));
        } else if dynamic {
            checks.push_str(&format!("  if ({value} !== undefined && !staticAccess{suffix}(ctx) && !itemAccess{suffix}(ctx, {source})) {{\n    util.unauthorized();\n  }}\n"));
        } else {
            checks.push_str(&format!("  if ({value} !== undefined && !staticAccess{suffix}(ctx)) {{\n    util.unauthorized();\n  }}\n"));
        }
    }
    (functions, checks)
}

/// The resolvers of a model's queries and mutations, on its table, each with its access checks.
pub fn resolver_functions(model: &Model) -> Vec<Resolver> {
    let m = &model.name;
    let grants = &model.auth.grants;
    let key = &model.primary_key;
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
    let key_of_values = key_object(key, "values");
    let without_key: Vec<String> = key
        .fields()
        .iter()
        .map(|k| format!("  delete changes.{k};\n"))
        .collect();
    let mut out = Vec::new();
    if let Some((get, list)) = &model.queries {
        let a = Access::new(grants, Ops::GET, "");
        let (guard, check) = read_one_checks(&a);
        out.push(Resolver::new("Query", get, file(
            IMPORTS,
            &a.functions(true, true, false),
            &format!(
                "// {get}: read one {m} by its key. Allowed: {}.\nexport function request(ctx) {{\n{guard}  return ddb.get({{ key: {} }});\n}}\n\nexport function response(ctx) {{\n  if (ctx.error) {{\n    util.error(ctx.error.message, ctx.error.type);\n  }}\n{check}  return ctx.result;\n}}\n",
                a.describe(),
                key_object(key, "ctx.args")
            ),
        )));
        let a = Access::new(grants, Ops::LIST, "");
        let scan = format!(
            "  const {{ limit = 100, nextToken }} = ctx.args;\n{}  const expression = filter ? JSON.parse(util.transform.toDynamoDBFilterExpression(filter)) : undefined;\n",
            narrow_filter(&a)
        );
        let mut helpers = false;
        let body = if custom_key {
            let (query, composite) = query_request(
                None,
                key,
                &format!("ctx.args.{partition}"),
                &sort_arg_of(key),
            );
            helpers = composite;
            format!(
                "{scan}  if (ctx.args.{partition} === undefined || ctx.args.{partition} === null) {{\n    return {{ operation: 'Scan', limit, nextToken, filter: expression }};\n  }}\n{query}"
            )
        } else {
            format!(
                "{scan}  return {{ operation: 'Scan', limit, nextToken, filter: expression }};\n"
            )
        };
        out.push(Resolver::new("Query", list, file(
            IMPORTS,
            &with_helpers(a.functions(false, true, false), helpers),
            &format!(
                "// {list}: a page of {m} items, filtered. Allowed: {}.\nexport function request(ctx) {{\n{body}}}\n\n{PAGE_OUT}",
                a.describe()
            ),
        )));
    }
    for index in &model.indexes {
        let Some(query) = &index.query_field else {
            continue;
        };
        let a = Access::new(grants, Ops::LIST, "");
        let (request, composite) = query_request(
            Some(&index.name),
            &index.key,
            &format!("ctx.args.{}", index.key.partition),
            &sort_arg_of(&index.key),
        );
        out.push(Resolver::new("Query", query, file(
            IMPORTS,
            &with_helpers(a.functions(false, true, false), composite),
            &format!(
                "// {query}: {m} items by the index {}. Allowed: {}.\nexport function request(ctx) {{\n  const {{ limit = 100, nextToken }} = ctx.args;\n{}{request}}}\n\n{PAGE_OUT}",
                index.name,
                a.describe(),
                narrow_filter(&a),
            ),
        )));
    }
    if let Some((create, update, delete)) = &model.mutations {
        let id_default = if custom_key {
            String::new()
        } else {
            "  values.id = values.id ?? util.autoId();\n".to_string()
        };
        let a = Access::new(grants, Ops::CREATE, "");
        let check = if a.has_dynamic() {
            "  if (!staticAccess(ctx) && !itemAccess(ctx, values)) {\n    util.unauthorized();\n  }\n"
        } else {
            "  if (!staticAccess(ctx)) {\n    util.unauthorized();\n  }\n"
        };
        let (field_functions, field_checks) =
            field_write_checks(model, Ops::CREATE, "values", false);
        let defaults: String = model
            .fields
            .iter()
            .filter_map(|f| {
                let value = f.default.as_ref()?;
                let target = format!("values[{}]", serde_json::to_string(&f.name).unwrap_or_default());
                Some(format!("  if ({target} === undefined || {target} === null) {{\n    {target} = {value};\n  }}\n"))
            })
            .collect();
        let composites: String = std::iter::once(key)
            .chain(model.indexes.iter().map(|i| &i.key))
            .filter(|k| k.is_composite())
            .map(|k| {
                let present: Vec<String> = k
                    .sort
                    .iter()
                    .map(|f| format!("values.{f} !== undefined && values.{f} !== null"))
                    .collect();
                format!(
                    "  if ({}) {{\n    values[{}] = {};\n  }}\n",
                    present.join(" && "),
                    js(&k.sort_attribute().unwrap_or_default()),
                    joined(&k.sort, "values")
                )
            })
            .collect();
        out.push(Resolver::new("Mutation", create, file(
            IMPORTS,
            &format!("{}{field_functions}", a.functions(true, false, false)),
            &format!(
                "// {create}: a new {m}; refused if one with the same key exists. Allowed: {}.\nexport function request(ctx) {{\n{timestamps_create}{id_default}{defaults}{composites}{}{check}{field_checks}  return ddb.put({{\n    key: {key_of_values},\n    item: {{ ...values, __typename: '{m}' }},\n    condition: {{ and: [{{ {partition}: {{ attributeExists: false }} }}, ctx.args.condition ?? {{}}] }},\n  }});\n}}\n\n{ERROR_OUT}",
                a.describe(),
                a.fill_owners("values"),
            ),
        )));
        let conditions = |a: &Access| -> String {
            let mut out = format!(
                "  const conditions = [{{ {partition}: {{ attributeExists: true }} }}];\n  if (ctx.args.condition) {{\n    conditions.push(ctx.args.condition);\n  }}\n"
            );
            if a.has_dynamic() {
                out.push_str("  if (!staticAccess(ctx)) {\n    const own = ownFilter(ctx);\n    if (own === null) {\n      util.unauthorized();\n    }\n    conditions.push(own);\n  }\n");
            } else {
                out.push_str("  if (!staticAccess(ctx)) {\n    util.unauthorized();\n  }\n");
            }
            out
        };
        let a = Access::new(grants, Ops::UPDATE, "");
        let (field_functions, field_checks) =
            field_write_checks(model, Ops::UPDATE, "changes", true);
        // An index's composite sort key is rewritten when its fields are, all of them together.
        let composite_changes: String = model
            .indexes
            .iter()
            .map(|i| &i.key)
            .filter(|k| k.is_composite())
            .map(|k| {
                // key fields are in `values` (the input), not in `changes`
                let changed: Vec<String> = k.sort.iter().map(|f| format!("changes.{f} !== undefined")).collect();
                let given: Vec<String> = k.sort.iter().map(|f| format!("values.{f} !== undefined && values.{f} !== null")).collect();
                format!(
                    "  if ({any}) {{\n    if (!({all})) {{\n      util.error({message}, 'ValidationException');\n    }}\n    changes[{attribute}] = {value};\n  }}\n",
                    any = changed.join(" || "),
                    all = given.join(" && "),
                    message = js(&format!("{} make one sort key: give all of them or none", k.sort.join(", "))),
                    attribute = js(&k.sort_attribute().unwrap_or_default()),
                    value = joined(&k.sort, "values"),
                )
            })
            .collect();
        out.push(Resolver::new("Mutation", update, file(
            IMPORTS,
            &format!("{}{field_functions}", a.functions(false, true, false)),
            &format!(
                "// {update}: change the given fields of an existing {m}. Allowed: {}.\nexport function request(ctx) {{\n{timestamps_update}  const changes = {{ ...values }};\n{}{composite_changes}{}{field_checks}  return ddb.update({{\n    key: {key_of_values},\n    update: changes,\n    condition: {{ and: conditions }},\n  }});\n}}\n\n{ERROR_OUT}",
                a.describe(),
                without_key.concat(),
                conditions(&a),
            ),
        )));
        let a = Access::new(grants, Ops::DELETE, "");
        out.push(Resolver::new("Mutation", delete, file(
            IMPORTS,
            &a.functions(false, true, false),
            &format!(
                "// {delete}: remove an existing {m}. Allowed: {}.\nexport function request(ctx) {{\n{}  return ddb.remove({{\n    key: {},\n    condition: {{ and: conditions }},\n  }});\n}}\n\n{ERROR_OUT}",
                a.describe(),
                conditions(&a),
                key_object(key, "ctx.args.input")
            ),
        )));
    }
    out
}

/// Resolvers without a table (on the model stack's NONE data source): the
/// model's subscriptions, which apply the client's filter and who may listen,
/// and the fields with rules of their own.
pub fn local_functions(model: &Model) -> Vec<Resolver> {
    let m = &model.name;
    let mut out = Vec::new();
    if model.subscriptions
        && let Some((create, update, delete)) = &model.mutations
    {
        let a = Access::new(&model.auth.grants, Ops::LISTEN, "");
        let mut owner_args = String::new();
        for grant in &model.auth.grants {
            if let Role::Owner {
                field,
                claim,
                list: false,
                ..
            } = &grant.role
                && grant.ops.contains(Ops::LISTEN)
            {
                let claim = serde_json::to_string(claim).unwrap_or_default();
                owner_args.push_str(&format!("    if (ctx.args.{field} !== undefined && ctx.args.{field} !== null && !claimValues(ctx, {claim}).includes(ctx.args.{field})) {{\n      util.unauthorized();\n    }}\n"));
            }
        }
        let narrow = if a.has_dynamic() {
            format!(
                "  if (!staticAccess(ctx)) {{\n    const own = ownSubscriptionFilter(ctx);\n    if (own === null) {{\n      util.unauthorized();\n    }}\n{owner_args}    filters.push(own);\n  }}\n"
            )
        } else {
            "  if (!staticAccess(ctx)) {\n    util.unauthorized();\n  }\n".into()
        };
        for (on, mutation) in [
            ("onCreate", create),
            ("onUpdate", update),
            ("onDelete", delete),
        ] {
            let field = format!("{on}{m}");
            out.push(Resolver::new("Subscription", &field, file(
                "import { util, extensions } from '@aws-appsync/utils';\n",
                &a.functions(false, false, true),
                &format!(
                    "// {field}: events of `{mutation}`, filtered by the client's filter and by who may see them. Allowed: {}.\nexport function request() {{\n  return {{ payload: null }};\n}}\n\nexport function response(ctx) {{\n  const filters = [];\n  if (ctx.args.filter) {{\n    filters.push(ctx.args.filter);\n  }}\n{narrow}  if (filters.length > 0) {{\n    extensions.setSubscriptionFilter(util.transform.toSubscriptionFilter(filters.length === 1 ? filters[0] : {{ and: filters }}));\n  }}\n  return null;\n}}\n",
                    a.describe()
                ),
            )));
        }
    }
    for (field, grants) in &model.auth.fields {
        if model.relations.iter().any(|r| &r.field == field) {
            // relation fields check their rules in their own resolver
            continue;
        }
        let a = Access::new(grants, Ops::GET, "");
        let check = if a.has_dynamic() {
            "  if (!staticAccess(ctx) && !itemAccess(ctx, ctx.source)) {\n    util.unauthorized();\n  }\n"
        } else {
            "  if (!staticAccess(ctx)) {\n    util.unauthorized();\n  }\n"
        };
        let value = format!(
            "ctx.source[{}]",
            serde_json::to_string(field).unwrap_or_default()
        );
        out.push(Resolver::new(m, field, file(
            "import { util } from '@aws-appsync/utils';\n",
            &a.functions(true, false, false),
            &format!(
                "// {m}.{field}: a field with rules of its own. Allowed to read: {}.\nexport function request() {{\n  return {{ payload: null }};\n}}\n\nexport function response(ctx) {{\n{check}  return {value} ?? null;\n}}\n",
                a.describe()
            ),
        )));
    }
    out
}

/// The resolvers of relation fields, with the model whose table each reads.
/// The related model's read rules apply, and the field's own rules if it has some.
pub fn relation_functions(model: &Model, models: &[Model]) -> Vec<(Resolver, String)> {
    let imports = "import { util, runtime } from '@aws-appsync/utils';\nimport * as ddb from '@aws-appsync/utils/dynamodb';\n";
    let mut out = Vec::new();
    for relation in &model.relations {
        let (type_name, field, target) = (&model.name, &relation.field, &relation.target);
        let target_grants = models
            .iter()
            .find(|m| &m.name == target)
            .map(|m| m.auth.grants.as_slice())
            .unwrap_or(&[]);
        let (field_functions, field_check) = match model.auth.field(field) {
            Some(grants) => {
                let a = Access::new(grants, Ops::GET, "Field");
                let check = if a.has_dynamic() {
                    "  if (!staticAccessField(ctx) && !itemAccessField(ctx, ctx.source)) {\n    util.unauthorized();\n  }\n"
                } else {
                    "  if (!staticAccessField(ctx)) {\n    util.unauthorized();\n  }\n"
                };
                (
                    format!("\n{}", a.functions(true, false, false)),
                    check.to_string(),
                )
            }
            None => (String::new(), String::new()),
        };
        let source = |f: &String| format!("ctx.source.{f}");
        let first = source(&relation.source_fields[0]);
        let described = format!(
            "the {target} items whose {} match{} this {type_name}'s {}",
            relation.target_key.fields()[..relation
                .source_fields
                .len()
                .min(relation.target_key.fields().len())]
                .join(", "),
            if relation.source_fields.len() == 1 {
                "es"
            } else {
                ""
            },
            relation.source_fields.join(", ")
        );
        let index = relation.index.as_deref();
        let code = match relation.kind {
            RelationKind::HasMany => {
                let a = Access::new(target_grants, Ops::LIST, "");
                let sort = match &relation.sort_arg {
                    Some((arg, _)) => Sort::Arg(arg.clone()),
                    None => Sort::Values(relation.source_fields[1..].iter().map(source).collect()),
                };
                let (request, composite) =
                    query_request(index, &relation.target_key, &first, &sort);
                file(
                    imports,
                    &with_helpers(
                        format!("{}{field_functions}", a.functions(false, true, false)),
                        composite,
                    ),
                    &format!(
                        "// {type_name}.{field}: {described}. Allowed: {}.\nexport function request(ctx) {{\n{field_check}  const {{ limit = 100, nextToken }} = ctx.args;\n{}  if ({first} === undefined || {first} === null) {{\n    runtime.earlyReturn({{ items: [], nextToken: null }});\n  }}\n{request}}}\n\n{PAGE_OUT}",
                        a.describe(),
                        narrow_filter(&a),
                    ),
                )
            }
            RelationKind::BelongsTo | RelationKind::HasOne => {
                let a = Access::new(target_grants, Ops::GET, "");
                let (guard, check) = read_one_checks(&a);
                let (request, composite, result) = if relation.is_get() {
                    let key = &relation.target_key;
                    let mut parts = vec![format!("{}: {first}", key.partition)];
                    if let Some(attribute) = key.sort_attribute() {
                        let values: Vec<String> =
                            relation.source_fields[1..].iter().map(source).collect();
                        parts.push(if key.is_composite() {
                            format!("{}: [{}].join('#')", js(&attribute), values.join(", "))
                        } else {
                            format!("{attribute}: {}", values[0])
                        });
                    }
                    (
                        format!("  return ddb.get({{ key: {{ {} }} }});\n", parts.join(", ")),
                        false,
                        "ctx.result",
                    )
                } else {
                    // by an index, or by part of the key: the first match
                    let sort =
                        Sort::Values(relation.source_fields[1..].iter().map(source).collect());
                    let (request, composite) =
                        query_request(index, &relation.target_key, &first, &sort);
                    (
                        format!(
                            "  const filter = undefined;\n  const limit = 1;\n  const nextToken = undefined;\n{request}"
                        ),
                        composite,
                        "(ctx.result.items ?? [])[0] ?? null",
                    )
                };
                let check = check.replace("ctx.result", "item");
                file(
                    imports,
                    &with_helpers(
                        format!("{}{field_functions}", a.functions(true, true, false)),
                        composite,
                    ),
                    &format!(
                        "// {type_name}.{field}: the {target} this {type_name} is related to, by {}. Allowed: {}.\nexport function request(ctx) {{\n{field_check}{guard}  if ({first} === undefined || {first} === null) {{\n    runtime.earlyReturn(null);\n  }}\n{request}}}\n\nexport function response(ctx) {{\n  if (ctx.error) {{\n    util.error(ctx.error.message, ctx.error.type);\n  }}\n  const item = {result};\n{check}  return item;\n}}\n",
                        relation.source_fields.join(", "),
                        a.describe()
                    ),
                )
            }
        };
        out.push((Resolver::new(type_name, field, code), target.clone()));
    }
    out
}

/// Every resolver of a model's stack and of its relation fields, for reading.
pub fn all_resolvers(model: &Model, models: &[Model]) -> Vec<Resolver> {
    let mut out = resolver_functions(model);
    out.extend(local_functions(model));
    out.extend(
        relation_functions(model, models)
            .into_iter()
            .map(|(r, _)| r),
    );
    out
}

/// DynamoDB's attribute type of a field: `N` for numbers, else `S`.
fn attribute_type(model: &Model, field: &str) -> &'static str {
    let scalar = model.scalar(field).unwrap_or_default();
    if matches!(scalar.as_str(), "Int" | "Float" | "AWSTimestamp") {
        "N"
    } else {
        "S"
    }
}

fn key_schema(key: &crate::transform::Key) -> Value {
    let mut schema = vec![json!({ "AttributeName": key.partition, "KeyType": "HASH" })];
    schema.extend(
        key.sort_attribute()
            .map(|sk| json!({ "AttributeName": sk, "KeyType": "RANGE" })),
    );
    Value::Array(schema)
}

/// The table of a model: its key, its indexes, and the attributes they use.
fn table_properties(model: &Model) -> Value {
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
fn add_resolver(
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
fn add_resolver_in_api(t: &mut Template, logical: &str, field: &str, source: &str, code: String) {
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

fn add_resolver_on(
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
    for r in resolver_functions(model) {
        let code = overrides.get(&r.file).cloned().unwrap_or(r.code);
        let logical = format!("{}{}", r.type_name, cfn::pascal(&r.field));
        add_resolver(&mut t, &logical, &r.type_name, &r.field, &source, code);
    }
    for other in models {
        for (r, target) in relation_functions(other, models) {
            if target != model.name {
                continue;
            }
            let code = overrides.get(&r.file).cloned().unwrap_or(r.code);
            let logical = format!("{}{}", cfn::pascal(&r.type_name), cfn::pascal(&r.field));
            add_resolver(&mut t, &logical, &r.type_name, &r.field, &source, code);
        }
    }
    let local = local_functions(model);
    if !local.is_empty() {
        let none = format!("{m}NoneDataSource");
        t.resource(
            &none,
            "AWS::AppSync::DataSource",
            json!({ "ApiId": r#ref("ApiId"), "Name": format!("{m}None"), "Type": "NONE" }),
        );
        for r in local {
            let code = overrides.get(&r.file).cloned().unwrap_or(r.code);
            let logical = format!("{}{}", cfn::pascal(&r.type_name), cfn::pascal(&r.field));
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
    if model.searchable.is_some() {
        t.output(
            "TableStreamArn",
            &format!("The {} table's stream, indexed for search", model.name),
            get_att(&table, "StreamArn"),
        );
    }
    t
}

/// The OpenSearch index of a searchable model.
pub fn search_index(model: &Model) -> String {
    model.name.to_ascii_lowercase()
}

/// The Lambda function that copies searchable tables' changes into OpenSearch:
/// each stream record becomes a bulk index or delete, in the index named after
/// the item's `__typename`, with the item's key as the document id. Node.js 24,
/// with only the AWS SDK the runtime ships.
pub const SEARCH_STREAMING_CODE: &str = r#"const https = require('https');
const { SignatureV4 } = require('@smithy/signature-v4');
const { Sha256 } = require('@aws-crypto/sha256-js');
const { defaultProvider } = require('@aws-sdk/credential-provider-node');
const { unmarshall } = require('@aws-sdk/util-dynamodb');

const host = process.env.SEARCH_ENDPOINT;
const signer = new SignatureV4({ service: 'es', region: process.env.AWS_REGION, credentials: defaultProvider(), sha256: Sha256 });

async function bulk(body) {
  const signed = await signer.sign({ method: 'POST', protocol: 'https:', hostname: host, path: '/_bulk', headers: { host, 'content-type': 'application/x-ndjson' }, body });
  const text = await new Promise((resolve, reject) => {
    const req = https.request({ method: 'POST', hostname: host, path: '/_bulk', headers: signed.headers }, (res) => {
      let data = '';
      res.on('data', (chunk) => { data += chunk; });
      res.on('end', () => (res.statusCode < 300 ? resolve(data) : reject(new Error(`OpenSearch answered ${res.statusCode}: ${data}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
  const result = JSON.parse(text);
  if (result.errors) {
    throw new Error(`OpenSearch refused part of the batch: ${text.slice(0, 1000)}`);
  }
}

exports.handler = async (event) => {
  const lines = [];
  for (const record of event.Records) {
    const image = record.dynamodb.NewImage || record.dynamodb.OldImage;
    if (!image) continue;
    const item = unmarshall(image);
    const index = String(item.__typename || '').toLowerCase();
    if (!index) continue;
    const keys = unmarshall(record.dynamodb.Keys);
    const id = Object.keys(keys).sort().map((k) => keys[k]).join('#');
    if (record.eventName === 'REMOVE') {
      lines.push(JSON.stringify({ delete: { _index: index, _id: id } }));
    } else {
      lines.push(JSON.stringify({ index: { _index: index, _id: id } }), JSON.stringify(unmarshall(record.dynamodb.NewImage)));
    }
  }
  if (lines.length > 0) {
    await bulk(lines.join('
') + '
');
  }
};
"#;

/// The resolver of a searchable model's search query: the client's filter (and
/// who may see what) as an OpenSearch query, its sort, page and aggregations.
pub fn search_resolver(model: &Model) -> Option<Resolver> {
    let search = model.searchable.as_ref()?;
    let m = &model.name;
    let a = Access::new(&model.auth.grants, Ops::SEARCH, "");
    // Text fields sort and aggregate by their keyword sub-field.
    let keyword: Vec<String> = model
        .fields
        .iter()
        .filter(|f| {
            f.is_enum
                || matches!(
                    f.ty.inner_named_type().as_str(),
                    "String"
                        | "ID"
                        | "AWSDate"
                        | "AWSDateTime"
                        | "AWSTime"
                        | "AWSEmail"
                        | "AWSURL"
                        | "AWSPhone"
                        | "AWSIPAddress"
                )
        })
        .map(|f| js(&f.name))
        .chain(
            [&model.created_at, &model.updated_at]
                .into_iter()
                .flatten()
                .map(|t| js(t)),
        )
        .collect();
    let default_sort = js(&model.primary_key.partition);
    Some(Resolver::new(
        "Query",
        search,
        file(
            "import { util } from '@aws-appsync/utils';\n",
            &a.functions(false, true, false),
            &format!(
                "const KEYWORD_FIELDS = [{}];\n\n// The name to sort or aggregate a field by.\nfunction sortable(field) {{\n  return KEYWORD_FIELDS.includes(field) ? field + '.keyword' : field;\n}}\n\n// {search}: {m} items found in OpenSearch by the filter, sorted and aggregated. Allowed: {}.\nexport function request(ctx) {{\n  const {{ limit = 100, nextToken, from }} = ctx.args;\n{}  const sort = (ctx.args.sort ?? []).filter((s) => s && s.field).map((s) => ({{ [sortable(s.field)]: {{ order: s.direction ?? 'asc' }} }}));\n  if (sort.length === 0) {{\n    sort.push({{ [sortable({default_sort})]: {{ order: 'desc' }} }});\n  }}\n  const body = {{ size: limit, sort, version: false, track_total_hits: true }};\n  body.query = filter ? util.transform.toElasticsearchQueryDSL(filter) : {{ match_all: {{}} }};\n  if (nextToken) {{\n    body.search_after = JSON.parse(util.base64Decode(nextToken));\n  }} else if (from) {{\n    body.from = from;\n  }}\n  const aggs = {{}};\n  (ctx.args.aggregates ?? []).forEach((agg) => {{\n    const field = agg.type === 'terms' ? sortable(agg.field) : agg.field;\n    aggs[agg.name] = {{ [agg.type]: {{ field }} }};\n  }});\n  if (Object.keys(aggs).length > 0) {{\n    body.aggs = aggs;\n  }}\n  return {{ operation: 'GET', path: '/{}/_search', params: {{ body }} }};\n}}\n\nexport function response(ctx) {{\n  if (ctx.error) {{\n    util.error(ctx.error.message, ctx.error.type);\n  }}\n  const hits = ctx.result.hits.hits ?? [];\n  const total = ctx.result.hits.total;\n  const limit = ctx.args.limit ?? 100;\n  const last = hits[hits.length - 1];\n  const aggregations = ctx.result.aggregations ?? {{}};\n  return {{\n    items: hits.map((hit) => hit._source),\n    total: typeof total === 'number' ? total : total.value,\n    nextToken: hits.length === limit && last ? util.base64Encode(JSON.stringify(last.sort)) : null,\n    aggregateItems: Object.keys(aggregations).map((name) => {{\n      const value = aggregations[name];\n      const result = value.buckets\n        ? {{ __typename: 'SearchableAggregateBucketResult', buckets: value.buckets.map((b) => ({{ key: String(b.key), doc_count: b.doc_count }})) }}\n        : {{ __typename: 'SearchableAggregateScalarResult', value: value.value }};\n      return {{ name, result }};\n    }}),\n  }};\n}}\n",
                keyword.join(", "),
                a.describe(),
                narrow_filter(&a),
                search_index(model),
            ),
        ),
    ))
}

/// Search for the api's `@searchable` models: one OpenSearch domain, a Lambda
/// function streaming each model's table into it, and each search query's
/// resolver on an OpenSearch data source. The models' stacks are children of
/// the api's template (their table streams are read from their outputs).
pub fn add_search(t: &mut Template, models: &[&Model], overrides: &BTreeMap<String, String>) {
    if models.is_empty() {
        return;
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
                &format!("{}Model", cfn::pascal(&m.name)),
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
        let logical = cfn::pascal(&m.name);
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
        if let Some(r) = search_resolver(m) {
            let logical = format!("Query{}", cfn::pascal(&r.field));
            let code = overrides.get(&r.file).cloned().unwrap_or(r.code);
            add_resolver_in_api(t, &logical, &r.field, "SearchDataSource", code);
        }
    }
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

/// The pipeline code around a user's resolver of a custom field: the field's
/// `@auth` rules (static ones: API key, IAM, signed-in users, groups) first.
pub fn custom_pipeline_code(grants: Option<&[crate::transform::auth::Grant]>) -> String {
    let Some(grants) = grants else {
        return PIPELINE_CODE.to_string();
    };
    let a = Access::new(grants, Ops::GET, "");
    file(
        "import { util } from '@aws-appsync/utils';\n",
        &a.functions(false, false, false),
        "export function request(ctx) {\n  if (!staticAccess(ctx)) {\n    util.unauthorized();\n  }\n  return {};\n}\n\nexport function response(ctx) {\n  return ctx.prev.result;\n}\n",
    )
}

/// The code of a function that calls a Lambda function for `@function`, with
/// the event Amplify's `@function` sends.
pub const INVOKE_CODE: &str = "import { util } from '@aws-appsync/utils';\n\n// Calls the Lambda function of `@function` with the field's arguments, the caller's\n// identity, the parent item and the previous step's result.\nexport function request(ctx) {\n  return {\n    operation: 'Invoke',\n    payload: {\n      typeName: ctx.info.parentTypeName,\n      fieldName: ctx.info.fieldName,\n      arguments: ctx.args,\n      identity: ctx.identity,\n      source: ctx.source,\n      request: ctx.request,\n      prev: ctx.prev,\n    },\n  };\n}\n\nexport function response(ctx) {\n  if (ctx.error) {\n    util.error(ctx.error.message, ctx.error.type);\n  }\n  return ctx.result;\n}\n";

/// The ARN of a `@function` Lambda, for `Fn::Sub`: `${env}` is the environment.
fn lambda_arn(f: &crate::transform::LambdaRef) -> String {
    format!(
        "arn:${{AWS::Partition}}:lambda:{}:{}:function:{}",
        f.region.as_deref().unwrap_or("${AWS::Region}"),
        f.account_id.as_deref().unwrap_or("${AWS::AccountId}"),
        f.name.replace("${env}", "${Env}")
    )
}

/// The resolvers of fields the user resolves: their own resolver on a NONE data
/// source, or `@function`'s Lambdas (one data source and role per function),
/// each after the field's access check.
pub fn add_custom_resolvers(
    t: &mut Template,
    fields: &[(&crate::transform::CustomField, Option<String>)],
) {
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
        format!("Function{}{position}", cfn::pascal(&clean))
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
        let logical = format!("{}{}", f.type_name, cfn::pascal(&f.field));
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
                "Code": custom_pipeline_code(f.grants.as_deref())
            }),
        );
        resolver["DependsOn"] = json!(["GraphQLSchema"]);
    }
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

/// A starting schema, with access rules that fit the API's modes: the default
/// mode's users may do everything (each user only with their own items, for
/// `owner-auth`), and API key holders may read when the key is an extra mode.
pub fn blueprint(template: crate::cli::ApiTemplate, cfg: &ApiConfig) -> String {
    let text = match template {
        crate::cli::ApiTemplate::Todo => include_str!("../../blueprints/api/todo.graphql"),
        crate::cli::ApiTemplate::Blank => include_str!("../../blueprints/api/blank.graphql"),
        crate::cli::ApiTemplate::Blog => include_str!("../../blueprints/api/blog.graphql"),
        crate::cli::ApiTemplate::OwnerAuth => {
            include_str!("../../blueprints/api/owner-auth.graphql")
        }
    };
    let mut rules = vec![match (template, cfg.auth) {
        (crate::cli::ApiTemplate::OwnerAuth, _) => "{ allow: owner }",
        (_, AuthMode::ApiKey) => "{ allow: public }",
        (_, AuthMode::UserPools) => "{ allow: private }",
        (_, AuthMode::Iam) => "{ allow: private, provider: iam }",
        (_, AuthMode::Oidc) => "{ allow: private, provider: oidc }",
        (_, AuthMode::Lambda) => "{ allow: custom }",
    }];
    if cfg.auth != AuthMode::ApiKey && cfg.uses(AuthMode::ApiKey) {
        rules.push("{ allow: public, operations: [read] }");
    }
    text.replace("RULES", &format!("[{}]", rules.join(", ")))
}
