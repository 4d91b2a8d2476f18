//! The application: the store behind the operations plus deployment facts (Region, identity).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::budget;
use crate::common::AccountId;
use crate::identity::IdentityMode;
use crate::store::dynamodb::{ClientSetupError, DynamoStore, lambda_dynamodb_client};
use crate::store::{MacieStore, PackageStore, ScopeStore, Store};

/// Why the application could not be configured from the environment.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error(transparent)]
    Client(#[from] ClientSetupError),
}

/// Everything an operation needs. Cheap to share by reference across requests.
pub struct App {
    pub scopes: Arc<dyn ScopeStore>,
    pub packages: Arc<dyn PackageStore>,
    pub macie: Arc<dyn MacieStore>,
    region: String,
    identity: IdentityMode,
    deadline: Option<Duration>,
}

impl App {
    /// An app over `store`, in `region`, taking identities from IAM (the safe default).
    pub fn new(store: Arc<dyn Store>, region: impl Into<String>) -> Self {
        Self::from_stores(store.clone(), store.clone(), store, region)
    }

    /// An app whose ports are served by different adapters (tests put a failing one in).
    pub fn from_stores(
        scopes: Arc<dyn ScopeStore>,
        packages: Arc<dyn PackageStore>,
        macie: Arc<dyn MacieStore>,
        region: impl Into<String>,
    ) -> Self {
        Self { scopes, packages, macie, region: region.into(), identity: IdentityMode::Iam, deadline: None }
    }

    pub fn with_identity(mut self, identity: IdentityMode) -> Self {
        self.identity = identity;
        self
    }

    /// Cuts each request's work short at `deadline` (it answers 500); none by default.
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The deployed configuration: DynamoDB table `TABLE_NAME` (at `DYNAMODB_ENDPOINT` if set),
    /// Region from the AWS environment, identity mode from `IDENTITY_MODE`, and each request cut
    /// at [`budget::REQUEST_DEADLINE`] so that it answers within the function's `Timeout`.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let table = std::env::var("TABLE_NAME").map_err(|_| ConfigError::Missing("TABLE_NAME"))?;
        let endpoint = std::env::var("DYNAMODB_ENDPOINT").ok().filter(|e| !e.is_empty());
        let (client, region) = lambda_dynamodb_client(endpoint.as_deref()).await?;
        let store = DynamoStore::new(client, table);
        Ok(Self::new(Arc::new(store), region)
            .with_identity(IdentityMode::from_env())
            .with_deadline(budget::REQUEST_DEADLINE))
    }

    pub fn identity(&self) -> IdentityMode {
        self.identity
    }

    /// How long a request's work may take before it is cut short, if it is bounded.
    pub fn deadline(&self) -> Option<Duration> {
        self.deadline
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// The ARN partition of the deployment's Region.
    pub fn partition(&self) -> &'static str {
        let r = self.region.as_str();
        if r.starts_with("cn-") {
            "aws-cn"
        } else if r.starts_with("us-gov-") {
            "aws-us-gov"
        } else if r.starts_with("us-isob-") {
            "aws-iso-b"
        } else if r.starts_with("us-iso-") {
            "aws-iso"
        } else if r.starts_with("eusc-") {
            "aws-eusc"
        } else {
            "aws"
        }
    }

    pub fn arn(&self, service: &str, account: &AccountId, resource: &str) -> String {
        format!("arn:{}:{service}:{}:{account}:{resource}", self.partition(), self.region)
    }

    /// Now, in epoch seconds.
    pub fn now(&self) -> i64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or_default()
    }

    /// Now, in epoch milliseconds (for timestamps the wire carries with fractions).
    pub fn now_millis(&self) -> i64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or_default()
    }
}
