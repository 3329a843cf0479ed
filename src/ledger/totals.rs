//! Running totals per region, year and account kind: what an operation's
//! postings add to them, and the one statement that stores the sums.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

use super::Posted;
use crate::domain::Region;

/// What an operation's postings add to one running total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TotalDelta {
    pub balance: i64,
    pub credited: i64,
    pub debited: i64,
}

/// Running-total deltas per region, year and account kind, in a fixed order
/// (so that concurrent transactions lock the total rows in the same order).
pub type Totals = std::collections::BTreeMap<(Region, i32, &'static str), TotalDelta>;

/// Adds postings to `totals`.
pub fn add_up<'a>(totals: &mut Totals, posted: impl IntoIterator<Item = &'a Posted>) {
    for p in posted {
        for (kind, _, fen) in &p.legs {
            let sum = totals
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
}

/// Adds `totals` to the stored running totals (what reports read), in one
/// statement: missing rows are inserted, existing ones add the deltas.
pub async fn add_to_totals<C: ConnectionTrait>(conn: &C, totals: Totals) -> Result<(), DbErr> {
    use crate::store::entities::ledger_totals::{self as totals_table, Column, Entity};
    let rows: Vec<_> = totals
        .into_iter()
        .map(|((region, year, kind), delta)| totals_table::ActiveModel {
            region: Set(region),
            year: Set(year),
            kind: Set(kind.into()),
            balance: Set(delta.balance),
            credited: Set(delta.credited),
            debited: Set(delta.debited),
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    let mut upsert = OnConflict::columns([Column::Region, Column::Year, Column::Kind]);
    for column in [Column::Balance, Column::Credited, Column::Debited] {
        upsert.value(
            column,
            Expr::col((Entity, column)).add(Expr::col((Alias::new("excluded"), column))),
        );
    }
    Entity::insert_many(rows)
        .on_conflict(upsert)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}
