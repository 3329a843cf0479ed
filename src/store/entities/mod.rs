//! SeaORM entities: one module per table.

pub mod credentials;
pub mod idempotency_keys;
pub mod organizations;
