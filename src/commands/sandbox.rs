//! `hoist sandbox`: serve the project's api locally, offline, and reload it
//! when its sources change; `hoist sandbox token`: a token it accepts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use serde_json::json;
use tokio::sync::broadcast;

use crate::category::api::AuthMode;
use crate::category::api::outputs as api_outputs;
use crate::cli::{GlobalArgs, SandboxArgs, SandboxCommand};
use crate::error::FsError;
use crate::project::{self, ProjectFile, state};
use crate::sandbox::SandboxError;
use crate::sandbox::auth::{Authority, CredentialsRequest, Secrets, TokenRequest};
use crate::sandbox::dynamodb::Database;
use crate::sandbox::engine::Engine;
use crate::sandbox::graphql::{self, Published};
use crate::sandbox::server::{Endpoint, LogFormat, router};
use crate::settings::resolve_env;
use crate::ui::Printer;

/// How often the sources are looked at for changes.
const WATCH_INTERVAL: Duration = Duration::from_millis(100);

/// `.hoist/sandbox/<env>/`: the sandbox's data, secrets and build.
pub fn data_dir(root: &Path, env: &str) -> PathBuf {
    root.join(state::STATE_DIR).join("sandbox").join(env)
}

pub fn run(
    command: Option<SandboxCommand>,
    args: &SandboxArgs,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), crate::Error> {
    let cwd =
        std::env::current_dir().map_err(|e| FsError::new("read the current folder", ".", e))?;
    let file = ProjectFile::discover(&cwd)?;
    match command {
        Some(SandboxCommand::Token {
            user,
            groups,
            claims,
            oidc,
            hours,
            env,
        }) => {
            let env = resolve_env(&file, env.as_deref())?;
            let secrets = Secrets::load_or_create(&data_dir(file.root(), &env))?;
            let mut extra = serde_json::Map::new();
            for claim in &claims {
                let (k, v) = claim
                    .split_once('=')
                    .filter(|(k, _)| !k.is_empty())
                    .ok_or_else(|| SandboxError::BadClaim {
                        claim: claim.clone(),
                        why: "it is not NAME=VALUE".into(),
                    })?;
                if crate::sandbox::auth::RESERVED_CLAIMS.contains(&k) {
                    return Err(SandboxError::BadClaim {
                        claim: claim.clone(),
                        why: format!(
                            "`{k}` is set by the sandbox (use --user, --group and --hours)"
                        ),
                    }
                    .into());
                }
                extra.insert(k.to_string(), json!(v));
            }
            let authority = Authority::new(Vec::new(), secrets, &env);
            let token = authority.mint(&TokenRequest {
                username: user,
                groups,
                claims: extra,
                oidc,
                lifetime: hours.clamp(1, 24 * 30) * 3600,
            });
            if global.json {
                printer.data(&json!({ "token": token }));
            } else {
                println!("{token}");
            }
            Ok(())
        }
        Some(SandboxCommand::Credentials {
            user,
            guest,
            admin,
            hours,
            env,
        }) => {
            let env = resolve_env(&file, env.as_deref())?;
            let secrets = Secrets::load_or_create(&data_dir(file.root(), &env))?;
            let authority =
                Authority::new(Vec::new(), secrets, &env).with_region(&env_region(&file, &env));
            let credentials = authority.credentials(&CredentialsRequest {
                guest,
                admin,
                username: user.unwrap_or_default(),
                lifetime: hours.clamp(1, 12) * 3600,
                identity_id: None,
                sub: None,
                role: None,
            });
            if global.json {
                printer.data(&json!({
                    "IdentityId": credentials.identity_id,
                    "Credentials": credentials,
                }));
            } else {
                println!("export AWS_ACCESS_KEY_ID={}", credentials.access_key_id);
                println!("export AWS_SECRET_ACCESS_KEY={}", credentials.secret_key);
                println!("export AWS_SESSION_TOKEN={}", credentials.session_token);
                println!("export AWS_REGION={}", authority.region());
            }
            Ok(())
        }
        Some(SandboxCommand::Users { action, env }) => {
            let env = resolve_env(&file, env.as_deref())?;
            let region = env_region(&file, &env);
            let dir = data_dir(file.root(), &env);
            super::sandbox_users::run(&file, &env, &region, &dir, action, global, printer)
        }
        Some(SandboxCommand::Trigger { name, event, env }) => {
            let env = resolve_env(&file, env.as_deref())?;
            let region = env_region(&file, &env);
            let dir = data_dir(file.root(), &env);
            super::sandbox_trigger::run(
                &file,
                &env,
                &region,
                &dir,
                name.as_deref(),
                event.as_deref(),
                printer,
            )
        }
        None => serve(file, args, global, printer),
    }
}

