//! Macie sessions and members on the DynamoDB table.
//!
//! | item | pk | sk | attributes |
//! |---|---|---|---|
//! | session | `ACCOUNT#<account>` | `MACIE_SESSION` | `status`, `findingPublishingFrequency`, `createdAt` N, `updatedAt` N (epoch ms), `discovery`, `clientToken`?, `fingerprint`?, `associatedMembers` N, `memberRecords` N, `configStatus`, `configMode`, `configFirstEnabledAt` N?, `configDisabledAt` N?, `configUpdatedAt` N? |
//! | member | `ACCOUNT#<admin>` | `MEMBER#<member>` | `accountId`, `email`, `relationshipStatus`, `tags` M, `invitedAt` N, `updatedAt` N, `discovery` |
//! | administrator claim | `ACCOUNT#<member>` | `MACIE_ADMINISTRATOR` | `administrator` |
//!
//! The claim makes "associated with at most one administrator" a condition on one item, written
//! in the same transaction as the member; a `Removed` member holds none. The session counts its
//! associated members (`associatedMembers`) and its member records of any status
//! (`memberRecords`), kept in the same transactions as the member writes, so that DisableMacie's
//! "no associated member, no record left behind" is a condition on the session item. Every write
//! is conditional; failures are classified from `ReturnValuesOnConditionCheckFailure` or the
//! transaction's cancellation reasons.

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    CancellationReason, ConditionCheck, Delete, Put, ReturnValue, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};
use futures::StreamExt;

use super::item::{Item, account_key, account_pk, corrupt, get_n, get_s, n, opt_n, opt_s, s, tags, tags_value};
use super::{DynamoStore, Projection, applied, backoff, build_error, classify, failed};
use crate::common::AccountId;
use crate::macie::domain::{
    AutoEnableMode, ConfigurationUpdate, DiscoveryConfiguration, DiscoveryErrorCode, DiscoveryStatus, DiscoveryUpdate,
    Email, FindingPublishingFrequency, MacieStatus, RelationshipStatus, SessionChanges,
};
use crate::store::macie::{
    DiscoveryPage, EnableOutcome, MacieSession, Member, MemberPage, SessionToken, disable_refusal, disassociation,
    discovery_outcome, enable_replay, existing_member, member_coverage, member_creation, member_listed,
    member_session_target, member_sweep, members_asked, not_enabled, page_of, session_config_write,
};
use crate::store::{MAX_UPDATE_ATTEMPTS, MacieStore, StoreError};

const SESSION_SK: &str = "MACIE_SESSION";
const MEMBER_PREFIX: &str = "MEMBER#";
const CLAIM_SK: &str = "MACIE_ADMINISTRATOR";

/// The session's count of associated (`Enabled` or `Paused`) members.
const ASSOCIATED: &str = "associatedMembers";
/// The session's count of member records, `Removed` ones included.
const RECORDS: &str = "memberRecords";
const CONFIG_STATUS: &str = "configStatus";
const CONFIG_MODE: &str = "configMode";
const CONFIG_FIRST_ENABLED_AT: &str = "configFirstEnabledAt";
const CONFIG_DISABLED_AT: &str = "configDisabledAt";
const CONFIG_UPDATED_AT: &str = "configUpdatedAt";

/// Concurrent writes of one discovery batch: the batch maximum, so a full batch is one round
/// trip of wall time. A configuration update writes its members this many at a time.
const BATCH_CONCURRENCY: usize = crate::macie::domain::MAX_BATCH_ENTRIES;

/// Member deletions per DisableMacie transaction: with the session's own write, the 100 items
/// a TransactWriteItems may hold.
const DELETES_PER_TRANSACTION: usize = 99;

/// What a discovery listing reads of a member item.
const DISCOVERY_PROJECTION: Projection = Projection {
    expression: "accountId, #discovery, #relationship",
    names: &[("#discovery", "discovery"), ("#relationship", "relationshipStatus")],
};

/// What DisableMacie and a configuration update read of a member item.
const RELATIONSHIP_PROJECTION: Projection =
    Projection { expression: "accountId, #relationship", names: &[("#relationship", "relationshipStatus")] };

fn session_key(account: &AccountId) -> Item {
    account_key(account, SESSION_SK)
}

fn member_key(admin: &AccountId, member: &AccountId) -> Item {
    account_key(admin, format!("{MEMBER_PREFIX}{member}"))
}

fn claim_key(member: &AccountId) -> Item {
    account_key(member, CLAIM_SK)
}

fn session_status(item: &Item) -> Result<MacieStatus, StoreError> {
    MacieStatus::from_wire(get_s(item, "status")?).ok_or_else(|| corrupt("status"))
}

fn session_from_item(account: &AccountId, item: &Item) -> Result<MacieSession, StoreError> {
    Ok(MacieSession {
        account: account.clone(),
        status: session_status(item)?,
        finding_publishing_frequency: FindingPublishingFrequency::from_wire(get_s(item, "findingPublishingFrequency")?)
            .ok_or_else(|| corrupt("findingPublishingFrequency"))?,
        created_at: get_n(item, "createdAt")?,
        updated_at: get_n(item, "updatedAt")?,
        discovery: discovery_of(item)?,
    })
}

