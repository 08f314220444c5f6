//! Presentational pieces driven only by their props: no context, no HTTP.

pub mod account_summary;
pub mod app_header;
pub mod messages;
