//! Every rule at, just below and just above its boundary, with the shipped
//! policy files.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::common::Party;
use super::*;
use crate::domain::{CompanyType, DomainError, Money, Refusal, Region};

pub(super) fn registry() -> Registry {
    Registry::load(&["config/regions"]).expect("the shipped policies load")
}

pub(super) fn region(code: &str) -> Region {
    Region::parse(code).unwrap()
}

pub(super) fn yuan(text: &str) -> Money {
    Money::parse_positive(text).unwrap()
}

pub(super) fn refusal(result: Result<(), DomainError>) -> Option<Refusal> {
    match result {
        Ok(()) => None,
        Err(DomainError::Refused(r, ..)) => Some(r),
        Err(other) => panic!("not a refusal: {other:?}"),
    }
}

fn issue(
    rules: &dyn RegionRules,
    year: i32,
    company_type: CompanyType,
    already: &str,
    amount: &str,
) -> Option<Refusal> {
    let already = if already == "0" {
        Money::ZERO
    } else {
        yuan(already)
    };
    let facts = IssuanceFacts {
        company_type,
        already_issued: already,
        amount: yuan(amount),
        fund: None,
    };
    refusal(rules.check_issuance(rules.version(year).unwrap(), &facts))
}

pub(super) fn hold_facts(provider_region: &str, contract: &str, amount: &str) -> HoldFacts {
    HoldFacts {
        company: Party {
            credit_code: Some("91350100M000100Y43".into()),
            actual_controller: Some("张三".into()),
        },
        provider: Party {
            credit_code: Some("91110000600037341L".into()),
            actual_controller: None,
        },
        provider_region: region(provider_region),
        category: "testing".into(),
        admitted: Some(vec!["testing".into()]),
        contract_amount: yuan(contract),
        amount: yuan(amount),
        cross_region: None,
        fund: None,
    }
}

#[test]
fn shanghai_enterprise_cap_switches_between_2025_and_2026() {
    let r = registry();
    let sh = r.get(&region("SH")).unwrap();
    assert_eq!(
        issue(sh, 2026, CompanyType::Enterprise, "0", "300000.00"),
        None
    );
    assert_eq!(
        issue(sh, 2026, CompanyType::Enterprise, "0", "300000.01"),
        Some(Refusal::AnnualCapExceeded)
    );
    assert_eq!(
        issue(sh, 2026, CompanyType::Enterprise, "100000.00", "200000.00"),
        None
    );
    assert_eq!(
        issue(sh, 2026, CompanyType::Enterprise, "100000.00", "200000.01"),
        Some(Refusal::AnnualCapExceeded)
    );
    assert_eq!(
        issue(sh, 2025, CompanyType::Enterprise, "0", "500000.00"),
        None
    );
    assert_eq!(
        issue(sh, 2025, CompanyType::Enterprise, "0", "500000.01"),
        Some(Refusal::AnnualCapExceeded)
    );
    assert_eq!(
        issue(sh, 2018, CompanyType::Enterprise, "0", "500000.00"),
        None
    );
    assert!(sh.version(2017).is_err(), "no policy before 2018");
    assert_eq!(issue(sh, 2026, CompanyType::Team, "0", "100000.00"), None);
    assert_eq!(
        issue(sh, 2026, CompanyType::Team, "99999.99", "0.02"),
        Some(Refusal::AnnualCapExceeded)
    );
}

#[test]
fn zhejiang_and_jiaxing_caps() {
    let r = registry();
    for code in ["ZJ", "JX"] {
        let rules = r.get(&region(code)).unwrap();
        assert_eq!(
            issue(rules, 2026, CompanyType::Enterprise, "0", "200000.00"),
            None,
            "{code}"
        );
        assert_eq!(
            issue(rules, 2026, CompanyType::Enterprise, "0", "200000.01"),
            Some(Refusal::AnnualCapExceeded)
        );
        assert_eq!(issue(rules, 2026, CompanyType::Team, "0", "50000.00"), None);
        assert_eq!(
            issue(rules, 2026, CompanyType::Team, "0", "50000.01"),
            Some(Refusal::AnnualCapExceeded)
        );
    }
}

