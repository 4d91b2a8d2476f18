//! End-to-end tests of the Macie operations through the real AWS SDK for Rust
//! (`aws-sdk-macie2`) against the local server, on both store adapters (docs/conventions.md, docs/macie.md).
//!
//! Errors are checked by modeled variant, `meta().code()` and HTTP status; what the SDK hides
//! (`errors: []` versus no `errors`, comma-joined query lists, malformed JSON) goes through
//! `TestServer::raw`, which acts as account 123456789012.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_macie2::Client;
use aws_sdk_macie2::error::ProvideErrorMetadata;
use aws_sdk_macie2::operation::batch_update_automated_discovery_accounts::BatchUpdateAutomatedDiscoveryAccountsError;
use aws_sdk_macie2::operation::create_member::CreateMemberError;
use aws_sdk_macie2::operation::delete_member::DeleteMemberError;
use aws_sdk_macie2::operation::disable_macie::DisableMacieError;
use aws_sdk_macie2::operation::disassociate_member::DisassociateMemberError;
use aws_sdk_macie2::operation::enable_macie::EnableMacieError;
use aws_sdk_macie2::operation::get_automated_discovery_configuration::GetAutomatedDiscoveryConfigurationError;
use aws_sdk_macie2::operation::get_macie_session::GetMacieSessionError;
use aws_sdk_macie2::operation::get_member::GetMemberError;
use aws_sdk_macie2::operation::list_automated_discovery_accounts::ListAutomatedDiscoveryAccountsError;
use aws_sdk_macie2::operation::list_members::ListMembersError;
use aws_sdk_macie2::operation::update_automated_discovery_configuration::UpdateAutomatedDiscoveryConfigurationError;
use aws_sdk_macie2::operation::update_macie_session::UpdateMacieSessionError;
use aws_sdk_macie2::operation::update_member_session::UpdateMemberSessionError;
use aws_sdk_macie2::types::{
    AccountDetail, AutoEnableMode, AutomatedDiscoveryAccountStatus, AutomatedDiscoveryAccountUpdate,
    AutomatedDiscoveryAccountUpdateErrorCode, AutomatedDiscoveryStatus, FindingPublishingFrequency, MacieStatus,
    RelationshipStatus,
};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextMut, BeforeSerializationInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use shared::App;

use crate::helpers::{
    LOCAL_DEFAULT, REGION, RawResponse, StoreKind, TestServer, assert_raw_error, dynamo_store, dynamo_store_on,
    expect_error, is_marked, mark_update_item, now, on_both_stores,
};

on_both_stores!(
    session_enable_get_and_update,
    enable_replays_the_same_token_and_request_only,
    every_operation_without_a_session_is_access_denied,
    create_member_validates_and_associates_at_once,
    an_account_is_a_member_of_one_administrator,
    members_of_other_tenants_are_not_found,
    update_member_session_pauses_and_resumes,
    mixed_batch_reports_each_entry_in_order,
    full_batch_of_100_succeeds_and_101_is_refused,
    duplicate_and_malformed_entries_are_validation_errors,
    errors_is_an_empty_array_on_full_success,
    listing_validates_its_parameters,
    listing_pages_with_max_results_and_next_token,
    listing_filters_by_account_ids,
    malformed_bodies_are_validation_errors,
    disable_macie_is_refused_while_members_are_associated_then_starts_afresh,
    disassociate_member_keeps_a_removed_record,
    create_member_after_removed_is_a_fresh_association,
    list_members_pages_and_lists_removed_records_on_request,
    list_members_validates_its_parameters,
    configuration_reads_and_switches_discovery,
    new_members_follow_the_configuration,
    create_member_racing_disable_macie_leaves_no_member_behind,
);

/// The administrator most tests act as, a second one, and an account in no relationship.
const ME: &str = "111111111111";
const OTHER: &str = "222222222222";
const STRANGER: &str = "999999999999";
const NOT_ENABLED: &str = "Macie is not enabled.";

/// Member account number `i`.
fn member(i: usize) -> String {
    format!("{:012}", 500_000_000_000usize + i)
}

fn detail(account: &str, email: &str) -> AccountDetail {
    AccountDetail::builder().account_id(account).email(email).build()
}

fn entry(account: &str, status: AutomatedDiscoveryAccountStatus) -> AutomatedDiscoveryAccountUpdate {
    AutomatedDiscoveryAccountUpdate::builder().account_id(account).status(status).build()
}

fn enabled(account: &str) -> AutomatedDiscoveryAccountUpdate {
    entry(account, AutomatedDiscoveryAccountStatus::Enabled)
}

async fn enable(client: &Client) {
    client.enable_macie().send().await.expect("EnableMacie");
}

async fn add_member(client: &Client, account: &str) -> String {
    let out = client
        .create_member()
        .account(detail(account, &format!("m{account}@example.com")))
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateMember {account}: {e:?}"));
    out.arn().expect("arn").to_owned()
}

async fn pause_member(client: &Client, account: &str) {
    client.update_member_session().id(account).status(MacieStatus::Paused).send().await.expect("pause");
}

/// Every covered account and its status, following `nextToken` with pages of `page`.
async fn listed(client: &Client, page: i32) -> Vec<(String, String)> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = client
            .list_automated_discovery_accounts()
            .max_results(page)
            .set_next_token(token.take())
            .send()
            .await
            .expect("ListAutomatedDiscoveryAccounts");
        assert!(out.items().len() <= page as usize);
        all.extend(
            out.items().iter().map(|i| {
                (i.account_id().expect("accountId").to_owned(), i.status().expect("status").as_str().to_owned())
            }),
        );
        match out.next_token() {
            Some(next) => {
                assert!(!next.is_empty(), "the last page has no token, never an empty one");
                token = Some(next.to_owned());
            }
            None => return all,
        }
    }
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(a, s)| ((*a).to_owned(), (*s).to_owned())).collect()
}

/// The entries of a batch's `errors`, as (accountId, errorCode).
async fn batch(client: &Client, entries: Vec<AutomatedDiscoveryAccountUpdate>) -> Vec<(String, String)> {
    let out = client
        .batch_update_automated_discovery_accounts()
        .set_accounts(Some(entries))
        .send()
        .await
        .expect("BatchUpdateAutomatedDiscoveryAccounts");
    out.errors()
        .iter()
        .map(|e| {
            (e.account_id().expect("accountId").to_owned(), e.error_code().expect("errorCode").as_str().to_owned())
        })
        .collect()
}

fn raw_json(resp: &RawResponse) -> serde_json::Value {
    assert_eq!(resp.status, 200, "{resp:?}");
    serde_json::from_str(&resp.body).unwrap_or_else(|e| panic!("{e}: {resp:?}"))
}

/// Every member record ListMembers lists, following `nextToken` with pages of `page`:
/// (accountId, relationshipStatus).
async fn members(client: &Client, only_associated: Option<&str>, page: i32) -> Vec<(String, String)> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = client
            .list_members()
            .set_only_associated(only_associated.map(str::to_owned))
            .max_results(page)
            .set_next_token(token.take())
            .send()
            .await
            .expect("ListMembers");
        assert!(out.members().len() <= page as usize);
        all.extend(out.members().iter().map(|m| {
            (
                m.account_id().expect("accountId").to_owned(),
                m.relationship_status().expect("relationshipStatus").as_str().to_owned(),
            )
        }));
        match out.next_token() {
            Some(next) => token = Some(next.to_owned()),
            None => return all,
        }
    }
}

async fn configure(client: &Client, status: AutomatedDiscoveryStatus, mode: Option<AutoEnableMode>) {
    client
        .update_automated_discovery_configuration()
        .status(status)
        .set_auto_enable_organization_members(mode)
        .send()
        .await
        .expect("UpdateAutomatedDiscoveryConfiguration");
}

