//! What a deploy refuses or AWS refuses: [`DeployError`], each a diagnostic
//! with its cause in one line and its fix.

use aws_sdk_cloudformation::error::DisplayErrorContext;
use miette::Diagnostic;
use thiserror::Error;

#[derive(Debug, Error, Diagnostic)]
pub enum DeployError {
    /// A call to AWS (or the emulator at `--endpoint-url`) that failed: the
    /// cause in one line ([`super::aws::Cause`]) and its fix; the SDK's whole
    /// context (`detail`) is printed only with `-v`.
    #[error("{action} failed: {summary}")]
    #[diagnostic(code(hoist::deploy::aws), help("{help}"))]
    Aws {
        action: &'static str,
        summary: String,
        help: String,
        detail: String,
    },

    #[error("the AWS profile `{profile}` ({from}) is not defined: {known}")]
    #[diagnostic(
        code(hoist::deploy::profile),
        help(
            "create it with `aws configure --profile {profile}` (or `aws configure sso`), or name a profile that exists"
        )
    )]
    UnknownProfile {
        profile: String,
        from: &'static str,
        known: String,
    },

    #[error("the deploy of `{stack}` failed and was rolled back ({status})")]
    #[diagnostic(
        code(hoist::deploy::failed),
        help("{failures}\nNothing local was changed: fix the cause and run `hoist push` again")
    )]
    Failed {
        stack: String,
        status: String,
        failures: String,
    },

    #[error(
        "the stack `{stack}` is in UPDATE_ROLLBACK_FAILED: CloudFormation could not roll back an update"
    )]
    #[diagnostic(
        code(hoist::deploy::rollback_failed),
        help(
            "fix what blocked the rollback (often a resource changed or deleted by hand), then run `hoist push --recover`"
        )
    )]
    RollbackFailed { stack: String },

    #[error("the stacks are deleted, but not everything kept was:\n{left}")]
    #[diagnostic(
        code(hoist::deploy::purge),
        help(
            "fix the cause, then run the same command again: hoist remembers what is left (`.hoist/purge/<env>.json`) and deletes only that; an environment being removed stays in hoist.toml until then"
        )
    )]
    PurgeIncomplete { left: String },

    #[error("could not read the secret for `{parameter}` from {source_name}: {reason}")]
    #[diagnostic(
        code(hoist::deploy::secret),
        help(
            "set it (it is read at deploy time and never stored), or change where it comes from in hoist.toml"
        )
    )]
    Secret {
        parameter: String,
        source_name: String,
        reason: String,
    },
}

impl DeployError {
    /// A failed call of `action` at `endpoint`, from what [`super::aws::classify`] read.
    pub fn from_cause(
        action: &'static str,
        endpoint: &str,
        cause: super::aws::Cause,
        err: &dyn std::error::Error,
    ) -> Self {
        DeployError::Aws {
            action,
            summary: cause.summary(endpoint),
            help: cause.help(),
            detail: DisplayErrorContext(err).to_string(),
        }
    }

    /// A call whose answer lacked what hoist needs (no error from the SDK).
    pub fn unexpected(action: &'static str, summary: impl Into<String>) -> Self {
        DeployError::Aws {
            action,
            summary: summary.into(),
            help: "run with -v for details; check the region and credentials of this environment"
                .into(),
            detail: String::new(),
        }
    }

    /// The SDK's whole context, for `-v`.
    pub fn detail(&self) -> Option<&str> {
        match self {
            DeployError::Aws { detail, .. } if !detail.is_empty() => Some(detail),
            _ => None,
        }
    }
}