/// The sandbox's identity pool id (`<region>:<uuid>`, the same each start).
fn endpoint_identity_pool(secrets: &Secrets, env: &str, region: &str) -> String {
    Authority::new(Vec::new(), secrets.clone(), env)
        .with_region(region)
        .identity_pool_id()
}

/// The region of environment `env` (SigV4 signatures are scoped to it).
pub fn env_region(file: &ProjectFile, env: &str) -> String {
    file.manifest
        .env
        .get(env)
        .map(|e| e.region.clone())
        .unwrap_or_else(|| "us-east-1".into())
}

/// Synthesize `env` into the sandbox's build folder (not the deploy one).
pub(crate) fn synth_into(
    file: &ProjectFile,
    env: &str,
    dir: &Path,
) -> Result<PathBuf, crate::Error> {
    let build = synth(file, env)?;
    write_build(dir, &build)
}

fn synth(file: &ProjectFile, env: &str) -> Result<crate::synth::Build, crate::Error> {
    let sources = project::read_sources(file)?;
    Ok(crate::synth::synth(&file.manifest, env, &sources)?)
}

fn write_build(dir: &Path, build: &crate::synth::Build) -> Result<PathBuf, crate::Error> {
    let out = dir.join("build");
    project::replace_dir(&out, &build.files)?;
    Ok(out)
}

/// Load what `build` holds into the engine and make its schema.
async fn load_schema(
    file: &ProjectFile,
    build: PathBuf,
    engine: &Engine,
    events: &broadcast::Sender<Published>,
) -> Result<async_graphql::dynamic::Schema, crate::Error> {
    let (name, cfg) = file.manifest.api.iter().next().ok_or(SandboxError::NoApi)?;
    let sdl_path = build.join(format!("api-{name}")).join("schema.graphql");
    let sdl = std::fs::read_to_string(&sdl_path).map_err(|e| FsError::new("read", &sdl_path, e))?;
    let api = engine
        .load(build, name.clone())
        .await
        .map_err(|e| SandboxError::Start(e.to_string()))?;
    graphql::build(
        &sdl,
        Arc::new(api),
        cfg.auth,
        engine.clone(),
        events.clone(),
    )
    .map_err(|e| SandboxError::Start(e.to_string()).into())
}

