//! Exponential back-off with full jitter between the attempts of one request.
//!
//! Full jitter (a uniform delay between zero and the capped exponential) spreads the retries of
//! clients that were throttled together, which a fixed or "equal jitter" delay does not.

use std::time::Duration;

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

/// The ceiling of the first retry's delay; it doubles with each further retry.
const BASE: Duration = Duration::from_millis(200);
/// No delay is longer than this.
const CAP: Duration = Duration::from_secs(20);

/// Delays between attempts, and how many attempts a request gets.
#[derive(Debug)]
pub(crate) struct Backoff {
    max_attempts: u32,
    rng: ChaCha20Rng,
}

impl Backoff {
    /// `max_attempts` attempts per request (at least one), jitter from the operating system's
    /// random source.
    pub(crate) fn new(max_attempts: u32) -> Self {
        Backoff {
            max_attempts: max_attempts.max(1),
            rng: ChaCha20Rng::from_entropy(),
        }
    }

    /// The same with a seeded jitter, for reproducible tests.
    #[cfg(test)]
    pub(crate) fn seeded(max_attempts: u32, seed: u64) -> Self {
        Backoff {
            max_attempts: max_attempts.max(1),
            rng: ChaCha20Rng::seed_from_u64(seed),
        }
    }

    /// The delay after failed attempt `attempt` (1-based), or `None` when it was the last.
    pub(crate) fn delay(&mut self, attempt: u32) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let ceiling = BASE.saturating_mul(1u32 << (attempt - 1).min(16)).min(CAP);
        // Uniform in [0, ceiling], at nanosecond resolution.
        let nanos = ceiling.as_nanos() as u64;
        Some(Duration::from_nanos(self.rng.next_u64() % (nanos + 1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_stay_under_a_doubling_ceiling_capped_at_20_seconds() {
        let mut backoff = Backoff::seeded(30, 7);
        for attempt in 1..30 {
            let delay = backoff.delay(attempt).expect("attempts left");
            let ceiling = (BASE * 2u32.pow((attempt - 1).min(16))).min(CAP);
            assert!(
                delay <= ceiling,
                "attempt {attempt}: {delay:?} > {ceiling:?}"
            );
        }
        assert_eq!(backoff.delay(30), None);
    }

    #[test]
    fn the_jitter_is_spread_over_the_whole_range() {
        let mut backoff = Backoff::seeded(20, 1);
        let delays: Vec<Duration> = (0..1000).map(|_| backoff.delay(10).unwrap()).collect();
        let mean = delays.iter().sum::<Duration>() / 1000;
        // Uniform on [0, 20 s]: mean 10 s.
        assert!(
            mean > Duration::from_secs(9) && mean < Duration::from_secs(11),
            "{mean:?}"
        );
        assert!(delays.iter().any(|d| *d < Duration::from_secs(2)));
        assert!(delays.iter().any(|d| *d > Duration::from_secs(18)));
    }

    #[test]
    fn a_seed_gives_the_same_delays() {
        let mut a = Backoff::seeded(8, 42);
        let mut b = Backoff::seeded(8, 42);
        for attempt in 1..8 {
            assert_eq!(a.delay(attempt), b.delay(attempt));
        }
    }

    #[test]
    fn one_attempt_means_no_retry() {
        assert_eq!(Backoff::seeded(1, 0).delay(1), None);
        assert_eq!(Backoff::seeded(0, 0).max_attempts, 1);
    }
}
