//! Operations: audit, alert events and their e-mail, backups, the nightly jobs, the uptime
//! ledger, the operations log's service levels and reports, leases, request budgets and
//! request metrics.

pub mod alerts;
pub mod audit;
pub mod backup;
pub mod changes;
pub mod cli;
pub mod daily;
pub mod files;
pub mod http_metrics;
pub mod lease;
pub mod log;
pub mod mail;
pub mod migrate_hub;
pub mod rate_limit;
pub mod report;
pub mod reports;
pub mod sla;
pub mod uptime;
pub mod watch;
