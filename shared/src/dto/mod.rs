//! Request and response types of the REST API (`/api/v1`).

pub mod activity;
pub mod audit;
pub mod auth;
pub mod duplicate_hint;
pub mod master;
pub mod meta;
pub mod ops;
pub mod ops_log;
pub mod ops_report;
pub mod person;
pub mod stats;
pub mod sync;
