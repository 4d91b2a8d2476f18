//! Resource tags, with the same rules in every service.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// Most tags on a resource.
pub const MAX_TAGS: usize = 200;

/// Most characters in a tag key.
const MAX_KEY_CHARS: usize = 128;

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
            if !(1..=MAX_KEY_CHARS).contains(&key_len) {
                return Err(ApiError::validation(format!(
                    "{member}: key '{key}' must be from 1 to {MAX_KEY_CHARS} characters"
                )));
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

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// These tags with each of `tags` set to its value (overwriting) and the others kept. A
    /// result of more than [`MAX_TAGS`] tags is a `ValidationException`.
    pub fn merged(&self, tags: &Tags) -> Result<Tags, ApiError> {
        let mut merged = self.0.clone();
        merged.extend(tags.0.iter().map(|(k, v)| (k.clone(), v.clone())));
        if merged.len() > MAX_TAGS {
            return Err(ApiError::validation(format!(
                "tags: the resource would have {} tags; a resource can have at most {MAX_TAGS}",
                merged.len()
            )));
        }
        Ok(Tags(merged))
    }

    /// These tags without `keys` (keys they lack are ignored).
    pub fn without(&self, keys: &TagKeys) -> Tags {
        Tags(self.0.iter().filter(|(k, _)| !keys.0.contains(*k)).map(|(k, v)| (k.clone(), v.clone())).collect())
    }
}

/// Tag keys to remove: 0..=200 keys as given (repeats count), each 1..=128 characters; a set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagKeys(BTreeSet<String>);

impl TagKeys {
    pub fn parse<'a>(member: &str, keys: impl IntoIterator<Item = &'a str>) -> Result<Self, ApiError> {
        let keys: Vec<&str> = keys.into_iter().collect();
        if keys.len() > MAX_TAGS {
            return Err(ApiError::validation(format!("{member}: at most {MAX_TAGS} keys, found {}", keys.len())));
        }
        for (i, key) in keys.iter().enumerate() {
            if !(1..=MAX_KEY_CHARS).contains(&key.chars().count()) {
                return Err(ApiError::validation(format!(
                    "{member}[{i}]: '{key}' must be from 1 to {MAX_KEY_CHARS} characters"
                )));
            }
        }
        Ok(Self(keys.into_iter().map(str::to_owned).collect()))
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        Tags::parse("tags", Some(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())).unwrap()
    }

    fn numbered(range: std::ops::Range<usize>) -> Tags {
        Tags::from_stored(range.map(|i| (format!("k{i}"), "v".to_owned())).collect())
    }

    #[test]
    fn merging_overwrites_given_keys_and_keeps_the_others() {
        let merged = tags(&[("a", "1"), ("b", "2")]).merged(&tags(&[("b", "3"), ("c", "")])).unwrap();
        assert_eq!(merged, tags(&[("a", "1"), ("b", "3"), ("c", "")]));
        assert_eq!(tags(&[("a", "1")]).merged(&Tags::default()).unwrap(), tags(&[("a", "1")]));
    }

    #[test]
    fn merging_counts_the_resulting_tags_against_the_cap() {
        // 199 + 2 of which one is already there: exactly 200.
        let current = numbered(0..199);
        assert_eq!(current.merged(&numbered(198..200)).unwrap().len(), MAX_TAGS);
        // Overwriting every key of a full set stays at 200.
        let full = numbered(0..200);
        assert_eq!(full.merged(&numbered(0..200)).unwrap().len(), MAX_TAGS);
        let err = full.merged(&numbered(200..201)).unwrap_err();
        assert!(matches!(&err, ApiError::Validation(m) if m.contains("201 tags")), "{err:?}");
    }

    #[test]
    fn removing_ignores_absent_keys() {
        let keys = TagKeys::parse("tagKeys", ["a", "zzz", "a"]).unwrap();
        assert_eq!(keys.len(), 2, "a set");
        assert_eq!(tags(&[("a", "1"), ("b", "2")]).without(&keys), tags(&[("b", "2")]));
        assert_eq!(tags(&[("b", "2")]).without(&TagKeys::default()), tags(&[("b", "2")]));
    }

    #[test]
    fn tag_keys_are_checked_as_given() {
        assert!(TagKeys::parse("tagKeys", ["a,b", "aws:x", &"é".repeat(128)]).is_ok());
        let err = TagKeys::parse("tagKeys", ["a", ""]).unwrap_err();
        assert!(matches!(&err, ApiError::Validation(m) if m.starts_with("tagKeys[1]:")), "{err:?}");
        assert!(TagKeys::parse("tagKeys", [&"k".repeat(129) as &str]).is_err());
        let many: Vec<String> = (0..201).map(|i| format!("k{i}")).collect();
        let err = TagKeys::parse("tagKeys", many.iter().map(String::as_str)).unwrap_err();
        assert!(matches!(&err, ApiError::Validation(m) if m.contains("at most 200 keys, found 201")), "{err:?}");
        // 201 entries that repeat a key are still too many: the model counts the list.
        let repeated = vec!["k"; 201];
        assert!(TagKeys::parse("tagKeys", repeated).is_err());
        assert!(TagKeys::parse("tagKeys", vec!["k"; 200]).is_ok());
    }
}
