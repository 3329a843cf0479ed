//! The HTTP API: one module per resource, the shared body and idempotency
//! machinery, and the OpenAPI description.

pub mod admin;
pub mod applications;
pub mod audit;
pub mod body;
pub mod claims;
pub mod common;
pub mod health;
pub mod idempotent;
pub mod organizations;
pub mod programme;
pub mod redemptions;
pub mod reply;
pub mod reports;
pub mod tokens;
pub mod views;
pub mod vouchers;

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
            components(schemas(crate::error::Problem, crate::error::FieldProblem)),
            modifiers(&BearerAuth),
            tags(
                (name = "service", description = "Health and description"),
                (name = "identity", description = "Tokens and organisations"),
                (name = "programme", description = "Budgets and admissions of a region (its regulator)"),
                (name = "vouchers", description = "Applications and vouchers"),
                (name = "redemptions", description = "Holds against service contracts"),
                (name = "claims", description = "Settlement of providers"),
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
    programme::appropriate,
    programme::read_budget,
    programme::admit,
    programme::policy,
    applications::submit,
    applications::approve,
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
    claims::submit,
    claims::approve,
    claims::reject,
    claims::pay,
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
