//! The fake endpoint over real HTTP: routes, wire format, injected errors, and leaks that are real memory.

use crate::helpers::{get_text, rss_bytes, spawn_fake, spawn_fake_process};
use leaksoak::settings::FakeLlm;
use serde_json::{Value, json};

async fn post(url: String, body: Value) -> (u16, String) {
    let resp = crate::helpers::http().post(url).json(&body).send().await.expect("request");
    (resp.status().as_u16(), resp.text().await.expect("body"))
}

#[tokio::test]
async fn answers_every_openai_route() {
    let app = spawn_fake(FakeLlm::default()).await;
    let base = format!("http://{}", app.addr);
    for path in ["/v1/chat/completions", "/chat/completions"] {
        let (status, body) = post(format!("{base}{path}"), json!({"model": "m", "messages": []})).await;
        assert_eq!(status, 200);
        let v: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(v["object"], "chat.completion");
        assert_eq!(v["model"], "m");
        assert!(v["created"].as_u64().is_some_and(|c| c > 1_600_000_000));
    }
    let (_, body) = post(format!("{base}/v1/completions"), json!({"model": "m", "prompt": "x"})).await;
    assert!(body.contains("\"text_completion\""));
    let (_, body) = post(format!("{base}/v1/embeddings"), json!({"model": "e", "input": ["a", "b", "c"]})).await;
    let v: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["data"].as_array().map(Vec::len), Some(3));
    let models: Value =
        serde_json::from_str(&crate::helpers::get_text(format!("{base}/v1/models")).await).expect("json");
    assert!(models["data"].as_array().is_some_and(|d| d.iter().any(|m| m["id"] == "error-500")));
}

#[tokio::test]
async fn streams_server_sent_events_to_done() {
    let app = spawn_fake(FakeLlm { stream_chunks: 4, ..FakeLlm::default() }).await;
    let url = format!("http://{}/v1/chat/completions", app.addr);
    let resp =
        crate::helpers::http().post(url).json(&json!({"model": "m", "stream": true})).send().await.expect("request");
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let body = resp.text().await.expect("body");
    let events: Vec<&str> = body.split("\n\n").filter(|e| !e.is_empty()).collect();
    assert_eq!(events.len(), 1 + 4 + 1 + 1, "role chunk, 4 content chunks, stop chunk, [DONE]: {body}");
    assert_eq!(events.last(), Some(&"data: [DONE]"));
    let stop: Value = serde_json::from_str(&events[5]["data: ".len()..]).expect("json chunk");
    assert_eq!(stop["choices"][0]["finish_reason"], "stop");
    assert_eq!(stop["object"], "chat.completion.chunk");
}

#[tokio::test]
async fn error_models_and_error_rate_fail_the_openai_way() {
    let app = spawn_fake(FakeLlm::default()).await;
    let url = format!("http://{}/v1/chat/completions", app.addr);
    let (status, body) = post(url.clone(), json!({"model": "error-500"})).await;
    assert_eq!(status, 500);
    assert!(body.contains("\"server_error\""), "{body}");
    let (status, body) = post(url, json!({"model": "error-429"})).await;
    assert_eq!(status, 429);
    assert!(body.contains("rate_limit_exceeded"), "{body}");

    let app = spawn_fake(FakeLlm { error_rate: 1.0, ..FakeLlm::default() }).await;
    let (status, _) = post(format!("http://{}/v1/completions", app.addr), json!({"model": "m"})).await;
    assert!(status == 500 || status == 429, "{status}");
}

#[tokio::test]
async fn bad_requests_get_clear_errors() {
    let app = spawn_fake(FakeLlm::default()).await;
    let client = crate::helpers::http();
    let base = format!("http://{}", app.addr);
    let resp = client.post(format!("{base}/v1/chat/completions")).body("{not json").send().await.expect("send");
    assert_eq!(resp.status().as_u16(), 400);
    let resp = client.get(format!("{base}/v1/chat/completions")).send().await.expect("send");
    assert_eq!(resp.status().as_u16(), 405);
    let resp = client.get(format!("{base}/v2/nothing")).send().await.expect("send");
    assert_eq!(resp.status().as_u16(), 404);
    let big = vec![b'x'; 2 * 1024 * 1024];
    let resp = client.post(format!("{base}/v1/chat/completions")).body(big).send().await.expect("send");
    assert_eq!(resp.status().as_u16(), 413);
    let metrics = client.get(format!("{base}/metrics")).send().await.expect("send").text().await.expect("body");
    assert!(metrics.contains("fake_llm_requests_total{outcome=\"error\",route=\"chat\"} 3"), "{metrics}");
}

