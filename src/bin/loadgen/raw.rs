//! The raw baselines: the smallest correct SQL transactions with the same
//! effect as the service's, written by hand with prepared statements on the
//! same database, without HTTP or ORM models — what the service is measured
//! against (quality.md §1).
//!
//! - hold: lock the voucher row, guarded debit, insert the redemption,
//!   insert two postings, lock the region's audit head, insert one chained
//!   audit row, update the head, commit;
//! - hot: the same, every client on one voucher;
//! - lifecycle: that hold, then a completion (lock the redemption, mark it,
//!   two postings, audit) and a claim (insert it, attach the redemption,
//!   audit): three transactions;
//! - issue: lock the budget row, guarded debit, insert the voucher, two
//!   postings, audit.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait, Value,
};
use sha2::{Digest, Sha256};

use super::{err, Result};

/// Vouchers the spread shapes use.
const VOUCHERS: i64 = 64;

/// Which raw transaction to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Holds spread over 64 vouchers.
    Hold,
    /// Holds on one voucher.
    Hot,
    /// Hold, complete, claim: three transactions an operation.
    Lifecycle,
    /// Issue a voucher from the budget.
    Issue,
}

/// Runs `clients` writers of `shape` for `seconds` on `url`; operations a
/// second.
pub fn run(url: &str, shape: Shape, clients: usize, seconds: u64) -> Result<f64> {
    tokio::runtime::Runtime::new()
        .map_err(err)?
        .block_on(run_async(url, shape, clients, seconds))
}

async fn run_async(url: &str, shape: Shape, clients: usize, seconds: u64) -> Result<f64> {
    let sqlite = url.starts_with("sqlite:");
    let mut options = sea_orm::ConnectOptions::new(url.to_owned());
    options
        .max_connections(if sqlite { 1 } else { clients as u32 })
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(5))
        });
    let db = Database::connect(options).await.map_err(err)?;
    set_up(&db).await?;
    let raw = Arc::new(Raw {
        db: db.clone(),
        sqlite,
        next_id: AtomicI64::new(1_000_000),
    });
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..clients)
        .map(|client| {
            let (raw, done) = (raw.clone(), done.clone());
            tokio::spawn(async move {
                let mut n = 0i64;
                while Instant::now() < deadline {
                    let voucher = match shape {
                        Shape::Hot => 0,
                        _ => (client as i64 * 7 + n) % VOUCHERS,
                    };
                    match shape {
                        Shape::Hold | Shape::Hot => {
                            raw.hold(voucher).await?;
                        }
                        Shape::Lifecycle => {
                            let redemption = raw.hold(voucher).await?;
                            raw.complete(&redemption).await?;
                            raw.claim(&redemption).await?;
                        }
                        Shape::Issue => raw.issue().await?,
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                    n += 1;
                }
                Ok::<_, String>(())
            })
        })
        .collect();
    let started = Instant::now();
    for task in tasks {
        task.await.map_err(err)??;
    }
    let rate = done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    tear_down(&db).await?;
    Ok(rate)
}

struct Raw {
    db: DatabaseConnection,
    sqlite: bool,
    next_id: AtomicI64,
}

impl Raw {
    fn statement(&self, sql: &str, values: Vec<Value>) -> Statement {
        let backend = self.db.get_database_backend();
        let sql = if backend == DbBackend::Postgres {
            let mut numbered = String::new();
            let mut n = 0;
            for c in sql.chars() {
                if c == '?' {
                    n += 1;
                    numbered.push_str(&format!("${n}"));
                } else {
                    numbered.push(c);
                }
            }
            numbered
        } else {
            sql.to_owned()
        };
        Statement::from_sql_and_values(backend, sql, values)
    }

