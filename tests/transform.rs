//! The GraphQL transformer: exact client-facing SDL for Amplify-compatible
//! schemas, located errors, and no panic on real-world or mutated input.

mod common;

use std::collections::BTreeMap;

use hoist::transform::transform;

/// Each definition of an SDL document, printed, by name.
fn definitions(sdl: &str) -> BTreeMap<String, String> {
    common::sdl_definitions(sdl)
}

#[test]
fn the_simplest_schema_matches_amplify_exactly() {
    let source = "type Todo @model { id: ID! name: String! description: String }";
    let output = transform(source, "schema.graphql").unwrap();
    let expected = definitions(include_str!("fixtures/transform/todo.expected.graphql"));
    let actual = definitions(&output.sdl);
    let names = |m: &BTreeMap<String, String>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&actual), names(&expected));
    for (name, want) in &expected {
        assert_eq!(&actual[name], want, "definition `{name}` differs");
    }
}

#[test]
fn model_options_and_field_kinds() {
    let source = r#"
enum Status { OPEN DONE }
type Task @model(timestamps: { createdAt: "created" }, subscriptions: null) {
  title: String!
  status: Status
  tags: [String]
  priority: Int
  done: Boolean!
}
type Category @model(queries: { get: "category" }, mutations: null) { name: String }
"#;
    let output = transform(source, "schema.graphql").unwrap();
    let defs = definitions(&output.sdl);
    insta::assert_snapshot!(output.sdl);
    assert!(defs.contains_key("ModelStatusInput"));
    assert!(
        defs["Query"].contains("listCategories("),
        "{}",
        defs["Query"]
    );
    assert!(defs["Query"].contains("category(id: ID!): Category"));
    assert!(!defs["Mutation"].contains("Category"));
    assert!(
        !defs.contains_key("Subscription"),
        "Task has subscriptions: null and Category no mutations"
    );
    assert!(
        defs["Task"].contains("created: AWSDateTime!")
            && defs["Task"].contains("updatedAt: AWSDateTime!")
    );
    assert!(
        defs["Task"].contains("  done: Boolean!\n  id: ID!\n"),
        "an undeclared id follows the declared fields, where Amplify adds it: {}",
        defs["Task"]
    );
}

/// `@model(mutations:)` and `@model(subscriptions:)` are honoured operation
/// by operation, as Amplify's transformer honours them: a mutation set to
/// `null` is gone with its input and its subscription; a renamed one keeps
/// its subscriptions; several subscription names give several fields.
#[test]
fn model_operations_are_turned_off_and_renamed_one_by_one() {
    let source = r#"
type Log @model(mutations: { create: "writeLog", update: null, delete: null }, subscriptions: { onCreate: ["onLogWritten", "onLogAudit"] }) {
  line: String!
}
"#;
    let output = transform(source, "schema.graphql").unwrap();
    let defs = definitions(&output.sdl);
    assert!(defs["Mutation"].contains("writeLog(input: CreateLogInput!"));
    assert!(!defs["Mutation"].contains("updateLog") && !defs["Mutation"].contains("deleteLog"));
    assert!(!defs.contains_key("UpdateLogInput") && !defs.contains_key("DeleteLogInput"));
    let subscription = &defs["Subscription"];
    assert!(
        subscription.contains("onLogWritten(filter: ModelSubscriptionLogFilterInput): Log @aws_subscribe(mutations: [\"writeLog\"])")
            && subscription.contains("onLogAudit(filter: ModelSubscriptionLogFilterInput): Log @aws_subscribe(mutations: [\"writeLog\"])")
            && !subscription.contains("onUpdate")
            && !subscription.contains("onDelete"),
        "{subscription}"
    );
}

fn errors(source: &str) -> String {
    let err = transform(source, "schema.graphql").unwrap_err();
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::none()).with_width(100);
    let mut out = String::new();
    handler.render_report(&mut out, &err).unwrap();
    out
}

