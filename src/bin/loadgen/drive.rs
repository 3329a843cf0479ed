//! What the HTTP workloads share: a client of the running server, the
//! programme they set up through the API, and the loop that runs client
//! threads for a while and sums up their latencies and errors.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use voucher_ledger::domain::clock::shanghai_date;

use super::{agent, code, err, percentile, token, Result, Target};

/// A client of the server.
#[derive(Clone)]
pub struct Http {
    pub agent: ureq::Agent,
    pub url: String,
}

impl Http {
    pub fn new(target: &Target) -> Self {
        Http {
            agent: agent(),
            url: target.url.clone(),
        }
    }

    /// `POST` with a fresh idempotency key: the status and the body.
    pub fn post(&self, token: &str, path: &str, body: &Value) -> Result<(u16, Value)> {
        let mut response = self
            .agent
            .post(&format!("{}{path}", self.url))
            .header("Authorization", &format!("Bearer {token}"))
            .header("Idempotency-Key", &uuid::Uuid::now_v7().to_string())
            .send_json(body)
            .map_err(err)?;
        let status = response.status().as_u16();
        let body: Value = response.body_mut().read_json().unwrap_or(Value::Null);
        Ok((status, body))
    }

    /// `POST` that must succeed: its body.
    pub fn create(&self, token: &str, path: &str, body: &Value) -> Result<Value> {
        match self.post(token, path, body)? {
            (200 | 201, body) => Ok(body),
            (status, body) => Err(format!("{path}: {status} {body}")),
        }
    }

    /// `GET` that must succeed: its body.
    pub fn get(&self, token: &str, path: &str) -> Result<Value> {
        let mut response = self
            .agent
            .get(&format!("{}{path}", self.url))
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .map_err(err)?;
        let status = response.status();
        let body: Value = response.body_mut().read_json().map_err(err)?;
        if !status.is_success() {
            return Err(format!("{path}: {status} {body}"));
        }
        Ok(body)
    }

    /// Registers an organisation as `token`; its body and a token of its own.
    pub fn register(&self, token: &str, body: Value) -> Result<(Value, String)> {
        let org = self.create(token, "/api/v1/organizations", &body)?;
        let id = org["client_id"].as_str().unwrap_or_default();
        let secret = org["client_secret"].as_str().unwrap_or_default();
        let org_token = super::token(&self.agent, &self.url, id, secret)?;
        Ok((org, org_token))
    }
}

/// A JX programme set up through the API for a workload: a regulator with a
/// budget of 100,000,000.00 this year, and an admitted lab.
pub struct Programme {
    pub http: Http,
    pub regulator: String,
    pub lab: String,
    pub lab_id: String,
    pub year: i32,
}

impl Programme {
    pub fn set_up(target: &Target) -> Result<Self> {
        let http = Http::new(target);
        let admin = token(
            &http.agent,
            &http.url,
            &target.client_id,
            &target.client_secret,
        )?;
        let (_, regulator) = http.register(
            &admin,
            json!({"kind": "regulator", "name": "loadgen 嘉兴", "region": "JX"}),
        )?;
        let n = uuid::Uuid::now_v7().as_u128() as u64;
        let (lab, lab_token) = http.register(
            &regulator,
            json!({"kind": "provider", "name": "loadgen 检测", "region": "JX", "credit_code": code(n)}),
        )?;
        let year = chrono::Datelike::year(&shanghai_date(chrono::Utc::now()));
        http.create(
            &regulator,
            "/api/v1/regions/JX/budgets",
            &json!({"year": year, "amount": "100000000.00"}),
        )?;
        http.create(
            &regulator,
            "/api/v1/regions/JX/admissions",
            &json!({"provider_id": lab["id"], "categories": ["testing"]}),
        )?;
        Ok(Programme {
            http,
            regulator,
            lab: lab_token,
            lab_id: lab["id"].as_str().unwrap_or_default().to_owned(),
            year,
        })
    }

    /// A new company of the programme: its token.
    pub fn company(&self) -> Result<String> {
        let n = uuid::Uuid::now_v7().as_u128() as u64;
        let (_, company) = self.http.register(
            &self.regulator,
            json!({"kind": "company", "name": format!("loadgen 公司 {n}"), "region": "JX",
                "credit_code": code(n), "company_type": "enterprise",
                "actual_controller": format!("loadgen {n}")}),
        )?;
        Ok(company)
    }

