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
    Error { message: String, error_type: String },
}

fn error(e: DynamoError) -> Answer {
    Answer::Error {
        message: e.message,
        error_type: format!("DynamoDB:{}", e.kind),
    }
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

fn plain_item(wire: &Value) -> Value {
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
        other => Err(DynamoError::validation(format!(
            "the sandbox's DynamoDB data source does not do `{other}` yet"
        ))),
    }
}
