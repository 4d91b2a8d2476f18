//! Network Flow Monitor domain types: parsed from the wire, they cannot hold bad values.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex_lite::Regex;
use sha2::{Digest, Sha256};

use super::model::{CreateScopeInput, TagResourceInput, TargetResourceWire, UpdateScopeInput};
use crate::common::{AccountId, ClientToken, TagKeys, Tags};
use crate::error::ApiError;

/// Most targets a scope may hold, and most items in one request list.
pub const MAX_TARGETS: usize = 1000;

static REGION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^([a-z]{2}(-gov|-iso[a-z]?)?|eusc-[a-z]{2})-(north|south|east|west|central|northeast|northwest|southeast|southwest)-[0-9]{1,2}$",
    )
    .unwrap_or_else(|_| unreachable!("the region pattern is a valid regex"))
});

/// An AWS Region name such as `us-east-1`, `eu-central-2`, `us-gov-west-1` or `eusc-de-east-1`
/// (the European Sovereign Cloud, whose names have a two-part prefix).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Region(String);

impl Region {
    pub fn parse(value: &str) -> Option<Self> {
        REGION.is_match(value).then(|| Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One (account, Region) pair a scope covers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Target {
    pub account: AccountId,
    pub region: Region,
}

impl Target {
    /// Compact storage form, `123456789012/us-east-1`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.account, self.region.as_str())
    }

    pub fn from_key(key: &str) -> Option<Self> {
        let (account, region) = key.split_once('/')?;
        Some(Self { account: AccountId::parse(account)?, region: Region::parse(region)? })
    }

    fn parse(member: &str, wire: &TargetResourceWire) -> Result<Self, ApiError> {
        let ident = &wire.target_identifier;
        if ident.target_type != "ACCOUNT" {
            return Err(ApiError::validation(format!(
                "{member}.targetIdentifier.targetType: '{}' is not a valid value; the only value is ACCOUNT",
                ident.target_type
            )));
        }
        let id_member = format!("{member}.targetIdentifier.targetId");
        if ident.target_id.len() != 1 {
            return Err(ApiError::validation(format!(
                "{id_member}: exactly one member must be set, found {}",
                ident.target_id.len()
            )));
        }
        let account = match ident.target_id.get("accountId") {
            Some(serde_json::Value::String(s)) => AccountId::parse(s).ok_or_else(|| {
                ApiError::validation(format!("{id_member}.accountId: '{s}' is not a 12-digit AWS account ID"))
            })?,
            Some(other) => {
                return Err(ApiError::validation(format!("{id_member}.accountId: expected a string, found {other}")));
            }
            None => {
                let name = ident.target_id.keys().next().map(String::as_str).unwrap_or_default();
                return Err(ApiError::validation(format!("{id_member}: '{name}' is not a known member")));
            }
        };
        let region = Region::parse(&wire.region).ok_or_else(|| {
            ApiError::validation(format!("{member}.region: '{}' is not a valid Region name", wire.region))
        })?;
        Ok(Self { account, region })
    }
}

/// A set of targets: duplicates collapse, order is canonical.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetSet(BTreeSet<Target>);

impl TargetSet {
    /// Parses a request list of 1..=1000 items into a set.
    fn parse(member: &str, items: &[TargetResourceWire]) -> Result<Self, ApiError> {
        if items.is_empty() || items.len() > MAX_TARGETS {
            return Err(ApiError::validation(format!(
                "{member}: must have from 1 to {MAX_TARGETS} items, found {}",
                items.len()
            )));
        }
        items
            .iter()
            .enumerate()
            .map(|(i, t)| Target::parse(&format!("{member}[{i}]"), t))
            .collect::<Result<BTreeSet<_>, _>>()
            .map(Self)
    }

    pub fn from_keys<'a>(keys: impl IntoIterator<Item = &'a str>) -> Option<Self> {
        keys.into_iter().map(Target::from_key).collect::<Option<BTreeSet<_>>>().map(Self)
    }

    pub fn keys(&self) -> Vec<String> {
        self.0.iter().map(Target::key).collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Target> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, target: &Target) -> bool {
        self.0.contains(target)
    }
}

/// A validated CreateScope request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewScope {
    pub targets: TargetSet,
    pub tags: Tags,
    pub client_token: Option<ClientToken>,
}

