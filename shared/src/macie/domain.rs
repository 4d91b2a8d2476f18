//! Macie domain types: parsed from the wire, they cannot hold bad values.

use std::collections::BTreeSet;

use sha2::{Digest, Sha256};

use super::model::{
    BatchUpdateInput, CreateMemberInput, EnableMacieInput, UpdateAutomatedDiscoveryConfigurationInput,
    UpdateMacieSessionInput,
};
use crate::common::{AccountId, ClientToken, Tags};
use crate::error::ApiError;
use crate::wire_enum;

/// Most entries in one BatchUpdateAutomatedDiscoveryAccounts request (docs/macie.md §9.1).
pub const MAX_BATCH_ENTRIES: usize = 100;
/// Most IDs in ListAutomatedDiscoveryAccounts' `accountIds` filter (docs/macie.md §10.3).
pub const MAX_FILTER_IDS: usize = 50;
/// Longest accepted e-mail address (RFC 5321 path limit).
pub const MAX_EMAIL_CHARS: usize = 254;

wire_enum!(
    /// The status of a Macie session.
    MacieStatus { Paused => "PAUSED", Enabled => "ENABLED" }
);

wire_enum!(
    /// How often findings are published.
    FindingPublishingFrequency { FifteenMinutes => "FIFTEEN_MINUTES", OneHour => "ONE_HOUR", SixHours => "SIX_HOURS" }
);

wire_enum!(
    /// Whether automated sensitive data discovery is on for an account.
    DiscoveryStatus { Enabled => "ENABLED", Disabled => "DISABLED" }
);

wire_enum!(
    /// A member's relationship with its administrator: members are associated at once, so only
    /// these three states are reachable here (docs/macie.md §1.2).
    RelationshipStatus { Enabled => "Enabled", Paused => "Paused", Removed => "Removed" }
);

impl RelationshipStatus {
    /// `Enabled` or `Paused`: the member is covered and holds its administrator claim;
    /// `Removed` (disassociated) is a record only.
    pub fn is_associated(self) -> bool {
        matches!(self, Self::Enabled | Self::Paused)
    }
}

wire_enum!(
    /// Which accounts the automated discovery configuration enables (`autoEnableOrganizationMembers`).
    AutoEnableMode { All => "ALL", New => "NEW", None => "NONE" }
);

wire_enum!(
    /// Why one entry of a discovery batch was not applied.
    DiscoveryErrorCode { AccountPaused => "ACCOUNT_PAUSED", AccountNotFound => "ACCOUNT_NOT_FOUND" }
);

impl From<MacieStatus> for RelationshipStatus {
    /// UpdateMemberSession: `PAUSED` sets `Paused`, `ENABLED` sets `Enabled`.
    fn from(status: MacieStatus) -> Self {
        match status {
            MacieStatus::Paused => Self::Paused,
            MacieStatus::Enabled => Self::Enabled,
        }
    }
}

/// A plausible e-mail address: one `@`, a non-empty local part, a domain with a dot inside it,
/// no whitespace or control characters, at most 254 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// The address, if plausible.
    pub fn parse(value: &str) -> Option<Self> {
        let (local, domain) = value.split_once('@')?;
        let plausible = value.chars().count() <= MAX_EMAIL_CHARS
            && !value.chars().any(|c| c.is_whitespace() || c.is_control())
            && !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        plausible.then(|| Self(value.to_owned()))
    }

    /// An address read back from storage, already validated when written.
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    /// The address as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A validated EnableMacie request, defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub status: MacieStatus,
    pub finding_publishing_frequency: FindingPublishingFrequency,
    pub client_token: Option<ClientToken>,
}

impl NewSession {
    /// Validates an EnableMacie request, applying the defaults (ENABLED, FIFTEEN_MINUTES).
    pub fn parse(input: EnableMacieInput) -> Result<Self, ApiError> {
        let status = match input.status.as_deref() {
            Some(s) => MacieStatus::parse("status", s)?,
            None => MacieStatus::Enabled,
        };
        let finding_publishing_frequency = match input.finding_publishing_frequency.as_deref() {
            Some(f) => FindingPublishingFrequency::parse("findingPublishingFrequency", f)?,
            None => FindingPublishingFrequency::FifteenMinutes,
        };
        let client_token = input.client_token.as_deref().map(ClientToken::free_form).transpose()?;
        Ok(Self { status, finding_publishing_frequency, client_token })
    }

