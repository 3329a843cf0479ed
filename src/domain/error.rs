//! Errors of the domain: each maps to one stable API error code.

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
    Refused(Refusal, String),
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
        DomainError::Refused(refusal, detail.into())
    }
}
