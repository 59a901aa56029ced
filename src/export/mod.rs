//! Outputs: what leaves leaksoak. Prometheus metrics and the status endpoints of the daemon (served over
//! hyper), the JUnit XML of `once`, and the HTML report (`once --html`, `analyze --html`, `GET /`).

mod auth;
mod connections;
mod priority;
pub mod server;
pub mod status;

pub use server::{Endpoints, Reload};
pub use status::Board;
