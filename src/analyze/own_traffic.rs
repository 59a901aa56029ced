//! Heavy traffic to leaksoak's own endpoints (docs/analysis.md#leaksoaks-own-endpoints): with the `self`
//! and `self-heap` sources the process measured also serves `/metrics`, `/status`, `/` and the rest, so a
//! scrape flood during a cycle grows what is measured and opens sockets in it. Such a cycle is still
//! judged and reported, with a note saying so, but nothing it finds counts toward the leak gauge.

/// Requests a second to leaksoak's own endpoints, over a cycle, from which the cycle is marked (with at
/// least [`BUSY_MIN_REQUESTS`] of them): its findings do not count toward the leak gauge and its resources are
/// not judged. Ordinary monitoring stays far below: Prometheus every 15 s, probes every 10 s, a browser on
/// `/` (a reload every 10 s) and a script polling `/status` every 50 ms together make about 21 a second.
/// Measured on a default soak with `pause = "1s"` (debug build, a minute of scrapes of `/metrics` each): 20
/// and 200 a second over 2 and 4 connections lifted RSS by 0.4 and 0.7 MiB, about the 0.6 MiB a quiet run
/// drifted over the same minutes, and sockets by their connections; 5,900 a second over 32 connections
/// lifted RSS by 1.9 MiB (8 %) and sockets from 42 to 74 as it began. The hostile run of issue 26 (2,450 a
/// second, default pause) got a cycle judged `leak`.
/// Lower: a busy dashboard holds confirmation back; higher: a flood's growth may be confirmed as a leak.
pub const BUSY_REQUESTS_PER_SECOND: f64 = 50.0;

/// The fewest requests that mark a cycle, whatever their rate: in a cycle of a fraction of a second a few
/// health checks make a high rate and move nothing.
pub const BUSY_MIN_REQUESTS: u64 = 100;

/// The note of a cycle during which leaksoak's own endpoints answered `requests` in `seconds`, when that is
/// at least [`BUSY_MIN_REQUESTS`] at [`BUSY_REQUESTS_PER_SECOND`] or more; `None` otherwise.
pub fn busy_note(requests: u64, seconds: f64) -> Option<String> {
    let rate = if seconds > 0.0 { requests as f64 / seconds } else { 0.0 };
    (requests >= BUSY_MIN_REQUESTS && rate >= BUSY_REQUESTS_PER_SECOND).then(|| {
        format!(
            "leaksoak's own endpoints (/metrics, /status, /, …) answered {requests} requests during this cycle \
             ({rate:.0} a second; {BUSY_REQUESTS_PER_SECOND:.0} or more is heavy), in the process the memory \
             source measures: growth and sockets may be theirs, so this cycle's findings do not count toward \
             the leak gauge and its resources are not judged."
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heavy_traffic_is_named_and_ordinary_monitoring_is_not() {
        let note = busy_note(9412, 4.0).expect("2,353 a second");
        assert!(note.contains("answered 9412 requests during this cycle (2353 a second"), "{note}");
        assert!(note.contains("do not count toward the leak gauge"), "{note}");
        assert_eq!(busy_note(84, 4.0), None, "21 a second: scrapes, probes, a browser, a poller");
        assert_eq!(busy_note(0, 0.0), None);
        assert!(busy_note(200, 4.0).is_some(), "at the threshold");
        assert_eq!(busy_note(15, 0.3), None, "50 a second, but a handful of health checks in a short cycle");
        assert!(busy_note(100, 0.3).is_some());
    }
}