/// Sends `n` chat requests to a fake endpoint process and returns its RSS growth.
async fn rss_growth_after(leak_per_request: u64, n: usize) -> i64 {
    let leak = leak_per_request.to_string();
    let fake = spawn_fake_process(&["--leak-bytes-per-request", &leak]);
    let client = crate::helpers::http();
    let url = format!("http://{}/v1/chat/completions", fake.addr);
    for _ in 0..20 {
        post(url.clone(), json!({"model": "warmup"})).await;
    }
    let before = rss_bytes(fake.child.id());
    for _ in 0..n {
        let resp = client.post(&url).json(&json!({"model": "m"})).send().await.expect("request");
        assert_eq!(resp.status().as_u16(), 200);
        resp.bytes().await.expect("body");
    }
    let after = rss_bytes(fake.child.id());
    after as i64 - before as i64
}

#[tokio::test]
async fn leak_knob_grows_the_resident_set_for_real() {
    let grown = rss_growth_after(65_536, 200).await;
    assert!(grown >= 10 * 1024 * 1024, "65536 B x 200 requests grew RSS by only {grown} bytes");
    let flat = rss_growth_after(0, 200).await;
    assert!(flat.abs() <= 2 * 1024 * 1024, "no leak, but RSS moved by {flat} bytes");
}

/// Open descriptors of a process, sockets among them, and its threads, from `/proc`.
fn handles_of(pid: u32) -> (usize, usize, usize) {
    let fds: Vec<_> = std::fs::read_dir(format!("/proc/{pid}/fd")).expect("read fd dir").flatten().collect();
    let sockets = fds
        .iter()
        .filter(|f| std::fs::read_link(f.path()).is_ok_and(|l| l.to_string_lossy().starts_with("socket:")))
        .count();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc status");
    let threads = status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("Threads line");
    (fds.len(), sockets, threads)
}

#[tokio::test]
async fn handle_leak_knobs_keep_real_descriptors_sockets_and_threads() {
    let fake =
        spawn_fake_process(&["--leak-fds-every", "10", "--leak-sockets-every", "20", "--leak-threads-every", "50"]);
    let pid = fake.child.id();
    let url = format!("http://{}/v1/chat/completions", fake.addr);
    let client = crate::helpers::http();
    let send = |n: usize| {
        let (client, url) = (client.clone(), url.clone());
        async move {
            for _ in 0..n {
                let resp = client.post(&url).json(&json!({"model": "m"})).send().await.expect("request");
                assert_eq!(resp.status().as_u16(), 200);
                resp.bytes().await.expect("body");
            }
        }
    };
    send(1).await; // the connection is open before counting
    let before = handles_of(pid);
    send(199).await; // 200 successful requests in all
    let after = handles_of(pid);
    // 20 files + 10 sockets, and the private listener the kept connections went to.
    assert_eq!(after.0 - before.0, 20 + 10 + 1, "descriptors {before:?} -> {after:?}");
    assert_eq!(after.1 - before.1, 10 + 1, "sockets {before:?} -> {after:?}");
    assert_eq!(after.2 - before.2, 4, "threads {before:?} -> {after:?}");
    let metrics = get_text(format!("http://{}/metrics", fake.addr)).await;
    for line in [
        "fake_llm_kept_handles{kind=\"fds\"} 20",
        "fake_llm_kept_handles{kind=\"sockets\"} 10",
        "fake_llm_kept_handles{kind=\"threads\"} 4",
    ] {
        assert!(metrics.contains(line), "{line} missing from {metrics}");
    }
}
