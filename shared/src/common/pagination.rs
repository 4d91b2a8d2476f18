//! Opaque pagination tokens: base64url of a small JSON cursor. A token that does not decode
//! to the cursor the operation expects is a `ValidationException`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

pub fn encode<C: Serialize>(cursor: &C) -> String {
    // Serialising a plain struct of strings cannot fail; an empty token would be a bug the
    // decode side rejects rather than a panic.
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(cursor).unwrap_or_default())
}

pub fn decode<C: DeserializeOwned>(member: &str, token: &str) -> Result<C, ApiError> {
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| ApiError::validation(format!("{member}: the pagination token is not valid")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Cursor {
        after: String,
    }

    #[test]
    fn round_trips_and_rejects_garbage() {
        let token = encode(&Cursor { after: "x/y".into() });
        assert_eq!(decode::<Cursor>("nextToken", &token).unwrap(), Cursor { after: "x/y".into() });
        let err = decode::<Cursor>("nextToken", "not a token!").unwrap_err();
        assert_eq!(err, ApiError::validation("nextToken: the pagination token is not valid"));
        let wrong_shape = encode(&serde_json::json!({"other": 1}));
        assert!(decode::<Cursor>("nextToken", &wrong_shape).is_err());
    }
}
