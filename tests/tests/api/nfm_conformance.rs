//! Store conformance: both adapters of the `ScopeStore` port keep the same guarantees
//! (docs/network-flow-monitor.md): one scope per account, client tokens replayed or refused for 24 hours
//! and written atomically with their scope, tenancy, update rules, tags set and removed, and
//! concurrent writers (target updates and tag changes alike) that lose nothing and keep the tag
//! cap. Every test runs on DynamoDB Local and on the embedded (redb) store.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use shared::common::AccountId;
use shared::common::{MAX_TAGS, TagKeys, Tags};
use shared::error::ApiError;
use shared::nfm::domain::{NewScope, TargetChanges, TargetSet};
use shared::store::embedded::EmbeddedStore;
use shared::store::{CreateOutcome, Scope, ScopeStore, Store, StoreError, TOKEN_TTL_SECONDS, TokenRecord};
use tokio::sync::Barrier;
use tokio::task::JoinHandle;

use crate::helpers::{StoreKind, account, dynamo_store, dynamo_store_on, now, on_both_stores, store};

on_both_stores!(
    create_then_get_returns_the_scope,
    second_create_names_the_existing_scope,
    accounts_are_independent,
    token_replays_the_first_response_after_update_and_delete,
    token_with_a_different_request_is_refused,
    failed_create_does_not_record_its_token,
    expired_token_is_ignored,
    tokens_are_per_account,
    concurrent_creates_with_one_token_create_one_scope,
    concurrent_creates_without_token_create_one_scope,
    concurrent_updates_lose_nothing,
    concurrent_adds_and_deletes_lose_nothing,
    concurrent_updates_and_delete,
    concurrent_replays_and_updates,
    update_of_a_missing_scope_is_not_found,
    update_of_another_accounts_scope_is_not_found,
    update_applies_changes_and_bumps_the_version,
    update_that_empties_the_scope_is_refused,
    update_past_1000_targets_exceeds_the_quota,
    delete_of_a_missing_scope_is_not_found,
    delete_then_create_starts_afresh,
    tagging_sets_given_keys_and_keeps_the_others,
    untagging_removes_keys_and_ignores_absent_ones,
    empty_tag_changes_write_nothing,
    the_tag_cap_is_exact,
    tag_changes_to_missing_or_foreign_scopes_are_not_found,
    tags_and_targets_change_independently,
    deleting_a_scope_deletes_its_tags,
    concurrent_tags_untags_and_updates_lose_nothing,
    concurrent_tags_keep_the_cap,
);

/// Concurrent callers in the concurrency tests.
const TASKS: usize = 20;

const ACCOUNT_A: &str = "111111111111";
const ACCOUNT_B: &str = "222222222222";
const ACCOUNT_C: &str = "333333333333";

// ---------------------------------------------------------------------------------------------
// Helpers

/// The key of target number `i`: a distinct member account in us-east-1.
fn key(i: usize) -> String {
    format!("{:012}/us-east-1", 500_000_000_000usize + i)
}

fn set<S: AsRef<str>>(keys: &[S]) -> TargetSet {
    TargetSet::from_keys(keys.iter().map(AsRef::as_ref)).expect("valid target keys")
}

fn targets(range: Range<usize>) -> TargetSet {
    set(&range.map(key).collect::<Vec<_>>())
}

fn keys_of(set: &TargetSet) -> BTreeSet<String> {
    set.keys().into_iter().collect()
}

fn tags(pairs: &[(&str, &str)]) -> Tags {
    let map = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    Tags::parse("tags", Some(map)).expect("valid tags")
}

fn scope_with(account: &AccountId, targets: TargetSet, tags: Tags) -> Scope {
    Scope { account: account.clone(), scope_id: uuid::Uuid::new_v4().to_string(), targets, tags, version: 1 }
}

/// A scope of `account` with two targets in two Regions and two tags.
fn new_scope(account: &AccountId) -> Scope {
    let targets = set(&[format!("{account}/us-east-1"), "444444444444/eu-central-2".to_owned()]);
    scope_with(account, targets, tags(&[("team", "network"), ("cost-center", "")]))
}

/// The same scope under a fresh scope ID (what a retried CreateScope generates).
fn retry_of(scope: &Scope) -> Scope {
    Scope { scope_id: uuid::Uuid::new_v4().to_string(), ..scope.clone() }
}

fn new_token() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The record CreateScope writes for `scope` with `token`: the fingerprint of its request and
/// the scope's ID.
fn token_for(token: &str, scope: &Scope, now: i64) -> TokenRecord {
    let request = NewScope { targets: scope.targets.clone(), tags: scope.tags.clone(), client_token: None };
    TokenRecord {
        token: token.to_owned(),
        fingerprint: request.fingerprint(),
        scope_id: scope.scope_id.clone(),
        expires_at: now + TOKEN_TTL_SECONDS,
    }
}

fn add(keys: TargetSet) -> TargetChanges {
    TargetChanges { add: keys, delete: TargetSet::default() }
}

fn delete(keys: TargetSet) -> TargetChanges {
    TargetChanges { add: TargetSet::default(), delete: keys }
}

async fn create(store: &Arc<dyn Store>, scope: &Scope) {
    let outcome = store.create_scope(scope, None, now()).await;
    assert!(matches!(outcome, Ok(CreateOutcome::Created)), "creating {}: {outcome:?}", scope.scope_id);
}

async fn get(store: &Arc<dyn Store>, account: &AccountId) -> Option<Scope> {
    store.get_scope(account).await.expect("get_scope")
}

#[track_caller]
fn assert_created(outcome: &Result<CreateOutcome, StoreError>) {
    assert!(matches!(outcome, Ok(CreateOutcome::Created)), "expected Created, got {outcome:?}");
}

#[track_caller]
fn assert_replayed(outcome: &Result<CreateOutcome, StoreError>, first_scope_id: &str) {
    match outcome {
        Ok(CreateOutcome::Replayed(replayed)) => assert_eq!(replayed, first_scope_id, "the replayed scope"),
        other => panic!("expected Replayed({first_scope_id}), got {other:?}"),
    }
}

#[track_caller]
fn assert_scope_exists<T: std::fmt::Debug>(outcome: &Result<T, StoreError>, existing: &str) {
    match outcome {
        Err(StoreError::ScopeExists(id)) => assert_eq!(id, existing, "ScopeExists must name the existing scope"),
        other => panic!("expected ScopeExists({existing}), got {other:?}"),
    }
}

#[track_caller]
fn assert_token_mismatch(outcome: &Result<CreateOutcome, StoreError>) {
    assert!(matches!(outcome, Err(StoreError::TokenMismatch)), "expected TokenMismatch, got {outcome:?}");
}

#[track_caller]
fn assert_not_found<T: std::fmt::Debug>(outcome: &Result<T, StoreError>) {
    assert!(matches!(outcome, Err(StoreError::NotFound)), "expected NotFound, got {outcome:?}");
}

