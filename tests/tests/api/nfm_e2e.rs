//! End-to-end tests of the Network Flow Monitor scope and tag operations through the real AWS SDK
//! for Rust (`aws-sdk-networkflowmonitor`) against the local server, on both store adapters.
//!
//! Every rule of docs/network-flow-monitor.md and docs/conventions.md that the SDK can exercise is checked here through the SDK;
//! what the SDK cannot send (malformed JSON, oversized bodies, unknown routes, empty labels) goes
//! through `TestServer::raw`. Errors are checked by modeled variant, by `meta().code()` and by
//! HTTP status, and every refused request is followed by a read showing that nothing was written.
//! Failures of the backing store (docs/conventions.md §3.4) are injected into every DynamoDB call.

use std::collections::{BTreeSet, HashMap};

use aws_sdk_networkflowmonitor::Client;
use aws_sdk_networkflowmonitor::config::retry::RetryConfig;
use aws_sdk_networkflowmonitor::error::ProvideErrorMetadata;
use aws_sdk_networkflowmonitor::operation::create_scope::{CreateScopeError, CreateScopeOutput};
use aws_sdk_networkflowmonitor::operation::delete_scope::DeleteScopeError;
use aws_sdk_networkflowmonitor::operation::get_scope::{GetScopeError, GetScopeOutput};
use aws_sdk_networkflowmonitor::operation::list_scopes::ListScopesError;
use aws_sdk_networkflowmonitor::operation::list_tags_for_resource::ListTagsForResourceError;
use aws_sdk_networkflowmonitor::operation::tag_resource::TagResourceError;
use aws_sdk_networkflowmonitor::operation::untag_resource::UntagResourceError;
use aws_sdk_networkflowmonitor::operation::update_scope::UpdateScopeError;
use aws_sdk_networkflowmonitor::types::{ScopeStatus, TargetId, TargetIdentifier, TargetResource, TargetType};

use crate::helpers::{
    Fault, INJECTED, LOCAL_DEFAULT, StoreKind, TestServer, assert_raw_error, expect_error, failing_server,
    on_both_stores,
};

/// The tenant most tests act as, and a second one for tenancy checks.
const ME: &str = "111111111111";
const OTHER: &str = "222222222222";

const TOKEN: &str = "0f1e2d3c-4b5a-4697-a8b9-cadbecfd0e1f";
/// Shaped like the Rust SDK's own tokens: version nibble 4, arbitrary variant nibble.
const SDK_STYLE_TOKEN: &str = "9c3eb260-1b01-48d1-ddde-1113daede9ca";

/// A target as the SDK builds it.
fn target(account: &str, region: &str) -> TargetResource {
    let identifier = TargetIdentifier::builder()
        .target_id(TargetId::AccountId(account.to_owned()))
        .target_type(TargetType::Account)
        .build()
        .expect("a complete target identifier");
    TargetResource::builder().target_identifier(identifier).region(region).build().expect("a complete target")
}

/// `n` distinct targets (accounts `base`, `base + 1`, ...) in us-east-1.
fn targets(base: u64, n: u64) -> Vec<TargetResource> {
    (base..base + n).map(|i| target(&format!("{i:012}"), "us-east-1")).collect()
}

/// A target as (accountId, region), for comparing sets.
fn key(t: &TargetResource) -> (String, String) {
    let id = t.target_identifier().expect("targetIdentifier");
    assert_eq!(id.target_type(), &TargetType::Account);
    let account = match id.target_id() {
        Some(TargetId::AccountId(a)) => a.clone(),
        other => panic!("targetId should be an accountId, got {other:?}"),
    };
    (account, t.region().to_owned())
}

fn keys(targets: &[TargetResource]) -> BTreeSet<(String, String)> {
    targets.iter().map(key).collect()
}

fn pair(account: &str, region: &str) -> (String, String) {
    (account.to_owned(), region.to_owned())
}

fn tags(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn assert_lowercase_uuid(id: &str) {
    let groups: Vec<&str> = id.split('-').collect();
    assert!(
        groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
            && id.bytes().all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "scopeId '{id}' is not a lowercase UUID"
    );
}

fn arn(account: &str, scope_id: &str) -> String {
    format!("arn:aws:networkflowmonitor:us-east-1:{account}:scope/{scope_id}")
}

/// Creates a scope for `client` with `targets` and a fresh SDK-generated token.
async fn create(client: &Client, targets: Vec<TargetResource>) -> CreateScopeOutput {
    client.create_scope().set_targets(Some(targets)).send().await.expect("CreateScope")
}

async fn get(client: &Client, scope_id: &str) -> GetScopeOutput {
    client.get_scope().scope_id(scope_id).send().await.expect("GetScope")
}

/// The caller's scope IDs as ListScopes shows them.
async fn listed(client: &Client) -> Vec<String> {
    let out = client.list_scopes().send().await.expect("ListScopes");
    assert_eq!(out.next_token(), None, "one page holds an account's scopes");
    out.scopes().iter().map(|s| s.scope_id().to_owned()).collect()
}

fn raw_target(account: &str, region: &str) -> serde_json::Value {
    serde_json::json!({"targetIdentifier": {"targetId": {"accountId": account}, "targetType": "ACCOUNT"}, "region": region})
}

// ---------------------------------------------------------------------------------------------
// Happy paths
// ---------------------------------------------------------------------------------------------

async fn lifecycle_create_get_list_update_delete(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.nfm(ME);
    assert!(listed(&client).await.is_empty());

    let created = create(&client, vec![target(ME, "us-east-1"), target(OTHER, "eu-central-2")]).await;
    let id = created.scope_id().to_owned();
    assert_lowercase_uuid(&id);
    assert_eq!(created.status(), &ScopeStatus::Succeeded);
    assert_eq!(created.scope_arn(), arn(ME, &id));
    assert_eq!(created.tags(), Some(&HashMap::new()), "tags are {{}} when there are none");

    let got = get(&client, &id).await;
    assert_eq!(got.scope_id(), id);
    assert_eq!(got.status(), &ScopeStatus::Succeeded);
    assert_eq!(got.scope_arn(), arn(ME, &id));
    assert_eq!(got.tags(), Some(&HashMap::new()));
    assert_eq!(keys(got.targets()), BTreeSet::from([pair(ME, "us-east-1"), pair(OTHER, "eu-central-2")]));

    let list = client.list_scopes().send().await.expect("ListScopes");
    assert_eq!(list.next_token(), None);
    assert_eq!(list.scopes().len(), 1);
    let summary = &list.scopes()[0];
    assert_eq!(summary.scope_id(), id);
    assert_eq!(summary.status(), &ScopeStatus::Succeeded);
    assert_eq!(summary.scope_arn(), arn(ME, &id));

    let updated = client
        .update_scope()
        .scope_id(&id)
        .resources_to_add(target("333333333333", "us-gov-west-1"))
        .resources_to_add(target("333333333333", "ap-southeast-4"))
        .resources_to_delete(target(OTHER, "eu-central-2"))
        .send()
        .await
        .expect("UpdateScope");
    assert_eq!(updated.scope_id(), id);
    assert_eq!(updated.status(), &ScopeStatus::Succeeded);
    assert_eq!(updated.scope_arn(), arn(ME, &id));
    assert_eq!(updated.tags(), Some(&HashMap::new()));
    let got = get(&client, &id).await;
    assert_eq!(
        keys(got.targets()),
        BTreeSet::from([
            pair(ME, "us-east-1"),
            pair("333333333333", "us-gov-west-1"),
            pair("333333333333", "ap-southeast-4")
        ])
    );

    // Deleting a target that is not in the scope is a no-op; only-delete updates work.
    client
        .update_scope()
        .scope_id(&id)
        .resources_to_delete(target("999999999999", "us-east-1"))
        .send()
        .await
        .expect("UpdateScope deleting an absent target");
    client
        .update_scope()
        .scope_id(&id)
        .resources_to_delete(target("333333333333", "ap-southeast-4"))
        .send()
        .await
        .expect("UpdateScope deleting a present target");
    let got = get(&client, &id).await;
    assert_eq!(keys(got.targets()), BTreeSet::from([pair(ME, "us-east-1"), pair("333333333333", "us-gov-west-1")]));

    client.delete_scope().scope_id(&id).send().await.expect("DeleteScope");
    assert!(listed(&client).await.is_empty());
    expect_error!(client.get_scope().scope_id(&id).send().await, GetScopeError::ResourceNotFoundException, 404);
    expect_error!(
        client.update_scope().scope_id(&id).resources_to_add(target(ME, "us-west-2")).send().await,
        UpdateScopeError::ResourceNotFoundException,
        404
    );
    expect_error!(client.delete_scope().scope_id(&id).send().await, DeleteScopeError::ResourceNotFoundException, 404);

    // After a delete the account may create again, and gets a new scope.
    let again = create(&client, vec![target(ME, "us-west-2")]).await;
    assert_ne!(again.scope_id(), id);
    assert_lowercase_uuid(again.scope_id());
    assert_eq!(listed(&client).await, vec![again.scope_id().to_owned()]);
}

async fn tags_are_echoed_by_every_output(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.nfm(ME);
    let want = tags(&[("team", "network"), ("empty", ""), ("ünïcödé", "välue")]);
    let created = client
        .create_scope()
        .targets(target(ME, "us-east-1"))
        .set_tags(Some(want.clone()))
        .send()
        .await
        .expect("CreateScope with tags");
    assert_eq!(created.tags(), Some(&want));
    let id = created.scope_id();
    assert_eq!(get(&client, id).await.tags(), Some(&want));
    let updated = client
        .update_scope()
        .scope_id(id)
        .resources_to_add(target(OTHER, "us-east-1"))
        .send()
        .await
        .expect("UpdateScope");
    assert_eq!(updated.tags(), Some(&want), "UpdateScope keeps and echoes the tags");
    assert_eq!(get(&client, id).await.tags(), Some(&want));
}

async fn get_scope_targets_are_a_set(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.nfm(ME);
    let created = create(
        &client,
        vec![
            target(ME, "us-east-1"),
            target(OTHER, "us-east-1"),
            target(ME, "us-east-1"),
            target(ME, "eu-west-1"),
            target(ME, "us-east-1"),
        ],
    )
    .await;
    let got = get(&client, created.scope_id()).await;
    assert_eq!(got.targets().len(), 3, "duplicates collapse: {:?}", got.targets());
    assert_eq!(
        keys(got.targets()),
        BTreeSet::from([pair(ME, "us-east-1"), pair(OTHER, "us-east-1"), pair(ME, "eu-west-1")])
    );

    // Adding a target that is already there changes nothing.
    client
        .update_scope()
        .scope_id(created.scope_id())
        .resources_to_add(target(OTHER, "us-east-1"))
        .resources_to_add(target(OTHER, "us-east-1"))
        .send()
        .await
        .expect("UpdateScope re-adding a target");
    assert_eq!(get(&client, created.scope_id()).await.targets().len(), 3);
}

/// Every Region name of every AWS partition (as the SDKs' endpoint rules list them) is a valid
/// target Region, including the European Sovereign Cloud's `eusc-de-east-1`.
const ALL_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "cn-north-1",
    "cn-northwest-1",
    "eusc-de-east-1",
    "us-iso-east-1",
    "us-iso-west-1",
    "us-isob-east-1",
    "us-isob-west-1",
    "eu-isoe-west-1",
    "us-isof-east-1",
    "us-isof-south-1",
    "us-gov-east-1",
    "us-gov-west-1",
];

