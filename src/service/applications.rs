//! Applications for vouchers: submitted by a company, approved (a voucher is
//! issued from the region's budget) or rejected by the region's regulator.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect,
};
use serde::Serialize;
use uuid::Uuid;

use super::budgets::{fund_appropriated, nothing_appropriated};
use super::caps;
use super::eligibility::{application_facts, declared_of};
use super::engine::movements;
use super::locks::{lock_budget, lock_company, lock_for_review, lock_submitted};
use super::vouchers::{self, Voucher};
use super::{visible, Ctx, Done, Operation, Page, PageRequest, ServiceError, ServiceResult};
use crate::domain::access::{self, Action};
use crate::domain::eligibility::{Declared, DeclaredInput};
use crate::domain::programme::parse_year;
use crate::domain::review::{self, ReviewLevel};
use crate::domain::text;
use crate::domain::{
    Actor, Amount, ApplicationStatus, DomainError, Money, Refusal, Region, Rule, VoucherState,
};
use crate::ledger::{self, AccountKind, AccountRef, Transfer, TransferCode};
use crate::rules::IssuanceFacts;
use crate::store::entities::{applications, budgets, organizations, vouchers as voucher_rows};

/// A company's application for a voucher.
#[derive(Debug, Clone, Serialize)]
pub struct Application {
    pub id: Uuid,
    pub company_id: Uuid,
    pub region: Region,
    pub year: i32,
    pub amount: Money,
    pub purpose: String,
    pub status: ApplicationStatus,
    pub reason: Option<String>,
    pub voucher_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    /// What the company declared when it applied.
    pub declared: Declared,
    /// The company's district (city, county), where two-level review sends
    /// the application first.
    pub district: Option<String>,
    /// The level it waits at (or was decided at).
    pub level: ReviewLevel,
    /// What the district recommended, once it has.
    pub recommended: Option<Money>,
    /// Why the district recommended less than requested.
    pub review_reason: Option<String>,
    /// When the district recommended it.
    pub reviewed_at: Option<DateTime<Utc>>,
}

impl From<applications::Model> for Application {
    fn from(a: applications::Model) -> Self {
        Application {
            id: a.id,
            company_id: a.company_id,
            region: a.region,
            year: a.year,
            amount: Money::from_fen(a.amount),
            purpose: a.purpose,
            status: a.status,
            reason: a.reason,
            voucher_id: a.voucher_id,
            created_at: a.created_at,
            declared: declared_of(a.declared.as_deref()),
            decided_at: a.decided_at,
            district: a.district,
            level: a.level,
            recommended: a.recommended.map(Money::from_fen),
            review_reason: a.review_reason,
            reviewed_at: a.reviewed_at,
        }
    }
}

/// A company applies for a voucher of a region's programme.
///
/// Refusals, in the order they are checked:
/// 1. `forbidden`: the caller is not a company.
/// 2. `validation_failed` (`region`): not a region code (2 to 8 upper-case letters).
/// 3. `validation_failed` (`year`): not a fiscal year between 2000 and 2100.
/// 4. `validation_failed` (`purpose`): blank, over 2000 characters, or with control
///    (other than line breaks), zero-width or bidi characters.
/// 5. `validation_failed` (`year`): neither this fiscal year nor the next.
/// 6. `validation_failed` (`region`): not an issuing region.
/// 7. `not_found`: the caller has no region.
/// 8. `validation_failed` (`year`): the region's policy has no version for `year`.
/// 9. `validation_failed` (`declared.…`): a declared fact is malformed.
/// 10. `validation_failed` (`district`): not a district of the region's
///     programme, or none named where its policy reviews at two levels
///     (`review_levels`).
/// 11. The region's rules (`check_application`): `validation_failed`
///     (`region`): the programme does not take applications from companies
///     of the caller's region (policy key `applicant_regions`);
///     `not_eligible`: a fact the policy requires is not declared or does
///     not meet it (`sme_registration_required`, `team_housing`,
///     `team_min_core_members`), or a voucher of last year expired more
///     than `idle_voucher_share` unused.
/// 12. The region's rules (`check_issuance`), as the caps stand now:
///     `annual_cap_exceeded` (rule `enterprise_cap` or `team_cap`: what was
///     issued this year to companies of the same actual controller, plus
///     `amount`, is above the cap; then `fund_request_cap`, `fund_year_cap`
///     for a district's fund). Approval checks them again.
/// 13. `invalid_state` (rule `duplicate_application`): an identical
///     application of the company (region, year, amount, purpose) waits for
///     a decision.
#[derive(Debug, Clone)]
pub struct SubmitApplication {
    /// The region code as sent.
    pub region: String,
    pub year: i32,
    pub amount: Amount,
    pub purpose: String,
    /// The facts the company declares (what its programme asks for).
    pub declared: DeclaredInput,
    /// The company's district (city, county) among the programme's.
    pub district: Option<String>,
}

