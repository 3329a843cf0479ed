//! Builds the service on a fresh database and talks to it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rocket::figment::providers::Serialized;
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::Client;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{json, Value};
use uuid::Uuid;
use voucher_ledger::config::{self, Config};
use voucher_ledger::domain::clock::ManualClock;
use voucher_ledger::domain::CreditCode;
use voucher_ledger::service::identity::{self, ClientCredentials};
use voucher_ledger::store::Db;
use voucher_ledger::{build_rocket, App};

/// The token secret of every test server.
pub const SECRET: &str = "integration-tests-signing-key-0123456789abcdef";

/// A running service on its own database.
pub struct TestApp {
    pub client: Arc<Client>,
    /// The service's clock: it stands still until a test moves it.
    pub clock: Arc<ManualClock>,
    pub db: Db,
    pub database_url: String,
    pub admin: ClientCredentials,
    /// The credentials behind every token issued, to renew them after the
    /// clock moves (tokens live by the service's clock).
    issued: std::sync::Mutex<std::collections::HashMap<String, ClientCredentials>>,
    /// The first administrator of every organisation registered through
    /// [`TestApp::register`]: login and password, by organisation id.
    administrators: std::sync::Mutex<std::collections::HashMap<Uuid, (String, String)>>,
    /// The organisations whose second administrator was made
    /// ([`TestApp::second_person`]).
    second_people: std::sync::Mutex<std::collections::HashMap<Uuid, String>>,
    /// The people's second factors and tokens.
    pub authenticator: crate::authenticator::Authenticator,
    /// Set when the test wrote to the database behind the service's back
    /// ([`TestApp::sql`]): the ledger's invariants are then its own to check.
    tampered: AtomicBool,
    _dir: Option<tempfile::TempDir>,
}

/// Every test's ledger ends consistent: the invariants are checked when its
/// app goes away (unless the test failed already or tampered on purpose).
impl Drop for TestApp {
    fn drop(&mut self) {
        if !std::thread::panicking() && !self.tampered.load(Ordering::Relaxed) {
            assert_invariants_at(&self.database_url);
        }
    }
}

/// Checks the ledger's invariants of the database at `url` on a connection
/// and a runtime of their own (usable from `Drop`).
pub fn assert_invariants_at(url: &str) {
    let url = url.to_owned();
    let violations = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            let db = Database::connect(&url)
                .await
                .expect("connect for the check");
            let found = voucher_ledger::ledger::check(&db).await;
            let _ = db.close().await;
            found.expect("the invariant checker runs")
        })
    })
    .join()
    .expect("the invariant check finished");
    assert!(violations.is_empty(), "invariants broken: {violations:#?}");
}

/// An answer: status, headers of interest, and the JSON body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: Status,
    pub content_type: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Value,
    pub text: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Asserts a problem+json answer with `status` and `code`.
    #[track_caller]
    /// Checks the `rule` of a refusal: its id, that it names a region and
    /// policy version, and the given figures (`("allowed", "0.00")`).
    pub fn assert_rule(&self, id: &str, figures: &[(&str, &str)]) {
        let rule = &self.body["rule"];
        assert_eq!(rule["id"], id, "{}", self.text);
        assert!(rule["region"].is_string(), "{}", self.text);
        assert!(rule["policy_version"].is_string(), "{}", self.text);
        for (key, value) in figures {
            assert_eq!(rule[*key], *value, "{key} in {}", self.text);
        }
    }

    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status.code, status, "status of {}", self.text);
        assert_eq!(
            self.content_type.as_deref(),
            Some("application/problem+json"),
            "{}",
            self.text
        );
        assert_eq!(self.body["code"], code, "{}", self.text);
        assert_eq!(self.body["status"], status);
        for field in ["type", "title", "detail"] {
            assert!(
                self.body[field].is_string(),
                "{field} missing in {}",
                self.text
            );
        }
    }
}

/// A request to send.
pub struct Req<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub token: Option<&'a str>,
    pub key: Option<&'a str>,
    pub body: Option<String>,
    pub content_type: Option<ContentType>,
}

impl<'a> Req<'a> {
    /// A `GET` of `path` with no token.
    pub fn get(path: &'a str) -> Self {
        Req {
            method: "GET",
            path,
            token: None,
            key: None,
            body: None,
            content_type: None,
        }
    }

    /// A JSON `POST` of `body` to `path` with no token and no key.
    pub fn post_json(path: &'a str, body: &Value) -> Self {
        Req {
            method: "POST",
            path,
            token: None,
            key: None,
            body: Some(body.to_string()),
            content_type: Some(ContentType::JSON),
        }
    }