fn serve(
    file: ProjectFile,
    args: &SandboxArgs,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), crate::Error> {
    let started = Instant::now();
    let env = resolve_env(&file, args.env.as_deref())?;
    let Some(api_cfg) = file.manifest.api.values().next().cloned() else {
        return Err(SandboxError::NoApi.into());
    };
    // the sources and the port are checked before anything is written
    let synthesized = synth(&file, &env)?;
    for warning in &synthesized.warnings {
        printer.warn(warning);
    }
    let listener = std::net::TcpListener::bind((args.host.as_str(), args.port))
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AddrInUse => SandboxError::PortInUse {
                host: args.host.clone(),
                port: args.port,
            },
            _ => SandboxError::Listen {
                host: args.host.clone(),
                port: args.port,
                message: e.to_string(),
            },
        })?;
    // storage is served when the project has it (it needs auth: its policies are on the auth roles)
    let serves_storage = !file.manifest.storage.is_empty() && !file.manifest.auth.is_empty();
    let storage_listener = if serves_storage {
        Some(
            std::net::TcpListener::bind((args.host.as_str(), args.storage_port))
                .and_then(|l| l.set_nonblocking(true).map(|()| l))
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::AddrInUse => SandboxError::StoragePortInUse {
                        host: args.host.clone(),
                        port: args.storage_port,
                    },
                    _ => SandboxError::Listen {
                        host: args.host.clone(),
                        port: args.storage_port,
                        message: e.to_string(),
                    },
                })?,
        )
    } else {
        None
    };
    let dir = data_dir(file.root(), &env);
    std::fs::create_dir_all(&dir).map_err(|e| FsError::new("create", &dir, e))?;
    // the store is opened (and so locked) before --reset clears anything
    let db = if args.reset {
        Database::open_cleared(&dir)
    } else {
        Database::open(&dir)
    }
    .map_err(SandboxError::from)?;
    let mut secrets = Secrets::load_or_create(&dir)?;
    let region = env_region(&file, &env);
    let auth_name = file.manifest.auth.keys().next().cloned();
    // the user pool's key is made before anything is served (once per data folder)
    let pool_key = match &auth_name {
        Some(_) => Some(secrets.pool_key(&dir)?),
        None => None,
    };
    if args.reset {
        let users = dir.join("users.json");
        if let Err(e) = std::fs::remove_file(&users)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            return Err(FsError::new("remove", &users, e).into());
        }
    }
    let mut authority = Authority::new(api_cfg.modes(), secrets.clone(), &env).with_region(&region);
    if let Some(arn) = &api_cfg.lambda_authorizer_arn {
        authority = authority.with_lambda_authorizer(arn);
    }
    if let Some(function) = &api_cfg.lambda_authorizer {
        authority = authority.with_lambda_authorizer(function);
    }
    let build = write_build(&dir, &synthesized)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| SandboxError::Start(e.to_string()))?;
    runtime.block_on(async move {
        // the project's functions, for the api's `@function` fields; their
        // variables are known once the endpoints are (before any invocation)
        let function_env = crate::sandbox::function_env::Known::default();
        let functions = (!file.manifest.function.is_empty()).then(|| {
            let known = function_env.clone();
            crate::sandbox::functions::FunctionHost::start(
                file.root().to_path_buf(),
                file.manifest.function.clone(),
                env.clone(),
                region.clone(),
                Arc::new(move |function: &str| {
                    known
                        .get()
                        .and_then(|all| all.get(function).cloned())
                        .unwrap_or_default()
                }),
            )
        });
        // the api's Lambda authorizer, when it is a project function
        let authority = match (&api_cfg.lambda_authorizer, &functions) {
            (Some(function), Some(host)) => {
                let host = host.clone();
                let name = function.clone();
                authority.with_authorizer(crate::sandbox::auth::lambda::Authorizer {
                    function: crate::category::function::function_name(function, &env),
                    invoke: Arc::new(move |event| {
                        // the caller is a request's task: let the runtime move other tasks off this thread
                        tokio::task::block_in_place(|| {
                            host.invoke_function(
                                &name,
                                event,
                                crate::sandbox::auth::lambda::AUTHORIZER_TIMEOUT,
                            )
                        })
                        .map_err(|e| format!("{}: {}", e.error_type, e.message))
                    }),
                })
            }
            _ => authority,
        };
        // table stream triggers: the sandbox's DynamoDB sends its changes to them
        let mut db = db;
        if let Some(host) = &functions {
            let mut subscriptions: std::collections::BTreeMap<String, Vec<String>> =
                std::collections::BTreeMap::new();
            if let Some(api) = file.manifest.api.keys().next() {
                for (name, cfg) in &file.manifest.function {
                    for t in &cfg.triggers {
                        if let Ok(crate::category::function::triggers::Trigger::Table(model)) =
                            crate::category::function::triggers::parse(t)
                        {
                            subscriptions
                                .entry(format!("{api}.{}Table", crate::naming::pascal(&model)))
                                .or_default()
                                .push(name.clone());
                        }
                    }
                }
            }
            if !subscriptions.is_empty() {
                db.set_stream(host.stream(subscriptions, region.clone()));
            }
        }
        let engine = Engine::start_with(db, functions.clone())
            .map_err(|e| SandboxError::Start(e.to_string()))?;
        let (events, _) = broadcast::channel(1024);
        let schema = load_schema(&file, build, &engine, &events).await?;
        let listener = tokio::net::TcpListener::from_std(listener)
            .map_err(|e| SandboxError::Start(e.to_string()))?;
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(args.port);
        let host = if args.host.contains(':') {
            format!("[{}]", args.host)
        } else {
            args.host.clone()
        };
        let url = format!("http://{host}:{port}/graphql");
        let realtime = format!("ws://{host}:{port}/graphql/realtime");
        let user_pool_endpoint = format!("http://{host}:{port}/");
        let pool_id = format!("{region}_{}", crate::sandbox::cognito::POOL_NAME);
        let user_pool = match (&auth_name, pool_key) {
            (Some(name), Some(key)) => {
                let template_path = dir.join("build").join(format!("auth-{name}.template.json"));
                let template: serde_json::Value = std::fs::read(&template_path)
                    .ok()
                    .and_then(|b| serde_json::from_slice(&b).ok())
                    .unwrap_or_default();
                let settings = crate::sandbox::cognito::PoolSettings::from_template(&template, &region)
                    .unwrap_or_default();
                let json_log = global.json;
                let notify: Arc<dyn Fn(&str) + Send + Sync> = Arc::new(move |message: &str| {
                    if json_log {
                        println!("{}", json!({"kind": "code", "message": message}));
                    } else {
                        println!("{message}");
                    }
                });
                let pool = crate::sandbox::cognito::UserPool::open(
                    &pool_id,
                    crate::sandbox::auth::CLIENT_ID,
                    &format!("http://{host}:{port}/{pool_id}"),
                    settings,
                    key,
                    Some(&dir),
                    notify,
                )
                .map_err(SandboxError::Start)?;
                // the pool's Lambda triggers, run by the sandbox's functions
                let pool = match &functions {
                    Some(host) => {
                        let triggers: std::collections::BTreeMap<String, String> = file
                            .manifest
                            .function
                            .iter()
                            .flat_map(|(name, cfg)| {
                                cfg.triggers.iter().filter_map(move |t| {
                                    match crate::category::function::triggers::parse(t) {
                                        Ok(crate::category::function::triggers::Trigger::Auth(key)) => {
                                            Some((key.to_string(), name.clone()))
                                        }
                                        _ => None,
                                    }
                                })
                            })
                            .collect();
                        let host = host.clone();
                        pool.with_triggers(crate::sandbox::cognito::LambdaTriggers {
                            functions: triggers,
                            invoke: Arc::new(move |function: &str, event: serde_json::Value| {
                                host.invoke_function(function, event, std::time::Duration::from_secs(5))
                                    .map_err(|e| (e.error_type, e.message))
                            }),
                        })
                    }
                    None => pool,
                };
                Some(Arc::new(pool))
            }
            _ => None,
        };
        let authority = match &user_pool {
            Some(pool) => authority.with_user_pool(pool.clone()),
            None => authority,
        };
        // the identity pool: guests and signed-in users get the sandbox's credentials
        let identity_pool = auth_name.as_ref().map(|name| {
            let template: serde_json::Value = std::fs::read(
                dir.join("build").join(format!("auth-{name}.template.json")),
            )
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
            Arc::new(crate::sandbox::identity::IdentityPool::new(
                &authority.identity_pool_id(),
                crate::sandbox::identity::IdentitySettings::from_template(&template)
                    .unwrap_or_default(),
                user_pool.clone(),
            ))
        });
        // the storage buckets, with the rules of their synthesized stacks
        let buckets = match &storage_listener {
            Some(_) => open_buckets(&file, &env, &dir)?,
            None => BTreeMap::new(),
        };
        let mut deployed: crate::outputs::DeployedOutputs = [(
            format!(
                "api/{}",
                file.manifest.api.keys().next().cloned().unwrap_or_default()
            ),
            [
                (api_outputs::URL.to_string(), url.clone()),
                (api_outputs::API_KEY.to_string(), secrets.api_key.clone()),
                (api_outputs::API_ID.to_string(), authority.api_id()),
            ]
            .into_iter()
            .chain(crate::sandbox::function_env::table_outputs(&dir.join("build"), file.manifest.api.keys().next().map_or("", String::as_str)))
            .collect(),
        )]
        .into_iter()
        .collect();
        let mut custom = json!({ "hoist_sandbox": {
            "env": env,
            "graphql_endpoint": url,
            "realtime_endpoint": realtime,
        }});
        if let (Some(name), Some(pool)) = (&auth_name, &user_pool) {
            use crate::category::auth::outputs as auth_outputs;
            deployed.insert(
                format!("auth/{name}"),
                [
                    (auth_outputs::USER_POOL_ID.to_string(), pool.pool_id.clone()),
                    (auth_outputs::USER_POOL_ARN.to_string(), crate::sandbox::cognito::pool_arn(&region, &pool.pool_id)),
                    (auth_outputs::USER_POOL_CLIENT_ID.to_string(), pool.client_id.clone()),
                    (auth_outputs::IDENTITY_POOL_ID.to_string(), endpoint_identity_pool(&secrets, &env, &region)),
                ]
                .into_iter()
                .collect(),
            );
            custom["hoist_sandbox"]["user_pool_endpoint"] = json!(user_pool_endpoint);
            custom["hoist_sandbox"]["identity_pool_endpoint"] = json!(user_pool_endpoint);
        }
        let storage_listener = match storage_listener {
            Some(l) => Some(
                tokio::net::TcpListener::from_std(l)
                    .map_err(|e| SandboxError::Start(e.to_string()))?,
            ),
            None => None,
        };
        let storage_endpoint = storage_listener.as_ref().map(|l| {
            let port = l.local_addr().map(|a| a.port()).unwrap_or(args.storage_port);
            // the address the frontend and SDKs use (`localhost` for this machine)
            let loopback = args.host == "127.0.0.1" || args.host == "localhost";
            format!("http://{}:{port}", if loopback { "localhost" } else { &host })
        });
        for (resource, bucket) in &buckets {
            use crate::category::storage::outputs as storage_outputs;
            deployed.insert(
                format!("storage/{resource}"),
                [
                    (storage_outputs::BUCKET_NAME.to_string(), bucket.name.clone()),
                    (storage_outputs::BUCKET_ARN.to_string(), format!("arn:aws:s3:::{}", bucket.name)),
                ]
                .into_iter()
                .collect(),
            );
        }
        if let Some(endpoint) = &storage_endpoint {
            custom["hoist_sandbox"]["storage_endpoint"] = json!(endpoint);
        }
        let (mut table_policies, mut pool_policies) = (crate::sandbox::role_policy::RolePolicies::default(), crate::sandbox::role_policy::RolePolicies::default());
        {
            // the functions' variables: the sandbox's values of their grants,
            // its endpoints by IP (the SDKs address buckets by path on an IP),
            // and credentials of each function's role
            let numeric = |url: &str| url.replacen("://localhost:", "://127.0.0.1:", 1);
            let endpoint = numeric(user_pool_endpoint.trim_end_matches('/'));
            let storage = storage_endpoint.as_deref().map(numeric);
            let served = crate::sandbox::function_env::Served {
                outputs: &deployed,
                endpoint: &endpoint,
                storage_endpoint: storage.as_deref(),
                region: &region,
                env: &env,
            };
            // what each function's role may call on the api, as its policy says
            authority.set_function_api_statements(
                file.manifest
                    .function
                    .iter()
                    .map(|(name, cfg)| {
                        let role = crate::category::logical_id(crate::category::Category::Function, name);
                        let statements = crate::sandbox::function_env::api_statements(&file.manifest, cfg, &served);
                        (role, (name.clone(), statements))
                    })
                    .collect(),
            );
            // and on the api's tables (DynamoDB's API) and the user pool's admin operations
            for (name, cfg) in &file.manifest.function {
                let role = crate::category::logical_id(crate::category::Category::Function, name);
                let user = authority.function_user_arn(name, &role);
                table_policies.insert(&role, &user, crate::sandbox::function_env::statements(&file.manifest, cfg, &served, "dynamodb:"));
                pool_policies.insert(&role, &user, crate::sandbox::function_env::statements(&file.manifest, cfg, &served, "cognito-idp:"));
            }
            let all = file
                .manifest
                .function
                .iter()
                .map(|(name, cfg)| {
                    let mut vars = crate::sandbox::function_env::variables(&file.manifest, cfg, &served);
                    let role = crate::category::logical_id(crate::category::Category::Function, name);
                    let c = authority.function_credentials(name, &role, FUNCTION_CREDENTIALS_SECONDS);
                    vars.extend([
                        ("AWS_ACCESS_KEY_ID".to_string(), c.access_key_id),
                        ("AWS_SECRET_ACCESS_KEY".to_string(), c.secret_key),
                        ("AWS_SESSION_TOKEN".to_string(), c.session_token),
                    ]);
                    (name.clone(), vars)
                })
                .collect();
            let _ = function_env.set(all);
        }
        if functions.is_some() {
            // Lambda's Invoke API, for `hoist sandbox trigger` and the SDKs
            custom["hoist_sandbox"]["lambda_endpoint"] = json!(user_pool_endpoint);
        }
        let bucket_names = buckets.iter().map(|(r, b)| (r.clone(), b.name.clone())).collect();
        let names = crate::sandbox::workflows::Names { env: &env, region: &region, api: file.manifest.api.keys().next().map(String::as_str), buckets: &bucket_names };
        let bucket_objects = buckets.values().map(|b| (b.name.clone(), b.objects.clone())).collect();
        let workflows = crate::sandbox::workflows::start(file.root(), &file.manifest, &names, functions.clone(), engine.clone(), bucket_objects, global.json)?;
        for machine in workflows.iter().flat_map(|w| w.machines()) {
            // Step Functions' API, for `hoist workflow ... --sandbox` and the SDKs
            custom["hoist_sandbox"]["states_endpoint"] = json!(user_pool_endpoint);
            let activities = machine.activities.iter().map(|(name, arn)| (crate::category::workflow::stack::activity_output(name), arn.clone()));
            // a REST endpoint is served on this port, at the deployed paths
            let api: Vec<(String, String)> = match machine.api {
                Some(_) => std::iter::once((crate::category::workflow::triggers::API_ENDPOINT.to_string(), user_pool_endpoint.trim_end_matches('/').to_string()))
                    .chain(crate::category::workflow::triggers::ANSWERS.iter().filter(|_| machine.answers).map(|(path, _)| (crate::category::workflow::triggers::answer_output(path), format!("/workflows/{}/{path}", machine.workflow))))
                    .collect(),
                None => Vec::new(),
            };
            deployed.insert(format!("workflow/{}", machine.workflow), [("Arn".to_string(), machine.arn.clone())].into_iter().chain(activities).chain(api).collect());
        }
        let workflow_names: Vec<String> = workflows.iter().flat_map(|w| w.machines().map(|m| m.workflow.clone())).collect();
        let workflow_endpoints: Vec<String> = workflows.iter().flat_map(|w| w.machines().filter(|m| m.api.is_some()).map(|m| format!("{}workflows/{}", user_pool_endpoint, m.workflow))).collect();
        let written = SandboxOutputs {
            env: env.clone(),
            deployed,
            custom,
            keep_auth: user_pool.is_some(),
            keep_storage: storage_endpoint.is_some(),
        };
        let outputs = written.write(&file)?;
        let endpoint = Arc::new(Endpoint {
            schema: RwLock::new(Arc::new(schema)),
            authority,
            user_pool: user_pool.clone(),
            identity_pool,
            functions: functions.clone(),
            workflows,
            tables: Some(crate::sandbox::ddb_api::Tables { engine: engine.clone(), region: region.clone(), policies: table_policies }),
            pool_policies,
            log: if global.quiet {
                LogFormat::Off
            } else if global.json {
                LogFormat::Json
            } else {
                LogFormat::Text
            },
        });
        let shown = outputs
            .strip_prefix(file.root())
            .unwrap_or(&outputs)
            .display()
            .to_string();
        if global.json {
            println!(
                "{}",
                json!({"kind": "ready", "graphql_endpoint": url, "realtime_endpoint": realtime,
                    "storage_endpoint": storage_endpoint,
                    "env": env, "outputs": shown, "ms": started.elapsed().as_millis() as u64})
            );
        } else {
            println!("GraphQL endpoint: {url}");
            printer.info(format!("  realtime: {realtime}"));
            if api_cfg.uses(AuthMode::ApiKey) {
                printer.info(format!("  api key: {} (x-api-key)", secrets.api_key));
            }
            if api_cfg.uses(AuthMode::UserPools) || api_cfg.uses(AuthMode::Oidc) {
                printer.info(
                    "  tokens for the Authorization header: `hoist sandbox token --user NAME [--group G]`",
                );
            }
            if user_pool.is_some() {
                printer.info(format!(
                    "  user pool: {user_pool_endpoint} (sign-up codes are printed here)"
                ));
            }
            if let Some(endpoint) = &storage_endpoint {
                println!("Storage endpoint: {endpoint}/");
                printer.info(format!(
                    "  storage (S3, path-style): files in {}",
                    dir.join("storage")
                        .strip_prefix(file.root())
                        .unwrap_or(&dir)
                        .display()
                ));
            }
            if !workflow_names.is_empty() {
                printer.info(format!(
                    "  workflows: {} (`hoist workflow start NAME --sandbox`; their Tasks' messages and tokens are printed here)",
                    workflow_names.join(", ")
                ));
            }
            if !workflow_endpoints.is_empty() {
                printer.info(format!("  their REST endpoints: POST {}", workflow_endpoints.join(", ")));
            }
            if api_cfg.uses(AuthMode::Iam) {
                printer.info(
                    "  AWS credentials for AWS_IAM (SigV4) requests: `hoist sandbox credentials --user NAME` or `--guest`",
                );
            }
            let loopback = args
                .host
                .parse::<std::net::IpAddr>()
                .map(|ip| ip.is_loopback())
                .unwrap_or(args.host == "localhost");
            if !loopback {
                printer.warn(format!(
                    "the sandbox listens on {}: anyone who can reach this machine there can use its api and sign up; keep the default 127.0.0.1 unless you mean it",
                    args.host
                ));
            }
            if args.reset {
                printer.info("  --reset: the tables were cleared");
            }
            printer.info(format!(
                "  data: {}; {shown} points the frontend here",
                dir.strip_prefix(file.root()).unwrap_or(&dir).display()
            ));
            printer.detail(format!("ready in {} ms", started.elapsed().as_millis()));
        }
        // storage triggers: the sandbox's S3 sends its object events to them
        let mut subscriptions: BTreeMap<String, Vec<(String, crate::category::function::triggers::StorageTrigger)>> =
            BTreeMap::new();
        for (name, cfg) in &file.manifest.function {
            for (resource, trigger) in crate::category::function::storage_triggers(cfg, &file.manifest) {
                if let Some(bucket) = buckets.get(&resource) {
                    subscriptions.entry(bucket.name.clone()).or_default().push((name.clone(), trigger));
                }
            }
        }
        let storage_events = match (&functions, subscriptions.is_empty()) {
            (Some(host), false) => Some(std::sync::Mutex::new(host.storage_events(subscriptions, region.clone()))),
            _ => None,
        };
        let storage = Arc::new(crate::sandbox::s3::Storage {
            buckets: buckets.into_values().map(|b| (b.name.clone(), b)).collect(),
            endpoint: endpoint.clone(),
            events: storage_events,
        });
        let flusher = engine.clone();
        if !args.no_watch {
            watch(
                file,
                written,
                dir.clone(),
                engine,
                events,
                Served {
                    endpoint: endpoint.clone(),
                    storage: storage.clone(),
                },
                printer.clone(),
            );
        }
        if let Some(listener) = storage_listener {
            let app = crate::sandbox::s3::router(storage);
            tokio::spawn(async move {
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(shutdown())
                    .await;
            });
        }
        let served = axum::serve(listener, router(endpoint))
            .with_graceful_shutdown(shutdown())
            .await;
        flusher.flush().await;
        served.map_err(|e| SandboxError::Start(e.to_string()))?;
        if !global.quiet && !global.json {
            println!("Sandbox stopped; its data is kept in {}", dir.display());
        }
        Ok(())
    })
}

