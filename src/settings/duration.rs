//! Humane durations (`"250ms"`, `"10s"`, `"1m 30s"`) in configuration files.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::time::Duration;

/// The longest `pause`, `settle` or `latency`: a day. Longer is a typo (`10d` for `10s`) that would leave the
/// daemon looking hung, and humantime accepts durations (`100000000y`) whose timers overflow.
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 60 * 60);

/// A [`Duration`] written in a config file as a humane string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct HumaneDuration(pub Duration);

impl HumaneDuration {
    pub const fn from_millis(ms: u64) -> Self {
        Self(Duration::from_millis(ms))
    }

    pub const fn from_secs(s: u64) -> Self {
        Self(Duration::from_secs(s))
    }
}

impl Serialize for HumaneDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_zero() {
            return s.serialize_str("0ms");
        }
        s.serialize_str(&humantime::format_duration(self.0).to_string())
    }
}

impl<'de> Deserialize<'de> for HumaneDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        humantime::parse_duration(text.trim()).map(Self).map_err(|e| {
            serde::de::Error::custom(format!("invalid duration {text:?} ({e}); write e.g. \"250ms\" or \"10s\""))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, Serialize)]
    struct Holder {
        d: HumaneDuration,
    }

    #[test]
    fn round_trips_humane_strings() {
        for (text, ms) in [("250ms", 250), ("10s", 10_000), ("1m 30s", 90_000), ("0ms", 0)] {
            let h: Holder = toml::from_str(&format!("d = {text:?}")).expect("parses");
            assert_eq!(h.d.0, Duration::from_millis(ms));
            let back: Holder = toml::from_str(&toml::to_string(&h).expect("serializes")).expect("parses again");
            assert_eq!(back.d, h.d);
        }
    }

    #[test]
    fn rejects_numbers_and_nonsense() {
        assert!(toml::from_str::<Holder>("d = 10").is_err());
        let err = toml::from_str::<Holder>("d = \"10 parsecs\"").expect_err("bad unit");
        assert!(err.to_string().contains("invalid duration"), "{err}");
    }
}
