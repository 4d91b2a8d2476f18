//! The port for OpenSearch packages and their scopes (issue #3).
//!
//! Both adapters give the same guarantees, held by `tests/tests/api/opensearch_conformance.rs`: a
//! package and its name are written together exactly once (names are unique per owner); only
//! the owner addresses a package (anyone else gets `NotFound`, as if it did not exist); every
//! scope change is one atomic write, so concurrent ADDs all survive and the 1000-user cap holds
//! exactly under concurrency; a package is visible to its owner and to the accounts its scope
//! lists (or everyone, with `GLOBAL`), and gone for all once deleted.

use std::collections::BTreeSet;

use async_trait::async_trait;

use super::StoreError;
use crate::common::AccountId;
use crate::opensearch::domain::{
    EncryptionOptions, EngineVersion, FilterName, MAX_USERS, PackageConfiguration, PackageId, PackageName,
    PackageSource, PackageType, ScopeOperation, UserSet, too_many_users, vending_disabled,
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
    /// Epoch seconds of the last scope change (the creation time before any).
    pub last_updated_at: i64,
    /// The package's scope: who besides the owner may see it.
    pub users: UserSet,
    /// Bumped by every write of the package (1 when created).
    pub version: u64,
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

/// The packages shared with `caller` that its share entries point to (`(owner, package ID)` of the
/// entries for it and for `GLOBAL`): each once, in order, without the caller's own (listed
/// already). An entry may be stale: the package's own scope decides whether it is visible.
pub fn shared_with(
    caller: &AccountId,
    entries: impl IntoIterator<Item = (String, String)>,
) -> BTreeSet<(String, String)> {
    entries.into_iter().filter(|(owner, _)| owner != caller.as_str()).collect()
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

    /// Every package `caller` may see: its own, and those whose scope lists it or `GLOBAL`. In no
    /// particular order.
    async fn packages_visible_to(&self, caller: &AccountId) -> Result<Vec<Package>, StoreError>;

    /// Deletes `owner`'s package `id`, freeing its name, and returns it as it was.
    async fn delete_package(&self, owner: &AccountId, id: &PackageId) -> Result<Package, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;
    use crate::opensearch::domain::PackageUser;
    use crate::opensearch::domain::ScopeOperation::{Add, Override, Remove};

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
        }
    }

    fn over_cap(result: Result<impl std::fmt::Debug, StoreError>) -> String {
        match result {
            Err(StoreError::Rule(ApiError::Validation(message))) => message,
            other => panic!("expected the cap's ValidationException, got {other:?}"),
        }
    }

    #[test]
    fn shared_packages_are_listed_once_and_never_the_callers_own() {
        let caller = AccountId::parse("111122223333").expect("account");
        let entry = |owner: &str, id: &str| (owner.to_owned(), id.to_owned());
        let entries = [
            entry("444455556666", "pkg-b"),
            entry("111122223333", "mine"),
            entry("444455556666", "pkg-a"),
            // The same package through a direct entry and a GLOBAL one.
            entry("444455556666", "pkg-b"),
        ];
        let shared: Vec<_> = shared_with(&caller, entries).into_iter().collect();
        assert_eq!(shared, [entry("444455556666", "pkg-a"), entry("444455556666", "pkg-b")]);
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
