//! The port for OpenSearch packages and their scopes (issue #3).
//!
//! Both adapters give the same guarantees, held by `tests/tests/api/opensearch_conformance.rs`: a
//! package and its name are written together exactly once (names are unique per owner); only
//! the owner addresses a package (anyone else gets `NotFound`, as if it did not exist); every
//! scope change is one atomic write, so concurrent ADDs all survive and the 1000-user cap holds
//! exactly under concurrency; a package is visible to its owner and to the accounts its scope
//! lists (or everyone, with `GLOBAL`), and gone for all once deleted. Each UpdatePackage makes the
//! next version and writes its history entry in the same atomic write, so concurrent updates get
//! distinct, gap-free versions and lose neither an entry nor a concurrent scope change.

use std::ops::RangeInclusive;

use async_trait::async_trait;

use super::StoreError;
use crate::common::AccountId;
use crate::opensearch::domain::{
    DescriptionChange, EncryptionOptions, EngineVersion, Filter, FilterName, MAX_USERS, PackageConfiguration,
    PackageId, PackageName, PackageSource, PackageType, PackageUpdate, ScopeOperation, UserSet, too_many_users,
    vending_disabled,
};

/// The status of every stored package: nothing is copied or validated asynchronously here, so
/// a package is available as soon as it is written (docs/opensearch.md §1.1).
pub const STATUS_AVAILABLE: &str = "AVAILABLE";
/// The status DeletePackage answers with.
pub const STATUS_DELETED: &str = "DELETED";

/// A stored package. Its owner and ID are its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub owner: AccountId,
    pub id: PackageId,
    pub name: PackageName,
    pub package_type: PackageType,
    pub description: Option<String>,
    pub source: PackageSource,
    pub configuration: Option<PackageConfiguration>,
    pub engine_version: Option<EngineVersion>,
    pub vending_enabled: bool,
    pub encryption: Option<EncryptionOptions>,
    /// Epoch seconds.
    pub created_at: i64,
    /// Epoch seconds of the last scope change or UpdatePackage (the creation time before any).
    pub last_updated_at: i64,
    /// The package's scope: who besides the owner may see it.
    pub users: UserSet,
    /// Bumped by every write of the package (1 when created).
    pub version: u64,
    /// The package version (`AvailablePackageVersion` `v<n>`): 1 when created, bumped by each
    /// UpdatePackage only. Unlike [`Package::version`], it has no gaps: versions 1..=n all have
    /// a history entry.
    pub available_version: u64,
}

/// One entry of a package's version history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageVersion {
    /// The [`Package::available_version`] this entry is about.
    pub version: u64,
    /// Epoch seconds: the package's creation for version 1, else the UpdatePackage's
    /// `LastUpdatedAt`.
    pub created_at: i64,
    pub commit_message: Option<String>,
    /// The configuration in effect from this version on.
    pub configuration: Option<PackageConfiguration>,
}

impl Package {
    /// The package's value of a DescribePackages filter field, `None` if it has none.
    pub fn field(&self, name: FilterName) -> Option<&str> {
        match name {
            FilterName::PackageId => Some(self.id.as_str()),
            FilterName::PackageName => Some(self.name.as_str()),
            FilterName::PackageStatus => Some(STATUS_AVAILABLE),
            FilterName::PackageType => Some(self.package_type.as_str()),
            FilterName::EngineVersion => self.engine_version.as_ref().map(EngineVersion::as_str),
            FilterName::PackageOwner => Some(self.owner.as_str()),
        }
    }

    /// Whether `account` may see this package: it owns it, or the scope admits it.
    pub fn visible_to(&self, account: &AccountId) -> bool {
        self.owner == *account || self.users.admits(account)
    }
}

/// Refuses, before anything is read, a scope change that can never fit: ADD or OVERRIDE of more
/// than [`MAX_USERS`] users (REMOVE only shrinks the scope).
pub fn check_scope_request(operation: ScopeOperation, users: &UserSet) -> Result<(), StoreError> {
    if operation != ScopeOperation::Remove && users.len() > MAX_USERS {
        return Err(StoreError::Rule(too_many_users(users.len())));
    }
    Ok(())
}

/// Whether a scope change writes nothing: ADD or REMOVE of no users. Its answer is the package
/// as it is, once [`vendable`] accepts it. (OVERRIDE with no users clears the scope: a write.)
pub fn writes_nothing(operation: ScopeOperation, users: &UserSet) -> bool {
    users.is_empty() && operation != ScopeOperation::Override
}

