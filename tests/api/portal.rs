//! The portal in a real browser: a Jiaxing company holds at the Shanghai
//! lab (the pilot), the lab completes part and claims; refusals explained
//! in both languages; CSRF, double submits, other organisations' records,
//! lockout, logout, disabled people and idle sessions. The ledger is
//! checked through the service after each flow.

use sea_orm::{ConnectionTrait, Statement};
use uuid::Uuid;
use voucher_ledger::domain::clock::Clock as _;
use voucher_ledger::domain::{Money, RedemptionStatus};
use voucher_ledger::scenario;
use voucher_ledger::service::applications::{ApproveApplication, SubmitApplication};
use voucher_ledger::service::identity::RegisterOrganization;
use voucher_ledger::service::people::DisableUser;
use voucher_ledger::service::redemptions::{self, Hold};
use voucher_ledger::service::second_factor::code_at;
use voucher_ledger::service::sessions;
use voucher_ledger::service::{claims, PageRequest};

use crate::browser::Browser;
use crate::helpers::credit_code;
use crate::served::Served;

fn yuan(text: &str) -> Money {
    Money::parse_positive(text).unwrap()
}

/// Chinese first, as a browser in China sends it.
const ZH: &str = "zh-CN,zh";

/// The actor and channel of the last audit event with `action`.
async fn audit_actor(served: &Served, action: &str) -> (String, Option<String>) {
    let db = served.service.db.reader();
    let sql = format!(
        "SELECT actor_sub, actor_via FROM audit_events WHERE action = '{action}' ORDER BY seq DESC"
    );
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .expect("an event");
    (
        row.try_get_by_index(0).unwrap(),
        row.try_get_by_index(1).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jiaxing_company_holds_at_the_shanghai_lab_in_both_languages() {
    let served = Served::start().await;
    let b = Browser::start(&served.base, ZH).await;
    let voucher = served.voucher;
    let hold_at_lab = format!(
        "/company/vouchers/{voucher}/hold?provider={}",
        served.sh_lab.actor.sub
    );

    b.open("/login").await;
    b.shoot("login").await;
    b.sign_in(&served.jx_company).await;
    assert_eq!(b.path().await, "/company");
    assert!(b.page_text().await.contains("王芳"));
    let row = "#vouchers tr[data-serial] .available";
    assert_eq!(b.text(row).await, "¥100,000.00");
    b.shoot("company-home").await;
    b.assert_quiet_console().await;

    // The Shanghai lab, admitted by Jiaxing: found under the pilot.
    b.click("nav a[href='/company/providers']").await;
    let listed = b
        .text("#providers tr[data-provider='上海测试技术研究院']")
        .await;
    assert!(listed.contains("跨区域"), "{listed}");
    b.shoot("providers").await;
    b.click("#providers tr[data-provider='上海测试技术研究院'] a.use")
        .await;
    assert!(b
        .path()
        .await
        .starts_with(&format!("/company/vouchers/{voucher}/hold")));

    // 40,000.01 of an 80,000.00 contract: refused, explained, kept.
    b.fill("#contract_no", "JX-SH-2026-001").await;
    b.fill("#contract_amount", "80000.00").await;
    b.fill("#amount", "40000.01").await;
    b.click("#hold").await;
    // Said in the summary at the top and next to the amount (not a third
    // time above the form).
    let refusal = b.text("#amount-error").await;
    assert_eq!(
        refusal,
        "超过合同金额 50% 的上限（嘉兴 2017 版）：本合同最多可用 ¥40,000.00"
    );
    assert_eq!(b.text("#error-summary a").await, refusal);
    assert_eq!(b.count("#form-error").await, 0);
    assert_eq!(b.value("#amount").await, "40000.01");
    assert_eq!(b.value("#contract_no").await, "JX-SH-2026-001");
    assert_eq!(b.text("#share-limit").await, "¥40,000.00");
    b.shoot("hold-refused").await;
    let v = served.voucher().await;
    assert_eq!((v.available, v.held), (yuan("100000.00"), Money::ZERO));

    // 40,000.00 passes.
    b.fill("#amount", "40000.00").await;
    b.click("#hold").await;
    assert_eq!(b.path().await, "/company/redemptions?done=held");
    assert!(b.text("#notice").await.contains("冻结"));
    let v = served.voucher().await;
    assert_eq!((v.available, v.held), (yuan("60000.00"), yuan("40000.00")));
    b.assert_quiet_console().await;

    // A second hold, then cancelled from the history. The share limit
    // follows the contract amount as it is typed (the server works it out).
    b.open(&hold_at_lab).await;
    assert_eq!(b.text("#share-limit").await, "—");
    b.fill("#contract_amount", "60000").await;
    let mut shown = String::new();
    for _ in 0..200 {
        shown = b.text("#share-limit").await;
        if shown != "—" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(shown, "¥30,000.00");
    b.shoot("hold").await;
    b.fill("#contract_no", "JX-SH-2026-002").await;
    b.fill("#contract_amount", "¥20,000.00").await;
    b.fill("#amount", "10,000").await;
    b.click("#hold").await;
    assert_eq!(served.voucher().await.held, yuan("50000.00"));
    b.shoot("history").await;
    // Cancelling asks first, naming the hold and what follows; going back
    // changes nothing.
    b.click("#redemptions tr[data-contract='JX-SH-2026-002'] button.cancel")
        .await;
    assert_eq!(
        b.text("#confirm-question").await,
        "取消合同 JX-SH-2026-002 的冻结？"
    );
    let facts = b.text("#confirm-facts").await;
    assert!(
        facts.contains("上海测试技术研究院") && facts.contains("¥10,000.00"),
        "{facts}"
    );
    let then = b.text("#confirm-consequences").await;
    assert!(
        then.contains("冻结的 ¥10,000.00 将退回企业的创新券") && then.contains("不能恢复"),
        "{then}"
    );
    b.shoot("confirm-cancel-hold").await;
    b.click("#confirm-back").await;
    assert_eq!(b.path().await, "/company/redemptions");
    assert_eq!(
        served.voucher().await.held,
        yuan("50000.00"),
        "nothing done"
    );
    b.click("#redemptions tr[data-contract='JX-SH-2026-002'] button.cancel")
        .await;
    b.click("#confirm").await;
    assert_eq!(b.path().await, "/company/redemptions?done=cancelled");
    let v = served.voucher().await;
    assert_eq!((v.available, v.held), (yuan("60000.00"), yuan("40000.00")));

    // A form sent twice acts once (its key is per rendering).
    b.open(&hold_at_lab).await;
    b.fill("#contract_no", "JX-SH-2026-003").await;
    b.fill("#contract_amount", "2000").await;
    b.fill("#amount", "1000").await;
    assert_eq!(b.send_form_twice(true).await.len(), 2);
    let v = served.voucher().await;
    assert_eq!((v.available, v.held), (yuan("59000.00"), yuan("41000.00")));

    // Without its CSRF token a form does nothing.
    b.open(&hold_at_lab).await;
    b.fill("#contract_no", "JX-SH-2026-004").await;
    b.fill("#contract_amount", "2000").await;
    b.fill("#amount", "1000").await;
    b.script("document.querySelector('form.stack input[name=csrf]').remove()")
        .await;
    b.click("#hold").await;
    assert!(b.text("#error-message").await.contains("安全校验"));
    b.shoot("csrf-refused").await;
    assert_eq!(served.voucher().await.held, yuan("41000.00"));

    // Amounts in a wrong format are explained, nothing changes.
    b.open(&hold_at_lab).await;
    b.fill("#contract_no", "JX-SH-2026-005").await;
    b.fill("#contract_amount", "2000").await;
    b.fill("#amount", "1e3").await;
    b.click("#hold").await;
    assert!(b.text("#amount-error").await.contains("金额格式不正确"));
    assert_eq!(served.voucher().await.held, yuan("41000.00"));
    // Blank, zero and negative each say what is wrong.
    for (typed, said) in [
        ("", "请填写金额。"),
        ("０", "金额须大于 0。"),
        ("-500", "金额不能为负数。"),
    ] {
        b.fill("#amount", typed).await;
        b.click("#hold").await;
        assert_eq!(b.text("#amount-error").await, said, "{typed:?}");
    }
    assert_eq!(served.voucher().await.held, yuan("41000.00"));

    // A refused form sent again is refused again, in the same words (not
    // "sent before"); nothing changes.
    b.open(&hold_at_lab).await;
    b.fill("#contract_no", "JX-SH-2026-006").await;
    b.fill("#contract_amount", "2000").await;
    b.fill("#amount", "1500").await;
    let answers = b.send_form_twice(false).await;
    let refusal = |page: &String| {
        let at = page.find("id=\"amount-error\"").map(|at| &page[at..]);
        at.and_then(|rest| Some(&rest[rest.find('>')? + 1..rest.find("</")?]))
            .unwrap_or_default()
            .to_owned()
    };
    let (first, second) = (refusal(&answers[0]), refusal(&answers[1]));
    assert!(first.contains("50%"), "{first}");
    assert_eq!(second, first);
    assert_eq!(served.voucher().await.held, yuan("41000.00"));

    // Another company's voucher, by a hand-edited URL: the 404 page.
    let other = other_company_voucher(&served).await;
    b.open(&format!("/company/vouchers/{other}/hold")).await;
    assert!(b.text("#error-message").await.contains("找不到"));
    b.shoot("not-found").await;
    b.open("/provider").await;
    assert!(b.text("#error-message").await.contains("无权"));
    b.shoot("forbidden").await;

    // The cap beside the application form.
    b.open("/company/apply").await;
    assert_eq!(b.text("#cap-JX .left").await, "¥100,000.00");
    // Only the programmes that take a Jiaxing company's applications.
    let sh = "return document.querySelector('#cap-SH, #region option[value=SH]') === null";
    assert_eq!(b.script(sh).await, true);
    b.shoot("apply").await;
    b.fill("#amount", "50000.00").await;
    b.fill("#purpose", "检测服务").await;
    b.click("#submit-application").await;
    assert_eq!(b.path().await, "/company?done=applied");
    assert!(b.text("#applications").await.contains("¥50,000.00"));
    // More than the cap leaves is refused at once, next to the amount, with
    // the figures; nothing is kept.
    b.open("/company/apply").await;
    b.fill("#amount", "9,999,999").await;
    b.fill("#purpose", "中试放大").await;
    b.click("#submit-application").await;
    let over = b.text("#amount-error").await;
    assert!(
        over.starts_with("超过年度申领上限 ¥200,000.00") && over.contains("最多还可获 ¥100,000.00"),
        "{over}"
    );
    // An error summary opens the page and has the focus; its link puts the
    // focus in the amount field.
    assert_eq!(b.text("#error-summary h2").await, "请修改以下内容");
    assert_eq!(b.text("#error-summary a[href='#amount']").await, over);
    let focused = "return document.activeElement.id";
    assert_eq!(b.script(focused).await, "error-summary");
    b.tick("#error-summary a[href='#amount']").await;
    assert_eq!(b.script(focused).await, "amount");
    b.shoot("apply-over-cap").await;
    // The same application again, while the first waits: refused.
    b.fill("#amount", "50000.00").await;
    b.fill("#purpose", "检测服务").await;
    b.click("#submit-application").await;
    assert!(
        b.text("#amount-error")
            .await
            .starts_with("已有一份金额、用途相同的申请正在审核"),
        "{}",
        b.page_text().await
    );
    b.shoot("apply-twice").await;
    b.assert_quiet_console().await;

    // English: the same refusal in English, every page once more.
    b.open(&hold_at_lab).await;
    b.click("#switch-language").await;
    assert!(b.text("h1").await.starts_with("Use a voucher"));
    b.fill("#contract_no", "JX-SH-2026-006").await;
    b.fill("#contract_amount", "80000.00").await;
    b.fill("#amount", "40000.01").await;
    b.click("#hold").await;
    assert_eq!(b.text("#error-summary h2").await, "There is a problem");
    assert_eq!(
        b.text("#amount-error").await,
        "Above the 50% of the contract a voucher may pay (Jiaxing policy of 2017-01-01): \
         this contract allows at most ¥40,000.00"
    );
    b.shoot("hold-refused-en").await;
    for (path, name) in [
        ("/company", "company-home-en"),
        ("/company/apply", "apply-en"),
        ("/company/providers", "providers-en"),
        ("/company/redemptions", "history-en"),
    ] {
        b.open(path).await;
        assert_eq!(b.script("return document.documentElement.lang").await, "en");
        b.shoot(name).await;
    }
    b.assert_quiet_console().await;

    // Signing out ends the session on the server: the old cookie is dead.
    let cookie = b.client.get_named_cookie("vl_session").await.unwrap();
    b.click("#logout").await;
    assert_eq!(b.path().await, "/login?out=1");
    b.shoot("login-signed-out-en").await;
    b.client.add_cookie(cookie).await.unwrap();
    b.open("/company").await;
    assert_eq!(b.path().await, "/login?ended=1&next=/company");
    assert!(b.text("#login-message").await.contains("session has ended"));
    b.assert_quiet_console().await;

    // Thirty days or fewer before the use deadline, the home page warns.
    b.sign_in(&served.jx_company).await;
    let none = "return document.querySelector('#vouchers .warn') === null";
    assert_eq!(b.script(none).await, true);
    b.click("#logout").await;
    served.clock.set("2026-12-15T02:00:00Z".parse().unwrap());
    b.sign_in(&served.jx_company).await;
    assert_eq!(b.text("#vouchers .warn").await, "ends soon: 16 days");
    b.shoot("company-home-deadline-en").await;
    b.quit().await;

    // The audit trail names the person, through the portal.
    let (sub, via) = audit_actor(&served, "redemption.hold").await;
    assert_eq!(sub, served.jx_company.user_id.to_string());
    assert_eq!(via.as_deref(), Some("portal"));
}

/// A voucher of another Jiaxing company.
async fn other_company_voucher(served: &Served) -> Uuid {
    let registered = served
        .run(
            &served.jx_regulator,
            RegisterOrganization {
                kind: "company".into(),
                name: "嘉兴另一家科技有限公司".into(),
                region: "JX".into(),
                credit_code: Some(credit_code()),
                company_type: Some("enterprise".into()),
                actual_controller: Some("赵六".into()),
                district: None,
            },
        )
        .await;
    let org = registered.organization;
    let actor = voucher_ledger::domain::Actor {
        sub: org.id,
        role: org.kind.role(),
        region: Some(org.region),
        person: None,
        needs_second_factor: false,
        district: None,
    };
    let application = SubmitApplication {
        region: "JX".into(),
        year: 2026,
        amount: scenario::yuan("10000.00"),
        declared: scenario::eligible_facts(),
        district: None,
        purpose: "检测".into(),
    };
    let application = served.run(&actor, application).await;
    let approve = ApproveApplication {
        id: application.id,
        amount: None,
    };
    served.run(&served.jx_regulator, approve).await.id
}

/// A provider chooses which completed services a claim covers: the one
/// left unticked stays to be claimed later; ticking none is refused in
/// words, with the ticks and the invoice kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provider_chooses_what_a_claim_covers() {
    let served = Served::start().await;
    let mut ids = Vec::new();
    for (contract, amount) in [
        ("JX-SH-2026-201", "10000.00"),
        ("JX-SH-2026-202", "6000.00"),
    ] {
        let hold = Hold {
            voucher_id: served.voucher,
            provider_id: served.sh_lab.actor.sub,
            contract_no: contract.into(),
            contract_amount: scenario::yuan("40000.00"),
            service_category: "testing".into(),
            amount: scenario::yuan(amount),
        };
        let held = served.run(&served.jx_company.actor, hold).await;
        let complete = redemptions::Complete {
            id: held.id,
            amount: None,
        };
        served.run(&served.sh_lab.actor, complete).await;
        ids.push(held.id);
    }
    let b = Browser::start(&served.base, "zh-CN,zh").await;
    b.sign_in(&served.sh_lab).await;
    b.open("/provider/unclaimed").await;
    assert_eq!(
        b.count("#group-JX input[name='redemption']:checked").await,
        2
    );
    // Nothing ticked: refused in words, the invoice kept.
    for id in &ids {
        b.script(&format!(
            "document.querySelector('#include-{id}').checked = false"
        ))
        .await;
    }
    b.fill("#invoice-JX", "INV-2026-0201").await;
    b.click("#group-JX button.claim").await;
    assert_eq!(
        b.text("#group-JX .error").await,
        "请至少勾选一笔已完成的服务纳入本次结算申请。"
    );
    assert_eq!(b.value("#invoice-JX").await, "INV-2026-0201");
    assert_eq!(
        b.count("#group-JX input[name='redemption']:checked").await,
        0
    );
    let title = b.script("return document.title").await;
    assert!(
        title.as_str().unwrap_or_default().starts_with("错误："),
        "{title}"
    );
    b.shoot("claim-nothing-ticked").await;
    // The first only.
    b.script(&format!(
        "document.querySelector('#include-{}').checked = true",
        ids[0]
    ))
    .await;
    b.click("#group-JX button.claim").await;
    assert_eq!(b.path().await, "/provider/claims?done=claimed");
    let claim_row = b.text("#claims tr[data-invoice='INV-2026-0201']").await;
    assert!(claim_row.contains("¥10,000.00"), "{claim_row}");
    b.open("/provider/unclaimed").await;
    assert_eq!(b.count(&format!("#unclaimed-{}", ids[1])).await, 1);
    assert_eq!(b.count(&format!("#unclaimed-{}", ids[0])).await, 0);
    assert_eq!(b.text("#group-JX .total").await, "¥6,000.00");
    b.shoot("claim-one-left").await;
    b.click("#switch-language").await;
    assert!(b
        .text("#group-JX .hint")
        .await
        .starts_with("Tick the services"));
    b.shoot("claim-one-left-en").await;
    b.assert_quiet_console().await;
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shanghai_lab_completes_part_of_a_hold_and_claims_it() {
    let served = Served::start().await;
    let hold = Hold {
        voucher_id: served.voucher,
        provider_id: served.sh_lab.actor.sub,
        contract_no: "JX-SH-2026-101".into(),
        contract_amount: scenario::yuan("80000.00"),
        service_category: "testing".into(),
        amount: scenario::yuan("40000.00"),
    };
    let held = served.run(&served.jx_company.actor, hold).await;
    let second = Hold {
        voucher_id: served.voucher,
        provider_id: served.sh_lab.actor.sub,
        contract_no: "JX-SH-2026-102".into(),
        contract_amount: scenario::yuan("10000.00"),
        service_category: "testing".into(),
        amount: scenario::yuan("5000.00"),
    };
    served.run(&served.jx_company.actor, second).await;
    let b = Browser::start(&served.base, "en-GB,en").await;

    // English by Accept-Language on the first visit.
    b.sign_in(&served.sh_lab).await;
    assert_eq!(b.path().await, "/provider");
    assert_eq!(b.script("return document.documentElement.lang").await, "en");
    let row = "#held tr[data-contract='JX-SH-2026-101']";
    assert!(b.text(row).await.contains("¥40,000.00"));
    b.shoot("provider-home-en").await;

    // The lab cancels the second hold: it is asked first, told whose
    // voucher gets the money back and that the company must hold again.
    b.click("#held tr[data-contract='JX-SH-2026-102'] button.cancel")
        .await;
    assert_eq!(
        b.text("#confirm-question").await,
        "Cancel the hold of contract JX-SH-2026-102?"
    );
    assert!(b
        .text("#confirm-facts")
        .await
        .contains("嘉兴光子科技有限公司"));
    let then = b.text("#confirm-consequences").await;
    assert!(then.contains("The ¥5,000.00 held goes back"), "{then}");
    b.shoot("confirm-cancel-hold-provider-en").await;
    b.click("#confirm").await;
    assert_eq!(b.path().await, "/provider?done=cancelled");
    assert_eq!(b.count("#held tr[data-contract='JX-SH-2026-102']").await, 0);

    // A wrong amount is explained in the row; nothing changes.
    b.fill(&format!("{row} input[name=amount]"), "40000.001")
        .await;
    b.click(&format!("{row} button.complete")).await;
    let refused = b.text(row).await;
    assert!(refused.contains("not in the right format"), "{refused}");
    // The title says so first (a screen reader reads it on arrival).
    let title = b.script("return document.title").await;
    assert!(
        title.as_str().unwrap_or_default().starts_with("Error: "),
        "{title}"
    );
    // More than is held: the field and the amount in the reader's words,
    // in English and in Chinese (no "amount:" code, no bare 40000.00).
    b.fill(&format!("{row} input[name=amount]"), "50000").await;
    b.click(&format!("{row} button.complete")).await;
    let refused = b.text(&format!("{row} .error")).await;
    assert_eq!(refused, "Amount: at most the ¥40,000.00 held");
    b.click("#switch-language").await;
    // The answer to a form has no page of its own: the switch goes back
    // to the page of its area.
    assert_eq!(b.path().await, "/provider");
    b.fill(&format!("{row} input[name=amount]"), "50000").await;
    b.click(&format!("{row} button.complete")).await;
    let refused = b.text(&format!("{row} .error")).await;
    assert_eq!(refused, "金额：最多为已冻结的 ¥40,000.00");
    b.shoot("provider-over-held").await;
    b.click("#switch-language").await;
    // Full-width digits, as a Chinese input method types them, are read.
    b.fill(&format!("{row} input[name=amount]"), "３０，０００．００")
        .await;
    b.click(&format!("{row} button.complete")).await;
    assert_eq!(b.path().await, "/provider/unclaimed?done=completed");
    assert_eq!(b.text("#group-JX .total").await, "¥30,000.00");
    b.shoot("unclaimed-en").await;
    let v = served.voucher().await;
    assert_eq!(
        (v.available, v.held, v.redeemed),
        (yuan("70000.00"), Money::ZERO, yuan("30000.00"))
    );

    b.fill("#invoice-JX", "INV-2026-0001").await;
    b.click("#group-JX button.claim").await;
    assert_eq!(b.path().await, "/provider/claims?done=claimed");
    let claim_row = b.text("#claims tr[data-invoice='INV-2026-0001']").await;
    assert!(claim_row.contains("submitted"), "{claim_row}");
    assert!(claim_row.contains("¥30,000.00"), "{claim_row}");
    b.shoot("claims-en").await;
    b.assert_quiet_console().await;

    // The same pages in Chinese.
    b.click("#switch-language").await;
    assert!(b.text("#claims").await.contains("已提交"));
    b.shoot("claims").await;
    for (path, name) in [
        ("/provider", "provider-home"),
        ("/provider/unclaimed", "unclaimed"),
    ] {
        b.open(path).await;
        assert_eq!(
            b.script("return document.documentElement.lang").await,
            "zh-CN"
        );
        b.shoot(name).await;
    }
    b.assert_quiet_console().await;
    // The company's history says what a partial completion gave back.
    b.click("#logout").await;
    b.sign_in(&served.jx_company).await;
    b.open("/company/redemptions").await;
    let row = "tr[data-contract='JX-SH-2026-101']";
    assert_eq!(
        b.text(&format!("{row} .released")).await,
        "部分完成：其余 ¥10,000.00 已退回创新券"
    );
    b.shoot("history-partly-completed").await;
    // The focus ring stands out from the grey page (WCAG 1.4.11: 3:1).
    b.open("/company/apply").await;
    let contrast = b
        .script(
            "const lum = c => { const [r, g, b] = c.match(/\\d+/g).slice(0, 3).map(v => {
                 v = v / 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
                 return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
             const input = document.querySelector('#amount'); input.focus();
             const ring = lum(getComputedStyle(input).outlineColor);
             const page = lum(getComputedStyle(document.body).backgroundColor);
             return (Math.max(ring, page) + 0.05) / (Math.min(ring, page) + 0.05);",
        )
        .await;
    let contrast = contrast.as_f64().expect("a ratio");
    assert!(contrast >= 3.0, "focus ring contrast {contrast}");
    b.shoot("focus-ring").await;
    b.quit().await;

    // Through the service: the redemption, the claim, the voucher.
    let db = served.service.db.reader();
    let r = redemptions::find(db, &served.sh_lab.actor, held.id)
        .await
        .unwrap();
    assert_eq!(r.status, RedemptionStatus::Completed);
    assert_eq!(r.completed_amount, yuan("30000.00"));
    let page = PageRequest {
        limit: 10,
        after: None,
    };
    let claims = claims::list(db, &served.sh_lab.actor, page).await.unwrap();
    assert_eq!(claims.items.len(), 1);
    assert_eq!(claims.items[0].amount, yuan("30000.00"));
    assert_eq!(claims.items[0].redemption_ids, vec![held.id]);
    let (sub, via) = audit_actor(&served, "claim.submit").await;
    assert_eq!(sub, served.sh_lab.user_id.to_string());
    assert_eq!(via.as_deref(), Some("portal"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_slows_after_five_failures_from_here_and_sessions_end_when_they_must() {
    let served = Served::start().await;
    let b = Browser::start(&served.base, ZH).await;

    // Five wrong passwords from this address slow the login here: even the
    // right one waits; from elsewhere it is not held up.
    let mut wrong = served.jx_company.clone();
    wrong.password = "not-the-password-at-all".into();
    for _ in 0..4 {
        b.sign_in(&wrong).await;
        assert!(b.text("#login-message").await.contains("不正确"));
        assert_eq!(b.value("#login").await, wrong.login);
    }
    b.sign_in(&wrong).await;
    assert!(b.text("#login-message").await.contains("稍候再试"));
    b.sign_in(&served.jx_company).await;
    assert!(b.text("#login-message").await.contains("稍候再试"));
    b.shoot("login-slowed").await;
    let p = &served.jx_company;
    let elsewhere = sessions::Attempt {
        login: p.login.clone(),
        address: Some("198.51.100.20".parse().unwrap()),
    };
    let started = sessions::sign_in(&served.service, &elsewhere, &p.password, None).await;
    let started = started.unwrap().expect("the owner elsewhere is not slowed");
    sessions::sign_out(&served.service, &started.session_id)
        .await
        .unwrap();
    // Half a minute later it opens here again.
    served.clock.advance(chrono::Duration::seconds(31));
    b.sign_in(&served.jx_company).await;
    assert_eq!(b.path().await, "/company");
    b.assert_quiet_console().await;

    // Thirty minutes without a request end a session.
    served.clock.advance(chrono::Duration::minutes(31));
    b.open("/company/redemptions").await;
    assert_eq!(b.path().await, "/login?ended=1&next=/company/redemptions");
    assert!(b.text("#login-message").await.contains("会话已结束"));

    // Disabling a person ends their session at once.
    b.sign_in(&served.jx_clerk).await;
    assert_eq!(b.path().await, "/company");
    let disable = DisableUser {
        organization_id: Some(served.jx_clerk.actor.sub),
        user_id: served.jx_clerk.user_id,
    };
    let admin = &served.admins[&served.jx_clerk.actor.sub];
    served.run(admin, disable).await;
    b.open("/company").await;
    assert_eq!(b.path().await, "/login?ended=1&next=/company");
    b.sign_in(&served.jx_clerk).await;
    let said = b.text("#login-message").await;
    assert!(said.contains("停用"), "{said}");
    b.shoot("login-disabled").await;

    // A sign-in form without its token is refused.
    b.open("/login").await;
    b.script("document.querySelector('input[name=csrf]').value = 'forged'")
        .await;
    b.fill("#login", &served.jx_company.login).await;
    b.fill("#password", &served.jx_company.password).await;
    b.click("#sign-in").await;
    assert!(b.text("#error-message").await.contains("安全校验"));
    b.assert_quiet_console().await;
    b.quit().await;

    // Sessions and locks are rows of the database, not of one process.
    let db = served.service.db.reader();
    let rows = |table: &str| {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        Statement::from_string(db.get_database_backend(), sql)
    };
    let sessions: i64 = db
        .query_one_raw(rows("sessions"))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    // The idle session was removed when it was next seen, the disabled
    // person's with the disabling.
    assert_eq!(sessions, 0);

    // A session never seen again is purged once it has ended by time.
    let here = |login: &str| sessions::Attempt {
        login: login.to_owned(),
        address: None,
    };
    let started = sessions::sign_in(&served.service, &here(&p.login), &p.password, None).await;
    assert!(started.unwrap().is_ok());
    assert_eq!(sessions::purge(&served.service).await.unwrap(), 0);
    served.clock.advance(chrono::Duration::hours(9));
    assert_eq!(sessions::purge(&served.service).await.unwrap(), 1);

    // A made-up login's failure is remembered for a day, then forgotten:
    // a storm of such logins leaves nothing behind.
    let locks = || async {
        let count: i64 = db
            .query_one_raw(rows("sign_in_failures"))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index(0)
            .unwrap();
        count
    };
    assert_eq!(locks().await, 0);
    let nobody = here("nobody.here");
    let failed = sessions::sign_in(&served.service, &nobody, "wrong password", None).await;
    assert!(failed.unwrap().is_err());
    assert_eq!(locks().await, 1);
    served.clock.advance(chrono::Duration::hours(23));
    sessions::purge(&served.service).await.unwrap();
    assert_eq!(locks().await, 1, "a failure of today is kept");
    served.clock.advance(chrono::Duration::hours(2));
    sessions::purge(&served.service).await.unwrap();
    assert_eq!(locks().await, 0);

    // A login that grows under NFKC (ten characters, 180 as a key; keys are
    // bounded) counts its failures and is slowed like any other.
    let grows = here(&"\u{FDFA}".repeat(10));
    for _ in 0..5 {
        let failed = sessions::sign_in(&served.service, &grows, "wrong password", None).await;
        assert!(failed.unwrap().is_err());
    }
    assert_eq!(locks().await, 1);
    let locked = sessions::sign_in(&served.service, &grows, "wrong password", None).await;
    assert!(matches!(
        locked.unwrap(),
        Err(sessions::Refused::Locked { .. })
    ));
}

/// The status the browser got for the page it shows.
async fn page_status(b: &Browser) -> u64 {
    b.script("return performance.getEntriesByType('navigation')[0].responseStatus")
        .await
        .as_u64()
        .expect("a status")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_opens_its_own_pages_and_no_others() {
    let served = Served::start().await;
    let regulator = served
        .person(&served.jx_regulator, "jx-officer", "刘洋")
        .await;
    let operator = served.operator("ops").await;
    let hold = format!("/company/vouchers/{}/hold", served.voucher);
    let company_pages = [
        "/company",
        "/company/apply",
        "/company/providers",
        "/company/redemptions",
        hold.as_str(),
    ];
    let provider_pages = [
        "/provider",
        "/provider/unclaimed",
        "/provider/claims",
        "/provider/bank-account",
    ];
    let regulator_pages = [
        "/regulator",
        "/regulator/applications",
        "/regulator/claims",
        "/regulator/confirmations",
        "/regulator/vouchers",
        "/regulator/providers",
        "/regulator/bank-accounts",
        "/regulator/policy",
        "/regulator/what-if",
        "/regulator/audit",
    ];
    let staff_pages = ["/operator", "/operator/expiry"];
    let b = Browser::start(&served.base, ZH).await;

    // Nobody signed in: every page leads to the sign-in form.
    for page in company_pages
        .iter()
        .chain(&provider_pages)
        .chain(&staff_pages)
    {
        b.open(page).await;
        let back = b.path().await;
        assert!(back.starts_with("/login?next=/"), "{page}: {back}");
    }
    for (person, own) in [
        (&served.jx_company, &company_pages[..]),
        (&served.sh_lab, &provider_pages[..]),
        (&regulator, &regulator_pages[..]),
        (&operator, &staff_pages[..]),
    ] {
        b.sign_in(person).await;
        for page in company_pages
            .iter()
            .chain(&provider_pages)
            .chain(&staff_pages)
        {
            b.open(page).await;
            let expected = if own.contains(page) { 200 } else { 403 };
            assert_eq!(page_status(&b).await, expected, "{} {page}", person.login);
        }
        b.assert_quiet_console().await;
        b.click("#logout").await;
    }
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jiaxing_regulator_decides_pays_and_audits() {
    use voucher_ledger::domain::ClaimStatus;
    use voucher_ledger::service::claims::SubmitClaim;
    use voucher_ledger::service::redemptions::Complete;
    use voucher_ledger::service::reports;

    let served = Served::start().await;
    let company = served.jx_company.actor.clone();
    for (amount, purpose) in [("60000.00", "扩产检测"), ("20000.00", "重复申请")] {
        let op = SubmitApplication {
            region: "JX".into(),
            year: 2026,
            amount: scenario::yuan(amount),
            declared: scenario::eligible_facts(),
            district: None,
            purpose: purpose.into(),
        };
        served.run(&company, op).await;
    }
    let hold = Hold {
        voucher_id: served.voucher,
        provider_id: served.sh_lab.actor.sub,
        contract_no: "JX-SH-2026-201".into(),
        contract_amount: scenario::yuan("80000.00"),
        service_category: "testing".into(),
        amount: scenario::yuan("40000.00"),
    };
    let held = served.run(&company, hold).await;
    let lab = served.sh_lab.actor.clone();
    let complete = Complete {
        id: held.id,
        amount: Some(scenario::yuan("30000.00")),
    };
    served.run(&lab, complete).await;
    let claim = SubmitClaim {
        redemption_ids: vec![held.id],
        invoice_no: "INV-2026-0201".into(),
    };
    let claim = served.run(&lab, claim).await;
    scenario::Scenario::new(served.service.clone(), 0)
        .attach_samples(&lab, claim.id)
        .await
        .expect("documents attached");
    let officer = served
        .person(&served.jx_regulator, "jx-officer", "刘洋")
        .await;
    let b = Browser::start(&served.base, ZH).await;

    b.sign_in(&officer).await;
    assert_eq!(b.path().await, "/regulator");
    b.shoot("regulator-dashboard").await;

    // The cap each application would use, then one approved in part and
    // one rejected with a reason.
    b.click("nav a[href='/regulator/applications']").await;
    let first = "section.application[data-purpose='扩产检测']";
    assert_eq!(b.text(&format!("{first} .left")).await, "¥100,000.00");
    b.shoot("regulator-applications").await;
    b.fill(&format!("{first} input[name=amount]"), "50000.00")
        .await;
    b.click(&format!("{first} button.approve")).await;
    assert_eq!(b.path().await, "/regulator/applications?done=approved");
    let second = "section.application[data-purpose='重复申请']";
    b.fill(&format!("{second} input[name=reason]"), "材料不全")
        .await;
    b.click(&format!("{second} button.reject")).await;
    let decided = b.text("#decided tr[data-purpose='重复申请']").await;
    assert!(
        decided.contains("已驳回") && decided.contains("材料不全"),
        "{decided}"
    );
    let approved = "#decided tr[data-purpose='扩产检测']";
    assert!(b.text(approved).await.contains("已批准"));
    assert_eq!(b.text(&format!("{approved} .approved")).await, "¥50,000.00");
    b.shoot("regulator-applications-decided").await;

    // The lab's claim: approved, then paid with the bank's reference.
    b.click("nav a[href='/regulator/claims']").await;
    let row = "#claims tr[data-invoice='INV-2026-0201']";
    assert!(b.text("#outside-budget").await.contains("¥300,000.00"));
    b.click(&format!("{row} button.approve")).await;
    // A payment without the bank's reference: refused in red next to that
    // field, its label and the limit in words.
    b.click(&format!("{row} button.pay")).await;
    let id = b
        .script(&format!(
            "return document.querySelector(\"{row} input[name=bank_reference]\").id"
        ))
        .await;
    let id = id.as_str().unwrap_or_default().to_owned();
    let said = b.text(&format!("#{id}-error")).await;
    assert_eq!(said, "银行流水号：须为 1 至 128 个字符");
    let limit = format!("#{id}");
    assert_eq!(
        b.script(&format!(
            "return document.querySelector(\"{limit}\").maxLength"
        ))
        .await,
        128
    );
    let red = b
        .script(&format!(
            "return getComputedStyle(document.getElementById('{id}-error')).color"
        ))
        .await;
    assert_eq!(red, "rgb(138, 28, 18)", "the error colour");
    b.shoot("regulator-claims-pay-refused").await;
    b.fill(
        &format!("{row} input[name=bank_reference]"),
        "BOC-2026-0001",
    )
    .await;
    b.click(&format!("{row} button.pay")).await;
    // Four eyes: the payment waits; the officer who asked cannot confirm.
    assert_eq!(b.path().await, "/regulator/confirmations?done=awaiting");
    let waiting = "#confirmations tbody tr";
    assert!(b.text(waiting).await.contains("BOC-2026-0001"));
    assert!(b.text(waiting).await.contains("¥30,000.00"));
    assert_eq!(b.count(&format!("{waiting} button.confirm")).await, 0);
    b.shoot("regulator-confirmations-mine").await;
    let db = served.service.db.reader();
    let unpaid = claims::find(db, &served.jx_regulator, claim.id).await;
    assert_eq!(unpaid.unwrap().status, ClaimStatus::Approved);
    b.click("#logout").await;
    // A second person of the regulator confirms it: now it is paid.
    let checker = served
        .person(&served.jx_regulator, "jx-checker", "赵敏")
        .await;
    b.sign_in(&checker).await;
    b.click("nav a[href='/regulator/confirmations']").await;
    assert!(b.text(waiting).await.contains("刘洋"));
    b.shoot("regulator-confirmations").await;
    b.click(&format!("{waiting} button.confirm")).await;
    assert_eq!(b.path().await, "/regulator/confirmations?done=confirmed");
    assert_eq!(b.count("#none-waiting").await, 1);
    b.click("nav a[href='/regulator/claims']").await;
    assert!(b.text(row).await.contains("BOC-2026-0001"));
    b.shoot("regulator-claims").await;
    let paid = claims::find(db, &served.jx_regulator, claim.id)
        .await
        .unwrap();
    assert_eq!(paid.status, ClaimStatus::Paid);

    // The dashboard's figures are the summary's, to the fen, and the JX→SH
    // cell holds what was paid.
    b.click("nav a[href='/regulator']").await;
    let summary = reports::summary(db, &"JX".parse().unwrap(), 2026)
        .await
        .unwrap();
    for (key, amount) in [
        ("figure.appropriated", summary.appropriated),
        ("figure.issued", summary.issued),
        ("figure.unissued", summary.unissued),
        ("figure.held", summary.held),
        ("figure.redeemed", summary.redeemed),
        ("figure.paid", summary.paid),
        ("figure.returned", summary.returned),
    ] {
        let shown = b
            .text(&format!("#figures tr[data-figure='{key}'] td"))
            .await;
        assert_eq!(shown, voucher_ledger::portal::i18n::yuan(amount), "{key}");
    }
    assert_eq!(summary.issued, yuan("150000.00"));
    // … and to what the API answers.
    let client = &served.jx_regulator_client;
    let api = b
        .client
        .execute_async(
            "const [id, secret, done] = arguments;
             fetch('/api/v1/auth/token', {method: 'POST', headers: {'Content-Type': 'application/json'},
                   body: JSON.stringify({client_id: id, client_secret: secret})})
               .then(r => r.json())
               .then(t => fetch('/api/v1/reports/summary?region=JX&year=2026',
                                {headers: {Authorization: 'Bearer ' + t.access_token}}))
               .then(r => r.json()).then(done);",
            vec![
                client.client_id.clone().into(),
                client.client_secret.clone().into(),
            ],
        )
        .await
        .unwrap();
    for (field, amount) in [
        ("appropriated", summary.appropriated),
        ("issued", summary.issued),
        ("unissued", summary.unissued),
        ("held", summary.held),
        ("redeemed", summary.redeemed),
        ("paid", summary.paid),
        ("returned", summary.returned),
    ] {
        assert_eq!(api[field], amount.to_string(), "{field}: {api}");
    }
    assert_eq!(
        b.text("#flows tr[data-key='JX-SH'] .paid").await,
        "¥30,000.00"
    );
    // This March: 150,000.00 issued (100,000 + 50,000), 30,000.00 redeemed.
    let march = "#months tr[data-month='2026-03']";
    assert_eq!(b.text(&format!("{march} .issued")).await, "¥150,000.00");
    assert_eq!(b.text(&format!("{march} .redeemed")).await, "¥30,000.00");
    assert_eq!(paid.amount, yuan("30000.00"));
    b.shoot("regulator-dashboard-paid").await;

    // Audit: verify, then the CSV as a spreadsheet would get it.
    b.click("nav a[href='/regulator/audit']").await;
    b.click("#verify").await;
    assert!(b.text("#verification").await.contains("审计链完整"));
    b.shoot("regulator-audit").await;
    // The API's filters: by action, chosen by its name, and by day (the
    // pay is of 2026-03-02).
    assert_eq!(b.text("#action option[value='claim.pay']").await, "兑付");
    b.choose("#action", "claim.pay").await;
    b.click("#filter").await;
    let rows = "#events tbody tr";
    let found = b
        .client
        .find_all(fantoccini::Locator::Css(rows))
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    // Named in the reader's language, not by codes.
    let row = b.text(rows).await;
    assert!(
        row.contains("门户"),
        "the person paid through the portal: {row}"
    );
    assert!(
        row.contains("兑付")
            && row.contains("监管部门")
            && row.contains("结算申请")
            && !row.contains("claim.pay"),
        "{row}"
    );
    b.open("/regulator/audit?action=claim.pay&to=2026-03-01")
        .await;
    assert!(b.page_text().await.contains("没有符合条件的事件"));
    b.open("/regulator/audit?from=2026-13-01").await;
    assert_eq!(page_status(&b).await, 400);
    // A payment's bank reference rewritten in SQL: the button finds it.
    let owner = &served.service.db;
    crate::helpers::allow_tampering(owner).await;
    let tampered = crate::helpers::sql(
        owner,
        "UPDATE audit_events SET payload = replace(payload, 'BOC-2026-0001', 'BOC-2026-9999') \
         WHERE action = 'claim.pay'",
    )
    .await;
    assert_eq!(tampered, 1);
    b.open("/regulator/audit").await;
    b.click("#verify").await;
    let verdict = b.text("#verification").await;
    assert!(verdict.contains("审计链异常"), "{verdict}");
    // What was found, in the reader's language.
    assert!(
        verdict.contains("号事件与其哈希值不符（内容被改动过）"),
        "{verdict}"
    );
    b.shoot("regulator-audit-broken").await;
    let csv = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch('/regulator/audit/export?format=csv').then(r => r.text()).then(done);",
            vec![],
        )
        .await
        .unwrap();
    let csv = csv.as_str().unwrap();
    assert!(csv.starts_with("seq,id,region,occurred_at,"), "{csv}");
    assert!(
        csv.contains("claim.pay") && csv.contains(",portal,"),
        "{csv}"
    );
    b.assert_quiet_console().await;

    // Vouchers: found by company name, one revoked with a reason.
    b.click("nav a[href='/regulator/vouchers']").await;
    b.fill("#q", "光子").await;
    b.click("#search").await;
    let rows = b
        .client
        .find_all(fantoccini::Locator::Css("#vouchers tbody tr"))
        .await
        .unwrap();
    assert_eq!(
        rows.len(),
        2,
        "the first voucher and the one approved today"
    );
    b.shoot("regulator-vouchers").await;
    let newest = "#vouchers tbody tr:first-child";
    let serial = b
        .script("return document.querySelector('#vouchers tbody tr').dataset.serial")
        .await;
    b.fill(&format!("{newest} input[name=reason]"), "虚假申报")
        .await;
    b.click(&format!("{newest} button.revoke")).await;
    // Revoking asks first: the voucher, its company, where its money goes,
    // and the reason typed, carried to the confirmed form.
    assert!(b.text("#confirm-question").await.starts_with("撤销创新券"));
    let facts = b.text("#confirm-facts").await;
    assert!(
        facts.contains("嘉兴光子科技有限公司") && facts.contains("虚假申报"),
        "{facts}"
    );
    let then = b.text("#confirm-consequences").await;
    assert!(
        then.contains("将退回预算") && then.contains("双人复核"),
        "{then}"
    );
    b.shoot("confirm-revoke").await;
    b.click("#confirm").await;
    // It has a balance: the revocation waits for a second person (the
    // officer who asked for the payment confirms it).
    assert_eq!(
        b.path().await,
        "/regulator/confirmations?done=awaiting_revoke"
    );
    assert!(b.text("#confirmations").await.contains("虚假申报"));
    b.click("#logout").await;
    b.sign_in(&officer).await;
    b.click("nav a[href='/regulator/confirmations']").await;
    b.click("#confirmations tbody tr button.confirm").await;
    assert_eq!(b.path().await, "/regulator/confirmations?done=confirmed");
    b.open(&format!(
        "/regulator/vouchers?q={}",
        serial.as_str().unwrap()
    ))
    .await;
    let revoked = b
        .text(&format!(
            "#vouchers tr[data-serial='{}'] .status",
            serial.as_str().unwrap()
        ))
        .await;
    assert_eq!(revoked, "已撤销");
    let after = reports::summary(db, &"JX".parse().unwrap(), 2026)
        .await
        .unwrap();
    assert_eq!(after.revoked, yuan("50000.00"));

    // Providers: a Zhejiang lab admitted by Jiaxing (its policy admits ZJ).
    let admin = voucher_ledger::domain::Actor {
        sub: Uuid::now_v7(),
        role: voucher_ledger::domain::Role::Admin,
        region: None,
        person: None,
        needs_second_factor: false,
        district: None,
    };
    let zj_lab = RegisterOrganization {
        kind: "provider".into(),
        name: "浙江省检验检测研究院".into(),
        region: "ZJ".into(),
        credit_code: Some(credit_code()),
        ..RegisterOrganization::default()
    };
    let zj_lab = served.run(&admin, zj_lab).await.organization;
    b.click("nav a[href='/regulator/providers']").await;
    b.script(&format!(
        "document.querySelector('#provider_id').value = '{}'",
        zj_lab.id
    ))
    .await;
    b.tick("#category-testing").await;
    b.click("#admit").await;
    assert_eq!(b.path().await, "/regulator/providers?done=admitted");
    let admitted = b
        .text("#admitted tr[data-provider='浙江省检验检测研究院']")
        .await;
    assert!(
        admitted.contains("跨区域") && admitted.contains("检验检测"),
        "{admitted}"
    );
    b.shoot("regulator-providers").await;
    b.click("nav a[href='/regulator/policy']").await;
    assert!(b.text("section.in-force").await.contains("50%"));
    b.shoot("regulator-policy").await;
    b.assert_quiet_console().await;

    // English, once more each page.
    b.click("#switch-language").await;
    for (path, name) in [
        ("/regulator/vouchers", "regulator-vouchers-en"),
        ("/regulator/providers", "regulator-providers-en"),
        ("/regulator/policy", "regulator-policy-en"),
        ("/regulator", "regulator-dashboard-en"),
        ("/regulator/applications", "regulator-applications-en"),
        ("/regulator/claims", "regulator-claims-en"),
        ("/regulator/audit", "regulator-audit-en"),
    ] {
        b.open(path).await;
        assert_eq!(b.script("return document.documentElement.lang").await, "en");
        b.shoot(name).await;
    }
    b.assert_quiet_console().await;
    b.click("#logout").await;

    // A Shanghai regulator opens no Jiaxing page.
    let sh_officer = served
        .person(&served.sh_regulator, "sh-officer", "周敏")
        .await;
    b.sign_in(&sh_officer).await;
    for page in [
        "/regulator?region=JX",
        "/regulator/applications?region=JX",
        "/regulator/claims?region=JX",
        "/regulator/audit?region=JX",
        "/regulator/audit/verify?region=JX",
    ] {
        b.open(page).await;
        assert_eq!(page_status(&b).await, 403, "{page}");
    }
    b.open("/regulator").await;
    assert!(b.text("h1").await.contains("2026"));
    b.assert_quiet_console().await;
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_registers_a_regulator_who_invites_its_own_people() {
    let served = Served::start().await;
    let operator = served.operator("ops").await;
    let b = Browser::start(&served.base, ZH).await;
    b.sign_in(&operator).await;
    assert_eq!(b.path().await, "/operator");
    assert!(b
        .text("#organizations")
        .await
        .contains("嘉兴光子科技有限公司"));
    b.shoot("operator-organizations").await;

    // A regulator for Zhejiang: the invitation of its first administrator,
    // shown once — no password, no client secret.
    b.fill("#name", "浙江省科学技术厅").await;
    b.script("document.querySelector('#region').value = 'ZJ'")
        .await;
    b.click("#register").await;
    let link = b.text("#invitation-link").await;
    assert!(link.starts_with("/invite/"), "{link}");
    assert!(!b.page_text().await.contains("vl_"));
    b.shoot("operator-registered").await;
    b.click("#organizations tr[data-name='浙江省科学技术厅'] a")
        .await;
    // The operator sees its people but creates none; while it has no
    // administrator the operator may invite one again.
    assert_eq!(b.count("#login").await, 0);
    assert_eq!(b.count("#invite-administrator").await, 1);
    b.shoot("operator-organization").await;
    b.click("#logout").await;

    // The invitee sets their own login and password: a short password and
    // a mistyped repeat are explained.
    b.open(&link).await;
    assert!(b.text("#invitation").await.contains("浙江省科学技术厅"));
    assert!(b.text("#login-suffix").await.starts_with("@ZJ-"));
    b.fill("#login", "zj-officer").await;
    b.fill("#display_name", "孙丽").await;
    b.fill("#password", "short").await;
    b.fill("#password_again", "short").await;
    b.click("#accept").await;
    assert!(b.text("#password-error").await.contains("12"));
    assert_eq!(b.value("#login").await, "zj-officer");
    b.fill("#password", "zj-officer-password-1").await;
    b.fill("#password_again", "zj-officer-password-2").await;
    b.click("#accept").await;
    assert!(b.text("#password_again-error").await.contains("不一致"));
    b.shoot("invite-refused").await;
    b.fill("#password", "zj-officer-password-1").await;
    b.fill("#password_again", "zj-officer-password-1").await;
    b.click("#accept").await;
    // The sign-in form, with the login to sign in as: `zj-officer@ZJ-…`.
    assert!(b.path().await.starts_with("/login?joined="));
    let zj_login = b.value("#login").await;
    assert!(zj_login.starts_with("zj-officer@ZJ-"), "{zj_login}");
    b.shoot("invite-joined").await;
    // Used once.
    b.open(&link).await;
    assert!(b.text("#error-message").await.contains("找不到"));

    // The new person signs in as Zhejiang's regulator, invites a colleague
    // and creates the regulator's API client (the secret shown to them once).
    let officer = crate::served::Person {
        login: zj_login.clone(),
        password: "zj-officer-password-1".into(),
        user_id: Uuid::nil(),
        actor: served.jx_company.actor.clone(),
        codes: Default::default(),
    };
    b.sign_in(&officer).await;
    assert_eq!(b.path().await, "/regulator");
    assert!(b.page_text().await.contains("浙江省科学技术厅"));
    // Before anything else, the officer must enrol an authenticator app:
    // until then the team page's forms are refused.
    assert!(b.text("#enrol-first").await.contains("双重验证"));
    b.shoot("enrol-first").await;
    b.click("#enrol-first a").await;
    assert_eq!(b.path().await, "/team/second-factor");
    b.click("#start-enrolment").await;
    assert_eq!(b.count("#qr svg").await, 1, "the QR code, inline");
    let secret = b.text("#secret").await.replace(' ', "");
    b.shoot("second-factor-scan").await;
    b.fill("#code", "000000").await;
    b.click("#confirm-code").await;
    assert!(b.text("#form-error").await.contains("验证码不正确"));
    let now = served.clock.now();
    let code = code_at(&secret, now).unwrap();
    b.fill("#code", &code).await;
    b.click("#confirm-code").await;
    assert_eq!(b.count("#recovery-codes li").await, 10);
    b.shoot("second-factor-recovery-codes").await;
    // Every session ended: the officer signs in again, with a code.
    let next = now + chrono::Duration::seconds(30);
    let mut codes = std::collections::VecDeque::from([code_at(&secret, next).unwrap()]);
    codes.push_back(b.text("#recovery-codes li:first-child").await);
    let officer = crate::served::Person {
        codes: std::sync::Arc::new(std::sync::Mutex::new(codes)),
        ..officer
    };
    b.open("/login").await;
    b.fill("#login", &officer.login).await;
    b.fill("#password", &officer.password).await;
    b.click("#sign-in").await;
    assert!(b.text("#login-message").await.contains("动态验证码"));
    b.shoot("login-code-needed").await;
    b.sign_in(&officer).await;
    assert_eq!(b.path().await, "/regulator");
    assert_eq!(b.count("#enrol-first").await, 0);
    b.click("nav a[href='/team']").await;
    b.click("#invite").await;
    let colleague = b.text("#invitation-link").await;
    assert!(colleague.starts_with("/invite/"), "{colleague}");
    b.fill("#label", "省平台对接").await;
    b.click("#create-client").await;
    assert!(b.text("#client-id").await.starts_with("vl_"));
    assert_eq!(b.text("#client-secret").await.len(), 64);
    b.shoot("team-client-created").await;
    b.open("/team").await;
    assert!(b.text("#clients").await.contains("省平台对接"));
    assert_eq!(b.count("#client-secret").await, 0, "shown once");
    b.shoot("team").await;
    // Revoking the client asks first: its label, its id, what stops.
    b.click("#clients button.revoke").await;
    assert_eq!(
        b.text("#confirm-question").await,
        "吊销接口凭据“省平台对接”？"
    );
    assert!(b.text("#confirm-facts code").await.starts_with("vl_"));
    let then = b.text("#confirm-consequences").await;
    assert!(then.contains("不能恢复此凭据"), "{then}");
    b.shoot("confirm-revoke-client").await;
    b.click("#confirm").await;
    assert_eq!(b.path().await, "/team?done=client_revoked");
    assert!(!b.text("#main").await.contains("省平台对接"));
    // The officer changes their own password: a wrong current one is
    // explained; then every session ends and the new one signs in.
    b.fill("#old_password", "not-the-password").await;
    b.fill("#new_password", "zj-officer-password-2").await;
    b.fill("#new_password_again", "zj-officer-password-2").await;
    b.click("#change-password").await;
    assert!(b
        .text("#old_password-error")
        .await
        .contains("not your password"));
    b.fill("#old_password", "zj-officer-password-1").await;
    b.fill("#new_password", "zj-officer-password-2").await;
    b.fill("#new_password_again", "zj-officer-password-2").await;
    b.click("#change-password").await;
    assert_eq!(b.path().await, "/login?changed=1");
    let officer = crate::served::Person {
        password: "zj-officer-password-2".into(),
        ..officer
    };
    b.sign_in(&officer).await;
    assert_eq!(b.path().await, "/regulator");
    b.click("#logout").await;

    // The operator can no longer invite an administrator of it, and the
    // expiry job, run now, finds nothing due on 2026-03-02.
    b.sign_in(&operator).await;
    b.click("#organizations tr[data-name='浙江省科学技术厅'] a")
        .await;
    assert_eq!(b.count("#invite-administrator").await, 0);
    assert!(b.text("#people").await.contains("zj-officer"));
    // Suspended, it shows so; reinstated, it does not.
    b.click("#suspend").await;
    assert!(b.text("#suspended").await.contains("已暂停"));
    b.shoot("operator-suspended").await;
    b.click("#reinstate").await;
    assert_eq!(b.count("#suspended").await, 0);
    b.click("nav a[href='/operator/expiry']").await;
    b.click("#run-expiry").await;
    assert!(b.text("#expiry-result").await.contains("0 张券"));
    b.shoot("operator-expiry").await;
    b.assert_quiet_console().await;
    b.click("#switch-language").await;
    for (path, name) in [
        ("/operator", "operator-organizations-en"),
        ("/operator/expiry", "operator-expiry-en"),
        ("/team", "team-operator-en"),
    ] {
        b.open(path).await;
        b.shoot(name).await;
    }
    b.assert_quiet_console().await;
    b.quit().await;
}

/// How many transfers, audit events, applications and vouchers there are.
async fn ledger_rows(served: &Served) -> Vec<i64> {
    let db = served.service.db.reader();
    let mut counts = Vec::new();
    for table in ["transfers", "audit_events", "applications", "vouchers"] {
        let sql = format!("SELECT count(*) FROM {table}");
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .unwrap()
            .unwrap();
        counts.push(row.try_get_by_index::<i64>(0).unwrap());
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_regulator_sees_a_refusals_figures_and_tries_a_draft_policy() {
    let served = Served::start().await;
    let company = served.jx_company.actor.clone();
    // 90,000.00 asked while 100,000.00 are left; then another voucher of
    // 20,000.00 is issued, so approving the 90,000.00 breaks the cap.
    let apply = |amount: &str, purpose: &str| SubmitApplication {
        region: "JX".into(),
        year: 2026,
        amount: scenario::yuan(amount),
        declared: scenario::eligible_facts(),
        district: None,
        purpose: purpose.into(),
    };
    served.run(&company, apply("90000.00", "二期研发")).await;
    let other = served.run(&company, apply("20000.00", "小试检测")).await;
    let approve = ApproveApplication {
        id: other.id,
        amount: None,
    };
    served.run(&served.jx_regulator, approve).await;
    let hold = Hold {
        voucher_id: served.voucher,
        provider_id: served.sh_lab.actor.sub,
        contract_no: "JX-SH-2026-301".into(),
        contract_amount: scenario::yuan("80000.00"),
        service_category: "testing".into(),
        amount: scenario::yuan("40000.00"),
    };
    served.run(&company, hold).await;
    let officer = served
        .person(&served.jx_regulator, "jx-analyst", "周敏")
        .await;
    let b = Browser::start(&served.base, ZH).await;
    b.sign_in(&officer).await;

    // Approving the whole 90,000.00 breaks the cap: the refusal says the
    // cap, what the controller has and the most that would pass.
    b.click("nav a[href='/regulator/applications']").await;
    let row = "section.application[data-purpose='二期研发']";
    b.click(&format!("{row} button.approve")).await;
    assert_eq!(
        b.text(&format!("{row} .notice.error")).await,
        "超过年度申领上限 ¥200,000.00（嘉兴 2017 版）：同一实际控制人本年度已获 ¥120,000.00，最多还可获 ¥80,000.00"
    );
    b.shoot("regulator-cap-refused").await;

    // The what-if page starts from the policy in force: replaying it
    // changes nothing.
    b.click("nav a[href='/regulator/what-if']").await;
    assert_eq!(b.value("#enterprise_cap").await, "200000.00");
    assert_eq!(b.value("#cross_region_budget_share").await, "0.30");
    b.shoot("regulator-what-if").await;
    b.click("#replay").await;
    assert!(b.text("#no-difference").await.contains("没有任何不同"));
    b.assert_quiet_console().await;

    // A share of 30 %: the 40,000.00 of an 80,000.00 contract is refused.
    let before = ledger_rows(&served).await;
    b.fill("#contract_share", "0.30").await;
    b.click("#replay").await;
    assert_eq!(
        b.text("[data-figure='holds_refused']").await,
        "1 · ¥40,000.00"
    );
    assert!(b
        .text("#by-rule tr[data-rule='contract_share']")
        .await
        .contains("合同金额比例"));
    assert!(b
        .text("#differences")
        .await
        .contains("嘉兴光子科技有限公司"));
    assert_eq!(
        b.value("#contract_share").await,
        "0.30",
        "the draft is kept"
    );
    b.shoot("regulator-what-if-result").await;
    assert_eq!(
        ledger_rows(&served).await,
        before,
        "a what-if changed the ledger"
    );

    // A share above 1 is explained next to its field.
    b.fill("#contract_share", "1.5").await;
    b.click("#replay").await;
    assert!(b.page_text().await.contains("请填写 0 到 1 之间的比例"));
    b.shoot("regulator-what-if-invalid").await;
    b.quit().await;

    // The same page in English.
    let en = Browser::start(&served.base, "en").await;
    en.sign_in(&officer).await;
    en.open("/regulator/what-if").await;
    en.fill("#enterprise_cap", "50000.00").await;
    en.click("#replay").await;
    // The 100,000.00 voucher reduced to 50,000.00, the 20,000.00 one
    // refused: 70,000.00 less in all.
    assert_eq!(
        en.text("[data-figure='applications_reduced']").await,
        "1 · ¥70,000.00"
    );
    en.shoot("regulator-what-if-result-en").await;
    en.quit().await;
}

/// Every area of the portal answers a request that does not ask for HTML
/// (no `Accept` header, as a script or a link checker sends it) the same
/// way: without a session, the way to the sign-in page — `/regulator` as
/// `/company`, never the API's problem+json.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_portal_area_answers_alike_without_an_accept_header() {
    use crate::helpers::{Req, TestApp};
    let app = TestApp::spawn().await;
    let get = Req::get;
    let company = app.send(get("/company")).await;
    assert_eq!(company.status.code, 303, "{}", company.text);
    assert_eq!(company.header("Location"), Some("/login?next=/company"));
    for path in ["/regulator", "/regulator/audit", "/provider", "/operator"] {
        let answer = app.send(get(path)).await;
        assert_eq!(answer.status, company.status, "{path}: {}", answer.text);
        let back = format!("/login?next={path}");
        assert_eq!(answer.header("Location"), Some(back.as_str()), "{path}");
        assert_ne!(
            answer.content_type.as_deref(),
            Some("application/problem+json"),
            "{path}"
        );
    }
}

/// The language switch goes back only to a page of this site: a tab, a
/// line break or a NUL in `back` (a browser drops the tab of `/\t/evil.com`
/// and goes to the host evil.com) sends the visitor home, never to a 500
/// nor away.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_language_switch_goes_back_only_to_pages_of_this_site() {
    use crate::helpers::{Req, TestApp};
    let app = TestApp::spawn().await;
    for (back, expected) in [
        ("/company%3Fdone%3Dagain", "/company?done=again"),
        ("/regulator/audit", "/regulator/audit"),
        ("/%09/evil.com", "/"),
        ("/%0d%0aSet-Cookie:%20x=1", "/"),
        ("/%00", "/"),
        ("//evil.com", "/"),
        ("/%2F/evil.com", "/"),
        ("/%5Cevil.com", "/"),
        ("https://evil.com", "/"),
        ("/%E4%B8%AD", "/"),
    ] {
        let path = format!("/language?to=en&back={back}");
        let answer = app.send(Req::get(&path)).await;
        assert_eq!(answer.status.code, 303, "{back}: {}", answer.text);
        assert_eq!(answer.header("Location"), Some(expected), "{back}");
    }
}

/// Swagger UI draws the API under its Content-Security-Policy: the title of
/// the description shows, and nothing was blocked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swagger_ui_draws_under_its_content_security_policy() {
    let served = Served::start().await;
    let b = Browser::start(&served.base, "en").await;
    b.open("/docs/").await;
    let mut title = String::new();
    for _ in 0..200 {
        let found = b
            .script(
                "const t = document.querySelector('.info .title'); return t ? t.textContent : ''",
            )
            .await;
        title = found.as_str().unwrap_or_default().to_owned();
        if !title.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(title.contains("Voucher ledger API"), "{title:?}");
    b.assert_quiet_console().await;
    b.quit().await;
}
