//! The ledger behind the Yangtze River Delta innovation vouchers.
//!
//! Dependencies point one way: `api` → `service` → `domain`; `service` →
//! `store`. [`build_rocket`] assembles the HTTP service; tests call it.

pub mod api;
pub mod audit;
pub mod auth;
pub mod config;
pub mod domain;
pub mod error;
pub mod ledger;
pub mod rules;
pub mod service;
pub mod store;
pub mod telemetry;

use std::sync::Arc;

use rocket::fairing::AdHoc;
use rocket::{Build, Rocket};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::JwtKeys;
use crate::config::{Config, ConfigError};
use crate::domain::clock::{Clock, SystemClock};
use crate::domain::Region;
use crate::rules::Registry;
use crate::store::Db;

/// What every request handler shares.
pub struct App {
    pub db: Db,
    pub keys: JwtKeys,
    /// The issuing regions of the programme.
    pub regions: Arc<Vec<Region>>,
    /// Their rules and policies.
    pub rules: Arc<Registry>,
    /// How long a request may hold an idempotency key before a retry may act.
    pub idempotency_lease: chrono::Duration,
    /// How long idempotency records are kept.
    pub idempotency_retention: chrono::Duration,
    /// Where time comes from (tests move it).
    pub clock: Arc<dyn Clock>,
    /// How often the expiry job runs inside the server.
    pub expiry_interval: std::time::Duration,
}

impl App {
    /// The shared state for `config`, `db` and the token signing `secret`.
    pub fn new(config: &Config, db: Db, secret: &[u8]) -> Result<Self, ConfigError> {
        let s = &config.settings;
        let keys = JwtKeys::new(
            secret,
            &s.jwt_issuer,
            &s.jwt_audience,
            s.token_ttl_secs,
            s.jwt_leeway_secs,
        )
        .map_err(|e| ConfigError {
            key: "jwt_secret".into(),
            message: e.to_string(),
        })?;
        Ok(App {
            db,
            keys,
            regions: Arc::new(config.rules.regions()),
            rules: Arc::new(config.rules.clone()),
            idempotency_lease: chrono::Duration::seconds(s.idempotency_lease_secs as i64),
            idempotency_retention: chrono::Duration::hours(s.idempotency_retention_hours as i64),
            clock: Arc::new(SystemClock),
            expiry_interval: std::time::Duration::from_secs(s.expiry_interval_secs),
        })
    }
}

/// The HTTP service: routes, OpenAPI and Swagger UI, catchers, request log
/// and the background maintenance task.
pub fn build_rocket(config: &Config, app: App) -> Rocket<Build> {
    rocket::custom(config.figment.clone())
        .manage(app)
        .mount("/", api::routes())
        .mount(
            "/",
            SwaggerUi::new("/docs/<_..>").url("/openapi.json", api::ApiDoc::openapi()),
        )
        .register("/", error::catchers())
        .attach(telemetry::RequestLog)
        .attach(AdHoc::on_liftoff("maintenance", |rocket| {
            Box::pin(async move {
                if let Some(app) = rocket.state::<App>() {
                    tokio::spawn(purge_idempotency(app.db.clone(), app.idempotency_retention));
                    tokio::spawn(expire(
                        app.db.clone(),
                        app.clock.clone(),
                        app.expiry_interval,
                    ));
                }
            })
        }))
}

/// Runs the expiry job on a schedule while the server runs. Each run is one
/// transaction; a run that finds nothing due changes nothing.
async fn expire(db: Db, clock: Arc<dyn Clock>, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        match expiry_run(&db, clock.now()).await {
            Ok(r) if r == service::expiry::ExpiryReport::default() => {}
            Ok(r) => tracing::info!(
                vouchers = r.vouchers_expired,
                holds = r.holds_expired,
                "expiry run"
            ),
            Err(e) => tracing::warn!(error = %e, "expiry run failed"),
        }
    }
}

/// One scheduled expiry run, recorded in the audit trail as the system's.
async fn expiry_run(
    db: &Db,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<service::expiry::ExpiryReport, service::ServiceError> {
    let stamp = ledger::Stamp {
        at: now,
        operation: uuid::Uuid::now_v7(),
    };
    let origin = audit::Origin {
        actor_sub: "system".into(),
        actor_role: "system".into(),
        actor_region: None,
        request_id: None,
        idempotency_key: None,
    };
    let txn = db.begin_write().await?;
    let run = service::expiry::run(&txn, now, &stamp).await?;
    ledger::roll_up(&txn, stamp.operation).await?;
    for entry in run.audit_entries(stamp.operation, now) {
        audit::append(&txn, stamp.operation, now, &origin, entry).await?;
    }
    txn.commit().await?;
    Ok(run.total)
}

/// Hourly: purges idempotency records past their retention.
async fn purge_idempotency(db: Db, retention: chrono::Duration) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tick.tick().await;
        match service::idempotency::purge(&db, chrono::Utc::now() - retention).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(purged = n, "idempotency records purged"),
            Err(e) => tracing::warn!(error = %e, "purging idempotency records failed"),
        }
    }
}
