//! What keeps logins from eating the machine: Argon2id hashing runs on at
//! most one thread per core, with a short queue (the excess is answered
//! "busy" at once, not queued in memory); and failed logins are rate-limited
//! per login (or client id) and address, and per address (GCRA, the
//! `governor` crate): a login past its limit is refused from that address
//! until the limit has room again; an address past its limit is slowed,
//! never shut out — a right credential from it still gets in.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::{ServiceError, ServiceResult};

/// Argon2id work runs on one dedicated thread per core, fed by a bounded
/// queue: memory stays at one Argon2 block set per thread (the same threads
/// are reused, so their allocations are too), and the queue bounds delay.
struct Hashing {
    jobs: SyncSender<Job>,
}

type Job = Box<dyn FnOnce() + Send>;

static HASHING: LazyLock<Hashing> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (jobs, queue) = sync_channel::<Job>((cores * 8).max(32));
    let queue = Arc::new(Mutex::new(queue));
    for n in 0..cores {
        let queue = queue.clone();
        std::thread::Builder::new()
            .name(format!("argon2-{n}"))
            .spawn(move || loop {
                let job = queue.lock().expect("hashing queue").recv();
                match job {
                    // A panic in one job must not take the worker with it.
                    Ok(job) => drop(std::panic::catch_unwind(AssertUnwindSafe(job))),
                    Err(_) => break,
                }
            })
            .expect("a hashing thread");
    }
    Hashing { jobs }
});

/// Runs `work` (Argon2id hashing or verification) on a hashing thread;
/// `ServiceError::Busy` at once when the queue is full.
pub async fn on_hashing_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> ServiceResult<T> {
    let (done, result) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = done.send(work());
    });
    match HASHING.jobs.try_send(job) {
        Ok(()) => {}
        Err(TrySendError::Full(_)) => return Err(ServiceError::Busy),
        Err(TrySendError::Disconnected(_)) => {
            return Err(ServiceError::Internal("no hashing thread".into()))
        }
    }
    result
        .await
        .map_err(|_| ServiceError::Internal("a hashing job failed".into()))
}

/// Who a login attempt is counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Attempter {
    /// A login (or client id) from an address.
    Login(String, Option<IpAddr>),
    Address(IpAddr),
}

/// How long an attempt from an address over its failure limit waits before
/// it is looked at: the address slows down, but a right credential from it
/// still gets in (many people may share an address, behind one proxy).
pub const ADDRESS_PENALTY: Duration = Duration::from_secs(1);

/// Failed logins per login (or client id) *and* address, and per address.
/// Only failures count. A login failing from one address is refused from
/// there for a while, never from elsewhere; an address failing too often
/// is slowed ([`ADDRESS_PENALTY`]), never shut out.
pub struct LoginLimits {
    per_login: DefaultKeyedRateLimiter<(String, Option<IpAddr>)>,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    /// Attempters over their limit, and until when.
    blocked: Mutex<HashMap<Attempter, Instant>>,
}

