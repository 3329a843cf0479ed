//! What the list pages share: reading every page of a service list, the
//! notice after an action (`?done=…`), and record ids from paths.

use rocket::http::Status;
use uuid::Uuid;

use super::frame::PageError;
use super::guards::Signed;
use super::i18n::Lang;
use crate::service::{Page, PageRequest, ServiceResult};

/// The most rows a list page reads.
const MOST_ROWS: u64 = 500;

/// Reads every page of a list, up to [`MOST_ROWS`].
pub async fn all_of<T, F, Fut>(list: F) -> ServiceResult<Vec<T>>
where
    F: Fn(PageRequest) -> Fut,
    Fut: std::future::Future<Output = ServiceResult<Page<T>>>,
{
    let mut items = Vec::new();
    let mut after = None;
    loop {
        let page = list(PageRequest { limit: 100, after }).await?;
        items.extend(page.items);
        match page.next_cursor.and_then(|c| c.parse().ok()) {
            Some(next) if (items.len() as u64) < MOST_ROWS => after = Some(next),
            _ => return Ok(items),
        }
    }
}

/// A notice after an action (`?done=…`), if it names one.
pub fn notice(lang: Lang, done: Option<&str>) -> Option<&'static str> {
    let key = match done? {
        "applied" => "done.applied",
        "asked" => "done.asked",
        "held" => "done.held",
        "cancelled" => "done.cancelled",
        "rated" => "done.rated",
        "attached" => "done.attached",
        "completed" => "done.completed",
        "claimed" => "done.claimed",
        "approved" => "done.approved",
        "recommended" => "done.recommended",
        "noticed" => "done.noticed",
        "answered" => "done.answered",
        "rejected" => "done.rejected",
        "paid" => "done.paid",
        "revoked" => "done.revoked",
        "admitted" => "done.admitted",
        "registered" => "done.registered",
        "user_disabled" => "done.user_disabled",
        "user_unlocked" => "done.user_unlocked",
        "client_revoked" => "done.client_revoked",
        "awaiting" => "done.awaiting",
        "awaiting_revoke" => "done.awaiting_revoke",
        "awaiting_admit" => "done.awaiting_admit",
        "awaiting_account" => "done.awaiting_account",
        "account_submitted" => "done.account_submitted",
        "account_approved" => "done.account_approved",
        "account_rejected" => "done.account_rejected",
        "confirmed" => "done.confirmed",
        "withdrawn" => "done.withdrawn",
        "again" => "done.already",
        _ => return None,
    };
    Some(lang.t(key))
}

/// A record id from a path (a malformed one is a record that does not exist).
pub fn parse_id(signed: &Signed, id: &str) -> Result<Uuid, PageError> {
    Uuid::parse_str(id).map_err(|_| PageError::new(signed.lang, Status::NotFound, "error.404"))
}
