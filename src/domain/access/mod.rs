//! Who may do what: the one place that answers "may this caller do X to
//! this resource" for every endpoint, page and command.
//!
//! Three questions, asked in this order:
//! 1. [`permit`]: may the caller's role do the action at all? (403)
//! 2. [`may_see`] / [`authorize`]: does the caller have a stake in this
//!    record? A record the caller has no stake in does not exist for it (404).
//! 3. [`scope`]: which records does a list show the caller?
//!
//! Region-wide actions (programme set-up, audit, reports) ask
//! [`permit_in_region`].

use uuid::Uuid;

use super::{Actor, DomainError, OrgKind, Region, Role};

mod duties;
pub use duties::{may_invite_administrator, may_manage_people, may_suspend};

/// Declares [`Action`] and, for each action, a marker type in [`can`] that
/// names it as a type (route guards are generic over it).
macro_rules! actions {
    ($($(#[$doc:meta])* $name:ident,)+) => {
        /// Something a caller asks to do.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action {
            $($(#[$doc])* $name,)+
        }

        /// The actions as types: `can::Hold` names [`Action::Hold`].
        pub mod can {
            $(
                #[doc = concat!("[`Action::", stringify!($name), "`](super::Action::", stringify!($name), ").")]
                #[derive(Debug, Clone, Copy)]
                pub struct $name;
                impl super::Act for $name {
                    const ACTION: super::Action = super::Action::$name;
                }
            )+
        }
    };
}

/// A type that names an action.
pub trait Act: Send + Sync + 'static {
    const ACTION: Action;
}

actions! {
    /// Register an organisation (operators: any; regulators: their region's
    /// companies and providers).
    RegisterOrganization,
    /// Set up a region's programme: appropriate, read budgets, admit providers.
    ManageProgramme,
    /// Apply for a voucher.
    Apply,
    /// Approve or reject an application.
    DecideApplication,
    /// Review an application at the first level (a district's regulator):
    /// recommend it to the region, or reject it.
    ReviewApplication,
    ListApplications,
    ListVouchers,
    RevokeVoucher,
    /// Hold an amount of a voucher against a contract.
    Hold,
    /// Confirm delivery of a held redemption.
    Complete,
    CancelRedemption,
    ListRedemptions,
    SubmitClaim,
    /// Approve, reject or pay a claim.
    DecideClaim,
    ListClaims,
    /// Run the expiry job.
    RunExpiry,
    /// Give a client a new secret (the old one stops working).
    RotateSecret,
    /// Read, export and verify a region's audit trail, and its summary.
    Audit,
    /// Read the cross-region matrix.
    ReadCrossRegion,
    /// Ask a region's programme to admit the provider.
    RequestAdmission,
    ListAdmissionRequests,
    /// Review a provider's request for admission at the first level (a
    /// district's regulator): recommend it to the region, or reject it.
    ReviewAdmission,
}

impl Action {
    /// The roles that may do this action.
    pub fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Action::RegisterOrganization => &[Admin, Regulator],
            Action::ManageProgramme | Action::DecideApplication | Action::RevokeVoucher => {
                &[Regulator]
            }
            Action::DecideClaim | Action::ReviewApplication | Action::ReviewAdmission => {
                &[Regulator]
            }
            Action::Apply | Action::Hold => &[Company],
            Action::Complete | Action::SubmitClaim | Action::RequestAdmission => &[Provider],
            Action::ListApplications | Action::ListVouchers => &[Company, Regulator],
            Action::CancelRedemption => &[Company, Provider],
            Action::ListRedemptions => &[Company, Provider, Regulator],
            Action::ListClaims | Action::ListAdmissionRequests => &[Provider, Regulator],
            Action::RunExpiry | Action::RotateSecret => &[Admin, System],
            Action::Audit | Action::ReadCrossRegion => &[Regulator, Admin],
        }
    }

    /// What a caller of another role is told.
    fn refusal(self) -> &'static str {
        match self {
            Action::RegisterOrganization => "only operators and regulators register organisations",
            Action::ManageProgramme
            | Action::DecideApplication
            | Action::ReviewApplication
            | Action::ReviewAdmission
            | Action::RevokeVoucher
            | Action::DecideClaim => "only regulators may do this",
            Action::Apply | Action::Hold => "only companies may do this",
            Action::Complete | Action::SubmitClaim | Action::RequestAdmission => {
                "only service providers may do this"
            }
            Action::RunExpiry | Action::RotateSecret => "only operators may do this",
            Action::Audit => "only regulators and operators audit",
            Action::ReadCrossRegion => "only regulators and operators read reports",
            Action::ListApplications
            | Action::ListVouchers
            | Action::CancelRedemption
            | Action::ListRedemptions
            | Action::ListClaims
            | Action::ListAdmissionRequests => "this role may not do this",
        }
    }
}

