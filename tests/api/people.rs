//! The people of an organisation: who may add, list and disable them; what
//! a login and a password must be; the password never leaves the service.

use serde_json::json;

use crate::helpers::{company, new_key, provider, TestApp};

fn person(login: &str) -> serde_json::Value {
    json!({"login": login, "display_name": "王芳", "password": "correct horse battery"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organisation_adds_lists_and_disables_its_people() {
    let app = TestApp::spawn().await;
    let (_, sh_regulator) = app.regulator("SH").await;
    let (company_id, company_token) = app.register(&sh_regulator, company("SH")).await;
    let path = format!("/api/v1/organizations/{company_id}/users");

    let key = new_key();
    let created = app
        .post(&path, &company_token, &key, &person("wang.fang"))
        .await;
    assert_eq!(created.status.code, 201, "{}", created.text);
    assert_eq!(created.body["login"], "wang.fang");
    assert_eq!(created.body["display_name"], "王芳");
    assert_eq!(created.body["organization_id"], company_id.to_string());
    assert_eq!(created.body["disabled"], false);
    assert!(created.body.get("password").is_none());
    assert!(!created.text.contains("correct horse"), "{}", created.text);
    // A retry (even with another password) replays the first answer.
    let mut again = person("wang.fang");
    again["password"] = json!("another long password");
    let replay = app.post(&path, &company_token, &key, &again).await;
    assert_eq!(replay.status.code, 201);
    assert_eq!(replay.body["id"], created.body["id"]);
    assert_eq!(app.count("users").await, 1);
    // Stored as Argon2id only; the idempotency record holds no fast hash of it.
    let stored = app.scalar_text("SELECT password_hash FROM users").await;
    assert!(stored.starts_with("$argon2id$"), "{stored}");

    // The regulator of its region adds one too; the same login, differently
    // cased, is taken.
    let taken = app
        .post(&path, &sh_regulator, &new_key(), &person("WANG.FANG"))
        .await;
    taken.assert_problem(409, "conflict");
    let second = app
        .post(&path, &sh_regulator, &new_key(), &person("li.lei"))
        .await;
    assert_eq!(second.status.code, 201, "{}", second.text);

    let listed = app.get(&path, &company_token).await;
    assert_eq!(listed.status.code, 200, "{}", listed.text);
    let logins: Vec<&str> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["login"].as_str().unwrap())
        .collect();
    assert_eq!(logins, ["wang.fang", "li.lei"]);

    let user_id = created.body["id"].as_str().unwrap();
    let disable = format!("{path}/{user_id}/disable");
    let disabled = app
        .post(&disable, &company_token, &new_key(), &json!({}))
        .await;
    assert_eq!(disabled.status.code, 200, "{}", disabled.text);
    assert_eq!(disabled.body["disabled"], true);
    let again = app
        .post(&disable, &company_token, &new_key(), &json!({}))
        .await;
    assert_eq!(again.status.code, 200, "disabling twice changes nothing");
    let listed = app.get(&path, &sh_regulator).await;
    assert_eq!(listed.body[0]["disabled"], true);
    assert_eq!(listed.body[1]["disabled"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_organisation_operators_and_its_regulators_manage_its_people() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (sh_regulator_id, sh_regulator) = app.regulator("SH").await;
    let (_, zj_regulator) = app.regulator("ZJ").await;
    let (company_id, _) = app.register(&sh_regulator, company("SH")).await;
    let (_, other_company) = app.register(&sh_regulator, company("SH")).await;
    let (_, lab) = app.register(&sh_regulator, provider("SH")).await;
    let path = format!("/api/v1/organizations/{company_id}/users");

    let created = app
        .post(&path, &admin, &new_key(), &person("ops.made"))
        .await;
    assert_eq!(created.status.code, 201, "{}", created.text);
    for token in [&zj_regulator, &other_company, &lab] {
        app.post(&path, token, &new_key(), &person("intruder"))
            .await
            .assert_problem(404, "not_found");
        app.get(&path, token).await.assert_problem(404, "not_found");
    }
    // A regulator's own people are an operator's to manage (or its own).
    let regulator_people = format!("/api/v1/organizations/{sh_regulator_id}/users");
    let own = app
        .post(
            &regulator_people,
            &sh_regulator,
            &new_key(),
            &person("sh.officer"),
        )
        .await;
    assert_eq!(own.status.code, 201, "{}", own.text);
    app.post(
        &regulator_people,
        &zj_regulator,
        &new_key(),
        &person("zj.spy"),
    )
    .await
    .assert_problem(404, "not_found");
    let unknown = format!("/api/v1/organizations/{}/users", uuid::Uuid::now_v7());
    app.get(&unknown, &admin)
        .await
        .assert_problem(404, "not_found");
    assert_eq!(app.count("users").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_and_passwords_are_checked_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let (_, sh_regulator) = app.regulator("SH").await;
    let (company_id, company_token) = app.register(&sh_regulator, company("SH")).await;
    let path = format!("/api/v1/organizations/{company_id}/users");
    let long = "x".repeat(65);
    let cases = [
        json!({"login": "ab", "display_name": "甲", "password": "correct horse battery"}),
        json!({"login": long, "display_name": "甲", "password": "correct horse battery"}),
        json!({"login": "two words", "display_name": "甲", "password": "correct horse battery"}),
        json!({"login": "a\u{202e}bc", "display_name": "甲", "password": "correct horse battery"}),
        json!({"login": "short.pw", "display_name": "甲", "password": "elevenchars"}),
        json!({"login": "no.name", "display_name": " ", "password": "correct horse battery"}),
    ];
    for body in cases {
        let answer = app.post(&path, &company_token, &new_key(), &body).await;
        answer.assert_problem(422, "validation_failed");
    }
    let extra = json!({"login": "x.y", "display_name": "甲", "password": "correct horse battery", "role": "admin"});
    let answer = app.post(&path, &company_token, &new_key(), &extra).await;
    assert_eq!(answer.status.code, 422, "{}", answer.text);
    assert_eq!(app.count("users").await, 0);
}
