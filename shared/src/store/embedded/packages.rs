//! OpenSearch packages in the embedded store.
//!
//! | table | key | value |
//! |---|---|---|
//! | `packages` | `<owner>/<id>` | JSON of [`StoredPackage`] |
//! | `package_names` | `<owner>/<name>` | package ID |
//! | `package_shares` | `<user>/<id>` (user: account or `GLOBAL`) | owner |
//! | `package_versions` | `<owner>/<id>/<version, 20 digits>` | JSON of [`StoredVersion`] |
//!
//! A package, its name, its share entries and its history change in one write transaction, so
//! names are unique, the cap is exact, versions have no gaps and the share entries mirror the
//! scopes exactly; readers still check membership on the package itself, as the DynamoDB
//! adapter's must.

use async_trait::async_trait;
use redb::{ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::{EmbeddedStore, backend, corrupt, json_error, prefix_range, split_key};
use crate::common::AccountId;
use crate::opensearch::domain::{
    EncryptionOptions, EngineVersion, PackageConfiguration, PackageId, PackageName, PackageSource, PackageType,
    PackageUpdate, PackageUser, Requirement, ScopeOperation, UserSet, name_taken,
};
use crate::store::StoreError;
use crate::store::packages::{
    Listing, Package, PackageStore, PackageVersion, check_scope_request, first_version, history_versions, rescoped,
    shared_candidate, updated, vendable, writes_nothing,
};

/// `<owner>/<id>` -> JSON of [`StoredPackage`]
const PACKAGES: TableDefinition<&str, &str> = TableDefinition::new("packages");
/// `<owner>/<name>` -> package ID
const PACKAGE_NAMES: TableDefinition<&str, &str> = TableDefinition::new("package_names");
/// `<user>/<id>` -> owner
const PACKAGE_SHARES: TableDefinition<&str, &str> = TableDefinition::new("package_shares");
/// `<owner>/<id>/<version, 20 digits>` -> JSON of [`StoredVersion`]
const PACKAGE_VERSIONS: TableDefinition<&str, &str> = TableDefinition::new("package_versions");

#[derive(Serialize, Deserialize)]
struct StoredConfiguration {
    license_requirement: String,
    license_filepath: Option<String>,
    configuration_requirement: String,
    requires_restart: Option<bool>,
}

#[derive(Serialize, Deserialize)]
struct StoredEncryption {
    enabled: bool,
    kms_key_identifier: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct StoredPackage {
    name: String,
    package_type: String,
    description: Option<String>,
    bucket: String,
    key: String,
    configuration: Option<StoredConfiguration>,
    engine_version: Option<String>,
    vending: bool,
    encryption: Option<StoredEncryption>,
    created_at: i64,
    last_updated_at: i64,
    users: Vec<String>,
    version: u64,
    /// Absent in packages written before versions: they are at version 1.
    #[serde(default = "first")]
    available_version: u64,
}

fn first() -> u64 {
    1
}

#[derive(Serialize, Deserialize)]
struct StoredVersion {
    created_at: i64,
    commit_message: Option<String>,
    configuration: Option<StoredConfiguration>,
}

/// Creates this module's tables (called once when the database opens).
pub(super) fn init(txn: &WriteTransaction) -> Result<(), StoreError> {
    txn.open_table(PACKAGES).map_err(backend)?;
    txn.open_table(PACKAGE_NAMES).map_err(backend)?;
    txn.open_table(PACKAGE_SHARES).map_err(backend)?;
    txn.open_table(PACKAGE_VERSIONS).map_err(backend)?;
    Ok(())
}

fn package_key(owner: &AccountId, id: &PackageId) -> String {
    format!("{owner}/{id}")
}

fn name_key(owner: &AccountId, name: &PackageName) -> String {
    format!("{owner}/{}", name.as_str())
}

fn share_key(user: &PackageUser, id: &PackageId) -> String {
    format!("{}/{id}", user.as_str())
}

/// The prefix of the history keys of `owner`'s package `id` (before the `/`).
fn versions_prefix(owner: &AccountId, id: &PackageId) -> String {
    format!("{owner}/{id}")
}

/// Zero-padded, so that keys sort as the versions do.
fn version_key(owner: &AccountId, id: &PackageId, version: u64) -> String {
    format!("{}/{version:020}", versions_prefix(owner, id))
}

fn encode_configuration(c: &PackageConfiguration) -> StoredConfiguration {
    StoredConfiguration {
        license_requirement: c.license_requirement.as_str().to_owned(),
        license_filepath: c.license_filepath.clone(),
        configuration_requirement: c.configuration_requirement.as_str().to_owned(),
        requires_restart: c.requires_restart,
    }
}

fn decode_configuration(c: StoredConfiguration) -> Result<PackageConfiguration, StoreError> {
    Ok(PackageConfiguration {
        license_requirement: Requirement::new(&c.license_requirement)
            .ok_or_else(|| corrupt("package license requirement"))?,
        license_filepath: c.license_filepath,
        configuration_requirement: Requirement::new(&c.configuration_requirement)
            .ok_or_else(|| corrupt("package configuration requirement"))?,
        requires_restart: c.requires_restart,
    })
}

fn encode(package: &Package) -> Result<String, StoreError> {
    let stored = StoredPackage {
        name: package.name.as_str().to_owned(),
        package_type: package.package_type.as_str().to_owned(),
        description: package.description.clone(),
        bucket: package.source.bucket.clone(),
        key: package.source.key.clone(),
        configuration: package.configuration.as_ref().map(encode_configuration),
        engine_version: package.engine_version.as_ref().map(|v| v.as_str().to_owned()),
        vending: package.vending_enabled,
        encryption: package
            .encryption
            .as_ref()
            .map(|e| StoredEncryption { enabled: e.enabled, kms_key_identifier: e.kms_key_identifier.clone() }),
        created_at: package.created_at,
        last_updated_at: package.last_updated_at,
        users: package.users.strings(),
        version: package.version,
        available_version: package.available_version,
    };
    serde_json::to_string(&stored).map_err(json_error)
}

fn decode(owner: &AccountId, id: &PackageId, json: &str) -> Result<Package, StoreError> {
    let stored: StoredPackage = serde_json::from_str(json).map_err(json_error)?;
    let configuration = stored.configuration.map(decode_configuration).transpose()?;
    Ok(Package {
        owner: owner.clone(),
        id: id.clone(),
        name: PackageName::new(&stored.name).ok_or_else(|| corrupt("package name"))?,
        package_type: PackageType::new(&stored.package_type).ok_or_else(|| corrupt("package type"))?,
        description: stored.description,
        source: PackageSource { bucket: stored.bucket, key: stored.key },
        configuration,
        engine_version: stored
            .engine_version
            .map(|v| EngineVersion::new(&v).ok_or_else(|| corrupt("package engine version")))
            .transpose()?,
        vending_enabled: stored.vending,
        encryption: stored
            .encryption
            .map(|e| EncryptionOptions { enabled: e.enabled, kms_key_identifier: e.kms_key_identifier }),
        created_at: stored.created_at,
        last_updated_at: stored.last_updated_at,
        users: UserSet::from_stored(stored.users.iter().map(String::as_str)).ok_or_else(|| corrupt("package user"))?,
        version: stored.version,
        available_version: stored.available_version,
    })
}

fn write_version(
    txn: &WriteTransaction,
    owner: &AccountId,
    id: &PackageId,
    entry: &PackageVersion,
) -> Result<(), StoreError> {
    let stored = StoredVersion {
        created_at: entry.created_at,
        commit_message: entry.commit_message.clone(),
        configuration: entry.configuration.as_ref().map(encode_configuration),
    };
    let json = serde_json::to_string(&stored).map_err(json_error)?;
    let mut versions = txn.open_table(PACKAGE_VERSIONS).map_err(backend)?;
    versions.insert(version_key(owner, id, entry.version).as_str(), json.as_str()).map_err(backend)?;
    Ok(())
}

fn decode_version(key: &str, json: &str) -> Result<PackageVersion, StoreError> {
    let version = key.rsplit('/').next().and_then(|v| v.parse().ok()).ok_or_else(|| corrupt("version key"))?;
    let stored: StoredVersion = serde_json::from_str(json).map_err(json_error)?;
    Ok(PackageVersion {
        version,
        created_at: stored.created_at,
        commit_message: stored.commit_message,
        configuration: stored.configuration.map(decode_configuration).transpose()?,
    })
}

fn read_package(txn: &WriteTransaction, owner: &AccountId, id: &PackageId) -> Result<Option<Package>, StoreError> {
    let table = txn.open_table(PACKAGES).map_err(backend)?;
    let found = table.get(package_key(owner, id).as_str()).map_err(backend)?;
    found.map(|json| decode(owner, id, json.value())).transpose()
}

fn write_package(txn: &WriteTransaction, package: &Package) -> Result<(), StoreError> {
    let mut table = txn.open_table(PACKAGES).map_err(backend)?;
    table.insert(package_key(&package.owner, &package.id).as_str(), encode(package)?.as_str()).map_err(backend)?;
    Ok(())
}

/// Makes the share entries of `id` follow a scope change from `before` to `after`.
fn write_shares(
    txn: &WriteTransaction,
    owner: &AccountId,
    id: &PackageId,
    before: &UserSet,
    after: &UserSet,
) -> Result<(), StoreError> {
    let mut shares = txn.open_table(PACKAGE_SHARES).map_err(backend)?;
    for gone in before.difference(after).iter() {
        shares.remove(share_key(gone, id).as_str()).map_err(backend)?;
    }
    for user in after.difference(before).iter() {
        shares.insert(share_key(user, id).as_str(), owner.as_str()).map_err(backend)?;
    }
    Ok(())
}

#[async_trait]
impl PackageStore for EmbeddedStore {
    async fn create_package(&self, package: &Package) -> Result<(), StoreError> {
        let package = package.clone();
        self.write(move |txn| {
            let mut names = txn.open_table(PACKAGE_NAMES).map_err(backend)?;
            let claim = name_key(&package.owner, &package.name);
            if names.get(claim.as_str()).map_err(backend)?.is_some() {
                return Err(StoreError::Rule(name_taken(&package.name)));
            }
            if read_package(txn, &package.owner, &package.id)?.is_some() {
                return Err(StoreError::Backend(format!("package ID {} is already taken", package.id)));
            }
            names.insert(claim.as_str(), package.id.as_str()).map_err(backend)?;
            write_package(txn, &package)?;
            write_version(txn, &package.owner, &package.id, &first_version(&package))?;
            write_shares(txn, &package.owner, &package.id, &UserSet::default(), &package.users)
        })
        .await
    }

    async fn get_package(&self, owner: &AccountId, id: &PackageId) -> Result<Option<Package>, StoreError> {
        let (owner, id) = (owner.clone(), id.clone());
        self.read(move |txn| {
            let table = txn.open_table(PACKAGES).map_err(backend)?;
            let found = table.get(package_key(&owner, &id).as_str()).map_err(backend)?;
            found.map(|json| decode(&owner, &id, json.value())).transpose()
        })
        .await
    }

    async fn update_package_scope(
        &self,
        owner: &AccountId,
        id: &PackageId,
        operation: ScopeOperation,
        users: &UserSet,
        now: i64,
    ) -> Result<Package, StoreError> {
        check_scope_request(operation, users)?;
        let (owner, id, users) = (owner.clone(), id.clone(), users.clone());
        self.write(move |txn| {
            let current = vendable(&id, read_package(txn, &owner, &id)?)?;
            if writes_nothing(operation, &users) {
                return Ok(current);
            }
            let next = rescoped(&current, operation, &users, now)?;
            write_shares(txn, &owner, &id, &current.users, &next.users)?;
            write_package(txn, &next)?;
            Ok(next)
        })
        .await
    }

    /// A merge, in package-ID order, of three key ranges read lazily from the cursor: the
    /// caller's packages, its share entries and the `GLOBAL` ones; it stops at the page and one.
    async fn visible_page(&self, caller: &AccountId, listing: &Listing<'_>) -> Result<Vec<Package>, StoreError> {
        let caller = caller.clone();
        let (after, limit, filters) = (listing.after.map(str::to_owned), listing.limit, listing.filters.to_vec());
        self.read(move |txn| {
            let listing = Listing { after: after.as_deref(), limit, filters: &filters };
            let packages = txn.open_table(PACKAGES).map_err(backend)?;
            let shares = txn.open_table(PACKAGE_SHARES).map_err(backend)?;
            // `<prefix>/` and what follows the cursor; a space sorts before every ID character.
            let range = |prefix: &str| {
                let from = match &after {
                    Some(after) => format!("{prefix}/{after} "),
                    None => format!("{prefix}/"),
                };
                (from, prefix_range(prefix).1)
            };
            let ids = |range: redb::Range<'static, &'static str, &'static str>| {
                range.map(|entry| {
                    let (key, value) = entry.map_err(backend)?;
                    let id = split_key(key.value()).map(|(_, id)| id.to_owned()).ok_or_else(|| corrupt("key"))?;
                    Ok::<_, StoreError>((id, value.value().to_owned()))
                })
            };
            // The caller's own packages and its share entries have the same key range.
            let (mine_from, mine_to) = range(caller.as_str());
            let (global_from, global_to) = range(PackageUser::GLOBAL);
            let mut sources = [
                ids(packages.range(mine_from.as_str()..mine_to.as_str()).map_err(backend)?).peekable(),
                ids(shares.range(mine_from.as_str()..mine_to.as_str()).map_err(backend)?).peekable(),
                ids(shares.range(global_from.as_str()..global_to.as_str()).map_err(backend)?).peekable(),
            ];
            let mut page = Vec::new();
            while page.len() < listing.wanted() {
                let mut heads = Vec::new();
                for source in sources.iter_mut() {
                    if source.peek().is_some_and(Result::is_err) {
                        source.next().transpose()?;
                    }
                    if let Some(Ok((id, _))) = source.peek() {
                        heads.push(id.clone());
                    }
                }
                let Some(next) = heads.into_iter().min() else { break };
                let id = PackageId::new(&next).ok_or_else(|| corrupt("package ID"))?;
                let mut found = None;
                for (i, source) in sources.iter_mut().enumerate() {
                    let Some((_, value)) =
                        source.next_if(|head| matches!(head, Ok((head, _)) if *head == next)).transpose()?
                    else {
                        continue;
                    };
                    if i == 0 {
                        found = Some(decode(&caller, &id, &value)?);
                    } else if found.is_none() && shared_candidate(&caller, &value) {
                        let owner = AccountId::parse(&value).ok_or_else(|| corrupt("share owner"))?;
                        found = match packages.get(package_key(&owner, &id).as_str()).map_err(backend)? {
                            Some(json) => Some(decode(&owner, &id, json.value())?).filter(|p| p.users.admits(&caller)),
                            None => None,
                        };
                    }
                }
                page.extend(found.filter(|p| listing.admits(p)));
            }
            Ok(page)
        })
        .await
    }

    async fn delete_package(&self, owner: &AccountId, id: &PackageId) -> Result<Package, StoreError> {
        let (owner, id) = (owner.clone(), id.clone());
        self.write(move |txn| {
            let package = read_package(txn, &owner, &id)?.ok_or(StoreError::NotFound)?;
            txn.open_table(PACKAGES).map_err(backend)?.remove(package_key(&owner, &id).as_str()).map_err(backend)?;
            let claim = name_key(&owner, &package.name);
            txn.open_table(PACKAGE_NAMES).map_err(backend)?.remove(claim.as_str()).map_err(backend)?;
            write_shares(txn, &owner, &id, &package.users, &UserSet::default())?;
            let mut versions = txn.open_table(PACKAGE_VERSIONS).map_err(backend)?;
            let (from, to) = prefix_range(&versions_prefix(&owner, &id));
            let keys = versions
                .range(from.as_str()..to.as_str())
                .map_err(backend)?
                .map(|entry| entry.map(|(key, _)| key.value().to_owned()).map_err(backend))
                .collect::<Result<Vec<_>, _>>()?;
            for key in keys {
                versions.remove(key.as_str()).map_err(backend)?;
            }
            Ok(package)
        })
        .await
    }

    async fn update_package(&self, owner: &AccountId, update: &PackageUpdate, now: i64) -> Result<Package, StoreError> {
        let (owner, update) = (owner.clone(), update.clone());
        self.write(move |txn| {
            let current = read_package(txn, &owner, &update.package_id)?.ok_or(StoreError::NotFound)?;
            let (next, entry) = updated(&current, &update, now);
            write_package(txn, &next)?;
            write_version(txn, &owner, &next.id, &entry)?;
            Ok(next)
        })
        .await
    }

    async fn package_history(
        &self,
        owner: &AccountId,
        id: &PackageId,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<PackageVersion>, StoreError> {
        let (owner, id) = (owner.clone(), id.clone());
        self.read(move |txn| {
            let packages = txn.open_table(PACKAGES).map_err(backend)?;
            if packages.get(package_key(&owner, &id).as_str()).map_err(backend)?.is_none() {
                return Err(StoreError::NotFound);
            }
            let range = history_versions(before);
            if range.is_empty() {
                return Ok(Vec::new());
            }
            let (from, to) = (version_key(&owner, &id, *range.start()), version_key(&owner, &id, *range.end()));
            let versions = txn.open_table(PACKAGE_VERSIONS).map_err(backend)?;
            versions
                .range(from.as_str()..=to.as_str())
                .map_err(backend)?
                .rev()
                .take(limit)
                .map(|entry| {
                    let (key, json) = entry.map_err(backend)?;
                    decode_version(key.value(), json.value())
                })
                .collect()
        })
        .await
    }
}
