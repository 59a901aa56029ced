//! Fault knobs of the fake endpoint: injected errors and deliberate leaks.

use crate::settings::FakeLlm;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// An error the fake endpoint answers with instead of a completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Injected {
    /// HTTP 500, `server_error`: the OpenAI SDKs raise `InternalServerError`.
    Server,
    /// HTTP 429, `rate_limit_exceeded`: the OpenAI SDKs raise `RateLimitError`.
    RateLimit,
}

/// Model names that always fail, whatever the error rate.
pub const MODEL_ERROR_500: &str = "error-500";
/// See [`MODEL_ERROR_500`].
pub const MODEL_ERROR_429: &str = "error-429";

/// The API key the fake endpoint refuses with 401: what the `rejected` path sends as its wrong key.
pub use crate::settings::path::WRONG_API_KEY;

/// Decides whether a request fails: the error models always do, `fail_model` with probability
/// `fail_model_rate`, others with probability `error_rate` (half 500s, half 429s).
pub fn decide(settings: &FakeLlm, model: &str) -> Option<Injected> {
    let rate = if !settings.fail_model.is_empty() && model == settings.fail_model {
        settings.fail_model_rate
    } else {
        settings.error_rate
    };
    match model {
        MODEL_ERROR_500 => Some(Injected::Server),
        MODEL_ERROR_429 => Some(Injected::RateLimit),
        _ if rate > 0.0 && fastrand::f64() < rate => {
            Some(if fastrand::bool() { Injected::Server } else { Injected::RateLimit })
        }
        _ => None,
    }
}

/// Memory the fake endpoint keeps alive on purpose, so a leak is real resident memory, not a number.
#[derive(Debug, Default)]
pub struct LeakStore {
    /// Every leaked block; never freed while the server runs. Blocks are filled with a non-zero byte so
    /// that their pages are touched and count in the resident set.
    blocks: Mutex<Vec<Box<[u8]>>>,
    /// Sum of the block sizes, exported on the fake endpoint's `/metrics`.
    bytes: AtomicU64,
}

impl LeakStore {
    /// Keeps `n` touched bytes alive for the life of the server.
    pub fn keep(&self, n: usize) {
        if n == 0 {
            return;
        }
        let block = vec![0xA5u8; n].into_boxed_slice();
        self.blocks.lock().unwrap_or_else(|e| e.into_inner()).push(block);
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// Bytes leaked so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}

/// Bytes to leak for one request, by outcome.
pub fn leak_for(settings: &FakeLlm, failed: bool) -> usize {
    if failed { settings.leak_bytes_per_error } else { settings.leak_bytes_per_request }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(error_rate: f64) -> FakeLlm {
        FakeLlm { error_rate, ..FakeLlm::default() }
    }

    #[test]
    fn error_models_always_fail_and_rate_zero_never_does() {
        assert_eq!(decide(&rate(0.0), "error-500"), Some(Injected::Server));
        assert_eq!(decide(&rate(0.0), "error-429"), Some(Injected::RateLimit));
        assert!((0..1000).all(|_| decide(&rate(0.0), "gpt-3.5-turbo").is_none()));
        assert!((0..1000).all(|_| decide(&rate(1.0), "gpt-3.5-turbo").is_some()));
    }

    #[test]
    fn error_rate_is_roughly_honoured() {
        let failed = (0..10_000).filter(|_| decide(&rate(0.3), "m").is_some()).count();
        assert!((2_500..3_500).contains(&failed), "{failed}");
    }

    #[test]
    fn only_the_failing_model_fails_at_its_rate() {
        let s = FakeLlm { fail_model: "flaky".into(), fail_model_rate: 0.3, ..FakeLlm::default() };
        let failed = (0..10_000).filter(|_| decide(&s, "flaky").is_some()).count();
        assert!((2_500..3_500).contains(&failed), "{failed}");
        assert!((0..1000).all(|_| decide(&s, "gpt-3.5-turbo").is_none()));
        let off = FakeLlm { fail_model: String::new(), fail_model_rate: 1.0, ..FakeLlm::default() };
        assert!((0..1000).all(|_| decide(&off, "").is_none()), "an empty fail_model names no model");
    }

    #[test]
    fn leak_store_counts_what_it_keeps() {
        let store = LeakStore::default();
        store.keep(1000);
        store.keep(0);
        store.keep(24);
        assert_eq!(store.bytes(), 1024);
    }
}
