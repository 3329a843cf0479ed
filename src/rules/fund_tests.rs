//! A district's fund (Yuhuan's, as shipped): its caps per request and per
//! company a year, and contracts under its threshold paid in full.

use super::tests::{hold_facts, refusal, region, registry, yuan};
use super::*;
use crate::domain::{CompanyType, Money, Refusal};

#[test]
fn a_district_fund_caps_its_vouchers_and_covers_small_contracts_in_full() {
    let registry = registry();
    let zj = registry.get(&region("ZJ")).unwrap();
    let v = zj.version(2026).unwrap();
    let fund = zj
        .policy()
        .fund_of("YH")
        .expect("Yuhuan runs a fund")
        .clone();
    assert!(zj.policy().fund_of("HZ").is_none());
    let from_fund = |already: &str, amount: &str| {
        let facts = IssuanceFacts {
            company_type: CompanyType::Enterprise,
            already_issued: Money::ZERO,
            amount: yuan(amount),
            fund: Some(FundFacts {
                district: "YH".into(),
                fund: fund.clone(),
                already_issued: if already == "0" {
                    Money::ZERO
                } else {
                    yuan(already)
                },
            }),
        };
        zj.check_issuance(v, &facts)
    };
    assert_eq!(refusal(from_fund("0", "20000.00")), None);
    let over = from_fund("0", "20000.01").unwrap_err();
    assert_eq!(over.rule().unwrap().id, "fund_request_cap");
    assert_eq!(refusal(from_fund("80000.00", "20000.00")), None);
    let year = from_fund("80000.01", "20000.00").unwrap_err();
    assert_eq!(year.rule().unwrap().id, "fund_year_cap");
    assert_eq!(
        refusal(Err(year)),
        Some(Refusal::AnnualCapExceeded),
        "a fund's caps refuse as a cap"
    );
    let hold = |contract: &str, amount: &str| HoldFacts {
        fund: Some(fund.clone()),
        ..hold_facts("ZJ", contract, amount)
    };
    // Below 10,000 in full; from 10,000 the province's half.
    assert_eq!(refusal(zj.check_hold(v, &hold("9999.99", "9999.99"))), None);
    assert_eq!(
        refusal(zj.check_hold(v, &hold("10000.00", "5000.01"))),
        Some(Refusal::ShareExceeded)
    );
    assert_eq!(
        refusal(zj.check_hold(v, &hold("10000.00", "5000.00"))),
        None
    );
    // The region's own vouchers keep the region's share.
    assert_eq!(
        refusal(zj.check_hold(v, &hold_facts("ZJ", "9999.99", "5000.00"))),
        Some(Refusal::ShareExceeded)
    );
}
