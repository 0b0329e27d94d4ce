//! `hoist sandbox`: the backend, locally. This first part is its DynamoDB
//! ([`dynamodb`]): the tables the api's resolvers read and write, with the
//! service's semantics, persisted under `.hoist/sandbox/<env>/`.

pub mod api;
pub mod datasource;
pub mod dynamodb;
pub mod runtime;
