//! Synthesis: the project model in, CloudFormation out. One root stack per
//! environment owning the deployment bucket, the identity pool roles and one
//! nested stack per resource. Pure: returns files, writes nothing.

pub mod cfn;

use std::collections::BTreeMap;
use std::path::PathBuf;

use miette::{Diagnostic, NamedSource, SourceOffset, SourceSpan};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::category::{SecretRef, api, auth, storage};
use crate::project::{FileSet, Manifest, SourceFile, Sources};
use cfn::{Template, get_att, r#ref, sub};

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

    #[error(transparent)]
    #[diagnostic(transparent)]
    Schema(Box<crate::transform::SchemaErrors>),

    #[error("the api `{name}` has no schema: `{}` is missing", path.display())]
    #[diagnostic(
        code(hoist::api::no_schema),
        help(
            "write the schema there, or add the api again with `hoist add api {name} --template todo`"
        )
    )]
    NoSchema { name: String, path: PathBuf },

    #[error("the {stack} stack would exceed CloudFormation's limits: {problems}")]
    #[diagnostic(
        code(hoist::synth::limits),
        help("split the resource into smaller ones")
    )]
    Limits { stack: String, problems: String },

    /// An embedded resolver template that does not render: a bug in hoist.
    #[error("internal error: {0}")]
    #[diagnostic(
        code(hoist::internal),
        help(
            "this is a bug in hoist, not in your project; please report it with the command you ran"
        )
    )]
    Render(#[from] crate::render::RenderError),

    #[error("`{type_name}.{field}` of the api `{name}` has no resolver")]
    #[diagnostic(
        code(hoist::synth::no_resolver),
        help(
            "write one in `{path}` (AppSync JavaScript, `request` and `response`, run on a NONE data source), or remove the field"
        )
    )]
    NoResolver {
        name: String,
        type_name: String,
        field: String,
        path: String,
    },
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
}

pub fn root_stack_name(project: &str, env: &str) -> String {
    format!("hoist-{project}-{env}")
}

/// Lowercase hex SHA-256: content addresses and change detection.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
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

/// Synthesize the root and nested templates of `env`. `overrides` maps
/// `(category, name)` to the resource's override file, if it has one.
/// The transform of an api's schema files (`hoist/api/<name>/schema.graphql`, or
/// the files of its `schema/` folder), with the api's authorization modes.
pub fn transform_api(
    name: &str,
    cfg: &crate::category::api::ApiConfig,
    schema: &[SourceFile],
) -> Result<crate::transform::Output, SynthError> {
    if schema.is_empty() {
        return Err(SynthError::NoSchema {
            name: name.to_string(),
            path: ["hoist", "api", name, "schema.graphql"].iter().collect(),
        });
    }
    let files: Vec<(String, String)> = schema
        .iter()
        .map(|f| (f.path.display().to_string(), f.text.clone()))
        .collect();
    let folder: PathBuf = ["hoist", "api", name, "schema"].iter().collect();
    crate::transform::transform_files(
        &files,
        &folder.display().to_string(),
        &cfg.transform_modes(),
    )
    .map_err(|e| SynthError::Schema(Box::new(e)))
}

