//! Macie sessions and members in the embedded store.
//!
//! Tables: `macie_sessions` (account → JSON, the automated discovery configuration included),
//! `macie_members` (`<admin>/<member>` → JSON), `macie_administrators` (member → admin, for
//! associated members only). Every operation's checks and writes run in one write transaction;
//! a discovery batch, a configuration update with its member writes, and a DisableMacie with
//! its member-record deletions are each one transaction, so every check is atomic with its write.

use std::collections::BTreeMap;

use async_trait::async_trait;
use redb::{ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::{EmbeddedStore, backend, corrupt, json_error, prefix_range, split_key};
use crate::common::AccountId;
use crate::common::Tags;
use crate::macie::domain::{
    AutoEnableMode, ConfigurationUpdate, DiscoveryConfiguration, DiscoveryErrorCode, DiscoveryStatus, DiscoveryUpdate,
    Email, FindingPublishingFrequency, MacieStatus, RelationshipStatus, SessionChanges,
};
use crate::store::macie::{
    DiscoveryPage, EnableOutcome, MacieSession, Member, MemberPage, SessionToken, configured, disable_refusal,
    disassociation, discovery_outcome, enable_replay, existing_member, member_coverage, member_creation, member_listed,
    member_session_target, member_sweep, members_asked, not_enabled, page_of, session_config_write,
};
use crate::store::{MacieStore, StoreError};

/// account → JSON of [`StoredSession`]
const SESSIONS: TableDefinition<&str, &str> = TableDefinition::new("macie_sessions");
/// `<admin>/<member>` → JSON of [`StoredMember`]
const MEMBERS: TableDefinition<&str, &str> = TableDefinition::new("macie_members");
/// member → admin
const ADMINISTRATORS: TableDefinition<&str, &str> = TableDefinition::new("macie_administrators");

/// Creates this module's tables (called once when the database opens).
pub(super) fn init(txn: &WriteTransaction) -> Result<(), StoreError> {
    txn.open_table(SESSIONS).map_err(backend)?;
    txn.open_table(MEMBERS).map_err(backend)?;
    txn.open_table(ADMINISTRATORS).map_err(backend)?;
    Ok(())
}

#[derive(Serialize, Deserialize)]
struct StoredSession {
    status: String,
    finding_publishing_frequency: String,
    created_at: i64,
    updated_at: i64,
    discovery: String,
    client_token: Option<String>,
    fingerprint: Option<String>,
    /// Absent in sessions stored before the configuration existed: the default one.
    #[serde(default)]
    configuration: StoredConfiguration,
}

#[derive(Serialize, Deserialize)]
struct StoredConfiguration {
    status: String,
    mode: String,
    first_enabled_at: Option<i64>,
    disabled_at: Option<i64>,
    last_updated_at: Option<i64>,
}

impl Default for StoredConfiguration {
    fn default() -> Self {
        Self::from_configuration(&DiscoveryConfiguration::default())
    }
}

impl StoredConfiguration {
    fn from_configuration(c: &DiscoveryConfiguration) -> Self {
        Self {
            status: c.status.as_str().to_owned(),
            mode: c.mode.as_str().to_owned(),
            first_enabled_at: c.first_enabled_at,
            disabled_at: c.disabled_at,
            last_updated_at: c.last_updated_at,
        }
    }

    fn configuration(&self) -> Result<DiscoveryConfiguration, StoreError> {
        Ok(DiscoveryConfiguration {
            status: DiscoveryStatus::from_wire(&self.status).ok_or_else(|| corrupt("configuration status"))?,
            mode: AutoEnableMode::from_wire(&self.mode).ok_or_else(|| corrupt("configuration mode"))?,
            first_enabled_at: self.first_enabled_at,
            disabled_at: self.disabled_at,
            last_updated_at: self.last_updated_at,
        })
    }
}

#[derive(Serialize, Deserialize)]
struct StoredMember {
    email: String,
    relationship_status: String,
    tags: BTreeMap<String, String>,
    invited_at: i64,
    updated_at: i64,
    discovery: String,
}

fn member_key(admin: &AccountId, member: &AccountId) -> String {
    format!("{admin}/{member}")
}

impl StoredSession {
    fn decode(json: &str) -> Result<Self, StoreError> {
        serde_json::from_str(json).map_err(json_error)
    }

    fn session(&self, account: &AccountId) -> Result<MacieSession, StoreError> {
        Ok(MacieSession {
            account: account.clone(),
            status: MacieStatus::from_wire(&self.status).ok_or_else(|| corrupt("session status"))?,
            finding_publishing_frequency: FindingPublishingFrequency::from_wire(&self.finding_publishing_frequency)
                .ok_or_else(|| corrupt("finding publishing frequency"))?,
            created_at: self.created_at,
            updated_at: self.updated_at,
            discovery: DiscoveryStatus::from_wire(&self.discovery).ok_or_else(|| corrupt("discovery status"))?,
        })
    }
}

impl StoredMember {
    fn from_member(member: &Member) -> Self {
        Self {
            email: member.email.as_str().to_owned(),
            relationship_status: member.relationship.as_str().to_owned(),
            tags: member.tags.as_map().clone(),
            invited_at: member.invited_at,
            updated_at: member.updated_at,
            discovery: member.discovery.as_str().to_owned(),
        }
    }

    fn decode(json: &str) -> Result<Self, StoreError> {
        serde_json::from_str(json).map_err(json_error)
    }

    fn relationship(&self) -> Result<RelationshipStatus, StoreError> {
        RelationshipStatus::from_wire(&self.relationship_status).ok_or_else(|| corrupt("relationship status"))
    }

    fn member(self, admin: &AccountId, account: &AccountId) -> Result<Member, StoreError> {
        Ok(Member {
            administrator: admin.clone(),
            account: account.clone(),
            relationship: RelationshipStatus::from_wire(&self.relationship_status)
                .ok_or_else(|| corrupt("relationship status"))?,
            discovery: DiscoveryStatus::from_wire(&self.discovery).ok_or_else(|| corrupt("discovery status"))?,
            email: Email::from_stored(self.email),
            tags: Tags::from_stored(self.tags),
            invited_at: self.invited_at,
            updated_at: self.updated_at,
        })
    }
}

fn encode<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(json_error)
}

