//! The sandbox's S3: the REST API `aws-amplify` storage and the AWS SDKs
//! use, path-style (`http://host:port/<bucket>/<key>`), for the project's
//! storage buckets. Operations: PutObject, GetObject (ranges, conditional),
//! HeadObject, DeleteObject, DeleteObjects, ListObjectsV2 (prefix,
//! delimiter, continuation), CopyObject, the multipart upload
//! (CreateMultipartUpload, UploadPart, CompleteMultipartUpload,
//! AbortMultipartUpload, ListParts), presigned URLs, and CORS preflight by
//! the bucket's CORS rules (Amazon S3 API Reference; Amazon S3 User Guide,
//! "Using cross-origin resource sharing").
//!
//! Every request but a preflight is SigV4-signed (header or presigned URL)
//! with credentials from the sandbox's identity pool, and allowed only when
//! the synthesized IAM policies of the credentials' role allow it
//! ([`policy`]). Objects live on disk ([`objects`]).

mod errors;
pub mod objects;
mod operations;
pub mod policy;
pub mod xml;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::json;

use self::errors::*;
use self::objects::{Headers, ObjectMeta, Objects};
use self::operations::Ctx;
use self::policy::{Ask, BucketRules, CorsRule, wildcard};
use super::auth::{Signed, StorageCaller};
use super::server::{Endpoint, LogLine};

/// The largest body one request may carry. S3 takes up to 5 GiB in one
/// PutObject; the sandbox holds a body in memory, so larger files go up in
/// parts (as `aws-amplify` does above 5 MiB).
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
/// The longest key (Amazon S3 User Guide, "Naming Amazon S3 objects": 1,024 bytes of UTF-8).
const MAX_KEY_BYTES: usize = 1024;
/// ListObjectsV2 returns at most 1,000 keys a page.
const MAX_KEYS: usize = 1000;

/// One sandbox bucket: its rules (from the synthesized storage stack,
/// replaced on reload) and its objects.
pub struct Bucket {
    pub name: String,
    pub rules: RwLock<BucketRules>,
    /// Shared with the workflows' distributed Maps, which read and write it.
    pub objects: Arc<Objects>,
}

impl Bucket {
    fn rules(&self) -> BucketRules {
        match self.rules.read() {
            Ok(r) => r.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Replace the rules (the storage stack changed).
    pub fn set_rules(&self, rules: BucketRules) {
        let mut guard = match self.rules.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = rules;
    }
}

/// The sandbox's S3: its buckets by name, the api endpoint whose
/// authority checks signatures and whose log it writes to, and where object
/// events go (the functions' storage triggers), if anywhere.
pub struct Storage {
    pub buckets: BTreeMap<String, Bucket>,
    pub endpoint: Arc<Endpoint>,
    pub events: Option<std::sync::Mutex<std::sync::mpsc::Sender<ObjectEvent>>>,
}

/// An object created or deleted, as S3 tells EventBridge of it ("EventBridge
/// event message structure", Amazon S3 User Guide): sent once the change is
/// stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectEvent {
    /// The bucket's (sandbox) name.
    pub bucket: String,
    pub key: String,
    pub deleted: bool,
    /// The operation: `PutObject`, `CopyObject`, `CompleteMultipartUpload`,
    /// `DeleteObject`.
    pub reason: &'static str,
    /// Bytes and the unquoted ETag (created objects only).
    pub size: Option<u64>,
    pub etag: Option<String>,
}

impl Storage {
    fn notify(&self, event: ObjectEvent) {
        if let Some(events) = &self.events {
            let sender = match events.lock() {
                Ok(g) => g,
                Err(poisoned) => poisoned.into_inner(),
            };
            let _ = sender.send(event);
        }
    }
}

/// The local name of a storage resource's bucket (a valid bucket name:
/// lowercase letters, digits and hyphens, at most 63 characters).
pub fn bucket_name(resource: &str, env: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect()
    };
    let name = format!("hoist-sandbox-{}-{}", clean(resource), clean(env));
    if name.len() <= 63 {
        return name;
    }
    // too long: shortened, with a digest of the whole so no two names meet
    let digest = crate::cfn::sha256_hex(name.as_bytes());
    format!("{}-{}", name[..54].trim_end_matches('-'), &digest[..8])
}

fn request_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..16].to_ascii_uppercase()
}

fn percent_decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Encode for `encoding-type=url` and `Location`: everything but unreserved characters and `/`.
fn url_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn query_params(query: &str) -> BTreeMap<String, String> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k, true), percent_decode(v, true))
        })
        .collect()
}

