//! Validation problems: every one names the key path it is about.
//!
//! Validation never stops at the first mistake: it collects every problem so that `check-config` can print
//! them all at once, and the daemon refuses to start (exit 3) while any remains.

use std::fmt;
use std::time::Duration;

/// One thing wrong with the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The key path as a user would write it: `cycle.batch_size`, `scenario[1].concurrency`.
    pub key: String,
    /// What is wrong and, where it helps, what was found.
    pub detail: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.detail)
    }
}

/// Every problem found while loading and validating a configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SettingsError {
    /// Never empty.
    pub problems: Vec<Problem>,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        writeln!(f, "invalid configuration ({n} problem{}):", if n == 1 { "" } else { "s" })?;
        for p in &self.problems {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

impl SettingsError {
    /// An error with a single problem.
    pub fn one(key: impl Into<String>, detail: impl Into<String>) -> Self {
        Self { problems: vec![Problem { key: key.into(), detail: detail.into() }] }
    }
}

/// Collects problems while a section is being validated.
#[derive(Debug, Default)]
pub struct Problems {
    list: Vec<Problem>,
    /// Whether secrets are read or only where they come from checked (`check-config --skip-secrets`).
    /// Carried here because every validator that reads a secret already holds the problems: a secret read
    /// through [`secret_file`](super::secret::secret_file) or [`secret_env`](super::secret::secret_env)
    /// follows it without being told.
    secrets: SecretReading,
}

/// Whether validation reads the secrets a configuration names (API keys, tokens, passwords).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SecretReading {
    /// Read every secret file and variable and check its value: what every command that runs does.
    #[default]
    Read,
    /// Read none: a secret file need not exist, nor a variable be set (linting a configuration in CI,
    /// where the secrets are absent). Whether a secret is named, and named once, is still checked.
    Skip,
}

impl Problems {
    /// No problems yet; secrets are read or skipped as `secrets` says.
    pub fn new(secrets: SecretReading) -> Self {
        Self { list: Vec::new(), secrets }
    }

    /// Whether secrets are read or skipped.
    pub fn secret_reading(&self) -> SecretReading {
        self.secrets
    }

    pub fn push(&mut self, key: impl Into<String>, detail: impl Into<String>) {
        self.list.push(Problem { key: key.into(), detail: detail.into() });
    }

    /// Adds the problems collected elsewhere.
    pub fn append(&mut self, other: Problems) {
        self.list.extend(other.list);
    }

    /// Adds the problems of an earlier stage.
    pub fn extend_from(&mut self, other: SettingsError) {
        self.list.extend(other.problems);
    }

    /// `Ok(value)` when nothing was found, else every problem.
    pub fn finish<T>(self, value: T) -> Result<T, SettingsError> {
        if self.list.is_empty() { Ok(value) } else { Err(SettingsError { problems: self.list }) }
    }

    /// An integer that must be at least `min`.
    pub fn at_least(&mut self, key: &str, value: u64, min: u64) -> u64 {
        if value < min {
            self.push(key, format!("must be at least {min}, got {value}"));
        }
        value
    }

    /// An integer within `min..=max`; returned clamped, so that a rejected value never reaches an allocation.
    pub fn between(&mut self, key: &str, value: u64, min: u64, max: u64) -> u64 {
        if value > max {
            self.push(key, format!("must be at most {max}, got {value}"));
        }
        self.at_least(key, value, min).clamp(min, max)
    }

    /// A duration of at most `max`; returned clamped.
    pub fn duration_at_most(&mut self, key: &str, value: Duration, max: Duration) -> Duration {
        if value > max {
            let (max_text, got) = (humantime::format_duration(max), humantime::format_duration(value));
            self.push(key, format!("must be at most {max_text}, got {got}"));
        }
        value.min(max)
    }

    /// A finite float within `lo..=hi`.
    pub fn within(&mut self, key: &str, value: f64, lo: f64, hi: f64) -> f64 {
        if self.finite(key, value) && (value < lo || value > hi) {
            self.push(key, format!("must be between {lo} and {hi}, got {value}"));
        }
        value
    }

    /// A finite float strictly above `lo`.
    pub fn above(&mut self, key: &str, value: f64, lo: f64) -> f64 {
        if self.finite(key, value) && value <= lo {
            self.push(key, format!("must be greater than {lo}, got {value}"));
        }
        value
    }

    /// A finite float that is zero or more.
    pub fn non_negative(&mut self, key: &str, value: f64) -> f64 {
        if self.finite(key, value) && value < 0.0 {
            self.push(key, format!("must be 0 or more, got {value}"));
        }
        value
    }

    /// Whether `value` is finite; a problem otherwise (`nan`, `inf`, written as TOML spells them).
    pub fn finite(&mut self, key: &str, value: f64) -> bool {
        if !value.is_finite() {
            self.push(key, format!("must be a finite number, got {}", toml_float(value)));
        }
        value.is_finite()
    }

    /// One of a fixed list of words; returns the index of the match.
    pub fn one_of(&mut self, key: &str, value: &str, allowed: &[&str]) -> Option<usize> {
        let found = allowed.iter().position(|a| *a == value);
        if found.is_none() {
            self.push(key, format!("must be one of {}, got {value:?}", allowed.join(", ")));
        }
        found
    }
}

/// A float as TOML writes it: `nan`, `inf`, `-inf`, or the number.
pub fn toml_float(value: f64) -> String {
    if value.is_nan() {
        "nan".into()
    } else if value.is_infinite() {
        if value > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        value.to_string()
    }
}
