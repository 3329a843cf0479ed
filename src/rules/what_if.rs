//! Policy what-if: a region-year's approvals and holds replayed, in the
//! order they happened, under a draft policy version, through the region's
//! own rules module, to see what would have differed. Pure: the service
//! gathers the [`Step`]s from a read snapshot.
//!
//! What is replayed, and how:
//! - every application: the draft's `applicant_regions`, then what the
//!   company declared when it applied (`sme_registration_required`,
//!   `team_housing`, `team_min_core_members`), then its vouchers of the
//!   year before as they expired (`idle_voucher_share`);
//! - every approval: the annual cap, with what the draft would have issued
//!   before to the same actual controller (net of revocations), then the
//!   caps of the district fund the voucher came from (as the policy in
//!   force sets them: a draft version has no funds). Above a
//!   cap, the approval is *reduced* to what is left, or *refused* when
//!   nothing is left; the regulator's own decisions (amounts, rejections)
//!   are kept;
//! - every hold: the voucher's use deadline, the admission of the
//!   provider's region and the category (as an admission is checked), the
//!   share of the contract (the fund's terms for a fund's voucher), the
//!   region's own
//!   checks (JX: the cross-region budget share), then the voucher's balance
//!   as the draft would have left it. A refused hold takes nothing; its
//!   completion or cancellation is then skipped.
//!
//! What is not: the regulator's discretion (an application rejected stays
//! rejected, one approved is never raised), related parties and the
//! provider's admitted categories (facts, not policy), and the
//! appropriation (the year's total is used for the cross-region share).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::common::Party;
use super::{
    ApplicationFacts, CrossRegionFacts, FundFacts, HoldFacts, IssuanceFacts, LastYearVoucher,
    PolicyVersion, RegionRules,
};
use crate::domain::eligibility::Declared;
use crate::domain::{CompanyType, DomainError, Money, Region};

/// A company as the replay needs it.
#[derive(Debug, Clone)]
pub struct Company {
    pub company_type: CompanyType,
    pub region: Region,
    /// Companies with the same key share an annual cap (the actual
    /// controller's key, else the company's id).
    pub cap_group: String,
    /// Its vouchers of the year before that expired with part unused.
    pub last_year: Vec<LastYearVoucher>,
}

/// Something that happened in the region-year, in the order it happened.
#[derive(Debug, Clone)]
pub enum Step {
    /// An application that was not approved (rejected or waiting).
    Applied {
        application: Uuid,
        company: Uuid,
        declared: Declared,
    },
    /// An approval: a voucher of `amount` issued to `company`.
    Issued {
        application: Uuid,
        voucher: Uuid,
        company: Uuid,
        amount: Money,
        declared: Declared,
        /// The district fund it came from.
        fund: Option<String>,
    },
    /// A voucher revoked (what was available returns).
    Revoked { voucher: Uuid },
    /// A hold against a contract.
    Held(Hold),
    /// A hold resolved: completed for `kept` (the rest released), or
    /// cancelled or expired (`kept` zero).
    Resolved { redemption: Uuid, kept: Money },
}

/// A hold, as the replay needs it.
#[derive(Debug, Clone)]
pub struct Hold {
    pub redemption: Uuid,
    pub voucher: Uuid,
    pub company: Uuid,
    pub provider_region: Region,
    pub category: String,
    /// The day of the hold, in Asia/Shanghai.
    pub day: NaiveDate,
    pub contract_amount: Money,
    pub amount: Money,
}

/// What was asked, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Application,
    Hold,
}

/// One thing that would have gone differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub kind: Kind,
    /// The application or redemption.
    pub id: Uuid,
    pub company: Uuid,
    /// The rule of the draft that decided it (`enterprise_cap`, …).
    pub rule: &'static str,
    /// What actually happened (approved or held) …
    pub actual: Money,
    /// … and what the draft would have allowed (zero: refused).
    pub draft: Money,
    pub at: DateTime<Utc>,
}

/// The differences of one rule, counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub applications_refused: u64,
    pub applications_reduced: u64,
    /// By how much approvals would have been lower.
    pub applications_amount: Money,
    pub holds_refused: u64,
    pub holds_amount: Money,
}

/// What the replay found.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub applications: u64,
    pub approvals: u64,
    pub holds: u64,
    pub issued_actual: Money,
    pub issued_draft: Money,
    pub held_actual: Money,
    pub held_draft: Money,
    pub by_rule: BTreeMap<&'static str, Tally>,
    pub companies_affected: BTreeSet<Uuid>,
    pub differences: Vec<Difference>,
}

