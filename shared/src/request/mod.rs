//! Transport-neutral requests and responses: what every operation reads and answers, whatever
//! carried the request (Lambda, the local server, `cargo lambda watch`).

mod objects_only;

use serde::de::DeserializeOwned;

use crate::common::AccountId;
use crate::error::{ApiError, Service};
use objects_only::ObjectsOnly;

/// Request bodies above this size are refused with `ValidationException` (docs/conventions.md §2.2).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Decoded values of a route's `{label}` segments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathParams(Vec<(&'static str, String)>);

impl PathParams {
    pub fn new(params: Vec<(&'static str, String)>) -> Self {
        Self(params)
    }

    /// The label's value; a missing label reads as empty (the operation then rejects it).
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str()).unwrap_or("")
    }
}

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

/// Parses a JSON body into `T`: empty means `{}`, anything but a JSON object is refused (at the
/// top and wherever the model has a structure), unknown members are ignored, and any error
/// becomes a `ValidationException` that says where (`targets[3].region: invalid type ...`).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let body: &[u8] = match body.iter().find(|b| !b.is_ascii_whitespace()) {
        None => b"{}",
        Some(b'{') => body,
        Some(_) => return Err(not_an_object(body)),
    };
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(ObjectsOnly(&mut de)).map_err(|err| {
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

/// Why a body that does not start with `{` is refused: it is not JSON at all, or JSON of
/// another kind than an object.
fn not_an_object(body: &[u8]) -> ApiError {
    match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
        Err(e) => ApiError::validation(format!("The request body is not valid JSON: {}", without_position(&e))),
        Ok(_) => ApiError::validation("The request body must be a JSON object"),
    }
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
    fn a_body_that_is_not_a_json_object_is_refused() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Optional {
            name: Option<String>,
        }
        for body in ["[]", "[[1]]", "\"x\"", "1", "null", "true", "  [ ]"] {
            assert_eq!(
                message(parse_json::<Optional>(body.as_bytes()).unwrap_err()),
                "The request body must be a JSON object",
                "{body}"
            );
        }
        for body in ["not json", "[1,", "tru"] {
            let message = message(parse_json::<Optional>(body.as_bytes()).unwrap_err());
            assert!(message.starts_with("The request body is not valid JSON"), "{body}: {message}");
        }
    }

    #[test]
    fn a_structure_is_read_from_an_object_only_at_every_depth() {
        // Without the rule, serde reads `[["a"]]` as `{"items": [{"name": "a"}]}`.
        assert_eq!(
            message(parse_json::<Outer>(br#"{"items": [["a"]]}"#).unwrap_err()),
            "items[0]: invalid type: sequence, expected struct Inner"
        );
        let parsed = parse_json::<Outer>(br#"{"items": [{"name": "a"}], "other": [[1]]}"#).unwrap();
        assert_eq!(parsed.items.len(), 1);
        // Options, maps and sequences of structures follow the same rule.
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Nested {
            one: Option<Inner>,
            map: Option<std::collections::BTreeMap<String, Inner>>,
        }
        assert!(parse_json::<Nested>(br#"{"one": ["a"]}"#).is_err());
        assert!(parse_json::<Nested>(br#"{"map": {"k": ["a"]}}"#).is_err());
        assert!(parse_json::<Nested>(br#"{"one": {"name": "a"}, "map": {"k": {"name": "b"}}}"#).is_ok());
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
