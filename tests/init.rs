//! `hoist init`, driven through the real binary.

mod common;

use common::{Sandbox, stderr_of};
use predicates::prelude::*;

#[test]
fn yes_scaffolds_each_frontend() {
    for (frontend, marker) in [
        ("react", "src/main.tsx"),
        ("vue", "src/App.vue"),
        ("react-native", "app.json"),
        ("none", "README.md"),
    ] {
        let sb = Sandbox::new();
        sb.hoist()
            .args(["init", "myapp", "--frontend", frontend, "--yes"])
            .assert()
            .success()
            .stderr(predicate::str::contains("Created `myapp`"))
            .stderr(predicate::str::contains("hoist add auth"));
        let files = sb.files("myapp");
        assert!(files.contains(&marker.to_string()), "{frontend}: {files:?}");
        let manifest = sb.read("myapp/hoist.toml");
        assert!(
            manifest.contains(&format!("frontend = \"{frontend}\"")),
            "{manifest}"
        );
        assert!(
            manifest.contains("[env.dev]\nregion = \"us-east-1\""),
            "{manifest}"
        );
        assert_eq!(sb.read("myapp/.hoist/current-env"), "dev\n");
        let ignore = sb.read("myapp/.gitignore");
        assert!(
            ignore.contains("\n.hoist/\namplify_outputs.json\n"),
            "{ignore}"
        );
        let outputs = if frontend == "none" {
            "myapp/amplify_outputs.json"
        } else {
            "myapp/src/amplify_outputs.json"
        };
        assert_eq!(sb.read(outputs), "{\n  \"version\": \"1.4\"\n}\n");
        // nothing but the project is left in the work folder
        assert_eq!(sb.entries(), ["myapp"]);
    }
}

#[test]
fn package_json_and_readme_carry_the_name() {
    let sb = Sandbox::new();
    sb.hoist()
        .args(["init", "Shop Front", "--frontend", "vue", "--yes"])
        .assert()
        .success();
    let package = sb.read("Shop Front/package.json");
    assert!(package.contains("\"name\": \"shop-front\""), "{package}");
    assert!(
        sb.read("Shop Front/README.md")
            .starts_with("# shop-front\n")
    );
}

#[test]
fn every_flag_is_used_and_nothing_is_asked() {
    let sb = Sandbox::new();
    sb.hoist()
        .args([
            "init",
            "app",
            "--name",
            "shop",
            "--frontend",
            "react",
            "--starter",
            "blank",
            "--env",
            "staging",
            "--region",
            "eu-central-1",
            "--profile",
            "work",
        ])
        .assert()
        .success();
    let manifest = sb.read("app/hoist.toml");
    assert!(manifest.contains("name = \"shop\""));
    assert!(
        manifest.contains("[env.staging]\nregion = \"eu-central-1\"\nprofile = \"work\"\n"),
        "{manifest}"
    );
    assert_eq!(sb.read("app/.hoist/current-env"), "staging\n");
}

