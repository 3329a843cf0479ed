//! The one HTTP client of a running server that every workload uses: the
//! operator's token, API requests (timed or not), and a person's sign-in
//! through the portal's form and the pages they then load.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use ureq::http::StatusCode;

use voucher_ledger::service::second_factor::code_at;

use crate::{err, Result, Target};

/// A client of the server.
#[derive(Clone)]
pub struct Http {
    agent: ureq::Agent,
    url: String,
}

impl Http {
    /// A client of the server at `url` (statuses are answers, not errors;
    /// a request may take up to ten minutes).
    pub fn new(url: &str) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(600)))
            .build()
            .into();
        Http {
            agent,
            url: url.to_owned(),
        }
    }

    /// A client of `target`'s server and a token of its operator.
    pub fn operator(target: &Target) -> Result<(Self, String)> {
        let http = Http::new(&target.url);
        let token = http.token(&target.client_id, &target.client_secret)?;
        Ok((http, token))
    }

    /// A token for the client credentials `id` and `secret`.
    pub fn token(&self, id: &str, secret: &str) -> Result<String> {
        self.fetch_token(json!({"client_id": id, "client_secret": secret}))
    }

    /// A token for `credentials` (a client's, or a person's login and
    /// password).
    fn fetch_token(&self, credentials: Value) -> Result<String> {
        let mut response = self
            .agent
            .post(&format!("{}/api/v1/auth/token", self.url))
            .send_json(credentials)
            .map_err(err)?;
        let body: Value = response.body_mut().read_json().map_err(err)?;
        body["access_token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("no token: {body}"))
    }

    /// `POST` with a fresh idempotency key: the status and the body.
    pub fn post(&self, token: &str, path: &str, body: &Value) -> Result<(u16, Value)> {
        let mut response = self
            .agent
            .post(&format!("{}{path}", self.url))
            .header("Authorization", &format!("Bearer {token}"))
            .header("Idempotency-Key", &uuid::Uuid::now_v7().to_string())
            .send_json(body)
            .map_err(err)?;
        let status = response.status().as_u16();
        let body: Value = response.body_mut().read_json().unwrap_or(Value::Null);
        Ok((status, body))
    }

    /// `GET` of a file as text (a bank file).
    pub fn get_text(&self, token: &str, path: &str) -> Result<String> {
        let mut response = self
            .agent
            .get(&format!("{}{path}", self.url))
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .map_err(err)?;
        response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()
            .map_err(err)
    }

    /// `POST` that must succeed: its body.
    pub fn create(&self, token: &str, path: &str, body: &Value) -> Result<Value> {
        match self.post(token, path, body)? {
            (200 | 201, body) => Ok(body),
            (status, body) => Err(format!("{path}: {status} {body}")),
        }
    }

    /// `GET` that must succeed: its body.
    pub fn get(&self, token: &str, path: &str) -> Result<Value> {
        self.timed_get(token, path).map(|(_, body)| body)
    }

    /// `GET` that must succeed: the milliseconds it took and its body.
    pub fn timed_get(&self, token: &str, path: &str) -> Result<(f64, Value)> {
        let started = Instant::now();
        let mut response = self
            .agent
            .get(&format!("{}{path}", self.url))
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .map_err(err)?;
        let status = response.status();
        let body: Value = response.body_mut().read_json().map_err(err)?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        if !status.is_success() {
            return Err(format!("{path}: {status} {body}"));
        }
        Ok((ms, body))
    }

    /// Registers an organisation as `token`; its body and a token of its
    /// own API client — made as a real organisation would: its first
    /// administrator accepts the invitation and creates the client.
    pub fn register(&self, token: &str, body: Value) -> Result<(Value, String)> {
        let org = self.create(token, "/api/v1/organizations", &body)?;
        let (login, password) = self.administrator(&org)?;
        let person = self.person(&login, &password)?;
        if org["kind"] == "regulator" {
            self.enrol(&person)?;
        }
        let id = org["id"].as_str().unwrap_or_default();
        let path = format!("/api/v1/organizations/{id}/clients");
        let client = self.create(&person, &path, &json!({"label": "loadgen"}))?;
        let client_id = client["client_id"].as_str().unwrap_or_default();
        let secret = client["client_secret"].as_str().unwrap_or_default();
        let org_token = self.token(client_id, secret)?;
        Ok((org, org_token))
    }

    /// Enrols a second factor for the person of `token`, as their
    /// authenticator app would (a regulator's person must, before acting).
    pub fn enrol(&self, token: &str) -> Result<()> {
        let started = self.create(token, "/api/v1/me/second-factor", &json!({}))?;
        let secret = started["secret"].as_str().ok_or("no secret")?;
        let code = code_at(secret, chrono::Utc::now()).ok_or("not base32")?;
        let path = "/api/v1/me/second-factor/confirm";
        self.create(token, path, &json!({"code": code})).map(|_| ())
    }

    /// The first administrator of an organisation just registered (`org`,
    /// the registration's answer) accepts the invitation: their login and
    /// password.
    pub fn administrator(&self, org: &Value) -> Result<(String, String)> {
        let invitation = org["invitation"]["token"].as_str().ok_or("no invitation")?;
        self.accept(invitation, "loadgen")
    }

    /// Accepts an invitation as `login`: the whole login (`login@code`:
    /// logins are unique within their organisation) and the password.
    pub fn accept(&self, invitation: &str, login: &str) -> Result<(String, String)> {
        let password = format!("pw-{}", uuid::Uuid::now_v7().simple());
        let acceptance = json!({"token": invitation, "login": login,
            "display_name": login, "password": password});
        let mut accepted = self
            .agent
            .post(&format!("{}/api/v1/invitations/accept", self.url))
            .send_json(acceptance)
            .map_err(err)?;
        let person: Value = accepted.body_mut().read_json().map_err(err)?;
        let login = person["login"].as_str().ok_or("no login")?.to_owned();
        Ok((login, password))
    }

    /// A person's token (before they enrolled a second factor).
    pub fn person(&self, login: &str, password: &str) -> Result<String> {
        self.fetch_token(json!({"login": login, "password": password}))
    }

    /// Signs a person in through the portal's form: the session cookie's
    /// value.
    pub fn sign_in(&self, login: &str, password: &str) -> Result<String> {
        let url = &self.url;
        let mut form = self
            .agent
            .get(&format!("{url}/login"))
            .call()
            .map_err(err)?;
        let csrf_cookie = cookie(&form, "vl_login_csrf").ok_or("no sign-in cookie")?;
        let html = form.body_mut().read_to_string().map_err(err)?;
        let token_field = html
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .ok_or("no CSRF field on the sign-in form")?;
        let no_redirects: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        let signed = no_redirects
            .post(&format!("{url}/login"))
            .header("Cookie", &format!("vl_login_csrf={csrf_cookie}"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(format!(
                "login={}&password={}&csrf={token_field}",
                form_encode(login),
                form_encode(password)
            ))
            .map_err(err)?;
        cookie(&signed, "vl_session").ok_or_else(|| format!("no session: {}", signed.status()))
    }

    /// `GET` of a portal page in the signed-in `session`: the milliseconds
    /// it took, the status and the HTML (the caller judges the status).
    pub fn timed_page(&self, session: &str, path: &str) -> Result<(f64, StatusCode, String)> {
        let started = Instant::now();
        let mut response = self
            .agent
            .get(&format!("{}{path}", self.url))
            .header("Cookie", &format!("vl_session={session}"))
            .call()
            .map_err(err)?;
        let status = response.status();
        let html = response.body_mut().read_to_string().map_err(err)?;
        Ok((started.elapsed().as_secs_f64() * 1000.0, status, html))
    }
}

/// The value of cookie `name` among a response's `Set-Cookie` headers.
fn cookie<B>(response: &ureq::http::Response<B>, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap_or_default().to_owned())
}

/// Percent-encodes a form value.
fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
