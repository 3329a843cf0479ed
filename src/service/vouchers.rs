//! Vouchers: their balances, reading, revocation, and how unused money
//! leaves a voucher for good (expiry and revocation alike).

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
};
use serde::Serialize;
use uuid::Uuid;

use super::four_eyes::{self, Decided};
use super::locks::lock_voucher;
use super::visible::Owned;
use super::{visible, Ctx, Done, Operation, Page, PageRequest, ServiceResult};
use crate::domain::access::{self, Action};
use crate::domain::text;
use crate::domain::{Actor, DomainError, Money, Refusal, Region, VoucherState, VoucherStatus};
use crate::ledger::{self, AccountKind, AccountRef, Transfer, TransferCode};
use crate::store::entities::{applications, vouchers};

/// A voucher with its balances. `face_value = available + held + redeemed +
/// expired + revoked`.
#[derive(Debug, Clone, Serialize)]
pub struct Voucher {
    pub id: Uuid,
    pub serial: String,
    pub region: Region,
    pub year: i32,
    pub holder_id: Uuid,
    pub status: VoucherStatus,
    pub face_value: Money,
    pub available: Money,
    pub held: Money,
    pub redeemed: Money,
    pub expired: Money,
    pub revoked: Money,
    /// Last day for new holds (Asia/Shanghai).
    pub use_until: NaiveDate,
    /// Last day for completions and claims (Asia/Shanghai).
    pub claim_until: NaiveDate,
    pub issued_at: DateTime<Utc>,
    /// The district fund it was issued from (a district code), if any.
    pub fund: Option<String>,
}

/// The two accounts of a voucher: available and held.
pub fn voucher_accounts(v: &vouchers::Model) -> (AccountRef, AccountRef) {
    (
        AccountRef::owned(&v.region, v.year, AccountKind::Voucher, v.id),
        AccountRef::owned(&v.region, v.year, AccountKind::Hold, v.id),
    )
}

/// Adds balances to voucher rows.
pub async fn with_balances<C: ConnectionTrait>(
    conn: &C,
    rows: Vec<vouchers::Model>,
) -> ServiceResult<Vec<Voucher>> {
    let mut ids = Vec::with_capacity(rows.len() * 2);
    for v in &rows {
        let (available, held) = voucher_accounts(v);
        ids.push(available.id());
        ids.push(held.id());
    }
    let balances = ledger::balances(conn, ids).await?;
    Ok(rows
        .into_iter()
        .map(|v| {
            let (a, h) = voucher_accounts(&v);
            let available = balances.get(&a.id()).copied().unwrap_or_default();
            let held = balances.get(&h.id()).copied().unwrap_or_default();
            let status = VoucherStatus::of(v.state, available.is_zero() && held.is_zero());
            Voucher {
                id: v.id,
                serial: v.serial,
                region: v.region,
                year: v.year,
                holder_id: v.holder_id,
                status,
                face_value: Money::from_fen(v.face_value),
                available,
                held,
                redeemed: Money::from_fen(v.redeemed),
                expired: Money::from_fen(v.expired),
                revoked: Money::from_fen(v.revoked),
                use_until: v.use_until,
                claim_until: v.claim_until,
                issued_at: v.issued_at,
                fund: v.fund,
            }
        })
        .collect())
}

/// One voucher the actor may see.
pub async fn find<C: ConnectionTrait>(conn: &C, actor: &Actor, id: Uuid) -> ServiceResult<Voucher> {
    let row = visible::find::<vouchers::Entity, _>(conn, actor, id).await?;
    Ok(with_balances(conn, vec![row]).await?.remove(0))
}

/// The vouchers the actor may see, oldest first.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    page: PageRequest,
) -> ServiceResult<Page<Voucher>> {
    let rows = visible::list::<vouchers::Entity, _>(conn, actor, page).await?;
    Ok(Page {
        items: with_balances(conn, rows.items).await?,
        next_cursor: rows.next_cursor,
    })
}

/// How unused money leaves a voucher for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    Expire,
    Revoke,
}

impl Closing {
    fn code(self) -> TransferCode {
        match self {
            Closing::Expire => TransferCode::Expire,
            Closing::Revoke => TransferCode::Revoke,
        }
    }

    /// How a voucher closed this way stays.
    fn state(self) -> VoucherState {
        match self {
            Closing::Expire => VoucherState::Expired,
            Closing::Revoke => VoucherState::Revoked,
        }
    }

    /// How money a closed voucher gets back (from a released hold) leaves it.
    pub fn of(state: VoucherState) -> Option<Self> {
        match state {
            VoucherState::Active => None,
            VoucherState::Expired => Some(Closing::Expire),
            VoucherState::Revoked => Some(Closing::Revoke),
        }
    }
}

