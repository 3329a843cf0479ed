//! The double-entry ledger: accounts per issuing region and fiscal year,
//! immutable transfers of two or more postings that sum to zero, balances
//! kept beside the postings, and the invariant checker.
//!
//! Balances are changed only by [`post`], with a guarded `UPDATE` per leg
//! (`balance + delta >= 0` for every account but the outside world), in the
//! caller's transaction. Postings are only ever inserted.

pub mod invariants;
pub mod totals;

use std::fmt;

use sea_orm::sea_query::{CaseStatement, Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::domain::{Money, Region};
use crate::store::entities::{accounts, postings, transfers};

pub use invariants::{check, Violation};
pub use totals::{add_to_totals, add_up, TotalDelta, Totals};

/// What an account holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountKind {
    /// Where appropriations come from; its balance is minus the appropriated total.
    Outside,
    /// The unissued budget for the year: the region's own (no owner), or a
    /// district fund's (owner: the fund, see [`crate::domain::fund::owner`]).
    Budget,
    /// A voucher's available balance (owner: the voucher).
    Voucher,
    /// What is held on a voucher for open redemptions (owner: the voucher).
    Hold,
    /// Completed and owed to a provider (owner: the provider).
    Payable,
    /// Sent to the bank in a settlement run's file, not yet booked (owner:
    /// the provider).
    InTransit,
    /// Paid out to providers.
    Paid,
}

impl AccountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Outside => "outside",
            AccountKind::Budget => "budget",
            AccountKind::Voucher => "voucher",
            AccountKind::Hold => "hold",
            AccountKind::Payable => "payable",
            AccountKind::InTransit => "in_transit",
            AccountKind::Paid => "paid",
        }
    }

    /// Only the outside world may go below zero.
    pub fn may_go_negative(self) -> bool {
        self == AccountKind::Outside
    }
}

/// The code of a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferCode {
    Appropriate,
    Issue,
    Hold,
    Release,
    Complete,
    Pay,
    Expire,
    Revoke,
    /// Payable to in transit: a settlement run's file went to the bank.
    Dispatch,
    /// In transit to paid: the bank booked a run's payment.
    Settle,
    /// In transit back to payable: the bank rejected or returned a payment.
    Return,
}

impl TransferCode {
    pub fn as_str(self) -> &'static str {
        match self {
            TransferCode::Appropriate => "appropriate",
            TransferCode::Issue => "issue",
            TransferCode::Hold => "hold",
            TransferCode::Release => "release",
            TransferCode::Complete => "complete",
            TransferCode::Pay => "pay",
            TransferCode::Expire => "expire",
            TransferCode::Revoke => "revoke",
            TransferCode::Dispatch => "dispatch",
            TransferCode::Settle => "settle",
            TransferCode::Return => "return",
        }
    }
}

/// An account of one issuing region and fiscal year.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountRef {
    pub region: Region,
    pub year: i32,
    pub kind: AccountKind,
    pub owner: Option<Uuid>,
}

/// The namespace of account ids (UUID v5 of region, year, kind and owner).
const ACCOUNT_NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_2a53_9d4e_4b0a_8e61_5a7c_3e2d_9b10);

impl AccountRef {
    /// A region-year account without an owner (outside, the region's own
    /// budget, paid).
    pub fn of(region: &Region, year: i32, kind: AccountKind) -> Self {
        AccountRef {
            region: region.clone(),
            year,
            kind,
            owner: None,
        }
    }

    /// The budget of a region-year: the region's own (`fund` none), or
    /// that of district fund `fund`.
    pub fn budget(region: &Region, year: i32, fund: Option<&str>) -> Self {
        match fund {
            Some(code) => Self::owned(
                region,
                year,
                AccountKind::Budget,
                crate::domain::fund::owner(region, code),
            ),
            None => Self::of(region, year, AccountKind::Budget),
        }
    }

    /// An account owned by a voucher, a provider or a district fund.
    pub fn owned(region: &Region, year: i32, kind: AccountKind, owner: Uuid) -> Self {
        AccountRef {
            owner: Some(owner),
            ..Self::of(region, year, kind)
        }
    }

    /// The account's id: derived, so that no lookup is needed to post to it.
    pub fn id(&self) -> Uuid {
        let owner = self.owner.map(|o| o.to_string()).unwrap_or_default();
        let name = format!(
            "{}/{}/{}/{}",
            self.region,
            self.year,
            self.kind.as_str(),
            owner
        );
        Uuid::new_v5(&ACCOUNT_NAMESPACE, name.as_bytes())
    }
}