    fn lock(&self) -> &'static str {
        if self.sqlite {
            ""
        } else {
            " FOR UPDATE"
        }
    }

    async fn begin(&self) -> Result<DatabaseTransaction> {
        let options = TransactionOptions {
            sqlite_transaction_mode: self.sqlite.then_some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        self.db.begin_with_options(options).await.map_err(err)
    }

    async fn exec(&self, txn: &DatabaseTransaction, sql: &str, values: Vec<Value>) -> Result<u64> {
        Ok(txn
            .execute_raw(self.statement(sql, values))
            .await
            .map_err(err)?
            .rows_affected())
    }

    async fn postings(
        &self,
        txn: &DatabaseTransaction,
        transfer: &str,
        from: i64,
        to: i64,
    ) -> Result<()> {
        self.exec(
            txn,
            "INSERT INTO raw_postings (transfer_id, leg, account, amount) VALUES (?, 0, ?, -100), (?, 1, ?, 100)",
            vec![transfer.into(), from.into(), transfer.into(), to.into()],
        )
        .await
        .map(drop)
    }

    /// Locks the audit head, appends one chained row, moves the head.
    async fn audit(&self, txn: &DatabaseTransaction, payload: String) -> Result<()> {
        let sql = format!(
            "SELECT seq, hash FROM raw_audit_head WHERE region = ?{}",
            self.lock()
        );
        let head = txn
            .query_one_raw(self.statement(&sql, vec!["JX".into()]))
            .await
            .map_err(err)?
            .ok_or("no raw audit head")?;
        let seq: i64 = head.try_get("", "seq").map_err(err)?;
        let prev: String = head.try_get("", "hash").map_err(err)?;
        let hash = hex::encode(Sha256::digest(format!("{prev}{payload}")));
        self.exec(
            txn,
            "INSERT INTO raw_audit (region, seq, payload, hash) VALUES ('JX', ?, ?, ?)",
            vec![(seq + 1).into(), payload.into(), hash.clone().into()],
        )
        .await?;
        self.exec(
            txn,
            "UPDATE raw_audit_head SET seq = ?, hash = ? WHERE region = 'JX'",
            vec![(seq + 1).into(), hash.into()],
        )
        .await
        .map(drop)
    }

    /// A hold of 1.00 on `voucher`: the redemption's id.
    async fn hold(&self, voucher: i64) -> Result<String> {
        let txn = self.begin().await?;
        let sql = format!(
            "SELECT balance FROM raw_vouchers WHERE id = ?{}",
            self.lock()
        );
        txn.query_one_raw(self.statement(&sql, vec![voucher.into()]))
            .await
            .map_err(err)?;
        let debited = self
            .exec(
                &txn,
                "UPDATE raw_vouchers SET balance = balance - 100 WHERE id = ? AND balance >= 100",
                vec![voucher.into()],
            )
            .await?;
        if debited != 1 {
            return Err("a raw voucher ran out".into());
        }
        let id = uuid::Uuid::now_v7().to_string();
        self.exec(
            &txn,
            "INSERT INTO raw_redemptions (id, voucher_id, amount, status) VALUES (?, ?, 100, 'held')",
            vec![id.clone().into(), voucher.into()],
        )
        .await?;
        self.postings(&txn, &id, voucher, voucher + 1000).await?;
        let payload = format!("{{\"hold\":\"{id}\",\"voucher\":{voucher},\"amount_fen\":100}}");
        self.audit(&txn, payload).await?;
        txn.commit().await.map_err(err)?;
        Ok(id)
    }

    /// Completes a held redemption.
    async fn complete(&self, redemption: &str) -> Result<()> {
        let txn = self.begin().await?;
        let sql = format!(
            "SELECT voucher_id FROM raw_redemptions WHERE id = ?{}",
            self.lock()
        );
        let row = txn
            .query_one_raw(self.statement(&sql, vec![redemption.into()]))
            .await
            .map_err(err)?
            .ok_or("no raw redemption")?;
        let voucher: i64 = row.try_get("", "voucher_id").map_err(err)?;
        let completed = self
            .exec(
                &txn,
                "UPDATE raw_redemptions SET status = 'completed' WHERE id = ? AND status = 'held'",
                vec![redemption.into()],
            )
            .await?;
        if completed != 1 {
            return Err("a raw redemption was not held".into());
        }
        let transfer = uuid::Uuid::now_v7().to_string();
        self.postings(&txn, &transfer, voucher + 1000, voucher + 2000)
            .await?;
        self.audit(&txn, format!("{{\"complete\":\"{redemption}\"}}"))
            .await?;
        txn.commit().await.map_err(err)
    }

    /// Claims a completed redemption.
    async fn claim(&self, redemption: &str) -> Result<()> {
        let txn = self.begin().await?;
        let claim = uuid::Uuid::now_v7().to_string();
        self.exec(
            &txn,
            "INSERT INTO raw_claims (id, invoice_no, amount) VALUES (?, ?, 100)",
            vec![claim.clone().into(), format!("INV-{claim}").into()],
        )
        .await?;
        let attached = self
            .exec(
                &txn,
                "UPDATE raw_redemptions SET claim_id = ? WHERE id = ? AND status = 'completed' AND claim_id IS NULL",
                vec![claim.clone().into(), redemption.into()],
            )
            .await?;
        if attached != 1 {
            return Err("a raw redemption was not claimable".into());
        }
        self.audit(&txn, format!("{{\"claim\":\"{claim}\"}}"))
            .await?;
        txn.commit().await.map_err(err)
    }

    /// Issues a voucher of 1.00 from the budget.
    async fn issue(&self) -> Result<()> {
        let txn = self.begin().await?;
        let sql = format!(
            "SELECT available FROM raw_budget WHERE region = 'JX'{}",
            self.lock()
        );
        txn.query_one_raw(self.statement(&sql, vec![]))
            .await
            .map_err(err)?;
        let debited = self
            .exec(
                &txn,
                "UPDATE raw_budget SET available = available - 100 WHERE region = 'JX' AND available >= 100",
                vec![],
            )
            .await?;
        if debited != 1 {
            return Err("the raw budget ran out".into());
        }
        let voucher = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.exec(
            &txn,
            "INSERT INTO raw_vouchers (id, balance) VALUES (?, 100)",
            vec![voucher.into()],
        )
        .await?;
        let transfer = uuid::Uuid::now_v7().to_string();
        self.postings(&txn, &transfer, -1, voucher).await?;
        self.audit(&txn, format!("{{\"issue\":{voucher}}}")).await?;
        txn.commit().await.map_err(err)
    }
}

