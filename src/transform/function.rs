//! `@function`: the Lambda functions a field calls.

use super::sdl::string_args;

/// A Lambda function named by `@function(name:, region:, accountId:)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LambdaRef {
    /// The function's name; `${env}` stands for the environment's name.
    pub name: String,
    pub region: Option<String>,
    pub account_id: Option<String>,
}

pub(super) fn lambda_refs(directives: &apollo_compiler::ast::DirectiveList) -> Vec<LambdaRef> {
    directives
        .iter()
        .filter(|d| d.name == "function")
        .filter_map(|d| {
            let arg = |n: &str| string_args(d, n).into_iter().next().map(|(v, _)| v);
            Some(LambdaRef {
                name: arg("name")?,
                region: arg("region"),
                account_id: arg("accountId"),
            })
        })
        .collect()
}
