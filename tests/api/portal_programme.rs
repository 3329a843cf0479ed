//! The programme's own rules on the portal, in Chromium: the company's
//! application form asks for what it declares; the company rates a
//! completed service (a missing score is explained; once only); the
//! regulator sees the lab's average and the complaint beside its admission,
//! and the policy page marks illustrative figures and names every source.

use voucher_ledger::scenario;
use voucher_ledger::service::claims::SubmitClaim;
use voucher_ledger::service::redemptions::{Complete, Hold};

use crate::browser::Browser;
use crate::served::Served;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_company_rates_a_service_and_the_regulator_sees_it_with_the_policys_sources() {
    let served = Served::start().await;
    let hold = Hold {
        voucher_id: served.voucher,
        provider_id: served.sh_lab.actor.sub,
        contract_no: "JX-SH-2026-301".into(),
        contract_amount: scenario::yuan("20000.00"),
        service_category: "testing".into(),
        amount: scenario::yuan("10000.00"),
    };
    let held = served.run(&served.jx_company.actor, hold).await;
    let complete = Complete {
        id: held.id,
        amount: None,
    };
    served.run(&served.sh_lab.actor, complete).await;
    let officer = served
        .person(&served.jx_regulator, "jx-officer", "沈洁")
        .await;
    let b = Browser::start(&served.base, "zh-CN,zh").await;

    // The application form asks an enterprise for its S&T SME registration.
    b.sign_in(&served.jx_company).await;
    b.open("/company/apply").await;
    assert_eq!(b.count("#declared #sme_registration").await, 1);
    assert_eq!(b.count("#declared #core_members").await, 0);
    // A malformed registration number is explained in Chinese, beside it.
    b.fill("#amount", "1000.00").await;
    b.fill("#purpose", "检测").await;
    b.fill("#sme_registration", "12").await;
    b.click("#submit-application").await;
    assert_eq!(
        b.text("#sme_registration-error").await,
        "入库登记编号为 10 到 32 位字母或数字（空格和横线会被去掉）。"
    );
    assert_eq!(b.value("#sme_registration").await, "12");
    b.shoot("apply-declared").await;

    // The completed service: rate it; without a score the form says so.
    b.open("/company/redemptions").await;
    b.click("tr[data-contract='JX-SH-2026-301'] a.rate").await;
    assert!(b.text("#service-title").await.contains("服务"));
    b.fill("#comment", "报告晚了一周，数据表缺页").await;
    b.click("#send-rating").await;
    assert_eq!(b.text("#score-error").await, "请选择 1 到 5 分");
    assert_eq!(b.value("#comment").await, "报告晚了一周，数据表缺页");
    b.shoot("rating-refused").await;
    b.tick("#score-2").await;
    b.tick("#complaint").await;
    b.click("#send-rating").await;
    assert_eq!(b.path().await, "/company/redemptions?done=rated");
    assert!(b.text("#notice").await.contains("评价已提交"));
    let row = "tr[data-contract='JX-SH-2026-301']";
    assert!(b.text(&format!("{row} .rated")).await.contains("2/5"));
    assert_eq!(b.count(&format!("{row} a.rate")).await, 0);
    b.shoot("rating-sent").await;
    // Rated once: the form is not offered again.
    b.open(&format!("/company/redemptions/{}/rate", held.id))
        .await;
    assert!(b.text("#error-message").await.contains("已经评价过"));
    b.click("#logout").await;

    // The regulator: the lab's average, count and the complaint.
    b.sign_in(&officer).await;
    b.open("/regulator/providers").await;
    let ratings = b
        .text("#admitted tr[data-provider='上海测试技术研究院'] .ratings")
        .await;
    assert!(
        ratings.contains("2.00") && ratings.contains("投诉 1"),
        "{ratings}"
    );
    assert!(b.text("#concerns").await.contains("报告晚了一周"));
    b.shoot("regulator-provider-ratings").await;
    // The policy: illustrative figures marked, every source listed.
    b.open("/regulator/policy").await;
    assert!(b.count(".policy-version.in-force .tag.illustrative").await >= 2);
    b.script("document.querySelectorAll('details.sources').forEach(d => d.open = true)")
        .await;
    let text = b.page_text().await;
    assert!(text.contains("2,192 家单位、27,479 台仪器"), "{text}");
    // An illustrative figure says so in the reader's language.
    assert!(text.contains("示意数据：未找到公开数据"), "{text}");
    b.shoot("policy-sources").await;
    b.assert_quiet_console().await;
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lab_attaches_its_evidence_and_the_regulator_opens_it() {
    let served = Served::start().await;
    let hold = Hold {
        voucher_id: served.voucher,
        provider_id: served.sh_lab.actor.sub,
        contract_no: "JX-SH-2026-401".into(),
        contract_amount: scenario::yuan("20000.00"),
        service_category: "testing".into(),
        amount: scenario::yuan("10000.00"),
    };
    let held = served.run(&served.jx_company.actor, hold).await;
    let lab = served.sh_lab.actor.clone();
    let complete = Complete {
        id: held.id,
        amount: None,
    };
    served.run(&lab, complete).await;
    let claim = SubmitClaim {
        redemption_ids: vec![held.id],
        invoice_no: "INV-2026-0401".into(),
    };
    let claim = served.run(&lab, claim).await;
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("发票.pdf");
    std::fs::write(&fake, "这不是 PDF").unwrap();
    let real = dir.path().join("合同.pdf");
    std::fs::write(&real, b"%PDF-1.4\n%%EOF\n").unwrap();
    let officer = served
        .person(&served.jx_regulator, "jx-officer", "沈洁")
        .await;
    let b = Browser::start(&served.base, "zh-CN,zh").await;

    // The lab: four documents missing; a text named .pdf is refused.
    b.sign_in(&served.sh_lab).await;
    b.open("/provider/claims").await;
    b.click("#claims a.documents").await;
    assert_eq!(b.count("#documents td.missing").await, 4);
    b.script("document.querySelector('#kind').value = 'invoice'")
        .await;
    b.upload("#file", fake.to_str().unwrap()).await;
    b.click("#attach").await;
    assert_eq!(
        b.text("#file-error").await,
        "文件内容不是 PDF、JPEG、PNG 或 OFD（类型按内容识别，与文件名无关）。"
    );
    assert_eq!(b.value("#kind").await, "invoice", "the kind chosen is kept");
    b.shoot("evidence-refused").await;
    // A real PDF as the contract.
    b.script("document.querySelector('#kind').value = 'contract'")
        .await;
    b.upload("#file", real.to_str().unwrap()).await;
    b.click("#attach").await;
    assert!(b.text("#notice").await.contains("已上传"));
    assert!(b
        .text("#documents tr[data-kind='contract']")
        .await
        .contains("合同.pdf"));
    assert_eq!(b.count("#documents td.missing").await, 3);
    b.shoot("evidence-attached").await;
    b.click("#logout").await;

    // The regulator sees what the claim carries and opens the contract.
    b.sign_in(&officer).await;
    b.open("/regulator/claims").await;
    let row = "#claims tr[data-invoice='INV-2026-0401']";
    assert!(b.text(&format!("{row} .documents")).await.contains("1/4"));
    let link = format!("{row} a.document[data-kind='contract']");
    assert_eq!(b.count(&link).await, 1);
    let fetched = b
        .script(&format!(
            "return fetch('/claims/{}/documents/contract').then(r => r.text())",
            claim.id
        ))
        .await;
    assert!(
        fetched.as_str().unwrap().starts_with("%PDF-1.4"),
        "{fetched}"
    );
    b.shoot("regulator-claim-evidence").await;
    // With one of four documents it is not approved, and the officer is
    // told what is missing.
    b.click(&format!("{row} button.approve")).await;
    let refusal = b.text(&format!("{row} .error")).await;
    assert!(
        refusal.starts_with("材料不全，暂不能审核通过：尚缺发票、企业自付部分付款凭证、服务报告"),
        "{refusal}"
    );
    b.shoot("regulator-claim-incomplete").await;
    b.assert_quiet_console().await;
    b.quit().await;
}
