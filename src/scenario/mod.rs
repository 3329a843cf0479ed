//! One builder of programmes, through the service's own operations (so the
//! audit chains verify): organisations with valid credit codes, budgets,
//! admissions, vouchers applied for and approved, holds, completions,
//! claims and people. Used by `demo`, `loadgen seed` and the tests, each
//! with its own runner (one transaction per operation, or a batch).

use crate::domain::identity::reviewed_district;
use crate::domain::{Actor, Amount, CreditCode, OrgKind, Region};
use crate::service::admissions::Admit;
use crate::service::applications::{Application, ApproveApplication, SubmitApplication};
use crate::service::budgets::Appropriate;
use crate::service::claims::{Claim, SubmitClaim};
use crate::service::clients::CreateClient;
use crate::service::confirmations::Confirm;
use crate::service::four_eyes::Decided;
use crate::service::identity::{ClientCredentials, RegisterOrganization};
use crate::service::invitations::{Accept, Acceptance, Invitation, Invite};
use crate::service::payments::PayClaim;
use crate::service::people;
use crate::service::redemptions::{Complete, Hold, Redemption};
use crate::service::review::RecommendApplication;
use crate::service::vouchers::Voucher;
use crate::service::{secrets, Operation, ServiceResult};
use uuid::Uuid;

mod evidence;
mod runner;

pub use runner::Runner;

/// A registered organisation: who it acts as (through its API client),
/// its first administrator, and the API client that person created.
#[derive(Debug, Clone)]
pub struct Org {
    pub actor: Actor,
    pub name: String,
    /// The organisation acting through its first administrator.
    pub admin: Actor,
    /// A regulator's second person, who confirms what the first asks for
    /// (four eyes); none for companies and providers.
    pub checker: Option<Actor>,
    pub client: ClientCredentials,
}

impl Org {
    /// The organisation's region.
    pub fn region(&self) -> Region {
        self.actor
            .region
            .clone()
            .expect("a registered organisation has a region")
    }
}

/// How to sign in as a person of an organisation: the person's login and
/// password for the portal, and the organisation's API client.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Access {
    pub organization: String,
    pub login: String,
    pub password: String,
    pub client_id: String,
    pub client_secret: String,
}

/// A valid unified social credit code (Zhejiang style), the `n`-th.
pub fn credit_code(n: u64) -> String {
    CreditCode::with_check_character(&format!("91330400{:09}", n % 1_000_000_000))
        .expect("a credit code")
        .to_string()
}

/// An amount in yuan, as written in a script (`"40000.00"`).
pub fn yuan(text: &str) -> Amount {
    Amount::parse(text).expect("a scripted amount")
}

/// A programme being built by `runner`; credit codes count up from the
/// first one given.
pub struct Scenario<R> {
    pub runner: R,
    codes: u64,
}

impl<R: Runner> Scenario<R> {
    /// A builder whose organisations get credit codes from `first_code` on.
    pub fn new(runner: R, first_code: u64) -> Self {
        Scenario {
            runner,
            codes: first_code,
        }
    }

    /// Runs `op` as `actor`.
    pub async fn run<O: Operation>(&self, actor: &Actor, op: O) -> ServiceResult<O::Output> {
        self.runner.run(actor, op).await
    }

    /// Registers an organisation of `kind` (`regulator`, `provider` or
    /// `company`), as `by`; providers and companies get the next credit code.
    pub async fn register(
        &mut self,
        by: &Actor,
        kind: &str,
        name: &str,
        region: &str,
        company_type: Option<&str>,
        controller: Option<&str>,
    ) -> ServiceResult<Org> {
        let op = RegisterOrganization {
            kind: kind.into(),
            name: name.into(),
            region: region.into(),
            company_type: company_type.map(Into::into),
            actual_controller: controller.map(Into::into),
            ..RegisterOrganization::default()
        };
        self.register_as(by, op).await
    }

    /// Registers `op`'s organisation as `by` (providers and companies get
    /// the next credit code); its first administrator accepts, creates an
    /// API client and (for a regulator) invites a checker.
    async fn register_as(&mut self, by: &Actor, op: RegisterOrganization) -> ServiceResult<Org> {
        let credit_code = (op.kind != "regulator").then(|| {
            self.codes += 1;
            credit_code(self.codes)
        });
        let op = RegisterOrganization { credit_code, ..op };
        let registered = self.run(by, op).await?;
        let org = registered.organization;
        let actor = Actor {
            sub: org.id,
            role: org.kind.role(),
            region: Some(org.region),
            person: None,
            needs_second_factor: false,
            district: reviewed_district(org.kind.role(), org.district),
        };
        // The first administrator accepts the invitation, as the person it
        // was handed to would, and creates the organisation's API client.
        let login = format!("admin-{}", org.id.simple());
        let (admin, _) = self
            .accept(&actor, &registered.invitation, &login, "管理员")
            .await?;
        let client = CreateClient {
            organization_id: org.id,
            label: Some("scenario".into()),
        };
        let client = self.run(&admin, client).await?.credentials;
        let checker = match org.kind {
            OrgKind::Regulator => {
                let login = format!("checker-{}", org.id.simple());
                Some(self.invite(&admin, &actor, &login, "复核人").await?.0)
            }
            _ => None,
        };
        Ok(Org {
            actor,
            name: org.name,
            admin,
            checker,
            client,
        })
    }

