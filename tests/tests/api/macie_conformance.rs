//! Store conformance for Macie: both adapters of the `MacieStore` port keep the same guarantees
//! (docs/macie.md): one session per account with client-token replays, every operation gated on
//! the caller's session, a member associated with exactly one administrator, `Removed` records
//! that cover nothing, per-entry discovery outcomes in request order, discovery writes (a batch's
//! or the configuration's) that never land on an account paused at that moment, new members'
//! status from the configuration even while it changes, and a session that is never deleted
//! while a member is associated and leaves no member record behind, even against racing
//! CreateMember calls. Every test runs on DynamoDB Local and on the embedded (redb) store.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use shared::common::AccountId;
use shared::common::Tags;
use shared::error::ApiError;
use shared::macie::domain::{
    AutoEnableMode, ConfigurationUpdate, DiscoveryConfiguration, DiscoveryErrorCode, DiscoveryStatus, DiscoveryUpdate,
    Email, FindingPublishingFrequency, MacieStatus, RelationshipStatus, SessionChanges,
};
use shared::store::macie::{EnableOutcome, MacieSession, Member, NOT_ENABLED, SessionToken};
use shared::store::{MacieStore, Store, StoreError};
use tokio::sync::Barrier;

use crate::helpers::{StoreKind, account, dynamo_store, dynamo_store_on, on_both_stores, store};

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
    disassociate_keeps_a_removed_record_that_covers_nothing,
    a_removed_account_is_free_for_any_administrator,
    delete_member_deletes_removed_records_too,
    list_members_pages_with_and_without_removed_records,
    disable_is_refused_while_members_are_associated,
    disable_deletes_the_session_configuration_and_removed_records,
    create_member_racing_disable_never_leaves_a_member_behind,
    configuration_starts_disabled_and_keeps_its_timestamps,
    configuration_enabled_with_all_enables_enabled_members_only,
    configuration_new_or_none_leaves_members_and_disabled_covers_paused_ones,
    new_members_start_with_the_configurations_status,
    members_created_while_the_configuration_is_enabled_end_enabled,
    member_paused_while_the_configuration_is_enabled_is_never_enabled,
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

