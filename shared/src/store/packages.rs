//! The port for OpenSearch packages and their scopes (issue #3).
//!
//! Both adapters give the same guarantees, held by `tests/tests/opensearch_conformance.rs`: a
//! package and its name are written together exactly once (names are unique per owner); only
//! the owner addresses a package (anyone else gets `NotFound`, as if it did not exist); every
//! scope change is one atomic write, so concurrent ADDs all survive and the 1000-user cap holds
//! exactly under concurrency; a package is visible to its owner and to the accounts its scope
//! lists (or everyone, with `GLOBAL`), and gone for all once deleted.

use async_trait::async_trait;

use super::StoreError;
use crate::common::AccountId;
use crate::opensearch::domain::{
    EncryptionOptions, EngineVersion, FilterName, PackageConfiguration, PackageId, PackageName, PackageSource,
    PackageType, ScopeOperation, UserSet,
};

/// The status of every stored package: nothing is copied or validated asynchronously here, so
/// a package is available as soon as it is written (B.3.1).
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
