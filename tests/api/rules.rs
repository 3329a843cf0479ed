//! Each region rule reached through the API, changing nothing; the Jiaxing
//! pilot; the policy endpoint; a fourth region added by a file.

use serde_json::json;

use crate::helpers::{company, new_key, provider, TestApp};
use crate::world::{Org, World};

/// Sends a request that must be refused with `code`, checks that the
/// ledger did not change, and returns the problem's `rule` object.
async fn refused(
    w: &World,
    token: &str,
    path: &str,
    body: serde_json::Value,
    status: u16,
    code: &str,
) -> serde_json::Value {
    let before = w.snapshot().await;
    let answer = w.post(token, path, body).await;
    answer.assert_problem(status, code);
    assert_eq!(w.snapshot().await, before, "{code} changed the ledger");
    w.app.assert_invariants().await;
    answer.body["rule"].clone()
}

/// Where the JX figure of rule `id` comes from, as a refusal names it: the
/// key's own source, else the version's.
fn jx_source(id: &str) -> &'static str {
    match id {
        "enterprise_cap" | "team_cap" => "illustrative：未找到公开数据",
        "cross_region_budget_share" => "illustrative",
        "contract_share" => {
            "沪嘉科技创新券合作报道（中评网 crntt.com，2018 年）：每次使用上海的大型仪器或检测服务，补贴 50%"
        }
        "categories" => {
            "沪嘉科技创新券合作报道（中评网 crntt.com，2018 年）：通过上海大型科学仪器共享网络提供的\
             大型仪器和检测服务（2,192 家单位、27,479 台仪器）；不含研发和技术转移"
        }
        _ => "沪嘉科技创新券合作报道（中评网 crntt.com，2018 年）",
    }
}

