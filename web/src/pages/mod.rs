//! One routed page per file; pages read the session from context and call `crate::api`.

pub mod home;
pub mod login;
pub mod not_found;
