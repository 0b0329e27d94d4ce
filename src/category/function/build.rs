//! Building a function's deployment package: the same sources give the same
//! zip, byte for byte (entries sorted, times fixed at 1980-01-01, modes
//! fixed), so a package is named by its source's hash and an unchanged
//! function is neither built nor uploaded again.
//!
//! - Node: one CommonJS file bundled by esbuild (the function's own, from its
//!   `node_modules`), `@aws-sdk/*` left to the runtime, which ships SDK v3
//!   ("Building Lambda functions with Node.js").
//! - Python: the function's modules and its `requirements.txt` installed by
//!   pip as wheels for Lambda's platform (`manylinux2014_<arch>`, the
//!   runtime's Python) with `--only-binary=:all:` ("Working with .zip file
//!   archives for Python Lambda functions").
//! - Rust: an executable named `bootstrap` for provided.al2023, built by
//!   cargo-lambda or for a musl target ("Building Lambda functions with Rust").

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use miette::Diagnostic;
use thiserror::Error;

use super::{Architecture, FunctionConfig, Language};
use crate::cfn::sha256_hex;

/// Folders never part of a function's source, at any depth: installed
/// dependencies, build output, caches, virtual environments (hidden ones
/// such as `.venv` are left out as every hidden entry is).
pub const SKIPPED_DIRS: &[&str] = &["node_modules", "dist", "target", "__pycache__", "venv"];
/// Files of a Python function's source that stay out of its zip: the
/// dependency list pip reads.
const PYTHON_LEFT_OUT: &[&str] = &["requirements.txt"];
/// A function's source is at most this many files and bytes (what is read
/// to hash it): a bound, not Lambda's limit (250 MB unzipped).
const MAX_FILES: usize = 10_000;
const MAX_BYTES: u64 = 256 * 1024 * 1024;

#[derive(Debug, Error, Diagnostic)]
pub enum BuildError {
    #[error("the function `{name}` has no source: `{path}` is missing")]
    #[diagnostic(
        code(hoist::function::no_source),
        help(
            "add it again with `hoist add function {name}`, or put its code there (`{expected}`)"
        )
    )]
    NoSource {
        name: String,
        path: String,
        expected: String,
    },

    #[error("the handler `{handler}` of the function `{name}` has no file: none of {tried}")]
    #[diagnostic(
        code(hoist::function::no_handler),
        help(
            "create the file, or set `handler = \"file.export\"` under `[function.{name}]` in hoist.toml"
        )
    )]
    NoHandler {
        name: String,
        handler: String,
        tried: String,
    },

    #[error("the source of the function `{name}` is too large to build: {what}")]
    #[diagnostic(
        code(hoist::function::too_large),
        help(
            "keep dependencies out of the folder (they are installed at build time) and large data elsewhere, such as the storage bucket"
        )
    )]
    TooLarge { name: String, what: String },

    #[error("building the function `{name}` needs {missing}")]
    #[diagnostic(code(hoist::function::toolchain), help("{help}"))]
    Toolchain {
        name: String,
        missing: String,
        help: String,
    },

    #[error("the function `{name}` did not build ({tool}):\n{output}")]
    #[diagnostic(
        code(hoist::function::build),
        help("fix the code at the place named above; nothing was deployed")
    )]
    Failed {
        name: String,
        tool: String,
        output: String,
    },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Fs(#[from] crate::error::FsError),

    #[error("`{path}` cannot be part of a function's source: {what}")]
    #[diagnostic(code(hoist::function::unsupported_file))]
    Unsupported { path: String, what: String },

    #[error("{what} `{path}`: {source}")]
    #[diagnostic(code(hoist::function::io))]
    Io {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
}

fn io<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> BuildError + 'a {
    move |source| BuildError::Io {
        what,
        path: path.display().to_string(),
        source,
    }
}

/// `hoist/function/<name>`, from the project's root.
pub fn source_dir(name: &str) -> PathBuf {
    Path::new("hoist").join("function").join(name)
}

/// Files and folders at the top of a function's folder that are not part
/// of what deploys: its tests and their set-up, the dependency lists of its
/// development, hoist's override, its documentation.
const NOT_BUILT: &[&str] = &[
    "tests",
    "test",
    "conftest.py",
    "requirements-dev.txt",
    "override.json",
    "README.md",
    "LICENSE",
];

