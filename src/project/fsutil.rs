//! Writing files so that a failure leaves nothing half-written.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::FsError;

/// A set of files to write: relative path (with `/`) to contents.
pub type FileSet = BTreeMap<String, Vec<u8>>;

/// Write one file atomically: a temporary file in the same folder, then a rename.
///
/// The file gets the mode a plain write would give it: the replaced file's
/// mode, else 0666 less the umask (0644 usually), never the temporary file's
/// owner-only 0600. Secrets are written by their own writer.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), FsError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| FsError::new("create folder", dir, e))?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".hoist-tmp-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder
        .tempfile_in(dir)
        .map_err(|e| FsError::new("create a temporary file in", dir, e))?;
    if let Ok(existing) = fs::metadata(path) {
        tmp.as_file()
            .set_permissions(existing.permissions())
            .map_err(|e| FsError::new("write", tmp.path().to_path_buf(), e))?;
    }
    tmp.write_all(contents)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| FsError::new("write", tmp.path().to_path_buf(), e))?;
    tmp.persist(path)
        .map_err(|e| FsError::new("write", path, e.error))?;
    Ok(())
}

/// Places a whole [`FileSet`] under a folder, all or nothing.
///
/// Every file is first written to a staging folder beside the target; then the
/// files are moved into place one rename at a time. If any step fails, what was
/// moved is put back (files it replaced are restored) and created folders are
/// removed, so the target is left as it was.
pub fn place_files(target: &Path, files: &FileSet) -> Result<Vec<PathBuf>, FsError> {
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| FsError::new("create folder", parent, e))?;
    let staging = tempfile::Builder::new()
        .prefix(".hoist-staging-")
        .tempdir_in(parent)
        .map_err(|e| FsError::new("create a staging folder in", parent, e))?;

    for (rel, contents) in files {
        let path = staging.path().join("new").join(rel);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| FsError::new("create folder", dir, e))?;
        }
        fs::write(&path, contents).map_err(|e| FsError::new("write", &path, e))?;
    }

    let mut undo = Undo {
        created_dirs: Vec::new(),
        placed: Vec::new(),
        backups: staging.path().join("backup"),
    };
    match move_into_place(target, files, staging.path(), &mut undo) {
        Ok(written) => Ok(written),
        Err(err) => {
            undo.roll_back();
            Err(err)
        }
    }
}

/// Replace the whole folder `target` with `files`: the new folder is written
/// beside it and swapped in, so readers see the old or the new one, never a mix,
/// and files that are no longer produced do not linger.
pub fn replace_dir(target: &Path, files: &FileSet) -> Result<(), FsError> {
    let parent = target.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| FsError::new("create folder", parent, e))?;
    let staging = tempfile::Builder::new()
        .prefix(".hoist-staging-")
        .tempdir_in(parent)
        .map_err(|e| FsError::new("create a staging folder in", parent, e))?;
    let fresh = staging.path().join("new");
    // each folder made once (a build has thousands of files in a few folders)
    let mut made = std::collections::HashSet::new();
    for (rel, contents) in files {
        let path = fresh.join(rel);
        if let Some(dir) = path.parent()
            && !made.contains(dir)
        {
            fs::create_dir_all(dir).map_err(|e| FsError::new("create folder", dir, e))?;
            made.insert(dir.to_path_buf());
        }
        fs::write(&path, contents).map_err(|e| FsError::new("write", &path, e))?;
    }
    if !fresh.exists() {
        fs::create_dir_all(&fresh).map_err(|e| FsError::new("create folder", &fresh, e))?;
    }
    let old = staging.path().join("old");
    if target.exists() {
        fs::rename(target, &old).map_err(|e| FsError::new("replace", target, e))?;
    }
    if let Err(e) = fs::rename(&fresh, target) {
        if old.exists() {
            let _ = fs::rename(&old, target);
        }
        return Err(FsError::new("write", target, e));
    }
    Ok(())
}

struct Undo {
    created_dirs: Vec<PathBuf>,
    /// (destination, backup of what it replaced)
    placed: Vec<(PathBuf, Option<PathBuf>)>,
    backups: PathBuf,
}

