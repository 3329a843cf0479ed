//! A programme to test against: three funded regions, their regulators,
//! companies and providers — a Shanghai lab admitted by SH and by JX.

use std::fmt::Display;

use serde_json::{json, Value};
use uuid::Uuid;
use voucher_ledger::domain::clock::Clock;

use crate::helpers::{company, new_key, provider, Answer, TestApp};

/// An organisation's id and token.
#[derive(Clone)]
pub struct Org {
    pub id: Uuid,
    pub token: String,
}

pub struct World {
    pub app: TestApp,
    pub admin: String,
    pub sh_regulator: Org,
    pub zj_regulator: Org,
    /// Hangzhou's regulator: the first level of Zhejiang's two-level review.
    pub zj_hangzhou: Org,
    pub jx_regulator: Org,
    pub sh_company: Org,
    pub jx_company: Org,
    pub jx_company_2: Org,
    /// A Shanghai lab admitted by SH and by JX (the pilot).
    pub sh_lab: Org,
    /// A Jiaxing provider admitted by JX only.
    pub jx_lab: Org,
}

/// Appropriation of each region for 2026 in the world: 1,000,000.00.
pub const BUDGET: &str = "1000000.00";

impl World {
    /// Moves the service's clock to a moment in Asia/Shanghai and renews
    /// every token of the world (tokens live by that clock).
    pub async fn travel_to(&mut self, local: &str) {
        self.app.set_shanghai_time(local);
        self.renew_tokens().await;
    }

    /// Renews every token of the world by the service's clock.
    async fn renew_tokens(&mut self) {
        self.admin = self.app.renew(&self.admin).await;
        for org in [
            &mut self.sh_regulator,
            &mut self.zj_regulator,
            &mut self.zj_hangzhou,
            &mut self.jx_regulator,
            &mut self.sh_company,
            &mut self.jx_company,
            &mut self.jx_company_2,
            &mut self.sh_lab,
            &mut self.jx_lab,
        ] {
            org.token = self.app.renew(&org.token).await;
        }
    }

    pub async fn new() -> World {
        Self::on(TestApp::spawn().await).await
    }

    /// The same world with no decision under four eyes: one regulator
    /// client pays and revokes alone (for tests of everything else that
    /// send decisions as API clients; four eyes have their own tests).
    pub async fn without_four_eyes() -> (World, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        for file in ["sh.toml", "zj.toml", "jx.toml"] {
            let text = std::fs::read_to_string(format!("config/regions/{file}")).unwrap();
            let text = text.replace(
                "actions = [\"claim.pay\", \"voucher.revoke\", \"provider.admit\", \"payee.approve\"]",
                "actions = []",
            );
            std::fs::write(dir.path().join(file), text).unwrap();
        }
        let world = Self::with_regions(&[dir.path().to_str().unwrap()]).await;
        (world, dir)
    }

    /// The same world under the region policies of `region_dirs`.
    pub async fn with_regions(region_dirs: &[&str]) -> World {
        Self::on(TestApp::spawn_with_regions(region_dirs).await).await
    }

