//! The HTTP API: one module per resource, the shared body and idempotency
//! machinery, and the OpenAPI description.

pub mod body;
pub mod health;
pub mod idempotent;
pub mod organizations;
pub mod reply;
pub mod tokens;

use rocket::Route;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Every route of the service.
pub fn routes() -> Vec<Route> {
    rocket::routes![
        health::health,
        tokens::issue_token,
        organizations::create,
        organizations::read,
    ]
}

/// The OpenAPI 3.1 description, generated from the handlers and types.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Voucher ledger API",
        description = "Issues, redeems and settles the Yangtze River Delta innovation vouchers (科技创新券). Errors are application/problem+json with a stable `code`; every POST under /api/v1 except auth/token needs an Idempotency-Key.",
        version = "1",
    ),
    paths(
        health::health,
        tokens::issue_token,
        organizations::create,
        organizations::read,
    ),
    components(schemas(crate::error::Problem, crate::error::FieldProblem)),
    modifiers(&BearerAuth),
    tags(
        (name = "service", description = "Health and description"),
        (name = "identity", description = "Tokens and organisations"),
    )
)]
pub struct ApiDoc;

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
