//! Comment-keeping edits of `hoist.toml`: a resource's table set or merged in
//! place, new keys after the existing ones, secret references inline.

use serde::Serialize;

use crate::category::Category;

/// A value as a `toml_edit` table, for inserting into the user's document.
pub fn to_table<T: Serialize>(value: &T) -> Result<toml_edit::Item, crate::Error> {
    let text = toml::to_string(value).map_err(|e| crate::Error::Internal(e.to_string()))?;
    let doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| crate::Error::Internal(e.to_string()))?;
    let mut table = doc.as_table().clone();
    table.set_implicit(false);
    inline_secret_refs(&mut table);
    Ok(toml_edit::Item::Table(table))
}

/// `client_secret = { env = "X" }` reads better than a table of its own.
fn inline_secret_refs(table: &mut toml_edit::Table) {
    for (mut key, item) in table.iter_mut() {
        let secret_ref = item
            .as_table()
            .is_some_and(|t| t.len() == 1 && (t.contains_key("env") || t.contains_key("ssm")));
        if secret_ref {
            if let Some(inline) = item.as_table().map(|t| t.clone().into_inline_table()) {
                key.leaf_decor_mut().set_suffix(" ");
                *item = toml_edit::Item::Value(
                    toml_edit::Value::InlineTable(inline).decorated(" ", ""),
                );
            }
        } else if let Some(inner) = item.as_table_mut() {
            inline_secret_refs(inner);
        }
    }
}

/// Put a resource's table into the document. An existing table is merged key
/// by key, so the user's comments and ordering survive; new tables go last.
pub fn set_resource(
    doc: &mut toml_edit::DocumentMut,
    category: Category,
    name: &str,
    item: toml_edit::Item,
) {
    let mut next = next_position(doc.as_item());
    let section = doc
        .entry(category.as_str())
        .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()));
    if let Some(table) = section.as_table_mut() {
        table.set_implicit(true);
        match table.get_mut(name) {
            Some(existing) => merge_item(existing, item, &mut next),
            None => {
                let mut item = item;
                assign_positions(&mut item, &mut next);
                table.insert(name, item);
            }
        }
    }
}

fn next_position(item: &toml_edit::Item) -> usize {
    match item {
        toml_edit::Item::Table(table) => table
            .iter()
            .map(|(_, v)| next_position(v))
            .chain(table.position().map(|p| p + 1))
            .max()
            .unwrap_or(0),
        toml_edit::Item::ArrayOfTables(array) => array
            .iter()
            .map(|t| {
                t.iter()
                    .map(|(_, v)| next_position(v))
                    .chain(t.position().map(|p| p + 1))
                    .max()
                    .unwrap_or(0)
            })
            .max()
            .unwrap_or(0),
        _ => 0,
    }
}

fn assign_positions(item: &mut toml_edit::Item, next: &mut usize) {
    let assign_table = |table: &mut toml_edit::Table, next: &mut usize| {
        table.set_position(*next);
        *next += 1;
        for (_, value) in table.iter_mut() {
            assign_positions(value, next);
        }
    };
    match item {
        toml_edit::Item::Table(table) => assign_table(table, next),
        toml_edit::Item::ArrayOfTables(array) => {
            for table in array.iter_mut() {
                assign_table(table, next);
            }
        }
        _ => {}
    }
}

fn merge_item(existing: &mut toml_edit::Item, new: toml_edit::Item, next: &mut usize) {
    match (existing, new) {
        (toml_edit::Item::Table(old), toml_edit::Item::Table(new)) => {
            let gone: Vec<String> = old
                .iter()
                .map(|(k, _)| k.to_string())
                .filter(|k| !new.contains_key(k))
                .collect();
            for key in gone {
                old.remove(&key);
            }
            for (key, value) in new {
                match old.get_mut(&key) {
                    Some(slot) => merge_item(slot, value, next),
                    None => {
                        let mut value = value;
                        assign_positions(&mut value, next);
                        old.insert(&key, value);
                    }
                }
            }
        }
        (toml_edit::Item::Value(old), toml_edit::Item::Value(mut new)) => {
            // keep the user's trailing comment on the line
            *new.decor_mut() = old.decor().clone();
            *old = new;
        }
        (slot, mut new) => {
            assign_positions(&mut new, next);
            *slot = new;
        }
    }
}
