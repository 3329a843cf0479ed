//! Policy as data: each issuing region's numbers, in versions with effective
//! dates, read from `config/regions/*.toml` and checked before the server
//! starts.

use std::path::Path;

use figment::providers::{Format, Toml};
use figment::Figment;
use serde::Deserialize;

use super::version::ILLUSTRATIVE;
pub use super::version::{PolicyVersion, VersionFile};
use super::RulesModule;
use crate::domain::fund::{DistrictFund, FundFile};
use crate::domain::review::{is_district_code, District};
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
    /// The districts, cities or counties below the region (`[[districts]]`):
    /// where two-level review sends an application first, and the funds
    /// some of them run.
    pub districts: Vec<District>,
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

    /// The fund of district `code`, if that district runs one.
    pub fn fund_of(&self, code: &str) -> Option<&DistrictFund> {
        self.districts
            .iter()
            .find(|d| d.code == code)
            .and_then(|d| d.fund.as_ref())
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
    #[serde(default)]
    districts: Vec<DistrictFile>,
    versions: Vec<VersionFile>,
}

/// `[[districts]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DistrictFile {
    code: String,
    name: String,
    #[serde(default)]
    fund: Option<FundFile>,
}

fn standard() -> String {
    "standard".into()
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
        if let Some(key) = version.unsourced() {
            return Err(error(
                &format!("versions[{i}].sources"),
                format!("`{key}` has no source: cite one, or write \"{ILLUSTRATIVE}\""),
            ));
        }
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
    for (i, d) in raw.districts.iter().enumerate() {
        if !is_district_code(&d.code) {
            return Err(error(
                &format!("districts[{i}].code"),
                "must be 2 to 8 upper-case letters or digits".into(),
            ));
        }
        if d.name.trim().is_empty() {
            return Err(error(
                &format!("districts[{i}].name"),
                "must not be empty".into(),
            ));
        }
        if raw.districts[..i].iter().any(|e| e.code == d.code) {
            return Err(error(
                &format!("districts[{i}].code"),
                format!("`{}` is listed twice", d.code),
            ));
        }
    }
    let mut districts = Vec::new();
    for (i, d) in raw.districts.into_iter().enumerate() {
        let fund = d
            .fund
            .map(|f| f.check())
            .transpose()
            .map_err(|(name, message)| error(&format!("districts[{i}].fund.{name}"), message))?;
        districts.push(District {
            code: d.code,
            name: d.name,
            fund,
        });
    }
    if let Some(i) = versions.iter().position(|v| v.review_levels == 2) {
        if districts.is_empty() {
            return Err(error(
                &format!("versions[{i}].review_levels"),
                "two levels of review need the [[districts]] that review first".into(),
            ));
        }
    }
    Ok(RegionPolicy {
        region,
        name: raw.name,
        rules,
        versions,
        four_eyes,
        fund,
        districts,
        file,
    })
}
