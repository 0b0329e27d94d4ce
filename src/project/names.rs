//! Names the user chooses end up in CloudFormation stack names, S3 bucket names
//! and Cognito resource names: validate them once, for all of those at once.

use miette::Diagnostic;
use thiserror::Error;

/// The longest project name: `hoist-<project>-<env>-deployment-<8 hex>` must fit
/// in an S3 bucket name (63 characters).
pub const PROJECT_NAME_MAX: usize = 24;
/// The longest environment name (as Amplify allows).
pub const ENV_NAME_MAX: usize = 10;

#[derive(Debug, Error, Diagnostic, PartialEq, Eq)]
#[error("invalid {what} `{value}`: {problem}")]
#[diagnostic(code(hoist::invalid_name), help("{rule}"))]
pub struct NameError {
    pub what: &'static str,
    pub value: String,
    pub problem: String,
    pub rule: &'static str,
}

const PROJECT_RULE: &str = "a project name has 2 to 24 characters: lowercase letters, digits and \
     single hyphens, starting with a letter and ending with a letter or digit (it becomes part of \
     CloudFormation stack names, S3 bucket names and Cognito pool names)";

const ENV_RULE: &str = "an environment name has 2 to 10 characters: lowercase letters and digits, \
     starting with a letter (for example `dev`, `staging`, `prod`)";

const REGION_RULE: &str = "an AWS region looks like `us-east-1`, `eu-west-2` or `ap-southeast-2`";

const PROFILE_RULE: &str = "an AWS profile is a name from `~/.aws/config` or `~/.aws/credentials`, \
     made of letters, digits and `-`, `_`, `.`, `@`, `+`";

fn error(
    what: &'static str,
    value: &str,
    problem: impl Into<String>,
    rule: &'static str,
) -> NameError {
    NameError {
        what,
        value: value.to_string(),
        problem: problem.into(),
        rule,
    }
}

