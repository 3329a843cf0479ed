//! `loadgen`: builds a large ledger and measures the service over HTTP.
//!
//! `seed` writes vouchers through the service layer itself (the same use
//! cases and audit appends as the API, without HTTP, many per transaction)
//! so that a ledger of a million postings takes minutes, not hours. The
//! workloads of quality.md §1 (`hold`, `lifecycle`, `hot`, `issue`,
//! `report`, `verify`) drive a running server through its HTTP API and then
//! run their raw baseline on the same database; each prints one JSON line.

mod drive;
mod raw;
mod workloads;

use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use serde_json::{json, Value};
use uuid::Uuid;
use voucher_ledger::config::Config;
use voucher_ledger::domain::clock::{Clock, SystemClock};
use voucher_ledger::domain::{Actor, CreditCode, Money, Region};
use voucher_ledger::service::admissions::Admit;
use voucher_ledger::service::applications::{ApproveApplication, SubmitApplication};
use voucher_ledger::service::budgets::Appropriate;
use voucher_ledger::service::claims::{ApproveClaim, PayClaim, SubmitClaim};
use voucher_ledger::service::identity::{self, RegisterOrganization};
use voucher_ledger::service::redemptions::{Complete, Hold};
use voucher_ledger::service::{Call, Service};
use voucher_ledger::store::Db;

#[derive(Parser)]
#[command(
    name = "loadgen",
    about = "Seeds a large ledger and measures the voucher ledger service"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Seed `vouchers` JX vouchers, each issued, held and completed (every
    /// tenth also claimed and paid), with their audit events, into the
    /// configured database (DATABASE_URL). Prints an operator's credentials.
    Seed {
        #[arg(long, default_value_t = 240_000)]
        vouchers: u64,
        /// Voucher chains per transaction, all of one company (at most 100).
        #[arg(long, default_value_t = 100)]
        batch: u64,
        /// More holds of 10.00 on each voucher, left held (at most 50): a
        /// ledger of many events without as many vouchers.
        #[arg(long, default_value_t = 0)]
        holds: u64,
    },
    /// Time `GET /api/v1/reports/summary` and `/cross-region` on a running
    /// server; the raw baseline sums the region's postings by hand.
    Report {
        #[command(flatten)]
        target: Target,
        #[arg(long, default_value_t = 50)]
        requests: usize,
        #[arg(long)]
        database_url: String,
    },
    /// Hold 1.00 of a new company's 64 vouchers from `clients` threads for
    /// `seconds` (each request with its own key); then the raw baseline.
    Hold(workloads::Run),
    /// Hold, complete and claim per operation (three requests).
    Lifecycle(workloads::Run),
    /// Every client holds on one voucher; the balance and the audit chain
    /// are checked afterwards.
    Hot(workloads::Run),
    /// Issue vouchers through the API (apply and approve), reporting the
    /// rate per block so that growth is visible.
    Issue(workloads::Issue),
    /// Time `GET /api/v1/audit/verify` on a running server; the raw baseline
    /// reads and hashes the region's events by hand.
    Verify {
        #[command(flatten)]
        target: Target,
        #[arg(long, default_value = "JX")]
        region: String,
        #[arg(long)]
        database_url: String,
    },
    /// Time portal pages as a person (`demo` prints one per role): signs in
    /// through the form, then `requests` sequential GETs of each path.
    Pages {
        #[arg(long, default_value = "http://127.0.0.1:8000")]
        url: String,
        #[arg(long)]
        login: String,
        #[arg(long)]
        password: String,
        /// Comma-separated paths, e.g. `/company,/company/redemptions`.
        #[arg(long)]
        paths: String,
        #[arg(long, default_value_t = 200)]
        requests: usize,
    },
    /// Time the policy what-if of 2026 for JX (`POST
    /// /api/v1/regions/JX/policy/what-if`) as a new JX regulator made
    /// through the API: the policy in force (no difference expected) and a
    /// draft with a quarter of the enterprise cap, `requests` times each.
    WhatIf {
        #[command(flatten)]
        target: Target,
        #[arg(long, default_value_t = 3)]
        requests: usize,
        #[arg(long)]
        database_url: String,
    },
    /// Time the Jiaxing regulator's portal dashboard (`GET /regulator`) for
    /// 2026: a new JX regulator and a person of it are made through the
    /// API, the person signs in through the portal's form.
    Dashboard {
        #[command(flatten)]
        target: Target,
        #[arg(long, default_value_t = 200)]
        requests: usize,
        #[arg(long)]
        database_url: String,
    },
}

