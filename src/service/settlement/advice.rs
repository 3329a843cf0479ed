//! What a provider is told about a payment: the remittance advice with its
//! 兑付明细表 — the run, the account paid, the amount, what the bank said,
//! and each redemption the payment covers (claim, invoice, voucher,
//! contract, company, amount) — as CSV and as a printable page; and the
//! provider's payments, newest first. For the provider itself and the
//! regulator of the paying region.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use uuid::Uuid;

use super::{names, status};
use crate::domain::bank_files::pain001::escape;
use crate::domain::settlement::{ItemStatus, RunStatus};
use crate::domain::text::{csv_field, CSV_BOM};
use crate::domain::{Actor, DomainError, Money, Region, Role};
use crate::service::ServiceResult;
use crate::store::entities::{claims, redemptions, settlement_items, settlement_runs, vouchers};
use crate::store::Db;

/// One redemption a payment covers.
#[derive(Debug, Clone, Serialize)]
pub struct AdviceLine {
    pub claim_id: Uuid,
    pub invoice_no: String,
    pub voucher_serial: String,
    pub contract_no: String,
    pub company: String,
    pub amount: Money,
}

/// A payment to a provider, as the provider sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Advice {
    pub run_id: Uuid,
    pub region: Region,
    pub period: String,
    pub run_status: RunStatus,
    pub item_id: Uuid,
    pub provider_id: Uuid,
    pub provider_name: String,
    pub account_name: String,
    pub account_number: String,
    pub bank_name: String,
    pub cnaps_code: String,
    pub amount: Money,
    pub status: ItemStatus,
    pub bank_reference: Option<String>,
    pub settled_at: Option<DateTime<Utc>>,
    pub exported_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    /// The redemptions it pays (none once the bank sent it back).
    pub lines: Vec<AdviceLine>,
}

/// Whether `actor` may read the payments of `provider` from `region`.
fn may_read(actor: &Actor, provider: Uuid, region: &Region) -> bool {
    match actor.role {
        Role::Regulator => actor.regulates(region),
        _ => actor.role == Role::Provider && actor.sub == provider,
    }
}

/// The advice of payment `item` of run `run`.
pub async fn advice(db: &Db, actor: &Actor, run: Uuid, item: Uuid) -> ServiceResult<Advice> {
    let conn = db.reader();
    let found = settlement_items::Entity::find_by_id(item)
        .one(conn)
        .await?
        .filter(|i| i.run_id == run);
    let the_run = settlement_runs::Entity::find_by_id(run).one(conn).await?;
    let (Some(i), Some(r)) = (found, the_run) else {
        return Err(DomainError::NotFound.into());
    };
    if !may_read(actor, i.provider_id, &r.region) {
        return Err(DomainError::NotFound.into());
    }
    let claims = claims::Entity::find()
        .filter(claims::Column::SettlementItemId.eq(i.id))
        .order_by_asc(claims::Column::Id)
        .all(conn)
        .await?;
    let claim_ids: Vec<Uuid> = claims.iter().map(|c| c.id).collect();
    let rows = redemptions::Entity::find()
        .filter(redemptions::Column::ClaimId.is_in(claim_ids))
        .order_by_asc(redemptions::Column::ClaimId)
        .order_by_asc(redemptions::Column::Id)
        .all(conn)
        .await?;
    let serials: std::collections::HashMap<Uuid, String> = vouchers::Entity::find()
        .filter(vouchers::Column::Id.is_in(rows.iter().map(|r| r.voucher_id)))
        .select_only()
        .column(vouchers::Column::Id)
        .column(vouchers::Column::Serial)
        .into_tuple::<(Uuid, String)>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    let orgs = names(
        conn,
        rows.iter().map(|r| r.company_id).chain([i.provider_id]),
    )
    .await?;
    let lines = rows
        .iter()
        .map(|red| {
            let claim = claims.iter().find(|c| Some(c.id) == red.claim_id);
            AdviceLine {
                claim_id: claim.map(|c| c.id).unwrap_or_default(),
                invoice_no: claim.map(|c| c.invoice_no.clone()).unwrap_or_default(),
                voucher_serial: serials.get(&red.voucher_id).cloned().unwrap_or_default(),
                contract_no: red.contract_no.clone(),
                company: orgs.get(&red.company_id).cloned().unwrap_or_default(),
                amount: Money::from_fen(red.completed_amount),
            }
        })
        .collect();
    let provider_name = orgs.get(&i.provider_id).cloned().unwrap_or_default();
    Advice::of(&r, i, provider_name, lines)
}

impl Advice {
    /// Payment `i` of run `r`, to `provider_name`, paying `lines`.
    fn of(
        r: &settlement_runs::Model,
        i: settlement_items::Model,
        provider_name: String,
        lines: Vec<AdviceLine>,
    ) -> ServiceResult<Self> {
        Ok(Advice {
            run_id: r.id,
            region: r.region.clone(),
            period: r.period.clone(),
            run_status: status(&r.status)?,
            item_id: i.id,
            provider_name,
            provider_id: i.provider_id,
            account_name: i.account_name,
            account_number: i.account_number,
            bank_name: i.bank_name,
            cnaps_code: i.cnaps_code,
            amount: Money::from_fen(i.amount),
            status: status(&i.status)?,
            bank_reference: i.bank_reference,
            settled_at: i.settled_at,
            exported_at: r.exported_at,
            reason: i.reason,
            lines,
        })
    }
}

