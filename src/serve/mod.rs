//! The daemon's HTTP endpoints (docs/endpoints.md), served over hyper on a thread of their own: `/metrics`
//! (from [`crate::metrics`]), the live HTML report on `/` (from [`crate::report`]), `/status`, `/report`,
//! `/healthz`, `/readyz` and `POST /-/reload`, and the guards in front of them.
//!
//! Layout: `server` (routes, limits, graceful shutdown) behind `auth` (the bearer token, compared in
//! constant time), `connections` (a bounded number, the one idle longest closed to make room) and `priority` (the
//! server's thread below the soak's); `status` (the state `/status`, `/report` and `/readyz` show).

mod auth;
mod connections;
mod priority;
pub mod server;
pub mod status;

pub use server::{Endpoints, Reload};
pub use status::Board;
