//! Store conformance for Macie: both adapters of the `MacieStore` port keep the same guarantees
//! (docs/macie.md): one session per account with client-token replays, every operation gated on
//! the caller's session, a member of exactly one administrator, per-entry discovery outcomes in
//! request order, and discovery writes that never land on an account paused at that moment.
//! Every test runs on DynamoDB Local and on the embedded (redb) store.

use std::sync::Arc;

use shared::common::AccountId;
use shared::common::Tags;
use shared::error::ApiError;
use shared::macie::domain::{
    DiscoveryErrorCode, DiscoveryStatus, DiscoveryUpdate, Email, FindingPublishingFrequency, MacieStatus,
    RelationshipStatus, SessionChanges,
};
use shared::store::macie::{EnableOutcome, MacieSession, Member, NOT_ENABLED, SessionToken};
use shared::store::{Store, StoreError};
use tokio::sync::Barrier;

use crate::helpers::{StoreKind, account, on_both_stores, store};

on_both_stores!(
    enable_creates_one_session_and_get_reads_it,
    enable_again_conflicts_unless_the_same_token_and_request,
    concurrent_enables_with_one_token_create_one_session,
    every_operation_needs_a_session,
    update_session_changes_only_what_is_given,
    member_belongs_to_exactly_one_administrator,
    concurrent_claims_of_one_member_admit_one,
    members_are_visible_only_to_their_administrator,
    member_session_pauses_and_resumes,
    discovery_classifies_each_entry,
    discovery_results_keep_request_order,
    own_paused_session_is_account_paused,
    member_paused_concurrently_is_never_silently_updated,
    delete_frees_the_member_to_join_another_administrator,
    listing_pages_through_covered_accounts_in_order,
    listing_with_a_filter_returns_only_covered_accounts,
);

const ADMIN: &str = "111111111111";
const OTHER_ADMIN: &str = "222222222222";
const STRANGER: &str = "999999999999";

// ---------------------------------------------------------------------------------------------
// Helpers

/// A random number (the tests crate has uuid, not a random number crate).
fn random() -> u64 {
    uuid::Uuid::new_v4().as_u64_pair().0
}

/// Member account number `i`.
fn member_id(i: usize) -> AccountId {
    account(&format!("{:012}", 500_000_000_000usize + i))
}

fn session(id: &AccountId, status: MacieStatus) -> MacieSession {
    MacieSession {
        account: id.clone(),
        status,
        finding_publishing_frequency: FindingPublishingFrequency::FifteenMinutes,
        created_at: 1_000,
        updated_at: 1_000,
        discovery: DiscoveryStatus::Disabled,
    }
}

fn token(token: &str, fingerprint: &str) -> SessionToken {
    SessionToken { token: token.into(), fingerprint: fingerprint.into() }
}

fn member(admin: &AccountId, id: &AccountId) -> Member {
    Member {
        administrator: admin.clone(),
        account: id.clone(),
        email: Email::parse(&format!("m{id}@example.com")).expect("an e-mail address"),
        relationship: RelationshipStatus::Enabled,
        tags: Tags::from_stored([("team".to_owned(), "blue".to_owned())].into()),
        invited_at: 2_000,
        updated_at: 2_000,
        discovery: DiscoveryStatus::Disabled,
    }
}

fn update(id: &AccountId, status: DiscoveryStatus) -> DiscoveryUpdate {
    DiscoveryUpdate { account: id.clone(), status }
}

/// A store where `admin` has an enabled session.
async fn with_admin(kind: StoreKind, admin: &AccountId) -> Arc<dyn Store> {
    let store = store(kind).await;
    enable(&store, admin).await;
    store
}

async fn enable(store: &Arc<dyn Store>, admin: &AccountId) {
    let outcome = store.enable_macie(&session(admin, MacieStatus::Enabled), None).await;
    assert!(matches!(outcome, Ok(EnableOutcome::Created)), "{outcome:?}");
}

