//! `hoist add`, `hoist update` and `hoist remove` for the auth and storage categories.

use std::path::Path;

use crate::category::api::AuthMode;
use crate::category::auth::AuthConfig;
use crate::category::storage::StorageConfig;
use crate::category::{self, Category, ResourceError};
use std::path::PathBuf;

use crate::category::api::resolve_api;
use crate::category::auth::{Context, auth_flags_given, resolve_auth};
use crate::category::storage::{check_guest_access, resolve_storage, storage_flags_given};
use crate::cli::{AddCommand, ApiTemplate, GlobalArgs, UpdateCommand};
use crate::error::FsError;
use crate::project::{Framework, ProjectFile, set_resource, to_table};
use crate::prompt::{self, Answers, Inputs, PromptError, Question};
use crate::render;
use crate::ui::Printer;

pub(crate) fn inputs_for<'p>(
    global: &GlobalArgs,
    yes: bool,
    prompter: &'p mut dyn prompt::Prompter,
) -> Result<Inputs<'p>, crate::Error> {
    let answers = match &global.answers {
        Some(path) => Answers::load(path)?,
        None => Answers::default(),
    };
    Ok(Inputs {
        answers,
        yes,
        prompter,
    })
}

pub(crate) fn load_project() -> Result<ProjectFile, crate::Error> {
    let cwd =
        std::env::current_dir().map_err(|e| FsError::new("read the current folder", ".", e))?;
    Ok(ProjectFile::discover(&cwd)?)
}

pub(crate) fn save(
    file: &ProjectFile,
    change: impl FnOnce(&mut toml_edit::DocumentMut),
) -> Result<ProjectFile, crate::Error> {
    let edited = file.edit(change)?;
    edited.save()?;
    Ok(edited)
}

