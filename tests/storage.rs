//! The sandbox's S3, judged by the AWS SDK for Rust's S3 client as any SDK
//! user drives it (signed requests, presigned URLs, multipart uploads), with
//! the sandbox's identity-pool credentials: what each identity may do is
//! what the synthesized storage policies say.

mod common;

use aws_sdk_s3::primitives::ByteStream;
use common::running::Running;
use serde_json::Value;

/// The todo starter (auth, api, storage), with guests allowed to read files.
fn storage_project(sb: &common::Sandbox) -> std::path::PathBuf {
    sb.hoist()
        .args([
            "init",
            "app",
            "--frontend",
            "react",
            "--starter",
            "todo",
            "--yes",
            "-q",
        ])
        .assert()
        .success();
    let app = sb.join("app");
    let manifest = std::fs::read_to_string(app.join("hoist.toml")).unwrap();
    let manifest = manifest
        .replace("guest_access = false", "guest_access = true")
        .replace("guest = []", "guest = [\"read\"]");
    std::fs::write(app.join("hoist.toml"), manifest).unwrap();
    app
}

/// The storage endpoint the sandbox printed.
fn storage_endpoint(running: &Running) -> String {
    let line = running.wait_for("Storage endpoint: ");
    line.split("Storage endpoint: ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_string()
}

/// `hoist sandbox credentials --json <who>`.
fn credentials(sb: &common::Sandbox, app: &std::path::Path, who: &[&str]) -> Value {
    let out = sb
        .hoist_in(app)
        .args(["sandbox", "credentials", "--json"])
        .args(who)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// An S3 client for `endpoint` signing with `creds` (path-style, as a local S3 needs).
fn client(endpoint: &str, creds: &Value, secret_override: Option<&str>) -> aws_sdk_s3::Client {
    let c = &creds["Credentials"];
    let credentials = aws_credential_types::Credentials::new(
        c["AccessKeyId"].as_str().unwrap(),
        secret_override.unwrap_or(c["SecretKey"].as_str().unwrap()),
        Some(c["SessionToken"].as_str().unwrap().to_string()),
        None,
        "hoist-sandbox",
    );
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(credentials)
        .endpoint_url(endpoint)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// The S3 error code of a failed call.
fn code<T, E, R>(result: Result<T, aws_sdk_s3::error::SdkError<E, R>>) -> String
where
    T: std::fmt::Debug,
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    match result {
        Ok(r) => panic!("expected an error, got {r:?}"),
        Err(e) => e
            .as_service_error()
            .and_then(|s| s.code())
            .map(str::to_string)
            .unwrap_or_else(|| format!("{e:?}")),
    }
}

/// A plain request to `url` (for presigned URLs); the status and body.
fn http(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, Vec<u8>) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (authority, path) = rest.split_at(rest.find('/').unwrap());
    let port: u16 = authority.rsplit(':').next().unwrap().parse().unwrap();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&response[..split]).to_string();
    let status = head[9..12].parse().unwrap();
    (status, response[split + 4..].to_vec())
}

fn http_get(url: &str) -> (u16, Vec<u8>) {
    http("GET", url, &[], b"")
}