/// The automated discovery configuration on a session item (absent attributes: the default's).
fn configuration_from_item(item: &Item) -> Result<DiscoveryConfiguration, StoreError> {
    let default = DiscoveryConfiguration::default();
    Ok(DiscoveryConfiguration {
        status: match opt_s(item, CONFIG_STATUS)? {
            Some(v) => DiscoveryStatus::from_wire(v).ok_or_else(|| corrupt(CONFIG_STATUS))?,
            None => default.status,
        },
        mode: match opt_s(item, CONFIG_MODE)? {
            Some(v) => AutoEnableMode::from_wire(v).ok_or_else(|| corrupt(CONFIG_MODE))?,
            None => default.mode,
        },
        first_enabled_at: opt_n(item, CONFIG_FIRST_ENABLED_AT)?,
        disabled_at: opt_n(item, CONFIG_DISABLED_AT)?,
        last_updated_at: opt_n(item, CONFIG_UPDATED_AT)?,
    })
}

fn discovery_of(item: &Item) -> Result<DiscoveryStatus, StoreError> {
    DiscoveryStatus::from_wire(get_s(item, "discovery")?).ok_or_else(|| corrupt("discovery"))
}

fn relationship_of(item: &Item) -> Result<RelationshipStatus, StoreError> {
    RelationshipStatus::from_wire(get_s(item, "relationshipStatus")?).ok_or_else(|| corrupt("relationshipStatus"))
}

fn member_item(member: &Member) -> Item {
    let mut item = member_key(&member.administrator, &member.account);
    item.insert("accountId".into(), s(member.account.as_str()));
    item.insert("email".into(), s(member.email.as_str()));
    item.insert("relationshipStatus".into(), s(member.relationship.as_str()));
    item.insert("tags".into(), tags_value(&member.tags));
    item.insert("invitedAt".into(), n(member.invited_at));
    item.insert("updatedAt".into(), n(member.updated_at));
    item.insert("discovery".into(), s(member.discovery.as_str()));
    item
}

fn member_account(item: &Item) -> Result<AccountId, StoreError> {
    AccountId::parse(get_s(item, "accountId")?).ok_or_else(|| corrupt("accountId"))
}

/// The account and discovery status of a covered member, from an item read with
/// [`DISCOVERY_PROJECTION`]; `None` for a `Removed` record, which is not covered.
fn member_discovery(item: &Item) -> Result<Option<(AccountId, DiscoveryStatus)>, StoreError> {
    if member_coverage(Some(relationship_of(item)?)).is_none() {
        return Ok(None);
    }
    Ok(Some((member_account(item)?, discovery_of(item)?)))
}

fn member_from_item(admin: &AccountId, item: &Item) -> Result<Member, StoreError> {
    Ok(Member {
        administrator: admin.clone(),
        account: member_account(item)?,
        email: Email::from_stored(get_s(item, "email")?.to_owned()),
        relationship: relationship_of(item)?,
        tags: tags(item, "tags")?,
        invited_at: get_n(item, "invitedAt")?,
        updated_at: get_n(item, "updatedAt")?,
        discovery: discovery_of(item)?,
    })
}

/// The relationship of the member item a failed transaction item returned: `None` when there
/// is no such item.
fn returned_relationship(reason: &CancellationReason) -> Result<Option<RelationshipStatus>, StoreError> {
    reason.item().map(relationship_of).transpose()
}

/// `#relationship IN (:r0, :r1, …)` over `states`, with its placeholders' values.
fn relationship_in(states: &[RelationshipStatus]) -> (String, Vec<(String, String)>) {
    let values: Vec<(String, String)> =
        states.iter().enumerate().map(|(i, r)| (format!(":r{i}"), r.as_str().to_owned())).collect();
    let list = values.iter().map(|(placeholder, _)| placeholder.as_str()).collect::<Vec<_>>().join(", ");
    (format!("#relationship IN ({list})"), values)
}

const ASSOCIATED_STATES: &[RelationshipStatus] = &[RelationshipStatus::Enabled, RelationshipStatus::Paused];

/// The intermediate transactions' deletions and the final one's of a DisableMacie over the
/// `removed` records: the final transaction (with the session's deletion) takes the last
/// [`DELETES_PER_TRANSACTION`] or fewer, the ones before it that many each.
fn disable_chunks(removed: &[AccountId]) -> (Vec<&[AccountId]>, &[AccountId]) {
    let (head, last) = removed.split_at(removed.len().saturating_sub(DELETES_PER_TRANSACTION));
    (head.chunks(DELETES_PER_TRANSACTION).collect(), last)
}

/// What one DisableMacie transaction found.
enum Disabling {
    Committed,
    /// The records changed since they were read (one was deleted, re-associated or added):
    /// read them again.
    Changed,
}

