//! The HTTP API: one module per resource; `auth` (tokens, the `Caller` and
//! `May<can::X>` guards), `error` (problem+json), `body` (strict JSON),
//! `idempotent` (the `Idempotent` guard), `views` (response types and their
//! OpenAPI schemas), and the OpenAPI description.

pub mod admin;
pub mod admission_requests;
pub mod applications;
pub mod audit;
pub mod auth;
pub mod bank_files;
pub mod body;
pub mod claims;
pub mod clients;
pub mod common;
pub mod confirmations;
pub mod error;
pub mod evidence;
pub mod health;
pub mod idempotent;
pub mod notices;
pub mod organizations;
pub mod payees;
pub mod payments;
pub mod people;
pub mod programme;
pub mod ratings;
pub mod redemptions;
pub mod reply;
pub mod reports;
pub mod second_factor;
pub mod settlement;
pub mod statements;
pub mod tokens;
pub mod views;
pub mod vouchers;
pub mod what_if;

use rocket::Route;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Declares the routes and the OpenAPI description from one list of handlers.
macro_rules! api {
    ($($handler:path),+ $(,)?) => {
        /// Every route of the service.
        pub fn routes() -> Vec<Route> {
            rocket::routes![$($handler),+]
        }

        /// The OpenAPI 3.1 description, generated from the handlers and types.
        #[derive(OpenApi)]
        #[openapi(
            info(
                title = "Voucher ledger API",
                description = "Issues, redeems and settles the Yangtze River Delta innovation vouchers (科技创新券). Errors are application/problem+json with a stable `code`; every POST under /api/v1 except auth/token needs an Idempotency-Key.",
                version = "1",
            ),
            paths($($handler),+),
            components(schemas(
                crate::api::error::Problem,
                crate::api::error::FieldProblem,
                crate::api::error::RuleProblem
            )),
            modifiers(&BearerAuth, &EveryStatus),
            tags(
                (name = "service", description = "Health and description"),
                (name = "identity", description = "Tokens and organisations"),
                (name = "programme", description = "Budgets and admissions of a region (its regulator)"),
                (name = "vouchers", description = "Applications and vouchers"),
                (name = "redemptions", description = "Holds against service contracts"),
                (name = "claims", description = "Settlement of providers"),
                (name = "settlement", description = "Settlement runs and bank files (the paying region's regulator)"),
                (name = "notices", description = "Public notice (公示): decisions published before they take effect, and objections"),
                (name = "operations", description = "Operator jobs"),
                (name = "audit", description = "The audit trail (regulators: their region; operators: any)"),
                (name = "reports", description = "Figures per region and year, and the cross-region matrix"),
            )
        )]
        pub struct ApiDoc;
    };
}

api![
    health::health,
    tokens::issue_token,
    organizations::create,
    organizations::read,
    organizations::suspend,
    organizations::reinstate,
    people::invite,
    people::accept,
    people::list,
    people::disable,
    people::unlock,
    people::change_password,
    second_factor::start,
    second_factor::confirm,
    clients::create,
    clients::list,
    clients::revoke,
    programme::appropriate,
    programme::read_budget,
    programme::admit,
    programme::policy,
    admission_requests::submit,
    admission_requests::list,
    admission_requests::read,
    admission_requests::recommend,
    admission_requests::admit,
    admission_requests::reject,
    what_if::run_what_if,
    notices::public,
    notices::object,
    notices::of_region,
    notices::answer,
    notices::run_notices,
    applications::submit,
    applications::approve,
    applications::recommend,
    applications::reject,
    applications::list,
    applications::read,
    vouchers::list,
    vouchers::read,
    vouchers::revoke,
    redemptions::hold,
    redemptions::complete,
    redemptions::cancel,
    redemptions::list,
    redemptions::read,
    ratings::rate,
    ratings::provider_ratings,
    claims::submit,
    claims::approve,
    claims::reject,
    claims::pay,
    evidence::upload,
    evidence::list,
    evidence::download,
    payees::submit,
    payees::list,
    payees::awaiting,
    payees::approve,
    payees::reject,
    settlement::create,
    settlement::list,
    settlement::read,
    settlement::freeze,
    settlement::approve,
    settlement::export,
    settlement::cancel,
    settlement::reconcile,
    settlement::close,
    bank_files::file,
    bank_files::import,
    bank_files::exceptions,
    bank_files::resolve,
    statements::read,
    payments::list,
    payments::read,
    confirmations::list,
    confirmations::confirm,
    confirmations::withdraw,
    claims::list,
    claims::read,
    admin::run_expiry,
    audit::events,
    audit::export,
    audit::verify,
    reports::summary,
    reports::cross_region,
];

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Documents on every operation the statuses the service can answer it with
/// beyond its own list: 401 and 403 where a token is needed, 400 and 409 where
/// an `Idempotency-Key` is, 400, 413, 415 and 422 where a body is, 404 where
/// the path names a resource, 422 where a query is taken, 503 everywhere.
struct EveryStatus;

impl Modify for EveryStatus {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let problem = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/problem+json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("Problem")))
                            .build(),
                    )
                    .build(),
            )
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                item.get.as_mut(),
                item.post.as_mut(),
                item.put.as_mut(),
                item.delete.as_mut(),
                item.patch.as_mut(),
            ];
            for operation in operations.into_iter().flatten() {
                let params = operation
                    .parameters
                    .iter()
                    .flatten()
                    .filter_map(|p| match p {
                        RefOr::T(p) => Some((p.name.clone(), p.parameter_in.clone())),
                        RefOr::Ref(_) => None,
                    });
                let params: Vec<(String, ParameterIn)> = params.collect();
                let has = |place: ParameterIn| params.iter().any(|(_, p)| *p == place);
                let keyed = params.iter().any(|(n, _)| n == "Idempotency-Key");
                let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
                let body = operation.request_body.is_some();
                let mut add = |status: &str, description: &str| {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem(description));
                };
                if secured {
                    add("401", "`unauthorized`: no valid bearer token");
                    add("403", "`forbidden`: this role or region may not do this");
                }
                if keyed || body {
                    add(
                        "400",
                        "`idempotency_key_required`, or a malformed body (`validation_failed`)",
                    );
                }
                if keyed {
                    add(
                        "409",
                        "`idempotency_in_progress`: a request with this key is in flight",
                    );
                    add("422", "`idempotency_key_reused`, or `validation_failed`");
                }
                if body {
                    add("413", "`payload_too_large`: the body is over 64 KiB");
                    add("415", "`unsupported_media_type`: send application/json");
                    add("422", "`validation_failed`: a field is invalid");
                }
                if has(ParameterIn::Path) {
                    add(
                        "404",
                        "`not_found`: no such resource, or not one the caller may see",
                    );
                }
                if has(ParameterIn::Query) {
                    add("422", "`validation_failed`: a query parameter is invalid");
                }
                add("503", "`unavailable`: the database cannot be reached or the service is busy (see `Retry-After`)");
            }
        }
    }
}

/// The Swagger UI under `/docs` gets a Content-Security-Policy like the
/// portal's: its scripts, styles and the OpenAPI description from this
/// site only (Swagger UI sets inline styles as it draws, and shows images
/// as data URIs), no framing, no other base or form target.
pub fn docs_policy() -> rocket::fairing::AdHoc {
    rocket::fairing::AdHoc::on_response("docs content security policy", |req, res| {
        Box::pin(async move {
            if req.uri().path().starts_with("/docs") {
                res.set_header(rocket::http::Header::new(
                    "Content-Security-Policy",
                    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                     img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
                     base-uri 'none'; form-action 'self'",
                ));
            }
        })
    })
}
