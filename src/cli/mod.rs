//! Command-line types (clap derive) and nothing else.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;

use crate::category::Category;
use crate::category::api::AuthMode;
use crate::category::auth::{Attribute, Mfa, MfaMethod, Recovery, SignIn};
use crate::category::storage::Access;
use crate::project::Framework;

mod sandbox;
mod workflow;
pub use sandbox::{DevArgs, SandboxArgs, SandboxCommand, UsersAction};
pub use workflow::{DeployedArgs, WorkflowCommand, WorkflowOptions, WorkflowRemovals};

const EXAMPLES: &str = "\
Examples:
  hoist init myapp --starter todo --yes     A React app with sign-in, todos and files
  hoist init                                Add hoist to the frontend in this folder
  hoist add auth --yes                      Add Cognito sign-in with secure defaults
  hoist add api --yes                       Add a GraphQL API (AppSync, DynamoDB)
  hoist add storage --yes                   Add an S3 bucket for users' files
  hoist dev                                 Run the backend and the frontend offline
  hoist push                                Deploy the current environment
  hoist workflow run flow.asl.json --mocks mocks.json
                                            Run a Step Functions state machine locally
  hoist completions zsh > _hoist            Install shell completions";

#[derive(Debug, Parser)]
#[command(
    name = "hoist",
    version,
    about = "Scaffold full-stack apps and deploy their AWS backends",
    long_about = "Scaffold full-stack apps and deploy their AWS backends.\n\n\
                  hoist creates a React, Vue or React Native frontend from templates, adds \
                  backend categories (auth, api, storage), runs them offline (`hoist sandbox`, \
                  `hoist dev`), deploys them to AWS per environment (`hoist push`), and \
                  validates, draws and runs Step Functions state machines (`hoist workflow`).",
    after_help = EXAMPLES,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes, listed after each command's own.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Answer every question with its default; fail where there is none
    #[arg(long, short = 'y', global = true)]
    pub yes: bool,

    /// Print the result as JSON on stdout (messages stay on stderr)
    #[arg(long, global = true)]
    pub json: bool,

    /// Never draw progress bars; print plain lines
    #[arg(long, global = true)]
    pub no_progress: bool,

    /// Print only errors
    #[arg(long, short = 'q', global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print more detail (repeat for even more)
    #[arg(long, short = 'v', global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// When to use colours (the NO_COLOR environment variable also turns them off)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// A TOML file of answers to questions, keyed by the flag's name (for example `name = "shop"`)
    #[arg(long, global = true, value_name = "FILE")]
    pub answers: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colours on a terminal, none in a pipe or a file
    Auto,
    /// Colours everywhere
    Always,
    /// No colours
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a project: scaffold a frontend, or add hoist to an existing one
    #[command(after_help = "\
Examples:
  hoist init myapp --frontend vue --yes      New Vue app in ./myapp with the defaults
  hoist init myapp --starter todo --yes      A React app with sign-in, todos and files
  hoist init . --name shop --env staging     Ask only what the flags leave open
  hoist init --frontend none --yes           Backend only, no frontend
  cd my-existing-vite-app && hoist init      Detect the framework, add only hoist.toml")]
    Init(InitArgs),

    /// Add a backend resource (auth, api, storage) to the project
    #[command(after_help = "\
