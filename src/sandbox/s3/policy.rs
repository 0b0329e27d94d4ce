//! Who may do what in a sandbox bucket: the synthesized IAM policies, read
//! from the templates `push` deploys and evaluated as IAM evaluates them
//! (IAM User Guide, "Policy evaluation logic": an explicit deny in any
//! policy wins, else an allow in the role's identity policies or the bucket
//! policy, else the request is implicitly denied). No second rule set is
//! written here: what the sandbox allows is what the policies allow.
//!
//! The policies' intrinsic functions are resolved with the sandbox's bucket
//! (`Fn::Sub` of `${Bucket.Arn}`, `Fn::GetAtt` and `Ref` of the bucket, the
//! stack's parameters as the root stack passes them); the roles they are
//! attached to are followed from the storage stack's parameters to the root
//! stack's roles and the auth stack's group roles, by logical id.

use std::collections::BTreeMap;

use iam_rs::{
    Arn, Context, ContextValue, Decision, IAMPolicy, IAMRequest, Principal, PrincipalId,
    evaluate_policies, interpolate_variables,
};
use serde_json::{Map, Value, json};

use crate::sandbox::auth::ACCOUNT_ID;

/// One CORS rule of the bucket (`CorsConfiguration.CorsRules[]`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CorsRule {
    pub allowed_origins: Vec<String>,
    pub allowed_methods: Vec<String>,
    pub allowed_headers: Vec<String>,
    pub exposed_headers: Vec<String>,
    pub max_age: Option<u64>,
}

/// A sandbox bucket's rules, from its storage stack.
#[derive(Debug, Clone, Default)]
pub struct BucketRules {
    /// The bucket's ARN, `arn:aws:s3:::<name>`.
    pub arn: String,
    /// The identity policies attached to each role (by the role's logical id).
    pub role_policies: BTreeMap<String, Vec<Value>>,
    /// The bucket policy, if the stack has one.
    pub bucket_policy: Option<Value>,
    pub cors: Vec<CorsRule>,
}

/// What a request asks IAM: its action and resource, and the condition keys
/// it brings (`s3:prefix`, `s3:delimiter`, `s3:max-keys`).
#[derive(Debug, Clone)]
pub struct Ask<'a> {
    pub action: &'a str,
    /// `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key`.
    pub resource: String,
    pub keys: Vec<(&'static str, String)>,
}

/// The key of a function's role in [`BucketRules::role_policies`] (`/`
/// is in no logical id, so no other role has it).
fn function_role_key(role: &str) -> String {
    format!("function/{role}")
}

/// A policy's `Statement`: one statement or a list of them.
fn strings_or_items(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// The stack's parameters as the root stack passes them: literal strings,
/// or a role, named by its logical id (a `Ref` to a root role, or a
/// `Fn::GetAtt` of an auth stack output that is a `Ref` to a group role).
fn parameters(
    nested: &Value,
    root: &Value,
    stacks: &dyn Fn(&str) -> Option<Value>,
) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    let Some(given) = nested["Properties"]["Parameters"].as_object() else {
        return Ok(out);
    };
    for (name, value) in given {
        let resolved = if let Some(text) = value.as_str() {
            text.to_string()
        } else if let Some(target) = value["Ref"].as_str() {
            if root["Resources"][target].is_null() {
                return Err(format!(
                    "parameter {name}: the root stack has no resource {target}"
                ));
            }
            target.to_string()
        } else if let (Some(stack), Some(attribute)) = (
            value["Fn::GetAtt"][0].as_str(),
            value["Fn::GetAtt"][1].as_str(),
        ) {
            let output = attribute.strip_prefix("Outputs.").ok_or_else(|| {
                format!("parameter {name}: {stack}.{attribute} is not a stack output")
            })?;
            let template = stacks(stack)
                .ok_or_else(|| format!("parameter {name}: no template for the stack {stack}"))?;
            template["Outputs"][output]["Value"]["Ref"]
                .as_str()
                .ok_or_else(|| {
                    format!("parameter {name}: the output {stack}.{output} is not a Ref")
                })?
                .to_string()
        } else {
            return Err(format!("parameter {name}: {value} cannot be resolved"));
        };
        out.insert(name.clone(), Value::String(resolved));
    }
    Ok(out)
}

