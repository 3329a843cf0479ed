//! The states of what the programme tracks. Each changes only forward, and
//! each is resolved at most once (the use cases guard every change with the
//! state it expects).

use crate::text_enum;

/// A voucher's stored state. `exhausted` is not stored: it is an active
/// voucher with nothing available or held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VoucherState {
    Active,
    Expired,
    Revoked,
}

/// A voucher's status as people see it: its stored state, with an active
/// voucher that has nothing available or held shown as exhausted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VoucherStatus {
    Active,
    Exhausted,
    Expired,
    Revoked,
}

impl VoucherStatus {
    /// The status of a voucher in `state` with these balances.
    pub fn of(state: VoucherState, nothing_left: bool) -> Self {
        match state {
            VoucherState::Active if nothing_left => VoucherStatus::Exhausted,
            VoucherState::Active => VoucherStatus::Active,
            VoucherState::Expired => VoucherStatus::Expired,
            VoucherState::Revoked => VoucherStatus::Revoked,
        }
    }
}

/// Where a redemption stands: held, then completed, cancelled or expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RedemptionStatus {
    Held,
    Completed,
    Cancelled,
    Expired,
}

/// Where an application stands: submitted, then approved or rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApplicationStatus {
    Submitted,
    Approved,
    Rejected,
}

/// Where a settlement claim stands: submitted, approved, then paid; or
/// rejected before it is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClaimStatus {
    Submitted,
    Approved,
    Rejected,
    Paid,
}

text_enum!(VoucherState { Active => "active", Expired => "expired", Revoked => "revoked" });
text_enum!(VoucherStatus {
    Active => "active",
    Exhausted => "exhausted",
    Expired => "expired",
    Revoked => "revoked",
});
text_enum!(RedemptionStatus {
    Held => "held",
    Completed => "completed",
    Cancelled => "cancelled",
    Expired => "expired",
});
text_enum!(ApplicationStatus {
    Submitted => "submitted",
    Approved => "approved",
    Rejected => "rejected",
});
text_enum!(ClaimStatus {
    Submitted => "submitted",
    Approved => "approved",
    Rejected => "rejected",
    Paid => "paid",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_through_text() {
        for s in RedemptionStatus::ALL {
            assert_eq!(s.as_str().parse::<RedemptionStatus>(), Ok(*s));
        }
        for s in ClaimStatus::ALL {
            assert_eq!(s.to_string().parse::<ClaimStatus>(), Ok(*s));
        }
        assert!("exhausted".parse::<VoucherState>().is_err());
        assert_eq!(
            serde_json::to_string(&ApplicationStatus::Approved).unwrap(),
            "\"approved\""
        );
    }
}
