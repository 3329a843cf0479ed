//! What an operation runs with: who acts, when, under which rules, and
//! what it posted so far. Money moves only through [`Ctx::post`].

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use super::movements;
use super::orgs::OrgCache;
use crate::audit::Heads;
use crate::domain::clock::shanghai_date;
use crate::domain::{Actor, DomainError, Money, Region, Rule};
use crate::ledger::{self, Posted, Transfer};
use crate::rules::{RegionRules, Registry};
use crate::service::error::{ServiceError, ServiceResult, Short};

/// Who acts, when, and under which rules; and what the operation posted.
pub struct Ctx {
    pub actor: Actor,
    pub now: DateTime<Utc>,
    pub rules: Arc<Registry>,
    /// This operation: its transfers and its audit events share the id.
    pub operation: Uuid,
    /// Organisations already read.
    pub orgs: Arc<OrgCache>,
    /// The chain heads the transaction holds already.
    pub(super) heads: Heads,
    pub(super) posted: Mutex<Vec<Posted>>,
}

impl Ctx {
    /// A context for `actor` at `now`.
    pub fn new(
        actor: Actor,
        now: DateTime<Utc>,
        rules: Arc<Registry>,
        orgs: Arc<OrgCache>,
    ) -> Self {
        Ctx {
            actor,
            now,
            rules,
            operation: Uuid::now_v7(),
            orgs,
            heads: Heads::new(),
            posted: Mutex::new(Vec::new()),
        }
    }

    /// Posts a transfer and every figure derived from it (see
    /// [`movements`]), and keeps it for the operation's audit event.
    pub async fn post<C: ConnectionTrait>(&self, txn: &C, transfer: Transfer) -> ServiceResult<()> {
        let stamp = ledger::Stamp {
            at: self.now,
            operation: self.operation,
        };
        match movements::post(txn, &transfer, &stamp).await {
            Ok(posted) => {
                self.posted.lock().expect("journal lock").push(posted);
                Ok(())
            }
            Err(ServiceError::Domain(err)) if err.rule().is_some() => {
                Err(self.shortfall(txn, &transfer, err).await?.into())
            }
            Err(err) => Err(err),
        }
    }

    /// Completes the rule of a balance the ledger found too small: the
    /// policy version, and what the balance was out of (the voucher's face
    /// value, the year's appropriation) and how much of it was used.
    async fn shortfall<C: ConnectionTrait>(
        &self,
        txn: &C,
        transfer: &Transfer,
        err: DomainError,
    ) -> ServiceResult<DomainError> {
        use crate::store::entities::{budgets, vouchers};
        let Some(found) = err.rule() else {
            return Ok(err);
        };
        let mut rule = Rule {
            requested: found.requested.clone(),
            allowed: found.allowed.clone(),
            ..self.rule(found.id, &transfer.region, transfer.year)
        };
        let out_of = match Short::named(rule.id) {
            None => None,
            Some(Short::VoucherBalance) => match transfer.voucher_id {
                Some(id) => vouchers::Entity::find_by_id(id)
                    .one(txn)
                    .await?
                    .map(|v| Money::from_fen(v.face_value)),
                None => None,
            },
            Some(Short::Appropriation) => {
                budgets::Entity::find_by_id((transfer.region.clone(), transfer.year))
                    .one(txn)
                    .await?
                    .map(|b| Money::from_fen(b.appropriated))
            }
        };
        if let (Some(limit), Some(allowed)) = (out_of, rule.allowed_money()) {
            rule = rule
                .limit(limit)
                .used(limit.checked_sub(allowed).unwrap_or_default());
        }
        Ok(err.with_rule(rule))
    }

    /// What the operation posted so far.
    pub(super) fn take_posted(&self) -> Vec<Posted> {
        std::mem::take(&mut *self.posted.lock().expect("journal lock"))
    }

    /// The rules of an issuing region (404 for a region that is not one).
    pub fn rules_for(&self, region: &Region) -> Result<&dyn RegionRules, DomainError> {
        self.rules.get(region).ok_or(DomainError::NotFound)
    }

    /// The rule `id` of `region`'s policy for fiscal year `year`, for a
    /// refusal the service makes (the version left out if none covers it).
    pub fn rule(&self, id: &'static str, region: &Region, year: i32) -> Rule {
        match self.rules.get(region).and_then(|r| r.version(year).ok()) {
            Some(v) => v.rule(id, region),
            None => Rule::named(id, region),
        }
    }

    /// The fiscal year now, in Asia/Shanghai.
    pub fn fiscal_year(&self) -> i32 {
        use chrono::Datelike;
        shanghai_date(self.now).year()
    }
}
