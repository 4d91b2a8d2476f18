//! Each function's IAM policy in `template.yaml` grants exactly the DynamoDB actions its code
//! calls: every operation's code paths are driven against DynamoDB Local through a client that
//! records the IAM action of each call (the actions inside a transaction count one by one).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use shared::ApiRequest;
use shared::common::AccountId;
use shared::operations::dispatch;
use shared::request::PathParams;
use shared::{App, Operation};

use crate::helpers::{REGION, dynamo_store, dynamo_store_on};

/// Records the IAM action of every DynamoDB call made through its client.
#[derive(Debug, Clone, Default)]
struct ActionRecorder(Arc<Mutex<BTreeSet<String>>>);

impl ActionRecorder {
    fn take(&self) -> BTreeSet<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl Intercept for ActionRecorder {
    fn name(&self) -> &'static str {
        "ActionRecorder"
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let mut actions = self.0.lock().unwrap();
        // A transaction has no IAM action of its own: each item is authorised as its action.
        if let Some(tx) = context.input().downcast_ref::<TransactWriteItemsInput>() {
            for item in tx.transact_items() {
                let action = if item.put().is_some() {
                    "PutItem"
                } else if item.update().is_some() {
                    "UpdateItem"
                } else if item.delete().is_some() {
                    "DeleteItem"
                } else {
                    "ConditionCheckItem"
                };
                actions.insert(format!("dynamodb:{action}"));
            }
        } else {
            let operation = cfg.load::<Metadata>().expect("operation metadata").name().to_owned();
            actions.insert(format!("dynamodb:{operation}"));
        }
        Ok(())
    }
}

fn template_actions(operation: Operation) -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
    let template: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let function = &template["Resources"][format!("{}Function", operation.name()).as_str()];
    let mut actions = BTreeSet::new();
    for policy in function["Properties"]["Policies"].as_sequence().expect("inline policies") {
        for statement in policy["Statement"].as_sequence().expect("statements") {
            assert_eq!(statement["Effect"], "Allow");
            for action in statement["Action"].as_sequence().expect("an action list") {
                actions.insert(action.as_str().unwrap().to_owned());
            }
        }
    }
    actions
}

/// One recorded call: the caller, path labels, raw query string and JSON body (`Null` for none).
type Call<'a> = (&'a str, &'a [(&'static str, &'a str)], &'a str, serde_json::Value);

struct Harness {
    /// Writes through here are recorded.
    app: App,
    recorder: ActionRecorder,
    /// Setup through here is not.
    setup: App,
}

impl Harness {
    async fn new() -> Self {
        let plain = dynamo_store().await;
        let recorder = ActionRecorder::default();
        let recording = dynamo_store_on(plain.table(), |c| c.interceptor(recorder.clone()));
        Self { app: App::new(Arc::new(recording), REGION), recorder, setup: App::new(Arc::new(plain), REGION) }
    }

    async fn call(
        &self,
        app: &App,
        operation: Operation,
        account: &str,
        scope_id: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        self.request(app, operation, account, &[("scopeId", scope_id)], "", body).await
    }

