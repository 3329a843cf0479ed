//! Tokens and request guards: who is calling, and in which role.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rocket::request::{FromRequest, Outcome, Request};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use std::marker::PhantomData;

use crate::api::error::ApiError;
pub use crate::domain::access::can;
use crate::domain::access::{self, Act};
use crate::domain::{Actor, Region, Role};
use crate::service::{second_factor, sessions};
use crate::App;

/// The one algorithm tokens are signed and verified with.
const ALGORITHM: Algorithm = Algorithm::HS256;

/// The claims of an access token.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    sub: String,
    iat: u64,
    nbf: u64,
    exp: u64,
    jti: String,
    role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    region: Option<String>,
    /// The person, for a person's token (none for an API client's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pid: Option<String>,
    /// The district of a district's regulator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dst: Option<String>,
}

/// Signs and verifies access tokens.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl_secs: u64,
    leeway_secs: u64,
}

impl JwtKeys {
    /// Keys for `secret`, with the issuer, audience, lifetime and leeway of
    /// the configuration.
    pub fn new(
        secret: &[u8],
        issuer: &str,
        audience: &str,
        ttl_secs: u64,
        leeway_secs: u64,
    ) -> Result<Self, jsonwebtoken::errors::Error> {
        let mut validation = Validation::new(ALGORITHM);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        // Times are checked against the service's clock in `verify`.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        Ok(JwtKeys {
            encoding: EncodingKey::from_secret(secret)?,
            decoding: DecodingKey::from_secret(secret)?,
            validation,
            issuer: issuer.into(),
            audience: audience.into(),
            ttl_secs,
            leeway_secs,
        })
    }

    /// Issues a token for `actor` at `now`; returns it with its lifetime in
    /// seconds.
    pub fn issue(&self, actor: &Actor, now: DateTime<Utc>) -> Result<(String, u64), ApiError> {
        let now = now.timestamp().max(0) as u64;
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: actor.sub.to_string(),
            iat: now,
            nbf: now,
            exp: now + self.ttl_secs,
            jti: Uuid::now_v7().to_string(),
            role: actor.role.as_str().into(),
            region: actor.region.as_ref().map(|r| r.as_str().into()),
            pid: actor.person.map(|p| p.to_string()),
            dst: actor.district.clone(),
        };
        let token = encode(&Header::new(ALGORITHM), &claims, &self.encoding)
            .map_err(|e| ApiError::internal().with_cause(format!("signing a token: {e}")))?;
        Ok((token, self.ttl_secs))
    }

    /// Verifies a token at `now` and returns the actor it names.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Actor, ApiError> {
        let invalid = || ApiError::unauthorized("the bearer token is invalid or expired");
        let data =
            decode::<Claims>(token, &self.decoding, &self.validation).map_err(|_| invalid())?;
        let claims = data.claims;
        let (now, leeway) = (now.timestamp(), self.leeway_secs as i64);
        if (claims.exp as i64) < now - leeway || (claims.nbf as i64) > now + leeway {
            return Err(invalid());
        }
        // No token is issued in the future, nor lives longer than the
        // service would have issued it for, counted from when it was issued
        // and from when it became valid.
        let longest = self.ttl_secs + self.leeway_secs;
        if (claims.iat as i64) > now + leeway
            || claims.exp.saturating_sub(claims.iat) > longest
            || claims.exp.saturating_sub(claims.nbf) > longest
        {
            return Err(invalid());
        }
        let role = Role::from_str(&claims.role).map_err(|_| invalid())?;
        if role == Role::System {
            return Err(invalid());
        }
        Ok(Actor {
            sub: Uuid::parse_str(&claims.sub).map_err(|_| invalid())?,
            role,
            region: claims
                .region
                .as_deref()
                .map(Region::parse)
                .transpose()
                .map_err(|_| invalid())?,
            person: claims
                .pid
                .as_deref()
                .map(Uuid::parse_str)
                .transpose()
                .map_err(|_| invalid())?,
            // Read with the person, in `verify` below.
            needs_second_factor: false,
            district: claims.dst,
        })
    }
}

/// Any authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller(pub Actor);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Caller {
    type Error = ApiError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ApiError> {
        // Once per request, however many guards ask.
        let verified = req
            .local_cache_async(async { Verified(verify(req).await) })
            .await;
        match &verified.0 {
            Ok(actor) => Outcome::Success(Caller(actor.clone())),
            Err(err) => Outcome::Error((err.status, err.clone().stash(req))),
        }
    }
}

/// The caller of a request, verified (cached for the request).
struct Verified(Result<Actor, ApiError>);

/// The actor of the request's bearer token; a person's token stops working
/// when the person is disabled or their organisation suspended.
async fn verify(req: &Request<'_>) -> Result<Actor, ApiError> {
    let app = req.rocket().state::<App>().expect("App is managed");
    let header = req.headers().get_one("Authorization").unwrap_or_default();
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::unauthorized("a bearer token is required"))?;
    let mut actor = app.keys.verify(token, app.service.clock.now())?;
    if let Some(person) = actor.person {
        let Some(user) = sessions::acting(&app.service, person).await? else {
            return Err(ApiError::unauthorized(
                "the person of this token was disabled or their organisation suspended",
            ));
        };
        actor.needs_second_factor = second_factor::missing(actor.role, &user);
    }
    Ok(actor)
}

/// A caller whose role may do `A` (403 otherwise, before anything else of
/// the request is looked at). Records are checked by the use case itself.
#[derive(Debug, Clone)]
pub struct May<A: Act>(pub Actor, PhantomData<A>);

#[rocket::async_trait]
impl<'r, A: Act> FromRequest<'r> for May<A> {
    type Error = ApiError;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ApiError> {
        match Caller::from_request(req).await {
            Outcome::Success(Caller(actor)) => match access::permit(&actor, A::ACTION) {
                Ok(()) => Outcome::Success(May(actor, PhantomData)),
                Err(e) => {
                    let err = ApiError::from(e);
                    Outcome::Error((err.status, err.stash(req)))
                }
            },
            Outcome::Error(e) => Outcome::Error(e),
            Outcome::Forward(f) => Outcome::Forward(f),
        }
    }
}
