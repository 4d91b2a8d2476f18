//! OpenSearch package domain types: parsed from the wire, they cannot hold bad values.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::LazyLock;

use regex_lite::Regex;

use super::model::{
    CreatePackageInput, DescribePackagesFilterWire, DescribePackagesInput, PackageConfigurationWire,
    PackageEncryptionOptionsWire, PackageSourceWire, UpdatePackageInput, UpdatePackageScopeInput,
};
use crate::common::AccountId;
use crate::error::ApiError;

/// Most users a package's scope may hold (docs/opensearch.md §3.5), and most users one request may list.
pub const MAX_USERS: usize = 1000;
/// DescribePackages and GetPackageVersionHistory page size when `MaxResults` is absent or 0, and its
/// largest value.
pub const MAX_RESULTS: usize = 100;

fn pattern(re: &str) -> Regex {
    Regex::new(re).unwrap_or_else(|_| unreachable!("the patterns of this module are valid regexes"))
}

static PACKAGE_ID: LazyLock<Regex> = LazyLock::new(|| pattern(r"^([FG][0-9]+)$|^(pkg-[a-f0-9]+)$"));
static PACKAGE_NAME: LazyLock<Regex> = LazyLock::new(|| pattern(r"^[a-z][a-z0-9\-]+$"));
static ENGINE_VERSION: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"^Elasticsearch_[0-9]{1}\.[0-9]{1,2}$|^OpenSearch_[0-9]{1,2}\.[0-9]{1,2}$"));
/// The model's `^(?!.*\/\.{2,})(?!.*\.\.)[a-zA-Z0-9_.-]+(?:\/[a-zA-Z0-9_.-]+)*$` without its
/// lookaheads (the regex crate has none); both forbid `..` anywhere, checked by hand.
static LICENSE_FILEPATH: LazyLock<Regex> = LazyLock::new(|| pattern(r"^[a-zA-Z0-9_.-]+(?:/[a-zA-Z0-9_.-]+)*$"));
static FILTER_VALUE: LazyLock<Regex> = LazyLock::new(|| pattern(r"^[0-9a-zA-Z\*\.\_\\/\?-]+$"));

fn required(member: &str) -> ApiError {
    ApiError::validation(format!("{member}: a value is required"))
}

fn length_between(member: &str, value: &str, min: usize, max: usize) -> Result<(), ApiError> {
    let len = value.chars().count();
    if (min..=max).contains(&len) {
        Ok(())
    } else {
        Err(ApiError::validation(format!("{member}: must be from {min} to {max} characters long, found {len}")))
    }
}

fn not_one_of(member: &str, value: &str, allowed: &[&str]) -> ApiError {
    ApiError::validation(format!("{member}: '{value}' is not a valid value; valid values are {}", allowed.join(", ")))
}

/// A package ID: `F`/`G` and digits (older and AWS-owned packages) or `pkg-` and lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackageId(String);

impl PackageId {
    pub fn new(value: &str) -> Option<Self> {
        PACKAGE_ID.is_match(value).then(|| Self(value.to_owned()))
    }

    pub fn parse(member: &str, value: &str) -> Result<Self, ApiError> {
        Self::new(value).ok_or_else(|| {
            ApiError::validation(format!("{member}: '{value}' must match the pattern ^([FG][0-9]+)$|^(pkg-[a-f0-9]+)$"))
        })
    }

