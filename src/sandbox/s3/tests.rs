use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::objects::StoreError;
use super::policy::{Ask, BucketRules};
use super::*;
use crate::category::storage::{Access, StorageConfig, part};
use crate::sandbox::auth::StorageCaller;

/// The rules of the storage stack synthesis writes for `cfg`, as the
/// sandbox reads them: the nested stack, the root's parameters for it, and
/// an auth stack whose group role outputs name the group roles.
fn rules(cfg: &StorageConfig) -> BucketRules {
    let part = part("files", cfg, "dev", Some("main"), false);
    let mut parameters = part.parameters.clone();
    parameters.insert("Project".into(), json!("app"));
    parameters.insert("Env".into(), json!("dev"));
    let root = json!({ "Resources": {
        "AuthRole": { "Type": "AWS::IAM::Role" },
        "UnauthRole": { "Type": "AWS::IAM::Role" },
        "StorageFiles": { "Type": "AWS::CloudFormation::Stack", "Properties": { "Parameters": parameters } },
    }});
    let auth = json!({ "Outputs": {
        "AdminGroupRoleName": { "Value": { "Ref": "AdminGroupRole" } },
    }});
    let stacks = move |logical: &str| (logical == "AuthMain").then(|| auth.clone());
    BucketRules::from_templates(
        "hoist-sandbox-files-dev",
        &part.template.to_json(),
        &root,
        "StorageFiles",
        &stacks,
    )
    .unwrap()
}

fn caller(role: &str, identity: &str) -> StorageCaller {
    StorageCaller {
        access_key_id: "ASIAEXAMPLE".into(),
        identity_id: identity.into(),
        kind: if role == "UnauthRole" {
            "unauthenticated"
        } else {
            "authenticated"
        }
        .into(),
        role: role.into(),
    }
}

fn object(action: &'static str, key: &str) -> Ask<'static> {
    Ask {
        action,
        resource: format!("arn:aws:s3:::hoist-sandbox-files-dev/{key}"),
        keys: Vec::new(),
    }
}

fn list(prefix: Option<&str>) -> Ask<'static> {
    Ask {
        action: "s3:ListBucket",
        resource: "arn:aws:s3:::hoist-sandbox-files-dev".into(),
        keys: prefix
            .map(|p| vec![("s3:prefix", p.to_string())])
            .unwrap_or_default(),
    }
}

const ADA: &str = "us-east-1:11111111-1111-4111-8111-111111111111";
const BOB: &str = "us-east-1:22222222-2222-4222-8222-222222222222";

