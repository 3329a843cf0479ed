//! Providers' bank accounts (payee accounts). The provider's administrator
//! enters one — in the provider's own registered name, with the bank's
//! 12-digit CNAPS code, valid from a day; the regulator of the provider's
//! region approves it, under four eyes when its policy says so
//! (`payee.approve`), or rejects it with a reason. The account a payment
//! goes to on a day is the approved one valid from the latest day not
//! after it ([`in_force`]); entering a new one never changes an approved
//! one.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::Serialize;
use uuid::Uuid;

use super::four_eyes::{self, Decided};
use super::identity::organization_of_kind;
use super::{people, Ctx, Done, Operation, Recorded, ServiceResult};
use crate::domain::bank_account::{BankAccount, Typed};
use crate::domain::{access, text, Actor, DomainError, OrgKind, Refusal, Region};
use crate::store::entities::{admissions, organizations, payee_accounts};
use crate::store::Db;

/// The audit action (and four-eyes decision) of approving an account.
pub const APPROVE: &str = "payee.approve";

/// A provider's bank account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PayeeAccount {
    pub id: Uuid,
    pub provider_id: Uuid,
    /// The provider's region (whose regulator approves the account).
    pub region: Region,
    pub account_name: String,
    pub account_number: String,
    pub bank_name: String,
    pub cnaps_code: String,
    pub valid_from: NaiveDate,
    /// `submitted`, `approved` or `rejected`.
    pub status: String,
    pub submitted_by: Uuid,
    pub submitted_at: DateTime<Utc>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
}

impl PayeeAccount {
    fn of(m: payee_accounts::Model, region: Region) -> Self {
        PayeeAccount {
            id: m.id,
            provider_id: m.provider_id,
            region,
            account_name: m.account_name,
            account_number: m.account_number,
            bank_name: m.bank_name,
            cnaps_code: m.cnaps_code,
            valid_from: m.valid_from,
            status: m.status,
            submitted_by: m.submitted_by,
            submitted_at: m.submitted_at,
            decided_by: m.decided_by,
            decided_at: m.decided_at,
            reason: m.reason,
        }
    }
}

impl Recorded for PayeeAccount {
    fn audit_region(&self) -> &Region {
        &self.region
    }
    fn audit_id(&self) -> String {
        self.id.to_string()
    }
}

/// A provider's administrator enters a bank account of the provider.
///
/// Refusals, in the order they are checked:
/// 1. `not_found`: no such organisation the caller may see.
/// 2. `forbidden`: the caller is not a person who administers it.
/// 3. `not_found`: the organisation is not a provider.
/// 4. `validation_failed` (`account_name`, `account_number`, `bank_name`,
///    `cnaps_code`): see [`BankAccount::parse`] — the account must be in
///    the provider's registered name.
#[derive(Debug, Clone)]
pub struct SubmitAccount {
    pub provider_id: Uuid,
    pub account_name: String,
    pub account_number: String,
    pub bank_name: String,
    pub cnaps_code: String,
    pub valid_from: NaiveDate,
}

impl Operation for SubmitAccount {
    type Output = PayeeAccount;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<PayeeAccount>> {
        let org = people::administered(txn, &ctx.actor, Some(self.provider_id))
            .await?
            .filter(|o| o.kind == OrgKind::Provider)
            .ok_or(DomainError::NotFound)?;
        let typed = Typed {
            account_name: &self.account_name,
            account_number: &self.account_number,
            bank_name: &self.bank_name,
            cnaps_code: &self.cnaps_code,
            valid_from: self.valid_from,
        };
        let account = BankAccount::parse(typed, &org.name)?;
        let submitted_by = ctx.actor.person.ok_or(DomainError::NotFound)?;
        let model = payee_accounts::Model {
            id: Uuid::now_v7(),
            provider_id: org.id,
            account_name: account.account_name,
            account_number: account.account_number,
            bank_name: account.bank_name,
            cnaps_code: account.cnaps_code,
            valid_from: account.valid_from,
            status: "submitted".into(),
            submitted_by,
            submitted_at: ctx.now,
            decided_by: None,
            decided_at: None,
            reason: None,
        };
        payee_accounts::Entity::insert(payee_accounts::ActiveModel {
            id: Set(model.id),
            provider_id: Set(model.provider_id),
            account_name: Set(model.account_name.clone()),
            account_number: Set(model.account_number.clone()),
            bank_name: Set(model.bank_name.clone()),
            cnaps_code: Set(model.cnaps_code.clone()),
            valid_from: Set(model.valid_from),
            status: Set(model.status.clone()),
            submitted_by: Set(model.submitted_by),
            submitted_at: Set(model.submitted_at),
            decided_by: Set(None),
            decided_at: Set(None),
            reason: Set(None),
        })
        .exec_without_returning(txn)
        .await?;
        let account = PayeeAccount::of(model, org.region);
        Done::recorded(account, "payee.submit", "payee_account")
    }
}

