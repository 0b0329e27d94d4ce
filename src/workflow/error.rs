//! The errors of an execution, as Step Functions names them: its own `States.*`
//! errors (the service's "Error names" in the Amazon States Language
//! specification and the Step Functions developer guide, "Error handling"), or
//! a name a Task's result or a Fail state gives.

use std::fmt;

/// The payload limit of Step Functions, in bytes: inputs, outputs and results
/// of at most 256 KiB ("Step Functions service quotas", the developer guide);
/// over it, a state fails with `States.DataLimitExceeded`.
pub const MAX_PAYLOAD: usize = 256 * 1024;

/// One error name. `All` only appears in `ErrorEquals`; the others are raised.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StatesError {
    /// `States.ALL`: matches every error but `States.Runtime` and
    /// `States.DataLimitExceeded` (a matcher, never raised).
    All,
    /// `States.BranchFailed`: a branch of a Parallel state failed.
    BranchFailed,
    /// `States.DataLimitExceeded`: a payload over the service's 256 KiB.
    DataLimitExceeded,
    /// `States.ExceedToleratedFailureThreshold`: more Map items failed than tolerated.
    ExceedToleratedFailureThreshold,
    /// `States.HeartbeatTimeout`: a Task sent no heartbeat within `HeartbeatSeconds`.
    HeartbeatTimeout,
    /// `States.Http.Socket`: an HTTP Task's connection failed.
    HttpSocket,
    /// `States.IntrinsicFailure`: an intrinsic function failed.
    IntrinsicFailure,
    /// `States.ItemReaderFailed`: a distributed Map could not read its items.
    ItemReaderFailed,
    /// `States.NoChoiceMatched`: no Choice rule matched and there is no `Default`.
    NoChoiceMatched,
    /// `States.ParameterPathFailure`: a `.$` field of a payload template could not be read.
    ParameterPathFailure,
    /// `States.Permissions`: the execution's role may not run the Task.
    Permissions,
    /// `States.QueryEvaluationError`: a JSONata expression failed or gave the wrong type.
    QueryEvaluationError,
    /// `States.ResultPathMatchFailure`: `ResultPath` cannot be applied to the input.
    ResultPathMatchFailure,
    /// `States.ResultWriterFailed`: a distributed Map could not write its results.
    ResultWriterFailed,
    /// `States.Runtime`: a path selected nothing, a value of the wrong type;
    /// never retried, caught only by name.
    Runtime,
    /// `States.TaskFailed`: matches every error but `States.Timeout` (and `Runtime`).
    TaskFailed,
    /// `States.Timeout`: a Task or the execution ran longer than its `TimeoutSeconds`.
    Timeout,
    /// A name of the user's: a Task's error, a Fail state's `Error`.
    Other(String),
}

/// The service's names, in the order of [`StatesError`]'s variants.
const NAMES: [(&str, StatesError); 17] = [
    ("States.ALL", StatesError::All),
    ("States.BranchFailed", StatesError::BranchFailed),
    ("States.DataLimitExceeded", StatesError::DataLimitExceeded),
    (
        "States.ExceedToleratedFailureThreshold",
        StatesError::ExceedToleratedFailureThreshold,
    ),
    ("States.HeartbeatTimeout", StatesError::HeartbeatTimeout),
    ("States.Http.Socket", StatesError::HttpSocket),
    ("States.IntrinsicFailure", StatesError::IntrinsicFailure),
    ("States.ItemReaderFailed", StatesError::ItemReaderFailed),
    ("States.NoChoiceMatched", StatesError::NoChoiceMatched),
    (
        "States.ParameterPathFailure",
        StatesError::ParameterPathFailure,
    ),
    ("States.Permissions", StatesError::Permissions),
    (
        "States.QueryEvaluationError",
        StatesError::QueryEvaluationError,
    ),
    (
        "States.ResultPathMatchFailure",
        StatesError::ResultPathMatchFailure,
    ),
    ("States.ResultWriterFailed", StatesError::ResultWriterFailed),
    ("States.Runtime", StatesError::Runtime),
    ("States.TaskFailed", StatesError::TaskFailed),
    ("States.Timeout", StatesError::Timeout),
];

impl StatesError {
    /// The error of a name: the service's own, else the user's.
    pub fn from_name(name: &str) -> StatesError {
        NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, e)| e.clone())
            .unwrap_or_else(|| StatesError::Other(name.to_string()))
    }

    /// The name as Step Functions writes it (`States.Timeout`, or the user's).
    pub fn name(&self) -> &str {
        match self {
            StatesError::Other(name) => name,
            known => NAMES
                .iter()
                .find(|(_, e)| e == known)
                .map(|(n, _)| *n)
                .unwrap_or_default(),
        }
    }

    /// Every name the service defines (`States.ALL` included).
    pub fn service_names() -> impl Iterator<Item = &'static str> {
        NAMES.iter().map(|(n, _)| *n)
    }

    /// Does a retrier's or catcher's `ErrorEquals` entry `self` match `raised`?
    /// `States.ALL` matches all but `States.Runtime` and the terminal
    /// `States.DataLimitExceeded`; `States.TaskFailed` all but those and
    /// `States.Timeout`; any other name only itself (the developer guide,
    /// "Error names").
    pub fn matches(&self, raised: &StatesError) -> bool {
        let uncatchable = matches!(
            raised,
            StatesError::Runtime | StatesError::DataLimitExceeded
        );
        match self {
            StatesError::All => !uncatchable,
            StatesError::TaskFailed => !uncatchable && *raised != StatesError::Timeout,
            name => name == raised,
        }
    }
}

impl fmt::Display for StatesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An error raised in a state: its name and its cause (the text Step Functions
/// puts in `Cause`).
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub error: StatesError,
    pub cause: String,
}

impl Fault {
    pub fn new(error: StatesError, cause: impl Into<String>) -> Fault {
        Fault {
            error,
            cause: cause.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_as_the_service_does() {
        for name in StatesError::service_names() {
            assert_eq!(StatesError::from_name(name).name(), name);
        }
        assert_eq!(
            StatesError::from_name("Card.Declined"),
            StatesError::Other("Card.Declined".into())
        );
        let all = StatesError::All;
        assert!(all.matches(&StatesError::Timeout));
        assert!(!all.matches(&StatesError::Runtime));
        assert!(!all.matches(&StatesError::DataLimitExceeded));
        assert!(!StatesError::TaskFailed.matches(&StatesError::DataLimitExceeded));
        assert!(StatesError::TaskFailed.matches(&StatesError::Other("Boom".into())));
        assert!(!StatesError::TaskFailed.matches(&StatesError::Timeout));
        assert!(StatesError::Timeout.matches(&StatesError::Timeout));
        assert!(!StatesError::Timeout.matches(&StatesError::HeartbeatTimeout));
    }
}