    /// A fresh ID: `pkg-` and 20 random lowercase hex digits (80 bits from the OS generator).
    pub fn generate() -> Self {
        let (a, b) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        // Only the bytes of a v4 UUID that carry no version or variant bits.
        let random = a.as_bytes()[..6].iter().chain(&b.as_bytes()[..4]);
        Self(format!("pkg-{}", random.map(|byte| format!("{byte:02x}")).collect::<String>()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PackageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A package name: 3..=256 characters, `^[a-z][a-z0-9\-]+$`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackageName(String);

impl PackageName {
    pub fn new(value: &str) -> Option<Self> {
        ((3..=256).contains(&value.len()) && PACKAGE_NAME.is_match(value)).then(|| Self(value.to_owned()))
    }

    pub fn parse(member: &str, value: &str) -> Result<Self, ApiError> {
        length_between(member, value, 3, 256)?;
        Self::new(value).ok_or_else(|| {
            ApiError::validation(format!("{member}: '{value}' must match the pattern ^[a-z][a-z0-9\\-]+$"))
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One user of a package's scope: a 12-digit account ID or `GLOBAL` (everyone; case-sensitive).
/// Ordered as strings, so account IDs sort before `GLOBAL`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackageUser(String);

impl PackageUser {
    pub const GLOBAL: &'static str = "GLOBAL";

    pub fn new(value: &str) -> Option<Self> {
        (value == Self::GLOBAL || AccountId::parse(value).is_some()).then(|| Self(value.to_owned()))
    }

    pub fn parse(member: &str, value: &str) -> Result<Self, ApiError> {
        Self::new(value).ok_or_else(|| {
            let hint = if value.eq_ignore_ascii_case(Self::GLOBAL) { " (GLOBAL is upper case)" } else { "" };
            ApiError::validation(format!("{member}: '{value}' is neither a 12-digit AWS account ID nor GLOBAL{hint}"))
        })
    }

    pub fn global() -> Self {
        Self(Self::GLOBAL.to_owned())
    }

    pub fn account(account: &AccountId) -> Self {
        Self(account.as_str().to_owned())
    }

    pub fn is_global(&self) -> bool {
        self.0 == Self::GLOBAL
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A set of package users: duplicates collapse, order is string order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserSet(BTreeSet<PackageUser>);

impl UserSet {
    /// Parses a request list (`[]` is allowed) of at most [`MAX_USERS`] distinct users.
    pub fn parse(member: &str, items: &[String]) -> Result<Self, ApiError> {
        let set = items
            .iter()
            .enumerate()
            .map(|(i, user)| PackageUser::parse(&format!("{member}[{i}]"), user))
            .collect::<Result<BTreeSet<_>, _>>()?;
        if set.len() > MAX_USERS {
            return Err(ApiError::validation(format!(
                "{member}: at most {MAX_USERS} distinct users, found {}",
                set.len()
            )));
        }
        Ok(Self(set))
    }

    /// Users read back from storage; `None` if any is not a valid user.
    pub fn from_stored<'a>(users: impl IntoIterator<Item = &'a str>) -> Option<Self> {
        users.into_iter().map(PackageUser::new).collect::<Option<BTreeSet<_>>>().map(Self)
    }

    pub fn iter(&self) -> impl Iterator<Item = &PackageUser> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, user: &PackageUser) -> bool {
        self.0.contains(user)
    }

    /// Whether `account` may see the package: it is listed, or `GLOBAL` is.
    pub fn admits(&self, account: &AccountId) -> bool {
        self.0.iter().any(|u| u.is_global() || u.as_str() == account.as_str())
    }

    /// The users as strings, sorted.
    pub fn strings(&self) -> Vec<String> {
        self.0.iter().map(|u| u.0.clone()).collect()
    }

    pub fn as_strs(&self) -> Vec<&str> {
        self.0.iter().map(PackageUser::as_str).collect()
    }

    /// The users of `self` that are not in `other`.
    pub fn difference(&self, other: &UserSet) -> UserSet {
        Self(self.0.difference(&other.0).cloned().collect())
    }

    pub fn union(&self, other: &UserSet) -> UserSet {
        Self(self.0.union(&other.0).cloned().collect())
    }
}

impl FromIterator<PackageUser> for UserSet {
    fn from_iter<I: IntoIterator<Item = PackageUser>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

/// How UpdatePackageScope changes the scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScopeOperation {
    /// Union.
    Add,
    /// Difference; removing an absent user is a no-op.
    Remove,
    /// Replacement; an empty list clears the scope.
    Override,
}

impl ScopeOperation {
    const VALUES: [&'static str; 3] = ["ADD", "REMOVE", "OVERRIDE"];

    pub fn parse(member: &str, value: &str) -> Result<Self, ApiError> {
        match value {
            "ADD" => Ok(Self::Add),
            "REMOVE" => Ok(Self::Remove),
            "OVERRIDE" => Ok(Self::Override),
            other => Err(not_one_of(member, other, &Self::VALUES)),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Add => "ADD",
            Self::Remove => "REMOVE",
            Self::Override => "OVERRIDE",
        }
    }

    /// The scope after this operation with `users` on `current`; more than [`MAX_USERS`] is a
    /// `ValidationException`.
    pub fn apply(self, current: &UserSet, users: &UserSet) -> Result<UserSet, ApiError> {
        let next = match self {
            Self::Add => current.union(users),
            Self::Remove => current.difference(users),
            Self::Override => users.clone(),
        };
        if next.len() > MAX_USERS {
            return Err(too_many_users(next.len()));
        }
        Ok(next)
    }
}

/// The error for a scope that would exceed [`MAX_USERS`].
pub fn too_many_users(count: usize) -> ApiError {
    ApiError::validation(format!(
        "PackageUserList: the package's scope would have {count} users; a package can have at most {MAX_USERS}"
    ))
}

/// The error for UpdatePackageScope on a package whose vending is not enabled.
pub fn vending_disabled(id: &PackageId) -> ApiError {
    ApiError::DisabledOperation(format!(
        "Package vending is not enabled for package {id}: its scope can only change when it was created with PackageVendingOptions.VendingEnabled true"
    ))
}

/// The error for a second package of the same name in one account.
pub fn name_taken(name: &PackageName) -> ApiError {
    ApiError::AlreadyExists(format!("A package named '{}' already exists in this account", name.as_str()))
}

/// The error for a package that does not exist for the caller (409 in OpenSearch).
pub fn package_not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("Package not found: {id}"))
}

/// `PackageType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PackageType {
    TxtDictionary,
    ZipPlugin,
    PackageLicense,
    PackageConfig,
}

impl PackageType {
    const VALUES: [&'static str; 4] = ["TXT-DICTIONARY", "ZIP-PLUGIN", "PACKAGE-LICENSE", "PACKAGE-CONFIG"];

    pub fn new(value: &str) -> Option<Self> {
        match value {
            "TXT-DICTIONARY" => Some(Self::TxtDictionary),
            "ZIP-PLUGIN" => Some(Self::ZipPlugin),
            "PACKAGE-LICENSE" => Some(Self::PackageLicense),
            "PACKAGE-CONFIG" => Some(Self::PackageConfig),
            _ => None,
        }
    }

    pub fn parse(member: &str, value: &str) -> Result<Self, ApiError> {
        Self::new(value).ok_or_else(|| not_one_of(member, value, &Self::VALUES))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::TxtDictionary => "TXT-DICTIONARY",
            Self::ZipPlugin => "ZIP-PLUGIN",
            Self::PackageLicense => "PACKAGE-LICENSE",
            Self::PackageConfig => "PACKAGE-CONFIG",
        }
    }
}

/// `RequirementLevel` of a package configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Requirement {
    Required,
    Optional,
    None,
}

impl Requirement {
    const VALUES: [&'static str; 3] = ["REQUIRED", "OPTIONAL", "NONE"];

    pub fn new(value: &str) -> Option<Self> {
        match value {
            "REQUIRED" => Some(Self::Required),
            "OPTIONAL" => Some(Self::Optional),
            "NONE" => Some(Self::None),
            _ => None,
        }
    }

    fn parse(member: &str, value: Option<&str>) -> Result<Self, ApiError> {
        let value = value.ok_or_else(|| required(member))?;
        Self::new(value).ok_or_else(|| not_one_of(member, value, &Self::VALUES))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Required => "REQUIRED",
            Self::Optional => "OPTIONAL",
            Self::None => "NONE",
        }
    }
}

/// `EngineVersion`: `Elasticsearch_X.Y` or `OpenSearch_X.Y`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EngineVersion(String);

impl EngineVersion {
    pub fn new(value: &str) -> Option<Self> {
        ENGINE_VERSION.is_match(value).then(|| Self(value.to_owned()))
    }

    pub fn parse(member: &str, value: &str) -> Result<Self, ApiError> {
        Self::new(value).ok_or_else(|| {
            ApiError::validation(format!("{member}: '{value}' must look like Elasticsearch_7.10 or OpenSearch_2.11"))
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where the package's file is: both members are required here (docs/opensearch.md §2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageSource {
    pub bucket: String,
    pub key: String,
}

impl PackageSource {
    fn parse(member: &str, wire: PackageSourceWire) -> Result<Self, ApiError> {
        let bucket_member = format!("{member}.S3BucketName");
        let bucket = wire.s3_bucket_name.ok_or_else(|| required(&bucket_member))?;
        length_between(&bucket_member, &bucket, 3, 63)?;
        let key_member = format!("{member}.S3Key");
        let key = wire.s3_key.ok_or_else(|| required(&key_member))?;
        length_between(&key_member, &key, 1, 1024)?;
        Ok(Self { bucket, key })
    }
}

/// `PackageConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageConfiguration {
    pub license_requirement: Requirement,
    pub license_filepath: Option<String>,
    pub configuration_requirement: Requirement,
    pub requires_restart: Option<bool>,
}

impl PackageConfiguration {
    fn parse(member: &str, wire: PackageConfigurationWire) -> Result<Self, ApiError> {
        let license_requirement =
            Requirement::parse(&format!("{member}.LicenseRequirement"), wire.license_requirement.as_deref())?;
        let configuration_requirement = Requirement::parse(
            &format!("{member}.ConfigurationRequirement"),
            wire.configuration_requirement.as_deref(),
        )?;
        let license_filepath = wire
            .license_filepath
            .map(|path| {
                let path_member = format!("{member}.LicenseFilepath");
                length_between(&path_member, &path, 0, 256)?;
                if license_filepath_ok(&path) {
                    Ok(path)
                } else {
                    Err(ApiError::validation(format!(
                        "{path_member}: '{path}' must be a relative path of letters, digits, '_', '.' and '-' separated by '/', without '..'"
                    )))
                }
            })
            .transpose()?;
        Ok(Self {
            license_requirement,
            license_filepath,
            configuration_requirement,
            requires_restart: wire.requires_restart_for_configuration_update,
        })
    }
}

/// The model's LicenseFilepath pattern: its lookaheads forbid `..` anywhere (and `/..`, which
/// that already covers).
pub fn license_filepath_ok(path: &str) -> bool {
    !path.contains("..") && LICENSE_FILEPATH.is_match(path)
}

/// `PackageEncryptionOptions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptionOptions {
    pub enabled: bool,
    pub kms_key_identifier: Option<String>,
}

impl EncryptionOptions {
    fn parse(member: &str, wire: PackageEncryptionOptionsWire) -> Result<Self, ApiError> {
        let enabled = wire.encryption_enabled.ok_or_else(|| required(&format!("{member}.EncryptionEnabled")))?;
        if let Some(key) = &wire.kms_key_identifier {
            length_between(&format!("{member}.KmsKeyIdentifier"), key, 1, 500)?;
        }
        Ok(Self { enabled, kms_key_identifier: wire.kms_key_identifier })
    }
}

/// A validated CreatePackage request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPackage {
    pub name: PackageName,
    pub package_type: PackageType,
    pub description: Option<String>,
    pub source: PackageSource,
    pub configuration: Option<PackageConfiguration>,
    pub engine_version: Option<EngineVersion>,
    pub vending_enabled: bool,
    pub encryption: Option<EncryptionOptions>,
}

impl NewPackage {
    pub fn parse(input: CreatePackageInput) -> Result<Self, ApiError> {
        let name = input.package_name.ok_or_else(|| required("PackageName"))?;
        let name = PackageName::parse("PackageName", &name)?;
        let package_type = input.package_type.ok_or_else(|| required("PackageType"))?;
        let package_type = PackageType::parse("PackageType", &package_type)?;
        let source = input.package_source.ok_or_else(|| required("PackageSource"))?;
        let source = PackageSource::parse("PackageSource", source)?;
        if let Some(description) = &input.package_description {
            length_between("PackageDescription", description, 0, 1024)?;
        }
        let configuration =
            input.package_configuration.map(|c| PackageConfiguration::parse("PackageConfiguration", c)).transpose()?;
        let engine_version =
            input.engine_version.as_deref().map(|v| EngineVersion::parse("EngineVersion", v)).transpose()?;
        let vending_enabled = match input.package_vending_options {
            Some(options) => options.vending_enabled.ok_or_else(|| required("PackageVendingOptions.VendingEnabled"))?,
            None => false,
        };
        let encryption = input
            .package_encryption_options
            .map(|e| EncryptionOptions::parse("PackageEncryptionOptions", e))
            .transpose()?;
        Ok(Self {
            name,
            package_type,
            description: input.package_description,
            source,
            configuration,
            engine_version,
            vending_enabled,
            encryption,
        })
    }
}

/// A validated UpdatePackageScope request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeUpdate {
    pub package_id: PackageId,
    pub operation: ScopeOperation,
    pub users: UserSet,
}

impl ScopeUpdate {
    pub fn parse(input: UpdatePackageScopeInput) -> Result<Self, ApiError> {
        let id = input.package_id.ok_or_else(|| required("PackageID"))?;
        let package_id = PackageId::parse("PackageID", &id)?;
        let operation = input.operation.ok_or_else(|| required("Operation"))?;
        let operation = ScopeOperation::parse("Operation", &operation)?;
        let users = input.package_user_list.ok_or_else(|| required("PackageUserList"))?;
        let users = UserSet::parse("PackageUserList", &users)?;
        Ok(Self { package_id, operation, users })
    }
}

/// A package version's name on the wire: `v1`, `v2`, … (docs/opensearch.md §1.7).
pub fn version_name(version: u64) -> String {
    format!("v{version}")
}

/// How UpdatePackage changes `PackageDescription`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DescriptionChange {
    /// Absent: the description stays.
    Keep,
    /// `""`: the package has no description any more.
    Remove,
    Set(String),
}

/// A validated UpdatePackage request (docs/opensearch.md §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageUpdate {
    pub package_id: PackageId,
    pub source: PackageSource,
    pub description: DescriptionChange,
    /// `None` when absent or empty: the version then has no commit message.
    pub commit_message: Option<String>,
    /// Replaces the configuration whole when given; kept when absent.
    pub configuration: Option<PackageConfiguration>,
    /// Replaces the encryption options when given; kept when absent.
    pub encryption: Option<EncryptionOptions>,
}

impl PackageUpdate {
    pub fn parse(input: UpdatePackageInput) -> Result<Self, ApiError> {
        let id = input.package_id.ok_or_else(|| required("PackageID"))?;
        let package_id = PackageId::parse("PackageID", &id)?;
        let source = input.package_source.ok_or_else(|| required("PackageSource"))?;
        let source = PackageSource::parse("PackageSource", source)?;
        let description = match input.package_description {
            None => DescriptionChange::Keep,
            Some(d) if d.is_empty() => DescriptionChange::Remove,
            Some(d) => {
                length_between("PackageDescription", &d, 0, 1024)?;
                DescriptionChange::Set(d)
            }
        };
        if let Some(message) = &input.commit_message {
            length_between("CommitMessage", message, 0, 160)?;
        }
        let configuration =
            input.package_configuration.map(|c| PackageConfiguration::parse("PackageConfiguration", c)).transpose()?;
        let encryption = input
            .package_encryption_options
            .map(|e| EncryptionOptions::parse("PackageEncryptionOptions", e))
            .transpose()?;
        Ok(Self {
            package_id,
            source,
            description,
            commit_message: input.commit_message.filter(|m| !m.is_empty()),
            configuration,
            encryption,
        })
    }
}

/// A validated GetPackageVersionHistory request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryQuery {
    pub package_id: PackageId,
    /// 1..=100.
    pub max_results: usize,
    /// The `nextToken` as sent, decoded by the handler.
    pub next_token: Option<String>,
}

impl HistoryQuery {
    /// From the `{PackageID}` label and the `maxResults` and `nextToken` query parameters.
    pub fn parse(package_id: &str, max_results: Option<&str>, next_token: Option<&str>) -> Result<Self, ApiError> {
        let package_id = PackageId::parse("PackageID", package_id)?;
        // As DescribePackages' MaxResults: 0 reads as "the default page size", like absence.
        let max_results = match max_results.map(|raw| (raw, raw.parse::<i64>())) {
            None | Some((_, Ok(0))) => MAX_RESULTS,
            Some((_, Ok(n))) if (1..=MAX_RESULTS as i64).contains(&n) => n as usize,
            Some((raw, _)) => {
                return Err(ApiError::validation(format!(
                    "maxResults: '{raw}' must be an integer from 0 to {MAX_RESULTS} (0 or absent means {MAX_RESULTS})"
                )));
            }
        };
        Ok(Self { package_id, max_results, next_token: next_token.map(str::to_owned) })
    }
}

/// The package fields DescribePackages filters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FilterName {
    PackageId,
    PackageName,
    PackageStatus,
    PackageType,
    EngineVersion,
    PackageOwner,
}