async fn shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The rules of the bucket `bucket` for the storage resource `resource`,
/// from the synthesized stacks in `dir/build`.
fn bucket_rules(
    file: &ProjectFile,
    resource: &str,
    bucket: &str,
    dir: &Path,
) -> Result<crate::sandbox::s3::policy::BucketRules, crate::Error> {
    use crate::category::{Category, logical_id};
    let build = dir.join("build");
    let read = |name: &str| -> Option<serde_json::Value> {
        std::fs::read(build.join(name))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
    };
    let problem = |why: String| SandboxError::Storage {
        resource: resource.to_string(),
        why,
    };
    let template = read(&format!("storage-{resource}.template.json"))
        .ok_or_else(|| problem("its synthesized stack is missing".into()))?;
    let root = read("root.template.json")
        .ok_or_else(|| problem("the synthesized root stack is missing".into()))?;
    let stacks = |logical: &str| {
        file.manifest
            .auth
            .keys()
            .find(|name| logical_id(Category::Auth, name) == logical)
            .and_then(|name| read(&format!("auth-{name}.template.json")))
    };
    let mut rules = crate::sandbox::s3::policy::BucketRules::from_templates(
        bucket,
        &template,
        &root,
        &logical_id(Category::Storage, resource),
        &stacks,
    )
    .map_err(problem)?;
    // the project's functions, by their roles' statements on this bucket
    let parameter = format!("{}Bucket", logical_id(Category::Storage, resource));
    for function in file.manifest.function.keys() {
        if let Some(template) = read(&format!("function-{function}.template.json")) {
            rules.add_function_role(
                &logical_id(Category::Function, function),
                &template,
                &parameter,
            );
        }
    }
    Ok(rules)
}

