//! Companies rate the services they redeemed: once a redemption is
//! completed, its company may give it 1 to 5 and a comment, and may file it
//! as a complaint — one rating per redemption. The regulator of the
//! voucher's region sees each provider's average, count and complaints.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde::Serialize;
use uuid::Uuid;

use super::{visible, Ctx, Done, Operation, Recorded, ServiceResult};
use crate::domain::access::{self, Action};
use crate::domain::{text, Actor, DomainError, RedemptionStatus, Refusal, Region};
use crate::store::entities::{ratings, redemptions};
use crate::store::is_unique_violation;

/// A rating.
#[derive(Debug, Clone, Serialize)]
pub struct Rating {
    pub id: Uuid,
    pub redemption_id: Uuid,
    pub region: Region,
    pub company_id: Uuid,
    pub provider_id: Uuid,
    pub score: i16,
    pub comment: Option<String>,
    pub complaint: bool,
    pub created_at: DateTime<Utc>,
}

impl From<ratings::Model> for Rating {
    fn from(r: ratings::Model) -> Self {
        Rating {
            id: r.id,
            redemption_id: r.redemption_id,
            region: r.region,
            company_id: r.company_id,
            provider_id: r.provider_id,
            score: r.score,
            comment: r.comment,
            complaint: r.complaint,
            created_at: r.created_at,
        }
    }
}

impl Recorded for Rating {
    fn audit_region(&self) -> &Region {
        &self.region
    }
    fn audit_id(&self) -> String {
        self.redemption_id.to_string()
    }
}

/// The company of a completed redemption rates the service.
///
/// Refusals, in the order they are checked:
/// 1. `forbidden`: the caller is not a company.
/// 2. `validation_failed` (`score`): not 1 to 5; (`comment`): over 1000
///    characters or with control, zero-width or bidi characters.
/// 3. `not_found`: the redemption does not exist or is another company's.
/// 4. `invalid_state`: the redemption is not completed.
/// 5. `conflict`: it was rated already (one rating per redemption).
#[derive(Debug, Clone)]
pub struct RateRedemption {
    pub redemption_id: Uuid,
    pub score: i64,
    pub comment: Option<String>,
    pub complaint: bool,
}

impl Operation for RateRedemption {
    type Output = Rating;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Rating>> {
        access::permit(&ctx.actor, Action::Hold)?;
        let score = i16::try_from(self.score)
            .ok()
            .filter(|s| (1..=5).contains(s))
            .ok_or_else(|| DomainError::field("score", "a score from 1 to 5"))?;
        let comment = match self.comment.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(c) => Some(text::clean_multiline("comment", c, 1000)?),
        };
        let redemption =
            visible::find::<redemptions::Entity, _>(txn, &ctx.actor, self.redemption_id).await?;
        if redemption.company_id != ctx.actor.sub {
            return Err(DomainError::NotFound.into());
        }
        if redemption.status != RedemptionStatus::Completed {
            return Err(DomainError::refused(
                Refusal::InvalidState,
                "only a completed service can be rated",
            )
            .into());
        }
        let conflict = || DomainError::Conflict("this redemption is rated already".into());
        let earlier = ratings::Entity::find()
            .filter(ratings::Column::RedemptionId.eq(redemption.id))
            .one(txn)
            .await?;
        if earlier.is_some() {
            return Err(conflict().into());
        }
        let row = ratings::ActiveModel {
            id: Set(Uuid::now_v7()),
            redemption_id: Set(redemption.id),
            region: Set(redemption.region.clone()),
            company_id: Set(redemption.company_id),
            provider_id: Set(redemption.provider_id),
            score: Set(score),
            comment: Set(comment),
            complaint: Set(self.complaint),
            rated_by: Set(ctx.actor.person.unwrap_or(ctx.actor.sub)),
            created_at: Set(ctx.now),
        };
        let model = match ratings::Entity::insert(row).exec_with_returning(txn).await {
            Ok(model) => model,
            Err(e) if is_unique_violation(&e) => return Err(conflict().into()),
            Err(e) => return Err(e.into()),
        };
        Done::recorded(model.into(), "redemption.rate", "redemption")
    }
}

/// The rating of a redemption the actor may see, if rated.
pub async fn of_redemption<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    redemption: Uuid,
) -> ServiceResult<Option<Rating>> {
    visible::find::<redemptions::Entity, _>(conn, actor, redemption).await?;
    let row = ratings::Entity::find()
        .filter(ratings::Column::RedemptionId.eq(redemption))
        .one(conn)
        .await?;
    Ok(row.map(Rating::from))
}

/// The scores a company gave, by redemption (for its own list).
pub async fn scores_given<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
) -> ServiceResult<std::collections::HashMap<Uuid, i16>> {
    access::permit(actor, Action::Hold)?;
    let rows = ratings::Entity::find()
        .filter(ratings::Column::CompanyId.eq(actor.sub))
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.redemption_id, r.score))
        .collect())
}

/// A provider's ratings in a region's programme.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderRatings {
    pub provider_id: Uuid,
    /// The mean score, to two decimals.
    pub average: Decimal,
    pub count: u64,
    pub complaints: u64,
    /// The newest complaints and low scores (at most 20), newest first.
    pub concerns: Vec<Rating>,
}

/// The most concerns listed per provider.
const CONCERNS: usize = 20;

/// Each provider's ratings on the region's vouchers, for its regulator:
/// most complaints first, then the lowest average.
pub async fn of_region<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    region: &Region,
) -> ServiceResult<Vec<ProviderRatings>> {
    access::permit_in_region(actor, Action::DecideClaim, region)?;
    let rows = ratings::Entity::find()
        .filter(ratings::Column::Region.eq(region.clone()))
        .order_by_desc(ratings::Column::CreatedAt)
        .all(conn)
        .await?;
    let mut by_provider: BTreeMap<Uuid, Vec<ratings::Model>> = BTreeMap::new();
    for row in rows {
        by_provider.entry(row.provider_id).or_default().push(row);
    }
    let mut summaries: Vec<ProviderRatings> = by_provider
        .into_iter()
        .map(|(provider_id, rows)| {
            let count = rows.len() as u64;
            let total: i64 = rows.iter().map(|r| i64::from(r.score)).sum();
            let mut average = (Decimal::from(total) / Decimal::from(count)).round_dp(2);
            average.rescale(2);
            let complaints = rows.iter().filter(|r| r.complaint).count() as u64;
            let concerns = rows
                .into_iter()
                .filter(|r| r.complaint || r.score <= 2)
                .take(CONCERNS)
                .map(Rating::from)
                .collect();
            ProviderRatings {
                provider_id,
                average,
                count,
                complaints,
                concerns,
            }
        })
        .collect();
    summaries.sort_by(|a, b| {
        b.complaints
            .cmp(&a.complaints)
            .then(a.average.cmp(&b.average))
            .then(a.provider_id.cmp(&b.provider_id))
    });
    Ok(summaries)
}
