//! `hoist init`: scaffold a frontend and a `hoist.toml`, or add `hoist.toml`
//! to a folder that already holds a frontend.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::category::api::{ApiConfig, AuthMode};
use crate::category::auth::AuthConfig;
use crate::category::storage::StorageConfig;
use crate::cli::{ApiTemplate, GlobalArgs, InitArgs, Starter};
use crate::error::FsError;
use crate::outputs;
use crate::project::detect::{self, DetectedFrontend, Inspection};
use crate::project::{
    self, EnvSection, FORMAT_VERSION, FileSet, Framework, InitError, MANIFEST_FILE, Manifest,
    ProjectSection, state,
};
use crate::prompt::{self, Answers, Inputs, Question};
use crate::render::{self, TemplateContext};
use crate::settings::{self, EnvLookup};
use crate::ui::Printer;

/// How the project comes to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// A new frontend from a template.
    Scaffold,
    /// `hoist.toml` added to an existing frontend.
    Existing { tool: &'static str },
}

/// Everything `init` will write, decided before anything is written.
#[derive(Debug, Clone)]
pub struct InitPlan {
    pub root: PathBuf,
    pub mode: Mode,
    pub starter: Starter,
    pub manifest: Manifest,
    pub env: String,
    pub files: FileSet,
    /// Files that exist and will be replaced (`--force`).
    pub replaced: Vec<String>,
}

pub fn run(args: &InitArgs, global: &GlobalArgs, printer: &Printer) -> Result<(), crate::Error> {
    let cwd =
        std::env::current_dir().map_err(|e| FsError::new("read the current folder", ".", e))?;
    let answers = match &global.answers {
        Some(path) => Answers::load(path)?,
        None => Answers::default(),
    };
    let mut prompter = prompt::for_terminal();
    let mut inputs = Inputs {
        answers,
        yes: global.yes,
        prompter: prompter.as_mut(),
    };
    let plan = plan(args, &cwd, &mut inputs, &settings::process_env)?;
    let written = project::place_files(&plan.root, &plan.files)?;
    report(&plan, &cwd, &written, printer);
    Ok(())
}