    /// The same request with a bearer token.
    pub fn bearer(self, token: &'a str) -> Self {
        Req {
            token: Some(token),
            ..self
        }
    }
}

impl TestApp {
    /// A new service on a new, migrated database.
    pub async fn spawn() -> TestApp {
        Self::spawn_with_regions(&["config/regions"]).await
    }

    /// The same, with the region policies of `region_dirs`.
    pub async fn spawn_with_regions(region_dirs: &[&str]) -> TestApp {
        let (database_url, dir) = match std::env::var("TEST_DATABASE_URL") {
            Ok(base) => (fresh_postgres_database(&base).await, None),
            Err(_) => {
                let dir = tempfile::tempdir().expect("a temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
                (url, Some(dir))
            }
        };
        let figment = config::figment(std::path::Path::new("config"))
            .merge(Serialized::global("database_url", &database_url))
            .merge(Serialized::global("jwt_secret", SECRET))
            .merge(Serialized::global("log_format", "text"))
            // A loaded machine must not fail a test: the short default that
            // makes an outage fail fast is tested with real processes.
            .merge(Serialized::global("db_acquire_timeout_ms", 10_000))
            .merge(Serialized::global("request_deadline_ms", 60_000))
            .merge(Serialized::global("region_dirs", region_dirs));
        let config = Config::from_figment(figment).expect("test configuration");
        let db = Db::connect(&config.db_settings()).await.expect("connect");
        db.migrate().await.expect("migrate");
        let admin = identity::create_admin(&db, chrono::Utc::now())
            .await
            .expect("admin");
        let mut app = App::new(&config, db.clone(), SECRET.as_bytes()).expect("app");
        let clock = Arc::new(ManualClock::new("2026-03-02T02:00:00Z".parse().unwrap()));
        app.service.clock = clock.clone();
        let client = Client::untracked(build_rocket(&config, app))
            .await
            .expect("rocket");
        TestApp {
            client: Arc::new(client),
            clock,
            db,
            database_url,
            admin,
            issued: Default::default(),
            administrators: Default::default(),
            second_people: Default::default(),
            authenticator: Default::default(),
            tampered: AtomicBool::new(false),
            _dir: dir,
        }
    }

    /// Sends a request.
    pub async fn send(&self, req: Req<'_>) -> Answer {
        send(&self.client, req).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.send(Req {
            method: "GET",
            path,
            token: Some(token),
            key: None,
            body: None,
            content_type: None,
        })
        .await
    }

    /// A JSON `POST` with a bearer token and an idempotency key.
    pub async fn post(&self, path: &str, token: &str, key: &str, body: &Value) -> Answer {
        self.send(Req {
            method: "POST",
            path,
            token: Some(token),
            key: Some(key),
            body: Some(body.to_string()),
            content_type: Some(ContentType::JSON),
        })
        .await
    }

    /// A `POST` of raw bytes (an uploaded file) with a bearer token and an
    /// idempotency key.
    pub async fn upload(&self, path: &str, token: &str, key: &str, bytes: &[u8]) -> Answer {
        let mut request = self.client.post(path.to_owned());
        request.add_header(Header::new("Authorization", format!("Bearer {token}")));
        request.add_header(Header::new("Idempotency-Key", key.to_owned()));
        request.add_header(ContentType::Binary);
        request.set_body(bytes);
        let response = request.dispatch().await;
        let status = response.status();
        let content_type = response
            .content_type()
            .map(|ct| format!("{}/{}", ct.top(), ct.sub()));
        let text = response.into_string().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            content_type,
            headers: Vec::new(),
            body,
            text,
        }
    }

    /// A `GET` of a file: status, its `X-Content-SHA256` and its bytes.
    pub async fn download(&self, path: &str, token: &str) -> (u16, Option<String>, Vec<u8>) {
        let mut request = self.client.get(path.to_owned());
        request.add_header(Header::new("Authorization", format!("Bearer {token}")));
        let response = request.dispatch().await;
        let status = response.status().code;
        let sha = response
            .headers()
            .get_one("X-Content-SHA256")
            .map(str::to_owned);
        let bytes = response.into_bytes().await.unwrap_or_default();
        (status, sha, bytes)
    }

