//! `[telemetry]`: logs and traces.

use super::memory::http_url;
use super::problems::Problems;
use serde::{Deserialize, Serialize};
use url::Url;

/// Human-readable logs by default; `json` for Kubernetes log pipelines.
pub const LOG_FORMAT: &str = "text";
/// No OTLP export unless an endpoint is named.
pub const OTLP_ENDPOINT: &str = "";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawTelemetry {
    pub log_format: String,
    pub otlp_endpoint: String,
}

impl Default for RawTelemetry {
    fn default() -> Self {
        Self { log_format: LOG_FORMAT.into(), otlp_endpoint: OTLP_ENDPOINT.into() }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The validated `[telemetry]` section.
#[derive(Debug, Clone, PartialEq)]
pub struct Telemetry {
    pub log_format: LogFormat,
    /// OTLP/HTTP collector base URL; spans per cycle and batch go there when set.
    pub otlp_endpoint: Option<Url>,
}

pub fn validate(raw: &RawTelemetry, p: &mut Problems) -> Telemetry {
    let log_format = match p.one_of("telemetry.log_format", &raw.log_format, &["text", "json"]) {
        Some(1) => LogFormat::Json,
        _ => LogFormat::Text,
    };
    let otlp_endpoint =
        (!raw.otlp_endpoint.is_empty()).then(|| http_url(p, "telemetry.otlp_endpoint", &raw.otlp_endpoint));
    Telemetry { log_format, otlp_endpoint }
}
