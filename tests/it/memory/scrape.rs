//! `scrape` against the canned server.

use super::server::Server;
use super::{MIB, sampler};
use leaksoak::memory::{Error, Sampler};
use leaksoak::settings::{HttpOptions, MemorySource, MetricSelector};
use url::Url;

fn scrape(server: &Server, metric: &str) -> Sampler {
    let metric = MetricSelector::parse(metric).expect("selector");
    sampler(MemorySource::Scrape { url: server.url("/metrics"), metric, http: HttpOptions::default() })
}

const PAGE: &str = "# HELP mem bytes\n# TYPE mem gauge\nmem{pod=\"a\"} 100\nmem{pod=\"b\"} 2.5e+08\n\
                    process_resident_memory_bytes 5.24288e+07\nprocess_start_time_seconds 1.7e+09\n";

#[tokio::test]
async fn scrape_takes_one_sample_with_label_matchers() {
    let server = Server::start(200, PAGE).await;
    let reading = scrape(&server, "process_resident_memory_bytes").sample().await.expect("plain");
    assert_eq!(reading.bytes, 52_428_800);
    let reading = scrape(&server, r#"mem{pod="b"}"#).sample().await.expect("matched");
    assert_eq!(reading.bytes, 250_000_000);
    assert!(server.requests.lock().expect("lock").iter().all(|r| r.starts_with("GET /metrics ")));
}

#[tokio::test]
async fn scrape_restart_is_a_new_process_start_time() {
    let server = Server::start(200, PAGE).await;
    let mut s = scrape(&server, "process_resident_memory_bytes");
    assert!(!s.sample().await.expect("first").restarted);
    assert!(!s.sample().await.expect("same").restarted);
    server.set(200, &PAGE.replace("1.7e+09", "1.7000001e+09"));
    assert!(s.sample().await.expect("restarted").restarted);
    assert!(!s.sample().await.expect("same again").restarted);
}

#[tokio::test]
async fn scrape_errors_several_missing_status_garbage_refused() {
    let server = Server::start(200, PAGE).await;
    let err = scrape(&server, "mem").sample().await.expect_err("two series");
    assert!(matches!(err, Error::MetricAmbiguous { count: 2, .. }), "{err}");
    assert!(err.to_string().contains("label matchers"), "{err}");
    let err = scrape(&server, "nope_bytes").sample().await.expect_err("missing");
    assert!(matches!(&err, Error::MetricMissing { metric, .. } if metric == "nope_bytes"), "{err}");
    server.set(500, "oops");
    let err = scrape(&server, "mem").sample().await.expect_err("500");
    assert!(matches!(err, Error::HttpStatus { status: 500, .. }), "{err}");
    server.set(200, "<html>\n<body>hello</body>\n</html>\n");
    assert_eq!(scrape(&server, "mem").sample().await.expect_err("garbage").kind(), "not_exposition");
    server.set(200, "mem NaN\n");
    assert_eq!(scrape(&server, "mem").sample().await.expect_err("NaN").kind(), "bad_value");
    server.set(200, &"x".repeat(9 * MIB as usize));
    assert_eq!(scrape(&server, "mem").sample().await.expect_err("huge").kind(), "body_too_large");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = Url::parse(&format!("http://{}/metrics", closed.local_addr().expect("addr"))).expect("url");
    drop(closed);
    let metric = MetricSelector::parse("mem").expect("selector");
    let err = sampler(MemorySource::Scrape { url, metric, http: HttpOptions::default() })
        .sample()
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), "http");
}

#[tokio::test]
async fn start_times_that_alternate_are_several_processes_not_restarts() {
    let other = PAGE.replace("1.7e+09", "1.7000002e+09");
    let server = Server::start(200, PAGE).await;
    // Two replicas behind one URL, answering in turn: the second read of the first sample already sees the
    // first start time come back.
    server.set_in_turn(&[(200, PAGE), (200, &other)]);
    let mut three_reads = sampler_with_reads(&server, 3);
    let err = three_reads.sample().await.expect_err("A, B, A");
    assert_eq!(err.kind(), "several_processes");
    let text = err.to_string();
    assert!(text.contains("1700000200, 1700000000") && text.contains("point memory.url at one pod"), "{text}");
    // One read per sample: the first change counts as a restart, the return is the error, and it stays one.
    let mut s = scrape(&server, "process_resident_memory_bytes");
    server.set_in_turn(&[(200, PAGE), (200, &other)]);
    assert!(!s.sample().await.expect("A").restarted);
    assert!(s.sample().await.expect("B, not yet known to be a second process").restarted);
    for _ in 0..4 {
        assert_eq!(s.sample().await.expect_err("alternating").kind(), "several_processes");
    }
}

/// A `scrape` sampler of `process_resident_memory_bytes` taking `reads` reads per sample.
fn sampler_with_reads(server: &Server, reads: usize) -> Sampler {
    let metric = MetricSelector::parse("process_resident_memory_bytes").expect("selector");
    let source = MemorySource::Scrape { url: server.url("/metrics"), metric, http: HttpOptions::default() };
    let settings = leaksoak::settings::Memory {
        source,
        samples_per_batch: reads,
        settle: std::time::Duration::ZERO,
        resources: Default::default(),
    };
    Sampler::new(&settings).expect("a sampler")
}

#[tokio::test]
async fn credentials_follow_a_redirect_within_the_same_origin_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let token = dir.path().join("token");
    std::fs::write(&token, "tok-redirect-1").expect("write");
    let config = format!(
        "[memory]\nsource = \"scrape\"\nurl = \"http://127.0.0.1:1/metrics\"\nbearer_token_file = {token:?}\n\
         headers = {{ X-Auth-Token = \"hk-redirect-2\" }}\n"
    );
    let MemorySource::Scrape { http, .. } = crate::helpers::settings(&config).memory.source else { panic!("scrape") };
    let (front, elsewhere) = (Server::start(200, PAGE).await, Server::start(200, PAGE).await);
    let metric = MetricSelector::parse("process_resident_memory_bytes").expect("selector");
    let source = |url: Url| sampler(MemorySource::Scrape { url, metric: metric.clone(), http: http.clone() });
    let url = front.url("/metrics");
    // Another origin (another port of the same address): not followed, nothing sent there.
    front.set(302, elsewhere.url("/metrics").as_str());
    let err = source(url.clone()).sample().await.expect_err("not followed");
    assert!(matches!(err, Error::HttpStatus { status: 302, .. }), "{err}");
    assert!(elsewhere.heads.lock().expect("lock").is_empty(), "nothing reached the other origin");
    // The same origin: followed, credentials and all.
    front.set_in_turn(&[(302, "/moved/metrics"), (200, PAGE)]);
    assert_eq!(source(url).sample().await.expect("followed").bytes, 52_428_800);
    let heads = front.heads.lock().expect("lock").clone();
    let moved = heads.iter().find(|h| h.starts_with("GET /moved/metrics")).expect("the redirect was followed");
    let moved = moved.to_ascii_lowercase();
    assert!(moved.contains("authorization: bearer tok-redirect-1") && moved.contains("hk-redirect-2"), "{moved}");
}