async fn set_up(db: &DatabaseConnection) -> Result<()> {
    tear_down(db).await?;
    for sql in [
        "CREATE TABLE raw_vouchers (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL)",
        "CREATE TABLE raw_budget (region VARCHAR(8) PRIMARY KEY, available BIGINT NOT NULL)",
        "CREATE TABLE raw_redemptions (id VARCHAR(40) PRIMARY KEY, voucher_id BIGINT NOT NULL, \
         amount BIGINT NOT NULL, status VARCHAR(16) NOT NULL, claim_id VARCHAR(40))",
        "CREATE TABLE raw_claims (id VARCHAR(40) PRIMARY KEY, invoice_no VARCHAR(64) NOT NULL UNIQUE, \
         amount BIGINT NOT NULL)",
        "CREATE TABLE raw_postings (transfer_id VARCHAR(40) NOT NULL, leg SMALLINT NOT NULL, \
         account BIGINT NOT NULL, amount BIGINT NOT NULL, PRIMARY KEY (transfer_id, leg))",
        "CREATE TABLE raw_audit_head (region VARCHAR(8) PRIMARY KEY, seq BIGINT NOT NULL, hash VARCHAR(64) NOT NULL)",
        "CREATE TABLE raw_audit (region VARCHAR(8) NOT NULL, seq BIGINT NOT NULL, payload TEXT NOT NULL, \
         hash VARCHAR(64) NOT NULL, PRIMARY KEY (region, seq))",
        "INSERT INTO raw_audit_head (region, seq, hash) VALUES ('JX', 0, '')",
        "INSERT INTO raw_budget (region, available) VALUES ('JX', 100000000000000)",
    ] {
        db.execute_unprepared(sql).await.map_err(err)?;
    }
    for id in 0..VOUCHERS {
        db.execute_unprepared(&format!(
            "INSERT INTO raw_vouchers (id, balance) VALUES ({id}, 100000000000)"
        ))
        .await
        .map_err(err)?;
    }
    Ok(())
}

async fn tear_down(db: &DatabaseConnection) -> Result<()> {
    for table in [
        "raw_audit",
        "raw_audit_head",
        "raw_postings",
        "raw_claims",
        "raw_redemptions",
        "raw_budget",
        "raw_vouchers",
    ] {
        db.execute_unprepared(&format!("DROP TABLE IF EXISTS {table}"))
            .await
            .map_err(err)?;
    }
    Ok(())
}

async fn connect(url: &str) -> Result<DatabaseConnection> {
    let mut options = sea_orm::ConnectOptions::new(url.to_owned());
    options.max_connections(1).sqlx_logging(false);
    Database::connect(options).await.map_err(err)
}

/// The raw baseline of a report: JX's postings summed by account kind
/// straight from the postings (no running totals). The milliseconds it took
/// and the number of postings.
pub fn sum_postings(url: &str) -> Result<(f64, i64)> {
    tokio::runtime::Runtime::new()
        .map_err(err)?
        .block_on(async {
            let db = connect(url).await?;
            let started = Instant::now();
            let rows = db
                .query_all_raw(Statement::from_string(
                    db.get_database_backend(),
                    "SELECT a.kind, SUM(p.amount) AS total, COUNT(*) AS postings FROM postings p \
                 JOIN accounts a ON a.id = p.account_id WHERE a.region = 'JX' GROUP BY a.kind",
                ))
                .await
                .map_err(err)?;
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            let mut postings = 0;
            for row in rows {
                postings += row.try_get::<i64>("", "postings").map_err(err)?;
            }
            Ok(((ms * 10.0).round() / 10.0, postings))
        })
}

/// The raw baseline of a verification: a region's events read in sequence
/// order and each hashed with its predecessor's hash (the chain alone, no
/// canonical encoding, no ledger). Events a second.
pub fn hash_events(url: &str, region: &str) -> Result<f64> {
    tokio::runtime::Runtime::new()
        .map_err(err)?
        .block_on(async {
            let db = connect(url).await?;
            let raw = Raw {
                db: db.clone(),
                sqlite: url.starts_with("sqlite:"),
                next_id: AtomicI64::new(0),
            };
            let started = Instant::now();
            let (mut after, mut events, mut prev) = (0i64, 0u64, String::new());
            loop {
                let page = db
                    .query_all_raw(raw.statement(
                        "SELECT seq, payload, prev_hash, hash FROM audit_events \
                     WHERE region = ? AND seq > ? ORDER BY seq LIMIT 10000",
                        vec![region.into(), after.into()],
                    ))
                    .await
                    .map_err(err)?;
                if page.is_empty() {
                    break;
                }
                for row in page {
                    let payload: String = row.try_get("", "payload").map_err(err)?;
                    prev = hex::encode(Sha256::digest(format!("{prev}{payload}")));
                    after = row.try_get("", "seq").map_err(err)?;
                    events += 1;
                }
            }
            Ok(events as f64 / started.elapsed().as_secs_f64())
        })
}
