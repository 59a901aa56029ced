//! The trend rule's long window (docs/analysis.md#small-leaks-and-staircases): the leaks that take a proxy
//! down after a week are a few hundred bytes per request, hidden under allocator steps larger than a whole
//! window of six cycles, or reach the resident set only in chunks every few cycles. The short window
//! dismisses both as "steps toward a plateau". Over a window up to [`LONG_WINDOW_FACTOR`] times longer,
//! fitted against the requests the target received, a leak shows what a plateau cannot: memory that rises
//! in every part of the window at one rate per request, above the creep a healthy process shows.
//!
//! The questions, each of which must hold:
//! * **Significant**: the one-sided Mann–Kendall p of the final averages against requests is below
//!   `trend_alpha` × [`LONG_ALPHA_SHARE`] (below `trend_alpha` for a heap that gives memory back in part,
//!   judged by its envelope); the fitted growth exceeds the short window's floors.
//! * **Above the creep**: the Theil–Sen rate is at least `trend_min_bytes_per_request` (a healthy
//!   LiteLLM proxy creeps by tens of bytes per request for hours: that is not raised, however long).
//! * **Never came back**: the last cycle is not below the window's peak by more than 3 × the noise and
//!   the rise of a sixth of the window.
//! * **Every part rose, and the last is a new high**: split into [`SEGMENTS`] runs of cycles, each rose
//!   over the one before by at least [`SEGMENT_SHARE`] of what the fitted rate predicts (medians), the
//!   last run reached above every cycle before it, and the later half of the window rose at least
//!   [`LATE_SHARE`] of the earlier half. One step between flat runs, a pool that filled in a few
//!   chunks and stopped, or a warm-up slowing down leaves a part flat; a leak in regular steps does not
//!   once the window holds a step in most parts: a staircase of steps every 2 to 5 cycles is raised after
//!   4 to 6 steps (rarer steps once the window is long enough to hold one per part), and memory that grows in 3 chunks or fewer never is. A pool that fills in more regular chunks
//!   looks like a leak while it fills; once it stops, the window's last parts go flat and it is not (the
//!   unit tests: 6 chunks every 3 cycles, not raised 14 cycles after the last).

use super::floors::{HOLD_MIN_RISE_BYTES, NOISE_FLOOR_FACTOR};
use super::stats;
use super::units::mib;
use crate::settings::Analysis;

/// The long window holds at most this many times `trend_cycles` cycles (36 at the defaults): a staircase
/// with a step every 6 cycles still has one in every part once the window is full. Longer: slower staircases are raised, but a
/// leak that stops keeps the long window rising for longer.
pub const LONG_WINDOW_FACTOR: usize = 6;

/// The long window is assessed from this many cycles per part (12 at the defaults), so a step every
/// other cycle is raised after 6 steps.
pub const LONG_MIN_PER_SEGMENT: usize = 2;

/// The long window's significance is `trend_alpha` times this (0.001 at the defaults): it is assessed
/// after every cycle over overlapping windows, so it must be stricter than the short window's single test.
pub const LONG_ALPHA_SHARE: f64 = 0.1;

/// Parts of the long window, each of which must rise over the one before: memory that reaches the
/// resident set in fewer than `SEGMENTS − 1` chunks is never raised by the long window. Fewer: a leak in
/// rare steps is raised after fewer steps, and so is a pool that fills in a few chunks.
pub const SEGMENTS: usize = 6;

/// Each part must rise over the one before by at least this share of what the fitted rate predicts.
/// A steady leak rises by about 1 (noise moves it by far less once the window's growth is above 3× the
/// noise); a regular staircase by 1 once a part holds a step; a flat part by 0. Higher: more
/// staircases and leaks whose rate wobbles are dismissed; lower: a creep carried by two or three steps
/// is more often raised.
pub const SEGMENT_SHARE: f64 = 0.25;

/// The later half of the window must rise by at least this share of the earlier half: a curve approaching
/// a working size rises less and less, a leak by as much.
pub const LATE_SHARE: f64 = 0.4;