/// Returns `amount` from one of a voucher's accounts (`from`: available, or
/// held for a hold that expires) to the budget it came from (the region's,
/// or its district fund's), counted as expired or
/// revoked. `redemption` names the hold and whether its provider is outside
/// the region.
pub async fn return_to_budget<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    v: &vouchers::Model,
    from: AccountKind,
    amount: Money,
    closing: Closing,
    redemption: Option<(Uuid, bool)>,
) -> ServiceResult<()> {
    if amount.is_zero() {
        return Ok(());
    }
    let from = AccountRef::owned(&v.region, v.year, from, v.id);
    let budget = AccountRef::budget(&v.region, v.year, v.fund.as_deref());
    let mut transfer = Transfer::between(closing.code(), from, budget, amount)
        .voucher(v.id)
        .fund(v.fund.clone());
    if let Some((id, outside)) = redemption {
        transfer = transfer.redemption(id, outside);
    }
    ctx.post(txn, transfer).await
}

/// Closes a locked active voucher for good: its whole available balance
/// returns to the budget and it becomes expired or revoked. Open holds stay;
/// what they release later follows the same way.
pub async fn close<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    v: &vouchers::Model,
    closing: Closing,
) -> ServiceResult<()> {
    let (available, _) = voucher_accounts(v);
    let balance = ledger::balances(txn, [available.id()])
        .await?
        .get(&available.id())
        .copied()
        .unwrap_or_default();
    return_to_budget(txn, ctx, v, AccountKind::Voucher, balance, closing, None).await?;
    vouchers::Entity::update_many()
        .col_expr(vouchers::Column::State, Expr::value(closing.state()))
        .filter(vouchers::Column::Id.eq(v.id))
        .exec(txn)
        .await?;
    Ok(())
}

/// The issuing region's regulator revokes an active voucher: its available
/// balance returns to the budget; open holds stay and may still complete
/// (what they release returns too). A voucher with a balance (available
/// or held) is under four eyes when the region's policy says so: the
/// revocation then waits for a second person of the regulator
/// ([`super::confirmations`]) and this answers the request that waits.
///
/// Refusals, in the order they are checked:
/// 1. `forbidden`: the caller is not a regulator.
/// 2. `validation_failed` (`reason`): blank, over 1000 characters, or with control
///    (other than line breaks), zero-width or bidi characters.
/// 3. `not_found`: the voucher does not exist or is of another region.
/// 4. `invalid_state`: the voucher is not active (expired or revoked).
/// 5. `forbidden`: under four eyes, the caller is an API client, not a person.
#[derive(Debug, Clone)]
pub struct RevokeVoucher {
    pub id: Uuid,
    pub reason: String,
}

/// The audit action of a revocation.
pub const REVOKE: &str = "voucher.revoke";

impl Operation for RevokeVoucher {
    type Output = Decided<Voucher>;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Self::Output>> {
        let (v, reason) = revocable(txn, ctx, self.id, &self.reason).await?;
        // What is still on it, available or held.
        let left = v.face_value - v.redeemed - v.expired - v.revoked;
        let balance = Money::from_fen(left.max(0));
        if balance > Money::ZERO {
            let detail = serde_json::json!({ "reason": reason });
            let asked =
                four_eyes::ask(txn, ctx, &v.region, REVOKE, v.id, Some(balance), detail).await?;
            if let Some(waiting) = asked {
                return four_eyes::awaiting(waiting);
            }
        }
        let voucher = revoke(txn, ctx, self.id, &reason).await?;
        four_eyes::done(voucher, REVOKE, "voucher")
    }
}

/// The voucher `id` locked, if the caller may revoke it now, with the
/// reason cleaned.
async fn revocable<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    id: Uuid,
    reason: &str,
) -> ServiceResult<(vouchers::Model, String)> {
    access::permit(&ctx.actor, Action::RevokeVoucher)?;
    let reason = text::clean_multiline("reason", reason, 1000)?;
    let v = lock_voucher(txn, id).await?.ok_or(DomainError::NotFound)?;
    access::authorize(
        &ctx.actor,
        Action::RevokeVoucher,
        &vouchers::Entity::stake(&v),
    )?;
    if v.state != VoucherState::Active {
        return Err(DomainError::refused(
            Refusal::InvalidState,
            format!("the voucher is {}", v.state),
        )
        .into());
    }
    Ok((v, reason))
}

/// Revokes an active voucher now (its checks run again under the lock);
/// the decision, under four eyes, is [`RevokeVoucher`].
pub(super) async fn revoke<C: ConnectionTrait>(
    txn: &C,
    ctx: &Ctx,
    id: Uuid,
    reason: &str,
) -> ServiceResult<Voucher> {
    let (v, reason) = revocable(txn, ctx, id, reason).await?;
    close(txn, ctx, &v, Closing::Revoke).await?;
    vouchers::Entity::update_many()
        .col_expr(vouchers::Column::RevokedReason, Expr::value(reason))
        .filter(vouchers::Column::Id.eq(v.id))
        .exec(txn)
        .await?;
    find(txn, &ctx.actor, id).await
}