/// A `Fn::Sub` string with the stack's parameters and the bucket's ARN
/// (`${!...}` stays as the IAM policy variable `${...}`).
fn substitute(
    text: &str,
    params: &Map<String, Value>,
    bucket_arn: &str,
    bucket_name: &str,
) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("`{text}`: an unclosed ${{"))?;
        let name = &after[..end];
        if let Some(literal) = name.strip_prefix('!') {
            out.push_str(&format!("${{{literal}}}"));
        } else {
            let value = match name {
                "Bucket.Arn" => bucket_arn.to_string(),
                "Bucket" => bucket_name.to_string(),
                "AWS::AccountId" => ACCOUNT_ID.to_string(),
                "AWS::Partition" => "aws".to_string(),
                other => params
                    .get(other)
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("`{text}`: ${{{other}}} cannot be resolved"))?
                    .to_string(),
            };
            out.push_str(&value);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A policy document with its intrinsic functions resolved.
fn resolve(
    value: &Value,
    params: &Map<String, Value>,
    bucket_arn: &str,
    bucket_name: &str,
) -> Result<Value, String> {
    Ok(match value {
        Value::Object(map) if map.len() == 1 && map.contains_key("Fn::Sub") => {
            let text = map["Fn::Sub"]
                .as_str()
                .ok_or("a Fn::Sub with variables is not used in storage policies")?;
            Value::String(substitute(text, params, bucket_arn, bucket_name)?)
        }
        Value::Object(map) if map.len() == 1 && map.contains_key("Fn::GetAtt") => {
            match (map["Fn::GetAtt"][0].as_str(), map["Fn::GetAtt"][1].as_str()) {
                (Some("Bucket"), Some("Arn")) => Value::String(bucket_arn.to_string()),
                _ => return Err(format!("{value} cannot be resolved")),
            }
        }
        Value::Object(map) if map.len() == 1 && map.contains_key("Ref") => {
            match map["Ref"].as_str() {
                Some("Bucket") => Value::String(bucket_name.to_string()),
                Some(p) if params.contains_key(p) => params[p].clone(),
                _ => return Err(format!("{value} cannot be resolved")),
            }
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), resolve(v, params, bucket_arn, bucket_name)?)))
                .collect::<Result<_, String>>()?,
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| resolve(v, params, bucket_arn, bucket_name))
                .collect::<Result<_, _>>()?,
        ),
        other => other.clone(),
    })
}

