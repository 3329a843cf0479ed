//! One error type for the API, rendered as `application/problem+json`
//! (RFC 9457) with a stable `code`, and the catchers that give Rocket's own
//! failures the same shape.

use std::io::Cursor;
use std::sync::Mutex;

use rocket::http::{ContentType, Header, Status};
use rocket::response::{self, Responder};
use rocket::{Request, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{DomainError, Refusal, Rule};
use crate::service::ServiceError;

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The field, as a dotted path (`redemption_ids[2]`).
    pub field: String,
    pub message: String,
}

/// The rule behind a refusal and the figures it compared: amounts as
/// decimal strings (`"40000.00"`), days as `YYYY-MM-DD`, lists as
/// comma-separated codes; `null` where the rule compares no such figure.
/// By code (`id`: limit / used / requested / allowed):
/// `annual_cap_exceeded` (`enterprise_cap`, `team_cap`: the cap / issued
/// to the actual controller this year / the amount / what is left);
/// `share_exceeded` (`contract_share`: share × contract / – / the amount /
/// the same as limit; `share`, `base` = the contract amount);
/// `budget_exceeded` (`appropriation`: appropriated / issued / the amount /
/// unissued); `cross_region_budget_exceeded` (`cross_region_budget_share`:
/// share × appropriation / held or completed outside / the amount / what is
/// left; `share`, `base`); `insufficient_balance` (`voucher_balance`: face
/// value / face value − available / the amount / available);
/// `provider_not_admitted` (`admits_provider_regions`: – / – / the
/// provider's region / the regions admitted; or `admission`);
/// `category_not_eligible` (`categories`, `admitted_categories`: – / – /
/// the category / the categories allowed); `related_party`
/// (`related_party`: used = `credit_code` or `actual_controller`);
/// `voucher_expired` (`use_deadline`) and `claim_deadline_passed`
/// (`claim_deadline`): the last day / – / today / –; `duplicate_contract`
/// (`contract_no`) and `duplicate_invoice` (`invoice_no`): requested = the
/// number. docs/rules.md has the same table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RuleProblem {
    /// The policy key or rule name (`contract_share`, `enterprise_cap`, …).
    pub id: String,
    /// The issuing region whose rule it is.
    pub region: Option<String>,
    /// The `effective_from` of the policy version applied.
    pub policy_version: Option<String>,
    /// Where the policy version's numbers come from.
    pub source: Option<String>,
    /// The most the rule allows.
    pub limit: Option<String>,
    /// What was already used against the limit.
    pub used: Option<String>,
    /// What the request asked for.
    pub requested: Option<String>,
    /// The most that would have passed.
    pub allowed: Option<String>,
    /// For a share rule: the share (`"0.5"`)…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<String>,
    /// …and the amount it is a share of.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
}

impl From<&Rule> for RuleProblem {
    fn from(rule: &Rule) -> Self {
        let text = |f: &Option<crate::domain::Figure>| f.as_ref().map(ToString::to_string);
        RuleProblem {
            id: rule.id.to_owned(),
            region: rule.region.as_ref().map(ToString::to_string),
            policy_version: rule
                .policy_version
                .map(|d| d.format("%Y-%m-%d").to_string()),
            source: rule.source.clone(),
            limit: text(&rule.limit),
            used: text(&rule.used),
            requested: text(&rule.requested),
            allowed: text(&rule.allowed),
            share: rule.share.map(|s| s.normalize().to_string()),
            base: rule.base.map(|b| b.to_string()),
        }
    }
}

/// A problem document: what every error response carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`urn:voucher-ledger:problem:<code>`).
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The stable machine code (api.md).
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// On a rule's refusal: the rule and its figures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleProblem>,
}

/// An error answer of the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: Status,
    pub code: &'static str,
    pub detail: String,
    pub errors: Vec<FieldProblem>,
    /// What went wrong inside, for the log only; never sent.
    pub cause: Option<Box<str>>,
    /// Seconds after which a retry may succeed (`Retry-After`); 503 answers
    /// say 5 unless told otherwise.
    pub retry_after: Option<u32>,
    /// The methods a path allows (`Allow`, with 405).
    pub allow: Option<Box<str>>,
    /// The rule behind a refusal.
    pub rule: Option<Box<Rule>>,
}

