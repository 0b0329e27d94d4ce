//! The storage resource's CloudFormation: the bucket, its policy and the
//! access tiers' IAM policies on the auth roles.

use super::*;
use crate::category::{Category, Part, logical_id};
use crate::cfn::get_att;

/// The storage resource as synthesis takes it: its nested stack, given the
/// roles its access tiers are granted to (the root's `AuthRole` and
/// `UnauthRole`, and each group's role from the auth stack `auth` names).
/// With `events`, the bucket sends its object events to EventBridge, where
/// the functions' storage triggers take them.
pub fn part(name: &str, cfg: &StorageConfig, env: &str, auth: Option<&str>, events: bool) -> Part {
    let mut template = synth(name, cfg, env);
    if events && let Some(bucket) = template.resource_mut("Bucket") {
        // "Enabling Amazon EventBridge", Amazon S3 User Guide: an in-place
        // update of the bucket, no destination to validate
        bucket["Properties"]["NotificationConfiguration"] =
            json!({ "EventBridgeConfiguration": { "EventBridgeEnabled": true } });
    }
    let mut part = Part::new(
        "storage",
        name,
        logical_id(Category::Storage, name),
        template,
    );
    let parameters = &mut part.parameters;
    parameters.insert("AuthRoleName".into(), r#ref("AuthRole"));
    if !cfg.guest.is_empty() {
        parameters.insert("UnauthRoleName".into(), r#ref("UnauthRole"));
    }
    if let Some(auth_name) = auth {
        for group in cfg.groups.keys() {
            let (parameter, value) = group_role(auth_name, group);
            parameters.insert(parameter, value);
        }
    }
    part
}

/// The parameter that carries the role of the user pool group `group` of
/// the auth resource `auth` into a nested stack, and the root's value for it
/// (the auth stack's output).
pub fn group_role(auth: &str, group: &str) -> (String, Value) {
    let output = crate::category::auth::outputs::group_role_name(&crate::naming::pascal(group));
    (
        group_role_parameter(group),
        get_att(
            &logical_id(Category::Auth, auth),
            &format!("Outputs.{output}"),
        ),
    )
}

/// The stack parameters that carry a group's role name.
pub fn group_role_parameter(group: &str) -> String {
    format!("{}GroupRoleName", crate::naming::pascal(group))
}

fn actions(access: &[Access]) -> Vec<&'static str> {
    let mut out: Vec<&str> = access
        .iter()
        .flat_map(|a| a.s3_actions().iter().copied())
        .collect();
    out.sort();
    out.dedup();
    out
}

fn object_arn(path: &str) -> Value {
    // `${!...}` is Fn::Sub's escape for a literal `${...}`: the IAM policy variable.
    sub(&format!("${{Bucket.Arn}}/{path}"))
}

const IDENTITY: &str = "${!cognito-identity.amazonaws.com:sub}";

fn list_statement(prefixes: &[String]) -> Value {
    json!({
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": cfn::get_att("Bucket", "Arn"),
        // Plain strings: CloudFormation leaves `${...}` alone outside Fn::Sub, so the
        // IAM policy variable needs no escaping here.
        "Condition": { "StringLike": { "s3:prefix": prefixes.iter().map(|p| p.replace("${!", "${")).collect::<Vec<_>>() } }
    })
}

/// The nested stack of one storage resource.
pub fn synth(name: &str, cfg: &StorageConfig, env: &str) -> Template {
    let mut t = Template::new(format!(
        "hoist storage `{name}`: S3 bucket for user files and its access policies"
    ));
    t.string_parameter("Project", "The hoist project's name");
    t.string_parameter("Env", "The environment's name");
    t.string_parameter(
        "AuthRoleName",
        "The role of signed-in users (from the root stack)",
    );
    if !cfg.guest.is_empty() {
        t.string_parameter("UnauthRoleName", "The role of guests (from the root stack)");
    }
    for group in cfg.groups.keys() {
        t.string_parameter(
            &group_role_parameter(group),
            &format!("The role of the user pool group {group} (from the auth stack)"),
        );
    }

    let mut bucket = cfn::private_bucket_properties();
    bucket.insert(
        "CorsConfiguration".into(),
        json!({
            "CorsRules": [{
                "AllowedHeaders": ["*"],
                "AllowedMethods": ["GET", "HEAD", "PUT", "POST", "DELETE"],
                "AllowedOrigins": cfg.origins(env),
                "ExposedHeaders": ["x-amz-server-side-encryption", "x-amz-request-id", "x-amz-id-2", "ETag"],
                "MaxAge": 3000
            }]
        }),
    );
    bucket.insert(
        "Tags".into(),
        json!([
            { "Key": "hoist:project", "Value": r#ref("Project") },
            { "Key": "hoist:env", "Value": r#ref("Env") },
            { "Key": "hoist:resource", "Value": format!("storage/{name}") }
        ]),
    );
    let bucket = t.resource("Bucket", "AWS::S3::Bucket", Value::Object(bucket));
    // User files outlive a mistaken `remove`: the bucket is kept when the stack goes.
    bucket["DeletionPolicy"] = json!("Retain");
    bucket["UpdateReplacePolicy"] = json!("Retain");
    cfn::add_tls_only_policy(&mut t, "Bucket");

    // Signed-in users: public/, their own protected/ and private/ folders, others' protected/ to read.
    let auth = &cfg.authenticated;
    if !auth.is_empty() {
        let mut statements = vec![json!({
            "Effect": "Allow",
            "Action": actions(auth),
            "Resource": [
                object_arn("public/*"),
                object_arn(&format!("protected/{IDENTITY}/*")),
                object_arn(&format!("private/{IDENTITY}/*"))
            ]
        })];
        let mut prefixes = vec![
            "public/".to_string(),
            "public/*".to_string(),
            format!("private/{IDENTITY}/"),
            format!("private/{IDENTITY}/*"),
        ];
        if auth.contains(&Access::Read) {
            statements.push(json!({ "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [object_arn("protected/*")] }));
            prefixes.extend(["protected/".to_string(), "protected/*".to_string()]);
        } else {
            prefixes.extend([
                format!("protected/{IDENTITY}/"),
                format!("protected/{IDENTITY}/*"),
            ]);
        }
        if auth.contains(&Access::Read) {
            statements.push(list_statement(&prefixes));
        }
        t.resource(
            "AuthenticatedPolicy",
            "AWS::IAM::Policy",
            json!({
                "PolicyName": sub(&format!("${{Project}}-${{Env}}-storage-{name}-authenticated")),
                "Roles": [r#ref("AuthRoleName")],
                "PolicyDocument": cfn::policy(statements)
            }),
        );
    }

    let guest = &cfg.guest;
    if !guest.is_empty() {
        let mut statements = vec![
            json!({ "Effect": "Allow", "Action": actions(guest), "Resource": [object_arn("public/*")] }),
        ];
        if guest.contains(&Access::Read) {
            statements.push(json!({ "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [object_arn("protected/*")] }));
            statements.push(list_statement(&[
                "public/".into(),
                "public/*".into(),
                "protected/".into(),
                "protected/*".into(),
            ]));
        }
        t.resource(
            "GuestPolicy",
            "AWS::IAM::Policy",
            json!({
                "PolicyName": sub(&format!("${{Project}}-${{Env}}-storage-{name}-guest")),
                "Roles": [r#ref("UnauthRoleName")],
                "PolicyDocument": cfn::policy(statements)
            }),
        );
    }

    for (group, access) in &cfg.groups {
        if access.is_empty() {
            continue;
        }
        let mut statements = vec![json!({
            "Effect": "Allow",
            "Action": actions(access),
            "Resource": [object_arn("public/*"), object_arn("protected/*"), object_arn("private/*")]
        })];
        if access.contains(&Access::Read) {
            statements.push(list_statement(&[
                "public/".into(),
                "public/*".into(),
                "protected/".into(),
                "protected/*".into(),
                "private/".into(),
                "private/*".into(),
            ]));
        }
        t.resource(
            &format!("{}GroupPolicy", crate::naming::pascal(group)),
            "AWS::IAM::Policy",
            json!({
                "PolicyName": sub(&format!("${{Project}}-${{Env}}-storage-{name}-group-{group}")),
                "Roles": [r#ref(&group_role_parameter(group))],
                "PolicyDocument": cfn::policy(statements)
            }),
        );
    }

    t.output(outputs::BUCKET_NAME, "The bucket's name", r#ref("Bucket"));
    t.output(
        outputs::BUCKET_ARN,
        "The bucket's ARN",
        cfn::get_att("Bucket", "Arn"),
    );
    t
}