pub fn add(
    command: &AddCommand,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), crate::Error> {
    let file = load_project()?;
    let mut prompter = prompt::for_terminal();
    let mut inputs = inputs_for(global, global.yes, prompter.as_mut())?;
    match command {
        AddCommand::Function { name, options } => {
            super::function::add(&file, name.clone(), options, &mut inputs, global, printer)?;
        }
        AddCommand::Workflow { name, options } => {
            super::workflow_add::add(&file, name.clone(), options, &mut inputs, global, printer)?;
        }
        AddCommand::Auth { name, options } => {
            if let Some(existing) = file.manifest.auth.keys().next() {
                return Err(ResourceError::Exists {
                    category: Category::Auth,
                    name: existing.clone(),
                    help: format!("a project has one auth resource; change it with `hoist update auth {existing}`"),
                }
                .into());
            }
            let name = resource_name(&mut inputs, name.clone(), "main")?;
            let cfg = resolve_auth(options, AuthConfig::default(), &mut inputs, &context(&file))?;
            let item = to_table(&cfg)?;
            let edited = save(&file, |doc| set_resource(doc, Category::Auth, &name, item))?;
            report_change(printer, global, "Added", Category::Auth, &name);
            snippet(printer, edited.manifest.project.frontend, Category::Auth);
        }
        AddCommand::Api { name, options } => {
            let name = resource_name(&mut inputs, name.clone(), "main")?;
            if file.manifest.api.contains_key(&name) {
                return Err(ResourceError::Exists {
                    category: Category::Api,
                    name: name.clone(),
                    help: format!(
                        "choose another name, or change it with `hoist update api {name}`"
                    ),
                }
                .into());
            }
            let schema_rel: PathBuf = ["hoist", "api", &name, "schema.graphql"].iter().collect();
            let schema_path = file.root().join(&schema_rel);
            let has_auth = !file.manifest.auth.is_empty();
            let cfg = resolve_api(options, None, has_auth, &mut inputs)?;
            if has_auth && options.auth.is_none() && cfg.auth == AuthMode::UserPools {
                printer.info(
                    "The project has auth, so the api's default authorization is its user pool (`--auth user-pools`): only signed-in users reach it",
                );
            }
            if (cfg.uses(AuthMode::UserPools) || cfg.uses(AuthMode::Iam))
                && file.manifest.auth.is_empty()
            {
                return Err(ResourceError::ApiNeedsAuth.into());
            }
            let schema = if let Some(path) = &options.schema {
                Some(std::fs::read_to_string(path).map_err(|e| FsError::new("read", path, e))?)
            } else if schema_path.exists() {
                printer.info(format!("Keeping the existing `{}`", schema_rel.display()));
                None
            } else {
                let template = inputs.choice(
                    Question {
                        key: "template",
                        prompt: "Starting schema",
                        default: None,
                    },
                    options.template,
                    &[
                        ApiTemplate::Todo,
                        ApiTemplate::OwnerAuth,
                        ApiTemplate::Blog,
                        ApiTemplate::Blank,
                    ],
                    // each user's own items where users sign in; shared ones otherwise
                    if cfg.auth == AuthMode::UserPools {
                        ApiTemplate::OwnerAuth
                    } else {
                        ApiTemplate::Todo
                    },
                )?;
                if template == ApiTemplate::OwnerAuth && !cfg.uses(AuthMode::UserPools) {
                    return Err(ResourceError::OwnerAuthNeedsUserPools.into());
                }
                if options.template.is_none() && template == ApiTemplate::OwnerAuth {
                    printer.info(
                        "Starting schema: owner-auth, a `Todo` each signed-in user owns: others cannot read or change it (`--template todo` shares items between all signed-in users)",
                    );
                }
                Some(crate::category::api::blueprint(template, &cfg))
            };
            // A schema that does not transform is refused before anything is written.
            if let Some(text) = &schema {
                let shown = options
                    .schema
                    .as_deref()
                    .unwrap_or(&schema_rel)
                    .display()
                    .to_string();
                crate::transform::transform_with(text, &shown, &cfg.transform_modes())
                    .map_err(|e| crate::category::StackError::Schema(Box::new(e)))?;
            }
            let item = to_table(&cfg)?;
            let edited = file.edit(|doc| set_resource(doc, Category::Api, &name, item))?;
            // hoist.toml and the schema land together, or neither does.
            let mut files = crate::project::FileSet::new();
            files.insert(
                crate::project::MANIFEST_FILE.to_string(),
                edited.text.clone().into_bytes(),
            );
            if let Some(text) = schema {
                files.insert(
                    schema_rel.to_string_lossy().replace('\\', "/"),
                    text.into_bytes(),
                );
            }
            crate::project::place_files(edited.root(), &files)?;
            report_change(printer, global, "Added", Category::Api, &name);
            printer.info(format!("  the schema is `{}`", schema_rel.display()));
            snippet(printer, edited.manifest.project.frontend, Category::Api);
        }
        AddCommand::Storage { name, options } => {
            // a guest access the project's auth rules out is refused first
            let auth = file.manifest.auth.iter().next();
            check_guest_access(
                options,
                &inputs.answers,
                auth.map(|(name, a)| (name.as_str(), a.guest_access)),
            )?;
            let name = resource_name(&mut inputs, name.clone(), "files")?;
            if file.manifest.storage.contains_key(&name) {
                return Err(ResourceError::Exists {
                    category: Category::Storage,
                    name: name.clone(),
                    help: format!(
                        "choose another name, or change it with `hoist update storage {name}`"
                    ),
                }
                .into());
            }
            let mut add_auth = None;
            if file.manifest.auth.is_empty() {
                // Interactively offer to add auth; headless, say how.
                let offer = !inputs.yes && matches!(inputs.confirm(
                    Question { key: "add-auth", prompt: "Storage needs auth. Add auth now with the secure defaults?", default: None },
                    None,
                    true,
                ), Ok(true));
                if !offer {
                    return Err(ResourceError::NeedsAuth.into());
                }
                add_auth = Some(AuthConfig::default());
            }
            let guests_allowed = match &add_auth {
                Some(auth) => auth.guest_access,
                None => file.manifest.auth.values().any(|a| a.guest_access),
            };
            let cfg = resolve_storage(
                options,
                StorageConfig::with_defaults(),
                guests_allowed,
                &mut inputs,
            )?;
            let item = to_table(&cfg)?;
            let auth_item = add_auth.as_ref().map(to_table).transpose()?;
            let edited = save(&file, |doc| {
                if let Some(auth) = auth_item {
                    set_resource(doc, Category::Auth, "main", auth);
                }
                set_resource(doc, Category::Storage, &name, item);
            })?;
            if add_auth.is_some() {
                report_change(printer, global, "Added", Category::Auth, "main");
            }
            report_change(printer, global, "Added", Category::Storage, &name);
            snippet(printer, edited.manifest.project.frontend, Category::Storage);
        }
    }
    Ok(())
}

