//! The HTTP contract, pinned: a fixed sequence of requests over every route,
//! each answer recorded as one line (method, path, status, content type,
//! body) modulo ids, times, hashes and secrets, and compared with the
//! committed transcript `tests/golden/contract.txt`.
//!
//! `UPDATE_GOLDEN=1 cargo test --test api contract` rewrites the transcript;
//! without it a missing transcript is written and the test fails, so that a
//! build can never pass without a committed one.
//!
//! The transcript is the same on SQLite and on PostgreSQL and from run to
//! run: the clock stands still, keys are fixed, lists are ordered by v7 ids
//! (monotonic within the process) or by audit sequence, and what is random
//! (ids, hashes, secrets, tokens, request ids, the credit codes that
//! `helpers::credit_code` draws from the clock) is replaced by placeholders.

use std::collections::HashMap;
use std::path::PathBuf;

use regex::{Captures, Regex};
use rocket::http::ContentType;
use serde_json::{json, Value};
use voucher_ledger::domain::CreditCode;

use crate::helpers::{Answer, Req, TestApp};
use crate::world::World;

/// An id that names nothing (a well-formed v7 UUID).
const NOBODY: &str = "01890a5d-ac96-774b-bcce-b302099a8057";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_contract_matches_the_recorded_answers() {
    let w = World::new().await;
    let mut r = Recorder::new(&w.app);
    let (admin, sh, zj, jx) = (
        &w.admin,
        &w.sh_regulator.token,
        &w.zj_regulator.token,
        &w.jx_regulator.token,
    );
    let (company, company_2) = (&w.jx_company.token, &w.jx_company_2.token);
    let (sh_lab, jx_lab) = (&w.sh_lab, &w.jx_lab);

    // Service and tokens.
    r.send("GET", "/health", None, None, None).await;
    let creds = &w.app.admin;
    let token = json!({"client_id": creds.client_id, "client_secret": creds.client_secret});
    r.send("POST", "/api/v1/auth/token", None, None, Some(token))
        .await;
    let wrong = json!({"client_id": creds.client_id, "client_secret": "not-the-secret"});
    r.send("POST", "/api/v1/auth/token", None, None, Some(wrong))
        .await;
    r.send("GET", "/api/v1/vouchers", None, None, None).await;

    // Organisations, with idempotency: replay, reuse with another body, a
    // replayed refusal, a missing key.
    let lab_body = json!({"kind": "provider", "name": "上海精测研究院", "region": "SH",
        "credit_code": credit_code("91310000123456789")});
    let first = r
        .post_key(sh, "org-1", "/api/v1/organizations", &lab_body)
        .await;
    let again = r
        .post_key(sh, "org-1", "/api/v1/organizations", &lab_body)
        .await;
    let mut kept = first.body.clone();
    kept["invitation"]["token"] = json!(null);
    kept["invitation"]["url"] = json!(null);
    kept["invitation"]["note"] = json!(
        "the invitation is shown once, in the first answer; \
         while the organisation has no administrator, its registrar can invite one again"
    );
    assert_eq!(
        again.body, kept,
        "a replay answers as the first time, but for the invitation's token"
    );
    let mut other = lab_body.clone();
    other["name"] = json!("上海另一研究院");
    r.post_key(sh, "org-1", "/api/v1/organizations", &other)
        .await;
    let new_lab = first.body["id"].as_str().unwrap().to_owned();
    let zj_lab_body = json!({"kind": "provider", "name": "杭州检测中心", "region": "ZJ",
        "credit_code": credit_code("91330100123456789")});
    let zj_lab = r.post(zj, "/api/v1/organizations", &zj_lab_body).await;
    let zj_lab = zj_lab.body["id"].as_str().unwrap().to_owned();
    let mut bad_code = lab_body.clone();
    let good = credit_code("91310000765432109");
    let last = if good.ends_with('0') { "1" } else { "0" };
    bad_code["credit_code"] = json!(format!("{}{last}", &good[..17]));
    r.post(sh, "/api/v1/organizations", &bad_code).await;
    r.post(sh, "/api/v1/organizations", &lab_body).await; // the same credit code
    let foreign = json!({"kind": "company", "name": "杭州某公司", "region": "ZJ",
        "credit_code": credit_code("91330100987654321"), "company_type": "enterprise"});
    let refused = r
        .post_key(sh, "org-2", "/api/v1/organizations", &foreign)
        .await;
    let again = r
        .post_key(sh, "org-2", "/api/v1/organizations", &foreign)
        .await;
    assert_eq!(again.text, refused.text, "a refusal is replayed too");
    r.send(
        "POST",
        "/api/v1/organizations",
        Some(sh),
        None,
        Some(lab_body),
    )
    .await;
    r.get(admin, &format!("/api/v1/organizations/{new_lab}"))
        .await;
    r.get(sh, &format!("/api/v1/organizations/{}", sh_lab.id))
        .await;
    r.get(admin, &format!("/api/v1/organizations/{NOBODY}"))
        .await;
    r.get(admin, "/api/v1/organizations/not-a-uuid").await;

    // People and clients: the invitation accepted (once), a person's token,
    // the organisation's client made by its administrator.
    let invitation = first.body["invitation"]["token"].as_str().unwrap();
    let acceptance = json!({"token": invitation, "login": "lab.admin",
        "display_name": "实验室管理员", "password": "correct horse battery"});
    let accept = "/api/v1/invitations/accept";
    let accepted = r
        .send("POST", accept, None, None, Some(acceptance.clone()))
        .await;
    let lab_admin = accepted.body["login"].as_str().unwrap().to_owned();
    r.send("POST", accept, None, None, Some(acceptance)).await;
    let short = json!({"token": NOBODY, "login": "x", "display_name": "x", "password": "short"});
    r.send("POST", accept, None, None, Some(short)).await;
    let login = json!({"login": lab_admin, "password": "correct horse battery"});
    let person = r
        .send("POST", "/api/v1/auth/token", None, None, Some(login))
        .await;
    let person = person.body["access_token"].as_str().unwrap().to_owned();
    let both = json!({"client_id": "vl_x", "login": lab_admin, "password": "x"});
    r.send("POST", "/api/v1/auth/token", None, None, Some(both))
        .await;
    let clients = format!("/api/v1/organizations/{new_lab}/clients");
    let client = r
        .post_key(&person, "client-1", &clients, &json!({"label": "ERP"}))
        .await;
    r.post_key(&person, "client-1", &clients, &json!({"label": "ERP"}))
        .await;
    r.post(sh, &clients, &json!({})).await;
    r.get(&person, &clients).await;
    let client_id = client.body["client_id"].as_str().unwrap().to_owned();
    r.post(
        &person,
        &format!("{clients}/{client_id}/revoke"),
        &json!({}),
    )
    .await;
    let invitations = format!("/api/v1/organizations/{new_lab}/invitations");
    r.post(&person, &invitations, &json!({"administrator": false}))
        .await;
    r.post(sh, &invitations, &json!({"administrator": true}))
        .await;
    let people = format!("/api/v1/organizations/{new_lab}/users");
    let listed = r.get(sh, &people).await;
    let user_id = listed.body[0]["id"].as_str().unwrap().to_owned();
    r.post(&person, &format!("{people}/{user_id}/disable"), &json!({}))
        .await;
    // Its registrar suspends it (its people get no token) and reinstates it.
    let lab = format!("/api/v1/organizations/{new_lab}");
    r.post(sh, &format!("{lab}/suspend"), &json!({})).await;
    r.post(&person, &format!("{lab}/reinstate"), &json!({}))
        .await;
    r.post(sh, &format!("{lab}/reinstate"), &json!({})).await;

    // Programme set-up.
    let budget = json!({"year": 2026, "amount": "500000"});
    r.post(jx, "/api/v1/regions/JX/budgets", &budget).await;
    r.get(jx, "/api/v1/regions/JX/budgets/2026").await;
    r.get(jx, "/api/v1/regions/SH/budgets/2026").await;
    r.get(jx, "/api/v1/regions/XX/budgets/2026").await;
    let admission = json!({"provider_id": new_lab, "categories": ["testing"]});
    r.post(jx, "/api/v1/regions/JX/admissions", &admission)
        .await;
    // Jiaxing funds testing only.
    let admission = json!({"provider_id": new_lab, "categories": ["testing", "rnd"]});
    r.post(jx, "/api/v1/regions/JX/admissions", &admission)
        .await;
    // Shanghai admits after 7 days of public notice: published (202), read
    // by anyone without a token, objected to, the objection answered; a
    // change while under notice is refused; the notice run finds nothing
    // due yet. (A change of an admission under four eyes: four_eyes.rs.)
    let first = json!({"provider_id": new_lab, "categories": ["testing"]});
    let published = r.post(sh, "/api/v1/regions/SH/admissions", &first).await;
    let notice = published.body["notice"]["id"].as_str().unwrap().to_owned();
    r.send("GET", "/api/v1/notices?region=SH", None, None, None)
        .await;
    let objection = json!({"name": "张伟", "contact": "021-5555 0100", "text": "资质证书已到期"});
    let objections = format!("/api/v1/notices/{notice}/objections");
    let filed = r
        .send("POST", &objections, None, None, Some(objection))
        .await;
    let filed = filed.body["id"].as_str().unwrap().to_owned();
    r.send("POST", &objections, None, None, Some(json!({"name": ""})))
        .await;
    r.get(sh, "/api/v1/regions/SH/notices").await;
    let answer = json!({"upheld": false, "note": "经核实，证书已续期"});
    r.post(sh, &format!("/api/v1/objections/{filed}/answer"), &answer)
        .await;
    r.post(sh, "/api/v1/regions/SH/admissions", &admission)
        .await;
    r.post(admin, "/api/v1/admin/notice-runs", &json!({})).await;
    let admission = json!({"provider_id": NOBODY, "categories": ["testing"]});
    r.post(jx, "/api/v1/regions/JX/admissions", &admission)
        .await;
    r.get(company, "/api/v1/regions/JX/policy").await;
    r.get(company, "/api/v1/regions/JX/policy?year=2016").await;

    // Applications: approved in full, in part, rejected.
    let apply = |amount: &str| json!({"region": "JX", "year": 2026, "amount": amount, "purpose": "检测服务"});
    let a1 = r
        .post(company, "/api/v1/applications", &apply("100000"))
        .await;
    let a1 = a1.body["id"].as_str().unwrap().to_owned();
    let v1 = r
        .post(
            jx,
            &format!("/api/v1/applications/{a1}/approve"),
            &json!({}),
        )
        .await;
    let v1 = v1.body["id"].as_str().unwrap().to_owned();
    r.post(
        jx,
        &format!("/api/v1/applications/{a1}/approve"),
        &json!({}),
    )
    .await;
    let a2 = r
        .post(company_2, "/api/v1/applications", &apply("50000.5"))
        .await;
    let a2 = a2.body["id"].as_str().unwrap().to_owned();
    let v2 = r
        .post(
            jx,
            &format!("/api/v1/applications/{a2}/approve"),
            &json!({"amount": "30000"}),
        )
        .await;
    let v2 = v2.body["id"].as_str().unwrap().to_owned();
    let a3 = r
        .post(company, "/api/v1/applications", &apply("10000"))
        .await;
    let a3 = a3.body["id"].as_str().unwrap().to_owned();
    r.post(
        jx,
        &format!("/api/v1/applications/{a3}/reject"),
        &json!({"reason": "材料不全"}),
    )
    .await;
    r.get(jx, "/api/v1/applications").await;
    r.get(company, &format!("/api/v1/applications/{a1}")).await;
    r.get(company, "/api/v1/applications/not-a-uuid").await;

    // Vouchers.
    r.get(company, "/api/v1/vouchers").await;
    r.get(jx, &format!("/api/v1/vouchers/{v1}")).await;
    // A voucher with a balance: revoked by two people (four eyes).
    let revoke = format!("/api/v1/vouchers/{v2}/revoke");
    let maker = w.app.administrator(w.jx_regulator.id).await;
    let asked = r
        .post(&maker, &revoke, &json!({"reason": "虚假申报"}))
        .await;
    let waiting = asked.body["confirmation"]["id"].as_str().unwrap();
    let checker = w.app.second_person(w.jx_regulator.id).await;
    r.post(
        &checker,
        &format!("/api/v1/confirmations/{waiting}/confirm"),
        &json!({}),
    )
    .await;

    // Redemptions: holds and refusals (a rule refusal replayed).
    let hold = |provider: &str, contract: &str, contract_amount: &str, amount: &str| {
        json!({"voucher_id": v1, "provider_id": provider, "contract_no": contract,
            "contract_amount": contract_amount, "service_category": "testing", "amount": amount})
    };
    let (sh_id, jx_id) = (sh_lab.id.to_string(), jx_lab.id.to_string());
    let body = hold(&sh_id, "SH-C-1", "80000", "40000");
    let r1 = r
        .post_key(company, "hold-1", "/api/v1/redemptions", &body)
        .await;
    let again = r
        .post_key(company, "hold-1", "/api/v1/redemptions", &body)
        .await;
    assert_eq!(again.text, r1.text, "a replay answers as the first time");
    let r1 = r1.body["id"].as_str().unwrap().to_owned();
    let body = hold(&sh_id, "SH-C-2", "10000", "5000.01");
    let refused = r
        .post_key(company, "hold-2", "/api/v1/redemptions", &body)
        .await;
    let again = r
        .post_key(company, "hold-2", "/api/v1/redemptions", &body)
        .await;
    assert_eq!(again.text, refused.text, "a refusal is replayed too");
    let body = hold(&zj_lab, "ZJ-C-1", "10000", "100");
    r.post(company, "/api/v1/redemptions", &body).await;
    let body = hold(&jx_id, "JX-C-9", "200000", "60000.01");
    r.post(company, "/api/v1/redemptions", &body).await;
    let body = hold(&sh_id, "SH-C-1", "80000", "100");
    r.post(company, "/api/v1/redemptions", &body).await;
    let body = hold(&jx_id, "JX-C-2", "40000", "20000");
    let r2 = r.post(company, "/api/v1/redemptions", &body).await;
    let r2 = r2.body["id"].as_str().unwrap().to_owned();
    r.post(
        &sh_lab.token,
        &format!("/api/v1/redemptions/{r1}/complete"),
        &json!({"amount": "30000"}),
    )
    .await;
    r.post(
        company,
        &format!("/api/v1/redemptions/{r2}/cancel"),
        &json!({}),
    )
    .await;
    r.post(
        company,
        &format!("/api/v1/redemptions/{r2}/cancel"),
        &json!({}),
    )
    .await;
    let body = hold(&jx_id, "JX-C-3", "20000", "10000");
    let r3 = r.post(company, "/api/v1/redemptions", &body).await;
    let r3 = r3.body["id"].as_str().unwrap().to_owned();
    r.post(
        &jx_lab.token,
        &format!("/api/v1/redemptions/{r3}/complete"),
        &json!({}),
    )
    .await;
    // The company rates a completed service, once; the regulator reads it.
    let rating = format!("/api/v1/redemptions/{r3}/rating");
    let rate = json!({"score": 2, "comment": "报告晚了一周", "complaint": true});
    r.post(company, &rating, &rate).await;
    r.post(company, &rating, &json!({"score": 5})).await;
    r.get(jx, "/api/v1/regions/JX/provider-ratings").await;
    // Left held, for the expiry run.
    let body = hold(&jx_id, "JX-C-4", "10000", "5000");
    r.post(company, "/api/v1/redemptions", &body).await;
    r.get(company, "/api/v1/redemptions").await;
    r.get(sh, &format!("/api/v1/redemptions/{r1}")).await;

    // Claims: one approved and paid, one rejected.
    let claim = json!({"redemption_ids": [r1], "invoice_no": "INV-1"});
    let c1 = r.post(&sh_lab.token, "/api/v1/claims", &claim).await;
    let c1 = c1.body["id"].as_str().unwrap().to_owned();
    r.post(
        jx,
        &format!("/api/v1/claims/{c1}/pay"),
        &json!({"bank_reference": "B-0"}),
    )
    .await;
    // Not approved before it carries its four documents.
    r.post(jx, &format!("/api/v1/claims/{c1}/approve"), &json!({}))
        .await;
    w.attach_documents(sh_lab, &c1).await;
    r.post(jx, &format!("/api/v1/claims/{c1}/approve"), &json!({}))
        .await;
    // Four eyes: an API client may not pay; a person asks (202), the same
    // person may not confirm, a second person does.
    let pay = json!({"bank_reference": "ICBC-0001"});
    r.post(jx, &format!("/api/v1/claims/{c1}/pay"), &pay).await;
    let maker = w.app.administrator(w.jx_regulator.id).await;
    let asked = r
        .post(&maker, &format!("/api/v1/claims/{c1}/pay"), &pay)
        .await;
    r.post(&maker, &format!("/api/v1/claims/{c1}/pay"), &pay)
        .await;
    r.get(jx, "/api/v1/confirmations").await;
    let waiting = asked.body["confirmation"]["id"].as_str().unwrap();
    let confirm = format!("/api/v1/confirmations/{waiting}/confirm");
    r.post(&maker, &confirm, &json!({})).await;
    let checker = w.app.second_person(w.jx_regulator.id).await;
    r.post(&checker, &confirm, &json!({})).await;
    r.post(&checker, &confirm, &json!({})).await;
    r.post(
        &checker,
        &format!("/api/v1/confirmations/{waiting}/withdraw"),
        &json!({}),
    )
    .await;
    let claim = json!({"redemption_ids": [r3], "invoice_no": "INV-2"});
    let c2 = r.post(&jx_lab.token, "/api/v1/claims", &claim).await;
    let c2 = c2.body["id"].as_str().unwrap().to_owned();
    let reject = json!({"reason": "发票抬头错误"});
    r.post(jx, &format!("/api/v1/claims/{c2}/reject"), &reject)
        .await;
    r.get(jx, "/api/v1/claims").await;
    r.get(&sh_lab.token, &format!("/api/v1/claims/{c1}")).await;

    // Past the deadlines: the expiry run, twice.
    w.app.set_shanghai_time("2027-04-01T00:00:00");
    // Tokens live by the service's clock: renew those used from here on.
    let (admin, sh, jx, company) = (
        &w.app.renew(admin).await,
        &w.app.renew(sh).await,
        &w.app.renew(jx).await,
        &w.app.renew(company).await,
    );
    r.post(admin, "/api/v1/admin/expiry-runs", &json!({})).await;
    r.post(admin, "/api/v1/admin/expiry-runs", &json!({})).await;
    r.get(company, &format!("/api/v1/vouchers/{v1}")).await;

    // Audit and reports.
    r.get(
        jx,
        &format!("/api/v1/audit/events?region=JX&entity_id={v1}"),
    )
    .await;
    let path = "/api/v1/audit/events?region=JX&action=redemption.hold&limit=2";
    let page = r.get(jx, path).await;
    let cursor = page.body["next_cursor"].as_str().unwrap_or("none");
    r.get(jx, &format!("{path}&cursor={cursor}")).await;
    r.get(admin, "/api/v1/audit/events/export?region=JX&format=jsonl")
        .await;
    r.get(admin, "/api/v1/audit/events/export?region=JX&format=csv")
        .await;
    r.get(jx, "/api/v1/audit/verify?region=JX").await;
    r.get(jx, "/api/v1/reports/summary?region=JX&year=2026")
        .await;
    r.get(jx, "/api/v1/reports/summary?region=JX&year=2026&format=csv")
        .await;
    r.get(admin, "/api/v1/reports/cross-region?year=2026").await;
    r.get(sh, "/api/v1/reports/cross-region?year=2026&format=csv")
        .await;

    compare_with_golden(&r.lines.join("\n"));
}