impl Operation for SubmitApplication {
    type Output = Application;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Application>> {
        access::permit(&ctx.actor, Action::Apply)?;
        let region = Region::parse(&self.region)?;
        let year = parse_year(self.year)?;
        let purpose = text::clean_multiline("purpose", &self.purpose, 2000)?;
        let this_year = ctx.fiscal_year();
        if year < this_year || year > this_year + 1 {
            return Err(DomainError::field(
                "year",
                "applications are for this fiscal year or the next",
            )
            .into());
        }
        let rules = ctx.rules_for(&region).map_err(|_| {
            DomainError::field("region", format!("{region} is not an issuing region"))
        })?;
        let version = rules.version(year)?;
        let declared = self.declared.check()?;
        let (district, level) = review::route(
            &rules.policy().districts,
            version.review_levels,
            self.district.as_deref(),
        )?;
        let company = lock_company(txn, ctx.actor.sub)
            .await?
            .ok_or(DomainError::NotFound)?;
        let facts = application_facts(txn, &region, year, &company, declared.clone()).await?;
        rules.check_application(version, &facts)?;
        // The caps as they stand now; approval checks them again (other
        // vouchers may be issued in between).
        let holders = caps::controller_companies(txn, &company).await?;
        let policy = rules.policy();
        let fund = caps::fund_facts(txn, policy, year, &holders, district.as_deref()).await?;
        let room = IssuanceFacts {
            company_type: facts.company_type,
            already_issued: caps::issued_to_controller(txn, &region, year, &holders).await?,
            amount: self.amount.money(),
            fund,
        };
        rules.check_issuance(version, &room)?;
        refuse_twin(
            txn,
            &company,
            (&region, year),
            self.amount.money(),
            &purpose,
        )
        .await?;
        let declared = (declared != Declared::default())
            .then(|| serde_json::to_string(&declared))
            .transpose()
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let row = applications::ActiveModel {
            id: Set(Uuid::now_v7()),
            company_id: Set(ctx.actor.sub),
            region: Set(region),
            year: Set(year),
            amount: Set(self.amount.fen()),
            purpose: Set(purpose),
            status: Set(ApplicationStatus::Submitted),
            reason: Set(None),
            voucher_id: Set(None),
            created_at: Set(ctx.now),
            decided_at: Set(None),
            declared: Set(declared),
            district: Set(district),
            level: Set(level),
            recommended: Set(None),
            review_reason: Set(None),
            reviewed_by: Set(None),
            reviewed_at: Set(None),
        };
        let model = applications::Entity::insert(row)
            .exec_with_returning(txn)
            .await?;
        Done::recorded(model.into(), "application.submit", "application")
    }
}

/// Refuses an application identical (region, year, amount and purpose) to
/// one of the company's that still waits for a decision: sent twice by
/// mistake. (The company's row is locked, so two sent at once are told
/// apart.)
async fn refuse_twin(
    txn: &DatabaseTransaction,
    company: &organizations::Model,
    (region, year): (&Region, i32),
    amount: Money,
    purpose: &str,
) -> ServiceResult<()> {
    let twin = applications::Entity::find()
        .select_only()
        .column(applications::Column::Id)
        .filter(applications::Column::CompanyId.eq(company.id))
        .filter(applications::Column::Region.eq(region.clone()))
        .filter(applications::Column::Year.eq(year))
        .filter(applications::Column::Amount.eq(amount.fen()))
        .filter(applications::Column::Purpose.eq(purpose))
        .filter(applications::Column::Status.eq(ApplicationStatus::Submitted))
        .into_tuple::<Uuid>()
        .one(txn)
        .await?;
    match twin {
        None => Ok(()),
        Some(id) => Err(DomainError::refused(
            Refusal::InvalidState,
            format!(
                "an identical application ({id}: {amount} for the same purpose) waits for a \
                 decision; wait for it, or change the amount or the purpose"
            ),
        )
        .with_rule(Rule::named("duplicate_application", region))
        .into()),
    }
}

