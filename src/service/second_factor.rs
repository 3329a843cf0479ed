//! A person's second factor: TOTP (RFC 6238: HMAC-SHA-1, six digits, 30 s
//! steps, one step of clock drift either way) and ten recovery codes.
//!
//! Enrolment has two steps: [`start`] draws a secret and answers what an
//! authenticator app needs (the secret, its `otpauth://` address and that
//! address as a QR code in SVG); [`confirm`] takes a code the app shows,
//! and only then is the factor on — the recovery codes are answered once
//! and only their SHA-256 is kept, and every session of the person ends.
//! From then on a sign-in needs a code besides the password; a code is good
//! once (its time step is remembered), a recovery code once ever.
//!
//! Regulators' and operators' people must enrol before they may change
//! anything ([`crate::domain::Actor::needs_second_factor`]).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, TOTP};
use uuid::Uuid;

use super::passwords::end_all;
use super::{engine, secrets, Call, Ctx, Done, Operation, Service, ServiceError, ServiceResult};
use crate::domain::{Actor, DomainError, Role};
use crate::store::entities::{recovery_codes, users};

/// Seconds in a TOTP time step.
pub const STEP: u64 = 30;
/// Recovery codes given at enrolment.
const RECOVERY_CODES: usize = 10;
/// The name authenticator apps show for the service.
const ISSUER: &str = "创新券账本";

/// What an authenticator app needs to add a person.
#[derive(Debug, Clone, Serialize)]
pub struct Enrolment {
    /// The secret, base32 (to type in when the QR code cannot be scanned).
    pub secret: String,
    /// `otpauth://totp/…`: what the QR code holds.
    pub otpauth_url: String,
    /// The QR code of `otpauth_url`, an SVG document.
    pub qr_svg: String,
}

/// Whether a person of an organisation of `role` must have a second factor
/// before they change anything: regulators' and operators' people do.
pub fn required(role: Role) -> bool {
    matches!(role, Role::Regulator | Role::Admin)
}

/// Whether `user`, acting in `role`, must still enrol.
pub fn missing(role: Role, user: &users::Model) -> bool {
    required(role) && user.totp_enrolled_at.is_none()
}

/// The TOTP of a base32 secret, for a person's login.
fn totp(secret: &str, login: &str) -> ServiceResult<TOTP> {
    let bytes = base32_decode(secret)
        .ok_or_else(|| ServiceError::Internal("a stored TOTP secret is not base32".into()))?;
    let account = login.replace(':', "_");
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP,
        bytes,
        Some(ISSUER.into()),
        account,
    )
    .map_err(|e| ServiceError::Internal(format!("a TOTP: {e}")))
}

/// The code an authenticator app shows at `at` for a base32 secret (for
/// the load generator and tests, which play the person's app); none for a
/// secret that is not base32.
pub fn code_at(secret: &str, at: DateTime<Utc>) -> Option<String> {
    let totp = totp(secret, "app").ok()?;
    Some(totp.generate(std::cmp::max(at.timestamp(), 0) as u64))
}

fn base32_decode(secret: &str) -> Option<Vec<u8>> {
    totp_rs::Secret::Encoded(secret.to_owned()).to_bytes().ok()
}

/// The time step of `at`.
fn step_of(at: DateTime<Utc>) -> i64 {
    std::cmp::max(at.timestamp(), 0) / STEP as i64
}

/// The step (of the three around `now`) whose code `code` is, if any.
fn matching_step(totp: &TOTP, code: &str, now: DateTime<Utc>) -> Option<i64> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now_step = step_of(now);
    // Each step on its own (no skew), in constant time per comparison.
    let exact = TOTP {
        skew: 0,
        ..totp.clone()
    };
    [now_step - 1, now_step, now_step + 1]
        .into_iter()
        .filter(|s| *s >= 0)
        .find(|s| exact.check(code, *s as u64 * STEP))
}

