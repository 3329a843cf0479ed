//! Integration tests through HTTP, on a fresh database per test: a SQLite
//! file by default, a new PostgreSQL database when `TEST_DATABASE_URL` is set.

mod architecture;
mod audit;
mod authenticator;
mod browser;
mod cli;
mod contract;
mod demo;
mod errors;
mod four_eyes;
mod hardening;
mod helpers;
mod idempotency;
mod identity;
mod invariants;
mod lifecycle;
mod matrix;
mod organizations;
mod people;
mod pipeline;
mod portal;
mod process;
mod properties;
mod proxy;
mod races;
mod refusals;
mod reports;
mod resilience;
mod rules;
mod second_factor;
mod served;
mod service;
mod sign_in_limits;
mod what_if;
mod world;
