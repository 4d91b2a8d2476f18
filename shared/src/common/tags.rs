//! Resource tags, with the same rules in every service.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// Most tags on a resource.
pub const MAX_TAGS: usize = 200;

/// Resource tags: 0..=200, keys 1..=128 characters not starting `aws:`, values 0..=256.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Tags(BTreeMap<String, String>);

impl Tags {
    pub fn parse(member: &str, tags: Option<BTreeMap<String, String>>) -> Result<Self, ApiError> {
        let tags = tags.unwrap_or_default();
        if tags.len() > MAX_TAGS {
            return Err(ApiError::validation(format!("{member}: at most {MAX_TAGS} tags, found {}", tags.len())));
        }
        for (key, value) in &tags {
            let key_len = key.chars().count();
            if !(1..=128).contains(&key_len) {
                return Err(ApiError::validation(format!("{member}: key '{key}' must be from 1 to 128 characters")));
            }
            // AWS reserves the prefix in any letter case.
            if key.get(..4).is_some_and(|prefix| prefix.eq_ignore_ascii_case("aws:")) {
                return Err(ApiError::validation(format!("{member}: key '{key}' uses the reserved prefix 'aws:'")));
            }
            if value.chars().count() > 256 {
                return Err(ApiError::validation(format!("{member}.{key}: the value must be at most 256 characters")));
            }
        }
        Ok(Self(tags))
    }

    /// Tags read back from storage, already validated when written.
    pub fn from_stored(tags: BTreeMap<String, String>) -> Self {
        Self(tags)
    }

    pub fn as_map(&self) -> &BTreeMap<String, String> {
        &self.0
    }
}