Examples:
  hoist add auth --yes              Cognito sign-in with secure defaults
  hoist add api --yes               A GraphQL API (each user's own todos where users sign in)
  hoist add storage --yes           An S3 bucket with per-user folders
  hoist add auth --help             Every option of a category")]
    Add {
        #[command(subcommand)]
        what: AddCommand,
    },

    /// Change a backend resource's options; flags change only what they name
    #[command(after_help = "\
Examples:
  hoist update auth main --password-min-length 12   Only the password length changes
  hoist update storage files --guest-access read
  hoist update api main --additional-auth iam")]
    Update {
        #[command(subcommand)]
        what: UpdateCommand,
    },

    /// Remove a backend resource from the project (deployed on the next push)
    #[command(after_help = "\
Examples:
  hoist remove storage files
  hoist remove storage --yes        The project's only storage, without asking")]
    Remove {
        /// The resource's category
        #[arg(value_enum)]
        category: Category,
        /// The resource's name (default: the project's only resource of the category)
        name: Option<String>,
    },

    /// Write the CloudFormation of an environment to `.hoist/build/<env>/`; no AWS call
    #[command(after_help = "\
Examples:
  hoist synth                Synthesize the current environment
  hoist synth --env prod     Synthesize another environment
  hoist synth --no-codegen   Leave the frontend's generated TypeScript alone
  hoist synth --resolvers    Also write each resolver's code to read (api-<name>/resolvers/)")]
    Synth {
        /// The environment (default: the current one)
        #[arg(long = "env", value_name = "NAME")]
        env: Option<String>,
        /// Do not run codegen (by default the api's TypeScript is written again when the schema changed)
        #[arg(long)]
        no_codegen: bool,
        /// Also write the code the templates inline as files to read and lint: each
        /// resolver at `api-<name>/resolvers/<Type>.<field>.js` (the name that replaces
        /// it in `hoist/api/<name>/resolvers/`)
        #[arg(long)]
        resolvers: bool,
    },

    /// Write the api's typed GraphQL documents and TypeScript types into the frontend
    #[command(after_help = "\
Examples:
  hoist codegen              Write src/graphql/{API,queries,mutations,subscriptions}.ts
  hoist codegen --json       Also print what was written

Configure it in hoist.toml:
  [codegen]
  output_dir = \"src/graphql\"   # default: <source_dir>/graphql
  max_depth = 2                  # levels of related types in selection sets
  api = \"main\"                 # default: the first api
  enabled = true                 # false: synth and push leave codegen alone")]
    Codegen,

    /// Each resource's change against the environment's last deploy, decided locally
    #[command(after_help = "\
Examples:
  hoist status
  hoist status --env prod --json")]
    Status {
        /// The environment (default: the current one)
        #[arg(long = "env", value_name = "NAME")]
        env: Option<String>,
    },

    /// Deploy an environment: synth, upload what changed, apply a change set, write outputs
    #[command(after_help = "\
Examples:
  hoist push                      Show the change set, ask, deploy
  hoist push --yes                Deploy without asking (the change set is still shown)
  hoist push --dry-run            Show the change set and stop
  hoist push --recover            Continue a rollback stuck in UPDATE_ROLLBACK_FAILED
  hoist push --endpoint-url http://127.0.0.1:5000   Deploy to a local emulator")]
    Push {
        #[command(flatten)]
        target: TargetArgs,
        /// Show the change set, then stop without deploying
        #[arg(long)]
        dry_run: bool,
        /// Continue an update rollback that failed, then push
        #[arg(long)]
        recover: bool,
        /// Apply even if nothing changed locally (for example after rotating a secret)
        #[arg(long)]
        force: bool,
        /// Do not run codegen (by default the api's TypeScript is written again when the schema changed)
        #[arg(long)]
        no_codegen: bool,
    },

    /// What a push would change, from a change set (nothing is deployed)
    Diff {
        #[command(flatten)]
        target: TargetArgs,
    },

    /// Write the frontend's `amplify_outputs.json` for an environment from its last deploy
    #[command(after_help = "\
Examples:
  hoist outputs              The current environment's outputs
  hoist outputs --env prod   Another environment's")]
    Outputs {
        /// The environment (default: the current one)
        #[arg(long = "env", value_name = "NAME")]
        env: Option<String>,
    },

    /// Delete an environment's stacks from AWS, keeping it in hoist.toml (users, items and files are kept)
    #[command(after_help = "\
Examples:
  hoist delete                     The current environment, after a question
  hoist delete --env staging --yes
  hoist delete --env staging --purge   Also its users, items and files, for good

The user pool, the model tables and the storage buckets are retained (their data outlives
the stacks). `--purge` deletes them too once the stacks are gone, after a question naming
how many users, items and files that destroys; an environment with `protected = true` is
never purged. `hoist push` deploys the environment again; `hoist env remove` also drops it
from hoist.toml.")]
    Delete {
        /// The environment (default: the current one)
        #[arg(long = "env", value_name = "NAME")]
        env: Option<String>,
        /// Also delete the user pool, tables and storage buckets (their users, items and files)
        #[arg(long)]
        purge: bool,
        #[command(flatten)]
        target: EnvTargetArgs,
    },

    /// Team environments: add, list, switch, rebuild from CloudFormation, remove
    #[command(after_help = "\
Examples:
  hoist env add staging --region eu-west-1    A new environment
  hoist env list                              Every environment and its stack's status
  hoist env checkout staging                  Make it the current one
  hoist env pull staging                      In a fresh clone: outputs from CloudFormation")]
    Env {
        #[command(subcommand)]
        command: EnvCommand,
    },

    /// Run the backend locally, offline: the api's GraphQL endpoint with the
    /// resolvers `push` deploys, on a local DynamoDB kept under .hoist/sandbox/<env>/
    #[command(
        args_conflicts_with_subcommands = true,
        after_help = "\
Examples:
  hoist sandbox                         Serve http://127.0.0.1:20002/graphql, reload on save
  hoist sandbox --port 4000 --reset     Another port, and start from empty tables
  hoist sandbox token --user ada --group Admin
                                        A user-pool token for the Authorization header
  hoist sandbox trigger nightly         Run a scheduled function now, in the running sandbox"
    )]
    Sandbox {
        #[command(subcommand)]
        command: Option<SandboxCommand>,
        #[command(flatten)]
        args: SandboxArgs,
    },

    /// Run the whole app locally, offline: the sandbox and the frontend's dev server together
    #[command(after_help = "\