/// What the long window concluded.
#[derive(Debug, Clone, PartialEq)]
pub enum Long {
    /// Too few cycles, no significant rise, or a rise below the creep floor too slight to mention.
    Quiet,
    /// A steady rise at `rate` bytes per request: the `trend` finding's message.
    Rising(String),
    /// A significant rise that is not a leak, and why (for the report).
    Bounded(String),
}

/// One judged cycle as the long window sees it.
#[derive(Debug, Clone, Copy)]
pub struct Point {
    /// The cycle's final rolling average, bytes.
    pub final_avg: f64,
    /// Requests the target had received from every scenario when the cycle ended.
    pub sent: f64,
    /// The cycle's residual noise in bytes: the window's median scales the growth floor.
    pub noise: f64,
}

/// Assesses the last cycles (oldest first, as many as the history holds; the window is the last
/// `LONG_WINDOW_FACTOR × trend_cycles`).
pub fn assess(history: &[Point], settings: &Analysis) -> Long {
    let k = settings.trend_cycles;
    let n = history.len().min(LONG_WINDOW_FACTOR * k);
    if n < LONG_MIN_PER_SEGMENT * SEGMENTS || n < k + 1 {
        return Long::Quiet;
    }
    let window = &history[history.len() - n..];
    let x: Vec<f64> = window.iter().map(|p| p.sent).collect();
    let y: Vec<f64> = window.iter().map(|p| p.final_avg).collect();
    let noise = stats::median(&window.iter().map(|p| p.noise).collect::<Vec<_>>());
    let rate = stats::theil_sen(&x, &y).slope;
    let requests = x[n - 1] - x[0];
    let growth = rate * requests;
    let p = stats::mann_kendall(&x, &y);
    let floor = settings.trend_min_growth_bytes.max(NOISE_FLOOR_FACTOR * noise);
    // A sawing heap spreads the rise: its own test (the envelope) is structural, so the plain
    // `trend_alpha` suffices for it; a steady rise must pass the stricter one.
    if !(p < settings.trend_alpha && growth > floor && requests > 0.0) {
        return Long::Quiet;
    }
    let steady_significant = p < settings.trend_alpha * LONG_ALPHA_SHARE;
    let head = format!(
        "Over the last {n} cycles ({requests:.0} requests to the target) memory rose {:.2} MiB, {rate:.0} bytes/request \
         (p = {p:.4})",
        mib(growth)
    );
    if rate < settings.trend_min_bytes_per_request {
        return Long::Bounded(format!(
            "{head}: below analysis.trend_min_bytes_per_request ({:.0}), the slow creep a healthy process shows \
             for hours; not raised.",
            settings.trend_min_bytes_per_request
        ));
    }
    let shape = if steady_significant {
        shape(&x, &y, rate, noise, floor)
    } else {
        Some(format!(
            "the rise is not significant enough for a steady leak (p = {p:.4} above {:.4})",
            settings.trend_alpha * LONG_ALPHA_SHARE
        ))
    };
    if let Some(why) = shape {
        if let Some(envelope) = rising_envelope(&x, &y, rate, noise, settings.trend_min_bytes_per_request) {
            return Long::Rising(format!(
                "{head}; memory was given back in part ({why}), but {envelope}: a leak under a heap that \
                 returns some memory (>{:.2} MiB threshold, >{:.0} bytes/request) — slow leak",
                mib(floor),
                settings.trend_min_bytes_per_request
            ));
        }
        return Long::Bounded(format!("{head}, but {why}: not a steady leak."));
    }
    Long::Rising(format!(
        "{head}, in every sixth of the window (>{:.2} MiB threshold, >{:.0} bytes/request) — slow leak",
        mib(floor),
        settings.trend_min_bytes_per_request
    ))
}

