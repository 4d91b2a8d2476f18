//! OpenSearch packages on the DynamoDB table.
//!
//! | item | pk | sk | attributes |
//! |---|---|---|---|
//! | package | `ACCOUNT#<owner>` | `PACKAGE#<id>` | `packageId`, `name`, `type`, `description`?, `source` M, `configuration` M?, `engineVersion`?, `vending` BOOL, `encryption` M?, `createdAt` N, `lastUpdatedAt` N, `users` SS (absent when empty), `version` N, `packageVersion` N |
//! | name claim | `ACCOUNT#<owner>` | `PACKAGE_NAME#<name>` | `packageId` |
//! | share entry | `SHARED#<account>`, or `SHARED#GLOBAL#<shard 0–7>` for `GLOBAL` | `PACKAGE#<id>` | `owner`, `version` N |
//! | version history entry | `ACCOUNT#<owner>` | `PACKAGE_VERSION#<id>#<version, 20 digits>` | `packageId`, `packageVersion` N, `createdAt` N, `commitMessage`?, `configuration` M? |
//!
//! Ownership is the key: a non-owner addresses an item that does not exist. The package item is
//! the truth; share entries are an index that lets DescribePackages find what is shared with a
//! caller with Queries. They are written after the package, each conditional on the version of
//! the package write (`attribute_not_exists(pk) OR version < :v`), so an entry is present
//! whenever the latest write that touched its user added it; a stale one is harmless because
//! readers check membership on the package. Every scope write sets `sharesPending` on the
//! package and removes it once its entries are written: a function cut off in between (a crash,
//! a timeout, a DynamoDB fault) leaves the mark, and the caller's retry, which would otherwise
//! find nothing to do, writes again and puts every entry of the scope.
//!
//! `version` counts every write of the package; `packageVersion` counts its versions (1 at
//! creation, +1 per UpdatePackage), and each version's history entry is written in the same
//! transaction as the package write that makes it, conditioned on `packageVersion`, so versions
//! have no gaps and none is lost. History entries sort by version under the owner's partition:
//! a page is one Query, newest first. Their prefix is not `PACKAGE#`, so listing the owner's
//! packages never reads them.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, Delete, DeleteRequest, ReturnValue, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update, WriteRequest,
};
use futures::{StreamExt, TryStreamExt};

use super::item::{
    ACCOUNT_PREFIX, Item, account_key, account_pk, corrupt, get_bool, get_n, get_s, key, n, opt_m, opt_s, opt_ss, s,
};
use super::{DynamoStore, applied, backoff, build_error, classify, failed};
use crate::common::AccountId;
use crate::opensearch::domain::{
    EncryptionOptions, EngineVersion, MAX_USERS, PackageConfiguration, PackageId, PackageName, PackageSource,
    PackageType, PackageUpdate, PackageUser, Requirement, ScopeOperation, UserSet, name_taken,
};
use crate::store::packages::{
    Listing, Package, PackageStore, PackageVersion, add_is_no_op, check_scope_request, first_version, history_versions,
    rescoped, share_changes, shared_candidate, updated, vendable, writes_nothing,
};
use crate::store::{MAX_UPDATE_ATTEMPTS, StoreError};

/// Share-entry writes in flight at once for one scope change.
const INDEX_CONCURRENCY: usize = 32;
/// Requests per BatchWriteItem call (the API's limit).
const BATCH_WRITE_ITEMS: usize = 25;
const PACKAGE_PREFIX: &str = "PACKAGE#";
/// Optimistic attempts of one UpdatePackage (docs/opensearch.md §6.5): each lost race means another
/// update (or a delete) committed, so this bounds how many updates of one package may race one
/// call, not a failure rate. 20 racing updates on DynamoDB Local took at most 17.
const UPDATE_PACKAGE_ATTEMPTS: u32 = 50;
/// BatchWriteItem calls in flight at once when a deleted package's leftovers are removed.
const CLEANUP_CONCURRENCY: usize = 4;

fn package_key(owner: &AccountId, id: &PackageId) -> Item {
    account_key(owner, format!("{PACKAGE_PREFIX}{id}"))
}

fn name_key(owner: &AccountId, name: &PackageName) -> Item {
    account_key(owner, format!("PACKAGE_NAME#{}", name.as_str()))
}

/// How many partitions the `GLOBAL` share entries are spread over, so that no single key takes
/// every package shared with everyone (write sharding); a DescribePackages page reads each.
pub const GLOBAL_SHARDS: u64 = 8;

/// The partition of the share entries of account `account`.
fn share_pk(account: &str) -> String {
    format!("SHARED#{account}")
}

/// The partition of `GLOBAL` shard `shard`.
fn global_pk(shard: u64) -> String {
    format!("SHARED#{}#{shard}", PackageUser::GLOBAL)
}