/// SHA-256 of a recovery code's normalised form (no dashes or spaces,
/// lower case), hex.
fn recovery_hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    hex::encode(Sha256::digest(normal.as_bytes()))
}

/// Ten random recovery codes, `xxxxx-xxxxx` from an alphabet without
/// look-alikes (about 50 bits each).
fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut code = secrets::random_from(b"abcdefghjkmnpqrstuvwxyz23456789", 10);
            code.insert(5, '-');
            code
        })
        .collect()
}

/// A fresh secret of 160 bits, base32.
fn new_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    totp_rs::Secret::Raw(bytes.to_vec())
        .to_encoded()
        .to_string()
}

/// The person acting, or `forbidden` for an API client.
fn person_of(actor: &Actor) -> ServiceResult<Uuid> {
    actor.person.ok_or_else(|| {
        DomainError::Forbidden(
            "only a person enrols a second factor; an API client has a secret".into(),
        )
        .into()
    })
}

/// Starts (or starts again) the enrolment of the person acting: a new
/// secret, not yet in force.
///
/// Refused with `forbidden` for an API client and `invalid_state` when the
/// person has enrolled already.
pub async fn start(
    service: &Service,
    actor: &Actor,
    via: &'static str,
) -> ServiceResult<Enrolment> {
    let user_id = person_of(actor)?;
    let call = Call {
        via: Some(via),
        ..Call::by(actor.clone())
    };
    let op = StartEnrolment {
        user_id,
        secret: new_secret(),
    };
    service.execute(call, op).await
}

/// Confirms the enrolment of the person acting with a code of their app:
/// the factor is on, every session of theirs ends, and the recovery codes
/// are answered (once).
///
/// Refused with `forbidden` for an API client, `invalid_state` when no
/// enrolment was started or it is done, and `validation_failed` (`code`)
/// when the code is not the app's code now.
pub async fn confirm(
    service: &Service,
    actor: &Actor,
    via: &'static str,
    code: &str,
) -> ServiceResult<Vec<String>> {
    let user_id = person_of(actor)?;
    let call = Call {
        via: Some(via),
        ..Call::by(actor.clone())
    };
    let op = ConfirmEnrolment {
        user_id,
        code: code.to_owned(),
        recovery_codes: new_recovery_codes(),
    };
    service.execute(call, op).await
}

/// Whether `code` — a TOTP code of now, not used before, or an unused
/// recovery code — proves `user`'s second factor; it is used up if so.
pub(super) async fn prove(
    service: &Service,
    user: &users::Model,
    code: &str,
) -> ServiceResult<bool> {
    let op = Prove {
        user_id: user.id,
        code: code.to_owned(),
    };
    service.execute(Call::system(), op).await
}

/// Draws a new secret for a person who has not enrolled.
///
/// Refusals, in the order they are checked:
/// 1. `not_found`: the person is gone.
/// 2. `invalid_state`: the person has enrolled already.
#[derive(Debug, Clone)]
struct StartEnrolment {
    user_id: Uuid,
    secret: String,
}

impl Operation for StartEnrolment {
    type Output = Enrolment;
    const BEFORE_SECOND_FACTOR: bool = true;

    async fn run(self, txn: &DatabaseTransaction, _ctx: &Ctx) -> ServiceResult<Done<Enrolment>> {
        let user = users::Entity::find_by_id(self.user_id)
            .one(txn)
            .await?
            .ok_or(DomainError::NotFound)?;
        if user.totp_enrolled_at.is_some() {
            return Err(enrolled_already());
        }
        users::Entity::update_many()
            .col_expr(users::Column::TotpSecret, Expr::value(self.secret.clone()))
            .filter(users::Column::Id.eq(user.id))
            .exec(txn)
            .await?;
        let totp = totp(&self.secret, &user.login)?;
        let otpauth_url = totp.get_url();
        let qr_svg = qr_svg(&otpauth_url)?;
        Ok(Done::unrecorded(Enrolment {
            secret: self.secret,
            otpauth_url,
            qr_svg,
        }))
    }
}

