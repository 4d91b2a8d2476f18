//! Macie sessions and members on the DynamoDB table.

use async_trait::async_trait;

use super::DynamoStore;
use crate::store::MacieStore;

#[async_trait]
impl MacieStore for DynamoStore {}
