//! Generated code kept as files under `blueprints/` and embedded in the binary:
//! the api's AppSync JavaScript resolvers (`blueprints/api/resolvers/`),
//! rendered with handlebars in strict mode like the frontend templates, so that
//! the JavaScript can be read, linted and reviewed as JavaScript.
//!
//! File kinds (see `blueprints/README.md`):
//! - `NAME.js`: code used as it is ([`assets`]);
//! - `NAME.js.hbs`: whole lines of code, rendered ([`resolver`]);
//! - `NAME.expr.hbs`: an expression, rendered, without the file's final newline.

use std::sync::OnceLock;

use handlebars::{Handlebars, handlebars_helper};
use include_dir::{Dir, include_dir};
use serde_json::Value;

use super::RenderError;

static RESOLVERS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/blueprints/api/resolvers");

// `{{js value}}`: the value as a JavaScript (JSON) string literal.
handlebars_helper!(js: |value: str| serde_json::to_string(value).unwrap_or_else(|_| "''".into()));

// `{{member "item" field}}`: `item.field`, or `item["odd-name"]` for a name
// JavaScript would not take after a dot.
handlebars_helper!(member: |object: str, field: str| {
    if !field.is_empty()
        && field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !field.starts_with(|c: char| c.is_ascii_digit())
    {
        format!("{object}.{field}")
    } else {
        format!("{object}[{}]", serde_json::to_string(field).unwrap_or_default())
    }
});

fn engine() -> Result<&'static Handlebars<'static>, RenderError> {
    static ENGINE: OnceLock<Result<Handlebars<'static>, String>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let mut hb = super::engine();
            hb.register_helper("js", Box::new(js));
            hb.register_helper("member", Box::new(member));
            for file in RESOLVERS.files() {
                let name = file.path().to_string_lossy().into_owned();
                let text = file
                    .contents_utf8()
                    .ok_or(format!("`{name}` is not UTF-8"))?;
                let registered = if let Some(stem) = name.strip_suffix(".js.hbs") {
                    hb.register_template_string(stem, text)
                } else if let Some(stem) = name.strip_suffix(".expr.hbs") {
                    hb.register_template_string(stem, text.strip_suffix('\n').unwrap_or(text))
                } else {
                    continue;
                };
                registered.map_err(|e| format!("`{name}`: {e}"))?;
            }
            Ok(hb)
        })
        .as_ref()
        .map_err(|message| RenderError::Render {
            path: "blueprints/api/resolvers".into(),
            message: message.clone(),
        })
}

/// Render the resolver template `blueprints/api/resolvers/<name>.js.hbs` (or
/// `.expr.hbs`) with `data`. Errors: an unknown template, or data missing a
/// value the template reads (strict mode): both are bugs in hoist.
pub fn resolver(name: &str, data: &Value) -> Result<String, RenderError> {
    engine()?
        .render(name, data)
        .map_err(|e| RenderError::Render {
            path: format!("blueprints/api/resolvers/{name}"),
            message: e.to_string(),
        })
}

/// The code files of `blueprints/api/resolvers/` used as they are, embedded at
/// compile time (a missing file is a build error, not a run-time one).
pub mod assets {
    macro_rules! asset {
        ($file:literal) => {
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/blueprints/api/resolvers/",
                $file
            ))
        };
    }
    pub const IMPORTS_DDB: &str = asset!("imports-ddb.js");
    pub const IMPORTS_UTIL: &str = asset!("imports-util.js");
    pub const IMPORTS_RELATION: &str = asset!("imports-relation.js");
    pub const IMPORTS_SUBSCRIPTION: &str = asset!("imports-subscription.js");
    pub const ERROR_OUT: &str = asset!("error-out.js");
    pub const MUTATION_OUT: &str = asset!("mutation-out.js");
    pub const PAGE_OUT: &str = asset!("page-out.js");
    pub const PIPELINE: &str = asset!("pipeline.js");
    pub const INVOKE: &str = asset!("invoke.js");
    pub const CUSTOM_PIPELINE: &str = asset!("custom-pipeline.js");
    pub const CLAIM_VALUES: &str = asset!("claim-values.js");
    pub const MATCHES: &str = asset!("matches.js");
    pub const FILTER_TESTS: &str = asset!("filter-tests.js");
    pub const COMPOSITE_HELPERS: &str = asset!("composite-helpers.js");
}
