//! A project function's environment in the sandbox, beyond Lambda's own
//! variables: its grants' variables (`--access`: `STORAGE_<NAME>_BUCKETNAME`,
//! `AUTH_<NAME>_USERPOOLID`, ...) with the sandbox's values, the sandbox's
//! endpoints for the AWS SDKs (`AWS_ENDPOINT_URL`, the SDKs' shared
//! setting, so that no call leaves the machine, and `AWS_ENDPOINT_URL_S3`
//! for the storage port), and credentials of the function's role, which the
//! sandbox's storage, api and tables judge by that role's statements in the
//! function's synthesized stack ("Service-specific endpoints", AWS SDKs and
//! Tools Reference Guide).

use serde_json::Value;

use crate::category::function::FunctionConfig;
use crate::category::function::access;
use crate::project::Manifest;

/// Each function's variables, by its name; set once the sandbox's
/// endpoints are known (before any function runs).
pub type Known =
    std::sync::Arc<std::sync::OnceLock<std::collections::BTreeMap<String, Vec<(String, String)>>>>;

/// What the sandbox serves, for the variables.
pub struct Served<'a> {
    /// The outputs of the project's resources in the sandbox, by
    /// `<category>/<name>` (what `amplify_outputs.json` is written from).
    pub outputs: &'a crate::outputs::DeployedOutputs,
    /// The api port's URL (`http://127.0.0.1:PORT`): the user pool, the
    /// identity pool and Lambda's Invoke API.
    pub endpoint: &'a str,
    /// The storage port's URL, when the sandbox serves buckets.
    pub storage_endpoint: Option<&'a str>,
    pub region: &'a str,
    /// The environment (`${Env}` in a grant's ARN: a workflow's machine).
    pub env: &'a str,
}

/// The variables of `cfg`'s grants with the sandbox's values, and the
/// endpoints. A grant's variable the sandbox has no value for is left out
/// rather than given a deployed-looking value.
pub fn variables(
    manifest: &Manifest,
    cfg: &FunctionConfig,
    served: &Served,
) -> Vec<(String, String)> {
    let wiring = access::wire(&grants_of(manifest, cfg));
    let parameter = |name: &str| parameter(manifest, &wiring, served, name);
    let mut out: Vec<(String, String)> = wiring
        .variables
        .iter()
        .filter_map(|(variable, value)| {
            let resolved = match value {
                Value::Object(map) if map.contains_key("Ref") => parameter(map["Ref"].as_str()?)?,
                Value::Object(map) if map.contains_key("Fn::Sub") => {
                    substitute(map["Fn::Sub"].as_str()?, served, &parameter)?
                }
                Value::String(text) => text.clone(),
                _ => return None,
            };
            Some((variable.clone(), resolved))
        })
        .collect();
    out.push(("AWS_ENDPOINT_URL".into(), served.endpoint.to_string()));
    if let Some(storage) = served.storage_endpoint {
        out.push(("AWS_ENDPOINT_URL_S3".into(), storage.to_string()));
    }
    out
}

/// The function's grants (those hoist.toml's check let through).
fn grants_of(manifest: &Manifest, cfg: &FunctionConfig) -> Vec<access::Grant> {
    cfg.access
        .iter()
        .filter_map(|text| access::parse(text, manifest).ok())
        .collect()
}

/// The sandbox's value of a parameter of the function's stack: the output
/// of another stack of the project, as the root stack would pass it.
fn parameter(
    manifest: &Manifest,
    wiring: &access::Wiring,
    served: &Served,
    name: &str,
) -> Option<String> {
    use crate::category::Category;
    let (_, value) = wiring.parameters.iter().find(|(p, _)| p == name)?;
    let stack = value["Fn::GetAtt"][0].as_str()?;
    let output = value["Fn::GetAtt"][1].as_str()?.strip_prefix("Outputs.")?;
    let named = [
        (Category::Auth, manifest.auth.keys().collect::<Vec<_>>()),
        (Category::Api, manifest.api.keys().collect()),
        (Category::Storage, manifest.storage.keys().collect()),
    ];
    let resource = named
        .iter()
        .flat_map(|(category, names)| names.iter().map(move |n| (*category, *n)))
        .find(|(category, name)| crate::category::logical_id(*category, name) == stack)
        .map(|(category, name)| format!("{}/{name}", category.as_str()))?;
    served.outputs.get(&resource)?.get(output).cloned()
}

