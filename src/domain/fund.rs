//! Sub-funds: a district, city or county below a region may run its own
//! fund (Zhejiang's cities and counties do), with its own budget, caps and
//! share. A voucher is issued from the fund of its application's district
//! when that district has one, else from the region's own budget; the
//! region's caps apply as well, and the region's figures add its funds up.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::programme::parse_share;
use super::{Money, Region};

/// A district's fund, as its region's policy file writes it
/// (`[districts.fund]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DistrictFund {
    /// Who holds it (e.g. 玉环市科学技术局).
    pub name: String,
    /// The most one application may ask of the fund.
    pub request_cap: Option<Money>,
    /// The most the fund issues to one company (summed over its actual
    /// controller) in a fiscal year, net of revocations.
    pub year_cap: Option<Money>,
    /// The share of a contract its vouchers may pay, if not the region's.
    pub contract_share: Option<Decimal>,
    /// A contract below this amount may be paid in full.
    pub full_cover_below: Option<Money>,
    /// Where the figures come from, or "illustrative".
    pub source: String,
}

/// `[districts.fund]` as written: amounts and the share as decimal strings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FundFile {
    pub name: String,
    #[serde(default)]
    pub request_cap: Option<String>,
    #[serde(default)]
    pub year_cap: Option<String>,
    #[serde(default)]
    pub contract_share: Option<String>,
    #[serde(default)]
    pub full_cover_below: Option<String>,
    pub source: String,
}

impl FundFile {
    /// The fund, checked; an error names the key and what is wrong.
    pub fn check(self) -> Result<DistrictFund, (&'static str, String)> {
        let money = |name: &'static str, text: &Option<String>| {
            text.as_deref()
                .map(|t| Money::parse_positive(t).map_err(|e| (name, e)))
                .transpose()
        };
        let contract_share = self
            .contract_share
            .as_deref()
            .map(|text| parse_share("contract_share", text))
            .transpose()?;
        let fund = DistrictFund {
            name: self.name.trim().to_owned(),
            request_cap: money("request_cap", &self.request_cap)?,
            year_cap: money("year_cap", &self.year_cap)?,
            contract_share,
            full_cover_below: money("full_cover_below", &self.full_cover_below)?,
            source: self.source.trim().to_owned(),
        };
        if fund.name.is_empty() {
            return Err(("name", "must not be empty".into()));
        }
        if fund.source.is_empty() {
            return Err((
                "source",
                "cite where the figures come from, or write \"illustrative\"".into(),
            ));
        }
        if let (Some(request), Some(year)) = (fund.request_cap, fund.year_cap) {
            if request > year {
                return Err(("request_cap", format!("is above the year_cap of {year}")));
            }
        }
        Ok(fund)
    }
}

/// The namespace of fund owner ids (UUID v5 of region and district code).
const FUND_NAMESPACE: Uuid = Uuid::from_u128(0x3b8e_51c2_7f0a_4d69_a1c4_08e2_6d5f_9a73);

/// The id that owns a district fund's budget accounts in the ledger.
pub fn owner(region: &Region, district: &str) -> Uuid {
    Uuid::new_v5(&FUND_NAMESPACE, format!("{region}/{district}").as_bytes())
}

/// The most a voucher of a fund with `fund`'s terms (or of the region's
/// own budget, `None`) may pay of a contract of `contract_amount`, under
/// the region's `share`: the whole contract below the fund's full-cover
/// threshold, else the fund's share (or the region's), rounded down to the
/// fen. Returns the share applied (1 when covered in full).
pub fn payable_share(
    fund: Option<&DistrictFund>,
    region_share: Decimal,
    contract_amount: Money,
) -> Decimal {
    match fund {
        Some(f) if f.full_cover_below.is_some_and(|t| contract_amount < t) => Decimal::ONE,
        Some(f) => f.contract_share.unwrap_or(region_share),
        None => region_share,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> FundFile {
        FundFile {
            name: "玉环市科学技术局".into(),
            request_cap: Some("20000.00".into()),
            year_cap: Some("100000.00".into()),
            contract_share: None,
            full_cover_below: Some("10000.00".into()),
            source: "illustrative".into(),
        }
    }

    #[test]
    fn a_fund_is_checked_and_covers_small_contracts_in_full() {
        let fund = file().check().unwrap();
        let half = Decimal::new(5, 1);
        let m = |y: i64| Money::from_fen(y * 100);
        assert_eq!(payable_share(Some(&fund), half, m(9_999)), Decimal::ONE);
        assert_eq!(payable_share(Some(&fund), half, m(10_000)), half);
        assert_eq!(payable_share(None, half, m(100)), half);
        let bad = FundFile {
            request_cap: Some("200000.00".into()),
            ..file()
        };
        assert_eq!(bad.check().unwrap_err().0, "request_cap");
        let blank = FundFile {
            source: " ".into(),
            ..file()
        };
        assert_eq!(blank.check().unwrap_err().0, "source");
        let share = FundFile {
            contract_share: Some("1.5".into()),
            ..file()
        };
        assert_eq!(share.check().unwrap_err().0, "contract_share");
        assert_ne!(owner(&Region::parse("ZJ").unwrap(), "YH"), Uuid::nil());
    }
}
