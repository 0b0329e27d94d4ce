//! AppSync's scalars (`AWSDate`, `AWSTime`, `AWSDateTime`, ...), checked on
//! input as AppSync checks them (AWS AppSync Developer Guide, "Scalar types").

use async_graphql::dynamic::Scalar;
use serde_json::Value;

/// AppSync's scalars, checked on input as AppSync checks them.
pub(super) fn appsync_scalar(name: &str) -> Scalar {
    Scalar::new(name).validator(scalar_check(name))
}

pub(super) fn scalar_check(name: &str) -> fn(&async_graphql::Value) -> bool {
    match name {
        "AWSDate" => |v| str_of(v).is_some_and(aws_date),
        "AWSTime" => |v| str_of(v).is_some_and(aws_time),
        "AWSDateTime" => {
            |v| str_of(v).is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok())
        }
        "AWSTimestamp" => |v| matches!(v, async_graphql::Value::Number(n) if n.is_i64()),
        "AWSEmail" => |v| {
            str_of(v).is_some_and(|s| {
                let mut parts = s.splitn(2, '@');
                let (user, domain) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                !user.is_empty() && domain.contains('.') && !s.contains(char::is_whitespace)
            })
        },
        "AWSJSON" => |v| match v {
            async_graphql::Value::String(s) => serde_json::from_str::<Value>(s).is_ok(),
            _ => true,
        },
        "AWSURL" => |v| {
            str_of(v).is_some_and(|s| {
                s.split_once("://")
                    .is_some_and(|(scheme, rest)| !scheme.is_empty() && !rest.is_empty())
            })
        },
        "AWSPhone" => |v| {
            str_of(v).is_some_and(|s| {
                s.chars().any(|c| c.is_ascii_digit())
                    && s.chars()
                        .all(|c| c.is_ascii_digit() || " +-().".contains(c))
            })
        },
        "AWSIPAddress" => |v| {
            str_of(v).is_some_and(|s| {
                let ip = s.split('/').next().unwrap_or("");
                ip.parse::<std::net::IpAddr>().is_ok()
            })
        },
        _ => |_| true,
    }
}

fn str_of(v: &async_graphql::Value) -> Option<&str> {
    match v {
        async_graphql::Value::String(s) => Some(s),
        _ => None,
    }
}

fn aws_date(s: &str) -> bool {
    let date = s.trim_end_matches('Z');
    let date = date.split(['+']).next().unwrap_or(date);
    date.len() == 10
        && date
            .get(..10)
            .is_some_and(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok())
}

fn aws_time(s: &str) -> bool {
    let t = s.trim_end_matches('Z');
    let t = t.split(['+', '-']).next().unwrap_or(t);
    ["%H:%M", "%H:%M:%S", "%H:%M:%S%.f"]
        .iter()
        .any(|f| chrono::NaiveTime::parse_from_str(t, f).is_ok())
}