fn enrolled_already() -> ServiceError {
    DomainError::refused(
        crate::domain::Refusal::InvalidState,
        "a second factor is enrolled already",
    )
    .into()
}

/// `text` as a QR code, an SVG document that scales to its box.
fn qr_svg(text: &str) -> ServiceResult<String> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| ServiceError::Internal(format!("a QR code: {e}")))?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

/// Puts a person's second factor in force, with a code of their app.
///
/// Refusals, in the order they are checked:
/// 1. `not_found`: the person is gone.
/// 2. `invalid_state`: enrolled already, or no enrolment started.
/// 3. `validation_failed` (`code`): not the app's code now.
#[derive(Debug, Clone)]
struct ConfirmEnrolment {
    user_id: Uuid,
    code: String,
    recovery_codes: Vec<String>,
}

impl Operation for ConfirmEnrolment {
    type Output = Vec<String>;
    const BEFORE_SECOND_FACTOR: bool = true;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<Vec<String>>> {
        let user = users::Entity::find_by_id(self.user_id)
            .one(txn)
            .await?
            .ok_or(DomainError::NotFound)?;
        if user.totp_enrolled_at.is_some() {
            return Err(enrolled_already());
        }
        let Some(secret) = user.totp_secret.as_deref() else {
            return Err(DomainError::refused(
                crate::domain::Refusal::InvalidState,
                "start the enrolment first (POST /api/v1/me/second-factor)",
            )
            .into());
        };
        let totp = totp(secret, &user.login)?;
        let Some(step) = matching_step(&totp, &self.code, ctx.now) else {
            return Err(DomainError::field(
                "code",
                "is not the code your authenticator app shows now",
            )
            .into());
        };
        users::Entity::update_many()
            .col_expr(users::Column::TotpEnrolledAt, Expr::value(ctx.now))
            .col_expr(users::Column::TotpLastStep, Expr::value(step))
            .filter(users::Column::Id.eq(user.id))
            .exec(txn)
            .await?;
        forget_recovery_codes(txn, user.id).await?;
        recovery_codes::Entity::insert_many(self.recovery_codes.iter().map(|code| {
            recovery_codes::ActiveModel {
                code_hash: Set(recovery_hash(code)),
                user_id: Set(user.id),
                used_at: Set(None),
            }
        }))
        .exec_without_returning(txn)
        .await?;
        end_all(txn, user.id).await?;
        let events = match user.organization_id {
            Some(org) => match engine::cached_organization(txn, &ctx.orgs, org).await? {
                Some(org) => vec![engine::entry(
                    &org.region,
                    "user.second_factor",
                    "user",
                    user.id.to_string(),
                    &serde_json::json!({ "user_id": user.id, "enrolled_at": ctx.now }),
                )?],
                None => Vec::new(),
            },
            None => Vec::new(),
        };
        Ok(Done {
            value: self.recovery_codes,
            events,
        })
    }
}

