//! The store port: what the operations need from persistence, and its two adapters.
//!
//! Both adapters give the same guarantees, held by one conformance suite
//! (`tests/tests/conformance.rs`): a scope and its client token are written together exactly
//! once; an account never has two scopes; concurrent updates lose nothing; replayed tokens are
//! honoured for 24 hours and ignored after.

pub mod dynamodb;
#[cfg(feature = "embedded")]
pub mod embedded;
pub mod macie;
pub mod packages;

pub use macie::MacieStore;
pub use packages::PackageStore;

use async_trait::async_trait;

use crate::common::{AccountId, Tags};
use crate::error::ApiError;
use crate::nfm::domain::{TargetChanges, TargetSet};

/// How long a client token is remembered (B.2.2).
pub const TOKEN_TTL_SECONDS: i64 = 24 * 60 * 60;

/// How many times an optimistic update is tried before answering `ConflictException`.
pub const MAX_UPDATE_ATTEMPTS: u32 = 10;

/// A stored scope. An account has at most one, so the account is its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub account: AccountId,
    pub scope_id: String,
    pub targets: TargetSet,
    pub tags: Tags,
    /// Bumped by every write; updates are conditional on it.
    pub version: u64,
}

/// The remembered outcome of a CreateScope that carried a client token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub token: String,
    /// [`crate::nfm::domain::NewScope::fingerprint`] of the request.
    pub fingerprint: String,
    /// The scope the first request created: with the request (same fingerprint, so same tags),
    /// it determines the first response entirely, so that is all a token keeps.
    pub scope_id: String,
    /// Epoch seconds from which the token is forgotten: live while `now < expires_at` (also the
    /// DynamoDB TTL attribute, so DynamoDB deletes it some time later).
    pub expires_at: i64,
}

/// What CreateScope did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateOutcome {
    Created,
    /// The token was seen with the same request: here is the scope ID the first one created.
    Replayed(String),
}

/// Why a store call did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no such scope for this account")]
    NotFound,
    #[error("the account already has scope {0}")]
    ScopeExists(String),
    #[error("the client token was used with a different request")]
    TokenMismatch,
    #[error("concurrent writes kept conflicting")]
    Contention,
    /// A domain rule failed against the current state (empty scope, quota).
    #[error(transparent)]
    Rule(ApiError),
    #[error("the store throttled the request: {0}")]
    Throttled(String),
    #[error("store failure: {0}")]
    Backend(String),
}

impl StoreError {
    /// The answer for the failures no service words: a rule's own error, throttling (429) and
    /// backend failures (500, the cause logged under the request's span, never sent). Each
    /// service maps the kinds that concern its resources (not found, exists, token mismatch,
    /// contention) in its own words first and passes the rest here.
    pub fn infrastructure(self) -> ApiError {
        match self {
            StoreError::Rule(error) => error,
            StoreError::Throttled(cause) => {
                tracing::warn!(%cause, "store throttled");
                ApiError::Throttling
            }
            StoreError::Backend(cause) => {
                tracing::error!(%cause, "store failure");
                ApiError::Internal
            }
            unexpected => {
                tracing::error!(error = %unexpected, "store outcome the operation does not expect");
                ApiError::Internal
            }
        }
    }
}

/// Persistence of Network Flow Monitor scopes.
#[async_trait]
pub trait ScopeStore: Send + Sync {
    /// Creates `scope` unless its account has one; with `token`, records the token in the same
    /// atomic write, or replays / refuses per the live token already recorded.
    async fn create_scope(
        &self,
        scope: &Scope,
        token: Option<&TokenRecord>,
        now: i64,
    ) -> Result<CreateOutcome, StoreError>;

    /// The account's scope, if it has one.
    async fn get_scope(&self, account: &AccountId) -> Result<Option<Scope>, StoreError>;

    /// Applies `changes` to the account's scope `scope_id` atomically against concurrent
    /// writers, and returns the scope as written.
    async fn update_scope(
        &self,
        account: &AccountId,
        scope_id: &str,
        changes: &TargetChanges,
    ) -> Result<Scope, StoreError>;

    /// Deletes the account's scope `scope_id` (`NotFound` if that is not its scope).
    async fn delete_scope(&self, account: &AccountId, scope_id: &str) -> Result<(), StoreError>;
}

/// Every port at once: what an adapter implements and what [`crate::App`] is built from.
pub trait Store: ScopeStore + PackageStore + MacieStore {}

impl<T: ScopeStore + PackageStore + MacieStore> Store for T {}
