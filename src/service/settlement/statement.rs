//! The cross-region settlement statement: for a period and a pair of
//! regions, what the issuing region's fund paid providers of the other
//! region — the runs (with their bank files' SHA-256), each payment, the
//! claims it paid — for the regulators of both regions (and operators).
//! The issuer's side is summed from the payments, the providers' side from
//! the claims paid; the statement says whether they agree to the fen.

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use uuid::Uuid;

use super::{names, status, sum_fen, FileRef};
use crate::domain::access::{self, Action};
use crate::domain::settlement::{ItemStatus, RunStatus};
use crate::domain::text::{csv_field, CSV_BOM};
use crate::domain::{Actor, ClaimStatus, DomainError, Money, OrgKind, Region, Role};
use crate::service::{ServiceError, ServiceResult};
use crate::store::entities::{
    bank_files, claims, organizations, settlement_items, settlement_runs,
};
use crate::store::Db;

/// A claim a payment pays.
#[derive(Debug, Clone, Serialize)]
pub struct PaidClaim {
    pub id: Uuid,
    pub invoice_no: String,
    pub amount: Money,
    pub status: ClaimStatus,
}

/// One payment to a provider of the other region.
#[derive(Debug, Clone, Serialize)]
pub struct Payment {
    pub run_id: Uuid,
    pub item_id: Uuid,
    pub provider_id: Uuid,
    pub provider_name: String,
    pub account_number: String,
    pub cnaps_code: String,
    pub amount: Money,
    pub status: ItemStatus,
    pub bank_reference: Option<String>,
    pub reason: Option<String>,
    /// The claims it pays (none once the bank sent it back: they are
    /// payable again).
    pub claims: Vec<PaidClaim>,
}

/// A run of the period, with the files that went to the bank.
#[derive(Debug, Clone, Serialize)]
pub struct StatementRun {
    pub id: Uuid,
    pub status: RunStatus,
    pub files: Vec<FileRef>,
}

/// The statement.
#[derive(Debug, Clone, Serialize)]
pub struct Statement {
    pub issuer_region: Region,
    pub provider_region: Region,
    pub period: String,
    pub runs: Vec<StatementRun>,
    pub payments: Vec<Payment>,
    /// Sent to the bank, in all.
    pub sent: Money,
    /// Booked (the issuer's side: summed from the payments).
    pub settled: Money,
    pub in_transit: Money,
    /// Rejected or returned.
    pub sent_back: Money,
    /// The providers' side: their claims paid by these runs.
    pub claims_paid: Money,
    /// Whether `settled` equals `claims_paid`.
    pub agrees: bool,
}

