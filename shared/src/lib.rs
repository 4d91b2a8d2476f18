//! The domain crate of the scopes API: wire models, validation, errors and their wire form,
//! the store port with its DynamoDB and embedded adapters, and the adapters that carry
//! requests in from Lambda and the local server.

pub mod api;
pub mod app;
pub mod common;
pub mod error;
pub mod identity;
pub mod lambda;
pub mod macie;
pub mod nfm;
pub mod opensearch;
pub mod routes;
pub mod store;

pub use api::{ApiRequest, ApiResponse, dispatch};
pub use app::App;
pub use error::ApiError;
pub use routes::{Operation, ROUTES, Route, Service};
