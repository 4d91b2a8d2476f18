//! The port for Macie sessions, members and automated discovery (issue #4).

use async_trait::async_trait;

/// Persistence of Macie sessions and members.
#[async_trait]
pub trait MacieStore: Send + Sync {}
