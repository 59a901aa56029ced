//! The drowning mode (docs/fake-endpoint.md#drowning): every completion request keeps
//! `drowning_bytes_per_request` bytes before it is answered, and its answer waits
//! `drowning_delay_per_mib` for every MiB kept so far. Memory climbs and answers slow down with it, until
//! they outlast the client's timeout: a target drowning in its own memory, as a proxy does whose retry
//! path keeps every request. The requests that time out are still received and kept, so memory goes on
//! rising while nothing is answered.

use super::faults::LeakStore;
use crate::settings::FakeLlm;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The longest an answer waits, however much is kept: a drowned endpoint still ends its requests, so a
/// client without a timeout is not stuck for ever.
pub const MAX_DELAY: Duration = Duration::from_secs(60);

/// The most the mode keeps: past it nothing more is kept (the delay stays at its height).
pub const MAX_DROWNED_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// What the mode has kept so far.
#[derive(Debug, Default)]
pub struct Drowning {
    /// Bytes kept by this mode (also counted in the endpoint's leaked bytes): the delay grows with it.
    kept: AtomicU64,
}

impl Drowning {
    /// Keeps this request's bytes in `store` and returns how long its answer waits; `None` when the
    /// mode is off.
    pub fn request(&self, settings: &FakeLlm, store: &LeakStore) -> Option<Duration> {
        let n = settings.drowning_bytes_per_request as u64;
        if n == 0 {
            return None;
        }
        let before = self.kept.load(Ordering::Relaxed);
        if before.saturating_add(n) <= MAX_DROWNED_BYTES {
            store.keep(n as usize);
            self.kept.fetch_add(n, Ordering::Relaxed);
        }
        Some(delay(settings.drowning_delay_per_mib, self.kept.load(Ordering::Relaxed)))
    }
}

/// `per_mib` for every MiB of `kept`, at most [`MAX_DELAY`].
fn delay(per_mib: Duration, kept: u64) -> Duration {
    let mib = kept as f64 / 1_048_576.0;
    Duration::from_secs_f64((per_mib.as_secs_f64() * mib).min(MAX_DELAY.as_secs_f64()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_slow_down_as_memory_is_kept_and_the_delay_is_bounded() {
        let settings = FakeLlm {
            drowning_bytes_per_request: 512 * 1024,
            drowning_delay_per_mib: Duration::from_millis(10),
            ..FakeLlm::default()
        };
        let (mode, store) = (Drowning::default(), LeakStore::default());
        let delays: Vec<Duration> = (0..4).filter_map(|_| mode.request(&settings, &store)).collect();
        let ms: Vec<u128> = delays.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [5, 10, 15, 20]);
        assert_eq!(store.bytes(), 2 * 1024 * 1024);
        assert_eq!(delay(Duration::from_secs(1), 1 << 40), MAX_DELAY);
    }

    #[test]
    fn off_keeps_nothing_and_never_waits() {
        let (mode, store) = (Drowning::default(), LeakStore::default());
        assert_eq!(mode.request(&FakeLlm::default(), &store), None);
        assert_eq!(store.bytes(), 0);
    }
}
