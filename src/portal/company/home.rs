//! A company's home: each voucher with its balances and deadlines, and
//! each application with what was asked, what was granted, the voucher it
//! became and the dates.

use askama::Template;
use rocket::{get, State};

use super::page_err;
use crate::domain::clock::shanghai_date;
use crate::domain::{Money, VoucherStatus};
use crate::portal::kit::frame::{Frame, Html, PageError};
use crate::portal::kit::guards::CompanyPage;
use crate::portal::kit::lists::{all_of, notice};
use crate::service::applications::{self, Application};
use crate::service::vouchers::{self, Voucher};
use crate::App;

/// A voucher as the home page shows it.
pub struct VoucherRow {
    pub v: Voucher,
    pub days_left: i64,
    /// Active and 30 days or fewer left to use it.
    pub ends_soon: bool,
}

/// An application as the home page shows it: what was asked and what was
/// granted, with the voucher it became.
pub struct ApplicationRow {
    pub a: Application,
    /// The face value of the voucher issued, once approved.
    pub granted: Option<Money>,
    /// The serial of that voucher.
    pub serial: Option<String>,
}

impl ApplicationRow {
    /// Whether less was granted than asked.
    pub fn reduced(&self) -> bool {
        self.granted.is_some_and(|g| g < self.a.amount)
    }
}

#[derive(Template)]
#[template(path = "company_home.html", config = "src/portal/askama.toml")]
pub struct HomePage {
    pub f: Frame,
    pub notice: Option<&'static str>,
    pub vouchers: Vec<VoucherRow>,
    pub applications: Vec<ApplicationRow>,
}

/// The company's home: each voucher with its balances and deadlines, and
/// its applications.
#[get("/company?<done>")]
pub async fn home(
    app: &State<App>,
    signed: CompanyPage,
    done: Option<&str>,
) -> Result<Html, PageError> {
    let actor = signed.actor();
    let db = app.service.db.reader();
    let today = shanghai_date(app.service.clock.now());
    let vouchers = all_of(|p| vouchers::list(db, actor, p))
        .await
        .map_err(page_err(&signed))?;
    let mut applications = all_of(|p| applications::list(db, actor, p))
        .await
        .map_err(page_err(&signed))?;
    applications.reverse();
    let applications = applications
        .into_iter()
        .map(|a| {
            let voucher = vouchers.iter().find(|v| Some(v.id) == a.voucher_id);
            ApplicationRow {
                granted: voucher.map(|v| v.face_value),
                serial: voucher.map(|v| v.serial.clone()),
                a,
            }
        })
        .collect();
    let vouchers = vouchers
        .into_iter()
        .map(|v| {
            let days_left = (v.use_until - today).num_days();
            VoucherRow {
                ends_soon: v.status == VoucherStatus::Active && (0..=30).contains(&days_left),
                days_left,
                v,
            }
        })
        .collect();
    Html::page(&HomePage {
        f: signed.frame("company.title"),
        notice: notice(signed.lang, done),
        vouchers,
        applications,
    })
}
