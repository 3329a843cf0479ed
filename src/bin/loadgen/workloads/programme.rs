//! The JX programme a write workload sets up through the API before its
//! load: a regulator with a budget, an admitted lab, and companies with
//! vouchers on demand.

use serde_json::{json, Value};
use voucher_ledger::domain::clock::shanghai_date;
use voucher_ledger::scenario::credit_code as code;

use crate::http::Http;
use crate::{Result, Target};

/// A JX programme set up through the API for a workload: a regulator with a
/// budget of 100,000,000.00 this year, and an admitted lab.
pub struct Programme {
    pub http: Http,
    pub regulator: String,
    pub lab: String,
    pub lab_id: String,
    pub year: i32,
}

impl Programme {
    /// Sets a programme up on `target`'s server as its operator.
    pub fn set_up(target: &Target) -> Result<Self> {
        let (http, admin) = Http::operator(target)?;
        let (_, regulator) = http.register(
            &admin,
            json!({"kind": "regulator", "name": "loadgen 嘉兴", "region": "JX"}),
        )?;
        let n = uuid::Uuid::now_v7().as_u128() as u64;
        let (lab, lab_token) = http.register(
            &regulator,
            json!({"kind": "provider", "name": "loadgen 检测", "region": "JX", "credit_code": code(n)}),
        )?;
        let year = chrono::Datelike::year(&shanghai_date(chrono::Utc::now()));
        http.create(
            &regulator,
            "/api/v1/regions/JX/budgets",
            &json!({"year": year, "amount": "100000000.00"}),
        )?;
        http.create(
            &regulator,
            "/api/v1/regions/JX/admissions",
            &json!({"provider_id": lab["id"], "categories": ["testing"]}),
        )?;
        Ok(Programme {
            http,
            regulator,
            lab: lab_token,
            lab_id: lab["id"].as_str().unwrap_or_default().to_owned(),
            year,
        })
    }

    /// A new company of the programme: its token.
    pub fn company(&self) -> Result<String> {
        let n = uuid::Uuid::now_v7().as_u128() as u64;
        let (_, company) = self.http.register(
            &self.regulator,
            json!({"kind": "company", "name": format!("loadgen 公司 {n}"), "region": "JX",
                "credit_code": code(n), "company_type": "enterprise",
                "actual_controller": format!("loadgen {n}")}),
        )?;
        Ok(company)
    }

    /// A voucher of `amount` for `company`, applied for and approved: its id.
    pub fn voucher(&self, company: &str, amount: &str) -> Result<String> {
        let application = self.http.create(
            company,
            "/api/v1/applications",
            &json!({"region": "JX", "year": self.year, "amount": amount, "purpose": "loadgen"}),
        )?;
        let path = format!(
            "/api/v1/applications/{}/approve",
            application["id"].as_str().unwrap_or_default()
        );
        let voucher = self.http.create(&self.regulator, &path, &json!({}))?;
        Ok(voucher["id"].as_str().unwrap_or_default().to_owned())
    }

    /// The body of a hold of 1.00 on `voucher` at the lab, against a
    /// contract of 2.00.
    pub fn hold(&self, voucher: &str, contract: &str) -> Value {
        json!({"voucher_id": voucher, "provider_id": self.lab_id, "contract_no": contract,
            "contract_amount": "2.00", "service_category": "testing", "amount": "1.00"})
    }
}
