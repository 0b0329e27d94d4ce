//! Staged index changes: DynamoDB creates or deletes at most one global
//! secondary index per table update ("You can create or delete only one
//! global secondary index per UpdateTable operation", DynamoDB API reference,
//! UpdateTable), and CloudFormation fails a stack update that asks for more.
//! When a push would add or remove several indexes of one table (a schema
//! that gains two `@index` fields, a renamed key), it first deploys
//! intermediate versions of the build, each changing at most one index per
//! table (deletions first, then additions, in the schema's order), as
//! Amplify's iterative index updates do; the last deploy is the build itself.
//!
//! What is deployed is read from CloudFormation (GetTemplate of the root and of
//! each nested stack whose template changed), never from local state.

use std::collections::BTreeMap;

use serde_json::Value;

use super::aws::Clients;
use super::error::DeployError;
use crate::synth::{Build, ROOT_TEMPLATE};

/// One table whose indexes change: where it is, and the indexes as deployed
/// and as built (each a `GlobalSecondaryIndexes` entry), by name.
#[derive(Debug, Clone)]
pub struct TableChange {
    /// The logical ids of the nested stacks down to the table's stack.
    pub stack_path: Vec<String>,
    /// The table's logical id.
    pub table: String,
    deployed: Value,
    built: Value,
    /// Index names in the order they change: deletions, then additions.
    pub steps: Vec<IndexStep>,
}

/// One index created or deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexStep {
    Delete(String),
    Create(String),
}

impl std::fmt::Display for IndexStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IndexStep::Delete(name) => write!(f, "deleting index `{name}`"),
            IndexStep::Create(name) => write!(f, "creating index `{name}`"),
        }
    }
}

/// An intermediate deploy: the templates to upload (key to bytes, root
/// template included) and the root template's key.
#[derive(Debug, Clone)]
pub struct Stage {
    pub uploads: BTreeMap<String, Vec<u8>>,
    pub root_key: String,
    /// What it does, for progress (`Todo`: creating index `byOwner`).
    pub summary: Vec<String>,
}