impl NewScope {
    pub fn parse(input: CreateScopeInput) -> Result<Self, ApiError> {
        let targets = TargetSet::parse("targets", &input.targets)?;
        let tags = Tags::parse("tags", input.tags)?;
        let client_token = input.client_token.as_deref().map(ClientToken::uuid_shaped).transpose()?;
        Ok(Self { targets, tags, client_token })
    }

    /// What "the same request" means for a replayed token: the target set and the tags.
    pub fn fingerprint(&self) -> String {
        let mut hash = Sha256::new();
        for key in self.targets.keys() {
            hash.update(key.as_bytes());
            hash.update(b"\n");
        }
        hash.update(b"\0");
        for (k, v) in self.tags.as_map() {
            hash.update((k.len() as u64).to_be_bytes());
            hash.update(k.as_bytes());
            hash.update((v.len() as u64).to_be_bytes());
            hash.update(v.as_bytes());
        }
        hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// A validated UpdateScope request: targets to add and to delete, disjoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetChanges {
    pub add: TargetSet,
    pub delete: TargetSet,
}

impl TargetChanges {
    pub fn parse(input: UpdateScopeInput) -> Result<Self, ApiError> {
        if input.resources_to_add.is_none() && input.resources_to_delete.is_none() {
            return Err(ApiError::validation("At least one of resourcesToAdd and resourcesToDelete must be present"));
        }
        let parse = |member, list: Option<Vec<TargetResourceWire>>| match list {
            Some(items) => TargetSet::parse(member, &items),
            None => Ok(TargetSet::default()),
        };
        let add = parse("resourcesToAdd", input.resources_to_add)?;
        let delete = parse("resourcesToDelete", input.resources_to_delete)?;
        if let Some(both) = add.iter().find(|t| delete.contains(t)) {
            return Err(ApiError::validation(format!(
                "Target {} in {} is both in resourcesToAdd and resourcesToDelete",
                both.account,
                both.region.as_str()
            )));
        }
        Ok(Self { add, delete })
    }

