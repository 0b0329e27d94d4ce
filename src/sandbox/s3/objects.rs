//! A sandbox bucket's objects on disk, under
//! `.hoist/sandbox/<env>/storage/<bucket>/`: each object's bytes in
//! `objects/<sha256 of its key>` and what S3 keeps about it (key, size,
//! ETag, content type, user metadata, checksum) beside them in `.json`.
//! Keys are never used as paths, so no key (`../x`, `a` and `a/b`, `dir/`)
//! can reach outside the folder or clash with another. Files are written
//! whole (a temporary file renamed into place). Multipart uploads keep
//! their parts in `uploads/<upload id>/` until completed or aborted.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

/// What S3 keeps about an object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectMeta {
    pub key: String,
    /// Bytes.
    pub size: u64,
    /// Quoted, as S3 sends it: the MD5 of the bytes, or for a multipart
    /// upload the MD5 of the parts' MD5s and `-<parts>`.
    pub etag: String,
    /// Milliseconds since the epoch.
    pub last_modified: i64,
    pub content_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_disposition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    /// `x-amz-meta-*` headers, by lowercase name without the prefix.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// Base64 of the big-endian CRC32, when the uploader sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum_crc32: Option<String>,
}

/// The headers an object is stored with (from PutObject, CreateMultipartUpload or CopyObject).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Headers {
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub content_disposition: Option<String>,
    pub content_encoding: Option<String>,
    pub metadata: BTreeMap<String, String>,
}

/// A multipart upload in progress.
#[derive(Debug, Clone)]
pub struct Upload {
    pub key: String,
    pub headers: Headers,
    /// Part number to (quoted ETag, size, when uploaded in ms).
    pub parts: BTreeMap<u32, (String, u64, i64)>,
}

/// Why a store operation failed.
#[derive(Debug)]
pub enum StoreError {
    NoSuchKey,
    NoSuchUpload,
    /// (code, message) of an S3 client error.
    Invalid(&'static str, String),
    Io(std::io::Error),
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        StoreError::Io(e)
    }
}

/// The smallest a part but the last may be (Amazon S3 User Guide,
/// "Amazon S3 multipart upload limits": 5 MiB).
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// Part numbers run from 1 to 10,000.
pub const MAX_PART_NUMBER: u32 = 10_000;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A bucket's objects: an index in memory, the bytes on disk.
pub struct Objects {
    dir: PathBuf,
    index: Mutex<BTreeMap<String, ObjectMeta>>,
    uploads: Mutex<HashMap<String, Upload>>,
}

