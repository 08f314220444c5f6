//! Operations: audit, alert events and their e-mail, backups, request budgets (and later uptime
//! and reports).

pub mod alerts;
pub mod audit;
pub mod backup;
pub mod daily;
pub mod mail;
pub mod rate_limit;
