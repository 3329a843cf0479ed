//! Who may apply, as policy data: Shanghai takes registered S&T SMEs and
//! start-up teams housed in an incubator, park or maker space with at
//! least three core members; Zhejiang bars a company whose voucher of last
//! year expired more than half unused. Each refusal names its rule and
//! source and changes nothing; the what-if replays the rules.

use serde_json::{json, Value};

use crate::helpers::company;
use crate::world::{eligible, Org, World};

async fn apply(w: &World, company: &Org, region: &str, year: i32, declared: Value) -> Value {
    let answer = w
        .post(
            &company.token,
            "/api/v1/applications",
            json!({"region": region, "year": year, "amount": "10000.00", "purpose": "检测",
                "declared": declared, "district": (region == "ZJ").then_some("HZ")}),
        )
        .await;
    json!({"status": answer.status.code, "body": answer.body})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shanghai_takes_registered_smes_and_housed_teams_of_three() {
    let w = World::new().await;
    let before = w.app.count("applications").await;
    // An enterprise without its S&T SME registration.
    let refused = apply(&w, &w.sh_company, "SH", 2026, json!({})).await;
    assert_eq!(refused["status"], 422, "{refused}");
    let problem = &refused["body"];
    assert_eq!(problem["code"], "not_eligible", "{problem}");
    assert_eq!(problem["rule"]["id"], "sme_registration_required");
    assert_eq!(problem["rule"]["region"], "SH");
    assert!(
        problem["rule"]["source"]
            .as_str()
            .unwrap()
            .contains("科技型中小企业"),
        "{problem}"
    );
    // A malformed fact is named.
    let wrong = apply(
        &w,
        &w.sh_company,
        "SH",
        2026,
        json!({"sme_registration": "12"}),
    )
    .await;
    assert_eq!(wrong["body"]["code"], "validation_failed", "{wrong}");
    assert_eq!(
        wrong["body"]["errors"][0]["field"],
        "declared.sme_registration"
    );
    assert_eq!(w.app.count("applications").await, before, "nothing kept");
    // Declared: taken, and the declaration is kept with the application.
    let declared = json!({"sme_registration": "2026 3101 1500 0001 7"});
    let taken = apply(&w, &w.sh_company, "SH", 2026, declared).await;
    assert_eq!(taken["status"], 201, "{taken}");
    assert_eq!(
        taken["body"]["declared"],
        json!({"sme_registration": "20263101150000017"})
    );

    // A start-up team: where it is housed, then how many core members.
    let mut team = company("SH");
    team["company_type"] = json!("team");
    team["credit_code"] = Value::Null;
    team["actual_controller"] = json!("Zhao Liu");
    let (id, token) = w.app.register(&w.sh_regulator.token, team).await;
    let team = Org { id, token };
    let unhoused = apply(&w, &team, "SH", 2026, json!({"core_members": 5})).await;
    assert_eq!(unhoused["body"]["rule"]["id"], "team_housing", "{unhoused}");
    assert_eq!(unhoused["body"]["rule"]["requested"], "none declared");
    assert_eq!(
        unhoused["body"]["rule"]["allowed"],
        "incubator,university_science_park,maker_space"
    );
    let small = json!({"housed_in": "maker_space", "core_members": 2});
    let small = apply(&w, &team, "SH", 2026, small).await;
    let rule = &small["body"]["rule"];
    assert_eq!(rule["id"], "team_min_core_members", "{small}");
    assert_eq!(
        (&rule["limit"], &rule["requested"]),
        (&json!("3"), &json!("2"))
    );
    let ok = json!({"housed_in": "maker_space", "housing_name": "杨浦创业园", "core_members": 3});
    let ok = apply(&w, &team, "SH", 2026, ok).await;
    assert_eq!(ok["status"], 201, "{ok}");
    // Jiaxing asks for none of it.
    let jx = apply(&w, &w.jx_company, "JX", 2026, json!({})).await;
    assert_eq!(jx["status"], 201, "{jx}");

    // The policy says which figures are illustrative, and where each comes from.
    let policy = w
        .get(&w.sh_company.token, "/api/v1/regions/SH/policy")
        .await;
    let body = &policy.body;
    assert_eq!(body["sme_registration_required"], true);
    assert_eq!(body["team_min_core_members"], 3);
    assert!(body["sources"]["enterprise_cap"]
        .as_str()
        .unwrap()
        .starts_with("illustrative"));
    w.app.assert_invariants().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voucher_more_than_half_unused_at_expiry_bars_the_company_next_year() {
    let mut w = World::new().await;
    w.travel_to("2025-03-02T09:00:00").await;
    let budget = json!({"year": 2025, "amount": "1000000.00"});
    let made = w
        .post(&w.zj_regulator.token, "/api/v1/regions/ZJ/budgets", budget)
        .await;
    assert_eq!(made.status.code, 201, "{}", made.text);
    w.admit("ZJ", &w.zj_regulator, w.jx_lab.id, &["testing"])
        .await;
    // Two Jiaxing companies with ZJ vouchers of 10,000.00: one uses 4,000.00,
    // the other 5,000.00 (exactly half is unused).
    let mut used = Vec::new();
    for (company, amount) in [(&w.jx_company, "4000.00"), (&w.jx_company_2, "5000.00")] {
        let voucher = w
            .voucher_of_year(company, &w.zj_regulator, "ZJ", 2025, "10000.00")
            .await;
        let contract = format!("ZJ-{amount}");
        let held = w
            .hold(company, &voucher, &w.jx_lab, &contract, "20000.00", amount)
            .await;
        assert_eq!(held.status.code, 201, "{}", held.text);
        let done = w.complete(&w.jx_lab, held.body["id"].as_str().unwrap(), None);
        assert_eq!(done.await.status.code, 200);
        used.push(voucher);
    }
    w.travel_to("2026-01-05T09:00:00").await;
    let run = w
        .post(&w.admin, "/api/v1/admin/expiry-runs", json!({}))
        .await;
    assert_eq!(run.body["vouchers_expired"], 2, "{}", run.text);

    let before = w.app.count("applications").await;
    let idle = apply(&w, &w.jx_company, "ZJ", 2026, json!({})).await;
    assert_eq!(idle["status"], 422, "{idle}");
    let problem = &idle["body"];
    assert_eq!(problem["code"], "not_eligible");
    let rule = &problem["rule"];
    assert_eq!(rule["id"], "idle_voucher_share");
    assert_eq!(
        (&rule["limit"], &rule["used"], &rule["base"]),
        (&json!("5000.00"), &json!("6000.00"), &json!("10000.00"))
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains(used[0]["serial"].as_str().unwrap()),
        "{problem}"
    );
    assert_eq!(w.app.count("applications").await, before, "nothing kept");
    // Half unused is not more than half.
    let half = apply(&w, &w.jx_company_2, "ZJ", 2026, json!({})).await;
    assert_eq!(half["status"], 201, "{half}");
    let id = half["body"]["id"].as_str().unwrap();
    let recommended = w
        .post(
            &w.zj_hangzhou.token,
            &format!("/api/v1/applications/{id}/recommend"),
            json!({}),
        )
        .await;
    assert_eq!(recommended.status.code, 200, "{}", recommended.text);
    let approved = w
        .post(
            &w.zj_regulator.token,
            &format!("/api/v1/applications/{id}/approve"),
            json!({}),
        )
        .await;
    assert_eq!(approved.status.code, 201, "{}", approved.text);
    // Jiaxing's own programme has no such rule.
    let jx = apply(&w, &w.jx_company, "JX", 2026, eligible()).await;
    assert_eq!(jx["status"], 201, "{jx}");

    // The what-if: under a draft barring at 40 % unused, the approval of the
    // company that left half unused would have been refused.
    let policy = w
        .get(&w.zj_regulator.token, "/api/v1/regions/ZJ/policy")
        .await
        .body;
    let draft = json!({
        "effective_from": "2026-01-01",
        "enterprise_cap": policy["enterprise_cap"], "team_cap": policy["team_cap"],
        "contract_share": policy["contract_share"], "categories": policy["categories"],
        "applicant_regions": policy["applicant_regions"],
        "admits_provider_regions": policy["admits_provider_regions"],
        "use_deadline": "12-31", "claim_deadline": "03-31", "settlement_cycle": "monthly",
        "idle_voucher_share": "0.40",
    });
    let replay = w
        .post(
            &w.zj_regulator.token,
            "/api/v1/regions/ZJ/policy/what-if",
            json!({"year": 2026, "draft": draft}),
        )
        .await;
    assert_eq!(replay.status.code, 200, "{}", replay.text);
    let by_rule = replay.body["by_rule"].as_array().unwrap();
    let idle_rule = by_rule
        .iter()
        .find(|r| r["rule"] == "idle_voucher_share")
        .unwrap_or_else(|| panic!("{}", replay.text));
    assert_eq!(idle_rule["applications_refused"], 1, "{}", replay.text);
    // Under the policy in force, nothing differs.
    let mut same = draft.clone();
    same["idle_voucher_share"] = json!("0.50");
    let unchanged = w
        .post(
            &w.zj_regulator.token,
            "/api/v1/regions/ZJ/policy/what-if",
            json!({"year": 2026, "draft": same}),
        )
        .await;
    assert_eq!(unchanged.body["by_rule"], json!([]), "{}", unchanged.text);
    w.app.assert_invariants().await;
}
