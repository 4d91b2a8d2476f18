//! Macie sessions and members in the embedded store.
//!
//! Tables: `macie_sessions` (account → JSON), `macie_members` (`<admin>/<member>` → JSON),
//! `macie_administrators` (member → admin). Every operation's checks and writes run in one
//! write transaction; a discovery batch is one transaction for all its entries, so each entry's
//! "not paused" check and its write are atomic together.

use std::collections::BTreeMap;

use async_trait::async_trait;
use redb::{ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::{EmbeddedStore, backend, corrupt, json_error, prefix_range, split_key};
use crate::common::AccountId;
use crate::common::Tags;
use crate::macie::domain::{
    DiscoveryErrorCode, DiscoveryStatus, DiscoveryUpdate, Email, FindingPublishingFrequency, MacieStatus,
    RelationshipStatus, SessionChanges,
};
use crate::store::macie::{
    DiscoveryPage, EnableOutcome, MacieSession, Member, SessionToken, already_member, discovery_outcome, enable_replay,
    existing_member, members_asked, not_enabled, page_of,
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
            require(txn, &member.administrator)?;
            let mut admins = txn.open_table(ADMINISTRATORS).map_err(backend)?;
            if admins.get(member.account.as_str()).map_err(backend)?.is_some() {
                return Err(already_member(&member.account));
            }
            admins.insert(member.account.as_str(), member.administrator.as_str()).map_err(backend)?;
            write_member(txn, &member.administrator, &member.account, &StoredMember::from_member(&member))
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
            let mut members = txn.open_table(MEMBERS).map_err(backend)?;
            if members.remove(member_key(&admin, &account).as_str()).map_err(backend)?.is_none() {
                return Err(StoreError::NotFound);
            }
            let mut admins = txn.open_table(ADMINISTRATORS).map_err(backend)?;
            admins.remove(account.as_str()).map_err(backend)?;
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
            let mut stored = read_member(txn, &admin, &account)?.ok_or(StoreError::NotFound)?;
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
                    let enabled = found.as_ref().map(|m| m.relationship_status == RelationshipStatus::Enabled.as_str());
                    let outcome = discovery_outcome(enabled);
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
            let discovery = |json: &str| {
                let stored = StoredMember::decode(json)?;
                DiscoveryStatus::from_wire(&stored.discovery).ok_or_else(|| corrupt("discovery status"))
            };
            match &only {
                Some(ids) => {
                    for id in members_asked(&admin, ids, after.as_ref()) {
                        if let Some(json) = members.get(member_key(&admin, id).as_str()).map_err(backend)? {
                            items.push((id.clone(), discovery(json.value())?));
                        }
                    }
                }
                None => {
                    // Keys `<admin>/<member>`: the admin's range, from just after the cursor,
                    // taking one more than a page.
                    let (first, end) = prefix_range(admin.as_str());
                    let start = match &after {
                        Some(after) => format!("{first}{after}\u{0}"),
                        None => first,
                    };
                    for entry in members.range(start.as_str()..end.as_str()).map_err(backend)?.take(limit + 1) {
                        let (key, json) = entry.map_err(backend)?;
                        let id = split_key(key.value())
                            .and_then(|(_, id)| AccountId::parse(id))
                            .ok_or_else(|| corrupt("member key"))?;
                        items.push((id, discovery(json.value())?));
                    }
                }
            }
            Ok(page_of(&admin, session.discovery, items, only.as_deref(), after.as_ref(), limit))
        })
        .await
    }
}
