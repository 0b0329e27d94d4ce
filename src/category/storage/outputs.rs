//! The storage stack's outputs and its `storage` section of `amplify_outputs.json`.

use super::*;

/// Names of the outputs of a storage stack.
pub const BUCKET_NAME: &str = "BucketName";
pub const BUCKET_ARN: &str = "BucketArn";

fn outputs_actions(access: &[Access]) -> Vec<&'static str> {
    let mut sorted = access.to_vec();
    sorted.sort();
    sorted
        .iter()
        .flat_map(|a| a.outputs_actions().iter().copied())
        .collect()
}

/// One bucket of the `storage` section of `amplify_outputs.json`.
pub fn amplify_outputs_bucket(
    name: &str,
    cfg: &StorageConfig,
    region: &str,
    deployed: &BTreeMap<String, String>,
) -> Result<Value, String> {
    let bucket = deployed
        .get(BUCKET_NAME)
        .cloned()
        .ok_or_else(|| BUCKET_NAME.to_string())?;
    let mut public = serde_json::Map::new();
    let mut protected = serde_json::Map::new();
    let mut private = serde_json::Map::new();
    if !cfg.guest.is_empty() {
        public.insert("guest".into(), json!(outputs_actions(&cfg.guest)));
        if cfg.guest.contains(&Access::Read) {
            protected.insert("guest".into(), json!(["get", "list"]));
        }
    }
    if !cfg.authenticated.is_empty() {
        public.insert(
            "authenticated".into(),
            json!(outputs_actions(&cfg.authenticated)),
        );
        if cfg.authenticated.contains(&Access::Read) {
            protected.insert("authenticated".into(), json!(["get", "list"]));
        }
        protected.insert(
            "entityidentity".into(),
            json!(outputs_actions(&cfg.authenticated)),
        );
        private.insert(
            "entityidentity".into(),
            json!(outputs_actions(&cfg.authenticated)),
        );
    }
    for (group, access) in &cfg.groups {
        let key = format!("groups{group}");
        for tier in [&mut public, &mut protected, &mut private] {
            tier.insert(key.clone(), json!(outputs_actions(access)));
        }
    }
    Ok(json!({
        "name": name,
        "bucket_name": bucket,
        "aws_region": region,
        "paths": {
            "public/*": public,
            "protected/{entity_id}/*": protected,
            "private/{entity_id}/*": private
        }
    }))
}
