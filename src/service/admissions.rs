//! Providers admitted to a region's programme, per service category.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect,
};
use serde::Serialize;
use uuid::Uuid;

use super::budgets::programme_region;
use super::four_eyes::{self, Decided};
use super::identity::organization_of_kind;
use super::notices::{self, Notice};
use super::{Ctx, Done, Operation, Recorded, ServiceResult};
use crate::audit::Entry;
use crate::domain::notice::{NoticeKind, NoticeStatus};
use crate::domain::programme::{join_categories, parse_categories, split_categories};
use crate::domain::review::{first_reviewer, AdmissionRequestStatus, ReviewLevel};
use crate::domain::{DomainError, OrgKind, Refusal, Region};
use crate::store::entities::{admission_requests, admissions, organizations};

/// A provider's admission to a region's programme.
#[derive(Debug, Clone, Serialize)]
pub struct Admission {
    pub region: Region,
    pub provider_id: Uuid,
    pub provider_region: Region,
    pub categories: Vec<String>,
    pub admitted_at: chrono::DateTime<chrono::Utc>,
}

impl Recorded for Admission {
    fn audit_region(&self) -> &Region {
        &self.region
    }
    fn audit_id(&self) -> String {
        self.provider_id.to_string()
    }
}

/// An admission and whether it is new (admitting again replaces the
/// categories); recorded as the admission.
#[derive(Debug, Clone, Serialize)]
pub struct Admitted {
    #[serde(flatten)]
    pub admission: Admission,
    #[serde(skip)]
    pub new: bool,
}

/// The audit action of an admission (and of a change to one).
pub const ADMIT: &str = "provider.admit";

/// Admits a provider (of this region or, where the policy allows, of
/// another) to a region's programme for some categories. Changing the
/// categories of an admission is under four eyes when the region's policy
/// says so (`provider.admit`): it waits for a second person of the
/// regulator ([`super::confirmations`]). A first admission, or admitting
/// again for the same categories, takes effect at once.
///
/// Refusals, in the order they are checked:
/// 1. `not_found`: `region` is not an issuing region.
/// 2. `forbidden`: the caller is not a regulator, or regulates another region.
/// 3. `validation_failed` (`categories`): the list is empty.
/// 4. `validation_failed` (`categories[i]`): not a known service category.
/// 5. `not_found`: `provider_id` is not a registered provider.
/// 6. `validation_failed` (`year`): the region's policy has no version for the
///    current fiscal year.
/// 7. The region's rules (`check_admission`), in order: `provider_not_admitted`
///    (rule `admits_provider_regions`): the programme does not admit providers of the
///    provider's region; `category_not_eligible` (rule `categories`): the programme
///    does not fund one of the categories.
/// 8. `invalid_state`: the provider is of the region and registered with a
///    district that reviews first (`review_levels = 2`), and its district has
///    not recommended a category new to it
///    ([`super::admission_requests`]).
/// 9. `forbidden`: a change under four eyes asked by an API client, not a
///    person.
/// 10. `invalid_state`: where the policy asks for public notice
///     (`notice_days`), an admission of the provider is under notice.
///
/// Where the policy asks for public notice, a new admission or a change
/// of categories is published ([`super::notices`]) and takes effect when
/// the period ends without an upheld objection.
#[derive(Debug, Clone)]
pub struct Admit {
    pub region: Region,
    pub provider_id: Uuid,
    pub categories: Vec<String>,
}

/// An admission checked and ready to store.
struct Checked {
    region: Region,
    provider: organizations::Model,
    categories: Vec<String>,
    existing: Option<admissions::Model>,
}