async fn disassociate(client: &Client, account: &str) {
    client.disassociate_member().id(account).send().await.unwrap_or_else(|e| panic!("disassociate {account}: {e:?}"));
}

// ---------------------------------------------------------------------------------------------
// Sessions

async fn session_enable_get_and_update(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.macie(ME);
    let before = now();
    let out = client.enable_macie().send().await.expect("EnableMacie");
    let _ = out;
    let got = client.get_macie_session().send().await.expect("GetMacieSession");
    assert_eq!(got.status(), Some(&MacieStatus::Enabled));
    assert_eq!(got.finding_publishing_frequency(), Some(&FindingPublishingFrequency::FifteenMinutes));
    assert_eq!(
        got.service_role(),
        Some("arn:aws:iam::111111111111:role/aws-service-role/macie.amazonaws.com/AWSServiceRoleForAmazonMacie")
    );
    // ISO-8601 strings on the wire, parsed by the SDK into DateTimes.
    let created = got.created_at().expect("createdAt").secs();
    assert!((before - 1..=now() + 1).contains(&created), "createdAt {created} is not now");
    assert_eq!(got.updated_at(), got.created_at());

    // The SDK sends a fresh token each time: a second EnableMacie conflicts.
    let msg = expect_error!(client.enable_macie().send().await, EnableMacieError::ConflictException, 409);
    assert!(msg.contains("already enabled"), "{msg}");

    tokio::time::sleep(Duration::from_millis(5)).await;
    client.update_macie_session().status(MacieStatus::Paused).send().await.expect("pause");
    let paused = client.get_macie_session().send().await.expect("GetMacieSession");
    assert_eq!(paused.status(), Some(&MacieStatus::Paused));
    assert_eq!(paused.finding_publishing_frequency(), Some(&FindingPublishingFrequency::FifteenMinutes));
    assert_eq!(paused.created_at(), got.created_at());
    assert!(paused.updated_at().expect("updatedAt") > got.updated_at().expect("updatedAt"));

    client
        .update_macie_session()
        .finding_publishing_frequency(FindingPublishingFrequency::SixHours)
        .send()
        .await
        .expect("frequency");
    let hourly = client.get_macie_session().send().await.expect("GetMacieSession");
    assert_eq!(hourly.status(), Some(&MacieStatus::Paused), "an absent member leaves the status");
    assert_eq!(hourly.finding_publishing_frequency(), Some(&FindingPublishingFrequency::SixHours));
    client.update_macie_session().status(MacieStatus::Enabled).send().await.expect("resume");
    assert_eq!(client.get_macie_session().send().await.unwrap().status(), Some(&MacieStatus::Enabled));

    let msg = expect_error!(
        client.update_macie_session().status(MacieStatus::from("STOPPED")).send().await,
        UpdateMacieSessionError::ValidationException,
        400
    );
    assert!(msg.starts_with("status:"), "{msg}");
    // The raw wire form: ISO-8601 with milliseconds and a Z.
    let raw_enable = server.raw("POST", "/macie", b"{}").await;
    assert_eq!(raw_json(&raw_enable), serde_json::json!({}));
    let raw = raw_json(&server.raw("GET", "/macie", b"").await);
    let created = raw["createdAt"].as_str().expect("createdAt is a string");
    assert!(created.len() == 24 && created.ends_with('Z') && created.as_bytes()[19] == b'.', "{created}");
}

async fn enable_replays_the_same_token_and_request_only(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.macie(ME);
    let token = "my-token-1";
    let enable_paused = || client.enable_macie().client_token(token).status(MacieStatus::Paused).send();
    enable_paused().await.expect("first");
    enable_paused().await.expect("a replay of the same token and request answers 200");
    let msg = expect_error!(
        client.enable_macie().client_token(token).status(MacieStatus::Enabled).send().await,
        EnableMacieError::ConflictException,
        409
    );
    assert!(msg.contains("clientToken"), "{msg}");
    expect_error!(
        client.enable_macie().client_token("another").status(MacieStatus::Paused).send().await,
        EnableMacieError::ConflictException,
        409
    );
    let got = client.get_macie_session().send().await.expect("GetMacieSession");
    assert_eq!(got.status(), Some(&MacieStatus::Paused));
    // Explicit defaults are the same request as omitted ones.
    let other = server.macie(OTHER);
    other.enable_macie().client_token("t2").send().await.expect("first");
    other
        .enable_macie()
        .client_token("t2")
        .status(MacieStatus::Enabled)
        .finding_publishing_frequency(FindingPublishingFrequency::FifteenMinutes)
        .send()
        .await
        .expect("the same request with defaults spelled out");
    expect_error!(
        other.enable_macie().status(MacieStatus::from("ON")).send().await,
        EnableMacieError::ValidationException,
        400
    );
}

async fn every_operation_without_a_session_is_access_denied(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.macie(ME);
    // Another tenant's session and members do not count.
    let other = server.macie(OTHER);
    enable(&other).await;
    add_member(&other, &member(1)).await;

    let m = member(1);
    let msgs = [
        expect_error!(client.get_macie_session().send().await, GetMacieSessionError::AccessDeniedException, 403),
        expect_error!(
            client.update_macie_session().status(MacieStatus::Paused).send().await,
            UpdateMacieSessionError::AccessDeniedException,
            403
        ),
        expect_error!(
            client.create_member().account(detail(&member(2), "a@example.com")).send().await,
            CreateMemberError::AccessDeniedException,
            403
        ),
        expect_error!(client.get_member().id(&m).send().await, GetMemberError::AccessDeniedException, 403),
        expect_error!(client.get_member().id("nope").send().await, GetMemberError::AccessDeniedException, 403),
        expect_error!(client.delete_member().id(&m).send().await, DeleteMemberError::AccessDeniedException, 403),
        expect_error!(client.delete_member().id("nope").send().await, DeleteMemberError::AccessDeniedException, 403),
        expect_error!(
            client.update_member_session().id(&m).status(MacieStatus::Paused).send().await,
            UpdateMemberSessionError::AccessDeniedException,
            403
        ),
        expect_error!(
            client.update_member_session().id("nope").status(MacieStatus::Paused).send().await,
            UpdateMemberSessionError::AccessDeniedException,
            403
        ),
        expect_error!(
            client.batch_update_automated_discovery_accounts().accounts(enabled(ME)).send().await,
            BatchUpdateAutomatedDiscoveryAccountsError::AccessDeniedException,
            403
        ),
        expect_error!(
            client.batch_update_automated_discovery_accounts().send().await,
            BatchUpdateAutomatedDiscoveryAccountsError::AccessDeniedException,
            403
        ),
        expect_error!(
            client.list_automated_discovery_accounts().send().await,
            ListAutomatedDiscoveryAccountsError::AccessDeniedException,
            403
        ),
        expect_error!(
            client.list_automated_discovery_accounts().account_ids(ME).send().await,
            ListAutomatedDiscoveryAccountsError::AccessDeniedException,
            403
        ),
        expect_error!(client.disable_macie().send().await, DisableMacieError::AccessDeniedException, 403),
        expect_error!(client.list_members().send().await, ListMembersError::AccessDeniedException, 403),
        expect_error!(
            client.list_members().only_associated("false").send().await,
            ListMembersError::AccessDeniedException,
            403
        ),
        expect_error!(
            client.disassociate_member().id(&m).send().await,
            DisassociateMemberError::AccessDeniedException,
            403
        ),
        expect_error!(
            client.disassociate_member().id("nope").send().await,
            DisassociateMemberError::AccessDeniedException,
            403
        ),
        expect_error!(
            client.get_automated_discovery_configuration().send().await,
            GetAutomatedDiscoveryConfigurationError::AccessDeniedException,
            403
        ),
        expect_error!(
            client.update_automated_discovery_configuration().status(AutomatedDiscoveryStatus::Enabled).send().await,
            UpdateAutomatedDiscoveryConfigurationError::AccessDeniedException,
            403
        ),
    ];
    for msg in msgs {
        assert_eq!(msg, NOT_ENABLED);
    }
    // Nothing was created on the way: member 2 can still join another administrator.
    add_member(&other, &member(2)).await;
}

