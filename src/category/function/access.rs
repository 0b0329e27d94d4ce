//! `--access`: what a function may do with the project's own resources, as
//! IAM statements on those resources only, and the environment variables
//! that name them, as Amplify names them (`API_<API>_GRAPHQLAPIENDPOINTOUTPUT`,
//! `API_<API>_GRAPHQLAPIIDOUTPUT`, `API_<API>_<MODEL>TABLE_NAME` and `_ARN`,
//! `STORAGE_<NAME>_BUCKETNAME`, `AUTH_<NAME>_USERPOOLID`), so that code
//! written for an Amplify function runs unchanged.
//!
//! Grammar: `api[:<name>]:query|mutation|subscription`,
//! `storage[:<name>]:read|write|delete`, `auth[:<name>]:read|manage`,
//! `table:<Model>:read|write`, `workflow[:<name>]:start`. The name may be
//! left out when the project has one resource of the category. A workflow
//! has no Amplify name: its machine's ARN is `WORKFLOW_<NAME>_STATEMACHINEARN`.

use serde_json::{Value, json};

use crate::cfn::sub;
use crate::project::Manifest;

/// One grant, resolved against the project.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Grant {
    /// `appsync:GraphQL` on the api's fields of `type_name`.
    Api {
        api: String,
        type_name: &'static str,
    },
    Storage {
        name: String,
        level: StorageLevel,
    },
    Auth {
        name: String,
        manage: bool,
    },
    /// A model's table (and its indexes) in the api that has the model.
    Table {
        api: String,
        model: String,
        write: bool,
    },
    /// Starting executions of a workflow (synchronously, for an Express one).
    Workflow {
        name: String,
        express: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StorageLevel {
    Read,
    Write,
    Delete,
}

/// Whether a project function may call the api `api` (`--access
/// api[:<api>]:...`): its resolvers then admit IAM principals as their
/// policy allows ([`crate::transform::Modes::iam_principals`]).
pub fn admits_functions(manifest: &Manifest, api: &str) -> bool {
    manifest.function.values().any(|f| {
        f.access
            .iter()
            .any(|text| matches!(parse(text, manifest), Ok(Grant::Api { api: a, .. }) if a == api))
    })
}

/// The grammar's help, for errors.
pub const ACCESS_RULE: &str = "write `api:query`, `api:mutation`, `api:subscription`, `storage:read`, `storage:write`, `storage:delete`, `auth:read`, `auth:manage`, `table:<Model>:read|write` or `workflow:start`; name the resource (`storage:files:read`, `workflow:orders:start`) when the project has several of its category";

/// Parse and resolve one `--access` value against the project's resources.
/// Tables are checked against the api's models at synthesis (hoist.toml
/// does not know them).
///
/// Errors: the reason, in words.
pub fn parse(text: &str, manifest: &Manifest) -> Result<Grant, String> {
    let parts: Vec<&str> = text.split(':').collect();
    let one = resolve;
    match parts.as_slice() {
        ["api", rest @ ..] if matches!(rest.len(), 1 | 2) => {
            let (name, op) = split_last(rest);
            let api = one("api", manifest.api.keys().collect(), name)?;
            let type_name = match op {
                "query" => "Query",
                "mutation" => "Mutation",
                "subscription" => "Subscription",
                other => {
                    return Err(format!(
                        "`{other}` is not an api access (query, mutation, subscription)"
                    ));
                }
            };
            Ok(Grant::Api { api, type_name })
        }
        ["storage", rest @ ..] if matches!(rest.len(), 1 | 2) => {
            let (name, op) = split_last(rest);
            let name = one("storage", manifest.storage.keys().collect(), name)?;
            let level = match op {
                "read" => StorageLevel::Read,
                "write" => StorageLevel::Write,
                "delete" => StorageLevel::Delete,
                other => {
                    return Err(format!(
                        "`{other}` is not a storage access (read, write, delete)"
                    ));
                }
            };
            Ok(Grant::Storage { name, level })
        }
        ["auth", rest @ ..] if matches!(rest.len(), 1 | 2) => {
            let (name, op) = split_last(rest);
            let name = one("auth", manifest.auth.keys().collect(), name)?;
            let manage = match op {
                "read" => false,
                "manage" => true,
                other => return Err(format!("`{other}` is not an auth access (read, manage)")),
            };
            Ok(Grant::Auth { name, manage })
        }
        ["table", model, op] => {
            let write = match *op {
                "read" => false,
                "write" => true,
                other => return Err(format!("`{other}` is not a table access (read, write)")),
            };
            if model.is_empty() {
                return Err("the table's model is missing".into());
            }
            let api = one("api", manifest.api.keys().collect(), None)?;
            Ok(Grant::Table {
                api,
                model: model.to_string(),
                write,
            })
        }
        ["workflow", rest @ ..] if matches!(rest.len(), 1 | 2) => {
            let (name, op) = split_last(rest);
            let name = one("workflow", manifest.workflow.keys().collect(), name)?;
            if op != "start" {
                return Err(format!("`{op}` is not a workflow access (start)"));
            }
            let express = manifest.workflow[&name].machine_type
                == crate::category::workflow::MachineType::Express;
            Ok(Grant::Workflow { name, express })
        }
        _ => Err(format!("`{text}` is not an access")),
    }
}

impl Grant {
    /// The grant with its resource named: what hoist.toml keeps, so that a
    /// second resource of the category added later leaves it meaning the same.
    pub fn canonical(&self) -> String {
        match self {
            Grant::Api { api, type_name } => {
                format!("api:{api}:{}", type_name.to_ascii_lowercase())
            }
            Grant::Storage { name, level } => format!(
                "storage:{name}:{}",
                match level {
                    StorageLevel::Read => "read",
                    StorageLevel::Write => "write",
                    StorageLevel::Delete => "delete",
                }
            ),
            Grant::Auth { name, manage } => {
                format!("auth:{name}:{}", if *manage { "manage" } else { "read" })
            }
            Grant::Table { model, write, .. } => {
                format!("table:{model}:{}", if *write { "write" } else { "read" })
            }
            Grant::Workflow { name, .. } => format!("workflow:{name}:start"),
        }
    }
}

/// The resource of `category` a grant or trigger means: the one `given`,
/// or the project's only one.
///
/// Errors: no such resource, none at all, or several and none named.
pub fn resolve(category: &str, names: Vec<&String>, given: Option<&str>) -> Result<String, String> {
    match (given, names.as_slice()) {
        (Some(name), _) if names.iter().any(|n| n.as_str() == name) => Ok(name.to_string()),
        (Some(name), _) => Err(format!(
            "the project has no {category} `{name}`{}",
            listed(&names)
        )),
        (None, [only]) => Ok((*only).clone()),
        (None, []) => Err(format!(
            "the project has no {category} resource (add one with `hoist add {category}`)"
        )),
        (None, _) => Err(format!(
            "the project has several {category} resources: name one, as in `{category}:NAME:...`{}",
            listed(&names)
        )),
    }
}

fn split_last<'a>(rest: &[&'a str]) -> (Option<&'a str>, &'a str) {
    match rest {
        [name, op] => (Some(name), op),
        [op] => (None, op),
        _ => (None, ""),
    }
}