/// The `GLOBAL` shard of package `id`: fixed by the ID (FNV-1a), so every writer of its entry
/// finds it.
fn global_shard(id: &PackageId) -> u64 {
    let hash =
        id.as_str().bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    hash % GLOBAL_SHARDS
}

/// The share entry of package `id` for `user` (an account, or `GLOBAL` in the package's shard).
fn share_key(user: &PackageUser, id: &PackageId) -> Item {
    let pk = if user.as_str() == PackageUser::GLOBAL { global_pk(global_shard(id)) } else { share_pk(user.as_str()) };
    key(pk, format!("{PACKAGE_PREFIX}{id}"))
}

/// The sort keys of a partition's packages (`PACKAGE#<id>`) sort before its other items
/// (`PACKAGE_NAME#…`, `PACKAGE_VERSION#…`): `$` follows `#`.
const PACKAGES_END: &str = "PACKAGE$";

/// One source of DescribePackages candidates: a partition whose `PACKAGE#<id>` items come in
/// package-ID order (the caller's own packages, its share entries, or a `GLOBAL` shard), read a
/// Query page at a time from where the last one ended.
struct Source {
    pk: String,
    /// The caller's own partition: its items are the packages themselves.
    own: bool,
    /// The last package ID read (or the listing's cursor).
    after: Option<String>,
    buffer: std::collections::VecDeque<Item>,
    done: bool,
}

impl Source {
    fn new(pk: String, own: bool, after: Option<&str>) -> Self {
        Self { pk, own, after: after.map(str::to_owned), buffer: Default::default(), done: false }
    }

    /// Whether its next item is unknown: read-out, but not at the end.
    fn needs_reading(&self) -> bool {
        self.buffer.is_empty() && !self.done
    }

    fn head_id(&self) -> Option<&str> {
        self.buffer.front().and_then(|item| item_id(item).ok())
    }
}

/// The package ID of a `PACKAGE#<id>` item.
fn item_id(item: &Item) -> Result<&str, StoreError> {
    get_s(item, "sk")?.strip_prefix(PACKAGE_PREFIX).ok_or_else(|| corrupt("package sk"))
}

/// A DescribePackages candidate, in ID order: an own package, or a share entry's package.
enum Candidate {
    Own(Box<Package>),
    Shared { owner: String, id: String },
}

/// The sort key of version `version` of package `id`: zero-padded, so that keys sort as the
/// versions do (20 digits hold every u64).
fn version_sk(id: &PackageId, version: u64) -> String {
    format!("PACKAGE_VERSION#{id}#{version:020}")
}

fn version_key(owner: &AccountId, id: &PackageId, version: u64) -> Item {
    account_key(owner, version_sk(id, version))
}

fn users_value(users: &UserSet) -> AttributeValue {
    AttributeValue::Ss(users.strings())
}

fn source_value(source: &PackageSource) -> AttributeValue {
    AttributeValue::M(HashMap::from([("bucket".to_owned(), s(&source.bucket)), ("key".to_owned(), s(&source.key))]))
}

fn configuration_value(c: &PackageConfiguration) -> AttributeValue {
    let mut config = HashMap::from([
        ("licenseRequirement".to_owned(), s(c.license_requirement.as_str())),
        ("configurationRequirement".to_owned(), s(c.configuration_requirement.as_str())),
    ]);
    if let Some(path) = &c.license_filepath {
        config.insert("licenseFilepath".into(), s(path));
    }
    if let Some(restart) = c.requires_restart {
        config.insert("requiresRestart".into(), AttributeValue::Bool(restart));
    }
    AttributeValue::M(config)
}

fn configuration_from(c: &Item) -> Result<PackageConfiguration, StoreError> {
    let requirement = |name| Requirement::new(get_s(c, name)?).ok_or_else(|| corrupt(name));
    Ok(PackageConfiguration {
        license_requirement: requirement("licenseRequirement")?,
        license_filepath: opt_s(c, "licenseFilepath")?.map(str::to_owned),
        configuration_requirement: requirement("configurationRequirement")?,
        requires_restart: c.get("requiresRestart").map(|_| get_bool(c, "requiresRestart")).transpose()?,
    })
}

fn encryption_value(e: &EncryptionOptions) -> AttributeValue {
    let mut encryption = HashMap::from([("enabled".to_owned(), AttributeValue::Bool(e.enabled))]);
    if let Some(kms) = &e.kms_key_identifier {
        encryption.insert("kmsKeyIdentifier".into(), s(kms));
    }
    AttributeValue::M(encryption)
}

fn version_item(owner: &AccountId, id: &PackageId, entry: &PackageVersion) -> Item {
    let mut item = version_key(owner, id, entry.version);
    item.insert("packageId".into(), s(id.as_str()));
    item.insert("packageVersion".into(), n(entry.version));
    item.insert("createdAt".into(), n(entry.created_at));
    if let Some(message) = &entry.commit_message {
        item.insert("commitMessage".into(), s(message));
    }
    if let Some(c) = &entry.configuration {
        item.insert("configuration".into(), configuration_value(c));
    }
    item
}