#[test]
fn the_aws_sdk_for_rust_uses_the_sandboxs_s3_as_the_policies_allow() {
    let sb = common::Sandbox::new();
    let app = storage_project(&sb);
    let running = Running::start(
        &sb,
        &app,
        &["--port", "0", "--storage-port", "0", "--no-watch"],
    );
    let endpoint = storage_endpoint(&running);
    let outputs: Value = serde_json::from_str(
        &std::fs::read_to_string(app.join("src/amplify_outputs.json")).unwrap(),
    )
    .unwrap();
    let bucket = outputs["storage"]["bucket_name"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        outputs["custom"]["hoist_sandbox"]["storage_endpoint"],
        endpoint.as_str()
    );
    let ada = credentials(&sb, &app, &["--user", "ada"]);
    let bob = credentials(&sb, &app, &["--user", "bob"]);
    let guest = credentials(&sb, &app, &["--guest"]);
    let ada_id = ada["IdentityId"].as_str().unwrap();
    let mine = format!("private/{ada_id}/");
    let (a, b, g) = (
        client(&endpoint, &ada, None),
        client(&endpoint, &bob, None),
        client(&endpoint, &guest, None),
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // ada writes and reads her private files
        let put = a
            .put_object()
            .bucket(&bucket)
            .key(format!("{mine}hello world.txt"))
            .body(ByteStream::from_static(b"hello, sandbox"))
            .content_type("text/plain")
            .metadata("note", "first")
            .send()
            .await
            .expect("ada puts her file");
        assert_eq!(
            put.e_tag(),
            Some(format!("\"{}\"", md5_hex(b"hello, sandbox")).as_str())
        );
        let got = a
            .get_object()
            .bucket(&bucket)
            .key(format!("{mine}hello world.txt"))
            .send()
            .await
            .unwrap();
        assert_eq!(got.content_type(), Some("text/plain"));
        assert_eq!(got.metadata().unwrap()["note"], "first");
        assert_eq!(
            got.body.collect().await.unwrap().into_bytes().as_ref(),
            b"hello, sandbox"
        );
        let range = a
            .get_object()
            .bucket(&bucket)
            .key(format!("{mine}hello world.txt"))
            .range("bytes=7-13")
            .send()
            .await
            .unwrap();
        assert_eq!(range.content_range(), Some("bytes 7-13/14"));
        assert_eq!(
            range.body.collect().await.unwrap().into_bytes().as_ref(),
            b"sandbox"
        );
        let head = a
            .head_object()
            .bucket(&bucket)
            .key(format!("{mine}hello world.txt"))
            .send()
            .await
            .unwrap();
        assert_eq!(head.content_length(), Some(14));
        assert_eq!(
            code(
                a.head_object()
                    .bucket(&bucket)
                    .key(format!("{mine}nope"))
                    .send()
                    .await
            ),
            "NotFound"
        );

        // listing: pages and common prefixes
        for name in ["a", "b", "c", "dir/x", "dir/y"] {
            a.put_object()
                .bucket(&bucket)
                .key(format!("{mine}{name}"))
                .body(ByteStream::from(name.as_bytes().to_vec()))
                .send()
                .await
                .unwrap();
        }
        let mut keys = Vec::new();
        let mut token = None;
        loop {
            let page = a
                .list_objects_v2()
                .bucket(&bucket)
                .prefix(&mine)
                .max_keys(2)
                .set_continuation_token(token.clone())
                .send()
                .await
                .unwrap();
            keys.extend(
                page.contents()
                    .iter()
                    .map(|o| o.key().unwrap().trim_start_matches(&mine).to_string()),
            );
            token = page.next_continuation_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        assert_eq!(keys, ["a", "b", "c", "dir/x", "dir/y", "hello world.txt"]);
        let folders = a
            .list_objects_v2()
            .bucket(&bucket)
            .prefix(&mine)
            .delimiter("/")
            .max_keys(3)
            .send()
            .await
            .unwrap();
        assert_eq!(folders.key_count(), Some(3));
        assert!(folders.is_truncated().unwrap());
        let rest = a
            .list_objects_v2()
            .bucket(&bucket)
            .prefix(&mine)
            .delimiter("/")
            .continuation_token(folders.next_continuation_token().unwrap())
            .send()
            .await
            .unwrap();
        let prefixes: Vec<&str> = rest
            .common_prefixes()
            .iter()
            .filter_map(|p| p.prefix())
            .collect();
        assert_eq!(prefixes, [format!("{mine}dir/")]);
        assert_eq!(rest.contents().len(), 1, "only `hello world.txt` is left");

        // the policies: bob reaches none of ada's private files
        let hers = format!("{mine}hello world.txt");
        assert_eq!(
            code(b.get_object().bucket(&bucket).key(&hers).send().await),
            "AccessDenied"
        );
        assert_eq!(
            code(
                b.put_object()
                    .bucket(&bucket)
                    .key(format!("{mine}planted"))
                    .body(ByteStream::from_static(b"x"))
                    .send()
                    .await
            ),
            "AccessDenied"
        );
        assert_eq!(
            code(
                b.list_objects_v2()
                    .bucket(&bucket)
                    .prefix(&mine)
                    .send()
                    .await
            ),
            "AccessDenied"
        );
        assert_eq!(
            code(b.delete_object().bucket(&bucket).key(&hers).send().await),
            "AccessDenied"
        );
        assert_eq!(
            code(
                b.copy_object()
                    .bucket(&bucket)
                    .key(format!(
                        "private/{}/stolen",
                        bob["IdentityId"].as_str().unwrap()
                    ))
                    .copy_source(format!("{bucket}/{}", urlencode(&hers)))
                    .send()
                    .await
            ),
            "AccessDenied"
        );
        // the bucket as a whole is no one's to list
        assert_eq!(
            code(a.list_objects_v2().bucket(&bucket).send().await),
            "AccessDenied"
        );
        // guests read public files and cannot write them (guest = ["read"])
        a.put_object()
            .bucket(&bucket)
            .key("public/notice.txt")
            .body(ByteStream::from_static(b"for all"))
            .send()
            .await
            .unwrap();
        let read = g
            .get_object()
            .bucket(&bucket)
            .key("public/notice.txt")
            .send()
            .await
            .expect("a guest reads public files");
        assert_eq!(
            read.body.collect().await.unwrap().into_bytes().as_ref(),
            b"for all"
        );
        assert_eq!(
            code(
                g.put_object()
                    .bucket(&bucket)
                    .key("public/graffiti.txt")
                    .body(ByteStream::from_static(b"x"))
                    .send()
                    .await
            ),
            "AccessDenied"
        );
        assert_eq!(
            code(g.get_object().bucket(&bucket).key(&hers).send().await),
            "AccessDenied"
        );
        // a signature with a wrong secret is refused
        let forged = client(&endpoint, &ada, Some("not-the-secret"));
        assert_eq!(
            code(forged.get_object().bucket(&bucket).key(&hers).send().await),
            "SignatureDoesNotMatch"
        );

        // copy within her folder keeps the metadata
        a.copy_object()
            .bucket(&bucket)
            .key(format!("{mine}copy.txt"))
            .copy_source(format!("{bucket}/{}", urlencode(&hers)))
            .send()
            .await
            .expect("ada copies her file");
        let copy = a
            .head_object()
            .bucket(&bucket)
            .key(format!("{mine}copy.txt"))
            .send()
            .await
            .unwrap();
        assert_eq!(copy.metadata().unwrap()["note"], "first");

        // multipart: a 5 MiB part and a small one, joined
        let big: Vec<u8> = (0..5 * 1024 * 1024 + 123)
            .map(|i| (i % 251) as u8)
            .collect();
        let key = format!("{mine}big.bin");
        let upload = a
            .create_multipart_upload()
            .bucket(&bucket)
            .key(&key)
            .send()
            .await
            .unwrap();
        let id = upload.upload_id().unwrap();
        let mut parts = Vec::new();
        for (n, chunk) in [&big[..5 * 1024 * 1024], &big[5 * 1024 * 1024..]]
            .into_iter()
            .enumerate()
        {
            let part = a
                .upload_part()
                .bucket(&bucket)
                .key(&key)
                .upload_id(id)
                .part_number(n as i32 + 1)
                .body(ByteStream::from(chunk.to_vec()))
                .send()
                .await
                .unwrap();
            parts.push(
                aws_sdk_s3::types::CompletedPart::builder()
                    .part_number(n as i32 + 1)
                    .e_tag(part.e_tag().unwrap())
                    .build(),
            );
        }
        let listed = a
            .list_parts()
            .bucket(&bucket)
            .key(&key)
            .upload_id(id)
            .send()
            .await;
        // the storage policy grants Put/Get/Delete only: listing parts is refused, as in AWS
        assert_eq!(code(listed), "AccessDenied");
        let done = a
            .complete_multipart_upload()
            .bucket(&bucket)
            .key(&key)
            .upload_id(id)
            .multipart_upload(
                aws_sdk_s3::types::CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .expect("the upload completes");
        assert!(
            done.e_tag().unwrap().ends_with("-2\""),
            "{:?}",
            done.e_tag()
        );
        let whole = a
            .get_object()
            .bucket(&bucket)
            .key(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(
            whole.body.collect().await.unwrap().into_bytes().as_ref(),
            &big[..]
        );

        // a presigned URL downloads without credentials; tampered, it does not
        let presigned = a
            .get_object()
            .bucket(&bucket)
            .key(&hers)
            .presigned(
                aws_sdk_s3::presigning::PresigningConfig::expires_in(
                    std::time::Duration::from_secs(300),
                )
                .unwrap(),
            )
            .await
            .unwrap();
        let url = presigned.uri().to_string();
        let (status, body) = http_get(&url);
        assert_eq!((status, body.as_slice()), (200, &b"hello, sandbox"[..]));
        let tampered = url.replace("hello%20world.txt", "copy.txt");
        assert_ne!(tampered, url);
        assert_eq!(http_get(&tampered).0, 403);

        // a presigned upload takes its body, but no header it was not signed with:
        // here one that would turn it into a copy of another file
        let upload = a
            .put_object()
            .bucket(&bucket)
            .key(format!("{mine}presigned.txt"))
            .presigned(
                aws_sdk_s3::presigning::PresigningConfig::expires_in(
                    std::time::Duration::from_secs(300),
                )
                .unwrap(),
            )
            .await
            .unwrap();
        let source = format!("{bucket}/{}", urlencode(&hers));
        let (status, body) = http(
            "PUT",
            upload.uri(),
            &[("x-amz-copy-source", source.as_str())],
            b"",
        );
        assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
        assert!(String::from_utf8_lossy(&body).contains("not signed"));
        let (status, _) = http("PUT", upload.uri(), &[], b"uploaded by link");
        assert_eq!(status, 200);
        // other subresources are not run as the object operation they resemble
        let tagging = aws_sdk_s3::types::Tagging::builder()
            .tag_set(
                aws_sdk_s3::types::Tag::builder()
                    .key("k")
                    .value("v")
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        assert_eq!(
            code(
                a.put_object_tagging()
                    .bucket(&bucket)
                    .key(&hers)
                    .tagging(tagging)
                    .send()
                    .await
            ),
            "NotImplemented"
        );
        let still = a
            .get_object()
            .bucket(&bucket)
            .key(&hers)
            .send()
            .await
            .unwrap();
        assert_eq!(
            still.body.collect().await.unwrap().into_bytes().as_ref(),
            b"hello, sandbox"
        );

        // delete
        a.delete_object()
            .bucket(&bucket)
            .key(&hers)
            .send()
            .await
            .unwrap();
        assert_eq!(
            code(a.get_object().bucket(&bucket).key(&hers).send().await),
            "NoSuchKey"
        );
    });

    // objects are files named by their key's hash (and a version), never by the key
    let storage = app.join(format!(".hoist/sandbox/dev/storage/{bucket}/objects"));
    let names: Vec<String> = std::fs::read_dir(&storage)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.is_empty());
    assert!(
        names.iter().all(|n| {
            let (hash, rest) = n.split_once('.').unwrap();
            hash.len() == 64 && (rest == "json" || rest.len() == 32)
        }),
        "{names:?}"
    );
    // and they outlive the sandbox
    drop(running);
    let again = Running::start(
        &sb,
        &app,
        &["--port", "0", "--storage-port", "0", "--no-watch"],
    );
    let endpoint = storage_endpoint(&again);
    let a = client(&endpoint, &credentials(&sb, &app, &["--user", "ada"]), None);
    rt.block_on(async {
        let kept = a
            .get_object()
            .bucket(&bucket)
            .key(format!("{mine}copy.txt"))
            .send()
            .await
            .expect("the file is kept across restarts");
        assert_eq!(
            kept.body.collect().await.unwrap().into_bytes().as_ref(),
            b"hello, sandbox"
        );
    });
}

fn md5_hex(bytes: &[u8]) -> String {
    use md5::Digest;
    md5::Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn urlencode(key: &str) -> String {
    key.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The real aws-amplify v6 storage library in Node, configured by the
/// generated app's own `backend.ts` (its identity-pool credentials provider
/// and its redirect of S3 requests to the sandbox): a multipart upload, list,
/// download, a presigned link, properties, copy and remove, and a second
/// user refused each of the first user's files (`sandbox-storage.mjs`).
#[test]
#[ignore = "needs the npm packages of tests/outputs-check; run by scripts/test.sh"]
fn the_aws_amplify_storage_library_works_against_the_sandbox_through_backend_ts() {
    use std::io::{BufRead, Write};
    let sb = common::Sandbox::new();
    let app = storage_project(&sb);
    let running = Running::start(
        &sb,
        &app,
        &["--port", "0", "--storage-port", "0", "--no-watch"],
    );
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/outputs-check/sandbox-storage.mjs");
    let work = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/outputs-check/generated")
        .join(format!("storage-{}", std::process::id()));
    let mut node = std::process::Command::new("node")
        .arg(script)
        .arg(app.join("src/backend.ts"))
        .arg(app.join("src/amplify_outputs.json"))
        .arg(&work)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("could not run node");
    let mut stdin = node.stdin.take().unwrap();
    let mut report = String::new();
    for line in std::io::BufReader::new(node.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok)
    {
        if let Some(email) = line.strip_prefix("CODE? ") {
            let printed = running.wait_for(&format!("confirmation code for {email}: "));
            writeln!(stdin, "{}", printed.rsplit(' ').next().unwrap()).unwrap();
        } else {
            report = line;
        }
    }
    let out = node.wait_with_output().unwrap();
    let _ = std::fs::remove_dir_all(&work);
    assert!(
        out.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["checks"].as_array().unwrap().len(), 5, "{report}");
}
