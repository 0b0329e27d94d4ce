//! `hoist workflow`'s commands and `hoist add workflow`'s questions.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{EnvTargetArgs, GraphFormat};

#[derive(Debug, Subcommand)]
pub enum WorkflowCommand {
    /// Check a definition for everything Step Functions would reject, and likely mistakes
    #[command(after_help = "\
Examples:
  hoist workflow validate statemachine.asl.json
  hoist workflow validate statemachine.asl.json --json")]
    Validate {
        /// The state machine definition (Amazon States Language, JSON)
        file: PathBuf,
    },
    /// Draw a definition: Mermaid or DOT text, or an SVG or PNG image
    #[command(after_help = "\
Examples:
  hoist workflow graph order.asl.json --format mermaid
  hoist workflow graph order.asl.json --format svg -o order.svg
  hoist workflow run order.asl.json --input '{}' --mocks mocks.json --history run.json
  hoist workflow graph order.asl.json --execution run.json --format png -o run.png
  hoist workflow graph orders --execution o-1 --env prod --format svg -o o-1.svg
  hoist workflow graph orders --execution o-1 --sandbox --format svg -o o-1.svg")]
    Graph {
        /// The state machine definition (Amazon States Language, JSON), or a workflow of the project by name
        file: PathBuf,
        /// What to write: Mermaid or DOT text, an SVG drawing, or a PNG image
        #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
        /// Colour the states an execution visited: its history (`run --history`, `history --json`), or, for a workflow named, an execution's name in the environment (or --sandbox)
        #[arg(long, value_name = "HISTORY.json|EXECUTION")]
        execution: Option<PathBuf>,
        /// Write to this file (needed for png; default: stdout)
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        at: DeployedArgs,
    },
    /// Run a definition locally: Tasks answer from a mock file, time is virtual
    #[command(after_help = "\
Examples:
  hoist workflow run order.asl.json --input '{\"orderId\": \"o-1\"}' --mocks mocks.json
  hoist workflow run order.asl.json --input @input.json --mocks mocks.json --json --history run.json")]
    Run {
        /// The state machine definition (Amazon States Language, JSON)
        file: PathBuf,
        /// The execution's input: JSON text, or @FILE to read it from a file
        #[arg(long, default_value = "{}")]
        input: String,
        /// Mocked Task responses (Step Functions Local's mock configuration, or {"State": {"Return": ...}})
        #[arg(long, value_name = "FILE")]
        mocks: Option<PathBuf>,
        /// The test case of a Step Functions Local mock file (default: the first)
        #[arg(long, value_name = "NAME")]
        test_case: Option<String>,
        /// Really wait through Wait states and retry delays (default: a virtual clock)
        #[arg(long)]
        real_time: bool,
        /// Write the execution history (events, as Step Functions reports them) to this file
        #[arg(long, value_name = "FILE")]
        history: Option<PathBuf>,
        /// Seed of the retries' jitter
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The execution's name (in `$$.Execution`)
        #[arg(long, default_value = "local")]
        name: String,
        /// Run as an Express execution (the execution's ARN has the Express form)
        #[arg(long)]
        express: bool,
    },
    /// The project's workflows as deployed in an environment, with their recent executions
    #[command(after_help = "\
Examples:
  hoist workflow list
  hoist workflow list --env prod --json")]
    List {
        #[command(flatten)]
        at: DeployedArgs,
    },
    /// Start an execution of a deployed workflow (an Express one runs to its end and prints it)
    #[command(after_help = "\
Examples:
  hoist workflow start orders --input '{\"orderId\": \"o-1\", \"amount\": 20}'
  hoist workflow start orders --input @order.json --name order-o-1 --env prod")]
    Start {
        /// The workflow, by its name in hoist.toml
        name: String,
        /// The execution's input: JSON text, or @FILE to read it from a file
        #[arg(long, default_value = "{}")]
        input: String,
        /// The execution's name (unique for 90 days; default: one Step Functions makes)
        #[arg(long = "name", value_name = "EXECUTION")]
        execution: Option<String>,
        #[command(flatten)]
        at: DeployedArgs,
    },
    /// An execution's status, input, output or error
    Describe {
        /// The workflow, by its name in hoist.toml
        name: String,
        /// The execution, by its name (`hoist workflow list` shows them)
        execution: String,
        #[command(flatten)]
        at: DeployedArgs,
    },
    /// An execution's events; with --json, the history `graph --execution` draws
    #[command(after_help = "\
Examples:
  hoist workflow history orders run-1
  hoist workflow history orders run-1 --json > run.json
  hoist workflow graph hoist/workflow/orders/definition.asl.json --execution run.json --format svg -o run.svg")]
    History {
        /// The workflow, by its name in hoist.toml
        name: String,
        /// The execution, by its name
        execution: String,
        #[command(flatten)]
        at: DeployedArgs,
    },
    /// Stop a running execution (it fails with the error and cause given)
    Stop {
        /// The workflow, by its name in hoist.toml
        name: String,
        /// The execution, by its name
        execution: String,
        /// The error it stops with
        #[arg(long)]
        error: Option<String>,
        /// Why
        #[arg(long)]
        cause: Option<String>,
        #[command(flatten)]
        at: DeployedArgs,
    },
    /// Answer a task waiting for its token (`.waitForTaskToken`, an activity): it succeeds with this output
    #[command(
        name = "send-success",
        after_help = "\
Examples:
  hoist workflow send-success --token AQB8... --output '{\"approved\": true}'"
    )]
    SendSuccess {
        /// The task token (`$$.Task.Token`, as the task sent it)
        #[arg(long)]
        token: String,
        /// The task's result: JSON text, or @FILE
        #[arg(long, default_value = "{}")]
        output: String,
        #[command(flatten)]
        at: DeployedArgs,
    },
    /// Answer a task waiting for its token: it fails with this error (its Catch may take it)
    #[command(name = "send-failure")]
    SendFailure {
        /// The task token (`$$.Task.Token`, as the task sent it)
        #[arg(long)]
        token: String,
        /// The error name (what a Catch's ErrorEquals matches)
        #[arg(long)]
        error: Option<String>,
        /// Why
        #[arg(long)]
        cause: Option<String>,
        #[command(flatten)]
        at: DeployedArgs,
    },
    /// Tell a task waiting for its token that it is still being worked on (resets its HeartbeatSeconds)
    #[command(name = "send-heartbeat")]
    SendHeartbeat {
        /// The task token
        #[arg(long)]
        token: String,
        #[command(flatten)]
        at: DeployedArgs,
    },
}