/// The state of the replay between steps.
struct Books<'a> {
    rules: &'a dyn RegionRules,
    draft: &'a PolicyVersion,
    region: Region,
    use_until: NaiveDate,
    appropriated: Money,
    companies: &'a HashMap<Uuid, Company>,
    /// Issued under the draft, net of revocations, per cap group.
    issued: HashMap<String, Money>,
    /// The same per cap group and district fund.
    fund_issued: HashMap<(String, String), Money>,
    /// Per voucher: its cap group, what the draft left available and its
    /// district fund.
    vouchers: HashMap<Uuid, (String, Money, Option<String>)>,
    /// Holds the draft let pass: voucher, amount, at an outside provider.
    open: HashMap<Uuid, (Uuid, Money, bool)>,
    outside_committed: Money,
    outcome: Outcome,
}

/// Replays `steps` (in the order they happened) of `region`'s fiscal year
/// `year` under `draft`, with `rules` (the region's module).
pub fn replay(
    rules: &dyn RegionRules,
    draft: &PolicyVersion,
    year: i32,
    appropriated: Money,
    companies: &HashMap<Uuid, Company>,
    steps: impl IntoIterator<Item = (DateTime<Utc>, Step)>,
) -> Outcome {
    let mut books = Books {
        rules,
        draft,
        region: rules.policy().region.clone(),
        use_until: draft.deadlines(year).use_until,
        appropriated,
        companies,
        issued: HashMap::new(),
        fund_issued: HashMap::new(),
        vouchers: HashMap::new(),
        open: HashMap::new(),
        outside_committed: Money::ZERO,
        outcome: Outcome::default(),
    };
    for (at, step) in steps {
        books.step(at, step);
    }
    books.outcome
}

/// The policy key of a refusal's rule (`validation_failed` of the applicant
/// region names none).
fn rule_of(err: &DomainError) -> &'static str {
    err.rule().map_or("applicant_regions", |r| r.id)
}

fn add(a: Money, b: Money) -> Money {
    a.checked_add(b).unwrap_or(Money::from_fen(i64::MAX))
}

fn sub(a: Money, b: Money) -> Money {
    a.checked_sub(b).unwrap_or_default().max(Money::ZERO)
}

