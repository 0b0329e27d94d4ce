//! Frontend configuration: `amplify_outputs.json`, in the Amplify outputs
//! schema (version 1.x) that the Amplify client libraries read on every platform.

use serde_json::{Value, json};

pub const OUTPUTS_FILE: &str = "amplify_outputs.json";
/// The version of the outputs schema hoist writes.
pub const SCHEMA_VERSION: &str = "1.4";

/// The outputs of a project with no deployed backend yet: valid for
/// `Amplify.configure()`, with no category configured.
pub fn empty() -> Value {
    json!({ "version": SCHEMA_VERSION })
}

/// Serialized as the file is written: pretty, with a trailing newline.
pub fn to_file_contents(outputs: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(outputs).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// The stack outputs of each deployed resource, keyed by `category/name`.
pub type DeployedOutputs =
    std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("the deployed stack of {resource} has no output `{output}`")]
#[diagnostic(
    code(hoist::outputs::missing),
    help(
        "the stack was deployed by another hoist version or changed by hand; run `hoist push` to update it"
    )
)]
pub struct MissingOutput {
    pub resource: String,
    pub output: String,
}

/// `amplify_outputs.json` for `env`, from the project model and what its stacks output.
pub fn amplify_outputs(
    manifest: &crate::project::Manifest,
    env: &str,
    deployed: &DeployedOutputs,
) -> Result<Value, MissingOutput> {
    use crate::category::{api, auth, storage};
    let region = manifest
        .env
        .get(env)
        .map(|e| e.region.clone())
        .unwrap_or_default();
    let empty = std::collections::BTreeMap::new();
    let outputs_of = |category: &str, name: &str| {
        deployed
            .get(&format!("{category}/{name}"))
            .unwrap_or(&empty)
    };
    let missing = |resource: String| move |output: String| MissingOutput { resource, output };

    let mut out = empty_object();
    if let Some((name, cfg)) = manifest.auth.iter().next() {
        let section = auth::amplify_outputs(cfg, env, &region, outputs_of("auth", name))
            .map_err(missing(format!("auth `{name}`")))?;
        out.insert("auth".into(), section);
    }
    if let Some((name, cfg)) = manifest.api.iter().next() {
        let section = api::amplify_outputs(cfg, &region, outputs_of("api", name))
            .map_err(missing(format!("api `{name}`")))?;
        out.insert("data".into(), section);
    }
    let mut buckets = Vec::new();
    for (name, cfg) in &manifest.storage {
        buckets.push(
            storage::amplify_outputs_bucket(name, cfg, &region, outputs_of("storage", name))
                .map_err(missing(format!("storage `{name}`")))?,
        );
    }
    if let Some(first) = buckets.first() {
        out.insert(
            "storage".into(),
            json!({ "aws_region": region, "bucket_name": first["bucket_name"], "buckets": buckets }),
        );
    }
    // the outputs schema's free-form `custom` section: what the app needs to
    // start a workflow with the AWS SDK for Step Functions
    let mut workflows = serde_json::Map::new();
    for (name, cfg) in &manifest.workflow {
        let deployed = outputs_of("workflow", name);
        let arn = deployed
            .get("Arn")
            .cloned()
            .ok_or_else(|| missing(format!("workflow `{name}`"))("Arn".to_string()))?;
        let mut section = json!({
            "state_machine_arn": arn,
            "type": cfg.machine_type.cfn(),
            "aws_region": region,
        });
        if !cfg.activities.is_empty() {
            // what the workers poll
            let mut activities = serde_json::Map::new();
            for activity in &cfg.activities {
                let output = crate::category::workflow::stack::activity_output(activity);
                if let Some(arn) = deployed.get(&output) {
                    activities.insert(activity.clone(), Value::String(arn.clone()));
                }
            }
            section["activities"] = Value::Object(activities);
        }
        if let Some(auth) = cfg.api {
            // Amplify's REST client takes `endpoint` (`API.REST.<name>`)
            let endpoint = deployed
                .get(crate::category::workflow::triggers::API_ENDPOINT)
                .cloned()
                .ok_or_else(|| {
                    missing(format!("workflow `{name}`"))(
                        crate::category::workflow::triggers::API_ENDPOINT.to_string(),
                    )
                })?;
            section["api"] = json!({
                "endpoint": endpoint,
                "path": format!("/workflows/{name}"),
                "authorization_type": auth.cfn(),
            });
            // a workflow that waits for task tokens is answered there too
            for (path, _) in crate::category::workflow::triggers::ANSWERS {
                let output = crate::category::workflow::triggers::answer_output(path);
                if let Some(at) = deployed.get(&output) {
                    section["api"][format!("{}_path", path.replace('-', "_"))] = json!(at);
                }
            }
        }
        workflows.insert(name.clone(), section);
    }
    if !workflows.is_empty() {
        out.insert("custom".into(), json!({ "workflows": workflows }));
    }
    Ok(Value::Object(out))
}

fn empty_object() -> serde_json::Map<String, Value> {
    match empty() {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}
