//! The one way leaksoak builds a reqwest client (the scrape and PromQL memory sources), and the user agent
//! of every outbound request, the load generator's own transport (`load::transport`) included.

use std::sync::Once;

/// `User-Agent` of every outbound request, so targets can tell soak traffic apart in their logs.
pub const USER_AGENT: &str = concat!("leaksoak/", env!("CARGO_PKG_VERSION"));

/// A reqwest builder with TLS (rustls over ring) ready and no system proxy: leaksoak talks to the
/// targets it is given, directly.
pub fn builder() -> reqwest::ClientBuilder {
    install_tls_provider();
    reqwest::Client::builder().no_proxy().user_agent(USER_AGENT).tcp_nodelay(true)
}

/// reqwest is built without a default crypto provider (aws-lc is slow to build); ring is installed once
/// for the process before any client is built. An error means another provider is already installed,
/// which is as good.
pub fn install_tls_provider() {
    static PROVIDER: Once = Once::new();
    PROVIDER.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
