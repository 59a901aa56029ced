//! What each command does: the edge of the program, where errors become messages and exit codes.

use crate::cli::{Command, exit};
use crate::panic_log::Scrubber;
use crate::settings::{self, SettingsError};
use outputs::{Outputs, check_outputs, with_failed_output, write_outputs};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod analyze;
mod fake;
mod outputs;

/// Runs a parsed command line to its exit code.
pub fn dispatch(command: Option<Command>) -> ExitCode {
    let code = match command {
        None => run(None, None),
        Some(Command::Run { config, record }) => run(config, record),
        Some(Command::Analyze { files, config, html, baseline }) => {
            analyze::analyze(&files, config.as_deref(), html.as_deref(), baseline.as_deref())
        }
        Some(Command::Once { config, junit, json, html }) => {
            once(config.as_deref(), Outputs { junit: junit.as_deref(), json: json.as_deref(), html: html.as_deref() })
        }
        Some(Command::CheckConfig { file, skip_secrets }) => check_config(&file, skip_secrets),
        Some(Command::PrintConfig { config }) => print_config(config.as_deref()),
        Some(Command::FakeLlm(args)) => fake::fake_llm(&args),
    };
    ExitCode::from(code)
}

fn report_bad_config(e: &SettingsError) -> u8 {
    eprint!("{e}");
    exit::BAD_CONFIG
}

/// What a command that runs needs once its settings are loaded.
struct Started {
    settings: settings::Settings,
    /// Flushes the traces at the end.
    telemetry: crate::telemetry::Guard,
}

/// Loads settings for a command that runs, starts logging and tracing, and installs the panic hook that
/// scrubs the settings' secrets; `Err` is the exit code of a bad config.
fn load_and_init(file: Option<&Path>) -> Result<Started, u8> {
    let settings = settings::load(file).map_err(|e| report_bad_config(&e))?;
    let telemetry = crate::telemetry::init(&settings.telemetry);
    crate::panic_log::install(Scrubber::new(settings.secrets()));
    Ok(Started { settings, telemetry })
}

fn run(config: Option<PathBuf>, record: Option<PathBuf>) -> u8 {
    let Some((rt, signals)) = runtime_listening() else { return exit::INCONCLUSIVE };
    let start = match crate::app::Start::load(config.as_deref()) {
        Ok(start) => start,
        Err(e) => return report_bad_config(&e),
    };
    let telemetry = crate::telemetry::init(&start.settings().telemetry);
    let scrubber = Scrubber::new(start.settings().secrets());
    crate::panic_log::install(scrubber.clone());
    let options = crate::app::Options { config, record, scrubber };
    let done = rt.block_on(crate::app::run(start, options, signals.received()));
    // The engine aborted the requests in flight; do not wait for their sockets to close.
    rt.shutdown_timeout(SHUTDOWN_GRACE);
    let result = done.map_err(anyhow::Error::from);
    telemetry.shutdown();
    match result {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("leaksoak run: {}", one_line(&e));
            exit::INCONCLUSIVE
        }
    }
}

/// An error and its causes on one line, each said once: an error that already prints its source
/// (`cannot open the record file …: {source}`) would show it twice under `{:#}`.
fn one_line(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain().map(ToString::to_string) {
        if !out.contains(&cause) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&cause);
        }
    }
    out
}

/// Time left to background tasks once `run` has returned.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_millis(500);

fn once(file: Option<&Path>, outputs: Outputs<'_>) -> u8 {
    let Some((rt, signals)) = runtime_listening() else { return exit::INCONCLUSIVE };
    let Started { settings, telemetry } = match load_and_init(file) {
        Ok(started) => started,
        Err(code) => return code,
    };
    if let Err(e) = check_outputs(outputs) {
        eprintln!("leaksoak once: {e:#}");
        telemetry.shutdown();
        return exit::BAD_CONFIG;
    }
    let analysis = settings.analysis.clone();
    let progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let judged = rt.block_on(crate::app::once(settings, progress, signals.received())).map_err(anyhow::Error::from);
    telemetry.shutdown();
    let judged = match judged {
        Ok(Some(judged)) => judged,
        Ok(None) => {
            eprintln!("leaksoak once: interrupted before every scenario finished a cycle");
            return exit::INCONCLUSIVE;
        }
        Err(e) => {
            eprintln!("leaksoak once: {}", one_line(&e));
            return exit::INCONCLUSIVE;
        }
    };
    for j in &judged {
        // The report's own verdict is memory's; this line adds the resources' confirmed leaks.
        println!("{}\nVerdict of {} (memory and resources): {}\n", j.report, j.scenario, j.verdict_line());
    }
    let code = once_exit_code(&judged);
    if let Err(e) = write_outputs(&judged, outputs, analysis) {
        eprintln!("leaksoak once: {}", one_line(&e));
        return with_failed_output(code);
    }
    code
}

