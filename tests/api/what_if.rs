//! Policy what-if: a year of JX replayed under drafts, changing nothing;
//! the unchanged policy finds no difference.

use serde_json::{json, Value};

use crate::helpers::Req;
use crate::world::{Org, World};

/// JX's policy version in force, as its file writes it.
fn jx_policy() -> Value {
    json!({
        "effective_from": "2017-01-01",
        "enterprise_cap": "200000.00",
        "team_cap": "50000.00",
        "contract_share": "0.50",
        "categories": ["testing"],
        "applicant_regions": ["JX"],
        "admits_provider_regions": ["JX", "ZJ", "SH"],
        "use_deadline": "12-31",
        "claim_deadline": "03-31",
        "settlement_cycle": "monthly",
        "cross_region_budget_share": "0.30",
        "source": "draft"
    })
}

/// `jx_policy()` with `changes` applied.
fn draft(changes: Value) -> Value {
    let mut policy = jx_policy();
    for (key, value) in changes.as_object().unwrap() {
        policy[key] = value.clone();
    }
    policy
}

/// A year in JX: a company and its sister (one controller) approved
/// 150,000.00 and 50,000.00; another company 40,000.00. Holds at the
/// Shanghai lab (cross-region) and at the JX lab, completed in part, in
/// full, cancelled; a voucher revoked; an application rejected and one
/// waiting.
struct Year {
    w: World,
    sister: Org,
    applications: u64,
    approvals: u64,
    holds: u64,
}

async fn year() -> Year {
    let w = World::new().await;
    let jx = &w.jx_regulator;
    let sister = w.jx_sister().await;
    let big = w.voucher(&w.jx_company, jx, "JX", "150000.00").await;
    let small = w.voucher(&sister, jx, "JX", "50000.00").await;
    let other = w.voucher(&w.jx_company_2, jx, "JX", "40000.00").await;
    let id = |a: &crate::helpers::Answer| {
        assert_eq!(a.status.code, 201, "{}", a.text);
        a.body["id"].as_str().unwrap().to_owned()
    };
    let done = |path: String, body: Value| {
        let w = &w;
        async move {
            let token = if path.ends_with("cancel") {
                &w.jx_company.token
            } else {
                &w.sh_lab.token
            };
            let a = w.post(token, &path, body).await;
            assert_eq!(a.status.code, 200, "{}", a.text);
        }
    };
    // At the Shanghai lab: 60,000.00 held, 50,000.00 completed.
    let h1 = id(&w
        .hold(
            &w.jx_company,
            &big,
            &w.sh_lab,
            "W-1",
            "150000.00",
            "60000.00",
        )
        .await);
    done(
        format!("/api/v1/redemptions/{h1}/complete"),
        json!({"amount": "50000.00"}),
    )
    .await;
    // At the JX lab: 30,000.00 of a 100,000.00 contract, completed in full.
    let h2 = id(&w
        .hold(
            &w.jx_company,
            &big,
            &w.jx_lab,
            "W-2",
            "100000.00",
            "30000.00",
        )
        .await);
    let a = w.complete(&w.jx_lab, &h2, None).await;
    assert_eq!(a.status.code, 200, "{}", a.text);
    // Held and cancelled; held again for the same money.
    let h3 = id(&w
        .hold(
            &w.jx_company,
            &big,
            &w.sh_lab,
            "W-3",
            "100000.00",
            "40000.00",
        )
        .await);
    done(format!("/api/v1/redemptions/{h3}/cancel"), json!({})).await;
    id(&w
        .hold(
            &w.jx_company,
            &big,
            &w.sh_lab,
            "W-4",
            "100000.00",
            "40000.00",
        )
        .await);
    // The sister: 20,000.00 at the JX lab, held.
    id(&w
        .hold(&sister, &small, &w.jx_lab, "W-5", "50000.00", "20000.00")
        .await);
    // The other company: 10,000.00 held, then its voucher revoked.
    id(&w
        .hold(
            &w.jx_company_2,
            &other,
            &w.jx_lab,
            "W-6",
            "30000.00",
            "10000.00",
        )
        .await);
    let other_id = other["id"].as_str().unwrap();
    let revoked = w.revoke(jx, other_id, "材料不实").await;
    assert_eq!(revoked.status.code, 200, "{}", revoked.text);
    // One application rejected, one waiting.
    for (amount, reject) in [("1000.00", true), ("2000.00", false)] {
        let app = w
            .post(
                &w.jx_company_2.token,
                "/api/v1/applications",
                json!({"region": "JX", "year": 2026, "amount": amount, "purpose": "p"}),
            )
            .await;
        let app_id = id(&app);
        if reject {
            let a = w
                .post(
                    &jx.token,
                    &format!("/api/v1/applications/{app_id}/reject"),
                    json!({"reason": "材料不全"}),
                )
                .await;
            assert_eq!(a.status.code, 200, "{}", a.text);
        }
    }
    Year {
        w,
        sister,
        applications: 5,
        approvals: 3,
        holds: 6,
    }
}