impl ApiError {
    /// An error with a status, a code and a message for people.
    pub fn new(status: Status, code: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            cause: None,
            retry_after: None,
            allow: None,
            rule: None,
        }
    }

    /// Attaches an internal cause, logged with the request id.
    pub fn with_cause(mut self, cause: impl Into<String>) -> Self {
        self.cause = Some(cause.into().into_boxed_str());
        self
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(Status::Unauthorized, "unauthorized", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(Status::Forbidden, "forbidden", detail)
    }

    pub fn not_found() -> Self {
        Self::new(Status::NotFound, "not_found", "no such resource")
    }

    pub fn validation(errors: Vec<FieldProblem>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            _ => "some fields are invalid".to_owned(),
        };
        ApiError {
            errors,
            ..Self::new(Status::UnprocessableEntity, "validation_failed", detail)
        }
    }

    pub fn unavailable() -> Self {
        Self::new(
            Status::ServiceUnavailable,
            "unavailable",
            "the database cannot be reached; retry shortly",
        )
    }

    pub fn internal() -> Self {
        Self::new(
            Status::InternalServerError,
            "internal_error",
            "an unexpected error occurred; it has been logged",
        )
    }

    /// The problem document of this error.
    pub fn problem(&self) -> Problem {
        Problem {
            kind: format!("urn:voucher-ledger:problem:{}", self.code),
            title: self.status.reason_lossy().to_owned(),
            status: self.status.code,
            detail: self.detail.clone(),
            code: self.code.to_owned(),
            errors: self.errors.clone(),
            rule: self.rule.as_deref().map(RuleProblem::from),
        }
    }

    /// The problem document as JSON text.
    pub fn body(&self) -> String {
        serde_json::to_string(&self.problem()).expect("a problem serialises")
    }

    /// Remembers this error for the catcher that will answer the request,
    /// so that guard and data-guard failures keep their code and detail.
    pub fn stash(self, req: &Request<'_>) -> Self {
        let slot = req.local_cache(|| StashedError(Mutex::new(None)));
        *slot.0.lock().expect("stash lock") = Some(self.clone());
        self
    }
}

struct StashedError(Mutex<Option<ApiError>>);

impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> Self {
        match err {
            DomainError::Validation(errors) => ApiError::validation(
                errors
                    .into_iter()
                    .map(|e| FieldProblem {
                        field: e.field,
                        message: e.message,
                    })
                    .collect(),
            ),
            DomainError::InvalidCreditCode(detail) => {
                ApiError::new(Status::UnprocessableEntity, "invalid_credit_code", detail)
            }
            DomainError::Forbidden(detail) => ApiError::forbidden(detail),
            DomainError::NotFound => ApiError::not_found(),
            DomainError::Conflict(detail) => ApiError::new(Status::Conflict, "conflict", detail),
            DomainError::Refused(refusal, detail, rule) => {
                let status = if refusal == Refusal::InvalidState {
                    Status::Conflict
                } else {
                    Status::UnprocessableEntity
                };
                ApiError {
                    rule,
                    ..ApiError::new(status, refusal.code(), detail)
                }
            }
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Domain(e) => e.into(),
            ServiceError::Unauthorized => ApiError::unauthorized("invalid client credentials"),
            ServiceError::IdempotencyKeyReused => ApiError::new(
                Status::UnprocessableEntity,
                "idempotency_key_reused",
                "this Idempotency-Key was used with a different request",
            ),
            ServiceError::IdempotencyInProgress => ApiError::new(
                Status::Conflict,
                "idempotency_in_progress",
                "a request with this Idempotency-Key is still being processed",
            ),
            ServiceError::Busy => ApiError {
                detail: "the service is busy; retry shortly".into(),
                retry_after: Some(1),
                ..ApiError::unavailable()
            },
            ServiceError::TooManyAttempts { retry_after_secs } => ApiError {
                retry_after: Some(retry_after_secs.min(u32::MAX as u64) as u32),
                ..ApiError::new(
                    Status::TooManyRequests,
                    "too_many_requests",
                    "too many failed logins; retry later",
                )
            },
            ServiceError::QueueFull { retry_after_secs } => ApiError {
                retry_after: Some(retry_after_secs.min(u32::MAX as u64) as u32),
                ..ApiError::new(
                    Status::TooManyRequests,
                    "too_many_requests",
                    "too many replays of this region are waiting; retry later",
                )
            },
            ServiceError::Unavailable(cause) => ApiError::unavailable().with_cause(cause),
            ServiceError::Contention(cause) => ApiError {
                detail: "the ledger is busy; retry shortly".into(),
                retry_after: Some(1),
                ..ApiError::unavailable().with_cause(cause)
            },
            ServiceError::Internal(cause) => ApiError::internal().with_cause(cause),
        }
    }
}

