//! The HTTP workloads of quality.md §1 that move money: each sets up its own
//! JX programme through the API, runs its clients against the server, then
//! the raw baseline of the same shape on the same database, and prints one
//! JSON line. `hot` and `issue` also check what must hold afterwards and
//! fail when it does not.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::json;

use super::programme::Programme;
use super::Run;
use crate::drive::{backend, drive, peak_rss_mb, Outcome};
use crate::raw::{self, Shape};
use crate::Result;

/// A programme, a new company's token and its 64 vouchers of 3,000.00.
fn spread(run: &Run) -> Result<(Arc<Programme>, String, Vec<String>)> {
    let p = Arc::new(Programme::set_up(&run.target)?);
    let company = p.company()?;
    let vouchers = (0..64)
        .map(|_| p.voucher(&company, "3000.00"))
        .collect::<Result<_>>()?;
    Ok((p, company, vouchers))
}

/// Each operation holds 1.00 of one of 64 vouchers with its own key.
pub fn hold(run: Run) -> Result<()> {
    let (q, company, vouchers) = spread(&run)?;
    let measured = drive(run.clients.max(1), run.seconds.max(1), move |client, n| {
        let voucher = &vouchers[(client * 7 + n) % vouchers.len()];
        let body = q.hold(voucher, &format!("LG-{client}-{n}"));
        Ok(Outcome::of(
            q.http.post(&company, "/api/v1/redemptions", &body)?,
            201,
        ))
    })?;
    run.print("hold", &measured, Shape::Hold, json!({}))
}

/// Each operation holds 1.00, the lab completes it and claims it: three
/// requests, three transactions.
pub fn lifecycle(run: Run) -> Result<()> {
    let (q, company, vouchers) = spread(&run)?;
    let measured = drive(run.clients.max(1), run.seconds.max(1), move |client, n| {
        let voucher = &vouchers[(client * 7 + n) % vouchers.len()];
        let body = q.hold(voucher, &format!("LC-{client}-{n}"));
        let (status, held) = q.http.post(&company, "/api/v1/redemptions", &body)?;
        if status != 201 {
            return Ok(Outcome::of((status, held), 201));
        }
        let id = held["id"].as_str().unwrap_or_default();
        let path = format!("/api/v1/redemptions/{id}/complete");
        let completed = q.http.post(&q.lab, &path, &json!({}))?;
        if completed.0 != 200 {
            return Ok(Outcome::of(completed, 200));
        }
        let claim = json!({"redemption_ids": [id], "invoice_no": format!("LC-{client}-{n}-{id}")});
        Ok(Outcome::of(
            q.http.post(&q.lab, "/api/v1/claims", &claim)?,
            201,
        ))
    })?;
    run.print("lifecycle", &measured, Shape::Lifecycle, json!({}))
}

/// Every client holds 1.00 of one voucher of 200,000.00 (a company's annual
/// cap). Afterwards the voucher's balance must equal what it started with
/// less the holds that succeeded, and the region's audit chain must verify.
pub fn hot(run: Run) -> Result<()> {
    let p = Arc::new(Programme::set_up(&run.target)?);
    let company = p.company()?;
    let voucher = p.voucher(&company, "200000.00")?;
    let (q, v, c) = (p.clone(), voucher.clone(), company.clone());
    let measured = drive(run.clients.max(1), run.seconds.max(1), move |client, n| {
        let body = q.hold(&v, &format!("HOT-{client}-{n}"));
        Ok(Outcome::of(
            q.http.post(&c, "/api/v1/redemptions", &body)?,
            201,
        ))
    })?;
    let after = p
        .http
        .get(&company, &format!("/api/v1/vouchers/{voucher}"))?;
    let expected = format!("{}.00", 200_000 - measured.latencies.len());
    let verified = p.http.get(&p.regulator, "/api/v1/audit/verify?region=JX")?;
    let holds = json!({
        "balance_ok": after["available"] == json!(expected),
        "available": after["available"], "expected": expected,
        "audit_ok": verified["ok"],
    });
    let ok = holds["balance_ok"] == json!(true) && holds["audit_ok"] == json!(true);
    run.print("hot", &measured, Shape::Hot, json!({ "invariants": holds }))?;
    if ok {
        Ok(())
    } else {
        Err(format!("an invariant does not hold: {holds}"))
    }
}

/// What `issue` is told.
#[derive(clap::Args, Debug)]
pub struct Issue {
    #[command(flatten)]
    pub run: Run,
    /// Vouchers to issue through the API.
    #[arg(long, default_value_t = 100_000)]
    pub vouchers: u64,
    /// The rate is reported for each block of this many vouchers.
    #[arg(long, default_value_t = 10_000)]
    pub every: u64,
}

/// Vouchers of 100.00 a company can take in a year (its cap, 200,000.00).
const PER_COMPANY: u64 = 2_000;

/// Issues `vouchers` through the API (an application and its approval
/// each) from `clients` threads, each with companies of its own; reports the
/// rate for each block of `every`, so that growth is visible.
pub fn issue(issue: Issue) -> Result<()> {
    let Issue {
        run,
        vouchers,
        every,
    } = issue;
    let p = Arc::new(Programme::set_up(&run.target)?);
    let clients = run.clients.max(1);
    let issued = Arc::new(AtomicU64::new(0));
    let finished = Arc::new(Mutex::new(Vec::with_capacity(vouchers as usize)));
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            let (p, issued, finished) = (p.clone(), issued.clone(), finished.clone());
            std::thread::spawn(move || -> Result<u64> {
                let (mut company, mut taken, mut mine) = (p.company()?, 0, 0);
                while issued.fetch_add(1, Ordering::Relaxed) < vouchers {
                    if taken == PER_COMPANY {
                        (company, taken) = (p.company()?, 0);
                    }
                    p.voucher(&company, "100.00")?;
                    finished
                        .lock()
                        .unwrap()
                        .push(started.elapsed().as_secs_f64());
                    (taken, mine) = (taken + 1, mine + 1);
                }
                Ok(mine)
            })
        })
        .collect();
    let mut done = 0;
    for thread in threads {
        done += thread
            .join()
            .map_err(|_| "a client panicked".to_owned())??;
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut times = finished.lock().unwrap().clone();
    times.sort_by(f64::total_cmp);
    // Vouchers a second in each block of `every`.
    let blocks: Vec<f64> = times
        .chunks(every.max(1) as usize)
        .scan(0.0, |from, block| {
            let to = *block.last().expect("a block");
            let rate = block.len() as f64 / (to - *from).max(1e-6);
            *from = to;
            Some(rate.round())
        })
        .collect();
    let (first, last) = (blocks[0], blocks[blocks.len() - 1]);
    let raw = raw::run(&run.database_url, Shape::Issue, clients, run.seconds.max(1))?;
    let rate = done as f64 / seconds;
    println!(
        "{}",
        json!({
            "workload": "issue", "backend": backend(&run.database_url), "clients": clients,
            "operations": done, "seconds": (seconds * 10.0).round() / 10.0,
            "ops_per_s": rate.round(), "per_block": every, "block_rates": blocks,
            "last_to_first": (last / first * 100.0).round() / 100.0,
            "server_peak_rss_mb": run.server_pid.and_then(peak_rss_mb),
            "raw_tx_per_s": raw.round(), "ratio": (rate / raw * 100.0).round() / 100.0,
        })
    );
    Ok(())
}
