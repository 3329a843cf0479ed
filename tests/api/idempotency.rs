//! Idempotency-Key: replay, reuse, scope, errors and racing duplicates.

use crate::helpers::{company, new_key, send, Req, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeat_replays_the_first_answer_without_acting() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let key = new_key();
    let body = company("SH");
    let first = app.post("/api/v1/organizations", &admin, &key, &body).await;
    assert_eq!(first.status.code, 201, "{}", first.text);
    let again = app.post("/api/v1/organizations", &admin, &key, &body).await;
    assert_eq!(again.status.code, 201);
    assert_eq!(
        again.body,
        without_secret(&first.body),
        "the same answer, but the invitation is shown once"
    );
    assert!(first.body["invitation"]["token"].is_string());
    assert_eq!(app.count("organizations").await, 1);
}

/// A registration's answer as a repeat gives it: no invitation token, and
/// a note.
fn without_secret(answer: &serde_json::Value) -> serde_json::Value {
    let mut kept = answer.clone();
    kept["invitation"]["token"] = serde_json::Value::Null;
    kept["invitation"]["url"] = serde_json::Value::Null;
    kept["invitation"]["note"] = serde_json::json!(SHOWN_ONCE);
    kept
}

/// What a repeat of a registration says instead of the token.
const SHOWN_ONCE: &str = "the invitation is shown once, in the first answer; \
     while the organisation has no administrator, its registrar can invite one again";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_reused_with_another_body_is_refused() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let key = new_key();
    assert_eq!(
        app.post("/api/v1/organizations", &admin, &key, &company("SH"))
            .await
            .status
            .code,
        201
    );
    let other = app
        .post("/api/v1/organizations", &admin, &key, &company("ZJ"))
        .await;
    other.assert_problem(422, "idempotency_key_reused");
    assert_eq!(app.count("organizations").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_answer_is_replayed_too() {
    let app = TestApp::spawn().await;
    let (_, regulator) = app.regulator("SH").await;
    let key = new_key();
    let body = company("ZJ");
    let first = app
        .post("/api/v1/organizations", &regulator, &key, &body)
        .await;
    first.assert_problem(403, "forbidden");
    let again = app
        .post("/api/v1/organizations", &regulator, &key, &body)
        .await;
    again.assert_problem(403, "forbidden");
    assert_eq!(again.text, first.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_belong_to_their_caller() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (_, regulator) = app.regulator("SH").await;
    let key = new_key();
    let body = company("SH");
    assert_eq!(
        app.post("/api/v1/organizations", &admin, &key, &body)
            .await
            .status
            .code,
        201
    );
    // Another caller with the same key and body acts on its own (and here
    // meets the uniqueness of the credit code).
    app.post("/api/v1/organizations", &regulator, &key, &body)
        .await
        .assert_problem(409, "conflict");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_malformed_key_is_refused() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    for key in [None, Some(""), Some(&*"k".repeat(256)), Some("tab\there")] {
        let answer = app
            .send(Req {
                method: "POST",
                path: "/api/v1/organizations",
                token: Some(&admin),
                key,
                body: Some(company("SH").to_string()),
                content_type: Some(rocket::http::ContentType::JSON),
            })
            .await;
        answer.assert_problem(400, "idempotency_key_required");
    }
    assert_eq!(app.count("organizations").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_racing_duplicates_act_once() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let key = new_key();
    let body = company("JX").to_string();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let client = app.client.clone();
            let (admin, key, body) = (admin.clone(), key.clone(), body.clone());
            tokio::spawn(async move {
                send(
                    &client,
                    Req {
                        method: "POST",
                        path: "/api/v1/organizations",
                        token: Some(&admin),
                        key: Some(&key),
                        body: Some(body),
                        content_type: Some(rocket::http::ContentType::JSON),
                    },
                )
                .await
            })
        })
        .collect();
    let mut created = Vec::new();
    for task in tasks {
        let answer = task.await.unwrap();
        match answer.status.code {
            201 => created.push(answer.body),
            409 => answer.assert_problem(409, "idempotency_in_progress"),
            other => panic!("unexpected {other}: {}", answer.text),
        }
    }
    // One answer acted and shows the secret; the others replay it without.
    let acted: Vec<_> = created
        .iter()
        .filter(|a| a["invitation"]["token"].is_string())
        .collect();
    assert_eq!(acted.len(), 1, "{created:?}");
    let kept = without_secret(acted[0]);
    assert!(
        created.iter().all(|a| a == acted[0] || a == &kept),
        "every finished answer is the same"
    );
    assert_eq!(app.count("organizations").await, 1);
    // After the race, the key replays.
    let replay = app
        .post(
            "/api/v1/organizations",
            &admin,
            &key,
            &serde_json::from_str(&body).unwrap(),
        )
        .await;
    assert_eq!(replay.body, kept);
}