/// How long, in microseconds, racing calls are spread over: DynamoDB Local takes milliseconds
/// per call, so both orders of a race need a wider spread there.
fn spread(kind: StoreKind) -> u64 {
    match kind {
        StoreKind::Embedded => 4_000,
        StoreKind::DynamoDb => 30_000,
    }
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

fn configure(status: DiscoveryStatus, mode: Option<AutoEnableMode>) -> ConfigurationUpdate {
    ConfigurationUpdate { status, mode }
}

async fn disassociate(store: &Arc<dyn Store>, admin: &AccountId, id: &AccountId) {
    store.disassociate_member(admin, id, 4_000).await.unwrap_or_else(|e| panic!("disassociate {id}: {e:?}"));
}

/// Every member record of `admin` (`Removed` ones included), as (account, relationship).
async fn records(store: &Arc<dyn Store>, admin: &AccountId) -> Vec<(String, RelationshipStatus)> {
    let page = store.list_members(admin, true, None, 10_000).await.expect("list members");
    assert!(!page.more);
    page.members.into_iter().map(|m| (m.account.to_string(), m.relationship)).collect()
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
    assert!(is_not_enabled(&store.disable_macie(&a).await));
    assert!(is_not_enabled(&store.list_members(&a, true, None, 25).await));
    assert!(is_not_enabled(&store.disassociate_member(&a, &m, 5).await));
    assert!(is_not_enabled(&store.get_configuration(&a).await));
    assert!(is_not_enabled(&store.update_configuration(&a, &configure(DiscoveryStatus::Enabled, None), 5).await));
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

// ---------------------------------------------------------------------------------------------
// Disassociated (Removed) members

async fn disassociate_keeps_a_removed_record_that_covers_nothing(kind: StoreKind) {
    let (a, b) = (account(ADMIN), account(OTHER_ADMIN));
    let store = with_admin(kind, &a).await;
    enable(&store, &b).await;
    let (m, paused, kept) = (member_id(1), member_id(2), member_id(3));
    for id in [&m, &paused, &kept] {
        add_member(&store, &a, id).await;
    }
    pause_member(&store, &a, &paused).await;
    let enable_all = [update(&m, DiscoveryStatus::Enabled), update(&kept, DiscoveryStatus::Enabled)];
    assert_eq!(store.update_discovery(&a, &enable_all, 3_500).await.unwrap(), [Ok(()), Ok(())]);

    store.disassociate_member(&a, &m, 4_000).await.unwrap();
    store.disassociate_member(&a, &paused, 4_100).await.unwrap();
    let got = store.get_member(&a, &m).await.unwrap();
    let expected = Member {
        relationship: RelationshipStatus::Removed,
        discovery: DiscoveryStatus::Disabled,
        updated_at: 4_000,
        ..member(&a, &m)
    };
    assert_eq!(got, expected, "only relationship, discovery and updatedAt change");
    assert_eq!(store.get_member(&a, &paused).await.unwrap().relationship, RelationshipStatus::Removed);
    // Again: a no-op, updatedAt included.
    store.disassociate_member(&a, &m, 9_000).await.unwrap();
    assert_eq!(store.get_member(&a, &m).await.unwrap(), expected);

    // Not covered: left out of listings, ACCOUNT_NOT_FOUND in batches, no session changes.
    assert_eq!(
        statuses(&store, &a).await,
        [(ADMIN.to_owned(), DiscoveryStatus::Disabled), (kept.to_string(), DiscoveryStatus::Enabled)]
    );
    let only = [m.clone(), paused.clone(), kept.clone()];
    let page = store.list_discovery(&a, Some(&only), None, 25).await.unwrap();
    assert_eq!(page.items, [(kept.clone(), DiscoveryStatus::Enabled)]);
    let results = store.update_discovery(&a, &[update(&m, DiscoveryStatus::Enabled)], 9_500).await.unwrap();
    assert_eq!(results, [Err(DiscoveryErrorCode::AccountNotFound)]);
    for relationship in [RelationshipStatus::Enabled, RelationshipStatus::Paused] {
        let refused = store.update_member_session(&a, &m, relationship, 9_600).await;
        assert!(
            matches!(&refused, Err(StoreError::Rule(ApiError::Conflict(msg))) if msg.contains("Removed")),
            "{refused:?}"
        );
    }
    assert_eq!(store.get_member(&a, &m).await.unwrap(), expected, "the refused calls changed nothing");

    // Only the caller's own records, and only with a session.
    assert!(matches!(store.disassociate_member(&a, &member_id(9), 5).await, Err(StoreError::NotFound)));
    assert!(matches!(store.disassociate_member(&b, &kept, 5).await, Err(StoreError::NotFound)));
    assert_eq!(store.get_member(&a, &kept).await.unwrap().relationship, RelationshipStatus::Enabled);
}

async fn a_removed_account_is_free_for_any_administrator(kind: StoreKind) {
    let (a, b, m) = (account(ADMIN), account(OTHER_ADMIN), member_id(1));
    let store = with_admin(kind, &a).await;
    enable(&store, &b).await;
    add_member(&store, &a, &m).await;
    disassociate(&store, &a, &m).await;
    // The caller's own CreateMember replaces the Removed record with a fresh association.
    let mut again = member(&a, &m);
    again.email = Email::parse("new@example.com").unwrap();
    again.tags = Tags::from_stored([("team".to_owned(), "red".to_owned())].into());
    again.invited_at = 6_000;
    again.updated_at = 6_000;
    store.create_member(&again).await.unwrap();
    assert_eq!(store.get_member(&a, &m).await.unwrap(), again);
    assert_eq!(records(&store, &a).await, [(m.to_string(), RelationshipStatus::Enabled)]);
    assert!(is_conflict(&store.create_member(&member(&b, &m)).await), "associated again: B cannot take it");

    // Removed again, another administrator takes it; the caller keeps its Removed record.
    disassociate(&store, &a, &m).await;
    add_member(&store, &b, &m).await;
    assert_eq!(store.get_member(&a, &m).await.unwrap().relationship, RelationshipStatus::Removed);
    assert!(is_conflict(&store.create_member(&member(&a, &m)).await));
    assert_eq!(store.get_member(&a, &m).await.unwrap().relationship, RelationshipStatus::Removed);
    assert_eq!(store.get_member(&b, &m).await.unwrap(), member(&b, &m));
}

async fn delete_member_deletes_removed_records_too(kind: StoreKind) {
    let (a, b, m) = (account(ADMIN), account(OTHER_ADMIN), member_id(1));
    let store = with_admin(kind, &a).await;
    enable(&store, &b).await;
    add_member(&store, &a, &m).await;
    disassociate(&store, &a, &m).await;
    add_member(&store, &b, &m).await;
    // Deleting A's Removed record leaves B's association alone.
    store.delete_member(&a, &m).await.unwrap();
    assert!(matches!(store.get_member(&a, &m).await, Err(StoreError::NotFound)));
    assert!(matches!(store.delete_member(&a, &m).await, Err(StoreError::NotFound)));
    assert!(records(&store, &a).await.is_empty());
    assert_eq!(store.get_member(&b, &m).await.unwrap(), member(&b, &m));
    assert!(is_conflict(&store.create_member(&member(&a, &m)).await), "B still holds it");
    // B deletes its associated member: the account is free again.
    store.delete_member(&b, &m).await.unwrap();
    add_member(&store, &a, &m).await;
    // With no record left, DisableMacie succeeds for B.
    store.disable_macie(&b).await.unwrap();
}

async fn list_members_pages_with_and_without_removed_records(kind: StoreKind) {
    // The administrator's own ID falls among its members'; it is never listed.
    let admin = member_id(10);
    let store = with_admin(kind, &admin).await;
    let other = account(OTHER_ADMIN);
    enable(&store, &other).await;
    add_member(&store, &other, &member_id(99)).await;
    let mut all = Vec::new();
    for i in (0..24).filter(|i| *i != 10) {
        add_member(&store, &admin, &member_id(i)).await;
        let relationship = match i % 3 {
            0 => {
                disassociate(&store, &admin, &member_id(i)).await;
                RelationshipStatus::Removed
            }
            1 => {
                pause_member(&store, &admin, &member_id(i)).await;
                RelationshipStatus::Paused
            }
            _ => RelationshipStatus::Enabled,
        };
        all.push((member_id(i).to_string(), relationship));
    }
    let associated: Vec<_> = all.iter().filter(|(_, r)| *r != RelationshipStatus::Removed).cloned().collect();
    assert!(associated.len() < all.len());
    for include_removed in [false, true] {
        let expected = if include_removed { &all } else { &associated };
        for limit in [1, 2, 5, 14, 15, 16, 23, 25] {
            let mut seen = Vec::new();
            let mut after: Option<AccountId> = None;
            loop {
                let page = store.list_members(&admin, include_removed, after.as_ref(), limit).await.unwrap();
                assert!(page.members.len() <= limit);
                assert!(!page.members.is_empty(), "an empty page with more = {}", page.more);
                assert!(page.members.iter().all(|m| m.administrator == admin));
                seen.extend(page.members.iter().map(|m| (m.account.to_string(), m.relationship)));
                if !page.more {
                    break;
                }
                after = page.members.last().map(|m| m.account.clone());
            }
            assert_eq!(&seen, expected, "limit {limit}, removed included: {include_removed}");
        }
    }
    // Each listed record is exactly what GetMember reads.
    let page = store.list_members(&admin, true, None, 25).await.unwrap();
    for listed in &page.members {
        assert_eq!(&store.get_member(&admin, &listed.account).await.unwrap(), listed);
    }
    // Another administrator lists only its own.
    let page = store.list_members(&other, true, None, 25).await.unwrap();
    assert_eq!(page.members, [member(&other, &member_id(99))]);
}

// ---------------------------------------------------------------------------------------------
// DisableMacie

async fn disable_is_refused_while_members_are_associated(kind: StoreKind) {
    let a = account(ADMIN);
    let store = with_admin(kind, &a).await;
    let (enabled, paused, removed) = (member_id(1), member_id(2), member_id(3));
    for id in [&enabled, &paused, &removed] {
        add_member(&store, &a, id).await;
    }
    pause_member(&store, &a, &paused).await;
    disassociate(&store, &a, &removed).await;
    let before = records(&store, &a).await;
    let refused = store.disable_macie(&a).await;
    assert!(
        matches!(&refused, Err(StoreError::Rule(ApiError::Conflict(m))) if m.contains("2 associated")),
        "{refused:?}"
    );
    store.delete_member(&a, &enabled).await.unwrap();
    let refused = store.disable_macie(&a).await;
    assert!(
        matches!(&refused, Err(StoreError::Rule(ApiError::Conflict(m))) if m.contains("1 associated")),
        "{refused:?}"
    );
    // Nothing changed: the session, its Removed record, the paused member.
    assert!(store.get_session(&a).await.unwrap().is_some());
    assert_eq!(records(&store, &a).await, before[1..]);
    disassociate(&store, &a, &paused).await;
    store.disable_macie(&a).await.unwrap();
    assert_eq!(store.get_session(&a).await.unwrap(), None);
}

async fn disable_deletes_the_session_configuration_and_removed_records(kind: StoreKind) {
    let (a, b) = (account(ADMIN), account(OTHER_ADMIN));
    let store = store(kind).await;
    let paused = MacieSession { discovery: DiscoveryStatus::Disabled, ..session(&a, MacieStatus::Paused) };
    assert!(matches!(store.enable_macie(&paused, Some(&token("t-1", "fp"))).await, Ok(EnableOutcome::Created)));
    enable(&store, &b).await;
    // A is itself B's member: disabling A does not touch that record.
    add_member(&store, &b, &a).await;
    // More Removed records than one DynamoDB transaction holds.
    let removed: Vec<AccountId> = (0..150).map(member_id).collect();
    for id in &removed {
        add_member(&store, &a, id).await;
        disassociate(&store, &a, id).await;
    }
    store
        .update_configuration(&a, &configure(DiscoveryStatus::Enabled, Some(AutoEnableMode::New)), 5_000)
        .await
        .unwrap();
    store
        .update_session(&a, &SessionChanges { status: Some(MacieStatus::Enabled), ..Default::default() }, 5_500)
        .await
        .unwrap();
    store.update_discovery(&a, &[update(&a, DiscoveryStatus::Enabled)], 6_000).await.unwrap();
    store
        .update_session(&a, &SessionChanges { status: Some(MacieStatus::Paused), ..Default::default() }, 6_500)
        .await
        .unwrap();

    store.disable_macie(&a).await.unwrap();
    assert_eq!(store.get_session(&a).await.unwrap(), None);
    assert!(is_not_enabled(&store.disable_macie(&a).await), "DisableMacie again");
    assert!(is_not_enabled(&store.list_members(&a, true, None, 25).await));
    assert!(is_not_enabled(&store.get_configuration(&a).await));
    assert_eq!(store.get_member(&b, &a).await.unwrap(), member(&b, &a), "A's own membership is untouched");

    // A fresh session, also with the token of the deleted one: no members, default configuration.
    let fresh = MacieSession { created_at: 7_000, updated_at: 7_000, ..session(&a, MacieStatus::Enabled) };
    assert!(matches!(store.enable_macie(&fresh, Some(&token("t-1", "fp"))).await, Ok(EnableOutcome::Created)));
    assert_eq!(store.get_session(&a).await.unwrap(), Some(fresh));
    assert_eq!(store.get_configuration(&a).await.unwrap(), DiscoveryConfiguration::default());
    assert!(records(&store, &a).await.is_empty(), "no Removed record outlived the session");
    assert_eq!(statuses(&store, &a).await, [(ADMIN.to_owned(), DiscoveryStatus::Disabled)]);
    // The freed accounts can be added (to B here) and the new session counts from zero.
    add_member(&store, &b, &removed[0]).await;
    add_member(&store, &a, &removed[1]).await;
    disassociate(&store, &a, &removed[1]).await;
    store.disable_macie(&a).await.unwrap();
}

/// Rounds of 20 CreateMember calls racing one DisableMacie (and a DisassociateMember on a member
/// created during the race): whatever the interleaving, a member is never left under a deleted
/// session. Either DisableMacie won (every CreateMember that lost answers AccessDenied, and a
/// new session finds no record at all) or it lost with Conflict (and every CreateMember that
/// succeeded is a member).
async fn create_member_racing_disable_never_leaves_a_member_behind(kind: StoreKind) {
    let a = account(ADMIN);
    let store = store(kind).await;
    let (mut disabled, mut refused) = (0, 0);
    for round in 0..6 {
        enable(&store, &a).await;
        // A few Removed records for DisableMacie to delete.
        let base = 1_000 * (round + 1);
        for i in 0..3 {
            add_member(&store, &a, &member_id(base + 900 + i)).await;
            disassociate(&store, &a, &member_id(base + 900 + i)).await;
        }
        let barrier = Arc::new(Barrier::new(22));
        let creates: Vec<_> = (0..20)
            .map(|i| {
                let (store, barrier, a) = (store.clone(), barrier.clone(), a.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    // In even rounds the creates lean late, so that DisableMacie wins some.
                    let lean = if round % 2 == 0 { spread(kind) / 2 } else { 0 };
                    tokio::time::sleep(std::time::Duration::from_micros(lean + random() % spread(kind))).await;
                    let id = member_id(base + i);
                    let created = store.create_member(&member(&a, &id)).await;
                    // Created members are disassociated at once (all of them in even rounds,
                    // half in odd ones): records that appear while DisableMacie runs, with no
                    // member associated afterwards.
                    if created.is_ok() && (round % 2 == 0 || i % 2 == 0) {
                        let _ = store.disassociate_member(&a, &id, 4_000).await;
                    }
                    (id, created)
                })
            })
            .collect();
        let disable = {
            let (store, barrier, a) = (store.clone(), barrier.clone(), a.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                tokio::time::sleep(std::time::Duration::from_micros(random() % (spread(kind) / 4))).await;
                store.disable_macie(&a).await
            })
        };
        barrier.wait().await;
        let disable = disable.await.unwrap();
        let mut created = Vec::new();
        for task in creates {
            let (id, outcome) = task.await.unwrap();
            match outcome {
                Ok(()) => created.push(id),
                other => assert!(is_not_enabled(&other), "{id}: {other:?}"),
            }
        }
        match disable {
            Ok(()) => {
                disabled += 1;
                assert_eq!(store.get_session(&a).await.unwrap(), None);
                // Re-enabled, the session has no record and the accounts are free.
                enable(&store, &a).await;
                assert_eq!(records(&store, &a).await, [], "round {round}: records outlived the session");
                for id in &created {
                    add_member(&store, &a, id).await;
                    disassociate(&store, &a, id).await;
                }
            }
            Err(StoreError::Rule(ApiError::Conflict(_))) => {
                refused += 1;
                assert!(!created.is_empty());
                let listed: Vec<String> = records(&store, &a).await.into_iter().map(|(id, _)| id).collect();
                for id in &created {
                    assert!(listed.contains(&id.to_string()), "round {round}: {id} was created but is gone");
                }
                for id in &created {
                    let _ = store.disassociate_member(&a, id, 4_500).await;
                }
            }
            other => panic!("round {round}: DisableMacie answered {other:?}"),
        }
        store.disable_macie(&a).await.unwrap();
    }
    eprintln!("{kind:?}: DisableMacie won {disabled} rounds and was refused in {refused}");
}