/// Checks a refusal's rule object: `id`, the JX policy version (or SH's), and the
/// figures `limit`, `used`, `requested`, `allowed` (null where not given).
fn assert_rule(rule: &serde_json::Value, id: &str, figures: [Option<&str>; 4]) {
    assert_eq!(rule["id"], id, "{rule}");
    let region = rule["region"].as_str().unwrap();
    if region == "JX" {
        assert_eq!(rule["policy_version"], "2017-01-01", "{rule}");
        assert_eq!(rule["source"], jx_source(id), "{rule}");
    } else {
        assert_eq!(region, "SH", "{rule}");
        assert!(
            rule["source"].as_str().is_some_and(|s| !s.is_empty()),
            "{rule}"
        );
    }
    for (key, want) in ["limit", "used", "requested", "allowed"]
        .iter()
        .zip(figures)
    {
        assert_eq!(rule[*key], json!(want), "{key} of {rule}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rule_has_its_code() {
    let w = World::new().await;
    let jx = &w.jx_regulator;

    // annual_cap_exceeded: JX enterprises get 200,000.00 a year, summed over
    // the actual controller (jx_company and this sister company share one).
    let sister = w.jx_sister().await;
    w.voucher(&w.jx_company, jx, "JX", "150000.00").await;
    let apply = |org: &Org, amount: &str, purpose: &str| {
        let body = json!({"region": "JX", "year": 2026, "amount": amount, "purpose": purpose});
        (org.token.clone(), body)
    };
    // Refused at submission, as the caps stand…
    let (token, body) = apply(&sister, "50000.01", "p");
    let path = "/api/v1/applications";
    let rule = refused(&w, &token, path, body, 422, "annual_cap_exceeded").await;
    let figures = [
        Some("200000.00"),
        Some("150000.00"),
        Some("50000.01"),
        Some("50000.00"),
    ];
    assert_rule(&rule, "enterprise_cap", figures);
    // …and at approval, when another voucher was issued in between: two
    // applications each within the room, the second then over it.
    let mut ids = Vec::new();
    for purpose in ["p1", "p2"] {
        let (token, body) = apply(&sister, "30000.00", purpose);
        let submitted = w.post(&token, path, body).await;
        assert_eq!(submitted.status.code, 201, "{}", submitted.text);
        ids.push(submitted.body["id"].as_str().unwrap().to_owned());
    }
    let approve = |id: &str| format!("/api/v1/applications/{id}/approve");
    let first = w.post(&jx.token, &approve(&ids[0]), json!({})).await;
    assert_eq!(first.status.code, 201, "{}", first.text);
    let rule = refused(
        &w,
        &jx.token,
        &approve(&ids[1]),
        json!({}),
        422,
        "annual_cap_exceeded",
    )
    .await;
    let figures = [
        Some("200000.00"),
        Some("180000.00"),
        Some("30000.00"),
        Some("20000.00"),
    ];
    assert_rule(&rule, "enterprise_cap", figures);
    // Exactly at the cap passes.
    let exact = w
        .post(&jx.token, &approve(&ids[1]), json!({"amount": "20000.00"}))
        .await;
    assert_eq!(exact.status.code, 201, "{}", exact.text);

    // A team's cap is lower; another controller is counted apart.
    let mut team = company("JX");
    team["company_type"] = json!("team");
    team["actual_controller"] = json!("Wang Wu");
    let team = {
        let (id, token) = w.app.register(&jx.token, team).await;
        Org { id, token }
    };
    let (token, body) = apply(&team, "50000.01", "p");
    let rule = refused(&w, &token, path, body, 422, "annual_cap_exceeded").await;
    assert_rule(
        &rule,
        "team_cap",
        [
            Some("50000.00"),
            Some("0.00"),
            Some("50000.01"),
            Some("50000.00"),
        ],
    );
    let (token, body) = apply(&team, "50000.00", "p");
    let id = w.post(&token, path, body).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let team_voucher = w.post(&jx.token, &approve(&id), json!({})).await;
    assert_eq!(team_voucher.status.code, 201, "{}", team_voucher.text);
    let team_voucher = team_voucher.body;

    // related_party: a provider controlled by the same person.
    let mut related = provider("JX");
    related["actual_controller"] = json!("Wang Wu");
    let related = {
        let (id, token) = w.app.register(&jx.token, related).await;
        Org { id, token }
    };
    w.admit("JX", jx, related.id, &["testing"]).await;
    let hold = |voucher: &serde_json::Value,
                provider: &Org,
                contract: &str,
                amount: &str,
                category: &str| {
        json!({"voucher_id": voucher["id"], "provider_id": provider.id, "contract_no": contract,
               "contract_amount": contract, "service_category": category, "amount": amount})
    };
    let rule = refused(
        &w,
        &team.token,
        "/api/v1/redemptions",
        hold(&team_voucher, &related, "1000.00", "100.00", "testing"),
        422,
        "related_party",
    )
    .await;
    assert_rule(
        &rule,
        "related_party",
        [None, Some("actual_controller"), None, None],
    );

    // share_exceeded: half of the contract, rounded down to the fen.
    let rule = refused(
        &w,
        &team.token,
        "/api/v1/redemptions",
        hold(&team_voucher, &w.jx_lab, "333.33", "166.67", "testing"),
        422,
        "share_exceeded",
    )
    .await;
    assert_rule(
        &rule,
        "contract_share",
        [Some("166.66"), None, Some("166.67"), Some("166.66")],
    );
    assert_eq!(
        (&rule["share"], &rule["base"]),
        (&json!("0.5"), &json!("333.33"))
    );
    let ok = w
        .post(
            &team.token,
            "/api/v1/redemptions",
            hold(&team_voucher, &w.jx_lab, "333.33", "166.66", "testing"),
        )
        .await;
    assert_eq!(ok.status.code, 201, "{}", ok.text);

    // category_not_eligible: JX does not fund consulting, at admission and at a hold.
    let funded = Some("testing");
    let rule = refused(
        &w,
        &jx.token,
        "/api/v1/regions/JX/admissions",
        json!({"provider_id": w.jx_lab.id, "categories": ["consulting"]}),
        422,
        "category_not_eligible",
    )
    .await;
    assert_rule(
        &rule,
        "categories",
        [None, None, Some("consulting"), funded],
    );
    let rule = refused(
        &w,
        &team.token,
        "/api/v1/redemptions",
        hold(&team_voucher, &w.jx_lab, "1000.00", "1.00", "consulting"),
        422,
        "category_not_eligible",
    )
    .await;
    assert_rule(
        &rule,
        "categories",
        [None, None, Some("consulting"), funded],
    );
    // …and a category the programme funds but the provider is not admitted
    // for: Shanghai funds consulting, its lab is admitted for testing and R&D.
    let sh_voucher = w
        .voucher(&w.sh_company, &w.sh_regulator, "SH", "10000.00")
        .await;
    let rule = refused(
        &w,
        &w.sh_company.token,
        "/api/v1/redemptions",
        hold(&sh_voucher, &w.sh_lab, "1000.00", "1.00", "consulting"),
        422,
        "category_not_eligible",
    )
    .await;
    assert_rule(
        &rule,
        "admitted_categories",
        [None, None, Some("consulting"), Some("testing,rnd")],
    );

    // provider_not_admitted: SH admits Shanghai providers only; ZJ's are not admitted by JX here.
    let rule = refused(
        &w,
        &w.sh_regulator.token,
        "/api/v1/regions/SH/admissions",
        json!({"provider_id": w.jx_lab.id, "categories": ["testing"]}),
        422,
        "provider_not_admitted",
    )
    .await;
    assert_eq!(
        (
            &rule["id"],
            &rule["region"],
            &rule["requested"],
            &rule["allowed"]
        ),
        (
            &json!("admits_provider_regions"),
            &json!("SH"),
            &json!("JX"),
            &json!("SH")
        ),
        "{rule}"
    );
    let zj_lab = {
        let (id, token) = w.app.register(&w.zj_regulator.token, provider("ZJ")).await;
        Org { id, token }
    };
    let rule = refused(
        &w,
        &team.token,
        "/api/v1/redemptions",
        hold(&team_voucher, &zj_lab, "1000.00", "1.00", "testing"),
        422,
        "provider_not_admitted",
    )
    .await;
    assert_rule(&rule, "admission", [None; 4]);

    // budget_exceeded: nothing was appropriated for 2027 yet.
    let application = w
        .post(
            &w.jx_company_2.token,
            "/api/v1/applications",
            json!({"region": "JX", "year": 2027, "amount": "1000.00", "purpose": "p"}),
        )
        .await;
    let id = application.body["id"].as_str().unwrap().to_owned();
    let rule = refused(
        &w,
        &jx.token,
        &format!("/api/v1/applications/{id}/approve"),
        json!({}),
        422,
        "budget_exceeded",
    )
    .await;
    let zero = Some("0.00");
    assert_rule(&rule, "appropriation", [zero, zero, Some("1000.00"), zero]);

    // A company applies to its region's programme only.
    refused(
        &w,
        &w.sh_company.token,
        "/api/v1/applications",
        json!({"region": "JX", "year": 2026, "amount": "1", "purpose": "p"}),
        422,
        "validation_failed",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jiaxing_caps_spending_outside_jiaxing_at_thirty_percent() {
    let w = World::new().await;
    let jx = &w.jx_regulator;
    let appropriated = w
        .post(
            &jx.token,
            "/api/v1/regions/JX/budgets",
            json!({"year": 2027, "amount": "100000.00"}),
        )
        .await;
    assert_eq!(appropriated.status.code, 201);
    let v1 = w
        .voucher_of_year(&w.jx_company, jx, "JX", 2027, "40000.00")
        .await;
    let v2 = w
        .voucher_of_year(&w.jx_company_2, jx, "JX", 2027, "40000.00")
        .await;
    // 30 % of 100,000.00 = 30,000.00 may go outside Jiaxing, held or completed.
    let first = w
        .hold(&w.jx_company, &v1, &w.sh_lab, "X-1", "60000.00", "20000.00")
        .await;
    assert_eq!(first.status.code, 201, "{}", first.text);
    let id = first.body["id"].as_str().unwrap().to_owned();
    w.complete(&w.sh_lab, &id, Some("15000.00")).await;
    // 15,000.00 completed outside; 15,000.00 left.
    let body = json!({"voucher_id": v2["id"], "provider_id": w.sh_lab.id, "contract_no": "X-2",
                      "contract_amount": "60000.00", "service_category": "testing", "amount": "15000.01"});
    let rule = refused(
        &w,
        &w.jx_company_2.token,
        "/api/v1/redemptions",
        body,
        422,
        "cross_region_budget_exceeded",
    )
    .await;
    assert_rule(
        &rule,
        "cross_region_budget_share",
        [
            Some("30000.00"),
            Some("15000.00"),
            Some("15000.01"),
            Some("15000.00"),
        ],
    );
    assert_eq!(
        (&rule["share"], &rule["base"]),
        (&json!("0.3"), &json!("100000.00"))
    );
    let exact = w
        .hold(
            &w.jx_company_2,
            &v2,
            &w.sh_lab,
            "X-3",
            "60000.00",
            "15000.00",
        )
        .await;
    assert_eq!(exact.status.code, 201, "{}", exact.text);
    // Spending in Jiaxing is not capped.
    let home = w
        .hold(
            &w.jx_company_2,
            &v2,
            &w.jx_lab,
            "X-4",
            "60000.00",
            "20000.00",
        )
        .await;
    assert_eq!(home.status.code, 201, "{}", home.text);
    // A cancelled hold frees its share of the cap.
    let id = exact.body["id"].as_str().unwrap();
    w.cancel(&w.jx_company_2, &id).await;
    let again = w
        .hold(
            &w.jx_company_2,
            &v2,
            &w.sh_lab,
            "X-5",
            "60000.00",
            "15000.00",
        )
        .await;
    assert_eq!(again.status.code, 201, "{}", again.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pilot_runs_one_way() {
    let w = World::new().await;
    // A Jiaxing voucher is redeemed at the Shanghai lab JX admitted…
    let jv = w
        .voucher(&w.jx_company, &w.jx_regulator, "JX", "10000.00")
        .await;
    assert_eq!(
        w.hold(&w.jx_company, &jv, &w.sh_lab, "P-1", "2000.00", "1000.00")
            .await
            .status
            .code,
        201
    );
    // …while a Shanghai voucher cannot be spent at a Jiaxing provider: SH
    // does not admit it, so the hold is refused.
    let sv = w
        .voucher(&w.sh_company, &w.sh_regulator, "SH", "10000.00")
        .await;
    w.hold(&w.sh_company, &sv, &w.jx_lab, "P-2", "2000.00", "1000.00")
        .await
        .assert_problem(422, "provider_not_admitted");
    w.post(
        &w.sh_regulator.token,
        "/api/v1/regions/SH/admissions",
        json!({"provider_id": w.jx_lab.id, "categories": ["testing"]}),
    )
    .await
    .assert_problem(422, "provider_not_admitted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policy_in_force_is_published() {
    let mut w = World::new().await;
    let token = &w.jx_company.token;
    let sh = w.get(token, "/api/v1/regions/SH/policy").await;
    assert_eq!(sh.status.code, 200, "{}", sh.text);
    assert_eq!(sh.body["year"], 2026);
    assert_eq!(sh.body["enterprise_cap"], "300000.00");
    assert_eq!(sh.body["team_cap"], "100000.00");
    assert_eq!(sh.body["contract_share"], "0.50");
    assert_eq!(sh.body["effective_from"], "2026-01-01");
    assert_eq!(sh.body["use_until"], "2026-12-31");
    assert_eq!(sh.body["claim_until"], "2027-03-31");
    assert_eq!(sh.body["settlement_cycle"], "quarterly");
    assert_eq!(sh.body["categories"].as_array().unwrap().len(), 6);
    let old = w.get(token, "/api/v1/regions/SH/policy?year=2025").await;
    assert_eq!(old.body["enterprise_cap"], "500000.00");
    assert_eq!(old.body["effective_to"], "2025-12-31");
    let jx = w.get(&w.sh_lab.token, "/api/v1/regions/JX/policy").await;
    assert_eq!(jx.body["cross_region_budget_share"], "0.30");
    assert_eq!(
        jx.body["admits_provider_regions"],
        json!(["JX", "ZJ", "SH"])
    );
    assert_eq!(
        w.get(&w.zj_regulator.token, "/api/v1/regions/ZJ/policy")
            .await
            .body["settlement_cycle"],
        "monthly"
    );
    w.get(token, "/api/v1/regions/SH/policy?year=2017")
        .await
        .assert_problem(422, "validation_failed");
    w.get(token, "/api/v1/regions/XX/policy")
        .await
        .assert_problem(404, "not_found");
    // The year follows the clock.
    w.travel_to("2025-06-01T12:00:00").await;
    assert_eq!(
        w.get(&w.jx_company.token, "/api/v1/regions/SH/policy")
            .await
            .body["enterprise_cap"],
        "500000.00"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fourth_region_needs_only_its_policy_file() {
    let app = TestApp::spawn_with_regions(&["config/regions", "tests/regions"]).await;
    let admin = app.admin_token().await;
    let (_, ah) = app.regulator("AH").await;
    let (_, sh) = app.regulator("SH").await;
    let (_, company_token) = app.register(&ah, company("AH")).await;
    let (lab, _) = app.register(&sh, provider("SH")).await;
    let post = |token: &str, path: &str, body: serde_json::Value| {
        let (token, path) = (token.to_owned(), path.to_owned());
        let app = &app;
        async move { app.post(&path, &token, &new_key(), &body).await }
    };
    assert_eq!(
        post(
            &ah,
            "/api/v1/regions/AH/budgets",
            json!({"year": 2026, "amount": "500000"})
        )
        .await
        .status
        .code,
        201
    );
    assert_eq!(
        post(
            &ah,
            "/api/v1/regions/AH/admissions",
            json!({"provider_id": lab, "categories": ["testing"]})
        )
        .await
        .status
        .code,
        201
    );
    // Its own cap (150,000.00), at submission.
    post(
        &company_token,
        "/api/v1/applications",
        json!({"region": "AH", "year": 2026, "amount": "150000.01", "purpose": "p"}),
    )
    .await
    .assert_problem(422, "annual_cap_exceeded");
    let application = post(
        &company_token,
        "/api/v1/applications",
        json!({"region": "AH", "year": 2026, "amount": "150000.00", "purpose": "p"}),
    )
    .await;
    let id = application.body["id"].as_str().unwrap().to_owned();
    let voucher = post(
        &ah,
        &format!("/api/v1/applications/{id}/approve"),
        json!({"amount": "150000"}),
    )
    .await;
    assert_eq!(voucher.status.code, 201, "{}", voucher.text);
    assert_eq!(voucher.body["serial"], "AH-2026-000001");
    assert_eq!(voucher.body["use_until"], "2026-11-30");
    assert_eq!(voucher.body["claim_until"], "2027-02-28");
    let hold = |amount: &str| {
        json!({"voucher_id": voucher.body["id"], "provider_id": lab, "contract_no": format!("AH-{amount}"),
               "contract_amount": "1000.00", "service_category": "testing", "amount": amount})
    };
    post(&company_token, "/api/v1/redemptions", hold("400.01"))
        .await
        .assert_problem(422, "share_exceeded");
    assert_eq!(
        post(&company_token, "/api/v1/redemptions", hold("400.00"))
            .await
            .status
            .code,
        201
    );
    let policy = app.get("/api/v1/regions/AH/policy", &admin).await;
    assert_eq!(policy.body["rules"], "standard");
}
