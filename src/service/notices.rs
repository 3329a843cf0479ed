//! Public notice (公示): where a region's policy gives `notice_days`, an
//! admission and a settlement run's payment list are published that many
//! days before they take effect. Anyone may object; an objection the
//! regulator upholds withdraws the decision, and one still open holds it
//! until the regulator answers ([`super::notice_effect`]).

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use uuid::Uuid;

use super::engine;
use super::{Ctx, Done, Operation, Recorded, ServiceResult};
use crate::audit::Entry;
use crate::domain::access::{self, Action};
use crate::domain::notice::{self, NoticeKind, NoticeStatus, ObjectionStatus};
use crate::domain::{DomainError, Refusal, Region};
use crate::store::entities::{notices, objections};

/// A published decision.
#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    pub id: Uuid,
    pub region: Region,
    pub kind: NoticeKind,
    /// The provider admitted, or the settlement run paying.
    pub subject_id: Uuid,
    pub title: String,
    /// What is published (the provider and its categories; the payments).
    pub detail: serde_json::Value,
    pub published_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: NoticeStatus,
    pub settled_at: Option<DateTime<Utc>>,
    /// Objections filed (their content is the regulator's to read).
    pub objections: u64,
}

impl Recorded for Notice {
    fn audit_region(&self) -> &Region {
        &self.region
    }
    fn audit_id(&self) -> String {
        self.id.to_string()
    }
}

pub(super) fn notice_of(m: notices::Model, objections: u64) -> Notice {
    Notice {
        id: m.id,
        region: m.region,
        kind: m.kind,
        subject_id: m.subject_id,
        title: m.title,
        detail: serde_json::from_str(&m.detail).unwrap_or(serde_json::Value::Null),
        published_at: m.published_at,
        ends_at: m.ends_at,
        status: m.status,
        settled_at: m.settled_at,
        objections,
    }
}

/// An objection, as the regulator reads it.
#[derive(Debug, Clone, Serialize)]
pub struct Objection {
    pub id: Uuid,
    pub notice_id: Uuid,
    pub region: Region,
    pub name: String,
    pub contact: String,
    pub text: String,
    pub created_at: DateTime<Utc>,
    pub status: ObjectionStatus,
    pub note: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl From<objections::Model> for Objection {
    fn from(m: objections::Model) -> Self {
        Objection {
            id: m.id,
            notice_id: m.notice_id,
            region: m.region,
            name: m.name,
            contact: m.contact,
            text: m.text,
            created_at: m.created_at,
            status: m.status,
            note: m.note,
            decided_at: m.decided_at,
        }
    }
}

/// What the audit trail records of an objection: not how to reach the
/// person who filed it.
#[derive(Debug, Serialize)]
struct ObjectionEvent<'a> {
    id: Uuid,
    notice_id: Uuid,
    name: &'a str,
    text: &'a str,
    status: ObjectionStatus,
    note: Option<&'a str>,
}

impl Objection {
    pub(super) fn event(&self, action: &'static str) -> ServiceResult<Entry> {
        let payload = ObjectionEvent {
            id: self.id,
            notice_id: self.notice_id,
            name: &self.name,
            text: &self.text,
            status: self.status,
            note: self.note.as_deref(),
        };
        engine::entry(
            &self.region,
            action,
            "objection",
            self.id.to_string(),
            &payload,
        )
    }
}

/// The notice days of `region`'s policy for the current fiscal year.
pub(super) fn days(ctx: &Ctx, region: &Region) -> Option<u32> {
    let rules = ctx.rules.get(region)?;
    rules.version(ctx.fiscal_year()).ok()?.notice_days
}

/// Refuses to pay a claim alone in a region that publishes its payment
/// lists before paying (`notice_days`): a settlement run pays it.
pub(super) fn paid_in_runs(ctx: &Ctx, region: &Region) -> ServiceResult<()> {
    match days(ctx, region) {
        None => Ok(()),
        Some(days) => Err(DomainError::refused(
            Refusal::InvalidState,
            format!(
                "{region} publishes its payment lists for {days} days before paying: pay the \
                 claim in a settlement run"
            ),
        )
        .into()),
    }
}

/// Publishes a decision for `days` days; answers the notice and its
/// `notice.publish` event.
pub(super) async fn publish(
    txn: &DatabaseTransaction,
    ctx: &Ctx,
    (region, kind, subject_id): (&Region, NoticeKind, Uuid),
    title: String,
    detail: serde_json::Value,
    days: u32,
) -> ServiceResult<(Notice, Entry)> {
    let row = notices::ActiveModel {
        id: Set(Uuid::now_v7()),
        region: Set(region.clone()),
        kind: Set(kind),
        subject_id: Set(subject_id),
        title: Set(title),
        detail: Set(detail.to_string()),
        published_by: Set(ctx.actor.person.or(Some(ctx.actor.sub))),
        published_at: Set(ctx.now),
        ends_at: Set(ctx.now + Duration::days(i64::from(days))),
        status: Set(NoticeStatus::Open),
        settled_at: Set(None),
    };
    let model = notices::Entity::insert(row)
        .exec_with_returning(txn)
        .await?;
    let notice = notice_of(model, 0);
    let event = engine::entry(
        region,
        "notice.publish",
        "notice",
        notice.id.to_string(),
        &notice,
    )?;
    Ok((notice, event))
}

