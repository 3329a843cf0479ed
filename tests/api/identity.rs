//! Tokens: issuance and every way a token is refused.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use rocket::http::ContentType;
use serde_json::{json, Value};
use voucher_ledger::domain::clock::Clock;

use crate::helpers::{Req, TestApp, SECRET};

async fn token_answer(app: &TestApp, body: Value) -> crate::helpers::Answer {
    app.send(Req {
        method: "POST",
        path: "/api/v1/auth/token",
        token: None,
        key: None,
        body: Some(body.to_string()),
        content_type: Some(ContentType::JSON),
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_credentials_give_a_bearer_token() {
    let app = TestApp::spawn().await;
    let answer = token_answer(
        &app,
        json!({"client_id": app.admin.client_id, "client_secret": app.admin.client_secret}),
    )
    .await;
    assert_eq!(answer.status.code, 200, "{}", answer.text);
    assert_eq!(answer.body["token_type"], "Bearer");
    assert_eq!(answer.body["expires_in"], 3600);
    let token = answer.body["access_token"].as_str().unwrap();
    let (_, regulator_token) = app.regulator("SH").await;
    assert_ne!(token, regulator_token);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_are_refused() {
    let app = TestApp::spawn().await;
    let wrong_secret = token_answer(
        &app,
        json!({"client_id": app.admin.client_id, "client_secret": "0".repeat(64)}),
    )
    .await;
    wrong_secret.assert_problem(401, "unauthorized");
    assert_eq!(wrong_secret.header("WWW-Authenticate"), Some("Bearer"));
    let unknown_client = token_answer(
        &app,
        json!({"client_id": "vl_nobody", "client_secret": app.admin.client_secret}),
    )
    .await;
    unknown_client.assert_problem(401, "unauthorized");
    let missing = token_answer(&app, json!({"client_id": app.admin.client_id})).await;
    missing.assert_problem(422, "validation_failed");
}

/// Claims of a token as the service would issue them, `exp` and `nbf` moved.
/// Times are relative to the service's clock (`now`, in seconds).
fn claims(now: i64, sub: &str, aud: &str, nbf_offset: i64, exp_offset: i64) -> Value {
    json!({
        "iss": "voucher-ledger", "aud": aud, "sub": sub,
        "iat": now, "nbf": now + nbf_offset, "exp": now + exp_offset,
        "jti": "t", "role": "admin",
    })
}

fn sign(claims: &Value, secret: &[u8]) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret).unwrap(),
    )
    .unwrap()
}

async fn admin_sub(app: &TestApp) -> String {
    // The subject of a real admin token.
    let token = app.admin_token().await;
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["sub"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_stale_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let sub = admin_sub(&app).await;
    let (org, _) = app.regulator("SH").await;
    let path = format!("/api/v1/organizations/{org}");
    let now = app.clock.now().timestamp();

    // A token signed by the service's key with the right claims works.
    let good = sign(
        &claims(now, &sub, "voucher-ledger-api", 0, 600),
        SECRET.as_bytes(),
    );
    assert_eq!(app.get(&path, &good).await.status.code, 200);

    let wrong_key = sign(
        &claims(now, &sub, "voucher-ledger-api", 0, 600),
        b"another-key-another-key-another-key-0000",
    );
    let header_none = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload =
        URL_SAFE_NO_PAD.encode(claims(now, &sub, "voucher-ledger-api", 0, 600).to_string());
    let alg_none = format!("{header_none}.{payload}.");
    let tampered = {
        let parts: Vec<&str> = good.split('.').collect();
        let mut forged = claims(now, &sub, "voucher-ledger-api", 0, 600);
        forged["role"] = json!("regulator");
        forged["region"] = json!("ZJ");
        format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(forged.to_string()),
            parts[2]
        )
    };
    let expired = sign(
        &claims(now, &sub, "voucher-ledger-api", -7200, -3600),
        SECRET.as_bytes(),
    );
    let not_yet_valid = sign(
        &claims(now, &sub, "voucher-ledger-api", 3600, 7200),
        SECRET.as_bytes(),
    );
    let wrong_audience = sign(
        &claims(now, &sub, "someone-else", 0, 600),
        SECRET.as_bytes(),
    );
    let wrong_issuer = {
        let mut c = claims(now, &sub, "voucher-ledger-api", 0, 600);
        c["iss"] = json!("elsewhere");
        sign(&c, SECRET.as_bytes())
    };
    let no_exp = {
        let mut c = claims(now, &sub, "voucher-ledger-api", 0, 600);
        c.as_object_mut().unwrap().remove("exp");
        sign(&c, SECRET.as_bytes())
    };
    // A token may not claim to live longer than the service issues them for.
    let long_lived = sign(
        &claims(now, &sub, "voucher-ledger-api", 0, 10 * 86_400),
        SECRET.as_bytes(),
    );
    // Nor be issued in the future to outlive its lifetime from now: issued
    // in ten years, valid from now, expiring ten years and ten minutes on.
    let issued_in_the_future = {
        let ten_years = 10 * 365 * 86_400;
        let mut c = claims(now, &sub, "voucher-ledger-api", 0, ten_years + 600);
        c["iat"] = json!(now + ten_years);
        sign(&c, SECRET.as_bytes())
    };
    // The service's own role for scheduled jobs is never carried by a token.
    let system = {
        let mut c = claims(now, &sub, "voucher-ledger-api", 0, 600);
        c["role"] = json!("system");
        sign(&c, SECRET.as_bytes())
    };
    for (name, token) in [
        ("wrong key", wrong_key),
        ("alg none", alg_none),
        ("tampered payload", tampered),
        ("expired", expired),
        ("not yet valid", not_yet_valid),
        ("wrong audience", wrong_audience),
        ("wrong issuer", wrong_issuer),
        ("no exp", no_exp),
        ("system role", system),
        ("lives too long", long_lived),
        ("issued in the future", issued_in_the_future),
        ("garbage", "not.a.token".into()),
    ] {
        let answer = app.get(&path, &token).await;
        assert_eq!(answer.status.code, 401, "{name}: {}", answer.text);
        answer.assert_problem(401, "unauthorized");
        assert_eq!(answer.header("WWW-Authenticate"), Some("Bearer"), "{name}");
    }

    let no_token = app
        .send(Req {
            method: "GET",
            path: &path,
            token: None,
            key: None,
            body: None,
            content_type: None,
        })
        .await;
    no_token.assert_problem(401, "unauthorized");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_admin_prints_working_credentials_once() {
    let app = TestApp::spawn().await;
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_voucher-ledger"))
        .arg("create-admin")
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "off")
        .output()
        .expect("run create-admin");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "one line: {stdout}");
    let printed: Value = serde_json::from_str(&stdout).unwrap();
    let credentials = voucher_ledger::service::identity::ClientCredentials {
        client_id: printed["client_id"].as_str().unwrap().into(),
        client_secret: printed["client_secret"].as_str().unwrap().into(),
    };
    let token = app.token(&credentials).await;
    let (org, _) = app.regulator("ZJ").await;
    assert_eq!(
        app.get(&format!("/api/v1/organizations/{org}"), &token)
            .await
            .status
            .code,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_expire_by_the_service_clock() {
    let app = TestApp::spawn().await;
    let (org, token) = app.regulator("SH").await;
    let path = format!("/api/v1/organizations/{org}");
    assert_eq!(app.get(&path, &token).await.status.code, 200);
    // Within the lifetime (3600 s) and the leeway, the token still works.
    app.clock.advance(chrono::Duration::seconds(3600));
    assert_eq!(app.get(&path, &token).await.status.code, 200);
    app.clock.advance(chrono::Duration::seconds(3600));
    app.get(&path, &token)
        .await
        .assert_problem(401, "unauthorized");
    // A token issued now works again.
    let fresh = app.renew(&token).await;
    assert_eq!(app.get(&path, &fresh).await.status.code, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_rotates_an_operators_secret_never_an_organisations() {
    let app = TestApp::spawn().await;
    let old = app.admin.clone();
    app.token(&old).await;
    let rotate = |client_id: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_voucher-ledger"))
            .args(["rotate-secret", "--client-id", client_id])
            .env("DATABASE_URL", &app.database_url)
            .env("RUST_LOG", "off")
            .output()
            .expect("run rotate-secret")
    };
    let output = rotate(&old.client_id);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(printed["client_id"], old.client_id.as_str());
    let new = voucher_ledger::service::identity::ClientCredentials {
        client_id: old.client_id.clone(),
        client_secret: printed["client_secret"].as_str().unwrap().into(),
    };
    assert_ne!(new.client_secret, old.client_secret);
    app.token(&new).await;
    let old_secret = json!({"client_id": old.client_id, "client_secret": old.client_secret});
    token_answer(&app, old_secret)
        .await
        .assert_problem(401, "unauthorized");
    // An organisation's client is its administrators' to revoke and
    // create: the machine's operator gets no secret of it.
    let admin = app.token(&new).await;
    let (lab, lab_token) = app.register(&admin, crate::helpers::provider("SH")).await;
    let clients = app
        .get(&format!("/api/v1/organizations/{lab}/clients"), &lab_token)
        .await;
    let client_id = clients.body[0]["client_id"].as_str().unwrap();
    let refused = rotate(client_id);
    assert!(!refused.status.success());
    assert!(refused.stdout.is_empty(), "no secret printed");
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(why.contains("own administrators"), "{why}");
    // An unknown client id is an error, not a new client.
    let unknown = rotate("vl_nobody");
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no such client id"));
}