    /// Dispatches `operation` as `account` with path labels, a raw query string and a JSON body
    /// (`Null` for none).
    async fn request(
        &self,
        app: &App,
        operation: Operation,
        account: &str,
        labels: &[(&'static str, &str)],
        query: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let request = ApiRequest {
            request_id: "policy-test".into(),
            caller: AccountId::parse(account),
            path_params: PathParams::new(labels.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()),
            query: ApiRequest::parse_query(Some(query)),
            body: if body.is_null() { Vec::new() } else { body.to_string().into_bytes() },
        };
        let response = dispatch(app, operation, request).await;
        (response.status, serde_json::from_slice(&response.body).unwrap())
    }

    /// Runs `operation` through the recording app and returns the statuses in order.
    async fn statuses(&self, operation: Operation, calls: &[Call<'_>]) -> Vec<u16> {
        let mut statuses = Vec::new();
        for (account, labels, query, body) in calls {
            statuses.push(self.request(&self.app, operation, account, labels, query, body.clone()).await.0);
        }
        statuses
    }

    /// Runs `operation` through the setup app (not recorded) and asserts it succeeded.
    async fn prepare(
        &self,
        operation: Operation,
        account: &str,
        labels: &[(&'static str, &str)],
        body: serde_json::Value,
    ) -> serde_json::Value {
        let (status, body) = self.request(&self.setup, operation, account, labels, "", body).await;
        assert_eq!(status, 200, "setup {operation:?}: {body}");
        body
    }

    async fn create(&self, account: &str) -> String {
        let (status, body) =
            self.call(&self.setup, Operation::CreateScope, account, "", scope_body(account, None)).await;
        assert_eq!(status, 200, "{body}");
        body["scopeId"].as_str().unwrap().to_owned()
    }
}

fn target(account: &str, region: &str) -> serde_json::Value {
    serde_json::json!({"targetIdentifier": {"targetId": {"accountId": account}, "targetType": "ACCOUNT"}, "region": region})
}

fn scope_body(account: &str, token: Option<&str>) -> serde_json::Value {
    let mut body = serde_json::json!({"targets": [target(account, "us-east-1")]});
    if let Some(token) = token {
        body["clientToken"] = token.into();
    }
    body
}

fn add_body(account: &str) -> serde_json::Value {
    serde_json::json!({"resourcesToAdd": [target(account, "eu-west-1")]})
}

#[tokio::test]
async fn each_function_policy_grants_exactly_the_actions_its_code_calls() {
    let h = Harness::new().await;
    let token = "0e8d2c44-1b6a-4f3e-9a7d-5c4b3a291807";

    // CreateScope: without a token, with one, replayed, mismatched, and onto an existing scope.
    let mut statuses = Vec::new();
    statuses.push(h.call(&h.app, Operation::CreateScope, "100000000001", "", scope_body("100000000001", None)).await.0);
    statuses.push(h.call(&h.app, Operation::CreateScope, "100000000001", "", scope_body("100000000001", None)).await.0);
    statuses.push(
        h.call(&h.app, Operation::CreateScope, "100000000002", "", scope_body("100000000002", Some(token))).await.0,
    );
    statuses.push(
        h.call(&h.app, Operation::CreateScope, "100000000002", "", scope_body("100000000002", Some(token))).await.0,
    );
    statuses.push(
        h.call(&h.app, Operation::CreateScope, "100000000002", "", scope_body("100000000009", Some(token))).await.0,
    );
    assert_eq!(statuses, [200, 409, 200, 200, 409]);
    assert_eq!(h.recorder.take(), template_actions(Operation::CreateScope), "CreateScope");

    // UpdateScope: a change, a no-op, a rule failure, an unknown scope.
    let id = h.create("100000000003").await;
    h.recorder.take();
    let mut statuses = Vec::new();
    statuses.push(h.call(&h.app, Operation::UpdateScope, "100000000003", &id, add_body("100000000004")).await.0);
    statuses.push(h.call(&h.app, Operation::UpdateScope, "100000000003", &id, add_body("100000000004")).await.0);
    let delete_all = serde_json::json!({"resourcesToDelete": [target("100000000003", "us-east-1"), target("100000000004", "eu-west-1")]});
    statuses.push(h.call(&h.app, Operation::UpdateScope, "100000000003", &id, delete_all).await.0);
    statuses.push(h.call(&h.app, Operation::UpdateScope, "100000000003", "nope", add_body("100000000005")).await.0);
    assert_eq!(statuses, [200, 200, 400, 404]);
    assert_eq!(h.recorder.take(), template_actions(Operation::UpdateScope), "UpdateScope");

    // GetScope and ListScopes: found and not found.
    let id = h.create("100000000006").await;
    h.recorder.take();
    assert_eq!(h.call(&h.app, Operation::GetScope, "100000000006", &id, serde_json::Value::Null).await.0, 200);
    assert_eq!(h.call(&h.app, Operation::GetScope, "100000000006", "nope", serde_json::Value::Null).await.0, 404);
    assert_eq!(h.recorder.take(), template_actions(Operation::GetScope), "GetScope");
    assert_eq!(h.call(&h.app, Operation::ListScopes, "100000000006", "", serde_json::Value::Null).await.0, 200);
    assert_eq!(h.call(&h.app, Operation::ListScopes, "100000000007", "", serde_json::Value::Null).await.0, 200);
    assert_eq!(h.recorder.take(), template_actions(Operation::ListScopes), "ListScopes");

    // DeleteScope: found, then gone.
    assert_eq!(h.call(&h.app, Operation::DeleteScope, "100000000006", &id, serde_json::Value::Null).await.0, 200);
    assert_eq!(h.call(&h.app, Operation::DeleteScope, "100000000006", &id, serde_json::Value::Null).await.0, 404);
    assert_eq!(h.recorder.take(), template_actions(Operation::DeleteScope), "DeleteScope");
}

#[tokio::test]
async fn each_tag_function_policy_grants_exactly_the_actions_its_code_calls() {
    let h = Harness::new().await;
    let account = "100000000010";
    let id = h.create(account).await;
    let scope_arn = format!("arn:aws:networkflowmonitor:{REGION}:{account}:scope/{id}");
    let unknown_arn =
        format!("arn:aws:networkflowmonitor:{REGION}:{account}:scope/00000000-0000-4000-8000-000000000000");
    let of_scope: &[(&'static str, &str)] = &[("resourceArn", scope_arn.as_str())];
    let of_unknown: &[(&'static str, &str)] = &[("resourceArn", unknown_arn.as_str())];
    let null = serde_json::Value::Null;
    let tags = |range: std::ops::Range<usize>| serde_json::json!({"tags": range.map(|i| (format!("k{i}"), serde_json::Value::from(""))).collect::<serde_json::Map<_, _>>()});
    h.recorder.take();

    // TagResource: a write, up to the cap past the size guard (two writes), over the cap, an
    // empty request (a read), an unknown scope.
    let statuses = h
        .statuses(
            Operation::TagResource,
            &[
                (account, of_scope, "", tags(0..190)),
                (account, of_scope, "", tags(185..200)),
                (account, of_scope, "", tags(200..201)),
                (account, of_scope, "", serde_json::json!({"tags": {}})),
                (account, of_unknown, "", tags(0..1)),
            ],
        )
        .await;
    assert_eq!(statuses, [200, 200, 400, 200, 404]);
    assert_eq!(h.recorder.take(), template_actions(Operation::TagResource), "TagResource");

    // UntagResource: keys, no keys (a read), an unknown scope.
    let statuses = h
        .statuses(
            Operation::UntagResource,
            &[
                (account, of_scope, "tagKeys=k1&tagKeys=absent", null.clone()),
                (account, of_scope, "", null.clone()),
                (account, of_unknown, "tagKeys=k1", null.clone()),
            ],
        )
        .await;
    assert_eq!(statuses, [200, 200, 404]);
    assert_eq!(h.recorder.take(), template_actions(Operation::UntagResource), "UntagResource");

    let statuses = h
        .statuses(
            Operation::ListTagsForResource,
            &[(account, of_scope, "", null.clone()), (account, of_unknown, "", null.clone())],
        )
        .await;
    assert_eq!(statuses, [200, 404]);
    assert_eq!(h.recorder.take(), template_actions(Operation::ListTagsForResource), "ListTagsForResource");
}

fn package_body(name: &str, vending: bool) -> serde_json::Value {
    serde_json::json!({
        "PackageName": name,
        "PackageType": "TXT-DICTIONARY",
        "PackageSource": {"S3BucketName": "policy-bucket", "S3Key": "words.txt"},
        "PackageVendingOptions": {"VendingEnabled": vending},
    })
}

fn scope_change(id: &str, operation: &str, users: &[&str]) -> serde_json::Value {
    serde_json::json!({"PackageID": id, "Operation": operation, "PackageUserList": users})
}

#[tokio::test]
async fn each_opensearch_function_policy_grants_exactly_the_actions_its_code_calls() {
    let h = Harness::new().await;
    let (owner, other) = ("200000000001", "200000000002");
    let none: &[(&'static str, &str)] = &[];
    let null = serde_json::Value::Null;

    // CreatePackage: created, a taken name, an invalid request.
    let statuses = h
        .statuses(
            Operation::CreatePackage,
            &[
                (owner, none, "", package_body("shared-words", true)),
                (owner, none, "", package_body("shared-words", true)),
                (owner, none, "", serde_json::json!({"PackageName": "x"})),
            ],
        )
        .await;
    assert_eq!(statuses, [200, 409, 400]);
    assert_eq!(h.recorder.take(), template_actions(Operation::CreatePackage), "CreatePackage");

    let shared = h.prepare(Operation::CreatePackage, owner, none, package_body("vended", true)).await;
    let shared = shared["PackageDetails"]["PackageID"].as_str().unwrap().to_owned();
    let closed = h.prepare(Operation::CreatePackage, owner, none, package_body("not-vended", false)).await;
    let closed = closed["PackageDetails"]["PackageID"].as_str().unwrap().to_owned();
    let many: Vec<String> = (0..1000).map(|i| format!("{:012}", 500_000_000_000u64 + i)).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    h.recorder.take();

    // UpdatePackageScope: every operation, an empty list, unknown and closed packages, the cap.
    let statuses = h
        .statuses(
            Operation::UpdatePackageScope,
            &[
                (owner, none, "", scope_change(&shared, "ADD", &[other, "GLOBAL"])),
                (owner, none, "", scope_change(&shared, "REMOVE", &["GLOBAL"])),
                (owner, none, "", scope_change(&shared, "ADD", &[])),
                (owner, none, "", scope_change(&closed, "ADD", &[other])),
                (other, none, "", scope_change(&shared, "ADD", &[other])),
                (owner, none, "", scope_change(&closed, "OVERRIDE", &[])),
            ],
        )
        .await;
    assert_eq!(statuses, [200, 200, 200, 409, 409, 409]);
    let statuses = h
        .statuses(
            Operation::UpdatePackageScope,
            &[
                (owner, none, "", scope_change(&shared, "OVERRIDE", &many)),
                (owner, none, "", scope_change(&shared, "ADD", &["200000000009"])),
                (owner, none, "", scope_change(&shared, "OVERRIDE", &[other])),
            ],
        )
        .await;
    assert_eq!(statuses, [200, 400, 200]);
    assert_eq!(h.recorder.take(), template_actions(Operation::UpdatePackageScope), "UpdatePackageScope");

    // DescribePackages: the owner, an account it is shared with, an account with nothing.
    let filter = serde_json::json!({"Filters": [{"Name": "PackageType", "Value": ["TXT-DICTIONARY"]}]});
    let statuses = h
        .statuses(
            Operation::DescribePackages,
            &[(owner, none, "", null.clone()), (other, none, "", filter), ("200000000003", none, "", null.clone())],
        )
        .await;
    assert_eq!(statuses, [200, 200, 200]);
    assert_eq!(h.recorder.take(), template_actions(Operation::DescribePackages), "DescribePackages");

    // UpdatePackage: a new version, an unknown package, another tenant's attempt, an invalid request.
    let source = serde_json::json!({"S3BucketName": "policy-bucket", "S3Key": "words-2.txt"});
    let statuses = h
        .statuses(
            Operation::UpdatePackage,
            &[
                (
                    owner,
                    none,
                    "",
                    serde_json::json!({"PackageID": shared, "PackageSource": source, "CommitMessage": "2"}),
                ),
                (
                    owner,
                    none,
                    "",
                    serde_json::json!({"PackageID": "pkg-0123456789abcdef0123", "PackageSource": source}),
                ),
                (other, none, "", serde_json::json!({"PackageID": shared, "PackageSource": source})),
                (owner, none, "", serde_json::json!({"PackageID": shared})),
            ],
        )
        .await;
    assert_eq!(statuses, [200, 409, 409, 400]);
    assert_eq!(h.recorder.take(), template_actions(Operation::UpdatePackage), "UpdatePackage");

    // GetPackageVersionHistory: a first page and the next, another tenant's attempt, an unknown package.
    let history = Operation::GetPackageVersionHistory;
    let of_shared: &[(&'static str, &str)] = &[("PackageID", shared.as_str())];
    let (status, first) = h.request(&h.app, history, owner, of_shared, "maxResults=1", null.clone()).await;
    assert_eq!((status, &first["PackageVersionHistoryList"][0]["PackageVersion"]), (200, &"v2".into()), "{first}");
    let next = format!("nextToken={}", first["NextToken"].as_str().expect("v1 on a second page"));
    let statuses = h
        .statuses(
            history,
            &[
                (owner, of_shared, &next, null.clone()),
                (other, of_shared, "", null.clone()),
                (owner, &[("PackageID", "pkg-0123456789abcdef0123")], "", null.clone()),
            ],
        )
        .await;
    assert_eq!(statuses, [200, 409, 409]);
    assert_eq!(h.recorder.take(), template_actions(history), "GetPackageVersionHistory");

    // DeletePackage: a package shared with 1000 accounts (too many share entries for its
    // transaction: they are deleted after it), a shared package, then gone, then another
    // tenant's attempt.
    let big = h.prepare(Operation::CreatePackage, owner, none, package_body("widely-shared", true)).await;
    let big = big["PackageDetails"]["PackageID"].as_str().unwrap().to_owned();
    h.prepare(Operation::UpdatePackageScope, owner, none, scope_change(&big, "ADD", &many)).await;
    h.recorder.take();
    let statuses = h
        .statuses(
            Operation::DeletePackage,
            &[
                (owner, &[("PackageID", big.as_str())], "", null.clone()),
                (owner, &[("PackageID", shared.as_str())], "", null.clone()),
                (owner, &[("PackageID", shared.as_str())], "", null.clone()),
                (other, &[("PackageID", closed.as_str())], "", null.clone()),
            ],
        )
        .await;
    assert_eq!(statuses, [200, 200, 409, 409]);
    assert_eq!(h.recorder.take(), template_actions(Operation::DeletePackage), "DeletePackage");
}

fn member_body(account: &str) -> serde_json::Value {
    serde_json::json!({"account": {"accountId": account, "email": format!("ops+{account}@example.com")}})
}

#[tokio::test]
async fn each_macie_function_policy_grants_exactly_the_actions_its_code_calls() {
    let h = Harness::new().await;
    let (admin, member, stranger) = ("300000000001", "300000000002", "300000000009");
    let none: &[(&'static str, &str)] = &[];
    let of_member: &[(&'static str, &str)] = &[("id", member)];
    let null = serde_json::Value::Null;
    let token = "5a0c2e84-3b1d-4f6a-9e7c-8d2b1a0f9e3c";

    // EnableMacie: with a token, replayed, the token with another request, without a token again.
    let statuses = h
        .statuses(
            Operation::EnableMacie,
            &[
                (admin, none, "", serde_json::json!({"clientToken": token})),
                (admin, none, "", serde_json::json!({"clientToken": token})),
                (admin, none, "", serde_json::json!({"clientToken": token, "status": "PAUSED"})),
                (admin, none, "", null.clone()),
            ],
        )
        .await;
    assert_eq!(statuses, [200, 200, 409, 409]);
    assert_eq!(h.recorder.take(), template_actions(Operation::EnableMacie), "EnableMacie");

    let statuses = h
        .statuses(Operation::GetMacieSession, &[(admin, none, "", null.clone()), (stranger, none, "", null.clone())])
        .await;
    assert_eq!(statuses, [200, 403]);
    assert_eq!(h.recorder.take(), template_actions(Operation::GetMacieSession), "GetMacieSession");

    let pause = serde_json::json!({"status": "PAUSED"});
    let resume = serde_json::json!({"status": "ENABLED"});
    let statuses = h
        .statuses(
            Operation::UpdateMacieSession,
            &[(admin, none, "", pause.clone()), (admin, none, "", resume.clone()), (stranger, none, "", pause.clone())],
        )
        .await;
    assert_eq!(statuses, [200, 200, 403]);
    assert_eq!(h.recorder.take(), template_actions(Operation::UpdateMacieSession), "UpdateMacieSession");

    // CreateMember: created, already a member, no session.
    let statuses = h
        .statuses(
            Operation::CreateMember,
            &[
                (admin, none, "", member_body(member)),
                (admin, none, "", member_body(member)),
                (stranger, none, "", member_body("300000000004")),
            ],
        )
        .await;
    assert_eq!(statuses, [200, 409, 403]);
    assert_eq!(h.recorder.take(), template_actions(Operation::CreateMember), "CreateMember");

    let statuses = h
        .statuses(
            Operation::GetMember,
            &[
                (admin, of_member, "", null.clone()),
                (admin, &[("id", stranger)], "", null.clone()),
                (stranger, of_member, "", null.clone()),
            ],
        )
        .await;
    assert_eq!(statuses, [200, 404, 403]);
    assert_eq!(h.recorder.take(), template_actions(Operation::GetMember), "GetMember");

    // The mixed batch: self, a member, a stranger, a malformed ID; then a paused member.
    let batch = serde_json::json!({"accounts": [
        {"accountId": admin, "status": "ENABLED"},
        {"accountId": member, "status": "ENABLED"},
        {"accountId": stranger, "status": "ENABLED"},
        {"accountId": "not-an-account", "status": "ENABLED"},
    ]});
    let statuses = h
        .statuses(
            Operation::BatchUpdateAutomatedDiscoveryAccounts,
            &[(admin, none, "", batch.clone()), (stranger, none, "", batch.clone())],
        )
        .await;
    assert_eq!(statuses, [200, 403]);
    assert_eq!(
        h.recorder.take(),
        template_actions(Operation::BatchUpdateAutomatedDiscoveryAccounts),
        "BatchUpdateAutomatedDiscoveryAccounts"
    );

    let statuses = h
        .statuses(
            Operation::UpdateMemberSession,
            &[
                (admin, of_member, "", pause.clone()),
                (admin, &[("id", stranger)], "", pause.clone()),
                (stranger, of_member, "", pause.clone()),
            ],
        )
        .await;
    assert_eq!(statuses, [200, 404, 403]);
    assert_eq!(h.recorder.take(), template_actions(Operation::UpdateMemberSession), "UpdateMemberSession");

    let filter = format!("accountIds={admin}&accountIds={member}&accountIds={stranger}");
    let statuses = h
        .statuses(
            Operation::ListAutomatedDiscoveryAccounts,
            &[
                (admin, none, "", null.clone()),
                (admin, none, &filter, null.clone()),
                (stranger, none, "", null.clone()),
            ],
        )
        .await;
    assert_eq!(statuses, [200, 200, 403]);
    assert_eq!(
        h.recorder.take(),
        template_actions(Operation::ListAutomatedDiscoveryAccounts),
        "ListAutomatedDiscoveryAccounts"
    );

    // The configuration: ENABLED with ALL (the member is paused: no member write), DISABLED (the
    // paused member is written), then ENABLED again for the CreateMember below; no session.
    let configure = |status: &str| serde_json::json!({"status": status, "autoEnableOrganizationMembers": "ALL"});
    let statuses = h
        .statuses(
            Operation::UpdateAutomatedDiscoveryConfiguration,
            &[
                (admin, none, "", configure("ENABLED")),
                (admin, none, "", configure("DISABLED")),
                (admin, none, "", configure("ENABLED")),
                (admin, none, "", serde_json::json!({})),
                (stranger, none, "", configure("ENABLED")),
            ],
        )
        .await;
    assert_eq!(statuses, [200, 200, 200, 400, 403]);
    assert_eq!(
        h.recorder.take(),
        template_actions(Operation::UpdateAutomatedDiscoveryConfiguration),
        "UpdateAutomatedDiscoveryConfiguration"
    );

    let statuses = h
        .statuses(
            Operation::GetAutomatedDiscoveryConfiguration,
            &[(admin, none, "", null.clone()), (stranger, none, "", null.clone())],
        )
        .await;
    assert_eq!(statuses, [200, 403]);
    assert_eq!(
        h.recorder.take(),
        template_actions(Operation::GetAutomatedDiscoveryConfiguration),
        "GetAutomatedDiscoveryConfiguration"
    );

    // DisassociateMember: the member, again (a no-op), unknown and malformed IDs, no session.
    let statuses = h
        .statuses(
            Operation::DisassociateMember,
            &[
                (admin, of_member, "", null.clone()),
                (admin, of_member, "", null.clone()),
                (admin, &[("id", stranger)], "", null.clone()),
                (admin, &[("id", "not-an-account")], "", null.clone()),
                (stranger, of_member, "", null.clone()),
            ],
        )
        .await;
    assert_eq!(statuses, [200, 200, 404, 404, 403]);
    assert_eq!(h.recorder.take(), template_actions(Operation::DisassociateMember), "DisassociateMember");

    let statuses = h
        .statuses(
            Operation::ListMembers,
            &[
                (admin, none, "", null.clone()),
                (admin, none, "onlyAssociated=false&maxResults=1", null.clone()),
                (admin, none, "onlyAssociated=maybe", null.clone()),
                (stranger, none, "", null.clone()),
            ],
        )
        .await;
    assert_eq!(statuses, [200, 200, 400, 403]);
    assert_eq!(h.recorder.take(), template_actions(Operation::ListMembers), "ListMembers");

    // CreateMember again: over the caller's Removed record, under an ENABLED configuration.
    let statuses = h.statuses(Operation::CreateMember, &[(admin, none, "", member_body(member))]).await;
    assert_eq!(statuses, [200]);
    assert_eq!(h.recorder.take(), template_actions(Operation::CreateMember), "CreateMember again");

    // DeleteMember: an associated member, then gone, a Removed record, a malformed ID, no session.
    let removed = "300000000003";
    h.prepare(Operation::CreateMember, admin, none, member_body(removed)).await;
    h.prepare(Operation::DisassociateMember, admin, &[("id", removed)], null.clone()).await;
    h.recorder.take();
    let statuses = h
        .statuses(
            Operation::DeleteMember,
            &[
                (admin, of_member, "", null.clone()),
                (admin, of_member, "", null.clone()),
                (admin, &[("id", removed)], "", null.clone()),
                (admin, &[("id", "not-an-account")], "", null.clone()),
                (stranger, of_member, "", null.clone()),
            ],
        )
        .await;
    assert_eq!(statuses, [200, 404, 200, 404, 403]);
    assert_eq!(h.recorder.take(), template_actions(Operation::DeleteMember), "DeleteMember");

    // DisableMacie: refused with a member associated; then over 100 Removed records (more than
    // one transaction holds), then again without a session.
    h.prepare(Operation::CreateMember, admin, none, member_body(member)).await;
    h.recorder.take();
    let statuses = h.statuses(Operation::DisableMacie, &[(admin, none, "", null.clone())]).await;
    assert_eq!(statuses, [409]);
    let removed: Vec<String> = (0..100).map(|i| format!("{:012}", 310_000_000_000u64 + i)).collect();
    for id in removed.iter().map(String::as_str).chain([member]) {
        if id != member {
            h.prepare(Operation::CreateMember, admin, none, member_body(id)).await;
        }
        h.prepare(Operation::DisassociateMember, admin, &[("id", id)], null.clone()).await;
    }
    let statuses =
        h.statuses(Operation::DisableMacie, &[(admin, none, "", null.clone()), (admin, none, "", null.clone())]).await;
    assert_eq!(statuses, [200, 403]);
    assert_eq!(h.recorder.take(), template_actions(Operation::DisableMacie), "DisableMacie");
}