    async fn on(app: TestApp) -> World {
        // Shanghai admits a provider after 7 days of public notice: the
        // world is set up eight days before the test's moment, and the
        // notice takes effect at it.
        let moment = app.clock.now();
        app.clock.set(moment - chrono::Duration::days(8));
        let admin = app.admin_token().await;
        let org = |(id, token): (Uuid, String)| Org { id, token };
        let sh_regulator = org(app.regulator("SH").await);
        let zj_regulator = org(app.regulator("ZJ").await);
        let zj_hangzhou = org(app.district_regulator("ZJ", "HZ").await);
        let jx_regulator = org(app.regulator("JX").await);
        let sh_company = org(app.register(&sh_regulator.token, company("SH")).await);
        let jx_company = org(app.register(&jx_regulator.token, company("JX")).await);
        let mut other = company("JX");
        other["actual_controller"] = json!("Li Si");
        let jx_company_2 = org(app.register(&jx_regulator.token, other).await);
        let sh_lab = org(app.register(&sh_regulator.token, provider("SH")).await);
        let jx_lab = org(app.register(&jx_regulator.token, provider("JX")).await);
        let world = World {
            app,
            admin,
            sh_regulator,
            zj_regulator,
            zj_hangzhou,
            jx_regulator,
            sh_company,
            jx_company,
            jx_company_2,
            sh_lab,
            jx_lab,
        };
        for (region, regulator) in [
            ("SH", &world.sh_regulator),
            ("ZJ", &world.zj_regulator),
            ("JX", &world.jx_regulator),
        ] {
            let answer = world
                .post(
                    &regulator.token,
                    &format!("/api/v1/regions/{region}/budgets"),
                    json!({"year": 2026, "amount": BUDGET}),
                )
                .await;
            assert_eq!(answer.status.code, 201, "{}", answer.text);
        }
        world
            .admit(
                "SH",
                &world.sh_regulator,
                world.sh_lab.id,
                &["testing", "rnd"],
            )
            .await;
        world
            .admit("JX", &world.jx_regulator, world.sh_lab.id, &["testing"])
            .await;
        world
            .admit("JX", &world.jx_regulator, world.jx_lab.id, &["testing"])
            .await;
        let mut world = world;
        world.app.clock.set(moment);
        world.renew_tokens().await;
        let run = world
            .post(&world.admin, "/api/v1/admin/notice-runs", json!({}))
            .await;
        assert_eq!(run.body["effective"], 1, "{}", run.text);
        world
    }

    /// A JX company of the same actual controller as `jx_company` (their
    /// annual cap is shared).
    pub async fn jx_sister(&self) -> Org {
        let mut sister = company("JX");
        sister["actual_controller"] = json!("Zhang San");
        let (id, token) = self.app.register(&self.jx_regulator.token, sister).await;
        Org { id, token }
    }

    /// A `POST` with a fresh idempotency key.
    pub async fn post(&self, token: &str, path: &str, body: Value) -> Answer {
        self.app.post(path, token, &new_key(), &body).await
    }

    pub async fn get(&self, token: &str, path: &str) -> Answer {
        self.app.get(path, token).await
    }

    pub async fn admit(&self, region: &str, regulator: &Org, provider: Uuid, categories: &[&str]) {
        let answer = self
            .post(
                &regulator.token,
                &format!("/api/v1/regions/{region}/admissions"),
                json!({"provider_id": provider, "categories": categories}),
            )
            .await;
        // 202: published for public notice (Shanghai).
        assert!((200..=202).contains(&answer.status.code), "{}", answer.text);
    }

    /// Applies as `company` and has `regulator` approve (in Zhejiang, after
    /// Hangzhou recommends it): the issued voucher.
    pub async fn voucher(
        &self,
        company: &Org,
        regulator: &Org,
        region: &str,
        amount: &str,
    ) -> Value {
        self.voucher_of_year(company, regulator, region, 2026, amount)
            .await
    }

    /// The same for fiscal year `year`.
    pub async fn voucher_of_year(
        &self,
        company: &Org,
        regulator: &Org,
        region: &str,
        year: i32,
        amount: &str,
    ) -> Value {
        let application = self
            .post(
                &company.token,
                "/api/v1/applications",
                json!({"region": region, "year": year, "amount": amount, "purpose": "检测服务",
                    "declared": eligible(), "district": (region == "ZJ").then_some("HZ")}),
            )
            .await;
        assert_eq!(application.status.code, 201, "{}", application.text);
        let id = application.body["id"].as_str().unwrap();
        if application.body["level"] == "district" {
            let path = format!("/api/v1/applications/{id}/recommend");
            let recommended = self.post(&self.zj_hangzhou.token, &path, json!({})).await;
            assert_eq!(recommended.status.code, 200, "{}", recommended.text);
        }
        let voucher = self
            .post(
                &regulator.token,
                &format!("/api/v1/applications/{id}/approve"),
                json!({}),
            )
            .await;
        assert_eq!(voucher.status.code, 201, "{}", voucher.text);
        voucher.body
    }