async fn every_aws_region_is_a_valid_target_region(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.nfm(ME);
    let all: Vec<_> = ALL_REGIONS.iter().map(|r| target(ME, r)).collect();
    let created = create(&client, all.clone()).await;
    let got = get(&client, created.scope_id()).await;
    assert_eq!(keys(got.targets()), keys(&all));
    // Things that are not Region names: pseudo-Regions, endpoint variants, other spellings.
    for bad in ["aws-global", "us-east-1-fips", "US-EAST-1", "us_east_1", "us-east-1 ", "eusc-east-1", "mars-north-1"] {
        let e = expect_error!(
            client.update_scope().scope_id(created.scope_id()).resources_to_add(target(OTHER, bad)).send().await,
            UpdateScopeError::ValidationException,
            400
        );
        assert!(e.contains("region"), "{bad}: {e:?}");
    }
    assert_eq!(get(&client, created.scope_id()).await.targets().len(), ALL_REGIONS.len());
}

async fn the_largest_valid_requests_are_accepted(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    // 1000 targets and 200 tags with 128-character keys and 256-character values (characters,
    // not bytes). Two worst cases: 4-byte characters make the largest stored scope; control
    // characters, 6 bytes each once escaped in JSON, the largest response.
    let worst_cases = [(ME, "🦀", TOKEN), (OTHER, "\u{1}", SDK_STYLE_TOKEN)];
    for (account, c, token) in worst_cases {
        let client = server.nfm(account);
        let many_tags: HashMap<String, String> =
            (0..200).map(|i| (format!("{i:03}{}", c.repeat(125)), c.repeat(256))).collect();
        let request = || {
            client
                .create_scope()
                .set_targets(Some(targets(100_000_000_000, 1000)))
                .set_tags(Some(many_tags.clone()))
                .client_token(token)
        };
        let created = request()
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateScope at every maximum ({c:?}): {:?}", e.into_service_error()));
        // (assert! rather than assert_eq!: the values are too large to print usefully)
        assert!(created.tags() == Some(&many_tags), "CreateScope echoes the tags ({c:?})");
        let got = get(&client, created.scope_id()).await;
        assert_eq!(got.targets().len(), 1000);
        assert!(got.tags() == Some(&many_tags), "GetScope returns the tags ({c:?})");
        let replayed =
            request().send().await.unwrap_or_else(|e| panic!("replaying it ({c:?}): {:?}", e.into_service_error()));
        assert_eq!(replayed.scope_id(), created.scope_id(), "the replay answers the original response");
        assert_eq!(replayed.scope_arn(), created.scope_arn());
        assert_eq!(replayed.status(), created.status());
        assert!(replayed.tags() == Some(&many_tags), "the replay echoes the tags ({c:?})");

        // Exactly at the quota after an update that swaps every target.
        let updated = client
            .update_scope()
            .scope_id(created.scope_id())
            .set_resources_to_add(Some(targets(200_000_000_000, 1000)))
            .set_resources_to_delete(Some(targets(100_000_000_000, 1000)))
            .send()
            .await
            .expect("UpdateScope replacing all 1000 targets");
        assert!(updated.tags() == Some(&many_tags), "UpdateScope echoes the tags ({c:?})");
        let got = get(&client, created.scope_id()).await;
        assert_eq!(keys(got.targets()), keys(&targets(200_000_000_000, 1000)));
    }
}

// ---------------------------------------------------------------------------------------------
// Validation: each failure is a ValidationException and writes nothing
// ---------------------------------------------------------------------------------------------

async fn create_scope_validation_failures_write_nothing(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.nfm(ME);
    let ok = || vec![target(ME, "us-east-1")];

    let cases: Vec<(
        &str,
        aws_sdk_networkflowmonitor::operation::create_scope::builders::CreateScopeFluentBuilder,
        &str,
    )> = vec![
        (
            "bad region",
            client.create_scope().targets(target(ME, "us-east-1")).targets(target(ME, "us-east")).client_token(TOKEN),
            "targets[1].region: 'us-east' is not a valid Region name",
        ),
        (
            "11-digit account",
            client.create_scope().targets(target("11111111111", "us-east-1")).client_token(TOKEN),
            "targets[0].targetIdentifier.targetId.accountId",
        ),
        ("empty targets", client.create_scope().set_targets(Some(Vec::new())).client_token(TOKEN), "targets"),
        ("no targets", client.create_scope().client_token(TOKEN), "targets"),
        ("1001 targets", client.create_scope().set_targets(Some(targets(1, 1001))).client_token(TOKEN), "1001"),
        (
            "reserved tag key",
            client.create_scope().set_targets(Some(ok())).tags("aws:x", "1").client_token(TOKEN),
            "aws:",
        ),
        (
            "129-character tag key",
            client.create_scope().set_targets(Some(ok())).tags("k".repeat(129), "1").client_token(TOKEN),
            "tags",
        ),
        (
            "257-character tag value",
            client.create_scope().set_targets(Some(ok())).tags("k", "v".repeat(257)).client_token(TOKEN),
            "tags",
        ),
        (
            "201 tags",
            client
                .create_scope()
                .set_targets(Some(ok()))
                .set_tags(Some((0..201).map(|i| (format!("k{i}"), String::new())).collect()))
                .client_token(TOKEN),
            "tags",
        ),
        (
            "uppercase client token",
            client.create_scope().set_targets(Some(ok())).client_token(TOKEN.to_uppercase()),
            "clientToken",
        ),
        (
            "client token without dashes",
            client.create_scope().set_targets(Some(ok())).client_token(TOKEN.replace('-', "")),
            "clientToken",
        ),
    ];
    for (case, request, in_message) in cases {
        let e = expect_error!(request.send().await, CreateScopeError::ValidationException, 400);
        let message = e;
        assert!(message.contains(in_message), "{case}: message '{message}' should mention '{in_message}'");
        assert!(listed(&client).await.is_empty(), "{case}: a refused CreateScope wrote a scope");
    }
    // Nor was the token kept by any refused request: it now creates a different request's scope.
    let created = client
        .create_scope()
        .targets(target(OTHER, "eu-west-3"))
        .client_token(TOKEN)
        .send()
        .await
        .expect("the token of refused requests is still free");
    assert_eq!(listed(&client).await, vec![created.scope_id().to_owned()]);
}