/// A transfer to post.
#[derive(Debug, Clone)]
pub struct Transfer {
    pub code: TransferCode,
    pub region: Region,
    pub year: i32,
    /// Signed amounts: positive credits, negative debits.
    pub legs: Vec<(AccountRef, Money)>,
    pub voucher_id: Option<Uuid>,
    pub redemption_id: Option<Uuid>,
    pub claim_id: Option<Uuid>,
    /// For a redemption's transfers: whether its provider is outside the
    /// issuing region (what the region's cross-region total counts).
    pub at_outside_provider: bool,
    /// For a transfer to or from a district fund's budget: the district
    /// (the fund's own totals move with the region's).
    pub fund: Option<String>,
}

impl Transfer {
    /// A two-leg transfer of `amount` from one account to another.
    pub fn between(code: TransferCode, from: AccountRef, to: AccountRef, amount: Money) -> Self {
        Transfer {
            code,
            region: from.region.clone(),
            year: from.year,
            legs: vec![(from, -amount), (to, amount)],
            voucher_id: None,
            redemption_id: None,
            claim_id: None,
            at_outside_provider: false,
            fund: None,
        }
    }

    /// The amount moved: the sum of the credits.
    pub fn amount(&self) -> Money {
        let fen = self
            .legs
            .iter()
            .map(|(_, m)| m.fen())
            .filter(|f| *f > 0)
            .fold(0i64, i64::saturating_add);
        Money::from_fen(fen)
    }

    pub fn voucher(mut self, id: Uuid) -> Self {
        self.voucher_id = Some(id);
        self
    }

    /// Links the transfer to a redemption at a provider inside the issuing
    /// region (`outside == false`) or outside it.
    pub fn redemption(mut self, id: Uuid, outside: bool) -> Self {
        self.redemption_id = Some(id);
        self.at_outside_provider = outside;
        self
    }

    pub fn claim(mut self, id: Uuid) -> Self {
        self.claim_id = Some(id);
        self
    }

    /// Marks a transfer to or from the budget of district fund `fund`.
    pub fn fund(mut self, fund: Option<String>) -> Self {
        self.fund = fund;
        self
    }
}