fn version_from_item(item: &Item) -> Result<PackageVersion, StoreError> {
    Ok(PackageVersion {
        version: get_n(item, "packageVersion")? as u64,
        created_at: get_n(item, "createdAt")?,
        commit_message: opt_s(item, "commitMessage")?.map(str::to_owned),
        configuration: opt_m(item, "configuration")?.map(configuration_from).transpose()?,
    })
}

fn package_item(p: &Package) -> Item {
    let mut item = package_key(&p.owner, &p.id);
    item.insert("packageId".into(), s(p.id.as_str()));
    item.insert("name".into(), s(p.name.as_str()));
    item.insert("type".into(), s(p.package_type.as_str()));
    if let Some(description) = &p.description {
        item.insert("description".into(), s(description));
    }
    item.insert("source".into(), source_value(&p.source));
    if let Some(c) = &p.configuration {
        item.insert("configuration".into(), configuration_value(c));
    }
    if let Some(version) = &p.engine_version {
        item.insert("engineVersion".into(), s(version.as_str()));
    }
    item.insert("vending".into(), AttributeValue::Bool(p.vending_enabled));
    if let Some(e) = &p.encryption {
        item.insert("encryption".into(), encryption_value(e));
    }
    item.insert("createdAt".into(), n(p.created_at));
    item.insert("lastUpdatedAt".into(), n(p.last_updated_at));
    if !p.users.is_empty() {
        item.insert("users".into(), users_value(&p.users));
    }
    item.insert("version".into(), n(p.version));
    item.insert("packageVersion".into(), n(p.available_version));
    item
}

fn package_from_item(item: &Item) -> Result<Package, StoreError> {
    let owner = get_s(item, "pk")?
        .strip_prefix(ACCOUNT_PREFIX)
        .and_then(AccountId::parse)
        .ok_or_else(|| corrupt("package pk"))?;
    let id = PackageId::new(get_s(item, "packageId")?).ok_or_else(|| corrupt("packageId"))?;
    let source = opt_m(item, "source")?.ok_or_else(|| corrupt("source"))?;
    let configuration = opt_m(item, "configuration")?.map(configuration_from).transpose()?;
    let encryption = opt_m(item, "encryption")?
        .map(|e| {
            Ok::<_, StoreError>(EncryptionOptions {
                enabled: get_bool(e, "enabled")?,
                kms_key_identifier: opt_s(e, "kmsKeyIdentifier")?.map(str::to_owned),
            })
        })
        .transpose()?;
    // Absent on packages written before versions: they are at version 1.
    let available_version = match item.get("packageVersion") {
        None => 1,
        Some(_) => get_n(item, "packageVersion")? as u64,
    };
    let users = match opt_ss(item, "users")? {
        None => UserSet::default(),
        Some(users) => UserSet::from_stored(users.iter().map(String::as_str)).ok_or_else(|| corrupt("users"))?,
    };
    Ok(Package {
        owner,
        id,
        name: PackageName::new(get_s(item, "name")?).ok_or_else(|| corrupt("name"))?,
        package_type: PackageType::new(get_s(item, "type")?).ok_or_else(|| corrupt("type"))?,
        description: opt_s(item, "description")?.map(str::to_owned),
        source: PackageSource { bucket: get_s(source, "bucket")?.to_owned(), key: get_s(source, "key")?.to_owned() },
        configuration,
        engine_version: opt_s(item, "engineVersion")?
            .map(|v| EngineVersion::new(v).ok_or_else(|| corrupt("engineVersion")))
            .transpose()?,
        vending_enabled: get_bool(item, "vending")?,
        encryption,
        created_at: get_n(item, "createdAt")?,
        last_updated_at: get_n(item, "lastUpdatedAt")?,
        users,
        version: get_n(item, "version")? as u64,
        available_version,
    })
}

/// What a scope write did: the package as written, and whose share entries to put and delete.
struct ScopeWrite {
    /// The package as written.
    package: Package,
    /// The share entries to put and to delete ([`share_changes`]).
    put: UserSet,
    delete: UserSet,
}

/// What a scope write did: wrote the package (its share entries still to bring up to date), or
/// found nothing to do (an ADD of present users: [`add_is_no_op`]).
enum Scoped {
    Written(ScopeWrite),
    Unchanged(Package),
}

/// The package item attribute set by every scope write and removed once its share entries are
/// written: a write cut off in between leaves it, and the next scope write repairs the entries.
const PENDING: &str = "sharesPending";