pub fn update(
    command: &UpdateCommand,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), crate::Error> {
    let file = load_project()?;
    let mut prompter = prompt::for_terminal();
    match command {
        UpdateCommand::Function { name, options } => {
            super::function::update(&file, name.as_deref(), options, global, printer)?;
        }
        UpdateCommand::Workflow {
            name,
            options,
            removals,
        } => {
            super::workflow_add::update(
                &file,
                name.as_deref(),
                options,
                removals,
                global,
                printer,
            )?;
        }
        UpdateCommand::Auth { name, options } => {
            let name = &existing_name(&file, "update", Category::Auth, name.as_deref())?;
            let current = file
                .manifest
                .auth
                .get(name)
                .cloned()
                .ok_or_else(|| unknown(&file, Category::Auth, name))?;
            // Flags change what they name and nothing else; with no flag, every question is asked.
            let ask = !auth_flags_given(options);
            let mut inputs = inputs_for(global, global.yes || !ask, prompter.as_mut())?;
            let cfg = resolve_auth(options, current, &mut inputs, &context(&file))?;
            let item = to_table(&cfg)?;
            save(&file, |doc| set_resource(doc, Category::Auth, name, item))?;
            report_change(printer, global, "Updated", Category::Auth, name);
        }
        UpdateCommand::Api { name, options } => {
            let name = &existing_name(&file, "update", Category::Api, name.as_deref())?;
            let current = file
                .manifest
                .api
                .get(name)
                .cloned()
                .ok_or_else(|| unknown(&file, Category::Api, name))?;
            let ask = !api_flags_given(options);
            let mut inputs = inputs_for(global, global.yes || !ask, prompter.as_mut())?;
            let has_auth = !file.manifest.auth.is_empty();
            let cfg = resolve_api(options, Some(current), has_auth, &mut inputs)?;
            if (cfg.uses(AuthMode::UserPools) || cfg.uses(AuthMode::Iam))
                && file.manifest.auth.is_empty()
            {
                return Err(ResourceError::ApiNeedsAuth.into());
            }
            // The schema's `@auth` rules must still find their modes.
            let files: Vec<(String, String)> = crate::project::read_schema(file.root(), name)?
                .into_iter()
                .map(|f| (f.path.display().to_string(), f.text))
                .collect();
            if !files.is_empty() {
                let folder: PathBuf = ["hoist", "api", name, "schema"].iter().collect();
                crate::transform::transform_files(
                    &files,
                    &folder.display().to_string(),
                    &cfg.transform_modes(),
                )
                .map_err(|e| crate::category::StackError::Schema(Box::new(e)))?;
            }
            let item = to_table(&cfg)?;
            save(&file, |doc| set_resource(doc, Category::Api, name, item))?;
            report_change(printer, global, "Updated", Category::Api, name);
        }
        UpdateCommand::Storage { name, options } => {
            let name = &existing_name(&file, "update", Category::Storage, name.as_deref())?;
            let current = file
                .manifest
                .storage
                .get(name)
                .cloned()
                .ok_or_else(|| unknown(&file, Category::Storage, name))?;
            let ask = !storage_flags_given(options);
            let mut inputs = inputs_for(global, global.yes || !ask, prompter.as_mut())?;
            let auth = file.manifest.auth.iter().next();
            check_guest_access(
                options,
                &inputs.answers,
                auth.map(|(name, a)| (name.as_str(), a.guest_access)),
            )?;
            let guests_allowed = auth.is_some_and(|(_, a)| a.guest_access);
            let cfg = resolve_storage(options, current, guests_allowed, &mut inputs)?;
            let item = to_table(&cfg)?;
            save(&file, |doc| {
                set_resource(doc, Category::Storage, name, item)
            })?;
            report_change(printer, global, "Updated", Category::Storage, name);
        }
    }
    Ok(())
}