fn read_session(txn: &WriteTransaction, account: &AccountId) -> Result<Option<StoredSession>, StoreError> {
    let table = txn.open_table(SESSIONS).map_err(backend)?;
    let found = table.get(account.as_str()).map_err(backend)?;
    found.map(|json| StoredSession::decode(json.value())).transpose()
}

fn write_session(txn: &WriteTransaction, account: &AccountId, session: &StoredSession) -> Result<(), StoreError> {
    let mut table = txn.open_table(SESSIONS).map_err(backend)?;
    table.insert(account.as_str(), encode(session)?.as_str()).map_err(backend)?;
    Ok(())
}

fn read_member(
    txn: &WriteTransaction,
    admin: &AccountId,
    member: &AccountId,
) -> Result<Option<StoredMember>, StoreError> {
    let table = txn.open_table(MEMBERS).map_err(backend)?;
    let found = table.get(member_key(admin, member).as_str()).map_err(backend)?;
    found.map(|json| StoredMember::decode(json.value())).transpose()
}

fn write_member(
    txn: &WriteTransaction,
    admin: &AccountId,
    member: &AccountId,
    stored: &StoredMember,
) -> Result<(), StoreError> {
    let mut table = txn.open_table(MEMBERS).map_err(backend)?;
    table.insert(member_key(admin, member).as_str(), encode(stored)?.as_str()).map_err(backend)?;
    Ok(())
}

/// The session check every operation but EnableMacie starts with.
fn require(txn: &WriteTransaction, admin: &AccountId) -> Result<StoredSession, StoreError> {
    read_session(txn, admin)?.ok_or_else(not_enabled)
}

/// The relationship of the administrator's member record `member`, if there is one.
fn relationship_of(
    txn: &WriteTransaction,
    admin: &AccountId,
    member: &AccountId,
) -> Result<Option<RelationshipStatus>, StoreError> {
    read_member(txn, admin, member)?.map(|m| m.relationship()).transpose()
}

/// Every member record of `admin`, in account order: `(member, record)`.
fn members_of(txn: &WriteTransaction, admin: &AccountId) -> Result<Vec<(AccountId, StoredMember)>, StoreError> {
    let table = txn.open_table(MEMBERS).map_err(backend)?;
    let (start, end) = prefix_range(admin.as_str());
    let mut records = Vec::new();
    for entry in table.range(start.as_str()..end.as_str()).map_err(backend)? {
        let (key, json) = entry.map_err(backend)?;
        records.push((member_of_key(key.value())?, StoredMember::decode(json.value())?));
    }
    Ok(records)
}

/// The member account of a `<admin>/<member>` key.
fn member_of_key(key: &str) -> Result<AccountId, StoreError> {
    split_key(key).and_then(|(_, id)| AccountId::parse(id)).ok_or_else(|| corrupt("member key"))
}

