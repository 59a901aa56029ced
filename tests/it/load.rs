//! The load generator against the fake endpoint and against hostile servers: every request lands in the
//! right error kind, the batch always completes, and memory stays bounded.

use crate::helpers::{settings, spawn_fake};
use crate::hostile::{
    CHUNK, GARBAGE_EVENTS, INVALID_JSON, cut_stream, hang, hostile, http_response, hundred_mib, one_mib_events,
    refused_port, reply_with, sse_response,
};
use leaksoak::failure::ErrorKind;
use leaksoak::load::{BatchStats, Client, run_batch};
use leaksoak::settings::FakeLlm;
use std::sync::Arc;

fn client_for(url: &str, extra: &str) -> Arc<Client> {
    let s = settings(&format!("[[scenario]]\nname = \"t\"\nurl = \"{url}\"\n{extra}\n"));
    Arc::new(Client::new(&s.scenarios[0], None).expect("client"))
}

async fn batch(url: &str, extra: &str, n: u64) -> BatchStats {
    run_batch(&client_for(url, extra), n, 4).await
}

#[tokio::test]
async fn every_api_kind_succeeds_against_the_fake_endpoint() {
    let app = spawn_fake(FakeLlm::default()).await;
    let base = app.base().to_string();
    for extra in [
        "api = \"chat\"\nstream = true",
        "api = \"chat\"\nstream = false",
        "api = \"completions\"\nstream = true",
        "api = \"completions\"\nstream = false",
        "api = \"embeddings\"",
    ] {
        let stats = batch(&base, extra, 40).await;
        assert_eq!((stats.requests, stats.failed()), (40, 0), "{extra}: {:?}", stats.errors);
        let streaming = extra.contains("stream = true");
        assert_eq!(stats.time_to_first_token.len(), if streaming { 40 } else { 0 }, "{extra}");
    }
    let stats = batch(&format!("http://{}/v1/models", app.addr), "api = \"http\"", 10).await;
    assert_eq!((stats.requests, stats.failed()), (10, 0));
}

#[tokio::test]
async fn sequential_mode_and_round_robin_urls() {
    let a = spawn_fake(FakeLlm::default()).await;
    let b = spawn_fake(FakeLlm::default()).await;
    let s = settings(&format!(
        "[[scenario]]\nname = \"t\"\nurls = [\"{}\", \"{}\"]\nconcurrency = 1\nstream = false\n",
        a.base(),
        b.base()
    ));
    let client = Arc::new(Client::new(&s.scenarios[0], None).expect("client"));
    let stats = run_batch(&client, 10, s.scenarios[0].concurrency).await;
    assert_eq!((stats.requests, stats.failed()), (10, 0));
    for app in [&a, &b] {
        let m = crate::helpers::get_text(format!("http://{}/metrics", app.addr)).await;
        assert!(m.contains("fake_llm_requests_total{outcome=\"success\",route=\"chat\"} 5"), "{m}");
    }
}

#[tokio::test]
async fn injected_errors_are_status_errors() {
    let app = spawn_fake(FakeLlm { error_rate: 0.5, ..FakeLlm::default() }).await;
    let stats = batch(app.base().as_ref(), "stream = true", 200).await;
    assert_eq!(stats.requests, 200);
    let status = stats.errors.get(ErrorKind::Status);
    assert!((50..150).contains(&status) && stats.failed() == status, "{:?}", stats.errors);
}

fn only(stats: &BatchStats, kind: ErrorKind, n: u64) {
    assert_eq!(stats.requests, n, "every request is counted");
    assert_eq!(stats.errors.get(kind), n, "expected {n} x {kind:?}, got {:?}", stats.errors);
}

#[tokio::test]
async fn connection_refused_is_connect() {
    let port = refused_port().await;
    only(&batch(&format!("http://127.0.0.1:{port}/v1"), "", 20).await, ErrorKind::Connect, 20);
}

