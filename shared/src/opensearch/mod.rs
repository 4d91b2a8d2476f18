//! OpenSearch Service packages: UpdatePackageScope, CreatePackage, DescribePackages, DeletePackage,
//! UpdatePackage, GetPackageVersionHistory.

pub mod domain;
pub mod handlers;
pub mod model;
