//! Two-level review as policy data: in Zhejiang an application is reviewed
//! first by the regulator of the company's city (it may reduce or reject,
//! with a reason), then by the province, which issues the voucher. A
//! city's regulator does nothing else.

use serde_json::{json, Value};

use crate::helpers::Answer;
use crate::world::{Org, World};

/// `company` applies to Zhejiang for 30,000.00 with `district`.
async fn apply(w: &World, company: &Org, district: Value) -> Answer {
    let body = json!({"region": "ZJ", "year": 2026, "amount": "30000.00", "purpose": "中试检测",
        "declared": crate::world::eligible(), "district": district});
    w.post(&company.token, "/api/v1/applications", body).await
}

fn field(answer: &Answer) -> &str {
    answer.body["errors"][0]["field"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_city_recommends_first_and_the_province_issues_what_it_recommended() {
    let w = World::new().await;
    // The company must name its city, one of the programme's.
    for district in [Value::Null, json!("XX"), json!("hz")] {
        let refused = apply(&w, &w.jx_company, district).await;
        refused.assert_problem(422, "validation_failed");
        assert_eq!(field(&refused), "district", "{}", refused.text);
    }
    let submitted = apply(&w, &w.jx_company, json!("HZ")).await;
    assert_eq!(submitted.status.code, 201, "{}", submitted.text);
    assert_eq!(submitted.body["level"], "district");
    assert_eq!(submitted.body["district"], "HZ");
    let id = submitted.body["id"].as_str().unwrap().to_owned();
    let path = |action: &str| format!("/api/v1/applications/{id}/{action}");

    // The province waits for the city.
    w.post(&w.zj_regulator.token, &path("approve"), json!({}))
        .await
        .assert_problem(409, "invalid_state");
    w.post(&w.zj_regulator.token, &path("recommend"), json!({}))
        .await
        .assert_problem(403, "forbidden");
    // Another city neither sees nor reviews it.
    let (_, ningbo) = w.app.district_regulator("ZJ", "NB").await;
    w.post(&ningbo, &path("recommend"), json!({}))
        .await
        .assert_problem(404, "not_found");
    w.get(&ningbo, &format!("/api/v1/applications/{id}"))
        .await
        .assert_problem(404, "not_found");
    let listed = w.get(&ningbo, "/api/v1/applications").await;
    assert_eq!(listed.body["items"], json!([]), "{}", listed.text);
    // Hangzhou sees its own, and does nothing region-wide.
    let hz = &w.zj_hangzhou.token;
    let listed = w.get(hz, "/api/v1/applications").await;
    assert_eq!(
        listed.body["items"][0]["id"],
        id.as_str(),
        "{}",
        listed.text
    );
    w.post(hz, &path("approve"), json!({}))
        .await
        .assert_problem(403, "forbidden");
    for read in [
        "/api/v1/vouchers",
        "/api/v1/claims",
        "/api/v1/regions/ZJ/budgets/2026",
        "/api/v1/audit/events?region=ZJ",
        "/api/v1/confirmations",
    ] {
        let answer = w.get(hz, read).await;
        assert!(
            matches!(answer.status.code, 403 | 404),
            "{read}: {}",
            answer.text
        );
    }
    let admit = json!({"provider_id": w.jx_lab.id, "categories": ["testing"]});
    w.post(hz, "/api/v1/regions/ZJ/admissions", admit)
        .await
        .assert_problem(403, "forbidden");
    // Nor the bank accounts of a provider its region admits.
    w.admit("ZJ", &w.zj_regulator, w.jx_lab.id, &["testing"])
        .await;
    let accounts = format!("/api/v1/organizations/{}/bank-accounts", w.jx_lab.id);
    assert_eq!(
        w.get(&w.zj_regulator.token, &accounts).await.status.code,
        200
    );
    let refused = w.get(hz, &accounts).await;
    assert!(matches!(refused.status.code, 403 | 404), "{}", refused.text);
    let budget = json!({"year": 2026, "amount": "1.00"});
    w.post(hz, "/api/v1/regions/ZJ/budgets", budget)
        .await
        .assert_problem(403, "forbidden");

    // Reducing needs a reason; more than requested is refused.
    let less = w
        .post(hz, &path("recommend"), json!({"amount": "20000.00"}))
        .await;
    less.assert_problem(422, "validation_failed");
    assert_eq!(field(&less), "reason");
    let more = w
        .post(hz, &path("recommend"), json!({"amount": "30000.01"}))
        .await;
    assert_eq!(field(&more), "amount", "{}", more.text);
    let body = json!({"amount": "20000.00", "reason": "检测项目中两项不属于资助范围"});
    let recommended = w.post(hz, &path("recommend"), body).await;
    assert_eq!(recommended.status.code, 200, "{}", recommended.text);
    assert_eq!(recommended.body["level"], "region");
    assert_eq!(recommended.body["recommended"], "20000.00");
    assert_eq!(
        recommended.body["review_reason"],
        "检测项目中两项不属于资助范围"
    );
    assert!(recommended.body["reviewed_at"].is_string());
    // Once.
    w.post(hz, &path("recommend"), json!({}))
        .await
        .assert_problem(409, "invalid_state");
    w.post(hz, &path("reject"), json!({"reason": "迟到的驳回"}))
        .await
        .assert_problem(409, "invalid_state");
    // The province issues at most what the city recommended.
    let above = w
        .post(
            &w.zj_regulator.token,
            &path("approve"),
            json!({"amount": "25000.00"}),
        )
        .await;
    assert_eq!(field(&above), "amount", "{}", above.text);
    let voucher = w
        .post(&w.zj_regulator.token, &path("approve"), json!({}))
        .await;
    assert_eq!(voucher.status.code, 201, "{}", voucher.text);
    assert_eq!(voucher.body["face_value"], "20000.00");
    // The company sees the review on its application.
    let own = w
        .get(&w.jx_company.token, &format!("/api/v1/applications/{id}"))
        .await;
    assert_eq!(own.body["status"], "approved");
    assert_eq!(own.body["recommended"], "20000.00");
    // The recommendation is in Zhejiang's audit trail.
    let events = w
        .get(
            &w.zj_regulator.token,
            "/api/v1/audit/events?region=ZJ&action=application.recommend",
        )
        .await;
    assert_eq!(events.status.code, 200, "{}", events.text);
    assert_eq!(
        events.body["items"].as_array().map(Vec::len),
        Some(1),
        "{}",
        events.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_city_may_reject_and_then_nothing_is_left_to_decide() {
    let w = World::new().await;
    let submitted = apply(&w, &w.jx_company, json!("HZ")).await;
    let id = submitted.body["id"].as_str().unwrap().to_owned();
    let reject = format!("/api/v1/applications/{id}/reject");
    w.post(&w.zj_hangzhou.token, &reject, json!({"reason": " "}))
        .await
        .assert_problem(422, "validation_failed");
    let rejected = w
        .post(
            &w.zj_hangzhou.token,
            &reject,
            json!({"reason": "企业注册地不在杭州市"}),
        )
        .await;
    assert_eq!(rejected.status.code, 200, "{}", rejected.text);
    assert_eq!(rejected.body["status"], "rejected");
    assert_eq!(rejected.body["level"], "district");
    w.post(
        &w.zj_regulator.token,
        &format!("/api/v1/applications/{id}/approve"),
        json!({}),
    )
    .await
    .assert_problem(409, "invalid_state");
    // A one-level programme (Shanghai) has no city to name, and its
    // regulator decides at once.
    let sh = json!({"region": "SH", "year": 2026, "amount": "1000.00", "purpose": "检测",
        "declared": crate::world::eligible(), "district": "HZ"});
    let refused = w
        .post(&w.sh_company.token, "/api/v1/applications", sh)
        .await;
    assert_eq!(field(&refused), "district", "{}", refused.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_regulator_of_a_known_district_is_registered_as_one() {
    let w = World::new().await;
    let register = |body: Value| w.post(&w.admin, "/api/v1/organizations", body);
    for (body, why) in [
        (
            json!({"kind": "regulator", "name": "某区", "region": "ZJ", "district": "XX"}),
            "unknown district",
        ),
        (
            json!({"kind": "regulator", "name": "浦东", "region": "SH", "district": "PD"}),
            "a region without districts",
        ),
        (
            json!({"kind": "regulator", "name": "bad", "region": "ZJ", "district": "h z"}),
            "malformed",
        ),
    ] {
        let answer = register(body).await;
        answer.assert_problem(422, "validation_failed");
        assert_eq!(field(&answer), "district", "{why}: {}", answer.text);
    }
    let mut company = crate::helpers::company("ZJ");
    company["district"] = json!("HZ");
    let answer = w
        .post(&w.zj_regulator.token, "/api/v1/organizations", company)
        .await;
    assert_eq!(field(&answer), "district", "{}", answer.text);
    let ok = register(
        json!({"kind": "regulator", "name": "玉环市科技局", "region": "ZJ",
        "district": "YH"}),
    )
    .await;
    assert_eq!(ok.status.code, 201, "{}", ok.text);
    assert_eq!(ok.body["district"], "YH");
}