/// The region's regulator approves an application: a voucher of `amount`
/// (default: the amount the district recommended, else the amount
/// requested) is issued from the unissued budget.
///
/// Refusals, in the order they are checked:
/// 1. `forbidden`: the caller is not a regulator of the region (a
///    district's regulator included).
/// 2. `not_found`: the application does not exist or is of another region.
/// 3. `invalid_state`: the application is already approved or rejected, or
///    waits for its district's review.
/// 4. `validation_failed` (`amount`): more than the amount requested, or
///    than the district recommended.
/// 5. `budget_exceeded`: nothing is appropriated for the region and year (rule
///    `appropriation`).
/// 6. `not_found`: the application's region is no longer an issuing region.
/// 7. `validation_failed` (`year`): the region's policy has no version for the
///    application's year.
/// 8. The region's rules (`check_application`, again: last year's vouchers
///    may have expired since): `not_eligible`, as at submission.
/// 9. The region's rules (`check_issuance`): `annual_cap_exceeded` (rule
///    `enterprise_cap` or `team_cap`): what was issued this year to companies of the
///    same actual controller, plus `amount`, is above the cap.
/// 10. `budget_exceeded`: the region-year's unissued budget is smaller than
///     `amount` (rule `appropriation`).
#[derive(Debug, Clone)]
pub struct ApproveApplication {
    pub id: Uuid,
    pub amount: Option<Amount>,
}

impl Operation for ApproveApplication {
    type Output = Voucher;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Voucher>> {
        let app = lock_submitted(txn, &ctx.actor, self.id).await?;
        let (most, what) = match app.recommended {
            Some(fen) => (Money::from_fen(fen), "recommended by the district"),
            None => (Money::from_fen(app.amount), "requested"),
        };
        let amount = self.amount.map(Amount::money).unwrap_or(most);
        if amount > most {
            return Err(DomainError::field("amount", format!("at most the {most} {what}")).into());
        }
        let region = app.region.clone();
        let budget = lock_budget(txn, &region, app.year)
            .await?
            .ok_or_else(|| nothing_appropriated(ctx, region.as_str(), &region, app.year, amount))?;
        // With the budget row locked, issuance in this region and year is
        // serial, so what was issued before cannot change under the cap check.
        let rules = ctx.rules_for(&region)?;
        let version = rules.version(app.year)?;
        let company = organizations::Entity::find_by_id(app.company_id)
            .one(txn)
            .await?
            .ok_or_else(|| {
                ServiceError::Internal(format!("application {} without company", app.id))
            })?;
        let declared = declared_of(app.declared.as_deref());
        let eligibility = application_facts(txn, &region, app.year, &company, declared).await?;
        rules.check_application(version, &eligibility)?;
        // The company and those of its actual controller share the caps.
        let holders = caps::controller_companies(txn, &company).await?;
        let district = app.district.as_deref();
        let fund = caps::fund_facts(txn, rules.policy(), app.year, &holders, district).await?;
        let fund_code = fund.as_ref().map(|f| f.district.clone());
        let facts = IssuanceFacts {
            company_type: eligibility.company_type,
            already_issued: caps::issued_to_controller(txn, &region, app.year, &holders).await?,
            amount,
            fund,
        };
        rules.check_issuance(version, &facts)?;
        if let Some(code) = &fund_code {
            fund_appropriated(txn, ctx, &region, app.year, code, amount).await?;
        }
        let voucher_id = Uuid::now_v7();
        let available = AccountRef::owned(&region, app.year, AccountKind::Voucher, voucher_id);
        let held = AccountRef::owned(&region, app.year, AccountKind::Hold, voucher_id);
        ledger::open_account(txn, &available, ctx.now).await?;
        ledger::open_account(txn, &held, ctx.now).await?;
        let from = AccountRef::budget(&region, app.year, fund_code.as_deref());
        let issue = Transfer::between(TransferCode::Issue, from, available, amount);
        ctx.post(txn, issue.voucher(voucher_id).fund(fund_code.clone()))
            .await?;
        // A company served for the first time this year counts once.
        let earlier = voucher_rows::Entity::find()
            .select_only()
            .column(voucher_rows::Column::Id)
            .filter(voucher_rows::Column::HolderId.eq(app.company_id))
            .filter(voucher_rows::Column::Region.eq(region.clone()))
            .filter(voucher_rows::Column::Year.eq(app.year))
            .limit(1)
            .into_tuple::<Uuid>()
            .one(txn)
            .await?;
        let seq = budget.voucher_seq + 1;
        budgets::Entity::update_many()
            .col_expr(budgets::Column::VoucherSeq, Expr::value(seq))
            .col_expr(
                budgets::Column::CompaniesServed,
                Expr::col(budgets::Column::CompaniesServed).add(i64::from(earlier.is_none())),
            )
            .filter(budgets::Column::Region.eq(region.clone()))
            .filter(budgets::Column::Year.eq(app.year))
            .exec(txn)
            .await?;
        let deadlines = version.deadlines(app.year);
        let voucher = voucher_rows::Entity::insert(voucher_rows::ActiveModel {
            id: Set(voucher_id),
            serial: Set(format!("{region}-{}-{seq:06}", app.year)),
            region: Set(region.clone()),
            year: Set(app.year),
            holder_id: Set(app.company_id),
            application_id: Set(app.id),
            face_value: Set(amount.fen()),
            redeemed: Set(0),
            expired: Set(0),
            revoked: Set(0),
            state: Set(VoucherState::Active),
            use_until: Set(deadlines.use_until),
            claim_until: Set(deadlines.claim_until),
            issued_at: Set(ctx.now),
            revoked_reason: Set(None),
            fund: Set(fund_code),
        })
        .exec_with_returning(txn)
        .await?;
        movements::count_issued(txn, &region, app.year, app.company_id, amount.fen()).await?;
        applications::Entity::update_many()
            .col_expr(
                applications::Column::Status,
                Expr::value(ApplicationStatus::Approved),
            )
            .col_expr(applications::Column::VoucherId, Expr::value(voucher_id))
            .col_expr(applications::Column::DecidedAt, Expr::value(ctx.now))
            .filter(applications::Column::Id.eq(app.id))
            .exec(txn)
            .await?;
        let voucher = vouchers::with_balances(txn, vec![voucher]).await?.remove(0);
        Done::recorded(voucher, "application.approve", "voucher")
    }
}

