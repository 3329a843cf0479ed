//! A claim's evidence documents: the provider uploads the contract, the
//! invoice, the proof of the company's own share and the service report
//! while the claim waits for its decision; each is stored once by its
//! SHA-256 ([`crate::store::blobs`]), the hash goes into the audit event,
//! and the regulator deciding the claim reads them.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{visible, Ctx, Done, Operation, Recorded, ServiceError, ServiceResult};
use crate::domain::access::{self, Action};
use crate::domain::evidence::{sniff, DocumentKind, MediaType};
use crate::domain::{text, Actor, ClaimStatus, DomainError, Refusal, Region};
use crate::store::entities::{claim_documents, claims, documents};
use crate::store::{blobs, is_unique_violation, Db};

/// A document a claim carries.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    pub claim_id: Uuid,
    /// The claim's (paying) region.
    pub region: Region,
    pub kind: String,
    pub sha256: String,
    pub file_name: String,
    pub media_type: String,
    pub size: i64,
    pub uploaded_by: Uuid,
    pub uploaded_at: DateTime<Utc>,
}

impl Recorded for Document {
    fn audit_region(&self) -> &Region {
        &self.region
    }
    fn audit_id(&self) -> String {
        self.claim_id.to_string()
    }
}

fn document(row: claim_documents::Model, region: Region) -> Document {
    Document {
        claim_id: row.claim_id,
        region,
        kind: row.kind,
        sha256: row.sha256,
        file_name: row.file_name,
        media_type: row.media_type,
        size: row.size,
        uploaded_by: row.uploaded_by,
        uploaded_at: row.uploaded_at,
    }
}

/// The SHA-256 of `content`, in hex.
pub fn sha256_hex(content: &[u8]) -> String {
    hex::encode(Sha256::digest(content))
}

/// The claim's provider attaches (or replaces) a document of one kind.
///
/// Refusals, in the order they are checked:
/// 1. `forbidden`: the caller is not a provider.
/// 2. `validation_failed` (`kind`): not `contract`, `invoice`,
///    `own_share_payment` or `service_report`; (`name`): over 200
///    characters or with hidden characters; (`content`): empty, over
///    10 MiB, or not a PDF, JPEG, PNG or OFD by its content.
/// 3. `not_found`: the claim does not exist or is another provider's.
/// 4. `invalid_state`: the claim is decided already.
#[derive(Debug, Clone)]
pub struct AttachDocument {
    pub claim_id: Uuid,
    pub kind: String,
    pub name: Option<String>,
    pub content: Arc<Vec<u8>>,
}

impl AttachDocument {
    /// The checks that need no database: the kind, the name, the content's
    /// type and its hash.
    pub fn checked(&self) -> Result<(DocumentKind, String, MediaType, String), DomainError> {
        let kind: DocumentKind = self.kind.parse().map_err(|_| {
            DomainError::field(
                "kind",
                "one of contract, invoice, own_share_payment, service_report",
            )
        })?;
        let media = sniff(&self.content)?;
        let name = match self.name.as_deref().map(str::trim) {
            None | Some("") => format!("{kind}.{}", media.extension()),
            Some(name) => text::clean("name", name, 200)?,
        };
        Ok((kind, name, media, sha256_hex(&self.content)))
    }
}

impl Operation for AttachDocument {
    type Output = Document;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Document>> {
        access::permit(&ctx.actor, Action::SubmitClaim)?;
        let (kind, name, media, sha256) = self.checked()?;
        let claim = open_claim(txn, &ctx.actor, self.claim_id).await?;
        let kept = documents::Entity::find_by_id(sha256.clone())
            .one(txn)
            .await?;
        if kept.is_none() {
            let lo_oid = match txn.get_database_backend() {
                DbBackend::Postgres => Some(blobs::large_object(txn, &self.content).await?),
                _ => None,
            };
            let stored = documents::Entity::insert(documents::ActiveModel {
                sha256: Set(sha256.clone()),
                media_type: Set(media.as_str().into()),
                size: Set(self.content.len() as i64),
                lo_oid: Set(lo_oid),
                created_at: Set(ctx.now),
            })
            .exec_without_returning(txn)
            .await;
            match stored {
                Ok(_) => {}
                // The same content stored by another upload at this moment:
                // run again, and find it.
                Err(e) if is_unique_violation(&e) => {
                    let why = "the same document was stored at the same time".into();
                    return Err(ServiceError::Contention(why));
                }
                Err(e) => return Err(e.into()),
            }
        }
        claim_documents::Entity::delete_many()
            .filter(claim_documents::Column::ClaimId.eq(claim.id))
            .filter(claim_documents::Column::Kind.eq(kind.as_str()))
            .exec(txn)
            .await?;
        let row = claim_documents::Entity::insert(claim_documents::ActiveModel {
            id: Set(Uuid::now_v7()),
            claim_id: Set(claim.id),
            kind: Set(kind.as_str().into()),
            sha256: Set(sha256),
            file_name: Set(name),
            media_type: Set(media.as_str().into()),
            size: Set(self.content.len() as i64),
            uploaded_by: Set(ctx.actor.person.unwrap_or(ctx.actor.sub)),
            uploaded_at: Set(ctx.now),
        })
        .exec_with_returning(txn)
        .await?;
        Done::recorded(document(row, claim.region), "claim.document", "claim")
    }
}

