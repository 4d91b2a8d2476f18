//! End-to-end tests of the OpenSearch package operations through the real AWS SDK for Rust
//! (`aws-sdk-opensearch`) against the local server, on both store adapters.
//!
//! Every rule of docs/opensearch.md (with docs/conventions.md) that the SDK can exercise is checked through the SDK:
//! errors by modeled variant, `meta().code()`, HTTP status and a message naming the member; every
//! refused request is followed by a read showing that nothing was written. What the SDK cannot
//! send (wrong JSON types, malformed bodies) goes through `TestServer::raw`. Failures of the
//! backing store are injected into every DynamoDB call.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use aws_sdk_opensearch::Client;
use aws_sdk_opensearch::config::retry::RetryConfig;
use aws_sdk_opensearch::error::ProvideErrorMetadata;
use aws_sdk_opensearch::operation::create_package::CreatePackageError;
use aws_sdk_opensearch::operation::delete_package::DeletePackageError;
use aws_sdk_opensearch::operation::describe_packages::DescribePackagesError;
use aws_sdk_opensearch::operation::get_package_version_history::GetPackageVersionHistoryError;
use aws_sdk_opensearch::operation::update_package::UpdatePackageError;
use aws_sdk_opensearch::operation::update_package_scope::{UpdatePackageScopeError, UpdatePackageScopeOutput};
use aws_sdk_opensearch::types::{
    DescribePackagesFilter, DescribePackagesFilterName, PackageConfiguration, PackageDetails, PackageEncryptionOptions,
    PackageScopeOperationEnum, PackageSource, PackageStatus, PackageType, PackageVendingOptions, RequirementLevel,
};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use crate::helpers::{
    Fault, INJECTED, LOCAL_DEFAULT, StoreKind, TestServer, assert_raw_error, expect_error, failing_server, now,
    on_both_stores,
};

/// The tenant most tests act as, and others for tenancy checks.
const ME: &str = "111111111111";
const OTHER: &str = "222222222222";
const THIRD: &str = "333333333333";
const UNKNOWN_ID: &str = "pkg-0123456789abcdef0123";

/// Expects a `ValidationException` 400 whose message starts with `$member`.
macro_rules! expect_validation {
    ($result:expr, $enum:ident, $member:expr) => {{
        let message = expect_error!($result, $enum::ValidationException, 400);
        assert!(message.starts_with($member), "the message should name {}: {message}", $member);
        message
    }};
}

fn source() -> PackageSource {
    PackageSource::builder().s3_bucket_name("my-bucket").s3_key("packages/words.txt").build()
}

fn vending(enabled: bool) -> PackageVendingOptions {
    PackageVendingOptions::builder().vending_enabled(enabled).build().expect("vending options")
}

/// Creates a TXT-DICTIONARY package named `name`, vending on.
async fn create(client: &Client, name: &str) -> PackageDetails {
    let out = client
        .create_package()
        .package_name(name)
        .package_type(PackageType::TxtDictionary)
        .package_source(source())
        .package_vending_options(vending(true))
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreatePackage {name}: {e:?}"));
    out.package_details.expect("PackageDetails")
}

fn id_of(details: &PackageDetails) -> String {
    details.package_id().expect("PackageID").to_owned()
}

async fn update(
    client: &Client,
    id: &str,
    operation: PackageScopeOperationEnum,
    users: &[&str],
) -> UpdatePackageScopeOutput {
    client
        .update_package_scope()
        .package_id(id)
        .operation(operation)
        .set_package_user_list(Some(users.iter().map(|u| (*u).to_owned()).collect()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("UpdatePackageScope {id}: {e:?}"))
}

/// Every package `client` sees (all pages), in answer order.
async fn describe_all(client: &Client) -> Vec<PackageDetails> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = client.describe_packages().set_next_token(token.take()).send().await.expect("DescribePackages");
        all.extend(out.package_details_list.unwrap_or_default());
        match out.next_token {
            Some(next) => token = Some(next),
            None => return all,
        }
    }
}

/// The package `id` as `client` sees it, if it sees it.
async fn describe_one(client: &Client, id: &str) -> Option<PackageDetails> {
    let filter = DescribePackagesFilter::builder().name(DescribePackagesFilterName::PackageId).value(id).build();
    let out = client.describe_packages().filters(filter).send().await.expect("DescribePackages by ID");
    let mut list = out.package_details_list.unwrap_or_default();
    assert!(list.len() <= 1, "one ID, one package: {list:?}");
    list.pop()
}

fn ids(list: &[PackageDetails]) -> Vec<String> {
    list.iter().map(id_of).collect()
}

/// The owner's view of the scope.
async fn users_of(client: &Client, id: &str) -> Vec<String> {
    let details = describe_one(client, id).await.expect("the owner sees its package");
    details.allow_listed_user_list.expect("AllowListedUserList is always in the owner's view")
}

