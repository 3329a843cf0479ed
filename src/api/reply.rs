//! A response with a status and a JSON body, as stored for idempotent replay.

use std::io::Cursor;

use rocket::http::{ContentType, Status};
use rocket::response::{self, Responder};
use rocket::{Request, Response};
use serde::Serialize;

use crate::error::{problem_json, ApiError};
use crate::service::idempotency::StoredResponse;

/// A finished answer: status and JSON text (a problem document when the
/// status is an error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: Status,
    pub body: String,
}

impl Reply {
    /// `value` as JSON with `status`.
    pub fn json<T: Serialize>(status: Status, value: &T) -> Result<Self, ApiError> {
        let body = serde_json::to_string(value)
            .map_err(|e| ApiError::internal().with_cause(format!("serialising a response: {e}")))?;
        Ok(Reply { status, body })
    }

    /// The answer that an error gives.
    pub fn from_error(err: &ApiError) -> Self {
        Reply {
            status: err.status,
            body: err.body(),
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
