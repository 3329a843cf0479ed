//! Public notice: `GET /api/v1/notices` (anyone, without a token),
//! `POST /api/v1/notices/{id}/objections` (anyone), the region's notices
//! with their objections and the answer to one (its regulator), and the
//! operator's run of the notices due.

use chrono::{DateTime, Utc};
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, post, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::body::JsonBody;
use super::common::{path_id, path_region, query_problem};
use super::idempotent::Idempotent;
use super::redemptions::EmptyRequest;
use super::reply::Reply;
use crate::api::auth::{can, May};
use crate::api::error::ApiResult;
use crate::domain::Region;
use crate::service::notice_effect::{self, DecideObjection};
use crate::service::notices::{self, FileObjection, Notice, Objection};
use crate::service::{Call, Done, Operation, ServiceResult};
use crate::App;

/// A decision under public notice.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoticeView {
    pub id: Uuid,
    #[schema(example = "SH")]
    pub region: String,
    /// `admission` (a provider admitted, or its categories changed) or
    /// `payments` (a settlement run's payment list).
    #[schema(example = "admission")]
    pub kind: String,
    /// The provider, or the settlement run.
    pub subject_id: Uuid,
    pub title: String,
    /// What is published: the provider, its credit code and categories;
    /// or the run's period and payments.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    pub published_at: DateTime<Utc>,
    /// The end of the notice period: objections until then.
    pub ends_at: DateTime<Utc>,
    /// `open`, `effective` or `withdrawn` (an objection was upheld).
    pub status: String,
    pub settled_at: Option<DateTime<Utc>>,
    /// How many objections were filed.
    pub objections: u64,
}

impl From<Notice> for NoticeView {
    fn from(n: Notice) -> Self {
        NoticeView {
            id: n.id,
            region: n.region.to_string(),
            kind: n.kind.as_str().into(),
            subject_id: n.subject_id,
            title: n.title,
            detail: n.detail,
            published_at: n.published_at,
            ends_at: n.ends_at,
            status: n.status.as_str().into(),
            settled_at: n.settled_at,
            objections: n.objections,
        }
    }
}

/// An objection, as the regulator reads it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ObjectionView {
    pub id: Uuid,
    pub notice_id: Uuid,
    pub name: String,
    /// How to reach the objector (only the regulator reads it).
    pub contact: String,
    pub text: String,
    pub created_at: DateTime<Utc>,
    /// `open`, `upheld` or `dismissed`.
    pub status: String,
    pub note: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl From<Objection> for ObjectionView {
    fn from(o: Objection) -> Self {
        ObjectionView {
            id: o.id,
            notice_id: o.notice_id,
            name: o.name,
            contact: o.contact,
            text: o.text,
            created_at: o.created_at,
            status: o.status.as_str().into(),
            note: o.note,
            decided_at: o.decided_at,
        }
    }
}

/// An objection as the public files it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectionRequest {
    #[schema(example = "张伟")]
    pub name: String,
    /// A telephone number or an e-mail address.
    #[schema(example = "138 0000 0000")]
    pub contact: String,
    #[schema(example = "该机构的检测资质已于 2026 年 10 月过期。")]
    pub text: String,
}

/// What is under public notice now, and what took effect or was withdrawn
/// in the last 30 days: anyone may read it, without a token.
#[utoipa::path(
    get, path = "/api/v1/notices", tag = "notices",
    params(("region" = Option<String>, Query, example = "SH")),
    responses(
        (status = 200, body = Vec<NoticeView>),
        (status = 422, description = "`region` is not a region code", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/notices?<region>")]
pub async fn public(app: &State<App>, region: Option<&str>) -> ApiResult<Json<Vec<NoticeView>>> {
    let region = region
        .map(|r| {
            Region::parse(r)
                .map_err(|_| query_problem("region", "must be a region code such as SH"))
        })
        .transpose()?;
    let now = app.service.clock.now();
    let found = notices::public(app.service.db.reader(), region.as_ref(), now).await?;
    Ok(Json(found.into_iter().map(NoticeView::from).collect()))
}

/// Anyone objects to an open notice, without a token: a name, how to be
/// reached, and the objection (bounded, without hidden characters). Only
/// the region's regulator reads the contact.
#[utoipa::path(
    post, path = "/api/v1/notices/{id}/objections", tag = "notices",
    params(("id" = Uuid, Path)), request_body = ObjectionRequest,
    responses(
        (status = 201, description = "Filed; the regulator answers it before the decision takes effect"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The notice period ended (`invalid_state`), or the notice took all the objections it can", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/notices/<id>/objections", data = "<body>")]
pub async fn object(
    app: &State<App>,
    id: &str,
    body: JsonBody<ObjectionRequest>,
) -> ApiResult<(Status, Json<serde_json::Value>)> {
    let r = body.value;
    let op = FileObjection {
        notice_id: path_id(id)?,
        name: r.name,
        contact: r.contact,
        text: r.text,
    };
    let filed = app.service.execute(Call::system(), op).await?;
    let answer = serde_json::json!({
        "id": filed.id,
        "notice_id": filed.notice_id,
        "status": filed.status.as_str(),
        "created_at": filed.created_at,
    });
    Ok((Status::Created, Json(answer)))
}

/// A region's notice with its objections.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeWithObjections {
    #[serde(flatten)]
    pub notice: NoticeView,
    pub filed: Vec<ObjectionView>,
}

/// The region's notices with their objections, newest first: its
/// regulator's.
#[utoipa::path(
    get, path = "/api/v1/regions/{region}/notices", tag = "notices",
    params(("region" = String, Path, example = "SH")), security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<NoticeWithObjections>),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/regions/<region>/notices")]