async fn update_scope_validation_failures_change_nothing(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.nfm(ME);
    let created =
        client.create_scope().targets(target(ME, "us-east-1")).tags("k", "v").send().await.expect("CreateScope");
    let id = created.scope_id();
    let before = get(&client, id).await;

    let update = || client.update_scope().scope_id(id);
    let cases = vec![
        ("neither list", update(), "resourcesToAdd"),
        ("empty add list", update().set_resources_to_add(Some(Vec::new())), "resourcesToAdd"),
        ("empty delete list", update().set_resources_to_delete(Some(Vec::new())), "resourcesToDelete"),
        (
            "same target in both lists",
            update().resources_to_add(target(OTHER, "us-east-1")).resources_to_delete(target(OTHER, "us-east-1")),
            "both",
        ),
        ("would empty the scope", update().resources_to_delete(target(ME, "us-east-1")), "no targets"),
        (
            "bad region in an otherwise good add",
            update().resources_to_add(target(OTHER, "us-east-1")).resources_to_add(target(OTHER, "us-east")),
            "resourcesToAdd[1].region",
        ),
        ("11-digit account", update().resources_to_add(target("22222222222", "us-east-1")), "accountId"),
        ("1001 items to add", update().set_resources_to_add(Some(targets(1, 1001))), "resourcesToAdd"),
        ("1001 items to delete", update().set_resources_to_delete(Some(targets(1, 1001))), "resourcesToDelete"),
    ];
    for (case, request, in_message) in cases {
        let e = expect_error!(request.send().await, UpdateScopeError::ValidationException, 400);
        let message = e;
        assert!(message.contains(in_message), "{case}: message '{message}' should mention '{in_message}'");
        let after = get(&client, id).await;
        assert_eq!(keys(after.targets()), keys(before.targets()), "{case}: a refused UpdateScope changed the targets");
        assert_eq!(after.tags(), before.tags(), "{case}");
    }
}

async fn list_scopes_validates_its_parameters(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.nfm(ME);
    let created = create(&client, vec![target(ME, "us-east-1")]).await;
    for bad in [0, 26, -1] {
        let e = expect_error!(
            client.list_scopes().max_results(bad).send().await,
            ListScopesError::ValidationException,
            400
        );
        assert!(e.contains("maxResults"), "{e:?}");
    }
    for garbage in ["garbage!", "bm90IGEgY3Vyc29y", "eyJvdGhlciI6MX0"] {
        let e = expect_error!(
            client.list_scopes().next_token(garbage).send().await,
            ListScopesError::ValidationException,
            400
        );
        assert!(e.contains("nextToken"), "{e:?}");
    }
    for ok in [1, 25] {
        let out = client.list_scopes().max_results(ok).send().await.expect("ListScopes in range");
        assert_eq!(out.scopes().len(), 1);
        assert_eq!(out.next_token(), None, "the last page has no nextToken");
    }
    // The SDK's paginator walks it to the end.
    let all: Vec<_> = client
        .list_scopes()
        .max_results(1)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .expect("paginating ListScopes");
    assert_eq!(all.iter().map(|s| s.scope_id()).collect::<Vec<_>>(), vec![created.scope_id()]);
}

// ---------------------------------------------------------------------------------------------
// Not found and tenancy
// ---------------------------------------------------------------------------------------------

async fn unknown_and_foreign_scopes_are_not_found(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let mine = server.nfm(ME);
    let theirs = server.nfm(OTHER);
    let created = create(&mine, vec![target(ME, "us-east-1")]).await;
    let id = created.scope_id().to_owned();

    let unknown = [
        "00000000-0000-4000-8000-000000000000".to_owned(),
        id.to_uppercase(),
        "not-a-uuid".to_owned(),
        "abc/def ghi".to_owned(),
        format!("{id}/x"),
        "%2F..%2F".to_owned(),
    ];
    for scope_id in &unknown {
        let e = expect_error!(
            mine.get_scope().scope_id(scope_id).send().await,
            GetScopeError::ResourceNotFoundException,
            404
        );
        assert!(e.contains(scope_id.as_str()), "{e:?}");
        expect_error!(
            mine.update_scope().scope_id(scope_id).resources_to_add(target(ME, "us-west-2")).send().await,
            UpdateScopeError::ResourceNotFoundException,
            404
        );
        expect_error!(
            mine.delete_scope().scope_id(scope_id).send().await,
            DeleteScopeError::ResourceNotFoundException,
            404
        );
    }

    // Another account asking for my scope gets exactly what an unknown ID gets.
    let e = expect_error!(theirs.get_scope().scope_id(&id).send().await, GetScopeError::ResourceNotFoundException, 404);
    assert!(!e.contains(ME), "the message leaks the owner: {e:?}");
    expect_error!(
        theirs.update_scope().scope_id(&id).resources_to_add(target(OTHER, "us-west-2")).send().await,
        UpdateScopeError::ResourceNotFoundException,
        404
    );
    expect_error!(theirs.delete_scope().scope_id(&id).send().await, DeleteScopeError::ResourceNotFoundException, 404);
    assert!(listed(&theirs).await.is_empty(), "another account's ListScopes shows my scope");

    // ... and none of that touched my scope.
    let got = get(&mine, &id).await;
    assert_eq!(keys(got.targets()), BTreeSet::from([pair(ME, "us-east-1")]));
    assert_eq!(listed(&mine).await, vec![id.clone()]);

    // The other account has its own scope and its own one-scope limit.
    let their_scope = create(&theirs, vec![target(OTHER, "us-east-1")]).await;
    assert_eq!(their_scope.scope_arn(), arn(OTHER, their_scope.scope_id()));
    assert_eq!(listed(&theirs).await, vec![their_scope.scope_id().to_owned()]);
    assert_eq!(listed(&mine).await, vec![id.clone()]);
    expect_error!(
        mine.get_scope().scope_id(their_scope.scope_id()).send().await,
        GetScopeError::ResourceNotFoundException,
        404
    );
}

// ---------------------------------------------------------------------------------------------
// One scope per account, idempotency, quota
// ---------------------------------------------------------------------------------------------

async fn one_scope_per_account(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.nfm(ME);
    let first = create(&client, vec![target(ME, "us-east-1")]).await;
    // Without an explicit token the SDK generates a fresh one: a second, different request.
    let e = expect_error!(
        client.create_scope().targets(target(ME, "us-west-2")).send().await,
        CreateScopeError::ConflictException,
        409
    );
    assert!(e.contains(first.scope_id()), "{e:?} should name {}", first.scope_id());
    // The same request again without a shared token is no replay either.
    let e = expect_error!(
        client.create_scope().targets(target(ME, "us-east-1")).send().await,
        CreateScopeError::ConflictException,
        409
    );
    assert!(e.contains(first.scope_id()), "{e:?}");
    // With an explicit new token: still a conflict, and the token is not kept.
    let e = expect_error!(
        client.create_scope().targets(target(ME, "us-west-2")).client_token(TOKEN).send().await,
        CreateScopeError::ConflictException,
        409
    );
    assert!(e.contains(first.scope_id()), "{e:?}");
    assert_eq!(listed(&client).await, vec![first.scope_id().to_owned()]);
    let got = get(&client, first.scope_id()).await;
    assert_eq!(keys(got.targets()), BTreeSet::from([pair(ME, "us-east-1")]));

    client.delete_scope().scope_id(first.scope_id()).send().await.expect("DeleteScope");
    // TOKEN was refused above, so it is free for a different request now.
    let second = client
        .create_scope()
        .targets(target(ME, "eu-north-1"))
        .tags("a", "b")
        .client_token(TOKEN)
        .send()
        .await
        .expect("CreateScope after delete");
    assert_ne!(second.scope_id(), first.scope_id());
}

async fn client_token_replays_the_original_response(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.nfm(ME);
    let request = |targets: Vec<TargetResource>| {
        client
            .create_scope()
            .set_targets(Some(targets))
            .tags("team", "net")
            .tags("env", "")
            .client_token(SDK_STYLE_TOKEN)
    };
    let original =
        request(vec![target(ME, "us-east-1"), target(OTHER, "eu-west-1")]).send().await.expect("CreateScope");
    let id = original.scope_id().to_owned();

    // Same token, same request: targets in another order, with a duplicate.
    let replay = |round: &'static str| {
        let request = request(vec![target(OTHER, "eu-west-1"), target(ME, "us-east-1"), target(OTHER, "eu-west-1")]);
        let original = original.clone();
        async move {
            let again = request.send().await.unwrap_or_else(|e| panic!("{round}: replay failed: {e:?}"));
            assert_eq!(again.scope_id(), original.scope_id(), "{round}");
            assert_eq!(again.scope_arn(), original.scope_arn(), "{round}");
            assert_eq!(again.status(), &ScopeStatus::Succeeded, "{round}");
            assert_eq!(again.tags(), original.tags(), "{round}");
        }
    };
    replay("while unchanged").await;
    assert_eq!(listed(&client).await, vec![id.clone()], "a replay must not create");

    client
        .update_scope()
        .scope_id(&id)
        .resources_to_add(target("333333333333", "us-west-1"))
        .send()
        .await
        .expect("UpdateScope");
    replay("after an update").await;
    let got = get(&client, &id).await;
    assert_eq!(got.targets().len(), 3, "a replay must not undo the update");

    client.delete_scope().scope_id(&id).send().await.expect("DeleteScope");
    replay("after a delete").await;
    assert!(listed(&client).await.is_empty(), "a replay after a delete must not recreate the scope");
    expect_error!(client.get_scope().scope_id(&id).send().await, GetScopeError::ResourceNotFoundException, 404);

    // Tokens are per account: another account's identical request is its own.
    let theirs = server
        .nfm(OTHER)
        .create_scope()
        .targets(target(ME, "us-east-1"))
        .targets(target(OTHER, "eu-west-1"))
        .tags("team", "net")
        .tags("env", "")
        .client_token(SDK_STYLE_TOKEN)
        .send()
        .await
        .expect("another account with the same token");
    assert_ne!(theirs.scope_id(), id);
    assert_eq!(theirs.scope_arn(), arn(OTHER, theirs.scope_id()));
}