// ---------------------------------------------------------------------------------------------
// Members

async fn create_member_validates_and_associates_at_once(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.macie(ME);
    enable(&client).await;
    let m = member(1);
    let before = now();
    let arn = client
        .create_member()
        .account(detail(&m, "owner@example.com"))
        .tags("team", "blue")
        .send()
        .await
        .expect("CreateMember")
        .arn()
        .map(str::to_owned);
    assert_eq!(arn.as_deref(), Some(format!("arn:aws:macie2:us-east-1:{ME}:member/{m}").as_str()));
    let got = client.get_member().id(&m).send().await.expect("GetMember");
    assert_eq!(got.account_id(), Some(m.as_str()));
    assert_eq!(got.administrator_account_id(), Some(ME));
    assert_eq!(got.master_account_id(), Some(ME));
    assert_eq!(got.arn(), arn.as_deref());
    assert_eq!(got.email(), Some("owner@example.com"));
    assert_eq!(got.relationship_status(), Some(&RelationshipStatus::Enabled));
    assert_eq!(got.tags(), Some(&HashMap::from([("team".to_owned(), "blue".to_owned())])));
    let invited = got.invited_at().expect("invitedAt").secs();
    assert!((before - 1..=now() + 1).contains(&invited));
    assert_eq!(got.updated_at(), got.invited_at());

    let untagged = member(2);
    add_member(&client, &untagged).await;
    let got = client.get_member().id(&untagged).send().await.expect("GetMember");
    assert_eq!(got.tags(), Some(&HashMap::new()), "tags are {{}} when there are none");

    let cases: Vec<(AccountDetail, &str)> = vec![
        (detail("12345", "a@example.com"), "account.accountId"),
        (detail("12345678901x", "a@example.com"), "account.accountId"),
        (detail(ME, "a@example.com"), "account.accountId"),
        (detail(&member(3), "not-an-address"), "account.email"),
        (detail(&member(3), "a b@example.com"), "account.email"),
        (detail(&member(3), "a@localhost"), "account.email"),
        (detail(&member(3), &format!("{}@example.com", "a".repeat(250))), "account.email"),
        (AccountDetail::builder().account_id(member(3)).build(), "account.email"),
        (AccountDetail::builder().email("a@example.com").build(), "account.accountId"),
    ];
    for (account, member_path) in cases {
        let msg = expect_error!(
            client.create_member().account(account.clone()).send().await,
            CreateMemberError::ValidationException,
            400
        );
        assert!(msg.starts_with(member_path), "{account:?}: {msg}");
    }
    let msg = expect_error!(client.create_member().send().await, CreateMemberError::ValidationException, 400);
    assert!(msg.starts_with("account"), "{msg}");
    let msg = expect_error!(
        client.create_member().account(detail(&member(3), "a@example.com")).tags("aws:reserved", "x").send().await,
        CreateMemberError::ValidationException,
        400
    );
    assert!(msg.starts_with("tags"), "{msg}");
    // None of the refused requests created member 3.
    expect_error!(client.get_member().id(member(3)).send().await, GetMemberError::ResourceNotFoundException, 404);
}

async fn an_account_is_a_member_of_one_administrator(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let (me, other) = (server.macie(ME), server.macie(OTHER));
    enable(&me).await;
    enable(&other).await;
    let m = member(1);
    add_member(&me, &m).await;
    let msg = expect_error!(
        other.create_member().account(detail(&m, "x@example.com")).send().await,
        CreateMemberError::ConflictException,
        409
    );
    assert!(msg.contains(&m), "{msg}");
    expect_error!(
        me.create_member().account(detail(&m, "x@example.com")).send().await,
        CreateMemberError::ConflictException,
        409
    );
    // Deleting frees it to join the other administrator.
    me.delete_member().id(&m).send().await.expect("DeleteMember");
    expect_error!(me.get_member().id(&m).send().await, GetMemberError::ResourceNotFoundException, 404);
    expect_error!(me.delete_member().id(&m).send().await, DeleteMemberError::ResourceNotFoundException, 404);
    add_member(&other, &m).await;
    assert_eq!(other.get_member().id(&m).send().await.unwrap().administrator_account_id(), Some(OTHER));
    assert_eq!(listed(&me, 25).await, pairs(&[(ME, "DISABLED")]));
}

async fn members_of_other_tenants_are_not_found(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let (me, other) = (server.macie(ME), server.macie(OTHER));
    enable(&me).await;
    enable(&other).await;
    let m = member(1);
    add_member(&other, &m).await;
    for id in [m.as_str(), "not-an-account", STRANGER, "a/b c"] {
        expect_error!(me.get_member().id(id).send().await, GetMemberError::ResourceNotFoundException, 404);
        expect_error!(me.delete_member().id(id).send().await, DeleteMemberError::ResourceNotFoundException, 404);
        expect_error!(
            me.update_member_session().id(id).status(MacieStatus::Paused).send().await,
            UpdateMemberSessionError::ResourceNotFoundException,
            404
        );
    }
    // The owner still sees it unchanged.
    let got = other.get_member().id(&m).send().await.expect("GetMember");
    assert_eq!(got.relationship_status(), Some(&RelationshipStatus::Enabled));
    // The other tenant's member is not covered by my batches either.
    assert_eq!(batch(&me, vec![enabled(&m)]).await, pairs(&[(&m, "ACCOUNT_NOT_FOUND")]));
    assert_eq!(listed(&other, 25).await, pairs(&[(OTHER, "DISABLED"), (&m, "DISABLED")]));
}

async fn update_member_session_pauses_and_resumes(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.macie(ME);
    enable(&client).await;
    let m = member(1);
    add_member(&client, &m).await;
    let created = client.get_member().id(&m).send().await.unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    pause_member(&client, &m).await;
    let got = client.get_member().id(&m).send().await.unwrap();
    assert_eq!(got.relationship_status(), Some(&RelationshipStatus::Paused));
    assert!(got.updated_at().unwrap() > created.updated_at().unwrap());
    assert_eq!(got.invited_at(), created.invited_at());
    client.update_member_session().id(&m).status(MacieStatus::Enabled).send().await.expect("resume");
    assert_eq!(
        client.get_member().id(&m).send().await.unwrap().relationship_status(),
        Some(&RelationshipStatus::Enabled)
    );
    let msg = expect_error!(
        client.update_member_session().id(&m).send().await,
        UpdateMemberSessionError::ValidationException,
        400
    );
    assert!(msg.starts_with("status"), "{msg}");
    expect_error!(
        client.update_member_session().id(&m).status(MacieStatus::from("Paused")).send().await,
        UpdateMemberSessionError::ValidationException,
        400
    );
}

// ---------------------------------------------------------------------------------------------
// Automated discovery

