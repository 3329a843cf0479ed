//! Rocket's own failures answer with problem+json too.

use rocket::http::ContentType;

use crate::helpers::{new_key, Req, TestApp};

fn post_raw<'a>(token: &'a str, key: &'a str, body: String, content_type: ContentType) -> Req<'a> {
    Req {
        method: "POST",
        path: "/api/v1/organizations",
        token: Some(token),
        key: Some(key),
        body: Some(body),
        content_type: Some(content_type),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_are_problems() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    app.get("/api/v1/nothing-here", &token)
        .await
        .assert_problem(404, "not_found");
    let answer = app
        .send(Req {
            method: "DELETE",
            path: "/health",
            token: None,
            key: None,
            body: None,
            content_type: None,
        })
        .await;
    // A known path with a method it does not take (issue 9: 405 with Allow).
    answer.assert_problem(405, "method_not_allowed");
    assert_eq!(answer.header("Allow"), Some("GET, HEAD"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_are_problems_and_change_nothing() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;

    let malformed = app
        .send(post_raw(
            &token,
            &new_key(),
            "{\"kind\": ".into(),
            ContentType::JSON,
        ))
        .await;
    malformed.assert_problem(400, "validation_failed");

    let mut body = crate::helpers::company("SH");
    body["colour"] = "blue".into();
    let unknown_field = app
        .send(post_raw(
            &token,
            &new_key(),
            body.to_string(),
            ContentType::JSON,
        ))
        .await;
    unknown_field.assert_problem(422, "validation_failed");
    assert!(
        unknown_field.body["detail"]
            .as_str()
            .unwrap()
            .contains("colour"),
        "{}",
        unknown_field.text
    );

    let wrong_type = app
        .send(post_raw(
            &token,
            &new_key(),
            r#"{"kind": 7, "name": "x", "region": "SH"}"#.into(),
            ContentType::JSON,
        ))
        .await;
    wrong_type.assert_problem(422, "validation_failed");
    assert_eq!(wrong_type.body["errors"][0]["field"], "kind");

    let oversize = format!(
        r#"{{"kind": "company", "name": "{}", "region": "SH"}}"#,
        "x".repeat(70 * 1024)
    );
    app.send(post_raw(&token, &new_key(), oversize, ContentType::JSON))
        .await
        .assert_problem(413, "payload_too_large");

    app.send(post_raw(
        &token,
        &new_key(),
        "kind=company".into(),
        ContentType::Form,
    ))
    .await
    .assert_problem(415, "unsupported_media_type");

    app.send(post_raw(
        &token,
        &new_key(),
        "[1, 2]".into(),
        ContentType::JSON,
    ))
    .await
    .assert_problem(422, "validation_failed");

    assert_eq!(app.count("organizations").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_problems() {
    let app = TestApp::spawn().await;
    let answer = app
        .send(Req {
            method: "POST",
            path: "/api/v1/auth/token",
            token: None,
            key: None,
            body: Some("not json".into()),
            content_type: Some(ContentType::JSON),
        })
        .await;
    answer.assert_problem(400, "validation_failed");
}
