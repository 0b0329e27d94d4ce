//! Frontend configuration: `amplify_outputs.json`, in the Amplify outputs
//! schema (version 1.x) that the Amplify client libraries read on every platform.

use serde_json::{Value, json};

pub const OUTPUTS_FILE: &str = "amplify_outputs.json";
/// The version of the outputs schema hoist writes.
pub const SCHEMA_VERSION: &str = "1.4";

/// The outputs of a project with no deployed backend yet: valid for
/// `Amplify.configure()`, with no category configured.
pub fn empty() -> Value {
    json!({ "version": SCHEMA_VERSION })
}

/// Serialized as the file is written: pretty, with a trailing newline.
pub fn to_file_contents(outputs: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(outputs).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}
