//! `[server]`: where leaksoak serves `/metrics` and its status endpoints.

use super::problems::Problems;
use super::secret::{Secret, secret_file};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// Listen on every interface at the port registered for leaksoak, so Prometheus in the cluster can scrape it.
pub const LISTEN: &str = "0.0.0.0:9477";
/// `POST /-/reload` is off by default: reloading is an operator action (SIGHUP) unless asked for.
pub const ENABLE_LIFECYCLE: bool = false;
/// No bearer token: the endpoints are open, as Prometheus exporters usually are inside a cluster.
pub const BEARER_TOKEN_FILE: &str = "";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawServer {
    pub listen: String,
    pub enable_lifecycle: bool,
    pub bearer_token_file: String,
}

impl Default for RawServer {
    fn default() -> Self {
        Self { listen: LISTEN.into(), enable_lifecycle: ENABLE_LIFECYCLE, bearer_token_file: BEARER_TOKEN_FILE.into() }
    }
}

/// The validated `[server]` section.
#[derive(Debug, Clone, PartialEq)]
pub struct Server {
    /// Address of the metrics and status server.
    pub listen: SocketAddr,
    /// Whether `POST /-/reload` is served.
    pub enable_lifecycle: bool,
    /// When set, every endpoint but `/healthz` requires `Authorization: Bearer <token>`.
    pub bearer_token: Option<Secret>,
}

pub fn validate(raw: &RawServer, p: &mut Problems) -> Server {
    Server {
        listen: socket_addr(p, "server.listen", &raw.listen),
        enable_lifecycle: raw.enable_lifecycle,
        bearer_token: secret_file(p, "server.bearer_token_file", &raw.bearer_token_file),
    }
}

/// A `host:port` socket address; on error a placeholder is returned and the problem recorded.
pub fn socket_addr(p: &mut Problems, key: &str, text: &str) -> SocketAddr {
    text.parse().unwrap_or_else(|e| {
        p.push(key, format!("must be an address like 127.0.0.1:9477, got {text:?} ({e})"));
        SocketAddr::from(([127, 0, 0, 1], 0))
    })
}