fn listed(names: &[&String]) -> String {
    if names.is_empty() {
        String::new()
    } else {
        format!(
            " (it has {})",
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// `API_<NAME>` and the like: Amplify's variable prefix, upper-cased.
fn upper(name: &str) -> String {
    name.to_ascii_uppercase()
}

/// The stack parameter a grant's value comes in, the value the root passes
/// (an output of the resource's nested stack), and the variables it sets.
pub struct Wiring {
    /// Parameter name to the root's `Fn::GetAtt` of an output.
    pub parameters: Vec<(String, Value)>,
    /// Variable name to its value in the function's template.
    pub variables: Vec<(String, Value)>,
    pub statements: Vec<Value>,
}

/// What the grants need: parameters from other stacks, variables and IAM
/// statements (each on the granted resource only).
pub fn wire(grants: &[Grant]) -> Wiring {
    use crate::category::{Category, logical_id};
    let mut w = Wiring {
        parameters: Vec::new(),
        variables: Vec::new(),
        statements: Vec::new(),
    };
    let mut param = |name: String, stack: String, output: &str| {
        let value = crate::cfn::get_att(&stack, &format!("Outputs.{output}"));
        if !w.parameters.iter().any(|(n, _)| *n == name) {
            w.parameters.push((name.clone(), value));
        }
        crate::cfn::r#ref(&name)
    };
    for grant in grants {
        match grant {
            Grant::Api { api, type_name } => {
                let stack = logical_id(Category::Api, api);
                let id = param(format!("{stack}Id"), stack.clone(), "GraphQLApiId");
                let url = param(format!("{stack}Url"), stack.clone(), "GraphQLApiUrl");
                let prefix = format!("API_{}", upper(api));
                w.variables
                    .push((format!("{prefix}_GRAPHQLAPIIDOUTPUT"), id));
                w.variables
                    .push((format!("{prefix}_GRAPHQLAPIENDPOINTOUTPUT"), url));
                w.statements.push(json!({
                    "Sid": format!("{stack}{type_name}"),
                    "Effect": "Allow",
                    "Action": "appsync:GraphQL",
                    "Resource": sub(&format!(
                        "arn:${{AWS::Partition}}:appsync:${{AWS::Region}}:${{AWS::AccountId}}:apis/${{{stack}Id}}/types/{type_name}/*"
                    )),
                }));
            }
            Grant::Storage { name, level } => {
                let stack = logical_id(Category::Storage, name);
                let bucket = param(format!("{stack}Bucket"), stack.clone(), "BucketName");
                w.variables
                    .push((format!("STORAGE_{}_BUCKETNAME", upper(name)), bucket));
                let objects = sub(&format!(
                    "arn:${{AWS::Partition}}:s3:::${{{stack}Bucket}}/*"
                ));
                let (sid, actions) = match level {
                    StorageLevel::Read => ("Read", json!(["s3:GetObject"])),
                    // a failed multipart upload is aborted by the SDKs
                    StorageLevel::Write => {
                        ("Write", json!(["s3:PutObject", "s3:AbortMultipartUpload"]))
                    }
                    StorageLevel::Delete => ("Delete", json!(["s3:DeleteObject"])),
                };
                w.statements.push(json!({
                    "Sid": format!("{stack}{sid}"),
                    "Effect": "Allow",
                    "Action": actions,
                    "Resource": objects,
                }));
                if *level == StorageLevel::Read {
                    w.statements.push(json!({
                        "Sid": format!("{stack}List"),
                        "Effect": "Allow",
                        "Action": "s3:ListBucket",
                        "Resource": sub(&format!("arn:${{AWS::Partition}}:s3:::${{{stack}Bucket}}")),
                    }));
                }
            }
            Grant::Auth { name, manage } => {
                let stack = logical_id(Category::Auth, name);
                let pool = param(format!("{stack}UserPoolId"), stack.clone(), "UserPoolId");
                let arn = param(format!("{stack}UserPoolArn"), stack.clone(), "UserPoolArn");
                w.variables
                    .push((format!("AUTH_{}_USERPOOLID", upper(name)), pool));
                let mut actions = vec![
                    "cognito-idp:AdminGetUser",
                    "cognito-idp:AdminListGroupsForUser",
                    "cognito-idp:ListUsers",
                    "cognito-idp:ListUsersInGroup",
                    "cognito-idp:ListGroups",
                    "cognito-idp:DescribeUserPool",
                ];
                if *manage {
                    actions.extend([
                        "cognito-idp:AdminCreateUser",
                        "cognito-idp:AdminDeleteUser",
                        "cognito-idp:AdminUpdateUserAttributes",
                        "cognito-idp:AdminDisableUser",
                        "cognito-idp:AdminEnableUser",
                        "cognito-idp:AdminAddUserToGroup",
                        "cognito-idp:AdminRemoveUserFromGroup",
                        "cognito-idp:AdminResetUserPassword",
                        "cognito-idp:AdminSetUserPassword",
                        "cognito-idp:AdminConfirmSignUp",
                        "cognito-idp:AdminUserGlobalSignOut",
                        "cognito-idp:AdminDeleteUserAttributes",
                    ]);
                }
                w.statements.push(json!({
                    "Sid": format!("{stack}{}", if *manage { "Manage" } else { "Read" }),
                    "Effect": "Allow",
                    "Action": actions,
                    "Resource": arn,
                }));
            }
            Grant::Table { api, model, write } => {
                let stack = logical_id(Category::Api, api);
                let output = format!("{}TableName", crate::naming::pascal(model));
                let table = param(format!("{stack}{output}"), stack.clone(), &output);
                let prefix = format!("API_{}_{}TABLE", upper(api), upper(model));
                let arn = format!(
                    "arn:${{AWS::Partition}}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/${{{stack}{output}}}"
                );
                w.variables.push((format!("{prefix}_NAME"), table));
                w.variables.push((format!("{prefix}_ARN"), sub(&arn)));
                let mut actions = vec![
                    "dynamodb:GetItem",
                    "dynamodb:BatchGetItem",
                    "dynamodb:Query",
                    "dynamodb:Scan",
                    "dynamodb:ConditionCheckItem",
                    "dynamodb:DescribeTable",
                ];
                if *write {
                    actions.extend([
                        "dynamodb:PutItem",
                        "dynamodb:UpdateItem",
                        "dynamodb:DeleteItem",
                        "dynamodb:BatchWriteItem",
                    ]);
                }
                w.statements.push(json!({
                    "Sid": format!("{stack}{}{}", crate::naming::pascal(model), if *write { "Write" } else { "Read" }),
                    "Effect": "Allow",
                    "Action": actions,
                    "Resource": [sub(&arn), sub(&format!("{arn}/index/*"))],
                }));
            }
            Grant::Workflow { name, express } => {
                // the ARN is built from the machine's name, not taken from
                // its stack: a workflow may call the function that starts it
                let arn = sub(&format!(
                    "arn:${{AWS::Partition}}:states:${{AWS::Region}}:${{AWS::AccountId}}:stateMachine:{}",
                    crate::category::workflow::machine_name(name, "${Env}")
                ));
                w.variables.push((
                    format!("WORKFLOW_{}_STATEMACHINEARN", upper(name)),
                    arn.clone(),
                ));
                w.statements.push(json!({
                    "Sid": format!("{}Start", logical_id(Category::Workflow, name)),
                    "Effect": "Allow",
                    // an Express machine may also be run to its end (StartSyncExecution)
                    "Action": if *express { json!(["states:StartExecution", "states:StartSyncExecution"]) } else { json!("states:StartExecution") },
                    "Resource": arn,
                }));
            }
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        let mut m = crate::project::parse(
            std::path::Path::new("hoist.toml"),
            "format_version = 1\n[project]\nname = \"shop\"\nfrontend = \"none\"\nsource_dir = \"src\"\n[env.dev]\nregion = \"us-east-1\"\n",
        )
        .unwrap();
        for name in ["files", "media"] {
            m.storage.insert(
                name.into(),
                crate::category::storage::StorageConfig::with_defaults(),
            );
        }
        m.auth
            .insert("main".into(), crate::category::auth::AuthConfig::default());
        m
    }

    #[test]
    fn access_names_resolve_against_the_projects_resources() {
        let m = manifest();
        assert_eq!(
            parse("storage:files:write", &m),
            Ok(Grant::Storage {
                name: "files".into(),
                level: StorageLevel::Write
            })
        );
        assert!(
            parse("storage:read", &m)
                .unwrap_err()
                .contains("several storage")
        );
        assert!(
            parse("api:query", &m)
                .unwrap_err()
                .contains("no api resource")
        );
        assert!(
            parse("auth:own", &m)
                .unwrap_err()
                .contains("not an auth access")
        );
        assert_eq!(
            parse("auth:manage", &m),
            Ok(Grant::Auth {
                name: "main".into(),
                manage: true
            })
        );
        assert!(parse("s3:*", &m).unwrap_err().contains("not an access"));
    }

    #[test]
    fn each_grant_is_a_statement_on_its_resource_only() {
        let w = wire(&[
            Grant::Api {
                api: "main".into(),
                type_name: "Query",
            },
            Grant::Storage {
                name: "files".into(),
                level: StorageLevel::Read,
            },
            Grant::Table {
                api: "main".into(),
                model: "Todo".into(),
                write: true,
            },
        ]);
        let resources: Vec<String> = w
            .statements
            .iter()
            .map(|s| s["Resource"].to_string())
            .collect();
        assert!(resources.iter().all(|r| r != "\"*\""), "{resources:?}");
        assert!(
            resources[0].contains("apis/${ApiMainId}/types/Query/*"),
            "{resources:?}"
        );
        assert!(
            resources[1].contains(":::${StorageFilesBucket}/*"),
            "{resources:?}"
        );
        assert!(
            resources[2].contains(":::${StorageFilesBucket}\""),
            "{resources:?}"
        );
        assert!(
            resources[3].contains("table/${ApiMainTodoTableName}/index/*"),
            "{resources:?}"
        );
        let names: Vec<&str> = w.variables.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "API_MAIN_GRAPHQLAPIIDOUTPUT",
                "API_MAIN_GRAPHQLAPIENDPOINTOUTPUT",
                "STORAGE_FILES_BUCKETNAME",
                "API_MAIN_TODOTABLE_NAME",
                "API_MAIN_TODOTABLE_ARN"
            ]
        );
        assert_eq!(w.parameters[0].0, "ApiMainId");
    }

    #[test]
    fn a_workflow_may_be_started_by_the_arn_its_name_makes() {
        let mut m = manifest();
        assert!(
            parse("workflow:start", &m)
                .unwrap_err()
                .contains("no workflow resource")
        );
        let express = crate::category::workflow::WorkflowConfig {
            machine_type: crate::category::workflow::MachineType::Express,
            ..Default::default()
        };
        m.workflow.insert("ingest".into(), express);
        let grant = parse("workflow:start", &m).unwrap();
        assert_eq!(
            grant,
            Grant::Workflow {
                name: "ingest".into(),
                express: true
            }
        );
        assert_eq!(grant.canonical(), "workflow:ingest:start");
        assert!(
            parse("workflow:ingest:stop", &m)
                .unwrap_err()
                .contains("not a workflow access")
        );
        let w = wire(&[grant]);
        // no parameter: no stack waits for the workflow's
        assert!(w.parameters.is_empty());
        let arn = json!({ "Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:ingest-${Env}" });
        assert_eq!(
            w.variables,
            [("WORKFLOW_INGEST_STATEMACHINEARN".to_string(), arn.clone())]
        );
        assert_eq!(
            w.statements,
            [json!({ "Sid": "WorkflowIngestStart", "Effect": "Allow",
                "Action": ["states:StartExecution", "states:StartSyncExecution"], "Resource": arn })]
        );
    }
}
