//! The portal: web pages for people, served by the same process as the API
//! and calling the same service functions (never HTTP to itself, never SQL of
//! its own). Server-rendered with compiled templates (askama); the style
//! sheet and the one small script are embedded; every flow works without
//! JavaScript.
//!
//! - [`frame`]: what every page shares (language, person, CSRF, notices),
//!   the guards and the error pages.
//! - [`login`]: sign in and out, the language switch.
//! - [`company`] and [`provider`]: the pages of those roles.
//! - [`explain`]: refusals in the user's language, with the figures of
//!   their rule.
//! - [`what_if`]: the regulator's policy what-if.

pub mod assets;
pub mod chart;
pub mod company;
pub mod explain;
pub mod forms;
pub mod frame;
pub mod i18n;
pub mod login;
pub mod operator;
pub mod programme;
pub mod provider;
pub mod regulator;
pub mod what_if;

use rocket::{Catcher, Route};

/// The portal's routes.
pub fn routes() -> Vec<Route> {
    let mut routes = rocket::routes![
        login::root,
        login::show,
        login::submit,
        login::logout,
        login::language,
        assets::css,
        assets::script,
    ];
    routes.extend(company::routes());
    routes.extend(provider::routes());
    routes.extend(regulator::routes());
    routes.extend(programme::routes());
    routes.extend(what_if::routes());
    routes.extend(operator::routes());
    routes
}

/// The catchers of the whole service: portal pages get an HTML page (or,
/// without a live session, the sign-in page); the API gets problem+json.
pub fn catchers() -> Vec<Catcher> {
    rocket::catchers![frame::any_status]
}