Examples:
  hoist dev                 The sandbox on :20002 and `start_command` (npm run dev); Ctrl-C stops both
  hoist dev --reset         Start from empty tables and no users
  hoist dev --no-frontend   The sandbox alone, with the same output")]
    Dev(DevArgs),

    /// Lambda functions of the project: build their packages, run them locally
    #[command(after_help = "\
Examples:
  hoist function invoke greet --event '{\"name\":\"Ada\"}'   Run it locally, as Lambda would
  hoist function invoke greet --event event.json
  hoist function invoke greet --remote --env prod         The deployed function, with its log's tail
  hoist function build greet                              The zip `hoist push` uploads
  hoist function logs greet --env prod --follow           What the deployed function logs")]
    Function {
        #[command(subcommand)]
        command: FunctionCommand,
    },

    /// Step Functions state machines: validate, draw and run them offline; start and watch the deployed ones
    #[command(after_help = "\
Examples:
  hoist workflow validate order.asl.json
  hoist workflow graph order.asl.json --format svg -o order.svg
  hoist workflow run order.asl.json --input @input.json --mocks mocks.json --history run.json
  hoist workflow graph order.asl.json --execution run.json --format png -o run.png
  hoist workflow start orders --input '{\"orderId\": \"o-1\"}' --env prod
  hoist workflow history orders run-1 --json > run.json")]
    Workflow {
        #[command(subcommand)]
        command: WorkflowCommand,
    },

    /// Print a shell completion script to stdout
    #[command(after_help = "\
Examples:
  hoist completions bash > ~/.local/share/bash-completion/completions/hoist
  hoist completions zsh > ~/.zfunc/_hoist
  hoist completions fish > ~/.config/fish/completions/hoist.fish")]
    Completions {
        /// The shell to generate completions for
        shell: Shell,
    },
}

#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// The project folder (created if missing); defaults to the current folder
    pub dir: Option<PathBuf>,

    /// Project name: lowercase letters, digits and hyphens (default: the folder's name)
    #[arg(long)]
    pub name: Option<String>,

    /// The frontend to scaffold
    #[arg(long, value_enum)]
    pub frontend: Option<Framework>,

    /// Name of the first environment (default: `dev`)
    #[arg(long = "env", value_name = "NAME")]
    pub env_name: Option<String>,

    /// AWS region of the first environment (default: from the AWS configuration, else `us-east-1`)
    #[arg(long)]
    pub region: Option<String>,

    /// AWS profile of the first environment (default: none, the standard credential chain)
    #[arg(long)]
    pub profile: Option<String>,

    /// Scaffold into a folder that is not empty, overwriting files of the same name
    #[arg(long)]
    pub force: bool,

    /// What the new app starts with (default: `blank`)
    #[arg(long, value_enum)]
    pub starter: Option<Starter>,
}

/// What a scaffolded app starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Starter {
    /// A page that says how to add a backend
    Blank,
    /// Sign-in, a todo list with live updates and a files page: auth, api and storage added
    Todo,
}

