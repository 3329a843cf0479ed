//! `voucher-ledger demo`: a realistic year in an empty database, made with
//! the same operations as the API and the portal (so the audit chains
//! verify): the three regions funded, and Yuhuan's city fund; labs, an
//! instrument centre and a university institute admitted by category (a
//! Shanghai lab by Jiaxing too: the pilot); companies and a start-up team
//! with valid credit codes; vouchers active, used up, expired and revoked;
//! holds completed in full and in part, cancelled and still held; claims
//! submitted, approved, rejected and paid, one with its four evidence
//! documents; services rated (one a complaint); a company refused for last
//! year's idle voucher; Zhejiang's two-level review (one recommended for
//! less, with the reason; a Hangzhou lab's admission recommended in part);
//! a Shanghai admission under public notice with an objection; and a person
//! of each role to sign in with.

mod admission;
mod city_fund;
mod notice;

use std::sync::Arc;

use chrono::{Datelike, TimeZone, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::clock::{shanghai_date, ManualClock};
use crate::domain::evidence::samples;
use crate::domain::{DomainError, Refusal};
use crate::scenario::{yuan, Org, Scenario};
use crate::service::applications::{RejectApplication, SubmitApplication};
use crate::service::claims::{ApproveClaim, RejectClaim};
use crate::service::evidence::{self, AttachDocument};
use crate::service::identity;
use crate::service::invitations::{self, Acceptance};
use crate::service::ratings::RateRedemption;
use crate::service::redemptions::CancelRedemption;
use crate::service::secrets;
use crate::service::vouchers::RevokeVoucher;
use crate::service::{expiry, notice_effect, Call, Service, ServiceError};
use crate::store::entities::organizations;

pub use crate::scenario::Access;

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

/// The demo's organisations.
struct Cast {
    sh: Org,
    zj: Org,
    /// Zhejiang's first level for Hangzhou and for Jiaxing companies.
    zj_hangzhou: Org,
    zj_jiaxing: Org,
    jx: Org,
    sh_lab: Org,
    sh_instruments: Org,
    jx_lab: Org,
    photonics: Org,
    team: Org,
    quantum: Org,
    chips: Org,
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
    let operator = identity::authenticate(
        &service.db,
        &operator_credentials.client_id,
        &operator_credentials.client_secret,
    )
    .await?;
    let first_code = 700_000_000 + u64::from(Uuid::now_v7().as_u128() as u32 % 1000) * 1000;
    let mut demo = Scenario::new(past, first_code);
    let cast = cast(&mut demo, &operator, year).await?;
    last_year(&demo, &cast, year - 1).await?;
    // This year, on the real clock.
    let demo = Scenario::new(service.clone(), 0);
    expiry::run_to_end(service, &Call::system(), now).await?;
    notice_effect::settle_due(service, &Call::system()).await?;
    this_year(&demo, &cast, year).await?;
    let mut later = Scenario::new(service.clone(), first_code + 500);
    notice::with_objection(&mut later, &cast.sh).await?;
    city_fund::yuhuan(&mut later, &operator, &cast.zj, &cast.jx_lab.actor, year).await?;
    admission::recommended_by_hangzhou(&mut later, &cast.zj, &cast.zj_hangzhou).await?;

    // The operator's person accepts an invitation, as `create-admin --login`
    // would hand one over.
    let invitation = invitations::invite_operator(service, "demo-operator").await?;
    let password = secrets::random_password();
    let given = Acceptance {
        login: String::new(),
        display_name: "演示运营人员".into(),
        password: password.clone(),
    };
    let user = invitations::accept(service, &invitation.token, given, "cli").await?;
    Ok(Printed {
        operator: Access {
            organization: "operator".into(),
            login: user.login,
            password,
            client_id: operator_credentials.client_id,
            client_secret: operator_credentials.client_secret,
        },
        regulator: demo.person(&cast.jx, "demo-jx-regulator", "刘洋").await?,
        company: demo.person(&cast.photonics, "demo-company", "王芳").await?,
        provider: demo.person(&cast.sh_lab, "demo-provider", "陈静").await?,
    })
}

/// The three regions' regulators, funded this year and last; labs, an
/// instrument centre and a university institute admitted by category (a
/// Shanghai lab by Jiaxing too: the pilot); companies and a start-up team.
async fn cast(
    demo: &mut Scenario<Service>,
    operator: &crate::domain::Actor,
    year: i32,
) -> Result<Cast, ServiceError> {
    let sh = demo
        .regulator(operator, "上海市科学技术委员会", "SH")
        .await?;
    let zj = demo.regulator(operator, "浙江省科学技术厅", "ZJ").await?;
    let jx = demo.regulator(operator, "嘉兴市科学技术局", "JX").await?;
    let zj_hangzhou = demo
        .district_regulator(operator, "杭州市科学技术局", ("ZJ", "HZ"))
        .await?;
    let zj_jiaxing = demo
        .district_regulator(
            operator,
            "嘉兴市科学技术局（浙江省创新券初审）",
            ("ZJ", "JX"),
        )
        .await?;
    let sh_lab = demo.provider(&sh, "上海测试技术研究院").await?;
    let sh_instruments = demo
        .provider(&sh, "上海微技术工业研究院仪器共享中心")
        .await?;
    let zj_institute = demo.provider(&zj, "浙江大学杭州国际科创中心").await?;
    let jx_lab = demo.provider(&jx, "嘉兴市检验检测研究院").await?;
    let photonics = demo
        .company(&jx, "嘉兴光子科技有限公司", "enterprise", "王建国")
        .await?;
    let team = demo
        .company(&jx, "嘉兴智造创业团队", "team", "李晓")
        .await?;
    let quantum = demo
        .company(&sh, "上海量子材料有限公司", "enterprise", "陈明")
        .await?;
    let chips = demo
        .company(&zj, "杭州芯片设计有限公司", "enterprise", "周浩")
        .await?;
    for regulator in [&sh, &zj, &jx] {
        for (y, amount) in [(year - 1, "1000000.00"), (year, "5000000.00")] {
            demo.appropriate(regulator, y, yuan(amount)).await?;
        }
    }
    for (regulator, provider, categories) in [
        (&sh, &sh_lab, &["testing", "rnd"][..]),
        (&sh, &sh_instruments, &["testing"]),
        (&zj, &zj_institute, &["rnd", "tech_transfer"]),
        (&jx, &jx_lab, &["testing"]),
        (&jx, &sh_lab, &["testing"]),
        (&zj, &jx_lab, &["testing"]),
    ] {
        demo.admit(regulator, &provider.actor, categories).await?;
    }
    Ok(Cast {
        sh,
        zj,
        zj_hangzhou,
        zj_jiaxing,
        jx,
        sh_lab,
        sh_instruments,
        jx_lab,
        photonics,
        team,
        quantum,
        chips,
    })
}

/// Last year: a voucher partly used, which expires at the year's end, and
/// a Zhejiang voucher mostly unused (the idle-voucher rule bars the company
/// from Zhejiang's vouchers this year).
async fn last_year(demo: &Scenario<Service>, c: &Cast, year: i32) -> Result<(), ServiceError> {
    let (company, lab) = (&c.photonics.actor, &c.jx_lab.actor);
    let asked = (yuan("50000.00"), None);
    let old = demo
        .voucher(company, &c.jx.actor, ("JX", year), asked, "去年的材料检测")
        .await?;
    let contract = ("JX-2025-0031", yuan("20000.00"));
    let r = demo
        .hold(company, old.id, lab, contract, "testing", yuan("10000.00"))
        .await?;
    demo.complete(lab, &r, None).await?;
    // A Zhejiang voucher mostly left unused: it expires with 15,000.00 of
    // 20,000.00, so Zhejiang issues the company none this year.
    let idle = zhejiang_voucher(
        demo,
        company,
        &c.zj_jiaxing,
        c,
        year,
        "20000.00",
        "中试检测",
    )
    .await?;
    let contract = ("ZJ-2025-0007", yuan("10000.00"));
    let r = demo
        .hold(company, idle.id, lab, contract, "testing", yuan("5000.00"))
        .await?;
    demo.complete(lab, &r, None).await
}

/// This year: the pilot, claims paid, rejected and waiting, holds cancelled
/// and still held, a voucher used up, applications waiting and rejected, a
/// voucher revoked.
async fn this_year(demo: &Scenario<Service>, c: &Cast, year: i32) -> Result<(), ServiceError> {
    let (photonics, jx) = (&c.photonics.actor, &c.jx.actor);
    let (sh_lab, jx_lab) = (&c.sh_lab.actor, &c.jx_lab.actor);
    let asked = (yuan("200000.00"), Some(yuan("150000.00")));
    let main = demo
        .voucher(
            photonics,
            jx,
            ("JX", year),
            asked,
            "光子芯片可靠性检测与研发",
        )
        .await?;
    let hold = |contract: (&'static str, &'static str), category, amount| {
        let contract = (contract.0, yuan(contract.1));
        demo.hold(photonics, main.id, sh_lab, contract, category, yuan(amount))
    };
    // The pilot: held at the Shanghai lab, 30,000.00 of 40,000.00 delivered,
    // claimed, approved and paid by Jiaxing.
    let r = hold(("JX-SH-0001", "80000.00"), "testing", "40000.00").await?;
    demo.complete(sh_lab, &r, Some(yuan("30000.00"))).await?;
    let claim = demo.claim(sh_lab, &r, "SH-INV-0001").await?;
    demo.run(jx, ApproveClaim { id: claim.id }).await?;
    demo.pay(&c.jx, claim.id, "ICBC-JX-0001").await?;
    // The company rates it: late, a page missing — a complaint.
    let rating = RateRedemption {
        redemption_id: r.id,
        score: 2,
        comment: Some("报告晚交一周，数据表缺页".into()),
        complaint: true,
    };
    demo.run(photonics, rating).await?;
    // At the Jiaxing lab: completed, claimed, rejected (to be claimed again).
    let contract = ("JX-0002", yuan("40000.00"));
    let r = demo
        .hold(
            photonics,
            main.id,
            jx_lab,
            contract,
            "testing",
            yuan("20000.00"),
        )
        .await?;
    demo.complete(jx_lab, &r, None).await?;
    let rating = RateRedemption {
        redemption_id: r.id,
        score: 5,
        comment: Some("响应快，报告规范".into()),
        complaint: false,
    };
    demo.run(photonics, rating).await?;
    let claim = demo.claim(jx_lab, &r, "JX-INV-0002").await?;
    let reason = "发票抬头与合同不符".into();
    demo.run(
        jx,
        RejectClaim {
            id: claim.id,
            reason,
        },
    )
    .await?;
    // One cancelled, one still held.
    let r = hold(("JX-SH-0003", "10000.00"), "testing", "5000.00").await?;
    demo.run(photonics, CancelRedemption { id: r.id }).await?;
    hold(("JX-SH-0004", "30000.00"), "testing", "10000.00").await?;
    // The start-up team uses its voucher up.
    let team = &c.team.actor;
    let asked = (yuan("50000.00"), None);
    let small = demo
        .voucher(team, jx, ("JX", year), asked, "样机检测")
        .await?;
    for contract in ["JX-T-0001", "JX-T-0002"] {
        let contract = (contract, yuan("50000.00"));
        let r = demo
            .hold(
                team,
                small.id,
                jx_lab,
                contract,
                "testing",
                yuan("25000.00"),
            )
            .await?;
        demo.complete(jx_lab, &r, None).await?;
    }
    // Applications waiting (the team's, for next year: this year's cap is
    // used up), and one rejected.
    let apply = |year, amount, purpose: &str| SubmitApplication {
        region: "JX".into(),
        year,
        amount: yuan(amount),
        purpose: purpose.into(),
        declared: Default::default(),
        district: None,
    };
    demo.run(team, apply(year + 1, "30000.00", "二期研发"))
        .await?;
    let twice = apply(year, "30000.00", "光子芯片可靠性检测（再次申报）");
    let rejected = demo.run(photonics, twice).await?;
    let reason = "与本年度已获批的光子芯片检测项目重复".into();
    demo.run(
        jx,
        RejectApplication {
            id: rejected.id,
            reason,
        },
    )
    .await?;
    // Zhejiang refuses the company: last year's voucher expired 75 % unused.
    let refused = demo
        .run(
            photonics,
            SubmitApplication {
                region: "ZJ".into(),
                year,
                amount: yuan("30000.00"),
                purpose: "中试检测".into(),
                declared: Default::default(),
                district: Some("JX".into()),
            },
        )
        .await;
    match refused {
        Err(ServiceError::Domain(DomainError::Refused(Refusal::NotEligible, ..))) => {}
        other => {
            let found = format!("the idle-voucher rule did not refuse: {other:?}");
            return Err(ServiceError::Internal(found));
        }
    }
    // Shanghai: completed and claimed, waiting for the regulator.
    let (quantum, instruments) = (&c.quantum.actor, &c.sh_instruments.actor);
    let asked = (yuan("100000.00"), None);
    let v = demo
        .voucher(quantum, &c.sh.actor, ("SH", year), asked, "量子材料表征")
        .await?;
    let contract = ("SH-0001", yuan("100000.00"));
    let r = demo
        .hold(
            quantum,
            v.id,
            instruments,
            contract,
            "testing",
            yuan("50000.00"),
        )
        .await?;
    demo.complete(instruments, &r, None).await?;
    let claim = demo.claim(instruments, &r, "SH-INV-0101").await?;
    // It carries its four documents.
    let documents: [(&str, &str, Vec<u8>); 4] = [
        ("contract", "测试服务合同.pdf", samples::PDF.to_vec()),
        ("invoice", "增值税电子发票.ofd", samples::ofd()),
        (
            "own_share_payment",
            "自付部分转账回单.jpg",
            samples::JPEG.to_vec(),
        ),
        ("service_report", "检测报告.png", samples::PNG.to_vec()),
    ];
    for (kind, name, content) in documents {
        let attach = AttachDocument {
            claim_id: claim.id,
            kind: kind.into(),
            name: Some(name.into()),
            content: Arc::new(content),
        };
        evidence::prepare(&demo.runner.db, instruments, &attach).await?;
        demo.run(instruments, attach).await?;
    }
    // Zhejiang: a voucher revoked; an application Hangzhou recommended for
    // less, waiting for the province; one waiting for Hangzhou.
    let chips = &c.chips.actor;
    let v = zhejiang_voucher(
        demo,
        chips,
        &c.zj_hangzhou,
        c,
        year,
        "80000.00",
        "芯片设计验证",
    )
    .await?;
    let reason = "申报材料不实".into();
    demo.decide(&c.zj, RevokeVoucher { id: v.id, reason })
        .await?;
    let asked = yuan("60000.00");
    let second = demo
        .apply(chips, Some("HZ"), ("ZJ", year), asked, "流片前可靠性检测")
        .await?;
    let reduced = Some((yuan("40000.00"), "其中两项检测不属于资助范围"));
    demo.recommend(&c.zj_hangzhou.actor, &second, reduced)
        .await?;
    demo.apply(
        chips,
        Some("HZ"),
        ("ZJ", year),
        yuan("15000.00"),
        "封装测试",
    )
    .await?;
    Ok(())
}

/// A Zhejiang voucher of `asked`: applied for in the reviewer's district,
/// recommended in full there, issued by the province.
async fn zhejiang_voucher(
    demo: &Scenario<Service>,
    company: &crate::domain::Actor,
    reviewer: &Org,
    c: &Cast,
    year: i32,
    asked: &str,
    purpose: &str,
) -> Result<crate::service::vouchers::Voucher, ServiceError> {
    let district = reviewer.actor.district.as_deref();
    let application = demo
        .apply(company, district, ("ZJ", year), yuan(asked), purpose)
        .await?;
    demo.recommend(&reviewer.actor, &application, None).await?;
    let approve = crate::service::applications::ApproveApplication {
        id: application.id,
        amount: None,
    };
    demo.run(&c.zj.actor, approve).await
}

#[cfg(test)]
mod tests {
    use crate::domain::CreditCode;
    use crate::scenario::credit_code;

    #[test]
    fn the_demo_credit_codes_are_valid() {
        let codes = (700_000_000..700_002_000u64).map(credit_code);
        assert!(codes.map(|c| CreditCode::parse(&c)).all(|c| c.is_ok()));
    }
}
