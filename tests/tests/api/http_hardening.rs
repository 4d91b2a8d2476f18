//! What a hostile HTTP client meets at the local server: only exact routes are served, methods
//! included (docs/conventions.md §3.3), and nothing is written by a request that is not one; a
//! client that is slow or idle is let go (header, idle and body timeouts) and cannot starve the
//! others; what the HTTP layer refuses still has the AWS error shape (docs/conventions.md §3.6).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use local_api::ServeLimits;
use serde_json::{Value, json};
use shared::App;
use shared::identity::IdentityMode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{REGION, RawResponse, StoreKind, TestServer, assert_raw_error};

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

// Slow and idle clients (issue #10 item 4). Each wait for the server is bounded by `PATIENCE`,
// far above the short limits the servers here are given, so no assertion hangs on today's main.

const PATIENCE: Duration = Duration::from_secs(10);

/// A server on a fresh embedded store within `limits`.
async fn server_within(limits: ServeLimits) -> SocketAddr {
    let store = crate::helpers::store(StoreKind::Embedded).await;
    let app = Arc::new(App::new(store, REGION).with_identity(IdentityMode::Local));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(local_api::serve_with(listener, app, limits));
    addr
}

fn short(header_ms: u64, idle_ms: u64, body_ms: u64, max_connections: usize) -> ServeLimits {
    ServeLimits {
        header_timeout: Duration::from_millis(header_ms),
        idle_timeout: Duration::from_millis(idle_ms),
        body_timeout: Duration::from_millis(body_ms),
        max_connections,
    }
}

/// Whether the server closes `stream` within `wait` (whatever it answers first).
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

/// Sends `request` as it is and reads the answer until the server closes (within `PATIENCE`).
async fn exchange(addr: SocketAddr, request: &[u8]) -> RawResponse {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    // The server may answer (and close) before reading all of it; that is fine.
    let _ = stream.write_all(request).await;
    let mut raw = Vec::new();
    let read = tokio::time::timeout(PATIENCE, async {
        let mut buf = [0u8; 8192];
        while let Ok(n @ 1..) = stream.read(&mut buf).await {
            raw.extend_from_slice(&buf[..n]);
        }
    })
    .await;
    assert!(read.is_ok(), "no answer within {PATIENCE:?}; read so far: {:?}", String::from_utf8_lossy(&raw));
    RawResponse::parse(&raw)
}

/// Reads one whole response (its `content-length` body included) off a kept-alive connection.
async fn read_one_response(stream: &mut TcpStream) -> RawResponse {
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = tokio::time::timeout(PATIENCE, stream.read(&mut buf)).await.expect("an answer in time").expect("read");
        assert!(n > 0, "closed before a whole response: {:?}", String::from_utf8_lossy(&raw));
        raw.extend_from_slice(&buf[..n]);
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = RawResponse::parse(&raw[..end + 4]);
            let length: usize = head.header("content-length").and_then(|v| v.parse().ok()).expect("content-length");
            if raw.len() >= end + 4 + length {
                return RawResponse::parse(&raw);
            }
        }
    }
}

const LIST_SCOPES: &[u8] = b"GET /scopes HTTP/1.1\r\nHost: local\r\n\r\n";

