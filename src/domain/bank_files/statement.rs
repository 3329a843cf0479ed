//! What comes back from the bank, read into one list of lines: ISO 20022
//! `pain.002` (the status of each payment: accepted or rejected),
//! `camt.053` (the account statement) and `camt.054` (debit and credit
//! notifications) — booked payments, and payments sent back (returns,
//! reversals) — and a bank's CSV statement. A file that is not what it
//! says (not XML, another message, a DOCTYPE, too deep, an amount not in
//! CNY, a line without an amount) is refused whole, naming where.

use super::xml::{self, Element};
use super::FileError;
use crate::domain::Money;

/// The kinds of file the bank sends back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Pain002,
    Camt053,
    Camt054,
    Csv,
}

crate::text_enum!(Format {
    Pain002 => "pain.002",
    Camt053 => "camt.053",
    Camt054 => "camt.054",
    Csv => "statement.csv",
});

/// What the bank says about one payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted for execution (pain.002): nothing moves yet.
    Accepted,
    /// Booked: the payee was paid.
    Booked,
    /// Refused before it was paid.
    Rejected,
    /// Paid, then sent back (a return or reversal).
    Returned,
    /// Not final yet (pending, or information only).
    Pending,
}

/// One line of a file: a payment the bank reports on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Where in the file: `line 4` or `Ntry[2] (line 31)`.
    pub locator: String,
    /// The payment's EndToEndId, if the bank gave it back.
    pub end_to_end_id: Option<String>,
    pub amount: Option<Money>,
    /// The payee's account number, if given.
    pub account_number: Option<String>,
    pub outcome: Outcome,
    /// The bank's reason code and text, for a rejection or return.
    pub reason: Option<String>,
    /// The bank's own reference of the booking.
    pub bank_reference: Option<String>,
}

/// A file read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub format: Format,
    /// pain.002: the message it reports on (our run's id, 32 hex digits).
    pub original_message: Option<String>,
    /// pain.002: the whole message was rejected, with this reason.
    pub group_rejected: Option<String>,
    pub lines: Vec<Line>,
}

/// Reads `text` as a file of `format`.
pub fn read(format: Format, text: &str) -> Result<Statement, FileError> {
    match format {
        Format::Csv => csv(text),
        Format::Pain002 => pain002(&document(text, "pain.002", "CstmrPmtStsRpt")?),
        Format::Camt053 => camt(
            format,
            &document(text, "camt.053", "BkToCstmrStmt")?,
            "Stmt",
        ),
        Format::Camt054 => camt(
            format,
            &document(text, "camt.054", "BkToCstmrDbtCdtNtfctn")?,
            "Ntfctn",
        ),
    }
}

/// The message element of an ISO 20022 `Document` of `message` (e.g.
/// `camt.053`), whatever its version.
fn document(text: &str, message: &str, body: &str) -> Result<Element, FileError> {
    let mut root = xml::parse(text)?;
    let namespace = format!("urn:iso:std:iso:20022:tech:xsd:{message}.");
    let declared = root
        .attributes
        .iter()
        .filter(|(k, _)| k == "xmlns" || k.starts_with("xmlns:"))
        .any(|(_, v)| v.starts_with(&namespace));
    if root.name != "Document" || !declared {
        return Err(FileError::at(
            root.line,
            format!("not a {message} message: the root must be a Document in {namespace}*"),
        ));
    }
    let index = root
        .children
        .iter()
        .position(|c| c.name == body)
        .ok_or_else(|| FileError::at(root.line, format!("no <{body}> in the Document")))?;
    Ok(root.children.swap_remove(index))
}

/// An amount in CNY: refused otherwise.
fn amount(element: &Element) -> Result<Money, FileError> {
    if let Some(currency) = element.attribute("Ccy") {
        if currency != "CNY" {
            return Err(FileError::at(
                element.line,
                format!("<{}> is in {currency}: the fund pays in CNY", element.name),
            ));
        }
    }
    Money::parse_positive(element.text.trim()).map_err(|e| {
        FileError::at(
            element.line,
            format!("<{}> is not an amount: {e}", element.name),
        )
    })
}

fn account_of(party_account: Option<&Element>) -> Option<String> {
    let id = party_account?.child("Id")?;
    id.text_at(&["Othr", "Id"])
        .or_else(|| id.text_at(&["IBAN"]))
}

