//! `[analysis]`: the thresholds of the pytest suite's rules and of the statistics beyond them (docs/analysis.md).

use super::cycle::MAX_MEASURE_BATCHES;
use super::problems::Problems;
use serde::{Deserialize, Serialize};

/// Rolling-average window of the pytest suite: smooths per-batch noise.
pub const ROLLING_WINDOW: u64 = 5;
/// The pytest suite's growth rule: final vs initial rolling average. Coarse: it misses small leaks in large processes.
pub const DEFAULT_MAX_GROWTH_PERCENT: f64 = 25.0;
/// The pytest suite's tail rule: this many final raw samples must each rise.
pub const TAIL_SAMPLES: u64 = 5;
/// A rise smaller than this (0.05 MiB) does not count for the tail rule.
pub const TAIL_TOLERANCE_BYTES: u64 = 52_429;
/// Noise guard: above this coefficient of variation a cycle is `noisy` unless a rule fires significantly.
pub const DEFAULT_MAX_NOISE_CV_PERCENT: f64 = 40.0;
/// Error-spike rule: a batch with errors whose memory jumps this much over the previous one.
pub const ERROR_SPIKE_PERCENT: f64 = 50.0;
/// Error-spike rule: the batches after the spike staying within this of it did "not fully recover".
pub const ERROR_SPIKE_TOLERANCE_PERCENT: f64 = 5.0;
/// Error-spike rule: how many batches after the spike must stay up.
pub const ERROR_SPIKE_MIN_STABLE_BATCHES: u64 = 2;
/// Slope rule floor: a 1 KiB/request leak is caught with a 2x margin; allocator jitter stays below it.
pub const SLOPE_MIN_BYTES_PER_REQUEST: f64 = 512.0;
/// Slope rule: fitted growth over the measured batches must also exceed 256 KiB.
pub const SLOPE_MIN_GROWTH_BYTES: f64 = 262_144.0;
/// Trend rule: final averages of this many cycles are fitted together.
pub const TREND_CYCLES: u64 = 6;
/// Trend rule: fitted growth across the window must exceed 1 MiB.
pub const TREND_MIN_GROWTH_BYTES: f64 = 1_048_576.0;
/// Trend rule's long window: the rate per request (of every scenario's requests to the target) below which
/// a rise is the slow creep a healthy process shows for hours, not a leak. A healthy LiteLLM proxy crept
/// by 29 bytes per request over a 2-hour soak (docs/truth-table.md); one keeping 256 bytes per call grew
/// about 365 bytes of RSS per request (object headers, the list that holds them). At 128 the simulation's
/// wandering allocator level (`detection_power`) was raised 1.3 times per 10,000 clean cycles, at 200 0.6.
/// Lower: slower leaks are raised after long soaks, and a wandering or creeping healthy target is more
/// likely to be; higher: fewer such raises, but a 256 B/request leak in a lean process goes unraised.
pub const TREND_MIN_BYTES_PER_REQUEST: f64 = 200.0;
/// The target's production request rate (requests/second) for the forecast of a confirmed leak: growth
/// per day and time to the memory limit (docs/analysis.md#how-long-until-it-falls-over). 0: not known,
/// the forecast says growth per 100,000 requests.
pub const FORECAST_REQUESTS_PER_SECOND: f64 = 0.0;
/// The target's memory limit for the forecast, bytes. 0: the limit the memory source reads (the cgroup's
/// `memory.max` for `cgroup`, `process` and `self`), if any.
pub const FORECAST_MEMORY_LIMIT_BYTES: u64 = 0;
/// Significance of the one-sided Mann–Kendall test used by the slope and trend rules.
pub const TREND_ALPHA: f64 = 0.01;
/// growth/tail/slope must fire in this many consecutive cycles before the leak gauge rises (no flapping).
pub const CONFIRM_CYCLES: u64 = 2;
/// Whether the leak gauge stays raised until restart.
pub const LATCH: bool = false;
/// Above this failed share of the measured requests a cycle is not judged (verdict `error`): a dead
/// backend or a mistyped URL must not read as "no leak". Half lets a target that fails many requests
/// still be soaked (its error path is judged by the error-spike rule); lower it to catch a flaky target
/// sooner; 1 judges every cycle, however many of its requests failed.
pub const DEFAULT_MAX_ERROR_RATIO: f64 = 0.5;
/// The drowning rule (docs/analysis.md#a-target-drowning-in-its-memory): a cycle whose requests mostly
/// failed raises the gauge when the target's memory rose above its settled level by more than this
/// (and by at least [`crate::analyze::drowning::MIN_RISE_BYTES`]) while it stopped answering. A LiteLLM
/// proxy drowning in a retry-path leak went from ~320 to 580–890 MiB (+80–180 %); a healthy one whose
/// requests mostly timed out warmed by 33 % in its first cycle and then held flat (docs/truth-table.md).
/// Lower: a target drowning in less is raised sooner, and a warm-up like that one may be too; higher: only
/// the gross cases are, and the rest stay `error`.
pub const DROWNING_GROWTH_PERCENT: f64 = 50.0;