impl BucketRules {
    /// The rules of the bucket `bucket_name` stands for: the storage stack
    /// `template`, passed its parameters by the root stack's resource
    /// `nested_logical_id`; `stacks` gives the template of another nested
    /// stack by its logical id (the auth stack, for group roles). Errors:
    /// what cannot be resolved (the sandbox would rather refuse to start
    /// than guess at a policy).
    pub fn from_templates(
        bucket_name: &str,
        template: &Value,
        root: &Value,
        nested_logical_id: &str,
        stacks: &dyn Fn(&str) -> Option<Value>,
    ) -> Result<BucketRules, String> {
        let arn = format!("arn:aws:s3:::{bucket_name}");
        let nested = &root["Resources"][nested_logical_id];
        if nested.is_null() {
            return Err(format!("the root stack has no {nested_logical_id}"));
        }
        let params = parameters(nested, root, stacks)?;
        let mut rules = BucketRules {
            arn: arn.clone(),
            ..BucketRules::default()
        };
        let resources = template["Resources"]
            .as_object()
            .ok_or("the storage template has no Resources")?;
        for (logical, resource) in resources {
            let properties = &resource["Properties"];
            match resource["Type"].as_str() {
                Some("AWS::IAM::Policy") => {
                    let document =
                        resolve(&properties["PolicyDocument"], &params, &arn, bucket_name)
                            .map_err(|e| format!("{logical}: {e}"))?;
                    let roles = resolve(&properties["Roles"], &params, &arn, bucket_name)
                        .map_err(|e| format!("{logical}: {e}"))?;
                    for role in strings(&roles) {
                        rules
                            .role_policies
                            .entry(role)
                            .or_default()
                            .push(document.clone());
                    }
                }
                Some("AWS::S3::BucketPolicy") => {
                    let document =
                        resolve(&properties["PolicyDocument"], &params, &arn, bucket_name)
                            .map_err(|e| format!("{logical}: {e}"))?;
                    // the sandbox's callers are its roles' sessions, which only `*` names
                    // for certain: another principal could not be matched faithfully
                    let statements = match &document["Statement"] {
                        Value::Array(items) => items.clone(),
                        other => vec![other.clone()],
                    };
                    if let Some(s) = statements.iter().find(|s| s["Principal"] != "*") {
                        return Err(format!(
                            "{logical}: a bucket policy statement for {} (the sandbox evaluates statements for the principal \"*\" only)",
                            s.get("Principal")
                                .or_else(|| s.get("NotPrincipal"))
                                .unwrap_or(&Value::Null)
                        ));
                    }
                    rules.bucket_policy = Some(document);
                }
                Some("AWS::S3::Bucket") => {
                    for rule in properties["CorsConfiguration"]["CorsRules"]
                        .as_array()
                        .into_iter()
                        .flatten()
                    {
                        rules.cors.push(CorsRule {
                            allowed_origins: strings(&rule["AllowedOrigins"]),
                            allowed_methods: strings(&rule["AllowedMethods"]),
                            allowed_headers: strings(&rule["AllowedHeaders"]),
                            exposed_headers: strings(&rule["ExposedHeaders"]),
                            max_age: rule["MaxAge"].as_u64(),
                        });
                    }
                }
                _ => {}
            }
        }
        Ok(rules)
    }

    /// Add a project function's execution role (`role`, the function's
    /// logical id in the root stack) with the S3 statements of its
    /// synthesized `template` (the role's inline policies) that name this
    /// bucket: `bucket_parameter` is the template's parameter that carries
    /// the bucket's name. Statements on other resources are not this
    /// bucket's to judge and are left out.
    pub fn add_function_role(&mut self, role: &str, template: &Value, bucket_parameter: &str) {
        let bucket_name = self.arn.trim_start_matches("arn:aws:s3:::").to_string();
        let mut params = Map::new();
        params.insert(bucket_parameter.to_string(), json!(bucket_name));
        let statements: Vec<Value> = template["Resources"]["Role"]["Properties"]["Policies"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|p| strings_or_items(&p["PolicyDocument"]["Statement"]))
            .filter(|s| strings(&s["Action"]).iter().any(|a| a.starts_with("s3:")))
            .filter_map(|s| resolve(&s, &params, &self.arn, &bucket_name).ok())
            .collect();
        if !statements.is_empty() {
            self.role_policies
                .entry(function_role_key(role))
                .or_default()
                .push(json!({ "Version": "2012-10-17", "Statement": statements }));
        }
    }