/// The files a function's package is built from, relative to its folder,
/// sorted: every file but those its `.gitignore` names, hidden ones
/// (`.env`, `.venv/`, caches), [`SKIPPED_DIRS`] and [`NOT_BUILT`]. The same
/// set is hashed ([`source_hash`]) and, for Python, zipped.
///
/// Errors: [`BuildError::NoSource`]; [`BuildError::TooLarge`] past
/// 10,000 files or 256 MiB; [`BuildError::Unsupported`] for a symbolic
/// link (it would run locally and be missing once deployed) or a name that
/// is not UTF-8.
pub fn source_files(root: &Path, name: &str) -> Result<Vec<String>, BuildError> {
    let dir = root.join(source_dir(name));
    if !dir.is_dir() {
        return Err(BuildError::NoSource {
            name: name.to_string(),
            path: source_dir(name).display().to_string(),
            expected: "a handler and the runtime's manifest".into(),
        });
    }
    // the function's own .gitignore (hoist's templates write one)
    let (ignored, _) = ignore::gitignore::Gitignore::new(dir.join(".gitignore"));
    let shown = |path: &Path| {
        Path::new("hoist/function")
            .join(name)
            .join(path.strip_prefix(&dir).unwrap_or(path))
            .display()
            .to_string()
    };
    let mut files = Vec::new();
    let mut bytes = 0;
    let mut stack = vec![dir.clone()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).map_err(io("read the folder", &folder))? {
            let entry = entry.map_err(io("read the folder", &folder))?;
            let path = entry.path();
            let file_type = entry.file_type().map_err(io("read", &path))?;
            let Some(file_name) = entry.file_name().to_str().map(str::to_string) else {
                return Err(BuildError::Unsupported {
                    path: shown(&path),
                    what: "its name is not UTF-8".into(),
                });
            };
            let top = folder == dir;
            let skipped = file_name.starts_with('.')
                || (file_type.is_dir() && SKIPPED_DIRS.contains(&file_name.as_str()))
                || (top && NOT_BUILT.contains(&file_name.as_str()))
                || ignored.matched(&path, file_type.is_dir()).is_ignore();
            if skipped {
                continue;
            }
            if file_type.is_symlink() {
                return Err(BuildError::Unsupported {
                    path: shown(&path),
                    what: "it is a symbolic link: it would run locally and be missing from the package; copy the file in, or list it in the function's .gitignore".into(),
                });
            }
            if file_type.is_dir() {
                stack.push(path);
            } else if file_type.is_file() {
                bytes += entry.metadata().map_err(io("read", &path))?.len();
                let rel = path
                    .strip_prefix(&dir)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .replace('\\', "/");
                files.push(rel);
                if files.len() > MAX_FILES || bytes > MAX_BYTES {
                    return Err(BuildError::TooLarge {
                        name: name.to_string(),
                        what: format!("more than {MAX_FILES} files or 256 MiB"),
                    });
                }
            }
        }
    }
    files.sort();
    Ok(files)
}