/// The open notice of `kind` about `subject_id` in `region`, if any.
pub async fn open_about<C: ConnectionTrait>(
    conn: &C,
    region: &Region,
    kind: NoticeKind,
    subject_id: Uuid,
) -> ServiceResult<Option<notices::Model>> {
    Ok(notices::Entity::find()
        .filter(notices::Column::Region.eq(region.clone()))
        .filter(notices::Column::Kind.eq(kind))
        .filter(notices::Column::SubjectId.eq(subject_id))
        .order_by_desc(notices::Column::PublishedAt)
        .one(conn)
        .await?)
}

/// What anyone may read: the notices open now and those settled in the
/// last 30 days, newest first (of one region, or all).
pub async fn public<C: ConnectionTrait>(
    conn: &C,
    region: Option<&Region>,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<Notice>> {
    let mut query = notices::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(notices::Column::Status.eq(NoticeStatus::Open))
                .add(notices::Column::SettledAt.gte(now - Duration::days(30))),
        )
        .order_by_desc(notices::Column::PublishedAt)
        .limit(200);
    if let Some(region) = region {
        query = query.filter(notices::Column::Region.eq(region.clone()));
    }
    let rows = query.all(conn).await?;
    // The objections of every notice listed, counted in one query.
    let counts: std::collections::HashMap<Uuid, i64> = objections::Entity::find()
        .select_only()
        .column(objections::Column::NoticeId)
        .column_as(objections::Column::Id.count(), "n")
        .filter(objections::Column::NoticeId.is_in(rows.iter().map(|n| n.id)))
        .group_by(objections::Column::NoticeId)
        .into_tuple::<(Uuid, i64)>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            let count = counts.get(&row.id).copied().unwrap_or(0);
            notice_of(row, count.unsigned_abs())
        })
        .collect())
}

pub(super) async fn objection_count<C: ConnectionTrait>(
    conn: &C,
    notice_id: Uuid,
) -> ServiceResult<u64> {
    Ok(objections::Entity::find()
        .filter(objections::Column::NoticeId.eq(notice_id))
        .count(conn)
        .await?)
}

/// The region's notices with their objections, newest first: what its
/// regulator reads.
pub async fn of_region<C: ConnectionTrait>(
    conn: &C,
    actor: &crate::domain::Actor,
    region: &Region,
) -> ServiceResult<Vec<(Notice, Vec<Objection>)>> {
    access::permit_in_region(actor, Action::ManageProgramme, region)?;
    let rows = notices::Entity::find()
        .filter(notices::Column::Region.eq(region.clone()))
        .order_by_desc(notices::Column::PublishedAt)
        .limit(200)
        .all(conn)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|n| n.id).collect();
    let all: Vec<Objection> = objections::Entity::find()
        .filter(objections::Column::NoticeId.is_in(ids))
        .order_by_asc(objections::Column::CreatedAt)
        .all(conn)
        .await?
        .into_iter()
        .map(Objection::from)
        .collect();
    Ok(rows
        .into_iter()
        .map(|n| {
            let mine: Vec<Objection> = all
                .iter()
                .filter(|o| o.notice_id == n.id)
                .cloned()
                .collect();
            (notice_of(n, mine.len() as u64), mine)
        })
        .collect())
}

/// Anyone objects to an open notice, without signing in.
///
/// Refusals, in the order they are checked:
/// 1. `validation_failed` (`name`, `contact`, `text`): blank, too long
///    (100, 200, 2000 characters), or with control, zero-width or bidi
///    characters — every bad field at once.
/// 2. `not_found`: no such notice.
/// 3. `invalid_state`: the notice period has ended, or the notice is no
///    longer open.
/// 4. `conflict`: the notice has taken its most objections (500).
#[derive(Debug, Clone)]
pub struct FileObjection {
    pub notice_id: Uuid,
    pub name: String,
    pub contact: String,
    pub text: String,
}

impl Operation for FileObjection {
    type Output = Objection;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Objection>> {
        let (name, contact, body) = notice::objection(&self.name, &self.contact, &self.text)?;
        let found = lock(txn, self.notice_id).await?;
        if found.status != NoticeStatus::Open || found.ends_at <= ctx.now {
            return Err(DomainError::refused(
                Refusal::InvalidState,
                format!("the notice period ended on {}", found.ends_at),
            )
            .into());
        }
        if objection_count(txn, found.id).await? >= notice::MOST_OBJECTIONS {
            return Err(DomainError::Conflict(
                "this notice has taken all the objections it can; write to the regulator".into(),
            )
            .into());
        }
        let row = objections::ActiveModel {
            id: Set(Uuid::now_v7()),
            notice_id: Set(found.id),
            region: Set(found.region.clone()),
            name: Set(name),
            contact: Set(contact),
            text: Set(body),
            created_at: Set(ctx.now),
            status: Set(ObjectionStatus::Open),
            note: Set(None),
            decided_by: Set(None),
            decided_at: Set(None),
        };
        let objection: Objection = objections::Entity::insert(row)
            .exec_with_returning(txn)
            .await?
            .into();
        let event = objection.event("notice.object")?;
        Ok(Done {
            value: objection,
            events: vec![event],
        })
    }
}

pub(super) async fn lock(txn: &DatabaseTransaction, id: Uuid) -> ServiceResult<notices::Model> {
    Ok(notices::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(DomainError::NotFound)?)
}