#[test]
fn the_synthesized_policies_decide_who_reaches_which_files() {
    let cfg = StorageConfig {
        authenticated: vec![Access::Create, Access::Read, Access::Delete],
        guest: vec![Access::Read],
        groups: BTreeMap::from([("Admin".to_string(), vec![Access::Read])]),
        ..StorageConfig::with_defaults()
    };
    let rules = rules(&cfg);
    let ada = caller("AuthRole", ADA);
    let guest = caller(
        "UnauthRole",
        "us-east-1:33333333-3333-4333-8333-333333333333",
    );
    let admin = caller("AdminGroupRole", BOB);
    let pool = "us-east-1:pool";
    let allows = |who: &StorageCaller, ask: Ask| rules.allows(who, pool, &ask);
    // a signed-in user: their own private and protected folders, public, others' protected to read
    for action in ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"] {
        assert!(
            allows(&ada, object(action, &format!("private/{ADA}/a.txt"))),
            "{action}"
        );
        assert!(
            !allows(&ada, object(action, &format!("private/{BOB}/a.txt"))),
            "{action}"
        );
        assert!(allows(&ada, object(action, "public/a.txt")), "{action}");
    }
    assert!(allows(
        &ada,
        object("s3:GetObject", &format!("protected/{BOB}/a.txt"))
    ));
    assert!(!allows(
        &ada,
        object("s3:PutObject", &format!("protected/{BOB}/a.txt"))
    ));
    // nothing outside the tiers, and no action the policies do not name
    assert!(!allows(&ada, object("s3:GetObject", "other/a.txt")));
    assert!(!allows(
        &ada,
        object("s3:GetObjectAcl", &format!("private/{ADA}/a.txt"))
    ));
    assert!(!allows(
        &ada,
        object("s3:AbortMultipartUpload", &format!("private/{ADA}/a.txt"))
    ));
    // listing: by the s3:prefix condition, its variable the caller's identity
    assert!(allows(&ada, list(Some(&format!("private/{ADA}/")))));
    assert!(!allows(&ada, list(Some(&format!("private/{BOB}/")))));
    assert!(allows(&ada, list(Some("public/"))));
    assert!(
        !allows(&ada, list(None)),
        "the whole bucket is no one's to list"
    );
    // guests read public and protected files, write nothing, list no private folder
    assert!(allows(&guest, object("s3:GetObject", "public/a.txt")));
    assert!(allows(
        &guest,
        object("s3:GetObject", &format!("protected/{ADA}/a.txt"))
    ));
    assert!(!allows(&guest, object("s3:PutObject", "public/a.txt")));
    assert!(!allows(
        &guest,
        object("s3:GetObject", &format!("private/{ADA}/a.txt"))
    ));
    assert!(!allows(&guest, list(Some(&format!("private/{ADA}/")))));
    // a group's role reads every folder and writes none
    assert!(allows(
        &admin,
        object("s3:GetObject", &format!("private/{ADA}/a.txt"))
    ));
    assert!(!allows(
        &admin,
        object("s3:PutObject", &format!("private/{ADA}/a.txt"))
    ));
    // a role with no policy here gets nothing
    assert!(!allows(
        &caller("OtherRole", ADA),
        object("s3:GetObject", "public/a.txt")
    ));
}

#[test]
fn the_bucket_policys_deny_is_evaluated_too() {
    let mut rules = rules(&StorageConfig::with_defaults());
    let ada = caller("AuthRole", ADA);
    let ask = object("s3:GetObject", &format!("private/{ADA}/a.txt"));
    assert!(rules.allows(&ada, "pool", &ask));
    // an explicit deny in the bucket policy wins over the role's allow
    rules.bucket_policy = Some(json!({
        "Version": "2012-10-17",
        "Statement": [{ "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::hoist-sandbox-files-dev/private/*" }]
    }));
    assert!(!rules.allows(&ada, "pool", &ask));
}

#[test]
fn a_variable_the_request_does_not_have_matches_nothing() {
    let mut rules = rules(&StorageConfig::with_defaults());
    rules.role_policies.insert(
        "AuthRole".into(),
        vec![json!({
            "Version": "2012-10-17",
            "Statement": [{ "Effect": "Allow", "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::hoist-sandbox-files-dev/home/${aws:username}/*" }]
        })],
    );
    let ada = caller("AuthRole", ADA);
    assert!(!rules.allows(&ada, "pool", &object("s3:GetObject", "home//secret")));
    assert!(!rules.allows(&ada, "pool", &object("s3:GetObject", "home/x/secret")));
}

