//! `voucher-ledger demo`: a realistic year in an empty database, made with
//! the same operations as the API and the portal (so the audit chains
//! verify): the three regions funded; testing labs, an instrument centre and
//! a university institute admitted by category, a Shanghai lab admitted by
//! Jiaxing (the pilot); companies and a start-up team with valid credit
//! codes; vouchers active, used up, expired and revoked; holds completed in
//! full and in part, cancelled and still held; claims submitted, approved,
//! rejected and paid; and a person of each role to sign in with.

use std::sync::Arc;

use chrono::{Datelike, TimeZone, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::clock::{shanghai_date, ManualClock};
use crate::domain::{Actor, CreditCode, Money, Region};
use crate::service::admissions::Admit;
use crate::service::applications::{ApproveApplication, RejectApplication, SubmitApplication};
use crate::service::budgets::Appropriate;
use crate::service::claims::{ApproveClaim, Claim, PayClaim, RejectClaim, SubmitClaim};
use crate::service::identity::{self, ClientCredentials, RegisterOrganization};
use crate::service::people::{self, CreateUser};
use crate::service::redemptions::{CancelRedemption, Complete, Hold, Redemption};
use crate::service::vouchers::{RevokeVoucher, Voucher};
use crate::service::{expiry, secrets, Call, Operation, Service, ServiceError, ServiceResult};
use crate::store::entities::organizations;

/// How to sign in as one role: a person's login and password for the
/// portal, and the organisation's API client.
#[derive(Debug, Clone, Serialize)]
pub struct Access {
    pub organization: String,
    pub login: String,
    pub password: String,
    pub client_id: String,
    pub client_secret: String,
}

/// What `demo` prints, once.
#[derive(Debug, Clone, Serialize)]
pub struct Printed {
    pub operator: Access,
    pub regulator: Access,
    pub company: Access,
    pub provider: Access,
}

/// Why `demo` refused.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the database is not empty ({0} organisations): demo fills only an empty database, and changed nothing")]
    NotEmpty(u64),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

/// A registered organisation: who it acts as, and its API client.
struct Org {
    actor: Actor,
    name: String,
    client: ClientCredentials,
}

/// The demo's state: the service and a counter for credit codes.
struct Demo {
    service: Service,
    codes: u64,
}

fn yuan(text: &str) -> Money {
    Money::parse_positive(text).expect("a demo amount")
}

impl Demo {
    async fn run<O: Operation>(&self, actor: &Actor, op: O) -> ServiceResult<O::Output> {
        self.service.execute(Call::by(actor.clone()), op).await
    }

    /// A valid unified social credit code (Zhejiang/Shanghai style).
    fn code(&mut self) -> String {
        self.codes += 1;
        let body = format!("91330400{:09}", 700_000_000 + self.codes);
        CreditCode::with_check_character(&body)
            .expect("a demo credit code")
            .to_string()
    }

    async fn register(
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
            credit_code: (kind != "regulator").then(|| self.code()),
            company_type: company_type.map(Into::into),
            actual_controller: controller.map(Into::into),
        };
        let registered = self.run(by, op).await?;
        let org = registered.organization;
        Ok(Org {
            actor: Actor {
                sub: org.id,
                role: org.kind.role(),
                region: Some(org.region),
            },
            name: org.name,
            client: registered.credentials,
        })
    }

    /// A voucher for `company`: applied for `amounts.0`, approved for
    /// `amounts.1` (all of it when none).
    async fn voucher(
        &self,
        company: &Org,
        regulator: &Org,
        (region, year): (&str, i32),
        (asked, granted): (&str, Option<&str>),
        purpose: &str,
    ) -> ServiceResult<Voucher> {
        let application = SubmitApplication {
            region: region.into(),
            year,
            amount: yuan(asked),
            purpose: purpose.into(),
        };
        let application = self.run(&company.actor, application).await?;
        let approve = ApproveApplication {
            id: application.id,
            amount: granted.map(yuan),
        };
        self.run(&regulator.actor, approve).await
    }

    async fn hold(
        &self,
        company: &Org,
        voucher: &Voucher,
        provider: &Org,
        contract: (&str, &str),
        category: &str,
        amount: &str,
    ) -> ServiceResult<Redemption> {
        let op = Hold {
            voucher_id: voucher.id,
            provider_id: provider.actor.sub,
            contract_no: contract.0.into(),
            contract_amount: yuan(contract.1),
            service_category: category.into(),
            amount: yuan(amount),
        };
        self.run(&company.actor, op).await
    }

    async fn complete(
        &self,
        provider: &Org,
        r: &Redemption,
        amount: Option<&str>,
    ) -> ServiceResult<()> {
        let op = Complete {
            id: r.id,
            amount: amount.map(yuan),
        };
        self.run(&provider.actor, op).await.map(|_| ())
    }

    /// `provider` claims settlement of one completed redemption.
    async fn claim(&self, provider: &Org, r: &Redemption, invoice: &str) -> ServiceResult<Claim> {
        let op = SubmitClaim {
            redemption_ids: vec![r.id],
            invoice_no: invoice.into(),
        };
        self.run(&provider.actor, op).await
    }

    /// A person of `org` with a random password.
    async fn person(&self, org: &Org, login: &str, name: &str) -> ServiceResult<Access> {
        let password = secrets::random_password();
        let op = CreateUser {
            organization_id: org.actor.sub,
            login: login.into(),
            display_name: name.into(),
            password_hash: people::hash_password(&password).await?,
        };
        self.run(&org.actor, op).await?;
        Ok(Access {
            organization: org.name.clone(),
            login: login.into(),
            password,
            client_id: org.client.client_id.clone(),
            client_secret: org.client.client_secret.clone(),
        })
    }
}

