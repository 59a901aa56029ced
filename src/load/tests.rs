//! The transport against small servers that count connections and inspect requests.

use super::{Client, run_batch};
use crate::settings::RawSettings;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const ANSWER: &str = r#"{"choices":[{"message":{"role":"assistant","content":"hi"}}]}"#;

/// What the server saw.
#[derive(Debug, Default)]
struct Seen {
    /// Connections accepted.
    connections: AtomicUsize,
    /// The head of the first request.
    first_head: Mutex<Option<String>>,
}

fn client(addr: SocketAddr, extra: &str) -> Arc<Client> {
    client_at(&format!("http://{addr}/v1"), extra)
}

fn client_at(url: &str, extra: &str) -> Arc<Client> {
    let text = format!("[fake_llm]\nenabled = false\n[[scenario]]\nname = \"t\"\nurl = \"{url}\"\n{extra}\n");
    let raw: RawSettings = toml::from_str(&text).expect("test TOML parses");
    let settings = raw.validate().unwrap_or_else(|e| panic!("test settings invalid: {e}"));
    Arc::new(Client::new(&settings.scenarios[0], None).expect("client"))
}

/// Reads one request (head and `content-length` body); `None` at end of stream.
async fn read_request(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&buf).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let head = text[..end].to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse::<usize>().expect("content-length"));
            if buf.len() >= end + 4 + length {
                return Some(head);
            }
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Answers every request on a connection with `ANSWER`; with `close`, one request per connection, each
/// answered with `connection: close`.
async fn server(close: bool) -> (SocketAddr, Arc<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = Arc::new(Seen::default());
    let counted = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counted.connections.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(answer(stream, close, Arc::clone(&counted)));
        }
    });
    (addr, seen)
}

async fn answer(mut stream: TcpStream, close: bool, seen: Arc<Seen>) {
    let connection = if close { "close" } else { "keep-alive" };
    let reply = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: {connection}\r\n\r\n{ANSWER}",
        ANSWER.len()
    );
    while let Some(head) = read_request(&mut stream).await {
        seen.first_head.lock().expect("lock").get_or_insert(head);
        if stream.write_all(reply.as_bytes()).await.is_err() || close {
            break;
        }
    }
    let _ = stream.shutdown().await;
}

#[tokio::test]
async fn a_server_closing_every_connection_yields_successes() {
    let (addr, seen) = server(true).await;
    let client = client(addr, "stream = false\nconcurrency = 4");
    for _ in 0..3 {
        let stats = run_batch(&client, 50, 4).await;
        assert_eq!((stats.requests, stats.failed()), (50, 0), "{:?}", stats.errors);
    }
    assert_eq!(seen.connections.load(Ordering::Relaxed), 150, "one connection per request");
}

#[tokio::test]
async fn connections_persist_across_batches() {
    let (addr, seen) = server(false).await;
    let client = client(addr, "stream = false\nconcurrency = 4");
    for _ in 0..5 {
        let stats = run_batch(&client, 100, 4).await;
        assert_eq!((stats.requests, stats.failed()), (100, 0), "{:?}", stats.errors);
    }
    assert_eq!(seen.connections.load(Ordering::Relaxed), 4, "one connection per worker, reused");
}

#[tokio::test]
async fn requests_carry_host_content_type_and_the_api_key() {
    let (addr, seen) = server(false).await;
    let key = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(key.path(), "sk-test\n").expect("write key");
    let extra = format!("stream = false\napi_key_file = {:?}\nheaders = {{ x-extra = \"1\" }}", key.path());
    let client = client(addr, &extra);
    let stats = run_batch(&client, 1, 1).await;
    assert_eq!(stats.failed(), 0, "{:?}", stats.errors);
    let head = seen.first_head.lock().expect("lock").clone().expect("a request arrived");
    assert!(head.starts_with("post /v1/chat/completions http/1.1"), "{head}");
    let length = format!("content-length: {}", client.body().len());
    for line in [format!("host: {addr}"), "content-type: application/json".into(), "x-extra: 1".into(), length] {
        assert!(head.lines().any(|l| l == line), "{line} missing in {head}");
    }
    assert!(head.lines().any(|l| l == "authorization: bearer sk-test"), "{head}");
    assert!(head.lines().any(|l| l.starts_with("user-agent: leaksoak/")), "{head}");
}

#[tokio::test]
async fn a_user_and_password_in_the_url_are_sent_as_basic_credentials_ahead_of_the_api_key() {
    let (addr, seen) = server(false).await;
    let key = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(key.path(), "sk-test\n").expect("write key");
    let extra = format!("stream = false\napi_key_file = {:?}", key.path());
    let client = client_at(&format!("http://user:p%40ss@{addr}/v1"), &extra);
    let stats = run_batch(&client, 1, 1).await;
    assert_eq!(stats.failed(), 0, "{:?}", stats.errors);
    let head = seen.first_head.lock().expect("lock").clone().expect("a request arrived");
    // base64("user:p@ss"), lowercased with the rest of the head.
    assert!(head.lines().any(|l| l == "authorization: basic dxnlcjpwqhnz"), "{head}");
    assert!(head.lines().any(|l| l == format!("host: {addr}")), "no credentials in Host: {head}");
}
