//! How long until it falls over (docs/analysis.md#how-long-until-it-falls-over): from a confirmed leak's
//! rate per request, a production request rate and the target's memory limit, how fast memory grows in
//! production terms and when the limit is reached. Pure: the engine reads the limit and passes it in.

use super::units::mib;

/// Seconds in a day: growth is reported per day, the unit an on-call person plans in.
pub const DAY_SECONDS: f64 = 86_400.0;

/// Requests the growth is stated for when no production rate is set.
pub const PER_REQUESTS: f64 = 100_000.0;

/// What a confirmed leak means in production.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Forecast {
    /// The confirmed rate: memory kept per request to the target (every scenario's requests), bytes.
    pub bytes_per_request: f64,
    /// Memory now (the last cycle's final average), bytes.
    pub memory_bytes: f64,
    /// The production request rate, when set.
    pub requests_per_second: Option<f64>,
    /// Growth per day at that rate, bytes.
    pub bytes_per_day: Option<f64>,
    /// The target's memory limit, when known (a setting, or the cgroup's `memory.max`).
    pub limit_bytes: Option<f64>,
    /// Seconds until memory reaches the limit at that rate (0 when it is there already).
    pub seconds_to_limit: Option<f64>,
}

impl Forecast {
    /// The forecast for a leak of `bytes_per_request` in a target holding `memory_bytes` now. A rate or
    /// limit that is not a positive finite number is unknown.
    pub fn new(
        bytes_per_request: f64,
        memory_bytes: f64,
        requests_per_second: Option<f64>,
        limit: Option<f64>,
    ) -> Self {
        let positive = |v: f64| (v.is_finite() && v > 0.0).then_some(v);
        let requests_per_second = requests_per_second.and_then(positive);
        let limit_bytes = limit.and_then(positive);
        let bytes_per_day =
            requests_per_second.zip(positive(bytes_per_request)).map(|(rps, rate)| rate * rps * DAY_SECONDS);
        let seconds_to_limit = bytes_per_day
            .zip(limit_bytes)
            .map(|(per_day, limit)| (limit - memory_bytes).max(0.0) / per_day * DAY_SECONDS);
        Self { bytes_per_request, memory_bytes, requests_per_second, bytes_per_day, limit_bytes, seconds_to_limit }
    }

    /// The report's line: `312 B/request; at 50 requests/s, +1.3 GiB/day; the 4 GiB limit is reached in about
    /// 2.5 days (memory now 1.2 GiB).`, with what is missing said instead.
    pub fn line(&self) -> String {
        let rate = format!("{:.0} B/request", self.bytes_per_request);
        let Some((rps, per_day)) = self.requests_per_second.zip(self.bytes_per_day) else {
            return format!(
                "How fast: {rate}, {} per {PER_REQUESTS:.0} requests; set forecast.requests_per_second (the target's \
                 production request rate) to see it per day and when its memory limit is reached.",
                size(self.bytes_per_request.max(0.0) * PER_REQUESTS)
            );
        };
        let head = format!("How fast: {rate}; at {rps} requests/s, +{}/day", size(per_day));
        match (self.limit_bytes, self.seconds_to_limit) {
            (Some(limit), Some(0.0)) => {
                format!("{head}; memory ({}) is at the {} limit already.", size(self.memory_bytes), size(limit))
            }
            (Some(limit), Some(seconds)) => format!(
                "{head}; the {} limit is reached in about {} (memory now {}).",
                size(limit),
                duration(seconds),
                size(self.memory_bytes)
            ),
            _ => format!(
                "{head}; no memory limit is known (set forecast.memory_limit_bytes, or soak a target in a cgroup with \
                 memory.max) to say when it falls over."
            ),
        }
    }
}

/// `1.3 GiB`, `312 MiB`, `40 KiB`.
fn size(bytes: f64) -> String {
    const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
    if bytes >= GIB {
        format!("{:.1} GiB", bytes / GIB)
    } else if bytes >= 1024.0 * 1024.0 {
        format!("{:.0} MiB", mib(bytes))
    } else {
        format!("{:.0} KiB", bytes / 1024.0)
    }
}

/// `2.5 days`, `7 hours`, `12 minutes`.
fn duration(seconds: f64) -> String {
    if seconds >= 2.0 * DAY_SECONDS {
        format!("{:.1} days", seconds / DAY_SECONDS)
    } else if seconds >= 2.0 * 3600.0 {
        format!("{:.0} hours", seconds / 3600.0)
    } else {
        format!("{:.0} minutes", (seconds / 60.0).max(1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

    #[test]
    fn the_issues_example_reads_as_it_does_there() {
        let f = Forecast::new(312.0, 1.2 * GIB, Some(50.0), Some(4.0 * GIB));
        let per_day = f.bytes_per_day.expect("per day");
        assert!((per_day / GIB - 1.255).abs() < 0.01, "{per_day}");
        let days = f.seconds_to_limit.expect("time") / DAY_SECONDS;
        assert!((days - 2.23).abs() < 0.05, "{days}");
        assert_eq!(
            f.line(),
            "How fast: 312 B/request; at 50 requests/s, +1.3 GiB/day; the 4.0 GiB limit is reached in about 2.2 days \
             (memory now 1.2 GiB)."
        );
    }

    #[test]
    fn without_a_rate_it_says_per_requests_and_what_to_set() {
        let f = Forecast::new(1024.0, 400.0 * 1024.0 * 1024.0, None, Some(GIB));
        assert_eq!(f.seconds_to_limit, None);
        assert!(f.line().contains("98 MiB per 100000 requests") && f.line().contains("forecast.requests_per_second"));
    }

    #[test]
    fn without_a_limit_it_says_how_to_know_one_and_past_it_says_so() {
        let f = Forecast::new(1024.0, GIB, Some(10.0), None);
        assert!(f.line().contains("no memory limit is known"), "{}", f.line());
        let over = Forecast::new(1024.0, 2.0 * GIB, Some(10.0), Some(GIB));
        assert_eq!(over.seconds_to_limit, Some(0.0));
        assert!(over.line().contains("at the 1.0 GiB limit already"), "{}", over.line());
    }

    #[test]
    fn nonsense_inputs_are_unknown_not_infinite() {
        let f = Forecast::new(0.0, GIB, Some(f64::NAN), Some(-1.0));
        assert_eq!((f.bytes_per_day, f.limit_bytes, f.seconds_to_limit), (None, None, None));
    }
}
