//! Macie: automated discovery accounts, the Macie session, and members.

use crate::api::ApiRequest;
use crate::app::App;
use crate::error::ApiError;
use crate::identity::AccountId;

pub async fn batch_update_automated_discovery_accounts(_app: &App, _caller: &AccountId, _request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    Err(ApiError::Internal)
}

pub async fn list_automated_discovery_accounts(_app: &App, _caller: &AccountId, _request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    Err(ApiError::Internal)
}

pub async fn enable_macie(_app: &App, _caller: &AccountId, _request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    Err(ApiError::Internal)
}

pub async fn get_macie_session(_app: &App, _caller: &AccountId, _request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    Err(ApiError::Internal)
}

pub async fn update_macie_session(_app: &App, _caller: &AccountId, _request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    Err(ApiError::Internal)
}

pub async fn create_member(_app: &App, _caller: &AccountId, _request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    Err(ApiError::Internal)
}

pub async fn get_member(_app: &App, _caller: &AccountId, _request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    Err(ApiError::Internal)
}

pub async fn delete_member(_app: &App, _caller: &AccountId, _request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    Err(ApiError::Internal)
}

pub async fn update_member_session(_app: &App, _caller: &AccountId, _request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    Err(ApiError::Internal)
}