async fn what_if(w: &World, token: &str, body: Value) -> crate::helpers::Answer {
    w.post(token, "/api/v1/regions/JX/policy/what-if", body)
        .await
}

/// The what-if of `changes` to JX's policy for 2026, answered 200, having
/// changed nothing.
async fn replayed(y: &Year, changes: Value) -> Value {
    let before = y.w.snapshot().await;
    let body = json!({"year": 2026, "draft": draft(changes)});
    let answer = what_if(&y.w, &y.w.jx_regulator.token, body).await;
    assert_eq!(answer.status.code, 200, "{}", answer.text);
    assert_eq!(y.w.snapshot().await, before, "a what-if changed the ledger");
    let replayed = &answer.body["replayed"];
    assert_eq!(replayed["applications"], y.applications, "{}", answer.text);
    assert_eq!(replayed["approvals"], y.approvals, "{}", answer.text);
    assert_eq!(replayed["holds"], y.holds, "{}", answer.text);
    answer.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_unchanged_policy_replays_the_year_exactly() {
    let y = year().await;
    let body = replayed(&y, json!({})).await;
    assert_eq!(body["differences_total"], 0, "{body}");
    assert_eq!(body["differences"], json!([]));
    assert_eq!(body["by_rule"], json!([]));
    assert_eq!(body["companies_affected"], 0);
    assert_eq!(body["policy_in_force"], "2017-01-01");
    let budget = &body["budget"];
    assert_eq!(budget["issued_actual"], "240000.00", "{body}");
    assert_eq!(budget["issued_draft"], "240000.00");
    assert_eq!(budget["issued_change"], "0.00");
    assert_eq!(budget["held_actual"], "200000.00");
    assert_eq!(budget["held_draft"], "200000.00");
}

/// Like every POST: a repeat with the same key and body gets the first
/// answer (even after the year changed), another body under the key is
/// refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_what_if_is_answered_once_per_idempotency_key() {
    let y = year().await;
    let (w, token) = (&y.w, &y.w.jx_regulator.token);
    let path = "/api/v1/regions/JX/policy/what-if";
    let body = json!({"year": 2026, "draft": draft(json!({}))});
    let first = w.app.post(path, token, "what-if-once", &body).await;
    assert_eq!(first.status.code, 200, "{}", first.text);
    // The year moves on: one more hold.
    let v = w
        .voucher(&w.jx_company_2, &w.jx_regulator, "JX", "1000.00")
        .await;
    let held = w
        .hold(
            &w.jx_company_2,
            &v,
            &w.sh_lab,
            "W-ONCE",
            "2000.00",
            "100.00",
        )
        .await;
    assert_eq!(held.status.code, 201, "{}", held.text);
    let again = w.app.post(path, token, "what-if-once", &body).await;
    assert_eq!((again.status.code, &again.text), (200, &first.text));
    let fresh = w.app.post(path, token, "what-if-twice", &body).await;
    assert_ne!(
        fresh.body["replayed"], first.body["replayed"],
        "{}",
        fresh.text
    );
    let other = json!({"year": 2026, "draft": draft(json!({"contract_share": "0.30"}))});
    let reused = w.app.post(path, token, "what-if-once", &other).await;
    reused.assert_problem(422, "idempotency_key_reused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drafts_name_what_they_would_have_refused_or_reduced() {
    let y = year().await;
    let w = &y.w;

    // A lower enterprise cap: the 150,000.00 approval is reduced to
    // 100,000.00, the sister's 50,000.00 refused (the controller is at the
    // cap); the sister's hold finds no money, and the big voucher's two
    // holds of 40,000.00 no longer fit (50,000.00 and 30,000.00 are used).
    let body = replayed(&y, json!({"enterprise_cap": "100000.00"})).await;
    assert_eq!(body["applications_reduced"], 1, "{body}");
    assert_eq!(body["applications_refused"], 1, "{body}");
    assert_eq!(body["applications_reduced_by"], "100000.00");
    assert_eq!(body["budget"]["issued_draft"], "140000.00");
    assert_eq!(body["budget"]["issued_change"], "-100000.00");
    assert_eq!(body["holds_refused"], 3, "{body}");
    assert_eq!(body["holds_refused_amount"], "100000.00");
    assert_eq!(body["companies_affected"], 2);
    let rules: Vec<&str> = body["by_rule"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["enterprise_cap", "voucher_balance"]);
    let first = &body["differences"][0];
    assert_eq!(first["kind"], "application");
    assert_eq!(first["rule"], "enterprise_cap");
    assert_eq!(
        (&first["actual"], &first["draft"]),
        (&json!("150000.00"), &json!("100000.00"))
    );
    let refused = body["differences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["company_id"] == y.sister.id.to_string() && d["kind"] == "application")
        .unwrap();
    assert_eq!(refused["draft"], "0.00");

    // A smaller share: holds above 30 % of their contract are refused (all
    // but the JX lab's 30,000.00 of 100,000.00).
    let body = replayed(&y, json!({"contract_share": "0.30"})).await;
    assert_eq!(body["holds_refused"], 5, "{body}");
    assert_eq!(body["by_rule"][0]["rule"], "contract_share");
    assert_eq!(body["applications_refused"], 0);

    // No providers from Shanghai: every hold at the Shanghai lab refused.
    let body = replayed(&y, json!({"admits_provider_regions": ["JX", "ZJ"]})).await;
    assert_eq!(body["holds_refused"], 3, "{body}");
    assert_eq!(body["holds_refused_amount"], "140000.00");
    assert_eq!(body["by_rule"][0]["rule"], "admits_provider_regions");

    // A cross-region share of 5 % (50,000.00 of 1,000,000.00): the first
    // hold at the Shanghai lab (60,000.00) is refused; the later ones fit.
    let body = replayed(&y, json!({"cross_region_budget_share": "0.05"})).await;
    assert_eq!(
        body["by_rule"][0]["rule"], "cross_region_budget_share",
        "{body}"
    );
    assert_eq!(body["holds_refused"], 1, "{body}");

    // Companies from elsewhere only: every application refused.
    let body = replayed(&y, json!({"applicant_regions": ["ZJ"]})).await;
    assert_eq!(body["applications_refused"], 5, "{body}");
    assert_eq!(body["budget"]["issued_draft"], "0.00");

    // An invalid draft names its field; an unknown key is refused.
    let bad = what_if(
        w,
        &w.jx_regulator.token,
        json!({"year": 2026, "draft": draft(json!({"contract_share": "1.5"}))}),
    )
    .await;
    bad.assert_problem(422, "validation_failed");
    assert_eq!(bad.body["errors"][0]["field"], "draft.contract_share");
    let bad = what_if(
        w,
        &w.jx_regulator.token,
        json!({"year": 2026, "draft": draft(json!({"use_deadline": "13-01"}))}),
    )
    .await;
    assert_eq!(
        bad.body["errors"][0]["field"], "draft.use_deadline",
        "{}",
        bad.text
    );
    let bad = what_if(
        w,
        &w.jx_regulator.token,
        json!({"year": 2026, "draft": draft(json!({"bonus": "1"}))}),
    )
    .await;
    bad.assert_problem(422, "validation_failed");
    let bad = what_if(
        w,
        &w.jx_regulator.token,
        json!({"year": 1999, "draft": jx_policy()}),
    )
    .await;
    bad.assert_problem(422, "validation_failed");

    // Only JX's regulator; and like every POST, with a key.
    let body = json!({"year": 2026, "draft": jx_policy()});
    for token in [&w.sh_regulator.token, &w.jx_company.token, &w.admin] {
        what_if(w, token, body.clone())
            .await
            .assert_problem(403, "forbidden");
    }
    let keyless = w
        .app
        .send(Req {
            method: "POST",
            path: "/api/v1/regions/JX/policy/what-if",
            token: Some(&w.jx_regulator.token),
            key: None,
            body: Some(body.to_string()),
            content_type: Some(rocket::http::ContentType::JSON),
        })
        .await;
    keyless.assert_problem(400, "idempotency_key_required");
}
