//! Transport-neutral requests and responses, and the one dispatcher every entry point
//! (Lambda, local server, `cargo lambda watch`) goes through.

use std::time::Instant;

use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::app::App;
use crate::common::AccountId;
use crate::error::ApiError;
use crate::identity::missing_identity;
use crate::routes::{Operation, PathParams, Service};
use crate::{macie, nfm, opensearch};

/// Request bodies above this size are refused with `ValidationException` (B.1.2).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A request as every operation sees it, whatever carried it.
#[derive(Debug, Clone, Default)]
pub struct ApiRequest {
    pub request_id: String,
    /// The authorised caller, `None` when the transport could not establish one.
    pub caller: Option<AccountId>,
    pub path_params: PathParams,
    /// Decoded query pairs in order; repeated keys stay repeated.
    pub query: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl ApiRequest {
    pub fn parse_query(raw: Option<&str>) -> Vec<(String, String)> {
        raw.map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default()
    }

    /// The body parsed as `T`. An empty body is `{}`; JSON errors name the member path.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        parse_json(&self.body)
    }

    /// The first value of query parameter `name`.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// An integer query parameter within `min..=max`.
    pub fn query_int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        let Some(raw) = self.query_param(name) else { return Ok(None) };
        match raw.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(ApiError::validation(format!("{name}: '{raw}' must be an integer from {min} to {max}"))),
        }
    }
}

/// Parses a JSON body into `T`: empty means `{}`, unknown members are ignored, and any error
/// becomes a `ValidationException` that says where (`targets[3].region: invalid type ...`).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) { b"{}" } else { body };
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::validation(format!("The request body is not valid JSON: {}", without_position(&inner)))
        } else if path == "." {
            ApiError::validation(format!("The request body is not valid: {}", without_position(&inner)))
        } else {
            ApiError::validation(format!("{path}: {}", without_position(&inner)))
        }
    })?;
    de.end()
        .map_err(|e| ApiError::validation(format!("The request body is not valid JSON: {}", without_position(&e))))?;
    Ok(value)
}

/// serde_json's message without its " at line 1 column 20" suffix.
fn without_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// What goes back on the wire; transports add `Content-Type`, `x-amzn-RequestId` and
/// `X-Amzn-ErrorType` from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiResponse {
    pub status: u16,
    pub error_type: Option<&'static str>,
    pub request_id: String,
    pub body: Vec<u8>,
}

impl ApiResponse {
    pub fn ok(body: Vec<u8>, request_id: String) -> Self {
        Self { status: 200, error_type: None, request_id, body }
    }

    pub fn error(error: &ApiError, service: Option<Service>, request_id: String) -> Self {
        let (status, shape) = error.wire(service);
        Self { status, error_type: Some(shape), request_id, body: error.body() }
    }

    /// Header names and values, the same for every transport.
    pub fn headers(&self) -> Vec<(&'static str, &str)> {
        let mut headers = vec![("content-type", "application/json"), ("x-amzn-requestid", self.request_id.as_str())];
        if let Some(shape) = self.error_type {
            headers.push(("x-amzn-errortype", shape));
        }
        headers
    }
}

/// A fresh request ID for transports that do not bring one.
pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Serialises an output shape; failing to is an internal error, never a panic.
pub fn to_body<T: serde::Serialize>(output: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(output).map_err(|e| {
        tracing::error!(error = %e, "could not serialise a response");
        ApiError::Internal
    })
}

/// Runs `operation` for `request` and turns the outcome into a response. Every request is
/// logged once, with its outcome and duration, under its request ID.
pub async fn dispatch(app: &App, operation: Operation, request: ApiRequest) -> ApiResponse {
    let started = Instant::now();
    let span = tracing::info_span!("request", operation = operation.name(), request_id = %request.request_id);
    let outcome = run(app, operation, &request).instrument(span.clone()).await;
    let response = match outcome {
        Ok(body) => ApiResponse::ok(body, request.request_id),
        Err(error) => ApiResponse::error(&error, Some(operation.service()), request.request_id),
    };
    span.in_scope(|| {
        tracing::info!(
            status = response.status,
            error_type = response.error_type.unwrap_or(""),
            elapsed_us = started.elapsed().as_micros() as u64,
            "handled"
        )
    });
    response
}

