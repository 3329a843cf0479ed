//! A person's second factor: `POST /api/v1/me/second-factor` starts the
//! enrolment (a new secret for an authenticator app), and
//! `POST /api/v1/me/second-factor/confirm` puts it in force with a code of
//! the app (answering the recovery codes, once). Neither takes an
//! `Idempotency-Key`: starting again draws a new secret, and confirming
//! twice is refused.

use rocket::serde::json::Json;
use rocket::{post, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::body::JsonBody;
use super::redemptions::EmptyRequest;
use crate::api::error::ApiResult;
use crate::service::second_factor::{self, Enrolment};
use crate::App;

/// What an authenticator app needs.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrolmentView {
    /// The secret, base32, to type in when the QR code cannot be scanned.
    #[schema(example = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")]
    pub secret: String,
    /// The `otpauth://totp/…` address the QR code holds.
    pub otpauth_url: String,
    /// The QR code, an SVG document.
    pub qr_svg: String,
}

impl From<Enrolment> for EnrolmentView {
    fn from(e: Enrolment) -> Self {
        EnrolmentView {
            secret: e.secret,
            otpauth_url: e.otpauth_url,
            qr_svg: e.qr_svg,
        }
    }
}

/// A code of the authenticator app.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    #[schema(example = "492039")]
    pub code: String,
}

/// The recovery codes: each signs in once instead of a code of the app.
/// Shown this once; keep them somewhere safe.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodesView {
    pub recovery_codes: Vec<String>,
}

/// Starts the enrolment of the person of the token: a new secret (any
/// earlier one not confirmed is replaced). Regulators' and operators'
/// people must enrol before they change anything.
#[utoipa::path(
    post, path = "/api/v1/me/second-factor", tag = "identity",
    request_body = EmptyRequest, security(("bearer" = [])),
    responses(
        (status = 200, description = "A secret for an authenticator app", body = EnrolmentView),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "An API client, not a person", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_state`: enrolled already", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/me/second-factor", data = "<body>")]
pub async fn start(
    app: &State<App>,
    caller: Caller,
    body: JsonBody<EmptyRequest>,
) -> ApiResult<Json<EnrolmentView>> {
    let _ = body.value;
    let enrolment = second_factor::start(&app.service, &caller.0, "api").await?;
    Ok(Json(enrolment.into()))
}

/// Puts the second factor of the person of the token in force with a code
/// of their app: from now on they sign in with a code too; every session
/// of theirs ends (their tokens go on until they expire).
#[utoipa::path(
    post, path = "/api/v1/me/second-factor/confirm", tag = "identity",
    request_body = CodeRequest, security(("bearer" = [])),
    responses(
        (status = 200, description = "In force: the recovery codes, shown once", body = RecoveryCodesView),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "An API client, not a person", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_state`: not started, or enrolled already", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed` (`code`): not the app's code now", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/me/second-factor/confirm", data = "<body>")]
pub async fn confirm(
    app: &State<App>,
    caller: Caller,
    body: JsonBody<CodeRequest>,
) -> ApiResult<Json<RecoveryCodesView>> {
    let code = body.value.code;
    let recovery_codes = second_factor::confirm(&app.service, &caller.0, "api", &code).await?;
    Ok(Json(RecoveryCodesView { recovery_codes }))
}
