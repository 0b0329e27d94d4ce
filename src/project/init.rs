//! What `hoist init` refuses: a folder inside a project, a folder that is not
//! empty and holds no known frontend, a frontend or starter that does not fit.

use std::path::PathBuf;

use miette::Diagnostic;
use thiserror::Error;

use super::Framework;
use super::MANIFEST_FILE;
use super::detect::DetectError;

#[derive(Debug, Error, Diagnostic)]
pub enum InitError {
    #[error("`{}` is already inside a hoist project", dir.display())]
    #[diagnostic(
        code(hoist::init::already_project),
        help("its `hoist.toml` is at `{}`; work there with `hoist add`, or choose a folder outside it", root.join(MANIFEST_FILE).display())
    )]
    AlreadyProject { dir: PathBuf, root: PathBuf },

    #[error("`{}` is not empty and holds no frontend hoist knows (found {})", dir.display(), found.join(", "))]
    #[diagnostic(
        code(hoist::init::not_empty),
        help(
            "choose a new or empty folder (`hoist init NEW_DIR`), or pass `--force` to scaffold here anyway; files with the same names are overwritten"
        )
    )]
    NotEmpty { dir: PathBuf, found: Vec<String> },

    #[error("`{}` is a file, not a folder", path.display())]
    #[diagnostic(code(hoist::init::not_a_folder), help("pass a folder to `hoist init`"))]
    NotAFolder { path: PathBuf },

    #[error("`--frontend {asked}` was given, but this folder holds a {detected} app ({tool})")]
    #[diagnostic(
        code(hoist::init::frontend_mismatch),
        help(
            "leave out `--frontend` to use the detected {detected} app, or run `hoist init` in a new folder to scaffold a {asked} app"
        )
    )]
    FrontendMismatch {
        asked: Framework,
        detected: Framework,
        tool: &'static str,
    },

    #[error("the `{starter}` starter builds a frontend, and this project has none")]
    #[diagnostic(
        code(hoist::init::starter_needs_frontend),
        help(
            "choose a frontend (`--frontend react`, `vue` or `react-native`), or leave out `--starter`"
        )
    )]
    StarterNeedsFrontend { starter: &'static str },

    #[error(
        "the `{starter}` starter scaffolds a new app; this folder already holds a {detected} app"
    )]
    #[diagnostic(
        code(hoist::init::starter_on_existing),
        help(
            "run `hoist init --starter {starter}` in a new folder, or add the backend to this app with `hoist add auth`, `hoist add api` and `hoist add storage` (they print how to use each; your code is never rewritten)"
        )
    )]
    StarterOnExisting {
        starter: &'static str,
        detected: Framework,
    },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Detect(#[from] DetectError),
}