async fn mixed_batch_reports_each_entry_in_order(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.macie(ME);
    enable(&client).await;
    let (active, paused) = (member(1), member(2));
    add_member(&client, &active).await;
    add_member(&client, &paused).await;
    pause_member(&client, &paused).await;
    assert_eq!(listed(&client, 25).await, pairs(&[(ME, "DISABLED"), (&active, "DISABLED"), (&paused, "DISABLED")]));

    let errors = batch(
        &client,
        vec![
            enabled(STRANGER),
            enabled(ME),
            enabled("12345"),
            enabled(&paused),
            enabled(&active),
            enabled("not an account"),
        ],
    )
    .await;
    assert_eq!(
        errors,
        pairs(&[
            (STRANGER, "ACCOUNT_NOT_FOUND"),
            ("12345", "ACCOUNT_NOT_FOUND"),
            (&paused, "ACCOUNT_PAUSED"),
            ("not an account", "ACCOUNT_NOT_FOUND"),
        ])
    );
    assert_eq!(listed(&client, 25).await, pairs(&[(ME, "ENABLED"), (&active, "ENABLED"), (&paused, "DISABLED")]));

    // My own paused session is ACCOUNT_PAUSED; the members are unaffected by it.
    client.update_macie_session().status(MacieStatus::Paused).send().await.expect("pause");
    let errors = batch(
        &client,
        vec![
            entry(&active, AutomatedDiscoveryAccountStatus::Disabled),
            entry(ME, AutomatedDiscoveryAccountStatus::Disabled),
            entry(&paused, AutomatedDiscoveryAccountStatus::Disabled),
        ],
    )
    .await;
    assert_eq!(errors, pairs(&[(ME, "ACCOUNT_PAUSED"), (&paused, "ACCOUNT_PAUSED")]));
    assert_eq!(listed(&client, 25).await, pairs(&[(ME, "ENABLED"), (&active, "DISABLED"), (&paused, "DISABLED")]));
    let out = client
        .batch_update_automated_discovery_accounts()
        .accounts(enabled(ME))
        .send()
        .await
        .expect("BatchUpdateAutomatedDiscoveryAccounts");
    assert_eq!(out.errors()[0].error_code(), Some(&AutomatedDiscoveryAccountUpdateErrorCode::AccountPaused));

    // Setting the status an account already has succeeds.
    client.update_macie_session().status(MacieStatus::Enabled).send().await.expect("resume");
    assert!(
        batch(&client, vec![enabled(ME), entry(&active, AutomatedDiscoveryAccountStatus::Disabled)]).await.is_empty()
    );
}

async fn full_batch_of_100_succeeds_and_101_is_refused(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.macie(ME);
    enable(&client).await;
    let members: Vec<String> = (0..100).map(member).collect();
    for m in &members {
        add_member(&client, m).await;
    }
    let errors = batch(&client, members.iter().map(|m| enabled(m)).collect()).await;
    assert!(errors.is_empty(), "{errors:?}");
    let all = listed(&client, 25).await;
    assert_eq!(all.len(), 101);
    let mut expected: Vec<(String, String)> = members.iter().map(|m| (m.clone(), "ENABLED".to_owned())).collect();
    expected.push((ME.to_owned(), "DISABLED".to_owned()));
    expected.sort();
    assert_eq!(all, expected);

    let mut too_many: Vec<_> = members.iter().map(|m| entry(m, AutomatedDiscoveryAccountStatus::Disabled)).collect();
    too_many.push(entry(ME, AutomatedDiscoveryAccountStatus::Enabled));
    let msg = expect_error!(
        client.batch_update_automated_discovery_accounts().set_accounts(Some(too_many)).send().await,
        BatchUpdateAutomatedDiscoveryAccountsError::ValidationException,
        400
    );
    assert!(msg.contains("101"), "{msg}");
    assert_eq!(listed(&client, 25).await, expected, "a refused batch changes nothing");
}

async fn duplicate_and_malformed_entries_are_validation_errors(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.macie(ME);
    enable(&client).await;
    let m = member(1);
    add_member(&client, &m).await;
    let refused = [
        vec![enabled(&m), enabled(ME), entry(&m, AutomatedDiscoveryAccountStatus::Disabled)],
        vec![enabled("bogus"), enabled("bogus")],
        vec![AutomatedDiscoveryAccountUpdate::builder().status(AutomatedDiscoveryAccountStatus::Enabled).build()],
        vec![AutomatedDiscoveryAccountUpdate::builder().account_id(ME).build()],
        vec![entry(ME, AutomatedDiscoveryAccountStatus::from("PAUSED"))],
    ];
    for entries in refused {
        expect_error!(
            client.batch_update_automated_discovery_accounts().set_accounts(Some(entries.clone())).send().await,
            BatchUpdateAutomatedDiscoveryAccountsError::ValidationException,
            400
        );
    }
    assert_eq!(listed(&client, 25).await, pairs(&[(ME, "DISABLED"), (&m, "DISABLED")]));
}

async fn errors_is_an_empty_array_on_full_success(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    assert_eq!(raw_json(&server.raw("POST", "/macie", b"").await), serde_json::json!({}));
    let body = serde_json::json!({"accounts": [{"accountId": LOCAL_DEFAULT, "status": "ENABLED"}]}).to_string();
    let resp = server.raw("PATCH", "/automated-discovery/accounts", body.as_bytes()).await;
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert_eq!(raw_json(&resp), serde_json::json!({"errors": []}));
    for empty in [&b""[..], b"{}", br#"{"accounts": []}"#] {
        let resp = server.raw("PATCH", "/automated-discovery/accounts", empty).await;
        assert_eq!(raw_json(&resp), serde_json::json!({"errors": []}));
    }
    let body = serde_json::json!({"accounts": [{"accountId": STRANGER, "status": "ENABLED"}]}).to_string();
    let resp = server.raw("PATCH", "/automated-discovery/accounts", body.as_bytes()).await;
    assert_eq!(
        raw_json(&resp),
        serde_json::json!({"errors": [{"accountId": STRANGER, "errorCode": "ACCOUNT_NOT_FOUND"}]})
    );
    let listing = raw_json(&server.raw("GET", "/automated-discovery/accounts", b"").await);
    assert_eq!(listing, serde_json::json!({"items": [{"accountId": LOCAL_DEFAULT, "status": "ENABLED"}]}));
}

async fn listing_validates_its_parameters(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.macie(ME);
    enable(&client).await;
    for max in [0, 26, -1] {
        let msg = expect_error!(
            client.list_automated_discovery_accounts().max_results(max).send().await,
            ListAutomatedDiscoveryAccountsError::ValidationException,
            400
        );
        assert!(msg.starts_with("maxResults"), "{msg}");
    }
    for ok in [1, 25] {
        client.list_automated_discovery_accounts().max_results(ok).send().await.expect("in range");
    }
    let ids: Vec<String> = (0..51).map(member).collect();
    let msg = expect_error!(
        client.list_automated_discovery_accounts().set_account_ids(Some(ids.clone())).send().await,
        ListAutomatedDiscoveryAccountsError::ValidationException,
        400
    );
    assert!(msg.starts_with("accountIds"), "{msg}");
    client
        .list_automated_discovery_accounts()
        .set_account_ids(Some(ids[..50].to_vec()))
        .send()
        .await
        .expect("50 IDs are allowed");
    for bad in ["garbage!", "e30", "eyJhZnRlciI6Im5vdC1hbi1pZCJ9"] {
        let msg = expect_error!(
            client.list_automated_discovery_accounts().next_token(bad).send().await,
            ListAutomatedDiscoveryAccountsError::ValidationException,
            400
        );
        assert!(msg.starts_with("nextToken"), "{msg}");
    }
    // 51 IDs joined by commas, as an HTTP API event carries repeated keys.
    raw_json(&server.raw("POST", "/macie", b"").await);
    let joined = ids.join(",");
    let resp = server.raw("GET", &format!("/automated-discovery/accounts?accountIds={joined}"), b"").await;
    assert!(assert_raw_error(&resp, 400, "ValidationException").starts_with("accountIds"));
}