// ---------------------------------------------------------------------------------------------
// The automated discovery configuration

async fn configuration_starts_disabled_and_keeps_its_timestamps(kind: StoreKind) {
    let a = account(ADMIN);
    let store = with_admin(kind, &a).await;
    assert_eq!(store.get_configuration(&a).await.unwrap(), DiscoveryConfiguration::default());
    let steps = [
        (configure(DiscoveryStatus::Disabled, None), 10, (DiscoveryStatus::Disabled, AutoEnableMode::All, None, None)),
        (
            configure(DiscoveryStatus::Enabled, None),
            20,
            (DiscoveryStatus::Enabled, AutoEnableMode::All, Some(20), None),
        ),
        (
            configure(DiscoveryStatus::Enabled, Some(AutoEnableMode::None)),
            30,
            (DiscoveryStatus::Enabled, AutoEnableMode::None, Some(20), None),
        ),
        (
            configure(DiscoveryStatus::Disabled, None),
            40,
            (DiscoveryStatus::Disabled, AutoEnableMode::None, Some(20), Some(40)),
        ),
        (
            configure(DiscoveryStatus::Disabled, Some(AutoEnableMode::New)),
            50,
            (DiscoveryStatus::Disabled, AutoEnableMode::New, Some(20), Some(40)),
        ),
        (
            configure(DiscoveryStatus::Enabled, None),
            60,
            (DiscoveryStatus::Enabled, AutoEnableMode::New, Some(20), None),
        ),
    ];
    for (change, now, (status, mode, first, disabled)) in steps {
        store.update_configuration(&a, &change, now).await.unwrap();
        let got = store.get_configuration(&a).await.unwrap();
        assert_eq!(
            got,
            DiscoveryConfiguration {
                status,
                mode,
                first_enabled_at: first,
                disabled_at: disabled,
                last_updated_at: Some(now)
            },
            "after {change:?}"
        );
    }
    // Another account's configuration is its own.
    let b = account(OTHER_ADMIN);
    enable(&store, &b).await;
    assert_eq!(store.get_configuration(&b).await.unwrap(), DiscoveryConfiguration::default());
}

