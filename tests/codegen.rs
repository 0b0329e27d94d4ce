//! `hoist codegen`: the generated documents parse and validate against the
//! api's schema (apollo-compiler), their output is snapshotted for the corpus
//! schemas, and the command, its configuration and the codegen step of
//! `synth` behave as documented.

mod common;

use std::path::Path;
use std::process::Command;

use apollo_compiler::ExecutableDocument;
use apollo_compiler::validation::Valid;
use common::{Sandbox, stderr_of};

/// The corpus schemas (parts of one schema joined), by name; empty without the corpus.
fn corpus_schemas() -> Vec<(String, Vec<(String, String)>)> {
    common::corpus_apis()
}

struct Generated {
    schema: Valid<apollo_compiler::Schema>,
    files: std::collections::BTreeMap<&'static str, String>,
    output: hoist::transform::Output,
}

fn generate(name: &str, files: &[(String, String)], depth: usize) -> Generated {
    let output = hoist::transform::transform_files(files, name, &hoist::transform::Modes::all())
        .unwrap_or_else(|e| panic!("{name}: {:?}", miette::Report::new(e)));
    let schema = hoist::codegen::parse_schema(name, &output.sdl).unwrap();
    let files = hoist::codegen::generate(&schema, &format!("corpus/{name}"), depth);
    let schema = schema
        .validate()
        .unwrap_or_else(|e| panic!("{name}: the output schema is invalid: {e}"));
    Generated {
        schema,
        files,
        output,
    }
}

/// The GraphQL documents of a generated `queries.ts` (and the like), by export name.
fn documents(ts: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for part in ts.split("\nexport const ").skip(1) {
        let (name, rest) = part.split_once(" = /* GraphQL */ `").expect("a document");
        let (doc, _) = rest.split_once("\n` as Generated").expect("its type");
        out.push((name.to_string(), doc.to_string()));
    }
    out
}

/// Every document parses and validates against the schema it was made from.
fn assert_documents_valid(name: &str, generated: &Generated) -> usize {
    let mut count = 0;
    for file in ["queries.ts", "mutations.ts", "subscriptions.ts"] {
        for (export, doc) in documents(&generated.files[file]) {
            ExecutableDocument::parse_and_validate(&generated.schema, &doc, "doc.graphql")
                .unwrap_or_else(|e| panic!("{name} {file} `{export}`: {e}\n{doc}"));
            count += 1;
        }
    }
    count
}

#[test]
fn corpus_documents_validate_and_are_snapshotted() {
    let schemas = corpus_schemas();
    if schemas.is_empty() {
        return;
    }
    assert!(schemas.len() >= 18, "{} corpus schemas", schemas.len());
    let mut total = 0;
    for (name, files) in &schemas {
        let generated = generate(name, files, 2);
        let count = assert_documents_valid(name, &generated);
        assert!(count > 0, "{name}: no documents");
        total += count;
        // Deterministic: the same schema gives the same bytes.
        assert_eq!(generate(name, files, 2).files, generated.files, "{name}");
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_suffix(name.as_str());
        settings.bind(|| {
            insta::assert_snapshot!("documents", {
                let mut all = String::new();
                for file in ["queries.ts", "mutations.ts", "subscriptions.ts"] {
                    all.push_str(&format!("// ===== {file}\n{}\n", generated.files[file]));
                }
                all
            });
        });
    }
    assert!(total > 1000, "{total} documents");
}

/// The types file of a few corpus schemas, and their introspection, in full.
#[test]
fn corpus_types_and_introspection_snapshots() {
    let schemas = corpus_schemas();
    for (name, files) in schemas.iter().filter(|(n, _)| {
        [
            "photo-sharing",
            "trips-planner-tiny",
            "book-search-searchable",
            "owner-field-variants",
        ]
        .contains(&n.as_str())
    }) {
        let generated = generate(name, files, 2);
        let introspection =
            hoist::codegen::model_introspection(&generated.output, &generated.schema);
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_suffix(name.as_str());
        settings.bind(|| {
            insta::assert_snapshot!("api_types", generated.files["API.ts"]);
            insta::assert_json_snapshot!("introspection", introspection);
        });
    }
}

