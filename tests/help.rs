//! Every help text a newcomer reads: a snapshot of each command's `--help`,
//! and the rules they all keep (every argument and option described,
//! command-specific options before the global ones, `-h` and `--help`
//! opening with the same sentence, examples on the commands people start
//! with).

use assert_cmd::Command;
use clap::CommandFactory;

/// Each command's path (`hoist add auth`) and its clap command, depth first.
fn commands() -> Vec<(String, clap::Command)> {
    fn walk(cmd: &clap::Command, path: String, out: &mut Vec<(String, clap::Command)>) {
        out.push((path.clone(), cmd.clone()));
        for sub in cmd.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            walk(sub, format!("{path} {}", sub.get_name()), out);
        }
    }
    let mut root = hoist::cli::Cli::command();
    root.build();
    let mut out = Vec::new();
    walk(&root, "hoist".into(), &mut out);
    out
}

/// The `--help` of each command, as the binary prints it (no colours, 100
/// columns), one snapshot for all.
#[test]
fn every_help_text() {
    let mut all = String::new();
    for (path, _) in commands() {
        let mut args: Vec<&str> = path.split(' ').skip(1).collect();
        args.push("--help");
        let out = Command::cargo_bin("hoist")
            .unwrap()
            .args(&args)
            .env("COLUMNS", "100")
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{path} --help");
        all.push_str(&format!(
            "==================== {path} --help\n{}\n",
            String::from_utf8_lossy(&out.stdout)
        ));
    }
    insta::assert_snapshot!("every_help_text", all);
}

/// Every argument and option of every command says what it is, and so does
/// every value of a closed set of values.
#[test]
fn every_argument_is_described() {
    let mut missing = Vec::new();
    for (path, cmd) in commands() {
        if cmd.get_about().is_none() && path != "hoist" {
            missing.push(format!("{path}: the command"));
        }
        for arg in cmd.get_arguments() {
            if arg.is_hide_set() || ["help", "version"].contains(&arg.get_id().as_str()) {
                continue;
            }
            if arg.get_help().is_none() && arg.get_long_help().is_none() {
                missing.push(format!("{path}: {}", arg.get_id()));
            }
            // clap_complete's shells are not ours to describe
            if arg.get_id() == "shell" {
                continue;
            }
            for value in arg.get_possible_values() {
                let boolean = ["true", "false"].contains(&value.get_name());
                if !value.is_hide_set() && !boolean && value.get_help().is_none() {
                    missing.push(format!("{path}: {} = {}", arg.get_id(), value.get_name()));
                }
            }
        }
    }
    assert!(missing.is_empty(), "undescribed: {missing:#?}");
}

/// Options of the command itself come before the global ones, which are
/// under their own heading.
#[test]
fn command_options_come_before_global_ones() {
    for (path, _) in commands() {
        let mut args: Vec<&str> = path.split(' ').skip(1).collect();
        args.push("--help");
        let out = Command::cargo_bin("hoist")
            .unwrap()
            .args(&args)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let global = text
            .find("Global options:")
            .unwrap_or_else(|| panic!("{path}: no global options heading:\n{text}"));
        if let Some(own) = text.find("\nOptions:") {
            assert!(
                own < global,
                "{path}: its own options after the global ones"
            );
        }
        assert!(
            !text[global..].contains("\nOptions:"),
            "{path}: options after the global ones"
        );
    }
}

/// `-h` and `--help` open with the same sentence.
#[test]
fn short_and_long_help_open_alike() {
    for (path, _) in commands() {
        let mut short: Vec<&str> = path.split(' ').skip(1).collect();
        let mut long = short.clone();
        short.push("-h");
        long.push("--help");
        let first = |args: &[&str]| {
            let out = Command::cargo_bin("hoist")
                .unwrap()
                .args(args)
                .env("NO_COLOR", "1")
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout).to_string();
            text.split(['.', '\n'])
                .next()
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(first(&short), first(&long), "{path}");
    }
}

/// The commands people start with show examples, and the top-level help
/// names every category and the workflow command.
#[test]
fn the_first_commands_have_examples() {
    for (path, cmd) in commands() {
        let starts = [
            "hoist",
            "hoist init",
            "hoist add",
            "hoist update",
            "hoist outputs",
            "hoist codegen",
            "hoist env",
            "hoist workflow",
            "hoist add auth",
            "hoist add api",
            "hoist add storage",
            "hoist workflow graph",
            "hoist workflow run",
            "hoist push",
            "hoist remove",
        ];
        if starts.contains(&path.as_str()) {
            let after = cmd
                .get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            assert!(after.contains("Examples:"), "{path} has no examples");
        }
    }
    let root = hoist::cli::Cli::command();
    let long = root.get_long_about().unwrap().to_string();
    for word in ["auth", "api", "storage", "hoist workflow", "hoist dev"] {
        assert!(
            long.contains(word),
            "`hoist --help` does not mention {word}"
        );
    }
}
