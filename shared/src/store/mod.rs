//! The store port: what the operations need from persistence, and its two adapters.
//!
//! Both adapters give the same guarantees, held by one conformance suite
//! (`tests/tests/api/nfm_conformance.rs`): a scope and its client token are written together exactly
//! once; an account never has two scopes; concurrent updates lose nothing (target changes, tags
//! set and tags removed alike) and the tag cap holds under concurrency; replayed tokens are
//! honoured for 24 hours and ignored after.

pub mod dynamodb;
#[cfg(feature = "embedded")]
pub mod embedded;
pub mod macie;
pub mod packages;

pub use macie::MacieStore;
pub use packages::PackageStore;

use async_trait::async_trait;

use crate::common::{AccountId, TagKeys, Tags};
use crate::error::ApiError;
use crate::nfm::domain::{MAX_TARGETS, TargetChanges, TargetSet};

/// How long a client token is remembered (docs/network-flow-monitor.md §2.3).
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

/// Whether a token recorded with `expires_at` is still remembered at `now` (docs/network-flow-monitor.md §2.3): live while
/// `now < expires_at`.
pub fn token_live(expires_at: i64, now: i64) -> bool {
    now < expires_at
}

/// CreateScope's answer when its client token is live and was recorded with `seen_fingerprint`
/// for the scope `seen_scope_id`: the same request is a replay of that scope, any other is
/// [`StoreError::TokenMismatch`].
pub fn replay(token: &TokenRecord, seen_fingerprint: &str, seen_scope_id: &str) -> Result<CreateOutcome, StoreError> {
    if seen_fingerprint == token.fingerprint {
        Ok(CreateOutcome::Replayed(seen_scope_id.to_owned()))
    } else {
        Err(StoreError::TokenMismatch)
    }
}

/// The account's scope `found`, if it is the scope `scope_id`; else [`StoreError::NotFound`].
pub fn scope_named(found: Option<Scope>, scope_id: &str) -> Result<Scope, StoreError> {
    found.filter(|scope| scope.scope_id == scope_id).ok_or(StoreError::NotFound)
}

/// What UpdateScope writes over `current`: `None` when `changes` leave its targets as they are
/// (nothing is written and `current` is the answer), else the scope to write, at the next version.
/// A change that breaks a domain rule (empty scope, quota) is [`StoreError::Rule`].
pub fn updated_scope(current: &Scope, changes: &TargetChanges) -> Result<Option<Scope>, StoreError> {
    let targets = changes.apply(&current.targets).map_err(StoreError::Rule)?;
    if targets == current.targets {
        return Ok(None);
    }
    Ok(Some(Scope { targets, version: current.version + 1, ..current.clone() }))
}

/// UpdateScope's write over `current`, conditioned on exactly the facts of `current` its outcome
/// depends on, so that writers changing other targets of the same scope never invalidate it:
/// the membership of each target it names, and the scope's size within the bounds that keep the
/// result from 1 to 1000 targets. From [`target_write`]; `None` there when nothing changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetWrite {
    /// Keys to add: targets of `resourcesToAdd` not in the scope, which must still be absent.
    pub add: Vec<String>,
    /// Keys to remove: targets of `resourcesToDelete` in the scope, which must still be there.
    pub remove: Vec<String>,
    /// Keys named by the request that it leaves as they are, and that must stay so: added targets
    /// already there (present), deleted targets not there (absent).
    pub stay_present: Vec<String>,
    pub stay_absent: Vec<String>,
    /// The scope's target count before the write must be within these bounds (inclusive), so
    /// that the result has 1 to 1000 targets whatever others wrote to other targets meanwhile.
    pub min_size: usize,
    pub max_size: usize,
    /// The whole result as computed from `current`, for a write of the whole set (when the
    /// per-target conditions do not fit in one expression).
    pub next: Scope,
}

/// What UpdateScope writes over `current` (see [`TargetWrite`]): `None` when `changes` leave its
/// targets as they are; a change that breaks a domain rule is [`StoreError::Rule`].
pub fn target_write(current: &Scope, changes: &TargetChanges) -> Result<Option<TargetWrite>, StoreError> {
    let Some(next) = updated_scope(current, changes)? else { return Ok(None) };
    let (mut add, mut stay_present) = (Vec::new(), Vec::new());
    for target in changes.add.iter() {
        let into = if current.targets.contains(target) { &mut stay_present } else { &mut add };
        into.push(target.key());
    }
    let (mut remove, mut stay_absent) = (Vec::new(), Vec::new());
    for target in changes.delete.iter() {
        let into = if current.targets.contains(target) { &mut remove } else { &mut stay_absent };
        into.push(target.key());
    }
    // after = before + |add| - |remove|, which must be within 1..=MAX_TARGETS.
    let min_size = (1 + remove.len()).saturating_sub(add.len());
    let max_size = (MAX_TARGETS + remove.len()).saturating_sub(add.len());
    Ok(Some(TargetWrite { add, remove, stay_present, stay_absent, min_size, max_size, next }))
}

