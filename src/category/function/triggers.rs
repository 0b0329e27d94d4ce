//! `--trigger`: what invokes a function besides its callers. For now:
//!
//! - `auth:<trigger>`: a Lambda trigger of the project's user pool
//!   (`pre-sign-up`, `post-confirmation`, `pre-token-generation`,
//!   `custom-message`, `pre-authentication`, `post-authentication`; the
//!   custom-challenge and migration triggers need sign-in flows the app
//!   client does not allow yet): the pool's
//!   `LambdaConfig` names the function, and a resource policy lets Cognito
//!   (this pool only) invoke it ("Customizing user pool workflows with
//!   Lambda triggers", Amazon Cognito Developer Guide);
//! - `table:<Model>`: the model's table stream, read by an event source
//!   mapping ("Using AWS Lambda with Amazon DynamoDB");
//! - `schedule:rate(...)` or `schedule:cron(...)`: an EventBridge rule that
//!   invokes it ("Schedule expressions for rules", Amazon EventBridge).

use serde_json::json;

use crate::category::Part;
use crate::cfn::{Template, get_att, r#ref};

/// One trigger of a function.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Trigger {
    /// The user pool trigger whose `LambdaConfig` key this is (`PreSignUp`).
    Auth(&'static str),
    /// An EventBridge schedule expression: `rate(5 minutes)`, `cron(0 12 * * ? *)`.
    Schedule(String),
    /// The changes of a model's table (its DynamoDB stream), by model name.
    Table(String),
}

/// The user pool's triggers: the flag's word and `LambdaConfig`'s key.
pub const AUTH_TRIGGERS: &[(&str, &str)] = &[
    ("pre-sign-up", "PreSignUp"),
    ("post-confirmation", "PostConfirmation"),
    ("pre-token-generation", "PreTokenGeneration"),
    ("custom-message", "CustomMessage"),
    ("pre-authentication", "PreAuthentication"),
    ("post-authentication", "PostAuthentication"),
];

pub const TRIGGER_RULE: &str = "write `auth:pre-sign-up` (or another user pool trigger: post-confirmation, pre-token-generation, custom-message, pre-authentication, post-authentication), `table:<Model>` (the changes of a model's table), `schedule:rate(5 minutes)` or `schedule:cron(0 12 * * ? *)`";

/// Parse one `--trigger` value.
///
/// Errors: the reason, in words.
pub fn parse(text: &str) -> Result<Trigger, String> {
    if let Some(word) = text.strip_prefix("auth:") {
        return AUTH_TRIGGERS
            .iter()
            .find(|(w, _)| *w == word)
            .map(|(_, key)| Trigger::Auth(key))
            .ok_or_else(|| format!("`{word}` is not a user pool trigger"));
    }
    if let Some(model) = text.strip_prefix("table:") {
        let ok = model.starts_with(|c: char| c.is_ascii_alphabetic())
            && model.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        return if ok {
            Ok(Trigger::Table(model.to_string()))
        } else {
            Err(format!("`{model}` is not a model's name"))
        };
    }
    if let Some(expression) = text.strip_prefix("schedule:") {
        return check_schedule(expression).map(|()| Trigger::Schedule(expression.to_string()));
    }
    Err(format!("`{text}` is not a trigger"))
}

/// A schedule expression EventBridge takes: `rate(N unit)` with a positive
/// N and minute(s)/hour(s)/day(s) (singular for 1), or `cron(...)` with six
/// fields, of which day-of-month or day-of-week is `?`.
fn check_schedule(expression: &str) -> Result<(), String> {
    if let Some(inner) = expression
        .strip_prefix("rate(")
        .and_then(|r| r.strip_suffix(')'))
    {
        let mut words = inner.split_whitespace();
        let (Some(n), Some(unit), None) = (words.next(), words.next(), words.next()) else {
            return Err(format!("`{expression}` is not `rate(N unit)`"));
        };
        let n: u32 = Some(n)
            .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
            .and_then(|n| n.parse().ok())
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("`{n}` in `{expression}` is not a positive whole number"))?;
        let singular = matches!(unit, "minute" | "hour" | "day");
        let plural = matches!(unit, "minutes" | "hours" | "days");
        return match (n == 1, singular, plural) {
            (true, true, _) | (false, _, true) => Ok(()),
            (true, false, true) => Err(format!(
                "`{expression}`: EventBridge wants the singular with 1 (`rate(1 {})`)",
                unit.trim_end_matches('s')
            )),
            (false, true, _) => Err(format!(
                "`{expression}`: EventBridge wants the plural past 1 (`rate({n} {unit}s)`)"
            )),
            _ => Err(format!(
                "`{unit}` is not a unit of `rate` (minutes, hours, days)"
            )),
        };
    }
    if let Some(inner) = expression
        .strip_prefix("cron(")
        .and_then(|r| r.strip_suffix(')'))
    {
        let fields: Vec<&str> = inner.split_whitespace().collect();
        if fields.len() != 6 {
            return Err(format!(
                "`{expression}` has {} fields: EventBridge's cron has six (minutes hours day-of-month month day-of-week year)",
                fields.len()
            ));
        }
        if (fields[2] == "?") == (fields[4] == "?") {
            return Err(format!(
                "`{expression}`: exactly one of day-of-month and day-of-week must be `?`"
            ));
        }
        return Ok(());
    }
    Err(format!(
        "`{expression}` is neither `rate(...)` nor `cron(...)`"
    ))
}