    /// A voucher of `amount` for `company`, applied for and approved: its id.
    pub fn voucher(&self, company: &str, amount: &str) -> Result<String> {
        let application = self.http.create(
            company,
            "/api/v1/applications",
            &json!({"region": "JX", "year": self.year, "amount": amount, "purpose": "loadgen"}),
        )?;
        let path = format!(
            "/api/v1/applications/{}/approve",
            application["id"].as_str().unwrap_or_default()
        );
        let voucher = self.http.create(&self.regulator, &path, &json!({}))?;
        Ok(voucher["id"].as_str().unwrap_or_default().to_owned())
    }

    /// The body of a hold of 1.00 on `voucher` at the lab, against a
    /// contract of 2.00.
    pub fn hold(&self, voucher: &str, contract: &str) -> Value {
        json!({"voucher_id": voucher, "provider_id": self.lab_id, "contract_no": contract,
            "contract_amount": "2.00", "service_category": "testing", "amount": "1.00"})
    }
}

/// What one operation of a client ended with.
pub enum Outcome {
    Done,
    /// Refused or failed: the problem code (or the HTTP status).
    Failed(String),
}

impl Outcome {
    /// The outcome of an answer that should have had `expected` status.
    pub fn of(answer: (u16, Value), expected: u16) -> Self {
        match answer {
            (status, _) if status == expected => Outcome::Done,
            (status, body) => Outcome::Failed(
                body["code"]
                    .as_str()
                    .map_or(status.to_string(), str::to_owned),
            ),
        }
    }
}

/// What a run measured.
pub struct Measured {
    pub clients: usize,
    pub seconds: f64,
    /// Latencies of the operations that succeeded, sorted, in ms.
    pub latencies: Vec<f64>,
    pub errors: BTreeMap<String, u64>,
}

impl Measured {
    pub fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.seconds
    }

    /// The JSON line of a workload, with the raw baseline's rate.
    pub fn line(&self, workload: &str, backend: &str, server_pid: Option<u32>, raw: f64) -> Value {
        let rate = self.rate();
        json!({
            "workload": workload, "backend": backend, "clients": self.clients,
            "operations": self.latencies.len(), "seconds": (self.seconds * 10.0).round() / 10.0,
            "ops_per_s": rate.round(), "p50_ms": percentile(&self.latencies, 0.5),
            "p99_ms": percentile(&self.latencies, 0.99), "max_ms": percentile(&self.latencies, 1.0),
            "errors": self.errors,
            "server_peak_rss_mb": server_pid.and_then(peak_rss_mb),
            "raw_tx_per_s": raw.round(),
            "ratio": (rate / raw * 100.0).round() / 100.0,
        })
    }
}

/// Runs `clients` threads for `seconds`, each calling `op(client, n)` for
/// its n-th operation until the time is up.
pub fn drive<F>(clients: usize, seconds: u64, op: F) -> Result<Measured>
where
    F: Fn(usize, usize) -> Result<Outcome> + Send + Sync + 'static,
{
    let op = Arc::new(op);
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(Mutex::new(BTreeMap::<String, u64>::new()));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|client| {
            let (op, latencies, errors) = (op.clone(), latencies.clone(), errors.clone());
            std::thread::spawn(move || {
                let mut n = 0;
                while Instant::now() < deadline {
                    let asked = Instant::now();
                    let outcome = op(client, n);
                    let ms = asked.elapsed().as_secs_f64() * 1000.0;
                    match outcome {
                        Ok(Outcome::Done) => latencies.lock().unwrap().push(ms),
                        Ok(Outcome::Failed(code)) | Err(code) => {
                            *errors.lock().unwrap().entry(code).or_default() += 1
                        }
                    }
                    n += 1;
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().map_err(|_| "a client panicked".to_owned())?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut latencies = latencies.lock().unwrap().clone();
    latencies.sort_by(f64::total_cmp);
    let errors = errors.lock().unwrap().clone();
    if latencies.is_empty() {
        return Err(format!("no operation succeeded: {errors:?}"));
    }
    Ok(Measured {
        clients,
        seconds,
        latencies,
        errors,
    })
}

/// The server's peak resident memory in MB (`VmHWM`).
pub fn peak_rss_mb(pid: u32) -> Option<f64> {
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

/// `postgres` or `sqlite`, from a database URL.
pub fn backend(database_url: &str) -> &'static str {
    if database_url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    }
}