/// The hash that names a function's package: its runtime, architecture and
/// handler, and every file it is built from ([`source_files`]: path and
/// content, read as a stream). Hex SHA-256.
///
/// Errors: those of [`source_files`]; a file that cannot be read.
pub fn source_hash(root: &Path, name: &str, cfg: &FunctionConfig) -> Result<String, BuildError> {
    use sha2::Digest;
    let dir = root.join(source_dir(name));
    let mut hasher = sha2::Sha256::new();
    hasher.update(format!(
        "hoist-function-2\0{}\0{}\0{}\0",
        cfg.runtime.id(),
        cfg.architecture.as_str(),
        cfg.handler()
    ));
    for rel in source_files(root, name)? {
        let path = dir.join(&rel);
        let mut file = std::fs::File::open(&path).map_err(io("read", &path))?;
        let len = file.metadata().map_err(io("read", &path))?.len();
        hasher.update(format!("{rel}\0{len}\0"));
        std::io::copy(&mut file, &mut hasher).map_err(io("read", &path))?;
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// One file of a zip: its name in the archive, content, and whether it is
/// executable.
pub struct Entry {
    pub name: String,
    pub bytes: Vec<u8>,
    pub executable: bool,
}

/// A zip of `entries`, the same bytes for the same entries: sorted by
/// name, every time 1980-01-01 00:00 (the format's earliest), modes 0644 or
/// 0755, deflated.
///
/// Errors: two entries with one name (a module of the function's and one
/// of its dependencies, say), named.
pub fn zip(mut entries: Vec<Entry>) -> Result<Vec<u8>, String> {
    use zip::write::SimpleFileOptions;
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(pair) = entries.windows(2).find(|w| w[0].name == w[1].name) {
        return Err(format!(
            "`{}` is both in the function's folder and among its dependencies",
            pair[0].name
        ));
    }
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for entry in entries {
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(if entry.executable { 0o755 } else { 0o644 });
        writer
            .start_file(entry.name.as_str(), options)
            .map_err(|e| format!("`{}`: {e}", entry.name))?;
        writer
            .write_all(&entry.bytes)
            .map_err(|e| format!("`{}`: {e}", entry.name))?;
    }
    writer
        .finish()
        .map(|cursor| cursor.into_inner())
        .map_err(|e| e.to_string())
}

/// A built package: where the zip is, and its hash (hex SHA-256 of the bytes).
#[derive(Debug, Clone)]
pub struct Package {
    pub path: PathBuf,
    pub sha256: String,
}

/// Where packages are kept: `.hoist/build/functions/`.
pub fn packages_dir(root: &Path) -> PathBuf {
    root.join(".hoist").join("build").join("functions")
}

/// Build the package of the function `name` (if `<name>-<source hash>.zip`
/// is not there already) and return it.
///
/// Errors: a missing source, handler or toolchain; a failed install or
/// compile, with the tool's own messages (file:line).
pub fn package(root: &Path, name: &str, cfg: &FunctionConfig) -> Result<Package, BuildError> {
    let hash = source_hash(root, name, cfg)?;
    let dir = packages_dir(root);
    let path = dir.join(format!("{name}-{}.zip", &hash[..16]));
    if let Ok(bytes) = std::fs::read(&path) {
        return Ok(Package {
            sha256: sha256_hex(&bytes),
            path,
        });
    }
    let entries = match cfg.runtime.language() {
        Language::Node => node_entries(root, name, cfg)?,
        Language::Python => python_entries(root, name, cfg)?,
        Language::Rust => rust_entries(root, name, cfg)?,
    };
    let bytes = zip(entries).map_err(|output| BuildError::Failed {
        name: name.to_string(),
        tool: "the zip writer".into(),
        output,
    })?;
    std::fs::create_dir_all(&dir).map_err(io("create", &dir))?;
    crate::project::write_atomic(&path, &bytes)?;
    Ok(Package {
        sha256: sha256_hex(&bytes),
        path,
    })
}

/// Run `command`; its combined output when it fails.
fn run(command: &mut Command, name: &str, tool: &str) -> Result<String, BuildError> {
    let output = command.output().map_err(|e| BuildError::Toolchain {
        name: name.to_string(),
        missing: format!("`{tool}`, which could not be started ({e})"),
        help: format!("install {tool} and make sure it is on PATH"),
    })?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() {
        Ok(text)
    } else {
        Err(BuildError::Failed {
            name: name.to_string(),
            tool: tool.to_string(),
            output: tail(&text, 60),
        })
    }
}

/// The last `lines` lines of `text`, trimmed.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.trim_end().lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The handler's file and export: `index.handler` gives (`index`, `handler`).
fn handler_parts(cfg: &FunctionConfig) -> (String, String) {
    let handler = cfg.handler();
    match handler.rsplit_once('.') {
        Some((file, export)) => (file.to_string(), export.to_string()),
        None => (handler.to_string(), "handler".to_string()),
    }
}

/// Install a Node function's dependencies when `node_modules` is missing
/// (`npm ci` with a lockfile, else `npm install`).
pub fn npm_install(root: &Path, name: &str) -> Result<(), BuildError> {
    let dir = root.join(source_dir(name));
    if !dir.join("package.json").is_file() {
        return Err(BuildError::NoSource {
            name: name.to_string(),
            path: source_dir(name).join("package.json").display().to_string(),
            expected: "package.json, with esbuild among its devDependencies".into(),
        });
    }
    // npm keeps what it installed in node_modules/.package-lock.json: a
    // lockfile changed since (a pull) or an install cut short installs again
    let lock = dir.join("package-lock.json");
    let installed = dir.join("node_modules").join(".package-lock.json");
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let current = match (modified(&lock), modified(&installed)) {
        (Some(lock), Some(installed)) => installed >= lock,
        (None, Some(_)) => true,
        _ => false,
    };
    if current {
        return Ok(());
    }
    let verb = if lock.is_file() { "ci" } else { "install" };
    run(
        Command::new("npm")
            .args([verb, "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir),
        name,
        "npm",
    )
    .map(|_| ())
}

/// The TypeScript or JavaScript file of a Node handler: `src/<file>.ts`
/// (or `.mts`, `.js`, `.mjs`), else `<file>.*` at the folder's top.
pub fn node_entry(root: &Path, name: &str, cfg: &FunctionConfig) -> Result<PathBuf, BuildError> {
    let dir = root.join(source_dir(name));
    let (file, _) = handler_parts(cfg);
    let mut tried = Vec::new();
    for folder in ["src/", ""] {
        for ext in ["ts", "mts", "js", "mjs"] {
            let rel = format!("{folder}{file}.{ext}");
            if dir.join(&rel).is_file() {
                return Ok(dir.join(rel));
            }
            tried.push(format!("`{}`", source_dir(name).join(&rel).display()));
        }
    }
    Err(BuildError::NoHandler {
        name: name.to_string(),
        handler: cfg.handler().to_string(),
        tried: tried.join(", "),
    })
}

/// Bundle a Node function with its own esbuild into `out_dir/<file>.js`.
pub fn esbuild(
    root: &Path,
    name: &str,
    cfg: &FunctionConfig,
    out_dir: &Path,
) -> Result<PathBuf, BuildError> {
    npm_install(root, name)?;
    let dir = root.join(source_dir(name));
    let entry = node_entry(root, name, cfg)?;
    let bin = dir.join("node_modules").join(".bin").join("esbuild");
    if !bin.exists() {
        return Err(BuildError::Toolchain {
            name: name.to_string(),
            missing: "esbuild, which its package.json does not install".into(),
            help: format!(
                "add it: `npm install --save-dev --save-exact esbuild` in {}",
                source_dir(name).display()
            ),
        });
    }
    let (file, _) = handler_parts(cfg);
    let out = out_dir.join(format!("{file}.js"));
    let meta = out_dir.join(".esbuild-meta.json");
    let major = cfg.runtime.version().unwrap_or("24");
    let rel_entry = entry.strip_prefix(&dir).unwrap_or(&entry);
    run(
        Command::new(&bin)
            .arg(rel_entry)
            .args([
                "--bundle",
                "--platform=node",
                &format!("--target=node{major}"),
                "--format=cjs",
                "--external:@aws-sdk/*",
                "--log-level=warning",
                "--color=false",
            ])
            .arg(format!("--outfile={}", out.display()))
            .arg(format!("--metafile={}", meta.display()))
            .current_dir(&dir),
        name,
        "esbuild",
    )?;
    // Everything bundled comes from the function's folder or its
    // node_modules: what the package is named by (its source hash) is what
    // it holds. An import from elsewhere would deploy unnoticed edits.
    let inputs: serde_json::Value = std::fs::read(&meta)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let _ = std::fs::remove_file(&meta);
    if let Some(outside) = inputs["inputs"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.keys())
        .find(|k| k.starts_with("../") || k.starts_with('/'))
    {
        return Err(BuildError::Unsupported {
            path: outside.clone(),
            what: format!(
                "the function `{name}` imports it from outside its folder (hoist/function/{name}/), which names its package; move the shared code into the function's folder, or publish it as a package in its package.json"
            ),
        });
    }
    Ok(out)
}

fn node_entries(root: &Path, name: &str, cfg: &FunctionConfig) -> Result<Vec<Entry>, BuildError> {
    let staging = tempfile::tempdir().map_err(io("create a folder in", &std::env::temp_dir()))?;
    let out = esbuild(root, name, cfg, staging.path())?;
    let bytes = std::fs::read(&out).map_err(io("read", &out))?;
    let (file, _) = handler_parts(cfg);
    Ok(vec![Entry {
        name: format!("{file}.js"),
        bytes,
        executable: false,
    }])
}

/// Check every Python file of the function compiles (with the local
/// Python), saying `file:line:column: message` for the first that does not.
fn python_syntax(
    root: &Path,
    name: &str,
    files: &[String],
    version: &str,
) -> Result<(), BuildError> {
    let script = "import sys\nfor path in sys.argv[1:]:\n    try:\n        compile(open(path, encoding='utf-8').read(), path, 'exec')\n    except SyntaxError as e:\n        print(f'{e.filename}:{e.lineno}:{e.offset}: {e.msg}')\n        sys.exit(1)\n";
    let py: Vec<&String> = files.iter().filter(|f| f.ends_with(".py")).collect();
    if py.is_empty() {
        return Ok(());
    }
    // The runtime's own Python when it is installed (`python3.14`), else the
    // local one, named in the message: its grammar may differ.
    let exact = format!("python{version}");
    let (interpreter, which) = if Command::new(&exact)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        (exact, format!("Python {version}"))
    } else {
        let local = python();
        let found = Command::new(&local)
            .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default();
        let which = if found == version {
            format!("Python {version}")
        } else {
            format!(
                "the local Python {found}, as no `python{version}` is installed: if this is valid Python {version}, install it"
            )
        };
        (local, which)
    };
    run(
        Command::new(&interpreter)
            .args(["-c", script])
            .args(py.iter().map(|f| source_dir(name).join(f)))
            .current_dir(root)
            .env_remove("PYTHONSTARTUP"),
        name,
        "python",
    )
    .map(|_| ())
    .map_err(|e| match e {
        BuildError::Failed { name, output, .. } => BuildError::Failed {
            name,
            tool: format!("compiled with {which}"),
            output,
        },
        other => other,
    })
}

/// `pip install --requirement requirements.txt --target <target>` with the
/// local Python, quietly: the start of both the package's install (for
/// Lambda's platform) and the local run's (for this machine).
pub fn pip_install(target: &Path) -> Command {
    let mut command = Command::new(python());
    command
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(["--requirement", "requirements.txt", "--target"])
        .arg(target);
    command
}

/// The Python interpreter hoist runs: `HOIST_PYTHON`, else `python3`.
pub fn python() -> String {
    std::env::var("HOIST_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// Whether a requirements file lists anything (not only comments).
pub fn lists_requirements(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|text| {
        text.lines()
            .map(|l| l.split('#').next().unwrap_or("").trim())
            .any(|l| !l.is_empty())
    })
}

fn python_entries(root: &Path, name: &str, cfg: &FunctionConfig) -> Result<Vec<Entry>, BuildError> {
    let dir = root.join(source_dir(name));
    let files = source_files(root, name)?;
    let (module, _) = handler_parts(cfg);
    let module_file = format!("{module}.py");
    if !files.contains(&module_file) {
        return Err(BuildError::NoHandler {
            name: name.to_string(),
            handler: cfg.handler().to_string(),
            tried: format!("`{}`", source_dir(name).join(&module_file).display()),
        });
    }
    python_syntax(root, name, &files, cfg.runtime.version().unwrap_or("3.14"))?;
    let mut entries = Vec::new();
    for rel in &files {
        let top = rel.split('/').next().unwrap_or(rel);
        if PYTHON_LEFT_OUT.contains(&rel.as_str()) || matches!(top, "tests" | "test") {
            continue;
        }
        let path = dir.join(rel);
        entries.push(Entry {
            name: rel.clone(),
            bytes: std::fs::read(&path).map_err(io("read", &path))?,
            executable: false,
        });
    }
    let requirements = dir.join("requirements.txt");
    if lists_requirements(&requirements) {
        let staging =
            tempfile::tempdir().map_err(io("create a folder in", &std::env::temp_dir()))?;
        // Lambda's Python 3.12 and later run on Amazon Linux 2023 (glibc
        // 2.34): wheels for manylinux2014 (glibc 2.17) up to 2.34 run there;
        // pip takes the newest version that has one of them.
        let arch = match cfg.architecture {
            Architecture::Arm64 => "aarch64",
            Architecture::X86_64 => "x86_64",
        };
        let platforms: Vec<String> = ["manylinux2014", "manylinux_2_28", "manylinux_2_34"]
            .iter()
            .map(|p| format!("{p}_{arch}"))
            .collect();
        let platform = platforms.join(", ");
        let version = cfg.runtime.version().unwrap_or("3.14");
        let installed = run(
            pip_install(staging.path())
                .args(platforms.iter().flat_map(|p| ["--platform", p.as_str()]))
                .arg("--only-binary=:all:")
                .args(["--python-version", version, "--implementation", "cp"])
                .arg("--no-compile")
                .current_dir(&dir),
            name,
            "pip",
        );
        if let Err(BuildError::Failed { output, .. }) = &installed
            && let Some(package) = output
                .lines()
                .find_map(|l| l.split("No matching distribution found for ").nth(1))
        {
            return Err(BuildError::Failed {
                name: name.to_string(),
                tool: "pip".into(),
                output: format!(
                    "`{}` has no wheel for Lambda's platform ({platform}, Python {version}), or pip could not reach its index: hoist installs only wheels, as Lambda cannot compile at install time. Use a version that publishes such wheels, or another package.\npip said:\n{}",
                    package.trim(),
                    tail(output, 12)
                ),
            });
        }
        installed?;
        let mut deps = Vec::new();
        collect_tree(staging.path(), staging.path(), &mut deps)?;
        for (rel, path) in deps {
            // caches, and console scripts (their first line names this
            // machine's Python): neither runs in Lambda
            if rel.split('/').any(|p| p == "__pycache__") || rel.starts_with("bin/") {
                continue;
            }
            entries.push(Entry {
                bytes: std::fs::read(&path).map_err(io("read", &path))?,
                executable: false,
                name: rel,
            });
        }
    }
    Ok(entries)
}

/// Every file under `dir`, relative to `base`.
fn collect_tree(
    base: &Path,
    dir: &Path,
    out: &mut Vec<(String, PathBuf)>,
) -> Result<(), BuildError> {
    for entry in std::fs::read_dir(dir).map_err(io("read the folder", dir))? {
        let entry = entry.map_err(io("read the folder", dir))?;
        let path = entry.path();
        if path.is_dir() {
            collect_tree(base, &path, out)?;
        } else {
            let rel = path
                .strip_prefix(base)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, path));
        }
    }
    Ok(())
}

/// Where cargo puts a function's build: `CARGO_TARGET_DIR` (relative to
/// the function's folder when relative), else its `target/`.
pub fn cargo_target_dir(dir: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").filter(|v| !v.is_empty()) {
        Some(target) => dir.join(target),
        None => dir.join("target"),
    }
}

/// `--locked` when the function has a Cargo.lock: the versions it names,
/// not newer ones published since.
fn locked(dir: &Path) -> &'static [&'static str] {
    if dir.join("Cargo.lock").is_file() {
        &["--locked"]
    } else {
        &[]
    }
}

