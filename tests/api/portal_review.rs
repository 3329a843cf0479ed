//! Zhejiang's two-level review on the portal, in Chromium: the company
//! names its city (and is told to when it does not); Hangzhou's regulator
//! lands on its first-review queue, sees nothing region-wide, and
//! recommends for less with a reason (without one, the row says so); the
//! province sees the level, the recommendation and the reason, and issues
//! what was recommended.

use voucher_ledger::scenario::{yuan, Scenario};

use crate::browser::Browser;
use crate::served::Served;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_city_recommends_on_the_portal_and_the_province_decides() {
    let mut served = Served::start().await;
    let operator = voucher_ledger::domain::Actor {
        sub: uuid::Uuid::now_v7(),
        role: voucher_ledger::domain::Role::Admin,
        region: None,
        person: None,
        needs_second_factor: false,
        district: None,
    };
    let mut scenario = Scenario::new(served.service.clone(), 900);
    let zj = scenario
        .regulator(&operator, "浙江省科学技术厅", "ZJ")
        .await;
    let zj = zj.expect("registered");
    let hz = scenario
        .district_regulator(&operator, "杭州市科学技术局", ("ZJ", "HZ"))
        .await
        .expect("registered");
    scenario
        .appropriate(&zj, 2026, yuan("1000000.00"))
        .await
        .expect("appropriated");
    let yuhuan_fund = voucher_ledger::service::budgets::Appropriate {
        region: zj.region(),
        year: 2026,
        amount: yuan("300000.00"),
        fund: Some("YH".into()),
    };
    scenario
        .run(&zj.actor, yuhuan_fund)
        .await
        .expect("appropriated to Yuhuan's fund");
    for org in [&zj, &hz] {
        served.admins.insert(org.actor.sub, org.admin.clone());
    }
    let province = served.person(&zj.actor, "zj-officer", "钱敏").await;
    let city = served.person(&hz.actor, "hz-officer", "孙磊").await;
    let b = Browser::start(&served.base, "zh-CN,zh").await;

    // The company applies to Zhejiang: without its city it is told why.
    b.sign_in(&served.jx_company).await;
    b.open("/company/apply").await;
    b.script("document.querySelector('#region').value = 'ZJ'")
        .await;
    let yuhuan = b.text(".fund-hint[data-district='YH']").await;
    assert!(
        yuhuan.starts_with("玉环市设有本级专项资金") && yuhuan.contains("每次申领最多 ¥20,000.00"),
        "{yuhuan}"
    );
    b.fill("#amount", "20000.00").await;
    b.fill("#purpose", "中试检测").await;
    b.click("#submit-application").await;
    assert!(
        b.text("#district-error")
            .await
            .starts_with("请选择企业注册所在的区县（市）"),
        "{}",
        b.page_text().await
    );
    assert_eq!(b.value("#amount").await, "20000.00");
    b.shoot("apply-district-missing").await;
    b.script("document.querySelector('#district').value = 'HZ'")
        .await;
    b.click("#submit-application").await;
    assert_eq!(b.path().await, "/company?done=applied");
    b.click("#logout").await;

    // Hangzhou lands on its queue and sees only it and its team.
    b.sign_in(&city).await;
    assert_eq!(b.path().await, "/regulator/applications");
    assert_eq!(b.count("nav a").await, 3, "{}", b.page_text().await);
    let row = "section.application[data-purpose='中试检测']";
    assert_eq!(
        b.text(&format!("{row} .level")).await,
        "区县（市）初审：杭州市"
    );
    assert_eq!(
        b.count(&format!("{row} button.approve:not(.recommend)"))
            .await,
        0
    );
    // Less than asked, without a reason: refused on the row.
    b.fill(&format!("{row} input[name='amount']"), "15000.00")
        .await;
    b.click(&format!("{row} button.recommend")).await;
    assert_eq!(
        b.text(&format!("{row} .notice.error")).await,
        "推荐金额低于申请金额时，请填写初审意见，说明理由。"
    );
    b.shoot("first-review-refused").await;
    b.fill(&format!("{row} input[name='amount']"), "15000.00")
        .await;
    b.fill(
        &format!("{row} input[name='reason']"),
        "其中一项不属于资助范围",
    )
    .await;
    b.click(&format!("{row} button.recommend")).await;
    assert_eq!(b.path().await, "/regulator/applications?done=recommended");
    assert!(b.text("#notice").await.contains("已推荐"));
    assert_eq!(b.count(&format!("{row} .actions")).await, 0);
    b.shoot("first-review-recommended").await;
    // Nothing region-wide.
    b.open("/regulator/vouchers").await;
    assert!(b.page_text().await.contains("403") || b.count("#error-message").await == 1);
    b.click("#logout").await;

    // The province: the level, the recommendation and the reason; it issues.
    b.sign_in(&province).await;
    b.open("/regulator/applications").await;
    assert_eq!(
        b.text(&format!("{row} .level")).await,
        "复审（杭州市已初审推荐）"
    );
    assert_eq!(b.text(&format!("{row} .recommended")).await, "¥15,000.00");
    assert!(b.text(row).await.contains("其中一项不属于资助范围"));
    b.shoot("second-level").await;
    b.click(&format!("{row} button.approve")).await;
    assert_eq!(b.path().await, "/regulator/applications?done=approved");
    assert!(b.text("#decided").await.contains("¥15,000.00"));
    // The company sees what it was granted, of what it asked, and the
    // voucher it became, with the dates.
    b.click("#logout").await;
    b.sign_in(&served.jx_company).await;
    b.open("/company").await;
    let asked = "#applications tr:has(td.voucher a[href^='#voucher-ZJ'])";
    assert_eq!(b.text(&format!("{asked} .requested")).await, "¥20,000.00");
    let granted = b.text(&format!("{asked} .granted")).await;
    assert!(
        granted.starts_with("¥15,000.00") && granted.contains("少于申请金额"),
        "{granted}"
    );
    assert!(b
        .text(&format!("{asked} .status"))
        .await
        .contains("决定于 2026-"));
    assert!(b
        .text(asked)
        .await
        .contains("初审意见：其中一项不属于资助范围"));
    let serial = b.text(&format!("{asked} .voucher a")).await;
    assert!(serial.starts_with("ZJ-2026-"), "{serial}");
    let href = b
        .script(&format!(
            "return document.querySelector(\"{asked} .voucher a\").getAttribute('href')"
        ))
        .await;
    assert_eq!(href.as_str(), Some(format!("#voucher-{serial}").as_str()));
    assert_eq!(b.count(&format!("#voucher-{serial}")).await, 1);
    b.shoot("company-granted").await;
    b.click("#switch-language").await;
    let granted = b.text(&format!("{asked} .granted")).await;
    assert!(granted.contains("less than requested"), "{granted}");
    b.shoot("company-granted-en").await;
    b.click("#switch-language").await;
    b.click("#logout").await;
    b.sign_in(&province).await;
    // Yuhuan's fund: its part of the province's figures, and its terms.
    b.open("/regulator?year=2026").await;
    let yuhuan = "#funds tr[data-fund='YH']";
    assert!(
        b.text(yuhuan).await.starts_with("玉环市"),
        "{}",
        b.page_text().await
    );
    assert_eq!(b.text(&format!("{yuhuan} .unissued")).await, "¥300,000.00");
    b.shoot("dashboard-district-funds").await;
    b.open("/regulator/policy").await;
    let terms = b.text("#fund-1").await;
    assert!(
        terms.contains("¥20,000.00") && terms.contains("¥100,000.00"),
        "{terms}"
    );
    b.shoot("policy-district-funds").await;
    b.assert_quiet_console().await;
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anyone_reads_the_notices_and_objects_without_signing_in() {
    use voucher_ledger::service::admissions::Admit;
    use voucher_ledger::service::identity::RegisterOrganization;
    let served = Served::start().await;
    let lab = RegisterOrganization {
        kind: "provider".into(),
        name: "上海新材料检测中心".into(),
        region: "SH".into(),
        credit_code: Some(crate::helpers::credit_code()),
        ..RegisterOrganization::default()
    };
    let lab = served.run(&served.sh_regulator, lab).await.organization;
    let admit = Admit {
        region: voucher_ledger::domain::Region::parse("SH").unwrap(),
        provider_id: lab.id,
        categories: vec!["testing".into()],
    };
    served.run(&served.sh_regulator, admit).await;
    let b = Browser::start(&served.base, "zh-CN,zh").await;
    b.open("/notices").await;
    let item = "section.notice-item.open";
    assert_eq!(
        b.text(&format!("{item} h2")).await,
        "上海新材料检测中心 拟纳入上海科技创新券服务机构（检验检测）"
    );
    assert_eq!(b.text(&format!("{item} .status")).await, "公示中");
    b.shoot("notices").await;
    // A blank name is explained beside the form, what was typed kept.
    b.script("document.querySelector('section.notice-item.open details').open = true")
        .await;
    b.fill(
        &format!("{item} textarea[name='text']"),
        "该中心资质证书已到期",
    )
    .await;
    b.fill(&format!("{item} input[name='contact']"), "021-5555 0100")
        .await;
    b.click(&format!("{item} button.send-objection")).await;
    assert!(b
        .text(&format!("{item} .notice.error"))
        .await
        .starts_with("请填写姓名或单位、联系方式和异议内容"));
    assert_eq!(
        b.value(&format!("{item} textarea[name='text']")).await,
        "该中心资质证书已到期"
    );
    b.shoot("notices-objection-refused").await;
    b.fill(&format!("{item} input[name='name']"), "张伟").await;
    b.click(&format!("{item} button.send-objection")).await;
    assert_eq!(b.path().await, "/notices?done=objected");
    assert!(b.text("#notice").await.contains("异议已提交"));
    assert_eq!(b.text(&format!("{item} .objections")).await, "1");
    assert!(
        !b.page_text().await.contains("021-5555 0100"),
        "the contact is not public"
    );

    // The regulator reads it with the contact and dismisses it with a note.
    let officer = served
        .person(&served.sh_regulator, "sh-officer", "周敏")
        .await;
    b.sign_in(&officer).await;
    b.open("/regulator/notices").await;
    let objection = "section.notice-item.open .objection.open";
    assert!(b.text(objection).await.contains("021-5555 0100"));
    b.fill(
        &format!("{objection} input[name='note']"),
        "经核实，证书已续期",
    )
    .await;
    b.shoot("regulator-notices").await;
    b.click(&format!("{objection} button.dismiss")).await;
    assert_eq!(b.path().await, "/regulator/notices?done=answered");
    assert!(b
        .text("section.notice-item.open .objection.dismissed")
        .await
        .contains("经核实，证书已续期"));
    b.assert_quiet_console().await;
    b.quit().await;
}

/// A provider registered in Hangzhou asks Zhejiang to admit it on the
/// portal (told what is missing first); Hangzhou recommends one of the two
/// categories, with a reason (without one, the row says so); the province
/// sees the recommendation and admits it; the provider sees it admitted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_city_recommends_a_provider_and_the_province_admits_it_on_the_portal() {
    let mut served = Served::start().await;
    let operator = voucher_ledger::domain::Actor {
        role: voucher_ledger::domain::Role::Admin,
        ..voucher_ledger::domain::Actor::system()
    };
    let mut scenario = Scenario::new(served.service.clone(), 950);
    let zj = scenario
        .regulator(&operator, "浙江省科学技术厅", "ZJ")
        .await;
    let zj = zj.expect("registered");
    let hz = scenario
        .district_regulator(&operator, "杭州市科学技术局", ("ZJ", "HZ"))
        .await
        .expect("registered");
    let lab = scenario
        .district_provider(&zj, "杭州精测检测技术有限公司", "HZ")
        .await
        .expect("registered");
    for org in [&zj, &hz, &lab] {
        served.admins.insert(org.actor.sub, org.admin.clone());
    }
    let province = served.person(&zj.actor, "zj-officer", "钱敏").await;
    let city = served.person(&hz.actor, "hz-officer", "孙磊").await;
    let clerk = served.person(&lab.actor, "lab-clerk", "周静").await;
    let b = Browser::start(&served.base, "zh-CN,zh").await;

    // The provider asks: without its self-evaluation it is told so.
    b.sign_in(&clerk).await;
    b.open("/provider/admission").await;
    let card = "#programme-ZJ";
    assert_eq!(b.text(&format!("{card} .held")).await, "尚未纳入");
    for c in ["testing", "rnd"] {
        b.script(&format!(
            "document.querySelector(\"{card} input[value='{c}']\").checked = true"
        ))
        .await;
    }
    b.click(&format!("{card} button.ask")).await;
    assert!(
        b.text("#error-ZJ").await.starts_with("请填写自评材料"),
        "{}",
        b.page_text().await
    );
    b.fill(
        "#statement-ZJ",
        "CMA 认证检测机构，专职检测人员 35 名，大型仪器 120 台",
    )
    .await;
    for c in ["testing", "rnd"] {
        b.script(&format!(
            "document.querySelector(\"{card} input[value='{c}']\").checked = true"
        ))
        .await;
    }
    b.click(&format!("{card} button.ask")).await;
    assert_eq!(b.path().await, "/provider/admission?done=asked");
    assert!(b
        .text(&format!("{card} .pending"))
        .await
        .starts_with("入库申请审核中"));
    assert_eq!(b.text("#requests .status").await, "待审核");
    b.shoot("provider-asks-admission").await;
    b.click("#logout").await;

    // Hangzhou recommends testing only, and must say why.
    b.sign_in(&city).await;
    b.open("/regulator/admission-requests").await;
    let row = "section.admission-request[data-provider='杭州精测检测技术有限公司']";
    assert!(b.text(row).await.contains("专职检测人员 35 名"));
    let uncheck = format!("document.querySelector(\"{row} input[value='rnd']\").checked = false");
    b.script(&uncheck).await;
    b.click(&format!("{row} button.recommend")).await;
    assert_eq!(
        b.text(&format!("{row} .notice.error")).await,
        "推荐的服务类别少于申请时，请填写初审意见，说明理由。"
    );
    // What was unticked stays unticked.
    assert_eq!(
        b.count(&format!("{row} input[value='rnd']:checked")).await,
        0
    );
    b.shoot("provider-first-review-refused").await;
    b.fill(
        &format!("{row} input[name='reason']"),
        "研发服务无相应资质证明",
    )
    .await;
    b.click(&format!("{row} button.recommend")).await;
    assert_eq!(
        b.path().await,
        "/regulator/admission-requests?done=recommended"
    );
    assert_eq!(b.count(&format!("{row} .actions")).await, 0);
    b.click("#logout").await;

    // The province sees the level, what was recommended and why; it admits.
    b.sign_in(&province).await;
    b.open("/regulator/admission-requests").await;
    assert_eq!(
        b.text(&format!("{row} .level")).await,
        "复审（杭州市已初审推荐）"
    );
    assert!(b
        .text(&format!("{row} .review-reason"))
        .await
        .contains("研发服务"));
    assert_eq!(b.count(&format!("{row} input[name='category']")).await, 1);
    b.shoot("provider-second-level").await;
    b.click(&format!("{row} button.admit")).await;
    assert_eq!(
        b.path().await,
        "/regulator/admission-requests?done=admitted"
    );
    assert_eq!(b.text("#decided .status").await, "已入库");
    b.click("#logout").await;

    // The provider holds what the province admitted.
    b.sign_in(&clerk).await;
    b.open("/provider/admission").await;
    let held = b.text(&format!("{card} .held")).await;
    assert!(!held.is_empty() && held != "尚未纳入", "{held}");
    assert_eq!(b.text("#requests .status").await, "已入库");
    b.shoot("provider-admitted").await;
    b.click("#switch-language").await;
    assert_eq!(b.text("#requests .status").await, "admitted");
    b.shoot("provider-admitted-en").await;
    b.assert_quiet_console().await;
    b.quit().await;
}
