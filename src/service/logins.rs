//! What keeps logins from eating the machine: Argon2id hashing runs on at
//! most one thread per core, with a short queue (the excess is answered
//! "busy" at once, not queued in memory); and failed logins are rate-limited
//! per client id and per source address (GCRA, the `governor` crate), after
//! which every attempt is refused until the limit has room again.

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
    Client(String),
    Address(IpAddr),
}

/// Failed logins per client id and per source address.
pub struct LoginLimits {
    per_client: DefaultKeyedRateLimiter<String>,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    /// Attempters over their limit, and until when.
    blocked: Mutex<HashMap<Attempter, Instant>>,
}

impl LoginLimits {
    /// At most `per_client` failures a minute for one client id and
    /// `per_address` for one source address (each also the burst).
    pub fn new(per_client: u32, per_address: u32) -> Self {
        let quota = |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).expect("at least 1"));
        LoginLimits {
            per_client: RateLimiter::keyed(quota(per_client)),
            per_address: RateLimiter::keyed(quota(per_address)),
            blocked: Mutex::new(HashMap::new()),
        }
    }

    /// Refuses an attempt by a client id or address over its limit.
    pub fn check(&self, client_id: &str, address: Option<IpAddr>) -> ServiceResult<()> {
        let now = Instant::now();
        let mut blocked = self.blocked.lock().expect("login limits lock");
        blocked.retain(|_, until| *until > now);
        let attempters = [
            Some(Attempter::Client(client_id.to_owned())),
            address.map(Attempter::Address),
        ];
        let wait = attempters
            .iter()
            .flatten()
            .filter_map(|a| blocked.get(a))
            .map(|until| until.duration_since(now))
            .max();
        match wait {
            Some(wait) => Err(ServiceError::TooManyAttempts {
                retry_after_secs: wait.as_secs().max(1),
            }),
            None => Ok(()),
        }
    }

    /// Counts a failed attempt; an attempter past its limit is blocked until
    /// the limit has room again.
    pub fn failed(&self, client_id: &str, address: Option<IpAddr>) {
        let clock = DefaultClock::default();
        let mut over = Vec::new();
        if let Err(not_until) = self.per_client.check_key(&client_id.to_owned()) {
            over.push((
                Attempter::Client(client_id.to_owned()),
                not_until.wait_time_from(clock.now()),
            ));
        }
        if let Some(address) = address {
            if let Err(not_until) = self.per_address.check_key(&address) {
                over.push((
                    Attempter::Address(address),
                    not_until.wait_time_from(clock.now()),
                ));
            }
        }
        if self.per_client.len() > 10_000 || self.per_address.len() > 10_000 {
            self.per_client.retain_recent();
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

    #[test]
    fn a_client_past_its_failures_is_refused_for_a_while() {
        let limits = LoginLimits::new(3, 100);
        let address = Some("192.0.2.7".parse().unwrap());
        for _ in 0..4 {
            assert!(limits.check("vl_a", address).is_ok());
            limits.failed("vl_a", address);
        }
        let Err(ServiceError::TooManyAttempts { retry_after_secs }) = limits.check("vl_a", address)
        else {
            panic!("expected a refusal");
        };
        assert!((1..=60).contains(&retry_after_secs));
        // Another client from elsewhere is not affected.
        assert!(limits
            .check("vl_b", Some("192.0.2.8".parse().unwrap()))
            .is_ok());
    }

    #[test]
    fn an_address_past_its_failures_is_refused_for_any_client() {
        let limits = LoginLimits::new(100, 2);
        let address = Some("192.0.2.9".parse().unwrap());
        for n in 0..3 {
            limits.failed(&format!("vl_{n}"), address);
        }
        assert!(limits.check("vl_new", address).is_err());
        assert!(limits.check("vl_new", None).is_ok());
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
