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
    b: &voucher_ledger::service::engine::Batch<'_>,
    holder: &Actor,
    regulator: &Org,
    lab: &Actor,
    claim: bool,
    holds: u64,
) -> ServiceResult<()> {
    let chain = Scenario::new(b, 0);
    let amounts = (fen(100_000), None);
    let voucher = chain
        .voucher(holder, &regulator.actor, ("JX", 2026), amounts, "seed")
        .await?;
    let contract = format!("SEED-{}", Uuid::now_v7().simple());
    let contract = (contract.as_str(), fen(80_000));
    let amount = fen(40_000);
    let redemption = chain
        .hold(holder, voucher.id, lab, contract, "testing", amount)
        .await?;
    chain.complete(lab, &redemption, None).await?;
    if claim {
        let invoice = format!("INV-{}", Uuid::now_v7().simple());
        let claim = chain.claim(lab, &redemption, &invoice).await?;
        chain
            .run(&regulator.actor, ApproveClaim { id: claim.id })
            .await?;
        chain.pay(regulator, claim.id, "SEED").await?;
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
