//! The authorization matrix: every endpoint × every role, with the caller's
//! own record, another organisation's and another region's → the expected
//! status, from one table. Bodies are chosen to fail *after* authorization
//! where they can (a 422 or 409 means "allowed in, then refused"), so that
//! the rows do not depend on each other. The table must name every
//! operation of the OpenAPI description.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::helpers::{credit_code, new_key, Req};
use crate::world::World;

/// The callers, in the order of each row's expectations.
const CALLERS: [&str; 8] = [
    "anonymous",
    "operator",
    "SH regulator (other region)",
    "JX regulator (own region)",
    "JX company (own)",
    "JX company (other)",
    "SH lab (own provider)",
    "JX lab (other provider)",
];

struct Row {
    method: &'static str,
    /// The OpenAPI path template.
    template: &'static str,
    path: String,
    body: Option<Value>,
    expect: [u16; 8],
}

fn row(
    method: &'static str,
    template: &'static str,
    path: impl Into<String>,
    body: Option<Value>,
    expect: [u16; 8],
) -> Row {
    Row {
        method,
        template,
        path: path.into(),
        body,
        expect,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_meets_every_endpoint_as_the_table_says() {
    let w = World::new().await;
    let (jx, sh_lab) = (&w.jx_regulator, &w.sh_lab);
    // A voucher of the JX company with a held redemption at the SH lab, a
    // completed one in a paid claim, two applications waiting, and a
    // voucher to revoke.
    let v = w.voucher(&w.jx_company, jx, "JX", "10000.00").await;
    let v_revoke = w.voucher(&w.jx_company, jx, "JX", "100.00").await;
    let held = w
        .hold(&w.jx_company, &v, sh_lab, "M-1", "1000.00", "500.00")
        .await;
    let r = held.body["id"].as_str().unwrap().to_owned();
    let done = w
        .hold(&w.jx_company, &v, sh_lab, "M-2", "1000.00", "500.00")
        .await;
    let r_done = done.body["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/redemptions/{r_done}/complete");
    assert_eq!(
        w.post(&sh_lab.token, &path, json!({})).await.status.code,
        200
    );
    let claim = w.claim(sh_lab, &[&r_done], "M-INV-1").await;
    let c = claim.body["id"].as_str().unwrap().to_owned();
    assert_eq!(w.approve_claim(jx, &c).await.status.code, 200);
    assert_eq!(w.pay_claim(jx, &c, "B-1").await.status.code, 200);
    let mut applications = Vec::new();
    for purpose in ["检测", "研发"] {
        let a = w
            .post(
                &w.jx_company.token,
                "/api/v1/applications",
                json!({"region": "JX", "year": 2026, "amount": "1000.00", "purpose": purpose}),
            )
            .await;
        applications.push(a.body["id"].as_str().unwrap().to_owned());
    }
    let (a_pending, a_reject) = (&applications[0], &applications[1]);
    let (vid, v_revoke) = (v["id"].as_str().unwrap(), v_revoke["id"].as_str().unwrap());
    let (company, company_2) = (w.jx_company.id, w.jx_company_2.id);
    let nobody = "0190d1c2-7d4e-7a57-9b3c-1b2a3c4d5e6f";

    let people = format!("/api/v1/organizations/{company}/users");
    let people = w.app.get(&people, &w.jx_company.token).await;
    let person = people.body[0]["id"].as_str().expect("a person").to_owned();
    let clients = format!("/api/v1/organizations/{company}/clients");
    let clients = w.app.get(&clients, &w.jx_company.token).await;
    let client = clients.body[0]["client_id"].as_str().expect("a client");
    let client = client.to_owned();

    // A bank account of the SH lab, entered by its administrator.
    let lab = sh_lab.id;
    let lab_admin = w.app.administrator(lab).await;
    let account = json!({"account_name": "上海测试技术研究院", "account_number": "6222021001123456789",
        "bank_name": "中国工商银行上海分行", "cnaps_code": "102290000011", "valid_from": "2026-03-01"});
    let entered = w
        .post(
            &lab_admin,
            &format!("/api/v1/organizations/{lab}/bank-accounts"),
            account.clone(),
        )
        .await;
    assert_eq!(entered.status.code, 201, "{}", entered.text);
    let bank_account = entered.body["id"].as_str().unwrap().to_owned();

    // Two JX settlement runs in draft (February and January have ended).
    let mut runs = Vec::new();
    for period in ["2026-02", "2026-01"] {
        let made = w
            .post(
                &jx.token,
                "/api/v1/regions/JX/settlement-runs",
                json!({ "period": period }),
            )
            .await;
        assert_eq!(made.status.code, 201, "{}", made.text);
        runs.push(made.body["id"].as_str().unwrap().to_owned());
    }
    let (run, run_cancel) = (&runs[0], &runs[1]);

    // The SH lab asks Shanghai to admit it for one more category.
    let asked = json!({"categories": ["ip"], "statement": "矩阵：知识产权服务"});
    let asked = w
        .post(
            &sh_lab.token,
            "/api/v1/regions/SH/admission-requests",
            asked,
        )
        .await;
    assert_eq!(asked.status.code, 201, "{}", asked.text);
    let ar = asked.body["id"].as_str().unwrap().to_owned();

    //                                       anon  op   SHr  JXr  co   co2  SHl  JXl
    let rows = vec![
        // Settlement runs: the paying region's regulator only; freezing and
        // approving need a person (the JX token here is an API client).
        row(
            "post",
            "/api/v1/regions/{region}/settlement-runs",
            "/api/v1/regions/JX/settlement-runs",
            Some(json!({"period": "2026-13"})),
            [401, 403, 403, 422, 403, 403, 403, 403],
        ),
        row(
            "get",
            "/api/v1/regions/{region}/settlement-runs",
            "/api/v1/regions/JX/settlement-runs",
            None,
            [401, 403, 403, 200, 403, 403, 403, 403],
        ),
        row(
            "get",
            "/api/v1/settlement-runs/{id}",
            format!("/api/v1/settlement-runs/{run}"),
            None,
            [401, 403, 404, 200, 403, 403, 403, 403],
        ),
        row(
            "post",
            "/api/v1/settlement-runs/{id}/freeze",
            format!("/api/v1/settlement-runs/{run}/freeze"),
            Some(json!({})),
            [401, 403, 404, 403, 403, 403, 403, 403],
        ),
        row(
            "post",
            "/api/v1/settlement-runs/{id}/approve",
            format!("/api/v1/settlement-runs/{run}/approve"),
            Some(json!({})),
            [401, 403, 404, 403, 403, 403, 403, 403],
        ),
        row(
            "post",
            "/api/v1/settlement-runs/{id}/export",
            format!("/api/v1/settlement-runs/{run}/export"),
            Some(json!({})),
            [401, 403, 404, 409, 403, 403, 403, 403],
        ),
        row(
            "post",
            "/api/v1/settlement-runs/{id}/cancel",
            format!("/api/v1/settlement-runs/{run_cancel}/cancel"),
            Some(json!({"reason": "wrong period"})),
            [401, 403, 404, 200, 403, 403, 403, 403],
        ),
        row(
            "post",
            "/api/v1/settlement-runs/{id}/reconcile",
            format!("/api/v1/settlement-runs/{run}/reconcile"),
            Some(json!({})),
            [401, 403, 404, 409, 403, 403, 403, 403],
        ),
        row(
            "post",
            "/api/v1/settlement-runs/{id}/close",
            format!("/api/v1/settlement-runs/{run}/close"),
            Some(json!({})),
            [401, 403, 404, 409, 403, 403, 403, 403],
        ),
        row(
            "post",
            "/api/v1/regions/{region}/bank-files",
            "/api/v1/regions/JX/bank-files",
            Some(json!({"format": "camt.999", "name": "s.xml", "content": "<x/>"})),
            [401, 403, 403, 422, 403, 403, 403, 403],
        ),
        row(
            "get",
            "/api/v1/regions/{region}/settlement-exceptions",
            "/api/v1/regions/JX/settlement-exceptions",
            None,
            [401, 403, 403, 200, 403, 403, 403, 403],
        ),
        row(
            "post",
            "/api/v1/settlement-exceptions/{id}/resolve",
            format!("/api/v1/settlement-exceptions/{nobody}/resolve"),
            Some(json!({"resolution": "checked with the bank"})),
            [401, 403, 404, 404, 403, 403, 403, 403],
        ),
        // A provider's payments: the provider, and regulators (theirs).
        row(
            "get",
            "/api/v1/organizations/{id}/payments",
            format!("/api/v1/organizations/{lab}/payments"),
            None,
            [401, 404, 200, 200, 404, 404, 200, 404],
        ),
        row(
            "get",
            "/api/v1/settlement-runs/{id}/items/{item_id}/advice",
            format!("/api/v1/settlement-runs/{run}/items/{nobody}/advice"),
            None,
            [401, 404, 404, 404, 404, 404, 404, 404],
        ),
        // The JX -> SH statement: the regulators of both regions, operators.
        row(
            "get",
            "/api/v1/settlement-statements",
            "/api/v1/settlement-statements?issuer=JX&provider_region=SH&period=2026-02",
            None,
            [401, 200, 200, 200, 403, 403, 403, 403],
        ),
        row(
            "get",
            "/api/v1/bank-files/{id}",
            format!("/api/v1/bank-files/{nobody}"),
            None,
            [401, 403, 404, 404, 403, 403, 403, 403],
        ),
        // Bank accounts: only the provider's administrator (a person) enters
        // one; the provider, its regulator and the regulators of the regions
        // that admitted it read them; its regulator approves (four eyes: a
        // person) or rejects.
        row(
            "post",
            "/api/v1/organizations/{id}/bank-accounts",
            format!("/api/v1/organizations/{lab}/bank-accounts"),
            Some(account),
            [401, 403, 403, 404, 404, 404, 403, 404],
        ),
        row(
            "get",
            "/api/v1/organizations/{id}/bank-accounts",
            format!("/api/v1/organizations/{lab}/bank-accounts"),
            None,
            [401, 200, 200, 200, 404, 404, 200, 404],
        ),
        row(
            "get",
            "/api/v1/bank-accounts",
            "/api/v1/bank-accounts",
            None,
            [401, 403, 200, 200, 403, 403, 403, 403],
        ),
        row(
            "post",
            "/api/v1/bank-accounts/{id}/approve",
            format!("/api/v1/bank-accounts/{bank_account}/approve"),
            Some(json!({})),
            [401, 403, 403, 404, 403, 403, 403, 403],
        ),
        row(
            "post",
            "/api/v1/bank-accounts/{id}/reject",
            format!("/api/v1/bank-accounts/{bank_account}/reject"),
            Some(json!({"reason": "开户名与营业执照不符"})),
            [401, 403, 200, 404, 403, 403, 403, 403],
        ),
        row(
            "get",
            "/health",
            "/health",
            None,
            [200, 200, 200, 200, 200, 200, 200, 200],
        ),
        row(
            "post",
            "/api/v1/auth/token",
            "/api/v1/auth/token",
            Some(json!({"client_id": "vl_matrix", "client_secret": "wrong"})),
            [401, 401, 401, 401, 401, 401, 401, 401],
        ),
        row(
            "post",
            "/api/v1/organizations",
            "/api/v1/organizations",
            Some(
                json!({"kind": "company", "name": "矩阵测试", "region": "SH",
                "credit_code": "FRESH", "company_type": "enterprise"}),
            ),
            [401, 201, 201, 403, 403, 403, 403, 403],
        ),
        row(
            "get",
            "/api/v1/organizations/{id}",
            format!("/api/v1/organizations/{company}"),
            None,
            [401, 200, 404, 200, 200, 404, 404, 404],
        ),
        // Only a person who administers the organisation manages its people
        // and clients: every API client here is refused (403 where it sees
        // the organisation, else 404).
        row(
            "post",
            "/api/v1/organizations/{id}/invitations",
            format!("/api/v1/organizations/{company}/invitations"),
            Some(json!({})),
            [401, 403, 404, 403, 403, 404, 404, 404],
        ),
        row(
            "post",
            "/api/v1/invitations/accept",
            "/api/v1/invitations/accept",
            Some(json!({"token": "no-such-invitation", "password": "correct horse battery"})),
            [404, 404, 404, 404, 404, 404, 404, 404],
        ),
        // Only a person has a password: every API client is refused.
        row(
            "post",
            "/api/v1/me/password",
            "/api/v1/me/password",
            Some(json!({"old_password": "x", "new_password": "correct horse battery"})),
            [401, 403, 403, 403, 403, 403, 403, 403],
        ),
        // Only a person has a second factor: every API client is refused.
        row(
            "post",
            "/api/v1/me/second-factor",
            "/api/v1/me/second-factor",
            Some(json!({})),
            [401, 403, 403, 403, 403, 403, 403, 403],
        ),
        row(
            "post",
            "/api/v1/me/second-factor/confirm",
            "/api/v1/me/second-factor/confirm",
            Some(json!({"code": "123456"})),
            [401, 403, 403, 403, 403, 403, 403, 403],
        ),
        row(
            "post",
            "/api/v1/organizations/{id}/clients",
            format!("/api/v1/organizations/{company}/clients"),
            Some(json!({})),
            [401, 403, 404, 403, 403, 404, 404, 404],
        ),
        row(
            "get",
            "/api/v1/organizations/{id}/clients",
            format!("/api/v1/organizations/{company}/clients"),
            None,
            [401, 404, 404, 404, 200, 404, 404, 404],
        ),
        row(
            "post",
            "/api/v1/organizations/{id}/clients/{client_id}/revoke",
            format!("/api/v1/organizations/{company}/clients/{client}/revoke"),
            Some(json!({})),
            [401, 403, 404, 403, 403, 404, 404, 404],
        ),
        // Its registrar suspends an organisation, and reinstates it (the
        // other JX company here; its token lives out its lifetime).
        row(
            "post",
            "/api/v1/organizations/{id}/suspend",
            format!("/api/v1/organizations/{company_2}/suspend"),
            Some(json!({})),
            [401, 403, 404, 200, 404, 403, 404, 404],
        ),
        row(
            "post",
            "/api/v1/organizations/{id}/reinstate",
            format!("/api/v1/organizations/{company_2}/reinstate"),
            Some(json!({})),
            [401, 403, 404, 200, 404, 403, 404, 404],
        ),
        row(
            "get",
            "/api/v1/organizations/{id}/users",
            format!("/api/v1/organizations/{company}/users"),
            None,
            [401, 200, 404, 200, 200, 404, 404, 404],
        ),
        row(
            "post",
            "/api/v1/organizations/{id}/users/{user_id}/disable",
            format!("/api/v1/organizations/{company}/users/{person}/disable"),
            Some(json!({})),
            [401, 403, 404, 403, 403, 404, 404, 404],
        ),
        // The registrar (JX's regulator) may unlock the company's
        // administrator; nobody else but the company's own administrators.
        row(
            "post",
            "/api/v1/organizations/{id}/users/{user_id}/unlock",
            format!("/api/v1/organizations/{company}/users/{person}/unlock"),
            Some(json!({})),
            [401, 403, 404, 200, 403, 404, 404, 404],
        ),
        row(
            "post",
            "/api/v1/regions/{region}/budgets",
            "/api/v1/regions/JX/budgets",
            Some(json!({"year": 1999, "amount": "1.00"})),
            [401, 403, 403, 422, 403, 403, 403, 403],
        ),
        row(
            "get",
            "/api/v1/regions/{region}/budgets/{year}",
            "/api/v1/regions/JX/budgets/2026",
            None,
            [401, 403, 403, 200, 403, 403, 403, 403],
        ),
        row(
            "post",
            "/api/v1/regions/{region}/admissions",
            "/api/v1/regions/JX/admissions",
            Some(json!({"provider_id": sh_lab.id, "categories": []})),
            [401, 403, 403, 422, 403, 403, 403, 403],
        ),
        row(
            "post",
            "/api/v1/regions/{region}/admission-requests",
            "/api/v1/regions/JX/admission-requests",
            Some(json!({"categories": [], "statement": "矩阵"})),
            [401, 403, 403, 403, 403, 403, 422, 422],
        ),
        row(
            "get",
            "/api/v1/admission-requests",
            "/api/v1/admission-requests",
            None,
            [401, 403, 200, 200, 403, 403, 200, 200],
        ),
        row(
            "get",
            "/api/v1/admission-requests/{id}",
            format!("/api/v1/admission-requests/{ar}"),
            None,
            [401, 404, 200, 404, 404, 404, 200, 404],
        ),
        // Only a district's regulator recommends (tests/api/admission_review.rs).
        row(
            "post",
            "/api/v1/admission-requests/{id}/recommend",
            format!("/api/v1/admission-requests/{ar}/recommend"),
            Some(json!({})),
            [401, 403, 403, 403, 403, 403, 403, 403],
        ),
        row(
            "post",
            "/api/v1/admission-requests/{id}/admit",
            format!("/api/v1/admission-requests/{ar}/admit"),
            Some(json!({"categories": ["rnd"]})),
            [401, 403, 422, 404, 403, 403, 403, 403],
        ),
        row(
            "post",
            "/api/v1/admission-requests/{id}/reject",
            format!("/api/v1/admission-requests/{ar}/reject"),
            Some(json!({"reason": " "})),
            [401, 403, 422, 404, 403, 403, 403, 403],
        ),
        row(
            "get",
            "/api/v1/regions/{region}/policy",
            "/api/v1/regions/JX/policy",
            None,
            [401, 200, 200, 200, 200, 200, 200, 200],
        ),
        row(
            "post",
            "/api/v1/regions/{region}/policy/what-if",
            "/api/v1/regions/JX/policy/what-if",
            Some(json!({"year": 1999, "draft": {
                "effective_from": "1999-01-01", "enterprise_cap": "1.00", "team_cap": "1.00",
                "contract_share": "0.5", "categories": ["testing"], "applicant_regions": ["JX"],
                "admits_provider_regions": ["JX"], "use_deadline": "12-31",
                "claim_deadline": "03-31", "settlement_cycle": "monthly"}})),
            [401, 403, 403, 422, 403, 403, 403, 403],
        ),
        row(
            "post",
            "/api/v1/applications",
            "/api/v1/applications",
            Some(json!({"region": "JX", "year": 1999, "amount": "1.00", "purpose": "x"})),
            [401, 403, 403, 403, 422, 422, 403, 403],
        ),
        row(
            "post",
            "/api/v1/applications/{id}/approve",
            format!("/api/v1/applications/{a_pending}/approve"),
            Some(json!({"amount": "99999999.00"})),
            [401, 403, 404, 422, 403, 403, 403, 403],
        ),
        // Only a district's regulator recommends (tests/api/review.rs).
        row(
            "post",
            "/api/v1/applications/{id}/recommend",
            format!("/api/v1/applications/{a_pending}/recommend"),
            Some(json!({})),
            [401, 403, 403, 403, 403, 403, 403, 403],
        ),
        row(
            "post",
            "/api/v1/applications/{id}/reject",
            format!("/api/v1/applications/{a_reject}/reject"),
            Some(json!({"reason": "矩阵"})),
            [401, 403, 404, 200, 403, 403, 403, 403],
        ),
        row(
            "get",
            "/api/v1/applications",
            "/api/v1/applications",
            None,
            [401, 403, 200, 200, 200, 200, 403, 403],
        ),
        row(
            "get",
            "/api/v1/applications/{id}",
            format!("/api/v1/applications/{a_pending}"),
            None,
            [401, 404, 404, 200, 200, 404, 404, 404],
        ),
        row(
            "get",
            "/api/v1/vouchers",
            "/api/v1/vouchers",
            None,
            [401, 403, 200, 200, 200, 200, 403, 403],
        ),
        row(
            "get",
            "/api/v1/vouchers/{id}",
            format!("/api/v1/vouchers/{vid}"),
            None,
            [401, 404, 404, 200, 200, 404, 404, 404],
        ),
        row(
            "post",
            "/api/v1/vouchers/{id}/revoke",
            format!("/api/v1/vouchers/{v_revoke}/revoke"),
            Some(json!({"reason": "矩阵"})),
            // The JX regulator's API client: a voucher with a balance needs
            // two people (four eyes).
            [401, 403, 404, 403, 403, 403, 403, 403],
        ),
        row(
            "post",
            "/api/v1/redemptions",
            "/api/v1/redemptions",
            Some(
                json!({"voucher_id": vid, "provider_id": sh_lab.id, "contract_no": "M-9",
                "contract_amount": "10.00", "service_category": "testing", "amount": "999999.00"}),
            ),
            [401, 403, 403, 403, 422, 404, 403, 403],
        ),
        row(
            "post",
            "/api/v1/redemptions/{id}/complete",
            format!("/api/v1/redemptions/{r}/complete"),
            Some(json!({"amount": "999999.00"})),
            [401, 403, 403, 403, 403, 403, 422, 404],
        ),
        row(
            "post",
            "/api/v1/redemptions/{id}/cancel",
            format!("/api/v1/redemptions/{r_done}/cancel"),
            Some(json!({})),
            [401, 403, 403, 403, 409, 404, 409, 404],
        ),
        row(
            "get",
            "/api/v1/redemptions",
            "/api/v1/redemptions",
            None,
            [401, 403, 200, 200, 200, 200, 200, 200],
        ),
        // A rating: the company of a completed redemption (this one is held).
        row(
            "post",
            "/api/v1/redemptions/{id}/rating",
            format!("/api/v1/redemptions/{r}/rating"),
            Some(json!({"score": 4})),
            [401, 403, 403, 403, 409, 404, 403, 403],
        ),
        row(
            "get",
            "/api/v1/regions/{region}/provider-ratings",
            "/api/v1/regions/JX/provider-ratings",
            None,
            [401, 403, 403, 200, 403, 403, 403, 403],
        ),
        row(
            "get",
            "/api/v1/redemptions/{id}",
            format!("/api/v1/redemptions/{r}"),
            None,
            [401, 404, 200, 200, 200, 404, 200, 404],
        ),
        row(
            "post",
            "/api/v1/claims",
            "/api/v1/claims",
            Some(json!({"redemption_ids": [], "invoice_no": "M-INV-2"})),
            [401, 403, 403, 403, 403, 403, 422, 422],
        ),
        row(
            "post",
            "/api/v1/claims/{id}/approve",
            format!("/api/v1/claims/{c}/approve"),
            Some(json!({})),
            [401, 403, 404, 409, 403, 403, 403, 403],
        ),
        row(
            "post",
            "/api/v1/claims/{id}/reject",
            format!("/api/v1/claims/{c}/reject"),
            Some(json!({"reason": "矩阵"})),
            [401, 403, 404, 409, 403, 403, 403, 403],
        ),
        row(
            "post",
            "/api/v1/claims/{id}/pay",
            format!("/api/v1/claims/{c}/pay"),
            Some(json!({"bank_reference": "B-2"})),
            [401, 403, 404, 409, 403, 403, 403, 403],
        ),
        // Four eyes: regulators list their region's decisions that wait;
        // confirming and withdrawing need a person (these callers are API
        // clients, and the request does not exist).
        row(
            "get",
            "/api/v1/confirmations",
            "/api/v1/confirmations",
            None,
            [401, 403, 200, 200, 403, 403, 403, 403],
        ),
        row(
            "post",
            "/api/v1/confirmations/{id}/confirm",
            format!("/api/v1/confirmations/{nobody}/confirm"),
            Some(json!({})),
            [401, 403, 404, 404, 403, 403, 403, 403],
        ),
        row(
            "post",
            "/api/v1/confirmations/{id}/withdraw",
            format!("/api/v1/confirmations/{nobody}/withdraw"),
            Some(json!({})),
            [401, 403, 404, 404, 403, 403, 403, 403],
        ),
        row(
            "get",
            "/api/v1/claims",
            "/api/v1/claims",
            None,
            [401, 403, 200, 200, 403, 403, 200, 200],
        ),
        row(
            "get",
            "/api/v1/claims/{id}",
            format!("/api/v1/claims/{c}"),
            None,
            [401, 404, 404, 200, 404, 404, 200, 404],
        ),
        // Evidence: providers upload (the body here is no document: 422
        // once let in); the claim's readers list and download.
        row(
            "post",
            "/api/v1/claims/{id}/documents",
            format!("/api/v1/claims/{c}/documents?kind=invoice"),
            Some(json!({})),
            [401, 403, 403, 403, 403, 403, 422, 422],
        ),
        row(
            "get",
            "/api/v1/claims/{id}/documents",
            format!("/api/v1/claims/{c}/documents"),
            None,
            [401, 404, 404, 200, 404, 404, 200, 404],
        ),
        row(
            "get",
            "/api/v1/claims/{id}/documents/{kind}",
            format!("/api/v1/claims/{c}/documents/invoice"),
            None,
            [401, 404, 404, 200, 404, 404, 200, 404],
        ),
        // Public notice: anyone reads and objects, without a token.
        row(
            "get",
            "/api/v1/notices",
            "/api/v1/notices?region=SH",
            None,
            [200, 200, 200, 200, 200, 200, 200, 200],
        ),
        row(
            "post",
            "/api/v1/notices/{id}/objections",
            format!("/api/v1/notices/{nobody}/objections"),
            Some(json!({"name": "张伟", "contact": "x", "text": "矩阵"})),
            [404, 404, 404, 404, 404, 404, 404, 404],
        ),
        row(
            "get",
            "/api/v1/regions/{region}/notices",
            "/api/v1/regions/JX/notices",
            None,
            [401, 403, 403, 200, 403, 403, 403, 403],
        ),
        row(
            "post",
            "/api/v1/objections/{id}/answer",
            format!("/api/v1/objections/{nobody}/answer"),
            Some(json!({"upheld": false, "note": "矩阵"})),
            [401, 403, 404, 404, 403, 403, 403, 403],
        ),
        row(
            "post",
            "/api/v1/admin/notice-runs",
            "/api/v1/admin/notice-runs",
            Some(json!({})),
            [401, 200, 403, 403, 403, 403, 403, 403],
        ),
        row(
            "post",
            "/api/v1/admin/expiry-runs",
            "/api/v1/admin/expiry-runs",
            Some(json!({"as_of": "2100-01-01T00:00:00Z"})),
            [401, 422, 403, 403, 403, 403, 403, 403],
        ),
        row(
            "get",
            "/api/v1/audit/events",
            "/api/v1/audit/events?region=JX",
            None,
            [401, 200, 403, 200, 403, 403, 403, 403],
        ),
        row(
            "get",
            "/api/v1/audit/events/export",
            "/api/v1/audit/events/export?region=JX",
            None,
            [401, 200, 403, 200, 403, 403, 403, 403],
        ),
        row(
            "get",
            "/api/v1/audit/verify",
            "/api/v1/audit/verify?region=JX",
            None,
            [401, 200, 403, 200, 403, 403, 403, 403],
        ),
        row(
            "get",
            "/api/v1/reports/summary",
            "/api/v1/reports/summary?region=JX&year=2026",
            None,
            [401, 200, 403, 200, 403, 403, 403, 403],
        ),
        row(
            "get",
            "/api/v1/reports/cross-region",
            "/api/v1/reports/cross-region",
            None,
            [401, 200, 200, 200, 403, 403, 403, 403],
        ),
        row(
            "get",
            "/api/v1/organizations/{id}",
            format!("/api/v1/organizations/{nobody}"),
            None,
            [401, 404, 404, 404, 404, 404, 404, 404],
        ),
    ];

    let tokens = [
        None,
        Some(w.admin.as_str()),
        Some(w.sh_regulator.token.as_str()),
        Some(jx.token.as_str()),
        Some(w.jx_company.token.as_str()),
        Some(w.jx_company_2.token.as_str()),
        Some(sh_lab.token.as_str()),
        Some(w.jx_lab.token.as_str()),
    ];
    let mut wrong = Vec::new();
    for row in &rows {
        for (n, token) in tokens.iter().enumerate() {
            let mut body = row.body.clone();
            if let Some(b) = body.as_mut().filter(|b| b["credit_code"] == "FRESH") {
                b["credit_code"] = json!(credit_code());
            }
            let key = new_key();
            let answer = w
                .app
                .send(Req {
                    method: &row.method.to_uppercase(),
                    path: &row.path,
                    token: *token,
                    key: (row.method == "post").then_some(key.as_str()),
                    body: body.map(|b| b.to_string()),
                    content_type: row.body.as_ref().map(|_| rocket::http::ContentType::JSON),
                })
                .await;
            if answer.status.code != row.expect[n] {
                wrong.push(format!(
                    "{} {} as {}: expected {}, got {} {}",
                    row.method,
                    row.path,
                    CALLERS[n],
                    row.expect[n],
                    answer.status.code,
                    answer.text
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} cells differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );

    // No operation of the published API is missing from the table.
    let spec = w.get(&w.admin, "/openapi.json").await.body;
    let covered: BTreeSet<(String, String)> = rows
        .iter()
        .map(|r| (r.method.to_owned(), r.template.to_owned()))
        .collect();
    let mut missing = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if !covered.contains(&(method.clone(), path.clone())) {
                missing.push(format!("{method} {path}"));
            }
        }
    }
    assert!(missing.is_empty(), "operations without a row: {missing:?}");
}
