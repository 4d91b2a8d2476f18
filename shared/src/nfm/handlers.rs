//! The handlers of the Network Flow Monitor operations (docs/network-flow-monitor.md): the scope
//! operations (§2–§6) and the tag operations on a scope's ARN (§7–§9).

use serde::{Deserialize, Serialize};

use super::domain::{NewScope, ResourceArn, SERVICE, TargetChanges, tag_keys_to_remove, tags_to_set};
use super::model::{
    CreateScopeInput, ListScopesOutput, ListTagsForResourceOutput, ScopeOutput, ScopeSummaryOut, TagResourceInput,
    TargetIdOut, TargetIdentifierOut, TargetResourceOut, UpdateScopeInput,
};
use crate::app::App;
use crate::common::AccountId;
use crate::common::pagination;
use crate::error::ApiError;
use crate::request::{ApiRequest, to_body};
use crate::store::{CreateOutcome, Scope, StoreError, TOKEN_TTL_SECONDS, TokenRecord, scope_named};

/// Scopes are provisioned synchronously here: committed means done (docs/network-flow-monitor.md).
const STATUS: &str = "SUCCEEDED";

fn scope_arn(app: &App, scope: &Scope) -> String {
    app.arn(SERVICE, &scope.account, &format!("scope/{}", scope.scope_id))
}

fn output<'a>(app: &App, scope: &'a Scope, with_targets: bool) -> ScopeOutput<'a> {
    let targets = with_targets.then(|| {
        scope
            .targets
            .iter()
            .map(|t| TargetResourceOut {
                target_identifier: TargetIdentifierOut {
                    target_id: TargetIdOut { account_id: t.account.as_str() },
                    target_type: "ACCOUNT",
                },
                region: t.region.as_str(),
            })
            .collect()
    });
    ScopeOutput {
        scope_id: &scope.scope_id,
        status: STATUS,
        scope_arn: scope_arn(app, scope),
        targets,
        tags: scope.tags.as_map(),
    }
}

fn not_found(scope_id: &str) -> ApiError {
    ApiError::NotFound(format!("Scope '{scope_id}' does not exist."))
}

/// Network Flow Monitor's words for a store outcome about scope `scope_id` (docs/network-flow-monitor.md).
fn store_error(scope_id: &str) -> impl FnOnce(StoreError) -> ApiError + '_ {
    move |e| match e {
        StoreError::NotFound => not_found(scope_id),
        StoreError::ScopeExists(id) => {
            ApiError::Conflict(format!("The account already has a scope ({id}); an account can have one scope."))
        }
        StoreError::TokenMismatch => {
            ApiError::Conflict("The clientToken was already used with a different request in the last 24 hours.".into())
        }
        StoreError::Contention => {
            ApiError::Conflict("The scope is being changed by other requests; retry the request.".into())
        }
        other => other.infrastructure(),
    }
}

fn scope_id_param(request: &ApiRequest) -> Result<&str, ApiError> {
    let id = request.path_params.get("scopeId");
    if id.is_empty() {
        return Err(ApiError::validation("scopeId: must not be empty"));
    }
    Ok(id)
}

pub async fn create_scope(app: &App, caller: &AccountId, request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    let new = NewScope::parse(request.json::<CreateScopeInput>()?)?;
    let mut scope = Scope {
        account: caller.clone(),
        scope_id: uuid::Uuid::new_v4().to_string(),
        targets: new.targets.clone(),
        tags: new.tags.clone(),
        version: 1,
    };
    let now = app.now();
    let token = new.client_token.as_ref().map(|token| TokenRecord {
        token: token.as_str().to_owned(),
        fingerprint: new.fingerprint(),
        scope_id: scope.scope_id.clone(),
        expires_at: now + TOKEN_TTL_SECONDS,
    });
    if let CreateOutcome::Replayed(first_scope_id) =
        app.scopes.create_scope(&scope, token.as_ref(), now).await.map_err(store_error(""))?
    {
        // The same request (its tags included) about the first scope: the first response.
        scope.scope_id = first_scope_id;
    }
    to_body(&output(app, &scope, false))
}

pub async fn update_scope(app: &App, caller: &AccountId, request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    let scope_id = scope_id_param(request)?;
    let changes = TargetChanges::parse(request.json::<UpdateScopeInput>()?)?;
    let scope = app.scopes.update_scope(caller, scope_id, &changes).await.map_err(store_error(scope_id))?;
    to_body(&output(app, &scope, false))
}

