//! Snapshots of the rendered file set of every frontend template.

use hoist::project::Framework;
use hoist::render::{TemplateContext, render_frontend, template_manifest};

fn rendered(framework: Framework) -> String {
    let manifest = template_manifest(framework).unwrap();
    let ctx = TemplateContext::new("shop", framework, &manifest.source_dir);
    let files = render_frontend(framework, &ctx).unwrap();
    let mut out = String::new();
    for (path, contents) in &files {
        out.push_str(&format!("==> {path} <==\n"));
        out.push_str(&String::from_utf8_lossy(contents));
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

#[test]
fn react() {
    insta::assert_snapshot!(rendered(Framework::React));
}

#[test]
fn vue() {
    insta::assert_snapshot!(rendered(Framework::Vue));
}

#[test]
fn react_native() {
    insta::assert_snapshot!(rendered(Framework::ReactNative));
}

#[test]
fn none() {
    insta::assert_snapshot!(rendered(Framework::None));
}

#[test]
fn rendering_is_deterministic() {
    for framework in Framework::SCAFFOLDED {
        assert_eq!(rendered(framework), rendered(framework));
    }
}

/// The `todo` starter's layer: its package.json stays valid JSON with the
/// Amplify UI package of the framework, and its app files replace the blank ones.
#[test]
fn todo_starter_layers() {
    for (framework, ui, app) in [
        (Framework::React, "@aws-amplify/ui-react", "src/Todos.tsx"),
        (Framework::Vue, "@aws-amplify/ui-vue", "src/TodoList.vue"),
        (
            Framework::ReactNative,
            "@aws-amplify/ui-react-native",
            "src/Todos.tsx",
        ),
    ] {
        let manifest = template_manifest(framework).unwrap();
        let mut ctx = TemplateContext::new("shop", framework, &manifest.source_dir);
        ctx.todo = true;
        let files = render_frontend(framework, &ctx).unwrap();
        let package: serde_json::Value = serde_json::from_slice(&files["package.json"])
            .unwrap_or_else(|e| panic!("{framework}: package.json: {e}"));
        assert!(
            package["dependencies"][ui].is_string(),
            "{framework}: {package}"
        );
        assert!(files.contains_key(app), "{framework}: {app}");
        assert!(files.contains_key("src/todos.ts") && files.contains_key("src/files.ts"));
        let blank = render_frontend(
            framework,
            &TemplateContext::new("shop", framework, &manifest.source_dir),
        )
        .unwrap();
        let blank_package: serde_json::Value =
            serde_json::from_slice(&blank["package.json"]).unwrap();
        assert!(blank_package["dependencies"][ui].is_null(), "{framework}");
    }
}
