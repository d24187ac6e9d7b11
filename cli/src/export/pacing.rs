//! Client-side pacing under Cognito's request-rate quotas: a token bucket per quota category,
//! driven by a [`Clock`] so that tests move time without sleeping.
//!
//! The quotas are per account and Region, shared with everything else that calls the pool, and
//! not adjustable for most categories an export uses (UserList 30 RPS, UserPoolResourceRead
//! 20 RPS per account and 5 RPS per pool, UserPoolRead 15 RPS; UserRead, AdminGetUser's, is
//! 120 RPS). Each bucket starts below its quota; a throttled request halves its rate and each
//! success wins a little back (additive increase, multiplicative decrease), so an export
//! settles under what others leave it.

use std::future::Future;
use std::time::{Duration, Instant};

/// Time for the pacer and the retries: real time, or a test's.
pub(crate) trait Clock {
    /// Time since the clock started.
    fn now(&self) -> Duration;
    /// Waits `duration`.
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()>;
}

/// The wall clock and tokio's timer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RealClock {
    start: Instant,
}

impl RealClock {
    /// A clock that starts now.
    pub(crate) fn new() -> Self {
        RealClock {
            start: Instant::now(),
        }
    }
}

impl Clock for RealClock {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> {
        tokio::time::sleep(duration)
    }
}

/// The Cognito quota categories of the operations an export calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // Cognito's names, as its quota documentation spells them
pub(crate) enum Category {
    /// ListUsers, ListUsersInGroup: 30 RPS per account.
    UserList,
    /// ListGroups: 20 RPS per account, 5 RPS per user pool.
    UserPoolResourceRead,
    /// DescribeUserPool: 15 RPS per account.
    UserPoolRead,
    /// AdminGetUser (`--mfa`): 120 RPS per account by default.
    UserRead,
}

impl Category {
    /// Every category, in declaration order (the index of each one's bucket).
    pub(crate) const ALL: [Category; 4] = [
        Category::UserList,
        Category::UserPoolResourceRead,
        Category::UserPoolRead,
        Category::UserRead,
    ];

    /// The rate the export aims at, in requests per second: headroom under the quota.
    fn target_rate(self) -> f64 {
        match self {
            Category::UserList => 25.0,
            Category::UserPoolResourceRead => 4.0,
            Category::UserPoolRead => 10.0,
            Category::UserRead => DEFAULT_USER_READ_RATE,
        }
    }
}

/// AdminGetUser's default rate (`--mfa-rate`): half of UserRead's 120 RPS, leaving the other
/// half to whatever else reads users in the account while the export runs.
pub(crate) const DEFAULT_USER_READ_RATE: f64 = 60.0;
const _: () = assert!(DEFAULT_USER_READ_RATE < 120.0, "under the UserRead quota");

/// The slowest a throttled bucket goes, in requests per second.
const MIN_RATE: f64 = 0.5;
/// Requests per second a bucket wins back after each success.
const RECOVERY_PER_SUCCESS: f64 = 0.5;

/// A token bucket of capacity one (GCRA): requests at most `rate` per second, evenly spaced, so
/// that no window of `w` seconds holds more than `1 + rate * w` of them.
#[derive(Debug, Clone)]
pub(crate) struct TokenBucket {
    rate: f64,
    target: f64,
    /// When the next request may go.
    next: Duration,
}

impl TokenBucket {
    /// A bucket at `rate` requests per second.
    pub(crate) fn new(rate: f64) -> Self {
        TokenBucket {
            rate,
            target: rate,
            next: Duration::ZERO,
        }
    }

    /// Takes the next slot at time `now`: how long to wait before sending.
    pub(crate) fn reserve(&mut self, now: Duration) -> Duration {
        let at = self.next.max(now);
        self.next = at + Duration::from_secs_f64(1.0 / self.rate);
        at - now
    }

    /// The request was throttled: halve the rate (never below [`MIN_RATE`], nor above the
    /// target when the target is lower still).
    pub(crate) fn throttled(&mut self) {
        self.rate = (self.rate / 2.0).max(MIN_RATE.min(self.target));
    }

    /// The request went through: win some rate back, up to the target.
    pub(crate) fn succeeded(&mut self) {
        self.rate = (self.rate + RECOVERY_PER_SUCCESS).min(self.target);
    }
}

/// One bucket per category, and the clock that paces them.
#[derive(Debug)]
pub(crate) struct Pacer<C> {
    clock: C,
    buckets: [TokenBucket; 4],
}

impl<C: Clock> Pacer<C> {
    /// Every category at its target rate.
    pub(crate) fn new(clock: C) -> Self {
        Pacer {
            clock,
            buckets: Category::ALL.map(|c| TokenBucket::new(c.target_rate())),
        }
    }

    /// Paces `category` at `rate` requests per second instead of its default target.
    pub(crate) fn set_rate(&mut self, category: Category, rate: f64) {
        self.buckets[category as usize] = TokenBucket::new(rate);
    }

    /// Takes the next slot of `category`: how long to wait before sending. Requests in flight
    /// together each take their own slot, so they go out spaced at the rate.
    pub(crate) fn reserve(&mut self, category: Category) -> Duration {
        let now = self.clock.now();
        self.bucket(category).reserve(now)
    }

    /// Waits until a request of `category` may be sent.
    #[cfg(test)]
    pub(crate) async fn wait(&mut self, category: Category) {
        let wait = self.reserve(category);
        if !wait.is_zero() {
            self.clock.sleep(wait).await;
        }
    }

    /// The bucket of `category`, to report a throttle or a success to.
    pub(crate) fn bucket(&mut self, category: Category) -> &mut TokenBucket {
        &mut self.buckets[category as usize]
    }

