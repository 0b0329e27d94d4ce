//! Command-line types (clap derive) and nothing else.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;

use crate::project::Framework;

const EXAMPLES: &str = "\
Examples:
  hoist init myapp --frontend react --yes   Scaffold a React app with the defaults
  hoist init                                Add hoist to the frontend in this folder
  hoist completions zsh > _hoist            Install shell completions";

#[derive(Debug, Parser)]
#[command(
    name = "hoist",
    version,
    about = "Scaffold full-stack apps and deploy their AWS backends",
    long_about = "hoist creates a React, Vue or React Native frontend from templates, adds \
                  backend categories (auth, api, storage) and deploys them to AWS per environment.",
    after_help = EXAMPLES,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Clone, Args)]
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
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a project: scaffold a frontend, or add hoist to an existing one
    #[command(after_help = "\
Examples:
  hoist init myapp --frontend vue --yes      New Vue app in ./myapp with the defaults
  hoist init . --name shop --env staging     Ask only what the flags leave open
  hoist init --frontend none --yes           Backend only, no frontend
  cd my-existing-vite-app && hoist init      Detect the framework, add only hoist.toml")]
    Init(InitArgs),

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
}