    /// A token for client credentials, asserting that they work.
    pub async fn token(&self, credentials: &ClientCredentials) -> String {
        let answer = self
            .send(Req {
                method: "POST",
                path: "/api/v1/auth/token",
                token: None,
                key: None,
                body: Some(
                    json!({"client_id": credentials.client_id, "client_secret": credentials.client_secret})
                        .to_string(),
                ),
                content_type: Some(ContentType::JSON),
            })
            .await;
        assert_eq!(answer.status, Status::Ok, "{}", answer.text);
        let token = answer.body["access_token"].as_str().unwrap().to_owned();
        self.issued
            .lock()
            .unwrap()
            .insert(token.clone(), credentials.clone());
        token
    }

    /// Every client secret this app has seen issued (the admin's and those
    /// of the organisations registered through [`Self::register`]).
    pub fn secrets(&self) -> Vec<String> {
        let issued = self.issued.lock().unwrap();
        let mut secrets: Vec<String> = issued.values().map(|c| c.client_secret.clone()).collect();
        secrets.push(self.admin.client_secret.clone());
        secrets.sort();
        secrets.dedup();
        secrets
    }

    /// Every row of every table, as text: `(table, row)`.
    pub async fn every_row(&self) -> Vec<(String, String)> {
        let backend = self.db.backend();
        let reader = self.db.reader();
        let query = |sql: String| reader.query_all_raw(Statement::from_string(backend, sql));
        let postgres = backend == sea_orm::DbBackend::Postgres;
        let tables: Vec<String> = query(if postgres {
            "SELECT table_name AS name FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
                .into()
        } else {
            "SELECT name FROM sqlite_master WHERE type = 'table'".into()
        })
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String>("", "name").unwrap())
        .collect();
        let mut rows = Vec::new();
        for table in tables {
            let sql = if postgres {
                format!("SELECT CAST(t AS TEXT) AS row FROM \"{table}\" t")
            } else {
                let columns: Vec<String> =
                    query(format!("SELECT name FROM pragma_table_info('{table}')"))
                        .await
                        .unwrap()
                        .iter()
                        .map(|r| r.try_get::<String>("", "name").unwrap())
                        .map(|c| format!("quote(\"{c}\")"))
                        .collect();
                format!(
                    "SELECT {} AS row FROM \"{table}\"",
                    columns.join(" || '|' || ")
                )
            };
            for row in query(sql).await.unwrap() {
                rows.push((table.clone(), row.try_get::<String>("", "row").unwrap()));
            }
        }
        rows
    }

    /// A new token for the credentials behind `token` (issued by [`Self::token`]).
    pub async fn renew(&self, token: &str) -> String {
        self.token(&self.credentials_of(token)).await
    }

    /// The client credentials behind `token` (issued by [`Self::token`]).
    pub fn credentials_of(&self, token: &str) -> ClientCredentials {
        let credentials = self.issued.lock().unwrap().get(token).cloned();
        credentials.expect("a token issued by TestApp::token")
    }

    pub async fn admin_token(&self) -> String {
        self.token(&self.admin.clone()).await
    }

    /// Registers an organisation as `token`, asserting 201; its first
    /// administrator accepts the invitation and creates an API client, as
    /// they would. Returns the id and a token of that client.
    pub async fn register(&self, token: &str, body: Value) -> (Uuid, String) {
        let answer = self
            .post("/api/v1/organizations", token, &new_key(), &body)
            .await;
        assert_eq!(answer.status, Status::Created, "{}", answer.text);
        assert!(
            answer.body.get("client_secret").is_none(),
            "{}",
            answer.text
        );
        let id = Uuid::parse_str(answer.body["id"].as_str().unwrap()).unwrap();
        let invitation = answer.body["invitation"]["token"].as_str().unwrap();
        // Logins are unique within an organisation: every one has an "admin",
        // who signs in as `admin@code`.
        let password = format!("password of admin of {id}");
        let accepted = self.accept(invitation, "admin", &password).await;
        assert_eq!(accepted.status.code, 201, "{}", accepted.text);
        let login = accepted.body["login"].as_str().unwrap().to_owned();
        assert!(login.starts_with("admin@"), "{login}");
        self.administrators
            .lock()
            .unwrap()
            .insert(id, (login, password));
        let admin = self.administrator(id).await;
        let credentials = self.create_client(id, &admin).await;
        (id, self.token(&credentials).await)
    }

    /// Accepts an invitation through the API.
    pub async fn accept(&self, invitation: &str, login: &str, password: &str) -> Answer {
        let body = json!({
            "token": invitation, "login": login,
            "display_name": "管理员", "password": password,
        });
        self.send(Req::post_json("/api/v1/invitations/accept", &body))
            .await
    }

    /// A token of the first administrator of organisation `id` (registered
    /// through [`Self::register`]).
    pub async fn administrator(&self, id: Uuid) -> String {
        let (login, password) = self.administrator_login(id);
        self.person_token(&login, &password).await
    }

    /// The login (`admin@code`) and password of the first administrator of
    /// organisation `id`.
    pub fn administrator_login(&self, id: Uuid) -> (String, String) {
        self.administrators.lock().unwrap()[&id].clone()
    }

    /// A token of a second administrator of organisation `id` (registered
    /// through [`Self::register`]), invited by the first on first use.
    pub async fn second_person(&self, id: Uuid) -> String {
        let password = format!("password of the second of {id}");
        let known = self.second_people.lock().unwrap().get(&id).cloned();
        let login = match known {
            Some(login) => login,
            None => {
                let admin = self.administrator(id).await;
                let path = format!("/api/v1/organizations/{id}/invitations");
                let invited = self
                    .post(&path, &admin, &new_key(), &json!({"administrator": true}))
                    .await;
                assert_eq!(invited.status.code, 201, "{}", invited.text);
                let token = invited.body["token"].as_str().unwrap();
                let login = self.join(token, "second", &password).await;
                self.second_people.lock().unwrap().insert(id, login.clone());
                login
            }
        };
        self.person_token(&login, &password).await
    }

    /// Accepts an invitation, asserting 201: the login to sign in as
    /// (`login@code` for a person of an organisation).
    pub async fn join(&self, invitation: &str, login: &str, password: &str) -> String {
        let accepted = self.accept(invitation, login, password).await;
        assert_eq!(accepted.status.code, 201, "{}", accepted.text);
        accepted.body["login"].as_str().unwrap().to_owned()
    }

    /// A new API client of organisation `id`, created by `admin` (a token of
    /// a person who administers it), asserting 201.
    pub async fn create_client(&self, id: Uuid, admin: &str) -> ClientCredentials {
        let path = format!("/api/v1/organizations/{id}/clients");
        let answer = self
            .post(&path, admin, &new_key(), &json!({"label": "tests"}))
            .await;
        assert_eq!(answer.status, Status::Created, "{}", answer.text);
        ClientCredentials {
            client_id: answer.body["client_id"].as_str().unwrap().into(),
            client_secret: answer.body["client_secret"].as_str().unwrap().into(),
        }
    }

    /// A regulator of `region`, registered by the admin.
    pub async fn regulator(&self, region: &str) -> (Uuid, String) {
        let admin = self.admin_token().await;
        self.register(
            &admin,
            json!({"kind": "regulator", "name": format!("{region} 科委"), "region": region}),
        )
        .await
    }

    /// A regulator of `district` below `region` (first-level review).
    pub async fn district_regulator(&self, region: &str, district: &str) -> (Uuid, String) {
        let admin = self.admin_token().await;
        self.register(
            &admin,
            json!({"kind": "regulator", "name": format!("{region} {district} 科技局"),
                "region": region, "district": district}),
        )
        .await
    }

    /// The first column of the first row of `sql`, as text.
    pub async fn scalar_text(&self, sql: &str) -> String {
        let row = self
            .db
            .reader()
            .query_one_raw(Statement::from_string(self.db.backend(), sql.to_owned()))
            .await
            .unwrap()
            .expect("a row");
        row.try_get_by_index::<String>(0).unwrap()
    }

    /// Counts the rows of `table`.
    pub async fn count(&self, table: &str) -> i64 {
        let row = self
            .db
            .reader()
            .query_one_raw(Statement::from_string(
                self.db.backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    }
}

/// Sends a request through a shared client (usable from spawned tasks).
pub async fn send(client: &Client, req: Req<'_>) -> Answer {
    let method = req.method.parse().expect("a method");
    let mut request = client.req(method, req.path.to_owned());
    if let Some(token) = req.token {
        request.add_header(Header::new("Authorization", format!("Bearer {token}")));
    }
    if let Some(key) = req.key {
        request.add_header(Header::new("Idempotency-Key", key.to_owned()));
    }
    if let Some(ct) = req.content_type {
        request.add_header(ct);
    }
    if let Some(body) = req.body {
        request.set_body(body);
    }
    let response = request.dispatch().await;
    let status = response.status();
    let content_type = response
        .content_type()
        .map(|ct| format!("{}/{}", ct.top(), ct.sub()));
    let headers = response
        .headers()
        .iter()
        .map(|h| (h.name().to_string(), h.value().to_string()))
        .collect();
    let text = response.into_string().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        content_type,
        headers,
        body,
        text,
    }
}

