//! The port for Macie sessions, members and automated discovery (contract B.4).
//!
//! Both adapters give the same guarantees, held by `tests/tests/macie_conformance.rs`: an
//! account has at most one session; an account is a member of at most one administrator; every
//! operation but EnableMacie needs the caller's session (else [`not_enabled`]); a discovery
//! update is applied only while its account is not paused, checked in the same atomic write.

use async_trait::async_trait;

use super::StoreError;
use crate::common::AccountId;
use crate::common::Tags;
use crate::error::ApiError;
use crate::macie::domain::{
    DiscoveryErrorCode, DiscoveryStatus, DiscoveryUpdate, Email, FindingPublishingFrequency, MacieStatus,
    RelationshipStatus, SessionChanges,
};

/// The message of every Macie operation by a caller without a session (B.4.1).
pub const NOT_ENABLED: &str = "Macie is not enabled.";

/// The error for a caller without a Macie session: `AccessDeniedException` 403.
pub fn not_enabled() -> StoreError {
    StoreError::Rule(ApiError::AccessDenied(NOT_ENABLED.into()))
}

/// The error for EnableMacie while a session exists (and the request is no replay).
pub fn already_enabled() -> StoreError {
    StoreError::Rule(ApiError::Conflict("Macie is already enabled for this account.".into()))
}

/// The error for CreateMember of an account that already has an administrator (which one is
/// not said: it may be another tenant).
pub fn already_member(member: &AccountId) -> StoreError {
    StoreError::Rule(ApiError::Conflict(format!(
        "Account {member} is already a member of a Macie administrator account."
    )))
}

/// An account's Macie session. Times are epoch milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacieSession {
    pub account: AccountId,
    pub status: MacieStatus,
    pub finding_publishing_frequency: FindingPublishingFrequency,
    pub created_at: i64,
    pub updated_at: i64,
    /// The account's own automated discovery status.
    pub discovery: DiscoveryStatus,
}

/// The client token EnableMacie was called with, kept on the session for replays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionToken {
    pub token: String,
    /// [`crate::macie::domain::NewSession::fingerprint`] of the request.
    pub fingerprint: String,
}

/// What EnableMacie did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnableOutcome {
    Created,
    /// The session was created earlier by this token with this request.
    Replayed,
}

/// A member account of an administrator. Times are epoch milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub administrator: AccountId,
    pub account: AccountId,
    pub email: Email,
    pub relationship: RelationshipStatus,
    pub tags: Tags,
    pub invited_at: i64,
    pub updated_at: i64,
    /// The member's automated discovery status.
    pub discovery: DiscoveryStatus,
}

/// One page of the accounts an administrator covers, ordered by account ID.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DiscoveryPage {
    pub items: Vec<(AccountId, DiscoveryStatus)>,
    /// Whether covered accounts remain after the last item.
    pub more: bool,
}

/// Persistence of Macie sessions and members.
#[async_trait]
pub trait MacieStore: Send + Sync {
    /// Creates `session` unless its account has one. If one exists: `Replayed` when it was
    /// created with `token`'s token and fingerprint, [`StoreError::TokenMismatch`] when with the
    /// same token and another request, else [`already_enabled`].
    async fn enable_macie(
        &self,
        session: &MacieSession,
        token: Option<&SessionToken>,
    ) -> Result<EnableOutcome, StoreError>;

    /// The account's session, if it has one.
    async fn get_session(&self, account: &AccountId) -> Result<Option<MacieSession>, StoreError>;

    /// Fails with [`not_enabled`] unless the account has a session.
    async fn require_session(&self, account: &AccountId) -> Result<(), StoreError>;

    /// Applies `changes` to the account's session and sets its `updated_at` ([`not_enabled`]
    /// without one).
    async fn update_session(&self, account: &AccountId, changes: &SessionChanges, now: i64) -> Result<(), StoreError>;

    /// Adds `member` to its administrator, which must have a session ([`not_enabled`]); the
    /// account must not be a member of any administrator ([`already_member`]).
    async fn create_member(&self, member: &Member) -> Result<(), StoreError>;

    /// The administrator's member `account` ([`not_enabled`] first, then
    /// [`StoreError::NotFound`]).
    async fn get_member(&self, administrator: &AccountId, account: &AccountId) -> Result<Member, StoreError>;

    /// Removes the administrator's member `account`, freeing it to join another administrator.
    async fn delete_member(&self, administrator: &AccountId, account: &AccountId) -> Result<(), StoreError>;

    /// Sets the relationship status of the administrator's member `account`.
    async fn update_member_session(
        &self,
        administrator: &AccountId,
        account: &AccountId,
        relationship: RelationshipStatus,
        now: i64,
    ) -> Result<(), StoreError>;

    /// Sets the discovery status of each account the administrator covers (itself and its
    /// members), each only if not paused at the moment of its write. Returns one result per
    /// update, in order. [`not_enabled`] when the administrator has no session.
    async fn update_discovery(
        &self,
        administrator: &AccountId,
        updates: &[DiscoveryUpdate],
        now: i64,
    ) -> Result<Vec<Result<(), DiscoveryErrorCode>>, StoreError>;

    /// Up to `limit` covered accounts with IDs after `after`, ordered by ID; with `only`, just
    /// those of them. [`not_enabled`] when the administrator has no session.
    async fn list_discovery(
        &self,
        administrator: &AccountId,
        only: Option<&[AccountId]>,
        after: Option<&AccountId>,
        limit: usize,
    ) -> Result<DiscoveryPage, StoreError>;
}

/// Builds a page from the administrator's own entry and members already past `after`, sorted.
pub(crate) fn page_of(
    mut items: Vec<(AccountId, DiscoveryStatus)>,
    after: Option<&AccountId>,
    limit: usize,
) -> DiscoveryPage {
    items.retain(|(id, _)| after.is_none_or(|after| id > after));
    items.sort_by(|a, b| a.0.cmp(&b.0));
    items.dedup_by(|a, b| a.0 == b.0);
    let more = items.len() > limit;
    items.truncate(limit);
    DiscoveryPage { items, more }
}
