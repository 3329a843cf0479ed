//! Policy what-if (see [`crate::rules::what_if`]): a region-year's
//! applications, approvals and holds read from one read-only snapshot and
//! replayed under a draft policy version. Nothing is written.
//!
//! The order of the replay is the order of the ledger's transfers (their
//! ids are time-ordered UUIDs): an approval at its `issue`, a revocation at
//! its `revoke`, a hold at its `hold`, and its resolution at its first
//! `complete`, `release` or `expire`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

use super::eligibility::declared_of;
use super::{Ctx, Done, Operation, Service, ServiceError, ServiceResult};
use crate::domain::access::{self, Action};
use crate::domain::clock::shanghai_date;
use crate::domain::eligibility::Declared;
use crate::domain::{
    Actor, ApplicationStatus, CompanyType, DomainError, Money, OrgKind, RedemptionStatus, Region,
};
use crate::rules::what_if::{self, Company, Hold, Outcome, Step};
use crate::rules::{LastYearVoucher, PolicyVersion};
use crate::store::entities::{
    applications, budgets, organizations, redemptions, transfers, vouchers,
};

/// Replays of each region in this instance: one runs at a time (each
/// reads a whole year and keeps a core busy), at most [`MOST_WAITING`] wait
/// behind it, and more are refused (429) rather than queued without bound.
/// A caller that goes away gives its place up, and a replay whose caller
/// went away stops. One region's line never holds up another's.
static LINES: LazyLock<Mutex<HashMap<Region, Arc<Line>>>> = LazyLock::new(Default::default);

/// How many replays of a region may wait behind the one running.
pub const MOST_WAITING: usize = 4;

/// A region's line: its one turn, and how many hold a place (running or
/// waiting).
struct Line {
    turn: Arc<Semaphore>,
    places: AtomicUsize,
}

/// A place in a region's line, given up when dropped.
pub struct Place {
    line: Arc<Line>,
    _turn: Option<OwnedSemaphorePermit>,
}

