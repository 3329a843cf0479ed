//! A test year of settlement across the three regions: claims of JX, SH
//! (quarterly) and ZJ, runs for two periods, each exported with a pain.001
//! valid against the XSD; the bank's answers — a camt.053 with bookings,
//! a return after booking, an unknown line and a duplicate, a pain.002
//! rejection (rejections are pain.002's), a camt.054 return, a CSV
//! statement — leave every claim paid or payable again as the files say; the ledger's invariants hold, every region's audit chain
//! verifies, and the JX -> SH statement is the same seen from SH.

use serde_json::Value;

use crate::bank_files::{
    approved_run_of, booked, camt053, e2e, exported, exported_run_of, import_as,
};
use crate::helpers::company;
use crate::iso20022;
use crate::settlement::approved_account;
use crate::world::{Org, World};

/// A claim of `amount` in `region` at `provider`, approved by `regulator`.
async fn claim_in(
    w: &World,
    (holder, regulator, region): (&Org, &Org, &str),
    provider: &Org,
    contract: &str,
    amount: &str,
) -> String {
    let voucher = w.voucher(holder, regulator, region, "10000.00").await;
    let double = format!(
        "{}.00",
        amount.trim_end_matches(".00").parse::<i64>().unwrap() * 2
    );
    let held = w
        .hold(holder, &voucher, provider, contract, &double, amount)
        .await;
    assert_eq!(held.status.code, 201, "{}", held.text);
    let held = held.body["id"].as_str().unwrap().to_owned();
    assert_eq!(w.complete(provider, &held, None).await.status.code, 200);
    let claim = w
        .claim(provider, &[&held], &format!("INV-{contract}"))
        .await;
    assert_eq!(claim.status.code, 201, "{}", claim.text);
    let claim = claim.body["id"].as_str().unwrap().to_owned();
    assert_eq!(w.approve_claim(regulator, &claim).await.status.code, 200);
    claim
}

