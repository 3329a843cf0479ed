//! The first level of two-level review: the regulator of an application's
//! district recommends it to the region (or rejects it, as
//! [`super::applications::RejectApplication`] does at either level).

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::applications::{find, Application};
use super::locks::lock_for_review;
use super::{Ctx, Done, Operation, ServiceResult};
use crate::domain::review::{ReviewLevel, REASON_FOR_LESS};
use crate::domain::text;
use crate::domain::{Amount, DomainError, Money};
use crate::store::entities::applications;

/// The regulator of the application's district reviews it at the first
/// level and recommends it to the region for `amount` (default: the
/// amount requested); the region's regulator then decides it.
///
/// Refusals, in the order they are checked:
/// 1. `validation_failed` (`reason`): over 1000 characters, or with control
///    (other than line breaks), zero-width or bidi characters.
/// 2. `forbidden`: the caller is not a district's regulator.
/// 3. `not_found`: the application does not exist or is of another
///    district.
/// 4. `invalid_state`: the application is already decided, or already
///    recommended.
/// 5. `validation_failed` (`amount`): more than the amount requested;
///    (`reason`): none given for recommending less.
#[derive(Debug, Clone)]
pub struct RecommendApplication {
    pub id: Uuid,
    pub amount: Option<Amount>,
    pub reason: Option<String>,
}

impl Operation for RecommendApplication {
    type Output = Application;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Application>> {
        let reason = text::clean_optional("reason", self.reason.as_deref().unwrap_or(""), 1000)?;
        let app = lock_for_review(txn, &ctx.actor, self.id).await?;
        let requested = Money::from_fen(app.amount);
        let amount = self.amount.map(Amount::money).unwrap_or(requested);
        if amount > requested {
            return Err(
                DomainError::field("amount", format!("at most the {requested} requested")).into(),
            );
        }
        if amount < requested && reason.is_empty() {
            return Err(DomainError::field("reason", REASON_FOR_LESS).into());
        }
        applications::Entity::update_many()
            .col_expr(
                applications::Column::Level,
                Expr::value(ReviewLevel::Region),
            )
            .col_expr(applications::Column::Recommended, Expr::value(amount.fen()))
            .col_expr(
                applications::Column::ReviewReason,
                Expr::value((!reason.is_empty()).then_some(reason)),
            )
            .col_expr(applications::Column::ReviewedBy, Expr::value(ctx.actor.sub))
            .col_expr(applications::Column::ReviewedAt, Expr::value(ctx.now))
            .filter(applications::Column::Id.eq(app.id))
            .exec(txn)
            .await?;
        let application = find(txn, &ctx.actor, self.id).await?;
        Done::recorded(application, "application.recommend", "application")
    }
}