    /// `provider` completes a held redemption: all of it, or `amount`.
    pub async fn complete(
        &self,
        provider: &Org,
        redemption: impl Display,
        amount: Option<&str>,
    ) -> Answer {
        let body = match amount {
            Some(amount) => json!({ "amount": amount }),
            None => json!({}),
        };
        let path = format!("/api/v1/redemptions/{redemption}/complete");
        self.post(&provider.token, &path, body).await
    }

    /// `company` cancels a held redemption.
    pub async fn cancel(&self, company: &Org, redemption: impl Display) -> Answer {
        let path = format!("/api/v1/redemptions/{redemption}/cancel");
        self.post(&company.token, &path, json!({})).await
    }

    /// `provider` claims settlement of completed redemptions with an
    /// invoice, and attaches the four documents a claim needs before it is
    /// approved (when the claim is taken).
    pub async fn claim(
        &self,
        provider: &Org,
        redemptions: &[impl AsRef<str>],
        invoice: &str,
    ) -> Answer {
        let claimed = self.claim_bare(provider, redemptions, invoice).await;
        if claimed.status.code == 201 {
            let id = claimed.body["id"].as_str().unwrap();
            self.attach_documents(provider, id).await;
        }
        claimed
    }

    /// The same without its documents.
    pub async fn claim_bare(
        &self,
        provider: &Org,
        redemptions: &[impl AsRef<str>],
        invoice: &str,
    ) -> Answer {
        let ids: Vec<&str> = redemptions.iter().map(AsRef::as_ref).collect();
        let body = json!({ "redemption_ids": ids, "invoice_no": invoice });
        self.post(&provider.token, "/api/v1/claims", body).await
    }

    /// `provider` attaches a contract, an invoice, proof of the company's
    /// own share and a service report to claim `id`.
    pub async fn attach_documents(&self, provider: &Org, id: &str) {
        use voucher_ledger::domain::evidence::samples;
        for (kind, content) in samples::for_claim() {
            let path = format!("/api/v1/claims/{id}/documents?kind={kind}");
            let key = uuid::Uuid::now_v7().to_string();
            let attached = self
                .app
                .upload(&path, &provider.token, &key, &content)
                .await;
            assert_eq!(attached.status.code, 201, "{}", attached.text);
        }
    }

    /// `regulator` approves a claim.
    pub async fn approve_claim(&self, regulator: &Org, claim: impl Display) -> Answer {
        let path = format!("/api/v1/claims/{claim}/approve");
        self.post(&regulator.token, &path, json!({})).await
    }

    /// `regulator` records a claim paid under a bank reference: its first
    /// administrator asks, a second person confirms (four eyes). The
    /// answer is the maker's refusal, or the claim as paid.
    pub async fn pay_claim(&self, regulator: &Org, claim: impl Display, reference: &str) -> Answer {
        let path = format!("/api/v1/claims/{claim}/pay");
        let body = json!({ "bank_reference": reference });
        self.decide(regulator, &path, body).await
    }

    /// `regulator` revokes a voucher for a reason: its first administrator
    /// asks, a second person confirms when four eyes apply. The answer is
    /// the maker's refusal, or the voucher as revoked.
    pub async fn revoke(&self, regulator: &Org, voucher: impl Display, reason: &str) -> Answer {
        let path = format!("/api/v1/vouchers/{voucher}/revoke");
        self.decide(regulator, &path, json!({ "reason": reason }))
            .await
    }

