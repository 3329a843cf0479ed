//! Bad input on every ledger endpoint gets its status and code, and changes
//! nothing (the whole ledger is compared before and after).

use serde_json::{json, Value};
use uuid::Uuid;

use crate::world::World;

/// A world with a voucher, a held redemption, a completed one and a paid claim.
struct Scene {
    w: World,
    voucher: Value,
    held: String,
    completed: String,
    cancelled: String,
    paid_claim: String,
}

async fn scene() -> Scene {
    let w = World::new().await;
    let voucher = w
        .voucher(&w.jx_company, &w.jx_regulator, "JX", "50000.00")
        .await;
    let id = |a: crate::helpers::Answer| a.body["id"].as_str().unwrap().to_owned();
    let held = id(w
        .hold(
            &w.jx_company,
            &voucher,
            &w.sh_lab,
            "S-1",
            "20000.00",
            "5000.00",
        )
        .await);
    let completed = id(w
        .hold(
            &w.jx_company,
            &voucher,
            &w.sh_lab,
            "S-2",
            "20000.00",
            "5000.00",
        )
        .await);
    w.complete(&w.sh_lab, &completed, None).await;
    let cancelled = id(w
        .hold(
            &w.jx_company,
            &voucher,
            &w.sh_lab,
            "S-3",
            "20000.00",
            "5000.00",
        )
        .await);
    w.cancel(&w.jx_company, &cancelled).await;
    let paid = id(w
        .hold(
            &w.jx_company,
            &voucher,
            &w.sh_lab,
            "S-4",
            "20000.00",
            "5000.00",
        )
        .await);
    w.complete(&w.sh_lab, &paid, None).await;
    let claim = w.claim(&w.sh_lab, &[&paid], "PAID-1").await;
    let paid_claim = claim.body["id"].as_str().unwrap().to_owned();
    w.approve_claim(&w.jx_regulator, &paid_claim).await;
    let done = w.pay_claim(&w.jx_regulator, &paid_claim, "B").await;
    assert_eq!(done.status.code, 200, "{}", done.text);
    Scene {
        w,
        voucher,
        held,
        completed,
        cancelled,
        paid_claim,
    }
}

