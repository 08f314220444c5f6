//! HTTP tests: the real server on a random port with a fresh database per test.

mod activities;
mod auth;
mod helpers;
mod openapi;
mod persons;
mod roles;
mod validation;
