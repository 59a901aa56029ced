//! Hostile clients of the daemon's own endpoints: an oversized request head, a head that never ends, and a
//! large request body. Each is refused or dropped, and `/metrics` goes on answering.

use crate::helpers::{Daemon, get_text, sample_value, spawn_daemon_process};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One scenario on the built-in fake, cycling slowly: the daemon is mostly idle.
async fn idle_daemon() -> Daemon {
    let config = "[cycle]\nwarmup_batches = 0\nbatch_size = 5\npause = \"30s\"\n\
                  [memory]\nsource = \"self-heap\"\nsettle = \"0ms\"\nsamples_per_batch = 1\n\
                  [[scenario]]\nname = \"chat\"\n";
    spawn_daemon_process(config, "").await
}

/// Everything the server writes until it closes the connection (or 15 s pass).
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut reply = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(15), stream.read_to_end(&mut reply)).await;
    String::from_utf8_lossy(&reply).into_owned()
}

async fn still_serving(d: &Daemon) {
    let m = get_text(d.url("/metrics")).await;
    let (version, revision) = (leaksoak::build_info::VERSION, leaksoak::build_info::REVISION);
    let info = format!("leaksoak_build_info{{revision=\"{revision}\",version=\"{version}\"}}");
    assert_eq!(sample_value(&m, &info), Some(1.0), "/metrics still answers");
}

#[tokio::test]
async fn a_request_head_over_the_buffer_limit_is_refused() {
    let d = idle_daemon().await;
    let mut stream = TcpStream::connect(d.addr).await.expect("connect");
    // The read buffer is capped at 64 KiB; one read may overshoot it, so twice that is the sure limit.
    let filler = "a".repeat(2 * leaksoak::serve::server::MAX_HEAD_BYTES + 1);
    let head = format!("GET /metrics HTTP/1.1\r\nhost: localhost\r\nx-filler: {filler}\r\n\r\n");
    let _ = stream.write_all(head.as_bytes()).await;
    let reply = read_until_closed(&mut stream).await;
    assert!(reply.is_empty() || reply.starts_with("HTTP/1.1 431"), "refused: {reply:.80}");
    still_serving(&d).await;
}

#[tokio::test]
async fn a_request_head_that_never_ends_is_dropped_after_10_seconds() {
    let d = idle_daemon().await;
    let mut stream = TcpStream::connect(d.addr).await.expect("connect");
    stream.write_all(b"GET /metrics HTTP/1.1\r\nhost: local").await.expect("write part of a head");
    let started = Instant::now();
    let reply = read_until_closed(&mut stream).await;
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(9) && waited < Duration::from_secs(14), "closed after {waited:?}");
    assert!(reply.is_empty() || reply.starts_with("HTTP/1.1 408"), "{reply:.80}");
    still_serving(&d).await;
}

#[tokio::test]
async fn a_large_request_body_is_never_buffered() {
    let d = idle_daemon().await;
    let mut stream = TcpStream::connect(d.addr).await.expect("connect");
    let size = 256u64 << 20;
    let head = format!("POST /-/reload HTTP/1.1\r\nhost: localhost\r\ncontent-length: {size}\r\n\r\n");
    stream.write_all(head.as_bytes()).await.expect("head");
    let block = vec![b'x'; 1 << 20];
    let mut sent = 0u64;
    let sending = async {
        while sent < size && stream.write_all(&block).await.is_ok() {
            sent += block.len() as u64;
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(10), sending).await;
    tokio::time::sleep(Duration::from_millis(1100)).await; // past the 1 s cache of /metrics
    let m = get_text(d.url("/metrics")).await;
    let rss = sample_value(&m, "process_resident_memory_bytes").expect("own RSS");
    assert!(rss < 64.0 * 1024.0 * 1024.0, "RSS {rss} after {sent} bytes of body were offered");
    still_serving(&d).await;
}

/// One client of the flood: connects, sends nothing, and reconnects 100 ms after the server closes it.
async fn idle_client(addr: std::net::SocketAddr, stop: tokio_util::sync::CancellationToken) {
    use tokio::io::AsyncReadExt;
    while !stop.is_cancelled() {
        let Ok(mut stream) = TcpStream::connect(addr).await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let mut byte = [0u8; 1];
        tokio::select! {
            _ = stream.read(&mut byte) => {}
            () = stop.cancelled() => {}
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn scrapes_are_answered_within_10_seconds_while_1000_idle_connections_are_held_and_reopened() {
    let d = idle_daemon().await;
    let stop = tokio_util::sync::CancellationToken::new();
    let flood: Vec<_> = (0..1000).map(|_| tokio::spawn(idle_client(d.addr, stop.clone()))).collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let limit = leaksoak::serve::server::MAX_CONNECTIONS;
    let fds = std::fs::read_dir(format!("/proc/{}/fd", d.pid())).expect("the daemon's fds").count();
    assert!(fds < limit + 64, "{fds} open fds: the daemon keeps at most {limit} connections");
    for _ in 0..5 {
        let started = Instant::now();
        let reply = tokio::time::timeout(Duration::from_secs(10), get_text(d.url("/metrics"))).await;
        assert!(reply.is_ok_and(|m| m.contains("leaksoak_build_info")), "a scrape within 10 s, as Prometheus waits");
        assert!(started.elapsed() < Duration::from_secs(10), "scrape took {:?}", started.elapsed());
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    stop.cancel();
    for client in flood {
        let _ = client.await;
    }
    still_serving(&d).await;
}