/// A provider's payments, newest first (the provider itself, or a
/// regulator: the payments from its region).
pub async fn payments(db: &Db, actor: &Actor, provider: Uuid) -> ServiceResult<Vec<Advice>> {
    let conn = db.reader();
    let items = settlement_items::Entity::find()
        .filter(settlement_items::Column::ProviderId.eq(provider))
        .filter(settlement_items::Column::Status.ne(ItemStatus::Cancelled.as_str()))
        .order_by_desc(settlement_items::Column::Id)
        .limit(200)
        .all(conn)
        .await?;
    let runs: std::collections::HashMap<Uuid, settlement_runs::Model> =
        settlement_runs::Entity::find()
            .filter(settlement_runs::Column::Id.is_in(items.iter().map(|i| i.run_id)))
            .all(conn)
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
    let own = actor.role == Role::Provider && actor.sub == provider;
    if !own && actor.role != Role::Regulator {
        return Err(DomainError::NotFound.into());
    }
    let name = names(conn, [provider])
        .await?
        .remove(&provider)
        .unwrap_or_default();
    let mut out = Vec::new();
    for i in items {
        let Some(r) = runs.get(&i.run_id) else {
            continue;
        };
        if !may_read(actor, provider, &r.region) {
            continue;
        }
        out.push(Advice::of(r, i, name.clone(), Vec::new())?);
    }
    Ok(out)
}

/// 兑付明细表 as CSV (UTF-8 with a BOM): the payment, then one line per
/// redemption, then the total.
pub fn csv(a: &Advice) -> String {
    let mut out = String::from(CSV_BOM);
    out.push_str(&format!(
        "兑付通知,{},{},{},{}\r\n收款人,{},{},{},{}\r\n金额(元),{},状态,{},银行流水号,{}\r\n",
        a.region,
        csv_field(&a.period),
        a.run_id,
        a.item_id,
        csv_field(&a.account_name),
        csv_field(&a.account_number),
        csv_field(&a.bank_name),
        csv_field(&a.cnaps_code),
        a.amount,
        a.status,
        csv_field(a.bank_reference.as_deref().unwrap_or(""))
    ));
    out.push_str("序号,申请编号,发票号,创新券编号,合同编号,企业,金额(元)\r\n");
    for (n, l) in a.lines.iter().enumerate() {
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\r\n",
            n + 1,
            l.claim_id,
            csv_field(&l.invoice_no),
            csv_field(&l.voucher_serial),
            csv_field(&l.contract_no),
            csv_field(&l.company),
            l.amount
        ));
    }
    out.push_str(&format!("合计,,,,,,{}\r\n", a.amount));
    out
}

/// The advice as a printable page (self-contained HTML).
pub fn html(a: &Advice) -> String {
    let e = |t: &str| escape(t);
    let rows: String = a
        .lines
        .iter()
        .enumerate()
        .map(|(n, l)| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
                n + 1,
                e(&l.invoice_no),
                e(&l.voucher_serial),
                e(&l.contract_no),
                e(&l.company),
                l.amount
            )
        })
        .collect();
    let outcome = match (&a.bank_reference, &a.reason) {
        (Some(reference), _) => format!("银行流水号 {}", e(reference)),
        (None, Some(reason)) => format!("退回原因：{}", e(reason)),
        _ => "等待银行回单".to_owned(),
    };
    format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>兑付通知 {period}</title>\
         <style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;width:100%}}\
         td,th{{border:1px solid #999;padding:4px 8px;text-align:left}}.n{{text-align:right}}\
         .wrap{{overflow-x:auto}}th{{white-space:nowrap}}td{{min-width:5em}}\
         @media print{{body{{margin:0}}}}</style></head><body><main>\
         <h1>科技创新券兑付通知（兑付明细表）</h1>\
         <p>付款地区 {region} · 结算期 {period} · 结算批次 {run} · 付款编号 {item}</p>\
         <p>收款人 {name}<br>账号 {number} · {bank}（行号 {cnaps}）</p>\
         <p>金额 <strong>¥{amount}</strong> · 状态 {status} · {outcome}</p>\
         <div class=\"wrap\" tabindex=\"0\" role=\"region\" aria-label=\"兑付明细\">\
         <table><thead><tr><th>序号</th><th>发票号</th><th>创新券编号</th><th>合同编号</th><th>企业</th>\
         <th class=\"n\">金额（元）</th></tr></thead><tbody>{rows}</tbody>\
         <tfoot><tr><th colspan=\"5\">合计</th><th class=\"n\">{amount}</th></tr></tfoot></table></div>\
         </main></body></html>\n",
        region = a.region,
        period = e(&a.period),
        run = a.run_id,
        item = a.item_id,
        name = e(&a.account_name),
        number = e(&a.account_number),
        bank = e(&a.bank_name),
        cnaps = e(&a.cnaps_code),
        amount = a.amount,
        status = in_words(a.status),
    )
}

/// A payment's status in the advice's words.
pub(super) fn in_words(status: ItemStatus) -> &'static str {
    match status {
        ItemStatus::Included => "待发送",
        ItemStatus::Sent => "在途",
        ItemStatus::Settled => "已入账",
        ItemStatus::Rejected => "被银行拒绝",
        ItemStatus::Returned => "被退回",
        ItemStatus::Cancelled => "已撤销",
    }
}
