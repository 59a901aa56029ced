//! leaksoak: a daemon that soak-tests HTTP services for memory leaks and exports what it finds to
//! Prometheus.
//!
//! # Layout
//!
//! The modules follow the data, in this order:
//!
//! * [`settings`]: layered configuration (defaults → file → environment), validated into typed values.
//! * [`load`]: the load generator. Sends one batch of requests for a scenario and returns its outcomes
//!   (latency, time to first token, errors by kind) as data, never as a panic.
//! * [`memory`]: the memory sources (own RSS or heap, a process, a cgroup, a scraped metric, a PromQL
//!   query) behind one sampler that takes the median of a few reads after each batch and notices restarts.
//! * [`analyze`]: pure leak analysis: the seed's rules, the slope and trend statistics, verdicts, the leak
//!   gauge's confirmation, and the text report. No I/O.
//! * [`export`]: what leaves leaksoak: Prometheus metrics and the status endpoints (hyper), JUnit XML.
//! * [`recording`]: recorded soaks (SPEC §4.6), written by `once --json` and `run --record`, read by
//!   `analyze` to judge a soak again.
//!
//! Beside the flow:
//!
//! * [`app`]: the one place that wires the stages together: the cycle engine, `run` and `once`.
//! * [`fake_llm`]: the built-in OpenAI-compatible endpoint with fault and leak knobs; what the load hits
//!   when no real target is configured.
//! * [`cli`], [`commands`], [`telemetry`]: the command line, what each command does, logging.
//! * [`http_client`]: how the memory sources build their reqwest client; the user agent of every request.
//! * [`panic_log`]: panics logged as one line, with every known secret scrubbed out.

pub mod settings;
pub mod load;
pub mod memory;
pub mod analyze;
pub mod export;
pub mod recording;

pub mod app;
pub mod cli;
pub mod commands;
pub mod fake_llm;
#[doc(hidden)]
pub mod fuzz_api;
pub mod http_client;
pub mod panic_log;
pub mod telemetry;
