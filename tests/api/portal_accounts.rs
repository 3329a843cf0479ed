//! Bank accounts on the portal, in Chromium: the Shanghai lab's
//! administrator enters the lab's account (a wrong name is explained), an
//! officer of the Shanghai regulator approves it and a second officer
//! confirms; the lab then sees it approved. An administrator disables a
//! person, after a page that asks first.

use crate::browser::Browser;
use crate::served::Served;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_labs_account_is_entered_approved_and_confirmed_in_the_browser() {
    let served = Served::start().await;
    let lab = served.sh_lab.actor.clone();
    let lab_admin = served.administrator(&lab, "sh-lab-admin", "陈主任").await;
    let maker = served
        .person(&served.sh_regulator, "sh-officer", "周敏")
        .await;
    let checker = served
        .person(&served.sh_regulator, "sh-checker", "吴刚")
        .await;
    let b = Browser::start(&served.base, "zh-CN,zh").await;

    // A member sees the accounts but does not enter one.
    b.sign_in(&served.sh_lab).await;
    b.click("nav a[href='/provider/bank-account']").await;
    assert_eq!(b.count("#admin-only").await, 1);
    assert_eq!(b.count("#submit-account").await, 0);
    b.click("#logout").await;

    // The administrator: the name is filled in; another name is explained.
    b.sign_in(&lab_admin).await;
    b.open("/provider/bank-account").await;
    assert_eq!(b.value("#account_name").await, "上海测试技术研究院");
    b.fill("#account_name", "上海某某有限公司").await;
    b.fill("#account_number", "6222 0210 0112 3456 789").await;
    b.fill("#bank_name", "中国工商银行上海分行营业部").await;
    b.fill("#cnaps_code", "102290000011").await;
    b.script("document.querySelector('#valid_from').value = '2026-03-01'")
        .await;
    b.click("#submit-account").await;
    assert!(b
        .text("#account_name-error")
        .await
        .contains("上海测试技术研究院"));
    assert!(b.text("#form-error").await.contains("未能提交"));
    assert_eq!(b.value("#account_number").await, "6222 0210 0112 3456 789");
    b.shoot("account-refused").await;
    b.fill("#account_name", "上海测试技术研究院").await;
    b.click("#submit-account").await;
    assert!(b.text("#notice").await.contains("等待"));
    assert!(b.text("#accounts").await.contains("待审核"));
    b.shoot("account-submitted").await;
    b.click("#logout").await;

    // One officer approves; it waits for a second, who confirms.
    b.sign_in(&maker).await;
    b.click("nav a[href='/regulator/bank-accounts']").await;
    assert!(b
        .text("#waiting-accounts")
        .await
        .contains("6222021001123456789"));
    b.shoot("regulator-bank-accounts").await;
    b.click("#waiting-accounts button.approve").await;
    assert_eq!(
        b.path().await,
        "/regulator/confirmations?done=awaiting_account"
    );
    assert!(b.text("#confirmations").await.contains("收款账户"));
    b.click("#logout").await;
    b.sign_in(&checker).await;
    b.open("/regulator/confirmations").await;
    b.click("#confirmations button.confirm").await;
    assert!(b.text("#notice").await.contains("已确认"));
    b.open("/regulator/bank-accounts").await;
    assert_eq!(b.count("#none-waiting").await, 1);
    b.click("#logout").await;

    b.sign_in(&lab_admin).await;
    b.open("/provider/bank-account").await;
    assert!(b.text("#accounts").await.contains("已批准"));
    b.shoot("account-approved").await;
    b.assert_quiet_console().await;
    b.quit().await;
}

/// A person who opens a page before signing in lands on it once signed
/// in; a `next` that leads off the site is ignored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_returns_to_the_page_asked_for_and_nowhere_else() {
    let served = Served::start().await;
    let officer = served
        .person(&served.sh_regulator, "sh-officer", "周敏")
        .await;
    let b = Browser::start(&served.base, "zh-CN,zh").await;
    b.open("/regulator/claims?region=SH").await;
    assert_eq!(
        b.path().await,
        "/login?next=/regulator/claims%3Fregion%3DSH"
    );
    // A wrong password first: the page asked for is kept.
    b.fill("#login", &officer.login).await;
    b.fill("#password", "wrong password").await;
    b.click("#sign-in").await;
    assert_eq!(b.count("input[name=next]").await, 1);
    type_in(&b, &officer).await;
    assert_eq!(b.path().await, "/regulator/claims?region=SH");
    b.click("#logout").await;
    for outside in [
        "//example.org/x",
        "/\\\\example.org",
        "https://example.org/",
    ] {
        b.open(&format!("/login?next={outside}")).await;
        type_in(&b, &officer).await;
        assert_eq!(b.path().await, "/regulator", "{outside}");
        b.click("#logout").await;
    }
    b.quit().await;
}

/// Types a person's login, password and (if they have one) second
/// factor's code into the sign-in form shown, and sends it.
async fn type_in(b: &Browser, person: &crate::served::Person) {
    b.fill("#login", &person.login).await;
    b.fill("#password", &person.password).await;
    let code = person.codes.lock().unwrap().pop_front();
    if let Some(code) = code {
        b.fill("#code", &code).await;
    }
    b.click("#sign-in").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_disables_a_person_only_after_confirming_it() {
    let served = Served::start().await;
    let company = served.jx_company.actor.clone();
    let admin = served.administrator(&company, "jx-admin", "赵敏").await;
    let b = Browser::start(&served.base, "zh-CN,zh").await;
    b.sign_in(&admin).await;
    b.open("/team").await;
    let clerk = &format!("#people tr[data-login='{}']", served.jx_clerk.login);
    assert!(b.text(clerk).await.contains("正常"));
    // The button names the account; the page asks, names the person and
    // says what cannot be had back. Going back changes nothing.
    assert_eq!(b.text(&format!("{clerk} button.disable")).await, "停用账号");
    b.click(&format!("{clerk} button.disable")).await;
    assert_eq!(b.text("#confirm-question").await, "停用 李明 的账号？");
    assert!(b.text("#confirm-facts").await.contains("jx-clerk"));
    let then = b.text("#confirm-consequences").await;
    assert!(
        then.contains("立即退出登录") && then.contains("不能恢复此账号"),
        "{then}"
    );
    b.shoot("confirm-disable").await;
    b.click("#confirm-back").await;
    assert_eq!(b.path().await, "/team");
    assert!(b.text(clerk).await.contains("正常"), "nothing done");
    // In English, confirmed.
    b.click("#switch-language").await;
    b.click(&format!("{clerk} button.disable")).await;
    assert_eq!(
        b.text("#confirm-question").await,
        "Disable the account of 李明?"
    );
    b.shoot("confirm-disable-en").await;
    b.click("#confirm").await;
    assert_eq!(b.path().await, "/team?done=user_disabled");
    assert!(b.text(clerk).await.contains("disabled"));
    b.assert_quiet_console().await;
    b.quit().await;
}
