//! Hostile and careless input: spellings that try to pass as someone else,
//! hidden characters, duplicate numbers in disguise, a rejected invoice
//! used again, a start-up team without a credit code. Each refusal changes
//! nothing.

use serde_json::json;

use voucher_ledger::store::{Db, DbSettings};

use crate::helpers::{company, new_key, provider};
use crate::world::{Org, World};

/// Registers a JX company with `controller` as the JX regulator.
async fn jx_company(w: &World, controller: &str) -> Org {
    let mut body = company("JX");
    body["actual_controller"] = json!(controller);
    let (id, token) = w.app.register(&w.jx_regulator.token, body).await;
    Org { id, token }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_spelling_of_a_controller_shares_its_annual_cap() {
    let w = World::new().await;
    // Zhang San's company takes the JX enterprise cap (200,000.00).
    w.voucher(&w.jx_company, &w.jx_regulator, "JX", "200000.00")
        .await;
    let disguised = jx_company(&w, " zhang  SAN ").await;
    let before = w.app.count("applications").await;
    w.post(
        &disguised.token,
        "/api/v1/applications",
        json!({"region": "JX", "year": 2026, "amount": "1.00", "purpose": "检测"}),
    )
    .await
    .assert_problem(422, "annual_cap_exceeded");
    assert_eq!(w.app.count("applications").await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn related_parties_are_found_under_any_spelling() {
    let w = World::new().await;
    let mut lab = provider("JX");
    lab["actual_controller"] = json!("ＺＨＡＮＧ　San");
    let (id, token) = w.app.register(&w.jx_regulator.token, lab).await;
    let lab = Org { id, token };
    w.admit("JX", &w.jx_regulator, lab.id, &["testing"]).await;
    let v = w
        .voucher(&w.jx_company, &w.jx_regulator, "JX", "1000.00")
        .await;
    w.hold(&w.jx_company, &v, &lab, "R-1", "100.00", "50.00")
        .await
        .assert_problem(422, "related_party");
    // Li Si's company is not related to it.
    let other = w
        .voucher(&w.jx_company_2, &w.jx_regulator, "JX", "1000.00")
        .await;
    let unrelated = w
        .hold(&w.jx_company_2, &other, &lab, "R-1", "100.00", "50.00")
        .await;
    assert_eq!(unrelated.status.code, 201, "{}", unrelated.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hidden_characters_are_refused_and_change_nothing() {
    let w = World::new().await;
    let v = w
        .voucher(&w.jx_company, &w.jx_regulator, "JX", "1000.00")
        .await;
    let (holds, orgs, applications) = (
        w.app.count("redemptions").await,
        w.app.count("organizations").await,
        w.app.count("applications").await,
    );
    for (contract, why) in [
        ("C-\u{0}1", "NUL"),
        ("C-1\u{200B}", "zero-width space"),
        ("\u{202E}1-C", "right-to-left override"),
        ("C-\n1", "line break"),
    ] {
        let answer = w
            .hold(&w.jx_company, &v, &w.jx_lab, contract, "100.00", "50.00")
            .await;
        answer.assert_problem(422, "validation_failed");
        assert_eq!(answer.body["errors"][0]["field"], "contract_no", "{why}");
    }
    let purpose = w
        .post(
            &w.jx_company.token,
            "/api/v1/applications",
            json!({"region": "JX", "year": 2026, "amount": "1.00", "purpose": "检测\u{0}"}),
        )
        .await;
    purpose.assert_problem(422, "validation_failed");
    assert_eq!(purpose.body["errors"][0]["field"], "purpose");
    let mut named = company("JX");
    named["name"] = json!("嘉兴\u{2066}光子");
    let org = w
        .post(&w.jx_regulator.token, "/api/v1/organizations", named)
        .await;
    org.assert_problem(422, "validation_failed");
    assert_eq!(org.body["errors"][0]["field"], "name");
    let filter = w
        .get(
            &w.jx_regulator.token,
            "/api/v1/audit/events?region=JX&entity_id=%00",
        )
        .await;
    filter.assert_problem(422, "validation_failed");
    assert_eq!(filter.body["errors"][0]["field"], "entity_id");
    assert_eq!(w.app.count("redemptions").await, holds);
    assert_eq!(w.app.count("organizations").await, orgs);
    assert_eq!(w.app.count("applications").await, applications);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contract_number_in_another_case_is_a_duplicate() {
    let w = World::new().await;
    let v = w
        .voucher(&w.jx_company, &w.jx_regulator, "JX", "1000.00")
        .await;
    let first = w
        .hold(&w.jx_company, &v, &w.jx_lab, "dup-ABC", "100.00", "50.00")
        .await;
    assert_eq!(first.status.code, 201, "{}", first.text);
    for disguise in ["DUP-abc", " dup-abc ", "ｄｕｐ-ABC"] {
        let again = w
            .hold(&w.jx_company, &v, &w.jx_lab, disguise, "100.00", "50.00")
            .await;
        again.assert_problem(422, "duplicate_contract");
        again.assert_rule("contract_no", &[("requested", disguise.trim())]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_claims_invoice_may_be_claimed_again() {
    let w = World::new().await;
    let v = w
        .voucher(&w.jx_company, &w.jx_regulator, "JX", "1000.00")
        .await;
    let mut completed = Vec::new();
    for contract in ["K-1", "K-2"] {
        let r = w
            .hold(&w.jx_company, &v, &w.jx_lab, contract, "100.00", "50.00")
            .await;
        let id = r.body["id"].as_str().unwrap().to_owned();
        let done = w.complete(&w.jx_lab, &id, None).await;
        assert_eq!(done.status.code, 200, "{}", done.text);
        completed.push(id);
    }
    let claim = |ids: &[String], invoice: &str| {
        w.post(
            &w.jx_lab.token,
            "/api/v1/claims",
            json!({"redemption_ids": ids, "invoice_no": invoice}),
        )
    };
    let first = claim(&completed[..1], "INV-7").await;
    assert_eq!(first.status.code, 201, "{}", first.text);
    let id = first.body["id"].as_str().unwrap();
    claim(&completed[1..], "inv-7")
        .await
        .assert_problem(422, "duplicate_invoice");
    let rejected = w
        .post(
            &w.jx_regulator.token,
            &format!("/api/v1/claims/{id}/reject"),
            json!({"reason": "发票抬头错误"}),
        )
        .await;
    assert_eq!(rejected.status.code, 200, "{}", rejected.text);
    let again = claim(&completed, "INV-7").await;
    assert_eq!(again.status.code, 201, "{}", again.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_up_team_registers_without_a_credit_code() {
    let w = World::new().await;
    let mut team = company("JX");
    team["company_type"] = json!("team");
    team.as_object_mut().unwrap().remove("credit_code");
    let answer = w
        .post(&w.jx_regulator.token, "/api/v1/organizations", team.clone())
        .await;
    assert_eq!(answer.status.code, 201, "{}", answer.text);
    assert_eq!(answer.body["credit_code"], json!(null));
    // A second team without a code is another organisation.
    let second = w
        .post(&w.jx_regulator.token, "/api/v1/organizations", team)
        .await;
    assert_eq!(second.status.code, 201, "{}", second.text);
    for body in [company("JX"), provider("JX")] {
        let mut body = body;
        body.as_object_mut().unwrap().remove("credit_code");
        let refused = w
            .post(&w.jx_regulator.token, "/api/v1/organizations", body)
            .await;
        refused.assert_problem(422, "validation_failed");
        assert_eq!(refused.body["errors"][0]["field"], "credit_code");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_is_stored_but_as_a_hash() {
    let w = World::new().await;
    // A registration, and its repeat under the same key (the stored answer).
    let key = new_key();
    let body = provider("JX");
    let first = w
        .app
        .post("/api/v1/organizations", &w.jx_regulator.token, &key, &body)
        .await;
    assert_eq!(first.status.code, 201, "{}", first.text);
    let again = w
        .app
        .post("/api/v1/organizations", &w.jx_regulator.token, &key, &body)
        .await;
    assert_eq!(
        again.body["invitation"]["token"],
        json!(null),
        "{}",
        again.text
    );
    assert_eq!(again.body["id"], first.body["id"]);
    let invitation = first.body["invitation"]["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let secrets = w.app.secrets();
    assert!(secrets.len() >= 9, "{secrets:?}");
    let rows = w.app.every_row().await;
    assert!(rows.iter().any(|(t, _)| t == "idempotency_keys"));
    let clear = |secret: &str| rows.iter().find(|(_, row)| row.contains(secret)).cloned();
    assert_eq!(clear(&invitation), None, "an invitation is stored in clear");
    for secret in &secrets {
        if let Some((table, _)) = rows.iter().find(|(_, row)| row.contains(secret.as_str())) {
            panic!("a client secret is stored in clear in `{table}`");
        }
    }
    let hashes = rows
        .iter()
        .filter(|(t, row)| t == "credentials" && row.contains("$argon2id$"))
        .count();
    assert_eq!(hashes, secrets.len(), "one Argon2id hash per credential");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_database_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("private.db");
    let settings = DbSettings {
        url: format!("sqlite://{}?mode=rwc", path.display()),
        pool_size: 2,
        busy_timeout: std::time::Duration::from_secs(5),
        acquire_timeout: std::time::Duration::from_secs(1),
        sqlite_synchronous_full: true,
    };
    let db = Db::connect(&settings).await.unwrap();
    db.migrate().await.unwrap();
    for file in ["private.db", "private.db-wal", "private.db-shm"] {
        let mode = std::fs::metadata(dir.path().join(file))
            .unwrap_or_else(|e| panic!("{file}: {e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}: {mode:o}");
    }
    db.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exported_csv_cells_never_start_a_formula() {
    let w = World::new().await;
    let formula = "=HYPERLINK(\"http://evil.example/\",\"x\")";
    let answer = w
        .app
        .post(
            "/api/v1/regions/JX/budgets",
            &w.jx_regulator.token,
            formula,
            &json!({"year": 2027, "amount": "1.00"}),
        )
        .await;
    assert_eq!(answer.status.code, 201, "{}", answer.text);
    let csv = w
        .get(
            &w.jx_regulator.token,
            "/api/v1/audit/events/export?region=JX&format=csv",
        )
        .await
        .text;
    let line = csv
        .lines()
        .find(|l| l.contains("HYPERLINK"))
        .expect("the event with that key");
    assert!(line.contains("\"'=HYPERLINK("), "{line}");
    assert!(
        !line.contains(",=HYPERLINK") && !line.contains(",\"=HYPERLINK"),
        "{line}"
    );
}

/// A `POST` with a fresh key, from a task of its own.
async fn post(
    client: &rocket::local::asynchronous::Client,
    token: &str,
    path: &str,
    body: serde_json::Value,
) -> crate::helpers::Answer {
    let key = new_key();
    let req = crate::helpers::Req {
        method: "POST",
        path,
        token: Some(token),
        key: Some(&key),
        body: Some(body.to_string()),
        content_type: Some(rocket::http::ContentType::JSON),
    };
    crate::helpers::send(client, req).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn verification_while_money_moves_is_always_ok() {
    let w = World::new().await;
    let mut writers = Vec::new();
    for n in 0..4 {
        let v = w
            .voucher(&w.jx_company, &w.jx_regulator, "JX", "10000.00")
            .await;
        let (client, token, lab) = (
            w.app.client.clone(),
            w.jx_company.token.clone(),
            w.jx_lab.id,
        );
        let voucher = v["id"].as_str().unwrap().to_owned();
        writers.push(tokio::spawn(async move {
            for i in 0..12 {
                let hold = json!({"voucher_id": voucher, "provider_id": lab,
                    "contract_no": format!("W{n}-{i}"), "contract_amount": "200.00",
                    "service_category": "testing", "amount": "100.00"});
                let held = post(&client, &token, "/api/v1/redemptions", hold).await;
                assert_eq!(held.status.code, 201, "{}", held.text);
                let id = held.body["id"].as_str().unwrap();
                let path = format!("/api/v1/redemptions/{id}/cancel");
                let cancelled = post(&client, &token, &path, json!({})).await;
                assert_eq!(cancelled.status.code, 200, "{}", cancelled.text);
            }
        }));
    }
    let mut runs = 0;
    while writers.iter().any(|t| !t.is_finished()) || runs < 3 {
        let verify = w
            .get(&w.jx_regulator.token, "/api/v1/audit/verify?region=JX")
            .await;
        assert_eq!(verify.status.code, 200, "{}", verify.text);
        assert_eq!(verify.body["ok"], true, "run {runs}: {}", verify.text);
        runs += 1;
    }
    for writer in writers {
        writer.await.unwrap();
    }
    assert!(runs >= 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_are_limited_per_client() {
    let w = World::new().await;
    let login = |secret: &str| {
        w.app.send(crate::helpers::Req {
            method: "POST",
            path: "/api/v1/auth/token",
            token: None,
            key: None,
            body: Some(
                json!({"client_id": w.app.admin.client_id, "client_secret": secret}).to_string(),
            ),
            content_type: Some(rocket::http::ContentType::JSON),
        })
    };
    // Ten failures a minute are allowed (config/default.toml); the eleventh
    // is counted and then the client is refused, the right secret too.
    for _ in 0..11 {
        login("wrong").await.assert_problem(401, "unauthorized");
    }
    let refused = login(&w.app.admin.client_secret.clone()).await;
    refused.assert_problem(429, "too_many_requests");
    let wait: u64 = refused.header("Retry-After").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // Other clients are not affected.
    assert!(!w.app.renew(&w.jx_company.token).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_login_storm_keeps_memory_bounded_and_answers_every_request() {
    use crate::process::Server;
    // The per-address limit is raised so that the storm reaches the hashing.
    let server = Server::start(&[("VL_LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE", "10000")]).await;
    let server = std::sync::Arc::new(server);
    let before = server.peak_rss_kib();
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(96));
    let started = std::time::Instant::now();
    let tasks: Vec<_> = (0..192)
        .map(|n| {
            let (server, gate) = (server.clone(), gate.clone());
            tokio::spawn(async move {
                let _permit = gate.acquire().await.unwrap();
                let body = json!({"client_id": format!("vl_storm{n}"), "client_secret": "bad"});
                server
                    .exchange(
                        "POST",
                        "/api/v1/auth/token",
                        None,
                        None,
                        Some(&body.to_string()),
                    )
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut statuses = std::collections::BTreeMap::new();
    for task in tasks {
        let (status, headers, _) = task.await.unwrap();
        *statuses.entry(status).or_insert(0) += 1;
        assert!(matches!(status, 401 | 429 | 503), "{status}: {headers}");
        if status != 401 {
            assert!(
                headers.to_ascii_lowercase().contains("retry-after:"),
                "{headers}"
            );
        }
    }
    let peak = server.peak_rss_kib();
    eprintln!(
        "login storm: {statuses:?} in {:?}; peak RSS {before} KiB before, {peak} KiB after",
        started.elapsed()
    );
    assert!(peak <= 250 * 1024, "peak RSS {peak} KiB");
    assert!(statuses.contains_key(&401), "some logins were checked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn year_end_expiry_races_completions_without_deadlock_or_5xx() {
    let mut w = World::new().await;
    let mut holds = Vec::new();
    for n in 0..6 {
        let v = w
            .voucher(&w.jx_company, &w.jx_regulator, "JX", "1000.00")
            .await;
        let held = w
            .hold(
                &w.jx_company,
                &v,
                &w.jx_lab,
                &format!("YE-{n}"),
                "200.00",
                "100.00",
            )
            .await;
        assert_eq!(held.status.code, 201, "{}", held.text);
        holds.push(held.body["id"].as_str().unwrap().to_owned());
    }
    // Past the use deadline, before the claim deadline: vouchers expire
    // while their holds are completed.
    w.travel_to("2027-01-05T10:00:00").await;
    let mut tasks = Vec::new();
    for id in &holds {
        let (client, token) = (w.app.client.clone(), w.jx_lab.token.clone());
        let path = format!("/api/v1/redemptions/{id}/complete");
        tasks.push(tokio::spawn(async move {
            post(&client, &token, &path, json!({"amount": "60.00"})).await
        }));
    }
    for _ in 0..2 {
        let (client, token) = (w.app.client.clone(), w.admin.clone());
        tasks.push(tokio::spawn(async move {
            post(&client, &token, "/api/v1/admin/expiry-runs", json!({})).await
        }));
    }
    let mut expired = 0;
    for task in tasks {
        let answer = task.await.unwrap();
        assert_eq!(answer.status.code, 200, "{}", answer.text);
        expired += answer.body["vouchers_expired"].as_u64().unwrap_or(0);
    }
    assert_eq!(expired, 6, "each voucher expires once");
    w.app.assert_invariants().await;
    let verify = w
        .get(&w.jx_regulator.token, "/api/v1/audit/verify?region=JX")
        .await;
    assert_eq!(verify.body["ok"], true, "{}", verify.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_method_on_a_known_path_is_405_with_allow() {
    let app = crate::helpers::TestApp::spawn().await;
    let token = app.admin_token().await;
    for (method, path, allow) in [
        ("DELETE", "/api/v1/redemptions", "GET, HEAD, POST"),
        ("PUT", "/health", "GET, HEAD"),
        (
            "GET",
            "/api/v1/claims/0190d1c2-7d4e-7a57-9b3c-1b2a3c4d5e6f/pay",
            "POST",
        ),
        ("PATCH", "/api/v1/organizations", "POST"),
    ] {
        let answer = app
            .send(crate::helpers::Req {
                method,
                path,
                token: Some(&token),
                key: None,
                body: None,
                content_type: None,
            })
            .await;
        answer.assert_problem(405, "method_not_allowed");
        assert_eq!(answer.header("Allow"), Some(allow), "{method} {path}");
    }
    app.get("/api/v1/nothing-here", &token)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_documents_every_status_it_can_answer() {
    let app = crate::helpers::TestApp::spawn().await;
    let token = app.admin_token().await;
    let spec = app.get("/openapi.json", &token).await.body;
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            let has = |status: &str| responses.contains_key(status);
            let what = format!("{method} {path}");
            assert!(has("503"), "{what}: 503");
            if op["security"].as_array().is_some_and(|s| !s.is_empty()) {
                assert!(has("401") && has("403"), "{what}: 401/403");
            }
            let keyed = op["parameters"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p["name"] == "Idempotency-Key"));
            if keyed {
                for status in ["400", "409", "413", "415", "422"] {
                    assert!(has(status), "{what}: {status}");
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 33, "{checked} operations");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_year_outside_the_programme_is_refused_not_printed() {
    let w = World::new().await;
    for year in ["43033", "1999", "-1", "x"] {
        let answer = w
            .get(
                &w.jx_company.token,
                &format!("/api/v1/regions/JX/policy?year={year}"),
            )
            .await;
        answer.assert_problem(422, "validation_failed");
        assert_eq!(answer.body["errors"][0]["field"], "year", "{year}");
    }
}

/// Text that grows under NFKC (one `ﷺ` becomes 18 characters) is compared
/// by a bounded key: a contract number, an invoice number and an actual
/// controller of such text are taken, and the same contract number again is
/// a duplicate — never a 500 (PostgreSQL's key columns hold 64 characters).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_that_grows_under_nfkc_is_compared_by_a_bounded_key() {
    let w = World::new().await;
    let grows = "\u{FDFA}".repeat(10);
    let mut body = company("JX");
    body["actual_controller"] = json!("\u{FDFA}".repeat(20));
    let answer = w
        .post(&w.jx_regulator.token, "/api/v1/organizations", body)
        .await;
    assert_eq!(answer.status.code, 201, "{}", answer.text);

    let v = w
        .voucher(&w.jx_company, &w.jx_regulator, "JX", "50000.00")
        .await;
    let hold = || w.hold(&w.jx_company, &v, &w.sh_lab, &grows, "2000.00", "500.00");
    let first = hold().await;
    assert_eq!(first.status.code, 201, "{}", first.text);
    hold().await.assert_problem(422, "duplicate_contract");
    let id = first.body["id"].as_str().unwrap();
    let done = w.complete(&w.sh_lab, id, None).await;
    assert_eq!(done.status.code, 200, "{}", done.text);
    let claim = w.claim(&w.sh_lab, &[id], &grows).await;
    assert_eq!(claim.status.code, 201, "{}", claim.text);
}

/// Behind a trusted proxy (`trusted_proxies`), failed logins count against
/// the client its `X-Forwarded-For` names: a client id failing from one
/// client is refused there and not from another. From anyone else the
/// header is ignored, so it cannot be used to dodge a limit or to spend
/// another's. An address over its own limit is slowed, never shut out: a
/// right secret from it still gets in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_count_against_the_client_a_trusted_proxy_names() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    for trusted in [true, false] {
        let env: &[(&str, &str)] = match trusted {
            true => &[("VL_TRUSTED_PROXIES", "[\"127.0.0.1\"]")],
            false => &[],
        };
        let server = crate::process::Server::start(env).await;
        let admin = server.create_admin();
        let login = |client_id: String, secret: String, forwarded: &'static str| {
            let port = server.port;
            async move {
                let body = json!({"client_id": client_id, "client_secret": secret}).to_string();
                let head = format!(
                    "POST /api/v1/auth/token HTTP/1.1\r\nHost: ledger\r\nConnection: close\r\n\
                     Content-Type: application/json\r\nX-Forwarded-For: {forwarded}\r\n\
                     Content-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .unwrap();
                stream.write_all(head.as_bytes()).await.unwrap();
                let mut answer = String::new();
                stream.read_to_string(&mut answer).await.unwrap();
                answer.split(' ').nth(1).unwrap_or_default().to_owned()
            }
        };
        let (id, secret) = (&admin["client_id"], &admin["client_secret"]);
        let (id, secret) = (
            id.as_str().unwrap().to_owned(),
            secret.as_str().unwrap().to_owned(),
        );
        // Ten failures a minute per client and address: the operators'
        // client failing from .7 is refused there, its right secret too.
        for _ in 0..11 {
            login(id.clone(), "bad".into(), "203.0.113.7").await;
        }
        let refused = login(id.clone(), secret.clone(), "203.0.113.7").await;
        assert_eq!(refused, "429", "trusted: {trusted}");
        // Trusted: another client is another address. Not trusted: the
        // header names nobody, and the pair is the peer's, refused.
        let other = login(id, secret, "203.0.113.8").await;
        assert_eq!(
            other,
            if trusted { "200" } else { "429" },
            "trusted: {trusted}"
        );
        // Thirty failures a minute per address (config/default.toml): past
        // them, with made-up clients, the address is slowed, not shut out —
        // another client's right secret from it still gets in.
        for n in 0..20 {
            let status = login(format!("vl_flood{n}"), "bad".into(), "203.0.113.7").await;
            assert_eq!(status, "401", "failure {n}");
        }
        let second = server.create_admin();
        let (id, secret) = (&second["client_id"], &second["client_secret"]);
        let (id, secret) = (
            id.as_str().unwrap().to_owned(),
            secret.as_str().unwrap().to_owned(),
        );
        let right = login(id, secret, "203.0.113.7").await;
        assert_eq!(right, "200", "slowed, not shut out (trusted: {trusted})");
    }
}
