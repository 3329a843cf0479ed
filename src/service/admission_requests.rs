//! A provider's request for admission to a region's programme, reviewed at
//! two levels where the policy says so: the regulator of the provider's
//! district recommends it (for all or some of the categories asked) or
//! rejects it; the region's regulator then admits it (for at most what was
//! recommended, through [`Admit`], with its four eyes and public notice)
//! or rejects it.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect,
};
use serde::Serialize;
use uuid::Uuid;

use super::admissions::{admitted_categories, Admit, Admitted};
use super::four_eyes::Decided;
use super::identity::organization_of_kind;
use super::visible;
use super::{Ctx, Done, Operation, Page, PageRequest, Recorded, ServiceResult};
use crate::domain::access::{self, Action};
use crate::domain::programme::{join_categories, parse_categories, split_categories};
use crate::domain::review::{
    choose_categories, first_reviewer, AdmissionRequestStatus, ReviewLevel, REASON_FOR_FEWER,
};
use crate::domain::{text, Actor, DomainError, OrgKind, Refusal, Region};
use crate::store::entities::admission_requests;
use crate::store::is_unique_violation;

/// A provider's request for admission, as its parties see it.
#[derive(Debug, Clone, Serialize)]
pub struct AdmissionRequest {
    pub id: Uuid,
    pub region: Region,
    pub provider_id: Uuid,
    pub provider_region: Region,
    /// The provider's district, whose regulator reviews first.
    pub district: Option<String>,
    /// The categories asked for.
    pub categories: Vec<String>,
    /// The provider's self-evaluation.
    pub statement: String,
    /// The level it waits at (or was last reviewed at).
    pub level: ReviewLevel,
    pub status: AdmissionRequestStatus,
    /// The categories the district recommended.
    pub recommended: Option<Vec<String>>,
    pub review_reason: Option<String>,
    pub reviewed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The categories the region admitted.
    pub admitted: Option<Vec<String>>,
    /// Why it was rejected.
    pub reason: Option<String>,
    pub decided_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<admission_requests::Model> for AdmissionRequest {
    fn from(row: admission_requests::Model) -> Self {
        AdmissionRequest {
            id: row.id,
            region: row.region,
            provider_id: row.provider_id,
            provider_region: row.provider_region,
            district: row.district,
            categories: split_categories(&row.categories),
            statement: row.statement,
            level: row.level,
            status: row.status,
            recommended: row.recommended.as_deref().map(split_categories),
            review_reason: row.review_reason,
            reviewed_at: row.reviewed_at,
            admitted: row.admitted.as_deref().map(split_categories),
            reason: row.reason,
            decided_at: row.decided_at,
            created_at: row.created_at,
        }
    }
}

impl Recorded for AdmissionRequest {
    fn audit_region(&self) -> &Region {
        &self.region
    }
    fn audit_id(&self) -> String {
        self.id.to_string()
    }
}

/// The longest self-evaluation, in characters.
const STATEMENT_MAX: usize = 4000;

/// A provider asks a region's programme to admit it for some categories,
/// with its self-evaluation. Where the programme reviews at two levels
/// and the provider is of the region and registered with one of its
/// districts, the district's regulator reviews it first; otherwise the
/// region's.
///
/// Refusals, in the order they are checked:
/// 1. `forbidden`: the caller is not a provider.
/// 2. `not_found`: `region` is not an issuing region.
/// 3. `validation_failed` (`statement`): blank, over 4000 characters, or with
///    control (other than line breaks), zero-width or bidi characters.
/// 4. `validation_failed` (`categories`): the list is empty;
///    (`categories[i]`): not a known service category.
/// 5. `validation_failed` (`year`): the region's policy has no version for the
///    current fiscal year.
/// 6. The region's rules (`check_admission`): `provider_not_admitted`, then
///    `category_not_eligible`.
/// 7. `invalid_state`: the provider is admitted for every category asked
///    already, or has a request of this programme pending.
#[derive(Debug, Clone)]
pub struct RequestAdmission {
    pub region: Region,
    pub categories: Vec<String>,
    pub statement: String,
}

impl Operation for RequestAdmission {
    type Output = AdmissionRequest;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Self::Output>> {
        access::permit(&ctx.actor, Action::RequestAdmission)?;
        let rules = ctx.rules_for(&self.region)?;
        let statement = text::clean_multiline("statement", &self.statement, STATEMENT_MAX)?;
        let categories = parse_categories(&self.categories)?;
        let provider = organization_of_kind(txn, ctx, ctx.actor.sub, OrgKind::Provider)
            .await?
            .ok_or(DomainError::NotFound)?;
        let version = rules.version(ctx.fiscal_year())?;
        rules.check_admission(version, &provider.region, &categories)?;
        let admitted = admitted_categories(txn, &self.region, provider.id)
            .await?
            .unwrap_or_default();
        if categories.iter().all(|c| admitted.contains(c)) {
            return Err(DomainError::refused(
                Refusal::InvalidState,
                format!(
                    "the provider is admitted to {} for {} already",
                    self.region,
                    admitted.join(", ")
                ),
            )
            .into());
        }
        let district = first_reviewer(
            &self.region,
            version.review_levels,
            &provider.region,
            provider.district.as_deref(),
        );
        let level = if district.is_some() {
            ReviewLevel::District
        } else {
            ReviewLevel::Region
        };
        let id = Uuid::now_v7();
        let inserted = admission_requests::Entity::insert(admission_requests::ActiveModel {
            id: Set(id),
            region: Set(self.region.clone()),
            provider_id: Set(provider.id),
            provider_region: Set(provider.region.clone()),
            district: Set(district),
            categories: Set(join_categories(&categories)),
            statement: Set(statement),
            level: Set(level),
            status: Set(AdmissionRequestStatus::Pending),
            live_key: Set(Some(live_key(&self.region, provider.id))),
            recommended: Set(None),
            review_reason: Set(None),
            reviewed_by: Set(None),
            reviewed_at: Set(None),
            admitted: Set(None),
            reason: Set(None),
            decided_by: Set(None),
            decided_at: Set(None),
            created_at: Set(ctx.now),
        })
        .exec_without_returning(txn)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => {
                return Err(DomainError::refused(
                    Refusal::InvalidState,
                    format!(
                        "the provider has a request for admission to {} pending: \
                         wait for its decision",
                        self.region
                    ),
                )
                .into())
            }
            other => {
                other?;
            }
        }
        let request = find(txn, &ctx.actor, id).await?;
        Done::recorded(request, "admission_request.submit", "admission_request")
    }
}

