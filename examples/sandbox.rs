//! The sandbox's field resolution, in process: load a synthesized api from a
//! build folder and time create and get round trips of a `Todo`-like model
//! (the resolvers' JavaScript in QuickJS, the DynamoDB in memory). Run by
//! `scripts/bench_sandbox.py`, which prints the figures against the targets.
//!
//!     cargo run --release --example sandbox -- .hoist/build/dev main 2000

use std::process::ExitCode;
use std::time::{Duration, Instant};

use hoist::sandbox::api::{Api, Caller, FieldCall};
use hoist::sandbox::dynamodb::Database;
use hoist::sandbox::runtime::JsRuntime;
use serde_json::{Value, json};

fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    let i = ((samples.len() - 1) as f64 * p).round() as usize;
    samples[i].as_secs_f64() * 1000.0
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(build), Some(name)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: sandbox BUILD_DIR API_NAME [ROUNDS]");
        return ExitCode::from(2);
    };
    let rounds: usize = args.get(3).and_then(|n| n.parse().ok()).unwrap_or(1000);
    let started = Instant::now();
    let mut db = Database::in_memory();
    let api = match Api::load(std::path::Path::new(build), name, &mut db) {
        Ok(api) => api,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    let js = JsRuntime::new(Duration::from_secs(30)).expect("a JavaScript runtime");
    let load = started.elapsed();
    let caller = Caller::api_key();
    let mut resolve = |type_name: &str, field: &str, args: Value| {
        let call = FieldCall {
            type_name,
            field,
            args: &args,
            source: &Value::Null,
        };
        api.resolve(&js, &mut db, &call, &caller, None)
    };
    let (mut creates, mut gets) = (Vec::new(), Vec::new());
    for i in 0..rounds {
        let t = Instant::now();
        let created = resolve(
            "Mutation",
            "createTodo",
            json!({"input": {"name": format!("item {i}")}}),
        );
        creates.push(t.elapsed());
        let id = created.data["id"].clone();
        if !created.errors.is_empty() {
            eprintln!("{:?}", created.errors);
            return ExitCode::from(1);
        }
        let t = Instant::now();
        let got = resolve("Query", "getTodo", json!({ "id": id }));
        gets.push(t.elapsed());
        if got.data["id"] != id {
            eprintln!("get {id} gave {got:?}");
            return ExitCode::from(1);
        }
    }
    let t = Instant::now();
    let page = resolve("Query", "listTodos", json!({ "limit": 100 }));
    let list = t.elapsed();
    println!(
        "{}",
        json!({
            "load_ms": load.as_secs_f64() * 1000.0,
            "rounds": rounds,
            "create_p50_ms": percentile(&mut creates, 0.5),
            "create_p95_ms": percentile(&mut creates, 0.95),
            "get_p50_ms": percentile(&mut gets, 0.5),
            "get_p95_ms": percentile(&mut gets, 0.95),
            "list_first_100_of_n_ms": list.as_secs_f64() * 1000.0,
            "listed": page.data["items"].as_array().map(Vec::len),
        })
    );
    ExitCode::SUCCESS
}
