//! ISO 20022 `pain.001.001.09` (CustomerCreditTransferInitiationV09): one
//! payment information block from the fund's account, one credit transfer
//! per provider, in CNY, with the count and control sum in the group
//! header and the block. Banks are identified by their CNAPS code as a
//! clearing-system member id.

use std::fmt::Write;

use super::{Batch, Party};
use crate::domain::clock::china_standard_time;

/// The XML namespace of the message.
pub const NAMESPACE: &str = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09";

/// The message, as UTF-8 XML text. None if the control sum overflows.
pub fn write(batch: &Batch) -> Option<String> {
    let sum = batch.control_sum()?;
    let count = batch.payments.len();
    let created = batch
        .created_at
        .with_timezone(&china_standard_time())
        .format("%Y-%m-%dT%H:%M:%S%:z");
    let mut x = String::new();
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(x, "<Document xmlns=\"{NAMESPACE}\">");
    x.push_str("<CstmrCdtTrfInitn>\n<GrpHdr>\n");
    let _ = writeln!(x, "<MsgId>{}</MsgId>", escape(&batch.message_id));
    let _ = writeln!(x, "<CreDtTm>{created}</CreDtTm>");
    let _ = writeln!(x, "<NbOfTxs>{count}</NbOfTxs>\n<CtrlSum>{sum}</CtrlSum>");
    let _ = writeln!(
        x,
        "<InitgPty><Nm>{}</Nm></InitgPty>\n</GrpHdr>",
        escape(&batch.debtor.name)
    );
    x.push_str("<PmtInf>\n");
    let _ = writeln!(x, "<PmtInfId>{}</PmtInfId>", escape(&batch.message_id));
    x.push_str("<PmtMtd>TRF</PmtMtd>\n<BtchBookg>false</BtchBookg>\n");
    let _ = writeln!(x, "<NbOfTxs>{count}</NbOfTxs>\n<CtrlSum>{sum}</CtrlSum>");
    let _ = writeln!(
        x,
        "<ReqdExctnDt><Dt>{}</Dt></ReqdExctnDt>",
        batch.execution_date.format("%Y-%m-%d")
    );
    let _ = writeln!(x, "<Dbtr><Nm>{}</Nm></Dbtr>", escape(&batch.debtor.name));
    account(&mut x, "DbtrAcct", &batch.debtor);
    agent(&mut x, "DbtrAgt", &batch.debtor);
    for p in &batch.payments {
        x.push_str("<CdtTrfTxInf>\n");
        let _ = writeln!(
            x,
            "<PmtId><EndToEndId>{}</EndToEndId></PmtId>",
            escape(&p.end_to_end_id)
        );
        let _ = writeln!(
            x,
            "<Amt><InstdAmt Ccy=\"CNY\">{}</InstdAmt></Amt>",
            p.amount
        );
        agent(&mut x, "CdtrAgt", &p.creditor);
        let _ = writeln!(x, "<Cdtr><Nm>{}</Nm></Cdtr>", escape(&p.creditor.name));
        account(&mut x, "CdtrAcct", &p.creditor);
        let _ = writeln!(
            x,
            "<RmtInf><Ustrd>{}</Ustrd></RmtInf>",
            escape(&truncate(&p.remittance, 140))
        );
        x.push_str("</CdtTrfTxInf>\n");
    }
    x.push_str("</PmtInf>\n</CstmrCdtTrfInitn>\n</Document>\n");
    Some(x)
}

fn account(x: &mut String, tag: &str, party: &Party) {
    let _ = writeln!(
        x,
        "<{tag}><Id><Othr><Id>{}</Id></Othr></Id><Ccy>CNY</Ccy></{tag}>",
        escape(&party.account_number)
    );
}

fn agent(x: &mut String, tag: &str, party: &Party) {
    let _ = writeln!(
        x,
        "<{tag}><FinInstnId><ClrSysMmbId><ClrSysId><Cd>CNAPS</Cd></ClrSysId>\
         <MmbId>{}</MmbId></ClrSysMmbId><Nm>{}</Nm></FinInstnId></{tag}>",
        escape(&party.cnaps_code),
        escape(&truncate(&party.bank_name, 140))
    );
}

/// At most `max` characters (ISO 20022 text types count characters).
fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Text as XML character data or an attribute value.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{Batch, Party, Payment};
    use super::*;
    use crate::domain::Money;

    pub fn party(name: &str) -> Party {
        Party {
            name: name.into(),
            account_number: "6222021001123456789".into(),
            bank_name: "中国工商银行上海分行营业部".into(),
            cnaps_code: "102290000011".into(),
        }
    }

    #[test]
    fn a_batch_carries_its_count_control_sum_and_escaped_names() {
        let batch = Batch {
            message_id: "0193a1b2c3d4e5f60718293a4b5c6d7e".into(),
            created_at: "2026-12-01T02:00:00Z".parse().unwrap(),
            execution_date: "2026-12-01".parse().unwrap(),
            debtor: party("嘉兴市科学技术局"),
            payments: vec![
                Payment {
                    end_to_end_id: "a".repeat(32),
                    amount: Money::from_fen(12_345),
                    creditor: party("R&D <Lab>"),
                    remittance: "JX 2026-11".into(),
                },
                Payment {
                    end_to_end_id: "b".repeat(32),
                    amount: Money::from_fen(5),
                    creditor: party("上海测试技术研究院"),
                    remittance: "JX 2026-11".into(),
                },
            ],
        };
        let xml = write(&batch).unwrap();
        assert_eq!(xml.matches("<NbOfTxs>2</NbOfTxs>").count(), 2);
        assert_eq!(xml.matches("<CtrlSum>123.50</CtrlSum>").count(), 2);
        assert!(xml.contains("<CreDtTm>2026-12-01T10:00:00+08:00</CreDtTm>"));
        assert!(xml.contains("<Nm>R&amp;D &lt;Lab&gt;</Nm>"));
        assert!(xml.contains("<InstdAmt Ccy=\"CNY\">0.05</InstdAmt>"));
    }
}