pub fn validate_project_name(name: &str) -> Result<(), NameError> {
    let fail = |problem: &str| Err(error("project name", name, problem, PROJECT_RULE));
    let len = name.chars().count();
    if len < 2 {
        return fail("it is too short");
    }
    if len > PROJECT_NAME_MAX {
        return fail(&format!(
            "it has {len} characters, at most {PROJECT_NAME_MAX} are allowed"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return fail(&format!("it contains the character `{c}`"));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return fail("it must start with a lowercase letter");
    }
    if name.ends_with('-') {
        return fail("it must not end with a hyphen");
    }
    if name.contains("--") {
        return fail("it must not contain two hyphens in a row");
    }
    Ok(())
}

pub fn validate_env_name(name: &str) -> Result<(), NameError> {
    let fail = |problem: &str| Err(error("environment name", name, problem, ENV_RULE));
    let len = name.chars().count();
    if len < 2 {
        return fail("it is too short");
    }
    if len > ENV_NAME_MAX {
        return fail(&format!(
            "it has {len} characters, at most {ENV_NAME_MAX} are allowed"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
    {
        return fail(&format!("it contains the character `{c}`"));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return fail("it must start with a lowercase letter");
    }
    Ok(())
}

/// A region code's shape (`us-east-1`, `us-gov-west-1`). Regions hoist
/// stores or deploys to are also checked by [`validate_new_region`].
pub fn validate_region(region: &str) -> Result<(), NameError> {
    if KNOWN_REGIONS.contains(&region) {
        return Ok(());
    }
    // partition-style prefix, one or more words, then a number: us-east-1, us-gov-west-1, eu-central-2
    let parts: Vec<&str> = region.split('-').collect();
    let well_formed = parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty();
    if !well_formed {
        return Err(error(
            "AWS region",
            region,
            "it is not a region code",
            REGION_RULE,
        ));
    }
    Ok(())
}

/// A region hoist.toml holds or a new environment is given (the flag, the
/// prompt, or the AWS configuration's default): well formed, and one of the
/// regions the AWS SDK for Rust this hoist is built with lists, so that a
/// typo (`eu-west-9`) is caught at its line, before anything is written or
/// deployed.
pub fn validate_new_region(region: &str) -> Result<(), NameError> {
    validate_region(region)?;
    if KNOWN_REGIONS.contains(&region) {
        return Ok(());
    }
    Err(error(
        "AWS region",
        region,
        "it is not one of the regions of the AWS SDK this hoist is built with",
        KNOWN_REGION_RULE,
    ))
}

/// Whether an environment's name says it serves real users (`prod`,
/// `production`, `prd`, `live`, with any prefix or suffix after `-`): such
/// an environment without `protected = true` is warned about.
pub fn looks_like_production(env: &str) -> bool {
    env.split(['-', '_'])
        .any(|word| matches!(word, "prod" | "production" | "prd" | "live"))
}

/// The regions of the AWS partitions (commercial, China, GovCloud,
/// European Sovereign Cloud, ISO), as the partition data of the AWS SDK for
/// Rust lists them (`partitions.json`, aws-sdk-s3 1.122). A region added
/// since is added here with the SDK update that brings it.
pub const KNOWN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "cn-north-1",
    "cn-northwest-1",
    "us-gov-east-1",
    "us-gov-west-1",
    "eusc-de-east-1",
    "us-iso-east-1",
    "us-iso-west-1",
    "us-isob-east-1",
    "us-isob-west-1",
    "eu-isoe-west-1",
    "us-isof-east-1",
    "us-isof-south-1",
];

const KNOWN_REGION_RULE: &str = "use a region code from the AWS documentation, such as `us-east-1`, \
     `eu-west-2` or `ap-southeast-2` (a new environment's comes from `--region`, `AWS_REGION` or \
     the AWS configuration's profile). For a region AWS opened after this hoist was built, update \
     hoist (the list is the SDK's partition data)";

pub fn validate_profile(profile: &str) -> Result<(), NameError> {
    if profile.is_empty() {
        return Err(error("AWS profile", profile, "it is empty", PROFILE_RULE));
    }
    if let Some(c) = profile
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-_.@+".contains(*c)))
    {
        return Err(error(
            "AWS profile",
            profile,
            format!("it contains the character `{c}`"),
            PROFILE_RULE,
        ));
    }
    Ok(())
}

/// Turn any folder name into a valid project name: `My App!` becomes `my-app`.
pub fn project_name_from(raw: &str) -> String {
    let mut name = String::new();
    for c in raw.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            name.push(c);
        } else if !name.is_empty() && !name.ends_with('-') {
            name.push('-');
        }
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        name.insert_str(0, "app-");
    }
    name.truncate(PROJECT_NAME_MAX);
    let name = name.trim_end_matches('-').to_string();
    if validate_project_name(&name).is_ok() {
        name
    } else {
        "myapp".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `KNOWN_REGIONS` is exactly the regions in the partition data compiled
    /// into the AWS SDK this build uses (`src/endpoint_lib.rs` of the
    /// aws-sdk-s3 that Cargo.lock names, in Cargo's registry sources),
    /// leaving out the `aws-*-global` pseudo-regions: an SDK update that adds
    /// or drops a region fails here until the list follows it.
    #[test]
    fn known_regions_are_the_sdks_partition_regions() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let lock: toml::Value =
            toml::from_str(&std::fs::read_to_string(root.join("Cargo.lock")).unwrap()).unwrap();
        let version = lock["package"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"].as_str() == Some("aws-sdk-s3"))
            .and_then(|p| p["version"].as_str())
            .expect("aws-sdk-s3 is in Cargo.lock")
            .to_string();
        let cargo_home = std::env::var_os("CARGO_HOME")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| {
                std::path::PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cargo")
            });
        let registries = std::fs::read_dir(cargo_home.join("registry/src")).expect(
            "Cargo's registry sources (CARGO_HOME/registry/src): this test reads the SDK's partition data there, after a build",
        );
        let source = registries
            .flatten()
            .map(|r| {
                r.path()
                    .join(format!("aws-sdk-s3-{version}/src/endpoint_lib.rs"))
            })
            .find(|p| p.is_file())
            .map(|p| std::fs::read_to_string(p).unwrap())
            .expect("aws-sdk-s3's sources in Cargo's registry (this build compiled them)");
        let opening = "new_from_json(b\"";
        let start = source.find(opening).expect("the partition JSON") + opening.len();
        let end = start + source[start..].find("\").expect(").unwrap();
        // A Rust byte string literal: undo its escapes (\" and \\).
        let mut json = String::new();
        let mut chars = source[start..end].chars();
        while let Some(c) = chars.next() {
            json.push(if c == '\\' { chars.next().unwrap() } else { c });
        }
        let data: serde_json::Value = serde_json::from_str(&json).unwrap();
        let mut sdk: Vec<String> = data["partitions"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["regions"].as_object().unwrap().keys().cloned())
            .filter(|r| !r.ends_with("-global"))
            .collect();
        sdk.sort();
        let mut ours: Vec<String> = KNOWN_REGIONS.iter().map(|r| r.to_string()).collect();
        ours.sort();
        assert_eq!(ours, sdk);
    }

    #[test]
    fn production_like_names() {
        for name in [
            "prod",
            "production",
            "prd",
            "live",
            "prod-eu",
            "eu_prod",
            "shop-live",
        ] {
            assert!(looks_like_production(name), "{name}");
        }
        for name in ["dev", "staging", "product", "prodigy", "alive", "preprod"] {
            assert!(!looks_like_production(name), "{name}");
        }
    }

    #[test]
    fn project_names() {
        for ok in [
            "myapp",
            "my-app",
            "a1",
            "shop-2024",
            "abcdefghijabcdefghijabcd",
        ] {
            assert_eq!(validate_project_name(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "a",
            "My-App",
            "1app",
            "app-",
            "my--app",
            "my_app",
            "app.io",
            "abcdefghijabcdefghijabcde",
        ] {
            assert!(validate_project_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn env_names() {
        for ok in ["dev", "prod", "staging", "qa2"] {
            assert_eq!(validate_env_name(ok), Ok(()), "{ok}");
        }
        for bad in ["d", "Dev", "my-env", "2dev", "averylongenv"] {
            assert!(validate_env_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn regions() {
        for ok in [
            "us-east-1",
            "eu-west-2",
            "ap-southeast-2",
            "us-gov-west-1",
            "il-central-1",
        ] {
            assert_eq!(validate_region(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "us-east",
            "US-EAST-1",
            "useast1",
            "us-east-1a",
            "u-east-1",
        ] {
            assert!(validate_region(bad).is_err(), "{bad}");
        }
        for unknown in ["eu-west-9", "us-east-7"] {
            assert!(validate_region(unknown).is_ok(), "{unknown}");
            assert!(validate_new_region(unknown).is_err(), "{unknown}");
        }
        let unknown = validate_new_region("eu-west-9").unwrap_err();
        assert!(unknown.problem.contains("regions of the AWS SDK"));
        assert_eq!(validate_new_region("eusc-de-east-1"), Ok(()));
    }

    #[test]
    fn profiles() {
        assert!(validate_profile("default").is_ok());
        assert!(validate_profile("team.admin@acme").is_ok());
        assert!(validate_profile("").is_err());
        assert!(validate_profile("my profile").is_err());
        assert!(validate_profile("[bad]").is_err());
    }

    #[test]
    fn names_made_valid() {
        assert_eq!(project_name_from("My App!"), "my-app");
        assert_eq!(project_name_from("2048-game"), "app-2048-game");
        assert_eq!(project_name_from("___"), "app");
        assert_eq!(project_name_from("a"), "myapp");
        assert_eq!(project_name_from("Über_Café"), "ber-caf");
        assert_eq!(
            project_name_from("a-really-long-folder-name-for-an-app"),
            "a-really-long-folder-nam"
        );
        assert_eq!(
            project_name_from("abcdefghijklmnopqrstuvw-xyz"),
            "abcdefghijklmnopqrstuvw"
        );
    }
}
