//! AWS configuration in one place: the standard chain (environment, shared
//! files, SSO, processes), the environment's profile and region from
//! hoist.toml, an endpoint override for emulators, handed to every client.

use aws_config::{BehaviorVersion, Region, SdkConfig};

/// Where and as whom to call AWS.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub region: String,
    pub profile: Option<String>,
    /// An emulator's endpoint (`--endpoint-url`, `AWS_ENDPOINT_URL`).
    pub endpoint_url: Option<String>,
}

pub struct Clients {
    pub cloudformation: aws_sdk_cloudformation::Client,
    pub s3: aws_sdk_s3::Client,
    pub ssm: aws_sdk_ssm::Client,
}

pub async fn sdk_config(target: &Target) -> SdkConfig {
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).region(Region::new(target.region.clone()));
    if let Some(profile) = &target.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(endpoint) = &target.endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    loader.load().await
}

pub async fn clients(target: &Target) -> Clients {
    let config = sdk_config(target).await;
    // Emulators serve every bucket on one host: S3 needs path-style addresses there.
    let s3_config = aws_sdk_s3::config::Builder::from(&config)
        .force_path_style(target.endpoint_url.is_some())
        .build();
    Clients {
        cloudformation: aws_sdk_cloudformation::Client::new(&config),
        s3: aws_sdk_s3::Client::from_conf(s3_config),
        ssm: aws_sdk_ssm::Client::new(&config),
    }
}