async fn configuration_enabled_with_all_enables_enabled_members_only(kind: StoreKind) {
    let (a, b) = (account(ADMIN), account(OTHER_ADMIN));
    let store = with_admin(kind, &a).await;
    enable(&store, &b).await;
    let (enabled, paused, removed, others) = (member_id(1), member_id(2), member_id(3), member_id(4));
    for id in [&enabled, &paused, &removed] {
        add_member(&store, &a, id).await;
    }
    add_member(&store, &b, &others).await;
    pause_member(&store, &a, &paused).await;
    disassociate(&store, &a, &removed).await;
    store.update_configuration(&a, &configure(DiscoveryStatus::Enabled, None), 8_000).await.unwrap();
    assert_eq!(
        statuses(&store, &a).await,
        [
            (ADMIN.to_owned(), DiscoveryStatus::Enabled),
            (enabled.to_string(), DiscoveryStatus::Enabled),
            (paused.to_string(), DiscoveryStatus::Disabled),
        ]
    );
    let got = store.get_member(&a, &enabled).await.unwrap();
    assert_eq!((got.discovery, got.updated_at), (DiscoveryStatus::Enabled, 8_000));
    assert_eq!(store.get_member(&a, &paused).await.unwrap().updated_at, 3_000, "a paused member is not written");
    let got = store.get_member(&a, &removed).await.unwrap();
    assert_eq!((got.discovery, got.updated_at), (DiscoveryStatus::Disabled, 4_000), "a Removed record is not written");
    assert_eq!(store.get_session(&a).await.unwrap().unwrap().updated_at, 8_000);
    // Another administrator is untouched.
    assert_eq!(
        statuses(&store, &b).await,
        [(OTHER_ADMIN.to_owned(), DiscoveryStatus::Disabled), (others.to_string(), DiscoveryStatus::Disabled)]
    );
    // Repeating ENABLED re-enables what a batch disabled, in the same call's reach.
    store
        .update_discovery(
            &a,
            &[update(&enabled, DiscoveryStatus::Disabled), update(&a, DiscoveryStatus::Disabled)],
            8_500,
        )
        .await
        .unwrap();
    store
        .update_configuration(&a, &configure(DiscoveryStatus::Enabled, Some(AutoEnableMode::All)), 9_000)
        .await
        .unwrap();
    assert_eq!(
        statuses(&store, &a).await[..2],
        [(ADMIN.to_owned(), DiscoveryStatus::Enabled), (enabled.to_string(), DiscoveryStatus::Enabled)]
    );
    // A paused caller keeps its own status.
    store.update_discovery(&a, &[update(&a, DiscoveryStatus::Disabled)], 9_100).await.unwrap();
    store
        .update_session(&a, &SessionChanges { status: Some(MacieStatus::Paused), ..Default::default() }, 9_200)
        .await
        .unwrap();
    store.update_configuration(&a, &configure(DiscoveryStatus::Enabled, None), 9_300).await.unwrap();
    let s = store.get_session(&a).await.unwrap().unwrap();
    assert_eq!((s.discovery, s.updated_at), (DiscoveryStatus::Disabled, 9_200));
}