#[test]
fn a_bucket_policy_for_another_principal_is_refused_at_start() {
    let part = part(
        "files",
        &StorageConfig::with_defaults(),
        "dev",
        Some("main"),
        false,
    );
    let mut template = part.template.to_json();
    template["Resources"]["BucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]["Principal"] =
        json!({ "AWS": "arn:aws:iam::000000000000:root" });
    let mut parameters = part.parameters.clone();
    parameters.insert("Project".into(), json!("app"));
    parameters.insert("Env".into(), json!("dev"));
    let root = json!({ "Resources": {
        "AuthRole": {},
        "StorageFiles": { "Properties": { "Parameters": parameters } },
    }});
    let none = |_: &str| -> Option<Value> { None };
    let err =
        BucketRules::from_templates("b", &template, &root, "StorageFiles", &none).unwrap_err();
    assert!(err.contains("principal"), "{err}");
}

#[test]
fn the_cors_rules_are_the_templates() {
    let rules = rules(&StorageConfig::with_defaults());
    assert_eq!(rules.arn, "arn:aws:s3:::hoist-sandbox-files-dev");
    let rule = cors_rule(
        &rules.cors,
        "http://localhost:5173",
        "PUT",
        &["x-amz-date".into()],
    );
    assert!(rule.is_some());
    assert!(rule.unwrap().exposed_headers.contains(&"ETag".to_string()));
    assert!(cors_rule(&rules.cors, "http://evil.example", "PUT", &[]).is_none());
    // the dev server on another port (Vite moves off 5173 when it is busy)
    for origin in ["http://localhost:5174", "http://127.0.0.1:8081"] {
        assert!(
            cors_rule(&rules.cors, origin, "GET", &[]).is_some(),
            "{origin}"
        );
    }
    assert!(cors_rule(&rules.cors, "https://localhost.evil.example", "GET", &[]).is_none());
    assert!(cors_rule(&rules.cors, "http://localhost:5173", "PATCH", &[]).is_none());
}

#[test]
fn an_unresolvable_policy_stops_the_sandbox_rather_than_guess() {
    let part = part(
        "files",
        &StorageConfig::with_defaults(),
        "dev",
        Some("main"),
        false,
    );
    let root = json!({ "Resources": {
        "StorageFiles": { "Type": "AWS::CloudFormation::Stack",
            "Properties": { "Parameters": { "AuthRoleName": { "Ref": "Missing" } } } },
    }});
    let none = |_: &str| -> Option<Value> { None };
    let err =
        BucketRules::from_templates("b", &part.template.to_json(), &root, "StorageFiles", &none)
            .unwrap_err();
    assert!(err.contains("Missing"), "{err}");
}

#[test]
fn ranges_are_read_as_s3_reads_them() {
    assert_eq!(parse_range("bytes=0-4", 10), Some(Ok((0, 4))));
    assert_eq!(parse_range("bytes=5-", 10), Some(Ok((5, 9))));
    assert_eq!(parse_range("bytes=-3", 10), Some(Ok((7, 9))));
    assert_eq!(parse_range("bytes=8-100", 10), Some(Ok((8, 9))));
    assert_eq!(parse_range("bytes=-30", 10), Some(Ok((0, 9))));
    // unsatisfiable: 416
    for bad in ["bytes=10-", "bytes=-0", "bytes=10-12"] {
        assert_eq!(parse_range(bad, 10), Some(Err(())), "{bad}");
    }
    assert_eq!(parse_range("bytes=0-0", 0), Some(Err(())));
    // not one byte range: ignored, the whole object is served
    for ignored in ["bytes=5-2", "bytes=0-1,3-4", "items=0-1", "bytes=x-"] {
        assert_eq!(parse_range(ignored, 10), None, "{ignored}");
    }
}

#[test]
fn aws_chunked_bodies_are_decoded_with_their_trailers() {
    let body = b"5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
    let (bytes, trailers) = decode_aws_chunked(body).unwrap();
    assert_eq!(bytes, b"hello world");
    assert_eq!(trailers["x-amz-checksum-crc32"], "DUoRhQ==");
    assert_eq!(crc32_base64(b"hello world"), "DUoRhQ==");
    for bad in [
        &b"5\r\nhel"[..],
        b"zz\r\n",
        b"5\r\nhelloXX0\r\n\r\n",
        b"ffffffffffffffff\r\nx\r\n",
    ] {
        assert!(decode_aws_chunked(bad).is_err());
    }
}

#[test]
fn continuation_tokens_round_trip_and_refuse_forgeries() {
    for c in [
        Continuation::After("private/a b/c".into()),
        Continuation::Skip("dir/".into()),
    ] {
        assert_eq!(Continuation::decode(&c.encode()), Some(c));
    }
    assert_eq!(Continuation::decode("not base64!"), None);
    assert_eq!(
        Continuation::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("x")),
        None
    );
}

