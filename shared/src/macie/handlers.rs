//! The handlers of the Macie operations (docs/macie.md).

use serde::{Deserialize, Serialize};

use super::domain::{
    AccountFilter, ConfigurationUpdate, DiscoveryBatch, DiscoveryErrorCode, DiscoveryStatus, EntryAccount, MacieStatus,
    NewMember, NewSession, RelationshipStatus, SessionChanges, iso8601, lists_removed,
};
use super::model::{
    AccountUpdateErrorOut, AutomatedDiscoveryAccountOut, BatchUpdateInput, BatchUpdateOutput, CreateMemberInput,
    CreateMemberOutput, DisassociateMemberInput, EnableMacieInput, GetAutomatedDiscoveryConfigurationOutput,
    GetMacieSessionOutput, GetMemberOutput, ListAutomatedDiscoveryAccountsOutput, ListMembersOutput, MemberOut,
    UpdateAutomatedDiscoveryConfigurationInput, UpdateMacieSessionInput, UpdateMemberSessionInput,
};
use crate::app::App;
use crate::common::AccountId;
use crate::common::pagination;
use crate::error::ApiError;
use crate::request::{ApiRequest, to_body};
use crate::store::StoreError;
use crate::store::macie::{EnableOutcome, MacieSession, Member, NOT_ENABLED, SessionToken};

/// Default and largest ListAutomatedDiscoveryAccounts and ListMembers page.
const MAX_RESULTS: i64 = 25;

fn member_not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("Member account '{id}' does not exist for this administrator account."))
}

/// Macie's words for a store outcome (docs/macie.md).
fn store_error(error: StoreError) -> ApiError {
    match error {
        StoreError::TokenMismatch => {
            ApiError::Conflict("The clientToken was already used with a different EnableMacie request.".into())
        }
        StoreError::Contention => {
            ApiError::Conflict("The Macie account is being changed by other requests; retry the request.".into())
        }
        other => other.infrastructure(),
    }
}

/// [`store_error`], naming member `id` in a not-found message.
fn member_error(id: &str) -> impl FnOnce(StoreError) -> ApiError + '_ {
    move |e| match e {
        StoreError::NotFound => member_not_found(id),
        other => store_error(other),
    }
}

/// The answer to a caller without a Macie session.
fn session_required() -> ApiError {
    ApiError::AccessDenied(NOT_ENABLED.into())
}

/// The `{id}` label. Empty is a ValidationException; an ID that cannot be an account ID is a
/// member that does not exist: `Ok(Err(raw))` asks the handler to answer not-found after the
/// session check, so that a caller without Macie still reads "Macie is not enabled.".
fn member_id(request: &ApiRequest) -> Result<Result<AccountId, &str>, ApiError> {
    let id = request.path_params.get("id");
    if id.is_empty() {
        return Err(ApiError::validation("id: must not be empty"));
    }
    Ok(AccountId::parse(id).ok_or(id))
}

fn member_arn(app: &App, member: &Member) -> String {
    app.arn("macie2", &member.administrator, &format!("member/{}", member.account))
}

/// A member as GetMember and ListMembers show it.
fn member_out<'a>(app: &App, member: &'a Member) -> MemberOut<'a> {
    GetMemberOutput {
        account_id: member.account.as_str(),
        administrator_account_id: member.administrator.as_str(),
        arn: member_arn(app, member),
        email: member.email.as_str(),
        invited_at: iso8601(member.invited_at),
        master_account_id: member.administrator.as_str(),
        relationship_status: member.relationship.as_str(),
        tags: member.tags.as_map(),
        updated_at: iso8601(member.updated_at),
    }
}

/// The `nextToken` query parameter of a listing by account ID: where the page starts.
fn page_start(request: &ApiRequest) -> Result<Option<AccountId>, ApiError> {
    let Some(token) = request.query_param("nextToken") else { return Ok(None) };
    let cursor = pagination::decode::<ListCursor>("nextToken", token)?;
    AccountId::parse(&cursor.after)
        .map(Some)
        .ok_or_else(|| ApiError::validation("nextToken: the pagination token is not valid"))
}