/// [`errors`] on one line: words only, without the excerpt's gutters, so that
/// a message the renderer wraps can be matched whole.
fn flat_errors(source: &str) -> String {
    errors(source)
        .split_whitespace()
        .filter(|w| *w != "|")
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn schema_errors_are_all_reported_with_their_place() {
    insta::assert_snapshot!("syntax", errors("type Todo @model { id: ID! name String }"));
    insta::assert_snapshot!(
        "validation",
        errors(
            "type Todo @model @cached { id: ID! owner: Person }\ntype Todo { id: ID }\ntype Note @model { body: String @upper }"
        )
    );
    for empty in ["", "\n  \n", "# the schema comes later\n"] {
        let said = errors(empty);
        assert!(said.contains("the schema defines no types"), "{said}");
        assert!(said.contains("an api needs at least one type"), "{said}");
        assert!(!said.contains("EOF"), "{said}");
    }
    insta::assert_snapshot!(
        "v1_and_reserved",
        errors(
            "type Post @model @key(fields: [\"id\"]) { id: ID! comments: [Comment] @connection(name: \"x\") }\ntype Comment @model @versioned { id: ID! }\ntype Query @model { id: ID! }"
        )
    );
}

#[test]
fn real_world_schemas_never_panic() {
    let Some(corpus) = common::corpus("graphql") else {
        return;
    };
    let entries = std::fs::read_dir(&corpus).unwrap();
    let mut seen = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "graphql") {
            let source = std::fs::read_to_string(&path).unwrap();
            // Ok, or a located diagnostic: never a panic.
            let _ = transform(&source, &path.display().to_string());
            // and every prefix of it (a file being typed)
            for cut in (0..source.len())
                .step_by(97)
                .filter(|c| source.is_char_boundary(*c))
            {
                let _ = transform(&source[..cut], "partial.graphql");
            }
            seen += 1;
        }
    }
    assert!(seen >= 10, "{seen} corpus schemas");
}

/// A schema in several files: read as one, each error shown in its own file.
#[test]
fn schemas_in_several_files_are_one_schema() {
    let files = vec![
        (
            "schema/a.graphql".to_string(),
            "input AMPLIFY { globalAuthRule: AuthRule = { allow: public } }\ntype Blog @model {\n  id: ID!\n  posts: [Post] @hasMany\n}\n".to_string(),
        ),
        (
            "schema/b.graphql".to_string(),
            "type Post @model {\n  id: ID!\n  blog: Blog @belongsTo\n}\n".to_string(),
        ),
    ];
    let output =
        hoist::transform::transform_files(&files, "schema", &hoist::transform::Modes::api_key())
            .unwrap();
    assert!(output.sdl.contains("blogPostsId: ID"));
    let mut broken = files.clone();
    broken[1].1 = "type Post @model {\n  id: ID!\n  blog: Blgo @belongsTo\n}\n".into();
    let errors =
        hoist::transform::transform_files(&broken, "schema", &hoist::transform::Modes::api_key())
            .unwrap_err();
    let text = format!("{:?}", miette::Report::new(errors));
    assert!(text.contains("[schema/b.graphql:3:9]"), "{text}");
}

