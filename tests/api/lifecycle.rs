//! Every path of the lifecycle (product.md §4) through HTTP, with balances
//! checked to the fen and the invariants after each step.

use serde_json::json;

use crate::world::World;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jiaxing_voucher_is_spent_in_shanghai_and_paid_by_jiaxing() {
    let w = World::new().await;
    let (jx, company, lab) = (&w.jx_regulator, &w.jx_company, &w.sh_lab);

    let v = w.voucher(company, jx, "JX", "100000.00").await;
    assert_eq!(v["serial"], "JX-2026-000001");
    assert_eq!(v["face_value"], "100000.00");
    assert_eq!(v["use_until"], "2026-12-31");
    assert_eq!(v["claim_until"], "2027-03-31");
    assert_eq!(v["holder_id"], company.id.to_string());
    w.assert_voucher(
        jx,
        &v,
        "active",
        ["100000.00", "0.00", "0.00", "0.00", "0.00"],
    )
    .await;
    let budget = w.budget(jx, "JX").await;
    assert_eq!(
        [
            &budget["appropriated"],
            &budget["issued"],
            &budget["returned"],
            &budget["unissued"]
        ],
        ["1000000.00", "100000.00", "0.00", "900000.00"]
    );

    // Hold at the Shanghai lab that JX admitted, then complete part of it.
    let r1 = w
        .hold(company, &v, lab, "SH-C-1", "80000.00", "40000.00")
        .await;
    assert_eq!(r1.status.code, 201, "{}", r1.text);
    assert_eq!(r1.body["status"], "held");
    assert_eq!(r1.body["region"], "JX");
    assert_eq!(r1.body["provider_region"], "SH");
    w.assert_voucher(
        jx,
        &v,
        "active",
        ["60000.00", "40000.00", "0.00", "0.00", "0.00"],
    )
    .await;
    let r1_id = r1.body["id"].as_str().unwrap().to_owned();
    let done = w.complete(lab, &r1_id, Some("30000")).await;
    assert_eq!(done.status.code, 200, "{}", done.text);
    assert_eq!(done.body["status"], "completed");
    assert_eq!(done.body["completed_amount"], "30000.00");
    w.assert_voucher(
        jx,
        &v,
        "active",
        ["70000.00", "0.00", "30000.00", "0.00", "0.00"],
    )
    .await;

    // Cancelled by the company, and by the provider.
    for (n, canceller) in [(2, &company.token), (3, &lab.token)] {
        let r = w
            .hold(
                company,
                &v,
                lab,
                &format!("SH-C-{n}"),
                "20000.00",
                "10000.00",
            )
            .await;
        assert_eq!(r.status.code, 201, "{}", r.text);
        w.assert_voucher(
            jx,
            &v,
            "active",
            ["60000.00", "10000.00", "30000.00", "0.00", "0.00"],
        )
        .await;
        let id = r.body["id"].as_str().unwrap();
        let cancelled = w
            .post(
                canceller,
                &format!("/api/v1/redemptions/{id}/cancel"),
                json!({}),
            )
            .await;
        assert_eq!(cancelled.status.code, 200, "{}", cancelled.text);
        assert_eq!(cancelled.body["status"], "cancelled");
        w.assert_voucher(
            jx,
            &v,
            "active",
            ["70000.00", "0.00", "30000.00", "0.00", "0.00"],
        )
        .await;
        // Resolved once: a second resolution is refused.
        let again = w.cancel(company, &id).await;
        again.assert_problem(409, "invalid_state");
    }
    // A cancelled contract number may be used again.
    let r = w
        .hold(company, &v, lab, "SH-C-2", "20000.00", "10000.00")
        .await;
    assert_eq!(r.status.code, 201, "{}", r.text);
    let id = r.body["id"].as_str().unwrap();
    assert_eq!(w.cancel(company, &id).await.status.code, 200);

    // At the Jiaxing lab, completed in full.
    let r4 = w
        .hold(company, &v, &w.jx_lab, "JX-C-4", "40000.00", "20000.00")
        .await;
    assert_eq!(r4.status.code, 201, "{}", r4.text);
    let r4_id = r4.body["id"].as_str().unwrap().to_owned();
    let done = w.complete(&w.jx_lab, &r4_id, None).await;
    assert_eq!(done.body["completed_amount"], "20000.00", "{}", done.text);
    w.assert_voucher(
        jx,
        &v,
        "active",
        ["50000.00", "0.00", "50000.00", "0.00", "0.00"],
    )
    .await;

    // Who sees the Shanghai redemption: JX (issuer) and SH (provider's region), not ZJ.
    let path = format!("/api/v1/redemptions/{r1_id}");
    assert_eq!(w.get(&jx.token, &path).await.status.code, 200);
    assert_eq!(w.get(&w.sh_regulator.token, &path).await.status.code, 200);
    w.get(&w.zj_regulator.token, &path)
        .await
        .assert_problem(404, "not_found");

    // The Shanghai lab claims, JX approves and pays from the JX fund.
    let claim = w.claim(lab, &[&r1_id], "INV-1").await;
    assert_eq!(claim.status.code, 201, "{}", claim.text);
    assert_eq!(claim.body["region"], "JX");
    assert_eq!(claim.body["amount"], "30000.00");
    assert_eq!(claim.body["status"], "submitted");
    let claim_id = claim.body["id"].as_str().unwrap().to_owned();
    w.approve_claim(&w.sh_regulator, &claim_id)
        .await
        .assert_problem(404, "not_found");
    w.pay_claim(jx, &claim_id, "B-1")
        .await
        .assert_problem(409, "invalid_state");
    let approved = w.approve_claim(jx, &claim_id).await;
    assert_eq!(approved.body["status"], "approved", "{}", approved.text);
    let paid = w.pay_claim(jx, &claim_id, "ICBC-0001").await;
    assert_eq!(paid.status.code, 200, "{}", paid.text);
    assert_eq!(paid.body["status"], "paid");
    assert_eq!(paid.body["bank_reference"], "ICBC-0001");
    w.pay_claim(jx, &claim_id, "ICBC-0002")
        .await
        .assert_problem(409, "invalid_state");
    w.app.assert_invariants().await;
    assert_eq!(paid_out(&w, "JX").await, 3_000_000);
    assert_eq!(paid_out(&w, "SH").await, 0);

    // The invoice cannot be claimed twice; the redemption neither.
    let r4_claim = w.claim(&w.jx_lab, &[&r4_id], "INV-1").await;
    r4_claim.assert_problem(422, "duplicate_invoice");
    r4_claim.assert_rule("invoice_no", &[("requested", "INV-1")]);
    // Rejected, then claimed again.
    let c2 = w.claim(&w.jx_lab, &[&r4_id], "INV-2").await;
    assert_eq!(c2.status.code, 201, "{}", c2.text);
    let c2_id = c2.body["id"].as_str().unwrap();
    let rejected = w
        .post(
            &jx.token,
            &format!("/api/v1/claims/{c2_id}/reject"),
            json!({"reason": "发票抬头错误"}),
        )
        .await;
    assert_eq!(rejected.body["status"], "rejected", "{}", rejected.text);
    assert_eq!(rejected.body["reason"], "发票抬头错误");
    let c3 = w.claim(&w.jx_lab, &[&r4_id], "INV-3").await;
    assert_eq!(c3.status.code, 201, "{}", c3.text);
    let c3_id = c3.body["id"].as_str().unwrap();
    assert_eq!(w.approve_claim(jx, &c3_id).await.status.code, 200);
    assert_eq!(w.pay_claim(jx, &c3_id, "ICBC-0003").await.status.code, 200);
    assert_eq!(paid_out(&w, "JX").await, 5_000_000);
    w.app.assert_invariants().await;

    // Budgets did not move with redemptions: the issuer's fund paid.
    let budget = w.budget(jx, "JX").await;
    assert_eq!(budget["unissued"], "900000.00");
    let sh = w.budget(&w.sh_regulator, "SH").await;
    assert_eq!(sh["unissued"], "1000000.00");

    // A Shanghai voucher cannot be spent at the Jiaxing lab (not admitted by SH).
    let sv = w
        .voucher(&w.sh_company, &w.sh_regulator, "SH", "10000.00")
        .await;
    assert_eq!(sv["serial"], "SH-2026-000001");
    w.hold(&w.sh_company, &sv, &w.jx_lab, "X-1", "10000.00", "1000.00")
        .await
        .assert_problem(422, "provider_not_admitted");
    // Nor for a category the lab was not admitted for.
    let wrong_category = w
        .post(
            &w.sh_company.token,
            "/api/v1/redemptions",
            json!({"voucher_id": sv["id"], "provider_id": lab.id, "contract_no": "X-2",
                   "contract_amount": "100.00", "service_category": "ip", "amount": "1.00"}),
        )
        .await;
    wrong_category.assert_problem(422, "category_not_eligible");
}

