//! The double-entry ledger: accounts per issuing region and fiscal year,
//! immutable transfers of two or more postings that sum to zero, balances
//! kept beside the postings, and the invariant checker.
//!
//! Balances are changed only by [`post`], with a guarded `UPDATE` per leg
//! (`balance + delta >= 0` for every account but the outside world), in the
//! caller's transaction. Postings are only ever inserted.

pub mod invariants;

use std::fmt;

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::domain::{Money, Region};
use crate::store::entities::{accounts, postings, transfers};

pub use invariants::{check, Violation};

/// What an account holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountKind {
    /// Where appropriations come from; its balance is minus the appropriated total.
    Outside,
    /// The region's unissued budget for the year.
    Budget,
    /// A voucher's available balance (owner: the voucher).
    Voucher,
    /// What is held on a voucher for open redemptions (owner: the voucher).
    Hold,
    /// Completed and owed to a provider (owner: the provider).
    Payable,
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
    /// A region-year account without an owner (outside, budget, paid).
    pub fn of(region: &Region, year: i32, kind: AccountKind) -> Self {
        AccountRef {
            region: region.clone(),
            year,
            kind,
            owner: None,
        }
    }

    /// An account owned by a voucher or a provider.
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
}

/// Why a transfer was not posted.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The account would go below zero.
    #[error("insufficient balance on a {} account", .0.as_str())]
    Insufficient(AccountKind),
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
    for (account, amount) in &transfer.legs {
        let delta = amount.fen();
        let mut update = accounts::Entity::update_many()
            .col_expr(
                accounts::Column::Balance,
                Expr::col(accounts::Column::Balance).add(delta),
            )
            .filter(accounts::Column::Id.eq(account.id()));
        update = if delta >= 0 {
            update
                .col_expr(
                    accounts::Column::Credited,
                    Expr::col(accounts::Column::Credited).add(delta),
                )
                .col_expr(
                    accounts::Column::Credits,
                    Expr::col(accounts::Column::Credits).add(1),
                )
        } else {
            update.col_expr(
                accounts::Column::Debited,
                Expr::col(accounts::Column::Debited).add(-delta),
            )
        };
        if !account.kind.may_go_negative() && delta < 0 {
            update = update.filter(Expr::col(accounts::Column::Balance).gte(-delta));
        }
        if update.exec(conn).await?.rows_affected != 1 {
            return Err(if account.kind.may_go_negative() || delta >= 0 {
                LedgerError::Malformed(format!("no {} account {}", account.kind, account.id()))
            } else {
                LedgerError::Insufficient(account.kind)
            });
        }
    }
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

/// What an operation's postings add to one running total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TotalDelta {
    pub balance: i64,
    pub credited: i64,
    pub debited: i64,
}

/// Sums postings per region, year and account kind, in a fixed order (so
/// that concurrent operations lock the total rows in the same order).
pub fn totals<'a>(
    posted: impl IntoIterator<Item = &'a Posted>,
) -> std::collections::BTreeMap<(Region, i32, &'static str), TotalDelta> {
    let mut sums = std::collections::BTreeMap::new();
    for p in posted {
        for (kind, _, fen) in &p.legs {
            let sum: &mut TotalDelta = sums
                .entry((p.region.clone(), p.year, kind.as_str()))
                .or_default();
            sum.balance += fen;
            if *fen > 0 {
                sum.credited += fen;
            } else {
                sum.debited -= fen;
            }
        }
    }
    sums
}

/// Adds an operation's postings to the running totals per region, year and
/// account kind (what reports read). Called once per operation, after its
/// last posting and before its audit events.
pub async fn add_to_totals<'a, C: ConnectionTrait>(
    conn: &C,
    posted: impl IntoIterator<Item = &'a Posted>,
) -> Result<(), DbErr> {
    use crate::store::entities::ledger_totals::{self as totals_table, Column};
    for ((region, year, kind), delta) in totals(posted) {
        totals_table::Entity::insert(totals_table::ActiveModel {
            region: Set(region.clone()),
            year: Set(year),
            kind: Set(kind.into()),
            balance: Set(0),
            credited: Set(0),
            debited: Set(0),
        })
        .on_conflict(
            OnConflict::columns([Column::Region, Column::Year, Column::Kind])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
        totals_table::Entity::update_many()
            .col_expr(
                Column::Balance,
                Expr::col(Column::Balance).add(delta.balance),
            )
            .col_expr(
                Column::Credited,
                Expr::col(Column::Credited).add(delta.credited),
            )
            .col_expr(
                Column::Debited,
                Expr::col(Column::Debited).add(delta.debited),
            )
            .filter(Column::Region.eq(region))
            .filter(Column::Year.eq(year))
            .filter(Column::Kind.eq(kind))
            .exec(conn)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh() -> Region {
        Region::parse("SH").unwrap()
    }

    #[test]
    fn account_ids_are_stable_and_distinct() {
        let budget = AccountRef::of(&sh(), 2026, AccountKind::Budget);
        assert_eq!(
            budget.id(),
            AccountRef::of(&sh(), 2026, AccountKind::Budget).id()
        );
        assert_ne!(
            budget.id(),
            AccountRef::of(&sh(), 2025, AccountKind::Budget).id()
        );
        let v = Uuid::now_v7();
        assert_ne!(
            AccountRef::owned(&sh(), 2026, AccountKind::Voucher, v).id(),
            AccountRef::owned(&sh(), 2026, AccountKind::Hold, v).id()
        );
    }

    #[test]
    fn transfers_must_balance() {
        let a = AccountRef::of(&sh(), 2026, AccountKind::Outside);
        let b = AccountRef::of(&sh(), 2026, AccountKind::Budget);
        let ok = Transfer::between(
            TransferCode::Appropriate,
            a.clone(),
            b.clone(),
            Money::from_fen(5),
        );
        assert!(validate(&ok).is_ok());
        let mut bad = ok.clone();
        bad.legs[1].1 = Money::from_fen(4);
        assert!(validate(&bad).is_err());
        let mut one_leg = ok.clone();
        one_leg.legs.pop();
        assert!(validate(&one_leg).is_err());
        let mut other_year = ok;
        other_year.legs[1].0.year = 2025;
        assert!(validate(&other_year).is_err());
    }
}
