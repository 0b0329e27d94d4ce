//! An api as the sandbox runs it, read from what `hoist synth` wrote for
//! deploying (each model's nested template under `.hoist/build/<env>/api-<name>/`):
//! its tables, data sources, functions and resolvers, with their code inline.
//! A field is resolved the way AppSync resolves it: a pipeline's request
//! handler, each function (request, data source, response), then the
//! pipeline's response handler, or a unit resolver's request, data source and
//! response (AWS AppSync Developer Guide, "Resolvers: pipeline and unit",
//! "runtime.earlyReturn", "util.error", "util.unauthorized").

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use super::datasource::{self, Answer};
use super::dynamodb::Database;
use super::runtime::{CodeError, JsRuntime, Outcome};

#[derive(Debug, Clone, PartialEq)]
enum Source {
    /// A table of the sandbox's DynamoDB, by name.
    DynamoDb(String),
    None,
    /// OpenSearch, answered from the api's tables (see [`super::search`]).
    Search,
    /// A Lambda function, by name: the sandbox does not run functions yet.
    Lambda(String),
    /// Another kind of data source, which the sandbox does not run.
    Unsupported(String),
}

/// The function a Lambda data source invokes, from its ARN (a string or an
/// `Fn::Sub` template: the part after `:function:`).
fn lambda_function(config: &Value) -> String {
    let arn = &config["LambdaFunctionArn"];
    let text = arn
        .as_str()
        .or_else(|| arn["Fn::Sub"].as_str())
        .or_else(|| arn["Fn::Sub"][0].as_str())
        .unwrap_or_default();
    if text.is_empty() {
        return target(arn).unwrap_or_else(|| "?".into());
    }
    function_name(text)
}

/// A Lambda function's name from its ARN (`...:function:NAME[:qualifier]`), or
/// the text itself when it is no ARN.
pub fn function_name(arn: &str) -> String {
    match arn.split_once(":function:") {
        Some((_, name)) => name.split(':').next().unwrap_or(name).to_string(),
        None => arn.to_string(),
    }
}

#[derive(Debug, Clone)]
struct Function {
    name: String,
    source: String,
    code: String,
}

#[derive(Debug, Clone)]
enum Resolver {
    Pipeline {
        code: String,
        functions: Vec<String>,
    },
    Unit {
        code: String,
        source: String,
    },
}

/// A GraphQL error as AppSync reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub message: String,
    pub error_type: Option<String>,
    pub data: Value,
    pub info: Value,
}

/// A field's value and its errors (AppSync returns both: partial data).
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub data: Value,
    pub errors: Vec<FieldError>,
    /// What a subscription's resolver set with `extensions.setSubscriptionFilter`.
    pub subscription_filter: Option<Value>,
}

/// A field to resolve: `type_name.field(args)` on the parent value `source`.
#[derive(Debug, Clone, Copy)]
pub struct FieldCall<'a> {
    pub type_name: &'a str,
    pub field: &'a str,
    pub args: &'a Value,
    pub source: &'a Value,
}

/// Who is calling: what `util.authType()` says and `ctx.identity` holds.
#[derive(Debug, Clone)]
pub struct Caller {
    pub auth_type: String,
    pub identity: Value,
    /// The fields a Lambda authorizer denied this caller (`Type.field`):
    /// they resolve to null with an unauthorized error.
    pub denied_fields: Vec<String>,
    /// A project function's role: the root fields its IAM policy allows.
    pub iam_policy: Option<crate::sandbox::auth::principals::FieldPolicy>,
}

impl Caller {
    /// A caller with the api key (AppSync gives no identity then).
    pub fn api_key() -> Caller {
        Caller::new("API Key Authorization", Value::Null)
    }

    /// A caller of `auth_type` (`util.authType()`) with `identity` (`ctx.identity`).
    pub fn new(auth_type: &str, identity: Value) -> Caller {
        Caller {
            auth_type: auth_type.to_string(),
            identity,
            denied_fields: Vec::new(),
            iam_policy: None,
        }
    }
}

/// Something wrong with the synthesized api.
#[derive(Debug, thiserror::Error)]
#[error("the synthesized api in `{path}` could not be read: {message}")]
pub struct LoadError {
    pub path: String,
    pub message: String,
}

pub struct Api {
    name: String,
    sources: BTreeMap<String, Source>,
    functions: BTreeMap<String, Function>,
    resolvers: BTreeMap<(String, String), Resolver>,
}

