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
use aws_sdk_macie2::operation::enable_macie::EnableMacieError;
use aws_sdk_macie2::operation::get_macie_session::GetMacieSessionError;
use aws_sdk_macie2::operation::get_member::GetMemberError;
use aws_sdk_macie2::operation::list_automated_discovery_accounts::ListAutomatedDiscoveryAccountsError;
use aws_sdk_macie2::operation::update_macie_session::UpdateMacieSessionError;
use aws_sdk_macie2::operation::update_member_session::UpdateMemberSessionError;
use aws_sdk_macie2::types::{
    AccountDetail, AutomatedDiscoveryAccountStatus, AutomatedDiscoveryAccountUpdate,
    AutomatedDiscoveryAccountUpdateErrorCode, FindingPublishingFrequency, MacieStatus, RelationshipStatus,
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