// Parsed once per process: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum AddCommand {
    /// Sign-up and sign-in: a Cognito user pool, identity pool and groups
    #[command(after_help = "\
Examples:
  hoist add auth --yes                                   Email sign-in with secure defaults
  hoist add auth --sign-in phone --mfa required --mfa-methods sms --yes
  hoist add auth --group Admins:1 --group Editors:2 --guest --yes
  hoist add auth --google-client-id ID --google-client-secret env:GOOGLE_SECRET \\
                 --domain-prefix shop --callback-url http://localhost:5173/ --yes")]
    Auth {
        /// The resource's name (default: `main`)
        name: Option<String>,
        #[command(flatten)]
        options: AuthOptions,
    },
    /// A GraphQL API (AppSync) with a DynamoDB table per `@model` type
    #[command(after_help = "\
Examples:
  hoist add api --yes                                    The todo schema, API key authorization
  hoist add api --auth user-pools --additional-auth api-key --yes
  hoist add api shop --schema ./schema.graphql --auth iam --yes")]
    Api {
        /// The resource's name (default: `main`)
        name: Option<String>,
        #[command(flatten)]
        options: ApiOptions,
    },
    /// File storage: an S3 bucket with public, protected and private folders
    #[command(after_help = "\
Examples:
  hoist add storage --yes                                Signed-in users create, read and delete
  hoist add storage --guest-access read --group-access Admins=create,read,delete --yes
  hoist add storage --cors-origin https://shop.example.com --yes")]
    Storage {
        /// The resource's name (default: `files`)
        name: Option<String>,
        #[command(flatten)]
        options: StorageOptions,
    },
    /// A Lambda function in Node.js (TypeScript), Python or Rust, its source under hoist/function/NAME/
    #[command(after_help = "\
Examples:
  hoist add function greet --yes                         Node.js (TypeScript), the hello template
  hoist add function resize --runtime python --memory 512 --timeout 60 --yes
  hoist add function charge --runtime rust --arch x86_64 --env CURRENCY=EUR \\
                     --secret STRIPE_KEY=ssm:/shop/{env}/stripe --yes
  hoist add function thumbnail --template storage-trigger --trigger 'storage:created:uploads/*.jpg' \
                     --remove-trigger storage:created --access storage:write --yes
  hoist add function audit --template table-stream --trigger table:Todo --yes
  hoist add function nightly --template scheduled --trigger 'schedule:cron(0 3 * * ? *)' \
                     --remove-trigger 'schedule:rate(1 hour)' --yes

The function's source is a project of its runtime (package.json, requirements.txt or
Cargo.toml) with its own tests. `hoist function invoke NAME` runs it locally; `hoist push`
builds it (the same sources give the same zip) and deploys it as NAME-<env>.")]
    Function {
        /// The function's name: letters and digits (default: `hello`)
        name: Option<String>,
        #[command(flatten)]
        options: FunctionOptions,
    },
    /// A Step Functions state machine, its definition under hoist/workflow/NAME/
    #[command(after_help = "\
Examples:
  hoist add workflow orders --blueprint order-fulfillment --yes
  hoist add workflow approval --blueprint human-approval --start-by signed-in --yes
  hoist add workflow ingest --blueprint blank --type express --log-level ALL --yes

The definition names the project's resources as ${function:NAME}, ${table:MODEL},
${bucket:STORAGE}, ${workflow:NAME}, and the workflow's own ${topic:NAME},
${queue:NAME} and ${activity:NAME}; hoist fills them in when it deploys, and gives
the state machine's role exactly what its Task states use.")]
    Workflow {
        /// The workflow's name: letters and digits (default: `orders`)
        name: Option<String>,
        #[command(flatten)]
        options: WorkflowOptions,
    },
}

#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum UpdateCommand {
    /// Change a function's memory, timeout, architecture, environment or secrets
    #[command(after_help = "\
Examples:
  hoist update function greet --memory 256 --timeout 30
  hoist update function greet --env GREETING=hi --remove-env OLD --secret TOKEN=ssm:/shop/{env}/token")]
    Function {
        /// The function's name (default: the project's only function)
        name: Option<String>,
        #[command(flatten)]
        options: FunctionOptions,
    },
    /// Change the auth resource
    #[command(after_help = "\
