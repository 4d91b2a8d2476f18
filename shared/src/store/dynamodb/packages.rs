//! OpenSearch packages on the DynamoDB table.

use async_trait::async_trait;

use super::DynamoStore;
use crate::store::PackageStore;

#[async_trait]
impl PackageStore for DynamoStore {}
