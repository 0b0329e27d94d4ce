//! `hoist add`, `hoist update` and `hoist remove` for the auth and storage categories.

use std::path::Path;

use serde::Serialize;

use crate::category::api::{ApiConfig, AuthMode};
use crate::category::auth::{
    AuthConfig, Group, HostedUi, Mfa, MfaMethod, Oidc, RedirectUrls, Social, SocialProvider,
};
use crate::category::storage::{Access, StorageConfig};
use crate::category::{self, Category, ResourceError, SecretRef};
use std::path::PathBuf;

use crate::cli::{
    AddCommand, ApiOptions, ApiTemplate, AuthOptions, GlobalArgs, PasswordClass, StorageOptions,
    UpdateCommand,
};
use crate::error::FsError;
use crate::project::{Framework, ProjectFile};
use crate::prompt::{self, Answers, Inputs, PromptError, Question};
use crate::render;
use crate::ui::Printer;

fn inputs_for<'p>(
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

fn load_project() -> Result<ProjectFile, crate::Error> {
    let cwd =
        std::env::current_dir().map_err(|e| FsError::new("read the current folder", ".", e))?;
    Ok(ProjectFile::discover(&cwd)?)
}

/// A value as a `toml_edit` table, for inserting into the user's document.
fn to_table<T: Serialize>(value: &T) -> Result<toml_edit::Item, crate::Error> {
    let text = toml::to_string(value).map_err(|e| crate::Error::Internal(e.to_string()))?;
    let doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| crate::Error::Internal(e.to_string()))?;
    let mut table = doc.as_table().clone();
    table.set_implicit(false);
    inline_secret_refs(&mut table);
    Ok(toml_edit::Item::Table(table))
}

/// `client_secret = { env = "X" }` reads better than a table of its own.
fn inline_secret_refs(table: &mut toml_edit::Table) {
    for (mut key, item) in table.iter_mut() {
        let secret_ref = item
            .as_table()
            .is_some_and(|t| t.len() == 1 && (t.contains_key("env") || t.contains_key("ssm")));
        if secret_ref {
            if let Some(inline) = item.as_table().map(|t| t.clone().into_inline_table()) {
                key.leaf_decor_mut().set_suffix(" ");
                *item = toml_edit::Item::Value(
                    toml_edit::Value::InlineTable(inline).decorated(" ", ""),
                );
            }
        } else if let Some(inner) = item.as_table_mut() {
            inline_secret_refs(inner);
        }
    }
}

/// Put a resource's table into the document. An existing table is merged key
/// by key, so the user's comments and ordering survive; new tables go last.
fn set_resource(
    doc: &mut toml_edit::DocumentMut,
    category: Category,
    name: &str,
    item: toml_edit::Item,
) {
    let mut next = next_position(doc.as_item());
    let section = doc
        .entry(category.as_str())
        .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()));
    if let Some(table) = section.as_table_mut() {
        table.set_implicit(true);
        match table.get_mut(name) {
            Some(existing) => merge_item(existing, item, &mut next),
            None => {
                let mut item = item;
                assign_positions(&mut item, &mut next);
                table.insert(name, item);
            }
        }
    }
}

fn next_position(item: &toml_edit::Item) -> usize {
    match item {
        toml_edit::Item::Table(table) => table
            .iter()
            .map(|(_, v)| next_position(v))
            .chain(table.position().map(|p| p + 1))
            .max()
            .unwrap_or(0),
        toml_edit::Item::ArrayOfTables(array) => array
            .iter()
            .map(|t| {
                t.iter()
                    .map(|(_, v)| next_position(v))
                    .chain(t.position().map(|p| p + 1))
                    .max()
                    .unwrap_or(0)
            })
            .max()
            .unwrap_or(0),
        _ => 0,
    }
}

fn assign_positions(item: &mut toml_edit::Item, next: &mut usize) {
    let assign_table = |table: &mut toml_edit::Table, next: &mut usize| {
        table.set_position(*next);
        *next += 1;
        for (_, value) in table.iter_mut() {
            assign_positions(value, next);
        }
    };
    match item {
        toml_edit::Item::Table(table) => assign_table(table, next),
        toml_edit::Item::ArrayOfTables(array) => {
            for table in array.iter_mut() {
                assign_table(table, next);
            }
        }
        _ => {}
    }
}