/// Every real-world schema of the corpus transforms cleanly with every
/// authorization mode on, and the result is valid GraphQL.
#[test]
fn real_world_schemas_transform() {
    let Some(corpus) = common::corpus("graphql") else {
        return;
    };
    let modes = hoist::transform::Modes::all();
    let mut names: Vec<String> = std::fs::read_dir(&corpus)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".graphql"))
        .collect();
    names.sort();
    // Schemas in parts are one schema (Amplify's `schema/` folder).
    let mut schemas: Vec<(String, Vec<String>)> = Vec::new();
    for name in names {
        let stem = name.trim_end_matches(".graphql");
        let whole = stem.split("-part").next().unwrap().to_string();
        match schemas.iter_mut().find(|(w, _)| *w == whole) {
            Some((_, parts)) => parts.push(name.clone()),
            None => schemas.push((whole, vec![name.clone()])),
        }
    }
    assert!(schemas.len() >= 18, "{} corpus schemas", schemas.len());
    for (name, parts) in &schemas {
        let files: Vec<(String, String)> = parts
            .iter()
            .map(|p| (p.clone(), std::fs::read_to_string(corpus.join(p)).unwrap()))
            .collect();
        let output = hoist::transform::transform_files(&files, name, &modes)
            .unwrap_or_else(|e| panic!("{name}: {:?}", miette::Report::new(e)));
        apollo_compiler::Schema::parse_and_validate(
            format!("{}\n{}", APPSYNC_DEFINITIONS, output.sdl),
            "out.graphql",
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    // 26 models, each rule combination: directives as Amplify decides them
    let source =
        std::fs::read_to_string(corpus.join("multiauth-matrix-26-models.graphql")).unwrap();
    let sdl = hoist::transform::transform_with(&source, "m", &modes)
        .unwrap()
        .sdl;
    let defs = definitions(&sdl);
    assert!(defs["OwnerUPPost"].starts_with("type OwnerUPPost {"));
    assert!(defs["PublicAPIPost"].starts_with("type PublicAPIPost @aws_api_key {"));
    assert!(
        defs["OwnerPublicUPAPIPost"]
            .starts_with("type OwnerPublicUPAPIPost @aws_api_key @aws_cognito_user_pools {")
    );
    assert!(
        defs["ModelOwnerOIDCPostConnection"]
            .starts_with("type ModelOwnerOIDCPostConnection @aws_oidc {")
    );
    assert!(sdl.contains("onCreateOwnerUPPost(filter: ModelSubscriptionOwnerUPPostFilterInput, owner: String): OwnerUPPost @aws_subscribe(mutations: [\"createOwnerUPPost\"])\n"), "{sdl}");
}

/// AppSync's scalars and directives, which its schemas may use without declaring.
const APPSYNC_DEFINITIONS: &str = "scalar AWSDate\nscalar AWSTime\nscalar AWSDateTime\nscalar AWSTimestamp\nscalar AWSEmail\nscalar AWSJSON\nscalar AWSURL\nscalar AWSPhone\nscalar AWSIPAddress\ndirective @aws_subscribe(mutations: [String]) on FIELD_DEFINITION\ndirective @aws_api_key on OBJECT | FIELD_DEFINITION\ndirective @aws_iam on OBJECT | FIELD_DEFINITION\ndirective @aws_oidc on OBJECT | FIELD_DEFINITION\ndirective @aws_lambda on OBJECT | FIELD_DEFINITION\ndirective @aws_cognito_user_pools(cognito_groups: [String]) on OBJECT | FIELD_DEFINITION\n";

#[test]
fn primary_keys_and_indexes() {
    let source = r#"
type Reading @model {
  sensor: ID! @primaryKey(sortKeyFields: ["at"])
  at: AWSTimestamp!
  value: Float
}
type Order @model {
  id: ID!
  customerEmail: String! @index(name: "byCustomer", sortKeyFields: ["placedAt"], queryField: "ordersByCustomer")
  placedAt: AWSDateTime!
}
"#;
    let output = transform(source, "schema.graphql").unwrap();
    let defs = definitions(&output.sdl);
    let query = &defs["Query"];
    assert!(
        query.contains("getReading(sensor: ID!, at: AWSTimestamp!): Reading"),
        "{query}"
    );
    assert!(query.contains("listReadings(sensor: ID, at: ModelIntKeyConditionInput, filter: ModelReadingFilterInput, limit: Int, nextToken: String, sortDirection: ModelSortDirection): ModelReadingConnection"), "{query}");
    assert!(query.contains("ordersByCustomer(customerEmail: String!, placedAt: ModelStringKeyConditionInput, sortDirection: ModelSortDirection, filter: ModelOrderFilterInput, limit: Int, nextToken: String): ModelOrderConnection"), "{query}");
    assert!(
        !defs["Reading"].contains("id:"),
        "no id with a primary key: {}",
        defs["Reading"]
    );
    assert_eq!(
        defs["DeleteReadingInput"],
        "input DeleteReadingInput {\n  sensor: ID!\n  at: AWSTimestamp!\n}\n"
    );
    assert!(defs["UpdateReadingInput"].contains("at: AWSTimestamp!"));
    assert!(
        defs.contains_key("ModelStringKeyConditionInput")
            && defs.contains_key("ModelIntKeyConditionInput")
    );
    let reading = output.models.iter().find(|m| m.name == "Reading").unwrap();
    assert_eq!(reading.primary_key.partition, "sensor");
    let order = output.models.iter().find(|m| m.name == "Order").unwrap();
    assert_eq!(order.indexes[0].name, "byCustomer");
}

/// Issue 16: holder fields of the wrong type, and required fields a reader
/// of the model may not read, are refused at the field.
#[test]
fn authorization_field_errors_are_located() {
    let render = |schema: &str| {
        let err = hoist::transform::transform_with(
            schema,
            "schema.graphql",
            &hoist::transform::Modes::all(),
        )
        .unwrap_err();
        let handler = miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::none())
            .with_width(100);
        let mut out = String::new();
        handler.render_report(&mut out, &err).unwrap();
        out
    };
    insta::assert_snapshot!(
        "auth_holder_types",
        render(
            "type Item @model @auth(rules: [{ allow: owner, ownerField: \"n\" }, { allow: groups, groupsField: \"g\" }]) {\n  id: ID!\n  n: Int\n  g: [Int]\n}"
        )
    );
    insta::assert_snapshot!(
        "auth_rule_shapes",
        render(
            "type Note @model @auth(rules: [{ allow: groups, groups: [\"A\"], identityClaim: \"sub\" }, { allow: owner, groupClaim: \"g\" }, { allow: groups, groups: [\"A\"], groupsField: \"teams\" }, { allow: owner, operations: [read, list] }]) {\n  id: ID!\n  teams: [String]\n  body: String @auth(rules: [{ allow: owner, operations: [get] }])\n  other: String @auth(rules: [])\n}\ntype Query {\n  ping: String @auth(rules: [{ allow: private, operations: [read] }])\n}"
        )
    );
    insta::assert_snapshot!(
        "auth_required_relation",
        render(
            "type Post @model @auth(rules: [{ allow: private, operations: [read] }, { allow: owner }]) {\n  id: ID!\n  note: Note! @hasOne\n}\ntype Note @model @auth(rules: [{ allow: owner }]) {\n  id: ID!\n  body: String\n}"
        )
    );
    insta::assert_snapshot!(
        "auth_required_fields",
        render(
            "type Buyer @model @auth(rules: [{ allow: owner, ownerField: \"buyer\" }, { allow: private, operations: [read] }]) {\n  id: ID! @auth(rules: [{ allow: owner, operations: [read, update, delete] }])\n  buyer: String\n  note: String! @auth(rules: [{ allow: private, operations: [read] }, { allow: owner, ownerField: \"buyer\" }])\n}"
        )
    );
    // the same field made optional, or readable by every reader, is accepted;
    // so are owners of `ID` and `[String]` and groups of `String`
    for fine in [
        "type Buyer @model @auth(rules: [{ allow: owner, ownerField: \"buyer\" }]) {\n  id: ID!\n  buyer: ID\n  note: String! @auth(rules: [{ allow: owner, ownerField: \"buyer\" }])\n  ssn: String @auth(rules: [{ allow: owner, operations: [read] }])\n}",
        "type Doc @model @auth(rules: [{ allow: owner, ownerField: \"editors\" }, { allow: groups, groupsField: \"team\" }]) {\n  id: ID!\n  editors: [String]\n  team: String\n}",
        "type Post @model @auth(rules: [{ allow: private, operations: [read] }, { allow: owner }]) {\n  id: ID!\n  note: Note! @hasOne\n  maybe: Note @hasOne\n}\ntype Note @model @auth(rules: [{ allow: owner }, { allow: private, operations: [read] }]) {\n  id: ID!\n  body: String\n}",
        "type Board @model @auth(rules: [{ allow: owner }]) {\n  id: ID!\n  cards: [Card] @hasMany\n}\ntype Card @model @auth(rules: [{ allow: owner }]) {\n  id: ID!\n  board: Board! @belongsTo\n}",
        "type Oidc @model @auth(rules: [{ allow: private, provider: oidc, identityClaim: \"sub\" }]) {\n  id: ID!\n}",
        "type Off @model(subscriptions: { level: off }) @auth(rules: [{ allow: owner }, { allow: private, operations: [read] }]) {\n  id: ID!\n  secret: String! @auth(rules: [{ allow: owner }])\n}",
        "type Quiet @model(subscriptions: null) @auth(rules: [{ allow: owner }, { allow: private, operations: [read] }]) {\n  id: ID!\n  secret: String! @auth(rules: [{ allow: owner }])\n}",
    ] {
        hoist::transform::transform_with(fine, "schema.graphql", &hoist::transform::Modes::all())
            .unwrap_or_else(|e| panic!("{fine}: {e:?}"));
    }
}

