//! A batch as a bulk-payment sheet (批量代发): UTF-8 with a byte-order
//! mark so that Excel opens the Chinese correctly, one row per payment,
//! amounts as plain numbers, then a control row with the count and sum.

use super::Batch;
use crate::domain::text::csv_field;

const HEADER: &str =
    "序号,业务参考号(EndToEndId),收款户名,收款账号,开户行,开户行行号(CNAPS),金额(元),用途";

/// The sheet. None if the control sum overflows.
pub fn write(batch: &Batch) -> Option<String> {
    let sum = batch.control_sum()?;
    let mut out = String::from("\u{feff}");
    out.push_str(HEADER);
    out.push_str("\r\n");
    for (i, p) in batch.payments.iter().enumerate() {
        let fields = [
            (i + 1).to_string(),
            csv_field(&p.end_to_end_id),
            csv_field(&p.creditor.name),
            csv_field(&p.creditor.account_number),
            csv_field(&p.creditor.bank_name),
            csv_field(&p.creditor.cnaps_code),
            p.amount.to_string(),
            csv_field(&p.remittance),
        ];
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out.push_str(&format!(
        "合计,{},{},,,,{sum},{}\r\n",
        batch.payments.len(),
        csv_field(&batch.debtor.name),
        csv_field(&batch.message_id)
    ));
    Some(out)
}
