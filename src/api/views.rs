//! What the API answers: its own response types, each built from a service
//! type field by field, with the OpenAPI schema the service types do not
//! carry. Amounts are decimal strings (`"1234.50"`), regions their codes,
//! states their snake_case names.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::Money;
use crate::service::{
    admissions, applications, budgets, claims, expiry, four_eyes, redemptions, reports, vouchers,
};

/// Declares a response type and its conversion from a service type with the
/// same fields (each converted with `Into`), named `$schema` in the OpenAPI.
macro_rules! view {
    (
        $(#[$meta:meta])*
        $name:ident as $schema:ident from $source:ty {
            $($(#[$field_meta:meta])* $field:ident: $ty:ty),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Serialize, ToSchema)]
        #[schema(as = $schema)]
        pub struct $name {
            $($(#[$field_meta])* pub $field: $ty,)+
        }

        impl From<$source> for $name {
            fn from(source: $source) -> Self {
                $name { $($field: source.$field.into(),)+ }
            }
        }
    };
}

view! {
    /// A company's application for a voucher.
    ApplicationView as Application from applications::Application {
        id: Uuid,
        company_id: Uuid,
        #[schema(example = "JX")]
        region: String,
        year: i32,
        #[schema(value_type = String, example = "100000.00")]
        amount: Money,
        purpose: String,
        /// `submitted`, `approved` or `rejected`.
        status: String,
        reason: Option<String>,
        voucher_id: Option<Uuid>,
        created_at: DateTime<Utc>,
        decided_at: Option<DateTime<Utc>>,
        /// What the company declared: `sme_registration`, `housed_in`,
        /// `housing_name`, `core_members` (only those it declared).
        #[schema(value_type = Object)]
        declared: crate::domain::eligibility::Declared,
        /// The company's district (city, county), where two-level review
        /// sends the application first.
        #[schema(example = "HZ")]
        district: Option<String>,
        /// The level it waits at, or was decided at: `district` (first
        /// level) or `region`.
        level: String,
        /// The amount the district recommended to the region.
        #[schema(value_type = Option<String>, example = "80000.00")]
        recommended: Option<Money>,
        /// Why the district recommended less than requested.
        review_reason: Option<String>,
        /// When the district recommended it.
        reviewed_at: Option<DateTime<Utc>>,
    }
}

view! {
    /// A voucher with its balances. `face_value = available + held +
    /// redeemed + expired + revoked`.
    VoucherView as Voucher from vouchers::Voucher {
        id: Uuid,
        #[schema(example = "JX-2026-000042")]
        serial: String,
        region: String,
        year: i32,
        holder_id: Uuid,
        /// `active`, `exhausted`, `expired` or `revoked`.
        status: String,
        #[schema(value_type = String, example = "100000.00")]
        face_value: Money,
        #[schema(value_type = String)]
        available: Money,
        #[schema(value_type = String)]
        held: Money,
        #[schema(value_type = String)]
        redeemed: Money,
        #[schema(value_type = String)]
        expired: Money,
        #[schema(value_type = String)]
        revoked: Money,
        /// Last day for new holds (Asia/Shanghai).
        use_until: NaiveDate,
        /// Last day for completions and claims (Asia/Shanghai).
        claim_until: NaiveDate,
        issued_at: DateTime<Utc>,
        /// The district fund it was issued from (its district's code);
        /// none: the region's own budget.
        #[schema(example = "YH")]
        fund: Option<String>,
    }
}

view! {
    /// A redemption: an amount of a voucher held against a service contract.
    RedemptionView as Redemption from redemptions::Redemption {
        id: Uuid,
        voucher_id: Uuid,
        /// The issuing region (who pays).
        region: String,
        provider_id: Uuid,
        provider_region: String,
        #[schema(example = "SHT-2026-0117")]
        contract_no: String,
        #[schema(value_type = String, example = "200000.00")]
        contract_amount: Money,
        #[schema(example = "testing")]
        service_category: String,
        /// The amount held.
        #[schema(value_type = String, example = "100000.00")]
        amount: Money,
        #[schema(value_type = String, example = "0.00")]
        completed_amount: Money,
        /// `held`, `completed`, `cancelled` or `expired`.
        status: String,
        claim_id: Option<Uuid>,
        created_at: DateTime<Utc>,
        resolved_at: Option<DateTime<Utc>>,
    }
}

view! {
    /// A decision waiting for (or given) a second person of the regulator
    /// (four eyes).
    ConfirmationView as Confirmation from four_eyes::Confirmation {
        id: Uuid,
        region: String,
        /// `claim.pay` or `voucher.revoke`.
        action: String,
        /// The claim or voucher.
        target_id: Uuid,
        #[schema(value_type = String, example = "100000.00")]
        amount: Money,
        /// What the person who asked gave (the bank reference, the reason).
        #[schema(value_type = Object)]
        detail: serde_json::Value,
        /// The person who asked.
        requested_by: Uuid,
        requested_at: DateTime<Utc>,
        /// `pending`, `confirmed` or `withdrawn`.
        status: String,
        /// The person who confirmed or withdrew it.
        decided_by: Option<Uuid>,
        decided_at: Option<DateTime<Utc>>,
    }
}

view! {
    /// A settlement claim.
    ClaimView as Claim from claims::Claim {
        id: Uuid,
        /// The issuing region that pays.
        region: String,
        provider_id: Uuid,
        invoice_no: String,
        #[schema(value_type = String, example = "100000.00")]
        amount: Money,
        /// `submitted`, `approved`, `rejected` or `paid`.
        status: String,
        redemption_ids: Vec<Uuid>,
        reason: Option<String>,
        bank_reference: Option<String>,
        created_at: DateTime<Utc>,
        decided_at: Option<DateTime<Utc>>,
        paid_at: Option<DateTime<Utc>>,
    }
}

/// A region's budget for a fiscal year, its district funds' included.
/// `unissued` is what may still be issued: `appropriated − issued +
/// returned`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Budget)]
pub struct BudgetView {
    pub region: String,
    pub year: i32,
    #[schema(value_type = String, example = "1000000.00")]
    pub appropriated: Money,
    /// Face value of every voucher issued.
    #[schema(value_type = String, example = "250000.00")]
    pub issued: Money,
    /// Unused money returned by expired and revoked vouchers.
    #[schema(value_type = String, example = "0.00")]
    pub returned: Money,
    #[schema(value_type = String, example = "750000.00")]
    pub unissued: Money,
    /// The district funds' parts of these figures.
    pub funds: Vec<FundBudgetView>,
}

impl From<budgets::Budget> for BudgetView {
    fn from(b: budgets::Budget) -> Self {
        BudgetView {
            region: b.region.into(),
            year: b.year,
            appropriated: b.appropriated,
            issued: b.issued,
            returned: b.returned,
            unissued: b.unissued,
            funds: b.funds.into_iter().map(FundBudgetView::from).collect(),
        }
    }
}

view! {
    /// A district fund's budget for a fiscal year: a part of its region's.
    FundBudgetView as FundBudget from budgets::FundBudget {
        /// The district's code.
        #[schema(example = "YH")]
        fund: String,
        #[schema(value_type = String, example = "500000.00")]
        appropriated: Money,
        #[schema(value_type = String, example = "20000.00")]
        issued: Money,
        #[schema(value_type = String, example = "0.00")]
        returned: Money,
        #[schema(value_type = String, example = "480000.00")]
        unissued: Money,
    }
}

view! {
    /// A provider's admission to a region's programme.
    AdmissionView as Admission from admissions::Admission {
        region: String,
        provider_id: Uuid,
        provider_region: String,
        #[schema(example = json!(["testing", "rnd"]))]
        categories: Vec<String>,
        admitted_at: DateTime<Utc>,
    }
}

view! {
    /// What an expiry run did.
    ExpiryReportView as ExpiryReport from expiry::ExpiryReport {
        vouchers_expired: u64,
        holds_expired: u64,
    }
}

view! {
    /// The figures of a region and fiscal year.
    SummaryView as Summary from reports::Summary {
        region: String,
        year: i32,
        #[schema(value_type = String)]
        appropriated: Money,
        /// Face value of the vouchers issued.
        #[schema(value_type = String)]
        issued: Money,
        /// Unissued budget: appropriated − issued + returned.
        #[schema(value_type = String)]
        unissued: Money,
        /// Returned to the budget by expiry and revocation.
        #[schema(value_type = String)]
        returned: Money,
        vouchers_issued: i64,
        /// Available on vouchers.
        #[schema(value_type = String)]
        available: Money,
        /// Held for open redemptions.
        #[schema(value_type = String)]
        held: Money,
        /// Completed redemptions.
        #[schema(value_type = String)]
        redeemed: Money,
        /// Completed amounts in open or paid claims.
        #[schema(value_type = String)]
        claimed: Money,
        #[schema(value_type = String)]
        paid: Money,
        /// Completed, not yet paid nor sent to the bank.
        #[schema(value_type = String)]
        payable: Money,
        /// In a settlement run's bank file, not yet booked.
        #[schema(value_type = String)]
        in_transit: Money,
        /// Sent back by the bank (rejected or returned payments), payable again.
        #[schema(value_type = String)]
        bank_returned: Money,
        #[schema(value_type = String)]
        expired: Money,
        #[schema(value_type = String)]
        revoked: Money,
        /// What the fund may still pay for this year's vouchers: available + held + payable + in transit.
        #[schema(value_type = String)]
        outstanding: Money,
        companies_served: i64,
        providers_served: i64,
    }
}

view! {
    /// One cell of the cross-region matrix.
    CellView as Cell from reports::Cell {
        issuer_region: String,
        provider_region: String,
        #[schema(value_type = String)]
        completed: Money,
        #[schema(value_type = String)]
        paid: Money,
        /// In settlement runs' bank files, not yet booked.
        #[schema(value_type = String)]
        in_transit: Money,
        /// Sent back by the bank, payable again.
        #[schema(value_type = String)]
        bank_returned: Money,
        /// Completed redemptions.
        count: i64,
    }
}

/// The cross-region matrix of a fiscal year.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = CrossRegion)]
pub struct CrossRegionView {
    pub year: i32,
    pub cells: Vec<CellView>,
}

impl From<reports::CrossRegion> for CrossRegionView {
    fn from(m: reports::CrossRegion) -> Self {
        CrossRegionView {
            year: m.year,
            cells: m.cells.into_iter().map(CellView::from).collect(),
        }
    }
}

/// An admission, and whether it is new.
impl From<admissions::Admitted> for AdmissionView {
    fn from(a: admissions::Admitted) -> Self {
        a.admission.into()
    }
}

view! {
    /// Who acted.
    EventActorView as EventActor from crate::audit::EventActor {
        /// The organisation (an API client), the operator credential, or the
        /// person (a user id) when `via` is `portal`.
        sub: String,
        role: String,
        region: Option<String>,
        /// `portal` when a person acted through the portal; absent otherwise.
        #[serde(skip_serializing_if = "Option::is_none")]
        via: Option<String>,
    }
}

view! {
    /// An audit event.
    EventView as Event from crate::audit::Event {
        seq: i64,
        id: Uuid,
        /// The operation that caused the event (hashed with it).
        operation_id: Uuid,
        region: String,
        occurred_at: DateTime<Utc>,
        actor: EventActorView,
        action: String,
        entity_type: String,
        entity_id: String,
        request_id: Option<String>,
        idempotency_key: Option<String>,
        /// What changed: the entity after the change, and the transfers posted
        /// (`transfers: [{id, code, year, legs: [{account_id, amount_fen}]}]`).
        #[schema(value_type = Object)]
        payload: serde_json::Value,
        prev_hash: String,
        hash: String,
    }
}

view! {
    /// The outcome of a verification of a region's audit chain.
    VerificationView as Verification from crate::audit::Verification {
        region: String,
        ok: bool,
        events_checked: u64,
        head_seq: i64,
        head_hash: String,
        /// The first sequence number at which something is wrong.
        first_bad_seq: Option<i64>,
        /// What is wrong, for people (at most 20 lines).
        problems: Vec<String>,
    }
}