/// A valid credit code with the body `body` (17 characters).
fn credit_code(body: &str) -> String {
    CreditCode::with_check_character(body).unwrap().to_string()
}

/// Sends requests and records each answer as one normalised line.
struct Recorder<'a> {
    app: &'a TestApp,
    norm: Normaliser,
    lines: Vec<String>,
    keys: usize,
}

impl<'a> Recorder<'a> {
    fn new(app: &'a TestApp) -> Self {
        Recorder {
            app,
            norm: Normaliser::new(),
            lines: Vec::new(),
            keys: 0,
        }
    }

    async fn get(&mut self, token: &str, path: &str) -> Answer {
        self.send("GET", path, Some(token), None, None).await
    }

    /// A `POST` with the next key of a fixed sequence.
    async fn post(&mut self, token: &str, path: &str, body: &Value) -> Answer {
        self.keys += 1;
        let key = format!("contract-{:03}", self.keys);
        self.post_key(token, &key, path, body).await
    }

    async fn post_key(&mut self, token: &str, key: &str, path: &str, body: &Value) -> Answer {
        self.send("POST", path, Some(token), Some(key), Some(body.clone()))
            .await
    }

    async fn send(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        // Boxed: the sequence awaits many requests, which would otherwise
        // make one future too large for a test thread's stack.
        let answer = Box::pin(self.app.send(Req {
            method,
            path,
            token,
            key,
            content_type: body.as_ref().map(|_| ContentType::JSON),
            body: body.map(|b| b.to_string()),
        }))
        .await;
        let path = self.norm.text(path);
        let content_type = answer.content_type.as_deref().unwrap_or("-");
        let body = self.norm.body(content_type, &answer.text);
        self.lines.push(format!(
            "{method} {path} -> {} {content_type} {body}",
            answer.status.code
        ));
        answer
    }
}