fn http_date(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

fn iso_date(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn xml_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/xml")], body).into_response()
}

fn header_text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The object headers a request stores: content type, cache control,
/// disposition, encoding (without `aws-chunked`) and `x-amz-meta-*`.
fn stored_headers(headers: &HeaderMap) -> Headers {
    let text = |name: &str| header_text(headers, name).map(str::to_string);
    let encoding = text("content-encoding").and_then(|e| {
        let kept: Vec<&str> = e
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty() && !p.eq_ignore_ascii_case("aws-chunked"))
            .collect();
        (!kept.is_empty()).then(|| kept.join(","))
    });
    Headers {
        content_type: text("content-type"),
        cache_control: text("cache-control"),
        content_disposition: text("content-disposition"),
        content_encoding: encoding,
        metadata: headers
            .iter()
            .filter_map(|(k, v)| {
                let name = k.as_str().strip_prefix("x-amz-meta-")?;
                Some((name.to_string(), v.to_str().ok()?.to_string()))
            })
            .collect(),
    }
}

/// An `aws-chunked` body (Amazon S3 API Reference, "Signature
/// Calculations for the Authorization Header: Transferring Payload in
/// Multiple Chunks"): `<hex size>[;chunk-signature=...]\r\n<bytes>\r\n`
/// until a zero-size chunk, then trailing headers. The bytes, and the
/// trailers by lowercase name.
fn decode_aws_chunked(body: &[u8]) -> Result<(Vec<u8>, BTreeMap<String, String>), S3Error> {
    let bad = || invalid("the aws-chunked body is malformed");
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body;
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n").ok_or_else(bad)?;
        let line = std::str::from_utf8(&rest[..line_end]).map_err(|_| bad())?;
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| bad())?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            break;
        }
        // a chunk is never longer than what arrived (and no size overflows)
        let end = size
            .checked_add(2)
            .filter(|e| *e <= rest.len())
            .ok_or_else(bad)?;
        if &rest[size..end] != b"\r\n" {
            return Err(bad());
        }
        out.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
    let mut trailers = BTreeMap::new();
    for line in String::from_utf8_lossy(rest).split("\r\n") {
        if let Some((k, v)) = line.split_once(':') {
            trailers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    Ok((out, trailers))
}

/// Base64 of the big-endian CRC32 of `bytes`, as `x-amz-checksum-crc32` carries it.
fn crc32_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(crc32fast::hash(bytes).to_be_bytes())
}

/// The CORS rule that lets `origin` use `method` (with `request_headers`),
/// the first that matches, as S3 picks it.
fn cors_rule<'r>(
    rules: &'r [CorsRule],
    origin: &str,
    method: &str,
    request_headers: &[String],
) -> Option<&'r CorsRule> {
    rules.iter().find(|rule| {
        rule.allowed_origins.iter().any(|o| wildcard(o, origin))
            && rule.allowed_methods.iter().any(|m| m == method)
            && request_headers.iter().all(|h| {
                rule.allowed_headers
                    .iter()
                    .any(|a| wildcard(&a.to_ascii_lowercase(), &h.to_ascii_lowercase()))
            })
    })
}

fn cors_headers(response: &mut Response, rule: &CorsRule, origin: &str, method: &str) {
    let h = response.headers_mut();
    let value = |s: &str| HeaderValue::from_str(s).ok();
    let any = rule.allowed_origins.iter().any(|o| o == "*");
    if let Some(v) = value(if any { "*" } else { origin }) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
    }
    if !any {
        h.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
    if let Some(v) = value(method) {
        h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, v);
    }
    if !rule.exposed_headers.is_empty()
        && let Some(v) = value(&rule.exposed_headers.join(", "))
    {
        h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, v);
    }
    if let Some(age) = rule.max_age {
        h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from(age));
    }
    h.insert(
        header::VARY,
        HeaderValue::from_static(
            "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
        ),
    );
}

/// The app on the storage port: every path is `/<bucket>[/<key>]`.
pub fn router(storage: Arc<Storage>) -> Router {
    Router::new().fallback(handle).with_state(storage)
}

