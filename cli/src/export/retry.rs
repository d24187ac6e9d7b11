//! Sending one request: wait for its pacing slot, send, and on throttling or a transient error
//! back off and send again, up to the attempt limit. Counts what happened for the summary.
//!
//! The caller is shared, not borrowed mutably: several requests may be in flight at once (the
//! AdminGetUser calls of `--mfa`), each taking its own pacing slot. Its state is only touched
//! between awaits, never held across one.

use std::cell::{Cell, RefCell};
use std::future::Future;

use super::backoff::Backoff;
use super::pacing::{Category, Clock, Pacer};

/// What a failed attempt says about sending again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The quota was exceeded (`TooManyRequestsException`): slow down and retry.
    Throttled,
    /// A 5xx, a timeout, a dropped connection: retry.
    Transient,
    /// Retrying cannot help (no permission, no such pool, a rejected parameter).
    Fatal,
}

/// Requests sent and retried so far.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Attempts sent, retries included.
    pub(crate) requests: u64,
    /// Retries after a throttled attempt.
    pub(crate) throttled_retries: u64,
    /// Retries after a transient error.
    pub(crate) transient_retries: u64,
    /// Attempts sent per quota category (indexed like [`Category::ALL`]), retries included.
    pub(crate) by_category: [u64; Category::ALL.len()],
}

impl Counts {
    /// Attempts sent in `category`, retries included.
    pub(crate) fn requests_of(&self, category: Category) -> u64 {
        self.by_category[category as usize]
    }
}

/// A request that failed for good: its last error and how many attempts it took.
#[derive(Debug)]
pub(crate) struct GaveUp<E> {
    /// The last attempt's error.
    pub(crate) error: E,
    /// Attempts sent.
    pub(crate) attempts: u32,
}

/// Sends requests under the pacer, retrying as [`Backoff`] allows.
#[derive(Debug)]
pub(crate) struct Caller<C> {
    /// The pacer's clock, to sleep on without holding the pacer.
    clock: C,
    pacer: RefCell<Pacer<C>>,
    backoff: RefCell<Backoff>,
    counts: Cell<Counts>,
}

impl<C: Clock + Clone> Caller<C> {
    /// A caller with fresh counts.
    pub(crate) fn new(pacer: Pacer<C>, backoff: Backoff) -> Self {
        Caller {
            clock: pacer.clock().clone(),
            pacer: RefCell::new(pacer),
            backoff: RefCell::new(backoff),
            counts: Cell::new(Counts::default()),
        }
    }

    /// What was sent and retried so far.
    pub(crate) fn counts(&self) -> Counts {
        self.counts.get()
    }

    /// Updates the counts.
    fn count(&self, update: impl FnOnce(&mut Counts)) {
        let mut counts = self.counts.get();
        update(&mut counts);
        self.counts.set(counts);
    }

    /// Sends the request `send` builds (once per attempt) in quota `category`; `classify` says
    /// what each error means. Several calls may run at once.
    ///
    /// # Errors
    ///
    /// The last error, when it was [`Failure::Fatal`] or the attempts ran out.
    pub(crate) async fn call<T, E, Fut>(
        &self,
        category: Category,
        mut send: impl FnMut() -> Fut,
        classify: impl Fn(&E) -> Failure,
    ) -> Result<T, GaveUp<E>>
    where
        Fut: Future<Output = Result<T, E>>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let wait = self.pacer.borrow_mut().reserve(category);
            if !wait.is_zero() {
                self.clock.sleep(wait).await;
            }
            self.count(|c| {
                c.requests += 1;
                c.by_category[category as usize] += 1;
            });
            let error = match send().await {
                Ok(value) => {
                    self.pacer.borrow_mut().bucket(category).succeeded();
                    return Ok(value);
                }
                Err(error) => error,
            };
            let failure = classify(&error);
            if failure == Failure::Throttled {
                self.pacer.borrow_mut().bucket(category).throttled();
            }
            let delay = match failure {
                Failure::Fatal => None,
                Failure::Throttled | Failure::Transient => self.backoff.borrow_mut().delay(attempt),
            };
            let Some(delay) = delay else {
                return Err(GaveUp {
                    error,
                    attempts: attempt,
                });
            };
            self.count(|c| match failure {
                Failure::Throttled => c.throttled_retries += 1,
                _ => c.transient_retries += 1,
            });
            self.clock.sleep(delay).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::time::Duration;