/// The key that keeps one request of a provider pending per programme.
fn live_key(region: &Region, provider: Uuid) -> String {
    format!("{region}/{provider}")
}

/// The regulator of the provider's district recommends its request to the
/// region, for the categories asked (default) or some of them, with a
/// reason when fewer.
///
/// Refusals, in the order they are checked:
/// 1. `validation_failed` (`reason`): over 1000 characters, or with control
///    (other than line breaks), zero-width or bidi characters.
/// 2. `forbidden`: the caller is not a district's regulator.
/// 3. `not_found`: no such request, or of another district.
/// 4. `invalid_state`: the request is decided, or recommended already.
/// 5. `validation_failed` (`categories`): none chosen; (`categories[i]`): not
///    asked for; (`reason`): none given for recommending fewer.
#[derive(Debug, Clone)]
pub struct RecommendAdmission {
    pub id: Uuid,
    pub categories: Option<Vec<String>>,
    pub reason: Option<String>,
}

impl Operation for RecommendAdmission {
    type Output = AdmissionRequest;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Self::Output>> {
        let reason = text::clean_optional("reason", self.reason.as_deref().unwrap_or(""), 1000)?;
        let row = lock_pending(txn, &ctx.actor, Action::ReviewAdmission, self.id).await?;
        at_level(&row, ReviewLevel::District)?;
        let asked = split_categories(&row.categories);
        let chosen = choose_categories(self.categories.as_deref(), &asked)?;
        if chosen.len() < asked.len() && reason.is_empty() {
            return Err(DomainError::field("reason", REASON_FOR_FEWER).into());
        }
        admission_requests::Entity::update_many()
            .col_expr(
                admission_requests::Column::Level,
                Expr::value(ReviewLevel::Region),
            )
            .col_expr(
                admission_requests::Column::Recommended,
                Expr::value(join_categories(&chosen)),
            )
            .col_expr(
                admission_requests::Column::ReviewReason,
                Expr::value((!reason.is_empty()).then_some(reason)),
            )
            .col_expr(
                admission_requests::Column::ReviewedBy,
                Expr::value(ctx.actor.person.unwrap_or(ctx.actor.sub)),
            )
            .col_expr(admission_requests::Column::ReviewedAt, Expr::value(ctx.now))
            .filter(admission_requests::Column::Id.eq(row.id))
            .exec(txn)
            .await?;
        let request = find(txn, &ctx.actor, self.id).await?;
        Done::recorded(request, "admission_request.recommend", "admission_request")
    }
}

