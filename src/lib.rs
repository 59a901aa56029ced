//! leaksoak: a daemon that soak-tests HTTP services for memory leaks and exports what it finds to
//! Prometheus.
//!
//! # Layout
//!
//! The modules follow the data, and are declared below in this order. A module uses only modules declared
//! before it, however it names them (a grouped import, a path inline, a name re-exported by a `mod.rs`),
//! and the files of a folder use each other without a circle (`tests/layers.rs` fails otherwise), so a
//! reader finds each stage's inputs above it:
//!
//! * [`build_info`]: which build runs: the version and the git revision (`build.rs`).
//! * [`text`]: text from outside (errors of sources and targets, recorded names) made safe to print.
//! * [`files`]: every file leaksoak reads, read bounded: regular files only (a FIFO or a device is
//!   refused without waiting), up to a cap per kind of file.
//! * [`limits`]: the process's own limits (open files), read from the kernel in one place.
//! * [`settings`]: layered configuration (defaults → file → environment), validated into typed values.
//! * [`http_client`]: how the memory sources build their reqwest client; the user agent of every request.
//! * [`failure`]: the kinds of failed request (connect, timeout, status, …): what the load generator
//!   classifies a failure as, the analysis names in its hints, and the metrics label.
//! * [`load`]: the load generator. Sends one batch of requests for a scenario and returns its outcomes
//!   (latency, time to first token, errors by kind) as data, never as a panic.
//! * [`memory`]: the memory sources (own RSS or heap, a process, a cgroup, a scraped metric, a PromQL
//!   query) behind one sampler that takes the median of a few reads after each batch and notices restarts;
//!   beside memory, at the same sample point, resource counts (open fds, sockets, threads, cgroup tasks)
//!   and the memory breakdown.
//! * [`analyze`]: pure leak analysis: the pytest suite's rules, the slope and trend statistics, verdicts,
//!   the leak gauge's confirmation, the same for resource counts (their own gauge), and the text report.
//!   No I/O.
//! * [`engine`]: the cycle engine: cycles of batches with a memory sample after each, judged across
//!   cycles, and the vocabulary of what it produces (batch records, judged cycles, the observer trait).
//! * [`metrics`]: the Prometheus metrics (docs/metrics.md) in one typed struct, an observer of the engine;
//!   the process collector; the generated reference.
//! * [`report`]: the reports as documents: the HTML report (`once --html`, `analyze --html`, the daemon's
//!   `/`) and JUnit XML.
//! * [`serve`]: the daemon's HTTP endpoints (hyper) and their guards: `/metrics`, `/`, `/status`, `/report`,
//!   the health checks and the reload.
//! * [`recording`]: recorded soaks (`docs/recording.md`), written by `once --json` and `run --record`
//!   (rotated by size), read by `analyze` to judge a soak again and by `run` to resume one.
//! * [`fake_llm`]: the built-in OpenAI-compatible endpoint with fault and leak knobs; what the load hits
//!   when no real target is configured.
//! * [`telemetry`]: logs and traces.
//! * [`panic_log`]: panics logged as one line, with every known secret scrubbed out.
//! * [`app`]: the one place that wires the stages together: `run`, `once`, reload, replay.
//! * [`cli`], [`commands`]: the command line, and what each command does (`main.rs` only calls these).
//! * `fuzz_api`: entry points for the fuzz targets (hidden).
//!
//! "Record" names three things: `engine::record` (what a cycle leaves in memory: batch records and the
//! judged cycle), [`recording`] (those written to and read from files) and `settings::record` (the
//! `[record]` section: how `run --record` rotates its file).

pub mod build_info;
pub mod text;
pub mod files;
pub mod limits;
pub mod settings;
pub mod http_client;
pub mod failure;
pub mod load;
pub mod memory;
pub mod analyze;
pub mod engine;
pub mod metrics;
pub mod report;
pub mod serve;
pub mod recording;
pub mod fake_llm;
pub mod telemetry;
pub mod panic_log;
pub mod app;
pub mod cli;
pub mod commands;
#[doc(hidden)]
pub mod fuzz_api;
#[cfg(test)]
mod testing;
