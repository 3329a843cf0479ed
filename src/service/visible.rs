//! What a caller may see: one record, or a page of a list, of the tables
//! whose rows belong to parties — asked of [`access`] in one place.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::{Page, PageRequest, ServiceResult};
use crate::domain::access::{self, Action, Scope, Stake};
use crate::domain::{Actor, DomainError};
use crate::store::entities::{admission_requests, applications, claims, redemptions, vouchers};

/// A table whose rows belong to parties: what access control and list
/// scopes need to know of it.
pub trait Owned: EntityTrait {
    /// The UUID primary key; lists are in its order.
    const ID: Self::Column;
    /// The action of listing it.
    const LIST: Action;
    /// The columns that say who has a stake in a row.
    const STAKE: StakeColumns<Self::Column>;
    fn id(row: &Self::Model) -> Uuid;
    /// Who has a stake in a row.
    fn stake(row: &Self::Model) -> Stake<'_>;
}

/// The columns that say who has a stake in a row.
pub struct StakeColumns<C> {
    pub region: C,
    pub company: Option<C>,
    pub provider: Option<C>,
    pub provider_region: Option<C>,
    /// The company's district (first-level review).
    pub district: Option<C>,
}

impl Owned for applications::Entity {
    const ID: Self::Column = applications::Column::Id;
    const LIST: Action = Action::ListApplications;
    const STAKE: StakeColumns<Self::Column> = StakeColumns {
        region: applications::Column::Region,
        company: Some(applications::Column::CompanyId),
        provider: None,
        provider_region: None,
        district: Some(applications::Column::District),
    };
    fn id(row: &Self::Model) -> Uuid {
        row.id
    }
    fn stake(row: &Self::Model) -> Stake<'_> {
        Stake::of(&row.region)
            .company(row.company_id)
            .district(row.district.as_deref())
    }
}

impl Owned for vouchers::Entity {
    const ID: Self::Column = vouchers::Column::Id;
    const LIST: Action = Action::ListVouchers;
    const STAKE: StakeColumns<Self::Column> = StakeColumns {
        region: vouchers::Column::Region,
        company: Some(vouchers::Column::HolderId),
        provider: None,
        provider_region: None,
        district: None,
    };
    fn id(row: &Self::Model) -> Uuid {
        row.id
    }
    fn stake(row: &Self::Model) -> Stake<'_> {
        Stake::of(&row.region).company(row.holder_id)
    }
}

impl Owned for redemptions::Entity {
    const ID: Self::Column = redemptions::Column::Id;
    const LIST: Action = Action::ListRedemptions;
    const STAKE: StakeColumns<Self::Column> = StakeColumns {
        region: redemptions::Column::Region,
        company: Some(redemptions::Column::CompanyId),
        provider: Some(redemptions::Column::ProviderId),
        provider_region: Some(redemptions::Column::ProviderRegion),
        district: None,
    };
    fn id(row: &Self::Model) -> Uuid {
        row.id
    }
    fn stake(row: &Self::Model) -> Stake<'_> {
        Stake::of(&row.region)
            .company(row.company_id)
            .provider(row.provider_id)
            .provider_region(&row.provider_region)
    }
}

impl Owned for claims::Entity {
    const ID: Self::Column = claims::Column::Id;
    const LIST: Action = Action::ListClaims;
    const STAKE: StakeColumns<Self::Column> = StakeColumns {
        region: claims::Column::Region,
        company: None,
        provider: Some(claims::Column::ProviderId),
        provider_region: None,
        district: None,
    };
    fn id(row: &Self::Model) -> Uuid {
        row.id
    }
    fn stake(row: &Self::Model) -> Stake<'_> {
        Stake::of(&row.region).provider(row.provider_id)
    }
}

impl Owned for admission_requests::Entity {
    const ID: Self::Column = admission_requests::Column::Id;
    const LIST: Action = Action::ListAdmissionRequests;
    const STAKE: StakeColumns<Self::Column> = StakeColumns {
        region: admission_requests::Column::Region,
        company: None,
        provider: Some(admission_requests::Column::ProviderId),
        provider_region: None,
        district: Some(admission_requests::Column::District),
    };
    fn id(row: &Self::Model) -> Uuid {
        row.id
    }
    fn stake(row: &Self::Model) -> Stake<'_> {
        Stake::of(&row.region)
            .provider(row.provider_id)
            .district(row.district.as_deref())
    }
}

/// One row the actor may see (404 otherwise).
pub async fn find<E: Owned, C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    id: Uuid,
) -> ServiceResult<E::Model> {
    E::find()
        .filter(E::ID.eq(id))
        .one(conn)
        .await?
        .filter(|row| access::may_see(actor, &E::stake(row)))
        .ok_or_else(|| DomainError::NotFound.into())
}

/// A page of the rows the actor may see, oldest first (403 for a role that
/// may not list them).
pub async fn list<E: Owned, C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    page: PageRequest,
) -> ServiceResult<Page<E::Model>> {
    let scope = access::scope(actor, E::LIST)?;
    let mut query = E::find().filter(condition(&scope, &E::STAKE));
    if let Some(after) = page.after {
        query = query.filter(E::ID.gt(after));
    }
    let mut rows = query
        .order_by_asc(E::ID)
        .limit(page.limit + 1)
        .all(conn)
        .await?;
    let more = rows.len() as u64 > page.limit;
    rows.truncate(page.limit as usize);
    let next_cursor = if more {
        rows.last().map(|r| E::id(r).to_string())
    } else {
        None
    };
    Ok(Page {
        items: rows,
        next_cursor,
    })
}

/// The rows of a table that `scope` shows.
fn condition<C: ColumnTrait>(scope: &Scope, columns: &StakeColumns<C>) -> Condition {
    let none = || Condition::all().add(ExprTrait::eq(Expr::val(1), Expr::val(0)));
    match scope {
        Scope::Company(id) => columns
            .company
            .map_or_else(none, |c| Condition::all().add(c.eq(*id))),
        Scope::Provider(id) => columns
            .provider
            .map_or_else(none, |c| Condition::all().add(c.eq(*id))),
        Scope::Region(region) => Condition::all().add(columns.region.eq(region.clone())),
        Scope::RegionOrProviders(region) => {
            let mut any = Condition::any().add(columns.region.eq(region.clone()));
            if let Some(c) = columns.provider_region {
                any = any.add(c.eq(region.clone()));
            }
            any
        }
        Scope::District(region, district) => columns.district.map_or_else(none, |c| {
            Condition::all()
                .add(columns.region.eq(region.clone()))
                .add(c.eq(district.clone()))
        }),
    }
}