Examples:
  hoist update auth main --mfa optional --mfa-methods totp
  hoist update auth main --group Admins:0 --remove-group Editors")]
    Auth {
        /// The resource's name (default: the project's only resource of the category)
        name: Option<String>,
        #[command(flatten)]
        options: AuthOptions,
    },
    /// Change an api's authorization
    #[command(after_help = "\
Examples:
  hoist update api main --auth user-pools --additional-auth api-key
  hoist update api main --api-key-days 30")]
    Api {
        /// The resource's name (default: the project's only resource of the category)
        name: Option<String>,
        #[command(flatten)]
        options: ApiOptions,
    },
    /// Change a workflow's type, logging, who starts it and what triggers it
    #[command(after_help = "\
Examples:
  hoist update workflow orders --log-level error
  hoist update workflow orders --start-by group:Admins --remove-start-by signed-in
  hoist update workflow orders --api-auth iam --schedule 'rate(1 day)'
  hoist update workflow orders --no-api --remove-schedule 'rate(1 day)'")]
    Workflow {
        /// The workflow's name (default: the project's only workflow)
        name: Option<String>,
        #[command(flatten)]
        options: WorkflowOptions,
        #[command(flatten)]
        removals: WorkflowRemovals,
    },
    /// Change a storage resource
    #[command(after_help = "\
Examples:
  hoist update storage files --guest-access read
  hoist update storage files --cors-origin https://shop.example.com")]
    Storage {
        /// The resource's name (default: the project's only resource of the category)
        name: Option<String>,
        #[command(flatten)]
        options: StorageOptions,
    },
}

/// The function category's options. The runtime and template are also
/// questions; the rest take Lambda's smallest memory, Amplify's 25-second
/// timeout and arm64 unless given.
#[derive(Debug, Clone, Default, Args)]
pub struct FunctionOptions {
    /// The language, deployed on its newest Lambda runtime (with `add`)
    #[arg(long, value_enum)]
    pub runtime: Option<crate::category::function::Language>,
    /// What the function starts as (with `add`)
    #[arg(long, value_enum)]
    pub template: Option<crate::category::function::scaffold::Template>,
    /// The instruction set it runs on
    #[arg(long, value_enum)]
    pub arch: Option<crate::category::function::Architecture>,
    /// Memory in MB (128 to 10240)
    #[arg(long, value_name = "MB")]
    pub memory: Option<u16>,
    /// The longest an invocation may run, in seconds (1 to 900)
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u16>,
    /// An environment variable, `KEY=VALUE` (repeatable; never a secret)
    #[arg(long = "env", value_name = "KEY=VALUE")]
    pub env_vars: Vec<String>,
    /// An environment variable to remove (with `update`; repeatable)
    #[arg(long = "remove-env", value_name = "KEY")]
    pub remove_env: Vec<String>,
    /// A secret read at run time from SSM, `KEY=ssm:/path` (repeatable; `{env}` in the path is the environment's name; the variable KEY holds the path)
    #[arg(long = "secret", value_name = "KEY=ssm:/PATH")]
    pub secrets: Vec<String>,
    /// What it may do with the project's resources (repeatable): api:query|mutation|subscription, storage:read|write|delete, auth:read|manage, table:MODEL:read|write, workflow:NAME:start
    #[arg(long = "access", value_name = "ACCESS")]
    pub access: Vec<String>,
    /// An access to take away (with `update`; repeatable)
    #[arg(long = "remove-access", value_name = "ACCESS")]
    pub remove_access: Vec<String>,
    /// What invokes it (repeatable): auth:pre-sign-up (or another user pool trigger), table:MODEL, storage:created|deleted[:KEY PATTERN], schedule:rate(5 minutes), schedule:cron(0 12 * * ? *)
    #[arg(long = "trigger", value_name = "TRIGGER")]
    pub triggers: Vec<String>,
    /// A trigger to take away (repeatable; with `add`, one the template starts with)
    #[arg(long = "remove-trigger", value_name = "TRIGGER")]
    pub remove_triggers: Vec<String>,
}

