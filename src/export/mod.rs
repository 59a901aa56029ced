//! Outputs: what leaves leaksoak. Prometheus metrics and the status endpoints of the daemon (served over
//! hyper), the JUnit XML of `once`, and the HTML report (`once --html`, `analyze --html`, `GET /`).

mod auth;
mod confidence;
mod family;
mod forecast;
mod connections;
pub mod html;
pub mod junit;
pub mod lifecycle;
mod markup;
pub mod metrics;
mod path_metrics;
mod priority;
pub mod process;
pub mod reference;
mod resource_metrics;
pub mod server;
pub mod status;

pub use metrics::Metrics;
pub use server::{Endpoints, Reload};
pub use status::Board;
