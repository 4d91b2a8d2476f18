//! Client tokens: what makes a create request idempotent.

use crate::error::ApiError;

/// Longest accepted free-form client token (Macie's model sets no bound; this keeps items small).
pub const MAX_CLIENT_TOKEN_CHARS: usize = 256;

/// A request's `clientToken`. Each service's model has its own shape; both parse into this type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientToken(String);

impl ClientToken {
    /// Network Flow Monitor's pattern: lowercase hex 8-4-4-4-12 (not a strict RFC 4122 UUID).
    pub fn uuid_shaped(value: &str) -> Result<Self, ApiError> {
        let groups: Vec<&str> = value.split('-').collect();
        let shape_ok = groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
            && groups.iter().all(|g| g.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
        if shape_ok {
            Ok(Self(value.to_owned()))
        } else {
            Err(ApiError::validation(format!(
                "clientToken: '{value}' must match [a-f0-9]{{8}}-[a-f0-9]{{4}}-[a-f0-9]{{4}}-[a-f0-9]{{4}}-[a-f0-9]{{12}}"
            )))
        }
    }

    /// Macie's unconstrained string: any 1..=256 characters.
    pub fn free_form(value: &str) -> Result<Self, ApiError> {
        let chars = value.chars().count();
        if (1..=MAX_CLIENT_TOKEN_CHARS).contains(&chars) {
            Ok(Self(value.to_owned()))
        } else {
            Err(ApiError::validation(format!(
                "clientToken: must be from 1 to {MAX_CLIENT_TOKEN_CHARS} characters, found {chars}"
            )))
        }
    }

    /// The token as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
