//! Policy as data: each issuing region's numbers, in versions with effective
//! dates, read from `config/regions/*.toml` and checked before the server
//! starts.

use std::path::Path;

use chrono::NaiveDate;
use figment::providers::{Format, Toml};
use figment::Figment;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::RulesModule;
use crate::domain::programme::{Deadlines, CATEGORIES};
use crate::domain::{Money, Region};

/// A problem in a policy file, naming the file and the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: key `{key}`: {message}")]
pub struct PolicyError {
    pub file: String,
    pub key: String,
    pub message: String,
}

/// How often a region settles with providers (payment batches).
pub use crate::domain::settlement::Cycle as SettlementCycle;

/// One version of a region's policy.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyVersion {
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    /// Annual cap per enterprise, summed over its actual controller.
    pub enterprise_cap: Money,
    /// Annual cap per startup team, summed over its actual controller.
    pub team_cap: Money,
    /// The share of a contract a voucher may pay (0 < share ≤ 1).
    pub contract_share: Decimal,
    pub categories: Vec<String>,
    /// Regions whose companies may apply.
    pub applicant_regions: Vec<Region>,
    /// Regions whose providers may be admitted.
    pub admits_provider_regions: Vec<Region>,
    /// Month and day of the use deadline in the fiscal year.
    pub use_deadline: (u32, u32),
    /// Month and day of the claim deadline in the next year.
    pub claim_deadline: (u32, u32),
    pub settlement_cycle: SettlementCycle,
    /// The most of a year's appropriated budget that may be held or
    /// completed at providers outside the region, if capped.
    pub cross_region_budget_share: Option<Decimal>,
    /// Where the numbers come from.
    pub source: Option<String>,
}

impl PolicyVersion {
    /// The rule `id` of this version of `region`'s policy, for a refusal.
    pub fn rule(&self, id: &'static str, region: &Region) -> crate::domain::Rule {
        crate::domain::Rule {
            policy_version: Some(self.effective_from),
            source: self.source.clone(),
            ..crate::domain::Rule::named(id, region)
        }
    }

    /// Whether this version governs vouchers of fiscal year `year` (the
    /// version in force on 1 January of that year).
    pub fn covers(&self, year: i32) -> bool {
        let Some(first_day) = NaiveDate::from_ymd_opt(year, 1, 1) else {
            return false;
        };
        self.effective_from <= first_day && self.effective_to.is_none_or(|to| first_day <= to)
    }

    /// The deadlines of a voucher of fiscal year `year`.
    pub fn deadlines(&self, year: i32) -> Deadlines {
        Deadlines {
            use_until: month_day(year, self.use_deadline),
            claim_until: month_day(year + 1, self.claim_deadline),
        }
    }
}

/// `month-day` in `year`; 29 February becomes 28 February in other years.
fn month_day(year: i32, (month, day): (u32, u32)) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day)
        .or_else(|| NaiveDate::from_ymd_opt(year, month, day - 1))
        .expect("validated month and day")
}

/// A region's policy: all its versions.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionPolicy {
    pub region: Region,
    pub name: String,
    /// The rules module that applies it.
    pub rules: RulesModule,
    pub versions: Vec<PolicyVersion>,
    /// Which decisions need a second person of the regulator.
    pub four_eyes: FourEyes,
    /// The fund's bank account that pays providers (`[fund]`): the debtor
    /// of its settlement runs' bank files. Without it, runs cannot be
    /// exported.
    pub fund: Option<FundAccount>,
    /// The file it came from.
    pub file: String,
}

/// Decisions a second person of the same regulator must confirm (the maker
/// cannot), from an amount on: `[four_eyes]` in the policy file. Without
/// it, every payment of a claim, every revocation of a voucher with a
/// balance, every change of a provider's admission and every approval of a
/// provider's bank account needs two people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FourEyes {
    /// Audit actions: `claim.pay`, `voucher.revoke`, `provider.admit`,
    /// `payee.approve`.
    pub actions: Vec<String>,
    /// From this amount on (`0.00`: always) for decisions that move money;
    /// those that move none (`provider.admit`, `payee.approve`) always.
    pub from: Money,
}

impl FourEyes {
    /// The actions that may be named.
    pub const ACTIONS: [&'static str; 4] = [
        "claim.pay",
        "voucher.revoke",
        "provider.admit",
        "payee.approve",
    ];

    /// Whether `action` of `amount` (None: it moves no money) needs a
    /// second person.
    pub fn needed(&self, action: &str, amount: Option<Money>) -> bool {
        self.actions.iter().any(|a| a == action) && amount.is_none_or(|a| a >= self.from)
    }
}