impl Drop for Place {
    fn drop(&mut self) {
        self.line.places.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Waits for `region`'s turn; refused at once when the line is full.
pub async fn take_turn(region: &Region) -> ServiceResult<Place> {
    let line = LINES
        .lock()
        .expect("what-if lines")
        .entry(region.clone())
        .or_insert_with(|| {
            Arc::new(Line {
                turn: Arc::new(Semaphore::new(1)),
                places: AtomicUsize::new(0),
            })
        })
        .clone();
    let mut place = Place {
        line: line.clone(),
        _turn: None,
    };
    if line.places.fetch_add(1, Ordering::SeqCst) > MOST_WAITING {
        return Err(ServiceError::QueueFull {
            retry_after_secs: 5,
        });
    }
    let turn = line.turn.clone().acquire_owned().await;
    place._turn = Some(turn.map_err(|e| ServiceError::Internal(format!("what-if: {e}")))?);
    Ok(place)
}

/// A replay's answer, kept under the request's idempotency key like every
/// POST's (the replay itself reads a snapshot outside the write path): a
/// repeat with the same body gets this answer again, another body under the
/// same key is refused.
///
/// Refusals, in the order they are checked: none (the replay was refused,
/// if at all, before it ran).
#[derive(Debug, Clone)]
pub struct Answered(pub WhatIf);

impl Operation for Answered {
    type Output = WhatIf;

    async fn run(self, _: &DatabaseTransaction, _: &Ctx) -> ServiceResult<Done<WhatIf>> {
        Ok(Done::unrecorded(self.0))
    }
}

/// Set when dropped: the replay of a caller that went away stops.
struct Abandoned(Arc<AtomicBool>);

impl Drop for Abandoned {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// A what-if's answer: the version in force for the year and what the
/// draft would have changed.
#[derive(Debug, Clone)]
pub struct WhatIf {
    pub region: Region,
    pub year: i32,
    /// `effective_from` of the version in force for the year.
    pub in_force: chrono::NaiveDate,
    pub outcome: Outcome,
}

/// What a what-if found, summed and counted over the draft's rules: the
/// figures the API answers and the portal shows.
#[derive(Debug, Clone)]
pub struct WhatIfSummary {
    pub region: Region,
    pub year: i32,
    /// `effective_from` of the version that was in force.
    pub policy_in_force: chrono::NaiveDate,
    pub replayed: ReplayCounts,
    pub applications_refused: u64,
    pub applications_reduced: u64,
    /// By how much approvals would have been lower in all.
    pub applications_reduced_by: Money,
    pub holds_refused: u64,
    pub holds_refused_amount: Money,
    pub companies_affected: u64,
    pub budget: BudgetChange,
    pub by_rule: Vec<RuleChange>,
    /// Every difference, counted.
    pub differences_total: u64,
}

/// How many of each were replayed.
#[derive(Debug, Clone)]
pub struct ReplayCounts {
    pub applications: u64,
    pub approvals: u64,
    pub holds: u64,
}

/// The year's budget, as it went and under the draft.
#[derive(Debug, Clone)]
pub struct BudgetChange {
    pub issued_actual: Money,
    pub issued_draft: Money,
    /// Issued under the draft minus issued (negative: budget left unissued).
    pub issued_change: Money,
    pub held_actual: Money,
    pub held_draft: Money,
}

/// The differences one rule of the draft made.
#[derive(Debug, Clone)]
pub struct RuleChange {
    /// The policy key (`enterprise_cap`, `contract_share`, …), or
    /// `voucher_balance` for holds the draft's smaller vouchers cannot pay.
    pub rule: String,
    pub applications_refused: u64,
    pub applications_reduced: u64,
    pub applications_amount: Money,
    pub holds_refused: u64,
    pub holds_amount: Money,
}

impl WhatIf {
    /// The figures of this what-if, summed over its rules.
    pub fn summary(&self) -> WhatIfSummary {
        let o = &self.outcome;
        let sum = |f: fn(&what_if::Tally) -> Money| {
            o.by_rule
                .values()
                .map(f)
                .fold(Money::ZERO, |a, b| a.checked_add(b).unwrap_or(a))
        };
        let count = |f: fn(&what_if::Tally) -> u64| o.by_rule.values().map(f).sum();
        WhatIfSummary {
            region: self.region.clone(),
            year: self.year,
            policy_in_force: self.in_force,
            replayed: ReplayCounts {
                applications: o.applications,
                approvals: o.approvals,
                holds: o.holds,
            },
            applications_refused: count(|t| t.applications_refused),
            applications_reduced: count(|t| t.applications_reduced),
            applications_reduced_by: sum(|t| t.applications_amount),
            holds_refused: count(|t| t.holds_refused),
            holds_refused_amount: sum(|t| t.holds_amount),
            companies_affected: o.companies_affected.len() as u64,
            budget: BudgetChange {
                issued_actual: o.issued_actual,
                issued_draft: o.issued_draft,
                issued_change: Money::from_fen(o.issued_draft.fen() - o.issued_actual.fen()),
                held_actual: o.held_actual,
                held_draft: o.held_draft,
            },
            by_rule: o
                .by_rule
                .iter()
                .map(|(rule, t)| RuleChange {
                    rule: (*rule).to_owned(),
                    applications_refused: t.applications_refused,
                    applications_reduced: t.applications_reduced,
                    applications_amount: t.applications_amount,
                    holds_refused: t.holds_refused,
                    holds_amount: t.holds_amount,
                })
                .collect(),
            differences_total: o.differences.len() as u64,
        }
    }
}

/// Replays `region`'s fiscal year `year` under `draft`: the region's
/// regulator only (as for the rest of its programme).
pub async fn run(
    service: &Service,
    actor: &Actor,
    region: &Region,
    year: i32,
    draft: &PolicyVersion,
) -> ServiceResult<WhatIf> {
    access::permit_in_region(actor, Action::ManageProgramme, region)?;
    let rules = service.rules.get(region).ok_or(DomainError::NotFound)?;
    let in_force = rules.version(year)?.effective_from;
    let _place = take_turn(region).await?;
    let txn = service.db.begin_read().await?;
    let appropriated = budgets::Entity::find_by_id((region.clone(), year))
        .one(&txn)
        .await?
        .map_or(Money::ZERO, |b| Money::from_fen(b.appropriated));
    let companies = companies(&txn, region, year).await?;
    let steps = steps(&txn, region, year).await?;
    txn.commit().await?;
    // The replay is CPU work: off the async workers. It stops early when
    // this future is dropped (the caller went away).
    let (registry, draft, of) = (service.rules.clone(), draft.clone(), region.clone());
    let abandoned = Abandoned(Arc::new(AtomicBool::new(false)));
    let gone = abandoned.0.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let rules = registry.get(&of).expect("an issuing region, found above");
        let steps = steps
            .into_iter()
            .take_while(|_| !gone.load(Ordering::Relaxed));
        what_if::replay(rules, &draft, year, appropriated, &companies, steps)
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("what-if: {e}")))?;
    Ok(WhatIf {
        region: region.clone(),
        year,
        in_force,
        outcome,
    })
}

/// Every company, with its type, region, cap group and its vouchers of
/// `region` from the year before `year` that expired with part unused.
async fn companies<C: sea_orm::ConnectionTrait>(
    txn: &C,
    region: &Region,
    year: i32,
) -> ServiceResult<HashMap<Uuid, Company>> {
    let mut idle: HashMap<Uuid, Vec<LastYearVoucher>> = HashMap::new();
    let expired = vouchers::Entity::find()
        .filter(vouchers::Column::Region.eq(region.clone()))
        .filter(vouchers::Column::Year.eq(year - 1))
        .filter(vouchers::Column::Expired.gt(0))
        .all(txn)
        .await?;
    for v in expired {
        idle.entry(v.holder_id).or_default().push(LastYearVoucher {
            serial: v.serial,
            face_value: Money::from_fen(v.face_value),
            unused: Money::from_fen(v.expired),
        });
    }
    let rows: Vec<(Uuid, Region, Option<CompanyType>, Option<String>)> =
        organizations::Entity::find()
            .select_only()
            .columns([
                organizations::Column::Id,
                organizations::Column::Region,
                organizations::Column::CompanyType,
                organizations::Column::ControllerKey,
            ])
            .filter(organizations::Column::Kind.eq(OrgKind::Company))
            .into_tuple()
            .all(txn)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id, region, company_type, controller)| {
            let company = Company {
                company_type: company_type.unwrap_or(CompanyType::Enterprise),
                region,
                cap_group: controller.map_or_else(|| id.to_string(), |c| format!("controller:{c}")),
                last_year: idle.remove(&id).unwrap_or_default(),
            };
            (id, company)
        })
        .collect())
}