/// The `nextToken` of a page that ended at `last` with `more` to follow.
fn next_token(more: bool, last: Option<&AccountId>) -> Option<String> {
    more.then(|| last.map(|id| pagination::encode(&ListCursor { after: id.to_string() }))).flatten()
}

fn service_role(app: &App, account: &AccountId) -> String {
    format!(
        "arn:{}:iam::{account}:role/aws-service-role/macie.amazonaws.com/AWSServiceRoleForAmazonMacie",
        app.partition()
    )
}

const EMPTY: &[u8] = b"{}";

/// EnableMacie: creates the caller's session, or replays the same clientToken and request.
pub async fn enable_macie(app: &App, caller: &AccountId, request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    let new = NewSession::parse(request.json::<EnableMacieInput>()?)?;
    let now = app.now_millis();
    let session = MacieSession {
        account: caller.clone(),
        status: new.status,
        finding_publishing_frequency: new.finding_publishing_frequency,
        created_at: now,
        updated_at: now,
        discovery: DiscoveryStatus::Disabled,
    };
    let token = new
        .client_token
        .as_ref()
        .map(|t| SessionToken { token: t.as_str().to_owned(), fingerprint: new.fingerprint() });
    match app.macie.enable_macie(&session, token.as_ref()).await {
        Ok(EnableOutcome::Created | EnableOutcome::Replayed) => Ok(EMPTY.to_vec()),
        Err(error) => Err(store_error(error)),
    }
}

/// GetMacieSession: the caller's session, timestamps as ISO-8601.
pub async fn get_macie_session(app: &App, caller: &AccountId, _request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    let session = app.macie.get_session(caller).await.map_err(store_error)?.ok_or_else(session_required)?;
    to_body(&GetMacieSessionOutput {
        created_at: iso8601(session.created_at),
        finding_publishing_frequency: session.finding_publishing_frequency.as_str(),
        service_role: service_role(app, caller),
        status: session.status.as_str(),
        updated_at: iso8601(session.updated_at),
    })
}

/// UpdateMacieSession: pauses or resumes the caller's own session, or changes its frequency.
pub async fn update_macie_session(app: &App, caller: &AccountId, request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    let changes = SessionChanges::parse(request.json::<UpdateMacieSessionInput>()?)?;
    app.macie.update_session(caller, &changes, app.now_millis()).await.map_err(store_error)?;
    Ok(EMPTY.to_vec())
}

/// CreateMember: associates another account at once (`Enabled`); answers its ARN.
pub async fn create_member(app: &App, caller: &AccountId, request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    let new = NewMember::parse(caller, request.json::<CreateMemberInput>()?)?;
    let now = app.now_millis();
    let member = Member {
        administrator: caller.clone(),
        account: new.account,
        email: new.email,
        relationship: RelationshipStatus::Enabled,
        tags: new.tags,
        invited_at: now,
        updated_at: now,
        // The store sets it from the caller's configuration (docs/macie.md §1.3).
        discovery: DiscoveryStatus::Disabled,
    };
    app.macie.create_member(&member).await.map_err(store_error)?;
    to_body(&CreateMemberOutput { arn: member_arn(app, &member) })
}

/// GetMember: one of the caller's own members.
pub async fn get_member(app: &App, caller: &AccountId, request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    let id = match member_id(request)? {
        Ok(id) => id,
        Err(raw) => {
            app.macie.get_session(caller).await.map_err(store_error)?.ok_or_else(session_required)?;
            return Err(member_not_found(raw));
        }
    };
    let member = app.macie.get_member(caller, &id).await.map_err(member_error(id.as_str()))?;
    to_body(&member_out(app, &member))
}