/// An account waiting for its regulator, locked, with the provider's
/// region: for the regulator of that region.
async fn lock_submitted<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    id: Uuid,
) -> ServiceResult<(payee_accounts::Model, Region)> {
    access::permit(&ctx.actor, access::Action::ManageProgramme)?;
    let found = payee_accounts::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    let provider = organization_of_kind(txn, ctx, found.provider_id, OrgKind::Provider)
        .await?
        .filter(|p| ctx.actor.regulates(&p.region))
        .ok_or(DomainError::NotFound)?;
    if found.status != "submitted" {
        let detail = format!("the account is {}", found.status);
        return Err(DomainError::refused(Refusal::InvalidState, detail).into());
    }
    Ok((found, provider.region))
}

/// Marks a submitted account decided.
async fn decide<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    found: payee_accounts::Model,
    region: Region,
    status: &str,
    reason: Option<String>,
) -> ServiceResult<PayeeAccount> {
    let decided_by = ctx.actor.person.unwrap_or(ctx.actor.sub);
    payee_accounts::Entity::update_many()
        .col_expr(payee_accounts::Column::Status, Expr::value(status))
        .col_expr(payee_accounts::Column::DecidedBy, Expr::value(decided_by))
        .col_expr(payee_accounts::Column::DecidedAt, Expr::value(ctx.now))
        .col_expr(payee_accounts::Column::Reason, Expr::value(reason.clone()))
        .filter(payee_accounts::Column::Id.eq(found.id))
        .exec(txn)
        .await?;
    let model = payee_accounts::Model {
        status: status.into(),
        decided_by: Some(decided_by),
        decided_at: Some(ctx.now),
        reason,
        ..found
    };
    Ok(PayeeAccount::of(model, region))
}

/// Approves a submitted account, in the confirming transaction of four
/// eyes too: every check again.
pub(super) async fn approve<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    id: Uuid,
) -> ServiceResult<PayeeAccount> {
    let (found, region) = lock_submitted(txn, ctx, id).await?;
    decide(txn, ctx, found, region, "approved", None).await
}

/// The regulator of the provider's region approves a submitted account;
/// under four eyes (the policy's `payee.approve`) it waits for a second
/// person of the regulator.
///
/// Refusals, in the order they are checked:
/// 1. `forbidden`: the caller is not a regulator.
/// 2. `not_found`: no such account of a provider of the caller's region.
/// 3. `invalid_state`: the account is approved or rejected already.
/// 4. `forbidden`: under four eyes, the caller is an API client.
#[derive(Debug, Clone)]
pub struct ApproveAccount {
    pub id: Uuid,
}

impl Operation for ApproveAccount {
    type Output = Decided<PayeeAccount>;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Self::Output>> {
        let (found, region) = lock_submitted(txn, ctx, self.id).await?;
        let detail = serde_json::json!({
            "provider_id": found.provider_id,
            "account_name": found.account_name,
            "account_number": found.account_number,
            "cnaps_code": found.cnaps_code,
        });
        let asked = four_eyes::ask(txn, ctx, &region, APPROVE, found.id, None, detail).await?;
        if let Some(waiting) = asked {
            return four_eyes::awaiting(waiting);
        }
        let account = decide(txn, ctx, found, region, "approved", None).await?;
        four_eyes::done(account, APPROVE, "payee_account")
    }
}