/// The statement of `issuer`'s payments to providers of `provider_region`
/// in `period`: for their regulators and operators.
pub async fn statement(
    db: &Db,
    actor: &Actor,
    issuer: &Region,
    provider_region: &Region,
    period: &str,
) -> ServiceResult<Statement> {
    access::permit(actor, Action::ReadCrossRegion)?;
    if actor.role == Role::Regulator
        && !actor.regulates(issuer)
        && !actor.regulates(provider_region)
    {
        return Err(DomainError::Forbidden(
            "a regulator reads the statements of its own region, as issuer or as providers' region"
                .into(),
        )
        .into());
    }
    let conn = db.reader();
    let runs = settlement_runs::Entity::find()
        .filter(settlement_runs::Column::Region.eq(issuer.clone()))
        .filter(settlement_runs::Column::Period.eq(period))
        .filter(
            settlement_runs::Column::Status
                .is_not_in([RunStatus::Draft.as_str(), RunStatus::Cancelled.as_str()]),
        )
        .order_by_asc(settlement_runs::Column::CreatedAt)
        .all(conn)
        .await?;
    let run_ids: Vec<Uuid> = runs.iter().map(|r| r.id).collect();
    let providers = Query::select()
        .column(organizations::Column::Id)
        .from(organizations::Entity)
        .and_where(Expr::col(organizations::Column::Region).eq(provider_region.as_str()))
        .and_where(Expr::col(organizations::Column::Kind).eq(OrgKind::Provider.as_str()))
        .to_owned();
    let items = settlement_items::Entity::find()
        .filter(settlement_items::Column::RunId.is_in(run_ids.clone()))
        .filter(settlement_items::Column::ProviderId.in_subquery(providers.clone()))
        .order_by_asc(settlement_items::Column::RunId)
        .order_by_asc(settlement_items::Column::Id)
        .all(conn)
        .await?;
    let item_ids: Vec<Uuid> = items.iter().map(|i| i.id).collect();
    let paid_claims = claims::Entity::find()
        .filter(claims::Column::SettlementItemId.is_in(item_ids.clone()))
        .order_by_asc(claims::Column::Id)
        .all(conn)
        .await?;
    let names = names(conn, items.iter().map(|i| i.provider_id)).await?;
    let overflow = || ServiceError::Internal("statement overflow".into());
    let (mut sent, mut settled, mut in_transit, mut sent_back) =
        (Money::ZERO, Money::ZERO, Money::ZERO, Money::ZERO);
    let mut payments = Vec::with_capacity(items.len());
    for i in items {
        let amount = Money::from_fen(i.amount);
        let item_status: ItemStatus = status(&i.status)?;
        let add = |sum: Money| sum.checked_add(amount).ok_or_else(overflow);
        match item_status {
            ItemStatus::Included | ItemStatus::Cancelled => {}
            ItemStatus::Sent => (sent, in_transit) = (add(sent)?, add(in_transit)?),
            ItemStatus::Settled => (sent, settled) = (add(sent)?, add(settled)?),
            ItemStatus::Rejected | ItemStatus::Returned => {
                (sent, sent_back) = (add(sent)?, add(sent_back)?)
            }
        }
        payments.push(Payment {
            run_id: i.run_id,
            item_id: i.id,
            provider_name: names.get(&i.provider_id).cloned().unwrap_or_default(),
            provider_id: i.provider_id,
            account_number: i.account_number,
            cnaps_code: i.cnaps_code,
            amount,
            status: item_status,
            bank_reference: i.bank_reference,
            reason: i.reason,
            claims: paid_claims
                .iter()
                .filter(|c| c.settlement_item_id == Some(i.id))
                .map(|c| PaidClaim {
                    id: c.id,
                    invoice_no: c.invoice_no.clone(),
                    amount: Money::from_fen(c.amount),
                    status: c.status,
                })
                .collect(),
        });
    }
    // The providers' side, from the claims table alone.
    let claims_paid: Option<i64> = claims::Entity::find()
        .filter(claims::Column::Region.eq(issuer.clone()))
        .filter(claims::Column::Status.eq(ClaimStatus::Paid))
        .filter(claims::Column::ProviderId.in_subquery(providers))
        .filter(claims::Column::SettlementItemId.is_in(item_ids))
        .select_only()
        .column_as(sum_fen(Expr::col(claims::Column::Amount)), "amount")
        .into_tuple()
        .one(conn)
        .await?
        .flatten();
    let claims_paid = Money::from_fen(claims_paid.unwrap_or(0));
    let files = bank_files::Entity::find()
        .filter(bank_files::Column::RunId.is_in(run_ids))
        .order_by_asc(bank_files::Column::CreatedAt)
        .all(conn)
        .await?;
    let runs = runs
        .into_iter()
        .map(|r| {
            Ok(StatementRun {
                id: r.id,
                status: status(&r.status)?,
                files: files
                    .iter()
                    .filter(|f| f.run_id == Some(r.id))
                    .cloned()
                    .map(FileRef::from)
                    .collect(),
            })
        })
        .collect::<ServiceResult<Vec<_>>>()?;
    Ok(Statement {
        issuer_region: issuer.clone(),
        provider_region: provider_region.clone(),
        period: period.to_owned(),
        runs,
        payments,
        sent,
        settled,
        in_transit,
        sent_back,
        agrees: settled == claims_paid,
        claims_paid,
    })
}

