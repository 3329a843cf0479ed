//! The invariant checker itself: it finds what direct SQL breaks.

use serde_json::json;

use crate::world::World;

async fn broken_rules(w: &World) -> Vec<&'static str> {
    let mut rules: Vec<&'static str> = voucher_ledger::ledger::check(w.app.db.reader())
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.rule)
        .collect();
    rules.dedup();
    rules
}

async fn sql(w: &World, statement: &str) {
    w.app.sql(statement).await;
}

/// A JX voucher of 1,000.00 with 100.00 held at the Shanghai lab and
/// completed with `completion` (`{}`: all of it).
async fn completed_at_the_lab(w: &World, completion: serde_json::Value) {
    let v = w
        .voucher(&w.jx_company, &w.jx_regulator, "JX", "1000.00")
        .await;
    let r = w
        .hold(&w.jx_company, &v, &w.sh_lab, "T-1", "2000.00", "100.00")
        .await;
    let id = r.body["id"].as_str().unwrap();
    let done = w
        .post(
            &w.sh_lab.token,
            &format!("/api/v1/redemptions/{id}/complete"),
            completion,
        )
        .await;
    assert_eq!(done.status.code, 200, "{}", done.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampering_is_found() {
    let w = World::new().await;
    completed_at_the_lab(&w, json!({})).await;
    assert!(broken_rules(&w).await.is_empty());
    w.app.allow_tampering().await;

    // A balance edited by hand no longer equals its postings, and the voucher
    // no longer adds up.
    sql(
        &w,
        "UPDATE accounts SET balance = balance + 1 WHERE kind = 'voucher'",
    )
    .await;
    let broken = broken_rules(&w).await;
    assert!(
        broken.contains(&"an account's balance and totals equal the sum of its postings"),
        "{broken:?}"
    );
    assert!(
        broken
            .contains(&"a voucher's face value = available + held + redeemed + expired + revoked"),
        "{broken:?}"
    );
    sql(
        &w,
        "UPDATE accounts SET balance = balance - 1 WHERE kind = 'voucher'",
    )
    .await;
    assert!(broken_rules(&w).await.is_empty());

    // What a company was issued, edited: the annual cap would be checked
    // against a wrong figure.
    sql(&w, "UPDATE issued_totals SET issued = issued + 1").await;
    assert!(
        broken_rules(&w).await.contains(
            &"what each company was issued per region and year equals its vouchers less revocations"
        ),
        "issued total"
    );
    sql(&w, "UPDATE issued_totals SET issued = issued - 1").await;
    assert!(broken_rules(&w).await.is_empty());

    // A month's totals, edited: the dashboard would show wrong figures.
    sql(
        &w,
        "UPDATE monthly_totals SET issued = issued + 1, redeemed = redeemed + 1",
    )
    .await;
    let broken = broken_rules(&w).await;
    assert!(
        broken.contains(
            &"per region and year, the monthly issued totals add up to the budget's issued"
        ) && broken.contains(
            &"per region and year, the monthly redeemed totals add up to what payable accounts were credited (less payments the bank sent back)"
        ),
        "{broken:?}"
    );
    sql(
        &w,
        "UPDATE monthly_totals SET issued = issued - 1, redeemed = redeemed - 1",
    )
    .await;
    assert!(broken_rules(&w).await.is_empty());

    // A posting's amount edited: its transfer no longer balances.
    sql(
        &w,
        "UPDATE postings SET amount = amount + 5 WHERE leg = 1 AND amount = 10000",
    )
    .await;
    let broken = broken_rules(&w).await;
    assert!(
        broken.contains(&"every transfer has two or more postings summing to zero"),
        "{broken:?}"
    );

    // A negative budget.
    sql(&w, "UPDATE accounts SET balance = -1 WHERE kind = 'budget'").await;
    assert!(broken_rules(&w)
        .await
        .contains(&"no budget, voucher, hold, payable or paid balance is negative"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_monthly_totals_are_rebuilt_from_the_transfers_by_their_migration() {
    use migration::MigratorTrait;
    use sea_orm::{ConnectionTrait, Statement};
    let w = World::new().await;
    completed_at_the_lab(&w, json!({"amount": "60.00"})).await;
    let db = w.app.db.writer();
    let rows = || async {
        let sql = "SELECT region, year, month, issued, redeemed FROM monthly_totals \
                   ORDER BY region, year, month";
        let rows = db
            .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .unwrap();
        rows.iter()
            .map(|r| {
                let month: String = r.try_get_by_index(2).unwrap();
                let issued: i64 = r.try_get_by_index(3).unwrap();
                let redeemed: i64 = r.try_get_by_index(4).unwrap();
                (month, issued, redeemed)
            })
            .collect::<Vec<_>>()
    };
    let kept = rows().await;
    assert!(
        kept.contains(&("2026-03".to_owned(), 100_000, 6_000)),
        "{kept:?}"
    );
    migration::Migrator::down(db, Some(1)).await.unwrap();
    migration::Migrator::up(db, None).await.unwrap();
    assert_eq!(rows().await, kept);
    assert!(broken_rules(&w).await.is_empty());
}
