//! Errors of the domain: each maps to one stable API error code.

use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{Money, Region};

/// A field that failed validation, with a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// A business rule that refused a request; each has its own API code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    InvalidAmount,
    InvalidState,
    InsufficientBalance,
    BudgetExceeded,
    AnnualCapExceeded,
    ShareExceeded,
    ProviderNotAdmitted,
    CategoryNotEligible,
    RelatedParty,
    VoucherExpired,
    ClaimDeadlinePassed,
    DuplicateContract,
    DuplicateInvoice,
    CrossRegionBudgetExceeded,
    /// The company does not meet the programme's eligibility (declared
    /// facts, idle vouchers of last year).
    NotEligible,
}

impl Refusal {
    /// The stable machine code of api.md.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::InvalidAmount => "invalid_amount",
            Refusal::InvalidState => "invalid_state",
            Refusal::InsufficientBalance => "insufficient_balance",
            Refusal::BudgetExceeded => "budget_exceeded",
            Refusal::AnnualCapExceeded => "annual_cap_exceeded",
            Refusal::ShareExceeded => "share_exceeded",
            Refusal::ProviderNotAdmitted => "provider_not_admitted",
            Refusal::CategoryNotEligible => "category_not_eligible",
            Refusal::RelatedParty => "related_party",
            Refusal::VoucherExpired => "voucher_expired",
            Refusal::ClaimDeadlinePassed => "claim_deadline_passed",
            Refusal::DuplicateContract => "duplicate_contract",
            Refusal::DuplicateInvoice => "duplicate_invoice",
            Refusal::CrossRegionBudgetExceeded => "cross_region_budget_exceeded",
            Refusal::NotEligible => "not_eligible",
        }
    }
}

/// A value a rule compared: an amount, a day or a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Figure {
    Money(Money),
    Day(NaiveDate),
    Text(String),
}

impl fmt::Display for Figure {
    /// Amounts with two decimals, days as `YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Figure::Money(m) => write!(f, "{m}"),
            Figure::Day(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Figure::Text(t) => f.write_str(t),
        }
    }
}

impl From<Money> for Figure {
    fn from(m: Money) -> Self {
        Figure::Money(m)
    }
}

impl From<NaiveDate> for Figure {
    fn from(d: NaiveDate) -> Self {
        Figure::Day(d)
    }
}

impl From<String> for Figure {
    fn from(t: String) -> Self {
        Figure::Text(t)
    }
}

/// The rule behind a refusal and what it compared (docs/rules.md lists
/// each rule's figures): the most it allows (`limit`), what was already
/// used against that limit, what the request asked for and the most that
/// would have passed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rule {
    /// The policy key or rule name (`contract_share`, `enterprise_cap`, …).
    pub id: &'static str,
    pub region: Option<Region>,
    /// The `effective_from` of the policy version applied.
    pub policy_version: Option<NaiveDate>,
    /// Where the policy version's numbers come from.
    pub source: Option<String>,
    pub limit: Option<Figure>,
    pub used: Option<Figure>,
    pub requested: Option<Figure>,
    pub allowed: Option<Figure>,
    /// For rules that are a share of an amount: the share…
    pub share: Option<Decimal>,
    /// …and the amount it is a share of.
    pub base: Option<Money>,
}

impl Rule {
    /// A rule of no policy version (a uniqueness rule, a balance).
    pub fn named(id: &'static str, region: &Region) -> Self {
        Rule {
            id,
            region: Some(region.clone()),
            ..Rule::default()
        }
    }

    pub fn limit(mut self, figure: impl Into<Figure>) -> Self {
        self.limit = Some(figure.into());
        self
    }

    pub fn used(mut self, figure: impl Into<Figure>) -> Self {
        self.used = Some(figure.into());
        self
    }

    pub fn requested(mut self, figure: impl Into<Figure>) -> Self {
        self.requested = Some(figure.into());
        self
    }

    pub fn allowed(mut self, figure: impl Into<Figure>) -> Self {
        self.allowed = Some(figure.into());
        self
    }

    /// A share rule: `share` of `base`.
    pub fn share_of(mut self, share: Decimal, base: Money) -> Self {
        self.share = Some(share);
        self.base = Some(base);
        self
    }

    /// The amount the rule allowed, if it is one.
    pub fn allowed_money(&self) -> Option<Money> {
        match self.allowed {
            Some(Figure::Money(m)) => Some(m),
            _ => None,
        }
    }
}

/// A rule of the domain that a request broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// One or more fields are invalid.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// A unified social credit code is malformed.
    #[error("invalid credit code: {0}")]
    InvalidCreditCode(String),
    /// The caller may not do this at all.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The resource does not exist or the caller may not see it.
    #[error("not found")]
    NotFound,
    /// A uniqueness rule would be broken.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A business rule refused the request.
    #[error("{code}: {detail}", code = .0.code(), detail = .1)]
    Refused(Refusal, String, Option<Box<Rule>>),
}

impl DomainError {
    /// A validation error on one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::Validation(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    /// The message of a one-field validation error (else the error's text).
    pub fn field_message(&self) -> String {
        match self {
            DomainError::Validation(fields) if fields.len() == 1 => fields[0].message.clone(),
            other => other.to_string(),
        }
    }

    /// A refusal with a message for people.
    pub fn refused(refusal: Refusal, detail: impl Into<String>) -> Self {
        DomainError::Refused(refusal, detail.into(), None)
    }

    /// Names the rule behind a refusal (other errors are unchanged).
    pub fn with_rule(self, rule: Rule) -> Self {
        match self {
            DomainError::Refused(refusal, detail, _) => {
                DomainError::Refused(refusal, detail, Some(Box::new(rule)))
            }
            other => other,
        }
    }

    /// The rule behind a refusal, if named.
    pub fn rule(&self) -> Option<&Rule> {
        match self {
            DomainError::Refused(_, _, rule) => rule.as_deref(),
            _ => None,
        }
    }
}
