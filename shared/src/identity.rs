//! Who is calling: an AWS account ID, taken from the deployed API's IAM authoriser, or
//! locally from the access key of the request's SigV4 `Authorization` header (contract C).

use std::fmt;

use crate::error::ApiError;

/// A 12-digit AWS account ID. Cannot hold anything else.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId(String);

impl AccountId {
    /// The account local callers act as when their access key is not 12 digits.
    pub const LOCAL_DEFAULT: &'static str = "123456789012";

    pub fn parse(value: &str) -> Option<Self> {
        (value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit())).then(|| Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

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
        .unwrap_or_else(|| AccountId(AccountId::LOCAL_DEFAULT.to_owned()))
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
    fn account_ids_are_exactly_twelve_digits() {
        assert!(AccountId::parse("123456789012").is_some());
        assert!(AccountId::parse("12345678901").is_none());
        assert!(AccountId::parse("1234567890123").is_none());
        assert!(AccountId::parse("12345678901a").is_none());
        assert!(AccountId::parse("١٢٣٤٥٦٧٨٩٠١٢").is_none());
    }

    #[test]
    fn local_caller_reads_the_access_key() {
        let auth = "AWS4-HMAC-SHA256 Credential=111111111111/20261121/us-east-1/networkflowmonitor/aws4_request, SignedHeaders=host, Signature=abc";
        assert_eq!(local_caller(Some(auth)).as_str(), "111111111111");
        let other = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261121/us-east-1/es/aws4_request";
        assert_eq!(local_caller(Some(other)).as_str(), "123456789012");
        assert_eq!(local_caller(None).as_str(), "123456789012");
    }
}
