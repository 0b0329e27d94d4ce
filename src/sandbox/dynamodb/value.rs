//! DynamoDB's attribute values (`{"S": "x"}`, `{"N": "1.5"}`, ...): read from
//! and written to the wire JSON, with the service's number semantics (decimal,
//! up to 38 significant digits, normalized: `"1.50"` is `1.5`), set semantics
//! (no duplicates, no empty sets), key ordering and item size.
//!
//! Facts from the DynamoDB developer guide: "Supported data types", "Naming
//! rules", "Item sizes and formats" and the `AttributeValue` API reference.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::str::FromStr;

use base64::Engine;
use bigdecimal::BigDecimal;
use serde_json::{Map, Value, json};

use super::DynamoError;

/// An item: attribute names to values.
pub type Item = BTreeMap<String, AttributeValue>;

/// One attribute value. Sets keep the order they were given in.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    S(String),
    N(BigDecimal),
    B(Vec<u8>),
    Bool(bool),
    Null,
    M(Item),
    L(Vec<AttributeValue>),
    Ss(Vec<String>),
    Ns(Vec<BigDecimal>),
    Bs(Vec<Vec<u8>>),
}

fn invalid(message: impl Into<String>) -> DynamoError {
    DynamoError::validation(message)
}

/// A number as DynamoDB takes it: a decimal of at most 38 significant digits,
/// its magnitude between 1E-130 and 9.99E+125 (or zero).
pub fn number(text: &str) -> Result<BigDecimal, DynamoError> {
    // longer than any number DynamoDB takes: refused before the arithmetic
    if text.len() > 400 {
        return Err(invalid(format!(
            "Attempting to store more than 38 significant digits in a Number: {}...",
            &text[..text.char_indices().nth(40).map_or(text.len(), |(i, _)| i)]
        )));
    }
    let n = BigDecimal::from_str(text.trim()).map_err(|_| {
        invalid(format!(
            "The parameter cannot be converted to a numeric value: {text}"
        ))
    })?;
    in_range(n, text)
}

/// The result of arithmetic (`+`, `-`, `ADD`), held to the same limits.
pub fn checked(n: BigDecimal) -> Result<BigDecimal, DynamoError> {
    let shown = n.to_string();
    in_range(n, &shown)
}

fn in_range(n: BigDecimal, text: &str) -> Result<BigDecimal, DynamoError> {
    let n = n.normalized();
    if bigdecimal::Zero::is_zero(&n) {
        return Ok(BigDecimal::from(0));
    }
    let (digits, scale) = n.as_bigint_and_exponent();
    let precision = digits.magnitude().to_string().len() as i128;
    let scale = scale as i128;
    if precision > 38 {
        return Err(invalid(format!(
            "Attempting to store more than 38 significant digits in a Number: {text}"
        )));
    }
    // the decimal exponent of the leading digit
    let exponent = precision - 1 - scale;
    if exponent > 125 {
        return Err(invalid(format!(
            "Number overflow. Attempting to store a number with magnitude larger than supported range: {text}"
        )));
    }
    if exponent < -130 {
        return Err(invalid(format!(
            "Number underflow. Attempting to store a number with magnitude smaller than supported range: {text}"
        )));
    }
    Ok(n)
}

/// A number as DynamoDB writes it: plain decimal notation, no trailing zeros.
pub fn number_text(n: &BigDecimal) -> String {
    n.normalized().to_plain_string()
}

fn binary(v: &Value) -> Result<Vec<u8>, DynamoError> {
    let text = v
        .as_str()
        .ok_or_else(|| invalid("A binary value must be a base64 string"))?;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| invalid(format!("Invalid base64 binary value: {text}")))
}

fn strings(v: &Value) -> Result<Vec<&str>, DynamoError> {
    v.as_array()
        .ok_or_else(|| invalid("A set must be a list"))?
        .iter()
        .map(|s| {
            s.as_str()
                .ok_or_else(|| invalid("A set's members must be strings"))
        })
        .collect()
}

/// Refuse an empty set and a set with duplicates, as DynamoDB does.
fn check_set<T: PartialEq>(items: &[T], kind: &str) -> Result<(), DynamoError> {
    if items.is_empty() {
        return Err(invalid(format!(
            "One or more parameter values were invalid: An {kind} set  may not be empty"
        )));
    }
    for (i, a) in items.iter().enumerate() {
        if items[..i].contains(a) {
            return Err(invalid("Input collection contains duplicates"));
        }
    }
    Ok(())
}