/// Awaits every task, in order.
async fn join_all<T: Send + 'static>(tasks: Vec<JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(tasks.len());
    for task in tasks {
        out.push(task.await.expect("task panicked"));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// 1. Create and get; one scope per account

async fn create_then_get_returns_the_scope(kind: StoreKind) {
    let store = store(kind).await;
    let a = account(ACCOUNT_A);
    assert_eq!(get(&store, &a).await, None, "a fresh store has no scope");

    let scope = new_scope(&a);
    create(&store, &scope).await;
    let read = get(&store, &a).await.expect("the created scope");
    assert_eq!(read, scope, "get returns exactly what was created");
    assert_eq!(read.version, 1);
    assert_eq!(keys_of(&read.targets).len(), 2);
    assert_eq!(read.tags.as_map().get("cost-center").map(String::as_str), Some(""), "empty tag values survive");

    // A scope without tags reads back with no tags.
    let b = account(ACCOUNT_B);
    let untagged = scope_with(&b, targets(0..1), Tags::default());
    create(&store, &untagged).await;
    assert_eq!(get(&store, &b).await, Some(untagged));
}

async fn second_create_names_the_existing_scope(kind: StoreKind) {
    let store = store(kind).await;
    let a = account(ACCOUNT_A);
    let first = new_scope(&a);
    create(&store, &first).await;

    let second = scope_with(&a, targets(0..3), Tags::default());
    assert_scope_exists(&store.create_scope(&second, None, now()).await, &first.scope_id);
    // Also with a client token: the account still has its scope.
    let record = token_for(&new_token(), &second, now());
    assert_scope_exists(&store.create_scope(&second, Some(&record), now()).await, &first.scope_id);
    // Even the same scope ID again is refused (no silent overwrite).
    assert_scope_exists(&store.create_scope(&first, None, now()).await, &first.scope_id);

    assert_eq!(get(&store, &a).await, Some(first), "the first scope is untouched");
}

async fn accounts_are_independent(kind: StoreKind) {
    let store = store(kind).await;
    let (a, b, c) = (account(ACCOUNT_A), account(ACCOUNT_B), account(ACCOUNT_C));
    let scope_a = new_scope(&a);
    let scope_b = scope_with(&b, targets(0..2), tags(&[("owner", "b")]));
    create(&store, &scope_a).await;
    create(&store, &scope_b).await;
    assert_eq!(get(&store, &a).await, Some(scope_a.clone()));
    assert_eq!(get(&store, &b).await, Some(scope_b.clone()));
    assert_eq!(get(&store, &c).await, None, "an account without a scope sees none");

    // Changing and deleting one account's scope leaves the other's alone.
    store.update_scope(&a, &scope_a.scope_id, &add(targets(10..11))).await.expect("update A");
    assert_eq!(get(&store, &b).await, Some(scope_b.clone()));
    store.delete_scope(&a, &scope_a.scope_id).await.expect("delete A");
    assert_eq!(get(&store, &a).await, None);
    assert_eq!(get(&store, &b).await, Some(scope_b));
}

// ---------------------------------------------------------------------------------------------
// 2. Client tokens

async fn token_replays_the_first_response_after_update_and_delete(kind: StoreKind) {
    let store = store(kind).await;
    let a = account(ACCOUNT_A);
    let token = new_token();
    let t0 = now();
    let first = new_scope(&a);
    let record = token_for(&token, &first, t0);
    assert_created(&store.create_scope(&first, Some(&record), t0).await);
    assert_eq!(get(&store, &a).await, Some(first.clone()));

    // A retry generates a new scope ID and so a new response; the first response comes back.
    let retry = retry_of(&first);
    let retry_record = token_for(&token, &retry, t0 + 1);
    assert_ne!(retry_record.scope_id, record.scope_id);
    assert_eq!(retry_record.fingerprint, record.fingerprint);
    assert_replayed(&store.create_scope(&retry, Some(&retry_record), t0 + 1).await, &record.scope_id);
    assert_eq!(get(&store, &a).await, Some(first.clone()), "a replay writes nothing");

    // After the scope changed.
    let updated = store.update_scope(&a, &first.scope_id, &add(targets(0..1))).await.expect("update");
    assert_eq!(updated.version, 2);
    let retry = retry_of(&first);
    assert_replayed(
        &store.create_scope(&retry, Some(&token_for(&token, &retry, t0 + 2)), t0 + 2).await,
        &record.scope_id,
    );
    assert_eq!(get(&store, &a).await, Some(updated), "a replay after an update writes nothing");

    // After the scope was deleted: still a replay, and no scope comes back to life.
    store.delete_scope(&a, &first.scope_id).await.expect("delete");
    let retry = retry_of(&first);
    let late = t0 + TOKEN_TTL_SECONDS - 1;
    assert_replayed(&store.create_scope(&retry, Some(&token_for(&token, &retry, late)), late).await, &record.scope_id);
    assert_eq!(get(&store, &a).await, None, "a replay after delete must not create a scope");
}

async fn token_with_a_different_request_is_refused(kind: StoreKind) {
    let store = store(kind).await;
    let a = account(ACCOUNT_A);
    let token = new_token();
    let t0 = now();
    let first = new_scope(&a);
    assert_created(&store.create_scope(&first, Some(&token_for(&token, &first, t0)), t0).await);

    // Different targets, then different tags only: both are different requests.
    let other_targets = scope_with(&a, targets(0..2), first.tags.clone());
    let mismatch = store.create_scope(&other_targets, Some(&token_for(&token, &other_targets, t0)), t0).await;
    assert_token_mismatch(&mismatch);
    let other_tags = scope_with(&a, first.targets.clone(), tags(&[("team", "other")]));
    let mismatch = store.create_scope(&other_tags, Some(&token_for(&token, &other_tags, t0)), t0).await;
    assert_token_mismatch(&mismatch);
    assert_eq!(get(&store, &a).await, Some(first.clone()));

    // Still refused once the scope is gone, and nothing is created.
    store.delete_scope(&a, &first.scope_id).await.expect("delete");
    let mismatch = store.create_scope(&other_targets, Some(&token_for(&token, &other_targets, t0 + 5)), t0 + 5).await;
    assert_token_mismatch(&mismatch);
    assert_eq!(get(&store, &a).await, None, "a refused token must not create a scope");
}

async fn failed_create_does_not_record_its_token(kind: StoreKind) {
    let store = store(kind).await;
    let a = account(ACCOUNT_A);
    let existing = new_scope(&a);
    create(&store, &existing).await;

    let token = new_token();
    let t0 = now();
    let refused = scope_with(&a, targets(0..2), Tags::default());
    let refused_record = token_for(&token, &refused, t0);
    assert_scope_exists(&store.create_scope(&refused, Some(&refused_record), t0).await, &existing.scope_id);
    // Retrying the refused request is refused again, not "replayed" as if it had succeeded.
    let retry = retry_of(&refused);
    assert_scope_exists(
        &store.create_scope(&retry, Some(&token_for(&token, &retry, t0)), t0).await,
        &existing.scope_id,
    );

    store.delete_scope(&a, &existing.scope_id).await.expect("delete");
    // The token was never recorded, so a different request may use it now.
    let different = scope_with(&a, targets(5..9), tags(&[("k", "v")]));
    let record = token_for(&token, &different, t0 + 1);
    assert_ne!(record.fingerprint, refused_record.fingerprint);
    assert_created(&store.create_scope(&different, Some(&record), t0 + 1).await);
    assert_eq!(get(&store, &a).await, Some(different.clone()));
    // And from now on the token belongs to that request.
    let retry = retry_of(&different);
    assert_replayed(
        &store.create_scope(&retry, Some(&token_for(&token, &retry, t0 + 2)), t0 + 2).await,
        &record.scope_id,
    );
}

async fn expired_token_is_ignored(kind: StoreKind) {
    let store = store(kind).await;
    let a = account(ACCOUNT_A);
    let token = new_token();
    let t0 = now();
    let first = new_scope(&a);
    let first_record = token_for(&token, &first, t0);
    assert_created(&store.create_scope(&first, Some(&first_record), t0).await);
    store.delete_scope(&a, &first.scope_id).await.expect("delete");

    let different = scope_with(&a, targets(0..3), Tags::default());
    // One second before expiry the token still holds.
    let before = first_record.expires_at - 1;
    let record = token_for(&token, &different, before);
    assert_token_mismatch(&store.create_scope(&different, Some(&record), before).await);
    let retry = retry_of(&first);
    assert_replayed(
        &store.create_scope(&retry, Some(&token_for(&token, &retry, before)), before).await,
        &first_record.scope_id,
    );
    assert_eq!(get(&store, &a).await, None);

    // Past expiry it is forgotten: a different request with it creates a scope.
    let after = first_record.expires_at + 1;
    let record = token_for(&token, &different, after);
    assert_created(&store.create_scope(&different, Some(&record), after).await);
    assert_eq!(get(&store, &a).await, Some(different.clone()));
    // The token now stands for the new request.
    let retry = retry_of(&different);
    assert_replayed(
        &store.create_scope(&retry, Some(&token_for(&token, &retry, after)), after).await,
        &record.scope_id,
    );
    let old_request = retry_of(&first);
    assert_token_mismatch(
        &store.create_scope(&old_request, Some(&token_for(&token, &old_request, after)), after).await,
    );

    // An expired token on an account that has a scope: the ordinary conflict.
    let much_later = record.expires_at + 1;
    let again = retry_of(&different);
    let outcome = store.create_scope(&again, Some(&token_for(&token, &again, much_later)), much_later).await;
    assert_scope_exists(&outcome, &different.scope_id);
}

async fn tokens_are_per_account(kind: StoreKind) {
    let store = store(kind).await;
    let (a, b) = (account(ACCOUNT_A), account(ACCOUNT_B));
    let token = new_token();
    let t0 = now();
    let scope_a = new_scope(&a);
    let record_a = token_for(&token, &scope_a, t0);
    assert_created(&store.create_scope(&scope_a, Some(&record_a), t0).await);

    // The same token in another account, with a different request: its own fresh token.
    let scope_b = scope_with(&b, targets(0..4), Tags::default());
    let record_b = token_for(&token, &scope_b, t0);
    assert_created(&store.create_scope(&scope_b, Some(&record_b), t0).await);
    assert_eq!(get(&store, &b).await, Some(scope_b.clone()));

    // Each account replays its own response.
    let retry_a = retry_of(&scope_a);
    assert_replayed(
        &store.create_scope(&retry_a, Some(&token_for(&token, &retry_a, t0)), t0).await,
        &record_a.scope_id,
    );
    let retry_b = retry_of(&scope_b);
    assert_replayed(
        &store.create_scope(&retry_b, Some(&token_for(&token, &retry_b, t0)), t0).await,
        &record_b.scope_id,
    );

    // A third account sending A's exact request with A's token gets a new scope of its own, not A's response.
    let c = account(ACCOUNT_C);
    let scope_c = Scope { account: c.clone(), ..retry_of(&scope_a) };
    let record_c = token_for(&token, &scope_c, t0);
    assert_eq!(record_c.fingerprint, record_a.fingerprint);
    assert_created(&store.create_scope(&scope_c, Some(&record_c), t0).await);
    assert_eq!(get(&store, &c).await, Some(scope_c));
    assert_eq!(get(&store, &a).await, Some(scope_a));
}

// ---------------------------------------------------------------------------------------------
// 3. Concurrency

async fn concurrent_creates_with_one_token_create_one_scope(kind: StoreKind) {
    let store = store(kind).await;
    let a = account(ACCOUNT_A);
    let token = new_token();
    let t0 = now();
    let request = new_scope(&a);
    let barrier = Arc::new(Barrier::new(TASKS));
    let tasks = (0..TASKS)
        .map(|_| {
            let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
            let scope = retry_of(&request);
            let record = token_for(&token, &scope, t0);
            tokio::spawn(async move {
                barrier.wait().await;
                let outcome = store.create_scope(&scope, Some(&record), t0).await;
                (scope, record, outcome)
            })
        })
        .collect();
    let results = join_all(tasks).await;

    let winners: Vec<_> = results.iter().filter(|(_, _, o)| matches!(o, Ok(CreateOutcome::Created))).collect();
    let outcomes: Vec<_> = results.iter().map(|(_, _, o)| o).collect();
    assert_eq!(winners.len(), 1, "exactly one create wins: {outcomes:?}");
    let (winner, winner_record, _) = winners[0];
    for (scope, _, outcome) in &results {
        if scope.scope_id != winner.scope_id {
            assert_replayed(outcome, &winner_record.scope_id);
        }
    }
    assert_eq!(get(&store, &a).await, Some(winner.clone()), "the stored scope is the winner's");
}

async fn concurrent_creates_without_token_create_one_scope(kind: StoreKind) {
    let store = store(kind).await;
    let a = account(ACCOUNT_A);
    let barrier = Arc::new(Barrier::new(TASKS));
    let tasks = (0..TASKS)
        .map(|i| {
            let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
            let scope = scope_with(&a, targets(i..i + 1), Tags::default());
            tokio::spawn(async move {
                barrier.wait().await;
                let outcome = store.create_scope(&scope, None, now()).await;
                (scope, outcome)
            })
        })
        .collect();
    let results = join_all(tasks).await;

    let winners: Vec<_> = results.iter().filter(|(_, o)| matches!(o, Ok(CreateOutcome::Created))).collect();
    let outcomes: Vec<_> = results.iter().map(|(_, o)| o).collect();
    assert_eq!(winners.len(), 1, "exactly one create wins: {outcomes:?}");
    let winner = &winners[0].0;
    for (scope, outcome) in &results {
        if scope.scope_id != winner.scope_id {
            assert_scope_exists(outcome, &winner.scope_id);
        }
    }
    assert_eq!(get(&store, &a).await, Some(winner.clone()));
}

/// Runs `changes[i]` concurrently against `scope`; each result is `Ok` or `Contention`, and
/// returns which succeeded. Checks that every successful write got its own version.
async fn run_concurrent_updates(store: &Arc<dyn Store>, scope: &Scope, changes: Vec<TargetChanges>) -> Vec<bool> {
    let barrier = Arc::new(Barrier::new(changes.len()));
    let tasks = changes
        .into_iter()
        .map(|change| {
            let (store, barrier) = (Arc::clone(store), Arc::clone(&barrier));
            let (account, id) = (scope.account.clone(), scope.scope_id.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                let outcome = store.update_scope(&account, &id, &change).await;
                (change, outcome)
            })
        })
        .collect();
    let results = join_all(tasks).await;

    let mut versions = BTreeSet::new();
    let mut succeeded = Vec::new();
    for (change, outcome) in &results {
        match outcome {
            Ok(written) => {
                assert_eq!(written.scope_id, scope.scope_id);
                assert!(
                    change.add.iter().all(|t| written.targets.contains(t)),
                    "the returned scope has the added targets"
                );
                assert!(change.delete.iter().all(|t| !written.targets.contains(t)), "and not the deleted ones");
                assert!(versions.insert(written.version), "two updates returned version {}", written.version);
                succeeded.push(true);
            }
            Err(StoreError::Contention) => succeeded.push(false),
            Err(other) => panic!("a concurrent update may only fail with Contention, got {other:?}"),
        }
    }
    assert!(succeeded.iter().any(|ok| *ok), "at least one concurrent update succeeds");
    succeeded
}