impl LoginLimits {
    /// At most `per_login` failures a minute for one login (or client id)
    /// from one address, and `per_address` for one source address (each
    /// also the burst).
    pub fn new(per_login: u32, per_address: u32) -> Self {
        let quota = |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).expect("at least 1"));
        LoginLimits {
            per_login: RateLimiter::keyed(quota(per_login)),
            per_address: RateLimiter::keyed(quota(per_address)),
            blocked: Mutex::new(HashMap::new()),
        }
    }

    /// Lets an attempt of `login` from `address` be looked at: refused
    /// (`too_many_requests`) while that pair is over its limit; after
    /// [`ADDRESS_PENALTY`] while only the address is.
    pub async fn admit(&self, login: &str, address: Option<IpAddr>) -> ServiceResult<()> {
        let pair = {
            let now = Instant::now();
            let mut blocked = self.blocked.lock().expect("login limits lock");
            blocked.retain(|_, until| *until > now);
            blocked
                .get(&Attempter::Login(login.to_owned(), address))
                .map(|until| until.duration_since(now))
        };
        if let Some(wait) = pair {
            return Err(ServiceError::TooManyAttempts {
                retry_after_secs: wait.as_secs().max(1),
            });
        }
        self.pace(address).await;
        Ok(())
    }

    /// Waits [`ADDRESS_PENALTY`] when `address` is over its failure limit
    /// (a person's sign-in: their login is slowed per address by the
    /// database, [`super::passwords`]).
    pub async fn pace(&self, address: Option<IpAddr>) {
        let slowed = address.is_some_and(|a| {
            let blocked = self.blocked.lock().expect("login limits lock");
            blocked
                .get(&Attempter::Address(a))
                .is_some_and(|until| *until > Instant::now())
        });
        if slowed {
            tokio::time::sleep(ADDRESS_PENALTY).await;
        }
    }

    /// Counts a failed attempt of a client id; an attempter past its limit
    /// is blocked (the pair) or slowed (the address) until the limit has
    /// room again.
    pub fn failed(&self, login: &str, address: Option<IpAddr>) {
        let pair = (login.to_owned(), address);
        let over = self.per_login.check_key(&pair).err().map(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            (Attempter::Login(pair.0, pair.1), wait)
        });
        self.count(over, address);
    }

    /// Counts a failed sign-in of a person against the address only: a
    /// person's login is slowed per address by the database
    /// ([`super::passwords`]), on every instance alike.
    pub fn failed_from(&self, address: Option<IpAddr>) {
        self.count(None, address);
    }

    fn count(&self, pair_over: Option<(Attempter, Duration)>, address: Option<IpAddr>) {
        let clock = DefaultClock::default();
        let mut over: Vec<_> = pair_over.into_iter().collect();
        if let Some(address) = address {
            if let Err(not_until) = self.per_address.check_key(&address) {
                over.push((
                    Attempter::Address(address),
                    not_until.wait_time_from(clock.now()),
                ));
            }
        }
        if self.per_login.len() > 10_000 || self.per_address.len() > 10_000 {
            self.per_login.retain_recent();
            self.per_address.retain_recent();
        }
        let now = Instant::now();
        let mut blocked = self.blocked.lock().expect("login limits lock");
        for (attempter, wait) in over {
            blocked.insert(attempter, now + wait.max(Duration::from_secs(1)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_login_past_its_failures_is_refused_from_that_address_only() {
        let limits = LoginLimits::new(3, 100);
        let address = Some("192.0.2.7".parse().unwrap());
        for _ in 0..4 {
            assert!(limits.admit("vl_a", address).await.is_ok());
            limits.failed("vl_a", address);
        }
        let Err(ServiceError::TooManyAttempts { retry_after_secs }) =
            limits.admit("vl_a", address).await
        else {
            panic!("expected a refusal");
        };
        assert!((1..=60).contains(&retry_after_secs));
        // The same login from elsewhere, and another login, are not refused.
        let elsewhere = Some("192.0.2.8".parse().unwrap());
        assert!(limits.admit("vl_a", elsewhere).await.is_ok());
        assert!(limits.admit("vl_b", address).await.is_ok());
    }

    #[tokio::test]
    async fn an_address_past_its_failures_is_slowed_not_refused() {
        let limits = LoginLimits::new(100, 2);
        let address = Some("192.0.2.9".parse().unwrap());
        for n in 0..3 {
            limits.failed(&format!("vl_{n}"), address);
        }
        let started = Instant::now();
        assert!(limits.admit("vl_new", address).await.is_ok());
        assert!(started.elapsed() >= ADDRESS_PENALTY);
        assert!(limits.admit("vl_new", None).await.is_ok());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hashing_beyond_the_queue_is_refused_at_once() {
        let jobs: Vec<_> = (0..64)
            .map(|_| {
                tokio::spawn(on_hashing_thread(|| {
                    std::thread::sleep(Duration::from_millis(200))
                }))
            })
            .collect();
        let mut busy = 0;
        for job in jobs {
            if let Err(ServiceError::Busy) = job.await.unwrap() {
                busy += 1;
            }
        }
        assert!(busy > 0, "the excess is refused");
    }
}
