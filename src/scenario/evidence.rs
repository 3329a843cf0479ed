//! A scenario's claims carry their four documents: small sample files
//! of each type, the same for every claim (stored once).

use std::sync::Arc;

use uuid::Uuid;

use super::{Runner, Scenario};
use crate::domain::evidence::samples;
use crate::domain::Actor;
use crate::service::evidence::{self, AttachDocument};
use crate::service::ServiceResult;

impl<R: Runner> Scenario<R> {
    /// `provider` attaches a contract (PDF), an invoice (OFD), proof of
    /// the company's own share (JPEG) and a service report (PNG) to claim
    /// `claim`. On SQLite the files are written beside the database first,
    /// as an upload's are.
    pub async fn attach_samples(&self, provider: &Actor, claim: Uuid) -> ServiceResult<()> {
        let db = &self.runner.service().db;
        for (kind, content) in samples::for_claim() {
            evidence::keep_trusted(db, &content).await?;
            let attach = AttachDocument {
                claim_id: claim,
                kind: kind.into(),
                name: None,
                content: Arc::new(content),
            };
            self.run(provider, attach).await?;
        }
        Ok(())
    }
}
