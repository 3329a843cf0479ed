//! A regulator's console. Every page is of the regulator's own region
//! (asking for another region is the 403 page); the role and the region
//! come with [`RegulatorPage`](crate::portal::kit::guards::RegulatorPage).
//!
//! - [`dashboard`]: the budget figures and cross-region flows of a year.
//! - [`application_queue`]: the applications queue (a district's
//!   regulator's first-review queue).
//! - [`queues`]: the claims queue, and the decisions of both queues.
//! - [`confirmations`]: the decisions that wait for a second person (four
//!   eyes).
//! - [`notices`]: the region's public notices and the objections to them.
//! - [`audit`]: the audit trail, its verification and its download.
//! - [`programme`]: vouchers (revoke), providers (admit) and the policy.
//! - [`admission_queue`]: providers' requests for admission (recommend,
//!   admit, reject).
//! - [`what_if`]: the policy what-if.

pub mod admission_queue;
pub mod application_queue;
pub mod audit;
pub mod confirmations;
pub mod dashboard;
pub mod notices;
pub mod programme;
pub mod queues;
pub mod what_if;

use rocket::Route;

use crate::portal::kit::frame::PageError;
use crate::portal::kit::i18n::Lang;
use crate::service::ServiceError;

/// The regulator pages' routes.
pub fn routes() -> Vec<Route> {
    rocket::routes![
        dashboard::dashboard,
        application_queue::applications_page,
        queues::approve_application,
        queues::recommend_application,
        queues::reject_application,
        queues::claims_page,
        queues::approve_claim,
        queues::reject_claim,
        queues::pay_claim,
        confirmations::page,
        notices::page,
        notices::answer,
        confirmations::confirm,
        confirmations::withdraw,
        audit::audit_page,
        audit::verify,
        audit::export,
        programme::vouchers_page,
        programme::revoke,
        programme::providers_page,
        programme::admit,
        admission_queue::page,
        admission_queue::recommend,
        admission_queue::admit,
        admission_queue::reject,
        programme::policy_page,
        what_if::draft_page,
        what_if::run,
    ]
}

/// Turns a service failure into the error page in `lang`.
fn err(lang: Lang) -> impl Fn(ServiceError) -> PageError {
    move |e| PageError::from_service(lang, e)
}
