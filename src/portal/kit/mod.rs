//! What the portal's rooms share: no page of its own, only the pieces every
//! page is built from.
//!
//! - [`guards`]: who is asking — language, session, CSRF, and one page
//!   guard per role.
//! - [`frame`]: the frame around every page, the rendered answer and the
//!   error pages.
//! - [`forms`]: idempotency keys, amounts as typed, refusals by field.
//! - [`refused`]: a refused form's page: "错误：" title, error summary.
//! - [`lists`]: reading whole lists, notices after an action, ids from paths.
//! - [`explain`]: refusals in the user's language, with the figures of
//!   their rule.
//! - [`validation`]: a field's validation message in the reader's words.
//! - [`i18n`] and [`texts`]: the two languages and every text in both.
//! - [`chart`]: charts as SVG drawn on the server.
//! - [`confirm`]: the step before an action that cannot be undone.
//! - [`assets`]: the embedded style sheet and script.

pub mod assets;
pub mod chart;
pub mod confirm;
pub mod explain;
pub mod forms;
pub mod frame;
pub mod guards;
pub mod i18n;
pub mod lists;
pub mod refused;
pub mod texts;
pub mod texts_audit;
pub mod texts_confirm;
pub mod texts_programme;
pub mod texts_settlement;
pub mod validation;