#[test]
fn key_errors_are_located() {
    insta::assert_snapshot!(
        "keys",
        errors(
            "type Post @model {\n  id: ID! @primaryKey(sortKeyFields: [\"createdOn\"])\n  slug: String! @primaryKey @index(sortKeyFields: [\"a\", \"b\"])\n  a: String\n  b: String\n}"
        )
    );
}

#[test]
fn key_fields_are_scalars_and_a_primary_key_is_never_null() {
    insta::assert_snapshot!(
        "key_fields",
        errors(
            "type Tag @model {\n  tags: [String]! @primaryKey(sortKeyFields: [\"at\"])\n  at: AWSDateTime\n}\ntype Note @model {\n  id: ID @primaryKey\n  labels: [String] @index(name: \"byLabels\")\n  when: String @index(name: \"byWhen\")\n}"
        )
    );
}

#[test]
fn has_many_and_belongs_to_match_amplify() {
    // Expected: Amplify's transform of the same schema, as published with an app.
    let output = transform(
        include_str!("fixtures/transform/relations.graphql"),
        "schema.graphql",
    )
    .unwrap();
    let expected = definitions(include_str!(
        "fixtures/transform/relations.expected.graphql"
    ));
    let actual = definitions(&output.sdl);
    for (name, want) in &expected {
        assert_eq!(actual.get(name), Some(want), "definition `{name}` differs");
    }
    let post = output.models.iter().find(|m| m.name == "Post").unwrap();
    let names: Vec<&str> = post.foreign_keys.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ["topicPostsId"]);
    assert!(
        post.indexes
            .iter()
            .any(|i| i.name == "gsi-Topic.posts" && i.key.partition == "topicPostsId")
    );
}

