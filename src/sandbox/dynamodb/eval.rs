//! Expressions against items: a condition's truth, an update's new item, a
//! projection's attributes, with DynamoDB's rules (a comparison with a missing
//! attribute or of different types is false, not an error; `<` and friends
//! order only strings, numbers and binaries; an operand of the wrong type in
//! an update is a `ValidationException`).

use std::cmp::Ordering;

use super::DynamoError;
use super::expr::{Comparator, Condition, Operand, Path, Step, Update};
use super::value::{AttributeValue, Item, checked};

/// The value at a path of an item, if there is one.
pub fn resolve<'a>(item: &'a Item, path: &Path) -> Option<&'a AttributeValue> {
    let mut steps = path.0.iter();
    let Some(Step::Name(first)) = steps.next() else {
        return None;
    };
    let mut at = item.get(first)?;
    for step in steps {
        at = match (step, at) {
            (Step::Name(n), AttributeValue::M(m)) => m.get(n)?,
            (Step::Index(i), AttributeValue::L(l)) => l.get(*i)?,
            _ => return None,
        };
    }
    Some(at)
}

/// An operand's value for a condition (None: a missing attribute).
fn value(item: &Item, operand: &Operand) -> Option<AttributeValue> {
    match operand {
        Operand::Path(p) => resolve(item, p).cloned(),
        Operand::Value(v) => Some(v.clone()),
        Operand::Size(p) => {
            let n = match resolve(item, p)? {
                AttributeValue::S(s) => s.len(),
                AttributeValue::B(b) => b.len(),
                AttributeValue::M(m) => m.len(),
                AttributeValue::L(l) => l.len(),
                AttributeValue::Ss(s) => s.len(),
                AttributeValue::Ns(s) => s.len(),
                AttributeValue::Bs(s) => s.len(),
                _ => return None,
            };
            Some(AttributeValue::N((n as u64).into()))
        }
        // update-only operands never reach a condition (the parser refuses them)
        _ => None,
    }
}

fn compare(a: &AttributeValue, c: Comparator, b: &AttributeValue) -> bool {
    match c {
        Comparator::Eq => a.same(b),
        Comparator::Ne => !a.same(b),
        _ => match a.order(b) {
            Some(o) => match c {
                Comparator::Lt => o == Ordering::Less,
                Comparator::Le => o != Ordering::Greater,
                Comparator::Gt => o == Ordering::Greater,
                Comparator::Ge => o != Ordering::Less,
                Comparator::Eq | Comparator::Ne => false,
            },
            None => false,
        },
    }
}

/// Is the condition true of the item? (An absent item is an empty one.)
pub fn holds(condition: &Condition, item: &Item) -> Result<bool, DynamoError> {
    Ok(match condition {
        Condition::Compare(a, c, b) => match (value(item, a), value(item, b)) {
            (Some(a), Some(b)) => compare(&a, *c, &b),
            // a missing attribute is unequal to everything
            _ => *c == Comparator::Ne,
        },
        Condition::Between(v, low, high) => {
            match (value(item, v), value(item, low), value(item, high)) {
                (Some(v), Some(low), Some(high)) => {
                    if low.order(&high) == Some(Ordering::Greater) {
                        return Err(DynamoError::validation(
                            "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound",
                        ));
                    }
                    compare(&v, Comparator::Ge, &low) && compare(&v, Comparator::Le, &high)
                }
                _ => false,
            }
        }
        Condition::In(v, list) => match value(item, v) {
            Some(v) => list
                .iter()
                .any(|o| value(item, o).is_some_and(|o| v.same(&o))),
            None => false,
        },
        Condition::And(a, b) => holds(a, item)? && holds(b, item)?,
        Condition::Or(a, b) => holds(a, item)? || holds(b, item)?,
        Condition::Not(c) => !holds(c, item)?,
        Condition::AttributeExists(p) => resolve(item, p).is_some(),
        Condition::AttributeNotExists(p) => resolve(item, p).is_none(),
        Condition::AttributeType(p, t) => {
            let Some(AttributeValue::S(t)) = value(item, t) else {
                return Err(DynamoError::validation(
                    "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: not a string",
                ));
            };
            if !["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"].contains(&t.as_str()) {
                return Err(DynamoError::validation(format!(
                    "Invalid ConditionExpression: Invalid attribute type name found; type: {t}, valid types: {{ B,NULL,SS,BOOL,L,BS,N,NS,S,M }}"
                )));
            }
            resolve(item, p).is_some_and(|v| v.type_name() == t)
        }
        Condition::BeginsWith(a, b) => match (value(item, a), value(item, b)) {
            (Some(AttributeValue::S(a)), Some(AttributeValue::S(b))) => a.starts_with(&b),
            (Some(AttributeValue::B(a)), Some(AttributeValue::B(b))) => a.starts_with(&b),
            _ => false,
        },
        Condition::Contains(a, b) => match (value(item, a), value(item, b)) {
            (Some(AttributeValue::S(a)), Some(AttributeValue::S(b))) => a.contains(&b),
            (Some(AttributeValue::B(a)), Some(AttributeValue::B(b))) => {
                b.is_empty() || a.windows(b.len()).any(|w| w == b.as_slice())
            }
            (Some(AttributeValue::Ss(a)), Some(AttributeValue::S(b))) => a.contains(&b),
            (Some(AttributeValue::Ns(a)), Some(AttributeValue::N(b))) => a.contains(&b),
            (Some(AttributeValue::Bs(a)), Some(AttributeValue::B(b))) => a.contains(&b),
            (Some(AttributeValue::L(a)), Some(b)) => a.iter().any(|x| x.same(&b)),
            _ => false,
        },
    })
}

