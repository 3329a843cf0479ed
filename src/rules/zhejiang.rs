//! Zhejiang (ZJ, 浙江省科技厅): the provincial programme. Jiaxing is one of
//! its cities, so Jiaxing companies may apply and Jiaxing providers be
//! admitted (policy data); spending at them is spending inside the province.
//! Every check is the shared one.

use super::{RegionPolicy, RegionRules};

/// The rules of the Zhejiang programme.
pub struct Zhejiang(pub RegionPolicy);

impl RegionRules for Zhejiang {
    fn policy(&self) -> &RegionPolicy {
        &self.0
    }
}
