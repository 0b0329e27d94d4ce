//! Unit tests of the parent module.

use super::*;

#[test]
fn subscription_filters_match_as_the_model_filter_and_filter_groups_say() {
    let item = json!({"id": "1", "name": "milk", "owner": "ada", "n": 3, "tags": ["a"]});
    assert!(filter_matches(&json!({"name": {"eq": "milk"}}), &item));
    assert!(!filter_matches(&json!({"name": {"eq": "bread"}}), &item));
    assert!(filter_matches(
        &json!({"and": [{"n": {"between": [1, 5]}}, {"name": {"beginsWith": "mi"}}]}),
        &item
    ));
    assert!(filter_matches(
        &json!({"or": [{"owner": {"eq": "bob"}}, {"tags": {"contains": "a"}}]}),
        &item
    ));
    assert!(!filter_matches(
        &json!({"not": {"owner": {"eq": "ada"}}}),
        &item
    ));
    let groups = json!({"filterGroup": [
        {"filters": [{"fieldName": "owner", "operator": "eq", "value": "bob"}]},
        {"filters": [{"fieldName": "n", "operator": "gt", "value": 2}, {"fieldName": "name", "operator": "in", "value": ["milk", "tea"]}]}
    ]});
    assert!(filter_matches(&groups, &item));
    assert!(!filter_matches(&groups, &json!({"owner": "eve", "n": 1})));
}

#[test]
fn appsync_scalars_are_checked_on_input() {
    use async_graphql::Value as V;
    let ok = |scalar: &str, v: V| scalar_check(scalar)(&v);
    assert!(ok(
        "AWSDateTime",
        V::String("2026-11-30T12:00:00.000Z".into())
    ));
    assert!(!ok("AWSDateTime", V::String("yesterday".into())));
    assert!(ok("AWSDate", V::String("2026-11-30".into())));
    assert!(!ok("AWSDate", V::String("2026-13-30".into())));
    assert!(ok("AWSTime", V::String("12:30:00.250Z".into())));
    assert!(ok("AWSEmail", V::String("ada@example.com".into())));
    assert!(!ok("AWSEmail", V::String("ada".into())));
    assert!(ok("AWSJSON", V::String("{\"a\":1}".into())));
    assert!(!ok("AWSJSON", V::String("{a".into())));
    assert!(ok("AWSIPAddress", V::String("10.0.0.0/8".into())));
    assert!(!ok("AWSURL", V::String("example.com".into())));
    assert!(ok("AWSTimestamp", V::Number(1_700_000_000.into())));
    // a multi-byte character where the date's digits end: refused, no panic
    assert!(!ok("AWSDate", V::String("2026-11-0é".into())));
    assert!(!ok("AWSDate", V::String("é".into())));
}

#[test]
fn a_failed_field_is_null_in_data_at_its_path() {
    let mut data = json!({"a": {"items": [{"x": 1}, {"x": 2}]}});
    null_at(
        &mut data,
        &[json!("a"), json!("items"), json!(1), json!("secret")],
    );
    null_at(&mut data, &[json!("top")]);
    null_at(&mut data, &[json!("missing"), json!("deeper")]);
    assert_eq!(
        data,
        json!({"a": {"items": [{"x": 1}, {"x": 2, "secret": null}]}, "top": null})
    );
}
