use super::*;
use crate::rules::Registry;

fn at(minute: u32) -> DateTime<Utc> {
    use chrono::TimeZone;
    Utc.with_ymd_and_hms(2026, 3, 2, 2, minute, 0).unwrap()
}

fn yuan(fen: i64) -> Money {
    Money::from_fen(fen * 100)
}

/// Two companies of one controller; the first's voucher is revoked
/// before the second applies: under a draft cap of 100,000.00 the
/// revocation makes room again, so only the first approval is reduced.
#[test]
fn a_revocation_under_the_draft_frees_the_controllers_cap() {
    let registry = Registry::builtin().unwrap();
    let jx = Region::parse("JX").unwrap();
    let rules = registry.get(&jx).unwrap();
    let mut draft = rules.version(2026).unwrap().clone();
    draft.enterprise_cap = yuan(100_000);
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let company = |_| Company {
        company_type: CompanyType::Enterprise,
        region: jx.clone(),
        cap_group: "controller:zhang san".into(),
        last_year: Vec::new(),
    };
    let companies: HashMap<Uuid, Company> = [(a, company(a)), (b, company(b))].into();
    let (va, vb) = (Uuid::now_v7(), Uuid::now_v7());
    let issued = |company, voucher, amount| Step::Issued {
        application: Uuid::now_v7(),
        voucher,
        company,
        amount,
        declared: Declared::default(),
        fund: None,
    };
    let steps = vec![
        (at(0), issued(a, va, yuan(150_000))),
        (at(1), Step::Revoked { voucher: va }),
        (at(2), issued(b, vb, yuan(80_000))),
    ];
    let outcome = replay(rules, &draft, 2026, yuan(1_000_000), &companies, steps);
    assert_eq!(outcome.differences.len(), 1, "{outcome:?}");
    let d = &outcome.differences[0];
    assert_eq!(
        (d.rule, d.actual, d.draft),
        ("enterprise_cap", yuan(150_000), yuan(100_000))
    );
    assert_eq!(outcome.issued_draft, yuan(180_000));
    // Under the policy in force, nothing differs.
    let unchanged = rules.version(2026).unwrap();
    let steps = vec![
        (at(0), issued(a, va, yuan(150_000))),
        (at(1), Step::Revoked { voucher: va }),
        (at(2), issued(b, vb, yuan(50_000))),
    ];
    let outcome = replay(rules, unchanged, 2026, yuan(1_000_000), &companies, steps);
    assert!(outcome.differences.is_empty(), "{outcome:?}");
}
