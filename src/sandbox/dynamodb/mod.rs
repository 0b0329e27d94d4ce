//! DynamoDB, locally: tables with their key schema and secondary indexes, and
//! the operations the generated resolvers send (`GetItem`, `PutItem`,
//! `UpdateItem`, `DeleteItem`, `Query`, `Scan`), taking and answering the
//! service's own JSON (the `DynamoDB_20120810` protocol), errors included, so
//! that the same requests can be sent to moto's DynamoDB and compared.
//!
//! Semantics from the DynamoDB API reference and developer guide: `Limit` is
//! the number of items evaluated before the filter, and reaching it returns
//! `LastEvaluatedKey`; items without an index's key attributes are not in the
//! index; a condition that fails is `ConditionalCheckFailedException`; items
//! are at most 400 KB. What is not done: `Scan` returns items in key order
//! (the service's order is its hashing's), reserved words are not refused,
//! capacity and `ReturnConsumedCapacity` are not reported.

mod batch;
pub mod eval;
pub mod expr;
pub mod store;
pub mod value;

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use expr::{Comparator, Condition, Operand, Placeholders};
use value::{AttributeValue, Item, MAX_ITEM_BYTES, item_from_wire, item_size, item_to_wire};

/// An error as DynamoDB answers it: its exception name and message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct DynamoError {
    /// `ValidationException`, `ConditionalCheckFailedException`,
    /// `ResourceNotFoundException`, `ResourceInUseException`.
    pub kind: &'static str,
    pub message: String,
    /// The item as it was, when a failed condition asks for it
    /// (`ReturnValuesOnConditionCheckFailure: ALL_OLD`).
    pub item: Option<Item>,
    /// A cancelled transaction's `CancellationReasons`.
    pub reasons: Option<Value>,
}

impl DynamoError {
    pub fn validation(message: impl Into<String>) -> DynamoError {
        DynamoError {
            kind: "ValidationException",
            message: message.into(),
            item: None,
            reasons: None,
        }
    }

    fn conditional(item: Option<Item>) -> DynamoError {
        DynamoError {
            kind: "ConditionalCheckFailedException",
            message: "The conditional request failed".into(),
            item,
            reasons: None,
        }
    }

    fn not_found() -> DynamoError {
        DynamoError {
            kind: "ResourceNotFoundException",
            message: "Requested resource not found".into(),
            item: None,
            reasons: None,
        }
    }

    /// The error's JSON body, as the service sends it with status 400.
    pub fn to_wire(&self) -> Value {
        let mut body = json!({
            "__type": format!("com.amazonaws.dynamodb.v20120810#{}", self.kind),
            "message": self.message,
        });
        if let Some(item) = &self.item {
            body["Item"] = item_to_wire(item);
        }
        if let Some(reasons) = &self.reasons {
            body["CancellationReasons"] = reasons.clone();
        }
        body
    }
}

/// A table's or index's key: the partition (hash) attribute and the sort (range) one.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KeySchema {
    pub hash: String,
    pub range: Option<String>,
}

impl KeySchema {
    fn attributes(&self) -> Vec<&str> {
        let mut out = vec![self.hash.as_str()];
        out.extend(self.range.as_deref());
        out
    }
}

/// A secondary index: its key and which attributes it projects.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Index {
    pub name: String,
    pub key: KeySchema,
    /// `ALL`, `KEYS_ONLY`, or `INCLUDE` these attributes.
    pub projection: Option<Vec<String>>,
    pub keys_only: bool,
}

/// A table's definition.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TableSchema {
    pub name: String,
    pub key: KeySchema,
    /// Attribute name to its type (`S`, `N`, `B`), for the key attributes.
    pub attributes: BTreeMap<String, String>,
    pub indexes: Vec<Index>,
}

/// A key attribute's value, ordered as DynamoDB orders sort keys.
#[derive(Debug, Clone, PartialEq)]
struct KeyValue(AttributeValue);

impl Eq for KeyValue {}

impl PartialOrd for KeyValue {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for KeyValue {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .order(&other.0)
            .unwrap_or_else(|| self.0.type_name().cmp(other.0.type_name()))
    }
}

type Key = (KeyValue, Option<KeyValue>);

struct Table {
    schema: TableSchema,
    items: BTreeMap<Key, Item>,
}