/// Decide what to write. Reads the target folder; writes nothing.
pub fn plan(
    args: &InitArgs,
    cwd: &Path,
    inputs: &mut Inputs,
    env: EnvLookup,
) -> Result<InitPlan, crate::Error> {
    let root = match &args.dir {
        Some(dir) => cwd.join(dir),
        None => cwd.to_path_buf(),
    };
    let root = normalize(&root);
    if root.exists() && !root.is_dir() {
        return Err(InitError::NotAFolder { path: root }.into());
    }

    let detected = match detect::inspect(&root).map_err(InitError::from)? {
        Inspection::Project { root: project } => {
            return Err(InitError::AlreadyProject {
                dir: root,
                root: project,
            }
            .into());
        }
        Inspection::Other { entries } if !args.force => {
            return Err(InitError::NotEmpty {
                dir: root,
                found: entries.into_iter().map(|e| format!("`{e}`")).collect(),
            }
            .into());
        }
        Inspection::Frontend(found) => Some(found),
        Inspection::Missing | Inspection::Empty | Inspection::Other { .. } => None,
    };

    let folder_name = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = inputs.text(
        Question {
            key: "name",
            prompt: "Project name",
            default: Some(project::project_name_from(&folder_name)),
        },
        args.name.clone(),
        project::validate_project_name,
    )?;

    let framework = match &detected {
        Some(found) => match args.frontend {
            Some(asked) if asked != found.framework => {
                return Err(InitError::FrontendMismatch {
                    asked,
                    detected: found.framework,
                    tool: found.tool,
                }
                .into());
            }
            _ => found.framework,
        },
        None => inputs.choice_with(
            Question {
                key: "frontend",
                prompt: "Frontend",
                default: None,
            },
            args.frontend,
            &Framework::SCAFFOLDED,
            Framework::React,
            |f| {
                let description = render::template_manifest(f)
                    .map(|m| m.description)
                    .unwrap_or_default();
                format!("{:<13} {description}", f.as_str())
            },
        )?,
    };

    let starter = match (&detected, framework) {
        (Some(found), _) => match args.starter {
            Some(Starter::Todo) => {
                return Err(InitError::StarterOnExisting {
                    starter: "todo",
                    detected: found.framework,
                }
                .into());
            }
            _ => Starter::Blank,
        },
        (None, Framework::None) => match args.starter {
            Some(Starter::Todo) => {
                return Err(InitError::StarterNeedsFrontend { starter: "todo" }.into());
            }
            _ => Starter::Blank,
        },
        (None, _) => inputs.choice_with(
            Question {
                key: "starter",
                prompt: "Starter",
                default: None,
            },
            args.starter,
            &[Starter::Blank, Starter::Todo],
            Starter::Blank,
            |s| match s {
                Starter::Blank => "blank         a page that says how to add a backend".to_string(),
                Starter::Todo => {
                    "todo          sign-in, a live todo list and a files page (adds auth, api and storage)"
                        .to_string()
                }
            },
        )?,
    };

    let env_name = inputs.text(
        Question {
            key: "env",
            prompt: "Environment name",
            default: Some("dev".to_string()),
        },
        args.env_name.clone(),
        project::validate_env_name,
    )?;
    let profile = inputs.optional_text(
        Question {
            key: "profile",
            prompt: "AWS profile (empty for the standard credential chain)",
            default: None,
        },
        args.profile.clone(),
        project::validate_profile,
    )?;
    let region = inputs.text(
        Question {
            key: "region",
            prompt: "AWS region",
            default: Some(settings::default_region(env, profile.as_deref())),
        },
        args.region.clone(),
        project::validate_new_region,
    )?;

    let (mode, project_section, mut files) = match &detected {
        Some(found) => (
            Mode::Existing { tool: found.tool },
            existing_project_section(&name, found),
            FileSet::new(),
        ),
        None => {
            let template = render::template_manifest(framework)?;
            let section = ProjectSection {
                name: name.clone(),
                frontend: framework,
                source_dir: template.source_dir.clone(),
                dist_dir: template.dist_dir.clone(),
                build_command: template.build_command.clone(),
                start_command: template.start_command.clone(),
            };
            let mut ctx = TemplateContext::new(&name, framework, &template.source_dir);
            ctx.todo = starter == Starter::Todo;
            (
                Mode::Scaffold,
                section,
                render::render_frontend(framework, &ctx)?,
            )
        }
    };

    let mut manifest = Manifest {
        format_version: FORMAT_VERSION,
        env: BTreeMap::from([(
            env_name.clone(),
            EnvSection {
                region,
                profile,
                parameters: BTreeMap::new(),
                protected: false,
            },
        )]),
        project: project_section,
        auth: BTreeMap::new(),
        api: BTreeMap::new(),
        storage: BTreeMap::new(),
        function: BTreeMap::new(),
        workflow: BTreeMap::new(),
        hosting: BTreeMap::new(),
        codegen: None,
    };
    if starter == Starter::Todo {
        add_todo_backend(&mut manifest, &mut files)?;
    }
    files.insert(
        MANIFEST_FILE.to_string(),
        project::new_manifest_text(&manifest).into_bytes(),
    );

    // .gitignore: the template's (or the folder's own) with hoist's lines added.
    let existing_ignore = std::fs::read_to_string(root.join(".gitignore")).ok();
    let base_ignore = files
        .get(".gitignore")
        .map(|b| String::from_utf8_lossy(b).into_owned());
    let ignore = match (existing_ignore, base_ignore) {
        (Some(existing), Some(template)) => merge_lines(&existing, &template),
        (Some(existing), None) => existing,
        (None, Some(template)) => template,
        (None, None) => String::new(),
    };
    match state::gitignore_with_hoist_lines(&ignore) {
        Some(updated) => files.insert(".gitignore".to_string(), updated.into_bytes()),
        None => files.remove(".gitignore"),
    };

    let outputs_path = join_rel(&manifest.project.source_dir, outputs::OUTPUTS_FILE);
    if !root.join(&outputs_path).exists() {
        files.insert(outputs_path, outputs::to_file_contents(&outputs::empty()));
    }
    let (state_path, state_contents) = state::current_env_file(&env_name);
    files.insert(state_path, state_contents);

    let replaced = files
        .keys()
        .filter(|rel| *rel != ".gitignore" && root.join(rel).exists())
        .cloned()
        .collect();
    Ok(InitPlan {
        root,
        mode,
        starter,
        manifest,
        env: env_name,
        files,
        replaced,
    })
}

