//! The handlers of the OpenSearch Service operations (docs/opensearch.md).

use serde::{Deserialize, Serialize};

use super::domain::{
    DescribeQuery, HistoryQuery, NewPackage, PackageConfiguration, PackageId, PackageUpdate, ScopeUpdate, UserSet,
    package_not_found, version_name,
};
use super::model::{
    CreatePackageInput, DescribePackagesInput, DescribePackagesOutput, GetPackageVersionHistoryOutput,
    PackageConfigurationOut, PackageDetailsOut, PackageDetailsOutput, PackageEncryptionOptionsOut,
    PackageVendingOptionsOut, PackageVersionHistoryOut, UpdatePackageInput, UpdatePackageScopeInput,
    UpdatePackageScopeOutput,
};
use crate::app::App;
use crate::common::AccountId;
use crate::common::pagination;
use crate::error::ApiError;
use crate::request::{ApiRequest, to_body};
use crate::store::StoreError;
use crate::store::packages::{Listing, Package, STATUS_AVAILABLE, STATUS_DELETED, next_before};

fn configuration(c: &PackageConfiguration) -> PackageConfigurationOut<'_> {
    PackageConfigurationOut {
        license_requirement: c.license_requirement.as_str(),
        license_filepath: c.license_filepath.as_deref(),
        configuration_requirement: c.configuration_requirement.as_str(),
        requires_restart_for_configuration_update: c.requires_restart,
    }
}

/// `PackageDetails` of `package` as `caller` may see it: `AllowListedUserList` only for the owner
/// (always present for it, `[]` when empty).
fn details<'a>(package: &'a Package, caller: &AccountId, status: &'static str) -> PackageDetailsOut<'a> {
    PackageDetailsOut {
        package_id: package.id.as_str(),
        package_name: package.name.as_str(),
        package_type: package.package_type.as_str(),
        package_description: package.description.as_deref(),
        package_status: status,
        created_at: package.created_at,
        last_updated_at: package.last_updated_at,
        available_package_version: version_name(package.available_version),
        engine_version: package.engine_version.as_ref().map(|v| v.as_str()),
        available_package_configuration: package.configuration.as_ref().map(configuration),
        allow_listed_user_list: (package.owner == *caller).then(|| package.users.as_strs()),
        package_owner: package.owner.as_str(),
        package_vending_options: PackageVendingOptionsOut { vending_enabled: package.vending_enabled },
        package_encryption_options: package.encryption.as_ref().map(|e| PackageEncryptionOptionsOut {
            kms_key_identifier: e.kms_key_identifier.as_deref(),
            encryption_enabled: e.enabled,
        }),
    }
}

/// OpenSearch's words for a store outcome about package `id`, named in not-found and conflict
/// messages (docs/opensearch.md).
fn store_error(id: &PackageId) -> impl FnOnce(StoreError) -> ApiError + '_ {
    move |e| match e {
        StoreError::NotFound => package_not_found(id.as_str()),
        StoreError::Contention => {
            ApiError::Conflict(format!("Package {id} is being changed by other requests; retry the request."))
        }
        other => other.infrastructure(),
    }
}

pub async fn update_package_scope(app: &App, caller: &AccountId, request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    let update = ScopeUpdate::parse(request.json::<UpdatePackageScopeInput>()?)?;
    let id = &update.package_id;
    let package = app
        .packages
        .update_package_scope(caller, id, update.operation, &update.users, app.now())
        .await
        .map_err(store_error(id))?;
    to_body(&UpdatePackageScopeOutput {
        package_id: package.id.as_str(),
        operation: update.operation.as_str(),
        package_user_list: package.users.as_strs(),
    })
}

