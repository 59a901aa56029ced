//! The one integration-test binary: the CLI, the fake endpoint and the load generator, end to end.
//! Set `TEST_LOG=1` to see the logs of in-process servers.

mod auth;
mod cli;
mod drowning;
mod engine;
mod export;
mod faults;
mod fake_llm;
mod forecast;
mod helpers;
mod hostile;
mod hostile_files;
mod load;
mod memory;
mod otlp;
mod own_traffic;
mod paths;
mod plateau;
mod redaction;
mod replay;
mod report;
mod resources;
mod resume;
mod resume_kill;
mod rotation;
mod sidecar;
mod tls;