/// The `appsync:` statements of the function's role (its `api:` grants),
/// with the sandbox's api id, region and account in their resources; the
/// statements whose resources cannot be resolved are left out (denied).
pub fn api_statements(manifest: &Manifest, cfg: &FunctionConfig, served: &Served) -> Vec<Value> {
    statements(manifest, cfg, served, "appsync:")
}

/// The statements of the function's role whose actions start with
/// `service` (`appsync:`, `dynamodb:`, `cognito-idp:`), their resources (one
/// or a list: strings, `Ref`s of the stack's parameters or `Fn::Sub`)
/// resolved to the sandbox's; a statement with a resource that cannot be
/// resolved is left out (denied).
pub fn statements(
    manifest: &Manifest,
    cfg: &FunctionConfig,
    served: &Served,
    service: &str,
) -> Vec<Value> {
    let wiring = access::wire(&grants_of(manifest, cfg));
    let parameter = |name: &str| parameter(manifest, &wiring, served, name);
    let resolve = |resource: &Value| -> Option<Value> {
        match resource {
            Value::String(text) => Some(Value::String(text.clone())),
            Value::Object(map) if map.contains_key("Ref") => {
                Some(Value::String(parameter(map["Ref"].as_str()?)?))
            }
            _ => Some(Value::String(substitute(
                resource["Fn::Sub"].as_str()?,
                served,
                &parameter,
            )?)),
        }
    };
    wiring
        .statements
        .iter()
        .filter(|s| {
            let action = &s["Action"];
            std::iter::once(action)
                .chain(action.as_array().into_iter().flatten())
                .any(|a| a.as_str().is_some_and(|a| a.starts_with(service)))
        })
        .filter_map(|s| {
            let mut out = s.clone();
            out["Resource"] = match &s["Resource"] {
                Value::Array(items) => {
                    Value::Array(items.iter().map(resolve).collect::<Option<Vec<_>>>()?)
                }
                one => resolve(one)?,
            };
            Some(out)
        })
        .collect()
}

/// The api's tables as its stack's outputs name them (`<Model>TableName`)
/// with the sandbox's names (`<api>.<table's logical id>`, as the sandbox
/// loads them), read from the build's model templates.
pub fn table_outputs(build: &std::path::Path, api: &str) -> Vec<(String, String)> {
    let Ok(entries) = std::fs::read_dir(build.join(format!("api-{api}"))) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(model) = name
            .strip_prefix("model-")
            .and_then(|n| n.strip_suffix(".template.json"))
        else {
            continue;
        };
        let template: Value = std::fs::read(entry.path())
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let table = template["Resources"].as_object().and_then(|r| {
            r.iter()
                .find(|(_, v)| v["Type"] == "AWS::DynamoDB::Table")
                .map(|(id, _)| id.clone())
        });
        if let Some(table) = table {
            out.push((
                format!("{}TableName", crate::naming::pascal(model)),
                format!("{api}.{table}"),
            ));
        }
    }
    out
}

/// A `Fn::Sub` string with the pseudo parameters and the parameters
/// resolved; None when one cannot be.
fn substitute(
    text: &str,
    served: &Served,
    parameter: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}')?;
        let name = &after[..end];
        out.push_str(&match name {
            "AWS::Partition" => "aws".to_string(),
            "AWS::Region" => served.region.to_string(),
            "AWS::AccountId" => super::auth::ACCOUNT_ID.to_string(),
            "Env" => served.env.to_string(),
            other => parameter(other)?,
        });
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}