impl Admit {
    /// Every check of the admission, in the order documented on [`Admit`].
    async fn check(&self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Checked> {
        let region = programme_region(ctx, &ctx.actor, &self.region)?;
        let categories = parse_categories(&self.categories)?;
        let provider = organization_of_kind(txn, ctx, self.provider_id, OrgKind::Provider)
            .await?
            .ok_or(DomainError::NotFound)?;
        let rules = ctx.rules_for(&region)?;
        let version = rules.version(ctx.fiscal_year())?;
        rules.check_admission(version, &provider.region, &categories)?;
        let existing = admissions::Entity::find_by_id((region.clone(), provider.id))
            .lock_exclusive()
            .one(txn)
            .await?;
        let held = existing
            .as_ref()
            .map(|row| split_categories(&row.categories))
            .unwrap_or_default();
        let new: Vec<String> = categories
            .iter()
            .filter(|c| !held.contains(c))
            .cloned()
            .collect();
        require_recommended(txn, ctx, &region, &provider, &new).await?;
        Ok(Checked {
            region,
            provider,
            categories,
            existing,
        })
    }

    /// Checks the admission again and stores it, or publishes it where the
    /// region's policy asks for public notice: what a confirmation of a
    /// change does. Answers it and the notice's event, if published.
    pub(super) async fn apply(
        self,
        txn: &DatabaseTransaction,
        ctx: &Ctx,
    ) -> ServiceResult<(Decided<Admitted>, Option<Entry>)> {
        let checked = self.check(txn, ctx).await?;
        match noticed(txn, ctx, &checked).await? {
            Some((notice, event)) => Ok((Decided::Noticed(Box::new(notice)), Some(event))),
            None => Ok((Decided::Done(store(txn, ctx, checked).await?), None)),
        }
    }
}

/// Refuses a direct admission of `new` categories for a provider its
/// district reviews first, unless its district recommended them (in a
/// request waiting for the region, or one the region admitted).
async fn require_recommended(
    txn: &DatabaseTransaction,
    ctx: &Ctx,
    region: &Region,
    provider: &organizations::Model,
    new: &[String],
) -> ServiceResult<()> {
    let rules = ctx.rules_for(region)?;
    let version = rules.version(ctx.fiscal_year())?;
    let district = first_reviewer(
        region,
        version.review_levels,
        &provider.region,
        provider.district.as_deref(),
    );
    let Some(district) = district else {
        return Ok(());
    };
    let rows = admission_requests::Entity::find()
        .filter(admission_requests::Column::Region.eq(region.clone()))
        .filter(admission_requests::Column::ProviderId.eq(provider.id))
        .filter(admission_requests::Column::Level.eq(ReviewLevel::Region))
        .filter(admission_requests::Column::Status.ne(AdmissionRequestStatus::Rejected))
        .all(txn)
        .await?;
    let recommended: Vec<String> = rows
        .iter()
        .filter_map(|r| r.admitted.as_deref().or(r.recommended.as_deref()))
        .flat_map(split_categories)
        .collect();
    let missing: Vec<&str> = new
        .iter()
        .filter(|c| !recommended.contains(c))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(DomainError::refused(
        Refusal::InvalidState,
        format!(
            "{district} reviews this provider first: it asks for admission \
             (POST /api/v1/regions/{region}/admission-requests) and its district recommends \
             it; not recommended: {}",
            missing.join(", ")
        ),
    )
    .into())
}

/// Publishes an admission that is new or changes the categories, where
/// the region's policy asks for public notice: the notice and its event.
/// Refused (`invalid_state`) while a notice about the provider is open.
async fn noticed(
    txn: &DatabaseTransaction,
    ctx: &Ctx,
    checked: &Checked,
) -> ServiceResult<Option<(Notice, Entry)>> {
    let Some(days) = notices::days(ctx, &checked.region) else {
        return Ok(None);
    };
    let same = checked
        .existing
        .as_ref()
        .is_some_and(|row| split_categories(&row.categories) == checked.categories);
    if same {
        return Ok(None);
    }
    let (region, provider) = (&checked.region, &checked.provider);
    let open = notices::open_about(txn, region, NoticeKind::Admission, provider.id).await?;
    if let Some(open) = open.filter(|n| n.status == NoticeStatus::Open) {
        return Err(DomainError::refused(
            Refusal::InvalidState,
            format!(
                "an admission of this provider is under public notice until {}",
                open.ends_at
            ),
        )
        .into());
    }
    let title = format!(
        "{} 拟纳入 {} 科技创新券服务机构：{}",
        provider.name,
        region,
        checked.categories.join("、")
    );
    let detail = serde_json::json!({
        "provider_id": provider.id,
        "provider_name": provider.name,
        "provider_region": provider.region,
        "credit_code": provider.credit_code,
        "categories": checked.categories,
    });
    let subject = (region, NoticeKind::Admission, provider.id);
    notices::publish(txn, ctx, subject, title, detail, days)
        .await
        .map(Some)
}

/// Stores an admission whose public notice ended without an upheld
/// objection: checked again against the region's rules now.
pub(super) async fn take_effect(
    txn: &DatabaseTransaction,
    ctx: &Ctx,
    region: &Region,
    provider_id: Uuid,
    categories: Vec<String>,
) -> ServiceResult<Admitted> {
    let provider = organizations::Entity::find_by_id(provider_id)
        .one(txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    let rules = ctx.rules_for(region)?;
    let version = rules.version(ctx.fiscal_year())?;
    rules.check_admission(version, &provider.region, &categories)?;
    let existing = admissions::Entity::find_by_id((region.clone(), provider.id))
        .lock_exclusive()
        .one(txn)
        .await?;
    let checked = Checked {
        region: region.clone(),
        provider,
        categories,
        existing,
    };
    store(txn, ctx, checked).await
}

/// Stores a checked admission: new, or its categories replaced.
async fn store(txn: &DatabaseTransaction, ctx: &Ctx, checked: Checked) -> ServiceResult<Admitted> {
    let Checked {
        region,
        provider,
        categories,
        existing,
    } = checked;
    let stored = join_categories(&categories);
    let admitted_at = match &existing {
        Some(row) => {
            admissions::Entity::update_many()
                .col_expr(admissions::Column::Categories, Expr::value(stored))
                .col_expr(admissions::Column::UpdatedAt, Expr::value(ctx.now))
                .filter(admissions::Column::Region.eq(region.clone()))
                .filter(admissions::Column::ProviderId.eq(provider.id))
                .exec(txn)
                .await?;
            row.admitted_at
        }
        None => {
            admissions::Entity::insert(admissions::ActiveModel {
                region: Set(region.clone()),
                provider_id: Set(provider.id),
                categories: Set(stored),
                admitted_at: Set(ctx.now),
                updated_at: Set(ctx.now),
            })
            .exec_without_returning(txn)
            .await?;
            ctx.now
        }
    };
    Ok(Admitted {
        admission: Admission {
            region,
            provider_id: provider.id,
            provider_region: provider.region,
            categories,
            admitted_at,
        },
        new: existing.is_none(),
    })
}

impl Recorded for Admitted {
    fn audit_region(&self) -> &Region {
        self.admission.audit_region()
    }
    fn audit_id(&self) -> String {
        self.admission.audit_id()
    }
}

impl Operation for Admit {
    type Output = Decided<Admitted>;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Self::Output>> {
        let checked = self.check(txn, ctx).await?;
        let changed = checked
            .existing
            .as_ref()
            .is_some_and(|row| split_categories(&row.categories) != checked.categories);
        if changed {
            let detail = serde_json::json!({ "categories": checked.categories });
            let (region, target) = (&checked.region, checked.provider.id);
            let asked = four_eyes::ask(txn, ctx, region, ADMIT, target, None, detail).await?;
            if let Some(waiting) = asked {
                return four_eyes::awaiting(waiting);
            }
        }
        if let Some((notice, event)) = noticed(txn, ctx, &checked).await? {
            return Ok(Done {
                value: Decided::Noticed(Box::new(notice)),
                events: vec![event],
            });
        }
        let admitted = store(txn, ctx, checked).await?;
        four_eyes::done(admitted, ADMIT, "admission")
    }
}

/// The categories a provider is admitted for in `region` (none if not admitted).
pub async fn admitted_categories<C: ConnectionTrait>(
    conn: &C,
    region: &Region,
    provider_id: Uuid,
) -> ServiceResult<Option<Vec<String>>> {
    Ok(
        admissions::Entity::find_by_id((region.clone(), provider_id))
            .one(conn)
            .await?
            .map(|a| split_categories(&a.categories)),
    )
}

/// A provider in a programme's directory.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    pub provider_id: Uuid,
    pub name: String,
    pub provider_region: Region,
    pub categories: Vec<String>,
}

/// The providers admitted to `region`'s programme — those of other regions
/// too (the cross-region pilot) — for `category` and of `provider_region`
/// when given, by name. Any signed-in organisation may read a programme's
/// directory: companies choose providers from it.
pub async fn directory<C: ConnectionTrait>(
    conn: &C,
    region: &Region,
    category: Option<&str>,
    provider_region: Option<&Region>,
) -> ServiceResult<Vec<Listed>> {
    let admitted = admissions::Entity::find()
        .filter(admissions::Column::Region.eq(region.clone()))
        .all(conn)
        .await?;
    let ids: Vec<Uuid> = admitted.iter().map(|a| a.provider_id).collect();
    let mut orgs = organizations::Entity::find()
        .filter(organizations::Column::Id.is_in(ids))
        .all(conn)
        .await?;
    orgs.sort_by(|a, b| a.name.cmp(&b.name));
    let mut listed = Vec::new();
    for org in orgs {
        let Some(admission) = admitted.iter().find(|a| a.provider_id == org.id) else {
            continue;
        };
        let categories = split_categories(&admission.categories);
        if category.is_some_and(|c| !categories.iter().any(|k| k == c))
            || provider_region.is_some_and(|r| *r != org.region)
        {
            continue;
        }
        listed.push(Listed {
            provider_id: org.id,
            name: org.name,
            provider_region: org.region,
            categories,
        });
    }
    Ok(listed)
}

/// The providers of `regions` (those a programme may admit), by name: the
/// choices of a regulator admitting one.
pub async fn candidates<C: ConnectionTrait>(
    conn: &C,
    regions: &[Region],
) -> ServiceResult<Vec<Listed>> {
    use sea_orm::QueryOrder;
    let providers = organizations::Entity::find()
        .filter(organizations::Column::Kind.eq(OrgKind::Provider))
        .filter(organizations::Column::Region.is_in(regions.to_vec()))
        .order_by_asc(organizations::Column::Name)
        .all(conn)
        .await?;
    Ok(providers
        .into_iter()
        .map(|o| Listed {
            provider_id: o.id,
            name: o.name,
            provider_region: o.region,
            categories: Vec::new(),
        })
        .collect())
}