/// Fills an empty database with a year of the programme; refuses (and
/// changes nothing) when any organisation exists.
pub async fn fill(service: &Service) -> Result<Printed, DemoError> {
    use sea_orm::{EntityTrait, PaginatorTrait};
    let existing = organizations::Entity::find()
        .count(service.db.reader())
        .await
        .map_err(ServiceError::from)?;
    if existing > 0 {
        return Err(DemoError::NotEmpty(existing));
    }
    let now = service.clock.now();
    let year = shanghai_date(now).year();
    // Last year's part runs on a clock of last June.
    let last_june = Utc
        .with_ymd_and_hms(year - 1, 6, 2, 2, 0, 0)
        .single()
        .expect("a date");
    let past = Service {
        clock: Arc::new(ManualClock::new(last_june)),
        ..service.clone()
    };
    let operator_credentials = identity::create_admin(&service.db, now).await?;
    let op = identity::authenticate(
        &service.db,
        &operator_credentials.client_id,
        &operator_credentials.client_secret,
    )
    .await?;
    let mut demo = Demo {
        service: past,
        codes: u64::from(Uuid::now_v7().as_u128() as u32 % 1000) * 1000,
    };
    let sh = demo
        .register(&op, "regulator", "上海市科学技术委员会", "SH", None, None)
        .await?;
    let zj = demo
        .register(&op, "regulator", "浙江省科学技术厅", "ZJ", None, None)
        .await?;
    let jx = demo
        .register(&op, "regulator", "嘉兴市科学技术局", "JX", None, None)
        .await?;
    let sh_lab = demo
        .register(
            &sh.actor,
            "provider",
            "上海测试技术研究院",
            "SH",
            None,
            None,
        )
        .await?;
    let sh_instruments = demo
        .register(
            &sh.actor,
            "provider",
            "上海微技术工业研究院仪器共享中心",
            "SH",
            None,
            None,
        )
        .await?;
    let zj_institute = demo
        .register(
            &zj.actor,
            "provider",
            "浙江大学杭州国际科创中心",
            "ZJ",
            None,
            None,
        )
        .await?;
    let jx_lab = demo
        .register(
            &jx.actor,
            "provider",
            "嘉兴市检验检测研究院",
            "JX",
            None,
            None,
        )
        .await?;
    let photonics = demo
        .register(
            &jx.actor,
            "company",
            "嘉兴光子科技有限公司",
            "JX",
            Some("enterprise"),
            Some("王建国"),
        )
        .await?;
    let team = demo
        .register(
            &jx.actor,
            "company",
            "嘉兴智造创业团队",
            "JX",
            Some("team"),
            Some("李晓"),
        )
        .await?;
    let quantum = demo
        .register(
            &sh.actor,
            "company",
            "上海量子材料有限公司",
            "SH",
            Some("enterprise"),
            Some("陈明"),
        )
        .await?;
    let chips = demo
        .register(
            &zj.actor,
            "company",
            "杭州芯片设计有限公司",
            "ZJ",
            Some("enterprise"),
            Some("周浩"),
        )
        .await?;
    for (regulator, region) in [(&sh, "SH"), (&zj, "ZJ"), (&jx, "JX")] {
        for (y, amount) in [(year - 1, "1000000.00"), (year, "5000000.00")] {
            let op = Appropriate {
                region: Region::parse(region).expect("a region"),
                year: y,
                amount: yuan(amount),
            };
            demo.run(&regulator.actor, op).await?;
        }
    }
    for (regulator, provider, categories) in [
        (&sh, &sh_lab, vec!["testing", "rnd"]),
        (&sh, &sh_instruments, vec!["testing"]),
        (&zj, &zj_institute, vec!["rnd", "tech_transfer"]),
        (&jx, &jx_lab, vec!["testing"]),
        (&jx, &sh_lab, vec!["testing", "rnd"]),
    ] {
        let op = Admit {
            region: regulator.actor.region.clone().expect("a region"),
            provider_id: provider.actor.sub,
            categories: categories.into_iter().map(Into::into).collect(),
        };
        demo.run(&regulator.actor, op).await?;
    }

    // Last year: a voucher partly used, which expires at the year's end.
    let old = demo
        .voucher(
            &photonics,
            &jx,
            ("JX", year - 1),
            ("50000.00", None),
            "去年的材料检测",
        )
        .await?;
    let r = demo
        .hold(
            &photonics,
            &old,
            &jx_lab,
            ("JX-2025-0031", "20000.00"),
            "testing",
            "10000.00",
        )
        .await?;
    demo.complete(&jx_lab, &r, None).await?;

    // This year, on the real clock.
    demo.service = service.clone();
    expiry::run_to_end(service, &Call::system(), now).await?;
    let main = demo
        .voucher(
            &photonics,
            &jx,
            ("JX", year),
            ("200000.00", Some("150000.00")),
            "光子芯片可靠性检测与研发",
        )
        .await?;
    // The pilot: held at the Shanghai lab, 30,000.00 of 40,000.00 delivered,
    // claimed, approved and paid by Jiaxing.
    let r = demo
        .hold(
            &photonics,
            &main,
            &sh_lab,
            ("JX-SH-0001", "80000.00"),
            "testing",
            "40000.00",
        )
        .await?;
    demo.complete(&sh_lab, &r, Some("30000.00")).await?;
    let claim = demo.claim(&sh_lab, &r, "SH-INV-0001").await?;
    demo.run(&jx.actor, ApproveClaim { id: claim.id }).await?;
    demo.run(
        &jx.actor,
        PayClaim {
            id: claim.id,
            bank_reference: "ICBC-JX-0001".into(),
        },
    )
    .await?;
    // At the Jiaxing lab: completed, claimed, rejected (to be claimed again).
    let r = demo
        .hold(
            &photonics,
            &main,
            &jx_lab,
            ("JX-0002", "40000.00"),
            "testing",
            "20000.00",
        )
        .await?;
    demo.complete(&jx_lab, &r, None).await?;
    let claim = demo.claim(&jx_lab, &r, "JX-INV-0002").await?;
    demo.run(
        &jx.actor,
        RejectClaim {
            id: claim.id,
            reason: "发票抬头与合同不符".into(),
        },
    )
    .await?;
    // One cancelled, one still held.
    let r = demo
        .hold(
            &photonics,
            &main,
            &sh_lab,
            ("JX-SH-0003", "10000.00"),
            "rnd",
            "5000.00",
        )
        .await?;
    demo.run(&photonics.actor, CancelRedemption { id: r.id })
        .await?;
    demo.hold(
        &photonics,
        &main,
        &sh_lab,
        ("JX-SH-0004", "30000.00"),
        "rnd",
        "10000.00",
    )
    .await?;
    // The start-up team uses its voucher up.
    let small = demo
        .voucher(&team, &jx, ("JX", year), ("50000.00", None), "样机检测")
        .await?;
    for contract in ["JX-T-0001", "JX-T-0002"] {
        let r = demo
            .hold(
                &team,
                &small,
                &jx_lab,
                (contract, "50000.00"),
                "testing",
                "25000.00",
            )
            .await?;
        demo.complete(&jx_lab, &r, None).await?;
    }
    // Applications waiting, and one rejected.
    demo.run(
        &team.actor,
        SubmitApplication {
            region: "JX".into(),
            year,
            amount: yuan("30000.00"),
            purpose: "二期研发".into(),
        },
    )
    .await?;
    let rejected = demo
        .run(
            &photonics.actor,
            SubmitApplication {
                region: "JX".into(),
                year,
                amount: yuan("80000.00"),
                purpose: "重复申请".into(),
            },
        )
        .await?;
    demo.run(
        &jx.actor,
        RejectApplication {
            id: rejected.id,
            reason: "超过年度上限，请下一年度申请".into(),
        },
    )
    .await?;
    // Shanghai: completed and claimed, waiting for the regulator.
    let v = demo
        .voucher(
            &quantum,
            &sh,
            ("SH", year),
            ("100000.00", None),
            "量子材料表征",
        )
        .await?;
    let r = demo
        .hold(
            &quantum,
            &v,
            &sh_instruments,
            ("SH-0001", "100000.00"),
            "testing",
            "50000.00",
        )
        .await?;
    demo.complete(&sh_instruments, &r, None).await?;
    demo.claim(&sh_instruments, &r, "SH-INV-0101").await?;
    // Zhejiang: a voucher revoked.
    let v = demo
        .voucher(
            &chips,
            &zj,
            ("ZJ", year),
            ("80000.00", None),
            "芯片设计验证",
        )
        .await?;
    demo.run(
        &zj.actor,
        RevokeVoucher {
            id: v.id,
            reason: "申报材料不实".into(),
        },
    )
    .await?;

    let (login, password) = {
        let (user, password) = people::create_operator(&service.db, "demo-operator", now).await?;
        (user.login, password)
    };
    Ok(Printed {
        operator: Access {
            organization: "operator".into(),
            login,
            password,
            client_id: operator_credentials.client_id,
            client_secret: operator_credentials.client_secret,
        },
        regulator: demo.person(&jx, "demo-jx-regulator", "刘洋").await?,
        company: demo.person(&photonics, "demo-company", "王芳").await?,
        provider: demo.person(&sh_lab, "demo-provider", "陈静").await?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_credit_codes_are_valid() {
        let mut demo_codes = (0..2000u64).map(|n| {
            let body = format!("91330400{:09}", 700_000_000 + n);
            CreditCode::with_check_character(&body)
        });
        assert!(demo_codes.all(|c| c.is_ok()));
    }
}