impl Table {
    fn key_of(&self, item: &Item) -> Option<Key> {
        let hash = KeyValue(item.get(&self.schema.key.hash)?.clone());
        let range = match &self.schema.key.range {
            Some(r) => Some(KeyValue(item.get(r)?.clone())),
            None => None,
        };
        Some((hash, range))
    }

    /// Check a `Key` parameter: exactly the key attributes, of their types.
    fn key_param(&self, key: &Item) -> Result<Key, DynamoError> {
        let names = self.schema.key.attributes();
        if key.len() != names.len() || names.iter().any(|n| !key.contains_key(*n)) {
            return Err(DynamoError::validation(
                "The provided key element does not match the schema",
            ));
        }
        for n in &names {
            let expected = self.schema.attributes.get(*n).map(String::as_str);
            if Some(key[*n].type_name()) != expected {
                return Err(DynamoError::validation(
                    "The provided key element does not match the schema",
                ));
            }
        }
        self.key_of(key).ok_or_else(|| {
            DynamoError::validation("The provided key element does not match the schema")
        })
    }

    /// Check an item to be written: its key and index key attributes, its size.
    fn check_item(&self, item: &Item) -> Result<Key, DynamoError> {
        for name in self.schema.key.attributes() {
            let Some(v) = item.get(name) else {
                return Err(DynamoError::validation(format!(
                    "One or more parameter values were invalid: Missing the key {name} in the item"
                )));
            };
            let expected = self
                .schema
                .attributes
                .get(name)
                .cloned()
                .unwrap_or_default();
            if v.type_name() != expected {
                return Err(DynamoError::validation(format!(
                    "One or more parameter values were invalid: Type mismatch for key {name} expected: {expected} actual: {}",
                    v.type_name()
                )));
            }
            if matches!(v, AttributeValue::S(s) if s.is_empty())
                || matches!(v, AttributeValue::B(b) if b.is_empty())
            {
                return Err(DynamoError::validation(format!(
                    "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: {name}"
                )));
            }
        }
        for index in &self.schema.indexes {
            for name in index.key.attributes() {
                let (Some(v), Some(expected)) = (item.get(name), self.schema.attributes.get(name))
                else {
                    continue;
                };
                if v.type_name() != expected {
                    return Err(DynamoError::validation(format!(
                        "One or more parameter values were invalid: Type mismatch for Index Key {name} Expected: {expected} Actual: {} IndexName: {}",
                        v.type_name(),
                        index.name
                    )));
                }
            }
        }
        if item.values().map(value::depth).max().unwrap_or(0) > value::MAX_DEPTH {
            return Err(DynamoError::validation(format!(
                "Nesting Levels have exceeded supported limits: Maximum nesting level is {}",
                value::MAX_DEPTH
            )));
        }
        if item_size(item) > MAX_ITEM_BYTES {
            return Err(DynamoError::validation(
                "Item size has exceeded the maximum allowed size",
            ));
        }
        self.key_of(item).ok_or_else(|| {
            DynamoError::validation("The provided key element does not match the schema")
        })
    }

    /// The key attributes of an item, for `LastEvaluatedKey` (with the index's).
    fn key_item(&self, item: &Item, index: Option<&Index>) -> Item {
        let mut names = self.schema.key.attributes();
        if let Some(index) = index {
            names.extend(index.key.attributes());
        }
        names
            .into_iter()
            .filter_map(|n| item.get(n).map(|v| (n.to_string(), v.clone())))
            .collect()
    }
}

/// The tables of one sandbox, kept in memory and written through to a store.
pub struct Database {
    tables: BTreeMap<String, Table>,
    store: Option<store::Store>,
    /// Where each change goes, as a table's stream would carry it.
    stream: Option<std::sync::mpsc::Sender<Change>>,
}

/// One change of an item, as a DynamoDB stream record carries it
/// (`NEW_AND_OLD_IMAGES`): the table, the item's key, its images before and
/// after, in DynamoDB's JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub table: String,
    pub keys: Value,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

fn string(request: &Value, field: &str) -> Result<Option<String>, DynamoError> {
    match request.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(DynamoError::validation(format!("{field} must be a string"))),
    }
}

