//! The Lambda adapter on the API Gateway HTTP API (payload 2.0) events in `events/`: each event is
//! a route of its function, runs to the expected answer, and identity comes from the IAM
//! authoriser, or from the access key only where local identity is switched on.

use std::path::Path;
use std::sync::Arc;

use lambda_http::Body;
use lambda_http::http::Response;
use serde_json::Value;
use shared::common::AccountId;
use shared::common::Tags;
use shared::identity::IdentityMode;
use shared::nfm::domain::TargetSet;
use shared::operations::dispatch;
use shared::store::embedded::EmbeddedStore;
use shared::store::{Scope, ScopeStore};
use shared::{App, Operation, lambda, op};

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
    // What `lambda::handle::<H>` does for the operation's own `H` (the function binaries), with
    // the operation chosen at run time so that one loop covers every event.
    let response = match lambda::api_request(app, operation, &request) {
        Ok(api_request) => dispatch(app, operation, api_request).await,
        Err(refused) => refused,
    };
    let response = lambda::into_lambda_response(response).unwrap();
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

    // The tag events name the seeded scope by its ARN, which the gateway passes decoded.
    let (status, body, _) = invoke(&app, Operation::TagResource, &event_text(Operation::TagResource)).await;
    assert_eq!((status, body), (200, serde_json::json!({})));
    let list = Operation::ListTagsForResource;
    let (status, body, _) = invoke(&app, list, &event_text(list)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, serde_json::json!({"tags": {"team": "network", "cost,center": "cc-42"}}));
    // The untag event's repeated tagKeys come from the raw query string: `cost,center` is one key,
    // whatever the comma-joined queryStringParameters say.
    let (status, body, _) = invoke(&app, Operation::UntagResource, &event_text(Operation::UntagResource)).await;
    assert_eq!((status, body), (200, serde_json::json!({})));
    let (status, body, _) = invoke(&app, list, &event_text(list)).await;
    assert_eq!((status, body), (200, serde_json::json!({"tags": {"team": "network"}})));
    let (_, body, _) = invoke(&app, Operation::GetScope, &event_text(Operation::GetScope)).await;
    assert_eq!(body["tags"], serde_json::json!({"team": "network"}), "one tag set");

    let (status, body, _) = invoke(&app, Operation::DeleteScope, &event_text(Operation::DeleteScope)).await;
    assert_eq!((status, body), (200, serde_json::json!({})));
    let (status, _, response) = invoke(&app, Operation::GetScope, &event_text(Operation::GetScope)).await;
    assert_eq!(status, 404);
    assert_eq!(response.headers()["x-amzn-errortype"], "ResourceNotFoundException");
    let (status, body, _) = invoke(&app, list, &event_text(list)).await;
    assert_eq!(status, 404, "the tags went with the scope: {body}");
}

/// The seeded scope's ARN.
fn seeded_arn() -> String {
    format!("arn:aws:networkflowmonitor:us-east-1:{SEEDED_ACCOUNT}:scope/{SEEDED_SCOPE}")
}

/// The ListTagsForResource event as `cargo lambda watch` builds it: the route key `$default`,
/// the path as sent (the SDK's `%3A` and `%2F` still encoded, no stage) and path parameters cut
/// from it undecoded by its router.
fn watch_event(raw_arn: &str) -> String {
    let mut event: Value = serde_json::from_str(&event_text(Operation::ListTagsForResource)).unwrap();
    let path = format!("/tags/{raw_arn}");
    event["routeKey"] = "$default".into();
    event["requestContext"]["routeKey"] = "$default".into();
    event["requestContext"]["stage"] = "$default".into();
    event["rawPath"] = path.clone().into();
    event["requestContext"]["http"]["path"] = path.into();
    event["pathParameters"] = serde_json::json!({"resourceArn": raw_arn});
    event.to_string()
}