/// The auth category's options; each is also a question.
#[derive(Debug, Clone, Default, Args)]
pub struct AuthOptions {
    /// How users sign in
    #[arg(long, value_enum)]
    pub sign_in: Option<SignIn>,
    /// Standard attributes required at sign-up (comma-separated)
    #[arg(long, value_enum, value_delimiter = ',', value_name = "ATTRIBUTES")]
    pub required_attributes: Option<Vec<Attribute>>,
    /// Whether users may sign themselves up
    #[arg(long, value_name = "true|false")]
    pub self_sign_up: Option<bool>,
    /// How users recover a lost password
    #[arg(long, value_enum)]
    pub account_recovery: Option<Recovery>,
    /// Minimum password length (6 to 99)
    #[arg(long, value_name = "N")]
    pub password_min_length: Option<u8>,
    /// Character classes a password must contain (comma-separated)
    #[arg(long, value_enum, value_delimiter = ',', value_name = "CLASSES")]
    pub password_require: Option<Vec<PasswordClass>>,
    /// Multi-factor authentication
    #[arg(long, value_enum)]
    pub mfa: Option<Mfa>,
    /// MFA methods (comma-separated)
    #[arg(long, value_enum, value_delimiter = ',', value_name = "METHODS")]
    pub mfa_methods: Option<Vec<MfaMethod>>,
    /// Let guests (not signed in) get AWS credentials through the identity pool
    #[arg(long, overrides_with = "no_guest")]
    pub guest: bool,
    /// Do not let guests get AWS credentials
    #[arg(long)]
    pub no_guest: bool,
    /// A user pool group, with an optional precedence: `Admins` or `Admins:0` (repeatable)
    #[arg(long = "group", value_name = "NAME[:PRECEDENCE]")]
    pub groups: Vec<String>,
    /// A group to remove (with `update`; repeatable)
    #[arg(long = "remove-group", value_name = "NAME")]
    pub remove_groups: Vec<String>,
    /// Google sign-in: the OAuth client id
    #[arg(long, value_name = "ID")]
    pub google_client_id: Option<String>,
    /// Google sign-in: where the client secret comes from at deploy time
    #[arg(long, value_name = "env:VAR|ssm:/NAME")]
    pub google_client_secret: Option<String>,
    /// Facebook sign-in: the app id
    #[arg(long, value_name = "ID")]
    pub facebook_client_id: Option<String>,
    /// Facebook sign-in: where the app secret comes from at deploy time
    #[arg(long, value_name = "env:VAR|ssm:/NAME")]
    pub facebook_client_secret: Option<String>,
    /// Login with Amazon: the client id
    #[arg(long, value_name = "ID")]
    pub amazon_client_id: Option<String>,
    /// Login with Amazon: where the client secret comes from at deploy time
    #[arg(long, value_name = "env:VAR|ssm:/NAME")]
    pub amazon_client_secret: Option<String>,
    /// Sign in with Apple: the services id
    #[arg(long, value_name = "ID")]
    pub apple_client_id: Option<String>,
    /// Sign in with Apple: the team id
    #[arg(long, value_name = "ID")]
    pub apple_team_id: Option<String>,
    /// Sign in with Apple: the key id
    #[arg(long, value_name = "ID")]
    pub apple_key_id: Option<String>,
    /// Sign in with Apple: where the private key comes from at deploy time
    #[arg(long, value_name = "env:VAR|ssm:/NAME")]
    pub apple_private_key: Option<String>,
    /// An OIDC provider's name (with --oidc-issuer, --oidc-client-id, --oidc-client-secret)
    #[arg(long, value_name = "NAME", requires_all = ["oidc_issuer", "oidc_client_id", "oidc_client_secret"])]
    pub oidc: Option<String>,
    /// The OIDC provider's issuer URL
    #[arg(long, value_name = "URL", requires = "oidc")]
    pub oidc_issuer: Option<String>,
    /// The OIDC provider's client id
    #[arg(long, value_name = "ID", requires = "oidc")]
    pub oidc_client_id: Option<String>,
    /// Where the OIDC client secret comes from at deploy time
    #[arg(long, value_name = "env:VAR|ssm:/NAME", requires = "oidc")]
    pub oidc_client_secret: Option<String>,
    /// The hosted UI's domain prefix; the environment's name is appended
    #[arg(long, value_name = "PREFIX")]
    pub domain_prefix: Option<String>,
    /// Where the hosted UI may send users after sign-in (repeatable)
    #[arg(long = "callback-url", value_name = "URL")]
    pub callback_urls: Vec<String>,
    /// Where the hosted UI may send users after sign-out (repeatable)
    #[arg(long = "sign-out-url", value_name = "URL")]
    pub sign_out_urls: Vec<String>,
}

