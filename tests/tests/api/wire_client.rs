//! A raw HTTP/1.1 client that reports instead of panicking, for the property and crash tests: a
//! request may carry any bytes and an `Authorization` header (the caller's account), and a server
//! that closes the connection without answering (a panic) or that died is an `Err` that says so.
//! [`check_aws_answer`] holds any answer to what every operation must send: a 2xx JSON object, or
//! a 4xx error with the AWS error shape ([`assert_raw_error`]'s checks).

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{RawResponse, assert_raw_error};

/// Longest a request may take before it is reported as unanswered: a guard against a hung
/// server, not a timing assertion.
const NO_ANSWER_AFTER: Duration = Duration::from_secs(20);

/// One request: `target` is the raw request target (path and query, already encoded).
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub method: &'a str,
    pub target: &'a str,
    pub body: &'a [u8],
    /// The caller's account as a SigV4 access key; `None` sends no `Authorization` (the local
    /// default account).
    pub account: Option<&'a str>,
}

/// The `Authorization` header of a SigV4 request by `access_key` (signatures are not checked).
pub fn authorization(access_key: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={access_key}/20260101/us-east-1/service/aws4_request, SignedHeaders=host, Signature=0"
    )
}

/// Sends `request` on a fresh connection and reads the whole answer.
pub async fn send(addr: SocketAddr, request: &Request<'_>) -> Result<RawResponse, String> {
    tokio::time::timeout(NO_ANSWER_AFTER, exchange(addr, request))
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {NO_ANSWER_AFTER:?}")))
        .map_err(|e| format!("{} {}: {e}", request.method, request.target))
}

async fn exchange(addr: SocketAddr, request: &Request<'_>) -> Result<RawResponse, String> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.map_err(|e| format!("connect: {e}"))?;
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        request.method,
        request.target,
        request.body.len()
    );
    if let Some(account) = request.account {
        head.push_str(&format!("Authorization: {}\r\n", authorization(account)));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.map_err(|e| format!("writing the head: {e}"))?;
    // The server may answer (and close) before reading the whole body; the answer still counts.
    let _ = stream.write_all(request.body).await;
    let mut raw = Vec::new();
    let read = stream.read_to_end(&mut raw).await;
    if raw.is_empty() {
        return Err(match read {
            Ok(_) => "the connection closed without an answer (did the server panic or die?)".to_owned(),
            Err(e) => format!("reading the answer: {e}"),
        });
    }
    parse(&raw)
}

fn parse(raw: &[u8]) -> Result<RawResponse, String> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| {
        format!("an incomplete HTTP answer: {:?}", String::from_utf8_lossy(&raw[..raw.len().min(300)]))
    })?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status in {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let body = String::from_utf8(raw[split + 4..].to_vec()).map_err(|e| format!("the body is not UTF-8: {e}"))?;
    Ok(RawResponse { status, headers, body })
}

/// Holds `resp` to what every operation answers: 2xx with a JSON object and no error type, or
/// 4xx with `X-Amzn-ErrorType`, a JSON `message`, `x-amzn-RequestId` and `application/json`.
/// Panics (proptest reports it with the request) otherwise; 5xx included.
#[track_caller]
pub fn check_aws_answer(resp: &RawResponse) {
    match resp.status {
        200..=299 => {
            assert_eq!(resp.header("x-amzn-errortype"), None, "a success with an error type: {resp:?}");
            assert!(resp.header("x-amzn-requestid").is_some_and(|v| !v.is_empty()), "no request id: {resp:?}");
            assert_eq!(resp.header("content-type"), Some("application/json"), "{resp:?}");
            let body: serde_json::Value = serde_json::from_str(&resp.body)
                .unwrap_or_else(|e| panic!("a success that is not JSON ({e}): {resp:?}"));
            assert!(body.is_object(), "a success that is not a JSON object: {resp:?}");
        }
        400..=499 => {
            let error_type = resp
                .header("x-amzn-errortype")
                .unwrap_or_else(|| panic!("a {} without X-Amzn-ErrorType: {resp:?}", resp.status));
            assert!(error_type.ends_with("Exception"), "an error type that is no AWS shape: {resp:?}");
            assert_raw_error(resp, resp.status, error_type);
        }
        other => panic!("answered {other}, neither 2xx nor 4xx: {resp:?}"),
    }
}
