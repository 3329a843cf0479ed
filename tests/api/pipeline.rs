//! The operation pipeline without HTTP: what the portal, the CLI, the
//! expiry job and the load generator call — the same service functions as
//! the API, with the same audit trail, totals and idempotency.

use serde_json::json;
use uuid::Uuid;
use voucher_ledger::domain::{Actor, Amount, Money, Role};
use voucher_ledger::service::engine::{IdempotencyKey, KeyedRequest};
use voucher_ledger::service::expiry::{ExpiryReport, RunExpiry};
use voucher_ledger::service::redemptions::Hold;
use voucher_ledger::service::{Answer, Call, Executed, ServiceError, ServiceResult};
use voucher_ledger::App;

use crate::world::World;

fn app(w: &World) -> &App {
    w.app.client.rocket().state::<App>().expect("the app")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_expiry_job_runs_through_the_pipeline_as_the_system() {
    let mut w = World::new().await;
    let v = w
        .voucher(&w.jx_company, &w.jx_regulator, "JX", "10000.00")
        .await;
    let held = w
        .hold(&w.jx_company, &v, &w.sh_lab, "SYS-1", "8000.00", "4000.00")
        .await;
    assert_eq!(held.status.code, 201, "{}", held.text);
    w.travel_to("2027-04-01T00:00:00").await;

    // What the scheduler runs: the service itself, no request, no key.
    let service = &app(&w).service;
    let report = service
        .execute(Call::system(), RunExpiry::default())
        .await
        .expect("the expiry run");
    assert_eq!(
        report,
        ExpiryReport {
            vouchers_expired: 1,
            holds_expired: 1,
            more: false,
        }
    );
    let again = service
        .execute(Call::system(), RunExpiry::default())
        .await
        .unwrap();
    assert_eq!(again, ExpiryReport::default());

    let events = w
        .get(
            &w.jx_regulator.token,
            "/api/v1/audit/events?region=JX&action=expiry.run",
        )
        .await;
    let items = events.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", events.text);
    assert_eq!(
        items[0]["actor"],
        json!({"sub": "system", "role": "system", "region": null})
    );
    assert_eq!(items[0]["idempotency_key"], json!(null));
    assert_eq!(
        items[0]["payload"]["transfers"].as_array().unwrap().len(),
        2,
        "the voucher's balance and the hold return to the budget"
    );
    let verify = w
        .get(&w.jx_regulator.token, "/api/v1/audit/verify?region=JX")
        .await;
    assert_eq!(verify.body["ok"], true, "{}", verify.text);
    w.app.assert_invariants().await;

    // Nobody else may run it through the service either.
    let company = Actor {
        sub: w.jx_company.id,
        role: Role::Company,
        region: Some("JX".parse().unwrap()),
        person: None,
        needs_second_factor: false,
        district: None,
    };
    let refused = service
        .execute(Call::by(company), RunExpiry::default())
        .await;
    assert!(
        matches!(refused, Err(ServiceError::Domain(_))),
        "{refused:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keyed_call_acts_once_and_a_refusal_changes_nothing() {
    let w = World::new().await;
    let v = w
        .voucher(&w.jx_company, &w.jx_regulator, "JX", "1000.00")
        .await;
    let service = &app(&w).service;
    let company = Actor {
        sub: w.jx_company.id,
        role: Role::Company,
        region: Some("JX".parse().unwrap()),
        person: None,
        needs_second_factor: false,
        district: None,
    };
    let hold = |amount: i64| Hold {
        voucher_id: Uuid::parse_str(v["id"].as_str().unwrap()).unwrap(),
        provider_id: w.jx_lab.id,
        contract_no: format!("PIPE-{amount}"),
        contract_amount: Amount::from_fen(amount * 2).unwrap(),
        service_category: "testing".into(),
        amount: Amount::from_fen(amount).unwrap(),
    };
    let key = |key: &str, fingerprint: &str| KeyedRequest {
        scope: company.sub.to_string(),
        key: IdempotencyKey::parse(key).unwrap(),
        fingerprint: fingerprint.into(),
    };
    // The portal renders its own answers; here: the status and the amount.
    let render =
        |result: Result<&voucher_ledger::service::redemptions::Redemption, &ServiceError>| {
            match result {
                Ok(r) => Answer {
                    status: 201,
                    body: r.amount.to_string(),
                },
                Err(e) => Answer {
                    status: 422,
                    body: e.to_string(),
                },
            }
        };
    let (postings, events) = (
        w.app.count("postings").await,
        w.app.count("audit_events").await,
    );

    // More than the voucher holds: refused, nothing written but the answer.
    let call = || Call::by(company.clone());
    let refused = service
        .execute_once(call(), key("k-1", "a"), hold(200_000), render)
        .await;
    let Err(ServiceError::Domain(refusal)) = refused else {
        panic!("expected a refusal, got {refused:?}");
    };
    assert!(
        refusal.to_string().starts_with("insufficient_balance"),
        "{refusal}"
    );
    assert_eq!(w.app.count("postings").await, postings);
    assert_eq!(w.app.count("audit_events").await, events);
    let replayed = service
        .execute_once(call(), key("k-1", "a"), hold(200_000), render)
        .await
        .unwrap();
    let Executed::Replayed(answer) = replayed else {
        panic!("a repeat replays");
    };
    assert_eq!(answer.status, 422);
    assert!(answer.body.starts_with("insufficient_balance"));

    // Within the balance: acts once; the repeat gets the same answer and
    // posts nothing more; another body under the key is refused.
    let first = service
        .execute_once(call(), key("k-2", "b"), hold(30_000), render)
        .await
        .unwrap();
    let Executed::Ran { value, answer } = first else {
        panic!("a first call runs");
    };
    assert_eq!(value.amount, Money::from_fen(30_000));
    assert_eq!(answer.body, "300.00");
    assert_eq!(w.app.count("postings").await, postings + 2);
    assert_eq!(w.app.count("audit_events").await, events + 1);
    let repeat = service
        .execute_once(call(), key("k-2", "b"), hold(30_000), render)
        .await
        .unwrap();
    assert!(matches!(repeat, Executed::Replayed(a) if a == answer));
    assert_eq!(w.app.count("postings").await, postings + 2);
    let reused = service
        .execute_once(call(), key("k-2", "c"), hold(30_000), render)
        .await;
    assert!(matches!(reused, Err(ServiceError::IdempotencyKeyReused)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_expiry_job_runs_in_bounded_chunks() {
    let mut w = World::new().await;
    for _ in 0..5 {
        w.voucher(&w.jx_company, &w.jx_regulator, "JX", "100.00")
            .await;
    }
    w.travel_to("2027-01-05T10:00:00").await;
    let service = &app(&w).service;
    let mut chunks = Vec::new();
    loop {
        let chunk = RunExpiry {
            chunk: 2,
            ..Default::default()
        };
        let report = service.execute(Call::system(), chunk).await.unwrap();
        chunks.push(report.vouchers_expired);
        if !report.more {
            break;
        }
    }
    assert_eq!(chunks, [2, 2, 1]);
    let events = w
        .get(
            &w.jx_regulator.token,
            "/api/v1/audit/events?region=JX&action=expiry.run",
        )
        .await;
    assert_eq!(events.body["items"].as_array().unwrap().len(), 3);
}

/// Group commit: calls that arrive together run in one transaction, each in
/// its own savepoint. The group is paused until all five calls below are
/// queued, so they share one batch: the holds that
/// pass are kept, a refused one (too much, or a contract number used twice)
/// changes nothing but its kept answer, a repeat of a key in the same batch
/// is told the first is in flight, and the chain and totals agree afterwards.
#[tokio::test(flavor = "current_thread")]
async fn calls_queued_together_commit_together_and_a_refusal_rolls_back_alone() {
    let w = World::new().await;
    let v = w
        .voucher(&w.jx_company, &w.jx_regulator, "JX", "1000.00")
        .await;
    let service = &app(&w).service;
    let group = service
        .group
        .as_ref()
        .expect("group commit is on by default");
    let company = Actor {
        sub: w.jx_company.id,
        role: Role::Company,
        region: Some("JX".parse().unwrap()),
        person: None,
        needs_second_factor: false,
        district: None,
    };
    let hold = |contract: &str, fen: i64| Hold {
        voucher_id: Uuid::parse_str(v["id"].as_str().unwrap()).unwrap(),
        provider_id: w.jx_lab.id,
        contract_no: contract.into(),
        contract_amount: Amount::from_fen(fen * 2).unwrap(),
        service_category: "testing".into(),
        amount: Amount::from_fen(fen).unwrap(),
    };
    let keyed = |key: &str| KeyedRequest {
        scope: company.sub.to_string(),
        key: IdempotencyKey::parse(key).unwrap(),
        fingerprint: key.into(),
    };
    let render = |result: Result<
        &voucher_ledger::service::redemptions::Redemption,
        &ServiceError,
    >| match result {
        Ok(r) => Answer {
            status: 201,
            body: r.amount.to_string(),
        },
        Err(e) => Answer {
            status: 422,
            body: e.to_string(),
        },
    };
    let (postings, events, batches) = (
        w.app.count("postings").await,
        w.app.count("audit_events").await,
        group.batches(),
    );
    let call = || Call::by(company.clone());
    let once = |key: &str, op: Hold| service.execute_once(call(), keyed(key), op, render);
    let paused = group.pause().await;
    let release = async move {
        while group.queued() < 5 {
            tokio::task::yield_now().await;
        }
        drop(paused);
    };
    let (a, too_much, b, twice, a_again, ()) = tokio::join!(
        once("g-a", hold("G-A", 10_000)),
        once("g-big", hold("G-BIG", 500_000)),
        once("g-b", hold("G-B", 20_000)),
        once("g-twice", hold("g-a", 5_000)),
        once("g-a", hold("G-A", 10_000)),
        release,
    );
    assert_eq!(group.batches(), batches + 1, "one batch for all five");
    let ran = |r: ServiceResult<Executed<_>>| match r {
        Ok(Executed::Ran { answer, .. }) => answer.body,
        other => panic!("expected to run, got {other:?}"),
    };
    assert_eq!(ran(a), "100.00");
    assert_eq!(ran(b), "200.00");
    for (refused, code) in [
        (too_much, "insufficient_balance"),
        (twice, "duplicate_contract"),
    ] {
        let Err(ServiceError::Domain(e)) = refused else {
            panic!("expected {code}, got {refused:?}");
        };
        assert!(e.to_string().starts_with(code), "{e}");
    }
    // A repeat of a key whose first call is in the same, uncommitted batch
    // is in flight: 409, and it acted once.
    assert!(
        matches!(&a_again, Err(ServiceError::IdempotencyInProgress)),
        "{a_again:?}"
    );
    let replayed = once("g-a", hold("G-A", 10_000)).await.unwrap();
    assert!(matches!(replayed, Executed::Replayed(a) if a.body == "100.00"));
    // Two holds: two transfers of two legs, two events.
    assert_eq!(w.app.count("postings").await, postings + 4);
    assert_eq!(w.app.count("audit_events").await, events + 2);
    let voucher = w
        .get(
            &w.jx_company.token,
            &format!("/api/v1/vouchers/{}", v["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(voucher.body["available"], "700.00", "{}", voucher.text);
    // The refusals were kept as answers: their repeats replay them.
    let replayed = once("g-big", hold("G-BIG", 500_000)).await.unwrap();
    assert!(matches!(replayed, Executed::Replayed(a) if a.status == 422));
    let verify = w
        .get(&w.jx_regulator.token, "/api/v1/audit/verify?region=JX")
        .await;
    assert_eq!(verify.body["ok"], true, "{}", verify.text);
}
