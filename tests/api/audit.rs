//! The audit trail through HTTP and the command line: verification, and
//! tampering by direct SQL found at its first bad sequence number; reading,
//! filters, export, and who may audit.

use serde_json::{json, Value};

use crate::world::World;

/// A lifecycle in JX: a voucher held at the Shanghai lab, completed, claimed
/// and paid; another hold cancelled.
async fn scenario() -> World {
    let w = World::new().await;
    let v = w
        .voucher(&w.jx_company, &w.jx_regulator, "JX", "100000.00")
        .await;
    let r = w
        .hold(&w.jx_company, &v, &w.sh_lab, "A-1", "80000.00", "40000.00")
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    w.complete(&w.sh_lab, &id, Some("30000.00")).await;
    let other = w
        .hold(&w.jx_company, &v, &w.sh_lab, "A-2", "2000.00", "1000.00")
        .await;
    let other = other.body["id"].as_str().unwrap().to_owned();
    w.cancel(&w.jx_company, &other).await;
    let claim = w.claim(&w.sh_lab, &[&id], "AU-1").await;
    let claim = claim.body["id"].as_str().unwrap().to_owned();
    w.approve_claim(&w.jx_regulator, &claim).await;
    let paid = w.pay_claim(&w.jx_regulator, &claim, "B-1").await;
    assert_eq!(paid.status.code, 200, "{}", paid.text);
    w
}

async fn verify(w: &World) -> Value {
    let answer = w.get(&w.jx_regulator.token, "/api/v1/audit/verify").await;
    assert_eq!(answer.status.code, 200, "{}", answer.text);
    answer.body
}

/// Runs `voucher-ledger verify-audit --region JX` on the test database.
fn cli_verifies(w: &World) -> bool {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_voucher-ledger"))
        .args(["verify-audit", "--region", "JX"])
        .env("DATABASE_URL", &w.app.database_url)
        .env("RUST_LOG", "off")
        .output()
        .expect("run verify-audit");
    let report: Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    assert_eq!(report["ok"].as_bool().unwrap(), output.status.success());
    output.status.success()
}

async fn sql(w: &World, statement: &str) {
    assert!(
        w.app.sql(statement).await >= 1,
        "{statement} changed nothing"
    );
}