fn required(request: &Value, field: &str) -> Result<String, DynamoError> {
    string(request, field)?.ok_or_else(|| {
        DynamoError::validation(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            field[..1].to_lowercase() + &field[1..]
        ))
    })
}

/// `ExpressionAttributeNames` (`#name` to attribute name) and
/// `ExpressionAttributeValues` (`:value` to value).
type Names = BTreeMap<String, String>;
type Values = BTreeMap<String, AttributeValue>;

/// `ExpressionAttributeNames` and `ExpressionAttributeValues` of a request.
fn placeholders(request: &Value) -> Result<(Names, Values), DynamoError> {
    let names = match request.get("ExpressionAttributeNames") {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| {
                v.as_str()
                    .map(|s| (k.clone(), s.to_string()))
                    .ok_or_else(|| {
                        DynamoError::validation("ExpressionAttributeNames must map to strings")
                    })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(DynamoError::validation(
                "ExpressionAttributeNames must be a map",
            ));
        }
    };
    let values = match request.get("ExpressionAttributeValues") {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(v) => item_from_wire(v)?,
    };
    Ok((names, values))
}

/// The parsed expressions of a request, with its placeholders checked.
struct Expressions {
    condition: Option<Condition>,
    filter: Option<Condition>,
    key_condition: Option<Condition>,
    update: Option<expr::Update>,
    projection: Option<Vec<expr::Path>>,
}

fn expressions(request: &Value) -> Result<Expressions, DynamoError> {
    let (names, values) = placeholders(request)?;
    let mut p = Placeholders::new(&names, &values);
    let condition =
        |field: &'static str, p: &mut Placeholders| -> Result<Option<Condition>, DynamoError> {
            string(request, field)?
                .map(|text| expr::condition(&text, field, p))
                .transpose()
        };
    let out = Expressions {
        condition: condition("ConditionExpression", &mut p)?,
        filter: condition("FilterExpression", &mut p)?,
        key_condition: condition("KeyConditionExpression", &mut p)?,
        update: string(request, "UpdateExpression")?
            .map(|text| expr::update(&text, &mut p))
            .transpose()?,
        projection: string(request, "ProjectionExpression")?
            .map(|text| expr::projection(&text, &mut p))
            .transpose()?,
    };
    if !names.is_empty() || !values.is_empty() {
        let any = out.condition.is_some()
            || out.filter.is_some()
            || out.key_condition.is_some()
            || out.update.is_some()
            || out.projection.is_some();
        if !any && !values.is_empty() {
            return Err(DynamoError::validation(
                "ExpressionAttributeValues can only be specified when using expressions",
            ));
        }
        if !any {
            return Err(DynamoError::validation(
                "ExpressionAttributeNames can only be specified when using expressions",
            ));
        }
    }
    p.check_unused()?;
    Ok(out)
}

/// What `ReturnValues` asks for.
fn return_values(request: &Value, allowed: &[&str]) -> Result<String, DynamoError> {
    let r = string(request, "ReturnValues")?.unwrap_or_else(|| "NONE".into());
    if !allowed.contains(&r.as_str()) {
        return Err(DynamoError::validation(format!(
            "Return values set to invalid value: {r}"
        )));
    }
    Ok(r)
}

fn limit(request: &Value) -> Result<Option<usize>, DynamoError> {
    match request.get("Limit") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 => Ok(Some(n as usize)),
            _ => Err(DynamoError::validation(format!(
                "1 validation error detected: Value '{v}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
            ))),
        },
    }
}

impl Database {
    /// An empty database that keeps nothing on disk.
    pub fn in_memory() -> Database {
        Database {
            tables: BTreeMap::new(),
            store: None,
            stream: None,
        }
    }

    /// The database persisted in `dir` (created if missing): its tables and
    /// items are read back. Errors: another process holds it, or it cannot be read.
    pub fn open(dir: &std::path::Path) -> Result<Database, store::StoreError> {
        Self::loaded(store::Store::open(dir)?)
    }

    /// [`Database::open`], with the store emptied first (see [`store::Store::open_cleared`]).
    pub fn open_cleared(dir: &std::path::Path) -> Result<Database, store::StoreError> {
        Self::loaded(store::Store::open_cleared(dir)?)
    }

