//! Configuration: layered loading, validation into typed values, and rendering (docs/configuration.md).
//!
//! Data flow: [`load`] merges the built-in defaults, an optional TOML file and `LEAKSOAK__SECTION__KEY`
//! environment variables into a [`RawSettings`] (every key, loosely typed, unknown keys reported), then
//! [`RawSettings::validate`] turns it into [`Settings`], whose values are already checked: nothing later
//! in the program validates configuration again. Every problem names its key path.
//!
//! One file per section; the documented defaults are the constants at the top of each.

pub mod analysis;
pub mod cycle;
mod duration;
mod env_scenarios;
mod env_sections;
pub mod fake_llm;
mod layers;
pub mod memory;
mod memory_http;
mod metric_selector;
pub mod path;
mod problems;
pub mod record;
mod relations;
mod render;
pub mod resources;
pub mod scenario;
mod secret;
mod secret_text;
pub mod server;
pub mod telemetry;

pub use analysis::{Analysis, MAX_TREND_CYCLES};
pub use cycle::{Cycle, MAX_MEASURE_BATCHES, MAX_WARMUP_BATCHES, ScenarioOrder};
pub use duration::HumaneDuration;
pub use env_sections::ENV_PREFIX;
pub use fake_llm::{FakeLlm, MAX_PLATEAU_LIMIT_BYTES, Plateau};
pub use layers::{load, load_raw, load_with};
pub use memory::{CgroupMetric, Memory, MemorySource, ProcessSelector};
pub use memory_http::{Authorization, HttpOptions};
pub use metric_selector::MetricSelector;
pub use path::Path;
pub use problems::{Problem, Problems, SecretReading, SettingsError};
pub use record::Record;
pub use render::{default_toml, redacted_toml};
pub use resources::Resources;
pub use scenario::{Api, Scenario, ScenarioName, Target};
pub use secret::{Secret, shown_url};
pub use server::Server;
pub use telemetry::{LogFormat, Telemetry};

use serde::{Deserialize, Serialize};

/// Every key of the configuration as written, before validation. Serializes to the file format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawSettings {
    pub server: server::RawServer,
    pub cycle: cycle::RawCycle,
    pub analysis: analysis::RawAnalysis,
    pub memory: memory::RawMemory,
    pub fake_llm: fake_llm::RawFakeLlm,
    pub telemetry: telemetry::RawTelemetry,
    pub record: record::RawRecord,
    /// A file's list replaces the default list as a whole (the pytest suite's four variants).
    pub scenario: Vec<scenario::RawScenario>,
}

impl Default for RawSettings {
    fn default() -> Self {
        Self {
            server: Default::default(),
            cycle: Default::default(),
            analysis: Default::default(),
            memory: Default::default(),
            fake_llm: Default::default(),
            telemetry: Default::default(),
            record: Default::default(),
            scenario: scenario::RawScenario::pytest_variants(),
        }
    }
}

/// The validated configuration the daemon runs with.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub server: Server,
    pub cycle: Cycle,
    pub analysis: Analysis,
    pub memory: Memory,
    pub fake_llm: FakeLlm,
    pub telemetry: Telemetry,
    /// How `run --record` keeps its file bounded.
    pub record: Record,
    /// At least one, names unique.
    pub scenarios: Vec<Scenario>,
}

impl RawSettings {
    /// Checks every key and returns typed settings, or every problem found.
    pub fn validate(&self) -> Result<Settings, SettingsError> {
        self.validate_with(SecretReading::Read)
    }

    /// [`validate`](Self::validate), reading the secrets the settings name or not
    /// ([`SecretReading::Skip`]: each holds a placeholder, for `check-config --skip-secrets`).
    pub fn validate_with(&self, secrets: SecretReading) -> Result<Settings, SettingsError> {
        let mut p = Problems::new(secrets);
        let analysis = analysis::validate(&self.analysis, &mut p);
        let settings = Settings {
            server: server::validate(&self.server, &mut p),
            cycle: cycle::validate(&self.cycle, &mut p),
            memory: memory::validate(&self.memory, &mut p),
            fake_llm: fake_llm::validate(&self.fake_llm, &mut p),
            telemetry: telemetry::validate(&self.telemetry, &mut p),
            record: record::validate(&self.record, &mut p),
            scenarios: scenario::validate_all(&self.scenario, self.fake_llm.enabled, &mut p),
            analysis,
        };
        relations::check(self, &mut p);
        p.finish(settings)
    }
}

/// Settings from TOML text alone (no environment): every problem of shape and of value, as [`load`] reports
/// them for a file.
pub fn from_toml_str(text: &str) -> Result<Settings, SettingsError> {
    let (tree, problems) = layers::toml_tree(text)?;
    layers::validated_tree(&tree, problems)
}

impl Settings {
    /// The embedded default: the built-in fake endpoint, memory source `self`, the pytest suite's four scenarios.
    pub fn embedded_default() -> Self {
        RawSettings::default().validate().expect("the built-in defaults are valid")
    }
}

impl Settings {
    /// Every secret value these settings hold (API keys, credential headers, the bearer token, passwords in
    /// URLs, the memory source's token, password and credential headers), for scrubbing text that is not built from settings, such as panic messages.
    pub fn secrets(&self) -> Vec<String> {
        let mut out: Vec<String> = self.server.bearer_token.iter().map(|t| t.expose().to_owned()).collect();
        let mut urls: Vec<&url::Url> = vec![];
        for s in &self.scenarios {
            out.extend(s.api_key.iter().map(|k| k.expose().to_owned()));
            let sensitive = s.headers.values().filter(|v| v.is_sensitive());
            out.extend(sensitive.filter_map(|v| v.to_str().ok()).map(str::to_owned));
            if let scenario::Target::Urls(list) = &s.target {
                urls.extend(list);
            }
        }
        if let memory::MemorySource::Scrape { url, http, .. } | memory::MemorySource::Promql { url, http, .. } =
            &self.memory.source
        {
            urls.push(url);
            out.extend(http.secrets());
        }
        out.extend(urls.iter().flat_map(|u| secret::url_secrets(u)));
        out.retain(|s| !s.is_empty());
        out
    }
}

#[cfg(test)]
mod tests;