async fn listing_pages_with_max_results_and_next_token(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    // The administrator's own ID sorts among its members'.
    let admin = member(7);
    let client = server.macie(&admin);
    enable(&client).await;
    let mut expected = vec![(admin.clone(), "DISABLED".to_owned())];
    for i in (0..23).filter(|i| *i != 7) {
        add_member(&client, &member(i)).await;
        expected.push((member(i), "DISABLED".to_owned()));
    }
    expected.sort();
    batch(&client, vec![enabled(&member(3)), enabled(&admin)]).await;
    for (id, status) in expected.iter_mut() {
        if *id == member(3) || *id == admin {
            *status = "ENABLED".to_owned();
        }
    }
    for page in [1, 5, 10, 22, 23, 25] {
        assert_eq!(listed(&client, page).await, expected, "pages of {page}");
    }
    // Exactly two pages, of 20 and 3; the last has no nextToken.
    let first = client.list_automated_discovery_accounts().max_results(20).send().await.unwrap();
    assert_eq!(first.items().len(), 20);
    let token = first.next_token().expect("a second page");
    let second = client.list_automated_discovery_accounts().max_results(20).next_token(token).send().await.unwrap();
    assert_eq!(second.items().len(), 3);
    assert_eq!(second.next_token(), None);
    // Without maxResults, pages hold 25.
    let default = client.list_automated_discovery_accounts().send().await.unwrap();
    assert_eq!((default.items().len(), default.next_token()), (23, None));
    // The SDK paginator walks the same pages.
    let mut paginated = Vec::new();
    let mut pages = client.list_automated_discovery_accounts().max_results(4).into_paginator().send();
    while let Some(page) = pages.next().await {
        paginated.extend(page.expect("page").items().iter().map(|i| i.account_id().unwrap_or_default().to_owned()));
    }
    assert_eq!(paginated, expected.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>());
}

async fn listing_filters_by_account_ids(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let (me, other) = (server.macie(ME), server.macie(OTHER));
    enable(&me).await;
    enable(&other).await;
    for i in 0..4 {
        add_member(&me, &member(i)).await;
    }
    add_member(&other, &member(9)).await;
    batch(&me, vec![enabled(&member(2))]).await;
    let out = me
        .list_automated_discovery_accounts()
        .account_ids(member(2))
        .account_ids(STRANGER)
        .account_ids(member(9))
        .account_ids("bad-id")
        .account_ids(ME)
        .account_ids(OTHER)
        .send()
        .await
        .expect("ListAutomatedDiscoveryAccounts");
    let got: Vec<(&str, &str)> =
        out.items().iter().map(|i| (i.account_id().unwrap(), i.status().unwrap().as_str())).collect();
    assert_eq!(got, [(ME, "DISABLED"), (member(2).as_str(), "ENABLED")]);
    assert_eq!(out.next_token(), None);
    // A filter pages too.
    let first = me
        .list_automated_discovery_accounts()
        .account_ids(member(3))
        .account_ids(member(1))
        .max_results(1)
        .send()
        .await
        .unwrap();
    assert_eq!(first.items()[0].account_id(), Some(member(1).as_str()));
    let token = first.next_token().expect("a second page");
    let second = me
        .list_automated_discovery_accounts()
        .account_ids(member(3))
        .account_ids(member(1))
        .max_results(1)
        .next_token(token)
        .send()
        .await
        .unwrap();
    assert_eq!(second.items()[0].account_id(), Some(member(3).as_str()));
    assert_eq!(second.next_token(), None);
    // The comma-joined form of the same filter (API Gateway HTTP API events).
    raw_json(&server.raw("POST", "/macie", b"").await);
    let resp = server
        .raw("GET", &format!("/automated-discovery/accounts?accountIds={LOCAL_DEFAULT},{STRANGER}&maxResults=5"), b"")
        .await;
    assert_eq!(raw_json(&resp), serde_json::json!({"items": [{"accountId": LOCAL_DEFAULT, "status": "DISABLED"}]}));
}