/// The regulator of the provider's region rejects a submitted account,
/// saying why (nothing is paid to it).
///
/// Refusals, in the order they are checked:
/// 1. `validation_failed` (`reason`): blank or over 1000 characters.
/// 2. `forbidden`: the caller is not a regulator.
/// 3. `not_found`: no such account of a provider of the caller's region.
/// 4. `invalid_state`: the account is approved or rejected already.
#[derive(Debug, Clone)]
pub struct RejectAccount {
    pub id: Uuid,
    pub reason: String,
}

impl Operation for RejectAccount {
    type Output = PayeeAccount;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<PayeeAccount>> {
        let reason = text::clean_multiline("reason", &self.reason, 1000)?;
        let (found, region) = lock_submitted(txn, ctx, self.id).await?;
        let account = decide(txn, ctx, found, region, "rejected", Some(reason)).await?;
        Done::recorded(account, "payee.reject", "payee_account")
    }
}

/// The bank accounts of provider `provider_id`, newest first: for the
/// provider itself, the regulators of its region and of every region that
/// admitted it (they pay it).
pub async fn list(db: &Db, actor: &Actor, provider_id: Uuid) -> ServiceResult<Vec<PayeeAccount>> {
    let conn = db.reader();
    let provider = organizations::Entity::find_by_id(provider_id)
        .one(conn)
        .await?
        .filter(|o| o.kind == OrgKind::Provider)
        .ok_or(DomainError::NotFound)?;
    if !may_see(conn, actor, &provider).await? {
        return Err(DomainError::NotFound.into());
    }
    let rows = payee_accounts::Entity::find()
        .filter(payee_accounts::Column::ProviderId.eq(provider.id))
        .order_by_desc(payee_accounts::Column::SubmittedAt)
        .order_by_desc(payee_accounts::Column::Id)
        .all(conn)
        .await?;
    let region = provider.region;
    Ok(rows
        .into_iter()
        .map(|m| PayeeAccount::of(m, region.clone()))
        .collect())
}

/// Whether `actor` may see a provider's accounts.
async fn may_see<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    provider: &organizations::Model,
) -> ServiceResult<bool> {
    if access::may_see_organization(actor, provider.id, &provider.region) {
        return Ok(true);
    }
    let Some(region) = actor.regulated_region() else {
        return Ok(false);
    };
    let admitted = admissions::Entity::find_by_id((region.clone(), provider.id))
        .one(conn)
        .await?;
    Ok(admitted.is_some())
}

/// The accounts waiting for the caller's approval: submitted accounts of
/// the providers of its region, oldest first (regulators only).
pub async fn awaiting(db: &Db, actor: &Actor) -> ServiceResult<Vec<PayeeAccount>> {
    let Some(region) = actor.regulated_region().cloned() else {
        return Err(DomainError::Forbidden("only regulators approve accounts".into()).into());
    };
    let conn = db.reader();
    let providers: Vec<Uuid> = organizations::Entity::find()
        .filter(organizations::Column::Kind.eq(OrgKind::Provider))
        .filter(organizations::Column::Region.eq(region.clone()))
        .select_only()
        .column(organizations::Column::Id)
        .into_tuple()
        .all(conn)
        .await?;
    let rows = payee_accounts::Entity::find()
        .filter(payee_accounts::Column::ProviderId.is_in(providers))
        .filter(payee_accounts::Column::Status.eq("submitted"))
        .order_by_asc(payee_accounts::Column::SubmittedAt)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|m| PayeeAccount::of(m, region.clone()))
        .collect())
}

/// The account a payment to provider `provider_id` goes to on `day`: the
/// approved one valid from the latest day not after it.
pub async fn in_force<C: ConnectionTrait>(
    conn: &C,
    provider_id: Uuid,
    region: &Region,
    day: NaiveDate,
) -> ServiceResult<Option<PayeeAccount>> {
    let found = payee_accounts::Entity::find()
        .filter(payee_accounts::Column::ProviderId.eq(provider_id))
        .filter(payee_accounts::Column::Status.eq("approved"))
        .filter(payee_accounts::Column::ValidFrom.lte(day))
        .order_by_desc(payee_accounts::Column::ValidFrom)
        .order_by_desc(payee_accounts::Column::DecidedAt)
        .one(conn)
        .await?;
    Ok(found.map(|m| PayeeAccount::of(m, region.clone())))
}