async fn configuration_new_or_none_leaves_members_and_disabled_covers_paused_ones(kind: StoreKind) {
    let a = account(ADMIN);
    let store = with_admin(kind, &a).await;
    let (on, off, paused) = (member_id(1), member_id(2), member_id(3));
    for id in [&on, &off, &paused] {
        add_member(&store, &a, id).await;
    }
    store
        .update_discovery(
            &a,
            &[update(&on, DiscoveryStatus::Enabled), update(&paused, DiscoveryStatus::Enabled)],
            2_500,
        )
        .await
        .unwrap();
    pause_member(&store, &a, &paused).await;
    for mode in [AutoEnableMode::New, AutoEnableMode::None] {
        store.update_configuration(&a, &configure(DiscoveryStatus::Enabled, Some(mode)), 5_000).await.unwrap();
        assert_eq!(
            statuses(&store, &a).await,
            [
                (ADMIN.to_owned(), DiscoveryStatus::Enabled),
                (on.to_string(), DiscoveryStatus::Enabled),
                (off.to_string(), DiscoveryStatus::Disabled),
                (paused.to_string(), DiscoveryStatus::Enabled),
            ],
            "{mode:?} leaves member statuses"
        );
    }
    // DISABLED turns every covered account off, the paused member included.
    store.update_configuration(&a, &configure(DiscoveryStatus::Disabled, None), 6_000).await.unwrap();
    assert!(statuses(&store, &a).await.iter().all(|(_, s)| *s == DiscoveryStatus::Disabled));
    let got = store.get_member(&a, &paused).await.unwrap();
    assert_eq!((got.relationship, got.updated_at), (RelationshipStatus::Paused, 6_000));
    // A batch still works under a DISABLED configuration, and does not change it.
    assert_eq!(store.update_discovery(&a, &[update(&off, DiscoveryStatus::Enabled)], 7_000).await.unwrap(), [Ok(())]);
    assert_eq!(store.get_configuration(&a).await.unwrap().status, DiscoveryStatus::Disabled);
}

