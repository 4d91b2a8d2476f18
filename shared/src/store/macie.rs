//! The port for Macie sessions, members and automated discovery (docs/macie.md).
//!
//! Both adapters give the same guarantees, held by `tests/tests/api/macie_conformance.rs`: an
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

/// The message of every Macie operation by a caller without a session (docs/macie.md §1.1).
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

/// EnableMacie's answer when the account already has a session, created with client token
/// `seen_token` and request fingerprint `seen_fingerprint` (if it was created with a token):
/// `Replayed` when `token` is that token with that fingerprint, [`StoreError::TokenMismatch`] when
/// it is that token with another request, else [`already_enabled`].
pub fn enable_replay(
    token: Option<&SessionToken>,
    seen_token: Option<&str>,
    seen_fingerprint: Option<&str>,
) -> Result<EnableOutcome, StoreError> {
    match (token, seen_token, seen_fingerprint) {
        (Some(token), Some(seen), Some(fingerprint)) if seen == token.token => {
            if fingerprint == token.fingerprint {
                Ok(EnableOutcome::Replayed)
            } else {
                Err(StoreError::TokenMismatch)
            }
        }
        _ => Err(already_enabled()),
    }
}

/// The administrator's member `found`, checked in order: the administrator has a session
/// ([`not_enabled`]), then the member exists ([`StoreError::NotFound`]).
pub fn existing_member<T>(has_session: bool, found: Option<T>) -> Result<T, StoreError> {
    if !has_session {
        return Err(not_enabled());
    }
    found.ok_or(StoreError::NotFound)
}

/// Whether a discovery update applies to a covered account as its write finds it: `enabled` is
/// `None` when the account is not covered (neither the administrator nor one of its members),
/// else whether its session (the administrator) or membership (a member) is enabled. Not covered
/// is `ACCOUNT_NOT_FOUND`, covered but not enabled `ACCOUNT_PAUSED`.
pub fn discovery_outcome(enabled: Option<bool>) -> Result<(), DiscoveryErrorCode> {
    match enabled {
        None => Err(DiscoveryErrorCode::AccountNotFound),
        Some(false) => Err(DiscoveryErrorCode::AccountPaused),
        Some(true) => Ok(()),
    }
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

/// The members a listing restricted to `only` reads: those IDs, but the administrator (its entry
/// is its session's) and any not after `after`.
pub(crate) fn members_asked<'a>(
    administrator: &'a AccountId,
    only: &'a [AccountId],
    after: Option<&'a AccountId>,
) -> impl Iterator<Item = &'a AccountId> + 'a {
    only.iter().filter(move |id| *id != administrator && after.is_none_or(|after| *id > after))
}

