//! No schema makes the transformer (or the resolver and stack generation after
//! it) panic: property tests over generated schemas that use every directive,
//! often wrongly, and over real-world schemas mutated at random.

mod common;

use std::collections::BTreeMap;

use hoist::transform::{Modes, transform_files};
use proptest::prelude::*;

/// The transform, then everything synth builds from a transformed schema.
fn run(source: &str) {
    let files = vec![("schema.graphql".to_string(), source.to_string())];
    for modes in [Modes::all(), Modes::api_key()] {
        if let Ok(output) = transform_files(&files, "schema", &modes) {
            for model in &output.models {
                // every schema that transforms gets resolvers: the templates render
                hoist::category::api::all_resolvers(model, &output.models).unwrap();
                hoist::category::api::search_resolver(model).unwrap();
                hoist::category::api::model_stack("fuzz", model, &output.models, &BTreeMap::new())
                    .unwrap()
                    .to_json();
            }
        }
    }
}

const SCALARS: [&str; 9] = [
    "ID",
    "String",
    "Int",
    "Float",
    "Boolean",
    "AWSDateTime",
    "AWSTimestamp",
    "Status",
    "AWSJSON",
];

/// A name a directive argument uses: mostly fields every generated model has.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just("id".to_string()),
        3 => Just("title".to_string()),
        3 => Just("parentId".to_string()),
        2 => Just("count".to_string()),
        1 => Just("owner".to_string()),
        1 => "[a-z][a-zA-Z]{0,6}",
    ]
}

fn model_name(n: usize) -> impl Strategy<Value = String> {
    (0..n).prop_map(|i| format!("M{i}"))
}

fn list_of(names: Vec<String>) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

/// One field of a model: a scalar with a key directive, or a relation with any arguments.
fn field(models: usize) -> impl Strategy<Value = String> {
    let scalar = (
        "[a-z]{1,6}",
        prop::sample::select(SCALARS.to_vec()),
        any::<bool>(),
        prop::option::weighted(
            0.3,
            prop_oneof![
                prop::collection::vec(name(), 0..3)
                    .prop_map(|s| format!("@primaryKey(sortKeyFields: {})", list_of(s))),
                (
                    name(),
                    prop::collection::vec(name(), 0..3),
                    prop::option::of(name())
                )
                    .prop_map(|(n, s, q)| {
                        let q = q
                            .map(|q| format!(", queryField: {q:?}"))
                            .unwrap_or_default();
                        format!("@index(name: {n:?}, sortKeyFields: {}{q})", list_of(s))
                    }),
                Just("@default(value: \"1\")".to_string()),
                Just("@function(name: \"f-${env}\")".to_string()),
                Just("@auth(rules: [{ allow: owner }])".to_string()),
            ],
        ),
    )
        .prop_map(|(n, t, req, d)| {
            format!(
                "{n}: {t}{} {}",
                if req { "!" } else { "" },
                d.unwrap_or_default()
            )
        });
    // Relations mostly shaped as they should be (so the generation after the
    // transform runs), sometimes with any arguments at all.
    let shaped = (
        "[a-z]{1,6}",
        model_name(models),
        prop::sample::select(vec![
            ("hasMany", true, ""),
            (
                "hasMany",
                true,
                "(indexName: \"byParent\", fields: [\"id\"])",
            ),
            ("hasMany", true, "(fields: [\"id\"])"),
            ("hasMany", true, "(references: [\"parentId\"])"),
            ("hasOne", false, ""),
            ("hasOne", false, "(fields: [\"parentId\"])"),
            ("hasOne", false, "(references: [\"parentId\"])"),
            ("belongsTo", false, ""),
            ("belongsTo", false, "(fields: [\"parentId\"])"),
            ("belongsTo", false, "(references: [\"parentId\"])"),
            ("manyToMany", true, "(relationName: \"R0\")"),
        ]),
    )
        .prop_map(|(n, target, (directive, list, args))| {
            let ty = if list { format!("[{target}]") } else { target };
            format!("{n}: {ty} @{directive}{args}")
        });
    let relation = (
        "[a-z]{1,6}",
        model_name(models),
        any::<bool>(),
        prop::sample::select(vec!["hasMany", "hasOne", "belongsTo", "manyToMany"]),
        prop::option::of(prop::collection::vec(name(), 0..3)),
        prop::option::of(name()),
        prop::option::of(prop::collection::vec(name(), 1..3)),
        0..3usize,
    )
        .prop_map(
            |(n, target, list, directive, fields, index, references, relation)| {
                let mut args = Vec::new();
                if directive == "manyToMany" {
                    args.push(format!("relationName: \"R{relation}\""));
                } else {
                    if let Some(f) = fields {
                        args.push(format!("fields: {}", list_of(f)));
                    }
                    if let Some(i) = index {
                        args.push(format!("indexName: {i:?}"));
                    }
                    if let Some(r) = references {
                        args.push(format!("references: {}", list_of(r)));
                    }
                }
                let args = if args.is_empty() {
                    String::new()
                } else {
                    format!("({})", args.join(", "))
                };
                let ty = if list { format!("[{target}]") } else { target };
                format!("{n}: {ty} @{directive}{args}")
            },
        );
    prop_oneof![6 => scalar, 4 => shaped, 1 => relation]
}

