//! The one catcher of the whole service: every failure without a handler's
//! answer gets the portal's HTML page on the portal's paths and for
//! browsers off the API (without a live session, the sign-in page), and the
//! API's problem+json ([`crate::api::error::caught`]) everywhere else.

use std::sync::LazyLock;

use rocket::http::Status;
use rocket::request::Request;
use rocket::{Catcher, Either};

use crate::api::error::ApiError;
use crate::portal::kit::frame::PageError;
use crate::portal::kit::guards::language;

/// The catchers of the whole service.
pub fn catchers() -> Vec<Catcher> {
    rocket::catchers![any_status]
}

/// The first segment of a path (`company` of `/company/apply`; empty for `/`).
fn first_segment(path: &str) -> &str {
    let path = path.strip_prefix('/').unwrap_or(path);
    path.split('/').next().unwrap_or("")
}

/// The portal's areas: the first path segment of each of its routes
/// (the empty one is `/`), read once from [`crate::portal::routes`].
static PORTAL_AREAS: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut areas: Vec<String> = crate::portal::routes()
        .iter()
        .map(|route| first_segment(route.uri.path()).to_owned())
        .filter(|segment| !segment.starts_with('<'))
        .collect();
    areas.sort_unstable();
    areas.dedup();
    areas
});

/// Whether a path is one of the portal's (its failures answer in HTML).
fn is_portal_path(path: &str) -> bool {
    let first = first_segment(path);
    PORTAL_AREAS.iter().any(|area| area == first)
}

/// Whether a request prefers HTML (a browser navigating).
fn wants_html(req: &Request<'_>) -> bool {
    req.headers()
        .get_one("Accept")
        .is_some_and(|a| a.contains("text/html"))
}

/// Every failure without a handler's answer: an HTML page on the portal's
/// paths and for browsers off the API, problem+json for the API.
#[rocket::catch(default)]
pub fn any_status(status: Status, req: &Request<'_>) -> Either<PageError, ApiError> {
    let path = req.uri().path().as_str();
    let api = path.starts_with("/api/") || path == "/openapi.json" || path == "/health";
    if !api && (is_portal_path(path) || wants_html(req)) {
        let stashed: &Option<PageError> = req.local_cache(|| None);
        if let Some(err) = stashed.clone().filter(|e| e.status == status) {
            return Either::Left(err);
        }
        let lang = language(req);
        let key = match status.code {
            401 => "login.ended",
            403 => "error.403",
            404 => "error.404",
            503 => "error.503",
            400 | 413 | 415 | 422 => "error.400",
            _ => "error.500",
        };
        return Either::Left(PageError::new(lang, status, key));
    }
    Either::Right(crate::api::error::caught(status, req))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_portal_area_is_the_portals() {
        for path in [
            "/",
            "/login",
            "/logout",
            "/language",
            "/assets/portal.css",
            "/company",
            "/company/apply",
            "/provider/claims",
            "/regulator",
            "/regulator/audit/export",
            "/operator/expiry",
        ] {
            assert!(is_portal_path(path), "{path}");
        }
        for path in [
            "/api/v1/vouchers",
            "/health",
            "/openapi.json",
            "/docs/",
            "/companyx",
        ] {
            assert!(!is_portal_path(path), "{path}");
        }
    }
}
