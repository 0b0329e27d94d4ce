//! Data sources as AppSync runs them: a function's request object (what
//! `ddb.get` and friends return) sent to the sandbox's DynamoDB, and what the
//! function's response handler then sees as `ctx.result` or `ctx.error`.
//!
//! Shapes from the AWS AppSync Developer Guide, "AWS AppSync JavaScript
//! resolver function reference for DynamoDB": `GetItem`, `PutItem`,
//! `UpdateItem`, `DeleteItem`, `Query`, `Scan`, with `key`, `attributeValues`,
//! `update`, `condition`, `query`, `filter` (each an expression with its names
//! and values), `index`, `limit`, `nextToken`, `scanIndexForward`; results as
//! plain JSON (`{items, nextToken, scannedCount}` for pages); errors as
//! `{message, type: "DynamoDB:<exception>"}`.

use base64::Engine;
use serde_json::{Map, Value, json};

use super::dynamodb::value::{AttributeValue, item_from_wire, number_text};
use super::dynamodb::{Database, DynamoError};

/// What a data source answered: `ctx.result`, or `ctx.error`.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Result(Value),
    /// `ctx.error`, and what `ctx.result` holds beside it (a cancelled
    /// transaction's `cancellationReasons`; otherwise null).
    Error {
        message: String,
        error_type: String,
        result: Value,
    },
}

fn error(e: DynamoError) -> Answer {
    let result = match cancellation_reasons(&e) {
        Some(reasons) => json!({ "keys": null, "cancellationReasons": reasons }),
        None => Value::Null,
    };
    Answer::Error {
        message: e.message,
        error_type: format!("DynamoDB:{}", e.kind),
        result,
    }
}

/// AppSync's `cancellationReasons` of a cancelled transaction: `{type, message}` per action.
pub fn cancellation_reasons(e: &DynamoError) -> Option<Value> {
    e.reasons.as_ref().and_then(Value::as_array).map(|reasons| {
        Value::Array(
            reasons
                .iter()
                .map(|r| json!({ "type": r["Code"], "message": r.get("Message").cloned().unwrap_or(Value::Null) }))
                .collect(),
        )
    })
}

/// A DynamoDB value as AppSync hands it to resolvers: plain JSON.
pub fn plain(v: &AttributeValue) -> Value {
    let number = |n: &bigdecimal::BigDecimal| -> Value {
        serde_json::from_str(&number_text(n)).unwrap_or(Value::Null)
    };
    let b64 = |b: &[u8]| Value::String(base64::engine::general_purpose::STANDARD.encode(b));
    match v {
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::N(n) => number(n),
        AttributeValue::B(b) => b64(b),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::Null => Value::Null,
        AttributeValue::M(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), plain(v))).collect())
        }
        AttributeValue::L(l) => Value::Array(l.iter().map(plain).collect()),
        AttributeValue::Ss(s) => json!(s),
        AttributeValue::Ns(s) => Value::Array(s.iter().map(number).collect()),
        AttributeValue::Bs(s) => Value::Array(s.iter().map(|b| b64(b)).collect()),
    }
}

/// An item in DynamoDB's JSON as plain JSON (null when it is not an item).
pub fn plain_item(wire: &Value) -> Value {
    match item_from_wire(wire) {
        Ok(item) => Value::Object(item.iter().map(|(k, v)| (k.clone(), plain(v))).collect()),
        Err(_) => Value::Null,
    }
}

/// Merge an expression's names and values into the request, refusing a
/// placeholder given twice with different meanings.
fn merge(out: &mut Map<String, Value>, expression: &Value) -> Result<Option<String>, DynamoError> {
    if expression.is_null() {
        return Ok(None);
    }
    let text = expression["expression"]
        .as_str()
        .ok_or_else(|| DynamoError::validation("an expression object needs `expression`"))?;
    for (field, key) in [
        ("expressionNames", "ExpressionAttributeNames"),
        ("expressionValues", "ExpressionAttributeValues"),
    ] {
        let Some(given) = expression[field].as_object() else {
            continue;
        };
        let target = out
            .entry(key)
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .expect("an object");
        for (k, v) in given {
            if let Some(existing) = target.get(k)
                && existing != v
            {
                return Err(DynamoError::validation(format!(
                    "the placeholder {k} is given twice with different values"
                )));
            }
            target.insert(k.clone(), v.clone());
        }
    }
    Ok(Some(text.to_string()))
}

fn token_to_key(token: &Value) -> Result<Option<Value>, DynamoError> {
    let Some(text) = token.as_str() else {
        return Ok(None);
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| DynamoError::validation("Invalid nextToken"))?;
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|_| DynamoError::validation("Invalid nextToken"))
}