    /// The scope's targets after this change: deleting an absent target is a no-op; an empty
    /// result is a `ValidationException`, more than 1000 targets a `ServiceQuotaExceededException`.
    pub fn apply(&self, current: &TargetSet) -> Result<TargetSet, ApiError> {
        let next: BTreeSet<Target> =
            current.0.iter().filter(|t| !self.delete.contains(t)).chain(self.add.iter()).cloned().collect();
        if next.is_empty() {
            return Err(ApiError::validation("The update would leave the scope with no targets"));
        }
        if next.len() > MAX_TARGETS {
            return Err(ApiError::QuotaExceeded(format!(
                "The update would give the scope {} targets; the quota is {MAX_TARGETS}",
                next.len()
            )));
        }
        Ok(TargetSet(next))
    }
}

/// The service field of every Network Flow Monitor ARN.
pub const SERVICE: &str = "networkflowmonitor";

/// Shortest and longest `resourceArn` (docs/network-flow-monitor.md §1.8).
const ARN_CHARS: std::ops::RangeInclusive<usize> = 20..=2048;

/// The `resourceArn` of a tag operation: `arn:PARTITION:networkflowmonitor:REGION:ACCOUNT:RESOURCE`
/// with non-empty partition and resource (docs/network-flow-monitor.md §1.8). Only its shape is
/// known here; whether it names the caller's scope is [`ResourceArn::scope_id`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceArn(String);

impl ResourceArn {
    pub fn parse(value: &str) -> Result<Self, ApiError> {
        if value.is_empty() {
            return Err(ApiError::validation("resourceArn: must not be empty"));
        }
        let chars = value.chars().count();
        if !ARN_CHARS.contains(&chars) {
            return Err(ApiError::validation(format!(
                "resourceArn: must be from {} to {} characters, found {chars}",
                ARN_CHARS.start(),
                ARN_CHARS.end()
            )));
        }
        // arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, split at the first five colons.
        let parts: Vec<&str> = value.splitn(6, ':').collect();
        let well_formed = parts.len() == 6
            && parts[0] == "arn"
            && !parts[1].is_empty()
            && !parts[2].is_empty()
            && !parts[5].is_empty();
        if !well_formed {
            return Err(ApiError::validation(format!(
                "resourceArn: '{value}' is not an ARN of the form arn:partition:service:region:account-id:resource"
            )));
        }
        if parts[2] != SERVICE {
            return Err(ApiError::validation(format!(
                "resourceArn: '{value}' is not a Network Flow Monitor resource (its service is '{}')",
                parts[2]
            )));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The scope ID this ARN names if it is, byte for byte, a scope ARN of the caller in this
    /// deployment: it starts with `scope_arn_prefix` (`arn:<partition>:networkflowmonitor:<region>:<caller>:scope/`)
    /// and the ID is not empty. Anything else (another account, Region or partition, another
    /// resource type) names nothing the caller has.
    pub fn scope_id(&self, scope_arn_prefix: &str) -> Option<&str> {
        self.0.strip_prefix(scope_arn_prefix).filter(|id| !id.is_empty())
    }
}

/// TagResource's `tags`: required, each tag as §1.6 says, at most 200 in one request.
pub fn tags_to_set(input: TagResourceInput) -> Result<Tags, ApiError> {
    let tags = input.tags.ok_or_else(|| ApiError::validation("tags: a value is required"))?;
    Tags::parse("tags", Some(tags))
}

/// UntagResource's `tagKeys`: every `tagKeys` query parameter, in order (a key may contain `,`);
/// none at all is an empty list.
pub fn tag_keys_to_remove<'a>(query: impl IntoIterator<Item = &'a (String, String)>) -> Result<TagKeys, ApiError> {
    TagKeys::parse("tagKeys", query.into_iter().filter(|(k, _)| k == "tagKeys").map(|(_, v)| v.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    use crate::request::parse_json;

    fn target(account: &str, region: &str) -> serde_json::Value {
        serde_json::json!({"targetIdentifier": {"targetId": {"accountId": account}, "targetType": "ACCOUNT"}, "region": region})
    }

    fn create(body: serde_json::Value) -> Result<NewScope, ApiError> {
        NewScope::parse(parse_json(body.to_string().as_bytes())?)
    }

    fn update(body: serde_json::Value) -> Result<TargetChanges, ApiError> {
        TargetChanges::parse(parse_json(body.to_string().as_bytes())?)
    }

    fn validation_message(result: Result<impl std::fmt::Debug, ApiError>) -> String {
        match result {
            Err(ApiError::Validation(m)) => m,
            other => panic!("expected ValidationException, got {other:?}"),
        }
    }

    #[test]
    fn regions_look_like_aws_regions() {
        let partitions = ["eusc-de-east-1", "us-isob-east-1", "eu-isoe-west-1", "us-isof-south-1"];
        let ok = ["us-east-1", "eu-central-2", "us-gov-west-1", "ap-southeast-4", "cn-north-1", "me-central-1"];
        for ok in ok.into_iter().chain(partitions) {
            assert!(Region::parse(ok).is_some(), "{ok}");
        }
        let pseudo = ["eusc-east-1", "aws-global"];
        let bad = ["us-east", "US-EAST-1", "useast1", "us-east-123", "", "us-middle-1", " us-east-1"];
        for bad in bad.into_iter().chain(pseudo) {
            assert!(Region::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn targets_collapse_into_a_set() {
        let scope = create(serde_json::json!({"targets": [
            target("111111111111", "us-east-1"), target("111111111111", "us-east-1"), target("222222222222", "eu-west-1")
        ]}))
        .unwrap();
        assert_eq!(scope.targets.len(), 2);
        assert_eq!(scope.targets.keys(), vec!["111111111111/us-east-1", "222222222222/eu-west-1"]);
    }

    #[test]
    fn create_rejects_each_broken_constraint_with_its_path() {
        let msg = validation_message(create(serde_json::json!({"targets": []})));
        assert_eq!(msg, "targets: must have from 1 to 1000 items, found 0");
        let msg = validation_message(create(
            serde_json::json!({"targets": [target("111111111111", "us-east-1"), target("111111111111", "us-east")]}),
        ));
        assert_eq!(msg, "targets[1].region: 'us-east' is not a valid Region name");
        let msg = validation_message(create(serde_json::json!({"targets": [target("11111111111", "us-east-1")]})));
        assert_eq!(
            msg,
            "targets[0].targetIdentifier.targetId.accountId: '11111111111' is not a 12-digit AWS account ID"
        );
        let mut bad_type = target("111111111111", "us-east-1");
        bad_type["targetIdentifier"]["targetType"] = "ORG".into();
        assert!(validation_message(create(serde_json::json!({"targets": [bad_type]}))).contains("targetType"));
        let mut two_members = target("111111111111", "us-east-1");
        two_members["targetIdentifier"]["targetId"]["orgId"] = "o-1".into();
        assert!(
            validation_message(create(serde_json::json!({"targets": [two_members]}))).contains("exactly one member")
        );
        let mut unknown_member = target("111111111111", "us-east-1");
        unknown_member["targetIdentifier"]["targetId"] = serde_json::json!({"orgId": "o-1"});
        assert!(
            validation_message(create(serde_json::json!({"targets": [unknown_member]})))
                .contains("'orgId' is not a known member")
        );
        let too_many: Vec<_> = (0..1001).map(|i| target(&format!("{:012}", i), "us-east-1")).collect();
        assert!(validation_message(create(serde_json::json!({"targets": too_many}))).contains("found 1001"));
        assert!(validation_message(create(serde_json::json!({}))).contains("missing field `targets`"));
        assert!(validation_message(create(serde_json::json!({"targets": "x"}))).starts_with("targets: invalid type"));
    }

    #[test]
    fn tags_and_tokens_are_checked() {
        let ok = vec![target("111111111111", "us-east-1")];
        let msg = validation_message(create(serde_json::json!({"targets": ok, "tags": {"aws:x": "1"}})));
        assert!(msg.contains("reserved prefix"));
        assert!(
            validation_message(create(serde_json::json!({"targets": ok, "tags": {"AwS:x": "1"}}))).contains("reserved")
        );
        assert!(create(serde_json::json!({"targets": ok, "tags": {"aws": "1", "awsx:y": "2", "é": "3"}})).is_ok());
        assert!(validation_message(create(serde_json::json!({"targets": ok, "tags": {"": "1"}}))).contains("1 to 128"));
        let long_key = "k".repeat(129);
        assert!(create(serde_json::json!({"targets": ok, "tags": {long_key: "1"}})).is_err());
        let long_value = "v".repeat(257);
        assert!(create(serde_json::json!({"targets": ok, "tags": {"k": long_value}})).is_err());
        assert!(
            create(serde_json::json!({"targets": ok, "tags": {"k": "v".repeat(256), "é".repeat(128): ""}})).is_ok()
        );
        let many: BTreeMap<String, String> = (0..201).map(|i| (format!("k{i}"), String::new())).collect();
        assert!(validation_message(create(serde_json::json!({"targets": ok, "tags": many}))).contains("at most 200"));
        // The Rust SDK's tokens are not RFC 4122 UUIDs: the variant nibble is arbitrary.
        assert!(
            create(serde_json::json!({"targets": ok, "clientToken": "9c3eb260-1b01-48d1-ddde-1113daede9ca"})).is_ok()
        );
        for bad in [
            "9C3EB260-1B01-48D1-DDDE-1113DAEDE9CA",
            "9c3eb2601b0148d1ddde1113daede9ca",
            "x",
            "9c3eb260-1b01-48d1-ddde-1113daede9cg",
        ] {
            assert!(create(serde_json::json!({"targets": ok, "clientToken": bad})).is_err(), "{bad}");
        }
    }

    #[test]
    fn fingerprint_ignores_order_and_duplicates_but_not_tags() {
        let a = create(serde_json::json!({"targets": [target("111111111111", "us-east-1"), target("222222222222", "us-west-2")], "tags": {"a": "b"}})).unwrap();
        let b = create(serde_json::json!({"targets": [target("222222222222", "us-west-2"), target("111111111111", "us-east-1"), target("111111111111", "us-east-1")], "tags": {"a": "b"}})).unwrap();
        let c = create(serde_json::json!({"targets": [target("111111111111", "us-east-1"), target("222222222222", "us-west-2")], "tags": {"a": "c"}})).unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), c.fingerprint());
    }

    #[test]
    fn update_rules() {
        assert!(validation_message(update(serde_json::json!({}))).contains("At least one"));
        assert!(
            validation_message(update(serde_json::json!({"resourcesToAdd": []})))
                .contains("resourcesToAdd: must have from 1")
        );
        let t = target("111111111111", "us-east-1");
        assert!(
            validation_message(update(serde_json::json!({"resourcesToAdd": [t], "resourcesToDelete": [t]})))
                .contains("both")
        );

        let current = create(serde_json::json!({"targets": [target("111111111111", "us-east-1")]})).unwrap().targets;
        let noop_delete =
            update(serde_json::json!({"resourcesToDelete": [target("999999999999", "us-east-1")]})).unwrap();
        assert_eq!(noop_delete.apply(&current).unwrap(), current);
        let empty = update(serde_json::json!({"resourcesToDelete": [target("111111111111", "us-east-1")]})).unwrap();
        assert!(matches!(empty.apply(&current), Err(ApiError::Validation(_))));
        let many: Vec<_> = (0..1000).map(|i| target(&format!("{:012}", i + 1000), "us-east-1")).collect();
        let over = update(serde_json::json!({"resourcesToAdd": many})).unwrap();
        assert!(matches!(over.apply(&current), Err(ApiError::QuotaExceeded(_))));
        let swap = update(serde_json::json!({"resourcesToAdd": [target("222222222222", "us-east-1")], "resourcesToDelete": [target("111111111111", "us-east-1")]})).unwrap();
        assert_eq!(swap.apply(&current).unwrap().keys(), vec!["222222222222/us-east-1"]);
    }

    const ARN: &str = "arn:aws:networkflowmonitor:us-east-1:111111111111:scope/0f5b6c1e-8c1a-4d2b-9e3f-5a6b7c8d9e0f";
    const PREFIX: &str = "arn:aws:networkflowmonitor:us-east-1:111111111111:scope/";

    #[test]
    fn resource_arns_must_be_network_flow_monitor_arns() {
        assert_eq!(ResourceArn::parse(ARN).unwrap().as_str(), ARN);
        // Other partitions, Regions, accounts and resource types are well formed (and not found later).
        for ok in [
            "arn:aws-cn:networkflowmonitor:cn-north-1:111111111111:scope/x",
            "arn:aws:networkflowmonitor:::monitor/m1",
            "arn:aws:networkflowmonitor:us-east-1:111111111111:scope",
            "arn:x:networkflowmonitor:y:z:a:b:c",
        ] {
            assert!(ResourceArn::parse(ok).is_ok(), "{ok}");
        }
        let message = |value: &str| match ResourceArn::parse(value) {
            Err(ApiError::Validation(m)) => m,
            other => panic!("{value}: expected ValidationException, got {other:?}"),
        };
        assert_eq!(message(""), "resourceArn: must not be empty");
        assert!(message("arn:aws:nfm:::x").contains("from 20 to 2048 characters, found 15"));
        assert!(message(&format!("{PREFIX}{}", "a".repeat(2048))).contains("found"));
        assert!(
            ResourceArn::parse(&format!("arn:aws:networkflowmonitor:::{}", "é".repeat(2019))).is_ok(),
            "characters, not bytes"
        );
        for malformed in [
            "not-an-arn-but-long-enough",
            "arn:aws:networkflowmonitor:us-east-1",
            "arn::networkflowmonitor:us-east-1:111111111111:scope/x",
            "arn:aws::us-east-1:111111111111:scope/x",
            "arn:aws:networkflowmonitor:us-east-1:111111111111:",
            "ARN:aws:networkflowmonitor:us-east-1:111111111111:scope/x",
            " arn:aws:networkflowmonitor:us-east-1:111111111111:scope/x",
        ] {
            assert!(message(malformed).contains("is not an ARN"), "{malformed}");
        }
        for other_service in [
            "arn:aws:macie2:us-east-1:111111111111:member/222222222222",
            "arn:aws:s3:::my-bucket-name-is-long",
            "arn:aws:NetworkFlowMonitor:us-east-1:111111111111:scope/x",
        ] {
            assert!(message(other_service).contains("not a Network Flow Monitor resource"), "{other_service}");
        }
    }

    #[test]
    fn only_the_callers_own_scope_arn_names_a_scope_id() {
        assert_eq!(ResourceArn::parse(ARN).unwrap().scope_id(PREFIX), Some("0f5b6c1e-8c1a-4d2b-9e3f-5a6b7c8d9e0f"));
        for elsewhere in [
            "arn:aws:networkflowmonitor:us-east-1:222222222222:scope/0f5b6c1e-8c1a-4d2b-9e3f-5a6b7c8d9e0f",
            "arn:aws:networkflowmonitor:us-west-2:111111111111:scope/0f5b6c1e-8c1a-4d2b-9e3f-5a6b7c8d9e0f",
            "arn:aws-cn:networkflowmonitor:us-east-1:111111111111:scope/0f5b6c1e-8c1a-4d2b-9e3f-5a6b7c8d9e0f",
            "arn:aws:networkflowmonitor:us-east-1:111111111111:monitor/m1",
            "arn:aws:networkflowmonitor:us-east-1:111111111111:scope/",
            "arn:aws:networkflowmonitor:us-east-1:111111111111:scopes/x",
        ] {
            assert_eq!(ResourceArn::parse(elsewhere).unwrap().scope_id(PREFIX), None, "{elsewhere}");
        }
    }

    #[test]
    fn tag_resource_needs_its_tags() {
        let parse = |body: serde_json::Value| tags_to_set(parse_json(body.to_string().as_bytes())?);
        assert_eq!(validation_message(parse(serde_json::json!({}))), "tags: a value is required");
        assert_eq!(validation_message(parse(serde_json::json!({"tags": null}))), "tags: a value is required");
        assert!(validation_message(parse(serde_json::json!({"tags": ["a"]}))).starts_with("tags: invalid type"));
        assert!(validation_message(parse(serde_json::json!({"tags": {"k": 1}}))).starts_with("tags.k: invalid type"));
        assert!(validation_message(parse(serde_json::json!({"tags": {"aws:k": "v"}}))).contains("reserved"));
        assert!(parse(serde_json::json!({"tags": {}})).unwrap().is_empty());
    }

    #[test]
    fn tag_keys_come_from_every_repeated_parameter() {
        let query = crate::request::ApiRequest::parse_query(Some("tagKeys=a%2Cb&other=x&tagKeys=c&tagKeys=a%2Cb"));
        let keys = tag_keys_to_remove(&query).unwrap();
        assert_eq!(keys.iter().collect::<Vec<_>>(), ["a,b", "c"]);
        assert!(tag_keys_to_remove(&crate::request::ApiRequest::parse_query(None)).unwrap().is_empty());
        let empty_key = crate::request::ApiRequest::parse_query(Some("tagKeys="));
        assert!(validation_message(tag_keys_to_remove(&empty_key)).starts_with("tagKeys[0]"));
    }

    #[test]
    fn target_keys_round_trip() {
        let t = Target {
            account: AccountId::parse("111111111111").unwrap(),
            region: Region::parse("us-gov-west-1").unwrap(),
        };
        assert_eq!(Target::from_key(&t.key()), Some(t));
        assert_eq!(Target::from_key("garbage"), None);
    }
}
