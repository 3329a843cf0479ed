//! The second factor: a regulator's person changes nothing before they
//! enrol an authenticator app; once enrolled, a sign-in needs a code — good
//! once — or a recovery code, good once ever; an API client has none; an
//! administrator's reset makes the person enrol again.

use rocket::http::Status;
use serde_json::json;
use voucher_ledger::domain::clock::Clock as _;
use voucher_ledger::service::second_factor::code_at;

use crate::authenticator::steps_after;
use crate::helpers::{new_key, Answer, Req, TestApp};

/// A token of `login` with `code` (none: without one).
async fn sign_in(app: &TestApp, login: &str, password: &str, code: Option<&str>) -> Answer {
    let body = json!({"login": login, "password": password, "code": code});
    app.send(Req::post_json("/api/v1/auth/token", &body)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regulators_person_enrols_before_changing_anything_and_then_signs_in_with_a_code() {
    let app = TestApp::spawn().await;
    let (jx, jx_client) = app.regulator("JX").await;
    // A second person of the regulator, invited by the first, not enrolled.
    let admin = app.administrator(jx).await;
    let path = format!("/api/v1/organizations/{jx}/invitations");
    let invited = app.post(&path, &admin, &new_key(), &json!({})).await;
    let invitation = invited.body["token"].as_str().unwrap();
    let password = "a long enough password";
    let accepted = app.accept(invitation, "officer.wang", password).await;
    assert_eq!(accepted.status.code, 201, "{}", accepted.text);
    let login = accepted.body["login"].as_str().unwrap().to_owned();
    let login = login.as_str();
    let token = sign_in(&app, login, password, None).await;
    assert_eq!(token.status, Status::Ok, "no factor yet: {}", token.text);
    let token = token.body["access_token"].as_str().unwrap().to_owned();

    // Reading is open; changing anything is refused until they enrol.
    let read = app.get("/api/v1/claims", &token).await;
    assert_eq!(read.status.code, 200, "{}", read.text);
    let budget = json!({"year": 2026, "amount": "1000.00"});
    let refused = app
        .post("/api/v1/regions/JX/budgets", &token, &new_key(), &budget)
        .await;
    refused.assert_problem(403, "forbidden");
    assert!(refused.body["detail"]
        .as_str()
        .unwrap()
        .contains("second factor"));
    // An API client has no second factor to enrol.
    app.send(Req::post_json("/api/v1/me/second-factor", &json!({})).bearer(&jx_client))
        .await
        .assert_problem(403, "forbidden");

    // Enrol: a wrong code is refused, the app's code puts it in force.
    let started = app
        .send(Req::post_json("/api/v1/me/second-factor", &json!({})).bearer(&token))
        .await;
    assert_eq!(started.status, Status::Ok, "{}", started.text);
    let secret = started.body["secret"].as_str().unwrap().to_owned();
    assert!(started.body["otpauth_url"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/"));
    let confirm =
        |code: &str| Req::post_json("/api/v1/me/second-factor/confirm", &json!({"code": code}));
    let now = app.clock.now();
    let stale = code_at(&secret, steps_after(now, -4)).unwrap();
    app.send(confirm(&stale).bearer(&token))
        .await
        .assert_problem(422, "validation_failed");
    let code = code_at(&secret, now).unwrap();
    let confirmed = app.send(confirm(&code).bearer(&token)).await;
    assert_eq!(confirmed.status, Status::Ok, "{}", confirmed.text);
    let recovery: Vec<String> = confirmed.body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(recovery.len(), 10);
    app.send(confirm(&code).bearer(&token))
        .await
        .assert_problem(409, "invalid_state");
    // Only hashes of the recovery codes are stored.
    let rows = app.every_row().await;
    assert!(recovery
        .iter()
        .all(|c| !rows.iter().any(|(_, row)| row.contains(c.as_str()))));

    // Now the same token may act.
    let appropriated = app
        .post("/api/v1/regions/JX/budgets", &token, &new_key(), &budget)
        .await;
    assert_eq!(appropriated.status.code, 201, "{}", appropriated.text);

    // Signing in needs a code; the code just used is not good again.
    sign_in(&app, login, password, None)
        .await
        .assert_problem(401, "unauthorized");
    sign_in(&app, login, password, Some(&code))
        .await
        .assert_problem(401, "unauthorized");
    let next = code_at(&secret, steps_after(now, 1)).unwrap();
    let signed = sign_in(&app, login, password, Some(&next)).await;
    assert_eq!(signed.status, Status::Ok, "{}", signed.text);
    // A recovery code signs in once, typed any way.
    let typed = recovery[0].to_uppercase().replace('-', " ");
    let signed = sign_in(&app, login, password, Some(&typed)).await;
    assert_eq!(signed.status, Status::Ok, "{}", signed.text);
    sign_in(&app, login, password, Some(&recovery[0]))
        .await
        .assert_problem(401, "unauthorized");
    // The wrong password with a good code is still wrong.
    sign_in(&app, login, "not the password", Some(&recovery[1]))
        .await
        .assert_problem(401, "unauthorized");

    // Lost phone and codes: the administrator resets the password; the new
    // invitation lets them in, and they enrol again.
    let user_id = accepted.body["id"].as_str().unwrap();
    let reset = app
        .post(&path, &admin, &new_key(), &json!({"user_id": user_id}))
        .await;
    assert_eq!(reset.status.code, 201, "{}", reset.text);
    let body = json!({
        "token": reset.body["token"], "password": "another long password",
    });
    let accepted = app
        .send(Req::post_json("/api/v1/invitations/accept", &body))
        .await;
    assert_eq!(accepted.status.code, 201, "{}", accepted.text);
    let again = sign_in(&app, login, "another long password", None).await;
    assert_eq!(again.status, Status::Ok, "enrols again: {}", again.text);
    let token = again.body["access_token"].as_str().unwrap();
    app.post("/api/v1/regions/JX/budgets", token, &new_key(), &budget)
        .await
        .assert_problem(403, "forbidden");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_companys_person_need_not_enrol_but_may() {
    let app = TestApp::spawn().await;
    let (_, sh) = app.regulator("SH").await;
    let (company, _) = app.register(&sh, crate::helpers::company("SH")).await;
    // The helper's administrator enrolled; a member without a factor acts.
    let admin = app.administrator(company).await;
    let path = format!("/api/v1/organizations/{company}/invitations");
    let invited = app.post(&path, &admin, &new_key(), &json!({})).await;
    let invitation = invited.body["token"].as_str().unwrap();
    let clerk = app
        .join(invitation, "clerk", "a long enough password")
        .await;
    let token = sign_in(&app, &clerk, "a long enough password", None).await;
    let token = token.body["access_token"].as_str().unwrap();
    let apply = json!({"region": "SH", "year": 2026, "amount": "1000.00", "purpose": "检测",
        "declared": crate::world::eligible()});
    let applied = app
        .post("/api/v1/applications", token, &new_key(), &apply)
        .await;
    assert_eq!(applied.status.code, 201, "{}", applied.text);
}