async fn new_members_start_with_the_configurations_status(kind: StoreKind) {
    let a = account(ADMIN);
    let store = with_admin(kind, &a).await;
    let cases = [
        (DiscoveryStatus::Enabled, AutoEnableMode::All, DiscoveryStatus::Enabled),
        (DiscoveryStatus::Enabled, AutoEnableMode::New, DiscoveryStatus::Enabled),
        (DiscoveryStatus::Enabled, AutoEnableMode::None, DiscoveryStatus::Disabled),
        (DiscoveryStatus::Disabled, AutoEnableMode::All, DiscoveryStatus::Disabled),
        (DiscoveryStatus::Disabled, AutoEnableMode::New, DiscoveryStatus::Disabled),
    ];
    for (i, (status, mode, expected)) in cases.into_iter().enumerate() {
        store.update_configuration(&a, &configure(status, Some(mode)), 5_000).await.unwrap();
        let (fresh, again) = (member_id(10 + i), member_id(20 + i));
        add_member(&store, &a, &fresh).await;
        assert_eq!(store.get_member(&a, &fresh).await.unwrap().discovery, expected, "new under {status:?} {mode:?}");
        // Re-created after Removed (which disabled it).
        add_member(&store, &a, &again).await;
        disassociate(&store, &a, &again).await;
        add_member(&store, &a, &again).await;
        assert_eq!(
            store.get_member(&a, &again).await.unwrap().discovery,
            expected,
            "re-created under {status:?} {mode:?}"
        );
    }
}