/// Builds a page of the accounts an administrator covers, sorted by ID: its own entry (status
/// `own`, listed unless `only` leaves it out) and `members` (those read for the page; any at or
/// before `after` are dropped), at most `limit` of them.
pub(crate) fn page_of(
    administrator: &AccountId,
    own: DiscoveryStatus,
    mut items: Vec<(AccountId, DiscoveryStatus)>,
    only: Option<&[AccountId]>,
    after: Option<&AccountId>,
    limit: usize,
) -> DiscoveryPage {
    if only.is_none_or(|ids| ids.contains(administrator)) {
        items.push((administrator.clone(), own));
    }
    items.retain(|(id, _)| after.is_none_or(|after| id > after));
    items.sort_by(|a, b| a.0.cmp(&b.0));
    items.dedup_by(|a, b| a.0 == b.0);
    let more = items.len() > limit;
    items.truncate(limit);
    DiscoveryPage { items, more }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(id: &str) -> AccountId {
        AccountId::parse(id).expect("account")
    }

    fn token(fingerprint: &str) -> SessionToken {
        SessionToken { token: "token-1".into(), fingerprint: fingerprint.into() }
    }

    fn is_already_enabled(result: Result<EnableOutcome, StoreError>) -> bool {
        matches!(result, Err(StoreError::Rule(ApiError::Conflict(m))) if m.contains("already enabled"))
    }

    #[test]
    fn the_same_token_and_request_replay_enable_macie() {
        let seen = (Some("token-1"), Some("fp"));
        assert_eq!(enable_replay(Some(&token("fp")), seen.0, seen.1).unwrap(), EnableOutcome::Replayed);
    }

    #[test]
    fn the_same_token_with_another_request_is_a_mismatch() {
        assert!(matches!(
            enable_replay(Some(&token("other")), Some("token-1"), Some("fp")),
            Err(StoreError::TokenMismatch)
        ));
    }

    #[test]
    fn anything_else_finds_macie_already_enabled() {
        // Another token, no token now, or a session created without one.
        let other = SessionToken { token: "token-2".into(), fingerprint: "fp".into() };
        assert!(is_already_enabled(enable_replay(Some(&other), Some("token-1"), Some("fp"))));
        assert!(is_already_enabled(enable_replay(None, Some("token-1"), Some("fp"))));
        assert!(is_already_enabled(enable_replay(Some(&token("fp")), None, None)));
    }

    #[test]
    fn a_member_needs_the_administrators_session_first() {
        assert_eq!(existing_member(true, Some(7)).unwrap(), 7);
        assert!(matches!(existing_member(true, None::<u8>), Err(StoreError::NotFound)));
        for found in [Some(7), None] {
            let denied = existing_member(false, found);
            assert!(matches!(denied, Err(StoreError::Rule(ApiError::AccessDenied(m))) if m == NOT_ENABLED));
        }
    }

    #[test]
    fn discovery_applies_only_to_enabled_covered_accounts() {
        assert_eq!(discovery_outcome(Some(true)), Ok(()));
        assert_eq!(discovery_outcome(Some(false)), Err(DiscoveryErrorCode::AccountPaused));
        assert_eq!(discovery_outcome(None), Err(DiscoveryErrorCode::AccountNotFound));
    }

    #[test]
    fn a_filtered_listing_reads_only_members_after_the_cursor() {
        let (admin, a, b, c) =
            (account("500000000000"), account("100000000000"), account("600000000000"), account("700000000000"));
        let only = [c.clone(), admin.clone(), a.clone(), b.clone()];
        assert_eq!(members_asked(&admin, &only, None).collect::<Vec<_>>(), [&c, &a, &b]);
        assert_eq!(members_asked(&admin, &only, Some(&b)).collect::<Vec<_>>(), [&c]);
    }

    #[test]
    fn a_page_holds_the_administrator_unless_filtered_out_sorted_and_cut() {
        use DiscoveryStatus::{Disabled, Enabled};
        let (admin, a, b) = (account("500000000000"), account("100000000000"), account("600000000000"));
        let members = vec![(b.clone(), Disabled), (a.clone(), Enabled)];
        let page = page_of(&admin, Enabled, members.clone(), None, None, 10);
        assert_eq!(
            page,
            DiscoveryPage {
                items: vec![(a.clone(), Enabled), (admin.clone(), Enabled), (b.clone(), Disabled)],
                more: false
            }
        );
        // Filtered without the administrator: only the members.
        let page = page_of(&admin, Enabled, members.clone(), Some(&[a.clone(), b.clone()]), None, 10);
        assert_eq!(page.items, [(a.clone(), Enabled), (b.clone(), Disabled)]);
        // After a cursor, cut to the limit: more remain.
        let page = page_of(&admin, Enabled, members.clone(), None, Some(&a), 1);
        assert_eq!(page, DiscoveryPage { items: vec![(admin.clone(), Enabled)], more: true });
        let page = page_of(&admin, Enabled, members, None, Some(&admin), 1);
        assert_eq!(page, DiscoveryPage { items: vec![(b, Disabled)], more: false });
    }
}