#[async_trait]
impl MacieStore for EmbeddedStore {
    async fn enable_macie(
        &self,
        session: &MacieSession,
        token: Option<&SessionToken>,
    ) -> Result<EnableOutcome, StoreError> {
        let session = session.clone();
        let token = token.cloned();
        self.write(move |txn| {
            if let Some(existing) = read_session(txn, &session.account)? {
                let (seen, fingerprint) = (existing.client_token.as_deref(), existing.fingerprint.as_deref());
                return enable_replay(token.as_ref(), seen, fingerprint);
            }
            let stored = StoredSession {
                status: session.status.as_str().to_owned(),
                finding_publishing_frequency: session.finding_publishing_frequency.as_str().to_owned(),
                created_at: session.created_at,
                updated_at: session.updated_at,
                discovery: session.discovery.as_str().to_owned(),
                client_token: token.as_ref().map(|t| t.token.clone()),
                fingerprint: token.as_ref().map(|t| t.fingerprint.clone()),
                configuration: StoredConfiguration::default(),
            };
            write_session(txn, &session.account, &stored)?;
            Ok(EnableOutcome::Created)
        })
        .await
    }

    async fn get_session(&self, account: &AccountId) -> Result<Option<MacieSession>, StoreError> {
        let account = account.clone();
        self.read(move |txn| {
            let table = txn.open_table(SESSIONS).map_err(backend)?;
            let found = table.get(account.as_str()).map_err(backend)?;
            found.map(|json| StoredSession::decode(json.value())?.session(&account)).transpose()
        })
        .await
    }

    async fn require_session(&self, account: &AccountId) -> Result<(), StoreError> {
        self.get_session(account).await?.map(|_| ()).ok_or_else(not_enabled)
    }

    async fn update_session(&self, account: &AccountId, changes: &SessionChanges, now: i64) -> Result<(), StoreError> {
        let (account, changes) = (account.clone(), *changes);
        self.write(move |txn| {
            let mut stored = require(txn, &account)?;
            if let Some(status) = changes.status {
                stored.status = status.as_str().to_owned();
            }
            if let Some(frequency) = changes.finding_publishing_frequency {
                stored.finding_publishing_frequency = frequency.as_str().to_owned();
            }
            stored.updated_at = now;
            write_session(txn, &account, &stored)
        })
        .await
    }

    async fn create_member(&self, member: &Member) -> Result<(), StoreError> {
        let member = member.clone();
        self.write(move |txn| {
            let session = require(txn, &member.administrator)?;
            let record = relationship_of(txn, &member.administrator, &member.account)?;
            let mut admins = txn.open_table(ADMINISTRATORS).map_err(backend)?;
            let claimed = admins.get(member.account.as_str()).map_err(backend)?.is_some();
            member_creation(&member.account, claimed, record)?;
            admins.insert(member.account.as_str(), member.administrator.as_str()).map_err(backend)?;
            let mut stored = StoredMember::from_member(&member);
            stored.discovery = session.configuration.configuration()?.new_member_status().as_str().to_owned();
            write_member(txn, &member.administrator, &member.account, &stored)
        })
        .await
    }

    async fn get_member(&self, administrator: &AccountId, account: &AccountId) -> Result<Member, StoreError> {
        let (admin, account) = (administrator.clone(), account.clone());
        self.read(move |txn| {
            let sessions = txn.open_table(SESSIONS).map_err(backend)?;
            let has_session = sessions.get(admin.as_str()).map_err(backend)?.is_some();
            let members = txn.open_table(MEMBERS).map_err(backend)?;
            let found = members.get(member_key(&admin, &account).as_str()).map_err(backend)?;
            let found = existing_member(has_session, found)?;
            StoredMember::decode(found.value())?.member(&admin, &account)
        })
        .await
    }

    async fn delete_member(&self, administrator: &AccountId, account: &AccountId) -> Result<(), StoreError> {
        let (admin, account) = (administrator.clone(), account.clone());
        self.write(move |txn| {
            require(txn, &admin)?;
            let relationship = existing_member(true, relationship_of(txn, &admin, &account)?)?;
            let mut members = txn.open_table(MEMBERS).map_err(backend)?;
            members.remove(member_key(&admin, &account).as_str()).map_err(backend)?;
            // A Removed record holds no claim: the account may have another administrator now.
            if relationship.is_associated() {
                let mut admins = txn.open_table(ADMINISTRATORS).map_err(backend)?;
                admins.remove(account.as_str()).map_err(backend)?;
            }
            Ok(())
        })
        .await
    }

