//! Region rules: one module per issuing region where its logic differs, the
//! checks every region shares in [`common`], and the numbers in versioned
//! policy files (`config/regions/*.toml`, see [`policy`]).
//!
//! A use case gathers the facts (who, how much, what was issued before) and
//! asks the region's [`RegionRules`]; the rules decide, without touching the
//! database.

pub mod common;
pub mod jiaxing;
pub mod policy;
pub mod shanghai;
pub mod standard;
pub mod version;
pub mod what_if;
pub mod zhejiang;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::domain::eligibility::Declared;
use crate::domain::fund::DistrictFund;
use crate::domain::{CompanyType, DomainError, Money, Region};
use common::Party;
pub use policy::{PolicyError, PolicyVersion, RegionPolicy};

/// What issuing a voucher needs to know.
#[derive(Debug, Clone)]
pub struct IssuanceFacts {
    pub company_type: CompanyType,
    /// Issued this fiscal year to companies of the same actual controller,
    /// net of revocations.
    pub already_issued: Money,
    pub amount: Money,
    /// When the voucher comes from a district's fund: its caps.
    pub fund: Option<FundFacts>,
}

/// A district's fund a voucher would be issued from, and what it issued
/// before.
#[derive(Debug, Clone)]
pub struct FundFacts {
    pub district: String,
    pub fund: DistrictFund,
    /// Issued from the fund this fiscal year to companies of the same
    /// actual controller, net of revocations.
    pub already_issued: Money,
}

/// What an application needs to know: who applies and what it declared.
#[derive(Debug, Clone)]
pub struct ApplicationFacts {
    pub company_region: Region,
    pub company_type: CompanyType,
    pub declared: Declared,
    /// The company's vouchers of this region from the year before that
    /// have expired, with what was unused at their expiry.
    pub last_year: Vec<LastYearVoucher>,
}

/// A voucher of the year before, as the idle-voucher rule sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastYearVoucher {
    pub serial: String,
    pub face_value: Money,
    /// What expired unused.
    pub unused: Money,
}

/// What a hold needs to know.
#[derive(Debug, Clone)]
pub struct HoldFacts {
    pub company: Party,
    pub provider: Party,
    pub provider_region: Region,
    pub category: String,
    /// The categories the provider is admitted for in this region, if admitted.
    pub admitted: Option<Vec<String>>,
    pub contract_amount: Money,
    pub amount: Money,
    /// For regions that cap spending outside the region.
    pub cross_region: Option<CrossRegionFacts>,
    /// The terms of the district fund the voucher came from, if any (its
    /// share and full-cover threshold replace the region's share).
    pub fund: Option<DistrictFund>,
}

/// A region-year's budget and what is held or completed outside the region.
#[derive(Debug, Clone, Copy)]
pub struct CrossRegionFacts {
    pub appropriated: Money,
    pub committed_outside: Money,
}

/// The rules of one issuing region. The default methods are the checks every
/// region shares; a region's module overrides what it does differently.
pub trait RegionRules: Send + Sync {
    /// The region's policy, all versions.
    fn policy(&self) -> &RegionPolicy;

    /// The version for vouchers of fiscal year `year`.
    fn version(&self, year: i32) -> Result<&PolicyVersion, DomainError> {
        self.policy().version(year).ok_or_else(|| {
            DomainError::field(
                "year",
                format!(
                    "the {} programme has no policy for {year}",
                    self.policy().region
                ),
            )
        })
    }

    /// Whether a hold needs [`CrossRegionFacts`] (gathering them costs a query).
    fn needs_cross_region_facts(&self, _provider_region: &Region) -> bool {
        false
    }

    /// May this company apply? Its region, then what it declared, then
    /// its idle vouchers of last year.
    fn check_application(
        &self,
        v: &PolicyVersion,
        facts: &ApplicationFacts,
    ) -> Result<(), DomainError> {
        common::eligible(v, &self.policy().region, facts)
    }

    /// May a provider of `provider_region` be admitted for `categories`?
    fn check_admission(
        &self,
        v: &PolicyVersion,
        provider_region: &Region,
        categories: &[String],
    ) -> Result<(), DomainError> {
        common::admission(v, &self.policy().region, provider_region, categories)
    }

    /// May this voucher be issued? The region's annual cap, then the
    /// caps of the district fund it comes from.
    fn check_issuance(&self, v: &PolicyVersion, facts: &IssuanceFacts) -> Result<(), DomainError> {
        let region = &self.policy().region;
        common::within_annual_cap(
            v,
            region,
            facts.company_type,
            facts.already_issued,
            facts.amount,
        )?;
        match &facts.fund {
            Some(fund) => common::within_fund_caps(region, fund, facts.amount),
            None => Ok(()),
        }
    }

    /// May this amount be held? Order: related party, admission, category,
    /// share of the contract.
    fn check_hold(&self, v: &PolicyVersion, facts: &HoldFacts) -> Result<(), DomainError> {
        common::hold(v, &self.policy().region, facts)
    }
}

