//! The people and API clients of an organisation: invitations instead of
//! secrets; only the organisation's own administrators manage its people
//! and clients; what a login and a password must be; no password or secret
//! ever reaches anyone but its owner.

use serde_json::json;

use crate::helpers::{company, new_key, provider, Req, TestApp};

/// Registers a company of SH and returns its id, the regulator's token and
/// the invitation token of its first administrator (not yet accepted).
async fn registered_company(app: &TestApp) -> (uuid::Uuid, String, String) {
    let (_, sh_regulator) = app.regulator("SH").await;
    let answer = app
        .post(
            "/api/v1/organizations",
            &sh_regulator,
            &new_key(),
            &company("SH"),
        )
        .await;
    assert_eq!(answer.status.code, 201, "{}", answer.text);
    let id = uuid::Uuid::parse_str(answer.body["id"].as_str().unwrap()).unwrap();
    let token = answer.body["invitation"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    (id, sh_regulator, token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_invites_an_administrator_who_sets_their_own_password_once() {
    let app = TestApp::spawn().await;
    let (_, sh_regulator) = app.regulator("SH").await;
    let key = new_key();
    let body = company("SH");
    let answer = app
        .post("/api/v1/organizations", &sh_regulator, &key, &body)
        .await;
    assert_eq!(answer.status.code, 201, "{}", answer.text);
    // No secret of the new organisation reaches the registrar.
    for field in ["client_id", "client_secret", "password"] {
        assert!(answer.body.get(field).is_none(), "{}", answer.text);
    }
    let invitation = &answer.body["invitation"];
    let token = invitation["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 64);
    assert_eq!(invitation["url"], format!("/invite/{token}"));
    assert_eq!(invitation["administrator"], true);
    // A repeat replays the answer without the token.
    let replay = app
        .post("/api/v1/organizations", &sh_regulator, &key, &body)
        .await;
    assert_eq!(replay.body["id"], answer.body["id"]);
    assert_eq!(replay.body["invitation"]["token"], json!(null));
    assert!(replay.body["invitation"]["note"].is_string());
    // Only the token's hash is stored.
    assert!(!app
        .every_row()
        .await
        .iter()
        .any(|(_, row)| row.contains(&token)));

    let accepted = app
        .accept(&token, "wang.fang", "correct horse battery")
        .await;
    assert_eq!(accepted.status.code, 201, "{}", accepted.text);
    assert_eq!(accepted.body["administrator"], true);
    // Logins are unique within the organisation: one signs in as login@code.
    let wang = accepted.body["login"].as_str().unwrap().to_owned();
    let code = answer.body["sign_in_code"].as_str().unwrap();
    assert_eq!(wang, format!("wang.fang@{code}"));
    assert!(!accepted.text.contains("correct horse"));
    // Used once: a second acceptance, another login, is not found.
    app.accept(&token, "li.lei", "another long password")
        .await
        .assert_problem(404, "not_found");
    assert_eq!(app.count("users").await, 2, "the regulator's and this one");
    let stored = app.scalar_text("SELECT password_hash FROM users").await;
    assert!(stored.starts_with("$argon2id$"), "{stored}");

    // The person's token creates the organisation's API client, whose
    // secret is shown to them once.
    let id = uuid::Uuid::parse_str(answer.body["id"].as_str().unwrap()).unwrap();
    let person = app.person_token(&wang, "correct horse battery").await;
    let path = format!("/api/v1/organizations/{id}/clients");
    let key = new_key();
    let created = app
        .post(&path, &person, &key, &json!({"label": "ERP"}))
        .await;
    assert_eq!(created.status.code, 201, "{}", created.text);
    assert_eq!(created.body["client_secret"].as_str().unwrap().len(), 64);
    let again = app
        .post(&path, &person, &key, &json!({"label": "ERP"}))
        .await;
    assert_eq!(again.body["client_secret"], json!(null));
    let client = voucher_ledger::service::identity::ClientCredentials {
        client_id: created.body["client_id"].as_str().unwrap().into(),
        client_secret: created.body["client_secret"].as_str().unwrap().into(),
    };
    let client_token = app.token(&client).await;
    let listed = app.get(&path, &client_token).await;
    assert_eq!(listed.status.code, 200, "{}", listed.text);
    assert_eq!(listed.body[0]["label"], "ERP");
    assert!(!listed.text.contains(&client.client_secret));
    // The client acts for the organisation, but does not manage it.
    app.post(&path, &client_token, &new_key(), &json!({}))
        .await
        .assert_problem(403, "forbidden");
    // Revoked: the secret stops working at once.
    let revoke = format!("{path}/{}/revoke", client.client_id);
    let revoked = app.post(&revoke, &person, &new_key(), &json!({})).await;
    assert_eq!(revoked.status.code, 200, "{}", revoked.text);
    let token_request =
        json!({"client_id": client.client_id, "client_secret": client.client_secret});
    let refused = app
        .send(Req::post_json("/api/v1/auth/token", &token_request))
        .await;
    refused.assert_problem(401, "unauthorized");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_expires_after_72_hours() {
    let app = TestApp::spawn().await;
    let (_, _, token) = registered_company(&app).await;
    app.clock
        .advance(chrono::Duration::hours(72) + chrono::Duration::seconds(1));
    app.accept(&token, "late.comer", "correct horse battery")
        .await
        .assert_problem(404, "not_found");
    assert_eq!(app.count("users").await, 1, "the regulator's only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_invites_resets_and_disables_people() {
    let app = TestApp::spawn().await;
    let (_, sh_regulator) = app.regulator("SH").await;
    let (company_id, company_client) = app.register(&sh_regulator, company("SH")).await;
    let admin = app.administrator(company_id).await;
    let invitations = format!("/api/v1/organizations/{company_id}/invitations");

    let invited = app.post(&invitations, &admin, &new_key(), &json!({})).await;
    assert_eq!(invited.status.code, 201, "{}", invited.text);
    assert_eq!(invited.body["administrator"], false);
    let token = invited.body["token"].as_str().unwrap();
    let accepted = app.accept(token, "li.lei", "correct horse battery").await;
    assert_eq!(accepted.status.code, 201, "{}", accepted.text);
    let member_id = accepted.body["id"].as_str().unwrap().to_owned();
    let li = accepted.body["login"].as_str().unwrap().to_owned();
    let member = app.person_token(&li, "correct horse battery").await;
    // A member is not an administrator: no invitations, no clients.
    app.post(&invitations, &member, &new_key(), &json!({}))
        .await
        .assert_problem(403, "forbidden");
    let clients = format!("/api/v1/organizations/{company_id}/clients");
    app.post(&clients, &member, &new_key(), &json!({}))
        .await
        .assert_problem(403, "forbidden");
    // Nor is the organisation's API client.
    app.post(&invitations, &company_client, &new_key(), &json!({}))
        .await
        .assert_problem(403, "forbidden");

    // A reset is a new invitation for the same person: the old password
    // stops working when the new one is set.
    let reset = app
        .post(
            &invitations,
            &admin,
            &new_key(),
            &json!({"user_id": member_id}),
        )
        .await;
    assert_eq!(reset.status.code, 201, "{}", reset.text);
    let token = reset.body["token"].as_str().unwrap();
    let body = json!({"token": token, "password": "a brand new password"});
    let done = app
        .send(Req::post_json("/api/v1/invitations/accept", &body))
        .await;
    assert_eq!(done.status.code, 201, "{}", done.text);
    assert_eq!(done.body["login"], li.as_str());
    let old = json!({"login": li, "password": "correct horse battery"});
    app.send(Req::post_json("/api/v1/auth/token", &old))
        .await
        .assert_problem(401, "unauthorized");
    let member = app.person_token(&li, "a brand new password").await;

    // Disabled: the person's token stops working at once.
    let disable = format!("/api/v1/organizations/{company_id}/users/{member_id}/disable");
    app.post(&disable, &company_client, &new_key(), &json!({}))
        .await
        .assert_problem(403, "forbidden");
    let disabled = app.post(&disable, &admin, &new_key(), &json!({})).await;
    assert_eq!(disabled.status.code, 200, "{}", disabled.text);
    assert_eq!(disabled.body["disabled"], true);
    let people = format!("/api/v1/organizations/{company_id}/users");
    app.get(&people, &member)
        .await
        .assert_problem(401, "unauthorized");
    let listed = app.get(&people, &sh_regulator).await;
    assert_eq!(listed.status.code, 200, "{}", listed.text);
    assert_eq!(listed.body.as_array().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_gets_a_credential_or_a_session_of_another_organisation() {
    let app = TestApp::spawn().await;
    let operator = app.admin_token().await;
    let (sh_regulator_id, sh_regulator) = app.regulator("SH").await;
    let (_, zj_regulator) = app.regulator("ZJ").await;
    let (company_id, company) = app.register(&sh_regulator, company("SH")).await;
    let (lab_id, _) = app.register(&sh_regulator, provider("SH")).await;
    let regulator_admin = app.administrator(sh_regulator_id).await;
    let company_admin = app.administrator(company_id).await;
    let lab_admin = app.administrator(lab_id).await;
    let users_before = app.count("users").await;
    let clients_before = app.count("credentials").await;

    // (actor, target): every path to a person or a client of the target.
    let pairs = [
        ("operator", &operator, sh_regulator_id, 403),
        ("regulator's client", &sh_regulator, company_id, 403),
        (
            "regulator's administrator",
            &regulator_admin,
            company_id,
            403,
        ),
        ("regulator's administrator", &regulator_admin, lab_id, 403),
        ("other region's regulator", &zj_regulator, company_id, 404),
        ("company", &company, lab_id, 404),
        ("company's administrator", &company_admin, lab_id, 404),
        ("provider's administrator", &lab_admin, company_id, 404),
        ("company's client", &company, company_id, 403),
    ];
    for (who, token, target, status) in pairs {
        let code = if status == 403 {
            "forbidden"
        } else {
            "not_found"
        };
        for (path, body) in [
            (
                format!("/api/v1/organizations/{target}/invitations"),
                json!({"administrator": true}),
            ),
            (format!("/api/v1/organizations/{target}/clients"), json!({})),
            // The old way: a person with a password of the registrar's choosing.
            (
                format!("/api/v1/organizations/{target}/users"),
                json!({"login": "spy", "display_name": "x", "password": "correct horse battery"}),
            ),
        ] {
            let answer = app.post(&path, token, &new_key(), &body).await;
            if path.ends_with("/users") {
                assert!(
                    matches!(answer.status.code, 404 | 405),
                    "{who} on {path}: {}",
                    answer.text
                );
            } else {
                assert_eq!(
                    answer.status.code, status,
                    "{who} on {path}: {}",
                    answer.text
                );
                answer.assert_problem(status, code);
            }
        }
    }
    assert_eq!(app.count("users").await, users_before);
    assert_eq!(app.count("credentials").await, clients_before);
    assert_eq!(
        app.count("invitations").await,
        4,
        "one per registration only"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registrar_invites_an_administrator_again_only_while_there_is_none() {
    let app = TestApp::spawn().await;
    let (company_id, sh_regulator, first) = registered_company(&app).await;
    let path = format!("/api/v1/organizations/{company_id}/invitations");
    // The first invitation was lost: the registrar invites again.
    let again = app
        .post(
            &path,
            &sh_regulator,
            &new_key(),
            &json!({"administrator": true}),
        )
        .await;
    assert_eq!(again.status.code, 201, "{}", again.text);
    // Not a member, not a reset: only an administrator.
    app.post(&path, &sh_regulator, &new_key(), &json!({}))
        .await
        .assert_problem(403, "forbidden");
    let token = again.body["token"].as_str().unwrap();
    let accepted = app
        .accept(token, "new.admin", "correct horse battery")
        .await;
    assert_eq!(accepted.status.code, 201, "{}", accepted.text);
    // Now there is one: the registrar can no longer invite anyone.
    app.post(
        &path,
        &sh_regulator,
        &new_key(),
        &json!({"administrator": true}),
    )
    .await
    .assert_problem(403, "forbidden");
    // The first invitation still works once (it was handed over): a second
    // administrator, whom the first can see in the list.
    let accepted = app
        .accept(&first, "first.admin", "correct horse battery")
        .await;
    assert_eq!(accepted.status.code, 201, "{}", accepted.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_and_passwords_are_checked_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let (_, _, token) = registered_company(&app).await;
    let long = "x".repeat(41);
    let cases = [
        ("ab", "甲", "correct horse battery"),
        (long.as_str(), "甲", "correct horse battery"),
        ("two words", "甲", "correct horse battery"),
        ("x@SH-ABCDEFGH", "甲", "correct horse battery"),
        ("a\u{202e}bc", "甲", "correct horse battery"),
        ("short.pw", "甲", "elevenchars"),
        ("no.name", " ", "correct horse battery"),
    ];
    for (login, name, password) in cases {
        let body =
            json!({"token": token, "login": login, "display_name": name, "password": password});
        let answer = app
            .send(Req::post_json("/api/v1/invitations/accept", &body))
            .await;
        answer.assert_problem(422, "validation_failed");
    }
    let extra = json!({"token": token, "login": "x.y", "display_name": "甲", "password": "correct horse battery", "administrator": true});
    let answer = app
        .send(Req::post_json("/api/v1/invitations/accept", &extra))
        .await;
    assert_eq!(answer.status.code, 422, "{}", answer.text);
    assert_eq!(app.count("users").await, 1, "the regulator's only");
    // The invitation is still good after the refusals.
    let accepted = app.accept(&token, "x.y", "correct horse battery").await;
    assert_eq!(accepted.status.code, 201, "{}", accepted.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registrar_suspends_and_reinstates_an_organisation() {
    let app = TestApp::spawn().await;
    let operator = app.admin_token().await;
    let (sh_id, sh_regulator) = app.regulator("SH").await;
    let (_, zj_regulator) = app.regulator("ZJ").await;
    let (company_id, company) = app.register(&sh_regulator, company("SH")).await;
    let admin = app.administrator(company_id).await;
    let suspend = format!("/api/v1/organizations/{company_id}/suspend");
    let reinstate = format!("/api/v1/organizations/{company_id}/reinstate");

    // Only its registrar: not an operator, not another region, not itself.
    app.post(&suspend, &operator, &new_key(), &json!({}))
        .await
        .assert_problem(403, "forbidden");
    app.post(&suspend, &zj_regulator, &new_key(), &json!({}))
        .await
        .assert_problem(404, "not_found");
    app.post(&suspend, &company, &new_key(), &json!({}))
        .await
        .assert_problem(403, "forbidden");
    let suspended = app
        .post(&suspend, &sh_regulator, &new_key(), &json!({}))
        .await;
    assert_eq!(suspended.status.code, 200, "{}", suspended.text);
    assert!(suspended.body["suspended_at"].is_string());
    let again = app
        .post(&suspend, &sh_regulator, &new_key(), &json!({}))
        .await;
    assert_eq!(again.body["suspended_at"], suspended.body["suspended_at"]);

    // Its people and clients get no new token; a person's token stops at once.
    let (login, password) = app.administrator_login(company_id);
    let person = json!({"login": login, "password": password});
    app.send(Req::post_json("/api/v1/auth/token", &person))
        .await
        .assert_problem(401, "unauthorized");
    let people = format!("/api/v1/organizations/{company_id}/users");
    app.get(&people, &admin)
        .await
        .assert_problem(401, "unauthorized");
    let clients = format!("/api/v1/organizations/{company_id}/clients");
    let listed = app.get(&clients, &company).await;
    assert_eq!(
        listed.status.code, 200,
        "a client's token lives out its lifetime"
    );
    let client = app.credentials_of(&company);
    let body = json!({"client_id": client.client_id, "client_secret": client.client_secret});
    app.send(Req::post_json("/api/v1/auth/token", &body))
        .await
        .assert_problem(401, "unauthorized");
    // An operator suspends a regulator, never a regulator another.
    let regulator = format!("/api/v1/organizations/{sh_id}/suspend");
    app.post(&regulator, &sh_regulator, &new_key(), &json!({}))
        .await
        .assert_problem(403, "forbidden");

    let back = app
        .post(&reinstate, &sh_regulator, &new_key(), &json!({}))
        .await;
    assert_eq!(back.status.code, 200, "{}", back.text);
    assert_eq!(back.body["suspended_at"], json!(null));
    app.sign_in_again(&login, &password).await;
    let events = app
        .get(
            "/api/v1/audit/events?region=SH&action=organization.suspend",
            &sh_regulator,
        )
        .await;
    assert_eq!(
        events.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        events.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_changes_their_own_password() {
    let app = TestApp::spawn().await;
    let (_, sh_regulator) = app.regulator("SH").await;
    let (company_id, company) = app.register(&sh_regulator, company("SH")).await;
    let person = app.administrator(company_id).await;
    let change = |token: String, old: &str, new: &str| {
        let body = json!({"old_password": old, "new_password": new});
        let app = &app;
        async move {
            app.send(Req {
                token: Some(&token),
                ..Req::post_json("/api/v1/me/password", &body)
            })
            .await
        }
    };
    let (login, old) = app.administrator_login(company_id);
    // An API client has no password; the old one must be right; the new
    // one long enough. Nothing changes on a refusal.
    change(company.clone(), &old, "a brand new password")
        .await
        .assert_problem(403, "forbidden");
    let wrong = change(person.clone(), "not it at all", "a brand new password").await;
    wrong.assert_problem(422, "validation_failed");
    assert_eq!(wrong.body["errors"][0]["field"], "old_password");
    let short = change(person.clone(), &old, "short").await;
    short.assert_problem(422, "validation_failed");
    assert_eq!(short.body["errors"][0]["field"], "new_password");
    let changed = change(person.clone(), &old, "a brand new password").await;
    assert_eq!(changed.status.code, 200, "{}", changed.text);
    assert!(!changed.text.contains("brand new"));
    // The old one no longer signs in; the new one does.
    let body = json!({"login": login, "password": old});
    app.send(Req::post_json("/api/v1/auth/token", &body))
        .await
        .assert_problem(401, "unauthorized");
    app.sign_in_again(&login, "a brand new password").await;
}