/// Rejects a provider's request for admission, with a reason: the
/// district's regulator at the first level, the region's at the second.
///
/// Refusals, in the order they are checked:
/// 1. `forbidden`: the caller is not a regulator.
/// 2. `not_found`: no such request, or of another region (district).
/// 3. `invalid_state`: the request is decided, or waits at the other level.
/// 4. `validation_failed` (`reason`): blank, over 1000 characters, or with
///    control (other than line breaks), zero-width or bidi characters.
#[derive(Debug, Clone)]
pub struct RejectAdmission {
    pub id: Uuid,
    pub reason: String,
}

impl Operation for RejectAdmission {
    type Output = AdmissionRequest;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Self::Output>> {
        let (action, level) = decider(&ctx.actor);
        let row = lock_pending(txn, &ctx.actor, action, self.id).await?;
        at_level(&row, level)?;
        let reason = text::clean_multiline("reason", &self.reason, 1000)?;
        let rejected = (AdmissionRequestStatus::Rejected, reason);
        settle(
            txn,
            ctx,
            row.id,
            admission_requests::Column::Reason,
            rejected,
        )
        .await?;
        let request = find(txn, &ctx.actor, self.id).await?;
        Done::recorded(request, "admission_request.reject", "admission_request")
    }
}

/// A request the region admitted, and what became of the admission: in
/// effect, waiting for a second person, or under public notice.
#[derive(Debug, Clone, Serialize)]
pub struct RequestAdmitted {
    pub request: AdmissionRequest,
    #[serde(skip)]
    pub admission: Decided<Admitted>,
}

impl Recorded for RequestAdmitted {
    fn audit_region(&self) -> &Region {
        self.request.audit_region()
    }
    fn audit_id(&self) -> String {
        self.request.audit_id()
    }
}

/// The region's regulator admits a provider's request, for the categories
/// its district recommended (default) or some of them; with one level,
/// those it asked for. The admission is [`Admit`]'s: it adds the
/// categories to those the provider holds, with four eyes and public
/// notice where the policy asks for them.
///
/// Refusals, in the order they are checked:
/// 1. `forbidden`: the caller is not a regulator of the region.
/// 2. `not_found`: no such request, or of another region.
/// 3. `invalid_state`: the request is decided, or waits for its district.
/// 4. `validation_failed` (`categories`): none chosen; (`categories[i]`): not
///    recommended (asked for, with one level).
/// 5. [`Admit`]'s refusals from its 6th on.
#[derive(Debug, Clone)]
pub struct AdmitRequest {
    pub id: Uuid,
    pub categories: Option<Vec<String>>,
}

