//! Providers' bank accounts: entered by the provider's administrator in
//! the provider's own name, with a 12-digit CNAPS code; approved by its
//! regulator under four eyes, or rejected with a reason; read by the
//! provider and by the regulators who pay it.

use serde_json::json;

use crate::world::World;

fn account(name: &str, cnaps: &str) -> serde_json::Value {
    json!({"account_name": name, "account_number": "6222 0210 0112 3456 789",
        "bank_name": "中国工商银行上海分行营业部", "cnaps_code": cnaps, "valid_from": "2026-03-01"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_providers_account_is_entered_in_its_name_and_approved_by_two_people_of_its_regulator() {
    let w = World::new().await;
    let lab = w.sh_lab.id;
    let path = format!("/api/v1/organizations/{lab}/bank-accounts");
    let admin = w.app.administrator(lab).await;

    // Not in the provider's name, or not a CNAPS code: refused, named.
    let refused = w
        .post(&admin, &path, account("上海某某有限公司", "102290000011"))
        .await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(refused.body["errors"][0]["field"], "account_name");
    assert!(
        refused.text.contains("上海测试技术研究院"),
        "{}",
        refused.text
    );
    let refused = w
        .post(&admin, &path, account("上海测试技术研究院", "1022900"))
        .await;
    assert_eq!(refused.body["errors"][0]["field"], "cnaps_code");
    // Nobody but the provider's administrator enters one: not its API
    // client, not its regulator.
    w.post(
        &w.sh_lab.token,
        &path,
        account("上海测试技术研究院", "102290000011"),
    )
    .await
    .assert_problem(403, "forbidden");
    w.post(
        &w.sh_regulator.token,
        &path,
        account("上海测试技术研究院", "102290000011"),
    )
    .await
    .assert_problem(403, "forbidden");

    // Entered (the name compared normalised, the number's spaces dropped).
    let entered = w
        .post(
            &admin,
            &path,
            account(" 上海测试技术研究院 ", "102290000011"),
        )
        .await;
    assert_eq!(entered.status.code, 201, "{}", entered.text);
    assert_eq!(entered.body["status"], "submitted");
    assert_eq!(entered.body["account_number"], "6222021001123456789");
    let id = entered.body["id"].as_str().unwrap().to_owned();
    // The regulators who pay the lab read it; another region's does not.
    for reader in [
        &w.sh_regulator.token,
        &w.jx_regulator.token,
        &w.sh_lab.token,
    ] {
        let listed = w.get(reader, &path).await;
        assert_eq!(listed.status.code, 200, "{}", listed.text);
        assert_eq!(listed.body[0]["id"], id.as_str());
    }
    w.get(&w.zj_regulator.token, &path)
        .await
        .assert_problem(404, "not_found");
    let queue = w.get(&w.sh_regulator.token, "/api/v1/bank-accounts").await;
    assert_eq!(queue.body.as_array().unwrap().len(), 1, "{}", queue.text);
    let queue = w.get(&w.jx_regulator.token, "/api/v1/bank-accounts").await;
    assert_eq!(
        queue.body.as_array().unwrap().len(),
        0,
        "JX pays, SH approves"
    );

    // Its regulator approves: one person asks, another confirms.
    let approve = format!("/api/v1/bank-accounts/{id}/approve");
    w.post(&w.sh_regulator.token, &approve, json!({}))
        .await
        .assert_problem(403, "forbidden");
    let jx_person = w.app.administrator(w.jx_regulator.id).await;
    w.post(&jx_person, &approve, json!({}))
        .await
        .assert_problem(404, "not_found");
    let maker = w.app.administrator(w.sh_regulator.id).await;
    let asked = w.post(&maker, &approve, json!({})).await;
    assert_eq!(asked.status.code, 202, "{}", asked.text);
    assert_eq!(asked.body["confirmation"]["action"], "payee.approve");
    let waiting = asked.body["confirmation"]["id"].as_str().unwrap();
    let confirm = format!("/api/v1/confirmations/{waiting}/confirm");
    w.post(&maker, &confirm, json!({}))
        .await
        .assert_problem(403, "forbidden");
    let checker = w.app.second_person(w.sh_regulator.id).await;
    let confirmed = w.post(&checker, &confirm, json!({})).await;
    assert_eq!(confirmed.status.code, 200, "{}", confirmed.text);
    assert_eq!(confirmed.body["result"]["status"], "approved");
    w.post(&maker, &approve, json!({}))
        .await
        .assert_problem(409, "invalid_state");

    // A second account, rejected with a reason: nothing is paid to it.
    let second = w
        .post(&admin, &path, account("上海测试技术研究院", "103290000019"))
        .await;
    let second = second.body["id"].as_str().unwrap().to_owned();
    let reject = format!("/api/v1/bank-accounts/{second}/reject");
    let rejected = w
        .post(
            &w.sh_regulator.token,
            &reject,
            json!({"reason": "行号与开户行不符"}),
        )
        .await;
    assert_eq!(rejected.status.code, 200, "{}", rejected.text);
    assert_eq!(rejected.body["status"], "rejected");
    assert_eq!(rejected.body["reason"], "行号与开户行不符");
    let listed = w.get(&w.sh_lab.token, &path).await;
    let statuses: Vec<&str> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["rejected", "approved"]);

    // The trail records who entered, asked and confirmed.
    let events = w
        .get(
            &maker,
            "/api/v1/audit/events?region=SH&action=payee.approve",
        )
        .await;
    let event = &events.body["items"][0];
    assert_eq!(event["payload"]["status"], "approved");
    assert!(event["payload"]["confirmation"]["decided_by"].is_string());
}