/// The face values (what was approved) of the vouchers `ids` of the
/// deciding regulator's region, by voucher.
pub async fn face_values<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    ids: Vec<Uuid>,
) -> ServiceResult<std::collections::HashMap<Uuid, Money>> {
    use sea_orm::QuerySelect;
    let mut query = vouchers::Entity::find()
        .select_only()
        .columns([vouchers::Column::Id, vouchers::Column::FaceValue])
        .filter(vouchers::Column::Id.is_in(ids));
    match &actor.district {
        None => access::permit(actor, Action::DecideApplication)?,
        // A district's regulator: the vouchers its district recommended.
        Some(district) => {
            access::permit(actor, Action::ReviewApplication)?;
            let recommended = sea_orm::sea_query::Query::select()
                .column(applications::Column::Id)
                .from(applications::Entity)
                .and_where(sea_orm::sea_query::ExprTrait::eq(
                    sea_orm::sea_query::Expr::col(applications::Column::District),
                    district.as_str(),
                ))
                .to_owned();
            query = query.filter(vouchers::Column::ApplicationId.in_subquery(recommended));
        }
    }
    let region = actor.region.clone().ok_or(DomainError::NotFound)?;
    let rows: Vec<(Uuid, i64)> = query
        .filter(vouchers::Column::Region.eq(region))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, fen)| (id, Money::from_fen(fen)))
        .collect())
}

/// The vouchers of the actor's region whose serial is `query`, or whose
/// holder's name contains it, newest first (at most `limit`): what a
/// regulator looks for, without reading the region's every voucher.
pub async fn search<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    query: &str,
    limit: u64,
) -> ServiceResult<Vec<Voucher>> {
    use crate::store::entities::organizations;
    use sea_orm::{QueryOrder, QuerySelect};
    access::permit(actor, Action::RevokeVoucher)?;
    let region = actor.region.clone().ok_or(DomainError::NotFound)?;
    let query = query.trim();
    let mut find = vouchers::Entity::find()
        .filter(vouchers::Column::Region.eq(region))
        .order_by_desc(vouchers::Column::IssuedAt)
        .order_by_desc(vouchers::Column::Serial)
        .limit(limit);
    if !query.is_empty() {
        let holders: Vec<Uuid> = organizations::Entity::find()
            .select_only()
            .column(organizations::Column::Id)
            .filter(organizations::Column::Name.contains(query))
            .into_tuple()
            .all(conn)
            .await?;
        find = find.filter(
            sea_orm::Condition::any()
                .add(vouchers::Column::Serial.eq(query))
                .add(vouchers::Column::HolderId.is_in(holders)),
        );
    }
    let rows = find.all(conn).await?;
    with_balances(conn, rows).await
}

/// The names of the companies holding the vouchers `ids`, by voucher: a
/// provider's customers, so only the vouchers with a redemption at the
/// provider (the others are left out; 403 for any other role).
pub async fn holder_names<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    ids: impl IntoIterator<Item = Uuid>,
) -> ServiceResult<std::collections::HashMap<Uuid, String>> {
    use crate::store::entities::{organizations, redemptions};
    let access::Scope::Provider(provider) = access::scope(actor, Action::ListRedemptions)? else {
        return Err(DomainError::Forbidden("only service providers may do this".into()).into());
    };
    let ids: Vec<Uuid> = ids.into_iter().collect();
    let at_provider: Vec<Uuid> = redemptions::Entity::find()
        .select_only()
        .column(redemptions::Column::VoucherId)
        .filter(redemptions::Column::ProviderId.eq(provider))
        .filter(redemptions::Column::VoucherId.is_in(ids))
        .distinct()
        .into_tuple()
        .all(conn)
        .await?;
    let held: Vec<(Uuid, Uuid)> = vouchers::Entity::find()
        .select_only()
        .columns([vouchers::Column::Id, vouchers::Column::HolderId])
        .filter(vouchers::Column::Id.is_in(at_provider))
        .into_tuple()
        .all(conn)
        .await?;
    let holders: Vec<Uuid> = held.iter().map(|(_, holder)| *holder).collect();
    let names: std::collections::HashMap<Uuid, String> = organizations::Entity::find()
        .select_only()
        .columns([organizations::Column::Id, organizations::Column::Name])
        .filter(organizations::Column::Id.is_in(holders))
        .into_tuple::<(Uuid, String)>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    Ok(held
        .into_iter()
        .map(|(voucher, holder)| (voucher, names.get(&holder).cloned().unwrap_or_default()))
        .collect())
}