fn wrong_type(operator: &str) -> DynamoError {
    DynamoError::validation(format!(
        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: {operator}"
    ))
}

/// An operand of a SET action, read from the item as it was before the update.
fn set_value(item: &Item, operand: &Operand) -> Result<AttributeValue, DynamoError> {
    let missing = |p: &Path| {
        DynamoError::validation(format!(
            "The provided expression refers to an attribute that does not exist in the item: {}",
            p.root()
        ))
    };
    match operand {
        Operand::Path(p) => resolve(item, p).cloned().ok_or_else(|| missing(p)),
        Operand::Value(v) => Ok(v.clone()),
        Operand::IfNotExists(p, default) => match resolve(item, p) {
            Some(v) => Ok(v.clone()),
            None => set_value(item, default),
        },
        Operand::ListAppend(a, b) => match (set_value(item, a)?, set_value(item, b)?) {
            (AttributeValue::L(mut a), AttributeValue::L(b)) => {
                a.extend(b);
                Ok(AttributeValue::L(a))
            }
            _ => Err(wrong_type("list_append")),
        },
        Operand::Plus(a, b) | Operand::Minus(a, b) => {
            match (set_value(item, a)?, set_value(item, b)?) {
                (AttributeValue::N(a), AttributeValue::N(b)) => Ok(AttributeValue::N(checked(
                    if matches!(operand, Operand::Plus(..)) {
                        a + b
                    } else {
                        a - b
                    },
                )?)),
                _ => Err(wrong_type(if matches!(operand, Operand::Plus(..)) {
                    "+"
                } else {
                    "-"
                })),
            }
        }
        Operand::Size(_) => Err(wrong_type("size")),
    }
}

fn bad_path() -> DynamoError {
    DynamoError::validation(
        "The document path provided in the update expression is invalid for update",
    )
}

/// Put `value` at `path` (a list index past the end appends, as DynamoDB does).
fn put(item: &mut Item, path: &Path, value: AttributeValue) -> Result<(), DynamoError> {
    let (last, parents) = path.0.split_last().ok_or_else(bad_path)?;
    if parents.is_empty() {
        let Step::Name(name) = last else {
            return Err(bad_path());
        };
        item.insert(name.clone(), value);
        return Ok(());
    }
    let Some(Step::Name(first)) = parents.first() else {
        return Err(bad_path());
    };
    let mut at = item.get_mut(first).ok_or_else(bad_path)?;
    for step in &parents[1..] {
        at = match (step, at) {
            (Step::Name(n), AttributeValue::M(m)) => m.get_mut(n).ok_or_else(bad_path)?,
            (Step::Index(i), AttributeValue::L(l)) => l.get_mut(*i).ok_or_else(bad_path)?,
            _ => return Err(bad_path()),
        };
    }
    match (last, at) {
        (Step::Name(n), AttributeValue::M(m)) => {
            m.insert(n.clone(), value);
        }
        (Step::Index(i), AttributeValue::L(l)) => {
            if *i < l.len() {
                l[*i] = value;
            } else {
                l.push(value);
            }
        }
        _ => return Err(bad_path()),
    }
    Ok(())
}

