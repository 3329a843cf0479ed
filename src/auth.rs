//! Tokens and request guards: who is calling, and in which role.

use std::str::FromStr;

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{Actor, Region, Role};
use crate::error::ApiError;
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
}

/// Signs and verifies access tokens.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl_secs: u64,
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
        validation.validate_nbf = true;
        validation.leeway = leeway_secs;
        Ok(JwtKeys {
            encoding: EncodingKey::from_secret(secret)?,
            decoding: DecodingKey::from_secret(secret)?,
            validation,
            issuer: issuer.into(),
            audience: audience.into(),
            ttl_secs,
        })
    }

    /// Issues a token for `actor`; returns it with its lifetime in seconds.
    pub fn issue(&self, actor: &Actor) -> Result<(String, u64), ApiError> {
        let now = jsonwebtoken::get_current_timestamp();
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
        };
        let token = encode(&Header::new(ALGORITHM), &claims, &self.encoding)
            .map_err(|e| ApiError::internal().with_cause(format!("signing a token: {e}")))?;
        Ok((token, self.ttl_secs))
    }

    /// Verifies a token and returns the actor it names.
    pub fn verify(&self, token: &str) -> Result<Actor, ApiError> {
        let invalid = || ApiError::unauthorized("the bearer token is invalid or expired");
        let data =
            decode::<Claims>(token, &self.decoding, &self.validation).map_err(|_| invalid())?;
        let claims = data.claims;
        Ok(Actor {
            sub: Uuid::parse_str(&claims.sub).map_err(|_| invalid())?,
            role: Role::from_str(&claims.role).map_err(|_| invalid())?,
            region: claims
                .region
                .as_deref()
                .map(Region::parse)
                .transpose()
                .map_err(|_| invalid())?,
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
        let verified = req.local_cache(|| {
            let app = req.rocket().state::<App>().expect("App is managed");
            let header = req.headers().get_one("Authorization").unwrap_or_default();
            let token = header
                .strip_prefix("Bearer ")
                .or_else(|| header.strip_prefix("bearer "))
                .map(str::trim)
                .filter(|t| !t.is_empty());
            match token {
                None => Err(ApiError::unauthorized("a bearer token is required")),
                Some(token) => app.keys.verify(token),
            }
        });
        match verified {
            Ok(actor) => Outcome::Success(Caller(actor.clone())),
            Err(err) => Outcome::Error((Status::Unauthorized, err.clone().stash(req))),
        }
    }
}

macro_rules! role_guard {
    ($(#[$doc:meta])* $name:ident, $role:expr, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub Actor);

        #[rocket::async_trait]
        impl<'r> FromRequest<'r> for $name {
            type Error = ApiError;

            async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ApiError> {
                match Caller::from_request(req).await {
                    Outcome::Success(Caller(actor)) if actor.role == $role => {
                        Outcome::Success($name(actor))
                    }
                    Outcome::Success(_) => {
                        let err = ApiError::forbidden(concat!("only ", $what, " may do this"));
                        Outcome::Error((Status::Forbidden, err.stash(req)))
                    }
                    Outcome::Error(e) => Outcome::Error(e),
                    Outcome::Forward(f) => Outcome::Forward(f),
                }
            }
        }
    };
}

role_guard!(
    /// An operator.
    AdminCaller, Role::Admin, "operators"
);
role_guard!(
    /// A regulator; its region is `self.0.region`.
    RegulatorCaller, Role::Regulator, "regulators"
);
role_guard!(
    /// A company.
    CompanyCaller, Role::Company, "companies"
);
role_guard!(
    /// A service provider.
    ProviderCaller, Role::Provider, "service providers"
);

impl RegulatorCaller {
    /// Refuses unless this regulator's region is `region`.
    pub fn require_region(&self, region: &Region) -> Result<(), ApiError> {
        if self.0.regulates(region) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "only regulators of {region} may do this"
            )))
        }
    }
}
