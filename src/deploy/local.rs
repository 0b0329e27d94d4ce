//! What a deploy writes in the project: the build folder of an environment
//! (`.hoist/build/<env>/`, what `synth` shows and `push` uploads) and the
//! frontend's `amplify_outputs.json`.

use std::path::{Path, PathBuf};

use crate::outputs;
use crate::project::{self, ProjectFile, state};
use crate::synth::{self, Build};

/// `.hoist/build/<env>/` under the project's root.
pub fn build_dir(root: &Path, env: &str) -> PathBuf {
    root.join(state::STATE_DIR).join("build").join(env)
}

/// Synthesize `env` and replace its build folder with the result, all or nothing.
///
/// Errors: unreadable sources, any [`synth::SynthError`], a failed write.
pub fn synth_env(file: &ProjectFile, env: &str) -> Result<Build, crate::Error> {
    let sources = project::read_sources(file)?;
    let build = synth::synth(&file.manifest, env, &sources)?;
    project::replace_dir(&build_dir(file.root(), env), &build.files)?;
    Ok(build)
}

/// Where the frontend's `amplify_outputs.json` is: in the project's source folder.
pub fn outputs_path(file: &ProjectFile) -> PathBuf {
    let dir = match file.manifest.project.source_dir.as_str() {
        "" | "." => file.root().to_path_buf(),
        dir => file.root().join(dir),
    };
    dir.join(outputs::OUTPUTS_FILE)
}

/// The local endpoint `amplify_outputs.json` points at, and the environment
/// it serves, when `hoist sandbox` wrote it (`custom.hoist_sandbox`); `None`
/// for the cloud's outputs or none at all.
pub fn sandbox_outputs(file: &ProjectFile) -> Option<(String, String)> {
    let text = std::fs::read_to_string(outputs_path(file)).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    let sandbox = &value["custom"]["hoist_sandbox"];
    let url = sandbox["graphql_endpoint"].as_str()?.to_string();
    let env = sandbox["env"].as_str().unwrap_or_default().to_string();
    Some((url, env))
}

/// Whether something accepts connections at a local endpoint's host and port
/// (`http://host:port/...`), within 200 ms.
pub fn endpoint_answers(url: &str) -> bool {
    use std::net::ToSocketAddrs;
    let Some(authority) = url
        .strip_prefix("http://")
        .and_then(|rest| rest.split('/').next())
    else {
        return false;
    };
    let Ok(mut addrs) = authority.to_socket_addrs() else {
        return false;
    };
    addrs.next().is_some_and(|addr| {
        std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(200)).is_ok()
    })
}

/// Write the frontend's `amplify_outputs.json` for `env` from what was deployed,
/// with the api's model introspection when the outputs have a `data` section.
/// Returns the path written.
///
/// Errors: a missing output ([`outputs::MissingOutput`]), a schema that does
/// not transform, a failed write.
pub fn write_outputs(
    file: &ProjectFile,
    env: &str,
    deployed: &outputs::DeployedOutputs,
) -> Result<PathBuf, crate::Error> {
    write_outputs_with(file, env, deployed, None)
}

/// [`write_outputs`], with a `custom` section (the sandbox's endpoints, under
/// `custom.hoist_sandbox`).
pub fn write_outputs_with(
    file: &ProjectFile,
    env: &str,
    deployed: &outputs::DeployedOutputs,
    custom: Option<serde_json::Value>,
) -> Result<PathBuf, crate::Error> {
    let mut value = outputs_value(file, env, deployed)?;
    if let Some(serde_json::Value::Object(custom)) = custom {
        // beside what the project's own `custom` holds (its workflows)
        match value["custom"].as_object_mut() {
            Some(existing) => existing.extend(custom),
            None => value["custom"] = serde_json::Value::Object(custom),
        }
    }
    write_outputs_value(file, &value)
}

/// The `amplify_outputs.json` document of `env` from what was deployed and
/// the project as it is now (see [`write_outputs`]).
pub fn outputs_value(
    file: &ProjectFile,
    env: &str,
    deployed: &outputs::DeployedOutputs,
) -> Result<serde_json::Value, crate::Error> {
    let mut value = outputs::amplify_outputs(&file.manifest, env, deployed)?;
    if value.get("data").is_some()
        && let Some(introspection) = crate::codegen::introspection(file)?
    {
        value["data"]["model_introspection"] = introspection;
    }
    Ok(value)
}

/// Writes an `amplify_outputs.json` document where the project's
/// `source_dir` says; returns the path.
pub fn write_outputs_value(
    file: &ProjectFile,
    value: &serde_json::Value,
) -> Result<PathBuf, crate::Error> {
    let path = outputs_path(file);
    project::write_atomic(&path, &outputs::to_file_contents(value))?;
    Ok(path)
}