async fn client_token_with_a_different_request_conflicts(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.nfm(ME);
    let original = client
        .create_scope()
        .targets(target(ME, "us-east-1"))
        .tags("a", "1")
        .client_token(TOKEN)
        .send()
        .await
        .expect("CreateScope");

    let different = [
        ("different tag value", client.create_scope().targets(target(ME, "us-east-1")).tags("a", "2")),
        ("extra tag", client.create_scope().targets(target(ME, "us-east-1")).tags("a", "1").tags("b", "1")),
        ("no tags", client.create_scope().targets(target(ME, "us-east-1"))),
        ("different targets", client.create_scope().targets(target(ME, "us-east-2")).tags("a", "1")),
        (
            "more targets",
            client.create_scope().targets(target(ME, "us-east-1")).targets(target(OTHER, "us-east-1")).tags("a", "1"),
        ),
    ];
    for (case, request) in different {
        let e = expect_error!(request.client_token(TOKEN).send().await, CreateScopeError::ConflictException, 409);
        assert!(e.contains("clientToken"), "{case}: {e:?}");
    }
    // Still one scope, unchanged; and after a delete the mismatch still holds.
    let got = get(&client, original.scope_id()).await;
    assert_eq!(keys(got.targets()), BTreeSet::from([pair(ME, "us-east-1")]));
    assert_eq!(got.tags(), Some(&tags(&[("a", "1")])));
    client.delete_scope().scope_id(original.scope_id()).send().await.expect("DeleteScope");
    expect_error!(
        client.create_scope().targets(target(ME, "us-east-1")).tags("a", "2").client_token(TOKEN).send().await,
        CreateScopeError::ConflictException,
        409
    );
    assert!(listed(&client).await.is_empty());
}

async fn update_past_1000_targets_exceeds_the_quota(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.nfm(ME);
    let created = create(&client, targets(500_000_000_000, 600)).await;
    let id = created.scope_id();
    let e = expect_error!(
        client.update_scope().scope_id(id).set_resources_to_add(Some(targets(600_000_000_000, 401))).send().await,
        UpdateScopeError::ServiceQuotaExceededException,
        402
    );
    assert!(e.contains("1000"), "{e:?}");
    assert_eq!(get(&client, id).await.targets().len(), 600, "a refused update changed the scope");
    // Deleting in the same request makes room: the result counts, not the request.
    client
        .update_scope()
        .scope_id(id)
        .set_resources_to_add(Some(targets(600_000_000_000, 401)))
        .resources_to_delete(target(&format!("{:012}", 500_000_000_000u64), "us-east-1"))
        .send()
        .await
        .expect("UpdateScope to exactly 1000 targets");
    assert_eq!(get(&client, id).await.targets().len(), 1000);
    let e = expect_error!(
        client.update_scope().scope_id(id).resources_to_add(target(ME, "us-west-2")).send().await,
        UpdateScopeError::ServiceQuotaExceededException,
        402
    );
    assert!(e.contains("1001"), "{e:?}");
    // Re-adding a target the full scope already has is fine.
    client
        .update_scope()
        .scope_id(id)
        .resources_to_add(target(&format!("{:012}", 600_000_000_000u64), "us-east-1"))
        .send()
        .await
        .expect("re-adding an existing target to a full scope");
    assert_eq!(get(&client, id).await.targets().len(), 1000);
}

// ---------------------------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------------------------

async fn concurrent_creates_with_one_token_make_one_scope(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.nfm(ME);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .create_scope()
                    .targets(target(ME, "us-east-1"))
                    .targets(target(OTHER, "us-west-2"))
                    .tags("k", "v")
                    .client_token(TOKEN)
                    .send()
                    .await
            })
        })
        .collect();
    let mut ids = BTreeSet::new();
    for task in tasks {
        let out = task.await.expect("task").expect("every concurrent CreateScope with one token succeeds");
        assert_eq!(out.status(), &ScopeStatus::Succeeded);
        assert_eq!(out.tags(), Some(&tags(&[("k", "v")])));
        ids.insert(out.scope_id().to_owned());
    }
    assert_eq!(ids.len(), 1, "all answers name one scope: {ids:?}");
    let id = ids.into_iter().next().unwrap_or_default();
    assert_eq!(listed(&client).await, vec![id.clone()]);
    assert_eq!(
        keys(get(&client, &id).await.targets()),
        BTreeSet::from([pair(ME, "us-east-1"), pair(OTHER, "us-west-2")])
    );
}

