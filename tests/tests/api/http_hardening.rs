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