#[test]
fn every_depth_validates() {
    let schemas = corpus_schemas();
    let Some((name, files)) = schemas
        .iter()
        .find(|(n, _)| n == "lazyload-cpk-relationships")
    else {
        return;
    };
    let mut sizes = Vec::new();
    for depth in 1..=4 {
        let generated = generate(name, files, depth);
        assert_documents_valid(name, &generated);
        sizes.push(generated.files["queries.ts"].len());
    }
    assert!(
        sizes.windows(2).all(|w| w[0] < w[1]),
        "deeper selections are longer: {sizes:?}"
    );
}

/// The introspection names what the client needs: relations, keys, indexes, rules.
#[test]
fn introspection_describes_models_as_amplify_does() {
    let schema = r#"
type Blog @model @auth(rules: [{ allow: owner }, { allow: public, operations: [read] }]) {
  id: ID!
  name: String!
  status: Status
  posts: [Post] @hasMany
}
type Post @model @auth(rules: [{ allow: public }]) {
  slug: String! @primaryKey(sortKeyFields: ["createdOn"])
  createdOn: AWSDate!
  title: String! @index(name: "byTitle", queryField: "postsByTitle")
  blog: Blog @belongsTo
  meta: Meta
}
type Meta { words: Int tags: [String!] }
enum Status { DRAFT LIVE }
"#;
    let generated = generate("blog", &[("schema.graphql".into(), schema.into())], 2);
    let i = hoist::codegen::model_introspection(&generated.output, &generated.schema);
    assert_eq!(i["version"], 1);
    let blog = &i["models"]["Blog"];
    assert_eq!(blog["pluralName"], "Blogs");
    assert_eq!(
        blog["primaryKeyInfo"],
        serde_json::json!({"isCustomPrimaryKey": false, "primaryKeyFieldName": "id", "sortKeyFieldNames": []})
    );
    assert_eq!(
        blog["fields"]["posts"]["association"],
        serde_json::json!({"connectionType": "HAS_MANY", "associatedWith": ["blogPostsId"]})
    );
    assert_eq!(
        blog["fields"]["posts"]["type"],
        serde_json::json!({"model": "Post"})
    );
    assert_eq!(blog["fields"]["posts"]["isArray"], true);
    assert_eq!(
        blog["fields"]["status"]["type"],
        serde_json::json!({"enum": "Status"})
    );
    assert_eq!(blog["fields"]["createdAt"]["isReadOnly"], true);
    assert_eq!(blog["fields"]["owner"]["type"], "String");
    let rules = &blog["attributes"][1]["properties"]["rules"];
    assert_eq!(rules[0]["allow"], "owner");
    assert_eq!(rules[0]["ownerField"], "owner");
    assert_eq!(rules[1]["allow"], "public");
    assert_eq!(rules[1]["operations"], serde_json::json!(["read"]));

    let post = &i["models"]["Post"];
    assert_eq!(
        post["primaryKeyInfo"],
        serde_json::json!({"isCustomPrimaryKey": true, "primaryKeyFieldName": "slug", "sortKeyFieldNames": ["createdOn"]})
    );
    let attributes = post["attributes"].as_array().unwrap();
    assert!(attributes.contains(
        &serde_json::json!({"type": "key", "properties": {"fields": ["slug", "createdOn"]}})
    ));
    assert!(attributes.contains(&serde_json::json!({"type": "key", "properties": {"name": "byTitle", "queryField": "postsByTitle", "fields": ["title"]}})));
    assert_eq!(
        post["fields"]["blog"]["association"],
        serde_json::json!({"connectionType": "BELONGS_TO", "targetNames": ["blogPostsId"]})
    );
    assert_eq!(
        post["fields"]["meta"]["type"],
        serde_json::json!({"nonModel": "Meta"})
    );
    assert_eq!(
        i["nonModels"]["Meta"]["fields"]["tags"],
        serde_json::json!({"name": "tags", "isArray": true, "type": "String", "isRequired": true, "attributes": [], "isArrayNullable": true})
    );
    assert_eq!(
        i["enums"]["Status"],
        serde_json::json!({"name": "Status", "values": ["DRAFT", "LIVE"]})
    );
}

fn project_with_blog_api(sb: &Sandbox) {
    sb.hoist()
        .args(["init", ".", "--frontend", "react", "--yes"])
        .assert()
        .success();
    sb.hoist()
        .args(["add", "api", "--template", "blog", "--yes"])
        .assert()
        .success();
}

