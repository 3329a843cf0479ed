//! Four eyes on money out: a payment waits for a second person of the
//! regulator, who is not the one who asked; an API client can do neither;
//! of two people confirming at once, one pays; the policy says from which
//! amount.

use serde_json::json;

use crate::world::World;

/// An approved claim of 5,000.00 at the SH lab, from a JX voucher.
async fn approved_claim(w: &World, contract: &str) -> String {
    let voucher = w
        .voucher(&w.jx_company, &w.jx_regulator, "JX", "20000.00")
        .await;
    let held = w
        .hold(
            &w.jx_company,
            &voucher,
            &w.sh_lab,
            contract,
            "20000.00",
            "5000.00",
        )
        .await;
    let held = held.body["id"].as_str().unwrap().to_owned();
    w.complete(&w.sh_lab, &held, None).await;
    let claim = w
        .claim(&w.sh_lab, &[&held], &format!("INV-{contract}"))
        .await;
    let claim = claim.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        w.approve_claim(&w.jx_regulator, &claim).await.status.code,
        200
    );
    claim
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_takes_effect_only_when_a_second_person_confirms_it() {
    let w = World::new().await;
    let claim = approved_claim(&w, "FE-1").await;
    let pay = format!("/api/v1/claims/{claim}/pay");
    let body = json!({"bank_reference": "ICBC-FE-1"});
    let jx = w.jx_regulator.id;

    // An API client may not ask: two people must be on record.
    w.post(&w.jx_regulator.token, &pay, body.clone())
        .await
        .assert_problem(403, "forbidden");
    // A person asks: it waits, and asking again answers the same request.
    let maker = w.app.administrator(jx).await;
    let asked = w.post(&maker, &pay, body.clone()).await;
    assert_eq!(asked.status.code, 202, "{}", asked.text);
    let waiting = &asked.body["confirmation"];
    assert_eq!(waiting["status"], "pending");
    assert_eq!(waiting["amount"], "5000.00");
    let id = waiting["id"].as_str().unwrap().to_owned();
    let again = w
        .post(&maker, &pay, json!({"bank_reference": "OTHER"}))
        .await;
    assert_eq!(again.body["confirmation"]["id"], id.as_str());
    let claim_path = format!("/api/v1/claims/{claim}");
    let unpaid = w.app.get(&claim_path, &maker).await;
    assert_eq!(unpaid.body["status"], "approved", "nothing moved yet");

    // Not the maker, not another region's regulator, not an API client.
    let confirm = format!("/api/v1/confirmations/{id}/confirm");
    w.post(&maker, &confirm, json!({}))
        .await
        .assert_problem(403, "forbidden");
    w.post(&w.jx_regulator.token, &confirm, json!({}))
        .await
        .assert_problem(403, "forbidden");
    let sh_person = w.app.administrator(w.sh_regulator.id).await;
    w.post(&sh_person, &confirm, json!({}))
        .await
        .assert_problem(404, "not_found");
    let listed = w.app.get("/api/v1/confirmations", &maker).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1, "{}", listed.text);

    // Two other people confirm at once: one pays, the other finds it done.
    let checker = w.app.second_person(jx).await;
    let third = third_person(&w, jx).await;
    let (a, b) = tokio::join!(
        w.post(&checker, &confirm, json!({})),
        w.post(&third, &confirm, json!({}))
    );
    let mut codes = [a.status.code, b.status.code];
    codes.sort();
    assert_eq!(codes, [200, 409], "{} / {}", a.text, b.text);
    let done = if a.status.code == 200 { a } else { b };
    assert_eq!(done.body["confirmation"]["status"], "confirmed");
    assert_eq!(done.body["result"]["status"], "paid");
    assert_eq!(done.body["result"]["bank_reference"], "ICBC-FE-1");
    let paid = w.app.get(&claim_path, &maker).await;
    assert_eq!(paid.body["status"], "paid");
    // The audit trail names both people.
    let events = w
        .app
        .get("/api/v1/audit/events?region=JX&action=claim.pay", &maker)
        .await;
    let event = &events.body["items"][0];
    assert_eq!(
        event["payload"]["confirmation"]["requested_by"],
        waiting["requested_by"]
    );
    assert!(event["payload"]["confirmation"]["decided_by"].is_string());
    assert_ne!(
        event["payload"]["confirmation"]["decided_by"],
        event["payload"]["confirmation"]["requested_by"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_withdrawn_never_takes_effect() {
    let w = World::new().await;
    let claim = approved_claim(&w, "FE-2").await;
    let jx = w.jx_regulator.id;
    let maker = w.app.administrator(jx).await;
    let pay = format!("/api/v1/claims/{claim}/pay");
    let asked = w.post(&maker, &pay, json!({"bank_reference": "B"})).await;
    let id = asked.body["confirmation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let checker = w.app.second_person(jx).await;
    let withdrawn = w
        .post(
            &checker,
            &format!("/api/v1/confirmations/{id}/withdraw"),
            json!({}),
        )
        .await;
    assert_eq!(withdrawn.status.code, 200, "{}", withdrawn.text);
    assert_eq!(withdrawn.body["status"], "withdrawn");
    w.post(
        &checker,
        &format!("/api/v1/confirmations/{id}/confirm"),
        json!({}),
    )
    .await
    .assert_problem(409, "invalid_state");
    let claim = w.app.get(&format!("/api/v1/claims/{claim}"), &maker).await;
    assert_eq!(claim.body["status"], "approved");
    // It can be asked for again, afresh.
    let again = w.post(&maker, &pay, json!({"bank_reference": "B2"})).await;
    assert_eq!(again.status.code, 202);
    assert_ne!(again.body["confirmation"]["id"], id.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn below_the_policys_amount_one_person_pays() {
    let dir = tempfile::tempdir().unwrap();
    for file in ["sh.toml", "zj.toml", "jx.toml"] {
        let text = std::fs::read_to_string(format!("config/regions/{file}")).unwrap();
        let text = text.replace("from = \"0.00\"", "from = \"10000.00\"");
        std::fs::write(dir.path().join(file), text).unwrap();
    }
    let w = World::with_regions(&[dir.path().to_str().unwrap()]).await;
    let claim = approved_claim(&w, "FE-3").await;
    let pay = format!("/api/v1/claims/{claim}/pay");
    let paid = w
        .post(&w.jx_regulator.token, &pay, json!({"bank_reference": "B"}))
        .await;
    assert_eq!(
        paid.status.code, 200,
        "5,000.00 is below 10,000.00: {}",
        paid.text
    );
    assert_eq!(paid.body["status"], "paid");
}

/// A third administrator of organisation `id`, invited by the first.
async fn third_person(w: &World, id: uuid::Uuid) -> String {
    let admin = w.app.administrator(id).await;
    let path = format!("/api/v1/organizations/{id}/invitations");
    let invited = w.post(&admin, &path, json!({"administrator": true})).await;
    let token = invited.body["token"].as_str().unwrap();
    let login = w
        .app
        .join(token, "third.person", "correct horse battery")
        .await;
    w.app.person_token(&login, "correct horse battery").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_of_an_admission_waits_for_a_second_person() {
    let mut w = World::new().await;
    let sh = w.sh_regulator.id;
    let admissions = "/api/v1/regions/SH/admissions";
    let lab = w.sh_lab.id;
    let widen = json!({"provider_id": lab, "categories": ["testing", "rnd", "consulting"]});

    // Admitting again for the same categories changes nothing: no four eyes.
    let same = json!({"provider_id": lab, "categories": ["testing", "rnd"]});
    let again = w
        .post(&w.sh_regulator.token, admissions, same.clone())
        .await;
    assert_eq!(again.status.code, 200, "{}", again.text);
    // A change: an API client may not ask; a person asks and it waits.
    w.post(&w.sh_regulator.token, admissions, widen.clone())
        .await
        .assert_problem(403, "forbidden");
    let maker = w.app.administrator(sh).await;
    let asked = w.post(&maker, admissions, widen.clone()).await;
    assert_eq!(asked.status.code, 202, "{}", asked.text);
    let waiting = &asked.body["confirmation"];
    assert_eq!(waiting["action"], "provider.admit");
    assert_eq!(
        waiting["detail"]["categories"],
        json!(["testing", "rnd", "consulting"])
    );
    // Nothing changed yet: the same categories are still no change.
    let unchanged = w.post(&w.sh_regulator.token, admissions, same).await;
    assert_eq!(unchanged.status.code, 200, "{}", unchanged.text);

    // The maker cannot confirm; another person can, and then it holds.
    let id = waiting["id"].as_str().unwrap();
    let confirm = format!("/api/v1/confirmations/{id}/confirm");
    w.post(&maker, &confirm, json!({}))
        .await
        .assert_problem(403, "forbidden");
    let checker = w.app.second_person(sh).await;
    let confirmed = w.post(&checker, &confirm, json!({})).await;
    assert_eq!(confirmed.status.code, 200, "{}", confirmed.text);
    // Confirmed, the change is published for Shanghai's public notice.
    let notice = &confirmed.body["result"];
    assert_eq!(
        notice["detail"]["categories"],
        json!(["testing", "rnd", "consulting"]),
        "{}",
        confirmed.text
    );
    let events = w
        .get(
            &maker,
            "/api/v1/audit/events?region=SH&action=notice.publish",
        )
        .await;
    let items = events.body["items"].as_array().unwrap();
    let published = items
        .iter()
        .find(|e| e["payload"]["confirmation"].is_object())
        .expect("the confirmed change is recorded with its confirmation");
    assert_eq!(
        published["payload"]["confirmation"]["requested_by"],
        waiting["requested_by"]
    );
    // After the notice period, it holds.
    w.travel_to("2026-03-09T10:00:01").await;
    let run = w
        .post(&w.admin, "/api/v1/admin/notice-runs", json!({}))
        .await;
    assert_eq!(run.body["effective"], 1, "{}", run.text);
    let changed = w.post(&w.sh_regulator.token, admissions, widen).await;
    assert_eq!(
        changed.status.code, 200,
        "admitted for consulting now: {}",
        changed.text
    );
}
