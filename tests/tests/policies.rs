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
use integration_tests::{REGION, dynamo_store, dynamodb_endpoint};
use shared::api::ApiRequest;
use shared::identity::AccountId;
use shared::routes::PathParams;
use shared::store::dynamodb::DynamoStore;
use shared::{App, Operation, dispatch};

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
        let table = plain.table().to_owned();
        let recorder = ActionRecorder::default();
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .region(aws_sdk_dynamodb::config::Region::new(REGION))
            .endpoint_url(dynamodb_endpoint())
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("local", "local", None, None, "test"))
            .interceptor(recorder.clone())
            .build();
        let recording = DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config), table);
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
        let request = ApiRequest {
            request_id: "policy-test".into(),
            caller: AccountId::parse(account),
            path_params: PathParams::new(vec![("scopeId", scope_id.to_owned())]),
            query: Vec::new(),
            body: if body.is_null() { Vec::new() } else { body.to_string().into_bytes() },
        };
        let response = dispatch(app, operation, request).await;
        (response.status, serde_json::from_slice(&response.body).unwrap())
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
