//! An answer with a status and a JSON body: what a state change answered,
//! the first time or again for a repeat of its idempotency key.

use std::io::Cursor;

use rocket::http::{ContentType, Status};
use rocket::response::{self, Responder};
use rocket::{Request, Response};

use crate::api::error::problem_json;
use crate::service::Answer;

/// A finished answer: status and JSON text (a problem document when the
/// status is an error).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: Status,
    pub body: String,
}

impl From<Answer> for Reply {
    fn from(answer: Answer) -> Self {
        Reply {
            status: Status::from_code(answer.status).unwrap_or(Status::InternalServerError),
            body: answer.body,
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