async fn concurrent_creates_with_different_tokens_make_one_scope(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.nfm(ME);
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let client = client.clone();
            // No explicit token: the SDK gives each call its own.
            tokio::spawn(async move { client.create_scope().targets(target(ME, "us-east-1")).send().await })
        })
        .collect();
    let mut winners = Vec::new();
    let mut conflicts = Vec::new();
    for task in tasks {
        match task.await.expect("task") {
            Ok(out) => winners.push(out.scope_id().to_owned()),
            Err(err) => conflicts.push(expect_error!(Err::<(), _>(err), CreateScopeError::ConflictException, 409)),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one create wins: {winners:?}");
    for e in &conflicts {
        assert!(e.contains(&winners[0]), "{e:?}");
    }
    assert_eq!(listed(&client).await, winners);
}

async fn concurrent_updates_lose_nothing(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.nfm(ME);
    let created = create(&client, vec![target(ME, "us-east-1")]).await;
    let id = created.scope_id().to_owned();
    let tasks: Vec<_> = (0..16u64)
        .map(|i| {
            let client = client.clone();
            let id = id.clone();
            let account = format!("{:012}", 700_000_000_000 + i);
            tokio::spawn(async move {
                let result =
                    client.update_scope().scope_id(id).resources_to_add(target(&account, "eu-west-1")).send().await;
                (account, result)
            })
        })
        .collect();
    let mut want = BTreeSet::from([pair(ME, "us-east-1")]);
    let mut refused = Vec::new();
    for task in tasks {
        let (account, result) = task.await.expect("task");
        match result {
            Ok(out) => {
                assert_eq!(out.scope_id(), id);
                want.insert(pair(&account, "eu-west-1"));
            }
            Err(err) => {
                expect_error!(Err::<(), _>(err), UpdateScopeError::ConflictException, 409);
                refused.push(account);
            }
        }
    }
    assert!(want.len() > 1, "no concurrent update succeeded");
    let got = get(&client, &id).await;
    assert_eq!(
        keys(got.targets()),
        want,
        "every UpdateScope that answered 200 is reflected, and only those ({refused:?} refused)"
    );

    // Concurrent deletes and adds on distinct targets: again nothing is lost.
    let tasks: Vec<_> = (0..16u64)
        .map(|i| {
            let client = client.clone();
            let id = id.clone();
            tokio::spawn(async move {
                let add = format!("{:012}", 800_000_000_000 + i);
                let delete = format!("{:012}", 700_000_000_000 + i);
                let result = client
                    .update_scope()
                    .scope_id(id)
                    .resources_to_add(target(&add, "eu-west-1"))
                    .resources_to_delete(target(&delete, "eu-west-1"))
                    .send()
                    .await;
                (add, delete, result)
            })
        })
        .collect();
    for task in tasks {
        let (add, delete, result) = task.await.expect("task");
        match result {
            Ok(_) => {
                want.remove(&pair(&delete, "eu-west-1"));
                want.insert(pair(&add, "eu-west-1"));
            }
            Err(err) => {
                expect_error!(Err::<(), _>(err), UpdateScopeError::ConflictException, 409);
            }
        }
    }
    assert_eq!(keys(get(&client, &id).await.targets()), want);
}

// ---------------------------------------------------------------------------------------------
// Tags of a scope, by its ARN (docs/network-flow-monitor.md §1.8, §7–§9)
// ---------------------------------------------------------------------------------------------

/// The tags ListTagsForResource shows for `arn`.
async fn listed_tags(client: &Client, arn: &str) -> HashMap<String, String> {
    let out = client.list_tags_for_resource().resource_arn(arn).send().await.expect("ListTagsForResource");
    out.tags().cloned().expect("ListTagsForResource always has tags")
}

/// `n` tags `k<base>`.. with empty values.
fn numbered_tags(base: usize, n: usize) -> HashMap<String, String> {
    (base..base + n).map(|i| (format!("k{i}"), String::new())).collect()
}

async fn tag_untag_and_list_a_scope(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.nfm(ME);
    let created = client
        .create_scope()
        .targets(target(ME, "us-east-1"))
        .tags("team", "network")
        .client_token(TOKEN)
        .send()
        .await
        .expect("CreateScope");
    let id = created.scope_id().to_owned();
    let scope_arn = created.scope_arn().to_owned();
    assert_eq!(listed_tags(&client, &scope_arn).await, tags(&[("team", "network")]), "CreateScope's tags");

    // TagResource merges: given keys set (overwriting), the others kept.
    client
        .tag_resource()
        .resource_arn(&scope_arn)
        .tags("team", "platform")
        .tags("env", "prod")
        .tags("cost,center", "")
        .send()
        .await
        .expect("TagResource");
    let want = tags(&[("team", "platform"), ("env", "prod"), ("cost,center", "")]);
    assert_eq!(listed_tags(&client, &scope_arn).await, want);
    // One tag set: GetScope and UpdateScope show the same, and nothing else changed.
    let got = get(&client, &id).await;
    assert_eq!(got.tags(), Some(&want));
    assert_eq!(keys(got.targets()), BTreeSet::from([pair(ME, "us-east-1")]));
    assert_eq!(got.status(), &ScopeStatus::Succeeded);
    assert_eq!(got.scope_arn(), scope_arn);
    let updated =
        client.update_scope().scope_id(&id).resources_to_add(target(OTHER, "eu-west-1")).send().await.expect("update");
    assert_eq!(updated.tags(), Some(&want));

    // UntagResource removes the listed keys (a comma inside a key is part of it); absent ones are ignored.
    client
        .untag_resource()
        .resource_arn(&scope_arn)
        .tag_keys("cost,center")
        .tag_keys("team")
        .tag_keys("absent")
        .send()
        .await
        .expect("UntagResource");
    assert_eq!(listed_tags(&client, &scope_arn).await, tags(&[("env", "prod")]));
    assert_eq!(get(&client, &id).await.tags(), Some(&tags(&[("env", "prod")])));
    assert_eq!(keys(get(&client, &id).await.targets()).len(), 2, "tag changes keep the targets");

    // Repeating a call leaves the same state and answers 200.
    for _ in 0..2 {
        client.untag_resource().resource_arn(&scope_arn).tag_keys("team").send().await.expect("untag again");
        client.tag_resource().resource_arn(&scope_arn).tags("env", "prod").send().await.expect("tag again");
    }
    assert_eq!(listed_tags(&client, &scope_arn).await, tags(&[("env", "prod")]));

    // An empty change is a 200 that changes nothing: `tags` {} and no tagKeys at all.
    client.tag_resource().resource_arn(&scope_arn).set_tags(Some(HashMap::new())).send().await.expect("tag {}");
    client.untag_resource().resource_arn(&scope_arn).set_tag_keys(Some(Vec::new())).send().await.expect("untag []");
    assert_eq!(listed_tags(&client, &scope_arn).await, tags(&[("env", "prod")]));

    // The last tag can go: ListTagsForResource and GetScope say {}.
    client.untag_resource().resource_arn(&scope_arn).tag_keys("env").send().await.expect("untag the last");
    assert_eq!(listed_tags(&client, &scope_arn).await, HashMap::new());
    assert_eq!(get(&client, &id).await.tags(), Some(&HashMap::new()));

    // A replay of the CreateScope call still answers its original response, tags included.
    let replay = client
        .create_scope()
        .targets(target(ME, "us-east-1"))
        .tags("team", "network")
        .client_token(TOKEN)
        .send()
        .await
        .expect("replay");
    assert_eq!((replay.scope_id(), replay.tags()), (id.as_str(), Some(&tags(&[("team", "network")]))));
    assert_eq!(listed_tags(&client, &scope_arn).await, HashMap::new(), "and changes nothing");
}

async fn tag_validation_failures_change_nothing(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.nfm(ME);
    let created = client.create_scope().targets(target(ME, "us-east-1")).tags("k", "v").send().await.expect("create");
    let scope_arn = created.scope_arn().to_owned();
    let before = tags(&[("k", "v")]);

    // A malformed ARN, in every operation, comes before anything else.
    let malformed = [
        ("not an ARN", "not-an-arn-but-long-enough".to_owned(), "is not an ARN"),
        ("too short", "arn:aws:x:::scope/1".to_owned(), "from 20 to 2048"),
        ("too long", format!("{scope_arn}{}", "x".repeat(2048)), "from 20 to 2048"),
        ("no resource", "arn:aws:networkflowmonitor:us-east-1:111111111111:".to_owned(), "is not an ARN"),
        ("Macie", "arn:aws:macie2:us-east-1:111111111111:member/222222222222".to_owned(), "not a Network Flow Monitor"),
        ("S3", "arn:aws:s3:::my-network-flow-bucket".to_owned(), "not a Network Flow Monitor"),
    ];
    for (case, bad, in_message) in &malformed {
        let e = expect_error!(
            client.tag_resource().resource_arn(bad).tags("aws:bad", "").send().await,
            TagResourceError::ValidationException,
            400
        );
        assert!(e.starts_with("resourceArn: ") && e.contains(in_message), "{case}: {e}");
        let e = expect_error!(
            client.untag_resource().resource_arn(bad).tag_keys("k").send().await,
            UntagResourceError::ValidationException,
            400
        );
        assert!(e.contains(in_message), "{case}: {e}");
        let e = expect_error!(
            client.list_tags_for_resource().resource_arn(bad).send().await,
            ListTagsForResourceError::ValidationException,
            400
        );
        assert!(e.contains(in_message), "{case}: {e}");
    }

    // Invalid tags and tag keys, on the scope, on an unknown scope and on another account's ARN:
    // input is checked before existence.
    let unknown = arn(ME, "00000000-0000-4000-8000-000000000000");
    let foreign = arn(OTHER, "00000000-0000-4000-8000-000000000000");
    let bad_tags: Vec<(&str, HashMap<String, String>, &str)> = vec![
        ("reserved prefix", tags(&[("aws:team", "x")]), "reserved prefix"),
        ("reserved prefix in capitals", tags(&[("AWS:team", "x")]), "reserved prefix"),
        ("129-character key", tags(&[(&"k".repeat(129), "x")]), "1 to 128"),
        ("257-character value", tags(&[("k", &"v".repeat(257))]), "256"),
        ("201 tags", numbered_tags(0, 201), "at most 200"),
    ];
    let long_key = "k".repeat(129);
    let many_keys: Vec<String> = (0..201).map(|i| format!("k{i}")).collect();
    let bad_keys: Vec<(&str, Vec<String>, &str)> = vec![
        ("129-character key", vec!["k".to_owned(), long_key], "tagKeys[1]"),
        ("201 keys", many_keys, "at most 200 keys"),
    ];
    for target_arn in [&scope_arn, &unknown, &foreign] {
        for (case, bad, in_message) in &bad_tags {
            let e = expect_error!(
                client.tag_resource().resource_arn(target_arn).set_tags(Some(bad.clone())).send().await,
                TagResourceError::ValidationException,
                400
            );
            assert!(e.starts_with("tags") && e.contains(in_message), "{case} on {target_arn}: {e}");
        }
        for (case, bad, in_message) in &bad_keys {
            let e = expect_error!(
                client.untag_resource().resource_arn(target_arn).set_tag_keys(Some(bad.clone())).send().await,
                UntagResourceError::ValidationException,
                400
            );
            assert!(e.contains(in_message), "{case} on {target_arn}: {e}");
        }
    }
    assert_eq!(listed_tags(&client, &scope_arn).await, before, "a refused call changed the tags");
}

async fn tag_operations_name_only_the_callers_own_scope(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let mine = server.nfm(ME);
    let theirs = server.nfm(OTHER);
    let my_scope = mine.create_scope().targets(target(ME, "us-east-1")).tags("k", "mine").send().await.expect("mine");
    let id = my_scope.scope_id().to_owned();
    let their_scope =
        theirs.create_scope().targets(target(OTHER, "us-east-1")).tags("k", "theirs").send().await.expect("theirs");

    let not_mine = [
        their_scope.scope_arn().to_owned(),
        arn(OTHER, &id),
        format!("arn:aws:networkflowmonitor:us-west-2:{ME}:scope/{id}"),
        format!("arn:aws-cn:networkflowmonitor:us-east-1:{ME}:scope/{id}"),
        format!("arn:aws:networkflowmonitor:us-east-1:{ME}:monitor/m1"),
        format!("arn:aws:networkflowmonitor:us-east-1:{ME}:scope/{}", id.to_uppercase()),
        format!("arn:aws:networkflowmonitor:us-east-1:{ME}:scope/"),
        format!("arn:aws:networkflowmonitor:us-east-1:{ME}:scope/{id}/x"),
        arn(ME, "00000000-0000-4000-8000-000000000000"),
    ];
    for other in &not_mine {
        let e = expect_error!(
            mine.tag_resource().resource_arn(other).tags("k", "changed").send().await,
            TagResourceError::ResourceNotFoundException,
            404
        );
        assert!(e.contains(other.as_str()), "the message names the ARN: {e}");
        expect_error!(
            mine.untag_resource().resource_arn(other).tag_keys("k").send().await,
            UntagResourceError::ResourceNotFoundException,
            404
        );
        expect_error!(
            mine.list_tags_for_resource().resource_arn(other).send().await,
            ListTagsForResourceError::ResourceNotFoundException,
            404
        );
    }
    // Neither scope changed.
    assert_eq!(listed_tags(&mine, my_scope.scope_arn()).await, tags(&[("k", "mine")]));
    assert_eq!(listed_tags(&theirs, their_scope.scope_arn()).await, tags(&[("k", "theirs")]));
    // An account without a scope, naming mine, gets the same answer.
    let none = server.nfm("333333333333");
    expect_error!(
        none.list_tags_for_resource().resource_arn(my_scope.scope_arn()).send().await,
        ListTagsForResourceError::ResourceNotFoundException,
        404
    );
}

async fn the_tag_cap_holds(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.nfm(ME);
    let created = client
        .create_scope()
        .targets(target(ME, "us-east-1"))
        .set_tags(Some(numbered_tags(0, 150)))
        .send()
        .await
        .expect("create");
    let scope_arn = created.scope_arn();
    client.tag_resource().resource_arn(scope_arn).set_tags(Some(numbered_tags(100, 100))).send().await.expect("to 200");
    assert_eq!(listed_tags(&client, scope_arn).await, numbered_tags(0, 200));
    // Overwriting every key of a full scope is fine.
    let overwrite: HashMap<String, String> = numbered_tags(0, 200).into_keys().map(|k| (k, "v".to_owned())).collect();
    client.tag_resource().resource_arn(scope_arn).set_tags(Some(overwrite.clone())).send().await.expect("overwrite");
    // One more key is a ValidationException (TagResource models no quota error) and changes nothing.
    let e = expect_error!(
        client.tag_resource().resource_arn(scope_arn).tags("k0", "x").tags("one-more", "").send().await,
        TagResourceError::ValidationException,
        400
    );
    assert!(e.contains("201 tags") && e.contains("at most 200"), "{e}");
    assert_eq!(listed_tags(&client, scope_arn).await, overwrite);
    // Room made, room used.
    client.untag_resource().resource_arn(scope_arn).tag_keys("k7").send().await.expect("untag");
    client.tag_resource().resource_arn(scope_arn).tags("one-more", "").send().await.expect("fits now");
    assert_eq!(listed_tags(&client, scope_arn).await.len(), 200);
}

async fn a_deleted_scope_takes_its_tags(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.nfm(ME);
    let old = client.create_scope().targets(target(ME, "us-east-1")).tags("created", "1").send().await.expect("create");
    let old_arn = old.scope_arn().to_owned();
    client.tag_resource().resource_arn(&old_arn).tags("added", "2").send().await.expect("tag");
    client.delete_scope().scope_id(old.scope_id()).send().await.expect("delete");

    expect_error!(
        client.list_tags_for_resource().resource_arn(&old_arn).send().await,
        ListTagsForResourceError::ResourceNotFoundException,
        404
    );
    expect_error!(
        client.tag_resource().resource_arn(&old_arn).tags("k", "v").send().await,
        TagResourceError::ResourceNotFoundException,
        404
    );
    expect_error!(
        client.untag_resource().resource_arn(&old_arn).tag_keys("added").send().await,
        UntagResourceError::ResourceNotFoundException,
        404
    );
    assert!(listed(&client).await.is_empty(), "no tag operation recreates the scope");

    let fresh = client.create_scope().targets(target(ME, "us-east-1")).tags("fresh", "yes").send().await.expect("new");
    assert_eq!(listed_tags(&client, fresh.scope_arn()).await, tags(&[("fresh", "yes")]), "only its CreateScope tags");
    expect_error!(
        client.list_tags_for_resource().resource_arn(&old_arn).send().await,
        ListTagsForResourceError::ResourceNotFoundException,
        404
    );
}

async fn concurrent_tags_untags_and_updates_lose_nothing(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.nfm(ME);
    let initial: HashMap<String, String> = (0..7).map(|i| (format!("drop{i}"), "x".to_owned())).collect();
    let created = client
        .create_scope()
        .targets(target(ME, "us-east-1"))
        .set_tags(Some(initial.clone()))
        .tags("keep", "me")
        .send()
        .await
        .expect("create");
    let (id, scope_arn) = (created.scope_id().to_owned(), created.scope_arn().to_owned());

    // 20 calls at once: 7 tag new keys, 7 untag the drop keys, 6 add targets.
    let mut tasks = Vec::new();
    for i in 0..7u64 {
        let (c, a) = (client.clone(), scope_arn.clone());
        tasks.push(tokio::spawn(async move {
            let result = c.tag_resource().resource_arn(a).tags(format!("new{i}"), format!("v{i}")).send().await;
            ("tag", i, result.map(|_| ()).map_err(|e| e.into_service_error().meta().code().map(str::to_owned)))
        }));
        let (c, a) = (client.clone(), scope_arn.clone());
        tasks.push(tokio::spawn(async move {
            let result = c.untag_resource().resource_arn(a).tag_keys(format!("drop{i}")).send().await;
            ("untag", i, result.map(|_| ()).map_err(|e| e.into_service_error().meta().code().map(str::to_owned)))
        }));
    }
    for i in 0..6u64 {
        let (c, id) = (client.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            let account = format!("{:012}", 700_000_000_000 + i);
            let result = c.update_scope().scope_id(id).resources_to_add(target(&account, "eu-west-1")).send().await;
            ("update", i, result.map(|_| ()).map_err(|e| e.into_service_error().meta().code().map(str::to_owned)))
        }));
    }
    assert_eq!(tasks.len(), 20);

    let mut want_tags = initial;
    want_tags.insert("keep".into(), "me".into());
    let mut want_targets = BTreeSet::from([pair(ME, "us-east-1")]);
    let mut succeeded = 0;
    for task in tasks {
        let (kind, i, result) = task.await.expect("task");
        match result {
            Ok(()) => {
                succeeded += 1;
                match kind {
                    "tag" => {
                        want_tags.insert(format!("new{i}"), format!("v{i}"));
                    }
                    "untag" => {
                        want_tags.remove(&format!("drop{i}"));
                    }
                    _ => {
                        want_targets.insert(pair(&format!("{:012}", 700_000_000_000 + i), "eu-west-1"));
                    }
                }
            }
            Err(code) => assert_eq!(code.as_deref(), Some("ConflictException"), "{kind} {i}: only retries running out"),
        }
    }
    assert!(succeeded >= 10, "most racing calls succeed ({succeeded} of 20)");
    assert_eq!(listed_tags(&client, &scope_arn).await, want_tags, "every tag and untag answered 200 is reflected");
    let got = get(&client, &id).await;
    assert_eq!(keys(got.targets()), want_targets, "every UpdateScope answered 200 is reflected");
    assert_eq!(got.tags(), Some(&want_tags));
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP: what the SDK cannot send
// ---------------------------------------------------------------------------------------------

