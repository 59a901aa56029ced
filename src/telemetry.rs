//! Logs and traces: built once at startup from `[telemetry]`. `RUST_LOG` is honoured (default `info`);
//! logs go to stderr as text or JSON lines. With `otlp_endpoint` set, spans of every cycle and batch go out
//! over OTLP/HTTP (protobuf), batched, and are flushed by [`Guard::shutdown`].

use crate::settings::{LogFormat, Telemetry};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use std::time::Duration;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Time allowed to one OTLP export.
pub const OTLP_TIMEOUT: Duration = Duration::from_secs(3);
/// Time the process waits at shutdown for the spans still queued: a collector that never answers must not
/// hold up a SIGTERM (Kubernetes waits 30 s, then kills), so whatever is not sent by then is dropped.
pub const OTLP_SHUTDOWN: Duration = Duration::from_secs(1);

/// Keeps the trace pipeline alive; call [`Guard::shutdown`] (outside any async runtime) to flush it.
#[derive(Debug, Default)]
#[must_use = "dropping the guard without shutdown() may lose the last spans"]
pub struct Guard {
    provider: Option<SdkTracerProvider>,
}

impl Guard {
    /// Sends the spans still queued and stops the exporter, waiting at most [`OTLP_SHUTDOWN`].
    pub fn shutdown(self) {
        let Some(provider) = self.provider else { return };
        let (done, flushed) = std::sync::mpsc::channel();
        // The flush goes on in a thread of its own; the process does not wait for it past the bound.
        let flushing = std::thread::Builder::new().name("leaksoak-otlp-flush".into()).spawn(move || {
            let _ = done.send(provider.shutdown());
        });
        match flushing.map(|_| flushed.recv_timeout(OTLP_SHUTDOWN)) {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => eprintln!("leaksoak: flushing OTLP spans failed: {e}"),
            Ok(Err(_)) => eprintln!("leaksoak: OTLP spans not sent within {OTLP_SHUTDOWN:?}; dropped"),
            Err(e) => eprintln!("leaksoak: cannot flush OTLP spans: {e}"),
        }
    }
}

/// Installs the global log subscriber (and the OTLP layer when configured). Calling it twice is harmless:
/// the second call installs nothing and returns an empty guard.
pub fn init(settings: &Telemetry) -> Guard {
    let filter = || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(colour(
        std::io::IsTerminal::is_terminal(&std::io::stderr()),
        std::env::var_os("NO_COLOR").as_deref(),
    ));
    let logs = match settings.log_format {
        LogFormat::Text => fmt.fmt_fields(escaped_fields()).with_filter(filter()).boxed(),
        LogFormat::Json => fmt.json().flatten_event(true).with_filter(filter()).boxed(),
    };
    let provider = settings.otlp_endpoint.as_ref().and_then(|url| match provider(url) {
        Ok(p) => Some(p),
        Err(e) => {
            eprintln!("leaksoak: OTLP export disabled: {e}");
            None
        }
    });
    let traces = provider.as_ref().map(|p| {
        tracing_opentelemetry::layer().with_tracer(p.tracer("leaksoak")).with_filter(EnvFilter::new("leaksoak=info"))
    });
    match tracing_subscriber::registry().with(logs).with(traces).try_init() {
        Ok(()) => Guard { provider },
        Err(_) => Guard::default(),
    }
}

/// The text log's fields, as tracing-subscriber's default shows them (`message`, then `name=value`), with
/// control characters escaped ([`crate::text::printable`]): a source's error message holding a newline or
/// an escape sequence can neither forge a log line nor drive the terminal. JSON logs escape them anyway.
fn escaped_fields() -> impl for<'w> tracing_subscriber::fmt::FormatFields<'w> + Send + Sync + 'static {
    use tracing_subscriber::field::MakeExt;
    tracing_subscriber::fmt::format::debug_fn(|writer, field, value| {
        let text = format!("{value:?}");
        let text = crate::text::printable(&text);
        if field.name() == "message" { write!(writer, "{text}") } else { write!(writer, "{field}={text}") }
    })
    .delimited(" ")
}

/// Whether logs carry colour (ANSI escapes): only on a terminal, and not when `NO_COLOR` is set to a
/// non-empty value (<https://no-color.org>). A file or a pipe gets plain text.
fn colour(terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

/// Logs only, for commands that have no settings (or before they are loaded).
pub fn init_logs(format: LogFormat) {
    let _ = init(&Telemetry { log_format: format, otlp_endpoint: None });
}

fn provider(base: &url::Url) -> Result<SdkTracerProvider, String> {
    crate::http_client::install_tls_provider();
    let endpoint = traces_url(base);
    let client = reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(OTLP_TIMEOUT)
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(client)
        .with_endpoint(endpoint)
        .with_timeout(OTLP_TIMEOUT)
        .build()
        .map_err(|e| e.to_string())?;
    let resource = Resource::builder().with_service_name("leaksoak").build();
    Ok(SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource).build())
}

/// `http://collector:4318` → `http://collector:4318/v1/traces`; a URL already naming the path is kept.
fn traces_url(base: &url::Url) -> String {
    let text = base.as_str().trim_end_matches('/');
    if text.ends_with("/v1/traces") { text.to_owned() } else { format!("{text}/v1/traces") }
}

#[cfg(test)]
mod tests {
    use super::{colour, traces_url};

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(colour(true, None));
        assert!(colour(true, Some("".as_ref())), "an empty NO_COLOR does not count");
        assert!(!colour(true, Some("1".as_ref())));
        assert!(!colour(false, None));
    }

    #[test]
    fn the_traces_path_is_appended_once() {
        let u = |s: &str| url::Url::parse(s).expect("url");
        assert_eq!(traces_url(&u("http://c:4318")), "http://c:4318/v1/traces");
        assert_eq!(traces_url(&u("http://c:4318/")), "http://c:4318/v1/traces");
        assert_eq!(traces_url(&u("http://c:4318/v1/traces")), "http://c:4318/v1/traces");
    }
}
