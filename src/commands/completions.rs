use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

/// Print the completion script for `shell` on stdout.
pub fn run(shell: Shell) {
    clap_complete::generate(shell, &mut Cli::command(), "hoist", &mut std::io::stdout());
}