#[test]
fn relation_errors_are_located() {
    insta::assert_snapshot!(
        "relations",
        errors(
            "type Blog @model {\n  id: ID!\n  posts: [Post] @hasMany(indexName: \"byBlog\")\n  owner: Person @belongsTo\n  tags: Tag @hasMany\n}\ntype Person { id: ID! }\ntype Post @model { id: ID! }\ntype Tag @model { id: ID! blog: Blog @belongsTo }"
        )
    );
}

/// `@belongsTo` and `@hasOne` read one item by its whole key: naming fewer
/// fields than the related key has would find any of several items.
#[test]
fn a_belongs_to_names_the_whole_key() {
    let said = errors(
        "type Room @model {\n  name: String! @primaryKey(sortKeyFields: [\"floor\"])\n  floor: Int!\n  seats: [Seat] @hasMany(fields: [\"name\"])\n}\ntype Seat @model {\n  id: ID!\n  roomName: String!\n  room: Room @belongsTo(fields: [\"roomName\"])\n}",
    );
    assert!(
        said.contains(
            "`@belongsTo` on `Seat.room` names 1 of the 2 fields of `Room`'s key (name, floor)"
        ),
        "{said}"
    );
    assert!(said.contains("schema.graphql:9:"), "{said}");
    // the whole key is fine, and a `@hasMany` may query by part of it
    hoist::transform::transform_with(
        "type Room @model {\n  name: String! @primaryKey(sortKeyFields: [\"floor\"])\n  floor: Int!\n  seats: [Seat] @hasMany(fields: [\"name\"])\n}\ntype Seat @model {\n  id: ID!\n  roomName: String!\n  roomFloor: Int!\n  room: Room @belongsTo(fields: [\"roomName\", \"roomFloor\"])\n}",
        "schema.graphql",
        &hoist::transform::Modes::all(),
    )
    .unwrap();
}