pub fn remove(
    category: Category,
    name: Option<&str>,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), crate::Error> {
    let file = load_project()?;
    let name = existing_name(&file, "remove", category, name)?;
    let name = name.as_str();
    let exists = match category {
        Category::Auth => file.manifest.auth.contains_key(name),
        Category::Api => file.manifest.api.contains_key(name),
        Category::Storage => file.manifest.storage.contains_key(name),
        Category::Function => file.manifest.function.contains_key(name),
        Category::Workflow => file.manifest.workflow.contains_key(name),
    };
    if !exists {
        return Err(unknown(&file, category, name).into());
    }
    let dependents: Vec<String> = file
        .manifest
        .storage
        .keys()
        .map(|s| format!("storage `{s}`"))
        .chain(
            file.manifest
                .api
                .iter()
                .filter(|(_, a)| a.uses(AuthMode::UserPools) || a.uses(AuthMode::Iam))
                .map(|(n, _)| format!("api `{n}`")),
        )
        .chain(
            file.manifest
                .workflow
                .iter()
                .filter(|(_, w)| {
                    !w.start_by.is_empty()
                        || w.api == Some(crate::category::workflow::triggers::ApiAuth::UserPool)
                })
                .map(|(n, w)| {
                    let what = if w.start_by.is_empty() {
                        "its `api`"
                    } else {
                        "its `start_by`"
                    };
                    format!("workflow `{n}` ({what})")
                }),
        )
        .collect();
    // the workflows whose definitions name it (an api: the first, whose
    // tables `${table:Model}` names)
    use crate::category::workflow::refs::{self, Kind};
    let kind = match category {
        Category::Function => Some(Kind::Function),
        Category::Storage => Some(Kind::Bucket),
        Category::Workflow => Some(Kind::Workflow),
        Category::Api if file.manifest.api.keys().next().map(String::as_str) == Some(name) => {
            Some(Kind::Table)
        }
        Category::Auth | Category::Api => None,
    };
    // the functions whose access starts it
    if category == Category::Workflow {
        let starting: Vec<String> = file
            .manifest
            .function
            .iter()
            .filter(|(_, f)| {
                f.access.iter().any(|text| {
                    matches!(
                        crate::category::function::access::parse(text, &file.manifest),
                        Ok(crate::category::function::access::Grant::Workflow { name: w, .. }) if w == name
                    )
                })
            })
            .map(|(f, _)| format!("function `{f}`"))
            .collect();
        if !starting.is_empty() {
            return Err(ResourceError::InUse {
                category,
                name: name.to_string(),
                dependents: starting.join(", "),
                help: format!(
                    "remove its grant first: `hoist update function NAME --remove-access workflow:{name}:start`"
                ),
            }
            .into());
        }
    }
    if let Some(kind) = kind {
        let names_it = |text: &str| match kind {
            Kind::Table => !refs::tables_named(text).is_empty(),
            _ => refs::names(text, kind, name),
        };
        let naming: Vec<String> = file
            .manifest
            .workflow
            .keys()
            .filter(|w| w.as_str() != name || category != Category::Workflow)
            .filter(|w| {
                let path = file
                    .root()
                    .join(crate::category::workflow::definition_path(w));
                std::fs::read_to_string(path).is_ok_and(|text| names_it(&text))
            })
            .map(|w| format!("workflow `{w}`"))
            .collect();
        if !naming.is_empty() {
            let named = if kind == Kind::Table {
                "`${table:...}`".to_string()
            } else {
                format!("`${{{}:{name}}}`", kind.as_str())
            };
            return Err(ResourceError::InUse {
                category,
                name: name.to_string(),
                dependents: naming.join(", "),
                help: format!(
                    "stop naming {named} in their definitions (`hoist/workflow/<name>/definition.asl.json`), or remove them first (`hoist remove workflow <name>`), then remove {category} `{name}`"
                ),
            }
            .into());
        }
    }
    if category == Category::Auth && !dependents.is_empty() {
        let dependents = dependents.join(", ");
        return Err(ResourceError::InUse {
            category,
            name: name.to_string(),
            dependents,
            help: format!(
                "remove them first (`hoist remove storage NAME`), then remove {category} `{name}`"
            ),
        }
        .into());
    }
    let kept = match category {
        Category::Auth => Some("its user pool (and the users in it)"),
        Category::Api => Some("its model tables (and the items in them)"),
        Category::Storage => Some("its bucket (and the files in it)"),
        Category::Function | Category::Workflow => None,
    };
    printer.info(match kept {
        Some(kept) => format!(
            "The next `hoist push` deletes {category} `{name}`'s stack; {kept} is kept in AWS, to be deleted by hand once its data is no longer wanted."
        ),
        None if category == Category::Workflow => format!(
            "The next `hoist push` deletes {category} `{name}`'s stack: the state machine (stopping its running executions), its role, log group, topics, queues and activities."
        ),
        None => format!(
            "The next `hoist push` deletes {category} `{name}`'s stack: the Lambda function, its role and its log group."
        ),
    });
    let mut prompter = prompt::for_terminal();
    let mut inputs = inputs_for(global, global.yes, prompter.as_mut())?;
    let sure = inputs.confirm(
        Question {
            key: "yes",
            prompt: "Remove it from the project?",
            default: None,
        },
        None,
        true,
    )?;
    if !sure {
        printer.info("Nothing removed.");
        return Ok(());
    }
    let edited = save(&file, |doc| {
        if let Some(section) = doc
            .get_mut(category.as_str())
            .and_then(|s| s.as_table_like_mut())
        {
            section.remove(name);
            if section.is_empty() {
                doc.remove(category.as_str());
            }
        }
    })?;
    report_change(printer, global, "Removed", category, name);
    let sources = edited
        .root()
        .join("hoist")
        .join(category.as_str())
        .join(name);
    if sources.exists() {
        printer.info(format!(
            "  `{}` was left in place: delete it if you no longer need it",
            relative(&sources, edited.root())
        ));
    }
    Ok(())
}

