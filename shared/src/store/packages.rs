//! The port for OpenSearch packages and their scopes (issue #3).

use async_trait::async_trait;

/// Persistence of OpenSearch packages.
#[async_trait]
pub trait PackageStore: Send + Sync {}
