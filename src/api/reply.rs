//! A response with a status and a JSON body, as stored for idempotent replay.

use std::io::Cursor;

use rocket::http::{ContentType, Status};
use rocket::response::{self, Responder};
use rocket::{Request, Response};
use serde::Serialize;

use crate::audit::Entry;
use crate::domain::Region;
use crate::error::{problem_json, ApiError};
use crate::service::idempotency::StoredResponse;

/// A finished answer: status and JSON text (a problem document when the
/// status is an error).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: Status,
    pub body: String,
    /// What the change records in the audit trail (not kept for replays).
    pub audit: Vec<Entry>,
}

impl Reply {
    /// `value` as JSON with `status`.
    pub fn json<T: Serialize>(status: Status, value: &T) -> Result<Self, ApiError> {
        let body = serde_json::to_string(value)
            .map_err(|e| ApiError::internal().with_cause(format!("serialising a response: {e}")))?;
        Ok(Reply {
            status,
            body,
            audit: Vec::new(),
        })
    }

    /// Records the change in `region`'s audit trail, with `entity` as the
    /// payload.
    pub fn audit<T: Serialize>(
        mut self,
        region: &str,
        action: &'static str,
        entity_type: &'static str,
        entity_id: impl ToString,
        entity: &T,
    ) -> Result<Self, ApiError> {
        let region = Region::parse(region).map_err(|_| {
            ApiError::internal().with_cause(format!("audit entry for region `{region}`"))
        })?;
        let payload = serde_json::to_value(entity).map_err(|e| {
            ApiError::internal().with_cause(format!("serialising an audit payload: {e}"))
        })?;
        self.audit.push(Entry {
            region,
            action,
            entity_type,
            entity_id: entity_id.to_string(),
            payload,
        });
        Ok(self)
    }

    /// `entity` as JSON with `status`, recorded in its region's audit trail.
    pub fn recorded<T: Recorded>(
        status: Status,
        action: &'static str,
        entity_type: &'static str,
        entity: &T,
    ) -> Result<Self, ApiError> {
        Reply::json(status, entity)?.audit(
            entity.audit_region(),
            action,
            entity_type,
            entity.audit_id(),
            entity,
        )
    }

    /// The answer that an error gives.
    pub fn from_error(err: &ApiError) -> Self {
        Reply {
            status: err.status,
            body: err.body(),
            audit: Vec::new(),
        }
    }

    /// What idempotency stores.
    pub fn stored(&self) -> StoredResponse {
        StoredResponse {
            status: self.status.code,
            body: self.body.clone(),
        }
    }

    /// A stored answer, to send again.
    pub fn replay(stored: StoredResponse) -> Self {
        Reply {
            status: Status::from_code(stored.status).unwrap_or(Status::InternalServerError),
            body: stored.body,
            audit: Vec::new(),
        }
    }
}

impl<'r> Responder<'r, 'static> for Reply {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let content_type = if self.status.code >= 400 {
            problem_json()
        } else {
            ContentType::JSON
        };
        Response::build()
            .status(self.status)
            .header(content_type)
            .sized_body(self.body.len(), Cursor::new(self.body))
            .ok()
    }
}

/// An entity that names its issuing region and its id in the audit trail.
pub trait Recorded: Serialize {
    fn audit_region(&self) -> &str;
    fn audit_id(&self) -> String;
}

macro_rules! recorded {
    ($($ty:ty => |$e:ident| $id:expr),+ $(,)?) => {
        $(impl Recorded for $ty {
            fn audit_region(&self) -> &str {
                &self.region
            }
            fn audit_id(&self) -> String {
                let $e = self;
                $id.to_string()
            }
        })+
    };
}

recorded!(
    crate::service::vouchers::Application => |e| e.id,
    crate::service::vouchers::Voucher => |e| e.id,
    crate::service::redemptions::Redemption => |e| e.id,
    crate::service::claims::Claim => |e| e.id,
    crate::service::programme::Budget => |e| format!("{}-{}", e.region, e.year),
    crate::service::programme::Admission => |e| e.provider_id,
);
