//! `pages`: portal pages timed as a person (e.g. one `demo` printed), who
//! signs in through the form first.

use serde_json::json;

use crate::drive::{percentile, timed_runs};
use crate::http::Http;
use crate::Result;

/// Times portal pages for a person: after a warm-up, `requests` sequential
/// GETs of each of the comma-separated `paths`; one JSON line per path.
pub fn pages(url: &str, login: &str, password: &str, paths: &str, requests: usize) -> Result<()> {
    let http = Http::new(url);
    let session = http.sign_in(login, password)?;
    for path in paths.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let get = || -> Result<f64> {
            let (ms, status, _) = http.timed_page(&session, path)?;
            if !status.is_success() {
                return Err(format!("{path}: {status}"));
            }
            Ok(ms)
        };
        let (first, times) = timed_runs(requests, get)?;
        println!(
            "{}",
            json!({
                "workload": "pages", "login": login, "path": path, "operations": requests,
                "first_ms": (first * 10.0).round() / 10.0,
                "p50_ms": percentile(&times, 0.5), "p99_ms": percentile(&times, 0.99),
                "max_ms": percentile(&times, 1.0),
            })
        );
    }
    Ok(())
}
