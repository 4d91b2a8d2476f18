//! Macie sessions and members in the embedded store.

use async_trait::async_trait;
use redb::WriteTransaction;

use super::EmbeddedStore;
use crate::store::{MacieStore, StoreError};

/// Creates this module's tables (called once when the database opens).
pub(super) fn init(_txn: &WriteTransaction) -> Result<(), StoreError> {
    Ok(())
}

#[async_trait]
impl MacieStore for EmbeddedStore {}