    /// IAM's decision on `ask` by `caller`: allowed only when an identity
    /// policy of the caller's role or the bucket policy allows it and none
    /// denies it. The request context carries what an identity pool's
    /// credentials carry (`cognito-identity.amazonaws.com:sub`, `:aud`,
    /// `:amr`), `aws:SecureTransport` as true (the sandbox stands in for
    /// S3's HTTPS endpoint), and the ask's own keys.
    pub fn allows(
        &self,
        caller: &crate::sandbox::auth::StorageCaller,
        identity_pool_id: &str,
        ask: &Ask,
    ) -> bool {
        let mut context = Context::new()
            .with_string(
                "cognito-identity.amazonaws.com:sub",
                caller.identity_id.clone(),
            )
            .with_string("cognito-identity.amazonaws.com:aud", identity_pool_id)
            .with_string("cognito-identity.amazonaws.com:amr", caller.kind.clone())
            .with_string("aws:PrincipalAccount", ACCOUNT_ID)
            .with_boolean("aws:SecureTransport", true);
        for (key, value) in &ask.keys {
            context.insert((*key).to_string(), ContextValue::String(value.clone()));
        }
        let Ok(resource) = Arn::parse(&ask.resource) else {
            return false;
        };
        let principal = Principal::Aws(PrincipalId::String(format!(
            "arn:aws:sts::{ACCOUNT_ID}:assumed-role/{}/CognitoIdentityCredentials",
            caller.role
        )));
        let request = IAMRequest::new_with_context(principal, ask.action, resource, context);
        let decide = |documents: &[&Value]| -> Option<Decision> {
            let policies = documents
                .iter()
                .map(|d| {
                    serde_json::from_value::<IAMPolicy>(with_condition_variables(
                        d,
                        &request.context,
                    )?)
                    .ok()
                })
                .collect::<Option<Vec<_>>>()?;
            evaluate_policies(&policies, &request).ok()
        };
        // a function's role has keys of its own: a group named `FunctionX`
        // has the role `FunctionXGroupRole`, which a function could be named too
        let key = if caller.kind == "function" {
            function_role_key(&caller.role)
        } else {
            caller.role.clone()
        };
        let identity: Vec<&Value> = self
            .role_policies
            .get(&key)
            .map(|p| p.iter().collect())
            .unwrap_or_default();
        // a policy that cannot be read or evaluated denies: never a silent allow
        let Some(identity) = decide(&identity) else {
            return false;
        };
        let bucket = match &self.bucket_policy {
            Some(policy) => match decide(&[policy]) {
                Some(d) => d,
                None => return false,
            },
            None => Decision::NotApplicable,
        };
        if identity == Decision::Deny || bucket == Decision::Deny {
            return false;
        }
        identity == Decision::Allow || bucket == Decision::Allow
    }
}

/// The policy with the variables in its condition values replaced, as IAM
/// replaces them (IAM User Guide, "IAM policy elements: Variables and tags":
/// variables work in `Resource` and in condition values). iam-rs replaces
/// them in `Resource` itself; None when a resource or condition value names
/// a variable the request does not have (IAM then does not match it; a
/// policy that is not built here denies).
fn with_condition_variables(document: &Value, context: &Context) -> Option<Value> {
    let mut document = document.clone();
    let statements = match &mut document["Statement"] {
        Value::Array(items) => items.iter_mut().collect::<Vec<_>>(),
        single @ Value::Object(_) => vec![single],
        _ => Vec::new(),
    };
    for statement in statements {
        // iam-rs puts "" for a variable the request does not have: a resource
        // such as `private/${aws:username}/*` would then match `private//*`
        for field in ["Resource", "NotResource"] {
            let texts = match &statement[field] {
                Value::String(t) => vec![t.clone()],
                Value::Array(items) => items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            };
            if texts.iter().any(|t| !variables_known(t, context)) {
                return None;
            }
        }
        let Some(operators) = statement
            .get_mut("Condition")
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        for keys in operators.values_mut() {
            let Some(keys) = keys.as_object_mut() else {
                continue;
            };
            for value in keys.values_mut() {
                let values = match value {
                    Value::Array(items) => items.iter_mut().collect::<Vec<_>>(),
                    other => vec![other],
                };
                for v in values {
                    if let Value::String(text) = v
                        && text.contains("${")
                    {
                        if !variables_known(text, context) {
                            return None;
                        }
                        *text = interpolate_variables(text, context).ok()?;
                    }
                }
            }
        }
    }
    Some(document)
}

/// Whether every variable in `text` without a default has a value in `context`.
fn variables_known(text: &str, context: &Context) -> bool {
    text.split("${").skip(1).all(|rest| {
        let inner = rest.split('}').next().unwrap_or_default();
        inner.contains(',') || context.has_key(inner.trim())
    })
}

/// Whether `text` matches an IAM-style pattern (`*` any run, `?` one character).
pub fn wildcard(pattern: &str, text: &str) -> bool {
    Arn::wildcard_match(text, pattern)
}
