//! OpenSearch Service packages: UpdatePackageScope, CreatePackage, DescribePackages, DeletePackage.

pub mod domain;
pub mod handlers;
pub mod model;
