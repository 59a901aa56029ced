//! Logging: built once at startup from `[telemetry]`, `RUST_LOG` honoured (default `info`).

use crate::settings::LogFormat;
use tracing_subscriber::EnvFilter;

/// Installs the global log subscriber. Logs go to stderr so that stdout stays for reports and output
/// other programs read. Calling it twice is harmless (the second call does nothing).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
