//! Driving and measuring the server: the loop that runs client threads for
//! a while and sums up their latencies and errors, sequential timed runs,
//! percentiles, and the server's peak memory.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::Result;

/// What one operation of a client ended with.
pub enum Outcome {
    /// It succeeded.
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
    /// Operations that succeeded, a second.
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

/// Calls `call` (which answers its milliseconds) once to warm up, then
/// `requests` times: the first call's time and the others', sorted.
pub fn timed_runs(
    requests: usize,
    mut call: impl FnMut() -> Result<f64>,
) -> Result<(f64, Vec<f64>)> {
    let first = call()?;
    let mut times = Vec::with_capacity(requests);
    for _ in 0..requests {
        times.push(call()?);
    }
    times.sort_by(f64::total_cmp);
    Ok((first, times))
}

/// The `p` quantile (0 to 1) of `sorted` milliseconds, to a tenth.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    (sorted[i] * 10.0).round() / 10.0
}
