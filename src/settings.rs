//! The one place where flags, `hoist.toml` and environment variables merge:
//! which environment a command works on, and the AWS defaults `hoist init`
//! offers (profile and region from the standard AWS configuration chain).

use std::path::PathBuf;

use miette::Diagnostic;
use thiserror::Error;

use crate::project::{ProjectFile, state};

#[derive(Debug, Error, Diagnostic)]
pub enum EnvError {
    #[error("no environment is chosen, and this project has {count}")]
    #[diagnostic(
        code(hoist::env::none_chosen),
        help("pass `--env NAME` (one of {known}), or choose one with `hoist env checkout NAME`")
    )]
    NoneChosen { count: usize, known: String },
}

/// The environment a command works on: `--env`, else `.hoist/current-env`, else the only one.
///
/// Errors: [`EnvError::NoneChosen`] when none of these names one; a read error of
/// `.hoist/current-env`.
pub fn resolve_env(file: &ProjectFile, flag: Option<&str>) -> Result<String, crate::Error> {
    if let Some(env) = flag {
        return Ok(env.to_string());
    }
    if let Some(env) = state::read_current_env(file.root())? {
        return Ok(env);
    }
    let envs: Vec<&String> = file.manifest.env.keys().collect();
    match envs.as_slice() {
        [only] => Ok((*only).clone()),
        _ => Err(EnvError::NoneChosen {
            count: envs.len(),
            known: envs
                .iter()
                .map(|e| format!("`{e}`"))
                .collect::<Vec<_>>()
                .join(", "),
        }
        .into()),
    }
}

/// The region used when nothing else names one.
pub const FALLBACK_REGION: &str = "us-east-1";

/// Reads an environment variable; injectable so tests need not touch the process environment.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

pub fn process_env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

/// The AWS profile named by the environment (`AWS_PROFILE`), if any.
pub fn env_profile(env: EnvLookup) -> Option<String> {
    env("AWS_PROFILE")
}

/// The region as the AWS SDKs and CLI find it: `AWS_REGION`, `AWS_DEFAULT_REGION`,
/// then the `region` of the profile in the shared config file
/// (`AWS_CONFIG_FILE`, else `~/.aws/config`), else [`FALLBACK_REGION`].
/// The config file is read by aws-config's own profile provider, which follows
/// `source_profile` chains as the SDKs do; the instance metadata service is
/// never asked (no network call to pick a default).
pub fn default_region(env: EnvLookup, profile: Option<&str>) -> String {
    env("AWS_REGION")
        .or_else(|| env("AWS_DEFAULT_REGION"))
        .or_else(|| config_file_region(env, profile))
        .unwrap_or_else(|| FALLBACK_REGION.to_string())
}

fn config_file_path(env: EnvLookup) -> Option<PathBuf> {
    env("AWS_CONFIG_FILE")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|home| PathBuf::from(home).join(".aws").join("config")))
}

fn config_file_region(env: EnvLookup, profile: Option<&str>) -> Option<String> {
    use aws_config::meta::region::ProvideRegion;
    use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
    let path = config_file_path(env).filter(|p| p.is_file())?;
    let files = EnvConfigFiles::builder()
        .with_file(EnvConfigFileKind::Config, path)
        .build();
    let profile = profile
        .map(str::to_string)
        .or_else(|| env_profile(env))
        .unwrap_or_else(|| "default".to_string());
    let provider = aws_config::profile::ProfileFileRegionProvider::builder()
        .configure(&aws_config::provider_config::ProviderConfig::empty())
        .profile_files(files)
        .profile_name(profile)
        .build();
    let runtime = tokio::runtime::Builder::new_current_thread().build().ok()?;
    runtime
        .block_on(provider.region())
        .map(|region| region.to_string())
        .filter(|r| !r.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn region_chain() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        std::fs::write(
            &config,
            "[default]\nregion = eu-west-1\n\n[profile work]\nregion = ap-south-1\n\n[profile child]\nsource_profile = work\n",
        )
        .unwrap();
        let config = config.to_str().unwrap();

        let env = lookup(&[("AWS_REGION", "us-west-2"), ("AWS_CONFIG_FILE", config)]);
        assert_eq!(default_region(&env, None), "us-west-2");

        let env = lookup(&[
            ("AWS_DEFAULT_REGION", "ca-central-1"),
            ("AWS_CONFIG_FILE", config),
        ]);
        assert_eq!(default_region(&env, None), "ca-central-1");

        let env = lookup(&[("AWS_CONFIG_FILE", config)]);
        assert_eq!(default_region(&env, None), "eu-west-1");
        assert_eq!(default_region(&env, Some("work")), "ap-south-1");
        assert_eq!(default_region(&env, Some("missing")), FALLBACK_REGION);
        // a profile without a region takes its source profile's, as the SDKs do
        assert_eq!(default_region(&env, Some("child")), "ap-south-1");

        let env = lookup(&[("AWS_CONFIG_FILE", config), ("AWS_PROFILE", "work")]);
        assert_eq!(default_region(&env, None), "ap-south-1");

        let env = lookup(&[("HOME", dir.path().to_str().unwrap())]);
        assert_eq!(default_region(&env, None), FALLBACK_REGION);
    }
}
