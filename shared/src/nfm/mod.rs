//! Network Flow Monitor scopes: CreateScope, UpdateScope, GetScope, ListScopes, DeleteScope, and
//! their tags: TagResource, UntagResource, ListTagsForResource.

pub mod domain;
pub mod handlers;
pub mod model;