/// Refuses (403) unless the actor's role may do `action`. A district's
/// regulator lists and reviews applications and providers' requests for
/// admission, and does nothing else.
pub fn permit(actor: &Actor, action: Action) -> Result<(), DomainError> {
    if !action.roles().contains(&actor.role) {
        return Err(DomainError::Forbidden(action.refusal().into()));
    }
    let reviews = matches!(action, Action::ReviewApplication | Action::ReviewAdmission);
    let first_level = reviews
        || matches!(
            action,
            Action::ListApplications | Action::ListAdmissionRequests
        );
    match (&actor.district, first_level) {
        (Some(_), false) => Err(DomainError::Forbidden(
            "a district's regulator reviews at the first level only".into(),
        )),
        (None, true) if reviews => Err(DomainError::Forbidden(
            "only a district's regulator reviews at the first level".into(),
        )),
        _ => Ok(()),
    }
}

/// Refuses (403) unless the actor may do a region-wide `action` in `region`:
/// regulators in their own region, operators anywhere they are allowed.
pub fn permit_in_region(actor: &Actor, action: Action, region: &Region) -> Result<(), DomainError> {
    permit(actor, action)?;
    if actor.role != Role::Regulator || actor.regulates(region) {
        return Ok(());
    }
    Err(DomainError::Forbidden(match action {
        Action::Audit => "a regulator audits its own region only".into(),
        _ => format!("only regulators of {region} may do this"),
    }))
}

/// The region a regulator or operator audits: a regulator's own by default;
/// an operator must name one (422 when it does not).
pub fn audited_region(actor: &Actor, asked: Option<Region>) -> Result<Region, DomainError> {
    permit(actor, Action::Audit)?;
    match (asked, &actor.region) {
        (Some(region), _) => Ok(region),
        (None, Some(own)) if actor.role == Role::Regulator => Ok(own.clone()),
        _ => Err(DomainError::field("region", "name the region to audit")),
    }
}

/// Who has a stake in a record: what access control needs to know of it.
#[derive(Debug, Clone, Copy)]
pub struct Stake<'a> {
    /// The issuing region (whose regulator oversees the record).
    pub region: &'a Region,
    /// The company it belongs to, if any.
    pub company: Option<Uuid>,
    /// The provider it belongs to, if any.
    pub provider: Option<Uuid>,
    /// The provider's region, when its regulator oversees the record too.
    pub provider_region: Option<&'a Region>,
    /// The company's district, whose regulator reviews the record first.
    pub district: Option<&'a str>,
}

impl<'a> Stake<'a> {
    /// A record of the issuing region `region`, with no party yet.
    pub fn of(region: &'a Region) -> Self {
        Stake {
            region,
            company: None,
            provider: None,
            provider_region: None,
            district: None,
        }
    }

    pub fn company(mut self, id: Uuid) -> Self {
        self.company = Some(id);
        self
    }

    pub fn provider(mut self, id: Uuid) -> Self {
        self.provider = Some(id);
        self
    }

    pub fn provider_region(mut self, region: &'a Region) -> Self {
        self.provider_region = Some(region);
        self
    }

    pub fn district(mut self, district: Option<&'a str>) -> Self {
        self.district = district;
        self
    }
}

/// Whether the actor may see a record: its company, its provider, and the
/// regulators of its issuing region (and of its provider's region, where the
/// record names one).
pub fn may_see(actor: &Actor, stake: &Stake<'_>) -> bool {
    match actor.role {
        Role::Company => stake.company == Some(actor.sub),
        Role::Provider => stake.provider == Some(actor.sub),
        Role::Regulator => {
            actor.regulates(stake.region)
                || stake.provider_region.is_some_and(|r| actor.regulates(r))
                || actor.reviews_district(stake.region, stake.district)
        }
        Role::Admin | Role::System => false,
    }
}

/// May the actor do `action` to a record? A role that may not do it at all is
/// refused (403); a record it has no stake in is not found (404).
pub fn authorize(actor: &Actor, action: Action, stake: &Stake<'_>) -> Result<(), DomainError> {
    permit(actor, action)?;
    // Acting on a record is narrower than seeing it: a regulator of the
    // provider's region sees a redemption but decides nothing about it.
    let acts = match actor.role {
        Role::Regulator
            if matches!(action, Action::ReviewApplication | Action::ReviewAdmission) =>
        {
            actor.reviews_district(stake.region, stake.district)
        }
        Role::Regulator => actor.regulates(stake.region),
        _ => may_see(actor, stake),
    };
    if acts {
        Ok(())
    } else {
        Err(DomainError::NotFound)
    }
}

/// Which records a list shows the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Those of this company.
    Company(Uuid),
    /// Those of this provider.
    Provider(Uuid),
    /// Those of this issuing region.
    Region(Region),
    /// Those of this issuing region or at providers of this region.
    RegionOrProviders(Region),
    /// Those of this district of this issuing region.
    District(Region, String),
}