/// Replaces what changes from run to run by placeholders: UUIDs by
/// `<id:N>` (numbered in order of first appearance), RFC 3339 times,
/// 64-hex hashes, client ids and secrets, access tokens, request ids, and
/// the random credit codes of the test helpers.
struct Normaliser {
    ids: HashMap<String, usize>,
    /// Values seen under a key that names them (request ids): their placeholder.
    known: HashMap<String, &'static str>,
    uuid: Regex,
    time: Regex,
    hash: Regex,
    client_id: Regex,
    credit_code: Regex,
    sign_in_code: Regex,
}

impl Normaliser {
    fn new() -> Self {
        Normaliser {
            ids: HashMap::new(),
            known: HashMap::new(),
            uuid: Regex::new(
                r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
            )
            .unwrap(),
            time: Regex::new(
                r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})",
            )
            .unwrap(),
            hash: Regex::new(r"\b[0-9a-f]{64}\b").unwrap(),
            client_id: Regex::new(r"\bvl_[0-9a-zA-Z]+\b").unwrap(),
            // `helpers::credit_code` draws them from the clock.
            credit_code: Regex::new(r"\b91330400\d{9}[0-9A-Z]\b").unwrap(),
            // Derived from an organisation's id, which differs each run.
            sign_in_code: Regex::new(r"\b[A-Z]{2,8}-[A-HJ-NP-Z2-9]{8}\b").unwrap(),
        }
    }

    /// A body: JSON structurally, JSON Lines line by line, text by regexes.
    fn body(&mut self, content_type: &str, text: &str) -> String {
        if text.is_empty() {
            return "-".into();
        }
        let lines: Vec<String> = if content_type == "application/x-ndjson" {
            text.lines()
                .map(|line| match serde_json::from_str::<Value>(line) {
                    Ok(v) => self.json(&v),
                    Err(_) => self.text(line),
                })
                .collect()
        } else if content_type.ends_with("json") {
            match serde_json::from_str::<Value>(text) {
                Ok(v) => vec![self.json(&v)],
                Err(_) => vec![self.text(text)],
            }
        } else {
            text.lines().map(|line| self.text(line)).collect()
        };
        // One line per request: line breaks of the body are written `\n`.
        lines
            .iter()
            .map(|l| l.replace('\\', "\\\\").replace('\n', "\\n"))
            .collect::<Vec<_>>()
            .join("\\n")
    }

    /// Compact JSON with sorted keys (the audit trail's canonical encoding)
    /// and normalised strings.
    fn json(&mut self, v: &Value) -> String {
        voucher_ledger::audit::canonical::to_canonical(&self.normalise(None, v))
    }

    /// `v` with its strings normalised, visiting keys in sorted order (so
    /// that ids are numbered as they appear in the output).
    fn normalise(&mut self, key: Option<&str>, v: &Value) -> Value {
        match v {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let mut out = serde_json::Map::new();
                for k in keys {
                    let value = self.normalise(Some(k), &map[k]);
                    out.insert(k.clone(), value);
                }
                Value::Object(out)
            }
            Value::Array(items) => {
                Value::Array(items.iter().map(|i| self.normalise(key, i)).collect())
            }
            Value::String(s) => Value::String(match key {
                Some("access_token") => "<access_token>".to_owned(),
                Some("client_secret") => "<client_secret>".to_owned(),
                Some("token") => "<invitation>".to_owned(),
                Some("url") => "/invite/<invitation>".to_owned(),
                Some("request_id") => {
                    self.known.insert(s.to_lowercase(), "<request_id>");
                    "<request_id>".to_owned()
                }
                _ => self.text(s),
            }),
            other => other.clone(),
        }
    }

    /// Free text (a path, a string value, a CSV line).
    fn text(&mut self, s: &str) -> String {
        let s = self.time.replace_all(s, "<time>");
        let s = self.hash.replace_all(&s, "<hash>");
        let s = self.client_id.replace_all(&s, "<client_id>");
        let s = self.credit_code.replace_all(&s, "<credit_code>");
        let s = self.sign_in_code.replace_all(&s, "<sign_in_code>");
        let (ids, known) = (&mut self.ids, &self.known);
        self.uuid
            .replace_all(&s, |c: &Captures| {
                let id = c[0].to_lowercase();
                if let Some(placeholder) = known.get(&id) {
                    return (*placeholder).to_owned();
                }
                let next = ids.len() + 1;
                format!("<id:{}>", ids.entry(id).or_insert(next))
            })
            .into_owned()
    }
}

