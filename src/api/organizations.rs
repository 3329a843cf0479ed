//! `POST /api/v1/organizations` and `GET /api/v1/organizations/{id}`.

use chrono::{DateTime, Utc};
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, post, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::common::path_id;
use super::idempotent::Idempotent;
use super::redemptions::EmptyRequest;
use super::reply::Reply;
use crate::api::auth::Caller;
use crate::api::error::ApiResult;
use crate::service::identity::{self, Organization, RegisterOrganization, Registered};
use crate::service::invitations::Invitation;
use crate::service::suspension::Suspend;
use crate::App;

/// A registration request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganizationRequest {
    /// `company`, `provider` or `regulator`.
    #[schema(example = "company")]
    pub kind: String,
    #[schema(example = "嘉兴光子科技有限公司")]
    pub name: String,
    /// The region where the organisation is registered (`SH`, `ZJ`, `JX`).
    #[schema(example = "JX")]
    pub region: String,
    /// Unified social credit code (GB 32100-2015); required for companies and providers.
    #[schema(example = "91350100M000100Y43")]
    pub credit_code: Option<String>,
    /// `enterprise` or `team`; required for companies.
    #[schema(example = "enterprise")]
    pub company_type: Option<String>,
    /// The natural or legal person who ultimately controls the organisation.
    pub actual_controller: Option<String>,
    /// A district, city or county below the region (from the region's
    /// policy). A regulator's: it reviews that district's applications and
    /// providers' admissions at the first level and does nothing
    /// region-wide. A provider's: where it is registered, whose regulator
    /// reviews its admission first. Not for companies (they name it when
    /// they apply).
    #[schema(example = "HZ")]
    pub district: Option<String>,
}

/// An organisation.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationView {
    pub id: Uuid,
    #[schema(example = "company")]
    pub kind: String,
    pub name: String,
    #[schema(example = "JX")]
    pub region: String,
    pub credit_code: Option<String>,
    #[schema(example = "enterprise")]
    pub company_type: Option<String>,
    pub actual_controller: Option<String>,
    pub created_at: DateTime<Utc>,
    /// When its registrar suspended it; null while it may act.
    pub suspended_at: Option<DateTime<Utc>>,
    /// A regulator's district (first-level review) or a provider's (where
    /// it is registered); null for others.
    #[schema(example = "HZ")]
    pub district: Option<String>,
    /// The code its people sign in with: `login@code`.
    #[schema(example = "JX-7K3Q9MZT")]
    pub sign_in_code: String,
}

/// A new organisation with the invitation of its first administrator,
/// for the registrar to hand over (no client secret: the administrator
/// creates the organisation's API clients).
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationCreated {
    #[serde(flatten)]
    pub organization: OrganizationView,
    pub invitation: InvitationView,
}

/// A one-time invitation: the token in the first answer only.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationView {
    /// The token, in the first answer only (only its SHA-256 is stored): a
    /// repeat of the request answers null and says so in `note`.
    pub token: Option<String>,
    /// The portal page that accepts it (`/invite/{token}`), likewise.
    pub url: Option<String>,
    /// Whether the person it makes administers the organisation.
    pub administrator: bool,
    /// For a password reset: the person whose password it replaces.
    pub user_id: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl InvitationView {
    /// The first answer: with the token.
    pub fn shown(invitation: &Invitation) -> Self {
        InvitationView {
            token: Some(invitation.token.clone()),
            url: Some(invitation.path()),
            administrator: invitation.administrator,
            user_id: invitation.user_id,
            expires_at: invitation.expires_at,
            note: None,
        }
    }

    /// What a repeat gets: the same without the token, and why.
    pub fn kept(invitation: &Invitation) -> Self {
        InvitationView {
            token: None,
            url: None,
            note: Some(SHOWN_ONCE.into()),
            ..Self::shown(invitation)
        }
    }
}

impl From<Organization> for OrganizationView {
    fn from(org: Organization) -> Self {
        OrganizationView {
            sign_in_code: crate::domain::sign_in_code(org.id, &org.region),
            id: org.id,
            kind: org.kind.as_str().into(),
            name: org.name,
            region: org.region.to_string(),
            credit_code: org.credit_code,
            company_type: org.company_type.map(String::from),
            actual_controller: org.actual_controller,
            created_at: org.created_at,
            suspended_at: org.suspended_at,
            district: org.district,
        }
    }
}

