//! Public notice (公示) as policy data: Shanghai admits a provider after 7
//! days of notice. Anyone reads what is under notice and objects without
//! a token; an objection still open holds the admission, an upheld one
//! withdraws it, a dismissed one lets it take effect; nothing takes effect
//! before the period ends.

use serde_json::{json, Value};

use crate::helpers::{provider, Answer, Req};
use crate::world::{Org, World};

/// A new Shanghai lab, admitted by SH for testing: the answer (202, the
/// notice) and the lab.
async fn admitted_under_notice(w: &World, name: &str) -> (Value, Org) {
    let mut body = provider("SH");
    body["name"] = json!(name);
    let (id, token) = w.app.register(&w.sh_regulator.token, body).await;
    let admit = json!({"provider_id": id, "categories": ["testing"]});
    let answer = w
        .post(
            &w.sh_regulator.token,
            "/api/v1/regions/SH/admissions",
            admit,
        )
        .await;
    assert_eq!(answer.status.code, 202, "{}", answer.text);
    (answer.body["notice"].clone(), Org { id, token })
}

async fn object(w: &World, notice: &Value, body: Value) -> Answer {
    let path = format!(
        "/api/v1/notices/{}/objections",
        notice["id"].as_str().unwrap()
    );
    w.app.send(Req::post_json(&path, &body)).await
}