/// Removes a person's recovery codes (enrolling again, or a reset).
pub(super) async fn forget_recovery_codes<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
) -> ServiceResult<()> {
    recovery_codes::Entity::delete_many()
        .filter(recovery_codes::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Uses up a code of a person's second factor, if it is good.
///
/// Refusals, in the order they are checked: none besides the service's own
/// failures (a code that is not good is answered `false`).
#[derive(Debug, Clone)]
struct Prove {
    user_id: Uuid,
    code: String,
}

impl Operation for Prove {
    type Output = bool;

    async fn run(self, txn: &DatabaseTransaction, ctx: &Ctx) -> ServiceResult<Done<bool>> {
        let Some(user) = users::Entity::find_by_id(self.user_id).one(txn).await? else {
            return Ok(Done::unrecorded(false));
        };
        let (Some(secret), Some(_)) = (user.totp_secret.as_deref(), user.totp_enrolled_at) else {
            return Ok(Done::unrecorded(false));
        };
        let totp = totp(secret, &user.login)?;
        if let Some(step) = matching_step(&totp, &self.code, ctx.now) {
            // Good once: only a later step than the last one used.
            let used = users::Entity::update_many()
                .col_expr(users::Column::TotpLastStep, Expr::value(step))
                .filter(users::Column::Id.eq(user.id))
                .filter(
                    users::Column::TotpLastStep
                        .is_null()
                        .or(users::Column::TotpLastStep.lt(step)),
                )
                .exec(txn)
                .await?;
            return Ok(Done::unrecorded(used.rows_affected == 1));
        }
        let used = recovery_codes::Entity::update_many()
            .col_expr(recovery_codes::Column::UsedAt, Expr::value(ctx.now))
            .filter(recovery_codes::Column::CodeHash.eq(recovery_hash(&self.code)))
            .filter(recovery_codes::Column::UserId.eq(user.id))
            .filter(recovery_codes::Column::UsedAt.is_null())
            .exec(txn)
            .await?;
        Ok(Done::unrecorded(used.rows_affected == 1))
    }
}

/// Where a person's second factor stands.
#[derive(Debug, Clone)]
pub enum Standing {
    /// Not enrolled, and no enrolment started.
    Off,
    /// An enrolment started: what the app needs, until a code confirms it.
    Started(Enrolment),
    /// In force since then, with this many recovery codes left.
    On {
        since: DateTime<Utc>,
        recovery_codes_left: u64,
    },
}

/// Where person `user_id`'s second factor stands (`not_found` when the
/// person is gone).
pub async fn standing<C: ConnectionTrait>(conn: &C, user_id: Uuid) -> ServiceResult<Standing> {
    use sea_orm::PaginatorTrait;
    let user = users::Entity::find_by_id(user_id)
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound)?;
    match (user.totp_enrolled_at, user.totp_secret) {
        (Some(since), _) => {
            let recovery_codes_left = recovery_codes::Entity::find()
                .filter(recovery_codes::Column::UserId.eq(user.id))
                .filter(recovery_codes::Column::UsedAt.is_null())
                .count(conn)
                .await?;
            Ok(Standing::On {
                since,
                recovery_codes_left,
            })
        }
        (None, Some(secret)) => {
            let otpauth_url = totp(&secret, &user.login)?.get_url();
            Ok(Standing::Started(Enrolment {
                qr_svg: qr_svg(&otpauth_url)?,
                otpauth_url,
                secret,
            }))
        }
        (None, None) => Ok(Standing::Off),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_matches_its_step_and_the_ones_beside_it_only() {
        let secret = new_secret();
        let totp = totp(&secret, "someone").unwrap();
        let now: DateTime<Utc> = "2026-12-07T03:00:10Z".parse().unwrap();
        let code = totp.generate(now.timestamp() as u64);
        assert_eq!(matching_step(&totp, &code, now), Some(step_of(now)));
        let later = now + chrono::Duration::seconds(30);
        assert_eq!(matching_step(&totp, &code, later), Some(step_of(now)));
        let much_later = now + chrono::Duration::seconds(90);
        assert_eq!(matching_step(&totp, &code, much_later), None);
        assert_eq!(matching_step(&totp, "12345", now), None);
        assert_eq!(matching_step(&totp, "abcdef", now), None);
    }

    #[test]
    fn recovery_codes_are_compared_without_dashes_or_case() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let code = &codes[0];
        assert_eq!(code.len(), 11);
        let typed = code.replace('-', " ").to_uppercase();
        assert_eq!(recovery_hash(code), recovery_hash(&typed));
        assert_ne!(recovery_hash(code), recovery_hash(&codes[1]));
    }

    #[test]
    fn the_qr_code_is_an_svg_document() {
        let svg = qr_svg("otpauth://totp/x?secret=ABC").unwrap();
        assert!(svg.contains("<svg"), "{svg}");
    }
}