fn auth() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "{ allow: public }",
            "{ allow: public, provider: iam }",
            "{ allow: private }",
            "{ allow: owner }",
            "{ allow: owner, ownerField: \"editors\", operations: [read, update] }",
            "{ allow: groups, groups: [\"Admin\"] }",
            "{ allow: groups, groupsField: \"team\" }",
            "{ allow: custom }",
        ]),
        0..4,
    )
    .prop_map(|rules| {
        if rules.is_empty() {
            String::new()
        } else {
            format!(" @auth(rules: [{}])", rules.join(", "))
        }
    })
}

fn schema() -> impl Strategy<Value = String> {
    (1..6usize).prop_flat_map(|models| {
        prop::collection::vec(
            (
                prop::collection::vec(field(models), 0..7),
                auth(),
                any::<bool>(),
            ),
            models,
        )
        .prop_map(|bodies| {
            let mut out = String::from(
                "input AMPLIFY { globalAuthRule: AuthRule = { allow: public } }\nenum Status { OPEN DONE }\n",
            );
            for (i, (fields, auth, searchable)) in bodies.into_iter().enumerate() {
                let searchable = if searchable { " @searchable" } else { "" };
                // Every model has these; generated fields get names of their own.
                let mut all = vec![
                    "id: ID!".to_string(),
                    "title: String".to_string(),
                    "parentId: ID @index(name: \"byParent\", sortKeyFields: [\"title\"])".to_string(),
                    "count: Int".to_string(),
                ];
                all.extend(fields.into_iter().enumerate().map(|(j, f)| format!("g{j}{f}")));
                out.push_str(&format!(
                    "type M{i} @model{auth}{searchable} {{\n  {}\n}}\n",
                    all.join("\n  ")
                ));
            }
            out.push_str("type Query {\n  ping: String @function(name: \"ping\")\n}\n");
            out
        })
    })
}

fn corpus() -> Vec<String> {
    let mut out: Vec<String> = common::corpus("graphql")
        .map(|dir| {
            std::fs::read_dir(dir)
                .unwrap()
                .flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "graphql"))
                .map(|e| std::fs::read_to_string(e.path()).unwrap())
                .collect()
        })
        .unwrap_or_default();
    out.push(include_str!("fixtures/transform/relations.graphql").to_string());
    out.sort();
    out
}

/// Pieces of schema text a mutation inserts.
const TOKENS: [&str; 16] = [
    "@hasMany",
    "@belongsTo(fields: [\"x\"])",
    "@manyToMany(relationName: \"J\")",
    "@primaryKey(sortKeyFields: [\"a\", \"b\"])",
    "@index(name: \"i\")",
    "@auth(rules: [{ allow: owner }])",
    "@searchable",
    "@function(name: \"f\")",
    "{",
    "}",
    "[",
    "!",
    "\"",
    "type X @model { id: ID! }",
    "\u{e9}\u{1f600}",
    "(",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn generated_schemas_never_panic(source in schema()) {
        run(&source);
    }

    #[test]
    fn mutated_real_world_schemas_never_panic(
        pick in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0..40usize, prop::option::of(prop::sample::select(TOKENS.to_vec()))), 1..4),
    ) {
        let schemas = corpus();
        let mut source = schemas[pick.index(schemas.len())].clone();
        for (at, len, insert) in edits {
            let start = at.index(source.len().max(1));
            let start = (0..=start).rev().find(|i| source.is_char_boundary(*i)).unwrap_or(0);
            let end = (start + len).min(source.len());
            let end = (end..=source.len()).find(|i| source.is_char_boundary(*i)).unwrap_or(source.len());
            source.replace_range(start..end, insert.unwrap_or(""));
        }
        run(&source);
    }
}
