//! The root stack's parameters that are known only at deploy time: secrets
//! read from environment variables and SSM (never stored), and the API keys'
//! expiries (and when a key is due for renewal).

use std::collections::BTreeMap;

use aws_sdk_cloudformation::error::DisplayErrorContext;

use super::aws::Clients;
use super::error::DeployError;
use crate::category::SecretRef;
use crate::synth::Build;

/// Resolve the build's secret parameters from environment variables and SSM.
pub async fn resolve_secrets(
    clients: &Clients,
    secrets: &BTreeMap<String, SecretRef>,
) -> Result<BTreeMap<String, String>, DeployError> {
    let mut values = BTreeMap::new();
    for (parameter, source) in secrets {
        let value = match source {
            SecretRef::Env(var) => std::env::var(var).map_err(|_| DeployError::Secret {
                parameter: parameter.clone(),
                source_name: format!("the environment variable `{var}`"),
                reason: "it is not set".into(),
            })?,
            SecretRef::Ssm(name) => clients
                .ssm
                .get_parameter()
                .name(name)
                .with_decryption(true)
                .send()
                .await
                .map_err(|e| DeployError::Secret {
                    parameter: parameter.clone(),
                    source_name: format!("the SSM parameter `{name}`"),
                    reason: DisplayErrorContext(&e).to_string(),
                })?
                .parameter()
                .and_then(|p| p.value())
                .unwrap_or_default()
                .to_string(),
        };
        values.insert(parameter.clone(), value);
    }
    Ok(values)
}

/// The API keys' expiry parameters for a deploy at `now` (seconds since the
/// Unix epoch): each key lives its full `days` from now. AppSync keeps an
/// expiry rounded down to the hour and accepts 1 to 365 days (`Expires`,
/// AWS::AppSync::ApiKey; `ApiKeyValidityOutOfBoundsException`, counted from
/// when the key is updated, which comes after the change set is made and
/// confirmed), so an hour of slack is added and the time rounded up to the
/// hour; at 365 days it is rounded down to stay within the limit.
pub fn key_expiry_parameters(build: &Build, now: u64) -> BTreeMap<String, u64> {
    build
        .key_expiries
        .iter()
        .map(|(parameter, days)| (parameter.clone(), key_expiry(now, *days)))
        .collect()
}

/// When a key made at `now` for `days` days expires: see [`key_expiry_parameters`].
pub fn key_expiry(now: u64, days: u16) -> u64 {
    let exact = now + u64::from(days) * 86_400;
    if days >= 365 {
        return exact - exact % 3_600;
    }
    let padded = exact + 3_600;
    padded.div_ceil(3_600) * 3_600
}

/// Whether a key expiring at `expires_at`, made for `days` days, is due for
/// renewal at `now`: in the last third of its life (the two hours
/// [`key_expiry`] may add count with it, so a fresh key is never due).
pub fn key_renewal_due(expires_at: u64, days: u16, now: u64) -> bool {
    let window = u64::from(days) * 86_400 / 3;
    now + window + 2 * 3_600 >= expires_at
}