/// A character class of the password policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PasswordClass {
    /// At least one lowercase letter
    Lowercase,
    /// At least one uppercase letter
    Uppercase,
    /// At least one digit
    Digits,
    /// At least one symbol
    Symbols,
}

/// The storage category's options; each is also a question.
#[derive(Debug, Clone, Default, Args)]
pub struct StorageOptions {
    /// What signed-in users may do (comma-separated)
    #[arg(long, value_enum, value_delimiter = ',', value_name = "ACCESS")]
    pub authenticated_access: Option<Vec<Access>>,
    /// What guests may do in `public/` (comma-separated); needs auth with guest access
    #[arg(long, value_enum, value_delimiter = ',', value_name = "ACCESS")]
    pub guest_access: Option<Vec<Access>>,
    /// What a user pool group may do in every folder: `Admins=create,read,delete` (repeatable)
    #[arg(long = "group-access", value_name = "GROUP=ACCESS")]
    pub group_access: Vec<String>,
    /// An origin the frontend runs on, allowed by CORS (repeatable; localhost is allowed by default)
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    pub cors_origins: Vec<String>,
}

/// Which environment to deploy, and how to reach AWS.
#[derive(Debug, Clone, Default, Args)]
pub struct TargetArgs {
    /// The environment (default: the current one)
    #[arg(long = "env", value_name = "NAME")]
    pub env: Option<String>,
    /// The AWS profile to use instead of the environment's
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// Send AWS calls to this endpoint (an emulator such as moto or LocalStack)
    #[arg(long, env = "AWS_ENDPOINT_URL", value_name = "URL")]
    pub endpoint_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Mermaid flowchart text (renders in GitHub and most Markdown viewers)
    Mermaid,
    /// Graphviz DOT text
    Dot,
    /// An SVG drawing, laid out by hoist
    Svg,
    /// A PNG image of the SVG drawing (needs `-o FILE`)
    Png,
}