impl Operation for AdmitRequest {
    type Output = RequestAdmitted;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Self::Output>> {
        let row = lock_pending(txn, &ctx.actor, Action::ManageProgramme, self.id).await?;
        at_level(&row, ReviewLevel::Region)?;
        let offered = split_categories(row.recommended.as_deref().unwrap_or(&row.categories));
        let chosen = choose_categories(self.categories.as_deref(), &offered)?;
        let mut categories = admitted_categories(txn, &row.region, row.provider_id)
            .await?
            .unwrap_or_default();
        for c in &chosen {
            if !categories.contains(c) {
                categories.push(c.clone());
            }
        }
        let admit = Admit {
            region: row.region.clone(),
            provider_id: row.provider_id,
            categories,
        };
        let Done {
            value: admission,
            mut events,
        } = admit.run(txn, ctx).await?;
        let admitted = (AdmissionRequestStatus::Admitted, join_categories(&chosen));
        settle(
            txn,
            ctx,
            row.id,
            admission_requests::Column::Admitted,
            admitted,
        )
        .await?;
        let request = find(txn, &ctx.actor, self.id).await?;
        let admitted = RequestAdmitted { request, admission };
        let Done { value, events: own } =
            Done::recorded(admitted, "admission_request.admit", "admission_request")?;
        events.extend(own);
        Ok(Done { value, events })
    }
}

/// Ends pending request `id` as `status`, with `column` (the reason, or the
/// categories admitted) set to `value`: no longer pending, decided by the
/// actor now.
async fn settle(
    txn: &DatabaseTransaction,
    ctx: &Ctx,
    id: Uuid,
    column: admission_requests::Column,
    (status, value): (AdmissionRequestStatus, String),
) -> ServiceResult<()> {
    admission_requests::Entity::update_many()
        .col_expr(admission_requests::Column::Status, Expr::value(status))
        .col_expr(column, Expr::value(value))
        .col_expr(
            admission_requests::Column::LiveKey,
            Expr::value(None::<String>),
        )
        .col_expr(
            admission_requests::Column::DecidedBy,
            Expr::value(ctx.actor.person.unwrap_or(ctx.actor.sub)),
        )
        .col_expr(admission_requests::Column::DecidedAt, Expr::value(ctx.now))
        .filter(admission_requests::Column::Id.eq(id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Who decides a request the actor rejects, and at which level: a
/// district's regulator at the first, the region's at the second.
fn decider(actor: &Actor) -> (Action, ReviewLevel) {
    if actor.district.is_some() {
        (Action::ReviewAdmission, ReviewLevel::District)
    } else {
        (Action::ManageProgramme, ReviewLevel::Region)
    }
}

/// Locks a pending request the actor may do `action` to: 403 for a role
/// that may not, 404 for a request it has no stake in, 409 once decided.
async fn lock_pending(
    txn: &DatabaseTransaction,
    actor: &Actor,
    action: Action,
    id: Uuid,
) -> ServiceResult<admission_requests::Model> {
    use super::visible::Owned;
    access::permit(actor, action)?;
    let row = admission_requests::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    access::authorize(actor, action, &admission_requests::Entity::stake(&row))?;
    if row.status != AdmissionRequestStatus::Pending {
        return Err(DomainError::refused(
            Refusal::InvalidState,
            format!("the request is {} already", row.status),
        )
        .into());
    }
    Ok(row)
}

/// Refuses a request that waits at another level than `level`.
fn at_level(row: &admission_requests::Model, level: ReviewLevel) -> Result<(), DomainError> {
    if row.level == level {
        return Ok(());
    }
    let message = match row.level {
        ReviewLevel::District => format!(
            "the request waits for its district ({}) to review it first",
            row.district.as_deref().unwrap_or("-")
        ),
        ReviewLevel::Region => "the district has recommended the request already".to_owned(),
    };
    Err(DomainError::refused(Refusal::InvalidState, message))
}

/// One request the actor may see.
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    id: Uuid,
) -> ServiceResult<AdmissionRequest> {
    let row = visible::find::<admission_requests::Entity, _>(conn, actor, id).await?;
    Ok(row.into())
}

/// The requests the actor may see, oldest first: a provider's own, a
/// district's, a region's.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    page: PageRequest,
) -> ServiceResult<Page<AdmissionRequest>> {
    let rows = visible::list::<admission_requests::Entity, _>(conn, actor, page).await?;
    Ok(rows.map(AdmissionRequest::from))
}