#[test]
fn objects_are_stored_by_their_keys_hash_and_listed_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let objects = Objects::open(dir.path()).unwrap();
    for key in ["b", "a/../../escape", "a", "a/b", "dir/"] {
        objects
            .put(key, key.as_bytes(), &Headers::default(), None, false)
            .unwrap();
    }
    let keys: Vec<String> = objects
        .keys_after("", None)
        .into_iter()
        .map(|m| m.key)
        .collect();
    assert_eq!(keys, ["a", "a/../../escape", "a/b", "b", "dir/"]);
    let after: Vec<String> = objects
        .keys_after("a", Some("a/"))
        .into_iter()
        .map(|m| m.key)
        .collect();
    assert_eq!(after, ["a/../../escape", "a/b"]);
    // nothing left the folder; reopened, the index is the same
    assert!(!dir.path().parent().unwrap().join("escape").exists());
    let reopened = Objects::open(dir.path()).unwrap();
    assert_eq!(reopened.get("a/../../escape").unwrap().1, b"a/../../escape");
    // a conditional put does not replace, and its bytes are not left behind
    assert!(matches!(
        reopened.put("a", b"new", &Headers::default(), None, true),
        Err(StoreError::Invalid("PreconditionFailed", _))
    ));
    assert_eq!(reopened.get("a").unwrap().1, b"a");
    let files = std::fs::read_dir(dir.path().join("objects"))
        .unwrap()
        .count();
    assert_eq!(files, 2 * 5, "each object: its metadata and one version");
    reopened
        .put("a", b"replaced", &Headers::default(), None, false)
        .unwrap();
    assert_eq!(
        std::fs::read_dir(dir.path().join("objects"))
            .unwrap()
            .count(),
        files
    );
    reopened.delete("b").unwrap();
    assert!(reopened.head("b").is_none());
    assert!(matches!(reopened.get("b"), Err(StoreError::NoSuchKey)));
}

#[test]
fn multipart_uploads_are_checked_as_s3_checks_them() {
    let dir = tempfile::tempdir().unwrap();
    let objects = Objects::open(dir.path()).unwrap();
    let id = objects.create_upload("k", Headers::default()).unwrap();
    let small = objects.upload_part(&id, "k", 1, b"tiny").unwrap();
    let last = objects.upload_part(&id, "k", 2, b"end").unwrap();
    let code = |r: Result<ObjectMeta, StoreError>| match r {
        Err(StoreError::Invalid(code, _)) => code,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        code(objects.complete(&id, "k", &[(1, small.clone()), (2, last.clone())])),
        "EntityTooSmall"
    );
    assert_eq!(
        code(objects.complete(&id, "k", &[(2, last.clone()), (1, small.clone())])),
        "InvalidPartOrder"
    );
    assert_eq!(
        code(objects.complete(&id, "k", &[(1, "\"0000\"".into())])),
        "InvalidPart"
    );
    assert!(matches!(
        objects.upload_part(&id, "other-key", 1, b"x"),
        Err(StoreError::NoSuchUpload)
    ));
    assert!(matches!(
        objects.upload_part(&id, "k", 10_001, b"x"),
        Err(StoreError::Invalid("InvalidArgument", _))
    ));
    // one part: no minimum
    let done = objects.complete(&id, "k", &[(2, last)]).unwrap();
    assert!(done.etag.ends_with("-1\""));
    assert_eq!(objects.get("k").unwrap().1, b"end");
    assert!(matches!(
        objects.abort(&id, "k"),
        Err(StoreError::NoSuchUpload)
    ));
}

#[test]
fn bucket_names_are_valid_s3_names() {
    assert_eq!(bucket_name("files", "dev"), "hoist-sandbox-files-dev");
    assert_eq!(
        bucket_name("My_Files", "Prod"),
        "hoist-sandbox-my-files-prod"
    );
    let long = bucket_name(&"x".repeat(80), "dev");
    assert!(long.len() <= 63, "{long}");
    assert_ne!(long, bucket_name(&"x".repeat(81), "dev"));
}