    /// A decision of `regulator` under four eyes: asked by its first
    /// administrator and, if it waits, confirmed by a second person.
    async fn decide(&self, regulator: &Org, path: &str, body: Value) -> Answer {
        let maker = self.app.administrator(regulator.id).await;
        let asked = self.post(&maker, path, body).await;
        if asked.status.code != 202 {
            return asked;
        }
        let id = asked.body["confirmation"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let checker = self.app.second_person(regulator.id).await;
        let path = format!("/api/v1/confirmations/{id}/confirm");
        let mut confirmed = self.post(&checker, &path, json!({})).await;
        if confirmed.status.code == 200 {
            confirmed.body = confirmed.body["result"].clone();
            confirmed.text = confirmed.body.to_string();
        }
        confirmed
    }

    /// Holds `amount` of a voucher at a provider for a contract.
    pub async fn hold(
        &self,
        company: &Org,
        voucher: &Value,
        provider: &Org,
        contract: &str,
        contract_amount: &str,
        amount: &str,
    ) -> Answer {
        self.post(
            &company.token,
            "/api/v1/redemptions",
            json!({
                "voucher_id": voucher["id"], "provider_id": provider.id, "contract_no": contract,
                "contract_amount": contract_amount, "service_category": "testing", "amount": amount,
            }),
        )
        .await
    }

    /// A voucher as its issuing regulator sees it.
    pub async fn read_voucher(&self, regulator: &Org, voucher: &Value) -> Value {
        let answer = self
            .get(
                &regulator.token,
                &format!("/api/v1/vouchers/{}", voucher["id"].as_str().unwrap()),
            )
            .await;
        assert_eq!(answer.status.code, 200, "{}", answer.text);
        answer.body
    }

    /// A region's 2026 budget.
    pub async fn budget(&self, regulator: &Org, region: &str) -> Value {
        let answer = self
            .get(
                &regulator.token,
                &format!("/api/v1/regions/{region}/budgets/2026"),
            )
            .await;
        assert_eq!(answer.status.code, 200, "{}", answer.text);
        answer.body
    }

    /// Asserts a voucher's balances: available, held, redeemed, expired, revoked.
    pub async fn assert_voucher(
        &self,
        regulator: &Org,
        voucher: &Value,
        status: &str,
        balances: [&str; 5],
    ) {
        let v = self.read_voucher(regulator, voucher).await;
        let got = [
            &v["available"],
            &v["held"],
            &v["redeemed"],
            &v["expired"],
            &v["revoked"],
        ]
        .map(|x| x.as_str().unwrap().to_owned());
        assert_eq!(got, balances.map(str::to_owned), "voucher {}", v);
        assert_eq!(v["status"], status, "voucher {}", v);
        self.app.assert_invariants().await;
    }

    /// Everything that says how much money is where, to compare before and after.
    pub async fn snapshot(&self) -> String {
        use sea_orm::{EntityTrait, QueryOrder};
        use voucher_ledger::store::entities::{accounts, budgets, claims, redemptions, vouchers};
        let db = self.app.db.reader();
        let a = accounts::Entity::find()
            .order_by_asc(accounts::Column::Id)
            .all(db)
            .await
            .unwrap();
        let b = budgets::Entity::find().all(db).await.unwrap();
        let v = vouchers::Entity::find()
            .order_by_asc(vouchers::Column::Id)
            .all(db)
            .await
            .unwrap();
        let r = redemptions::Entity::find()
            .order_by_asc(redemptions::Column::Id)
            .all(db)
            .await
            .unwrap();
        let c = claims::Entity::find()
            .order_by_asc(claims::Column::Id)
            .all(db)
            .await
            .unwrap();
        format!("{a:?}{b:?}{v:?}{r:?}{c:?}")
    }
}

/// What a company declares so that every shipped programme takes it: an
/// S&T SME registration and, for a team, an incubator and four members.
pub fn eligible() -> Value {
    json!({"sme_registration": "20263101150000001", "housed_in": "incubator",
        "housing_name": "漕河泾科技创业中心", "core_members": 4})
}
