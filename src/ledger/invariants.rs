//! The invariants of product.md §6, checked with SQL over the whole ledger.

use sea_orm::{ConnectionTrait, DbErr, Statement};

/// One broken invariant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Which rule.
    pub rule: &'static str,
    /// What breaks it (an id, or region and year).
    pub subject: String,
}

/// Each rule, as a query returning the subjects that break it.
const RULES: &[(&str, &str)] = &[
    (
        "every transfer has two or more postings summing to zero",
        "SELECT t.id AS subject FROM transfers t \
         LEFT JOIN postings p ON p.transfer_id = t.id \
         GROUP BY t.id HAVING COUNT(p.leg) < 2 OR COALESCE(SUM(p.amount), 0) <> 0",
    ),
    (
        "every posting belongs to a transfer",
        "SELECT p.transfer_id AS subject FROM postings p \
         LEFT JOIN transfers t ON t.id = p.transfer_id WHERE t.id IS NULL",
    ),
    (
        "an account's balance and totals equal the sum of its postings",
        "SELECT a.id AS subject FROM accounts a \
         LEFT JOIN postings p ON p.account_id = a.id \
         GROUP BY a.id, a.balance, a.credited, a.debited, a.credits \
         HAVING a.balance <> COALESCE(SUM(p.amount), 0) \
            OR a.credited <> COALESCE(SUM(CASE WHEN p.amount > 0 THEN p.amount ELSE 0 END), 0) \
            OR a.debited <> COALESCE(SUM(CASE WHEN p.amount < 0 THEN -p.amount ELSE 0 END), 0) \
            OR a.credits <> COALESCE(SUM(CASE WHEN p.amount > 0 THEN 1 ELSE 0 END), 0)",
    ),
    (
        "no budget, voucher, hold, payable or paid balance is negative",
        "SELECT id AS subject FROM accounts WHERE kind <> 'outside' AND balance < 0",
    ),
    (
        "per region and year, appropriated = unissued + vouchers + holds + payable + paid",
        "SELECT region || '-' || CAST(year AS TEXT) AS subject FROM accounts \
         GROUP BY region, year HAVING SUM(balance) <> 0",
    ),
    (
        "a budget's appropriated total equals what came from outside",
        "SELECT b.region || '-' || CAST(b.year AS TEXT) AS subject FROM budgets b \
         LEFT JOIN accounts o ON o.region = b.region AND o.year = b.year AND o.kind = 'outside' \
         WHERE b.appropriated <> -COALESCE(o.balance, 0)",
    ),
    (
        "per region and year, the monthly issued totals add up to the budget's issued",
        "SELECT b.region || '-' || CAST(b.year AS TEXT) AS subject FROM budgets b \
         LEFT JOIN (SELECT region, year, SUM(issued) AS issued FROM monthly_totals \
                    GROUP BY region, year) m ON m.region = b.region AND m.year = b.year \
         WHERE b.issued <> COALESCE(m.issued, 0)",
    ),
    (
        "per region and year, the monthly redeemed totals add up to what payable accounts were credited (less payments the bank sent back)",
        "SELECT a.region || '-' || CAST(a.year AS TEXT) AS subject FROM \
         (SELECT region, year, SUM(credited) - COALESCE((SELECT SUM(p.amount) FROM postings p \
               JOIN transfers t ON t.id = p.transfer_id JOIN accounts pa ON pa.id = p.account_id \
               WHERE t.code = 'return' AND pa.kind = 'payable' AND p.amount > 0 \
               AND t.region = accounts.region AND t.year = accounts.year), 0) AS credited \
          FROM accounts WHERE kind = 'payable' GROUP BY region, year) a \
         LEFT JOIN (SELECT region, year, SUM(redeemed) AS redeemed FROM monthly_totals \
                    GROUP BY region, year) m ON m.region = a.region AND m.year = a.year \
         WHERE a.credited <> COALESCE(m.redeemed, 0)",
    ),
    (
        "a voucher's face value = available + held + redeemed + expired + revoked",
        "SELECT v.id AS subject FROM vouchers v \
         LEFT JOIN accounts av ON av.owner_id = v.id AND av.kind = 'voucher' \
         LEFT JOIN accounts ah ON ah.owner_id = v.id AND ah.kind = 'hold' \
         WHERE av.id IS NULL OR ah.id IS NULL \
            OR v.face_value <> av.balance + ah.balance + v.redeemed + v.expired + v.revoked",
    ),
    (
        "a voucher's hold equals its held redemptions",
        "SELECT v.id AS subject FROM vouchers v \
         JOIN accounts ah ON ah.owner_id = v.id AND ah.kind = 'hold' \
         WHERE ah.balance <> COALESCE((SELECT SUM(r.amount) FROM redemptions r \
               WHERE r.voucher_id = v.id AND r.status = 'held'), 0)",
    ),
    (
        "a voucher's redeemed total equals its completed redemptions",
        "SELECT v.id AS subject FROM vouchers v \
         WHERE v.redeemed <> COALESCE((SELECT SUM(r.completed_amount) FROM redemptions r \
               WHERE r.voucher_id = v.id AND r.status = 'completed'), 0)",
    ),
    (
        "a budget's outside total equals what is held or completed at providers outside the region",
        "SELECT b.region || '-' || CAST(b.year AS TEXT) AS subject FROM budgets b \
         WHERE b.outside_committed <> COALESCE((SELECT SUM(CASE WHEN r.status = 'held' THEN r.amount \
               ELSE r.completed_amount END) FROM redemptions r WHERE r.region = b.region AND r.year = b.year \
               AND r.provider_region <> r.region AND r.status IN ('held', 'completed')), 0)",
    ),
    (
        "the running totals per region, year and kind equal their accounts",
        "SELECT COALESCE(a.region, t.region) || '-' || CAST(COALESCE(a.year, t.year) AS TEXT) || '-' || COALESCE(a.kind, t.kind) AS subject \
         FROM (SELECT region, year, kind, SUM(balance) AS balance, SUM(credited) AS credited, SUM(debited) AS debited \
               FROM accounts GROUP BY region, year, kind HAVING SUM(credited) <> 0 OR SUM(debited) <> 0) a \
         FULL OUTER JOIN ledger_totals t ON t.region = a.region AND t.year = a.year AND t.kind = a.kind \
         WHERE a.region IS NULL OR t.region IS NULL OR a.balance <> t.balance OR a.credited <> t.credited \
            OR a.debited <> t.debited",
    ),
    (
        "a budget's expired, revoked, claimed and companies-served totals agree with the vouchers and redemptions",
        "SELECT b.region || '-' || CAST(b.year AS TEXT) AS subject FROM budgets b \
         WHERE b.expired <> COALESCE((SELECT SUM(v.expired) FROM vouchers v WHERE v.region = b.region AND v.year = b.year), 0) \
            OR b.revoked <> COALESCE((SELECT SUM(v.revoked) FROM vouchers v WHERE v.region = b.region AND v.year = b.year), 0) \
            OR b.companies_served <> (SELECT COUNT(DISTINCT v.holder_id) FROM vouchers v WHERE v.region = b.region AND v.year = b.year) \
            OR b.claimed <> COALESCE((SELECT SUM(r.completed_amount) FROM redemptions r WHERE r.region = b.region \
               AND r.year = b.year AND r.status = 'completed' AND r.claim_id IS NOT NULL), 0)",
    ),
    (
        "a district fund's issued and returned totals agree with its vouchers",
        "SELECT f.region || '-' || CAST(f.year AS TEXT) || '-' || f.fund AS subject FROM fund_budgets f \
         WHERE f.issued <> COALESCE((SELECT SUM(v.face_value) FROM vouchers v WHERE v.region = f.region \
               AND v.year = f.year AND v.fund = f.fund), 0) \
            OR f.returned <> COALESCE((SELECT SUM(v.expired + v.revoked) FROM vouchers v \
               WHERE v.region = f.region AND v.year = f.year AND v.fund = f.fund), 0)",
    ),
    (
        "per region and year, the district funds' budget balances equal their appropriated − issued + returned",
        "SELECT COALESCE(a.region, f.region) || '-' || CAST(COALESCE(a.year, f.year) AS TEXT) AS subject FROM \
         (SELECT region, year, SUM(balance) AS balance FROM accounts \
          WHERE kind = 'budget' AND owner_id IS NOT NULL GROUP BY region, year) a \
         FULL OUTER JOIN (SELECT region, year, SUM(appropriated - issued + returned) AS balance \
          FROM fund_budgets GROUP BY region, year) f ON f.region = a.region AND f.year = a.year \
         WHERE COALESCE(a.balance, 0) <> COALESCE(f.balance, 0)",
    ),
    (
        "what each company was issued per region and year equals its vouchers less revocations",
        "SELECT COALESCE(v.region, t.region) || '-' || CAST(COALESCE(v.year, t.year) AS TEXT) AS subject \
         FROM (SELECT holder_id, region, year, SUM(face_value - revoked) AS issued FROM vouchers \
               GROUP BY holder_id, region, year) v \
         FULL OUTER JOIN issued_totals t ON t.holder_id = v.holder_id AND t.region = v.region \
              AND t.year = v.year \
         WHERE v.region IS NULL OR t.region IS NULL OR v.issued <> t.issued",
    ),
    (
        "a paid claim's amount was paid out, and nothing else was",
        "SELECT r.region AS subject FROM (SELECT region, SUM(amount) AS paid FROM claims \
         WHERE status = 'paid' GROUP BY region) r \
         LEFT JOIN (SELECT region, SUM(balance) AS paid FROM accounts WHERE kind = 'paid' \
         GROUP BY region) a ON a.region = r.region WHERE r.paid <> COALESCE(a.paid, 0)",
    ),
    (
        "per region, what is in transit equals the run payments sent and not yet booked or sent back",
        "SELECT COALESCE(a.region, i.region) AS subject FROM \
         (SELECT region, SUM(balance) AS amount FROM accounts WHERE kind = 'in_transit' \
          GROUP BY region) a \
         FULL OUTER JOIN (SELECT r.region, SUM(it.amount) AS amount FROM settlement_items it \
          JOIN settlement_runs r ON r.id = it.run_id WHERE it.status = 'sent' GROUP BY r.region) i \
         ON i.region = a.region WHERE COALESCE(a.amount, 0) <> COALESCE(i.amount, 0)",
    ),
    (
        "a claim a run pays is approved while its payment is included or sent, and paid once booked",
        "SELECT c.id AS subject FROM claims c JOIN settlement_items it ON it.id = c.settlement_item_id \
         WHERE NOT ((it.status IN ('included', 'sent') AND c.status = 'approved') \
                 OR (it.status = 'settled' AND c.status = 'paid'))",
    ),
    (
        "a run payment's amount and count equal its claims'",
        "SELECT it.id AS subject FROM settlement_items it \
         WHERE it.status IN ('included', 'sent', 'settled') AND (it.amount <> \
               COALESCE((SELECT SUM(c.amount) FROM claims c WHERE c.settlement_item_id = it.id), 0) \
            OR it.claim_count <> (SELECT COUNT(*) FROM claims c WHERE c.settlement_item_id = it.id))",
    ),
    (
        "a run's control totals equal its payments",
        "SELECT r.id AS subject FROM settlement_runs r LEFT JOIN \
         (SELECT run_id, COUNT(*) AS n, SUM(amount) AS total, SUM(claim_count) AS claims \
          FROM settlement_items GROUP BY run_id) i ON i.run_id = r.id \
         WHERE r.status NOT IN ('draft', 'cancelled') AND (r.item_count <> COALESCE(i.n, 0) \
            OR r.total <> COALESCE(i.total, 0) OR r.claim_count <> COALESCE(i.claims, 0))",
    ),
];

/// Checks every invariant; returns what is broken (empty when all hold).
pub async fn check<C: ConnectionTrait>(conn: &C) -> Result<Vec<Violation>, DbErr> {
    let backend = conn.get_database_backend();
    let mut violations = Vec::new();
    for (rule, sql) in RULES {
        let rows = conn
            .query_all_raw(Statement::from_string(backend, *sql))
            .await?;
        for row in rows {
            // Subjects are ids (UUIDs; a BLOB on SQLite) or region-year text.
            let subject = match row.try_get::<uuid::Uuid>("", "subject") {
                Ok(id) => id.to_string(),
                Err(_) => row.try_get::<String>("", "subject")?,
            };
            violations.push(Violation { rule, subject });
        }
    }
    Ok(violations)
}