#[tokio::test]
async fn accept_and_hang_is_timeout() {
    let addr = hostile(hang).await;
    only(&batch(&format!("http://{addr}/v1"), "timeout = \"300ms\"", 8).await, ErrorKind::Timeout, 8);
}

#[tokio::test]
async fn server_errors_are_status() {
    let addr = hostile(|s| reply_with(s, http_response("500 Internal Server Error", "application/json", "{}"))).await;
    only(&batch(&format!("http://{addr}/v1"), "stream = true", 20).await, ErrorKind::Status, 20);
}

#[tokio::test]
async fn invalid_json_is_decode() {
    let addr = hostile(|s| reply_with(s, http_response("200 OK", "application/json", INVALID_JSON))).await;
    only(&batch(&format!("http://{addr}/v1"), "stream = false", 20).await, ErrorKind::Decode, 20);
    let addr = hostile(|s| reply_with(s, http_response("200 OK", "application/json", "{\"other\": 1}"))).await;
    only(&batch(&format!("http://{addr}/v1"), "stream = false", 5).await, ErrorKind::Decode, 5);
}

#[tokio::test]
async fn a_stream_cut_before_done_is_stream() {
    let addr = hostile(move |s| reply_with(s, sse_response(&cut_stream()))).await;
    let stats = batch(&format!("http://{addr}/v1"), "stream = true", 20).await;
    only(&stats, ErrorKind::Stream, 20);
    assert_eq!(stats.time_to_first_token.len(), 20, "the first event still counts as the first token");
}

#[tokio::test]
async fn garbage_events_are_stream() {
    let addr = hostile(move |s| reply_with(s, sse_response(GARBAGE_EVENTS))).await;
    only(&batch(&format!("http://{addr}/v1"), "stream = true", 20).await, ErrorKind::Stream, 20);
    // Lines that are not SSE fields are ignored, as the SSE spec says; the stream is judged by its events.
    let body = format!("garbage line\n: comment\n\n{CHUNK}data: [DONE]\n\n");
    let addr = hostile(move |s| reply_with(s, sse_response(&body))).await;
    let stats = batch(&format!("http://{addr}/v1"), "stream = true", 5).await;
    assert_eq!(stats.failed(), 0, "{:?}", stats.errors);
}

/// Reading stops near the cap, so a 100 MiB body is never held. The bound on the daemon's RSS while
/// such bodies go by is asserted in `faults::targets`, in a process of its own: this test binary runs
/// many tests at once, so its own RSS says nothing about one of them.
#[tokio::test]
async fn a_hundred_mib_body_is_cut_at_the_cap() {
    let cap = 1u64 << 20;
    let addr = hostile(|s| hundred_mib(s, "application/json")).await;
    let stats = batch(&format!("http://{addr}/v1"), "stream = false\nmax_response_bytes = 1048576", 8).await;
    only(&stats, ErrorKind::Decode, 8);
    assert!(stats.bytes < 8 * 2 * cap, "reading stopped near the cap: {} bytes", stats.bytes);
    let addr = hostile(|s| hundred_mib(s, "text/event-stream")).await;
    let stats = batch(&format!("http://{addr}/v1"), "stream = true\nmax_response_bytes = 1048576", 8).await;
    only(&stats, ErrorKind::Stream, 8);
    assert!(stats.bytes < 8 * 2 * cap, "reading stopped near the cap: {} bytes", stats.bytes);
}

#[tokio::test]
async fn one_mib_events_pass_under_the_cap_and_fail_over_it() {
    let body = one_mib_events();
    let addr = hostile(move |s| reply_with(s, sse_response(&body))).await;
    let url = format!("http://{addr}/v1");
    let stats = batch(&url, "stream = true", 4).await;
    assert_eq!((stats.requests, stats.failed()), (4, 0), "two 1 MiB events under the 16 MiB cap: {:?}", stats.errors);
    assert!(stats.bytes >= 4 * (2 << 20), "every byte was read");
    let stats = batch(&url, "stream = true\nmax_response_bytes = 524288", 4).await;
    only(&stats, ErrorKind::Stream, 4);
}