#[test]
fn a_share_of_exactly_half_passes_and_one_fen_more_fails() {
    let r = registry();
    for code in ["SH", "ZJ", "JX"] {
        let rules = r.get(&region(code)).unwrap();
        let v = rules.version(2026).unwrap();
        let home = if code == "SH" { "SH" } else { code };
        assert_eq!(
            refusal(rules.check_hold(v, &hold_facts(home, "1000.00", "500.00"))),
            None,
            "{code}"
        );
        assert_eq!(
            refusal(rules.check_hold(v, &hold_facts(home, "1000.00", "500.01"))),
            Some(Refusal::ShareExceeded)
        );
        // Rounded down to the fen: half of 333.33 is 166.665 → 166.66.
        assert_eq!(
            refusal(rules.check_hold(v, &hold_facts(home, "333.33", "166.66"))),
            None
        );
        assert_eq!(
            refusal(rules.check_hold(v, &hold_facts(home, "333.33", "166.67"))),
            Some(Refusal::ShareExceeded)
        );
    }
}

#[test]
fn related_parties_are_refused() {
    let r = registry();
    let sh = r.get(&region("SH")).unwrap();
    let v = sh.version(2026).unwrap();
    let mut same_controller = hold_facts("SH", "1000.00", "100.00");
    same_controller.provider.actual_controller = Some(" 张三 ".into());
    assert_eq!(
        refusal(sh.check_hold(v, &same_controller)),
        Some(Refusal::RelatedParty)
    );
    let mut same_code = hold_facts("SH", "1000.00", "100.00");
    same_code.provider.credit_code = same_code.company.credit_code.clone();
    assert_eq!(
        refusal(sh.check_hold(v, &same_code)),
        Some(Refusal::RelatedParty)
    );
    assert_eq!(
        refusal(sh.check_hold(v, &hold_facts("SH", "1000.00", "100.00"))),
        None
    );
}

#[test]
fn admission_and_categories() {
    let r = registry();
    let categories = |list: &[&str]| list.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    let admit = |code: &str, provider: &str, cats: &[&str]| {
        let rules = r.get(&region(code)).unwrap();
        refusal(rules.check_admission(
            rules.version(2026).unwrap(),
            &region(provider),
            &categories(cats),
        ))
    };
    assert_eq!(admit("SH", "SH", &["ip", "incubation"]), None);
    assert_eq!(
        admit("SH", "JX", &["testing"]),
        Some(Refusal::ProviderNotAdmitted)
    );
    assert_eq!(
        admit("SH", "ZJ", &["testing"]),
        Some(Refusal::ProviderNotAdmitted)
    );
    assert_eq!(admit("ZJ", "JX", &["testing"]), None);
    assert_eq!(
        admit("ZJ", "SH", &["testing"]),
        Some(Refusal::ProviderNotAdmitted)
    );
    assert_eq!(
        admit("ZJ", "ZJ", &["ip"]),
        Some(Refusal::CategoryNotEligible)
    );
    // The Jiaxing pilot funds large instruments and testing services only.
    assert_eq!(admit("JX", "SH", &["testing"]), None);
    assert_eq!(
        admit("JX", "SH", &["rnd"]),
        Some(Refusal::CategoryNotEligible)
    );

    let jx = r.get(&region("JX")).unwrap();
    let v = jx.version(2026).unwrap();
    let mut not_admitted = hold_facts("SH", "1000.00", "100.00");
    not_admitted.admitted = None;
    assert_eq!(
        refusal(jx.check_hold(v, &not_admitted)),
        Some(Refusal::ProviderNotAdmitted)
    );
    let mut other_category = hold_facts("SH", "1000.00", "100.00");
    other_category.category = "rnd".into();
    assert_eq!(
        refusal(jx.check_hold(v, &other_category)),
        Some(Refusal::CategoryNotEligible)
    );
    let mut unfunded = hold_facts("SH", "1000.00", "100.00");
    unfunded.category = "ip".into();
    unfunded.admitted = Some(vec!["ip".into()]);
    assert_eq!(
        refusal(jx.check_hold(v, &unfunded)),
        Some(Refusal::CategoryNotEligible)
    );
}

