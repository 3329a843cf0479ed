//! Refusals in words: which rule, its numbers and the policy version, in
//! the user's language, to be shown next to the field they concern.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::i18n::{date, yuan, Lang};
use crate::domain::eligibility::Housing;
use crate::domain::{DomainError, Figure, Refusal, Region, Rule};

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

/// Every field a refusal can be shown next to ([`field_of`] names one).
pub const FIELDS: &[&str] = &[
    "amount",
    "contract_no",
    "invoice_no",
    "provider_id",
    "service_category",
    "purpose",
    "year",
    "region",
];

/// The form field a refusal concerns.
pub fn field_of(err: &DomainError) -> &'static str {
    match err {
        DomainError::Refused(refusal, ..) => match refusal {
            Refusal::DuplicateContract => "contract_no",
            Refusal::DuplicateInvoice | Refusal::ClaimDeadlinePassed => "invoice_no",
            Refusal::ProviderNotAdmitted | Refusal::RelatedParty => "provider_id",
            Refusal::CategoryNotEligible => "service_category",
            Refusal::NotEligible => match err.rule().map(|r| r.id) {
                Some("sme_registration_required") => "declared.sme_registration",
                Some("team_housing") => "declared.housed_in",
                Some("team_min_core_members") => "declared.core_members",
                _ => "region",
            },
            _ => "amount",
        },
        DomainError::Validation(fields) => match fields.first().map(|f| f.field.as_str()) {
            Some("contract_no") => "contract_no",
            Some("invoice_no") => "invoice_no",
            Some("service_category") => "service_category",
            Some("purpose") => "purpose",
            Some("year") => "year",
            Some("region") => "region",
            Some("account_name") => "account_name",
            Some("account_number") => "account_number",
            Some("bank_name") => "bank_name",
            Some("cnaps_code") => "cnaps_code",
            Some("reason") => "reason",
            Some("bank_reference") => "bank_reference",
            Some("period") => "period",
            Some("content") => "content",
            Some("format") => "format",
            Some("resolution") => "resolution",
            Some("declared.sme_registration") => "declared.sme_registration",
            Some("declared.housed_in") => "declared.housed_in",
            Some("declared.housing_name") => "declared.housing_name",
            Some("declared.core_members") => "declared.core_members",
            Some("district") => "district",
            _ => "amount",
        },
        _ => "amount",
    }
}

/// The text key of where a start-up team is housed.
pub fn housing_key(h: Housing) -> &'static str {
    match h {
        Housing::Incubator => "housing.incubator",
        Housing::UniversitySciencePark => "housing.university_science_park",
        Housing::MakerSpace => "housing.maker_space",
    }
}

/// A domain refusal in words, with the figures of its rule when it names one.
pub fn domain(lang: Lang, err: &DomainError) -> String {
    match err {
        DomainError::Refused(refusal, detail, rule) => {
            refused(lang, *refusal, detail, rule.as_deref())
        }
        DomainError::Validation(fields) => {
            let amount = fields
                .iter()
                .any(|f| f.message.starts_with(crate::domain::money::AMOUNT_ERROR));
            if amount {
                return lang.t("refusal.amount_format").to_owned();
            }
            // A refused document says why in the reader's language.
            if let Some(i) = fields.iter().find_map(|f| {
                crate::domain::evidence::REFUSALS
                    .iter()
                    .position(|r| *r == f.message)
            }) {
                let key = [
                    "document.empty",
                    "document.too_large",
                    "document.not_ofd",
                    "document.type",
                ];
                return lang.t(key[i]).to_owned();
            }
            use crate::domain::review::{REASON_FOR_FEWER, REASON_FOR_LESS};
            if fields.iter().any(|f| f.message == REASON_FOR_LESS) {
                return lang.t("refusal.recommend_reason").to_owned();
            }
            if fields.iter().any(|f| f.message == REASON_FOR_FEWER) {
                return lang.t("refusal.recommend_reason_categories").to_owned();
            }
            // A declared fact, a choice of categories and the free texts
            // have their own words (the field is named by the form).
            if let Some(f) = fields.first().filter(|f| {
                f.field.starts_with("declared.")
                    || f.field.starts_with("categories")
                    || matches!(
                        f.field.as_str(),
                        "district" | "statement" | "reason" | "redemption_ids"
                    )
            }) {
                let field = f.field.split('[').next().unwrap_or_default();
                let text = lang.t(&format!("refusal.{field}"));
                if text != super::i18n::MISSING {
                    return text.to_owned();
                }
            }
            let text: Vec<String> = fields
                .iter()
                .map(|f| super::validation::field_error(lang, f))
                .collect();
            text.join(lang.t("validation.separator"))
        }
        other => format!("{}{other}", lang.t("refusal.other")),
    }
}

fn refused(lang: Lang, refusal: Refusal, detail: &str, rule: Option<&Rule>) -> String {
    if let Some(rule) = rule {
        // The words of this rule of the refusal, else of any of its rules.
        let keys = [
            format!("refusal.{}.{}", refusal.code(), rule.id),
            format!("refusal.{}.rule", refusal.code()),
        ];
        for key in keys {
            let text = lang.t(&key);
            if text != super::i18n::MISSING {
                return with_figures(lang, text, rule);
            }
        }
    }
    let key = format!("refusal.{}", refusal.code());
    match lang.t(&key) {
        super::i18n::MISSING => format!("{}{detail}", lang.t("refusal.other")),
        text => text.to_owned(),
    }
}