/// Registers a company, provider or regulator and invites its first
/// administrator. Operators register anything; regulators register
/// companies and providers of their own region.
#[utoipa::path(
    post, path = "/api/v1/organizations", tag = "identity",
    request_body = NewOrganizationRequest,
    params(("Idempotency-Key" = String, Header, description = "1–255 printable ASCII characters")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Registered", body = OrganizationCreated),
        (status = 400, description = "Missing Idempotency-Key or malformed JSON", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Credit code already registered, or key in flight", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field or credit code (`invalid_credit_code`)", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/organizations", data = "<req>")]
pub async fn create(app: &State<App>, req: Idempotent<NewOrganizationRequest>) -> ApiResult<Reply> {
    let r = req.body;
    let op = RegisterOrganization {
        kind: r.kind,
        name: r.name,
        region: r.region,
        credit_code: r.credit_code,
        company_type: r.company_type,
        actual_controller: r.actual_controller,
        district: r.district,
    };
    req.once
        .run_redacted(app, op, |_| Status::Created, created, kept)
        .await
}

/// The first answer: with the invitation's token.
fn created(r: &Registered) -> OrganizationCreated {
    OrganizationCreated {
        organization: r.organization.clone().into(),
        invitation: InvitationView::shown(&r.invitation),
    }
}

/// What a repeat gets: the same without the token.
fn kept(r: &Registered) -> OrganizationCreated {
    OrganizationCreated {
        organization: r.organization.clone().into(),
        invitation: InvitationView::kept(&r.invitation),
    }
}

/// What a repeat says instead of an invitation's token.
const SHOWN_ONCE: &str = "the invitation is shown once, in the first answer; \
     while the organisation has no administrator, its registrar can invite one again";

/// Reads an organisation: operators, the organisation itself, and regulators
/// of its region; anyone else gets 404.
#[utoipa::path(
    get, path = "/api/v1/organizations/{id}", tag = "identity",
    params(("id" = Uuid, Path, description = "Organisation id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The organisation", body = OrganizationView),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/organizations/<id>")]
pub async fn read(app: &State<App>, caller: Caller, id: &str) -> ApiResult<Json<OrganizationView>> {
    let org = identity::find_organization(&app.service.db, &caller.0, path_id(id)?).await?;
    Ok(Json(org.into()))
}

fn view(org: &Organization) -> OrganizationView {
    org.clone().into()
}

/// Suspends an organisation: its people cannot sign in (their sessions end
/// at once) and it gets no new token; tokens already issued live out their
/// lifetime. Its registrar only: an operator for a regulator, a regulator
/// of its region for a company or provider.
#[utoipa::path(
    post, path = "/api/v1/organizations/{id}/suspend", tag = "identity",
    params(
        ("id" = Uuid, Path, description = "Organisation id"),
        ("Idempotency-Key" = String, Header, description = "1–255 printable ASCII characters"),
    ),
    request_body = EmptyRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Suspended (suspending twice changes nothing)", body = OrganizationView),
        (status = 400, description = "Missing Idempotency-Key or malformed JSON", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not its registrar", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Key in flight", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Malformed body", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/organizations/<id>/suspend", data = "<req>")]
pub async fn suspend(
    app: &State<App>,
    id: &str,
    req: Idempotent<EmptyRequest>,
) -> ApiResult<Reply> {
    let op = Suspend {
        organization_id: path_id(id)?,
        suspended: true,
    };
    req.once.run(app, op, |_| Status::Ok, view).await
}

/// Reinstates a suspended organisation. Its registrar only.
#[utoipa::path(
    post, path = "/api/v1/organizations/{id}/reinstate", tag = "identity",
    params(
        ("id" = Uuid, Path, description = "Organisation id"),
        ("Idempotency-Key" = String, Header, description = "1–255 printable ASCII characters"),
    ),
    request_body = EmptyRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Reinstated (reinstating twice changes nothing)", body = OrganizationView),
        (status = 400, description = "Missing Idempotency-Key or malformed JSON", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not its registrar", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Key in flight", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Malformed body", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/organizations/<id>/reinstate", data = "<req>")]
pub async fn reinstate(
    app: &State<App>,
    id: &str,
    req: Idempotent<EmptyRequest>,
) -> ApiResult<Reply> {
    let op = Suspend {
        organization_id: path_id(id)?,
        suspended: false,
    };
    req.once.run(app, op, |_| Status::Ok, view).await
}
