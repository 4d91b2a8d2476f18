//! OpenSearch Service wire shapes, member names exactly as in the model (PascalCase, `PackageID`).
//!
//! Required input members are `Option` here so that a missing one is reported by the domain
//! parser with its member path; a member of the wrong JSON type is reported by serde.

use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdatePackageScopeInput {
    #[serde(default, rename = "PackageID")]
    pub package_id: Option<String>,
    #[serde(default)]
    pub operation: Option<String>,
    #[serde(default)]
    pub package_user_list: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PackageSourceWire {
    #[serde(default, rename = "S3BucketName")]
    pub s3_bucket_name: Option<String>,
    #[serde(default, rename = "S3Key")]
    pub s3_key: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PackageConfigurationWire {
    #[serde(default)]
    pub license_requirement: Option<String>,
    #[serde(default)]
    pub license_filepath: Option<String>,
    #[serde(default)]
    pub configuration_requirement: Option<String>,
    #[serde(default)]
    pub requires_restart_for_configuration_update: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PackageVendingOptionsWire {
    #[serde(default)]
    pub vending_enabled: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PackageEncryptionOptionsWire {
    #[serde(default)]
    pub kms_key_identifier: Option<String>,
    #[serde(default)]
    pub encryption_enabled: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreatePackageInput {
    #[serde(default)]
    pub package_name: Option<String>,
    #[serde(default)]
    pub package_type: Option<String>,
    #[serde(default)]
    pub package_description: Option<String>,
    #[serde(default)]
    pub package_source: Option<PackageSourceWire>,
    #[serde(default)]
    pub package_configuration: Option<PackageConfigurationWire>,
    #[serde(default)]
    pub engine_version: Option<String>,
    #[serde(default)]
    pub package_vending_options: Option<PackageVendingOptionsWire>,
    #[serde(default)]
    pub package_encryption_options: Option<PackageEncryptionOptionsWire>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdatePackageInput {
    #[serde(default, rename = "PackageID")]
    pub package_id: Option<String>,
    #[serde(default)]
    pub package_source: Option<PackageSourceWire>,
    #[serde(default)]
    pub package_description: Option<String>,
    #[serde(default)]
    pub commit_message: Option<String>,
    #[serde(default)]
    pub package_configuration: Option<PackageConfigurationWire>,
    #[serde(default)]
    pub package_encryption_options: Option<PackageEncryptionOptionsWire>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribePackagesFilterWire {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub value: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribePackagesInput {
    #[serde(default)]
    pub filters: Option<Vec<DescribePackagesFilterWire>>,
    #[serde(default)]
    pub max_results: Option<i64>,
    #[serde(default)]
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdatePackageScopeOutput<'a> {
    #[serde(rename = "PackageID")]
    pub package_id: &'a str,
    pub operation: &'static str,
    pub package_user_list: Vec<&'a str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PackageConfigurationOut<'a> {
    pub license_requirement: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license_filepath: Option<&'a str>,
    pub configuration_requirement: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requires_restart_for_configuration_update: Option<bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PackageVendingOptionsOut {
    pub vending_enabled: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PackageEncryptionOptionsOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_identifier: Option<&'a str>,
    pub encryption_enabled: bool,
}

/// `PackageDetails`. Timestamps are epoch seconds as JSON numbers (restJson1's default format).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PackageDetailsOut<'a> {
    #[serde(rename = "PackageID")]
    pub package_id: &'a str,
    pub package_name: &'a str,
    pub package_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_description: Option<&'a str>,
    pub package_status: &'static str,
    pub created_at: i64,
    pub last_updated_at: i64,
    /// `v1`, `v2`, …: the package's current version.
    pub available_package_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine_version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_package_configuration: Option<PackageConfigurationOut<'a>>,
    /// Only in the owner's view.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_listed_user_list: Option<Vec<&'a str>>,
    pub package_owner: &'a str,
    pub package_vending_options: PackageVendingOptionsOut,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_encryption_options: Option<PackageEncryptionOptionsOut<'a>>,
}

/// CreatePackage, UpdatePackage and DeletePackage output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PackageDetailsOutput<'a> {
    pub package_details: PackageDetailsOut<'a>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribePackagesOutput<'a> {
    pub package_details_list: Vec<PackageDetailsOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// One entry of `PackageVersionHistoryList` (`PluginProperties` is never sent).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PackageVersionHistoryOut<'a> {
    pub package_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit_message: Option<&'a str>,
    pub created_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_configuration: Option<PackageConfigurationOut<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetPackageVersionHistoryOutput<'a> {
    #[serde(rename = "PackageID")]
    pub package_id: &'a str,
    pub package_version_history_list: Vec<PackageVersionHistoryOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}
