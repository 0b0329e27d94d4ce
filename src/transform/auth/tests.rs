//! Unit tests of the parent module.

use super::*;

fn modes(default: Provider, additional: &[Provider]) -> Modes {
    Modes {
        default,
        additional: additional.to_vec(),
        iam_principals: false,
    }
}

#[test]
fn directives_only_when_more_than_the_default() {
    let up = modes(Provider::UserPools, &[Provider::ApiKey]);
    assert!(service_directives(&[Provider::UserPools], &up, true).is_empty());
    assert_eq!(
        service_directives(&[Provider::UserPools, Provider::ApiKey], &up, false),
        ["aws_api_key", "aws_cognito_user_pools"]
    );
    // an operation only another provider may do: the default's directive is left out
    assert_eq!(
        service_directives(&[Provider::ApiKey], &up, false),
        ["aws_api_key"]
    );
    assert!(service_directives(&[], &up, true).is_empty());
}

#[test]
fn rules_become_grants() {
    let up = modes(Provider::UserPools, &[]);
    let rule = Rule {
        allow: "owner".into(),
        operations: Some(vec!["read".into(), "create".into()]),
        ..Rule::default()
    };
    let grants = grant(&rule, &up, |_| None).ok().unwrap();
    assert_eq!(grants.len(), 1);
    assert!(grants[0].ops.contains(Ops::LISTEN));
    assert!(!grants[0].ops.contains(Ops::UPDATE));
    let public = Rule {
        allow: "public".into(),
        ..Rule::default()
    };
    let err = grant(&public, &up, |_| None).err().unwrap();
    assert!(err.message.contains("apiKey"), "{}", err.message);
    assert!(err.help.contains("--additional-auth api-key"));
    let wrong = Rule {
        allow: "owner".into(),
        provider: Some("apiKey".into()),
        ..Rule::default()
    };
    assert!(grant(&wrong, &up, |_| None).is_err());
}

#[test]
fn iam_principals_reach_every_model_and_custom_operation_with_auth() {
    let schema = "type Todo @model @auth(rules: [{ allow: owner }]) { id: ID! name: String }\n\
                  type Note @model { id: ID! }\n\
                  type Query { ping: String @auth(rules: [{ allow: private }]) plain: String }\n";
    let mut with = modes(Provider::UserPools, &[Provider::Iam]);
    with.iam_principals = true;
    let out = crate::transform::transform_with(schema, "schema.graphql", &with).unwrap();
    assert!(out.sdl.contains("type Todo @aws_iam"), "{}", out.sdl);
    // a model without rules is closed to all but the principals
    assert!(out.sdl.contains("type Note @aws_iam"), "{}", out.sdl);
    let ping = out
        .custom_fields
        .iter()
        .find(|f| f.field == "ping")
        .unwrap();
    assert!(
        ping.grants
            .as_ref()
            .unwrap()
            .iter()
            .any(|g| g.role == Role::IamPrincipals && g.ops == Ops::ALL)
    );
    // a custom operation without `@auth` keeps the default mode
    let plain = out
        .custom_fields
        .iter()
        .find(|f| f.field == "plain")
        .unwrap();
    assert!(plain.grants.is_none());
    // off, or without the IAM mode: no principal anywhere
    let without = modes(Provider::UserPools, &[Provider::Iam]);
    let out = crate::transform::transform_with(schema, "schema.graphql", &without).unwrap();
    assert!(!out.sdl.contains("type Note @aws_iam"), "{}", out.sdl);
    let mut no_iam = modes(Provider::UserPools, &[]);
    no_iam.iam_principals = true;
    let out = crate::transform::transform_with(schema, "schema.graphql", &no_iam).unwrap();
    assert!(!out.sdl.contains("@aws_iam"), "{}", out.sdl);
    assert!(
        out.models
            .iter()
            .all(|m| m.auth.grants.iter().all(|g| g.role != Role::IamPrincipals))
    );
}

#[test]
fn iam_principals_break_no_schema_that_transformed_without_them() {
    let schema = "type Post @model @auth(rules: [{ allow: owner }]) {\n\
                    id: ID!\n  authorId: ID!\n  author: Author! @belongsTo(fields: [\"authorId\"])\n}\n\
                  type Author @model @auth(rules: [{ allow: owner }]) { id: ID! name: String }\n\
                  type Note @model { id: ID! meta: Meta }\n\
                  type Meta { a: String }\n";
    let without = modes(Provider::UserPools, &[Provider::Iam]);
    crate::transform::transform_with(schema, "schema.graphql", &without).unwrap();
    let mut with = without.clone();
    with.iam_principals = true;
    let out = crate::transform::transform_with(schema, "schema.graphql", &with).unwrap();
    // a type reached from a model only the functions may read keeps the
    // default mode, for the custom queries that return it
    assert!(
        out.sdl
            .contains("type Meta @aws_iam @aws_cognito_user_pools"),
        "{}",
        out.sdl
    );
}
