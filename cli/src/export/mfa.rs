//! `--mfa`: each listed user's MFA settings, from AdminGetUser. ListUsers returns only the
//! legacy `MFAOptions`; `UserMFASettingList` (`SMS_MFA`, `SOFTWARE_TOKEN_MFA`, `EMAIL_OTP`) and
//! `PreferredMfaSetting` come from AdminGetUser alone, one request per user.
//!
//! The requests of a page run several at a time (one task, no threads), each taking its own
//! slot of the UserRead bucket, so the pacing holds the rate and latency does not lower it. A
//! page is written only once every one of its users has been read, so the checkpoint never
//! counts a user whose MFA is missing.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use aws_sdk_cognitoidentityprovider::config::http::HttpResponse;
use aws_sdk_cognitoidentityprovider::error::SdkError;
use aws_sdk_cognitoidentityprovider::operation::admin_get_user::{
    AdminGetUserError, AdminGetUserOutput,
};
use aws_sdk_cognitoidentityprovider::types::UserType;
use aws_sdk_cognitoidentityprovider::Client;

use super::client::classify;
use super::pacing::{Category, Clock};
use super::retry::{Caller, GaveUp};
use super::user::sub;

/// What AdminGetUser says of one listed user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Mfa {
    /// The user's MFA methods (`UserMFASettingList`) and the preferred one; empty and `None`
    /// when it has none (Cognito then leaves both out; moto sends `[]` and `""`).
    Settings {
        /// `UserMFASettingList`.
        methods: Vec<String>,
        /// `PreferredMfaSetting`.
        preferred: Option<String>,
    },
    /// The user was deleted after ListUsers listed it (`UserNotFoundException`), or deleted and
    /// created again under the same username (another `sub`): it keeps its ListUsers data.
    NotFound,
}

impl Mfa {
    /// The settings in `output`, for the listed user whose `sub` is `listed_sub`.
    fn of(output: &AdminGetUserOutput, listed_sub: Option<&str>) -> Mfa {
        let read_sub = output
            .user_attributes()
            .iter()
            .find(|a| a.name() == "sub")
            .and_then(|a| a.value());
        if listed_sub.is_some() && read_sub.is_some() && listed_sub != read_sub {
            return Mfa::NotFound;
        }
        Mfa::Settings {
            methods: output
                .user_mfa_setting_list()
                .iter()
                .filter(|m| !m.is_empty())
                .cloned()
                .collect(),
            preferred: output
                .preferred_mfa_setting()
                .filter(|m| !m.is_empty())
                .map(str::to_owned),
        }
    }

    /// Whether the user has any MFA method set up.
    pub(crate) fn is_set_up(&self) -> bool {
        match self {
            Mfa::Settings { methods, preferred } => !methods.is_empty() || preferred.is_some(),
            Mfa::NotFound => false,
        }
    }
}

/// An AdminGetUser request that failed for good, and whose user it was for.
#[derive(Debug)]
pub(crate) struct Failed {
    /// The user's `Username`.
    pub(crate) username: String,
    /// The last attempt's error.
    pub(crate) gave_up: GaveUp<SdkError<AdminGetUserError, HttpResponse>>,
}

/// AdminGetUser requests in flight at once for `rate` requests per second: enough to keep the
/// rate with answers up to 250 ms, at most 64.
pub(crate) fn in_flight(rate: f64) -> usize {
    // The rate is at most a few thousand: the cast cannot overflow.
    ((rate * 0.25).ceil() as usize).clamp(1, 64)
}

/// Reads the MFA settings of `users`, at most `in_flight` requests at a time; the answers in
/// the order of `users`.
///
/// # Errors
///
/// The first request that failed for good with anything but `UserNotFoundException`.
pub(crate) async fn fetch<C: Clock + Clone>(
    client: &Client,
    caller: &Caller<C>,
    user_pool_id: &str,
    users: &[&UserType],
    in_flight: usize,
) -> Result<Vec<Mfa>, Failed> {
    all_ok(users.len(), in_flight, |i| {
        let user = users[i];
        let username = user.username().unwrap_or_default();
        async move {
            let result = caller
                .call(
                    Category::UserRead,
                    || {
                        client
                            .admin_get_user()
                            .user_pool_id(user_pool_id)
                            .username(username)
                            .send()
                    },
                    classify,
                )
                .await;
            match result {
                Ok(output) => Ok(Mfa::of(&output, sub(user))),
                Err(gave_up) if is_user_not_found(&gave_up.error) => Ok(Mfa::NotFound),
                Err(gave_up) => Err(Failed {
                    username: username.to_owned(),
                    gave_up,
                }),
            }
        }
    })
    .await
}

