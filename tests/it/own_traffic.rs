//! The `self` source measures the process that also serves leaksoak's own endpoints (issue 26, case 9): a
//! flood of scrapes during a cycle is counted, and the cycle's judgement says so in every output (the text
//! report, `/status`, the HTML page, the recording and `analyze` of it) and confirms nothing; a quiet soak
//! carries no such note.

use crate::helpers::{Daemon, bin, get_text, http, spawn_daemon_process, wait_for_metrics};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The start of the note of a cycle under heavy endpoint traffic.
const NOTE: &str = "leaksoak's own endpoints (/metrics, /status, /, …) answered";

/// A daemon soaking its built-in fake endpoint, measured by `self` (its own RSS), in cycles of about a
/// second that mostly wait on the endpoint's latency (so the endpoints' thread gets the CPU it yields).
async fn self_soak() -> Daemon {
    let config = "[cycle]\nwarmup_batches = 0\nmax_settle_batches = 0\nbatch_size = 10\npause = \"100ms\"\n\
                  [memory]\nsource = \"self\"\nsettle = \"0ms\"\nsamples_per_batch = 1\n\
                  [fake_llm]\nlatency = \"10ms\"\n[[scenario]]\nname = \"chat\"\nstream = false\nconcurrency = 1\n";
    spawn_daemon_process(config, "").await
}

/// Cycles recorded so far.
fn cycles(d: &Daemon) -> usize {
    d.recorded_cycles().len()
}

/// The recorded cycles' requests to the endpoints, their rate a second, and the notes, in order.
fn recorded(d: &Daemon) -> Vec<(u64, f64, String)> {
    let traffic = |c: &serde_json::Value| {
        let requests = c["endpoints"]["requests"].as_u64().expect("requests");
        (requests, requests as f64 / c["endpoints"]["seconds"].as_f64().expect("seconds"))
    };
    d.recorded_cycles().iter().map(|(_, c)| (traffic(c).0, traffic(c).1, c["notes"].to_string())).collect()
}

#[tokio::test]
async fn a_scrape_flood_marks_its_cycles_and_a_quiet_soak_is_not_marked() {
    let d = self_soak().await;
    // Quiet: two cycles while only this test polls now and then.
    wait_for_metrics(&d, 60, |m| m.contains("leaksoak_cycles_total{scenario=\"chat\"")).await;
    while cycles(&d) < 2 {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let quiet = recorded(&d);
    assert!(quiet.iter().all(|(_, _, notes)| !notes.contains(NOTE)), "quiet: {quiet:?}");
    // A flood: 16 clients scraping /metrics back to back, for 3 s and three more cycles at least.
    let flooding = Arc::new(AtomicBool::new(true));
    let scrapers: Vec<_> = (0..16)
        .map(|_| {
            let (url, flooding) = (d.url("/metrics"), Arc::clone(&flooding));
            tokio::spawn(async move {
                let client = http();
                while flooding.load(Ordering::Relaxed) {
                    let _ = client.get(&url).send().await.map(|r| r.bytes());
                }
            })
        })
        .collect();
    let before = cycles(&d);
    let (started, deadline) = (std::time::Instant::now(), std::time::Instant::now() + Duration::from_secs(60));
    while (cycles(&d) < before + 3 || started.elapsed() < Duration::from_secs(3))
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = get_text(d.url("/status")).await;
    let report = get_text(d.url("/report")).await;
    let page = get_text(d.url("/")).await;
    flooding.store(false, Ordering::Relaxed);
    for scraper in scrapers {
        scraper.await.expect("scraper");
    }
    let all = recorded(&d);
    // Clearly heavy: hundreds of scrapes in a cycle of a fraction of a second.
    let flooded: Vec<_> = all[before + 1..].iter().filter(|(n, rate, _)| *n >= 300 && *rate >= 200.0).collect();
    assert!(!flooded.is_empty(), "cycles under the flood: {all:?}");
    assert!(flooded.iter().all(|(_, _, notes)| notes.contains(NOTE)), "{flooded:?}");
    for (_, c) in d.recorded_cycles().iter().filter(|(_, c)| c["notes"].to_string().contains(NOTE)) {
        assert!(c["findings"].as_array().expect("findings").iter().all(|f| f["confirmed"] == false), "{c}");
        assert!(c.get("resources").is_none(), "resources are not judged: {c}");
    }
    // What the outputs said while the flood went on (the last cycle then was under it).
    let doc: serde_json::Value = serde_json::from_str(&status).expect("status JSON");
    let last = &doc["scenarios"][0]["last_cycle"];
    assert!(last["endpoints"]["requests"].as_u64() > Some(10), "{last}");
    assert!(last["notes"].to_string().contains(NOTE), "{last}");
    assert!(report.contains(&format!("Note: {NOTE}")), "{report}");
    assert!(
        page.contains("requests to leaksoak's endpoints") && page.contains("leaksoak&#39;s own endpoints"),
        "{page}"
    );
    // `analyze` of the recording judges the flooded cycles as marked again.
    let out = bin().arg("analyze").arg(d.dir.path().join("record.jsonl")).output().expect("analyze");
    assert!(String::from_utf8_lossy(&out.stdout).contains(NOTE), "{}", String::from_utf8_lossy(&out.stdout));
}