async fn handle(
    State(storage): State<Arc<Storage>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let id = request_id();
    let raw_path = uri.path().to_string();
    let raw_query = uri.query().unwrap_or_default().to_string();
    let (bucket_part, key_part) = raw_path
        .trim_start_matches('/')
        .split_once('/')
        .unwrap_or((raw_path.trim_start_matches('/'), ""));
    let bucket_name = percent_decode(bucket_part, false);
    let key = percent_decode(key_part, false);
    let origin = header_text(&headers, "origin").map(str::to_string);
    let bucket = storage.buckets.get(&bucket_name);
    let rules = bucket.map(Bucket::rules).unwrap_or_default();

    let (operation, auth, result) = if method == Method::OPTIONS {
        (
            "Preflight".to_string(),
            "-".to_string(),
            preflight(bucket, &rules, &headers),
        )
    } else {
        match bucket {
            None => (
                "-".to_string(),
                "-".to_string(),
                Err(s3_error(
                    StatusCode::NOT_FOUND,
                    "NoSuchBucket",
                    format!(
                        "The specified bucket does not exist: the sandbox serves {} (path-style, http://host:port/<bucket>/<key>)",
                        storage
                            .buckets
                            .keys()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )),
            ),
            Some(bucket) => {
                let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
                    Ok(b) => Ok(b),
                    Err(_) => Err(s3_error(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "EntityTooLarge",
                        format!(
                            "Your proposed upload exceeds the maximum allowed size: the sandbox takes at most {} MiB in one request; send larger files in parts (multipart upload)",
                            MAX_BODY_BYTES / 1024 / 1024
                        ),
                    )),
                };
                let request = S3Request {
                    method: &method,
                    path: &raw_path,
                    query: &raw_query,
                    key: &key,
                    headers: &headers,
                };
                match body {
                    Ok(body) => run(&storage, bucket, &rules, &request, &body),
                    Err(e) => ("-".to_string(), "-".to_string(), Err(e)),
                }
            }
        }
    };
    let head = method == Method::HEAD;
    let errors = match &result {
        Err(e) => vec![json!({"errorType": e.code, "message": e.message})],
        Ok(_) => Vec::new(),
    };
    let mut response = match result {
        Ok(response) => response,
        Err(e) => {
            let body = xml::document(
                "Error",
                &xml::Error {
                    code: e.code,
                    message: &e.message,
                    key: (!key.is_empty() && e.code == "NoSuchKey").then_some(key.as_str()),
                    bucket_name: (e.code == "NoSuchBucket").then_some(bucket_name.as_str()),
                    request_id: &id,
                },
            );
            if head {
                e.status.into_response()
            } else {
                xml_response(e.status, body)
            }
        }
    };
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-amz-request-id", v);
    }
    if method != Method::OPTIONS
        && let Some(origin) = &origin
        && let Some(rule) = cors_rule(&rules.cors, origin, method.as_str(), &[])
    {
        cors_headers(&mut response, rule, origin, method.as_str());
    }
    storage.endpoint.log(&LogLine {
        kind: "s3",
        operation: &format!(
            "{operation} {}",
            if key.is_empty() { &bucket_name } else { &key }
        ),
        auth: &auth,
        elapsed: started.elapsed(),
        errors,
    });
    response
}

/// A CORS preflight (`OPTIONS`), answered by the bucket's CORS rules.
fn preflight(
    bucket: Option<&Bucket>,
    rules: &BucketRules,
    headers: &HeaderMap,
) -> Result<Response, S3Error> {
    let refused = || {
        s3_error(
            StatusCode::FORBIDDEN,
            "AccessForbidden",
            "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec. (The bucket's rules are the storage resource's `cors_origins` in hoist.toml: add the page's origin there.)",
        )
    };
    let (Some(_), Some(origin), Some(method)) = (
        bucket,
        header_text(headers, "origin"),
        header_text(headers, "access-control-request-method"),
    ) else {
        return Err(s3_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Insufficient information. Origin request header needed.",
        ));
    };
    let requested: Vec<String> = header_text(headers, "access-control-request-headers")
        .unwrap_or_default()
        .split(',')
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .collect();
    let rule = cors_rule(&rules.cors, origin, method, &requested).ok_or_else(refused)?;
    let mut response = StatusCode::OK.into_response();
    cors_headers(&mut response, rule, origin, method);
    if !requested.is_empty()
        && let Ok(v) = HeaderValue::from_str(&requested.join(", "))
    {
        response
            .headers_mut()
            .insert(header::ACCESS_CONTROL_ALLOW_HEADERS, v);
    }
    Ok(response)
}

struct S3Request<'a> {
    method: &'a Method,
    /// As sent (percent-encoded).
    path: &'a str,
    /// As sent, without `?`.
    query: &'a str,
    /// Decoded.
    key: &'a str,
    headers: &'a HeaderMap,
}

