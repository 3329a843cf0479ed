//! The checks every region applies, as pure functions of the facts a use case
//! gathers. Region modules call them and add their own.

use crate::domain::fund::{payable_share, DistrictFund};
use crate::domain::text::key;
use crate::domain::{CompanyType, DomainError, Money, Refusal, Region, Rule};

use super::policy::PolicyVersion;
use super::{ApplicationFacts, FundFacts, HoldFacts, LastYearVoucher};
use crate::domain::eligibility::Declared;

/// One side of a contract, as the related-party rule sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Party {
    pub credit_code: Option<String>,
    pub actual_controller: Option<String>,
}

/// Refuses a company applying to a region that does not take its applications.
pub fn applicant_region(
    v: &PolicyVersion,
    region: &Region,
    company_region: &Region,
) -> Result<(), DomainError> {
    if v.applicant_regions.contains(company_region) {
        Ok(())
    } else {
        Err(DomainError::field(
            "region",
            format!("the {region} programme does not take applications from companies of {company_region}"),
        ))
    }
}

/// Refuses a company the programme does not take: its region (policy key
/// `applicant_regions`), what it declared (`sme_registration_required`,
/// `team_housing`, `team_min_core_members`) and its idle vouchers of last
/// year (`idle_voucher_share`), in that order.
pub fn eligible(
    v: &PolicyVersion,
    region: &Region,
    facts: &ApplicationFacts,
) -> Result<(), DomainError> {
    applicant_region(v, region, &facts.company_region)?;
    declared(v, region, facts.company_type, &facts.declared)?;
    not_idle(v, region, &facts.last_year)
}

/// Refuses a company whose declared facts the programme's policy does not
/// accept.
pub fn declared(
    v: &PolicyVersion,
    region: &Region,
    company_type: CompanyType,
    facts: &Declared,
) -> Result<(), DomainError> {
    let refused = |id: &'static str, detail: String| {
        DomainError::refused(Refusal::NotEligible, detail).with_rule(v.rule(id, region))
    };
    match company_type {
        CompanyType::Enterprise => {
            if v.sme_registration_required && facts.sme_registration.is_none() {
                let detail = format!(
                    "the {region} programme takes enterprises registered as S&T SMEs: \
                     declare the registration number"
                );
                return Err(refused("sme_registration_required", detail));
            }
        }
        CompanyType::Team => {
            if !v.team_housing.is_empty()
                && !facts.housed_in.is_some_and(|h| v.team_housing.contains(&h))
            {
                let allowed = joined(&v.team_housing);
                let detail = format!(
                    "the {region} programme takes start-up teams housed in one of {allowed}"
                );
                let said = facts
                    .housed_in
                    .map_or("none declared".into(), |h| h.to_string());
                return Err(
                    DomainError::refused(Refusal::NotEligible, detail).with_rule(
                        v.rule("team_housing", region)
                            .requested(said)
                            .allowed(allowed),
                    ),
                );
            }
            if let Some(least) = v.team_min_core_members {
                let have = facts.core_members.unwrap_or(0);
                if have < least {
                    let detail = format!(
                        "the {region} programme takes start-up teams of at least {least} core \
                         members; {have} declared"
                    );
                    return Err(
                        DomainError::refused(Refusal::NotEligible, detail).with_rule(
                            v.rule("team_min_core_members", region)
                                .limit(least.to_string())
                                .requested(have.to_string()),
                        ),
                    );
                }
            }
        }
    }
    Ok(())
}

/// Refuses a company with a voucher of last year that was more than the
/// policy's share unused when it expired.
pub fn not_idle(
    v: &PolicyVersion,
    region: &Region,
    last_year: &[LastYearVoucher],
) -> Result<(), DomainError> {
    let Some(share) = v.idle_voucher_share else {
        return Ok(());
    };
    let idle = last_year.iter().find(|voucher| {
        rust_decimal::Decimal::from(voucher.unused.fen())
            > share * rust_decimal::Decimal::from(voucher.face_value.fen())
    });
    let Some(idle) = idle else {
        return Ok(());
    };
    let most = idle.face_value.share_floor(share).unwrap_or(Money::ZERO);
    Err(DomainError::refused(
        Refusal::NotEligible,
        format!(
            "voucher {} of last year expired with {} of {} unused, more than {share} of it: \
             the {region} programme issues no voucher to this company this year",
            idle.serial, idle.unused, idle.face_value
        ),
    )
    .with_rule(
        v.rule("idle_voucher_share", region)
            .limit(most)
            .used(idle.unused)
            .share_of(share, idle.face_value),
    ))
}