/// Write a Rust function's Cargo.lock (`cargo generate-lockfile`), so that
/// its first build and every later one use the same versions.
pub fn cargo_lockfile(root: &Path, name: &str) -> Result<(), BuildError> {
    run(
        Command::new("cargo")
            .args(["generate-lockfile", "--quiet"])
            .current_dir(root.join(source_dir(name))),
        name,
        "cargo",
    )
    .map(|_| ())
}

/// The Rust target of an architecture: Lambda's Linux, statically linked.
fn musl_target(arch: Architecture) -> &'static str {
    match arch {
        Architecture::Arm64 => "aarch64-unknown-linux-musl",
        Architecture::X86_64 => "x86_64-unknown-linux-musl",
    }
}

fn has_cargo_lambda() -> bool {
    Command::new("cargo")
        .args(["lambda", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn has_rust_target(target: &str) -> bool {
    Command::new("rustc")
        .args(["--print", "target-libdir", "--target", target])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .is_some_and(|dir| {
            std::fs::read_dir(dir).is_ok_and(|mut d| {
                d.any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with("libstd-")))
            })
        })
}

fn rust_entries(root: &Path, name: &str, cfg: &FunctionConfig) -> Result<Vec<Entry>, BuildError> {
    let dir = root.join(source_dir(name));
    if !dir.join("Cargo.toml").is_file() {
        return Err(BuildError::NoSource {
            name: name.to_string(),
            path: source_dir(name).join("Cargo.toml").display().to_string(),
            expected: "Cargo.toml with a binary named `bootstrap`".into(),
        });
    }
    let target = musl_target(cfg.architecture);
    let binary = if has_cargo_lambda() {
        let arch_flag = match cfg.architecture {
            Architecture::Arm64 => "--arm64",
            Architecture::X86_64 => "--x86-64",
        };
        run(
            Command::new("cargo")
                .args([
                    "lambda",
                    "build",
                    "--release",
                    arch_flag,
                    "--bin",
                    "bootstrap",
                ])
                .args(locked(&dir))
                .current_dir(&dir),
            name,
            "cargo lambda",
        )?;
        cargo_target_dir(&dir).join("lambda/bootstrap/bootstrap")
    } else if has_rust_target(target) {
        run(
            Command::new("cargo")
                .args([
                    "build",
                    "--release",
                    "--bin",
                    "bootstrap",
                    "--target",
                    target,
                ])
                .args(locked(&dir))
                .current_dir(&dir),
            name,
            "cargo",
        )?;
        cargo_target_dir(&dir)
            .join(target)
            .join("release/bootstrap")
    } else {
        return Err(BuildError::Toolchain {
            name: name.to_string(),
            missing: format!(
                "cargo-lambda or the Rust target `{target}`, and neither is installed"
            ),
            help: format!(
                "install cargo-lambda (`pip install cargo-lambda`, which brings the Zig linker it uses), or `rustup target add {target}` with a musl linker; `hoist function invoke` runs the function locally without either"
            ),
        });
    };
    let bytes = std::fs::read(&binary).map_err(io("read the built", &binary))?;
    Ok(vec![Entry {
        name: "bootstrap".into(),
        bytes,
        executable: true,
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_entries_give_the_same_zip_in_any_order() {
        let entries = || {
            vec![
                Entry {
                    name: "b.py".into(),
                    bytes: b"print(2)".to_vec(),
                    executable: false,
                },
                Entry {
                    name: "a/bootstrap".into(),
                    bytes: vec![0; 1000],
                    executable: true,
                },
            ]
        };
        let one = zip(entries()).unwrap();
        let mut reversed = entries();
        reversed.reverse();
        assert_eq!(one, zip(reversed).unwrap());
        let mut twice = entries();
        twice.extend(entries());
        assert!(zip(twice).unwrap_err().contains("`a/bootstrap` is both"));
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(one)).unwrap();
        let first = archive.by_index(0).unwrap();
        assert_eq!(first.name().unwrap(), "a/bootstrap");
        assert_eq!(first.unix_mode(), Some(0o100755));
        assert_eq!(first.last_modified(), Some(zip::DateTime::default()));
    }

    #[test]
    fn the_source_hash_follows_content_runtime_and_architecture_not_dependencies() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join(source_dir("greet"));
        std::fs::create_dir_all(src.join("node_modules/x")).unwrap();
        std::fs::write(src.join("index.py"), "def handler(e, c): return 1\n").unwrap();
        let cfg = FunctionConfig::new(super::super::Runtime::Python314);
        let first = source_hash(dir.path(), "greet", &cfg).unwrap();
        std::fs::write(src.join("node_modules/x/y.js"), "1").unwrap();
        assert_eq!(source_hash(dir.path(), "greet", &cfg).unwrap(), first);
        let mut x86 = cfg.clone();
        x86.architecture = Architecture::X86_64;
        assert_ne!(source_hash(dir.path(), "greet", &x86).unwrap(), first);
        std::fs::write(src.join("index.py"), "def handler(e, c): return 2\n").unwrap();
        assert_ne!(source_hash(dir.path(), "greet", &cfg).unwrap(), first);
        assert!(matches!(
            source_hash(dir.path(), "other", &cfg),
            Err(BuildError::NoSource { .. })
        ));
    }
}
