//! The demo's public notice: a Shanghai admission published for seven
//! days, with an objection from the public.

use crate::domain::notice::NoticeKind;
use crate::scenario::{Org, Scenario};
use crate::service::notices::{self, FileObjection};
use crate::service::{Service, ServiceError};

/// Shanghai admits a new lab: published for seven days, and a member of
/// the public objects (the regulator has not answered yet).
pub(super) async fn with_objection(
    demo: &mut Scenario<Service>,
    sh: &Org,
) -> Result<(), ServiceError> {
    let lab = demo.provider(sh, "上海新材料检测中心").await?;
    demo.admit(sh, &lab.actor, &["testing"]).await?;
    let (db, kind) = (demo.runner.db.reader(), NoticeKind::Admission);
    let notice = notices::open_about(db, &sh.region(), kind, lab.actor.sub).await?;
    let notice = notice.ok_or_else(|| ServiceError::Internal("not published".into()))?;
    let objection = FileObjection {
        notice_id: notice.id,
        name: "张伟".into(),
        contact: "021-5555 0100".into(),
        text: "该中心的 CMA 资质证书已于 2026 年 10 月到期，请核实。".into(),
    };
    demo.run(&crate::domain::Actor::system(), objection)
        .await
        .map(|_| ())
}