/// Before `op` runs on a SQLite database: writes its file beside the
/// database, if the content passes its checks and the claim is the
/// caller's and open (so that nobody else can make the service write).
/// The operation then records it; on PostgreSQL it writes a large object
/// in its own transaction instead, and this does nothing.
pub async fn prepare(db: &Db, actor: &Actor, op: &AttachDocument) -> ServiceResult<()> {
    if db.backend() == DbBackend::Postgres {
        return Ok(());
    }
    if op.checked().is_err() || open_claim(db.reader(), actor, op.claim_id).await.is_err() {
        return Ok(());
    }
    keep_trusted(db, &op.content).await
}

/// On SQLite, writes `content` beside the database as an upload's file
/// would be, without the checks of [`prepare`]: for files the service's
/// own code attaches (the demo's and the scenarios' sample documents).
/// On PostgreSQL the operation stores it; this does nothing.
pub async fn keep_trusted(db: &Db, content: &[u8]) -> ServiceResult<()> {
    if db.backend() == DbBackend::Postgres {
        return Ok(());
    }
    let (dir, sha256, content) = (
        blobs::documents_dir(db),
        sha256_hex(content),
        content.to_vec(),
    );
    tokio::task::spawn_blocking(move || blobs::write_file(&dir, &sha256, &content))
        .await
        .map_err(|e| ServiceError::Internal(format!("document: {e}")))?
        .map_err(|e| ServiceError::Internal(format!("document: {e}")))
}

/// The claim `id` of the calling provider, still waiting for its decision.
pub async fn open_claim<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    id: Uuid,
) -> ServiceResult<claims::Model> {
    let claim = visible::find::<claims::Entity, _>(conn, actor, id).await?;
    if claim.provider_id != actor.sub {
        return Err(DomainError::NotFound.into());
    }
    if claim.status != ClaimStatus::Submitted {
        let detail = "the claim is decided: its documents can no longer change";
        return Err(DomainError::refused(Refusal::InvalidState, detail).into());
    }
    Ok(claim)
}

/// Refuses approving `claim` while it lacks a document its region's policy
/// requires (`claim_documents` of the version in force when it was
/// submitted): `invalid_state`, with the rule naming what is missing.
pub async fn required<C: ConnectionTrait>(
    conn: &C,
    ctx: &Ctx,
    claim: &claims::Model,
) -> ServiceResult<()> {
    let year = chrono::Datelike::year(&crate::domain::clock::shanghai_date(claim.created_at));
    let Ok(version) = ctx.rules_for(&claim.region)?.version(year) else {
        return Ok(());
    };
    if version.claim_documents.is_empty() {
        return Ok(());
    }
    let carried: Vec<String> = claim_documents::Entity::find()
        .select_only()
        .column(claim_documents::Column::Kind)
        .filter(claim_documents::Column::ClaimId.eq(claim.id))
        .into_tuple()
        .all(conn)
        .await?;
    let missing: Vec<String> = version
        .claim_documents
        .iter()
        .map(|d| d.to_string())
        .filter(|d| !carried.contains(d))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let all: Vec<String> = version
        .claim_documents
        .iter()
        .map(|d| d.to_string())
        .collect();
    Err(DomainError::refused(
        Refusal::InvalidState,
        format!(
            "the claim lacks documents the policy requires before approval: {}",
            missing.join(", ")
        ),
    )
    .with_rule(
        version
            .rule("claim_documents", &claim.region)
            .requested(missing.join(","))
            .allowed(all.join(",")),
    )
    .into())
}

/// The documents of a claim the actor may see (its provider, the
/// regulators of its region), by kind.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    claim: Uuid,
) -> ServiceResult<Vec<Document>> {
    let claim = visible::find::<claims::Entity, _>(conn, actor, claim).await?;
    let rows = claim_documents::Entity::find()
        .filter(claim_documents::Column::ClaimId.eq(claim.id))
        .order_by_asc(claim_documents::Column::Kind)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| document(row, claim.region.clone()))
        .collect())
}

/// The documents of claims the caller has already read (the claims
/// queue), in one query, by claim.
pub async fn of_claims<C: ConnectionTrait>(
    conn: &C,
    claims: &[(Uuid, Region)],
) -> ServiceResult<std::collections::HashMap<Uuid, Vec<Document>>> {
    let regions: std::collections::HashMap<Uuid, &Region> =
        claims.iter().map(|(id, region)| (*id, region)).collect();
    let rows = claim_documents::Entity::find()
        .filter(claim_documents::Column::ClaimId.is_in(regions.keys().copied()))
        .order_by_asc(claim_documents::Column::Kind)
        .all(conn)
        .await?;
    let mut found: std::collections::HashMap<Uuid, Vec<Document>> = Default::default();
    for row in rows {
        let region = regions[&row.claim_id].clone();
        found
            .entry(row.claim_id)
            .or_default()
            .push(document(row, region));
    }
    Ok(found)
}

/// One document of a claim the actor may see, with its bytes (checked
/// against its SHA-256 on the way out).
pub async fn fetch(
    db: &Db,
    actor: &Actor,
    claim: Uuid,
    kind: &str,
) -> ServiceResult<(Document, Vec<u8>)> {
    let found = list(db.reader(), actor, claim)
        .await?
        .into_iter()
        .find(|d| d.kind == kind)
        .ok_or(DomainError::NotFound)?;
    let stored = documents::Entity::find_by_id(found.sha256.clone())
        .one(db.reader())
        .await?
        .ok_or_else(|| ServiceError::Internal(format!("document {} missing", found.sha256)))?;
    let content = blobs::read(db, &stored.sha256, stored.lo_oid).await?;
    if sha256_hex(&content) != stored.sha256 {
        return Err(ServiceError::Internal(format!(
            "document {} does not match its SHA-256",
            stored.sha256
        )));
    }
    Ok((found, content))
}
