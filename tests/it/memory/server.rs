//! A canned HTTP server on 127.0.0.1:0: answers every request with the reply set last.

use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

/// What the server answers, changeable while it runs.
#[derive(Clone)]
pub struct Canned {
    /// HTTP status code.
    status: u16,
    /// Body, sent with a Content-Length.
    body: String,
}

pub struct Server {
    /// `http://127.0.0.1:PORT/`.
    base: Url,
    /// The next answer; tests change it between samples.
    reply: Arc<Mutex<Canned>>,
    /// Request lines received, e.g. "GET /api/v1/query?query=up HTTP/1.1".
    pub requests: Arc<Mutex<Vec<String>>>,
}

impl Server {
    pub async fn start(status: u16, body: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = Url::parse(&format!("http://{}/", listener.local_addr().expect("addr"))).expect("url");
        let reply = Arc::new(Mutex::new(Canned { status, body: body.into() }));
        let requests = Arc::new(Mutex::new(vec![]));
        let (r, q) = (reply.clone(), requests.clone());
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let canned = r.lock().expect("lock").clone();
                tokio::spawn(answer(socket, canned, q.clone()));
            }
        });
        Self { base, reply, requests }
    }

    pub fn set(&self, status: u16, body: &str) {
        *self.reply.lock().expect("lock") = Canned { status, body: body.into() };
    }

    pub fn url(&self, path: &str) -> Url {
        self.base.join(path).expect("url")
    }
}

async fn answer(mut socket: tokio::net::TcpStream, canned: Canned, requests: Arc<Mutex<Vec<String>>>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let first = String::from_utf8_lossy(&head).lines().next().unwrap_or_default().to_owned();
    requests.lock().expect("lock").push(first);
    let response = format!(
        "HTTP/1.1 {} Canned\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        canned.status,
        canned.body.len(),
        canned.body
    );
    let _ = socket.write_all(response.as_bytes()).await;
    let _ = socket.shutdown().await;
}

/// A Prometheus instant-query answer: a `vector` with one series per `(pod, value)`.
pub fn vector(series: &[(&str, &str)]) -> String {
    let items: Vec<String> = series
        .iter()
        .map(|(pod, v)| format!(r#"{{"metric":{{"pod":"{pod}"}},"value":[1700000000.5,"{v}"]}}"#))
        .collect();
    format!(r#"{{"status":"success","data":{{"resultType":"vector","result":[{}]}}}}"#, items.join(","))
}