    /// Accepts `invitation` to the organisation of `actor` as a new person
    /// with a random password; answers the organisation acting through
    /// that person, and the password.
    async fn accept(
        &self,
        actor: &Actor,
        invitation: &Invitation,
        login: &str,
        name: &str,
    ) -> ServiceResult<(Actor, String)> {
        let password = secrets::random_password();
        let person = Actor {
            person: Some(uuid::Uuid::now_v7()),
            ..actor.clone()
        };
        let given = Acceptance {
            login: login.into(),
            display_name: name.into(),
            password: String::new(),
        };
        let hash = people::hash_password(&password).await?;
        let user_id = person.person.expect("a person");
        let op = Accept::new(&invitation.token, user_id, given, hash);
        self.run(&person, op).await?;
        Ok((person, password))
    }

    /// A region's regulator, registered by an operator.
    pub async fn regulator(
        &mut self,
        operator: &Actor,
        name: &str,
        region: &str,
    ) -> ServiceResult<Org> {
        self.register(operator, "regulator", name, region, None, None)
            .await
    }

    /// The regulator of `district` below `region` (first-level review),
    /// registered by an operator.
    pub async fn district_regulator(
        &mut self,
        operator: &Actor,
        name: &str,
        (region, district): (&str, &str),
    ) -> ServiceResult<Org> {
        let op = RegisterOrganization {
            kind: "regulator".into(),
            name: name.into(),
            region: region.into(),
            district: Some(district.into()),
            ..RegisterOrganization::default()
        };
        self.register_as(operator, op).await
    }

    /// A provider of the regulator's region.
    pub async fn provider(&mut self, regulator: &Org, name: &str) -> ServiceResult<Org> {
        let region = regulator.region().to_string();
        self.register(&regulator.actor, "provider", name, &region, None, None)
            .await
    }

    /// A provider of the regulator's region registered with `district`
    /// (whose regulator reviews its admission first).
    pub async fn district_provider(
        &mut self,
        regulator: &Org,
        name: &str,
        district: &str,
    ) -> ServiceResult<Org> {
        let op = RegisterOrganization {
            kind: "provider".into(),
            name: name.into(),
            region: regulator.region().to_string(),
            district: Some(district.into()),
            ..RegisterOrganization::default()
        };
        self.register_as(&regulator.actor, op).await
    }

    /// A company of the regulator's region: `enterprise` or `team`, with its
    /// actual controller.
    pub async fn company(
        &mut self,
        regulator: &Org,
        name: &str,
        company_type: &str,
        controller: &str,
    ) -> ServiceResult<Org> {
        let region = regulator.region().to_string();
        let (by, kind) = (&regulator.actor, "company");
        self.register(
            by,
            kind,
            name,
            &region,
            Some(company_type),
            Some(controller),
        )
        .await
    }

    /// The regulator appropriates `amount` for its region's fiscal `year`.
    pub async fn appropriate(
        &self,
        regulator: &Org,
        year: i32,
        amount: Amount,
    ) -> ServiceResult<()> {
        let op = Appropriate {
            region: regulator.region(),
            year,
            amount,
            fund: None,
        };
        self.run(&regulator.actor, op).await.map(|_| ())
    }

    /// The regulator admits `provider` to its region for `categories`.
    pub async fn admit(
        &self,
        regulator: &Org,
        provider: &Actor,
        categories: &[&str],
    ) -> ServiceResult<()> {
        let op = Admit {
            region: regulator.region(),
            provider_id: provider.sub,
            categories: categories.iter().map(|c| (*c).to_owned()).collect(),
        };
        self.run(&regulator.actor, op).await.map(|_| ())
    }

    /// A voucher for `company`: applied for `asked`, approved for
    /// `granted` (all of it when none).
    pub async fn voucher(
        &self,
        company: &Actor,
        regulator: &Actor,
        (region, year): (&str, i32),
        (asked, granted): (Amount, Option<Amount>),
        purpose: &str,
    ) -> ServiceResult<Voucher> {
        let application = self
            .apply(company, None, (region, year), asked, purpose)
            .await?;
        let approve = ApproveApplication {
            id: application.id,
            amount: granted,
        };
        self.run(regulator, approve).await
    }

