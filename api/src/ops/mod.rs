//! Operations: audit (and later backups, alerts, uptime and reports).

pub mod audit;