impl Undo {
    fn roll_back(self) {
        for (dest, backup) in self.placed.into_iter().rev() {
            let _ = fs::remove_file(&dest);
            if let Some(backup) = backup {
                let _ = fs::rename(backup, &dest);
            }
        }
        for dir in self.created_dirs.into_iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
}

fn create_dirs(dir: &Path, undo: &mut Undo) -> Result<(), FsError> {
    let missing: Vec<&Path> = dir.ancestors().take_while(|d| !d.exists()).collect();
    for d in missing.into_iter().rev() {
        fs::create_dir(d).map_err(|e| FsError::new("create folder", d, e))?;
        undo.created_dirs.push(d.to_path_buf());
    }
    Ok(())
}

fn move_into_place(
    target: &Path,
    files: &FileSet,
    staging: &Path,
    undo: &mut Undo,
) -> Result<Vec<PathBuf>, FsError> {
    create_dirs(target, undo)?;
    let mut written = Vec::new();
    for (i, rel) in files.keys().enumerate() {
        let dest = target.join(rel);
        if let Some(dir) = dest.parent() {
            create_dirs(dir, undo)?;
        }
        let backup = if dest.exists() {
            let backup = undo.backups.join(i.to_string());
            fs::create_dir_all(&undo.backups)
                .map_err(|e| FsError::new("create folder", &undo.backups, e))?;
            fs::rename(&dest, &backup).map_err(|e| FsError::new("replace", &dest, e))?;
            Some(backup)
        } else {
            None
        };
        let staged = staging.join("new").join(rel);
        let result = fs::rename(&staged, &dest);
        undo.placed.push((dest.clone(), backup));
        result.map_err(|e| FsError::new("write", &dest, e))?;
        written.push(dest);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(entries: &[(&str, &str)]) -> FileSet {
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn places_files_in_a_new_folder() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("app");
        place_files(&target, &set(&[("a.txt", "a"), ("src/b.txt", "b")])).unwrap();
        assert_eq!(fs::read_to_string(target.join("src/b.txt")).unwrap(), "b");
        // nothing but the target is left beside it
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1);
    }

    #[test]
    fn a_failure_restores_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("app");
        fs::create_dir_all(target.join("keep")).unwrap();
        fs::write(target.join("a.txt"), "old").unwrap();
        // `keep/x` cannot be placed where a file `keep` is expected: make the
        // last file fail by making its parent a file.
        fs::write(target.join("zz"), "a file, not a folder").unwrap();
        let files = set(&[("a.txt", "new"), ("m/n.txt", "n"), ("zz/fail.txt", "x")]);
        assert!(place_files(&target, &files).is_err());
        assert_eq!(fs::read_to_string(target.join("a.txt")).unwrap(), "old");
        assert!(!target.join("m").exists());
        assert!(target.join("keep").is_dir());
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "staging folder removed");
    }

    #[test]
    fn a_failure_in_a_new_folder_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("blocker"), "").unwrap();
        let target = dir.path().join("app");
        let files = set(&[("a.txt", "a"), ("blocker2/x", "x")]);
        fs::create_dir_all(&target).unwrap();
        fs::write(target.join("blocker2"), "").unwrap();
        assert!(place_files(&target, &files).is_err());
        assert!(!target.join("a.txt").exists());
    }

    #[test]
    fn replace_dir_drops_stale_files() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("build/dev");
        replace_dir(&target, &set(&[("a.json", "1"), ("b.json", "2")])).unwrap();
        replace_dir(&target, &set(&[("a.json", "3")])).unwrap();
        assert_eq!(fs::read_to_string(target.join("a.json")).unwrap(), "3");
        assert!(!target.join("b.json").exists());
        assert_eq!(fs::read_dir(dir.path().join("build")).unwrap().count(), 1);
    }

    /// A file written atomically is readable as a plain write would make it
    /// (not the temporary file's 0600), and a replaced file keeps its mode.
    #[cfg(unix)]
    #[test]
    fn atomic_writes_have_the_usual_modes() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hoist.toml");
        write_atomic(&path, b"one").unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & 0o644, 0o644, "{mode:o}");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&path, b"two").unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }

    #[test]
    fn atomic_write_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x/hoist.toml");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "two");
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
    }
}
