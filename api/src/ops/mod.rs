//! Operations: audit, alert events and their e-mail, backups, the nightly jobs, the uptime
//! ledger and the monthly report, request budgets.

pub mod alerts;
pub mod audit;
pub mod backup;
pub mod daily;
pub mod files;
pub mod mail;
pub mod migrate_hub;
pub mod rate_limit;
pub mod report;
pub mod uptime;
pub mod watch;