/// 20 CreateMember calls race an UpdateAutomatedDiscoveryConfiguration to ENABLED with ALL:
/// each new member is either created before the configuration's write (and then enabled by its
/// member writes) or after it (and then starts enabled), never left DISABLED in between.
async fn members_created_while_the_configuration_is_enabled_end_enabled(kind: StoreKind) {
    let a = account(ADMIN);
    let store = with_admin(kind, &a).await;
    let mut outcomes = (0usize, 0usize);
    for round in 0..4 {
        store.update_configuration(&a, &configure(DiscoveryStatus::Disabled, None), 1).await.unwrap();
        let ids: Vec<AccountId> = (0..20).map(|i| member_id(100 * round + i)).collect();
        let barrier = Arc::new(Barrier::new(ids.len() + 1));
        let creates: Vec<_> = ids
            .iter()
            .map(|id| {
                let (store, barrier, a, id) = (store.clone(), barrier.clone(), a.clone(), id.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    tokio::time::sleep(std::time::Duration::from_micros(random() % spread(kind))).await;
                    store.create_member(&member(&a, &id)).await
                })
            })
            .collect();
        barrier.wait().await;
        tokio::time::sleep(std::time::Duration::from_micros(random() % (spread(kind) / 2))).await;
        store
            .update_configuration(&a, &configure(DiscoveryStatus::Enabled, Some(AutoEnableMode::All)), 9_000)
            .await
            .unwrap();
        for create in creates {
            create.await.unwrap().unwrap();
        }
        for id in &ids {
            let got = store.get_member(&a, id).await.unwrap();
            assert_eq!(got.discovery, DiscoveryStatus::Enabled, "round {round}: {id}");
            // The configuration's member write stamps its time; a member created after the
            // configuration's session write keeps its own.
            match got.updated_at {
                9_000 => outcomes.0 += 1,
                _ => outcomes.1 += 1,
            }
        }
    }
    eprintln!("{kind:?}: {} members created before the configuration's write, {} after it", outcomes.0, outcomes.1);
}

/// Members are paused while the configuration is set to ENABLED with ALL (as
/// `member_paused_concurrently_is_never_silently_updated` does for a batch). The pause writes
/// `updated_at = PAUSED_AT`, the configuration `CONFIGURED_AT`: every member ends paused with
/// the pause's timestamp, so no member write of the configuration landed after its pause; one
/// that landed before it enabled the member.
async fn member_paused_while_the_configuration_is_enabled_is_never_enabled(kind: StoreKind) {
    const PAUSED_AT: i64 = 50_000;
    const CONFIGURED_AT: i64 = 40_000;
    let a = account(ADMIN);
    let store = with_admin(kind, &a).await;
    let members: Vec<AccountId> = (0..30).map(member_id).collect();
    // The pauses' transactions check the session item, which the configuration writes first:
    // on DynamoDB they are spread thin enough for that write to get through among them.
    let window = match kind {
        StoreKind::Embedded => spread(kind),
        StoreKind::DynamoDb => 200_000,
    };
    let mut outcomes = (0usize, 0usize);
    for round in 0..4 {
        for m in &members {
            if round == 0 {
                add_member(&store, &a, m).await;
            } else {
                store.update_member_session(&a, m, RelationshipStatus::Enabled, 1).await.unwrap();
            }
        }
        store.update_configuration(&a, &configure(DiscoveryStatus::Disabled, None), 1).await.unwrap();
        let barrier = Arc::new(Barrier::new(members.len() + 1));
        let pauses: Vec<_> = members
            .iter()
            .map(|m| {
                let (store, barrier, a, m) = (store.clone(), barrier.clone(), a.clone(), m.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    tokio::time::sleep(std::time::Duration::from_micros(random() % window)).await;
                    store.update_member_session(&a, &m, RelationshipStatus::Paused, PAUSED_AT).await
                })
            })
            .collect();
        barrier.wait().await;
        // On DynamoDB the configuration starts first: its session write waits out the pauses'
        // transactions (they check the session), so starting later would leave it behind them.
        if kind == StoreKind::Embedded {
            tokio::time::sleep(std::time::Duration::from_micros(random() % (window / 2))).await;
        }
        store
            .update_configuration(&a, &configure(DiscoveryStatus::Enabled, Some(AutoEnableMode::All)), CONFIGURED_AT)
            .await
            .unwrap();
        for pause in pauses {
            pause.await.unwrap().unwrap();
        }
        for m in &members {
            let got = store.get_member(&a, m).await.unwrap();
            assert_eq!(got.relationship, RelationshipStatus::Paused);
            assert_eq!(got.updated_at, PAUSED_AT, "{m}: the configuration wrote after the pause");
            match got.discovery {
                DiscoveryStatus::Enabled => outcomes.0 += 1,
                DiscoveryStatus::Disabled => outcomes.1 += 1,
            }
        }
    }
    eprintln!("{kind:?}: {} members enabled before their pause, {} paused first", outcomes.0, outcomes.1);
}