    /// What "the same request" means for a replayed token: the session it asks for, defaults
    /// applied (so omitting `status` and sending `ENABLED` are the same request).
    pub fn fingerprint(&self) -> String {
        let mut hash = Sha256::new();
        hash.update(self.status.as_str().as_bytes());
        hash.update(b"\n");
        hash.update(self.finding_publishing_frequency.as_str().as_bytes());
        hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// A validated UpdateMacieSession request: each member optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SessionChanges {
    pub status: Option<MacieStatus>,
    pub finding_publishing_frequency: Option<FindingPublishingFrequency>,
}

impl SessionChanges {
    /// Validates an UpdateMacieSession request.
    pub fn parse(input: UpdateMacieSessionInput) -> Result<Self, ApiError> {
        Ok(Self {
            status: input.status.as_deref().map(|s| MacieStatus::parse("status", s)).transpose()?,
            finding_publishing_frequency: input
                .finding_publishing_frequency
                .as_deref()
                .map(|f| FindingPublishingFrequency::parse("findingPublishingFrequency", f))
                .transpose()?,
        })
    }
}

/// The automated discovery configuration of a session (docs/macie.md §1.7). Times are epoch
/// milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiscoveryConfiguration {
    pub status: DiscoveryStatus,
    pub mode: AutoEnableMode,
    pub first_enabled_at: Option<i64>,
    pub disabled_at: Option<i64>,
    pub last_updated_at: Option<i64>,
}

impl Default for DiscoveryConfiguration {
    /// A new session's: `DISABLED`, mode `ALL`, no timestamps.
    fn default() -> Self {
        Self {
            status: DiscoveryStatus::Disabled,
            mode: AutoEnableMode::All,
            first_enabled_at: None,
            disabled_at: None,
            last_updated_at: None,
        }
    }
}

impl DiscoveryConfiguration {
    /// The discovery status a member created (or re-created) now starts with: `ENABLED` when the
    /// configuration is `ENABLED` with mode `ALL` or `NEW`, else `DISABLED`.
    pub fn new_member_status(&self) -> DiscoveryStatus {
        match (self.status, self.mode) {
            (DiscoveryStatus::Enabled, AutoEnableMode::All | AutoEnableMode::New) => DiscoveryStatus::Enabled,
            _ => DiscoveryStatus::Disabled,
        }
    }
}

/// A validated UpdateAutomatedDiscoveryConfiguration request: `mode` absent keeps the stored one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigurationUpdate {
    pub status: DiscoveryStatus,
    pub mode: Option<AutoEnableMode>,
}

impl ConfigurationUpdate {
    /// Validates an UpdateAutomatedDiscoveryConfiguration request: `status` is required.
    pub fn parse(input: UpdateAutomatedDiscoveryConfigurationInput) -> Result<Self, ApiError> {
        let status = input.status.ok_or_else(|| ApiError::validation("status: is required"))?;
        Ok(Self {
            status: DiscoveryStatus::parse("status", &status)?,
            mode: input
                .auto_enable_organization_members
                .as_deref()
                .map(|m| AutoEnableMode::parse("autoEnableOrganizationMembers", m))
                .transpose()?,
        })
    }
}

/// ListMembers' `onlyAssociated` (a string in the model): absent or `true` lists the associated
/// members only, `false` the `Removed` ones too; letter case is ignored. Answers whether `Removed`
/// records are listed.
pub fn lists_removed(only_associated: Option<&str>) -> Result<bool, ApiError> {
    match only_associated {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(true),
        Some(v) => Err(ApiError::validation(format!("onlyAssociated: '{v}' must be true or false"))),
    }
}

/// A validated CreateMember request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMember {
    pub account: AccountId,
    pub email: Email,
    pub tags: Tags,
}

impl NewMember {
    /// Parses the request of administrator `caller`: the member must be another account.
    pub fn parse(caller: &AccountId, input: CreateMemberInput) -> Result<Self, ApiError> {
        let detail = input.account.ok_or_else(|| ApiError::validation("account: is required"))?;
        let raw_id = detail.account_id.ok_or_else(|| ApiError::validation("account.accountId: is required"))?;
        let account = AccountId::parse(&raw_id).ok_or_else(|| {
            ApiError::validation(format!("account.accountId: '{raw_id}' is not a 12-digit AWS account ID"))
        })?;
        if &account == caller {
            return Err(ApiError::validation(format!(
                "account.accountId: '{raw_id}' is your own account; a member must be another account"
            )));
        }
        let raw_email = detail.email.ok_or_else(|| ApiError::validation("account.email: is required"))?;
        let email = Email::parse(&raw_email).ok_or_else(|| {
            ApiError::validation(format!("account.email: '{raw_email}' is not a valid e-mail address"))
        })?;
        let tags = Tags::parse("tags", input.tags)?;
        Ok(Self { account, email, tags })
    }
}

