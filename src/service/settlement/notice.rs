//! A settlement run's payment list under public notice, where the paying
//! region's policy asks for it (`notice_days`): published when the run is
//! approved, and the run exported only once the notice took effect.

use crate::audit::Entry;
use crate::domain::notice::{NoticeKind, NoticeStatus};
use crate::domain::{DomainError, Refusal};
use crate::service::{notice_effect, notices, Ctx, ServiceResult};
use crate::store::entities::settlement_runs;

use super::Run;

/// Publishes an approved run's payment list, where the region's policy
/// asks for notice: the notice's event.
pub(super) async fn publish(
    txn: &sea_orm::DatabaseTransaction,
    ctx: &Ctx,
    run: &Run,
) -> ServiceResult<Option<Entry>> {
    let Some(days) = notices::days(ctx, &run.region) else {
        return Ok(None);
    };
    let title = format!(
        "{} {} 科技创新券兑付名单：{} 家服务机构，合计 {} 元",
        run.region, run.period, run.item_count, run.total
    );
    let items: Vec<serde_json::Value> = run
        .items
        .iter()
        .map(|i| {
            serde_json::json!({
                "provider_name": i.provider_name,
                "claim_count": i.claim_count,
                "amount": i.amount,
            })
        })
        .collect();
    let detail = serde_json::json!({
        "run_id": run.id,
        "period": run.period,
        "total": run.total,
        "items": items,
    });
    let subject = (&run.region, NoticeKind::Payments, run.id);
    let (_, event) = notices::publish(txn, ctx, subject, title, detail, days).await?;
    Ok(Some(event))
}

/// Refuses to export a run whose payment list is still under notice (or
/// was withdrawn); a notice due with no objection open takes effect now.
/// Answers the events of that.
pub(super) async fn cleared(
    txn: &sea_orm::DatabaseTransaction,
    ctx: &Ctx,
    run: &settlement_runs::Model,
) -> ServiceResult<Vec<Entry>> {
    let Some(found) = notices::open_about(txn, &run.region, NoticeKind::Payments, run.id).await?
    else {
        return Ok(Vec::new());
    };
    let found = notices::lock(txn, found.id).await?;
    match found.status {
        NoticeStatus::Effective => Ok(Vec::new()),
        NoticeStatus::Withdrawn => Err(DomainError::refused(
            Refusal::InvalidState,
            "an objection to the payment list was upheld: cancel the run and start another",
        )
        .into()),
        NoticeStatus::Open => {
            let ends_at = found.ends_at;
            let events = notice_effect::take_effect_if_due(txn, ctx, found).await?;
            if events.is_empty() {
                return Err(DomainError::refused(
                    Refusal::InvalidState,
                    format!(
                        "the payment list is under public notice until {ends_at}, or an \
                         objection to it waits for an answer"
                    ),
                )
                .into());
            }
            Ok(events)
        }
    }
}
