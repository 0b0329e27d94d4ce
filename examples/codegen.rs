//! Time `hoist codegen`'s work on one schema, in process: the transform once,
//! then parsing its output, generating the TypeScript and the model
//! introspection, repeated; prints the median and the fastest run of each.
//! `scripts/bench_codegen.py` runs it.
//!
//!     cargo run --release --example codegen -- schema.graphql [RUNS]

use std::process::ExitCode;
use std::time::Instant;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: codegen SCHEMA.graphql [RUNS]");
        return ExitCode::from(2);
    };
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(20);
    let source = match std::fs::read_to_string(&path) {
        Ok(source) => source,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(1);
        }
    };
    let modes = hoist::transform::Modes::all();
    let output = match hoist::transform::transform_with(&source, &path, &modes) {
        Ok(output) => output,
        Err(errors) => {
            eprintln!("{:?}", miette::Report::new(errors));
            return ExitCode::from(1);
        }
    };
    let (mut parse, mut documents, mut introspection, mut total) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut bytes = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let schema = hoist::codegen::parse_schema("bench", &output.sdl).expect("the output parses");
        let parsed = start.elapsed();
        let files = hoist::codegen::generate(&schema, &path, hoist::codegen::DEFAULT_MAX_DEPTH);
        let generated = start.elapsed();
        let value = hoist::codegen::model_introspection(&output, &schema);
        let text = serde_json::to_string(&value).expect("JSON");
        let done = start.elapsed();
        bytes = files.values().map(String::len).sum::<usize>() + text.len();
        parse.push(parsed.as_secs_f64() * 1e3);
        documents.push((generated - parsed).as_secs_f64() * 1e3);
        introspection.push((done - generated).as_secs_f64() * 1e3);
        total.push(done.as_secs_f64() * 1e3);
    }
    let min = total.iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "{} models: total median {:.2} ms (min {:.2}); parse {:.2}, documents and types {:.2}, introspection {:.2}; {} KiB written",
        output.models.len(),
        median(total),
        min,
        median(parse),
        median(documents),
        median(introspection),
        bytes / 1024
    );
    ExitCode::SUCCESS
}
