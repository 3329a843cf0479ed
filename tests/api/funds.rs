//! Sub-funds: Yuhuan (玉环市) runs its own fund below Zhejiang's. Its
//! budget is appropriated apart; a voucher for a Yuhuan application is
//! issued from it, under its caps (20,000.00 a request, 100,000.00 a
//! company a year) as well as the province's, and pays contracts under
//! 10,000.00 in full. What it returns goes back to it; the province's
//! figures add it up.

use serde_json::{json, Value};

use crate::helpers::Answer;
use crate::world::{Org, World};

/// `company` applies to Zhejiang from `district` for `amount` (each time
/// for another purpose: an identical application waiting is refused).
async fn apply(w: &World, company: &Org, district: &str, amount: &str) -> Answer {
    let purpose = format!("检测服务 {}", uuid::Uuid::now_v7().simple());
    let body = json!({"region": "ZJ", "year": 2026, "amount": amount, "purpose": purpose,
        "declared": crate::world::eligible(), "district": district});
    w.post(&company.token, "/api/v1/applications", body).await
}

/// Applies from Yuhuan, has Yuhuan recommend in full and the province
/// approve (`amount`, if given): the province's answer.
async fn through_yuhuan(
    w: &World,
    yuhuan: &str,
    company: &Org,
    asked: &str,
    amount: Option<&str>,
) -> Answer {
    let applied = apply(w, company, "YH", asked).await;
    assert_eq!(applied.status.code, 201, "{}", applied.text);
    let id = applied.body["id"].as_str().unwrap().to_owned();
    let recommend = format!("/api/v1/applications/{id}/recommend");
    let recommended = w.post(yuhuan, &recommend, json!({})).await;
    assert_eq!(recommended.status.code, 200, "{}", recommended.text);
    let body = amount.map_or(json!({}), |a| json!({ "amount": a }));
    let approve = format!("/api/v1/applications/{id}/approve");
    w.post(&w.zj_regulator.token, &approve, body).await
}