impl<'r> Responder<'r, 'static> for ApiError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        if self.status.code >= 500 {
            tracing::error!(
                request_id = %crate::telemetry::request_id(req),
                code = self.code,
                cause = self.cause.as_deref().unwrap_or("-"),
                "request failed"
            );
        }
        let body = self.body();
        let mut response = Response::build();
        response
            .status(self.status)
            .header(problem_json())
            .sized_body(body.len(), Cursor::new(body));
        if self.status == Status::Unauthorized {
            response.header(Header::new("WWW-Authenticate", "Bearer"));
        }
        if let Some(allow) = self.allow {
            response.header(Header::new("Allow", String::from(allow)));
        }
        match self.retry_after {
            Some(secs) => {
                response.header(Header::new("Retry-After", secs.to_string()));
            }
            None if self.status == Status::ServiceUnavailable => {
                response.header(Header::new("Retry-After", "5"));
            }
            None => {}
        }
        response.ok()
    }
}

/// `application/problem+json`.
pub fn problem_json() -> ContentType {
    ContentType::new("application", "problem+json")
}

/// The result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;

/// The problem document that answers a failed request when no handler
/// gave one (the API's catcher).
pub fn caught(status: Status, req: &Request<'_>) -> ApiError {
    let stashed = req
        .local_cache(|| StashedError(Mutex::new(None)))
        .0
        .lock()
        .expect("stash lock")
        .clone();
    if let Some(err) = stashed.filter(|e| e.status == status) {
        return err;
    }
    match status.code {
        // Rocket answers a method it does not know (QUERY, made-up ones)
        // with a bare 400 before any route runs: on a known path, that is a
        // method the path does not take.
        400 => match path_methods(req) {
            Some(allow) => ApiError {
                allow: Some(allow.into()),
                ..ApiError::new(
                    Status::MethodNotAllowed,
                    "method_not_allowed",
                    "this path does not take that method",
                )
            },
            None => ApiError::new(status, "validation_failed", "the request is malformed"),
        },
        401 => ApiError::unauthorized("a valid bearer token is required"),
        403 => ApiError::forbidden("not allowed"),
        404 => match allowed_methods(req) {
            Some(allow) => ApiError {
                allow: Some(allow.into()),
                ..ApiError::new(
                    Status::MethodNotAllowed,
                    "method_not_allowed",
                    format!("this path does not take {}", req.method()),
                )
            },
            None => ApiError::new(status, "not_found", "no such resource or route"),
        },
        413 => ApiError::new(
            status,
            "payload_too_large",
            "the request body is over 64 KiB",
        ),
        415 => ApiError::new(status, "unsupported_media_type", "send application/json"),
        422 => ApiError::new(status, "validation_failed", "the request body is invalid"),
        503 => ApiError::unavailable(),
        500..=599 => ApiError::internal(),
        _ => ApiError::new(status, "validation_failed", status.reason_lossy()),
    }
}

/// When no route takes the request's method at its path but some route
/// takes another: those methods, for `Allow`.
fn allowed_methods(req: &Request<'_>) -> Option<String> {
    let methods = path_methods(req)?;
    (!methods.split(", ").any(|m| m == req.method().as_str())).then_some(methods)
}

/// The methods the routes at the request's path take (`GET` implies
/// `HEAD`), if any route is there.
fn path_methods(req: &Request<'_>) -> Option<String> {
    let path: Vec<&str> = req.uri().path().segments().collect();
    let mut methods: Vec<&str> = req
        .rocket()
        .routes()
        .filter(|route| route_matches(route.uri.path(), &path))
        .map(|route| route.method.as_str())
        .collect();
    if methods.is_empty() {
        return None;
    }
    if methods.contains(&"GET") {
        methods.push("HEAD");
    }
    methods.sort_unstable();
    methods.dedup();
    Some(methods.join(", "))
}

/// Whether a route's path template (`/api/v1/claims/<id>/pay`) matches the
/// segments of a request path.
fn route_matches(template: &str, path: &[&str]) -> bool {
    let template: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
    let mut segments = path.iter();
    for part in template {
        if part.starts_with('<') && part.ends_with("..>") {
            return true;
        }
        match segments.next() {
            Some(segment) if part.starts_with('<') || part == *segment => {}
            _ => return false,
        }
    }
    segments.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::route_matches;

    #[test]
    fn paths_match_route_templates() {
        let pay = "/api/v1/claims/<id>/pay";
        assert!(route_matches(pay, &["api", "v1", "claims", "x", "pay"]));
        assert!(!route_matches(pay, &["api", "v1", "claims", "x"]));
        assert!(!route_matches(
            pay,
            &["api", "v1", "claims", "x", "pay", "y"]
        ));
        assert!(!route_matches(pay, &["api", "v1", "vouchers", "x", "pay"]));
        assert!(route_matches("/docs/<_..>", &["docs", "a", "b"]));
        assert!(route_matches("/health", &["health"]));
    }
}
