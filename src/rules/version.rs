//! One version of a region's policy: its numbers, each with its source,
//! and the checks of a version as a policy file (or a what-if draft)
//! writes it.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::eligibility::Housing;
use crate::domain::evidence::DocumentKind;
use crate::domain::programme::{parse_share, Deadlines, CATEGORIES};
use crate::domain::settlement::Cycle as SettlementCycle;
use crate::domain::{Money, Region};

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
    /// Enterprises must declare an S&T SME registration number.
    pub sme_registration_required: bool,
    /// Where a start-up team must be housed (empty: anywhere).
    pub team_housing: Vec<Housing>,
    /// The fewest core members a start-up team may have.
    pub team_min_core_members: Option<u32>,
    /// A voucher of last year more than this share unused at its expiry
    /// bars its company from this year's vouchers.
    pub idle_voucher_share: Option<Decimal>,
    /// Levels of review of an application: 1 (the region's regulator) or 2
    /// (first the regulator of the company's district, then the region's).
    pub review_levels: u8,
    /// Days an admission and a payment list are published (公示) before
    /// they take effect; none: at once.
    pub notice_days: Option<u32>,
    /// The documents a claim must carry before it is approved.
    pub claim_documents: Vec<DocumentKind>,
    /// Where the numbers come from, as a whole.
    pub source: Option<String>,
    /// Where each key's figure comes from ([`ILLUSTRATIVE`]: no public
    /// source was found); a key without an entry takes `source`.
    pub sources: BTreeMap<String, String>,
}

/// The source of a figure that no public document gives (a source that
/// starts with it may say why).
pub const ILLUSTRATIVE: &str = "illustrative";

/// The note after the [`ILLUSTRATIVE`] mark of a source (`Some("")` for the
/// bare mark), or `None` when the source cites a document.
pub fn illustrative_note(source: &str) -> Option<&str> {
    let head = source.get(..ILLUSTRATIVE.len())?;
    if !head.eq_ignore_ascii_case(ILLUSTRATIVE) {
        return None;
    }
    Some(
        source[ILLUSTRATIVE.len()..]
            .trim_start_matches([':', '：', ' '])
            .trim(),
    )
}

/// The keys of a version that carry a figure, each needing a source.
pub const FIGURE_KEYS: [&str; 17] = [
    "enterprise_cap",
    "team_cap",
    "contract_share",
    "categories",
    "applicant_regions",
    "admits_provider_regions",
    "use_deadline",
    "claim_deadline",
    "settlement_cycle",
    "cross_region_budget_share",
    "sme_registration_required",
    "team_housing",
    "team_min_core_members",
    "idle_voucher_share",
    "review_levels",
    "notice_days",
    "claim_documents",
];

impl PolicyVersion {
    /// The rule `id` of this version of `region`'s policy, for a refusal.
    pub fn rule(&self, id: &'static str, region: &Region) -> crate::domain::Rule {
        crate::domain::Rule {
            policy_version: Some(self.effective_from),
            source: self.source_of(id).map(str::to_owned),
            ..crate::domain::Rule::named(id, region)
        }
    }

    /// Where the figure of `key` comes from: its own source, else the
    /// version's.
    pub fn source_of(&self, key: &str) -> Option<&str> {
        self.sources
            .get(key)
            .or(self.source.as_ref())
            .map(String::as_str)
    }

    /// The first key with a figure in this version and no source, if any.
    pub fn unsourced(&self) -> Option<&'static str> {
        let present = |key: &str| match key {
            "cross_region_budget_share" => self.cross_region_budget_share.is_some(),
            "sme_registration_required" => self.sme_registration_required,
            "team_housing" => !self.team_housing.is_empty(),
            "team_min_core_members" => self.team_min_core_members.is_some(),
            "idle_voucher_share" => self.idle_voucher_share.is_some(),
            "review_levels" => self.review_levels > 1,
            "notice_days" => self.notice_days.is_some(),
            "claim_documents" => !self.claim_documents.is_empty(),
            _ => true,
        };
        FIGURE_KEYS
            .into_iter()
            .find(|key| present(key) && self.source_of(key).is_none())
    }

    /// Whether the figure of `key` is illustrative (no public source).
    pub fn illustrative(&self, key: &str) -> bool {
        self.source_of(key)
            .is_some_and(|s| illustrative_note(s).is_some())
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
    pub sme_registration_required: bool,
    #[serde(default)]
    pub team_housing: Vec<String>,
    #[serde(default)]
    pub team_min_core_members: Option<u32>,
    /// A share between 0 and 1, e.g. `"0.50"`.
    #[serde(default)]
    pub idle_voucher_share: Option<String>,
    /// 1 (default) or 2: first the district, then the region.
    #[serde(default)]
    pub review_levels: Option<u8>,
    /// Days of public notice (1 to 60) before an admission or a payment
    /// list takes effect.
    #[serde(default)]
    pub notice_days: Option<u32>,
    /// The documents a claim must carry before it is approved: any of
    /// `contract`, `invoice`, `own_share_payment`, `service_report`.
    #[serde(default)]
    pub claim_documents: Vec<String>,
    #[serde(default)]
    pub source: Option<String>,
    /// Key → source of its figure, or `"illustrative"`.
    #[serde(default)]
    pub sources: BTreeMap<String, String>,
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
        let share = parse_share;
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
            sme_registration_required: v.sme_registration_required,
            team_housing: v
                .team_housing
                .iter()
                .map(|h| {
                    h.parse().map_err(|_| {
                        (
                            "team_housing",
                            format!(
                                "unknown housing `{h}`; one of incubator, \
                                 university_science_park, maker_space"
                            ),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
            team_min_core_members: v.team_min_core_members,
            idle_voucher_share: v
                .idle_voucher_share
                .as_deref()
                .map(|s| share("idle_voucher_share", s))
                .transpose()?,
            review_levels: match v.review_levels.unwrap_or(1) {
                n @ (1 | 2) => n,
                n => return Err(("review_levels", format!("`{n}` is not 1 or 2"))),
            },
            notice_days: match v.notice_days {
                Some(n) if !(1..=60).contains(&n) => {
                    return Err(("notice_days", format!("`{n}` is not 1 to 60 days")))
                }
                n => n,
            },
            claim_documents: v
                .claim_documents
                .iter()
                .map(|d| {
                    d.parse().map_err(|_| {
                        (
                            "claim_documents",
                            format!(
                                "unknown document `{d}`; one of contract, invoice, \
                                 own_share_payment, service_report"
                            ),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
            source: v.source.filter(|s| !s.trim().is_empty()),
            sources: v.sources,
        };
        if let Some(key) = version
            .sources
            .keys()
            .find(|k| !FIGURE_KEYS.contains(&k.as_str()))
        {
            return Err((
                "sources",
                format!(
                    "`{key}` is not a key with a figure; one of {}",
                    FIGURE_KEYS.join(", ")
                ),
            ));
        }
        if let Some((key, _)) = version.sources.iter().find(|(_, s)| s.trim().is_empty()) {
            return Err(("sources", format!("the source of `{key}` is blank")));
        }
        if version
            .effective_to
            .is_some_and(|to| to < version.effective_from)
        {
            return Err(("effective_to", "is before effective_from".into()));
        }
        Ok(version)
    }
}
