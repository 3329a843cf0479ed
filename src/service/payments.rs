//! Paying a claim: the decision of the issuer's regulator, under four eyes
//! when the region's policy says so ([`super::four_eyes`]).

use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use super::claims::{pay, Claim};
use super::four_eyes::{self, Decided};
use super::locks::lock_claim;
use super::{Ctx, Done, Operation, ServiceResult};
use crate::domain::{text, ClaimStatus, Money};

/// The issuer's regulator pays an approved claim: what the provider is owed
/// moves to paid, per fiscal year of the redemptions. Under four eyes (the
/// region's policy), the payment waits for a second person of the
/// regulator to confirm it ([`super::confirmations`]) and this answers the
/// request that waits.
///
/// Refusals, in the order they are checked:
/// 1. `validation_failed` (`bank_reference`): blank, over 128 characters, or with
///    control, zero-width or bidi characters.
/// 2. `forbidden`: the caller is not a regulator.
/// 3. `not_found`: the claim does not exist or is of another region.
/// 4. `invalid_state`: the claim is not approved (submitted, rejected or
///    paid), or a settlement run is paying it, or the region publishes
///    its payment lists before paying (`notice_days`: a run pays it).
/// 5. `forbidden`: under four eyes, the caller is an API client, not a person.
#[derive(Debug, Clone)]
pub struct PayClaim {
    pub id: Uuid,
    pub bank_reference: String,
}

/// The audit action of a payment.
pub const PAY: &str = "claim.pay";

impl Operation for PayClaim {
    type Output = Decided<Claim>;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Self::Output>> {
        let bank_reference = text::clean("bank_reference", &self.bank_reference, 128)?;
        let claim = lock_claim(txn, ctx, self.id, &[ClaimStatus::Approved]).await?;
        super::claims::outside_runs(&claim)?;
        super::notices::paid_in_runs(ctx, &claim.region)?;
        let detail = serde_json::json!({ "bank_reference": bank_reference });
        let amount = Money::from_fen(claim.amount);
        let asked =
            four_eyes::ask(txn, ctx, &claim.region, PAY, claim.id, Some(amount), detail).await?;
        if let Some(waiting) = asked {
            return four_eyes::awaiting(waiting);
        }
        let claim = pay(txn, ctx, self.id, &bank_reference).await?;
        four_eyes::done(claim, PAY, "claim")
    }
}