/// A scope write that applied, from the old item it returned (`ALL_OLD`): the package as
/// written, and the share entries to bring up to date.
fn written(old: Option<&Item>, operation: ScopeOperation, users: &UserSet, now: i64) -> Result<Scoped, StoreError> {
    let old = old.ok_or_else(|| corrupt(&format!("{} result", operation.as_str())))?;
    let pending = old.contains_key(PENDING);
    let old = package_from_item(old)?;
    let package = rescoped(&old, operation, users, now)?;
    let (put, delete) = share_changes(&old, pending, &package, operation, users);
    Ok(Scoped::Written(ScopeWrite { package, put, delete }))
}

/// An ADD naming at most this many users is written only when it changes something (each user
/// is named in the condition, within DynamoDB's 4 KB expression limit); a larger one always writes.
const NO_OP_CHECKED_USERS: usize = 100;

/// Classifies the item that came back with a failed `attribute_exists(pk) AND vending = :true`
/// by [`vendable`]: no item is not-found, vending off is disabled; otherwise the item is returned.
fn refused(id: &PackageId, old: Option<&Item>) -> Result<Package, StoreError> {
    vendable(id, old.map(package_from_item).transpose()?)
}

/// The condition of every scope write: the package exists (for this owner) and may be shared.
const VENDABLE: &str = "attribute_exists(pk) AND vending = :true";

