//! A canned HTTP server on 127.0.0.1:0: answers every request with the reply set last, or with each of a
//! few replies in turn (several replicas behind one URL). A 3xx reply's body is its `Location`.

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
    /// The answers, taken in turn (one, most of the time); tests change them between samples.
    replies: Arc<Mutex<Replies>>,
    /// Request lines received, e.g. "GET /api/v1/query?query=up HTTP/1.1".
    pub requests: Arc<Mutex<Vec<String>>>,
    /// Whole request heads received, headers included.
    pub heads: Arc<Mutex<Vec<String>>>,
}

/// The answers and which one is next.
#[derive(Default)]
struct Replies {
    list: Vec<Canned>,
    next: usize,
}

impl Replies {
    fn take(&mut self) -> Canned {
        let canned = self.list[self.next % self.list.len()].clone();
        self.next += 1;
        canned
    }
}

impl Server {
    pub async fn start(status: u16, body: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = Url::parse(&format!("http://{}/", listener.local_addr().expect("addr"))).expect("url");
        let replies = Arc::new(Mutex::new(Replies { list: vec![Canned { status, body: body.into() }], next: 0 }));
        let (requests, heads) = (Arc::new(Mutex::new(vec![])), Arc::new(Mutex::new(vec![])));
        let (r, q, h) = (replies.clone(), requests.clone(), heads.clone());
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(answer(socket, r.clone(), q.clone(), h.clone()));
            }
        });
        Self { base, replies, requests, heads }
    }

    pub fn set(&self, status: u16, body: &str) {
        self.set_in_turn(&[(status, body)]);
    }

    /// Answers each request with the next of `replies` (status, body), round-robin.
    pub fn set_in_turn(&self, replies: &[(u16, &str)]) {
        let list = replies.iter().map(|(status, body)| Canned { status: *status, body: (*body).into() }).collect();
        *self.replies.lock().expect("lock") = Replies { list, next: 0 };
    }

    pub fn url(&self, path: &str) -> Url {
        self.base.join(path).expect("url")
    }
}

async fn answer(
    mut socket: tokio::net::TcpStream,
    replies: Arc<Mutex<Replies>>,
    requests: Arc<Mutex<Vec<String>>>,
    heads: Arc<Mutex<Vec<String>>>,
) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    requests.lock().expect("lock").push(head.lines().next().unwrap_or_default().to_owned());
    heads.lock().expect("lock").push(head);
    let canned = replies.lock().expect("lock").take();
    // A redirect's body is its Location.
    let location =
        if (300..400).contains(&canned.status) { format!("Location: {}\r\n", canned.body) } else { String::new() };
    let response = format!(
        "HTTP/1.1 {} Canned\r\n{location}Content-Length: {}\r\nConnection: close\r\n\r\n{}",
        canned.status,
        canned.body.len(),
        canned.body
    );
    let _ = socket.write_all(response.as_bytes()).await;
    let _ = socket.shutdown().await;
}

/// A Prometheus instant-query answer: a `vector` with one series per `(pod, value)`, stamped now.
pub fn vector(series: &[(&str, &str)]) -> String {
    vector_at(series, now())
}

/// Seconds since the epoch, as Prometheus stamps a sample.
pub fn now() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_secs_f64()
}

/// [`vector`] with every sample stamped `timestamp`.
pub fn vector_at(series: &[(&str, &str)], timestamp: f64) -> String {
    let items: Vec<String> = series
        .iter()
        .map(|(pod, v)| format!(r#"{{"metric":{{"pod":"{pod}"}},"value":[{timestamp:.3},"{v}"]}}"#))
        .collect();
    format!(r#"{{"status":"success","data":{{"resultType":"vector","result":[{}]}}}}"#, items.join(","))
}
