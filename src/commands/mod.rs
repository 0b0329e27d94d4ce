//! One module per command: resolve settings, call the core, report.

pub mod completions;
pub mod init;

use crate::cli::{Cli, Command};
use crate::ui::Printer;

pub fn run(cli: Cli, printer: &Printer) -> Result<(), crate::Error> {
    match cli.command {
        Command::Init(args) => init::run(&args, &cli.global, printer),
        Command::Completions { shell } => {
            completions::run(shell);
            Ok(())
        }
    }
}
