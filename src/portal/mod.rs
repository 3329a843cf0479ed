//! The portal: web pages for people, served by the same process as the API
//! and calling the same service functions (never HTTP to itself, never SQL of
//! its own). Server-rendered with compiled templates (askama); the style
//! sheet and the one small script are embedded; every flow works without
//! JavaScript.
//!
//! The rooms, one per role:
//!
//! - [`login`]: sign in and out, the language switch, `/`.
//! - [`company`]: a company's vouchers, applications, providers, holds and
//!   history.
//! - [`provider`]: a provider's held redemptions, completions and claims.
//! - [`evidence`]: a claim's documents (the provider uploads, the provider
//!   and the regulator deciding it download).
//! - [`regulator`]: a regulator's dashboard, queues, audit trail,
//!   programme and policy what-if.
//! - [`operator`]: organisations (registering a regulator invites its
//!   first administrator), and the expiry job.
//! - [`team`]: every organisation's people and API clients, managed by its
//!   own administrators.
//! - [`invite`]: accepting an invitation (no session needed).
//!
//! What they share (guards, frame, forms, texts, charts, assets) is in
//! [`kit`]. Failures without a handler's answer are the service's one
//! catcher's ([`crate::catcher`]).

pub mod bank_accounts;
pub mod bank_files;
pub mod company;
pub mod evidence;
pub mod invite;
pub mod irreversible;
pub mod kit;
pub mod login;
pub mod notices;
pub mod operator;
pub mod payments;
pub mod provider;
pub mod regulator;
pub mod second_factor;
pub mod settlement;
pub mod team;

pub use kit::i18n;

use rocket::Route;

/// The portal's routes.
pub fn routes() -> Vec<Route> {
    let mut routes = rocket::routes![
        login::root,
        notices::show,
        notices::object,
        login::show,
        login::submit,
        login::logout,
        login::language,
        kit::assets::css,
        kit::assets::script,
        invite::show,
        invite::accept,
    ];
    routes.extend(team::routes());
    routes.extend(second_factor::routes());
    routes.extend(bank_accounts::routes());
    routes.extend(settlement::routes());
    routes.extend(bank_files::routes());
    routes.extend(payments::routes());
    routes.extend(evidence::routes());
    routes.extend(company::routes());
    routes.extend(provider::routes());
    routes.extend(regulator::routes());
    routes.extend(operator::routes());
    routes
}