impl DynamoStore {
    /// An UpdateItem of the package's scope with what every scope write shares: the key, `#users`
    /// (a DynamoDB reserved word), `#pending`, `:one`, `:now`, `:true`, and the old item back,
    /// whether it applied (the new package is computed from it) or its condition failed.
    fn scope_update(&self, owner: &AccountId, id: &PackageId, now: i64) -> UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(package_key(owner, id)))
            .expression_attribute_names("#users", "users")
            .expression_attribute_names("#pending", PENDING)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .return_values(ReturnValue::AllOld)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
    }

    /// ADD: one UpdateItem whose condition holds the cap without reading first, as long as the
    /// current set has room for the whole request, and (for up to [`NO_OP_CHECKED_USERS`] users)
    /// applies only when a user is new or the entries are pending. A failed condition is decided
    /// from the item that came back: not found, vending off, over the cap, nothing to do, or the
    /// guard was only conservative and the write is retried conditional on that item's version.
    async fn add_users(
        &self,
        owner: &AccountId,
        id: &PackageId,
        users: &UserSet,
        now: i64,
    ) -> Result<Scoped, StoreError> {
        let room = MAX_USERS.saturating_sub(users.len());
        let named = users.len() <= NO_OP_CHECKED_USERS;
        let mut expected_version: Option<u64> = None;
        for attempt in 0..MAX_UPDATE_ATTEMPTS {
            let request = self
                .scope_update(owner, id, now)
                .update_expression("ADD #users :u, version :one SET lastUpdatedAt = :now, #pending = :true")
                .expression_attribute_values(":u", users_value(users));
            let request = match expected_version {
                None => {
                    let mut condition =
                        format!("{VENDABLE} AND (attribute_not_exists(#users) OR size(#users) <= :room)");
                    let mut request = request.expression_attribute_values(":room", n(room));
                    if named {
                        let mut contained = Vec::with_capacity(users.len());
                        for (i, user) in users.iter().enumerate() {
                            contained.push(format!("contains(#users, :c{i})"));
                            request = request.expression_attribute_values(format!(":c{i}"), s(user.as_str()));
                        }
                        condition.push_str(&format!(
                            " AND (attribute_exists(#pending) OR NOT ({}))",
                            contained.join(" AND ")
                        ));
                    }
                    request.condition_expression(condition)
                }
                Some(version) => {
                    request.condition_expression("version = :v").expression_attribute_values(":v", n(version))
                }
            };
            match self.send_update(request).await? {
                Ok(out) => return written(out.attributes(), ScopeOperation::Add, users, now),
                Err(old) => {
                    let pending = old.as_ref().is_some_and(|item| item.contains_key(PENDING));
                    let old = refused(id, old.as_ref())?;
                    // Over the cap for real: refuse. Nothing to do: answer. Else the guard was
                    // only conservative (overlap) or someone wrote in between: retry on this
                    // exact version.
                    rescoped(&old, ScopeOperation::Add, users, now)?;
                    if add_is_no_op(&old, pending, users) {
                        return Ok(Scoped::Unchanged(old));
                    }
                    if expected_version.is_some() {
                        backoff(attempt).await;
                    }
                    expected_version = Some(old.version);
                }
            }
        }
        Err(StoreError::Contention)
    }

    /// REMOVE or OVERRIDE: one UpdateItem on a vendable package. REMOVE `DELETE`s the users
    /// (absent ones are a no-op); OVERRIDE replaces the set (or removes it, for `[]`). The old
    /// item comes back, so the new scope and the users it dropped are known.
    async fn remove_or_override(
        &self,
        owner: &AccountId,
        id: &PackageId,
        operation: ScopeOperation,
        users: &UserSet,
        now: i64,
    ) -> Result<Scoped, StoreError> {
        let request = self.scope_update(owner, id, now).condition_expression(VENDABLE);
        let request = match operation {
            ScopeOperation::Remove => request
                .update_expression("DELETE #users :u ADD version :one SET lastUpdatedAt = :now, #pending = :true")
                .expression_attribute_values(":u", users_value(users)),
            _ if users.is_empty() => {
                request.update_expression("REMOVE #users SET lastUpdatedAt = :now, #pending = :true ADD version :one")
            }
            _ => request
                .update_expression("SET #users = :u, lastUpdatedAt = :now, #pending = :true ADD version :one")
                .expression_attribute_values(":u", users_value(users)),
        };
        let out = match self.send_update(request).await? {
            Ok(out) => out,
            Err(old) => {
                refused(id, old.as_ref())?;
                return Err(StoreError::Backend(format!(
                    "{} condition failed on a vendable package",
                    operation.as_str()
                )));
            }
        };
        written(out.attributes(), operation, users, now)
    }

    /// Marks the share entries of the scope write that made `package` complete, unless a newer
    /// scope write has happened since (it clears the mark itself once its own are written).
    async fn clear_pending(&self, package: &Package) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(package_key(&package.owner, &package.id)))
            .update_expression("REMOVE #pending")
            .condition_expression("version = :v")
            .expression_attribute_names("#pending", PENDING)
            .expression_attribute_values(":v", n(package.version))
            .send()
            .await;
        applied(result)?;
        Ok(())
    }

    /// Puts (`present`) or deletes the share entry of `user` for package `id`, unless a write of
    /// the package newer than `version` already did.
    async fn write_share(
        &self,
        owner: &AccountId,
        id: &PackageId,
        user: &PackageUser,
        version: u64,
        present: bool,
    ) -> Result<(), StoreError> {
        const NEWER_WINS: &str = "attribute_not_exists(pk) OR version < :v";
        if present {
            let mut item = share_key(user, id);
            item.insert("owner".into(), s(owner.as_str()));
            item.insert("version".into(), n(version));
            let result = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression(NEWER_WINS)
                .expression_attribute_values(":v", n(version))
                .send()
                .await;
            applied(result)?;
        } else {
            let result = self
                .client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(share_key(user, id)))
                .condition_expression(NEWER_WINS)
                .expression_attribute_values(":v", n(version))
                .send()
                .await;
            applied(result)?;
        }
        // A failed condition is a newer write that already did it.
        Ok(())
    }

    /// Brings the share entries of a scope write up to date, at most [`INDEX_CONCURRENCY`]
    /// writes at a time; the first failure is returned (every operation is idempotent, so the
    /// caller's retry repairs the index).
    async fn write_shares(&self, write: &ScopeWrite) -> Result<(), StoreError> {
        let p = &write.package;
        // Owned items: a stream over borrowed ones trips the async-trait future's lifetimes.
        let changes: Vec<(PackageUser, bool)> = write
            .put
            .iter()
            .map(|u| (u.clone(), true))
            .chain(write.delete.iter().map(|u| (u.clone(), false)))
            .collect();
        futures::stream::iter(changes)
            .map(|(user, present)| async move { self.write_share(&p.owner, &p.id, &user, p.version, present).await })
            .buffer_unordered(INDEX_CONCURRENCY)
            .try_collect::<()>()
            .await
    }

    /// A strongly consistent Query of at most `limit` items of partition `pk` with sort keys from
    /// `low` to `high` (inclusive).
    fn key_range(&self, pk: &str, low: String, high: String, limit: usize) -> QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.table)
            .consistent_read(true)
            .key_condition_expression("pk = :pk AND sk BETWEEN :low AND :high")
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":low", s(low))
            .expression_attribute_values(":high", s(high))
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
    }

    /// The next Query page of `source`, at most `limit` items after its last one (strongly
    /// consistent).
    async fn read_source(&self, source: &mut Source, limit: usize) -> Result<(), StoreError> {
        // A space sorts before every character of a package ID: the IDs after `after`.
        let low = match &source.after {
            Some(after) => format!("{PACKAGE_PREFIX}{after} "),
            None => PACKAGE_PREFIX.to_owned(),
        };
        let out = self.key_range(&source.pk, low, PACKAGES_END.to_owned(), limit).send().await.map_err(classify)?;
        if let Some(last) = out.items().last() {
            source.after = Some(item_id(last)?.to_owned());
        }
        source.buffer.extend(out.items().iter().cloned());
        source.done = out.last_evaluated_key().is_none_or(HashMap::is_empty);
        Ok(())
    }

    /// Deletes what a deleted package leaves outside its transaction, best effort: its share
    /// entries and its version history. A leftover points to nothing: readers skip share entries
    /// whose package is gone, and a history is read only after its package is found (a new
    /// package never gets the old ID).
    async fn delete_leftovers(&self, package: &Package) {
        let requests: Vec<WriteRequest> = leftover_keys(package)
            .into_iter()
            .filter_map(|key| {
                let delete = DeleteRequest::builder().set_key(Some(key)).build().ok()?;
                Some(WriteRequest::builder().delete_request(delete).build())
            })
            .collect();
        futures::stream::iter(requests.chunks(BATCH_WRITE_ITEMS))
            .for_each_concurrent(CLEANUP_CONCURRENCY, |chunk| self.delete_batch(package, chunk.to_vec()))
            .await;
    }

    /// One BatchWriteItem of at most [`BATCH_WRITE_ITEMS`] deletes, retrying what DynamoDB leaves
    /// unprocessed a few times.
    async fn delete_batch(&self, package: &Package, mut pending: Vec<WriteRequest>) {
        for attempt in 0..3 {
            let result = self.client.batch_write_item().request_items(&self.table, pending.clone()).send().await;
            match result {
                Ok(out) => {
                    pending = out.unprocessed_items().and_then(|u| u.get(&self.table)).cloned().unwrap_or_default();
                    if pending.is_empty() {
                        break;
                    }
                    backoff(attempt).await;
                }
                Err(err) => {
                    tracing::warn!(package = %package.id, error = %classify(err), "share entries or history left behind");
                    break;
                }
            }
        }
        if !pending.is_empty() {
            tracing::warn!(package = %package.id, left = pending.len(), "share entries or history left behind");
        }
    }

    /// The UpdateItem of an UpdatePackage: the fields [`updated`] changes, conditioned on the
    /// package version it was computed from. `users` is not written (a concurrent scope change
    /// stays) and `version` is added to, not set. The item comes back on a failed condition.
    fn package_update(&self, current: &Package, next: &Package) -> Result<Update, StoreError> {
        let mut values = HashMap::from([
            (":source".to_owned(), source_value(&next.source)),
            (":now".to_owned(), n(next.last_updated_at)),
            (":next".to_owned(), n(next.available_version)),
            (":current".to_owned(), n(current.available_version)),
            (":one".to_owned(), n(1)),
        ]);
        let mut set = vec!["#source = :source", "lastUpdatedAt = :now", "packageVersion = :next"];
        let mut remove = Vec::new();
        let optional = [
            ("#description = :description", ":description", "#description", next.description.as_ref().map(s)),
            (
                "#configuration = :configuration",
                ":configuration",
                "#configuration",
                next.configuration.as_ref().map(configuration_value),
            ),
            ("#encryption = :encryption", ":encryption", "#encryption", next.encryption.as_ref().map(encryption_value)),
        ];
        for (assignment, placeholder, name, value) in optional {
            match value {
                Some(value) => {
                    set.push(assignment);
                    values.insert(placeholder.to_owned(), value);
                }
                None => remove.push(name),
            }
        }
        let mut expression = format!("SET {} ADD version :one", set.join(", "));
        if !remove.is_empty() {
            expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        // A package written before versions has no `packageVersion`: it is at version 1.
        let condition = if current.available_version == 1 {
            "attribute_exists(pk) AND (attribute_not_exists(packageVersion) OR packageVersion = :current)"
        } else {
            "packageVersion = :current"
        };
        let names = HashMap::from(
            ["source", "description", "configuration", "encryption"].map(|name| (format!("#{name}"), name.to_owned())),
        );
        Update::builder()
            .table_name(&self.table)
            .set_key(Some(package_key(&current.owner, &current.id)))
            .update_expression(expression)
            .condition_expression(condition)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_error)
    }

    /// Whether `owner` has package `id` (strongly consistent; only the key is read).
    async fn package_exists(&self, owner: &AccountId, id: &PackageId) -> Result<bool, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(package_key(owner, id)))
            .projection_expression("pk")
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        Ok(output.item.is_some())
    }

    /// At most `limit` history entries of package `id` with versions in `versions`, newest first:
    /// one Query (strongly consistent) that reads only the page.
    async fn version_page(
        &self,
        owner: &AccountId,
        id: &PackageId,
        versions: std::ops::RangeInclusive<u64>,
        limit: usize,
    ) -> Result<Vec<PackageVersion>, StoreError> {
        if versions.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let (low, high) = (version_sk(id, *versions.start()), version_sk(id, *versions.end()));
        let out = self
            .key_range(&account_pk(owner), low, high, limit)
            .scan_index_forward(false)
            .send()
            .await
            .map_err(classify)?;
        out.items().iter().map(version_from_item).collect()
    }
}

