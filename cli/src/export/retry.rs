//! Sending one request: wait for its pacing slot, send, and on throttling or a transient error
//! back off and send again, up to the attempt limit. Counts what happened for the summary.

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
}

/// A request that failed for good: its last error and how many attempts it took.
#[derive(Debug)]
pub(crate) struct GaveUp<E> {
    /// The last attempt's error.
    pub(crate) error: E,
    /// Attempts sent.
    pub(crate) attempts: u32,
}

/// Sends requests one at a time under the pacer, retrying as [`Backoff`] allows.
#[derive(Debug)]
pub(crate) struct Caller<C> {
    pacer: Pacer<C>,
    backoff: Backoff,
    counts: Counts,
}

impl<C: Clock> Caller<C> {
    /// A caller with fresh counts.
    pub(crate) fn new(pacer: Pacer<C>, backoff: Backoff) -> Self {
        Caller {
            pacer,
            backoff,
            counts: Counts::default(),
        }
    }

    /// What was sent and retried so far.
    pub(crate) fn counts(&self) -> Counts {
        self.counts
    }

    /// Sends the request `send` builds (once per attempt) in quota `category`; `classify` says
    /// what each error means.
    ///
    /// # Errors
    ///
    /// The last error, when it was [`Failure::Fatal`] or the attempts ran out.
    pub(crate) async fn call<T, E, Fut>(
        &mut self,
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
            self.pacer.wait(category).await;
            self.counts.requests += 1;
            let error = match send().await {
                Ok(value) => {
                    self.pacer.bucket(category).succeeded();
                    return Ok(value);
                }
                Err(error) => error,
            };
            let failure = classify(&error);
            if failure == Failure::Throttled {
                self.pacer.bucket(category).throttled();
            }
            let delay = match failure {
                Failure::Fatal => None,
                Failure::Throttled | Failure::Transient => self.backoff.delay(attempt),
            };
            let Some(delay) = delay else {
                return Err(GaveUp {
                    error,
                    attempts: attempt,
                });
            };
            match failure {
                Failure::Throttled => self.counts.throttled_retries += 1,
                _ => self.counts.transient_retries += 1,
            }
            self.pacer.clock().sleep(delay).await;
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
        let mut caller = Caller::new(Pacer::new(clock.clone()), Backoff::seeded(max_attempts, 3));
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
                transient_retries: 1
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
        let mut caller = Caller::new(Pacer::new(clock.clone()), Backoff::seeded(8, 3));
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
