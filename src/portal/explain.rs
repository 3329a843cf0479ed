//! Refusals in words: which rule, its numbers and the policy version, in
//! the user's language, to be shown next to the field they concern.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::i18n::{date, yuan, Lang};
use crate::domain::{DomainError, Money, Refusal, Region};

/// The numbers of a rule, gathered by the page that asked, for the
/// explanation of a refusal.
#[derive(Debug, Clone)]
pub enum Numbers {
    /// The share rule: the share, the most the contract allows.
    Share {
        share: Decimal,
        most: Money,
        policy: Policy,
    },
    /// What the voucher has available.
    Available(Money),
}

/// A policy version, as the explanation names it.
#[derive(Debug, Clone)]
pub struct Policy {
    pub region: Region,
    pub effective_from: NaiveDate,
}

impl Policy {
    /// "上海 2026 版" / "Shanghai policy of 2026-01-01".
    pub fn name(&self, lang: Lang) -> String {
        lang.t("policy.version")
            .replace("{region}", region_name(lang, &self.region))
            .replace("{year}", &self.effective_from.year().to_string())
            .replace("{from}", &date(self.effective_from))
    }
}

/// A region's name in `lang`.
pub fn region_name(lang: Lang, region: &Region) -> &'static str {
    match region.as_str() {
        "SH" => lang.t("region.SH"),
        "ZJ" => lang.t("region.ZJ"),
        "JX" => lang.t("region.JX"),
        _ => "",
    }
}

/// A share as a percentage: `50%`.
pub fn percent(share: Decimal) -> String {
    format!("{}%", (share * Decimal::from(100)).normalize())
}

/// The form field a refusal concerns.
pub fn field_of(err: &DomainError) -> &'static str {
    match err {
        DomainError::Refused(refusal, _) => match refusal {
            Refusal::DuplicateContract => "contract_no",
            Refusal::DuplicateInvoice | Refusal::ClaimDeadlinePassed => "invoice_no",
            Refusal::ProviderNotAdmitted | Refusal::RelatedParty => "provider_id",
            Refusal::CategoryNotEligible => "service_category",
            _ => "amount",
        },
        DomainError::Validation(fields) => match fields.first().map(|f| f.field.as_str()) {
            Some("contract_no") => "contract_no",
            Some("invoice_no") => "invoice_no",
            Some("service_category") => "service_category",
            Some("purpose") => "purpose",
            Some("year") => "year",
            Some("region") => "region",
            _ => "amount",
        },
        _ => "amount",
    }
}

/// A domain refusal in words, with its numbers when the page has them.
pub fn domain(lang: Lang, err: &DomainError, numbers: Option<&Numbers>) -> String {
    match err {
        DomainError::Refused(refusal, detail) => refused(lang, *refusal, detail, numbers),
        DomainError::Validation(fields) => {
            let amount = fields
                .iter()
                .any(|f| f.message.starts_with(crate::domain::money::AMOUNT_ERROR));
            if amount {
                return lang.t("refusal.amount_format").to_owned();
            }
            let text: Vec<String> = fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect();
            format!("{}{}", lang.t("refusal.other"), text.join("; "))
        }
        other => format!("{}{other}", lang.t("refusal.other")),
    }
}

fn refused(lang: Lang, refusal: Refusal, detail: &str, numbers: Option<&Numbers>) -> String {
    match (refusal, numbers) {
        (
            Refusal::ShareExceeded,
            Some(Numbers::Share {
                share,
                most,
                policy,
            }),
        ) => lang
            .t("refusal.share_exceeded.numbers")
            .replace("{share}", &percent(*share))
            .replace("{policy}", &policy.name(lang))
            .replace("{most}", &yuan(*most)),
        (Refusal::InsufficientBalance, Some(Numbers::Available(available))) => format!(
            "{}：{} {}",
            lang.t("refusal.insufficient_balance"),
            lang.t("hold.available"),
            yuan(*available)
        ),
        _ => {
            let key = format!("refusal.{}", refusal.code());
            match lang.t(&key) {
                super::i18n::MISSING => format!("{}{detail}", lang.t("refusal.other")),
                text => text.to_owned(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_refusal_names_the_rule_the_number_and_the_version() {
        let numbers = Numbers::Share {
            share: Decimal::new(5, 1),
            most: Money::from_fen(10_000_000),
            policy: Policy {
                region: Region::parse("SH").unwrap(),
                effective_from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            },
        };
        let err = DomainError::refused(Refusal::ShareExceeded, "x");
        assert_eq!(
            domain(Lang::Zh, &err, Some(&numbers)),
            "超过合同金额 50% 的上限（上海 2026 版）：本合同最多可用 ¥100,000.00"
        );
        assert_eq!(
            domain(Lang::En, &err, Some(&numbers)),
            "Above the 50% of the contract a voucher may pay (Shanghai policy of 2026-01-01): this contract allows at most ¥100,000.00"
        );
    }

    #[test]
    fn every_refusal_has_words_in_both_languages() {
        use Refusal::*;
        for refusal in [
            InsufficientBalance,
            BudgetExceeded,
            AnnualCapExceeded,
            ShareExceeded,
            ProviderNotAdmitted,
            CategoryNotEligible,
            RelatedParty,
            VoucherExpired,
            ClaimDeadlinePassed,
            DuplicateContract,
            DuplicateInvoice,
            CrossRegionBudgetExceeded,
            InvalidState,
        ] {
            for lang in [Lang::Zh, Lang::En] {
                let text = domain(lang, &DomainError::refused(refusal, "detail"), None);
                assert!(!text.contains("detail"), "{refusal:?} {lang:?}: {text}");
                assert!(!text.contains('{'), "{refusal:?} {lang:?}: {text}");
            }
        }
    }
}