/// How long a sandbox function's role credentials live (seconds): they are
/// made when the sandbox starts and not renewed (Lambda renews a deployed
/// function's), so a sandbox running longer than a week needs a restart.
const FUNCTION_CREDENTIALS_SECONDS: u64 = 7 * 24 * 3600;

/// The project's storage buckets (by resource name), their objects under
/// `dir/storage/<bucket>/`.
fn open_buckets(
    file: &ProjectFile,
    env: &str,
    dir: &Path,
) -> Result<BTreeMap<String, crate::sandbox::s3::Bucket>, crate::Error> {
    let mut buckets = BTreeMap::new();
    for resource in file.manifest.storage.keys() {
        let name = crate::sandbox::s3::bucket_name(resource, env);
        let rules = bucket_rules(file, resource, &name, dir)?;
        let folder = dir.join("storage").join(&name);
        let objects = crate::sandbox::s3::objects::Objects::open(&folder)
            .map_err(|e| FsError::new("create or open the storage folder", &folder, e))?;
        buckets.insert(
            resource.clone(),
            crate::sandbox::s3::Bucket {
                name,
                rules: std::sync::RwLock::new(rules),
                objects: Arc::new(objects),
            },
        );
    }
    Ok(buckets)
}

/// `amplify_outputs.json` pointing at the sandbox; written again on reload
/// (the model introspection follows the schema).
struct SandboxOutputs {
    env: String,
    deployed: crate::outputs::DeployedOutputs,
    custom: serde_json::Value,
    /// The sandbox runs the user pool: the `auth` section points at it.
    keep_auth: bool,
    /// The sandbox serves the storage buckets: the `storage` section names them.
    keep_storage: bool,
}