pub async fn create_package(app: &App, caller: &AccountId, request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    let new = NewPackage::parse(request.json::<CreatePackageInput>()?)?;
    let now = app.now();
    let package = Package {
        owner: caller.clone(),
        id: PackageId::generate(),
        name: new.name,
        package_type: new.package_type,
        description: new.description,
        source: new.source,
        configuration: new.configuration,
        engine_version: new.engine_version,
        vending_enabled: new.vending_enabled,
        encryption: new.encryption,
        created_at: now,
        last_updated_at: now,
        users: UserSet::default(),
        version: 1,
        available_version: 1,
    };
    app.packages.create_package(&package).await.map_err(store_error(&package.id))?;
    to_body(&PackageDetailsOutput { package_details: details(&package, caller, STATUS_AVAILABLE) })
}

/// Where the next DescribePackages page starts: after this package ID.
#[derive(Serialize, Deserialize)]
struct DescribeCursor {
    after: String,
}

pub async fn describe_packages(app: &App, caller: &AccountId, request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    let query = DescribeQuery::parse(request.json::<DescribePackagesInput>()?)?;
    let after = match &query.next_token {
        Some(token) => Some(pagination::decode::<DescribeCursor>("NextToken", token)?.after),
        None => None,
    };
    let listing = Listing { after: after.as_deref(), limit: query.max_results, filters: &query.filters };
    let packages = app.packages.visible_page(caller, &listing).await.map_err(StoreError::infrastructure)?;
    let page = &packages[..packages.len().min(query.max_results)];
    let next_token = (packages.len() > page.len())
        .then(|| page.last().map(|p| pagination::encode(&DescribeCursor { after: p.id.as_str().to_owned() })))
        .flatten();
    to_body(&DescribePackagesOutput {
        package_details_list: page.iter().map(|p| details(p, caller, STATUS_AVAILABLE)).collect(),
        next_token,
    })
}

pub async fn delete_package(app: &App, caller: &AccountId, request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    let id = PackageId::parse("PackageID", request.path_params.get("PackageID"))?;
    let package = app.packages.delete_package(caller, &id).await.map_err(store_error(&id))?;
    to_body(&PackageDetailsOutput { package_details: details(&package, caller, STATUS_DELETED) })
}

pub async fn update_package(app: &App, caller: &AccountId, request: &ApiRequest) -> Result<Vec<u8>, ApiError> {
    let update = PackageUpdate::parse(request.json::<UpdatePackageInput>()?)?;
    let id = &update.package_id;
    let package = app.packages.update_package(caller, &update, app.now()).await.map_err(store_error(id))?;
    to_body(&PackageDetailsOutput { package_details: details(&package, caller, STATUS_AVAILABLE) })
}

/// Where the next GetPackageVersionHistory page starts: below this version (always at least 2).
#[derive(Serialize, Deserialize)]
struct HistoryCursor {
    before: u64,
}

pub async fn get_package_version_history(
    app: &App,
    caller: &AccountId,
    request: &ApiRequest,
) -> Result<Vec<u8>, ApiError> {
    let query = HistoryQuery::parse(
        request.path_params.get("PackageID"),
        request.query_param("maxResults"),
        request.query_param("nextToken"),
    )?;
    let before = match &query.next_token {
        Some(token) => {
            let cursor = pagination::decode::<HistoryCursor>("nextToken", token)?;
            // Issued only above version 1, where a page has something below it.
            if cursor.before < 2 {
                return Err(ApiError::validation("nextToken: the pagination token is not valid"));
            }
            Some(cursor.before)
        }
        None => None,
    };
    let id = &query.package_id;
    let page = app.packages.package_history(caller, id, before, query.max_results).await.map_err(store_error(id))?;
    to_body(&GetPackageVersionHistoryOutput {
        package_id: id.as_str(),
        package_version_history_list: page
            .iter()
            .map(|entry| PackageVersionHistoryOut {
                package_version: version_name(entry.version),
                commit_message: entry.commit_message.as_deref(),
                created_at: entry.created_at,
                package_configuration: entry.configuration.as_ref().map(configuration),
            })
            .collect(),
        next_token: next_before(&page).map(|before| pagination::encode(&HistoryCursor { before })),
    })
}
