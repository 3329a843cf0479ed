//! Suspending an organisation: its registrar (an operator for a regulator,
//! the region's regulator for a company or provider) stops it from acting
//! — its people cannot sign in and their sessions end, its API clients and
//! its people get no new token (tokens already issued live out their
//! lifetime, at most `token_ttl_secs`) — and may reinstate it. Nothing of
//! its records changes.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::identity::{to_organization, Organization};
use super::{engine, Ctx, Done, Operation, ServiceResult};
use crate::domain::{access, DomainError};
use crate::store::entities::{organizations, users};

/// Suspends (or, with `suspended: false`, reinstates) an organisation.
/// Doing it twice changes nothing.
///
/// Refusals, in the order they are checked:
/// 1. `not_found`: no such organisation, or the caller may not see it.
/// 2. `forbidden`: the caller is not its registrar (an operator for a
///    regulator, a regulator of its region for a company or provider), or
///    is the organisation itself.
#[derive(Debug, Clone)]
pub struct Suspend {
    pub organization_id: Uuid,
    pub suspended: bool,
}

impl Operation for Suspend {
    type Output = Organization;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Organization>> {
        let org = organizations::Entity::find_by_id(self.organization_id)
            .one(txn)
            .await?
            .ok_or(DomainError::NotFound)?;
        access::may_suspend(&ctx.actor, org.id, org.kind, &org.region)?;
        if org.suspended_at.is_some() == self.suspended {
            return Ok(Done::unrecorded(to_organization(org)));
        }
        let at = self.suspended.then_some(ctx.now);
        organizations::Entity::update_many()
            .col_expr(organizations::Column::SuspendedAt, Expr::value(at))
            .filter(organizations::Column::Id.eq(org.id))
            .exec(txn)
            .await?;
        if self.suspended {
            let people = users::Entity::find()
                .filter(users::Column::OrganizationId.eq(org.id))
                .all(txn)
                .await?;
            for person in people {
                super::sessions::end_all(txn, person.id).await?;
            }
        }
        let org = to_organization(organizations::Model {
            suspended_at: at,
            ..org
        });
        let action = if self.suspended {
            "organization.suspend"
        } else {
            "organization.reinstate"
        };
        let event = engine::entry(
            &org.region,
            action,
            "organization",
            org.id.to_string(),
            &serde_json::json!({ "organization": &org }),
        )?;
        Ok(Done {
            value: org,
            events: vec![event],
        })
    }
}