/// Whether a leak the long window raised is still going on, to hold its raise ([`crate::analyze::Across`]):
/// over the window (at least `LONG_MIN_PER_SEGMENT × SEGMENTS` cycles), the later half's high or low rose
/// over the earlier half's at [`HOLD_RATE_SHARE`] of `trend_min_bytes_per_request` or faster, and neither
/// fell by more than that much; and memory still moved over the last `2 × trend_cycles` cycles (by more
/// than 3 × the noise and [`HOLD_MIN_RISE_BYTES`]: a leak that stopped is flat). Looser than raising (hysteresis), and read from the envelope rather than
/// a fit: the resident set of a real leak moves in steps and give-backs (the LiteLLM proxy keeping 256
/// bytes per call: a fitted rate of 52 to 400 bytes per request from one window to the next), and the
/// gauge must not flap with it. A leak that stopped loses its hold within half a window.
pub fn holds(history: &[Point], settings: &Analysis) -> bool {
    let n = history.len().min(LONG_WINDOW_FACTOR * settings.trend_cycles);
    if n < LONG_MIN_PER_SEGMENT * SEGMENTS {
        return false;
    }
    let window = &history[history.len() - n..];
    let (early, late) = window.split_at(n / 2);
    let span = |h: &[Point]| {
        let y = h.iter().map(|p| p.final_avg);
        (y.clone().fold(f64::MAX, f64::min), y.fold(f64::MIN, f64::max))
    };
    let sent = |h: &[Point]| stats::median(&h.iter().map(|p| p.sent).collect::<Vec<_>>());
    let ((low0, high0), (low1, high1)) = (span(early), span(late));
    let requests = sent(late) - sent(early);
    // A leak that stopped is flat over the last `2 × trend_cycles` cycles; a staircase or a sawing heap
    // moves (the LiteLLM proxy keeping 256 bytes per call held its resident set for 7 cycles at a time).
    let recent: Vec<f64> = window.iter().rev().take(2 * settings.trend_cycles).map(|p| p.final_avg).collect();
    let noise = stats::median(&window.iter().map(|p| p.noise).collect::<Vec<_>>());
    let moved = recent.iter().copied().fold(f64::MIN, f64::max) - recent.iter().copied().fold(f64::MAX, f64::min);
    if moved <= (3.0 * noise).max(HOLD_MIN_RISE_BYTES) {
        return false;
    }
    let lifted = (high1 - high0).max(low1 - low0);
    // Neither may fall by more than the lift the hold asks for.
    let tolerance = HOLD_RATE_SHARE * settings.trend_min_bytes_per_request * requests;
    requests > 0.0
        && lifted / requests >= HOLD_RATE_SHARE * settings.trend_min_bytes_per_request
        && low1 >= low0 - tolerance
        && high1 >= high0 - tolerance
}

/// [`holds`] keeps a raise while the rate stays above this share of the floor.
pub const HOLD_RATE_SHARE: f64 = 0.5;

