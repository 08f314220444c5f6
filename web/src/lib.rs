//! Attaka's browser client: a Leptos single-page app, rendered client-side from WebAssembly.
//!
//! `app` holds the shell and the route table, `api` is the only module that does HTTP, `session`
//! keeps the signed-in account, `node` and `master` what the server says about itself and its
//! code lists, `forms` the state of forms, `pages` has one page per file and `components` only
//! props-driven pieces.

pub mod activity_form;
pub mod activity_master;
pub mod activity_rules;
pub mod api;
pub mod app;
pub mod clock;
pub mod components;
pub mod download;
pub mod drafts;
pub mod figures;
pub mod format;
pub mod forms;
pub mod holidays;
pub mod layout;
pub mod master;
pub mod node;
pub mod ops;
pub mod pages;
pub mod reauth;
pub mod session;
pub mod sync_state;