    fn loaded(
        (store, schemas, items): (store::Store, Vec<TableSchema>, Vec<(String, Item)>),
    ) -> Result<Database, store::StoreError> {
        let mut db = Database {
            tables: BTreeMap::new(),
            store: Some(store),
            stream: None,
        };
        for schema in schemas {
            db.tables.insert(
                schema.name.clone(),
                Table {
                    schema,
                    items: BTreeMap::new(),
                },
            );
        }
        for (table, item) in items {
            if let Some(t) = db.tables.get_mut(&table)
                && let Some(key) = t.key_of(&item)
            {
                t.items.insert(key, item);
            }
        }
        Ok(db)
    }

    /// Send every change of an item from now on to `stream` (the sandbox's
    /// table stream triggers).
    pub fn set_stream(&mut self, stream: std::sync::mpsc::Sender<Change>) {
        self.stream = Some(stream);
    }

    /// Make the writes so far durable (see [`store::Store::flush`]); a no-op in memory.
    pub fn flush(&self) -> Result<(), store::StoreError> {
        match &self.store {
            Some(store) => store.flush(),
            None => Ok(()),
        }
    }

    /// The key schema and items of table `name`, in key order; `None` when
    /// there is no such table. (The sandbox's search reads tables this way, as
    /// the streaming function copies them into OpenSearch.)
    pub fn items(&self, name: &str) -> Option<(&KeySchema, impl Iterator<Item = &Item>)> {
        self.tables
            .get(name)
            .map(|t| (&t.schema.key, t.items.values()))
    }

    /// The names of the tables.
    pub fn table_names(&self) -> Vec<String> {
        self.tables.keys().cloned().collect()
    }

    /// Create a table, or keep it if one with this schema exists. Errors: a
    /// table of that name with another schema.
    pub fn ensure_table(&mut self, schema: TableSchema) -> Result<(), DynamoError> {
        if let Some(t) = self.tables.get(&schema.name) {
            if t.schema == schema {
                return Ok(());
            }
            return Err(DynamoError {
                kind: "ResourceInUseException",
                message: format!("Table already exists: {}", schema.name),
                item: None,
                reasons: None,
            });
        }
        if let Some(store) = &self.store {
            store
                .put_table(&schema)
                .map_err(|e| DynamoError::validation(e.to_string()))?;
        }
        self.tables.insert(
            schema.name.clone(),
            Table {
                schema,
                items: BTreeMap::new(),
            },
        );
        Ok(())
    }

    /// Run one operation, given and answering DynamoDB's JSON
    /// (`operation` as in `X-Amz-Target: DynamoDB_20120810.<operation>`).
    pub fn call(&mut self, operation: &str, request: &Value) -> Result<Value, DynamoError> {
        match operation {
            "CreateTable" => self.create_table(request),
            "GetItem" => self.get_item(request),
            "PutItem" => self.put_item(request),
            "UpdateItem" => self.update_item(request),
            "DeleteItem" => self.delete_item(request),
            "Query" => self.query(request, true),
            "Scan" => self.query(request, false),
            "BatchGetItem" => self.batch_get_item(request),
            "BatchWriteItem" => self.batch_write_item(request),
            "TransactGetItems" => self.transact_get_items(request),
            "TransactWriteItems" => self.transact_write_items(request),
            other => Err(DynamoError {
                kind: "UnknownOperationException",
                message: format!("The sandbox's DynamoDB does not do {other}"),
                item: None,
                reasons: None,
            }),
        }
    }

    fn table(&self, request: &Value) -> Result<&Table, DynamoError> {
        let name = required(request, "TableName")?;
        self.tables.get(&name).ok_or_else(DynamoError::not_found)
    }

