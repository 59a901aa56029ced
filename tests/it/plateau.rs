//! The fake endpoint's plateau knobs end to end, measured in its own process through the `process`
//! source: bounded memory (a working set, a cache released at its limit) never raises the gauge over 20
//! cycles; the same with a leak on top does; a leak in regular steps (`staircase`) is raised within six
//! steps, and the same steps up to a limit are not.

use crate::helpers::{spawn_daemon, spawn_fake_process};
use std::time::{Duration, Instant};

/// Soaks `leaksoak fake-llm <args>` for `cycles` cycles; returns every recorded cycle and whether the
/// gauge was raised after it (a confirmed finding: without `latch` the gauge is that cycle's confirmed
/// findings).
async fn soak(args: &[&str], cycles: usize) -> Vec<(serde_json::Value, bool)> {
    let fake = spawn_fake_process(args);
    // A warm-up long enough for the working set to fill (8 MiB at 4 KiB/request: 2,048 requests).
    let config = format!(
        "[cycle]\nwarmup_batches = 1\nmax_settle_batches = 60\nbatch_size = 40\npause = \"0s\"\n\
         [memory]\nsource = \"process\"\npid = {}\nsettle = \"0ms\"\nsamples_per_batch = 1\n\
         [fake_llm]\nenabled = false\n\
         [[scenario]]\nname = \"plateau\"\nurl = \"http://{}/v1\"\nstream = false\nconcurrency = 4\n",
        fake.child.id(),
        fake.addr
    );
    let daemon = spawn_daemon(&config, "").await;
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let recorded = daemon.recorded_cycles();
        if recorded.len() >= cycles {
            return recorded.into_iter().take(cycles).map(|(_, c)| (c.clone(), confirmed(&c))).collect();
        }
        assert!(Instant::now() < deadline, "{} of {cycles} cycles after 180 s", recorded.len());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn confirmed(cycle: &serde_json::Value) -> bool {
    cycle["findings"].as_array().is_some_and(|f| f.iter().any(|f| f["confirmed"] == true))
}

fn raised_on(cycles: &[(serde_json::Value, bool)]) -> Vec<usize> {
    cycles.iter().enumerate().filter(|(_, (_, r))| *r).map(|(i, _)| i + 1).collect()
}

/// The range of every recorded batch's memory, warm-up included, MiB.
fn span_mib(cycles: &[(serde_json::Value, bool)]) -> f64 {
    let memory: Vec<f64> = cycles
        .iter()
        .flat_map(|(c, _)| c["batches"].as_array().cloned().unwrap_or_default())
        .filter_map(|b| b["memory_bytes"].as_f64())
        .collect();
    let (lo, hi) = memory.iter().fold((f64::MAX, 0.0f64), |(lo, hi), m| (lo.min(*m), hi.max(*m)));
    (hi - lo) / 1_048_576.0
}

fn memory_mib(cycles: &[(serde_json::Value, bool)]) -> Vec<f64> {
    cycles.iter().map(|(c, _)| c["final_avg_bytes"].as_f64().unwrap_or(0.0) / 1_048_576.0).collect()
}

const PLATEAU: [&str; 4] = ["--plateau-bytes-per-request", "4096", "--plateau-limit-bytes", "8388608"];

#[tokio::test]
async fn a_working_set_and_a_released_cache_raise_nothing_over_20_cycles() {
    for shape in ["working_set", "cache"] {
        let cycles = soak(&[&["--plateau", shape][..], &PLATEAU].concat(), 20).await;
        assert!(span_mib(&cycles) >= 6.0, "{shape}: the plateau moved memory: {:.1} MiB", span_mib(&cycles));
        let first = &cycles[0].0;
        let notes = first["notes"].to_string();
        assert!(notes.contains("Warm-up"), "{shape}: the report says how the warm-up went: {notes}");
        assert_eq!(raised_on(&cycles), Vec::<usize>::new(), "{shape}: final averages {:?}", memory_mib(&cycles));
    }
}

#[tokio::test]
async fn a_leak_on_top_of_a_released_cache_is_raised() {
    let args = [&["--plateau", "cache"][..], &PLATEAU, &["--leak-bytes-per-request", "16384"]].concat();
    let cycles = soak(&args, 10).await;
    let raised = raised_on(&cycles);
    assert!(!raised.is_empty(), "final averages {:?}", memory_mib(&cycles));
}

/// 1 MiB chunks, one every 1,319 requests: every third cycle of 440 requests (1 warm-up and 10 measured
/// batches of 40).
const EVERY_THIRD_CYCLE: [&str; 4] = ["--plateau-chunk-bytes", "1048576", "--plateau-bytes-per-request", "795"];

/// The rise of the final averages from the first cycle to `cycle` (from 1), in whole chunks.
fn steps_by(cycles: &[(serde_json::Value, bool)], cycle: usize) -> f64 {
    let memory = memory_mib(cycles);
    (memory[cycle - 1] - memory[0]).round()
}

#[tokio::test]
async fn a_leak_in_steps_is_raised_within_six_steps_and_steps_that_stop_are_not() {
    let stairs = soak(&[&["--plateau", "staircase"][..], &EVERY_THIRD_CYCLE].concat(), 24).await;
    let raised = raised_on(&stairs);
    let first = *raised.first().unwrap_or_else(|| panic!("never raised: {:?}", memory_mib(&stairs)));
    assert!(
        steps_by(&stairs, first) <= 6.0,
        "raised at cycle {first}, after more than 6 steps: {:?}",
        memory_mib(&stairs)
    );
    let rules = stairs[first - 1].0["findings"].to_string();
    assert!(rules.contains("every sixth of the window"), "the long window raised it: {rules}");
    // The same chunks, at the same pace, up to 3 MiB: a pool that reached its size.
    let pool = [&["--plateau", "working_set", "--plateau-limit-bytes", "3145728"][..], &EVERY_THIRD_CYCLE].concat();
    let pool = soak(&pool, 24).await;
    assert!(span_mib(&pool) >= 2.5, "the pool grew: {:?}", memory_mib(&pool));
    assert_eq!(raised_on(&pool), Vec::<usize>::new(), "final averages {:?}", memory_mib(&pool));
}