#[test]
fn who_may_apply() {
    let r = registry();
    let apply = |code: &str, company: &str| {
        let rules = r.get(&region(code)).unwrap();
        let facts = ApplicationFacts {
            company_region: region(company),
            company_type: CompanyType::Enterprise,
            declared: crate::domain::eligibility::Declared {
                sme_registration: Some("20263101150000001".into()),
                ..Default::default()
            },
            last_year: Vec::new(),
        };
        rules
            .check_application(rules.version(2026).unwrap(), &facts)
            .is_ok()
    };
    assert!(apply("SH", "SH"));
    assert!(!apply("SH", "JX"));
    assert!(apply("ZJ", "JX"));
    assert!(apply("JX", "JX"));
    assert!(!apply("JX", "ZJ"));
}

#[test]
fn jiaxing_caps_spending_outside_jiaxing() {
    let r = registry();
    let jx = r.get(&region("JX")).unwrap();
    let v = jx.version(2026).unwrap();
    assert_eq!(
        v.cross_region_budget_share,
        Some(Decimal::from_str("0.30").unwrap())
    );
    assert!(jx.needs_cross_region_facts(&region("SH")));
    assert!(!jx.needs_cross_region_facts(&region("JX")));
    let with = |committed: &str, amount: &str, provider: &str| {
        let mut facts = hold_facts(provider, "10000000.00", amount);
        facts.cross_region = Some(CrossRegionFacts {
            appropriated: yuan("1000000.00"),
            committed_outside: if committed == "0" {
                Money::ZERO
            } else {
                yuan(committed)
            },
        });
        refusal(jx.check_hold(v, &facts))
    };
    assert_eq!(with("200000.00", "100000.00", "SH"), None);
    assert_eq!(
        with("200000.00", "100000.01", "SH"),
        Some(Refusal::CrossRegionBudgetExceeded)
    );
    assert_eq!(with("0", "300000.00", "ZJ"), None);
    assert_eq!(
        with("0", "300000.01", "ZJ"),
        Some(Refusal::CrossRegionBudgetExceeded)
    );
    assert_eq!(
        with("300000.00", "1000.00", "JX"),
        None,
        "spending in Jiaxing is not capped"
    );
    let sh = r.get(&region("SH")).unwrap();
    assert!(!sh.needs_cross_region_facts(&region("JX")));
}

#[test]
fn deadlines_come_from_the_policy() {
    let r = registry();
    let d = r
        .get(&region("SH"))
        .unwrap()
        .version(2026)
        .unwrap()
        .deadlines(2026);
    assert_eq!(d.use_until.to_string(), "2026-12-31");
    assert_eq!(d.claim_until.to_string(), "2027-03-31");
}

#[test]
fn a_fourth_region_is_a_file() {
    let r = Registry::load(&["config/regions", "tests/regions"]).unwrap();
    let ah = r.get(&region("AH")).unwrap();
    assert_eq!(ah.policy().rules, RulesModule::Standard);
    let v = ah.version(2026).unwrap();
    assert_eq!(
        issue(ah, 2026, CompanyType::Enterprise, "0", "150000.00"),
        None
    );
    assert_eq!(
        issue(ah, 2026, CompanyType::Enterprise, "0", "150000.01"),
        Some(Refusal::AnnualCapExceeded)
    );
    assert_eq!(
        refusal(ah.check_hold(v, &hold_facts("SH", "1000.00", "400.00"))),
        None
    );
    assert_eq!(
        refusal(ah.check_hold(v, &hold_facts("SH", "1000.00", "400.01"))),
        Some(Refusal::ShareExceeded)
    );
    let d = v.deadlines(2027);
    assert_eq!(
        (d.use_until.to_string(), d.claim_until.to_string()),
        ("2027-11-30".into(), "2028-02-28".into())
    );
}

