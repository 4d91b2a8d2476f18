//! The Lambda adapter on the API Gateway HTTP API (payload 2.0) events in `events/`: each event is
//! a route of its function, runs to the expected answer, and identity comes from the IAM
//! authoriser, or from the access key only where local identity is switched on.

use std::path::Path;
use std::sync::Arc;

use lambda_http::Body;
use lambda_http::http::Response;
use serde_json::Value;
use shared::identity::{AccountId, IdentityMode};
use shared::nfm::domain::{Tags, TargetSet};
use shared::store::embedded::EmbeddedStore;
use shared::store::{Scope, ScopeStore};
use shared::{App, Operation, lambda};

const SEEDED_SCOPE: &str = "0f5b6c1e-8c1a-4d2b-9e3f-5a6b7c8d9e0f";
const SEEDED_ACCOUNT: &str = "222222222222";

fn event_text(operation: Operation) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../events/{}.json", operation.function_name()));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// An app on a fresh store holding the scope the update/get/list/delete events name.
async fn seeded_app(identity: IdentityMode) -> App {
    let store = EmbeddedStore::in_memory().unwrap();
    let scope = Scope {
        account: AccountId::parse(SEEDED_ACCOUNT).unwrap(),
        scope_id: SEEDED_SCOPE.into(),
        targets: TargetSet::from_keys(["555555555555/us-west-2", "666666666666/us-east-1"]).unwrap(),
        tags: Tags::default(),
        version: 1,
    };
    store.create_scope(&scope, None, 0).await.unwrap();
    App::new(Arc::new(store), "us-east-1").with_identity(identity)
}

async fn invoke(app: &App, operation: Operation, event: &str) -> (u16, Value, Response<Body>) {
    let request = lambda_http::request::from_str(event).expect("an API Gateway event");
    let response = lambda::handle(app, operation, request).await.unwrap();
    let body = match response.body() {
        Body::Text(t) => serde_json::from_str(t).unwrap(),
        other => panic!("expected a JSON text body, got {other:?}"),
    };
    (response.status().as_u16(), body, response)
}

#[test]
fn there_is_one_event_per_function_and_it_is_its_route() {
    for operation in Operation::ALL {
        let event: Value = serde_json::from_str(&event_text(*operation)).unwrap();
        let route = operation.route();
        assert_eq!(event["version"], "2.0", "{operation:?}: HTTP API payload 2.0");
        assert_eq!(event["routeKey"], format!("{} {}", route.method, route.path), "{operation:?}");
        assert_eq!(event["requestContext"]["http"]["method"], route.method, "{operation:?}");
    }
    let files = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../events")).unwrap().count();
    assert_eq!(files, Operation::ALL.len(), "events/ holds exactly one event per function");
}

#[tokio::test]
async fn each_event_runs_to_its_expected_answer_under_iam_identity() {
    let seeded_arn = format!("arn:aws:networkflowmonitor:us-east-1:{SEEDED_ACCOUNT}:scope/{SEEDED_SCOPE}");

    let app = seeded_app(IdentityMode::Iam).await;
    let (status, body, response) = invoke(&app, Operation::CreateScope, &event_text(Operation::CreateScope)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "SUCCEEDED");
    assert!(body["scopeArn"].as_str().unwrap().starts_with("arn:aws:networkflowmonitor:us-east-1:111111111111:scope/"));
    assert_eq!(body["tags"]["team"], "network");
    assert_eq!(response.headers()["x-amzn-requestid"], "evt-create-scope");
    assert_eq!(response.headers()["content-type"], "application/json");

    let (status, body, _) = invoke(&app, Operation::ListScopes, &event_text(Operation::ListScopes)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["scopes"],
        serde_json::json!([{"scopeId": SEEDED_SCOPE, "status": "SUCCEEDED", "scopeArn": seeded_arn}])
    );

    let (status, body, _) = invoke(&app, Operation::UpdateScope, &event_text(Operation::UpdateScope)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scopeId"], SEEDED_SCOPE);

    let (status, body, _) = invoke(&app, Operation::GetScope, &event_text(Operation::GetScope)).await;
    assert_eq!(status, 200, "{body}");
    let accounts: Vec<&str> = body["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["targetIdentifier"]["targetId"]["accountId"].as_str().unwrap())
        .collect();
    assert_eq!(accounts, ["444444444444", "666666666666"], "the update event added one target and removed one");

    let (status, body, _) = invoke(&app, Operation::DeleteScope, &event_text(Operation::DeleteScope)).await;
    assert_eq!((status, body), (200, serde_json::json!({})));
    let (status, _, response) = invoke(&app, Operation::GetScope, &event_text(Operation::GetScope)).await;
    assert_eq!(status, 404);
    assert_eq!(response.headers()["x-amzn-errortype"], "ResourceNotFoundException");
}

#[tokio::test]
async fn without_an_iam_authoriser_a_deployed_function_answers_403_and_writes_nothing() {
    let app = seeded_app(IdentityMode::Iam).await;
    for operation in Operation::ALL {
        let mut event: Value = serde_json::from_str(&event_text(*operation)).unwrap();
        event["requestContext"].as_object_mut().unwrap().remove("authorizer");
        // A SigV4 header alone must not be trusted by a deployed function.
        event["headers"]["authorization"] =
            "AWS4-HMAC-SHA256 Credential=222222222222/20261121/us-east-1/networkflowmonitor/aws4_request".into();
        let (status, body, response) = invoke(&app, *operation, &event.to_string()).await;
        assert_eq!(status, 403, "{operation:?}: {body}");
        assert_eq!(response.headers()["x-amzn-errortype"], "AccessDeniedException");
        assert!(body["message"].as_str().unwrap().contains("authorised"));
    }
    let (status, _, _) = invoke(&app, Operation::GetScope, &event_text(Operation::GetScope)).await;
    assert_eq!(status, 200, "the seeded scope is untouched");
}

#[tokio::test]
async fn local_identity_takes_the_account_from_the_access_key_only_when_switched_on() {
    let app = seeded_app(IdentityMode::Local).await;
    let mut event: Value = serde_json::from_str(&event_text(Operation::GetScope)).unwrap();
    event["requestContext"].as_object_mut().unwrap().remove("authorizer");
    event["headers"]["authorization"] =
        format!("AWS4-HMAC-SHA256 Credential={SEEDED_ACCOUNT}/20261121/us-east-1/networkflowmonitor/aws4_request, SignedHeaders=host, Signature=0").into();
    let (status, body, _) = invoke(&app, Operation::GetScope, &event.to_string()).await;
    assert_eq!(status, 200, "{body}");
    event["headers"]["authorization"] =
        "AWS4-HMAC-SHA256 Credential=777777777777/20261121/us-east-1/networkflowmonitor/aws4_request".into();
    let (status, _, _) = invoke(&app, Operation::GetScope, &event.to_string()).await;
    assert_eq!(status, 404, "another account does not see the scope");
}

#[tokio::test]
async fn an_event_for_another_route_is_refused_by_a_function() {
    let app = seeded_app(IdentityMode::Iam).await;
    let mut event: Value = serde_json::from_str(&event_text(Operation::ListScopes)).unwrap();
    event["rawPath"] = "/prod/elsewhere".into();
    event["requestContext"]["http"]["path"] = "/prod/elsewhere".into();
    let (status, _, response) = invoke(&app, Operation::ListScopes, &event.to_string()).await;
    assert_eq!(status, 404);
    assert_eq!(response.headers()["x-amzn-errortype"], "UnknownOperationException");
}
