//! A small CloudFormation template model: ordered JSON (insertion order is the
//! output order, so synthesis is deterministic) and the intrinsic functions.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// Lowercase hex SHA-256: the content addresses of uploaded templates and
/// assets, and change detection.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// CloudFormation's limits on one stack's template.
pub const MAX_RESOURCES: usize = 500;
pub const MAX_PARAMETERS: usize = 200;
pub const MAX_OUTPUTS: usize = 200;
pub const MAX_TEMPLATE_BYTES: usize = 1_000_000;

#[derive(Debug, Clone, Default)]
pub struct Template {
    pub description: String,
    pub parameters: Map<String, Value>,
    pub conditions: Map<String, Value>,
    pub resources: Map<String, Value>,
    pub outputs: Map<String, Value>,
}

impl Template {
    pub fn new(description: impl Into<String>) -> Self {
        Template {
            description: description.into(),
            ..Default::default()
        }
    }

    pub fn parameter(&mut self, name: &str, definition: Value) {
        self.parameters.insert(name.to_string(), definition);
    }

    pub fn string_parameter(&mut self, name: &str, description: &str) {
        self.parameter(
            name,
            json!({ "Type": "String", "Description": description }),
        );
    }

    pub fn resource(&mut self, logical_id: &str, kind: &str, properties: Value) -> &mut Value {
        self.resources.insert(
            logical_id.to_string(),
            json!({ "Type": kind, "Properties": properties }),
        );
        self.resources.get_mut(logical_id).expect("just inserted")
    }

    /// A resource added before, to change it.
    pub fn resource_mut(&mut self, logical_id: &str) -> Option<&mut Value> {
        self.resources.get_mut(logical_id)
    }

    pub fn output(&mut self, name: &str, description: &str, value: Value) {
        self.outputs.insert(
            name.to_string(),
            json!({ "Description": description, "Value": value }),
        );
    }

    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("AWSTemplateFormatVersion".into(), json!("2010-09-09"));
        out.insert("Description".into(), json!(self.description));
        for (key, section) in [
            ("Parameters", &self.parameters),
            ("Conditions", &self.conditions),
            ("Resources", &self.resources),
            ("Outputs", &self.outputs),
        ] {
            if !section.is_empty() {
                out.insert(key.into(), Value::Object(section.clone()));
            }
        }
        Value::Object(out)
    }
}

/// A template as written to disk: pretty JSON with a trailing newline.
pub fn to_bytes(template: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(template).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// What of CloudFormation's limits a template exceeds, if anything.
pub fn limit_problems(template: &Value, size: usize) -> Vec<String> {
    let count = |key: &str| {
        template
            .get(key)
            .and_then(Value::as_object)
            .map_or(0, Map::len)
    };
    let mut problems = Vec::new();
    for (key, max) in [
        ("Resources", MAX_RESOURCES),
        ("Parameters", MAX_PARAMETERS),
        ("Outputs", MAX_OUTPUTS),
    ] {
        let n = count(key);
        if n > max {
            problems.push(format!("{n} {} (at most {max})", key.to_lowercase()));
        }
    }
    if size > MAX_TEMPLATE_BYTES {
        problems.push(format!("{size} bytes (at most {MAX_TEMPLATE_BYTES})"));
    }
    problems
}

pub fn r#ref(name: &str) -> Value {
    json!({ "Ref": name })
}

pub fn get_att(resource: &str, attribute: &str) -> Value {
    json!({ "Fn::GetAtt": [resource, attribute] })
}

pub fn sub(text: &str) -> Value {
    json!({ "Fn::Sub": text })
}

pub fn join(parts: Vec<Value>) -> Value {
    json!({ "Fn::Join": ["", parts] })
}

/// A policy document with the given statements.
pub fn policy(statements: Vec<Value>) -> Value {
    json!({ "Version": "2012-10-17", "Statement": statements })
}

/// The trust policy of a role that Cognito identity pool users assume.
/// `amr` is `authenticated` or `unauthenticated`.
pub fn identity_pool_trust(identity_pool_id: Value, amr: &str) -> Value {
    policy(vec![json!({
        "Effect": "Allow",
        "Principal": { "Federated": "cognito-identity.amazonaws.com" },
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": { "cognito-identity.amazonaws.com:aud": identity_pool_id },
            "ForAnyValue:StringLike": { "cognito-identity.amazonaws.com:amr": amr }
        }
    })])
}

/// Add `<bucket>Policy`: a bucket policy that denies every request not made over TLS.
pub fn add_tls_only_policy(template: &mut Template, bucket_logical_id: &str) {
    template.resource(
        &format!("{bucket_logical_id}Policy"),
        "AWS::S3::BucketPolicy",
        json!({
            "Bucket": r#ref(bucket_logical_id),
            "PolicyDocument": policy(vec![deny_insecure_transport(bucket_logical_id)])
        }),
    );
}

/// A bucket policy statement that denies every request not made over TLS.
pub fn deny_insecure_transport(bucket_logical_id: &str) -> Value {
    json!({
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [
            get_att(bucket_logical_id, "Arn"),
            sub(&format!("${{{bucket_logical_id}.Arn}}/*"))
        ],
        "Condition": { "Bool": { "aws:SecureTransport": "false" } }
    })
}

/// The encryption, ownership and public-access settings every bucket gets.
pub fn private_bucket_properties() -> Map<String, Value> {
    let value = json!({
        "BucketEncryption": {
            "ServerSideEncryptionConfiguration": [
                { "ServerSideEncryptionByDefault": { "SSEAlgorithm": "AES256" }, "BucketKeyEnabled": true }
            ]
        },
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": true,
            "BlockPublicPolicy": true,
            "IgnorePublicAcls": true,
            "RestrictPublicBuckets": true
        },
        "OwnershipControls": { "Rules": [ { "ObjectOwnership": "BucketOwnerEnforced" } ] }
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        let mut t = Template::new("x");
        for i in 0..501 {
            t.resource(&format!("R{i}"), "AWS::SNS::Topic", json!({}));
        }
        let problems = limit_problems(&t.to_json(), 2_000_000);
        assert_eq!(
            problems,
            [
                "501 resources (at most 500)",
                "2000000 bytes (at most 1000000)"
            ]
        );
    }
}