/// The package `found` under `id`, if its scope may change: [`StoreError::NotFound`] when there is
/// none (for this owner), `DisabledOperation` when its vending is off.
pub fn vendable(id: &PackageId, found: Option<Package>) -> Result<Package, StoreError> {
    let package = found.ok_or(StoreError::NotFound)?;
    if !package.vending_enabled {
        return Err(StoreError::Rule(vending_disabled(id)));
    }
    Ok(package)
}

/// `current` after `operation` with `users` at `now`, as a scope write stores it: the new scope,
/// the next version, `last_updated_at` now. A scope over [`MAX_USERS`] is [`StoreError::Rule`].
pub fn rescoped(
    current: &Package,
    operation: ScopeOperation,
    users: &UserSet,
    now: i64,
) -> Result<Package, StoreError> {
    let next = operation.apply(&current.users, users).map_err(StoreError::Rule)?;
    Ok(Package { users: next, version: current.version + 1, last_updated_at: now, ..current.clone() })
}

/// Whether an ADD of `users` finds nothing to do on `current`: every user is in the scope
/// already and the package's last scope write completed its share entries (`pending` false).
/// Then nothing is written and `current` is the answer. A pending package is written again, so
/// that a write cut off between the package and its share entries is repaired by the next
/// (the caller's retry).
pub fn add_is_no_op(current: &Package, pending: bool, users: &UserSet) -> bool {
    !pending && users.iter().all(|user| current.users.contains(user))
}

/// The share entries a scope write brings up to date, from the package before it (`old`, with
/// `pending` when the write before it did not complete its entries) and after it (`new`):
/// `(put, delete)`. Put: the users it added, or every user of `new` when `old` was pending.
/// Delete: the users it took out of the scope, and for REMOVE every user it names (an entry left
/// by a cut-off write is removed by the retry).
pub fn share_changes(
    old: &Package,
    pending: bool,
    new: &Package,
    operation: ScopeOperation,
    users: &UserSet,
) -> (UserSet, UserSet) {
    let put = if pending { new.users.clone() } else { new.users.difference(&old.users) };
    let delete = match operation {
        ScopeOperation::Remove => users.clone(),
        ScopeOperation::Add | ScopeOperation::Override => old.users.difference(&new.users),
    };
    (put, delete)
}

/// The history entry of a new package's first version.
pub fn first_version(package: &Package) -> PackageVersion {
    PackageVersion {
        version: package.available_version,
        created_at: package.created_at,
        commit_message: None,
        configuration: package.configuration.clone(),
    }
}

/// `current` after UpdatePackage `update` at `now`, and the history entry of its new version:
/// the next package version (also when nothing else differs), the next write version,
/// `last_updated_at` now, the new source, and the description, configuration and encryption
/// options where the update gives them. Never the scope, name, type, owner, vending or creation
/// time (docs/opensearch.md §6.3).
pub fn updated(current: &Package, update: &PackageUpdate, now: i64) -> (Package, PackageVersion) {
    let description = match &update.description {
        DescriptionChange::Keep => current.description.clone(),
        DescriptionChange::Remove => None,
        DescriptionChange::Set(description) => Some(description.clone()),
    };
    let next = Package {
        source: update.source.clone(),
        description,
        configuration: update.configuration.clone().or_else(|| current.configuration.clone()),
        encryption: update.encryption.clone().or_else(|| current.encryption.clone()),
        last_updated_at: now,
        version: current.version + 1,
        available_version: current.available_version + 1,
        ..current.clone()
    };
    let entry = PackageVersion {
        version: next.available_version,
        created_at: now,
        commit_message: update.commit_message.clone(),
        configuration: next.configuration.clone(),
    };
    (next, entry)
}

/// The versions a history page may hold: those below `before` (the page's cursor), all of them
/// without one. Empty when `before` is 1 or 0.
pub fn history_versions(before: Option<u64>) -> RangeInclusive<u64> {
    match before {
        // `1..=0` is empty.
        Some(before) => 1..=before.saturating_sub(1),
        None => 1..=u64::MAX,
    }
}

/// Where the history page after `page` (newest first) starts: below its last version, unless
/// that is version 1, the oldest. The history has no gaps, so a page that ends above version 1
/// has more after it (docs/opensearch.md §7.4).
pub fn next_before(page: &[PackageVersion]) -> Option<u64> {
    page.last().map(|entry| entry.version).filter(|version| *version > 1)
}

/// One DescribePackages page as the store reads it (docs/opensearch.md §3): the packages visible
/// to the caller with an ID after `after`, in package-ID order, that every filter admits, and
/// no more than [`Listing::wanted`] of them: the page and one more, which tells that a next page
/// exists. A page costs the page (and what the filters pass over), not every visible package.
#[derive(Debug, Clone, Copy)]
pub struct Listing<'a> {
    pub after: Option<&'a str>,
    pub limit: usize,
    pub filters: &'a [Filter],
}