impl Books<'_> {
    fn step(&mut self, at: DateTime<Utc>, step: Step) {
        match step {
            Step::Applied {
                application,
                company,
                declared,
            } => {
                self.outcome.applications += 1;
                if let Some(rule) = self.applicant_refused(company, declared) {
                    self.differ(
                        Kind::Application,
                        application,
                        company,
                        rule,
                        Money::ZERO,
                        Money::ZERO,
                        at,
                    );
                }
            }
            Step::Issued {
                application,
                voucher,
                company,
                amount,
                declared,
                fund,
            } => self.issue(at, (application, voucher, company), amount, declared, fund),
            Step::Revoked { voucher } => {
                if let Some((group, available, fund)) = self.vouchers.get_mut(&voucher) {
                    let issued = self.issued.entry(group.clone()).or_default();
                    *issued = sub(*issued, *available);
                    if let Some(fund) = fund {
                        let key = (group.clone(), fund.clone());
                        let issued = self.fund_issued.entry(key).or_default();
                        *issued = sub(*issued, *available);
                    }
                    *available = Money::ZERO;
                }
            }
            Step::Held(hold) => self.hold(at, hold),
            Step::Resolved { redemption, kept } => {
                if let Some((voucher, amount, outside)) = self.open.remove(&redemption) {
                    let released = sub(amount, kept);
                    if let Some(v) = self.vouchers.get_mut(&voucher) {
                        v.1 = add(v.1, released);
                    }
                    if outside {
                        self.outside_committed = sub(self.outside_committed, released);
                    }
                }
            }
        }
    }

    /// A hold under the draft: the use deadline, the admission of the
    /// provider's region and the category, the module's checks of a hold,
    /// then the voucher's balance.
    fn hold(&mut self, at: DateTime<Utc>, h: Hold) {
        self.outcome.holds += 1;
        self.outcome.held_actual = add(self.outcome.held_actual, h.amount);
        let outside = h.provider_region != self.region;
        let facts = HoldFacts {
            company: Party::default(),
            provider: Party::default(),
            cross_region: self
                .rules
                .needs_cross_region_facts(&h.provider_region)
                .then_some(CrossRegionFacts {
                    appropriated: self.appropriated,
                    committed_outside: self.outside_committed,
                }),
            provider_region: h.provider_region,
            admitted: Some(vec![h.category.clone()]),
            category: h.category,
            contract_amount: h.contract_amount,
            amount: h.amount,
            fund: self
                .vouchers
                .get(&h.voucher)
                .and_then(|v| v.2.as_deref())
                .and_then(|d| self.rules.policy().fund_of(d))
                .cloned(),
        };
        let available = self.vouchers.get(&h.voucher).map_or(Money::ZERO, |v| v.1);
        let admitted = self.rules.check_admission(
            self.draft,
            &facts.provider_region,
            std::slice::from_ref(&facts.category),
        );
        let refused = if h.day > self.use_until {
            Some("use_deadline")
        } else if let Err(e) = admitted {
            Some(rule_of(&e))
        } else if let Err(e) = self.rules.check_hold(self.draft, &facts) {
            Some(rule_of(&e))
        } else if h.amount > available {
            Some("voucher_balance")
        } else {
            None
        };
        if let Some(rule) = refused {
            let (kind, actual) = (Kind::Hold, h.amount);
            self.differ(kind, h.redemption, h.company, rule, actual, Money::ZERO, at);
            return;
        }
        if let Some(v) = self.vouchers.get_mut(&h.voucher) {
            v.1 = sub(v.1, h.amount);
        }
        if outside {
            self.outside_committed = add(self.outside_committed, h.amount);
        }
        self.open
            .insert(h.redemption, (h.voucher, h.amount, outside));
        self.outcome.held_draft = add(self.outcome.held_draft, h.amount);
    }

    /// The rule refusing `company`'s application under the draft, if any:
    /// its region, what it declared, its idle vouchers of the year before.
    fn applicant_refused(&self, company: Uuid, declared: Declared) -> Option<&'static str> {
        let c = self.companies.get(&company)?;
        let facts = ApplicationFacts {
            company_region: c.region.clone(),
            company_type: c.company_type,
            declared,
            last_year: c.last_year.clone(),
        };
        self.rules
            .check_application(self.draft, &facts)
            .err()
            .map(|e| rule_of(&e))
    }

    /// An approval under the draft: eligibility, then the annual cap.
    fn issue(
        &mut self,
        at: DateTime<Utc>,
        (application, voucher, company): (Uuid, Uuid, Uuid),
        amount: Money,
        declared: Declared,
        fund: Option<String>,
    ) {
        self.outcome.applications += 1;
        self.outcome.approvals += 1;
        self.outcome.issued_actual = add(self.outcome.issued_actual, amount);
        let Some(c) = self.companies.get(&company) else {
            return;
        };
        let group = c.cap_group.clone();
        let already = self.issued.get(&group).copied().unwrap_or_default();
        let fund_key = fund.map(|f| (group.clone(), f));
        let fund_facts = fund_key.as_ref().and_then(|key| {
            let terms = self.rules.policy().fund_of(&key.1)?;
            Some(FundFacts {
                district: key.1.clone(),
                fund: terms.clone(),
                already_issued: self.fund_issued.get(key).copied().unwrap_or_default(),
            })
        });
        let (granted, rule) = match self.applicant_refused(company, declared) {
            Some(rule) => (Money::ZERO, Some(rule)),
            None => {
                let facts = IssuanceFacts {
                    company_type: c.company_type,
                    already_issued: already,
                    amount,
                    fund: fund_facts,
                };
                match self.rules.check_issuance(self.draft, &facts) {
                    Ok(()) => (amount, None),
                    Err(e) => (
                        e.rule()
                            .and_then(|r| r.allowed_money())
                            .unwrap_or_default()
                            .min(amount),
                        Some(rule_of(&e)),
                    ),
                }
            }
        };
        if let Some(rule) = rule {
            self.differ(
                Kind::Application,
                application,
                company,
                rule,
                amount,
                granted,
                at,
            );
        }
        self.issued.insert(group.clone(), add(already, granted));
        if let Some(key) = &fund_key {
            let issued = self.fund_issued.entry(key.clone()).or_default();
            *issued = add(*issued, granted);
        }
        let fund = fund_key.map(|(_, f)| f);
        self.vouchers.insert(voucher, (group, granted, fund));
        self.outcome.issued_draft = add(self.outcome.issued_draft, granted);
    }

    #[allow(clippy::too_many_arguments)]
    fn differ(
        &mut self,
        kind: Kind,
        id: Uuid,
        company: Uuid,
        rule: &'static str,
        actual: Money,
        draft: Money,
        at: DateTime<Utc>,
    ) {
        let tally = self.outcome.by_rule.entry(rule).or_default();
        let less = sub(actual, draft);
        match (kind, draft.is_zero()) {
            (Kind::Application, true) => tally.applications_refused += 1,
            (Kind::Application, false) => tally.applications_reduced += 1,
            (Kind::Hold, _) => tally.holds_refused += 1,
        }
        match kind {
            Kind::Application => tally.applications_amount = add(tally.applications_amount, less),
            Kind::Hold => tally.holds_amount = add(tally.holds_amount, less),
        }
        self.outcome.companies_affected.insert(company);
        self.outcome.differences.push(Difference {
            kind,
            id,
            company,
            rule,
            actual,
            draft,
            at,
        });
    }
}

#[cfg(test)]
#[path = "what_if_tests.rs"]
mod tests;