/// Wire the user pool triggers (`LambdaConfig` key, function name) into
/// the auth resource's part: a parameter per trigger that the root fills
/// with the function's ARN (an output of its stack), the pool's
/// `LambdaConfig`, and a permission for Cognito, from this pool only.
pub fn wire_auth(part: &mut Part, triggers: &[(&'static str, String)]) {
    if triggers.is_empty() {
        return;
    }
    let mut config = serde_json::Map::new();
    for (key, function) in triggers {
        let parameter = format!("{key}Function");
        part.template.string_parameter(
            &parameter,
            &format!("The ARN of the function `{function}`, the pool's {key} trigger"),
        );
        part.parameters.insert(
            parameter.clone(),
            get_att(
                &crate::category::logical_id(crate::category::Category::Function, function),
                "Outputs.Arn",
            ),
        );
        config.insert((*key).to_string(), r#ref(&parameter));
        part.template.resource(
            &format!("{key}Permission"),
            "AWS::Lambda::Permission",
            json!({
                "Action": "lambda:InvokeFunction",
                "FunctionName": r#ref(&parameter),
                "Principal": "cognito-idp.amazonaws.com",
                "SourceArn": get_att("UserPool", "Arn"),
            }),
        );
    }
    if let Some(pool) = part.template.resource_mut("UserPool") {
        pool["Properties"]["LambdaConfig"] = serde_json::Value::Object(config);
    }
}

/// The schedules of a function's stack: a rule per expression and the
/// permission for EventBridge, from that rule only.
pub fn add_schedules(t: &mut Template, schedules: &[&str]) {
    for (i, expression) in schedules.iter().enumerate() {
        let rule = format!("Schedule{i}");
        t.resource(
            &rule,
            "AWS::Events::Rule",
            json!({
                "Description": format!("Invokes the function on {expression}"),
                "ScheduleExpression": expression,
                "State": "ENABLED",
                "Targets": [{ "Arn": get_att("Function", "Arn"), "Id": "Function" }],
            }),
        );
        t.resource(
            &format!("{rule}Permission"),
            "AWS::Lambda::Permission",
            json!({
                "Action": "lambda:InvokeFunction",
                "FunctionName": r#ref("Function"),
                "Principal": "events.amazonaws.com",
                "SourceArn": get_att(&rule, "Arn"),
            }),
        );
    }
}

/// A table stream trigger in a function's stack: the stream's ARN comes as
/// a parameter (`<Api><Model>TableStreamArn`, from the api stack's outputs),
/// an event source mapping reads it from its latest record in batches of up
/// to 100, and the role may read that stream ("Execution role permissions",
/// Using AWS Lambda with Amazon DynamoDB; `dynamodb:ListStreams` takes no
/// resource, the other actions take the stream's ARN). Returns the role's
/// statements.
pub fn add_table_streams(t: &mut Template, streams: &[(String, String)]) -> Vec<serde_json::Value> {
    let mut statements = Vec::new();
    for (api, model) in streams {
        let stack = crate::category::logical_id(crate::category::Category::Api, api);
        let m = crate::naming::pascal(model);
        let parameter = format!("{stack}{m}TableStreamArn");
        t.string_parameter(
            &parameter,
            &format!("The stream of the model {model}'s table"),
        );
        t.resource(
            &format!("{m}Stream"),
            "AWS::Lambda::EventSourceMapping",
            json!({
                "EventSourceArn": r#ref(&parameter),
                "FunctionName": r#ref("Function"),
                "StartingPosition": "LATEST",
                "BatchSize": 100,
                "MaximumRetryAttempts": 10,
            }),
        );
        statements.push(json!({
            "Sid": format!("Read{m}Stream"),
            "Effect": "Allow",
            "Action": ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
            "Resource": r#ref(&parameter),
        }));
    }
    if !streams.is_empty() {
        statements.push(json!({
            "Sid": "ListStreams",
            "Effect": "Allow",
            "Action": "dynamodb:ListStreams",
            "Resource": "*",
        }));
    }
    statements
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triggers_are_the_pools_and_eventbridges_own_words() {
        assert_eq!(parse("auth:pre-sign-up"), Ok(Trigger::Auth("PreSignUp")));
        assert!(
            parse("auth:pre-signup")
                .unwrap_err()
                .contains("not a user pool trigger")
        );
        assert_eq!(
            parse("schedule:rate(5 minutes)"),
            Ok(Trigger::Schedule("rate(5 minutes)".into()))
        );
        assert!(
            parse("schedule:rate(1 minutes)")
                .unwrap_err()
                .contains("singular")
        );
        assert!(
            parse("schedule:rate(5 minute)")
                .unwrap_err()
                .contains("plural")
        );
        assert!(parse("schedule:rate(0 hours)").is_err());
        assert!(parse("schedule:cron(0 12 * * ? *)").is_ok());
        assert!(
            parse("schedule:cron(0 12 * * *)")
                .unwrap_err()
                .contains("six")
        );
        assert!(
            parse("schedule:cron(0 12 * * 1 *)")
                .unwrap_err()
                .contains("`?`")
        );
        assert!(
            parse("schedule:cron(0 12 ? * ? *)")
                .unwrap_err()
                .contains("exactly one")
        );
        assert!(parse("schedule:rate(+5 minutes)").is_err());
        assert!(parse("auth:user-migration").is_err());
        assert!(parse("s3:upload").unwrap_err().contains("not a trigger"));
    }
}