impl Listing<'_> {
    /// How many packages the store returns at most: the page and one more.
    pub fn wanted(&self) -> usize {
        self.limit + 1
    }

    /// Whether package ID `id` comes after the cursor.
    pub fn follows(&self, id: &str) -> bool {
        self.after.is_none_or(|after| id > after)
    }

    /// Whether `package`, which `caller` may see, belongs on the page: after the cursor and
    /// admitted by every filter.
    pub fn admits(&self, package: &Package) -> bool {
        self.follows(package.id.as_str()) && self.filters.iter().all(|f| f.matches(package.field(f.name)))
    }
}

/// Whether a share entry of `owner`'s package names a package `caller` may see through it: the
/// caller's own packages are listed from its own, never through an entry, and an entry may be
/// stale, so the package's own scope decides (`package.users.admits`).
pub fn shared_candidate(caller: &AccountId, owner: &str) -> bool {
    owner != caller.as_str()
}

/// Persistence of OpenSearch packages.
///
/// Errors: [`StoreError::NotFound`] for a package the caller does not own (or that does not
/// exist); [`StoreError::Rule`] with `ResourceAlreadyExists` (name taken), `DisabledOperation`
/// (vending off) or `Validation` (scope over 1000 users); [`StoreError::Contention`] when
/// optimistic retries run out; throttling and backend failures as usual.
#[async_trait]
pub trait PackageStore: Send + Sync {
    /// Creates `package` unless its owner already has a package named `package.name`.
    async fn create_package(&self, package: &Package) -> Result<(), StoreError>;

    /// `owner`'s package `id`, if it has one (strongly consistent).
    async fn get_package(&self, owner: &AccountId, id: &PackageId) -> Result<Option<Package>, StoreError>;

    /// Applies `operation` with `users` to the scope of `owner`'s package `id` in one atomic
    /// write, and returns the package as written. The package must have vending enabled; the
    /// result may hold at most 1000 users. ADD or REMOVE with no users writes nothing.
    async fn update_package_scope(
        &self,
        owner: &AccountId,
        id: &PackageId,
        operation: ScopeOperation,
        users: &UserSet,
        now: i64,
    ) -> Result<Package, StoreError>;