/// The package a transaction's first item (its write of the package) found when its condition
/// failed: what another write left, or [`StoreError::NotFound`] when it was deleted.
fn package_returned(reasons: &[CancellationReason]) -> Result<Package, StoreError> {
    reasons.first().and_then(|r| r.item()).map(package_from_item).transpose()?.ok_or(StoreError::NotFound)
}

/// The items of a transaction at most (DynamoDB's limit).
const MAX_TRANSACTION_ITEMS: usize = 100;

/// What a package leaves besides its item and name claim: its share entries and history entries.
fn leftover_keys(package: &Package) -> Vec<Item> {
    let shares = package.users.iter().map(|user| share_key(user, &package.id));
    let versions = (1..=package.available_version).map(|v| version_key(&package.owner, &package.id, v));
    shares.chain(versions).collect()
}

/// Up to `wanted` candidates in package-ID order from the heads of `sources`, as far as the
/// order is known (it stops at a source that needs reading). A package met in several sources
/// (its owner's partition, a direct entry, a `GLOBAL` one) is one candidate; entries of the
/// caller's own packages are skipped (they are listed from its partition).
fn next_candidates(caller: &AccountId, sources: &mut [Source], wanted: usize) -> Result<Vec<Candidate>, StoreError> {
    let mut candidates = Vec::new();
    while candidates.len() < wanted && !sources.iter().any(Source::needs_reading) {
        let Some(next) = sources.iter().filter_map(Source::head_id).min().map(str::to_owned) else { break };
        let mut candidate = None;
        for source in sources.iter_mut() {
            if source.head_id() != Some(next.as_str()) {
                continue;
            }
            let Some(item) = source.buffer.pop_front() else { continue };
            if source.own {
                candidate = Some(Candidate::Own(Box::new(package_from_item(&item)?)));
            } else if candidate.is_none() {
                let owner = get_s(&item, "owner")?;
                if shared_candidate(caller, owner) {
                    candidate = Some(Candidate::Shared { owner: owner.to_owned(), id: next.clone() });
                }
            }
        }
        candidates.extend(candidate);
    }
    Ok(candidates)
}