/// Compares `transcript` with the golden file, or writes it (see the module).
fn compare_with_golden(transcript: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/contract.txt");
    let transcript = format!("{transcript}\n");
    let update = std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1");
    let expected = match std::fs::read_to_string(&path) {
        Ok(text) if !update => text,
        found => {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &transcript).unwrap();
            assert!(
                update || found.is_ok(),
                "{} was missing and has been written: review and commit it",
                path.display()
            );
            return;
        }
    };
    if expected == transcript {
        return;
    }
    let (want, got): (Vec<&str>, Vec<&str>) =
        (expected.lines().collect(), transcript.lines().collect());
    let mut report = format!(
        "the answers differ from {} ({} lines expected, {} recorded; UPDATE_GOLDEN=1 rewrites it):\n",
        path.display(),
        want.len(),
        got.len()
    );
    let differing = (0..want.len().max(got.len()))
        .filter(|&i| want.get(i) != got.get(i))
        .take(5);
    for i in differing {
        let (e, a) = (
            want.get(i).copied().unwrap_or("<none>"),
            got.get(i).copied().unwrap_or("<none>"),
        );
        report.push_str(&format!("line {}:\n{}", i + 1, excerpt(e, a)));
    }
    panic!("{report}");
}

/// The two lines around their first difference (long lines are cut).
fn excerpt(expected: &str, actual: &str) -> String {
    let at = expected
        .char_indices()
        .zip(actual.chars())
        .find(|((_, e), a)| e != a)
        .map(|((i, _), _)| i)
        .unwrap_or(expected.len().min(actual.len()));
    let cut = |line: &str| {
        let start = line.floor_char_boundary(at.saturating_sub(120));
        let end = line.ceil_char_boundary((at + 200).min(line.len()));
        let head = if start > 0 { "…" } else { "" };
        let tail = if end < line.len() { "…" } else { "" };
        format!("{head}{}{tail}", &line[start..end])
    };
    let request = expected.split(" -> ").next().unwrap_or("");
    format!(
        "  request:  {request}\n  expected: {}\n  actual:   {}\n  (first difference at byte {at})\n",
        cut(expected),
        cut(actual)
    )
}
