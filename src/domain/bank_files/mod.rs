//! The files a settlement run exchanges with the fund's bank: what goes
//! out ([`pain001`]: an ISO 20022 credit-transfer initiation, and
//! [`payments_csv`]: the same payments as a bulk-payment sheet) and what
//! comes back ([`statement`]: pain.002 status reports, camt.053/camt.054
//! statements and a bank's CSV statement, read into one list of lines).
//! Pure: text in, text out.

pub mod pain001;
pub mod payments_csv;
pub mod statement;
pub mod xml;

use chrono::{DateTime, NaiveDate, Utc};

use super::Money;

/// A bank account holder: the fund that pays, or a provider paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub name: String,
    pub account_number: String,
    pub bank_name: String,
    /// The bank's CNAPS code (12 digits).
    pub cnaps_code: String,
}

/// One payment of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// What the bank reports back on: the settlement item's id, 32 hex
    /// digits (ISO 20022 allows 35 characters).
    pub end_to_end_id: String,
    pub amount: Money,
    pub creditor: Party,
    /// What the payee reads on its statement.
    pub remittance: String,
}

/// A batch of payments from one account on one day: one settlement run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The run's id, 32 hex digits.
    pub message_id: String,
    pub created_at: DateTime<Utc>,
    pub execution_date: NaiveDate,
    pub debtor: Party,
    pub payments: Vec<Payment>,
}

impl Batch {
    /// The control sum: every payment's amount added up.
    pub fn control_sum(&self) -> Option<Money> {
        self.payments
            .iter()
            .try_fold(Money::ZERO, |sum, p| sum.checked_add(p.amount))
    }
}

/// Why a file that came back was refused: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{locator}: {message}")]
pub struct FileError {
    /// `line 12`, or an element path with its line.
    pub locator: String,
    pub message: String,
}

impl FileError {
    /// An error at a line.
    pub fn at(line: usize, message: impl Into<String>) -> Self {
        FileError {
            locator: format!("line {line}"),
            message: message.into(),
        }
    }
}

/// An id as the bank files write it: a UUID's 32 hex digits.
pub fn file_id(id: uuid::Uuid) -> String {
    id.simple().to_string()
}