impl SandboxOutputs {
    /// The outputs carry what the sandbox serves: the api's `data` section,
    /// the `auth` section of its user pool, the `storage` section of its
    /// buckets, and the workflows' REST endpoints on its port.
    fn write(&self, file: &ProjectFile) -> Result<PathBuf, crate::Error> {
        let mut local = file.clone();
        if !self.keep_auth {
            local.manifest.auth.clear();
        }
        // the sandbox serves no hosted UI: its outputs do not name one
        for auth in local.manifest.auth.values_mut() {
            auth.hosted_ui = None;
        }
        if !self.keep_storage {
            local.manifest.storage.clear();
        }
        crate::deploy::local::write_outputs_with(
            &local,
            &self.env,
            &self.deployed,
            Some(self.custom.clone()),
        )
    }
}

/// What the watched sources look like: each file's path, size and mtime.
fn fingerprint(root: &Path) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.join(project::MANIFEST_FILE), root.join("hoist")];
    while let Some(path) = stack.pop() {
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            if let Ok(entries) = std::fs::read_dir(&path) {
                stack.extend(entries.flatten().map(|e| e.path()));
            }
        } else {
            out.push((path, meta.len(), meta.modified().ok()));
        }
    }
    out.sort();
    out
}

/// What the sandbox serves, as a reload updates it.
struct Served {
    endpoint: Arc<Endpoint>,
    storage: Arc<crate::sandbox::s3::Storage>,
}

