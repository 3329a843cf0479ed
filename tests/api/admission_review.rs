//! A provider's admission at two levels: in Zhejiang a provider registered
//! with a city asks for admission with its self-evaluation; the city's
//! regulator recommends it (for fewer categories, with a reason) or
//! rejects it; the province admits at most what was recommended. The
//! province cannot admit such a provider around its city. Where there is
//! one level, or the provider has no district, the region reviews alone.

use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{credit_code, Answer};
use crate::world::World;

const STATEMENT: &str = "CMA 认证检测机构，专职检测人员 35 名，大型仪器 120 台，近三年无失信记录";

fn field(answer: &Answer) -> &str {
    answer.body["errors"][0]["field"]
        .as_str()
        .unwrap_or_default()
}

/// A provider of Zhejiang registered with `district` (or none).
async fn zj_provider(w: &World, district: Value) -> (Uuid, String) {
    let body = json!({"kind": "provider", "name": "杭州精测检测技术有限公司", "region": "ZJ",
        "credit_code": credit_code(), "district": district});
    w.app.register(&w.zj_regulator.token, body).await
}

async fn ask(w: &World, token: &str, region: &str, categories: Value) -> Answer {
    let path = format!("/api/v1/regions/{region}/admission-requests");
    let body = json!({"categories": categories, "statement": STATEMENT});
    w.post(token, &path, body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_city_recommends_a_provider_and_the_province_admits_what_it_recommended() {
    let w = World::new().await;
    let (lab, lab_token) = zj_provider(&w, json!("HZ")).await;
    let (zj, hz) = (&w.zj_regulator.token, &w.zj_hangzhou.token);

    // The province cannot admit it around its city.
    let direct = json!({"provider_id": lab, "categories": ["testing"]});
    let around = w.post(zj, "/api/v1/regions/ZJ/admissions", direct).await;
    around.assert_problem(409, "invalid_state");
    assert!(
        around.text.contains("admission-requests"),
        "{}",
        around.text
    );

    // What the provider asks is checked before anyone reviews it.
    let path = "/api/v1/regions/ZJ/admission-requests";
    for (body, expected) in [
        (
            json!({"categories": ["testing"], "statement": "  "}),
            "statement",
        ),
        (
            json!({"categories": ["testing"], "statement": "a\u{202e}b"}),
            "statement",
        ),
        (
            json!({"categories": [], "statement": STATEMENT}),
            "categories",
        ),
        (
            json!({"categories": ["welding"], "statement": STATEMENT}),
            "categories[0]",
        ),
    ] {
        let refused = w.post(&lab_token, path, body).await;
        refused.assert_problem(422, "validation_failed");
        assert_eq!(field(&refused), expected, "{}", refused.text);
    }
    ask(&w, &lab_token, "ZJ", json!(["ip"]))
        .await
        .assert_problem(422, "category_not_eligible");
    ask(&w, &w.jx_company.token, "ZJ", json!(["testing"]))
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(w.app.count("admission_requests").await, 0);

    let asked = ask(&w, &lab_token, "ZJ", json!(["testing", "rnd"])).await;
    assert_eq!(asked.status.code, 201, "{}", asked.text);
    assert_eq!(asked.body["level"], "district");
    assert_eq!(asked.body["district"], "HZ");
    assert_eq!(asked.body["status"], "pending");
    assert_eq!(asked.body["statement"], STATEMENT);
    let id = asked.body["id"].as_str().unwrap().to_owned();
    let at = |action: &str| format!("/api/v1/admission-requests/{id}/{action}");
    // One pending request per programme.
    ask(&w, &lab_token, "ZJ", json!(["tech_transfer"]))
        .await
        .assert_problem(409, "invalid_state");

    // The province waits for the city; only a city recommends.
    w.post(zj, &at("admit"), json!({}))
        .await
        .assert_problem(409, "invalid_state");
    w.post(zj, &at("reject"), json!({"reason": "越级"}))
        .await
        .assert_problem(409, "invalid_state");
    w.post(zj, &at("recommend"), json!({}))
        .await
        .assert_problem(403, "forbidden");
    // Another city neither sees nor reviews it; other providers do not see it.
    let (_, ningbo) = w.app.district_regulator("ZJ", "NB").await;
    w.post(&ningbo, &at("recommend"), json!({}))
        .await
        .assert_problem(404, "not_found");
    let listed = w.get(&ningbo, "/api/v1/admission-requests").await;
    assert_eq!(listed.body["items"], json!([]), "{}", listed.text);
    let listed = w.get(&w.jx_lab.token, "/api/v1/admission-requests").await;
    assert_eq!(listed.body["items"], json!([]), "{}", listed.text);
    w.get(&w.jx_lab.token, &format!("/api/v1/admission-requests/{id}"))
        .await
        .assert_problem(404, "not_found");

    // Hangzhou sees it and recommends one category, with a reason.
    let listed = w.get(hz, "/api/v1/admission-requests").await;
    assert_eq!(
        listed.body["items"][0]["id"],
        id.as_str(),
        "{}",
        listed.text
    );
    let fewer = w
        .post(hz, &at("recommend"), json!({"categories": ["testing"]}))
        .await;
    fewer.assert_problem(422, "validation_failed");
    assert_eq!(field(&fewer), "reason");
    let other = w
        .post(
            hz,
            &at("recommend"),
            json!({"categories": ["testing", "ip"]}),
        )
        .await;
    assert_eq!(field(&other), "categories[1]", "{}", other.text);
    w.post(hz, &at("admit"), json!({}))
        .await
        .assert_problem(403, "forbidden");
    let body = json!({"categories": ["testing"], "reason": "研发服务无相应资质证明"});
    let recommended = w.post(hz, &at("recommend"), body).await;
    assert_eq!(recommended.status.code, 200, "{}", recommended.text);
    assert_eq!(recommended.body["level"], "region");
    assert_eq!(recommended.body["recommended"], json!(["testing"]));
    assert_eq!(recommended.body["review_reason"], "研发服务无相应资质证明");
    assert!(recommended.body["reviewed_at"].is_string());
    w.post(hz, &at("recommend"), json!({}))
        .await
        .assert_problem(409, "invalid_state");
    w.post(hz, &at("reject"), json!({"reason": "迟到的驳回"}))
        .await
        .assert_problem(409, "invalid_state");

    // The province admits at most what the city recommended, directly too.
    let direct = json!({"provider_id": lab, "categories": ["testing", "rnd"]});
    w.post(zj, "/api/v1/regions/ZJ/admissions", direct)
        .await
        .assert_problem(409, "invalid_state");
    let above = w
        .post(zj, &at("admit"), json!({"categories": ["rnd"]}))
        .await;
    above.assert_problem(422, "validation_failed");
    assert_eq!(field(&above), "categories[0]");
    let admitted = w.post(zj, &at("admit"), json!({})).await;
    assert_eq!(admitted.status.code, 200, "{}", admitted.text);
    assert_eq!(admitted.body["request"]["status"], "admitted");
    assert_eq!(admitted.body["request"]["admitted"], json!(["testing"]));
    assert_eq!(admitted.body["admission"]["categories"], json!(["testing"]));
    w.post(zj, &at("admit"), json!({}))
        .await
        .assert_problem(409, "invalid_state");
    let read = w
        .get(&lab_token, &format!("/api/v1/admission-requests/{id}"))
        .await;
    assert_eq!(read.body["status"], "admitted", "{}", read.text);

    // Each step is in the province's audit trail.
    for action in [
        "admission_request.submit",
        "admission_request.recommend",
        "admission_request.admit",
        "provider.admit",
    ] {
        let events = w
            .get(
                zj,
                &format!("/api/v1/audit/events?region=ZJ&action={action}"),
            )
            .await;
        assert_eq!(
            events.body["items"].as_array().map(Vec::len),
            Some(1),
            "{action}: {}",
            events.text
        );
    }

    // Asked again for research, the city rejects it with a reason.
    let again = ask(&w, &lab_token, "ZJ", json!(["testing", "rnd"])).await;
    assert_eq!(again.status.code, 201, "{}", again.text);
    let again = again.body["id"].as_str().unwrap().to_owned();
    let reject = format!("/api/v1/admission-requests/{again}/reject");
    w.post(hz, &reject, json!({"reason": ""}))
        .await
        .assert_problem(422, "validation_failed");
    let rejected = w
        .post(hz, &reject, json!({"reason": "研发服务无相应资质证明"}))
        .await;
    assert_eq!(rejected.status.code, 200, "{}", rejected.text);
    assert_eq!(rejected.body["status"], "rejected");
    assert_eq!(rejected.body["level"], "district");
    let direct = json!({"provider_id": lab, "categories": ["testing", "rnd"]});
    w.post(zj, "/api/v1/regions/ZJ/admissions", direct)
        .await
        .assert_problem(409, "invalid_state");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_region_reviews_alone_with_one_level_or_no_district() {
    let w = World::new().await;
    // A provincial institution (no district) goes straight to the province,
    // which may admit it directly too.
    let (lab, lab_token) = zj_provider(&w, Value::Null).await;
    let asked = ask(&w, &lab_token, "ZJ", json!(["testing"])).await;
    assert_eq!(asked.status.code, 201, "{}", asked.text);
    assert_eq!(asked.body["level"], "region");
    assert_eq!(asked.body["district"], Value::Null);
    let id = asked.body["id"].as_str().unwrap();
    w.post(
        &w.zj_hangzhou.token,
        &format!("/api/v1/admission-requests/{id}/recommend"),
        json!({}),
    )
    .await
    .assert_problem(404, "not_found");
    let reject = format!("/api/v1/admission-requests/{id}/reject");
    let rejected = w
        .post(
            &w.zj_regulator.token,
            &reject,
            json!({"reason": "信用核查未通过"}),
        )
        .await;
    assert_eq!(rejected.status.code, 200, "{}", rejected.text);
    assert_eq!(rejected.body["reason"], "信用核查未通过");
    w.admit("ZJ", &w.zj_regulator, lab, &["testing"]).await;
    // Admitted for everything asked: nothing to ask.
    ask(&w, &lab_token, "ZJ", json!(["testing"]))
        .await
        .assert_problem(409, "invalid_state");

    // A Jiaxing provider asking Zhejiang: the province reviews it.
    let asked = ask(&w, &w.jx_lab.token, "ZJ", json!(["testing"])).await;
    assert_eq!(asked.body["level"], "region", "{}", asked.text);
    // A Shanghai provider is not admitted by Zhejiang's programme.
    ask(&w, &w.sh_lab.token, "ZJ", json!(["testing"]))
        .await
        .assert_problem(422, "provider_not_admitted");

    // Shanghai has one level and a 7-day notice: the admission is published.
    let (_, sh_lab) = w
        .app
        .register(&w.sh_regulator.token, crate::helpers::provider("SH"))
        .await;
    let asked = ask(&w, &sh_lab, "SH", json!(["ip", "rnd"])).await;
    assert_eq!(asked.status.code, 201, "{}", asked.text);
    assert_eq!(asked.body["level"], "region");
    let id = asked.body["id"].as_str().unwrap();
    let admit = format!("/api/v1/admission-requests/{id}/admit");
    let admitted = w.post(&w.sh_regulator.token, &admit, json!({})).await;
    assert_eq!(admitted.status.code, 202, "{}", admitted.text);
    assert_eq!(admitted.body["request"]["admitted"], json!(["ip", "rnd"]));
    let notice = &admitted.body["admission"]["notice"];
    assert_eq!(notice["status"], "open", "{}", admitted.text);
    assert!(notice["ends_at"].is_string(), "{}", admitted.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_racing_requests_leave_one_pending() {
    let w = World::new().await;
    let (_, lab_token) = zj_provider(&w, json!("HZ")).await;
    let (a, b) = tokio::join!(
        ask(&w, &lab_token, "ZJ", json!(["testing"])),
        ask(&w, &lab_token, "ZJ", json!(["rnd"])),
    );
    let mut codes = [a.status.code, b.status.code];
    codes.sort_unstable();
    assert_eq!(codes, [201, 409], "{}\n{}", a.text, b.text);
    assert_eq!(w.app.count("admission_requests").await, 1);
}