    /// The packages of `listing` (see [`Listing`]) among those `caller` may see: its own, and those
    /// whose scope lists it or `GLOBAL`; each once, in package-ID order.
    async fn visible_page(&self, caller: &AccountId, listing: &Listing<'_>) -> Result<Vec<Package>, StoreError>;

    /// Deletes `owner`'s package `id`, freeing its name, and returns it as it was. Its history
    /// goes with it.
    async fn delete_package(&self, owner: &AccountId, id: &PackageId) -> Result<Package, StoreError>;

    /// Applies UpdatePackage `update` ([`updated`]) to `owner`'s package `update.package_id` in one
    /// atomic write together with the new version's history entry, and returns the package as
    /// written. A concurrent scope change is kept (the update writes no users); concurrent
    /// updates each get their own version.
    async fn update_package(&self, owner: &AccountId, update: &PackageUpdate, now: i64) -> Result<Package, StoreError>;

    /// At most `limit` entries of the version history of `owner`'s package `id`, newest first,
    /// of the versions in [`history_versions`]`(before)`. [`StoreError::NotFound`] when `owner` has
    /// no package `id`, whatever history is left.
    async fn package_history(
        &self,
        owner: &AccountId,
        id: &PackageId,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<PackageVersion>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;
    use crate::opensearch::domain::ScopeOperation::{Add, Override, Remove};
    use crate::opensearch::domain::{PackageUser, Requirement};

    fn users(items: &[&str]) -> UserSet {
        UserSet::from_stored(items.iter().copied()).expect("users")
    }

    /// `n` distinct accounts from `base`.
    fn accounts(base: u64, n: u64) -> UserSet {
        (base..base + n).map(|i| format!("{i:012}")).map(|a| PackageUser::new(&a).expect("user")).collect()
    }

    fn package(vending: bool, scope: &[&str]) -> Package {
        Package {
            owner: AccountId::parse("111122223333").expect("account"),
            id: PackageId::generate(),
            name: PackageName::new("dictionary").expect("name"),
            package_type: PackageType::TxtDictionary,
            description: None,
            source: PackageSource { bucket: "bucket".into(), key: "key".into() },
            configuration: None,
            engine_version: None,
            vending_enabled: vending,
            encryption: None,
            created_at: 10,
            last_updated_at: 20,
            users: users(scope),
            version: 3,
            available_version: 2,
        }
    }

    fn over_cap(result: Result<impl std::fmt::Debug, StoreError>) -> String {
        match result {
            Err(StoreError::Rule(ApiError::Validation(message))) => message,
            other => panic!("expected the cap's ValidationException, got {other:?}"),
        }
    }

    #[test]
    fn a_listing_takes_what_follows_its_cursor_and_passes_its_filters() {
        let p = package(true, &[]);
        let none = Listing { after: None, limit: 10, filters: &[] };
        assert!(none.admits(&p));
        assert_eq!(none.wanted(), 11, "one more than the page tells a next page exists");
        let after = Listing { after: Some(p.id.as_str()), limit: 10, filters: &[] };
        assert!(!after.admits(&p), "the cursor's own package is on the previous page");
        let before = Listing { after: Some("F0"), limit: 10, filters: &[] };
        assert!(before.admits(&p));
        let caller = AccountId::parse("111122223333").expect("account");
        assert!(!shared_candidate(&caller, "111122223333"), "the caller's own are listed as its own");
        assert!(shared_candidate(&caller, "444455556666"));
    }

    #[test]
    fn an_add_of_present_users_writes_nothing_unless_the_entries_are_pending() {
        let p = package(true, &["111111111111", "GLOBAL"]);
        assert!(add_is_no_op(&p, false, &users(&["GLOBAL"])));
        assert!(!add_is_no_op(&p, true, &users(&["GLOBAL"])), "a cut-off write is repaired by the retry");
        assert!(!add_is_no_op(&p, false, &users(&["GLOBAL", "222222222222"])));
    }

    #[test]
    fn a_scope_write_puts_the_added_entries_and_deletes_the_removed_ones() {
        let old = package(true, &["111111111111", "222222222222"]);
        let add = users(&["222222222222", "333333333333"]);
        let new = rescoped(&old, Add, &add, 30).unwrap();
        assert_eq!(share_changes(&old, false, &new, Add, &add), (users(&["333333333333"]), users(&[])));
        let all = users(&["111111111111", "222222222222", "333333333333"]);
        assert_eq!(share_changes(&old, true, &new, Add, &add), (all, users(&[])), "pending: every entry again");
        let remove = users(&["222222222222", "999999999999"]);
        let new = rescoped(&old, Remove, &remove, 30).unwrap();
        assert_eq!(share_changes(&old, false, &new, Remove, &remove), (users(&[]), remove.clone()));
        let over = users(&["333333333333"]);
        let new = rescoped(&old, Override, &over, 30).unwrap();
        assert_eq!(share_changes(&old, false, &new, Override, &over), (over.clone(), old.users.clone()));
    }

    #[test]
    fn a_request_over_the_cap_is_refused_unless_it_removes() {
        let too_many = accounts(500_000_000_000, 1001);
        assert!(over_cap(check_scope_request(Add, &too_many)).contains("1001 users"));
        assert!(over_cap(check_scope_request(Override, &too_many)).contains("1001 users"));
        check_scope_request(Remove, &too_many).expect("REMOVE can only shrink");
        check_scope_request(Add, &accounts(500_000_000_000, 1000)).expect("1000 fit");
    }

    #[test]
    fn only_add_and_remove_of_no_users_write_nothing() {
        assert!(writes_nothing(Add, &UserSet::default()));
        assert!(writes_nothing(Remove, &UserSet::default()));
        assert!(!writes_nothing(Override, &UserSet::default()), "OVERRIDE [] clears the scope");
        for op in [Add, Remove, Override] {
            assert!(!writes_nothing(op, &users(&["444455556666"])));
        }
    }

    #[test]
    fn only_an_existing_package_with_vending_on_is_vendable() {
        let on = package(true, &[]);
        assert_eq!(vendable(&on.id, Some(on.clone())).unwrap(), on);
        assert!(matches!(vendable(&on.id, None), Err(StoreError::NotFound)));
        let off = package(false, &[]);
        assert!(matches!(vendable(&off.id, Some(off.clone())), Err(StoreError::Rule(ApiError::DisabledOperation(_)))));
    }

    #[test]
    fn a_scope_write_applies_the_operation_and_bumps_version_and_time() {
        let current = package(true, &["444455556666", "GLOBAL"]);
        let added = rescoped(&current, Add, &users(&["777788889999"]), 99).unwrap();
        assert_eq!(added.users, users(&["444455556666", "777788889999", "GLOBAL"]));
        assert_eq!((added.version, added.last_updated_at, added.created_at), (4, 99, 10));
        let removed = rescoped(&current, Remove, &users(&["GLOBAL", "000000000001"]), 99).unwrap();
        assert_eq!(removed.users, users(&["444455556666"]));
        let replaced = rescoped(&current, Override, &UserSet::default(), 99).unwrap();
        assert!(replaced.users.is_empty());
        assert_eq!(Package { users: current.users.clone(), version: 3, last_updated_at: 20, ..replaced }, current);
    }

    fn update(description: DescriptionChange) -> PackageUpdate {
        PackageUpdate {
            package_id: PackageId::generate(),
            source: PackageSource { bucket: "new-bucket".into(), key: "new-key".into() },
            description,
            commit_message: None,
            configuration: None,
            encryption: None,
        }
    }

    fn configuration(requirement: Requirement) -> PackageConfiguration {
        PackageConfiguration {
            license_requirement: requirement,
            license_filepath: None,
            configuration_requirement: Requirement::None,
            requires_restart: None,
        }
    }

    #[test]
    fn a_new_package_starts_its_history_at_its_creation() {
        let mut created = package(true, &[]);
        created.available_version = 1;
        created.configuration = Some(configuration(Requirement::Optional));
        let entry = first_version(&created);
        assert_eq!(
            entry,
            PackageVersion {
                version: 1,
                created_at: 10,
                commit_message: None,
                configuration: Some(configuration(Requirement::Optional)),
            }
        );
    }

    #[test]
    fn an_update_makes_the_next_version_and_changes_only_what_it_may() {
        let mut current = package(true, &["444455556666", "GLOBAL"]);
        current.description = Some("old".into());
        current.configuration = Some(configuration(Requirement::Required));
        current.encryption = Some(EncryptionOptions { enabled: true, kms_key_identifier: None });

        // Nothing but the source given: the rest is kept, the version moves on all the same.
        let (next, entry) = updated(&current, &update(DescriptionChange::Keep), 99);
        assert_eq!((next.available_version, next.version, next.last_updated_at), (3, 4, 99));
        assert_eq!(next.source, PackageSource { bucket: "new-bucket".into(), key: "new-key".into() });
        assert_eq!(
            Package { source: current.source.clone(), version: 3, available_version: 2, last_updated_at: 20, ..next },
            current,
            "scope, name, type, owner, vending, creation time, description, configuration and encryption stay"
        );
        assert_eq!(
            entry,
            PackageVersion {
                version: 3,
                created_at: 99,
                commit_message: None,
                configuration: Some(configuration(Requirement::Required)),
            },
            "the entry carries the configuration in effect"
        );

        // Everything given: replaced whole; "" removes the description.
        let mut all = update(DescriptionChange::Remove);
        all.commit_message = Some("new synonyms".into());
        all.configuration = Some(configuration(Requirement::None));
        all.encryption = Some(EncryptionOptions { enabled: false, kms_key_identifier: Some("k".into()) });
        let (next, entry) = updated(&current, &all, 99);
        assert_eq!(next.description, None);
        assert_eq!(next.configuration, Some(configuration(Requirement::None)));
        assert_eq!(next.encryption, all.encryption);
        assert_eq!(next.users, current.users);
        assert_eq!(entry.commit_message.as_deref(), Some("new synonyms"));
        assert_eq!(entry.configuration, Some(configuration(Requirement::None)));
        let (next, _) = updated(&current, &update(DescriptionChange::Set("new".into())), 99);
        assert_eq!(next.description.as_deref(), Some("new"));
    }

    #[test]
    fn history_pages_go_down_to_version_1() {
        assert_eq!(history_versions(None), 1..=u64::MAX);
        assert_eq!(history_versions(Some(5)), 1..=4);
        assert!(history_versions(Some(1)).is_empty());
        assert!(history_versions(Some(0)).is_empty());
        let entry = |version| PackageVersion { version, created_at: 0, commit_message: None, configuration: None };
        assert_eq!(next_before(&[entry(7), entry(6)]), Some(6));
        assert_eq!(next_before(&[entry(2), entry(1)]), None, "version 1 is the last");
        assert_eq!(next_before(&[entry(1)]), None);
        assert_eq!(next_before(&[]), None);
    }

    #[test]
    fn a_scope_write_over_the_cap_is_refused_with_the_resulting_count() {
        let mut full = package(true, &[]);
        full.users = accounts(500_000_000_000, 1000);
        assert!(over_cap(rescoped(&full, Add, &users(&["GLOBAL"]), 99)).contains("1001 users"));
        // Users already in the scope fit.
        let same = rescoped(&full, Add, &users(&["500000000000"]), 99).expect("overlap fits");
        assert_eq!(same.users.len(), 1000);
    }
}
