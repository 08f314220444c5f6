//! Operations: audit, alert events (and later backups, uptime and reports).

pub mod alerts;
pub mod audit;