async fn run(app: &App, operation: Operation, request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    if request.body.len() > MAX_BODY_BYTES {
        return Err(ApiError::validation(format!("The request body is larger than {MAX_BODY_BYTES} bytes")));
    }
    let caller = request.caller.as_ref().ok_or_else(missing_identity)?;
    match operation {
        Operation::CreateScope => nfm::create_scope(app, caller, request).await,
        Operation::UpdateScope => nfm::update_scope(app, caller, request).await,
        Operation::GetScope => nfm::get_scope(app, caller, request).await,
        Operation::ListScopes => nfm::list_scopes(app, caller, request).await,
        Operation::DeleteScope => nfm::delete_scope(app, caller, request).await,
        Operation::UpdatePackageScope => opensearch::update_package_scope(app, caller, request).await,
        Operation::CreatePackage => opensearch::create_package(app, caller, request).await,
        Operation::DescribePackages => opensearch::describe_packages(app, caller, request).await,
        Operation::DeletePackage => opensearch::delete_package(app, caller, request).await,
        Operation::BatchUpdateAutomatedDiscoveryAccounts => {
            macie::batch_update_automated_discovery_accounts(app, caller, request).await
        }
        Operation::ListAutomatedDiscoveryAccounts => {
            macie::list_automated_discovery_accounts(app, caller, request).await
        }
        Operation::EnableMacie => macie::enable_macie(app, caller, request).await,
        Operation::GetMacieSession => macie::get_macie_session(app, caller, request).await,
        Operation::UpdateMacieSession => macie::update_macie_session(app, caller, request).await,
        Operation::CreateMember => macie::create_member(app, caller, request).await,
        Operation::GetMember => macie::get_member(app, caller, request).await,
        Operation::DeleteMember => macie::delete_member(app, caller, request).await,
        Operation::UpdateMemberSession => macie::update_member_session(app, caller, request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        items: Vec<Inner>,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        name: String,
    }

    fn message(err: ApiError) -> String {
        match err {
            ApiError::Validation(m) => m,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn json_errors_name_the_member_and_drop_positions() {
        let err = parse_json::<Outer>(br#"{"items":[{"name":"a"},{"name":3}]}"#).unwrap_err();
        assert_eq!(message(err), "items[1].name: invalid type: integer `3`, expected a string");
        let err = parse_json::<Outer>(b"{\"items\": [").unwrap_err();
        assert!(message(err).starts_with("The request body is not valid JSON"));
        let err = parse_json::<Outer>(b"{}").unwrap_err();
        assert_eq!(message(err), "The request body is not valid: missing field `items`");
        let err = parse_json::<Outer>(br#"{"items":[]} x"#).unwrap_err();
        assert!(message(err).contains("trailing characters"));
    }

    #[test]
    fn empty_body_is_an_empty_object_and_unknown_members_are_ignored() {
        #[derive(Deserialize)]
        struct Opt {
            #[allow(dead_code)]
            a: Option<String>,
        }
        assert!(parse_json::<Opt>(b"").is_ok());
        assert!(parse_json::<Opt>(b"  \n").is_ok());
        assert!(parse_json::<Opt>(br#"{"zzz": [1, {"x": null}]}"#).is_ok());
    }

    #[test]
    fn query_integers_are_range_checked() {
        let req = ApiRequest { query: ApiRequest::parse_query(Some("maxResults=26&a=1&a=2")), ..Default::default() };
        assert!(req.query_int("maxResults", 1, 25).is_err());
        assert_eq!(req.query_int("missing", 1, 25).unwrap(), None);
        assert_eq!(req.query_param("a"), Some("1"));
        let req = ApiRequest { query: ApiRequest::parse_query(Some("maxResults=abc")), ..Default::default() };
        assert!(req.query_int("maxResults", 1, 25).is_err());
    }

    #[test]
    fn error_responses_carry_type_and_request_id_headers() {
        let resp = ApiResponse::error(&ApiError::Conflict("c".into()), Some(Service::NetworkFlowMonitor), "rid".into());
        assert_eq!(resp.status, 409);
        let headers = resp.headers();
        assert!(headers.contains(&("x-amzn-errortype", "ConflictException")));
        assert!(headers.contains(&("x-amzn-requestid", "rid")));
        assert!(headers.contains(&("content-type", "application/json")));
    }
}
