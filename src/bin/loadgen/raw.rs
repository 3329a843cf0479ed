//! The raw baseline of a hold: the same shape of transaction as the
//! service's, written by hand with prepared statements on the same database —
//! lock the voucher row, guarded debit, insert the redemption, insert two
//! postings, lock the region's audit head, insert one chained audit row,
//! update the head, commit. What the service is measured against.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, DbBackend, SqliteTransactionMode, Statement,
    TransactionOptions, TransactionTrait, Value,
};
use sha2::{Digest, Sha256};

use super::{err, Result};

const VOUCHERS: i64 = 64;

/// Runs `clients` writers for `seconds` on `url`; the transactions a second.
pub async fn hold(url: &str, clients: usize, seconds: u64) -> Result<f64> {
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
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..clients)
        .map(|client| {
            let (db, done) = (db.clone(), done.clone());
            tokio::spawn(async move {
                let mut n = 0i64;
                while Instant::now() < deadline {
                    let voucher = (client as i64 * 7 + n) % VOUCHERS;
                    one(&db, sqlite, voucher, &format!("{client}-{n}")).await?;
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

fn statement(db: &DatabaseConnection, sql: &str, values: Vec<Value>) -> Statement {
    let backend = db.get_database_backend();
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

async fn one(db: &DatabaseConnection, sqlite: bool, voucher: i64, contract: &str) -> Result<()> {
    let options = TransactionOptions {
        sqlite_transaction_mode: sqlite.then_some(SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    let txn = db.begin_with_options(options).await.map_err(err)?;
    let lock = if sqlite { "" } else { " FOR UPDATE" };
    txn.query_one_raw(statement(
        db,
        &format!("SELECT balance FROM raw_vouchers WHERE id = ?{lock}"),
        vec![voucher.into()],
    ))
    .await
    .map_err(err)?;
    let debited = txn
        .execute_raw(statement(
            db,
            "UPDATE raw_vouchers SET balance = balance - 100 WHERE id = ? AND balance >= 100",
            vec![voucher.into()],
        ))
        .await
        .map_err(err)?;
    if debited.rows_affected() != 1 {
        return Err("a raw voucher ran out".into());
    }
    let id = uuid::Uuid::now_v7().to_string();
    txn.execute_raw(statement(
        db,
        "INSERT INTO raw_redemptions (id, voucher_id, contract_no, amount) VALUES (?, ?, ?, 100)",
        vec![id.clone().into(), voucher.into(), contract.into()],
    ))
    .await
    .map_err(err)?;
    txn.execute_raw(statement(
        db,
        "INSERT INTO raw_postings (transfer_id, leg, account, amount) VALUES (?, 0, ?, -100), (?, 1, ?, 100)",
        vec![id.clone().into(), voucher.into(), id.clone().into(), (voucher + 1000).into()],
    ))
    .await
    .map_err(err)?;
    let head = txn
        .query_one_raw(statement(
            db,
            &format!("SELECT seq, hash FROM raw_audit_head WHERE region = ?{lock}"),
            vec!["JX".into()],
        ))
        .await
        .map_err(err)?
        .ok_or("no raw audit head")?;
    let seq: i64 = head.try_get("", "seq").map_err(err)?;
    let prev: String = head.try_get("", "hash").map_err(err)?;
    let payload = format!("{{\"redemption\":\"{id}\",\"voucher\":{voucher},\"amount_fen\":100}}");
    let hash = hex::encode(Sha256::digest(format!("{prev}{payload}")));
    txn.execute_raw(statement(
        db,
        "INSERT INTO raw_audit (region, seq, payload, hash) VALUES ('JX', ?, ?, ?)",
        vec![(seq + 1).into(), payload.into(), hash.clone().into()],
    ))
    .await
    .map_err(err)?;
    txn.execute_raw(statement(
        db,
        "UPDATE raw_audit_head SET seq = ?, hash = ? WHERE region = 'JX'",
        vec![(seq + 1).into(), hash.into()],
    ))
    .await
    .map_err(err)?;
    txn.commit().await.map_err(err)
}

async fn set_up(db: &DatabaseConnection) -> Result<()> {
    tear_down(db).await?;
    for sql in [
        "CREATE TABLE raw_vouchers (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL)",
        "CREATE TABLE raw_redemptions (id VARCHAR(40) PRIMARY KEY, voucher_id BIGINT NOT NULL, \
         contract_no VARCHAR(64) NOT NULL, amount BIGINT NOT NULL)",
        "CREATE TABLE raw_postings (transfer_id VARCHAR(40) NOT NULL, leg SMALLINT NOT NULL, \
         account BIGINT NOT NULL, amount BIGINT NOT NULL, PRIMARY KEY (transfer_id, leg))",
        "CREATE TABLE raw_audit_head (region VARCHAR(8) PRIMARY KEY, seq BIGINT NOT NULL, hash VARCHAR(64) NOT NULL)",
        "CREATE TABLE raw_audit (region VARCHAR(8) NOT NULL, seq BIGINT NOT NULL, payload TEXT NOT NULL, \
         hash VARCHAR(64) NOT NULL, PRIMARY KEY (region, seq))",
        "INSERT INTO raw_audit_head (region, seq, hash) VALUES ('JX', 0, '')",
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
        "raw_redemptions",
        "raw_vouchers",
    ] {
        db.execute_unprepared(&format!("DROP TABLE IF EXISTS {table}"))
            .await
            .map_err(err)?;
    }
    Ok(())
}