impl AttributeValue {
    /// Read a wire value (`{"S": "x"}`). Errors: not exactly one type, a value
    /// of the wrong JSON type, a bad number, an empty or duplicated set.
    pub fn from_wire(v: &Value) -> Result<AttributeValue, DynamoError> {
        let Some(object) = v.as_object().filter(|o| o.len() == 1) else {
            return Err(invalid(
                "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
            ));
        };
        let (kind, value) = object.iter().next().expect("one member");
        Ok(match kind.as_str() {
            "S" => AttributeValue::S(
                value
                    .as_str()
                    .ok_or_else(|| invalid("An S value must be a string"))?
                    .to_string(),
            ),
            "N" => AttributeValue::N(number(
                value
                    .as_str()
                    .ok_or_else(|| invalid("An N value must be a string"))?,
            )?),
            "B" => AttributeValue::B(binary(value)?),
            "BOOL" => AttributeValue::Bool(
                value
                    .as_bool()
                    .ok_or_else(|| invalid("A BOOL value must be true or false"))?,
            ),
            "NULL" => {
                if value != &Value::Bool(true) {
                    return Err(invalid(
                        "One or more parameter values were invalid: Null attribute value types must have the value of true",
                    ));
                }
                AttributeValue::Null
            }
            "M" => AttributeValue::M(item_from_wire(value)?),
            "L" => AttributeValue::L(
                value
                    .as_array()
                    .ok_or_else(|| invalid("An L value must be a list"))?
                    .iter()
                    .map(AttributeValue::from_wire)
                    .collect::<Result<_, _>>()?,
            ),
            "SS" => {
                let set: Vec<String> = strings(value)?.into_iter().map(str::to_string).collect();
                check_set(&set, "string")?;
                AttributeValue::Ss(set)
            }
            "NS" => {
                let set = strings(value)?
                    .into_iter()
                    .map(number)
                    .collect::<Result<Vec<_>, _>>()?;
                check_set(&set, "number")?;
                AttributeValue::Ns(set)
            }
            "BS" => {
                let set = value
                    .as_array()
                    .ok_or_else(|| invalid("A set must be a list"))?
                    .iter()
                    .map(binary)
                    .collect::<Result<Vec<_>, _>>()?;
                check_set(&set, "binary")?;
                AttributeValue::Bs(set)
            }
            other => {
                return Err(invalid(format!(
                    "Supplied AttributeValue has an unknown data type: {other}"
                )));
            }
        })
    }

    /// The wire value.
    pub fn to_wire(&self) -> Value {
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        match self {
            AttributeValue::S(s) => json!({ "S": s }),
            AttributeValue::N(n) => json!({ "N": number_text(n) }),
            AttributeValue::B(b) => json!({ "B": b64(b) }),
            AttributeValue::Bool(b) => json!({ "BOOL": b }),
            AttributeValue::Null => json!({ "NULL": true }),
            AttributeValue::M(m) => json!({ "M": item_to_wire(m) }),
            AttributeValue::L(l) => {
                json!({ "L": l.iter().map(AttributeValue::to_wire).collect::<Vec<_>>() })
            }
            AttributeValue::Ss(s) => json!({ "SS": s }),
            AttributeValue::Ns(s) => {
                json!({ "NS": s.iter().map(number_text).collect::<Vec<_>>() })
            }
            AttributeValue::Bs(s) => {
                json!({ "BS": s.iter().map(|b| b64(b)).collect::<Vec<_>>() })
            }
        }
    }