/// An application as the replay reads it: id, company, time, status and
/// what was declared.
type Applied = (Uuid, Uuid, DateTime<Utc>, ApplicationStatus, Option<String>);

/// A transfer as the replay orders it: id, code, voucher, redemption, time.
type Moved = (Uuid, String, Option<Uuid>, Option<Uuid>, DateTime<Utc>);

/// The region-year's steps, in the order they happened.
async fn steps<C: sea_orm::ConnectionTrait>(
    txn: &C,
    region: &Region,
    year: i32,
) -> ServiceResult<Vec<(DateTime<Utc>, Step)>> {
    let applied: Vec<Applied> = applications::Entity::find()
        .select_only()
        .columns([
            applications::Column::Id,
            applications::Column::CompanyId,
            applications::Column::CreatedAt,
            applications::Column::Status,
            applications::Column::Declared,
        ])
        .filter(applications::Column::Region.eq(region.clone()))
        .filter(applications::Column::Year.eq(year))
        .into_tuple()
        .all(txn)
        .await?;
    let mut declared: HashMap<Uuid, Declared> = HashMap::new();
    let mut waiting = Vec::new();
    for (id, company, at, status, facts) in applied {
        if status == ApplicationStatus::Approved {
            declared.insert(id, declared_of(facts.as_deref()));
        } else {
            waiting.push((id, company, at, declared_of(facts.as_deref())));
        }
    }
    type Issued = (Uuid, Uuid, i64, Option<String>);
    let issued: HashMap<Uuid, Issued> = vouchers::Entity::find()
        .select_only()
        .columns([
            vouchers::Column::Id,
            vouchers::Column::ApplicationId,
            vouchers::Column::HolderId,
            vouchers::Column::FaceValue,
            vouchers::Column::Fund,
        ])
        .filter(vouchers::Column::Region.eq(region.clone()))
        .filter(vouchers::Column::Year.eq(year))
        .into_tuple::<(Uuid, Uuid, Uuid, i64, Option<String>)>()
        .all(txn)
        .await?
        .into_iter()
        .map(|(id, app, holder, face, fund)| (id, (app, holder, face, fund)))
        .collect();
    let held: HashMap<Uuid, redemptions::Model> = redemptions::Entity::find()
        .filter(redemptions::Column::Region.eq(region.clone()))
        .filter(redemptions::Column::Year.eq(year))
        .all(txn)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let mut moved: Vec<Moved> = transfers::Entity::find()
        .select_only()
        .columns([
            transfers::Column::Id,
            transfers::Column::Code,
            transfers::Column::VoucherId,
            transfers::Column::RedemptionId,
            transfers::Column::CreatedAt,
        ])
        .filter(transfers::Column::Region.eq(region.clone()))
        .filter(transfers::Column::Year.eq(year))
        .filter(
            transfers::Column::Code
                .is_in(["issue", "revoke", "hold", "complete", "release", "expire"]),
        )
        .into_tuple()
        .all(txn)
        .await?;
    moved.sort_by_key(|t| t.0);
    let mut steps: Vec<(DateTime<Utc>, Step)> = waiting
        .into_iter()
        .map(|(application, company, at, declared)| {
            (
                at,
                Step::Applied {
                    application,
                    company,
                    declared,
                },
            )
        })
        .collect();
    let mut resolved = std::collections::HashSet::new();
    for (_, code, voucher, redemption, at) in moved {
        let step = match (code.as_str(), voucher, redemption) {
            ("issue", Some(v), _) => issued
                .get(&v)
                .map(|(app, holder, face, fund)| Step::Issued {
                    application: *app,
                    voucher: v,
                    company: *holder,
                    amount: Money::from_fen(*face),
                    declared: declared.get(app).cloned().unwrap_or_default(),
                    fund: fund.clone(),
                }),
            ("revoke", Some(v), _) => Some(Step::Revoked { voucher: v }),
            ("hold", _, Some(r)) => held.get(&r).map(|r| {
                Step::Held(Hold {
                    redemption: r.id,
                    voucher: r.voucher_id,
                    company: r.company_id,
                    provider_region: r.provider_region.clone(),
                    category: r.service_category.clone(),
                    day: shanghai_date(r.created_at),
                    contract_amount: Money::from_fen(r.contract_amount),
                    amount: Money::from_fen(r.amount),
                })
            }),
            ("complete" | "release" | "expire", _, Some(r)) if resolved.insert(r) => {
                held.get(&r).map(|r| Step::Resolved {
                    redemption: r.id,
                    kept: if r.status == RedemptionStatus::Completed {
                        Money::from_fen(r.completed_amount)
                    } else {
                        Money::ZERO
                    },
                })
            }
            _ => None,
        };
        steps.extend(step.map(|step| (at, step)));
    }
    Ok(steps)
}

#[cfg(test)]
#[path = "what_if_tests.rs"]
mod tests;
