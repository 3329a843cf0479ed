//! `loadgen`: builds a large ledger and measures the service over HTTP.
//!
//! `seed` writes vouchers through the service layer itself (the same use
//! cases and audit appends as the API, without HTTP, many per transaction)
//! so that a ledger of a million postings takes minutes, not hours. `report`
//! and `verify` then time a running server's reports and audit verification
//! through its HTTP API. Each prints one JSON line.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;
use voucher_ledger::audit::{self, Entry, Origin};
use voucher_ledger::config::Config;
use voucher_ledger::domain::clock::{Clock, SystemClock};
use voucher_ledger::domain::identity::OrganizationFields;
use voucher_ledger::domain::{Actor, CreditCode, Money, NewOrganization, Region, Role};
use voucher_ledger::service::redemptions::HoldRequest;
use voucher_ledger::service::{claims, identity, programme, redemptions, vouchers, Ctx};
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
    },
    /// Time `GET /api/v1/reports/summary` and `/cross-region` on a running server.
    Report {
        #[arg(long, default_value = "http://127.0.0.1:8000")]
        url: String,
        #[arg(long)]
        client_id: String,
        #[arg(long)]
        client_secret: String,
        #[arg(long, default_value_t = 50)]
        requests: usize,
    },
    /// Time `GET /api/v1/audit/verify` on a running server.
    Verify {
        #[arg(long, default_value = "http://127.0.0.1:8000")]
        url: String,
        #[arg(long)]
        client_id: String,
        #[arg(long)]
        client_secret: String,
        #[arg(long, default_value = "JX")]
        region: String,
    },
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Seed { vouchers, batch } => tokio::runtime::Runtime::new()
            .expect("a runtime")
            .block_on(seed(vouchers, batch.clamp(1, 100))),
        Command::Report {
            url,
            client_id,
            client_secret,
            requests,
        } => report(&url, &client_id, &client_secret, requests),
        Command::Verify {
            url,
            client_id,
            client_secret,
            region,
        } => verify(&url, &client_id, &client_secret, &region),
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

/// Everything an operation needs: who, with a fresh operation id.
fn ctx(actor: &Actor, rules: &Arc<voucher_ledger::rules::Registry>) -> Ctx {
    Ctx {
        actor: actor.clone(),
        now: SystemClock.now(),
        rules: rules.clone(),
        operation: Uuid::now_v7(),
    }
}

/// Appends the audit event of an operation, as the API does.
async fn record<C: sea_orm::ConnectionTrait, T: Serialize>(
    txn: &C,
    ctx: &Ctx,
    action: &'static str,
    entity_type: &'static str,
    id: impl ToString,
    view: &T,
) -> Result<()> {
    let origin = Origin {
        actor_sub: ctx.actor.sub.to_string(),
        actor_role: ctx.actor.role.as_str().into(),
        actor_region: ctx.actor.region.as_ref().map(Region::to_string),
        request_id: None,
        idempotency_key: Some(ctx.operation.to_string()),
    };
    let entry = Entry {
        region: Region::parse("JX").expect("JX"),
        action,
        entity_type,
        entity_id: id.to_string(),
        payload: serde_json::to_value(view).map_err(err)?,
    };
    voucher_ledger::ledger::roll_up(txn, ctx.operation)
        .await
        .map_err(err)?;
    audit::append(txn, ctx.operation, ctx.now, &origin, entry)
        .await
        .map_err(err)?;
    Ok(())
}

fn code(n: u64) -> String {
    CreditCode::with_check_character(&format!("91330400{:09}", n % 1_000_000_000))
        .expect("a code")
        .to_string()
}

#[allow(clippy::too_many_arguments)]
async fn register(
    db: &Db,
    admin: &Actor,
    rules: &Arc<voucher_ledger::rules::Registry>,
    regions: &[Region],
    kind: &str,
    region: &str,
    n: u64,
    controller: Option<String>,
) -> Result<Actor> {
    let credit_code = code(n);
    let new = NewOrganization::parse(OrganizationFields {
        kind,
        name: &format!("{kind} {n}"),
        region,
        credit_code: (kind != "regulator").then_some(credit_code.as_str()),
        company_type: (kind == "company").then_some("enterprise"),
        actual_controller: controller.as_deref(),
    })
    .map_err(err)?;
    let (org, _) = identity::register_organization(db.writer(), &ctx(admin, rules), new, regions)
        .await
        .map_err(err)?;
    Ok(Actor {
        sub: org.id,
        role: org.kind.role(),
        region: Some(org.region),
    })
}

