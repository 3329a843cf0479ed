//! `settle`: a settlement run of many claims, each step timed over HTTP.
//! The claims are seeded through the service layer as on the 15th of last
//! month (approved, at `providers` providers with approved accounts); a new
//! JX regulator with two people (maker and checker, second factor
//! enrolled) is made through the API; then the run of last month is
//! started, frozen, approved, exported, the pain.001 downloaded, a
//! camt.053 booking every payment imported, and the run reconciled.

use std::time::Instant;

use chrono::{Datelike, Months, NaiveDate, TimeZone, Utc};
use serde_json::{json, Value};

use crate::drive::{backend, peak_rss_mb};
use crate::http::Http;
use crate::seed::seed_claims;
use crate::{err, Result, Target};

/// A settlement run to measure.
#[derive(clap::Args, Debug)]
pub struct Settle {
    #[command(flatten)]
    pub target: Target,
    #[arg(long, default_value_t = 10_000)]
    pub claims: u64,
    #[arg(long, default_value_t = 200)]
    pub providers: usize,
    /// The server's process id, to report its peak memory.
    #[arg(long)]
    pub server_pid: Option<u32>,
    #[arg(long)]
    pub database_url: String,
}

/// Runs it; prints one JSON line with each step's milliseconds.
pub fn settle(s: Settle) -> Result<()> {
    let today = Utc::now().date_naive();
    let this_month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).ok_or("a month")?;
    let last_month = this_month - Months::new(1);
    let period = last_month.format("%Y-%m").to_string();
    let day = Utc.from_utc_datetime(
        &last_month
            .with_day(15)
            .ok_or("a day")?
            .and_hms_opt(2, 0, 0)
            .ok_or("a time")?,
    );
    let runtime = tokio::runtime::Runtime::new().map_err(err)?;
    let seeded = runtime.block_on(seed_claims(&s.database_url, day, s.claims, s.providers))?;

    let (http, operator) = Http::operator(&s.target)?;
    let (maker, checker) = two_people(&http, &operator)?;
    let mut steps = serde_json::Map::new();
    let mut timed = |name: &str, token: &str, path: &str, body: Value| -> Result<Value> {
        let started = Instant::now();
        let (status, answer) = http.post(token, path, &body)?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        if !(200..300).contains(&status) {
            return Err(format!("{name}: {status} {answer}"));
        }
        steps.insert(format!("{name}_ms"), json!((ms * 10.0).round() / 10.0));
        Ok(answer)
    };
    let draft = timed(
        "create",
        &maker,
        "/api/v1/regions/JX/settlement-runs",
        json!({ "period": period }),
    )?;
    let run = draft["id"].as_str().ok_or("no run id")?.to_owned();
    let step = |s: &str| format!("/api/v1/settlement-runs/{run}/{s}");
    let frozen = timed("freeze", &maker, &step("freeze"), json!({}))?;
    if frozen["claim_count"].as_u64() < Some(s.claims) {
        return Err(format!(
            "froze {} claims, seeded {}",
            frozen["claim_count"], s.claims
        ));
    }
    timed("approve", &checker, &step("approve"), json!({}))?;
    let exported = timed("export", &maker, &step("export"), json!({}))?;
    let pain = exported["files"][0]["id"].as_str().ok_or("no file")?;
    let started = Instant::now();
    let xml = http.get_text(&maker, &format!("/api/v1/bank-files/{pain}"))?;
    let download_ms = started.elapsed().as_secs_f64() * 1000.0;
    let total = exported["total"].as_str().ok_or("no total")?;
    if !xml.contains(&format!("<CtrlSum>{total}</CtrlSum>")) {
        return Err("the pain.001 does not carry the run's control sum".into());
    }
    let statement = camt053(&exported)?;
    let imported = timed(
        "import",
        &maker,
        "/api/v1/regions/JX/bank-files",
        json!({"format": "camt.053", "name": "loadgen.xml", "content": statement}),
    )?;
    if imported["summary"]["settled"] != exported["item_count"] {
        return Err(format!("the statement settled {}", imported["summary"]));
    }
    let reconciled = timed("reconcile", &maker, &step("reconcile"), json!({}))?;
    if reconciled["status"] != "reconciled" {
        return Err(format!("the run is {}", reconciled["status"]));
    }
    let mut line = json!({
        "workload": "settle", "backend": backend(&s.database_url), "claims": s.claims,
        "providers": seeded.providers, "items": exported["item_count"], "total": total,
        "seed_seconds": (seeded.seconds * 10.0).round() / 10.0,
        "pain001_bytes": xml.len(), "camt053_bytes": statement.len(),
        "download_ms": (download_ms * 10.0).round() / 10.0,
        "server_peak_rss_mb": s.server_pid.and_then(peak_rss_mb),
    });
    if let Value::Object(line) = &mut line {
        line.extend(steps);
    }
    println!("{line}");
    Ok(())
}

/// A new JX regulator's first administrator (the maker) and a second
/// person it invites (the checker), each with a second factor: their
/// tokens.
fn two_people(http: &Http, operator: &str) -> Result<(String, String)> {
    let n = uuid::Uuid::now_v7().simple().to_string();
    let org = http.create(
        operator,
        "/api/v1/organizations",
        &json!({"kind": "regulator", "name": format!("loadgen settlement {n}"), "region": "JX"}),
    )?;
    let (login, password) = http.administrator(&org)?;
    let maker = http.person(&login, &password)?;
    http.enrol(&maker)?;
    let id = org["id"].as_str().ok_or("no id")?;
    let invited = http.create(
        &maker,
        &format!("/api/v1/organizations/{id}/invitations"),
        &json!({"administrator": true}),
    )?;
    let token = invited["token"].as_str().ok_or("no invitation")?;
    let (login, password) = http.accept(token, "checker")?;
    let checker = http.person(&login, &password)?;
    http.enrol(&checker)?;
    Ok((maker, checker))
}

/// A camt.053 booking every payment of an exported run.
fn camt053(run: &Value) -> Result<String> {
    let items = run["items"].as_array().ok_or("no items")?;
    let mut entries = String::new();
    for (i, item) in items.iter().enumerate() {
        let id = item["id"].as_str().ok_or("no item id")?.replace('-', "");
        let amount = item["amount"].as_str().ok_or("no amount")?;
        entries.push_str(&format!(
            "<Ntry><Amt Ccy=\"CNY\">{amount}</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>\
             <AcctSvcrRef>LG-{i}</AcctSvcrRef><NtryDtls><TxDtls><Refs><EndToEndId>{id}</EndToEndId>\
             </Refs></TxDtls></NtryDtls></Ntry>\n"
        ));
    }
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\">\
         <BkToCstmrStmt><GrpHdr><MsgId>LG</MsgId><CreDtTm>{}</CreDtTm></GrpHdr><Stmt><Id>LG</Id>\n{entries}\
         </Stmt></BkToCstmrStmt></Document>\n",
        Utc::now().to_rfc3339()
    ))
}
