//! The audit trail for regulators (their own region) and operators (any):
//! events, their export, and verification.

use chrono::{DateTime, Utc};
use rocket::futures::Stream;
use rocket::serde::json::Json;
use rocket::{get, State};

use super::common::{page, query_problem};
use super::views::{EventView, VerificationView};
use crate::api::auth::Caller;
use crate::api::error::{ApiError, ApiResult};
use crate::audit::export::Format;
use crate::audit::{self, Event, EventFilter};
use crate::domain::text;
use crate::download::Download;
use crate::service::{audited_region, ServiceError};
use crate::App;

/// A page of events.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct EventList {
    pub items: Vec<EventView>,
    /// Pass as `?cursor=` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// A text filter: checked like any text people type (422 otherwise).
fn filter_text(field: &str, text: Option<&str>) -> Result<Option<String>, ApiError> {
    text.map(|t| text::clean_optional(field, t, 200).map_err(ApiError::from))
        .transpose()
        .map(|t| t.filter(|t| !t.is_empty()))
}

fn time(field: &str, text: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    text.map(|t| {
        DateTime::parse_from_rfc3339(t)
            .map(|d| d.with_timezone(&Utc))
            .map_err(|_| {
                query_problem(field, "must be an RFC 3339 time, like 2026-03-02T10:00:00Z")
            })
    })
    .transpose()
}

/// A region's events in sequence order, filtered by time (`from` inclusive,
/// `to` exclusive), entity, actor (token subject) and action; paginated by
/// sequence (`after_seq`, or the `cursor` of the previous page).
#[utoipa::path(
    get, path = "/api/v1/audit/events", tag = "audit",
    params(
        ("region" = Option<String>, Query), ("from" = Option<String>, Query), ("to" = Option<String>, Query),
        ("entity_id" = Option<String>, Query), ("actor" = Option<String>, Query), ("action" = Option<String>, Query),
        ("after_seq" = Option<i64>, Query), ("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, body = EventList),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[allow(clippy::too_many_arguments)]
#[get("/api/v1/audit/events?<region>&<from>&<to>&<entity_id>&<actor>&<action>&<after_seq>&<limit>&<cursor>")]
pub async fn events(
    app: &State<App>,
    caller: Caller,
    region: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    entity_id: Option<&str>,
    actor: Option<&str>,
    action: Option<&str>,
    after_seq: Option<&str>,
    limit: Option<&str>,
    cursor: Option<&str>,
) -> ApiResult<Json<EventList>> {
    let region = audited_region(&app.service.rules, &caller.0, region)?;
    let limit = page(limit, None)?.limit;
    let after = cursor.or(after_seq).unwrap_or("0");
    let after_seq = after
        .parse::<i64>()
        .map_err(|_| query_problem("after_seq", "must be a sequence number"))?;
    let filter = EventFilter {
        region,
        from: time("from", from)?,
        to: time("to", to)?,
        entity_id: filter_text("entity_id", entity_id)?,
        actor: filter_text("actor", actor)?,
        action: filter_text("action", action)?,
        after_seq,
    };
    let rows = audit::events(app.service.db.reader(), &filter, limit + 1)
        .await
        .map_err(ServiceError::from)?;
    let more = rows.len() as u64 > limit;
    let items = rows
        .into_iter()
        .take(limit as usize)
        .map(|row| Event::try_from(row).map(EventView::from))
        .collect::<Result<Vec<_>, _>>()
        .map_err(ServiceError::from)?;
    let next_cursor = if more {
        items.last().map(|e| e.seq.to_string())
    } else {
        None
    };
    Ok(Json(EventList { items, next_cursor }))
}

/// A region's events as a file: JSON Lines (`format=jsonl`, the default) or
/// CSV, streamed page by page.
#[utoipa::path(
    get, path = "/api/v1/audit/events/export", tag = "audit",
    params(("region" = Option<String>, Query), ("format" = Option<String>, Query, description = "jsonl or csv")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The events, one per line", content_type = "application/x-ndjson", body = String),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/audit/events/export?<region>&<format>")]
pub async fn export(
    app: &State<App>,
    caller: Caller,
    region: Option<&str>,
    format: Option<&str>,
) -> ApiResult<Download<impl Stream<Item = String>>> {
    let region = audited_region(&app.service.rules, &caller.0, region)?;
    let format = Format::parse(format.unwrap_or("jsonl"))
        .ok_or_else(|| query_problem("format", "must be jsonl or csv"))?;
    let file = audit::export::file(app.service.db.clone(), region, format);
    Ok(Download::new(&file.filename, file.content_type, file.lines))
}

/// Recomputes a region's chain and cross-checks it with the postings and
/// balances of the ledger.
#[utoipa::path(
    get, path = "/api/v1/audit/verify", tag = "audit",
    params(("region" = Option<String>, Query)), security(("bearer" = [])),
    responses(
        (status = 200, body = VerificationView),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/audit/verify?<region>")]
pub async fn verify(
    app: &State<App>,
    caller: Caller,
    region: Option<&str>,
) -> ApiResult<Json<VerificationView>> {
    let region = audited_region(&app.service.rules, &caller.0, region)?;
    let verification = audit::verify(&app.service.db, &region)
        .await
        .map_err(ServiceError::from)?;
    Ok(Json(verification.into()))
}
