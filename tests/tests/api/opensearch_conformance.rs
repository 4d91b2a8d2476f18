//! Store conformance of the `PackageStore` port (docs/opensearch.md): both adapters keep the same
//! guarantees. A package and its name are written together (names unique per owner, free again
//! after delete); only the owner addresses a package; ADD/REMOVE/OVERRIDE are set operations in
//! one atomic write, with the 1000-user cap exact even under concurrency; vending off is a
//! disabled operation; what an account sees is its own packages and those whose scope lists it or
//! `GLOBAL`, and nothing once a share is removed or the package deleted. Every test runs on
//! DynamoDB Local and on the embedded (redb) store.

use std::collections::BTreeSet;
use std::sync::Arc;

use shared::error::ApiError;
use shared::opensearch::domain::{
    EncryptionOptions, EngineVersion, PackageConfiguration, PackageId, PackageName, PackageSource, PackageType,
    Requirement, ScopeOperation, UserSet,
};
use shared::store::packages::Package;
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
    delete_returns_the_package_and_frees_the_name,
    delete_racing_scope_changes,
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

/// The IDs of the packages `caller` sees.
async fn visible(store: &Arc<dyn Store>, caller: &str) -> BTreeSet<String> {
    let packages = store.packages_visible_to(&account(caller)).await.expect("packages_visible_to");
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
    let shown = store.packages_visible_to(&account(C)).await.unwrap();
    let a2_shown = shown.iter().find(|p| p.id == a2.id).expect("a-two");
    assert_eq!(a2_shown.owner, account(A));
    assert_eq!(strs(&a2_shown.users), [C]);
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
