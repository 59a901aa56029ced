//! Panics are logged like every other error: one log line (JSON with `log_format = "json"`) with the
//! thread, the location and the message, and every known secret scrubbed out of it. leaksoak is not meant
//! to panic; when it does, the line must be as safe to ship to a log store as any other.

use std::panic::PanicHookInfo;
use std::sync::{Arc, PoisonError, RwLock};

/// What a secret is replaced by.
pub const REDACTED: &str = "[redacted]";

/// The secret values to scrub, shared by the panic hook and the reloads that bring new ones.
#[derive(Debug, Clone, Default)]
pub struct Scrubber {
    /// Every secret the process has held; reloads add, never remove (an old key may still be in memory).
    secrets: Arc<RwLock<Vec<String>>>,
}

impl Scrubber {
    pub fn new(secrets: Vec<String>) -> Self {
        let scrubber = Self::default();
        scrubber.add(secrets);
        scrubber
    }

    /// Adds the secrets of a reloaded configuration.
    pub fn add(&self, more: Vec<String>) {
        let mut secrets = self.secrets.write().unwrap_or_else(PoisonError::into_inner);
        for secret in more {
            if !secret.is_empty() && !secrets.contains(&secret) {
                secrets.push(secret);
            }
        }
        // Longest first, so a secret that contains another is replaced whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// `text` with every secret, as written and as `{:?}` escapes it, replaced by [`REDACTED`].
    pub fn scrub(&self, text: &str) -> String {
        let secrets = self.secrets.read().unwrap_or_else(PoisonError::into_inner);
        let mut text = text.to_owned();
        for secret in secrets.iter() {
            text = text.replace(secret.as_str(), REDACTED);
            let escaped = secret.escape_debug().to_string();
            if escaped != *secret {
                text = text.replace(&escaped, REDACTED);
            }
        }
        text
    }
}

/// Replaces the panic hook: the panic, scrubbed, is logged at error level (target `leaksoak::panic`), or
/// written to stderr when no logger is installed. `RUST_BACKTRACE` adds the backtrace, as usual.
pub fn install(scrubber: Scrubber) {
    std::panic::set_hook(Box::new(move |info| {
        let line = scrubber.scrub(&describe(info));
        if tracing::dispatcher::has_been_set() {
            tracing::error!(target: "leaksoak::panic", "{line}");
        } else {
            eprintln!("{line}");
        }
    }));
}

/// What the standard hook prints: thread, location, message, and the backtrace when enabled.
fn describe(info: &PanicHookInfo<'_>) -> String {
    let payload = info.payload();
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("Box<dyn Any>");
    let thread = std::thread::current();
    let location = info.location().map(|l| format!(" at {}:{}:{}", l.file(), l.line(), l.column())).unwrap_or_default();
    let mut line = format!("thread '{}' panicked{location}:\n{message}", thread.name().unwrap_or("<unnamed>"));
    let backtrace = std::backtrace::Backtrace::capture();
    if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
        line.push_str(&format!("\nstack backtrace:\n{backtrace}"));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_secret_and_its_escaped_form_is_scrubbed() {
        let s = Scrubber::new(vec!["sk-abc".into(), String::new(), "sk-abc-longer".into()]);
        s.add(vec!["quo\"te".into(), "sk-abc".into()]);
        let text = format!("key sk-abc-longer then sk-abc, debug {:?}", "quo\"te");
        assert_eq!(s.scrub(&text), "key [redacted] then [redacted], debug \"[redacted]\"");
        assert_eq!(s.scrub("nothing here"), "nothing here");
    }
}
