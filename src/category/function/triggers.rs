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
//!   invokes it ("Schedule expressions for rules", Amazon EventBridge);
//! - `storage[:<name>]:created|deleted[:<key pattern>]`: the storage
//!   bucket's object events. The bucket sends its events to EventBridge
//!   (`EventBridgeConfiguration`, "Using EventBridge", Amazon S3 User
//!   Guide), and a rule in the function's stack matches this bucket, the
//!   event (`Object Created`, `Object Deleted`) and the key (a `wildcard`
//!   pattern: `uploads/*`, `*.jpg`), and invokes it. A direct S3
//!   notification would need the permission before the bucket and the
//!   bucket's ARN in the permission: with the bucket named by
//!   CloudFormation, only a rule gives Lambda's permission an exact source.
//!   The event is EventBridge's (`detail.bucket.name`, `detail.object.key`,
//!   the key not URL-encoded), not S3's `Records`.

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
    /// Object events of a storage bucket.
    Storage(StorageTrigger),
}

/// `storage[:<name>]:created|deleted[:<key pattern>]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct StorageTrigger {
    /// The storage resource, when named (the project's only one otherwise).
    pub name: Option<String>,
    /// `Object Deleted` events rather than `Object Created`.
    pub deleted: bool,
    /// The keys that fire it, `*` matching any characters (all keys when absent).
    pub pattern: Option<String>,
}

impl StorageTrigger {
    /// EventBridge's `detail-type` of the events.
    pub fn detail_type(&self) -> &'static str {
        if self.deleted {
            "Object Deleted"
        } else {
            "Object Created"
        }
    }

    /// Whether `key` fires it: the pattern's `*` matches any run of
    /// characters, everything else itself (EventBridge's `wildcard` filter).
    pub fn matches(&self, key: &str) -> bool {
        match &self.pattern {
            None => true,
            Some(pattern) => wildcard_match(pattern, key),
        }
    }
}