/// A reason code and its text, as one line (`AC04 账户已销户`).
fn reason_of(info: Option<&Element>) -> Option<String> {
    let info = info?;
    let code = info
        .text_at(&["Rsn", "Cd"])
        .or_else(|| info.text_at(&["Rsn", "Prtry"]));
    let text: Vec<String> = info
        .all("AddtlInf")
        .map(|a| a.text.trim().to_owned())
        .collect();
    let joined = [code.unwrap_or_default(), text.join(" ")].join(" ");
    let joined = joined.trim();
    (!joined.is_empty()).then(|| joined.to_owned())
}

fn end_to_end(id: Option<String>) -> Option<String> {
    id.filter(|i| !i.eq_ignore_ascii_case("NOTPROVIDED"))
}

fn pain002(report: &Element) -> Result<Statement, FileError> {
    let group = report.child("OrgnlGrpInfAndSts");
    let original_message = group.and_then(|g| g.text_at(&["OrgnlMsgId"]));
    let group_status = group.and_then(|g| g.text_at(&["GrpSts"]));
    let mut lines = Vec::new();
    let mut rejected_block = None;
    for (b, block) in report.all("OrgnlPmtInfAndSts").enumerate() {
        if block.text_at(&["PmtInfSts"]).as_deref() == Some("RJCT") {
            rejected_block = reason_of(block.child("StsRsnInf")).or(Some("RJCT".into()));
        }
        for (t, tx) in block.all("TxInfAndSts").enumerate() {
            let status = tx.text_at(&["TxSts"]).ok_or_else(|| {
                FileError::at(tx.line, "a <TxInfAndSts> without <TxSts>".to_owned())
            })?;
            let outcome = match status.as_str() {
                "RJCT" => Outcome::Rejected,
                "ACCP" | "ACTC" | "ACSP" | "ACSC" | "ACWC" | "ACCC" => Outcome::Accepted,
                _ => Outcome::Pending,
            };
            let reference = tx.child("OrgnlTxRef");
            lines.push(Line {
                locator: format!(
                    "OrgnlPmtInfAndSts[{}]/TxInfAndSts[{}] (line {})",
                    b + 1,
                    t + 1,
                    tx.line
                ),
                end_to_end_id: end_to_end(tx.text_at(&["OrgnlEndToEndId"])),
                amount: reference
                    .and_then(|r| r.at(&["Amt", "InstdAmt"]))
                    .map(amount)
                    .transpose()?,
                account_number: account_of(reference.and_then(|r| r.child("CdtrAcct"))),
                outcome,
                reason: reason_of(tx.child("StsRsnInf")),
                bank_reference: tx.text_at(&["AcctSvcrRef"]),
            });
        }
    }
    let group_rejected = match group_status.as_deref() {
        Some("RJCT") => Some(
            reason_of(group.and_then(|g| g.child("StsRsnInf"))).unwrap_or_else(|| "RJCT".into()),
        ),
        _ if lines.is_empty() => rejected_block,
        _ => None,
    };
    Ok(Statement {
        format: Format::Pain002,
        original_message,
        group_rejected,
        lines,
    })
}

fn camt(format: Format, message: &Element, report: &str) -> Result<Statement, FileError> {
    let mut lines = Vec::new();
    let mut n = 0;
    for statement in message.all(report) {
        for entry in statement.all("Ntry") {
            n += 1;
            let entry_amount = entry
                .child("Amt")
                .ok_or_else(|| FileError::at(entry.line, "a <Ntry> without <Amt>"))
                .and_then(amount)?;
            let status = entry
                .text_at(&["Sts", "Cd"])
                .or_else(|| entry.text_at(&["Sts"]))
                .unwrap_or_default();
            let credit = entry.text_at(&["CdtDbtInd"]).as_deref() == Some("CRDT");
            let reversal = entry.text_at(&["RvslInd"]).as_deref() == Some("true");
            let bank_reference = entry.text_at(&["AcctSvcrRef"]);
            let details: Vec<&Element> = entry
                .all("NtryDtls")
                .flat_map(|d| d.all("TxDtls"))
                .collect();
            let outcome_of = |returned: bool| match status.as_str() {
                "BOOK" if returned || credit || reversal => Outcome::Returned,
                "BOOK" => Outcome::Booked,
                _ => Outcome::Pending,
            };
            if details.is_empty() {
                lines.push(Line {
                    locator: format!("Ntry[{n}] (line {})", entry.line),
                    end_to_end_id: None,
                    amount: Some(entry_amount),
                    account_number: None,
                    outcome: outcome_of(false),
                    reason: reason_of(entry.child("RtrInf")),
                    bank_reference,
                });
                continue;
            }
            for (t, tx) in details.iter().enumerate() {
                let tx_amount = match tx
                    .child("Amt")
                    .or_else(|| tx.at(&["AmtDtls", "TxAmt", "Amt"]))
                {
                    Some(a) => amount(a)?,
                    None if details.len() == 1 => entry_amount,
                    None => {
                        return Err(FileError::at(
                            tx.line,
                            "a <TxDtls> of a batch entry without <Amt>",
                        ))
                    }
                };
                let returned = tx.child("RtrInf");
                lines.push(Line {
                    locator: format!("Ntry[{n}]/TxDtls[{}] (line {})", t + 1, tx.line),
                    end_to_end_id: end_to_end(tx.text_at(&["Refs", "EndToEndId"])),
                    amount: Some(tx_amount),
                    account_number: account_of(tx.at(&["RltdPties", "CdtrAcct"])),
                    outcome: outcome_of(returned.is_some()),
                    reason: reason_of(returned),
                    bank_reference: tx
                        .text_at(&["Refs", "AcctSvcrRef"])
                        .or_else(|| bank_reference.clone()),
                });
            }
        }
    }
    Ok(Statement {
        format,
        original_message: None,
        group_rejected: None,
        lines,
    })
}