/// Refuses an admission of a provider from a region the programme does not
/// admit, or for a category it does not fund.
pub fn admission(
    v: &PolicyVersion,
    region: &Region,
    provider_region: &Region,
    categories: &[String],
) -> Result<(), DomainError> {
    if !v.admits_provider_regions.contains(provider_region) {
        return Err(DomainError::refused(
            Refusal::ProviderNotAdmitted,
            format!("the {region} programme does not admit providers of {provider_region}"),
        )
        .with_rule(
            v.rule("admits_provider_regions", region)
                .requested(provider_region.to_string())
                .allowed(joined(&v.admits_provider_regions)),
        ));
    }
    category_eligible(v, region, categories)
}

/// Refuses a category the programme does not fund.
pub fn category_eligible(
    v: &PolicyVersion,
    region: &Region,
    categories: &[String],
) -> Result<(), DomainError> {
    match categories.iter().find(|c| !v.categories.contains(c)) {
        Some(c) => Err(DomainError::refused(
            Refusal::CategoryNotEligible,
            format!("the {region} programme does not fund `{c}`"),
        )
        .with_rule(
            v.rule("categories", region)
                .requested(c.clone())
                .allowed(joined(&v.categories)),
        )),
        None => Ok(()),
    }
}

/// A list as one figure: `SH,ZJ,JX`.
fn joined<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The annual cap for a company type.
pub fn annual_cap(v: &PolicyVersion, company_type: CompanyType) -> Money {
    match company_type {
        CompanyType::Enterprise => v.enterprise_cap,
        CompanyType::Team => v.team_cap,
    }
}

/// Refuses an issuance that would take a holder (summed over its actual
/// controller) above its annual cap. `already` is what was issued this
/// fiscal year to companies of the same controller, net of revocations.
pub fn within_annual_cap(
    v: &PolicyVersion,
    region: &Region,
    company_type: CompanyType,
    already: Money,
    amount: Money,
) -> Result<(), DomainError> {
    let cap = annual_cap(v, company_type);
    let total = already
        .checked_add(amount)
        .unwrap_or(Money::from_fen(i64::MAX));
    if total > cap {
        return Err(DomainError::refused(
            Refusal::AnnualCapExceeded,
            format!(
                "the annual cap for a {} is {cap}; {already} was already issued to this controller this year",
                company_type
            ),
        )
        .with_rule(
            v.rule(
                match company_type {
                    CompanyType::Enterprise => "enterprise_cap",
                    CompanyType::Team => "team_cap",
                },
                region,
            )
            .limit(cap)
            .used(already)
            .requested(amount)
            .allowed(cap.checked_sub(already).unwrap_or_default().max(Money::ZERO)),
        ));
    }
    Ok(())
}

/// Refuses a redemption between related parties: the same actual controller
/// or the same unified social credit code, compared by their keys (one
/// spelling is as good as another).
pub fn not_related(
    v: &PolicyVersion,
    region: &Region,
    company: &Party,
    provider: &Party,
) -> Result<(), DomainError> {
    let same = |a: &Option<String>, b: &Option<String>| match (a, b) {
        (Some(a), Some(b)) => key(a) == key(b),
        _ => false,
    };
    let matched = if same(&company.credit_code, &provider.credit_code) {
        "credit_code"
    } else if same(&company.actual_controller, &provider.actual_controller) {
        "actual_controller"
    } else {
        return Ok(());
    };
    Err(DomainError::refused(
        Refusal::RelatedParty,
        format!("the company and the provider are related parties (same {matched})"),
    )
    .with_rule(v.rule("related_party", region).used(matched.to_owned())))
}

/// The most a voucher (of the district fund `fund`, if any) may pay of a
/// contract: the share, rounded down to the fen.
pub fn max_share(v: &PolicyVersion, fund: Option<&DistrictFund>, contract_amount: Money) -> Money {
    contract_amount
        .share_floor(payable_share(fund, v.contract_share, contract_amount))
        .unwrap_or(Money::ZERO)
}