/// A running server and an operator's credentials (`voucher-ledger
/// create-admin`).
#[derive(clap::Args, Debug, Clone)]
pub struct Target {
    #[arg(long, default_value = "http://127.0.0.1:8000")]
    pub url: String,
    #[arg(long)]
    pub client_id: String,
    #[arg(long)]
    pub client_secret: String,
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Seed {
            vouchers,
            batch,
            holds,
        } => tokio::runtime::Runtime::new()
            .expect("a runtime")
            .block_on(seed(vouchers, batch.clamp(1, 100), holds.min(50))),
        Command::Report {
            target,
            requests,
            database_url,
        } => report(&target, requests, &database_url),
        Command::Hold(run) => workloads::hold(run),
        Command::Lifecycle(run) => workloads::lifecycle(run),
        Command::Hot(run) => workloads::hot(run),
        Command::Issue(issue) => workloads::issue(issue),
        Command::Verify {
            target,
            region,
            database_url,
        } => verify(&target, &region, &database_url),
        Command::Dashboard {
            target,
            requests,
            database_url,
        } => dashboard(&target, requests, &database_url),
        Command::WhatIf {
            target,
            requests,
            database_url,
        } => what_if(&target, requests, &database_url),
        Command::Pages {
            url,
            login,
            password,
            paths,
            requests,
        } => pages(&url, &login, &password, &paths, requests),
    };
    if let Err(e) = result {
        eprintln!("loadgen: {e}");
        std::process::exit(1);
    }
}

type Result<T> = std::result::Result<T, String>;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn code(n: u64) -> String {
    CreditCode::with_check_character(&format!("91330400{:09}", n % 1_000_000_000))
        .expect("a code")
        .to_string()
}

/// Registers an organisation through the service, as `admin`.
async fn register(
    service: &Service,
    admin: &Actor,
    kind: &str,
    region: &str,
    n: u64,
    controller: Option<String>,
) -> Result<Actor> {
    let op = RegisterOrganization {
        kind: kind.into(),
        name: format!("{kind} {n}"),
        region: region.into(),
        credit_code: (kind != "regulator").then(|| code(n)),
        company_type: (kind == "company").then(|| "enterprise".into()),
        actual_controller: controller,
    };
    let registered = service
        .execute(Call::by(admin.clone()), op)
        .await
        .map_err(err)?;
    let org = registered.organization;
    Ok(Actor {
        sub: org.id,
        role: org.kind.role(),
        region: Some(org.region),
    })
}