impl FilterName {
    const VALUES: [&'static str; 6] =
        ["PackageID", "PackageName", "PackageStatus", "PackageType", "EngineVersion", "PackageOwner"];

    pub fn parse(member: &str, value: &str) -> Result<Self, ApiError> {
        match value {
            "PackageID" => Ok(Self::PackageId),
            "PackageName" => Ok(Self::PackageName),
            "PackageStatus" => Ok(Self::PackageStatus),
            "PackageType" => Ok(Self::PackageType),
            "EngineVersion" => Ok(Self::EngineVersion),
            "PackageOwner" => Ok(Self::PackageOwner),
            other => Err(not_one_of(member, other, &Self::VALUES)),
        }
    }
}

/// One DescribePackages filter: the named field equals one of the values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub name: FilterName,
    pub values: Vec<String>,
}

impl Filter {
    fn parse(member: &str, wire: DescribePackagesFilterWire) -> Result<Self, ApiError> {
        let name_member = format!("{member}.Name");
        let name = wire.name.ok_or_else(|| required(&name_member))?;
        let name = FilterName::parse(&name_member, &name)?;
        let value_member = format!("{member}.Value");
        let values = wire.value.ok_or_else(|| required(&value_member))?;
        if values.is_empty() {
            return Err(ApiError::validation(format!("{value_member}: must have at least 1 item")));
        }
        for (i, value) in values.iter().enumerate() {
            if !FILTER_VALUE.is_match(value) {
                return Err(ApiError::validation(format!(
                    "{value_member}[{i}]: '{value}' must match the pattern ^[0-9a-zA-Z\\*\\.\\_\\\\\\/\\?-]+$"
                )));
            }
        }
        Ok(Self { name, values })
    }