/// `*` matches any run of characters (none included); the rest matches
/// itself. Linear in the key for each `*`-free piece, no backtracking blow-up:
/// each piece is found leftmost, which is enough for `*` alone.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let pieces: Vec<&str> = pattern.split('*').collect();
    if pieces.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for piece in &pieces[1..pieces.len() - 1] {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    true
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

pub const TRIGGER_RULE: &str = "write `auth:pre-sign-up` (or another user pool trigger: post-confirmation, pre-token-generation, custom-message, pre-authentication, post-authentication), `table:<Model>` (the changes of a model's table), `storage:created` or `storage:deleted` (the bucket's files, optionally of some keys: `storage:created:uploads/*.jpg`; `storage:NAME:created` with several buckets), `schedule:rate(5 minutes)` or `schedule:cron(0 12 * * ? *)`";

/// `text` cut to at most `chars` characters, with `…` when cut.
fn shortened(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

/// The longest key pattern: S3's longest key (1,024 bytes).
const MAX_PATTERN_BYTES: usize = 1024;

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
    if let Some(rest) = text.strip_prefix("storage:") {
        return parse_storage(rest).map(Trigger::Storage);
    }
    Err(format!("`{text}` is not a trigger"))
}

/// `[<name>:]created|deleted[:<key pattern>]`; the pattern is the rest (a
/// key may hold `:`).
fn parse_storage(rest: &str) -> Result<StorageTrigger, String> {
    let event = |word: &str| match word {
        "created" => Some(false),
        "deleted" => Some(true),
        _ => None,
    };
    let (first, after) = match rest.split_once(':') {
        Some((a, b)) => (a, Some(b)),
        None => (rest, None),
    };
    let (name, deleted, pattern) = match event(first) {
        Some(deleted) => (None, deleted, after),
        None => {
            let (word, pattern) = match after.map(|a| a.split_once(':')) {
                Some(Some((w, p))) => (w, Some(p)),
                Some(None) => (after.unwrap_or_default(), None),
                None => ("", None),
            };
            let deleted = event(word).ok_or_else(|| {
                format!(
                    "a storage trigger fires on `created` or `deleted` files, not `{}`",
                    if word.is_empty() { first } else { word }
                )
            })?;
            (Some(first.to_string()), deleted, pattern)
        }
    };
    if let Some(pattern) = pattern {
        if pattern.is_empty() {
            return Err(
                "the key pattern after the last `:` is empty (leave it out for every key)".into(),
            );
        }
        if pattern.len() > MAX_PATTERN_BYTES {
            return Err(format!(
                "the key pattern is longer than S3's longest key ({MAX_PATTERN_BYTES} bytes)"
            ));
        }
        if pattern.chars().any(char::is_control) {
            return Err("the key pattern holds a control character".into());
        }
        if pattern.contains('\\') {
            return Err("the key pattern holds `\\`: EventBridge reads it as an escape; match the key with `*` instead".into());
        }
        if pattern.contains("**") {
            return Err("the key pattern holds `**`: one `*` already matches any run of characters, `/` included".into());
        }
    }
    Ok(StorageTrigger {
        name,
        deleted,
        pattern: pattern.map(str::to_string),
    })
}

/// A schedule expression EventBridge takes: `rate(N unit)` with a positive
/// N and minute(s)/hour(s)/day(s) (singular for 1), or `cron(...)` with six
/// fields, of which day-of-month or day-of-week is `?`.
pub(crate) fn check_schedule(expression: &str) -> Result<(), String> {
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

/// The storage triggers of a function's stack: per trigger, an EventBridge
/// rule matching its bucket (whose name comes as the parameter
/// `<Storage stack>Bucket`, as for `--access`), its event and its keys
/// ("Amazon EventBridge event patterns": `wildcard` and `prefix`
/// filters), and the permission for EventBridge from that rule only.
/// Returns the parameters to fill: (parameter, storage stack).
pub fn add_storage_rules(
    t: &mut Template,
    triggers: &[(String, StorageTrigger)],
) -> Vec<(String, String)> {
    let mut parameters = Vec::new();
    for (i, (storage, trigger)) in triggers.iter().enumerate() {
        let stack = crate::category::logical_id(crate::category::Category::Storage, storage);
        let parameter = format!("{stack}Bucket");
        t.string_parameter(
            &parameter,
            &format!("The bucket of the storage `{storage}`"),
        );
        if !parameters.iter().any(|(p, _)| *p == parameter) {
            parameters.push((parameter.clone(), stack.clone()));
        }
        let mut detail = json!({ "bucket": { "name": [r#ref(&parameter)] } });
        // `*` is every key: no filter (an empty prefix says the same less plainly)
        if let Some(pattern) = trigger.pattern.as_ref().filter(|p| *p != "*") {
            let filter = match pattern.strip_suffix('*') {
                Some(prefix) if !prefix.contains('*') => json!({ "prefix": prefix }),
                _ => json!({ "wildcard": pattern }),
            };
            detail["object"] = json!({ "key": [filter] });
        }
        let rule = format!("Storage{i}");
        t.resource(
            &rule,
            "AWS::Events::Rule",
            json!({
                "Description": format!(
                    "Invokes the function on the storage `{storage}`'s {}{}",
                    trigger.detail_type().to_lowercase(),
                    // a rule's description is at most 512 characters; a key pattern may be 1,024 bytes
                    trigger.pattern.as_ref().map(|p| format!(" events of keys {}", shortened(p, 200))).unwrap_or_else(|| " events".into())
                ),
                "EventPattern": {
                    "source": ["aws.s3"],
                    "detail-type": [trigger.detail_type()],
                    "detail": detail,
                },
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
    parameters
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

    /// `*` matches every key without a filter, and a long key pattern stays
    /// within a rule description's 512 characters (`AWS::Events::Rule`).
    #[test]
    fn storage_rules_filter_keys_within_eventbridges_limits() {
        let mut t = crate::cfn::Template::new("f");
        let trigger = |pattern: &str| StorageTrigger {
            name: None,
            deleted: false,
            pattern: Some(pattern.into()),
        };
        let long = format!("{}*.jpg", "a/".repeat(500));
        add_storage_rules(
            &mut t,
            &[
                ("files".into(), trigger("*")),
                ("files".into(), trigger("public/*")),
                ("files".into(), trigger(&long)),
            ],
        );
        let json = t.to_json();
        let rule = |i: usize| &json["Resources"][format!("Storage{i}")]["Properties"];
        assert_eq!(rule(0)["EventPattern"]["detail"].get("object"), None);
        assert_eq!(
            rule(1)["EventPattern"]["detail"]["object"]["key"],
            json!([{ "prefix": "public/" }])
        );
        assert_eq!(
            rule(2)["EventPattern"]["detail"]["object"]["key"],
            json!([{ "wildcard": long }])
        );
        let description = rule(2)["Description"].as_str().unwrap();
        assert!(description.chars().count() <= 512, "{description}");
        assert!(description.ends_with('…'), "{description}");
    }

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

    #[test]
    fn storage_triggers_name_the_event_the_bucket_and_the_keys() {
        let t = |name: Option<&str>, deleted, pattern: Option<&str>| {
            Ok(Trigger::Storage(StorageTrigger {
                name: name.map(str::to_string),
                deleted,
                pattern: pattern.map(str::to_string),
            }))
        };
        assert_eq!(parse("storage:created"), t(None, false, None));
        assert_eq!(parse("storage:deleted"), t(None, true, None));
        assert_eq!(
            parse("storage:created:uploads/*.jpg"),
            t(None, false, Some("uploads/*.jpg"))
        );
        assert_eq!(
            parse("storage:files:created:a:b*"),
            t(Some("files"), false, Some("a:b*"))
        );
        assert_eq!(parse("storage:files:deleted"), t(Some("files"), true, None));
        assert!(parse("storage:files").unwrap_err().contains("`files`"));
        assert!(
            parse("storage:files:removed")
                .unwrap_err()
                .contains("`removed`")
        );
        assert!(parse("storage:created:").unwrap_err().contains("empty"));
        assert!(parse("storage:created:a**b").unwrap_err().contains("`**`"));
        assert!(parse("storage:created:a\\b").is_err());
        assert!(
            parse("storage:created:a\nb")
                .unwrap_err()
                .contains("control")
        );
        let long = format!("storage:created:{}", "k".repeat(1025));
        assert!(parse(&long).unwrap_err().contains("1024"));
    }

    #[test]
    fn key_patterns_match_as_eventbridge_wildcards() {
        for (pattern, key, expected) in [
            ("uploads/*", "uploads/a/b.jpg", true),
            ("uploads/*", "uploads/", true),
            ("uploads/*", "other/a", false),
            ("*.jpg", "a/b.jpg", true),
            ("*.jpg", "a/b.jpeg", false),
            ("uploads/*.jpg", "uploads/x.jpg", true),
            ("uploads/*.jpg", "uploads.jpg", false),
            ("a*b*c", "abc", true),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "acb", false),
            ("exact", "exact", true),
            ("exact", "exact2", false),
            ("*", "", true),
        ] {
            assert_eq!(wildcard_match(pattern, key), expected, "{pattern} {key}");
        }
    }
}
