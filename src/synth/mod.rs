//! Synthesis: the project model in, CloudFormation out. One root stack per
//! environment owning the deployment bucket, the identity pool roles and one
//! nested stack per resource. Pure: returns files, writes nothing.

use std::collections::BTreeMap;
use std::path::PathBuf;

use miette::{Diagnostic, NamedSource, SourceOffset, SourceSpan};
use serde_json::{Value, json};
use thiserror::Error;

use crate::category::{Part, SecretRef, StackError};

use crate::cfn::{self, Template, r#ref, sha256_hex, sub};
use crate::project::{FileSet, Manifest, SourceFile, Sources};

/// The name of the file that describes a build.
pub const BUILD_FILE: &str = "build.json";
pub const ROOT_TEMPLATE: &str = "root.template.json";

#[derive(Debug, Error, Diagnostic)]
pub enum SynthError {
    #[error("there is no environment `{env}` in hoist.toml")]
    #[diagnostic(
        code(hoist::synth::unknown_env),
        help("choose one of: {known}; or add it with `hoist env add {env}`")
    )]
    UnknownEnv { env: String, known: String },

    #[error("`{}` is not a valid JSON Patch: {message}", path.display())]
    #[diagnostic(
        code(hoist::overrides::invalid),
        help(
            "an override is a JSON array of RFC 6902 operations, such as `[{{\"op\": \"replace\", \"path\": \"/Resources/UserPool/Properties/MfaConfiguration\", \"value\": \"ON\"}}]`"
        )
    )]
    OverrideSyntax {
        path: PathBuf,
        message: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("here")]
        span: SourceSpan,
    },

    #[error("`{}`: operation {index} (`{op}` at `{pointer}`) does not apply: {reason}", path.display())]
    #[diagnostic(
        code(hoist::overrides::does_not_apply),
        help(
            "run `hoist synth` without the override and look at the template in `.hoist/build/` for the paths that exist"
        )
    )]
    OverrideDoesNotApply {
        path: PathBuf,
        index: usize,
        op: String,
        pointer: String,
        reason: String,
    },

    /// A resource whose stack cannot be made (a schema, a resolver, a limit).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Stack(#[from] StackError),
}

/// One nested stack of the build.
#[derive(Debug, Clone, PartialEq)]
pub struct NestedStack {
    pub logical_id: String,
    pub category: &'static str,
    pub name: String,
    pub template_file: String,
    /// The content-addressed key the template is uploaded to.
    pub key: String,
    pub sha256: String,
    /// What the root passes to it.
    pub parameters: serde_json::Map<String, Value>,
}

#[derive(Debug, Clone)]
pub struct Build {
    pub env: String,
    pub region: String,
    pub stack_name: String,
    pub stacks: Vec<NestedStack>,
    /// Root parameters that are secrets, and where each comes from at deploy time.
    pub secrets: BTreeMap<String, SecretRef>,
    /// Root parameters that hold an API key's expiry, with its lifetime in days.
    pub key_expiries: BTreeMap<String, u16>,
    /// Templates of stacks nested deeper than the root's (each api model's):
    /// upload key to the file in `files`.
    pub assets: BTreeMap<String, String>,
    /// Relative to `.hoist/build/<env>/`.
    pub files: FileSet,
    /// Function packages: upload key to the function's name (built by
    /// `hoist push` when the key is not in the bucket yet).
    pub code: BTreeMap<String, String>,
    /// What the user should know of what was synthesized (each resource's
    /// [`crate::category::Part::warnings`]).
    pub warnings: Vec<String>,
}

pub fn root_stack_name(project: &str, env: &str) -> String {
    format!("hoist-{project}-{env}")
}