/// Remove what is at `path`, if anything (a list element shifts the rest).
fn remove(item: &mut Item, path: &Path) -> Result<(), DynamoError> {
    let (last, parents) = path.0.split_last().ok_or_else(bad_path)?;
    if parents.is_empty() {
        if let Step::Name(name) = last {
            item.remove(name);
        }
        return Ok(());
    }
    let Some(Step::Name(first)) = parents.first() else {
        return Err(bad_path());
    };
    let Some(mut at) = item.get_mut(first) else {
        return Ok(());
    };
    for step in &parents[1..] {
        at = match (step, at) {
            (Step::Name(n), AttributeValue::M(m)) => match m.get_mut(n) {
                Some(v) => v,
                None => return Ok(()),
            },
            (Step::Index(i), AttributeValue::L(l)) => match l.get_mut(*i) {
                Some(v) => v,
                None => return Ok(()),
            },
            _ => return Err(bad_path()),
        };
    }
    match (last, at) {
        (Step::Name(n), AttributeValue::M(m)) => {
            m.remove(n);
        }
        (Step::Index(i), AttributeValue::L(l)) => {
            if *i < l.len() {
                l.remove(*i);
            }
        }
        _ => return Err(bad_path()),
    }
    Ok(())
}

/// The item after an update. `keys` are the table's key attributes, which an
/// update may not touch. Operands read the item as it was before.
pub fn apply(item: &Item, update: &Update, keys: &[&str]) -> Result<Item, DynamoError> {
    for path in update
        .set
        .iter()
        .map(|(p, _)| p)
        .chain(&update.remove)
        .chain(update.add.iter().map(|(p, _)| p))
        .chain(update.delete.iter().map(|(p, _)| p))
    {
        if keys.contains(&path.root()) {
            return Err(DynamoError::validation(format!(
                "One or more parameter values were invalid: Cannot update attribute {}. This attribute is part of the key",
                path.root()
            )));
        }
    }
    let before = item;
    let mut after = item.clone();
    let values = update
        .set
        .iter()
        .map(|(path, operand)| Ok((path, set_value(before, operand)?)))
        .collect::<Result<Vec<_>, DynamoError>>()?;
    for (path, v) in values {
        put(&mut after, path, v)?;
    }
    // list elements from the highest index down, so that removing one does
    // not shift the others (`REMOVE l[1], l[2]` removes both as written)
    let mut removes: Vec<&Path> = update.remove.iter().collect();
    removes.sort_by(|a, b| {
        let key = |p: &Path| -> Vec<(u8, usize, String)> {
            p.0.iter()
                .map(|s| match s {
                    Step::Name(n) => (0, 0, n.clone()),
                    Step::Index(i) => (1, *i, String::new()),
                })
                .collect()
        };
        key(b).cmp(&key(a))
    });
    for path in removes {
        remove(&mut after, path)?;
    }
    for (path, operand) in &update.add {
        let Operand::Value(add) = operand else {
            return Err(wrong_type("ADD"));
        };
        let new = match (resolve(&after, path), add) {
            (
                None,
                AttributeValue::N(_)
                | AttributeValue::Ss(_)
                | AttributeValue::Ns(_)
                | AttributeValue::Bs(_),
            ) => add.clone(),
            (Some(AttributeValue::N(a)), AttributeValue::N(b)) => {
                AttributeValue::N(checked(a + b)?)
            }
            (Some(AttributeValue::Ss(a)), AttributeValue::Ss(b)) => AttributeValue::Ss(union(a, b)),
            (Some(AttributeValue::Ns(a)), AttributeValue::Ns(b)) => AttributeValue::Ns(union(a, b)),
            (Some(AttributeValue::Bs(a)), AttributeValue::Bs(b)) => AttributeValue::Bs(union(a, b)),
            _ => return Err(wrong_type("ADD")),
        };
        put(&mut after, path, new)?;
    }
    for (path, operand) in &update.delete {
        let Operand::Value(del) = operand else {
            return Err(wrong_type("DELETE"));
        };
        let rest = match (resolve(&after, path), del) {
            (None, AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_)) => {
                continue;
            }
            (Some(AttributeValue::Ss(a)), AttributeValue::Ss(b)) => {
                let r = minus(a, b);
                (!r.is_empty()).then_some(AttributeValue::Ss(r))
            }
            (Some(AttributeValue::Ns(a)), AttributeValue::Ns(b)) => {
                let r = minus(a, b);
                (!r.is_empty()).then_some(AttributeValue::Ns(r))
            }
            (Some(AttributeValue::Bs(a)), AttributeValue::Bs(b)) => {
                let r = minus(a, b);
                (!r.is_empty()).then_some(AttributeValue::Bs(r))
            }
            _ => return Err(wrong_type("DELETE")),
        };
        match rest {
            Some(v) => put(&mut after, path, v)?,
            None => remove(&mut after, path)?,
        }
    }
    Ok(after)
}