/// DeleteMember: removes one of the caller's member records; an associated member is freed to
/// join another administrator.
pub async fn delete_member(app: &App, caller: &AccountId, request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    let id = match member_id(request)? {
        Ok(id) => id,
        Err(raw) => {
            app.macie.require_session(caller).await.map_err(store_error)?;
            return Err(member_not_found(raw));
        }
    };
    app.macie.delete_member(caller, &id).await.map_err(member_error(id.as_str()))?;
    Ok(EMPTY.to_vec())
}

/// UpdateMemberSession: pauses (`Paused`) or resumes (`Enabled`) one of the caller's members.
pub async fn update_member_session(app: &App, caller: &AccountId, request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    let id = member_id(request)?;
    let input = request.json::<UpdateMemberSessionInput>()?;
    let status = input.status.ok_or_else(|| ApiError::validation("status: is required"))?;
    let relationship = RelationshipStatus::from(MacieStatus::parse("status", &status)?);
    let id = match id {
        Ok(id) => id,
        Err(raw) => {
            app.macie.require_session(caller).await.map_err(store_error)?;
            return Err(member_not_found(raw));
        }
    };
    app.macie
        .update_member_session(caller, &id, relationship, app.now_millis())
        .await
        .map_err(member_error(id.as_str()))?;
    Ok(EMPTY.to_vec())
}

/// BatchUpdateAutomatedDiscoveryAccounts: per-entry outcomes in request order; `errors` always present.
pub async fn batch_update_automated_discovery_accounts(
    app: &App,
    caller: &AccountId,
    request: &ApiRequest,
) -> Result<Vec<u8>, ApiError> {
    let batch = DiscoveryBatch::parse(request.json::<BatchUpdateInput>()?)?;
    let updates = batch.updates();
    let results = app.macie.update_discovery(caller, &updates, app.now_millis()).await.map_err(store_error)?;
    if results.len() != updates.len() {
        tracing::error!(asked = updates.len(), answered = results.len(), "store answered a different count");
        return Err(ApiError::Internal);
    }
    // The store answered the well-formed entries in order; malformed ones are not found.
    let mut answers = results.into_iter();
    let mut errors = Vec::new();
    for entry in &batch.entries {
        let outcome = match entry.account {
            EntryAccount::Valid(_) => answers.next().unwrap_or(Ok(())),
            EntryAccount::Malformed(_) => Err(DiscoveryErrorCode::AccountNotFound),
        };
        if let Err(code) = outcome {
            errors.push(AccountUpdateErrorOut { account_id: entry.account.as_str(), error_code: code.as_str() });
        }
    }
    to_body(&BatchUpdateOutput { errors })
}

/// Where the next ListAutomatedDiscoveryAccounts page starts: after this account ID.
#[derive(Serialize, Deserialize)]
struct ListCursor {
    after: String,
}

/// ListAutomatedDiscoveryAccounts: the caller and its members by account ID, paginated.
pub async fn list_automated_discovery_accounts(
    app: &App,
    caller: &AccountId,
    request: &ApiRequest,
) -> Result<Vec<u8>, ApiError> {
    let filter =
        AccountFilter::parse(request.query.iter().filter(|(k, _)| k == "accountIds").map(|(_, v)| v.as_str()))?;
    let limit = request.query_int("maxResults", 1, MAX_RESULTS)?.unwrap_or(MAX_RESULTS) as usize;
    let after = page_start(request)?;
    let only: Option<Vec<AccountId>> = filter.ids().map(|ids| ids.iter().cloned().collect());
    let page = app.macie.list_discovery(caller, only.as_deref(), after.as_ref(), limit).await.map_err(store_error)?;
    let next_token = next_token(page.more, page.items.last().map(|(id, _)| id));
    let items = page
        .items
        .iter()
        .map(|(id, status)| AutomatedDiscoveryAccountOut { account_id: id.as_str(), status: status.as_str() })
        .collect();
    to_body(&ListAutomatedDiscoveryAccountsOutput { items, next_token })
}