fn relative(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The names of the project's resources of `category`, in hoist.toml's order.
fn names_of(file: &ProjectFile, category: Category) -> Vec<String> {
    match category {
        Category::Auth => file.manifest.auth.keys().cloned().collect(),
        Category::Api => file.manifest.api.keys().cloned().collect(),
        Category::Storage => file.manifest.storage.keys().cloned().collect(),
        Category::Function => file.manifest.function.keys().cloned().collect(),
        Category::Workflow => file.manifest.workflow.keys().cloned().collect(),
    }
}

/// The resource `update` and `remove` act on: the name given, or, with none,
/// the project's only resource of the category (as `add` defaults its name).
///
/// Errors: `ResourceError::NoneOfCategory` when the category has no resource, and
/// `ResourceError::WhichOne` (listing them) when it has several.
pub(crate) fn existing_name(
    file: &ProjectFile,
    command: &'static str,
    category: Category,
    given: Option<&str>,
) -> Result<String, ResourceError> {
    if let Some(name) = given {
        return Ok(name.to_string());
    }
    let names = names_of(file, category);
    match names.as_slice() {
        [] => Err(ResourceError::NoneOfCategory { category }),
        [only] => Ok(only.clone()),
        several => Err(ResourceError::WhichOne {
            command,
            category,
            names: several
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

pub(crate) fn unknown(file: &ProjectFile, category: Category, name: &str) -> ResourceError {
    let names = names_of(file, category);
    let help = if names.is_empty() {
        format!("add one with `hoist add {category}`")
    } else {
        format!(
            "this project's {category} resources: {}",
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    ResourceError::Unknown {
        category,
        name: name.to_string(),
        help,
    }
}

pub(crate) fn report_change(
    printer: &Printer,
    global: &GlobalArgs,
    verb: &str,
    category: Category,
    name: &str,
) {
    if global.json {
        printer.data(&serde_json::json!({ "action": verb.to_lowercase(), "category": category.as_str(), "name": name }));
    }
    printer.success(format!("{verb} {category} `{name}` in hoist.toml"));
    printer.command_hint("hoist synth", "see the CloudFormation it makes");
    printer.command_hint("hoist push", "deploy it");
}

/// How to use the new category from the project's framework (user code is never rewritten).
fn snippet(printer: &Printer, frontend: Framework, category: Category) {
    if frontend == Framework::None || matches!(category, Category::Function | Category::Workflow) {
        return;
    }
    let code = match (category, frontend) {
        (Category::Auth, Framework::Vue) => {
            "npm install @aws-amplify/ui-vue\n\n  <script setup lang=\"ts\">\n  import { Authenticator } from '@aws-amplify/ui-vue';\n  import '@aws-amplify/ui-vue/styles.css';\n  </script>\n  <template><authenticator><template v-slot=\"{ user, signOut }\">Hello {{ user.username }} <button @click=\"signOut\">Sign out</button></template></authenticator></template>"
        }
        (Category::Auth, Framework::ReactNative) => {
            "npm install @aws-amplify/ui-react-native\n\n  import { Authenticator, withAuthenticator } from '@aws-amplify/ui-react-native';\n  export default withAuthenticator(App);"
        }
        (Category::Auth, _) => {
            "npm install @aws-amplify/ui-react\n\n  import { Authenticator } from '@aws-amplify/ui-react';\n  import '@aws-amplify/ui-react/styles.css';\n  <Authenticator>{({ user, signOut }) => <button onClick={signOut}>Sign out {user?.username}</button>}</Authenticator>"
        }
        (Category::Api, _) => {
            "hoist codegen   # typed documents into src/graphql/ (synth and push run it too)\n\n  import { generateClient } from 'aws-amplify/api';\n  import { listTodos } from './graphql/queries';\n\n  const client = generateClient();\n  const { data } = await client.graphql({ query: listTodos });  // data.listTodos is typed"
        }
        (Category::Function | Category::Workflow, _) => return,
        (Category::Storage, _) => {
            "import { uploadData, list, getUrl, remove } from 'aws-amplify/storage';\n\n  await uploadData({ path: ({ identityId }) => `private/${identityId}/photo.jpg`, data: file }).result;\n  const { items } = await list({ path: ({ identityId }) => `private/${identityId}/` });"
        }
    };
    printer.info(format!(
        "\nUse it from your app (after `hoist push`):\n\n  {code}\n"
    ));
}

fn context(file: &ProjectFile) -> Context {
    Context {
        project: file.manifest.project.name.clone(),
        dev_port: render::template_manifest(file.manifest.project.frontend)
            .ok()
            .and_then(|m| m.dev_port),
    }
}

fn resource_name(
    inputs: &mut Inputs,
    flag: Option<String>,
    default: &str,
) -> Result<String, crate::Error> {
    inputs
        .text(
            Question {
                key: "name",
                prompt: "Resource name",
                default: Some(default.to_string()),
            },
            flag,
            category::validate_resource_name,
        )
        // the name is the argument after the category, not a `--name` flag
        .map_err(|e| match e {
            crate::Error::Prompt(PromptError::NeedsValue { question, .. }) => {
                PromptError::needs_value(question, "resource-name").into()
            }
            other => other,
        })
}

/// Whether any of `hoist update api`'s settings is given as a flag (then
/// only those change, and nothing is asked).
fn api_flags_given(o: &crate::cli::ApiOptions) -> bool {
    o.auth.is_some()
        || !o.additional_auth.is_empty()
        || o.api_key_days.is_some()
        || o.lambda_authorizer.is_some()
        || o.lambda_authorizer_arn.is_some()
        || o.lambda_authorizer_ttl.is_some()
        || o.oidc_issuer.is_some()
        || o.oidc_client_id.is_some()
        || o.oidc_iat_ttl.is_some()
        || o.oidc_auth_ttl.is_some()
}