impl DynamoStore {
    /// A ConditionCheck that the account has a Macie session.
    fn session_check(&self, account: &AccountId) -> Result<TransactWriteItem, StoreError> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(session_key(account)))
            .condition_expression("attribute_exists(pk)")
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    /// A transaction Update of the session that adds `associated` and `records` to its member
    /// counts, conditioned on the session existing and on `condition` (placeholders in
    /// `names`/`values`). The session comes back with a failed condition.
    fn count_members(
        &self,
        account: &AccountId,
        associated: i64,
        records: i64,
        condition: Option<&str>,
        names: &[(&str, &str)],
        values: &[(&str, &str)],
    ) -> Result<TransactWriteItem, StoreError> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(session_key(account)))
            .update_expression("ADD #associated :associated, #records :records")
            .condition_expression(match condition {
                Some(extra) => format!("attribute_exists(pk) AND ({extra})"),
                None => "attribute_exists(pk)".to_owned(),
            })
            .expression_attribute_names("#associated", ASSOCIATED)
            .expression_attribute_names("#records", RECORDS)
            .expression_attribute_values(":associated", n(associated))
            .expression_attribute_values(":records", n(records))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (placeholder, name) in names {
            update = update.expression_attribute_names(*placeholder, *name);
        }
        for (placeholder, value) in values {
            update = update.expression_attribute_values(*placeholder, s(*value));
        }
        Ok(TransactWriteItem::builder().update(update.build().map_err(build_error)?).build())
    }

    /// A transaction Delete of the administrator's member record `member`, conditioned on its
    /// relationship being one of `states`; the record comes back with a failed condition.
    fn delete_member_in(
        &self,
        admin: &AccountId,
        member: &AccountId,
        states: &[RelationshipStatus],
    ) -> Result<TransactWriteItem, StoreError> {
        let (condition, values) = relationship_in(states);
        let mut delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(member_key(admin, member)))
            .condition_expression(condition)
            .expression_attribute_names("#relationship", "relationshipStatus")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (placeholder, value) in values {
            delete = delete.expression_attribute_values(placeholder, s(value));
        }
        Ok(TransactWriteItem::builder().delete(delete.build().map_err(build_error)?).build())
    }

    /// A transaction Delete of `member`'s administrator claim, if `admin` holds it.
    fn free_claim(&self, admin: &AccountId, member: &AccountId) -> Result<TransactWriteItem, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(claim_key(member)))
            .condition_expression("#administrator = :admin")
            .expression_attribute_names("#administrator", "administrator")
            .expression_attribute_values(":admin", s(admin.as_str()))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// Sets the discovery status (and `updatedAt`) of the item at `key` if its `state_attribute`
    /// is one of `allowed` at that moment: the conditional write behind each batch entry and
    /// each member write of a configuration update. `Ok(Err(old))` when the condition failed,
    /// with the item as it was (`None`: no such item).
    async fn write_discovery(
        &self,
        key: Item,
        state_attribute: &str,
        allowed: &[&str],
        status: DiscoveryStatus,
        now: i64,
    ) -> Result<Result<(), Option<Item>>, StoreError> {
        let placeholders: Vec<String> = (0..allowed.len()).map(|i| format!(":state{i}")).collect();
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression("SET #discovery = :status, #updatedAt = :now")
            .condition_expression(format!("attribute_exists(pk) AND #state IN ({})", placeholders.join(", ")))
            .expression_attribute_names("#discovery", "discovery")
            .expression_attribute_names("#updatedAt", "updatedAt")
            .expression_attribute_names("#state", state_attribute)
            .expression_attribute_values(":status", s(status.as_str()))
            .expression_attribute_values(":now", n(now))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (placeholder, state) in placeholders.iter().zip(allowed) {
            request = request.expression_attribute_values(placeholder, s(*state));
        }
        // A member or session transaction holding the item is waited out.
        Ok(self.send_update(request).await?.map(|_| ()))
    }

    /// One discovery entry: a conditional write of the session (the administrator itself) or
    /// of the member item, applied only while it is enabled. The item returned with a failed
    /// condition tells paused from not covered (absent, or a `Removed` member).
    async fn update_one(
        &self,
        admin: &AccountId,
        update: &DiscoveryUpdate,
        now: i64,
    ) -> Result<Result<(), DiscoveryErrorCode>, StoreError> {
        if &update.account == admin {
            let written = self
                .write_discovery(session_key(admin), "status", &[MacieStatus::Enabled.as_str()], update.status, now)
                .await?;
            // A session that failed the condition and is there is paused.
            return Ok(written.or_else(|old| discovery_outcome(old.map(|_| false))));
        }
        let written = self
            .write_discovery(
                member_key(admin, &update.account),
                "relationshipStatus",
                &[RelationshipStatus::Enabled.as_str()],
                update.status,
                now,
            )
            .await?;
        match written {
            Ok(()) => Ok(Ok(())),
            Err(old) => Ok(discovery_outcome(member_coverage(old.as_ref().map(relationship_of).transpose()?))),
        }
    }

    /// The administrator's member items after `after`, in account order, that `keep` keeps
    /// (mapped), until `want` are kept or none remain: key-range paging from the cursor,
    /// consistent reads, only the attributes of `projection` if given.
    async fn query_members<T: Send>(
        &self,
        admin: &AccountId,
        after: Option<&AccountId>,
        want: usize,
        projection: Option<&Projection>,
        mut keep: impl FnMut(&Item) -> Result<Option<T>, StoreError> + Send,
    ) -> Result<Vec<T>, StoreError> {
        let mut start = after.map(|after| member_key(admin, after));
        let mut items = Vec::new();
        loop {
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":pk", s(account_pk(admin)))
                .expression_attribute_values(":prefix", s(MEMBER_PREFIX))
                .consistent_read(true)
                .limit(i32::try_from(want - items.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take());
            if let Some(projection) = projection {
                query = query
                    .projection_expression(projection.expression)
                    .set_expression_attribute_names(Some(projection.attribute_names()));
            }
            let output = query.send().await.map_err(classify)?;
            for item in output.items() {
                if let Some(kept) = keep(item)? {
                    items.push(kept);
                }
            }
            match output.last_evaluated_key {
                Some(last) if items.len() < want => start = Some(last),
                _ => return Ok(items),
            }
        }
    }

    /// Every member record of `admin` with its relationship, in account order.
    async fn member_records(&self, admin: &AccountId) -> Result<Vec<(AccountId, RelationshipStatus)>, StoreError> {
        self.query_members(admin, None, usize::MAX, Some(&RELATIONSHIP_PROJECTION), |item| {
            Ok(Some((member_account(item)?, relationship_of(item)?)))
        })
        .await
    }

    /// One DisableMacie transaction: deletes the `Removed` records `removed` (each conditioned
    /// on still being `Removed`) together with a write of the session conditioned on no member
    /// being associated: with `last`, the session's deletion, also conditioned on these being
    /// its last records; else the decrement of its record count by as many.
    async fn disable_step(
        &self,
        account: &AccountId,
        removed: &[AccountId],
        last: bool,
    ) -> Result<Disabling, StoreError> {
        let count = i64::try_from(removed.len()).unwrap_or(i64::MAX);
        let session = if last {
            let delete = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(session_key(account)))
                .condition_expression("attribute_exists(pk) AND #associated = :zero AND #records = :count")
                .expression_attribute_names("#associated", ASSOCIATED)
                .expression_attribute_names("#records", RECORDS)
                .expression_attribute_values(":zero", n(0))
                .expression_attribute_values(":count", n(count))
                .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
                .build()
                .map_err(build_error)?;
            TransactWriteItem::builder().delete(delete).build()
        } else {
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(session_key(account)))
                .update_expression("ADD #records :minus")
                .condition_expression("attribute_exists(pk) AND #associated = :zero")
                .expression_attribute_names("#associated", ASSOCIATED)
                .expression_attribute_names("#records", RECORDS)
                .expression_attribute_values(":zero", n(0))
                .expression_attribute_values(":minus", n(-count))
                .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
                .build()
                .map_err(build_error)?;
            TransactWriteItem::builder().update(update).build()
        };
        let mut items = vec![session];
        for member in removed {
            items.push(self.delete_member_in(account, member, &[RelationshipStatus::Removed])?);
        }
        let Some(reasons) = self.transact(items).await? else { return Ok(Disabling::Committed) };
        if let Some(reason) = failed(&reasons, 0) {
            // No session: a concurrent DisableMacie finished first. Members associated: a
            // CreateMember came in between. Else the records changed.
            let associated = reason.item().map(|item| get_n(item, ASSOCIATED)).transpose()?.unwrap_or(0);
            disable_refusal(reason.item().is_some(), u64::try_from(associated).unwrap_or(0))?;
        }
        Ok(Disabling::Changed)
    }
}