#[tokio::test]
async fn a_greedy_label_is_decoded_once_whoever_routed_the_event() {
    let app = seeded_app(IdentityMode::Iam).await;
    let list = Operation::ListTagsForResource;
    let tag = serde_json::json!({"tags": {"k": "v"}});
    let (status, _, _) =
        invoke(&app, Operation::TagResource, &event_as(Operation::TagResource, SEEDED_ACCOUNT, Some(tag))).await;
    assert_eq!(status, 200);

    // API Gateway: the route key is the operation's and the parameters come decoded.
    let (status, body, _) = invoke(&app, list, &event_text(list)).await;
    assert_eq!((status, &body), (200, &serde_json::json!({"tags": {"k": "v"}})));
    // cargo lambda watch: what the SDK sent, decoded here once, names the same scope.
    let encoded = seeded_arn().replace(':', "%3A").replace('/', "%2F");
    let (status, body, _) = invoke(&app, list, &watch_event(&encoded)).await;
    assert_eq!((status, &body), (200, &serde_json::json!({"tags": {"k": "v"}})));
    // ... and so does the ARN with its `/` as a path separator.
    let (status, body, _) = invoke(&app, list, &watch_event(&seeded_arn())).await;
    assert_eq!((status, &body), (200, &serde_json::json!({"tags": {"k": "v"}})));
    // Decoded once only: a doubly encoded `/` stays `%2F`, which names no scope.
    let twice = seeded_arn().replace(':', "%3A").replace('/', "%252F");
    let (status, body, _) = invoke(&app, list, &watch_event(&twice)).await;
    assert_eq!(status, 404, "{body}");
    assert!(body["message"].as_str().unwrap().contains("scope%2F"), "{body}");
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
async fn a_function_binds_its_operation_at_compile_time() {
    // Exactly what functions/src/bin/get-scope.rs runs for each event.
    let app = seeded_app(IdentityMode::Iam).await;
    let request = lambda_http::request::from_str(&event_text(Operation::GetScope)).unwrap();
    let response = lambda::handle::<op::GetScope>(&app, request).await.unwrap();
    assert_eq!(response.status(), 200);
    let Body::Text(text) = response.body() else { panic!("a JSON text body") };
    let body: Value = serde_json::from_str(text).unwrap();
    assert_eq!(body["scopeId"], SEEDED_SCOPE);
    // The same event given to another operation's handler is not its route.
    let request = lambda_http::request::from_str(&event_text(Operation::GetScope)).unwrap();
    let response = lambda::handle::<op::ListScopes>(&app, request).await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["x-amzn-errortype"], "UnknownOperationException");
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

/// The event of `operation` with the caller's account and (if given) the body replaced.
fn event_as(operation: Operation, account: &str, body: Option<Value>) -> String {
    let mut event: Value = serde_json::from_str(&event_text(operation)).unwrap();
    event["requestContext"]["authorizer"]["iam"]["accountId"] = account.into();
    if let Some(body) = body {
        event["body"] = body.to_string().into();
    }
    event.to_string()
}

/// The package ID the OpenSearch events name; the test creates a package and points them at it.
const EVENT_PACKAGE_ID: &str = "pkg-0f5b6c1e8c1a4d2b9e3f";

#[tokio::test]
async fn opensearch_events_run_to_their_expected_answers() {
    let app = seeded_app(IdentityMode::Iam).await;
    let (status, body, response) = invoke(&app, Operation::CreatePackage, &event_text(Operation::CreatePackage)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["PackageDetails"]["PackageOwner"], "111111111111");
    assert_eq!(body["PackageDetails"]["PackageStatus"], "AVAILABLE");
    assert_eq!(response.headers()["x-amzn-requestid"], "evt-create-package");

    // The package of account 222222222222 that the other events are about.
    let (status, body, _) =
        invoke(&app, Operation::CreatePackage, &event_as(Operation::CreatePackage, SEEDED_ACCOUNT, None)).await;
    assert_eq!(status, 200, "{body}");
    let id = body["PackageDetails"]["PackageID"].as_str().unwrap().to_owned();
    let event = |operation| event_text(operation).replace(EVENT_PACKAGE_ID, &id);

    let (status, body, _) = invoke(&app, Operation::UpdatePackageScope, &event(Operation::UpdatePackageScope)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["PackageUserList"], serde_json::json!(["333333333333", "GLOBAL"]));

    let (status, body, _) = invoke(&app, Operation::DescribePackages, &event(Operation::DescribePackages)).await;
    assert_eq!(status, 200, "{body}");
    let packages = body["PackageDetailsList"].as_array().unwrap();
    assert_eq!(packages.len(), 1, "{body}");
    assert_eq!(packages[0]["PackageID"], id.as_str());
    assert_eq!(packages[0]["AllowListedUserList"], serde_json::json!(["333333333333", "GLOBAL"]));
    assert_eq!(packages[0]["AvailablePackageVersion"], "v1");

    let (status, body, response) = invoke(&app, Operation::UpdatePackage, &event(Operation::UpdatePackage)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(response.headers()["x-amzn-requestid"], "evt-update-package");
    let details = &body["PackageDetails"];
    assert_eq!(details["AvailablePackageVersion"], "v2");
    assert_eq!(details["PackageDescription"], "Synonyms, second edition");
    assert_eq!(details["AllowListedUserList"], serde_json::json!(["333333333333", "GLOBAL"]), "the scope stays");

    let history = Operation::GetPackageVersionHistory;
    let (status, body, _) = invoke(&app, history, &event(history)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["PackageID"], id.as_str());
    let entries = body["PackageVersionHistoryList"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "the event's maxResults=1: {body}");
    assert_eq!(entries[0]["PackageVersion"], "v2");
    assert_eq!(entries[0]["CommitMessage"], "Add the 2026 synonyms");
    assert!(body["NextToken"].is_string(), "v1 is on the next page: {body}");

    let (status, body, _) = invoke(&app, Operation::DeletePackage, &event(Operation::DeletePackage)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["PackageDetails"]["PackageStatus"], "DELETED");
    assert_eq!(body["PackageDetails"]["AvailablePackageVersion"], "v2");
    let (status, _, response) = invoke(&app, Operation::DeletePackage, &event(Operation::DeletePackage)).await;
    assert_eq!(status, 409, "OpenSearch's not-found is 409");
    assert_eq!(response.headers()["x-amzn-errortype"], "ResourceNotFoundException");
    let (status, _, response) = invoke(&app, history, &event(history)).await;
    assert_eq!(status, 409, "the history went with the package");
    assert_eq!(response.headers()["x-amzn-errortype"], "ResourceNotFoundException");
}

#[tokio::test]
async fn macie_events_run_to_their_expected_answers() {
    let app = seeded_app(IdentityMode::Iam).await;
    let (status, body, _) = invoke(&app, Operation::EnableMacie, &event_text(Operation::EnableMacie)).await;
    assert_eq!((status, body), (200, serde_json::json!({})));

    // Account 222222222222, which the other events act as, has Macie and member 333333333333.
    let (status, _, response) = invoke(&app, Operation::GetMacieSession, &event_text(Operation::GetMacieSession)).await;
    assert_eq!(status, 403, "no session yet");
    assert_eq!(response.headers()["x-amzn-errortype"], "AccessDeniedException");
    let (status, body, _) =
        invoke(&app, Operation::EnableMacie, &event_as(Operation::EnableMacie, SEEDED_ACCOUNT, None)).await;
    assert_eq!(status, 200, "{body}");
    let member = serde_json::json!({"account": {"accountId": "333333333333", "email": "member@example.com"}});
    let (status, body, _) =
        invoke(&app, Operation::CreateMember, &event_as(Operation::CreateMember, SEEDED_ACCOUNT, Some(member))).await;
    assert_eq!(status, 200, "{body}");

    let (status, body, _) =
        invoke(&app, Operation::UpdateMacieSession, &event_text(Operation::UpdateMacieSession)).await;
    assert_eq!((status, body), (200, serde_json::json!({})));
    let (status, body, _) = invoke(&app, Operation::GetMacieSession, &event_text(Operation::GetMacieSession)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["findingPublishingFrequency"], "SIX_HOURS", "the update event's change");
    assert_eq!(body["status"], "ENABLED");

    let (status, body, _) = invoke(&app, Operation::CreateMember, &event_text(Operation::CreateMember)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["arn"], "arn:aws:macie2:us-east-1:222222222222:member/444444444444");
    let (status, body, _) = invoke(&app, Operation::GetMember, &event_text(Operation::GetMember)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["relationshipStatus"], "Enabled");

    let batch = Operation::BatchUpdateAutomatedDiscoveryAccounts;
    let (status, body, _) = invoke(&app, batch, &event_text(batch)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["errors"], serde_json::json!([{"accountId": "999999999999", "errorCode": "ACCOUNT_NOT_FOUND"}]));

    let list = Operation::ListAutomatedDiscoveryAccounts;
    let (status, body, _) = invoke(&app, list, &event_text(list)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["items"],
        serde_json::json!([
            {"accountId": "222222222222", "status": "ENABLED"},
            {"accountId": "333333333333", "status": "ENABLED"},
        ]),
        "the repeated accountIds keys filter the listing to the two accounts the batch enabled"
    );

    let (status, body, _) =
        invoke(&app, Operation::UpdateMemberSession, &event_text(Operation::UpdateMemberSession)).await;
    assert_eq!((status, body), (200, serde_json::json!({})));
    let (status, body, _) = invoke(&app, batch, &event_text(batch)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["errors"],
        serde_json::json!([
            {"accountId": "333333333333", "errorCode": "ACCOUNT_PAUSED"},
            {"accountId": "999999999999", "errorCode": "ACCOUNT_NOT_FOUND"},
        ])
    );

    let (status, body, _) = invoke(&app, Operation::DeleteMember, &event_text(Operation::DeleteMember)).await;
    assert_eq!((status, body), (200, serde_json::json!({})));
    let (status, _, _) = invoke(&app, Operation::GetMember, &event_text(Operation::GetMember)).await;
    assert_eq!(status, 404);

    // The configuration (ENABLED, ALL), then member 444444444444 disassociated, then Macie
    // disabled for 222222222222.
    let update = Operation::UpdateAutomatedDiscoveryConfiguration;
    let (status, body, _) = invoke(&app, update, &event_text(update)).await;
    assert_eq!((status, body), (200, serde_json::json!({})));
    let get = Operation::GetAutomatedDiscoveryConfiguration;
    let (status, body, _) = invoke(&app, get, &event_text(get)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["status"].as_str(), body["autoEnableOrganizationMembers"].as_str()),
        (Some("ENABLED"), Some("ALL"))
    );
    assert!(body["firstEnabledAt"].as_str().is_some_and(|t| t.ends_with('Z')), "{body}");
    assert_eq!(body["firstEnabledAt"], body["lastUpdatedAt"]);
    assert!(body.get("disabledAt").is_none(), "{body}");

    let (status, body, _) = invoke(&app, Operation::ListMembers, &event_text(Operation::ListMembers)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["members"].as_array().map(Vec::len), Some(1), "{body}");
    assert_eq!(body["members"][0]["accountId"], "444444444444");
    assert_eq!(body["members"][0]["relationshipStatus"], "Enabled");
    assert_eq!(body["members"][0]["arn"], "arn:aws:macie2:us-east-1:222222222222:member/444444444444");
    assert!(body.get("nextToken").is_none());
    let (status, body, _) =
        invoke(&app, Operation::DisassociateMember, &event_text(Operation::DisassociateMember)).await;
    assert_eq!((status, body), (200, serde_json::json!({})));
    let (_, body, _) = invoke(&app, Operation::ListMembers, &event_text(Operation::ListMembers)).await;
    assert_eq!(body["members"][0]["relationshipStatus"], "Removed", "onlyAssociated=false lists it: {body}");

    let (status, body, _) = invoke(&app, Operation::DisableMacie, &event_text(Operation::DisableMacie)).await;
    assert_eq!((status, body), (200, serde_json::json!({})));
    for operation in [Operation::GetMacieSession, Operation::DisableMacie, Operation::ListMembers] {
        let (status, _, response) = invoke(&app, operation, &event_text(operation)).await;
        assert_eq!(status, 403, "{operation:?} after DisableMacie");
        assert_eq!(response.headers()["x-amzn-errortype"], "AccessDeniedException");
    }
}