/// The `todo` starter's backend: email sign-in, an api whose `Todo` items each
/// user owns (user pools only: no API key, which would ship in the frontend),
/// private file storage, and
/// the TypeScript `hoist codegen` writes for the api.
fn add_todo_backend(manifest: &mut Manifest, files: &mut FileSet) -> Result<(), crate::Error> {
    let api = ApiConfig::new(AuthMode::UserPools);
    let schema = crate::category::api::blueprint(ApiTemplate::OwnerAuth, &api);
    let schema_path = "hoist/api/main/schema.graphql";
    let output = crate::transform::transform_with(&schema, schema_path, &api.transform_modes())
        .map_err(|e| crate::Error::Internal(format!("the todo starter's schema: {e}")))?;
    let parsed = crate::codegen::parse_schema("main", &output.sdl)?;
    let generated =
        crate::codegen::generate(&parsed, schema_path, crate::codegen::DEFAULT_MAX_DEPTH);
    let dir = join_rel(&manifest.project.source_dir, "graphql");
    for (name, text) in generated {
        files.insert(format!("{dir}/{name}"), text.into_bytes());
    }
    files.insert(schema_path.to_string(), schema.into_bytes());
    manifest.auth.insert("main".into(), AuthConfig::default());
    manifest.api.insert("main".into(), api);
    manifest
        .storage
        .insert("files".into(), StorageConfig::with_defaults());
    Ok(())
}

fn existing_project_section(name: &str, found: &DetectedFrontend) -> ProjectSection {
    ProjectSection {
        name: name.to_string(),
        frontend: found.framework,
        source_dir: found.source_dir.clone(),
        dist_dir: found.dist_dir.clone(),
        build_command: found.build_command.clone(),
        start_command: found.start_command.clone(),
    }
}