async fn seed(count: u64, batch: u64) -> Result<()> {
    let config = Config::load().map_err(err)?;
    let db = Db::connect(&config.db_settings()).await.map_err(err)?;
    db.migrate().await.map_err(err)?;
    let rules = Arc::new(config.rules.clone());
    let regions = config.rules.regions();
    let jx = Region::parse("JX").expect("JX");
    let admin = Actor {
        sub: Uuid::now_v7(),
        role: Role::Admin,
        region: None,
    };
    let credentials = identity::create_admin(&db, SystemClock.now())
        .await
        .map_err(err)?;
    let base = Uuid::now_v7().as_u128() as u64 % 100_000_000;
    let regulator = register(&db, &admin, &rules, &regions, "regulator", "JX", base, None).await?;
    let labs = [
        register(
            &db,
            &admin,
            &rules,
            &regions,
            "provider",
            "SH",
            base + 1,
            None,
        )
        .await?,
        register(
            &db,
            &admin,
            &rules,
            &regions,
            "provider",
            "JX",
            base + 2,
            None,
        )
        .await?,
    ];
    let started = Instant::now();
    {
        let txn = db.begin_write().await.map_err(err)?;
        let c = ctx(&regulator, &rules);
        let amount = Money::from_fen(count as i64 * 100_000 + 100_000);
        let budget = programme::appropriate(&txn, &c, &jx, 2026, amount)
            .await
            .map_err(err)?;
        record(&txn, &c, "budget.appropriate", "budget", "JX-2026", &budget).await?;
        for lab in &labs {
            let c = ctx(&regulator, &rules);
            let (admission, _) = programme::admit(&txn, &c, &jx, lab.sub, &["testing".into()])
                .await
                .map_err(err)?;
            record(&txn, &c, "provider.admit", "admission", lab.sub, &admission).await?;
        }
        txn.commit().await.map_err(err)?;
    }
    let mut done = 0;
    while done < count {
        // A company per batch takes its vouchers of 1,000.00 (at most 100:
        // half its annual cap). It is registered before the batch's
        // transaction: on SQLite that holds the only writer connection.
        let n = base + 3 + done / batch;
        let holder = &register(
            &db,
            &admin,
            &rules,
            &regions,
            "company",
            "JX",
            n,
            Some(format!("controller {n}")),
        )
        .await?;
        let txn = db.begin_write().await.map_err(err)?;
        for _ in 0..batch.min(count - done) {
            let lab = &labs[(done % 2) as usize];
            let c = ctx(holder, &rules);
            let application =
                vouchers::submit(&txn, &c, &jx, 2026, Money::from_fen(100_000), "seed")
                    .await
                    .map_err(err)?;
            record(
                &txn,
                &c,
                "application.submit",
                "application",
                application.id,
                &application,
            )
            .await?;
            let c = ctx(&regulator, &rules);
            let voucher = vouchers::approve(&txn, &c, application.id, None)
                .await
                .map_err(err)?;
            record(
                &txn,
                &c,
                "application.approve",
                "voucher",
                voucher.id,
                &voucher,
            )
            .await?;
            let c = ctx(holder, &rules);
            let hold = HoldRequest {
                voucher_id: voucher.id,
                provider_id: lab.sub,
                contract_no: format!("SEED-{}", Uuid::now_v7().simple()),
                contract_amount: Money::from_fen(80_000),
                service_category: "testing".into(),
                amount: Money::from_fen(40_000),
            };
            let redemption = redemptions::hold(&txn, &c, hold).await.map_err(err)?;
            record(
                &txn,
                &c,
                "redemption.hold",
                "redemption",
                redemption.id,
                &redemption,
            )
            .await?;
            let c = ctx(lab, &rules);
            let completed = redemptions::complete(&txn, &c, redemption.id, None)
                .await
                .map_err(err)?;
            record(
                &txn,
                &c,
                "redemption.complete",
                "redemption",
                completed.id,
                &completed,
            )
            .await?;
            if done % 10 == 0 {
                let c = ctx(lab, &rules);
                let claim = claims::submit(
                    &txn,
                    &c,
                    &[redemption.id],
                    &format!("INV-{}", Uuid::now_v7().simple()),
                )
                .await
                .map_err(err)?;
                record(&txn, &c, "claim.submit", "claim", claim.id, &claim).await?;
                let c = ctx(&regulator, &rules);
                let approved = claims::approve(&txn, &c, claim.id).await.map_err(err)?;
                record(&txn, &c, "claim.approve", "claim", claim.id, &approved).await?;
                let c = ctx(&regulator, &rules);
                let paid = claims::pay(&txn, &c, claim.id, "SEED").await.map_err(err)?;
                record(&txn, &c, "claim.pay", "claim", claim.id, &paid).await?;
            }
            done += 1;
        }
        txn.commit().await.map_err(err)?;
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

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    (sorted[i] * 10.0).round() / 10.0
}

fn report(url: &str, id: &str, secret: &str, requests: usize) -> Result<()> {
    let agent = agent();
    let token = token(&agent, url, id, secret)?;
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
                "workload": name, "clients": 1, "operations": requests,
                "p50_ms": percentile(&times, 0.5), "p99_ms": percentile(&times, 0.99),
                "max_ms": percentile(&times, 1.0), "sample": first,
            })
        );
    }
    Ok(())
}

fn verify(url: &str, id: &str, secret: &str, region: &str) -> Result<()> {
    let agent = agent();
    let token = token(&agent, url, id, secret)?;
    let (ms, body) = timed_get(
        &agent,
        url,
        &format!("/api/v1/audit/verify?region={region}"),
        &token,
    )?;
    let events = body["events_checked"].as_f64().unwrap_or(0.0);
    println!(
        "{}",
        json!({
            "workload": "verify", "region": region, "ok": body["ok"], "events_checked": events,
            "seconds": (ms / 10.0).round() / 100.0, "events_per_s": (events / (ms / 1000.0)).round(),
        })
    );
    Ok(())
}
