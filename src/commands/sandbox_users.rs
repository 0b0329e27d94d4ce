//! `hoist sandbox users list | add EMAIL [--password P] [--group G]... |
//! remove EMAIL`: the sandbox user pool's users. With the sandbox running
//! (the outputs name its user pool and it answers), the commands go to it
//! through the AWS SDK for Rust's Cognito client, signed with the sandbox
//! administrator's credentials, as any SDK user would call Cognito's admin
//! operations. Otherwise they run on the pool in the sandbox's data folder,
//! whose store lock proves no sandbox is using it.

use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::cli::{GlobalArgs, UsersAction};
use crate::error::FsError;
use crate::project::ProjectFile;
use crate::sandbox::SandboxError;
use crate::sandbox::auth::{Authority, CredentialsRequest, Secrets};
use crate::sandbox::cognito::{CognitoError, POOL_NAME, PoolSettings, UserPool};
use crate::ui::Printer;

/// One user as listed.
#[derive(Debug, Clone, serde::Serialize)]
struct Listed {
    username: String,
    email: Option<String>,
    status: String,
    groups: Vec<String>,
}

/// The admin operations the command needs, on the running sandbox or the data folder.
trait Admin {
    /// Cognito's admin operation `operation` with a JSON request; its JSON answer.
    fn call(&self, operation: &str, body: Value) -> Result<Value, CognitoError>;
}

/// The pool in the sandbox's data folder (no sandbox runs on it).
struct Local(UserPool);

impl Admin for Local {
    fn call(&self, operation: &str, body: Value) -> Result<Value, CognitoError> {
        self.0.call(operation, &body)
    }
}

/// The running sandbox, through the AWS SDK for Rust.
struct Remote {
    client: aws_sdk_cognitoidentityprovider::Client,
    runtime: tokio::runtime::Runtime,
}

fn sdk_error<E, R>(e: aws_sdk_cognitoidentityprovider::error::SdkError<E, R>) -> CognitoError
where
    E: aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
    let kind = match e.code() {
        Some("UsernameExistsException") => "UsernameExistsException",
        Some("UserNotFoundException") => "UserNotFoundException",
        Some("InvalidPasswordException") => "InvalidPasswordException",
        Some("ResourceNotFoundException") => "ResourceNotFoundException",
        Some("InvalidParameterException") => "InvalidParameterException",
        Some("NotAuthorizedException") => "NotAuthorizedException",
        // the sandbox answered with another error: said as it is
        Some(_) => "ServiceError",
        // no answer at all
        None => "SandboxUnreachable",
    };
    let message = e
        .message()
        .map(str::to_string)
        .unwrap_or_else(|| format!("{e:?}"));
    CognitoError { kind, message }
}

impl Admin for Remote {
    fn call(&self, operation: &str, body: Value) -> Result<Value, CognitoError> {
        let c = &self.client;
        let pool = body["UserPoolId"].as_str().unwrap_or_default().to_string();
        let user = body["Username"].as_str().unwrap_or_default().to_string();
        self.runtime.block_on(async {
            Ok(match operation {
                "ListUsers" => {
                    let mut users = Vec::new();
                    let mut token = None;
                    loop {
                        let page = c
                            .list_users()
                            .user_pool_id(&pool)
                            .set_pagination_token(token)
                            .send()
                            .await
                            .map_err(sdk_error)?;
                        for u in page.users() {
                            users.push(json!({
                                "Username": u.username(),
                                "UserStatus": u.user_status().map(|s| s.as_str()),
                                "Attributes": u.attributes().iter().map(|a| json!({"Name": a.name(), "Value": a.value()})).collect::<Vec<_>>(),
                            }));
                        }
                        token = page.pagination_token().map(str::to_string);
                        if token.is_none() {
                            break;
                        }
                    }
                    json!({ "Users": users })
                }
                "AdminListGroupsForUser" => {
                    let out = c
                        .admin_list_groups_for_user()
                        .user_pool_id(&pool)
                        .username(&user)
                        .send()
                        .await
                        .map_err(sdk_error)?;
                    json!({ "Groups": out.groups().iter().map(|g| json!({"GroupName": g.group_name()})).collect::<Vec<_>>() })
                }
                "AdminCreateUser" => {
                    use aws_sdk_cognitoidentityprovider::types::{AttributeType, MessageActionType};
                    let email = AttributeType::builder()
                        .name("email")
                        .value(&user)
                        .build()
                        .map_err(|e| CognitoError {
                            kind: "InvalidParameterException",
                            message: e.to_string(),
                        })?;
                    let out = c
                        .admin_create_user()
                        .user_pool_id(&pool)
                        .username(&user)
                        .user_attributes(email)
                        .temporary_password(body["TemporaryPassword"].as_str().unwrap_or_default())
                        .message_action(MessageActionType::Suppress)
                        .send()
                        .await
                        .map_err(sdk_error)?;
                    json!({ "User": { "Username": out.user().and_then(|u| u.username()) } })
                }
                "AdminSetUserPassword" => {
                    c.admin_set_user_password()
                        .user_pool_id(&pool)
                        .username(&user)
                        .password(body["Password"].as_str().unwrap_or_default())
                        .permanent(body["Permanent"] == true)
                        .send()
                        .await
                        .map_err(sdk_error)?;
                    json!({})
                }
                "AdminAddUserToGroup" => {
                    c.admin_add_user_to_group()
                        .user_pool_id(&pool)
                        .username(&user)
                        .group_name(body["GroupName"].as_str().unwrap_or_default())
                        .send()
                        .await
                        .map_err(sdk_error)?;
                    json!({})
                }
                "AdminDeleteUser" => {
                    c.admin_delete_user()
                        .user_pool_id(&pool)
                        .username(&user)
                        .send()
                        .await
                        .map_err(sdk_error)?;
                    json!({})
                }
                other => {
                    return Err(CognitoError {
                        kind: "UnknownOperationException",
                        message: format!("`{other}` is not used here"),
                    });
                }
            })
        })
    }
}

