//! The batch and transaction operations of the sandbox's DynamoDB
//! (BatchGetItem, BatchWriteItem, TransactGetItems, TransactWriteItems), in
//! the service's JSON, with its limits and errors (the DynamoDB API
//! Reference of each operation).

use serde_json::{Value, json};

use super::value::{Item, item_from_wire, item_to_wire};
use super::{Database, DynamoError, Key, expressions};

/// Why each action of a cancelled transaction failed, in order
/// (`CancellationReasons` of `TransactionCanceledException`).
fn cancelled(reasons: Vec<Option<DynamoError>>) -> Value {
    let codes: Vec<&str> = reasons
        .iter()
        .map(|r| match r {
            None => "None",
            Some(e) if e.kind == "ConditionalCheckFailedException" => "ConditionalCheckFailed",
            Some(_) => "ValidationError",
        })
        .collect();
    let wire: Vec<Value> = reasons
        .iter()
        .zip(&codes)
        .map(|(r, code)| match r {
            None => json!({ "Code": "None" }),
            Some(e) => {
                let mut reason = json!({ "Code": code, "Message": e.message });
                if let Some(item) = &e.item {
                    reason["Item"] = item_to_wire(item);
                }
                reason
            }
        })
        .collect();
    json!({
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        "message": format!(
            "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
            codes.join(", ")
        ),
        "CancellationReasons": wire,
    })
}

/// `RequestItems` of a batch: at least one table, at most `max` entries in
/// all (`count` says how many a table's entry holds).
fn request_items<'a>(
    request: &'a Value,
    max: usize,
    operation: &str,
    count: impl Fn(&Value) -> usize,
) -> Result<&'a serde_json::Map<String, Value>, DynamoError> {
    let tables = request["RequestItems"]
        .as_object()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| DynamoError::validation("RequestItems must name at least one table"))?;
    if tables.values().map(count).sum::<usize>() > max {
        return Err(DynamoError::validation(format!(
            "Too many items requested for the {operation} call"
        )));
    }
    Ok(tables)
}

impl Database {
    /// `BatchGetItem`: up to 100 keys over the tables, each read as
    /// `GetItem` reads it; nothing is left unprocessed here.
    pub(super) fn batch_get_item(&self, request: &Value) -> Result<Value, DynamoError> {
        let tables = request_items(request, 100, "BatchGetItem", |t| {
            t["Keys"].as_array().map_or(0, Vec::len)
        })?;
        let mut responses = serde_json::Map::new();
        for (name, spec) in tables {
            let table = self.tables.get(name).ok_or_else(DynamoError::not_found)?;
            let keys = spec["Keys"]
                .as_array()
                .filter(|k| !k.is_empty())
                .ok_or_else(|| DynamoError::validation("Keys must hold at least one key"))?;
            let mut seen = std::collections::BTreeSet::new();
            let mut items = Vec::new();
            for wire_key in keys {
                let key = table.key_param(&item_from_wire(wire_key)?)?;
                if !seen.insert(key.clone()) {
                    return Err(DynamoError::validation(
                        "Provided list of item keys contains duplicates",
                    ));
                }
                let mut get = spec.clone();
                if let Value::Object(m) = &mut get {
                    m.remove("Keys");
                    m.remove("ConsistentRead");
                    m.insert("TableName".into(), json!(name));
                    m.insert("Key".into(), wire_key.clone());
                }
                if let Some(item) = self.get_item(&get)?.get("Item") {
                    items.push(item.clone());
                }
            }
            responses.insert(name.clone(), Value::Array(items));
        }
        Ok(json!({ "Responses": responses, "UnprocessedKeys": {} }))
    }

    /// `BatchWriteItem`: up to 25 puts and deletes, no conditions; the
    /// request is checked whole before anything is written.
    pub(super) fn batch_write_item(&mut self, request: &Value) -> Result<Value, DynamoError> {
        let tables = request_items(request, 25, "BatchWriteItem", |t| {
            t.as_array().map_or(0, Vec::len)
        })?;
        let mut writes = Vec::new();
        for (name, list) in tables {
            let table = self.tables.get(name).ok_or_else(DynamoError::not_found)?;
            let mut seen = std::collections::BTreeSet::new();
            for write in list.as_array().into_iter().flatten() {
                let (key, item) = if let Some(put) = write.get("PutRequest") {
                    let item = item_from_wire(&put["Item"])?;
                    (table.check_item(&item)?, Some(item))
                } else if let Some(delete) = write.get("DeleteRequest") {
                    (table.key_param(&item_from_wire(&delete["Key"])?)?, None)
                } else {
                    return Err(DynamoError::validation(
                        "A write request must be a PutRequest or a DeleteRequest",
                    ));
                };
                if !seen.insert(key.clone()) {
                    return Err(DynamoError::validation(
                        "Provided list of item keys contains duplicates",
                    ));
                }
                writes.push((name.clone(), key, item));
            }
        }
        for (table, key, item) in writes {
            let exists = self
                .tables
                .get(&table)
                .is_some_and(|t| t.items.contains_key(&key));
            if item.is_some() || exists {
                self.write(&table, key, item)?;
            }
        }
        Ok(json!({ "UnprocessedItems": {} }))
    }