/// A fresh idempotency key.
pub fn new_key() -> String {
    Uuid::now_v7().to_string()
}

/// A valid, unique credit code.
pub fn credit_code() -> String {
    let digits: String = Uuid::now_v7()
        .simple()
        .to_string()
        .chars()
        .rev()
        .filter(|c| c.is_ascii_digit())
        .take(9)
        .collect();
    let body = format!("91330400{digits:0>9}");
    CreditCode::with_check_character(&body).unwrap().to_string()
}

/// A company registration body.
pub fn company(region: &str) -> Value {
    json!({
        "kind": "company",
        "name": "嘉兴光子科技有限公司",
        "region": region,
        "credit_code": credit_code(),
        "company_type": "enterprise",
        "actual_controller": "Zhang San",
    })
}

/// A provider registration body.
pub fn provider(region: &str) -> Value {
    json!({
        "kind": "provider",
        "name": "上海测试技术研究院",
        "region": region,
        "credit_code": credit_code(),
    })
}

pub async fn fresh_postgres_database(base: &str) -> String {
    let admin = Database::connect(base)
        .await
        .expect("TEST_DATABASE_URL must reach PostgreSQL");
    let name = format!("vl_test_{}", Uuid::now_v7().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create a test database");
    admin.close().await.ok();
    let (prefix, query) = match base.split_once('?') {
        Some((p, q)) => (p, format!("?{q}")),
        None => (base, String::new()),
    };
    let server = prefix.rsplit_once('/').map(|(s, _)| s).unwrap_or(prefix);
    format!("{server}/{name}{query}")
}

impl TestApp {
    /// Asserts that every ledger invariant holds.
    pub async fn assert_invariants(&self) {
        let violations = voucher_ledger::ledger::check(self.db.reader())
            .await
            .unwrap();
        assert!(violations.is_empty(), "invariants broken: {violations:#?}");
    }

    /// Sets the service's clock to a moment in Asia/Shanghai (`2027-01-01T00:00:00`).
    pub fn set_shanghai_time(&self, local: &str) {
        let at = chrono::DateTime::parse_from_rfc3339(&format!("{local}+08:00")).unwrap();
        self.clock.set(at.with_timezone(&chrono::Utc));
    }
}

/// A `POST` to send in a race.
pub struct Post {
    pub token: String,
    pub path: String,
    pub key: String,
    pub body: Value,
}

impl TestApp {
    /// Sends every request at once, each from its own task; answers in order.
    pub async fn race(&self, posts: Vec<Post>) -> Vec<Answer> {
        let barrier = Arc::new(tokio::sync::Barrier::new(posts.len()));
        let tasks: Vec<_> = posts
            .into_iter()
            .map(|p| {
                let client = self.client.clone();
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    barrier.wait().await;
                    send(
                        &client,
                        Req {
                            method: "POST",
                            path: &p.path,
                            token: Some(&p.token),
                            key: Some(&p.key),
                            body: Some(p.body.to_string()),
                            content_type: Some(ContentType::JSON),
                        },
                    )
                    .await
                })
            })
            .collect();
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.expect("a request task"));
        }
        answers
    }
}