impl Default for FourEyes {
    fn default() -> Self {
        FourEyes {
            actions: Self::ACTIONS.iter().map(|a| a.to_string()).collect(),
            from: Money::ZERO,
        }
    }
}

/// The bank account a region's fund pays from (`[fund]` in the policy
/// file): checked for shape as a payee's account is.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FundAccount {
    /// The account holder: the fund (or the finance bureau holding it).
    pub name: String,
    pub account_number: String,
    pub bank_name: String,
    /// The bank's CNAPS code: 12 digits.
    pub cnaps_code: String,
}

impl FundAccount {
    fn check(self) -> Result<Self, (&'static str, String)> {
        use crate::domain::bank_account::{account_number, cnaps_code};
        let text = |name: &'static str, value: &str| {
            crate::domain::text::clean(name, value, 140).map_err(|e| (name, e.to_string()))
        };
        Ok(FundAccount {
            name: text("name", &self.name)?,
            account_number: account_number(&self.account_number)
                .map_err(|e| ("account_number", e.to_string()))?,
            bank_name: text("bank_name", &self.bank_name)?,
            cnaps_code: cnaps_code(&self.cnaps_code).map_err(|e| ("cnaps_code", e.to_string()))?,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FourEyesFile {
    actions: Vec<String>,
    from: String,
}

impl RegionPolicy {
    /// The version for vouchers of fiscal year `year`.
    pub fn version(&self, year: i32) -> Option<&PolicyVersion> {
        self.versions.iter().find(|v| v.covers(year))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    region: String,
    name: String,
    #[serde(default = "standard")]
    rules: String,
    #[serde(default)]
    four_eyes: Option<FourEyesFile>,
    #[serde(default)]
    fund: Option<FundAccount>,
    versions: Vec<VersionFile>,
}

fn standard() -> String {
    "standard".into()
}

/// One version as a policy file writes it, and as a what-if draft is sent.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VersionFile {
    /// `YYYY-MM-DD`.
    pub effective_from: String,
    #[serde(default)]
    pub effective_to: Option<String>,
    /// Decimal string, e.g. `"200000.00"`.
    pub enterprise_cap: String,
    pub team_cap: String,
    /// A share between 0 and 1, e.g. `"0.50"`.
    pub contract_share: String,
    pub categories: Vec<String>,
    pub applicant_regions: Vec<String>,
    pub admits_provider_regions: Vec<String>,
    /// `MM-DD` in the fiscal year.
    pub use_deadline: String,
    /// `MM-DD` in the next year.
    pub claim_deadline: String,
    pub settlement_cycle: SettlementCycle,
    #[serde(default)]
    pub cross_region_budget_share: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
}

impl VersionFile {
    /// The version, checked; an error names the key and what is wrong.
    pub fn check(self) -> Result<PolicyVersion, (&'static str, String)> {
        let v = self;
        let date = |name: &'static str, text: &str| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| (name, format!("`{text}` is not a date like 2026-01-01")))
        };
        let money =
            |name: &'static str, text: &str| Money::parse_positive(text).map_err(|e| (name, e));
        let share = |name: &'static str, text: &str| {
            text.parse::<Decimal>()
                .ok()
                .filter(|s| *s > Decimal::ZERO && *s <= Decimal::ONE && s.scale() <= 4)
                .ok_or_else(|| {
                    (
                        name,
                        format!("`{text}` is not a share between 0 and 1, like \"0.50\""),
                    )
                })
        };
        let month_day = |name: &'static str, text: &str| {
            let parsed = text
                .split_once('-')
                .and_then(|(m, d)| Some((m.parse::<u32>().ok()?, d.parse::<u32>().ok()?)))
                .filter(|&(m, d)| NaiveDate::from_ymd_opt(2024, m, d).is_some());
            parsed.ok_or_else(|| (name, format!("`{text}` is not a month and day like 12-31")))
        };
        let regions = |name: &'static str, list: &[String]| -> Result<Vec<Region>, _> {
            if list.is_empty() {
                return Err((name, "must name at least one region".to_owned()));
            }
            list.iter()
                .map(|r| {
                    Region::parse(r).map_err(|_| (name, format!("`{r}` is not a region code")))
                })
                .collect()
        };
        if v.categories.is_empty() {
            return Err(("categories", "must list at least one category".into()));
        }
        if let Some(c) = v
            .categories
            .iter()
            .find(|c| !CATEGORIES.contains(&c.as_str()))
        {
            return Err((
                "categories",
                format!("unknown category `{c}`; one of {}", CATEGORIES.join(", ")),
            ));
        }
        let version = PolicyVersion {
            effective_from: date("effective_from", &v.effective_from)?,
            effective_to: v
                .effective_to
                .as_deref()
                .map(|t| date("effective_to", t))
                .transpose()?,
            enterprise_cap: money("enterprise_cap", &v.enterprise_cap)?,
            team_cap: money("team_cap", &v.team_cap)?,
            contract_share: share("contract_share", &v.contract_share)?,
            categories: v.categories,
            applicant_regions: regions("applicant_regions", &v.applicant_regions)?,
            admits_provider_regions: regions(
                "admits_provider_regions",
                &v.admits_provider_regions,
            )?,
            use_deadline: month_day("use_deadline", &v.use_deadline)?,
            claim_deadline: month_day("claim_deadline", &v.claim_deadline)?,
            settlement_cycle: v.settlement_cycle,
            cross_region_budget_share: v
                .cross_region_budget_share
                .as_deref()
                .map(|s| share("cross_region_budget_share", s))
                .transpose()?,
            source: v.source,
        };
        if version
            .effective_to
            .is_some_and(|to| to < version.effective_from)
        {
            return Err(("effective_to", "is before effective_from".into()));
        }
        Ok(version)
    }
}

