//! The workloads that read: the reports and the audit verification (each
//! against its raw baseline), the policy what-if and the regulator's portal
//! dashboard, timed one request at a time; each prints JSON lines.

use std::time::Instant;

use serde_json::{json, Value};
use uuid::Uuid;

use crate::drive::{backend, percentile, timed_runs};
use crate::http::Http;
use crate::raw;
use crate::{Result, Target};

/// Times `GET /api/v1/reports/summary` and `/cross-region` (a warm-up, then
/// `requests` each) against the raw baseline that sums the region's
/// postings by hand: one JSON line per report.
pub fn report(target: &Target, requests: usize, database_url: &str) -> Result<()> {
    let (http, token) = Http::operator(target)?;
    let (raw_ms, postings) = raw::sum_postings(database_url)?;
    for (name, path) in [
        (
            "report-summary",
            "/api/v1/reports/summary?region=JX&year=2026",
        ),
        (
            "report-cross-region",
            "/api/v1/reports/cross-region?year=2026",
        ),
    ] {
        // The warm-up's body is the line's sample.
        let mut sample = None;
        let (_, times) = timed_runs(requests, || {
            let (ms, body) = http.timed_get(&token, path)?;
            if sample.is_none() {
                sample = Some(body);
            }
            Ok(ms)
        })?;
        println!(
            "{}",
            json!({
                "workload": name, "backend": backend(database_url), "clients": 1,
                "operations": requests, "postings": postings,
                "p50_ms": percentile(&times, 0.5), "p99_ms": percentile(&times, 0.99),
                "max_ms": percentile(&times, 1.0), "raw_sum_ms": raw_ms,
                "ratio": (raw_ms / percentile(&times, 0.5) * 10.0).round() / 10.0,
                "sample": sample.unwrap_or_default(),
            })
        );
    }
    Ok(())
}

/// Times one `GET /api/v1/audit/verify` of `region` against the raw
/// baseline that reads and hashes its events by hand; fails when the chain
/// does not verify.
pub fn verify(target: &Target, region: &str, database_url: &str) -> Result<()> {
    let (http, token) = Http::operator(target)?;
    let (ms, body) = http.timed_get(&token, &format!("/api/v1/audit/verify?region={region}"))?;
    let events = body["events_checked"].as_f64().unwrap_or(0.0);
    let rate = events / (ms / 1000.0);
    let raw = raw::hash_events(database_url, region)?;
    println!(
        "{}",
        json!({
            "workload": "verify", "backend": backend(database_url), "region": region,
            "ok": body["ok"], "events_checked": events,
            "seconds": (ms / 10.0).round() / 100.0, "events_per_s": rate.round(),
            "raw_events_per_s": raw.round(), "ratio": (rate / raw * 100.0).round() / 100.0,
        })
    );
    if body["ok"] == json!(true) {
        Ok(())
    } else {
        Err(format!("the audit chain does not verify: {body}"))
    }
}

/// Times the policy what-if of 2026 for JX as a new JX regulator: the
/// policy in force and a draft with a quarter of the enterprise cap,
/// `requests` times each; one JSON line per draft.
pub fn what_if(target: &Target, requests: usize, database_url: &str) -> Result<()> {
    let (http, operator) = Http::operator(target)?;
    let n = Uuid::now_v7().simple().to_string();
    let (_, regulator) = http.register(
        &operator,
        json!({"kind": "regulator", "name": format!("loadgen regulator {n}"), "region": "JX"}),
    )?;
    let (_, postings) = raw::sum_postings(database_url)?;
    let policy = |cap: &str| {
        json!({"year": 2026, "draft": {
            "effective_from": "2018-01-01", "enterprise_cap": cap, "team_cap": "50000.00",
            "contract_share": "0.50", "categories": ["testing", "rnd", "tech_transfer"],
            "applicant_regions": ["JX"], "admits_provider_regions": ["JX", "ZJ", "SH"],
            "use_deadline": "12-31", "claim_deadline": "03-31", "settlement_cycle": "monthly",
            "cross_region_budget_share": "0.30"}})
    };
    for (draft, cap) in [
        ("in force", "200000.00"),
        ("a quarter of the cap", "50000.00"),
    ] {
        let mut times = Vec::with_capacity(requests);
        let mut last = Value::Null;
        for _ in 0..requests {
            let started = Instant::now();
            last = http.create(
                &regulator,
                "/api/v1/regions/JX/policy/what-if",
                &policy(cap),
            )?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{}",
            json!({
                "workload": "what-if", "backend": backend(database_url), "draft": draft,
                "postings": postings, "replayed": last["replayed"],
                "differences": last["differences_total"], "operations": requests,
                "p50_ms": percentile(&times, 0.5), "max_ms": percentile(&times, 1.0),
            })
        );
    }
    Ok(())
}

/// Times the Jiaxing regulator's portal dashboard (`GET /regulator`) for
/// 2026 as a person of a new JX regulator: a warm-up, then `requests`.
pub fn dashboard(target: &Target, requests: usize, database_url: &str) -> Result<()> {
    let (http, token) = Http::operator(target)?;
    let session = portal_session(&http, &token)?;
    let (_, postings) = raw::sum_postings(database_url)?;
    let get = || -> Result<f64> {
        let (ms, status, html) = http.timed_page(&session, "/regulator?year=2026")?;
        if !status.is_success() || !html.contains("id=\"flows-title\"") {
            return Err(format!("/regulator: {status}"));
        }
        Ok(ms)
    };
    let (first, times) = timed_runs(requests, get)?;
    println!(
        "{}",
        json!({
            "workload": "dashboard", "backend": backend(database_url), "clients": 1,
            "operations": requests, "postings": postings, "first_ms": (first * 10.0).round() / 10.0,
            "p50_ms": percentile(&times, 0.5), "p99_ms": percentile(&times, 0.99),
            "max_ms": percentile(&times, 1.0),
        })
    );
    Ok(())
}

/// The first administrator of a new JX regulator registered by the
/// operator (`token`), signed in to the portal: the session cookie's value.
fn portal_session(http: &Http, token: &str) -> Result<String> {
    let n = Uuid::now_v7().simple().to_string();
    let org = http.create(
        token,
        "/api/v1/organizations",
        &json!({"kind": "regulator", "name": format!("loadgen regulator {n}"), "region": "JX"}),
    )?;
    let (login, password) = http.administrator(&org)?;
    http.sign_in(&login, &password)
}