/// `hoist add workflow`'s questions.
#[derive(Debug, Clone, Default, Args)]
pub struct WorkflowOptions {
    /// What the workflow starts as
    #[arg(long, value_enum)]
    pub blueprint: Option<crate::category::workflow::blueprint::Blueprint>,
    /// Standard (waits, exactly once, up to a year) or Express (up to five minutes)
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub machine_type: Option<crate::category::workflow::MachineType>,
    /// Which execution events CloudWatch Logs receives
    #[arg(long, value_enum, ignore_case = true)]
    pub log_level: Option<crate::category::workflow::LogLevel>,
    /// Who may start it from the app with the AWS SDK (repeatable): signed-in, guests, group:NAME
    #[arg(long = "start-by", value_name = "WHO")]
    pub start_by: Vec<String>,
    /// What starts it (repeatable): app (the AWS SDK, --start-by), api (POST /workflows/NAME), event, schedule
    #[arg(long, value_enum, value_name = "TRIGGER")]
    pub trigger: Vec<crate::category::workflow::triggers::Trigger>,
    /// Who may call its REST endpoint (implies --trigger api; default: user-pool with auth, else iam)
    #[arg(long, value_enum)]
    pub api_auth: Option<crate::category::workflow::triggers::ApiAuth>,
    /// An EventBridge schedule that starts it (repeatable): 'rate(1 day)', 'cron(0 12 * * ? *)'
    #[arg(long, value_name = "EXPRESSION")]
    pub schedule: Vec<String>,
    /// An EventBridge event pattern whose events start it (repeatable): '{"source": ["app.orders"]}'
    #[arg(long, value_name = "JSON")]
    pub event_pattern: Vec<String>,
}

/// What `hoist update workflow` takes away (its other flags add).
#[derive(Debug, Clone, Default, Args)]
pub struct WorkflowRemovals {
    /// Stop letting these start it from the app (repeatable)
    #[arg(long = "remove-start-by", value_name = "WHO")]
    pub remove_start_by: Vec<String>,
    /// Remove its REST endpoint
    #[arg(long, conflicts_with = "api_auth")]
    pub no_api: bool,
    /// Remove a schedule (repeatable), as written
    #[arg(long, value_name = "EXPRESSION")]
    pub remove_schedule: Vec<String>,
    /// Remove an event pattern (repeatable), as written
    #[arg(long, value_name = "JSON")]
    pub remove_event_pattern: Vec<String>,
}

/// Where a deployed workflow is: the environment, and how to reach AWS.
#[derive(Debug, Clone, Default, Args)]
pub struct DeployedArgs {
    /// The environment (default: the current one)
    #[arg(long = "env", value_name = "NAME")]
    pub env: Option<String>,
    /// The environment's running sandbox (`hoist sandbox`), not what is deployed
    #[arg(long, conflicts_with_all = ["profile", "endpoint_url"])]
    pub sandbox: bool,
    #[command(flatten)]
    pub target: EnvTargetArgs,
}
