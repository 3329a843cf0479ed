//! The demo's provider admission at two levels: a Hangzhou lab asks
//! Zhejiang to admit it for testing and R&D; Hangzhou recommends testing
//! only, with its reason; the request waits for the province.

use crate::scenario::{Org, Scenario};
use crate::service::admission_requests::{RecommendAdmission, RequestAdmission};
use crate::service::{Service, ServiceError};

/// A lab registered in Hangzhou asks for admission; `hangzhou` recommends
/// part of it to `zj`.
pub(super) async fn recommended_by_hangzhou(
    demo: &mut Scenario<Service>,
    zj: &Org,
    hangzhou: &Org,
) -> Result<(), ServiceError> {
    let lab = demo
        .district_provider(zj, "杭州精测检测技术有限公司", "HZ")
        .await?;
    let ask = RequestAdmission {
        region: zj.region(),
        categories: vec!["testing".into(), "rnd".into()],
        statement: "CMA 认证检测机构，专职检测人员 35 名，大型仪器 120 台；\
                    近三年无失信记录。"
            .into(),
    };
    let asked = demo.run(&lab.actor, ask).await?;
    let recommend = RecommendAdmission {
        id: asked.id,
        categories: Some(vec!["testing".into()]),
        reason: Some("研发设计服务无相应资质证明，暂不推荐".into()),
    };
    demo.run(&hangzhou.actor, recommend).await.map(|_| ())
}
