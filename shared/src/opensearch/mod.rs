//! OpenSearch Service packages: UpdatePackageScope, CreatePackage, DescribePackages, DeletePackage.

use crate::api::ApiRequest;
use crate::app::App;
use crate::error::ApiError;
use crate::identity::AccountId;

pub async fn update_package_scope(_app: &App, _caller: &AccountId, _request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    Err(ApiError::Internal)
}

pub async fn create_package(_app: &App, _caller: &AccountId, _request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    Err(ApiError::Internal)
}

pub async fn describe_packages(_app: &App, _caller: &AccountId, _request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    Err(ApiError::Internal)
}

pub async fn delete_package(_app: &App, _caller: &AccountId, _request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    Err(ApiError::Internal)
}