    /// `TransactGetItems`: up to 100 `Get`s, answered in order.
    pub(super) fn transact_get_items(&self, request: &Value) -> Result<Value, DynamoError> {
        let items = request["TransactItems"]
            .as_array()
            .filter(|i| (1..=100).contains(&i.len()))
            .ok_or_else(|| DynamoError::validation("TransactItems must hold 1 to 100 actions"))?;
        let mut responses = Vec::new();
        for action in items {
            let get = action
                .get("Get")
                .ok_or_else(|| DynamoError::validation("each action must be a Get"))?;
            responses.push(self.get_item(get)?);
        }
        Ok(json!({ "Responses": responses }))
    }

    /// `TransactWriteItems`: up to 100 `Put`, `Update`, `Delete` and
    /// `ConditionCheck` actions on distinct items, all or none. Every
    /// condition is checked against the items as they are before any is
    /// written; one that fails cancels the whole (`TransactionCanceledException`
    /// with a reason per action).
    pub(super) fn transact_write_items(&mut self, request: &Value) -> Result<Value, DynamoError> {
        let actions = request["TransactItems"]
            .as_array()
            .filter(|i| (1..=100).contains(&i.len()))
            .ok_or_else(|| DynamoError::validation("TransactItems must hold 1 to 100 actions"))?;
        let mut parsed = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for action in actions {
            let (kind, body) = ["Put", "Update", "Delete", "ConditionCheck"]
                .iter()
                .find_map(|k| action.get(*k).map(|b| (*k, b)))
                .ok_or_else(|| {
                    DynamoError::validation(
                        "each action must be a Put, Update, Delete or ConditionCheck",
                    )
                })?;
            let table = self.table(body)?;
            let key = match kind {
                "Put" => table.check_item(&item_from_wire(&body["Item"])?)?,
                _ => table.key_param(&item_from_wire(&body["Key"])?)?,
            };
            if !seen.insert((table.schema.name.clone(), key.clone())) {
                return Err(DynamoError::validation(
                    "Transaction request cannot include multiple operations on one item",
                ));
            }
            let e = expressions(body)?;
            if kind == "ConditionCheck" && e.condition.is_none() {
                return Err(DynamoError::validation(
                    "A ConditionCheck needs a ConditionExpression",
                ));
            }
            parsed.push((kind, body, table.schema.name.clone(), key, e));
        }
        // every condition against the items as they are
        let mut reasons = Vec::new();
        for (_, body, table, key, e) in &parsed {
            let old = self.tables.get(table).and_then(|t| t.items.get(key));
            reasons.push(Self::check_condition(body, e.condition.as_ref(), old).err());
        }
        if reasons.iter().any(Option::is_some) {
            let wire = cancelled(reasons);
            return Err(DynamoError {
                kind: "TransactionCanceledException",
                message: wire["message"].as_str().unwrap_or_default().to_string(),
                item: None,
                reasons: Some(wire["CancellationReasons"].clone()),
            });
        }
        // then the writes; one that fails puts back the ones before it
        let mut undo: Vec<(String, Key, Option<Item>)> = Vec::new();
        for (kind, body, table, key, _) in &parsed {
            let before = self
                .tables
                .get(table)
                .and_then(|t| t.items.get(key))
                .cloned();
            let done = match *kind {
                "Put" => self.put_item(body).map(|_| ()),
                "Update" => self.update_item(body).map(|_| ()),
                "Delete" => self.delete_item(body).map(|_| ()),
                _ => Ok(()),
            };
            if let Err(e) = done {
                for (table, key, item) in undo.into_iter().rev() {
                    let _ = self.write(&table, key, item);
                }
                return Err(e);
            }
            undo.push((table.clone(), key.clone(), before));
        }
        Ok(json!({}))
    }
}
