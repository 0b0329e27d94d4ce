//! The S3 operations the sandbox runs, once a request is authenticated:
//! each asks IAM (the bucket's rules) for what it touches, then works on
//! the bucket's objects.

use super::*;

/// One authenticated request to a bucket, and what it runs against.
pub(super) struct Ctx<'a> {
    pub(super) bucket: &'a Bucket,
    pub(super) rules: &'a BucketRules,
    pub(super) request: &'a S3Request<'a>,
    pub(super) params: &'a BTreeMap<String, String>,
    /// Where a stored change is told (the storage triggers).
    pub(super) notify: &'a dyn Fn(ObjectEvent),
}

impl Ctx<'_> {
    fn object_ask(&self, action: &'static str, key: &str) -> Ask<'static> {
        Ask {
            action,
            resource: format!("{}/{key}", self.rules.arn),
            keys: Vec::new(),
        }
    }

    fn created(&self, reason: &'static str, meta: &ObjectMeta) {
        (self.notify)(ObjectEvent {
            bucket: self.bucket.name.clone(),
            key: meta.key.clone(),
            deleted: false,
            reason,
            size: Some(meta.size),
            etag: Some(meta.etag.trim_matches('"').to_string()),
        });
    }

    /// Delete `key`; an object that was there is told of.
    fn delete(&self, key: &str) -> Result<(), S3Error> {
        if self.bucket.objects.delete(key).map_err(internal)? {
            (self.notify)(ObjectEvent {
                bucket: self.bucket.name.clone(),
                key: key.to_string(),
                deleted: true,
                reason: "DeleteObject",
                size: None,
                etag: None,
            });
        }
        Ok(())
    }

    fn header(&self, name: &str) -> Option<&str> {
        header_text(self.request.headers, name)
    }

    pub(super) fn dispatch(
        &self,
        operation: &str,
        body: Content<'_>,
        allows: &dyn Fn(&[Ask]) -> Result<(), S3Error>,
    ) -> Result<Response, S3Error> {
        let key = self.request.key;
        if !key.is_empty() && key.len() > MAX_KEY_BYTES {
            return Err(s3_error(
                StatusCode::BAD_REQUEST,
                "KeyTooLongError",
                "Your key is too long",
            ));
        }
        match operation {
            "ListObjectsV2" => {
                let prefix = self.params.get("prefix").cloned().unwrap_or_default();
                let mut keys = vec![("s3:prefix", prefix.clone())];
                if let Some(d) = self.params.get("delimiter") {
                    keys.push(("s3:delimiter", d.clone()));
                }
                if let Some(m) = self.params.get("max-keys") {
                    keys.push(("s3:max-keys", m.clone()));
                }
                allows(&[Ask {
                    action: "s3:ListBucket",
                    resource: self.rules.arn.clone(),
                    keys,
                }])?;
                self.list(&prefix)
            }
            "GetObject" | "HeadObject" => {
                allows(&[self.object_ask("s3:GetObject", key)])?;
                self.get(operation == "HeadObject")
            }
            "PutObject" => {
                allows(&[self.object_ask("s3:PutObject", key)])?;
                self.put(body)
            }
            "CopyObject" => self.copy(allows),
            "DeleteObject" => {
                allows(&[self.object_ask("s3:DeleteObject", key)])?;
                self.delete(key)?;
                Ok(StatusCode::NO_CONTENT.into_response())
            }
            "DeleteObjects" => self.delete_objects(body.bytes(), allows),
            "CreateMultipartUpload" => {
                allows(&[self.object_ask("s3:PutObject", key)])?;
                let id = self
                    .bucket
                    .objects
                    .create_upload(key, stored_headers(self.request.headers))
                    .map_err(internal)?;
                Ok(xml_response(
                    StatusCode::OK,
                    xml::document(
                        "InitiateMultipartUploadResult",
                        &xml::InitiateMultipartUploadResult {
                            xmlns: xml::NAMESPACE,
                            bucket: self.bucket.name.clone(),
                            key: key.to_string(),
                            upload_id: id,
                        },
                    ),
                ))
            }
            "UploadPart" => {
                allows(&[self.object_ask("s3:PutObject", key)])?;
                let number: u32 = self.params["partNumber"].parse().map_err(|_| {
                    invalid("Part number must be an integer between 1 and 10000, inclusive")
                })?;
                self.check_digests(&body)?;
                let etag = self.bucket.objects.upload_part(
                    &self.params["uploadId"],
                    key,
                    number,
                    body.bytes(),
                )?;
                Ok((StatusCode::OK, [(header::ETAG, etag)]).into_response())
            }
            "CompleteMultipartUpload" => {
                allows(&[self.object_ask("s3:PutObject", key)])?;
                let text = std::str::from_utf8(body.bytes()).map_err(|_| malformed_xml())?;
                let parsed: xml::CompleteMultipartUpload =
                    quick_xml::de::from_str(text).map_err(|_| malformed_xml())?;
                let listed: Vec<(u32, String)> = parsed
                    .part
                    .into_iter()
                    .map(|p| (p.part_number, p.etag))
                    .collect();
                let meta = self
                    .bucket
                    .objects
                    .complete(&self.params["uploadId"], key, &listed)?;
                self.created("CompleteMultipartUpload", &meta);
                let host = self.header("host").unwrap_or("localhost");
                Ok(xml_response(
                    StatusCode::OK,
                    xml::document(
                        "CompleteMultipartUploadResult",
                        &xml::CompleteMultipartUploadResult {
                            xmlns: xml::NAMESPACE,
                            location: format!(
                                "http://{host}/{}/{}",
                                self.bucket.name,
                                url_encode(key)
                            ),
                            bucket: self.bucket.name.clone(),
                            key: key.to_string(),
                            etag: meta.etag,
                        },
                    ),
                ))
            }
            "AbortMultipartUpload" => {
                allows(&[self.object_ask("s3:AbortMultipartUpload", key)])?;
                self.bucket.objects.abort(&self.params["uploadId"], key)?;
                Ok(StatusCode::NO_CONTENT.into_response())
            }
            "ListParts" => {
                allows(&[self.object_ask("s3:ListMultipartUploadParts", key)])?;
                let id = &self.params["uploadId"];
                let upload = self.bucket.objects.parts(id, key)?;
                Ok(xml_response(
                    StatusCode::OK,
                    xml::document(
                        "ListPartsResult",
                        &xml::ListPartsResult {
                            xmlns: xml::NAMESPACE,
                            bucket: self.bucket.name.clone(),
                            key: key.to_string(),
                            upload_id: id.clone(),
                            max_parts: 1000,
                            is_truncated: false,
                            part: upload
                                .parts
                                .iter()
                                .map(|(n, (etag, size, at))| xml::Part {
                                    part_number: *n,
                                    last_modified: iso_date(*at),
                                    etag: etag.clone(),
                                    size: *size,
                                })
                                .collect(),
                        },
                    ),
                ))
            }
            other => Err(s3_error(
                StatusCode::NOT_IMPLEMENTED,
                "NotImplemented",
                format!(
                    "the sandbox's S3 does not run {} ({} {}); it runs what aws-amplify storage and the SDKs use for objects: Put/Get/Head/Delete/CopyObject, DeleteObjects, ListObjectsV2 and multipart uploads",
                    if other == "Unsupported" {
                        "this request"
                    } else {
                        other
                    },
                    self.request.method,
                    self.request.path
                ),
            )),
        }
    }

    /// `Content-MD5` and `x-amz-checksum-crc32` (header or trailer), checked
    /// against the bytes as S3 checks them. The CRC32 given, if any.
    fn check_digests(&self, body: &Content<'_>) -> Result<Option<String>, S3Error> {
        let bytes = body.bytes();
        if let Some(md5) = self.header("content-md5") {
            let given = base64::engine::general_purpose::STANDARD
                .decode(md5.trim())
                .map_err(|_| {
                    s3_error(
                        StatusCode::BAD_REQUEST,
                        "InvalidDigest",
                        "The Content-MD5 you specified was invalid.",
                    )
                })?;
            use md5::Digest as _;
            if given != md5::Md5::digest(bytes).to_vec() {
                return Err(s3_error(
                    StatusCode::BAD_REQUEST,
                    "BadDigest",
                    "The Content-MD5 you specified did not match what we received.",
                ));
            }
        }
        let crc = self
            .header("x-amz-checksum-crc32")
            .or_else(|| body.trailer("x-amz-checksum-crc32"));
        if let Some(crc) = crc {
            if crc.trim() != crc32_base64(bytes) {
                return Err(s3_error(
                    StatusCode::BAD_REQUEST,
                    "BadDigest",
                    "The CRC32 you specified did not match the calculated checksum.",
                ));
            }
            return Ok(Some(crc.trim().to_string()));
        }
        Ok(None)
    }

    fn put(&self, body: Content<'_>) -> Result<Response, S3Error> {
        let key = self.request.key;
        let crc = self.check_digests(&body)?;
        let if_absent = self.header("if-none-match").map(str::trim) == Some("*");
        let meta = self.bucket.objects.put(
            key,
            body.bytes(),
            &stored_headers(self.request.headers),
            crc.clone(),
            if_absent,
        )?;
        self.created("PutObject", &meta);
        let mut response = (
            StatusCode::OK,
            [
                (header::ETAG, meta.etag),
                (
                    header::HeaderName::from_static("x-amz-server-side-encryption"),
                    "AES256".to_string(),
                ),
            ],
        )
            .into_response();
        if let Some(crc) = crc
            && let Ok(v) = HeaderValue::from_str(&crc)
        {
            response.headers_mut().insert("x-amz-checksum-crc32", v);
        }
        Ok(response)
    }

    fn get(&self, head: bool) -> Result<Response, S3Error> {
        let key = self.request.key;
        let meta = self.bucket.objects.head(key).ok_or_else(no_such_key)?;
        if let Some(tags) = self.header("if-match")
            && !etag_listed(tags, &meta.etag)
        {
            return Err(precondition_failed());
        }
        if let Some(tags) = self.header("if-none-match")
            && etag_listed(tags, &meta.etag)
        {
            let mut response = StatusCode::NOT_MODIFIED.into_response();
            if let Ok(v) = HeaderValue::from_str(&meta.etag) {
                response.headers_mut().insert(header::ETAG, v);
            }
            return Ok(response);
        }
        // the metadata served is the one read with the bytes
        let (meta, bytes) = if head {
            (meta, Vec::new())
        } else {
            self.bucket.objects.get(key)?
        };
        let range = match self.header("range").and_then(|r| parse_range(r, meta.size)) {
            Some(Ok(r)) => Some(r),
            Some(Err(())) => {
                return Err(s3_error(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    "InvalidRange",
                    "The requested range is not satisfiable",
                ));
            }
            None => None,
        };
        let (status, body, length) = match range {
            Some((start, end)) if !head => {
                let end = end.min(bytes.len().saturating_sub(1) as u64);
                (
                    StatusCode::PARTIAL_CONTENT,
                    bytes
                        .get(start as usize..=end as usize)
                        .unwrap_or_default()
                        .to_vec(),
                    end.saturating_sub(start) + 1,
                )
            }
            Some((start, end)) => (StatusCode::PARTIAL_CONTENT, Vec::new(), end - start + 1),
            None => (StatusCode::OK, bytes, meta.size),
        };
        let mut response = Response::new(axum::body::Body::from(body));
        *response.status_mut() = status;
        let h = response.headers_mut();
        let mut set = |name: &str, value: &str| {
            if let (Ok(n), Ok(v)) = (
                header::HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                h.insert(n, v);
            }
        };
        let override_or = |param: &str, stored: Option<&str>| -> Option<String> {
            self.params
                .get(param)
                .cloned()
                .or_else(|| stored.map(str::to_string))
        };
        set("content-length", &length.to_string());
        set("etag", &meta.etag);
        set("last-modified", &http_date(meta.last_modified));
        set("accept-ranges", "bytes");
        set("x-amz-server-side-encryption", "AES256");
        if let Some(t) = override_or("response-content-type", Some(&meta.content_type)) {
            set("content-type", &t);
        }
        for (param, name, stored) in [
            (
                "response-cache-control",
                "cache-control",
                meta.cache_control.as_deref(),
            ),
            (
                "response-content-disposition",
                "content-disposition",
                meta.content_disposition.as_deref(),
            ),
            (
                "response-content-encoding",
                "content-encoding",
                meta.content_encoding.as_deref(),
            ),
        ] {
            if let Some(v) = override_or(param, stored) {
                set(name, &v);
            }
        }
        for (name, value) in &meta.metadata {
            set(&format!("x-amz-meta-{name}"), value);
        }
        if let Some((start, end)) = range {
            set(
                "content-range",
                &format!("bytes {start}-{end}/{}", meta.size),
            );
        }
        if self
            .header("x-amz-checksum-mode")
            .is_some_and(|m| m.eq_ignore_ascii_case("enabled"))
            && range.is_none()
            && let Some(crc) = &meta.checksum_crc32
        {
            set("x-amz-checksum-crc32", crc);
        }
        Ok(response)
    }

    fn copy(&self, allows: &dyn Fn(&[Ask]) -> Result<(), S3Error>) -> Result<Response, S3Error> {
        let key = self.request.key;
        let source = self.header("x-amz-copy-source").unwrap_or_default();
        let source = source.split('?').next().unwrap_or_default();
        let source = percent_decode(source.trim_start_matches('/'), false);
        let (source_bucket, source_key) = source.split_once('/').ok_or_else(|| {
            invalid("Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
        })?;
        if source_bucket != self.bucket.name {
            return Err(s3_error(
                StatusCode::NOT_IMPLEMENTED,
                "NotImplemented",
                "the sandbox copies objects within a bucket only",
            ));
        }
        allows(&[
            self.object_ask("s3:GetObject", source_key),
            self.object_ask("s3:PutObject", key),
        ])?;
        let (meta, bytes) = self.bucket.objects.get(source_key)?;
        let replace = self
            .header("x-amz-metadata-directive")
            .is_some_and(|d| d.eq_ignore_ascii_case("REPLACE"));
        let headers = if replace {
            stored_headers(self.request.headers)
        } else {
            Headers {
                content_type: Some(meta.content_type.clone()),
                cache_control: meta.cache_control.clone(),
                content_disposition: meta.content_disposition.clone(),
                content_encoding: meta.content_encoding.clone(),
                metadata: meta.metadata.clone(),
            }
        };
        let copied =
            self.bucket
                .objects
                .put(key, &bytes, &headers, meta.checksum_crc32.clone(), false)?;
        self.created("CopyObject", &copied);
        Ok(xml_response(
            StatusCode::OK,
            xml::document(
                "CopyObjectResult",
                &xml::CopyObjectResult {
                    etag: copied.etag,
                    last_modified: iso_date(copied.last_modified),
                },
            ),
        ))
    }

    fn delete_objects(
        &self,
        body: &[u8],
        allows: &dyn Fn(&[Ask]) -> Result<(), S3Error>,
    ) -> Result<Response, S3Error> {
        let text = std::str::from_utf8(body).map_err(|_| malformed_xml())?;
        let parsed: xml::Delete = quick_xml::de::from_str(text).map_err(|_| malformed_xml())?;
        if parsed.object.len() > 1000 {
            return Err(malformed_xml());
        }
        let mut result = xml::DeleteResult {
            xmlns: xml::NAMESPACE,
            deleted: Vec::new(),
            error: Vec::new(),
        };
        for object in parsed.object {
            match allows(&[self.object_ask("s3:DeleteObject", &object.key)]) {
                Ok(()) => {
                    self.delete(&object.key)?;
                    if !parsed.quiet {
                        result.deleted.push(xml::Deleted { key: object.key });
                    }
                }
                Err(_) => result.error.push(xml::DeleteError {
                    key: object.key,
                    code: "AccessDenied",
                    message: "Access Denied",
                }),
            }
        }
        Ok(xml_response(
            StatusCode::OK,
            xml::document("DeleteResult", &result),
        ))
    }

    fn list(&self, prefix: &str) -> Result<Response, S3Error> {
        let max_keys = match self.params.get("max-keys") {
            Some(m) => m
                .parse::<usize>()
                .map_err(|_| invalid("Provided max-keys not an integer or within integer range"))?
                .min(MAX_KEYS),
            None => MAX_KEYS,
        };
        let delimiter = self
            .params
            .get("delimiter")
            .filter(|d| !d.is_empty())
            .cloned();
        let token = match self.params.get("continuation-token") {
            Some(t) => Some(
                Continuation::decode(t)
                    .ok_or_else(|| invalid("The continuation token provided is incorrect"))?,
            ),
            None => None,
        };
        let start_after = self.params.get("start-after").cloned();
        let after = match &token {
            Some(Continuation::After(k)) | Some(Continuation::Skip(k)) => Some(k.clone()),
            None => start_after.clone(),
        };
        let mut skip = match &token {
            Some(Continuation::Skip(p)) => Some(p.clone()),
            _ => None,
        };
        let mut contents = Vec::new();
        let mut prefixes: Vec<String> = Vec::new();
        let mut last: Option<Continuation> = None;
        let mut truncated = false;
        for meta in self.bucket.objects.keys_after(prefix, after.as_deref()) {
            if skip
                .as_ref()
                .is_some_and(|p| meta.key.starts_with(p.as_str()))
            {
                continue;
            }
            let rest = &meta.key[prefix.len()..];
            let rolled = delimiter.as_ref().and_then(|d| {
                rest.find(d.as_str())
                    .map(|i| format!("{prefix}{}", &rest[..i + d.len()]))
            });
            if contents.len() + prefixes.len() == max_keys {
                truncated = true;
                break;
            }
            match rolled {
                Some(common) => {
                    skip = Some(common.clone());
                    last = Some(Continuation::Skip(common.clone()));
                    prefixes.push(common);
                }
                None => {
                    last = Some(Continuation::After(meta.key.clone()));
                    contents.push(meta);
                }
            }
        }
        let url = self.params.get("encoding-type").is_some_and(|e| e == "url");
        let encode = |s: &str| if url { url_encode(s) } else { s.to_string() };
        let result = xml::ListBucketResult {
            xmlns: xml::NAMESPACE,
            name: self.bucket.name.clone(),
            prefix: encode(prefix),
            delimiter: delimiter.as_deref().map(encode),
            max_keys,
            key_count: contents.len() + prefixes.len(),
            is_truncated: truncated,
            continuation_token: self.params.get("continuation-token").cloned(),
            next_continuation_token: if truncated {
                last.map(|l| l.encode())
            } else {
                None
            },
            start_after: start_after.as_deref().map(encode),
            encoding_type: url.then(|| "url".to_string()),
            contents: contents
                .into_iter()
                .map(|m: ObjectMeta| xml::Contents {
                    key: encode(&m.key),
                    last_modified: iso_date(m.last_modified),
                    etag: m.etag,
                    size: m.size,
                    storage_class: "STANDARD",
                })
                .collect(),
            common_prefixes: prefixes
                .into_iter()
                .map(|p| xml::CommonPrefix { prefix: encode(&p) })
                .collect(),
        };
        Ok(xml_response(
            StatusCode::OK,
            xml::document("ListBucketResult", &result),
        ))
    }
}
