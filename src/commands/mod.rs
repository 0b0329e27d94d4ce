//! One module per command: resolve settings, call the core, report.

pub mod codegen;
pub mod completions;
pub mod dev;
pub mod env;
pub mod function;
pub mod init;
pub mod push;
pub mod resources;
pub mod sandbox;
pub mod sandbox_trigger;
pub mod sandbox_users;
pub mod synth;
pub mod workflow;
pub mod workflow_add;
pub mod workflow_remote;

use crate::cli::{Cli, Command};
use crate::ui::Printer;

pub fn run(cli: Cli, printer: &Printer) -> Result<(), crate::Error> {
    match cli.command {
        Command::Init(args) => init::run(&args, &cli.global, printer),
        Command::Add { what } => resources::add(&what, &cli.global, printer),
        Command::Update { what } => resources::update(&what, &cli.global, printer),
        Command::Remove { category, name } => {
            resources::remove(category, name.as_deref(), &cli.global, printer)
        }
        Command::Synth {
            env,
            no_codegen,
            resolvers,
        } => synth::run(env.as_deref(), no_codegen, resolvers, &cli.global, printer),
        Command::Codegen => codegen::run(&cli.global, printer),
        Command::Status { env } => push::status(env.as_deref(), &cli.global, printer),
        Command::Push {
            target,
            dry_run,
            recover,
            force,
            no_codegen,
        } => push::push(
            &target,
            crate::deploy::push::PushOptions {
                dry_run,
                recover,
                force,
                no_codegen,
            },
            &cli.global,
            printer,
        ),
        Command::Diff { target } => push::push(
            &target,
            crate::deploy::push::PushOptions {
                dry_run: true,
                recover: false,
                force: true,
                no_codegen: true,
            },
            &cli.global,
            printer,
        ),
        Command::Outputs { env } => push::outputs_command(env.as_deref(), printer),
        Command::Delete { env, purge, target } => {
            env::delete(env.as_deref(), purge, &target, &cli.global, printer)
        }
        Command::Env { command } => env::run(&command, &cli.global, printer),
        Command::Sandbox { command, args } => sandbox::run(command, &args, &cli.global, printer),
        Command::Dev(args) => dev::run(&args, &cli.global, printer),
        Command::Workflow { command } => workflow::run(command, &cli.global, printer),
        Command::Function { command } => function::run(&command, &cli.global, printer),
        Command::Completions { shell } => {
            completions::run(shell);
            Ok(())
        }
    }
}
