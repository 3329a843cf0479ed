//! Registering and reading organisations: roles, regions, credit codes.

use serde_json::json;
use uuid::Uuid;

use crate::helpers::{company, new_key, provider, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_may_register_whom() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (_, sh_regulator) = app.regulator("SH").await;

    // The admin registers anything anywhere; a regulator its own region's
    // companies and providers.
    app.register(&admin, company("ZJ")).await;
    let (_, sh_company) = app.register(&sh_regulator, company("SH")).await;
    let (_, sh_provider) = app.register(&sh_regulator, provider("SH")).await;

    let cases = [
        (&sh_regulator, company("ZJ"), 403, "forbidden"),
        (&sh_regulator, provider("JX"), 403, "forbidden"),
        (
            &sh_regulator,
            json!({"kind": "regulator", "name": "x", "region": "SH"}),
            403,
            "forbidden",
        ),
        (&sh_company, company("SH"), 403, "forbidden"),
        (&sh_provider, provider("SH"), 403, "forbidden"),
    ];
    let before = app.count("organizations").await;
    for (token, body, status, code) in cases {
        let answer = app
            .post("/api/v1/organizations", token, &new_key(), &body)
            .await;
        answer.assert_problem(status, code);
    }
    assert_eq!(
        app.count("organizations").await,
        before,
        "refusals change nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_may_read_an_organization() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (_, sh_regulator) = app.regulator("SH").await;
    let (_, zj_regulator) = app.regulator("ZJ").await;
    let (company_id, company_token) = app.register(&sh_regulator, company("SH")).await;
    let (_, other_company) = app.register(&sh_regulator, company("SH")).await;
    let (_, sh_provider) = app.register(&sh_regulator, provider("SH")).await;
    let path = format!("/api/v1/organizations/{company_id}");

    for token in [&admin, &company_token, &sh_regulator] {
        let answer = app.get(&path, token).await;
        assert_eq!(answer.status.code, 200, "{}", answer.text);
        assert_eq!(answer.body["id"], company_id.to_string());
        assert_eq!(answer.body["kind"], "company");
        assert_eq!(answer.body["region"], "SH");
        assert_eq!(answer.body["company_type"], "enterprise");
        assert!(answer.body.get("client_secret").is_none());
    }
    for token in [&zj_regulator, &other_company, &sh_provider] {
        app.get(&path, token).await.assert_problem(404, "not_found");
    }
    let unknown = format!("/api/v1/organizations/{}", Uuid::now_v7());
    app.get(&unknown, &admin)
        .await
        .assert_problem(404, "not_found");
    app.get("/api/v1/organizations/not-a-uuid", &admin)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_returns_the_organization_and_an_invitation_not_a_secret() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let mut body = company("JX");
    body["credit_code"] = json!("91350100m000100y43");
    let answer = app
        .post("/api/v1/organizations", &admin, &new_key(), &body)
        .await;
    assert_eq!(answer.status.code, 201, "{}", answer.text);
    assert_eq!(
        answer.body["credit_code"], "91350100M000100Y43",
        "normalised to upper case"
    );
    assert_eq!(answer.body["actual_controller"], "Zhang San");
    assert!(answer.body.get("client_id").is_none(), "{}", answer.text);
    assert!(
        answer.body.get("client_secret").is_none(),
        "{}",
        answer.text
    );
    assert_eq!(
        answer.body["invitation"]["token"].as_str().unwrap().len(),
        64
    );
    let id = answer.body["id"].as_str().unwrap();
    assert_eq!(Uuid::parse_str(id).unwrap().get_version_num(), 7);
    // No client is made for the organisation: its administrator does that.
    assert_eq!(app.count("credentials").await, 1, "the operator's only");
    assert_eq!(app.count("invitations").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credit_codes_are_checked() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    for (code, status, error) in [
        ("91350100M000100Y44", 422, "invalid_credit_code"), // wrong check character
        ("91350100M000100Y4", 422, "invalid_credit_code"),  // 17 characters
        ("91350100M000100Y433", 422, "invalid_credit_code"), // 19 characters
        ("91350100M000100I43", 422, "invalid_credit_code"), // I is not used
    ] {
        let mut body = company("SH");
        body["credit_code"] = json!(code);
        let answer = app
            .post("/api/v1/organizations", &admin, &new_key(), &body)
            .await;
        answer.assert_problem(status, error);
    }
    let mut body = company("SH");
    body["credit_code"] = json!("91350100M000100Y43");
    assert_eq!(
        app.post("/api/v1/organizations", &admin, &new_key(), &body)
            .await
            .status
            .code,
        201
    );
    // The same code twice for the same kind is a conflict; as a provider it is allowed.
    app.post("/api/v1/organizations", &admin, &new_key(), &body)
        .await
        .assert_problem(409, "conflict");
    let mut as_provider = provider("SH");
    as_provider["credit_code"] = json!("91350100M000100Y43");
    assert_eq!(
        app.post("/api/v1/organizations", &admin, &new_key(), &as_provider)
            .await
            .status
            .code,
        201
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_fields_are_all_reported() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let body = json!({"kind": "bank", "name": "", "region": "XX"});
    let answer = app
        .post("/api/v1/organizations", &admin, &new_key(), &body)
        .await;
    answer.assert_problem(422, "validation_failed");
    let fields: Vec<&str> = answer.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["kind", "name"]);
    // A well-formed but unknown region.
    let answer = app
        .post("/api/v1/organizations", &admin, &new_key(), &company("XX"))
        .await;
    answer.assert_problem(422, "validation_failed");
    assert_eq!(answer.body["errors"][0]["field"], "region");
    assert_eq!(app.count("organizations").await, 0);
}
