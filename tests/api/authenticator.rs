//! The tests' authenticator app: every person a test signs in through
//! [`TestApp::person_token`] enrols a second factor on first sign-in, and
//! signs in with a code from then on — a TOTP code of a step not used
//! before (the service's clock stands still, so the step after it too),
//! else a recovery code. A token is reused while the clock has not moved.

use std::collections::HashMap;
use std::sync::Mutex;
use voucher_ledger::domain::clock::Clock as _;

use chrono::{DateTime, Duration, Utc};
use rocket::http::Status;
use serde_json::json;
use voucher_ledger::service::second_factor::{code_at, STEP};

use crate::helpers::{Req, TestApp};

/// A person's enrolled factor, as their app and notebook hold it.
#[derive(Debug, Clone)]
pub struct Factor {
    pub secret: String,
    /// The last time step a code was used for.
    pub last_step: i64,
    pub recovery_codes: Vec<String>,
}

/// Factors and tokens by login.
#[derive(Debug, Default)]
pub struct Authenticator {
    factors: Mutex<HashMap<String, Factor>>,
    tokens: Mutex<HashMap<String, (DateTime<Utc>, String)>>,
}

fn step_of(at: DateTime<Utc>) -> i64 {
    at.timestamp() / STEP as i64
}

impl Authenticator {
    /// The next code for `login` at `now`: this step's, the next step's,
    /// or a recovery code; none when the login has no factor.
    fn next_code(&self, login: &str, now: DateTime<Utc>) -> Option<String> {
        let mut factors = self.factors.lock().unwrap();
        let factor = factors.get_mut(login)?;
        let step = step_of(now);
        for candidate in [step, step + 1] {
            if candidate > factor.last_step {
                factor.last_step = candidate;
                let at = DateTime::from_timestamp(candidate * STEP as i64, 0).unwrap();
                return code_at(&factor.secret, at);
            }
        }
        Some(
            factor
                .recovery_codes
                .pop()
                .expect("a recovery code left for another sign-in in this step"),
        )
    }
}

impl TestApp {
    /// A person's token, asserting that the login and password work: the
    /// person enrols a second factor first if they have none.
    pub async fn person_token(&self, login: &str, password: &str) -> String {
        let now = self.clock.now();
        if let Some((at, token)) = self.authenticator.tokens.lock().unwrap().get(login) {
            if *at == now {
                return token.clone();
            }
        }
        self.sign_in_again(login, password).await
    }

    /// A new token of a person, signing in afresh (never one kept from
    /// before), asserting that the login and password work.
    pub async fn sign_in_again(&self, login: &str, password: &str) -> String {
        let now = self.clock.now();
        let code = self.authenticator.next_code(login, now);
        let enrolled = code.is_some();
        let body = json!({"login": login, "password": password, "code": code});
        let answer = self.send(Req::post_json("/api/v1/auth/token", &body)).await;
        assert_eq!(answer.status, Status::Ok, "{}", answer.text);
        let token = answer.body["access_token"].as_str().unwrap().to_owned();
        if !enrolled {
            self.enrol(login, &token).await;
        }
        self.authenticator
            .tokens
            .lock()
            .unwrap()
            .insert(login.to_owned(), (now, token.clone()));
        token
    }

    /// Enrols a second factor for the person of `token` (`login`), as
    /// their app would: asserts it is in force.
    pub async fn enrol(&self, login: &str, token: &str) -> Factor {
        let started = self
            .send(Req::post_json("/api/v1/me/second-factor", &json!({})).bearer(token))
            .await;
        assert_eq!(started.status, Status::Ok, "{}", started.text);
        let secret = started.body["secret"].as_str().unwrap().to_owned();
        assert!(started.body["qr_svg"].as_str().unwrap().contains("<svg"));
        let now = self.clock.now();
        let code = code_at(&secret, now).unwrap();
        let confirmed = self
            .send(
                Req::post_json("/api/v1/me/second-factor/confirm", &json!({"code": code}))
                    .bearer(token),
            )
            .await;
        assert_eq!(confirmed.status, Status::Ok, "{}", confirmed.text);
        let recovery_codes: Vec<String> = confirmed.body["recovery_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect();
        let factor = Factor {
            secret,
            last_step: step_of(now),
            recovery_codes,
        };
        self.authenticator
            .factors
            .lock()
            .unwrap()
            .insert(login.to_owned(), factor.clone());
        factor
    }
}

/// A moment `steps` TOTP steps after `at`.
pub fn steps_after(at: DateTime<Utc>, steps: i64) -> DateTime<Utc> {
    at + Duration::seconds(steps * STEP as i64)
}
