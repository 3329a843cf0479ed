//! Sign-in that an attacker cannot turn off: wrong passwords slow a login
//! only from the address they come from, a flood from one address (or from
//! many) leaves everyone else's right sign-ins alone, nobody can keep a
//! login locked, and the organisation's administrator (for a regulator's
//! administrator, the operator) unlocks it.

use futures::stream::{self, StreamExt};
use rocket::http::ContentType;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{company, new_key, TestApp};

const PASSWORD: &str = "a long enough password";

/// Runs `tries` eight at a time (the hashing queue is shared with the tests
/// running beside this one: it must not fill up): their statuses.
async fn at_most_eight<F: std::future::Future<Output = u16>>(
    tries: impl Iterator<Item = F>,
) -> Vec<u16> {
    stream::iter(tries).buffered(8).collect().await
}

/// A person's token request from `address`: its status.
async fn sign_in_from(app: &TestApp, login: &str, password: &str, address: &str) -> u16 {
    let body = json!({"login": login, "password": password}).to_string();
    let mut request = app.client.post("/api/v1/auth/token");
    request.set_remote(format!("{address}:40000").parse().unwrap());
    request.add_header(ContentType::JSON);
    request.set_body(body);
    request.dispatch().await.status().code
}

/// People of a new company (members, no second factor): the company,
/// their ids and sign-in names (`login@code`), in the order of `logins`,
/// and a token of its registrar (the SH regulator).
async fn people(app: &TestApp, logins: &[&str]) -> (Uuid, Vec<(Uuid, String)>, String) {
    let (_, sh) = app.regulator("SH").await;
    let (id, _) = app.register(&sh, company("SH")).await;
    let admin = app.administrator(id).await;
    let mut ids = Vec::new();
    for login in logins {
        let path = format!("/api/v1/organizations/{id}/invitations");
        let invited = app.post(&path, &admin, &new_key(), &json!({})).await;
        let token = invited.body["token"].as_str().unwrap();
        let accepted = app.accept(token, login, PASSWORD).await;
        assert_eq!(accepted.status.code, 201, "{}", accepted.text);
        let id = Uuid::parse_str(accepted.body["id"].as_str().unwrap()).unwrap();
        ids.push((id, accepted.body["login"].as_str().unwrap().to_owned()));
    }
    (id, ids, sh)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_one_address_slows_only_itself_and_the_owner_gets_in() {
    let app = TestApp::spawn().await;
    let (company, people, registrar) = people(
        &app,
        &["victim", "anna", "bo.li", "chen", "dai.wei", "emma"],
    )
    .await;
    let victim = people[0].1.as_str();
    let others: Vec<&str> = people[1..].iter().map(|(_, l)| l.as_str()).collect();
    let attacker = "203.0.113.7";

    // The attacker guesses the victim's password, and sprays made-up
    // logins, from one address — past the address's limit (30 a minute).
    for n in 0..10 {
        let status = sign_in_from(&app, victim, &format!("guess {n}"), attacker).await;
        // The fifth wrong password brings the delay on: it and what
        // follows from there are answered 429.
        assert_eq!(status, if n < 4 { 401 } else { 429 }, "guess {n}");
    }
    for n in 0..30 {
        let status = sign_in_from(&app, &format!("made.up.{n}"), "guess", attacker).await;
        assert_eq!(status, 401, "a made-up login is just wrong");
    }
    // The victim's attempts from there wait, the right password too.
    let status = sign_in_from(&app, victim, PASSWORD, attacker).await;
    assert_eq!(status, 429, "slowed from the attacker's address");
    // The owner, from their own address, is not held up.
    let status = sign_in_from(&app, victim, PASSWORD, "198.51.100.1").await;
    assert_eq!(status, 200, "the owner elsewhere gets in");

    // Thirty right sign-ins of other logins from the flooding address (many
    // people behind one proxy share it): slowed, never refused.
    let tries = (0..30).map(|n| sign_in_from(&app, others[n % others.len()], PASSWORD, attacker));
    let statuses = at_most_eight(tries).await;
    let ok = statuses.iter().filter(|s| **s == 200).count();
    assert!(ok >= 29, "{ok} of 30 right sign-ins got in: {statuses:?}");

    // The company's administrator sees the victim slowed and unlocks them.
    let admin = app.administrator(company).await;
    let listed = app
        .get(&format!("/api/v1/organizations/{company}/users"), &admin)
        .await;
    let row = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["login"] == victim)
        .unwrap();
    assert!(row["sign_in_delayed_until"].is_string(), "{}", listed.text);
    let unlock = format!(
        "/api/v1/organizations/{company}/users/{}/unlock",
        people[0].0
    );
    let unlocked = app.post(&unlock, &admin, &new_key(), &json!({})).await;
    assert_eq!(unlocked.status.code, 200, "{}", unlocked.text);
    let status = sign_in_from(&app, victim, PASSWORD, attacker).await;
    assert_eq!(status, 200, "unlocked");
    // A member may not unlock, nor may the registrar unlock a member.
    let member = app.person_token(others[0], PASSWORD).await;
    app.post(&unlock, &member, &new_key(), &json!({}))
        .await
        .assert_problem(403, "forbidden");
    app.post(&unlock, &registrar, &new_key(), &json!({}))
        .await
        .assert_problem(403, "forbidden");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_many_addresses_leaves_right_sign_ins_alone() {
    let app = TestApp::spawn().await;
    let (_, people, _) = people(&app, &["fei", "gao.yan", "hu.jun"]).await;
    let logins: Vec<&str> = people.iter().map(|(_, l)| l.as_str()).collect();
    // A hundred addresses (a botnet, or one trusted proxy forwarding many)
    // each fail a few times, at the same logins and at made-up ones.
    let flood = (0..100).map(|n| {
        let address = format!("192.0.2.{}", n + 1);
        let login = if n % 2 == 0 {
            logins[n % 3].to_owned()
        } else {
            format!("x{n}")
        };
        let app = &app;
        async move { sign_in_from(app, &login, "wrong", &address).await }
    });
    let statuses = at_most_eight(flood).await;
    assert!(
        statuses.iter().all(|s| matches!(s, 401 | 503)),
        "{statuses:?}"
    );
    let tries = (0..30).map(|n| sign_in_from(&app, logins[n % 3], PASSWORD, "198.51.100.9"));
    let statuses = at_most_eight(tries).await;
    let ok = statuses.iter().filter(|s| **s == 200).count();
    assert!(ok >= 29, "{ok} of 30 right sign-ins got in: {statuses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outsider_cannot_keep_a_login_locked_and_the_operator_unlocks_a_regulators_administrator(
) {
    let app = TestApp::spawn().await;
    let (regulator, _) = app.regulator("JX").await;
    let (login, password) = app.administrator_login(regulator);
    // Whatever an outsider does from their address …
    for _ in 0..20 {
        sign_in_from(&app, &login, "wrong", "203.0.113.50").await;
    }
    assert_eq!(
        sign_in_from(&app, &login, "wrong", "203.0.113.50").await,
        429
    );
    // … the administrator's own sign-in from elsewhere is untouched (their
    // second factor is asked for: the password was right).
    let status = sign_in_from(&app, &login, &password, "198.51.100.7").await;
    assert_eq!(
        status, 401,
        "the password passes; the code is what is missing"
    );
    // The operator sees the regulator's administrator slowed and unlocks
    // them; a regulator of another region cannot.
    let operator = app.admin_token().await;
    let users = format!("/api/v1/organizations/{regulator}/users");
    let listed = app.get(&users, &operator).await;
    let admin_id = listed.body[0]["id"].as_str().unwrap().to_owned();
    assert!(
        listed.body[0]["sign_in_delayed_until"].is_string(),
        "{}",
        listed.text
    );
    let unlock = format!("/api/v1/organizations/{regulator}/users/{admin_id}/unlock");
    let (_, sh) = app.regulator("SH").await;
    app.post(&unlock, &sh, &new_key(), &json!({}))
        .await
        .assert_problem(404, "not_found");
    let unlocked = app.post(&unlock, &operator, &new_key(), &json!({})).await;
    assert_eq!(unlocked.status.code, 200, "{}", unlocked.text);
    assert_eq!(
        sign_in_from(&app, &login, "wrong", "203.0.113.50").await,
        401,
        "counted afresh"
    );
}