fn failed(e: CognitoError) -> crate::Error {
    let help = match e.kind {
        "UsernameExistsException" => {
            "that email already has a user; `hoist sandbox users list` shows them"
        }
        "UserNotFoundException" => {
            "no user signs in with that email; `hoist sandbox users list` shows them"
        }
        "InvalidPasswordException" => {
            "give a password the pool's policy takes (hoist.toml's [auth.<name>.password])"
        }
        "ResourceNotFoundException" => {
            "name a group of the auth resource (hoist.toml's groups), or add it with `hoist update auth --group NAME`"
        }
        "SandboxUnreachable" => {
            "is the sandbox still running? stop it to work on its data folder instead"
        }
        _ => "see `hoist sandbox users --help`",
    };
    SandboxError::Users {
        message: e.message,
        help: help.to_string(),
    }
    .into()
}

/// A temporary password the pool's policy takes: 16 characters with every
/// class Cognito may ask for.
fn temporary_password(min_length: usize) -> String {
    use rand::Rng as _;
    let classes: [&[u8]; 4] = [
        b"ABCDEFGHJKLMNPQRSTUVWXYZ",
        b"abcdefghijkmnopqrstuvwxyz",
        b"23456789",
        b"^$*.[]{}()?!@#%&",
    ];
    let mut rng = rand::rng();
    let length = min_length.clamp(16, 99);
    (0..length)
        .map(|i| {
            let class = classes[i % classes.len()];
            class[rng.random_range(0..class.len())] as char
        })
        .collect()
}

