//! The top-level error: every module's error, and whether it is the user's or ours.

use std::path::PathBuf;

use miette::Diagnostic;
use thiserror::Error;

use crate::{EXIT_INTERNAL_ERROR, EXIT_INTERRUPTED, EXIT_USER_ERROR};

#[derive(Debug, Error, Diagnostic)]
pub enum Error {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Manifest(#[from] crate::project::ManifestError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Name(#[from] crate::project::NameError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Prompt(#[from] crate::prompt::PromptError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Init(#[from] crate::project::InitError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Resource(#[from] crate::category::ResourceError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Synth(#[from] crate::synth::SynthError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Env(#[from] crate::settings::EnvError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Outputs(#[from] crate::outputs::MissingOutput),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Deploy(#[from] crate::deploy::error::DeployError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Function(#[from] crate::category::function::build::BuildError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    LocalFunction(#[from] crate::category::function::local::LocalError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    FunctionFailed(#[from] crate::commands::function::FunctionFailed),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Push(#[from] crate::deploy::push::PushError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Environment(#[from] crate::deploy::env::EnvironmentError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Workflow(#[from] crate::workflow::WorkflowError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Fs(#[from] FsError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Snapshot(#[from] crate::deploy::snapshot::Unreadable),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Codegen(#[from] crate::codegen::CodegenError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Sandbox(#[from] crate::sandbox::SandboxError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Dev(#[from] crate::commands::dev::DevError),

    /// A bug in hoist: an embedded template that does not render, and the like.
    #[error("internal error: {0}")]
    #[diagnostic(
        code(hoist::internal),
        help(
            "this is a bug in hoist, not in your project; please report it with the command you ran"
        )
    )]
    Internal(String),
}

impl Error {
    /// What only `-v` shows: the SDK's whole context of a failed AWS call.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Error::Deploy(e) => e.detail(),
            _ => None,
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Internal(_)
            | Error::Synth(crate::synth::SynthError::Stack(crate::category::StackError::Render(
                _,
            ))) => EXIT_INTERNAL_ERROR,
            Error::Prompt(crate::prompt::PromptError::Interrupted { .. })
            | Error::Push(crate::deploy::push::PushError::Interrupted) => EXIT_INTERRUPTED,
            _ => EXIT_USER_ERROR,
        }
    }
}

impl From<crate::render::RenderError> for Error {
    fn from(err: crate::render::RenderError) -> Self {
        Error::Internal(err.to_string())
    }
}

/// A filesystem operation that failed, with the path it was about. The
/// operating system's reason is in the message (once: it is not also a
/// cause), and the help fits the operation and the reason: a read is never
/// told to check write permission.
#[derive(Debug, Error)]
#[error("could not {action} `{}`: {io}", path.display())]
pub struct FsError {
    /// What was being done, as a verb phrase (`read`, `create folder`).
    pub action: &'static str,
    pub path: PathBuf,
    pub io: std::io::Error,
}

impl FsError {
    pub fn new(action: &'static str, path: impl Into<PathBuf>, io: std::io::Error) -> Self {
        FsError {
            action,
            path: path.into(),
            io,
        }
    }

    /// Does the operation only read (so that write permission is beside the point)?
    fn reads(&self) -> bool {
        ["read", "open", "find"]
            .iter()
            .any(|verb| self.action.starts_with(verb))
    }

    /// Not about a file's place or permissions at all (a key that could not
    /// be made): the reason is all there is to say.
    fn not_io(&self) -> bool {
        self.io.kind() == std::io::ErrorKind::Other && self.io.get_ref().is_some()
    }

    /// What to check, for this operation and this reason.
    pub fn hint(&self) -> String {
        use std::io::ErrorKind;
        if self.not_io() {
            return "run the command again; if it fails the same way, report it with the message above".to_string();
        }
        let check = match (self.io.kind(), self.reads()) {
            (ErrorKind::NotFound, true) => "check the path: nothing is there".to_string(),
            (ErrorKind::NotFound, false) => "check that the folder it goes in exists".to_string(),
            (ErrorKind::PermissionDenied, true) => "check that you may read it".to_string(),
            (ErrorKind::PermissionDenied, false) => "check that you may write there".to_string(),
            (_, true) => "check that the path exists and that you may read it".to_string(),
            (_, false) => "check that the folder exists and that you may write there".to_string(),
        };
        format!("{check}, then run the command again")
    }
}

impl Diagnostic for FsError {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new("hoist::fs"))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(self.hint()))
    }
}

impl From<crate::category::StackError> for Error {
    fn from(e: crate::category::StackError) -> Self {
        Error::Synth(crate::synth::SynthError::Stack(e))
    }
}

#[cfg(test)]
mod fs_error_tests {
    use super::*;
    use std::io::{Error as IoError, ErrorKind};

    /// A read is never told to check write permission; the OS's reason is
    /// said once.
    #[test]
    fn the_help_fits_the_operation_and_the_reason() {
        let read = FsError::new("read", "x.json", IoError::from(ErrorKind::NotFound));
        assert!(!read.hint().contains("write"), "{}", read.hint());
        assert!(read.hint().contains("nothing is there"));
        let denied = FsError::new("read", "x.json", IoError::from(ErrorKind::PermissionDenied));
        assert!(denied.hint().contains("may read it"));
        let write = FsError::new("write", "out/x", IoError::from(ErrorKind::PermissionDenied));
        assert!(write.hint().contains("may write there"));
        assert!(std::error::Error::source(&read).is_none());
    }
}