/// Sends each case and checks its answer; then checks that nothing changed.
async fn refuse_all(s: &Scene, cases: Vec<(&str, String, Value, u16, &str)>) {
    let before = s.w.snapshot().await;
    for (token, path, body, status, code) in cases {
        let answer = s.w.post(token, &path, body.clone()).await;
        assert_eq!(
            answer.status.code, status,
            "POST {path} {body}: {}",
            answer.text
        );
        answer.assert_problem(status, code);
    }
    assert_eq!(s.w.snapshot().await, before, "a refusal changed the ledger");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_amounts_are_refused_everywhere() {
    let s = scene().await;
    let w = &s.w;
    let application = w
        .post(
            &w.jx_company.token,
            "/api/v1/applications",
            json!({"region": "JX", "year": 2026, "amount": "1.00", "purpose": "p"}),
        )
        .await;
    let application = application.body["id"].as_str().unwrap().to_owned();
    let mut cases = Vec::new();
    for bad in [
        json!(100),
        json!(1.5),
        json!("1.234"),
        json!("-1"),
        json!("+1"),
        json!("1e3"),
        json!("0"),
        json!("0.00"),
        json!("10000000000.01"),
        json!(""),
        json!(" 1"),
        json!(null),
    ] {
        cases.push((
            w.jx_regulator.token.as_str(),
            "/api/v1/regions/JX/budgets".to_owned(),
            json!({"year": 2026, "amount": bad}),
            422,
            "invalid_amount",
        ));
        cases.push((
            w.jx_company.token.as_str(),
            "/api/v1/applications".to_owned(),
            json!({"region": "JX", "year": 2026, "amount": bad, "purpose": "p"}),
            422,
            "invalid_amount",
        ));
        cases.push((w.jx_company.token.as_str(), "/api/v1/redemptions".to_owned(),
            json!({"voucher_id": s.voucher["id"], "provider_id": w.sh_lab.id, "contract_no": "A", "contract_amount": "100", "service_category": "testing", "amount": bad}), 422, "invalid_amount"));
        cases.push((w.jx_company.token.as_str(), "/api/v1/redemptions".to_owned(),
            json!({"voucher_id": s.voucher["id"], "provider_id": w.sh_lab.id, "contract_no": "A", "contract_amount": bad, "service_category": "testing", "amount": "1"}), 422, "invalid_amount"));
        if !bad.is_null() {
            // Optional amounts: null means "not given".
            cases.push((
                w.jx_regulator.token.as_str(),
                format!("/api/v1/applications/{application}/approve"),
                json!({"amount": bad}),
                422,
                "invalid_amount",
            ));
            cases.push((
                w.sh_lab.token.as_str(),
                format!("/api/v1/redemptions/{}/complete", s.held),
                json!({"amount": bad}),
                422,
                "invalid_amount",
            ));
        }
    }
    // Out of bounds rather than malformed.
    cases.push((w.jx_company.token.as_str(), "/api/v1/redemptions".to_owned(),
        json!({"voucher_id": s.voucher["id"], "provider_id": w.sh_lab.id, "contract_no": "A", "contract_amount": "100", "service_category": "testing", "amount": "100.01"}), 422, "share_exceeded"));
    cases.push((
        w.sh_lab.token.as_str(),
        format!("/api/v1/redemptions/{}/complete", s.held),
        json!({"amount": "5000.01"}),
        422,
        "validation_failed",
    ));
    cases.push((w.jx_company.token.as_str(), "/api/v1/redemptions".to_owned(),
        json!({"voucher_id": s.voucher["id"], "provider_id": w.sh_lab.id, "contract_no": "A", "contract_amount": "100000", "service_category": "testing", "amount": "35000.01"}), 422, "insufficient_balance"));
    refuse_all(&s, cases).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_ids_wrong_states_and_other_peoples_resources() {
    let s = scene().await;
    let w = &s.w;
    let nobody = Uuid::now_v7().to_string();
    let v = s.voucher["id"].as_str().unwrap().to_owned();
    let hold_body = |voucher: &str, provider: Uuid, contract: &str, category: &str| {
        json!({"voucher_id": voucher, "provider_id": provider, "contract_no": contract,
               "contract_amount": "100.00", "service_category": category, "amount": "1.00"})
    };
    let (jx, zj, sh) = (
        &w.jx_regulator.token,
        &w.zj_regulator.token,
        &w.sh_regulator.token,
    );
    let (company, other_company, lab, other_lab) = (
        &w.jx_company.token,
        &w.jx_company_2.token,
        &w.sh_lab.token,
        &w.jx_lab.token,
    );
    let cases: Vec<(&str, String, Value, u16, &str)> = vec![
        // Unknown ids.
        (
            jx,
            format!("/api/v1/applications/{nobody}/approve"),
            json!({}),
            404,
            "not_found",
        ),
        (
            jx,
            format!("/api/v1/applications/{nobody}/reject"),
            json!({"reason": "r"}),
            404,
            "not_found",
        ),
        (
            jx,
            "/api/v1/applications/not-an-id/approve".into(),
            json!({}),
            404,
            "not_found",
        ),
        (
            jx,
            format!("/api/v1/vouchers/{nobody}/revoke"),
            json!({"reason": "r"}),
            404,
            "not_found",
        ),
        (
            lab,
            format!("/api/v1/redemptions/{nobody}/complete"),
            json!({}),
            404,
            "not_found",
        ),
        (
            company,
            format!("/api/v1/redemptions/{nobody}/cancel"),
            json!({}),
            404,
            "not_found",
        ),
        (
            jx,
            format!("/api/v1/claims/{nobody}/approve"),
            json!({}),
            404,
            "not_found",
        ),
        (
            jx,
            format!("/api/v1/claims/{nobody}/reject"),
            json!({"reason": "r"}),
            404,
            "not_found",
        ),
        (
            jx,
            format!("/api/v1/claims/{nobody}/pay"),
            json!({"bank_reference": "b"}),
            404,
            "not_found",
        ),
        (
            company,
            "/api/v1/redemptions".into(),
            hold_body(&nobody, w.sh_lab.id, "U-1", "testing"),
            404,
            "not_found",
        ),
        (
            company,
            "/api/v1/redemptions".into(),
            hold_body(&v, Uuid::now_v7(), "U-2", "testing"),
            404,
            "not_found",
        ),
        (
            company,
            "/api/v1/redemptions".into(),
            hold_body(&v, w.jx_company_2.id, "U-3", "testing"),
            404,
            "not_found",
        ),
        (
            jx,
            "/api/v1/regions/JX/admissions".into(),
            json!({"provider_id": nobody, "categories": ["testing"]}),
            404,
            "not_found",
        ),
        (
            jx,
            "/api/v1/regions/JX/admissions".into(),
            json!({"provider_id": w.jx_company.id, "categories": ["testing"]}),
            404,
            "not_found",
        ),
        (
            lab,
            "/api/v1/claims".into(),
            json!({"redemption_ids": [nobody], "invoice_no": "U-1"}),
            404,
            "not_found",
        ),
        (
            jx,
            "/api/v1/regions/XX/budgets".into(),
            json!({"year": 2026, "amount": "1"}),
            404,
            "not_found",
        ),
        // Wrong states.
        (
            lab,
            format!("/api/v1/redemptions/{}/complete", s.cancelled),
            json!({}),
            409,
            "invalid_state",
        ),
        (
            lab,
            format!("/api/v1/redemptions/{}/complete", s.completed),
            json!({}),
            409,
            "invalid_state",
        ),
        (
            company,
            format!("/api/v1/redemptions/{}/cancel", s.completed),
            json!({}),
            409,
            "invalid_state",
        ),
        (
            lab,
            "/api/v1/claims".into(),
            json!({"redemption_ids": [s.held], "invoice_no": "U-2"}),
            409,
            "invalid_state",
        ),
        (
            jx,
            format!("/api/v1/claims/{}/approve", s.paid_claim),
            json!({}),
            409,
            "invalid_state",
        ),
        (
            jx,
            format!("/api/v1/claims/{}/reject", s.paid_claim),
            json!({"reason": "r"}),
            409,
            "invalid_state",
        ),
        (
            jx,
            format!("/api/v1/claims/{}/pay", s.paid_claim),
            json!({"bank_reference": "again"}),
            409,
            "invalid_state",
        ),
        // Other organisations' resources.
        (
            other_company,
            "/api/v1/redemptions".into(),
            hold_body(&v, w.sh_lab.id, "O-1", "testing"),
            404,
            "not_found",
        ),
        (
            other_lab,
            format!("/api/v1/redemptions/{}/complete", s.held),
            json!({}),
            404,
            "not_found",
        ),
        (
            other_company,
            format!("/api/v1/redemptions/{}/cancel", s.held),
            json!({}),
            404,
            "not_found",
        ),
        (
            other_lab,
            format!("/api/v1/redemptions/{}/cancel", s.held),
            json!({}),
            404,
            "not_found",
        ),
        (
            zj,
            format!("/api/v1/vouchers/{v}/revoke"),
            json!({"reason": "r"}),
            404,
            "not_found",
        ),
        (
            sh,
            format!("/api/v1/vouchers/{v}/revoke"),
            json!({"reason": "r"}),
            404,
            "not_found",
        ),
        (
            other_lab,
            "/api/v1/claims".into(),
            json!({"redemption_ids": [s.completed], "invoice_no": "O-2"}),
            404,
            "not_found",
        ),
        (
            sh,
            "/api/v1/regions/JX/budgets".into(),
            json!({"year": 2026, "amount": "1"}),
            403,
            "forbidden",
        ),
        (
            sh,
            "/api/v1/regions/JX/admissions".into(),
            json!({"provider_id": w.sh_lab.id, "categories": ["ip"]}),
            403,
            "forbidden",
        ),
        // Roles.
        (
            &w.admin,
            "/api/v1/regions/JX/budgets".into(),
            json!({"year": 2026, "amount": "1"}),
            403,
            "forbidden",
        ),
        (
            jx,
            "/api/v1/redemptions".into(),
            hold_body(&v, w.sh_lab.id, "R-1", "testing"),
            403,
            "forbidden",
        ),
        (
            company,
            format!("/api/v1/redemptions/{}/complete", s.held),
            json!({}),
            403,
            "forbidden",
        ),
        (
            jx,
            format!("/api/v1/redemptions/{}/cancel", s.held),
            json!({}),
            403,
            "forbidden",
        ),
        (
            company,
            "/api/v1/claims".into(),
            json!({"redemption_ids": [s.completed], "invoice_no": "R-2"}),
            403,
            "forbidden",
        ),
        (
            lab,
            "/api/v1/applications".into(),
            json!({"region": "SH", "year": 2026, "amount": "1", "purpose": "p"}),
            403,
            "forbidden",
        ),
        (
            company,
            "/api/v1/admin/expiry-runs".into(),
            json!({}),
            403,
            "forbidden",
        ),
        // Rules and validation.
        (
            company,
            "/api/v1/redemptions".into(),
            hold_body(&v, w.sh_lab.id, "S-1", "testing"),
            422,
            "duplicate_contract",
        ),
        (
            company,
            "/api/v1/redemptions".into(),
            hold_body(&v, w.sh_lab.id, "V-1", "cooking"),
            422,
            "validation_failed",
        ),
        (
            company,
            "/api/v1/redemptions".into(),
            hold_body(&v, w.sh_lab.id, " ", "testing"),
            422,
            "validation_failed",
        ),
        (
            lab,
            "/api/v1/claims".into(),
            json!({"redemption_ids": [s.completed], "invoice_no": "PAID-1"}),
            422,
            "duplicate_invoice",
        ),
        (
            lab,
            "/api/v1/claims".into(),
            json!({"redemption_ids": [], "invoice_no": "V-2"}),
            422,
            "validation_failed",
        ),
        (
            lab,
            "/api/v1/claims".into(),
            json!({"redemption_ids": [s.completed, s.completed], "invoice_no": "V-3"}),
            422,
            "validation_failed",
        ),
        (
            jx,
            format!("/api/v1/vouchers/{v}/revoke"),
            json!({"reason": ""}),
            422,
            "validation_failed",
        ),
        (
            jx,
            "/api/v1/regions/JX/budgets".into(),
            json!({"year": 1999, "amount": "1"}),
            422,
            "validation_failed",
        ),
        (
            jx,
            "/api/v1/regions/JX/admissions".into(),
            json!({"provider_id": w.sh_lab.id, "categories": []}),
            422,
            "validation_failed",
        ),
        (
            jx,
            "/api/v1/regions/JX/admissions".into(),
            json!({"provider_id": w.sh_lab.id, "categories": ["cooking"]}),
            422,
            "validation_failed",
        ),
        (
            company,
            "/api/v1/applications".into(),
            json!({"region": "SH", "year": 2026, "amount": "1", "purpose": "p"}),
            422,
            "validation_failed",
        ),
        (
            company,
            "/api/v1/applications".into(),
            json!({"region": "JX", "year": 2029, "amount": "1", "purpose": "p"}),
            422,
            "validation_failed",
        ),
        (
            company,
            "/api/v1/applications".into(),
            json!({"region": "JX", "year": 2026, "amount": "1"}),
            422,
            "validation_failed",
        ),
        (
            company,
            "/api/v1/applications".into(),
            json!({"region": "JX", "year": 2026, "amount": "1", "purpose": "p", "x": 1}),
            422,
            "validation_failed",
        ),
        (
            &w.admin,
            "/api/v1/admin/expiry-runs".into(),
            json!({"as_of": "2030-01-01T00:00:00Z"}),
            422,
            "validation_failed",
        ),
    ];
    refuse_all(&s, cases).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_are_scoped_and_paginated() {
    let s = scene().await;
    let w = &s.w;
    let v = s.voucher["id"].as_str().unwrap();
    // Lists: each sees its own.
    let mine = w.get(&w.jx_company.token, "/api/v1/vouchers").await;
    assert_eq!(mine.body["items"].as_array().unwrap().len(), 1);
    let theirs = w.get(&w.jx_company_2.token, "/api/v1/vouchers").await;
    assert_eq!(theirs.body["items"].as_array().unwrap().len(), 0);
    assert_eq!(
        w.get(&w.sh_regulator.token, "/api/v1/vouchers").await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    w.get(&w.jx_company_2.token, &format!("/api/v1/vouchers/{v}"))
        .await
        .assert_problem(404, "not_found");
    w.get(&w.sh_lab.token, "/api/v1/vouchers")
        .await
        .assert_problem(403, "forbidden");
    w.get(&w.sh_lab.token, "/api/v1/applications")
        .await
        .assert_problem(403, "forbidden");
    w.get(&w.jx_company.token, "/api/v1/claims")
        .await
        .assert_problem(403, "forbidden");
    w.get(&w.admin, "/api/v1/redemptions")
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(
        w.get(&w.jx_lab.token, "/api/v1/redemptions").await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        w.get(&w.zj_regulator.token, "/api/v1/claims").await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // Pages of two over four redemptions.
    let first = w.get(&w.sh_lab.token, "/api/v1/redemptions?limit=2").await;
    assert_eq!(first.body["items"].as_array().unwrap().len(), 2);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = w
        .get(
            &w.sh_lab.token,
            &format!("/api/v1/redemptions?limit=2&cursor={cursor}"),
        )
        .await;
    assert_eq!(second.body["items"].as_array().unwrap().len(), 2);
    assert!(
        second.body["next_cursor"].is_null(),
        "the last page: {}",
        second.text
    );
    assert_ne!(first.body["items"][1]["id"], second.body["items"][0]["id"]);
    for bad in ["limit=0", "limit=501", "limit=x", "cursor=nope"] {
        w.get(&w.sh_lab.token, &format!("/api/v1/redemptions?{bad}"))
            .await
            .assert_problem(422, "validation_failed");
    }
    let claims = w.get(&w.jx_regulator.token, "/api/v1/claims").await;
    assert_eq!(claims.body["items"][0]["status"], "paid");
    assert_eq!(
        claims.body["items"][0]["redemption_ids"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
