//! Companies rate the services they redeemed, once each, after completion;
//! the regulator of the voucher's region sees each provider's average,
//! count and complaints.

use serde_json::json;

use crate::helpers::Post;
use crate::world::World;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completed_service_is_rated_once_and_the_regulator_sees_the_averages() {
    let w = World::new().await;
    let voucher = w
        .voucher(&w.jx_company, &w.jx_regulator, "JX", "10000.00")
        .await;
    let mut done = Vec::new();
    for (contract, provider) in [("R-1", &w.sh_lab), ("R-2", &w.sh_lab), ("R-3", &w.jx_lab)] {
        let held = w
            .hold(
                &w.jx_company,
                &voucher,
                provider,
                contract,
                "2000.00",
                "1000.00",
            )
            .await;
        assert_eq!(held.status.code, 201, "{}", held.text);
        done.push(held.body["id"].as_str().unwrap().to_owned());
    }
    let rating = |id: &str| format!("/api/v1/redemptions/{id}/rating");
    // Not completed yet: nothing to rate.
    w.post(&w.jx_company.token, &rating(&done[0]), json!({"score": 5}))
        .await
        .assert_problem(409, "invalid_state");
    for (id, provider) in done.iter().zip([&w.sh_lab, &w.sh_lab, &w.jx_lab]) {
        assert_eq!(w.complete(provider, id, None).await.status.code, 200);
    }
    // A score out of range, or a hidden character: refused, nothing kept.
    for body in [
        json!({"score": 0}),
        json!({"score": 6}),
        json!({"score": 3, "comment": "ok\u{202e}"}),
    ] {
        w.post(&w.jx_company.token, &rating(&done[0]), body)
            .await
            .assert_problem(422, "validation_failed");
    }
    assert_eq!(w.app.count("ratings").await, 0);
    // Only its company rates it.
    w.post(
        &w.jx_company_2.token,
        &rating(&done[0]),
        json!({"score": 1}),
    )
    .await
    .assert_problem(404, "not_found");
    w.post(&w.sh_lab.token, &rating(&done[0]), json!({"score": 5}))
        .await
        .assert_problem(403, "forbidden");

    // Two ratings of one redemption at once: one is kept.
    let post = |key: &str, score: u8| Post {
        token: w.jx_company.token.clone(),
        path: rating(&done[0]),
        key: key.into(),
        body: json!({"score": score, "comment": "报告及时"}),
    };
    let answers = w.app.race(vec![post("a", 4), post("b", 5)]).await;
    let mut codes: Vec<u16> = answers.iter().map(|a| a.status.code).collect();
    codes.sort();
    assert_eq!(
        codes,
        [201, 409],
        "{:?}",
        answers.iter().map(|a| &a.text).collect::<Vec<_>>()
    );
    assert_eq!(w.app.count("ratings").await, 1);
    let second = json!({"score": 1, "comment": "报告延误两周，数据缺页", "complaint": true});
    let rated = w.post(&w.jx_company.token, &rating(&done[1]), second).await;
    assert_eq!(rated.status.code, 201, "{}", rated.text);
    assert_eq!(rated.body["complaint"], true);
    let third = w
        .post(&w.jx_company.token, &rating(&done[2]), json!({"score": 5}))
        .await;
    assert_eq!(third.status.code, 201, "{}", third.text);

    // The JX regulator: the SH lab first (a complaint), its average of two.
    let seen = w
        .get(&w.jx_regulator.token, "/api/v1/regions/JX/provider-ratings")
        .await;
    assert_eq!(seen.status.code, 200, "{}", seen.text);
    let list = seen.body.as_array().unwrap();
    assert_eq!(list.len(), 2, "{}", seen.text);
    let sh = &list[0];
    assert_eq!(sh["provider_id"], w.sh_lab.id.to_string());
    assert_eq!(sh["count"], 2);
    assert_eq!(sh["complaints"], 1);
    let first_score = answers
        .iter()
        .find(|a| a.status.code == 201)
        .map(|a| a.body["score"].as_i64().unwrap())
        .unwrap();
    // (4 + 1) / 2 or (5 + 1) / 2, to two decimals.
    let average = if first_score == 4 { "2.50" } else { "3.00" };
    assert_eq!(sh["average"], average);
    assert_eq!(sh["concerns"][0]["comment"], "报告延误两周，数据缺页");
    assert_eq!(list[1]["average"], "5.00");
    // Another region's regulator does not read JX's.
    w.get(&w.sh_regulator.token, "/api/v1/regions/JX/provider-ratings")
        .await
        .assert_problem(403, "forbidden");
    // The rating is in the audit trail.
    let audit = w
        .get(
            &w.app.administrator(w.jx_regulator.id).await,
            "/api/v1/audit/events?region=JX&action=redemption.rate",
        )
        .await;
    assert_eq!(
        audit.body["items"].as_array().unwrap().len(),
        3,
        "{}",
        audit.text
    );
}