/// Authenticate, name the operation, authorize it by the policies, run it.
/// Returns the operation's name and the caller's kind for the log line.
fn run(
    storage: &Storage,
    bucket: &Bucket,
    rules: &BucketRules,
    request: &S3Request,
    body: &[u8],
) -> (String, String, Result<Response, S3Error>) {
    let params = query_params(request.query);
    let operation = operation(request.method, request.key, &params, request.headers);
    let authority = &storage.endpoint.authority;
    let (caller, payload) = match signed_caller(authority, &bucket.name, request, body) {
        Ok(c) => c,
        Err(denied) => {
            return (
                operation.to_string(),
                "-".into(),
                Err(signature_error(denied.message)),
            );
        }
    };
    let who = caller.kind.clone();
    let identity_pool = authority.identity_pool_id();
    let allows = |asks: &[Ask]| -> Result<(), S3Error> {
        if asks
            .iter()
            .all(|ask| rules.allows(&caller, &identity_pool, ask))
        {
            Ok(())
        } else {
            Err(access_denied())
        }
    };
    let notify = |event| storage.notify(event);
    let ctx = Ctx {
        bucket,
        rules,
        request,
        params: &params,
        notify: &notify,
    };
    let result = (|| {
        let body = if payload == super::sigv4::Payload::UnsignedChunked {
            let (bytes, trailers) = decode_aws_chunked(body)?;
            Content::Chunked(bytes, trailers)
        } else {
            Content::Plain(body)
        };
        ctx.dispatch(operation, body, &allows)
    })();
    (operation.to_string(), who, result)
}

/// The caller of a signed request, its signature checked as the request was
/// addressed: to this endpoint (path-style), or, when that does not verify,
/// to the bucket's AWS endpoint the client signed for before the generated
/// frontend's shim sent it here (`<bucket>.s3.<region>.amazonaws.com` with
/// the key as path, or path-style `s3.<region>.amazonaws.com`). Either way
/// the signature must verify under the credentials' secret.
fn signed_caller(
    authority: &crate::sandbox::auth::Authority,
    bucket: &str,
    request: &S3Request,
    body: &[u8],
) -> Result<(StorageCaller, super::sigv4::Payload), crate::sandbox::auth::Denied> {
    let check = |host: Option<&str>, path: &str| {
        let header = |name: &str| match (name, host) {
            ("host", Some(h)) => Some(h),
            _ => header_text(request.headers, name),
        };
        authority.storage_caller(
            header,
            Signed {
                method: request.method.as_str(),
                path,
                query: request.query,
                body,
            },
        )
    };
    // every x-amz-* header must be signed, as S3 requires: else one could
    // add, say, x-amz-copy-source to a presigned upload
    let signed_names: Vec<String> = match super::sigv4::Presigned::parse(request.query) {
        Some(Ok(p)) => p.authorization.signed_headers,
        Some(Err(_)) => Vec::new(),
        None => header_text(request.headers, "authorization")
            .and_then(|a| super::sigv4::Authorization::parse(a).ok())
            .map(|a| a.signed_headers)
            .unwrap_or_default(),
    };
    let presigned = request.query.contains("X-Amz-Signature=");
    let unsigned: Vec<&str> = request
        .headers
        .keys()
        .map(|k| k.as_str())
        .filter(|k| k.starts_with("x-amz-") && !signed_names.iter().any(|s| s == k))
        .filter(|k| !(*k == "x-amz-content-sha256" || (*k == "x-amz-security-token" && !presigned)))
        .collect();
    if !unsigned.is_empty() {
        return Err(crate::sandbox::auth::Denied {
            message: format!(
                "There were headers present in the request which were not signed: {}",
                unsigned.join(", ")
            ),
        });
    }
    // a request addressed to AWS is checked only as addressed there (below)
    let host = header_text(request.headers, "host").unwrap_or_default();
    let direct = if host
        .split(':')
        .next()
        .unwrap_or_default()
        .ends_with(".amazonaws.com")
    {
        Err(crate::sandbox::auth::Denied {
            message:
                "The request signature we calculated does not match the signature you provided."
                    .into(),
        })
    } else {
        check(None, request.path)
    };
    let Err(first) = &direct else {
        return direct;
    };
    if !first
        .message
        .starts_with("The request signature we calculated")
    {
        return direct;
    }
    let region = authority.region();
    let under_bucket = request
        .path
        .strip_prefix('/')
        .and_then(|p| p.split_once('/'))
        .map(|(_, rest)| format!("/{rest}"))
        .unwrap_or_else(|| "/".to_string());
    let virtual_host = format!("{bucket}.s3.{region}.amazonaws.com");
    let path_style = format!("s3.{region}.amazonaws.com");
    check(Some(&virtual_host), &under_bucket)
        .or_else(|_| check(Some(&path_style), request.path))
        .or(direct)
}

/// A request body, as sent or decoded from `aws-chunked` with its trailers.
enum Content<'a> {
    Plain(&'a [u8]),
    Chunked(Vec<u8>, BTreeMap<String, String>),
}

