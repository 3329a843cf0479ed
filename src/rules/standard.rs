//! The shared checks and nothing else: the rules of a region added by a
//! policy file alone (`rules = "standard"`).

use super::{RegionPolicy, RegionRules};

/// A region with no logic of its own.
pub struct Standard(pub RegionPolicy);

impl RegionRules for Standard {
    fn policy(&self) -> &RegionPolicy {
        &self.0
    }
}