#[test]
fn has_one_keeps_its_foreign_key_on_both_sides() {
    let schema = "type Project @model {\n  id: ID!\n  name: String\n  team: Team @hasOne\n}\ntype Team @model {\n  id: ID!\n  name: String!\n  project: Project @belongsTo\n}\n";
    let output = hoist::transform::transform(schema, "has-one.graphql").unwrap();
    let defs = definitions(&output.sdl);
    assert_eq!(
        defs["Project"],
        "type Project {\n  id: ID!\n  name: String\n  team: Team\n  createdAt: AWSDateTime!\n  updatedAt: AWSDateTime!\n  projectTeamId: ID\n}\n"
    );
    assert!(
        defs["CreateTeamInput"].contains("teamProjectId: ID"),
        "{}",
        defs["CreateTeamInput"]
    );
    assert!(defs["ModelProjectFilterInput"].ends_with("projectTeamId: ModelIDInput\n}\n"));
    let project = output.models.iter().find(|m| m.name == "Project").unwrap();
    assert_eq!(
        project.relations[0].kind,
        hoist::transform::RelationKind::HasOne
    );
    assert_eq!(project.relations[0].source_fields, ["projectTeamId"]);

    let errors =
        errors("type A @model {\n  id: ID!\n  b: [B] @hasOne\n}\ntype B {\n  id: ID!\n}\n");
    assert!(
        errors.contains("points at `B`, which is not a model"),
        "{errors}"
    );
}

#[test]
fn defaults_keep_create_inputs_as_amplify_does_and_bad_ones_are_located() {
    // Amplify 2.5.1 (the oracle, tests/transformer_oracle.rs) keeps a
    // non-null field with `@default` required in the create input
    let schema = "enum Status { OPEN DONE }\ntype Todo @model {\n  id: ID!\n  count: Int! @default(value: \"3\")\n  status: Status @default(value: \"OPEN\")\n}\n";
    let output = hoist::transform::transform(schema, "d.graphql").unwrap();
    let defs = definitions(&output.sdl);
    assert!(
        defs["CreateTodoInput"].contains("  count: Int!\n"),
        "{}",
        defs["CreateTodoInput"]
    );
    assert!(defs["Todo"].contains("  count: Int!\n"));
    let todo = &output.models[0];
    assert_eq!(todo.fields[1].default, Some(serde_json::json!(3)));
    let errors = errors(
        "enum Status { OPEN DONE }\ntype Todo @model {\n  count: Int @default(value: \"many\")\n  status: Status @default(value: \"LATER\")\n}\n",
    );
    assert!(
        errors.contains("`@default` on `count`: `many` is not an Int"),
        "{errors}"
    );
    assert!(
        errors.contains("`LATER` is not a value of `Status`"),
        "{errors}"
    );
    assert!(errors.contains("schema.graphql:3:"), "{errors}");
}

#[test]
fn a_global_rule_needs_its_mode_and_relation_arguments_are_checked() {
    let text = errors(
        "input AMPLIFY { globalAuthRule: AuthRule = { allow: private } }\ntype Todo @model { id: ID! }\n",
    );
    assert!(text.contains("the global auth rule"), "{text}");
    assert!(text.contains("schema.graphql:1:"), "{text}");

    let text = errors(
        "input AMPLIFY { globalAuthRule: AuthRule = { allow: public } }\ntype Blog @model {\n  id: ID!\n  posts: [Post] @hasMany(indexName: \"byBlog\", fields: [\"nope\"])\n}\ntype Post @model {\n  id: ID!\n  blogId: ID! @index(name: \"byBlog\")\n  blog: Blog @belongsTo(references: [\"blogId\", \"x\"])\n}\ntype Tag @model {\n  id: ID!\n  posts: [Post] @manyToMany(relationName: \"PostTags\")\n}\n",
    );
    assert!(
        text.contains("names `nope`, which is not a field of `Blog`"),
        "{text}"
    );
    assert!(
        text.contains("has 2 references, but the primary key of `Blog` has 1 field:"),
        "{text}"
    );
    assert!(text.contains("is used 1 time;"), "{text}");
}