async fn seed(count: u64, batch: u64, holds: u64) -> Result<()> {
    let config = Config::load(None).map_err(err)?;
    let db = Db::connect(&config.db_settings()).await.map_err(err)?;
    db.migrate().await.map_err(err)?;
    let service = config.service(db.clone());
    let jx = Region::parse("JX").expect("JX");
    let credentials = identity::create_admin(&db, SystemClock.now())
        .await
        .map_err(err)?;
    let admin = identity::authenticate(&db, &credentials.client_id, &credentials.client_secret)
        .await
        .map_err(err)?;
    let base = Uuid::now_v7().as_u128() as u64 % 100_000_000;
    let regulator = register(&service, &admin, "regulator", "JX", base, None).await?;
    let labs = [
        register(&service, &admin, "provider", "SH", base + 1, None).await?,
        register(&service, &admin, "provider", "JX", base + 2, None).await?,
    ];
    let started = Instant::now();
    let as_regulator = || Call::by(regulator.clone());
    service
        .execute(
            as_regulator(),
            Appropriate {
                region: jx.clone(),
                year: 2026,
                amount: Money::from_fen(count as i64 * 100_000 + 100_000),
            },
        )
        .await
        .map_err(err)?;
    for lab in &labs {
        let admit = Admit {
            region: jx.clone(),
            provider_id: lab.sub,
            categories: vec!["testing".into()],
        };
        service.execute(as_regulator(), admit).await.map_err(err)?;
    }
    let mut done = 0;
    while done < count {
        // A company per batch takes its vouchers of 1,000.00 (at most 100:
        // half its annual cap).
        let n = base + 3 + done / batch;
        let holder = register(
            &service,
            &admin,
            "company",
            "JX",
            n,
            Some(format!("controller {n}")),
        )
        .await?;
        let chains: Vec<(u64, Actor)> = (done..count.min(done + batch))
            .map(|i| (i, labs[(i % 2) as usize].clone()))
            .collect();
        let regulator = regulator.clone();
        service
            .execute_batch(move |b| {
                Box::pin(async move {
                    for (i, lab) in chains {
                        seed_chain(b, &holder, &regulator, &lab, i % 10 == 0, holds).await?;
                    }
                    Ok(())
                })
            })
            .await
            .map_err(err)?;
        done = count.min(done + batch);
        if done % 20_000 < batch {
            eprintln!(
                "loadgen: {done} vouchers seeded in {:.0} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    let counts = async {
        use sea_orm::{EntityTrait, PaginatorTrait};
        use voucher_ledger::store::entities::{audit_events, postings};
        let postings = postings::Entity::find().count(db.reader()).await?;
        let events = audit_events::Entity::find().count(db.reader()).await?;
        Ok::<_, sea_orm::DbErr>((postings, events))
    }
    .await
    .map_err(err)?;
    println!(
        "{}",
        json!({
            "workload": "seed", "backend": format!("{:?}", db.backend()), "vouchers": count,
            "postings": counts.0, "audit_events": counts.1,
            "seconds": (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
            "client_id": credentials.client_id, "client_secret": credentials.client_secret,
        })
    );
    Ok(())
}

/// One voucher of 1,000.00: applied for, issued, 400.00 held at `lab` and
/// completed; with `claim`, also claimed, approved and paid; then `holds`
/// more holds of 10.00 at `lab`, left held.
async fn seed_chain(
    b: &voucher_ledger::service::pipeline::Batch<'_>,
    holder: &Actor,
    regulator: &Actor,
    lab: &Actor,
    claim: bool,
    holds: u64,
) -> voucher_ledger::service::ServiceResult<()> {
    let apply = SubmitApplication {
        region: "JX".into(),
        year: 2026,
        amount: Money::from_fen(100_000),
        purpose: "seed".into(),
    };
    let application = b.run(Call::by(holder.clone()), apply).await?;
    let approve = ApproveApplication {
        id: application.id,
        amount: None,
    };
    let voucher = b.run(Call::by(regulator.clone()), approve).await?;
    let hold = Hold {
        voucher_id: voucher.id,
        provider_id: lab.sub,
        contract_no: format!("SEED-{}", Uuid::now_v7().simple()),
        contract_amount: Money::from_fen(80_000),
        service_category: "testing".into(),
        amount: Money::from_fen(40_000),
    };
    let redemption = b.run(Call::by(holder.clone()), hold).await?;
    let complete = Complete {
        id: redemption.id,
        amount: None,
    };
    b.run(Call::by(lab.clone()), complete).await?;
    if claim {
        let submit = SubmitClaim {
            redemption_ids: vec![redemption.id],
            invoice_no: format!("INV-{}", Uuid::now_v7().simple()),
        };
        let claim = b.run(Call::by(lab.clone()), submit).await?;
        b.run(Call::by(regulator.clone()), ApproveClaim { id: claim.id })
            .await?;
        let pay = PayClaim {
            id: claim.id,
            bank_reference: "SEED".into(),
        };
        b.run(Call::by(regulator.clone()), pay).await?;
    }
    for _ in 0..holds {
        let hold = Hold {
            voucher_id: voucher.id,
            provider_id: lab.sub,
            contract_no: format!("SEED-{}", Uuid::now_v7().simple()),
            contract_amount: Money::from_fen(2_000),
            service_category: "testing".into(),
            amount: Money::from_fen(1_000),
        };
        b.run(Call::by(holder.clone()), hold).await?;
    }
    Ok(())
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(600)))
        .build()
        .into()
}

fn token(agent: &ureq::Agent, url: &str, id: &str, secret: &str) -> Result<String> {
    let mut response = agent
        .post(&format!("{url}/api/v1/auth/token"))
        .send_json(json!({"client_id": id, "client_secret": secret}))
        .map_err(err)?;
    let body: Value = response.body_mut().read_json().map_err(err)?;
    body["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no token: {body}"))
}

