//! Requests that change state: the [`Idempotent`] data guard bundles the
//! caller, its `Idempotency-Key`, the request's fingerprint and its parsed
//! body; [`Once::run`] hands the operation to the service pipeline and turns
//! the result into the answer a repeat will get again.

use rocket::data::{self, Data, FromData};
use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::body::JsonBody;
use super::reply::Reply;
use crate::api::auth::Caller;
use crate::api::error::ApiError;
use crate::service::engine::{IdempotencyKey, KeyedRequest};
use crate::service::{Answer, Call, Executed, Operation, ServiceError};
use crate::App;

/// The `Idempotency-Key` header: 1–255 printable ASCII characters.
#[rocket::async_trait]
impl<'r> FromRequest<'r> for IdempotencyKey {
    type Error = ApiError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ApiError> {
        let refuse = |detail: &str| {
            let err = ApiError::new(Status::BadRequest, "idempotency_key_required", detail);
            Outcome::Error((Status::BadRequest, err.stash(req)))
        };
        match req.headers().get_one("Idempotency-Key") {
            None => refuse("this request needs an Idempotency-Key header"),
            Some(key) => match IdempotencyKey::parse(key) {
                Some(key) => Outcome::Success(key),
                None => refuse("the Idempotency-Key must be 1 to 255 printable ASCII characters"),
            },
        }
    }
}

/// A state-changing request: who calls, with which key, and what it sent.
/// Checked in this order: the bearer token (401), the key (400), the body
/// (400/413/415/422).
#[derive(Debug)]
pub struct Idempotent<T> {
    pub once: Once,
    pub body: T,
}

/// The call and key of an [`Idempotent`] request, once its body is taken.
#[derive(Debug)]
pub struct Once {
    call: Call,
    key: KeyedRequest,
}

#[rocket::async_trait]
impl<'r, T: DeserializeOwned + Send> FromData<'r> for Idempotent<T> {
    type Error = ApiError;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        let (actor, key) = match caller_and_key(req).await {
            Ok(found) => found,
            Err(e) => return data::Outcome::Error(e),
        };
        let body = match JsonBody::<T>::from_data(req, data).await {
            data::Outcome::Success(body) => body,
            data::Outcome::Error(e) => return data::Outcome::Error(e),
            data::Outcome::Forward(f) => return data::Outcome::Forward(f),
        };
        data::Outcome::Success(Idempotent {
            once: Once::new(req, actor, key, body.fingerprint),
            body: body.value,
        })
    }
}

/// The caller (401 without a token) and its `Idempotency-Key` (400
/// without one) of a state-changing request.
pub async fn caller_and_key(
    req: &Request<'_>,
) -> Result<(crate::domain::Actor, IdempotencyKey), (Status, ApiError)> {
    let actor = match Caller::from_request(req).await {
        Outcome::Success(Caller(actor)) => actor,
        Outcome::Error(e) => return Err(e),
        Outcome::Forward(_) => {
            let err = ApiError::unauthorized("a bearer token is required");
            return Err((err.status, err.stash(req)));
        }
    };
    match IdempotencyKey::from_request(req).await {
        Outcome::Success(key) => Ok((actor, key)),
        Outcome::Error(e) => Err(e),
        Outcome::Forward(_) => unreachable!("the key guard never forwards"),
    }
}

impl Once {
    /// The call of `actor` with `key`, for a request of `fingerprint`.
    pub fn new(
        req: &Request<'_>,
        actor: crate::domain::Actor,
        key: IdempotencyKey,
        fingerprint: String,
    ) -> Self {
        Once {
            key: KeyedRequest {
                scope: actor.sub.to_string(),
                key: key.clone(),
                fingerprint,
            },
            call: Call {
                via: via_of(&actor),
                actor,
                request_id: Some(crate::telemetry::request_id(req).to_owned()),
                idempotency_key: Some(key),
            },
        }
    }

    /// The same request, fingerprinted by `parts` instead of its raw body:
    /// for bodies with a secret, whose fast hash must not be stored. A
    /// repeat with another secret and the same parts replays the first
    /// answer.
    pub fn fingerprinted(mut self, parts: &[&str]) -> Self {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        self.key.fingerprint = hex::encode(hasher.finalize());
        self
    }

    /// Who calls, and through which request.
    pub fn call(&self) -> &Call {
        &self.call
    }

    /// Runs `op` at most once for this key and answers with `status` and the
    /// JSON of `view` — or the problem document of its refusal; a repeat gets
    /// the same answer.
    pub async fn run<O, V>(
        self,
        app: &App,
        op: O,
        status: fn(&O::Output) -> Status,
        view: fn(&O::Output) -> V,
    ) -> Result<Reply, ApiError>
    where
        O: Operation,
        V: Serialize + 'static,
    {
        self.run_redacted(app, op, status, view, view).await
    }

    /// The same, but what is kept for a repeat is `kept` — the answer
    /// without what may be shown only once (a client secret).
    pub async fn run_redacted<O, V, K>(
        self,
        app: &App,
        op: O,
        status: fn(&O::Output) -> Status,
        view: fn(&O::Output) -> V,
        kept: fn(&O::Output) -> K,
    ) -> Result<Reply, ApiError>
    where
        O: Operation,
        V: Serialize,
        K: Serialize + 'static,
    {
        let render = move |result: Result<&O::Output, &ServiceError>| match result {
            Ok(value) => answer(status(value), &kept(value)),
            Err(e) => problem(ApiError::from(e.clone())),
        };
        match app
            .service
            .execute_once(self.call, self.key, op, render)
            .await
        {
            Ok(Executed::Ran { value, .. }) => Ok(answer(status(&value), &view(&value)).into()),
            Ok(Executed::Replayed(answer)) => Ok(Reply::from(answer)),
            Err(e) => Err(e.into()),
        }
    }
}

fn answer<V: Serialize>(status: Status, view: &V) -> Answer {
    match serde_json::to_string(view) {
        Ok(body) => Answer {
            status: status.code,
            body,
        },
        Err(e) => problem(ApiError::internal().with_cause(format!("serialising an answer: {e}"))),
    }
}

fn problem(err: ApiError) -> Answer {
    Answer {
        status: err.status.code,
        body: err.body(),
    }
}

/// How a caller came, for the audit trail: `api` for a person's token.
pub fn via_of(actor: &crate::domain::Actor) -> Option<&'static str> {
    actor.person.map(|_| "api")
}
