//! HTTP tests: the real server on a random port with a fresh database per test.

mod activities;
mod audit_atomic;
mod audit_chain;
mod auth;
mod backup;
mod duplicate_hints;
mod extracts;
mod generate;
mod helpers;
mod logs;
mod mail;
mod metrics;
mod openapi;
mod persons;
mod roles;
mod service;
mod stats;
mod sync_hub;
mod sync_locks;
mod sync_nodes;
mod sync_outbox;
mod sync_pii;
mod sync_support;
mod uptime;
mod validation;
mod watch;