/// What TagResource writes over `current`: `None` when `tags` is empty (nothing is written and
/// `current` is the answer), else the scope with each of `tags` set (others kept) at the next
/// version. More than 200 resulting tags is [`StoreError::Rule`] (docs/network-flow-monitor.md §7.3).
pub fn tagged_scope(current: &Scope, tags: &Tags) -> Result<Option<Scope>, StoreError> {
    if tags.is_empty() {
        return Ok(None);
    }
    let tags = current.tags.merged(tags).map_err(StoreError::Rule)?;
    Ok(Some(Scope { tags, version: current.version + 1, ..current.clone() }))
}

/// What UntagResource writes over `current`: `None` when `keys` is empty, else the scope
/// without those tags (absent keys ignored) at the next version.
pub fn untagged_scope(current: &Scope, keys: &TagKeys) -> Option<Scope> {
    (!keys.is_empty()).then(|| Scope {
        tags: current.tags.without(keys),
        version: current.version + 1,
        ..current.clone()
    })
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

    /// Sets `tags` on the account's scope `scope_id` (each key to its value, the other tags kept)
    /// atomically against concurrent writers, and returns the scope as written; empty `tags`
    /// writes nothing. A result over 200 tags is [`StoreError::Rule`] and changes nothing.
    async fn tag_scope(&self, account: &AccountId, scope_id: &str, tags: &Tags) -> Result<Scope, StoreError>;

    /// Removes `keys` from the tags of the account's scope `scope_id` (absent keys are ignored)
    /// atomically against concurrent writers, and returns the scope as written; empty `keys`
    /// writes nothing.
    async fn untag_scope(&self, account: &AccountId, scope_id: &str, keys: &TagKeys) -> Result<Scope, StoreError>;
}

/// Every port at once: what an adapter implements and what [`crate::App`] is built from.
pub trait Store: ScopeStore + PackageStore + MacieStore {}

