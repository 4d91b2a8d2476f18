//! With `SignForExecuteApi`, the AWS SDK for Rust signs for API Gateway (`execute-api`) in the
//! client's Region and keeps the endpoint's stage path; without it, it signs for its service.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Answers one request with an empty ListScopes page and returns the request head.
async fn capture_one(listener: tokio::net::TcpListener) -> String {
    let (mut socket, _) = listener.accept().await.unwrap();
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = socket.read(&mut buf).await.unwrap();
        assert!(n > 0, "connection closed before the request head ended");
        head.extend_from_slice(&buf[..n]);
    }
    let body = r#"{"scopes":[]}"#;
    let response =
        format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}", body.len());
    socket.write_all(response.as_bytes()).await.unwrap();
    String::from_utf8_lossy(&head).into_owned()
}

async fn list_scopes_head(sign_for_execute_api: bool) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}/prod", listener.local_addr().unwrap());
    let captured = tokio::spawn(capture_one(listener));
    let mut config = aws_sdk_networkflowmonitor::Config::builder()
        .behavior_version(aws_sdk_networkflowmonitor::config::BehaviorVersion::latest())
        .region(aws_sdk_networkflowmonitor::config::Region::new("eu-west-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_networkflowmonitor::config::Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            None,
            None,
            "test",
        ));
    if sign_for_execute_api {
        config = config.interceptor(execute_api_signing::SignForExecuteApi);
    }
    let client = aws_sdk_networkflowmonitor::Client::from_conf(config.build());
    client.list_scopes().send().await.expect("the captured answer parses");
    captured.await.unwrap()
}

fn authorization(head: &str) -> &str {
    head.lines().find_map(|l| l.strip_prefix("authorization: ")).expect("an Authorization header")
}

#[tokio::test]
async fn the_interceptor_signs_for_execute_api_in_the_client_region() {
    let head = list_scopes_head(true).await;
    assert!(head.starts_with("GET /prod/scopes HTTP/1.1"), "{head}");
    assert!(authorization(&head).contains("/eu-west-1/execute-api/aws4_request"), "{head}");
}

#[tokio::test]
async fn without_it_the_sdk_signs_for_its_own_service() {
    let head = list_scopes_head(false).await;
    assert!(authorization(&head).contains("/eu-west-1/networkflowmonitor/aws4_request"), "{head}");
}
