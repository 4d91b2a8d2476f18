//! Macie: automated discovery accounts, the Macie session, and members.

pub mod domain;
pub mod handlers;
pub mod model;