#[test]
fn the_operation_follows_method_key_and_query() {
    let p = |q: &str| query_params(q);
    let none = HeaderMap::new();
    assert_eq!(
        operation(&Method::GET, "", &p("list-type=2&prefix=a"), &none),
        "ListObjectsV2"
    );
    assert_eq!(
        operation(&Method::POST, "k", &p("uploads"), &none),
        "CreateMultipartUpload"
    );
    assert_eq!(
        operation(&Method::PUT, "k", &p("partNumber=1&uploadId=x"), &none),
        "UploadPart"
    );
    assert_eq!(
        operation(&Method::DELETE, "k", &p("uploadId=x"), &none),
        "AbortMultipartUpload"
    );
    let mut copy = HeaderMap::new();
    copy.insert("x-amz-copy-source", HeaderValue::from_static("b/k"));
    assert_eq!(operation(&Method::PUT, "k", &p(""), &copy), "CopyObject");
    assert_eq!(operation(&Method::PATCH, "k", &p(""), &none), "Unsupported");
    // other subresources are other operations: never run as the object's
    for sub in [
        "tagging",
        "acl",
        "retention",
        "legal-hold",
        "versionId=1",
        "attributes",
    ] {
        for method in [Method::GET, Method::PUT, Method::DELETE] {
            assert_eq!(
                operation(&method, "k", &p(sub), &none),
                "Unsupported",
                "{method} ?{sub}"
            );
        }
    }
    assert_eq!(
        operation(&Method::GET, "k", &p("x-id=GetObject"), &none),
        "GetObject"
    );
    // a query's `+` is a space, as browsers send it
    assert_eq!(p("prefix=my+folder%2F")["prefix"], "my folder/");
}

/// A project function's role is judged by the statements its grants put in
/// its stack (`--access storage:files:read`): it may read and list this
/// bucket, not write; a statement on another bucket or another service is
/// not this bucket's; a function without a grant may do nothing.
#[test]
fn a_functions_role_is_judged_by_its_grants_statements() {
    use crate::category::function::access::{Grant, StorageLevel, wire};
    let grants = [
        Grant::Storage {
            name: "files".into(),
            level: StorageLevel::Read,
        },
        Grant::Storage {
            name: "media".into(),
            level: StorageLevel::Write,
        },
    ];
    let mut statements = wire(&grants).statements;
    statements.push(json!({ "Effect": "Allow", "Action": ["logs:PutLogEvents"],
        "Resource": { "Fn::GetAtt": ["LogGroup", "Arn"] } }));
    let template = json!({ "Resources": { "Role": { "Type": "AWS::IAM::Role", "Properties": {
        "Policies": [{ "PolicyName": "function", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": statements } }] } } } });
    let mut rules = rules(&StorageConfig::with_defaults());
    rules.add_function_role("FunctionReader", &template, "StorageFilesBucket");
    rules.add_function_role(
        "FunctionIdle",
        &json!({ "Resources": {} }),
        "StorageFilesBucket",
    );
    let documents = &rules.role_policies["function/FunctionReader"];
    assert_eq!(documents.len(), 1);
    assert!(
        !documents[0].to_string().contains("StorageMedia")
            && !documents[0].to_string().contains("logs:"),
        "{documents:?}"
    );
    let reader = StorageCaller {
        access_key_id: "ASIAEXAMPLE".into(),
        identity_id: String::new(),
        kind: "function".into(),
        role: "FunctionReader".into(),
    };
    let idle = StorageCaller {
        role: "FunctionIdle".into(),
        ..reader.clone()
    };
    assert!(rules.allows(&reader, "pool", &object("s3:GetObject", "notes/a.txt")));
    assert!(rules.allows(&reader, "pool", &list(Some("notes/"))));
    assert!(!rules.allows(&reader, "pool", &object("s3:PutObject", "notes/a.txt")));
    assert!(!rules.allows(&reader, "pool", &object("s3:DeleteObject", "notes/a.txt")));
    assert!(!rules.allows(&idle, "pool", &object("s3:GetObject", "notes/a.txt")));
    // a user pool group's role of the same name is not the function's
    let group = StorageCaller {
        kind: "authenticated".into(),
        ..reader.clone()
    };
    assert!(!rules.allows(&group, "pool", &object("s3:GetObject", "notes/a.txt")));
}