async fn status_of(w: &World, regulator: &Org, claim: &str) -> Value {
    w.get(&regulator.token, &format!("/api/v1/claims/{claim}"))
        .await
        .body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_year_of_three_regions_settles_as_the_banks_files_say() {
    let mut w = World::new().await;
    approved_account(&w, &w.sh_lab, "6222021001123456789", &w.sh_regulator).await;
    approved_account(&w, &w.jx_lab, "6217000010001234567", &w.jx_regulator).await;
    let (id, token) = w.app.register(&w.zj_regulator.token, company("ZJ")).await;
    let zj_company = Org { id, token };
    w.admit("ZJ", &w.zj_regulator, w.jx_lab.id, &["testing"])
        .await;
    // March: a claim in each region.
    let jx = (&w.jx_company, &w.jx_regulator, "JX");
    let jx_claim = claim_in(&w, jx, &w.sh_lab, "Y-JX", "3000.00").await;
    let jx_returned = claim_in(&w, jx, &w.jx_lab, "Y-JX-2", "800.00").await;
    let sh = (&w.sh_company, &w.sh_regulator, "SH");
    let sh_claim = claim_in(&w, sh, &w.sh_lab, "Y-SH", "2000.00").await;
    let zj = (&zj_company, &w.zj_regulator, "ZJ");
    let zj_claim = claim_in(&w, zj, &w.jx_lab, "Y-ZJ", "1000.00").await;
    w.travel_to("2026-04-02T09:00:00").await;

    // JX (monthly) pays March; SH (quarterly) the first quarter; ZJ March.
    // SH publishes its payment list for 7 days before it pays.
    let jx_run = exported_run_of(&w, &w.jx_regulator, "JX", "2026-03").await;
    let sh_run = approved_run_of(&w, &w.sh_regulator, "SH", "2026-Q1").await;
    let zj_run = exported_run_of(&w, &w.zj_regulator, "ZJ", "2026-03").await;
    w.travel_to("2026-04-09T09:00:01").await;
    let sh_run = exported(&w, &w.sh_regulator, &sh_run).await;
    for (regulator, run) in [
        (&w.jx_regulator, &jx_run),
        (&w.sh_regulator, &sh_run),
        (&w.zj_regulator, &zj_run),
    ] {
        let file = run["files"][0]["id"].as_str().unwrap();
        let pain = w
            .get(&regulator.token, &format!("/api/v1/bank-files/{file}"))
            .await;
        iso20022::assert_valid("pain.001.001.09", &pain.text);
    }

    // JX's statement: one payment booked, the other booked and returned
    // (the account was closed), an unknown line, a booking reported twice.
    let jx_item = e2e(&jx_run, w.sh_lab.id);
    let back = e2e(&jx_run, w.jx_lab.id);
    let returned = format!(
        r#"<Ntry><Amt Ccy="CNY">800.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<NtryDtls><TxDtls><Refs><EndToEndId>{back}</EndToEndId></Refs>
<RtrInf><Rsn><Cd>AC04</Cd></Rsn><AddtlInf>账户已销户</AddtlInf></RtrInf></TxDtls></NtryDtls></Ntry>"#
    );
    let statement = camt053(&[
        booked(&jx_item, "3000.00", "JX-B-1"),
        booked(&back, "800.00", "JX-B-5"),
        returned,
        booked("0123456789abcdef0123456789abcdef", "12.00", "JX-B-2"),
        booked(&jx_item, "3000.00", "JX-B-3"),
    ]);
    let answer = import_as(&w, &w.jx_regulator, "JX", "camt.053", &statement).await;
    let summary = &answer.body["summary"];
    assert_eq!(summary["settled"], 2, "{}", answer.text);
    assert_eq!(summary["returned"], 1, "{}", answer.text);
    assert_eq!(summary["exceptions"], 2, "{}", answer.text);
    // SH's bank rejects its payment (pain.002).
    let sh_item = e2e(&sh_run, w.sh_lab.id);
    let run_id = sh_run["id"].as_str().unwrap().replace('-', "");
    let report = format!(
        r#"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>
<GrpHdr><MsgId>SH-R</MsgId><CreDtTm>2026-04-03T09:00:00+08:00</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>{run_id}</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId></OrgnlGrpInfAndSts>
<OrgnlPmtInfAndSts><OrgnlPmtInfId>{run_id}</OrgnlPmtInfId><TxInfAndSts><OrgnlEndToEndId>{sh_item}</OrgnlEndToEndId>
<TxSts>RJCT</TxSts><StsRsnInf><Rsn><Cd>AC06</Cd></Rsn></StsRsnInf></TxInfAndSts></OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>"#
    );
    let answer = import_as(&w, &w.sh_regulator, "SH", "pain.002", &report).await;
    assert_eq!(answer.body["summary"]["rejected"], 1, "{}", answer.text);
    // ZJ's payment is returned (camt.054: a credit with the return's reason).
    let zj_item = e2e(&zj_run, w.jx_lab.id);
    let notice = format!(
        r#"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn>
<GrpHdr><MsgId>ZJ-N</MsgId><CreDtTm>2026-04-05T09:00:00+08:00</CreDtTm></GrpHdr><Ntfctn><Id>ZJ-N</Id>
<Ntry><Amt Ccy="CNY">1000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><NtryDtls><TxDtls>
<Refs><EndToEndId>{zj_item}</EndToEndId></Refs><RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf></TxDtls></NtryDtls></Ntry>
</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"#
    );
    let answer = import_as(&w, &w.zj_regulator, "ZJ", "camt.054", &notice).await;
    assert_eq!(answer.body["summary"]["returned"], 1, "{}", answer.text);

    // April: a new JX claim at the SH lab, paid by JX's April run, booked
    // by the bank's CSV statement.
    let jx = (&w.jx_company, &w.jx_regulator, "JX");
    let april_claim = claim_in(&w, jx, &w.sh_lab, "Y-JX-4", "500.00").await;
    w.travel_to("2026-05-02T09:00:00").await;
    let april = exported_run_of(&w, &w.jx_regulator, "JX", "2026-04").await;
    let item = e2e(&april, w.sh_lab.id);
    let sheet = format!("EndToEndId,Amount,Status,Bank_Reference\n{item},500.00,BOOK,JX-B-4\n");
    let answer = import_as(&w, &w.jx_regulator, "JX", "statement.csv", &sheet).await;
    assert_eq!(answer.body["summary"]["settled"], 1, "{}", answer.text);

    // Every claim is paid or payable again, as the files said.
    for (regulator, claim, status) in [
        (&w.jx_regulator, &jx_claim, "paid"),
        (&w.jx_regulator, &jx_returned, "approved"),
        (&w.sh_regulator, &sh_claim, "approved"),
        (&w.zj_regulator, &zj_claim, "approved"),
        (&w.jx_regulator, &april_claim, "paid"),
    ] {
        let read = status_of(&w, regulator, claim).await;
        assert_eq!(read["status"], status, "{read}");
    }
    // The JX -> SH statement of March is the same from SH, and agrees.
    let path = "/api/v1/settlement-statements?issuer=JX&provider_region=SH&period=2026-03";
    let mut views = Vec::new();
    for regulator in [&w.jx_regulator, &w.sh_regulator] {
        let mut view = w.get(&regulator.token, path).await.body;
        view.as_object_mut().unwrap().remove("generated_at");
        views.push(view);
    }
    assert_eq!(views[0], views[1]);
    assert_eq!(views[0]["settled"], "3000.00");
    assert_eq!(views[0]["agrees"], true);
    // The ledger and every region's audit chain.
    w.app.assert_invariants().await;
    for regulator in [&w.jx_regulator, &w.sh_regulator, &w.zj_regulator] {
        let verified = w.get(&regulator.token, "/api/v1/audit/verify").await;
        assert_eq!(verified.body["ok"], true, "{}", verified.text);
    }
}
