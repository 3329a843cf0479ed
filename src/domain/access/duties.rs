//! Who may do what to whom among organisations — the separation of duties:
//!
//! | actor | may | never |
//! |---|---|---|
//! | operator | register and suspend regulators; see every organisation and its people | create a regulator's people or clients, act inside one |
//! | regulator | register and suspend companies and providers of its region; see them and their people | create their people or clients |
//! | an organisation's administrator (a person) | invite, reset and disable its people; create and revoke its API clients | — |
//! | an organisation's other people, its API clients | act for it | manage its people or clients |
//!
//! The one way back in: while an organisation has no administrator who can
//! sign in, its registrar may invite one ([`may_invite_administrator`]).

use uuid::Uuid;

use super::may_see_organization;
use crate::domain::{Actor, DomainError, OrgKind, Region, Role};

/// May `actor` manage the people and API clients of the organisation
/// `org` (`None`: the operators' own people)? Only a person of that
/// organisation who administers it (`administers`; every operator's person
/// administers the operators' people). Refused with 403 to whoever sees the
/// organisation otherwise, with 404 to everyone else.
pub fn may_manage_people(
    actor: &Actor,
    org: Option<(Uuid, OrgKind, &Region)>,
    administers: bool,
) -> Result<(), DomainError> {
    let own = match org {
        Some((id, kind, _)) => actor.sub == id && actor.role == kind.role(),
        None => actor.role == Role::Admin,
    };
    if !own {
        let seen = org.is_some_and(|(id, _, region)| may_see_organization(actor, id, region));
        return Err(if seen {
            DomainError::Forbidden(
                "only the organisation's own administrators manage its people and clients".into(),
            )
        } else {
            DomainError::NotFound
        });
    }
    if actor.person.is_none() || !administers {
        return Err(DomainError::Forbidden(
            "only a person who administers the organisation manages its people and clients \
             (an API client does not)"
                .into(),
        ));
    }
    Ok(())
}

/// May `actor`, the registrar of organisation `id` (an operator for a
/// regulator, the region's regulator for a company or provider), invite a
/// new administrator of it? Only while it has no administrator who can sign
/// in (`has_administrator`).
pub fn may_invite_administrator(
    actor: &Actor,
    id: Uuid,
    kind: OrgKind,
    region: &Region,
    has_administrator: bool,
) -> Result<(), DomainError> {
    may_suspend(actor, id, kind, region)?;
    if has_administrator {
        return Err(DomainError::Forbidden(
            "the organisation has an administrator: only they invite its people".into(),
        ));
    }
    Ok(())
}

/// May `actor` suspend (or reinstate) organisation `id`? Its registrar:
/// operators for regulators, a regulator for the companies and providers
/// of its region. Never itself.
pub fn may_suspend(
    actor: &Actor,
    id: Uuid,
    kind: OrgKind,
    region: &Region,
) -> Result<(), DomainError> {
    let registrar = match kind {
        OrgKind::Regulator => actor.role == Role::Admin,
        OrgKind::Company | OrgKind::Provider => actor.regulates(region),
    };
    if registrar && actor.sub != id {
        Ok(())
    } else if may_see_organization(actor, id, region) {
        Err(DomainError::Forbidden(match kind {
            OrgKind::Regulator => "only an operator may do this to a regulator".into(),
            _ => format!("only regulators of {region} may do this"),
        }))
    } else {
        Err(DomainError::NotFound)
    }
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
    fn nobody_manages_the_people_of_another_organisation() {
        let sh = Region::parse("SH").unwrap();
        let company = actor(Role::Company, "SH");
        let org = Some((company.sub, OrgKind::Company, &sh));
        let person = Actor {
            person: Some(Uuid::now_v7()),
            ..company.clone()
        };
        assert!(may_manage_people(&person, org, true).is_ok());
        // Not an administrator; the organisation's API client.
        assert!(matches!(
            may_manage_people(&person, org, false),
            Err(DomainError::Forbidden(_))
        ));
        assert!(matches!(
            may_manage_people(&company, org, true),
            Err(DomainError::Forbidden(_))
        ));
        // Its regulator and an operator see it but may not; others do not see it.
        let regulator = Actor {
            person: Some(Uuid::now_v7()),
            ..actor(Role::Regulator, "SH")
        };
        let operator = Actor {
            person: Some(Uuid::now_v7()),
            ..actor(Role::Admin, "")
        };
        for outsider in [&regulator, &operator] {
            assert!(matches!(
                may_manage_people(outsider, org, true),
                Err(DomainError::Forbidden(_))
            ));
        }
        let other = actor(Role::Company, "SH");
        assert_eq!(
            may_manage_people(&other, org, true),
            Err(DomainError::NotFound)
        );
        // Operators' people are operators' to manage.
        assert!(may_manage_people(&operator, None, true).is_ok());
        assert!(may_manage_people(&regulator, None, true).is_err());
    }

    #[test]
    fn a_registrar_invites_an_administrator_only_while_there_is_none() {
        let sh = Region::parse("SH").unwrap();
        let regulator = actor(Role::Regulator, "SH");
        let operator = actor(Role::Admin, "");
        let company = Uuid::now_v7();
        let invite = |a: &Actor, kind, has| may_invite_administrator(a, company, kind, &sh, has);
        assert!(invite(&regulator, OrgKind::Company, false).is_ok());
        assert!(invite(&regulator, OrgKind::Company, true).is_err());
        assert!(invite(&operator, OrgKind::Company, false).is_err());
        assert!(invite(&operator, OrgKind::Regulator, false).is_ok());
        assert!(invite(&regulator, OrgKind::Regulator, false).is_err());
        assert!(may_suspend(&regulator, regulator.sub, OrgKind::Regulator, &sh).is_err());
    }
}