/// The region's regulator rejects an application with a reason; or, at
/// the first level, the regulator of its district.
///
/// Refusals, in the order they are checked:
/// 1. `validation_failed` (`reason`): blank, over 1000 characters, or with control
///    (other than line breaks), zero-width or bidi characters.
/// 2. `forbidden`: the caller is not a regulator.
/// 3. `not_found`: the application does not exist, or is of another region
///    (of another district, for a district's regulator).
/// 4. `invalid_state`: the application is already approved or rejected, or
///    waits at the other level.
#[derive(Debug, Clone)]
pub struct RejectApplication {
    pub id: Uuid,
    pub reason: String,
}

impl Operation for RejectApplication {
    type Output = Application;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Application>> {
        let reason = text::clean_multiline("reason", &self.reason, 1000)?;
        let app = if ctx.actor.district.is_some() {
            lock_for_review(txn, &ctx.actor, self.id).await?
        } else {
            lock_submitted(txn, &ctx.actor, self.id).await?
        };
        applications::Entity::update_many()
            .col_expr(
                applications::Column::Status,
                Expr::value(ApplicationStatus::Rejected),
            )
            .col_expr(applications::Column::Reason, Expr::value(reason))
            .col_expr(applications::Column::DecidedAt, Expr::value(ctx.now))
            .filter(applications::Column::Id.eq(app.id))
            .exec(txn)
            .await?;
        let application = find(txn, &ctx.actor, self.id).await?;
        Done::recorded(application, "application.reject", "application")
    }
}

/// One application the actor may see.
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    id: Uuid,
) -> ServiceResult<Application> {
    let row = visible::find::<applications::Entity, _>(conn, actor, id).await?;
    Ok(row.into())
}

/// The applications the actor may see, oldest first.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    page: PageRequest,
) -> ServiceResult<Page<Application>> {
    let rows = visible::list::<applications::Entity, _>(conn, actor, page).await?;
    Ok(rows.map(Application::from))
}
