//! Types and rules shared by the `attaka` server and the web client.
//!
//! Everything here builds for `wasm32-unknown-unknown`: no actix, tokio or database driver.

pub mod activity_detail;
pub mod activity_rules;
pub mod common_id;
pub mod dates;
pub mod dto;
pub mod error;
pub mod file_name;
pub mod holidays;
pub mod kana;
pub mod municipality;
pub mod person_rules;
pub mod sync_health;
pub mod text;
