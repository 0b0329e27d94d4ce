//! Unit tests of the parent module.

use super::*;

fn modes(default: Provider, additional: &[Provider]) -> Modes {
    Modes {
        default,
        additional: additional.to_vec(),
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