/// The sequence number of the JX event with `action`.
async fn seq_of(w: &World, action: &str) -> i64 {
    let answer = w
        .get(
            &w.jx_regulator.token,
            &format!("/api/v1/audit/events?action={action}"),
        )
        .await;
    answer.body["items"][0]["seq"]
        .as_i64()
        .unwrap_or_else(|| panic!("no {action} event: {}", answer.text))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampering_is_found_at_its_first_bad_sequence() {
    let w = scenario().await;
    w.app.allow_tampering().await;
    let report = verify(&w).await;
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["region"], "JX");
    let head = report["head_seq"].as_i64().unwrap();
    assert_eq!(report["events_checked"].as_i64().unwrap(), head);
    assert!(report["first_bad_seq"].is_null());
    assert!(cli_verifies(&w));

    let hold = seq_of(&w, "redemption.hold").await;
    let complete = seq_of(&w, "redemption.complete").await;
    let pay = seq_of(&w, "claim.pay").await;

    // An event's payload.
    let change = format!("UPDATE audit_events SET payload = replace(payload, '\"A-1\"', '\"A-9\"') WHERE region = 'JX' AND seq = {hold}");
    sql(&w, &change).await;
    assert_eq!(verify(&w).await["first_bad_seq"], hold);
    assert!(!cli_verifies(&w));
    sql(&w, &format!("UPDATE audit_events SET payload = replace(payload, '\"A-9\"', '\"A-1\"') WHERE region = 'JX' AND seq = {hold}")).await;
    assert_eq!(verify(&w).await["ok"], true);

    // An event's hash.
    let original = w
        .get(
            &w.jx_regulator.token,
            &format!("/api/v1/audit/events?after_seq={}&limit=1", complete - 1),
        )
        .await;
    let original = original.body["items"][0]["hash"]
        .as_str()
        .unwrap()
        .to_owned();
    sql(
        &w,
        &format!(
            "UPDATE audit_events SET hash = '{}' WHERE region = 'JX' AND seq = {complete}",
            "f".repeat(64)
        ),
    )
    .await;
    assert_eq!(verify(&w).await["first_bad_seq"], complete);
    assert!(!cli_verifies(&w));
    sql(
        &w,
        &format!(
            "UPDATE audit_events SET hash = '{original}' WHERE region = 'JX' AND seq = {complete}"
        ),
    )
    .await;
    assert_eq!(verify(&w).await["ok"], true);

    // A posting's amount (the completion's credit to the provider).
    let posting = "UPDATE postings SET amount = amount + 1 WHERE leg = 1 AND transfer_id IN \
                   (SELECT id FROM transfers WHERE code = 'complete' AND region = 'JX')";
    sql(&w, posting).await;
    assert_eq!(verify(&w).await["first_bad_seq"], complete);
    assert!(!cli_verifies(&w));
    sql(&w, &posting.replace("amount + 1", "amount - 1")).await;
    assert_eq!(verify(&w).await["ok"], true);

    // A stored balance (what was paid out).
    sql(
        &w,
        "UPDATE accounts SET balance = balance - 100 WHERE kind = 'paid' AND region = 'JX'",
    )
    .await;
    assert_eq!(verify(&w).await["first_bad_seq"], pay);
    assert!(!cli_verifies(&w));
    sql(
        &w,
        "UPDATE accounts SET balance = balance + 100 WHERE kind = 'paid' AND region = 'JX'",
    )
    .await;
    assert_eq!(verify(&w).await["ok"], true);

    // A deleted event.
    sql(
        &w,
        &format!("DELETE FROM audit_events WHERE region = 'JX' AND seq = {complete}"),
    )
    .await;
    let report = verify(&w).await;
    assert_eq!(report["ok"], false);
    assert_eq!(report["first_bad_seq"], complete, "{report}");
    assert!(!cli_verifies(&w));
    // Other regions are untouched.
    let sh = w.get(&w.sh_regulator.token, "/api/v1/audit/verify").await;
    assert_eq!(sh.body["ok"], true, "{}", sh.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_last_event_is_found() {
    let w = scenario().await;
    w.app.allow_tampering().await;
    let head = verify(&w).await["head_seq"].as_i64().unwrap();
    sql(
        &w,
        &format!("DELETE FROM audit_events WHERE region = 'JX' AND seq = {head}"),
    )
    .await;
    assert_eq!(verify(&w).await["first_bad_seq"], head);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_stripped_of_its_postings_is_found() {
    let w = scenario().await;
    w.app.allow_tampering().await;
    let complete = seq_of(&w, "redemption.complete").await;
    sql(
        &w,
        "DELETE FROM postings WHERE transfer_id IN \
         (SELECT id FROM transfers WHERE code = 'complete' AND region = 'JX')",
    )
    .await;
    let report = verify(&w).await;
    assert_eq!(report["ok"], false);
    assert_eq!(report["first_bad_seq"], complete, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_read_filtered_and_exported() {
    let w = scenario().await;
    let jx = &w.jx_regulator.token;
    let all = w.get(jx, "/api/v1/audit/events?limit=500").await;
    assert_eq!(all.status.code, 200, "{}", all.text);
    let events = all.body["items"].as_array().unwrap().clone();
    assert!(events.len() >= 8, "{}", all.text);
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["seq"].as_i64().unwrap(), i as i64 + 1);
        assert_eq!(e["region"], "JX");
        if i > 0 {
            assert_eq!(e["prev_hash"], events[i - 1]["hash"]);
        }
    }
    let hold = events
        .iter()
        .find(|e| e["action"] == "redemption.hold")
        .unwrap();
    assert_eq!(hold["actor"]["role"], "company");
    assert_eq!(hold["actor"]["sub"], w.jx_company.id.to_string());
    assert_eq!(hold["entity_type"], "redemption");
    assert!(hold["request_id"].is_string() && hold["idempotency_key"].is_string());
    assert_eq!(hold["payload"]["amount"], "40000.00");
    let legs = hold["payload"]["transfers"][0]["legs"].as_array().unwrap();
    assert_eq!(
        legs.iter()
            .map(|l| l["amount_fen"].as_i64().unwrap())
            .sum::<i64>(),
        0
    );
    // No secret in the trail.
    assert!(!all.text.contains("client_secret"));

    // Filters and pages.
    let entity = hold["entity_id"].as_str().unwrap();
    let by_entity = w
        .get(jx, &format!("/api/v1/audit/events?entity_id={entity}"))
        .await;
    assert!(by_entity.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["entity_id"] == entity));
    assert_eq!(
        by_entity.body["items"].as_array().unwrap().len(),
        2,
        "hold and completion"
    );
    let by_actor = w
        .get(jx, &format!("/api/v1/audit/events?actor={}", w.sh_lab.id))
        .await;
    assert!(by_actor.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["actor"]["sub"] == w.sh_lab.id.to_string()));
    let first_two = w.get(jx, "/api/v1/audit/events?limit=2").await;
    assert_eq!(first_two.body["next_cursor"], "2");
    let next = w.get(jx, "/api/v1/audit/events?limit=2&cursor=2").await;
    assert_eq!(next.body["items"][0]["seq"], 3);
    let future = w
        .get(jx, "/api/v1/audit/events?from=2030-01-01T00:00:00Z")
        .await;
    assert_eq!(future.body["items"].as_array().unwrap().len(), 0);
    w.get(jx, "/api/v1/audit/events?from=yesterday")
        .await
        .assert_problem(422, "validation_failed");

    // Export: JSON Lines and CSV hold the same events.
    let jsonl = w.get(jx, "/api/v1/audit/events/export?format=jsonl").await;
    assert_eq!(jsonl.status.code, 200);
    assert_eq!(jsonl.content_type.as_deref(), Some("application/x-ndjson"));
    let lines: Vec<Value> = jsonl
        .text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines, events);
    let csv = w.get(jx, "/api/v1/audit/events/export?format=csv").await;
    assert_eq!(csv.content_type.as_deref(), Some("text/csv"));
    // A byte-order mark first, so that spreadsheet programs read UTF-8.
    assert!(csv.text.starts_with("\u{feff}seq,id,region,occurred_at,"));
    assert!(csv
        .text
        .lines()
        .next()
        .unwrap()
        .ends_with(",hash,actor_via,operation_id"));
    // The hash, the channel (empty: these clients used the API), the operation.
    let hashes: Vec<&str> = csv
        .text
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').nth(2).unwrap())
        .collect();
    let expected: Vec<&str> = events.iter().map(|e| e["hash"].as_str().unwrap()).collect();
    assert_eq!(hashes, expected);
    // The command line exports the same.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_voucher-ledger"))
        .args(["export-audit", "--region", "JX", "--format", "jsonl"])
        .env("DATABASE_URL", &w.app.database_url)
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(String::from_utf8(output.stdout).unwrap(), jsonl.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_regions_regulator_and_operators_audit_it() {
    let w = scenario().await;
    let sh = &w.sh_regulator.token;
    for path in [
        "/api/v1/audit/events?region=JX",
        "/api/v1/audit/verify?region=JX",
        "/api/v1/audit/events/export?region=JX",
    ] {
        w.get(sh, path).await.assert_problem(403, "forbidden");
        w.get(&w.jx_company.token, path)
            .await
            .assert_problem(403, "forbidden");
        w.get(&w.sh_lab.token, path)
            .await
            .assert_problem(403, "forbidden");
        let admin = w.get(&w.admin, path).await;
        assert_eq!(admin.status.code, 200, "{path}: {}", admin.text);
    }
    // A regulator's own region by default; an operator names one.
    let own = w.get(sh, "/api/v1/audit/events").await;
    assert!(own.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["region"] == "SH"));
    w.get(&w.admin, "/api/v1/audit/events")
        .await
        .assert_problem(422, "validation_failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postings_transfers_and_events_are_append_only() {
    let w = scenario().await;
    let db = w.app.db.writer();
    for statement in [
        "UPDATE postings SET amount = amount + 1",
        "DELETE FROM postings",
        "UPDATE transfers SET code = 'pay'",
        "DELETE FROM transfers",
        "UPDATE audit_events SET payload = '{}'",
        "DELETE FROM audit_events",
    ] {
        use sea_orm::{ConnectionTrait, Statement};
        let refused = db
            .execute_raw(Statement::from_string(db.get_database_backend(), statement))
            .await;
        let message = refused.expect_err(statement).to_string();
        assert!(message.contains("append-only"), "{statement}: {message}");
    }
    assert_eq!(verify(&w).await["ok"], true);
}

/// The verdict lines (`head …` or `bad line …`) and exit codes of both
/// offline verifiers, the ledger's and docs/verify_export.py, on `text`.
pub fn offline_verdicts(text: &str) -> [(Option<i32>, String); 2] {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("trail.jsonl");
    std::fs::write(&file, text).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/verify_export.py");
    let rust = std::process::Command::new(env!("CARGO_BIN_EXE_voucher-ledger"))
        .arg("verify-export")
        .arg(&file)
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    let python = std::process::Command::new("python3")
        .arg(script)
        .arg(&file)
        .output()
        .expect("python3 runs");
    [rust, python].map(|out| {
        let stdout = String::from_utf8(out.stdout).unwrap();
        let verdict = stdout
            .lines()
            .find(|l| l.starts_with("head ") || l.starts_with("bad line "))
            .unwrap_or_else(|| panic!("no verdict in {stdout:?} {:?}", out.stderr))
            .to_owned();
        (out.status.code(), verdict)
    })
}

/// Both verifiers give the same verdict on `text`; that verdict.
pub fn agreed_verdict(text: &str) -> (Option<i32>, String) {
    let [rust, python] = offline_verdicts(text);
    assert_eq!(
        rust, python,
        "the ledger's verifier and the Python one disagree"
    );
    rust
}

/// An event's hash recomputed from its fields by the canonical encoding as
/// docs/audit-format.md defines it (the object with sorted keys, the time
/// with six fractional digits), as a forger who rewrites a trail would.
fn rehash(e: &Value) -> String {
    use sha2::{Digest, Sha256};
    let mut actor = e["actor"].clone();
    if actor["via"].is_null() {
        actor.as_object_mut().unwrap().remove("via");
    }
    let at = chrono::DateTime::parse_from_rfc3339(e["occurred_at"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc)
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let hashed = json!({
        "v": 1, "region": e["region"], "seq": e["seq"], "id": e["id"],
        "operation_id": e["operation_id"], "occurred_at": at, "actor": actor,
        "action": e["action"], "entity_type": e["entity_type"], "entity_id": e["entity_id"],
        "request_id": e["request_id"], "idempotency_key": e["idempotency_key"],
        "payload": e["payload"], "prev_hash": e["prev_hash"],
    });
    let text = voucher_ledger::audit::canonical::to_canonical(&hashed);
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Recomputes the links and hashes of `events` from index `from` on, as a
/// forger who rewrites the rest of a trail would.
fn forge_from(events: &mut [Value], from: usize) {
    for i in from..events.len() {
        if i > from {
            events[i]["prev_hash"] = events[i - 1]["hash"].clone();
        }
        events[i]["hash"] = json!(rehash(&events[i]));
    }
}

/// The lines of a trail as JSON, and back.
fn events_of(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn trail_of(events: &[Value]) -> String {
    events.iter().map(|e| format!("{e}\n")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_verifies_offline_and_both_verifiers_find_the_same_tampering() {
    let w = scenario().await;
    let jx = &w.jx_regulator.token;
    let export = w.get(jx, "/api/v1/audit/events/export?format=jsonl").await;
    assert_eq!(export.status.code, 200);
    let published = w.get(jx, "/api/v1/audit/verify?region=JX").await;
    let head = format!(
        "head {} {}",
        published.body["head_seq"],
        published.body["head_hash"].as_str().unwrap()
    );
    // The export verifies, ending at the head the service publishes.
    assert_eq!(agreed_verdict(&export.text), (Some(0), head.clone()));
    let events = events_of(&export.text);
    let hold = events
        .iter()
        .position(|e| e["action"] == "redemption.hold")
        .unwrap();
    let bad = |line: usize| (Some(1), format!("bad line {}", line + 1));

    // The same instant written another way is the same event.
    let mut same = events.clone();
    let at = same[hold]["occurred_at"]
        .as_str()
        .unwrap()
        .replace('Z', "+00:00");
    same[hold]["occurred_at"] = json!(at);
    assert_eq!(agreed_verdict(&trail_of(&same)), (Some(0), head));

    // An amount changed (both legs, so the transfer still balances).
    let mut changed = events.clone();
    for leg in changed[hold]["payload"]["transfers"][0]["legs"]
        .as_array_mut()
        .unwrap()
    {
        let fen = leg["amount_fen"].as_i64().unwrap();
        leg["amount_fen"] = json!(fen.signum() * 400_000_000);
    }
    assert_eq!(agreed_verdict(&trail_of(&changed)), bad(hold));
    // A contract number changed and the event's hash recomputed: the next
    // event no longer links to it.
    let mut relinked = events.clone();
    relinked[hold]["payload"]["contract_no"] = json!("A-9");
    relinked[hold]["hash"] = json!(rehash(&relinked[hold]));
    assert_eq!(agreed_verdict(&trail_of(&relinked)), bad(hold + 1));
    // The changed amount with every hash from there recomputed: the chain
    // holds, but the voucher's account goes below zero at that line.
    forge_from(&mut changed, hold);
    assert_eq!(agreed_verdict(&trail_of(&changed)), bad(hold));

    // A line removed, two lines swapped, a legs' sum off by one fen.
    let mut removed = events.clone();
    removed.remove(hold);
    assert_eq!(agreed_verdict(&trail_of(&removed)), bad(hold));
    let mut swapped = events.clone();
    swapped.swap(hold, hold + 1);
    assert_eq!(agreed_verdict(&trail_of(&swapped)), bad(hold));
    let mut unbalanced = events.clone();
    let leg = &mut unbalanced[hold]["payload"]["transfers"][0]["legs"][0]["amount_fen"];
    *leg = json!(leg.as_i64().unwrap() + 1);
    forge_from(&mut unbalanced, hold);
    assert_eq!(agreed_verdict(&trail_of(&unbalanced)), bad(hold));
    // A voucher's recorded balance rewritten (hashes forged): its event is named.
    let mut inflated = events.clone();
    let issue = events
        .iter()
        .position(|e| e["entity_type"] == "voucher")
        .unwrap();
    inflated[issue]["payload"]["available"] = json!("999999.00");
    forge_from(&mut inflated, issue);
    assert_eq!(agreed_verdict(&trail_of(&inflated)), bad(issue));
    // Not JSON at all.
    let mut garbled = export.text.clone();
    garbled.push_str("{not json\n");
    assert_eq!(agreed_verdict(&garbled), bad(events.len()));
}
