//! The service listening on a real port (for a browser), on a fresh
//! database, with a programme set up through the service functions: the
//! regions funded, a Jiaxing company with a voucher, a Shanghai lab
//! admitted by Jiaxing (the pilot), and a person of each who signs in.

use std::collections::VecDeque;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use voucher_ledger::domain::clock::Clock as _;

use rocket::figment::providers::Serialized;
use rocket::Shutdown;
use uuid::Uuid;
use voucher_ledger::config::{self, Config};
use voucher_ledger::domain::clock::ManualClock;
use voucher_ledger::domain::{Actor, Role};
use voucher_ledger::scenario::{yuan, Scenario};
use voucher_ledger::service::identity::ClientCredentials;
use voucher_ledger::service::invitations::{self, Acceptance, Invite};
use voucher_ledger::service::notice_effect;
use voucher_ledger::service::people;
use voucher_ledger::service::second_factor::{self, code_at};
use voucher_ledger::service::{Call, Operation, Service};
use voucher_ledger::store::Db;
use voucher_ledger::{build_rocket, App};

use crate::helpers::{assert_invariants_at, fresh_postgres_database, SECRET};

/// A person who signs in to the portal.
#[derive(Debug, Clone)]
pub struct Person {
    pub login: String,
    pub password: String,
    pub user_id: Uuid,
    /// Who they act as.
    pub actor: Actor,
    /// For a person with a second factor: the codes they sign in with, in
    /// turn (the app's code of the next step, then recovery codes).
    pub codes: Arc<Mutex<VecDeque<String>>>,
}

/// The service on a port, and its programme.
pub struct Served {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub service: Service,
    pub clock: Arc<ManualClock>,
    pub jx_regulator: Actor,
    /// The Jiaxing regulator's API credentials.
    pub jx_regulator_client: ClientCredentials,
    pub sh_regulator: Actor,
    /// Each organisation's first administrator, by organisation id.
    pub admins: std::collections::HashMap<Uuid, Actor>,
    pub jx_company: Person,
    /// A second person of the same company.
    pub jx_clerk: Person,
    pub sh_lab: Person,
    /// The Jiaxing company's voucher of 100,000.00.
    pub voucher: Uuid,
    database_url: String,
    shutdown: Shutdown,
    _dir: Option<tempfile::TempDir>,
}

/// The server stops, and the ledger it leaves is checked (unless the test
/// failed already).
impl Drop for Served {
    fn drop(&mut self) {
        self.shutdown.clone().notify();
        if !std::thread::panicking() {
            assert_invariants_at(&self.database_url);
        }
    }
}