fn fund(budget: &Value) -> &Value {
    &budget["funds"][0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_city_fund_issues_under_its_own_caps_and_share_and_adds_up_to_the_province() {
    let w = World::new().await;
    let (_, yuhuan) = w.app.district_regulator("ZJ", "YH").await;
    let zj = &w.zj_regulator;
    let budgets = "/api/v1/regions/ZJ/budgets";
    // Only a district that runs a fund takes an appropriation.
    for other in ["HZ", "XX"] {
        let refused = w
            .post(
                &zj.token,
                budgets,
                json!({"year": 2026, "amount": "1.00", "fund": other}),
            )
            .await;
        refused.assert_problem(422, "validation_failed");
        assert_eq!(
            refused.body["errors"][0]["field"], "fund",
            "{}",
            refused.text
        );
    }
    // Nothing appropriated to Yuhuan yet: its vouchers cannot be issued,
    // though the province has a budget.
    let early = through_yuhuan(&w, &yuhuan, &w.jx_company, "5000.00", None).await;
    early.assert_problem(422, "budget_exceeded");
    assert!(early.text.contains("YH"), "{}", early.text);
    let body = json!({"year": 2026, "amount": "30000.00", "fund": "YH"});
    let appropriated = w.post(&zj.token, budgets, body).await;
    assert_eq!(appropriated.status.code, 201, "{}", appropriated.text);
    assert_eq!(fund(&appropriated.body)["fund"], "YH");
    assert_eq!(fund(&appropriated.body)["unissued"], "30000.00");
    assert_eq!(appropriated.body["appropriated"], "1030000.00");
    assert_eq!(appropriated.body["unissued"], "1030000.00");

    // 20,000.00 a request, refused at submission with the fund's rule.
    let over = apply(&w, &w.jx_company, "YH", "20000.01").await;
    over.assert_problem(422, "annual_cap_exceeded");
    assert_eq!(over.body["rule"]["id"], "fund_request_cap", "{}", over.text);
    assert_eq!(over.body["rule"]["limit"], "20000.00");
    assert!(over.body["rule"]["source"]
        .as_str()
        .unwrap()
        .contains("玉环市科技创新券通知"));

    let first = through_yuhuan(&w, &yuhuan, &w.jx_company, "20000.00", None).await;
    assert_eq!(first.status.code, 201, "{}", first.text);
    assert_eq!(first.body["fund"], "YH");
    let budget = w.budget(zj, "ZJ").await;
    assert_eq!(fund(&budget)["issued"], "20000.00");
    assert_eq!(fund(&budget)["unissued"], "10000.00");
    assert_eq!(budget["issued"], "20000.00");
    assert_eq!(budget["unissued"], "1010000.00");
    // The fund, not the province, runs short.
    let short = through_yuhuan(&w, &yuhuan, &w.jx_company, "20000.00", None).await;
    short.assert_problem(422, "budget_exceeded");
    assert!(short.text.contains("fund"), "{}", short.text);
    w.app.assert_invariants().await;

    // 100,000.00 a company a year from the fund.
    let more = json!({"year": 2026, "amount": "200000.00", "fund": "YH"});
    assert_eq!(w.post(&zj.token, budgets, more).await.status.code, 201);
    for _ in 0..4 {
        let issued = through_yuhuan(&w, &yuhuan, &w.jx_company, "20000.00", None).await;
        assert_eq!(issued.status.code, 201, "{}", issued.text);
    }
    // Refused at submission, as the caps stand (approval checks again).
    let capped = apply(&w, &w.jx_company, "YH", "20000.00").await;
    capped.assert_problem(422, "annual_cap_exceeded");
    assert_eq!(
        capped.body["rule"]["id"], "fund_year_cap",
        "{}",
        capped.text
    );
    assert_eq!(capped.body["rule"]["used"], "100000.00");
    assert_eq!(capped.body["rule"]["allowed"], "0.00");
    // Another company (another controller) has its own 100,000.00.
    let other = through_yuhuan(&w, &yuhuan, &w.jx_company_2, "20000.00", None).await;
    assert_eq!(other.status.code, 201, "{}", other.text);

    // Contracts under 10,000.00 are paid in full; from 10,000.00 half.
    w.admit("ZJ", zj, w.jx_lab.id, &["testing"]).await;
    let voucher = &first.body;
    let full = w
        .hold(
            &w.jx_company,
            voucher,
            &w.jx_lab,
            "YH-1",
            "9999.99",
            "9999.99",
        )
        .await;
    assert_eq!(full.status.code, 201, "{}", full.text);
    let half = w
        .hold(
            &w.jx_company,
            voucher,
            &w.jx_lab,
            "YH-2",
            "10000.00",
            "5000.01",
        )
        .await;
    half.assert_problem(422, "share_exceeded");
    assert_eq!(half.body["rule"]["allowed"], "5000.00", "{}", half.text);
    // A province voucher (Hangzhou runs no fund) keeps the province's half.
    let province = w.voucher(&w.jx_company_2, zj, "ZJ", "10000.00").await;
    assert_eq!(province["fund"], Value::Null);
    let refused = w
        .hold(
            &w.jx_company_2,
            &province,
            &w.jx_lab,
            "HZ-1",
            "9999.99",
            "9999.99",
        )
        .await;
    refused.assert_problem(422, "share_exceeded");

    // A revocation returns what is left to the fund.
    let id = voucher["id"].as_str().unwrap();
    let revoked = w.revoke(zj, id, "企业注销").await;
    assert_eq!(revoked.status.code, 200, "{}", revoked.text);
    let budget = w.budget(zj, "ZJ").await;
    let yh = fund(&budget);
    assert_eq!(yh["returned"], "10000.01", "{}", budget);
    assert_eq!(yh["appropriated"], "230000.00");
    assert_eq!(yh["issued"], "120000.00");
    assert_eq!(yh["unissued"], "120000.01");
    assert_eq!(budget["returned"], "10000.01");
    assert_eq!(budget["issued"], "130000.00");
    w.app.assert_invariants().await;
}