async fn add_member(store: &Arc<dyn Store>, admin: &AccountId, id: &AccountId) {
    store.create_member(&member(admin, id)).await.unwrap_or_else(|e| panic!("create member {id}: {e:?}"));
}

async fn pause_member(store: &Arc<dyn Store>, admin: &AccountId, id: &AccountId) {
    store.update_member_session(admin, id, RelationshipStatus::Paused, 3_000).await.expect("pause member");
}

async fn statuses(store: &Arc<dyn Store>, admin: &AccountId) -> Vec<(String, DiscoveryStatus)> {
    let page = store.list_discovery(admin, None, None, 1000).await.expect("list");
    assert!(!page.more);
    page.items.into_iter().map(|(id, s)| (id.to_string(), s)).collect()
}

fn is_not_enabled<T: std::fmt::Debug>(outcome: &Result<T, StoreError>) -> bool {
    matches!(outcome, Err(StoreError::Rule(ApiError::AccessDenied(m))) if m == NOT_ENABLED)
}

fn is_conflict<T: std::fmt::Debug>(outcome: &Result<T, StoreError>) -> bool {
    matches!(outcome, Err(StoreError::Rule(ApiError::Conflict(_))))
}

// ---------------------------------------------------------------------------------------------
// Sessions

async fn enable_creates_one_session_and_get_reads_it(kind: StoreKind) {
    let admin = account(ADMIN);
    let store = store(kind).await;
    assert_eq!(store.get_session(&admin).await.unwrap(), None);
    let mut paused = session(&admin, MacieStatus::Paused);
    paused.finding_publishing_frequency = FindingPublishingFrequency::SixHours;
    assert!(matches!(store.enable_macie(&paused, None).await, Ok(EnableOutcome::Created)));
    assert_eq!(store.get_session(&admin).await.unwrap(), Some(paused));
    store.require_session(&admin).await.unwrap();
    assert_eq!(store.get_session(&account(OTHER_ADMIN)).await.unwrap(), None);
}

async fn enable_again_conflicts_unless_the_same_token_and_request(kind: StoreKind) {
    let store = store(kind).await;
    let (a, b) = (account(ADMIN), account(OTHER_ADMIN));
    enable(&store, &a).await;
    assert!(is_conflict(&store.enable_macie(&session(&a, MacieStatus::Enabled), None).await));
    // A session created without a token has none to replay.
    let t = token("t-1", "fp-1");
    assert!(is_conflict(&store.enable_macie(&session(&a, MacieStatus::Enabled), Some(&t)).await));

    let first = session(&b, MacieStatus::Enabled);
    assert!(matches!(store.enable_macie(&first, Some(&t)).await, Ok(EnableOutcome::Created)));
    let mut later = first.clone();
    later.created_at = 9_999;
    assert!(matches!(store.enable_macie(&later, Some(&t)).await, Ok(EnableOutcome::Replayed)));
    let mismatch = store.enable_macie(&later, Some(&token("t-1", "fp-2"))).await;
    assert!(matches!(mismatch, Err(StoreError::TokenMismatch)), "{mismatch:?}");
    assert!(is_conflict(&store.enable_macie(&later, Some(&token("t-2", "fp-1"))).await));
    assert!(is_conflict(&store.enable_macie(&later, None).await));
    // The replay did not overwrite the session.
    assert_eq!(store.get_session(&b).await.unwrap().unwrap().created_at, 1_000);
}

async fn concurrent_enables_with_one_token_create_one_session(kind: StoreKind) {
    let store = store(kind).await;
    let admin = account(ADMIN);
    let barrier = Arc::new(Barrier::new(10));
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let (store, barrier, admin) = (store.clone(), barrier.clone(), admin.clone());
            tokio::spawn(async move {
                let mut s = session(&admin, MacieStatus::Enabled);
                s.created_at = i;
                barrier.wait().await;
                (i, store.enable_macie(&s, Some(&token("same", "fp"))).await)
            })
        })
        .collect();
    let mut created = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            (i, Ok(EnableOutcome::Created)) => created.push(i),
            (_, Ok(EnableOutcome::Replayed)) => {}
            (_, other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(created.len(), 1, "exactly one request creates the session");
    assert_eq!(store.get_session(&admin).await.unwrap().unwrap().created_at, created[0]);
}