    /// The type's name as `attribute_type` takes it (`S`, `N`, `BOOL`, ...).
    pub fn type_name(&self) -> &'static str {
        match self {
            AttributeValue::S(_) => "S",
            AttributeValue::N(_) => "N",
            AttributeValue::B(_) => "B",
            AttributeValue::Bool(_) => "BOOL",
            AttributeValue::Null => "NULL",
            AttributeValue::M(_) => "M",
            AttributeValue::L(_) => "L",
            AttributeValue::Ss(_) => "SS",
            AttributeValue::Ns(_) => "NS",
            AttributeValue::Bs(_) => "BS",
        }
    }

    /// Equality as conditions read it: sets compare as sets.
    pub fn same(&self, other: &AttributeValue) -> bool {
        fn same_set<T: PartialEq>(a: &[T], b: &[T]) -> bool {
            a.len() == b.len() && a.iter().all(|x| b.contains(x))
        }
        match (self, other) {
            (AttributeValue::Ss(a), AttributeValue::Ss(b)) => same_set(a, b),
            (AttributeValue::Ns(a), AttributeValue::Ns(b)) => same_set(a, b),
            (AttributeValue::Bs(a), AttributeValue::Bs(b)) => same_set(a, b),
            (AttributeValue::M(a), AttributeValue::M(b)) => {
                a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| v.same(w)))
            }
            (AttributeValue::L(a), AttributeValue::L(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y))
            }
            (a, b) => a == b,
        }
    }

    /// The order of two scalars of the same type (`<`, `BETWEEN`, sort keys):
    /// strings and binaries by their bytes, numbers by value; other pairs have none.
    pub fn order(&self, other: &AttributeValue) -> Option<Ordering> {
        match (self, other) {
            (AttributeValue::S(a), AttributeValue::S(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
            (AttributeValue::N(a), AttributeValue::N(b)) => Some(a.cmp(b)),
            (AttributeValue::B(a), AttributeValue::B(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }

    /// The bytes this value counts for in an item's size (the developer guide's
    /// "Item sizes and formats": strings and binaries their length, numbers
    /// about one byte per two digits plus one, 1 for booleans and null, 3 plus
    /// one per element for documents).
    pub fn size(&self) -> usize {
        match self {
            AttributeValue::S(s) => s.len(),
            AttributeValue::N(n) => number_text(n).trim_start_matches('-').len().div_ceil(2) + 1,
            AttributeValue::B(b) => b.len(),
            AttributeValue::Bool(_) | AttributeValue::Null => 1,
            AttributeValue::M(m) => {
                3 + m.iter().map(|(k, v)| k.len() + v.size() + 1).sum::<usize>()
            }
            AttributeValue::L(l) => 3 + l.iter().map(|v| v.size() + 1).sum::<usize>(),
            AttributeValue::Ss(s) => s.iter().map(String::len).sum(),
            AttributeValue::Ns(s) => s
                .iter()
                .map(|n| number_text(n).trim_start_matches('-').len().div_ceil(2) + 1)
                .sum(),
            AttributeValue::Bs(s) => s.iter().map(Vec::len).sum(),
        }
    }
}

/// An item from its wire form (`{"id": {"S": "1"}}`).
pub fn item_from_wire(v: &Value) -> Result<Item, DynamoError> {
    v.as_object()
        .ok_or_else(|| invalid("An item must be a map of attribute names to values"))?
        .iter()
        .map(|(k, v)| Ok((k.clone(), AttributeValue::from_wire(v)?)))
        .collect()
}

pub fn item_to_wire(item: &Item) -> Value {
    Value::Object(
        item.iter()
            .map(|(k, v)| (k.clone(), v.to_wire()))
            .collect::<Map<String, Value>>(),
    )
}

/// How deeply a value nests maps and lists (a scalar is 0).
pub fn depth(v: &AttributeValue) -> usize {
    match v {
        AttributeValue::M(m) => 1 + m.values().map(depth).max().unwrap_or(0),
        AttributeValue::L(l) => 1 + l.iter().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// The deepest nesting DynamoDB stores (developer guide, "Quotas": nested
/// attribute depth, 32 levels).
pub const MAX_DEPTH: usize = 32;

/// An item's size in bytes: its names and values.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + v.size()).sum()
}

/// The largest item DynamoDB stores: 400 KB.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_normalized_decimals_within_the_services_range() {
        assert_eq!(number_text(&number("1.50").unwrap()), "1.5");
        assert_eq!(number_text(&number("0100").unwrap()), "100");
        assert_eq!(number_text(&number("1e2").unwrap()), "100");
        assert_eq!(number_text(&number("-0.000").unwrap()), "0");
        assert!(number("1".repeat(39).as_str()).is_err());
        assert!(number("1e126").is_err());
        assert!(number("1e-131").is_err());
        assert!(number("abc").is_err());
        assert!(number("1e9223372036854775808").is_err());
        assert!(number(&"9".repeat(5000)).is_err());
        assert_eq!(
            number("10").unwrap().cmp(&number("9").unwrap()),
            Ordering::Greater
        );
    }

    #[test]
    fn wire_values_round_trip_and_bad_ones_are_refused() {
        let v = json!({"M": {"a": {"L": [{"N": "1"}, {"SS": ["x", "y"]}, {"NULL": true}, {"B": "AQI="}]}}});
        assert_eq!(AttributeValue::from_wire(&v).unwrap().to_wire(), v);
        for bad in [
            json!({}),
            json!({"S": "a", "N": "1"}),
            json!({"SS": []}),
            json!({"SS": ["a", "a"]}),
            json!({"NULL": false}),
            json!({"X": 1}),
        ] {
            assert!(AttributeValue::from_wire(&bad).is_err(), "{bad}");
        }
    }
}
