//! Health, the OpenAPI description, Swagger UI and request ids.

use crate::helpers::{Req, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_reports_the_database() {
    let app = TestApp::spawn().await;
    let answer = app.send(Req::get("/health")).await;
    assert_eq!(answer.status.code, 200);
    assert_eq!(
        answer.body,
        serde_json::json!({"status": "ok", "database": "ok"})
    );

    app.db.close().await.unwrap();
    let down = app.send(Req::get("/health")).await;
    down.assert_problem(503, "unavailable");
    assert!(down.header("Retry-After").is_some());
    assert!(
        !down.text.to_lowercase().contains("pool"),
        "no internals: {}",
        down.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_fail_with_503_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    app.db.close().await.unwrap();
    let answer = app
        .post(
            "/api/v1/organizations",
            &token,
            "k-1",
            &crate::helpers::company("SH"),
        )
        .await;
    answer.assert_problem(503, "unavailable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_describes_every_route() {
    let app = TestApp::spawn().await;
    let answer = app.send(Req::get("/openapi.json")).await;
    assert_eq!(answer.status.code, 200);
    let doc = answer.body;
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for route in app.client.rocket().routes() {
        let path = route
            .uri
            .path()
            .to_string()
            .replace('<', "{")
            .replace('>', "}");
        // The portal's pages are HTML for people, not part of the API.
        if !path.starts_with("/api/") && path != "/health" {
            continue;
        }
        let method = route.method.as_str().to_lowercase();
        assert!(
            paths.get(&path).and_then(|p| p.get(&method)).is_some(),
            "{method} {path} is not described"
        );
    }
    for schema in [
        "Problem",
        "OrganizationCreated",
        "NewOrganizationRequest",
        "TokenRequest",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swagger_ui_is_served_offline() {
    let app = TestApp::spawn().await;
    let page = app.send(Req::get("/docs/")).await;
    assert_eq!(page.status.code, 200);
    assert!(
        page.text.contains("swagger"),
        "{}",
        &page.text[..200.min(page.text.len())]
    );
    let policy = page.header("Content-Security-Policy").unwrap_or_default();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    let config = app.send(Req::get("/docs/swagger-initializer.js")).await;
    assert_eq!(config.status.code, 200);
    assert!(config.text.contains("/openapi.json"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_a_request_id() {
    let app = TestApp::spawn().await;
    let ok = app.send(Req::get("/health")).await;
    let id = ok.header("X-Request-Id").expect("a request id");
    assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 7);
    let missing = app.send(Req::get("/nowhere")).await;
    assert!(missing.header("X-Request-Id").is_some());

    let mut request = app.client.get("/health");
    request.add_header(rocket::http::Header::new("X-Request-Id", "trace-abc-123"));
    let response = request.dispatch().await;
    assert_eq!(
        response.headers().get_one("X-Request-Id"),
        Some("trace-abc-123")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_backend_is_the_one_asked_for() {
    let app = TestApp::spawn().await;
    let expected = if std::env::var("TEST_DATABASE_URL").is_ok() {
        sea_orm::DbBackend::Postgres
    } else {
        sea_orm::DbBackend::Sqlite
    };
    assert_eq!(app.db.backend(), expected);
}