    /// The clock, for the retries' back-off.
    pub(crate) fn clock(&self) -> &C {
        &self.clock
    }
}

/// A clock that only moves when something sleeps on it.
#[cfg(test)]
#[derive(Debug, Clone, Default)]
pub(crate) struct TestClock {
    now: std::rc::Rc<std::cell::Cell<Duration>>,
    sleeps: std::rc::Rc<std::cell::RefCell<Vec<Duration>>>,
}

#[cfg(test)]
impl TestClock {
    /// Moves time forward without a sleep (a request's own latency).
    pub(crate) fn advance(&self, duration: Duration) {
        self.now.set(self.now.get() + duration);
    }

    /// Every sleep so far.
    pub(crate) fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.borrow().clone()
    }
}

#[cfg(test)]
impl Clock for TestClock {
    fn now(&self) -> Duration {
        self.now.get()
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> {
        self.sleeps.borrow_mut().push(duration);
        self.advance(duration);
        std::future::ready(())
    }
}

/// Runs a future that never waits on anything but a [`TestClock`].
#[cfg(test)]
pub(crate) fn block_on<T>(future: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a test runtime")
        .block_on(future)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The send times of `n` back-to-back requests of `category`, each taking `latency`.
    fn send_times(n: usize, category: Category, latency: Duration) -> Vec<Duration> {
        let clock = TestClock::default();
        let mut pacer = Pacer::new(clock.clone());
        block_on(async {
            let mut times = Vec::new();
            for _ in 0..n {
                pacer.wait(category).await;
                times.push(clock.now());
                clock.advance(latency);
                pacer.bucket(category).succeeded();
            }
            times
        })
    }

    /// The most requests in any window of `window` starting at a request.
    fn busiest(times: &[Duration], window: Duration) -> usize {
        (0..times.len())
            .map(|i| {
                times[i..]
                    .iter()
                    .take_while(|t| **t < times[i] + window)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn user_list_requests_stay_under_30_per_second_whatever_the_latency() {
        for latency in [0, 5, 39, 41, 200] {
            let times = send_times(500, Category::UserList, Duration::from_millis(latency));
            assert!(
                busiest(&times, Duration::from_secs(1)) <= 26,
                "{latency} ms"
            );
        }
    }

    #[test]
    fn fast_responses_are_spaced_at_the_target_rate() {
        let times = send_times(101, Category::UserList, Duration::ZERO);
        assert_eq!(
            times[0],
            Duration::ZERO,
            "the first request waits for nothing"
        );
        // 100 intervals of 40 ms.
        let total = times[100].as_secs_f64();
        assert!((total - 4.0).abs() < 1e-6, "{total}");
    }

    #[test]
    fn slow_responses_are_never_delayed() {
        let clock = TestClock::default();
        let mut pacer = Pacer::new(clock.clone());
        block_on(async {
            for _ in 0..50 {
                pacer.wait(Category::UserList).await;
                clock.advance(Duration::from_millis(100));
            }
        });
        assert!(clock.sleeps().is_empty(), "{:?}", clock.sleeps());
    }

    #[test]
    fn list_groups_stays_under_the_per_pool_quota_of_5_per_second() {
        let times = send_times(60, Category::UserPoolResourceRead, Duration::ZERO);
        assert!(busiest(&times, Duration::from_secs(1)) <= 5);
    }

    #[test]
    fn categories_are_paced_independently() {
        let clock = TestClock::default();
        let mut pacer = Pacer::new(clock.clone());
        block_on(async {
            pacer.wait(Category::UserPoolResourceRead).await;
            pacer.wait(Category::UserList).await;
        });
        assert!(clock.sleeps().is_empty());
    }

    #[test]
    fn admin_get_user_is_paced_at_its_own_rate_under_the_user_read_quota() {
        let clock = TestClock::default();
        let mut pacer = Pacer::new(clock.clone());
        assert_eq!(
            pacer.bucket(Category::UserRead).rate,
            DEFAULT_USER_READ_RATE
        );
        pacer.set_rate(Category::UserRead, 10.0);
        let times: Vec<Duration> = block_on(async {
            let mut times = Vec::new();
            for _ in 0..11 {
                pacer.wait(Category::UserRead).await;
                times.push(clock.now());
                // ListUsers keeps its own pace meanwhile.
                assert!(pacer.reserve(Category::UserList) <= Duration::from_millis(40));
            }
            times
        });
        assert!((times[10].as_secs_f64() - 1.0).abs() < 1e-6, "{times:?}");
    }

    #[test]
    fn a_throttle_never_raises_a_target_below_the_minimum_rate() {
        let mut bucket = TokenBucket::new(0.2);
        bucket.throttled();
        assert_eq!(bucket.rate, 0.2);
    }

    #[test]
    fn a_throttle_halves_the_rate_and_successes_win_it_back() {
        let mut bucket = TokenBucket::new(25.0);
        bucket.throttled();
        assert_eq!(bucket.rate, 12.5);
        for _ in 0..10 {
            bucket.throttled();
        }
        assert_eq!(bucket.rate, MIN_RATE, "never stops altogether");
        for _ in 0..1000 {
            bucket.succeeded();
        }
        assert_eq!(bucket.rate, 25.0, "never above the target");
    }

    #[test]
    fn a_throttled_bucket_spaces_requests_further() {
        let mut bucket = TokenBucket::new(25.0);
        assert_eq!(bucket.reserve(Duration::ZERO), Duration::ZERO);
        bucket.throttled();
        // The slot after the first one was taken at 25 RPS; the one after uses 12.5 RPS.
        assert_eq!(bucket.reserve(Duration::ZERO), Duration::from_millis(40));
        assert_eq!(bucket.reserve(Duration::ZERO), Duration::from_millis(120));
    }
}