async fn concurrent_updates_lose_nothing(kind: StoreKind) {
    let store = store(kind).await;
    let a = account(ACCOUNT_A);
    let scope = scope_with(&a, targets(0..1), tags(&[("keep", "me")]));
    create(&store, &scope).await;

    let changes: Vec<_> = (1..=TASKS).map(|i| add(targets(i..i + 1))).collect();
    let succeeded = run_concurrent_updates(&store, &scope, changes).await;

    let after = get(&store, &a).await.expect("the scope");
    let mut expected = BTreeSet::from([key(0)]);
    expected.extend((1..=TASKS).filter(|i| succeeded[i - 1]).map(key));
    assert_eq!(keys_of(&after.targets), expected, "every successful add is kept, no failed one appears");
    let successes = succeeded.iter().filter(|ok| **ok).count() as u64;
    assert_eq!(after.version, 1 + successes, "one version per successful change");
    assert_eq!(after.tags, scope.tags, "updates keep the tags");
    assert_eq!(after.scope_id, scope.scope_id);
}

async fn concurrent_adds_and_deletes_lose_nothing(kind: StoreKind) {
    let store = store(kind).await;
    let a = account(ACCOUNT_A);
    let half = TASKS / 2;
    // Target 0 stays; targets 1..=half are deleted, targets 101..=100+half added, concurrently.
    let scope = scope_with(&a, targets(0..half + 1), Tags::default());
    create(&store, &scope).await;

    let mut changes = Vec::new();
    for i in 1..=half {
        changes.push(delete(targets(i..i + 1)));
        changes.push(add(targets(100 + i..101 + i)));
    }
    let succeeded = run_concurrent_updates(&store, &scope, changes).await;

    let mut expected = BTreeSet::from([key(0)]);
    for i in 1..=half {
        let (deleted, added) = (succeeded[2 * (i - 1)], succeeded[2 * (i - 1) + 1]);
        if !deleted {
            expected.insert(key(i));
        }
        if added {
            expected.insert(key(100 + i));
        }
    }
    let after = get(&store, &a).await.expect("the scope");
    assert_eq!(keys_of(&after.targets), expected, "every successful add and delete is reflected");
    let successes = succeeded.iter().filter(|ok| **ok).count() as u64;
    assert_eq!(after.version, 1 + successes, "one version per successful change");
}