fn merge_item(existing: &mut toml_edit::Item, new: toml_edit::Item, next: &mut usize) {
    match (existing, new) {
        (toml_edit::Item::Table(old), toml_edit::Item::Table(new)) => {
            let gone: Vec<String> = old
                .iter()
                .map(|(k, _)| k.to_string())
                .filter(|k| !new.contains_key(k))
                .collect();
            for key in gone {
                old.remove(&key);
            }
            for (key, value) in new {
                match old.get_mut(&key) {
                    Some(slot) => merge_item(slot, value, next),
                    None => {
                        let mut value = value;
                        assign_positions(&mut value, next);
                        old.insert(&key, value);
                    }
                }
            }
        }
        (toml_edit::Item::Value(old), toml_edit::Item::Value(mut new)) => {
            // keep the user's trailing comment on the line
            *new.decor_mut() = old.decor().clone();
            *old = new;
        }
        (slot, mut new) => {
            assign_positions(&mut new, next);
            *slot = new;
        }
    }
}

fn save(
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
            let cfg = resolve_api(options, None, &mut inputs)?;
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
                    ApiTemplate::Todo,
                    |t| format!("{t:?}"),
                )?;
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
                    .map_err(|e| crate::synth::SynthError::Schema(Box::new(e)))?;
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
            let dev_port = render::template_manifest(file.manifest.project.frontend)
                .ok()
                .and_then(|m| m.dev_port);
            let cfg =
                resolve_storage(options, StorageConfig::with_defaults(dev_port), &mut inputs)?;
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
        UpdateCommand::Auth { name, options } => {
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
            let current = file
                .manifest
                .api
                .get(name)
                .cloned()
                .ok_or_else(|| unknown(&file, Category::Api, name))?;
            let ask = options.auth.is_none()
                && options.additional_auth.is_empty()
                && options.api_key_days.is_none();
            let mut inputs = inputs_for(global, global.yes || !ask, prompter.as_mut())?;
            let cfg = resolve_api(options, Some(current), &mut inputs)?;
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
                .map_err(|e| crate::synth::SynthError::Schema(Box::new(e)))?;
            }
            let item = to_table(&cfg)?;
            save(&file, |doc| set_resource(doc, Category::Api, name, item))?;
            report_change(printer, global, "Updated", Category::Api, name);
        }
        UpdateCommand::Storage { name, options } => {
            let current = file
                .manifest
                .storage
                .get(name)
                .cloned()
                .ok_or_else(|| unknown(&file, Category::Storage, name))?;
            let ask = !storage_flags_given(options);
            let mut inputs = inputs_for(global, global.yes || !ask, prompter.as_mut())?;
            let cfg = resolve_storage(options, current, &mut inputs)?;
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
    name: &str,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), crate::Error> {
    let file = load_project()?;
    let exists = match category {
        Category::Auth => file.manifest.auth.contains_key(name),
        Category::Api => file.manifest.api.contains_key(name),
        Category::Storage => file.manifest.storage.contains_key(name),
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
        .collect();
    if category == Category::Auth && !dependents.is_empty() {
        let dependents = dependents.join(", ");
        return Err(ResourceError::InUse {
            category,
            name: name.to_string(),
            dependents,
        }
        .into());
    }
    let mut prompter = prompt::for_terminal();
    let mut inputs = inputs_for(global, global.yes, prompter.as_mut())?;
    let sure = inputs.confirm(
        Question {
            key: "yes",
            prompt: "Remove it? Its AWS resources are deleted on the next `hoist push`",
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

fn unknown(file: &ProjectFile, category: Category, name: &str) -> ResourceError {
    let names: Vec<String> = match category {
        Category::Auth => file.manifest.auth.keys().cloned().collect(),
        Category::Api => file.manifest.api.keys().cloned().collect(),
        Category::Storage => file.manifest.storage.keys().cloned().collect(),
    };
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

fn report_change(
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
    if frontend == Framework::None {
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
        (Category::Storage, _) => {
            "import { uploadData, list, getUrl, remove } from 'aws-amplify/storage';\n\n  await uploadData({ path: ({ identityId }) => `private/${identityId}/photo.jpg`, data: file }).result;\n  const { items } = await list({ path: ({ identityId }) => `private/${identityId}/` });"
        }
    };
    printer.info(format!(
        "\nUse it from your app (after `hoist push`):\n\n  {code}\n"
    ));
}

/// What defaults depend on outside the resource itself.
pub struct Context {
    pub project: String,
    pub dev_port: Option<u16>,
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
    inputs.text(
        Question {
            key: "name",
            prompt: "Resource name",
            default: Some(default.to_string()),
        },
        flag,
        category::validate_resource_name,
    )
}

fn auth_flags_given(o: &AuthOptions) -> bool {
    o.sign_in.is_some()
        || o.required_attributes.is_some()
        || o.self_sign_up.is_some()
        || o.account_recovery.is_some()
        || o.password_min_length.is_some()
        || o.password_require.is_some()
        || o.mfa.is_some()
        || o.mfa_methods.is_some()
        || o.guest
        || o.no_guest
        || !o.groups.is_empty()
        || !o.remove_groups.is_empty()
        || o.google_client_id.is_some()
        || o.facebook_client_id.is_some()
        || o.amazon_client_id.is_some()
        || o.apple_client_id.is_some()
        || o.oidc.is_some()
        || o.domain_prefix.is_some()
        || !o.callback_urls.is_empty()
        || !o.sign_out_urls.is_empty()
}

fn storage_flags_given(o: &StorageOptions) -> bool {
    o.authenticated_access.is_some()
        || o.guest_access.is_some()
        || !o.group_access.is_empty()
        || !o.cors_origins.is_empty()
}

fn secret(flag: &'static str, value: &Option<String>) -> Result<Option<SecretRef>, crate::Error> {
    value
        .as_deref()
        .map(|v| {
            SecretRef::parse(v).map_err(|message| {
                ResourceError::BadFlag { flag, message, help: "a secret never goes into hoist.toml: name an environment variable (`env:GOOGLE_SECRET`) or an SSM parameter (`ssm:/shop/google-secret`)" }.into()
            })
        })
        .transpose()
}

/// `NAME` or `NAME:PRECEDENCE`.
fn parse_group(text: &str) -> Result<Group, String> {
    let (name, precedence) = match text.split_once(':') {
        Some((name, p)) => (
            name,
            p.parse::<u32>().map_err(|_| {
                format!("`{p}` is not a precedence: write `NAME` or `NAME:PRECEDENCE` with a whole number, lower first (for example `Admins:0`)")
            })?,
        ),
        None => (text, 0),
    };
    category::auth::validate_group_name(name).map_err(|message| {
        format!("{message}: a group name has 1 to 64 letters, digits, `-` or `_`, starting with a letter")
    })?;
    Ok(Group {
        name: name.to_string(),
        precedence,
    })
}

/// The auth options: each from its flag, else asked (when `ask`), else `base`'s.
pub fn resolve_auth(
    o: &AuthOptions,
    base: AuthConfig,
    inputs: &mut Inputs,
    ctx: &Context,
) -> Result<AuthConfig, crate::Error> {
    use crate::category::auth::{Recovery, SignIn};
    let mut cfg = base;
    let q = |key: &'static str, prompt: &'static str| Question {
        key,
        prompt,
        default: None,
    };

    cfg.sign_in = inputs.choice(
        q("sign-in", "How do users sign in?"),
        o.sign_in,
        &[
            SignIn::Email,
            SignIn::Username,
            SignIn::Phone,
            SignIn::EmailOrPhone,
        ],
        cfg.sign_in,
        |v| format!("{v:?}"),
    )?;
    cfg.required_attributes = inputs.list(
        q(
            "required-attributes",
            "Attributes required at sign-up, besides those sign-in needs (comma-separated)",
        ),
        o.required_attributes.clone(),
        cfg.required_attributes.clone(),
    )?;
    cfg.self_sign_up = inputs.confirm(
        q("self-sign-up", "May users sign themselves up?"),
        o.self_sign_up,
        cfg.self_sign_up,
    )?;
    let default_recovery = match (o.sign_in, cfg.sign_in) {
        (Some(_), SignIn::Phone) => Recovery::Phone,
        (Some(_), _) => Recovery::Email,
        (None, _) => cfg.account_recovery,
    };
    cfg.account_recovery = inputs.choice(
        q("account-recovery", "How do users recover a lost password?"),
        o.account_recovery,
        &[Recovery::Email, Recovery::Phone],
        default_recovery,
        |v| format!("{v:?}"),
    )?;
    cfg.password.min_length = inputs.number(
        q("password-min-length", "Minimum password length"),
        o.password_min_length.map(u32::from),
        u32::from(cfg.password.min_length),
        6..=99,
    )? as u8;
    let p = &cfg.password;
    let current: Vec<PasswordClass> = [
        (p.require_lowercase, PasswordClass::Lowercase),
        (p.require_uppercase, PasswordClass::Uppercase),
        (p.require_digits, PasswordClass::Digits),
        (p.require_symbols, PasswordClass::Symbols),
    ]
    .into_iter()
    .filter_map(|(on, class)| on.then_some(class))
    .collect();
    let classes = inputs.list(
        q(
            "password-require",
            "Characters a password must contain (lowercase, uppercase, digits, symbols)",
        ),
        o.password_require.clone(),
        current,
    )?;
    cfg.password.require_lowercase = classes.contains(&PasswordClass::Lowercase);
    cfg.password.require_uppercase = classes.contains(&PasswordClass::Uppercase);
    cfg.password.require_digits = classes.contains(&PasswordClass::Digits);
    cfg.password.require_symbols = classes.contains(&PasswordClass::Symbols);
    cfg.mfa = inputs.choice(
        q("mfa", "Multi-factor authentication"),
        o.mfa,
        &[Mfa::Off, Mfa::Optional, Mfa::Required],
        cfg.mfa,
        |v| format!("{v:?}"),
    )?;
    if cfg.mfa == Mfa::Off {
        cfg.mfa_methods.clear();
    } else {
        let default = if cfg.mfa_methods.is_empty() {
            vec![MfaMethod::Totp]
        } else {
            cfg.mfa_methods.clone()
        };
        cfg.mfa_methods = inputs.list(
            q("mfa-methods", "MFA methods (totp, sms; comma-separated)"),
            o.mfa_methods.clone(),
            default,
        )?;
        cfg.mfa_methods.sort();
        cfg.mfa_methods.dedup();
    }
    let guest_flag = if o.guest {
        Some(true)
    } else if o.no_guest {
        Some(false)
    } else {
        None
    };
    cfg.guest_access = inputs.confirm(
        q(
            "guest",
            "Let guests (not signed in) use AWS resources, such as public files?",
        ),
        guest_flag,
        cfg.guest_access,
    )?;

    let flag_groups = if o.groups.is_empty() {
        None
    } else {
        Some(o.groups.clone())
    };
    let existing: Vec<String> = cfg
        .groups
        .iter()
        .map(|g| format!("{}:{}", g.name, g.precedence))
        .collect();
    let groups = inputs.text_list(
        q(
            "group",
            "User pool groups (NAME or NAME:PRECEDENCE, comma-separated)",
        ),
        flag_groups.clone(),
        if flag_groups.is_some() {
            Vec::new()
        } else {
            existing.clone()
        },
        |g| parse_group(g).map(|_| ()),
    )?;
    let mut parsed: Vec<Group> = groups
        .iter()
        .map(|g| parse_group(g))
        .collect::<Result<_, _>>()
        .map_err(|message| PromptError::BadValue {
            flag: "group",
            message,
        })?;
    if flag_groups.is_some() {
        // `--group` adds to (or changes the precedence of) the existing groups.
        let mut merged = cfg.groups.clone();
        for group in parsed {
            match merged.iter_mut().find(|g| g.name == group.name) {
                Some(existing) => existing.precedence = group.precedence,
                None => merged.push(group),
            }
        }
        parsed = merged;
    }
    parsed.retain(|g| !o.remove_groups.contains(&g.name));
    cfg.groups = parsed;

    resolve_federation(o, &mut cfg, inputs, ctx)?;
    Ok(cfg)
}

fn non_empty(what: &'static str) -> impl Fn(&str) -> Result<(), String> {
    move |text: &str| {
        if text.trim().is_empty() {
            Err(format!("the {what} is empty"))
        } else {
            Ok(())
        }
    }
}

fn secret_source(text: &str) -> Result<(), String> {
    SecretRef::parse(text).map(|_| ())
}

/// Social and OIDC sign-in and the hosted UI: flags first, then questions for
/// whatever the chosen providers still lack.
fn resolve_federation(
    o: &AuthOptions,
    cfg: &mut AuthConfig,
    inputs: &mut Inputs,
    ctx: &Context,
) -> Result<(), crate::Error> {
    let q = |key: &'static str, prompt: &'static str| Question {
        key,
        prompt,
        default: None,
    };
    let flagged: Vec<(
        SocialProvider,
        &Option<String>,
        &'static str,
        &Option<String>,
    )> = vec![
        (
            SocialProvider::Google,
            &o.google_client_id,
            "google-client-secret",
            &o.google_client_secret,
        ),
        (
            SocialProvider::Facebook,
            &o.facebook_client_id,
            "facebook-client-secret",
            &o.facebook_client_secret,
        ),
        (
            SocialProvider::Amazon,
            &o.amazon_client_id,
            "amazon-client-secret",
            &o.amazon_client_secret,
        ),
        (
            SocialProvider::Apple,
            &o.apple_client_id,
            "apple-private-key",
            &o.apple_private_key,
        ),
    ];
    let given: Vec<SocialProvider> = flagged
        .iter()
        .filter(|f| f.1.is_some())
        .map(|f| f.0)
        .collect();
    let flag = if given.is_empty() {
        None
    } else {
        let mut all: Vec<SocialProvider> = cfg.social.keys().copied().collect();
        all.extend(given.iter().copied());
        Some(all)
    };
    let mut providers = inputs.list(
        q(
            "social",
            "Social sign-in (google, facebook, amazon, apple; comma-separated, empty for none)",
        ),
        flag,
        cfg.social.keys().copied().collect(),
    )?;
    providers.sort();
    providers.dedup();
    cfg.social.retain(|p, _| providers.contains(p));
    for (provider, id_flag, secret_flag, secret_value) in flagged {
        if !providers.contains(&provider) {
            continue;
        }
        let existing = cfg.social.get(&provider).cloned();
        if existing.is_some() && id_flag.is_none() {
            continue;
        }
        let (id_key, id_prompt, secret_prompt): (&'static str, &'static str, &'static str) =
            match provider {
                SocialProvider::Google => (
                    "google-client-id",
                    "Google client id",
                    "Where the Google client secret comes from at deploy time (env:VARIABLE or ssm:/name)",
                ),
                SocialProvider::Facebook => (
                    "facebook-client-id",
                    "Facebook app id",
                    "Where the Facebook app secret comes from at deploy time (env:VARIABLE or ssm:/name)",
                ),
                SocialProvider::Amazon => (
                    "amazon-client-id",
                    "Login with Amazon client id",
                    "Where the Login with Amazon client secret comes from at deploy time (env:VARIABLE or ssm:/name)",
                ),
                SocialProvider::Apple => (
                    "apple-client-id",
                    "Sign in with Apple services id",
                    "Where the Sign in with Apple private key comes from at deploy time (env:VARIABLE or ssm:/name)",
                ),
            };
        let client_id = inputs.string(
            q(id_key, id_prompt),
            id_flag.clone(),
            non_empty("client id"),
        )?;
        let source = inputs.string(
            q(secret_flag, secret_prompt),
            secret_value.clone(),
            secret_source,
        )?;
        let source = SecretRef::parse(&source).ok();
        let social = if provider == SocialProvider::Apple {
            let team_id = inputs.string(
                q("apple-team-id", "Apple team id"),
                o.apple_team_id.clone(),
                non_empty("team id"),
            )?;
            let key_id = inputs.string(
                q("apple-key-id", "Apple key id"),
                o.apple_key_id.clone(),
                non_empty("key id"),
            )?;
            Social {
                client_id,
                client_secret: None,
                team_id: Some(team_id),
                key_id: Some(key_id),
                private_key: source,
                scopes: Vec::new(),
            }
        } else {
            Social {
                client_id,
                client_secret: source,
                team_id: None,
                key_id: None,
                private_key: None,
                scopes: Vec::new(),
            }
        };
        cfg.social.insert(provider, social);
    }

    match (&o.oidc, &o.oidc_issuer, &o.oidc_client_id) {
        (Some(name), Some(issuer), Some(client_id)) => {
            let client_secret = secret("oidc-client-secret", &o.oidc_client_secret)?.ok_or(
                PromptError::NeedsValue {
                    question: "OIDC client secret".into(),
                    flag: "oidc-client-secret",
                },
            )?;
            cfg.oidc.insert(
                name.clone(),
                Oidc {
                    issuer_url: issuer.clone(),
                    client_id: client_id.clone(),
                    client_secret,
                    scopes: Vec::new(),
                },
            );
        }
        _ if !inputs.yes && cfg.oidc.is_empty() => {
            let name = inputs.string(
                q("oidc", "OIDC provider name (empty for none)"),
                None,
                |_| Ok(()),
            )?;
            if !name.trim().is_empty() {
                let issuer = inputs.string(
                    q("oidc-issuer", "OIDC issuer URL"),
                    None,
                    non_empty("issuer URL"),
                )?;
                let client_id = inputs.string(
                    q("oidc-client-id", "OIDC client id"),
                    None,
                    non_empty("client id"),
                )?;
                let source = inputs.string(
                    q(
                        "oidc-client-secret",
                        "Where the OIDC client secret comes from (env:VARIABLE or ssm:/name)",
                    ),
                    None,
                    secret_source,
                )?;
                if let Ok(client_secret) = SecretRef::parse(&source) {
                    cfg.oidc.insert(
                        name.trim().to_string(),
                        Oidc {
                            issuer_url: issuer,
                            client_id,
                            client_secret,
                            scopes: Vec::new(),
                        },
                    );
                }
            }
        }
        _ => {}
    }

    let federated = !cfg.social.is_empty() || !cfg.oidc.is_empty();
    let ui_flags =
        o.domain_prefix.is_some() || !o.callback_urls.is_empty() || !o.sign_out_urls.is_empty();
    if federated || ui_flags {
        let current = cfg.hosted_ui.clone();
        let default_url = format!("http://localhost:{}/", ctx.dev_port.unwrap_or(5173));
        let prefix = inputs.string(
            Question {
                key: "domain-prefix",
                prompt: "Hosted UI domain prefix (the environment's name is appended)",
                default: Some(
                    current
                        .as_ref()
                        .map(|u| u.domain_prefix.clone())
                        .unwrap_or_else(|| format!("{}-login", ctx.project)),
                ),
            },
            o.domain_prefix.clone(),
            non_empty("domain prefix"),
        )?;
        let callbacks = inputs.text_list(
            q(
                "callback-url",
                "Callback URLs after sign-in (comma-separated)",
            ),
            Some(o.callback_urls.clone()).filter(|u| !u.is_empty()),
            current
                .as_ref()
                .map(|u| u.urls.callback_urls.clone())
                .unwrap_or_else(|| vec![default_url.clone()]),
            |_| Ok(()),
        )?;
        let sign_outs = inputs.text_list(
            q("sign-out-url", "Sign-out URLs (comma-separated)"),
            Some(o.sign_out_urls.clone()).filter(|u| !u.is_empty()),
            current
                .as_ref()
                .map(|u| u.urls.sign_out_urls.clone())
                .unwrap_or_else(|| callbacks.clone()),
            |_| Ok(()),
        )?;
        cfg.hosted_ui = Some(HostedUi {
            domain_prefix: prefix,
            urls: RedirectUrls {
                callback_urls: callbacks,
                sign_out_urls: sign_outs,
            },
            env: current.map(|u| u.env).unwrap_or_default(),
        });
    }
    Ok(())
}

/// The api options: each from its flag, else asked, else the current config's.
pub fn resolve_api(
    o: &ApiOptions,
    current: Option<ApiConfig>,
    inputs: &mut Inputs,
) -> Result<ApiConfig, crate::Error> {
    let q = |key: &'static str, prompt: &'static str| Question {
        key,
        prompt,
        default: None,
    };
    let base = current.unwrap_or(ApiConfig {
        auth: AuthMode::ApiKey,
        additional_auth: Vec::new(),
        api_key_days: 7,
        oidc_issuer: None,
        oidc_client_id: None,
        lambda_authorizer_arn: None,
    });
    let all = [
        AuthMode::ApiKey,
        AuthMode::UserPools,
        AuthMode::Iam,
        AuthMode::Oidc,
        AuthMode::Lambda,
    ];
    let auth = inputs.choice(
        q("auth", "Default authorization mode"),
        o.auth,
        &all,
        base.auth,
        |m| format!("{m:?}"),
    )?;
    let additional_flag = if o.additional_auth.is_empty() {
        None
    } else {
        Some(o.additional_auth.clone())
    };
    let mut additional = inputs.list(
        q(
            "additional-auth",
            "Additional authorization modes (comma-separated)",
        ),
        additional_flag,
        base.additional_auth.clone(),
    )?;
    additional.retain(|m| *m != auth);
    additional.sort();
    additional.dedup();
    let uses_key = auth == AuthMode::ApiKey || additional.contains(&AuthMode::ApiKey);
    let days = if uses_key {
        inputs.number(
            q("api-key-days", "Days an API key lives"),
            o.api_key_days.map(u32::from),
            u32::from(base.api_key_days),
            1..=365,
        )? as u16
    } else {
        base.api_key_days
    };
    Ok(ApiConfig {
        auth,
        additional_auth: additional,
        api_key_days: days,
        ..base
    })
}

fn parse_group_access(text: &str) -> Result<(String, Vec<Access>), crate::Error> {
    let bad = |message: String| ResourceError::BadFlag {
        flag: "group-access",
        message,
        help: "write `GROUP=ACCESS`, with ACCESS a comma-separated list of create, read, delete (for example `Admins=create,read,delete`)",
    };
    let (group, access) = text
        .split_once('=')
        .ok_or_else(|| bad(format!("`{text}` has no `=`")))?;
    let access = access
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| match a {
            "create" => Ok(Access::Create),
            "read" => Ok(Access::Read),
            "delete" => Ok(Access::Delete),
            other => Err(bad(format!(
                "`{other}` is not an access (create, read, delete)"
            ))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((group.to_string(), access))
}

/// The storage options: each from its flag, else asked (when `ask`), else `base`'s.
pub fn resolve_storage(
    o: &StorageOptions,
    base: StorageConfig,
    inputs: &mut Inputs,
) -> Result<StorageConfig, crate::Error> {
    let mut cfg = base;
    let q = |key: &'static str, prompt: &'static str| Question {
        key,
        prompt,
        default: None,
    };
    cfg.authenticated = inputs.list(
        q(
            "authenticated-access",
            "What may signed-in users do with files? (create, read, delete)",
        ),
        o.authenticated_access.clone(),
        cfg.authenticated.clone(),
    )?;
    cfg.guest = inputs.list(
        q(
            "guest-access",
            "What may guests do with public files? (create, read, delete; empty for nothing)",
        ),
        o.guest_access.clone(),
        cfg.guest.clone(),
    )?;
    for entry in &o.group_access {
        let (group, access) = parse_group_access(entry)?;
        cfg.groups.insert(group, access);
    }
    for origin in &o.cors_origins {
        if !cfg.cors_origins.contains(origin) {
            cfg.cors_origins.push(origin.clone());
        }
    }
    for access in [&mut cfg.authenticated, &mut cfg.guest] {
        access.sort();
        access.dedup();
    }
    Ok(cfg)
}