    /// Whether a package whose field is `field` (`None`: the package has no such field) passes.
    pub fn matches(&self, field: Option<&str>) -> bool {
        field.is_some_and(|field| self.values.iter().any(|v| v == field))
    }
}

/// A validated DescribePackages request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeQuery {
    pub filters: Vec<Filter>,
    /// 1..=100.
    pub max_results: usize,
    /// The `NextToken` as sent, decoded by the handler.
    pub next_token: Option<String>,
}

impl DescribeQuery {
    pub fn parse(input: DescribePackagesInput) -> Result<Self, ApiError> {
        let filters = input
            .filters
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, f)| Filter::parse(&format!("Filters[{i}]"), f))
            .collect::<Result<Vec<_>, _>>()?;
        // The model's `@default(0)`: 0 reads as "the default page size", like absence.
        let max_results = match input.max_results {
            None | Some(0) => MAX_RESULTS,
            Some(n) if (1..=MAX_RESULTS as i64).contains(&n) => n as usize,
            Some(n) => {
                return Err(ApiError::validation(format!(
                    "MaxResults: {n} must be from 1 to {MAX_RESULTS} (0 or absent means {MAX_RESULTS})"
                )));
            }
        };
        Ok(Self { filters, max_results, next_token: input.next_token })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::parse_json;

    fn validation_message<T: std::fmt::Debug>(result: Result<T, ApiError>) -> String {
        match result {
            Err(ApiError::Validation(m)) => m,
            other => panic!("expected ValidationException, got {other:?}"),
        }
    }

    fn create(body: serde_json::Value) -> Result<NewPackage, ApiError> {
        NewPackage::parse(parse_json(body.to_string().as_bytes())?)
    }

    fn scope(body: serde_json::Value) -> Result<ScopeUpdate, ApiError> {
        ScopeUpdate::parse(parse_json(body.to_string().as_bytes())?)
    }

    fn describe(body: serde_json::Value) -> Result<DescribeQuery, ApiError> {
        DescribeQuery::parse(parse_json(body.to_string().as_bytes())?)
    }

    fn package_update(body: serde_json::Value) -> Result<PackageUpdate, ApiError> {
        PackageUpdate::parse(parse_json(body.to_string().as_bytes())?)
    }

    fn minimal() -> serde_json::Value {
        serde_json::json!({
            "PackageName": "my-dictionary",
            "PackageType": "TXT-DICTIONARY",
            "PackageSource": {"S3BucketName": "bucket", "S3Key": "dict.txt"}
        })
    }

    fn users(items: &[&str]) -> UserSet {
        UserSet::parse("u", &items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn package_ids_follow_the_model_pattern() {
        for ok in ["F123", "G130336370", "pkg-0123456789abcdef0123", "pkg-a"] {
            assert!(PackageId::new(ok).is_some(), "{ok}");
        }
        for bad in ["", "F", "pkg-", "pkg-ABC", "pkg-xyz", "f123", "H1", "F12a", "pkg-abc ", " F1", "pkg_abc"] {
            assert!(PackageId::new(bad).is_none(), "{bad:?}");
        }
        let msg = validation_message(PackageId::parse("PackageID", "nope"));
        assert!(msg.starts_with("PackageID: 'nope'"), "{msg}");
    }

    #[test]
    fn generated_ids_are_pkg_and_20_lowercase_hex_digits() {
        let ids: BTreeSet<String> = (0..200).map(|_| PackageId::generate().0).collect();
        assert_eq!(ids.len(), 200, "IDs repeat");
        for id in &ids {
            let hex = id.strip_prefix("pkg-").expect("pkg- prefix");
            assert_eq!(hex.len(), 20, "{id}");
            assert!(hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')), "{id}");
            assert!(PackageId::new(id).is_some());
        }
    }

    #[test]
    fn package_names() {
        for ok in ["abc", "a-1", "my-dictionary", &format!("a{}", "b".repeat(255))] {
            assert!(PackageName::new(ok).is_some(), "{ok}");
        }
        for bad in ["ab", "1abc", "-abc", "Abc", "ab_c", "ab c", "abé", &format!("a{}", "b".repeat(256))] {
            assert!(PackageName::new(bad).is_none(), "{bad}");
            assert!(validation_message(PackageName::parse("PackageName", bad)).starts_with("PackageName: "));
        }
        assert!(validation_message(PackageName::parse("PackageName", "ab")).contains("from 3 to 256"));
    }

    #[test]
    fn package_users_are_accounts_or_upper_case_global() {
        assert!(PackageUser::new("123456789012").is_some());
        assert!(PackageUser::new("GLOBAL").unwrap().is_global());
        for bad in ["global", "Global", "12345678901", "1234567890123", "GLOBAL ", "", "abcdefghijkl"] {
            assert!(PackageUser::new(bad).is_none(), "{bad:?}");
        }
        let err = UserSet::parse("PackageUserList", &["123456789012".into(), "GLOBAL".into(), "global".into()]);
        let msg = validation_message(err);
        assert!(msg.starts_with("PackageUserList[2]: 'global'"), "{msg}");
        assert!(msg.contains("upper case"), "{msg}");
    }

    #[test]
    fn user_sets_collapse_sort_and_cap() {
        let set = users(&["GLOBAL", "222222222222", "111111111111", "222222222222"]);
        assert_eq!(set.as_strs(), ["111111111111", "222222222222", "GLOBAL"]);
        assert!(UserSet::parse("u", &[]).unwrap().is_empty());
        let many: Vec<String> = (0..1001).map(|i| format!("{:012}", i)).collect();
        assert!(validation_message(UserSet::parse("PackageUserList", &many)).contains("at most 1000"));
        let mut dupes: Vec<String> = (0..1000).map(|i| format!("{:012}", i)).collect();
        dupes.push(dupes[0].clone());
        assert_eq!(UserSet::parse("u", &dupes).unwrap().len(), 1000);
        let me = AccountId::parse("111111111111").unwrap();
        assert!(users(&["111111111111"]).admits(&me));
        assert!(users(&["GLOBAL"]).admits(&me));
        assert!(!users(&["222222222222"]).admits(&me));
        assert_eq!(UserSet::from_stored(["GLOBAL", "111111111111"]), Some(users(&["111111111111", "GLOBAL"])));
        assert_eq!(UserSet::from_stored(["global"]), None);
    }

    #[test]
    fn scope_operations_are_set_operations_capped_at_1000() {
        let current = users(&["111111111111", "222222222222"]);
        let request = users(&["222222222222", "GLOBAL"]);
        assert_eq!(
            ScopeOperation::Add.apply(&current, &request).unwrap().as_strs(),
            ["111111111111", "222222222222", "GLOBAL"]
        );
        assert_eq!(ScopeOperation::Remove.apply(&current, &request).unwrap().as_strs(), ["111111111111"]);
        assert_eq!(ScopeOperation::Remove.apply(&current, &users(&["999999999999"])).unwrap(), current);
        assert_eq!(ScopeOperation::Override.apply(&current, &request).unwrap(), request);
        assert!(ScopeOperation::Override.apply(&current, &UserSet::default()).unwrap().is_empty());

        let full: UserSet = (0..1000).map(|i| PackageUser::new(&format!("{:012}", i)).unwrap()).collect();
        assert_eq!(ScopeOperation::Add.apply(&full, &users(&["000000000999"])).unwrap().len(), 1000);
        let msg = validation_message(ScopeOperation::Add.apply(&full, &users(&["GLOBAL"])));
        assert!(msg.contains("1001"), "{msg}");
        assert_eq!(ScopeOperation::Override.apply(&full, &full).unwrap().len(), 1000);

        for (text, op) in [("ADD", ScopeOperation::Add), ("REMOVE", ScopeOperation::Remove)] {
            assert_eq!(ScopeOperation::parse("Operation", text).unwrap(), op);
            assert_eq!(op.as_str(), text);
        }
        let msg = validation_message(ScopeOperation::parse("Operation", "add"));
        assert!(msg.starts_with("Operation: 'add' is not a valid value"), "{msg}");
    }

    #[test]
    fn update_package_scope_requests() {
        let ok = scope(serde_json::json!({"PackageID": "pkg-abc", "Operation": "OVERRIDE", "PackageUserList": []}));
        let ok = ok.unwrap();
        assert_eq!(ok.operation, ScopeOperation::Override);
        assert!(ok.users.is_empty());
        for (body, member) in [
            (serde_json::json!({"Operation": "ADD", "PackageUserList": []}), "PackageID: a value is required"),
            (serde_json::json!({"PackageID": "pkg-a", "PackageUserList": []}), "Operation: a value is required"),
            (serde_json::json!({"PackageID": "pkg-a", "Operation": "ADD"}), "PackageUserList: a value is required"),
            (
                serde_json::json!({"PackageID": "pkg-A", "Operation": "ADD", "PackageUserList": []}),
                "PackageID: 'pkg-A'",
            ),
            (
                serde_json::json!({"PackageID": "pkg-a", "Operation": "MERGE", "PackageUserList": []}),
                "Operation: 'MERGE'",
            ),
            (
                serde_json::json!({"PackageID": "pkg-a", "Operation": "ADD", "PackageUserList": ["GLOBAL", 1]}),
                "PackageUserList[1]: invalid type",
            ),
            (
                serde_json::json!({"PackageID": "pkg-a", "Operation": "ADD", "PackageUserList": "GLOBAL"}),
                "PackageUserList: invalid type",
            ),
            (serde_json::json!({"PackageID": 5, "Operation": "ADD", "PackageUserList": []}), "PackageID: invalid type"),
        ] {
            let msg = validation_message(scope(body.clone()));
            assert!(msg.starts_with(member), "{body}: {msg}");
        }
    }

    #[test]
    fn create_package_requests() {
        let p = create(minimal()).unwrap();
        assert_eq!(p.name.as_str(), "my-dictionary");
        assert_eq!(p.package_type, PackageType::TxtDictionary);
        assert!(!p.vending_enabled, "vending is off when PackageVendingOptions is absent");
        assert_eq!(p.source, PackageSource { bucket: "bucket".into(), key: "dict.txt".into() });

        let mut full = minimal();
        full["PackageType"] = "ZIP-PLUGIN".into();
        full["PackageDescription"] = "d".repeat(1024).into();
        full["EngineVersion"] = "OpenSearch_2.11".into();
        full["PackageVendingOptions"] = serde_json::json!({"VendingEnabled": true});
        full["PackageEncryptionOptions"] =
            serde_json::json!({"EncryptionEnabled": true, "KmsKeyIdentifier": "alias/k"});
        full["PackageConfiguration"] = serde_json::json!({
            "LicenseRequirement": "REQUIRED", "ConfigurationRequirement": "NONE",
            "LicenseFilepath": "licenses/LICENSE.txt", "RequiresRestartForConfigurationUpdate": true
        });
        let p = create(full).unwrap();
        assert!(p.vending_enabled);
        assert_eq!(p.engine_version.unwrap().as_str(), "OpenSearch_2.11");
        let config = p.configuration.unwrap();
        assert_eq!(config.license_requirement, Requirement::Required);
        assert_eq!(config.configuration_requirement, Requirement::None);
        assert_eq!(config.requires_restart, Some(true));
        assert_eq!(p.encryption, Some(EncryptionOptions { enabled: true, kms_key_identifier: Some("alias/k".into()) }));

        let broken: Vec<(&str, serde_json::Value, &str)> = vec![
            ("PackageName", serde_json::Value::Null, "PackageName: a value is required"),
            ("PackageName", "Bad".into(), "PackageName: 'Bad'"),
            ("PackageType", serde_json::Value::Null, "PackageType: a value is required"),
            ("PackageType", "JAR".into(), "PackageType: 'JAR' is not a valid value"),
            ("PackageSource", serde_json::Value::Null, "PackageSource: a value is required"),
            ("PackageSource", serde_json::json!({"S3Key": "k"}), "PackageSource.S3BucketName: a value is required"),
            (
                "PackageSource",
                serde_json::json!({"S3BucketName": "bucket"}),
                "PackageSource.S3Key: a value is required",
            ),
            ("PackageSource", serde_json::json!({"S3BucketName": "ab", "S3Key": "k"}), "PackageSource.S3BucketName"),
            (
                "PackageSource",
                serde_json::json!({"S3BucketName": "b".repeat(64), "S3Key": "k"}),
                "PackageSource.S3BucketName",
            ),
            ("PackageSource", serde_json::json!({"S3BucketName": "abc", "S3Key": ""}), "PackageSource.S3Key"),
            (
                "PackageSource",
                serde_json::json!({"S3BucketName": "abc", "S3Key": "k".repeat(1025)}),
                "PackageSource.S3Key",
            ),
            ("PackageSource", "s3://x".into(), "PackageSource: invalid type"),
            ("PackageDescription", "d".repeat(1025).into(), "PackageDescription: must be from 0 to 1024"),
            ("EngineVersion", "OpenSearch_2".into(), "EngineVersion: 'OpenSearch_2'"),
            ("EngineVersion", "Elasticsearch_10.1".into(), "EngineVersion"),
            (
                "PackageVendingOptions",
                serde_json::json!({}),
                "PackageVendingOptions.VendingEnabled: a value is required",
            ),
            (
                "PackageVendingOptions",
                serde_json::json!({"VendingEnabled": "yes"}),
                "PackageVendingOptions.VendingEnabled: invalid type",
            ),
            (
                "PackageEncryptionOptions",
                serde_json::json!({"KmsKeyIdentifier": "k"}),
                "PackageEncryptionOptions.EncryptionEnabled: a value is required",
            ),
            (
                "PackageEncryptionOptions",
                serde_json::json!({"EncryptionEnabled": true, "KmsKeyIdentifier": ""}),
                "PackageEncryptionOptions.KmsKeyIdentifier",
            ),
            (
                "PackageEncryptionOptions",
                serde_json::json!({"EncryptionEnabled": true, "KmsKeyIdentifier": "k".repeat(501)}),
                "PackageEncryptionOptions.KmsKeyIdentifier",
            ),
            (
                "PackageConfiguration",
                serde_json::json!({"ConfigurationRequirement": "NONE"}),
                "PackageConfiguration.LicenseRequirement: a value is required",
            ),
            (
                "PackageConfiguration",
                serde_json::json!({"LicenseRequirement": "NONE"}),
                "PackageConfiguration.ConfigurationRequirement: a value is required",
            ),
            (
                "PackageConfiguration",
                serde_json::json!({"LicenseRequirement": "MAYBE", "ConfigurationRequirement": "NONE"}),
                "PackageConfiguration.LicenseRequirement: 'MAYBE'",
            ),
            (
                "PackageConfiguration",
                serde_json::json!({"LicenseRequirement": "NONE", "ConfigurationRequirement": "NONE", "LicenseFilepath": "a/../b"}),
                "PackageConfiguration.LicenseFilepath: 'a/../b'",
            ),
        ];
        for (member, value, want) in broken {
            let mut body = minimal();
            body[member] = value.clone();
            let msg = validation_message(create(body));
            assert!(msg.starts_with(want), "{member} = {value}: {msg}");
        }
    }

    #[test]
    fn structures_are_json_objects_not_arrays() {
        // serde's derived structs would take `[]` as an empty request: the wire has objects only.
        let msg = validation_message(describe(serde_json::json!([])));
        assert_eq!(msg, "The request body must be a JSON object");
        let msg = validation_message(scope(serde_json::json!(["pkg-a", "ADD", []])));
        assert_eq!(msg, "The request body must be a JSON object");
        let mut body = minimal();
        body["PackageSource"] = serde_json::json!(["bucket", "key"]);
        assert!(validation_message(create(body)).starts_with("PackageSource: invalid type: sequence"));
        let mut body = minimal();
        body["PackageVendingOptions"] = serde_json::json!([true]);
        assert!(validation_message(create(body)).starts_with("PackageVendingOptions: invalid type"));
        let msg = validation_message(describe(serde_json::json!({"Filters": [["PackageID", ["x"]]]})));
        assert!(msg.starts_with("Filters[0]: invalid type: sequence"), "{msg}");
    }

    #[test]
    fn license_filepaths_follow_the_model_pattern_without_lookaheads() {
        for ok in ["LICENSE", "a/b/c.txt", "a.b/c-d_e", ".hidden", "a./b", "./a".trim_start_matches("./")] {
            assert!(license_filepath_ok(ok), "{ok}");
        }
        for bad in ["", "..", "a/..", "../a", "a/../b", "a..b", "/a", "a/", "a//b", "a b", "a\\b", "a/...", "é"] {
            assert!(!license_filepath_ok(bad), "{bad}");
        }
    }

    #[test]
    fn engine_versions() {
        for ok in ["Elasticsearch_7.10", "Elasticsearch_6.8", "OpenSearch_2.11", "OpenSearch_10.1"] {
            assert!(EngineVersion::new(ok).is_some(), "{ok}");
        }
        for bad in ["Elasticsearch_10.1", "OpenSearch_2", "opensearch_2.11", "OpenSearch_2.111", "OpenSearch_2.11 "] {
            assert!(EngineVersion::new(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn describe_requests() {
        let q = describe(serde_json::json!({})).unwrap();
        assert_eq!((q.filters.len(), q.max_results, q.next_token), (0, 100, None));
        assert_eq!(describe(serde_json::json!({"MaxResults": 0})).unwrap().max_results, 100);
        assert_eq!(describe(serde_json::json!({"MaxResults": 1})).unwrap().max_results, 1);
        assert_eq!(describe(serde_json::json!({"MaxResults": 100})).unwrap().max_results, 100);
        for bad in [101, -1, i64::MAX] {
            let msg = validation_message(describe(serde_json::json!({"MaxResults": bad})));
            assert!(msg.starts_with("MaxResults: "), "{msg}");
        }
        assert!(validation_message(describe(serde_json::json!({"MaxResults": "10"}))).starts_with("MaxResults: "));
        assert!(validation_message(describe(serde_json::json!({"MaxResults": 1.5}))).starts_with("MaxResults: "));

        let q = describe(serde_json::json!({"Filters": [
            {"Name": "PackageType", "Value": ["TXT-DICTIONARY", "ZIP-PLUGIN"]},
            {"Name": "PackageName", "Value": ["a*b?c.d_e\\f/g-h"]}
        ]}))
        .unwrap();
        assert_eq!(q.filters[0].name, FilterName::PackageType);
        assert!(q.filters[0].matches(Some("ZIP-PLUGIN")));
        assert!(!q.filters[0].matches(Some("PACKAGE-CONFIG")));
        assert!(!q.filters[0].matches(None));

        for (body, want) in [
            (serde_json::json!({"Filters": [{"Name": "Owner", "Value": ["x"]}]}), "Filters[0].Name: 'Owner'"),
            (serde_json::json!({"Filters": [{"Value": ["x"]}]}), "Filters[0].Name: a value is required"),
            (serde_json::json!({"Filters": [{"Name": "PackageID"}]}), "Filters[0].Value: a value is required"),
            (
                serde_json::json!({"Filters": [{"Name": "PackageID", "Value": []}]}),
                "Filters[0].Value: must have at least 1",
            ),
            (
                serde_json::json!({"Filters": [{"Name": "PackageID", "Value": ["ok"]}, {"Name": "PackageID", "Value": ["ok", "no spaces"]}]}),
                "Filters[1].Value[1]: 'no spaces'",
            ),
            (serde_json::json!({"Filters": [{"Name": "PackageID", "Value": [""]}]}), "Filters[0].Value[0]: ''"),
            (serde_json::json!({"Filters": {"Name": "PackageID"}}), "Filters: invalid type"),
            (serde_json::json!({"NextToken": 5}), "NextToken: invalid type"),
        ] {
            let msg = validation_message(describe(body.clone()));
            assert!(msg.starts_with(want), "{body}: {msg}");
        }
    }

    #[test]
    fn update_package_requests() {
        let minimal =
            serde_json::json!({"PackageID": "pkg-abc", "PackageSource": {"S3BucketName": "bkt", "S3Key": "k"}});
        let u = package_update(minimal.clone()).unwrap();
        assert_eq!(u.package_id.as_str(), "pkg-abc");
        assert_eq!(u.source, PackageSource { bucket: "bkt".into(), key: "k".into() });
        assert_eq!(
            (u.description, u.commit_message, u.configuration, u.encryption),
            (DescriptionChange::Keep, None, None, None)
        );

        let mut full = minimal.clone();
        full["PackageDescription"] = "d".repeat(1024).into();
        full["CommitMessage"] = "m".repeat(160).into();
        full["PackageConfiguration"] =
            serde_json::json!({"LicenseRequirement": "NONE", "ConfigurationRequirement": "OPTIONAL"});
        full["PackageEncryptionOptions"] = serde_json::json!({"EncryptionEnabled": false});
        full["PackageName"] = "ignored".into();
        let u = package_update(full).unwrap();
        assert_eq!(u.description, DescriptionChange::Set("d".repeat(1024)));
        assert_eq!(u.commit_message, Some("m".repeat(160)));
        assert_eq!(u.configuration.unwrap().configuration_requirement, Requirement::Optional);
        assert_eq!(u.encryption, Some(EncryptionOptions { enabled: false, kms_key_identifier: None }));

        let mut empty = minimal.clone();
        empty["PackageDescription"] = "".into();
        empty["CommitMessage"] = "".into();
        let u = package_update(empty).unwrap();
        assert_eq!(u.description, DescriptionChange::Remove, "an empty description removes it");
        assert_eq!(u.commit_message, None, "an empty commit message is none");

        let broken: Vec<(&str, serde_json::Value, &str)> = vec![
            ("PackageID", serde_json::Value::Null, "PackageID: a value is required"),
            ("PackageID", "pkg-XYZ".into(), "PackageID: 'pkg-XYZ'"),
            ("PackageSource", serde_json::Value::Null, "PackageSource: a value is required"),
            ("PackageSource", serde_json::json!({"S3Key": "k"}), "PackageSource.S3BucketName: a value is required"),
            ("PackageSource", serde_json::json!({"S3BucketName": "bkt"}), "PackageSource.S3Key: a value is required"),
            ("PackageDescription", "d".repeat(1025).into(), "PackageDescription: must be from 0 to 1024"),
            ("CommitMessage", "m".repeat(161).into(), "CommitMessage: must be from 0 to 160"),
            ("CommitMessage", 5.into(), "CommitMessage: invalid type"),
            (
                "PackageConfiguration",
                serde_json::json!({"LicenseRequirement": "NONE"}),
                "PackageConfiguration.ConfigurationRequirement: a value is required",
            ),
            (
                "PackageEncryptionOptions",
                serde_json::json!({"EncryptionEnabled": true, "KmsKeyIdentifier": ""}),
                "PackageEncryptionOptions.KmsKeyIdentifier",
            ),
        ];
        for (member, value, want) in broken {
            let mut body = minimal.clone();
            body[member] = value.clone();
            let msg = validation_message(package_update(body));
            assert!(msg.starts_with(want), "{member} = {value}: {msg}");
        }
        // Members are checked in the model's order: PackageID before PackageSource.
        assert!(validation_message(package_update(serde_json::json!({}))).starts_with("PackageID"));
    }

    #[test]
    fn history_requests() {
        let q = HistoryQuery::parse("pkg-abc", None, None).unwrap();
        assert_eq!((q.package_id.as_str(), q.max_results, q.next_token), ("pkg-abc", 100, None));
        assert_eq!(HistoryQuery::parse("F1", Some("0"), None).unwrap().max_results, 100);
        assert_eq!(HistoryQuery::parse("F1", Some("1"), Some("t")).unwrap().next_token.as_deref(), Some("t"));
        assert_eq!(HistoryQuery::parse("F1", Some("100"), None).unwrap().max_results, 100);
        for bad in ["-1", "101", "", "abc", "1.5", "9223372036854775808"] {
            let msg = validation_message(HistoryQuery::parse("F1", Some(bad), None));
            assert!(msg.starts_with(&format!("maxResults: '{bad}'")), "{msg}");
        }
        assert!(validation_message(HistoryQuery::parse("", Some("5"), None)).starts_with("PackageID: ''"));
        assert_eq!(version_name(1), "v1");
        assert_eq!(version_name(42), "v42");
    }
}
