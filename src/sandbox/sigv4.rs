//! Checking AWS Signature Version 4 on requests to the sandbox, as AWS checks
//! them (AWS Identity and Access Management User Guide, "Create a signed AWS
//! API request" and "Elements of an AWS API request signature"): the
//! canonical request, the string to sign, the signing key derived from the
//! secret through the date, region and service, and the signature compared
//! in constant time.
//!
//! Two forms are read: the `Authorization` header (`AWS4-HMAC-SHA256
//! Credential=AKID/20250101/us-east-1/appsync/aws4_request,
//! SignedHeaders=host;x-amz-date, Signature=<hex>`), whose `X-Amz-Date`
//! must be within 5 minutes of the sandbox's clock, and S3's presigned URLs
//! (the same elements in the query string, good for `X-Amz-Expires`
//! seconds). The credential scope's date must be the request's date, and
//! `host` must be signed. S3 requests name their payload's hash in
//! `x-amz-content-sha256` ([`Payload`]).

use hmac::{Hmac, Mac};
use sha2::Sha256;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// How far a request's `X-Amz-Date` may be from now.
const MAX_SKEW_SECONDS: i64 = 5 * 60;

/// Why a signature was refused, in words close to AWS's own messages.
#[derive(Debug, Clone, PartialEq)]
pub struct SigError(pub String);

fn refuse(message: impl Into<String>) -> SigError {
    SigError(message.into())
}

/// The parts of an `Authorization` header.
#[derive(Debug, Clone, PartialEq)]
pub struct Authorization {
    pub access_key_id: String,
    /// `YYYYMMDD`
    pub date: String,
    pub region: String,
    pub service: String,
    /// Lowercase, in the order given.
    pub signed_headers: Vec<String>,
    pub signature: String,
}

impl Authorization {
    /// Parse a SigV4 `Authorization` header. Errors: another scheme, a missing
    /// or malformed element.
    pub fn parse(header: &str) -> Result<Authorization, SigError> {
        let rest = header
            .strip_prefix(ALGORITHM)
            .ok_or_else(|| refuse(format!("only {ALGORITHM} signatures are taken")))?;
        let mut credential = None;
        let mut signed = None;
        let mut signature = None;
        for part in rest.split(',') {
            let part = part.trim();
            if let Some(v) = part.strip_prefix("Credential=") {
                credential = Some(v);
            } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
                signed = Some(v);
            } else if let Some(v) = part.strip_prefix("Signature=") {
                signature = Some(v);
            }
        }
        let missing =
            |what: &str| refuse(format!("Authorization header requires '{what}' parameter."));
        let credential = credential.ok_or_else(|| missing("Credential"))?;
        let signed = signed.ok_or_else(|| missing("SignedHeaders"))?;
        let signature = signature.ok_or_else(|| missing("Signature"))?;
        let scope: Vec<&str> = credential.split('/').collect();
        let [akid, date, region, service, "aws4_request"] = scope[..] else {
            return Err(refuse(
                "Credential should be scoped to a valid region, service and aws4_request",
            ));
        };
        if akid.is_empty() || date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
            return Err(refuse("Credential is malformed"));
        }
        if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(refuse("Signature is malformed"));
        }
        Ok(Authorization {
            access_key_id: akid.to_string(),
            date: date.to_string(),
            region: region.to_string(),
            service: service.to_string(),
            signed_headers: signed
                .split(';')
                .map(|h| h.trim().to_ascii_lowercase())
                .collect(),
            signature: signature.to_ascii_lowercase(),
        })
    }
}

/// A request as it arrived, for checking its signature.
pub struct Request<'a> {
    pub method: &'a str,
    /// The path as sent (still percent-encoded).
    pub path: &'a str,
    /// The query string as sent, without `?`.
    pub query: &'a str,
    /// Every value of a header, by lowercase name.
    pub header: &'a dyn Fn(&str) -> Vec<String>,
    pub body: &'a [u8],
}

/// RFC 3986 encoding as SigV4 wants it: everything but unreserved characters.
fn uri_encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn percent_decode(text: &str) -> String {
    decode(text, false)
}

/// A query string's part decoded: `+` is a space there, as browsers'
/// `URLSearchParams` (and so `aws-amplify`) send it, and S3 reads it.
fn query_decode(text: &str) -> String {
    decode(text, true)
}