/// Sends `GET path` and returns the milliseconds it took and the body.
fn timed_get(agent: &ureq::Agent, url: &str, path: &str, token: &str) -> Result<(f64, Value)> {
    let started = Instant::now();
    let mut response = agent
        .get(&format!("{url}{path}"))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .map_err(err)?;
    let status = response.status();
    let body: Value = response.body_mut().read_json().map_err(err)?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if !status.is_success() {
        return Err(format!("{path}: {status} {body}"));
    }
    Ok((ms, body))
}

/// Calls `call` (which answers its milliseconds) once to warm up, then
/// `requests` times: the first call's time and the others', sorted.
fn timed_runs(requests: usize, mut call: impl FnMut() -> Result<f64>) -> Result<(f64, Vec<f64>)> {
    let first = call()?;
    let mut times = Vec::with_capacity(requests);
    for _ in 0..requests {
        times.push(call()?);
    }
    times.sort_by(f64::total_cmp);
    Ok((first, times))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    (sorted[i] * 10.0).round() / 10.0
}

fn report(target: &Target, requests: usize, database_url: &str) -> Result<()> {
    let (agent, url) = (agent(), target.url.as_str());
    let token = token(&agent, url, &target.client_id, &target.client_secret)?;
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
        let (_, first) = timed_get(&agent, url, path, &token)?;
        let mut times = Vec::with_capacity(requests);
        for _ in 0..requests {
            times.push(timed_get(&agent, url, path, &token)?.0);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{}",
            json!({
                "workload": name, "backend": drive::backend(database_url), "clients": 1,
                "operations": requests, "postings": postings,
                "p50_ms": percentile(&times, 0.5), "p99_ms": percentile(&times, 0.99),
                "max_ms": percentile(&times, 1.0), "raw_sum_ms": raw_ms,
                "ratio": (raw_ms / percentile(&times, 0.5) * 10.0).round() / 10.0,
                "sample": first,
            })
        );
    }
    Ok(())
}

