// The templates are embedded with include_dir, which cannot tell cargo to
// rebuild when they change on stable Rust; this does.
fn main() {
    println!("cargo:rerun-if-changed=templates");
}