fn decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(if plus_is_space && bytes[i] == b'+' {
            b' '
        } else {
            bytes[i]
        });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The canonical URI: each segment encoded once more than it arrived, except
/// for S3, whose paths are encoded once.
fn canonical_uri(path: &str, service: &str) -> String {
    let path = if path.is_empty() { "/" } else { path };
    if service == "s3" {
        uri_encode(&percent_decode(path), true)
    } else {
        uri_encode(path, true)
    }
}

fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                uri_encode(&query_decode(k), false),
                uri_encode(&query_decode(v), false),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether two byte strings are equal, in time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `HMAC-SHA256(key, data)`, hex: for deriving the sandbox's credential secrets.
pub fn hmac_hex(key: &[u8], data: &[u8]) -> String {
    hex(&hmac(key, data))
}

/// The time of `X-Amz-Date` (`YYYYMMDD'T'HHMMSS'Z'`), in seconds since the epoch.
fn amz_time(text: &str) -> Option<i64> {
    chrono::NaiveDateTime::parse_from_str(text, "%Y%m%dT%H%M%SZ")
        .ok()
        .map(|t| t.and_utc().timestamp())
}

/// What `x-amz-content-sha256` says of an S3 request's body (Amazon S3 API
/// Reference, "Signature Calculations for the Authorization Header":
/// the header is required, and is either the body's SHA-256 or one of the
/// literal values for an unsigned or chunked payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    /// The body's hash was given (and checked): the body is covered.
    Signed,
    /// `UNSIGNED-PAYLOAD`: the body is not covered by the signature.
    Unsigned,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: an `aws-chunked` body with a
    /// trailing checksum, not covered by the signature.
    UnsignedChunked,
}

/// The payload hash that goes into the canonical request. For services but
/// S3 it is the body's own hash (a claimed `x-amz-content-sha256` must say
/// the same); for S3 it is the header's value, which must be the body's hash
/// or `UNSIGNED-PAYLOAD` / `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
fn payload_hash(request: &Request, service: &str) -> Result<(String, Payload), SigError> {
    // hashed only when the hash is used: an unsigned upload is not read twice
    let actual = || crate::cfn::sha256_hex(request.body);
    let claimed = (request.header)("x-amz-content-sha256").into_iter().next();
    let claimed = claimed.as_deref().map(str::trim);
    if service != "s3" {
        let actual = actual();
        if claimed.is_some_and(|c| !c.eq_ignore_ascii_case(&actual)) {
            return Err(refuse(
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            ));
        }
        return Ok((actual, Payload::Signed));
    }
    match claimed {
        None => Err(refuse(
            "Missing required header for this request: x-amz-content-sha256",
        )),
        Some("UNSIGNED-PAYLOAD") => Ok(("UNSIGNED-PAYLOAD".into(), Payload::Unsigned)),
        Some("STREAMING-UNSIGNED-PAYLOAD-TRAILER") => Ok((
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER".into(),
            Payload::UnsignedChunked,
        )),
        Some(c) if c.starts_with("STREAMING-") => Err(refuse(format!(
            "x-amz-content-sha256 `{c}` (signed chunks) is not taken by the sandbox; sign the whole body, or send it unsigned (UNSIGNED-PAYLOAD)"
        ))),
        Some(c) if c.len() == 64 && c.eq_ignore_ascii_case(&actual()) => {
            Ok((c.to_ascii_lowercase(), Payload::Signed))
        }
        Some(_) => Err(refuse(
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        )),
    }
}

/// The signature of `canonical` (the canonical request) under `secret`,
/// for the scope of `authorization` at `amz_date`, compared with the one given.
fn signature_matches(
    authorization: &Authorization,
    secret: &str,
    amz_date: &str,
    canonical: &str,
) -> Result<(), SigError> {
    let scope = format!(
        "{}/{}/{}/aws4_request",
        authorization.date, authorization.region, authorization.service
    );
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        crate::cfn::sha256_hex(canonical.as_bytes())
    );
    let mut key = hmac(
        format!("AWS4{secret}").as_bytes(),
        authorization.date.as_bytes(),
    );
    for part in [
        authorization.region.as_str(),
        authorization.service.as_str(),
        "aws4_request",
    ] {
        key = hmac(&key, part.as_bytes());
    }
    let expected = hex(&hmac(&key, string_to_sign.as_bytes()));
    if !constant_time_eq(expected.as_bytes(), authorization.signature.as_bytes()) {
        return Err(refuse(
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
        ));
    }
    Ok(())
}