/// The policy files built into the binary: used when no configuration
/// directory names others.
const BUILTIN: [(&str, &str); 3] = [
    (
        "(built in) jx.toml",
        include_str!("../../config/regions/jx.toml"),
    ),
    (
        "(built in) sh.toml",
        include_str!("../../config/regions/sh.toml"),
    ),
    (
        "(built in) zj.toml",
        include_str!("../../config/regions/zj.toml"),
    ),
];

/// The rules of every issuing region, by region.
#[derive(Clone)]
pub struct Registry {
    regions: BTreeMap<Region, Arc<dyn RegionRules>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.regions.keys()).finish()
    }
}

impl Registry {
    /// Loads every `*.toml` of `dirs`, checks each file and the references
    /// between them.
    pub fn load(dirs: &[impl AsRef<Path>]) -> Result<Self, PolicyError> {
        let mut policies = Vec::new();
        for dir in dirs {
            let dir = dir.as_ref();
            let mut files: Vec<_> = std::fs::read_dir(dir)
                .map_err(|e| PolicyError {
                    file: dir.display().to_string(),
                    key: "(directory)".into(),
                    message: e.to_string(),
                })?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            files.sort();
            for path in files {
                policies.push(policy::load(&path)?);
            }
        }
        Self::of(policies)
    }

    /// The policies built into the binary (`config/regions/` of the source).
    pub fn builtin() -> Result<Self, PolicyError> {
        let policies = BUILTIN
            .iter()
            .map(|(file, text)| policy::parse(file, text))
            .collect::<Result<Vec<_>, _>>()?;
        Self::of(policies)
    }

    /// The registry of `policies`, once each region is defined once and
    /// every region a policy names is defined.
    fn of(policies: Vec<RegionPolicy>) -> Result<Self, PolicyError> {
        let mut regions: BTreeMap<Region, Arc<dyn RegionRules>> = BTreeMap::new();
        for policy in policies {
            let (region, file) = (policy.region.clone(), policy.file.clone());
            let rules = module(policy)?;
            if regions.insert(region.clone(), rules).is_some() {
                return Err(PolicyError {
                    file,
                    key: "region".into(),
                    message: format!("{region} is defined twice"),
                });
            }
        }
        if regions.is_empty() {
            return Err(PolicyError {
                file: "region_dirs".into(),
                key: "(directory)".into(),
                message: "no region policy files found".into(),
            });
        }
        for rules in regions.values() {
            let p = rules.policy();
            for (i, v) in p.versions.iter().enumerate() {
                for (key, list) in [
                    ("applicant_regions", &v.applicant_regions),
                    ("admits_provider_regions", &v.admits_provider_regions),
                ] {
                    if let Some(r) = list.iter().find(|r| !regions.contains_key(*r)) {
                        return Err(PolicyError {
                            file: p.file.clone(),
                            key: format!("versions[{i}].{key}"),
                            message: format!("no policy file defines region {r}"),
                        });
                    }
                }
            }
        }
        Ok(Registry { regions })
    }

    /// The rules of `region`, if it is an issuing region.
    pub fn get(&self, region: &Region) -> Option<&dyn RegionRules> {
        self.regions.get(region).map(|r| r.as_ref())
    }

    /// The issuing regions.
    pub fn regions(&self) -> Vec<Region> {
        self.regions.keys().cloned().collect()
    }
}

/// The rules modules a policy file may name (`rules = "…"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RulesModule {
    Shanghai,
    Zhejiang,
    Jiaxing,
    /// The shared checks only (a new region starts here).
    Standard,
}

crate::text_enum!(RulesModule {
    Shanghai => "shanghai",
    Zhejiang => "zhejiang",
    Jiaxing => "jiaxing",
    Standard => "standard",
});

impl RulesModule {
    /// Whether the module applies `cross_region_budget_share`.
    pub fn caps_cross_region_spending(self) -> bool {
        self == RulesModule::Jiaxing
    }
}

/// The rules module a policy file names.
fn module(policy: RegionPolicy) -> Result<Arc<dyn RegionRules>, PolicyError> {
    if !policy.rules.caps_cross_region_spending() {
        if let Some(i) = policy
            .versions
            .iter()
            .position(|v| v.cross_region_budget_share.is_some())
        {
            return Err(PolicyError {
                file: policy.file.clone(),
                key: format!("versions[{i}].cross_region_budget_share"),
                message: format!("the `{}` rules do not use this key", policy.rules),
            });
        }
    }
    Ok(match policy.rules {
        RulesModule::Shanghai => Arc::new(shanghai::Shanghai(policy)),
        RulesModule::Zhejiang => Arc::new(zhejiang::Zhejiang(policy)),
        RulesModule::Jiaxing => Arc::new(jiaxing::Jiaxing(policy)),
        RulesModule::Standard => Arc::new(standard::Standard(policy)),
    })
}

#[cfg(test)]
mod eligibility_tests;
#[cfg(test)]
mod fund_tests;
#[cfg(test)]
mod tests;
