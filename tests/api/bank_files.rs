//! The bank's answer to a run: a pain.002 accepts one payment and rejects
//! another; a camt.053 books the first and carries an unknown line and a
//! duplicate, which wait in the exception queue; a CSV statement returns
//! a payment of the next run; the same file twice changes nothing; a
//! malformed or hostile file is refused whole, the place named. Every
//! claim ends paid or payable again, and the ledger agrees.

use serde_json::{json, Value};

use crate::settlement::{approved_account, approved_claim};
use crate::world::{Org, World};

/// A run of `period` started, frozen, approved and exported by JX.
async fn exported_run(w: &World, period: &str) -> Value {
    exported_run_of(w, &w.jx_regulator, "JX", period).await
}

/// A run of `region`'s `period` started, frozen, approved and exported by
/// two people of its `regulator`.
pub async fn exported_run_of(w: &World, regulator: &Org, region: &str, period: &str) -> Value {
    let run = approved_run_of(w, regulator, region, period).await;
    exported(w, regulator, &run).await
}

/// A run of `region`'s `period` started, frozen and approved by two people
/// of its `regulator`: its id.
pub async fn approved_run_of(w: &World, regulator: &Org, region: &str, period: &str) -> String {
    let maker = w.app.administrator(regulator.id).await;
    let draft = w
        .post(
            &maker,
            &format!("/api/v1/regions/{region}/settlement-runs"),
            json!({ "period": period }),
        )
        .await;
    assert_eq!(draft.status.code, 201, "{}", draft.text);
    let run = draft.body["id"].as_str().unwrap().to_owned();
    let step = |s: &str| format!("/api/v1/settlement-runs/{run}/{s}");
    let frozen = w.post(&maker, &step("freeze"), json!({})).await;
    assert_eq!(frozen.status.code, 200, "{}", frozen.text);
    let checker = w.app.second_person(regulator.id).await;
    assert_eq!(
        w.post(&checker, &step("approve"), json!({}))
            .await
            .status
            .code,
        200
    );
    run
}

/// The approved `run` exported by a person of its `regulator`.
pub async fn exported(w: &World, regulator: &Org, run: &str) -> Value {
    let maker = w.app.administrator(regulator.id).await;
    let path = format!("/api/v1/settlement-runs/{run}/export");
    let exported = w.post(&maker, &path, json!({})).await;
    assert_eq!(exported.status.code, 200, "{}", exported.text);
    exported.body
}

/// The item of `run` paying `provider`: its EndToEndId (32 hex digits).
pub fn e2e(run: &Value, provider: uuid::Uuid) -> String {
    let items = run["items"].as_array().unwrap();
    let item = items
        .iter()
        .find(|i| i["provider_id"] == provider.to_string())
        .unwrap();
    item["id"].as_str().unwrap().replace('-', "")
}

async fn import(w: &World, format: &str, name: &str, content: &str) -> crate::helpers::Answer {
    w.post(
        &w.jx_regulator.token,
        "/api/v1/regions/JX/bank-files",
        json!({"format": format, "name": name, "content": content}),
    )
    .await
}

/// `regulator` imports a file of `format` for `region`.
pub async fn import_as(
    w: &World,
    regulator: &Org,
    region: &str,
    format: &str,
    content: &str,
) -> crate::helpers::Answer {
    let path = format!("/api/v1/regions/{region}/bank-files");
    let body = json!({"format": format, "name": format!("{format}.file"), "content": content});
    let answer = w.post(&regulator.token, &path, body).await;
    assert_eq!(answer.status.code, 201, "{}", answer.text);
    answer
}

fn pain002(run: &str, accepted: &str, rejected: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>
<GrpHdr><MsgId>ST-1</MsgId><CreDtTm>2026-04-03T09:00:00+08:00</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>{run}</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId><GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>
<OrgnlPmtInfAndSts><OrgnlPmtInfId>{run}</OrgnlPmtInfId>
<TxInfAndSts><OrgnlEndToEndId>{accepted}</OrgnlEndToEndId><TxSts>ACSP</TxSts></TxInfAndSts>
<TxInfAndSts><OrgnlEndToEndId>{rejected}</OrgnlEndToEndId><TxSts>RJCT</TxSts>
<StsRsnInf><Rsn><Cd>AC01</Cd></Rsn><AddtlInf>账号有误</AddtlInf></StsRsnInf></TxInfAndSts>
</OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>"#
    )
}