/// What the region paid out in 2026, in fen.
async fn paid_out(w: &World, region: &str) -> i64 {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use voucher_ledger::store::entities::accounts;
    accounts::Entity::find()
        .filter(accounts::Column::Region.eq(region))
        .filter(accounts::Column::Kind.eq("paid"))
        .one(w.app.db.reader())
        .await
        .unwrap()
        .map(|a| a.balance)
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejection_revocation_exhaustion_and_expiry() {
    let mut w = World::new().await;
    let jx = &w.jx_regulator;

    // A rejected application issues nothing.
    let application = w
        .post(
            &w.jx_company.token,
            "/api/v1/applications",
            json!({"region": "JX", "year": 2026, "amount": "5000", "purpose": "x"}),
        )
        .await;
    let app_id = application.body["id"].as_str().unwrap();
    let rejected = w
        .post(
            &jx.token,
            &format!("/api/v1/applications/{app_id}/reject"),
            json!({"reason": "材料不全"}),
        )
        .await;
    assert_eq!(rejected.body["status"], "rejected", "{}", rejected.text);
    w.post(
        &jx.token,
        &format!("/api/v1/applications/{app_id}/approve"),
        json!({}),
    )
    .await
    .assert_problem(409, "invalid_state");
    // An approval may lower the amount, never raise it.
    let application = w
        .post(
            &w.jx_company.token,
            "/api/v1/applications",
            json!({"region": "JX", "year": 2026, "amount": "5000", "purpose": "x"}),
        )
        .await;
    let app_id = application.body["id"].as_str().unwrap();
    w.post(
        &jx.token,
        &format!("/api/v1/applications/{app_id}/approve"),
        json!({"amount": "5000.01"}),
    )
    .await
    .assert_problem(422, "validation_failed");
    let lowered = w
        .post(
            &jx.token,
            &format!("/api/v1/applications/{app_id}/approve"),
            json!({"amount": "4000"}),
        )
        .await;
    assert_eq!(lowered.body["face_value"], "4000.00", "{}", lowered.text);

    // Exhausted: everything completed.
    let small = w.voucher(&w.jx_company, jx, "JX", "1000.00").await;
    let r = w
        .hold(
            &w.jx_company,
            &small,
            &w.sh_lab,
            "E-1",
            "2000.00",
            "1000.00",
        )
        .await;
    let id = r.body["id"].as_str().unwrap();
    w.complete(&w.sh_lab, &id, None).await;
    w.assert_voucher(
        jx,
        &small,
        "exhausted",
        ["0.00", "0.00", "1000.00", "0.00", "0.00"],
    )
    .await;
    let short = w
        .hold(&w.jx_company, &small, &w.sh_lab, "E-2", "2000.00", "0.01")
        .await;
    short.assert_problem(422, "insufficient_balance");
    short.assert_rule(
        "voucher_balance",
        &[
            ("requested", "0.01"),
            ("allowed", "0.00"),
            ("used", "1000.00"),
        ],
    );

    // Revoked with a hold open: the hold may still be cancelled; all returns.
    let v2 = w.voucher(&w.jx_company_2, jx, "JX", "50000.00").await;
    let r5 = w
        .hold(
            &w.jx_company_2,
            &v2,
            &w.sh_lab,
            "R-5",
            "30000.00",
            "10000.00",
        )
        .await;
    let r5_id = r5.body["id"].as_str().unwrap().to_owned();
    let v2_id = v2["id"].as_str().unwrap();
    w.post(
        &w.jx_company_2.token,
        &format!("/api/v1/vouchers/{v2_id}/revoke"),
        json!({"reason": "x"}),
    )
    .await
    .assert_problem(403, "forbidden");
    // An API client may not revoke a voucher with a balance: two people do.
    w.post(
        &jx.token,
        &format!("/api/v1/vouchers/{v2_id}/revoke"),
        json!({"reason": "虚假材料"}),
    )
    .await
    .assert_problem(403, "forbidden");
    let revoked = w.revoke(jx, v2_id, "虚假材料").await;
    assert_eq!(revoked.status.code, 200, "{}", revoked.text);
    w.assert_voucher(
        jx,
        &v2,
        "revoked",
        ["0.00", "10000.00", "0.00", "0.00", "40000.00"],
    )
    .await;
    w.hold(&w.jx_company_2, &v2, &w.sh_lab, "R-6", "30000.00", "1.00")
        .await
        .assert_problem(409, "invalid_state");
    w.revoke(jx, v2_id, "again")
        .await
        .assert_problem(409, "invalid_state");
    assert_eq!(w.cancel(&w.sh_lab, &r5_id).await.status.code, 200);
    w.assert_voucher(
        jx,
        &v2,
        "revoked",
        ["0.00", "0.00", "0.00", "0.00", "50000.00"],
    )
    .await;
    assert_eq!(w.budget(jx, "JX").await["returned"], "50000.00");

    // Expiry: a Shanghai voucher with two holds open at the year's end.
    let v3 = w
        .voucher(&w.sh_company, &w.sh_regulator, "SH", "30000.00")
        .await;
    let r6 = w
        .hold(&w.sh_company, &v3, &w.sh_lab, "X-6", "30000.00", "10000.00")
        .await;
    let r7 = w
        .hold(&w.sh_company, &v3, &w.sh_lab, "X-7", "30000.00", "10000.00")
        .await;
    let (r6_id, r7_id) = (
        r6.body["id"].as_str().unwrap().to_owned(),
        r7.body["id"].as_str().unwrap().to_owned(),
    );

    w.travel_to("2026-12-31T23:59:59").await;
    let last_day = w
        .hold(&w.sh_company, &v3, &w.sh_lab, "X-8", "30000.00", "1.00")
        .await;
    assert_eq!(
        last_day.status.code, 201,
        "the use deadline day is usable: {}",
        last_day.text
    );
    let id = last_day.body["id"].as_str().unwrap();
    w.cancel(&w.sh_company, &id).await;

    w.travel_to("2027-01-01T00:00:00").await;
    let late = w
        .hold(&w.sh_company, &v3, &w.sh_lab, "X-9", "30000.00", "1.00")
        .await;
    late.assert_problem(422, "voucher_expired");
    late.assert_rule(
        "use_deadline",
        &[("limit", "2026-12-31"), ("requested", "2027-01-01")],
    );
    let run = w
        .post(&w.admin, "/api/v1/admin/expiry-runs", json!({}))
        .await;
    assert_eq!(run.status.code, 200, "{}", run.text);
    // v2 was revoked; the lowered voucher, the exhausted one (nothing to
    // return) and v3 expire.
    assert_eq!(run.body, json!({"vouchers_expired": 3, "holds_expired": 0}));
    w.assert_voucher(
        &w.sh_regulator,
        &v3,
        "expired",
        ["0.00", "20000.00", "0.00", "10000.00", "0.00"],
    )
    .await;
    // Holds may still complete until the claim deadline.
    let done = w.complete(&w.sh_lab, &r6_id, Some("9000.00")).await;
    assert_eq!(done.status.code, 200, "{}", done.text);
    // What the completion released goes back to the budget: the voucher has expired.
    w.assert_voucher(
        &w.sh_regulator,
        &v3,
        "expired",
        ["0.00", "10000.00", "9000.00", "11000.00", "0.00"],
    )
    .await;
    let again = w
        .post(&w.admin, "/api/v1/admin/expiry-runs", json!({}))
        .await;
    assert_eq!(
        again.body,
        json!({"vouchers_expired": 0, "holds_expired": 0})
    );

    w.travel_to("2027-04-01T00:00:00").await;
    let late = w.complete(&w.sh_lab, &r7_id, None).await;
    late.assert_problem(422, "claim_deadline_passed");
    let deadline = [("limit", "2027-03-31"), ("requested", "2027-04-01")];
    late.assert_rule("claim_deadline", &deadline);
    let late = w.claim(&w.sh_lab, &[&r6_id], "LATE-1").await;
    late.assert_problem(422, "claim_deadline_passed");
    late.assert_rule("claim_deadline", &deadline);
    let run = w
        .post(&w.admin, "/api/v1/admin/expiry-runs", json!({}))
        .await;
    assert_eq!(
        run.body,
        json!({"vouchers_expired": 0, "holds_expired": 1}),
        "{}",
        run.text
    );
    w.assert_voucher(
        &w.sh_regulator,
        &v3,
        "expired",
        ["0.00", "0.00", "9000.00", "21000.00", "0.00"],
    )
    .await;
    let r7_now = w
        .get(&w.sh_company.token, &format!("/api/v1/redemptions/{r7_id}"))
        .await;
    assert_eq!(r7_now.body["status"], "expired");
    let budget = w.budget(&w.sh_regulator, "SH").await;
    assert_eq!(
        [
            &budget["appropriated"],
            &budget["issued"],
            &budget["returned"],
            &budget["unissued"]
        ],
        ["1000000.00", "30000.00", "21000.00", "991000.00"]
    );
}