    /// `company` applies for `asked` (naming its district where the
    /// programme reviews at two levels).
    pub async fn apply(
        &self,
        company: &Actor,
        district: Option<&str>,
        (region, year): (&str, i32),
        asked: Amount,
        purpose: &str,
    ) -> ServiceResult<Application> {
        let application = SubmitApplication {
            region: region.into(),
            year,
            amount: asked,
            purpose: purpose.into(),
            declared: eligible_facts(),
            district: district.map(Into::into),
        };
        self.run(company, application).await
    }

    /// The regulator of the application's district recommends it to the
    /// region: `amount` with its reason, or all asked.
    pub async fn recommend(
        &self,
        reviewer: &Actor,
        application: &Application,
        amount: Option<(Amount, &str)>,
    ) -> ServiceResult<Application> {
        let op = RecommendApplication {
            id: application.id,
            amount: amount.map(|(a, _)| a),
            reason: amount.map(|(_, r)| r.into()),
        };
        self.run(reviewer, op).await
    }

    /// `company` holds `amount` of `voucher` at `provider` against a
    /// contract (number and amount) for a service `category`.
    pub async fn hold(
        &self,
        company: &Actor,
        voucher: uuid::Uuid,
        provider: &Actor,
        (contract_no, contract_amount): (&str, Amount),
        category: &str,
        amount: Amount,
    ) -> ServiceResult<Redemption> {
        let op = Hold {
            voucher_id: voucher,
            provider_id: provider.sub,
            contract_no: contract_no.into(),
            contract_amount,
            service_category: category.into(),
            amount,
        };
        self.run(company, op).await
    }

    /// `provider` completes a hold, in full (none) or for `amount`.
    pub async fn complete(
        &self,
        provider: &Actor,
        r: &Redemption,
        amount: Option<Amount>,
    ) -> ServiceResult<()> {
        let op = Complete { id: r.id, amount };
        self.run(provider, op).await.map(|_| ())
    }

    /// `provider` claims settlement of one completed redemption, with the
    /// four documents a claim carries (sample files: see
    /// [`Scenario::attach_samples`]).
    pub async fn claim(
        &self,
        provider: &Actor,
        r: &Redemption,
        invoice: &str,
    ) -> ServiceResult<Claim> {
        let op = SubmitClaim {
            redemption_ids: vec![r.id],
            invoice_no: invoice.into(),
        };
        let claim = self.run(provider, op).await?;
        self.attach_samples(provider, claim.id).await?;
        Ok(claim)
    }

    /// An administrator of the organisation of `actor`, invited by `admin`
    /// and accepted with a random password.
    async fn invite(
        &self,
        admin: &Actor,
        actor: &Actor,
        login: &str,
        name: &str,
    ) -> ServiceResult<(Actor, String)> {
        let invite = Invite {
            organization_id: Some(actor.sub),
            administrator: true,
            user_id: None,
            login: None,
        };
        let invitation = self.run(admin, invite).await?;
        self.accept(actor, &invitation, login, name).await
    }

    /// `regulator` pays an approved claim: its first administrator asks,
    /// its second person confirms (four eyes).
    pub async fn pay(&self, regulator: &Org, claim: Uuid, reference: &str) -> ServiceResult<()> {
        let op = PayClaim {
            id: claim,
            bank_reference: reference.into(),
        };
        self.decide(regulator, op).await
    }

    /// `regulator` takes a decision under four eyes: its first
    /// administrator asks, and when the decision waits, its second person
    /// confirms it.
    pub async fn decide<T, O>(&self, regulator: &Org, op: O) -> ServiceResult<()>
    where
        T: Send,
        O: Operation<Output = Decided<T>>,
    {
        if let Decided::Awaiting(waiting) = self.run(&regulator.admin, op).await? {
            let checker = regulator.checker.as_ref().unwrap_or(&regulator.admin);
            self.run(checker, Confirm { id: waiting.id }).await?;
        }
        Ok(())
    }

    /// An administrator of `org` with a random password, invited by its
    /// first administrator.
    pub async fn person(&self, org: &Org, login: &str, name: &str) -> ServiceResult<Access> {
        let (_, password) = self.invite(&org.admin, &org.actor, login, name).await?;
        let region = org.region();
        Ok(Access {
            organization: org.name.clone(),
            // What they sign in as: `login@code`.
            login: crate::domain::sign_in_name(login, Some((org.actor.sub, &region))),
            password,
            client_id: org.client.client_id.clone(),
            client_secret: org.client.client_secret.clone(),
        })
    }
}

/// What a company of the scenario declares: an S&T SME registration and, for
/// a team, an incubator and four core members — enough for every shipped
/// programme.
pub fn eligible_facts() -> crate::domain::eligibility::DeclaredInput {
    crate::domain::eligibility::DeclaredInput {
        sme_registration: Some("20263101150000001".into()),
        housed_in: Some("incubator".into()),
        housing_name: Some("漕河泾科技创业中心".into()),
        core_members: Some(4),
    }
}
