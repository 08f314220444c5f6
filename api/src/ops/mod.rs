//! Operations: audit, alert events, request budgets (and later backups, uptime and reports).

pub mod alerts;
pub mod audit;
pub mod rate_limit;