/// The scope of a list `action` for the actor (403 for roles that may not list).
pub fn scope(actor: &Actor, action: Action) -> Result<Scope, DomainError> {
    permit(actor, action)?;
    let region = || {
        actor
            .region
            .clone()
            .ok_or_else(|| DomainError::Forbidden("no region".into()))
    };
    Ok(match actor.role {
        Role::Company => Scope::Company(actor.sub),
        Role::Provider => Scope::Provider(actor.sub),
        Role::Regulator => match &actor.district {
            Some(district) => Scope::District(region()?, district.clone()),
            None if action == Action::ListRedemptions => Scope::RegionOrProviders(region()?),
            None => Scope::Region(region()?),
        },
        Role::Admin | Role::System => return Err(DomainError::Forbidden(action.refusal().into())),
    })
}

/// May this actor register an organisation of `kind` in `region`?
pub fn may_register(actor: &Actor, kind: OrgKind, region: &Region) -> Result<(), DomainError> {
    permit(actor, Action::RegisterOrganization)?;
    match actor.role {
        Role::Regulator if kind == OrgKind::Regulator => Err(DomainError::Forbidden(
            "only an operator registers regulators".into(),
        )),
        Role::Regulator if !actor.regulates(region) => Err(DomainError::Forbidden(
            "a regulator registers organisations of its own region only".into(),
        )),
        _ => Ok(()),
    }
}

/// May this actor see organisation `id` of `region`? Operators, the
/// organisation itself and the regulators of its region.
pub fn may_see_organization(actor: &Actor, id: Uuid, region: &Region) -> bool {
    actor.role == Role::Admin || actor.sub == id || actor.regulates(region)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, region: &str) -> Actor {
        Actor {
            sub: Uuid::now_v7(),
            role,
            region: Region::parse(region).ok(),
            person: None,
            needs_second_factor: false,
            district: None,
        }
    }

    #[test]
    fn roles_are_checked_before_records() {
        let company = actor(Role::Company, "SH");
        assert!(matches!(
            permit(&company, Action::DecideClaim),
            Err(DomainError::Forbidden(_))
        ));
        assert!(permit(&company, Action::Hold).is_ok());
        let admin = actor(Role::Admin, "");
        assert!(permit(&admin, Action::RunExpiry).is_ok());
        assert!(permit(&admin, Action::Hold).is_err());
    }

    #[test]
    fn a_record_without_a_stake_is_not_found() {
        let sh = Region::parse("SH").unwrap();
        let jx = Region::parse("JX").unwrap();
        let company = actor(Role::Company, "JX");
        let provider = actor(Role::Provider, "SH");
        let redemption = Stake::of(&jx)
            .company(company.sub)
            .provider(provider.sub)
            .provider_region(&sh);
        assert!(authorize(&company, Action::CancelRedemption, &redemption).is_ok());
        assert!(authorize(&provider, Action::Complete, &redemption).is_ok());
        let other = actor(Role::Company, "JX");
        assert_eq!(
            authorize(&other, Action::CancelRedemption, &redemption),
            Err(DomainError::NotFound)
        );
        // The provider's regulator sees it, the issuer's decides.
        let sh_regulator = actor(Role::Regulator, "SH");
        assert!(may_see(&sh_regulator, &redemption));
        let claim = Stake::of(&jx).provider(provider.sub);
        assert!(!may_see(&sh_regulator, &claim));
        let jx_regulator = actor(Role::Regulator, "JX");
        assert!(authorize(&jx_regulator, Action::DecideClaim, &claim).is_ok());
    }

    #[test]
    fn regulators_act_in_their_own_region_only() {
        let sh = Region::parse("SH").unwrap();
        let zj = Region::parse("ZJ").unwrap();
        let regulator = actor(Role::Regulator, "SH");
        assert!(permit_in_region(&regulator, Action::ManageProgramme, &sh).is_ok());
        assert!(permit_in_region(&regulator, Action::ManageProgramme, &zj).is_err());
        assert!(may_register(&regulator, OrgKind::Company, &sh).is_ok());
        assert!(may_register(&regulator, OrgKind::Provider, &zj).is_err());
        assert!(may_register(&regulator, OrgKind::Regulator, &sh).is_err());
        assert_eq!(audited_region(&regulator, None), Ok(sh));
        let admin = actor(Role::Admin, "");
        assert!(audited_region(&admin, None).is_err());
    }

    #[test]
    fn lists_are_scoped_by_role() {
        let regulator = actor(Role::Regulator, "JX");
        let jx = Region::parse("JX").unwrap();
        assert_eq!(
            scope(&regulator, Action::ListRedemptions),
            Ok(Scope::RegionOrProviders(jx.clone()))
        );
        assert_eq!(scope(&regulator, Action::ListClaims), Ok(Scope::Region(jx)));
        let provider = actor(Role::Provider, "SH");
        assert!(scope(&provider, Action::ListVouchers).is_err());
    }
}
