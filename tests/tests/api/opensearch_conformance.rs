//! Store conformance of the `PackageStore` port (docs/opensearch.md): both adapters keep the same
//! guarantees. A package and its name are written together (names unique per owner, free again
//! after delete); only the owner addresses a package; ADD/REMOVE/OVERRIDE are set operations in
//! one atomic write, with the 1000-user cap exact even under concurrency; vending off is a
//! disabled operation; what an account sees is its own packages and those whose scope lists it or
//! `GLOBAL`, and nothing once a share is removed or the package deleted. UpdatePackage makes the
//! next version with its history entry in one atomic write (concurrent updates get distinct,
//! gap-free versions and keep concurrent scope changes); the history is the owner's, newest
//! first, paged, and goes with the package. Every test runs on DynamoDB Local and on the embedded
//! (redb) store; a few check the DynamoDB item layout itself.

use std::collections::BTreeSet;
use std::sync::Arc;

use shared::error::ApiError;
use shared::opensearch::domain::{
    DescriptionChange, EncryptionOptions, EngineVersion, Filter, FilterName, PackageConfiguration, PackageId,
    PackageName, PackageSource, PackageType, PackageUpdate, Requirement, ScopeOperation, UserSet,
};
use shared::store::packages::{Listing, Package, PackageStore, PackageVersion};
use shared::store::{Store, StoreError};
use tokio::sync::Barrier;

use crate::helpers::{StoreKind, account, now, on_both_stores, store};

on_both_stores!(
    create_then_get_returns_the_package,
    names_are_unique_per_owner,
    failed_create_writes_nothing,
    add_remove_override_are_set_operations,
    empty_add_and_remove_write_nothing,
    unknown_and_foreign_packages_are_not_found,
    vending_off_is_a_disabled_operation,
    cap_is_exact_at_1000,
    racing_adds_that_only_fit_alone_cannot_both_succeed,
    concurrent_adds_from_20_tasks_all_survive,
    concurrent_adds_and_removes_keep_visibility_in_step,
    visibility_own_shared_global_removed_deleted,
    many_shared_packages_are_all_visible,
    pages_merge_own_direct_and_global_shares_in_id_order,
    delete_returns_the_package_and_frees_the_name,
    delete_racing_scope_changes,
    versions_start_at_1_and_each_update_makes_the_next,
    updates_and_history_are_the_owners_only,
    history_pages_go_newest_first_down_to_v1,
    delete_takes_the_history_and_a_new_package_starts_at_v1,
    concurrent_updates_and_scope_changes_lose_nothing,
    delete_racing_updates,
);

const A: &str = "111111111111";
const B: &str = "222222222222";
const C: &str = "333333333333";
/// Concurrent callers in the concurrency tests.
const TASKS: usize = 20;

// ---------------------------------------------------------------------------------------------
// Helpers

fn users<S: AsRef<str>>(items: &[S]) -> UserSet {
    UserSet::from_stored(items.iter().map(AsRef::as_ref)).expect("valid users")
}

/// `n` distinct accounts from `base`.
fn accounts(base: u64, n: u64) -> Vec<String> {
    (base..base + n).map(|i| format!("{i:012}")).collect()
}

fn strs(set: &UserSet) -> Vec<&str> {
    set.as_strs()
}

/// A minimal package of `owner` named `name`.
fn package(owner: &str, name: &str, vending: bool) -> Package {
    let t = now();
    Package {
        owner: account(owner),
        id: PackageId::generate(),
        name: PackageName::new(name).expect("a valid name"),
        package_type: PackageType::TxtDictionary,
        description: None,
        source: PackageSource { bucket: "bucket".into(), key: format!("{name}.txt") },
        configuration: None,
        engine_version: None,
        vending_enabled: vending,
        encryption: None,
        created_at: t,
        last_updated_at: t,
        users: UserSet::default(),
        version: 1,
        available_version: 1,
    }
}

async fn create(store: &Arc<dyn Store>, p: &Package) {
    store.create_package(p).await.unwrap_or_else(|e| panic!("creating {}: {e:?}", p.name.as_str()));
}

/// A fresh vendable package of `owner`.
async fn vendable(store: &Arc<dyn Store>, owner: &str, name: &str) -> Package {
    let p = package(owner, name, true);
    create(store, &p).await;
    p
}

async fn get(store: &Arc<dyn Store>, p: &Package) -> Option<Package> {
    store.get_package(&p.owner, &p.id).await.expect("get_package")
}

async fn scope(store: &Arc<dyn Store>, p: &Package, op: ScopeOperation, list: &[&str]) -> Result<Package, StoreError> {
    store.update_package_scope(&p.owner, &p.id, op, &users(list), now()).await
}

/// Every package `caller` sees, paging 3 at a time; checks each page is in ID order and
/// follows the previous one.
async fn all_visible(store: &Arc<dyn Store>, caller: &str) -> Vec<Package> {
    let mut all: Vec<Package> = Vec::new();
    loop {
        let after = all.last().map(|p| p.id.as_str().to_owned());
        let listing = Listing { after: after.as_deref(), limit: 3, filters: &[] };
        let mut page = store.visible_page(&account(caller), &listing).await.expect("visible_page");
        assert!(page.len() <= 4, "at most the page and one more");
        assert!(page.windows(2).all(|w| w[0].id.as_str() < w[1].id.as_str()), "a page is in ID order");
        let more = page.len() == 4;
        page.truncate(3);
        all.extend(page);
        if !more {
            return all;
        }
    }
}

/// The IDs of the packages `caller` sees.
async fn visible(store: &Arc<dyn Store>, caller: &str) -> BTreeSet<String> {
    let packages = all_visible(store, caller).await;
    let ids: Vec<String> = packages.iter().map(|p| p.id.as_str().to_owned()).collect();
    let set: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(set.len(), ids.len(), "a package is listed twice for {caller}: {ids:?}");
    set
}

fn ids(packages: &[&Package]) -> BTreeSet<String> {
    packages.iter().map(|p| p.id.as_str().to_owned()).collect()
}

#[track_caller]
fn assert_not_found<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    assert!(matches!(result, Err(StoreError::NotFound)), "expected NotFound, got {result:?}");
}

#[track_caller]
fn assert_disabled<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    assert!(
        matches!(result, Err(StoreError::Rule(ApiError::DisabledOperation(_)))),
        "expected DisabledOperation, got {result:?}"
    );
}

