//! How long until it falls over, end to end: a daemon soaking the fake endpoint leaking 16 KiB per request
//! states the confirmed leak in production terms (the report's line, `/status`, the metrics), from
//! `analysis.forecast_requests_per_second` and `forecast_memory_limit_bytes`.

use crate::helpers::{get_text, sample_value, spawn_daemon, spawn_fake_process, wait_for_metrics};

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

#[tokio::test]
async fn a_confirmed_leak_says_its_growth_per_day_and_when_the_limit_is_reached() {
    let fake = spawn_fake_process(&["--leak-bytes-per-request", "16384"]);
    let config = format!(
        "[cycle]\nwarmup_batches = 2\nmax_settle_batches = 0\nbatch_size = 40\npause = \"0s\"\n\
         [analysis]\nforecast_requests_per_second = 50.0\nforecast_memory_limit_bytes = 4294967296\n\
         [memory]\nsource = \"process\"\npid = {}\nsettle = \"0ms\"\nsamples_per_batch = 1\n\
         [fake_llm]\nenabled = false\n\
         [[scenario]]\nname = \"quick\"\nurl = \"http://{}/v1\"\nconcurrency = 4\n",
        fake.child.id(),
        fake.addr
    );
    let d = spawn_daemon(&config, "").await;
    let series = "leaksoak_leak_time_to_limit_seconds{scenario=\"quick\"}";
    let m = wait_for_metrics(&d, 120, |m| sample_value(m, series).is_some()).await;
    let rate = sample_value(&m, "leaksoak_leak_rate_bytes_per_request{scenario=\"quick\"}").expect("rate");
    assert!((8_000.0..40_000.0).contains(&rate), "about 16 KiB per request: {rate}");
    let per_day = sample_value(&m, "leaksoak_leak_growth_bytes_per_day{scenario=\"quick\"}").expect("per day");
    assert!((per_day - rate * 50.0 * 86_400.0).abs() < 1.0, "the rate at 50 requests/s: {per_day}");
    let seconds = sample_value(&m, series).expect("time to limit");
    assert!(seconds > 0.0 && seconds < 4.0 * GIB / per_day * 86_400.0, "under a day at 66 GiB/day: {seconds}");

    let status: serde_json::Value = serde_json::from_str(&get_text(d.url("/status")).await).expect("json");
    let forecast = &status["scenarios"][0]["forecast"];
    assert_eq!(forecast["requests_per_second"], 50.0, "{forecast}");
    assert_eq!(forecast["limit_bytes"], 4.0 * GIB, "{forecast}");
    let text = forecast["text"].as_str().expect("text");
    assert!(
        text.starts_with("How fast: ") && text.contains("at 50 requests/s") && text.contains("4.0 GiB limit"),
        "{text}"
    );
    let report = get_text(d.url("/report")).await;
    assert!(report.contains("How fast: "), "{report}");
}
