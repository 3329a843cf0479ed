//! A deadline on every request. A database that stops answering — paused,
//! not refused, so no connection fails and no acquire times out — would
//! otherwise hold a request (and the group-commit writer it waits on) for
//! as long as the database stays silent. Past `request_deadline_ms` the
//! request is answered 503 `unavailable` with `Retry-After` (an HTML page
//! on the portal), and its work is dropped: a transaction not committed is
//! rolled back by the database when it answers again, so a write answered
//! 503 may or may not have been applied — a retry with the same
//! `Idempotency-Key` tells which, and never applies it twice.
//!
//! Work that is long by design has no deadline: the audit export and
//! verification, the what-if replay, the expiry run, and freezing and
//! exporting a settlement run, importing a bank file.

use std::time::Duration;

use rocket::http::Status;
use rocket::route::{Handler, Outcome};
use rocket::{Data, Request, Route};

use crate::api::error::ApiError;
use crate::portal::kit::frame::PageError;
use crate::portal::kit::i18n::Lang;
use crate::service::ServiceError;

/// Paths (route URIs, without their query) that may take longer.
const LONG_BY_DESIGN: [&str; 11] = [
    "/api/v1/audit/events/export",
    "/api/v1/regions/<region>/bank-files",
    "/api/v1/settlement-runs/<id>/freeze",
    "/api/v1/settlement-runs/<id>/export",
    "/api/v1/audit/verify",
    "/api/v1/admin/expiry-runs",
    "/api/v1/regions/<region>/policy/what-if",
    "/regulator/audit/export",
    "/regulator/audit/verify",
    "/regulator/what-if",
    "/operator/expiry",
];

/// A route's handler, given at most `limit`.
#[derive(Clone)]
struct Deadline {
    inner: Box<dyn Handler>,
    limit: Duration,
}

#[rocket::async_trait]
impl Handler for Deadline {
    async fn handle<'r>(&self, req: &'r Request<'_>, data: Data<'r>) -> Outcome<'r> {
        match tokio::time::timeout(self.limit, self.inner.handle(req, data)).await {
            Ok(outcome) => outcome,
            Err(_) => {
                tracing::warn!(
                    path = %req.uri().path(),
                    limit_ms = self.limit.as_millis() as u64,
                    "request deadline passed: answered 503"
                );
                let why = format!(
                    "the database did not answer within {} ms",
                    self.limit.as_millis()
                );
                if is_page(req) {
                    let page =
                        PageError::new(Lang::default(), Status::ServiceUnavailable, "error.503");
                    Outcome::from(req, page)
                } else {
                    Outcome::from(req, ApiError::from(ServiceError::Unavailable(why)))
                }
            }
        }
    }
}

/// Whether a request is for a portal page (not the API or `/health`).
fn is_page(req: &Request<'_>) -> bool {
    let path = req.uri().path();
    !(path.starts_with("/api/") || path == "/health")
}

/// `routes`, each given at most `limit` unless it is long by design.
pub fn within(routes: Vec<Route>, limit: Duration) -> Vec<Route> {
    routes
        .into_iter()
        .map(|mut route| {
            let path = route.uri.path().to_string();
            if !LONG_BY_DESIGN.contains(&path.as_str()) {
                route.handler = Box::new(Deadline {
                    inner: route.handler,
                    limit,
                });
            }
            route
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_long_routes_named_exist_and_keep_no_deadline() {
        let mut routes = crate::api::routes();
        routes.extend(crate::portal::routes());
        let paths: Vec<String> = routes.iter().map(|r| r.uri.path().to_string()).collect();
        for long in LONG_BY_DESIGN {
            assert!(paths.iter().any(|p| p == long), "no route {long}");
        }
        let wrapped = within(routes, Duration::from_secs(1));
        assert_eq!(wrapped.len(), paths.len());
    }
}