fn assert_package_id(id: &str) {
    let hex = id.strip_prefix("pkg-").unwrap_or_else(|| panic!("'{id}' does not start with pkg-"));
    assert_eq!(hex.len(), 20, "'{id}' should have 20 hex digits");
    assert!(hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')), "'{id}' is not lowercase hex");
}

const CREATE: &str = "/2021-01-01/packages";
const SCOPE: &str = "/2021-01-01/packages/updateScope";
const DESCRIBE: &str = "/2021-01-01/packages/describe";
const UPDATE: &str = "/2021-01-01/packages/update";

// ---------------------------------------------------------------------------------------------
// Happy paths
// ---------------------------------------------------------------------------------------------

async fn lifecycle_create_describe_update_delete(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.opensearch(ME);
    assert!(describe_all(&client).await.is_empty());

    let before = now();
    let config = PackageConfiguration::builder()
        .license_requirement(RequirementLevel::Required)
        .license_filepath("licenses/LICENSE.txt")
        .configuration_requirement(RequirementLevel::Optional)
        .requires_restart_for_configuration_update(true)
        .build()
        .expect("configuration");
    let encryption = PackageEncryptionOptions::builder()
        .encryption_enabled(true)
        .kms_key_identifier("alias/packages")
        .build()
        .expect("encryption");
    let created = client
        .create_package()
        .package_name("analysis-plugin")
        .package_type(PackageType::ZipPlugin)
        .package_description("A plugin, with ünïcödé")
        .package_source(source())
        .package_configuration(config.clone())
        .engine_version("OpenSearch_2.11")
        .package_vending_options(vending(true))
        .package_encryption_options(encryption.clone())
        .send()
        .await
        .expect("CreatePackage")
        .package_details
        .expect("PackageDetails");
    let id = id_of(&created);
    assert_package_id(&id);
    assert_eq!(created.package_name(), Some("analysis-plugin"));
    assert_eq!(created.package_type(), Some(&PackageType::ZipPlugin));
    assert_eq!(created.package_description(), Some("A plugin, with ünïcödé"));
    assert_eq!(created.package_status(), Some(&PackageStatus::Available), "AVAILABLE at once");
    assert_eq!(created.package_owner(), Some(ME));
    assert_eq!(created.engine_version(), Some("OpenSearch_2.11"));
    assert_eq!(created.available_package_configuration(), Some(&config));
    assert_eq!(created.package_vending_options(), Some(&vending(true)));
    assert_eq!(created.package_encryption_options(), Some(&encryption));
    assert_eq!(created.allow_listed_user_list, Some(vec![]), "the owner's view has the (empty) scope");
    // Timestamps are epoch-second numbers the SDK parses into DateTimes.
    let created_at = created.created_at().expect("CreatedAt").secs();
    assert!((before - 1..=now() + 1).contains(&created_at), "CreatedAt {created_at} is not now");
    assert_eq!(created.last_updated_at().map(|t| t.secs()), Some(created_at));

    let listed = describe_all(&client).await;
    assert_eq!(listed, vec![created.clone()], "DescribePackages shows what CreatePackage answered");

    let added = update(&client, &id, PackageScopeOperationEnum::Add, &[OTHER, "GLOBAL", OTHER]).await;
    assert_eq!(added.package_id(), Some(id.as_str()));
    assert_eq!(added.operation(), Some(&PackageScopeOperationEnum::Add));
    assert_eq!(added.package_user_list(), [OTHER, "GLOBAL"]);
    let shown = describe_one(&client, &id).await.expect("own package");
    assert_eq!(shown.allow_listed_user_list, Some(vec![OTHER.to_owned(), "GLOBAL".to_owned()]));
    assert!(shown.last_updated_at().expect("LastUpdatedAt").secs() >= created_at);
    assert_eq!(shown.created_at(), created.created_at());

    let deleted = client.delete_package().package_id(&id).send().await.expect("DeletePackage");
    let deleted = deleted.package_details.expect("PackageDetails");
    assert_eq!(deleted.package_status(), Some(&PackageStatus::Deleted));
    assert_eq!(deleted.package_id(), Some(id.as_str()));
    assert_eq!(deleted.package_name(), Some("analysis-plugin"));
    assert_eq!(deleted.allow_listed_user_list, Some(vec![OTHER.to_owned(), "GLOBAL".to_owned()]));
    assert!(describe_all(&client).await.is_empty(), "gone after DeletePackage");
    assert!(describe_all(&server.opensearch(THIRD)).await.is_empty(), "gone for GLOBAL too");
}

async fn minimal_package_has_vending_off_and_no_optional_members(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.opensearch(ME);
    let created = client
        .create_package()
        .package_name("dict")
        .package_type(PackageType::TxtDictionary)
        .package_source(source())
        .send()
        .await
        .expect("CreatePackage")
        .package_details
        .expect("PackageDetails");
    assert_eq!(created.package_vending_options(), Some(&vending(false)), "absent = false");
    assert_eq!(created.package_description(), None);
    assert_eq!(created.engine_version(), None);
    assert_eq!(created.available_package_configuration(), None);
    assert_eq!(created.package_encryption_options(), None);

    // On the wire: numbers for the timestamps, `[]` for the owner's empty scope.
    let resp = server.raw("POST", DESCRIBE, b"{}").await;
    assert_eq!(resp.status, 200, "{resp:?}");
    assert!(resp.body.contains("\"PackageDetailsList\""), "{resp:?}");
    let body = server
        .raw(
            "POST",
            CREATE,
            br#"{"PackageName":"raw-dict","PackageType":"TXT-DICTIONARY","PackageSource":{"S3BucketName":"abc","S3Key":"k"}}"#,
        )
        .await;
    assert_eq!(body.status, 200, "{body:?}");
    let json: serde_json::Value = serde_json::from_str(&body.body).expect("JSON");
    let details = &json["PackageDetails"];
    assert!(details["CreatedAt"].is_number(), "{details}");
    assert!(details["LastUpdatedAt"].is_number(), "{details}");
    assert_eq!(details["AllowListedUserList"], serde_json::json!([]));
    assert_eq!(details["PackageOwner"], LOCAL_DEFAULT);
    assert_eq!(details["PackageStatus"], "AVAILABLE");
    assert_eq!(details["PackageVendingOptions"], serde_json::json!({"VendingEnabled": false}));
    assert!(details.get("PackageSource").is_none(), "PackageSource is not an output member");
}

async fn package_names_are_unique_per_owner(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let (me, other) = (server.opensearch(ME), server.opensearch(OTHER));
    let first = create(&me, "synonyms").await;
    let again = me
        .create_package()
        .package_name("synonyms")
        .package_type(PackageType::PackageConfig)
        .package_source(source())
        .send()
        .await;
    let message = expect_error!(again, CreatePackageError::ResourceAlreadyExistsException, 409);
    assert!(message.contains("synonyms"), "{message}");
    assert_eq!(ids(&describe_all(&me).await), [id_of(&first)], "nothing written");
    let theirs = create(&other, "synonyms").await;
    assert_ne!(id_of(&theirs), id_of(&first));
    assert_eq!(ids(&describe_all(&other).await), [id_of(&theirs)]);
}

async fn scope_operations_are_set_operations(kind: StoreKind) {
    use PackageScopeOperationEnum::{Add, Override, Remove};
    let server = TestServer::on(kind).await;
    let client = server.opensearch(ME);
    let id = id_of(&create(&client, "scoped").await);

    let out = update(&client, &id, Add, &["GLOBAL", THIRD, OTHER, THIRD]).await;
    assert_eq!(out.package_user_list(), [OTHER, THIRD, "GLOBAL"], "a set, sorted");
    let out = update(&client, &id, Add, &[OTHER]).await;
    assert_eq!(out.package_user_list(), [OTHER, THIRD, "GLOBAL"], "adding a present user is a no-op");
    let out = update(&client, &id, Remove, &[THIRD, "999999999999"]).await;
    assert_eq!(out.operation(), Some(&Remove));
    assert_eq!(out.package_user_list(), [OTHER, "GLOBAL"], "removing an absent user is a no-op");
    let out = update(&client, &id, Add, &[]).await;
    assert_eq!(out.package_user_list(), [OTHER, "GLOBAL"], "ADD [] answers the current set");
    let out = update(&client, &id, Remove, &[]).await;
    assert_eq!(out.package_user_list(), [OTHER, "GLOBAL"], "REMOVE [] answers the current set");
    let out = update(&client, &id, Override, &[THIRD, ME]).await;
    assert_eq!(out.operation(), Some(&Override));
    assert_eq!(out.package_user_list(), [ME, THIRD], "OVERRIDE replaces");
    assert_eq!(users_of(&client, &id).await, [ME, THIRD]);
    let out = update(&client, &id, Override, &[]).await;
    assert!(out.package_user_list().is_empty(), "OVERRIDE [] clears");
    assert_eq!(out.package_user_list, Some(vec![]), "the list is present, empty");
    assert!(users_of(&client, &id).await.is_empty());
}

async fn vending_off_is_a_disabled_operation(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.opensearch(ME);
    let closed = client
        .create_package()
        .package_name("closed")
        .package_type(PackageType::TxtDictionary)
        .package_source(source())
        .package_vending_options(vending(false))
        .send()
        .await
        .expect("CreatePackage")
        .package_details
        .expect("details");
    let id = id_of(&closed);
    for op in [PackageScopeOperationEnum::Add, PackageScopeOperationEnum::Remove, PackageScopeOperationEnum::Override] {
        let result = client.update_package_scope().package_id(&id).operation(op).package_user_list(OTHER).send().await;
        let message = expect_error!(result, UpdatePackageScopeError::DisabledOperationException, 409);
        assert!(message.contains(&id), "{message}");
    }
    assert!(users_of(&client, &id).await.is_empty());
    assert!(describe_all(&server.opensearch(OTHER)).await.is_empty());
}

async fn scope_is_capped_at_1000_users(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.opensearch(ME);
    let id = id_of(&create(&client, "crowded").await);
    let thousand: Vec<String> = (0..1000u64).map(|i| format!("{:012}", 500_000_000_000 + i)).collect();
    let out = client
        .update_package_scope()
        .package_id(&id)
        .operation(PackageScopeOperationEnum::Override)
        .set_package_user_list(Some(thousand.clone()))
        .send()
        .await
        .expect("exactly 1000 fits");
    assert_eq!(out.package_user_list(), thousand.as_slice());

    let over = client
        .update_package_scope()
        .package_id(&id)
        .operation(PackageScopeOperationEnum::Add)
        .package_user_list("GLOBAL")
        .send()
        .await;
    let message = expect_validation!(over, UpdatePackageScopeError, "PackageUserList");
    assert!(message.contains("1001") && message.contains("1000"), "{message}");
    let mut too_many = thousand.clone();
    too_many.push("GLOBAL".into());
    let over = client
        .update_package_scope()
        .package_id(&id)
        .operation(PackageScopeOperationEnum::Override)
        .set_package_user_list(Some(too_many))
        .send()
        .await;
    expect_validation!(over, UpdatePackageScopeError, "PackageUserList");
    assert_eq!(users_of(&client, &id).await, thousand, "refused changes wrote nothing");
    // Present users still fit.
    let out = update(&client, &id, PackageScopeOperationEnum::Add, &[&thousand[0]]).await;
    assert_eq!(out.package_user_list().len(), 1000);
}

async fn other_tenants_see_only_what_is_shared_and_change_nothing(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let (me, other, third) = (server.opensearch(ME), server.opensearch(OTHER), server.opensearch(THIRD));
    let mine = id_of(&create(&me, "mine").await);
    let theirs = id_of(&create(&other, "theirs").await);
    assert_eq!(ids(&describe_all(&other).await), [theirs.as_str()]);

    // Another tenant's update and delete: not found (409), the owner's package untouched.
    for op in [PackageScopeOperationEnum::Add, PackageScopeOperationEnum::Remove, PackageScopeOperationEnum::Override] {
        let r = other.update_package_scope().package_id(&mine).operation(op).package_user_list(OTHER).send().await;
        let message = expect_error!(r, UpdatePackageScopeError::ResourceNotFoundException, 409);
        assert_eq!(message, format!("Package not found: {mine}"));
    }
    let r = other.delete_package().package_id(&mine).send().await;
    assert_eq!(
        expect_error!(r, DeletePackageError::ResourceNotFoundException, 409),
        format!("Package not found: {mine}")
    );
    assert!(users_of(&me, &mine).await.is_empty());

    // Shared with OTHER: it sees the package, without the scope; THIRD does not.
    update(&me, &mine, PackageScopeOperationEnum::Add, &[OTHER]).await;
    let seen = describe_one(&other, &mine).await.expect("shared with OTHER");
    assert_eq!(seen.package_owner(), Some(ME));
    assert_eq!(seen.package_name(), Some("mine"));
    assert_eq!(seen.allow_listed_user_list, None, "AllowListedUserList is only for the owner");
    assert!(describe_one(&third, &mine).await.is_none());
    let listed = describe_all(&other).await;
    let own = listed.iter().find(|p| id_of(p) == theirs).expect("own package");
    assert_eq!(own.allow_listed_user_list, Some(vec![]), "its own package has the owner's view");
    // Being in the scope gives no right to change it or delete it.
    let r = other
        .update_package_scope()
        .package_id(&mine)
        .operation(PackageScopeOperationEnum::Remove)
        .package_user_list(OTHER)
        .send()
        .await;
    expect_error!(r, UpdatePackageScopeError::ResourceNotFoundException, 409);
    let r = other.delete_package().package_id(&mine).send().await;
    expect_error!(r, DeletePackageError::ResourceNotFoundException, 409);

    // GLOBAL: everyone sees it; removing it hides it again.
    update(&me, &mine, PackageScopeOperationEnum::Add, &["GLOBAL"]).await;
    let seen = describe_one(&third, &mine).await.expect("GLOBAL");
    assert_eq!(seen.allow_listed_user_list, None);
    assert!(describe_one(&server.opensearch("444444444444"), &mine).await.is_some());
    update(&me, &mine, PackageScopeOperationEnum::Remove, &["GLOBAL"]).await;
    assert!(describe_one(&third, &mine).await.is_none());
    update(&me, &mine, PackageScopeOperationEnum::Override, &[THIRD]).await;
    assert!(describe_one(&other, &mine).await.is_none(), "OVERRIDE removed OTHER");
    assert!(describe_one(&third, &mine).await.is_some());

    // Unknown IDs of valid shape are not found too.
    let r = me
        .update_package_scope()
        .package_id(UNKNOWN_ID)
        .operation(PackageScopeOperationEnum::Add)
        .package_user_list(OTHER)
        .send()
        .await;
    expect_error!(r, UpdatePackageScopeError::ResourceNotFoundException, 409);
    let r = me.update_package_scope().package_id("F123").operation(PackageScopeOperationEnum::Add).send().await;
    // (no PackageUserList: validation comes first)
    expect_validation!(r, UpdatePackageScopeError, "PackageUserList");
    let r = me
        .update_package_scope()
        .package_id("G130336370")
        .operation(PackageScopeOperationEnum::Add)
        .set_package_user_list(Some(vec![]))
        .send()
        .await;
    expect_error!(r, UpdatePackageScopeError::ResourceNotFoundException, 409);
    let r = me.delete_package().package_id(UNKNOWN_ID).send().await;
    expect_error!(r, DeletePackageError::ResourceNotFoundException, 409);
}

async fn delete_frees_the_name_and_later_calls_are_not_found(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let (me, other) = (server.opensearch(ME), server.opensearch(OTHER));
    let id = id_of(&create(&me, "ephemeral").await);
    update(&me, &id, PackageScopeOperationEnum::Add, &[OTHER]).await;
    me.delete_package().package_id(&id).send().await.expect("DeletePackage");

    let r = me
        .update_package_scope()
        .package_id(&id)
        .operation(PackageScopeOperationEnum::Add)
        .package_user_list(THIRD)
        .send()
        .await;
    assert_eq!(
        expect_error!(r, UpdatePackageScopeError::ResourceNotFoundException, 409),
        format!("Package not found: {id}")
    );
    let r = me
        .update_package_scope()
        .package_id(&id)
        .operation(PackageScopeOperationEnum::Add)
        .set_package_user_list(Some(vec![]))
        .send()
        .await;
    expect_error!(r, UpdatePackageScopeError::ResourceNotFoundException, 409);
    let r = me.delete_package().package_id(&id).send().await;
    expect_error!(r, DeletePackageError::ResourceNotFoundException, 409);
    assert!(describe_one(&me, &id).await.is_none());
    assert!(describe_one(&other, &id).await.is_none(), "the share went with the package");

    let again = id_of(&create(&me, "ephemeral").await);
    assert_ne!(again, id);
    assert!(describe_one(&other, &again).await.is_none(), "a new package with the old name is not shared");
}

/// `n` concurrent UpdatePackageScope ADDs of accounts `base`, `base + 1`, …, one per task; each
/// task yields its user and the SDK's answer.
type AddTask = tokio::task::JoinHandle<(
    String,
    Result<
        aws_sdk_opensearch::operation::update_package_scope::UpdatePackageScopeOutput,
        aws_sdk_opensearch::error::SdkError<
            aws_sdk_opensearch::operation::update_package_scope::UpdatePackageScopeError,
        >,
    >,
)>;

fn spawn_adds(client: &aws_sdk_opensearch::Client, id: &str, base: u64, n: u64) -> Vec<AddTask> {
    (0..n)
        .map(|i| {
            let (client, id) = (client.clone(), id.to_owned());
            let user = format!("{:012}", base + i);
            tokio::spawn(async move {
                let out = client
                    .update_package_scope()
                    .package_id(id)
                    .operation(PackageScopeOperationEnum::Add)
                    .package_user_list(&user)
                    .send()
                    .await;
                (user, out)
            })
        })
        .collect()
}

async fn concurrent_adds_from_20_tasks_all_survive(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.opensearch(ME);
    let id = id_of(&create(&client, "popular").await);
    let tasks = spawn_adds(&client, &id, 600_000_000_000, 20);
    let mut want = BTreeSet::new();
    for task in tasks {
        let (user, out) = task.await.expect("task");
        let out = out.unwrap_or_else(|e| panic!("ADD {user}: {e:?}"));
        assert!(out.package_user_list().contains(&user), "the answer holds the task's own user");
        want.insert(user);
    }
    let got: BTreeSet<String> = users_of(&client, &id).await.into_iter().collect();
    assert_eq!(got, want, "every concurrent ADD survived");
    // Each of those accounts now sees the package, without the scope.
    for user in want.iter().take(5) {
        let seen = describe_one(&server.opensearch(user), &id).await.expect("shared");
        assert_eq!(seen.allow_listed_user_list, None);
    }
}

// ---------------------------------------------------------------------------------------------
// DescribePackages: filters and pages
// ---------------------------------------------------------------------------------------------

async fn describe_filters(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let (me, other) = (server.opensearch(ME), server.opensearch(OTHER));
    let dict = id_of(&create(&me, "dict").await);
    let plugin = me
        .create_package()
        .package_name("plugin")
        .package_type(PackageType::ZipPlugin)
        .package_source(source())
        .engine_version("OpenSearch_2.11")
        .send()
        .await
        .expect("CreatePackage")
        .package_details
        .expect("details");
    let plugin = id_of(&plugin);
    let shared = id_of(&create(&other, "shared-dict").await);
    update(&other, &shared, PackageScopeOperationEnum::Add, &[ME]).await;

    let run = |filters: Vec<(DescribePackagesFilterName, Vec<&str>)>| {
        let me = me.clone();
        let filters: Vec<DescribePackagesFilter> = filters
            .into_iter()
            .map(|(name, values)| {
                DescribePackagesFilter::builder()
                    .name(name)
                    .set_value(Some(values.into_iter().map(str::to_owned).collect()))
                    .build()
            })
            .collect();
        async move {
            let out = me.describe_packages().set_filters(Some(filters)).send().await.expect("DescribePackages");
            out.package_details_list
                .expect("PackageDetailsList is always there")
                .iter()
                .map(id_of)
                .collect::<BTreeSet<_>>()
        }
    };
    let set = |items: &[&String]| items.iter().map(|s| (*s).clone()).collect::<BTreeSet<_>>();
    use DescribePackagesFilterName as F;
    assert_eq!(run(vec![]).await, set(&[&dict, &plugin, &shared]));
    assert_eq!(run(vec![(F::PackageType, vec!["TXT-DICTIONARY"])]).await, set(&[&dict, &shared]));
    assert_eq!(
        run(vec![(F::PackageType, vec!["ZIP-PLUGIN", "TXT-DICTIONARY"])]).await,
        set(&[&dict, &plugin, &shared])
    );
    assert_eq!(run(vec![(F::PackageName, vec!["plugin"])]).await, set(&[&plugin]));
    assert_eq!(run(vec![(F::PackageId, vec![&shared, UNKNOWN_ID])]).await, set(&[&shared]));
    assert_eq!(run(vec![(F::EngineVersion, vec!["OpenSearch_2.11"])]).await, set(&[&plugin]));
    assert_eq!(run(vec![(F::PackageOwner, vec![OTHER])]).await, set(&[&shared]));
    assert_eq!(run(vec![(F::PackageOwner, vec![ME])]).await, set(&[&dict, &plugin]));
    assert_eq!(run(vec![(F::PackageStatus, vec!["AVAILABLE"])]).await, set(&[&dict, &plugin, &shared]));
    assert_eq!(
        run(vec![(F::PackageType, vec!["TXT-DICTIONARY"]), (F::PackageOwner, vec![ME])]).await,
        set(&[&dict]),
        "all filters must match"
    );
    assert!(run(vec![(F::PackageName, vec!["nothing-here"])]).await.is_empty(), "no match is an empty list");
    assert!(run(vec![(F::PackageStatus, vec!["DELETED"])]).await.is_empty());
    // Only what the caller may see is filtered: another account's unshared package stays hidden.
    let hidden = id_of(&create(&other, "hidden").await);
    assert!(run(vec![(F::PackageId, vec![&hidden])]).await.is_empty());

    // Broken filters.
    let bad = |filter: DescribePackagesFilter| me.describe_packages().filters(filter).send();
    let r = bad(DescribePackagesFilter::builder().name(F::from("Colour")).value("x").build()).await;
    let message = expect_validation!(r, DescribePackagesError, "Filters[0].Name");
    assert!(message.contains("Colour"), "{message}");
    let r = bad(DescribePackagesFilter::builder().name(F::PackageName).set_value(Some(vec![])).build()).await;
    expect_validation!(r, DescribePackagesError, "Filters[0].Value");
    let r = bad(DescribePackagesFilter::builder().name(F::PackageName).value("ok").value("not ok").build()).await;
    expect_validation!(r, DescribePackagesError, "Filters[0].Value[1]");
    let r = bad(DescribePackagesFilter::builder().value("x").build()).await;
    expect_validation!(r, DescribePackagesError, "Filters[0].Name");
}

async fn describe_pages(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.opensearch(ME);
    let mut all = Vec::new();
    for i in 0..7 {
        all.push(id_of(&create(&client, &format!("page-{i}")).await));
    }
    all.sort();

    let mut pages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = client.describe_packages().max_results(3).set_next_token(token.take()).send().await.expect("page");
        pages.push(ids(out.package_details_list()));
        match out.next_token() {
            Some(next) => {
                assert!(!next.is_empty());
                token = Some(next.to_owned());
            }
            None => break,
        }
    }
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 1], "the last page has no NextToken");
    assert_eq!(pages.concat(), all, "ordered by PackageID, nothing repeated or lost");

    // Exactly one full page: no token.
    let out = client.describe_packages().max_results(7).send().await.expect("one page");
    assert_eq!(out.package_details_list().len(), 7);
    assert_eq!(out.next_token(), None);
    let out = client.describe_packages().max_results(100).send().await.expect("max");
    assert_eq!(out.package_details_list().len(), 7);

    // The SDK's own paginator.
    let mut stream = client.describe_packages().into_paginator().page_size(2).send();
    let mut seen = Vec::new();
    while let Some(page) = stream.next().await {
        seen.extend(ids(page.expect("page").package_details_list()));
    }
    assert_eq!(seen, all);

    // 0 is the model's default: the default page size (100).
    let out = client.describe_packages().max_results(0).send().await.expect("MaxResults 0");
    assert_eq!(out.package_details_list().len(), 7);
    for bad in [101, -1, i32::MAX, i32::MIN] {
        let r = client.describe_packages().max_results(bad).send().await;
        expect_validation!(r, DescribePackagesError, "MaxResults");
    }
    for token in ["garbage", "", "eyJ4IjoxfQ"] {
        let r = client.describe_packages().next_token(token).send().await;
        expect_validation!(r, DescribePackagesError, "NextToken");
    }
}