/// A camt.053 entry paying out `amount` for `e2e`.
pub fn booked(e2e: &str, amount: &str, reference: &str) -> String {
    format!(
        r#"<Ntry><Amt Ccy="CNY">{amount}</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>2026-04-03</Dt></BookgDt><AcctSvcrRef>{reference}</AcctSvcrRef>
<NtryDtls><TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>"#
    )
}

pub fn camt053(entries: &[String]) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>STMT-1</MsgId><CreDtTm>2026-04-03T18:00:00+08:00</CreDtTm></GrpHdr>
<Stmt><Id>STMT-1</Id><Acct><Id><Othr><Id>1204060109000012345</Id></Othr></Id></Acct>
{}
</Stmt></BkToCstmrStmt></Document>"#,
        entries.join("\n")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_banks_files_settle_reject_return_and_queue_what_cannot_be_applied() {
    let mut w = World::new().await;
    approved_account(&w, &w.sh_lab, "6222021001123456789", &w.sh_regulator).await;
    approved_account(&w, &w.jx_lab, "6217000010001234567", &w.jx_regulator).await;
    let sh_claims = [
        approved_claim(&w, &w.sh_lab, "F-1", "3000.00").await,
        approved_claim(&w, &w.sh_lab, "F-2", "2000.00").await,
    ];
    let jx_claim = approved_claim(&w, &w.jx_lab, "F-3", "1000.00").await;
    w.travel_to("2026-04-02T09:00:00").await;
    let march = exported_run(&w, "2026-03").await;
    let run = march["id"].as_str().unwrap().to_owned();
    let (sh_item, jx_item) = (e2e(&march, w.sh_lab.id), e2e(&march, w.jx_lab.id));
    let figures_of = "/api/v1/reports/summary?region=JX&year=2026";
    let figures = w.get(&w.jx_regulator.token, figures_of).await.body;
    assert_eq!(figures["in_transit"], "6000.00", "{figures}");
    assert_eq!(figures["payable"], "0.00", "{figures}");
    assert_eq!(figures["redeemed"], "6000.00", "{figures}");

    // A file that is not what it says is refused whole, the place named.
    let before = w.app.count("bank_files").await;
    let not_xml = import(&w, "camt.053", "a.xml", "日期,金额\n2026-04-03,1").await;
    not_xml.assert_problem(422, "validation_failed");
    let wrong = import(&w, "camt.054", "a.xml", &camt053(&[])).await;
    wrong.assert_problem(422, "validation_failed");
    assert!(wrong.text.contains("camt.054"), "{}", wrong.text);
    let bomb =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE d [<!ENTITY a \"aaaa\">]>\n<Document>&a;</Document>";
    let refused = import(&w, "camt.053", "bomb.xml", bomb).await;
    assert!(refused.text.contains("line 2"), "{}", refused.text);
    let deep = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
    import(&w, "pain.002", "deep.xml", &deep)
        .await
        .assert_problem(422, "validation_failed");
    let unclosed = camt053(&[booked(&sh_item, "5000.00", "B-1")]).replace("</Stmt>", "");
    let broken = import(&w, "camt.053", "cut.xml", &unclosed).await;
    broken.assert_problem(422, "validation_failed");
    assert!(broken.text.contains("line "), "{}", broken.text);
    let huge = "x".repeat(9 * 1024 * 1024);
    import(&w, "statement.csv", "huge.csv", &huge)
        .await
        .assert_problem(413, "payload_too_large");
    assert_eq!(w.app.count("bank_files").await, before, "nothing kept");

    // pain.002: the SH lab's payment accepted, the JX lab's rejected.
    let report = import(
        &w,
        "pain.002",
        "status.xml",
        &pain002(&run, &sh_item, &jx_item),
    )
    .await;
    assert_eq!(report.status.code, 201, "{}", report.text);
    assert_eq!(report.body["summary"]["accepted"], 1);
    assert_eq!(report.body["summary"]["rejected"], 1);
    let run_path = format!("/api/v1/settlement-runs/{run}");
    let now = w.get(&w.jx_regulator.token, &run_path).await.body;
    assert_eq!(now["status"], "accepted");
    let claim = w
        .get(&w.jx_regulator.token, &format!("/api/v1/claims/{jx_claim}"))
        .await;
    assert_eq!(claim.body["status"], "approved", "payable again");
    assert!(
        claim.body["reason"].as_str().unwrap().contains("AC01"),
        "{}",
        claim.text
    );

    // camt.053: the SH payment booked; an unknown line; the booking again.
    let statement = camt053(&[
        booked(&sh_item, "5000.00", "B-1"),
        booked("0123456789abcdef0123456789abcdef", "77.00", "B-2"),
        booked(&sh_item, "5000.00", "B-3"),
    ]);
    let imported = import(&w, "camt.053", "statement.xml", &statement).await;
    assert_eq!(imported.status.code, 201, "{}", imported.text);
    let summary = &imported.body["summary"];
    assert_eq!(summary["settled"], 1, "{}", imported.text);
    assert_eq!(summary["exceptions"], 2, "{}", imported.text);
    for claim in &sh_claims {
        let paid = w
            .get(&w.jx_regulator.token, &format!("/api/v1/claims/{claim}"))
            .await;
        assert_eq!(paid.body["status"], "paid", "{}", paid.text);
        assert_eq!(paid.body["bank_reference"], "B-1");
    }
    let now = w.get(&w.jx_regulator.token, &run_path).await.body;
    assert_eq!(now["status"], "partly_settled", "{now}");
    // The same statement again changes nothing.
    let again = import(&w, "camt.053", "statement-copy.xml", &statement).await;
    assert_eq!(again.status.code, 200, "{}", again.text);
    assert_eq!(again.body["repeated"], true);
    let queue = "/api/v1/regions/JX/settlement-exceptions";
    let open = w.get(&w.jx_regulator.token, queue).await;
    let open = open.body.as_array().unwrap().clone();
    let mut kinds: Vec<&str> = open.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    kinds.sort();
    assert_eq!(kinds, ["duplicate", "unknown"]);
    assert!(open
        .iter()
        .all(|e| e["locator"].as_str().unwrap().contains("Ntry[")));
    w.get(&w.sh_regulator.token, queue)
        .await
        .assert_problem(403, "forbidden");

    // Reconciled only once the exceptions are resolved; then closed.
    let reconcile = format!("/api/v1/settlement-runs/{run}/reconcile");
    w.post(&w.jx_regulator.token, &reconcile, json!({}))
        .await
        .assert_problem(409, "invalid_state");
    for exception in &open {
        let path = format!(
            "/api/v1/settlement-exceptions/{}/resolve",
            exception["id"].as_str().unwrap()
        );
        let resolved = w
            .post(
                &w.jx_regulator.token,
                &path,
                json!({"resolution": "银行确认：重复记账已冲正"}),
            )
            .await;
        assert_eq!(resolved.status.code, 200, "{}", resolved.text);
        w.post(&w.jx_regulator.token, &path, json!({"resolution": "again"}))
            .await
            .assert_problem(409, "invalid_state");
    }
    let reconciled = w.post(&w.jx_regulator.token, &reconcile, json!({})).await;
    assert_eq!(
        reconciled.body["status"], "reconciled",
        "{}",
        reconciled.text
    );
    let closed = w
        .post(
            &w.jx_regulator.token,
            &format!("/api/v1/settlement-runs/{run}/close"),
            json!({}),
        )
        .await;
    assert_eq!(closed.body["status"], "closed", "{}", closed.text);

    // The SH lab reads its payment and the advice with its 兑付明细表;
    // another provider and another region's regulator do not.
    let payments = format!("/api/v1/organizations/{}/payments", w.sh_lab.id);
    let listed = w.get(&w.sh_lab.token, &payments).await;
    assert_eq!(listed.body[0]["status"], "settled", "{}", listed.text);
    assert_eq!(listed.body[0]["bank_reference"], "B-1");
    let item_id = listed.body[0]["item_id"].as_str().unwrap().to_owned();
    let advice = format!("/api/v1/settlement-runs/{run}/items/{item_id}/advice");
    let read = w.get(&w.sh_lab.token, &advice).await;
    assert_eq!(read.body["amount"], "5000.00", "{}", read.text);
    let lines = read.body["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "{}", read.text);
    assert!(lines
        .iter()
        .all(|l| l["voucher_serial"].as_str().unwrap().starts_with("JX")));
    let sheet = w
        .get(&w.sh_lab.token, &format!("{advice}?format=csv"))
        .await;
    assert!(sheet.text.starts_with('\u{feff}') && sheet.text.contains("合计,,,,,,5000.00"));
    let page = w
        .get(&w.jx_regulator.token, &format!("{advice}?format=html"))
        .await;
    assert!(
        page.text.contains("兑付明细表") && page.text.contains("INV-F-1"),
        "{}",
        page.text
    );
    for outsider in [&w.jx_lab.token, &w.zj_regulator.token] {
        w.get(outsider, &advice)
            .await
            .assert_problem(404, "not_found");
    }
    w.get(&w.jx_lab.token, &payments)
        .await
        .assert_problem(404, "not_found");

    // The JX -> SH statement of March: the same for both regions'
    // regulators, and the issuer's side agrees with the providers' claims.
    let path = "/api/v1/settlement-statements?issuer=JX&provider_region=SH&period=2026-03";
    let mut jx_view = w.get(&w.jx_regulator.token, path).await.body;
    let mut sh_view = w.get(&w.sh_regulator.token, path).await.body;
    for view in [&mut jx_view, &mut sh_view] {
        view.as_object_mut().unwrap().remove("generated_at");
    }
    assert_eq!(jx_view, sh_view);
    assert_eq!(jx_view["settled"], "5000.00", "{jx_view}");
    assert_eq!(jx_view["claims_paid"], "5000.00", "{jx_view}");
    assert_eq!(jx_view["agrees"], true);
    assert_eq!(
        jx_view["payments"][0]["claims"].as_array().unwrap().len(),
        2
    );
    let hashes: Vec<&str> = jx_view["runs"][0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["sha256"].as_str().unwrap())
        .collect();
    assert!(hashes.contains(&march["files"][0]["sha256"].as_str().unwrap()));
    let inside = w
        .get(
            &w.jx_regulator.token,
            "/api/v1/settlement-statements?issuer=JX&provider_region=JX&period=2026-03",
        )
        .await
        .body;
    assert_eq!(inside["sent_back"], "1000.00", "{inside}");
    assert_eq!(inside["settled"], "0.00", "{inside}");
    w.get(&w.zj_regulator.token, path)
        .await
        .assert_problem(403, "forbidden");
    let sheet = w
        .get(&w.sh_regulator.token, &format!("{path}&format=csv"))
        .await;
    assert!(sheet.text.starts_with('\u{feff}'), "{}", sheet.text);
    assert_eq!(sheet.text.matches("INV-F-").count(), 2, "{}", sheet.text);
    assert!(sheet.text.contains("agrees"), "{}", sheet.text);
    let page = w
        .get(&w.sh_regulator.token, &format!("{path}&format=html"))
        .await;
    assert!(page.text.contains("跨地区结算对账单") && page.text.contains("双方一致"));

    // April: the rejected claim is paid again in the next run; the bank's
    // CSV statement returns it (the account was closed).
    w.travel_to("2026-05-02T09:00:00").await;
    let april = exported_run(&w, "2026-04").await;
    assert_eq!(april["total"], "1000.00", "{april}");
    let item = e2e(&april, w.jx_lab.id);
    let sheet = format!(
        "\u{feff}业务参考号,收款账号,金额,状态,银行流水号,原因\r\n{item},6217000010001234567,1000.00,退票,B-9,AC04 账户已销户\r\n"
    );
    let returned = import(&w, "statement.csv", "回单.csv", &sheet).await;
    assert_eq!(returned.status.code, 201, "{}", returned.text);
    assert_eq!(returned.body["summary"]["returned"], 1, "{}", returned.text);
    let claim = w
        .get(&w.jx_regulator.token, &format!("/api/v1/claims/{jx_claim}"))
        .await;
    assert_eq!(claim.body["status"], "approved");
    assert!(
        claim.body["reason"].as_str().unwrap().contains("AC04"),
        "{}",
        claim.text
    );
    let april = w
        .get(
            &w.jx_regulator.token,
            &format!("/api/v1/settlement-runs/{}", april["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(april.body["status"], "partly_settled");
    assert_eq!(april.body["items"][0]["status"], "returned");
    // Everything in transit came back or was paid: the reports and the
    // ledger agree.
    let figures = w.get(&w.jx_regulator.token, figures_of).await.body;
    for (figure, amount) in [
        ("redeemed", "6000.00"),
        ("paid", "5000.00"),
        ("in_transit", "0.00"),
        ("payable", "1000.00"),
        ("bank_returned", "2000.00"),
    ] {
        assert_eq!(figures[figure], amount, "{figure} in {figures}");
    }
    let matrix = w
        .get(
            &w.jx_regulator.token,
            "/api/v1/reports/cross-region?year=2026",
        )
        .await
        .body;
    let cell = |provider: &str| {
        matrix["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["issuer_region"] == "JX" && c["provider_region"] == provider)
            .cloned()
            .unwrap()
    };
    assert_eq!(cell("SH")["paid"], "5000.00", "{matrix}");
    assert_eq!(cell("SH")["completed"], "5000.00", "{matrix}");
    assert_eq!(cell("JX")["completed"], "1000.00", "{matrix}");
    assert_eq!(cell("JX")["paid"], "0.00", "{matrix}");
    assert_eq!(cell("JX")["bank_returned"], "2000.00", "{matrix}");
    assert_eq!(cell("JX")["count"], 1, "{matrix}");
    w.app.assert_invariants().await;
    let audit = w
        .get(
            &w.app.administrator(w.jx_regulator.id).await,
            "/api/v1/audit/events?region=JX&action=settlement.import",
        )
        .await;
    assert_eq!(
        audit.body["items"].as_array().unwrap().len(),
        3,
        "{}",
        audit.text
    );
}

/// Two different statements booking the same payment, imported at once:
/// the payment is booked once; the other file's line waits as a duplicate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_statements_booking_one_payment_at_once_book_it_once() {
    let mut w = World::new().await;
    approved_account(&w, &w.sh_lab, "6222021001123456789", &w.sh_regulator).await;
    let claim = approved_claim(&w, &w.sh_lab, "F-R", "3000.00").await;
    w.travel_to("2026-04-02T09:00:00").await;
    let march = exported_run(&w, "2026-03").await;
    let item = e2e(&march, w.sh_lab.id);
    let post = |reference: &str| crate::helpers::Post {
        token: w.jx_regulator.token.clone(),
        path: "/api/v1/regions/JX/bank-files".into(),
        key: format!("race-{reference}"),
        body: json!({"format": "camt.053", "name": format!("{reference}.xml"),
            "content": camt053(&[booked(&item, "3000.00", reference)])}),
    };
    let answers = w.app.race(vec![post("B-1"), post("B-2")]).await;
    let mut settled = 0;
    let mut exceptions = 0;
    for answer in &answers {
        assert_eq!(answer.status.code, 201, "{}", answer.text);
        settled += answer.body["summary"]["settled"].as_u64().unwrap();
        exceptions += answer.body["summary"]["exceptions"].as_u64().unwrap();
    }
    assert_eq!((settled, exceptions), (1, 1), "booked once, once queued");
    let paid = w
        .get(&w.jx_regulator.token, &format!("/api/v1/claims/{claim}"))
        .await;
    assert_eq!(paid.body["status"], "paid", "{}", paid.text);
    let figures = "/api/v1/reports/summary?region=JX&year=2026";
    let figures = w.get(&w.jx_regulator.token, figures).await.body;
    assert_eq!(figures["paid"], "3000.00", "{figures}");
    assert_eq!(figures["in_transit"], "0.00", "{figures}");
    w.app.assert_invariants().await;
}
