//! TLS for `https://` targets, set up once per client: rustls over ring (the crate's one crypto
//! provider), the platform's root certificates through `rustls-platform-verifier` (what reqwest trusted
//! for these targets before, and still does for the memory sources), and ALPN pinned to `http/1.1`, the
//! only protocol the transport speaks.

use rustls::pki_types::CertificateDer;
use std::sync::Arc;

/// TLS cannot be set up: no root certificate at all, or an extra root that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up TLS: {0}")]
pub struct Error(#[from] rustls::Error);

/// A client configuration trusting the platform's roots and `extra_roots` (empty but in tests).
pub fn config(extra_roots: &[CertificateDer<'static>]) -> Result<Arc<rustls::ClientConfig>, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier =
        rustls_platform_verifier::Verifier::new_with_extra_roots(extra_roots.iter().cloned(), Arc::clone(&provider))?;
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous() // only in name: the platform verifier verifies, as `with_platform_verifier` would
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
