//! Deploying an environment: AWS configuration, the apply engine, and the
//! local snapshot of what was last deployed.

pub mod aws;
pub mod engine;
pub mod env;
pub mod local;
pub mod push;
pub mod snapshot;
