//! A claim's four evidence documents: uploaded by its provider as files
//! whose type is read from the content (PDF, JPEG, PNG, OFD; ≤ 10 MiB),
//! stored once by SHA-256, the hash in the audit event; the regulator
//! deciding the claim lists and downloads them byte for byte; a file that
//! fails the checks is refused with the reason and nothing is kept.

use crate::helpers::new_key;
use crate::world::World;

use voucher_ledger::domain::evidence::samples::{ofd, zip_of, JPEG, PDF, PNG};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_carries_its_four_documents_checked_by_content() {
    let w = World::new().await;
    let voucher = w
        .voucher(&w.jx_company, &w.jx_regulator, "JX", "10000.00")
        .await;
    let held = w
        .hold(
            &w.jx_company,
            &voucher,
            &w.sh_lab,
            "E-1",
            "4000.00",
            "2000.00",
        )
        .await;
    let held = held.body["id"].as_str().unwrap().to_owned();
    assert_eq!(w.complete(&w.sh_lab, &held, None).await.status.code, 200);
    let claim = w.claim_bare(&w.sh_lab, &[&held], "E-INV-1").await;
    let claim = claim.body["id"].as_str().unwrap().to_owned();
    // The name percent-encoded, as a client sends a query.
    let encoded = |name: &str| -> String {
        name.bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'_' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    let path = |kind: &str, name: &str| {
        format!(
            "/api/v1/claims/{claim}/documents?kind={kind}&name={}",
            encoded(name)
        )
    };
    let upload = |token: String, kind: &str, name: &str, bytes: Vec<u8>| {
        let path = path(kind, name);
        let app = &w.app;
        async move { app.upload(&path, &token, &new_key(), &bytes).await }
    };
    let lab = w.sh_lab.token.clone();

    // Refused, with the reason, and nothing kept: text named .pdf, a ZIP
    // that is not OFD, an empty file, an unknown kind, over 10 MiB.
    let before = (
        w.app.count("documents").await,
        w.app.count("claim_documents").await,
    );
    let text = upload(
        lab.clone(),
        "invoice",
        "invoice.pdf",
        b"not a pdf at all".to_vec(),
    )
    .await;
    text.assert_problem(422, "validation_failed");
    assert!(text.text.contains("read from the content"), "{}", text.text);
    let zip = upload(
        lab.clone(),
        "contract",
        "c.ofd",
        zip_of("word/document.xml", b"<w/>"),
    )
    .await;
    assert!(zip.text.contains("OFD.xml"), "{}", zip.text);
    upload(lab.clone(), "contract", "c.pdf", Vec::new())
        .await
        .assert_problem(422, "validation_failed");
    upload(lab.clone(), "photo", "c.pdf", PDF.to_vec())
        .await
        .assert_problem(422, "validation_failed");
    let huge = [PDF, &vec![b' '; 10 * 1024 * 1024]].concat();
    upload(lab.clone(), "contract", "big.pdf", huge)
        .await
        .assert_problem(413, "payload_too_large");
    // Not the claim's provider: not found; not a provider: forbidden.
    upload(w.jx_lab.token.clone(), "contract", "c.pdf", PDF.to_vec())
        .await
        .assert_problem(404, "not_found");
    upload(
        w.jx_company.token.clone(),
        "contract",
        "c.pdf",
        PDF.to_vec(),
    )
    .await
    .assert_problem(403, "forbidden");
    let after = (
        w.app.count("documents").await,
        w.app.count("claim_documents").await,
    );
    assert_eq!(before, after, "nothing kept");

    // Without its documents the claim is not approved; the refusal names
    // what is missing and the policy's rule.
    let early = w.approve_claim(&w.jx_regulator, &claim).await;
    early.assert_problem(409, "invalid_state");
    assert_eq!(
        early.body["rule"]["id"], "claim_documents",
        "{}",
        early.text
    );
    assert_eq!(
        early.body["rule"]["requested"],
        "contract,invoice,own_share_payment,service_report"
    );

    // The four documents, each of a type read from its content.
    let ofd = ofd();
    let files = [
        ("contract", "合同.pdf", PDF.to_vec(), "application/pdf"),
        ("invoice", "发票.ofd", ofd, "application/ofd"),
        (
            "own_share_payment",
            "付款回单.jpg",
            JPEG.to_vec(),
            "image/jpeg",
        ),
        ("service_report", "report.png", PNG.to_vec(), "image/png"),
    ];
    for (i, (kind, name, bytes, media)) in files.iter().enumerate() {
        if i == 3 {
            // Three of four: still refused, naming the fourth.
            let short = w.approve_claim(&w.jx_regulator, &claim).await;
            short.assert_problem(409, "invalid_state");
            assert_eq!(short.body["rule"]["requested"], "service_report");
        }
        let sent = upload(lab.clone(), kind, name, bytes.clone()).await;
        assert_eq!(sent.status.code, 201, "{}", sent.text);
        assert_eq!(sent.body["media_type"], *media);
        assert_eq!(sent.body["file_name"], *name);
    }
    // The same new content as two kinds at once: stored once, both kept.
    let stored = w.app.count("documents").await;
    let same = [PDF, b"%both\n"].concat();
    let (a, b) = tokio::join!(
        upload(lab.clone(), "invoice", "a.pdf", same.clone()),
        upload(lab.clone(), "service_report", "b.pdf", same.clone()),
    );
    assert_eq!(
        (a.status.code, b.status.code),
        (201, 201),
        "{} {}",
        a.text,
        b.text
    );
    assert_eq!(w.app.count("documents").await, stored + 1);
    let (invoice, report) = (files[1].2.clone(), files[3].2.clone());
    for (kind, name, bytes) in [
        ("invoice", "发票.ofd", invoice),
        ("service_report", "report.png", report),
    ] {
        let back = upload(lab.clone(), kind, name, bytes).await;
        assert_eq!(back.status.code, 201, "{}", back.text);
    }
    // A second contract replaces the first.
    let replaced = upload(
        lab.clone(),
        "contract",
        "合同-签章版.pdf",
        [PDF, b"%signed\n"].concat(),
    )
    .await;
    assert_eq!(replaced.status.code, 201, "{}", replaced.text);

    // The regulator deciding the claim lists and downloads them, byte for
    // byte, the SHA-256 as listed.
    let listed = w
        .get(
            &w.jx_regulator.token,
            &format!("/api/v1/claims/{claim}/documents"),
        )
        .await;
    let listed = listed.body.as_array().unwrap().clone();
    assert_eq!(listed.len(), 4, "{listed:?}");
    for doc in &listed {
        let kind = doc["kind"].as_str().unwrap();
        let (status, sha, bytes) = w
            .app
            .download(
                &format!("/api/v1/claims/{claim}/documents/{kind}"),
                &w.jx_regulator.token,
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(sha.as_deref(), doc["sha256"].as_str());
        let expected = match kind {
            "contract" => [PDF, b"%signed\n"].concat(),
            _ => files.iter().find(|f| f.0 == kind).unwrap().2.clone(),
        };
        assert_eq!(bytes, expected, "{kind}");
    }
    // Another region's regulator and another provider do not see them.
    w.get(
        &w.sh_regulator.token,
        &format!("/api/v1/claims/{claim}/documents"),
    )
    .await
    .assert_problem(404, "not_found");
    let (status, _, _) = w
        .app
        .download(
            &format!("/api/v1/claims/{claim}/documents/invoice"),
            &w.jx_lab.token,
        )
        .await;
    assert_eq!(status, 404);
    // Each upload's hash is in the audit trail.
    let audit = w
        .get(
            &w.app.administrator(w.jx_regulator.id).await,
            "/api/v1/audit/events?region=JX&action=claim.document",
        )
        .await;
    let events = audit.body["items"].as_array().unwrap();
    assert_eq!(events.len(), 9, "{}", audit.text);
    assert!(events
        .iter()
        .any(|e| e["payload"]["sha256"] == listed[0]["sha256"]));

    // Decided: the documents no longer change.
    assert_eq!(
        w.approve_claim(&w.jx_regulator, &claim).await.status.code,
        200
    );
    upload(lab, "contract", "late.pdf", PDF.to_vec())
        .await
        .assert_problem(409, "invalid_state");
    w.app.assert_invariants().await;
}
