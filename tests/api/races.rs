//! Concurrency: racing real requests against one voucher, one hold, one
//! budget, the same redemptions, and one idempotency key.

use serde_json::json;

use crate::helpers::{count_status, new_key, Post};
use crate::world::World;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_holds_on_a_voucher_with_room_for_ten() {
    let w = World::new().await;
    let v = w
        .voucher(&w.jx_company, &w.jx_regulator, "JX", "10000.00")
        .await;
    let posts = (0..100)
        .map(|i| Post {
            token: w.jx_company.token.clone(),
            path: "/api/v1/redemptions".into(),
            key: new_key(),
            body: json!({"voucher_id": v["id"], "provider_id": w.sh_lab.id, "contract_no": format!("RACE-{i}"),
                         "contract_amount": "2000.00", "service_category": "testing", "amount": "1000.00"}),
        })
        .collect();
    let answers = w.app.race(posts).await;
    assert_eq!(count_status(&answers, 201), 10);
    for a in answers.iter().filter(|a| a.status.code != 201) {
        a.assert_problem(422, "insufficient_balance");
    }
    w.assert_voucher(
        &w.jx_regulator,
        &v,
        "active",
        ["0.00", "10000.00", "0.00", "0.00", "0.00"],
    )
    .await;
}

/// Ten identical applications sent at once (different idempotency keys, a
/// company's double clicks through a proxy): one is kept, nine are refused
/// as duplicates; another amount is another application.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn identical_applications_sent_at_once_are_kept_once() {
    let w = World::new().await;
    let before = w.app.count("applications").await;
    let posts = (0..10)
        .map(|_| Post {
            token: w.jx_company.token.clone(),
            path: "/api/v1/applications".into(),
            key: new_key(),
            body: json!({"region": "JX", "year": 2026, "amount": "8000.00", "purpose": "中试检测"}),
        })
        .collect();
    let answers = w.app.race(posts).await;
    assert_eq!(count_status(&answers, 201), 1);
    for a in answers.iter().filter(|a| a.status.code != 201) {
        a.assert_problem(409, "invalid_state");
        assert_eq!(a.body["rule"]["id"], "duplicate_application", "{}", a.text);
    }
    assert_eq!(w.app.count("applications").await, before + 1);
    let other = w
        .post(
            &w.jx_company.token,
            "/api/v1/applications",
            json!({"region": "JX", "year": 2026, "amount": "8000.01", "purpose": "中试检测"}),
        )
        .await;
    assert_eq!(other.status.code, 201, "{}", other.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn complete_and_cancel_of_one_hold_resolve_it_once() {
    let w = World::new().await;
    let v = w
        .voucher(&w.jx_company, &w.jx_regulator, "JX", "10000.00")
        .await;
    let mut completed = 0;
    for i in 0..10 {
        let r = w
            .hold(
                &w.jx_company,
                &v,
                &w.sh_lab,
                &format!("CC-{i}"),
                "2000.00",
                "1000.00",
            )
            .await;
        let id = r.body["id"].as_str().unwrap();
        let answers = w
            .app
            .race(vec![
                Post {
                    token: w.sh_lab.token.clone(),
                    path: format!("/api/v1/redemptions/{id}/complete"),
                    key: new_key(),
                    body: json!({}),
                },
                Post {
                    token: w.jx_company.token.clone(),
                    path: format!("/api/v1/redemptions/{id}/cancel"),
                    key: new_key(),
                    body: json!({}),
                },
            ])
            .await;
        assert_eq!(
            count_status(&answers, 200),
            1,
            "{:?}",
            answers.iter().map(|a| &a.text).collect::<Vec<_>>()
        );
        answers
            .iter()
            .find(|a| a.status.code != 200)
            .unwrap()
            .assert_problem(409, "invalid_state");
        if answers[0].status.code == 200 {
            completed += 1; // the completion won
        }
        w.app.assert_invariants().await;
    }
    let after = w.read_voucher(&w.jx_regulator, &v).await;
    assert_eq!(after["held"], "0.00");
    let redeemed = voucher_ledger::domain::Money::from_fen(completed * 100_000);
    assert_eq!(after["redeemed"], redeemed.to_string(), "{after}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn approvals_racing_for_one_budget_never_overdraw_it() {
    let w = World::new().await;
    let appropriated = w
        .post(
            &w.jx_regulator.token,
            "/api/v1/regions/JX/budgets",
            json!({"year": 2027, "amount": "50000.00"}),
        )
        .await;
    assert_eq!(appropriated.status.code, 201, "{}", appropriated.text);
    let mut approvals = Vec::new();
    for i in 0..20 {
        // Each for its own purpose: an identical application waiting is refused.
        let application = w
            .post(
                &w.jx_company.token,
                "/api/v1/applications",
                json!({"region": "JX", "year": 2027, "amount": "5000.00", "purpose": format!("p{i}")}),
            )
            .await;
        let id = application.body["id"].as_str().unwrap().to_owned();
        approvals.push(Post {
            token: w.jx_regulator.token.clone(),
            path: format!("/api/v1/applications/{id}/approve"),
            key: new_key(),
            body: json!({}),
        });
    }
    let answers = w.app.race(approvals).await;
    assert_eq!(count_status(&answers, 201), 10);
    for a in answers.iter().filter(|a| a.status.code != 201) {
        a.assert_problem(422, "budget_exceeded");
        a.assert_rule(
            "appropriation",
            &[
                ("limit", "50000.00"),
                ("used", "50000.00"),
                ("allowed", "0.00"),
                ("requested", "5000.00"),
            ],
        );
    }
    let mut serials: Vec<String> = answers
        .iter()
        .filter(|a| a.status.code == 201)
        .map(|a| a.body["serial"].as_str().unwrap().to_owned())
        .collect();
    serials.sort();
    let expected: Vec<String> = (1..=10).map(|n| format!("JX-2027-{n:06}")).collect();
    assert_eq!(serials, expected, "serials are dense and unique");
    let budget = w
        .get(&w.jx_regulator.token, "/api/v1/regions/JX/budgets/2027")
        .await;
    assert_eq!(budget.body["unissued"], "0.00");
    assert_eq!(budget.body["issued"], "50000.00");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn claims_racing_over_the_same_redemptions_take_each_once() {
    let w = World::new().await;
    let v = w
        .voucher(&w.jx_company, &w.jx_regulator, "JX", "10000.00")
        .await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let r = w
            .hold(
                &w.jx_company,
                &v,
                &w.sh_lab,
                &format!("CL-{i}"),
                "2000.00",
                "1000.00",
            )
            .await;
        let id = r.body["id"].as_str().unwrap().to_owned();
        let done = w.complete(&w.sh_lab, &id, None).await;
        assert_eq!(done.status.code, 200);
        ids.push(id);
    }
    let posts = (0..20)
        .map(|i| Post {
            token: w.sh_lab.token.clone(),
            path: "/api/v1/claims".into(),
            key: new_key(),
            // Overlapping sets: every claim includes the first redemption.
            body: json!({"redemption_ids": [ids[0], ids[1 + i % 2]], "invoice_no": format!("INV-RACE-{i}")}),
        })
        .collect();
    let answers = w.app.race(posts).await;
    assert_eq!(count_status(&answers, 201), 1);
    for a in answers.iter().filter(|a| a.status.code != 201) {
        a.assert_problem(409, "conflict");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_holds_with_one_idempotency_key_act_once() {
    let w = World::new().await;
    let v = w
        .voucher(&w.jx_company, &w.jx_regulator, "JX", "10000.00")
        .await;
    let key = new_key();
    let body = json!({"voucher_id": v["id"], "provider_id": w.sh_lab.id, "contract_no": "ONCE",
                      "contract_amount": "2000.00", "service_category": "testing", "amount": "1000.00"});
    let posts = (0..50)
        .map(|_| Post {
            token: w.jx_company.token.clone(),
            path: "/api/v1/redemptions".into(),
            key: key.clone(),
            body: body.clone(),
        })
        .collect();
    let answers = w.app.race(posts).await;
    let finished: Vec<_> = answers.iter().filter(|a| a.status.code == 201).collect();
    assert!(!finished.is_empty());
    assert!(finished.iter().all(|a| a.text == finished[0].text));
    for a in answers.iter().filter(|a| a.status.code != 201) {
        a.assert_problem(409, "idempotency_in_progress");
    }
    w.assert_voucher(
        &w.jx_regulator,
        &v,
        "active",
        ["9000.00", "1000.00", "0.00", "0.00", "0.00"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn issuance_and_revocation_race_without_deadlock() {
    // Revocations sent as the regulator's API client: no four eyes here.
    let (w, _policies) = World::without_four_eyes().await;
    let jx = &w.jx_regulator;
    let mut posts = Vec::new();
    for i in 0..5 {
        let v = w.voucher(&w.jx_company_2, jx, "JX", "1000.00").await;
        posts.push(Post {
            token: jx.token.clone(),
            path: format!("/api/v1/vouchers/{}/revoke", v["id"].as_str().unwrap()),
            key: new_key(),
            body: json!({"reason": "race"}),
        });
        let application = w
            .post(
                &w.jx_company.token,
                "/api/v1/applications",
                json!({"region": "JX", "year": 2026, "amount": "1000.00", "purpose": format!("p{i}")}),
            )
            .await;
        posts.push(Post {
            token: jx.token.clone(),
            path: format!(
                "/api/v1/applications/{}/approve",
                application.body["id"].as_str().unwrap()
            ),
            key: new_key(),
            body: json!({}),
        });
    }
    let answers = w.app.race(posts).await;
    assert_eq!(
        count_status(&answers, 200),
        5,
        "{:?}",
        answers.iter().map(|a| &a.text).collect::<Vec<_>>()
    );
    assert_eq!(count_status(&answers, 201), 5);
    let budget = w.budget(jx, "JX").await;
    assert_eq!(budget["issued"], "10000.00");
    assert_eq!(budget["returned"], "5000.00");
    assert_eq!(budget["unissued"], "995000.00");
}