/// The canonical headers block: each signed header, its values trimmed and
/// joined. Errors: a signed header the request does not carry.
fn canonical_headers(request: &Request, signed: &[String]) -> Result<String, SigError> {
    if !signed.iter().any(|h| h == "host") {
        return Err(refuse("'Host' must be a signed header"));
    }
    let mut out = String::new();
    for name in signed {
        let values = (request.header)(name);
        if values.is_empty() {
            return Err(refuse(format!(
                "the signed header `{name}` is not in the request"
            )));
        }
        let value = values
            .iter()
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
            .join(",");
        out.push_str(&format!("{name}:{value}\n"));
    }
    Ok(out)
}

/// Check `request`'s signature with `secret` (the secret access key of the
/// access key id its `Authorization` names), at time `now` (seconds since
/// the epoch). Returns how the body was covered. Errors: an unsigned
/// `host`, a missing or skewed `X-Amz-Date`, a scope date that is not the
/// request's, a body that is not the one hashed, a signature that does not
/// match.
pub fn verify(
    request: &Request,
    authorization: &Authorization,
    secret: &str,
    now: i64,
) -> Result<Payload, SigError> {
    let signed = &authorization.signed_headers;
    let headers = canonical_headers(request, signed)?;
    let amz_date = (request.header)("x-amz-date")
        .into_iter()
        .next()
        .ok_or_else(|| refuse("the request has no X-Amz-Date header"))?;
    let time = amz_time(amz_date.trim())
        .ok_or_else(|| refuse(format!("X-Amz-Date `{amz_date}` is not YYYYMMDDTHHMMSSZ")))?;
    if (now - time).abs() > MAX_SKEW_SECONDS {
        return Err(refuse(format!(
            "Signature expired: {amz_date} is not within 5 minutes of the sandbox's time"
        )));
    }
    if !amz_date.starts_with(&authorization.date) {
        return Err(refuse(
            "the credential scope's date is not the date of X-Amz-Date",
        ));
    }
    let (payload_hash, payload) = payload_hash(request, &authorization.service)?;
    let canonical = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        request.method,
        canonical_uri(request.path, &authorization.service),
        canonical_query(request.query),
        headers,
        signed.join(";"),
        payload_hash
    );
    signature_matches(authorization, secret, amz_date.trim(), &canonical)?;
    Ok(payload)
}

/// The longest a presigned URL may live (Amazon S3 User Guide, "Sharing
/// objects with presigned URLs": 7 days with SigV4).
const MAX_PRESIGNED_SECONDS: i64 = 7 * 24 * 3600;

/// A presigned URL's signature, from its query string (`X-Amz-Algorithm`,
/// `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders`,
/// `X-Amz-Signature`, and `X-Amz-Security-Token` for temporary credentials).
#[derive(Debug, Clone, PartialEq)]
pub struct Presigned {
    pub authorization: Authorization,
    /// `YYYYMMDD'T'HHMMSS'Z'`
    pub amz_date: String,
    /// Seconds the URL lives from `amz_date`.
    pub expires: i64,
    pub security_token: Option<String>,
}

impl Presigned {
    /// The presigned signature in `query`; None when the query carries none
    /// (no `X-Amz-Signature`). Errors: a missing or malformed element.
    pub fn parse(query: &str) -> Option<Result<Presigned, SigError>> {
        let params: Vec<(String, String)> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (query_decode(k), query_decode(v))
            })
            .collect();
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let signature = get("X-Amz-Signature")?;
        Some((|| {
            let missing = |what: &str| {
                refuse(format!(
                    "Query-string authentication requires the {what} parameter"
                ))
            };
            let algorithm = get("X-Amz-Algorithm").ok_or_else(|| missing("X-Amz-Algorithm"))?;
            let credential = get("X-Amz-Credential").ok_or_else(|| missing("X-Amz-Credential"))?;
            let signed =
                get("X-Amz-SignedHeaders").ok_or_else(|| missing("X-Amz-SignedHeaders"))?;
            let amz_date = get("X-Amz-Date").ok_or_else(|| missing("X-Amz-Date"))?;
            let expires = get("X-Amz-Expires").ok_or_else(|| missing("X-Amz-Expires"))?;
            let expires: i64 = expires
                .parse()
                .ok()
                .filter(|e| (1..=MAX_PRESIGNED_SECONDS).contains(e))
                .ok_or_else(|| {
                    refuse("X-Amz-Expires must be a number of seconds from 1 to 604800")
                })?;
            let authorization = Authorization::parse(&format!(
                "{algorithm} Credential={credential}, SignedHeaders={signed}, Signature={signature}"
            ))?;
            Ok(Presigned {
                authorization,
                amz_date: amz_date.to_string(),
                expires,
                security_token: get("X-Amz-Security-Token").map(str::to_string),
            })
        })())
    }
}

