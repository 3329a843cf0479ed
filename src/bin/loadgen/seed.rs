//! `seed`: fills the configured database with a large JX ledger by calling
//! the service layer itself (the same use cases and audit appends as the
//! API, without HTTP, many voucher chains per transaction), so that a
//! ledger of a million postings takes minutes, not hours.

use std::time::Instant;

use serde_json::json;
use uuid::Uuid;
use voucher_ledger::config::Config;
use voucher_ledger::domain::clock::{Clock, SystemClock};
use voucher_ledger::domain::{Actor, Amount};
use voucher_ledger::scenario::{Org, Scenario};
use voucher_ledger::service::claims::ApproveClaim;
use voucher_ledger::service::identity;
use voucher_ledger::service::ServiceResult;
use voucher_ledger::store::Db;

use crate::{err, Result};

/// Seeds `count` JX vouchers (`batch` chains of one company per
/// transaction, each with `holds` more holds) into the configured database
/// (DATABASE_URL); prints the counts and an operator's credentials.
pub async fn seed(count: u64, batch: u64, holds: u64) -> Result<()> {
    let config = Config::load(None).map_err(err)?;
    let db = Db::connect(&config.db_settings()).await.map_err(err)?;
    db.migrate().await.map_err(err)?;
    let service = config.service(db.clone());
    let credentials = identity::create_admin(&db, SystemClock.now())
        .await
        .map_err(err)?;
    let admin = identity::authenticate(&db, &credentials.client_id, &credentials.client_secret)
        .await
        .map_err(err)?;
    let base = Uuid::now_v7().as_u128() as u64 % 100_000_000;
    let mut scenario = Scenario::new(service.clone(), base);
    let regulator = scenario
        .regulator(&admin, &format!("regulator {base}"), "JX")
        .await;
    let regulator = regulator.map_err(err)?;
    let mut labs = Vec::new();
    for (n, region) in [(base + 1, "SH"), (base + 2, "JX")] {
        let name = format!("provider {n}");
        let lab = scenario.register(&admin, "provider", &name, region, None, None);
        labs.push(lab.await.map_err(err)?);
    }
    let started = Instant::now();
    let budget = fen(count as i64 * 100_000 + 100_000);
    scenario
        .appropriate(&regulator, 2026, budget)
        .await
        .map_err(err)?;
    for lab in &labs {
        scenario
            .admit(&regulator, &lab.actor, &["testing"])
            .await
            .map_err(err)?;
    }
    let mut done = 0;
    while done < count {
        // A company per batch takes its vouchers of 1,000.00 (at most 100:
        // half its annual cap).
        let n = base + 3 + done / batch;
        let name = format!("company {n}");
        let controller = format!("controller {n}");
        let holder = scenario.company(&regulator, &name, "enterprise", &controller);
        let holder = holder.await.map_err(err)?.actor;
        let chains: Vec<(u64, Actor)> = (done..count.min(done + batch))
            .map(|i| (i, labs[(i % 2) as usize].actor.clone()))
            .collect();
        let regulator = regulator.clone();
        service
            .execute_batch(move |b| {
                Box::pin(async move {
                    for (i, lab) in chains {
                        let claim = if i % 10 == 0 {
                            Claim::Paid
                        } else {
                            Claim::None
                        };
                        seed_chain(b, &holder, &regulator, &lab, (claim, 2026), holds).await?;
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

/// How far a seeded redemption goes beyond completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Claim {
    None,
    Approved,
    Paid,
}

/// One voucher of 1,000.00: applied for, issued, 400.00 held at `lab` and
/// completed; then claimed and approved, or also paid, as `claim` says;
/// then `holds` more holds of 10.00 at `lab`, left held.
async fn seed_chain(
    b: &voucher_ledger::service::engine::Batch<'_>,
    holder: &Actor,
    regulator: &Org,
    lab: &Actor,
    (claim, year): (Claim, i32),
    holds: u64,
) -> ServiceResult<()> {
    let chain = Scenario::new(b, 0);
    let amounts = (fen(100_000), None);
    let voucher = chain
        .voucher(holder, &regulator.actor, ("JX", year), amounts, "seed")
        .await?;
    let contract = format!("SEED-{}", Uuid::now_v7().simple());
    let contract = (contract.as_str(), fen(80_000));
    let amount = fen(40_000);
    let redemption = chain
        .hold(holder, voucher.id, lab, contract, "testing", amount)
        .await?;
    chain.complete(lab, &redemption, None).await?;
    if claim != Claim::None {
        let invoice = format!("INV-{}", Uuid::now_v7().simple());
        let made = chain.claim(lab, &redemption, &invoice).await?;
        chain
            .run(&regulator.actor, ApproveClaim { id: made.id })
            .await?;
        if claim == Claim::Paid {
            chain.pay(regulator, made.id, "SEED").await?;
        }
    }
    for _ in 0..holds {
        let contract = format!("SEED-{}", Uuid::now_v7().simple());
        let contract = (contract.as_str(), fen(2_000));
        let amount = fen(1_000);
        chain
            .hold(holder, voucher.id, lab, contract, "testing", amount)
            .await?;
    }
    Ok(())
}

/// An amount of `n` fen (more than zero).
fn fen(n: i64) -> Amount {
    Amount::from_fen(n).expect("a positive amount")
}

/// What [`seed_claims`] made.
pub struct Claims {
    pub providers: usize,
    pub seconds: f64,
}

/// Seeds `count` approved JX claims of one voucher redemption each, at
/// `providers` new JX providers with approved bank accounts, as on `day`
/// (the service's clock stands there): what a settlement run of that
/// month pays.
pub async fn seed_claims(
    database_url: &str,
    day: chrono::DateTime<chrono::Utc>,
    count: u64,
    providers: usize,
) -> Result<Claims> {
    use sea_orm::{ActiveValue::Set, EntityTrait};
    use voucher_ledger::domain::clock::ManualClock;
    use voucher_ledger::store::entities::payee_accounts;
    std::env::set_var("DATABASE_URL", database_url);
    let config = Config::load(None).map_err(err)?;
    let db = Db::connect(&config.db_settings()).await.map_err(err)?;
    let mut service = config.service(db.clone());
    service.clock = std::sync::Arc::new(ManualClock::new(day));
    let credentials = identity::create_admin(&db, day).await.map_err(err)?;
    let admin = identity::authenticate(&db, &credentials.client_id, &credentials.client_secret)
        .await
        .map_err(err)?;
    let started = Instant::now();
    let base = Uuid::now_v7().as_u128() as u64 % 100_000_000;
    let mut scenario = Scenario::new(service.clone(), base);
    let name = format!("regulator {base}");
    let regulator = scenario.regulator(&admin, &name, "JX").await.map_err(err)?;
    let year = chrono::Datelike::year(&day);
    let budget = fen(count as i64 * 100_000 + 100_000);
    scenario
        .appropriate(&regulator, year, budget)
        .await
        .map_err(err)?;
    let mut labs = Vec::new();
    for p in 0..providers {
        let name = format!("loadgen provider {base}-{p}");
        let lab = scenario.provider(&regulator, &name).await.map_err(err)?;
        scenario
            .admit(&regulator, &lab.actor, &["testing"])
            .await
            .map_err(err)?;
        payee_accounts::Entity::insert(payee_accounts::ActiveModel {
            id: Set(Uuid::now_v7()),
            provider_id: Set(lab.actor.sub),
            account_name: Set(name),
            account_number: Set(format!("62220210{:011}", base * 1000 + p as u64)),
            bank_name: Set("中国工商银行嘉兴分行".into()),
            cnaps_code: Set("102335000015".into()),
            valid_from: Set(day.date_naive()),
            status: Set("approved".into()),
            submitted_by: Set(lab.actor.sub),
            submitted_at: Set(day),
            decided_by: Set(Some(regulator.actor.sub)),
            decided_at: Set(Some(day)),
            reason: Set(None),
        })
        .exec_without_returning(db.writer())
        .await
        .map_err(err)?;
        labs.push(lab);
    }
    let batch = 100;
    let mut done = 0;
    while done < count {
        let n = base + 10_000 + done / batch;
        let (name, controller) = (format!("company {n}"), format!("controller {n}"));
        let holder = scenario.company(&regulator, &name, "enterprise", &controller);
        let holder = holder.await.map_err(err)?.actor;
        let chains: Vec<Actor> = (done..count.min(done + batch))
            .map(|i| labs[i as usize % labs.len()].actor.clone())
            .collect();
        let regulator = regulator.clone();
        service
            .execute_batch(move |b| {
                Box::pin(async move {
                    for lab in chains {
                        seed_chain(b, &holder, &regulator, &lab, (Claim::Approved, year), 0)
                            .await?;
                    }
                    Ok(())
                })
            })
            .await
            .map_err(err)?;
        done = count.min(done + batch);
    }
    Ok(Claims {
        providers,
        seconds: started.elapsed().as_secs_f64(),
    })
}
