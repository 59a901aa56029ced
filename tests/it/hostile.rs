//! Hostile HTTP servers on 127.0.0.1:0, shared by the load-generator tests and the daemon's fault matrix:
//! each answers every connection with one kind of misbehaviour, written by hand on the raw socket.

use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A server that answers every connection with `respond`.
pub async fn hostile<F, Fut>(respond: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let respond = std::sync::Arc::new(respond);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let respond = std::sync::Arc::clone(&respond);
            tokio::spawn(async move { respond(stream).await });
        }
    });
    addr
}

/// A loopback port with nothing listening on it.
pub async fn refused_port() -> u16 {
    tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind").local_addr().expect("addr").port()
}

/// Accepts, reads nothing, answers nothing, and holds the connection for 30 s.
pub async fn hang(stream: TcpStream) {
    tokio::time::sleep(Duration::from_secs(30)).await;
    drop(stream);
}

/// Reads the request head (and whatever body came with it), then writes `reply` and closes.
pub async fn reply_with(mut stream: TcpStream, reply: Vec<u8>) {
    let mut buf = vec![0u8; 64 * 1024];
    let _ = stream.read(&mut buf).await;
    let _ = stream.write_all(&reply).await;
    let _ = stream.shutdown().await;
}

/// A whole response with a Content-Length, closing the connection.
pub fn http_response(status: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// An event stream whose body is `body`, ended by closing the connection.
pub fn sse_response(body: &str) -> Vec<u8> {
    format!("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n{body}").into_bytes()
}

/// A non-streamed body that is not the JSON it claims to be.
pub const INVALID_JSON: &str = "{\"choices\": [tru";

/// One streamed chat chunk, as an SSE event.
pub const CHUNK: &str = "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n";

/// Two events, then the connection closes before `data: [DONE]`.
pub fn cut_stream() -> String {
    format!("{CHUNK}{CHUNK}")
}

/// An event whose data is not JSON, before a proper `[DONE]`.
pub const GARBAGE_EVENTS: &str = "garbage line\n: comment\n\ndata: this is not json\n\ndata: [DONE]\n\n";

/// Two chat chunks of 1 MiB of content each, then `[DONE]`: valid, only large.
pub fn one_mib_events() -> String {
    let big = format!("data: {{\"choices\":[{{\"delta\":{{\"content\":\"{}\"}}}}]}}\n\n", "x".repeat(1 << 20));
    format!("{big}{big}data: [DONE]\n\n")
}

/// Writes a 100 MiB body in 64 KiB chunks, as fast as the client reads.
pub async fn hundred_mib(mut stream: TcpStream, content_type: &'static str) {
    let mut buf = vec![0u8; 64 * 1024];
    let _ = stream.read(&mut buf).await;
    let head = format!("HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n", 100 << 20);
    if stream.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let block = vec![b'a'; 64 * 1024];
    for _ in 0..1600 {
        if stream.write_all(&block).await.is_err() {
            return;
        }
    }
}

/// Answers every request on a kept-alive connection, alternately 500 and 429 with OpenAI error bodies.
pub async fn status_storm(mut s: TcpStream) {
    let mut buf = vec![0u8; 16 * 1024];
    let mut n = 0u64;
    while s.read(&mut buf).await.is_ok_and(|r| r > 0) {
        n += 1;
        let (status, body) = if n.is_multiple_of(2) {
            (
                "429 Too Many Requests",
                r#"{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}"#,
            )
        } else {
            ("500 Internal Server Error", r#"{"error":{"message":"boom","type":"server_error"}}"#)
        };
        let reply = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        if s.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// Sends a head promising 1000 bytes, then one byte per second.
pub async fn trickle(mut s: TcpStream) {
    let mut buf = vec![0u8; 16 * 1024];
    let _ = s.read(&mut buf).await;
    let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n").await;
    for _ in 0..1000 {
        if s.write_all(b"{").await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
