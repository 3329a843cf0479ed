//! Who may apply, beyond the region: declared facts and idle vouchers, with
//! the shipped policies; and every shipped figure's source.

use super::*;
use crate::domain::eligibility::{Declared, Housing};
use crate::domain::{CompanyType, DomainError, Money, Refusal, Region};

fn registry() -> Registry {
    Registry::load(&["config/regions"]).expect("the shipped policies load")
}

fn facts(code: &str, company_type: CompanyType, declared: Declared) -> ApplicationFacts {
    ApplicationFacts {
        company_region: Region::parse(code).unwrap(),
        company_type,
        declared,
        last_year: Vec::new(),
    }
}

/// The rule id of a `not_eligible` refusal, or None when it passes.
fn refused_by(rules: &dyn RegionRules, facts: &ApplicationFacts) -> Option<&'static str> {
    match rules.check_application(rules.version(2026).unwrap(), facts) {
        Ok(()) => None,
        Err(DomainError::Refused(Refusal::NotEligible, _, Some(rule))) => Some(rule.id),
        Err(other) => panic!("not an eligibility refusal: {other:?}"),
    }
}

#[test]
fn shanghai_takes_registered_smes_and_housed_teams_of_three() {
    let r = registry();
    let sh = r.get(&Region::parse("SH").unwrap()).unwrap();
    let enterprise = |sme: Option<&str>| {
        let declared = Declared {
            sme_registration: sme.map(str::to_owned),
            ..Declared::default()
        };
        refused_by(sh, &facts("SH", CompanyType::Enterprise, declared))
    };
    assert_eq!(enterprise(None), Some("sme_registration_required"));
    assert_eq!(enterprise(Some("20263101150000001")), None);
    let team = |housed_in: Option<Housing>, members: Option<u32>| {
        let declared = Declared {
            housed_in,
            core_members: members,
            ..Declared::default()
        };
        refused_by(sh, &facts("SH", CompanyType::Team, declared))
    };
    assert_eq!(team(None, Some(5)), Some("team_housing"));
    assert_eq!(
        team(Some(Housing::MakerSpace), Some(2)),
        Some("team_min_core_members")
    );
    assert_eq!(
        team(Some(Housing::MakerSpace), None),
        Some("team_min_core_members")
    );
    assert_eq!(team(Some(Housing::UniversitySciencePark), Some(3)), None);
    // Jiaxing asks for none of it.
    let jx = r.get(&Region::parse("JX").unwrap()).unwrap();
    assert_eq!(
        refused_by(jx, &facts("JX", CompanyType::Team, Declared::default())),
        None
    );
}

#[test]
fn a_voucher_more_than_half_unused_at_expiry_bars_the_company() {
    let r = registry();
    let zj = r.get(&Region::parse("ZJ").unwrap()).unwrap();
    let with_unused = |unused: i64| {
        let mut f = facts("ZJ", CompanyType::Enterprise, Declared::default());
        f.last_year = vec![LastYearVoucher {
            serial: "ZJ-2025-000001".into(),
            face_value: Money::from_fen(1_000_000),
            unused: Money::from_fen(unused),
        }];
        f
    };
    // Exactly half unused passes; one fen more is refused.
    assert_eq!(refused_by(zj, &with_unused(500_000)), None);
    let refused = zj
        .check_application(zj.version(2026).unwrap(), &with_unused(500_001))
        .unwrap_err();
    let rule = refused.rule().unwrap();
    assert_eq!(rule.id, "idle_voucher_share");
    assert_eq!(rule.limit, Some(Money::from_fen(500_000).into()));
    assert_eq!(rule.used, Some(Money::from_fen(500_001).into()));
    assert!(
        rule.source.as_deref().unwrap().starts_with("illustrative"),
        "{rule:?}"
    );
    // Shanghai has no such rule.
    let sh = r.get(&Region::parse("SH").unwrap()).unwrap();
    let mut f = with_unused(900_000);
    f.company_region = Region::parse("SH").unwrap();
    f.declared.sme_registration = Some("20263101150000001".into());
    assert_eq!(refused_by(sh, &f), None);
}

#[test]
fn every_shipped_figure_has_a_source_and_the_unsourced_are_marked() {
    let r = registry();
    for region in r.regions() {
        for v in &r.get(&region).unwrap().policy().versions {
            assert_eq!(v.unsourced(), None, "{region} {}", v.effective_from);
        }
    }
    let sh = r.get(&Region::parse("SH").unwrap()).unwrap();
    let v2026 = sh.version(2026).unwrap();
    assert!(
        v2026.illustrative("enterprise_cap"),
        "300,000 has no source"
    );
    assert!(!v2026.illustrative("team_cap"));
    assert!(!sh.version(2025).unwrap().illustrative("enterprise_cap"));
    let jx = r.get(&Region::parse("JX").unwrap()).unwrap();
    assert_eq!(jx.version(2017).unwrap().categories, ["testing"]);
}

#[test]
fn a_policy_file_without_a_figures_source_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("tests/regions/ah.toml")
        .unwrap()
        .replace("source = \"test data\"\n", "")
        + "\n[versions.sources]\nenterprise_cap = \"illustrative\"\n";
    std::fs::write(dir.path().join("ah.toml"), text).unwrap();
    let mut dirs = vec![dir.path().to_path_buf()];
    dirs.push("config/regions".into());
    let err = Registry::load(&dirs).unwrap_err();
    assert_eq!(err.key, "versions[0].sources", "{err}");
    assert!(err.message.contains("`team_cap` has no source"), "{err}");
}