/// Resource slope floor, in units per request: one file descriptor, socket or thread kept per 100
/// requests. A leak of one per 10 requests is 10× above it; a connection or thread pool that fills up
/// rises fast during its warm-up but then stays, so its rate does not hold from cycle to cycle and the
/// confirmation drops it. Lower: slower leaks are caught, and a pool filling over several cycles is
/// more likely to look like one.
pub const RESOURCE_MIN_PER_REQUEST: f64 = 0.01;
/// Resource slope and trend rules: the fitted growth must also exceed this many units (over the
/// measured batches, or across the trend window). Thread counts that wander by ±2 fit well under it;
/// one socket per 10 requests grows by 90 over a default cycle. Higher: fewer chance findings from a
/// count that wanders, but a slow leak in a short cycle waits for the trend rule.
pub const RESOURCE_MIN_GROWTH: f64 = 3.0;

/// The widest rolling window: two must fit in the longest cycle ([`MAX_MEASURE_BATCHES`]).
pub const MAX_ROLLING_WINDOW: u64 = MAX_MEASURE_BATCHES / 2;
/// The longest tail: the tail rule looks at measured batches, so it can be no longer than the longest cycle
/// (and no longer than `cycle.measure_batches`, see [`super::relations`]).
pub const MAX_TAIL_SAMPLES: u64 = MAX_MEASURE_BATCHES;
/// The most batches that must stay up after an error spike: a spike needs one batch before it and this
/// many after it inside the cycle (and in `cycle.measure_batches`, see [`super::relations`]).
pub const MAX_ERROR_SPIKE_MIN_STABLE_BATCHES: u64 = MAX_MEASURE_BATCHES - 2;
/// The most cycles the trend rule fits; the analysis keeps this many final averages per scenario
/// (`analyze::trend::MAX_HISTORY` is this constant). A trend over more cycles than 256 soaks long enough
/// to be a week at the defaults, and each kept cycle costs the fit a little more.
pub const MAX_TREND_CYCLES: u64 = 256;
/// The most consecutive cycles a rule must fire before the gauge rises. At a few minutes a cycle, a
/// hundred is most of a day of one scenario; beyond that the gauge in effect never rises.
pub const MAX_CONFIRM_CYCLES: u64 = 100;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawAnalysis {
    pub rolling_window: u64,
    pub max_growth_percent: f64,
    pub tail_samples: u64,
    pub tail_tolerance_bytes: u64,
    pub max_noise_cv_percent: f64,
    pub error_spike_percent: f64,
    pub error_spike_tolerance_percent: f64,
    pub error_spike_min_stable_batches: u64,
    pub slope_min_bytes_per_request: f64,
    pub slope_min_growth_bytes: f64,
    pub trend_cycles: u64,
    pub trend_min_growth_bytes: f64,
    pub trend_min_bytes_per_request: f64,
    pub trend_alpha: f64,
    pub confirm_cycles: u64,
    pub latch: bool,
    pub max_error_ratio: f64,
    pub drowning_growth_percent: f64,
    pub resource_min_per_request: f64,
    pub resource_min_growth: f64,
    pub forecast_requests_per_second: f64,
    pub forecast_memory_limit_bytes: u64,
}

impl Default for RawAnalysis {
    fn default() -> Self {
        Self {
            rolling_window: ROLLING_WINDOW,
            max_growth_percent: DEFAULT_MAX_GROWTH_PERCENT,
            tail_samples: TAIL_SAMPLES,
            tail_tolerance_bytes: TAIL_TOLERANCE_BYTES,
            max_noise_cv_percent: DEFAULT_MAX_NOISE_CV_PERCENT,
            error_spike_percent: ERROR_SPIKE_PERCENT,
            error_spike_tolerance_percent: ERROR_SPIKE_TOLERANCE_PERCENT,
            error_spike_min_stable_batches: ERROR_SPIKE_MIN_STABLE_BATCHES,
            slope_min_bytes_per_request: SLOPE_MIN_BYTES_PER_REQUEST,
            slope_min_growth_bytes: SLOPE_MIN_GROWTH_BYTES,
            trend_cycles: TREND_CYCLES,
            trend_min_growth_bytes: TREND_MIN_GROWTH_BYTES,
            trend_min_bytes_per_request: TREND_MIN_BYTES_PER_REQUEST,
            trend_alpha: TREND_ALPHA,
            confirm_cycles: CONFIRM_CYCLES,
            latch: LATCH,
            max_error_ratio: DEFAULT_MAX_ERROR_RATIO,
            drowning_growth_percent: DROWNING_GROWTH_PERCENT,
            resource_min_per_request: RESOURCE_MIN_PER_REQUEST,
            resource_min_growth: RESOURCE_MIN_GROWTH,
            forecast_requests_per_second: FORECAST_REQUESTS_PER_SECOND,
            forecast_memory_limit_bytes: FORECAST_MEMORY_LIMIT_BYTES,
        }
    }
}