impl<T: ScopeStore + PackageStore + MacieStore> Store for T {}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(keys: &[&str]) -> TargetSet {
        TargetSet::from_keys(keys.iter().copied()).expect("targets")
    }

    fn scope(keys: &[&str]) -> Scope {
        Scope {
            account: AccountId::parse("111122223333").expect("account"),
            scope_id: "scope-1".into(),
            targets: targets(keys),
            tags: Tags::default(),
            version: 7,
        }
    }

    fn token(fingerprint: &str) -> TokenRecord {
        TokenRecord { token: "t".into(), fingerprint: fingerprint.into(), scope_id: "new".into(), expires_at: 100 }
    }

    #[test]
    fn a_token_is_live_until_it_expires() {
        assert!(token_live(100, 99));
        assert!(!token_live(100, 100), "forgotten at its expiry second");
        assert!(!token_live(100, 101));
    }

    #[test]
    fn the_same_request_replays_the_first_scope_and_another_is_a_mismatch() {
        assert_eq!(replay(&token("fp"), "fp", "first").unwrap(), CreateOutcome::Replayed("first".into()));
        assert!(matches!(replay(&token("fp"), "other", "first"), Err(StoreError::TokenMismatch)));
    }

    #[test]
    fn only_the_named_scope_is_found() {
        let found = scope(&["111122223333/us-east-1"]);
        assert_eq!(scope_named(Some(found.clone()), "scope-1").unwrap(), found);
        assert!(matches!(scope_named(Some(found), "scope-2"), Err(StoreError::NotFound)));
        assert!(matches!(scope_named(None, "scope-1"), Err(StoreError::NotFound)));
    }

    #[test]
    fn an_update_that_changes_nothing_writes_nothing() {
        let current = scope(&["111122223333/us-east-1", "444455556666/eu-west-1"]);
        // Adding a present target and deleting an absent one leave the targets as they are.
        let same =
            TargetChanges { add: targets(&["111122223333/us-east-1"]), delete: targets(&["777788889999/us-east-1"]) };
        assert_eq!(updated_scope(&current, &same).unwrap(), None);
    }

    #[test]
    fn the_target_write_is_conditioned_on_the_targets_it_names_and_the_size_bounds() {
        let current = scope(&["111122223333/us-east-1", "444455556666/eu-west-1"]);
        let changes = TargetChanges {
            add: targets(&["111122223333/us-east-1", "777788889999/us-east-1", "777788889999/eu-west-1"]),
            delete: targets(&["444455556666/eu-west-1", "999999999999/us-east-1"]),
        };
        let write = target_write(&current, &changes).unwrap().expect("a change");
        assert_eq!(write.add, ["777788889999/eu-west-1", "777788889999/us-east-1"]);
        assert_eq!(write.remove, ["444455556666/eu-west-1"]);
        assert_eq!(write.stay_present, ["111122223333/us-east-1"]);
        assert_eq!(write.stay_absent, ["999999999999/us-east-1"]);
        // before + 2 - 1 must be 1..=1000: before is 0..=999.
        assert_eq!((write.min_size, write.max_size), (0, 999));
        assert_eq!(write.next.targets.len(), 3);
        assert_eq!(write.next.version, 8);
        // Removals only: at least one target must remain.
        let delete = TargetChanges { add: TargetSet::default(), delete: targets(&["444455556666/eu-west-1"]) };
        let write = target_write(&current, &delete).unwrap().expect("a change");
        assert_eq!((write.min_size, write.max_size), (2, 1001));
        // Nothing to change, nothing to write; a broken rule is refused before any write.
        let same = TargetChanges { add: targets(&["111122223333/us-east-1"]), delete: TargetSet::default() };
        assert_eq!(target_write(&current, &same).unwrap(), None);
        let all = TargetChanges {
            add: TargetSet::default(),
            delete: targets(&["111122223333/us-east-1", "444455556666/eu-west-1"]),
        };
        assert!(matches!(target_write(&current, &all), Err(StoreError::Rule(_))));
    }

    #[test]
    fn an_update_writes_the_changed_targets_at_the_next_version() {
        let current = scope(&["111122223333/us-east-1", "444455556666/eu-west-1"]);
        let changes =
            TargetChanges { add: targets(&["777788889999/us-east-1"]), delete: targets(&["444455556666/eu-west-1"]) };
        let next = updated_scope(&current, &changes).unwrap().expect("a write");
        assert_eq!(next.targets, targets(&["111122223333/us-east-1", "777788889999/us-east-1"]));
        assert_eq!(next.version, 8);
        assert_eq!((next.account, next.scope_id, next.tags), (current.account, current.scope_id, current.tags));
    }

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        Tags::parse("tags", Some(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()))
            .expect("tags")
    }

    #[test]
    fn tagging_merges_at_the_next_version_and_an_empty_request_writes_nothing() {
        let current = Scope { tags: tags(&[("a", "1"), ("b", "2")]), ..scope(&["111122223333/us-east-1"]) };
        let next = tagged_scope(&current, &tags(&[("b", "3"), ("c", "4")])).unwrap().expect("a write");
        assert_eq!(next.tags, tags(&[("a", "1"), ("b", "3"), ("c", "4")]));
        assert_eq!(next.version, 8);
        assert_eq!((&next.targets, &next.scope_id), (&current.targets, &current.scope_id), "tags only");
        assert_eq!(tagged_scope(&current, &Tags::default()).unwrap(), None);
    }

    #[test]
    fn tagging_past_200_tags_is_refused() {
        let full: Vec<(String, String)> = (0..200).map(|i| (format!("k{i}"), String::new())).collect();
        let current =
            Scope { tags: Tags::from_stored(full.into_iter().collect()), ..scope(&["111122223333/us-east-1"]) };
        assert!(tagged_scope(&current, &tags(&[("k7", "overwritten")])).unwrap().is_some(), "overwriting fits");
        assert!(matches!(
            tagged_scope(&current, &tags(&[("new", "")])),
            Err(StoreError::Rule(ApiError::Validation(_)))
        ));
    }

    #[test]
    fn untagging_removes_present_keys_at_the_next_version() {
        let current = Scope { tags: tags(&[("a", "1"), ("b", "2")]), ..scope(&["111122223333/us-east-1"]) };
        let keys = TagKeys::parse("tagKeys", ["a", "absent"]).unwrap();
        let next = untagged_scope(&current, &keys).expect("a write");
        assert_eq!((next.tags, next.version), (tags(&[("b", "2")]), 8));
        assert_eq!(untagged_scope(&current, &TagKeys::default()), None);
    }

    #[test]
    fn an_update_that_breaks_a_domain_rule_is_refused() {
        let current = scope(&["111122223333/us-east-1"]);
        let empty = TargetChanges { add: TargetSet::default(), delete: targets(&["111122223333/us-east-1"]) };
        assert!(matches!(updated_scope(&current, &empty), Err(StoreError::Rule(ApiError::Validation(_)))));
    }
}
