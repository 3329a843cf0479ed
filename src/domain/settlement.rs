//! Settlement periods: a region pays its providers per period of its
//! policy's `settlement_cycle` — a month (`2026-11`), a quarter
//! (`2026-Q4`) or a year (`2026`). A period's cut-off is the start of the
//! next one, midnight in Asia/Shanghai: a run pays the claims approved
//! before it.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};

use super::clock::china_standard_time;
use super::DomainError;

/// How often a region settles with providers (the policy's
/// `settlement_cycle`), and so how long a settlement period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cycle {
    Monthly,
    Quarterly,
    Yearly,
}

use Cycle as SettlementCycle;

/// A settlement period of a cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// Its first day.
    pub first: NaiveDate,
    /// The first day of the next period.
    pub next: NaiveDate,
    pub cycle: SettlementCycle,
}

impl Period {
    /// Parses `text` as a period of `cycle`: `YYYY-MM` (monthly),
    /// `YYYY-Qn` (quarterly) or `YYYY` (yearly).
    pub fn parse(text: &str, cycle: SettlementCycle) -> Result<Self, DomainError> {
        let wrong = || {
            let shape = match cycle {
                SettlementCycle::Monthly => "a month, such as 2026-11 (the region settles monthly)",
                SettlementCycle::Quarterly => {
                    "a quarter, such as 2026-Q4 (the region settles quarterly)"
                }
                SettlementCycle::Yearly => "a year, such as 2026 (the region settles yearly)",
            };
            DomainError::field("period", shape)
        };
        let text = text.trim();
        let year = |y: &str| {
            y.parse::<i32>()
                .ok()
                .filter(|y| (2000..=2100).contains(y) && text.len() >= 4)
        };
        let (first, months) = match cycle {
            SettlementCycle::Monthly => {
                let (y, m) = text.split_once('-').ok_or_else(wrong)?;
                let month = m
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=12).contains(n) && m.len() == 2)
                    .ok_or_else(wrong)?;
                (
                    NaiveDate::from_ymd_opt(year(y).ok_or_else(wrong)?, month, 1),
                    1,
                )
            }
            SettlementCycle::Quarterly => {
                let (y, q) = text.split_once("-Q").ok_or_else(wrong)?;
                let quarter = q.parse::<u32>().ok().filter(|q| (1..=4).contains(q));
                let quarter = quarter.filter(|_| q.len() == 1).ok_or_else(wrong)?;
                let first_month = (quarter - 1) * 3 + 1;
                (
                    NaiveDate::from_ymd_opt(year(y).ok_or_else(wrong)?, first_month, 1),
                    3,
                )
            }
            SettlementCycle::Yearly => {
                let y = year(text).filter(|_| text.len() == 4).ok_or_else(wrong)?;
                (NaiveDate::from_ymd_opt(y, 1, 1), 12)
            }
        };
        let first = first.ok_or_else(wrong)?;
        let next = first
            .checked_add_months(chrono::Months::new(months))
            .ok_or_else(wrong)?;
        Ok(Period { first, next, cycle })
    }

    /// The period of `cycle` that `day` falls in.
    pub fn containing(day: NaiveDate, cycle: SettlementCycle) -> Self {
        let months = match cycle {
            SettlementCycle::Monthly => 1,
            SettlementCycle::Quarterly => 3,
            SettlementCycle::Yearly => 12,
        };
        let month = (day.month() - 1) / months * months + 1;
        let first = NaiveDate::from_ymd_opt(day.year(), month, 1).expect("a first day");
        let next = first
            .checked_add_months(chrono::Months::new(months))
            .expect("a next period");
        Period { first, next, cycle }
    }

    /// The period's name: `2026-11`, `2026-Q4` or `2026`.
    pub fn name(&self) -> String {
        match self.cycle {
            SettlementCycle::Monthly => format!("{}-{:02}", self.first.year(), self.first.month()),
            SettlementCycle::Quarterly => {
                format!(
                    "{}-Q{}",
                    self.first.year(),
                    (self.first.month() - 1) / 3 + 1
                )
            }
            SettlementCycle::Yearly => self.first.year().to_string(),
        }
    }

    /// The cut-off: midnight (Asia/Shanghai) at the start of the next period.
    pub fn cut_off(&self) -> DateTime<Utc> {
        let midnight = self.next.and_hms_opt(0, 0, 0).expect("midnight exists");
        china_standard_time()
            .from_local_datetime(&midnight)
            .single()
            .expect("a fixed offset has one local time")
            .with_timezone(&Utc)
    }
}

