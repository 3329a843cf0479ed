//! A provider's payments on the portal: `/provider/payments` — every
//! payment of every paying region, where it stands (in transit, paid, sent
//! back and why), each with its remittance advice and 兑付明细表 as a
//! printable page or CSV (`/provider/payments/<run>/<item>`).

use askama::Template;
use rocket::http::ContentType;
use rocket::{get, Route, State};

use super::kit::frame::{Frame, Html, PageError};
use super::kit::guards::ProviderPage;
use super::kit::lists::parse_id;
use crate::service::settlement::advice::{self, Advice};
use crate::App;

/// The payment pages' routes.
pub fn routes() -> Vec<Route> {
    rocket::routes![payments_page, advice_page]
}

#[derive(Template)]
#[template(path = "provider_payments.html", config = "src/portal/askama.toml")]
pub struct PaymentsPage {
    pub f: Frame,
    pub payments: Vec<Advice>,
}

impl PaymentsPage {
    fn status(&self, s: &impl std::fmt::Display) -> &'static str {
        self.f.t(&format!("itemstatus.{s}"))
    }
}

/// The provider's payments, newest first.
#[get("/provider/payments")]
pub async fn payments_page(app: &State<App>, signed: ProviderPage) -> Result<Html, PageError> {
    let (lang, actor) = (signed.lang, signed.actor());
    let payments = advice::payments(&app.service.db, actor, actor.sub)
        .await
        .map_err(|e| PageError::from_service(lang, e))?;
    Html::page(&PaymentsPage {
        f: signed.frame("nav.payments"),
        payments,
    })
}

/// A payment's remittance advice: a printable page, or CSV.
#[get("/provider/payments/<run>/<item>?<format>")]
pub async fn advice_page(
    app: &State<App>,
    signed: ProviderPage,
    run: &str,
    item: &str,
    format: Option<&str>,
) -> Result<(ContentType, String), PageError> {
    let lang = signed.lang;
    let (run, item) = (parse_id(&signed, run)?, parse_id(&signed, item)?);
    let found = advice::advice(&app.service.db, signed.actor(), run, item)
        .await
        .map_err(|e| PageError::from_service(lang, e))?;
    Ok(match format {
        Some("csv") => (
            ContentType::new("text", "csv").with_params(("charset", "utf-8")),
            advice::csv(&found),
        ),
        _ => (ContentType::HTML, advice::html(&found)),
    })
}
