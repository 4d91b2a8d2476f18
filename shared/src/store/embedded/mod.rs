//! The embedded adapter: a redb database in a file (or in memory), for the local server.
//!
//! redb write transactions are serialisable and exclusive, so each operation's check and
//! write happen in one transaction: the same atomicity the DynamoDB adapter gets from
//! condition expressions.

mod macie;
mod packages;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use redb::{Database, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::{
    CreateOutcome, Scope, ScopeStore, StoreError, TokenRecord, replay, scope_named, tagged_scope, token_live,
    untagged_scope, updated_scope,
};
use crate::common::{AccountId, TagKeys, Tags};
use crate::nfm::domain::{TargetChanges, TargetSet};

/// account ID -> JSON of [`StoredScope`]
const SCOPES: TableDefinition<&str, &str> = TableDefinition::new("scopes");
/// `<account>/<token>` -> JSON of [`StoredToken`]
const SCOPE_TOKENS: TableDefinition<&str, &str> = TableDefinition::new("scope_tokens");

#[derive(Serialize, Deserialize)]
struct StoredScope {
    scope_id: String,
    targets: Vec<String>,
    tags: BTreeMap<String, String>,
    version: u64,
}

#[derive(Serialize, Deserialize)]
struct StoredToken {
    fingerprint: String,
    scope_id: String,
    expires_at: i64,
}

fn backend(err: impl Into<redb::Error>) -> StoreError {
    StoreError::Backend(format!("embedded store: {}", err.into()))
}

fn json_error(err: serde_json::Error) -> StoreError {
    StoreError::Backend(format!("embedded store record: {err}"))
}

/// The error for a stored record or key with a bad `what`.
fn corrupt(what: &str) -> StoreError {
    StoreError::Backend(format!("embedded store: bad stored {what}"))
}

fn task_error(err: tokio::task::JoinError) -> StoreError {
    StoreError::Backend(format!("embedded store task: {err}"))
}

/// The key range of every key that starts with `<prefix>/` (`0` is the byte after `/`).
fn prefix_range(prefix: &str) -> (String, String) {
    (format!("{prefix}/"), format!("{prefix}0"))
}

/// Splits a `<a>/<b>` key.
fn split_key(key: &str) -> Option<(&str, &str)> {
    key.split_once('/')
}

fn encode_scope(scope: &Scope) -> Result<String, StoreError> {
    serde_json::to_string(&StoredScope {
        scope_id: scope.scope_id.clone(),
        targets: scope.targets.keys(),
        tags: scope.tags.as_map().clone(),
        version: scope.version,
    })
    .map_err(json_error)
}

fn decode_scope(account: &AccountId, json: &str) -> Result<Scope, StoreError> {
    let stored: StoredScope = serde_json::from_str(json).map_err(json_error)?;
    let targets = TargetSet::from_keys(stored.targets.iter().map(String::as_str)).ok_or_else(|| corrupt("target"))?;
    Ok(Scope {
        account: account.clone(),
        scope_id: stored.scope_id,
        targets,
        tags: Tags::from_stored(stored.tags),
        version: stored.version,
    })
}

fn read_scope(txn: &WriteTransaction, account: &AccountId) -> Result<Option<Scope>, StoreError> {
    let table = txn.open_table(SCOPES).map_err(backend)?;
    let found = table.get(account.as_str()).map_err(backend)?;
    found.map(|json| decode_scope(account, json.value())).transpose()
}

fn write_scope(txn: &WriteTransaction, scope: &Scope) -> Result<(), StoreError> {
    let mut table = txn.open_table(SCOPES).map_err(backend)?;
    table.insert(scope.account.as_str(), encode_scope(scope)?.as_str()).map_err(backend)?;
    Ok(())
}

#[derive(Clone)]
pub struct EmbeddedStore {
    db: Arc<Database>,
}

impl EmbeddedStore {
    /// Opens (or creates) the database file at `path`, creating its folder.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| StoreError::Backend(format!("{}: {e}", parent.display())))?;
        }
        // Every failure to open names the file; the commonest, another process holding it, says so.
        let db = Database::create(path).map_err(|e| {
            let why = match e {
                redb::DatabaseError::DatabaseAlreadyOpen => {
                    "the file is in use by another process (is another local-api serving it?)".to_owned()
                }
                other => redb::Error::from(other).to_string(),
            };
            StoreError::Backend(format!("embedded store {}: {why}", path.display()))
        })?;
        Self::init(db)
    }

    /// A database that lives as long as the process.
    pub fn in_memory() -> Result<Self, StoreError> {
        let db = Database::builder().create_with_backend(redb::backends::InMemoryBackend::new()).map_err(backend)?;
        Self::init(db)
    }

    fn init(db: Database) -> Result<Self, StoreError> {
        let txn = db.begin_write().map_err(backend)?;
        txn.open_table(SCOPES).map_err(backend)?;
        txn.open_table(SCOPE_TOKENS).map_err(backend)?;
        packages::init(&txn)?;
        macie::init(&txn)?;
        txn.commit().map_err(backend)?;
        Ok(Self { db: Arc::new(db) })
    }

    /// Runs `work` in one write transaction on a blocking thread; commits only if it succeeds.
    async fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&WriteTransaction) -> Result<T, StoreError> + Send + 'static,
    {
        let db = Arc::clone(&self.db);
        tokio::task::spawn_blocking(move || {
            let txn = db.begin_write().map_err(backend)?;
            let out = work(&txn)?;
            txn.commit().map_err(backend)?;
            Ok(out)
        })
        .await
        .map_err(task_error)?
    }

    /// Runs `work` in one read transaction on a blocking thread.
    async fn read<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&ReadTransaction) -> Result<T, StoreError> + Send + 'static,
    {
        let db = Arc::clone(&self.db);
        tokio::task::spawn_blocking(move || work(&db.begin_read().map_err(backend)?)).await.map_err(task_error)?
    }
}

