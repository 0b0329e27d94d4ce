//! Differential test of the api's transform against Amplify's own
//! transformer (`@aws-amplify/graphql-transformer` 2.5.1 from npm with Gen
//! 1's default feature flags: `tests/transformer-oracle/transform.mjs`), on
//! the corpus's schemas with user pools as the default mode and an API key,
//! IAM, OIDC and a Lambda authorizer besides: the client schemas are
//! compared definition by definition, and so are the schemas written for it
//! in `tests/transformer-oracle/schemas/`. The figures are printed; the test
//! fails when hoist refuses a schema Amplify accepts or accepts one Amplify
//! refuses, or when fewer definitions than [`IDENTICAL_FLOOR`] are identical
//! (a ratchet: raise it as differences are fixed). `HOIST_ORACLE_SHOW=<api>` prints both sides of
//! each definition that differs in that corpus api.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use hoist::transform::auth::{Modes, Provider};
use hoist::transform::transform_files;

/// Definitions identical to Amplify's over the corpus and the written
/// schemas, measured 2026-12-03.
const IDENTICAL_FLOOR: usize = 1944;

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
    let mut apis = common::corpus_apis();
    if apis.is_empty() {
        return;
    }
    // and schemas written for this test (index query names, Query order, a
    // name clash Amplify refuses)
    let extra = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transformer-oracle/schemas");
    let mut written: Vec<_> = std::fs::read_dir(&extra)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "graphql"))
        .collect();
    written.sort();
    for path in written {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        apis.push((name.clone(), vec![(format!("{name}.graphql"), text)]));
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
    let mut accepted = Vec::new();
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
                let why = theirs["error"]
                    .as_str()
                    .unwrap_or_default()
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_string();
                if ours.is_ok() {
                    accepted.push(format!("{name}: Amplify refuses it ({why})"));
                }
                report.push(format!("{name}: Amplify refuses it ({why}); so does hoist"));
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
        accepted.is_empty(),
        "hoist accepts schemas Amplify refuses:\n{}",
        accepted.join("\n")
    );
    assert!(
        identical >= IDENTICAL_FLOOR,
        "fewer definitions identical to Amplify's than before: {identical} < {IDENTICAL_FLOOR}"
    );
}

/// hoist's plurals are those of the npm `pluralize` library Amplify's
/// transformer installs (its list query names): every model name of the
/// corpus and a list of words its rules treat apart (irregular, uncountable,
/// Latin and Greek endings, acronyms).
#[test]
#[ignore = "needs the npm packages of tests/transformer-oracle; run by scripts/test.sh"]
fn plurals_are_those_of_the_npm_pluralize_library() {
    let oracle = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transformer-oracle");
    assert!(
        oracle.join("node_modules/pluralize").is_dir(),
        "run `npm install` in tests/transformer-oracle (scripts/test.sh does)"
    );
    let mut words: Vec<String> = std::fs::read_to_string(oracle.join("plural-words.txt"))
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    for (_, parts) in common::corpus_apis() {
        for (_, text) in parts {
            let doc = apollo_compiler::ast::Document::parse(text, "x.graphql").unwrap();
            words.extend(doc.definitions.iter().filter_map(|d| {
                matches!(d, apollo_compiler::ast::Definition::ObjectTypeDefinition(_))
                    .then(|| d.name().map(|n| n.to_string()))
                    .flatten()
            }));
        }
    }
    words.sort();
    words.dedup();
    let out = std::process::Command::new("node")
        .arg(oracle.join("plurals.mjs"))
        .args(&words)
        .output()
        .expect("could not run node");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let npm: BTreeMap<String, String> = serde_json::from_slice(&out.stdout).unwrap();
    let differ: Vec<String> = words
        .iter()
        .filter(|w| hoist::naming::plural(w) != npm[*w])
        .map(|w| format!("{w}: npm {}, hoist {}", npm[w], hoist::naming::plural(w)))
        .collect();
    assert!(
        words.len() > 250,
        "only {} words were compared",
        words.len()
    );
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}