/// The columns of a bank's CSV statement, by their header (English or
/// Chinese, any case): EndToEndId, amount and status are required.
const COLUMNS: [(&str, &[&str]); 6] = [
    (
        "end_to_end_id",
        &["endtoendid", "end_to_end_id", "业务参考号"],
    ),
    ("amount", &["amount", "金额", "金额(元)"]),
    ("status", &["status", "状态"]),
    ("account_number", &["account_number", "account", "收款账号"]),
    ("bank_reference", &["bank_reference", "银行流水号"]),
    ("reason", &["reason", "原因", "备注"]),
];

fn csv(text: &str) -> Result<Statement, FileError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = rows
        .next()
        .ok_or_else(|| FileError::at(1, "an empty file: a header line is needed"))?;
    let header = split(header, 1)?;
    let column = |name: &str| {
        let (_, names) = COLUMNS.iter().find(|(n, _)| *n == name)?;
        header
            .iter()
            .position(|h| names.contains(&h.trim().to_lowercase().as_str()))
    };
    let required = |name: &str| {
        column(name).ok_or_else(|| FileError::at(1, format!("the header has no {name} column")))
    };
    let (e2e, amount_at, status_at) = (
        required("end_to_end_id")?,
        required("amount")?,
        required("status")?,
    );
    let (account_at, reference_at, reason_at) = (
        column("account_number"),
        column("bank_reference"),
        column("reason"),
    );
    let mut lines = Vec::new();
    for (i, row) in rows {
        let number = i + 1;
        let fields = split(row, number)?;
        let get = |at: Option<usize>| {
            at.and_then(|a| fields.get(a))
                .map(|f| f.trim().to_owned())
                .filter(|f| !f.is_empty())
        };
        let amount_text = get(Some(amount_at)).ok_or_else(|| FileError::at(number, "no amount"))?;
        let amount = Money::parse_positive(&amount_text)
            .map_err(|e| FileError::at(number, format!("the amount is not one: {e}")))?;
        let status = get(Some(status_at)).unwrap_or_default();
        let outcome = match status.to_lowercase().as_str() {
            "book" | "booked" | "成功" => Outcome::Booked,
            "rjct" | "rejected" | "失败" => Outcome::Rejected,
            "rtrn" | "returned" | "退回" | "退票" => Outcome::Returned,
            "pdng" | "pending" | "处理中" => Outcome::Pending,
            _ => {
                return Err(FileError::at(
                    number,
                    format!("unknown status `{status}`: BOOK, RJCT, RTRN or PDNG"),
                ))
            }
        };
        lines.push(Line {
            locator: format!("line {number}"),
            end_to_end_id: get(Some(e2e)),
            amount: Some(amount),
            account_number: get(account_at),
            outcome,
            reason: get(reason_at),
            bank_reference: get(reference_at),
        });
    }
    Ok(Statement {
        format: Format::Csv,
        original_message: None,
        group_rejected: None,
        lines,
    })
}

