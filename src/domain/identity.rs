//! Organisations, roles and who may do what with them.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

use super::{CreditCode, DomainError};
use crate::text_enum;

/// What a caller is allowed to act as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Admin,
    Regulator,
    Company,
    Provider,
    /// The service itself (scheduled jobs); never carried by a token.
    System,
}

/// The kind of a registered organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrgKind {
    Company,
    Provider,
    Regulator,
}

/// Whether a company is an enterprise (企业) or a startup team (创业团队).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompanyType {
    Enterprise,
    Team,
}

text_enum!(Role { Admin => "admin", Regulator => "regulator", Company => "company", Provider => "provider", System => "system" });
text_enum!(OrgKind { Company => "company", Provider => "provider", Regulator => "regulator" });
text_enum!(CompanyType { Enterprise => "enterprise", Team => "team" });

impl OrgKind {
    /// The role that credentials of this kind of organisation carry.
    pub fn role(self) -> Role {
        match self {
            OrgKind::Company => Role::Company,
            OrgKind::Provider => Role::Provider,
            OrgKind::Regulator => Role::Regulator,
        }
    }
}

/// A region code (`SH`, `ZJ`, `JX`, …): two to eight upper-case ASCII letters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Region(String);

impl Region {
    /// Parses the shape of a region code; whether the region exists is a
    /// question for the configured programme.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let ok = (2..=8).contains(&input.len()) && input.bytes().all(|b| b.is_ascii_uppercase());
        if ok {
            Ok(Region(input.to_owned()))
        } else {
            Err(DomainError::field(
                "region",
                "a region is a code of 2 to 8 upper-case letters, such as SH",
            ))
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An organisation's sign-in code, `JX-7K3Q9MZT`: its people sign in as
/// `login@code`, so a login is unique within its organisation only and
/// nobody learns another organisation's logins. Derived from the id (the
/// region and eight characters of its SHA-256, from an alphabet without
/// look-alikes), so it never changes and needs no column.
pub fn sign_in_code(id: Uuid, region: &Region) -> String {
    use sha2::{Digest, Sha256};
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let digest = Sha256::digest(id.as_bytes());
    let tail: String = digest[..8]
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    format!("{region}-{tail}")
}

/// What a person of an organisation signs in as: `login@code` (an
/// operator's person: the login alone).
pub fn sign_in_name(login: &str, organization: Option<(Uuid, &Region)>) -> String {
    match organization {
        Some((id, region)) => format!("{login}@{}", sign_in_code(id, region)),
        None => login.to_owned(),
    }
}

impl From<Region> for String {
    fn from(region: Region) -> String {
        region.0
    }
}

impl serde::Serialize for Region {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl FromStr for Region {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, DomainError> {
        Region::parse(s)
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who is making a request, as proven by a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The token subject: the organisation id, or the admin credential's id.
    pub sub: Uuid,
    pub role: Role,
    /// The region of the organisation (none for admins).
    pub region: Option<Region>,
    /// The person acting for the organisation (a portal session or a
    /// person's token); none for an API client or the service itself.
    pub person: Option<Uuid>,
    /// A regulator's or operator's person who has not enrolled a second
    /// factor yet: they may read, enrol and change their password, and
    /// change nothing else.
    pub needs_second_factor: bool,
    /// A regulator of a district (city, county) below its region: it
    /// reviews that district's applications at the first level and does
    /// nothing region-wide.
    pub district: Option<String>,
}

/// The district an actor of `role` reviews for, of its organisation's
/// `district`: a regulator's only (a provider's district is where it is
/// registered, not a duty).
pub fn reviewed_district(role: Role, district: Option<String>) -> Option<String> {
    district.filter(|_| role == Role::Regulator)
}

impl Actor {
    /// The service itself, running a scheduled job.
    pub fn system() -> Self {
        Actor {
            sub: Uuid::nil(),
            role: Role::System,
            region: None,
            person: None,
            needs_second_factor: false,
            district: None,
        }
    }

    /// True when the actor is a regulator of `region`.
    pub fn regulates(&self, region: &Region) -> bool {
        self.role == Role::Regulator
            && self.district.is_none()
            && self.region.as_ref() == Some(region)
    }

    /// The region a region-wide regulator regulates (none for other roles
    /// and for a district's regulator).
    pub fn regulated_region(&self) -> Option<&Region> {
        self.region.as_ref().filter(|r| self.regulates(r))
    }

    /// Whether this is the first-level reviewer of `district` of `region`.
    pub fn reviews_district(&self, region: &Region, district: Option<&str>) -> bool {
        self.role == Role::Regulator
            && self.region.as_ref() == Some(region)
            && self.district.is_some()
            && self.district.as_deref() == district
    }
}

/// A validated request to register an organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrganization {
    pub kind: OrgKind,
    pub name: String,
    pub region: Region,
    pub credit_code: Option<CreditCode>,
    pub company_type: Option<CompanyType>,
    pub actual_controller: Option<String>,
    /// A district (city, county) below its region: the one a regulator
    /// reviews at the first level, or where a provider is registered (its
    /// regulator reviews the provider's admission first).
    pub district: Option<String>,
}

/// The raw fields of a registration request, as text.
#[derive(Debug, Clone, Default)]
pub struct OrganizationFields<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    pub region: &'a str,
    pub credit_code: Option<&'a str>,
    pub company_type: Option<&'a str>,
    pub actual_controller: Option<&'a str>,
    pub district: Option<&'a str>,
}

impl NewOrganization {
    /// Validates every field, reporting all problems at once. A malformed
    /// credit code is reported on its own, with its own error code.
    pub fn parse(fields: OrganizationFields<'_>) -> Result<Self, DomainError> {
        let mut problems = Vec::new();
        let mut problem = |field: &str, message: &str| {
            problems.push(super::error::FieldError {
                field: field.into(),
                message: message.into(),
            })
        };
        let kind = OrgKind::from_str(fields.kind).ok();
        if kind.is_none() {
            problem("kind", "must be one of company, provider, regulator");
        }
        let name = match super::text::clean("name", fields.name, 200) {
            Ok(name) => name,
            Err(e) => {
                problem("name", &e.field_message());
                String::new()
            }
        };
        let region = Region::parse(fields.region).ok();
        if region.is_none() {
            problem("region", "must be a region code such as SH, ZJ or JX");
        }
        let company_type = match (kind, fields.company_type) {
            (Some(OrgKind::Company), Some(t)) => {
                let parsed = CompanyType::from_str(t).ok();
                if parsed.is_none() {
                    problem("company_type", "must be enterprise or team");
                }
                parsed
            }
            (Some(OrgKind::Company), None) => {
                problem("company_type", "is required for a company");
                None
            }
            (_, Some(_)) => {
                problem("company_type", "applies to companies only");
                None
            }
            (_, None) => None,
        };
        // A start-up team (创业团队) may not be registered yet: no code.
        let needs_code = matches!(kind, Some(OrgKind::Provider))
            || (kind == Some(OrgKind::Company) && company_type != Some(CompanyType::Team));
        if needs_code && fields.credit_code.is_none() {
            problem("credit_code", "is required for enterprises and providers");
        }
        let actual_controller = match super::text::clean_optional(
            "actual_controller",
            fields.actual_controller.unwrap_or(""),
            200,
        ) {
            Ok(c) if c.is_empty() => None,
            Ok(c) => Some(c),
            Err(e) => {
                problem("actual_controller", &e.field_message());
                None
            }
        };
        if actual_controller.is_some() && kind == Some(OrgKind::Regulator) {
            problem(
                "actual_controller",
                "applies to companies and providers only",
            );
        }
        let district = fields.district.map(str::trim).filter(|d| !d.is_empty());
        if let Some(d) = district {
            if kind == Some(OrgKind::Company) {
                problem(
                    "district",
                    "applies to regulators and providers (a company names its district when it applies)",
                );
            } else if !super::review::is_district_code(d) {
                problem("district", "must be a district code such as HZ");
            }
        }
        if !problems.is_empty() {
            return Err(DomainError::Validation(problems));
        }
        let credit_code = fields
            .credit_code
            .map(CreditCode::parse)
            .transpose()
            .map_err(|e| DomainError::InvalidCreditCode(e.to_string()))?;
        Ok(NewOrganization {
            kind: kind.expect("checked above"),
            name,
            region: region.expect("checked above"),
            credit_code,
            company_type,
            actual_controller,
            district: district.map(str::to_owned),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn company<'a>() -> OrganizationFields<'a> {
        OrganizationFields {
            kind: "company",
            name: "Jiaxing Photonics",
            region: "JX",
            credit_code: Some("91350100M000100Y43"),
            company_type: Some("enterprise"),
            actual_controller: Some("Zhang San"),
            district: None,
        }
    }

    #[test]
    fn parses_a_company() {
        let org = NewOrganization::parse(company()).unwrap();
        assert_eq!(org.kind, OrgKind::Company);
        assert_eq!(org.company_type, Some(CompanyType::Enterprise));
    }

    #[test]
    fn reports_every_bad_field() {
        let fields = OrganizationFields {
            kind: "bank",
            name: " ",
            region: "sh",
            ..company()
        };
        let Err(DomainError::Validation(problems)) = NewOrganization::parse(fields) else {
            panic!("expected validation errors");
        };
        let names: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(names, ["kind", "name", "region", "company_type"]);
    }

    #[test]
    fn a_company_needs_a_type_and_a_code() {
        let fields = OrganizationFields {
            company_type: None,
            credit_code: None,
            ..company()
        };
        assert!(matches!(
            NewOrganization::parse(fields),
            Err(DomainError::Validation(p)) if p.len() == 2
        ));
    }

    #[test]
    fn a_bad_code_has_its_own_error() {
        let fields = OrganizationFields {
            credit_code: Some("91350100M000100Y44"),
            ..company()
        };
        assert!(matches!(
            NewOrganization::parse(fields),
            Err(DomainError::InvalidCreditCode(_))
        ));
    }
}
