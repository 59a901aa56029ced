//! Per-request timeouts without a timer per request.
//!
//! `tokio::time::timeout` registers a timer in the runtime's wheel for every request and removes it when
//! the request ends, each under the timer driver's lock: a tenth of the load generator's CPU per request.
//! A worker sends one request at a time and every request gets the same timeout, so each request's
//! deadline is later than all earlier ones. One [`Alarm`] per worker, armed for an earlier request, fires
//! no later than the current request's deadline; when it fires before that, it is re-armed to it. Timers
//! are touched once per timeout period, not per request, and every request still ends at its own deadline.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// Timeouts are capped here, as `tokio::time::timeout` caps them: a request does not run for 30 years,
/// and adding a larger timeout to an instant could overflow.
const FAR: Duration = Duration::from_secs(86_400 * 365 * 30);

/// The deadline of a request sent at `started` with `timeout`.
pub fn deadline(started: std::time::Instant, timeout: Duration) -> Instant {
    Instant::from_std(started) + timeout.min(FAR)
}

/// A worker's timer, created on first use.
#[derive(Debug, Default)]
pub struct Alarm {
    /// Set to the deadline of some request of this worker: the current one or an earlier one.
    sleep: Option<Pin<Box<Sleep>>>,
}

/// The future did not finish by its deadline (it was dropped).
#[derive(Debug, PartialEq, Eq)]
pub struct Elapsed;

impl Alarm {
    /// Runs `fut` until `deadline`, which must not be earlier than any deadline this alarm ran with before
    /// (it then fires late). Like `tokio::time::timeout`, the future is polled first, so one that is ready
    /// at the deadline wins.
    /// The future is taken pinned, in place: a request's future is large, and moving it costs.
    pub async fn within<F: Future>(&mut self, deadline: Instant, mut fut: Pin<&mut F>) -> Result<F::Output, Elapsed> {
        let sleep = self.sleep.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        std::future::poll_fn(|cx| {
            if let Poll::Ready(output) = fut.as_mut().poll(cx) {
                return Poll::Ready(Ok(output));
            }
            while sleep.as_mut().poll(cx).is_ready() {
                if sleep.deadline() >= deadline {
                    return Poll::Ready(Err(Elapsed));
                }
                // It fired for an earlier request: wait for this one's deadline instead.
                sleep.as_mut().reset(deadline);
            }
            Poll::Pending
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::{Alarm, Elapsed, deadline};
    use std::pin::pin;
    use std::time::Duration;
    use tokio::time::{Instant, sleep};

    /// The time unit of the tests: long enough that scheduling noise stays well inside it.
    const UNIT: Duration = Duration::from_millis(100);

    #[tokio::test]
    async fn a_future_that_finishes_in_time_wins_and_one_that_does_not_is_cut_at_its_deadline() {
        let mut alarm = Alarm::default();
        let start = Instant::now();
        assert_eq!(alarm.within(start + 3 * UNIT, pin!(async { 7 })).await, Ok(7));
        assert_eq!(alarm.within(start + 3 * UNIT, pin!(sleep(UNIT))).await, Ok(()));
        assert_eq!(alarm.within(start + 3 * UNIT, pin!(std::future::pending::<()>())).await, Err(Elapsed));
        assert!(start.elapsed() >= 3 * UNIT, "not cut before the deadline");
    }

    #[tokio::test]
    async fn an_alarm_armed_for_an_earlier_request_does_not_cut_a_later_one() {
        let mut alarm = Alarm::default();
        let start = Instant::now();
        assert_eq!(alarm.within(start + UNIT, pin!(async {})).await, Ok(()));
        // Runs well past the first deadline and ends well before its own.
        assert_eq!(alarm.within(start + 6 * UNIT, pin!(sleep(3 * UNIT))).await, Ok(()));
        // Never ends: cut at its own deadline, not at the one the alarm was first armed for.
        let third = start + 8 * UNIT;
        assert_eq!(alarm.within(third, pin!(std::future::pending::<()>())).await, Err(Elapsed));
        assert!(Instant::now() >= third);
    }

    #[test]
    fn any_timeout_gives_a_deadline() {
        let now = std::time::Instant::now();
        assert_eq!(deadline(now, UNIT), Instant::from_std(now) + UNIT);
        assert!(deadline(now, Duration::MAX) > Instant::from_std(now) + Duration::from_secs(86_400 * 365));
    }

    #[tokio::test]
    async fn a_ready_future_wins_even_after_its_deadline() {
        let mut alarm = Alarm::default();
        let start = Instant::now();
        sleep(UNIT).await;
        assert_eq!(alarm.within(start, pin!(async { 1 })).await, Ok(1));
        assert_eq!(alarm.within(start, pin!(std::future::pending::<()>())).await, Err(Elapsed));
    }
}