#[async_trait]
impl ScopeStore for EmbeddedStore {
    async fn create_scope(
        &self,
        scope: &Scope,
        token: Option<&TokenRecord>,
        now: i64,
    ) -> Result<CreateOutcome, StoreError> {
        let scope = scope.clone();
        let token = token.cloned();
        self.write(move |txn| {
            if let Some(token) = &token {
                let key = format!("{}/{}", scope.account, token.token);
                let mut tokens = txn.open_table(SCOPE_TOKENS).map_err(backend)?;
                let live = match tokens.get(key.as_str()).map_err(backend)? {
                    Some(json) => Some(serde_json::from_str::<StoredToken>(json.value()).map_err(json_error)?),
                    None => None,
                }
                .filter(|t| token_live(t.expires_at, now));
                if let Some(seen) = live {
                    return replay(token, &seen.fingerprint, &seen.scope_id);
                }
                let record = StoredToken {
                    fingerprint: token.fingerprint.clone(),
                    scope_id: token.scope_id.clone(),
                    expires_at: token.expires_at,
                };
                tokens
                    .insert(key.as_str(), serde_json::to_string(&record).map_err(json_error)?.as_str())
                    .map_err(backend)?;
            }
            if let Some(existing) = read_scope(txn, &scope.account)? {
                // Returning an error drops the transaction: the token above is not kept.
                return Err(StoreError::ScopeExists(existing.scope_id));
            }
            write_scope(txn, &scope)?;
            Ok(CreateOutcome::Created)
        })
        .await
    }

    async fn get_scope(&self, account: &AccountId) -> Result<Option<Scope>, StoreError> {
        let account = account.clone();
        self.read(move |txn| {
            let table = txn.open_table(SCOPES).map_err(backend)?;
            let found = table.get(account.as_str()).map_err(backend)?;
            found.map(|json| decode_scope(&account, json.value())).transpose()
        })
        .await
    }

    async fn update_scope(
        &self,
        account: &AccountId,
        scope_id: &str,
        changes: &TargetChanges,
    ) -> Result<Scope, StoreError> {
        let (account, scope_id, changes) = (account.clone(), scope_id.to_owned(), changes.clone());
        self.write(move |txn| {
            let current = scope_named(read_scope(txn, &account)?, &scope_id)?;
            let Some(next) = updated_scope(&current, &changes)? else { return Ok(current) };
            write_scope(txn, &next)?;
            Ok(next)
        })
        .await
    }

    async fn delete_scope(&self, account: &AccountId, scope_id: &str) -> Result<(), StoreError> {
        let (account, scope_id) = (account.clone(), scope_id.to_owned());
        self.write(move |txn| {
            scope_named(read_scope(txn, &account)?, &scope_id)?;
            let mut table = txn.open_table(SCOPES).map_err(backend)?;
            table.remove(account.as_str()).map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn tag_scope(&self, account: &AccountId, scope_id: &str, tags: &Tags) -> Result<Scope, StoreError> {
        let (account, scope_id, tags) = (account.clone(), scope_id.to_owned(), tags.clone());
        self.write(move |txn| {
            let current = scope_named(read_scope(txn, &account)?, &scope_id)?;
            let Some(next) = tagged_scope(&current, &tags)? else { return Ok(current) };
            write_scope(txn, &next)?;
            Ok(next)
        })
        .await
    }

    async fn untag_scope(&self, account: &AccountId, scope_id: &str, keys: &TagKeys) -> Result<Scope, StoreError> {
        let (account, scope_id, keys) = (account.clone(), scope_id.to_owned(), keys.clone());
        self.write(move |txn| {
            let current = scope_named(read_scope(txn, &account)?, &scope_id)?;
            let Some(next) = untagged_scope(&current, &keys) else { return Ok(current) };
            write_scope(txn, &next)?;
            Ok(next)
        })
        .await
    }
}