/// The logical id a `Ref` or `Fn::GetAtt` names.
fn target(v: &Value) -> Option<String> {
    v.get("Ref")
        .and_then(Value::as_str)
        .or_else(|| {
            v.get("Fn::GetAtt")
                .and_then(|a| a.get(0))
                .and_then(Value::as_str)
        })
        .map(str::to_string)
}

impl Api {
    /// The fields that have a resolver, as `(type, field)`.
    pub fn resolver_fields(&self) -> std::collections::BTreeSet<(String, String)> {
        self.resolvers.keys().cloned().collect()
    }

    /// Read api `name` from a build folder (`.hoist/build/<env>/`), creating its
    /// tables in `db` (named `<api>.<table logical id>`).
    pub fn load(build: &Path, name: &str, db: &mut Database) -> Result<Api, LoadError> {
        let dir = build.join(format!("api-{name}"));
        let fail = |message: String| LoadError {
            path: dir.display().to_string(),
            message,
        };
        let mut api = Api {
            name: name.to_string(),
            sources: BTreeMap::new(),
            functions: BTreeMap::new(),
            resolvers: BTreeMap::new(),
        };
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| fail(e.to_string()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("model-") && n.ends_with(".template.json"))
            })
            .collect();
        entries.sort();
        // the api's own template holds what is not a model's: search, and
        // resolvers on Lambda functions
        let root = build.join(format!("api-{name}.template.json"));
        if root.is_file() {
            entries.push(root);
        }
        for path in entries {
            let text = std::fs::read_to_string(&path).map_err(|e| fail(e.to_string()))?;
            let template: Value = serde_json::from_str(&text).map_err(|e| fail(e.to_string()))?;
            api.add_template(&template, db).map_err(fail)?;
        }
        Ok(api)
    }

    fn table_name(&self, logical_id: &str) -> String {
        format!("{}.{logical_id}", self.name)
    }

    fn add_template(&mut self, template: &Value, db: &mut Database) -> Result<(), String> {
        let Some(resources) = template["Resources"].as_object() else {
            return Ok(());
        };
        for (id, r) in resources {
            let p = &r["Properties"];
            match r["Type"].as_str() {
                Some("AWS::DynamoDB::Table") => {
                    let mut request = p.clone();
                    request["TableName"] = json!(self.table_name(id));
                    if let Err(e) = db.call("CreateTable", &request)
                        && e.kind != "ResourceInUseException"
                    {
                        return Err(format!("table {id}: {e}"));
                    }
                }
                Some("AWS::AppSync::DataSource") => {
                    let source = match p["Type"].as_str() {
                        Some("AMAZON_DYNAMODB") => Source::DynamoDb(self.table_name(
                            &target(&p["DynamoDBConfig"]["TableName"]).unwrap_or_default(),
                        )),
                        Some("NONE") => Source::None,
                        Some("AMAZON_OPENSEARCH_SERVICE" | "AMAZON_ELASTICSEARCH") => {
                            Source::Search
                        }
                        Some("AWS_LAMBDA") => Source::Lambda(lambda_function(&p["LambdaConfig"])),
                        other => Source::Unsupported(other.unwrap_or("?").to_string()),
                    };
                    self.sources.insert(id.clone(), source);
                }
                Some("AWS::AppSync::FunctionConfiguration") => {
                    self.functions.insert(
                        id.clone(),
                        Function {
                            name: p["Name"].as_str().unwrap_or(id).to_string(),
                            source: target(&p["DataSourceName"]).unwrap_or_default(),
                            code: p["Code"].as_str().unwrap_or_default().to_string(),
                        },
                    );
                }
                Some("AWS::AppSync::Resolver") => {
                    let key = (
                        p["TypeName"].as_str().unwrap_or_default().to_string(),
                        p["FieldName"].as_str().unwrap_or_default().to_string(),
                    );
                    let code = p["Code"].as_str().unwrap_or_default().to_string();
                    let resolver = if p["Kind"] == "PIPELINE" {
                        Resolver::Pipeline {
                            code,
                            functions: p["PipelineConfig"]["Functions"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .filter_map(target)
                                .collect(),
                        }
                    } else {
                        Resolver::Unit {
                            code,
                            source: target(&p["DataSourceName"]).unwrap_or_default(),
                        }
                    };
                    self.resolvers.insert(key, resolver);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Resolve a field with its arguments and parent value.
    pub fn resolve(
        &self,
        js: &JsRuntime,
        db: &mut Database,
        call: &FieldCall,
        caller: &Caller,
        functions: Option<&super::functions::FunctionHost>,
    ) -> Resolved {
        let FieldCall {
            type_name,
            field,
            args,
            source,
        } = *call;
        let Some(resolver) = self
            .resolvers
            .get(&(type_name.to_string(), field.to_string()))
        else {
            return Resolved {
                data: Value::Null,
                errors: vec![FieldError {
                    message: format!("No resolver for {type_name}.{field}"),
                    error_type: Some("MappingTemplate".into()),
                    data: Value::Null,
                    info: Value::Null,
                }],
                subscription_filter: None,
            };
        };
        let mut run = Run {
            js,
            db,
            caller,
            ctx: json!({
                "arguments": args, "args": args, "identity": caller.identity, "source": source,
                "stash": {}, "prev": {"result": null}, "result": null, "error": null,
                "info": {"fieldName": field, "parentTypeName": type_name, "variables": {}},
                "request": {"headers": {}},
            }),
            errors: Vec::new(),
            subscription_filter: None,
            unauthorized: format!("Not Authorized to access {field} on type {type_name}"),
            api: self,
            functions,
        };
        let data = match run.resolver(resolver) {
            Ok(v) => v,
            Err(e) => {
                run.errors.push(e);
                Value::Null
            }
        };
        Resolved {
            data,
            errors: run.errors,
            subscription_filter: run.subscription_filter,
        }
    }
}

/// One field's resolution: the context as it changes, and the errors so far.
struct Run<'a> {
    js: &'a JsRuntime,
    db: &'a mut Database,
    caller: &'a Caller,
    ctx: Value,
    errors: Vec<FieldError>,
    subscription_filter: Option<Value>,
    unauthorized: String,
    api: &'a Api,
    /// The project's functions, which `AWS_LAMBDA` data sources invoke.
    functions: Option<&'a super::functions::FunctionHost>,
}

/// How a handler ended, for the resolver that called it.
enum Step {
    Value(Value),
    /// `runtime.earlyReturn`: the value, and whether to skip to the pipeline's end.
    Early(Value, bool),
}

impl Run<'_> {
    fn code_error(e: CodeError) -> FieldError {
        if e.timed_out {
            // AppSync's answer when a request's resolvers take over 30 s
            return FieldError {
                message: "Execution timed out.".into(),
                error_type: Some("ExecutionTimeout".into()),
                data: Value::Null,
                info: Value::Null,
            };
        }
        FieldError {
            message: e.to_string(),
            error_type: Some("Code".into()),
            data: Value::Null,
            info: Value::Null,
        }
    }

    /// Call a handler; its errors end the field.
    fn handler(&mut self, file: &str, code: &str, function: &str) -> Result<Step, FieldError> {
        let (outcome, effects) = self
            .js
            .call(file, code, function, &self.ctx, &self.caller.auth_type)
            .map_err(Self::code_error)?;
        self.ctx["stash"] = effects.stash;
        if effects.subscription_filter.is_some() {
            self.subscription_filter = effects.subscription_filter;
        }
        for e in effects.errors {
            self.errors.push(FieldError {
                message: e["message"].as_str().unwrap_or_default().to_string(),
                error_type: e["errorType"].as_str().map(str::to_string),
                data: e["data"].clone(),
                info: e["errorInfo"].clone(),
            });
        }
        match outcome {
            Outcome::Returned(v) => Ok(Step::Value(v)),
            Outcome::EarlyReturn { value, to_end } => Ok(Step::Early(value, to_end)),
            Outcome::Unauthorized => Err(FieldError {
                message: self.unauthorized.clone(),
                error_type: Some("Unauthorized".into()),
                data: Value::Null,
                info: Value::Null,
            }),
            Outcome::Error {
                message,
                error_type,
                data,
                info,
            } => Err(FieldError {
                message,
                error_type,
                data,
                info,
            }),
        }
    }

    fn data_source(&mut self, source: &str, request: &Value) -> Result<Answer, FieldError> {
        match self.api.sources.get(source) {
            Some(Source::DynamoDb(table)) => Ok(datasource::dynamodb(self.db, table, request)),
            Some(Source::None) => Ok(Answer::Result(
                request
                    .get("payload")
                    .cloned()
                    .unwrap_or_else(|| request.clone()),
            )),
            Some(Source::Search) => Ok(super::search::search(self.db, &self.api.name, request)),
            // AppSync's Lambda data source: `Invoke` sends the payload and
            // gives the function's result as `ctx.result`, its error as
            // `ctx.error` ("AWS AppSync JavaScript resolver function
            // reference for Lambda"). `BatchInvoke` is not generated.
            Some(Source::Lambda(function)) => {
                let Some(host) = self.functions else {
                    return Err(FieldError {
                        message: format!(
                            "the sandbox runs no functions here: data source `{source}` invokes `{function}`"
                        ),
                        error_type: Some("Unsupported".into()),
                        data: Value::Null,
                        info: Value::Null,
                    });
                };
                let payload = request.get("payload").cloned().unwrap_or(Value::Null);
                Ok(
                    match host.invoke(function, payload, std::time::Duration::from_secs(30)) {
                        Ok(result) => Answer::Result(result),
                        Err(e) => Answer::Error {
                            message: e.message,
                            error_type: e.error_type,
                            result: Value::Null,
                        },
                    },
                )
            }
            Some(Source::Unsupported(kind)) => Err(FieldError {
                message: format!("the sandbox does not run {kind} data sources yet (`{source}`)"),
                error_type: Some("Unsupported".into()),
                data: Value::Null,
                info: Value::Null,
            }),
            None => Err(FieldError {
                message: format!("there is no data source `{source}`"),
                error_type: Some("MappingTemplate".into()),
                data: Value::Null,
                info: Value::Null,
            }),
        }
    }

    /// A function or unit resolver's request, data source and response.
    fn unit(&mut self, file: &str, code: &str, source: &str) -> Result<Step, FieldError> {
        let request = match self.handler(file, code, "request")? {
            early @ Step::Early(..) => return Ok(early),
            Step::Value(v) => v,
        };
        match self.data_source(source, &request)? {
            Answer::Result(r) => {
                self.ctx["result"] = r;
                self.ctx["error"] = Value::Null;
            }
            Answer::Error {
                message,
                error_type,
                result,
            } => {
                self.ctx["result"] = result;
                self.ctx["error"] = json!({ "message": message, "type": error_type });
            }
        }
        self.handler(file, code, "response")
    }

    /// A unit resolver's request, data source and response; or a pipeline:
    /// its request handler (whose result is the first function's
    /// `ctx.prev.result`; an early return skips to the response handler), each
    /// function (an early return skips its data source and response, and with
    /// `skipTo: 'END'` the functions after it), then its response handler.
    fn resolver(&mut self, resolver: &Resolver) -> Result<Value, FieldError> {
        match resolver {
            Resolver::Unit { code, source } => match self.unit("resolver.js", code, source)? {
                Step::Value(v) | Step::Early(v, _) => Ok(v),
            },
            Resolver::Pipeline { code, functions } => {
                let (first, skip) = match self.handler("pipeline.js", code, "request")? {
                    Step::Value(v) => (v, false),
                    Step::Early(v, _) => (v, true),
                };
                self.ctx["prev"] = json!({ "result": first });
                if !skip {
                    for id in functions {
                        let Some(f) = self.api.functions.get(id).cloned() else {
                            return Err(FieldError {
                                message: format!("there is no function `{id}`"),
                                error_type: Some("MappingTemplate".into()),
                                data: Value::Null,
                                info: Value::Null,
                            });
                        };
                        let (v, to_end) =
                            match self.unit(&format!("{}.js", f.name), &f.code, &f.source)? {
                                Step::Value(v) => (v, false),
                                Step::Early(v, to_end) => (v, to_end),
                            };
                        self.ctx["prev"] = json!({ "result": v });
                        if to_end {
                            break;
                        }
                    }
                }
                match self.handler("pipeline.js", code, "response")? {
                    Step::Value(v) | Step::Early(v, _) => Ok(v),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lambda_data_source_names_its_function() {
        let sub = json!({ "LambdaFunctionArn": { "Fn::Sub": "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:echo-${env}" } });
        assert_eq!(lambda_function(&sub), "echo-${env}");
        let plain = json!({ "LambdaFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:resize:live" });
        assert_eq!(lambda_function(&plain), "resize");
        let att = json!({ "LambdaFunctionArn": { "Fn::GetAtt": ["ResizeFunction", "Arn"] } });
        assert_eq!(lambda_function(&att), "ResizeFunction");
    }
}