#[track_caller]
fn assert_over_cap<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    assert!(
        matches!(&result, Err(StoreError::Rule(ApiError::Validation(m))) if m.contains("at most 1000")),
        "expected the 1000-user ValidationException, got {result:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Tests

async fn create_then_get_returns_the_package(kind: StoreKind) {
    let store = store(kind).await;
    let mut full = package(A, "full-package", true);
    full.package_type = PackageType::ZipPlugin;
    full.description = Some("Synonyms, ünïcödé and \"quotes\"".into());
    full.configuration = Some(PackageConfiguration {
        license_requirement: Requirement::Required,
        license_filepath: Some("licenses/LICENSE.txt".into()),
        configuration_requirement: Requirement::Optional,
        requires_restart: Some(true),
    });
    full.engine_version = Some(EngineVersion::new("OpenSearch_2.11").unwrap());
    full.encryption = Some(EncryptionOptions { enabled: true, kms_key_identifier: Some("alias/key".into()) });
    create(&store, &full).await;
    assert_eq!(get(&store, &full).await, Some(full.clone()), "every field reads back");

    let mut minimal = package(A, "minimal", false);
    minimal.configuration = Some(PackageConfiguration {
        license_requirement: Requirement::None,
        license_filepath: None,
        configuration_requirement: Requirement::None,
        requires_restart: None,
    });
    minimal.encryption = Some(EncryptionOptions { enabled: false, kms_key_identifier: None });
    create(&store, &minimal).await;
    assert_eq!(get(&store, &minimal).await, Some(minimal.clone()));

    assert_eq!(visible(&store, A).await, ids(&[&full, &minimal]));
    assert!(visible(&store, B).await.is_empty(), "nothing is shared yet");
    assert_eq!(store.get_package(&account(B), &full.id).await.expect("get"), None, "only the owner addresses it");
}

async fn names_are_unique_per_owner(kind: StoreKind) {
    let store = store(kind).await;
    let first = vendable(&store, A, "words").await;
    let again = package(A, "words", false);
    let result = store.create_package(&again).await;
    match &result {
        Err(StoreError::Rule(ApiError::AlreadyExists(m))) => assert!(m.contains("words"), "{m}"),
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    assert_eq!(get(&store, &again).await, None, "the refused package was not written");
    // Another owner may use the name; the first is untouched.
    let other = vendable(&store, B, "words").await;
    assert_eq!(get(&store, &other).await, Some(other.clone()));
    assert_eq!(get(&store, &first).await, Some(first.clone()));

    // Concurrent creates of one name by one owner: exactly one wins.
    let barrier = Arc::new(Barrier::new(TASKS));
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (store, barrier) = (store.clone(), barrier.clone());
            tokio::spawn(async move {
                let p = package(C, "contested", true);
                barrier.wait().await;
                (store.create_package(&p).await, p)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        match task.await.expect("task") {
            (Ok(()), p) => winners.push(p),
            (Err(StoreError::Rule(ApiError::AlreadyExists(_))), _) => {}
            (Err(StoreError::Contention), _) => {}
            (other, _) => panic!("unexpected outcome {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "one name, one package");
    assert_eq!(visible(&store, C).await, ids(&[&winners[0]]));
}

async fn failed_create_writes_nothing(kind: StoreKind) {
    let store = store(kind).await;
    let first = vendable(&store, A, "taken").await;
    // Same ID as an existing package, different name: refused, and the name is not claimed.
    let mut clash = package(A, "fresh-name", true);
    clash.id = first.id.clone();
    assert!(store.create_package(&clash).await.is_err(), "an ID clash must not be written");
    assert_eq!(get(&store, &first).await, Some(first.clone()));
    let fresh = vendable(&store, A, "fresh-name").await;
    assert_eq!(visible(&store, A).await, ids(&[&first, &fresh]));
}

async fn add_remove_override_are_set_operations(kind: StoreKind) {
    use ScopeOperation::{Add, Override, Remove};
    let store = store(kind).await;
    let p = vendable(&store, A, "scoped").await;
    let created = p.version;

    let after = scope(&store, &p, Add, &[C, B, B]).await.expect("ADD");
    assert_eq!(strs(&after.users), [B, C]);
    assert!(after.version > created, "writes bump the version");
    let after = scope(&store, &p, Add, &["GLOBAL", B]).await.expect("ADD again");
    assert_eq!(strs(&after.users), [B, C, "GLOBAL"], "ADD is a union, sorted as strings");
    let after = scope(&store, &p, Remove, &[C, "999999999999"]).await.expect("REMOVE");
    assert_eq!(strs(&after.users), [B, "GLOBAL"], "removing an absent user is a no-op");
    let after = scope(&store, &p, Override, &[A, "444444444444"]).await.expect("OVERRIDE");
    assert_eq!(strs(&after.users), [A, "444444444444"], "OVERRIDE replaces");
    assert_eq!(get(&store, &p).await.expect("package").users, after.users, "what was answered was written");
    let after = scope(&store, &p, Remove, &[A, "444444444444"]).await.expect("REMOVE all");
    assert!(after.users.is_empty());
    let after = scope(&store, &p, Add, &[B]).await.expect("ADD after empty");
    assert_eq!(strs(&after.users), [B]);
    let after = scope(&store, &p, Override, &[]).await.expect("OVERRIDE []");
    assert!(after.users.is_empty(), "OVERRIDE [] clears");
    let stored = get(&store, &p).await.expect("package");
    assert!(stored.users.is_empty());
    assert_eq!(stored.version, after.version);
    assert_eq!(
        Package { users: UserSet::default(), version: p.version, last_updated_at: p.last_updated_at, ..stored },
        p,
        "scope changes touch nothing else"
    );
}

async fn empty_add_and_remove_write_nothing(kind: StoreKind) {
    let store = store(kind).await;
    let p = vendable(&store, A, "steady").await;
    let before = scope(&store, &p, ScopeOperation::Add, &[B]).await.expect("ADD");
    for op in [ScopeOperation::Add, ScopeOperation::Remove] {
        let same = scope(&store, &p, op, &[]).await.expect("empty list");
        assert_eq!(same, before, "{op:?} [] answers the current package and writes nothing");
    }
    assert_eq!(get(&store, &p).await, Some(before));
}

async fn unknown_and_foreign_packages_are_not_found(kind: StoreKind) {
    let store = store(kind).await;
    let p = vendable(&store, A, "mine").await;
    scope(&store, &p, ScopeOperation::Add, &[B]).await.expect("share with B");
    let unknown = PackageId::new("pkg-0123456789abcdef0123").unwrap();
    for owner in [A, B] {
        let r = store.update_package_scope(&account(owner), &unknown, ScopeOperation::Add, &users(&[C]), now()).await;
        assert_not_found(r);
        assert_not_found(store.delete_package(&account(owner), &unknown).await);
    }
    // B is in the scope, C is not: neither addresses A's package.
    for other in [B, C] {
        for op in [ScopeOperation::Add, ScopeOperation::Remove, ScopeOperation::Override] {
            let r = store.update_package_scope(&account(other), &p.id, op, &users(&[other]), now()).await;
            assert_not_found(r);
            let r = store.update_package_scope(&account(other), &p.id, op, &UserSet::default(), now()).await;
            assert_not_found(r);
        }
        assert_not_found(store.delete_package(&account(other), &p.id).await);
        assert_eq!(store.get_package(&account(other), &p.id).await.expect("get"), None);
    }
    let stored = get(&store, &p).await.expect("still there");
    assert_eq!(strs(&stored.users), [B], "foreign calls changed nothing");
}

async fn vending_off_is_a_disabled_operation(kind: StoreKind) {
    let store = store(kind).await;
    let p = package(A, "closed", false);
    create(&store, &p).await;
    for op in [ScopeOperation::Add, ScopeOperation::Remove, ScopeOperation::Override] {
        assert_disabled(scope(&store, &p, op, &[B]).await);
        assert_disabled(scope(&store, &p, op, &[]).await);
    }
    assert_eq!(get(&store, &p).await, Some(p.clone()), "nothing was written");
    // Tenancy first: another account gets not-found, not disabled.
    let r = store.update_package_scope(&account(B), &p.id, ScopeOperation::Add, &users(&[B]), now()).await;
    assert_not_found(r);
}

async fn cap_is_exact_at_1000(kind: StoreKind) {
    use ScopeOperation::{Add, Override, Remove};
    let store = store(kind).await;
    let p = vendable(&store, A, "capped").await;
    let first = accounts(500_000_000_000, 600);
    let second = accounts(500_000_000_600, 400);
    scope(&store, &p, Add, &first.iter().map(String::as_str).collect::<Vec<_>>()).await.expect("600");
    let full = scope(&store, &p, Add, &second.iter().map(String::as_str).collect::<Vec<_>>()).await.expect("1000");
    assert_eq!(full.users.len(), 1000, "exactly 1000 fits");

    assert_over_cap(scope(&store, &p, Add, &["GLOBAL"]).await);
    assert_over_cap(scope(&store, &p, Add, &[first[0].as_str(), "999999999999"]).await);
    assert_eq!(get(&store, &p).await.expect("package").users, full.users, "a refused ADD writes nothing");

    // Users already in the scope fit (the guard is only conservative, the answer exact).
    let same = scope(&store, &p, Add, &[first[0].as_str(), second[399].as_str()]).await.expect("overlap");
    assert_eq!(same.users, full.users);
    // OVERRIDE to exactly 1000 and REMOVE from a full scope work.
    let other: Vec<String> = accounts(600_000_000_000, 1000);
    let replaced = scope(&store, &p, Override, &other.iter().map(String::as_str).collect::<Vec<_>>()).await;
    assert_eq!(replaced.expect("OVERRIDE 1000").users.len(), 1000);
    let fewer = scope(&store, &p, Remove, &[other[0].as_str()]).await.expect("REMOVE");
    assert_eq!(fewer.users.len(), 999);
    let back = scope(&store, &p, Add, &["GLOBAL"]).await.expect("room for one");
    assert_eq!(back.users.len(), 1000);
    assert_over_cap(scope(&store, &p, Add, &[other[0].as_str()]).await);
    // A request of more than 1000 users is refused before anything is read.
    let too_many = accounts(700_000_000_000, 1001);
    let r = store.update_package_scope(&p.owner, &p.id, Override, &users(&too_many), now()).await;
    assert_over_cap(r);
    assert_eq!(get(&store, &p).await.expect("package").users.len(), 1000);
}

async fn racing_adds_that_only_fit_alone_cannot_both_succeed(kind: StoreKind) {
    let store = store(kind).await;
    for round in 0..3u64 {
        let p = vendable(&store, A, &format!("race-{round}")).await;
        // 300 users already; two ADDs of 400 fresh users each: either fits, both do not.
        let base = accounts(100_000_000_000 + round * 10_000, 300);
        scope(&store, &p, ScopeOperation::Add, &base.iter().map(String::as_str).collect::<Vec<_>>()).await.unwrap();
        let barrier = Arc::new(Barrier::new(2));
        let tasks: Vec<_> = [200_000_000_000u64, 300_000_000_000]
            .into_iter()
            .map(|from| {
                let (store, barrier, p) = (store.clone(), barrier.clone(), p.clone());
                let list = users(&accounts(from + round * 10_000, 400));
                tokio::spawn(async move {
                    barrier.wait().await;
                    let r = store.update_package_scope(&p.owner, &p.id, ScopeOperation::Add, &list, now()).await;
                    (list, r)
                })
            })
            .collect();
        let mut won = Vec::new();
        for task in tasks {
            let (list, result) = task.await.expect("task");
            match result {
                Ok(p) => {
                    assert_eq!(p.users.len(), 700);
                    won.push(list);
                }
                Err(e) => assert_over_cap(Err::<(), _>(e)),
            }
        }
        assert_eq!(won.len(), 1, "round {round}: exactly one of the racing ADDs may succeed");
        let want = users(&base).union(&won[0]);
        assert_eq!(get(&store, &p).await.expect("package").users, want);
    }
}

async fn concurrent_adds_from_20_tasks_all_survive(kind: StoreKind) {
    let store = store(kind).await;
    let p = vendable(&store, A, "popular").await;
    let barrier = Arc::new(Barrier::new(TASKS));
    let tasks: Vec<_> = (0..TASKS as u64)
        .map(|i| {
            let (store, barrier, p) = (store.clone(), barrier.clone(), p.clone());
            let user = format!("{:012}", 400_000_000_000 + i);
            tokio::spawn(async move {
                barrier.wait().await;
                let r = store.update_package_scope(&p.owner, &p.id, ScopeOperation::Add, &users(&[&user]), now()).await;
                (user, r)
            })
        })
        .collect();
    let mut want = BTreeSet::new();
    for task in tasks {
        let (user, result) = task.await.expect("task");
        let after = result.unwrap_or_else(|e| panic!("ADD {user}: {e:?}"));
        assert!(after.users.as_strs().contains(&user.as_str()), "the answer includes the caller's own ADD");
        want.insert(user);
    }
    let stored = get(&store, &p).await.expect("package");
    assert_eq!(stored.users.strings().into_iter().collect::<BTreeSet<_>>(), want, "every ADD survived");
    assert!(stored.version >= p.version + TASKS as u64, "each ADD was its own write");
    for user in &want {
        assert_eq!(visible(&store, user).await, ids(&[&p]), "{user} sees the package");
    }
}

async fn concurrent_adds_and_removes_keep_visibility_in_step(kind: StoreKind) {
    let store = store(kind).await;
    let p = vendable(&store, A, "flapping").await;
    for round in 0..8 {
        let barrier = Arc::new(Barrier::new(3));
        let ops = [ScopeOperation::Add, ScopeOperation::Remove, ScopeOperation::Override];
        let tasks: Vec<_> = ops
            .into_iter()
            .enumerate()
            .map(|(i, op)| {
                let (store, barrier, p) = (store.clone(), barrier.clone(), p.clone());
                // OVERRIDE keeps B only every other round, so C and B both flap.
                let list = match (op, round % 2) {
                    (ScopeOperation::Override, 0) => users(&[B]),
                    (ScopeOperation::Override, _) => users(&[C]),
                    _ if i == 0 => users(&[B, C]),
                    _ => users(&[B]),
                };
                tokio::spawn(async move {
                    barrier.wait().await;
                    store.update_package_scope(&p.owner, &p.id, op, &list, now()).await
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("task").expect("scope change");
        }
        // Whatever order the writes took, the reader agrees with the package.
        let stored = get(&store, &p).await.expect("package");
        for user in [B, C] {
            let member = stored.users.as_strs().contains(&user);
            let sees = visible(&store, user).await.contains(p.id.as_str());
            assert_eq!(sees, member, "round {round}: {user} member={member} but sees={sees}");
        }
    }
}

async fn visibility_own_shared_global_removed_deleted(kind: StoreKind) {
    use ScopeOperation::{Add, Override, Remove};
    let store = store(kind).await;
    let a1 = vendable(&store, A, "a-one").await;
    let a2 = vendable(&store, A, "a-two").await;
    let closed = package(A, "a-closed", false);
    create(&store, &closed).await;
    let b1 = vendable(&store, B, "b-one").await;
    let c1 = vendable(&store, C, "c-one").await;

    assert_eq!(visible(&store, A).await, ids(&[&a1, &a2, &closed]), "own packages only");
    assert_eq!(visible(&store, B).await, ids(&[&b1]));

    scope(&store, &a1, Add, &[B]).await.unwrap();
    assert_eq!(visible(&store, B).await, ids(&[&b1, &a1]), "shared with B");
    assert_eq!(visible(&store, C).await, ids(&[&c1]), "not with C");

    scope(&store, &c1, Add, &["GLOBAL"]).await.unwrap();
    for (who, want) in [(A, vec![&a1, &a2, &closed, &c1]), (B, vec![&b1, &a1, &c1]), (C, vec![&c1])] {
        assert_eq!(visible(&store, who).await, ids(&want), "{who} with c-one GLOBAL");
    }
    assert_eq!(visible(&store, "999999999999").await, ids(&[&c1]), "GLOBAL is everyone");

    // The owner in its own scope (and GLOBAL): still listed once.
    scope(&store, &a2, Add, &[A, "GLOBAL"]).await.unwrap();
    assert_eq!(visible(&store, A).await, ids(&[&a1, &a2, &closed, &c1]));
    assert_eq!(visible(&store, B).await, ids(&[&b1, &a1, &a2, &c1]));
    // Listed and GLOBAL at once: once.
    scope(&store, &c1, Add, &[B]).await.unwrap();
    assert_eq!(visible(&store, B).await, ids(&[&b1, &a1, &a2, &c1]));

    scope(&store, &a1, Remove, &[B]).await.unwrap();
    assert_eq!(visible(&store, B).await, ids(&[&b1, &a2, &c1]), "a removed share disappears");
    scope(&store, &a2, Override, &[C]).await.unwrap();
    assert_eq!(visible(&store, B).await, ids(&[&b1, &c1]), "OVERRIDE drops GLOBAL");
    assert_eq!(visible(&store, C).await, ids(&[&c1, &a2]));
    scope(&store, &c1, Override, &[]).await.unwrap();
    assert_eq!(visible(&store, B).await, ids(&[&b1]), "OVERRIDE [] unshares");

    scope(&store, &b1, Add, &[A, C]).await.unwrap();
    store.delete_package(&b1.owner, &b1.id).await.expect("delete b-one");
    assert_eq!(visible(&store, A).await, ids(&[&a1, &a2, &closed]), "a deleted package disappears");
    assert_eq!(visible(&store, C).await, ids(&[&c1, &a2]));
    assert!(visible(&store, B).await.is_empty());

    // What a reader gets is the package itself, scope included.
    let shown = all_visible(&store, C).await;
    let a2_shown = shown.iter().find(|p| p.id == a2.id).expect("a-two");
    assert_eq!(a2_shown.owner, account(A));
    assert_eq!(strs(&a2_shown.users), [C]);
}

/// 40 packages shared with everyone (spread over the `GLOBAL` shards of the DynamoDB table),
/// some also directly, 5 own, stale and deleted entries: every page size gives each visible
/// package once, in ID order, and a filter pages the same way over what it admits.
async fn pages_merge_own_direct_and_global_shares_in_id_order(kind: StoreKind) {
    let store = store(kind).await;
    let mut want = BTreeSet::new();
    for i in 0..40 {
        let owner = if i % 2 == 0 { A } else { B };
        let p = vendable(&store, owner, &format!("global-{i}")).await;
        let also_direct: &[&str] = if i % 3 == 0 { &["GLOBAL", C] } else { &["GLOBAL"] };
        scope(&store, &p, ScopeOperation::Add, also_direct).await.expect("share");
        want.insert(p.id.as_str().to_owned());
    }
    for i in 0..5 {
        want.insert(vendable(&store, C, &format!("own-{i}")).await.id.as_str().to_owned());
    }
    // Unshared again, and deleted: their entries are gone or stale, never listed.
    let unshared = vendable(&store, A, "unshared").await;
    scope(&store, &unshared, ScopeOperation::Add, &["GLOBAL", C]).await.expect("share");
    scope(&store, &unshared, ScopeOperation::Override, &[B]).await.expect("unshare");
    let deleted = vendable(&store, B, "deleted").await;
    scope(&store, &deleted, ScopeOperation::Add, &["GLOBAL"]).await.expect("share");
    store.delete_package(&deleted.owner, &deleted.id).await.expect("delete");

    for limit in [1, 4, 7, 45, 100] {
        let mut seen = Vec::new();
        loop {
            let after = seen.last().cloned();
            let listing = Listing { after: after.as_deref(), limit, filters: &[] };
            let page = store.visible_page(&account(C), &listing).await.expect("visible_page");
            let more = page.len() > limit;
            seen.extend(page.iter().take(limit).map(|p| p.id.as_str().to_owned()));
            if !more {
                break;
            }
        }
        let sorted: Vec<String> = want.iter().cloned().collect();
        assert_eq!(seen, sorted, "pages of {limit}: each visible package once, in ID order");
    }

    let filters = [Filter { name: FilterName::PackageOwner, values: vec![B.to_owned()] }];
    let listing = Listing { after: None, limit: 100, filters: &filters };
    let owned_by_b = store.visible_page(&account(C), &listing).await.expect("filtered");
    assert_eq!(owned_by_b.len(), 20, "B's 20 global packages, not its unshared or deleted ones");
    assert!(owned_by_b.iter().all(|p| p.owner == account(B)));
}

async fn many_shared_packages_are_all_visible(kind: StoreKind) {
    let store = store(kind).await;
    // More than one BatchGetItem's worth (100 keys), shared directly and through GLOBAL.
    let mut shared = Vec::new();
    for i in 0..130 {
        let p = vendable(&store, A, &format!("many-{i:03}")).await;
        let to = if i % 3 == 0 { "GLOBAL" } else { B };
        scope(&store, &p, ScopeOperation::Add, &[to]).await.unwrap();
        shared.push(p);
    }
    let want = ids(&shared.iter().collect::<Vec<_>>());
    assert_eq!(visible(&store, B).await, want);
    assert_eq!(visible(&store, A).await, want);
    assert_eq!(visible(&store, C).await.len(), 130usize.div_ceil(3));
}

async fn delete_returns_the_package_and_frees_the_name(kind: StoreKind) {
    let store = store(kind).await;
    let p = vendable(&store, A, "short-lived").await;
    let shared = scope(&store, &p, ScopeOperation::Add, &[B, "GLOBAL"]).await.unwrap();
    let deleted = store.delete_package(&p.owner, &p.id).await.expect("delete");
    assert_eq!(deleted, shared, "the package as it was");
    assert_eq!(get(&store, &p).await, None);
    assert_not_found(store.delete_package(&p.owner, &p.id).await);
    assert_not_found(scope(&store, &p, ScopeOperation::Add, &[C]).await);
    assert_not_found(scope(&store, &p, ScopeOperation::Add, &[]).await);
    assert!(visible(&store, A).await.is_empty());
    assert!(visible(&store, B).await.is_empty());

    let again = vendable(&store, A, "short-lived").await;
    assert_ne!(again.id, p.id);
    assert_eq!(visible(&store, A).await, ids(&[&again]), "the name is free again");
    assert!(visible(&store, B).await.is_empty(), "the new package inherits no scope");
}

async fn delete_racing_scope_changes(kind: StoreKind) {
    let store = store(kind).await;
    for round in 0..3 {
        let p = vendable(&store, A, &format!("doomed-{round}")).await;
        let barrier = Arc::new(Barrier::new(TASKS + 1));
        let adders: Vec<_> = (0..TASKS as u64)
            .map(|i| {
                let (store, barrier, p) = (store.clone(), barrier.clone(), p.clone());
                let user = format!("{:012}", 800_000_000_000 + i);
                tokio::spawn(async move {
                    barrier.wait().await;
                    store.update_package_scope(&p.owner, &p.id, ScopeOperation::Add, &users(&[&user]), now()).await
                })
            })
            .collect();
        let deleter = {
            let (store, barrier, p) = (store.clone(), barrier.clone(), p.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                store.delete_package(&p.owner, &p.id).await
            })
        };
        for adder in adders {
            match adder.await.expect("task") {
                Ok(_) | Err(StoreError::NotFound) => {}
                other => panic!("an ADD racing a delete: {other:?}"),
            }
        }
        match deleter.await.expect("task") {
            Ok(deleted) => assert_eq!(deleted.id, p.id),
            // Every attempt lost to an ADD: the caller retries, and with the ADDs done it wins.
            Err(StoreError::Contention) => {
                store.delete_package(&p.owner, &p.id).await.expect("the retried delete");
            }
            Err(other) => panic!("a delete racing ADDs: {other:?}"),
        }
        assert_eq!(get(&store, &p).await, None, "round {round}: gone");
        for i in 0..TASKS as u64 {
            let user = format!("{:012}", 800_000_000_000 + i);
            assert!(visible(&store, &user).await.is_empty(), "{user} still sees a deleted package");
        }
        vendable(&store, A, &format!("doomed-{round}")).await;
    }
}

// ---------------------------------------------------------------------------------------------
// UpdatePackage and the version history

/// An UpdatePackage of `p` that gives only a new source (and the commit message, if any).
fn change(p: &Package, key: &str, message: Option<&str>) -> PackageUpdate {
    PackageUpdate {
        package_id: p.id.clone(),
        source: PackageSource { bucket: "new-bucket".into(), key: key.into() },
        description: DescriptionChange::Keep,
        commit_message: message.map(str::to_owned),
        configuration: None,
        encryption: None,
    }
}

async fn update(store: &Arc<dyn Store>, p: &Package, change: &PackageUpdate) -> Package {
    store.update_package(&p.owner, change, now()).await.unwrap_or_else(|e| panic!("UpdatePackage {}: {e:?}", p.id))
}

/// The whole history of `p` as its owner reads it, in one page.
async fn history(store: &Arc<dyn Store>, p: &Package) -> Vec<PackageVersion> {
    store.package_history(&p.owner, &p.id, None, 100).await.expect("package_history")
}

fn versions(entries: &[PackageVersion]) -> Vec<u64> {
    entries.iter().map(|e| e.version).collect()
}

fn configuration(requirement: Requirement) -> PackageConfiguration {
    PackageConfiguration {
        license_requirement: requirement,
        license_filepath: Some("LICENSE".into()),
        configuration_requirement: Requirement::None,
        requires_restart: None,
    }
}

async fn versions_start_at_1_and_each_update_makes_the_next(kind: StoreKind) {
    let store = store(kind).await;
    let mut p = package(A, "versioned", true);
    p.description = Some("first".into());
    p.configuration = Some(configuration(Requirement::Required));
    p.encryption = Some(EncryptionOptions { enabled: true, kms_key_identifier: Some("alias/k".into()) });
    create(&store, &p).await;
    let shared = scope(&store, &p, ScopeOperation::Add, &[B]).await.expect("share");
    assert_eq!(shared.available_version, 1, "a scope change makes no version");
    let v1 = PackageVersion {
        version: 1,
        created_at: p.created_at,
        commit_message: None,
        configuration: Some(configuration(Requirement::Required)),
    };
    assert_eq!(history(&store, &p).await, std::slice::from_ref(&v1), "v1 is the creation");

    // Only the source: everything else stays, the version moves on.
    let t = now();
    let second = update(&store, &p, &change(&p, "v2.txt", Some("second"))).await;
    assert_eq!(second.available_version, 2);
    assert!(second.last_updated_at >= t);
    assert_eq!(second.source, PackageSource { bucket: "new-bucket".into(), key: "v2.txt".into() });
    assert_eq!(get(&store, &p).await, Some(second.clone()), "what was answered was written");
    assert_eq!(
        Package {
            source: p.source.clone(),
            last_updated_at: p.last_updated_at,
            version: shared.version,
            available_version: 1,
            ..second.clone()
        },
        shared,
        "name, type, owner, vending, scope, creation time, description, configuration and encryption stay"
    );
    assert!(second.version > shared.version, "the write version moves on too");

    // Everything: the description removed, configuration and encryption replaced.
    let mut all = change(&p, "v3.txt", None);
    all.description = DescriptionChange::Remove;
    all.configuration = Some(configuration(Requirement::Optional));
    all.encryption = Some(EncryptionOptions { enabled: false, kms_key_identifier: None });
    let third = update(&store, &p, &all).await;
    assert_eq!((third.available_version, third.description.as_deref()), (3, None));
    assert_eq!(third.configuration, all.configuration);
    assert_eq!(third.encryption, all.encryption);
    assert_eq!(strs(&third.users), [B]);
    assert_eq!(get(&store, &p).await, Some(third.clone()));
    let mut set = change(&p, "v4.txt", Some("described again"));
    set.description = DescriptionChange::Set("fourth".into());
    let fourth = update(&store, &p, &set).await;
    assert_eq!((fourth.available_version, fourth.description.as_deref()), (4, Some("fourth")));
    assert_eq!(fourth.configuration, all.configuration, "kept when not given");

    let want = [
        PackageVersion {
            version: 4,
            created_at: fourth.last_updated_at,
            commit_message: Some("described again".into()),
            configuration: Some(configuration(Requirement::Optional)),
        },
        PackageVersion {
            version: 3,
            created_at: third.last_updated_at,
            commit_message: None,
            configuration: Some(configuration(Requirement::Optional)),
        },
        PackageVersion {
            version: 2,
            created_at: second.last_updated_at,
            commit_message: Some("second".into()),
            configuration: Some(configuration(Requirement::Required)),
        },
        v1,
    ];
    assert_eq!(history(&store, &p).await, want, "newest first, each with the configuration in effect");

    // A package without a configuration has none in its history; the shared view sees the version.
    let plain = vendable(&store, A, "plain").await;
    scope(&store, &plain, ScopeOperation::Add, &[B]).await.expect("share");
    update(&store, &plain, &change(&plain, "p.txt", None)).await;
    let entries = history(&store, &plain).await;
    assert_eq!(versions(&entries), [2, 1]);
    assert!(entries.iter().all(|e| e.configuration.is_none() && e.commit_message.is_none()));
    let seen = all_visible(&store, B).await;
    let seen = seen.iter().find(|s| s.id == plain.id).expect("shared with B");
    assert_eq!(seen.available_version, 2);
}

async fn updates_and_history_are_the_owners_only(kind: StoreKind) {
    let store = store(kind).await;
    let p = vendable(&store, A, "owned").await;
    scope(&store, &p, ScopeOperation::Add, &[B, "GLOBAL"]).await.expect("share");
    let before = get(&store, &p).await.expect("package");
    let unknown = PackageId::new("pkg-0123456789abcdef0123").unwrap();
    for (caller, id) in [(B, &p.id), (C, &p.id), (A, &unknown), (B, &unknown)] {
        let mut foreign = change(&p, "x.txt", None);
        foreign.package_id = id.clone();
        assert_not_found(store.update_package(&account(caller), &foreign, now()).await);
        assert_not_found(store.package_history(&account(caller), id, None, 100).await);
        assert_not_found(store.package_history(&account(caller), id, Some(2), 100).await);
    }
    assert_eq!(get(&store, &p).await, Some(before), "nothing changed");
    assert_eq!(versions(&history(&store, &p).await), [1]);
    // Vending does not matter to UpdatePackage.
    let closed = package(A, "closed", false);
    create(&store, &closed).await;
    assert_eq!(update(&store, &closed, &change(&closed, "c.txt", None)).await.available_version, 2);
}

async fn history_pages_go_newest_first_down_to_v1(kind: StoreKind) {
    let store = store(kind).await;
    let p = vendable(&store, A, "paged").await;
    for i in 2..=7 {
        update(&store, &p, &change(&p, &format!("v{i}.txt"), Some(&format!("version {i}")))).await;
    }
    // A sibling package's history is never mixed in.
    let sibling = vendable(&store, A, "sibling").await;
    update(&store, &sibling, &change(&sibling, "s.txt", None)).await;

    let page = |before: Option<u64>, limit: usize| {
        let (store, p) = (store.clone(), p.clone());
        async move { versions(&store.package_history(&p.owner, &p.id, before, limit).await.expect("page")) }
    };
    assert_eq!(page(None, 3).await, [7, 6, 5]);
    assert_eq!(page(Some(5), 3).await, [4, 3, 2]);
    assert_eq!(page(Some(2), 3).await, [1]);
    assert_eq!(page(None, 100).await, [7, 6, 5, 4, 3, 2, 1]);
    assert_eq!(page(Some(7), 6).await, [6, 5, 4, 3, 2, 1]);
    assert_eq!(page(None, 1).await, [7]);
    assert!(page(Some(1), 100).await.is_empty(), "nothing below v1");
    assert_eq!(page(Some(100), 2).await, [7, 6], "a cursor above the newest starts at the newest");
    let entries = store.package_history(&p.owner, &p.id, Some(4), 1).await.expect("page");
    assert_eq!(entries[0].commit_message.as_deref(), Some("version 3"));
    assert_eq!(versions(&history(&store, &sibling).await), [2, 1]);
}

async fn delete_takes_the_history_and_a_new_package_starts_at_v1(kind: StoreKind) {
    let store = store(kind).await;
    let p = vendable(&store, A, "historic").await;
    for i in 0..30 {
        update(&store, &p, &change(&p, &format!("{i}.txt"), None)).await;
    }
    let deleted = store.delete_package(&p.owner, &p.id).await.expect("delete");
    assert_eq!(deleted.available_version, 31, "the package as it was");
    assert_not_found(store.package_history(&p.owner, &p.id, None, 100).await);
    assert_not_found(store.update_package(&p.owner, &change(&p, "late.txt", None), now()).await);

    let again = vendable(&store, A, "historic").await;
    assert_eq!(get(&store, &again).await.expect("new package").available_version, 1);
    assert_eq!(versions(&history(&store, &again).await), [1], "a new package starts again at v1");
}

async fn concurrent_updates_and_scope_changes_lose_nothing(kind: StoreKind) {
    let store = store(kind).await;
    let p = vendable(&store, A, "contended").await;
    let barrier = Arc::new(Barrier::new(2 * TASKS));
    let updates: Vec<_> = (0..TASKS)
        .map(|i| {
            let (store, barrier, p) = (store.clone(), barrier.clone(), p.clone());
            let mut change = change(&p, &format!("{i}.txt"), Some(&format!("update {i}")));
            change.description = DescriptionChange::Set(format!("description {i}"));
            tokio::spawn(async move {
                barrier.wait().await;
                (i, store.update_package(&p.owner, &change, now()).await)
            })
        })
        .collect();
    let adds: Vec<_> = (0..TASKS as u64)
        .map(|i| {
            let (store, barrier, p) = (store.clone(), barrier.clone(), p.clone());
            let user = format!("{:012}", 900_000_000_000 + i);
            tokio::spawn(async move {
                barrier.wait().await;
                let r = store.update_package_scope(&p.owner, &p.id, ScopeOperation::Add, &users(&[&user]), now()).await;
                (user, r)
            })
        })
        .collect();

    // Each update answered its own version; together they are 2..=21, no gaps, none twice.
    let mut by_version = std::collections::BTreeMap::new();
    for task in updates {
        let (i, result) = task.await.expect("task");
        let answered = result.unwrap_or_else(|e| panic!("update {i}: {e:?}"));
        assert_eq!(answered.description, Some(format!("description {i}")), "the answer is the caller's write");
        assert!(
            by_version.insert(answered.available_version, i).is_none(),
            "version {} twice",
            answered.available_version
        );
    }
    let want: Vec<u64> = (2..=TASKS as u64 + 1).collect();
    assert_eq!(by_version.keys().copied().collect::<Vec<_>>(), want, "distinct, gap-free versions");
    let mut added = BTreeSet::new();
    for task in adds {
        let (user, result) = task.await.expect("task");
        result.unwrap_or_else(|e| panic!("ADD {user}: {e:?}"));
        added.insert(user);
    }

    let stored = get(&store, &p).await.expect("package");
    assert_eq!(stored.users.strings().into_iter().collect::<BTreeSet<_>>(), added, "every concurrent ADD survived");
    assert_eq!(stored.available_version, TASKS as u64 + 1);
    let last = by_version[&stored.available_version];
    assert_eq!(stored.description, Some(format!("description {last}")), "the newest version's update is in force");
    assert_eq!(stored.source.key, format!("{last}.txt"));
    assert!(stored.version >= p.version + 2 * TASKS as u64, "every write bumped the write version");

    // None is lost from the history, and each entry is the update that answered that version.
    let entries = history(&store, &p).await;
    assert_eq!(versions(&entries), (1..=TASKS as u64 + 1).rev().collect::<Vec<_>>());
    for entry in &entries[..TASKS] {
        let i = by_version[&entry.version];
        assert_eq!(entry.commit_message, Some(format!("update {i}")), "version {}", entry.version);
    }
    for user in added.iter().take(3) {
        assert_eq!(visible(&store, user).await, ids(&[&p]), "{user} sees the package");
    }
}

async fn delete_racing_updates(kind: StoreKind) {
    let store = store(kind).await;
    for round in 0..3 {
        let p = vendable(&store, A, &format!("doomed-{round}")).await;
        let barrier = Arc::new(Barrier::new(TASKS + 1));
        let updaters: Vec<_> = (0..TASKS)
            .map(|i| {
                let (store, barrier, p) = (store.clone(), barrier.clone(), p.clone());
                let change = change(&p, &format!("{i}.txt"), None);
                tokio::spawn(async move {
                    barrier.wait().await;
                    store.update_package(&p.owner, &change, now()).await
                })
            })
            .collect();
        let deleter = {
            let (store, barrier, p) = (store.clone(), barrier.clone(), p.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                store.delete_package(&p.owner, &p.id).await
            })
        };
        let mut succeeded = 0;
        for updater in updaters {
            match updater.await.expect("task") {
                Ok(_) => succeeded += 1,
                Err(StoreError::NotFound) => {}
                other => panic!("an update racing a delete: {other:?}"),
            }
        }
        let deleted = match deleter.await.expect("task") {
            Ok(deleted) => deleted,
            // Every attempt lost to an update: the caller retries, and with the updates done it wins.
            Err(StoreError::Contention) => store.delete_package(&p.owner, &p.id).await.expect("the retried delete"),
            Err(other) => panic!("a delete racing updates: {other:?}"),
        };
        assert_eq!(
            deleted.available_version,
            1 + succeeded,
            "round {round}: every answered update came before the delete"
        );
        assert_eq!(get(&store, &p).await, None);
        assert_not_found(store.package_history(&p.owner, &p.id, None, 100).await);
    }
}

// ---------------------------------------------------------------------------------------------
// The DynamoDB item layout (shared/src/store/dynamodb/packages.rs)

mod dynamodb_layout {
    use std::sync::{Arc, Mutex};

    use aws_sdk_dynamodb::operation::query::{QueryInput, QueryOutput};
    use aws_sdk_dynamodb::types::AttributeValue;
    use aws_smithy_runtime_api::box_error::BoxError;
    use aws_smithy_runtime_api::client::interceptors::Intercept;
    use aws_smithy_runtime_api::client::interceptors::context::{
        AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextRef,
    };
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
    use aws_smithy_types::config_bag::ConfigBag;
    use shared::store::dynamodb::dynamodb_client;

    use super::*;
    use crate::helpers::{REGION, dynamo_store, dynamo_store_on, dynamodb_endpoint};

    async fn raw_client() -> aws_sdk_dynamodb::Client {
        dynamodb_client(Some(&dynamodb_endpoint()), Some(REGION)).await.0
    }

    /// Every item of `table`.
    async fn scan(table: &str) -> Vec<std::collections::HashMap<String, AttributeValue>> {
        let out = raw_client().await.scan().table_name(table).consistent_read(true).send().await.expect("Scan");
        assert!(out.last_evaluated_key().is_none(), "one page is the whole test table");
        out.items().to_vec()
    }

    #[tokio::test]
    async fn delete_leaves_no_history_and_no_share_entries_behind() {
        let store = dynamo_store().await;
        let table = store.table().to_owned();
        let store: Arc<dyn Store> = Arc::new(store);
        let p = vendable(&store, A, "tidy").await;
        scope(&store, &p, ScopeOperation::Add, &[B, C, "GLOBAL"]).await.expect("share");
        // More versions than one BatchWriteItem deletes.
        for i in 0..40 {
            update(&store, &p, &change(&p, &format!("{i}.txt"), None)).await;
        }
        let items = scan(&table).await;
        let history = items.iter().filter(|i| i["sk"].as_s().is_ok_and(|sk| sk.starts_with("PACKAGE_VERSION#")));
        assert_eq!(history.count(), 41, "one history item per version");
        store.delete_package(&p.owner, &p.id).await.expect("delete");
        let left = scan(&table).await;
        assert!(left.is_empty(), "the package, its name, its shares and its history are all gone: {left:?}");
    }

    #[tokio::test]
    async fn a_package_written_before_versions_is_at_v1_and_updates() {
        let store = dynamo_store().await;
        let table = store.table().to_owned();
        let store: Arc<dyn Store> = Arc::new(store);
        let p = vendable(&store, A, "legacy").await;
        // The layout before versions: no `packageVersion`, no history item.
        let client = raw_client().await;
        let pk = AttributeValue::S(format!("ACCOUNT#{A}"));
        client
            .update_item()
            .table_name(&table)
            .key("pk", pk.clone())
            .key("sk", AttributeValue::S(format!("PACKAGE#{}", p.id)))
            .update_expression("REMOVE packageVersion")
            .send()
            .await
            .expect("REMOVE packageVersion");
        client
            .delete_item()
            .table_name(&table)
            .key("pk", pk)
            .key("sk", AttributeValue::S(format!("PACKAGE_VERSION#{}#{:020}", p.id, 1)))
            .send()
            .await
            .expect("delete the v1 item");
        assert_eq!(get(&store, &p).await.expect("package").available_version, 1, "read as v1");
        assert_eq!(update(&store, &p, &change(&p, "v2.txt", None)).await.available_version, 2);
        assert_eq!(update(&store, &p, &change(&p, "v3.txt", None)).await.available_version, 3);
        assert_eq!(versions(&history(&store, &p).await), [3, 2]);
    }

    /// A Query's `Limit`, and how many items it returned.
    type QueryCall = (Option<i32>, Option<usize>);

    /// Records each Query's [`QueryCall`].
    #[derive(Debug, Clone, Default)]
    struct QueryRecorder(Arc<Mutex<Vec<QueryCall>>>);

    impl Intercept for QueryRecorder {
        fn name(&self) -> &'static str {
            "QueryRecorder"
        }

        fn read_before_serialization(
            &self,
            context: &BeforeSerializationInterceptorContextRef<'_>,
            _runtime_components: &RuntimeComponents,
            _cfg: &mut ConfigBag,
        ) -> Result<(), BoxError> {
            if let Some(input) = context.input().downcast_ref::<QueryInput>() {
                self.0.lock().unwrap().push((input.limit(), None));
            }
            Ok(())
        }

        fn read_after_deserialization(
            &self,
            context: &AfterDeserializationInterceptorContextRef<'_>,
            _runtime_components: &RuntimeComponents,
            _cfg: &mut ConfigBag,
        ) -> Result<(), BoxError> {
            if let Ok(output) = context.output_or_error()
                && let Some(output) = output.downcast_ref::<QueryOutput>()
                && let Some(last) = self.0.lock().unwrap().last_mut()
            {
                last.1 = Some(output.items().len());
            }
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_history_page_is_one_query_that_reads_only_the_page() {
        let plain = dynamo_store().await;
        let recorder = QueryRecorder::default();
        let recording = dynamo_store_on(plain.table(), |c| c.interceptor(recorder.clone()));
        let store: Arc<dyn Store> = Arc::new(plain);
        let p = vendable(&store, A, "long-history").await;
        for i in 0..60 {
            update(&store, &p, &change(&p, &format!("{i}.txt"), None)).await;
        }
        let page = recording.package_history(&p.owner, &p.id, Some(40), 5).await.expect("page");
        assert_eq!(versions(&page), [39, 38, 37, 36, 35]);
        assert_eq!(*recorder.0.lock().unwrap(), [(Some(5), Some(5))], "one Query, limited to the page");
    }
}