async fn malformed_bodies_are_validation_errors(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    raw_json(&server.raw("POST", "/macie", b"").await);
    let cases: [(&str, &str, &[u8], &str); 8] = [
        ("PATCH", "/automated-discovery/accounts", b"not json", "The request body is not valid JSON"),
        ("PATCH", "/automated-discovery/accounts", br#"{"accounts": {}}"#, "accounts:"),
        (
            "PATCH",
            "/automated-discovery/accounts",
            br#"{"accounts": [{"accountId": 5, "status": "ENABLED"}]}"#,
            "accounts[0].accountId:",
        ),
        ("POST", "/macie", br#"{"status": 1}"#, "status:"),
        ("PATCH", "/macie", br#"{"findingPublishingFrequency": "DAILY"}"#, "findingPublishingFrequency:"),
        ("POST", "/members", br#"{"account": {"accountId": "222222222222", "email": "a@b.co"}, "tags": []}"#, "tags:"),
        ("POST", "/members", br#"{"account": "222222222222"}"#, "account:"),
        ("PATCH", "/macie/members/222222222222", br#"{"status": null}"#, "status:"),
    ];
    for (method, path, body, prefix) in cases {
        let resp = server.raw(method, path, body).await;
        let msg = assert_raw_error(&resp, 400, "ValidationException");
        assert!(msg.starts_with(prefix), "{method} {path} {}: {msg}", String::from_utf8_lossy(body));
    }
}

// ---------------------------------------------------------------------------------------------
// DisableMacie, DisassociateMember, ListMembers

async fn disable_macie_is_refused_while_members_are_associated_then_starts_afresh(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let (me, other) = (server.macie(ME), server.macie(OTHER));
    me.enable_macie().client_token("session-token-1").send().await.expect("EnableMacie");
    enable(&other).await;
    // I am the other administrator's member: that does not matter to my DisableMacie.
    add_member(&other, ME).await;
    let (kept, paused) = (member(1), member(2));
    add_member(&me, &kept).await;
    add_member(&me, &paused).await;
    pause_member(&me, &paused).await;
    configure(&me, AutomatedDiscoveryStatus::Enabled, None).await;
    let first = me.get_macie_session().send().await.expect("GetMacieSession");

    let msg = expect_error!(me.disable_macie().send().await, DisableMacieError::ConflictException, 409);
    assert!(msg.contains("disassociate or delete"), "{msg}");
    disassociate(&me, &kept).await;
    let msg = expect_error!(me.disable_macie().send().await, DisableMacieError::ConflictException, 409);
    assert!(msg.contains("1 associated"), "{msg}");
    // Nothing changed.
    assert_eq!(me.get_macie_session().send().await.unwrap().created_at(), first.created_at());
    assert_eq!(members(&me, Some("false"), 25).await, pairs(&[(&kept, "Removed"), (&paused, "Paused")]));

    me.delete_member().id(&paused).send().await.expect("DeleteMember");
    me.disable_macie().send().await.expect("DisableMacie");
    let denied = [
        expect_error!(me.get_macie_session().send().await, GetMacieSessionError::AccessDeniedException, 403),
        expect_error!(me.disable_macie().send().await, DisableMacieError::AccessDeniedException, 403),
        expect_error!(me.list_members().send().await, ListMembersError::AccessDeniedException, 403),
        expect_error!(
            me.get_automated_discovery_configuration().send().await,
            GetAutomatedDiscoveryConfigurationError::AccessDeniedException,
            403
        ),
        expect_error!(me.get_member().id(&kept).send().await, GetMemberError::AccessDeniedException, 403),
    ];
    assert!(denied.iter().all(|m| m == NOT_ENABLED), "{denied:?}");
    assert_eq!(
        other.get_member().id(ME).send().await.unwrap().relationship_status(),
        Some(&RelationshipStatus::Enabled),
        "my own membership is untouched"
    );

    // A fresh session, with the token of the deleted one: no members, the default configuration.
    tokio::time::sleep(Duration::from_millis(5)).await;
    me.enable_macie().client_token("session-token-1").send().await.expect("EnableMacie again");
    let fresh = me.get_macie_session().send().await.unwrap();
    assert!(fresh.created_at().unwrap() > first.created_at().unwrap(), "a new createdAt");
    assert_eq!(members(&me, Some("false"), 25).await, []);
    assert_eq!(listed(&me, 25).await, pairs(&[(ME, "DISABLED")]));
    let config = me.get_automated_discovery_configuration().send().await.unwrap();
    assert_eq!(config.status(), Some(&AutomatedDiscoveryStatus::Disabled));
    assert_eq!(config.first_enabled_at(), None, "the deleted session's configuration is gone");
    // The accounts I had are free.
    add_member(&other, &kept).await;
    add_member(&other, &paused).await;
}

async fn disassociate_member_keeps_a_removed_record(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let (me, other) = (server.macie(ME), server.macie(OTHER));
    enable(&me).await;
    enable(&other).await;
    let (m, stays) = (member(1), member(2));
    add_member(&me, &m).await;
    add_member(&me, &stays).await;
    batch(&me, vec![enabled(&m), enabled(&stays)]).await;
    let before = me.get_member().id(&m).send().await.unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;

    let out = me.disassociate_member().id(&m).send().await.expect("DisassociateMember");
    let _ = out;
    let got = me.get_member().id(&m).send().await.unwrap();
    assert_eq!(got.relationship_status(), Some(&RelationshipStatus::Removed));
    assert!(got.updated_at().unwrap() > before.updated_at().unwrap());
    assert_eq!(
        (got.account_id(), got.email(), got.tags(), got.invited_at(), got.arn(), got.administrator_account_id()),
        (
            before.account_id(),
            before.email(),
            before.tags(),
            before.invited_at(),
            before.arn(),
            before.administrator_account_id()
        )
    );
    // Again: 200, nothing changes.
    me.disassociate_member().id(&m).send().await.expect("DisassociateMember again");
    assert_eq!(me.get_member().id(&m).send().await.unwrap().updated_at(), got.updated_at());

    // Not covered any more; its status is DISABLED (seen once it is associated again below).
    assert_eq!(listed(&me, 25).await, pairs(&[(ME, "DISABLED"), (&stays, "ENABLED")]));
    assert_eq!(batch(&me, vec![enabled(&m)]).await, pairs(&[(&m, "ACCOUNT_NOT_FOUND")]));
    let msg = expect_error!(
        me.update_member_session().id(&m).status(MacieStatus::Enabled).send().await,
        UpdateMemberSessionError::ConflictException,
        409
    );
    assert!(msg.contains("Removed"), "{msg}");
    assert_eq!(members(&me, None, 25).await, pairs(&[(&stays, "Enabled")]));
    assert_eq!(members(&me, Some("false"), 25).await, pairs(&[(&m, "Removed"), (&stays, "Enabled")]));

    for id in [STRANGER, "not-an-account", "a/b c"] {
        expect_error!(
            me.disassociate_member().id(id).send().await,
            DisassociateMemberError::ResourceNotFoundException,
            404
        );
    }
    // Another administrator cannot disassociate my member; it can add the Removed account.
    expect_error!(
        other.disassociate_member().id(&stays).send().await,
        DisassociateMemberError::ResourceNotFoundException,
        404
    );
    add_member(&other, &m).await;
    let msg = expect_error!(
        me.create_member().account(detail(&m, "again@example.com")).send().await,
        CreateMemberError::ConflictException,
        409
    );
    assert!(msg.contains(&m), "{msg}");
    assert_eq!(me.get_member().id(&m).send().await.unwrap().relationship_status(), Some(&RelationshipStatus::Removed));
    // DeleteMember deletes my Removed record, not the other administrator's member.
    me.delete_member().id(&m).send().await.expect("DeleteMember of a Removed record");
    expect_error!(me.get_member().id(&m).send().await, GetMemberError::ResourceNotFoundException, 404);
    assert_eq!(
        other.get_member().id(&m).send().await.unwrap().relationship_status(),
        Some(&RelationshipStatus::Enabled)
    );
    // The raw form botocore sends: no body, no Content-Type; an empty body answers {}.
    raw_json(&server.raw("POST", "/macie", b"").await);
    raw_json(
        &server
            .raw(
                "POST",
                "/members",
                serde_json::json!({"account": {"accountId": STRANGER, "email": "s@example.com"}})
                    .to_string()
                    .as_bytes(),
            )
            .await,
    );
    let resp = server.raw("POST", &format!("/members/disassociate/{STRANGER}"), b"").await;
    assert_eq!(raw_json(&resp), serde_json::json!({}));
}

async fn create_member_after_removed_is_a_fresh_association(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let me = server.macie(ME);
    enable(&me).await;
    let m = member(1);
    me.create_member().account(detail(&m, "old@example.com")).tags("team", "blue").send().await.unwrap();
    batch(&me, vec![enabled(&m)]).await;
    disassociate(&me, &m).await;
    let removed = me.get_member().id(&m).send().await.unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let arn = me
        .create_member()
        .account(detail(&m, "new@example.com"))
        .tags("owner", "red")
        .send()
        .await
        .expect("CreateMember over my Removed record")
        .arn()
        .map(str::to_owned);
    let got = me.get_member().id(&m).send().await.unwrap();
    assert_eq!(got.arn(), arn.as_deref());
    assert_eq!(got.relationship_status(), Some(&RelationshipStatus::Enabled));
    assert_eq!(got.email(), Some("new@example.com"));
    assert_eq!(got.tags(), Some(&HashMap::from([("owner".to_owned(), "red".to_owned())])));
    assert!(got.invited_at().unwrap() > removed.invited_at().unwrap(), "a new invitedAt");
    assert_eq!(got.updated_at(), got.invited_at());
    // Its discovery status starts afresh (the configuration is DISABLED).
    assert_eq!(listed(&me, 25).await, pairs(&[(ME, "DISABLED"), (&m, "DISABLED")]));
    // Associated again, a second CreateMember is a conflict.
    expect_error!(
        me.create_member().account(detail(&m, "x@example.com")).send().await,
        CreateMemberError::ConflictException,
        409
    );
}

async fn list_members_pages_and_lists_removed_records_on_request(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let (me, other) = (server.macie(ME), server.macie(OTHER));
    enable(&me).await;
    enable(&other).await;
    add_member(&other, &member(50)).await;
    // None yet: `members` is there, empty, and no nextToken.
    assert_eq!(raw_json(&server.raw("POST", "/macie", b"").await), serde_json::json!({}));
    assert_eq!(raw_json(&server.raw("GET", "/members", b"").await), serde_json::json!({"members": []}));
    let mut all = Vec::new();
    for i in 0..23 {
        let id = member(i);
        add_member(&me, &id).await;
        let status = match i % 4 {
            0 => {
                disassociate(&me, &id).await;
                "Removed"
            }
            1 => {
                pause_member(&me, &id).await;
                "Paused"
            }
            _ => "Enabled",
        };
        all.push((id, status.to_owned()));
    }
    let associated: Vec<_> = all.iter().filter(|(_, s)| s != "Removed").cloned().collect();
    for page in [1, 4, 10, 17, 25] {
        assert_eq!(members(&me, None, page).await, associated, "pages of {page}");
        assert_eq!(members(&me, Some("true"), page).await, associated, "pages of {page}, true");
        assert_eq!(members(&me, Some("FALSE"), page).await, all, "pages of {page}, FALSE");
    }
    // Default page size 25: one page of 23 with onlyAssociated=false.
    let out = me.list_members().only_associated("false").send().await.unwrap();
    assert_eq!((out.members().len(), out.next_token()), (23, None));
    // Exactly GetMember's members.
    for listed in out.members() {
        let got = me.get_member().id(listed.account_id().unwrap()).send().await.unwrap();
        assert_eq!(
            (listed.arn(), listed.email(), listed.invited_at(), listed.updated_at(), listed.relationship_status()),
            (got.arn(), got.email(), got.invited_at(), got.updated_at(), got.relationship_status())
        );
        assert_eq!((listed.administrator_account_id(), listed.master_account_id()), (Some(ME), Some(ME)));
        assert_eq!(listed.tags(), Some(&HashMap::new()));
    }
    // The SDK paginator walks the same pages.
    let mut paginated = Vec::new();
    let mut pages = me.list_members().only_associated("false").max_results(6).into_paginator().send();
    let mut count = 0;
    while let Some(page) = pages.next().await {
        let page = page.expect("page");
        assert!(page.members().len() <= 6);
        count += 1;
        paginated.extend(page.members().iter().map(|m| m.account_id().unwrap_or_default().to_owned()));
    }
    assert_eq!(count, 4);
    assert_eq!(paginated, all.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>());
    // The other administrator lists only its own.
    assert_eq!(members(&other, Some("false"), 25).await, pairs(&[(&member(50), "Enabled")]));
}

async fn list_members_validates_its_parameters(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.macie(ME);
    enable(&client).await;
    for bad in ["", "yes", "0", "t"] {
        let msg = expect_error!(
            client.list_members().only_associated(bad).send().await,
            ListMembersError::ValidationException,
            400
        );
        assert!(msg.starts_with("onlyAssociated"), "{bad:?}: {msg}");
    }
    for max in [0, 26, -1] {
        let msg = expect_error!(
            client.list_members().max_results(max).send().await,
            ListMembersError::ValidationException,
            400
        );
        assert!(msg.starts_with("maxResults"), "{msg}");
    }
    for bad in ["garbage!", "e30", "eyJhZnRlciI6Im5vdC1hbi1pZCJ9"] {
        let msg = expect_error!(
            client.list_members().next_token(bad).send().await,
            ListMembersError::ValidationException,
            400
        );
        assert!(msg.starts_with("nextToken"), "{msg}");
    }
    // Input is checked before the session.
    let stranger = server.macie(STRANGER);
    expect_error!(stranger.list_members().max_results(0).send().await, ListMembersError::ValidationException, 400);
}

// ---------------------------------------------------------------------------------------------
// The automated discovery configuration

async fn configuration_reads_and_switches_discovery(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    // Raw requests act as 123456789012.
    let client = server.macie(LOCAL_DEFAULT);
    enable(&client).await;
    let default = raw_json(&server.raw("GET", "/automated-discovery/configuration", b"").await);
    assert_eq!(default, serde_json::json!({"autoEnableOrganizationMembers": "ALL", "status": "DISABLED"}));

    // Validation, before anything is written.
    let refused: [(&[u8], &str); 5] = [
        (b"", "status"),
        (br#"{"autoEnableOrganizationMembers": "ALL"}"#, "status"),
        (br#"{"status": "ON"}"#, "status"),
        (br#"{"status": "ENABLED", "autoEnableOrganizationMembers": "SOME"}"#, "autoEnableOrganizationMembers"),
        (b"[]", "The request body"),
    ];
    for (body, prefix) in refused {
        let resp = server.raw("PUT", "/automated-discovery/configuration", body).await;
        let msg = assert_raw_error(&resp, 400, "ValidationException");
        assert!(msg.starts_with(prefix), "{}: {msg}", String::from_utf8_lossy(body));
    }
    expect_error!(
        client.update_automated_discovery_configuration().status(AutomatedDiscoveryStatus::from("PAUSED")).send().await,
        UpdateAutomatedDiscoveryConfigurationError::ValidationException,
        400
    );
    let got = client.get_automated_discovery_configuration().send().await.unwrap();
    assert_eq!((got.status(), got.last_updated_at()), (Some(&AutomatedDiscoveryStatus::Disabled), None));

    let (on, paused, removed) = (member(1), member(2), member(3));
    for id in [&on, &paused, &removed] {
        add_member(&client, id).await;
    }
    pause_member(&client, &paused).await;
    disassociate(&client, &removed).await;
    let before = now();
    configure(&client, AutomatedDiscoveryStatus::Enabled, None).await;
    let got = client.get_automated_discovery_configuration().send().await.unwrap();
    assert_eq!(got.status(), Some(&AutomatedDiscoveryStatus::Enabled));
    assert_eq!(got.auto_enable_organization_members(), Some(&AutoEnableMode::All), "absent keeps the stored ALL");
    let first = got.first_enabled_at().expect("firstEnabledAt").secs();
    assert!((before - 1..=now() + 1).contains(&first));
    assert_eq!(got.first_enabled_at(), got.last_updated_at());
    assert_eq!(
        (got.disabled_at(), got.classification_scope_id(), got.sensitivity_inspection_template_id()),
        (None, None, None)
    );
    assert_eq!(
        listed(&client, 25).await,
        pairs(&[(LOCAL_DEFAULT, "ENABLED"), (&on, "ENABLED"), (&paused, "DISABLED")])
    );

    // DISABLED: every covered account off, the paused member too; disabledAt set.
    tokio::time::sleep(Duration::from_millis(5)).await;
    configure(&client, AutomatedDiscoveryStatus::Disabled, Some(AutoEnableMode::New)).await;
    let off = client.get_automated_discovery_configuration().send().await.unwrap();
    assert_eq!(off.auto_enable_organization_members(), Some(&AutoEnableMode::New));
    assert_eq!(off.first_enabled_at(), got.first_enabled_at(), "firstEnabledAt never changes");
    assert!(off.disabled_at().is_some() && off.disabled_at() == off.last_updated_at());
    assert_eq!(
        listed(&client, 25).await,
        pairs(&[(LOCAL_DEFAULT, "DISABLED"), (&on, "DISABLED"), (&paused, "DISABLED")])
    );
    let raw = raw_json(&server.raw("GET", "/automated-discovery/configuration", b"").await);
    for member in ["firstEnabledAt", "disabledAt", "lastUpdatedAt"] {
        let t = raw[member].as_str().unwrap_or_else(|| panic!("{member} is a string: {raw}"));
        assert!(t.len() == 24 && t.ends_with('Z') && t.as_bytes()[19] == b'.', "{member}: {t}");
    }

    // ENABLED with NEW leaves members as they are; a batch still works and changes no configuration.
    configure(&client, AutomatedDiscoveryStatus::Enabled, None).await;
    assert_eq!(
        listed(&client, 25).await,
        pairs(&[(LOCAL_DEFAULT, "ENABLED"), (&on, "DISABLED"), (&paused, "DISABLED")])
    );
    assert!(batch(&client, vec![enabled(&on)]).await.is_empty());
    let again = client.get_automated_discovery_configuration().send().await.unwrap();
    assert_eq!((again.status(), again.disabled_at()), (Some(&AutomatedDiscoveryStatus::Enabled), None));
    // Another tenant's configuration is its own.
    let other = server.macie(OTHER);
    enable(&other).await;
    let theirs = other.get_automated_discovery_configuration().send().await.unwrap();
    assert_eq!(theirs.status(), Some(&AutomatedDiscoveryStatus::Disabled));
}

async fn new_members_follow_the_configuration(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.macie(ME);
    enable(&client).await;
    let cases = [
        (AutomatedDiscoveryStatus::Enabled, AutoEnableMode::All, "ENABLED"),
        (AutomatedDiscoveryStatus::Enabled, AutoEnableMode::New, "ENABLED"),
        (AutomatedDiscoveryStatus::Enabled, AutoEnableMode::None, "DISABLED"),
        (AutomatedDiscoveryStatus::Disabled, AutoEnableMode::All, "DISABLED"),
    ];
    for (i, (status, mode, expected)) in cases.into_iter().enumerate() {
        configure(&client, status.clone(), Some(mode.clone())).await;
        let id = member(i);
        add_member(&client, &id).await;
        let out = client.list_automated_discovery_accounts().account_ids(&id).send().await.unwrap();
        assert_eq!(out.items()[0].status().map(|s| s.as_str()), Some(expected), "{status:?} {mode:?}");
    }
}

/// 20 CreateMember calls race one DisableMacie through the API: either DisableMacie is refused
/// (ConflictException) and every member that was created is listed, or it succeeds and every
/// CreateMember that lost answers AccessDeniedException, leaving no member behind.
async fn create_member_racing_disable_macie_leaves_no_member_behind(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.macie(ME);
    for round in 0..3 {
        enable(&client).await;
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(21));
        let creates: Vec<_> = (0..20u64)
            .map(|i| {
                let (client, barrier) = (client.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    tokio::time::sleep(Duration::from_micros(i * 500)).await;
                    let id = member(100 * round + i as usize);
                    let created = client.create_member().account(detail(&id, "r@example.com")).send().await;
                    (id, created.map_err(|e| e.into_service_error()))
                })
            })
            .collect();
        barrier.wait().await;
        let disabled = client.disable_macie().send().await.map_err(|e| e.into_service_error());
        let mut created = Vec::new();
        for task in creates {
            match task.await.unwrap() {
                (id, Ok(_)) => created.push(id),
                (id, Err(CreateMemberError::AccessDeniedException(_))) => assert!(disabled.is_ok(), "{id}"),
                (id, Err(other)) => panic!("{id}: {other:?}"),
            }
        }
        match disabled {
            Ok(_) => {
                assert!(created.is_empty(), "round {round}: {created:?} created, yet Macie was disabled");
                enable(&client).await;
                assert_eq!(members(&client, Some("false"), 25).await, []);
            }
            Err(DisableMacieError::ConflictException(_)) => {
                let listed: Vec<String> = members(&client, None, 25).await.into_iter().map(|(id, _)| id).collect();
                assert_eq!(listed, created, "round {round}");
                for id in &created {
                    client.delete_member().id(id).send().await.expect("DeleteMember");
                }
            }
            Err(other) => panic!("round {round}: DisableMacie answered {other:?}"),
        }
        client.disable_macie().send().await.expect("DisableMacie at the end of the round");
    }
}

// ---------------------------------------------------------------------------------------------
// Measurement (prints, does not assert timing)

/// Wall time of a 100-entry batch next to a single-entry one against DynamoDB Local, through
/// the SDK and the local server. Run with `-- --nocapture` to see the figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn measure_batch_wall_time_on_dynamodb_local() {
    let server = TestServer::on(StoreKind::DynamoDb).await;
    let client = server.macie(ME);
    enable(&client).await;
    let members: Vec<String> = (0..100).map(member).collect();
    for m in &members {
        add_member(&client, m).await;
    }
    let full = |status: AutomatedDiscoveryAccountStatus| members.iter().map(|m| entry(m, status.clone())).collect();
    // Warm up connections on both sides.
    batch(&client, full(AutomatedDiscoveryAccountStatus::Disabled)).await;
    let (mut singles, mut fulls) = (Vec::new(), Vec::new());
    for round in 0..5 {
        let status = if round % 2 == 0 {
            AutomatedDiscoveryAccountStatus::Enabled
        } else {
            AutomatedDiscoveryAccountStatus::Disabled
        };
        let started = Instant::now();
        assert!(batch(&client, vec![entry(&members[0], status.clone())]).await.is_empty());
        singles.push(started.elapsed());
        let started = Instant::now();
        assert!(batch(&client, full(status)).await.is_empty());
        fulls.push(started.elapsed());
    }
    // For scale: the same 100 entries as 100 single-entry batches, one after another.
    let started = Instant::now();
    for m in &members {
        assert!(batch(&client, vec![entry(m, AutomatedDiscoveryAccountStatus::Enabled)]).await.is_empty());
    }
    let sequential = started.elapsed();
    singles.sort();
    fulls.sort();
    eprintln!(
        "BatchUpdateAutomatedDiscoveryAccounts on DynamoDB Local, 5 runs each: 1 entry median {:?} (min {:?}, max {:?}); \
         100 entries median {:?} (min {:?}, max {:?}); 100 single-entry batches in sequence {:?}",
        singles[2], singles[0], singles[4], fulls[2], fulls[0], fulls[4], sequential
    );
}

// ---------------------------------------------------------------------------------------------
// Store failures inside a batch (docs/conventions.md §3.4)

/// Makes DynamoDB answer `error_type` to every UpdateItem whose sort key is `sk`.
#[derive(Debug, Clone)]
struct FailUpdatesOf {
    sk: String,
    error_type: &'static str,
}

impl Intercept for FailUpdatesOf {
    fn name(&self) -> &'static str {
        "FailUpdatesOf"
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        mark_update_item(context, cfg, |update| {
            update.key().and_then(|k| k.get("sk")).and_then(|v| v.as_s().ok()) == Some(&self.sk)
        });
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if is_marked(cfg) {
            let body = serde_json::json!({
                "__type": format!("com.amazonaws.dynamodb.v20120810#{}", self.error_type),
                "message": "injected by the test",
            });
            let mut response = HttpResponse::new(StatusCode::try_from(400)?, SdkBody::from(body.to_string()));
            response.headers_mut().insert("content-type", "application/x-amz-json-1.0");
            *context.response_mut() = response;
        }
        Ok(())
    }
}

/// One entry of a full batch meets a throttled (then a failing) UpdateItem: the whole request
/// answers 429 ThrottlingException (then 500 InternalServerException), not a partial success.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_store_failure_on_one_entry_fails_the_batch_on_dynamodb() {
    let plain = dynamo_store().await;
    let table = plain.table().to_owned();
    let setup = TestServer::serve(App::new(std::sync::Arc::new(plain), REGION)).await;
    // Raw requests act as 123456789012: it is the administrator here.
    let admin = setup.macie(LOCAL_DEFAULT);
    enable(&admin).await;
    let members: Vec<String> = (0..100).map(member).collect();
    for m in &members {
        add_member(&admin, m).await;
    }
    let cases = [
        ("ProvisionedThroughputExceededException", 429, "ThrottlingException"),
        ("ValidationException", 500, "InternalServerException"),
    ];
    for (error_type, status, shape) in cases {
        let interceptor = FailUpdatesOf { sk: format!("MEMBER#{}", members[57]), error_type };
        let failing = dynamo_store_on(&table, |c| c.interceptor(interceptor));
        let server = TestServer::serve(App::new(std::sync::Arc::new(failing), REGION)).await;
        let accounts: Vec<serde_json::Value> =
            members.iter().map(|m| serde_json::json!({"accountId": m, "status": "ENABLED"})).collect();
        let body = serde_json::json!({ "accounts": accounts }).to_string();
        let resp = server.raw("PATCH", "/automated-discovery/accounts", body.as_bytes()).await;
        let msg = assert_raw_error(&resp, status, shape);
        assert!(!msg.contains("injected"), "the cause is logged, not sent: {msg}");
        // Without the failing entry the same server succeeds.
        let mut others = accounts.clone();
        others.remove(57);
        let body = serde_json::json!({ "accounts": others }).to_string();
        let resp = server.raw("PATCH", "/automated-discovery/accounts", body.as_bytes()).await;
        assert_eq!(raw_json(&resp), serde_json::json!({"errors": []}));
    }
}