// ---------------------------------------------------------------------------------------------
// DisableMacie against a member written between its read and its deletion (DynamoDB, where they
// are separate calls; the embedded store does both in one transaction)

/// Before the first transaction that deletes a Macie session, runs (to completion, on its own
/// thread and runtime) a CreateMember of `member` by `admin` on the same table, then, with
/// `disassociate`, its DisassociateMember: a member record that DisableMacie's read did not see.
#[derive(Debug, Clone)]
struct SlipInBeforeSessionDelete {
    table: String,
    admin: AccountId,
    member: AccountId,
    disassociate: bool,
    fired: Arc<AtomicBool>,
}

impl Intercept for SlipInBeforeSessionDelete {
    fn name(&self) -> &'static str {
        "SlipInBeforeSessionDelete"
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(tx) = context.input().downcast_ref::<TransactWriteItemsInput>() else { return Ok(()) };
        let deletes_session = tx.transact_items().iter().any(|item| {
            item.delete()
                .and_then(|d| d.key().get("sk"))
                .and_then(|v| v.as_s().ok())
                .is_some_and(|sk| sk == "MACIE_SESSION")
        });
        if deletes_session && !self.fired.swap(true, Ordering::SeqCst) {
            let this = self.clone();
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                runtime.block_on(async {
                    let store = dynamo_store_on(&this.table, |c| c);
                    store.create_member(&member(&this.admin, &this.member)).await.expect("slipped-in CreateMember");
                    if this.disassociate {
                        store
                            .disassociate_member(&this.admin, &this.member, 4_000)
                            .await
                            .expect("slipped-in disassociate");
                    }
                })
            })
            .join()
            .map_err(|_| "the slipped-in calls panicked")?;
        }
        Ok(())
    }
}

/// A member record created and disassociated after DisableMacie read the records (so no member
/// is associated when it deletes the session): the session's record count tells, DisableMacie
/// reads again and deletes that record too. Without the count the record would outlive the
/// session and show under the next one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn disable_deletes_a_removed_record_written_after_its_read_on_dynamodb() {
    let plain = dynamo_store().await;
    let table = plain.table().to_owned();
    let plain: Arc<dyn Store> = Arc::new(plain);
    let (a, late) = (account(ADMIN), member_id(7));
    enable(&plain, &a).await;
    add_member(&plain, &a, &member_id(1)).await;
    disassociate(&plain, &a, &member_id(1)).await;
    let fired = Arc::new(AtomicBool::new(false));
    let interceptor = SlipInBeforeSessionDelete {
        table: table.clone(),
        admin: a.clone(),
        member: late.clone(),
        disassociate: true,
        fired: fired.clone(),
    };
    let slipping: Arc<dyn Store> = Arc::new(dynamo_store_on(&table, |c| c.interceptor(interceptor)));
    slipping.disable_macie(&a).await.unwrap();
    assert!(fired.load(Ordering::SeqCst), "the record was slipped in");
    enable(&plain, &a).await;
    assert_eq!(records(&plain, &a).await, [], "a record outlived the session");
    add_member(&plain, &a, &late).await;
}

/// A CreateMember that lands after DisableMacie read the records: DisableMacie answers
/// ConflictException and deletes nothing, the member and the session stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn disable_is_refused_by_a_member_created_after_its_read_on_dynamodb() {
    let plain = dynamo_store().await;
    let table = plain.table().to_owned();
    let plain: Arc<dyn Store> = Arc::new(plain);
    let (a, late) = (account(ADMIN), member_id(7));
    enable(&plain, &a).await;
    add_member(&plain, &a, &member_id(1)).await;
    disassociate(&plain, &a, &member_id(1)).await;
    let interceptor = SlipInBeforeSessionDelete {
        table: table.clone(),
        admin: a.clone(),
        member: late.clone(),
        disassociate: false,
        fired: Arc::new(AtomicBool::new(false)),
    };
    let slipping: Arc<dyn Store> = Arc::new(dynamo_store_on(&table, |c| c.interceptor(interceptor)));
    let refused = slipping.disable_macie(&a).await;
    assert!(
        matches!(&refused, Err(StoreError::Rule(ApiError::Conflict(m))) if m.contains("1 associated")),
        "{refused:?}"
    );
    assert!(plain.get_session(&a).await.unwrap().is_some());
    assert_eq!(
        records(&plain, &a).await,
        [(member_id(1).to_string(), RelationshipStatus::Removed), (late.to_string(), RelationshipStatus::Enabled)]
    );
}
