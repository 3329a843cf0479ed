//! The ledger behind the Yangtze River Delta innovation vouchers.
//!
//! Dependencies point one way (docs/architecture.md has the rooms and what
//! each may import): `api` and `portal` → `service` → `domain` / `rules` /
//! `ledger` / `audit` → `store`. Every state change runs through
//! [`service::Service::execute`]. [`build_rocket`] assembles the HTTP
//! service; tests call it.

pub mod api;
pub mod app;
pub mod audit;
pub mod catcher;
pub mod config;
pub mod deadline;
pub mod demo;
pub mod domain;
pub mod download;
pub mod ledger;
pub mod portal;
pub mod rules;
pub mod scenario;
pub mod service;
pub mod store;
pub mod telemetry;

use rocket::fairing::AdHoc;
use rocket::{Build, Rocket};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Config;

pub use app::App;

/// The HTTP service: routes, OpenAPI and Swagger UI, catchers, request log
/// and the background maintenance task.
pub fn build_rocket(config: &Config, app: App) -> Rocket<Build> {
    let deadline = std::time::Duration::from_millis(config.settings.request_deadline_ms);
    rocket::custom(config.figment.clone())
        .manage(app)
        .mount("/", deadline::within(api::routes(), deadline))
        .mount(
            "/",
            SwaggerUi::new("/docs/<_..>").url("/openapi.json", api::ApiDoc::openapi()),
        )
        .register("/", catcher::catchers())
        .mount("/", deadline::within(portal::routes(), deadline))
        .attach(telemetry::RequestLog)
        .attach(api::docs_policy())
        .attach(AdHoc::on_liftoff("maintenance", |rocket| {
            Box::pin(async move {
                if let Some(app) = rocket.state::<App>() {
                    tokio::spawn(app::purge_expired(
                        app.service.clone(),
                        app.idempotency_retention,
                    ));
                    tokio::spawn(app::expire(app.service.clone(), app.expiry_interval));
                }
            })
        }))
}