pub fn synth(manifest: &Manifest, env: &str, sources: &Sources) -> Result<Build, SynthError> {
    let overrides = &sources.overrides;
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
    // Files written beside the templates: the generated schema and resolvers to read, and
    // the templates of stacks nested below the root's (uploaded as assets).
    let mut readable = FileSet::new();
    let mut assets = BTreeMap::new();
    let mut root = Template::new(format!(
        "hoist root stack of `{project}`, environment `{env}`"
    ));

    add_deployment_bucket(&mut root, project, env);

    let mut nested = |logical_id: String,
                      category: &'static str,
                      name: &str,
                      template: Template,
                      parameters: serde_json::Map<String, Value>,
                      root: &mut Template|
     -> Result<(), SynthError> {
        let mut value = template.to_json();
        if let Some(ovr) = overrides.get(&(category.to_string(), name.to_string())) {
            apply_override(&mut value, ovr)?;
        }
        let bytes = cfn::to_bytes(&value);
        let problems = cfn::limit_problems(&value, bytes.len());
        if !problems.is_empty() {
            return Err(SynthError::Limits {
                stack: format!("{category} `{name}`"),
                problems: problems.join(", "),
            });
        }
        let sha256 = sha256_hex(&bytes);
        let template_file = format!("{category}-{name}.template.json");
        let key = format!("templates/{category}-{name}-{}.json", &sha256[..16]);
        root.resource(
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
        files.insert(template_file.clone(), bytes);
        stacks.push(NestedStack {
            logical_id,
            category,
            name: name.to_string(),
            template_file,
            key,
            sha256,
            parameters,
        });
        Ok(())
    };
    let base_parameters = || {
        let mut p = serde_json::Map::new();
        p.insert("Project".into(), json!(project));
        p.insert("Env".into(), json!(env));
        p
    };

    // auth: the nested stack, then the identity pool roles in the root (their
    // trust policies name the identity pool), then the pool's role attachment.
    let auth = manifest.auth.iter().next();
    if let Some((name, cfg)) = auth {
        let logical = format!("Auth{}", crate::naming::pascal(name));
        let (template, auth_secrets) = auth::synth(name, cfg, env);
        let mut parameters = base_parameters();
        for secret in auth_secrets {
            let root_param = format!("{logical}{}", secret.name);
            root.parameter(&root_param, json!({ "Type": "String", "NoEcho": true, "Description": format!("{} of auth `{name}`, resolved at deploy time", secret.name) }));
            parameters.insert(secret.name.clone(), r#ref(&root_param));
            secrets.insert(root_param, secret.source);
        }
        nested(
            logical.clone(),
            "auth",
            name,
            template,
            parameters,
            &mut root,
        )?;

        let identity_pool = get_att(
            &logical,
            &format!("Outputs.{}", auth::outputs::IDENTITY_POOL_ID),
        );
        root.resource(
            "AuthRole",
            "AWS::IAM::Role",
            json!({
                "Description": "Assumed by signed-in users through the identity pool",
                "AssumeRolePolicyDocument": cfn::identity_pool_trust(identity_pool.clone(), "authenticated")
            }),
        );
        root.output(
            "AuthRoleName",
            "The role of signed-in users",
            r#ref("AuthRole"),
        );
        root.output(
            "AuthRoleArn",
            "The role ARN of signed-in users",
            get_att("AuthRole", "Arn"),
        );
        let mut roles = json!({ "authenticated": get_att("AuthRole", "Arn") });
        if cfg.guest_access {
            root.resource(
                "UnauthRole",
                "AWS::IAM::Role",
                json!({
                    "Description": "Assumed by guests through the identity pool",
                    "AssumeRolePolicyDocument": cfn::identity_pool_trust(identity_pool.clone(), "unauthenticated")
                }),
            );
            root.output("UnauthRoleName", "The role of guests", r#ref("UnauthRole"));
            root.output(
                "UnauthRoleArn",
                "The role ARN of guests",
                get_att("UnauthRole", "Arn"),
            );
            roles["unauthenticated"] = get_att("UnauthRole", "Arn");
        }
        let mut attachment = json!({ "IdentityPoolId": identity_pool, "Roles": roles });
        if !cfg.groups.is_empty() {
            // Members of a group get the group's role, from the `cognito:preferred_role` claim.
            attachment["RoleMappings"] = json!({
                "UserPool": {
                    "Type": "Token",
                    "AmbiguousRoleResolution": "AuthenticatedRole",
                    "IdentityProvider": cfn::join(vec![
                        get_att(&logical, &format!("Outputs.{}", auth::outputs::USER_POOL_PROVIDER_NAME)),
                        json!(":"),
                        get_att(&logical, &format!("Outputs.{}", auth::outputs::USER_POOL_CLIENT_ID)),
                    ])
                }
            });
        }
        root.resource(
            "IdentityPoolRoleAttachment",
            "AWS::Cognito::IdentityPoolRoleAttachment",
            attachment,
        );
    }

    for (name, cfg) in &manifest.api {
        let logical = format!("Api{}", crate::naming::pascal(name));
        let schema = sources.schemas.get(name).map_or(&[][..], Vec::as_slice);
        let transformed = transform_api(name, cfg, schema)?;
        let empty = BTreeMap::new();
        let user_resolvers = sources.resolvers.get(name).unwrap_or(&empty);
        let sdl = transformed.sdl.clone().into_bytes();
        let schema_key = format!(
            "templates/api-{name}-schema-{}.graphql",
            &sha256_hex(&sdl)[..16]
        );
        assets.insert(schema_key.clone(), format!("api-{name}/schema.graphql"));
        let mut template = api::synth(name, cfg, &schema_key);
        // The user's own root fields: their resolver runs after the field's access check.
        let mut custom = Vec::new();
        for f in &transformed.custom_fields {
            let file = format!("{}.{}.js", f.type_name, f.field);
            if !f.functions.is_empty() {
                // `@function`: the Lambdas resolve it; a resolver of the user's runs after them
                custom.push((f, user_resolvers.get(&file).cloned()));
                continue;
            }
            let Some(code) = user_resolvers.get(&file) else {
                return Err(SynthError::NoResolver {
                    name: name.clone(),
                    type_name: f.type_name.clone(),
                    field: f.field.clone(),
                    path: format!("hoist/api/{name}/resolvers/{file}"),
                });
            };
            custom.push((f, Some(code.clone())));
        }
        api::add_custom_resolvers(&mut template, &custom)?;
        for (f, _) in &custom {
            readable.insert(
                format!("api-{name}/resolvers/{}.{}.auth.js", f.type_name, f.field),
                api::custom_pipeline_code(f.grants.as_deref())?.into_bytes(),
            );
            if !f.functions.is_empty() {
                readable.insert(
                    format!("api-{name}/resolvers/{}.{}.invoke.js", f.type_name, f.field),
                    api::INVOKE_CODE.as_bytes().to_vec(),
                );
            }
        }
        // One nested stack per model, uploaded beside the api's; grouped in stacks of
        // their own when there are more than one stack can hold.
        let mut register =
            |file: String, value: Value, what: String| -> Result<String, SynthError> {
                let bytes = cfn::to_bytes(&value);
                let problems = cfn::limit_problems(&value, bytes.len());
                if !problems.is_empty() {
                    return Err(SynthError::Limits {
                        stack: what,
                        problems: problems.join(", "),
                    });
                }
                let stem = file.trim_end_matches(".template.json").replace('/', "-");
                let key = format!("templates/{stem}-{}.json", &sha256_hex(&bytes)[..16]);
                assets.insert(key.clone(), file.clone());
                readable.insert(file, bytes);
                Ok(key)
            };
        let mut model_keys = Vec::new();
        for model in &transformed.models {
            let value =
                api::model_stack(name, model, &transformed.models, user_resolvers)?.to_json();
            let key = register(
                format!("api-{name}/model-{}.template.json", model.name),
                value,
                format!("api `{name}`, model `{}`", model.name),
            )?;
            model_keys.push((model.name.clone(), key));
        }
        // Searchable models' stacks stay in the api's template: their streams feed its search domain.
        let searchable: Vec<&crate::transform::Model> = transformed
            .models
            .iter()
            .filter(|m| m.searchable.is_some())
            .collect();
        let (direct, grouped): (Vec<_>, Vec<_>) = model_keys
            .into_iter()
            .partition(|(model, _)| searchable.iter().any(|m| &m.name == model));
        for (model, key) in &direct {
            api::add_model_stack(&mut template, model, key, true);
        }
        api::add_search(&mut template, &searchable, user_resolvers)?;
        if direct.len() + grouped.len() <= api::MODELS_PER_STACK {
            for (model, key) in &grouped {
                api::add_model_stack(&mut template, model, key, true);
            }
        } else {
            for (index, group) in grouped.chunks(api::MODELS_PER_STACK).enumerate() {
                let value = api::group_stack(name, index, group).to_json();
                let key = register(
                    format!("api-{name}/models-{index}.template.json"),
                    value,
                    format!("api `{name}`, models group {index}"),
                )?;
                api::add_group_stack(&mut template, index, &key);
            }
        }
        // What the API serves, for reading: the client-facing schema and every resolver.
        readable.insert(
            format!("api-{name}/schema.graphql"),
            transformed.sdl.clone().into_bytes(),
        );
        for m in &searchable {
            if let Some(r) = api::search_resolver(m)? {
                let code = user_resolvers.get(&r.file).cloned().unwrap_or(r.code);
                readable.insert(
                    format!("api-{name}/resolvers/{}", r.file),
                    code.into_bytes(),
                );
            }
        }
        if !searchable.is_empty() {
            readable.insert(
                format!("api-{name}/search-streaming/index.js"),
                api::SEARCH_STREAMING_CODE.as_bytes().to_vec(),
            );
        }
        for model in &transformed.models {
            for r in api::all_resolvers(model, &transformed.models)? {
                let code = user_resolvers.get(&r.file).cloned().unwrap_or(r.code);
                readable.insert(
                    format!("api-{name}/resolvers/{}", r.file),
                    code.into_bytes(),
                );
            }
        }
        let mut parameters = base_parameters();
        parameters.insert("DeploymentBucket".into(), r#ref("DeploymentBucket"));
        if cfg.uses(api::AuthMode::UserPools)
            && let Some((auth_name, _)) = auth
        {
            let auth_logical = format!("Auth{}", crate::naming::pascal(auth_name));
            parameters.insert(
                "UserPoolId".into(),
                get_att(
                    &auth_logical,
                    &format!("Outputs.{}", auth::outputs::USER_POOL_ID),
                ),
            );
        }
        if cfg.uses(api::AuthMode::ApiKey) {
            let root_param = format!("{logical}KeyExpires");
            root.parameter(&root_param, json!({ "Type": "Number", "Description": format!("When the API key of api `{name}` expires, computed at deploy time") }));
            parameters.insert(api::KEY_EXPIRY_PARAMETER.into(), r#ref(&root_param));
            key_expiries.insert(root_param, cfg.api_key_days);
        }
        nested(logical, "api", name, template, parameters, &mut root)?;
    }

    for (name, cfg) in &manifest.storage {
        let logical = format!("Storage{}", crate::naming::pascal(name));
        let template = storage::synth(name, cfg, env);
        let mut parameters = base_parameters();
        parameters.insert("AuthRoleName".into(), r#ref("AuthRole"));
        if !cfg.guest.is_empty() {
            parameters.insert("UnauthRoleName".into(), r#ref("UnauthRole"));
        }
        if let Some((auth_name, _)) = auth {
            let auth_logical = format!("Auth{}", crate::naming::pascal(auth_name));
            for group in cfg.groups.keys() {
                parameters.insert(
                    storage::group_role_parameter(group),
                    get_att(
                        &auth_logical,
                        &format!(
                            "Outputs.{}",
                            auth::outputs::group_role_name(&crate::naming::pascal(group))
                        ),
                    ),
                );
            }
        }
        nested(logical, "storage", name, template, parameters, &mut root)?;
    }

    let root_json = root.to_json();
    let root_bytes = cfn::to_bytes(&root_json);
    let problems = cfn::limit_problems(&root_json, root_bytes.len());
    if !problems.is_empty() {
        return Err(SynthError::Limits {
            stack: "root".into(),
            problems: problems.join(", "),
        });
    }
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
    })
}
