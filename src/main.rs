use std::process::ExitCode;

/// mimalloc: the transform builds and frees millions of small nodes, where it is
/// markedly faster than the system allocator (scripts/bench_transform.py).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    hoist::main()
}