/// The account of one batch entry: an account ID, or text that cannot be one (such an entry is
/// `ACCOUNT_NOT_FOUND`, not a validation error: the model leaves `accountId` unconstrained).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryAccount {
    Valid(AccountId),
    Malformed(String),
}

impl EntryAccount {
    fn parse(raw: String) -> Self {
        match AccountId::parse(&raw) {
            Some(id) => Self::Valid(id),
            None => Self::Malformed(raw),
        }
    }

    /// The ID as the request spelled it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Valid(id) => id.as_str(),
            Self::Malformed(raw) => raw,
        }
    }
}

/// One validated batch entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchEntry {
    pub account: EntryAccount,
    pub status: DiscoveryStatus,
}

/// One status change the store is asked to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryUpdate {
    pub account: AccountId,
    pub status: DiscoveryStatus,
}

/// A validated BatchUpdateAutomatedDiscoveryAccounts request: 0..=100 entries, in request order,
/// no account twice.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DiscoveryBatch {
    pub entries: Vec<BatchEntry>,
}

impl DiscoveryBatch {
    /// Validates a batch: at most 100 entries, each with `accountId` and `status`, no ID twice.
    pub fn parse(input: BatchUpdateInput) -> Result<Self, ApiError> {
        let accounts = input.accounts.unwrap_or_default();
        if accounts.len() > MAX_BATCH_ENTRIES {
            return Err(ApiError::validation(format!(
                "accounts: must have at most {MAX_BATCH_ENTRIES} items, found {}",
                accounts.len()
            )));
        }
        let mut seen = BTreeSet::new();
        let mut entries = Vec::with_capacity(accounts.len());
        for (i, wire) in accounts.into_iter().enumerate() {
            let raw =
                wire.account_id.ok_or_else(|| ApiError::validation(format!("accounts[{i}].accountId: is required")))?;
            let status =
                wire.status.ok_or_else(|| ApiError::validation(format!("accounts[{i}].status: is required")))?;
            let status = DiscoveryStatus::parse(&format!("accounts[{i}].status"), &status)?;
            if !seen.insert(raw.clone()) {
                return Err(ApiError::validation(format!(
                    "accounts[{i}].accountId: '{raw}' appears more than once in the request"
                )));
            }
            entries.push(BatchEntry { account: EntryAccount::parse(raw), status });
        }
        Ok(Self { entries })
    }

    /// The entries with a well-formed account ID, in request order: what the store is asked.
    pub fn updates(&self) -> Vec<DiscoveryUpdate> {
        self.entries
            .iter()
            .filter_map(|e| match &e.account {
                EntryAccount::Valid(account) => Some(DiscoveryUpdate { account: account.clone(), status: e.status }),
                EntryAccount::Malformed(_) => None,
            })
            .collect()
    }
}

/// ListAutomatedDiscoveryAccounts' `accountIds` filter: `None` lists every covered account.
/// IDs that cannot be account IDs cover nothing and are dropped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccountFilter(Option<BTreeSet<AccountId>>);

impl AccountFilter {
    /// From every `accountIds` value of the query; a value may also be comma-joined (API Gateway
    /// HTTP APIs join repeated keys). Empty pieces are ignored; more than 50 IDs is refused.
    pub fn parse<'a>(values: impl IntoIterator<Item = &'a str>) -> Result<Self, ApiError> {
        let ids: Vec<&str> = values.into_iter().flat_map(|v| v.split(',')).filter(|id| !id.is_empty()).collect();
        if ids.is_empty() {
            return Ok(Self(None));
        }
        let distinct: BTreeSet<&str> = ids.iter().copied().collect();
        if distinct.len() > MAX_FILTER_IDS {
            return Err(ApiError::validation(format!(
                "accountIds: must have at most {MAX_FILTER_IDS} items, found {}",
                distinct.len()
            )));
        }
        Ok(Self(Some(distinct.into_iter().filter_map(AccountId::parse).collect())))
    }

    /// The well-formed IDs asked for, or `None` for every covered account.
    pub fn ids(&self) -> Option<&BTreeSet<AccountId>> {
        self.0.as_ref()
    }
}