/// Records the body of every request its client sends.
#[derive(Debug, Clone, Default)]
struct BodyRecorder(Arc<Mutex<Vec<String>>>);

impl Intercept for BodyRecorder {
    fn name(&self) -> &'static str {
        "BodyRecorder"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let body = context.request().body().bytes().map(|b| String::from_utf8_lossy(b).into_owned());
        self.0.lock().expect("lock").push(body.unwrap_or_default());
        Ok(())
    }
}

/// The model gives `MaxResults` `@default(0)`: aws-sdk-opensearch still sends nothing when it is
/// unset (its input member is an `Option<i32>`), and 0 only when asked to. Both mean 100 here.
async fn the_sdk_omits_max_results_when_unset(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let recorder = BodyRecorder::default();
    let client = Client::from_conf(server.opensearch(ME).config().to_builder().interceptor(recorder.clone()).build());
    client.describe_packages().send().await.expect("DescribePackages");
    client.describe_packages().max_results(0).send().await.expect("DescribePackages with 0");
    client.describe_packages().into_paginator().send().next().await.expect("a page").expect("page");
    let bodies = recorder.0.lock().expect("lock").clone();
    assert_eq!(bodies[0], "{}", "unset MaxResults is not sent");
    assert_eq!(bodies[1], r#"{"MaxResults":0}"#);
    assert_eq!(bodies[2], "{}", "the paginator without page_size sends none either");
}

// ---------------------------------------------------------------------------------------------
// Validation through the SDK
// ---------------------------------------------------------------------------------------------

async fn update_package_scope_validation_failures_change_nothing(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.opensearch(ME);
    let id = id_of(&create(&client, "guarded").await);
    update(&client, &id, PackageScopeOperationEnum::Add, &[OTHER]).await;
    let send = |package_id: Option<&str>, op: Option<PackageScopeOperationEnum>, users: Option<Vec<&str>>| {
        client
            .update_package_scope()
            .set_package_id(package_id.map(str::to_owned))
            .set_operation(op)
            .set_package_user_list(users.map(|u| u.into_iter().map(str::to_owned).collect()))
            .send()
    };
    use PackageScopeOperationEnum::Add;
    let id = id.as_str();
    expect_validation!(send(None, Some(Add), Some(vec![THIRD])).await, UpdatePackageScopeError, "PackageID");
    expect_validation!(send(Some(id), None, Some(vec![THIRD])).await, UpdatePackageScopeError, "Operation");
    expect_validation!(send(Some(id), Some(Add), None).await, UpdatePackageScopeError, "PackageUserList");
    for bad_id in ["pkg-ABC", "package-1", "F12x", "", "pkg-", "g123"] {
        let message = expect_validation!(
            send(Some(bad_id), Some(Add), Some(vec![THIRD])).await,
            UpdatePackageScopeError,
            "PackageID"
        );
        assert!(message.contains(&format!("'{bad_id}'")), "{message}");
    }
    let op = PackageScopeOperationEnum::from("MERGE");
    let message =
        expect_validation!(send(Some(id), Some(op), Some(vec![THIRD])).await, UpdatePackageScopeError, "Operation");
    assert!(message.contains("MERGE"), "{message}");
    let op = PackageScopeOperationEnum::from("add");
    expect_validation!(send(Some(id), Some(op), Some(vec![THIRD])).await, UpdatePackageScopeError, "Operation");
    let message = expect_validation!(
        send(Some(id), Some(Add), Some(vec![THIRD, "GLOBAL", "global"])).await,
        UpdatePackageScopeError,
        "PackageUserList[2]"
    );
    assert!(message.contains("'global'"), "{message}");
    for bad_user in ["12345678901", "1234567890123", "Global", "abcdefghijkl", "", " 111111111111"] {
        expect_validation!(
            send(Some(id), Some(Add), Some(vec![bad_user])).await,
            UpdatePackageScopeError,
            "PackageUserList[0]"
        );
    }
    assert_eq!(users_of(&client, id).await, [OTHER], "no refused request wrote anything");
}

async fn create_package_validation_failures_write_nothing(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.opensearch(ME);
    let base = || {
        client
            .create_package()
            .package_name("valid-name")
            .package_type(PackageType::TxtDictionary)
            .package_source(source())
    };
    expect_validation!(base().set_package_name(None).send().await, CreatePackageError, "PackageName");
    for bad in ["ab", "Upper", "1digit", "under_score", "-dash", "spa ce"] {
        expect_validation!(base().package_name(bad).send().await, CreatePackageError, "PackageName");
    }
    expect_validation!(base().package_name("a".repeat(257)).send().await, CreatePackageError, "PackageName");
    expect_validation!(base().set_package_type(None).send().await, CreatePackageError, "PackageType");
    expect_validation!(base().package_type(PackageType::from("JAR")).send().await, CreatePackageError, "PackageType");
    expect_validation!(base().set_package_source(None).send().await, CreatePackageError, "PackageSource");
    let only_key = PackageSource::builder().s3_key("k").build();
    expect_validation!(base().package_source(only_key).send().await, CreatePackageError, "PackageSource.S3BucketName");
    let only_bucket = PackageSource::builder().s3_bucket_name("bucket").build();
    expect_validation!(base().package_source(only_bucket).send().await, CreatePackageError, "PackageSource.S3Key");
    let short_bucket = PackageSource::builder().s3_bucket_name("ab").s3_key("k").build();
    expect_validation!(
        base().package_source(short_bucket).send().await,
        CreatePackageError,
        "PackageSource.S3BucketName"
    );
    let long_key = PackageSource::builder().s3_bucket_name("abc").s3_key("k".repeat(1025)).build();
    expect_validation!(base().package_source(long_key).send().await, CreatePackageError, "PackageSource.S3Key");
    expect_validation!(
        base().package_description("d".repeat(1025)).send().await,
        CreatePackageError,
        "PackageDescription"
    );
    for bad in ["OpenSearch_2", "opensearch_2.11", "Elasticsearch_10.1", "OpenSearch_2.11.0"] {
        expect_validation!(base().engine_version(bad).send().await, CreatePackageError, "EngineVersion");
    }
    let config = |path: &str| {
        PackageConfiguration::builder()
            .license_requirement(RequirementLevel::Required)
            .configuration_requirement(RequirementLevel::None)
            .license_filepath(path)
            .build()
            .expect("configuration")
    };
    for bad in ["../etc/passwd", "a/../b", "a..b", "/abs", "trailing/", "sp ace", &"a".repeat(257)] {
        let r = base().package_configuration(config(bad)).send().await;
        expect_validation!(r, CreatePackageError, "PackageConfiguration.LicenseFilepath");
    }
    let bad_level = PackageConfiguration::builder()
        .license_requirement(RequirementLevel::from("MAYBE"))
        .configuration_requirement(RequirementLevel::None)
        .build()
        .expect("configuration");
    let r = base().package_configuration(bad_level).send().await;
    expect_validation!(r, CreatePackageError, "PackageConfiguration.LicenseRequirement");
    let kms = PackageEncryptionOptions::builder().encryption_enabled(true).kms_key_identifier("").build().unwrap();
    let r = base().package_encryption_options(kms).send().await;
    expect_validation!(r, CreatePackageError, "PackageEncryptionOptions.KmsKeyIdentifier");
    assert!(describe_all(&client).await.is_empty(), "nothing was written");

    // The longest valid values are accepted.
    let longest = client
        .create_package()
        .package_name(format!("a{}", "b".repeat(255)))
        .package_type(PackageType::PackageLicense)
        .package_description("d".repeat(1024))
        .package_source(PackageSource::builder().s3_bucket_name("b".repeat(63)).s3_key("k".repeat(1024)).build())
        .package_configuration(config(&format!("{}/{}", "a".repeat(127), "b".repeat(128))))
        .package_encryption_options(
            PackageEncryptionOptions::builder()
                .encryption_enabled(false)
                .kms_key_identifier("k".repeat(500))
                .build()
                .unwrap(),
        )
        .engine_version("Elasticsearch_7.10")
        .send()
        .await;
    assert!(longest.is_ok(), "{longest:?}");
}

async fn delete_package_validates_its_label(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.opensearch(ME);
    let id = id_of(&create(&client, "kept").await);
    for bad in ["pkg-XYZ", "not-an-id", "F", "pkg-abc def"] {
        let r = client.delete_package().package_id(bad).send().await;
        expect_validation!(r, DeletePackageError, "PackageID");
    }
    // What the SDK refuses to send: an empty label, or one with a slash (encoded).
    let resp = server.raw("DELETE", "/2021-01-01/packages/", b"").await;
    let message = assert_raw_error(&resp, 400, "ValidationException");
    assert!(message.starts_with("PackageID"), "{message}");
    let resp = server.raw("DELETE", "/2021-01-01/packages/pkg-a%2Fb", b"").await;
    assert_raw_error(&resp, 400, "ValidationException");
    assert_eq!(ids(&describe_all(&client).await), [id], "nothing was deleted");
}

// ---------------------------------------------------------------------------------------------
// UpdatePackage and GetPackageVersionHistory
// ---------------------------------------------------------------------------------------------

/// UpdatePackage of `id` with a new source (key `key`) and nothing else.
async fn update_package(client: &Client, id: &str, key: &str) -> PackageDetails {
    let source = PackageSource::builder().s3_bucket_name("my-bucket").s3_key(key).build();
    let out = client.update_package().package_id(id).package_source(source).send().await;
    out.unwrap_or_else(|e| panic!("UpdatePackage {id}: {e:?}")).package_details.expect("PackageDetails")
}

/// The whole version history of `id` (all pages, the SDK's paginator), newest first.
async fn history_of(client: &Client, id: &str) -> Vec<aws_sdk_opensearch::types::PackageVersionHistory> {
    let mut stream = client.get_package_version_history().package_id(id).into_paginator().send();
    let mut all = Vec::new();
    while let Some(page) = stream.next().await {
        let page = page.expect("GetPackageVersionHistory page");
        assert_eq!(page.package_id(), Some(id), "the answer echoes PackageID");
        all.extend(page.package_version_history_list.unwrap_or_default());
    }
    all
}

fn version_names(history: &[aws_sdk_opensearch::types::PackageVersionHistory]) -> Vec<&str> {
    history.iter().map(|v| v.package_version().expect("PackageVersion")).collect()
}

async fn update_package_makes_versions_every_package_details_shows(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let (me, other) = (server.opensearch(ME), server.opensearch(OTHER));
    let config = |level| {
        PackageConfiguration::builder()
            .license_requirement(level)
            .configuration_requirement(RequirementLevel::Optional)
            .build()
            .expect("configuration")
    };
    let encryption = PackageEncryptionOptions::builder().encryption_enabled(true).build().expect("encryption");
    let created = me
        .create_package()
        .package_name("evolving")
        .package_type(PackageType::ZipPlugin)
        .package_description("first edition")
        .package_source(source())
        .package_configuration(config(RequirementLevel::Required))
        .engine_version("OpenSearch_2.11")
        .package_vending_options(vending(true))
        .package_encryption_options(encryption.clone())
        .send()
        .await
        .expect("CreatePackage")
        .package_details
        .expect("PackageDetails");
    assert_eq!(created.available_package_version(), Some("v1"), "CreatePackage answers v1");
    let id = id_of(&created);
    update(&me, &id, PackageScopeOperationEnum::Add, &[OTHER]).await;

    // Only the source and a commit message: the rest stays, the version moves on.
    let before = now();
    let second = me
        .update_package()
        .package_id(&id)
        .package_source(PackageSource::builder().s3_bucket_name("my-bucket").s3_key("v2.zip").build())
        .commit_message("Rebuilt against 2.11.1")
        .send()
        .await
        .expect("UpdatePackage")
        .package_details
        .expect("PackageDetails");
    assert_eq!(second.available_package_version(), Some("v2"));
    assert_eq!(second.package_status(), Some(&PackageStatus::Available));
    assert_eq!(second.allow_listed_user_list, Some(vec![OTHER.to_owned()]), "the owner's view, scope untouched");
    let updated_at = second.last_updated_at().expect("LastUpdatedAt").secs();
    assert!((before - 1..=now() + 1).contains(&updated_at), "LastUpdatedAt {updated_at} is not now");
    let mut as_created = second.clone();
    as_created.last_updated_at = created.last_updated_at;
    as_created.available_package_version = Some("v1".into());
    as_created.allow_listed_user_list = Some(vec![]);
    assert_eq!(
        as_created, created,
        "ID, name, type, description, configuration, engine version, owner, vending, encryption, creation stay"
    );
    assert_eq!(
        describe_one(&me, &id).await,
        Some(second.clone()),
        "DescribePackages shows what UpdatePackage answered"
    );
    let seen = describe_one(&other, &id).await.expect("shared with OTHER");
    assert_eq!(seen.available_package_version(), Some("v2"), "the shared view has the version too");
    assert_eq!(seen.allow_listed_user_list, None);

    // Everything: "" removes the description, the configuration and encryption are replaced.
    let third = me
        .update_package()
        .package_id(&id)
        .package_source(source())
        .package_description("")
        .package_configuration(config(RequirementLevel::None))
        .package_encryption_options(
            PackageEncryptionOptions::builder()
                .encryption_enabled(true)
                .kms_key_identifier("alias/new")
                .build()
                .expect("encryption"),
        )
        .send()
        .await;
    let third = third.expect("UpdatePackage").package_details.expect("PackageDetails");
    assert_eq!(third.available_package_version(), Some("v3"));
    assert_eq!(third.package_description(), None, "an empty description removes it");
    assert_eq!(third.available_package_configuration(), Some(&config(RequirementLevel::None)));
    assert_eq!(third.package_encryption_options().and_then(|e| e.kms_key_identifier()), Some("alias/new"));
    assert_eq!(third.package_name(), Some("evolving"));
    let fourth = me.update_package().package_id(&id).package_source(source()).package_description("4th").send().await;
    let fourth = fourth.expect("UpdatePackage").package_details.expect("PackageDetails");
    assert_eq!((fourth.available_package_version(), fourth.package_description()), (Some("v4"), Some("4th")));
    assert_eq!(fourth.available_package_configuration(), Some(&config(RequirementLevel::None)), "kept");

    // The history: newest first, each with its time, message and configuration.
    let history = history_of(&me, &id).await;
    assert_eq!(version_names(&history), ["v4", "v3", "v2", "v1"]);
    assert_eq!(history[0].created_at(), fourth.last_updated_at());
    assert_eq!(history[2].created_at(), second.last_updated_at());
    assert_eq!(history[3].created_at(), created.created_at(), "v1 is the creation");
    assert_eq!(history[2].commit_message(), Some("Rebuilt against 2.11.1"));
    for v in [0, 1, 3] {
        assert_eq!(history[v].commit_message(), None, "{v}: no message given");
    }
    let configs: Vec<_> = history.iter().map(|v| v.package_configuration().cloned()).collect();
    let (none, required) = (Some(config(RequirementLevel::None)), Some(config(RequirementLevel::Required)));
    assert_eq!(configs, [none.clone(), none, required.clone(), required], "the configuration in effect");
    assert!(history.iter().all(|v| v.plugin_properties().is_none()));

    let deleted = me.delete_package().package_id(&id).send().await.expect("DeletePackage");
    let deleted = deleted.package_details.expect("PackageDetails");
    assert_eq!(deleted.available_package_version(), Some("v4"), "DeletePackage answers the last version");
}

async fn history_pages_with_the_sdk_paginator(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.opensearch(ME);
    let id = id_of(&create(&client, "long-lived").await);
    for i in 2..=12 {
        update_package(&client, &id, &format!("v{i}.txt")).await;
    }
    let want: Vec<String> = (1..=12).rev().map(|v| format!("v{v}")).collect();

    // The SDK's paginator, 5 a page: 5, 5, 2, and the last page has no nextToken.
    let mut stream = client.get_package_version_history().package_id(&id).into_paginator().page_size(5).send();
    let mut pages = Vec::new();
    while let Some(page) = stream.next().await {
        let page = page.expect("page");
        pages.push((version_names(page.package_version_history_list()).join(","), page.next_token.is_some()));
    }
    let sizes: Vec<_> = pages.iter().map(|(names, more)| (names.split(',').count(), *more)).collect();
    assert_eq!(sizes, [(5, true), (5, true), (2, false)]);
    let seen: Vec<String> = pages.iter().flat_map(|(names, _)| names.split(',').map(str::to_owned)).collect();
    assert_eq!(seen, want, "newest first, each version once");

    // By hand: a page that ends at v1 has no token, also when it is exactly full.
    let out = client.get_package_version_history().package_id(&id).max_results(12).send().await.expect("one page");
    assert_eq!(out.package_version_history_list().len(), 12);
    assert_eq!(out.next_token(), None);
    let out = client.get_package_version_history().package_id(&id).max_results(11).send().await.expect("page");
    let token = out.next_token().expect("v1 is left").to_owned();
    let last = client.get_package_version_history().package_id(&id).max_results(11).next_token(token).send().await;
    let last = last.expect("last page");
    assert_eq!(version_names(last.package_version_history_list()), ["v1"]);
    assert_eq!(last.next_token(), None);
    // 0 and absent mean 100.
    for out in [
        client.get_package_version_history().package_id(&id).max_results(0).send().await,
        client.get_package_version_history().package_id(&id).send().await,
    ] {
        let out = out.expect("default page size");
        assert_eq!(out.package_version_history_list().len(), 12);
        assert_eq!(out.next_token(), None);
    }
    for bad in [-1, 101, i32::MIN, i32::MAX] {
        let r = client.get_package_version_history().package_id(&id).max_results(bad).send().await;
        let message = expect_validation!(r, GetPackageVersionHistoryError, "maxResults");
        assert!(message.contains(&bad.to_string()), "{message}");
    }
    // A token that does not decode, or one this API never issues (nothing is below v1).
    let never_issued = "eyJiZWZvcmUiOjF9"; // {"before":1}
    for token in ["garbage", "", "eyJ4IjoxfQ", never_issued] {
        let r = client.get_package_version_history().package_id(&id).next_token(token).send().await;
        expect_validation!(r, GetPackageVersionHistoryError, "nextToken");
    }
}

async fn updates_and_history_are_the_owners_only(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let (me, other) = (server.opensearch(ME), server.opensearch(OTHER));
    let id = id_of(&create(&me, "private-history").await);
    update(&me, &id, PackageScopeOperationEnum::Add, &[OTHER, "GLOBAL"]).await;
    assert!(describe_one(&other, &id).await.is_some(), "shared with OTHER");

    // Shared with the caller is not owned by it: not found, in OpenSearch's words.
    let r = other.update_package().package_id(&id).package_source(source()).send().await;
    assert_eq!(
        expect_error!(r, UpdatePackageError::ResourceNotFoundException, 409),
        format!("Package not found: {id}")
    );
    let r = other.get_package_version_history().package_id(&id).send().await;
    let message = expect_error!(r, GetPackageVersionHistoryError::ResourceNotFoundException, 409);
    assert_eq!(message, format!("Package not found: {id}"));
    for unknown in [UNKNOWN_ID, "F123", "G130336370"] {
        let r = me.update_package().package_id(unknown).package_source(source()).send().await;
        expect_error!(r, UpdatePackageError::ResourceNotFoundException, 409);
        let r = me.get_package_version_history().package_id(unknown).send().await;
        expect_error!(r, GetPackageVersionHistoryError::ResourceNotFoundException, 409);
    }
    for bad in ["pkg-XYZ", "not-an-id", "pkg-a b"] {
        let r = me.update_package().package_id(bad).package_source(source()).send().await;
        expect_validation!(r, UpdatePackageError, "PackageID");
        let r = me.get_package_version_history().package_id(bad).send().await;
        expect_validation!(r, GetPackageVersionHistoryError, "PackageID");
    }
    let details = describe_one(&me, &id).await.expect("own");
    assert_eq!(details.available_package_version(), Some("v1"), "nothing was updated");

    // Vending does not matter to UpdatePackage.
    let closed = me
        .create_package()
        .package_name("closed")
        .package_type(PackageType::TxtDictionary)
        .package_source(source())
        .send()
        .await
        .expect("CreatePackage")
        .package_details
        .expect("details");
    assert_eq!(update_package(&me, &id_of(&closed), "c.txt").await.available_package_version(), Some("v2"));

    // After DeletePackage both are not found; a new package of the name starts again at v1.
    update_package(&me, &id, "v2.txt").await;
    me.delete_package().package_id(&id).send().await.expect("DeletePackage");
    let r = me.update_package().package_id(&id).package_source(source()).send().await;
    expect_error!(r, UpdatePackageError::ResourceNotFoundException, 409);
    let r = me.get_package_version_history().package_id(&id).send().await;
    assert_eq!(
        expect_error!(r, GetPackageVersionHistoryError::ResourceNotFoundException, 409),
        format!("Package not found: {id}")
    );
    let again = create(&me, "private-history").await;
    assert_eq!(again.available_package_version(), Some("v1"));
    assert_eq!(version_names(&history_of(&me, &id_of(&again)).await), ["v1"]);
}

async fn update_package_validation_failures_change_nothing(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.opensearch(ME);
    let id = id_of(&create(&client, "guarded-update").await);
    let base = || client.update_package().package_id(&id).package_source(source());
    expect_validation!(base().set_package_id(None).send().await, UpdatePackageError, "PackageID");
    expect_validation!(base().set_package_source(None).send().await, UpdatePackageError, "PackageSource");
    let only_key = PackageSource::builder().s3_key("k").build();
    expect_validation!(base().package_source(only_key).send().await, UpdatePackageError, "PackageSource.S3BucketName");
    let only_bucket = PackageSource::builder().s3_bucket_name("bucket").build();
    expect_validation!(base().package_source(only_bucket).send().await, UpdatePackageError, "PackageSource.S3Key");
    let long_key = PackageSource::builder().s3_bucket_name("abc").s3_key("k".repeat(1025)).build();
    expect_validation!(base().package_source(long_key).send().await, UpdatePackageError, "PackageSource.S3Key");
    let message = expect_validation!(
        base().package_description("d".repeat(1025)).send().await,
        UpdatePackageError,
        "PackageDescription"
    );
    assert!(message.contains("1024"), "{message}");
    let message =
        expect_validation!(base().commit_message("m".repeat(161)).send().await, UpdatePackageError, "CommitMessage");
    assert!(message.contains("160"), "{message}");
    let bad_config = PackageConfiguration::builder()
        .license_requirement(RequirementLevel::from("MAYBE"))
        .configuration_requirement(RequirementLevel::None)
        .build()
        .expect("configuration");
    let r = base().package_configuration(bad_config).send().await;
    expect_validation!(r, UpdatePackageError, "PackageConfiguration.LicenseRequirement");
    let bad_path = PackageConfiguration::builder()
        .license_requirement(RequirementLevel::None)
        .configuration_requirement(RequirementLevel::None)
        .license_filepath("a/../b")
        .build()
        .expect("configuration");
    let r = base().package_configuration(bad_path).send().await;
    expect_validation!(r, UpdatePackageError, "PackageConfiguration.LicenseFilepath");
    let kms = PackageEncryptionOptions::builder().encryption_enabled(true).kms_key_identifier("").build().unwrap();
    let r = base().package_encryption_options(kms).send().await;
    expect_validation!(r, UpdatePackageError, "PackageEncryptionOptions.KmsKeyIdentifier");

    assert_eq!(version_names(&history_of(&client, &id).await), ["v1"], "no refused request wrote anything");
    // The longest valid values are accepted.
    let longest = base().package_description("d".repeat(1024)).commit_message("m".repeat(160)).send().await;
    let longest = longest.expect("UpdatePackage").package_details.expect("details");
    assert_eq!(longest.available_package_version(), Some("v2"));
    assert_eq!(history_of(&client, &id).await[0].commit_message(), Some("m".repeat(160).as_str()));
    // An empty commit message is none.
    base().commit_message("").send().await.expect("UpdatePackage");
    assert_eq!(history_of(&client, &id).await[0].commit_message(), None);
}

async fn concurrent_updates_and_scope_changes_all_succeed(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    let client = server.opensearch(ME);
    let id = id_of(&create(&client, "busy").await);
    let updates: Vec<_> = (0..20)
        .map(|i| {
            let (client, id) = (client.clone(), id.clone());
            tokio::spawn(async move {
                let out = client
                    .update_package()
                    .package_id(id)
                    .package_source(source())
                    .commit_message(format!("update {i}"))
                    .send()
                    .await;
                (i, out)
            })
        })
        .collect();
    let adds = spawn_adds(&client, &id, 700_000_000_000, 20);
    let mut answered = std::collections::BTreeMap::new();
    for task in updates {
        let (i, out) = task.await.expect("task");
        let details = out.unwrap_or_else(|e| panic!("UpdatePackage {i}: {e:?}")).package_details.expect("details");
        let version = details.available_package_version().expect("version").to_owned();
        assert!(answered.insert(version.clone(), i).is_none(), "{version} answered twice");
    }
    let want: BTreeSet<String> = (2..=21).map(|v| format!("v{v}")).collect();
    assert_eq!(answered.keys().cloned().collect::<BTreeSet<_>>(), want, "distinct, gap-free versions");
    let mut added = BTreeSet::new();
    for task in adds {
        let (user, out) = task.await.expect("task");
        out.unwrap_or_else(|e| panic!("ADD {user}: {e:?}"));
        added.insert(user);
    }
    let history = history_of(&client, &id).await;
    assert_eq!(history.len(), 21, "none lost from the history");
    for entry in &history[..20] {
        let version = entry.package_version().expect("version");
        assert_eq!(entry.commit_message(), Some(format!("update {}", answered[version]).as_str()), "{version}");
    }
    let got: BTreeSet<String> = users_of(&client, &id).await.into_iter().collect();
    assert_eq!(got, added, "every concurrent ADD survived");
    assert_eq!(describe_one(&client, &id).await.expect("own").available_package_version(), Some("v21"));
}

async fn raw_update_package_and_history_requests(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    // Raw requests act as LOCAL_DEFAULT; give it a package to aim at.
    let resp = server
        .raw(
            "POST",
            CREATE,
            br#"{"PackageName":"raw","PackageType":"TXT-DICTIONARY","PackageSource":{"S3BucketName":"abc","S3Key":"k"}}"#,
        )
        .await;
    assert_eq!(resp.status, 200, "{resp:?}");
    let json: serde_json::Value = serde_json::from_str(&resp.body).unwrap();
    assert_eq!(json["PackageDetails"]["AvailablePackageVersion"], "v1", "a string on the wire");
    let id = json["PackageDetails"]["PackageID"].as_str().unwrap().to_owned();

    let source = serde_json::json!({"S3BucketName": "abc", "S3Key": "k2"});
    let cases: Vec<(serde_json::Value, &str)> = vec![
        (serde_json::json!({"PackageSource": source}), "PackageID"),
        (serde_json::json!({"PackageID": id, "PackageSource": "s3://abc/k2"}), "PackageSource"),
        (serde_json::json!({"PackageID": id, "PackageSource": ["abc", "k2"]}), "PackageSource"),
        (
            serde_json::json!({"PackageID": id, "PackageSource": {"S3BucketName": "abc", "S3Key": 2}}),
            "PackageSource.S3Key",
        ),
        (serde_json::json!({"PackageID": id, "PackageSource": source, "CommitMessage": 7}), "CommitMessage"),
        (
            serde_json::json!({"PackageID": id, "PackageSource": source, "PackageDescription": ["d"]}),
            "PackageDescription",
        ),
        (
            serde_json::json!({"PackageID": id, "PackageSource": source, "PackageConfiguration": {"LicenseRequirement": "NONE"}}),
            "PackageConfiguration.ConfigurationRequirement",
        ),
        (
            serde_json::json!({"PackageID": id, "PackageSource": source, "PackageEncryptionOptions": {}}),
            "PackageEncryptionOptions.EncryptionEnabled",
        ),
        (serde_json::json!({"PackageID": [id], "PackageSource": source}), "PackageID"),
    ];
    for (body, member) in cases {
        let resp = server.raw("POST", UPDATE, body.to_string().as_bytes()).await;
        let message = assert_raw_error(&resp, 400, "ValidationException");
        assert!(message.starts_with(member), "{body}: the message should name {member}: {message}");
    }
    let message = assert_raw_error(&server.raw("POST", UPDATE, b"").await, 400, "ValidationException");
    assert!(message.starts_with("PackageID"), "an empty body is {{}}: {message}");
    assert_raw_error(&server.raw("POST", UPDATE, b"[]").await, 400, "ValidationException");

    let history = format!("/2021-01-01/packages/{id}/history");
    for query in ["maxResults=-1", "maxResults=101", "maxResults=abc", "maxResults=", "maxResults=1.5"] {
        let resp = server.raw("GET", &format!("{history}?{query}"), b"").await;
        let message = assert_raw_error(&resp, 400, "ValidationException");
        assert!(message.starts_with("maxResults"), "{query}: {message}");
    }
    let resp = server.raw("GET", &format!("{history}?nextToken="), b"").await;
    let message = assert_raw_error(&resp, 400, "ValidationException");
    assert!(message.starts_with("nextToken"), "{message}");
    let resp = server.raw("GET", "/2021-01-01/packages//history", b"").await;
    let message = assert_raw_error(&resp, 400, "ValidationException");
    assert!(message.starts_with("PackageID"), "an empty label: {message}");

    // None of it wrote anything; the history answers with numbers and strings as the model has them.
    let resp = server.raw("GET", &format!("{history}?maxResults=0&unknown=1"), b"").await;
    assert_eq!(resp.status, 200, "{resp:?}");
    let json: serde_json::Value = serde_json::from_str(&resp.body).unwrap();
    assert_eq!(json["PackageID"], id.as_str());
    let list = json["PackageVersionHistoryList"].as_array().expect("a list");
    assert_eq!(list.len(), 1, "{json}");
    assert_eq!(list[0]["PackageVersion"], "v1");
    assert!(list[0]["CreatedAt"].is_number(), "{json}");
    assert!(list[0].get("CommitMessage").is_none() && list[0].get("PluginProperties").is_none(), "{json}");
    assert!(json.get("NextToken").is_none(), "the last page has no NextToken at all: {json}");

    // Members outside UpdatePackage's input (PackageName, PackageType, …) are ignored.
    let body = serde_json::json!({
        "PackageID": id, "PackageSource": source, "PackageName": "renamed", "PackageType": "ZIP-PLUGIN",
        "PackageVendingOptions": {"VendingEnabled": true}, "CommitMessage": "",
    });
    let resp = server.raw("POST", UPDATE, body.to_string().as_bytes()).await;
    assert_eq!(resp.status, 200, "{resp:?}");
    let json: serde_json::Value = serde_json::from_str(&resp.body).unwrap();
    let details = &json["PackageDetails"];
    assert_eq!(details["AvailablePackageVersion"], "v2");
    assert_eq!((&details["PackageName"], &details["PackageType"]), (&"raw".into(), &"TXT-DICTIONARY".into()));
    assert_eq!(details["PackageVendingOptions"], serde_json::json!({"VendingEnabled": false}));
    assert_eq!(details["PackageStatus"], "AVAILABLE");
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP: what the SDK cannot send
// ---------------------------------------------------------------------------------------------

async fn raw_wrong_json_types_are_validation_errors(kind: StoreKind) {
    let server = TestServer::on(kind).await;
    // Raw requests act as LOCAL_DEFAULT; give it a package to aim at.
    let resp = server
        .raw(
            "POST",
            CREATE,
            br#"{"PackageName":"raw","PackageType":"TXT-DICTIONARY","PackageSource":{"S3BucketName":"abc","S3Key":"k"},"PackageVendingOptions":{"VendingEnabled":true}}"#,
        )
        .await;
    assert_eq!(resp.status, 200, "{resp:?}");
    let id = serde_json::from_str::<serde_json::Value>(&resp.body).unwrap()["PackageDetails"]["PackageID"]
        .as_str()
        .unwrap()
        .to_owned();

    let cases: Vec<(&str, serde_json::Value, &str)> = vec![
        (SCOPE, serde_json::json!({"PackageID": id, "Operation": "ADD", "PackageUserList": OTHER}), "PackageUserList"),
        (
            SCOPE,
            serde_json::json!({"PackageID": id, "Operation": "ADD", "PackageUserList": [OTHER, 222222222222u64]}),
            "PackageUserList[1]",
        ),
        (SCOPE, serde_json::json!({"PackageID": 5, "Operation": "ADD", "PackageUserList": []}), "PackageID"),
        (SCOPE, serde_json::json!({"PackageID": id, "Operation": ["ADD"], "PackageUserList": []}), "Operation"),
        (SCOPE, serde_json::json!({"PackageID": id, "Operation": "ADD", "PackageUserList": null}), "PackageUserList"),
        (
            SCOPE,
            serde_json::json!({"PackageID": id, "Operation": "ADD", "PackageUserList": [null]}),
            "PackageUserList[0]",
        ),
        (
            CREATE,
            serde_json::json!({"PackageName": "x-y-z", "PackageType": "TXT-DICTIONARY", "PackageSource": "s3://b/k"}),
            "PackageSource",
        ),
        (
            CREATE,
            serde_json::json!({"PackageName": "x-y-z", "PackageType": "TXT-DICTIONARY", "PackageSource": {"S3BucketName": "abc", "S3Key": 1}}),
            "PackageSource.S3Key",
        ),
        (
            CREATE,
            serde_json::json!({"PackageName": "x-y-z", "PackageType": "TXT-DICTIONARY", "PackageSource": {"S3BucketName": "abc", "S3Key": "k"}, "PackageVendingOptions": {"VendingEnabled": "true"}}),
            "PackageVendingOptions.VendingEnabled",
        ),
        (
            CREATE,
            serde_json::json!({"PackageName": "x-y-z", "PackageType": "TXT-DICTIONARY", "PackageSource": {"S3BucketName": "abc", "S3Key": "k"}, "PackageVendingOptions": {}}),
            "PackageVendingOptions.VendingEnabled",
        ),
        (CREATE, serde_json::json!({"PackageName": 7, "PackageType": "TXT-DICTIONARY"}), "PackageName"),
        (
            CREATE,
            serde_json::json!({"PackageName": "x-y-z", "PackageType": "TXT-DICTIONARY", "PackageSource": {"S3BucketName": "abc", "S3Key": "k"}, "PackageEncryptionOptions": {"KmsKeyIdentifier": "k"}}),
            "PackageEncryptionOptions.EncryptionEnabled",
        ),
        (
            CREATE,
            serde_json::json!({"PackageName": "x-y-z", "PackageType": "TXT-DICTIONARY", "PackageSource": {"S3BucketName": "abc", "S3Key": "k"}, "PackageConfiguration": {"LicenseRequirement": "NONE"}}),
            "PackageConfiguration.ConfigurationRequirement",
        ),
        (
            CREATE,
            serde_json::json!({"PackageName": "x-y-z", "PackageType": "TXT-DICTIONARY", "PackageSource": ["abc", "k"]}),
            "PackageSource",
        ),
        (DESCRIBE, serde_json::json!({"Filters": [["PackageID", ["x"]]]}), "Filters[0]"),
        (DESCRIBE, serde_json::json!({"MaxResults": "10"}), "MaxResults"),
        (DESCRIBE, serde_json::json!({"MaxResults": 2.5}), "MaxResults"),
        (DESCRIBE, serde_json::json!({"NextToken": 3}), "NextToken"),
        (DESCRIBE, serde_json::json!({"Filters": {"Name": "PackageID", "Value": ["x"]}}), "Filters"),
        (DESCRIBE, serde_json::json!({"Filters": [{"Name": "PackageID", "Value": "x"}]}), "Filters[0].Value"),
        (DESCRIBE, serde_json::json!({"Filters": [{"Name": "PackageID"}]}), "Filters[0].Value"),
    ];
    for (path, body, member) in cases {
        let resp = server.raw("POST", path, body.to_string().as_bytes()).await;
        assert_eq!(resp.status, 400, "{path} {body}: {resp:?}");
        let message = assert_raw_error(&resp, 400, "ValidationException");
        assert!(message.starts_with(member), "{path} {body}: the message should name {member}: {message}");
    }
    for (path, body) in [(SCOPE, &b"{\"PackageID\": "[..]), (CREATE, b"not json"), (DESCRIBE, b"[]"), (SCOPE, b"{} {}")]
    {
        let resp = server.raw("POST", path, body).await;
        assert_raw_error(&resp, 400, "ValidationException");
    }
    // An empty body is `{}`: DescribePackages answers, the others name their first required member.
    let resp = server.raw("POST", DESCRIBE, b"").await;
    assert_eq!(resp.status, 200, "{resp:?}");
    let message = assert_raw_error(&server.raw("POST", SCOPE, b"").await, 400, "ValidationException");
    assert!(message.starts_with("PackageID"), "{message}");
    let message = assert_raw_error(&server.raw("POST", CREATE, b"").await, 400, "ValidationException");
    assert!(message.starts_with("PackageName"), "{message}");

    // None of it changed the package.
    let resp = server.raw("POST", DESCRIBE, b"{}").await;
    let json: serde_json::Value = serde_json::from_str(&resp.body).unwrap();
    assert_eq!(json["PackageDetailsList"].as_array().map(Vec::len), Some(1), "{json}");
    assert_eq!(json["PackageDetailsList"][0]["AllowListedUserList"], serde_json::json!([]));
    assert!(json.get("NextToken").is_none(), "the last page has no NextToken at all: {json}");
}

// ---------------------------------------------------------------------------------------------
// Failures of the backing store (docs/conventions.md §3.4): every DynamoDB call fails
// ---------------------------------------------------------------------------------------------

fn no_retry_client(server: &TestServer) -> Client {
    Client::from_conf(server.opensearch(ME).config().to_builder().retry_config(RetryConfig::disabled()).build())
}

/// Each operation once; yields (operation, HTTP status, error code, message) per call.
async fn every_operation(client: &Client) -> Vec<(&'static str, Option<u16>, Option<String>, String)> {
    fn row<E: ProvideErrorMetadata, R: std::fmt::Debug>(
        op: &'static str,
        result: Result<R, aws_sdk_opensearch::error::SdkError<E, aws_smithy_runtime_api::http::Response>>,
    ) -> (&'static str, Option<u16>, Option<String>, String) {
        let err = result.expect_err(op);
        let status = err.raw_response().map(|r| r.status().as_u16());
        (op, status, err.code().map(str::to_owned), err.message().unwrap_or_default().to_owned())
    }
    vec![
        row(
            "CreatePackage",
            client
                .create_package()
                .package_name("doomed")
                .package_type(PackageType::TxtDictionary)
                .package_source(source())
                .send()
                .await,
        ),
        row(
            "UpdatePackageScope",
            client
                .update_package_scope()
                .package_id(UNKNOWN_ID)
                .operation(PackageScopeOperationEnum::Add)
                .package_user_list(OTHER)
                .send()
                .await,
        ),
        row("DescribePackages", client.describe_packages().send().await),
        row("DeletePackage", client.delete_package().package_id(UNKNOWN_ID).send().await),
        row("UpdatePackage", client.update_package().package_id(UNKNOWN_ID).package_source(source()).send().await),
        row("GetPackageVersionHistory", client.get_package_version_history().package_id(UNKNOWN_ID).send().await),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_failures_are_generic_internal_exceptions() {
    let (server, calls) = failing_server(Fault::ServerError).await;
    for (op, status, code, message) in every_operation(&no_retry_client(&server)).await {
        assert_eq!(status, Some(500), "{op}");
        assert_eq!(code.as_deref(), Some("InternalException"), "{op}: OpenSearch's shape name");
        assert!(!message.contains(INJECTED), "{op}: the cause leaked: {message}");
        assert!(message.contains("internal error"), "{op}: {message}");
    }
    // The first call of each fails the request: CreatePackage's transaction, UpdatePackageScope's
    // UpdateItem, DescribePackages' ten Queries at once, the GetItem of the others (with
    // GetPackageVersionHistory's Query beside it).
    assert_eq!(calls.count(), 16, "{:?}", calls.names());
    let resp = server.raw("POST", DESCRIBE, b"{}").await;
    let message = assert_raw_error(&resp, 500, "InternalException");
    assert!(!message.contains(INJECTED) && !resp.body.contains(INJECTED), "{resp:?}");

    // Validation happens before the store is touched.
    let before = calls.count();
    let client = no_retry_client(&server);
    let r = client.update_package_scope().package_id("nope").operation(PackageScopeOperationEnum::Add).send().await;
    expect_error!(r, UpdatePackageScopeError::ValidationException, 400);
    let r = client.describe_packages().next_token("garbage").send().await;
    expect_error!(r, DescribePackagesError::ValidationException, 400);
    let r = client.delete_package().package_id("nope").send().await;
    expect_error!(r, DeletePackageError::ValidationException, 400);
    let r = client.update_package().package_id(UNKNOWN_ID).send().await;
    expect_error!(r, UpdatePackageError::ValidationException, 400);
    let r = client.get_package_version_history().package_id(UNKNOWN_ID).next_token("garbage").send().await;
    expect_error!(r, GetPackageVersionHistoryError::ValidationException, 400);
    assert_eq!(calls.count(), before, "a refused request reached DynamoDB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_throttling_is_a_throttling_exception() {
    let (server, calls) = failing_server(Fault::Throttle).await;
    for (op, status, code, message) in every_operation(&no_retry_client(&server)).await {
        assert_eq!(status, Some(429), "{op}");
        assert_eq!(code.as_deref(), Some("ThrottlingException"), "{op}");
        assert!(!message.contains(INJECTED), "{op}: the cause leaked");
    }
    assert_eq!(calls.count(), 16, "{:?}", calls.names());
}

on_both_stores!(
    lifecycle_create_describe_update_delete,
    minimal_package_has_vending_off_and_no_optional_members,
    package_names_are_unique_per_owner,
    scope_operations_are_set_operations,
    vending_off_is_a_disabled_operation,
    scope_is_capped_at_1000_users,
    other_tenants_see_only_what_is_shared_and_change_nothing,
    delete_frees_the_name_and_later_calls_are_not_found,
    concurrent_adds_from_20_tasks_all_survive,
    describe_filters,
    describe_pages,
    the_sdk_omits_max_results_when_unset,
    update_package_scope_validation_failures_change_nothing,
    create_package_validation_failures_write_nothing,
    delete_package_validates_its_label,
    raw_wrong_json_types_are_validation_errors,
    update_package_makes_versions_every_package_details_shows,
    history_pages_with_the_sdk_paginator,
    updates_and_history_are_the_owners_only,
    update_package_validation_failures_change_nothing,
    concurrent_updates_and_scope_changes_all_succeed,
    raw_update_package_and_history_requests,
);