#[test]
fn json_output_goes_to_stdout() {
    let sb = Sandbox::new();
    let output = sb
        .hoist()
        .args([
            "init",
            "myapp",
            "--frontend",
            "none",
            "--yes",
            "--json",
            "-q",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["name"], "myapp");
    assert_eq!(value["frontend"], "none");
    assert_eq!(value["mode"], "scaffold");
    assert_eq!(value["env"], "dev");
    assert!(
        value["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "hoist.toml")
    );
}

#[test]
fn region_comes_from_the_aws_configuration() {
    let sb = Sandbox::new();
    sb.hoist()
        .env("AWS_REGION", "ap-southeast-2")
        .args(["init", "a", "--frontend", "none", "--yes"])
        .assert()
        .success();
    assert!(
        sb.read("a/hoist.toml")
            .contains("region = \"ap-southeast-2\"")
    );

    std::fs::create_dir_all(sb.home.path().join(".aws")).unwrap();
    std::fs::write(
        sb.home.path().join(".aws/config"),
        "[default]\nregion = eu-west-3\n[profile ci]\nregion = sa-east-1\n",
    )
    .unwrap();
    sb.hoist()
        .args(["init", "b", "--frontend", "none", "--yes"])
        .assert()
        .success();
    assert!(sb.read("b/hoist.toml").contains("region = \"eu-west-3\""));
    sb.hoist()
        .args([
            "init",
            "c",
            "--frontend",
            "none",
            "--yes",
            "--profile",
            "ci",
        ])
        .assert()
        .success();
    let manifest = sb.read("c/hoist.toml");
    assert!(
        manifest.contains("region = \"sa-east-1\"\nprofile = \"ci\""),
        "{manifest}"
    );
}

#[test]
fn answers_file_answers_the_questions() {
    let sb = Sandbox::new();
    sb.write("answers.toml", "name = \"shop\"\nfrontend = \"vue\"\nstarter = \"blank\"\nenv = \"qa\"\nregion = \"us-west-1\"\nprofile = \"\"\n");
    sb.hoist()
        .args(["init", "app", "--answers", "answers.toml"])
        .assert()
        .success();
    let manifest = sb.read("app/hoist.toml");
    assert!(
        manifest.contains("name = \"shop\"\nfrontend = \"vue\""),
        "{manifest}"
    );
    assert!(
        manifest.contains("[env.qa]\nregion = \"us-west-1\"\n"),
        "{manifest}"
    );

    sb.write("bad.toml", "frontend = \"svelte\"\nname = \"x1\"\n");
    let output = sb
        .hoist()
        .args(["init", "app2", "--answers", "bad.toml", "--yes"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(stderr_of(&output, &sb));

    sb.write("broken.toml", "name = \n");
    let output = sb
        .hoist()
        .args(["init", "app3", "--answers", "broken.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(stderr_of(&output, &sb));
    assert!(!sb.join("app2").exists() && !sb.join("app3").exists());
}

#[test]
fn without_a_terminal_a_missing_value_names_its_flag() {
    let sb = Sandbox::new();
    let output = sb.hoist().args(["init", "app"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(stderr_of(&output, &sb));

    let output = sb
        .hoist()
        .args(["init", "app", "--name", "shop"])
        .output()
        .unwrap();
    assert!(stderr_of(&output, &sb).contains("pass `--frontend`"));
    assert_eq!(sb.entries(), Vec::<String>::new());
}

#[test]
fn invalid_names_are_refused_with_the_rule() {
    let sb = Sandbox::new();
    for (args, expected) in [
        (vec!["--name", "My_App"], "invalid project name `My_App`"),
        (
            vec!["--name", "a-very-long-project-name-indeed"],
            "at most 24 are allowed",
        ),
        (vec!["--env", "Prod-1"], "invalid environment name `Prod-1`"),
        (vec!["--region", "mars-1"], "invalid AWS region `mars-1`"),
        (
            vec!["--profile", "has space"],
            "invalid AWS profile `has space`",
        ),
    ] {
        let output = sb
            .hoist()
            .args(["init", "app", "--frontend", "react", "--yes"])
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stderr = stderr_of(&output, &sb);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(stderr.contains("help:"), "{stderr}");
        assert_eq!(
            sb.entries(),
            Vec::<String>::new(),
            "nothing written for {args:?}"
        );
    }
    let output = sb
        .hoist()
        .args(["init", "app", "--name", "1shop", "--yes"])
        .output()
        .unwrap();
    insta::assert_snapshot!(stderr_of(&output, &sb));
}

#[test]
fn refuses_a_folder_that_is_not_empty_unless_forced() {
    let sb = Sandbox::new();
    sb.write("app/notes.txt", "mine");
    sb.write("app/README.md", "my readme");
    let output = sb
        .hoist()
        .args(["init", "app", "--frontend", "react", "--yes"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(stderr_of(&output, &sb));
    assert_eq!(sb.files("app"), ["README.md", "notes.txt"]);

    sb.hoist()
        .args(["init", "app", "--frontend", "react", "--yes", "--force"])
        .assert()
        .success()
        .stderr(predicate::str::contains("replaced `README.md`"));
    assert_eq!(sb.read("app/notes.txt"), "mine");
    assert!(sb.read("app/README.md").starts_with("# app"));
    assert!(sb.join("app/package.json").exists());
}

#[test]
fn a_folder_with_only_git_counts_as_empty() {
    let sb = Sandbox::new();
    sb.write("app/.git/HEAD", "ref: refs/heads/main\n");
    sb.write("app/.gitignore", "secrets/\n");
    // .gitignore alone makes it "not empty", as git users would expect to keep it: use --force
    sb.hoist()
        .args(["init", "app", "--frontend", "vue", "--yes", "--force"])
        .assert()
        .success();
    let ignore = sb.read("app/.gitignore");
    assert!(ignore.starts_with("secrets/\n"), "{ignore}");
    assert!(
        ignore.contains("node_modules/") && ignore.contains(".hoist/"),
        "{ignore}"
    );

    let sb = Sandbox::new();
    sb.write("app/.git/HEAD", "ref: refs/heads/main\n");
    sb.hoist()
        .current_dir(sb.join("app"))
        .args(["init", "--frontend", "react", "--yes"])
        .assert()
        .success()
        .stderr(predicate::str::contains("in ., environment"));
    assert!(sb.join("app/.git/HEAD").exists());
    assert!(sb.read("app/hoist.toml").contains("name = \"app\""));
}

#[test]
fn an_existing_frontend_gets_only_hoist_files() {
    let sb = Sandbox::new();
    sb.write(
        "web/package.json",
        r#"{"name":"web","scripts":{"dev":"vite","build":"vite build"},"dependencies":{"vue":"^3.5.0"}}"#,
    );
    sb.write(
        "web/vite.config.ts",
        "export default { build: { outDir: 'www' } }\n",
    );
    sb.write("web/src/main.ts", "console.log('mine')\n");
    sb.write("web/.gitignore", "node_modules\n");
    sb.hoist()
        .args(["init", "web", "--yes"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "Added hoist to the vue app (Vite)",
        ))
        // the wiring step the app's own code needs, with the pinned client
        .stderr(predicate::str::contains("npm install aws-amplify@6."))
        .stderr(predicate::str::contains(
            "import outputs from './amplify_outputs.json';",
        ))
        .stderr(predicate::str::contains("Amplify.configure(outputs);"));
    assert_eq!(
        sb.files("web"),
        [
            ".gitignore",
            ".hoist/current-env",
            "hoist.toml",
            "package.json",
            "src/amplify_outputs.json",
            "src/main.ts",
            "vite.config.ts"
        ]
    );
    assert_eq!(sb.read("web/src/main.ts"), "console.log('mine')\n");
    assert_eq!(
        sb.read("web/.gitignore"),
        "node_modules\n\n# hoist: local state and generated frontend config\n.hoist/\namplify_outputs.json\n"
    );
    insta::assert_snapshot!(sb.read("web/hoist.toml"));
}

#[test]
fn existing_frontends_are_detected() {
    for (package, extra, frontend, dist) in [
        (
            r#"{"dependencies":{"react":"18","react-scripts":"5"},"scripts":{"build":"react-scripts build"}}"#,
            None,
            "react",
            "build",
        ),
        (
            r#"{"dependencies":{"@angular/core":"20"}}"#,
            Some(("angular.json", r#"{"projects":{"x":{"sourceRoot":"src"}}}"#)),
            "angular",
            "dist/x",
        ),
        (
            r#"{"dependencies":{"expo":"56","react-native":"0.85"}}"#,
            None,
            "react-native",
            "dist",
        ),
        (
            r#"{"devDependencies":{"react":"19","vite":"8"}}"#,
            None,
            "react",
            "dist",
        ),
    ] {
        let sb = Sandbox::new();
        sb.write("app/package.json", package);
        if let Some((file, contents)) = extra {
            sb.write(&format!("app/{file}"), contents);
        }
        sb.hoist().args(["init", "app", "--yes"]).assert().success();
        let manifest = sb.read("app/hoist.toml");
        assert!(
            manifest.contains(&format!("frontend = \"{frontend}\"")),
            "{manifest}"
        );
        assert!(
            manifest.contains(&format!("dist_dir = \"{dist}\"")),
            "{manifest}"
        );
    }
}

#[test]
fn a_conflicting_frontend_flag_is_refused() {
    let sb = Sandbox::new();
    sb.write("app/package.json", r#"{"dependencies":{"react":"19"}}"#);
    let output = sb
        .hoist()
        .args(["init", "app", "--frontend", "vue", "--yes"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(stderr_of(&output, &sb));
    assert!(!sb.join("app/hoist.toml").exists());
}

#[test]
fn a_broken_package_json_is_located() {
    let sb = Sandbox::new();
    sb.write(
        "app/package.json",
        "{\n  \"name\": \"app\",\n  \"dependencies\": { \"react\": \"19\" \n}\n",
    );
    let output = sb.hoist().args(["init", "app", "--yes"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(stderr_of(&output, &sb));
}

#[test]
fn refuses_inside_an_existing_project() {
    let sb = Sandbox::new();
    sb.hoist()
        .args(["init", "app", "--frontend", "react", "--yes"])
        .assert()
        .success();
    let before = sb.read("app/hoist.toml");
    for dir in ["app", "app/src"] {
        sb.hoist_in(&sb.join(dir))
            .args(["init", "--yes", "--force"])
            .assert()
            .code(1)
            .stderr(predicate::str::contains("already inside a hoist project"));
    }
    assert_eq!(sb.read("app/hoist.toml"), before);
}

#[test]
fn a_file_is_not_a_folder() {
    let sb = Sandbox::new();
    sb.write("file", "x");
    sb.hoist()
        .args(["init", "file", "--yes"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is a file, not a folder"));
}

#[test]
fn an_unwritable_target_fails_cleanly() {
    let sb = Sandbox::new();
    // a file where a parent folder must be created
    sb.write("blocker", "x");
    let output = sb
        .hoist()
        .args(["init", "blocker/app", "--frontend", "react", "--yes"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr_of(&output, &sb);
    assert!(stderr.contains("could not"), "{stderr}");
    assert_eq!(sb.entries(), ["blocker"]);
}

#[test]
fn usage_errors_exit_2() {
    let sb = Sandbox::new();
    sb.hoist()
        .args(["init", "--frontend", "svelte"])
        .assert()
        .code(2);
    sb.hoist()
        .args(["init", "--frontend", "angular"])
        .assert()
        .code(2);
    sb.hoist().args(["frobnicate"]).assert().code(2);
    sb.hoist().args(["init", "-q", "-v"]).assert().code(2);
}

#[test]
fn help_version_and_completions() {
    let sb = Sandbox::new();
    sb.hoist()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Examples:"))
        .stdout(predicate::str::contains("--no-progress"));
    sb.hoist()
        .args(["init", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "hoist init myapp --frontend vue --yes",
        ))
        .stdout(predicate::str::contains("react-native"));
    sb.hoist()
        .arg("--version")
        .assert()
        .success()
        .stdout(format!("hoist {}\n", env!("CARGO_PKG_VERSION")));
    for shell in ["bash", "zsh", "fish", "powershell"] {
        sb.hoist()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("init"));
    }
}

#[test]
fn colour_is_off_without_a_terminal_and_on_when_asked() {
    let sb = Sandbox::new();
    let output = sb
        .hoist()
        .args(["init", "a", "--frontend", "none", "--yes"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&output.stderr).contains('\u{1b}'));
    let output = sb
        .hoist()
        .env_remove("NO_COLOR")
        .args([
            "init",
            "b",
            "--frontend",
            "none",
            "--yes",
            "--color",
            "always",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stderr).contains('\u{1b}'));
}

#[test]
fn quiet_prints_nothing_verbose_lists_files() {
    let sb = Sandbox::new();
    sb.hoist()
        .args(["init", "a", "--frontend", "none", "--yes", "-q"])
        .assert()
        .success()
        .stderr("")
        .stdout("");
    sb.hoist()
        .args(["init", "b", "--frontend", "none", "--yes", "-v"])
        .assert()
        .success()
        .stderr(predicate::str::contains("wrote hoist.toml"));
}

#[test]
fn the_todo_starter_adds_auth_api_storage_and_generated_code() {
    let sb = Sandbox::new();
    let output = sb
        .hoist()
        .args([
            "init",
            "app",
            "--frontend",
            "vue",
            "--starter",
            "todo",
            "--yes",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output, &sb));
    let manifest = sb.read("app/hoist.toml");
    for table in ["[auth.main]", "[api.main]", "[storage.files]"] {
        assert!(manifest.contains(table), "{table} missing:\n{manifest}");
    }
    // no API key: it would ship in the frontend and read everyone's todos (issue 16)
    assert!(
        manifest.contains("auth = \"user-pools\"") && !manifest.contains("api-key"),
        "{manifest}"
    );
    let schema = sb.read("app/hoist/api/main/schema.graphql");
    assert!(
        schema.contains("@auth(rules: [{ allow: owner }])"),
        "{schema}"
    );
    let package = sb.read("app/package.json");
    assert!(package.contains("\"@aws-amplify/ui-vue\": \"4.4.6\""));
    serde_json::from_str::<serde_json::Value>(&package).expect("package.json is JSON");
    for rel in [
        "src/App.vue",
        "src/TodoList.vue",
        "src/FileList.vue",
        "src/todos.ts",
        "src/files.ts",
    ] {
        assert!(sb.join("app").join(rel).is_file(), "{rel}");
    }
    // The generated code is what `hoist codegen` writes: running it changes nothing.
    let queries = sb.read("app/src/graphql/queries.ts");
    assert!(queries.contains("export const listTodos = /* GraphQL */ `query ListTodos("));
    let out = sb
        .hoist_in(&sb.join("app"))
        .args(["codegen", "--json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["written"], serde_json::json!([]), "{report}");
    // And the backend synthesizes.
    sb.hoist_in(&sb.join("app")).arg("synth").assert().success();
}

#[test]
fn the_blank_starter_is_the_default_and_adds_no_backend() {
    let sb = Sandbox::new();
    sb.hoist()
        .args(["init", "app", "--frontend", "react", "--yes"])
        .assert()
        .success();
    let manifest = sb.read("app/hoist.toml");
    assert!(!manifest.contains("[api."), "{manifest}");
    assert!(!sb.join("app/src/graphql").exists());
    assert!(!sb.read("app/package.json").contains("ui-react"));
}

#[test]
fn the_todo_starter_needs_a_new_frontend() {
    let sb = Sandbox::new();
    let output = sb
        .hoist()
        .args([
            "init",
            "api-only",
            "--frontend",
            "none",
            "--starter",
            "todo",
            "--yes",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let err = stderr_of(&output, &sb);
    assert!(
        err.contains("the `todo` starter builds a frontend, and this project has none"),
        "{err}"
    );
    assert!(!sb.join("api-only").exists());

    sb.write(
        "web/package.json",
        r#"{"name":"web","dependencies":{"react":"19.0.0"},"devDependencies":{"vite":"8.0.0"}}"#,
    );
    let output = sb
        .hoist()
        .args(["init", "web", "--starter", "todo", "--yes"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let err = common::flat(&stderr_of(&output, &sb));
    assert!(err.contains("already holds a react app"), "{err}");
    assert!(err.contains("hoist add auth"), "{err}");
    assert!(!sb.join("web/hoist.toml").exists());
}

/// The `todo` starter's next steps and README say the backend is already
/// declared and that `hoist dev` runs it, not "add auth".
#[test]
fn the_todo_starter_says_its_backend_is_declared() {
    for frontend in ["react", "vue", "react-native"] {
        let sb = Sandbox::new();
        sb.hoist()
            .args([
                "init",
                "app",
                "--frontend",
                frontend,
                "--starter",
                "todo",
                "--yes",
            ])
            .assert()
            .success()
            .stderr(predicate::str::contains("hoist dev"))
            .stderr(predicate::str::contains("hoist add auth").not());
        let readme = sb.read("app/README.md");
        assert!(
            readme.contains("## The backend: already declared"),
            "{frontend}"
        );
        assert!(readme.contains("hoist dev"), "{frontend}");
        assert!(!readme.contains("hoist add auth"), "{frontend}: {readme}");
        // the blank starter still says how to add a backend
        let sb = Sandbox::new();
        sb.hoist()
            .args(["init", "app", "--frontend", frontend, "--yes"])
            .assert()
            .success();
        assert!(
            sb.read("app/README.md").contains("hoist add auth"),
            "{frontend}"
        );
    }
}