/// The statement as CSV: one line per claim paid (a payment sent back has
/// one line without a claim), then the totals.
pub fn csv(s: &Statement) -> String {
    let mut out = format!(
        "{CSV_BOM}issuer_region,provider_region,period,run_id,item_id,provider,account_number,\
         item_status,item_amount,claim_id,invoice_no,claim_amount,claim_status\r\n",
    );
    for p in &s.payments {
        let head = [
            csv_field(s.issuer_region.as_str()),
            csv_field(s.provider_region.as_str()),
            csv_field(&s.period),
            p.run_id.to_string(),
            p.item_id.to_string(),
            csv_field(&p.provider_name),
            csv_field(&p.account_number),
            p.status.to_string(),
            p.amount.to_string(),
        ]
        .join(",");
        if p.claims.is_empty() {
            out.push_str(&format!("{head},,,,\r\n"));
        }
        for c in &p.claims {
            out.push_str(&format!(
                "{head},{},{},{},{}\r\n",
                c.id,
                csv_field(&c.invoice_no),
                c.amount,
                c.status
            ));
        }
    }
    out.push_str(&format!(
        "total,,,,,,,sent {},settled {},in transit {},sent back {},claims paid {},{}\r\n",
        s.sent,
        s.settled,
        s.in_transit,
        s.sent_back,
        s.claims_paid,
        if s.agrees { "agrees" } else { "DIFFERS" }
    ));
    out
}

/// The statement as a printable page (self-contained HTML).
pub fn html(s: &Statement) -> String {
    use crate::domain::bank_files::pain001::escape;
    let mut rows = String::new();
    for p in &s.payments {
        let claims: Vec<String> = p
            .claims
            .iter()
            .map(|c| format!("{} ({})", escape(&c.invoice_no), c.amount))
            .collect();
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
            escape(&p.provider_name),
            escape(&p.account_number),
            super::advice::in_words(p.status),
            p.amount,
            escape(p.bank_reference.as_deref().or(p.reason.as_deref()).unwrap_or("")),
            claims.join("<br>")
        ));
    }
    let files: Vec<String> = s
        .runs
        .iter()
        .flat_map(|r| r.files.iter())
        .map(|f| {
            format!(
                "<li><span translate=\"no\">{}</span> <code>{}</code></li>",
                escape(&f.name),
                f.sha256
            )
        })
        .collect();
    format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <title>跨地区结算对账单 {issuer}→{provider} {period}</title>\
         <style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;width:100%}}\
         td,th{{border:1px solid #999;padding:4px 8px;text-align:left}}.n{{text-align:right}}\
         code{{font-size:.8em;word-break:break-all}}.wrap{{overflow-x:auto}}th{{white-space:nowrap}}td{{min-width:5em}}\
         @media print{{body{{margin:0}}}}</style></head><body><main>\
         <h1>跨地区结算对账单</h1><p>付款地区 {issuer} · 服务机构所在地 {provider} · 结算期 {period}</p>\
         <div class=\"wrap\" tabindex=\"0\" role=\"region\" aria-label=\"结算明细\">\
         <table><thead><tr><th>服务机构</th><th>账号</th><th>状态</th><th class=\"n\">金额（元）</th>\
         <th>银行流水号 / 原因</th><th>申请（发票号）</th></tr></thead><tbody>{rows}</tbody></table></div>\
         <p>发出 {sent} · 已入账 {settled} · 在途 {in_transit} · 退回 {sent_back} · \
         服务机构一方（已付申请）{claims_paid} · {agrees}</p><h2>银行文件 SHA-256</h2><ul>{files}</ul>\
         </main></body></html>\n",
        issuer = s.issuer_region,
        provider = s.provider_region,
        period = escape(&s.period),
        sent = s.sent,
        settled = s.settled,
        in_transit = s.in_transit,
        sent_back = s.sent_back,
        claims_paid = s.claims_paid,
        agrees = if s.agrees { "双方一致" } else { "双方不一致" },
        files = files.join(""),
    )
}