/// One fixture per directive family (`tests/transform/<directive>/schema.graphql`),
/// as Amplify's transformer packages test each directive: the client schema and
/// every resolver the schema gets, snapshotted. None of it needs the corpus.
#[test]
fn each_directive_fixture_is_snapshotted() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transform");
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("schema.graphql").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 11, "{names:?}");
    for name in names {
        let path = format!("tests/transform/{name}/schema.graphql");
        let source = std::fs::read_to_string(root.join(&name).join("schema.graphql")).unwrap();
        let output =
            hoist::transform::transform_with(&source, &path, &hoist::transform::Modes::all())
                .unwrap_or_else(|e| panic!("{path}: {:?}", miette::Report::new(e)));
        let mut text = output.sdl.clone();
        for model in &output.models {
            let mut resolvers = hoist::category::api::all_resolvers(model, &output.models).unwrap();
            resolvers.extend(hoist::category::api::search_resolver(model).unwrap());
            for r in resolvers {
                text.push_str(&format!("\n# ---- resolvers/{}\n{}", r.file, r.code));
            }
        }
        for field in &output.custom_fields {
            let code = hoist::category::api::custom_pipeline_code(field.grants.as_deref()).unwrap();
            text.push_str(&format!(
                "\n# ---- resolvers/{}.{}.auth.js\n{code}",
                field.type_name, field.field
            ));
        }
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_suffix(&name);
        settings.bind(|| insta::assert_snapshot!("directive", text));
    }
}

/// An `@index` without `queryField` gets the query Gen 1's
/// `enableAutoIndexQueryNames` names (`""` counts as absent),
/// `queryField: null` none; a name two queries would share is refused at
/// the index, with how to fix it.
#[test]
fn index_queries_are_named_as_amplify_names_them_and_clashes_are_refused() {
    let schema = "type Order @model {\n  id: ID!\n  customerId: ID! @index(name: \"byCustomer\", sortKeyFields: [\"placedAt\"]) @index(name: \"byCustomerOnly\", queryField: null)\n  placedAt: AWSDateTime!\n  status: String @index(name: \"byStatus\", queryField: \"\")\n}\n";
    let output = transform(schema, "schema.graphql").unwrap();
    let defs = definitions(&output.sdl);
    let query = &defs["Query"];
    assert!(
        query.contains(
            "ordersByCustomerIdAndPlacedAt(customerId: ID!, placedAt: ModelStringKeyConditionInput"
        ),
        "{query}"
    );
    assert!(query.contains("ordersByStatus(status: String!"), "{query}");
    assert_eq!(query.matches("ordersByCustomer").count(), 1, "{query}");

    // the report, its line wraps and gutters taken out
    let clash = flat_errors(
        "type Order @model {\n  id: ID!\n  customerId: ID! @index(name: \"byCustomer\") @index(name: \"byCustomerAgain\")\n}\n",
    );
    assert!(
        clash.contains("the index `byCustomerAgain` of `Order` would add the query `ordersByCustomerId`, which is already the query of `Order`'s index `byCustomer`"),
        "{clash}"
    );
    assert!(clash.contains("queryField: null"), "{clash}");
    assert!(clash.contains("schema.graphql:3:"), "{clash}");
    let clash = flat_errors(
        "type Order @model {\n  id: ID!\n  note: String @index(name: \"byNote\", queryField: \"listOrders\")\n}\n",
    );
    assert!(
        clash.contains("which is already `Order`'s list query"),
        "{clash}"
    );
}