/// Whether the SH company can hold 100.00 at `lab` now.
async fn holds_at(w: &World, voucher: &Value, lab: &Org, contract: &str) -> Answer {
    w.hold(&w.sh_company, voucher, lab, contract, "1000.00", "100.00")
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admission_takes_effect_after_seven_days_without_an_upheld_objection() {
    let mut w = World::new().await;
    let voucher = w
        .voucher(&w.sh_company, &w.sh_regulator, "SH", "10000.00")
        .await;
    let (notice, lab) = admitted_under_notice(&w, "上海新材料检测中心").await;
    assert_eq!(notice["kind"], "admission");
    assert_eq!(notice["status"], "open");
    assert_eq!(notice["detail"]["categories"], json!(["testing"]));
    // Anyone reads it, without a token; not yet admitted.
    let public = w.app.send(Req::get("/api/v1/notices?region=SH")).await;
    assert_eq!(public.status.code, 200, "{}", public.text);
    assert_eq!(public.body[0]["id"], notice["id"], "{}", public.text);
    assert!(public.body[0].get("filed").is_none(), "no objector's data");
    holds_at(&w, &voucher, &lab, "N-1")
        .await
        .assert_problem(422, "provider_not_admitted");
    // Admitting again while it is under notice is refused.
    let again = json!({"provider_id": lab.id, "categories": ["testing", "rnd"]});
    w.post(
        &w.sh_regulator.token,
        "/api/v1/regions/SH/admissions",
        again,
    )
    .await
    .assert_problem(409, "invalid_state");

    // Bad objections are refused, nothing kept.
    for body in [
        json!({"name": " ", "contact": "x", "text": "y"}),
        json!({"name": "张伟", "contact": "x", "text": "长".repeat(2001)}),
        json!({"name": "张\u{202e}伟", "contact": "x", "text": "y"}),
        json!({"name": "张伟", "contact": "x"}),
    ] {
        let refused = object(&w, &notice, body).await;
        assert_eq!(refused.status.code, 422, "{}", refused.text);
    }
    assert_eq!(w.app.count("objections").await, 0);
    let filed = object(
        &w,
        &notice,
        json!({"name": "张伟", "contact": "021-5555 0100", "text": "资质证书已到期"}),
    )
    .await;
    assert_eq!(filed.status.code, 201, "{}", filed.text);

    // Seven days on: the objection is still open, so nothing takes effect.
    w.travel_to("2026-03-09T10:00:01").await;
    let run = w
        .post(&w.admin, "/api/v1/admin/notice-runs", json!({}))
        .await;
    assert_eq!(run.body["effective"], 0, "{}", run.text);
    holds_at(&w, &voucher, &lab, "N-2")
        .await
        .assert_problem(422, "provider_not_admitted");
    // Too late to object now.
    object(
        &w,
        &notice,
        json!({"name": "李", "contact": "x", "text": "y"}),
    )
    .await
    .assert_problem(409, "invalid_state");
    // The regulator reads the objection (with the contact) and dismisses it:
    // the admission takes effect at once.
    let listed = w
        .get(&w.sh_regulator.token, "/api/v1/regions/SH/notices")
        .await;
    let filed = &listed.body[0]["filed"][0];
    assert_eq!(filed["contact"], "021-5555 0100", "{}", listed.text);
    let answer = format!(
        "/api/v1/objections/{}/answer",
        filed["id"].as_str().unwrap()
    );
    w.post(
        &w.sh_company.token,
        &answer,
        json!({"upheld": false, "note": "x"}),
    )
    .await
    .assert_problem(403, "forbidden");
    w.post(
        &w.jx_regulator.token,
        &answer,
        json!({"upheld": false, "note": "x"}),
    )
    .await
    .assert_problem(403, "forbidden");
    let dismissed = w
        .post(
            &w.sh_regulator.token,
            &answer,
            json!({"upheld": false, "note": "经核实，证书已续期至 2029 年"}),
        )
        .await;
    assert_eq!(dismissed.status.code, 200, "{}", dismissed.text);
    assert_eq!(dismissed.body["status"], "dismissed");
    w.post(
        &w.sh_regulator.token,
        &answer,
        json!({"upheld": true, "note": "再议"}),
    )
    .await
    .assert_problem(409, "invalid_state");
    let held = holds_at(&w, &voucher, &lab, "N-3").await;
    assert_eq!(held.status.code, 201, "{}", held.text);
    let public = w.app.send(Req::get("/api/v1/notices?region=SH")).await;
    let shown = public
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == notice["id"])
        .cloned()
        .unwrap();
    assert_eq!(
        (&shown["status"], &shown["objections"]),
        (&json!("effective"), &json!(1))
    );
    w.app.assert_invariants().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upheld_objection_withdraws_the_admission_and_silence_admits() {
    let mut w = World::new().await;
    let voucher = w
        .voucher(&w.sh_company, &w.sh_regulator, "SH", "10000.00")
        .await;
    let (objected, lab) = admitted_under_notice(&w, "上海甲检测中心").await;
    let (silent, quiet_lab) = admitted_under_notice(&w, "上海乙检测中心").await;
    let filed = object(
        &w,
        &objected,
        json!({"name": "王", "contact": "w@example.cn", "text": "与申请企业存在关联"}),
    )
    .await;
    let answer = format!(
        "/api/v1/objections/{}/answer",
        filed.body["id"].as_str().unwrap()
    );
    let upheld = w
        .post(
            &w.sh_regulator.token,
            &answer,
            json!({"upheld": true, "note": "关联属实"}),
        )
        .await;
    assert_eq!(upheld.status.code, 200, "{}", upheld.text);
    // Six days: nothing takes effect yet.
    w.travel_to("2026-03-08T10:00:00").await;
    let run = w
        .post(&w.admin, "/api/v1/admin/notice-runs", json!({}))
        .await;
    assert_eq!(run.body["effective"], 0, "{}", run.text);
    holds_at(&w, &voucher, &quiet_lab, "S-1")
        .await
        .assert_problem(422, "provider_not_admitted");
    // Past seven days: the silent one takes effect, the withdrawn one never.
    w.travel_to("2026-03-09T10:00:01").await;
    let run = w
        .post(&w.admin, "/api/v1/admin/notice-runs", json!({}))
        .await;
    assert_eq!(run.body["effective"], 1, "{}", run.text);
    assert_eq!(
        holds_at(&w, &voucher, &quiet_lab, "S-2").await.status.code,
        201
    );
    holds_at(&w, &voucher, &lab, "S-3")
        .await
        .assert_problem(422, "provider_not_admitted");
    let listed = w
        .get(&w.sh_regulator.token, "/api/v1/regions/SH/notices")
        .await;
    let status = |id: &Value| {
        listed
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == *id)
            .map(|n| n["status"].clone())
    };
    assert_eq!(status(&objected["id"]), Some(json!("withdrawn")));
    assert_eq!(status(&silent["id"]), Some(json!("effective")));
    // The audit trail: published, objected, answered, withdrawn, effective,
    // admitted — and no objector's contact.
    let events = w
        .get(&w.sh_regulator.token, "/api/v1/audit/events?limit=500")
        .await;
    let text = events.text.clone();
    for action in [
        "notice.publish",
        "notice.object",
        "notice.answer",
        "notice.withdraw",
        "notice.effective",
    ] {
        assert!(text.contains(action), "{action} missing");
    }
    assert!(
        !text.contains("w@example.cn"),
        "the contact is not in the trail"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_list_is_published_before_the_run_pays_it() {
    use crate::settlement::approved_account;
    let mut w = World::new().await;
    approved_account(&w, &w.sh_lab, "6222 0210 0112 3456 789", &w.sh_regulator).await;
    let voucher = w
        .voucher(&w.sh_company, &w.sh_regulator, "SH", "4000.00")
        .await;
    let held = holds_at(&w, &voucher, &w.sh_lab, "P-1").await;
    let held = held.body["id"].as_str().unwrap().to_owned();
    assert_eq!(w.complete(&w.sh_lab, &held, None).await.status.code, 200);
    let claim = w.claim(&w.sh_lab, &[&held], "INV-P-1").await;
    let claim = claim.body["id"].as_str().unwrap().to_owned();
    let approved = w.approve_claim(&w.sh_regulator, &claim).await;
    assert_eq!(approved.status.code, 200, "{}", approved.text);
    // Shanghai publishes its payment lists: a claim is not paid alone.
    let alone = w.pay_claim(&w.sh_regulator, &claim, "MANUAL-1").await;
    alone.assert_problem(409, "invalid_state");
    assert!(alone.text.contains("settlement run"), "{}", alone.text);

    // The quarter's run: frozen, approved by a second person — published.
    w.travel_to("2026-04-02T09:00:00").await;
    let maker = w.app.administrator(w.sh_regulator.id).await;
    let draft = w
        .post(
            &maker,
            "/api/v1/regions/SH/settlement-runs",
            json!({"period": "2026-Q1"}),
        )
        .await;
    assert_eq!(draft.status.code, 201, "{}", draft.text);
    let run = draft.body["id"].as_str().unwrap().to_owned();
    let step = |s: &str| format!("/api/v1/settlement-runs/{run}/{s}");
    assert_eq!(
        w.post(&maker, &step("freeze"), json!({})).await.status.code,
        200
    );
    let checker = w.app.second_person(w.sh_regulator.id).await;
    let approved = w.post(&checker, &step("approve"), json!({})).await;
    assert_eq!(approved.status.code, 200, "{}", approved.text);
    let public = w.app.send(Req::get("/api/v1/notices?region=SH")).await;
    let list = public
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "payments")
        .cloned()
        .unwrap_or_else(|| panic!("{}", public.text));
    assert_eq!(list["detail"]["total"], "100.00");
    assert_eq!(
        list["detail"]["items"][0]["provider_name"],
        "上海测试技术研究院"
    );
    // Not exported while under notice.
    let early = w.post(&maker, &step("export"), json!({})).await;
    early.assert_problem(409, "invalid_state");
    assert!(early.text.contains("public notice"), "{}", early.text);
    // Seven days on, with no objection: the export takes the notice into
    // effect and pays.
    w.travel_to("2026-04-09T09:00:01").await;
    let maker = w.app.administrator(w.sh_regulator.id).await;
    let exported = w.post(&maker, &step("export"), json!({})).await;
    assert_eq!(exported.status.code, 200, "{}", exported.text);
    assert_eq!(exported.body["status"], "exported");
    let public = w.app.send(Req::get("/api/v1/notices?region=SH")).await;
    assert!(public
        .body
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["kind"] == "payments" && n["status"] == "effective"));
    w.app.assert_invariants().await;
}
