//! Differential test of the api's transform against Amplify's own
//! transformer (`@aws-amplify/graphql-transformer` 2.5.1 from npm with Gen
//! 1's default feature flags: `tests/transformer-oracle/transform.mjs`), on
//! the corpus's schemas with user pools as the default mode and an API key,
//! IAM, OIDC and a Lambda authorizer besides: the client schemas are
//! compared definition by definition. The figures are printed; the test
//! fails when hoist refuses a schema Amplify accepts, or when fewer
//! definitions than [`IDENTICAL_FLOOR`] are identical (a ratchet: raise it
//! as differences are fixed). `HOIST_ORACLE_SHOW=<api>` prints both sides of
//! each definition that differs in that corpus api.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use hoist::transform::auth::{Modes, Provider};
use hoist::transform::transform_files;

/// Definitions identical to Amplify's over the corpus, measured 2026-12-02.
const IDENTICAL_FLOOR: usize = 1737;

/// Definitions Amplify 2.5.1 adds to every schema that hoist leaves out on
/// purpose, with the reason.
const DELIBERATE: &[(&str, &str)] = &[(
    "AmplifyAIConversationTurnErrorInput",
    "an input of Amplify's AI conversation routes, declared in every schema whether or not it has a conversation; hoist has no AI routes",
)];

/// Each definition of an SDL document, printed, by name.
fn definitions(sdl: &str) -> BTreeMap<String, String> {
    common::sdl_definitions(sdl)
}

fn auth_config() -> String {
    serde_json::json!({
        "defaultAuthentication": { "authenticationType": "AMAZON_COGNITO_USER_POOLS" },
        "additionalAuthenticationProviders": [
            { "authenticationType": "API_KEY", "apiKeyConfig": { "apiKeyExpirationDays": 7 } },
            { "authenticationType": "AWS_IAM" },
            { "authenticationType": "OPENID_CONNECT", "openIDConnectConfig": {
                "name": "oidc", "issuerUrl": "https://issuer.example.com", "clientId": "client" } },
            { "authenticationType": "AWS_LAMBDA", "lambdaAuthorizerConfig": {
                "lambdaFunction": "authorizer", "ttlSeconds": 300 } }
        ]
    })
    .to_string()
}

#[test]
#[ignore = "needs the npm packages of tests/transformer-oracle; run by scripts/test.sh"]
fn the_client_schema_matches_amplifys_transformer_on_the_corpus() {
    let apis = common::corpus_apis();
    if apis.is_empty() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (name, parts) in &apis {
        let path = dir.path().join(format!("{name}.graphql"));
        let joined: String = parts.iter().map(|(_, t)| format!("{t}\n")).collect();
        std::fs::write(&path, joined).unwrap();
        files.push(path);
    }
    let oracle = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transformer-oracle");
    assert!(
        oracle
            .join("node_modules/@aws-amplify/graphql-transformer")
            .is_dir(),
        "run `npm install` in tests/transformer-oracle (scripts/test.sh does)"
    );
    let out = std::process::Command::new("node")
        .arg(oracle.join("transform.mjs"))
        .arg(auth_config())
        .args(&files)
        .env("JSII_DEPRECATED", "quiet")
        .output()
        .expect("could not run node");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let amplify: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let modes = Modes {
        default: Provider::UserPools,
        additional: vec![
            Provider::ApiKey,
            Provider::Iam,
            Provider::Oidc,
            Provider::Function,
        ],
        iam_principals: false,
    };
    let (mut identical, mut total) = (0, 0);
    let mut refused = Vec::new();
    let mut report = Vec::new();
    for ((name, parts), path) in apis.iter().zip(&files) {
        let theirs = &amplify[path.to_string_lossy().as_ref()];
        let ours = transform_files(parts, name, &modes);
        let sdl = match (theirs["sdl"].as_str(), ours) {
            (Some(sdl), Ok(output)) => (sdl.to_string(), output.sdl),
            (Some(_), Err(e)) => {
                refused.push(format!("{name}: {e:?}"));
                continue;
            }
            (None, ours) => {
                report.push(format!(
                    "{name}: Amplify refuses it ({}); hoist {}",
                    theirs["error"]
                        .as_str()
                        .unwrap_or_default()
                        .lines()
                        .next()
                        .unwrap_or_default(),
                    if ours.is_ok() {
                        "accepts it"
                    } else {
                        "refuses it too"
                    }
                ));
                continue;
            }
        };
        let mut expected = definitions(&sdl.0);
        for (deliberate, _) in DELIBERATE {
            expected.remove(*deliberate);
        }
        let actual = definitions(&sdl.1);
        let same = expected
            .iter()
            .filter(|(k, v)| actual.get(*k) == Some(*v))
            .count();
        let differing: Vec<&String> = expected
            .keys()
            .chain(actual.keys().filter(|k| !expected.contains_key(*k)))
            .filter(|k| expected.get(*k) != actual.get(*k))
            .collect();
        // HOIST_ORACLE_SHOW=<api> prints both sides of what differs
        if std::env::var("HOIST_ORACLE_SHOW").is_ok_and(|v| v == *name) {
            for k in &differing {
                println!(
                    "--- {k}: Amplify\n{}\n--- {k}: hoist\n{}",
                    expected.get(*k).map_or("(none)", |s| s.as_str()),
                    actual.get(*k).map_or("(none)", |s| s.as_str())
                );
            }
        }
        identical += same;
        total += expected.len().max(actual.len());
        report.push(format!(
            "{name}: {same} of {} identical{}",
            expected.len(),
            if differing.is_empty() {
                String::new()
            } else {
                format!(
                    "; differ: {}",
                    differing
                        .iter()
                        .take(12)
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        ));
    }
    println!("{}", report.join("\n"));
    println!(
        "identical definitions: {identical} of {total} ({:.1}%)",
        100.0 * identical as f64 / total.max(1) as f64
    );
    assert!(
        refused.is_empty(),
        "hoist refuses schemas Amplify accepts:\n{}",
        refused.join("\n")
    );
    assert!(
        identical >= IDENTICAL_FLOOR,
        "fewer definitions identical to Amplify's than before: {identical} < {IDENTICAL_FLOOR}"
    );
}