/// Reads and checks one policy file.
pub fn load(path: &Path) -> Result<RegionPolicy, PolicyError> {
    checked(
        path.display().to_string(),
        Figment::from(Toml::file_exact(path)),
    )
}

/// Checks the policy text of `file` (a policy built into the binary).
pub fn parse(file: &str, text: &str) -> Result<RegionPolicy, PolicyError> {
    checked(file.to_owned(), Figment::from(Toml::string(text)))
}

/// Extracts and checks the policy of `figment`, read from `file`.
fn checked(file: String, figment: Figment) -> Result<RegionPolicy, PolicyError> {
    let error = |key: &str, message: String| PolicyError {
        file: file.clone(),
        key: key.into(),
        message,
    };
    let raw: PolicyFile = figment.extract().map_err(|e| {
        let key = e.path.join(".");
        error(
            if key.is_empty() { "(file)" } else { &key },
            e.kind.to_string(),
        )
    })?;
    let rules = raw.rules.parse::<RulesModule>().map_err(|_| {
        error(
            "rules",
            format!(
                "unknown rules module `{}`; one of shanghai, zhejiang, jiaxing, standard",
                raw.rules
            ),
        )
    })?;
    let region = Region::parse(&raw.region)
        .map_err(|_| error("region", "must be 2 to 8 upper-case letters".into()))?;
    if raw.name.trim().is_empty() {
        return Err(error("name", "must not be empty".into()));
    }
    if raw.versions.is_empty() {
        return Err(error("versions", "at least one version is needed".into()));
    }
    let mut versions = Vec::new();
    for (i, v) in raw.versions.into_iter().enumerate() {
        let version = v
            .check()
            .map_err(|(name, message)| error(&format!("versions[{i}].{name}"), message))?;
        versions.push(version);
    }
    versions.sort_by_key(|v| v.effective_from);
    for (i, pair) in versions.windows(2).enumerate() {
        let overlaps = pair[0]
            .effective_to
            .is_none_or(|to| to >= pair[1].effective_from);
        if overlaps {
            return Err(error(
                &format!("versions[{}].effective_from", i + 1),
                "overlaps the version before it".into(),
            ));
        }
    }
    let four_eyes = match raw.four_eyes {
        None => FourEyes::default(),
        Some(f) => {
            if let Some(unknown) = f
                .actions
                .iter()
                .find(|a| !FourEyes::ACTIONS.contains(&a.as_str()))
            {
                let known = FourEyes::ACTIONS.join(", ");
                return Err(error(
                    "four_eyes.actions",
                    format!("unknown action `{unknown}`; one of {known}"),
                ));
            }
            let from = match f.from.as_str() {
                "0" | "0.00" => Money::ZERO,
                text => Money::parse_positive(text).map_err(|e| error("four_eyes.from", e))?,
            };
            FourEyes {
                actions: f.actions,
                from,
            }
        }
    };
    let fund = match raw.fund {
        None => None,
        Some(f) => Some(
            f.check()
                .map_err(|(name, message)| error(&format!("fund.{name}"), message))?,
        ),
    };
    Ok(RegionPolicy {
        region,
        name: raw.name,
        rules,
        versions,
        four_eyes,
        fund,
        file,
    })
}
