//! One thing a verification found wrong, with what identifies it: the API
//! gives it as a line of text, the portal in the reader's language.

use std::fmt;

use uuid::Uuid;

/// What is wrong at one place of a chain or of its agreement with the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// The event's stored hash is not the hash of its contents.
    HashMismatch { seq: i64 },
    /// The event records a transfer whose legs do not sum to zero.
    Unbalanced { seq: i64, transfer: Uuid },
    /// Events `from` to `to` are not there.
    Missing { from: i64, to: i64 },
    /// The event's previous hash is not its predecessor's hash.
    Unlinked { seq: i64 },
    /// The chain's head names another hash than its last event's.
    HeadMismatch,
    /// The account's balance is not the sum of its recorded legs.
    BalanceDiffers { account: Uuid },
    /// The ledger's postings of a transfer are not those its event records.
    PostingsDiffer { transfer: Uuid, seq: i64 },
    /// The ledger holds a transfer no event records.
    Unrecorded { transfer: Uuid },
    /// An event records a transfer the ledger does not hold.
    NotInLedger { transfer: Uuid, seq: i64 },
}

impl Finding {
    /// The name of its text for people (`audit.finding.<kind>`).
    pub fn kind(&self) -> &'static str {
        match self {
            Finding::HashMismatch { .. } => "hash_mismatch",
            Finding::Unbalanced { .. } => "unbalanced",
            Finding::Missing { .. } => "missing",
            Finding::Unlinked { .. } => "unlinked",
            Finding::HeadMismatch => "head_mismatch",
            Finding::BalanceDiffers { .. } => "balance_differs",
            Finding::PostingsDiffer { .. } => "postings_differ",
            Finding::Unrecorded { .. } => "unrecorded",
            Finding::NotInLedger { .. } => "not_in_ledger",
        }
    }

    /// The event (or first event) it is about, if one.
    pub fn seq(&self) -> Option<i64> {
        match self {
            Finding::HashMismatch { seq }
            | Finding::Unbalanced { seq, .. }
            | Finding::Unlinked { seq }
            | Finding::PostingsDiffer { seq, .. }
            | Finding::NotInLedger { seq, .. } => Some(*seq),
            Finding::Missing { from, .. } => Some(*from),
            _ => None,
        }
    }

    /// The last missing event, for [`Finding::Missing`].
    pub fn to(&self) -> Option<i64> {
        match self {
            Finding::Missing { to, .. } => Some(*to),
            _ => None,
        }
    }

    /// The transfer or account it is about, if one.
    pub fn id(&self) -> Option<Uuid> {
        match self {
            Finding::Unbalanced { transfer, .. }
            | Finding::PostingsDiffer { transfer, .. }
            | Finding::Unrecorded { transfer }
            | Finding::NotInLedger { transfer, .. } => Some(*transfer),
            Finding::BalanceDiffers { account } => Some(*account),
            _ => None,
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::HashMismatch { seq } => write!(f, "event {seq} does not match its hash"),
            Finding::Unbalanced { seq, transfer } => {
                write!(f, "event {seq} records an unbalanced transfer {transfer}")
            }
            Finding::Missing { from, to } => write!(f, "events {from} to {to} are missing"),
            Finding::Unlinked { seq } => write!(f, "event {seq} does not follow its predecessor"),
            Finding::HeadMismatch => write!(f, "the chain head does not match the last event"),
            Finding::BalanceDiffers { account } => {
                write!(
                    f,
                    "the balance of account {account} differs from its events"
                )
            }
            Finding::PostingsDiffer { transfer, seq } => {
                write!(
                    f,
                    "the postings of transfer {transfer} differ from event {seq}"
                )
            }
            Finding::Unrecorded { transfer } => {
                write!(f, "transfer {transfer} is recorded by no event")
            }
            Finding::NotInLedger { transfer, seq } => {
                write!(f, "transfer {transfer} of event {seq} is not in the ledger")
            }
        }
    }
}