async fn concurrent_updates_and_delete(kind: StoreKind) {
    let store = store(kind).await;
    let a = account(ACCOUNT_A);
    let scope = scope_with(&a, targets(0..1), Tags::default());
    create(&store, &scope).await;

    let barrier = Arc::new(Barrier::new(TASKS));
    let updates: Vec<_> = (1..TASKS)
        .map(|i| {
            let (store, barrier, a, id) = (Arc::clone(&store), Arc::clone(&barrier), a.clone(), scope.scope_id.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                store.update_scope(&a, &id, &add(targets(i..i + 1))).await
            })
        })
        .collect();
    let deleter = {
        let (store, barrier, a, id) = (Arc::clone(&store), Arc::clone(&barrier), a.clone(), scope.scope_id.clone());
        tokio::spawn(async move {
            barrier.wait().await;
            store.delete_scope(&a, &id).await
        })
    };
    let updates = join_all(updates).await;
    let deleted = deleter.await.expect("delete task");
    assert!(deleted.is_ok(), "the delete succeeds whatever the updates do: {deleted:?}");
    for outcome in &updates {
        assert!(
            matches!(outcome, Ok(_) | Err(StoreError::NotFound | StoreError::Contention)),
            "an update racing a delete succeeds, or finds the scope gone, or gives up: {outcome:?}"
        );
    }
    assert_eq!(get(&store, &a).await, None, "nothing brings the deleted scope back");
    assert_not_found(&store.update_scope(&a, &scope.scope_id, &add(targets(50..51))).await);
}

async fn concurrent_replays_and_updates(kind: StoreKind) {
    let store = store(kind).await;
    let a = account(ACCOUNT_A);
    let token = new_token();
    let t0 = now();
    let scope = new_scope(&a);
    let record = token_for(&token, &scope, t0);
    assert_created(&store.create_scope(&scope, Some(&record), t0).await);

    // Retries of the CreateScope (replays) race UpdateScope calls on the same scope.
    let barrier = Arc::new(Barrier::new(TASKS));
    let replays: Vec<_> = (0..TASKS / 2)
        .map(|_| {
            let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
            let retry = retry_of(&scope);
            let retry_record = token_for(&token, &retry, t0);
            tokio::spawn(async move {
                barrier.wait().await;
                store.create_scope(&retry, Some(&retry_record), t0).await
            })
        })
        .collect();
    let updates: Vec<_> = (0..TASKS / 2)
        .map(|i| {
            let (store, barrier, a, id) = (Arc::clone(&store), Arc::clone(&barrier), a.clone(), scope.scope_id.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                store.update_scope(&a, &id, &add(targets(i..i + 1))).await
            })
        })
        .collect();
    let replays = join_all(replays).await;
    let updates = join_all(updates).await;

    for outcome in &replays {
        assert_replayed(outcome, &record.scope_id);
    }
    let mut expected = keys_of(&scope.targets);
    let mut successes = 0;
    for (i, outcome) in updates.iter().enumerate() {
        match outcome {
            Ok(_) => {
                expected.insert(key(i));
                successes += 1;
            }
            Err(StoreError::Contention) => {}
            Err(other) => panic!("an update racing replays may only fail with Contention, got {other:?}"),
        }
    }
    assert!(successes > 0, "at least one update succeeds");
    let after = get(&store, &a).await.expect("the scope");
    assert_eq!(after.scope_id, scope.scope_id);
    assert_eq!(keys_of(&after.targets), expected);
    assert_eq!(after.version, 1 + successes);
}

// ---------------------------------------------------------------------------------------------
// 4. Update

async fn update_of_a_missing_scope_is_not_found(kind: StoreKind) {
    let store = store(kind).await;
    let a = account(ACCOUNT_A);
    // No scope at all.
    assert_not_found(&store.update_scope(&a, &uuid::Uuid::new_v4().to_string(), &add(targets(0..1))).await);

    let scope = new_scope(&a);
    create(&store, &scope).await;
    // A wrong ID, of any shape.
    for wrong in [uuid::Uuid::new_v4().to_string(), "not-a-uuid".to_owned(), scope.scope_id.to_uppercase()] {
        assert_not_found(&store.update_scope(&a, &wrong, &add(targets(0..1))).await);
    }
    assert_eq!(get(&store, &a).await, Some(scope.clone()), "a not-found update changes nothing");

    // After delete.
    store.delete_scope(&a, &scope.scope_id).await.expect("delete");
    assert_not_found(&store.update_scope(&a, &scope.scope_id, &add(targets(0..1))).await);
    assert_eq!(get(&store, &a).await, None, "an update must not recreate a deleted scope");
}