async fn every_operation_needs_a_session(kind: StoreKind) {
    let store = store(kind).await;
    let (a, m) = (account(ADMIN), member_id(1));
    assert!(is_not_enabled(&store.require_session(&a).await));
    assert!(is_not_enabled(&store.update_session(&a, &SessionChanges::default(), 5).await));
    assert!(is_not_enabled(&store.create_member(&member(&a, &m)).await));
    assert!(is_not_enabled(&store.get_member(&a, &m).await));
    assert!(is_not_enabled(&store.delete_member(&a, &m).await));
    assert!(is_not_enabled(&store.update_member_session(&a, &m, RelationshipStatus::Paused, 5).await));
    assert!(is_not_enabled(&store.update_discovery(&a, &[], 5).await));
    assert!(is_not_enabled(&store.update_discovery(&a, &[update(&a, DiscoveryStatus::Enabled)], 5).await));
    assert!(is_not_enabled(&store.list_discovery(&a, None, None, 25).await));
    assert!(is_not_enabled(&store.list_discovery(&a, Some(std::slice::from_ref(&a)), None, 25).await));
    // Nothing was written on the way.
    assert_eq!(store.get_session(&a).await.unwrap(), None);
    let b = account(OTHER_ADMIN);
    enable(&store, &b).await;
    assert!(store.create_member(&member(&b, &m)).await.is_ok(), "the refused create left no claim on {m}");
}

async fn update_session_changes_only_what_is_given(kind: StoreKind) {
    let admin = account(ADMIN);
    let store = with_admin(kind, &admin).await;
    let pause = SessionChanges { status: Some(MacieStatus::Paused), finding_publishing_frequency: None };
    store.update_session(&admin, &pause, 5_000).await.unwrap();
    let s = store.get_session(&admin).await.unwrap().unwrap();
    assert_eq!(
        (s.status, s.finding_publishing_frequency, s.created_at, s.updated_at),
        (MacieStatus::Paused, FindingPublishingFrequency::FifteenMinutes, 1_000, 5_000)
    );
    let hourly =
        SessionChanges { status: None, finding_publishing_frequency: Some(FindingPublishingFrequency::OneHour) };
    store.update_session(&admin, &hourly, 6_000).await.unwrap();
    let s = store.get_session(&admin).await.unwrap().unwrap();
    assert_eq!(
        (s.status, s.finding_publishing_frequency, s.updated_at),
        (MacieStatus::Paused, FindingPublishingFrequency::OneHour, 6_000)
    );
    store.update_session(&admin, &SessionChanges::default(), 7_000).await.unwrap();
    assert_eq!(store.get_session(&admin).await.unwrap().unwrap().updated_at, 7_000);
}

// ---------------------------------------------------------------------------------------------
// Members

async fn member_belongs_to_exactly_one_administrator(kind: StoreKind) {
    let (a, b, m) = (account(ADMIN), account(OTHER_ADMIN), member_id(1));
    let store = with_admin(kind, &a).await;
    enable(&store, &b).await;
    add_member(&store, &a, &m).await;
    assert_eq!(store.get_member(&a, &m).await.unwrap(), member(&a, &m));
    assert!(is_conflict(&store.create_member(&member(&b, &m)).await));
    assert!(is_conflict(&store.create_member(&member(&a, &m)).await));
    assert!(matches!(store.get_member(&b, &m).await, Err(StoreError::NotFound)));
    // The refused creates changed nothing.
    assert_eq!(store.get_member(&a, &m).await.unwrap(), member(&a, &m));
}

