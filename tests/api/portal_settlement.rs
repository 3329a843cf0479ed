//! Settlement on the portal, in Chromium: a Jiaxing officer starts the
//! run of March (its preview), freezes it (control totals), a second
//! officer approves and exports it (two bank files with their SHA-256),
//! imports the bank's camt.053 (the payment booked), reconciles and closes
//! it; the Shanghai lab sees the payment paid and opens its remittance
//! advice with the 兑付明细表. In both languages.

use voucher_ledger::scenario::{yuan, Scenario};
use voucher_ledger::service::claims::ApproveClaim;
use voucher_ledger::service::confirmations::Confirm;
use voucher_ledger::service::four_eyes::Decided;
use voucher_ledger::service::payees::{ApproveAccount, SubmitAccount};
use voucher_ledger::service::settlement;

use crate::browser::Browser;
use crate::served::Served;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_is_started_frozen_approved_exported_and_reconciled_in_the_browser() {
    let served = Served::start().await;
    let lab = served.sh_lab.actor.clone();
    // The lab's account, approved by two officers of Shanghai.
    let lab_admin = served.administrator(&lab, "sh-lab-admin", "陈主任").await;
    let sh_maker = served
        .person(&served.sh_regulator, "sh-officer", "周敏")
        .await;
    let sh_checker = served
        .person(&served.sh_regulator, "sh-checker", "吴刚")
        .await;
    let account = SubmitAccount {
        provider_id: lab.sub,
        account_name: "上海测试技术研究院".into(),
        account_number: "6222021001123456789".into(),
        bank_name: "中国工商银行上海分行营业部".into(),
        cnaps_code: "102290000011".into(),
        valid_from: "2026-03-01".parse().unwrap(),
    };
    let account = served.run(&lab_admin.actor, account).await;
    let asked = served
        .run(&sh_maker.actor, ApproveAccount { id: account.id })
        .await;
    let Decided::Awaiting(waiting) = asked else {
        panic!("an approval under four eyes waits");
    };
    served
        .run(&sh_checker.actor, Confirm { id: waiting.id })
        .await;
    // A claim of 3,000.00 at the lab, approved in March.
    let scenario = Scenario::new(served.service.clone(), 900);
    let company = served.jx_company.actor.clone();
    let contract = ("PT-1", yuan("6000.00"));
    let held = scenario
        .hold(
            &company,
            served.voucher,
            &lab,
            contract,
            "testing",
            yuan("3000.00"),
        )
        .await
        .expect("held");
    scenario
        .complete(&lab, &held, None)
        .await
        .expect("completed");
    let claim = scenario
        .claim(&lab, &held, "INV-PT-1")
        .await
        .expect("claimed");
    served
        .run(&served.jx_regulator, ApproveClaim { id: claim.id })
        .await;
    served.clock.set("2026-04-02T01:00:00Z".parse().unwrap());
    let maker = served
        .person(&served.jx_regulator, "jx-officer", "钱进")
        .await;
    let checker = served
        .person(&served.jx_regulator, "jx-checker", "孙丽")
        .await;
    let sh_reader = served
        .person(&served.sh_regulator, "sh-reader", "郑华")
        .await;
    let b = Browser::start(&served.base, "zh-CN,zh").await;

    // Started for March: the preview; frozen: the control totals.
    b.sign_in(&maker).await;
    b.click("nav a[href='/regulator/settlement']").await;
    assert!(b.text("#period-hint").await.contains("2026-03"));
    b.fill("#period", "2026-04").await;
    b.click("#start-run").await;
    assert!(
        b.text("#period-error").await.len() > 3,
        "April has not ended"
    );
    b.fill("#period", "2026-03").await;
    b.click("#start-run").await;
    assert!(b.text("#notice").await.contains("草稿"));
    assert!(b.text("#preview").await.contains("¥3,000.00"));
    b.shoot("settlement-draft").await;
    b.click("#freeze").await;
    assert_eq!(b.text("#run-total").await, "¥3,000.00");
    assert_eq!(b.text("#claim-count").await, "1");
    assert!(b.text("#items").await.contains("6222021001123456789"));
    assert_eq!(b.count("#approve").await, 0, "not by the one who froze it");
    b.shoot("settlement-frozen").await;
    let run_path = b.path().await;
    let run_path = run_path.split('?').next().unwrap().to_owned();
    b.click("#logout").await;

    // Another officer approves and exports: two files, their hashes.
    b.sign_in(&checker).await;
    b.open(&run_path).await;
    b.click("#approve").await;
    assert!(b.text("#run-status").await.contains("已批准"));
    b.click("#export").await;
    assert_eq!(b.count("#files tbody tr").await, 2);
    assert!(b.text("#files").await.contains("pain.001.001.09"));
    assert_eq!(
        b.count("#cancel-run").await,
        0,
        "no cancelling after export"
    );
    b.shoot("settlement-exported").await;

    // The bank's statement books the payment.
    let run_id = run_path.rsplit('/').next().unwrap().parse().unwrap();
    let now = voucher_ledger::domain::clock::Clock::now(served.clock.as_ref());
    let run = settlement::find(&served.service.db, &served.jx_regulator, run_id, now)
        .await
        .expect("the run");
    let item = run.items[0].id.simple().to_string();
    let statement = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>S</MsgId><CreDtTm>2026-04-03T18:00:00+08:00</CreDtTm></GrpHdr><Stmt><Id>S</Id>
<Ntry><Amt Ccy="CNY">3000.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<AcctSvcrRef>ICBC-PT-1</AcctSvcrRef><NtryDtls><TxDtls><Refs><EndToEndId>{item}</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>"#
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("statement.xml");
    std::fs::write(&file, statement).unwrap();
    b.open("/regulator/settlement").await;
    b.upload("#file", file.to_str().unwrap()).await;
    b.click("#import-file").await;
    assert!(
        b.text("#notice").await.contains("入账 1 笔"),
        "{}",
        b.page_text().await
    );
    b.shoot("settlement-imported").await;
    b.open(&run_path).await;
    assert!(b.text("#run-status").await.contains("已全部入账"));
    b.click("#reconcile").await;
    b.click("#close").await;
    assert!(b.text("#run-status").await.contains("已关闭"));
    // The same page in English.
    b.click("#switch-language").await;
    assert!(b.text("#run-status").await.contains("closed"));
    b.shoot("settlement-closed-en").await;
    b.click("#switch-language").await;
    b.click("#logout").await;

    // The lab sees the payment, and opens its advice.
    b.sign_in(&served.sh_lab).await;
    b.click("nav a[href='/provider/payments']").await;
    assert!(b.text("#payments").await.contains("ICBC-PT-1"));
    assert!(b.text("#payments").await.contains("已入账"));
    b.shoot("provider-payments").await;
    b.click("#payments a.advice-link").await;
    let advice = b.page_text().await;
    assert!(
        advice.contains("兑付明细表") && advice.contains("INV-PT-1"),
        "{advice}"
    );
    b.shoot("provider-remittance-advice").await;
    b.open("/provider/payments").await;
    b.click("#logout").await;

    // Shanghai's officer reads the JX -> SH statement of March.
    b.sign_in(&sh_reader).await;
    b.open("/regulator/settlement/statement?issuer=JX&provider_region=SH&period=2026-03")
        .await;
    let statement = b.page_text().await;
    assert!(
        statement.contains("ICBC-PT-1") && statement.contains("双方一致"),
        "{statement}"
    );
    b.shoot("settlement-statement").await;
    b.quit().await;
}