    fn create_table(&mut self, request: &Value) -> Result<Value, DynamoError> {
        let name = required(request, "TableName")?;
        let key_schema = |v: Option<&Value>| -> Result<KeySchema, DynamoError> {
            let list = v
                .and_then(Value::as_array)
                .ok_or_else(|| DynamoError::validation("KeySchema must be a list"))?;
            let find = |kind: &str| {
                list.iter()
                    .find(|k| k["KeyType"] == kind)
                    .and_then(|k| k["AttributeName"].as_str())
                    .map(str::to_string)
            };
            Ok(KeySchema {
                hash: find("HASH")
                    .ok_or_else(|| DynamoError::validation("KeySchema needs a HASH key"))?,
                range: find("RANGE"),
            })
        };
        let attributes = request["AttributeDefinitions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| {
                Some((
                    a["AttributeName"].as_str()?.to_string(),
                    a["AttributeType"].as_str()?.to_string(),
                ))
            })
            .collect();
        let mut indexes = Vec::new();
        for field in ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"] {
            for i in request[field].as_array().into_iter().flatten() {
                let projection = &i["Projection"];
                indexes.push(Index {
                    name: i["IndexName"].as_str().unwrap_or_default().to_string(),
                    key: key_schema(i.get("KeySchema"))?,
                    projection: match projection["ProjectionType"].as_str() {
                        Some("INCLUDE") => Some(
                            projection["NonKeyAttributes"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .filter_map(|a| a.as_str().map(str::to_string))
                                .collect(),
                        ),
                        _ => None,
                    },
                    keys_only: projection["ProjectionType"] == "KEYS_ONLY",
                });
            }
        }
        let schema = TableSchema {
            name: name.clone(),
            key: key_schema(request.get("KeySchema"))?,
            attributes,
            indexes,
        };
        if self.tables.contains_key(&name) {
            return Err(DynamoError {
                kind: "ResourceInUseException",
                message: format!("Table already exists: {name}"),
                item: None,
                reasons: None,
            });
        }
        self.ensure_table(schema)?;
        Ok(json!({ "TableDescription": { "TableName": name, "TableStatus": "ACTIVE" } }))
    }

    fn get_item(&self, request: &Value) -> Result<Value, DynamoError> {
        let table = self.table(request)?;
        let e = expressions(request)?;
        let key = table.key_param(&item_from_wire(&request["Key"])?)?;
        Ok(match table.items.get(&key) {
            Some(item) => {
                let item = match &e.projection {
                    Some(paths) => eval::project(item, paths),
                    None => item.clone(),
                };
                json!({ "Item": item_to_wire(&item) })
            }
            None => json!({}),
        })
    }

    /// Check `ConditionExpression` against the item as it is.
    fn check_condition(
        request: &Value,
        condition: Option<&Condition>,
        old: Option<&Item>,
    ) -> Result<(), DynamoError> {
        let Some(condition) = condition else {
            return Ok(());
        };
        let empty = Item::new();
        if eval::holds(condition, old.unwrap_or(&empty))? {
            return Ok(());
        }
        let wants_item = request["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD";
        Err(DynamoError::conditional(
            old.filter(|_| wants_item).cloned(),
        ))
    }

    fn write(&mut self, table: &str, key: Key, item: Option<Item>) -> Result<(), DynamoError> {
        let t = self
            .tables
            .get_mut(table)
            .ok_or_else(DynamoError::not_found)?;
        if let Some(store) = &self.store {
            let key_item = match &item {
                Some(i) => t.key_item(i, None),
                None => t
                    .items
                    .get(&key)
                    .map(|i| t.key_item(i, None))
                    .unwrap_or_default(),
            };
            store
                .write(table, &key_item, item.as_ref())
                .map_err(|e| DynamoError::validation(e.to_string()))?;
        }
        let old = match item {
            Some(i) => {
                let new = self.stream.as_ref().map(|_| i.clone());
                let old = t.items.insert(key, i);
                (old, new)
            }
            None => (t.items.remove(&key), None),
        };
        if let Some(stream) = &self.stream
            // an unchanged item leaves no record
            && old.0 != old.1
        {
            let (old, new) = old;
            if let Some(keys) = new.as_ref().or(old.as_ref()).map(|i| t.key_item(i, None)) {
                let _ = stream.send(Change {
                    table: table.to_string(),
                    keys: value::item_to_wire(&keys),
                    old: old.as_ref().map(value::item_to_wire),
                    new: new.as_ref().map(value::item_to_wire),
                });
            }
        }
        Ok(())
    }

    fn put_item(&mut self, request: &Value) -> Result<Value, DynamoError> {
        let returns = return_values(request, &["NONE", "ALL_OLD"])?;
        let table = self.table(request)?;
        let name = table.schema.name.clone();
        let e = expressions(request)?;
        let item = item_from_wire(&request["Item"])?;
        let key = table.check_item(&item)?;
        let old = table.items.get(&key).cloned();
        Self::check_condition(request, e.condition.as_ref(), old.as_ref())?;
        self.write(&name, key, Some(item))?;
        Ok(match (returns.as_str(), old) {
            ("ALL_OLD", Some(old)) => json!({ "Attributes": item_to_wire(&old) }),
            _ => json!({}),
        })
    }

    fn delete_item(&mut self, request: &Value) -> Result<Value, DynamoError> {
        let returns = return_values(request, &["NONE", "ALL_OLD"])?;
        let table = self.table(request)?;
        let name = table.schema.name.clone();
        let e = expressions(request)?;
        let key = table.key_param(&item_from_wire(&request["Key"])?)?;
        let old = table.items.get(&key).cloned();
        Self::check_condition(request, e.condition.as_ref(), old.as_ref())?;
        if old.is_some() {
            self.write(&name, key, None)?;
        }
        Ok(match (returns.as_str(), old) {
            ("ALL_OLD", Some(old)) => json!({ "Attributes": item_to_wire(&old) }),
            _ => json!({}),
        })
    }

    fn update_item(&mut self, request: &Value) -> Result<Value, DynamoError> {
        let returns = return_values(
            request,
            &["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"],
        )?;
        let table = self.table(request)?;
        let name = table.schema.name.clone();
        let e = expressions(request)?;
        let key_item = item_from_wire(&request["Key"])?;
        let key = table.key_param(&key_item)?;
        let old = table.items.get(&key).cloned();
        Self::check_condition(request, e.condition.as_ref(), old.as_ref())?;
        let base = old.clone().unwrap_or_else(|| key_item.clone());
        let new = match &e.update {
            Some(u) => eval::apply(&base, u, &table.schema.key.attributes())?,
            None => base,
        };
        table.check_item(&new)?;
        // the attributes an update touched: those whose value changed, appeared or went
        let changed = |from: &Item, to: &Item| -> Item {
            to.iter()
                .filter(|(k, v)| from.get(*k).is_none_or(|w| !w.same(v)))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        let empty = Item::new();
        let attributes = match returns.as_str() {
            "ALL_OLD" => old.clone(),
            "ALL_NEW" => Some(new.clone()),
            "UPDATED_NEW" => Some(changed(old.as_ref().unwrap_or(&empty), &new)),
            "UPDATED_OLD" => old.as_ref().map(|o| {
                o.iter()
                    .filter(|(k, v)| new.get(*k).is_none_or(|w| !w.same(v)))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            }),
            _ => None,
        };
        self.write(&name, key, Some(new))?;
        Ok(match attributes.filter(|a| !a.is_empty()) {
            Some(a) => json!({ "Attributes": item_to_wire(&a) }),
            None => json!({}),
        })
    }

    /// `Query` (with a key condition) and `Scan` (without): pages of items in
    /// key order, `Limit` items evaluated before the filter.
    fn query(&self, request: &Value, query: bool) -> Result<Value, DynamoError> {
        let table = self.table(request)?;
        let e = expressions(request)?;
        let index = match string(request, "IndexName")? {
            Some(name) => Some(
                table
                    .schema
                    .indexes
                    .iter()
                    .find(|i| i.name == name)
                    .ok_or_else(|| {
                        DynamoError::validation(format!(
                            "The table does not have the specified index: {name}"
                        ))
                    })?,
            ),
            None => None,
        };
        let key = index.map_or(&table.schema.key, |i| &i.key);
        // the items the table or index holds, in its key order
        let mut items: Vec<&Item> = table
            .items
            .values()
            .filter(|item| key.attributes().iter().all(|a| item.contains_key(*a)))
            .collect();
        if index.is_some() {
            let order = |item: &Item| -> (Key, Key) {
                let k = (
                    KeyValue(item[&key.hash].clone()),
                    key.range.as_ref().map(|r| KeyValue(item[r].clone())),
                );
                (k, table.key_of(item).expect("stored items have their key"))
            };
            items.sort_by_key(|a| order(a));
        }
        if query {
            let Some(condition) = &e.key_condition else {
                return Err(DynamoError::validation(
                    "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
                ));
            };
            let (hash, range) = key_condition(condition, key)?;
            items.retain(|item| {
                item[&key.hash].same(&hash)
                    && range
                        .as_ref()
                        .is_none_or(|r| eval::holds(r, item).unwrap_or(false))
            });
            if request["ScanIndexForward"] == false {
                items.reverse();
            }
        } else if e.key_condition.is_some() {
            return Err(DynamoError::validation(
                "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {KeyConditions} Expression parameters: {KeyConditionExpression}",
            ));
        }
        if let Some(start) = request.get("ExclusiveStartKey").filter(|v| !v.is_null()) {
            let start = item_from_wire(start)?;
            let start_key = table
                .key_of(&start)
                .ok_or_else(|| DynamoError::validation("The provided starting key is invalid"))?;
            if let Some(i) = items
                .iter()
                .position(|item| table.key_of(item).as_ref() == Some(&start_key))
            {
                items.drain(..=i);
            } else {
                // past where the start key would be
                let reversed = request["ScanIndexForward"] == false && query;
                items.retain(|item| {
                    let k = table.key_of(item).expect("stored items have their key");
                    if reversed {
                        k < start_key
                    } else {
                        k > start_key
                    }
                });
            }
        }
        let limit = limit(request)?;
        let evaluated: Vec<&Item> = match limit {
            Some(n) => items.iter().take(n).copied().collect(),
            None => items.clone(),
        };
        let last = match limit {
            Some(n) if evaluated.len() == n => evaluated.last().map(|i| table.key_item(i, index)),
            _ => None,
        };
        let scanned = evaluated.len();
        let mut out = Vec::new();
        for item in evaluated {
            if let Some(f) = &e.filter
                && !eval::holds(f, item)?
            {
                continue;
            }
            let mut item = match index {
                Some(ix) if ix.keys_only || ix.projection.is_some() => {
                    let mut keep = table.key_item(item, Some(ix));
                    for a in ix.projection.iter().flatten() {
                        if let Some(v) = item.get(a) {
                            keep.insert(a.clone(), v.clone());
                        }
                    }
                    keep
                }
                _ => item.clone(),
            };
            if let Some(paths) = &e.projection {
                item = eval::project(&item, paths);
            }
            out.push(item);
        }
        let mut response = Map::new();
        if request["Select"] != "COUNT" {
            response.insert(
                "Items".into(),
                Value::Array(out.iter().map(item_to_wire).collect()),
            );
        }
        response.insert("Count".into(), json!(out.len()));
        response.insert("ScannedCount".into(), json!(scanned));
        if let Some(last) = last {
            response.insert("LastEvaluatedKey".into(), item_to_wire(&last));
        }
        Ok(Value::Object(response))
    }
}

/// A key condition: the partition key's value, and the sort key's condition.
fn key_condition(
    condition: &Condition,
    key: &KeySchema,
) -> Result<(AttributeValue, Option<Condition>), DynamoError> {
    let parts: Vec<&Condition> = match condition {
        Condition::And(a, b) => vec![a, b],
        other => vec![other],
    };
    let mut hash = None;
    let mut range = None;
    let bad = |m: &str| DynamoError::validation(format!("Query key condition not supported{m}"));
    for part in parts {
        let path = match part {
            Condition::Compare(Operand::Path(p), c, Operand::Value(_)) if *c != Comparator::Ne => p,
            Condition::Between(Operand::Path(p), Operand::Value(_), Operand::Value(_)) => p,
            Condition::BeginsWith(Operand::Path(p), Operand::Value(_)) => p,
            _ => return Err(bad("")),
        };
        if path.0.len() != 1 {
            return Err(bad(""));
        }
        let name = path.root();
        if name == key.hash {
            match part {
                Condition::Compare(_, Comparator::Eq, Operand::Value(v)) if hash.is_none() => {
                    hash = Some(v.clone())
                }
                _ => return Err(bad("")),
            }
        } else if key.range.as_deref() == Some(name) && range.is_none() {
            range = Some(part.clone());
        } else {
            return Err(DynamoError::validation(format!(
                "Query condition missed key schema element: {}",
                key.hash
            )));
        }
    }
    let hash = hash.ok_or_else(|| {
        DynamoError::validation(format!(
            "Query condition missed key schema element: {}",
            key.hash
        ))
    })?;
    Ok((hash, range))
}
