//! Operations: audit, alert events, backups, request budgets (and later uptime and reports).

pub mod alerts;
pub mod audit;
pub mod backup;
pub mod rate_limit;