fn union<T: Clone + PartialEq>(a: &[T], b: &[T]) -> Vec<T> {
    let mut out = a.to_vec();
    out.extend(b.iter().filter(|x| !a.contains(x)).cloned());
    out
}

fn minus<T: Clone + PartialEq>(a: &[T], b: &[T]) -> Vec<T> {
    a.iter().filter(|x| !b.contains(x)).cloned().collect()
}

/// The attributes of `item` the paths name (nested paths keep their parents).
pub fn project(item: &Item, paths: &[Path]) -> Item {
    let mut out = Item::new();
    for path in paths {
        let Some(v) = resolve(item, path) else {
            continue;
        };
        // rebuild the path's parents around the value
        let mut value = v.clone();
        for step in path.0[1..].iter().rev() {
            value = match step {
                Step::Name(n) => AttributeValue::M([(n.clone(), value)].into()),
                Step::Index(_) => AttributeValue::L(vec![value]),
            };
        }
        let root = path.root().to_string();
        match (out.get_mut(&root), value) {
            (Some(AttributeValue::M(existing)), AttributeValue::M(new)) => merge(existing, new),
            (Some(AttributeValue::L(existing)), AttributeValue::L(new)) => existing.extend(new),
            (_, value) => {
                out.insert(root, value);
            }
        }
    }
    out
}

fn merge(into: &mut Item, from: Item) {
    for (k, v) in from {
        match (into.get_mut(&k), v) {
            (Some(AttributeValue::M(a)), AttributeValue::M(b)) => merge(a, b),
            (_, v) => {
                into.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::sandbox::dynamodb::expr::{Placeholders, update};

    fn run(
        item: Item,
        expression: &str,
        values: &[(&str, AttributeValue)],
    ) -> Result<Item, DynamoError> {
        let names = BTreeMap::new();
        let values: BTreeMap<String, AttributeValue> = values
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let mut p = Placeholders::new(&names, &values);
        let u = update(expression, &mut p)?;
        apply(&item, &u, &["id"])
    }

    #[test]
    fn list_elements_are_removed_as_written_and_numbers_stay_in_range() {
        let tools = ["Chisel", "Hammer", "Nails", "Screwdriver", "Hacksaw"]
            .map(|t| AttributeValue::S(t.into()))
            .to_vec();
        let item: Item = [("l".to_string(), AttributeValue::L(tools))].into();
        // the developer guide's example: REMOVE RelatedItems[1], RelatedItems[2]
        let after = run(item, "REMOVE l[1], l[2]", &[]).unwrap();
        let AttributeValue::L(left) = &after["l"] else {
            panic!("{after:?}")
        };
        let names: Vec<&AttributeValue> = left.iter().collect();
        assert_eq!(
            names,
            [
                &AttributeValue::S("Chisel".into()),
                &AttributeValue::S("Screwdriver".into()),
                &AttributeValue::S("Hacksaw".into())
            ]
        );
        let big = crate::sandbox::dynamodb::value::number("9e125").unwrap();
        let item: Item = [("n".to_string(), AttributeValue::N(big.clone()))].into();
        let e = run(item, "SET n = n + :b", &[(":b", AttributeValue::N(big))]).unwrap_err();
        assert!(e.message.contains("overflow"), "{e:?}");
    }
}
