//! A payee's bank account, as a bank needs it: the account name (the
//! payee's own registered name — a bank pays an account only in the
//! payee's name), the account number, the bank's name and its 12-digit
//! CNAPS code (中国现代化支付系统行号), and the day it is valid from.

use chrono::NaiveDate;

use super::{text, DomainError};

/// A bank account as given, checked for shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankAccount {
    pub account_name: String,
    /// Digits only (spaces and dashes as typed are dropped).
    pub account_number: String,
    pub bank_name: String,
    /// Twelve digits.
    pub cnaps_code: String,
    pub valid_from: NaiveDate,
}

/// The fields of an account as typed.
#[derive(Debug, Clone, Copy)]
pub struct Typed<'a> {
    pub account_name: &'a str,
    pub account_number: &'a str,
    pub bank_name: &'a str,
    pub cnaps_code: &'a str,
    pub valid_from: NaiveDate,
}

impl BankAccount {
    /// Checks the shape of every field and that the account is in the
    /// payee's own name (`registered_name`, compared by its normalised key).
    /// Every field in error is named at once.
    pub fn parse(typed: Typed<'_>, registered_name: &str) -> Result<Self, DomainError> {
        let mut problems = Vec::new();
        let mut field = |name: &str, result: Result<String, DomainError>| match result {
            Ok(value) => value,
            Err(DomainError::Validation(fields)) => {
                problems.extend(fields);
                String::new()
            }
            Err(other) => {
                problems.push(super::error::FieldError {
                    field: name.into(),
                    message: other.to_string(),
                });
                String::new()
            }
        };
        let account_name = field(
            "account_name",
            text::clean("account_name", typed.account_name, 200),
        );
        let account_number = field("account_number", account_number(typed.account_number));
        let bank_name = field("bank_name", text::clean("bank_name", typed.bank_name, 200));
        let cnaps_code = field("cnaps_code", cnaps_code(typed.cnaps_code));
        if !account_name.is_empty() && text::key(&account_name) != text::key(registered_name) {
            problems.push(super::error::FieldError {
                field: "account_name".into(),
                message: format!(
                    "must be the payee's registered name, {registered_name}: a bank pays an \
                     account only in the payee's own name"
                ),
            });
        }
        if !problems.is_empty() {
            return Err(DomainError::Validation(problems));
        }
        Ok(BankAccount {
            account_name,
            account_number,
            bank_name,
            cnaps_code,
            valid_from: typed.valid_from,
        })
    }
}

/// An account number: 6 to 32 digits (spaces and dashes dropped).
pub fn account_number(typed: &str) -> Result<String, DomainError> {
    let digits: String = typed.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if (6..=32).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(digits)
    } else {
        Err(DomainError::field(
            "account_number",
            "6 to 32 digits (spaces and dashes are dropped)",
        ))
    }
}

/// A CNAPS bank code (行号): exactly 12 digits.
pub fn cnaps_code(typed: &str) -> Result<String, DomainError> {
    let code = typed.trim();
    if code.len() == 12 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code.to_owned())
    } else {
        Err(DomainError::field(
            "cnaps_code",
            "the bank's CNAPS code (行号) is 12 digits",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed<'a>(name: &'a str, number: &'a str, cnaps: &'a str) -> Typed<'a> {
        Typed {
            account_name: name,
            account_number: number,
            bank_name: "中国工商银行上海分行",
            cnaps_code: cnaps,
            valid_from: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
        }
    }

    #[test]
    fn an_account_in_the_payees_name_with_a_cnaps_code_is_accepted() {
        let account = BankAccount::parse(
            typed(
                " 上海测试技术研究院 ",
                "6222 0210-0112 3456 789",
                "102290000011",
            ),
            "上海测试技术研究院",
        )
        .unwrap();
        assert_eq!(account.account_number, "6222021001123456789");
        assert_eq!(account.account_name, "上海测试技术研究院");
    }

    #[test]
    fn every_wrong_field_is_named_at_once() {
        let Err(DomainError::Validation(problems)) = BankAccount::parse(
            typed("别的公司", "12ab", "10229000001"),
            "上海测试技术研究院",
        ) else {
            panic!("refused");
        };
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["account_number", "cnaps_code", "account_name"]);
        assert!(problems[2].message.contains("上海测试技术研究院"));
    }
}