#[tokio::test]
async fn a_client_that_does_not_finish_its_request_head_in_time_is_closed() {
    let addr = server_within(short(300, 60_000, 60_000, 512)).await;
    let mut silent = TcpStream::connect(addr).await.expect("connect");
    let mut half = TcpStream::connect(addr).await.expect("connect");
    half.write_all(b"GET /scopes HTTP/1.1\r\nHost: local\r\n").await.expect("write");
    // A trickle of one byte every 50 ms keeps it busy but does not extend its time.
    let mut trickle = TcpStream::connect(addr).await.expect("connect");
    let trickler = tokio::spawn(async move {
        for byte in b"GET /scopes HTTP/1.1\r\nX-Slow: ".iter().chain([b'x'; 400].iter()) {
            if trickle.write_all(&[*byte]).await.is_err() {
                return (trickle, true);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        (trickle, false)
    });
    assert!(closed_within(&mut silent, PATIENCE).await, "a client that sent nothing was held");
    assert!(closed_within(&mut half, PATIENCE).await, "a client that sent half a head was held");
    let (mut trickle, cut_off) = trickler.await.expect("trickler");
    assert!(cut_off || closed_within(&mut trickle, Duration::from_secs(1)).await, "a trickling client was held");
    // Others are still served.
    assert_eq!(exchange(addr, b"GET /scopes HTTP/1.1\r\nHost: local\r\nConnection: close\r\n\r\n").await.status, 200);
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_after_the_idle_timeout() {
    let addr = server_within(short(60_000, 300, 60_000, 512)).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    // Kept alive: two requests on one connection are both served.
    for _ in 0..2 {
        stream.write_all(LIST_SCOPES).await.expect("write");
        assert_eq!(read_one_response(&mut stream).await.status, 200);
    }
    assert!(closed_within(&mut stream, PATIENCE).await, "an idle connection was held");
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_refused_with_the_aws_shape() {
    let addr = server_within(short(60_000, 60_000, 300, 512)).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let head = "POST /scopes HTTP/1.1\r\nHost: local\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n";
    stream.write_all(head.as_bytes()).await.expect("write");
    stream.write_all(br#"{"targets""#).await.expect("write");
    let resp = read_one_response(&mut stream).await;
    let message = assert_raw_error(&resp, 400, "ValidationException");
    assert!(message.contains("body") && message.contains("0.3 s"), "{message}");
    assert!(closed_within(&mut stream, PATIENCE).await, "the connection was kept after a body timeout");
}

#[tokio::test]
async fn slow_loris_clients_cannot_starve_the_others() {
    // Timeouts far away: only the connection limit protects the server here.
    let max = 8;
    let addr = server_within(short(60_000, 60_000, 60_000, max)).await;
    let mut slow = Vec::new();
    for i in 0..3 * max {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        // Half of them send part of a head, half part of a body.
        let partial: &[u8] = if i % 2 == 0 {
            b"GET /scopes HTTP/1.1\r\nHost: local\r\n"
        } else {
            b"POST /scopes HTTP/1.1\r\nHost: local\r\nContent-Length: 50\r\n\r\n{"
        };
        stream.write_all(partial).await.expect("write");
        slow.push(stream);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for _ in 0..max {
        let resp = exchange(addr, b"GET /scopes HTTP/1.1\r\nHost: local\r\nConnection: close\r\n\r\n").await;
        assert_eq!(resp.status, 200, "{resp:?}");
    }
    // At most `max` connections are held, so at least 2 * max of the slow ones were let go.
    let checks: Vec<_> = slow
        .into_iter()
        .map(|mut s| tokio::spawn(async move { closed_within(&mut s, Duration::from_secs(2)).await }))
        .collect();
    let mut closed = 0;
    for check in checks {
        closed += usize::from(check.await.expect("check"));
    }
    assert!(closed >= 2 * max, "only {closed} of {} slow clients were let go", 3 * max);
}

// HTTP-layer refusals keep the AWS error shape (issue #10 item 5).

#[tokio::test]
async fn a_bad_content_length_is_a_validation_exception() {
    let server = TestServer::on(StoreKind::Embedded).await;
    for length in ["Content-Length: abc", "Content-Length: -1", "Content-Length: 1\r\nContent-Length: 2"] {
        let request = format!("POST /scopes HTTP/1.1\r\nHost: local\r\n{length}\r\n\r\n{{}}");
        let resp = exchange(server.addr, request.as_bytes()).await;
        let message = assert_raw_error(&resp, 400, "ValidationException");
        assert!(message.contains("Content-Length"), "{length}: {message}");
    }
}

#[tokio::test]
async fn a_control_character_in_a_header_is_a_validation_exception() {
    let server = TestServer::on(StoreKind::Embedded).await;
    for header in ["X-Test: a\0b", "X-Test: a\x07b", "X\0Test: ab"] {
        let request = format!("GET /scopes HTTP/1.1\r\nHost: local\r\n{header}\r\n\r\n");
        let resp = exchange(server.addr, request.as_bytes()).await;
        let message = assert_raw_error(&resp, 400, "ValidationException");
        assert!(message.contains("header"), "{header:?}: {message}");
    }
}

#[tokio::test]
async fn more_than_100_header_fields_is_a_validation_exception() {
    let server = TestServer::on(StoreKind::Embedded).await;
    let request = |count: usize| {
        let extra: String = (1..count).map(|i| format!("X-Header-{i}: v\r\n")).collect();
        format!("GET /scopes HTTP/1.1\r\nHost: local\r\nConnection: close\r\n{extra}\r\n")
    };
    // Host and Connection count: 100 fields in all are served, 101 are not.
    assert_eq!(exchange(server.addr, request(99).as_bytes()).await.status, 200);
    let message = assert_raw_error(&exchange(server.addr, request(100).as_bytes()).await, 400, "ValidationException");
    assert!(message.contains("100 header fields"), "{message}");
}

#[tokio::test]
async fn a_uri_too_long_is_a_validation_exception_naming_the_member() {
    let server = TestServer::on(StoreKind::Embedded).await;
    let token = "A".repeat(100 * 1024);
    let request = format!("GET /scopes?maxResults=5&nextToken={token} HTTP/1.1\r\nHost: local\r\n\r\n");
    let message = assert_raw_error(&exchange(server.addr, request.as_bytes()).await, 400, "ValidationException");
    assert!(message.starts_with("nextToken: "), "{message}");
    // A path with no query member to name says what is too long.
    let request = format!("GET /scopes/{token} HTTP/1.1\r\nHost: local\r\n\r\n");
    let message = assert_raw_error(&exchange(server.addr, request.as_bytes()).await, 400, "ValidationException");
    assert!(message.contains("URI"), "{message}");
}

#[tokio::test]
async fn a_body_declared_over_the_limit_is_refused_before_100_continue() {
    let server = TestServer::on(StoreKind::Embedded).await;
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    let head = "POST /scopes HTTP/1.1\r\nHost: local\r\nContent-Type: application/json\r\n\
                Content-Length: 2000000\r\nExpect: 100-continue\r\n\r\n";
    stream.write_all(head.as_bytes()).await.expect("write");
    let mut buf = vec![0u8; 8192];
    let n = tokio::time::timeout(PATIENCE, stream.read(&mut buf)).await.expect("an answer at once").expect("read");
    let first = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(!first.starts_with("HTTP/1.1 100"), "told to send the body: {first:?}");
    let message = assert_raw_error(&read_rest(stream, buf[..n].to_vec()).await, 400, "ValidationException");
    assert!(message.contains("1048576"), "{message}");
    // Within the limit, the client is still told to go on.
    let body = json!({"targets": []}).to_string();
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    let head = format!(
        "POST /scopes HTTP/1.1\r\nHost: local\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Expect: 100-continue\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    let n = tokio::time::timeout(PATIENCE, stream.read(&mut buf)).await.expect("an answer").expect("read");
    assert!(buf[..n].starts_with(b"HTTP/1.1 100 Continue\r\n\r\n"), "{:?}", String::from_utf8_lossy(&buf[..n]));
    stream.write_all(body.as_bytes()).await.expect("write body");
    assert_raw_error(&read_rest(stream, buf[..n].to_vec()).await, 400, "ValidationException");
}

/// Reads `stream` to its end after `start` and parses the response.
async fn read_rest(mut stream: TcpStream, mut raw: Vec<u8>) -> RawResponse {
    tokio::time::timeout(PATIENCE, async {
        let mut buf = [0u8; 8192];
        while let Ok(n @ 1..) = stream.read(&mut buf).await {
            raw.extend_from_slice(&buf[..n]);
        }
    })
    .await
    .expect("the server closes");
    RawResponse::parse(&raw)
}