fn indexes(table: &Value) -> Vec<(String, Value)> {
    table["Properties"]["GlobalSecondaryIndexes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| Some((i["IndexName"].as_str()?.to_string(), i.clone())))
        .collect()
}

/// The changes from the `deployed` table resource to the `built` one:
/// an index is deleted when gone or when its key or projection changed (then
/// created again), created when new.
pub fn index_steps(deployed: &Value, built: &Value) -> Vec<IndexStep> {
    let (before, after) = (indexes(deployed), indexes(built));
    // an index's key attributes with their types in its table (a type that
    // changes is a new index: its attribute definition changes with it)
    let typed = |table: &Value, index: &Value| -> Vec<(Value, Value)> {
        index["KeySchema"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|k| {
                let name = k["AttributeName"].clone();
                let ty = table["Properties"]["AttributeDefinitions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|d| d["AttributeName"] == name)
                    .map(|d| d["AttributeType"].clone())
                    .unwrap_or(Value::Null);
                (name, ty)
            })
            .collect()
    };
    let same = |a: &Value, b: &Value| {
        a["KeySchema"] == b["KeySchema"]
            && a["Projection"] == b["Projection"]
            && typed(deployed, a) == typed(built, b)
    };
    let mut steps: Vec<IndexStep> = before
        .iter()
        .filter(|(name, old)| !after.iter().any(|(n, new)| n == name && same(old, new)))
        .map(|(name, _)| IndexStep::Delete(name.clone()))
        .collect();
    steps.extend(
        after
            .iter()
            .filter(|(name, new)| !before.iter().any(|(n, old)| n == name && same(old, new)))
            .map(|(name, _)| IndexStep::Create(name.clone())),
    );
    steps
}

/// The table resource with the index changes up to `done` applied to the
/// deployed indexes, and the attribute definitions its keys need.
fn table_at(change: &TableChange, done: usize) -> Value {
    let mut current = indexes(&change.deployed);
    let built = indexes(&change.built);
    for step in change.steps.iter().take(done) {
        match step {
            IndexStep::Delete(name) => current.retain(|(n, _)| n != name),
            IndexStep::Create(name) => {
                if let Some(index) = built.iter().find(|(n, _)| n == name) {
                    current.push(index.clone());
                }
            }
        }
    }
    let mut table = change.built.clone();
    let mut needed: Vec<String> = Vec::new();
    let keys = std::iter::once(&table["Properties"]["KeySchema"])
        .chain(current.iter().map(|(_, i)| &i["KeySchema"]));
    for schema in keys {
        for key in schema.as_array().into_iter().flatten() {
            if let Some(name) = key["AttributeName"].as_str()
                && !needed.iter().any(|n| n == name)
            {
                needed.push(name.to_string());
            }
        }
    }
    let definition = |name: &str| {
        [&change.built, &change.deployed]
            .into_iter()
            .flat_map(|t| {
                t["Properties"]["AttributeDefinitions"]
                    .as_array()
                    .into_iter()
                    .flatten()
            })
            .find(|d| d["AttributeName"] == name)
            .cloned()
    };
    table["Properties"]["AttributeDefinitions"] =
        Value::Array(needed.iter().filter_map(|n| definition(n)).collect());
    if current.is_empty() {
        if let Some(props) = table["Properties"].as_object_mut() {
            props.remove("GlobalSecondaryIndexes");
        }
    } else {
        table["Properties"]["GlobalSecondaryIndexes"] =
            Value::Array(current.into_iter().map(|(_, i)| i).collect());
    }
    table
}

/// The upload key of a nested template in a `TemplateURL`
/// (`https://${DeploymentBucket}.s3.${AWS::Region}.amazonaws.com/<key>`).
fn template_key(resource: &Value) -> Option<String> {
    let url = &resource["Properties"]["TemplateURL"];
    let text = url["Fn::Sub"].as_str().or(url.as_str())?;
    Some(text.split_once(".amazonaws.com/")?.1.to_string())
}

/// The built template uploaded at `key`.
fn built_template<'b>(build: &'b Build, key: &str) -> Option<&'b [u8]> {
    let file = build
        .stacks
        .iter()
        .find(|s| s.key == key)
        .map(|s| &s.template_file)
        .or_else(|| build.assets.get(key))?;
    build.files.get(file).map(Vec::as_slice)
}

/// The tables whose indexes a deploy of `build` over the deployed root stack
/// `stack_name` changes, each with its steps.
///
/// Errors: a CloudFormation call that fails ([`DeployError`]).
pub async fn table_changes(
    clients: &Clients,
    stack_name: &str,
    build: &Build,
) -> Result<Vec<TableChange>, DeployError> {
    let mut found = Vec::new();
    let root = build.files.get(ROOT_TEMPLATE).cloned().unwrap_or_default();
    let mut queue: Vec<(String, Vec<String>, Vec<u8>)> =
        vec![(stack_name.to_string(), Vec::new(), root)];
    // bounded: one visit per nested stack of the build
    let mut visits = 0;
    while let Some((stack, path, built_bytes)) = queue.pop() {
        visits += 1;
        if visits > 10_000 {
            break;
        }
        let built: Value = serde_json::from_slice(&built_bytes).unwrap_or(Value::Null);
        let deployed = deployed_template(clients, &stack).await?;
        let mut physical: Option<BTreeMap<String, String>> = None;
        let Some(resources) = built["Resources"].as_object() else {
            continue;
        };
        for (logical, resource) in resources {
            let before = &deployed["Resources"][logical];
            if before.is_null() {
                continue;
            }
            match resource["Type"].as_str() {
                Some("AWS::DynamoDB::Table") => {
                    let steps = index_steps(before, resource);
                    if !steps.is_empty() {
                        found.push(TableChange {
                            stack_path: path.clone(),
                            table: logical.clone(),
                            deployed: before.clone(),
                            built: resource.clone(),
                            steps,
                        });
                    }
                }
                Some("AWS::CloudFormation::Stack") => {
                    let (Some(new_key), old_key) = (template_key(resource), template_key(before))
                    else {
                        continue;
                    };
                    if old_key.as_deref() == Some(new_key.as_str()) {
                        continue; // the same template: the same indexes
                    }
                    let Some(bytes) = built_template(build, &new_key) else {
                        continue;
                    };
                    if physical.is_none() {
                        physical = Some(
                            resource_ids(clients, &stack, Some("AWS::CloudFormation::Stack"))
                                .await?,
                        );
                    }
                    if let Some(id) = physical.as_ref().and_then(|p| p.get(logical)) {
                        let mut child = path.clone();
                        child.push(logical.clone());
                        queue.push((id.clone(), child, bytes.to_vec()));
                    }
                }
                _ => {}
            }
        }
    }
    Ok(found)
}

