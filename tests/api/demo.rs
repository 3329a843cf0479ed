//! `demo`: a realistic year in an empty database, through the service.

use std::collections::BTreeSet;

use rocket::figment::providers::Serialized;
use sea_orm::{ConnectionTrait, Statement};
use voucher_ledger::config::{self, Config};
use voucher_ledger::demo::{self, DemoError};
use voucher_ledger::domain::Region;

use crate::helpers::{TestApp, SECRET};

/// The distinct values of one column.
async fn values(app: &TestApp, sql: &str) -> BTreeSet<String> {
    let db = app.db.reader();
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_fills_an_empty_database_once_and_everything_verifies() {
    let app = TestApp::spawn().await;
    let figment = config::figment(std::path::Path::new("config"))
        .merge(Serialized::global("database_url", &app.database_url))
        .merge(Serialized::global("jwt_secret", SECRET));
    let service = Config::from_figment(figment)
        .unwrap()
        .service(app.db.clone());

    let printed = demo::fill(&service).await.unwrap();
    for access in [
        &printed.operator,
        &printed.regulator,
        &printed.company,
        &printed.provider,
    ] {
        assert!(access.password.len() >= 12 && access.client_id.starts_with("vl_"));
    }
    assert_eq!(printed.company.organization, "嘉兴光子科技有限公司");

    // Every state of vouchers, redemptions, claims and applications.
    let states = values(&app, "SELECT DISTINCT state FROM vouchers").await;
    assert!(
        ["active", "expired", "revoked"]
            .iter()
            .all(|s| states.contains(*s)),
        "{states:?}"
    );
    let used_up = values(
        &app,
        "SELECT v.serial FROM vouchers v JOIN accounts a ON a.owner_id = v.id AND a.kind = 'voucher' \
         JOIN accounts h ON h.owner_id = v.id AND h.kind = 'hold' \
         WHERE v.state = 'active' AND a.balance = 0 AND h.balance = 0",
    )
    .await;
    assert_eq!(used_up.len(), 1, "the start-up team's voucher is used up");
    let redemptions = values(&app, "SELECT DISTINCT status FROM redemptions").await;
    assert_eq!(
        redemptions,
        ["cancelled", "completed", "held"].map(String::from).into()
    );
    let claims = values(&app, "SELECT DISTINCT status FROM claims").await;
    assert_eq!(
        claims,
        ["paid", "rejected", "submitted"].map(String::from).into()
    );
    let applications = values(&app, "SELECT DISTINCT status FROM applications").await;
    assert_eq!(
        applications,
        ["approved", "rejected", "submitted"]
            .map(String::from)
            .into()
    );
    // Zhejiang's two levels: waiting for the city, and recommended for
    // less (with the reason) waiting for the province.
    let waiting = values(
        &app,
        "SELECT level || ':' || COALESCE(CAST(recommended AS TEXT), '-') || ':' || \
         COALESCE(review_reason, '-') FROM applications \
         WHERE region = 'ZJ' AND status = 'submitted'",
    )
    .await;
    assert_eq!(
        waiting,
        ["district:-:-", "region:4000000:其中两项检测不属于资助范围"]
            .map(String::from)
            .into()
    );
    // Yuhuan's city fund: its budget, and a voucher issued from it.
    let funded = values(
        &app,
        "SELECT f.fund || ':' || CAST(f.appropriated AS TEXT) || ':' || CAST(f.issued AS TEXT) \
         FROM fund_budgets f WHERE f.region = 'ZJ'",
    )
    .await;
    assert_eq!(funded, ["YH:50000000:2000000".to_owned()].into());
    let from_fund = values(&app, "SELECT fund FROM vouchers WHERE fund IS NOT NULL").await;
    assert_eq!(from_fund, ["YH".to_owned()].into());
    // A Shanghai admission under public notice, with an open objection.
    let noticed = values(
        &app,
        "SELECT n.kind || ':' || n.status || ':' || o.status FROM notices n \
         JOIN objections o ON o.notice_id = n.id WHERE n.region = 'SH'",
    )
    .await;
    assert_eq!(noticed, ["admission:open:open".to_owned()].into());
    // A Hangzhou lab's admission, recommended in part, waits for the province.
    let asked = values(
        &app,
        "SELECT district || ':' || level || ':' || status || ':' || recommended \
         FROM admission_requests",
    )
    .await;
    assert_eq!(asked, ["HZ:region:pending:testing".to_owned()].into());
    // The pilot: Jiaxing vouchers paid at a Shanghai provider.
    let cross = values(
        &app,
        "SELECT r.provider_region FROM redemptions r WHERE r.region = 'JX' AND r.provider_region = 'SH'",
    )
    .await;
    assert!(!cross.is_empty());
    // Services rated, one as a complaint; a Zhejiang voucher of last year
    // expired mostly unused (its company is refused Zhejiang's this year).
    let ratings = values(
        &app,
        "SELECT CAST(score AS TEXT) FROM ratings WHERE complaint",
    )
    .await;
    assert_eq!(ratings, ["2".to_owned()].into(), "the complaint");
    let ratings = values(&app, "SELECT CAST(score AS TEXT) FROM ratings").await;
    assert_eq!(ratings, ["2", "5"].map(String::from).into());
    let idle = values(
        &app,
        "SELECT serial FROM vouchers WHERE region = 'ZJ' AND expired * 2 > face_value",
    )
    .await;
    assert_eq!(idle.len(), 1, "{idle:?}");
    let kinds = values(&app, "SELECT kind FROM claim_documents").await;
    assert_eq!(kinds.len(), 4, "a claim with its four documents: {kinds:?}");

    // Every chain verifies; every invariant holds.
    for region in ["SH", "ZJ", "JX"] {
        let region = Region::parse(region).unwrap();
        let verification = voucher_ledger::audit::verify(&app.db, &region)
            .await
            .unwrap();
        assert!(verification.ok, "{verification:?}");
        assert!(verification.events_checked > 5);
        // …and its export verifies offline, with both verifiers, to the same head.
        use voucher_ledger::audit::export::{next_lines, Format};
        let mut filter = voucher_ledger::audit::EventFilter::of(region.clone());
        let mut trail = String::new();
        loop {
            let lines = next_lines(app.db.reader(), &mut filter, Format::JsonLines, 500)
                .await
                .unwrap();
            if lines.is_empty() {
                break;
            }
            trail.extend(lines);
        }
        let head = format!("head {} {}", verification.head_seq, verification.head_hash);
        assert_eq!(crate::audit::agreed_verdict(&trail), (Some(0), head));
    }
    app.assert_invariants().await;

    // A second run refuses and changes nothing.
    let before = app.every_row().await;
    let again = demo::fill(&service).await;
    assert!(matches!(again, Err(DemoError::NotEmpty(17))), "{again:?}");
    assert_eq!(app.every_row().await, before);
}