#[test]
fn codegen_writes_once_and_then_only_what_changed() {
    let sb = Sandbox::new();
    project_with_blog_api(&sb);
    let out = sb.hoist().args(["codegen", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out, &sb));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["dir"], "src/graphql");
    assert_eq!(report["written"].as_array().unwrap().len(), 4);
    let queries = sb.read("src/graphql/queries.ts");
    assert!(queries.starts_with(
        "/* eslint-disable */\n// @generated by hoist codegen from hoist/api/main/schema.graphql: do not edit."
    ));
    assert!(queries.contains("export const listPosts = /* GraphQL */ `query ListPosts("));

    let out = sb.hoist().args(["codegen", "--json"]).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["written"], serde_json::json!([]));
    assert_eq!(report["unchanged"].as_array().unwrap().len(), 4);

    // A schema change reaches the documents and the types.
    let schema = sb.read("hoist/api/main/schema.graphql");
    sb.write(
        "hoist/api/main/schema.graphql",
        &schema.replace("title: String!", "title: String!\n  subtitle: String"),
    );
    let out = sb.hoist().args(["codegen", "--json"]).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["written"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("src/graphql/API.ts"))
    );
    assert!(
        sb.read("src/graphql/API.ts")
            .contains("subtitle?: string | null,")
    );
}

#[test]
fn codegen_is_configured_in_hoist_toml() {
    let sb = Sandbox::new();
    project_with_blog_api(&sb);
    let manifest = sb.read("hoist.toml");
    sb.write(
        "hoist.toml",
        &format!("{manifest}\n[codegen]\noutput_dir = \"web/api\"\nmax_depth = 3\n"),
    );
    sb.hoist().arg("codegen").assert().success();
    let queries = sb.read("web/api/queries.ts");
    // Depth 3: a blog's posts' items, and each post's comments.
    assert!(
        queries.contains("    posts {\n      items {\n        id\n        title\n"),
        "{queries}"
    );
    assert!(!sb.join("src/graphql").exists());

    sb.write(
        "hoist.toml",
        &format!("{manifest}\n[codegen]\nmax_depth = 0\n"),
    );
    let out = sb.hoist().arg("codegen").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out, &sb);
    assert!(
        err.contains("`max_depth` is 0; it must be between 1 and 10"),
        "{err}"
    );
    assert!(err.contains("hoist.toml"), "{err}");

    sb.write(
        "hoist.toml",
        &format!("{manifest}\n[codegen]\napi = \"shop\"\n"),
    );
    let err = stderr_of(&sb.hoist().arg("codegen").output().unwrap(), &sb);
    assert!(err.contains("names no `[api.shop]`"), "{err}");

    sb.write(
        "hoist.toml",
        &format!("{manifest}\n[codegen]\noutput_dir = \"../elsewhere\"\n"),
    );
    let err = stderr_of(&sb.hoist().arg("codegen").output().unwrap(), &sb);
    assert!(err.contains("leaves the project"), "{err}");
}

#[test]
fn codegen_without_an_api_says_how_to_add_one() {
    let sb = Sandbox::new();
    sb.hoist()
        .args(["init", ".", "--frontend", "react", "--yes"])
        .assert()
        .success();
    let out = sb.hoist().arg("codegen").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out, &sb);
    assert!(err.contains("this project has no api"), "{err}");
    assert!(err.contains("hoist add api"), "{err}");
}

#[test]
fn codegen_reports_schema_errors_at_their_place() {
    let sb = Sandbox::new();
    project_with_blog_api(&sb);
    sb.write(
        "hoist/api/main/schema.graphql",
        "type Post @model {\n  id: ID!\n  blog: Blog @belongsTo\n}\n",
    );
    let out = sb.hoist().arg("codegen").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out, &sb);
    assert!(err.contains("schema.graphql:3:"), "{err}");
    assert!(!sb.join("src/graphql").exists(), "nothing is written");
}

#[test]
fn synth_runs_codegen_unless_told_not_to() {
    let sb = Sandbox::new();
    project_with_blog_api(&sb);
    sb.hoist()
        .args(["synth", "--no-codegen"])
        .assert()
        .success();
    assert!(!sb.join("src/graphql").exists());
    let out = sb.hoist().arg("synth").output().unwrap();
    assert!(out.status.success());
    assert!(sb.join("src/graphql/API.ts").is_file());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Generated TypeScript for api `main`"));

    // `enabled = false` turns the step off; `hoist codegen` still runs.
    std::fs::remove_dir_all(sb.join("src/graphql")).unwrap();
    let manifest = sb.read("hoist.toml");
    sb.write(
        "hoist.toml",
        &format!("{manifest}\n[codegen]\nenabled = false\n"),
    );
    sb.hoist().arg("synth").assert().success();
    assert!(!sb.join("src/graphql").exists());
    sb.hoist().arg("codegen").assert().success();
    assert!(sb.join("src/graphql/API.ts").is_file());
}

