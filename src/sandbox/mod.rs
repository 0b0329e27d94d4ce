//! `hoist sandbox`: the backend, locally. The api's GraphQL endpoint
//! ([`server`], [`graphql`]) runs the resolvers `push` deploys ([`api`], in
//! the QuickJS [`runtime`], on the [`engine`]'s thread) against a local
//! DynamoDB ([`dynamodb`]) persisted under `.hoist/sandbox/<env>/`, with the
//! sandbox's api key and tokens ([`auth`]).

pub mod api;
pub mod auth;
pub mod cognito;
pub mod datasource;
pub mod ddb_api;
pub mod dynamodb;
pub mod engine;
pub mod function_env;
pub mod functions;
pub mod graphql;
pub mod identity;
pub mod lambda;
pub mod role_policy;
pub mod runtime;
pub mod s3;
pub mod search;
pub mod server;
pub mod sfn;
pub mod sigv4;
pub mod srp;
pub mod workflow_api;
pub mod workflows;

/// Why the sandbox did not start.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SandboxError {
    #[error("port {port} on {host} is in use")]
    #[diagnostic(
        code(hoist::sandbox::port_in_use),
        help(
            "stop what listens there (another `hoist sandbox`?), or pick another port with --port"
        )
    )]
    PortInUse { host: String, port: u16 },

    #[error("the storage port {port} on {host} is in use")]
    #[diagnostic(
        code(hoist::sandbox::storage_port_in_use),
        help(
            "stop what listens there (another `hoist sandbox`?), or pick another port with --storage-port"
        )
    )]
    StoragePortInUse { host: String, port: u16 },

    #[error("storage `{resource}` cannot be served: {why}")]
    #[diagnostic(
        code(hoist::sandbox::storage),
        help(
            "this is a bug in hoist's synthesis or the sandbox, not in your project; please report it with your hoist.toml"
        )
    )]
    Storage { resource: String, why: String },

    #[error("{message}")]
    #[diagnostic(code(hoist::sandbox::users))]
    Users {
        message: String,
        #[help]
        help: String,
    },

    #[error("{message}")]
    #[diagnostic(code(hoist::sandbox::trigger))]
    Trigger {
        message: String,
        #[help]
        help: String,
    },

    #[error("could not listen on {host}:{port}: {message}")]
    #[diagnostic(
        code(hoist::sandbox::listen),
        help("check --host: it must be an address of this machine, such as 127.0.0.1")
    )]
    Listen {
        host: String,
        port: u16,
        message: String,
    },

    #[error("the project has no api for the sandbox to serve")]
    #[diagnostic(
        code(hoist::sandbox::no_api),
        help("add one with `hoist add api --template todo`, then run `hoist sandbox` again")
    )]
    NoApi,

    #[error(transparent)]
    #[diagnostic(transparent)]
    Store(#[from] dynamodb::store::StoreError),

    #[error("--claim `{claim}` cannot be used: {why}")]
    #[diagnostic(
        code(hoist::sandbox::claim),
        help("give extra claims as NAME=VALUE, e.g. --claim email=ada@example.com")
    )]
    BadClaim { claim: String, why: String },

    #[error("the sandbox could not start: {0}")]
    #[diagnostic(
        code(hoist::sandbox::start),
        help(
            "this is a bug in hoist, not in your project; please report it with the command you ran"
        )
    )]
    Start(String),
}