/// The root fields models add are GraphQL names, and each one of its root
/// type's alone (a declared field, another model's): refused at the `@model`
/// that names them, with the argument that renames them.
#[test]
fn model_root_field_names_are_checked_and_clashes_refused() {
    let out =
        flat_errors("type Todo @model(mutations: { create: \"add-todo\" }) {\n  id: ID!\n}\n");
    assert!(
        out.contains(
            "the model `Todo` would add `Mutation.add-todo`, and `add-todo` is not a GraphQL name"
        ) && out.contains("schema.graphql:1:11"),
        "{out}"
    );
    // two models name the same mutation
    let out = flat_errors(
        "type Todo @model(mutations: { create: \"add\" }) {\n  id: ID!\n}\n\ntype Note @model(mutations: { create: \"add\" }) {\n  id: ID!\n}\n",
    );
    assert!(
        out.contains("the model `Note` would add `Mutation.add`, which is already a root field of the model `Todo`")
            && out.contains("schema.graphql:5:11"),
        "{out}"
    );
    // a declared field of the root type; a subscription named twice
    let out = flat_errors(
        "type Mutation {\n  createTodo(name: String): String\n}\n\ntype Todo @model(subscriptions: { onCreate: [\"changed\"], onUpdate: [\"changed\"] }) {\n  id: ID!\n}\n",
    );
    assert!(
        out.contains("would add `Mutation.createTodo`, which is already a field the schema declares on `Mutation`"),
        "{out}"
    );
    // Amplify merges one subscription named for several mutations into one
    // field; hoist does not yet, and says so
    assert!(
        out.contains(
            "the model `Todo` names the subscription `changed` for more than one mutation"
        ) && out.contains("which hoist does not do yet"),
        "{out}"
    );
    // a join model `@manyToMany` makes: no excerpt of text not in the file, and
    // the fix is its relationName
    let out = flat_errors(
        "type Query {\n  listPostTags: String\n}\n\ntype Post @model {\n  id: ID!\n  tags: [Tag] @manyToMany(relationName: \"PostTags\")\n}\n\ntype Tag @model {\n  id: ID!\n  posts: [Post] @manyToMany(relationName: \"PostTags\")\n}\n",
    );
    assert!(
        out.contains("the model `PostTags` would add `Query.listPostTags`")
            && out.contains("choose another `relationName`"),
        "{out}"
    );
    // the same names on their own root types do not clash
    hoist::transform::transform(
        "type Todo @model(queries: { get: \"todo\" }, mutations: { create: \"todo\" }) {\n  id: ID!\n}\n",
        "schema.graphql",
    )
    .unwrap();
}

/// Names that would pass the 255 characters of a file name or a
/// CloudFormation logical id are refused at the type or field they come
/// from, never met later as an I/O error.
#[test]
fn names_too_long_for_files_and_logical_ids_are_refused_at_their_type() {
    let long = format!("A{}", "b".repeat(230));
    let out = errors(&format!("type {long} @model {{\n  name: String\n}}\n"));
    assert!(
        out.contains("gives names too long") && out.contains("schema.graphql:1:1"),
        "{out}"
    );
    // a relation field: at the field
    let field = "c".repeat(250);
    let out = errors(&format!(
        "type Post @model {{\n  id: ID!\n  {field}: [Note] @hasMany\n}}\ntype Note @model {{\n  id: ID!\n}}\n"
    ));
    assert!(
        out.contains("the relation field `Post.") && out.contains("schema.graphql:3:3"),
        "{out}"
    );
    // the longest accepted model name still synthesizes
    assert!(
        transform(
            &format!("type A{} @model {{ name: String }}", "b".repeat(150)),
            "schema.graphql"
        )
        .is_ok()
    );
}

/// Non-model types are written through `<Type>Input`s that always exist:
/// an input the user declared under that name is used as it is, and a field
/// of a non-model type that no input can carry (a model) is left out of its
/// input; the client schema stays valid.
#[test]
fn non_model_inputs_never_clash_or_dangle() {
    let source = r#"
type Person @model { name: String }
type Address { street: String! geo: Geo owner: Person }
type Geo { lat: Float }
input AddressInput { street: String! }
type Shop @model { address: Address places: [Geo] }
"#;
    let output = transform(source, "schema.graphql").unwrap();
    let defs = definitions(&output.sdl);
    assert_eq!(
        defs["AddressInput"], "input AddressInput {\n  street: String!\n}\n",
        "the user's own input, once"
    );
    assert!(defs["GeoInput"].contains("lat: Float"));
    assert!(defs["CreateShopInput"].contains("address: AddressInput"));
    assert!(defs["CreateShopInput"].contains("places: [GeoInput]"));
    hoist::codegen::parse_schema("shop", &output.sdl).expect("a valid client schema");
    // a non-model type with a model field, and no input of the user's
    let output = transform(
        "type Person @model { name: String }\ntype Card { title: String who: Person }\ntype Deck @model { top: Card }\n",
        "schema.graphql",
    )
    .unwrap();
    let defs = definitions(&output.sdl);
    assert_eq!(defs["CardInput"], "input CardInput {\n  title: String\n}\n");
    hoist::codegen::parse_schema("deck", &output.sdl).expect("a valid client schema");
}