/// Reload on change: re-synthesize, load into the engine (data kept), swap the
/// schema; a source that does not synthesize keeps the last good api.
fn watch(
    file: ProjectFile,
    outputs: SandboxOutputs,
    dir: PathBuf,
    engine: Engine,
    events: broadcast::Sender<Published>,
    served: Served,
    printer: Printer,
) {
    let Served { endpoint, storage } = served;
    let root = file.root().to_path_buf();
    tokio::spawn(async move {
        let mut last = fingerprint(&root);
        let mut ticker = tokio::time::interval(WATCH_INTERVAL);
        loop {
            ticker.tick().await;
            let now = fingerprint(&root);
            if now == last {
                continue;
            }
            last = now;
            let began = Instant::now();
            let reloaded = async {
                let file = ProjectFile::discover(&root)?;
                let build = synth_into(&file, &outputs.env, &dir)?;
                let schema = load_schema(&file, build, &engine, &events).await?;
                // the buckets served keep their objects and take their stacks' new rules
                for resource in file.manifest.storage.keys() {
                    let name = crate::sandbox::s3::bucket_name(resource, &outputs.env);
                    if let Some(bucket) = storage.buckets.get(&name) {
                        bucket.set_rules(bucket_rules(&file, resource, &name, &dir)?);
                    }
                }
                outputs.write(&file)?;
                Ok::<_, crate::Error>(schema)
            }
            .await;
            match reloaded {
                Ok(schema) => {
                    endpoint.swap(schema);
                    println!("Reloaded the api in {} ms", began.elapsed().as_millis());
                }
                Err(e) => {
                    printer.warn(
                        "this change does not build, so the last good api keeps running; fix it and save again:",
                    );
                    printer.error(e);
                }
            }
        }
    });
    let _ = file;
}
