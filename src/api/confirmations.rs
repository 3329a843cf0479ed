//! Four eyes: `GET /api/v1/confirmations` (the region's decisions that
//! wait), `POST /api/v1/confirmations/{id}/confirm` (a second person makes
//! one take effect) and `POST /api/v1/confirmations/{id}/withdraw`.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, post, State};
use serde::Serialize;
use utoipa::ToSchema;

use super::common::path_id;
use super::idempotent::Idempotent;
use super::redemptions::EmptyRequest;
use super::reply::Reply;
use super::views::ConfirmationView;
use crate::api::auth::{can, May};
use crate::api::error::ApiResult;
use crate::service::confirmations::{Confirm, Confirmed, Withdraw};
use crate::service::four_eyes::{self, Confirmation, Decided};
use crate::App;

/// A decision under four eyes: done (its record) or waiting (the OpenAPI
/// names the two answers, 200 and 202, apart).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum DecidedView<T> {
    Done(T),
    Awaiting(Box<Awaiting>),
    Noticed(Box<Published>),
}

/// A decision published for public notice: it takes effect when the
/// notice period ends without an upheld objection.
#[derive(Debug, Serialize, ToSchema)]
pub struct Published {
    pub notice: super::notices::NoticeView,
}

impl<T> DecidedView<T> {
    /// The answer of a decision, its record rendered by `view`.
    pub fn of<S>(decided: &Decided<S>, view: fn(&S) -> T) -> Self {
        match decided {
            Decided::Done(done) => DecidedView::Done(view(done)),
            Decided::Awaiting(c) => DecidedView::Awaiting(Box::new(Awaiting {
                confirmation: (**c).clone().into(),
            })),
            Decided::Noticed(n) => DecidedView::Noticed(Box::new(Published {
                notice: (**n).clone().into(),
            })),
        }
    }
}

/// A decision that waits for a second person of the regulator.
#[derive(Debug, Serialize, ToSchema)]
pub struct Awaiting {
    pub confirmation: ConfirmationView,
}

/// 200 when a decision took effect, 202 when it waits (for a second
/// person, or for its public notice).
pub fn decided_status<T>(decided: &Decided<T>) -> Status {
    match decided {
        Decided::Done(_) => Status::Ok,
        Decided::Awaiting(_) | Decided::Noticed(_) => Status::Accepted,
    }
}

/// A decision confirmed, and what it made (the claim paid, the voucher
/// revoked).
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfirmedView {
    pub confirmation: ConfirmationView,
    #[schema(value_type = Object)]
    pub result: serde_json::Value,
}

fn confirmed(c: &Confirmed) -> ConfirmedView {
    ConfirmedView {
        confirmation: c.confirmation.clone().into(),
        result: c.result.clone(),
    }
}

fn view(c: &Confirmation) -> ConfirmationView {
    c.clone().into()
}

/// The decisions of the caller's region that wait for a second person,
/// newest first (`all=true`: also those confirmed or withdrawn).
#[utoipa::path(
    get, path = "/api/v1/confirmations", tag = "claims",
    params(("all" = Option<bool>, Query, description = "Also those decided")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<ConfirmationView>),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/confirmations?<all>")]
pub async fn list(
    app: &State<App>,
    caller: May<can::DecideClaim>,
    all: Option<bool>,
) -> ApiResult<Json<Vec<ConfirmationView>>> {
    let ctx = app.service.ctx(caller.0);
    let found = four_eyes::list(&app.service.db, &ctx, !all.unwrap_or(false)).await?;
    Ok(Json(found.iter().map(view).collect()))
}

/// A second person of the regulator confirms a decision that waits: it
/// takes effect now (its checks run again). The person who asked cannot.
#[utoipa::path(
    post, path = "/api/v1/confirmations/{id}/confirm", tag = "claims",
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header)),
    request_body = EmptyRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Confirmed: the decision took effect", body = ConfirmedView),
        (status = 400, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The person who asked, an API client, or not a regulator", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Decided already, or the decision is no longer possible", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/confirmations/<id>/confirm", data = "<req>")]
pub async fn confirm(
    app: &State<App>,
    _caller: May<can::DecideClaim>,
    id: &str,
    req: Idempotent<EmptyRequest>,
) -> ApiResult<Reply> {
    let op = Confirm { id: path_id(id)? };
    req.once.run(app, op, |_| Status::Ok, confirmed).await
}

/// A person of the regulator withdraws a decision that waits: nothing
/// takes effect.
#[utoipa::path(
    post, path = "/api/v1/confirmations/{id}/withdraw", tag = "claims",
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header)),
    request_body = EmptyRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Withdrawn", body = ConfirmationView),
        (status = 400, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/confirmations/<id>/withdraw", data = "<req>")]
pub async fn withdraw(
    app: &State<App>,
    _caller: May<can::DecideClaim>,
    id: &str,
    req: Idempotent<EmptyRequest>,
) -> ApiResult<Reply> {
    let op = Withdraw { id: path_id(id)? };
    req.once.run(app, op, |_| Status::Ok, view).await
}
