//! The state every request shares ([`App`]) and the jobs the server runs
//! beside the requests (expiry, purges).

use crate::api::auth::JwtKeys;
use crate::config::{Config, ConfigError};
use crate::service::expiry::ExpiryReport;
use crate::service::logins::LoginLimits;
use crate::service::{self, Call, Service};
use crate::store;

/// What every request handler shares.
pub struct App {
    /// The use cases: database, rules, clock.
    pub service: Service,
    pub keys: JwtKeys,
    /// Failed logins per client id and source address.
    pub logins: LoginLimits,
    /// How long idempotency records are kept.
    pub idempotency_retention: chrono::Duration,
    /// How often the expiry job runs inside the server.
    pub expiry_interval: std::time::Duration,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl App {
    /// The shared state for `config`, `db` and the token signing `secret`.
    pub fn new(config: &Config, db: store::Db, secret: &[u8]) -> Result<Self, ConfigError> {
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
            service: config.service(db),
            keys,
            logins: LoginLimits::new(
                s.login_failures_per_client_per_minute,
                s.login_failures_per_address_per_minute,
            ),
            idempotency_retention: chrono::Duration::hours(s.idempotency_retention_hours as i64),
            expiry_interval: std::time::Duration::from_secs(s.expiry_interval_secs),
            trusted_proxies: s.trusted_proxies.clone(),
        })
    }
}

/// Runs the expiry job, then the notices due, on a schedule while the
/// server runs, as the system. A run that finds nothing due changes nothing.
pub(crate) async fn expire(service: Service, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let now = service.clock.now();
        match service::expiry::run_to_end(&service, &Call::system(), now).await {
            Ok(r) if r == ExpiryReport::default() => {}
            Ok(r) => tracing::info!(
                vouchers = r.vouchers_expired,
                holds = r.holds_expired,
                "expiry run"
            ),
            Err(e) => tracing::warn!(error = %e, "expiry run failed"),
        }
        // Decisions whose public notice ended take effect.
        match service::notice_effect::settle_due(&service, &Call::system()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(notices = n, "notices took effect"),
            Err(e) => tracing::warn!(error = %e, "settling notices failed"),
        }
    }
}

/// Hourly: purges idempotency records past their retention, portal
/// sessions that ended by time and expired login locks.
pub(crate) async fn purge_expired(service: Service, retention: chrono::Duration) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let before = service.clock.now() - retention;
        match service::engine::idempotency::purge(&service.db, before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(purged = n, "idempotency records purged"),
            Err(e) => tracing::warn!(error = %e, "purging idempotency records failed"),
        }
        match service::sessions::purge(&service).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(purged = n, "ended sessions and expired locks purged"),
            Err(e) => tracing::warn!(error = %e, "purging sessions failed"),
        }
    }
}
