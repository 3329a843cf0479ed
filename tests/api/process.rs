//! The service as a separate process, talked to over TCP: for what only a
//! real process shows (its memory, being killed, several instances).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use voucher_ledger::service::second_factor::code_at;

use crate::helpers::{fresh_postgres_database, SECRET};

/// A server process on its own port; killed when dropped.
pub struct Server {
    pub child: Child,
    pub port: u16,
    pub database_url: String,
    _dir: Option<tempfile::TempDir>,
}

/// A database for servers: a new PostgreSQL database when
/// `TEST_DATABASE_URL` is set, else a SQLite file in a temporary directory.
pub async fn database() -> (String, Option<tempfile::TempDir>) {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(base) => (fresh_postgres_database(&base).await, None),
        Err(_) => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("server.db").display()
            );
            (url, Some(dir))
        }
    }
}

impl Server {
    /// Starts a server on a new database, with extra environment settings.
    pub async fn start(env: &[(&str, &str)]) -> Server {
        let (url, dir) = database().await;
        let mut server = Server::on(&url, env).await;
        server._dir = dir;
        server
    }

    /// Starts a server on `database_url` and waits until it answers.
    pub async fn on(database_url: &str, env: &[(&str, &str)]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_voucher-ledger"));
        command
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("JWT_SECRET", SECRET)
            .env("ROCKET_ADDRESS", "127.0.0.1")
            .env("ROCKET_PORT", port.to_string())
            .env("VL_EXPIRY_INTERVAL_SECS", "3600")
            // A loaded machine must not fail a test: the short default that
            // answers a silent database within two seconds is tested alone.
            .env("VL_REQUEST_DEADLINE_MS", "60000")
            .env("RUST_LOG", "off")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (key, value) in env {
            command.env(key, value);
        }
        let child = command.spawn().expect("start the server");
        let server = Server {
            child,
            port,
            database_url: database_url.to_owned(),
            _dir: None,
        };
        let started = Instant::now();
        loop {
            if let Ok((200, _)) = server.request("GET", "/health", None, None).await {
                return server;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the server did not come up"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends one request on a new connection; the status and the body.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> std::io::Result<(u16, String)> {
        let (status, _, body) = self.exchange(method, path, token, None, body).await?;
        Ok((status, body))
    }

    /// The same, with an idempotency key, returning the response headers too.
    pub async fn exchange(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        key: Option<&str>,
        body: Option<&str>,
    ) -> std::io::Result<(u16, String, String)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).await?;
        let body = body.unwrap_or("");
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        );
        if let Some(token) = token {
            head.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        if let Some(key) = key {
            head.push_str(&format!("Idempotency-Key: {key}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (headers, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = headers
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        Ok((status, headers.to_owned(), body.to_owned()))
    }

    /// The server's peak resident memory so far, in KiB (`VmHWM`).
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc/<pid>/status")
    }

    /// Kills the process at once (SIGKILL).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An answer as JSON.
pub type Json = serde_json::Value;

impl Server {
    /// `POST` JSON with a fresh idempotency key; the status and the body.
    pub async fn post(&self, path: &str, token: &str, body: &Json) -> (u16, Json) {
        let key = crate::helpers::new_key();
        self.post_keyed(path, token, &key, body).await
    }

    /// `POST` JSON with `key`.
    pub async fn post_keyed(&self, path: &str, token: &str, key: &str, body: &Json) -> (u16, Json) {
        match self
            .exchange(
                "POST",
                path,
                Some(token),
                Some(key),
                Some(&body.to_string()),
            )
            .await
        {
            Ok((status, _, text)) => (status, serde_json::from_str(&text).unwrap_or(Json::Null)),
            Err(_) => (0, Json::Null),
        }
    }

    /// `GET` as JSON.
    pub async fn get(&self, path: &str, token: &str) -> (u16, Json) {
        match self.request("GET", path, Some(token), None).await {
            Ok((status, text)) => (status, serde_json::from_str(&text).unwrap_or(Json::Null)),
            Err(_) => (0, Json::Null),
        }
    }

    /// A bearer token for client credentials.
    /// An operator's API credentials, made by `create-admin` on the
    /// server's database.
    pub fn create_admin(&self) -> Json {
        let output = Command::new(env!("CARGO_BIN_EXE_voucher-ledger"))
            .arg("create-admin")
            .env("DATABASE_URL", &self.database_url)
            .env("RUST_LOG", "off")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    }

    pub async fn token(&self, credentials: &Json) -> String {
        let body = serde_json::json!({
            "client_id": credentials["client_id"], "client_secret": credentials["client_secret"],
        });
        self.token_for(body).await
    }

    /// A token of a new API client of the organisation just registered
    /// (`created`): its first administrator accepts the invitation and
    /// creates the client, as they would.
    pub async fn organization_token(&self, created: &Json) -> String {
        let id = created["id"].as_str().unwrap();
        let acceptance = serde_json::json!({
            "token": created["invitation"]["token"], "login": "admin",
            "display_name": "管理员", "password": "correct horse battery",
        });
        let accept = Some(acceptance.to_string());
        let path = "/api/v1/invitations/accept";
        let (status, _, text) = self
            .exchange("POST", path, None, None, accept.as_deref())
            .await
            .unwrap();
        assert_eq!(status, 201, "{text}");
        // `admin@code`: logins are unique within their organisation.
        let accepted: Json = serde_json::from_str(&text).unwrap();
        let login = accepted["login"].as_str().unwrap().to_owned();
        let person = serde_json::json!({"login": login, "password": "correct horse battery"});
        let person = self.token_for(person).await;
        if created["kind"] == "regulator" {
            // A regulator's person enrols a second factor before acting.
            let start = "/api/v1/me/second-factor";
            let (status, started) = self.post(start, &person, &serde_json::json!({})).await;
            assert_eq!(status, 200, "{started}");
            let secret = started["secret"].as_str().unwrap();
            let code = code_at(secret, chrono::Utc::now()).unwrap();
            let confirm = "/api/v1/me/second-factor/confirm";
            let body = serde_json::json!({ "code": code });
            let (status, confirmed) = self.post(confirm, &person, &body).await;
            assert_eq!(status, 200, "{confirmed}");
        }
        let clients = format!("/api/v1/organizations/{id}/clients");
        let (status, client) = self.post(&clients, &person, &serde_json::json!({})).await;
        assert_eq!(status, 201, "{client}");
        self.token(&client).await
    }

    /// A bearer token for `credentials` (a client's or a person's).
    async fn token_for(&self, body: Json) -> String {
        let (status, _, text) = self
            .exchange(
                "POST",
                "/api/v1/auth/token",
                None,
                None,
                Some(&body.to_string()),
            )
            .await
            .unwrap();
        assert_eq!(status, 200, "{text}");
        let answer: Json = serde_json::from_str(&text).unwrap();
        answer["access_token"].as_str().unwrap().to_owned()
    }
}

/// A programme set up through a server process, in the fiscal year of the
/// system clock (the process runs on it): an operator, the JX regulator, a
/// company with one voucher, and an admitted lab.
pub struct Programme {
    pub regulator: String,
    pub company: String,
    pub lab_id: String,
    pub voucher: String,
}

impl Programme {
    pub async fn set_up(server: &Server, voucher_amount: &str) -> Programme {
        use serde_json::json;
        let admin = server.create_admin();
        let admin_token = server.token(&admin).await;
        let register = |token: String, body: Json| async move {
            let (status, created) = server.post("/api/v1/organizations", &token, &body).await;
            assert_eq!(status, 201, "{created}");
            created
        };
        let regulator = register(
            admin_token.clone(),
            json!({"kind": "regulator", "name": "嘉兴市科技局", "region": "JX"}),
        )
        .await;
        let regulator_token = server.organization_token(&regulator).await;
        let company = register(regulator_token.clone(), crate::helpers::company("JX")).await;
        let lab = register(regulator_token.clone(), crate::helpers::provider("JX")).await;
        let year = chrono::Datelike::year(&voucher_ledger::domain::clock::shanghai_date(
            chrono::Utc::now(),
        ));
        let steps = [
            (
                "/api/v1/regions/JX/budgets".to_owned(),
                json!({"year": year, "amount": "10000000.00"}),
            ),
            (
                "/api/v1/regions/JX/admissions".to_owned(),
                json!({"provider_id": lab["id"], "categories": ["testing"]}),
            ),
        ];
        for (path, body) in steps {
            let (status, answer) = server.post(&path, &regulator_token, &body).await;
            assert!(status == 201 || status == 200, "{path}: {answer}");
        }
        let company_token = server.organization_token(&company).await;
        let (status, application) = server
            .post(
                "/api/v1/applications",
                &company_token,
                &json!({"region": "JX", "year": year, "amount": voucher_amount, "purpose": "检测"}),
            )
            .await;
        assert_eq!(status, 201, "{application}");
        let path = format!(
            "/api/v1/applications/{}/approve",
            application["id"].as_str().unwrap()
        );
        let (status, voucher) = server.post(&path, &regulator_token, &json!({})).await;
        assert_eq!(status, 201, "{voucher}");
        Programme {
            regulator: regulator_token,
            lab_id: lab["id"].as_str().unwrap().to_owned(),
            company: company_token,
            voucher: voucher["id"].as_str().unwrap().to_owned(),
        }
    }

    /// The body of a hold of `amount` on the voucher at the lab.
    pub fn hold(&self, contract: &str, amount: &str) -> Json {
        serde_json::json!({"voucher_id": self.voucher, "provider_id": self.lab_id,
            "contract_no": contract, "contract_amount": "100000.00",
            "service_category": "testing", "amount": amount})
    }
}
