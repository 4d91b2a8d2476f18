//! The one item codec of the DynamoDB adapter: key builders, attribute values to write, and
//! attribute getters that read them back, every bad or missing attribute reported by [`corrupt`].

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;

use crate::common::{AccountId, Tags};
use crate::store::StoreError;

pub(super) type Item = HashMap<String, AttributeValue>;

/// The partition-key prefix of everything an account owns.
pub(super) const ACCOUNT_PREFIX: &str = "ACCOUNT#";

/// The error for a stored item with a bad or missing attribute `what`.
pub(super) fn corrupt(what: &str) -> StoreError {
    StoreError::Backend(format!("stored item has a bad or missing {what}"))
}

pub(super) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(super) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// The key `{pk, sk}`.
pub(super) fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

/// The partition key of `account`'s items.
pub(super) fn account_pk(account: &AccountId) -> String {
    format!("{ACCOUNT_PREFIX}{account}")
}

/// The key of `account`'s item `sk`.
pub(super) fn account_key(account: &AccountId, sk: impl Into<String>) -> Item {
    key(account_pk(account), sk)
}

/// Tags as a map attribute.
pub(super) fn tags_value(tags: &Tags) -> AttributeValue {
    AttributeValue::M(tags.as_map().iter().map(|(k, v)| (k.clone(), s(v))).collect())
}

/// The tags of map attribute `name` (none when it is absent or not a map).
pub(super) fn tags(item: &Item, name: &str) -> Result<Tags, StoreError> {
    let tags = match item.get(name) {
        Some(AttributeValue::M(map)) => map
            .iter()
            .map(|(k, v)| v.as_s().map(|v| (k.clone(), v.clone())).map_err(|_| corrupt("tag value")))
            .collect::<Result<BTreeMap<_, _>, _>>()?,
        _ => BTreeMap::new(),
    };
    Ok(Tags::from_stored(tags))
}

/// String attribute `name`, which must be there.
pub(super) fn get_s<'a>(item: &'a Item, name: &str) -> Result<&'a str, StoreError> {
    item.get(name).and_then(|v| v.as_s().ok()).map(String::as_str).ok_or_else(|| corrupt(name))
}

/// String attribute `name`, if it is there.
pub(super) fn opt_s<'a>(item: &'a Item, name: &str) -> Result<Option<&'a str>, StoreError> {
    item.get(name).map(|v| v.as_s().map(String::as_str).map_err(|_| corrupt(name))).transpose()
}

/// Number attribute `name`, which must be there.
pub(super) fn get_n(item: &Item, name: &str) -> Result<i64, StoreError> {
    item.get(name).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok()).ok_or_else(|| corrupt(name))
}

/// Number attribute `name`, if it is there.
pub(super) fn opt_n(item: &Item, name: &str) -> Result<Option<i64>, StoreError> {
    item.get(name).map(|v| v.as_n().ok().and_then(|v| v.parse().ok()).ok_or_else(|| corrupt(name))).transpose()
}

/// Boolean attribute `name`, which must be there.
pub(super) fn get_bool(item: &Item, name: &str) -> Result<bool, StoreError> {
    item.get(name).and_then(|v| v.as_bool().ok()).copied().ok_or_else(|| corrupt(name))
}

/// Map attribute `name`, if it is there.
pub(super) fn opt_m<'a>(item: &'a Item, name: &str) -> Result<Option<&'a Item>, StoreError> {
    item.get(name).map(|v| v.as_m().map_err(|_| corrupt(name))).transpose()
}

/// String-set attribute `name`, if it is there.
pub(super) fn opt_ss<'a>(item: &'a Item, name: &str) -> Result<Option<&'a [String]>, StoreError> {
    item.get(name).map(|v| v.as_ss().map(Vec::as_slice).map_err(|_| corrupt(name))).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(id: &str) -> AccountId {
        AccountId::parse(id).expect("account")
    }

    #[test]
    fn keys_are_pk_and_sk_strings() {
        let key = account_key(&account("111122223333"), "SCOPE");
        assert_eq!(key.len(), 2);
        assert_eq!(get_s(&key, "pk").unwrap(), "ACCOUNT#111122223333");
        assert_eq!(get_s(&key, "sk").unwrap(), "SCOPE");
    }

    #[test]
    fn tags_round_trip_and_absent_tags_are_none() {
        let stored = Tags::from_stored(BTreeMap::from([("team".to_owned(), "net".to_owned())]));
        let item = Item::from([("tags".to_owned(), tags_value(&stored))]);
        assert_eq!(tags(&item, "tags").unwrap(), stored);
        assert_eq!(tags(&Item::new(), "tags").unwrap(), Tags::from_stored(BTreeMap::new()));
        let bad = Item::from([("tags".to_owned(), AttributeValue::M(HashMap::from([("k".to_owned(), n(1))])))]);
        assert!(matches!(tags(&bad, "tags"), Err(StoreError::Backend(m)) if m.ends_with("tag value")));
    }

    #[test]
    fn getters_tell_missing_from_mistyped() {
        let item = Item::from([
            ("name".to_owned(), s("x")),
            ("count".to_owned(), n(42)),
            ("flag".to_owned(), AttributeValue::Bool(true)),
            ("set".to_owned(), AttributeValue::Ss(vec!["a".into(), "b".into()])),
        ]);
        assert_eq!(get_s(&item, "name").unwrap(), "x");
        assert_eq!(get_n(&item, "count").unwrap(), 42);
        assert_eq!(opt_n(&item, "count").unwrap(), Some(42));
        assert_eq!(opt_n(&item, "absent").unwrap(), None);
        assert!(matches!(opt_n(&item, "name"), Err(StoreError::Backend(m)) if m.ends_with("name")));
        assert!(get_bool(&item, "flag").unwrap());
        assert_eq!(opt_ss(&item, "set").unwrap(), Some(&["a".to_owned(), "b".to_owned()][..]));
        // Optional getters: absent is `None`, present with another type is corrupt.
        assert_eq!(opt_s(&item, "absent").unwrap(), None);
        assert!(opt_m(&item, "absent").unwrap().is_none());
        assert!(matches!(opt_s(&item, "count"), Err(StoreError::Backend(m)) if m.ends_with("count")));
        assert!(matches!(opt_ss(&item, "name"), Err(StoreError::Backend(m)) if m.ends_with("name")));
        // Required getters: absent or mistyped is corrupt, naming the attribute.
        assert!(matches!(get_s(&item, "absent"), Err(StoreError::Backend(m)) if m.ends_with("absent")));
        assert!(matches!(get_n(&item, "name"), Err(StoreError::Backend(m)) if m.ends_with("name")));
        assert!(matches!(get_bool(&item, "count"), Err(StoreError::Backend(_))));
    }
}
