//! hoist: scaffold full-stack apps and deploy their AWS backends.
//!
//! The binary is a thin shell around [`main`]; everything that generates
//! (templates, project files, CloudFormation, resolvers, TypeScript) is pure and
//! returns values. The effects are at the edge: `commands` and the operations
//! they call (`deploy`, `codegen::run_codegen`, `project` writes) touch the
//! filesystem and AWS, and only `ui` writes to the terminal.

// Errors carry their source text and spans for miette; they are built once, on
// the way out of a failing command, so their size costs nothing that matters.
#![allow(clippy::result_large_err)]

pub mod category;
pub mod cfn;
pub mod cli;
pub mod codegen;
pub mod commands;
pub mod deploy;
pub mod error;
pub mod naming;
pub mod outputs;
pub mod project;
pub mod prompt;
pub mod render;
pub mod sandbox;
pub mod settings;
pub mod synth;
pub mod transform;
pub mod ui;
pub mod workflow;

use std::process::ExitCode;

use clap::Parser;

pub use error::Error;

/// Exit code of a user error (bad input, refused operation).
pub const EXIT_USER_ERROR: u8 = 1;
/// Exit code of an internal error: a bug in hoist, never the user's input.
pub const EXIT_INTERNAL_ERROR: u8 = 70;
/// Exit code after Ctrl-C: 128 + SIGINT, as shells report a process ended by it.
pub const EXIT_INTERRUPTED: u8 = 130;

/// Parse the command line, run the command and map the outcome to an exit code.
pub fn main() -> ExitCode {
    ui::install_panic_hook();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        // clap prints help, version and usage errors itself (usage errors exit 2).
        Err(err) => err.exit(),
    };
    let printer = ui::Printer::from_global(&cli.global);
    match commands::run(cli, &printer) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let code = err.exit_code();
            printer.error(err);
            ExitCode::from(code)
        }
    }
}