#[async_trait]
impl MacieStore for DynamoStore {
    async fn enable_macie(
        &self,
        session: &MacieSession,
        token: Option<&SessionToken>,
    ) -> Result<EnableOutcome, StoreError> {
        let configuration = DiscoveryConfiguration::default();
        let mut item = session_key(&session.account);
        item.insert("status".into(), s(session.status.as_str()));
        item.insert("findingPublishingFrequency".into(), s(session.finding_publishing_frequency.as_str()));
        item.insert("createdAt".into(), n(session.created_at));
        item.insert("updatedAt".into(), n(session.updated_at));
        item.insert("discovery".into(), s(session.discovery.as_str()));
        item.insert(ASSOCIATED.into(), n(0));
        item.insert(RECORDS.into(), n(0));
        item.insert(CONFIG_STATUS.into(), s(configuration.status.as_str()));
        item.insert(CONFIG_MODE.into(), s(configuration.mode.as_str()));
        if let Some(token) = token {
            item.insert("clientToken".into(), s(&token.token));
            item.insert("fingerprint".into(), s(&token.fingerprint));
        }
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let err = match result {
            Ok(_) => return Ok(EnableOutcome::Created),
            Err(err) => err,
        };
        let Some(PutItemError::ConditionalCheckFailedException(e)) = err.as_service_error() else {
            return Err(classify(err));
        };
        let attr = |name| e.item().and_then(|item| item.get(name)).and_then(|v| v.as_s().ok()).map(String::as_str);
        enable_replay(token, attr("clientToken"), attr("fingerprint"))
    }