    async fn update_member_session(
        &self,
        administrator: &AccountId,
        account: &AccountId,
        relationship: RelationshipStatus,
        now: i64,
    ) -> Result<(), StoreError> {
        let (admin, account) = (administrator.clone(), account.clone());
        self.write(move |txn| {
            require(txn, &admin)?;
            let found = read_member(txn, &admin, &account)?;
            member_session_target(true, &account, found.as_ref().map(StoredMember::relationship).transpose()?)?;
            let mut stored = found.ok_or(StoreError::NotFound)?;
            stored.relationship_status = relationship.as_str().to_owned();
            stored.updated_at = now;
            write_member(txn, &admin, &account, &stored)
        })
        .await
    }

    async fn update_discovery(
        &self,
        administrator: &AccountId,
        updates: &[DiscoveryUpdate],
        now: i64,
    ) -> Result<Vec<Result<(), DiscoveryErrorCode>>, StoreError> {
        let (admin, updates) = (administrator.clone(), updates.to_vec());
        self.write(move |txn| {
            require(txn, &admin)?;
            let mut results = Vec::with_capacity(updates.len());
            for update in &updates {
                let outcome = if update.account == admin {
                    // Read afresh: an earlier entry of this batch cannot change it, but keep
                    // each entry's check next to its write.
                    let mut session = require(txn, &admin)?;
                    let outcome = discovery_outcome(Some(session.status == MacieStatus::Enabled.as_str()));
                    if outcome.is_ok() {
                        session.discovery = update.status.as_str().to_owned();
                        session.updated_at = now;
                        write_session(txn, &admin, &session)?;
                    }
                    outcome
                } else {
                    let found = read_member(txn, &admin, &update.account)?;
                    let relationship = found.as_ref().map(StoredMember::relationship).transpose()?;
                    let outcome = discovery_outcome(member_coverage(relationship));
                    if let (Ok(()), Some(mut stored)) = (outcome, found) {
                        stored.discovery = update.status.as_str().to_owned();
                        stored.updated_at = now;
                        write_member(txn, &admin, &update.account, &stored)?;
                    }
                    outcome
                };
                results.push(outcome);
            }
            Ok(results)
        })
        .await
    }