/// `existing` plus the lines of `extra` it lacks.
fn merge_lines(existing: &str, extra: &str) -> String {
    let mut out = existing.to_string();
    let missing: Vec<&str> = extra
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter(|l| !existing.lines().any(|e| e.trim() == l.trim()))
        .collect();
    if !missing.is_empty() {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        for line in missing {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn join_rel(dir: &str, file: &str) -> String {
    match dir.trim_end_matches('/') {
        "" | "." => file.to_string(),
        dir => format!("{dir}/{file}"),
    }
}

/// `a/./b/../c` as `a/c`, without touching the filesystem (the folder may not exist).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn report(plan: &InitPlan, cwd: &Path, written: &[PathBuf], printer: &Printer) {
    let project = &plan.manifest.project;
    let env = &plan.manifest.env[&plan.env];
    let shown = match plan.root.strip_prefix(cwd) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".to_string(),
        Ok(rel) => rel.display().to_string(),
        Err(_) => plan.root.display().to_string(),
    };
    if printer.json() {
        printer.data(&json!({
            "root": plan.root,
            "name": project.name,
            "frontend": project.frontend,
            "mode": match plan.mode { Mode::Scaffold => "scaffold", Mode::Existing { .. } => "existing" },
            "starter": match plan.starter { Starter::Blank => "blank", Starter::Todo => "todo" },
            "env": plan.env,
            "region": env.region,
            "profile": env.profile,
            "source_dir": project.source_dir,
            "files": plan.files.keys().collect::<Vec<_>>(),
            "replaced": plan.replaced,
        }));
    }
    for path in &plan.replaced {
        printer.warn(format!("replaced `{path}`"));
    }
    for path in written {
        printer.detail(format!(
            "wrote {}",
            path.strip_prefix(&plan.root).unwrap_or(path).display()
        ));
    }
    match plan.mode {
        Mode::Scaffold if project.frontend == Framework::None => printer.success(format!(
            "Created `{}` (no frontend) in {shown}, environment `{}` in {}",
            project.name, plan.env, env.region
        )),
        Mode::Scaffold => printer.success(format!(
            "Created `{}`, a {} app, in {shown}, environment `{}` in {}",
            project.name, project.frontend, plan.env, env.region
        )),
        Mode::Existing { tool } => printer.success(format!(
            "Added hoist to the {} app ({tool}) in {shown}, environment `{}` in {}",
            project.frontend, plan.env, env.region
        )),
    }
    printer.info("\nNext steps:");
    if shown != "." {
        printer.command_hint(&format!("cd {}", shell_quote(&shown)), "");
    }
    if plan.starter == Starter::Todo {
        printer.command_hint(
            "hoist dev",
            "run the app and its backend offline (installs the npm dependencies first); sign up with the code it prints",
        );
        printer.command_hint("hoist push", "deploy auth, the api and storage to AWS");
        return;
    }
    if let Mode::Existing { .. } = plan.mode
        && project.frontend != Framework::None
    {
        // the app's own code loads what hoist writes: say how, once
        let packages = render::amplify_packages(project.frontend);
        printer.command_hint(
            &format!("npm install {}", packages.join(" ")),
            "the Amplify client, at the versions hoist's templates are tested with",
        );
        let outputs_file = join_rel(&project.source_dir, outputs::OUTPUTS_FILE);
        printer.info(format!(
            "  then, in the app's entry file (the import's path is from that file to `{outputs_file}`):\n    import {{ Amplify }} from 'aws-amplify';\n    import outputs from './amplify_outputs.json';\n    Amplify.configure(outputs);\n  (`{outputs_file}` holds no backend yet; `hoist push` and `hoist outputs` fill it in)"
        ));
    }
    if plan.mode == Mode::Scaffold && project.frontend != Framework::None {
        printer.command_hint("npm install", "install the frontend's dependencies");
        if let Some(start) = &project.start_command {
            printer.command_hint(start, "run the app locally");
        }
    }
    printer.command_hint("hoist add auth", "add sign-up and sign-in");
    printer.command_hint("hoist add api", "add a GraphQL API and database");
    printer.command_hint("hoist add storage", "add file storage");
    printer.command_hint("hoist push", "deploy the backend");
}

/// `path` as a shell word: quoted when it holds anything but plain characters.
fn shell_quote(path: &str) -> String {
    if path
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./+@:".contains(c))
    {
        path.to_string()
    } else {
        format!("'{}'", path.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prompt::Scripted;

    fn args() -> InitArgs {
        InitArgs {
            dir: Some(PathBuf::from("shop")),
            name: None,
            frontend: None,
            env_name: None,
            region: None,
            profile: None,
            force: false,
            starter: None,
        }
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn scripted_answers_are_asked_in_order() {
        let cwd = tempfile::tempdir().unwrap();
        let mut prompter = Scripted::new(["", "vue", "", "staging", "", "eu-north-1"]);
        let mut inputs = Inputs {
            answers: Answers::default(),
            yes: false,
            prompter: &mut prompter,
        };
        let plan = plan(&args(), cwd.path(), &mut inputs, &no_env).unwrap();
        assert_eq!(
            prompter.asked,
            ["name", "frontend", "starter", "env", "profile", "region"]
        );
        assert_eq!(plan.manifest.project.name, "shop");
        assert_eq!(plan.manifest.project.frontend, Framework::Vue);
        assert_eq!(plan.manifest.env["staging"].region, "eu-north-1");
        assert_eq!(plan.manifest.env["staging"].profile, None);
        assert!(plan.files.contains_key("src/App.vue"));
        assert!(plan.files.contains_key("src/amplify_outputs.json"));
        assert_eq!(plan.files[".hoist/current-env"], b"staging\n");
    }

    #[test]
    fn flags_are_never_asked() {
        let cwd = tempfile::tempdir().unwrap();
        let mut prompter = Scripted::new(Vec::<String>::new());
        let mut inputs = Inputs {
            answers: Answers::default(),
            yes: false,
            prompter: &mut prompter,
        };
        let args = InitArgs {
            name: Some("shop".into()),
            frontend: Some(Framework::None),
            env_name: Some("dev".into()),
            region: Some("us-west-2".into()),
            profile: Some("".into()),
            ..args()
        };
        let plan = plan(&args, cwd.path(), &mut inputs, &no_env).unwrap();
        assert!(prompter.asked.is_empty());
        assert!(plan.files.contains_key("amplify_outputs.json"));
        assert!(!plan.files.contains_key("package.json"));
    }

    #[test]
    fn yes_takes_defaults_from_the_aws_chain() {
        let cwd = tempfile::tempdir().unwrap();
        let mut prompter = Scripted::new(Vec::<String>::new());
        let mut inputs = Inputs {
            answers: Answers::default(),
            yes: true,
            prompter: &mut prompter,
        };
        let env = |k: &str| (k == "AWS_REGION").then(|| "ap-northeast-1".to_string());
        let args = InitArgs {
            dir: Some(PathBuf::from("My Shop")),
            ..args()
        };
        let plan = plan(&args, cwd.path(), &mut inputs, &env).unwrap();
        assert!(prompter.asked.is_empty());
        assert_eq!(plan.manifest.project.name, "my-shop");
        assert_eq!(plan.manifest.project.frontend, Framework::React);
        assert_eq!(plan.manifest.env["dev"].region, "ap-northeast-1");
    }

    #[test]
    fn merges_ignore_lines() {
        assert_eq!(merge_lines("a\nb", "# c\nb\nc\n"), "a\nb\nc\n");
        assert_eq!(join_rel(".", "x.json"), "x.json");
        assert_eq!(join_rel("src/", "x.json"), "src/x.json");
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert_eq!(shell_quote("my-app/web"), "my-app/web");
        assert_eq!(shell_quote("Cool App"), "'Cool App'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