/// Check a presigned URL's signature (Amazon S3 API Reference,
/// "Authenticating Requests: Using Query Parameters"): the canonical query is
/// every parameter but `X-Amz-Signature`, the payload is `UNSIGNED-PAYLOAD`,
/// and the URL is good from `X-Amz-Date` for `X-Amz-Expires` seconds.
pub fn verify_presigned(
    request: &Request,
    presigned: &Presigned,
    secret: &str,
    now: i64,
) -> Result<(), SigError> {
    let authorization = &presigned.authorization;
    let headers = canonical_headers(request, &authorization.signed_headers)?;
    let time = amz_time(&presigned.amz_date).ok_or_else(|| {
        refuse(format!(
            "X-Amz-Date `{}` is not YYYYMMDDTHHMMSSZ",
            presigned.amz_date
        ))
    })?;
    if now + MAX_SKEW_SECONDS < time {
        return Err(refuse("Request is not valid yet"));
    }
    if now > time + presigned.expires {
        return Err(refuse("Request has expired"));
    }
    if !presigned.amz_date.starts_with(&authorization.date) {
        return Err(refuse(
            "the credential scope's date is not the date of X-Amz-Date",
        ));
    }
    let query: Vec<&str> = request
        .query
        .split('&')
        .filter(|p| {
            let name = p.split_once('=').map_or(*p, |(k, _)| k);
            query_decode(name) != "X-Amz-Signature"
        })
        .collect();
    let canonical = format!(
        "{}\n{}\n{}\n{}\n{}\nUNSIGNED-PAYLOAD",
        request.method,
        canonical_uri(request.path, &authorization.service),
        canonical_query(&query.join("&")),
        headers,
        authorization.signed_headers.join(";"),
    );
    signature_matches(authorization, secret, &presigned.amz_date, &canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The IAM User Guide's worked example ("Create a signed AWS API
    /// request", the `ListUsers` GET with its example key), recomputed.
    #[test]
    fn the_user_guides_example_verifies() {
        let headers = |name: &str| -> Vec<String> {
            match name {
                "content-type" => vec!["application/x-www-form-urlencoded; charset=utf-8".into()],
                "host" => vec!["iam.amazonaws.com".into()],
                "x-amz-date" => vec!["20150830T123600Z".into()],
                _ => vec![],
            }
        };
        let request = Request {
            method: "GET",
            path: "/",
            query: "Action=ListUsers&Version=2010-05-08",
            header: &headers,
            body: b"",
        };
        let auth = Authorization::parse(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
        )
        .unwrap();
        let now = amz_time("20150830T123600Z").unwrap();
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        assert_eq!(verify(&request, &auth, secret, now), Ok(Payload::Signed));
        assert!(verify(&request, &auth, "wrong", now).is_err());
        assert!(verify(&request, &auth, secret, now + 301).is_err());
        let tampered = Request {
            query: "Action=DeleteUser&Version=2010-05-08",
            ..request
        };
        assert!(verify(&tampered, &auth, secret, now).is_err());
        // a body hash header that is not the body's is refused, whatever was signed
        let claims_other_body = |name: &str| -> Vec<String> {
            if name == "x-amz-content-sha256" {
                vec![crate::cfn::sha256_hex(b"another body")]
            } else {
                headers(name)
            }
        };
        let lying = Request {
            header: &claims_other_body,
            ..request
        };
        assert!(verify(&lying, &auth, secret, now).is_err());
    }

    #[test]
    fn malformed_headers_are_refused() {
        for header in [
            "Bearer x",
            "AWS4-HMAC-SHA256 Credential=AKID/2015/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00",
            "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00",
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/aws4_request, SignedHeaders=host, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
        ] {
            assert!(Authorization::parse(header).is_err(), "{header}");
        }
    }
}