impl Content<'_> {
    fn bytes(&self) -> &[u8] {
        match self {
            Content::Plain(b) => b,
            Content::Chunked(b, _) => b,
        }
    }

    fn trailer(&self, name: &str) -> Option<&str> {
        match self {
            Content::Chunked(_, t) => t.get(name).map(String::as_str),
            Content::Plain(_) => None,
        }
    }
}

/// The query parameters of the operations the sandbox runs (and the SDKs'
/// `x-id`, and a presigned URL's `X-Amz-*`). A request with any other
/// (`?tagging`, `?acl`, `?versionId`, ...) is another operation, which the
/// sandbox refuses rather than run as the object operation it resembles.
fn known_parameter(name: &str) -> bool {
    const KNOWN: &[&str] = &[
        "list-type",
        "prefix",
        "delimiter",
        "max-keys",
        "continuation-token",
        "start-after",
        "encoding-type",
        "fetch-owner",
        "x-id",
        "uploads",
        "uploadId",
        "partNumber",
        "max-parts",
        "part-number-marker",
        "delete",
    ];
    KNOWN.contains(&name) || name.starts_with("X-Amz-") || name.starts_with("response-")
}

/// The S3 operation a request is, by method, key and query (Amazon S3 API Reference).
fn operation(
    method: &Method,
    key: &str,
    params: &BTreeMap<String, String>,
    headers: &HeaderMap,
) -> &'static str {
    if params.keys().any(|k| !known_parameter(k)) {
        return "Unsupported";
    }
    let has = |p: &str| params.contains_key(p);
    match (method.as_str(), key.is_empty()) {
        ("GET", true) if params.get("list-type").is_some_and(|v| v == "2") => "ListObjectsV2",
        ("GET", true) => "ListObjects",
        ("HEAD", true) => "HeadBucket",
        ("POST", true) if has("delete") => "DeleteObjects",
        ("GET", false) if has("uploadId") => "ListParts",
        ("GET", false) => "GetObject",
        ("HEAD", false) => "HeadObject",
        ("PUT", false) if has("partNumber") && has("uploadId") => {
            if headers.contains_key("x-amz-copy-source") {
                "UploadPartCopy"
            } else {
                "UploadPart"
            }
        }
        ("PUT", false) if headers.contains_key("x-amz-copy-source") => "CopyObject",
        ("PUT", false) => "PutObject",
        ("POST", false) if has("uploads") => "CreateMultipartUpload",
        ("POST", false) if has("uploadId") => "CompleteMultipartUpload",
        ("DELETE", false) if has("uploadId") => "AbortMultipartUpload",
        ("DELETE", false) => "DeleteObject",
        _ => "Unsupported",
    }
}

/// Whether an `If-Match` / `If-None-Match` list names `etag` (or is `*`).
fn etag_listed(list: &str, etag: &str) -> bool {
    list.split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.trim_start_matches("W/").trim_matches('"') == etag.trim_matches('"'))
}

/// A `Range: bytes=...` header for an object of `size` bytes, as S3 reads
/// it (RFC 9110, "Range"): None when S3 ignores it (not one byte range: it
/// serves the whole object), `Err` when it cannot be satisfied, else the
/// first and last byte (inclusive).
fn parse_range(range: &str, size: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = range.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        let n: u64 = last.parse().ok()?;
        if n == 0 || size == 0 {
            return Some(Err(()));
        }
        return Some(Ok((size.saturating_sub(n), size - 1)));
    }
    let start: u64 = first.parse().ok()?;
    let end = if last.is_empty() {
        None
    } else {
        Some(last.parse::<u64>().ok()?)
    };
    if end.is_some_and(|e| e < start) {
        return None;
    }
    if start >= size {
        return Some(Err(()));
    }
    Some(Ok((start, end.unwrap_or(size - 1).min(size - 1))))
}

/// Where the next page of a listing starts: after a key, or after every key
/// under a common prefix. Opaque to clients (base64url).
#[derive(Debug, Clone, PartialEq)]
enum Continuation {
    After(String),
    Skip(String),
}

impl Continuation {
    fn encode(&self) -> String {
        let text = match self {
            Continuation::After(k) => format!("k{k}"),
            Continuation::Skip(p) => format!("p{p}"),
        };
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
    }

    fn decode(token: &str) -> Option<Continuation> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .ok()?;
        let text = String::from_utf8(bytes).ok()?;
        match text.split_at_checked(1)? {
            ("k", k) => Some(Continuation::After(k.to_string())),
            ("p", p) => Some(Continuation::Skip(p.to_string())),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