/// A port nobody listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Served {
    /// Runs `op` as `actor`.
    pub async fn run<O: Operation>(&self, actor: &Actor, op: O) -> O::Output {
        self.service
            .execute(Call::by(actor.clone()), op)
            .await
            .expect("the set-up operation succeeds")
    }

    pub async fn start() -> Served {
        let (database_url, dir) = match std::env::var("TEST_DATABASE_URL") {
            Ok(base) => (fresh_postgres_database(&base).await, None),
            Err(_) => {
                let dir = tempfile::tempdir().expect("a temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
                (url, Some(dir))
            }
        };
        let port = free_port();
        let figment = config::figment(std::path::Path::new("config"))
            .merge(Serialized::global("database_url", &database_url))
            .merge(Serialized::global("jwt_secret", SECRET))
            .merge(Serialized::global("log_format", "text"))
            .merge(Serialized::global("log_level", "off"))
            .merge(Serialized::global("db_acquire_timeout_ms", 10_000))
            .merge(Serialized::global("request_deadline_ms", 60_000))
            .merge(Serialized::global("address", "127.0.0.1"))
            .merge(Serialized::global("port", port));
        let config = Config::from_figment(figment).expect("test configuration");
        let db = Db::connect(&config.db_settings()).await.expect("connect");
        db.migrate().await.expect("migrate");
        let mut app = App::new(&config, db.clone(), SECRET.as_bytes()).expect("app");
        // 2026-03-02 10:00 in Shanghai; it stands still unless a test moves it.
        let clock = Arc::new(ManualClock::new("2026-03-02T02:00:00Z".parse().unwrap()));
        app.service.clock = clock.clone();
        let service = app.service.clone();
        let rocket = build_rocket(&config, app)
            .ignite()
            .await
            .expect("the server ignites");
        let shutdown = rocket.shutdown();
        tokio::spawn(rocket.launch());
        let base = format!("http://127.0.0.1:{port}");
        wait_for(port).await;
        Self::populate(base, database_url, service, clock, shutdown, dir).await
    }

    async fn populate(
        base: String,
        database_url: String,
        service: Service,
        clock: Arc<ManualClock>,
        shutdown: Shutdown,
        dir: Option<tempfile::TempDir>,
    ) -> Served {
        let admin = Actor {
            sub: Uuid::now_v7(),
            role: Role::Admin,
            region: None,
            person: None,
            needs_second_factor: false,
            district: None,
        };
        // Shanghai admits the lab after 7 days of public notice: the
        // programme is set up eight days before the test's moment.
        let moment = clock.now();
        clock.set(moment - chrono::Duration::days(8));
        let mut scenario = Scenario::new(service.clone(), 1);
        let jx = scenario.regulator(&admin, "嘉兴市科学技术局", "JX").await;
        let jx = jx.expect("registered");
        let sh = scenario
            .regulator(&admin, "上海市科学技术委员会", "SH")
            .await;
        let sh = sh.expect("registered");
        let company = scenario.company(&jx, "嘉兴光子科技有限公司", "enterprise", "张三");
        let company = company.await.expect("registered");
        let lab = scenario.provider(&sh, "上海测试技术研究院").await;
        let lab = lab.expect("registered");
        let admins = [&jx, &sh, &company, &lab]
            .iter()
            .map(|org| (org.actor.sub, org.admin.clone()))
            .collect();
        let (jx_company, sh_lab) = (company.actor, lab.actor);
        for regulator in [&jx, &sh] {
            let budget = scenario.appropriate(regulator, 2026, yuan("1000000.00"));
            budget.await.expect("appropriated");
            let admitted = scenario.admit(regulator, &sh_lab, &["testing"]);
            admitted.await.expect("admitted");
        }
        clock.set(moment);
        let effective = notice_effect::settle_due(&service, &Call::system()).await;
        assert_eq!(effective.expect("notices settled"), 1);
        let amounts = (yuan("100000.00"), None);
        let voucher = scenario.voucher(
            &jx_company,
            &jx.actor,
            ("JX", 2026),
            amounts,
            "光子芯片检测",
        );
        let voucher = voucher.await.expect("a voucher").id;
        let mut served = Served {
            base,
            service,
            clock,
            jx_company: Person::placeholder(&jx_company),
            jx_clerk: Person::placeholder(&jx_company),
            sh_lab: Person::placeholder(&sh_lab),
            jx_regulator: jx.actor.clone(),
            jx_regulator_client: jx.client,
            sh_regulator: sh.actor,
            admins,
            voucher,
            database_url,
            shutdown,
            _dir: dir,
        };
        served.jx_company = served.person(&jx_company, "jx-finance", "王芳").await;
        served.jx_clerk = served.person(&jx_company, "jx-clerk", "李明").await;
        served.sh_lab = served.person(&sh_lab, "sh-lab", "陈静").await;
        served
    }

    /// A person of `org`'s organisation: invited by its first
    /// administrator, and accepted.
    pub async fn person(&self, org: &Actor, login: &str, name: &str) -> Person {
        self.invited(org, login, name, false).await
    }

    /// An administrator of `org`'s organisation, invited by its first.
    pub async fn administrator(&self, org: &Actor, login: &str, name: &str) -> Person {
        self.invited(org, login, name, true).await
    }

    async fn invited(&self, org: &Actor, login: &str, name: &str, administrator: bool) -> Person {
        let invite = Invite {
            organization_id: Some(org.sub),
            administrator,
            user_id: None,
            login: None,
        };
        let invitation = self.run(&self.admins[&org.sub], invite).await;
        let user = self.accept(&invitation.token, login, name).await;
        let actor = Actor {
            person: Some(user.id),
            ..org.clone()
        };
        self.enrolled(login, &user, actor).await
    }

    /// A person who accepted their invitation (choosing `typed` as their
    /// login): with a second factor enrolled (as their app would) when
    /// their role must have one.
    async fn enrolled(&self, typed: &str, user: &people::User, actor: Actor) -> Person {
        let mut codes = VecDeque::new();
        if second_factor::required(actor.role) {
            let started = second_factor::start(&self.service, &actor, "portal").await;
            let secret = started.expect("enrolment started").secret;
            let now = self.clock.now();
            let code = code_at(&secret, now).unwrap();
            let confirmed = second_factor::confirm(&self.service, &actor, "portal", &code).await;
            let next = now + chrono::Duration::seconds(second_factor::STEP as i64);
            codes.push_back(code_at(&secret, next).unwrap());
            codes.extend(confirmed.expect("enrolled"));
        }
        Person {
            login: user.login.clone(),
            password: format!("{typed}-password-123"),
            user_id: user.id,
            actor,
            codes: Arc::new(Mutex::new(codes)),
        }
    }

    /// An operator's person, invited as `create-admin --login` does.
    pub async fn operator(&self, login: &str) -> Person {
        let invitation = invitations::invite_operator(&self.service, login).await;
        let invitation = invitation.expect("invited");
        let user = self.accept(&invitation.token, login, "运营人员").await;
        let actor = Actor {
            sub: user.id,
            role: voucher_ledger::domain::Role::Admin,
            region: None,
            person: Some(user.id),
            needs_second_factor: false,
            district: None,
        };
        self.enrolled(login, &user, actor).await
    }

    /// Accepts an invitation with the password `{login}-password-123`.
    async fn accept(&self, token: &str, login: &str, name: &str) -> people::User {
        let given = Acceptance {
            login: login.into(),
            display_name: name.into(),
            password: format!("{login}-password-123"),
        };
        invitations::accept(&self.service, token, given, "portal")
            .await
            .expect("accepted")
    }

    /// The voucher as the company sees it.
    pub async fn voucher(&self) -> voucher_ledger::service::vouchers::Voucher {
        voucher_ledger::service::vouchers::find(
            self.service.db.reader(),
            &self.jx_company.actor,
            self.voucher,
        )
        .await
        .expect("the voucher")
    }
}

impl Person {
    fn placeholder(actor: &Actor) -> Person {
        Person {
            login: String::new(),
            password: String::new(),
            user_id: Uuid::nil(),
            actor: actor.clone(),
            codes: Default::default(),
        }
    }
}

/// Waits until the server accepts connections.
async fn wait_for(port: u16) {
    for _ in 0..600 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the server did not start listening on {port}");
}