fn apply_override(template: &mut Value, ovr: &SourceFile) -> Result<(), SynthError> {
    let ops: json_patch::Patch = serde_json::from_str(&ovr.text).map_err(|e| {
        let offset = SourceOffset::from_location(&ovr.text, e.line(), e.column().max(1));
        SynthError::OverrideSyntax {
            path: ovr.path.clone(),
            message: e.to_string(),
            src: NamedSource::new(ovr.path.display().to_string(), ovr.text.clone()),
            span: SourceSpan::new(offset, 0),
        }
    })?;
    json_patch::patch(template, &ops).map_err(|e| {
        let op = ops
            .0
            .get(e.operation)
            .and_then(|o| serde_json::to_value(o).ok())
            .and_then(|v| v.get("op").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_default();
        SynthError::OverrideDoesNotApply {
            path: ovr.path.clone(),
            index: e.operation,
            op,
            pointer: e.path.to_string(),
            reason: e.kind.to_string(),
        }
    })
}

/// The deployment bucket: templates and assets, versioned, private, TLS only.
fn add_deployment_bucket(root: &mut Template, project: &str, env: &str) {
    let mut bucket = cfn::private_bucket_properties();
    bucket.insert(
        "VersioningConfiguration".into(),
        json!({ "Status": "Enabled" }),
    );
    bucket.insert(
        "LifecycleConfiguration".into(),
        json!({ "Rules": [{ "Id": "expire-old-versions", "Status": "Enabled", "NoncurrentVersionExpiration": { "NoncurrentDays": 30 }, "AbortIncompleteMultipartUpload": { "DaysAfterInitiation": 7 } }] }),
    );
    bucket.insert(
        "Tags".into(),
        json!([{ "Key": "hoist:project", "Value": project }, { "Key": "hoist:env", "Value": env }]),
    );
    root.resource("DeploymentBucket", "AWS::S3::Bucket", Value::Object(bucket));
    cfn::add_tls_only_policy(root, "DeploymentBucket");
    root.output(
        "DeploymentBucketName",
        "Where hoist uploads templates and assets",
        r#ref("DeploymentBucket"),
    );
}

/// The root stack of a first deploy: the deployment bucket alone, so that the
/// nested templates have somewhere to be uploaded before the real root is applied.
pub fn bootstrap_template(project: &str, env: &str) -> Vec<u8> {
    let mut root = Template::new(format!(
        "hoist root stack of `{project}`, environment `{env}`"
    ));
    add_deployment_bucket(&mut root, project, env);
    cfn::to_bytes(&root.to_json())
}

/// Synthesize the root and nested templates of `env`: the deployment bucket,
/// then each resource's [`Part`] (from [`crate::category::parts`]) as a nested
/// stack with its override applied, its secrets and key expiries as root
/// parameters, and what the root holds for it. `sources.overrides` maps
/// `(category, name)` to the resource's override file, if it has one.
///
/// Errors: an unknown environment, an override that is not a JSON Patch or does
/// not apply, a stack past CloudFormation's limits, and a resource whose stack
/// cannot be made ([`StackError`]).
pub fn synth(manifest: &Manifest, env: &str, sources: &Sources) -> Result<Build, SynthError> {
    let env_section = manifest
        .env
        .get(env)
        .ok_or_else(|| SynthError::UnknownEnv {
            env: env.to_string(),
            known: manifest
                .env
                .keys()
                .map(|e| format!("`{e}`"))
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    let project = &manifest.project.name;
    let mut files = FileSet::new();
    let mut stacks = Vec::new();
    let mut secrets = BTreeMap::new();
    let mut key_expiries = BTreeMap::new();
    // Files written beside the templates: the client schema (uploaded, and to read), and
    // the templates of stacks nested below the root's (uploaded as assets).
    let mut readable = FileSet::new();
    let mut assets = BTreeMap::new();
    let mut code = BTreeMap::new();
    let mut warnings = Vec::new();
    let mut root = Template::new(format!(
        "hoist root stack of `{project}`, environment `{env}`"
    ));
    add_deployment_bucket(&mut root, project, env);

    for part in crate::category::parts(manifest, env, sources) {
        let Part {
            category,
            name,
            logical_id,
            template,
            parameters: extra,
            secrets: part_secrets,
            key_expiry,
            root: part_root,
            assets: part_assets,
            files: part_files,
            code: part_code,
            calls,
            warnings: part_warnings,
        } = part?;
        warnings.extend(part_warnings);
        let mut parameters = serde_json::Map::new();
        parameters.insert("Project".into(), json!(project));
        parameters.insert("Env".into(), json!(env));
        parameters.extend(extra);
        for secret in part_secrets {
            let root_param = format!("{logical_id}{}", secret.name);
            root.parameter(&root_param, json!({ "Type": "String", "NoEcho": true, "Description": format!("{} of {category} `{name}`, resolved at deploy time", secret.name) }));
            parameters.insert(secret.name.clone(), r#ref(&root_param));
            secrets.insert(root_param, secret.source);
        }
        if let Some((parameter, days)) = key_expiry {
            let root_param = format!("{logical_id}KeyExpires");
            root.parameter(&root_param, json!({ "Type": "Number", "Description": format!("When the API key of {category} `{name}` expires, computed at deploy time") }));
            parameters.insert(parameter, r#ref(&root_param));
            key_expiries.insert(root_param, days);
        }
        let mut value = template.to_json();
        if env_section.protected {
            crate::category::protect(&mut value);
        }
        if let Some(ovr) = sources.overrides.get(&(category.to_string(), name.clone())) {
            apply_override(&mut value, ovr)?;
        }
        let bytes = cfn::to_bytes(&value);
        StackError::check_limits(&value, bytes.len(), || format!("{category} `{name}`"))?;
        let sha256 = sha256_hex(&bytes);
        let template_file = format!("{category}-{name}.template.json");
        let key = format!("templates/{category}-{name}-{}.json", &sha256[..16]);
        // the project's functions this resource calls are created before it
        let waits_for: Vec<String> = calls
            .iter()
            .filter_map(|called| {
                manifest
                    .function
                    .keys()
                    .find(|f| [format!("{f}-${{env}}"), format!("{f}-{env}")].contains(called))
            })
            .map(|f| crate::category::logical_id(crate::category::Category::Function, f))
            .collect();
        let stack = root.resource(
            &logical_id,
            "AWS::CloudFormation::Stack",
            json!({
                "TemplateURL": sub(&format!("https://${{DeploymentBucket}}.s3.${{AWS::Region}}.amazonaws.com/{key}")),
                "Parameters": parameters.clone(),
                "Tags": [
                    { "Key": "hoist:project", "Value": project },
                    { "Key": "hoist:env", "Value": env },
                    { "Key": "hoist:resource", "Value": format!("{category}/{name}") }
                ]
            }),
        );
        if !waits_for.is_empty() {
            stack["DependsOn"] = json!(waits_for);
        }
        root.parameters.extend(part_root.parameters);
        root.conditions.extend(part_root.conditions);
        root.resources.extend(part_root.resources);
        root.outputs.extend(part_root.outputs);
        files.insert(template_file.clone(), bytes);
        assets.extend(part_assets);
        code.extend(part_code);
        readable.extend(part_files);
        stacks.push(NestedStack {
            logical_id,
            category,
            name,
            template_file,
            key,
            sha256,
            parameters,
        });
    }

    let root_json = root.to_json();
    if let Some(cycle) = stack_cycle(&root_json) {
        return Err(StackError::Cycle { cycle }.into());
    }
    let root_bytes = cfn::to_bytes(&root_json);
    StackError::check_limits(&root_json, root_bytes.len(), || "root".into())?;
    files.insert(ROOT_TEMPLATE.to_string(), root_bytes);
    files.extend(readable);

    let stack_name = root_stack_name(project, env);
    let build = json!({
        "env": env,
        "region": env_section.region,
        "stack_name": stack_name,
        "root_template": ROOT_TEMPLATE,
        "root_secrets": secrets,
        "root_key_expiry_days": key_expiries,
        "assets": assets,
        "code": code,
        "stacks": stacks.iter().map(|s| json!({
            "logical_id": s.logical_id,
            "category": s.category,
            "name": s.name,
            "template": s.template_file,
            "key": s.key,
            "sha256": s.sha256,
            "parameters": s.parameters,
        })).collect::<Vec<_>>(),
    });
    files.insert(BUILD_FILE.to_string(), cfn::to_bytes(&build));

    Ok(Build {
        env: env.to_string(),
        region: env_section.region.clone(),
        stack_name,
        stacks,
        secrets,
        key_expiries,
        assets,
        files,
        code,
        warnings,
    })
}

/// A cycle among the root's nested stacks (through `DependsOn` and the
/// `Fn::GetAtt`s of their parameters), as `A -> B -> A`; CloudFormation
/// refuses such a template. Made by a function with access to an api whose
/// `@function` calls it.
fn stack_cycle(root: &Value) -> Option<String> {
    let resources = root["Resources"].as_object()?;
    fn targets(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if let Some(target) = map
                    .get("Fn::GetAtt")
                    .and_then(|a| a.get(0))
                    .and_then(Value::as_str)
                {
                    out.push(target.to_string());
                }
                map.values().for_each(|x| targets(x, out));
            }
            Value::Array(items) => items.iter().for_each(|x| targets(x, out)),
            _ => {}
        }
    }
    let mut edges: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (id, r) in resources {
        if r["Type"] != "AWS::CloudFormation::Stack" {
            continue;
        }
        let mut deps: Vec<String> = r["DependsOn"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|d| d.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        targets(&r["Properties"]["Parameters"], &mut deps);
        deps.retain(|d| {
            resources
                .get(d)
                .is_some_and(|x| x["Type"] == "AWS::CloudFormation::Stack")
        });
        edges.insert(id, deps);
    }
    fn visit<'a>(
        node: &'a str,
        edges: &'a BTreeMap<&str, Vec<String>>,
        path: &mut Vec<&'a str>,
        done: &mut std::collections::BTreeSet<&'a str>,
    ) -> Option<String> {
        if let Some(at) = path.iter().position(|n| *n == node) {
            let mut cycle: Vec<&str> = path[at..].to_vec();
            cycle.push(node);
            return Some(cycle.join(" -> "));
        }
        if done.contains(node) {
            return None;
        }
        path.push(node);
        for next in edges.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, edges, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node);
        None
    }
    let mut done = std::collections::BTreeSet::new();
    for node in edges.keys() {
        if let Some(found) = visit(node, &edges, &mut Vec::new(), &mut done) {
            return Some(found);
        }
    }
    None
}