/// How many answers have each status code.
pub fn count_status(answers: &[Answer], status: u16) -> usize {
    answers.iter().filter(|a| a.status.code == status).count()
}

/// Runs one SQL statement as the database owner (tests that tamper).
pub async fn sql(db: &Db, statement: &str) -> u64 {
    let db = db.writer();
    db.execute_raw(Statement::from_string(db.get_database_backend(), statement))
        .await
        .unwrap_or_else(|e| panic!("{statement}: {e}"))
        .rows_affected()
}

/// Removes the append-only triggers, as someone with the owner's rights
/// could, so that a test can tamper with what verification must catch.
pub async fn allow_tampering(db: &Db) {
    for table in ["postings", "transfers", "audit_events"] {
        if db.backend() == sea_orm::DbBackend::Postgres {
            sql(db, &format!("ALTER TABLE {table} DISABLE TRIGGER USER")).await;
        } else {
            for op in ["update", "delete"] {
                sql(db, &format!("DROP TRIGGER {table}_no_{op}")).await;
            }
        }
    }
}

impl TestApp {
    /// Runs one SQL statement as the database owner (tests that tamper).
    pub async fn sql(&self, statement: &str) -> u64 {
        self.tampered.store(true, Ordering::Relaxed);
        sql(&self.db, statement).await
    }

    /// Removes the append-only triggers (see [`allow_tampering`]).
    pub async fn allow_tampering(&self) {
        self.tampered.store(true, Ordering::Relaxed);
        allow_tampering(&self.db).await
    }
}