async fn update_of_another_accounts_scope_is_not_found(kind: StoreKind) {
    let store = store(kind).await;
    let (a, b, c) = (account(ACCOUNT_A), account(ACCOUNT_B), account(ACCOUNT_C));
    let scope_a = new_scope(&a);
    let scope_b = scope_with(&b, targets(0..1), Tags::default());
    create(&store, &scope_a).await;
    create(&store, &scope_b).await;

    // B (which has a scope) and C (which has none) name A's scope.
    assert_not_found(&store.update_scope(&b, &scope_a.scope_id, &add(targets(5..6))).await);
    assert_not_found(&store.update_scope(&c, &scope_a.scope_id, &add(targets(5..6))).await);
    assert_eq!(get(&store, &a).await, Some(scope_a), "A's scope is untouched");
    assert_eq!(get(&store, &b).await, Some(scope_b), "B's scope is untouched");
    assert_eq!(get(&store, &c).await, None, "C got no scope");
}

async fn update_applies_changes_and_bumps_the_version(kind: StoreKind) {
    let store = store(kind).await;
    let a = account(ACCOUNT_A);
    let scope = scope_with(&a, targets(0..2), tags(&[("team", "network")]));
    create(&store, &scope).await;

    // Add one, delete one in a single update.
    let change = TargetChanges { add: targets(2..4), delete: targets(0..1) };
    let written = store.update_scope(&a, &scope.scope_id, &change).await.expect("update");
    assert_eq!(keys_of(&written.targets), BTreeSet::from([key(1), key(2), key(3)]));
    assert_eq!(written.version, 2);
    assert_eq!(written.tags, scope.tags);
    assert_eq!(get(&store, &a).await, Some(written.clone()), "the returned scope is what was stored");

    let written = store.update_scope(&a, &scope.scope_id, &delete(targets(3..4))).await.expect("delete a target");
    assert_eq!(keys_of(&written.targets), BTreeSet::from([key(1), key(2)]));
    assert_eq!(written.version, 3);
    assert_eq!(get(&store, &a).await, Some(written.clone()));

    // No-ops: deleting an absent target, adding a present one. They succeed and write nothing.
    let same = store.update_scope(&a, &scope.scope_id, &delete(targets(40..42))).await.expect("no-op delete");
    assert_eq!(same, written, "deleting an absent target is a no-op");
    let same = store.update_scope(&a, &scope.scope_id, &add(targets(1..3))).await.expect("no-op add");
    assert_eq!(same, written, "adding present targets is a no-op");
    assert_eq!(get(&store, &a).await, Some(written), "no-ops keep the version");
}

async fn update_that_empties_the_scope_is_refused(kind: StoreKind) {
    let store = store(kind).await;
    let a = account(ACCOUNT_A);
    let scope = scope_with(&a, targets(0..2), Tags::default());
    create(&store, &scope).await;

    for change in [delete(targets(0..2)), delete(targets(0..5))] {
        let outcome = store.update_scope(&a, &scope.scope_id, &change).await;
        assert!(
            matches!(outcome, Err(StoreError::Rule(ApiError::Validation(_)))),
            "emptying the scope is a validation error, got {outcome:?}"
        );
    }
    assert_eq!(get(&store, &a).await, Some(scope.clone()), "a refused update changes nothing");

    // Deleting all but one is fine.
    let written = store.update_scope(&a, &scope.scope_id, &delete(targets(0..1))).await.expect("delete one");
    assert_eq!(keys_of(&written.targets), BTreeSet::from([key(1)]));
}

async fn update_past_1000_targets_exceeds_the_quota(kind: StoreKind) {
    let store = store(kind).await;
    let a = account(ACCOUNT_A);
    let scope = scope_with(&a, targets(0..999), Tags::default());
    create(&store, &scope).await;
    let quota =
        |outcome: &Result<Scope, StoreError>| matches!(outcome, Err(StoreError::Rule(ApiError::QuotaExceeded(_))));

    let outcome = store.update_scope(&a, &scope.scope_id, &add(targets(999..1001))).await;
    assert!(quota(&outcome), "1001 targets exceed the quota, got {outcome:?}");
    assert_eq!(get(&store, &a).await, Some(scope.clone()), "a refused update changes nothing");

    let written = store.update_scope(&a, &scope.scope_id, &add(targets(999..1000))).await.expect("up to 1000");
    assert_eq!(written.targets.len(), 1000);
    assert_eq!(written.version, 2);

    let outcome = store.update_scope(&a, &scope.scope_id, &add(targets(1000..1001))).await;
    assert!(quota(&outcome), "the 1001st target exceeds the quota, got {outcome:?}");

    // Swapping one target for another at the limit is fine.
    let swap = TargetChanges { add: targets(1000..1001), delete: targets(0..1) };
    let written = store.update_scope(&a, &scope.scope_id, &swap).await.expect("swap at the limit");
    assert_eq!(written.targets.len(), 1000);
    assert_eq!(written.version, 3);
    assert_eq!(get(&store, &a).await, Some(written));
}

// ---------------------------------------------------------------------------------------------
// 5. Delete

async fn delete_of_a_missing_scope_is_not_found(kind: StoreKind) {
    let store = store(kind).await;
    let (a, b, c) = (account(ACCOUNT_A), account(ACCOUNT_B), account(ACCOUNT_C));
    assert_not_found(&store.delete_scope(&a, &uuid::Uuid::new_v4().to_string()).await);

    let scope_a = new_scope(&a);
    let scope_b = scope_with(&b, targets(0..1), Tags::default());
    create(&store, &scope_a).await;
    create(&store, &scope_b).await;

    assert_not_found(&store.delete_scope(&a, &uuid::Uuid::new_v4().to_string()).await);
    assert_not_found(&store.delete_scope(&b, &scope_a.scope_id).await);
    assert_not_found(&store.delete_scope(&c, &scope_a.scope_id).await);
    assert_eq!(get(&store, &a).await, Some(scope_a.clone()), "A's scope survives");
    assert_eq!(get(&store, &b).await, Some(scope_b.clone()), "B's scope survives");

    store.delete_scope(&a, &scope_a.scope_id).await.expect("delete");
    assert_not_found(&store.delete_scope(&a, &scope_a.scope_id).await);
    assert_eq!(get(&store, &b).await, Some(scope_b), "deleting A's scope leaves B's");
}

async fn delete_then_create_starts_afresh(kind: StoreKind) {
    let store = store(kind).await;
    let a = account(ACCOUNT_A);
    let old = new_scope(&a);
    create(&store, &old).await;
    store.update_scope(&a, &old.scope_id, &add(targets(0..3))).await.expect("update");
    store.delete_scope(&a, &old.scope_id).await.expect("delete");
    assert_eq!(get(&store, &a).await, None);

    let fresh = scope_with(&a, targets(7..8), Tags::default());
    create(&store, &fresh).await;
    assert_eq!(get(&store, &a).await, Some(fresh.clone()), "the new scope starts at version 1 with its own targets");
    // The old ID names nothing.
    assert_not_found(&store.update_scope(&a, &old.scope_id, &add(targets(0..1))).await);
    assert_not_found(&store.delete_scope(&a, &old.scope_id).await);
    assert_eq!(get(&store, &a).await, Some(fresh));
}

