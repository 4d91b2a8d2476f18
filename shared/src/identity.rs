//! Who is calling: an AWS account ID, taken from the deployed API's IAM authoriser, or
//! locally from the access key of the request's SigV4 `Authorization` header (docs/conventions.md §4).

use crate::common::AccountId;
use crate::error::ApiError;

/// How a function finds the caller's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityMode {
    /// From API Gateway's IAM authoriser context; without it the request is refused (403).
    Iam,
    /// From the SigV4 access key ID, signatures unchecked: local server and dev loop only.
    Local,
}

impl IdentityMode {
    /// `IDENTITY_MODE=local` switches local identity on; anything else (or nothing) is IAM.
    pub fn from_env() -> Self {
        match std::env::var("IDENTITY_MODE") {
            Ok(v) if v.eq_ignore_ascii_case("local") => IdentityMode::Local,
            _ => IdentityMode::Iam,
        }
    }
}

/// The caller's account under the local convention: the `Credential=` access key of the
/// `Authorization` header when it is exactly 12 digits, else [`AccountId::LOCAL_DEFAULT`].
pub fn local_caller(authorization: Option<&str>) -> AccountId {
    authorization
        .and_then(|auth| auth.split("Credential=").nth(1))
        .and_then(|cred| cred.split('/').next())
        .and_then(AccountId::parse)
        .unwrap_or_else(AccountId::local_default)
}

/// The error for a request that reached a function without an authorised identity.
pub fn missing_identity() -> ApiError {
    ApiError::AccessDenied(
        "The request has no authorised AWS identity: call the API with SigV4-signed requests.".into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_caller_reads_the_access_key() {
        let auth = "AWS4-HMAC-SHA256 Credential=111111111111/20261121/us-east-1/networkflowmonitor/aws4_request, SignedHeaders=host, Signature=abc";
        assert_eq!(local_caller(Some(auth)).as_str(), "111111111111");
        let other = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261121/us-east-1/es/aws4_request";
        assert_eq!(local_caller(Some(other)).as_str(), "123456789012");
        assert_eq!(local_caller(None).as_str(), "123456789012");
    }
}