fn verify(target: &Target, region: &str, database_url: &str) -> Result<()> {
    let (agent, url) = (agent(), target.url.as_str());
    let token = token(&agent, url, &target.client_id, &target.client_secret)?;
    let (ms, body) = timed_get(
        &agent,
        url,
        &format!("/api/v1/audit/verify?region={region}"),
        &token,
    )?;
    let events = body["events_checked"].as_f64().unwrap_or(0.0);
    let rate = events / (ms / 1000.0);
    let raw = raw::hash_events(database_url, region)?;
    println!(
        "{}",
        json!({
            "workload": "verify", "backend": drive::backend(database_url), "region": region,
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

/// The value of cookie `name` among a response's `Set-Cookie` headers.
fn cookie<B>(response: &ureq::http::Response<B>, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap_or_default().to_owned())
}

/// A person of a new JX regulator, signed in to the portal: the session
/// cookie's value.
fn portal_session(agent: &ureq::Agent, url: &str, token: &str) -> Result<String> {
    let n = Uuid::now_v7().simple().to_string();
    let post = |path: &str, body: Value| post_json(agent, url, path, token, body);
    let org = post(
        "/api/v1/organizations",
        json!({"kind": "regulator", "name": format!("loadgen regulator {n}"), "region": "JX"}),
    )?;
    let id = org["id"].as_str().ok_or("no organisation id")?;
    let (login, password) = (format!("lg-{}", &n[20..]), format!("pw-{n}"));
    post(
        &format!("/api/v1/organizations/{id}/users"),
        json!({"login": login, "display_name": "loadgen", "password": password}),
    )?;
    sign_in(agent, url, &login, &password)
}

/// Signs a person in through the portal's form: the session cookie's value.
fn sign_in(agent: &ureq::Agent, url: &str, login: &str, password: &str) -> Result<String> {
    let mut form = agent.get(&format!("{url}/login")).call().map_err(err)?;
    let csrf_cookie = cookie(&form, "vl_login_csrf").ok_or("no sign-in cookie")?;
    let html = form.body_mut().read_to_string().map_err(err)?;
    let token_field = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .ok_or("no CSRF field on the sign-in form")?;
    let no_redirects: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let signed = no_redirects
        .post(&format!("{url}/login"))
        .header("Cookie", &format!("vl_login_csrf={csrf_cookie}"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(format!(
            "login={}&password={}&csrf={token_field}",
            form_encode(login),
            form_encode(password)
        ))
        .map_err(err)?;
    cookie(&signed, "vl_session").ok_or_else(|| format!("no session: {}", signed.status()))
}

/// Percent-encodes a form value.
fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Times portal pages for a person (e.g. one `demo` printed): one JSON line
/// per path.
fn pages(url: &str, login: &str, password: &str, paths: &str, requests: usize) -> Result<()> {
    let agent = agent();
    let session = sign_in(&agent, url, login, password)?;
    for path in paths.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let get = || -> Result<f64> {
            let started = Instant::now();
            let mut response = agent
                .get(&format!("{url}{path}"))
                .header("Cookie", &format!("vl_session={session}"))
                .call()
                .map_err(err)?;
            let status = response.status();
            response.body_mut().read_to_string().map_err(err)?;
            if !status.is_success() {
                return Err(format!("{path}: {status}"));
            }
            Ok(started.elapsed().as_secs_f64() * 1000.0)
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

/// Sends `POST path` with a fresh key as `token`; the body of a success.
fn post_json(
    agent: &ureq::Agent,
    url: &str,
    path: &str,
    token: &str,
    body: Value,
) -> Result<Value> {
    let mut response = agent
        .post(&format!("{url}{path}"))
        .header("Authorization", &format!("Bearer {token}"))
        .header("Idempotency-Key", &Uuid::now_v7().to_string())
        .send_json(body)
        .map_err(err)?;
    let status = response.status();
    let body: Value = response.body_mut().read_json().map_err(err)?;
    if !status.is_success() {
        return Err(format!("{path}: {status} {body}"));
    }
    Ok(body)
}

fn what_if(target: &Target, requests: usize, database_url: &str) -> Result<()> {
    let (agent, url) = (agent(), target.url.as_str());
    let operator = token(&agent, url, &target.client_id, &target.client_secret)?;
    let n = Uuid::now_v7().simple().to_string();
    let org = post_json(
        &agent,
        url,
        "/api/v1/organizations",
        &operator,
        json!({"kind": "regulator", "name": format!("loadgen regulator {n}"), "region": "JX"}),
    )?;
    let (id, secret) = (
        org["client_id"].as_str().ok_or("no client id")?,
        org["client_secret"].as_str().ok_or("no client secret")?,
    );
    let regulator = token(&agent, url, id, secret)?;
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
            last = post_json(
                &agent,
                url,
                "/api/v1/regions/JX/policy/what-if",
                &regulator,
                policy(cap),
            )?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{}",
            json!({
                "workload": "what-if", "backend": drive::backend(database_url), "draft": draft,
                "postings": postings, "replayed": last["replayed"],
                "differences": last["differences_total"], "operations": requests,
                "p50_ms": percentile(&times, 0.5), "max_ms": percentile(&times, 1.0),
            })
        );
    }
    Ok(())
}

fn dashboard(target: &Target, requests: usize, database_url: &str) -> Result<()> {
    let (agent, url) = (agent(), target.url.as_str());
    let token = token(&agent, url, &target.client_id, &target.client_secret)?;
    let session = portal_session(&agent, url, &token)?;
    let (_, postings) = raw::sum_postings(database_url)?;
    let get = || -> Result<f64> {
        let started = Instant::now();
        let mut response = agent
            .get(&format!("{url}/regulator?year=2026"))
            .header("Cookie", &format!("vl_session={session}"))
            .call()
            .map_err(err)?;
        let status = response.status();
        let html = response.body_mut().read_to_string().map_err(err)?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        if !status.is_success() || !html.contains("id=\"flows-title\"") {
            return Err(format!("/regulator: {status}"));
        }
        Ok(ms)
    };
    let (first, times) = timed_runs(requests, get)?;
    println!(
        "{}",
        json!({
            "workload": "dashboard", "backend": drive::backend(database_url), "clients": 1,
            "operations": requests, "postings": postings, "first_ms": (first * 10.0).round() / 10.0,
            "p50_ms": percentile(&times, 0.5), "p99_ms": percentile(&times, 0.99),
            "max_ms": percentile(&times, 1.0),
        })
    );
    Ok(())
}
