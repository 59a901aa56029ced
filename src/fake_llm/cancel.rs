//! Requests whose client went away before the answer's end: a stream cut in mid-way (the `disconnect`
//! path), a slow answer given up on (a proxy's timeout, the `timeout` path). hyper drops a request's
//! future, or its response body, when its connection closes; a [`Watch`] dropped before it was told the
//! answer is complete counts the request cancelled and keeps `leak_bytes_per_cancelled` bytes
//! (docs/fake-endpoint.md#failure-paths).

use super::State;
use bytes::Bytes;
use futures_util::Stream;
use std::sync::Arc;
use std::time::Duration;

/// Watches one answer until it is complete.
#[derive(Debug)]
pub struct Watch {
    /// Where the cancelled request is counted and its leak kept.
    state: Arc<State>,
    /// Set when the answer went out whole: nothing happens on drop.
    done: bool,
}

impl Watch {
    pub fn new(state: Arc<State>) -> Self {
        Self { state, done: false }
    }

    /// The answer went out whole.
    pub fn done(mut self) {
        self.done = true;
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if !self.done {
            self.state.metrics.cancelled();
            self.state.leaks.keep(self.state.settings.leak_bytes_per_cancelled);
        }
    }
}

/// The events of a stream, `delay` apart after the first; `watch` is told the stream is complete once the
/// last event was taken and the body asked for more (hyper asks until the end).
pub fn paced(events: Vec<Bytes>, delay: Duration, watch: Watch) -> impl Stream<Item = Bytes> + Send {
    let state = (events.into_iter(), Some(watch), true);
    futures_util::stream::unfold(state, move |(mut events, mut watch, first)| async move {
        match events.next() {
            Some(event) => {
                if !first && !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                Some((event, (events, watch, false)))
            }
            None => {
                if let Some(watch) = watch.take() {
                    watch.done();
                }
                None
            }
        }
    })
}
