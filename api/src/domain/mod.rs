//! Validated domain types and rules: no HTTP, no SQL.

pub mod account;
pub mod activity;
pub mod alert;
pub mod audit;
pub mod clock;
pub mod codes;
pub mod common_id;
pub mod duplicate_hint;
pub mod ops_log;
pub mod org;
pub mod password_policy;
pub mod period_lock;
pub mod person;
pub mod region;
pub mod stats_change;
pub mod sync;
pub mod uptime;