/// Refuses a voucher part above the share of the contract (the fund's
/// share, when the voucher came from a district's fund).
pub fn within_share(
    v: &PolicyVersion,
    region: &Region,
    fund: Option<&DistrictFund>,
    contract_amount: Money,
    amount: Money,
) -> Result<(), DomainError> {
    let share = payable_share(fund, v.contract_share, contract_amount);
    let max = max_share(v, fund, contract_amount);
    if amount > max {
        let rule = match fund {
            Some(f) if f.contract_share.is_some() => Rule {
                source: Some(f.source.clone()),
                ..Rule::named("fund_contract_share", region)
            },
            _ => v.rule("contract_share", region),
        };
        return Err(DomainError::refused(
            Refusal::ShareExceeded,
            format!("a voucher pays at most {share} of a contract: {max} of {contract_amount}"),
        )
        .with_rule(
            rule.limit(max)
                .requested(amount)
                .allowed(max)
                .share_of(share, contract_amount),
        ));
    }
    Ok(())
}

/// Refuses an application or issuance above a district fund's caps: the
/// cap per request, then the cap per company (over its actual controller)
/// and fiscal year.
pub fn within_fund_caps(region: &Region, f: &FundFacts, amount: Money) -> Result<(), DomainError> {
    within_request_cap(region, &f.district, &f.fund, amount)?;
    let Some(cap) = f.fund.year_cap else {
        return Ok(());
    };
    let total = f
        .already_issued
        .checked_add(amount)
        .unwrap_or(Money::from_fen(i64::MAX));
    if total > cap {
        return Err(DomainError::refused(
            Refusal::AnnualCapExceeded,
            format!(
                "the {} fund ({}) issues at most {cap} a year to one company; {} was already \
                 issued from it to this controller this year",
                f.district, f.fund.name, f.already_issued
            ),
        )
        .with_rule(
            fund_rule("fund_year_cap", region, &f.fund)
                .limit(cap)
                .used(f.already_issued)
                .requested(amount)
                .allowed(
                    cap.checked_sub(f.already_issued)
                        .unwrap_or_default()
                        .max(Money::ZERO),
                ),
        ));
    }
    Ok(())
}

/// Refuses an application above a district fund's cap per request.
fn within_request_cap(
    region: &Region,
    district: &str,
    fund: &DistrictFund,
    amount: Money,
) -> Result<(), DomainError> {
    match fund.request_cap {
        Some(cap) if amount > cap => Err(DomainError::refused(
            Refusal::AnnualCapExceeded,
            format!(
                "the {district} fund ({}) pays at most {cap} a request",
                fund.name
            ),
        )
        .with_rule(
            fund_rule("fund_request_cap", region, fund)
                .limit(cap)
                .requested(amount)
                .allowed(cap),
        )),
        _ => Ok(()),
    }
}

/// The rule `id` of a district's fund, citing the fund's source.
fn fund_rule(id: &'static str, region: &Region, fund: &DistrictFund) -> Rule {
    Rule {
        source: Some(fund.source.clone()),
        ..Rule::named(id, region)
    }
}

/// The checks of a hold every region makes, in order: related party,
/// admission, category, share of the contract.
pub fn hold(v: &PolicyVersion, region: &Region, facts: &HoldFacts) -> Result<(), DomainError> {
    not_related(v, region, &facts.company, &facts.provider)?;
    let Some(admitted) = &facts.admitted else {
        return Err(DomainError::refused(
            Refusal::ProviderNotAdmitted,
            format!("the provider is not admitted to the {region} programme"),
        )
        .with_rule(v.rule("admission", region)));
    };
    category_eligible(v, region, std::slice::from_ref(&facts.category))?;
    if !admitted.contains(&facts.category) {
        return Err(DomainError::refused(
            Refusal::CategoryNotEligible,
            format!(
                "the provider is not admitted to {region} for `{}`",
                facts.category
            ),
        )
        .with_rule(
            v.rule("admitted_categories", region)
                .requested(facts.category.clone())
                .allowed(joined(admitted)),
        ));
    }
    within_share(
        v,
        region,
        facts.fund.as_ref(),
        facts.contract_amount,
        facts.amount,
    )
}
