//! Drive the real binary in a clean temporary HOME with a cleared environment.
#![allow(dead_code)]

pub mod callers;
pub mod functions;
pub mod moto;
pub mod running;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub struct Sandbox {
    pub home: tempfile::TempDir,
    pub work: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Sandbox {
            home: tempfile::tempdir().unwrap(),
            work: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.work.path()
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.work.path().join(rel)
    }

    /// `hoist` in the work folder, with nothing from the caller's environment
    /// but PATH: no AWS variables, no colour, no terminal.
    pub fn hoist(&self) -> Command {
        self.hoist_in(self.path())
    }

    pub fn hoist_in(&self, dir: &Path) -> Command {
        let mut cmd = Command::cargo_bin("hoist").unwrap();
        cmd.current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("NO_COLOR", "1")
            .env("COLUMNS", "100");
        cmd
    }

    pub fn write(&self, rel: &str, contents: &str) {
        let path = self.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    /// Every file below `rel`, relative and sorted.
    pub fn files(&self, rel: &str) -> Vec<String> {
        let root = self.join(rel);
        let mut out = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    out.push(
                        path.strip_prefix(&root)
                            .unwrap()
                            .to_string_lossy()
                            .replace('\\', "/"),
                    );
                }
            }
        }
        out.sort();
        out
    }

    /// Everything in the work folder, for "nothing was written" checks.
    pub fn entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

/// stderr as text, with the temporary paths replaced so snapshots are stable.
pub fn stderr_of(output: &std::process::Output, sandbox: &Sandbox) -> String {
    let text = String::from_utf8_lossy(&output.stderr).into_owned();
    let work = sandbox.path().to_string_lossy().into_owned();
    let canonical = sandbox
        .path()
        .canonicalize()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    text.replace(&canonical, "[WORK]").replace(&work, "[WORK]")
}

/// A diagnostic with miette's line wrapping undone, for `contains` checks.
pub fn flat(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        let continuation =
            trimmed.starts_with("| ") || (line.starts_with("        ") && !out.is_empty());
        if continuation {
            out.push(' ');
            out.push_str(trimmed.trim_start_matches("| "));
        } else {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(line);
        }
    }
    out
}

/// A folder of `../shared/corpus` (real-world inputs beside the repository):
/// `graphql` or `asl`. Missing, it is a failure under `CI=true` (a suite that
/// silently skips is no suite); elsewhere it is `None`, with a notice written
/// straight to the terminal (not captured by the test harness, so it is seen).
pub fn corpus(kind: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus")
        .join(kind);
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").map_or(true, |v| v != "true"),
        "CI=true and the corpus is missing: no folder at {}",
        dir.display()
    );
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "NOTICE: no corpus at {}: the tests that read it check nothing (CI fails here)",
        dir.display()
    );
    None
}

/// One file of the corpus (`graphql/x.graphql`): its text; None without the
/// corpus (a failure under CI, as [`corpus`] says).
pub fn corpus_file(rel: &str) -> Option<String> {
    let (kind, name) = rel.split_once('/').unwrap();
    let dir = corpus(kind)?;
    Some(std::fs::read_to_string(dir.join(name)).unwrap())
}

/// Give the project's api `main` every authorization mode (an API key by
/// default; user pools, IAM, the sandbox's OIDC issuer and a Lambda
/// authorizer besides), as schemas that use them all need.
pub fn with_every_auth_mode(app: &Path) {
    let manifest = std::fs::read_to_string(app.join("hoist.toml")).unwrap();
    let (before, rest) = manifest.split_once("[api.main]").unwrap();
    let after = rest.find("\n[").map(|i| &rest[i..]).unwrap_or("");
    std::fs::write(
        app.join("hoist.toml"),
        format!(
            "{before}[api.main]\nauth = \"api-key\"\nadditional_auth = [\"user-pools\", \"iam\", \"oidc\", \"lambda\"]\napi_key_days = 7\noidc_issuer = \"https://hoist-sandbox.invalid/dev/oidc\"\noidc_client_id = \"hoistsandboxclient\"\nlambda_authorizer_arn = \"arn:aws:lambda:us-east-1:123456789012:function:authorizer\"\n{after}"
        ),
    )
    .unwrap();
}

/// The GraphQL corpus, parts of one schema together (`x-part1-...`,
/// `x-part2-...` are api `x`): (name, [(file, text)]), by name; empty without
/// the corpus (and a failure under CI, as [`corpus`] says).
pub fn corpus_apis() -> Vec<(String, Vec<(String, String)>)> {
    let Some(dir) = corpus("graphql") else {
        return Vec::new();
    };
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".graphql"))
        .collect();
    names.sort();
    let mut apis: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for name in names {
        let whole = name
            .trim_end_matches(".graphql")
            .split("-part")
            .next()
            .unwrap()
            .to_string();
        let text = std::fs::read_to_string(dir.join(&name)).unwrap();
        match apis.iter_mut().find(|(w, _)| *w == whole) {
            Some((_, parts)) => parts.push((name, text)),
            None => apis.push((whole, vec![(name, text)])),
        }
    }
    apis
}

/// Run a Node judge of `tests/` (`rel`, e.g. `outputs-check/sandbox-mfa.mjs`)
/// with `args`; it must exit 0 and print its JSON report last. The report.
pub fn node_report(rel: &str, args: &[&std::ffi::OsStr]) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(rel);
    let out = std::process::Command::new("node")
        .arg(&script)
        .args(args)
        .output()
        .expect("could not run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{rel} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{rel}: no report ({e}):\n{stdout}"))
}

/// Each definition of an SDL document, printed, by its name (the schema
/// definition under ""): an order-free comparison of two schemas.
pub fn sdl_definitions(sdl: &str) -> std::collections::BTreeMap<String, String> {
    use apollo_compiler::ast::Document;
    let doc = Document::parse(sdl, "x.graphql").unwrap_or_else(|e| panic!("{e}\n{sdl}"));
    doc.definitions
        .iter()
        .map(|d| {
            let name = d.name().map(|n| n.to_string()).unwrap_or_default();
            let mut one = Document::new();
            one.definitions.push(d.clone());
            (name, one.to_string())
        })
        .collect()
}