#[derive(Debug, Subcommand)]
pub enum EnvCommand {
    /// Add an environment to hoist.toml (deployed by its first `hoist push --env NAME`)
    #[command(after_help = "\
Examples:
  hoist env add prod --region eu-west-1 --profile prod
  hoist env add staging --copy-from dev")]
    Add {
        /// The new environment's name
        name: String,
        /// Its AWS region (default: the copied environment's, else the AWS configuration's)
        #[arg(long)]
        region: Option<String>,
        /// Its AWS profile (default: the copied environment's, else none)
        #[arg(long)]
        profile: Option<String>,
        /// Copy region, profile and parameters from this environment
        #[arg(long, value_name = "ENV")]
        copy_from: Option<String>,
    },
    /// The environments, with each root stack's status from CloudFormation
    List {
        /// Send AWS calls to this endpoint (an emulator)
        #[arg(long, env = "AWS_ENDPOINT_URL", value_name = "URL")]
        endpoint_url: Option<String>,
        /// Do not call AWS: list what hoist.toml and this checkout know
        #[arg(long)]
        offline: bool,
    },
    /// Work on another environment: switch `.hoist/current-env` and `amplify_outputs.json`
    Checkout {
        /// The environment
        name: String,
    },
    /// Rebuild an environment's local snapshot and `amplify_outputs.json` from CloudFormation alone
    Pull {
        /// The environment
        name: String,
        #[command(flatten)]
        target: EnvTargetArgs,
    },
    /// Delete an environment's stacks and deployment bucket, and drop it from hoist.toml
    Remove {
        /// The environment
        name: String,
        /// Also delete the user pool, tables and storage buckets (their users, items and files)
        #[arg(long)]
        purge: bool,
        #[command(flatten)]
        target: EnvTargetArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum FunctionCommand {
    /// Build a function's deployment package (the same sources give the same zip)
    Build {
        /// The function (default: the project's only one)
        name: Option<String>,
    },
    /// Print a deployed function's logs from CloudWatch Logs
    Logs {
        /// The function (default: the project's only one)
        name: Option<String>,
        /// The environment (default: the current one)
        #[arg(long = "env", value_name = "NAME")]
        env: Option<String>,
        /// How far back: `30s`, `10m`, `2h`, `1d` (default 10m)
        #[arg(long, value_name = "AGE", default_value = "10m")]
        since: String,
        /// Keep printing new lines until Ctrl-C
        #[arg(long)]
        follow: bool,
        #[command(flatten)]
        target: EnvTargetArgs,
    },
    /// Run a function locally through Lambda's Runtime API (or, with --remote, the deployed one) and print its result
    Invoke {
        /// The function (default: the project's only one)
        name: Option<String>,
        /// The event: a JSON file, `-` for stdin, or JSON itself (default `{}`)
        #[arg(long, value_name = "FILE|-|JSON")]
        event: Option<String>,
        /// The environment whose settings it runs with (default: the current one)
        #[arg(long = "env", value_name = "NAME")]
        env: Option<String>,
        /// Invoke the function deployed in the environment instead, and print its log's tail
        #[arg(long)]
        remote: bool,
        #[command(flatten)]
        target: EnvTargetArgs,
    },
}

/// How to reach AWS for a named environment.
#[derive(Debug, Clone, Default, Args)]
pub struct EnvTargetArgs {
    /// The AWS profile to use instead of the environment's
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// Send AWS calls to this endpoint (an emulator such as moto or LocalStack)
    #[arg(long, env = "AWS_ENDPOINT_URL", value_name = "URL")]
    pub endpoint_url: Option<String>,
}

/// The starting schema of `hoist add api`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApiTemplate {
    /// A single `Note` model to replace with your own
    Blank,
    /// A `Todo` model
    Todo,
    /// A blog: blogs, posts and comments, one-to-many
    Blog,
    /// A `Todo` model each signed-in user owns (needs user pool auth)
    OwnerAuth,
}

/// The api category's options; each is also a question.
#[derive(Debug, Clone, Default, Args)]
pub struct ApiOptions {
    /// The starting schema (ignored when the schema file exists or with --schema)
    #[arg(long, value_enum)]
    pub template: Option<ApiTemplate>,
    /// Start from this schema file instead of a template
    #[arg(long, value_name = "FILE", conflicts_with = "template")]
    pub schema: Option<PathBuf>,
    /// The default authorization mode
    #[arg(long, value_enum)]
    pub auth: Option<AuthMode>,
    /// Another authorization mode (repeatable)
    #[arg(long = "additional-auth", value_enum, value_name = "MODE")]
    pub additional_auth: Vec<AuthMode>,
    /// Days an API key lives (1 to 365)
    #[arg(long, value_name = "N")]
    pub api_key_days: Option<u16>,
    /// A function of this project that authorizes requests in the `lambda` mode (added as an additional mode when absent)
    #[arg(
        long,
        value_name = "FUNCTION",
        conflicts_with = "lambda_authorizer_arn"
    )]
    pub lambda_authorizer: Option<String>,
    /// A Lambda function deployed elsewhere that authorizes requests in the `lambda` mode, by ARN (added as an additional mode when absent)
    #[arg(long, value_name = "ARN")]
    pub lambda_authorizer_arn: Option<String>,
    /// Seconds AppSync caches a Lambda authorizer's answer (0 to 3600; 300 unless set)
    #[arg(long, value_name = "SECONDS")]
    pub lambda_authorizer_ttl: Option<u32>,
    /// The OpenID Connect provider's issuer URL, as its tokens' `iss` claim has it, for the `oidc` mode (added as an additional mode when absent)
    #[arg(long, value_name = "URL")]
    pub oidc_issuer: Option<String>,
    /// The client id AppSync accepts in OIDC tokens' `aud` claim (a regular expression may match several)
    #[arg(long, value_name = "ID")]
    pub oidc_client_id: Option<String>,
    /// Milliseconds an OIDC token is accepted after it was issued (0: no limit but the token's own expiry)
    #[arg(long, value_name = "MS")]
    pub oidc_iat_ttl: Option<u32>,
    /// Milliseconds an OIDC token is accepted after the user authenticated (0: no limit but the token's own expiry)
    #[arg(long, value_name = "MS")]
    pub oidc_auth_ttl: Option<u32>,
}
