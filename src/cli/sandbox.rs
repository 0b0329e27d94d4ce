//! The arguments of `hoist dev` and `hoist sandbox` (and its subcommands).

use clap::Subcommand;

#[derive(Debug, Clone, clap::Args)]
pub struct DevArgs {
    /// The sandbox's port
    #[arg(long, default_value_t = 20002)]
    pub port: u16,
    /// The environment whose project model is served (default: the current one)
    #[arg(long = "env", value_name = "NAME")]
    pub env: Option<String>,
    /// Clear the sandbox's data (tables and users) before starting
    #[arg(long)]
    pub reset: bool,
    /// Run the sandbox only, not the frontend's `start_command`
    #[arg(long)]
    pub no_frontend: bool,
}

#[derive(Debug, Clone, clap::Args)]
pub struct SandboxArgs {
    /// The port of the GraphQL endpoint
    #[arg(long, default_value_t = 20002)]
    pub port: u16,
    /// The address to listen on (the default is reachable from this machine only)
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// The port of the storage (S3) endpoint, when the project has storage
    #[arg(long, default_value_t = 20005)]
    pub storage_port: u16,
    /// The environment whose project model is served (default: the current one)
    #[arg(long = "env", value_name = "NAME")]
    pub env: Option<String>,
    /// Clear the sandbox's data (its tables) before starting
    #[arg(long)]
    pub reset: bool,
    /// Do not reload when hoist.toml or hoist/ change
    #[arg(long)]
    pub no_watch: bool,
}

#[derive(Debug, Clone, Subcommand)]
pub enum SandboxCommand {
    /// Print a token the sandbox accepts in the Authorization header
    Token {
        /// The user's name (its `sub` is derived from it, the same each time)
        #[arg(long, value_name = "NAME")]
        user: String,
        /// A Cognito group the user is in (repeat for more)
        #[arg(long = "group", value_name = "GROUP")]
        groups: Vec<String>,
        /// An extra claim, as name=value (repeat for more)
        #[arg(long = "claim", value_name = "NAME=VALUE")]
        claims: Vec<String>,
        /// An OpenID Connect token instead of a user-pool one
        #[arg(long)]
        oidc: bool,
        /// Hours the token is valid
        #[arg(long, default_value_t = 12)]
        hours: u64,
        /// The environment (default: the current one)
        #[arg(long = "env", value_name = "NAME")]
        env: Option<String>,
    },
    /// Print temporary AWS credentials the sandbox accepts for AWS_IAM (SigV4) requests
    #[command(after_help = "\
Examples:
  eval \"$(hoist sandbox credentials --user ada)\"   a signed-in user's identity, as shell exports
  hoist sandbox credentials --guest --json        a guest's, as an identity pool returns them")]
    Credentials {
        /// The signed-in user whose identity they are (its id is derived from it)
        #[arg(
            long,
            value_name = "NAME",
            required_unless_present_any = ["guest", "admin"],
            conflicts_with_all = ["guest", "admin"]
        )]
        user: Option<String>,
        /// A guest's (unauthenticated) identity instead
        #[arg(long, conflicts_with = "admin")]
        guest: bool,
        /// The sandbox administrator's, for the user pool's admin operations (AdminCreateUser, ListUsers, ...)
        #[arg(long)]
        admin: bool,
        /// Hours the credentials are valid (1 to 12)
        #[arg(long, default_value_t = 1)]
        hours: u64,
        /// The environment (default: the current one)
        #[arg(long = "env", value_name = "NAME")]
        env: Option<String>,
    },
    /// Invoke a function in the running sandbox as its trigger would: a
    /// scheduled function with EventBridge's scheduled event, any function
    /// with the event given
    #[command(after_help = "Examples:
  hoist sandbox trigger nightly                       its schedule's event, now
  hoist sandbox trigger greet --event '{\"name\":\"Ada\"}'
  hoist sandbox trigger audit --event records.json")]
    Trigger {
        /// The function (default: the project's only one)
        name: Option<String>,
        /// The event: a JSON file, `-` for stdin, or JSON itself (default: the scheduled event of its schedule)
        #[arg(long, value_name = "FILE|-|JSON")]
        event: Option<String>,
        /// The environment (default: the current one)
        #[arg(long = "env", value_name = "NAME")]
        env: Option<String>,
    },
    /// List, add and remove the users of the sandbox's user pool, through the
    /// running sandbox (as any AWS SDK user would) or in its data folder
    #[command(after_help = "Examples:
  hoist sandbox users list
  hoist sandbox users add ada@example.com --password 'Secret-123!' --group Admin
  hoist sandbox users add bob@example.com        a temporary password, changed at first sign-in
  hoist sandbox users remove ada@example.com")]
    Users {
        #[command(subcommand)]
        action: UsersAction,
        /// The environment (default: the current one)
        #[arg(long = "env", value_name = "NAME", global = true)]
        env: Option<String>,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum UsersAction {
    /// The pool's users: email, status, groups
    List,
    /// Add a confirmed user who signs in with EMAIL
    Add {
        /// The user's email (their sign-in name)
        email: String,
        /// Their password (permanent); without it, a temporary one is printed,
        /// to be changed at first sign-in
        #[arg(long)]
        password: Option<String>,
        /// A user pool group to put them in (repeat for more)
        #[arg(long = "group", value_name = "GROUP")]
        groups: Vec<String>,
    },
    /// Remove the user who signs in with EMAIL
    Remove {
        /// The user's email (their sign-in name)
        email: String,
    },
}