/// Why a transfer was not posted.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The account would go below zero.
    #[error("insufficient balance on a {} account", .account.kind.as_str())]
    Insufficient {
        account: AccountRef,
        /// The account's balance when the transfer was refused.
        balance: Money,
        /// What the transfer would have taken from it.
        amount: Money,
    },
    /// The transfer itself is malformed: a bug in the caller.
    #[error("malformed transfer: {0}")]
    Malformed(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl fmt::Display for AccountKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Creates the account if it does not exist yet.
pub async fn open_account<C: ConnectionTrait>(
    conn: &C,
    account: &AccountRef,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Uuid, DbErr> {
    let id = account.id();
    let row = accounts::ActiveModel {
        id: Set(id),
        region: Set(account.region.clone()),
        year: Set(account.year),
        kind: Set(account.kind.as_str().into()),
        owner_id: Set(account.owner),
        balance: Set(0),
        credited: Set(0),
        debited: Set(0),
        credits: Set(0),
        created_at: Set(now),
    };
    accounts::Entity::insert(row)
        .on_conflict(
            OnConflict::column(accounts::Column::Id)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(id)
}

/// When, and for which operation (request or job run), transfers are posted:
/// the operation links each transfer to the audit event that records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub at: chrono::DateTime<chrono::Utc>,
    pub operation: Uuid,
}

/// A transfer as posted: its id and legs, as the audit trail records them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    pub id: Uuid,
    pub code: TransferCode,
    pub region: Region,
    pub year: i32,
    /// Account kind, account id and signed amount in fen, in leg order.
    pub legs: Vec<(AccountKind, Uuid, i64)>,
}

/// Posts a transfer in the caller's transaction: checks that it balances,
/// moves each balance with a guard against going negative, and records the
/// transfer and its postings.
pub async fn post<C: ConnectionTrait>(
    conn: &C,
    transfer: &Transfer,
    stamp: &Stamp,
) -> Result<Posted, LedgerError> {
    validate(transfer)?;
    move_balances(conn, transfer).await?;
    let id = Uuid::now_v7();
    transfers::Entity::insert(transfers::ActiveModel {
        id: Set(id),
        code: Set(transfer.code.as_str().into()),
        region: Set(transfer.region.clone()),
        year: Set(transfer.year),
        voucher_id: Set(transfer.voucher_id),
        redemption_id: Set(transfer.redemption_id),
        claim_id: Set(transfer.claim_id),
        operation_id: Set(Some(stamp.operation)),
        created_at: Set(stamp.at),
    })
    .exec_without_returning(conn)
    .await?;
    let legs = transfer
        .legs
        .iter()
        .enumerate()
        .map(|(leg, (account, amount))| postings::ActiveModel {
            transfer_id: Set(id),
            leg: Set(leg as i16),
            account_id: Set(account.id()),
            amount: Set(amount.fen()),
        });
    postings::Entity::insert_many(legs)
        .exec_without_returning(conn)
        .await?;
    Ok(Posted {
        id,
        code: transfer.code,
        region: transfer.region.clone(),
        year: transfer.year,
        legs: transfer
            .legs
            .iter()
            .map(|(a, m)| (a.kind, a.id(), m.fen()))
            .collect(),
    })
}

/// Moves the balances of a transfer's accounts in one statement: each by
/// its leg, each leg that may not go negative guarded by the balance it
/// needs. Fails, changing nothing, unless every account moved.
async fn move_balances<C: ConnectionTrait>(
    conn: &C,
    transfer: &Transfer,
) -> Result<(), LedgerError> {
    use accounts::Column as A;
    let legs: Vec<(Uuid, i64, AccountKind)> = transfer
        .legs
        .iter()
        .map(|(account, amount)| (account.id(), amount.fen(), account.kind))
        .collect();
    // `column` plus the value `add` gives for each leg's account (if any).
    let moved = |column: A, add: &dyn Fn(i64) -> Option<i64>| {
        let mut case = CaseStatement::new();
        for (id, delta, _) in &legs {
            if let Some(value) = add(*delta) {
                case = case.case(A::Id.eq(*id), Expr::col(column).add(value));
            }
        }
        let expr: Expr = case.finally(Expr::col(column)).into();
        expr
    };
    let mut update = accounts::Entity::update_many()
        .col_expr(A::Balance, moved(A::Balance, &|d| Some(d)))
        .col_expr(A::Credited, moved(A::Credited, &|d| (d > 0).then_some(d)))
        .col_expr(A::Credits, moved(A::Credits, &|d| (d > 0).then_some(1)))
        .col_expr(A::Debited, moved(A::Debited, &|d| (d < 0).then_some(-d)))
        .filter(A::Id.is_in(legs.iter().map(|(id, _, _)| *id)));
    for (id, delta, kind) in &legs {
        if *delta < 0 && !kind.may_go_negative() {
            update = update.filter(
                sea_orm::Condition::any()
                    .add(A::Id.ne(*id))
                    .add(A::Balance.gte(-delta)),
            );
        }
    }
    if update.exec(conn).await?.rows_affected == legs.len() as u64 {
        return Ok(());
    }
    // Nothing moved: say why.
    let found = balances(conn, legs.iter().map(|(id, _, _)| *id)).await?;
    for ((id, delta, kind), (account, _)) in legs.iter().zip(&transfer.legs) {
        match found.get(id) {
            None => return Err(LedgerError::Malformed(format!("no {kind} account {id}"))),
            Some(balance) if *delta < 0 && !kind.may_go_negative() && balance.fen() < -delta => {
                return Err(LedgerError::Insufficient {
                    account: account.clone(),
                    balance: *balance,
                    amount: Money::from_fen(-delta),
                })
            }
            Some(_) => {}
        }
    }
    Err(LedgerError::Malformed(
        "a transfer moves an account twice".into(),
    ))
}

fn validate(transfer: &Transfer) -> Result<(), LedgerError> {
    if transfer.legs.len() < 2 {
        return Err(LedgerError::Malformed(
            "a transfer has two or more legs".into(),
        ));
    }
    let mut sum = Money::ZERO;
    for (account, amount) in &transfer.legs {
        if amount.is_zero() {
            return Err(LedgerError::Malformed("a leg of zero".into()));
        }
        if account.region != transfer.region || account.year != transfer.year {
            return Err(LedgerError::Malformed(
                "a leg outside the transfer's region and year".into(),
            ));
        }
        sum = sum
            .checked_add(*amount)
            .ok_or_else(|| LedgerError::Malformed("overflow".into()))?;
    }
    if !sum.is_zero() {
        return Err(LedgerError::Malformed(format!(
            "legs sum to {sum}, not zero"
        )));
    }
    Ok(())
}

/// The balances of some accounts, by id (missing accounts are absent).
pub async fn balances<C: ConnectionTrait>(
    conn: &C,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<std::collections::HashMap<Uuid, Money>, DbErr> {
    let rows = accounts::Entity::find()
        .filter(accounts::Column::Id.is_in(ids))
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|a| (a.id, Money::from_fen(a.balance)))
        .collect())
}

#[cfg(test)]
mod tests;