pub async fn of_region(
    app: &State<App>,
    caller: May<can::ManageProgramme>,
    region: &str,
) -> ApiResult<Json<Vec<NoticeWithObjections>>> {
    let region = path_region(region)?;
    let found = notices::of_region(app.service.db.reader(), &caller.0, &region).await?;
    Ok(Json(
        found
            .into_iter()
            .map(|(n, o)| NoticeWithObjections {
                notice: n.into(),
                filed: o.into_iter().map(ObjectionView::from).collect(),
            })
            .collect(),
    ))
}

/// The regulator's answer to an objection.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    /// Upheld: the decision is withdrawn. Dismissed: it takes effect once
    /// the period has ended and no other objection is open.
    pub upheld: bool,
    #[schema(example = "经核实，该机构资质有效期至 2028 年。")]
    pub note: String,
}

/// The region's regulator answers an objection.
#[utoipa::path(
    post, path = "/api/v1/objections/{id}/answer", tag = "notices",
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header)),
    request_body = AnswerRequest, security(("bearer" = [])),
    responses(
        (status = 200, body = ObjectionView),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Answered already", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/objections/<id>/answer", data = "<req>")]
pub async fn answer(
    app: &State<App>,
    _caller: May<can::ManageProgramme>,
    id: &str,
    req: Idempotent<AnswerRequest>,
) -> ApiResult<Reply> {
    let op = DecideObjection {
        id: path_id(id)?,
        upheld: req.body.upheld,
        note: req.body.note,
    };
    let view = |o: &Objection| ObjectionView::from(o.clone());
    req.once.run(app, op, |_| Status::Ok, view).await
}

/// What a run of the notices due did.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct NoticeRunView {
    /// Notices that took effect.
    pub effective: u64,
}

/// The answer of a run: what the notices settled before it did (the
/// request's own operation, so a repeat answers the same).
///
/// Refusals, in the order they are checked:
/// 1. `forbidden`: the caller is not an operator (or the service itself).
#[derive(Debug, Clone)]
struct NoticeRun {
    effective: u64,
}

impl Operation for NoticeRun {
    type Output = u64;

    async fn run(
        self,
        _txn: &sea_orm::DatabaseTransaction,
        ctx: &crate::service::Ctx,
    ) -> ServiceResult<Done<u64>> {
        crate::domain::access::permit(&ctx.actor, crate::domain::access::Action::RunExpiry)?;
        Ok(Done::unrecorded(self.effective))
    }
}

/// Makes every notice whose period ended with no objection open take
/// effect now (the server also runs it on its expiry schedule).
#[utoipa::path(
    post, path = "/api/v1/admin/notice-runs", tag = "operations",
    params(("Idempotency-Key" = String, Header)), request_body = EmptyRequest, security(("bearer" = [])),
    responses(
        (status = 200, body = NoticeRunView),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/admin/notice-runs", data = "<req>")]
pub async fn run_notices(
    app: &State<App>,
    _caller: May<can::RunExpiry>,
    req: Idempotent<EmptyRequest>,
) -> ApiResult<Reply> {
    let effective = notice_effect::settle_due(&app.service, req.once.call()).await?;
    let view = |n: &u64| NoticeRunView { effective: *n };
    req.once
        .run(app, NoticeRun { effective }, |_| Status::Ok, view)
        .await
}
