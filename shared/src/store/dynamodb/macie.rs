//! Macie sessions and members on the DynamoDB table.
//!
//! | item | pk | sk | attributes |
//! |---|---|---|---|
//! | session | `ACCOUNT#<account>` | `MACIE_SESSION` | `status`, `findingPublishingFrequency`, `createdAt` N, `updatedAt` N (epoch ms), `discovery`, `clientToken`?, `fingerprint`? |
//! | member | `ACCOUNT#<admin>` | `MEMBER#<member>` | `accountId`, `email`, `relationshipStatus`, `tags` M, `invitedAt` N, `updatedAt` N, `discovery` |
//! | administrator claim | `ACCOUNT#<member>` | `MACIE_ADMINISTRATOR` | `administrator` |
//!
//! The claim makes "a member of at most one administrator" a condition on one item, written in
//! the same transaction as the member. Every write is conditional; failures are classified from
//! `ReturnValuesOnConditionCheckFailure` or the transaction's cancellation reasons.

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{ConditionCheck, Delete, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update};
use futures::StreamExt;

use super::item::{Item, account_key, account_pk, corrupt, get_n, get_s, n, s, tags, tags_value};
use super::{DynamoStore, Projection, applied, build_error, classify, failed};
use crate::common::AccountId;
use crate::macie::domain::{
    DiscoveryErrorCode, DiscoveryStatus, DiscoveryUpdate, Email, FindingPublishingFrequency, MacieStatus,
    RelationshipStatus, SessionChanges,
};
use crate::store::macie::{
    DiscoveryPage, EnableOutcome, MacieSession, Member, SessionToken, already_member, discovery_outcome, enable_replay,
    existing_member, members_asked, not_enabled, page_of,
};
use crate::store::{MacieStore, StoreError};

const SESSION_SK: &str = "MACIE_SESSION";
const MEMBER_PREFIX: &str = "MEMBER#";
const CLAIM_SK: &str = "MACIE_ADMINISTRATOR";

/// Concurrent writes of one discovery batch: the batch maximum, so a full batch is one round
/// trip of wall time.
const BATCH_CONCURRENCY: usize = crate::macie::domain::MAX_BATCH_ENTRIES;

/// What a discovery listing reads of a member item.
const DISCOVERY_PROJECTION: Projection =
    Projection { expression: "accountId, #discovery", names: &[("#discovery", "discovery")] };

fn session_key(account: &AccountId) -> Item {
    account_key(account, SESSION_SK)
}

fn member_key(admin: &AccountId, member: &AccountId) -> Item {
    account_key(admin, format!("{MEMBER_PREFIX}{member}"))
}

fn claim_key(member: &AccountId) -> Item {
    account_key(member, CLAIM_SK)
}

fn session_from_item(account: &AccountId, item: &Item) -> Result<MacieSession, StoreError> {
    Ok(MacieSession {
        account: account.clone(),
        status: MacieStatus::from_wire(get_s(item, "status")?).ok_or_else(|| corrupt("status"))?,
        finding_publishing_frequency: FindingPublishingFrequency::from_wire(get_s(item, "findingPublishingFrequency")?)
            .ok_or_else(|| corrupt("findingPublishingFrequency"))?,
        created_at: get_n(item, "createdAt")?,
        updated_at: get_n(item, "updatedAt")?,
        discovery: discovery_of(item)?,
    })
}

fn discovery_of(item: &Item) -> Result<DiscoveryStatus, StoreError> {
    DiscoveryStatus::from_wire(get_s(item, "discovery")?).ok_or_else(|| corrupt("discovery"))
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

/// The account and discovery status of a member item read with [`DISCOVERY_PROJECTION`].
fn member_discovery(item: &Item) -> Result<(AccountId, DiscoveryStatus), StoreError> {
    Ok((member_account(item)?, discovery_of(item)?))
}

fn member_from_item(admin: &AccountId, item: &Item) -> Result<Member, StoreError> {
    Ok(Member {
        administrator: admin.clone(),
        account: member_account(item)?,
        email: Email::from_stored(get_s(item, "email")?.to_owned()),
        relationship: RelationshipStatus::from_wire(get_s(item, "relationshipStatus")?)
            .ok_or_else(|| corrupt("relationshipStatus"))?,
        tags: tags(item, "tags")?,
        invited_at: get_n(item, "invitedAt")?,
        updated_at: get_n(item, "updatedAt")?,
        discovery: discovery_of(item)?,
    })
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

    /// One discovery entry: a conditional UpdateItem of the session (the administrator itself)
    /// or of the member item, applied only while it is not paused. The item returned with a
    /// failed condition tells paused (present) from not covered (absent).
    async fn update_one(
        &self,
        admin: &AccountId,
        update: &DiscoveryUpdate,
        now: i64,
    ) -> Result<Result<(), DiscoveryErrorCode>, StoreError> {
        let (item_key, state_attribute, enabled) = if &update.account == admin {
            (session_key(admin), "status", MacieStatus::Enabled.as_str())
        } else {
            (member_key(admin, &update.account), "relationshipStatus", RelationshipStatus::Enabled.as_str())
        };
        let request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(item_key))
            .update_expression("SET #discovery = :status, #updatedAt = :now")
            .condition_expression("attribute_exists(pk) AND #state = :enabled")
            .expression_attribute_names("#discovery", "discovery")
            .expression_attribute_names("#updatedAt", "updatedAt")
            .expression_attribute_names("#state", state_attribute)
            .expression_attribute_values(":status", s(update.status.as_str()))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":enabled", s(enabled))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        // A member or session transaction holding the item is waited out; an item that failed
        // the condition and is there is not enabled.
        Ok(self.send_update(request).await?.map(|_| ()).or_else(|old| discovery_outcome(old.map(|_| false))))
    }

    /// All member items of `admin` after `after`, at least `want` of them if there are (key-range
    /// paging from the cursor, consistent reads).
    async fn query_members(
        &self,
        admin: &AccountId,
        after: Option<&AccountId>,
        want: usize,
    ) -> Result<Vec<(AccountId, DiscoveryStatus)>, StoreError> {
        let mut start = after.map(|after| member_key(admin, after));
        let mut items = Vec::new();
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":pk", s(account_pk(admin)))
                .expression_attribute_values(":prefix", s(MEMBER_PREFIX))
                .projection_expression(DISCOVERY_PROJECTION.expression)
                .set_expression_attribute_names(Some(DISCOVERY_PROJECTION.attribute_names()))
                .consistent_read(true)
                .limit(i32::try_from(want - items.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(classify)?;
            for item in output.items() {
                items.push(member_discovery(item)?);
            }
            match output.last_evaluated_key {
                Some(last) if items.len() < want => start = Some(last),
                _ => return Ok(items),
            }
        }
    }
}

