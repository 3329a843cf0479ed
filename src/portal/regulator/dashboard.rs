//! A regulator's dashboard of a year: the budget figures and the
//! cross-region flows, as charts and tables, from the running totals.

use askama::Template;
use chrono::Datelike;
use rocket::{get, State};

use super::err;
use crate::domain::clock::shanghai_date;
use crate::domain::{DomainError, Money, Region};
use crate::portal::kit::chart;
use crate::portal::kit::explain::region_name;
use crate::portal::kit::frame::{Frame, Html, PageError};
use crate::portal::kit::guards::RegulatorPage;
use crate::service::budgets::{self, FundBudget};
use crate::service::reports::{self, Month, Summary};
use crate::service::ServiceError;
use crate::App;

/// One figure of the dashboard.
pub struct Figure {
    pub label: &'static str,
    pub amount: Money,
}

/// One cell of the cross-region table.
pub struct FlowRow {
    pub issuer: &'static str,
    pub provider: &'static str,
    pub completed: Money,
    pub paid: Money,
    pub in_transit: Money,
    pub count: i64,
    /// `JX-SH`, for tests and anchors.
    pub key: String,
}

#[derive(Template)]
#[template(path = "regulator_home.html", config = "src/portal/askama.toml")]
pub struct DashboardPage {
    pub f: Frame,
    pub region: Region,
    pub year: i32,
    pub years: Vec<i32>,
    /// None when the year has no budget yet.
    pub summary: Option<Summary>,
    pub figures: Vec<Figure>,
    pub budget_chart: String,
    pub months: Vec<Month>,
    pub month_chart: String,
    pub flows: Vec<FlowRow>,
    pub flow_chart: String,
    /// The district funds' budgets (their parts of the figures), with the
    /// district's name.
    pub funds: Vec<(String, FundBudget)>,
}

/// The dashboard of a year: budget figures and cross-region flows.
#[get("/regulator?<year>&<region>")]
pub async fn dashboard(
    app: &State<App>,
    signed: RegulatorPage,
    year: Option<i32>,
    region: Option<&str>,
) -> Result<Html, PageError> {
    let region = signed.audited(&app.service.rules, region)?;
    let actor = signed.actor();
    let lang = signed.lang;
    let this_year = shanghai_date(app.service.clock.now()).year();
    let year = year
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or(this_year);
    let db = app.service.db.reader();
    let summary = match reports::summary(db, &region, year).await {
        Ok(s) => Some(s),
        Err(ServiceError::Domain(DomainError::NotFound)) => None,
        Err(e) => return Err(err(lang)(e)),
    };
    let figures: Vec<Figure> = summary
        .as_ref()
        .map(|s| {
            [
                ("figure.appropriated", s.appropriated),
                ("figure.issued", s.issued),
                ("figure.unissued", s.unissued),
                ("figure.held", s.held),
                ("figure.redeemed", s.redeemed),
                ("figure.in_transit", s.in_transit),
                ("figure.paid", s.paid),
                ("figure.bank_returned", s.bank_returned),
                ("figure.returned", s.returned),
            ]
            .into_iter()
            .map(|(label, amount)| Figure { label, amount })
            .collect()
        })
        .unwrap_or_default();
    let labelled: Vec<(String, Money)> = figures
        .iter()
        .map(|f| (lang.t(f.label).to_owned(), f.amount))
        .collect();
    let budget_chart = chart::bars(
        "budget-chart",
        &format!(
            "{} {year} · {}",
            region_name(lang, &region),
            lang.t("dashboard.budget")
        ),
        lang.t("dashboard.budget_desc"),
        &labelled,
    );
    let districts = app
        .service
        .rules
        .get(&region)
        .map(|r| r.policy().districts.clone());
    let funds = budgets::funds(db, &region, year)
        .await
        .map_err(err(lang))?
        .into_iter()
        .map(|f| {
            let name = districts
                .iter()
                .flatten()
                .find(|d| d.code == f.fund)
                .map_or_else(|| f.fund.clone(), |d| d.name.clone());
            (name, f)
        })
        .collect();
    let months = reports::monthly(db, &region, year)
        .await
        .map_err(err(lang))?;
    let month_rows: Vec<(String, Money, Money)> = months
        .iter()
        .map(|m| (m.month.clone(), m.issued, m.redeemed))
        .collect();
    let month_chart = chart::pairs(
        "month-chart",
        &format!(
            "{} {year} · {}",
            region_name(lang, &region),
            lang.t("dashboard.months")
        ),
        lang.t("dashboard.months_desc"),
        (lang.t("figure.issued"), lang.t("figure.redeemed")),
        &month_rows,
    );
    let matrix = reports::cross_region(db, actor, year)
        .await
        .map_err(err(lang))?;
    let regions = app.service.rules.regions();
    let names: Vec<String> = regions
        .iter()
        .map(|r| region_name(lang, r).to_owned())
        .collect();
    let cells: Vec<Vec<Money>> = regions
        .iter()
        .map(|issuer| {
            regions
                .iter()
                .map(|provider| {
                    matrix
                        .cells
                        .iter()
                        .find(|c| &c.issuer_region == issuer && &c.provider_region == provider)
                        .map_or(Money::ZERO, |c| c.completed)
                })
                .collect()
        })
        .collect();
    let flow_chart = chart::matrix(
        "flow-chart",
        &format!("{year} · {}", lang.t("dashboard.flows")),
        lang.t("dashboard.flows_desc"),
        (lang.t("col.issuer"), lang.t("col.provider_region")),
        &names,
        &names,
        &cells,
    );
    let flows = matrix
        .cells
        .iter()
        .map(|c| FlowRow {
            issuer: region_name(lang, &c.issuer_region),
            provider: region_name(lang, &c.provider_region),
            completed: c.completed,
            paid: c.paid,
            in_transit: c.in_transit,
            count: c.count,
            key: format!("{}-{}", c.issuer_region, c.provider_region),
        })
        .collect();
    Html::page(&DashboardPage {
        f: signed.frame("dashboard.title"),
        region,
        year,
        years: vec![this_year - 1, this_year, this_year + 1],
        summary,
        figures,
        budget_chart,
        months,
        month_chart,
        flows,
        flow_chart,
        funds,
    })
}
