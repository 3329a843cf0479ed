//! Settlement runs: a period's approved claims paid in one run — drafted,
//! frozen by one person, approved by another, exported as an ISO 20022
//! pain.001.001.09 file (valid against the official XSD) and a bulk-payment
//! sheet whose SHA-256 the audit trail records; the money in transit;
//! claims in a run decided by nothing else; cancelled before export.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::{count_status, new_key, Post};
use crate::iso20022;
use crate::world::{Org, World};

/// The provider's bank account, entered by its administrator and approved
/// by two people of its region's regulator.
pub async fn approved_account(w: &World, provider: &Org, number: &str, regulator: &Org) -> String {
    let admin = w.app.administrator(provider.id).await;
    let entered = w
        .post(
            &admin,
            &format!("/api/v1/organizations/{}/bank-accounts", provider.id),
            json!({"account_name": "上海测试技术研究院", "account_number": number,
                "bank_name": "中国工商银行上海分行营业部", "cnaps_code": "102290000011",
                "valid_from": "2026-01-01"}),
        )
        .await;
    assert_eq!(entered.status.code, 201, "{}", entered.text);
    let id = entered.body["id"].as_str().unwrap().to_owned();
    let maker = w.app.administrator(regulator.id).await;
    let asked = w
        .post(
            &maker,
            &format!("/api/v1/bank-accounts/{id}/approve"),
            json!({}),
        )
        .await;
    let waiting = asked.body["confirmation"]["id"].as_str().unwrap();
    let checker = w.app.second_person(regulator.id).await;
    let confirmed = w
        .post(
            &checker,
            &format!("/api/v1/confirmations/{waiting}/confirm"),
            json!({}),
        )
        .await;
    assert_eq!(confirmed.status.code, 200, "{}", confirmed.text);
    id
}

/// A JX claim of `amount` at `provider`, approved by the JX regulator.
pub async fn approved_claim(w: &World, provider: &Org, contract: &str, amount: &str) -> String {
    let voucher = w
        .voucher(&w.jx_company, &w.jx_regulator, "JX", amount)
        .await;
    let double = format!(
        "{}.00",
        amount.trim_end_matches(".00").parse::<i64>().unwrap() * 2
    );
    let held = w
        .hold(&w.jx_company, &voucher, provider, contract, &double, amount)
        .await;
    assert_eq!(held.status.code, 201, "{}", held.text);
    let held = held.body["id"].as_str().unwrap().to_owned();
    assert_eq!(w.complete(provider, &held, None).await.status.code, 200);
    let claim = w
        .claim(provider, &[&held], &format!("INV-{contract}"))
        .await;
    assert_eq!(claim.status.code, 201, "{}", claim.text);
    let claim = claim.body["id"].as_str().unwrap().to_owned();
    let approved = w.approve_claim(&w.jx_regulator, &claim).await;
    assert_eq!(approved.status.code, 200, "{}", approved.text);
    claim
}