    use super::*;
    use crate::export::pacing::{block_on, TestClock};

    /// A request that fails with `script[i]` on attempt `i`, and succeeds after the script.
    fn scripted(
        script: &[Failure],
        max_attempts: u32,
    ) -> (Result<u32, GaveUp<Failure>>, Counts, TestClock) {
        let clock = TestClock::default();
        let caller = Caller::new(Pacer::new(clock.clone()), Backoff::seeded(max_attempts, 3));
        let sent = Cell::new(0usize);
        let result = block_on(caller.call(
            Category::UserList,
            || {
                let i = sent.get();
                sent.set(i + 1);
                let outcome = script.get(i).map_or(Ok(i as u32 + 1), |f| Err(*f));
                std::future::ready(outcome)
            },
            |f: &Failure| *f,
        ));
        (result, caller.counts(), clock)
    }

    #[test]
    fn throttled_and_transient_attempts_are_retried_and_counted() {
        use Failure::*;
        let (result, counts, _) = scripted(&[Throttled, Transient, Throttled], 8);
        assert_eq!(result.unwrap(), 4, "the fourth attempt succeeds");
        assert_eq!(
            counts,
            Counts {
                requests: 4,
                throttled_retries: 2,
                transient_retries: 1,
                by_category: [4, 0, 0, 0],
            }
        );
    }

    #[test]
    fn a_fatal_error_is_not_retried() {
        let (result, counts, clock) = scripted(&[Failure::Fatal], 8);
        let gave_up = result.unwrap_err();
        assert_eq!((gave_up.error, gave_up.attempts), (Failure::Fatal, 1));
        assert_eq!(counts.requests, 1);
        assert!(clock.sleeps().is_empty());
    }

    #[test]
    fn the_request_fails_when_the_attempts_run_out() {
        let (result, counts, _) = scripted(&[Failure::Transient; 10], 3);
        assert_eq!(result.unwrap_err().attempts, 3);
        assert_eq!(counts.requests, 3);
        assert_eq!(
            counts.transient_retries, 2,
            "the last failure is not retried"
        );
    }

    #[test]
    fn retries_wait_with_back_off_on_the_injected_clock() {
        let (result, _, clock) = scripted(&[Failure::Transient; 4], 8);
        assert!(result.is_ok());
        // Four back-off waits (pacing adds none: they are longer than 40 ms or the bucket
        // already allows the next request), each under its doubling ceiling.
        let sleeps = clock.sleeps();
        assert!(sleeps.len() >= 4, "{sleeps:?}");
        assert!(clock.now() <= Duration::from_millis(200 + 400 + 800 + 1600 + 4 * 40));
    }

    #[test]
    fn a_throttle_slows_the_pacing_of_later_requests() {
        let clock = TestClock::default();
        let caller = Caller::new(Pacer::new(clock.clone()), Backoff::seeded(8, 3));
        let sent_at = std::cell::RefCell::new(Vec::new());
        block_on(async {
            // The first attempt is throttled; its retry and the next request succeed at once.
            for _ in 0..2 {
                let _ = caller
                    .call(
                        Category::UserList,
                        || {
                            sent_at.borrow_mut().push(clock.now());
                            let throttled = sent_at.borrow().len() == 1;
                            std::future::ready(if throttled { Err(()) } else { Ok(()) })
                        },
                        |_: &()| Failure::Throttled,
                    )
                    .await;
            }
        });
        let t = sent_at.into_inner();
        assert_eq!(t.len(), 3);
        // 12.5 RPS after the throttle instead of 25: 80 ms apart, not 40.
        assert_eq!(t[2] - t[1], Duration::from_millis(80));
    }
}