/// Writes a policy file into a fresh directory and loads it with the shipped ones.
fn load_with(text: &str) -> Result<Registry, PolicyError> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("xx.toml"), text).unwrap();
    Registry::load(&[
        std::path::PathBuf::from("config/regions"),
        dir.path().to_path_buf(),
    ])
}

const GOOD: &str = r#"
region = "XX"
name = "test"
[[versions]]
effective_from = "2020-01-01"
enterprise_cap = "1000.00"
team_cap = "500.00"
contract_share = "0.50"
categories = ["testing"]
applicant_regions = ["XX"]
admits_provider_regions = ["XX", "SH"]
use_deadline = "12-31"
claim_deadline = "03-31"
settlement_cycle = "monthly"
source = "test data"
"#;

#[test]
fn an_invalid_policy_file_names_the_file_and_the_key() {
    assert!(load_with(GOOD).is_ok());
    for (from, to, key) in [
        (
            "contract_share = \"0.50\"",
            "contract_share = \"1.5\"",
            "versions[0].contract_share",
        ),
        (
            "enterprise_cap = \"1000.00\"",
            "enterprise_cap = \"1000.001\"",
            "versions[0].enterprise_cap",
        ),
        (
            "categories = [\"testing\"]",
            "categories = [\"cooking\"]",
            "versions[0].categories",
        ),
        (
            "use_deadline = \"12-31\"",
            "use_deadline = \"13-01\"",
            "versions[0].use_deadline",
        ),
        (
            "effective_from = \"2020-01-01\"",
            "effective_from = \"2020-13-01\"",
            "versions[0].effective_from",
        ),
        (
            "admits_provider_regions = [\"XX\", \"SH\"]",
            "admits_provider_regions = [\"XX\", \"QQ\"]",
            "versions[0].admits_provider_regions",
        ),
        (
            "name = \"test\"",
            "name = \"test\"\nrules = \"mars\"",
            "rules",
        ),
        (
            "settlement_cycle = \"monthly\"",
            "settlement_cycle = \"monthly\"\ncross_region_budget_share = \"0.3\"",
            "versions[0].cross_region_budget_share",
        ),
        (
            "settlement_cycle = \"monthly\"",
            "settlement_cycle = \"weekly\"",
            "versions.0.settlement_cycle",
        ),
        (
            "team_cap = \"500.00\"",
            "team_cap = \"500.00\"\nbonus = 1",
            "versions.0.bonus",
        ),
        ("region = \"XX\"", "region = \"SH\"", "region"),
    ] {
        let text = GOOD.replace(from, to);
        assert_ne!(text, GOOD);
        let err = load_with(&text).expect_err(to);
        assert!(
            err.file.ends_with("xx.toml") || err.key == "region",
            "{err}"
        );
        assert!(
            err.key.starts_with(key.split('.').next().unwrap()),
            "{to}: {err}"
        );
        assert!(
            err.key.contains(key.rsplit('.').next().unwrap()),
            "{to}: {err}"
        );
    }
    // Two versions that overlap.
    let overlapping = format!(
        "{GOOD}\n{}",
        GOOD.split("[[versions]]")
            .nth(1)
            .map(|v| format!("[[versions]]{v}"))
            .unwrap()
    );
    let err = load_with(&overlapping).unwrap_err();
    assert_eq!(err.key, "versions[1].effective_from", "{err}");
}
