//! Deploying an environment: AWS configuration (`aws`), the CloudFormation
//! engine (`engine`), what fails (`error`), the deploy-time parameters
//! (`parameters`: secrets, API key expiries), the API log groups (`logs`),
//! the push operation (`push`), a deployed function's invocation (`invoke`), environment operations
//! (`env`: pull, delete, remove, a stack's summary), what a deletion keeps
//! and `delete --purge` (`purge`), what a deploy writes in the project
//! (`local`: the build folder, amplify_outputs.json) and the local snapshot of
//! what was last deployed (`snapshot`).

pub mod aws;
pub mod engine;
pub mod env;
pub mod error;
pub mod indexes;
pub mod invoke;
pub mod local;
pub mod logs;
pub mod parameters;
pub mod purge;
pub mod push;
pub mod snapshot;
pub mod workflows;
