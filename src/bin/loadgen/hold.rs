//! `loadgen hold`: clients hold 1.00 of a company's vouchers against fresh
//! contracts, each request with its own idempotency key, for a while; then
//! the raw baseline of the same transaction runs on the same database.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use voucher_ledger::domain::clock::shanghai_date;

use super::{agent, code, err, percentile, raw, token, Result, Target};

/// What a run is told.
#[derive(clap::Args, Debug)]
pub struct Hold {
    #[command(flatten)]
    pub target: Target,
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// The server's process id, to report its peak memory.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// The server's database, for the raw baseline (run after the load).
    #[arg(long)]
    pub database_url: Option<String>,
}

/// `POST` with a fresh key; the status and the body.
fn post(
    agent: &ureq::Agent,
    url: &str,
    token: &str,
    path: &str,
    body: &Value,
) -> Result<(u16, Value)> {
    let mut response = agent
        .post(&format!("{url}{path}"))
        .header("Authorization", &format!("Bearer {token}"))
        .header("Idempotency-Key", &uuid::Uuid::now_v7().to_string())
        .send_json(body)
        .map_err(err)?;
    let status = response.status().as_u16();
    let body: Value = response.body_mut().read_json().unwrap_or(Value::Null);
    Ok((status, body))
}

fn created(answer: (u16, Value), what: &str) -> Result<Value> {
    match answer {
        (200 | 201, body) => Ok(body),
        (status, body) => Err(format!("{what}: {status} {body}")),
    }
}

/// Sets up a JX company with 64 vouchers of 3,000.00 and an admitted lab;
/// returns the company's token, the lab's id and the vouchers.
fn set_up(agent: &ureq::Agent, h: &Hold) -> Result<(String, String, Vec<String>)> {
    let url = &h.target.url;
    let admin = token(agent, url, &h.target.client_id, &h.target.client_secret)?;
    let n = uuid::Uuid::now_v7().as_u128() as u64;
    let register = |token: &str, body: Value| -> Result<(Value, String)> {
        let org = created(
            post(agent, url, token, "/api/v1/organizations", &body)?,
            "register",
        )?;
        let id = org["client_id"].as_str().unwrap_or_default();
        let secret = org["client_secret"].as_str().unwrap_or_default();
        let org_token = super::token(agent, url, id, secret)?;
        Ok((org, org_token))
    };
    let (_, regulator) = register(
        &admin,
        json!({"kind": "regulator", "name": "loadgen 嘉兴", "region": "JX"}),
    )?;
    let (_, company) = register(
        &regulator,
        json!({"kind": "company", "name": format!("loadgen 公司 {n}"), "region": "JX",
            "credit_code": code(n), "company_type": "enterprise",
            "actual_controller": format!("loadgen {n}")}),
    )?;
    let (lab, _) = register(
        &regulator,
        json!({"kind": "provider", "name": "loadgen 检测", "region": "JX", "credit_code": code(n + 1)}),
    )?;
    let year = chrono::Datelike::year(&shanghai_date(chrono::Utc::now()));
    created(
        post(
            agent,
            url,
            &regulator,
            "/api/v1/regions/JX/budgets",
            &json!({"year": year, "amount": "10000000.00"}),
        )?,
        "appropriate",
    )?;
    created(
        post(
            agent,
            url,
            &regulator,
            "/api/v1/regions/JX/admissions",
            &json!({"provider_id": lab["id"], "categories": ["testing"]}),
        )?,
        "admit",
    )?;
    let mut vouchers = Vec::new();
    for _ in 0..64 {
        let application = created(
            post(
                agent,
                url,
                &company,
                "/api/v1/applications",
                &json!({"region": "JX", "year": year, "amount": "3000.00", "purpose": "loadgen"}),
            )?,
            "apply",
        )?;
        let path = format!(
            "/api/v1/applications/{}/approve",
            application["id"].as_str().unwrap_or_default()
        );
        let voucher = created(post(agent, url, &regulator, &path, &json!({}))?, "approve")?;
        vouchers.push(voucher["id"].as_str().unwrap_or_default().to_owned());
    }
    Ok((
        company,
        lab["id"].as_str().unwrap_or_default().to_owned(),
        vouchers,
    ))
}

/// The server's peak resident memory in MB (`VmHWM`).
fn peak_rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some((kib / 1024.0 * 10.0).round() / 10.0)
}

pub fn run(mut h: Hold) -> Result<()> {
    (h.clients, h.seconds) = (h.clients.max(1), h.seconds.max(1));
    let agent = agent();
    let (company, lab, vouchers) = set_up(&agent, &h)?;
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(Mutex::new(BTreeMap::<String, u64>::new()));
    let deadline = Instant::now() + Duration::from_secs(h.seconds);
    let started = Instant::now();
    let threads: Vec<_> = (0..h.clients)
        .map(|client| {
            let (agent, url, company, lab, vouchers) =
                (agent.clone(), h.target.url.clone(), company.clone(), lab.clone(), vouchers.clone());
            let (latencies, errors) = (latencies.clone(), errors.clone());
            std::thread::spawn(move || {
                let mut n = 0;
                while Instant::now() < deadline {
                    let body = json!({"voucher_id": vouchers[(client * 7 + n) % vouchers.len()],
                        "provider_id": lab, "contract_no": format!("LG-{client}-{n}"),
                        "contract_amount": "2.00", "service_category": "testing", "amount": "1.00"});
                    let asked = Instant::now();
                    let answer = post(&agent, &url, &company, "/api/v1/redemptions", &body);
                    let ms = asked.elapsed().as_secs_f64() * 1000.0;
                    match answer {
                        Ok((201, _)) => latencies.lock().unwrap().push(ms),
                        Ok((status, body)) => {
                            let code = body["code"].as_str().map_or(status.to_string(), str::to_owned);
                            *errors.lock().unwrap().entry(code).or_default() += 1;
                        }
                        Err(e) => *errors.lock().unwrap().entry(e).or_default() += 1,
                    }
                    n += 1;
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().map_err(|_| "a client panicked".to_owned())?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut times = latencies.lock().unwrap().clone();
    times.sort_by(f64::total_cmp);
    if times.is_empty() {
        return Err(format!("no hold succeeded: {:?}", errors.lock().unwrap()));
    }
    let rate = times.len() as f64 / elapsed;
    let raw = match &h.database_url {
        Some(url) => Some(
            tokio::runtime::Runtime::new()
                .map_err(err)?
                .block_on(raw::hold(url, h.clients, h.seconds))?,
        ),
        None => None,
    };
    let backend = h.database_url.as_deref().map(|u| {
        if u.starts_with("postgres") {
            "postgres"
        } else {
            "sqlite"
        }
    });
    println!(
        "{}",
        json!({
            "workload": "hold", "backend": backend, "clients": h.clients,
            "operations": times.len(), "seconds": (elapsed * 10.0).round() / 10.0,
            "ops_per_s": rate.round(), "p50_ms": percentile(&times, 0.5),
            "p99_ms": percentile(&times, 0.99), "max_ms": percentile(&times, 1.0),
            "errors": *errors.lock().unwrap(),
            "server_peak_rss_mb": h.server_pid.and_then(peak_rss_mb),
            "raw_tx_per_s": raw.map(f64::round),
            "ratio": raw.map(|r| (rate / r * 100.0).round() / 100.0),
        })
    );
    Ok(())
}
