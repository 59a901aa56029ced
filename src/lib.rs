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
//! * [`analyze`]: the pure leak analysis. Turns one cycle's measured samples and the `[analysis]` settings
//!   into figures, rule findings and a verdict; keeps the per-scenario trend history and leak gauge; renders
//!   the report. No I/O, no clocks.
//! * [`fake_llm`]: the built-in OpenAI-compatible endpoint with fault and leak knobs, beside the flow: it is
//!   what the load hits when no real target is configured.
pub mod settings;

pub mod analyze;

pub mod http_client;
