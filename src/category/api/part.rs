//! The api as synthesis takes it: the transform of its schema, the api's
//! template with the user's custom resolvers, a nested stack per model (grouped
//! past CloudFormation's limits), the search domain and the client schema; and
//! the code the templates inline, as files to read ([`readable_code`]).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use crate::category::{Category, Part, StackError, logical_id};
use crate::cfn::{self, Template, get_att, r#ref, sha256_hex};
use crate::project::{SourceFile, Sources};

use super::resolvers::{
    INVOKE_CODE, SEARCH_STREAMING_CODE, all_resolvers, custom_pipeline_code, search_resolver,
};
use super::stack::{
    MODELS_PER_STACK, add_custom_resolvers, add_group_stack, add_model_stack, add_search,
    group_stack, model_stack, synth,
};
use super::{ApiConfig, AuthMode, KEY_EXPIRY_PARAMETER};

/// The transform of an api's schema files (`hoist/api/<name>/schema.graphql`, or
/// the files of its `schema/` folder), with the api's authorization modes.
///
/// Errors: [`StackError::NoSchema`] when there is no schema file,
/// [`StackError::Schema`] with every problem of the schema at its place.
pub fn transform(
    name: &str,
    cfg: &ApiConfig,
    schema: &[SourceFile],
    iam_principals: bool,
) -> Result<crate::transform::Output, StackError> {
    if schema.is_empty() {
        return Err(StackError::NoSchema {
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
        &crate::transform::Modes {
            iam_principals,
            ..cfg.transform_modes()
        },
    )
    .map_err(|e| StackError::Schema(Box::new(e)))
}

/// DynamoDB's default quota of global secondary indexes per table (DynamoDB
/// developer guide, "Service, account, and table quotas": 20, adjustable).
pub const GSI_QUOTA: usize = 20;

/// The resolver of a subscription to mutations the user wrote none for: it
/// returns nothing, which admits the subscriber (AppSync subscription resolvers).
const SUBSCRIBE_CODE: &str = "// A subscription to mutations: AppSync delivers their results.\nexport function request() {\n  return { payload: null };\n}\n\nexport function response() {\n  return null;\n}\n";

/// The api `name` as one part of the build. `auth` names the project's auth
/// resource (its user pool authorizes user-pool callers); `sources` holds the
/// schema files and the user's own resolvers.
pub fn part(
    name: &str,
    cfg: &ApiConfig,
    auth: Option<&str>,
    sources: &Sources,
    protected: bool,
    tables: &std::collections::BTreeSet<String>,
    iam_principals: bool,
) -> Result<Part, StackError> {
    let logical = logical_id(Category::Api, name);
    let schema = sources.schemas.get(name).map_or(&[][..], Vec::as_slice);
    let transformed = transform(name, cfg, schema, iam_principals)?;
    let empty = BTreeMap::new();
    let user_resolvers = sources.resolvers.get(name).unwrap_or(&empty);
    let sdl = transformed.sdl.clone().into_bytes();
    let schema_key = format!(
        "templates/api-{name}-schema-{}.graphql",
        &sha256_hex(&sdl)[..16]
    );
    let mut template = synth(name, cfg, &schema_key);
    let mut part = Part::new("api", name, logical.clone(), Template::default());
    part.assets
        .insert(schema_key.clone(), format!("api-{name}/schema.graphql"));
    // The user's own root fields: their resolver runs after the field's access check.
    let mut custom = Vec::new();
    for f in &transformed.custom_fields {
        let file = format!("{}.{}.js", f.type_name, f.field);
        if !f.functions.is_empty() {
            // `@function`: the Lambdas resolve it; a resolver of the user's runs after them
            custom.push((f, user_resolvers.get(&file).cloned()));
            continue;
        }
        let code = match user_resolvers.get(&file) {
            Some(code) => code.clone(),
            // a subscription to mutations needs no code: it admits the
            // subscriber (after its `@auth`) and AppSync delivers the results
            None if f.subscribes => SUBSCRIBE_CODE.to_string(),
            None => {
                // AppSync allows a field without a resolver (it answers
                // null), and Amplify keeps such fields
                part.warnings.push(format!(
                    "`{}.{}` of the api `{name}` has no resolver: AppSync answers null for it (an error where its type is non-null) until you write `hoist/api/{name}/resolvers/{file}` (AppSync JavaScript, `request` and `response`)",
                    f.type_name, f.field
                ));
                continue;
            }
        };
        custom.push((f, Some(code)));
    }
    add_custom_resolvers(&mut template, &custom)?;
    // the project's Lambda authorizer is created before the api that names it
    if let Some(function) = cfg
        .lambda_authorizer
        .as_ref()
        .filter(|_| cfg.uses(AuthMode::Lambda))
    {
        part.calls
            .push(crate::category::function::function_name(function, "${env}"));
    }
    // The Lambdas `@function` names, as Lambda names them (`echo-${env}`):
    // synthesis makes the api's stack wait for the project's own.
    for (f, _) in &custom {
        for l in &f.functions {
            if l.region.is_none() && l.account_id.is_none() && !part.calls.contains(&l.name) {
                part.calls.push(l.name.clone());
            }
        }
    }
    // One nested stack per model, uploaded beside the api's; grouped in stacks of
    // their own when there are more than one stack can hold.
    let mut register = |file: String, value: Value, what: String| -> Result<String, StackError> {
        let bytes = cfn::to_bytes(&value);
        StackError::check_limits(&value, bytes.len(), || what)?;
        let stem = file.trim_end_matches(".template.json").replace('/', "-");
        let key = format!("templates/{stem}-{}.json", &sha256_hex(&bytes)[..16]);
        part.assets.insert(key.clone(), file.clone());
        part.files.insert(file, bytes);
        Ok(key)
    };
    let mut model_keys = Vec::new();
    for model in &transformed.models {
        if model.indexes.len() > GSI_QUOTA {
            part.warnings.push(format!(
                "the model `{}` of the api `{name}` has {} indexes (its own `@index` fields and those its relations add), and DynamoDB allows {GSI_QUOTA} global secondary indexes per table unless the quota is raised: ask for more in Service Quotas (DynamoDB, \"Global secondary indexes per table\") before `hoist push`, or the deploy fails",
                model.name,
                model.indexes.len()
            ));
        }
        let mut value = model_stack(name, model, &transformed.models, user_resolvers)?.to_json();
        if protected {
            crate::category::protect(&mut value);
        }
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
    let mut grouped_in = BTreeMap::new();
    let (direct, grouped): (Vec<_>, Vec<_>) = model_keys
        .into_iter()
        .partition(|(model, _)| searchable.iter().any(|m| &m.name == model));
    for (model, key) in &direct {
        add_model_stack(&mut template, model, key, true);
    }
    add_search(&mut template, &searchable, user_resolvers)?;
    if direct.len() + grouped.len() <= MODELS_PER_STACK {
        for (model, key) in &grouped {
            add_model_stack(&mut template, model, key, true);
        }
    } else {
        for (index, group) in grouped.chunks(MODELS_PER_STACK).enumerate() {
            for (model, _) in group {
                grouped_in.insert(model.clone(), index);
            }
            let value = group_stack(name, index, group, tables).to_json();
            let key = register(
                format!("api-{name}/models-{index}.template.json"),
                value,
                format!("api `{name}`, models group {index}"),
            )?;
            add_group_stack(&mut template, index, &key);
        }
    }
    // The client-facing schema (uploaded; also for reading). The resolvers'
    // code is inline in the templates: [`readable_code`] writes it out as files.
    part.files.insert(format!("api-{name}/schema.graphql"), sdl);
    part.parameters
        .insert("DeploymentBucket".into(), r#ref("DeploymentBucket"));
    if cfg.uses(AuthMode::UserPools)
        && let Some(auth_name) = auth
    {
        part.parameters.insert(
            "UserPoolId".into(),
            get_att(
                &logical_id(Category::Auth, auth_name),
                &format!("Outputs.{}", crate::category::auth::outputs::USER_POOL_ID),
            ),
        );
    }
    if cfg.uses(AuthMode::ApiKey) {
        part.key_expiry = Some((KEY_EXPIRY_PARAMETER.to_string(), cfg.api_key_days));
    }
    // The tables functions were given access to (`table:<Model>:...`), by name.
    for model in tables {
        if !transformed.models.iter().any(|m| &m.name == model) {
            return Err(StackError::NoSuchModel {
                api: name.to_string(),
                model: model.clone(),
                models: transformed
                    .models
                    .iter()
                    .map(|m| format!("`{}`", m.name))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let m = crate::naming::pascal(model);
        for own in ["TableName", "TableStreamArn"] {
            let output = format!("{m}{own}");
            let value = match grouped_in.get(model) {
                Some(index) => get_att(&format!("Models{index}"), &format!("Outputs.{output}")),
                None => get_att(&format!("{m}Model"), &format!("Outputs.{own}")),
            };
            template.output(&output, &format!("The {own} of the model {model}"), value);
        }
    }
    part.template = template;
    Ok(part)
}

/// The code the api `name`'s templates inline, file by file, for reading and
/// linting (`hoist synth --resolvers`): `api-<name>/resolvers/<Type>.<field>.js`
/// for each generated resolver (the name a file of `hoist/api/<name>/resolvers/`
/// takes to replace it; a replaced one is the user's code), `<Type>.<field>.auth.js`
/// and `.invoke.js` for the access check and the Lambda calls of the user's
/// own root fields, and `api-<name>/search-streaming/index.js` (the Lambda
/// streaming `@searchable` tables). Paths are relative to the build's folder.
///
/// Not part of [`part`]: a build of 200 models holds over 2,000 resolvers, and
/// writing them as files on every synth was about a quarter of its time.
///
/// Errors: those of [`transform`], and a resolver that does not render (a bug).
pub fn readable_code(
    name: &str,
    cfg: &ApiConfig,
    sources: &Sources,
    iam_principals: bool,
) -> Result<crate::project::FileSet, StackError> {
    let schema = sources.schemas.get(name).map_or(&[][..], Vec::as_slice);
    let transformed = transform(name, cfg, schema, iam_principals)?;
    let empty = BTreeMap::new();
    let user_resolvers = sources.resolvers.get(name).unwrap_or(&empty);
    let mut files = crate::project::FileSet::new();
    let put = |files: &mut crate::project::FileSet, file: &str, code: String| {
        let code = user_resolvers.get(file).cloned().unwrap_or(code);
        files.insert(format!("api-{name}/resolvers/{file}"), code.into_bytes());
    };
    for f in &transformed.custom_fields {
        let file = format!("{}.{}.js", f.type_name, f.field);
        if f.functions.is_empty() && !f.subscribes && !user_resolvers.contains_key(&file) {
            continue; // no resolver: AppSync answers null (a synth warning says so)
        }
        // the user's own code, or a subscription's when there is none
        if let Some(code) = user_resolvers.get(&file) {
            put(&mut files, &file, code.clone());
        } else if f.functions.is_empty() {
            put(&mut files, &file, SUBSCRIBE_CODE.to_string());
        }
        // always the generated code (the templates inline it whatever the
        // user's folder holds under these names)
        files.insert(
            format!("api-{name}/resolvers/{}.{}.auth.js", f.type_name, f.field),
            custom_pipeline_code(f.grants.as_deref())?.into_bytes(),
        );
        if !f.functions.is_empty() {
            files.insert(
                format!("api-{name}/resolvers/{}.{}.invoke.js", f.type_name, f.field),
                INVOKE_CODE.as_bytes().to_vec(),
            );
        }
    }
    let mut searchable = false;
    for model in &transformed.models {
        for r in all_resolvers(model, &transformed.models)? {
            put(&mut files, &r.file, r.code);
        }
        if model.searchable.is_some() {
            searchable = true;
            if let Some(r) = search_resolver(model)? {
                put(&mut files, &r.file, r.code);
            }
        }
    }
    if searchable {
        files.insert(
            format!("api-{name}/search-streaming/index.js"),
            SEARCH_STREAMING_CODE.as_bytes().to_vec(),
        );
    }
    Ok(files)
}
