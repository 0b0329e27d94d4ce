//! Where the sandbox's tables live between runs: one redb file
//! (`<dir>/dynamodb.redb`), tables' schemas and items as JSON, written through
//! on every change. redb locks the file: a second sandbox on the same folder
//! is refused.

use std::path::{Path, PathBuf};

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use super::TableSchema;
use super::value::{Item, item_from_wire, item_to_wire};

const TABLES: TableDefinition<&str, &str> = TableDefinition::new("tables");
/// Key: the table's name, a NUL, then the item's key attributes as JSON.
const ITEMS: TableDefinition<&str, &str> = TableDefinition::new("items");

/// The file under a sandbox's data folder.
pub const FILE: &str = "dynamodb.redb";

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum StoreError {
    #[error("another sandbox is using `{}`", path.display())]
    #[diagnostic(
        code(hoist::sandbox::in_use),
        help(
            "stop the other `hoist sandbox` first, or give this one another environment with --env"
        )
    )]
    InUse { path: PathBuf },

    #[error("the sandbox's data in `{}` could not be used: {message}", path.display())]
    #[diagnostic(
        code(hoist::sandbox::store),
        help("start again with --reset to clear the sandbox's data")
    )]
    Broken { path: PathBuf, message: String },
}

/// Items are written through on every change, without waiting for the disk
/// (redb's `Durability::None`); [`Store::flush`] makes what was written
/// durable with one fsync. The engine flushes whenever it has no more work
/// queued, so a burst of writes shares one fsync (group commit) and an idle
/// sandbox has everything on disk.
pub struct Store {
    db: Database,
    path: PathBuf,
    dirty: std::cell::Cell<bool>,
}

type Loaded = (Store, Vec<TableSchema>, Vec<(String, Item)>);

impl Store {
    /// Open (or create) the store in `dir`, with everything it holds.
    pub fn open(dir: &Path) -> Result<Loaded, StoreError> {
        Self::open_with(dir, false)
    }

    /// Open the store in `dir` emptied (`--reset`): it is locked first, so a
    /// store another sandbox holds is refused, not cleared; a file that is
    /// not a store (damaged) is replaced.
    pub fn open_cleared(dir: &Path) -> Result<Loaded, StoreError> {
        Self::open_with(dir, true)
    }

    fn open_with(dir: &Path, clear: bool) -> Result<Loaded, StoreError> {
        let path = dir.join(FILE);
        let broken = |message: String| StoreError::Broken {
            path: path.clone(),
            message,
        };
        std::fs::create_dir_all(dir).map_err(|e| broken(e.to_string()))?;
        let create = || {
            Database::create(&path).map_err(|e| match e {
                redb::DatabaseError::DatabaseAlreadyOpen => {
                    StoreError::InUse { path: path.clone() }
                }
                other => broken(other.to_string()),
            })
        };
        let db = match create() {
            Err(StoreError::Broken { .. }) if clear => {
                std::fs::remove_file(&path).map_err(|e| broken(e.to_string()))?;
                create()?
            }
            other => other?,
        };
        let store = Store {
            dirty: std::cell::Cell::new(false),
            db,
            path: path.clone(),
        };
        {
            let tx = store.db.begin_write().map_err(|e| broken(e.to_string()))?;
            if clear {
                tx.delete_table(TABLES).map_err(|e| broken(e.to_string()))?;
                tx.delete_table(ITEMS).map_err(|e| broken(e.to_string()))?;
            }
            tx.open_table(TABLES).map_err(|e| broken(e.to_string()))?;
            tx.open_table(ITEMS).map_err(|e| broken(e.to_string()))?;
            tx.commit().map_err(|e| broken(e.to_string()))?;
        }
        let tx = store.db.begin_read().map_err(|e| broken(e.to_string()))?;
        let mut schemas = Vec::new();
        for entry in tx
            .open_table(TABLES)
            .map_err(|e| broken(e.to_string()))?
            .iter()
            .map_err(|e| broken(e.to_string()))?
        {
            let (_, v) = entry.map_err(|e| broken(e.to_string()))?;
            schemas.push(serde_json::from_str(v.value()).map_err(|e| broken(e.to_string()))?);
        }
        let mut items = Vec::new();
        for entry in tx
            .open_table(ITEMS)
            .map_err(|e| broken(e.to_string()))?
            .iter()
            .map_err(|e| broken(e.to_string()))?
        {
            let (k, v) = entry.map_err(|e| broken(e.to_string()))?;
            let table = k.value().split('\0').next().unwrap_or_default().to_string();
            let value: serde_json::Value =
                serde_json::from_str(v.value()).map_err(|e| broken(e.to_string()))?;
            items.push((
                table,
                item_from_wire(&value).map_err(|e| broken(e.message))?,
            ));
        }
        Ok((store, schemas, items))
    }

    fn broken(&self, e: impl std::fmt::Display) -> StoreError {
        StoreError::Broken {
            path: self.path.clone(),
            message: e.to_string(),
        }
    }

    pub fn put_table(&self, schema: &TableSchema) -> Result<(), StoreError> {
        let text = serde_json::to_string(schema).map_err(|e| self.broken(e))?;
        let tx = self.db.begin_write().map_err(|e| self.broken(e))?;
        tx.open_table(TABLES)
            .map_err(|e| self.broken(e))?
            .insert(schema.name.as_str(), text.as_str())
            .map_err(|e| self.broken(e))?;
        tx.commit().map_err(|e| self.broken(e))
    }

    /// Make every write so far durable (one fsync), if there was one since the last flush.
    pub fn flush(&self) -> Result<(), StoreError> {
        if !self.dirty.get() {
            return Ok(());
        }
        let tx = self.db.begin_write().map_err(|e| self.broken(e))?;
        tx.commit().map_err(|e| self.broken(e))?;
        self.dirty.set(false);
        Ok(())
    }

    /// Write an item (or, `None`, delete it) under its key attributes; durable
    /// at the next [`Store::flush`].
    pub fn write(&self, table: &str, key: &Item, item: Option<&Item>) -> Result<(), StoreError> {
        let id = format!("{table}\0{}", item_to_wire(key));
        let mut tx = self.db.begin_write().map_err(|e| self.broken(e))?;
        tx.set_durability(redb::Durability::None)
            .map_err(|e| self.broken(e))?;
        self.dirty.set(true);
        {
            let mut items = tx.open_table(ITEMS).map_err(|e| self.broken(e))?;
            match item {
                Some(item) => {
                    let text = item_to_wire(item).to_string();
                    items
                        .insert(id.as_str(), text.as_str())
                        .map_err(|e| self.broken(e))?;
                }
                None => {
                    items.remove(id.as_str()).map_err(|e| self.broken(e))?;
                }
            }
        }
        tx.commit().map_err(|e| self.broken(e))
    }
}