async fn raw_malformed_bodies_are_validation_errors(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let list = || async { server.raw("GET", "/scopes", b"").await };

    let message =
        assert_raw_error(&server.raw("POST", "/scopes", b"{\"targets\": [").await, 400, "ValidationException");
    assert!(message.contains("not valid JSON"), "{message}");
    assert_raw_error(&server.raw("POST", "/scopes", b"not json at all").await, 400, "ValidationException");
    assert_raw_error(&server.raw("POST", "/scopes", b"[]").await, 400, "ValidationException");

    let message =
        assert_raw_error(&server.raw("POST", "/scopes", br#"{"targets": "x"}"#).await, 400, "ValidationException");
    assert!(message.starts_with("targets"), "{message}");
    let wrong_nested = serde_json::json!({"targets": [{"targetIdentifier": {"targetId": {"accountId": 111111111111u64}, "targetType": "ACCOUNT"}, "region": "us-east-1"}]});
    let message = assert_raw_error(
        &server.raw("POST", "/scopes", wrong_nested.to_string().as_bytes()).await,
        400,
        "ValidationException",
    );
    assert!(message.contains("targets[0].targetIdentifier.targetId.accountId"), "{message}");
    let wrong_tags = serde_json::json!({"targets": [raw_target(ME, "us-east-1")], "tags": {"a": 1}});
    assert_raw_error(
        &server.raw("POST", "/scopes", wrong_tags.to_string().as_bytes()).await,
        400,
        "ValidationException",
    );
    let unknown_type = serde_json::json!({"targets": [{"targetIdentifier": {"targetId": {"accountId": ME}, "targetType": "ORGANIZATION"}, "region": "us-east-1"}]});
    let message = assert_raw_error(
        &server.raw("POST", "/scopes", unknown_type.to_string().as_bytes()).await,
        400,
        "ValidationException",
    );
    assert!(message.contains("targetType"), "{message}");
    let two_members = serde_json::json!({"targets": [{"targetIdentifier": {"targetId": {"accountId": ME, "orgId": "o-1"}, "targetType": "ACCOUNT"}, "region": "us-east-1"}]});
    assert_raw_error(
        &server.raw("POST", "/scopes", two_members.to_string().as_bytes()).await,
        400,
        "ValidationException",
    );
    let no_member = serde_json::json!({"targets": [{"targetIdentifier": {"targetId": {}, "targetType": "ACCOUNT"}, "region": "us-east-1"}]});
    assert_raw_error(
        &server.raw("POST", "/scopes", no_member.to_string().as_bytes()).await,
        400,
        "ValidationException",
    );

    // Missing required members of a target.
    let no_region = serde_json::json!({"targets": [{"targetIdentifier": {"targetId": {"accountId": ME}, "targetType": "ACCOUNT"}}]});
    let message = assert_raw_error(
        &server.raw("POST", "/scopes", no_region.to_string().as_bytes()).await,
        400,
        "ValidationException",
    );
    assert!(message.contains("region"), "{message}");
    let no_type =
        serde_json::json!({"targets": [{"targetIdentifier": {"targetId": {"accountId": ME}}, "region": "us-east-1"}]});
    let message = assert_raw_error(
        &server.raw("POST", "/scopes", no_type.to_string().as_bytes()).await,
        400,
        "ValidationException",
    );
    assert!(message.contains("targetType"), "{message}");
    let null_target = serde_json::json!({"targets": [null]});
    assert_raw_error(
        &server.raw("POST", "/scopes", null_target.to_string().as_bytes()).await,
        400,
        "ValidationException",
    );

    // An empty body is {} (so `targets` is missing), on POST and PATCH alike.
    let message = assert_raw_error(&server.raw("POST", "/scopes", b"").await, 400, "ValidationException");
    assert!(message.contains("targets"), "{message}");

    // Over 1 MiB: refused even though it is otherwise a valid request.
    let mut big = serde_json::json!({"targets": [raw_target(ME, "us-east-1")]});
    big["padding"] = serde_json::Value::String("x".repeat(1024 * 1024));
    let big = big.to_string();
    assert!(big.len() > 1024 * 1024);
    let message = assert_raw_error(&server.raw("POST", "/scopes", big.as_bytes()).await, 400, "ValidationException");
    assert!(message.contains("larger"), "{message}");

    // Nothing above wrote anything.
    let listing = list().await;
    assert_eq!(listing.status, 200, "{listing:?}");
    let body: serde_json::Value = serde_json::from_str(&listing.body).expect("ListScopes JSON");
    assert_eq!(
        body,
        serde_json::json!({"scopes": []}),
        "a refused request wrote something; the last page has no nextToken"
    );

    // Unknown members are ignored, so a valid request with one succeeds (as the caller
    // LOCAL_DEFAULT, having no 12-digit access key).
    let future = serde_json::json!({"targets": [raw_target(ME, "us-east-1")], "futureMember": {"x": [1, null]}});
    let created = server.raw("POST", "/scopes", future.to_string().as_bytes()).await;
    assert_eq!(created.status, 200, "{created:?}");
    assert_eq!(created.header("content-type"), Some("application/json"));
    assert!(created.header("x-amzn-requestid").is_some());
    assert_eq!(created.header("x-amzn-errortype"), None);
    let body: serde_json::Value = serde_json::from_str(&created.body).expect("CreateScope JSON");
    let id = body["scopeId"].as_str().expect("scopeId").to_owned();
    assert_eq!(body["scopeArn"], arn(LOCAL_DEFAULT, &id).as_str());
    assert_eq!(body["tags"], serde_json::json!({}));
    assert_eq!(listed(&server.nfm(LOCAL_DEFAULT)).await, vec![id.clone()]);

    // PATCH bodies: malformed, wrong type, empty (= {} = neither list).
    let path = format!("/scopes/{id}");
    assert_raw_error(&server.raw("PATCH", &path, b"{,}").await, 400, "ValidationException");
    let message =
        assert_raw_error(&server.raw("PATCH", &path, br#"{"resourcesToAdd": 5}"#).await, 400, "ValidationException");
    assert!(message.starts_with("resourcesToAdd"), "{message}");
    assert_raw_error(&server.raw("PATCH", &path, b"").await, 400, "ValidationException");
    assert_raw_error(&server.raw("PATCH", &path, b"{}").await, 400, "ValidationException");
    let got = server.raw("GET", &path, b"").await;
    assert_eq!(got.status, 200, "{got:?}");
    let body: serde_json::Value = serde_json::from_str(&got.body).expect("GetScope JSON");
    assert_eq!(body["targets"], serde_json::json!([raw_target(ME, "us-east-1")]));
}

async fn raw_unknown_routes_are_unknown_operations(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    for (method, path) in [
        ("GET", "/nope"),
        ("PUT", "/scopes"),
        ("DELETE", "/scopes"),
        ("POST", "/scopes/abc"),
        ("GET", "/scopes/a/b"),
        ("GET", "/"),
        ("PATCH", "/monitors/m1"),
    ] {
        let message = assert_raw_error(&server.raw(method, path, b"").await, 404, "UnknownOperationException");
        assert!(message.contains(method), "{method} {path}: {message}");
    }
}

async fn raw_path_labels(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    // An empty label (botocore sends it; the Rust SDK refuses client-side).
    for method in ["PATCH", "GET", "DELETE"] {
        let message = assert_raw_error(
            &server.raw(method, "/scopes/", br#"{"resourcesToAdd": []}"#).await,
            400,
            "ValidationException",
        );
        assert!(message.contains("scopeId"), "{method}: {message}");
    }
    // Percent-encoded labels are decoded and simply do not exist.
    let created = create(&server.nfm(LOCAL_DEFAULT), vec![target(ME, "us-east-1")]).await;
    let id = created.scope_id();
    for path in [
        "/scopes/abc%2Fdef".to_owned(),
        format!("/scopes/{id}%2Fx"),
        "/scopes/%2F".to_owned(),
        "/scopes/%FF%FE".to_owned(),
        "/scopes/..%2F..%2Fetc".to_owned(),
    ] {
        for method in ["GET", "DELETE"] {
            let resp = server.raw(method, &path, b"").await;
            // An unknown scopeId of any shape is not found (docs/network-flow-monitor.md §1.4), never a validation error.
            assert_raw_error(&resp, 404, "ResourceNotFoundException");
        }
    }
    assert_raw_error(&server.raw("GET", "/scopes/abc%2Fdef", b"").await, 404, "ResourceNotFoundException");
    let encoded_patch = serde_json::json!({"resourcesToAdd": [raw_target(OTHER, "us-east-1")]}).to_string();
    assert_raw_error(
        &server.raw("PATCH", &format!("/scopes/{id}%2Fx"), encoded_patch.as_bytes()).await,
        404,
        "ResourceNotFoundException",
    );
    // Encoding a plain label changes nothing: `%2D` is `-`.
    let resp = server.raw("GET", &format!("/scopes/{}", id.replace('-', "%2D")), b"").await;
    assert_eq!(resp.status, 200, "{resp:?}");
    // None of it touched the scope.
    assert_eq!(listed(&server.nfm(LOCAL_DEFAULT)).await, vec![id.to_owned()]);
}

async fn raw_tag_routes(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let created = server
        .nfm(LOCAL_DEFAULT)
        .create_scope()
        .targets(target(ME, "us-east-1"))
        .tags("a,b", "1")
        .tags("c", "2")
        .send()
        .await
        .expect("create");
    let scope_arn = created.scope_arn().to_owned();
    let listing = |path: String| {
        let server = &server;
        async move {
            let resp = server.raw("GET", &path, b"").await;
            assert_eq!(resp.status, 200, "{path}: {resp:?}");
            serde_json::from_str::<serde_json::Value>(&resp.body).expect("JSON")
        }
    };
    let want = serde_json::json!({"tags": {"a,b": "1", "c": "2"}});
    // The ARN as the SDKs send it (one segment, `:` and `/` encoded), with literal `:` and `/`
    // (curl, a decoding gateway), and half and half: all one ARN.
    let encoded = scope_arn.replace(':', "%3A").replace('/', "%2F");
    for path in
        [format!("/tags/{encoded}"), format!("/tags/{scope_arn}"), format!("/tags/{}", scope_arn.replace('/', "%2F"))]
    {
        assert_eq!(listing(path).await, want);
    }
    // Encoded twice is not decoded twice: the ARN then names nothing.
    let twice = scope_arn.replace('/', "%252F");
    assert_raw_error(&server.raw("GET", &format!("/tags/{twice}"), b"").await, 404, "ResourceNotFoundException");

    // An empty ARN is a ValidationException in each operation; no ARN segment at all is no route.
    for (method, body) in [("GET", ""), ("POST", r#"{"tags": {}}"#), ("DELETE", "")] {
        let message =
            assert_raw_error(&server.raw(method, "/tags/", body.as_bytes()).await, 400, "ValidationException");
        assert!(message.starts_with("resourceArn"), "{method}: {message}");
        assert_raw_error(&server.raw(method, "/tags", body.as_bytes()).await, 404, "UnknownOperationException");
    }
    assert_raw_error(&server.raw("PUT", &format!("/tags/{encoded}"), b"").await, 404, "UnknownOperationException");
    assert_raw_error(&server.raw("PATCH", &format!("/tags/{scope_arn}"), b"").await, 404, "UnknownOperationException");

    // TagResource bodies the SDK would not send: each a ValidationException naming `tags`.
    let tag_path = format!("/tags/{scope_arn}");
    for body in [r#""#, r#"{}"#, r#"{"tags": null}"#, r#"{"tags": []}"#, r#"{"tags": "k=v"}"#, r#"{"tags": {"k": 1}}"#]
    {
        let message =
            assert_raw_error(&server.raw("POST", &tag_path, body.as_bytes()).await, 400, "ValidationException");
        assert!(message.starts_with("tags"), "{body}: {message}");
    }
    for body in ["[]", "not json", r#"{"tags": {"k": "v"}} x"#] {
        assert_raw_error(&server.raw("POST", &tag_path, body.as_bytes()).await, 400, "ValidationException");
    }
    // Invalid input on another account's ARN is still a ValidationException (input before existence).
    let foreign = format!("/tags/{}", arn(OTHER, created.scope_id()));
    assert_raw_error(&server.raw("POST", &foreign, br#"{"tags": {"aws:x": ""}}"#).await, 400, "ValidationException");
    assert_raw_error(&server.raw("POST", &foreign, br#"{"tags": {"x": ""}}"#).await, 404, "ResourceNotFoundException");

    // UntagResource: a key of 0 characters (botocore's `tagKeys=` for [""]) is refused.
    for query in ["tagKeys=", "tagKeys=c&tagKeys=", "tagKeys"] {
        let message = assert_raw_error(
            &server.raw("DELETE", &format!("{tag_path}?{query}"), b"").await,
            400,
            "ValidationException",
        );
        assert!(message.starts_with("tagKeys["), "{query}: {message}");
    }
    assert_eq!(listing(tag_path.clone()).await, want, "no refused call changed the tags");
    // Repeated tagKeys are read from the query string as sent, commas and all; other parameters
    // are ignored, and so is a body.
    let resp =
        server.raw("DELETE", &format!("{tag_path}?tagKeys=a%2Cb&other=c&tagKeys=zzz"), br#"{"tagKeys": ["c"]}"#).await;
    assert_eq!((resp.status, resp.body.as_str()), (200, "{}"), "{resp:?}");
    assert_eq!(listing(tag_path.clone()).await, serde_json::json!({"tags": {"c": "2"}}));
    // Tag and untag answer {} with the usual headers.
    let resp = server.raw("POST", &tag_path, br#"{"tags": {"d": ""}}"#).await;
    assert_eq!((resp.status, resp.body.as_str()), (200, "{}"));
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert!(resp.header("x-amzn-requestid").is_some());
    assert_eq!(listing(tag_path).await, serde_json::json!({"tags": {"c": "2", "d": ""}}));
}

// ---------------------------------------------------------------------------------------------
// Failures of the backing store (docs/conventions.md §3.4): every DynamoDB call fails
// ---------------------------------------------------------------------------------------------

/// An SDK client of `server` acting as ME that does not retry.
fn no_retry_client(server: &TestServer) -> Client {
    Client::from_conf(server.nfm(ME).config().to_builder().retry_config(RetryConfig::disabled()).build())
}

/// Runs every operation once through `client` and checks each fails as `$variant` with `$status`;
/// yields the messages.
macro_rules! every_operation_fails_with {
    ($client:expr, $variant:ident, $status:expr) => {{
        let client = &$client;
        let id = "00000000-0000-4000-8000-000000000000";
        let create = client.create_scope().targets(target(ME, "us-east-1")).client_token(TOKEN).send().await;
        let get = client.get_scope().scope_id(id).send().await;
        let list = client.list_scopes().send().await;
        let update = client.update_scope().scope_id(id).resources_to_add(target(ME, "us-west-2")).send().await;
        let delete = client.delete_scope().scope_id(id).send().await;
        let scope_arn = arn(ME, id);
        let tag = client.tag_resource().resource_arn(&scope_arn).tags("k", "v").send().await;
        let untag = client.untag_resource().resource_arn(&scope_arn).tag_keys("k").send().await;
        let list_tags = client.list_tags_for_resource().resource_arn(&scope_arn).send().await;
        [
            expect_error!(create, CreateScopeError::$variant, $status),
            expect_error!(get, GetScopeError::$variant, $status),
            expect_error!(list, ListScopesError::$variant, $status),
            expect_error!(update, UpdateScopeError::$variant, $status),
            expect_error!(delete, DeleteScopeError::$variant, $status),
            expect_error!(tag, TagResourceError::$variant, $status),
            expect_error!(untag, UntagResourceError::$variant, $status),
            expect_error!(list_tags, ListTagsForResourceError::$variant, $status),
        ]
    }};
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_throttling_is_a_throttling_exception() {
    let (server, calls) = failing_server(Fault::Throttle).await;
    for message in every_operation_fails_with!(no_retry_client(&server), ThrottlingException, 429) {
        assert!(!message.contains(INJECTED), "the cause leaked");
    }
    assert_eq!(calls.count(), 8, "one DynamoDB call per request");

    // The SDK's default (standard) retry retries it: three attempts.
    let before = calls.count();
    expect_error!(server.nfm(ME).list_scopes().send().await, ListScopesError::ThrottlingException, 429);
    assert_eq!(calls.count() - before, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_failures_are_generic_internal_server_exceptions() {
    let (server, calls) = failing_server(Fault::ServerError).await;
    for message in every_operation_fails_with!(no_retry_client(&server), InternalServerException, 500) {
        assert!(!message.contains(INJECTED), "the cause leaked: {message}");
        assert!(message.contains("internal error"), "{message}");
    }
    assert_eq!(calls.count(), 8, "one DynamoDB call per request");

    // On the wire: a JSON object body even for a 500, with the modeled type and a request id.
    let resp = server.raw("GET", "/scopes", b"").await;
    let message = assert_raw_error(&resp, 500, "InternalServerException");
    assert!(!message.contains(INJECTED), "{message}");
    assert!(!resp.body.contains(INJECTED), "{resp:?}");

    // InternalServerException is retryable: the default SDK client tries three times.
    let before = calls.count();
    expect_error!(server.nfm(ME).get_scope().scope_id("x").send().await, GetScopeError::InternalServerException, 500);
    assert_eq!(calls.count() - before, 3);

    // Validation happens before the store is touched: a bad request is still a 400.
    let before = calls.count();
    let client = no_retry_client(&server);
    expect_error!(
        client.create_scope().targets(target(ME, "us-east")).send().await,
        CreateScopeError::ValidationException,
        400
    );
    expect_error!(client.update_scope().scope_id("x").send().await, UpdateScopeError::ValidationException, 400);
    expect_error!(client.list_scopes().max_results(26).send().await, ListScopesError::ValidationException, 400);
    let scope_arn = arn(ME, "00000000-0000-4000-8000-000000000000");
    expect_error!(
        client.tag_resource().resource_arn(&scope_arn).tags("aws:k", "v").send().await,
        TagResourceError::ValidationException,
        400
    );
    expect_error!(
        client.untag_resource().resource_arn("arn:aws:s3:::bucket-of-some-length").tag_keys("k").send().await,
        UntagResourceError::ValidationException,
        400
    );
    // A well-formed ARN that is not the caller's scope is not found without asking the store.
    expect_error!(
        client.list_tags_for_resource().resource_arn(arn(OTHER, "x")).send().await,
        ListTagsForResourceError::ResourceNotFoundException,
        404
    );
    assert_eq!(calls.count(), before, "a refused request reached DynamoDB");
}

on_both_stores!(
    lifecycle_create_get_list_update_delete,
    tags_are_echoed_by_every_output,
    get_scope_targets_are_a_set,
    the_largest_valid_requests_are_accepted,
    create_scope_validation_failures_write_nothing,
    update_scope_validation_failures_change_nothing,
    list_scopes_validates_its_parameters,
    unknown_and_foreign_scopes_are_not_found,
    one_scope_per_account,
    client_token_replays_the_original_response,
    client_token_with_a_different_request_conflicts,
    update_past_1000_targets_exceeds_the_quota,
    concurrent_creates_with_one_token_make_one_scope,
    concurrent_creates_with_different_tokens_make_one_scope,
    concurrent_updates_lose_nothing,
    every_aws_region_is_a_valid_target_region,
    raw_malformed_bodies_are_validation_errors,
    raw_unknown_routes_are_unknown_operations,
    raw_path_labels,
    tag_untag_and_list_a_scope,
    tag_validation_failures_change_nothing,
    tag_operations_name_only_the_callers_own_scope,
    the_tag_cap_holds,
    a_deleted_scope_takes_its_tags,
    concurrent_tags_untags_and_updates_lose_nothing,
    raw_tag_routes,
);