/// A heap that gives memory back in part (a collector, an allocator trimming) saws up and down around a
/// leak: when memory fell back somewhere in the window by more than 3 × the noise and a third of the
/// window's growth (a give-back, not one downward allocator step of a level that wanders), the later half
/// of the window must lift both its high and its low over the earlier half's, each by [`SEGMENT_SHARE`]
/// of what the rate predicts, the high at `trend_min_bytes_per_request` or faster too. A leak under a sawing heap lifts both; a cache filled and released reaches
/// the same high and falls to the same low every time; a pool never falls back. The halves' highs and lows,
/// for the message; None when the window is shorter than [`ENVELOPE_MIN_CYCLES`], never fell back that
/// far, or the envelope did not rise.
fn rising_envelope(x: &[f64], y: &[f64], rate: f64, noise: f64, min_rate: f64) -> Option<String> {
    let n = y.len();
    let mut high = f64::MIN;
    let fell = y.iter().map(|v| {
        high = high.max(*v);
        high - v
    });
    let growth = rate * (x[n - 1] - x[0]);
    let deep = (3.0 * noise.max(HOLD_MIN_RISE_BYTES)).max(growth / 3.0);
    if n < ENVELOPE_MIN_CYCLES || fell.fold(0.0, f64::max) <= deep {
        return None;
    }
    let half = n / 2;
    let span = |r: &[f64]| (r.iter().copied().fold(f64::MAX, f64::min), r.iter().copied().fold(f64::MIN, f64::max));
    let ((low0, high0), (low1, high1)) = (span(&y[..half]), span(&y[half..]));
    // Both lift at a share of the window's rate, and the highs (the leak's own line, the peaks before each
    // give-back) at the rate floor too: a warm-up's staircase that gave some back and then settled lifts
    // its envelope, but slower than a leak (a LiteLLM proxy's highs rose 2.1 MiB over 19,000 requests,
    // 116 bytes/request, after a 20 MiB warm-up). The lows lift by the leak's rate only between the
    // give-backs they fall on, which may be half a window apart or less.
    let between = stats::median(&x[half..]) - stats::median(&x[..half]);
    let needed = SEGMENT_SHARE * rate * between;
    (high1 - high0 >= needed.max(min_rate * between) && low1 - low0 >= needed).then(|| {
        format!(
            "its highs rose from {:.1} to {:.1} MiB and its lows from {:.1} to {:.1} MiB between the halves of the window",
            mib(high0),
            mib(high1),
            mib(low0),
            mib(low1)
        )
    })
}

/// The envelope is compared from this many cycles on: halves of 18, longer than a heap's typical
/// give-back period in the real soaks (8 to 20 cycles of a LiteLLM proxy).
pub const ENVELOPE_MIN_CYCLES: usize = 36;

/// Why a significant rise over the window is not a leak's, if it is not: memory came back, a
/// part stayed flat, or the later half slowed down.
fn shape(x: &[f64], y: &[f64], rate: f64, noise: f64, floor: f64) -> Option<String> {
    let n = y.len();
    let peak = y.iter().copied().fold(f64::MIN, f64::max);
    let part = rate * (x[n - 1] - x[0]) / SEGMENTS as f64;
    if peak - y[n - 1] > (3.0 * noise).max(floor / (n - 1) as f64).max(part) {
        return Some(format!("it fell back {:.2} MiB from its peak", mib(peak - y[n - 1])));
    }
    let parts: Vec<(f64, f64)> = (0..SEGMENTS)
        .map(|j| {
            let (from, to) = (j * n / SEGMENTS, (j + 1) * n / SEGMENTS);
            (stats::median(&x[from..to]), stats::median(&y[from..to]))
        })
        .collect();
    let last_from = (SEGMENTS - 1) * n / SEGMENTS;
    let before = y[..last_from].iter().copied().fold(f64::MIN, f64::max);
    let newest = y[last_from..].iter().copied().fold(f64::MIN, f64::max);
    if newest - before <= noise.max(HOLD_MIN_RISE_BYTES) {
        return Some(format!(
            "its last sixth made no new high ({:.2} MiB, against {:.2} MiB before it): the steps stopped",
            mib(newest),
            mib(before)
        ));
    }
    for (j, w) in parts.windows(2).enumerate() {
        let (rise, expected) = (w[1].1 - w[0].1, rate * (w[1].0 - w[0].0));
        if rise < SEGMENT_SHARE * expected {
            return Some(format!(
                "part {} of {SEGMENTS} of the window rose {:.2} MiB where the rate predicts {:.2} MiB (growth in a few steps, \
                 or steps that stopped)",
                j + 2,
                mib(rise),
                mib(expected)
            ));
        }
    }
    let half = n / 2;
    let (early, late) = (y[half] - y[0], y[n - 1] - y[n - 1 - half]);
    (early > 0.0 && late < LATE_SHARE * early).then(|| {
        format!(
            "its later half rose {:.2} MiB against {:.2} MiB in the earlier half (slowing toward a working size)",
            mib(late),
            mib(early)
        )
    })
}

#[cfg(test)]
mod tests;