/// DisableMacie: deletes the caller's session, its configuration and its `Removed` member
/// records; refused while members are associated.
pub async fn disable_macie(app: &App, caller: &AccountId, _request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    app.macie.disable_macie(caller).await.map_err(store_error)?;
    Ok(EMPTY.to_vec())
}

/// ListMembers: the caller's member records by account ID, paginated; `Removed` ones only with
/// `onlyAssociated=false`.
pub async fn list_members(app: &App, caller: &AccountId, request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    let include_removed = lists_removed(request.query_param("onlyAssociated"))?;
    let limit = request.query_int("maxResults", 1, MAX_RESULTS)?.unwrap_or(MAX_RESULTS) as usize;
    let after = page_start(request)?;
    let page = app.macie.list_members(caller, include_removed, after.as_ref(), limit).await.map_err(store_error)?;
    to_body(&ListMembersOutput {
        members: page.members.iter().map(|m| member_out(app, m)).collect(),
        next_token: next_token(page.more, page.members.last().map(|m| &m.account)),
    })
}

/// DisassociateMember: the member becomes `Removed` (its record stays), its discovery
/// `DISABLED`, and it is free to join any administrator.
pub async fn disassociate_member(app: &App, caller: &AccountId, request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    let DisassociateMemberInput {} = request.json()?;
    let id = match member_id(request)? {
        Ok(id) => id,
        Err(raw) => {
            app.macie.require_session(caller).await.map_err(store_error)?;
            return Err(member_not_found(raw));
        }
    };
    app.macie.disassociate_member(caller, &id, app.now_millis()).await.map_err(member_error(id.as_str()))?;
    Ok(EMPTY.to_vec())
}

/// GetAutomatedDiscoveryConfiguration: the caller's configuration, timestamps once set.
pub async fn get_automated_discovery_configuration(
    app: &App,
    caller: &AccountId,
    _request: &ApiRequest,
) -> Result<Vec<u8>, ApiError> {
    let configuration = app.macie.get_configuration(caller).await.map_err(store_error)?;
    to_body(&GetAutomatedDiscoveryConfigurationOutput {
        auto_enable_organization_members: configuration.mode.as_str(),
        disabled_at: configuration.disabled_at.map(iso8601),
        first_enabled_at: configuration.first_enabled_at.map(iso8601),
        last_updated_at: configuration.last_updated_at.map(iso8601),
        status: configuration.status.as_str(),
    })
}

/// UpdateAutomatedDiscoveryConfiguration: switches automated discovery for the caller and its
/// members as the configuration says.
pub async fn update_automated_discovery_configuration(
    app: &App,
    caller: &AccountId,
    request: &ApiRequest,
) -> Result<Vec<u8>, ApiError> {
    let update = ConfigurationUpdate::parse(request.json::<UpdateAutomatedDiscoveryConfigurationInput>()?)?;
    app.macie.update_configuration(caller, &update, app.now_millis()).await.map_err(store_error)?;
    Ok(EMPTY.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macie_words_its_store_errors_and_never_speaks_of_scopes_or_packages() {
        let outcomes = [
            StoreError::NotFound,
            StoreError::ScopeExists("s".into()),
            StoreError::TokenMismatch,
            StoreError::Contention,
            StoreError::Throttled("t".into()),
            StoreError::Backend("b".into()),
        ];
        for outcome in outcomes {
            let message = member_error("222222222222")(outcome).to_string().to_lowercase();
            assert!(!message.contains("scope") && !message.contains("package"), "{message}");
        }
        assert_eq!(
            store_error(StoreError::Contention),
            ApiError::Conflict("The Macie account is being changed by other requests; retry the request.".into())
        );
        assert!(
            matches!(member_error("222222222222")(StoreError::NotFound), ApiError::NotFound(m) if m.contains("222222222222"))
        );
    }
}