#[async_trait]
impl PackageStore for DynamoStore {
    async fn create_package(&self, package: &Package) -> Result<(), StoreError> {
        let mut claim = name_key(&package.owner, &package.name);
        claim.insert("packageId".into(), s(package.id.as_str()));
        let first = version_item(&package.owner, &package.id, &first_version(package));
        let items = vec![self.put_new(package_item(package))?, self.put_new(claim)?, self.put_new(first)?];
        match self.transact(items).await? {
            None => Ok(()),
            Some(reasons) if failed(&reasons, 1).is_some() => Err(StoreError::Rule(name_taken(&package.name))),
            Some(_) => Err(StoreError::Backend(format!("package ID {} is already taken", package.id))),
        }
    }

    async fn get_package(&self, owner: &AccountId, id: &PackageId) -> Result<Option<Package>, StoreError> {
        self.get(package_key(owner, id)).await?.as_ref().map(package_from_item).transpose()
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
        if writes_nothing(operation, users) {
            // Nothing to write (DynamoDB has no empty sets either): check and answer the scope.
            return vendable(id, self.get_package(owner, id).await?);
        }
        let scoped = match operation {
            ScopeOperation::Add => self.add_users(owner, id, users, now).await?,
            ScopeOperation::Remove | ScopeOperation::Override => {
                self.remove_or_override(owner, id, operation, users, now).await?
            }
        };
        let write = match scoped {
            Scoped::Unchanged(package) => return Ok(package),
            Scoped::Written(write) => write,
        };
        self.write_shares(&write).await?;
        self.clear_pending(&write.package).await?;
        Ok(write.package)
    }

    /// A k-way merge, in package-ID order, of the caller's own partition, its share entries and
    /// the [`GLOBAL_SHARDS`] `GLOBAL` shards: each read from the cursor with Queries of at most
    /// the packages still wanted, all at once; then one BatchGetItem for the shared candidates.
    /// A page of `n` costs one round of Queries and one BatchGetItem of at most `n + 1` keys,
    /// whatever the total; stale entries or filters that pass over packages cost another round.
    async fn visible_page(&self, caller: &AccountId, listing: &Listing<'_>) -> Result<Vec<Package>, StoreError> {
        let mut sources = vec![
            Source::new(account_pk(caller), true, listing.after),
            Source::new(share_pk(caller.as_str()), false, listing.after),
        ];
        sources.extend((0..GLOBAL_SHARDS).map(|shard| Source::new(global_pk(shard), false, listing.after)));
        let mut page = Vec::new();
        while page.len() < listing.wanted() {
            let wanted = listing.wanted() - page.len();
            futures::future::try_join_all(
                sources
                    .iter_mut()
                    .filter(|source| source.needs_reading())
                    .map(|source| self.read_source(source, wanted)),
            )
            .await?;
            let candidates = next_candidates(caller, &mut sources, wanted)?;
            if candidates.is_empty() {
                if sources.iter().any(Source::needs_reading) {
                    continue;
                }
                break;
            }
            let keys: Vec<Item> = candidates
                .iter()
                .filter_map(|c| match c {
                    Candidate::Shared { owner, id } => {
                        Some(key(format!("{ACCOUNT_PREFIX}{owner}"), format!("{PACKAGE_PREFIX}{id}")))
                    }
                    Candidate::Own(_) => None,
                })
                .collect();
            let mut found: HashMap<String, Package> = HashMap::new();
            for item in &self.batch_get(keys, None).await? {
                let package = package_from_item(item)?;
                found.insert(package.id.as_str().to_owned(), package);
            }
            for candidate in candidates {
                let package = match candidate {
                    Candidate::Own(package) => *package,
                    // Gone, or the entry is stale: the package's own scope decides.
                    Candidate::Shared { id, .. } => match found.remove(&id) {
                        Some(package) if package.users.admits(caller) => package,
                        _ => continue,
                    },
                };
                if listing.admits(&package) {
                    page.push(package);
                }
            }
        }
        Ok(page)
    }