/// `once` keeps the pytest suite's semantics: any leak verdict, or a confirmed resource leak → 1; else
/// anything not judged stable → 2.
pub fn once_exit_code(judged: &[crate::engine::Judged]) -> u8 {
    use crate::analyze::Verdict;
    if judged.iter().any(crate::engine::Judged::leaks) {
        exit::LEAK
    } else if judged.iter().all(|j| j.analysis.verdict == Verdict::Stable) {
        exit::OK
    } else {
        exit::INCONCLUSIVE
    }
}

fn check_config(file: &Path, skip_secrets: bool) -> u8 {
    let secrets = if skip_secrets { settings::SecretReading::Skip } else { settings::SecretReading::Read };
    match settings::load_with(Some(file), secrets) {
        Ok(s) => {
            let names: Vec<&str> = s.scenarios.iter().map(|s| s.name.as_str()).collect();
            let unread = if skip_secrets { "; secrets not read (--skip-secrets)" } else { "" };
            println!("{}: valid ({} scenario(s): {}){unread}", file.display(), names.len(), names.join(", "));
            exit::OK
        }
        Err(e) => report_bad_config(&e),
    }
}

fn print_config(file: Option<&Path>) -> u8 {
    let raw = match settings::load_raw(file) {
        Ok(raw) => raw,
        Err(e) => return report_bad_config(&e),
    };
    if let Err(e) = raw.validate() {
        return report_bad_config(&e);
    }
    print!("{}", settings::redacted_toml(&raw));
    exit::OK
}

/// SIGTERM and SIGINT (Ctrl-C), listened for from the first moment of a command that runs: one that
/// arrives while the command still starts up stops it cleanly (exit 0) instead of killing it.
#[derive(Debug)]
pub struct Signals {
    /// SIGTERM (Kubernetes, `kill`); `None` when it could not be listened for.
    term: Option<tokio::signal::unix::Signal>,
    /// SIGINT (Ctrl-C).
    interrupt: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    /// Starts listening; needs the runtime that will wait for them.
    pub fn listen(rt: &tokio::runtime::Runtime) -> Self {
        use tokio::signal::unix::{SignalKind, signal};
        let _in_runtime = rt.enter();
        Self { term: signal(SignalKind::terminate()).ok(), interrupt: signal(SignalKind::interrupt()).ok() }
    }

    /// Completes when either signal has arrived (at once if one already did).
    pub async fn received(mut self) {
        async fn one(signal: Option<&mut tokio::signal::unix::Signal>) {
            match signal {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        tokio::select! {
            () = one(self.term.as_mut()) => {}
            () = one(self.interrupt.as_mut()) => {}
        }
    }
}

/// The runtime of a command that runs, with its signals already listened for.
fn runtime_listening() -> Option<(tokio::runtime::Runtime, Signals)> {
    match runtime() {
        Ok(rt) => {
            let signals = Signals::listen(&rt);
            Some((rt, signals))
        }
        Err(e) => {
            eprintln!("leaksoak: cannot start the async runtime: {e:#}");
            None
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_already_in_the_message_is_said_once() {
        let os = || std::io::Error::from(std::io::ErrorKind::NotFound);
        #[derive(Debug, thiserror::Error)]
        #[error("cannot open x: {source}")]
        struct Open {
            source: std::io::Error,
        }
        let e = anyhow::Error::new(Open { source: os() });
        assert_eq!(one_line(&e), format!("cannot open x: {}", os()));
        let e = anyhow::Error::new(os()).context("reading y");
        assert_eq!(one_line(&e), format!("reading y: {}", os()));
    }
}
