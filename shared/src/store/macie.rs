//! The port for Macie sessions, members and automated discovery (docs/macie.md).
//!
//! Both adapters give the same guarantees, held by `tests/tests/api/macie_conformance.rs`: an
//! account has at most one session; an account is associated with at most one administrator;
//! every operation but EnableMacie needs the caller's session (else [`not_enabled`]); a
//! discovery update is applied only while its account is associated and not paused, checked in
//! the same atomic write; a session is never deleted while a member is associated with it, and no
//! member record outlives it.

use async_trait::async_trait;

use super::StoreError;
use crate::common::AccountId;
use crate::common::Tags;
use crate::error::ApiError;
use crate::macie::domain::{
    AutoEnableMode, ConfigurationUpdate, DiscoveryConfiguration, DiscoveryErrorCode, DiscoveryStatus, DiscoveryUpdate,
    Email, FindingPublishingFrequency, MacieStatus, RelationshipStatus, SessionChanges,
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

/// The error for DisableMacie while `associated` members are associated with the account.
pub fn members_associated(associated: u64) -> StoreError {
    StoreError::Rule(ApiError::Conflict(format!(
        "Macie cannot be disabled while member accounts are associated with this account ({associated} associated); \
         disassociate or delete them first."
    )))
}

/// The error for UpdateMemberSession on a disassociated (`Removed`) member.
pub fn member_removed(member: &AccountId) -> StoreError {
    StoreError::Rule(ApiError::Conflict(format!(
        "Member account {member} is disassociated (Removed); add it again with CreateMember before changing its \
         Macie status."
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

/// DisableMacie's check: the account has a session ([`not_enabled`]) with no member associated
/// ([`members_associated`]).
pub fn disable_refusal(has_session: bool, associated: u64) -> Result<(), StoreError> {
    if !has_session {
        return Err(not_enabled());
    }
    match associated {
        0 => Ok(()),
        n => Err(members_associated(n)),
    }
}

/// CreateMember over what its write finds: `claimed` whether the account has an administrator
/// (any, the caller included), `record` the caller's own member record of it. An administrator
/// or an associated record is [`already_member`]; otherwise `Ok(true)` when the caller's
/// `Removed` record is to be replaced, `Ok(false)` when there is no record.
pub fn member_creation(
    member: &AccountId,
    claimed: bool,
    record: Option<RelationshipStatus>,
) -> Result<bool, StoreError> {
    match record {
        _ if claimed => Err(already_member(member)),
        Some(r) if r.is_associated() => Err(already_member(member)),
        found => Ok(found.is_some()),
    }
}

/// DisassociateMember over what its write finds: [`existing_member`]'s checks, then `Ok(true)`
/// when the associated member is to be written `Removed`, `Ok(false)` when it already is (a no-op).
pub fn disassociation(has_session: bool, found: Option<RelationshipStatus>) -> Result<bool, StoreError> {
    Ok(existing_member(has_session, found)?.is_associated())
}

/// UpdateMemberSession over what its write finds: [`existing_member`]'s checks, then the member
/// must be associated ([`member_removed`]).
pub fn member_session_target(
    has_session: bool,
    member: &AccountId,
    found: Option<RelationshipStatus>,
) -> Result<(), StoreError> {
    if existing_member(has_session, found)?.is_associated() { Ok(()) } else { Err(member_removed(member)) }
}

/// Whether an account whose member record is `found` is covered (listed and updated by
/// automated discovery): `None` when it is not (no record, or `Removed`), else whether it is
/// enabled (`Enabled`) rather than paused. The input of [`discovery_outcome`] for members.
pub fn member_coverage(found: Option<RelationshipStatus>) -> Option<bool> {
    found.filter(|r| r.is_associated()).map(|r| r == RelationshipStatus::Enabled)
}

/// Whether ListMembers lists a record with `relationship`: associated ones always, `Removed`
/// ones when asked for.
pub fn member_listed(relationship: RelationshipStatus, include_removed: bool) -> bool {
    include_removed || relationship.is_associated()
}

/// What an UpdateAutomatedDiscoveryConfiguration does to the session, given the facts it
/// depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionConfigWrite {
    /// Whether `disabledAt` becomes now (a DISABLED update of an ENABLED configuration).
    pub stamp_disabled_at: bool,
    /// The caller's own discovery status to write, `None` to keep it.
    pub own_discovery: Option<DiscoveryStatus>,
}

/// The session part of a configuration update (docs/macie.md §15.3): `session` is the caller's
/// session status, `was` the configuration's status before. An ENABLED update reads only
/// `session` (a paused caller keeps its own status); a DISABLED one reads only `was`.
pub fn session_config_write(
    update: &ConfigurationUpdate,
    session: MacieStatus,
    was: DiscoveryStatus,
) -> SessionConfigWrite {
    match update.status {
        DiscoveryStatus::Enabled => SessionConfigWrite {
            stamp_disabled_at: false,
            own_discovery: (session == MacieStatus::Enabled).then_some(DiscoveryStatus::Enabled),
        },
        DiscoveryStatus::Disabled => SessionConfigWrite {
            stamp_disabled_at: was == DiscoveryStatus::Enabled,
            own_discovery: Some(DiscoveryStatus::Disabled),
        },
    }
}

/// The configuration after `update` at `now`, with `write` from [`session_config_write`]:
/// status and (if given) mode replaced, `lastUpdatedAt` now; ENABLED sets `firstEnabledAt` if
/// absent and removes `disabledAt`; DISABLED stamps `disabledAt` as `write` says.
pub fn configured(
    current: &DiscoveryConfiguration,
    update: &ConfigurationUpdate,
    write: &SessionConfigWrite,
    now: i64,
) -> DiscoveryConfiguration {
    let mut next = DiscoveryConfiguration {
        status: update.status,
        mode: update.mode.unwrap_or(current.mode),
        last_updated_at: Some(now),
        ..*current
    };
    if update.status == DiscoveryStatus::Enabled {
        next.first_enabled_at = next.first_enabled_at.or(Some(now));
        next.disabled_at = None;
    }
    if write.stamp_disabled_at {
        next.disabled_at = Some(now);
    }
    next
}

/// The member writes of a configuration update: each member whose relationship is in
/// `applies_to` at the moment of its write gets `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberSweep {
    pub status: DiscoveryStatus,
    pub applies_to: &'static [RelationshipStatus],
}

/// The member writes of a configuration that is now `status` with `mode`: ENABLED with `ALL`
/// enables every `Enabled` member (a paused one keeps its status); ENABLED with `NEW` or `NONE`
/// writes none; DISABLED disables every associated member, paused ones included.
pub fn member_sweep(status: DiscoveryStatus, mode: AutoEnableMode) -> Option<MemberSweep> {
    match (status, mode) {
        (DiscoveryStatus::Enabled, AutoEnableMode::All) => {
            Some(MemberSweep { status, applies_to: &[RelationshipStatus::Enabled] })
        }
        (DiscoveryStatus::Enabled, _) => None,
        (DiscoveryStatus::Disabled, _) => {
            Some(MemberSweep { status, applies_to: &[RelationshipStatus::Enabled, RelationshipStatus::Paused] })
        }
    }
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

/// One page of an administrator's member records, ordered by account ID.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MemberPage {
    pub members: Vec<Member>,
    /// Whether listed records remain after the last one.
    pub more: bool,
}

impl MemberPage {
    /// The page of the first `limit` of `listed` (sorted, read one past the limit if there are).
    pub fn cut(mut listed: Vec<Member>, limit: usize) -> Self {
        let more = listed.len() > limit;
        listed.truncate(limit);
        Self { members: listed, more }
    }
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
    /// account must not be associated with any administrator ([`already_member`]). A `Removed`
    /// record of the administrator's is replaced. The member's discovery status is not the one
    /// given: it is the administrator's configuration's
    /// ([`DiscoveryConfiguration::new_member_status`]), read atomically with the write.
    async fn create_member(&self, member: &Member) -> Result<(), StoreError>;

    /// The administrator's member `account` ([`not_enabled`] first, then
    /// [`StoreError::NotFound`]).
    async fn get_member(&self, administrator: &AccountId, account: &AccountId) -> Result<Member, StoreError>;

    /// Removes the administrator's member record `account` (any status); an associated member's
    /// administrator claim is freed with it.
    async fn delete_member(&self, administrator: &AccountId, account: &AccountId) -> Result<(), StoreError>;

    /// Sets the relationship status of the administrator's associated member `account`
    /// ([`member_removed`] for a `Removed` one).
    async fn update_member_session(
        &self,
        administrator: &AccountId,
        account: &AccountId,
        relationship: RelationshipStatus,
        now: i64,
    ) -> Result<(), StoreError>;

    /// Sets the discovery status of each account the administrator covers (itself and its
    /// associated members), each only if not paused at the moment of its write. Returns one result per
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

    /// Deletes the account's session (its configuration and own discovery status with it) and
    /// every `Removed` member record of it, refused ([`disable_refusal`]) while a member is
    /// associated. A CreateMember racing it either is refused or makes it refused. Records of
    /// the account as another administrator's member are untouched.
    async fn disable_macie(&self, account: &AccountId) -> Result<(), StoreError>;

    /// Up to `limit` of the administrator's member records with IDs after `after`, ordered by
    /// ID: the associated ones, and the `Removed` ones too with `include_removed`
    /// ([`not_enabled`] without a session).
    async fn list_members(
        &self,
        administrator: &AccountId,
        include_removed: bool,
        after: Option<&AccountId>,
        limit: usize,
    ) -> Result<MemberPage, StoreError>;

    /// Disassociates the administrator's member `account` ([`disassociation`]): in one atomic
    /// write it becomes `Removed` with discovery `DISABLED` and `updated_at` now, and its
    /// administrator claim is freed. A `Removed` member is left as it is.
    async fn disassociate_member(
        &self,
        administrator: &AccountId,
        account: &AccountId,
        now: i64,
    ) -> Result<(), StoreError>;

    /// The administrator's automated discovery configuration ([`not_enabled`] without a session).
    async fn get_configuration(&self, administrator: &AccountId) -> Result<DiscoveryConfiguration, StoreError>;

    /// Applies `update` to the administrator's configuration and own status in one atomic write
    /// ([`session_config_write`], [`configured`]), then to its members ([`member_sweep`]), each
    /// member write conditional on the member's relationship at that moment. Returns once every
    /// write is done.
    async fn update_configuration(
        &self,
        administrator: &AccountId,
        update: &ConfigurationUpdate,
        now: i64,
    ) -> Result<(), StoreError>;
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

    fn is_conflict<T: std::fmt::Debug>(result: Result<T, StoreError>, words: &str) -> bool {
        matches!(result, Err(StoreError::Rule(ApiError::Conflict(m))) if m.contains(words))
    }

    #[test]
    fn disabling_needs_a_session_without_associated_members() {
        assert!(disable_refusal(true, 0).is_ok());
        assert!(is_conflict(disable_refusal(true, 3), "disassociate or delete them first"));
        for associated in [0, 3] {
            assert!(matches!(disable_refusal(false, associated), Err(StoreError::Rule(ApiError::AccessDenied(_)))));
        }
    }

    #[test]
    fn a_member_is_created_unless_associated_anywhere_and_replaces_a_removed_record() {
        use RelationshipStatus::{Enabled, Paused, Removed};
        let m = account("222222222222");
        assert!(!member_creation(&m, false, None).unwrap(), "a new record");
        assert!(member_creation(&m, false, Some(Removed)).unwrap(), "replaces the Removed record");
        for record in [None, Some(Removed), Some(Enabled), Some(Paused)] {
            assert!(is_conflict(member_creation(&m, true, record), "already a member"), "claimed, {record:?}");
        }
        for record in [Enabled, Paused] {
            assert!(is_conflict(member_creation(&m, false, Some(record)), "already a member"), "{record:?}");
        }
    }

    #[test]
    fn disassociating_writes_associated_members_and_leaves_removed_ones() {
        use RelationshipStatus::{Enabled, Paused, Removed};
        assert!(disassociation(true, Some(Enabled)).unwrap());
        assert!(disassociation(true, Some(Paused)).unwrap());
        assert!(!disassociation(true, Some(Removed)).unwrap(), "a no-op");
        assert!(matches!(disassociation(true, None), Err(StoreError::NotFound)));
        assert!(matches!(disassociation(false, Some(Enabled)), Err(StoreError::Rule(ApiError::AccessDenied(_)))));
    }

    #[test]
    fn a_removed_member_cannot_be_paused_or_resumed() {
        use RelationshipStatus::{Enabled, Paused, Removed};
        let m = account("222222222222");
        assert!(member_session_target(true, &m, Some(Enabled)).is_ok());
        assert!(member_session_target(true, &m, Some(Paused)).is_ok());
        assert!(is_conflict(member_session_target(true, &m, Some(Removed)), "Removed"));
        assert!(matches!(member_session_target(true, &m, None), Err(StoreError::NotFound)));
        assert!(matches!(
            member_session_target(false, &m, Some(Removed)),
            Err(StoreError::Rule(ApiError::AccessDenied(_)))
        ));
    }

    #[test]
    fn removed_members_are_neither_covered_nor_listed_unless_asked() {
        use RelationshipStatus::{Enabled, Paused, Removed};
        assert_eq!(discovery_outcome(member_coverage(Some(Enabled))), Ok(()));
        assert_eq!(discovery_outcome(member_coverage(Some(Paused))), Err(DiscoveryErrorCode::AccountPaused));
        assert_eq!(discovery_outcome(member_coverage(Some(Removed))), Err(DiscoveryErrorCode::AccountNotFound));
        assert_eq!(discovery_outcome(member_coverage(None)), Err(DiscoveryErrorCode::AccountNotFound));
        assert!(member_listed(Enabled, false) && member_listed(Paused, false) && !member_listed(Removed, false));
        assert!(member_listed(Enabled, true) && member_listed(Paused, true) && member_listed(Removed, true));
    }

    fn update(status: DiscoveryStatus, mode: Option<AutoEnableMode>) -> ConfigurationUpdate {
        ConfigurationUpdate { status, mode }
    }

    #[test]
    fn a_configuration_update_writes_the_callers_own_status_unless_enabling_while_paused() {
        use DiscoveryStatus::{Disabled, Enabled};
        let enable = update(Enabled, None);
        for was in [Enabled, Disabled] {
            assert_eq!(
                session_config_write(&enable, MacieStatus::Enabled, was),
                SessionConfigWrite { stamp_disabled_at: false, own_discovery: Some(Enabled) }
            );
            assert_eq!(
                session_config_write(&enable, MacieStatus::Paused, was),
                SessionConfigWrite { stamp_disabled_at: false, own_discovery: None }
            );
        }
        let disable = update(Disabled, None);
        for session in [MacieStatus::Enabled, MacieStatus::Paused] {
            assert_eq!(
                session_config_write(&disable, session, Enabled),
                SessionConfigWrite { stamp_disabled_at: true, own_discovery: Some(Disabled) }
            );
            assert_eq!(
                session_config_write(&disable, session, Disabled),
                SessionConfigWrite { stamp_disabled_at: false, own_discovery: Some(Disabled) }
            );
        }
    }

    #[test]
    fn configuration_timestamps_follow_the_status() {
        use DiscoveryStatus::{Disabled, Enabled};
        let fresh = DiscoveryConfiguration::default();
        let apply = |current: &DiscoveryConfiguration, u: ConfigurationUpdate, now| {
            configured(current, &u, &session_config_write(&u, MacieStatus::Enabled, current.status), now)
        };
        // Disabling a never-enabled configuration stamps no disabledAt.
        let c = apply(&fresh, update(Disabled, None), 10);
        assert_eq!(c, DiscoveryConfiguration { last_updated_at: Some(10), ..fresh });
        let c = apply(&c, update(Enabled, Some(AutoEnableMode::New)), 20);
        assert_eq!(
            (c.status, c.mode, c.first_enabled_at, c.disabled_at, c.last_updated_at),
            (Enabled, AutoEnableMode::New, Some(20), None, Some(20))
        );
        // Enabling again keeps firstEnabledAt and the stored mode.
        let c = apply(&c, update(Enabled, None), 30);
        assert_eq!((c.mode, c.first_enabled_at, c.last_updated_at), (AutoEnableMode::New, Some(20), Some(30)));
        let c = apply(&c, update(Disabled, None), 40);
        assert_eq!((c.status, c.first_enabled_at, c.disabled_at), (Disabled, Some(20), Some(40)));
        // Disabling again keeps disabledAt; enabling removes it.
        let c = apply(&c, update(Disabled, Some(AutoEnableMode::None)), 50);
        assert_eq!((c.mode, c.disabled_at, c.last_updated_at), (AutoEnableMode::None, Some(40), Some(50)));
        let c = apply(&c, update(Enabled, None), 60);
        assert_eq!((c.first_enabled_at, c.disabled_at), (Some(20), None));
    }

    #[test]
    fn the_member_writes_follow_status_and_mode() {
        use RelationshipStatus::{Enabled, Paused};
        let all = member_sweep(DiscoveryStatus::Enabled, AutoEnableMode::All).unwrap();
        assert_eq!((all.status, all.applies_to), (DiscoveryStatus::Enabled, &[Enabled][..]));
        assert_eq!(member_sweep(DiscoveryStatus::Enabled, AutoEnableMode::New), None);
        assert_eq!(member_sweep(DiscoveryStatus::Enabled, AutoEnableMode::None), None);
        for mode in [AutoEnableMode::All, AutoEnableMode::New, AutoEnableMode::None] {
            let off = member_sweep(DiscoveryStatus::Disabled, mode).unwrap();
            assert_eq!((off.status, off.applies_to), (DiscoveryStatus::Disabled, &[Enabled, Paused][..]));
        }
    }

    #[test]
    fn a_member_page_is_cut_at_the_limit() {
        let member = |id: &str| Member {
            administrator: account("111111111111"),
            account: account(id),
            email: Email::from_stored("m@example.com".into()),
            relationship: RelationshipStatus::Enabled,
            tags: Tags::default(),
            invited_at: 1,
            updated_at: 1,
            discovery: DiscoveryStatus::Disabled,
        };
        let three = vec![member("200000000001"), member("200000000002"), member("200000000003")];
        let page = MemberPage::cut(three.clone(), 2);
        assert_eq!((page.members, page.more), (three[..2].to_vec(), true));
        let page = MemberPage::cut(three.clone(), 3);
        assert_eq!((page.members.len(), page.more), (3, false));
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