/// `text` with the rule's figures in place of `{limit}`, `{used}`,
/// `{requested}`, `{allowed}`, `{share}`, `{base}` and `{policy}`.
fn with_figures(lang: Lang, text: &str, rule: &Rule) -> String {
    let figure = |f: &Option<Figure>| match f {
        Some(Figure::Money(m)) => yuan(*m),
        Some(Figure::Day(d)) => date(*d),
        Some(Figure::Text(t)) if rule.id.ends_with("categories") => t
            .split(',')
            .map(|c| super::i18n::category(lang, c))
            .collect::<Vec<_>>()
            .join("、"),
        Some(Figure::Text(t)) if rule.id == "team_housing" => t
            .split(',')
            .map(|h| match h.parse() {
                Ok(h) => lang.t(housing_key(h)).to_owned(),
                Err(_) => h.to_owned(),
            })
            .collect::<Vec<_>>()
            .join(lang.t("list.or")),
        Some(Figure::Text(t)) if rule.id == "claim_documents" => t
            .split(',')
            .map(|d| lang.t(&format!("evidence.{d}")).to_owned())
            .collect::<Vec<_>>()
            .join("、"),
        Some(Figure::Text(t)) if rule.id == "related_party" => {
            match lang.t(&format!("party.{t}")) {
                super::i18n::MISSING => t.clone(),
                name => name.to_owned(),
            }
        }
        Some(Figure::Text(t)) => t.clone(),
        None => "—".to_owned(),
    };
    let policy = match (&rule.region, rule.policy_version) {
        (Some(region), Some(effective_from)) => Policy {
            region: region.clone(),
            effective_from,
        }
        .name(lang),
        (Some(region), None) => region_name(lang, region).to_owned(),
        _ => String::new(),
    };
    text.replace("{limit}", &figure(&rule.limit))
        .replace("{used}", &figure(&rule.used))
        .replace("{requested}", &figure(&rule.requested))
        .replace("{allowed}", &figure(&rule.allowed))
        .replace("{share}", &rule.share.map(percent).unwrap_or_default())
        .replace("{base}", &rule.base.map(yuan).unwrap_or_default())
        .replace("{policy}", &policy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Money;

    fn sh_2026() -> Rule {
        Rule {
            policy_version: NaiveDate::from_ymd_opt(2026, 1, 1),
            ..Rule::named("x", &Region::parse("SH").unwrap())
        }
    }

    #[test]
    fn a_share_refusal_names_the_rule_the_number_and_the_version() {
        let rule = Rule {
            id: "contract_share",
            ..sh_2026()
        }
        .limit(Money::from_fen(10_000_000))
        .allowed(Money::from_fen(10_000_000))
        .share_of(Decimal::new(5, 1), Money::from_fen(20_000_000));
        let err = DomainError::refused(Refusal::ShareExceeded, "x").with_rule(rule);
        assert_eq!(
            domain(Lang::Zh, &err),
            "超过合同金额 50% 的上限（上海 2026 版）：本合同最多可用 ¥100,000.00"
        );
        assert_eq!(
            domain(Lang::En, &err),
            "Above the 50% of the contract a voucher may pay (Shanghai policy of 2026-01-01): this contract allows at most ¥100,000.00"
        );
    }

    #[test]
    fn a_related_party_refusal_names_what_is_the_same() {
        let rule = Rule {
            id: "related_party",
            ..sh_2026()
        }
        .used("actual_controller".to_owned());
        let err = DomainError::refused(Refusal::RelatedParty, "x").with_rule(rule);
        assert_eq!(
            domain(Lang::Zh, &err),
            "企业与服务机构为关联方（实际控制人相同），不能使用创新券（上海 2026 版）。"
        );
    }

    /// Every refusal has words in both languages, with the figures of its
    /// rule and without (no placeholder or service text left).
    #[test]
    fn every_refusal_has_words_in_both_languages() {
        use Refusal::*;
        let rule = sh_2026()
            .limit(Money::from_fen(1))
            .used(Money::from_fen(2))
            .requested(Money::from_fen(3))
            .allowed(Money::from_fen(4))
            .share_of(Decimal::new(3, 1), Money::from_fen(5));
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
                let bare = DomainError::refused(refusal, "detail");
                for err in [bare.clone(), bare.with_rule(rule.clone())] {
                    let text = domain(lang, &err);
                    assert!(!text.contains("detail"), "{refusal:?} {lang:?}: {text}");
                    assert!(!text.contains('{'), "{refusal:?} {lang:?}: {text}");
                    // A refusal kept for a resent form finds its field again.
                    assert!(FIELDS.contains(&field_of(&err)), "{refusal:?}");
                }
            }
        }
        for field in ["contract_no", "purpose", "year", "region", "anything_else"] {
            let err = DomainError::field(field, "x");
            assert!(FIELDS.contains(&field_of(&err)), "{field}");
        }
    }
}
