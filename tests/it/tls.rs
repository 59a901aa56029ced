//! The load generator over `https://`: a TLS front on 127.0.0.1, with a certificate signed by a test CA
//! (`tests/fixtures/tls/`, made once by its `make.sh`), forwards to the fake endpoint or to a hostile
//! server. The client trusts the CA through `Client::with_extra_roots`.

use crate::helpers::{settings, spawn_fake};
use crate::hostile::{hang, hostile, http_response, reply_with};
use leaksoak::failure::ErrorKind;
use leaksoak::load::{BatchStats, Client, run_batch};
use leaksoak::settings::FakeLlm;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/tls/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn test_ca() -> CertificateDer<'static> {
    CertificateDer::from(fixture("ca.der"))
}

/// What the TLS front saw.
#[derive(Debug, Default)]
struct Seen {
    /// Handshakes completed: one per connection the client opened.
    handshakes: AtomicUsize,
    /// The protocol ALPN settled on, per handshake.
    alpn: Mutex<Vec<Option<Vec<u8>>>>,
}

/// A TLS server on 127.0.0.1:0 that offers `h2` before `http/1.1` and forwards what it decrypts to
/// `backend`.
async fn tls_front(backend: SocketAddr) -> (SocketAddr, Arc<Seen>) {
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(fixture("server.key.der")));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(vec![CertificateDer::from(fixture("server.der"))], key)
        .expect("server certificate");
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = Arc::new(Seen::default());
    let counted = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, seen) = (acceptor.clone(), Arc::clone(&counted));
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                seen.handshakes.fetch_add(1, Ordering::Relaxed);
                seen.alpn.lock().expect("lock").push(tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec));
                let Ok(mut plain) = TcpStream::connect(backend).await else { return };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    (addr, seen)
}

fn client(url: &str, extra: &str, roots: &[CertificateDer<'static>]) -> Arc<Client> {
    let s = settings(&format!("[[scenario]]\nname = \"t\"\nurl = \"{url}\"\n{extra}\n"));
    Arc::new(Client::with_extra_roots(&s.scenarios[0], None, roots).expect("client"))
}

fn all_ok(stats: &BatchStats, n: u64, what: &str) {
    assert_eq!((stats.requests, stats.failed()), (n, 0), "{what}: {:?}", stats.errors);
}

#[tokio::test]
async fn every_api_kind_succeeds_over_https_on_kept_connections_with_alpn_http1() {
    let app = spawn_fake(FakeLlm::default()).await;
    let (front, seen) = tls_front(app.addr).await;
    let port = front.port();
    let apis = ["api = \"chat\"\nstream = true", "api = \"chat\"\nstream = false", "api = \"embeddings\""];
    for extra in apis {
        // By IP address and by DNS name: the certificate holds both.
        for host in ["127.0.0.1", "localhost"] {
            let client =
                client(&format!("https://{host}:{port}/v1"), &format!("{extra}\nconcurrency = 4"), &[test_ca()]);
            for _ in 0..3 {
                let stats = run_batch(&client, 40, 4).await;
                all_ok(&stats, 40, extra);
                assert_eq!(stats.time_to_first_token.len(), if extra.contains("true") { 40 } else { 0 });
            }
        }
    }
    let stats =
        run_batch(&client(&format!("https://127.0.0.1:{port}/v1/models"), "api = \"http\"", &[test_ca()]), 10, 2).await;
    all_ok(&stats, 10, "GET /v1/models");
    let clients = 2 * apis.len() + 1;
    assert!(seen.handshakes.load(Ordering::Relaxed) <= 4 * clients, "connections are kept across batches");
    let alpn = seen.alpn.lock().expect("lock");
    assert!(!alpn.is_empty() && alpn.iter().all(|p| p.as_deref() == Some(b"http/1.1".as_slice())), "{alpn:?}");
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_connect_error() {
    let app = spawn_fake(FakeLlm::default()).await;
    let (front, seen) = tls_front(app.addr).await;
    let stats = run_batch(&client(&format!("https://{front}/v1"), "", &[]), 10, 2).await;
    assert_eq!((stats.requests, stats.errors.get(ErrorKind::Connect)), (10, 10), "{:?}", stats.errors);
    assert_eq!(seen.handshakes.load(Ordering::Relaxed), 0);
}

#[tokio::test]
async fn over_https_failures_keep_their_kinds() {
    let ca = [test_ca()];
    let status = hostile(|s| reply_with(s, http_response("500 Internal Server Error", "application/json", "{}"))).await;
    let (front, _) = tls_front(status).await;
    let stats = run_batch(&client(&format!("https://{front}/v1"), "stream = true", &ca), 10, 2).await;
    assert_eq!(stats.errors.get(ErrorKind::Status), 10, "{:?}", stats.errors);
    let invalid = hostile(|s| reply_with(s, http_response("200 OK", "application/json", "[1,2]"))).await;
    let (front, _) = tls_front(invalid).await;
    let stats = run_batch(&client(&format!("https://{front}/v1"), "stream = false", &ca), 10, 2).await;
    assert_eq!(stats.errors.get(ErrorKind::Decode), 10, "{:?}", stats.errors);
    // A server that accepts and never answers the TLS handshake: the timeout covers the handshake too.
    let silent = hostile(hang).await;
    let stats = run_batch(&client(&format!("https://{silent}/v1"), "timeout = \"300ms\"", &ca), 4, 2).await;
    assert_eq!(stats.errors.get(ErrorKind::Timeout), 4, "{:?}", stats.errors);
}