async fn deployed_template(clients: &Clients, stack: &str) -> Result<Value, DeployError> {
    // hoist writes JSON; a template it cannot read has no tables it knows
    let body = super::env::template_body(clients, stack).await?;
    Ok(serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// How long a stage may wait for DynamoDB to finish building or removing
/// an index before the push gives up (a backfill of a large table can take
/// hours; DynamoDB developer guide, "Adding a global secondary index to an
/// existing table").
const ACTIVE_WITHIN: std::time::Duration = std::time::Duration::from_secs(6 * 3600);

/// Wait until the tables of `changes` and every index of theirs are
/// `ACTIVE`: CloudFormation finishes a stack update while DynamoDB still
/// builds (backfills) a new index, and the table takes no other index
/// change until it is done (AWS::DynamoDB::Table, GlobalSecondaryIndexes).
/// `progress` is told what is awaited, at most once a minute.
///
/// Errors: a call that fails, or [`ACTIVE_WITHIN`] passed.
pub async fn wait_active(
    clients: &Clients,
    root: &str,
    changes: &[TableChange],
    poll: std::time::Duration,
    progress: &dyn Fn(&str),
) -> Result<(), DeployError> {
    let started = std::time::Instant::now();
    let mut told = None::<std::time::Instant>;
    for change in changes {
        let Some(table) = physical_table(clients, root, change).await? else {
            continue;
        };
        loop {
            let out = clients
                .dynamodb
                .describe_table()
                .table_name(&table)
                .send()
                .await
                .map_err(clients.refused("DescribeTable"))?;
            let busy: Vec<String> = out
                .table()
                .map(|t| {
                    let mut busy: Vec<String> = t
                        .global_secondary_indexes()
                        .iter()
                        .filter(|i| i.index_status().is_some_and(|s| s.as_str() != "ACTIVE"))
                        .map(|i| {
                            format!(
                                "index `{}` {}",
                                i.index_name().unwrap_or("?"),
                                i.index_status().map(|s| s.as_str()).unwrap_or("?")
                            )
                        })
                        .collect();
                    if t.table_status().is_some_and(|s| s.as_str() != "ACTIVE") {
                        busy.push(format!(
                            "the table {}",
                            t.table_status().map(|s| s.as_str()).unwrap_or("?")
                        ));
                    }
                    busy
                })
                .unwrap_or_default();
            if busy.is_empty() {
                break;
            }
            if started.elapsed() > ACTIVE_WITHIN {
                return Err(DeployError::unexpected(
                    "DescribeTable",
                    format!(
                        "`{table}` is still busy after {} hours ({}): run `hoist push` again once DynamoDB is done",
                        ACTIVE_WITHIN.as_secs() / 3600,
                        busy.join(", ")
                    ),
                ));
            }
            if told.is_none_or(|t| t.elapsed() >= std::time::Duration::from_secs(60)) {
                progress(&format!(
                    "waiting for DynamoDB: {} of `{table}` ({} s so far)",
                    busy.join(", "),
                    started.elapsed().as_secs()
                ));
                told = Some(std::time::Instant::now());
            }
            tokio::time::sleep(poll).await;
        }
    }
    Ok(())
}

/// The physical name of a changed table, found down its stacks from the root.
async fn physical_table(
    clients: &Clients,
    root: &str,
    change: &TableChange,
) -> Result<Option<String>, DeployError> {
    let mut stack = root.to_string();
    for logical in &change.stack_path {
        match resource_ids(clients, &stack, None).await?.remove(logical) {
            Some(id) => stack = id,
            None => return Ok(None),
        }
    }
    Ok(resource_ids(clients, &stack, None)
        .await?
        .remove(&change.table))
}

/// The physical ids of a stack's resources (of `kind` only, when given), by
/// logical id.
pub(super) async fn resource_ids(
    clients: &Clients,
    stack: &str,
    kind: Option<&str>,
) -> Result<BTreeMap<String, String>, DeployError> {
    let mut found = BTreeMap::new();
    let mut token = None;
    loop {
        let out = clients
            .cloudformation
            .list_stack_resources()
            .stack_name(stack)
            .set_next_token(token)
            .send()
            .await
            .map_err(clients.refused("ListStackResources"))?;
        for r in out.stack_resource_summaries() {
            if kind.is_none_or(|k| r.resource_type() == Some(k))
                && let (Some(logical), Some(physical)) =
                    (r.logical_resource_id(), r.physical_resource_id())
            {
                found.insert(logical.to_string(), physical.to_string());
            }
        }
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(found);
        }
    }
}

/// The intermediate deploys `changes` need before the build itself: none
/// when no table changes more than one index.
pub fn stages(build: &Build, changes: &[TableChange]) -> Vec<Stage> {
    let deploys = changes.iter().map(|c| c.steps.len()).max().unwrap_or(0);
    (1..deploys)
        .map(|done| stage(build, changes, done))
        .collect()
}

/// The build with each changed table at its first `done` index steps.
fn stage(build: &Build, changes: &[TableChange], done: usize) -> Stage {
    // each stack's template by its path from the root, as built
    let mut templates: BTreeMap<Vec<String>, Value> = BTreeMap::new();
    let mut summary = Vec::new();
    for change in changes {
        let template = templates
            .entry(change.stack_path.clone())
            .or_insert_with(|| template_at(build, &change.stack_path));
        template["Resources"][&change.table] = table_at(change, done);
        if let Some(step) = change.steps.get(done - 1) {
            summary.push(format!("{}: {step}", change.table));
        }
    }
    // re-key from the deepest stacks up: a parent names its child's new key
    let mut uploads = BTreeMap::new();
    let mut paths: Vec<Vec<String>> = templates.keys().cloned().collect();
    paths.sort_by_key(|p| std::cmp::Reverse(p.len()));
    let mut root_key = String::new();
    while let Some(path) = paths.first().cloned() {
        paths.remove(0);
        let template = templates.remove(&path).unwrap_or(Value::Null);
        let bytes = crate::cfn::to_bytes(&template);
        let sha = crate::cfn::sha256_hex(&bytes);
        let Some((logical, parent_path)) = path.split_last() else {
            root_key = format!("templates/root-staged-{}.json", &sha[..16]);
            uploads.insert(root_key.clone(), bytes);
            continue;
        };
        let key = format!("templates/staged-{}.json", &sha[..16]);
        uploads.insert(key.clone(), bytes);
        let parent_path = parent_path.to_vec();
        if !templates.contains_key(&parent_path) {
            templates.insert(parent_path.clone(), template_at(build, &parent_path));
            paths.push(parent_path.clone());
            paths.sort_by_key(|p| std::cmp::Reverse(p.len()));
        }
        let parent = templates.get_mut(&parent_path).expect("inserted above");
        let url = &mut parent["Resources"][logical]["Properties"]["TemplateURL"];
        if let Some(sub) = url["Fn::Sub"].as_str() {
            let base = sub.split_once(".amazonaws.com/").map_or(sub, |(b, _)| b);
            *url = serde_json::json!({ "Fn::Sub": format!("{base}.amazonaws.com/{key}") });
        }
    }
    Stage {
        uploads,
        root_key,
        summary,
    }
}

/// The built template of the stack at `path` (the root's for an empty path).
fn template_at(build: &Build, path: &[String]) -> Value {
    let mut bytes = build.files.get(ROOT_TEMPLATE).cloned().unwrap_or_default();
    for logical in path {
        let template: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        bytes = template_key(&template["Resources"][logical])
            .and_then(|key| built_template(build, &key).map(<[u8]>::to_vec))
            .unwrap_or_default();
    }
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn table(indexes: &[(&str, &str)]) -> Value {
        let mut t = json!({ "Type": "AWS::DynamoDB::Table", "Properties": {
            "KeySchema": [{ "AttributeName": "id", "KeyType": "HASH" }],
            "AttributeDefinitions": [{ "AttributeName": "id", "AttributeType": "S" }],
        }});
        for (name, key) in indexes {
            t["Properties"]["AttributeDefinitions"]
                .as_array_mut()
                .unwrap()
                .push(json!({ "AttributeName": key, "AttributeType": "S" }));
            let list = t["Properties"]
                .as_object_mut()
                .unwrap()
                .entry("GlobalSecondaryIndexes")
                .or_insert(json!([]));
            list.as_array_mut().unwrap().push(json!({
                "IndexName": name,
                "KeySchema": [{ "AttributeName": key, "KeyType": "HASH" }],
                "Projection": { "ProjectionType": "ALL" },
            }));
        }
        t
    }

    #[test]
    fn deletions_come_first_and_a_changed_key_is_deleted_then_created() {
        let deployed = table(&[("byOwner", "owner"), ("byStatus", "status"), ("old", "x")]);
        let built = table(&[
            ("byOwner", "ownerId"),
            ("byStatus", "status"),
            ("byDay", "day"),
        ]);
        assert_eq!(
            index_steps(&deployed, &built),
            [
                IndexStep::Delete("byOwner".into()),
                IndexStep::Delete("old".into()),
                IndexStep::Create("byOwner".into()),
                IndexStep::Create("byDay".into()),
            ]
        );
        assert!(index_steps(&built, &built).is_empty());
        // the same key with another type: deleted, then created
        let mut numeric = built.clone();
        for d in numeric["Properties"]["AttributeDefinitions"]
            .as_array_mut()
            .unwrap()
        {
            if d["AttributeName"] == "day" {
                d["AttributeType"] = json!("N");
            }
        }
        assert_eq!(
            index_steps(&built, &numeric),
            [
                IndexStep::Delete("byDay".into()),
                IndexStep::Create("byDay".into())
            ]
        );
    }

    #[test]
    fn each_intermediate_table_changes_one_index_and_defines_only_the_attributes_its_keys_use() {
        let deployed = table(&[("old", "x")]);
        let built = table(&[("a", "fa"), ("b", "fb")]);
        let change = TableChange {
            stack_path: vec![],
            table: "T".into(),
            steps: index_steps(&deployed, &built),
            deployed,
            built: built.clone(),
        };
        assert_eq!(change.steps.len(), 3);
        let names = |t: &Value| -> Vec<String> { indexes(t).into_iter().map(|(n, _)| n).collect() };
        let attrs = |t: &Value| -> Vec<String> {
            t["Properties"]["AttributeDefinitions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["AttributeName"].as_str().unwrap().to_string())
                .collect()
        };
        let first = table_at(&change, 1);
        assert!(names(&first).is_empty());
        assert!(first["Properties"].get("GlobalSecondaryIndexes").is_none());
        assert_eq!(attrs(&first), ["id"]);
        let second = table_at(&change, 2);
        assert_eq!(names(&second), ["a"]);
        assert_eq!(attrs(&second), ["id", "fa"]);
        // the last step is the build itself
        assert_eq!(table_at(&change, 3), built);
    }
}