async fn own_scope(app: &App, caller: &AccountId, scope_id: &str) -> Result<Scope, ApiError> {
    match app.scopes.get_scope(caller).await.map_err(store_error(scope_id))? {
        Some(scope) if scope.scope_id == scope_id => Ok(scope),
        _ => Err(not_found(scope_id)),
    }
}

pub async fn get_scope(app: &App, caller: &AccountId, request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    let scope_id = scope_id_param(request)?;
    let scope = own_scope(app, caller, scope_id).await?;
    to_body(&output(app, &scope, true))
}

/// Where the next ListScopes page starts: after this scope ID.
#[derive(Serialize, Deserialize)]
struct ListCursor {
    after: String,
}

pub async fn list_scopes(app: &App, caller: &AccountId, request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    let max_results = request.query_int("maxResults", 1, 25)?.unwrap_or(25) as usize;
    let after = match request.query_param("nextToken") {
        Some(token) => Some(pagination::decode::<ListCursor>("nextToken", token)?.after),
        None => None,
    };
    // An account has at most one scope, so the listing is one read; the cursor logic stays
    // general so that pages behave like any other AWS listing.
    let scopes: Vec<Scope> = app
        .scopes
        .get_scope(caller)
        .await
        .map_err(StoreError::infrastructure)?
        .into_iter()
        .filter(|s| after.as_ref().is_none_or(|after| s.scope_id.as_str() > after.as_str()))
        .collect();
    let page = &scopes[..scopes.len().min(max_results)];
    let next_token = (scopes.len() > page.len())
        .then(|| page.last().map(|s| pagination::encode(&ListCursor { after: s.scope_id.clone() })))
        .flatten();
    let summaries = page
        .iter()
        .map(|s| ScopeSummaryOut { scope_id: &s.scope_id, status: STATUS, scope_arn: scope_arn(app, s) })
        .collect();
    to_body(&ListScopesOutput { scopes: summaries, next_token })
}

pub async fn delete_scope(app: &App, caller: &AccountId, request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    let scope_id = scope_id_param(request)?;
    app.scopes.delete_scope(caller, scope_id).await.map_err(store_error(scope_id))?;
    Ok(b"{}".to_vec())
}

/// The ARN as the tag operations' not-found answer names it (docs/network-flow-monitor.md §1.8).
fn resource_not_found(arn: &ResourceArn) -> ApiError {
    ApiError::NotFound(format!("Resource '{}' does not exist.", arn.as_str()))
}

/// [`store_error`], with not-found naming the resource ARN.
fn tag_store_error(arn: &ResourceArn) -> impl FnOnce(StoreError) -> ApiError + '_ {
    move |e| match e {
        StoreError::NotFound => resource_not_found(arn),
        other => store_error("")(other),
    }
}

/// The `{resourceArn+}` label, checked for shape only (docs/network-flow-monitor.md §1.8).
fn resource_arn_param(request: &ApiRequest) -> Result<ResourceArn, ApiError> {
    ResourceArn::parse(request.path_params.get("resourceArn"))
}

/// The ID of the caller's scope that `arn` names, if it is exactly the ARN such a scope has here;
/// any other well-formed ARN names nothing the caller has, and nothing of it is read.
fn scope_id_of<'a>(app: &App, caller: &AccountId, arn: &'a ResourceArn) -> Result<&'a str, ApiError> {
    arn.scope_id(&app.arn(SERVICE, caller, "scope/")).ok_or_else(|| resource_not_found(arn))
}

pub async fn tag_resource(app: &App, caller: &AccountId, request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    let arn = resource_arn_param(request)?;
    let tags = tags_to_set(request.json::<TagResourceInput>()?)?;
    let scope_id = scope_id_of(app, caller, &arn)?;
    app.scopes.tag_scope(caller, scope_id, &tags).await.map_err(tag_store_error(&arn))?;
    Ok(b"{}".to_vec())
}

pub async fn untag_resource(app: &App, caller: &AccountId, request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    let arn = resource_arn_param(request)?;
    let keys = tag_keys_to_remove(&request.query)?;
    let scope_id = scope_id_of(app, caller, &arn)?;
    app.scopes.untag_scope(caller, scope_id, &keys).await.map_err(tag_store_error(&arn))?;
    Ok(b"{}".to_vec())
}

pub async fn list_tags_for_resource(app: &App, caller: &AccountId, request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    let arn = resource_arn_param(request)?;
    let scope_id = scope_id_of(app, caller, &arn)?;
    let found = app.scopes.get_scope(caller).await.map_err(tag_store_error(&arn))?;
    let scope = scope_named(found, scope_id).map_err(tag_store_error(&arn))?;
    to_body(&ListTagsForResourceOutput { tags: scope.tags.as_map() })
}
