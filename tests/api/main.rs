//! Integration tests through HTTP, on a fresh database per test: a SQLite
//! file by default, a new PostgreSQL database when `TEST_DATABASE_URL` is set.

mod cli;
mod errors;
mod helpers;
mod idempotency;
mod identity;
mod invariants;
mod lifecycle;
mod organizations;
mod races;
mod refusals;
mod rules;
mod service;
mod world;