async fn concurrent_claims_of_one_member_admit_one(kind: StoreKind) {
    let store = store(kind).await;
    let admins: Vec<AccountId> = (0..8).map(|i| account(&format!("{:012}", 700_000_000_000usize + i))).collect();
    for admin in &admins {
        enable(&store, admin).await;
    }
    let m = member_id(42);
    let barrier = Arc::new(Barrier::new(admins.len()));
    let tasks: Vec<_> = admins
        .iter()
        .map(|admin| {
            let (store, barrier, admin, m) = (store.clone(), barrier.clone(), admin.clone(), m.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                (admin.clone(), store.create_member(&member(&admin, &m)).await)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        let (admin, outcome) = task.await.unwrap();
        match outcome {
            Ok(()) => winners.push(admin),
            other => assert!(is_conflict(&other), "{other:?}"),
        }
    }
    assert_eq!(winners.len(), 1);
    for admin in &admins {
        assert_eq!(store.get_member(admin, &m).await.is_ok(), *admin == winners[0]);
    }
}

async fn members_are_visible_only_to_their_administrator(kind: StoreKind) {
    let (a, b, m) = (account(ADMIN), account(OTHER_ADMIN), member_id(1));
    let store = with_admin(kind, &a).await;
    enable(&store, &b).await;
    add_member(&store, &a, &m).await;
    assert!(matches!(store.get_member(&b, &m).await, Err(StoreError::NotFound)));
    assert!(matches!(store.delete_member(&b, &m).await, Err(StoreError::NotFound)));
    assert!(matches!(
        store.update_member_session(&b, &m, RelationshipStatus::Paused, 9).await,
        Err(StoreError::NotFound)
    ));
    let results = store.update_discovery(&b, &[update(&m, DiscoveryStatus::Enabled)], 9).await.unwrap();
    assert_eq!(results, [Err(DiscoveryErrorCode::AccountNotFound)]);
    assert_eq!(statuses(&store, &b).await, [(OTHER_ADMIN.to_owned(), DiscoveryStatus::Disabled)]);
    // Untouched for its administrator.
    assert_eq!(store.get_member(&a, &m).await.unwrap(), member(&a, &m));
}

async fn member_session_pauses_and_resumes(kind: StoreKind) {
    let (a, m) = (account(ADMIN), member_id(1));
    let store = with_admin(kind, &a).await;
    add_member(&store, &a, &m).await;
    store.update_member_session(&a, &m, RelationshipStatus::Paused, 3_000).await.unwrap();
    let got = store.get_member(&a, &m).await.unwrap();
    assert_eq!((got.relationship, got.updated_at, got.invited_at), (RelationshipStatus::Paused, 3_000, 2_000));
    store.update_member_session(&a, &m, RelationshipStatus::Enabled, 4_000).await.unwrap();
    let got = store.get_member(&a, &m).await.unwrap();
    assert_eq!((got.relationship, got.updated_at), (RelationshipStatus::Enabled, 4_000));
    assert!(matches!(
        store.update_member_session(&a, &member_id(2), RelationshipStatus::Paused, 5_000).await,
        Err(StoreError::NotFound)
    ));
}

async fn delete_frees_the_member_to_join_another_administrator(kind: StoreKind) {
    let (a, b, m) = (account(ADMIN), account(OTHER_ADMIN), member_id(1));
    let store = with_admin(kind, &a).await;
    enable(&store, &b).await;
    add_member(&store, &a, &m).await;
    store.delete_member(&a, &m).await.unwrap();
    assert!(matches!(store.get_member(&a, &m).await, Err(StoreError::NotFound)));
    assert!(matches!(store.delete_member(&a, &m).await, Err(StoreError::NotFound)));
    assert_eq!(statuses(&store, &a).await, [(ADMIN.to_owned(), DiscoveryStatus::Disabled)]);
    add_member(&store, &b, &m).await;
    assert_eq!(store.get_member(&b, &m).await.unwrap(), member(&b, &m));
    // The old administrator cannot delete it from its new one, nor take it back.
    assert!(matches!(store.delete_member(&a, &m).await, Err(StoreError::NotFound)));
    assert!(is_conflict(&store.create_member(&member(&a, &m)).await));
}

// ---------------------------------------------------------------------------------------------
// Automated discovery

async fn discovery_classifies_each_entry(kind: StoreKind) {
    let (a, b) = (account(ADMIN), account(OTHER_ADMIN));
    let store = with_admin(kind, &a).await;
    enable(&store, &b).await;
    let (enabled, paused, others) = (member_id(1), member_id(2), member_id(3));
    add_member(&store, &a, &enabled).await;
    add_member(&store, &a, &paused).await;
    pause_member(&store, &a, &paused).await;
    add_member(&store, &b, &others).await;
    let stranger = account(STRANGER);
    let entries = [
        update(&enabled, DiscoveryStatus::Enabled),
        update(&stranger, DiscoveryStatus::Enabled),
        update(&a, DiscoveryStatus::Enabled),
        update(&paused, DiscoveryStatus::Enabled),
        update(&others, DiscoveryStatus::Enabled),
        update(&b, DiscoveryStatus::Enabled),
    ];
    let results = store.update_discovery(&a, &entries, 8_000).await.unwrap();
    use DiscoveryErrorCode::{AccountNotFound, AccountPaused};
    assert_eq!(
        results,
        [Ok(()), Err(AccountNotFound), Ok(()), Err(AccountPaused), Err(AccountNotFound), Err(AccountNotFound)]
    );
    assert_eq!(
        statuses(&store, &a).await,
        [
            (ADMIN.to_owned(), DiscoveryStatus::Enabled),
            (enabled.to_string(), DiscoveryStatus::Enabled),
            (paused.to_string(), DiscoveryStatus::Disabled),
        ]
    );
    assert_eq!(store.get_member(&a, &enabled).await.unwrap().updated_at, 8_000);
    assert_eq!(store.get_member(&a, &paused).await.unwrap().updated_at, 3_000, "a paused member is not written");
    // B's own account and member are untouched.
    assert_eq!(
        statuses(&store, &b).await,
        [(OTHER_ADMIN.to_owned(), DiscoveryStatus::Disabled), (others.to_string(), DiscoveryStatus::Disabled)]
    );
    // Setting the status an account already has succeeds; disabling works too.
    let again = store
        .update_discovery(
            &a,
            &[update(&enabled, DiscoveryStatus::Enabled), update(&a, DiscoveryStatus::Disabled)],
            9_000,
        )
        .await
        .unwrap();
    assert_eq!(again, [Ok(()), Ok(())]);
    assert_eq!(statuses(&store, &a).await[0], (ADMIN.to_owned(), DiscoveryStatus::Disabled));
    // Resumed, the member can be updated.
    store.update_member_session(&a, &paused, RelationshipStatus::Enabled, 9_500).await.unwrap();
    assert_eq!(
        store.update_discovery(&a, &[update(&paused, DiscoveryStatus::Enabled)], 10_000).await.unwrap(),
        [Ok(())]
    );
    assert_eq!(store.update_discovery(&a, &[], 10_000).await.unwrap(), []);
}

async fn discovery_results_keep_request_order(kind: StoreKind) {
    let a = account(ADMIN);
    let store = with_admin(kind, &a).await;
    // Even members exist (odd ones are strangers); every fourth is paused.
    for i in (0..100).step_by(2) {
        add_member(&store, &a, &member_id(i)).await;
        if i % 4 == 0 {
            pause_member(&store, &a, &member_id(i)).await;
        }
    }
    // Request order is neither ID order nor any store order.
    let mut order: Vec<usize> = (0..100).collect();
    order.sort_by_cached_key(|_| random());
    let entries: Vec<DiscoveryUpdate> =
        order.iter().map(|&i| update(&member_id(i), DiscoveryStatus::Enabled)).collect();
    let results = store.update_discovery(&a, &entries, 8_000).await.unwrap();
    let expected: Vec<Result<(), DiscoveryErrorCode>> = order
        .iter()
        .map(|&i| match i {
            i if i % 2 == 1 => Err(DiscoveryErrorCode::AccountNotFound),
            i if i % 4 == 0 => Err(DiscoveryErrorCode::AccountPaused),
            _ => Ok(()),
        })
        .collect();
    assert_eq!(results, expected, "request order {order:?}");
}

async fn own_paused_session_is_account_paused(kind: StoreKind) {
    let a = account(ADMIN);
    let store = store(kind).await;
    assert!(matches!(store.enable_macie(&session(&a, MacieStatus::Paused), None).await, Ok(EnableOutcome::Created)));
    let m = member_id(1);
    add_member(&store, &a, &m).await;
    let results = store
        .update_discovery(&a, &[update(&a, DiscoveryStatus::Enabled), update(&m, DiscoveryStatus::Enabled)], 8_000)
        .await
        .unwrap();
    assert_eq!(results, [Err(DiscoveryErrorCode::AccountPaused), Ok(())]);
    let s = store.get_session(&a).await.unwrap().unwrap();
    assert_eq!((s.discovery, s.updated_at), (DiscoveryStatus::Disabled, 1_000), "the paused session was not written");
    let resume = SessionChanges { status: Some(MacieStatus::Enabled), finding_publishing_frequency: None };
    store.update_session(&a, &resume, 9_000).await.unwrap();
    assert_eq!(store.update_discovery(&a, &[update(&a, DiscoveryStatus::Enabled)], 9_500).await.unwrap(), [Ok(())]);
    assert_eq!(store.get_session(&a).await.unwrap().unwrap().discovery, DiscoveryStatus::Enabled);
}

/// Members are paused while a batch enabling their discovery runs. The pause writes
/// `updated_at = PAUSED_AT`, the batch `BATCH_AT`, so the last writer is visible afterwards:
/// an entry reported as success must have been written while its member was Enabled, i.e.
/// before the pause, so the pause's timestamp is the last one; an entry reported ACCOUNT_PAUSED
/// must have left the discovery status unchanged. An unconditional (read-then-write) batch
/// would show `BATCH_AT` on a paused member, or a paused member with discovery ENABLED after
/// reporting ACCOUNT_PAUSED.
async fn member_paused_concurrently_is_never_silently_updated(kind: StoreKind) {
    const PAUSED_AT: i64 = 50_000;
    const BATCH_AT: i64 = 40_000;
    let a = account(ADMIN);
    let store = with_admin(kind, &a).await;
    let members: Vec<AccountId> = (0..30).map(member_id).collect();
    let mut outcomes = (0usize, 0usize);
    for round in 0..4 {
        for m in &members {
            if round == 0 {
                add_member(&store, &a, m).await;
            } else {
                store.update_member_session(&a, m, RelationshipStatus::Enabled, 1).await.unwrap();
                let reset = store.update_discovery(&a, &[update(m, DiscoveryStatus::Disabled)], 1).await.unwrap();
                assert_eq!(reset, [Ok(())]);
            }
        }
        let barrier = Arc::new(Barrier::new(members.len() + 1));
        let pauses: Vec<_> = members
            .iter()
            .map(|m| {
                let (store, barrier, a, m) = (store.clone(), barrier.clone(), a.clone(), m.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    // Spread the pauses over the batch's lifetime.
                    tokio::time::sleep(std::time::Duration::from_micros(random() % 3_000)).await;
                    store.update_member_session(&a, &m, RelationshipStatus::Paused, PAUSED_AT).await
                })
            })
            .collect();
        let entries: Vec<DiscoveryUpdate> = members.iter().map(|m| update(m, DiscoveryStatus::Enabled)).collect();
        barrier.wait().await;
        // Start the batch somewhere among the pauses, so both outcomes occur on both stores.
        tokio::time::sleep(std::time::Duration::from_micros(random() % 2_000)).await;
        let results = store.update_discovery(&a, &entries, BATCH_AT).await.unwrap();
        for pause in pauses {
            pause.await.unwrap().unwrap();
        }
        for (m, result) in members.iter().zip(&results) {
            let got = store.get_member(&a, m).await.unwrap();
            assert_eq!(got.relationship, RelationshipStatus::Paused);
            assert_eq!(got.updated_at, PAUSED_AT, "{m}: the batch wrote after the pause (reported {result:?})");
            match result {
                Ok(()) => {
                    outcomes.0 += 1;
                    assert_eq!(got.discovery, DiscoveryStatus::Enabled, "{m}: reported success without the write");
                }
                Err(DiscoveryErrorCode::AccountPaused) => {
                    outcomes.1 += 1;
                    assert_eq!(got.discovery, DiscoveryStatus::Disabled, "{m}: reported paused but was changed");
                }
                Err(other) => panic!("{m}: unexpected {other:?}"),
            }
        }
    }
    eprintln!("{kind:?}: {} entries written before their pause, {} refused as paused", outcomes.0, outcomes.1);
}

async fn listing_pages_through_covered_accounts_in_order(kind: StoreKind) {
    // The administrator's own ID falls in the middle of its members' IDs.
    let admin = member_id(15);
    let store = with_admin(kind, &admin).await;
    let mut expected: Vec<String> = vec![admin.to_string()];
    for i in (0..30).filter(|i| *i != 15) {
        add_member(&store, &admin, &member_id(i)).await;
        expected.push(member_id(i).to_string());
    }
    expected.sort();
    assert_eq!(expected.len(), 30);
    for limit in [1, 7, 15, 25, 29, 30, 31] {
        let mut seen = Vec::new();
        let mut after: Option<AccountId> = None;
        loop {
            let page = store.list_discovery(&admin, None, after.as_ref(), limit).await.unwrap();
            assert!(page.items.len() <= limit);
            assert!(!page.items.is_empty(), "an empty page with more = {}", page.more);
            seen.extend(page.items.iter().map(|(id, _)| id.to_string()));
            if !page.more {
                break;
            }
            after = page.items.last().map(|(id, _)| id.clone());
        }
        assert_eq!(seen, expected, "limit {limit}");
    }
    // Another administrator with no members lists only itself.
    let b = account(OTHER_ADMIN);
    enable(&store, &b).await;
    assert_eq!(statuses(&store, &b).await, [(OTHER_ADMIN.to_owned(), DiscoveryStatus::Disabled)]);
}

async fn listing_with_a_filter_returns_only_covered_accounts(kind: StoreKind) {
    let (a, b) = (account(ADMIN), account(OTHER_ADMIN));
    let store = with_admin(kind, &a).await;
    enable(&store, &b).await;
    for i in 0..5 {
        add_member(&store, &a, &member_id(i)).await;
    }
    add_member(&store, &b, &member_id(9)).await;
    store.update_discovery(&a, &[update(&member_id(3), DiscoveryStatus::Enabled)], 5).await.unwrap();
    let only = [member_id(3), account(STRANGER), a.clone(), member_id(9), b.clone(), member_id(0)];
    let page = store.list_discovery(&a, Some(&only), None, 25).await.unwrap();
    let got: Vec<(String, DiscoveryStatus)> = page.items.iter().map(|(id, s)| (id.to_string(), *s)).collect();
    assert_eq!(
        got,
        [
            (ADMIN.to_owned(), DiscoveryStatus::Disabled),
            (member_id(0).to_string(), DiscoveryStatus::Disabled),
            (member_id(3).to_string(), DiscoveryStatus::Enabled),
        ]
    );
    assert!(!page.more);
    // Paged through a filter.
    let first = store.list_discovery(&a, Some(&only), None, 2).await.unwrap();
    assert_eq!(first.items.len(), 2);
    assert!(first.more);
    let rest = store.list_discovery(&a, Some(&only), first.items.last().map(|(id, _)| id), 2).await.unwrap();
    assert_eq!(rest.items, [(member_id(3), DiscoveryStatus::Enabled)]);
    assert!(!rest.more);
    let none = store.list_discovery(&a, Some(&[]), None, 25).await.unwrap();
    assert!(none.items.is_empty() && !none.more);
}
