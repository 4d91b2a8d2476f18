//! Types every service uses: account IDs, tags, client tokens, pagination tokens and wire enums.
//! They depend on nothing but the error type.

mod account_id;
mod client_token;
pub mod pagination;
mod tags;
mod wire_enum;

pub use account_id::AccountId;
pub use client_token::{ClientToken, MAX_CLIENT_TOKEN_CHARS};
pub use tags::{MAX_TAGS, TagKeys, Tags};
