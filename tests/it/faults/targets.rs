//! Hostile targets: every request is counted under the right error kind while `/metrics` keeps being
//! served, and the daemon's own heap and RSS stay bounded.

use super::{errors, finished, requests, scenario, self_soak};
use crate::helpers::{Daemon, get_text, sample_value, spawn_daemon_process, wait_for_metrics};
use crate::hostile::{
    GARBAGE_EVENTS, INVALID_JSON, cut_stream, hang, hostile, http_response, hundred_mib, one_mib_events, refused_port,
    reply_with, sse_response, status_storm, trickle,
};

const MIB: f64 = 1024.0 * 1024.0;

/// Waits (polling `/metrics`, which must answer every time) until every scenario finished a cycle.
async fn one_cycle_each(d: &Daemon, names: &[&str]) -> String {
    wait_for_metrics(d, 120, |m| names.iter().all(|s| finished(m, s) >= 1.0)).await
}

/// Every request of `scenario` failed, and every failure is of `kind`.
fn all_failed_as(m: &str, scenario: &str, kind: &str) {
    let failed = requests(m, scenario, "error");
    assert_eq!(requests(m, scenario, "success"), 0.0, "{scenario}: nothing succeeds");
    assert!(failed >= 80.0, "{scenario}: a whole cycle of failures: {failed}");
    assert_eq!(errors(m, scenario, kind), failed, "{scenario}: every failure is a {kind} error");
}

/// The daemon's live heap (what the `self-heap` scenarios measure) and its RSS stay within bounds.
fn bounded(m: &str, scenario: &str, heap_mib: f64, rss_mib: f64) {
    let series = format!("leaksoak_batch_memory_bytes{{phase=\"measure\",scenario=\"{scenario}\"}}");
    let heap = sample_value(m, &series).expect("own heap");
    assert!(heap > 0.0 && heap < heap_mib * MIB, "live heap {:.1} MiB", heap / MIB);
    let rss = sample_value(m, "process_resident_memory_bytes").expect("own RSS");
    assert!(rss < rss_mib * MIB, "RSS {:.1} MiB", rss / MIB);
}

#[tokio::test]
async fn refused_storming_and_trickling_targets_are_counted_by_kind() {
    let refused = refused_port().await;
    let storm = hostile(status_storm).await.port();
    let slow = hostile(trickle).await.port();
    let scenarios = [scenario("refused", refused, ""), scenario("storm", storm, ""), scenario("trickle", slow, "")];
    let d = spawn_daemon_process(&self_soak(&scenarios.concat()), "").await;
    let m = one_cycle_each(&d, &["refused", "storm", "trickle"]).await;
    for (scenario, kind) in [("refused", "connect"), ("storm", "status"), ("trickle", "timeout")] {
        all_failed_as(&m, scenario, kind);
    }
    bounded(&m, "storm", 16.0, 96.0);
    assert!(get_text(d.url("/report")).await.contains("Memory Growth Analysis: storm"));
}

#[tokio::test]
async fn hanging_malformed_and_oversized_responses_are_counted_by_kind() {
    let hung = hostile(hang).await.port();
    let bad_json = hostile(|s| reply_with(s, http_response("200 OK", "application/json", INVALID_JSON))).await.port();
    let cut = hostile(|s| reply_with(s, sse_response(&cut_stream()))).await.port();
    let garbage = hostile(|s| reply_with(s, sse_response(GARBAGE_EVENTS))).await.port();
    let huge_body = hostile(|s| hundred_mib(s, "application/json")).await.port();
    let huge_stream = hostile(|s| hundred_mib(s, "text/event-stream")).await.port();
    let events = one_mib_events();
    let big_events = hostile(move |s| reply_with(s, sse_response(&events))).await.port();
    // The oversized bodies are cut at the cap, not by the timeout: a loaded machine may need more than the
    // default 300 ms to read the first MiB.
    let cap = "max_response_bytes = 1048576\ntimeout = \"10s\"\n";
    let scenarios = [
        scenario("hung", hung, ""),
        scenario("badjson", bad_json, ""),
        scenario("cut", cut, "stream = true"),
        scenario("garbage", garbage, "stream = true"),
        scenario("hugebody", huge_body, cap),
        scenario("hugestream", huge_stream, &format!("stream = true\n{cap}")),
        scenario("bigevents", big_events, "stream = true\ntimeout = \"10s\""),
    ];
    let d = spawn_daemon_process(&self_soak(&scenarios.concat()), "").await;
    let names = ["hung", "badjson", "cut", "garbage", "hugebody", "hugestream", "bigevents"];
    let m = one_cycle_each(&d, &names).await;
    let kinds = [
        ("hung", "timeout"),
        ("badjson", "decode"),
        ("cut", "stream"),
        ("garbage", "stream"),
        ("hugebody", "decode"),
        ("hugestream", "stream"),
    ];
    for (scenario, kind) in kinds {
        all_failed_as(&m, scenario, kind);
    }
    let ok = requests(&m, "bigevents", "success");
    assert!(ok >= 80.0 && requests(&m, "bigevents", "error") == 0.0, "two 1 MiB events pass: {ok}");
    assert!(sample_value(&m, "leaksoak_time_to_first_token_seconds_count{scenario=\"bigevents\"}") >= Some(80.0));
    // 160 bodies announcing 100 MiB each and 160 MiB of events went by: none of it is kept.
    bounded(&m, "hugebody", 16.0, 96.0);
}

#[tokio::test]
async fn a_redirect_is_counted_apart_and_named_where_it_points() {
    // Issue 26, case 10: a same-origin redirect was a bad status, "is the URL's path right (/v1), and the
    // API key?". The Location is relative and carries a secret query parameter.
    let reply = "HTTP/1.1 308 Permanent Redirect\r\nlocation: /api/v1/chat/completions?token=sk-moved-42\r\n\
                 content-length: 0\r\nconnection: close\r\n\r\n";
    let moved = hostile(move |s| reply_with(s, reply.as_bytes().to_vec())).await.port();
    let d = spawn_daemon_process(&self_soak(&scenario("moved", moved, "")), "").await;
    let m = one_cycle_each(&d, &["moved"]).await;
    all_failed_as(&m, "moved", "redirect");
    assert_eq!(errors(&m, "moved", "status"), 0.0, "a redirect is not a bad status");
    let report = get_text(d.url("/report")).await;
    let to = format!("http://127.0.0.1:{moved}/api/v1/chat/completions?token=redacted");
    let hint =
        format!("the target redirects (308 Permanent Redirect to {to}); point the scenario's url at the final address");
    assert!(report.contains(&hint), "{report}");
    assert!(!report.contains("API key") && !report.contains("sk-moved-42"), "{report}");
}