/// Whether AdminGetUser said the user does not exist.
fn is_user_not_found(error: &SdkError<AdminGetUserError, HttpResponse>) -> bool {
    matches!(error, SdkError::ServiceError(e) if e.err().is_user_not_found_exception())
}

/// Runs `make(0)`, …, `make(n - 1)` on the current task, at most `limit` at a time, and returns
/// their values in that order; the first error as soon as one fails (the others are dropped).
async fn all_ok<T, E, F>(
    n: usize,
    limit: usize,
    mut make: impl FnMut(usize) -> F,
) -> Result<Vec<T>, E>
where
    F: Future<Output = Result<T, E>>,
{
    let limit = limit.max(1);
    let mut values: Vec<Option<T>> = (0..n).map(|_| None).collect();
    let mut running: Vec<(usize, Pin<Box<F>>)> = Vec::with_capacity(limit.min(n));
    let mut next = 0;
    std::future::poll_fn(|cx| loop {
        while running.len() < limit && next < n {
            running.push((next, Box::pin(make(next))));
            next += 1;
        }
        let mut finished = false;
        let mut i = 0;
        while i < running.len() {
            match running[i].1.as_mut().poll(cx) {
                Poll::Pending => i += 1,
                Poll::Ready(Ok(value)) => {
                    values[running[i].0] = Some(value);
                    // The last one moves to `i` and is polled next.
                    running.swap_remove(i);
                    finished = true;
                }
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
            }
        }
        if running.is_empty() && next == n {
            return Poll::Ready(Ok(std::mem::take(&mut values)
                .into_iter()
                .flatten()
                .collect()));
        }
        if !finished {
            return Poll::Pending;
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;
    use std::task::{Context, Waker};
    use std::time::Duration;

    use aws_sdk_cognitoidentityprovider::types::AttributeType;

    use super::*;
    use crate::export::backoff::Backoff;
    use crate::export::pacing::Pacer;
    use crate::export::retry::Failure;

    /// Virtual time in which sleeps overlap: [`run`] moves it to the next sleeper's wake-up
    /// whenever every job waits.
    #[derive(Debug, Clone, Default)]
    struct SimClock {
        now: Rc<Cell<Duration>>,
        wake_ups: Rc<RefCell<Vec<Duration>>>,
    }

    impl Clock for SimClock {
        fn now(&self) -> Duration {
            self.now.get()
        }

        fn sleep(&self, duration: Duration) -> impl Future<Output = ()> {
            let at = self.now.get() + duration;
            self.wake_ups.borrow_mut().push(at);
            let now = self.now.clone();
            std::future::poll_fn(move |_| {
                if now.get() >= at {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            })
        }
    }

    /// Runs `future` to the end in `clock`'s virtual time.
    fn run<T>(clock: &SimClock, future: impl Future<Output = T>) -> T {
        let mut future = std::pin::pin!(future);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
                return value;
            }
            let now = clock.now.get();
            let mut wake_ups = clock.wake_ups.borrow_mut();
            wake_ups.retain(|at| *at > now);
            let next = *wake_ups.iter().min().expect("a job waits on the clock");
            clock.now.set(next);
        }
    }

    fn output(sub: &str, methods: &[&str], preferred: &str) -> AdminGetUserOutput {
        let mut builder = AdminGetUserOutput::builder()
            .username("jane")
            .user_attributes(
                AttributeType::builder()
                    .name("sub")
                    .value(sub)
                    .build()
                    .unwrap(),
            )
            .preferred_mfa_setting(preferred);
        for m in methods {
            builder = builder.user_mfa_setting_list(*m);
        }
        builder.build().unwrap()
    }

    #[test]
    fn settings_are_read_and_empty_ones_left_out() {
        let read = Mfa::of(
            &output(
                "s1",
                &["SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP"],
                "EMAIL_OTP",
            ),
            Some("s1"),
        );
        assert_eq!(
            read,
            Mfa::Settings {
                methods: vec![
                    "SMS_MFA".into(),
                    "SOFTWARE_TOKEN_MFA".into(),
                    "EMAIL_OTP".into()
                ],
                preferred: Some("EMAIL_OTP".into())
            }
        );
        assert!(read.is_set_up());
        // moto's way of saying "none": `[]` and `""`.
        let none = Mfa::of(&output("s1", &[], ""), Some("s1"));
        assert_eq!(
            none,
            Mfa::Settings {
                methods: vec![],
                preferred: None
            }
        );
        assert!(!none.is_set_up());
        assert!(!Mfa::NotFound.is_set_up());
    }

    #[test]
    fn a_user_created_again_under_the_same_name_is_not_the_listed_one() {
        let read = Mfa::of(&output("s2", &["SMS_MFA"], "SMS_MFA"), Some("s1"));
        assert_eq!(read, Mfa::NotFound);
        // Without a `sub` on either side, the username is all there is to go by.
        assert!(Mfa::of(&output("s2", &["SMS_MFA"], ""), None).is_set_up());
    }

    #[test]
    fn in_flight_requests_keep_the_rate_with_slow_answers() {
        assert_eq!(in_flight(60.0), 15);
        assert_eq!(in_flight(1.0), 1);
        assert_eq!(in_flight(100_000.0), 64);
    }

    /// `n` jobs where job `i` takes `(n - i)` ms and answers `i` (or fails, at `fail_at`):
    /// the values, the most jobs in flight at once, and the time it all took.
    fn run_jobs(
        n: usize,
        limit: usize,
        fail_at: Option<usize>,
    ) -> (Result<Vec<usize>, usize>, usize, Duration) {
        let clock = SimClock::default();
        let (running, most) = (Cell::new(0), Cell::new(0));
        let result = run(
            &clock,
            all_ok(n, limit, |i| {
                let (clock, running, most) = (clock.clone(), &running, &most);
                async move {
                    running.set(running.get() + 1);
                    most.set(most.get().max(running.get()));
                    // Later jobs answer sooner: the values keep the jobs' order anyway.
                    let ms = u64::try_from(n - i).unwrap();
                    clock.sleep(Duration::from_millis(ms)).await;
                    running.set(running.get() - 1);
                    if fail_at == Some(i) {
                        Err(i)
                    } else {
                        Ok(i)
                    }
                }
            }),
        );
        (result, most.get(), clock.now())
    }

    #[test]
    fn jobs_run_limit_at_a_time_and_their_values_keep_their_order() {
        let (result, most, took) = run_jobs(50, 7, None);
        assert_eq!(result.unwrap(), (0..50).collect::<Vec<_>>());
        assert_eq!(most, 7);
        assert!(
            took < Duration::from_millis(50 * 51 / 2 / 4),
            "overlapped: {took:?}"
        );
        let (result, _, _) = run_jobs(0, 7, None);
        assert_eq!(result.unwrap(), Vec::<usize>::new());
        let (result, most, _) = run_jobs(3, 0, None);
        assert_eq!((result.unwrap(), most), (vec![0, 1, 2], 1));
    }

    #[test]
    fn the_first_failure_ends_the_run() {
        let (result, _, _) = run_jobs(20, 4, Some(5));
        assert_eq!(result.unwrap_err(), 5);
    }

    /// The send times of `n` AdminGetUser calls at `rate`, `limit` in flight, each answered in
    /// `latency`.
    fn paced_sends(n: usize, rate: f64, limit: usize, latency: Duration) -> Vec<Duration> {
        let clock = SimClock::default();
        let mut pacer = Pacer::new(clock.clone());
        pacer.set_rate(Category::UserRead, rate);
        let caller = Caller::new(pacer, Backoff::seeded(8, 1));
        let sent = RefCell::new(Vec::new());
        let result = run(
            &clock,
            all_ok(n, limit, |_| {
                let (caller, clock, sent) = (&caller, clock.clone(), &sent);
                async move {
                    caller
                        .call(
                            Category::UserRead,
                            || {
                                sent.borrow_mut().push(clock.now());
                                let clock = clock.clone();
                                async move {
                                    clock.sleep(latency).await;
                                    Ok::<_, ()>(())
                                }
                            },
                            |_: &()| Failure::Fatal,
                        )
                        .await
                        .map_err(|_| ())
                }
            }),
        );
        assert!(result.is_ok());
        assert_eq!(caller.counts().requests_of(Category::UserRead), n as u64);
        let mut sent = sent.into_inner();
        sent.sort();
        sent
    }

    #[test]
    fn requests_in_flight_together_keep_the_rate_despite_slow_answers() {
        // 200 ms answers: one at a time would make 5 a second; 10 in flight make the 50.
        let sent = paced_sends(100, 50.0, in_flight(50.0), Duration::from_millis(200));
        for pair in sent.windows(2) {
            assert_eq!(pair[1] - pair[0], Duration::from_millis(20), "{sent:?}");
        }
    }

    #[test]
    fn the_in_flight_limit_holds_when_answers_are_slower_still() {
        // 4 in flight with 400 ms answers: at most 10 a second, whatever the rate allows.
        let sent = paced_sends(40, 100.0, 4, Duration::from_millis(400));
        for (i, t) in sent.iter().enumerate().skip(4) {
            assert!(*t >= sent[i - 4] + Duration::from_millis(400), "{sent:?}");
        }
    }
}
