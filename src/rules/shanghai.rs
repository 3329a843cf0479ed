//! Shanghai (SH, 上海市科委): the city programme. Its caps changed in 2026
//! (enterprise 500,000.00 for 2018–2025, 300,000.00 from 2026) — a policy
//! version, not logic — and it admits Shanghai providers only. Every check is
//! the shared one.

use super::{RegionPolicy, RegionRules};

/// The rules of the Shanghai programme.
pub struct Shanghai(pub RegionPolicy);

impl RegionRules for Shanghai {
    fn policy(&self) -> &RegionPolicy {
        &self.0
    }
}
