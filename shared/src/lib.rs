//! The domain crate of the scopes API.
//!
//! Dependencies run one way, top to bottom:
//! - `lambda` (each function's entry, feature `lambda`) and the local server call [`operations`], the table of
//!   every operation and its handler;
//! - the services' handlers ([`nfm::handlers`], [`opensearch::handlers`], [`macie::handlers`])
//!   read the [`request`], decide with their `domain` and persist through [`app::App`]'s store
//!   ports ([`store`]);
//! - the ports and their DynamoDB and embedded adapters use the services' `domain` types;
//! - at the bottom, [`common`] types and the [`error`] with its one mapping to the wire.

pub mod app;
pub mod budget;
pub mod common;
pub mod error;
pub mod identity;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod macie;
pub mod nfm;
pub mod opensearch;
pub mod operations;
pub mod request;
pub mod store;

pub use app::App;
pub use error::{ApiError, Service};
pub use operations::{Handler, Operation, ROUTES, Route, op};
pub use request::{ApiRequest, ApiResponse};