/// Where a settlement run stands. Forward only: draft → frozen (its claims
/// locked, count and sum fixed as control totals) → approved (by a second
/// person: maker-checker) → exported (the bank file went out) → accepted
/// (the bank acknowledged it) → settled or partly settled (every item
/// booked, or some rejected or returned) → reconciled (no exception left) →
/// closed. Cancelled only before export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunStatus {
    Draft,
    Frozen,
    Approved,
    Exported,
    Accepted,
    Settled,
    PartlySettled,
    Reconciled,
    Closed,
    Cancelled,
}

crate::text_enum!(RunStatus {
    Draft => "draft",
    Frozen => "frozen",
    Approved => "approved",
    Exported => "exported",
    Accepted => "accepted",
    Settled => "settled",
    PartlySettled => "partly_settled",
    Reconciled => "reconciled",
    Closed => "closed",
    Cancelled => "cancelled",
});

impl RunStatus {
    /// Whether a run may still be cancelled (nothing went to the bank).
    pub fn may_cancel(self) -> bool {
        matches!(
            self,
            RunStatus::Draft | RunStatus::Frozen | RunStatus::Approved
        )
    }

    /// Whether the bank may still report on the run's payments.
    pub fn at_the_bank(self) -> bool {
        matches!(
            self,
            RunStatus::Exported
                | RunStatus::Accepted
                | RunStatus::Settled
                | RunStatus::PartlySettled
        )
    }
}

/// Where one payment of a run stands: included (frozen) → sent (exported)
/// → settled, rejected (the bank refused it) or returned (booked, then
/// sent back); a rejected or returned payment's claims are payable again.
/// `cancelled` with its run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemStatus {
    Included,
    Sent,
    Settled,
    Rejected,
    Returned,
    Cancelled,
}

crate::text_enum!(ItemStatus {
    Included => "included",
    Sent => "sent",
    Settled => "settled",
    Rejected => "rejected",
    Returned => "returned",
    Cancelled => "cancelled",
});

impl ItemStatus {
    /// Whether the bank has said the last word on it.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ItemStatus::Settled | ItemStatus::Rejected | ItemStatus::Returned
        )
    }
}

/// The run status once the bank has reported on every item: settled when
/// all were booked, partly settled when some came back; None while any is
/// still at the bank.
pub fn outcome(items: &[ItemStatus]) -> Option<RunStatus> {
    if items.iter().any(|s| !s.is_final()) {
        return None;
    }
    if items.iter().all(|s| *s == ItemStatus::Settled) {
        Some(RunStatus::Settled)
    } else {
        Some(RunStatus::PartlySettled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_settled_only_when_the_bank_reported_on_every_item() {
        use ItemStatus::*;
        assert_eq!(outcome(&[Settled, Sent]), None);
        assert_eq!(outcome(&[Settled, Settled]), Some(RunStatus::Settled));
        assert_eq!(
            outcome(&[Settled, Returned, Rejected]),
            Some(RunStatus::PartlySettled)
        );
        assert!(RunStatus::Approved.may_cancel());
        assert!(!RunStatus::Exported.may_cancel());
        for s in RunStatus::ALL {
            assert_eq!(s.as_str().parse::<RunStatus>(), Ok(*s));
        }
    }

    #[test]
    fn periods_of_each_cycle_and_their_cut_offs() {
        let month = Period::parse("2026-11", SettlementCycle::Monthly).unwrap();
        assert_eq!(month.first, NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
        assert_eq!(month.name(), "2026-11");
        // Midnight of 1 December in Shanghai is 16:00 UTC the day before.
        assert_eq!(month.cut_off().to_rfc3339(), "2026-11-30T16:00:00+00:00");
        let quarter = Period::parse("2026-Q4", SettlementCycle::Quarterly).unwrap();
        assert_eq!(quarter.next, NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
        assert_eq!(quarter.name(), "2026-Q4");
        let year = Period::parse("2026", SettlementCycle::Yearly).unwrap();
        assert_eq!(year.next, NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
        let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(Period::containing(day, SettlementCycle::Quarterly), quarter);
        assert_eq!(Period::containing(day, SettlementCycle::Monthly), month);
    }

    #[test]
    fn a_period_of_another_cycle_or_shape_is_refused() {
        for (text, cycle) in [
            ("2026-Q4", SettlementCycle::Monthly),
            ("2026-13", SettlementCycle::Monthly),
            ("2026-1", SettlementCycle::Monthly),
            ("2026-11", SettlementCycle::Quarterly),
            ("2026-Q5", SettlementCycle::Quarterly),
            ("26", SettlementCycle::Yearly),
            ("1999", SettlementCycle::Yearly),
        ] {
            assert!(Period::parse(text, cycle).is_err(), "{text}");
        }
    }
}