    async fn delete_package(&self, owner: &AccountId, id: &PackageId) -> Result<Package, StoreError> {
        let mut current = self.get_package(owner, id).await?.ok_or(StoreError::NotFound)?;
        for attempt in 0..MAX_UPDATE_ATTEMPTS {
            let delete_package = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(package_key(owner, id)))
                .condition_expression("version = :v")
                .expression_attribute_values(":v", n(current.version))
                .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
                .build()
                .map_err(build_error)?;
            let delete_claim = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(name_key(owner, &current.name)))
                .condition_expression("attribute_not_exists(pk) OR packageId = :id")
                .expression_attribute_values(":id", s(id.as_str()))
                .build()
                .map_err(build_error)?;
            let mut items = vec![
                TransactWriteItem::builder().delete(delete_package).build(),
                TransactWriteItem::builder().delete(delete_claim).build(),
            ];
            // Its share entries and history go in the same transaction when they fit (the
            // usual case: 2 calls in all); a larger package's are deleted after it.
            let leftovers = leftover_keys(&current);
            let inline = items.len() + leftovers.len() <= MAX_TRANSACTION_ITEMS;
            if inline {
                for key in leftovers {
                    let delete =
                        Delete::builder().table_name(&self.table).set_key(Some(key)).build().map_err(build_error)?;
                    items.push(TransactWriteItem::builder().delete(delete).build());
                }
            }
            match self.transact(items).await? {
                None => {
                    if !inline {
                        self.delete_leftovers(&current).await;
                    }
                    return Ok(current);
                }
                // A scope change (or another delete) won the race: start again from what is there.
                Some(reasons) if failed(&reasons, 0).is_some() => {
                    current = package_returned(&reasons)?;
                    backoff(attempt).await;
                }
                Some(reasons) => {
                    let codes: Vec<&str> = reasons.iter().filter_map(|r| r.code()).collect();
                    return Err(StoreError::Backend(format!("transaction cancelled: {codes:?}")));
                }
            }
        }
        Err(StoreError::Contention)
    }

    async fn update_package(&self, owner: &AccountId, update: &PackageUpdate, now: i64) -> Result<Package, StoreError> {
        let id = &update.package_id;
        let mut current = self.get_package(owner, id).await?.ok_or(StoreError::NotFound)?;
        for attempt in 0..UPDATE_PACKAGE_ATTEMPTS {
            let (next, entry) = updated(&current, update, now);
            let items = vec![
                TransactWriteItem::builder().update(self.package_update(&current, &next)?).build(),
                self.put_new(version_item(owner, id, &entry))?,
            ];
            match self.transact(items).await? {
                None => return Ok(next),
                // Another update (or a delete) committed first: start again from what is there.
                Some(reasons) if failed(&reasons, 0).is_some() => {
                    current = package_returned(&reasons)?;
                    backoff(attempt).await;
                }
                Some(reasons) => {
                    let codes: Vec<&str> = reasons.iter().filter_map(|r| r.code()).collect();
                    return Err(StoreError::Backend(format!(
                        "package {id} already has a history entry for version {}: {codes:?}",
                        entry.version
                    )));
                }
            }
        }
        Err(StoreError::Contention)
    }

    async fn package_history(
        &self,
        owner: &AccountId,
        id: &PackageId,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<PackageVersion>, StoreError> {
        // Both at once: the page costs one round trip, and what decides is whether the package is there.
        let (exists, page) = futures::try_join!(
            self.package_exists(owner, id),
            self.version_page(owner, id, history_versions(before), limit)
        )?;
        if exists { Ok(page) } else { Err(StoreError::NotFound) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_shares_spread_over_every_shard() {
        let mut counts = [0usize; GLOBAL_SHARDS as usize];
        for _ in 0..8000 {
            counts[global_shard(&PackageId::generate()) as usize] += 1;
        }
        // 1000 a shard on average: none empty, none with twice its share.
        assert!(counts.iter().all(|&c| c > 500 && c < 2000), "{counts:?}");
        let id = PackageId::new("pkg-0123456789abcdef0123").expect("id");
        assert_eq!(global_shard(&id), global_shard(&id.clone()), "fixed by the ID");
    }
}