// ---------------------------------------------------------------------------------------------
// 6. Tags (docs/network-flow-monitor.md §7–§9)

/// Tags `k<i>` = `v` for each `i` of `range`.
fn numbered_tags(range: Range<usize>) -> Tags {
    Tags::from_stored(range.map(|i| (format!("k{i}"), "v".to_owned())).collect())
}

fn keys(names: &[&str]) -> TagKeys {
    TagKeys::parse("tagKeys", names.iter().copied()).expect("valid tag keys")
}

async fn tagging_sets_given_keys_and_keeps_the_others(kind: StoreKind) {
    let store = store(kind).await;
    let a = account(ACCOUNT_A);
    let scope = new_scope(&a); // team=network, cost-center=""
    create(&store, &scope).await;

    let written = store.tag_scope(&a, &scope.scope_id, &tags(&[("team", "platform"), ("env", "prod")])).await;
    let written = written.expect("tag");
    let expected = tags(&[("team", "platform"), ("env", "prod"), ("cost-center", "")]);
    assert_eq!(written.tags, expected, "given keys set (overwriting), the others kept");
    assert_eq!(written.version, 2, "a tag change is a write of the scope");
    assert_eq!((&written.targets, &written.scope_id), (&scope.targets, &scope.scope_id), "only the tags change");
    assert_eq!(get(&store, &a).await, Some(written.clone()), "the next read shows it");

    // Repeating the call leaves the same tags.
    let again = store.tag_scope(&a, &scope.scope_id, &tags(&[("team", "platform"), ("env", "prod")])).await;
    assert_eq!(again.expect("tag again").tags, expected);
    // Keys are case-sensitive and may hold any character.
    let odd = tags(&[("Team", "x"), ("a.b #:c,d", "é")]);
    let written = store.tag_scope(&a, &scope.scope_id, &odd).await.expect("odd keys");
    assert_eq!(written.tags.as_map().get("a.b #:c,d").map(String::as_str), Some("é"));
    assert_eq!(written.tags.as_map().get("team").map(String::as_str), Some("platform"));
    assert_eq!(written.tags.len(), 5);
    assert_eq!(get(&store, &a).await.expect("scope").tags, written.tags);
}

async fn untagging_removes_keys_and_ignores_absent_ones(kind: StoreKind) {
    let store = store(kind).await;
    let a = account(ACCOUNT_A);
    let scope = scope_with(&a, targets(0..1), tags(&[("a", "1"), ("b", "2"), ("c,d", "3")]));
    create(&store, &scope).await;

    let written = store.untag_scope(&a, &scope.scope_id, &keys(&["a", "c,d", "absent"])).await.expect("untag");
    assert_eq!(written.tags, tags(&[("b", "2")]));
    assert_eq!(written.version, 2);
    assert_eq!(written.targets, scope.targets);
    assert_eq!(get(&store, &a).await, Some(written.clone()));
    // Only absent keys: still a write, nothing else changes.
    let again = store.untag_scope(&a, &scope.scope_id, &keys(&["a", "zzz"])).await.expect("untag again");
    assert_eq!(again.tags, tags(&[("b", "2")]));
    // The last tag can go.
    let bare = store.untag_scope(&a, &scope.scope_id, &keys(&["b"])).await.expect("untag the last");
    assert_eq!(bare.tags, Tags::default());
    assert_eq!(get(&store, &a).await.expect("scope").tags, Tags::default());
    // And tags can come back.
    let back = store.tag_scope(&a, &scope.scope_id, &tags(&[("b", "again")])).await.expect("tag");
    assert_eq!(back.tags, tags(&[("b", "again")]));
}

async fn empty_tag_changes_write_nothing(kind: StoreKind) {
    let store = store(kind).await;
    let a = account(ACCOUNT_A);
    let scope = new_scope(&a);
    create(&store, &scope).await;
    assert_eq!(store.tag_scope(&a, &scope.scope_id, &Tags::default()).await.expect("empty tag"), scope);
    assert_eq!(store.untag_scope(&a, &scope.scope_id, &TagKeys::default()).await.expect("empty untag"), scope);
    assert_eq!(get(&store, &a).await, Some(scope.clone()), "no version bump");
    // They still need the scope.
    let other = uuid::Uuid::new_v4().to_string();
    assert_not_found(&store.tag_scope(&a, &other, &Tags::default()).await);
    assert_not_found(&store.untag_scope(&a, &other, &TagKeys::default()).await);
}

async fn the_tag_cap_is_exact(kind: StoreKind) {
    let store = store(kind).await;
    let a = account(ACCOUNT_A);
    let scope = scope_with(&a, targets(0..1), numbered_tags(0..199));
    create(&store, &scope).await;

    // 199 + 2 keys of which one is there already: exactly 200 (on DynamoDB, past the size guard).
    let written = store.tag_scope(&a, &scope.scope_id, &numbered_tags(198..200)).await.expect("to 200");
    assert_eq!(written.tags, numbered_tags(0..200));
    // Overwriting keys of a full scope succeeds.
    let overwrite = tags(&[("k0", "new"), ("k199", "")]);
    let written = store.tag_scope(&a, &scope.scope_id, &overwrite).await.expect("overwrite at 200");
    assert_eq!(written.tags.len(), MAX_TAGS);
    assert_eq!(written.tags.as_map()["k0"], "new");
    // One more key is refused, even alongside overwrites, and changes nothing.
    let before = get(&store, &a).await.expect("scope");
    for over in [tags(&[("k200", "v")]), tags(&[("k1", "changed"), ("k200", "v")]), numbered_tags(100..300)] {
        match store.tag_scope(&a, &scope.scope_id, &over).await {
            Err(StoreError::Rule(ApiError::Validation(message))) => {
                assert!(message.contains("at most 200"), "{message}")
            }
            other => panic!("expected a validation rule error, got {other:?}"),
        }
        assert_eq!(get(&store, &a).await, Some(before.clone()), "a refused tag change changes nothing");
    }
    // After removing one, one more fits.
    store.untag_scope(&a, &scope.scope_id, &keys(&["k5"])).await.expect("untag");
    let written = store.tag_scope(&a, &scope.scope_id, &tags(&[("k200", "v")])).await.expect("fits again");
    assert_eq!(written.tags.len(), MAX_TAGS);
    assert!(!written.tags.as_map().contains_key("k5"));

    // A fresh scope takes 200 tags in one call.
    let b = account(ACCOUNT_B);
    let empty = scope_with(&b, targets(0..1), Tags::default());
    create(&store, &empty).await;
    let long: Tags =
        Tags::from_stored((0..MAX_TAGS).map(|i| (format!("{i:é>128}"), "v".repeat(256))).collect::<BTreeMap<_, _>>());
    let written = store.tag_scope(&b, &empty.scope_id, &long).await.expect("200 of the longest tags");
    assert_eq!(written.tags, long);
    assert_eq!(get(&store, &b).await.expect("scope").tags, long);
    let removed = store
        .untag_scope(&b, &empty.scope_id, &TagKeys::parse("tagKeys", long.as_map().keys().map(String::as_str)).unwrap())
        .await;
    assert_eq!(removed.expect("untag 200").tags, Tags::default());
}