impl Objects {
    /// Open (creating) the bucket folder `dir` and read its index. Objects
    /// whose bytes are missing are left out.
    pub fn open(dir: &Path) -> std::io::Result<Objects> {
        let objects = dir.join("objects");
        std::fs::create_dir_all(&objects)?;
        std::fs::create_dir_all(dir.join("tmp"))?;
        let mut index = BTreeMap::new();
        for entry in std::fs::read_dir(&objects)?.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "json")
                && path.with_extension("").exists()
                && let Ok(bytes) = std::fs::read(&path)
                && let Ok(meta) = serde_json::from_slice::<ObjectMeta>(&bytes)
            {
                index.insert(meta.key.clone(), meta);
            }
        }
        // uploads do not outlive the sandbox: their parts are cleared
        let _ = std::fs::remove_dir_all(dir.join("uploads"));
        Ok(Objects {
            dir: dir.to_path_buf(),
            index: Mutex::new(index),
            uploads: Mutex::new(HashMap::new()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, ObjectMeta>> {
        self.index.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_uploads(&self) -> std::sync::MutexGuard<'_, HashMap<String, Upload>> {
        self.uploads.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn data_path(&self, key: &str) -> PathBuf {
        self.dir
            .join("objects")
            .join(crate::cfn::sha256_hex(key.as_bytes()))
    }

    /// Write `bytes` to `path` whole: a temporary file, then a rename.
    fn write_whole(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        let mut tmp = tempfile::NamedTempFile::new_in(self.dir.join("tmp"))?;
        tmp.write_all(bytes)?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    }

    pub fn head(&self, key: &str) -> Option<ObjectMeta> {
        self.lock().get(key).cloned()
    }

    /// The object's bytes and what is kept about it.
    pub fn get(&self, key: &str) -> Result<(ObjectMeta, Vec<u8>), StoreError> {
        let meta = self.head(key).ok_or(StoreError::NoSuchKey)?;
        let bytes = std::fs::read(self.data_path(key)).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => StoreError::NoSuchKey,
            _ => StoreError::Io(e),
        })?;
        Ok((meta, bytes))
    }

    fn commit(&self, meta: ObjectMeta) -> std::io::Result<ObjectMeta> {
        let path = self.data_path(&meta.key);
        let json = serde_json::to_vec_pretty(&meta).map_err(std::io::Error::other)?;
        self.write_whole(&path.with_extension("json"), &json)?;
        self.lock().insert(meta.key.clone(), meta.clone());
        Ok(meta)
    }

    fn meta(key: &str, size: u64, etag: String, headers: &Headers) -> ObjectMeta {
        ObjectMeta {
            key: key.to_string(),
            size,
            etag,
            last_modified: now_ms(),
            content_type: headers
                .content_type
                .clone()
                .unwrap_or_else(|| "binary/octet-stream".into()),
            cache_control: headers.cache_control.clone(),
            content_disposition: headers.content_disposition.clone(),
            content_encoding: headers.content_encoding.clone(),
            metadata: headers.metadata.clone(),
            checksum_crc32: None,
        }
    }

    /// Store `bytes` under `key`, replacing what was there.
    pub fn put(
        &self,
        key: &str,
        bytes: &[u8],
        headers: &Headers,
        checksum_crc32: Option<String>,
    ) -> std::io::Result<ObjectMeta> {
        self.write_whole(&self.data_path(key), bytes)?;
        let mut meta = Self::meta(
            key,
            bytes.len() as u64,
            format!("\"{}\"", md5_hex(bytes)),
            headers,
        );
        meta.checksum_crc32 = checksum_crc32;
        self.commit(meta)
    }

    /// Remove `key` (S3 answers the same whether it was there or not).
    pub fn delete(&self, key: &str) -> std::io::Result<()> {
        let path = self.data_path(key);
        self.lock().remove(key);
        for p in [path.with_extension("json"), path] {
            if let Err(e) = std::fs::remove_file(&p)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                return Err(e);
            }
        }
        Ok(())
    }

    /// Every key from `after` on (exclusive), in S3's order (UTF-8 bytes).
    pub fn keys_after(&self, prefix: &str, after: Option<&str>) -> Vec<ObjectMeta> {
        let index = self.lock();
        let start = match after {
            Some(a) if a >= prefix => std::ops::Bound::Excluded(a.to_string()),
            _ => std::ops::Bound::Included(prefix.to_string()),
        };
        index
            .range((start, std::ops::Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(_, m)| m.clone())
            .collect()
    }

    /// Start a multipart upload; its id.
    pub fn create_upload(&self, key: &str, headers: Headers) -> std::io::Result<String> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        std::fs::create_dir_all(self.dir.join("uploads").join(&id))?;
        self.lock_uploads().insert(
            id.clone(),
            Upload {
                key: key.to_string(),
                headers,
                parts: BTreeMap::new(),
            },
        );
        Ok(id)
    }

    fn upload_of(&self, id: &str, key: &str) -> Result<Upload, StoreError> {
        self.lock_uploads()
            .get(id)
            .filter(|u| u.key == key)
            .cloned()
            .ok_or(StoreError::NoSuchUpload)
    }

    fn part_path(&self, id: &str, number: u32) -> PathBuf {
        self.dir.join("uploads").join(id).join(number.to_string())
    }

    /// Store a part; its quoted ETag.
    pub fn upload_part(
        &self,
        id: &str,
        key: &str,
        number: u32,
        bytes: &[u8],
    ) -> Result<String, StoreError> {
        if !(1..=MAX_PART_NUMBER).contains(&number) {
            return Err(StoreError::Invalid(
                "InvalidArgument",
                format!(
                    "Part number must be an integer between 1 and {MAX_PART_NUMBER}, inclusive"
                ),
            ));
        }
        self.upload_of(id, key)?;
        self.write_whole(&self.part_path(id, number), bytes)?;
        let etag = format!("\"{}\"", md5_hex(bytes));
        let mut uploads = self.lock_uploads();
        let upload = uploads.get_mut(id).ok_or(StoreError::NoSuchUpload)?;
        upload
            .parts
            .insert(number, (etag.clone(), bytes.len() as u64, now_ms()));
        Ok(etag)
    }

    pub fn parts(&self, id: &str, key: &str) -> Result<Upload, StoreError> {
        self.upload_of(id, key)
    }

    /// Complete an upload from the parts listed (number and ETag), as S3
    /// checks them: ascending, each uploaded with that ETag, each but the
    /// last at least 5 MiB.
    pub fn complete(
        &self,
        id: &str,
        key: &str,
        listed: &[(u32, String)],
    ) -> Result<ObjectMeta, StoreError> {
        let upload = self.upload_of(id, key)?;
        if listed.is_empty() {
            return Err(StoreError::Invalid(
                "MalformedXML",
                "You must specify at least one part".into(),
            ));
        }
        if listed.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err(StoreError::Invalid(
                "InvalidPartOrder",
                "The list of parts was not in ascending order. Parts must be ordered by part number.".into(),
            ));
        }
        let mut digests = Vec::new();
        let mut total = 0;
        for (i, (number, etag)) in listed.iter().enumerate() {
            let quoted = format!("\"{}\"", etag.trim_matches('"'));
            let Some((stored, size, _)) = upload.parts.get(number) else {
                return Err(StoreError::Invalid(
                    "InvalidPart",
                    format!("Part {number} was not uploaded"),
                ));
            };
            if *stored != quoted {
                return Err(StoreError::Invalid(
                    "InvalidPart",
                    format!("Part {number}'s ETag is not {quoted}"),
                ));
            }
            if i + 1 < listed.len() && *size < MIN_PART_SIZE {
                return Err(StoreError::Invalid(
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed size".into(),
                ));
            }
            total += size;
            let hex = stored.trim_matches('"');
            digests.extend(
                (0..hex.len() / 2)
                    .filter_map(|j| u8::from_str_radix(&hex[j * 2..j * 2 + 2], 16).ok()),
            );
        }
        // the parts are joined into a temporary file, then renamed into place
        let mut tmp = tempfile::NamedTempFile::new_in(self.dir.join("tmp"))?;
        for (number, _) in listed {
            let mut part = std::fs::File::open(self.part_path(id, *number))?;
            std::io::copy(&mut part, &mut tmp)?;
        }
        tmp.persist(self.data_path(key)).map_err(|e| e.error)?;
        let etag = format!("\"{}-{}\"", md5_hex(&digests), listed.len());
        let meta = Self::meta(key, total, etag, &upload.headers);
        let meta = self.commit(meta)?;
        self.abort(id, key)?;
        Ok(meta)
    }

    pub fn abort(&self, id: &str, key: &str) -> Result<(), StoreError> {
        self.upload_of(id, key)?;
        self.lock_uploads().remove(id);
        let _ = std::fs::remove_dir_all(self.dir.join("uploads").join(id));
        Ok(())
    }
}
