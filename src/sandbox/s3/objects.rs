//! A sandbox bucket's objects on disk, under
//! `.hoist/sandbox/<env>/storage/<bucket>/`: what S3 keeps about an object
//! (key, size, ETag, content type, user metadata, checksum, and the file of
//! its bytes) in `objects/<sha256 of its key>.json`, its bytes in
//! `objects/<sha256 of its key>.<version>`, a new file for each write.
//! Keys are never used as paths, so no key (`../x`, `a` and `a/b`, `dir/`)
//! can reach outside the folder or clash with another. Files are written
//! whole (a temporary file renamed into place); a write's bytes are on disk
//! before its metadata names them, and the metadata and the index change
//! together under one lock, so a reader never gets one object's metadata
//! with another's bytes, and a replaced version's file is removed only once
//! no reader can be reading it. Multipart uploads keep their parts in
//! `uploads/<upload id>/` until completed or aborted.

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
    /// The file of this version's bytes, in `objects/`.
    #[serde(default)]
    pub file: String,
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
/// The largest object the sandbox keeps (S3 keeps up to 5 TiB; the sandbox
/// reads an object whole to serve it).
pub const MAX_OBJECT_BYTES: u64 = 1024 * 1024 * 1024;
/// Multipart uploads in progress at once, per bucket.
pub const MAX_UPLOADS: usize = 1000;

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
        // what a write left half-done when the sandbox stopped is dropped
        let _ = std::fs::remove_dir_all(dir.join("tmp"));
        std::fs::create_dir_all(dir.join("tmp"))?;
        let mut index = BTreeMap::new();
        let mut named = std::collections::HashSet::new();
        let entries: Vec<PathBuf> = std::fs::read_dir(&objects)?
            .flatten()
            .map(|e| e.path())
            .collect();
        for path in &entries {
            if path.extension().is_some_and(|e| e == "json")
                && let Ok(bytes) = std::fs::read(path)
                && let Ok(meta) = serde_json::from_slice::<ObjectMeta>(&bytes)
                && !meta.file.is_empty()
                && objects.join(&meta.file).is_file()
            {
                named.insert(meta.file.clone());
                index.insert(meta.key.clone(), meta);
            }
        }
        // versions no metadata names (replaced while a write was under way) are dropped
        for path in &entries {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if !name.ends_with(".json") && !named.contains(name) {
                let _ = std::fs::remove_file(path);
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

    fn meta_path(&self, key: &str) -> PathBuf {
        self.dir
            .join("objects")
            .join(format!("{}.json", crate::cfn::sha256_hex(key.as_bytes())))
    }

    /// A new file name for a version of `key`'s bytes.
    fn version_file(key: &str) -> String {
        format!(
            "{}.{}",
            crate::cfn::sha256_hex(key.as_bytes()),
            uuid::Uuid::new_v4().simple()
        )
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

    /// The object's bytes and what is kept about it, read together (a
    /// write waits until the read is done).
    pub fn get(&self, key: &str) -> Result<(ObjectMeta, Vec<u8>), StoreError> {
        let index = self.lock();
        let meta = index.get(key).cloned().ok_or(StoreError::NoSuchKey)?;
        let bytes = std::fs::read(self.dir.join("objects").join(&meta.file))?;
        drop(index);
        Ok((meta, bytes))
    }

    /// Make `meta` (whose bytes are already in `meta.file`) the object's
    /// current version; `if_absent`: only when there is none (else
    /// `PreconditionFailed`, checked under the same lock as the swap). The
    /// replaced version's file is removed afterwards.
    fn commit(&self, meta: ObjectMeta, if_absent: bool) -> Result<ObjectMeta, StoreError> {
        let objects = self.dir.join("objects");
        let mut index = self.lock();
        if if_absent && index.contains_key(&meta.key) {
            drop(index);
            let _ = std::fs::remove_file(objects.join(&meta.file));
            return Err(StoreError::Invalid(
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold".into(),
            ));
        }
        let json = serde_json::to_vec_pretty(&meta).map_err(std::io::Error::other)?;
        if let Err(e) = self.write_whole(&self.meta_path(&meta.key), &json) {
            drop(index);
            let _ = std::fs::remove_file(objects.join(&meta.file));
            return Err(e.into());
        }
        let old = index.insert(meta.key.clone(), meta.clone());
        drop(index);
        if let Some(old) = old
            && old.file != meta.file
        {
            let _ = std::fs::remove_file(objects.join(old.file));
        }
        Ok(meta)
    }

    fn meta(key: &str, size: u64, etag: String, headers: &Headers, file: String) -> ObjectMeta {
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
            file,
        }
    }

    /// Store `bytes` under `key`, replacing what was there (`if_absent`:
    /// only if nothing is, as `If-None-Match: *` asks).
    pub fn put(
        &self,
        key: &str,
        bytes: &[u8],
        headers: &Headers,
        checksum_crc32: Option<String>,
        if_absent: bool,
    ) -> Result<ObjectMeta, StoreError> {
        let file = Self::version_file(key);
        self.write_whole(&self.dir.join("objects").join(&file), bytes)?;
        let mut meta = Self::meta(
            key,
            bytes.len() as u64,
            format!("\"{}\"", md5_hex(bytes)),
            headers,
            file,
        );
        meta.checksum_crc32 = checksum_crc32;
        self.commit(meta, if_absent)
    }

    /// Remove `key` (S3 answers the same whether it was there or not).
    /// Remove `key`: whether there was an object (decided under the
    /// index's lock, so that of two deletes of one object, one removed it).
    pub fn delete(&self, key: &str) -> std::io::Result<bool> {
        let mut index = self.lock();
        if let Err(e) = std::fs::remove_file(self.meta_path(key))
            && e.kind() != std::io::ErrorKind::NotFound
        {
            return Err(e);
        }
        let old = index.remove(key);
        drop(index);
        let existed = old.is_some();
        if let Some(old) = old {
            let _ = std::fs::remove_file(self.dir.join("objects").join(old.file));
        }
        Ok(existed)
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
        if self.lock_uploads().len() >= MAX_UPLOADS {
            return Err(std::io::Error::other(format!(
                "the sandbox keeps at most {MAX_UPLOADS} multipart uploads in progress per bucket; complete or abort some"
            )));
        }
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
            if total > MAX_OBJECT_BYTES {
                return Err(StoreError::Invalid(
                    "EntityTooLarge",
                    format!(
                        "Your proposed upload exceeds the maximum allowed size: the sandbox keeps objects of at most {} GiB",
                        MAX_OBJECT_BYTES >> 30
                    ),
                ));
            }
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
        let file = Self::version_file(key);
        tmp.persist(self.dir.join("objects").join(&file))
            .map_err(|e| e.error)?;
        let etag = format!("\"{}-{}\"", md5_hex(&digests), listed.len());
        let meta = Self::meta(key, total, etag, &upload.headers, file);
        // the upload ends here: a second completion finds no upload
        if self.lock_uploads().remove(id).is_none() {
            let _ = std::fs::remove_file(self.dir.join("objects").join(&meta.file));
            return Err(StoreError::NoSuchUpload);
        }
        let _ = std::fs::remove_dir_all(self.dir.join("uploads").join(id));
        self.commit(meta, false)
    }

    pub fn abort(&self, id: &str, key: &str) -> Result<(), StoreError> {
        self.upload_of(id, key)?;
        self.lock_uploads().remove(id);
        let _ = std::fs::remove_dir_all(self.dir.join("uploads").join(id));
        Ok(())
    }
}
