//! Reports against hand-computed figures; CSV and JSON agree; who may read.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::world::World;

async fn complete(
    w: &World,
    provider: &crate::world::Org,
    redemption: &Value,
    amount: Option<&str>,
) {
    let id = redemption["id"].as_str().unwrap();
    let body = amount.map(|a| json!({"amount": a})).unwrap_or(json!({}));
    let done = w
        .post(
            &provider.token,
            &format!("/api/v1/redemptions/{id}/complete"),
            body,
        )
        .await;
    assert_eq!(done.status.code, 200, "{}", done.text);
}

/// CSV with a header line as maps of column to value.
fn csv_rows(text: &str) -> Vec<BTreeMap<String, String>> {
    // A byte-order mark first, so that spreadsheet programs read UTF-8.
    let text = text
        .strip_prefix('\u{feff}')
        .expect("a CSV starts with a BOM");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| {
            header
                .iter()
                .map(|h| h.to_string())
                .zip(l.split(',').map(str::to_owned))
                .collect()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_match_the_hand_computed_ledger() {
    let w = World::new().await;
    let jx = &w.jx_regulator;
    let v1 = w.voucher(&w.jx_company, jx, "JX", "100000.00").await;
    let v2 = w.voucher(&w.jx_company_2, jx, "JX", "50000.00").await;
    let r1 = w
        .hold(&w.jx_company, &v1, &w.sh_lab, "R-1", "80000.00", "40000.00")
        .await
        .body;
    complete(&w, &w.sh_lab, &r1, Some("30000.00")).await;
    let r2 = w
        .hold(&w.jx_company, &v1, &w.jx_lab, "R-2", "40000.00", "20000.00")
        .await
        .body;
    complete(&w, &w.jx_lab, &r2, None).await;
    let r3 = w
        .hold(
            &w.jx_company_2,
            &v2,
            &w.sh_lab,
            "R-3",
            "20000.00",
            "10000.00",
        )
        .await;
    assert_eq!(r3.status.code, 201);
    let c1 = w
        .post(
            &w.sh_lab.token,
            "/api/v1/claims",
            json!({"redemption_ids": [r1["id"]], "invoice_no": "REP-1"}),
        )
        .await;
    let c1 = c1.body["id"].as_str().unwrap().to_owned();
    w.attach_documents(&w.sh_lab, &c1).await;
    w.approve_claim(jx, &c1).await;
    w.pay_claim(jx, &c1, "B").await;
    let c2 = w
        .post(
            &w.jx_lab.token,
            "/api/v1/claims",
            json!({"redemption_ids": [r2["id"]], "invoice_no": "REP-2"}),
        )
        .await;
    assert_eq!(c2.status.code, 201);
    let v2_id = v2["id"].as_str().unwrap();
    assert_eq!(w.revoke(jx, v2_id, "r").await.status.code, 200);
    let sv = w
        .voucher(&w.sh_company, &w.sh_regulator, "SH", "10000.00")
        .await;
    let r4 = w
        .hold(&w.sh_company, &sv, &w.sh_lab, "R-4", "10000.00", "5000.00")
        .await
        .body;
    complete(&w, &w.sh_lab, &r4, None).await;
    w.app.assert_invariants().await;

    let summary = w
        .get(&jx.token, "/api/v1/reports/summary?region=JX&year=2026")
        .await;
    assert_eq!(summary.status.code, 200, "{}", summary.text);
    let expected = json!({
        "region": "JX", "year": 2026,
        "appropriated": "1000000.00", "issued": "150000.00", "returned": "40000.00", "unissued": "890000.00",
        "vouchers_issued": 2, "available": "50000.00", "held": "10000.00", "redeemed": "50000.00",
        "claimed": "50000.00", "paid": "30000.00", "payable": "20000.00", "expired": "0.00", "revoked": "40000.00",
        "outstanding": "80000.00", "companies_served": 2, "providers_served": 2,
        "in_transit": "0.00", "bank_returned": "0.00",
    });
    assert_eq!(summary.body, expected);

    // CSV says the same.
    let csv = w
        .get(
            &jx.token,
            "/api/v1/reports/summary?region=JX&year=2026&format=csv",
        )
        .await;
    assert_eq!(csv.content_type.as_deref(), Some("text/csv"));
    let row = &csv_rows(&csv.text)[0];
    for (key, value) in expected.as_object().unwrap() {
        let json_value = value
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| value.to_string());
        assert_eq!(row[key], json_value, "{key}");
    }

    // The cross-region matrix: JX → SH is the pilot.
    let matrix = w
        .get(&w.admin, "/api/v1/reports/cross-region?year=2026")
        .await;
    assert_eq!(matrix.status.code, 200, "{}", matrix.text);
    assert_eq!(
        matrix.body["cells"],
        json!([
            {"issuer_region": "JX", "provider_region": "JX", "completed": "20000.00", "paid": "0.00", "count": 1, "in_transit": "0.00", "bank_returned": "0.00"},
            {"issuer_region": "JX", "provider_region": "SH", "completed": "30000.00", "paid": "30000.00", "count": 1, "in_transit": "0.00", "bank_returned": "0.00"},
            {"issuer_region": "SH", "provider_region": "SH", "completed": "5000.00", "paid": "0.00", "count": 1, "in_transit": "0.00", "bank_returned": "0.00"},
        ])
    );
    let csv = w
        .get(
            &w.admin,
            "/api/v1/reports/cross-region?year=2026&format=csv",
        )
        .await;
    let rows = csv_rows(&csv.text);
    assert_eq!(rows.len(), 3);
    for (row, cell) in rows.iter().zip(matrix.body["cells"].as_array().unwrap()) {
        for key in ["issuer_region", "provider_region", "completed", "paid"] {
            assert_eq!(row[key], cell[key].as_str().unwrap());
        }
        assert_eq!(row["count"], cell["count"].to_string());
    }
    // Regulators see the cells of their region, as issuer or as provider.
    let sh = w
        .get(
            &w.sh_regulator.token,
            "/api/v1/reports/cross-region?year=2026",
        )
        .await;
    let pairs: Vec<(String, String)> = sh.body["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["issuer_region"].as_str().unwrap().into(),
                c["provider_region"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        [("JX".into(), "SH".into()), ("SH".into(), "SH".into())]
    );
    let zj = w
        .get(
            &w.zj_regulator.token,
            "/api/v1/reports/cross-region?year=2026",
        )
        .await;
    assert_eq!(zj.body["cells"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_regulators_of_the_region_and_operators_read_reports() {
    let w = World::new().await;
    w.get(&w.sh_regulator.token, "/api/v1/reports/summary?region=JX")
        .await
        .assert_problem(403, "forbidden");
    for token in [&w.jx_company.token, &w.sh_lab.token] {
        w.get(token, "/api/v1/reports/summary?region=JX")
            .await
            .assert_problem(403, "forbidden");
        w.get(token, "/api/v1/reports/cross-region")
            .await
            .assert_problem(403, "forbidden");
    }
    assert_eq!(
        w.get(&w.admin, "/api/v1/reports/summary?region=JX")
            .await
            .status
            .code,
        200
    );
    let own = w
        .get(&w.jx_regulator.token, "/api/v1/reports/summary")
        .await;
    assert_eq!(own.body["region"], "JX", "{}", own.text);
    assert_eq!(own.body["unissued"], "1000000.00");
    w.get(&w.jx_regulator.token, "/api/v1/reports/summary?year=2030")
        .await
        .assert_problem(404, "not_found");
    w.get(&w.jx_regulator.token, "/api/v1/reports/summary?format=xml")
        .await
        .assert_problem(422, "validation_failed");
}