async fn tag_changes_to_missing_or_foreign_scopes_are_not_found(kind: StoreKind) {
    let store = store(kind).await;
    let (a, b, c) = (account(ACCOUNT_A), account(ACCOUNT_B), account(ACCOUNT_C));
    let t = tags(&[("x", "y")]);
    assert_not_found(&store.tag_scope(&a, &uuid::Uuid::new_v4().to_string(), &t).await);
    assert_not_found(&store.untag_scope(&a, &uuid::Uuid::new_v4().to_string(), &keys(&["team"])).await);

    let scope_a = new_scope(&a);
    let scope_b = scope_with(&b, targets(0..1), tags(&[("owner", "b")]));
    create(&store, &scope_a).await;
    create(&store, &scope_b).await;
    for wrong in [uuid::Uuid::new_v4().to_string(), "not-a-uuid".to_owned(), scope_a.scope_id.to_uppercase()] {
        assert_not_found(&store.tag_scope(&a, &wrong, &t).await);
        assert_not_found(&store.untag_scope(&a, &wrong, &keys(&["team"])).await);
    }
    // B (with a scope) and C (without) name A's scope.
    for other in [&b, &c] {
        assert_not_found(&store.tag_scope(other, &scope_a.scope_id, &t).await);
        assert_not_found(&store.untag_scope(other, &scope_a.scope_id, &keys(&["team"])).await);
    }
    assert_eq!(get(&store, &a).await, Some(scope_a.clone()), "A's scope is untouched");
    assert_eq!(get(&store, &b).await, Some(scope_b), "B's scope is untouched");
    assert_eq!(get(&store, &c).await, None, "C got no scope");

    // After delete: not found, and nothing recreates the scope.
    store.delete_scope(&a, &scope_a.scope_id).await.expect("delete");
    assert_not_found(&store.tag_scope(&a, &scope_a.scope_id, &t).await);
    assert_not_found(&store.untag_scope(&a, &scope_a.scope_id, &keys(&["team"])).await);
    assert_eq!(get(&store, &a).await, None);
}

async fn tags_and_targets_change_independently(kind: StoreKind) {
    let store = store(kind).await;
    let a = account(ACCOUNT_A);
    let scope = scope_with(&a, targets(0..1), tags(&[("team", "network")]));
    create(&store, &scope).await;

    store.tag_scope(&a, &scope.scope_id, &tags(&[("env", "prod")])).await.expect("tag");
    let updated = store.update_scope(&a, &scope.scope_id, &add(targets(1..2))).await.expect("update");
    assert_eq!(updated.tags, tags(&[("team", "network"), ("env", "prod")]), "UpdateScope answers the current tags");
    assert_eq!(updated.version, 3);
    let untagged = store.untag_scope(&a, &scope.scope_id, &keys(&["team"])).await.expect("untag");
    assert_eq!(keys_of(&untagged.targets), BTreeSet::from([key(0), key(1)]), "tag changes keep the targets");
    let after = get(&store, &a).await.expect("scope");
    assert_eq!(after.tags, tags(&[("env", "prod")]));
    assert_eq!(keys_of(&after.targets), BTreeSet::from([key(0), key(1)]));
    assert_eq!(after.version, 4);
}

async fn deleting_a_scope_deletes_its_tags(kind: StoreKind) {
    let store = store(kind).await;
    let a = account(ACCOUNT_A);
    let old = scope_with(&a, targets(0..1), tags(&[("created", "1")]));
    create(&store, &old).await;
    store.tag_scope(&a, &old.scope_id, &numbered_tags(0..10)).await.expect("tag");
    store.delete_scope(&a, &old.scope_id).await.expect("delete");

    let fresh = scope_with(&a, targets(0..1), tags(&[("fresh", "yes")]));
    create(&store, &fresh).await;
    assert_eq!(get(&store, &a).await.expect("the new scope").tags, tags(&[("fresh", "yes")]), "only its own tags");
    assert_not_found(&store.tag_scope(&a, &old.scope_id, &tags(&[("x", "y")])).await);
    assert_eq!(get(&store, &a).await.expect("the new scope").tags, tags(&[("fresh", "yes")]));
}

/// One racing writer in [`concurrent_tags_untags_and_updates_lose_nothing`].
#[derive(Debug, Clone)]
enum Change {
    Tag(Tags),
    Untag(TagKeys),
    Update(TargetChanges),
}

async fn concurrent_tags_untags_and_updates_lose_nothing(kind: StoreKind) {
    let store = store(kind).await;
    let a = account(ACCOUNT_A);
    // Tags keep and drop0..drop6; target 0. Seven calls tag new keys, seven untag drop keys and
    // six add targets, all at once.
    let initial = (0..7).map(|i| (format!("drop{i}"), "x".to_owned())).chain([("keep".to_owned(), "me".to_owned())]);
    let scope = scope_with(&a, targets(0..1), Tags::from_stored(initial.collect()));
    create(&store, &scope).await;

    let mut changes = Vec::new();
    for i in 0..7 {
        changes.push(Change::Tag(tags(&[(&format!("new{i}"), &format!("v{i}"))])));
        changes.push(Change::Untag(keys(&[&format!("drop{i}")])));
    }
    for i in 1..=6 {
        changes.push(Change::Update(add(targets(i..i + 1))));
    }
    assert_eq!(changes.len(), TASKS);

    let barrier = Arc::new(Barrier::new(changes.len()));
    let tasks = changes
        .into_iter()
        .map(|change| {
            let (store, barrier, a, id) = (Arc::clone(&store), Arc::clone(&barrier), a.clone(), scope.scope_id.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                let outcome = match &change {
                    Change::Tag(t) => store.tag_scope(&a, &id, t).await,
                    Change::Untag(k) => store.untag_scope(&a, &id, k).await,
                    Change::Update(c) => store.update_scope(&a, &id, c).await,
                };
                (change, outcome)
            })
        })
        .collect();
    let results = join_all(tasks).await;

    let after = get(&store, &a).await.expect("the scope");
    let mut versions = BTreeSet::new();
    let mut expected_tags: BTreeMap<String, String> = scope.tags.as_map().clone();
    let mut expected_targets = BTreeSet::from([key(0)]);
    for (change, outcome) in &results {
        let written = match outcome {
            Ok(written) => written,
            Err(StoreError::Contention) => continue,
            Err(other) => panic!("a racing change may only fail with Contention, got {other:?}"),
        };
        assert!(versions.insert(written.version), "two writes returned version {}", written.version);
        match change {
            Change::Tag(t) => {
                for (k, v) in t.as_map() {
                    assert_eq!(written.tags.as_map().get(k), Some(v), "the returned scope has the tag");
                    expected_tags.insert(k.clone(), v.clone());
                }
            }
            Change::Untag(k) => {
                for key in k.iter() {
                    assert!(!written.tags.as_map().contains_key(key), "the returned scope lacks the key");
                    expected_tags.remove(key);
                }
            }
            Change::Update(c) => {
                assert!(c.add.iter().all(|t| written.targets.contains(t)), "the returned scope has the target");
                expected_targets.extend(c.add.keys());
            }
        }
    }
    assert_eq!(after.tags.as_map(), &expected_tags, "every successful tag and untag is reflected");
    assert_eq!(keys_of(&after.targets), expected_targets, "every successful target add is reflected");
    assert_eq!(after.version, 1 + versions.len() as u64, "one version per successful change");
    assert!(versions.len() >= TASKS / 2, "most racing changes succeed ({} of {TASKS})", versions.len());
    assert_eq!(after.scope_id, scope.scope_id);
}

