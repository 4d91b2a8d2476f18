//! The one error type of the API and its single mapping to the wire (docs/conventions.md §3).

/// The AWS service whose model an operation follows (its error statuses differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    NetworkFlowMonitor,
    OpenSearch,
    Macie,
}

/// Everything an operation can answer instead of success.
///
/// Each variant carries the message the caller reads; [`ApiError::wire`] is the only place that
/// decides the HTTP status and the `X-Amzn-ErrorType` shape name, per service.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// Malformed input or a broken constraint (400).
    #[error("{0}")]
    Validation(String),
    /// The resource does not exist for this caller (404; 409 in OpenSearch).
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the resource's state (409).
    #[error("{0}")]
    Conflict(String),
    /// A resource with this identity already exists (OpenSearch `ResourceAlreadyExistsException`, 409).
    #[error("{0}")]
    AlreadyExists(String),
    /// The operation is not enabled for this resource (OpenSearch `DisabledOperationException`, 409).
    #[error("{0}")]
    DisabledOperation(String),
    /// A service quota would be exceeded (402).
    #[error("{0}")]
    QuotaExceeded(String),
    /// No caller identity, or the caller may not do this (403).
    #[error("{0}")]
    AccessDenied(String),
    /// The backing store throttled the request (429).
    #[error("Rate exceeded. Retry the request with backoff.")]
    Throttling,
    /// Anything unexpected (500). The cause is logged where it happened, never sent.
    #[error("An internal error occurred. Retry the request; if it keeps failing, quote the request ID.")]
    Internal,
    /// No operation has this method and path (404).
    #[error("{0}")]
    UnknownOperation(String),
}

impl ApiError {
    pub fn validation(message: impl Into<String>) -> Self {
        Self::Validation(message.into())
    }

    /// HTTP status and modeled shape name of this error in `service`'s model.
    /// `None` is for requests that matched no operation.
    pub fn wire(&self, service: Option<Service>) -> (u16, &'static str) {
        let opensearch = service == Some(Service::OpenSearch);
        match self {
            Self::Validation(_) => (400, "ValidationException"),
            Self::NotFound(_) if opensearch => (409, "ResourceNotFoundException"),
            Self::NotFound(_) => (404, "ResourceNotFoundException"),
            Self::Conflict(_) => (409, "ConflictException"),
            Self::AlreadyExists(_) => (409, "ResourceAlreadyExistsException"),
            Self::DisabledOperation(_) => (409, "DisabledOperationException"),
            Self::QuotaExceeded(_) => (402, "ServiceQuotaExceededException"),
            Self::AccessDenied(_) => (403, "AccessDeniedException"),
            Self::Throttling => (429, "ThrottlingException"),
            Self::Internal if opensearch => (500, "InternalException"),
            Self::Internal => (500, "InternalServerException"),
            Self::UnknownOperation(_) => (404, "UnknownOperationException"),
        }
    }

    /// The JSON body of the error: always an object with `message`.
    pub fn body(&self) -> Vec<u8> {
        serde_json::json!({ "message": self.to_string() }).to_string().into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_each_service_model() {
        let nfm = Some(Service::NetworkFlowMonitor);
        let os = Some(Service::OpenSearch);
        let macie = Some(Service::Macie);
        let nf = ApiError::NotFound("x".into());
        assert_eq!(nf.wire(nfm), (404, "ResourceNotFoundException"));
        assert_eq!(nf.wire(macie), (404, "ResourceNotFoundException"));
        assert_eq!(nf.wire(os), (409, "ResourceNotFoundException"));
        assert_eq!(ApiError::Internal.wire(nfm), (500, "InternalServerException"));
        assert_eq!(ApiError::Internal.wire(os), (500, "InternalException"));
        assert_eq!(ApiError::QuotaExceeded("q".into()).wire(nfm), (402, "ServiceQuotaExceededException"));
        assert_eq!(ApiError::Conflict("c".into()).wire(nfm), (409, "ConflictException"));
        assert_eq!(ApiError::Throttling.wire(nfm), (429, "ThrottlingException"));
        assert_eq!(ApiError::AlreadyExists("e".into()).wire(os), (409, "ResourceAlreadyExistsException"));
        assert_eq!(ApiError::DisabledOperation("d".into()).wire(os), (409, "DisabledOperationException"));
        assert_eq!(ApiError::AccessDenied("a".into()).wire(macie), (403, "AccessDeniedException"));
        assert_eq!(ApiError::validation("v").wire(nfm), (400, "ValidationException"));
        assert_eq!(ApiError::UnknownOperation("u".into()).wire(None), (404, "UnknownOperationException"));
    }

    #[test]
    fn body_is_a_json_object_with_message_even_for_internal_errors() {
        let body: serde_json::Value = serde_json::from_slice(&ApiError::Internal.body()).unwrap();
        let message = body["message"].as_str().unwrap();
        assert!(message.contains("internal error"));
        let body: serde_json::Value =
            serde_json::from_slice(&ApiError::validation("targets[3].region: bad \"x\"").body()).unwrap();
        assert_eq!(body["message"], "targets[3].region: bad \"x\"");
    }
}