#[test]
fn codegen_keeps_the_outputs_introspection_in_step() {
    let sb = Sandbox::new();
    project_with_blog_api(&sb);
    // As `hoist push` leaves it: a data section for the deployed api.
    sb.write(
        "src/amplify_outputs.json",
        r#"{"version":"1.4","data":{"aws_region":"us-east-1","url":"https://x.appsync-api.us-east-1.amazonaws.com/graphql","default_authorization_type":"API_KEY","authorization_types":[],"api_key":"da2-x"}}"#,
    );
    sb.hoist().arg("codegen").assert().success();
    let outputs: serde_json::Value =
        serde_json::from_str(&sb.read("src/amplify_outputs.json")).unwrap();
    let models = &outputs["data"]["model_introspection"]["models"];
    assert_eq!(models["Post"]["pluralName"], "Posts");
    assert_eq!(outputs["data"]["api_key"], "da2-x", "the rest is kept");
}

/// `aws-amplify` itself reads the introspection: `client.models.<Model>` exists
/// for every model, and the operations it sends validate against the schema.
#[test]
#[ignore = "needs the npm packages of tests/outputs-check; run by scripts/test.sh"]
fn amplify_client_models_work_from_the_introspection() {
    let check = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/outputs-check");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("codegen-models");
    std::fs::create_dir_all(&dir).unwrap();
    let mut schemas = corpus_schemas();
    schemas.push((
        "todo-starter".into(),
        vec![(
            "schema.graphql".into(),
            "type Todo @model @auth(rules: [{ allow: owner }, { allow: public, operations: [read] }]) {\n  id: ID!\n  name: String!\n  done: Boolean\n}\n"
                .into(),
        )],
    ));
    let mut files = Vec::new();
    let mut generated = Vec::new();
    for (name, parts) in &schemas {
        let g = generate(name, parts, 2);
        let introspection = hoist::codegen::model_introspection(&g.output, &g.schema);
        let outputs = serde_json::json!({
            "version": "1.4",
            "data": {
                "aws_region": "us-east-1",
                "url": "https://example.appsync-api.us-east-1.amazonaws.com/graphql",
                "default_authorization_type": "API_KEY",
                "authorization_types": [],
                "api_key": "da2-example",
                "model_introspection": introspection,
            }
        });
        let path = dir.join(format!("{name}.json"));
        std::fs::write(&path, serde_json::to_vec(&outputs).unwrap()).unwrap();
        files.push(path);
        generated.push((name.clone(), g));
    }
    let out = Command::new("node")
        .arg(check.join("models.mjs"))
        .args(&files)
        .output()
        .expect("could not run node");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut checked = 0;
    for ((name, g), path) in generated.iter().zip(&files) {
        let models = &report[path.to_string_lossy().as_ref()];
        assert_eq!(
            models.as_object().unwrap().len(),
            g.output.models.len(),
            "{name}: every model is in client.models"
        );
        for (model, sent) in models.as_object().unwrap() {
            for (op, query) in sent.as_object().unwrap() {
                let query = query.as_str().unwrap();
                ExecutableDocument::parse_and_validate(&g.schema, query, "sent.graphql")
                    .unwrap_or_else(|e| {
                        panic!(
                            "{name}: client.models.{model}.{op} sent an invalid query: {e}\n{query}"
                        )
                    });
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "{checked} operations checked");
}

/// The generated TypeScript of every corpus schema type-checks (strict).
#[test]
#[ignore = "needs the npm packages of tests/outputs-check; run by scripts/test.sh"]
fn corpus_codegen_type_checks() {
    let check = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/outputs-check");
    let root = check.join("generated/codegen");
    let _ = std::fs::remove_dir_all(&root);
    let schemas = corpus_schemas();
    if schemas.is_empty() {
        return;
    }
    for (name, files) in &schemas {
        let g = generate(name, files, 2);
        for (file, text) in &g.files {
            let path = root.join(name).join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    }
    let out = Command::new(check.join("node_modules/.bin/tsc"))
        .args(["-p", "tsconfig.codegen.json"])
        .current_dir(&check)
        .output()
        .expect("could not run tsc");
    assert!(
        out.status.success(),
        "tsc found errors in the generated code:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