/// The fields of a CSV line (RFC 4180 quoting).
fn split(line: &str, number: usize) -> Result<Vec<String>, FileError> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        let field = fields.last_mut().expect("one field at least");
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (',', false) => fields.push(String::new()),
            (c, _) => field.push(c),
        }
    }
    if quoted {
        return Err(FileError::at(number, "a quote is not closed"));
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAMT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
<BkToCstmrStmt><GrpHdr><MsgId>S1</MsgId><CreDtTm>2026-12-02T10:00:00+08:00</CreDtTm></GrpHdr>
<Stmt><Id>S1</Id>
<Ntry><Amt Ccy="CNY">5000.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<AcctSvcrRef>B-1</AcctSvcrRef>
<NtryDtls><TxDtls><Refs><EndToEndId>aaaa</EndToEndId></Refs>
<RltdPties><CdtrAcct><Id><Othr><Id>6222</Id></Othr></Id></CdtrAcct></RltdPties></TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="CNY">10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<NtryDtls><TxDtls><Refs><EndToEndId>bbbb</EndToEndId></Refs>
<RtrInf><Rsn><Cd>AC04</Cd></Rsn><AddtlInf>账户已销户</AddtlInf></RtrInf></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>"#;

    #[test]
    fn a_camt053_gives_booked_and_returned_lines() {
        let statement = read(Format::Camt053, CAMT).unwrap();
        assert_eq!(statement.lines.len(), 2);
        let booked = &statement.lines[0];
        assert_eq!(booked.outcome, Outcome::Booked);
        assert_eq!(booked.end_to_end_id.as_deref(), Some("aaaa"));
        assert_eq!(booked.amount, Some(Money::from_fen(500_000)));
        assert_eq!(booked.account_number.as_deref(), Some("6222"));
        assert_eq!(booked.bank_reference.as_deref(), Some("B-1"));
        let returned = &statement.lines[1];
        assert_eq!(returned.outcome, Outcome::Returned);
        assert_eq!(returned.reason.as_deref(), Some("AC04 账户已销户"));
    }

    #[test]
    fn a_file_of_another_message_or_currency_is_refused() {
        let wrong = read(Format::Camt054, CAMT).unwrap_err();
        assert!(wrong.message.contains("camt.054"), "{wrong:?}");
        let usd = CAMT.replacen("Ccy=\"CNY\"", "Ccy=\"USD\"", 1);
        let err = read(Format::Camt053, &usd).unwrap_err();
        assert_eq!(err.locator, "line 5");
        assert!(read(Format::Pain002, "not xml at all").is_err());
    }

    #[test]
    fn a_pain002_gives_each_payments_status_or_the_groups() {
        let report = r#"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>
<GrpHdr><MsgId>R1</MsgId><CreDtTm>2026-12-02T10:00:00</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>run1</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId><GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>
<OrgnlPmtInfAndSts><OrgnlPmtInfId>run1</OrgnlPmtInfId>
<TxInfAndSts><OrgnlEndToEndId>aaaa</OrgnlEndToEndId><TxSts>ACSP</TxSts></TxInfAndSts>
<TxInfAndSts><OrgnlEndToEndId>bbbb</OrgnlEndToEndId><TxSts>RJCT</TxSts><StsRsnInf><Rsn><Cd>AC01</Cd></Rsn></StsRsnInf></TxInfAndSts>
</OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>"#;
        let report = read(Format::Pain002, report).unwrap();
        assert_eq!(report.original_message.as_deref(), Some("run1"));
        assert_eq!(report.group_rejected, None);
        assert_eq!(report.lines[0].outcome, Outcome::Accepted);
        assert_eq!(report.lines[1].outcome, Outcome::Rejected);
        assert_eq!(report.lines[1].reason.as_deref(), Some("AC01"));
    }

    #[test]
    fn a_csv_statement_is_read_by_its_header() {
        let text = "\u{feff}业务参考号,金额,状态,银行流水号,原因\r\naaaa,5000.00,成功,B-1,\r\n\"bb,bb\",1.00,RTRN,,\"say \"\"no\"\"\"\r\n";
        let sheet = read(Format::Csv, text).unwrap();
        assert_eq!(sheet.lines[0].outcome, Outcome::Booked);
        assert_eq!(sheet.lines[1].end_to_end_id.as_deref(), Some("bb,bb"));
        assert_eq!(sheet.lines[1].reason.as_deref(), Some("say \"no\""));
        let err = read(Format::Csv, "业务参考号,金额,状态\naaaa,abc,成功").unwrap_err();
        assert_eq!(err.locator, "line 2");
    }
}