/// Epoch milliseconds as ISO-8601 UTC with milliseconds, `2020-05-13T22:22:21.000Z` (the form
/// Macie's `timestampFormat: iso8601` members carry).
pub fn iso8601(epoch_millis: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(epoch_millis) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::parse_json;

    fn caller() -> AccountId {
        AccountId::parse("111111111111").unwrap()
    }

    fn validation_message(result: Result<impl std::fmt::Debug, ApiError>) -> String {
        match result {
            Err(ApiError::Validation(m)) => m,
            other => panic!("expected ValidationException, got {other:?}"),
        }
    }

    fn batch(body: serde_json::Value) -> Result<DiscoveryBatch, ApiError> {
        DiscoveryBatch::parse(parse_json(body.to_string().as_bytes())?)
    }

    fn member(body: serde_json::Value) -> Result<NewMember, ApiError> {
        NewMember::parse(&caller(), parse_json(body.to_string().as_bytes())?)
    }

    #[test]
    fn enums_round_trip_their_wire_spelling_and_reject_others() {
        for v in MacieStatus::VALUES {
            assert_eq!(MacieStatus::from_wire(v).unwrap().as_str(), *v);
        }
        for v in FindingPublishingFrequency::VALUES {
            assert_eq!(FindingPublishingFrequency::from_wire(v).unwrap().as_str(), *v);
        }
        assert_eq!(RelationshipStatus::Paused.as_str(), "Paused");
        assert_eq!(RelationshipStatus::from(MacieStatus::Enabled), RelationshipStatus::Enabled);
        assert_eq!(RelationshipStatus::from(MacieStatus::Paused), RelationshipStatus::Paused);
        assert!(DiscoveryStatus::from_wire("enabled").is_none());
        assert_eq!(
            validation_message(MacieStatus::parse("status", "RUNNING")),
            "status: 'RUNNING' is not a valid value; valid values are PAUSED, ENABLED"
        );
    }

    #[test]
    fn emails_must_be_plausible() {
        for ok in ["a@b.co", "first.last+tag@example.co.uk", "x@sub.example.com"] {
            assert!(Email::parse(ok).is_some(), "{ok}");
        }
        let long = format!("{}@example.com", "a".repeat(243));
        assert_eq!(long.len(), 255);
        for bad in ["", "a", "@b.co", "a@b", "a@@b.co", "a@b@c.co", "a b@c.co", "a@.co", "a@b.", "a@b..co", "a@b.co\n"]
        {
            assert!(Email::parse(bad).is_none(), "{bad:?}");
        }
        assert!(Email::parse(&long).is_none());
        assert!(Email::parse(&long[1..]).is_some());
    }

    #[test]
    fn enable_applies_defaults_and_fingerprints_the_resolved_request() {
        let plain = NewSession::parse(parse_json(b"{}").unwrap()).unwrap();
        assert_eq!(plain.status, MacieStatus::Enabled);
        assert_eq!(plain.finding_publishing_frequency, FindingPublishingFrequency::FifteenMinutes);
        assert_eq!(plain.client_token, None);
        let explicit = NewSession::parse(
            parse_json(br#"{"status":"ENABLED","findingPublishingFrequency":"FIFTEEN_MINUTES","clientToken":"t"}"#)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(plain.fingerprint(), explicit.fingerprint());
        let paused = NewSession::parse(parse_json(br#"{"status":"PAUSED"}"#).unwrap()).unwrap();
        assert_ne!(plain.fingerprint(), paused.fingerprint());
        let hourly = NewSession::parse(parse_json(br#"{"findingPublishingFrequency":"ONE_HOUR"}"#).unwrap()).unwrap();
        assert_ne!(plain.fingerprint(), hourly.fingerprint());
        assert!(
            validation_message(NewSession::parse(parse_json(br#"{"status":"OFF"}"#).unwrap())).starts_with("status:")
        );
        assert!(
            validation_message(NewSession::parse(parse_json(br#"{"clientToken":""}"#).unwrap()))
                .starts_with("clientToken:")
        );
        assert!(SessionChanges::parse(parse_json(br#"{"findingPublishingFrequency":"DAILY"}"#).unwrap()).is_err());
        assert_eq!(SessionChanges::parse(parse_json(b"").unwrap()).unwrap(), SessionChanges::default());
    }

    #[test]
    fn create_member_names_the_broken_member() {
        let ok =
            member(serde_json::json!({"account": {"accountId": "222222222222", "email": "m@example.com"}})).unwrap();
        assert_eq!(ok.account.as_str(), "222222222222");
        assert!(ok.tags.as_map().is_empty());
        assert_eq!(validation_message(member(serde_json::json!({}))), "account: is required");
        assert_eq!(
            validation_message(member(serde_json::json!({"account": {"email": "m@example.com"}}))),
            "account.accountId: is required"
        );
        assert!(
            validation_message(member(serde_json::json!({"account": {"accountId": "2222", "email": "m@example.com"}})))
                .starts_with("account.accountId: '2222'")
        );
        assert!(
            validation_message(member(
                serde_json::json!({"account": {"accountId": "111111111111", "email": "m@example.com"}})
            ))
            .contains("your own account")
        );
        assert_eq!(
            validation_message(member(serde_json::json!({"account": {"accountId": "222222222222"}}))),
            "account.email: is required"
        );
        assert!(
            validation_message(member(serde_json::json!({"account": {"accountId": "222222222222", "email": "nope"}})))
                .starts_with("account.email:")
        );
        let tagged = serde_json::json!({"account": {"accountId": "222222222222", "email": "m@example.com"}, "tags": {"aws:x": "1"}});
        assert!(validation_message(member(tagged)).starts_with("tags:"));
    }

    #[test]
    fn batches_keep_order_and_refuse_duplicates_and_oversize() {
        let b = batch(serde_json::json!({"accounts": [
            {"accountId": "222222222222", "status": "ENABLED"},
            {"accountId": "not-an-id", "status": "DISABLED"},
            {"accountId": "111111111111", "status": "DISABLED"},
        ]}))
        .unwrap();
        let ids: Vec<&str> = b.entries.iter().map(|e| e.account.as_str()).collect();
        assert_eq!(ids, ["222222222222", "not-an-id", "111111111111"]);
        assert_eq!(b.entries[1].account, EntryAccount::Malformed("not-an-id".into()));
        let updates: Vec<String> = b.updates().iter().map(|u| u.account.to_string()).collect();
        assert_eq!(updates, ["222222222222", "111111111111"]);
        assert_eq!(batch(serde_json::json!({})).unwrap(), DiscoveryBatch::default());
        assert_eq!(batch(serde_json::json!({"accounts": []})).unwrap(), DiscoveryBatch::default());

        let dup = serde_json::json!({"accounts": [
            {"accountId": "222222222222", "status": "ENABLED"}, {"accountId": "222222222222", "status": "DISABLED"}
        ]});
        assert!(
            validation_message(batch(dup)).starts_with("accounts[1].accountId: '222222222222' appears more than once")
        );
        let bad_dup = serde_json::json!({"accounts": [{"accountId": "x", "status": "ENABLED"}, {"accountId": "x", "status": "ENABLED"}]});
        assert!(validation_message(batch(bad_dup)).contains("more than once"));

        let entries = |n: usize| {
            (0..n)
                .map(|i| serde_json::json!({"accountId": format!("{i:012}"), "status": "ENABLED"}))
                .collect::<Vec<_>>()
        };
        assert_eq!(batch(serde_json::json!({"accounts": entries(100)})).unwrap().entries.len(), 100);
        assert_eq!(
            validation_message(batch(serde_json::json!({"accounts": entries(101)}))),
            "accounts: must have at most 100 items, found 101"
        );
        assert_eq!(
            validation_message(batch(serde_json::json!({"accounts": [{"status": "ENABLED"}]}))),
            "accounts[0].accountId: is required"
        );
        assert_eq!(
            validation_message(batch(serde_json::json!({"accounts": [{"accountId": "222222222222"}]}))),
            "accounts[0].status: is required"
        );
        assert!(
            validation_message(batch(serde_json::json!({"accounts": [{"accountId": "222222222222", "status": "ON"}]})))
                .starts_with("accounts[0].status: 'ON'")
        );
    }

    #[test]
    fn filters_split_commas_drop_malformed_ids_and_cap_at_50() {
        assert_eq!(AccountFilter::parse([]).unwrap().ids(), None);
        assert_eq!(AccountFilter::parse([""]).unwrap().ids(), None);
        let f = AccountFilter::parse(["111111111111,222222222222", "333333333333", "bad", "111111111111"]).unwrap();
        let ids: Vec<&str> = f.ids().unwrap().iter().map(AccountId::as_str).collect();
        assert_eq!(ids, ["111111111111", "222222222222", "333333333333"]);
        let only_bad = AccountFilter::parse(["bad"]).unwrap();
        assert!(only_bad.ids().unwrap().is_empty());
        let fifty: Vec<String> = (0..50).map(|i| format!("{i:012}")).collect();
        assert_eq!(AccountFilter::parse(fifty.iter().map(String::as_str)).unwrap().ids().unwrap().len(), 50);
        let joined = (0..51).map(|i| format!("{i:012}")).collect::<Vec<_>>().join(",");
        assert_eq!(
            validation_message(AccountFilter::parse([joined.as_str()])),
            "accountIds: must have at most 50 items, found 51"
        );
    }

    #[test]
    fn removed_members_are_not_associated() {
        assert_eq!(RelationshipStatus::from_wire("Removed"), Some(RelationshipStatus::Removed));
        assert!(RelationshipStatus::Enabled.is_associated());
        assert!(RelationshipStatus::Paused.is_associated());
        assert!(!RelationshipStatus::Removed.is_associated());
    }

    #[test]
    fn new_members_start_enabled_only_under_an_enabled_all_or_new_configuration() {
        use AutoEnableMode::{All, New, None as NoAccounts};
        use DiscoveryStatus::{Disabled, Enabled};
        let cases = [
            (Enabled, All, Enabled),
            (Enabled, New, Enabled),
            (Enabled, NoAccounts, Disabled),
            (Disabled, All, Disabled),
            (Disabled, New, Disabled),
            (Disabled, NoAccounts, Disabled),
        ];
        for (status, mode, expected) in cases {
            let c = DiscoveryConfiguration { status, mode, ..DiscoveryConfiguration::default() };
            assert_eq!(c.new_member_status(), expected, "{status:?} {mode:?}");
        }
        let fresh = DiscoveryConfiguration::default();
        assert_eq!((fresh.status, fresh.mode), (Disabled, All));
        assert_eq!((fresh.first_enabled_at, fresh.disabled_at, fresh.last_updated_at), (None, None, None));
    }

    #[test]
    fn a_configuration_update_needs_a_status_and_knows_the_modes() {
        let parse = |body: &[u8]| ConfigurationUpdate::parse(parse_json(body)?);
        assert_eq!(
            parse(br#"{"status":"ENABLED"}"#).unwrap(),
            ConfigurationUpdate { status: DiscoveryStatus::Enabled, mode: None }
        );
        assert_eq!(
            parse(br#"{"status":"DISABLED","autoEnableOrganizationMembers":"NONE"}"#).unwrap(),
            ConfigurationUpdate { status: DiscoveryStatus::Disabled, mode: Some(AutoEnableMode::None) }
        );
        assert_eq!(validation_message(parse(b"{}")), "status: is required");
        assert_eq!(validation_message(parse(br#"{"status":null}"#)), "status: is required");
        assert!(validation_message(parse(br#"{"status":"enabled"}"#)).starts_with("status: 'enabled'"));
        assert!(
            validation_message(parse(br#"{"status":"ENABLED","autoEnableOrganizationMembers":"SOME"}"#)).starts_with(
                "autoEnableOrganizationMembers: 'SOME' is not a valid value; valid values are ALL, NEW, NONE"
            )
        );
    }

    #[test]
    fn only_associated_is_true_or_false_in_any_case() {
        assert!(!lists_removed(None).unwrap());
        for associated in ["true", "TRUE", "True"] {
            assert!(!lists_removed(Some(associated)).unwrap(), "{associated}");
        }
        for all in ["false", "FALSE", "False"] {
            assert!(lists_removed(Some(all)).unwrap(), "{all}");
        }
        for bad in ["", "yes", "0", "1", " true"] {
            assert_eq!(
                validation_message(lists_removed(Some(bad))),
                format!("onlyAssociated: '{bad}' must be true or false")
            );
        }
    }

    #[test]
    fn timestamps_are_iso8601_with_milliseconds() {
        assert_eq!(iso8601(1_589_408_541_000), "2020-05-13T22:22:21.000Z");
        assert_eq!(iso8601(1_589_408_541_007), "2020-05-13T22:22:21.007Z");
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
    }
}
