//! The demo's city fund: Yuhuan (玉环市) funds its own vouchers below
//! Zhejiang's. Its budget is appropriated apart; a Yuhuan company's
//! voucher is reviewed by Yuhuan, issued by the province from Yuhuan's
//! fund, and pays a contract under 10,000.00 in full.

use crate::domain::Actor;
use crate::scenario::{yuan, Org, Scenario};
use crate::service::applications::ApproveApplication;
use crate::service::budgets::Appropriate;
use crate::service::{Service, ServiceError};

/// Yuhuan's regulator and a Yuhuan company; the fund's budget for `year`,
/// a voucher from it and a small testing contract held at `lab` in full.
pub(super) async fn yuhuan(
    demo: &mut Scenario<Service>,
    operator: &Actor,
    zj: &Org,
    lab: &Actor,
    year: i32,
) -> Result<(), ServiceError> {
    let yuhuan = demo
        .district_regulator(operator, "玉环市科学技术局", ("ZJ", "YH"))
        .await?;
    let company = demo
        .company(zj, "浙江玉环精密阀门有限公司", "enterprise", "林海")
        .await?;
    let budget = Appropriate {
        region: zj.region(),
        year,
        amount: yuan("500000.00"),
        fund: Some("YH".into()),
    };
    demo.run(&zj.actor, budget).await?;
    let application = demo
        .apply(
            &company.actor,
            Some("YH"),
            ("ZJ", year),
            yuan("20000.00"),
            "阀门密封性能检测",
        )
        .await?;
    demo.recommend(&yuhuan.actor, &application, None).await?;
    let approve = ApproveApplication {
        id: application.id,
        amount: None,
    };
    let voucher = demo.run(&zj.actor, approve).await?;
    let number = format!("YH-{year}-0003");
    let contract = (number.as_str(), yuan("8600.00"));
    demo.hold(
        &company.actor,
        voucher.id,
        lab,
        contract,
        "testing",
        yuan("8600.00"),
    )
    .await?;
    Ok(())
}