async fn concurrent_tags_keep_the_cap(kind: StoreKind) {
    let store = store(kind).await;
    let a = account(ACCOUNT_A);
    // Room for 10 more tags; 20 calls race to add one new key each, and one more call overwrites.
    let scope = scope_with(&a, targets(0..1), numbered_tags(0..190));
    create(&store, &scope).await;
    let barrier = Arc::new(Barrier::new(TASKS + 1));
    let tasks: Vec<_> = (0..=TASKS)
        .map(|i| {
            let (store, barrier, a, id) = (Arc::clone(&store), Arc::clone(&barrier), a.clone(), scope.scope_id.clone());
            let change = if i == TASKS { tags(&[("k0", "overwritten")]) } else { tags(&[(&format!("racer{i}"), "v")]) };
            tokio::spawn(async move {
                barrier.wait().await;
                store.tag_scope(&a, &id, &change).await
            })
        })
        .collect();
    let results = join_all(tasks).await;

    let after = get(&store, &a).await.expect("the scope");
    assert_eq!(after.tags.len(), MAX_TAGS, "the cap is reached exactly, never passed");
    let mut added = 0;
    for (i, outcome) in results.iter().enumerate().take(TASKS) {
        let key = format!("racer{i}");
        match outcome {
            Ok(written) => {
                assert!(written.tags.len() <= MAX_TAGS);
                assert!(after.tags.as_map().contains_key(&key), "{key} succeeded and is kept");
                added += 1;
            }
            Err(StoreError::Rule(ApiError::Validation(_))) => {
                assert!(!after.tags.as_map().contains_key(&key), "{key} was refused and is absent")
            }
            Err(other) => panic!("{key}: expected success or the cap's ValidationException, got {other:?}"),
        }
    }
    assert_eq!(added, 10, "exactly the room there was");
    assert!(results[TASKS].is_ok(), "overwriting a key never meets the cap: {:?}", results[TASKS]);
    assert_eq!(after.tags.as_map()["k0"], "overwritten");
}

/// Records the name of every DynamoDB call made through its client.
#[derive(Debug, Clone, Default)]
struct Calls(Arc<Mutex<Vec<String>>>);

impl Calls {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().expect("calls"))
    }
}

impl Intercept for Calls {
    fn name(&self) -> &'static str {
        "Calls"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let name = cfg.load::<Metadata>().map(|m| m.name().to_owned()).unwrap_or_default();
        self.0.lock().expect("calls").push(name);
        Ok(())
    }
}

/// On DynamoDB a tag change is one UpdateItem, without a read: a second one only when the size
/// guard cannot tell (a scope near the cap), and a read only for an empty change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_tag_changes_are_single_conditional_writes() {
    let plain = dynamo_store().await;
    let calls = Calls::default();
    let store = dynamo_store_on(plain.table(), |c| c.interceptor(calls.clone()));
    let a = account(ACCOUNT_A);
    let scope = scope_with(&a, targets(0..1), numbered_tags(0..190));
    assert_created(&plain.create_scope(&scope, None, now()).await);
    let id = scope.scope_id.as_str();
    let update_item = |n: usize| vec!["UpdateItem".to_owned(); n];

    store.tag_scope(&a, id, &numbered_tags(190..198)).await.expect("tag");
    assert_eq!(calls.take(), update_item(1), "room for every key: one write");
    store.untag_scope(&a, id, &keys(&["k0", "absent"])).await.expect("untag");
    assert_eq!(calls.take(), update_item(1));
    // 197 tags, 5 keys of which 3 are there: the guard (197 <= 195) fails, the exact count (199) decides.
    store.tag_scope(&a, id, &numbered_tags(195..200)).await.expect("tag near the cap");
    assert_eq!(calls.take(), update_item(2), "the guarded write, then one on the returned version");
    assert!(store.tag_scope(&a, id, &numbered_tags(200..202)).await.is_err());
    assert_eq!(calls.take(), update_item(1), "over the cap: refused from the returned item, no read");
    assert_not_found(&store.tag_scope(&a, "nope", &tags(&[("x", "y")])).await);
    assert_not_found(&store.untag_scope(&a, "nope", &keys(&["x"])).await);
    assert_eq!(calls.take(), update_item(2), "not found from the returned item, no read");
    store.tag_scope(&a, id, &Tags::default()).await.expect("empty tag");
    store.untag_scope(&a, id, &TagKeys::default()).await.expect("empty untag");
    assert_eq!(calls.take(), vec!["GetItem".to_owned(); 2], "nothing to write: the existence check reads");
}

// ---------------------------------------------------------------------------------------------
// 7. Embedded store on disk

/// A temporary folder, removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_store_survives_reopening() {
    let dir = TempDir(std::env::temp_dir().join(format!("nfm-conformance-{}", uuid::Uuid::new_v4())));
    // A folder that does not exist yet: open creates it.
    let path = dir.0.join("data").join("scopes.redb");
    let (a, b) = (account(ACCOUNT_A), account(ACCOUNT_B));
    let token = new_token();
    let t0 = now();
    let scope_a = new_scope(&a);
    let record_a = token_for(&token, &scope_a, t0);
    let scope_b = scope_with(&b, targets(0..2), Tags::default());

    let updated_a = {
        let store: Arc<dyn Store> = Arc::new(EmbeddedStore::open(&path).expect("open the store file"));
        assert_created(&store.create_scope(&scope_a, Some(&record_a), t0).await);
        create(&store, &scope_b).await;
        let updated = store.update_scope(&a, &scope_a.scope_id, &add(targets(5..6))).await.expect("update");
        store.delete_scope(&b, &scope_b.scope_id).await.expect("delete");
        updated
    };
    assert!(path.is_file(), "the store lives in {}", path.display());

    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::open(&path).expect("reopen the store file"));
    assert_eq!(get(&store, &a).await, Some(updated_a.clone()), "the scope survives, as last written");
    assert_eq!(updated_a.version, 2);
    assert_eq!(get(&store, &b).await, None, "the deletion survives");
    // The token survives too.
    let retry = retry_of(&scope_a);
    assert_replayed(
        &store.create_scope(&retry, Some(&token_for(&token, &retry, t0 + 1)), t0 + 1).await,
        &record_a.scope_id,
    );
    let different = scope_with(&a, targets(0..1), Tags::default());
    assert_token_mismatch(&store.create_scope(&different, Some(&token_for(&token, &different, t0 + 1)), t0 + 1).await);
    assert_scope_exists(&store.create_scope(&different, None, t0 + 1).await, &scope_a.scope_id);
    // And it keeps working.
    let written = store.update_scope(&a, &scope_a.scope_id, &add(targets(6..7))).await.expect("update after reopen");
    assert_eq!(written.version, 3);
}