fn id_of(answer: &Value) -> String {
    answer["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_periods_claims_are_frozen_approved_by_a_second_person_and_exported_to_the_bank() {
    let mut w = World::new().await;
    approved_account(&w, &w.sh_lab, "6222 0210 0112 3456 789", &w.sh_regulator).await;
    // March: two claims at the SH lab (it has an account), one at the JX
    // lab (it has none).
    let first = approved_claim(&w, &w.sh_lab, "C-1", "3000.00").await;
    let second = approved_claim(&w, &w.sh_lab, "C-2", "2000.00").await;
    approved_claim(&w, &w.jx_lab, "C-3", "1000.00").await;
    let runs = "/api/v1/regions/JX/settlement-runs";
    let maker = w.app.administrator(w.jx_regulator.id).await;

    // March has not ended; a quarter is not JX's (monthly) cycle.
    w.post(&maker, runs, json!({"period": "2026-03"}))
        .await
        .assert_problem(422, "validation_failed");
    w.travel_to("2026-04-02T09:00:00").await;
    let maker = w.app.administrator(w.jx_regulator.id).await;
    let quarter = w.post(&maker, runs, json!({"period": "2026-Q1"})).await;
    quarter.assert_problem(422, "validation_failed");
    assert!(quarter.text.contains("monthly"), "{}", quarter.text);
    // Only JX's regulator settles JX.
    w.post(&w.sh_regulator.token, runs, json!({"period": "2026-03"}))
        .await
        .assert_problem(403, "forbidden");
    // April: a claim approved after the cut-off is not March's.
    approved_claim(&w, &w.sh_lab, "C-4", "500.00").await;

    let draft = w.post(&maker, runs, json!({"period": "2026-03"})).await;
    assert_eq!(draft.status.code, 201, "{}", draft.text);
    assert_eq!(draft.body["status"], "draft");
    assert_eq!(draft.body["cut_off"], "2026-03-31T16:00:00Z");
    let preview = draft.body["preview"].as_array().unwrap();
    assert_eq!(preview.len(), 2, "{}", draft.text);
    let lab = preview
        .iter()
        .find(|p| p["provider_id"] == w.sh_lab.id.to_string())
        .unwrap();
    assert_eq!(lab["amount"], "5000.00");
    assert_eq!(lab["claim_count"], 2);
    let run = id_of(&draft.body);
    w.post(&maker, runs, json!({"period": "2026-03"}))
        .await
        .assert_problem(409, "conflict");

    // Frozen by a person (not an API client): the lab's two claims locked
    // in one item, the JX lab held back for want of an account.
    let freeze = format!("/api/v1/settlement-runs/{run}/freeze");
    w.post(&w.jx_regulator.token, &freeze, json!({}))
        .await
        .assert_problem(403, "forbidden");
    let frozen = w.post(&maker, &freeze, json!({})).await;
    assert_eq!(frozen.status.code, 200, "{}", frozen.text);
    assert_eq!(frozen.body["status"], "frozen");
    assert_eq!(frozen.body["item_count"], 1);
    assert_eq!(frozen.body["claim_count"], 2);
    assert_eq!(frozen.body["total"], "5000.00");
    assert_eq!(
        frozen.body["items"][0]["account_number"],
        "6222021001123456789"
    );
    assert_eq!(frozen.body["items"][0]["status"], "included");
    assert_eq!(
        frozen.body["held_back"][0]["provider_id"],
        w.jx_lab.id.to_string()
    );
    assert_eq!(frozen.body["held_back"][0]["amount"], "1000.00");
    assert_eq!(
        frozen.body["budget_lines"],
        json!([{"year": 2026, "amount": "5000.00"}])
    );
    w.post(&maker, &freeze, json!({}))
        .await
        .assert_problem(409, "invalid_state");

    // A claim in the run is decided by nothing else.
    let pay = w.pay_claim(&w.jx_regulator, &first, "MANUAL-1").await;
    pay.assert_problem(409, "invalid_state");
    assert!(pay.text.contains("settlement run"), "{}", pay.text);
    w.post(
        &w.jx_regulator.token,
        &format!("/api/v1/claims/{second}/reject"),
        json!({"reason": "no"}),
    )
    .await
    .assert_problem(409, "invalid_state");

    // Approved by another person than the one who froze it.
    let approve = format!("/api/v1/settlement-runs/{run}/approve");
    w.post(&maker, &approve, json!({}))
        .await
        .assert_problem(403, "forbidden");
    let checker = w.app.second_person(w.jx_regulator.id).await;
    let approved = w.post(&checker, &approve, json!({})).await;
    assert_eq!(approved.status.code, 200, "{}", approved.text);
    assert_eq!(approved.body["status"], "approved");

    // Exported: two files, the item sent, the money in transit.
    let export = format!("/api/v1/settlement-runs/{run}/export");
    let exported = w.post(&w.jx_regulator.token, &export, json!({})).await;
    assert_eq!(exported.status.code, 200, "{}", exported.text);
    assert_eq!(exported.body["status"], "exported");
    assert_eq!(exported.body["items"][0]["status"], "sent");
    let files = exported.body["files"].as_array().unwrap().clone();
    let formats: Vec<&str> = files
        .iter()
        .map(|f| f["format"].as_str().unwrap())
        .collect();
    assert_eq!(formats, ["pain.001.001.09", "payments.csv"]);
    w.post(&w.jx_regulator.token, &export, json!({}))
        .await
        .assert_problem(409, "invalid_state");
    w.post(
        &w.jx_regulator.token,
        &format!("/api/v1/settlement-runs/{run}/cancel"),
        json!({"reason": "too late"}),
    )
    .await
    .assert_problem(409, "invalid_state");

    // The files, byte for byte as the audit trail hashed them.
    let events = w
        .get(
            &maker,
            "/api/v1/audit/events?region=JX&action=settlement.export",
        )
        .await;
    let recorded = &events.body["items"][0]["payload"]["files"];
    for (file, hashed) in files.iter().zip(recorded.as_array().unwrap()) {
        let got = w
            .get(&maker, &format!("/api/v1/bank-files/{}", id_of(file)))
            .await;
        assert_eq!(got.status.code, 200, "{}", got.text);
        let sha = hex::encode(Sha256::digest(got.text.as_bytes()));
        assert_eq!(hashed["sha256"], sha.as_str());
        assert_eq!(got.header("X-Content-SHA256"), Some(sha.as_str()));
    }
    let pain = w
        .get(&maker, &format!("/api/v1/bank-files/{}", id_of(&files[0])))
        .await;
    let item = id_of(&exported.body["items"][0]).replace('-', "");
    assert!(pain
        .text
        .contains(&format!("<EndToEndId>{item}</EndToEndId>")));
    assert_eq!(pain.text.matches("<CtrlSum>5000.00</CtrlSum>").count(), 2);
    assert!(pain
        .text
        .contains("<InstdAmt Ccy=\"CNY\">5000.00</InstdAmt>"));
    assert!(pain.text.contains("<MmbId>102290000011</MmbId>"));
    iso20022::assert_valid("pain.001.001.09", &pain.text);
    let sheet = w
        .get(&maker, &format!("/api/v1/bank-files/{}", id_of(&files[1])))
        .await;
    assert!(sheet.text.starts_with('\u{feff}'), "a BOM for Excel");
    assert!(sheet.text.contains(",5000.00,"), "{}", sheet.text);
    // Another region's regulator sees neither run nor file.
    w.get(
        &w.sh_regulator.token,
        &format!("/api/v1/settlement-runs/{run}"),
    )
    .await
    .assert_problem(404, "not_found");
    w.get(
        &w.sh_regulator.token,
        &format!("/api/v1/bank-files/{}", id_of(&files[0])),
    )
    .await
    .assert_problem(404, "not_found");
    // The claims wait for the bank: approved, not paid.
    let claim = w
        .get(&w.jx_regulator.token, &format!("/api/v1/claims/{first}"))
        .await;
    assert_eq!(claim.body["status"], "approved");
    let listed = w.get(&maker, runs).await;
    assert_eq!(listed.body[0]["status"], "exported", "{}", listed.text);
    w.app.assert_invariants().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_cancelled_before_export_leaves_its_claims_payable_and_its_period_free() {
    let mut w = World::new().await;
    approved_account(&w, &w.sh_lab, "6222 0210 0112 3456 789", &w.sh_regulator).await;
    let claim = approved_claim(&w, &w.sh_lab, "C-9", "4000.00").await;
    w.travel_to("2026-04-01T00:00:00").await;
    let maker = w.app.administrator(w.jx_regulator.id).await;
    let runs = "/api/v1/regions/JX/settlement-runs";
    let run = id_of(
        &w.post(&maker, runs, json!({"period": "2026-03"}))
            .await
            .body,
    );
    let frozen = w
        .post(
            &maker,
            &format!("/api/v1/settlement-runs/{run}/freeze"),
            json!({}),
        )
        .await;
    assert_eq!(frozen.body["total"], "4000.00", "{}", frozen.text);
    let cancel = format!("/api/v1/settlement-runs/{run}/cancel");
    w.post(&maker, &cancel, json!({"reason": " "}))
        .await
        .assert_problem(422, "validation_failed");
    let cancelled = w
        .post(&maker, &cancel, json!({"reason": "开户行行号有误"}))
        .await;
    assert_eq!(cancelled.status.code, 200, "{}", cancelled.text);
    assert_eq!(cancelled.body["status"], "cancelled");
    assert_eq!(cancelled.body["items"][0]["status"], "cancelled");
    w.post(
        &maker,
        &format!("/api/v1/settlement-runs/{run}/approve"),
        json!({}),
    )
    .await
    .assert_problem(409, "invalid_state");
    // The period is free for a new run, and the claim is in it again.
    let again = w.post(&maker, runs, json!({"period": "2026-03"})).await;
    assert_eq!(again.status.code, 201, "{}", again.text);
    assert_eq!(again.body["preview"][0]["amount"], "4000.00");
    // Or it is paid on its own, outside any run.
    let paid = w.pay_claim(&w.jx_regulator, &claim, "MANUAL-9").await;
    assert_eq!(paid.status.code, 200, "{}", paid.text);
    assert_eq!(paid.body["status"], "paid");
    // Recorded as a closed run of one payment in the period it falls in.
    let listed = w.get(&maker, runs).await;
    let manual = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["status"] == "closed")
        .cloned()
        .unwrap_or_else(|| panic!("no closed run in {}", listed.text));
    assert_eq!(manual["period"], "2026-04");
    assert_eq!(manual["total"], "4000.00");
    let manual = w
        .get(
            &maker,
            &format!("/api/v1/settlement-runs/{}", id_of(&manual)),
        )
        .await;
    assert_eq!(manual.body["items"][0]["bank_reference"], "MANUAL-9");
    assert_eq!(manual.body["items"][0]["status"], "settled");
    assert_eq!(
        manual.body["items"][0]["account_number"],
        "6222021001123456789"
    );
    w.app.assert_invariants().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_runs_started_at_once_for_one_period_one_is_made() {
    let mut w = World::new().await;
    w.travel_to("2026-04-01T00:00:00").await;
    let posts = (0..4)
        .map(|_| Post {
            token: w.jx_regulator.token.clone(),
            path: "/api/v1/regions/JX/settlement-runs".into(),
            key: new_key(),
            body: json!({"period": "2026-03"}),
        })
        .collect();
    let answers = w.app.race(posts).await;
    assert_eq!(count_status(&answers, 201), 1, "{answers:#?}");
    assert_eq!(count_status(&answers, 409), 3, "{answers:#?}");
    // Freezing with nothing to pay is refused, and changes nothing.
    let run = answers.iter().find(|a| a.status.code == 201).unwrap();
    let maker = w.app.administrator(w.jx_regulator.id).await;
    w.post(
        &maker,
        &format!("/api/v1/settlement-runs/{}/freeze", id_of(&run.body)),
        json!({}),
    )
    .await
    .assert_problem(409, "invalid_state");
}
