//! Transform one schema file and print the size of the client-facing SDL: the
//! process `scripts/bench_transform.py` times (whole process, transform only).
//!
//!     cargo run --release --example transform -- schema.graphql [--print]

use std::process::ExitCode;

/// mimalloc: the transform builds and frees millions of small nodes, where it is
/// markedly faster than the system allocator (scripts/bench_transform.py).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: transform SCHEMA.graphql");
        return ExitCode::from(2);
    };
    let source = match std::fs::read_to_string(&path) {
        Ok(source) => source,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(1);
        }
    };
    // Every authorization mode, so that any `@auth` rule is accepted.
    let modes = hoist::transform::Modes::all();
    let print = std::env::args().any(|a| a == "--print");
    match hoist::transform::transform_with(&source, &path, &modes) {
        Ok(output) => {
            if print {
                println!("{}", output.sdl);
            }
            println!(
                "{} models, {} bytes of SDL",
                output.models.len(),
                output.sdl.len()
            );
            ExitCode::SUCCESS
        }
        Err(errors) => {
            eprintln!("{:?}", miette::Report::new(errors));
            ExitCode::from(1)
        }
    }
}