    async fn list_discovery(
        &self,
        administrator: &AccountId,
        only: Option<&[AccountId]>,
        after: Option<&AccountId>,
        limit: usize,
    ) -> Result<DiscoveryPage, StoreError> {
        let (admin, only, after) = (administrator.clone(), only.map(<[AccountId]>::to_vec), after.cloned());
        self.read(move |txn| {
            let sessions = txn.open_table(SESSIONS).map_err(backend)?;
            let session = match sessions.get(admin.as_str()).map_err(backend)? {
                Some(json) => StoredSession::decode(json.value())?.session(&admin)?,
                None => return Err(not_enabled()),
            };
            let members = txn.open_table(MEMBERS).map_err(backend)?;
            let mut items = Vec::new();
            // A covered member's status; `None` for a Removed record, which is not covered.
            let discovery = |json: &str| {
                let stored = StoredMember::decode(json)?;
                if member_coverage(Some(stored.relationship()?)).is_none() {
                    return Ok(None);
                }
                DiscoveryStatus::from_wire(&stored.discovery).map(Some).ok_or_else(|| corrupt("discovery status"))
            };
            match &only {
                Some(ids) => {
                    for id in members_asked(&admin, ids, after.as_ref()) {
                        if let Some(json) = members.get(member_key(&admin, id).as_str()).map_err(backend)?
                            && let Some(status) = discovery(json.value())?
                        {
                            items.push((id.clone(), status));
                        }
                    }
                }
                None => {
                    // Keys `<admin>/<member>`: the admin's range, from just after the cursor,
                    // until one more than a page is covered.
                    let (first, end) = prefix_range(admin.as_str());
                    let start = match &after {
                        Some(after) => format!("{first}{after}\u{0}"),
                        None => first,
                    };
                    for entry in members.range(start.as_str()..end.as_str()).map_err(backend)? {
                        if items.len() > limit {
                            break;
                        }
                        let (key, json) = entry.map_err(backend)?;
                        if let Some(status) = discovery(json.value())? {
                            items.push((member_of_key(key.value())?, status));
                        }
                    }
                }
            }
            Ok(page_of(&admin, session.discovery, items, only.as_deref(), after.as_ref(), limit))
        })
        .await
    }
    async fn disable_macie(&self, account: &AccountId) -> Result<(), StoreError> {
        let account = account.clone();
        self.write(move |txn| {
            let session = read_session(txn, &account)?;
            let records = members_of(txn, &account)?;
            let mut removed = Vec::new();
            let mut associated = 0;
            for (id, record) in records {
                if record.relationship()?.is_associated() {
                    associated += 1;
                } else {
                    removed.push(id);
                }
            }
            disable_refusal(session.is_some(), associated)?;
            let mut members = txn.open_table(MEMBERS).map_err(backend)?;
            for id in &removed {
                members.remove(member_key(&account, id).as_str()).map_err(backend)?;
            }
            let mut sessions = txn.open_table(SESSIONS).map_err(backend)?;
            sessions.remove(account.as_str()).map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn list_members(
        &self,
        administrator: &AccountId,
        include_removed: bool,
        after: Option<&AccountId>,
        limit: usize,
    ) -> Result<MemberPage, StoreError> {
        let (admin, after) = (administrator.clone(), after.cloned());
        self.read(move |txn| {
            let sessions = txn.open_table(SESSIONS).map_err(backend)?;
            if sessions.get(admin.as_str()).map_err(backend)?.is_none() {
                return Err(not_enabled());
            }
            let members = txn.open_table(MEMBERS).map_err(backend)?;
            let (first, end) = prefix_range(admin.as_str());
            let start = match &after {
                Some(after) => format!("{first}{after}\u{0}"),
                None => first,
            };
            let mut listed = Vec::new();
            for entry in members.range(start.as_str()..end.as_str()).map_err(backend)? {
                if listed.len() > limit {
                    break;
                }
                let (key, json) = entry.map_err(backend)?;
                let stored = StoredMember::decode(json.value())?;
                if member_listed(stored.relationship()?, include_removed) {
                    let id = member_of_key(key.value())?;
                    listed.push(stored.member(&admin, &id)?);
                }
            }
            Ok(MemberPage::cut(listed, limit))
        })
        .await
    }

    async fn disassociate_member(
        &self,
        administrator: &AccountId,
        account: &AccountId,
        now: i64,
    ) -> Result<(), StoreError> {
        let (admin, account) = (administrator.clone(), account.clone());
        self.write(move |txn| {
            let has_session = read_session(txn, &admin)?.is_some();
            let found = read_member(txn, &admin, &account)?;
            let relationship = found.as_ref().map(StoredMember::relationship).transpose()?;
            let (true, Some(mut stored)) = (disassociation(has_session, relationship)?, found) else {
                return Ok(());
            };
            stored.relationship_status = RelationshipStatus::Removed.as_str().to_owned();
            stored.discovery = DiscoveryStatus::Disabled.as_str().to_owned();
            stored.updated_at = now;
            write_member(txn, &admin, &account, &stored)?;
            let mut admins = txn.open_table(ADMINISTRATORS).map_err(backend)?;
            admins.remove(account.as_str()).map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn get_configuration(&self, administrator: &AccountId) -> Result<DiscoveryConfiguration, StoreError> {
        let admin = administrator.clone();
        self.read(move |txn| {
            let sessions = txn.open_table(SESSIONS).map_err(backend)?;
            let found = sessions.get(admin.as_str()).map_err(backend)?.ok_or_else(not_enabled)?;
            StoredSession::decode(found.value())?.configuration.configuration()
        })
        .await
    }

    async fn update_configuration(
        &self,
        administrator: &AccountId,
        update: &ConfigurationUpdate,
        now: i64,
    ) -> Result<(), StoreError> {
        let (admin, update) = (administrator.clone(), *update);
        self.write(move |txn| {
            let mut session = require(txn, &admin)?;
            let current = session.configuration.configuration()?;
            let status = MacieStatus::from_wire(&session.status).ok_or_else(|| corrupt("session status"))?;
            let write = session_config_write(&update, status, current.status);
            let next = configured(&current, &update, &write, now);
            session.configuration = StoredConfiguration::from_configuration(&next);
            if let Some(own) = write.own_discovery {
                session.discovery = own.as_str().to_owned();
                session.updated_at = now;
            }
            write_session(txn, &admin, &session)?;
            let Some(sweep) = member_sweep(next.status, next.mode) else { return Ok(()) };
            for (id, mut stored) in members_of(txn, &admin)? {
                if sweep.applies_to.contains(&stored.relationship()?) {
                    stored.discovery = sweep.status.as_str().to_owned();
                    stored.updated_at = now;
                    write_member(txn, &admin, &id, &stored)?;
                }
            }
            Ok(())
        })
        .await
    }
}
