//! The `Idempotency-Key` header and the wrapper every `POST` acts through.

use futures::future::BoxFuture;
use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use sea_orm::DatabaseTransaction;

use super::reply::Reply;
use crate::audit::{self, Origin};
use crate::error::ApiError;
use crate::service::idempotency::{self, Claim, KeyedRequest};
use crate::service::Ctx;
use crate::service::ServiceError;
use crate::App;

/// The `Idempotency-Key` header (1–255 printable ASCII characters), with the
/// request id the audit trail records beside it.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub key: String,
    pub request_id: String,
}

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
            Some(key)
                if (1..=255).contains(&key.len())
                    && key.bytes().all(|b| (0x20..0x7f).contains(&b)) =>
            {
                Outcome::Success(IdempotencyKey {
                    key: key.to_owned(),
                    request_id: crate::telemetry::request_id(req).to_owned(),
                })
            }
            Some(_) => refuse("the Idempotency-Key must be 1 to 255 printable ASCII characters"),
        }
    }
}

/// Work done inside the request's transaction.
pub type Work<'t> = BoxFuture<'t, Result<Reply, ApiError>>;

/// Runs `work` at most once per caller and key: a first request acts in one
/// transaction that also stores its answer (an error answer too); a repeat
/// with the same body gets that answer again; a repeat with another body is
/// refused. Failures of the server itself (5xx) are not stored, so a retry
/// acts.
pub async fn run<F>(
    app: &App,
    ctx: &Ctx,
    key: IdempotencyKey,
    fingerprint: String,
    work: F,
) -> Result<Reply, ApiError>
where
    F: for<'t> FnOnce(&'t DatabaseTransaction) -> Work<'t>,
{
    let origin = Origin {
        actor_sub: ctx.actor.sub.to_string(),
        actor_role: ctx.actor.role.as_str().into(),
        actor_region: ctx.actor.region.as_ref().map(|r| r.to_string()),
        request_id: Some(key.request_id),
        idempotency_key: Some(key.key.clone()),
    };
    let request = KeyedRequest {
        scope: ctx.actor.sub.to_string(),
        key: key.key,
        fingerprint,
    };
    let lease = match idempotency::claim(&app.db, &request, app.idempotency_lease).await? {
        Claim::Replay(stored) => return Ok(Reply::replay(stored)),
        Claim::Fresh(lease) => lease,
    };
    let outcome = act(app, ctx, &origin, &lease, work).await;
    if let Err(err) = &outcome {
        if err.status.code >= 500 || err.code == "idempotency_in_progress" {
            // Nothing was stored; let a retry act. A failure to release is
            // healed by the lease timing out.
            let _ = idempotency::release(&app.db, &lease).await;
        }
    }
    outcome
}

async fn act<F>(
    app: &App,
    ctx: &Ctx,
    origin: &Origin,
    lease: &idempotency::Lease,
    work: F,
) -> Result<Reply, ApiError>
where
    F: for<'t> FnOnce(&'t DatabaseTransaction) -> Work<'t>,
{
    let txn = app.db.begin_write().await.map_err(ServiceError::from)?;
    let err = match work(&txn).await {
        Ok(reply) => {
            let recorded = async {
                crate::ledger::roll_up(&txn, ctx.operation).await?;
                for entry in reply.audit.iter().cloned() {
                    audit::append(&txn, ctx.operation, ctx.now, origin, entry).await?;
                }
                idempotency::complete(&txn, lease, &reply.stored()).await
            };
            return match recorded.await {
                Ok(()) => {
                    txn.commit().await.map_err(ServiceError::from)?;
                    Ok(reply)
                }
                Err(e) => {
                    let _ = txn.rollback().await;
                    Err(e.into())
                }
            };
        }
        Err(err) => err,
    };
    // Undo whatever the work wrote; a refusal is then kept as the answer.
    txn.rollback().await.map_err(ServiceError::from)?;
    if err.status.code >= 500 {
        return Err(err);
    }
    let txn = app.db.begin_write().await.map_err(ServiceError::from)?;
    if let Err(e) = idempotency::complete(&txn, lease, &Reply::from_error(&err).stored()).await {
        let _ = txn.rollback().await;
        return Err(e.into());
    }
    txn.commit().await.map_err(ServiceError::from)?;
    Err(err)
}

/// Makes a `Work` from an async block.
#[macro_export]
macro_rules! work {
    (|$txn:ident| $body:expr) => {
        |$txn| -> $crate::api::idempotent::Work<'_> { Box::pin(async move { $body }) }
    };
}
