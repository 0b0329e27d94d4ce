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
