//! Network Flow Monitor scopes: CreateScope, UpdateScope, GetScope, ListScopes, DeleteScope.

pub mod domain;
pub mod handlers;
pub mod model;
