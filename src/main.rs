use std::process::ExitCode;

fn main() -> ExitCode {
    hoist::main()
}
