//! Organisations kept in memory once read (reference data: what the rules
//! read of an organisation never changes after registration), and the one
//! thing that does change, read fresh: whether it is suspended.

use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::service::error::ServiceResult;
use crate::store::entities::organizations;

/// The organisation behind an id, from `cache` when it was read before.
pub async fn cached_organization<C: ConnectionTrait>(
    conn: &C,
    cache: &OrgCache,
    id: Uuid,
) -> ServiceResult<Option<organizations::Model>> {
    if let Some(org) = cache.get(id) {
        return Ok(Some(org));
    }
    let found = organizations::Entity::find_by_id(id).one(conn).await?;
    if let Some(org) = &found {
        cache.keep(org);
    }
    Ok(found)
}

/// Whether organisation `id` is suspended now: read fresh, never from the
/// cache (suspension is the one thing of an organisation that changes).
pub async fn is_suspended<C: ConnectionTrait>(conn: &C, id: Uuid) -> ServiceResult<bool> {
    let org = organizations::Entity::find_by_id(id).one(conn).await?;
    Ok(org.is_some_and(|o| o.suspended_at.is_some()))
}

/// Organisations by id, kept in memory once read: what the rules read of
/// them (kind, region, credit code, controller) never changes after
/// registration, so every instance may keep its own copy. Bounded: emptied
/// when full.
#[derive(Debug, Default)]
pub struct OrgCache {
    orgs: std::sync::Mutex<std::collections::HashMap<Uuid, organizations::Model>>,
}

/// The most organisations an [`OrgCache`] keeps.
const CACHED_ORGS: usize = 20_000;

impl OrgCache {
    fn get(&self, id: Uuid) -> Option<organizations::Model> {
        self.orgs.lock().expect("org cache").get(&id).cloned()
    }

    fn keep(&self, org: &organizations::Model) {
        let mut orgs = self.orgs.lock().expect("org cache");
        if orgs.len() >= CACHED_ORGS {
            orgs.clear();
        }
        orgs.insert(org.id, org.clone());
    }
}