    async fn get_session(&self, account: &AccountId) -> Result<Option<MacieSession>, StoreError> {
        self.get(session_key(account)).await?.map(|item| session_from_item(account, &item)).transpose()
    }

    async fn require_session(&self, account: &AccountId) -> Result<(), StoreError> {
        match self.transact(vec![self.session_check(account)?]).await? {
            None => Ok(()),
            Some(_) => Err(not_enabled()),
        }
    }

    async fn update_session(&self, account: &AccountId, changes: &SessionChanges, now: i64) -> Result<(), StoreError> {
        let mut sets = vec!["#updatedAt = :now"];
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(session_key(account)))
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#updatedAt", "updatedAt")
            .expression_attribute_values(":now", n(now));
        if let Some(status) = changes.status {
            sets.push("#status = :status");
            update = update
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":status", s(status.as_str()));
        }
        if let Some(frequency) = changes.finding_publishing_frequency {
            sets.push("#frequency = :frequency");
            update = update
                .expression_attribute_names("#frequency", "findingPublishingFrequency")
                .expression_attribute_values(":frequency", s(frequency.as_str()));
        }
        let result = update.update_expression(format!("SET {}", sets.join(", "))).send().await;
        if applied(result)? { Ok(()) } else { Err(not_enabled()) }
    }

    /// One transaction: the session's member counts (conditioned on the configuration giving
    /// the discovery status written), the claim (must not exist) and the member record (must
    /// not exist, or be the caller's `Removed` one). The status and whether a record is
    /// replaced are first assumed (`DISABLED`, no record); a failed condition returns the items
    /// that tell what they are, and the transaction is sent again with them.
    async fn create_member(&self, member: &Member) -> Result<(), StoreError> {
        let admin = &member.administrator;
        let mut discovery = DiscoveryStatus::Disabled;
        let mut replaces = false;
        for _ in 0..MAX_UPDATE_ATTEMPTS {
            // The configuration that gives `discovery` (DiscoveryConfiguration::new_member_status).
            let gives_enabled = "#configStatus = :enabled AND #configMode IN (:all, :new)";
            let condition = match discovery {
                DiscoveryStatus::Enabled => gives_enabled.to_owned(),
                DiscoveryStatus::Disabled => format!("NOT ({gives_enabled})"),
            };
            let session = self.count_members(
                admin,
                1,
                if replaces { 0 } else { 1 },
                Some(&condition),
                &[("#configStatus", CONFIG_STATUS), ("#configMode", CONFIG_MODE)],
                &[
                    (":enabled", DiscoveryStatus::Enabled.as_str()),
                    (":all", AutoEnableMode::All.as_str()),
                    (":new", AutoEnableMode::New.as_str()),
                ],
            )?;
            let mut claim = claim_key(&member.account);
            claim.insert("administrator".into(), s(admin.as_str()));
            let record = Member { discovery, ..member.clone() };
            let mut put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(member_item(&record)))
                .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
            put = if replaces {
                put.condition_expression("#relationship = :removed")
                    .expression_attribute_names("#relationship", "relationshipStatus")
                    .expression_attribute_values(":removed", s(RelationshipStatus::Removed.as_str()))
            } else {
                put.condition_expression("attribute_not_exists(pk)")
            };
            let items = vec![
                session,
                self.put_new(claim)?,
                TransactWriteItem::builder().put(put.build().map_err(build_error)?).build(),
            ];
            let Some(reasons) = self.transact(items).await? else { return Ok(()) };
            let session = failed(&reasons, 0);
            if session.is_some_and(|r| r.item().is_none()) {
                return Err(not_enabled());
            }
            let found = match failed(&reasons, 2) {
                Some(reason) => returned_relationship(reason)?,
                None => replaces.then_some(RelationshipStatus::Removed),
            };
            replaces = member_creation(&member.account, failed(&reasons, 1).is_some(), found)?;
            if let Some(item) = session.and_then(CancellationReason::item) {
                discovery = configuration_from_item(item)?.new_member_status();
            }
        }
        Err(StoreError::Contention)
    }

    async fn get_member(&self, administrator: &AccountId, account: &AccountId) -> Result<Member, StoreError> {
        let (session, member) = futures::future::try_join(
            self.get(session_key(administrator)),
            self.get(member_key(administrator, account)),
        )
        .await?;
        member_from_item(administrator, &existing_member(session.is_some(), member)?)
    }

    /// One transaction: the session's counts, the record (conditioned on the status assumed)
    /// and, for an associated member, its claim. The record is first assumed associated; a
    /// `Removed` one comes back with the failure and the transaction is sent again for it.
    async fn delete_member(&self, administrator: &AccountId, account: &AccountId) -> Result<(), StoreError> {
        let mut associated = true;
        for _ in 0..MAX_UPDATE_ATTEMPTS {
            let states = if associated { ASSOCIATED_STATES } else { &[RelationshipStatus::Removed] };
            let mut items = vec![
                self.count_members(administrator, if associated { -1 } else { 0 }, -1, None, &[], &[])?,
                self.delete_member_in(administrator, account, states)?,
            ];
            if associated {
                items.push(self.free_claim(administrator, account)?);
            }
            let Some(reasons) = self.transact(items).await? else { return Ok(()) };
            let has_session = failed(&reasons, 0).is_none();
            match failed(&reasons, 1) {
                Some(reason) => {
                    associated = existing_member(has_session, returned_relationship(reason)?)?.is_associated()
                }
                None if !has_session => return Err(not_enabled()),
                // The member is associated but its claim names another administrator: written
                // together, so this is a broken table, not a caller error.
                None => {
                    return Err(StoreError::Backend(format!(
                        "member {account} of {administrator} has no matching claim"
                    )));
                }
            }
        }
        Err(StoreError::Contention)
    }

    async fn update_member_session(
        &self,
        administrator: &AccountId,
        account: &AccountId,
        relationship: RelationshipStatus,
        now: i64,
    ) -> Result<(), StoreError> {
        let (condition, values) = relationship_in(ASSOCIATED_STATES);
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(member_key(administrator, account)))
            .update_expression("SET #relationship = :relationship, #updatedAt = :now")
            .condition_expression(condition)
            .expression_attribute_names("#relationship", "relationshipStatus")
            .expression_attribute_names("#updatedAt", "updatedAt")
            .expression_attribute_values(":relationship", s(relationship.as_str()))
            .expression_attribute_values(":now", n(now))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (placeholder, value) in values {
            update = update.expression_attribute_values(placeholder, s(value));
        }
        let items = vec![
            self.session_check(administrator)?,
            TransactWriteItem::builder().update(update.build().map_err(build_error)?).build(),
        ];
        let Some(reasons) = self.transact(items).await? else { return Ok(()) };
        let found = match failed(&reasons, 1) {
            Some(reason) => returned_relationship(reason)?,
            None => Some(relationship),
        };
        member_session_target(failed(&reasons, 0).is_none(), account, found)?;
        Err(StoreError::Backend("UpdateMemberSession failed on no condition".into()))
    }

    async fn update_discovery(
        &self,
        administrator: &AccountId,
        updates: &[DiscoveryUpdate],
        now: i64,
    ) -> Result<Vec<Result<(), DiscoveryErrorCode>>, StoreError> {
        self.get(session_key(administrator)).await?.ok_or_else(not_enabled)?;
        // Independent conditional writes, concurrently; `buffered` keeps request order.
        // Indices, not references, keep the closure free of higher-ranked lifetimes (`Send`).
        let results: Vec<_> = futures::stream::iter(0..updates.len())
            .map(|i| self.update_one(administrator, &updates[i], now))
            .buffered(BATCH_CONCURRENCY)
            .collect()
            .await;
        results.into_iter().collect()
    }

    async fn list_discovery(
        &self,
        administrator: &AccountId,
        only: Option<&[AccountId]>,
        after: Option<&AccountId>,
        limit: usize,
    ) -> Result<DiscoveryPage, StoreError> {
        let members = async {
            match only {
                Some(ids) => {
                    let keys =
                        members_asked(administrator, ids, after).map(|id| member_key(administrator, id)).collect();
                    let items = self.batch_get(keys, Some(&DISCOVERY_PROJECTION)).await?;
                    items.iter().filter_map(|item| member_discovery(item).transpose()).collect()
                }
                None => {
                    self.query_members(administrator, after, limit + 1, Some(&DISCOVERY_PROJECTION), member_discovery)
                        .await
                }
            }
        };
        let (session, items) = futures::future::try_join(self.get(session_key(administrator)), members).await?;
        let session = session.ok_or_else(not_enabled)?;
        Ok(page_of(administrator, discovery_of(&session)?, items, only, after, limit))
    }

    /// Reads the session and the member records, then deletes the `Removed` records and the
    /// session in transactions of at most 100 items, each conditioned on no member being
    /// associated. The records go first and the session last: each intermediate transaction
    /// deletes records together with the matching decrement of the session's record count, so
    /// if the function stops between two of them the session is intact and consistent, merely
    /// holding fewer `Removed` records (as after DeleteMember), and a repeated DisableMacie
    /// goes on from there. The session is deleted only together with its last records, on the
    /// condition that they are its last, so no record ever outlives it. Up to 99 records, all
    /// of it is one transaction.
    async fn disable_macie(&self, account: &AccountId) -> Result<(), StoreError> {
        for attempt in 0..MAX_UPDATE_ATTEMPTS {
            let (session, records) =
                futures::future::try_join(self.get(session_key(account)), self.member_records(account)).await?;
            let counted = session.as_ref().map(|item| get_n(item, ASSOCIATED)).transpose()?.unwrap_or(0);
            let seen = records.iter().filter(|(_, r)| r.is_associated()).count();
            let associated = u64::try_from(counted).unwrap_or(0).max(seen as u64);
            disable_refusal(session.is_some(), associated)?;
            let removed: Vec<AccountId> =
                records.into_iter().filter(|(_, r)| *r == RelationshipStatus::Removed).map(|(id, _)| id).collect();
            let (intermediate, last) = disable_chunks(&removed);
            let mut outcome = Disabling::Committed;
            for chunk in intermediate {
                outcome = self.disable_step(account, chunk, false).await?;
                if matches!(outcome, Disabling::Changed) {
                    break;
                }
            }
            if matches!(outcome, Disabling::Committed) {
                outcome = self.disable_step(account, last, true).await?;
            }
            match outcome {
                Disabling::Committed => return Ok(()),
                Disabling::Changed => backoff(attempt).await,
            }
        }
        Err(StoreError::Contention)
    }

    async fn list_members(
        &self,
        administrator: &AccountId,
        include_removed: bool,
        after: Option<&AccountId>,
        limit: usize,
    ) -> Result<MemberPage, StoreError> {
        let members = self.query_members(administrator, after, limit + 1, None, |item| {
            let member = member_from_item(administrator, item)?;
            Ok(member_listed(member.relationship, include_removed).then_some(member))
        });
        let (session, listed) = futures::future::try_join(self.get(session_key(administrator)), members).await?;
        session.ok_or_else(not_enabled)?;
        Ok(MemberPage::cut(listed, limit))
    }

    /// One transaction: the session's associated count, the member (conditioned on being
    /// associated) and its claim. A `Removed` member comes back with the failure: a no-op.
    async fn disassociate_member(
        &self,
        administrator: &AccountId,
        account: &AccountId,
        now: i64,
    ) -> Result<(), StoreError> {
        let (condition, values) = relationship_in(ASSOCIATED_STATES);
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(member_key(administrator, account)))
            .update_expression("SET #relationship = :removed, #discovery = :disabled, #updatedAt = :now")
            .condition_expression(condition)
            .expression_attribute_names("#relationship", "relationshipStatus")
            .expression_attribute_names("#discovery", "discovery")
            .expression_attribute_names("#updatedAt", "updatedAt")
            .expression_attribute_values(":removed", s(RelationshipStatus::Removed.as_str()))
            .expression_attribute_values(":disabled", s(DiscoveryStatus::Disabled.as_str()))
            .expression_attribute_values(":now", n(now))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (placeholder, value) in values {
            update = update.expression_attribute_values(placeholder, s(value));
        }
        let items = vec![
            self.count_members(administrator, -1, 0, None, &[], &[])?,
            TransactWriteItem::builder().update(update.build().map_err(build_error)?).build(),
            self.free_claim(administrator, account)?,
        ];
        let Some(reasons) = self.transact(items).await? else { return Ok(()) };
        let found = match failed(&reasons, 1) {
            Some(reason) => returned_relationship(reason)?,
            None => Some(RelationshipStatus::Enabled),
        };
        if disassociation(failed(&reasons, 0).is_none(), found)? {
            // Session and member passed: the claim names another administrator.
            return Err(StoreError::Backend(format!("member {account} of {administrator} has no matching claim")));
        }
        Ok(())
    }

    async fn get_configuration(&self, administrator: &AccountId) -> Result<DiscoveryConfiguration, StoreError> {
        let session = self.get(session_key(administrator)).await?.ok_or_else(not_enabled)?;
        configuration_from_item(&session)
    }

    /// One UpdateItem of the session, conditioned on the fact its write depends on (the
    /// session's status for ENABLED, the configuration's for DISABLED): first assumed (enabled),
    /// then as the item returned with a failed condition says. It returns the new item, whose
    /// configuration decides the member writes: a Query of the records, then one conditional
    /// UpdateItem per member concerned, concurrently (the batch's write). A CreateMember before
    /// the session write is seen by the Query; one after it reads the new configuration.
    async fn update_configuration(
        &self,
        administrator: &AccountId,
        update: &ConfigurationUpdate,
        now: i64,
    ) -> Result<(), StoreError> {
        let (mut session, mut was) = (MacieStatus::Enabled, DiscoveryStatus::Enabled);
        let mut written = None;
        for _ in 0..MAX_UPDATE_ATTEMPTS {
            let write = session_config_write(update, session, was);
            let mut sets = vec!["#configStatus = :configStatus", "#configUpdatedAt = :now"];
            let mut removes = Vec::new();
            let mut request = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(session_key(administrator)))
                .expression_attribute_names("#configStatus", CONFIG_STATUS)
                .expression_attribute_names("#configUpdatedAt", CONFIG_UPDATED_AT)
                .expression_attribute_values(":configStatus", s(update.status.as_str()))
                .expression_attribute_values(":now", n(now))
                .return_values(ReturnValue::AllNew)
                .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
            if let Some(mode) = update.mode {
                sets.push("#configMode = :configMode");
                request = request
                    .expression_attribute_names("#configMode", CONFIG_MODE)
                    .expression_attribute_values(":configMode", s(mode.as_str()));
            }
            if update.status == DiscoveryStatus::Enabled {
                sets.push("#firstEnabledAt = if_not_exists(#firstEnabledAt, :now)");
                removes.push("#disabledAt");
                request = request
                    .expression_attribute_names("#firstEnabledAt", CONFIG_FIRST_ENABLED_AT)
                    .expression_attribute_names("#disabledAt", CONFIG_DISABLED_AT);
            }
            if write.stamp_disabled_at {
                sets.push("#disabledAt = :now");
                request = request.expression_attribute_names("#disabledAt", CONFIG_DISABLED_AT);
            }
            if let Some(own) = write.own_discovery {
                sets.push("#discovery = :own");
                sets.push("#updatedAt = :now");
                request = request
                    .expression_attribute_names("#discovery", "discovery")
                    .expression_attribute_names("#updatedAt", "updatedAt")
                    .expression_attribute_values(":own", s(own.as_str()));
            }
            // The fact `write` depends on, as assumed.
            request = match update.status {
                DiscoveryStatus::Enabled => request
                    .condition_expression("attribute_exists(pk) AND #status = :session")
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_values(":session", s(session.as_str())),
                DiscoveryStatus::Disabled => request
                    .condition_expression(if was == DiscoveryStatus::Enabled {
                        "attribute_exists(pk) AND #configStatus = :enabled"
                    } else {
                        "attribute_exists(pk) AND (attribute_not_exists(#configStatus) OR #configStatus <> :enabled)"
                    })
                    .expression_attribute_values(":enabled", s(DiscoveryStatus::Enabled.as_str())),
            };
            let mut expression = format!("SET {}", sets.join(", "));
            if !removes.is_empty() {
                expression = format!("{expression} REMOVE {}", removes.join(", "));
            }
            match self.send_update(request.update_expression(expression)).await? {
                Ok(out) => {
                    written = Some(out.attributes.ok_or_else(|| corrupt("updated session"))?);
                    break;
                }
                Err(None) => return Err(not_enabled()),
                Err(Some(old)) => {
                    session = session_status(&old)?;
                    was = configuration_from_item(&old)?.status;
                }
            }
        }
        let configuration = configuration_from_item(&written.ok_or(StoreError::Contention)?)?;
        let Some(sweep) = member_sweep(configuration.status, configuration.mode) else { return Ok(()) };
        let concerned: Vec<AccountId> = self
            .member_records(administrator)
            .await?
            .into_iter()
            .filter(|(_, relationship)| sweep.applies_to.contains(relationship))
            .map(|(id, _)| id)
            .collect();
        let allowed: Vec<&str> = sweep.applies_to.iter().map(|r| r.as_str()).collect();
        // A member paused, disassociated or deleted since the Query fails its condition and
        // keeps its status. Indices keep the closure `Send` (as in update_discovery).
        let results: Vec<_> = futures::stream::iter(0..concerned.len())
            .map(|i| {
                let key = member_key(administrator, &concerned[i]);
                self.write_discovery(key, "relationshipStatus", &allowed, sweep.status, now)
            })
            .buffer_unordered(BATCH_CONCURRENCY)
            .collect()
            .await;
        for result in results {
            // Written, or skipped by its condition: either is the member's answer.
            let _written_or_skipped = result?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<AccountId> {
        (0..n).map(|i| AccountId::parse(&format!("{i:012}")).expect("account")).collect()
    }

    #[test]
    fn disable_deletes_up_to_99_records_with_the_session_and_the_rest_before_it() {
        for (records, intermediate, last) in
            [(0, vec![], 0), (1, vec![], 1), (99, vec![], 99), (100, vec![1], 99), (250, vec![99, 52], 99)]
        {
            let removed = ids(records);
            let (before, final_chunk) = disable_chunks(&removed);
            assert_eq!(before.iter().map(|c| c.len()).collect::<Vec<_>>(), intermediate, "{records} records");
            assert_eq!(final_chunk.len(), last, "{records} records");
            let all: Vec<&AccountId> = before.iter().flat_map(|c| c.iter()).chain(final_chunk).collect();
            assert_eq!(all, removed.iter().collect::<Vec<_>>(), "every record once, in order");
        }
    }

    #[test]
    fn relationship_conditions_name_every_state() {
        let (condition, values) = relationship_in(ASSOCIATED_STATES);
        assert_eq!(condition, "#relationship IN (:r0, :r1)");
        assert_eq!(values, [(":r0".to_owned(), "Enabled".to_owned()), (":r1".to_owned(), "Paused".to_owned())]);
    }

    #[test]
    fn a_session_item_without_configuration_attributes_has_the_default_one() {
        assert_eq!(configuration_from_item(&Item::new()).unwrap(), DiscoveryConfiguration::default());
        let item = Item::from([
            (CONFIG_STATUS.to_owned(), s("ENABLED")),
            (CONFIG_MODE.to_owned(), s("NEW")),
            (CONFIG_FIRST_ENABLED_AT.to_owned(), n(5)),
        ]);
        let c = configuration_from_item(&item).unwrap();
        assert_eq!(
            (c.status, c.mode, c.first_enabled_at, c.disabled_at),
            (DiscoveryStatus::Enabled, AutoEnableMode::New, Some(5), None)
        );
        let bad = Item::from([(CONFIG_MODE.to_owned(), s("SOME"))]);
        assert!(configuration_from_item(&bad).is_err());
    }
}
