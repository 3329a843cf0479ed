//! The step before an action that cannot be undone: the page names what is
//! acted on and what follows, and sends the same form again, confirmed. A
//! form without `confirmed` only ever gets this page; nothing is done.

use askama::Template;

use super::frame::{Frame, Html, PageError};

/// A form of a button whose action cannot be undone: its CSRF token and
/// idempotency key, and whether the person confirmed it.
#[derive(Debug, rocket::form::FromForm)]
pub struct Confirmable {
    pub csrf: Option<String>,
    pub idem: Option<String>,
    /// Sent by the confirmation page's button only.
    pub confirmed: bool,
}

impl Confirmable {
    /// Its CSRF token and idempotency key, as sent.
    pub fn sent(&self) -> (Option<&str>, Option<&str>) {
        (self.csrf.as_deref(), self.idem.as_deref())
    }
}

/// The confirmation page.
#[derive(Template)]
#[template(path = "confirm.html", config = "src/portal/askama.toml")]
pub struct ConfirmPage {
    pub f: Frame,
    /// The question, as the page's heading ("撤销创新券 JX-2026-000001？").
    pub question: String,
    /// What is acted on: label key, value, and whether the value is an
    /// identifier (shown as code).
    pub facts: Vec<(&'static str, String, bool)>,
    /// What follows, one sentence each, in the reader's language.
    pub consequences: Vec<String>,
    /// Where the confirmed form goes, and its fields as they were sent.
    pub action: String,
    pub fields: Vec<(&'static str, String)>,
    /// The confirm button's text key.
    pub button: &'static str,
    /// Where "go back" leads, nothing done.
    pub back: String,
}

impl ConfirmPage {
    /// A confirmation asking `question` of the form sent to `action` (its
    /// fields are added by [`ConfirmPage::field`]); "go back" leads to `back`.
    pub fn new(f: Frame, question: String, action: String, back: &str) -> Self {
        ConfirmPage {
            f,
            question,
            facts: Vec::new(),
            consequences: Vec::new(),
            action,
            fields: Vec::new(),
            button: "confirm_step.confirm",
            back: back.to_owned(),
        }
    }

    /// Adds a line of what is acted on.
    pub fn fact(mut self, label: &'static str, value: impl Into<String>) -> Self {
        self.facts.push((label, value.into(), false));
        self
    }

    /// Adds a line of what is acted on whose value is an identifier.
    pub fn identifier(mut self, label: &'static str, value: impl Into<String>) -> Self {
        self.facts.push((label, value.into(), true));
        self
    }

    /// Adds a sentence of what follows.
    pub fn then(mut self, consequence: impl Into<String>) -> Self {
        self.consequences.push(consequence.into());
        self
    }

    /// Carries a field of the form over, as it was sent.
    pub fn field(mut self, name: &'static str, value: Option<&str>) -> Self {
        self.fields
            .push((name, value.unwrap_or_default().to_owned()));
        self
    }

    /// Names the confirm button (a text key).
    pub fn button(mut self, key: &'static str) -> Self {
        self.button = key;
        self
    }

    /// The page.
    pub fn render(self) -> Result<Html, PageError> {
        Html::page(&self)
    }
}
