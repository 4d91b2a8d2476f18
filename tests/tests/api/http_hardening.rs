//! What a hostile HTTP client meets at the local server: only exact routes are served, methods
//! included (docs/conventions.md §3.3), and nothing is written by a request that is not one.

use serde_json::{Value, json};

use crate::helpers::{StoreKind, TestServer, assert_raw_error};

async fn created_scope(server: &TestServer) -> String {
    let target = json!({"targetIdentifier": {"targetId": {"accountId": "777777777777"}, "targetType": "ACCOUNT"},
                        "region": "us-east-1"});
    let resp = server.raw("POST", "/scopes", json!({"targets": [target]}).to_string().as_bytes()).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    let body: Value = serde_json::from_str(&resp.body).expect("JSON");
    body["scopeId"].as_str().expect("scopeId").to_owned()
}

#[tokio::test]
async fn methods_are_case_sensitive() {
    let server = TestServer::on(StoreKind::Embedded).await;
    let scope_id = created_scope(&server).await;
    for method in ["delete", "Delete", "dELETE"] {
        let resp = server.raw(method, &format!("/scopes/{scope_id}"), b"").await;
        assert_raw_error(&resp, 404, "UnknownOperationException");
    }
    for (method, path) in [("get", "/macie"), ("pAtCh", "/macie"), ("get", "/scopes")] {
        assert_raw_error(&server.raw(method, path, b"").await, 404, "UnknownOperationException");
    }
    let resp = server.raw("GET", &format!("/scopes/{scope_id}"), b"").await;
    assert_eq!(resp.status, 200, "a refused DELETE deleted the scope: {}", resp.body);
}

#[tokio::test]
async fn only_exact_paths_are_routes() {
    let server = TestServer::on(StoreKind::Embedded).await;
    let scope_id = created_scope(&server).await;
    for path in [format!("//scopes/{scope_id}"), format!("///scopes/{scope_id}"), format!("/scopes//{scope_id}")] {
        assert_raw_error(&server.raw("DELETE", &path, b"").await, 404, "UnknownOperationException");
    }
    for path in ["//macie", "/macie/", "//scopes", "/scopes/"] {
        let resp = server.raw("GET", path, b"").await;
        // `/scopes/` is GetScope with an empty ID (a validation error); the others are no route.
        if path == "/scopes/" {
            assert_raw_error(&resp, 400, "ValidationException");
        } else {
            assert_raw_error(&resp, 404, "UnknownOperationException");
        }
    }
    let resp = server.raw("GET", &format!("/scopes/{scope_id}"), b"").await;
    assert_eq!(resp.status, 200, "a refused DELETE deleted the scope: {}", resp.body);
}

// Start-up: a server that cannot use its store says why in one line a person can act on.

#[test]
fn a_table_name_dynamodb_would_refuse_is_refused_before_connecting() {
    let rule = "table name must be 3–255 characters of a-z, A-Z, 0-9, '_', '-', '.'";
    for bad in ["t", "ab", "has space", "ünï", &"x".repeat(256)] {
        assert_eq!(local_api::table_name(bad).unwrap_err(), rule, "{bad}");
    }
    for good in ["abc", "scopes-api", "My_Table.v2", &"x".repeat(255)] {
        assert_eq!(local_api::table_name(good).as_deref(), Ok(good));
    }
}

#[tokio::test]
async fn an_unreachable_dynamodb_is_one_line_naming_the_endpoint() {
    // Nothing listens on port 1 of the loopback.
    for create in [false, true] {
        let message = local_api::dynamodb_store(Some("http://127.0.0.1:1"), "scopes-api", "us-east-1", create)
            .await
            .err()
            .expect("no DynamoDB there");
        assert!(message.starts_with("cannot reach DynamoDB at http://127.0.0.1:1: "), "{message}");
        assert!(message.to_lowercase().contains("connection refused"), "{message}");
        assert!(!message.contains('\n') && !message.contains("DispatchFailure"), "{message}");
    }
}

#[tokio::test]
async fn a_missing_table_says_how_to_create_it() {
    let endpoint = crate::helpers::dynamodb_endpoint();
    let table = format!("missing-{}", uuid::Uuid::new_v4());
    let message = local_api::dynamodb_store(Some(&endpoint), &table, "us-east-1", false).await.err().expect("missing");
    assert_eq!(
        message,
        format!("table {table} does not exist (create it with --create-table, or `local-api create-table`)")
    );
    // With --create-table it is created and then serves.
    local_api::dynamodb_store(Some(&endpoint), &table, "us-east-1", true).await.expect("created");
    local_api::dynamodb_store(Some(&endpoint), &table, "us-east-1", false).await.expect("now it exists");
}
