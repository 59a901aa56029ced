//! The command line (docs/commands.md): definitions only; [`crate::commands`] carries them out.

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Exit codes shared by every command.
pub mod exit {
    /// No leak, command succeeded.
    pub const OK: u8 = 0;
    /// A leak was detected.
    pub const LEAK: u8 = 1;
    /// Nothing could be judged: noisy, insufficient or error.
    pub const INCONCLUSIVE: u8 = 2;
    /// The configuration is invalid.
    pub const BAD_CONFIG: u8 = 3;
}

/// leaksoak: soak-test HTTP services for memory leaks, continuously, and export what it finds to Prometheus.
#[derive(Debug, Parser)]
#[command(version = crate::build_info::VERSION_LINE, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The daemon: cycles forever (the default command). Without --config: the embedded default.
    Run {
        /// A TOML file layered over the defaults.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Append every finished cycle to this file as a JSON line (replay it with `analyze`); rotated by size
        /// (`[record]`), and read back at start to resume the soak.
        #[arg(long)]
        record: Option<PathBuf>,
    },
    /// One cycle per scenario; prints the report; exit 0 no leak, 1 leak, 2 noisy/insufficient/error, 3 bad config.
    Once {
        /// A TOML file layered over the defaults.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Write JUnit XML here (a test case per scenario).
        #[arg(long)]
        junit: Option<PathBuf>,
        /// Write the recorded samples and each cycle's analysis here, as JSON (docs/recording.md).
        #[arg(long)]
        json: Option<PathBuf>,
        /// Write the report as one self-contained HTML page with charts here (docs/report.md).
        #[arg(long)]
        html: Option<PathBuf>,
    },
    /// Judge recorded samples again (from `once --json` or `run --record`); exit 1 when the leak gauge is
    /// raised after the last cycle, 2 when no cycle could be judged, 3 on bad input.
    Analyze {
        /// The recorded soak: one file, or several read in order as one soak (a rotated recording: its
        /// rotated files oldest first, then the file itself).
        #[arg(required = true, num_args = 1..)]
        files: Vec<PathBuf>,
        /// A TOML file whose `[analysis]` section applies.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Write the report as one self-contained HTML page with charts here (docs/report.md).
        #[arg(long)]
        html: Option<PathBuf>,
        /// The recording before a fix: judged the same way, summed up in the text and drawn on the same
        /// charts (dashed). The exit code stays the main recording's.
        #[arg(long)]
        baseline: Option<PathBuf>,
    },
    /// Run the built-in fake OpenAI-compatible endpoint alone.
    FakeLlm(Box<FakeLlmArgs>),
    /// Validate a configuration file: exit 0, or print every problem and exit 3.
    CheckConfig {
        /// The TOML file to check.
        file: PathBuf,
        /// Do not read secrets (key and token files, key variables): check everything else, for linting a
        /// config where its secrets are absent (CI).
        #[arg(long)]
        skip_secrets: bool,
    },
    /// Print the effective configuration (defaults + file + environment) as TOML, secrets redacted.
    PrintConfig {
        /// A TOML file layered over the defaults.
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

/// `leaksoak fake-llm`: flags override the `[fake_llm]` section of `--config`.
#[derive(Debug, Args)]
pub struct FakeLlmArgs {
    /// A TOML file whose `[fake_llm]` section is used.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Address to listen on (port 0: a free port, printed on start).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Delay before each response, e.g. "20ms".
    #[arg(long)]
    pub latency: Option<String>,
    /// Drowning mode: bytes kept per completion request, answered or not (0: off).
    #[arg(long)]
    pub drowning_bytes_per_request: Option<u64>,
    /// Drowning mode: each answer waits this long per MiB kept so far, e.g. "10ms".
    #[arg(long)]
    pub drowning_delay_per_mib: Option<String>,
    /// Content chunks per streamed response.
    #[arg(long)]
    pub stream_chunks: Option<u64>,
    /// Fraction of requests answered with HTTP 500 or 429.
    #[arg(long)]
    pub error_rate: Option<f64>,
    /// Bytes kept alive per successful request.
    #[arg(long)]
    pub leak_bytes_per_request: Option<u64>,
    /// Bytes kept alive per failed request.
    #[arg(long)]
    pub leak_bytes_per_error: Option<u64>,
    /// Bytes kept alive per request whose client went away before the answer's end.
    #[arg(long)]
    pub leak_bytes_per_cancelled: Option<u64>,
    /// The model that fails upstream at --fail-model-rate (500 or 429).
    #[arg(long)]
    pub fail_model: Option<String>,
    /// Fraction of --fail-model's requests that fail.
    #[arg(long)]
    pub fail_model_rate: Option<f64>,
    /// The model that waits --slow-model-latency, then answers 504.
    #[arg(long)]
    pub slow_model: Option<String>,
    /// How long --slow-model's requests wait, e.g. "10s".
    #[arg(long)]
    pub slow_model_latency: Option<String>,
    /// Pause before each streamed event after the first, e.g. "5ms".
    #[arg(long)]
    pub stream_chunk_delay: Option<String>,
    /// Keep an open file descriptor per N successful requests (0: never).
    #[arg(long)]
    pub leak_fds_every: Option<u64>,
    /// Keep an open connection (one socket) per N successful requests (0: never).
    #[arg(long)]
    pub leak_sockets_every: Option<u64>,
    /// Keep a parked thread per N successful requests (0: never).
    #[arg(long)]
    pub leak_threads_every: Option<u64>,
    /// Memory in chunks on purpose: off, working_set (grows to the limit, stops), cache (fills, released)
    /// or staircase (grows in chunks, never stops: a leak in steps).
    #[arg(long)]
    pub plateau: Option<String>,
    /// Bytes the plateau grows by per request.
    #[arg(long)]
    pub plateau_bytes_per_request: Option<u64>,
    /// The plateau's chunk size: a chunk every plateau_chunk_bytes / plateau_bytes_per_request requests.
    #[arg(long)]
    pub plateau_chunk_bytes: Option<u64>,
    /// Where the working set stops and the cache is released.
    #[arg(long)]
    pub plateau_limit_bytes: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Where the generated part of docs/commands.md begins: everything after it is [`flags_markdown`].
    const GENERATED: &str = "## Every flag\n";

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    /// The flags of every command, from the definitions above: what `COMMAND --help` lists.
    fn flags_markdown() -> String {
        let mut out = format!(
            "{GENERATED}\n<!-- Generated from src/cli.rs and checked by its tests: edit the doc comments there, then \
             LEAKSOAK_BLESS=1 cargo test --lib commands_md_matches_the_cli -->\n\nWhat `leaksoak COMMAND --help` \
             lists, command by command.\n"
        );
        for command in Cli::command().get_subcommands() {
            out.push_str(&format!("\n### `leaksoak {}`\n\n", command.get_name()));
            out.push_str(&format!("{}\n\n| argument | meaning |\n|---|---|\n", one_line(command.get_about())));
            for arg in command.get_arguments() {
                let values = arg.get_value_names().unwrap_or_default().iter().map(|v| format!("<{v}>"));
                let values: Vec<String> = values.collect();
                let mut name = match arg.get_long() {
                    Some(long) => [format!("--{long}")].into_iter().chain(values).collect::<Vec<_>>().join(" "),
                    None => values.join(" "),
                };
                if arg.get_num_args().is_some_and(|n| n.max_values() > 1) {
                    name.push_str("...");
                }
                let help = one_line(arg.get_long_help().or(arg.get_help()));
                out.push_str(&format!("| `{name}` | {help} |\n"));
            }
        }
        out
    }

    /// A help text on one line (a table cell).
    fn one_line(text: Option<&clap::builder::StyledStr>) -> String {
        text.map(|t| t.to_string().split_whitespace().collect::<Vec<_>>().join(" ")).unwrap_or_default()
    }

    #[test]
    fn commands_md_matches_the_cli() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/commands.md");
        let text = std::fs::read_to_string(path).expect("read docs/commands.md");
        let written = text.split(GENERATED).next().unwrap_or_default();
        let generated = format!("{}\n\n{}", written.trim_end(), flags_markdown());
        crate::testing::assert_generated("docs/commands.md", &generated, "commands_md_matches_the_cli");
    }
}