fn key_to_token(key: &Value) -> Value {
    Value::String(base64::engine::general_purpose::STANDARD.encode(key.to_string()))
}

/// Run a DynamoDB request object against `table`.
pub fn dynamodb(db: &mut Database, table: &str, request: &Value) -> Answer {
    match run(db, table, request) {
        Ok(v) => Answer::Result(v),
        Err(e) => error(e),
    }
}

fn run(db: &mut Database, table: &str, request: &Value) -> Result<Value, DynamoError> {
    let operation = request["operation"]
        .as_str()
        .ok_or_else(|| DynamoError::validation("the request has no `operation`"))?;
    let mut out = Map::new();
    out.insert("TableName".into(), json!(table));
    let set =
        |out: &mut Map<String, Value>, field: &str, value: &Value| -> Result<(), DynamoError> {
            if let Some(text) = merge(out, value)? {
                out.insert(field.into(), Value::String(text));
            }
            Ok(())
        };
    set(&mut out, "ConditionExpression", &request["condition"])?;
    set(&mut out, "ProjectionExpression", &request["projection"])?;
    match operation {
        "GetItem" => {
            out.insert("Key".into(), request["key"].clone());
            let r = db.call("GetItem", &Value::Object(out))?;
            Ok(r.get("Item").map(plain_item).unwrap_or(Value::Null))
        }
        "PutItem" => {
            let mut item = request["attributeValues"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            for (k, v) in request["key"].as_object().into_iter().flatten() {
                item.insert(k.clone(), v.clone());
            }
            out.insert("Item".into(), Value::Object(item.clone()));
            db.call("PutItem", &Value::Object(out))?;
            Ok(plain_item(&Value::Object(item)))
        }
        "UpdateItem" => {
            out.insert("Key".into(), request["key"].clone());
            set(&mut out, "UpdateExpression", &request["update"])?;
            out.insert("ReturnValues".into(), json!("ALL_NEW"));
            let r = db.call("UpdateItem", &Value::Object(out))?;
            Ok(r.get("Attributes").map(plain_item).unwrap_or(Value::Null))
        }
        "DeleteItem" => {
            out.insert("Key".into(), request["key"].clone());
            out.insert("ReturnValues".into(), json!("ALL_OLD"));
            let r = db.call("DeleteItem", &Value::Object(out))?;
            Ok(r.get("Attributes").map(plain_item).unwrap_or(Value::Null))
        }
        "Query" | "Scan" => {
            if operation == "Query" {
                set(&mut out, "KeyConditionExpression", &request["query"])?;
            }
            set(&mut out, "FilterExpression", &request["filter"])?;
            if let Some(index) = request["index"].as_str() {
                out.insert("IndexName".into(), json!(index));
            }
            if let Some(limit) = request["limit"].as_u64() {
                out.insert("Limit".into(), json!(limit));
            }
            if request["scanIndexForward"] == false {
                out.insert("ScanIndexForward".into(), json!(false));
            }
            if let Some(key) = token_to_key(&request["nextToken"])? {
                out.insert("ExclusiveStartKey".into(), key);
            }
            let r = db.call(operation, &Value::Object(out))?;
            let items: Vec<Value> = r["Items"]
                .as_array()
                .into_iter()
                .flatten()
                .map(plain_item)
                .collect();
            Ok(json!({
                "items": items,
                "nextToken": r.get("LastEvaluatedKey").map(key_to_token),
                "scannedCount": r["ScannedCount"],
            }))
        }
        "BatchGetItem" => {
            let mut items = Map::new();
            let mut names = Vec::new();
            for (given, spec) in request["tables"].as_object().into_iter().flatten() {
                let name = table_named(db, table, given)?;
                let mut one = Map::new();
                one.insert("Keys".into(), spec["keys"].clone());
                if let Some(text) = merge(&mut one, &spec["projection"])? {
                    one.insert("ProjectionExpression".into(), Value::String(text));
                }
                items.insert(name.clone(), Value::Object(one));
                names.push((given.clone(), name));
            }
            let r = db.call("BatchGetItem", &json!({ "RequestItems": items }))?;
            // each table's items in the order of its keys, null where there is none
            let mut data = Map::new();
            let mut unprocessed = Map::new();
            for (given, name) in names {
                let found: Vec<Value> = r["Responses"][&name]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(plain_item)
                    .collect();
                let keys = request["tables"][&given]["keys"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let ordered: Vec<Value> = keys
                    .iter()
                    .map(|k| {
                        let key = plain_item(k);
                        found
                            .iter()
                            .find(|item| {
                                key.as_object().is_some_and(|kv| {
                                    kv.iter().all(|(a, v)| item.get(a) == Some(v))
                                })
                            })
                            .cloned()
                            .unwrap_or(Value::Null)
                    })
                    .collect();
                data.insert(given.clone(), Value::Array(ordered));
                unprocessed.insert(given, json!([]));
            }
            Ok(json!({ "data": data, "unprocessedKeys": unprocessed }))
        }
        "BatchPutItem" | "BatchDeleteItem" => {
            let put = operation == "BatchPutItem";
            let mut items = Map::new();
            let mut data = Map::new();
            let mut unprocessed = Map::new();
            for (given, list) in request["tables"].as_object().into_iter().flatten() {
                let name = table_named(db, table, given)?;
                let list = list.as_array().cloned().unwrap_or_default();
                let writes: Vec<Value> = list
                    .iter()
                    .map(|i| {
                        if put {
                            json!({ "PutRequest": { "Item": i } })
                        } else {
                            json!({ "DeleteRequest": { "Key": i } })
                        }
                    })
                    .collect();
                items.insert(name, Value::Array(writes));
                data.insert(
                    given.clone(),
                    Value::Array(list.iter().map(plain_item).collect()),
                );
                unprocessed.insert(given.clone(), json!([]));
            }
            db.call("BatchWriteItem", &json!({ "RequestItems": items }))?;
            let left = if put {
                "unprocessedItems"
            } else {
                "unprocessedKeys"
            };
            Ok(json!({ "data": data, left: unprocessed }))
        }
        "TransactGetItems" => {
            let mut gets = Vec::new();
            for item in request["transactItems"].as_array().into_iter().flatten() {
                let name = table_named(db, table, item["table"].as_str().unwrap_or(table))?;
                let mut one = Map::new();
                one.insert("TableName".into(), json!(name));
                one.insert("Key".into(), item["key"].clone());
                if let Some(text) = merge(&mut one, &item["projection"])? {
                    one.insert("ProjectionExpression".into(), Value::String(text));
                }
                gets.push(json!({ "Get": one }));
            }
            let r = db.call("TransactGetItems", &json!({ "TransactItems": gets }))?;
            let items: Vec<Value> = r["Responses"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|g| g.get("Item").map(plain_item).unwrap_or(Value::Null))
                .collect();
            Ok(json!({ "items": items, "cancellationReasons": null }))
        }
        "TransactWriteItems" => {
            let mut actions = Vec::new();
            let mut keys = Vec::new();
            for item in request["transactItems"].as_array().into_iter().flatten() {
                let name = table_named(db, table, item["table"].as_str().unwrap_or(table))?;
                let mut one = Map::new();
                one.insert("TableName".into(), json!(name));
                if let Some(text) = merge(&mut one, &item["condition"])? {
                    one.insert("ConditionExpression".into(), Value::String(text));
                }
                let action = match item["operation"].as_str().unwrap_or_default() {
                    "PutItem" => {
                        let mut full = item["attributeValues"]
                            .as_object()
                            .cloned()
                            .unwrap_or_default();
                        for (k, v) in item["key"].as_object().into_iter().flatten() {
                            full.insert(k.clone(), v.clone());
                        }
                        one.insert("Item".into(), Value::Object(full));
                        "Put"
                    }
                    "UpdateItem" => {
                        one.insert("Key".into(), item["key"].clone());
                        if let Some(text) = merge(&mut one, &item["update"])? {
                            one.insert("UpdateExpression".into(), Value::String(text));
                        }
                        "Update"
                    }
                    "DeleteItem" => {
                        one.insert("Key".into(), item["key"].clone());
                        "Delete"
                    }
                    "ConditionCheck" => {
                        one.insert("Key".into(), item["key"].clone());
                        "ConditionCheck"
                    }
                    other => {
                        return Err(DynamoError::validation(format!(
                            "a transactItems entry cannot be `{other}`: PutItem, UpdateItem, DeleteItem or ConditionCheck"
                        )));
                    }
                };
                keys.push(plain_item(&item["key"]));
                actions.push(json!({ action: one }));
            }
            db.call("TransactWriteItems", &json!({ "TransactItems": actions }))?;
            Ok(json!({ "keys": keys, "cancellationReasons": null }))
        }
        other => Err(DynamoError::validation(format!(
            "the sandbox's DynamoDB data source does not do `{other}` yet"
        ))),
    }
}

/// The sandbox's table a batch or transaction names: the name itself, else
/// the table of the same api for the model the name starts with (a deployed
/// Amplify table is `<Model>-<api id>-<env>`; the sandbox's is
/// `<api>.<Model>Table`).
fn table_named(db: &Database, source_table: &str, given: &str) -> Result<String, DynamoError> {
    let names = db.table_names();
    if names.iter().any(|n| n == given) {
        return Ok(given.to_string());
    }
    let api = source_table.split('.').next().unwrap_or_default();
    let model = given.split('-').next().unwrap_or(given);
    let candidate = format!("{api}.{model}Table");
    if names.contains(&candidate) {
        return Ok(candidate);
    }
    Err(DynamoError {
        kind: "ResourceNotFoundException",
        message: format!(
            "the sandbox has no table `{given}` (its tables: {})",
            names.join(", ")
        ),
        item: None,
        reasons: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Database {
        let mut db = Database::in_memory();
        db.call(
            "CreateTable",
            &json!({"TableName": "main.TodoTable", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}]}),
        )
        .unwrap();
        db
    }

    fn ok(answer: Answer) -> Value {
        match answer {
            Answer::Result(v) => v,
            Answer::Error { message, .. } => panic!("{message}"),
        }
    }

    /// AppSync's batch and transaction request objects ("AWS AppSync
    /// JavaScript resolver function reference for DynamoDB"), with tables
    /// named as deployed (`Todo-<api id>-<env>`) or as the sandbox names them.
    #[test]
    fn batches_and_transactions_run_as_appsync_sends_them() {
        let mut db = db();
        let t = "main.TodoTable";
        let put = ok(dynamodb(
            &mut db,
            t,
            &json!({"operation": "BatchPutItem", "tables": {"Todo-abc123-dev": [
                {"id": {"S": "a"}, "n": {"N": "1"}}, {"id": {"S": "b"}, "n": {"N": "2"}}]}}),
        ));
        assert_eq!(
            put["data"]["Todo-abc123-dev"][1],
            json!({"id": "b", "n": 2})
        );
        assert_eq!(put["unprocessedItems"]["Todo-abc123-dev"], json!([]));
        let got = ok(dynamodb(
            &mut db,
            t,
            &json!({"operation": "BatchGetItem", "tables": {t: {"keys": [
                {"id": {"S": "b"}}, {"id": {"S": "zz"}}, {"id": {"S": "a"}}]}}}),
        ));
        assert_eq!(
            got["data"][t],
            json!([{"id": "b", "n": 2}, null, {"id": "a", "n": 1}]),
            "in the order of the keys, null where there is none"
        );
        let written = ok(dynamodb(
            &mut db,
            t,
            &json!({"operation": "TransactWriteItems", "transactItems": [
                {"table": t, "operation": "UpdateItem", "key": {"id": {"S": "a"}},
                 "update": {"expression": "SET n = n + :one", "expressionValues": {":one": {"N": "1"}}},
                 "condition": {"expression": "n = :n", "expressionValues": {":n": {"N": "1"}}}},
                {"table": t, "operation": "DeleteItem", "key": {"id": {"S": "b"}}}]}),
        ));
        assert_eq!(written["keys"], json!([{"id": "a"}, {"id": "b"}]));
        // a failed condition cancels all, with AppSync's reasons beside the error
        let cancelled = dynamodb(
            &mut db,
            t,
            &json!({"operation": "TransactWriteItems", "transactItems": [
                {"table": t, "operation": "PutItem", "key": {"id": {"S": "c"}}, "attributeValues": {}},
                {"table": t, "operation": "ConditionCheck", "key": {"id": {"S": "a"}},
                 "condition": {"expression": "n = :n", "expressionValues": {":n": {"N": "1"}}}}]}),
        );
        let Answer::Error {
            error_type, result, ..
        } = cancelled
        else {
            panic!("not cancelled: {cancelled:?}");
        };
        assert_eq!(error_type, "DynamoDB:TransactionCanceledException");
        assert_eq!(
            result["cancellationReasons"],
            json!([{"type": "None", "message": null}, {"type": "ConditionalCheckFailed", "message": "The conditional request failed"}])
        );
        let read = ok(dynamodb(
            &mut db,
            t,
            &json!({"operation": "TransactGetItems", "transactItems": [
                {"table": t, "key": {"id": {"S": "a"}}}, {"table": t, "key": {"id": {"S": "c"}}}]}),
        ));
        assert_eq!(
            read["items"],
            json!([{"id": "a", "n": 2}, null]),
            "nothing of the cancelled one"
        );
        let unknown = dynamodb(
            &mut db,
            t,
            &json!({"operation": "BatchGetItem", "tables": {"Nope-x-dev": {"keys": [{"id": {"S": "a"}}]}}}),
        );
        assert!(
            matches!(unknown, Answer::Error { ref message, .. } if message.contains("no table `Nope-x-dev`")),
            "{unknown:?}"
        );
    }
}
