//! AWS account IDs.

use std::fmt;

/// A 12-digit AWS account ID. Cannot hold anything else.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId(String);

impl AccountId {
    /// The account local callers act as when their access key is not 12 digits.
    pub const LOCAL_DEFAULT: &'static str = "123456789012";

    pub fn parse(value: &str) -> Option<Self> {
        (value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit())).then(|| Self(value.to_owned()))
    }

    /// [`AccountId::LOCAL_DEFAULT`] as an account.
    pub fn local_default() -> Self {
        Self(Self::LOCAL_DEFAULT.to_owned())
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
}