#[async_trait]
impl MacieStore for DynamoStore {
    async fn enable_macie(
        &self,
        session: &MacieSession,
        token: Option<&SessionToken>,
    ) -> Result<EnableOutcome, StoreError> {
        let mut item = session_key(&session.account);
        item.insert("status".into(), s(session.status.as_str()));
        item.insert("findingPublishingFrequency".into(), s(session.finding_publishing_frequency.as_str()));
        item.insert("createdAt".into(), n(session.created_at));
        item.insert("updatedAt".into(), n(session.updated_at));
        item.insert("discovery".into(), s(session.discovery.as_str()));
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

    async fn create_member(&self, member: &Member) -> Result<(), StoreError> {
        let mut claim = claim_key(&member.account);
        claim.insert("administrator".into(), s(member.administrator.as_str()));
        let items =
            vec![self.session_check(&member.administrator)?, self.put_new(claim)?, self.put_new(member_item(member))?];
        match self.transact(items).await? {
            None => Ok(()),
            Some(reasons) if failed(&reasons, 0).is_some() => Err(not_enabled()),
            Some(_) => Err(already_member(&member.account)),
        }
    }

    async fn get_member(&self, administrator: &AccountId, account: &AccountId) -> Result<Member, StoreError> {
        let (session, member) = futures::future::try_join(
            self.get(session_key(administrator)),
            self.get(member_key(administrator, account)),
        )
        .await?;
        member_from_item(administrator, &existing_member(session.is_some(), member)?)
    }

    async fn delete_member(&self, administrator: &AccountId, account: &AccountId) -> Result<(), StoreError> {
        let delete_member = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(member_key(administrator, account)))
            .condition_expression("attribute_exists(pk)")
            .build()
            .map_err(build_error)?;
        let delete_claim = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(claim_key(account)))
            .condition_expression("#administrator = :admin")
            .expression_attribute_names("#administrator", "administrator")
            .expression_attribute_values(":admin", s(administrator.as_str()))
            .build()
            .map_err(build_error)?;
        let items = vec![
            self.session_check(administrator)?,
            TransactWriteItem::builder().delete(delete_member).build(),
            TransactWriteItem::builder().delete(delete_claim).build(),
        ];
        match self.transact(items).await? {
            None => Ok(()),
            Some(reasons) if failed(&reasons, 0).is_some() => Err(not_enabled()),
            Some(reasons) if failed(&reasons, 1).is_some() => Err(StoreError::NotFound),
            // The member exists but its claim names another administrator: written together,
            // so this is a broken table, not a caller error.
            Some(_) => Err(StoreError::Backend(format!("member {account} of {administrator} has no matching claim"))),
        }
    }

    async fn update_member_session(
        &self,
        administrator: &AccountId,
        account: &AccountId,
        relationship: RelationshipStatus,
        now: i64,
    ) -> Result<(), StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(member_key(administrator, account)))
            .update_expression("SET #relationship = :relationship, #updatedAt = :now")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#relationship", "relationshipStatus")
            .expression_attribute_names("#updatedAt", "updatedAt")
            .expression_attribute_values(":relationship", s(relationship.as_str()))
            .expression_attribute_values(":now", n(now))
            .build()
            .map_err(build_error)?;
        let items = vec![self.session_check(administrator)?, TransactWriteItem::builder().update(update).build()];
        match self.transact(items).await? {
            None => Ok(()),
            Some(reasons) if failed(&reasons, 0).is_some() => Err(not_enabled()),
            Some(_) => Err(StoreError::NotFound),
        }
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
                    items.iter().map(member_discovery).collect()
                }
                None => self.query_members(administrator, after, limit + 1).await,
            }
        };
        let (session, items) = futures::future::try_join(self.get(session_key(administrator)), members).await?;
        let session = session.ok_or_else(not_enabled)?;
        Ok(page_of(administrator, discovery_of(&session)?, items, only, after, limit))
    }
}