/// The validated `[analysis]` section: the thresholds the pure analyzer reads. Field meanings are those of
/// the constants above.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub rolling_window: usize,
    pub max_growth_percent: f64,
    pub tail_samples: usize,
    pub tail_tolerance_bytes: f64,
    pub max_noise_cv_percent: f64,
    pub error_spike_percent: f64,
    pub error_spike_tolerance_percent: f64,
    pub error_spike_min_stable_batches: usize,
    pub slope_min_bytes_per_request: f64,
    pub slope_min_growth_bytes: f64,
    pub trend_cycles: usize,
    pub trend_min_growth_bytes: f64,
    pub trend_min_bytes_per_request: f64,
    pub trend_alpha: f64,
    pub confirm_cycles: u32,
    pub latch: bool,
    pub max_error_ratio: f64,
    pub drowning_growth_percent: f64,
    pub resource_min_per_request: f64,
    pub resource_min_growth: f64,
    pub forecast_requests_per_second: f64,
    pub forecast_memory_limit_bytes: u64,
}

impl Default for Analysis {
    fn default() -> Self {
        let mut p = Problems::default();
        validate(&RawAnalysis::default(), &mut p)
    }
}

pub fn validate(raw: &RawAnalysis, p: &mut Problems) -> Analysis {
    let k = |name: &str| format!("analysis.{name}");
    Analysis {
        rolling_window: p.between(&k("rolling_window"), raw.rolling_window, 1, MAX_ROLLING_WINDOW) as usize,
        max_growth_percent: p.above(&k("max_growth_percent"), raw.max_growth_percent, 0.0),
        tail_samples: p.between(&k("tail_samples"), raw.tail_samples, 2, MAX_TAIL_SAMPLES) as usize,
        tail_tolerance_bytes: raw.tail_tolerance_bytes as f64,
        max_noise_cv_percent: p.above(&k("max_noise_cv_percent"), raw.max_noise_cv_percent, 0.0),
        error_spike_percent: p.above(&k("error_spike_percent"), raw.error_spike_percent, 0.0),
        error_spike_tolerance_percent: p.within(
            &k("error_spike_tolerance_percent"),
            raw.error_spike_tolerance_percent,
            0.0,
            100.0,
        ),
        error_spike_min_stable_batches: p.between(
            &k("error_spike_min_stable_batches"),
            raw.error_spike_min_stable_batches,
            1,
            MAX_ERROR_SPIKE_MIN_STABLE_BATCHES,
        ) as usize,
        slope_min_bytes_per_request: p.non_negative(&k("slope_min_bytes_per_request"), raw.slope_min_bytes_per_request),
        slope_min_growth_bytes: p.non_negative(&k("slope_min_growth_bytes"), raw.slope_min_growth_bytes),
        trend_cycles: p.between(&k("trend_cycles"), raw.trend_cycles, 3, MAX_TREND_CYCLES) as usize,
        trend_min_growth_bytes: p.non_negative(&k("trend_min_growth_bytes"), raw.trend_min_growth_bytes),
        trend_min_bytes_per_request: p.non_negative(&k("trend_min_bytes_per_request"), raw.trend_min_bytes_per_request),
        trend_alpha: within_open_unit(p, &k("trend_alpha"), raw.trend_alpha),
        confirm_cycles: p.between(&k("confirm_cycles"), raw.confirm_cycles, 1, MAX_CONFIRM_CYCLES) as u32,
        latch: raw.latch,
        max_error_ratio: error_ratio(p, &k("max_error_ratio"), raw.max_error_ratio),
        drowning_growth_percent: p.above(&k("drowning_growth_percent"), raw.drowning_growth_percent, 0.0),
        resource_min_per_request: p.non_negative(&k("resource_min_per_request"), raw.resource_min_per_request),
        resource_min_growth: p.non_negative(&k("resource_min_growth"), raw.resource_min_growth),
        forecast_requests_per_second: p
            .non_negative(&k("forecast_requests_per_second"), raw.forecast_requests_per_second),
        forecast_memory_limit_bytes: raw.forecast_memory_limit_bytes,
    }
}

fn within_open_unit(p: &mut Problems, key: &str, value: f64) -> f64 {
    if p.finite(key, value) && !(value > 0.0 && value < 1.0) {
        p.push(key, format!("must be a probability strictly between 0 and 1, got {value}"));
    }
    value
}

fn error_ratio(p: &mut Problems, key: &str, value: f64) -> f64 {
    if !(value > 0.0 && value <= 1.0) {
        p.push(key, format!("must be a share above 0 and at most 1, got {value}"));
    }
    value
}