pub fn run(
    file: &ProjectFile,
    env: &str,
    region: &str,
    dir: &Path,
    action: UsersAction,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), crate::Error> {
    let Some(auth_name) = file.manifest.auth.keys().next().cloned() else {
        return Err(SandboxError::Users {
            message: "the project has no auth resource, so the sandbox has no user pool".into(),
            help: "add one with `hoist add auth`".into(),
        }
        .into());
    };
    let min_length = file.manifest.auth[&auth_name].password.min_length as usize;
    // the running sandbox of this environment, if the outputs name it and it answers
    let outputs: Option<Value> = std::fs::read(crate::deploy::local::outputs_path(file))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let running = outputs.as_ref().and_then(|o| {
        let sandbox = &o["custom"]["hoist_sandbox"];
        let endpoint = sandbox["user_pool_endpoint"].as_str()?;
        (sandbox["env"] == env && crate::deploy::local::endpoint_answers(endpoint)).then(|| {
            (
                endpoint.to_string(),
                o["auth"]["user_pool_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
    });
    // held to the end: no sandbox starts on the data folder while it is changed here
    let mut store = None;
    let (admin, pool_id, place): (Box<dyn Admin>, String, String) = match running {
        Some((endpoint, pool_id)) => {
            let secrets = Secrets::load_or_create(dir)?;
            let authority = Authority::new(Vec::new(), secrets, env).with_region(region);
            let c = authority.credentials(&CredentialsRequest {
                admin: true,
                lifetime: 900,
                ..CredentialsRequest::default()
            });
            // a retried AdminCreateUser would report the user it made as existing
            let config = super::sandbox_trigger::admin_sdk_config(&endpoint, region, &c);
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| SandboxError::Start(e.to_string()))?;
            (
                Box::new(Remote {
                    client: aws_sdk_cognitoidentityprovider::Client::new(&config),
                    runtime,
                }),
                pool_id,
                format!("the running sandbox at {endpoint}"),
            )
        }
        None => {
            // no sandbox answers: its data folder, locked as a sandbox would lock it
            std::fs::create_dir_all(dir).map_err(|e| FsError::new("create", dir, e))?;
            store =
                Some(crate::sandbox::dynamodb::Database::open(dir).map_err(SandboxError::from)?);
            let mut secrets = Secrets::load_or_create(dir)?;
            let build = super::sandbox::synth_into(file, env, dir)?;
            let template = std::fs::read(build.join(format!("auth-{auth_name}.template.json")))
                .ok()
                .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
                .unwrap_or_default();
            let settings = PoolSettings::from_template(&template, region).unwrap_or_default();
            let key = secrets.pool_key(dir)?;
            let pool_id = format!("{region}_{POOL_NAME}");
            let pool = UserPool::open(
                &pool_id,
                crate::sandbox::auth::CLIENT_ID,
                &pool_id,
                settings,
                key,
                Some(dir),
                Arc::new(|_: &str| {}),
            )
            .map_err(SandboxError::Start)?;
            (
                Box::new(Local(pool)),
                pool_id,
                format!(
                    "the sandbox's data folder {}",
                    dir.strip_prefix(file.root()).unwrap_or(dir).display()
                ),
            )
        }
    };
    let admin = admin.as_ref();
    match action {
        UsersAction::List => {
            let users = admin
                .call("ListUsers", json!({ "UserPoolId": pool_id }))
                .map_err(failed)?;
            let mut listed = Vec::new();
            for u in users["Users"].as_array().into_iter().flatten() {
                let username = u["Username"].as_str().unwrap_or_default().to_string();
                let groups = admin
                    .call(
                        "AdminListGroupsForUser",
                        json!({ "UserPoolId": pool_id, "Username": username }),
                    )
                    .map_err(failed)?;
                let email = u["Attributes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|a| a["Name"] == "email")
                    .and_then(|a| a["Value"].as_str())
                    .map(str::to_string);
                listed.push(Listed {
                    username,
                    email,
                    status: u["UserStatus"].as_str().unwrap_or_default().to_string(),
                    groups: groups["Groups"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|g| g["GroupName"].as_str().map(str::to_string))
                        .collect(),
                });
            }
            if global.json {
                printer.data(&json!({ "users": listed }));
            } else if listed.is_empty() {
                printer.info(format!("No users yet ({place})."));
            } else {
                for user in &listed {
                    println!(
                        "{:<32} {:<22} {}",
                        user.email.as_deref().unwrap_or(&user.username),
                        user.status,
                        user.groups.join(", ")
                    );
                }
                printer.info(format!("{} users, from {place}", listed.len()));
            }
        }
        UsersAction::Add {
            email,
            password,
            groups,
        } => {
            let temporary = temporary_password(min_length);
            let created = admin
                .call(
                    "AdminCreateUser",
                    json!({ "UserPoolId": pool_id, "Username": email, "TemporaryPassword": temporary,
                        "MessageAction": "SUPPRESS",
                        "UserAttributes": [{ "Name": "email", "Value": email }] }),
                )
                .map_err(failed)?;
            let username = created["User"]["Username"]
                .as_str()
                .unwrap_or(&email)
                .to_string();
            let rest = || -> Result<(), CognitoError> {
                if let Some(password) = &password {
                    admin.call(
                        "AdminSetUserPassword",
                        json!({ "UserPoolId": pool_id, "Username": username, "Password": password, "Permanent": true }),
                    )?;
                }
                for group in &groups {
                    admin.call(
                        "AdminAddUserToGroup",
                        json!({ "UserPoolId": pool_id, "Username": username, "GroupName": group }),
                    )?;
                }
                Ok(())
            };
            // all or nothing: a refused password or group removes the user just made
            if let Err(e) = rest() {
                if let Err(undo) = admin.call(
                    "AdminDeleteUser",
                    json!({ "UserPoolId": pool_id, "Username": username }),
                ) {
                    printer.warn(format!(
                        "{email} was made but could not be removed again ({}): remove it with `hoist sandbox users remove {email}`",
                        undo.message
                    ));
                }
                return Err(failed(e));
            }
            if global.json {
                printer.data(&json!({
                    "email": email, "username": username, "groups": groups,
                    "status": if password.is_some() { "CONFIRMED" } else { "FORCE_CHANGE_PASSWORD" },
                    "temporary_password": password.is_none().then_some(&temporary),
                }));
            } else if password.is_some() {
                printer.success(format!(
                    "Added {email}; they sign in with the password given ({place})"
                ));
            } else {
                printer.success(format!("Added {email} ({place})"));
                println!("temporary password: {temporary}");
                printer
                    .info("  it is changed at the first sign-in (Cognito's NEW_PASSWORD_REQUIRED)");
            }
        }
        UsersAction::Remove { email } => {
            admin
                .call(
                    "AdminDeleteUser",
                    json!({ "UserPoolId": pool_id, "Username": email }),
                )
                .map_err(failed)?;
            if global.json {
                printer.data(&json!({ "removed": email }));
            } else {
                printer.success(format!("Removed {email} ({place})"));
            }
        }
    }
    drop(store);
    Ok(())
}
