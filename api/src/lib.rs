//! The Attaka node: configuration, HTTP routes, domain rules, storage and operations.

pub mod auth;
pub mod bench;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod error;
pub mod generate;
pub mod openapi;
pub mod ops;
pub mod routes;
pub mod service;
pub mod startup;
pub mod stats;
pub mod store;
pub mod sync;
pub mod telemetry;
