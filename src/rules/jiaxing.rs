//! Jiaxing (JX, 嘉兴市科技局): the Shanghai–Zhejiang cross-region pilot. Its
//! vouchers may be spent at admitted providers of Shanghai and Zhejiang, and
//! the Jiaxing fund pays them. What is different in logic: the pilot may cap
//! the share of a year's appropriated budget that is held or completed at
//! providers outside Jiaxing (`cross_region_budget_share`).

use super::{common, HoldFacts, PolicyVersion, RegionPolicy, RegionRules};
use crate::domain::{DomainError, Money, Refusal, Region};

/// The rules of the Jiaxing pilot.
pub struct Jiaxing(pub RegionPolicy);

impl RegionRules for Jiaxing {
    fn policy(&self) -> &RegionPolicy {
        &self.0
    }

    fn needs_cross_region_facts(&self, provider_region: &Region) -> bool {
        provider_region != &self.0.region
    }

    fn check_hold(&self, v: &PolicyVersion, facts: &HoldFacts) -> Result<(), DomainError> {
        common::hold(v, &self.0.region, facts)?;
        let (Some(share), Some(cross)) = (v.cross_region_budget_share, facts.cross_region) else {
            return Ok(());
        };
        if facts.provider_region == self.0.region {
            return Ok(());
        }
        let cap = cross.appropriated.share_floor(share).unwrap_or(Money::ZERO);
        let total = cross
            .committed_outside
            .checked_add(facts.amount)
            .unwrap_or(Money::from_fen(i64::MAX));
        if total > cap {
            return Err(DomainError::refused(
                Refusal::CrossRegionBudgetExceeded,
                format!(
                    "at most {cap} ({share} of the year's budget) may be spent outside {}; {} is already held or completed",
                    self.0.region, cross.committed_outside
                ),
            )
            .with_rule(
                v.rule("cross_region_budget_share", &self.0.region)
                    .limit(cap)
                    .used(cross.committed_outside)
                    .requested(facts.amount)
                    .allowed(
                        cap.checked_sub(cross.committed_outside)
                            .unwrap_or_default()
                            .max(Money::ZERO),
                    )
                    .share_of(share, cross.appropriated),
            ));
        }
        Ok(())
    }
}
