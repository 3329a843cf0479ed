//! Errors of the domain: each maps to one stable API error code.

/// A field that failed validation, with a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
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
}

impl DomainError {
    /// A validation error on one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::Validation(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }
}
